"""The numbers behind the error-analysis report: event outcomes per positive and per detection,
and miss rates / false accepts per slice (voice, background, SNR, position, reverb, ...).

Outcomes use exactly the evaluate stage's event logic (models.triggerword.events): smooth -> detect at the
stored threshold -> match detections to positive ends. A false accept is attributed to a negative
word when it falls inside that word or within the match window after its end; to the positive
word when it falls inside a positive or its window (it fired early, or twice); else to the
background.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from models.triggerword.events import EventCounts, EventSpec, detect, match, smooth
from synth.triggerword.labels import end_steps
from synth.triggerword.recipes import Recipes

OTHER = "background/other"
EARLY = "positive word (early/repeat)"
BELOW = "output stayed below the threshold"
BLOCKED = "output above the threshold, no new detection"
CUT = "match window cut"  # marks the position slice of positives ending in the clip's final match window
SNR_EDGES = (0.0, 5.0, 10.0, 15.0)


@dataclass(frozen=True)
class Timing:
    """Clip length in samples, seconds and output steps."""

    clip_samples: int
    clip_seconds: float
    ty: int
    tail_seconds: float = 0.0  # positives ending this close to the clip's end get their own position slice

    def seconds(self, steps) -> np.ndarray:
        return np.asarray(steps, np.float64) * self.clip_seconds / self.ty


@dataclass(frozen=True)
class Overall(EventCounts):
    """A split's event totals (as the evaluate stage counts them) plus its size and threshold."""

    examples: int = 0
    threshold: float = 0.5

    def as_dict(self) -> dict:
        return {
            "examples": self.examples,
            "hours": round(self.hours, 4),
            "positives": self.positives,
            "misses": self.misses,
            "frr": self.frr,
            "false_accepts": self.false_accepts,
            "fa_per_hour": self.fa_per_hour,
            "threshold": self.threshold,
        }


@dataclass(frozen=True)
class SplitEvents:
    """One split's outcomes: a row per positive insert, per detection and per clip."""

    positives: pd.DataFrame
    detections: pd.DataFrame
    clips: pd.DataFrame
    negatives: pd.DataFrame  # a row per negative insert (word, speaker, ...)
    smoothed: np.ndarray  # (n, ty) float32
    overall: Overall

    @property
    def false_accepts(self) -> pd.DataFrame:
        return self.detections[self.detections["false_accept"]]


def _catalog_columns(catalog: pd.DataFrame) -> dict[str, np.ndarray]:
    columns = {c: catalog[c].astype(str).to_numpy(object) for c in ("clip_id", "word", "speaker", "source")}
    audit = catalog["audit"] if "audit" in catalog else pd.Series("not audited", index=catalog.index)
    return {**columns, "audit": audit.astype(str).to_numpy(object)}


def snr_bin(snr: np.ndarray) -> np.ndarray:
    names = snr_bin_names()
    return np.array(names, object)[np.searchsorted(SNR_EDGES, snr, side="right")]


def snr_bin_names() -> list[str]:
    lo, hi = SNR_EDGES[0], SNR_EDGES[-1]
    middle = [f"{a:g}–{b:g} dB" for a, b in zip(SNR_EDGES[:-1], SNR_EDGES[1:])]
    return [f"< {lo:g} dB", *middle, f"≥ {hi:g} dB"]


def position_names(clip_seconds: float, tail_seconds: float = 0.0) -> list[str]:
    """Thirds of the clip by end time; the final `tail_seconds` (the match window, cut off by the
    clip's end) split off the last third when given."""
    third, tail = clip_seconds / 3, _tail(clip_seconds, tail_seconds)
    names = [
        f"first third (0–{third:.1f} s)",
        f"middle third ({third:.1f}–{2 * third:.1f} s)",
        f"last third ({2 * third:.1f}–{clip_seconds - tail:.1f} s)",
    ]
    return names + [f"final {tail:g} s ({CUT})"] if tail else names


def _tail(clip_seconds: float, tail_seconds: float) -> float:
    return tail_seconds if 0 < tail_seconds < clip_seconds / 3 else 0.0


def position_of(end_s: np.ndarray, timing: Timing) -> np.ndarray:
    names = position_names(timing.clip_seconds, timing.tail_seconds)
    index = np.minimum((3 * end_s / timing.clip_seconds).astype(int), 2)
    tail = _tail(timing.clip_seconds, timing.tail_seconds)
    if tail:
        index = np.where(end_s > timing.clip_seconds - tail, 3, index)
    return np.array(names, object)[index]


