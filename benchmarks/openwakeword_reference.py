"""openWakeWord's own pipeline as a reference arm, on the pipeline's own clips and judged as the ablation is.

    python benchmarks/openwakeword_reference.py [--steps 10000] [--seeds 0 1]

Needs the data of `dvc repro ablate` (recipes, embeddings, mined clips). Four arms, each trained once per seed
and scored by `ablate.score_model` (the threshold chosen on dev at evaluate.target_fa_per_hour, then FRR per
voice group on test, FA/h on the test clips and stream):

- `default`: datasynth's front-end (mel frames per 80 ms step) and its head recipe (params.yaml).
- `oww_recipe`: the same embeddings, openWakeWord's classifier recipe (below).
- `oww_features`: features from `openwakeword.utils.AudioFeatures` (the installed 0.5.1 wheel, ONNX), mel
  frames over each whole clip as its `embed_clips` computes them for training, with datasynth's head recipe.
- `oww_features+recipe`: openWakeWord's features and recipe together: the reference.

The classifier recipe, as openWakeWord's train.py does it (re-implemented, scaled to a CPU): the same
fully connected network over 16 embeddings (datasynth's head is that network); examples are single windows,
each batch `--positives` positive and `--negatives` negative windows; per batch, negatives it already scores
under 0.001 and positives over 0.999 are left out (only high-loss windows train); the loss weight of
negatives ramps linearly from 1 to `--max-negative-weight`; Adam with a warm-up (first 20 %), a hold (a
third) and cosine decay, at 1e-4, then two short sequences at a tenth and a hundredth of it; the weights of
the checkpoints of the last quarter of sequence 1 and of sequences 2-3 are averaged into the final model.
Left out: its dev-FA/h checkpoint filter (the averaged checkpoints are all kept) and its 2 000 h of
precomputed negative features (not installable offline: the negatives are the pipeline's own).

AudioFeatures' embeddings are kept in data/cache/embeddings/openwakeword-audiofeatures/ (by audio, like the
embed stage's) and laid out in data/cache/reference/openwakeword/ like data/embeddings/. Prints the table and
writes reports/reference/openwakeword.json.
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from models.common.training import resolve_device, seed_everything  # noqa: E402
from models.triggerword.embedding_head import EmbeddingHead  # noqa: E402
from models.triggerword.speech_embedding import STEP_INPUT, STEP_SAMPLES, lead_samples  # noqa: E402
from pipeline.common.params import Params, load_params  # noqa: E402
from pipeline.triggerword.datasets import read_recipes  # noqa: E402
from pipeline.triggerword.embed import PARTS, STREAMS, embed_rows, part_rows  # noqa: E402
from pipeline.triggerword.embedding_cache import CACHE_DIR, EmbeddingCache  # noqa: E402
from pipeline.triggerword.studies import ablate  # noqa: E402
from pipeline.triggerword.train_head import loss_mask, part_labels, read_part  # noqa: E402

REFERENCE_DIR = ROOT / "data/cache/reference/openwakeword"
OUT = ROOT / "reports/reference/openwakeword.json"


class AudioFeaturesFrontEnd:
    """openwakeword.utils.AudioFeatures (ONNX) as datasynth's front-end interface: `embed(audio, window)`.

    Each clip is quantised to 16-bit PCM (AudioFeatures takes nothing else), led by the same zeros as
    datasynth's front-end plus the 352 samples its first step's mel frames look back, and embedded with
    `embed_clips` (one mel call over the whole clip), so embedding k covers the same audio in both."""

    def __init__(self):
        from openwakeword.utils import AudioFeatures

        self.features = AudioFeatures(inference_framework="onnx", ncpu=1)

    def embed(self, audio: np.ndarray, window: int) -> np.ndarray:
        lead = lead_samples(window) + STEP_INPUT - STEP_SAMPLES
        out = []
        for clip in np.atleast_2d(audio):
            pcm = np.clip(np.round(clip * 32767.0), -32768, 32767).astype(np.int16)
            embedded = self.features.embed_clips(np.concatenate([np.zeros(lead, np.int16), pcm])[None], batch_size=1)
            out.append(embedded[0, : window - 1 + len(clip) // STEP_SAMPLES])
        return np.stack(out).astype(np.float32)


def embed_reference(params: Params) -> Path:
    """Every part of the embed stage, through AudioFeatures, laid out as data/embeddings/ is."""
    cache = EmbeddingCache(
        AudioFeaturesFrontEnd(), params.model.embedding.window, CACHE_DIR / "openwakeword-audiofeatures"
    )
    sources = {"recipes": read_recipes(), "stream": read_recipes(name="stream.parquet")}
    REFERENCE_DIR.mkdir(parents=True, exist_ok=True)
    for part in PARTS:
        data = sources["stream" if part in STREAMS else "recipes"]
        rows = part_rows(params, data, part)
        np.save(REFERENCE_DIR / f"{part}.npy", embed_rows(params, data, rows, cache, f"AudioFeatures {part}"))
        np.save(REFERENCE_DIR / f"{part}_ids.npy", data.recipes.example_id[rows])
    print(f"AudioFeatures: {cache.counts()}", flush=True)
    return REFERENCE_DIR


def windows(params: Params, data: dict) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(embeddings (clips, T, 96), positive (clip, step) pairs, negative pairs): every step labelled 1 is a
    positive window, every counted step labelled 0 a negative one, and every step of a mined clip too."""
    train_x, train_recipes = read_part("train", read_recipes().recipes, data["embed_dir"])
    labels, mask = part_labels(params, train_recipes), loss_mask(params, train_recipes)
    counted = np.ones_like(labels) if mask is None else mask
    mined = data["mined"] if data["mined"] is not None else np.zeros((0, *train_x.shape[1:]), np.float16)
    clips = np.concatenate([np.asarray(train_x), mined]).astype(np.float32)
    steps = labels.shape[1]
    negative_mined = np.stack(np.meshgrid(np.arange(len(mined)) + len(train_x), np.arange(steps), indexing="ij"), -1)
    positive = np.argwhere(labels == 1)
    negative = np.concatenate([np.argwhere((labels == 0) & (counted > 0)), negative_mined.reshape(-1, 2)])
    return clips, positive, negative


