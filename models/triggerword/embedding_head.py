"""The embedding family's head: a fully connected network over a sliding window of speech embeddings.

Input (batch, T, 96) embeddings from models/triggerword/speech_embedding.py; output logits
(batch, T - window + 1), one per 80 ms. The first layer is a Conv1d whose kernel spans the whole
window, i.e. one Linear(window * 96, hidden) applied at every step, so a clip is scored in one pass
and a single window ([1, window, 96], openWakeWord's custom-model input) gives one score.
"""

from __future__ import annotations

import torch
from torch import nn

from models.triggerword.spec import EmbeddingSpec
from models.triggerword.speech_embedding import EMBEDDING_DIM


class RandDropout(nn.Module):
    """nn.Dropout's inverted dropout with the keep-mask drawn as `torch.rand(...) >= p`: the same
    Bernoulli(1 - p) mask distribution at half the CPU time of `bernoulli_` (which was a third of a head's
    bfloat16 training epoch). Identity in eval mode, no parameters: checkpoints and exports are unchanged."""

    def __init__(self, p: float):
        super().__init__()
        self.p = p

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.p == 0:
            return x
        keep = (torch.rand(x.shape, device=x.device) >= self.p).to(x.dtype)
        return x * (keep * (1.0 / (1.0 - self.p)))


class EmbeddingHead(nn.Module):
    def __init__(self, spec: EmbeddingSpec):
        super().__init__()
        self.spec = spec
        self.window = nn.Conv1d(EMBEDDING_DIM, spec.hidden, spec.window)
        self.norm = nn.LayerNorm(spec.hidden)
        layers: list[nn.Module] = []
        for _ in range(spec.layers):
            layers += [
                nn.Linear(spec.hidden, spec.hidden),
                nn.LayerNorm(spec.hidden),
                nn.ReLU(),
                RandDropout(spec.dropout),
            ]
        self.body = nn.Sequential(*layers)
        self.dropout = RandDropout(spec.dropout)
        self.out = nn.Linear(spec.hidden, 1)

    def forward(self, embeddings: torch.Tensor) -> torch.Tensor:
        """(batch, T, 96) -> logits (batch, T - window + 1); apply sigmoid for probabilities."""
        x = self.window(embeddings.transpose(1, 2)).transpose(1, 2)  # (batch, steps, hidden)
        x = self.dropout(torch.relu(self.norm(x)))
        return self.out(self.body(x)).squeeze(-1)


class WindowScorer(nn.Module):
    """openWakeWord's custom-model form: [batch, window, 96] -> [batch, 1] probability."""

    def __init__(self, head: EmbeddingHead):
        super().__init__()
        self.head = head

    def forward(self, window: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.head(window)[:, -1:])
