"""Model output shape, and labels aligned with the audio from recipe to output step."""

import numpy as np
import torch

from models.triggerword.lecture import TriggerWordModel
from synth.common.catalog import ClipBank
from synth.common.features import Features
from synth.triggerword.labels import label_matrix
from synth.triggerword.recipes import ClipStats, Pools, RecipeSpec, draw_split
from synth.triggerword.render import NumpyRenderer
from tests.helpers.specs import feature_spec, lecture


def test_the_lecture_model_maps_5511_frames_to_1375_steps():
    features = Features(feature_spec(44_100))
    model = TriggerWordModel(lecture(), 101).eval()
    x = features(torch.zeros(2, 441_000))
    assert x.shape == (2, 101, 5511)
    with torch.no_grad():
        assert model(x).shape == (2, 1375)


def test_a_smaller_variant_is_one_edit():
    spec = lecture(conv_filters=32, gru_units=16, gru_layers=1)
    features = Features(feature_spec(16_000, kind="logmel", n_mels=40))
    x = features(torch.zeros(3, 64_000))
    assert TriggerWordModel(spec, 40).eval()(x).shape == (3, spec.output_steps(x.shape[-1]))


def test_spec_augment_masks_only_in_training_mode():
    features = Features(feature_spec(16_000, spec_augment=True))
    audio = torch.randn(1, 16_000)
    features.eval()
    a, b = features(audio), features(audio)
    assert torch.equal(a, b)
    features.train()
    torch.manual_seed(0)
    assert not torch.equal(features(audio), a)


def test_label_ones_start_right_after_the_rendered_word_ends():
    """Render one loud tone-burst 'word' into near silence and find its end in the features."""
    sr, n, ty = 16_000, 64_000, 196
    word = 0.8 * np.sin(2 * np.pi * 1000 * np.arange(int(0.5 * sr)) / sr)
    bank = ClipBank.from_clips([word, np.full(n, 1e-4) * np.sign(np.sin(np.arange(n)))])
    stats = ClipStats(bank.lengths, bank.rms.astype(float), bank.peak.astype(float))
    spec = RecipeSpec(n, (1, 1), (0, 0), 0, (-80.0, -80.0), (40.0, 40.0), 0.0, 1)
    recipes = draw_split("train", 5, Pools(np.array([0]), np.array([], int), np.array([1])), stats, spec, 3, 5, 0)
    audio = NumpyRenderer(bank, [], n, sr).render(recipes)
    labels = label_matrix(recipes.insert_start, recipes.insert_length, recipes.insert_positive, n, ty, 50)
    feats = Features(feature_spec(sr)).eval()(torch.from_numpy(audio)).numpy()  # (5, 101, 798)
    loud = feats.max(axis=1) > feats.max() - 30
    frames = feats.shape[-1]
    for i in range(len(recipes)):
        last_loud_frame = np.flatnonzero(loud[i]).max()
        step_of_end = (last_loud_frame * 80 + 200) * ty // n  # frame -> sample -> output step
        first_one = np.flatnonzero(labels[i]).min()
        assert abs(first_one - (step_of_end + 1)) <= 1, (i, first_one, step_of_end)
        assert frames == 798