def oww_train(params: Params, data: dict, seed: int, args: argparse.Namespace) -> EmbeddingHead:
    """openWakeWord's classifier recipe (see the module's docstring) on single 16-embedding windows."""
    device = resolve_device(params.train.device)
    torch.manual_seed(seed)
    spec = params.model.embedding.replace(dropout=0.0)  # openWakeWord's network has no dropout
    head = EmbeddingHead(spec).to(device)
    optimizer = torch.optim.Adam(head.parameters(), lr=args.learning_rate)
    clips, positive, negative = windows(params, data)
    rng = np.random.default_rng(np.random.SeedSequence([seed, 0x0AA]))
    offsets, kept = np.arange(spec.window), []
    sequences = [(args.steps, args.learning_rate), (args.steps // 10, args.learning_rate / 10)]
    sequences.append((args.steps // 10, args.learning_rate / 100))
    for number, (steps, lr) in enumerate(sequences):
        weights = np.linspace(1.0, args.max_negative_weight, steps)
        for step in range(steps):
            for group in optimizer.param_groups:
                group["lr"] = warmup_hold_cosine(step, steps, lr)
            pairs = np.concatenate(
                [
                    positive[rng.integers(len(positive), size=args.positives)],
                    negative[rng.integers(len(negative), size=args.negatives)],
                ]
            )
            y = torch.tensor(
                np.r_[np.ones(args.positives), np.zeros(args.negatives)], dtype=torch.float32, device=device
            )
            x = torch.as_tensor(clips[pairs[:, 0, None], pairs[:, 1, None] + offsets], device=device)
            p = torch.sigmoid(head(x)[:, -1])
            hard = ((y == 0) & (p >= 0.001)) | ((y == 1) & (p < 0.999))
            if hard.any():
                w = torch.where(y[hard] == 1, 1.0, float(weights[step]))
                loss = torch.nn.functional.binary_cross_entropy(p[hard], y[hard], weight=w)
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
            if (number > 0 or step >= 0.75 * steps) and step % max(1, steps // 20) == 0:
                kept.append(copy.deepcopy(head.state_dict()))
    head.load_state_dict({k: torch.stack([s[k].float() for s in kept]).mean(0).to(v.dtype) for k, v in kept[0].items()})
    return head.eval()


def warmup_hold_cosine(step: int, steps: int, lr: float) -> float:
    """openWakeWord's schedule: linear warm-up over a fifth, hold for a third, cosine decay to 0."""
    warmup, hold = steps // 5, steps // 3
    if step < warmup:
        return lr * step / max(warmup, 1)
    if step < warmup + hold:
        return lr
    return 0.5 * lr * (1 + np.cos(np.pi * (step - warmup - hold) / max(steps - warmup - hold, 1)))


def head_probabilities(head: EmbeddingHead, device: torch.device):
    @torch.no_grad()
    def probabilities(x: np.ndarray) -> np.ndarray:
        parts = [
            torch.sigmoid(head(torch.as_tensor(np.asarray(x[i : i + 256], np.float32), device=device))).cpu()
            for i in range(0, len(x), 256)
        ]
        return torch.cat(parts).numpy()

    return probabilities


def run_arm(name: str, params: Params, data: dict, seed: int, args: argparse.Namespace) -> dict:
    started = time.perf_counter()
    if name.endswith("recipe"):
        head = oww_train(params, data, seed, args)
        result = {
            "seed": seed,
            **ablate.score_model(params, head_probabilities(head, next(head.parameters()).device), data),
        }
    else:
        result = ablate.score_arm(params, seed, data)
    result = {"arm": name, **result, "seconds": round(time.perf_counter() - started, 1)}
    print(
        f"{name:<22} seed {seed}: unseen engine {result[ablate.HEADLINE]:.3f}, "
        f"test FRR {result['test_frr']:.3f} at {result['test_fa_per_hour']:.2f} FA/h",
        flush=True,
    )
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=10000, help="steps of sequence 1 (openWakeWord: 50 000)")
    parser.add_argument("--positives", type=int, default=64, help="positive windows per batch")
    parser.add_argument("--negatives", type=int, default=1024, help="negative windows per batch")
    parser.add_argument("--max-negative-weight", type=float, default=1000.0)
    parser.add_argument("--learning-rate", type=float, default=1e-4)
    parser.add_argument("--seeds", type=int, nargs="+", help="default: ablate.seeds")
    args = parser.parse_args()
    params = load_params(ROOT / "params.yaml")
    seed_everything(params.seed)
    ours, theirs = ablate.cached_data(params), ablate.cached_data(params, embed_reference(params))
    arms = {"default": ours, "oww_recipe": ours, "oww_features": theirs, "oww_features+recipe": theirs}
    runs = [
        run_arm(name, params, data, seed, args)
        for name, data in arms.items()
        for seed in args.seeds or params.ablate.seeds
    ]
    import pandas as pd

    table = pd.DataFrame(runs)
    rows = ablate.summarise(table, {name: name for name in arms} | {ablate.BASELINE: "default params.yaml"})
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps({"args": vars(args), "arms": rows, "runs": runs}, indent=2, default=float) + "\n")
    columns = [
        "arm",
        ablate.HEADLINE,
        "test_point_unseen_engine_frr",
        "test_5fa_unseen_engine_frr",
        "test_unseen_voice_frr",
        "seen_voice_frr",
        "test_frr",
        "test_fa_per_hour",
        "verdict",
    ]
    print(pd.DataFrame(rows)[columns].to_string(index=False))


if __name__ == "__main__":
    main()