def _inserts_frame(recipes: Recipes, positive: bool, cat: dict, timing: Timing) -> pd.DataFrame:
    """A row per insert of one kind, with its clip facts and its clip's facts."""
    mask = recipes.positive_inserts if positive else recipes.negative_inserts
    rows, slots = np.nonzero(mask)
    clip = recipes.insert_clip[rows, slots]
    start, length = recipes.insert_start[rows, slots], recipes.insert_length[rows, slots]
    end = start + length
    return pd.DataFrame(
        {
            "row": rows,
            "slot": slots,
            "example_id": recipes.example_id[rows],
            "clip_id": cat["clip_id"][clip],
            "word": cat["word"][clip],
            "speaker": cat["speaker"][clip],
            "source": cat["source"][clip],
            "audit": cat["audit"][clip],
            "start_s": start / timing.clip_samples * timing.clip_seconds,
            "end_s": end / timing.clip_samples * timing.clip_seconds,
            "start_step": (start * timing.ty) // timing.clip_samples,
            "end_step": end_steps(start, length, timing.clip_samples, timing.ty),
            "snr_db": recipes.insert_snr_db[rows, slots].astype(np.float64),
        }
    )


def _clips_frame(recipes: Recipes, cat: dict) -> pd.DataFrame:
    bg = recipes.background_clip
    return pd.DataFrame(
        {
            "row": np.arange(len(recipes)),
            "example_id": recipes.example_id,
            "background_source": cat["source"][bg],
            "background_clip_id": cat["clip_id"][bg],
            "reverb": np.where(recipes.reverb_ir >= 0, "reverb", "dry"),
            "inserts": recipes.insert_mask.sum(axis=1).astype(int),
            "positives_in_clip": recipes.n_positives.astype(int),
            "negatives_in_clip": recipes.n_negatives.astype(int),
        }
    )


def _window_max(smoothed: np.ndarray, rows: np.ndarray, first: np.ndarray, width: int) -> np.ndarray:
    """max of smoothed[row, first : first + width + 1] (clipped to the clip) per (row, first)."""
    if len(rows) == 0:
        return np.zeros(0, np.float64)
    steps = np.minimum(first[:, None] + np.arange(width + 1)[None, :], smoothed.shape[1] - 1)
    return smoothed[rows[:, None], steps].max(axis=1).astype(np.float64)


def _cause(step: int, negatives: pd.DataFrame, positives: pd.DataFrame, match_steps: int) -> tuple[str, int]:
    """(cause, slot of the negative insert or -1) of a false accept at `step` in one clip."""
    near = negatives[(negatives["start_step"] <= step) & (step <= negatives["end_step"] + match_steps)]
    if len(near):
        best = near.iloc[int(np.argmin(np.abs(step - near["end_step"].to_numpy())))]
        return str(best["word"]), int(best["slot"])
    inside = (positives["start_step"] <= step) & (step <= positives["end_step"] + match_steps)
    return (EARLY if inside.any() else OTHER), -1


def match_rows(
    smoothed: np.ndarray, positives: pd.DataFrame, threshold: float, spec: EventSpec
) -> tuple[np.ndarray, list[tuple[int, int, bool]]]:
    """Hit flag per positives row, and (row, step, false_accept) per detection."""
    hit = np.zeros(len(positives), bool)
    by_row = positives.groupby("row").indices
    found = []
    for row in range(len(smoothed)):
        index = by_row.get(row, np.zeros(0, np.int64))
        detections = detect(smoothed[row], threshold, spec.refractory_steps)
        hits, fa = match(detections, positives["end_step"].to_numpy()[index], spec.match_steps)
        hit[index] = hits
        found += [(row, int(s), bool(f)) for s, f in zip(detections, fa)]
    return hit, found


