"""What stands between the detector and its targets, computed from the test split's scores.

A target is a miss rate for a group of test positives (every positive, an unseen voice, an unseen engine)
at a false-accept budget (`targets` and `evaluate.target_fa_per_hour` in params.yaml). Two thresholds say
what blocks it, both read off the test scores themselves (the best the detector could do, not what the
dev-chosen threshold gets):

- at the budget: the lowest threshold whose false accepts stay within it, and whose voices the misses
  there belong to (what to add on the positive side);
- at the target: the highest threshold whose miss rate reaches the target, and how many false accepts per
  hour that costs, after which words and from which sources (what the negatives must teach).

The sweep over thresholds is cheap (detections and matches only); the full events, with their causes, are
built at the two thresholds it settles on. Misses are not monotone in the threshold: far down, detections
fire so often that a positive's window falls in the refractory period of an earlier one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from models.triggerword.events import EventSpec, threshold_grid
from pipeline.common.html import esc
from pipeline.common.params import Params
from pipeline.triggerword.analysis.error_findings import pct, rate_h
from pipeline.triggerword.analysis.error_slices import SplitEvents, Timing, match_rows, miss_counts, split_events
from pipeline.triggerword.evaluate import event_spec, voice_context

GROUPS = {"all": "every positive", "unseen_voice": "unseen voices", "unseen_engine": "the unseen engine"}
SHOWN = 5  # voices, words and sources listed per target
GRID = 240  # thresholds swept, evenly in logit space like evaluate's (4x as dense)


@dataclass(frozen=True)
class Target:
    group: str  # a key of GROUPS
    frr: float  # the miss rate to reach
    fa_per_hour: float  # ... at no more false accepts per hour than this


def group_mask(positives: pd.DataFrame, group: str, trained: set[str]) -> np.ndarray:
    """The group's rows of a positives frame: by the source (engine) that said them."""
    if group == "all":
        return np.ones(len(positives), bool)
    heard = positives["source"].isin(sorted(trained)).to_numpy()
    return heard if group == "unseen_voice" else ~heard


@dataclass(frozen=True)
class Sweep:
    """The split's outcomes over a grid of thresholds: which positives each one hits, and its false accepts."""

    thresholds: np.ndarray  # ascending
    hits: np.ndarray  # (thresholds, positives) bool, positives in the order of the events' frame
    fa_per_hour: np.ndarray

    def frr(self, mask: np.ndarray) -> np.ndarray:
        return (~self.hits[:, mask]).sum(axis=1) / max(int(mask.sum()), 1)


def sweep(events: SplitEvents, thresholds: np.ndarray, spec: EventSpec) -> Sweep:
    """Detections and matches only at every threshold (the causes come later, at the chosen ones)."""
    grid = np.sort(np.asarray(thresholds, np.float64))
    hits, fas = [], []
    for threshold in grid:
        hit, found = match_rows(events.smoothed, events.positives, float(threshold), spec)
        hits.append(hit)
        fas.append(sum(1 for _, _, false_accept in found if false_accept))
    return Sweep(grid, np.array(hits, bool).reshape(len(grid), -1), np.array(fas) / events.overall.hours)


def _rate(missed: np.ndarray) -> float:
    return float(missed.sum() / len(missed)) if len(missed) else 0.0


def _voices(events: SplitEvents, mask: np.ndarray) -> list[dict]:
    """The group's misses by voice, most misses first."""
    frame = miss_counts(events.positives[mask], "speaker")
    frame = frame[frame["misses"] > 0].sort_values(["misses", "positives"], ascending=[False, True], kind="stable")
    return [
        {"voice": str(v), "misses": int(r.misses), "positives": int(r.positives), "miss_rate": r.misses / r.positives}
        for v, r in frame.head(SHOWN).iterrows()
    ]


