"""Paint a photo in the style of another image (Gatys et al. neural style transfer).

    datasynth stylize CONTENT STYLE -o OUT [--steps N] [--size S] [--device auto|cpu|cuda]
    datasynth stylize --gallery [--steps N] [--size S]      # reports/style/index.html

Defaults come from the `style:` section of params.yaml when it has one, else from
synth.style.StyleConfig; --steps and --size override them.
"""
from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path

import numpy as np
import torch
import yaml

from pipeline.config import DEFAULT_PARAMS, ParamsError
from pipeline.io import DataError, atomic_file
from synth.style import StyleConfig, StyleHistory, extractor_for, style_transfer


def load_style_config(path: str | Path = DEFAULT_PARAMS) -> StyleConfig:
    """StyleConfig from params.yaml's `style:` section (every key optional; unknown keys rejected).

    The `augment:` sub-mapping belongs to the daynight_stylize stage (pipeline/daynight_style.py)
    and is skipped here."""
    path = Path(path)
    raw = {}
    if path.exists():
        try:
            raw = (yaml.safe_load(path.read_text()) or {}).get("style") or {}
        except yaml.YAMLError as exc:
            raise ParamsError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(raw, dict):
        raise ParamsError(f"{path}: style: expected a mapping, got {type(raw).__name__}")
    raw = {key: value for key, value in raw.items() if key != "augment"}
    known = {f.name for f in dataclasses.fields(StyleConfig)}
    unknown = sorted(set(raw) - known)
    if unknown:
        raise ParamsError(f"{path}: style: unknown key(s) {unknown}; known: {sorted(known)}")
    values = {key: tuple(value) if isinstance(value, list) else value for key, value in raw.items()}
    return checked(StyleConfig(**values), path)


def checked(config: StyleConfig, source: str | Path = "params.yaml") -> StyleConfig:
    try:
        return config.check()
    except (ValueError, TypeError) as exc:
        raise ParamsError(f"{source}: style.{exc}") from None


def pick_device(name: str) -> torch.device:
    """The training stages' device rule; a missing CUDA device is a one-line parameter error here."""
    from models.training import resolve_device

    try:
        return resolve_device(name)
    except RuntimeError:
        raise ParamsError("--device cuda: no CUDA device is available (use --device cpu or auto)") from None


def load_image(path: str | Path, size: int) -> torch.Tensor:
    """(1, 3, H, W) RGB in [0, 1] with the longer side resized to `size`; DataError names the file."""
    from PIL import Image, UnidentifiedImageError

    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: no such file")
    try:
        with Image.open(path) as image:
            image = image.convert("RGB")  # greyscale, palette and RGBA inputs all become RGB
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise DataError(f"{path}: not a readable image ({type(exc).__name__}: {exc})") from None
    scale = size / max(image.size)
    width, height = (max(1, round(side * scale)) for side in image.size)
    image = image.resize((width, height), Image.Resampling.LANCZOS)
    array = np.asarray(image, dtype=np.float32) / 255.0
    return torch.from_numpy(array).permute(2, 0, 1).unsqueeze(0).contiguous()


def to_pil(image: torch.Tensor):
    from PIL import Image

    array = image.detach().squeeze(0).clamp(0, 1).permute(1, 2, 0).cpu().numpy()
    return Image.fromarray((array * 255.0).round().astype(np.uint8))


def image_format(path: Path) -> str:
    """PIL's format name for an output path's extension (checked before any work is done)."""
    from PIL import Image

    fmt = Image.registered_extensions().get(path.suffix.lower())
    if fmt is None:
        raise DataError(f"{path}: unknown image extension {path.suffix!r} (use .png or .jpg)")
    return fmt


def save_image(image: torch.Tensor, path: str | Path) -> None:
    """Write atomically; the format follows the file extension."""
    path = Path(path)
    fmt = image_format(path)
    with atomic_file(path) as handle:
        to_pil(image).save(handle, format=fmt)


def run(content: torch.Tensor, style: torch.Tensor, config: StyleConfig, device: torch.device,
        label: str = "stylize") -> tuple[torch.Tensor, StyleHistory]:
    """style_transfer on `device` with a progress bar on stderr (hidden when it is not a terminal)."""
    from tqdm import tqdm

    extractor = extractor_for(config)
    with tqdm(total=config.steps, desc=label, unit="step", disable=None, leave=False) as bar:
        def progress(step: int, losses: dict[str, float]) -> None:
            bar.set_postfix(content=f"{losses['content']:.3g}", style=f"{losses['style']:.3g}", refresh=False)
            bar.update(1)

        image, history = style_transfer(content.to(device), style.to(device), extractor, config, progress)
    return image.cpu(), history


def summary(history: StyleHistory) -> str:
    drop = history.style[0] / max(history.style[-1], 1e-30)
    return (f"style loss {history.style[0]:.3g} -> {history.style[-1]:.3g} ({drop:.0f}x lower, "
            f"{np.log10(drop):.1f} orders of magnitude); content loss {history.content[0]:.3g} -> "
            f"{history.content[-1]:.3g}; {len(history.total) - 1} steps in {history.seconds:.1f} s on {history.device}")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="datasynth stylize", description=__doc__.split("\n\n")[0])
    parser.add_argument("content", nargs="?", help="the photo to repaint")
    parser.add_argument("style", nargs="?", help="the image whose style is copied")
    parser.add_argument("-o", "--output", help="where to write the result (.png, .jpg)")
    parser.add_argument("--steps", type=int, help="optimisation steps (params.yaml style.steps)")
    parser.add_argument("--size", type=int, help="longer side in pixels (params.yaml style.size)")
    parser.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"))
    parser.add_argument("--params", default=str(DEFAULT_PARAMS), help="params file with a style: section")
    parser.add_argument("--gallery", action="store_true", help="write reports/style/index.html instead")
    args = parser.parse_args(argv)
    if not args.gallery and not (args.content and args.style and args.output):
        parser.error("CONTENT, STYLE and -o OUT are required (or use --gallery)")
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    config = load_style_config(args.params)
    overrides = {k: v for k, v in (("steps", args.steps), ("size", args.size)) if v is not None}
    config = checked(dataclasses.replace(config, **overrides), "command line")
    device = pick_device(args.device)
    if args.gallery:
        from pipeline.style_report import build_gallery

        build_gallery(config, device)
        return
    output = Path(args.output)
    image_format(output)
    content = load_image(args.content, config.size)
    style = load_image(args.style, config.size)
    image, history = run(content, style, config, device)
    save_image(image, output)
    print(summary(history))
    print(f"wrote {output}")


if __name__ == "__main__":
    from pipeline.io import run_stage

    run_stage(lambda: main(sys.argv[1:]), "stylize")
