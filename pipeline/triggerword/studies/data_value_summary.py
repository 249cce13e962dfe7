"""The data_value table: mean and spread per arm, effects against noise, the learning curve, findings in words."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from pipeline.common.params import Params
from pipeline.triggerword.studies.ablate import HEADLINE, LOOSE_FA_PER_HOUR
from synth.common.studies import effect_verdict, fit_power_law, paired_bootstrap

BASELINE = "baseline"
UNSEEN_VOICE = "test_unseen_voice_frr"
# The measures an effect is called on (judged on voices the head never heard), and their voice group.
CALLED = {HEADLINE: "unseen engine", UNSEEN_VOICE: "unseen voice"}
MEASURES = (
    HEADLINE,
    UNSEEN_VOICE,
    "test_frr",
    "test_fa_per_hour",
    "seen_voice_frr",
    "threshold",
    "test_point_unseen_engine_frr",
    f"test_{LOOSE_FA_PER_HOUR:g}fa_unseen_engine_frr",
    f"at_baseline_{HEADLINE}",
    f"at_baseline_{UNSEEN_VOICE}",
    "at_baseline_test_frr",
    "at_baseline_test_fa_per_hour",
)
TARGET_FRR = 0.05
FIT_REACH = 100  # a fit's 5 % point further than this many times the speakers measured is not quoted
# The arms an effect is called for, as the findings name them.
WHAT = {
    "without": "without {arm}",
    "only": "with only {arm}'s positives",
    "with": "with the {arm} group's clips added to the same recipes",
}


def spread_stats(values: pd.Series) -> dict:
    v = values.dropna().astype(float)
    if not len(v):
        return {"mean": None, "std": None, "spread": None}
    return {
        "mean": round(float(v.mean()), 4),
        "std": round(float(v.std(ddof=0)), 4),
        "spread": round(float(np.ptp(v)), 4),
    }


def miss_rates(hits: dict, arm: str, seeds: list[int], group: str) -> np.ndarray:
    """Each test positive of a voice group: the share of the arm's seeds that missed it."""
    rows = [hits[(arm, s)] for s in seeds]
    in_group = rows[0][:, 0] == group
    return np.mean([1.0 - r[in_group, 1].astype(float) for r in rows], axis=0)


def arm_row(name: str, runs: pd.DataFrame, facts: dict, effects: dict) -> dict:
    row = {"arm": name, "kind": runs["kind"].iloc[0], "seeds": int(len(runs)), **flat_facts(facts)}
    for measure in MEASURES:
        if measure in runs:
            stats = spread_stats(runs[measure])
            row |= {measure: stats["mean"], f"{measure}_std": stats["std"], f"{measure}_spread": stats["spread"]}
    return row | effects


def flat_facts(facts: dict) -> dict:
    out = {}
    for key, value in facts.items():
        if isinstance(value, dict):
            out |= {f"{key}_{k}": v for k, v in value.items()}
        else:
            out[key] = value
    return out


def effects(name: str, runs: pd.DataFrame, base: pd.DataFrame, hits: dict, rng: np.random.Generator, n: int) -> dict:
    """Per called measure: the difference from the reference arm (`base`: the baseline, or the audit pair's
    arm without the dropped clips), the larger seed spread, the paired bootstrap interval over the test
    positives, and the verdict."""
    out = {}
    for measure, group in CALLED.items():
        a, b = runs[measure].dropna().astype(float), base[measure].dropna().astype(float)
        if not len(a) or not len(b):
            out[f"{measure}_verdict"] = f"no {group} positives"
            continue
        delta, spread = float(a.mean() - b.mean()), float(max(np.ptp(a), np.ptp(b)))
        interval = paired_bootstrap(
            miss_rates(hits, name, list(runs["seed"]), group),
            miss_rates(hits, base["arm"].iloc[0], list(base["seed"]), group),
            n,
            rng,
        )
        out |= {
            f"{measure}_delta": round(delta, 4),
            f"{measure}_noise": round(spread, 4),
            f"{measure}_interval": [round(interval[0], 4), round(interval[1], 4)],
            f"{measure}_verdict": effect_verdict(delta, spread, interval),
        }
    return out


def learning_curve(rows: list[dict], base: dict) -> dict:
    """Unseen-voice and unseen-engine FRR against training examples and against positive speakers, with the
    power-law fits (the baseline is the largest point of both) and the speakers the fit needs for 5 %."""
    out = {}
    for kind, size in (("clips", "examples"), ("speakers", "speakers")):
        points = [r for r in rows if r["kind"] == kind] + [base]
        points = sorted(
            ({"size": r[size], UNSEEN_VOICE: r[UNSEEN_VOICE], HEADLINE: r[HEADLINE]} for r in points),
            key=lambda p: p["size"],
        )
        fits = {}
        for measure in CALLED:
            usable = [p for p in points if p[measure] is not None]
            if len({p["size"] for p in usable}) < 2:
                continue
            law = fit_power_law([p["size"] for p in usable], [p[measure] for p in usable])
            needed = law.examples_for(1.0 - TARGET_FRR)
            fits[measure] = {
                "a": round(law.a, 4),
                "b": round(law.b, 4),
                f"{size}_for_5pct": None if math.isinf(needed) else round(needed),
            }
        out[kind] = {"size": size, "points": points, "fits": fits}
    return out


