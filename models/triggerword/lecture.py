"""The lecture's trigger-word model: Conv1D -> BN -> ReLU -> dropout, GRU stack, per-step sigmoid.

Input: features (batch, n_features, Tx). Output: logits (batch, Ty) with
Ty = (Tx - kernel) // stride + 1 (5511 -> 1375 for the default kernel 15, stride 4).
"""

from __future__ import annotations

import torch
from torch import nn

from models.triggerword.spec import LectureSpec


def macs(spec: LectureSpec, n_features: int, frames: int) -> int:
    """Multiply-accumulates of one forward pass over `frames` feature frames (conv, GRUs, head;
    batch norms and activations left out): the model's compute cost per clip."""
    steps = spec.output_steps(frames)
    total = steps * spec.conv_filters * n_features * spec.conv_kernel
    width = spec.conv_filters
    for _ in range(spec.gru_layers):
        total += steps * 3 * (width + spec.gru_units) * spec.gru_units  # three gates
        width = spec.gru_units
    return total + steps * width


class TriggerWordModel(nn.Module):
    def __init__(self, spec: LectureSpec, n_features: int):
        super().__init__()
        self.spec, self.n_features = spec, n_features
        self.input_norm = nn.BatchNorm1d(n_features)  # log-spectra differ in scale per band
        self.conv = nn.Conv1d(n_features, spec.conv_filters, spec.conv_kernel, spec.conv_stride)
        self.conv_norm = nn.BatchNorm1d(spec.conv_filters)
        self.dropout = nn.Dropout(spec.dropout)
        self.grus = nn.ModuleList()
        self.gru_norms = nn.ModuleList()
        width = spec.conv_filters
        for _ in range(spec.gru_layers):
            self.grus.append(nn.GRU(width, spec.gru_units, batch_first=True))
            self.gru_norms.append(nn.BatchNorm1d(spec.gru_units))
            width = spec.gru_units
        self.head = nn.Linear(width, 1)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        """(batch, n_features, Tx) -> logits (batch, Ty); apply sigmoid for probabilities."""
        x = self.dropout(torch.relu(self.conv_norm(self.conv(self.input_norm(features)))))
        x = x.transpose(1, 2)  # (batch, Ty, channels) for the GRUs
        for gru, norm in zip(self.grus, self.gru_norms):
            x, _ = gru(x)
            x = norm(self.dropout(x).transpose(1, 2)).transpose(1, 2)
        return self.head(self.dropout(x)).squeeze(-1)
