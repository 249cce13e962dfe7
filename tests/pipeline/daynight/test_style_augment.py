"""Style augmentation of the day/night training set (pipeline/daynight/stylize.py, daynight_train_styled)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
import yaml

from pipeline.common.params import ParamsError, load_params
from pipeline.daynight.stylize import COLUMNS, augment_style_config, check_styles, select, stylize_rows
from pipeline.daynight.train_styled import compare, delta_block
from synth.common.imagenet import WeightsNotFound
from synth.common.studies import wilson_interval
from synth.common.style_transfer import extractor_for
from tests.helpers.project import REPO
from tests.helpers.specs import style_config


def manifest(n_photos: int = 6) -> pd.DataFrame:
    rows = []
    splits = ["train", "train", "train", "dev", "test", "train"]
    for p in range(n_photos):
        for label in ("day", "night"):
            for v in range(2):
                split = splits[p % len(splits)]
                image_id = f"pkg_photo{p}--{label}{v}"
                rows.append(
                    {
                        "image_id": image_id,
                        "path": f"images/{split}/{image_id}.jpg",
                        "label": label,
                        "split": split,
                        "source": "pkg",
                        "synthetic": v > 0,
                        "recipe": "",
                        "photo_id": f"pkg/photo{p}",
                        "licence": "CC0",
                        "original_path": "/x.jpg",
                        "brightness": 0.5,
                    }
                )
    rows.append(
        {
            **rows[0],
            "image_id": "real_night_0",
            "path": "images/real_night/real_night_0.jpg",
            "label": "night",
            "split": "real_night",
        }
    )
    return pd.DataFrame(rows)


def test_selection_is_deterministic_balanced_and_train_only():
    frame = manifest()
    first = select(frame, 0.5, ("starry_night", "graf1"), seed=3)
    again = select(frame.sample(frac=1.0, random_state=1), 0.5, ("starry_night", "graf1"), seed=3)
    assert first.equals(again)  # the manifest's row order does not matter
    assert (first["split"] == "train").all()
    train = frame[frame["split"] == "train"]
    for label in ("day", "night"):
        assert (first["label"] == label).sum() == round(0.5 * (train["label"] == label).sum())
    assert set(first["style"]) == {"starry_night", "graf1"}
    assert abs((first["style"] == "graf1").sum() - (first["style"] == "starry_night").sum()) <= 1
    other = select(frame, 0.5, ("starry_night", "graf1"), seed=4)
    assert set(other["image_id"]) != set(first["image_id"]) or not other["style"].equals(first["style"])
    assert len(select(frame, 1.0, ("graf1",), seed=3)) == len(train)


def test_augment_settings_are_separate_from_the_gallery_settings(tmp_path):
    raw = yaml.safe_load((REPO / "params.yaml").read_text())
    raw["style"].update(steps=7, augment={"share": 0.5, "styles": ["graf1"], "steps": 2, "size": 32})
    params = tmp_path / "params.yaml"
    params.write_text(yaml.safe_dump(raw))
    style = load_params(params).style
    assert style.transfer().steps == 7
    assert (style.augment.share, style.augment.steps, style.augment.size) == (0.5, 2, 32)
    config = augment_style_config(style, seed=11)
    assert (config.steps, config.size, config.seed) == (2, 32, 11)
    for bad in ({"share": 0}, {"steps": 0}, {"colour": 1}):
        raw["style"]["augment"] = {"share": 0.5, "styles": ["graf1"], "steps": 2, "size": 32, **bad}
        params.write_text(yaml.safe_dump(raw))
        with pytest.raises(ParamsError, match="style.augment"):
            load_params(params)
    with pytest.raises(ParamsError, match="style.augment.styles: unknown"):
        check_styles(style.augment.replace(styles=("mona_lisa",)))


def write_images(frame: pd.DataFrame, root: Path) -> None:
    from PIL import Image

    rng = np.random.default_rng(0)
    for rel, label in zip(frame["path"], frame["label"]):
        level = 200 if label == "day" else 40
        pixels = np.clip(level + rng.normal(0, 20, (40, 48, 3)), 0, 255).astype(np.uint8)
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(pixels).save(root / rel)


def test_stylized_manifest_and_recipes(tmp_path):
    try:
        config = style_config(steps=2, size=32, seed=5)
        extractor = extractor_for(config)
    except WeightsNotFound as exc:
        pytest.skip(str(exc))
    frame = manifest(3)
    write_images(frame, tmp_path / "in")
    chosen = select(frame, 0.25, ("starry_night", "graf1"), seed=1)
    g = torch.Generator().manual_seed(0)
    styles = {"starry_night": torch.rand(1, 3, 32, 32, generator=g), "graf1": torch.rand(1, 3, 24, 32, generator=g)}
    styled = stylize_rows(chosen, tmp_path / "in", tmp_path / "out", styles, config, extractor)
    assert list(styled.columns) == COLUMNS and list(styled.columns) == list(manifest().columns)
    assert len(styled) == len(chosen) > 0
    assert (styled["split"] == "train").all() and styled["synthetic"].all()
    assert styled["label"].tolist() == chosen["label"].tolist()
    assert styled["source"].tolist() == [f"style:{s}" for s in chosen["style"]]
    assert styled["image_id"].is_unique
    for row, content in zip(styled.itertuples(), chosen.itertuples()):
        recipe = json.loads(row.recipe)
        assert recipe["content"] == content.image_id and recipe["style"] == content.style
        assert (recipe["steps"], recipe["size"], recipe["seed"]) == (2, 32, 5)
        assert (recipe["alpha"], recipe["beta"]) == (config.alpha, config.beta)
        from PIL import Image

        with Image.open(tmp_path / "out" / row.path) as image:
            assert max(image.size) == 32
    again = stylize_rows(chosen, tmp_path / "in", tmp_path / "again", styles, config, extractor)
    assert again.drop(columns="brightness").equals(styled.drop(columns="brightness"))


def block(correct: int, n: int) -> dict:
    low, high = wilson_interval(correct, n)
    return {"n": n, "correct": correct, "accuracy": correct / n, "ci_low": low, "ci_high": high}


def test_comparison_and_verdict():
    baseline = {"test": block(69, 80), "real_night": block(1, 4)}
    styled = {"test": block(70, 80), "real_night": block(2, 4)}
    report = compare(baseline, styled)
    assert report["delta"]["real_night"]["points"] == 25.0
    assert not report["delta"]["real_night"]["significant"]
    assert report["verdict"].startswith("robustness on real night photos: +25.0 points (n=4")
    assert report["verdict"].endswith("not significant)")
    big = delta_block(block(950, 1000), block(500, 1000))
    assert big["significant"] and big["ci_low_points"] > 0
