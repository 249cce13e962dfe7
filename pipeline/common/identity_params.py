"""params.yaml `identity:` -> typed dataclasses for the identity-encoder stages (pipeline/identity_*.py)."""
from __future__ import annotations

from dataclasses import dataclass, field

from pipeline.common.config_checks import check as _check

SOURCES = ("speakers", "words", "faces")
MININGS = ("manifest", "batch_hard", "semihard")
STRATEGIES = ("random", "semihard", "hard")

ASTERISK = "/usr/share/asterisk/sounds"


def _default_speakers() -> dict:
    """One identity per recorded voice; Allison recorded both the English and the Spanish prompts."""
    return {
        "Allison": [f"{ASTERISK}/en_US_f_Allison", f"{ASTERISK}/es_MX_f_Allison"],
        "June": [f"{ASTERISK}/fr_CA_f_June"],
        "Menardi": [f"{ASTERISK}/it_IT_f_Menardi"],
        "Carlo": [f"{ASTERISK}/it_IT_m_Carlo"],
        "IvrvoiceRU": [f"{ASTERISK}/ru_RU_f_IvrvoiceRU"],
        "Armelle": [f"{ASTERISK}/fr"],
        "es-co": [f"{ASTERISK}/es"],
    }


@dataclass(frozen=True)
class FaceSourceParams:
    root: str = ""              # identity folders: <root>/<person>/*.jpg (the LFW layout)
    lfw: str = ""               # or an LFW archive: URL or local .tgz, extracted under data/identity_cache
    size: int = 150             # aligned face chip, pixels
    on_no_face: str = "skip"    # skip | error
    small_identities: str = "error"  # error | skip: people with fewer than identity.min_items usable photos


@dataclass(frozen=True)
class EncoderParams:
    dim: int = 128
    n_mels: int = 40
    channels: tuple[int, ...] = (16, 32, 64, 128)
    image_backbone: str = "mobilenet_v2"   # or small_cnn
    image_size: int = 112


@dataclass(frozen=True)
class MineParams:
    strategy: str = "semihard"  # random | semihard | hard
    per_anchor: int = 4         # triplets mined per anchor item
    embedding: str = "baseline"  # baseline (MFCC statistics / dlib faces) | untrained


@dataclass(frozen=True)
class IdentityTrainParams:
    mining: str = "manifest"    # manifest (+ re-mining) | batch_hard | semihard (online, in P x K batches)
    remine_every: int = 2       # epochs between re-mining the manifest with the current encoder (0 = never)
    epochs: int = 6
    steps_per_epoch: int = 30
    batch_p: int = 8            # identities per online batch
    batch_k: int = 8            # items per identity per online batch
    triplet_batch: int = 64     # triplets per step in manifest mode
    lr: float = 0.002
    device: str = "auto"


@dataclass(frozen=True)
class IdentityEvalParams:
    folds: int = 10             # LFW protocol: threshold chosen on 9 folds, scored on the 10th
    far: float = 0.001
    negatives: int = 20000      # different-identity pairs sampled for verification
    k_max: int = 12             # clustering sweep k = 2..k_max
    worst: int = 8              # hardest false accepts / rejects shown in the report


