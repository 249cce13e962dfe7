"""Does the data-value study call planted groups? A harmful group and a duplicated one, in a copy of a project.

    python benchmarks/planted_groups.py PROJECT OUT [--plant noise|words|none] [--mislabelled 150] [--repeat 3]
        [--copies 4] [--decoys 60] [--preset small|none] [--overrides YAML]

PROJECT is a built project (e.g. the small one: configs/cpu-small.yaml, `dvc repro`). OUT becomes a copy of it
with Speech Commands-style archives (collect.archives), each heard in one split (synthesise.holdout):
- `planted` (training): `--mislabelled` white-noise bursts filed as the positive word (`--plant noise`), or the
  catalog's short TTS negatives, each `--repeat` times (`--plant words`);
- `copies` (training): `--copies` of the catalog's positive clips again;
- `decoys_dev`, `decoys_test`: `--decoys` white-noise bursts each, filed as the word "static": the noises the
  world has, heard as negatives by the dev threshold and the test.
The speech audit skips archives here (it would drop the mislabelled clips), the study values just the planted
training archives, the preset's params (PRESETS) and then `--overrides` (a YAML mapping) are merged over the
params. Then `dvc repro studies/dvc.yaml:data_value` runs in OUT and each arm's verdict on unseen voices is
printed: removing the plant should be called helpful ("lower"), removing the copies "within noise".
tests/pipeline/triggerword/studies/test_planted_groups.py runs the noise plant and the copies on the small project.
"""

from __future__ import annotations

import argparse
import copy
import io
import json
import shutil
import subprocess
import sys
import tarfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import soundfile as sf
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from pipeline.common.catalog import read_catalog  # noqa: E402
from pipeline.common.params import merge  # noqa: E402

SAMPLE_RATE = 16000
DECOY_WORD = "static"
TRAINING = ("planted", "copies")  # the archives heard in training: the study's groups
DECOYS = {"decoys_dev": "dev", "decoys_test": "test"}  # archive -> the one split that hears it
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


@dataclass(frozen=True)
class Plant:
    kind: str = "noise"  # what `planted` files as the positive word: noise | words | none (no planted archive)
    mislabelled: int = 150  # noise bursts, or other-word clips before repeating
    repeat: int = 3  # times each other-word clip is planted
    copies: int = 4  # positive clips planted again
    decoys: int = 60  # noise bursts in each of dev and test, as negatives


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


def noise_files(folder: str, count: int, rng: np.random.Generator) -> dict[str, bytes]:
    """`count` white-noise bursts of 0.5-0.9 s under `folder`, from twelve made-up speakers."""
    out = {}
    for i in range(count):
        audio = rng.standard_normal(int(rng.uniform(0.5, 0.9) * SAMPLE_RATE)) * 0.2
        out[f"{folder}/n{i % 12:02d}_nohash_{i}.wav"] = wav_bytes(audio.clip(-1, 1))
    return out


def catalog_files(paths: list[str], catalog_dir: Path, folder: str, prefix: str, speakers: int) -> dict[str, bytes]:
    """The catalog's clips `paths` under `folder`, from `speakers` made-up speakers."""
    return {
        f"{folder}/{prefix}{i % speakers:02d}_nohash_{i}.wav": (catalog_dir / path).read_bytes()
        for i, path in enumerate(paths)
    }


def archives(catalog: pd.DataFrame, catalog_dir: Path, collect: dict, plant: Plant) -> dict[str, dict[str, bytes]]:
    """Archive name -> its files. Other words are the TTS negatives a little shorter than
    collect.max_word_seconds, so that collect takes them; copies are TTS positives."""
    rng, word = np.random.default_rng(7), collect["positive_word"]
    tts = catalog["source"].str.startswith("tts:")
    out = {}
    if plant.kind == "noise":
        out["planted"] = noise_files(word, plant.mislabelled, rng)
    elif plant.kind == "words":
        short = tts & (catalog["kind"] == "negative") & (catalog["duration_s"] < 0.95 * collect["max_word_seconds"])
        paths = list(catalog.loc[short, "path"].head(plant.mislabelled)) * plant.repeat
        out["planted"] = catalog_files(paths, catalog_dir, word, "n", 12)
    if plant.copies:
        positives = list(catalog.loc[tts & (catalog["kind"] == "positive"), "path"].head(plant.copies))
        out["copies"] = catalog_files(positives, catalog_dir, word, "c", 8)
    for name in DECOYS if plant.decoys else ():
        out[name] = noise_files(DECOY_WORD, plant.decoys, rng)
    return out


