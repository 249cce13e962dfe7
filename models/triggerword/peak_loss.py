"""Per-clip losses of the embedding head over its step logits (every labelled step, or each positive's peak),
and the (score, target) pairs dev is scored on for each, so early stopping judges what the loss trains.

The detector fires when its (smoothed) score crosses the threshold once in the few steps after a word ends;
it never needs all of them high. The frame loss asks every labelled step to be 1, so a voice whose score
rises a step early or late pays for the steps it missed, and the logits of a whole positive are pulled
towards an average. The peak loss (max-pooling loss, as keyword spotters train it) asks only the highest
step of each run of ones to be 1 and every counted step outside the runs to be 0: the quantity the
detector thresholds on positives (a peak) and on negatives (every step). Each run is weighted by its length,
so positives carry the same share of the loss under either rule.
"""

from __future__ import annotations

import torch
from torch.nn import functional as F


def label_runs(labels: torch.Tensor) -> torch.Tensor:
    """(B, T) 0/1 labels -> (B, T) long: 1, 2, ... for the steps of each run of ones in a row, 0 elsewhere."""
    ones = labels > 0.5
    onsets = ones & ~F.pad(ones, (1, 0))[:, :-1]
    return torch.cumsum(onsets.long(), dim=1) * ones


def frame_bce(
    logits: torch.Tensor, labels: torch.Tensor, pos_weight: torch.Tensor, mask: torch.Tensor | None = None
) -> torch.Tensor:
    """(B,) mean BCE over the counted steps (mask 1; all steps without a mask), ones weighted by pos_weight."""
    steps = F.binary_cross_entropy_with_logits(logits, labels, pos_weight=pos_weight, reduction="none")
    if mask is None:
        return steps.mean(dim=1)
    return (steps * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1)


def run_peaks(values: torch.Tensor, labels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Over every run of ones in (B, T) labels: the highest of `values` in it, the row it is in, its length."""
    runs = label_runs(labels)
    inside = runs > 0
    if not inside.any():
        empty = values.new_zeros(0)
        return empty, torch.zeros(0, dtype=torch.long, device=values.device), empty
    width = values.shape[1] + 1
    ids = (torch.arange(values.shape[0], device=values.device)[:, None] * width + runs)[inside]
    run_ids, which = torch.unique(ids, return_inverse=True)
    peaks = values.new_zeros(len(run_ids)).scatter_reduce(0, which, values[inside], "amax", include_self=False)
    lengths = torch.bincount(which, minlength=len(run_ids)).to(values.dtype)
    return peaks, torch.div(run_ids, width, rounding_mode="floor"), lengths


def peak_bce(
    logits: torch.Tensor, labels: torch.Tensor, pos_weight: torch.Tensor, mask: torch.Tensor | None = None
) -> torch.Tensor:
    """(B,) BCE of the counted negative steps plus, for each run of ones, its highest logit against 1
    (weighted by pos_weight x the run's length), over the same count of steps as frame_bce."""
    counted = torch.ones_like(logits) if mask is None else mask
    negative = (labels <= 0.5).to(logits.dtype) * counted
    loss = (F.softplus(logits) * negative).sum(dim=1)  # BCE against 0
    peaks, rows, lengths = run_peaks(logits, labels)
    loss = loss.index_add(0, rows, pos_weight * lengths * F.softplus(-peaks))  # BCE against 1
    return loss / counted.sum(dim=1).clamp(min=1)


def frame_targets(
    scores: torch.Tensor, labels: torch.Tensor, mask: torch.Tensor | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """What the frame loss asks for, as (scores, 0/1 targets): every counted step with its label."""
    counted = torch.ones_like(scores, dtype=torch.bool) if mask is None else mask > 0
    return scores[counted], labels[counted]


def peak_targets(
    scores: torch.Tensor, labels: torch.Tensor, mask: torch.Tensor | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """What the peak loss asks for, as (scores, 0/1 targets): each run's highest score (target 1) and every
    counted negative step (target 0). Frame targets would ask every step of a run to be high, which this
    loss never trains for."""
    counted = torch.ones_like(scores, dtype=torch.bool) if mask is None else mask > 0
    negative = scores[(labels <= 0.5) & counted]
    peaks, _, _ = run_peaks(scores, labels)
    return torch.cat([peaks, negative]), torch.cat([torch.ones_like(peaks), torch.zeros_like(negative)])


LOSSES = {"frames": frame_bce, "peak": peak_bce}
DEV_TARGETS = {"frames": frame_targets, "peak": peak_targets}  # what early stopping scores, per loss