def _false_accepts(events: SplitEvents) -> tuple[list[dict], list[dict]]:
    """False accepts by what they follow (a negative word, the positive word, background) and by the source
    of the negative word, most first."""
    fa = events.false_accepts
    sources = fa.merge(
        events.negatives[["row", "slot", "source"]], left_on=["row", "cause_slot"], right_on=["row", "slot"], how="left"
    )["source"].fillna("no word (background or the positive word)")
    per_hour = 1.0 / events.overall.hours
    return tuple(
        [{"name": str(k), "false_accepts": int(n), "fa_per_hour": n * per_hour} for k, n in counts.head(SHOWN).items()]
        for counts in (fa["cause"].value_counts(), sources.value_counts())
    )


def _point(events: SplitEvents, mask: np.ndarray) -> dict:
    rows = events.positives[mask]
    return {
        "threshold": events.overall.threshold,
        "frr": _rate(~rows["hit"].to_numpy(bool)),
        "misses": int((~rows["hit"]).sum()),
        "positives": int(len(rows)),
        "fa_per_hour": events.overall.fa_per_hour,
        "false_accepts": events.overall.false_accepts,
    }


def _best(candidates: np.ndarray, primary: np.ndarray, thresholds: np.ndarray) -> int | None:
    """Index of the candidate with the lowest `primary` (ties: the higher threshold), or None."""
    rows = np.flatnonzero(candidates)
    if not len(rows):
        return None
    return int(min(rows, key=lambda i: (primary[i], -thresholds[i])))


def gap(target: Target, events: SplitEvents, swept: Sweep, events_at: Callable[[float], SplitEvents], trained) -> dict:
    """One target: met or not, and the two thresholds that say what blocks it (see the module's doc).
    `events` is the split's events at any threshold (for its positives' sources), `swept` their sweep,
    `events_at` builds the full events at another threshold."""
    mask = group_mask(events.positives, target.group, trained)
    frr, fa, grid = swept.frr(mask), swept.fa_per_hour, swept.thresholds
    out = {**vars(target), "name": GROUPS[target.group], "positives": int(mask.sum())}
    budget = _best(fa <= target.fa_per_hour + 1e-9, frr, grid)  # the fewest misses within the budget
    reach = _best(frr <= target.frr + 1e-9, fa, grid)  # the fewest false accepts at the target
    if budget is not None:
        scored = events_at(float(grid[budget]))
        out["at_budget"] = {**_point(scored, mask), "misses_by_voice": _voices(scored, mask)}
    if reach is None:  # the closest any threshold gets
        reach = _best(np.ones(len(grid), bool), frr, grid)
        out["closest"] = True
    scored = events_at(float(grid[reach]))
    by_cause, by_source = _false_accepts(scored)
    out["at_target"] = {**_point(scored, mask), "false_accepts_by_cause": by_cause, "by_source": by_source}
    out["met"] = bool(budget is not None and out["at_budget"]["frr"] <= target.frr + 1e-9)
    out["text"] = sentence(out)
    return out


def targets_on_test(
    params: Params, result, catalog: pd.DataFrame, timing: Callable[[Params, int], Timing], evaluate: dict
) -> list[dict]:
    """params.targets on the test split (`result`: error_analysis's SplitResult of clips and stream), each
    at evaluate.target_fa_per_hour: met or not, and what blocks it; then the unseen engine's FRR against the
    seen voices' from `evaluate` (the evaluate stage's metrics)."""
    ty = result.probabilities.shape[1]
    spec, time = event_spec(params, ty), timing(params, ty)
    cache: dict[float, SplitEvents] = {result.events.overall.threshold: result.events}

    def events_at(threshold: float) -> SplitEvents:
        if threshold not in cache:
            cache[threshold] = split_events(result.recipes, catalog, result.probabilities, threshold, spec, time)
        return cache[threshold]

    trained, budget = voice_context(catalog)[1], params.evaluate.target_fa_per_hour
    swept = sweep(result.events, threshold_grid(GRID), spec)
    gaps = [
        gap(Target(group, frr, budget), result.events, swept, events_at, trained)
        for group, frr in params.targets.goals().items()
    ]
    ratio = params.targets.unseen_engine_ratio
    return gaps + [g for g in [ratio_gap(ratio, evaluate)] if ratio is not None and g is not None]


