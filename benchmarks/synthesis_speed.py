"""How fast recipes are drawn and rendered, next to a plain memory copy of the same samples.

    python benchmarks/synthesis_speed.py [--clips 256] [--recipes 1000000] [--catalog data/catalog]

Uses the real catalog when it exists (else a synthetic bank of the same shape) and prints:
  recipes_per_s       recipe drawing (target: 1 000 000 in under 60 s)
  copy_clips_per_s    copying 10-s windows out of the bank: the floor rendering cannot beat
  render_*_clips_per_s numpy renderer, torch on CPU, torch on CUDA when present
With --baseline PATH it also runs the lecture course's pydub recipe script for comparison.
"""

from __future__ import annotations

import argparse
import dataclasses
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipeline.common.params import load_params  # noqa: E402
from pipeline.triggerword.synthesise import recipe_spec  # noqa: E402
from synth.common.catalog import ClipBank  # noqa: E402
from synth.triggerword.recipes import ClipStats, Pools, draw_split  # noqa: E402
from synth.triggerword.render import NumpyRenderer, TorchRenderer, impulse_responses  # noqa: E402

PARAMS = load_params(Path(__file__).resolve().parents[1] / "params.yaml")
SPEC = recipe_spec(PARAMS)  # the default recipe: same inserts, SNRs and reverb share as the pipeline
SR, N = PARAMS.audio.sample_rate, PARAMS.audio.clip_samples


def synthetic_bank() -> tuple[ClipBank, Pools]:
    rng = np.random.default_rng(0)
    words = [rng.uniform(-0.7, 0.7, int(SR * rng.uniform(0.4, 1.2))).astype(np.float32) for _ in range(400)]
    backgrounds = [rng.uniform(-0.3, 0.3, N).astype(np.float32) for _ in range(64)]
    bank = ClipBank.from_clips(words + backgrounds)
    return bank, Pools(np.arange(200), np.arange(200, 400), np.arange(400, 464))


def catalog_bank(catalog_dir: Path) -> tuple[ClipBank, Pools]:
    from pipeline.common.catalog import load_bank, read_catalog

    catalog = read_catalog(catalog_dir)
    kind = catalog["kind"].to_numpy(object)
    pools = Pools(*(np.flatnonzero(kind == k) for k in ("positive", "negative", "background")))
    return load_bank(catalog, catalog_dir), pools


def timed(fn, repeat: int = 3) -> float:
    fn()  # warm-up (imports, allocations, CUDA context)
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clips", type=int, default=256)
    parser.add_argument("--recipes", type=int, default=1_000_000)
    parser.add_argument("--catalog", type=Path, default=Path("data/catalog"))
    parser.add_argument("--baseline", type=Path, help="the pydub recipe script to time alongside")
    args = parser.parse_args()

    real = (args.catalog / "catalog.parquet").exists()
    bank, pools = catalog_bank(args.catalog) if real else synthetic_bank()
    print(
        f"bank: {'catalog ' + str(args.catalog) if real else 'synthetic'}, {len(bank)} clips, "
        f"{bank.samples.nbytes / 1e6:.0f} MB"
    )
    stats = ClipStats(bank.lengths, bank.rms.astype(float), bank.peak.astype(float))

    seconds = timed(lambda: draw_split("train", args.recipes, pools, stats, SPEC, 1, 100_000, 0), repeat=1)
    print(f"recipes_per_s {args.recipes / seconds:,.0f}  ({args.recipes:,} recipes in {seconds:.2f} s)")

    recipes = draw_split("train", args.clips, pools, stats, SPEC, 2, 100_000, 0)
    out = np.empty((args.clips, N), np.float32)
    starts = bank.offsets[recipes.background_clip] + recipes.background_offset

    def copy():
        for i, s in enumerate(starts):
            out[i] = bank.samples[s : s + N]

    copy_rate = args.clips / timed(copy)
    print(f"copy_clips_per_s {copy_rate:,.0f}")
    responses = impulse_responses(SPEC.reverb_irs, PARAMS.synthesise.reverb_rt60_seconds, SR, 1)
    dry = dataclasses.replace(recipes, reverb_ir=np.full(len(recipes), -1, np.int16))
    numpy_renderer = NumpyRenderer(bank, responses, N, SR)
    for name, batch in (("dry", dry), ("default_reverb", recipes)):
        rate = args.clips / timed(lambda: numpy_renderer.render(batch, out))  # noqa: B023  (called at once)
        print(f"render_numpy_{name}_clips_per_s {rate:,.0f}  ({copy_rate / rate:.2f}x the copy time)")
    torch_rate(bank, responses, recipes, "cpu")
    import torch

    if torch.cuda.is_available():
        torch_rate(bank, responses, recipes, "cuda")
    if args.baseline:
        result = subprocess.run([sys.executable, str(args.baseline), "200"], capture_output=True, text=True)
        print(f"baseline (pydub recipe): {result.stdout.strip() or result.stderr.strip()[-300:]}")


def torch_rate(bank, responses, recipes, device: str) -> None:
    import torch

    renderer = TorchRenderer(bank, responses, N, SR, device)

    def run():
        renderer.render(recipes)
        if device == "cuda":
            torch.cuda.synchronize()

    print(f"render_torch_{device}_clips_per_s {len(recipes) / timed(run):,.0f}")


if __name__ == "__main__":
    main()
