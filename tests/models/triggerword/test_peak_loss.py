import torch
from torch.nn import functional as F

from models.triggerword.peak_loss import frame_bce, frame_targets, label_runs, peak_bce, peak_targets, run_peaks

POS_WEIGHT = torch.tensor(2.0)


def test_runs_of_ones_are_numbered_per_row():
    labels = torch.tensor([[0, 1, 1, 0, 0, 1, 0], [1, 1, 0, 0, 0, 0, 1], [0, 0, 0, 0, 0, 0, 0]], dtype=torch.float32)
    assert label_runs(labels).tolist() == [[0, 1, 1, 0, 0, 2, 0], [1, 1, 0, 0, 0, 0, 2], [0] * 7]


def test_frame_loss_is_the_masked_mean_of_weighted_bce():
    logits, labels = torch.randn(3, 9), (torch.rand(3, 9) > 0.7).float()
    mask = (torch.rand(3, 9) > 0.2).float()
    steps = F.binary_cross_entropy_with_logits(logits, labels, pos_weight=POS_WEIGHT, reduction="none")
    torch.testing.assert_close(frame_bce(logits, labels, POS_WEIGHT, mask), (steps * mask).sum(1) / mask.sum(1))
    torch.testing.assert_close(frame_bce(logits, labels, POS_WEIGHT), steps.mean(1))


def test_a_run_of_equal_logits_costs_the_same_under_either_loss():
    labels = torch.tensor([[0, 0, 1, 1, 1, 0, 0, 0]], dtype=torch.float32)
    logits = torch.tensor([[-3.0, 0.5, 1.2, 1.2, 1.2, -1.0, 2.0, -4.0]])
    mask = torch.tensor([[1, 1, 1, 1, 1, 0, 0, 1]], dtype=torch.float32)  # two ignored steps after the run
    torch.testing.assert_close(peak_bce(logits, labels, POS_WEIGHT, mask), frame_bce(logits, labels, POS_WEIGHT, mask))


def test_one_confident_step_is_enough_for_a_positive():
    labels = torch.tensor([[0, 1, 1, 1, 1, 0]], dtype=torch.float32)
    logits = torch.tensor([[-8.0, -6.0, 9.0, -6.0, -6.0, -8.0]], requires_grad=True)
    peak = peak_bce(logits, labels, POS_WEIGHT)
    assert float(peak) < 0.01 < float(frame_bce(logits, labels, POS_WEIGHT))
    peak.backward()
    grad = logits.grad[0]
    assert grad[1] == 0 and grad[3] == 0 and grad[4] == 0  # only the peak of the run is pushed on
    assert grad[0] > 0 and grad[5] > 0  # every negative step is pushed down


def test_ignored_steps_and_clips_without_positives():
    labels = torch.zeros(2, 5)
    logits = torch.tensor([[0.0, 1.0, 2.0, 3.0, 4.0], [0.0] * 5])
    mask = torch.tensor([[1, 1, 0, 0, 1], [1] * 5], dtype=torch.float32)
    expected = torch.stack([(F.softplus(logits[0]) * mask[0]).sum() / 3, F.softplus(logits[1]).mean()])
    torch.testing.assert_close(peak_bce(logits, labels, POS_WEIGHT, mask), expected)
    torch.testing.assert_close(peak_bce(logits, labels, POS_WEIGHT, mask), frame_bce(logits, labels, POS_WEIGHT, mask))


def test_runs_in_different_rows_do_not_share_a_peak():
    labels = torch.tensor([[0, 1, 1, 0], [0, 1, 1, 0]], dtype=torch.float32)
    logits = torch.tensor([[-5.0, 6.0, 6.0, -5.0], [-5.0, -6.0, -6.0, -5.0]])
    loss = peak_bce(logits, labels, POS_WEIGHT)
    assert float(loss[0]) < 0.01 and float(loss[1]) > 2.0


def test_run_peaks_gives_each_runs_highest_value_row_and_length():
    labels = torch.tensor([[0, 1, 1, 0, 1], [0, 0, 0, 0, 0], [1, 1, 1, 0, 0]], dtype=torch.float32)
    values = torch.tensor([[9.0, 0.2, 0.7, 5.0, 0.1], [1.0] * 5, [0.3, 0.9, 0.4, 8.0, 8.0]])
    peaks, rows, lengths = run_peaks(values, labels)
    torch.testing.assert_close(peaks, torch.tensor([0.7, 0.1, 0.9]))
    assert rows.tolist() == [0, 0, 2] and lengths.tolist() == [2, 1, 3]
    assert [len(t) for t in run_peaks(values, torch.zeros(3, 5))] == [0, 0, 0]


def test_peak_targets_score_each_positive_once_and_every_counted_negative_step():
    labels = torch.tensor([[0, 1, 1, 1, 0, 0]], dtype=torch.float32)
    scores = torch.tensor([[0.1, 0.2, 0.95, 0.3, 0.8, 0.4]])
    mask = torch.tensor([[1, 1, 1, 1, 0, 1]], dtype=torch.float32)  # the step after the run is ignored
    values, targets = peak_targets(scores, labels, mask)
    torch.testing.assert_close(values, torch.tensor([0.95, 0.1, 0.4]))
    assert targets.tolist() == [1.0, 0.0, 0.0]
    values, targets = peak_targets(scores, labels)
    torch.testing.assert_close(values, torch.tensor([0.95, 0.1, 0.8, 0.4]))
    assert targets.tolist() == [1.0, 0.0, 0.0, 0.0]


def test_frame_targets_are_every_counted_step_with_its_label():
    labels = torch.tensor([[0, 1, 1, 0]], dtype=torch.float32)
    scores = torch.tensor([[0.1, 0.6, 0.7, 0.9]])
    values, targets = frame_targets(scores, labels, torch.tensor([[1, 1, 1, 0]], dtype=torch.float32))
    torch.testing.assert_close(values, torch.tensor([0.1, 0.6, 0.7]))
    assert targets.tolist() == [0.0, 1.0, 1.0]
    assert frame_targets(scores, labels)[0].shape == (4,)
