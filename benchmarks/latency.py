"""Detection latency on the test split: from each positive's true end to the detection that hit it.

    python benchmarks/latency.py          # after `dvc repro evaluate`

Reads data/predictions/test.npz (the evaluate stage's per-step probabilities and dev-chosen threshold)
and the recipes, applies the evaluate stage's event rules, and prints the median and 95th percentile
of (detection time - positive end) over the hits. A detection's time is the end of the output step
that fired, so the figure includes the model's own step (80 ms for the embedding family).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from models.triggerword.events import detect, smooth  # noqa: E402
from pipeline.common.params import load_params  # noqa: E402
from pipeline.triggerword.datasets import read_recipes  # noqa: E402
from pipeline.triggerword.evaluate import event_spec  # noqa: E402


def main() -> None:
    params = load_params(ROOT / "params.yaml")
    with np.load(ROOT / "data/predictions/test.npz") as npz:
        ids, probs, threshold = npz["example_id"], npz["probabilities"].astype(np.float32), float(npz["threshold"])
    data = read_recipes(ROOT / "data/synth", ROOT / "data/catalog")
    recipes = data.recipes.take(np.searchsorted(data.recipes.example_id, ids))
    ty = probs.shape[1]
    spec, step_seconds = event_spec(params, ty), params.audio.clip_seconds / ty
    smoothed = smooth(probs, spec.smoothing_steps)
    rate = params.audio.sample_rate
    latencies = []
    for i, row in enumerate(smoothed):
        times = (detect(row, threshold, spec.refractory_steps) + 1) * step_seconds
        mask = recipes.insert_mask[i] & recipes.insert_positive[i]
        for end in (recipes.insert_start[i][mask] + recipes.insert_length[i][mask]) / rate:
            after = times[(times >= end - step_seconds) & (times <= end + params.evaluate.match_seconds + step_seconds)]
            if len(after):
                latencies.append(float(after[0] - end))
    latencies = np.array(latencies)
    print(f"threshold {threshold:.4f}, {len(latencies)} detected positives")
    print(f"latency_median_s {np.median(latencies):.3f}")
    print(f"latency_p95_s {np.percentile(latencies, 95):.3f}")


if __name__ == "__main__":
    main()