def split_events(
    recipes: Recipes,
    catalog: pd.DataFrame,
    probabilities: np.ndarray,
    threshold: float,
    spec: EventSpec,
    timing: Timing,
) -> SplitEvents:
    """Event outcomes of one split; `probabilities` rows align with `recipes` rows."""
    cat = _catalog_columns(catalog)
    smoothed = smooth(np.asarray(probabilities, np.float32), spec.smoothing_steps).astype(np.float32)
    clips = _clips_frame(recipes, cat)
    pos = _inserts_frame(recipes, True, cat, timing).join(clips.drop(columns=["row", "example_id"]), on="row")
    neg = _inserts_frame(recipes, False, cat, timing).join(clips.drop(columns=["row", "example_id"]), on="row")
    hit, found = match_rows(smoothed, pos, threshold, spec)
    pos["hit"] = hit
    pos["peak"] = _window_max(smoothed, pos["row"].to_numpy(), pos["end_step"].to_numpy(), spec.match_steps)
    pos["reason"] = np.where(pos["hit"], "hit", np.where(pos["peak"] >= threshold, BLOCKED, BELOW))
    pos["snr_bin"] = snr_bin(pos["snr_db"].to_numpy())
    pos["position"] = position_of(pos["end_s"].to_numpy(), timing)
    dets = _detections_frame(found, smoothed, pos, neg, clips, spec, timing)
    n = len(recipes)
    clips["false_accepts"] = np.bincount(dets.loc[dets["false_accept"], "row"].to_numpy(np.int64), minlength=n)
    clips["misses"] = np.bincount(pos.loc[~pos["hit"], "row"].to_numpy(np.int64), minlength=n)
    hours = len(recipes) * timing.clip_seconds / 3600
    overall = Overall(
        positives=len(pos),
        misses=int((~pos["hit"]).sum()),
        false_accepts=int(dets["false_accept"].sum()),
        hours=hours,
        examples=len(recipes),
        threshold=float(threshold),
    )
    return SplitEvents(pos, dets, clips, neg, smoothed, overall)


def _detections_frame(
    found: list,
    smoothed: np.ndarray,
    pos: pd.DataFrame,
    neg: pd.DataFrame,
    clips: pd.DataFrame,
    spec: EventSpec,
    timing: Timing,
) -> pd.DataFrame:
    frame = pd.DataFrame(found, columns=["row", "step", "false_accept"]).astype(
        {"row": np.int64, "step": np.int64, "false_accept": bool}
    )
    frame["time_s"] = timing.seconds(frame["step"])
    frame["peak"] = _window_max(smoothed, frame["row"].to_numpy(), frame["step"].to_numpy(), spec.refractory_steps)
    neg_by_row, pos_by_row = dict(list(neg.groupby("row"))), dict(list(pos.groupby("row")))
    empty_n, empty_p = neg.iloc[:0], pos.iloc[:0]
    causes = [
        _cause(step, neg_by_row.get(row, empty_n), pos_by_row.get(row, empty_p), spec.match_steps)
        if fa
        else ("hit", -1)
        for row, step, fa in found
    ]
    frame["cause"] = [c for c, _ in causes]
    frame["cause_slot"] = np.array([s for _, s in causes], np.int64)
    return frame.join(clips.drop(columns=["row"]), on="row")


@dataclass(frozen=True)
class SliceTable:
    """One breakdown: rows are slice values; miss columns and/or false-accept columns."""

    key: str
    title: str
    frame: pd.DataFrame
    note: str = ""


# key -> (title, column of the positives/clips frames, what it counts: miss | fa | both)
DIMENSIONS: dict[str, tuple[str, str, str]] = {
    "positive_speaker": ("Voice / speaker of the positive", "speaker", "miss"),
    "positive_source": ("Source of the positive", "source", "miss"),
    "positive_audit": ("What the speech audit's recogniser heard in the positive", "audit", "miss"),
    "background_source": ("Background source", "background_source", "both"),
    "snr": ("SNR of the positive", "snr_bin", "miss"),
    "position": ("Position of the positive (by its end time)", "position", "miss"),
    "inserts": ("Inserts in the clip (positives + negatives)", "inserts", "both"),
    "reverb": ("Reverb", "reverb", "both"),
}


def miss_counts(positives: pd.DataFrame, column: str) -> pd.DataFrame:
    grouped = positives.assign(miss=~positives["hit"]).groupby(column, sort=False)["miss"]
    frame = pd.DataFrame({"positives": grouped.size(), "misses": grouped.sum().astype(int)})
    frame["miss_rate"] = frame["misses"] / frame["positives"]
    return frame


def fa_counts(clips: pd.DataFrame, column: str, clip_seconds: float) -> pd.DataFrame:
    grouped = clips.groupby(column, sort=False)["false_accepts"]
    frame = pd.DataFrame({"examples": grouped.size(), "false_accepts": grouped.sum().astype(int)})
    frame["hours"] = frame["examples"] * clip_seconds / 3600
    frame["fa_per_hour"] = frame["false_accepts"] / frame["hours"]
    return frame


