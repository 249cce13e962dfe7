"""data_value stage: what each group of data is worth to a detector judged on voices it never heard.

    python -m pipeline.triggerword.studies.data_value [--params params.yaml] [--group NAME]

For each group of data_value.groups (TTS engines, recorded-speech sources, the computed near misses, the mined
clips) the head is trained **without** it: the same training recipes with the group's inserts left out (only
the examples that held one are rendered and embedded again, through the embedding cache), and for the groups
of data_value.only **with only** its positives. The clips the speech audit drops never reach the pipeline's
recipes, so their group is a pair of its own: the first data_value.audit_examples training recipes drawn from
every clip, trained **with** the dropped clips and compared with the same recipes without them. Every arm, the
baseline included, trains once per seed of data_value.seeds for data_value.epochs, and is scored as the
ablation scores (threshold chosen on dev; pooled test FRR and FA/h; FRR per voice group) and again at its
reference arm's threshold of the same seed (the baseline's; the audit pair's own for its "with" arm). An
effect is called only when it exceeds the seed spread and its paired bootstrap interval over the test
positives leaves out zero. The learning curve trains on seeded subsets of the training examples, and on the
same examples with their positives said by fewer speakers (each other speaker's positive swapped for a kept
speaker's: positives held fixed), and fits a power law to the unseen-voice FRR.
-> reports/metrics/data_value.json, reports/data_value/arms.tsv, reports/data_value/index.html
"""

from __future__ import annotations

import argparse
import logging
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from pipeline.common.io import DataError, atomic_file, run_stage, write_json, write_text
from pipeline.common.params import Params, load_params, with_change
from pipeline.triggerword.studies.data_value_jobs import Job, run_jobs, save_array
from synth.triggerword.data_value import (
    changed_rows,
    example_subset,
    group_clips,
    other_positives,
    positive_speakers,
    removed_inserts,
    speaker_swap,
)
from synth.triggerword.recipes import Recipes

log = logging.getLogger("datasynth.data_value")
METRICS = Path("reports/metrics/data_value.json")
TABLE = Path("reports/data_value/arms.tsv")
REPORT = Path("reports/data_value/index.html")
BASELINE = "baseline"


@dataclass
class Arm:
    """One training set: embeddings and recipes of the training clips, the mined clips, what changed."""

    name: str
    kind: str  # baseline | without | only | with | reference | clips | speakers
    group: str | None
    train_x: np.ndarray
    train: Recipes
    mined: np.ndarray | None
    facts: dict = field(default_factory=dict)
    reference: str | None = BASELINE  # the arm it is compared with (None: none, the baseline itself)


