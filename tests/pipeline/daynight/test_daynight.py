"""Day/night case study: splits, seeded augmentation, the study engine, bad input, a tiny training run.

Fixtures are small generated images, not the Debian packages (those run in `small_project`).
"""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pandas as pd
import pytest
import yaml

from models.daynight.cnn import TrainConfig, predict, to_tensor, train
from pipeline.common.io import DataError
from pipeline.common.params import Params, ParamsError, build, merge
from pipeline.common.params.daynight import DayNightParams
from pipeline.daynight.collect import make_rows, portable_path, read_photo
from pipeline.daynight.sources import Photo, folder_photos, licence_for
from synth.common.studies import PowerLaw, fit_power_law, smallest_sufficient, wilson_interval
from synth.daynight.images import augment, split_sources
from tests.helpers.project import REPO


def daynight_params(**overrides) -> DayNightParams:
    """params.yaml with a small daynight section (nested overrides merge into it)."""
    raw = yaml.safe_load((REPO / "params.yaml").read_text())
    raw["daynight"] = merge(raw["daynight"], {"size": 64, "variants_per_class": 2, **overrides})
    return build(Params, raw).daynight


def photo(i: int, size: int = 64) -> np.ndarray:
    """A colourful textured 'photo' with its own hue."""
    rng = np.random.default_rng(i)
    base = np.array([60 + 30 * (i % 5), 120, 200 - 20 * (i % 4)], dtype=np.float32)
    return np.clip(base + rng.normal(0, 25, (size, size, 3)), 0, 255).astype(np.uint8)


def photos(n: int, night: int = 1) -> list[tuple[Photo, np.ndarray]]:
    return [
        (Photo(Path(f"/x/p{i}.jpg"), f"pkg/p{i}", "pkg", "CC0", "night" if i < night else "day", False), photo(i))
        for i in range(n)
    ]


def test_variants_never_cross_splits(tmp_path):
    rows = pd.DataFrame(make_rows(photos(10), daynight_params(), seed=3, out=tmp_path))
    assert rows.groupby("photo_id")["split"].nunique().max() == 1
    assert set(rows["split"]) == {"train", "dev", "test", "real_night"}
    assert (rows.loc[rows["split"] == "real_night", "synthetic"] == False).all()  # noqa: E712
    balance = rows[rows["split"] != "real_night"].groupby("label").size()
    assert balance["day"] == balance["night"]
    assert rows["image_id"].is_unique and all((tmp_path / p).is_file() for p in rows["path"])
    assert set(rows.loc[rows["synthetic"], "recipe"].map(lambda r: json.loads(r)["pipeline"])) == {"day", "night"}


def test_split_sources_is_seeded_and_covers_all_splits():
    ids = [f"p{i}" for i in range(20)]
    a = split_sources(ids, {"train": 0.6, "dev": 0.2, "test": 0.2}, seed=1)
    assert a == split_sources(list(reversed(ids)), {"train": 0.6, "dev": 0.2, "test": 0.2}, seed=1)
    assert sorted(a.values()).count("dev") == 4 and set(a.values()) == {"train", "dev", "test"}


