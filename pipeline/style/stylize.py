"""Paint a photo in the style of another image (Gatys et al. neural style transfer).

    datasynth stylize CONTENT STYLE -o OUT [--steps N] [--size S] [--device auto|cpu|cuda]
    datasynth stylize --gallery [--steps N] [--size S]      # reports/style/index.html

Defaults come from the `style:` section of params.yaml when it has one, else from
synth.common.style_transfer.StyleConfig; --steps and --size override them.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import torch

from models.common.training import resolve_device
from pipeline.common.images import image_format, load_image, save_image
from pipeline.common.params import DEFAULT_PARAMS, build, load_params
from synth.common.style_transfer import StyleConfig, StyleHistory, extractor_for, style_transfer


def run(
    content: torch.Tensor, style: torch.Tensor, config: StyleConfig, device: torch.device, label: str = "stylize"
) -> tuple[torch.Tensor, StyleHistory]:
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
    return (
        f"style loss {history.style[0]:.3g} -> {history.style[-1]:.3g} ({drop:.0f}x lower, "
        f"{np.log10(drop):.1f} orders of magnitude); content loss {history.content[0]:.3g} -> "
        f"{history.content[-1]:.3g}; {len(history.total) - 1} steps in {history.seconds:.1f} s on {history.device}"
    )


def params_file(given: str | None) -> Path:
    """--params, else ./params.yaml, else the project's own (so the tool also works outside the repository)."""
    if given:
        return Path(given)
    return DEFAULT_PARAMS if DEFAULT_PARAMS.is_file() else Path(__file__).resolve().parents[2] / DEFAULT_PARAMS


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="datasynth stylize", description=__doc__.split("\n\n")[0])
    parser.add_argument("content", nargs="?", help="the photo to repaint")
    parser.add_argument("style", nargs="?", help="the image whose style is copied")
    parser.add_argument("-o", "--output", help="where to write the result (.png, .jpg)")
    parser.add_argument("--steps", type=int, help="optimisation steps (params.yaml style.steps)")
    parser.add_argument("--size", type=int, help="longer side in pixels (params.yaml style.size)")
    parser.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"))
    parser.add_argument(
        "--params", help="params file whose style: section is used (default: ./params.yaml, else the project's own)"
    )
    parser.add_argument("--gallery", action="store_true", help="write reports/style/index.html instead")
    args = parser.parse_args(argv)
    if not args.gallery and not (args.content and args.style and args.output):
        parser.error("CONTENT, STYLE and -o OUT are required (or use --gallery)")
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    config = load_params(params_file(args.params)).style.transfer()
    overrides = {k: v for k, v in (("steps", args.steps), ("size", args.size)) if v is not None}
    config = build(StyleConfig, {**config.model_dump(), **overrides}, "command line")
    device = resolve_device(args.device, "--device")
    if args.gallery:
        from pipeline.style.report import build_gallery

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
    from pipeline.common.io import run_stage

    run_stage(lambda: main(sys.argv[1:]), "stylize")