class Study:
    """The cached embeddings every arm starts from, and the front-end for the examples an arm changes."""

    def __init__(self, params: Params):
        from pipeline.triggerword.datasets import read_recipes
        from pipeline.triggerword.train_head import read_mined, read_part

        self.params = with_change(params, "train.head.epochs", params.data_value.epochs, "data_value.epochs")
        synth = read_recipes()  # the scored parts' embeddings are the workers' (data_value_jobs), not needed here
        self.catalog = synth.catalog
        x, train = read_part("train", synth.recipes)
        count = len(train) if params.data_value.examples is None else params.data_value.examples
        if count > len(train):
            raise DataError(f"data_value.examples: {count} is more than the {len(train)} embedded training examples")
        self.train_x, self.train = np.asarray(x[:count]), train.take(np.arange(count))
        self.speaker_codes = pd.factorize(self.catalog["speaker"])[0]  # an integer per catalog row's speaker
        self.mined, self.mined_recipes = read_mined(params), self.train.take(np.arange(0))
        if self.mined is not None:
            self.mined_recipes = mined_recipes(read_recipes(name="stream.parquet").recipes)
        self._cache = None

    @property
    def cache(self):
        if self._cache is None:
            from models.triggerword.speech_embedding import SpeechEmbedding
            from pipeline.triggerword.embedding_cache import EmbeddingCache

            threads, window = self.params.embed.threads, self.params.model.embedding.window
            self._cache = EmbeddingCache(SpeechEmbedding(threads=threads), window)
        return self._cache

    def reembedded(self, x: np.ndarray, before: Recipes, after: Recipes, label: str) -> tuple[np.ndarray, int]:
        """x with the rows whose inserts changed rendered and embedded again; and how many those were."""
        from pipeline.triggerword.datasets import SynthData
        from pipeline.triggerword.embed import embed_rows

        rows = changed_rows(before, after)
        if not len(rows):
            return x, 0
        out = np.array(x, copy=True)
        out[rows] = embed_rows(
            self.params, SynthData(after, {}, self.catalog), rows, self.cache, label, self.params.embed.workers
        )
        return out, int(len(rows))

    def without(self, name: str, kind: str, dropped: np.ndarray) -> Arm | None:
        """The arm that leaves every insert of a `dropped` clip (bool per catalog row) out; None when the
        training clips and the mined clips hold none."""
        train, mined = self.train.without_clips(dropped), self.mined_recipes.without_clips(dropped)
        removed = removed_inserts(self.train, train)
        removed_mined = removed_inserts(self.mined_recipes, mined)
        if not sum(removed.values()) + sum(removed_mined.values()):
            return None
        x, changed = self.reembedded(self.train_x, self.train, train, f"{name} ({kind})")
        mined_x, mined_changed = (
            (None, 0)
            if self.mined is None
            else self.reembedded(self.mined, self.mined_recipes, mined, f"{name} ({kind}, mined)")
        )
        facts = {
            "removed_inserts": removed,
            "removed_mined_inserts": removed_mined,
            "examples_changed": changed + mined_changed,
        }
        return Arm(name, kind, name, x, train, mined_x, facts)

    def audit_pair(self, name: str) -> Iterator[Arm | tuple[str, str, str]]:
        """The audit's dropped clips: the first audit_examples training recipes drawn from every clip, without
        them (kind reference) and with them (kind with, compared with the reference)."""
        from pipeline.triggerword.datasets import AUDIT_DIR, SynthData, audit_dropped
        from pipeline.triggerword.embed import embed_rows

        count, reference = self.params.data_value.audit_examples, f"{name} reference"
        if not count:
            yield name, "with", "data_value.audit_examples is 0"
            return
        with_dropped = every_clip_recipes(self.params, self.catalog, count)
        without = with_dropped.without_clips(audit_dropped(self.catalog, AUDIT_DIR))
        removed = removed_inserts(with_dropped, without)
        if not sum(removed.values()):
            yield name, "with", "no training recipe drawn from every clip holds a clip the audit drops"
            return
        everything = np.arange(len(without))  # the cache embeds what the two arms share once
        data = SynthData(without, {}, self.catalog)
        x = embed_rows(self.params, data, everything, self.cache, f"{name} (reference)", self.params.embed.workers)
        facts = {"examples": len(without)}
        yield Arm(reference, "reference", None, x, without, self.mined, facts, reference=None)
        x_with, changed = self.reembedded(x, without, with_dropped, f"{name} (with)")
        facts = {"examples": len(with_dropped), "added_inserts": removed, "examples_changed": changed}
        yield Arm(name, "with", name, x_with, with_dropped, self.mined, facts, reference=reference)


def every_clip_recipes(params: Params, catalog: pd.DataFrame, count: int) -> Recipes:
    """The first `count` training recipes synthesise draws when no clip is left out (the audit's included)."""
    from pipeline.triggerword.synthesise import synthesise
    from synth.common.splits import SPLITS

    recipes, _, _ = synthesise(params, catalog, None)
    return recipes.take(np.flatnonzero(recipes.split == SPLITS.index("train"))[:count])


def mined_recipes(stream: Recipes) -> Recipes:
    """The recipes of the mined clips, row for row with train_head.read_mined's embeddings."""
    from pipeline.triggerword.train_head import MINED, mined_rows, read_part

    _, pool = read_part("pool", stream)
    return pool.take(mined_rows(pool.example_id, pd.read_parquet(MINED)))


def group_masks(params: Params, catalog: pd.DataFrame) -> dict[str, np.ndarray | None]:
    """group -> bool per catalog row (None for the mined clips, which an arm leaves out whole, and for the
    audit's dropped clips, a pair of arms of their own)."""
    from pipeline.triggerword.sources.near_misses import find_near_misses

    groups = params.data_value.groups
    needs_near = any(m == ("near_misses",) for m in groups.values())
    near = {m.text.lower() for m in find_near_misses(params.collect)} if needs_near else set()
    columns = [catalog[c].to_numpy() for c in ("source", "word", "kind")]
    whole = (("mined",), ("audit",))
    return {name: None if m in whole else group_clips(*columns, m, near) for name, m in groups.items()}


def arms(study: Study, only: str | None = None) -> Iterator[Arm | tuple[str, str, str]]:
    """The baseline, then each group's without (and only) arm, then the learning curve's subsets. A group
    with nothing to remove yields (name, kind, reason) instead of an arm. `only`: that group alone."""
    params, dv = study.params, study.params.data_value
    yield Arm(BASELINE, "baseline", None, study.train_x, study.train, study.mined, baseline_facts(study), None)
    kind = study.catalog["kind"].to_numpy()
    for name, mask in group_masks(params, study.catalog).items():
        if only is not None and name != only:
            continue
        if dv.groups[name] == ("audit",):
            yield from study.audit_pair(name)
            continue
        if mask is None:
            found = None if study.mined is None else Arm(name, "without", name, study.train_x, study.train, None)
        else:
            found = study.without(name, "without", mask)
        yield found or (name, "without", "no training or mined insert belongs to this group")
        if name in dv.only and mask is not None:
            found = study.without(name, "only", other_positives(mask, kind))
            yield found or (name, "only", "no other positives to leave out")
    if only is None:
        yield from curve_arms(study)


