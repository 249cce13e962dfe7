"""Stage identity_evaluate: verification, identification and clustering on the test items, for the
trained encoder, the same network untrained, the baseline (MFCC statistics / dlib faces) and, for
speakers when its wheel is installed, Resemblyzer's pretrained GE2E as Resemblyzer itself embeds.

  verification    pairs of test items; threshold by 10-fold on dev pairs (the LFW protocol);
                  ROC, EER, TAR at FAR = identity.evaluate.far, accuracy at the dev threshold
  identification  open set (identity.split: identities): each test identity enrolled with
                  identity.evaluate.enrol items, its other items probed against that gallery; closed set:
                  test probes against the train items as gallery (kNN); rank-1, rank-5
  clustering      k-means on test embeddings, k by elbow and by BIC (X-means); NMI, ARI
  intervals       EER's 95 % bootstrap interval over test identities; EER within each source package
                  (pairs whose two items come from one package), so "speaker" is not read as "package"
Writes reports/metrics/identity.json, reports/plots/identity_roc.csv, models/trained/identity/gallery.npz
(train + dev items of the trained encoder, with the threshold: what `datasynth identify` reads)
and data/identity_eval (embeddings and scored pairs for the report).
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from models.common.training import seed_everything
from models.identity import clustering, pretrained_speaker, verification
from models.identity.baselines import baseline_embeddings
from models.identity.bootstrap import eer_difference, eer_interval
from models.identity.encoder import build_encoder
from models.identity.training import embed
from pipeline.common.io import atomic_dir, atomic_file, run_stage, write_json
from pipeline.identity.data import GALLERY, encoder_spec, load_encoder, read_items, stage_params

log = logging.getLogger("datasynth")
METRICS = Path("reports/metrics/identity.json")
ROC_CSV = Path("reports/plots/identity_roc.csv")
EVAL_DIR = Path("data/identity_eval")
FAR_GRID = np.logspace(-4, 0, 41)


def pair_table(labels: np.ndarray, negatives: int, seed: int, salt: int) -> pd.DataFrame:
    i, j, same = verification.make_pairs(labels, np.random.default_rng([seed, salt]), negatives=negatives)
    return pd.DataFrame({"i": i, "j": j, "same": same})


def pair_distances(emb: np.ndarray, pairs: pd.DataFrame) -> np.ndarray:
    i, j = pairs.i.to_numpy(), pairs.j.to_numpy()
    return np.maximum(((emb[i].astype(np.float64) - emb[j]) ** 2).sum(1), 0.0)


def balanced(same: np.ndarray, seed: int) -> np.ndarray:
    """All positive pairs and as many negatives, drawn at random: as in LFW's protocol. On all pairs
    (mostly negatives) the accuracy-best threshold is "reject everything"."""
    pos, neg = np.flatnonzero(same), np.flatnonzero(~same)
    neg = np.random.default_rng([seed, 7103]).choice(neg, min(len(neg), len(pos)), replace=False)
    return np.sort(np.concatenate([pos, neg]))


def verification_scores(
    dev_d: np.ndarray,
    dev_same: np.ndarray,
    test_d: np.ndarray,
    test_same: np.ndarray,
    folds: int,
    far: float,
    seed: int,
) -> tuple[dict, dict]:
    dev_rows, test_rows = balanced(dev_same, seed), balanced(test_same, seed)
    dev = verification.kfold_threshold_accuracy(dev_d[dev_rows], dev_same[dev_rows], folds=folds, seed=seed)
    threshold = dev["threshold"]
    curve = verification.roc(test_d, test_same)
    rate, eer_threshold = verification.eer(test_d, test_same)
    tar, _ = verification.tar_at_far(test_d, test_same, far)
    accepted = test_d <= threshold
    scores = {
        "threshold": threshold,
        "dev_kfold_accuracy": dev["accuracy"],
        "dev_kfold_std": dev["std"],
        "accuracy": float((accepted[test_rows] == test_same[test_rows]).mean()),  # on balanced pairs
        "tar": float(accepted[test_same].mean()),
        "far": float(accepted[~test_same].mean()),
        "auc": curve["auc"],
        "eer": rate,
        "eer_threshold": eer_threshold,
        f"tar_at_far_{far:g}": tar,
        "far_resolution": verification.far_resolution(test_same),
    }
    return scores, curve


def enrolment(labels: np.ndarray, rows: np.ndarray, k: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(gallery rows, probe rows) among `rows`: k items of each identity enrolled (a seeded draw; one
    item is always left to probe), the rest probes."""
    rng = np.random.default_rng([seed, 7104])
    gallery, probes = [], []
    for identity in sorted(set(labels[rows])):
        own = rows[labels[rows] == identity]
        own = own[rng.permutation(len(own))]
        enrolled = min(k, len(own) - 1)
        gallery.append(own[:enrolled])
        probes.append(own[enrolled:])
    return np.sort(np.concatenate(gallery)), np.sort(np.concatenate(probes))


