"""The two costs of the default run that this benchmark's choices cut, each side by side with its baseline.

    python benchmarks/default_run_speed.py [--clips 160] [--epoch-clips 2000]

Needs `dvc repro embed` (recipes, catalog, cached embeddings). Two measurements, in one run:

- embed: the first `--clips` training recipes rendered, resampled and embedded with no store (every clip
  computed), by one process with two onnxruntime threads (the previous default) and by `embed.workers: 2`
  processes with one thread each; the embeddings must be the same bytes.
- the head: one training epoch over the first `--epoch-clips` cached training clips under
  `train.head.precision` float32 and bfloat16 (the dropout is the rand-mask one in both), and the dropout's
  mask on a (64, 125, 256) batch: `bernoulli_` (nn.Dropout) against `rand >= p` (RandDropout), forward and
  backward.
Prints milliseconds per clip or per call and the speed-ups.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from models.triggerword.embedding_head import RandDropout  # noqa: E402
from models.triggerword.speech_embedding import SpeechEmbedding  # noqa: E402
from pipeline.common.params import load_params, with_change  # noqa: E402
from pipeline.triggerword.datasets import read_recipes  # noqa: E402
from pipeline.triggerword.embed import embed_rows  # noqa: E402
from pipeline.triggerword.embedding_cache import EmbeddingCache  # noqa: E402


def seconds(fn) -> tuple[object, float]:
    started = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - started


def embed_side_by_side(params, clips: int) -> None:
    data, rows = read_recipes(), np.arange(clips)
    window = params.model.embedding.window

    def run(workers: int, threads: int):
        cache = EmbeddingCache(SpeechEmbedding(threads=threads), window, root=None)  # no store: all computed
        one = with_change(params, "embed.threads", threads, "benchmark")
        return embed_rows(one, data, rows, cache, f"{workers} worker(s)", workers)

    alone, before = seconds(lambda: run(1, 2))
    side_by_side, after = seconds(lambda: run(2, 1))
    print(
        f"embed, {clips} training clips: one process, 2 threads {1000 * before / clips:.0f} ms a clip; "
        f"2 workers, 1 thread each {1000 * after / clips:.0f} ms a clip ({before / after:.2f}x); "
        f"same bytes: {alone.tobytes() == side_by_side.tobytes()}"
    )


def head_side_by_side(params, clips: int) -> None:
    from models.common.training import resolve_device
    from pipeline.triggerword.train_head import HeadTrainer, read_part

    recipes = read_recipes().recipes
    x, train = read_part("train", recipes)
    subset = (np.asarray(x[:clips]), train.take(np.arange(min(clips, len(train)))))
    times = {}
    for precision in ("float32", "bfloat16"):
        arm = with_change(params, "train.head.precision", precision, "benchmark")
        trainer = HeadTrainer(arm, resolve_device("cpu"), None, train=subset)
        trainer.train_epoch(0)  # warm-up
        _, times[precision] = seconds(lambda t=trainer: t.train_epoch(1))
    print(
        f"head epoch, {clips} clips: float32 {times['float32']:.1f} s, bfloat16 {times['bfloat16']:.1f} s "
        f"({times['float32'] / times['bfloat16']:.2f}x)"
    )
    batch = torch.randn(64, 125, 256, requires_grad=True)
    masks = {"bernoulli_": torch.nn.Dropout(0.3), "rand >= p": RandDropout(0.3)}
    ms = {}
    for name, dropout in masks.items():
        for _ in range(3):
            dropout(batch).sum().backward()
        _, spent = seconds(lambda d=dropout: [d(batch).sum().backward() for _ in range(20)])
        ms[name] = 1000 * spent / 20
    print(
        f"dropout mask, forward + backward of (64, 125, 256): bernoulli_ {ms['bernoulli_']:.1f} ms, "
        f"rand >= p {ms['rand >= p']:.1f} ms ({ms['bernoulli_'] / ms['rand >= p']:.2f}x)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--params", default="params.yaml")
    parser.add_argument("--clips", type=int, default=160)
    parser.add_argument("--epoch-clips", type=int, default=2000)
    args = parser.parse_args()
    torch.set_num_threads(2)
    params = load_params(args.params)
    embed_side_by_side(params, args.clips)
    head_side_by_side(params, args.epoch_clips)


if __name__ == "__main__":
    main()
