"""Does the data-value study call planted groups? A harmful group and a duplicated one, in a copy of a project.

    python benchmarks/planted_groups.py PROJECT OUT [--mislabelled 150] [--repeat 3] [--copies 4]
        [--noise] [--preset small|none] [--overrides YAML]

PROJECT is a built project (e.g. the small one: configs/cpu-small.yaml, `dvc repro`).
OUT becomes a copy of it with two Speech Commands-style archives (collect.archives), both held in training:
`planted` files other words (the catalog's short TTS negatives, each `--repeat` times) as the positive word,
or with --noise that many white-noise clips; `copies` holds `--copies` of the catalog's positive clips again.
The speech audit skips archives here (it would drop the mislabelled clips), the study's groups are just these
two, the preset's params (PRESETS) and then `--overrides` (a YAML mapping) are merged over the params. Then
`dvc repro studies/dvc.yaml:data_value` runs in OUT and each arm's verdict on unseen voices is printed:
removing the mislabelled words should be called helpful ("lower"), the copies "within noise". On the small
project that holds for some data draws and not others (README, "Does the study call a planted group?"), so it
is a benchmark to run by hand, not a test.
"""

from __future__ import annotations

import argparse
import io
import json
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import numpy as np
import pandas as pd
import soundfile as sf
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from pipeline.common.catalog import read_catalog  # noqa: E402
from pipeline.common.params import merge  # noqa: E402

SAMPLE_RATE = 16000
GROUPS = {"planted": ["archive:planted"], "copies": ["archive:copies"]}
PRESETS = {
    "none": {},
    # The small project's 400-clip heads take ~200 steps in 15 epochs; some seeds' heads never reach 0.5 on a
    # dev positive in that time, so dev-F1 selection keeps epoch 1 and the arm reads 100 % FRR. 40 epochs, the
    # last kept, train every seed. Its few minutes of dev audio cannot resolve 1 FA/h, hence 300.
    "small": {
        "data_value": {"seeds": [0, 1, 2, 3, 4], "epochs": 40, "learning_curve": {"fractions": [], "speakers": []}},
        "train": {"head": {"select": "last"}},
        "evaluate": {"target_fa_per_hour": 300},
        "synthesise": {"stream": {"dev_hours": 0.2}},
    },
}


def wav_bytes(audio: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    sf.write(buffer, audio, SAMPLE_RATE, format="WAV", subtype="PCM_16")
    return buffer.getvalue()


def write_archive(path: Path, files: dict[str, bytes]) -> None:
    """A .tar.gz of `files` (name -> bytes), in the layout sources/archives.py reads."""
    with tarfile.open(path, "w:gz") as archive:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))


def planted_files(catalog: pd.DataFrame, catalog_dir: Path, word: str, max_seconds: float, args) -> tuple[dict, dict]:
    """(planted, copies): file name -> WAV bytes, every file under the positive word's folder; the other words
    are those a little shorter than collect.max_word_seconds (`max_seconds`), so that collect takes them."""
    rng = np.random.default_rng(7)
    planted = {}
    if args.noise:
        for i in range(args.mislabelled):
            audio = rng.standard_normal(int(rng.uniform(0.5, 0.9) * SAMPLE_RATE)) * 0.2
            planted[f"{word}/n{i % 12:02d}_nohash_{i}.wav"] = wav_bytes(audio.clip(-1, 1))
    else:  # other words said by the catalog's voices
        short = (catalog["kind"] == "negative") & (catalog["duration_s"] < 0.95 * max_seconds)
        paths = list(catalog.loc[short, "path"].head(args.mislabelled)) * args.repeat
        for i, path in enumerate(paths):
            planted[f"{word}/n{i % 12:02d}_nohash_{i}.wav"] = (catalog_dir / path).read_bytes()
    positives = catalog.loc[catalog["kind"] == "positive", "path"].head(args.copies)
    copies = {f"{word}/c{i % 8:02d}_nohash_{i}.wav": (catalog_dir / p).read_bytes() for i, p in enumerate(positives)}
    return planted, copies


def planted_params(params: dict, overrides: dict) -> dict:
    """The project's params with the two archives collected, held in training and valued, and `overrides`
    (the preset's, then the command line's)."""
    params = merge(params, {"collect": {"archives": [{"url": f"planted/{g}.tar.gz", "name": g} for g in GROUPS]}})
    params["audit"]["sources"] = [s for s in params["audit"]["sources"] if s != "archive"]
    holdout = params["synthesise"]["holdout"]
    holdout["train"] = list(holdout["train"]) + [m for members in GROUPS.values() for m in members]
    params["data_value"] |= {"groups": GROUPS, "only": [], "audit_examples": 0}
    return merge(params, overrides)


def verdicts(summary: dict) -> dict[str, str]:
    """Planted group -> its arm's line: positive inserts removed and the verdict on unseen voices."""
    out = {}
    for row in summary["rows"]:
        if row["arm"] in GROUPS:
            removed, verdict = row.get("removed_inserts_positive"), row.get("test_unseen_voice_frr_verdict")
            out[row["arm"]] = f"{removed} positive inserts removed; unseen voice {verdict}"
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("project", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--mislabelled", type=int, default=150, help="other-word clips (or noise clips) planted")
    parser.add_argument("--repeat", type=int, default=3, help="times each other-word clip is planted")
    parser.add_argument("--copies", type=int, default=4, help="positive clips planted again")
    parser.add_argument("--noise", action="store_true", help="plant white noise instead of other words")
    parser.add_argument("--preset", choices=sorted(PRESETS), default="small", help="params for the project (PRESETS)")
    parser.add_argument("--overrides", default="{}", help="YAML mapping merged over the params last")
    args = parser.parse_args(argv)
    if args.out.exists():
        sys.exit(f"planted_groups: {args.out} exists; give a new folder")
    shutil.copytree(args.project, args.out, symlinks=True)
    params = yaml.safe_load((args.out / "params.yaml").read_text())
    catalog_dir = args.out / "data/catalog"
    collect = params["collect"]
    planted, copies = planted_files(
        read_catalog(catalog_dir), catalog_dir, collect["positive_word"], collect["max_word_seconds"], args
    )
    (args.out / "planted").mkdir()
    write_archive(args.out / "planted/planted.tar.gz", planted)
    write_archive(args.out / "planted/copies.tar.gz", copies)
    params = planted_params(params, merge(PRESETS[args.preset], yaml.safe_load(args.overrides) or {}))
    (args.out / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    subprocess.run(["dvc", "repro", "studies/dvc.yaml:data_value"], cwd=args.out, check=True)
    summary = json.loads((args.out / "reports/metrics/data_value.json").read_text())
    print(f"seeds {summary['seeds']}; baseline unseen voice spread {summary['baseline']['test_unseen_voice_frr']}")
    print("\n".join(f"{arm}: {line}" for arm, line in verdicts(summary).items()))


if __name__ == "__main__":
    main()