def identification_scores(test_emb, test_labels, gallery_emb, gallery_labels) -> dict:
    ranks = verification.identification_ranks(test_emb, test_labels, gallery_emb, gallery_labels)
    return {"rank1": verification.rank_k_accuracy(ranks, 1), "rank5": verification.rank_k_accuracy(ranks, 5)}


def clustering_scores(emb: np.ndarray, labels: np.ndarray, k_max: int, seed: int) -> dict:
    sweep = clustering.choose_k(emb, k_min=2, k_max=k_max, seed=seed)
    found, _ = clustering.kmeans(emb, sweep["bic_k"], seed)
    true_k, _ = clustering.kmeans(emb, len(np.unique(labels)), seed)
    return {
        "identities": int(len(np.unique(labels))),
        "elbow_k": sweep["elbow_k"],
        "bic_k": sweep["bic_k"],
        **{f"{k}_at_bic_k": v for k, v in clustering.cluster_scores(labels, found).items()},
        **{f"{k}_at_true_k": v for k, v in clustering.cluster_scores(labels, true_k).items()},
        "inertia": {int(k): float(v) for k, v in sweep["inertia"].items()},
        "bic": {int(k): float(v) for k, v in sweep["bic"].items()},
    }


def encoders_to_compare(items, params, seed: int) -> dict[str, np.ndarray]:
    """Embeddings of every item by each encoder: trained, untrained (the trained one's start), baseline."""
    device = torch.device("cpu")
    trained, spec, _ = load_encoder()
    seed_everything(seed)
    untrained = build_encoder(encoder_spec(params))  # same seed as identity_train: the trained net's start
    out = {
        name: embed(net, items.data, items.modality, device, spec.image_size)
        for name, net in (("trained", trained), ("untrained", untrained))
    }
    out["baseline"] = baseline_embeddings(items.data, items.modality, params.sample_rate)
    if items.modality == "audio" and pretrained_speaker.available():
        out["resemblyzer"] = pretrained_speaker.resemblyzer_embeddings(items.data, params.sample_rate)
    return out


def source_package(identity: str) -> str:
    """The package an identity's recordings come from: "ktuberling:de" -> ktuberling; named speakers
    (identity.speakers, the asterisk voices) -> speakers."""
    return identity.split(":", 1)[0] if ":" in identity else "speakers"


def source_eers(distances: np.ndarray, pairs: pd.DataFrame, sources: np.ndarray) -> dict[str, float]:
    """EER on the pairs whose two items come from one package (with both kinds of pair present)."""
    first, second = sources[pairs.i.to_numpy()], sources[pairs.j.to_numpy()]
    same = pairs.same.to_numpy()
    out = {}
    for source in sorted(set(first)):
        rows = (first == source) & (second == source)
        if same[rows].any() and not same[rows].all():
            out[source] = verification.eer(distances[rows], same[rows])[0]
    return out


