"""The identity stages on faces: identity folders of real photos -> aligned chips -> mined triplets
-> a small CNN trained -> metrics vs dlib's pretrained encoder -> report; and the CLI's face errors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from PIL import Image

from pipeline.common.params import merge
from tests.helpers.project import run, small_params

OPENCV_DOC = Path("/usr/share/doc/opencv-doc")
PHOTOS = {"messi": OPENCV_DOC / "examples/data/messi5.jpg", "portrait": OPENCV_DOC / "opencv4/html/face_swapped.jpg"}
STAGES = ["collect", "mine", "train", "evaluate", "report"]  # pipeline/identity/<stage>.py


def variants(image: np.ndarray):
    """12 views of one photo: mirrored or not, three exposures, two scales."""
    for flip in (False, True):
        for gain in (0.8, 1.0, 1.2):
            for scale in (1.0, 0.85):
                view = image[:, ::-1] if flip else image
                view = np.clip(view.astype(np.float32) * gain, 0, 255).astype(np.uint8)
                h, w = view.shape[:2]
                yield np.asarray(Image.fromarray(view).resize((int(w * scale), int(h * scale))))


@pytest.fixture(scope="module")
def face_project(tmp_path_factory) -> Path:
    for path in PHOTOS.values():
        if not path.is_file():
            pytest.skip(f"{path} is missing: install Debian's opencv-doc package for real face photos")
    root = tmp_path_factory.mktemp("faces_project")
    people = root / "people"
    for name, path in PHOTOS.items():
        image = np.asarray(Image.open(path).convert("RGB"))
        for i, view in enumerate(variants(image)):
            (people / name).mkdir(parents=True, exist_ok=True)
            Image.fromarray(view).save(people / name / f"{i:02d}.jpg", quality=92)
    params = yaml.safe_load(small_params())
    params["identity"] = merge(
        params["identity"],
        {
            "source": "faces",
            "faces": {"root": str(people), "size": 150, "on_no_face": "skip", "small_identities": "error"},
            "split_fractions": {"train": 0.5, "dev": 0.25, "test": 0.25},
            "max_items": 0,
            "encoder": {"image_backbone": "small_cnn", "image_size": 64, "dim": 32},
            "train": {"epochs": 2, "steps_per_epoch": 3, "batch_p": 2, "batch_k": 3, "triplet_batch": 8},
            "evaluate": {"folds": 2, "negatives": 40, "k_max": 4, "worst": 2},
        },
    )
    (root / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    for stage in STAGES:
        run(["python", "-m", f"pipeline.identity.{stage}"], cwd=root)
    return root


def test_face_stages_compare_with_the_dlib_baseline(face_project):
    items = (face_project / "data/identity/meta.json").read_text()
    assert json.loads(items)["modality"] == "image"
    chips = np.load(face_project / "data/identity/items.npy")
    assert chips.shape[1:] == (150, 150, 3) and chips.dtype == np.uint8
    table = pd.read_parquet(face_project / "data/identity/items.parquet")
    assert len(table) == len(chips) and 16 <= len(chips) <= 24  # messi's small face is lost in some shrunk views
    metrics = json.loads((face_project / "reports/metrics/identity.json").read_text())
    # dlib's pretrained encoder separates two different men on mirrored / re-exposed copies of one photo.
    assert metrics["baseline"]["verification"]["auc"] == pytest.approx(1.0)
    assert metrics["baseline"]["identification"]["rank1"] == 1.0
    assert {"trained", "untrained"} <= set(metrics)
    page = (face_project / "reports/identity/index.html").read_text()
    assert "data:image/jpeg;base64," in page and "Per identity" in page


def test_cli_face_errors_name_the_file(face_project, tmp_path):
    cli = ["python", "-m", "pipeline.identity.cli"]
    unreadable = tmp_path / "notes.jpg"
    unreadable.write_text("not an image")
    failed = run(cli + ["identify", str(unreadable)], cwd=face_project, check=False)
    assert failed.returncode == 1 and "notes.jpg" in failed.stderr and "Traceback" not in failed.stderr
    blank = tmp_path / "wall.png"
    Image.fromarray(np.full((200, 200, 3), 128, np.uint8)).save(blank)
    failed = run(cli + ["verify", str(blank), "--as", "messi"], cwd=face_project, check=False)
    assert failed.returncode == 1 and "wall.png: no face found" in failed.stderr
    known = run(
        cli + ["verify", str(face_project / "people/messi/00.jpg"), "--as", "messi", "--threshold", "4"],
        cwd=face_project,
    )
    assert "ACCEPT" in known.stdout