def curve_arms(study: Study) -> Iterator[Arm]:
    curve, n = study.params.data_value.learning_curve, len(study.train)
    rng = np.random.default_rng(np.random.SeedSequence([study.params.seed, 0xDA7A]))
    for fraction in curve.fractions:
        rows = example_subset(n, fraction, rng)
        facts = {"fraction": fraction, "examples": int(len(rows))}
        yield Arm(f"clips {fraction:g}", "clips", None, study.train_x[rows], study.train.take(rows), study.mined, facts)
    codes = study.speaker_codes
    everyone = len(positive_speakers(study.train, codes))
    for speakers in curve.speakers:
        if speakers >= everyone:
            continue
        _, train, lost = speaker_swap(study.train, codes, speakers, rng)
        x, changed = study.reembedded(study.train_x, study.train, train, f"speakers {speakers}")
        facts = {"speakers": speakers, "examples": len(train), "examples_changed": changed, "inserts_left_out": lost}
        yield Arm(f"speakers {speakers}", "speakers", None, x, train, study.mined, facts)


def baseline_facts(study: Study) -> dict:
    return {"examples": len(study.train), "speakers": int(len(positive_speakers(study.train, study.speaker_codes)))}


def run(params: Params, only: str | None = None) -> tuple[pd.DataFrame, dict, dict]:
    """Every arm x seed: (runs table, arm facts, test hits per (arm, seed)); skipped arms in the facts. The
    arms are built first (re-embedding what they change), then their heads train (data_value_jobs)."""
    from models.common.training import seed_everything

    seed_everything(params.seed)
    study, dv = Study(params), params.data_value
    facts, jobs = {}, []
    with tempfile.TemporaryDirectory(prefix="datasynth-data-value-") as scratch:
        for arm in arms(study, only):
            if isinstance(arm, tuple):
                name, kind, reason = arm
                facts[(name, kind)] = {"skipped": reason}
                log.info("%s (%s): skipped, %s", name, kind, reason)
                continue
            facts[(arm.name, arm.kind)] = {"group": arm.group, "reference": arm.reference, **arm.facts}
            log.info("%s (%s): ready, %s", arm.name, arm.kind, arm.facts or "the training clips as embedded")
            jobs += arm_jobs(arm, Path(scratch) / str(len(facts)), dv)
        results = run_jobs(study.params, jobs, dv.workers)
    runs, hits = [], {}
    for job in jobs:  # in the arms' order, whichever head finished first
        scores, hits[job.key], seconds = results[job.key]
        runs.append({"arm": job.arm, "kind": job.kind, "seed": job.seed, **scores, "seconds": seconds})
    return pd.DataFrame(runs), facts, hits


def arm_jobs(arm: Arm, folder: Path, dv) -> list[Job]:
    """The arm's embeddings saved under `folder`, and a job per seed (the learning curve's own seeds)."""
    folder.mkdir()
    x, mined = save_array(arm.train_x, folder / "x.npy"), save_array(arm.mined, folder / "mined.npy")
    seeds = dv.learning_curve.seeds if arm.kind in ("clips", "speakers") else dv.seeds
    return [Job(arm.name, arm.kind, seed, arm.train, x, mined, arm.reference) for seed in seeds]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--params", default="params.yaml", help="parameters file (default: params.yaml)")
    parser.add_argument("--group", help="one group of data_value.groups against the baseline; prints the comparison")
    args = parser.parse_args(argv)
    params = load_params(args.params)
    if args.group is not None and args.group not in params.data_value.groups:
        raise DataError(f"--group {args.group}: not one of data_value.groups ({', '.join(params.data_value.groups)})")
    if params.model.family != "embedding":
        if args.group is None:
            write_json(METRICS, {"skipped": "the study trains the embedding family's head (model.family: embedding)"})
        return
    from pipeline.triggerword.analysis.data_value_report import data_value_html
    from pipeline.triggerword.studies.data_value_summary import comparison_text, summarise

    runs, facts, hits = run(params, args.group)
    summary = summarise(params, runs, facts, hits)
    if args.group is not None:  # by hand: print, write nothing the stage owns
        print(comparison_text(summary))
        return
    with atomic_file(TABLE, "w") as handle:
        pd.DataFrame(summary["rows"]).to_csv(handle, sep="\t", index=False)
    write_json(METRICS, {**summary, "runs": runs.to_dict("records")})
    write_text(REPORT, data_value_html(summary))


if __name__ == "__main__":
    run_stage(main, "data_value")
