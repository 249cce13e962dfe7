"""The data-value study's heads, trained side by side in data_value.workers processes.

Every (arm, seed) is a job: a head trained on the arm's embeddings, scored as the ablation scores (threshold
chosen on dev) and again at the dev threshold of its reference arm (the baseline, or the audit pair's arm
without the dropped clips) of the same seed, so a seed's reference runs before the arms compared with it. An
arm's embeddings are saved once to a scratch folder that the workers memory-map. A bfloat16 head's weights
depend on the number of threads that trained it, so every head trains on one torch thread whatever the number
of workers: the table is the same with one worker or two. On 2 cores two one-thread workers train ~1.3x the
heads of one process on two threads.
"""

from __future__ import annotations

import logging
import multiprocessing
import time
from collections.abc import Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pipeline.common.params import Params
from pipeline.common.progress import progress_line
from pipeline.triggerword.studies.ablate import HEADLINE, at_threshold, cached_data, part_probabilities, score_parts
from synth.triggerword.recipes import Recipes

log = logging.getLogger("datasynth.data_value")


@dataclass(frozen=True)
class Job:
    """One head to train: the arm, the seed, the arm's training recipes and where its embeddings are."""

    arm: str
    kind: str
    seed: int
    train: Recipes
    x: Path  # the training clips' embeddings (.npy)
    mined: Path | None  # the mined clips' embeddings, None when the arm trains without them
    reference: str | None = None  # the arm it is compared with (scored at that arm's threshold too); None: none

    @property
    def key(self) -> tuple[str, int]:
        return self.arm, self.seed

    @property
    def reference_key(self) -> tuple[str, int] | None:
        return None if self.reference is None else (self.reference, self.seed)


def save_array(array: np.ndarray | None, path: Path) -> Path | None:
    if array is None:
        return None
    np.save(path, np.asarray(array), allow_pickle=False)
    return path


def train_and_score(
    params: Params, data: dict, train: tuple, mined: np.ndarray | None, seed: int, reference_threshold: float | None
) -> tuple[dict, np.ndarray]:
    """One head on `train` (embeddings, recipes) and the mined clips; its scores at its own dev threshold and
    at its reference's (keys at_baseline_*); the hit of every test positive (in the fixed order of the test clips)
    and its group."""
    from models.common.training import resolve_device
    from pipeline.triggerword.train_head import HeadTrainer

    trainer = HeadTrainer(params, resolve_device(params.train.device), mined, train=train, seed=seed)
    _, best = trainer.fit(quiet=True)
    parts = part_probabilities(trainer.probabilities, data)
    scores, frame = score_parts(params, parts, data)
    if reference_threshold is not None:
        at_base, _ = at_threshold(params, parts, data, reference_threshold)
        scores |= {f"at_baseline_{k}": v for k, v in at_base.items()}
    test = frame[frame["part"] == "test"]
    return {"best_epoch": int(best["epoch"]), **scores}, test[["group", "hit"]].to_numpy()


_WORKER: dict = {}  # a worker process's params and the scored parts' embeddings (set once by _start_worker)


def _start_worker(params: Params) -> None:
    import torch

    torch.set_num_threads(1)
    _WORKER["params"], _WORKER["data"] = params, cached_data(params)


def _run_job(job: Job, reference_threshold: float | None) -> tuple[dict, np.ndarray, float]:
    started = time.perf_counter()
    x = np.load(job.x, mmap_mode="r", allow_pickle=False)
    mined = None if job.mined is None else np.load(job.mined, allow_pickle=False)
    params, data = _WORKER["params"], _WORKER["data"]
    scores, hit = train_and_score(params, data, (x, job.train), mined, job.seed, reference_threshold)
    return scores, hit, round(time.perf_counter() - started, 1)


def run_jobs(params: Params, jobs: list[Job], workers: int) -> dict[tuple[str, int], tuple[dict, np.ndarray, float]]:
    """(arm, seed) -> (scores, test hits, seconds) for every job. A job whose reference (arm, seed) is among
    the jobs is queued once that reference's dev threshold is known; the others go first."""
    keys = {job.key for job in jobs}
    waiting = [job for job in jobs if job.reference_key in keys]
    results, thresholds, started = {}, {}, time.monotonic()
    context = multiprocessing.get_context("spawn")  # no fork of a process holding thread pools
    workers = max(1, min(workers, len(jobs)))
    with ProcessPoolExecutor(workers, mp_context=context, initializer=_start_worker, initargs=(params,)) as pool:

        def submit(queue: Iterable[Job]) -> dict[Future, Job]:
            return {pool.submit(_run_job, job, thresholds.get(job.reference_key)): job for job in queue}

        pending = submit(job for job in jobs if job.reference_key not in keys)
        while pending:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                job = pending.pop(future)
                results[job.key] = scores, _, _ = future.result()
                log.info(
                    "%s seed %d: unseen engine %s, unseen voice %s (%s)",
                    job.arm,
                    job.seed,
                    scores[HEADLINE],
                    scores["test_unseen_voice_frr"],
                    progress_line("heads", len(results), len(jobs), "head", time.monotonic() - started),
                )
                thresholds[job.key] = scores["threshold"]
                pending |= submit(j for j in waiting if j.reference_key == job.key)
    return results
