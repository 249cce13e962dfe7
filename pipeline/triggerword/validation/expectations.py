"""The validate stage's rules as Great Expectations suites, and a runner with plain results.

One suite per derived frame (pipeline/triggerword/validation/validation_frames.py). Every expectation carries
meta["id"] (stable, e.g. "inserts.no_overlap": tests and the stderr summary use it) and a
description in words (the report's "rule" column). great_expectations is imported lazily: it
takes seconds to import and only this stage needs it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from pipeline.common.params import Params
from synth.common.catalog import KINDS
from synth.common.splits import SPLITS

EXAMPLES_SHOWN = 5  # unexpected rows kept per failed expectation


@dataclass(frozen=True)
class SuiteSpec:
    name: str
    frame: str  # key into the frames dict
    title: str
    index: tuple[str, ...]  # columns that name an unexpected row (example_id, clip_id, ...)
    expectations: list = field(default_factory=list)


@dataclass(frozen=True)
class Outcome:
    id: str
    rule: str
    expectation: str  # GE type, e.g. expect_column_values_to_be_between
    kwargs: dict
    success: bool
    observed: str
    value: float | None  # the observed value, or the unexpected count for row-wise expectations
    unexpected: list[dict]
    error: str = ""


@dataclass(frozen=True)
class SuiteResult:
    name: str
    title: str
    rows: int
    outcomes: list[Outcome]

    @property
    def success(self) -> bool:
        return all(o.success for o in self.outcomes)

    @property
    def failed(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.success]


def _gx():
    # GE logs internal chatter at INFO from import on (and one module forces INFO on its logger);
    # the stage's own log runs at INFO.
    logging.getLogger("great_expectations").setLevel(logging.WARNING)
    import great_expectations as gx

    logging.getLogger("great_expectations.data_context.types.base").setLevel(logging.WARNING)
    return gx


def _about(ident: str, rule: str) -> dict:
    return {"meta": {"id": ident}, "description": rule}


def _duration(kind: str, seconds: tuple[float, float | None], ident: str, rule: str):
    """The catalog's clips of one kind last seconds[0]..seconds[1] (None: no upper bound)."""
    from great_expectations.expectations.row_conditions import Column

    low, high = seconds
    return _gx().expectations.ExpectColumnValuesToBeBetween(
        column="duration_s", min_value=low, max_value=high, row_condition=Column("kind") == kind, **_about(ident, rule)
    )


def catalog_suite(p: Params) -> SuiteSpec:
    E, c, sr = _gx().expectations, p.collect, p.audio.sample_rate
    return SuiteSpec(
        "catalog",
        "catalog",
        "Catalog: one row per prepared clip",
        ("clip_id",),
        [
            E.ExpectColumnValuesToBeInSet(
                column="sample_rate",
                value_set=[sr],
                **_about("sample_rate", f"every clip is at audio.sample_rate = {sr} Hz"),
            ),
            _duration(
                "positive",
                (c.min_word_seconds, c.max_word_seconds),
                "word_duration",
                f"positives last collect.min_word_seconds..max_word_seconds "
                f"({c.min_word_seconds}..{c.max_word_seconds} s)",
            ),
            _duration(
                "negative",
                (c.min_word_seconds, c.max_phrase_seconds),
                "negative_duration",
                f"negatives (words, phrases, sentences) last collect.min_word_seconds..max_phrase_seconds "
                f"({c.min_word_seconds}..{c.max_phrase_seconds} s)",
            ),
            _duration(
                "background",
                (p.audio.clip_seconds, None),
                "background_duration",
                f"backgrounds last >= audio.clip_seconds ({p.audio.clip_seconds} s)",
            ),
            E.ExpectColumnValuesToBeBetween(
                column="peak",
                min_value=0.0,
                max_value=1.0,
                strict_min=True,
                **_about("peak", "peak is in (0, 1]: not silent, not clipped"),
            ),
            E.ExpectColumnValuesToBeBetween(
                column="rms", min_value=0.0, strict_min=True, **_about("rms", "rms > 0: not silent")
            ),
            E.ExpectColumnValuesToNotBeNull(column="kind", **_about("kind_present", "every clip has a kind")),
            E.ExpectColumnValuesToBeInSet(
                column="kind", value_set=list(KINDS), **_about("kind", f"kind is one of {', '.join(KINDS)}")
            ),
            E.ExpectColumnValuesToBeUnique(column="clip_id", **_about("clip_id_unique", "clip_id is unique")),
            E.ExpectColumnValuesToNotBeNull(column="sha256", **_about("sha256", "every clip has a sha256")),
            E.ExpectColumnValuesToNotBeNull(column="licence", **_about("licence_present", "every clip has a licence")),
            E.ExpectColumnValuesToMatchRegex(
                column="licence", regex=r"\S", **_about("licence_not_empty", "no licence is empty")
            ),
        ],
    )


