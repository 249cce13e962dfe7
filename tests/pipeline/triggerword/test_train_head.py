"""The head's labels: the steps right after a positive's ones can be left out of the loss."""

import numpy as np
import pytest
import torch

from pipeline.triggerword.train_head import jitter, loss_mask, noise_std, part_labels, steps_per_clip
from synth.triggerword.labels import label_matrix
from tests.helpers.synth_fixtures import make_dataset


def test_ignored_steps_are_exactly_those_after_each_positives_ones(tmp_path):
    data = make_dataset(tmp_path)

    def with_labels(**labels):
        e = data.params.model.embedding.replace(**labels)
        return data.params.replace(model=data.params.model.replace(embedding=e))

    assert loss_mask(with_labels(ignore_after_ones=0), data.recipes) is None  # nothing ignored: the plain mean
    params = with_labels(ones_after_end=2, ignore_after_ones=3)
    r = data.recipes
    mask, labels = loss_mask(params, r), part_labels(params, r)
    wide = label_matrix(
        r.insert_start, r.insert_length, r.insert_positive, params.audio.clip_samples, steps_per_clip(params), 5
    )
    assert mask.shape == labels.shape
    np.testing.assert_array_equal(mask == 0, (wide == 1) & (labels == 0))
    assert (labels[mask == 0] == 0).all() and (mask[labels == 1] == 1).all()  # ones always count
    assert (mask == 0).any()


def test_input_noise_has_the_asked_spread_and_comes_from_its_seed():
    x = torch.ones((64, 40, 96))
    assert jitter(x, 0.0, torch.Generator().manual_seed(1)) is x
    first = jitter(x, 0.3, torch.Generator().manual_seed(1))
    assert abs(float((first - x).std()) - 0.3) < 0.01 and abs(float((first - x).mean())) < 0.01
    assert torch.equal(first, jitter(x, 0.3, torch.Generator().manual_seed(1)))
    assert not torch.equal(first, jitter(x, 0.3, torch.Generator().manual_seed(2)))


def test_the_noise_scale_of_float16_embeddings_is_finite_and_zero_without_noise():
    embeddings = np.full((600, 140, 96), 60.0, np.float16)  # squares overflow a float16 sum
    embeddings[::2] = -60.0
    assert noise_std(0.0, embeddings) == 0.0
    assert noise_std(0.5, embeddings) == np.float32(30.0)


def test_a_cropped_batch_keeps_embeddings_labels_and_mask_aligned(tmp_path):
    """train.head.crop_steps: output step s of a crop is the clip's step start + s, and it sees the same
    `window` embeddings it sees in the whole clip."""
    from pipeline.triggerword.train_head import HeadTrainer

    params = make_dataset(tmp_path).params
    head = params.train.head.replace(crop_steps=5)
    trainer = object.__new__(HeadTrainer)  # only the batch cutting, no data on disk
    trainer.params = params.replace(train=params.train.replace(head=head))
    window, total = params.model.embedding.window, 30
    trainer.train_x = np.arange(4 * (total + window - 1) * 2, dtype=np.float32).reshape(4, total + window - 1, 2)
    trainer.train_y = np.arange(4 * total, dtype=np.float32).reshape(4, total)
    trainer.mask = trainer.train_y + 1000
    rows, starts = np.array([1, 3]), np.array([0, 7, 0, 20])
    x, y, mask = trainer._batch(rows, starts)
    assert x.shape == (2, 5 + window - 1, 2) and y.shape == mask.shape == (2, 5)
    np.testing.assert_array_equal(y, [trainer.train_y[1, 7:12], trainer.train_y[3, 20:25]])
    np.testing.assert_array_equal(mask, y + 1000)
    np.testing.assert_array_equal(x[1], trainer.train_x[3, 20 : 20 + 5 + window - 1])
    whole = trainer._batch(rows, None)
    np.testing.assert_array_equal(whole[1], trainer.train_y[rows])