def evaluate(items, params, seed: int) -> tuple[dict, dict, dict, dict[str, pd.DataFrame]]:
    ev = params.evaluate
    split = items.items.split.to_numpy()
    labels = items.items.identity.to_numpy()
    rows = {s: np.flatnonzero(split == s) for s in ("train", "dev", "test")}
    pairs = {s: pair_table(labels[rows[s]], ev.negatives, seed, salt) for s, salt in (("dev", 7101), ("test", 7102))}
    if params.split == "identities":
        gallery, probes = enrolment(labels, rows["test"], ev.enrol, seed)
    else:
        gallery, probes = rows["train"], rows["test"]
    embeddings = encoders_to_compare(items, params, seed)
    test_labels = labels[rows["test"]]
    codes = np.unique(test_labels, return_inverse=True)[1]
    test_sources = np.array([source_package(name) for name in test_labels])
    first, second = codes[pairs["test"].i.to_numpy()], codes[pairs["test"].j.to_numpy()]
    metrics, curves = {}, {}
    for name, emb in embeddings.items():
        d = {s: pair_distances(emb[rows[s]], pairs[s]) for s in pairs}
        pairs["test"][f"d_{name}"] = d["test"]
        scores, curves[name] = verification_scores(
            d["dev"], pairs["dev"].same.to_numpy(), d["test"], pairs["test"].same.to_numpy(), ev.folds, ev.far, seed
        )
        scores["eer_interval"] = eer_interval(
            d["test"], first, second, np.random.default_rng([seed, 7105]), ev.bootstrap
        )
        scores["source_eers"] = source_eers(d["test"], pairs["test"], test_sources)
        metrics[name] = {
            "verification": scores,
            "identification": identification_scores(emb[probes], labels[probes], emb[gallery], labels[gallery]),
            "clustering": clustering_scores(emb[rows["test"]], labels[rows["test"]], ev.k_max, seed),
        }
        log.info(
            "identity_evaluate: %-9s EER %.3f  TAR@FAR=%g %.3f  rank-1 %.3f  NMI %.3f",
            name,
            scores["eer"],
            ev.far,
            scores[f"tar_at_far_{ev.far:g}"],
            metrics[name]["identification"]["rank1"],
            metrics[name]["clustering"]["nmi_at_bic_k"],
        )
    for name in metrics:  # paired: the same identity draws for both encoders
        if name != "trained":
            metrics["trained"]["verification"][f"eer_minus_{name}"] = eer_difference(
                pairs["test"]["d_trained"].to_numpy(),
                pairs["test"][f"d_{name}"].to_numpy(),
                first,
                second,
                np.random.default_rng([seed, 7106]),
                ev.bootstrap,
            )
    if items.modality == "audio" and "resemblyzer" not in metrics:
        metrics["resemblyzer"] = {"skipped": f"resemblyzer is not installed: {pretrained_speaker.INSTALL}"}
    return metrics, curves, embeddings, pairs


def roc_table(curves: dict) -> pd.DataFrame:
    """TAR of each encoder on one log-spaced FAR grid: one file, one line per encoder in `dvc plots`."""
    table = {"far": FAR_GRID}
    for name, curve in curves.items():
        far, tar = np.asarray(curve["far"]), np.asarray(curve["tar"])
        table[f"tar_{name}"] = np.interp(FAR_GRID, far, tar)
    return pd.DataFrame(table).round(6)


def main(argv: list[str] | None = None) -> None:
    params = stage_params(argv, __doc__)
    items = read_items()
    metrics, curves, embeddings, pairs = evaluate(items, params.identity, params.seed)
    split = items.items.split.to_numpy()
    enrolled = np.flatnonzero(split != "test")
    threshold = metrics["trained"]["verification"]["threshold"]
    with atomic_file(GALLERY) as handle:
        np.savez(
            handle,
            embeddings=embeddings["trained"][enrolled],
            identities=items.items.identity.to_numpy()[enrolled].astype(str),
            item_ids=items.items.item_id.to_numpy()[enrolled].astype(str),
            threshold=np.float64(threshold),
        )
    with atomic_dir(EVAL_DIR) as tmp:
        np.savez(tmp / "embeddings.npz", test_rows=np.flatnonzero(split == "test"), **embeddings)
        pairs["test"].to_parquet(tmp / "test_pairs.parquet", index=False)
    with atomic_file(ROC_CSV, "w") as handle:
        roc_table(curves).to_csv(handle, index=False)
    write_json(
        METRICS,
        {
            "seed": params.seed,
            "source": params.identity.source,
            "protocol": params.identity.split,
            "train_identities": int(items.items.identity[split == "train"].nunique()),
            "test_identities": int(items.items.identity[split == "test"].nunique()),
            "far": params.identity.evaluate.far,
            "test_pairs": int(len(pairs["test"])),
            "test_positive_pairs": int(pairs["test"].same.sum()),
            **metrics,
        },
    )


if __name__ == "__main__":
    run_stage(main, "identity_evaluate")
