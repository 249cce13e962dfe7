"""Derived pandas frames the validate stage's expectations run on.

Each rule of pipeline/triggerword/validation/expectations.py is a standard Great Expectations expectation on one of
these frames: one row per catalog clip, insert, example, labelled example, split group, clip use
and rendered example. Lookups of clips the catalog lacks give MISSING / NaN rather than raising,
so a broken recipe shows up as an unexpected value, not as a crash.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from pipeline.common.catalog import CATALOG_DIR, load_bank
from pipeline.common.io import DataError
from pipeline.common.params import Params
from pipeline.triggerword.datasets import SynthData, renderer
from synth.common.splits import SPLITS
from synth.triggerword import labels as synth_labels  # module reference: tests monkeypatch label_matrix
from synth.triggerword.recipes import Recipes

LABEL_SAMPLE_LIMIT = 20_000  # labels are checked for all recipes up to this, else for a sample
LABEL_CHUNK = 1024  # examples per label_matrix call: bounds its (n, K, Ty) temporary
MISSING = "<missing>"  # what a lookup of a clip the catalog (or clip_splits) lacks returns
CATALOG_COLUMNS = [
    "clip_index",
    "clip_id",
    "kind",
    "split_group",
    "sample_rate",
    "num_samples",
    "duration_s",
    "rms",
    "peak",
    "sha256",
    "licence",
]


def read_clip_splits(synth_dir: str | Path) -> pd.DataFrame:
    path = Path(synth_dir) / "clip_splits.parquet"
    if not path.exists():
        raise DataError(f"{path}: not found; run the synthesise stage first (dvc repro synthesise)")
    return pd.read_parquet(path)


def sample_rows(n: int, count: int, seed: int, salt: int) -> np.ndarray:
    """All rows when count >= n, else `count` rows drawn deterministically from (seed, salt), sorted."""
    if count >= n:
        return np.arange(n)
    rng = np.random.default_rng(np.random.SeedSequence([seed, salt]))
    return np.sort(rng.choice(n, count, replace=False))


def build_frames(
    params: Params, data: SynthData, clip_splits: pd.DataFrame, catalog_dir: str | Path = CATALOG_DIR
) -> dict[str, pd.DataFrame]:
    """Every frame a suite validates, by name."""
    recipes, catalog = data.recipes, data.catalog
    clip_split = clip_split_per_row(catalog, clip_splits)
    return {
        "catalog": catalog[CATALOG_COLUMNS].copy(),
        "inserts": insert_frame(recipes, catalog),
        "examples": example_frame(recipes, catalog, params.audio.clip_samples),
        "labels": label_frame(recipes, params),
        "split_groups": split_group_frame(catalog, clip_split),
        "split_usage": split_usage_frame(recipes, catalog, clip_split),
        "rendered": rendered_frame(params, data, catalog_dir),
    }


def _lookup(values, index: np.ndarray, fill) -> np.ndarray:
    """values[index] where index names a row, `fill` elsewhere."""
    values = np.asarray(values)
    index = np.asarray(index, np.int64)
    ok = (index >= 0) & (index < len(values))
    out = np.full(len(index), fill, dtype=object if isinstance(fill, str) else np.float64)
    out[ok] = values[index[ok]]
    return out


def _split_names(recipes: Recipes) -> np.ndarray:
    return np.array(SPLITS, dtype=object)[recipes.split.astype(np.int64)]


def clip_split_per_row(catalog: pd.DataFrame, clip_splits: pd.DataFrame) -> np.ndarray:
    """The split synthesise gave each catalog row (MISSING where clip_splits lacks the row)."""
    by_index = clip_splits.drop_duplicates("clip_index").set_index("clip_index")["split"].astype(object)
    return by_index.reindex(np.arange(len(catalog))).fillna(MISSING).to_numpy(object)


def insert_frame(recipes: Recipes, catalog: pd.DataFrame) -> pd.DataFrame:
    """One row per insert. gap_samples = start - end of the previous insert of the same example
    (NaN for the first one): inserts are stored in time order with the padding last."""
    rows, slots = np.nonzero(recipes.insert_mask)
    start, length = recipes.insert_start, recipes.insert_length
    end = start + length
    previous_end = np.concatenate([np.full((len(recipes), 1), np.nan), end[:, :-1]], axis=1)
    clip = recipes.insert_clip[rows, slots]
    positive = recipes.insert_positive[rows, slots]
    return pd.DataFrame(
        {
            "example_id": recipes.example_id[rows],
            "slot": slots,
            "split": _split_names(recipes)[rows],
            "clip_index": clip,
            "clip_id": _lookup(catalog["clip_id"], clip, MISSING),
            "positive": positive,
            "start": start[rows, slots],
            "length": length[rows, slots],
            "end": end[rows, slots],
            "gap_samples": (start - previous_end)[rows, slots],
            "kind": _lookup(catalog["kind"], clip, MISSING),
            "expected_kind": np.where(positive, "positive", "negative").astype(object),
            "clip_num_samples": _lookup(catalog["num_samples"], clip, np.nan),
        }
    )


def example_frame(recipes: Recipes, catalog: pd.DataFrame, clip_samples: int) -> pd.DataFrame:
    """One row per example: insert counts and the background window."""
    background = recipes.background_clip
    n_positives = recipes.n_positives
    return pd.DataFrame(
        {
            "example_id": recipes.example_id,
            "split": _split_names(recipes),
            "n_positives": n_positives,
            "n_negatives": recipes.n_negatives,
            "has_positive": n_positives > 0,
            "background_clip": background,
            "background_kind": _lookup(catalog["kind"], background, MISSING),
            "background_offset": recipes.background_offset,
            "background_end": recipes.background_offset + clip_samples,
            "background_length": _lookup(catalog["num_samples"], background, np.nan),
        }
    )


def expected_labels(
    insert_start: np.ndarray,
    insert_length: np.ndarray,
    insert_positive: np.ndarray,
    clip_samples: int,
    ty: int,
    ones_after_end: int,
) -> np.ndarray:
    """The lecture's labels, computed independently of synth.triggerword.labels: each positive ending at
    step e = int(end_sample * Ty / clip_samples) sets y[e+1 : e+1+ones_after_end] = 1 (a slice,
    so clipped at Ty). Built from +1/-1 marks and a cumulative sum. -> bool (n, ty)."""
    rows, slots = np.nonzero(insert_positive)
    end_sample = insert_start[rows, slots] + insert_length[rows, slots]
    end_step = (end_sample * ty / clip_samples).astype(np.int64)
    first = np.clip(end_step + 1, 0, ty)
    stop = np.clip(end_step + 1 + ones_after_end, 0, ty)
    marks = np.zeros((insert_positive.shape[0], ty + 1), np.int32)
    np.add.at(marks, (rows, first), 1)
    np.add.at(marks, (rows, stop), -1)
    return np.cumsum(marks, axis=1)[:, :ty] > 0


def label_frame(recipes: Recipes, params: Params) -> pd.DataFrame:
    """Labels from synth.triggerword.labels.label_matrix vs expected_labels, per example (all examples, or a
    deterministic sample of LABEL_SAMPLE_LIMIT when there are more)."""
    part = recipes.take(sample_rows(len(recipes), LABEL_SAMPLE_LIMIT, params.seed, salt=0x1AB))
    clip_samples, ty, after = params.audio.clip_samples, params.labels.ty, params.labels.ones_after_end
    columns: dict[str, list[np.ndarray]] = {
        k: [] for k in ("label_steps", "label_ones", "expected_ones", "mismatched_steps", "first_mismatch")
    }
    for lo in range(0, len(part), LABEL_CHUNK):
        chunk = part.take(slice(lo, lo + LABEL_CHUNK))
        positive = chunk.positive_inserts
        got = synth_labels.label_matrix(
            chunk.insert_start, chunk.insert_length, chunk.insert_positive, clip_samples, ty, after
        )
        want = expected_labels(chunk.insert_start, chunk.insert_length, positive, clip_samples, ty, after)
        columns["label_steps"].append(np.full(len(chunk), got.shape[1]))
        columns["label_ones"].append((got > 0.5).sum(axis=1))
        columns["expected_ones"].append(want.sum(axis=1))
        if got.shape != want.shape:  # the label_steps expectation reports this; count every step
            wrong = np.ones((len(chunk), ty), bool)
        else:
            wrong = (got > 0.5) != want
        columns["mismatched_steps"].append(wrong.sum(axis=1))
        columns["first_mismatch"].append(np.where(wrong.any(axis=1), wrong.argmax(axis=1), -1))
    stacked = {k: np.concatenate(v) if v else np.zeros(0, np.int64) for k, v in columns.items()}
    return pd.DataFrame(
        {"example_id": part.example_id, "split": _split_names(part), "positives": part.n_positives, **stacked}
    )


def split_group_frame(catalog: pd.DataFrame, clip_split: np.ndarray) -> pd.DataFrame:
    """One row per split group (speaker or background recording) with the splits it landed in."""
    clips = pd.DataFrame(
        {
            "split_group": catalog["split_group"].astype(object),
            "split": clip_split,
            "kind": catalog["kind"].astype(object),
        }
    )
    groups = clips.groupby("split_group", sort=True)
    return pd.DataFrame(
        {
            "clips": groups.size(),
            "n_splits": groups["split"].nunique(),
            "splits": groups["split"].agg(lambda s: ", ".join(sorted(set(s)))),
            "kinds": groups["kind"].agg(lambda s: ", ".join(sorted(set(s)))),
        }
    ).reset_index()


def split_usage_frame(recipes: Recipes, catalog: pd.DataFrame, clip_split: np.ndarray) -> pd.DataFrame:
    """One row per clip an example uses (its background and each insert) with both splits."""
    rows, slots = np.nonzero(recipes.insert_mask)
    n = len(recipes)
    clip = np.concatenate([recipes.background_clip, recipes.insert_clip[rows, slots]])
    example = np.concatenate([np.arange(n), rows])
    return pd.DataFrame(
        {
            "example_id": recipes.example_id[example],
            "role": np.array(["background"] * n + ["insert"] * len(rows), dtype=object),
            "slot": np.concatenate([np.full(n, -1), slots]),
            "clip_index": clip,
            "clip_id": _lookup(catalog["clip_id"], clip, MISSING),
            "example_split": _split_names(recipes)[example],
            "clip_split": _lookup(clip_split, clip, MISSING),
        }
    )


def rendered_frame(params: Params, data: SynthData, catalog_dir: str | Path = CATALOG_DIR) -> pd.DataFrame:
    """Render validate.rendered_sample examples (a deterministic sample) with the numpy renderer,
    loading only the clips they use; a recipe the renderer cannot render gives length 0."""
    recipes, catalog = data.recipes, data.catalog
    part = recipes.take(sample_rows(len(recipes), params.validate.rendered_sample, params.seed, salt=0x4E1D))
    used = np.concatenate([part.background_clip, part.insert_clip[part.insert_mask]]).astype(np.int64)
    rows = np.unique(used[(used >= 0) & (used < len(catalog))])
    render = renderer(params, load_bank(catalog, catalog_dir, rows=rows))
    records = [_render_one(render, part.take([i])) for i in range(len(part))]
    columns = ["example_id", "split", "reverb", "length", "peak", "finite", "error"]
    return pd.DataFrame.from_records(records, columns=columns)


def _render_one(render, one: Recipes) -> dict:
    row = {"example_id": int(one.example_id[0]), "split": _split_names(one)[0], "reverb": int(one.reverb_ir[0]) >= 0}
    try:
        audio = render.render(one)[0]
    except (ValueError, IndexError) as exc:  # e.g. an insert or background window past the end
        return {**row, "length": 0, "peak": np.nan, "finite": False, "error": str(exc)}
    finite = bool(np.isfinite(audio).all())
    peak = float(np.abs(audio).max()) if finite and len(audio) else np.nan
    return {**row, "length": len(audio), "peak": peak, "finite": finite, "error": ""}


def observations(frames: dict[str, pd.DataFrame]) -> dict:
    """Key numbers for metrics and the report headline (the suites check them against params)."""
    examples, rendered, labels = frames["examples"], frames["rendered"], frames["labels"]
    inserts = frames["inserts"]
    share = examples.groupby("split", sort=False)["has_positive"].mean()
    return {
        "examples": len(examples),
        "inserts": len(inserts),
        "catalog_clips": len(frames["catalog"]),
        "share_with_positive": {s: round(float(share[s]), 4) for s in SPLITS if s in share.index},
        "overlapping_inserts": int((inserts["gap_samples"] < 0).sum()),
        "label_examples_checked": len(labels),
        "label_examples_mismatched": int((labels["mismatched_steps"] > 0).sum()),
        "rendered_examples": len(rendered),
        "rendered_max_peak": round(float(rendered["peak"].max()), 4) if rendered["peak"].notna().any() else None,
        "catalog_max_peak": round(float(frames["catalog"]["peak"].max()), 4) if len(frames["catalog"]) else None,
    }