def inserts_suite(p: Params) -> SuiteSpec:
    E, clip = _gx().expectations, p.audio.clip_samples
    gap = int(round(p.synthesise.min_gap_seconds * p.audio.sample_rate))
    return SuiteSpec(
        "inserts",
        "inserts",
        "Recipes: one row per inserted word",
        ("example_id", "slot"),
        [
            E.ExpectColumnValuesToBeBetween(
                column="gap_samples",
                min_value=gap,
                **_about("no_overlap", f"inserts never overlap: start >= previous end + min_gap ({gap} samples)"),
            ),
            E.ExpectColumnValuesToBeBetween(
                column="start", min_value=0, **_about("start_inside", "every insert starts inside the clip (>= 0)")
            ),
            E.ExpectColumnValuesToBeBetween(
                column="end", max_value=clip, **_about("end_inside", f"every insert ends inside the clip (<= {clip})")
            ),
            E.ExpectColumnPairValuesToBeEqual(
                column_A="kind",
                column_B="expected_kind",
                **_about("kind_matches", "the inserted clip's catalog kind matches insert_positive"),
            ),
            E.ExpectColumnPairValuesToBeEqual(
                column_A="length",
                column_B="clip_num_samples",
                **_about("length_matches", "insert_length is the clip's num_samples (labels rely on it)"),
            ),
        ],
    )


def examples_suite(p: Params) -> SuiteSpec:
    E, s = _gx().expectations, p.synthesise
    return SuiteSpec(
        "examples",
        "examples",
        "Recipes: one row per example",
        ("example_id",),
        [
            E.ExpectColumnValuesToBeUnique(column="example_id", **_about("example_id_unique", "example_id is unique")),
            E.ExpectColumnValuesToBeBetween(
                column="n_positives",
                min_value=s.positives[0],
                max_value=s.positives[1],
                **_about("positives_count", f"positives per example in synthesise.positives {list(s.positives)}"),
            ),
            E.ExpectColumnValuesToBeBetween(
                column="n_negatives",
                min_value=s.negatives[0],
                max_value=s.negatives[1],
                **_about("negatives_count", f"negatives per example in synthesise.negatives {list(s.negatives)}"),
            ),
            E.ExpectColumnValuesToBeInSet(
                column="background_kind",
                value_set=["background"],
                **_about("background_kind", "the background clip is a background"),
            ),
            E.ExpectColumnValuesToBeBetween(
                column="background_offset", min_value=0, **_about("background_offset", "background offset >= 0")
            ),
            E.ExpectColumnPairValuesAToBeGreaterThanB(
                column_A="background_length",
                column_B="background_end",
                or_equal=True,
                **_about("background_window", "background offset + clip_samples <= background length"),
            ),
        ],
    )


def labels_suite(p: Params) -> SuiteSpec:
    E, lab = _gx().expectations, p.labels
    return SuiteSpec(
        "labels",
        "labels",
        "Labels: synth.triggerword.labels.label_matrix vs the lecture's rule",
        ("example_id",),
        [
            E.ExpectColumnValuesToBeInSet(
                column="label_steps",
                value_set=[lab.ty],
                **_about("label_steps", f"labels have labels.ty = {lab.ty} steps"),
            ),
            E.ExpectColumnValuesToBeBetween(
                column="mismatched_steps",
                min_value=0,
                max_value=0,
                **_about(
                    "ones_where_positives_end",
                    f"ones exactly at steps e+1..e+{lab.ones_after_end} after each "
                    f"positive ends at e = int(end * Ty / clip_samples); zeros elsewhere",
                ),
            ),
            E.ExpectColumnPairValuesToBeEqual(
                column_A="label_ones",
                column_B="expected_ones",
                **_about("ones_count", "number of ones per example as expected"),
            ),
        ],
    )


def class_balance_suite(p: Params) -> SuiteSpec:
    E, (lo, hi) = _gx().expectations, p.validate.positive_share
    from great_expectations.expectations.row_conditions import Column

    splits = [s for s in SPLITS if p.synthesise.examples.get(s, 0) > 0]
    return SuiteSpec(
        "class_balance",
        "examples",
        "Class balance per split",
        (),
        [
            E.ExpectColumnMeanToBeBetween(
                column="has_positive",
                min_value=lo,
                max_value=hi,
                row_condition=Column("split") == split,
                **_about(
                    f"share_with_positive[{split}]",
                    f"{split}: share of examples with >= 1 positive in validate.positive_share [{lo}, {hi}]",
                ),
            )
            for split in splits
        ],
    )


def split_groups_suite(p: Params) -> SuiteSpec:
    E = _gx().expectations
    return SuiteSpec(
        "split_groups",
        "split_groups",
        "Splits: one row per speaker / background recording",
        ("split_group", "splits"),
        [
            E.ExpectColumnValuesToBeBetween(
                column="n_splits",
                min_value=1,
                max_value=1,
                **_about("one_split_per_group", "every split_group (speaker, recording) is in exactly one split"),
            ),
        ],
    )


