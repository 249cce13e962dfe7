"""Using a trained identity encoder on files: enrol, verify, identify, cluster.

    datasynth enrol NAME FILE [FILE ...]          add an identity to data/identity_enrolled.npz
    datasynth verify FILE --as NAME               distance to NAME, the threshold, accept / reject
    datasynth identify FILE [--top-k 5]           nearest identities (kNN); unknown beyond the threshold
    datasynth cluster DIR [--k K] [--out OUT]     group the files of DIR; k by elbow and BIC unless given

The gallery is the train + dev items that identity_evaluate embedded (models/trained/identity/gallery.npz)
plus anything enrolled; the threshold is the one chosen by 10-fold on dev pairs.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from models.identity import clustering, verification
from models.identity.training import embed
from pipeline.common.io import DataError, atomic_dir, atomic_file
from pipeline.common.params import load_params
from pipeline.identity.data import GALLERY, load_encoder
from pipeline.identity.faces import IMAGE_EXTENSIONS
from pipeline.identity.sources import AUDIO_SUFFIXES, audio_file_item

ENROLLED = Path("data/identity_enrolled.npz")


def load_item(path: Path, spec, params) -> np.ndarray:
    """One file as the encoder's input row: trimmed fixed-length int16 audio, or an aligned face chip."""
    if spec.modality == "image":
        from synth.identity.faces import FaceAligner, FaceError, read_rgb

        try:
            return FaceAligner(size=params.faces.size).align(read_rgb(path), str(path))
        except FaceError as exc:
            raise DataError(str(exc)) from None
    from synth.common.catalog import to_pcm16

    clip = audio_file_item(path, spec.sample_rate, params)
    if clip is None:
        raise DataError(f"{path}: less than {params.min_speech_seconds} s of speech above the silence floor")
    return to_pcm16(clip)


def encode_files(paths: list[Path]) -> np.ndarray:
    params = load_params().identity
    encoder, spec, _ = load_encoder()
    rows = np.stack([load_item(p, spec, params) for p in paths])
    return embed(encoder, rows, spec.modality, torch.device("cpu"), spec.image_size)


def read_gallery() -> tuple[np.ndarray, np.ndarray, float]:
    if not GALLERY.exists():
        raise DataError(f"{GALLERY}: not found; run the identity stages first (dvc repro identity_evaluate)")
    g = np.load(GALLERY)
    emb, names = g["embeddings"], g["identities"].astype(object)
    if ENROLLED.exists():
        e = np.load(ENROLLED)
        emb, names = np.concatenate([emb, e["embeddings"]]), np.concatenate([names, e["identities"].astype(object)])
    return emb, names, float(g["threshold"])


def enrol(name: str, files: list[Path]) -> None:
    emb = encode_files(files)
    old_emb, old_names = np.zeros((0, emb.shape[1]), np.float32), np.zeros(0, object)
    if ENROLLED.exists():
        e = np.load(ENROLLED)
        keep = e["identities"] != name  # enrolling again replaces
        old_emb, old_names = e["embeddings"][keep], e["identities"][keep].astype(object)
    with atomic_file(ENROLLED) as handle:
        np.savez(
            handle,
            embeddings=np.concatenate([old_emb, emb]),
            identities=np.concatenate([old_names, np.full(len(emb), name, object)]).astype(str),
        )
    print(f"enrolled {name!r}: {len(files)} item(s) -> {ENROLLED}")


def verify(path: Path, name: str, threshold: float | None) -> bool:
    emb, names, default = read_gallery()
    if name not in set(names):
        known = ", ".join(sorted(set(names))[:20])
        raise DataError(f"{name!r} is not enrolled (datasynth enrol {name} FILE...); known: {known}")
    threshold = default if threshold is None else threshold
    distance = float(verification.squared_distances(encode_files([path]), emb[names == name]).min())
    accepted = distance <= threshold
    print(
        f"{path}: distance to {name!r} {distance:.4f}, threshold {threshold:.4f}: {'ACCEPT' if accepted else 'REJECT'}"
    )
    return accepted


def identify(path: Path, top_k: int, threshold: float | None) -> None:
    emb, names, default = read_gallery()
    threshold = default if threshold is None else threshold
    result = verification.knn_identify(encode_files([path]), emb, names, k=top_k, threshold=threshold)[0]
    print(f"{path}: {result.identity if result.known else 'unknown'} (threshold {threshold:.4f})")
    for rank, match in enumerate(result.matches, 1):
        print(f"  {rank}. {match.identity:<24} {match.distance:.4f}")


def cluster(directory: Path, k: int | None, out: Path | None, seed: int) -> pd.DataFrame:
    files = sorted(p for p in directory.rglob("*") if p.suffix.lower() in IMAGE_EXTENSIONS + AUDIO_SUFFIXES)
    if len(files) < 3:
        raise DataError(f"{directory}: {len(files)} audio or image files; clustering needs at least 3")
    emb = encode_files(files)
    if k is None:
        sweep = clustering.choose_k(emb, k_min=2, k_max=min(12, len(files) - 1), seed=seed)
        k = sweep["bic_k"]
        print(f"k by elbow {sweep['elbow_k']}, by BIC {sweep['bic_k']}: using {k}")
    labels, _ = clustering.kmeans(emb, k, seed)
    table = pd.DataFrame({"file": [str(f) for f in files], "cluster": labels})
    if out is not None:
        with atomic_dir(out) as tmp:
            for f, c in zip(files, labels):
                (tmp / f"cluster_{c:02d}").mkdir(exist_ok=True)
                shutil.copy2(f, tmp / f"cluster_{c:02d}" / f.name)
            table.to_csv(tmp / "clusters.csv", index=False)
    for c, group in table.groupby("cluster"):
        print(f"cluster {c}: {len(group)} files, e.g. {', '.join(Path(f).name for f in group.file[:4])}")
    return table


def main(argv: list[str] | None = None) -> None:
    if argv is None:  # `datasynth verify ...` names the command in argv[0]; `python -m` passes it first
        argv = sys.argv[1:]
        command = sys.argv[0].split()[-1] if sys.argv[0].startswith("datasynth ") else (argv.pop(0) if argv else "")
    else:
        command, argv = (argv[0], list(argv[1:])) if argv else ("", [])
    parser = argparse.ArgumentParser(prog=f"datasynth {command}", description=__doc__.splitlines()[0])
    if command == "enrol":
        parser.add_argument("name")
        parser.add_argument("files", nargs="+", type=Path)
        args = parser.parse_args(argv)
        enrol(args.name, args.files)
    elif command in ("verify", "identify"):
        parser.add_argument("file", type=Path)
        parser.add_argument("--as", dest="name", required=command == "verify")
        parser.add_argument("--top-k", type=int, default=5)
        parser.add_argument("--threshold", type=float, default=None)
        args = parser.parse_args(argv)
        if command == "verify":
            sys.exit(0 if verify(args.file, args.name, args.threshold) else 1)
        identify(args.file, args.top_k, args.threshold)
    elif command == "cluster":
        parser.add_argument("directory", type=Path)
        parser.add_argument("--k", type=int, default=None)
        parser.add_argument("--out", type=Path, default=None)
        args = parser.parse_args(argv)
        cluster(args.directory, args.k, args.out, load_params().seed)
    else:
        raise SystemExit(f"datasynth: the identity command must be enrol, verify, identify or cluster, not {command!r}")


if __name__ == "__main__":
    from pipeline.common.io import run_stage

    run_stage(main, "identity")