def planted_params(params: dict, names: list[str], overrides: dict) -> dict:
    """The project's params with the archives `names` collected, each held in its split, the training ones
    valued, and `overrides` (the preset's, then the command line's)."""
    entries = [{"url": f"planted/{n}.tar.gz", "name": n} for n in names]
    params = merge(copy.deepcopy(params), {"collect": {"archives": entries}})  # `params` left as it was
    params["audit"]["sources"] = [s for s in params["audit"]["sources"] if s != "archive"]
    holdout = params["synthesise"]["holdout"]
    for name in names:
        split = DECOYS.get(name, "train")
        holdout[split] = list(holdout[split]) + [f"archive:{name}"]
    groups = {name: [f"archive:{name}"] for name in names if name in TRAINING}
    params["data_value"] |= {"groups": groups, "only": [], "audit_examples": 0}
    return merge(params, overrides)


def plant_project(root: Path, base: dict, plant: Plant, overrides: dict) -> dict:
    """Writes root/planted/*.tar.gz from root's collected catalog and root/params.yaml (`base` with them);
    returns those params. Run again with another plant, it replaces both."""
    catalog_dir = root / "data/catalog"
    files = archives(read_catalog(catalog_dir), catalog_dir, base["collect"], plant)
    shutil.rmtree(root / "planted", ignore_errors=True)
    (root / "planted").mkdir()
    for name, members in files.items():
        write_archive(root / f"planted/{name}.tar.gz", members)
    params = planted_params(base, list(files), overrides)
    (root / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    return params


def verdicts(summary: dict) -> dict[str, str]:
    """Planted group -> its arm's line: positive inserts removed and the verdict on unseen voices."""
    out = {}
    for row in summary["rows"]:
        if row["arm"] in TRAINING:
            removed, verdict = row.get("removed_inserts_positive"), row.get("test_unseen_voice_frr_verdict")
            out[row["arm"]] = f"{removed} positive inserts removed; unseen voice {verdict}"
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("project", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--plant", choices=["noise", "words", "none"], default="noise", help="filed as the word")
    parser.add_argument("--mislabelled", type=int, default=150, help="noise bursts, or other-word clips, planted")
    parser.add_argument("--repeat", type=int, default=3, help="times each other-word clip is planted")
    parser.add_argument("--copies", type=int, default=4, help="positive clips planted again")
    parser.add_argument("--decoys", type=int, default=60, help="noise bursts heard as negatives in dev and test, each")
    parser.add_argument("--preset", choices=sorted(PRESETS), default="small", help="params for the project (PRESETS)")
    parser.add_argument("--overrides", default="{}", help="YAML mapping merged over the params last")
    args = parser.parse_args(argv)
    if args.out.exists():
        sys.exit(f"planted_groups: {args.out} exists; give a new folder")
    shutil.copytree(args.project, args.out, symlinks=True)
    plant = Plant(args.plant, args.mislabelled, args.repeat, args.copies, args.decoys)
    overrides = merge(PRESETS[args.preset], yaml.safe_load(args.overrides) or {})
    plant_project(args.out, yaml.safe_load((args.out / "params.yaml").read_text()), plant, overrides)
    subprocess.run(["dvc", "repro", "studies/dvc.yaml:data_value"], cwd=args.out, check=True)
    summary = json.loads((args.out / "reports/metrics/data_value.json").read_text())
    print(f"seeds {summary['seeds']}; baseline unseen voice spread {summary['baseline']['test_unseen_voice_frr']}")
    for run in summary["runs"]:
        print(f"  {run['arm']} seed {run['seed']}: unseen voice FRR {run['test_unseen_voice_frr']:.3f}")
    print("\n".join(f"{arm}: {line}" for arm, line in verdicts(summary).items()))


if __name__ == "__main__":
    main()