@dataclass(frozen=True)
class IdentityParams:
    source: str = "speakers"
    speakers: dict = field(default_factory=_default_speakers)
    faces: FaceSourceParams = field(default_factory=FaceSourceParams)
    sample_rate: int = 8000     # audio items (speakers, words) are resampled to this rate
    clip_seconds: float = 2.0   # audio items: this long after trimming leading silence (padded if shorter)
    min_speech_seconds: float = 0.4
    max_items: int = 200        # per identity (0 = all)
    min_items: int = 4          # identities with fewer usable items are an error (triplets need >= 2)
    split_fractions: dict = field(default_factory=lambda: {"train": 0.7, "dev": 0.15, "test": 0.15})
    margin: float = 0.2         # alpha in max(|f(A)-f(P)|^2 - |f(A)-f(N)|^2 + alpha, 0)
    encoder: EncoderParams = field(default_factory=EncoderParams)
    mine: MineParams = field(default_factory=MineParams)
    train: IdentityTrainParams = field(default_factory=IdentityTrainParams)
    evaluate: IdentityEvalParams = field(default_factory=IdentityEvalParams)

    @property
    def modality(self) -> str:
        return "image" if self.source == "faces" else "audio"

    @property
    def clip_samples(self) -> int:
        return int(round(self.sample_rate * self.clip_seconds))

    def validate(self) -> None:
        _check(self.source in SOURCES, "identity.source", f"{self.source!r}: expected one of {list(SOURCES)}")
        _check(isinstance(self.speakers, dict) and all(isinstance(v, (list, tuple)) and v for v in self.speakers.values()),
               "identity.speakers", "expected {identity: [folder, ...]}")
        _check(self.source != "speakers" or len(self.speakers) >= 2, "identity.speakers", "needs at least 2 speakers")
        _check(self.source != "faces" or bool(self.faces.root or self.faces.lfw), "identity.faces",
               "source is faces: set identity.faces.root (identity folders) or identity.faces.lfw (archive or URL)")
        _check(self.faces.size == 150, "identity.faces.size",
               "must be 150: dlib's pretrained face encoder (the baseline) takes 150 px chips")
        _check(self.faces.on_no_face in ("skip", "error"), "identity.faces.on_no_face", "expected skip or error")
        _check(self.faces.small_identities in ("skip", "error"), "identity.faces.small_identities",
               "expected skip or error")
        _check(8000 <= self.sample_rate <= 48000, "identity.sample_rate", "must be in 8000..48000")
        _check(0.25 <= self.clip_seconds <= 10, "identity.clip_seconds", "must be in 0.25..10")
        _check(self.max_items >= 0, "identity.max_items", "must be >= 0 (0 = all)")
        _check(self.min_items >= 2, "identity.min_items", "must be >= 2 (an anchor needs a positive)")
        _check(self.max_items == 0 or self.max_items >= self.min_items, "identity.max_items",
               "must be >= identity.min_items")
        _check(set(self.split_fractions) == {"train", "dev", "test"}
               and abs(sum(self.split_fractions.values()) - 1) < 1e-6
               and all(v > 0 for v in self.split_fractions.values()),
               "identity.split_fractions", "needs train, dev and test, each > 0, summing to 1")
        _check(0 < self.margin <= 2, "identity.margin", "must be in (0, 2] (squared distances of unit vectors are <= 4)")
        _check(self.encoder.dim >= 2, "identity.encoder.dim", "must be >= 2")
        _check(self.encoder.image_backbone in ("mobilenet_v2", "small_cnn"), "identity.encoder.image_backbone",
               "expected mobilenet_v2 or small_cnn")
        _check(self.mine.strategy in STRATEGIES, "identity.mine.strategy", f"expected one of {list(STRATEGIES)}")
        _check(self.mine.per_anchor >= 1, "identity.mine.per_anchor", "must be >= 1")
        _check(self.mine.embedding in ("baseline", "untrained"), "identity.mine.embedding",
               "expected baseline or untrained")
        train = self.train
        _check(train.mining in MININGS, "identity.train.mining", f"expected one of {list(MININGS)}")
        _check(train.remine_every >= 0, "identity.train.remine_every", "must be >= 0")
        for name in ("epochs", "steps_per_epoch", "triplet_batch"):
            _check(getattr(train, name) >= 1, f"identity.train.{name}", "must be >= 1")
        _check(train.batch_p >= 2 and train.batch_k >= 2, "identity.train.batch_p/batch_k",
               "need >= 2 identities and >= 2 items each per batch")
        _check(train.lr > 0, "identity.train.lr", "must be > 0")
        ev = self.evaluate
        _check(ev.folds >= 2, "identity.evaluate.folds", "must be >= 2")
        _check(0 < ev.far < 1, "identity.evaluate.far", "must be in (0, 1)")
        _check(ev.negatives >= 10, "identity.evaluate.negatives", "must be >= 10")
        _check(ev.k_max >= 3, "identity.evaluate.k_max", "must be >= 3")
        _check(ev.worst >= 1, "identity.evaluate.worst", "must be >= 1")
