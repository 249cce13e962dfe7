"""The data-value study against groups whose worth is known: on a copy of the small project, clips of pure
noise filed as the positive word (leaving them out must help beyond the noise band) and copies of training
positives (nothing new in them: leaving them out must stay within noise)."""

import io
import json
import shutil
import tarfile

import numpy as np
import pandas as pd
import pytest
import soundfile as sf
import yaml

from pipeline.triggerword.studies.data_value_summary import UNSEEN_VOICE
from tests.helpers.project import run, small_params

NOISE_CLIPS, COPIES = 160, 8
RATE = 16000


def write_archive(path, clips: dict[str, bytes]) -> None:
    """A Speech Commands-style .tar.gz: activate/<speaker>_nohash_0.wav for every (speaker, wav bytes)."""
    with tarfile.open(path, "w:gz") as tar:
        for speaker, data in clips.items():
            member = tarfile.TarInfo(f"activate/{speaker}_nohash_0.wav")
            member.size = len(data)
            tar.addfile(member, io.BytesIO(data))


def noise_wav(rng: np.random.Generator) -> bytes:
    """0.6 s of white noise at a speech-like level."""
    out = io.BytesIO()
    sf.write(out, (0.1 * rng.standard_normal(int(0.6 * RATE))).clip(-1, 1).astype(np.float32), RATE, format="WAV")
    return out.getvalue()


def training_positives(root) -> list:
    """Catalog files of positives the small project put in its training split."""
    catalog = pd.read_parquet(root / "data/catalog/catalog.parquet")
    splits = pd.read_parquet(root / "data/synth/clip_splits.parquet")[["clip_index", "split"]]
    clips = catalog.merge(splits, on="clip_index")
    train = clips[(clips["kind"] == "positive") & (clips["split"] == "train")]
    return [root / "data/catalog" / p for p in train["path"]]


@pytest.fixture(scope="module")
def planted_project(small_project, tmp_path_factory):
    root = tmp_path_factory.mktemp("planted") / "project"
    shutil.copytree(small_project, root, symlinks=True)
    rng = np.random.default_rng(7)
    write_archive(root / "noise.tar.gz", {f"noise{i}": noise_wav(rng) for i in range(NOISE_CLIPS)})
    originals = training_positives(root)[:COPIES]
    write_archive(root / "copies.tar.gz", {f"copy{i}": path.read_bytes() for i, path in enumerate(originals)})
    overrides = {
        "collect": {"archives": [{"url": "noise.tar.gz", "name": "noise"}, {"url": "copies.tar.gz", "name": "copies"}]},
        "synthesise": {"holdout": {"train": ["archive:noise", "archive:copies"]}},  # heard in training only
        "audit": {"sources": ["tts:espeak-ng"]},  # the recogniser would drop the noise: it has to reach training
        "data_value": {"seeds": [0, 1, 2], "epochs": 8, "learning_curve": {"fractions": [], "speakers": []}},
    }
    params = yaml.safe_load(small_params(overrides))
    params["data_value"]["groups"] = {"noise": ["archive:noise"], "copies": ["archive:copies"]}  # these two only
    (root / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    run(["dvc", "repro", "studies/dvc.yaml:data_value"], cwd=root, threads=2)
    return root


def test_leaving_out_planted_noise_helps_and_leaving_out_copies_is_within_noise(planted_project):
    summary = json.loads((planted_project / "reports/metrics/data_value.json").read_text())
    rows = {r["arm"]: r for r in summary["rows"]}
    assert rows["noise"]["removed_inserts_positive"] > 0 and rows["copies"]["removed_inserts_positive"] > 0
    assert rows["noise"][f"{UNSEEN_VOICE}_verdict"].startswith("lower"), rows["noise"]
    assert rows["copies"][f"{UNSEEN_VOICE}_verdict"].startswith("within noise"), rows["copies"]
    assert summary["baseline"][UNSEEN_VOICE]["spread"] is not None
