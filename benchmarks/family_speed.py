"""Training and front-end throughput of the two trigger-word model families, side by side.

    python benchmarks/family_speed.py [--clips 64] [--device cpu|cuda]

On the default 10-s clips (a synthetic bank of the pipeline's shape, so no data is needed) it prints:
  render_numpy_clips_per_s      the numpy renderer (the embed stage's); on a GPU also the torch renderer
  lecture_train_clips_per_s     render + spectrogram + forward/backward of the lecture network
  embedding_front_end_clips_per_s  render + resample to 16 kHz + the frozen ONNX front-end (the embed stage)
  embedding_head_train_clips_per_s forward/backward of the head on cached embeddings (the train stage)
The embedding family pays its front-end once per clip (DVC caches it); the lecture family pays its
whole network on every epoch.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import onnxruntime
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from models.triggerword.embedding_head import EmbeddingHead  # noqa: E402
from models.triggerword.lecture import TriggerWordModel  # noqa: E402
from models.triggerword.speech_embedding import SpeechEmbedding, resample  # noqa: E402
from pipeline.common.params import load_params  # noqa: E402
from pipeline.triggerword.synthesise import recipe_spec  # noqa: E402
from pipeline.triggerword.train import feature_spec  # noqa: E402
from synth.common.catalog import ClipBank  # noqa: E402
from synth.common.features import Features  # noqa: E402
from synth.triggerword.recipes import ClipStats, Pools, draw_split  # noqa: E402
from synth.triggerword.render import NumpyRenderer, TorchRenderer, impulse_responses  # noqa: E402

PARAMS = load_params(Path(__file__).resolve().parents[1] / "params.yaml")
SR, N = PARAMS.audio.sample_rate, PARAMS.audio.clip_samples


def synthetic(clips: int):
    """A bank of noise words and backgrounds, `clips` recipes drawn from it and the impulse responses."""
    rng = np.random.default_rng(0)
    words = [rng.uniform(-0.7, 0.7, int(SR * rng.uniform(0.4, 1.2))).astype(np.float32) for _ in range(200)]
    backgrounds = [rng.uniform(-0.3, 0.3, N).astype(np.float32) for _ in range(16)]
    bank = ClipBank.from_clips(words + backgrounds)
    stats = ClipStats(bank.lengths, bank.rms.astype(float), bank.peak.astype(float))
    pools = Pools(np.arange(100), np.arange(100, 200), np.arange(200, 216))
    recipes = draw_split("train", clips, pools, stats, recipe_spec(PARAMS), 0, clips, 0)
    responses = impulse_responses(PARAMS.synthesise.reverb_irs, PARAMS.synthesise.reverb_rt60_seconds, SR, 1)
    return bank, recipes, responses


def render_rate(clips: int, device: torch.device | None) -> tuple[float, np.ndarray]:
    """Clips/s of the numpy renderer (device None) or the torch renderer on `device`, and the audio."""
    bank, recipes, responses = synthetic(clips)
    if device is None:
        renderer = NumpyRenderer(bank, responses, N, SR)
        out = []
        return clips / timed(lambda: out.append(renderer.render(recipes))), out[0]
    renderer = TorchRenderer(bank, responses, N, SR, str(device))
    renderer.render(recipes.take(np.arange(min(clips, 8))))  # warm-up: kernels, the bank's upload

    def run():
        out = renderer.render(recipes)
        if device.type == "cuda":
            torch.cuda.synchronize()
        return out

    return clips / timed(run), None


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def lecture_rate(audio: np.ndarray, device: torch.device, batch: int) -> float:
    features = Features(feature_spec(PARAMS)).to(device)
    model = TriggerWordModel(PARAMS.model.lecture, features.spec.n_features).to(device)
    optimiser = torch.optim.AdamW(model.parameters())
    labels = torch.zeros(batch, PARAMS.labels.ty, device=device)

    def run():
        for i in range(0, len(audio), batch):
            x = torch.from_numpy(audio[i : i + batch]).to(device)
            loss = torch.nn.functional.binary_cross_entropy_with_logits(model(features(x)), labels[: len(x)])
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
        if device.type == "cuda":
            torch.cuda.synchronize()

    return len(audio) / timed(run)


def front_end_rate(audio: np.ndarray, batch: int, providers: tuple[str, ...]) -> tuple[float, np.ndarray]:
    front_end = SpeechEmbedding(threads=torch.get_num_threads(), providers=providers)
    window = PARAMS.model.embedding.window
    out = []
    seconds = timed(
        lambda: out.extend(
            front_end.embed(resample(audio[i : i + batch], SR), window) for i in range(0, len(audio), batch)
        )
    )
    return len(audio) / seconds, np.concatenate(out)


def head_rate(embeddings: np.ndarray, device: torch.device, batch: int, repeats: int = 20) -> float:
    head = EmbeddingHead(PARAMS.model.embedding).to(device)
    optimiser = torch.optim.AdamW(head.parameters())
    x = torch.from_numpy(embeddings).to(device)
    labels = torch.zeros(len(x), x.shape[1] - PARAMS.model.embedding.window + 1, device=device)

    def run():
        for _ in range(repeats):
            for i in range(0, len(x), batch):
                loss = torch.nn.functional.binary_cross_entropy_with_logits(
                    head(x[i : i + batch]), labels[i : i + batch]
                )
                optimiser.zero_grad()
                loss.backward()
                optimiser.step()
        if device.type == "cuda":
            torch.cuda.synchronize()

    return repeats * len(x) / timed(run)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", type=int, default=64)
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    args = parser.parse_args()
    device = torch.device(args.device)
    print(f"device {device.type}, torch threads {torch.get_num_threads()}, {args.clips} clips of {N / SR:.0f} s")
    rate, audio = render_rate(args.clips, None)
    print(f"render_numpy_clips_per_s {rate:.1f}")
    if device.type != "cpu":
        print(f"render_torch_{device.type}_clips_per_s {render_rate(args.clips, device)[0]:.1f}")
    print(f"lecture_train_clips_per_s {lecture_rate(audio, device, PARAMS.train.profile(device.type).batch_size):.1f}")
    providers = ("CPUExecutionProvider",)
    if device.type == "cuda" and "CUDAExecutionProvider" in onnxruntime.get_available_providers():
        providers = ("CUDAExecutionProvider", "CPUExecutionProvider")
    rate, embeddings = front_end_rate(audio, PARAMS.embed.batch_size, providers)
    print(f"embedding_front_end_clips_per_s {rate:.1f}  (onnxruntime {providers[0]})")
    print(f"embedding_head_train_clips_per_s {head_rate(embeddings, device, PARAMS.train.head.batch_size):.1f}")


if __name__ == "__main__":
    main()