def split_usage_suite(p: Params) -> SuiteSpec:
    E = _gx().expectations
    return SuiteSpec(
        "split_usage",
        "split_usage",
        "Splits: one row per clip an example uses",
        ("example_id", "role", "clip_id"),
        [
            E.ExpectColumnPairValuesToBeEqual(
                column_A="clip_split",
                column_B="example_split",
                **_about("clip_in_example_split", "every clip an example uses belongs to the example's split"),
            ),
        ],
    )


def rendered_suite(p: Params) -> SuiteSpec:
    E, clip = _gx().expectations, p.audio.clip_samples
    return SuiteSpec(
        "rendered",
        "rendered",
        f"Rendered sample ({p.validate.rendered_sample} examples, numpy)",
        ("example_id", "error"),
        [
            E.ExpectColumnValuesToBeInSet(
                column="length", value_set=[clip], **_about("length", f"every render has clip_samples = {clip} samples")
            ),
            E.ExpectColumnValuesToBeInSet(
                column="finite", value_set=[True], **_about("finite", "every sample is finite")
            ),
            E.ExpectColumnValuesToBeBetween(
                column="peak", max_value=1.0, **_about("peak", "peak |sample| <= 1.0 (no clipping)")
            ),
        ],
    )


def all_suites(p: Params) -> list[SuiteSpec]:
    builders = (
        catalog_suite,
        inserts_suite,
        examples_suite,
        labels_suite,
        class_balance_suite,
        split_groups_suite,
        split_usage_suite,
        rendered_suite,
    )
    return [build(p) for build in builders]


def run_suites(specs: list[SuiteSpec], frames: dict[str, pd.DataFrame]) -> list[SuiteResult]:
    """Validate each suite's frame in one ephemeral GE context (nothing written to disk)."""
    gx = _gx()
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    source = context.data_sources.add_pandas("datasynth")
    results = []
    for spec in specs:
        batch = source.add_dataframe_asset(spec.name).add_batch_definition_whole_dataframe(spec.name)
        suite = context.suites.add(gx.ExpectationSuite(name=spec.name, expectations=spec.expectations))
        definition = context.validation_definitions.add(
            gx.ValidationDefinition(name=spec.name, data=batch, suite=suite)
        )
        frame = frames[spec.frame]
        run = definition.run(batch_parameters={"dataframe": frame}, result_format=_result_format(spec.index))
        results.append(SuiteResult(spec.name, spec.title, len(frame), [_outcome(spec, r) for r in run.results]))
    return results


def _result_format(index: tuple[str, ...]) -> dict:
    fmt: dict[str, Any] = {
        "result_format": "SUMMARY",
        "partial_unexpected_count": EXAMPLES_SHOWN,
        "return_unexpected_index_query": False,
    }
    if index:
        fmt["unexpected_index_column_names"] = list(index)
    return fmt


def _outcome(spec: SuiteSpec, result) -> Outcome:
    config = result.expectation_config
    res = result.result or {}
    kwargs = {k: v for k, v in config.kwargs.items() if k != "batch_id"}
    error = _error(result.exception_info or {})
    if "observed_value" in res:
        value = _plain(res["observed_value"])
        observed = _fmt(value)
    elif "unexpected_count" in res:
        value = res["unexpected_count"]
        observed = f"{value:,} of {res.get('element_count', 0):,} rows unexpected"
    else:
        value, observed = None, error or "-"
    rows = res.get("partial_unexpected_index_list") or [{"value": v} for v in res.get("partial_unexpected_list", [])]
    unexpected = [_ordered(row, spec.index) for row in rows[:EXAMPLES_SHOWN]]
    return Outcome(
        id=f"{spec.name}.{(config.meta or {}).get('id', config.type)}",
        rule=config.description or "",
        expectation=config.type,
        kwargs=kwargs,
        success=bool(result.success),
        observed=observed,
        value=value if isinstance(value, (int, float)) else None,
        unexpected=unexpected,
        error=error,
    )


def _ordered(row: dict, index: tuple[str, ...]) -> dict:
    """The naming columns (example_id, ...) first, then the offending values."""
    keys = [k for k in index if k in row] + [k for k in row if k not in index]
    return {k: _plain(row[k]) for k in keys}


def _error(info: dict) -> str:
    """GE reports exceptions either flat or keyed by metric; keep the first message."""
    infos = [info] if "raised_exception" in info else [v for v in info.values() if isinstance(v, dict)]
    messages = [i.get("exception_message") for i in infos if i.get("raised_exception")]
    return str(messages[0]) if messages else ""


def _plain(value):
    """numpy scalars -> python; tuples (column pairs) -> lists."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (tuple, list)):
        return [_plain(v) for v in value]
    return value


def _fmt(value) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)