def _order(frame: pd.DataFrame, key: str, timing: Timing) -> pd.DataFrame:
    natural = {
        "snr": snr_bin_names(),
        "position": position_names(timing.clip_seconds, timing.tail_seconds),
        "reverb": ["dry", "reverb"],
    }
    if key in natural:
        return frame.reindex([v for v in natural[key] if v in frame.index])
    if key == "inserts":
        return frame.sort_index()
    by = [c for c in ("miss_rate", "positives") if c in frame] or ["fa_per_hour"]
    return frame.sort_values(by, ascending=False, kind="stable")


def slice_tables(events: SplitEvents, timing: Timing) -> list[SliceTable]:
    tables = []
    for key, (title, column, counts) in DIMENSIONS.items():
        parts = []
        if counts in ("miss", "both"):
            parts.append(miss_counts(events.positives, column))
        if counts in ("fa", "both"):
            parts.append(fa_counts(events.clips, column, timing.clip_seconds))
        frame = pd.concat(parts, axis=1) if len(parts) > 1 else parts[0]
        if "positives" in frame:
            frame[["positives", "misses"]] = frame[["positives", "misses"]].fillna(0).astype(int)
        frame.index = frame.index.map(str)
        frame.index.name = "slice"
        tables.append(SliceTable(key, title, _order(frame, key, timing)))
    return tables


def cause_table(events: SplitEvents) -> SliceTable:
    """False accepts per cause: each negative word (with how often it occurs), then the rest."""
    fa = events.false_accepts
    occurrences = events.negatives.groupby("word").size()
    counts = fa.groupby("cause").size()
    words = sorted(
        set(occurrences.index) | (set(counts.index) - {OTHER, EARLY}),
        key=lambda w: (-int(counts.get(w, 0)), -int(occurrences.get(w, 0)), w),
    )
    index = words + [c for c in (EARLY, OTHER) if c in counts.index]
    frame = pd.DataFrame(index=pd.Index(index, name="slice"))
    frame["occurrences"] = [float(occurrences.get(w, np.nan)) if w not in (OTHER, EARLY) else np.nan for w in index]
    frame["false_accepts"] = [int(counts.get(w, 0)) for w in index]
    frame["share"] = frame["false_accepts"] / max(len(fa), 1)
    frame["fa_per_occurrence"] = frame["false_accepts"] / frame["occurrences"]
    note = (
        "A false accept counts against a negative word when it fires inside the word or within the match "
        "window after its end."
    )
    return SliceTable("false_accept_cause", "What the false accepts follow", frame, note)


def negative_source_table(events: SplitEvents) -> SliceTable:
    """False accepts per source of the negative they follow, per hour of that source's own speech."""
    neg = events.negatives
    caused = events.false_accepts.merge(
        neg[["row", "slot", "source"]], left_on=["row", "cause_slot"], right_on=["row", "slot"]
    )
    grouped = neg.groupby("source")
    frame = pd.DataFrame({"inserts": grouped.size(), "speech_hours": grouped.apply(_speech_hours)})
    frame["false_accepts"] = caused.groupby("source").size().reindex(frame.index, fill_value=0).astype(int)
    frame["fa_per_speech_hour"] = frame["false_accepts"] / frame["speech_hours"]
    frame.index.name = "slice"
    note = (
        "Per hour of each source's negatives as heard (their summed durations, not the clips' length); "
        "a false accept counts against the negative it fires in or just after."
    )
    title = "False accepts per source of the negatives"
    return SliceTable(
        "negative_source", title, frame.sort_values(["fa_per_speech_hour", "inserts"], ascending=False), note
    )


def _speech_hours(inserts: pd.DataFrame) -> float:
    return float((inserts["end_s"] - inserts["start_s"]).sum() / 3600)


def reason_table(events: SplitEvents) -> SliceTable:
    """Misses whose output never reached the threshold vs. those it crossed without a new detection."""
    reasons = events.positives.loc[~events.positives["hit"], "reason"]
    frame = pd.DataFrame(index=pd.Index([BELOW, BLOCKED], name="slice"))
    frame["misses"] = [int((reasons == r).sum()) for r in frame.index]
    frame["miss_share"] = frame["misses"] / max(len(reasons), 1)
    note = (
        "No new detection: the output was already above the threshold, or the crossing fell within the "
        "refractory period of an earlier detection."
    )
    return SliceTable("miss_reason", "Why positives were missed", frame, note)


def table_json(table: SliceTable) -> dict:
    """{slice: {column: number}} with NaN -> None (valid JSON for dvc metrics)."""
    return {str(name): {str(c): _plain(v) for c, v in row.items()} for name, row in table.frame.iterrows()}


def _plain(value):
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value