def test_the_trainers_loss_is_the_one_train_head_loss_names(tmp_path):
    from models.triggerword.peak_loss import frame_bce, peak_bce
    from pipeline.triggerword.train_head import HeadTrainer

    params = make_dataset(tmp_path).params
    logits, labels = torch.randn(4, 12), (torch.rand(4, 12) > 0.7).float()
    weights = torch.tensor([1.0, 1.0, 3.0, 1.0])
    for name, loss in (("frames", frame_bce), ("peak", peak_bce)):
        trainer = object.__new__(HeadTrainer)  # only the loss, no data on disk
        trainer.params = params.replace(train=params.train.replace(head=params.train.head.replace(loss=name)))
        trainer.pos_weight = torch.tensor(2.0)
        expected = (loss(logits, labels, trainer.pos_weight) * weights).sum() / weights.sum()
        torch.testing.assert_close(trainer._loss(logits, labels, weights), expected)
    pos_weight = trainer.pos_weight
    assert not torch.allclose(peak_bce(logits, labels, pos_weight), frame_bce(logits, labels, pos_weight))


def test_under_the_peak_loss_dev_f1_scores_each_positive_by_its_peak(tmp_path):
    """Early stopping must not ask the peak loss's heads for every step of a positive to be high."""
    from pipeline.triggerword.train_head import HeadTrainer

    params = make_dataset(tmp_path).params
    trainer = object.__new__(HeadTrainer)  # a head that passes its one input feature through as the logit
    trainer.head, trainer.device, trainer.pos_weight = torch.nn.Flatten(start_dim=1), "cpu", torch.tensor(2.0)
    trainer.dev_y = np.array([[0, 1, 1, 1, 0, 0], [0, 0, 1, 1, 1, 0]], np.float32)
    trainer.dev_x = np.where(trainer.dev_y > 0, -4.0, -6.0).astype(np.float32)[..., None]
    trainer.dev_x[:, 3] = 4.0  # one confident step inside each positive
    trainer.dev_mask = None
    for loss, recall in (("frames", 1 / 3), ("peak", 1.0)):
        trainer.params = params.replace(train=params.train.replace(head=params.train.head.replace(loss=loss)))
        scores = trainer.score_dev()
        assert scores["dev_recall"] == pytest.approx(recall) and scores["dev_precision"] == 1.0


def test_bfloat16_precision_autocasts_the_training_pass_and_leaves_the_weights_float32(tmp_path):
    from models.triggerword.embedding_head import EmbeddingHead
    from pipeline.triggerword.train_head import HeadTrainer

    params = make_dataset(tmp_path).params
    head = EmbeddingHead(params.model.embedding)
    x = torch.randn(2, params.model.embedding.window + 3, 96)
    for precision, dtype in (("float32", torch.float32), ("bfloat16", torch.bfloat16)):
        trainer = object.__new__(HeadTrainer)  # only the autocast choice, no data on disk
        profile = params.train.head.replace(precision=precision)
        trainer.params, trainer.device = params.replace(train=params.train.replace(head=profile)), torch.device("cpu")
        trainer.bfloat16 = precision == "bfloat16"  # the autocast path itself, whatever this CPU has
        with trainer._autocast():
            logits = head(x)
        assert logits.dtype == dtype and logits.shape == (2, 4)
        logits.float().sum().backward()
        assert all(p.dtype == torch.float32 and p.grad.dtype == torch.float32 for p in head.parameters())
        head.zero_grad(set_to_none=True)
    assert head(x).dtype == torch.float32  # scoring outside training: float32


@pytest.mark.parametrize(
    ("avx512_bf16", "amx", "expected"), [(False, False, False), (True, False, True), (False, True, True)]
)
def test_bfloat16_trains_only_where_the_hardware_has_it(monkeypatch, caplog, avx512_bf16, amx, expected):
    from pipeline.triggerword.train_head import uses_bfloat16

    monkeypatch.setattr(torch.cpu, "_is_avx512_bf16_supported", lambda: avx512_bf16)
    monkeypatch.setattr(torch.cpu, "_is_amx_tile_supported", lambda: amx)
    assert uses_bfloat16("bfloat16", torch.device("cpu")) is expected
    assert ("float32" in caplog.text) is not expected  # the fallback is said
    assert uses_bfloat16("bfloat16", torch.device("cuda")) and not uses_bfloat16("float32", torch.device("cuda"))
