"""Loading a trained trigger-word model: never unpickles, and a bad file is one clear error naming it."""

import dataclasses
import pickle

import numpy as np
import pytest
import torch

from models.triggerword.embedding_head import EmbeddingHead
from models.triggerword.inference import ModelFileError, load_detector
from models.triggerword.lecture import TriggerWordModel
from tests.helpers.specs import embedding_spec, feature_spec, lecture


def save_model(path, n_features: int = 101) -> None:
    spec = lecture(conv_filters=8, gru_units=8, gru_layers=1)
    model = TriggerWordModel(spec, n_features)
    features = feature_spec(16_000)
    state = {
        "model": model.state_dict(),
        "model_spec": spec.model_dump(),
        "n_features": n_features,
        "features": dataclasses.asdict(features),
        "labels": {"ty": 196, "ones_after_end": 50},
        "clip_samples": 64_000,
    }
    torch.save(state, path)


def test_a_saved_model_loads_with_its_front_end(tmp_path):
    save_model(tmp_path / "model.pt")
    detector = load_detector(tmp_path / "model.pt")
    assert detector.sample_rate == 16_000 and detector.ty == 196
    assert detector.probabilities(torch.zeros(2, 64_000).numpy()).shape == (2, 196)


class Payload:
    def __reduce__(self):
        return (print, ("this must never run",))


@pytest.mark.parametrize("kind", ["garbage", "truncated", "pickled object", "other checkpoint"])
def test_a_bad_model_file_is_one_error_naming_it(tmp_path, kind, capsys):
    path = tmp_path / "model.pt"
    if kind == "garbage":
        path.write_bytes(b"not a model at all")
    elif kind == "truncated":
        save_model(path)
        path.write_bytes(path.read_bytes()[:2000])
    elif kind == "pickled object":
        path.write_bytes(pickle.dumps({"model": Payload()}))
    else:
        torch.save({"state_dict": {}}, path)
    with pytest.raises(ModelFileError, match=f"{path}: not a trigger-word model"):
        load_detector(path)
    assert "must never run" not in capsys.readouterr().out


def test_a_missing_model_names_the_stage_to_run(tmp_path):
    with pytest.raises(FileNotFoundError, match="dvc repro train"):
        load_detector(tmp_path / "absent.pt")


def save_embedding_model(path, window: int = 4) -> None:
    spec = embedding_spec(window=window, hidden=8)
    head = EmbeddingHead(spec)
    state = {
        "family": "embedding",
        "model": head.state_dict(),
        "model_spec": spec.model_dump(),
        "sample_rate": 22_050,
        "clip_samples": 44_100,
        "evaluate": {},
    }
    torch.save(state, path)


def test_an_embedding_model_loads_and_scores_audio_at_its_own_rate(tmp_path):
    save_embedding_model(tmp_path / "model.pt")
    detector = load_detector(tmp_path / "model.pt")
    assert detector.family == "embedding" and detector.sample_rate == 22_050
    assert detector.ty == 25  # 2 s: one step per 80 ms
    rng = np.random.default_rng(0)
    probs = detector.probabilities(rng.uniform(-0.1, 0.1, (2, 44_100)).astype(np.float32))
    assert probs.shape == (2, 25) and ((probs >= 0) & (probs <= 1)).all()


def test_weights_that_do_not_fit_their_settings_are_one_error(tmp_path):
    save_embedding_model(tmp_path / "model.pt")
    state = torch.load(tmp_path / "model.pt", weights_only=True)
    state["model_spec"]["hidden"] = 16  # the saved weights are 8 wide
    torch.save(state, tmp_path / "model.pt")
    with pytest.raises(ModelFileError, match="weights do not fit"):
        load_detector(tmp_path / "model.pt")


def test_a_checkpoint_of_an_unknown_family_is_refused(tmp_path):
    save_embedding_model(tmp_path / "model.pt")
    state = torch.load(tmp_path / "model.pt", weights_only=True)
    state["family"] = "transformer"
    torch.save(state, tmp_path / "model.pt")
    with pytest.raises(ModelFileError, match="not a trigger-word model of this version"):
        load_detector(tmp_path / "model.pt")
