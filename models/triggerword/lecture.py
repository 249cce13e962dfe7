"""The lecture's trigger-word model: Conv1D -> BN -> ReLU -> dropout, GRU stack, per-step sigmoid.

Input: features (batch, n_features, Tx). Output: logits (batch, Ty) with
Ty = (Tx - kernel) // stride + 1 (5511 -> 1375 for the default kernel 15, stride 4).
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn


@dataclass(frozen=True)
class TriggerWordConfig:
    n_features: int = 101
    conv_filters: int = 196
    conv_kernel: int = 15
    conv_stride: int = 4
    gru_units: int = 128
    gru_layers: int = 2
    dropout: float = 0.2

    def output_steps(self, frames: int) -> int:
        return (frames - self.conv_kernel) // self.conv_stride + 1

    def macs(self, frames: int) -> int:
        """Multiply-accumulates of one forward pass over `frames` feature frames (conv, GRUs, head;
        batch norms and activations left out): the model's compute cost per clip."""
        steps = self.output_steps(frames)
        total = steps * self.conv_filters * self.n_features * self.conv_kernel
        width = self.conv_filters
        for _ in range(self.gru_layers):
            total += steps * 3 * (width + self.gru_units) * self.gru_units  # three gates
            width = self.gru_units
        return total + steps * width


class TriggerWordModel(nn.Module):
    def __init__(self, config: TriggerWordConfig):
        super().__init__()
        self.config = config
        self.input_norm = nn.BatchNorm1d(config.n_features)  # log-spectra differ in scale per band
        self.conv = nn.Conv1d(config.n_features, config.conv_filters, config.conv_kernel, config.conv_stride)
        self.conv_norm = nn.BatchNorm1d(config.conv_filters)
        self.dropout = nn.Dropout(config.dropout)
        self.grus = nn.ModuleList()
        self.gru_norms = nn.ModuleList()
        width = config.conv_filters
        for _ in range(config.gru_layers):
            self.grus.append(nn.GRU(width, config.gru_units, batch_first=True))
            self.gru_norms.append(nn.BatchNorm1d(config.gru_units))
            width = config.gru_units
        self.head = nn.Linear(width, 1)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        """(batch, n_features, Tx) -> logits (batch, Ty); apply sigmoid for probabilities."""
        x = self.dropout(torch.relu(self.conv_norm(self.conv(self.input_norm(features)))))
        x = x.transpose(1, 2)  # (batch, Ty, channels) for the GRUs
        for gru, norm in zip(self.grus, self.gru_norms):
            x, _ = gru(x)
            x = norm(self.dropout(x).transpose(1, 2)).transpose(1, 2)
        return self.head(self.dropout(x)).squeeze(-1)
