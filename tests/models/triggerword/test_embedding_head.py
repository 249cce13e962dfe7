"""The embedding family's head: one output per step after a full window, openWakeWord's window form."""

import pytest
import torch

from models.triggerword.embedding_head import EmbeddingHead, RandDropout, WindowScorer
from tests.helpers.devices import DEVICES
from tests.helpers.specs import embedding_spec


def test_a_clip_of_embeddings_gives_one_logit_per_step_after_the_first_window():
    head = EmbeddingHead(embedding_spec(window=16, hidden=32)).eval()
    assert head(torch.randn(3, 140, 96)).shape == (3, 125)


def test_scoring_a_whole_clip_equals_scoring_each_window():
    torch.manual_seed(0)
    head = EmbeddingHead(embedding_spec(window=4, hidden=16)).eval()
    clip = torch.randn(1, 10, 96)
    with torch.no_grad():
        whole = torch.sigmoid(head(clip))[0]
        windows = torch.cat([WindowScorer(head)(clip[:, s : s + 4]) for s in range(7)])[:, 0]
    assert torch.allclose(whole, windows, atol=1e-6)


@pytest.mark.parametrize("device", DEVICES)
def test_the_head_learns_to_tell_two_kinds_of_windows_apart(device):
    torch.manual_seed(0)
    head = EmbeddingHead(embedding_spec(window=4, hidden=16, dropout=0.0)).to(device)
    x = torch.randn(64, 8, 96).to(device)
    y = (x[:, 3:, 0] > 0).float()  # the last frame of each window decides
    optimiser = torch.optim.Adam(head.parameters(), lr=0.01)
    for _ in range(200):
        loss = torch.nn.functional.binary_cross_entropy_with_logits(head(x), y)
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
    assert loss.item() < 0.1


def test_rand_dropout_keeps_1_minus_p_scaled_up_from_the_seed_and_nothing_in_eval():
    dropout, x = RandDropout(0.3), torch.ones(200, 500)
    torch.manual_seed(0)
    first = dropout(x)
    assert first.unique().tolist() == [0.0, pytest.approx(1 / 0.7)]
    assert abs(float((first > 0).float().mean()) - 0.7) < 0.01 and abs(float(first.mean()) - 1.0) < 0.02
    torch.manual_seed(0)
    assert torch.equal(dropout(x), first)
    assert dropout.eval()(x) is x and RandDropout(0.0)(x) is x
    with torch.autocast("cpu", dtype=torch.bfloat16):
        assert dropout.train()(x.bfloat16()).dtype == torch.bfloat16