def summarise(params: Params, runs: pd.DataFrame, facts: dict, hits: dict) -> dict:
    """The table rows (the baseline first), the baseline's seed spread, the learning curve and the findings."""
    dv = params.data_value
    rng = np.random.default_rng(np.random.SeedSequence([params.seed, 0xB007]))
    base_runs = runs[runs["arm"] == BASELINE]
    rows = []
    for (name, kind), arm_facts in facts.items():
        if "skipped" in arm_facts:
            rows.append({"arm": name, "kind": kind, "seeds": 0, "skipped": arm_facts["skipped"]})
            continue
        mine, reference = runs[runs["arm"] == name], arm_facts.get("reference", None if kind == BASELINE else BASELINE)
        reference_runs = runs[runs["arm"] == reference]
        found = effects(name, mine, reference_runs, hits, rng, dv.bootstrap) if reference else {}
        rows.append(arm_row(name, mine, arm_facts, found))
    base = rows[0]
    summary = {
        "headline": HEADLINE,
        "seeds": list(dv.seeds),
        "epochs": dv.epochs,
        "bootstrap": dv.bootstrap,
        "bootstrap_seed": [params.seed, 0xB007],
        "baseline": {m: spread_stats(base_runs[m]) for m in MEASURES if m in base_runs},
        "rows": rows,
        "learning_curve": learning_curve(rows, base) if any(r["kind"] in ("clips", "speakers") for r in rows) else {},
    }
    return summary | {"findings": findings(summary)}


def pts(value: float) -> str:
    return f"{abs(value) * 100:.1f} points"


def findings(summary: dict) -> list[dict]:
    """Sentences computed from the table, each naming its arm (the row on the report page)."""
    out = []
    base = summary["baseline"]
    noise = ", ".join(f"{g} {base[m]['spread'] * 100:.1f}" for m, g in CALLED.items() if base[m]["spread"] is not None)
    out.append(
        {"arm": BASELINE, "text": f"Seed spread of the baseline (points): {noise}. Smaller differences are noise."}
    )
    for row in summary["rows"]:
        if row["kind"] not in WHAT or row.get("seeds", 0) == 0:
            continue
        called = [
            (m, g)
            for m, g in CALLED.items()
            if not str(row.get(f"{m}_verdict", "within")).startswith(("within", "no "))
        ]
        what = WHAT[row["kind"]].format(arm=row["arm"])
        if not called:
            deltas = ", ".join(f"{g} {row[f'{m}_delta'] * 100:+.1f}" for m, g in CALLED.items() if f"{m}_delta" in row)
            out.append(
                {
                    "arm": row["arm"],
                    "text": f"{what.capitalize()}: no effect beyond noise on unheard voices ({deltas} points).",
                }
            )
            continue
        for measure, group in called:
            delta, (low, high) = row[f"{measure}_delta"], row[f"{measure}_interval"]
            side = "rises" if delta > 0 else "falls"
            worth = "helps" if (delta > 0) == (row["kind"] == "without") else "hurts"
            text = (
                f"{what.capitalize()}, {group} FRR {side} by {pts(delta)} (seed spread {pts(row[f'{measure}_noise'])}, "
                f"95 % [{low * 100:+.1f}, {high * 100:+.1f}]): {row['arm']} {worth} on {group}s."
            )
            out.append({"arm": row["arm"], "text": text})
    curve = summary["learning_curve"].get("speakers", {})
    fit = curve.get("fits", {}).get(UNSEEN_VOICE)
    if fit:
        have = max(p["size"] for p in curve["points"])
        need = fit["speakers_for_5pct"]
        if not need:
            text = f"Unseen-voice FRR does not fall with more positive speakers (fit exponent {fit['b']})."
        elif need > FIT_REACH * have:  # a shallow fit's 5 % point says only that speakers alone won't get there
            text = (
                f"The power-law fit over positive speakers is too shallow to say when unseen-voice FRR reaches 5 %: "
                f"beyond {FIT_REACH}x the {have} speakers training has (exponent {fit['b']})."
            )
        else:
            text = (
                f"By the power-law fit over positive speakers, unseen-voice FRR would reach 5 % at about {need} "
                f"speakers (training has {have})."
            )
        out.append({"arm": "speakers", "text": text})
    return out


def comparison_text(summary: dict) -> str:
    """`datasynth value --group NAME`: the baseline and the group's arms, one line each, and the verdicts."""
    lines = []
    for row in summary["rows"]:
        if row.get("seeds", 0) == 0:
            lines.append(f"{row['arm']} ({row['kind']}): skipped, {row['skipped']}")
            continue
        figures = ", ".join(f"{g} FRR {row[m] * 100:.1f} %" for m, g in CALLED.items() if row.get(m) is not None)
        lines.append(
            f"{row['arm']} ({row['kind']}, {row['seeds']} seeds): {figures}, pooled test FRR "
            f"{row['test_frr'] * 100:.1f} % at {row['test_fa_per_hour']:.2f} FA/h"
        )
        lines += [f"  {g}: {row[f'{m}_verdict']}" for m, g in CALLED.items() if f"{m}_verdict" in row]
    return "\n".join(lines)
