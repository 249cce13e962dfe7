"""How fast the offline miners (synth/identity/triplets.py) and the pair metrics scale with the catalog.

    python benchmarks/mining_speed.py [--items 1000 4000 10000] [--identities 100] [--dim 128]

Random unit embeddings with identity structure; for each size it prints the seconds for the
distance matrix, for each mining strategy (4 triplets per anchor) and for 10-fold threshold
selection on 100 000 pairs. The distance matrix is items² float64: 10 000 items take 0.8 GB.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from models.identity.verification import kfold_threshold_accuracy  # noqa: E402
from synth.identity.triplets import STRATEGIES, mine, pairwise_squared_distances  # noqa: E402


def embeddings(items: int, identities: int, dim: int, rng: np.random.Generator):
    labels = rng.integers(0, identities, items)
    emb = rng.normal(size=(items, dim)) + 0.3 * rng.normal(size=(identities, dim))[labels]
    return emb / np.linalg.norm(emb, axis=1, keepdims=True), labels


def timed(fn) -> tuple[float, object]:
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, nargs="+", default=[1000, 4000, 10000])
    parser.add_argument("--identities", type=int, default=100)
    parser.add_argument("--dim", type=int, default=128)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    print(f"{'items':>7} {'distances_s':>12} " + " ".join(f"{s + '_s':>11} {s + '_n':>10}" for s in STRATEGIES))
    for n in args.items:
        emb, labels = embeddings(n, args.identities, args.dim, rng)
        distances_s = timed(lambda: pairwise_squared_distances(emb))[0]  # noqa: B023  (called at once)
        row = [f"{n:>7}", f"{distances_s:>12.3f}"]
        for strategy in STRATEGIES:
            seconds, triplets = timed(lambda: mine(emb, labels, strategy, 0.2, 4, np.random.default_rng(1)))  # noqa: B023
            row += [f"{seconds:>11.3f}", f"{len(triplets):>10}"]
        print(" ".join(row), flush=True)
    same = rng.random(100_000) < 0.5
    distances = np.where(same, rng.normal(0.8, 0.3, same.size), rng.normal(1.6, 0.3, same.size))
    seconds, result = timed(lambda: kfold_threshold_accuracy(distances, same))
    print(f"10-fold threshold on 100 000 pairs: {seconds:.3f} s (accuracy {result['accuracy']:.3f})")


if __name__ == "__main__":
    main()
