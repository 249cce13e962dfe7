"""embed stage: recipes rendered and passed through the frozen speech front-end -> data/embeddings/.

    python -m pipeline.triggerword.embed [--params params.yaml]

Writes <part>.npy ((n, T, 96) float16 embeddings) and <part>_ids.npy (their example ids) for the first
embed.examples recipes of train, dev and test, the whole test stream, mining pool and dev stream, plus
manifest.json. The embeddings are a deterministic function of the recipes, so DVC caches them and the head
trains in minutes. Each distinct clip is embedded once (pipeline/triggerword/embedding_cache.py): a run after more
recipes, another split or another part embeds only audio it has not seen, and renders only recipes it has not
rendered before (pipeline/triggerword/render_index.py). With model.family: lecture there is
nothing to embed and the folder holds only the manifest.
"""

from __future__ import annotations

import argparse
import logging
import multiprocessing
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

from models.triggerword.speech_embedding import SpeechEmbedding, resample
from pipeline.common.catalog import load_bank
from pipeline.common.io import atomic_dir, run_stage, write_json
from pipeline.common.params import Params, load_params
from pipeline.common.progress import progress
from pipeline.triggerword.datasets import STREAMS, SynthData, read_recipes, renderer
from pipeline.triggerword.embedding_cache import EmbeddingCache
from pipeline.triggerword.render_index import RenderIndex
from synth.common.splits import SPLITS

log = logging.getLogger("datasynth.embed")
EMBED_DIR = Path("data/embeddings")
METRICS = Path("reports/metrics/embed.json")
PARTS = (*SPLITS, *STREAMS)


def part_rows(params: Params, data: SynthData, part: str) -> np.ndarray:
    """Recipe rows of one part: the first embed.examples of a split, or a whole stream (STREAMS)."""
    if part in STREAMS:
        return np.flatnonzero(data.recipes.split == SPLITS.index(STREAMS[part]))
    return np.flatnonzero(data.recipes.split == SPLITS.index(part))[: params.embed.examples[part]]


def embed_rows(
    params: Params, data: SynthData, rows: np.ndarray, cache: EmbeddingCache, label: str, workers: int = 1
) -> np.ndarray:
    """Render `rows` in batches of embed.batch_size, resample to 16 kHz and embed each clip through `cache`.

    workers > 1: that many processes render and embed batches side by side, each with its own front-end
    (embed.threads onnxruntime threads) over the same store as `cache` (a SpeechEmbedding one); rendering is
    single-threaded numpy, so on 2 cores two workers keep both busy where one process left one idle. A clip's
    embeddings depend on its audio only (not on the thread count or the worker), so the result is the same
    bytes either way."""
    size = params.embed.batch_size
    batches = [rows[i : i + size] for i in range(0, len(rows), size)]
    workers = min(workers, len(batches))
    if workers <= 1:
        render = renderer(params, load_bank(data.catalog, rows=_clips(data, rows)))
        index = RenderIndex(params, data.catalog["sha256"].to_numpy(), cache.root)
        parts = [
            embedding
            for b in progress(batches, f"embedding {label}", unit="batch")
            for embedding in _embedded(render, cache, index, data.recipes.take(b), params.audio.sample_rate)
        ]
    else:
        parts = []
        context = multiprocessing.get_context("spawn")  # no fork of a process holding thread pools
        start = (params, data.catalog, _clips(data, rows), cache.window, cache.store)
        with ProcessPoolExecutor(workers, mp_context=context, initializer=_start_worker, initargs=start) as pool:
            done = pool.map(_embed_batch, [data.recipes.take(b) for b in batches])
            for embeddings, computed, reused in progress(done, f"embedding {label}", len(batches), "batch"):
                parts.extend(embeddings)
                cache.computed, cache.reused = cache.computed + computed, cache.reused + reused
    return np.stack(parts) if parts else np.zeros((0, 0, 96), np.float16)


_WORKER: dict = {}  # a worker process's renderer, cache and audio rate (set once by _start_worker)


def _start_worker(params: Params, catalog, clips: np.ndarray, window: int, store) -> None:
    _WORKER["render"] = renderer(params, load_bank(catalog, rows=clips))
    _WORKER["cache"] = cache = EmbeddingCache(SpeechEmbedding(threads=params.embed.threads), window, store)
    _WORKER["index"] = RenderIndex(params, catalog["sha256"].to_numpy(), cache.root)
    _WORKER["rate"] = params.audio.sample_rate


def _embed_batch(recipes) -> tuple[list[np.ndarray], int, int]:
    """One batch in a worker: its clips' embeddings and how many were computed / read back."""
    cache = _WORKER["cache"]
    before = cache.computed, cache.reused
    embeddings = _embedded(_WORKER["render"], cache, _WORKER["index"], recipes, _WORKER["rate"])
    return embeddings, cache.computed - before[0], cache.reused - before[1]


def _embedded(render, cache: EmbeddingCache, index: RenderIndex, recipes, rate: int) -> list[np.ndarray]:
    """One batch of recipes' embeddings: read back by recipe key when `index` knows the audio, else rendered
    at `rate`, resampled to 16 kHz and embedded clip by clip through `cache` (the index then remembers)."""
    keys = [index.key(recipes, i) for i in range(len(recipes))]
    found = [cache.read(index.audio_key(key)) for key in keys]
    todo = [i for i, embeddings in enumerate(found) if embeddings is None]
    if todo:
        for i, clip in zip(todo, resample(render.render(recipes.take(np.array(todo))), rate)):
            found[i], audio_key = cache.embed_keyed(clip)
            index.remember(keys[i], audio_key)
    return found


def _clips(data: SynthData, rows: np.ndarray) -> np.ndarray:
    r = data.recipes
    return np.unique(np.concatenate([r.background_clip[rows], r.insert_clip[rows][r.insert_mask[rows]]]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--params", default="params.yaml")
    args = parser.parse_args()
    params = load_params(args.params)
    manifest = {"family": params.model.family, "window": params.model.embedding.window, "parts": {}}
    started = time.perf_counter()
    with atomic_dir(EMBED_DIR) as out:
        if params.model.family == "embedding":
            cache = EmbeddingCache(SpeechEmbedding(threads=params.embed.threads), params.model.embedding.window)
            sources = {"recipes": read_recipes(), "stream": read_recipes(name="stream.parquet")}
            for part in PARTS:
                data = sources["stream" if part in STREAMS else "recipes"]
                rows = part_rows(params, data, part)
                embeddings = embed_rows(params, data, rows, cache, part, params.embed.workers)
                np.save(out / f"{part}.npy", embeddings)
                np.save(out / f"{part}_ids.npy", data.recipes.example_id[rows])
                manifest["parts"][part] = {"examples": len(rows), "shape": list(embeddings.shape)}
                log.info("%s: %d clips embedded (%s)", part, len(rows), cache.counts())
        write_json(out / "manifest.json", manifest)
    clips = sum(p["examples"] for p in manifest["parts"].values())
    seconds = time.perf_counter() - started
    counts = cache.counts() if params.model.family == "embedding" else {"computed": 0, "reused": 0}
    speed = {"seconds": round(seconds, 1), "clips_per_second": round(clips / seconds, 2)}
    write_json(METRICS, {"clips": clips, **counts, **speed})


if __name__ == "__main__":
    run_stage(main, "embed")