def ratio_gap(ratio: float, evaluate: dict) -> dict | None:
    """The unseen engine's FRR against the seen voices' at the dev-chosen threshold (evaluate's metrics)."""
    test = evaluate.get("test") or {}
    unseen, seen = test.get("unseen_engine_frr"), test.get("seen_voice_frr")
    if unseen is None or seen is None:
        return None
    times = unseen / seen if seen else float("inf")
    met = unseen <= ratio * seen
    text = (
        f"The unseen engine against the seen voices: target at most {ratio:g}× their miss rate at the dev-chosen "
        f"threshold. {'Met' if met else 'Not met'}: {pct(unseen)} against {pct(seen)} ({times:.1f}×)"
    )
    return {
        "group": "unseen_engine_ratio",
        "ratio": ratio,
        "unseen_engine_frr": unseen,
        "seen_voice_frr": seen,
        "times": times,
        "met": bool(met),
        "text": text + ".",
    }


def _listed(rows: list[dict], key: str, count: str) -> str:
    return ", ".join(f"{r[key]} {r[count]}" for r in rows)


def sentence(g: dict) -> str:
    """The target in words: where it stands at the budget and what reaching it costs."""
    budget = f"≤ {rate_h(g['fa_per_hour'])} false accepts/h"
    parts = [f"{g['name'].capitalize()} ({g['positives']} positives): target {pct(g['frr'])} missed at {budget}"]
    b = g.get("at_budget")
    if b is None:
        parts.append("no threshold on the grid keeps false accepts within the budget")
    else:
        state = "met" if g["met"] else "not met"
        voices = "; ".join(
            f"{v['voice']} {v['misses']} of {v['positives']} ({pct(v['miss_rate'])})" for v in b["misses_by_voice"]
        )
        parts.append(
            f"{state}: {pct(b['frr'])} missed at {rate_h(b['fa_per_hour'])} false accepts/h (threshold "
            f"{b['threshold']:.4f})" + (f"; the misses there: {voices}" if voices and not g["met"] else "")
        )
    t = g["at_target"]
    causes, sources = (_listed(t[k], "name", "false_accepts") for k in ("false_accepts_by_cause", "by_source"))
    costs = f"{rate_h(t['fa_per_hour'])} false accepts/h, after {causes} (by source: {sources})"
    if g.get("closest"):
        parts.append(
            f"no threshold reaches it: the fewest misses any threshold leaves are {pct(t['frr'])} (threshold "
            f"{t['threshold']:.4f}, {costs})"
        )
    elif not g["met"]:
        parts.append(f"reaching {pct(g['frr'])} takes threshold {t['threshold']:.4f}, where test has {costs}")
    return ". ".join(part[0].upper() + part[1:] for part in parts) + "."


def targets_html(gaps: list[dict]) -> str:
    """The report's section: one sentence per target, met targets in green."""
    if not gaps:
        return ""
    items = "".join(
        f'<li><span class="{"hit" if g["met"] else "missed"}">{"met" if g["met"] else "not met"}</span> '
        f"{esc(g['text'])}</li>"
        for g in gaps
    )
    return (
        '<section id="targets"><h2>What stands between the detector and its targets</h2>'
        "<p>Read off the test split itself (clips and the negatives-only stream), so each line is the best this "
        "model could do there, not what the dev-chosen threshold gets: at the false-accept budget, which voices "
        "are missed; at the target miss rate, which false accepts that would cost.</p>"
        f'<div class="panel findings"><ul>{items}</ul></div></section>'
    )