def test_augmentation_is_byte_identical_from_a_seed(tmp_path):
    params = daynight_params()
    image = photo(1)
    for kind in ("day", "night"):
        first = augment(image, params.pipelines[kind], seed=42)
        assert first.tobytes() == augment(image, params.pipelines[kind], seed=42).tobytes()
        assert first.tobytes() != augment(image, params.pipelines[kind], seed=43).tobytes()
    night = augment(image, params.pipelines["night"], seed=42)
    assert night.mean() < image.mean() - 20 and night[..., 2].mean() >= night[..., 0].mean()  # darker, bluer
    make_rows(photos(4), params, seed=5, out=tmp_path / "a")
    make_rows(photos(4), params, seed=5, out=tmp_path / "b")
    files = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*.jpg"))
    assert files and all((tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes() for f in files)


def test_smallest_sufficient_resolution():
    table = [
        {"resolution": 16, "accuracy": 0.80},
        {"resolution": 32, "accuracy": 0.93},
        {"resolution": 64, "accuracy": 0.95},
        {"resolution": 128, "accuracy": 0.95},
    ]
    assert smallest_sufficient(table, 0.02)["resolution"] == 32
    assert smallest_sufficient(table, 0.0)["resolution"] == 64  # a tie goes to the cheaper rung
    assert smallest_sufficient(table, 0.2)["resolution"] == 16
    assert smallest_sufficient(table, 0.019)["resolution"] == 64
    with pytest.raises(ValueError):
        smallest_sufficient([], 0.01)


def test_wilson_interval_known_values():
    low, high = wilson_interval(8, 10)
    assert low == pytest.approx(0.4902, abs=1e-4) and high == pytest.approx(0.9433, abs=1e-4)
    assert wilson_interval(0, 20)[0] == 0.0 and 0 < wilson_interval(0, 20)[1] < 0.2
    assert wilson_interval(20, 20)[1] == 1.0 and wilson_interval(0, 0) == (0.0, 1.0)


def test_power_law_fit_recovers_parameters():
    sizes = [50, 100, 200, 400, 800]
    law = fit_power_law(sizes, [2.0 * n**-0.5 for n in sizes])
    assert law.a == pytest.approx(2.0, rel=1e-6) and law.b == pytest.approx(0.5, rel=1e-6)
    assert law.examples_for(0.9) == pytest.approx(400.0, rel=1e-6)  # 2 / sqrt(400) = 0.1
    assert PowerLaw(1.0, -0.1).examples_for(0.9) == float("inf")


def _user_folder(root: Path, day: list[np.ndarray], night: list[np.ndarray]) -> Path:
    for label, images in (("day", day), ("night", night)):
        (root / label).mkdir(parents=True, exist_ok=True)
        for i, image in enumerate(images):
            cv2.imwrite(str(root / label / f"{i}.png"), image)
    return root


def test_unreadable_image_is_an_error_naming_the_file(tmp_path):
    bad = tmp_path / "day" / "broken.jpg"
    bad.parent.mkdir()
    bad.write_bytes(b"not a jpeg")
    with pytest.raises(DataError, match="broken.jpg.*unreadable"):
        read_photo(Photo(bad, "u/broken", "folder:u", "user", "day", True), 64)


def test_grey_scale_image_is_refused_not_converted(tmp_path):
    root = _user_folder(tmp_path / "mine", [photo(1)], [photo(2)])
    grey = root / "day" / "grey.png"
    cv2.imwrite(str(grey), cv2.cvtColor(photo(3), cv2.COLOR_BGR2GRAY))
    (p,) = [p for p in folder_photos(root) if p.path == grey]
    with pytest.raises(DataError, match="grey.png.*grey-scale"):
        read_photo(p, 64)
    rgb_grey = root / "day" / "grey3.png"
    cv2.imwrite(str(rgb_grey), np.repeat(cv2.cvtColor(photo(3), cv2.COLOR_BGR2GRAY)[..., None], 3, axis=2))
    with pytest.raises(DataError, match="grey3.png.*grey-scale"):
        read_photo(Photo(rgb_grey, "x", "folder:mine", "user", "day", True), 64)


def test_empty_class_folder_is_an_error(tmp_path):
    root = _user_folder(tmp_path / "mine", [photo(1)], [])
    with pytest.raises(DataError, match=r"night: no \.jpg"):
        folder_photos(root)
    with pytest.raises(DataError, match="day/ and night/"):
        folder_photos(tmp_path / "nothing")


def test_bad_params_name_the_param():
    with pytest.raises(ParamsError, match="daynight.study.epsilon"):
        daynight_params(study={"epsilon": 2.0})
    with pytest.raises(ParamsError, match="daynight.pipelines"):
        daynight_params(pipelines={"day": {"transform": "not a mapping"}})
    with pytest.raises(ParamsError, match="daynight.study.resolutions"):
        daynight_params(study={"resolutions": [16, 512]})


def test_tiny_training_run_beats_chance():
    rng = np.random.default_rng(0)
    day = [np.clip(photo(i, 16).astype(int) + rng.integers(-30, 30), 0, 255) for i in range(40)]
    night = [(d * 0.35).astype(np.uint8) for d in day[::-1]]
    x = to_tensor(np.stack([d.astype(np.uint8) for d in day] + night))
    y = torch_labels([0] * 40 + [1] * 40)
    idx = rng.permutation(80)
    tr, te = idx[:56], idx[56:]
    result = train(
        x[tr],
        y[tr],
        x[te],
        y[te],
        TrainConfig(epochs=15, batch_size=16, learning_rate=3e-3, width=8, blocks=2, seed=0, device="cpu"),
    )
    accuracy = ((predict(result.model, x[te]) >= 0.5) == y[te].numpy().astype(bool)).mean()
    assert accuracy >= 0.8 and len(result.history) == 15


def torch_labels(values: list[int]):
    import torch

    return torch.tensor(values, dtype=torch.float32)


def test_pipeline_writes_the_manifest_contract_and_report(small_project):
    frame = pd.read_parquet(small_project / "data/daynight/images.parquet")
    for column, kind in (
        ("image_id", str),
        ("path", str),
        ("label", str),
        ("split", str),
        ("source", str),
        ("recipe", str),
    ):
        assert column in frame and all(isinstance(v, kind) for v in frame[column])
    assert frame["image_id"].is_unique and frame["synthetic"].dtype == bool
    assert set(frame["label"]) <= {"day", "night"} and set(frame["split"]) <= {"train", "dev", "test", "real_night"}
    assert ((frame["recipe"] == "") == ~frame["synthetic"]).all()
    image = cv2.imread(str(small_project / "data/daynight" / frame["path"].iloc[0]))
    assert image.ndim == 3 and min(image.shape[:2]) >= 64
    studies = json.loads((small_project / "reports/metrics/daynight_studies.json").read_text())
    assert studies["recommended_resolution"] in (16, 32)
    html = (small_project / "reports/daynight/index.html").read_text()
    assert "Misclassified images" in html and "<script" not in html and "http" not in html.split("</style>")[1]


def test_licence_comes_from_the_most_specific_copyright_stanza():
    stanzas = [(["*"], "GPL-2+"), (["20.04/Kleiber.jpg", "x/*.png"], "CC-BY-SA-3.0")]
    assert licence_for(Path("/usr/share/backgrounds/Kleiber.jpg"), stanzas) == "CC-BY-SA-3.0"
    assert licence_for(Path("/usr/share/backgrounds/x/a.png"), stanzas) == "CC-BY-SA-3.0"
    assert licence_for(Path("/usr/share/backgrounds/other.jpg"), stanzas) == "GPL-2+"


def test_a_photo_inside_the_environment_is_recorded_relative_to_it(tmp_path):
    import sys

    inside = Path(sys.prefix) / "lib" / "sample.jpg"
    assert portable_path(inside) == "<python>/lib/sample.jpg"  # the same in every checkout
    assert portable_path(tmp_path / "photo.jpg") == str(tmp_path / "photo.jpg")
