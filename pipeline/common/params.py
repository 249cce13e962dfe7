"""params.yaml -> typed, validated dataclasses. Read once per stage and passed down."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from pipeline.common.config_checks import ParamsError  # noqa: F401  (re-exported: stages import it from here)
from pipeline.common.config_checks import check as _check
from pipeline.common.config_checks import check_range as _check_range
from pipeline.common.identity_params import IdentityParams

DEFAULT_PARAMS = Path("params.yaml")


@dataclass(frozen=True)
class AudioParams:
    sample_rate: int = 44100
    clip_seconds: float = 10.0

    @property
    def clip_samples(self) -> int:
        return int(round(self.sample_rate * self.clip_seconds))

    def validate(self) -> None:
        _check(8000 <= self.sample_rate <= 192000, "audio.sample_rate", f"{self.sample_rate} is not in 8000..192000")
        _check(1.0 <= self.clip_seconds <= 600, "audio.clip_seconds", f"{self.clip_seconds} is not in 1..600")


@dataclass(frozen=True)
class TTSParams:
    engines: tuple[str, ...] = ("espeak-ng", "flite", "festival")
    espeak_accents: tuple[str, ...] = ("en-us", "en-gb")
    espeak_variants: str | tuple[str, ...] = "all"
    flite_voices: tuple[str, ...] = ("kal16", "awb", "rms", "slt")
    festival_voices: tuple[str, ...] = ("kal_diphone", "ked_diphone", "cmu_us_slt_arctic_hts")
    positive_takes: int = 3
    engine_take_multiplier: dict = field(default_factory=lambda: {"flite": 12, "festival": 12})
    negative_voices_per_word: int = 12
    speed_jitter: float = 0.15
    pitch_jitter: float = 0.15

    def validate(self) -> None:
        known = {"espeak-ng", "flite", "festival"}
        for engine in self.engines:
            _check(engine in known, "collect.tts.engines", f"unknown engine {engine!r}; known: {sorted(known)}")
        _check(self.positive_takes >= 1, "collect.tts.positive_takes", "must be >= 1")
        for engine, factor in self.engine_take_multiplier.items():
            _check(engine in known and isinstance(factor, int) and factor >= 1,
                   f"collect.tts.engine_take_multiplier.{engine}", "needs a known engine and an integer >= 1")
        _check(self.negative_voices_per_word >= 1, "collect.tts.negative_voices_per_word", "must be >= 1")
        _check(0 <= self.speed_jitter < 0.5, "collect.tts.speed_jitter", "must be in [0, 0.5)")
        _check(0 <= self.pitch_jitter < 0.5, "collect.tts.pitch_jitter", "must be in [0, 0.5)")


SPEECH_PACKAGES = ("ktuberling", "asterisk-en")
BACKGROUND_SOURCES = ("ufoai-ambience", "asterisk-moh", "noise")


@dataclass(frozen=True)
class CollectParams:
    positive_word: str = "activate"
    negative_words: tuple[str, ...] = ()
    min_word_seconds: float = 0.2
    max_word_seconds: float = 1.5
    trim_top_db: float = 35.0
    word_peak_dbfs: float = -1.0
    speed_variants: tuple[float, ...] = ()
    tts: TTSParams = field(default_factory=TTSParams)
    speech_packages: tuple[str, ...] = ("ktuberling", "asterisk-en")
    backgrounds: tuple[str, ...] = ("ufoai-ambience", "asterisk-moh", "noise")
    background_window_seconds: float = 10.0
    max_background_windows_per_file: int = 6
    noise_windows_per_colour: int = 4
    folders: tuple[str, ...] = ()
    archives: tuple[str | dict, ...] = ()   # URL/path, or {url, sha256, licence, name, language}

    def validate(self) -> None:
        word = self.positive_word.strip().lower()
        _check(bool(word), "collect.positive_word", "must not be empty")
        for negative in self.negative_words:
            _check(word not in negative.lower(), "collect.negative_words",
                   f"{negative!r} contains the positive word {word!r}; it would teach the model to ignore it")
        _check(0 < self.min_word_seconds < self.max_word_seconds, "collect.min_word_seconds",
               "must be > 0 and below collect.max_word_seconds")
        _check(self.trim_top_db > 0, "collect.trim_top_db", "must be > 0")
        _check(self.word_peak_dbfs <= 0, "collect.word_peak_dbfs", "must be <= 0 dBFS")
        _check(all(0.5 <= f <= 2.0 for f in self.speed_variants), "collect.speed_variants",
               f"{list(self.speed_variants)}: speed factors must be in 0.5..2.0")
        _check(self.background_window_seconds > 0, "collect.background_window_seconds", "must be > 0")
        _check(self.max_background_windows_per_file >= 1, "collect.max_background_windows_per_file", "must be >= 1")
        _check(self.noise_windows_per_colour >= 0, "collect.noise_windows_per_colour", "must be >= 0")
        for name, known, key in ((self.speech_packages, SPEECH_PACKAGES, "collect.speech_packages"),
                                 (self.backgrounds, BACKGROUND_SOURCES, "collect.backgrounds")):
            unknown = sorted(set(name) - set(known))
            _check(not unknown, key, f"unknown source(s) {unknown}; known: {list(known)}")
        for entry in self.archives:
            _check(isinstance(entry, str) or (isinstance(entry, dict) and "url" in entry
                                              and set(entry) <= {"url", "sha256", "licence", "name", "language"}),
                   "collect.archives", f"{entry!r} is neither a URL/path nor a mapping with 'url' "
                   "and optional sha256, licence, name, language")
        self.tts.validate()


@dataclass(frozen=True)
class SynthParams:
    examples: dict[str, int] = field(default_factory=lambda: {"train": 8000, "dev": 1000, "test": 1000})
    split_fractions: dict[str, float] = field(default_factory=lambda: {"train": 0.7, "dev": 0.15, "test": 0.15})
    positives: tuple[int, int] = (0, 4)
    negatives: tuple[int, int] = (0, 2)
    min_gap_seconds: float = 0.05
    end_guard_seconds: float = 0.6
    background_dbfs: tuple[float, float] = (-45.0, -20.0)
    snr_db: tuple[float, float] = (0.0, 20.0)
    reverb_probability: float = 0.25
    reverb_rt60_seconds: tuple[float, float] = (0.15, 0.6)
    reverb_irs: int = 32
    shard_size: int = 100_000

    @property
    def max_inserts(self) -> int:
        return self.positives[1] + self.negatives[1]

    def validate(self, audio: AudioParams, collect: CollectParams) -> None:
        _check(set(self.examples) == {"train", "dev", "test"}, "synthesise.examples", "needs train, dev and test")
        _check(set(self.split_fractions) == {"train", "dev", "test"}, "synthesise.split_fractions",
               "needs train, dev and test")
        for split, n in self.examples.items():
            _check(isinstance(n, int) and n >= 0, f"synthesise.examples.{split}", f"{n!r} is not a count >= 0")
        _check(all(f > 0 for f in self.split_fractions.values()), "synthesise.split_fractions", "each must be > 0")
        _check(abs(sum(self.split_fractions.values()) - 1.0) < 1e-6, "synthesise.split_fractions", "must sum to 1")
        _check_range(self.positives, "synthesise.positives", lo=0)
        _check_range(self.negatives, "synthesise.negatives", lo=0)
        _check(self.max_inserts >= 1, "synthesise.positives", "at most zero inserts of any kind: nothing to learn")
        _check_range(self.background_dbfs, "synthesise.background_dbfs", hi=0.0)
        _check_range(self.snr_db, "synthesise.snr_db", lo=-30.0, hi=60.0)
        _check_range(self.reverb_rt60_seconds, "synthesise.reverb_rt60_seconds", lo=0.01, hi=3.0)
        _check(0.0 <= self.reverb_probability <= 1.0, "synthesise.reverb_probability", "must be in [0, 1]")
        _check(self.reverb_irs >= 1, "synthesise.reverb_irs", "must be >= 1")
        _check(self.shard_size >= 1, "synthesise.shard_size", "must be >= 1")
        _check(self.min_gap_seconds >= 0, "synthesise.min_gap_seconds", "must be >= 0")
        _check(self.end_guard_seconds >= 0, "synthesise.end_guard_seconds", "must be >= 0")
        _check(collect.background_window_seconds >= audio.clip_seconds, "collect.background_window_seconds",
               f"{collect.background_window_seconds} s windows cannot hold a {audio.clip_seconds} s example")
        # Worst case: every insert is as long as the longest word allowed, plus the gaps between them.
        need = (self.max_inserts * collect.max_word_seconds + (self.max_inserts - 1) * self.min_gap_seconds
                + self.end_guard_seconds)
        _check(need <= audio.clip_seconds, "synthesise.positives",
               f"{self.positives[1]} positives + {self.negatives[1]} negatives of up to "
               f"{collect.max_word_seconds} s (collect.max_word_seconds), with gaps and the end guard, need "
               f"{need:.2f} s, more than audio.clip_seconds = {audio.clip_seconds}")


@dataclass(frozen=True)
class FeatureParams:
    n_fft: int = 200
    hop_length: int = 80
    kind: str = "spectrogram"
    n_mels: int = 40
    spec_augment: bool = True

    def frames(self, samples: int) -> int:
        """Spectrogram frames without centre padding (the lecture's Tx = 5511 for 441 000 samples)."""
        return (samples - self.n_fft) // self.hop_length + 1

    def validate(self) -> None:
        _check(self.n_fft >= 16, "features.n_fft", "must be >= 16")
        _check(1 <= self.hop_length <= self.n_fft, "features.hop_length", "must be in 1..n_fft")
        _check(self.kind in ("spectrogram", "logmel"), "features.kind", f"{self.kind!r}: spectrogram or logmel")
        _check(self.n_mels >= 8, "features.n_mels", "must be >= 8")

    @property
    def n_features(self) -> int:
        return self.n_fft // 2 + 1 if self.kind == "spectrogram" else self.n_mels


@dataclass(frozen=True)
class LabelParams:
    ty: int = 1375
    ones_after_end: int = 50

    def validate(self) -> None:
        _check(self.ty >= 1, "labels.ty", "must be >= 1")
        _check(1 <= self.ones_after_end < self.ty, "labels.ones_after_end", "must be in 1..labels.ty-1")


@dataclass(frozen=True)
class ModelParams:
    conv_filters: int = 196
    conv_kernel: int = 15
    conv_stride: int = 4
    gru_units: int = 128
    gru_layers: int = 2
    dropout: float = 0.2

    def output_steps(self, frames: int) -> int:
        return (frames - self.conv_kernel) // self.conv_stride + 1

    def validate(self) -> None:
        for name in ("conv_filters", "conv_kernel", "conv_stride", "gru_units", "gru_layers"):
            _check(getattr(self, name) >= 1, f"model.{name}", "must be >= 1")
        _check(0.0 <= self.dropout < 1.0, "model.dropout", "must be in [0, 1)")


@dataclass(frozen=True)
class TrainProfile:
    epochs: int
    examples_per_epoch: int
    batch_size: int


@dataclass(frozen=True)
class TrainParams:
    device: str = "auto"
    learning_rate: float = 1e-3
    weight_decay: float = 1e-4
    positive_weight: float = 2.0
    num_workers: int = 2
    profiles: dict = field(default_factory=lambda: {"cpu": {"epochs": 3, "examples_per_epoch": 480,
                                                            "batch_size": 16}})

    def profile(self, device_type: str) -> TrainProfile:
        """The epochs/batch sizing for the device actually used ('cuda' or 'cpu')."""
        raw = self.profiles.get(device_type) or self.profiles.get("cpu")
        name = f"train.profiles.{device_type}"
        _check(isinstance(raw, dict), name, "missing (needs epochs, examples_per_epoch, batch_size)")
        try:
            profile = TrainProfile(**raw)
        except TypeError as exc:
            raise ParamsError(f"params.yaml: {name}: {exc}") from None
        for key in ("epochs", "examples_per_epoch", "batch_size"):
            _check(isinstance(getattr(profile, key), int) and getattr(profile, key) >= 1, f"{name}.{key}",
                   "must be an integer >= 1")
        return profile

    def validate(self) -> None:
        _check(self.device in ("auto", "cpu", "cuda"), "train.device", f"{self.device!r}: auto, cpu or cuda")
        _check(self.learning_rate > 0, "train.learning_rate", "must be > 0")
        _check(self.positive_weight > 0, "train.positive_weight", "must be > 0")
        _check(self.num_workers >= 0, "train.num_workers", "must be >= 0")
        for device_type in self.profiles:
            self.profile(device_type)


@dataclass(frozen=True)
class EvaluateParams:
    smoothing_steps: int = 5
    refractory_seconds: float = 1.0
    match_seconds: float = 0.6
    thresholds: int = 39
    target_fa_per_hour: float = 1.0
    max_examples: int = 1000

    def validate(self) -> None:
        _check(self.smoothing_steps >= 1, "evaluate.smoothing_steps", "must be >= 1")
        _check(self.refractory_seconds >= 0, "evaluate.refractory_seconds", "must be >= 0")
        _check(self.match_seconds > 0, "evaluate.match_seconds", "must be > 0")
        _check(self.thresholds >= 2, "evaluate.thresholds", "must be >= 2")
        _check(self.target_fa_per_hour >= 0, "evaluate.target_fa_per_hour", "must be >= 0")
        _check(self.max_examples >= 1, "evaluate.max_examples", "must be >= 1")


@dataclass(frozen=True)
class ValidateParams:
    positive_share: tuple[float, float] = (0.6, 0.95)
    rendered_sample: int = 64

    def validate(self) -> None:
        _check_range(self.positive_share, "validate.positive_share", lo=0.0, hi=1.0)
        _check(self.rendered_sample >= 0, "validate.rendered_sample", "must be >= 0")


@dataclass(frozen=True)
class DayNightTrainParams:
    resolution: int = 64
    epochs: int = 12
    batch_size: int = 32
    learning_rate: float = 3e-3
    width: int = 16
    blocks: int = 2
    device: str = "auto"

    def validate(self) -> None:
        _check(isinstance(self.resolution, int) and self.resolution >= 8, "daynight.train.resolution", "must be >= 8")
        for key in ("epochs", "batch_size", "width", "blocks"):
            _check(isinstance(getattr(self, key), int) and getattr(self, key) >= 1, f"daynight.train.{key}",
                   "must be an integer >= 1")
        _check(self.learning_rate > 0, "daynight.train.learning_rate", "must be > 0")
        _check(self.device in ("auto", "cpu", "cuda"), "daynight.train.device", f"{self.device!r}: auto, cpu or cuda")


@dataclass(frozen=True)
class DayNightStudyParams:
    resolutions: tuple[int, ...] = (16, 32, 64)
    epsilon: float = 0.02
    fractions: tuple[float, ...] = (0.1, 0.25, 0.5, 1.0)
    target_accuracy: float = 0.97


@dataclass(frozen=True)
class DayNightParams:
    size: int = 256
    min_side: int = 64
    jpeg_quality: int = 92
    max_photos: int = 0
    variants_per_class: int = 4
    split_fractions: dict[str, float] = field(default_factory=lambda: {"train": 0.6, "dev": 0.2, "test": 0.2})
    sources: dict = field(default_factory=dict)   # name -> {root, globs, one_per_dir?, licence?}
    exclude: tuple[str, ...] = ()
    night: tuple[str, ...] = ()
    folders: tuple[str, ...] = ()
    pipelines: dict = field(default_factory=dict)  # day / night: albumentations A.to_dict output
    train: DayNightTrainParams = field(default_factory=DayNightTrainParams)
    study: DayNightStudyParams = field(default_factory=DayNightStudyParams)

    def validate(self) -> None:
        _check(isinstance(self.min_side, int) and self.min_side >= 64, "daynight.min_side", "must be >= 64")
        _check(isinstance(self.size, int) and self.size >= self.min_side, "daynight.size", "must be >= daynight.min_side")
        _check(1 <= self.jpeg_quality <= 100, "daynight.jpeg_quality", "must be in 1..100")
        _check(self.max_photos >= 0, "daynight.max_photos", "must be >= 0 (0 = all)")
        _check(self.variants_per_class >= 1, "daynight.variants_per_class", "must be >= 1")
        _check(set(self.split_fractions) == {"train", "dev", "test"}
               and abs(sum(self.split_fractions.values()) - 1) < 1e-6
               and all(v > 0 for v in self.split_fractions.values()),
               "daynight.split_fractions", "needs train, dev and test, each > 0, summing to 1")
        for name, spec in self.sources.items():
            _check(isinstance(spec, dict) and "root" in spec and isinstance(spec.get("globs"), list)
                   and set(spec) <= {"root", "globs", "one_per_dir", "licence"}, f"daynight.sources.{name}",
                   "needs root and a list of globs (optional: one_per_dir, licence)")
        # Empty = the case study is not configured (params.yaml without a daynight section): checked by its stages.
        _check(not self.pipelines or set(self.pipelines) == {"day", "night"}, "daynight.pipelines",
               "needs day and night")
        for name, spec in self.pipelines.items():
            _check(isinstance(spec, dict) and isinstance(spec.get("transform"), dict),
                   f"daynight.pipelines.{name}", "expected albumentations A.to_dict output: {transform: {...}}")
        self.train.validate()
        _check(len(self.study.resolutions) >= 1 and all(isinstance(r, int) and r >= 8 for r in self.study.resolutions),
               "daynight.study.resolutions", "needs integers >= 8")
        _check(all(r <= self.size for r in self.study.resolutions), "daynight.study.resolutions",
               f"cannot exceed daynight.size = {self.size}")
        _check(self.train.resolution <= self.size, "daynight.train.resolution", f"cannot exceed daynight.size = {self.size}")
        _check(0 <= self.study.epsilon < 1, "daynight.study.epsilon", "must be in [0, 1)")
        _check(len(self.study.fractions) >= 2 and all(0 < f <= 1 for f in self.study.fractions),
               "daynight.study.fractions", "needs at least two shares in (0, 1]")
        _check(0.5 < self.study.target_accuracy < 1, "daynight.study.target_accuracy", "must be in (0.5, 1)")


# --- studies: sample-rate ladder of the trigger-word model (pipeline/triggerword/audio_rate_study.py) ---
@dataclass(frozen=True)
class AudioRateStudyParams:
    rates: tuple[int, ...] = ()   # empty = not configured (params.yaml without the section): checked by its stages
    epsilon: float = 0.02
    epochs: int = 2
    train_clips: int = 96
    dev_clips: int = 160
    batch_size: int = 16

    def profile(self) -> TrainProfile:
        """The study's training budget, in the train stage's terms: every chosen clip once per epoch."""
        return TrainProfile(self.epochs, self.train_clips, self.batch_size)

    def validate(self, audio: AudioParams, features: FeatureParams) -> None:
        from synth.triggerword.sample_rates import rate_features  # pure, torch-free

        name = "studies.audio_rate"
        _check(all(isinstance(r, int) and not isinstance(r, bool) for r in self.rates), f"{name}.rates",
               f"{list(self.rates)}: needs integer rates in Hz")
        _check(len(set(self.rates)) == len(self.rates), f"{name}.rates", f"{list(self.rates)} repeats a rate")
        for rate in self.rates:
            _check(rate <= audio.sample_rate, f"{name}.rates", f"{rate} Hz is above audio.sample_rate = "
                   f"{audio.sample_rate}: the data holds nothing above {audio.sample_rate // 2} Hz, so the rung would "
                   f"only upsample; use rates <= {audio.sample_rate}")
            try:
                rate_features(rate, audio.sample_rate, audio.clip_samples, features.n_fft, features.hop_length,
                              features.kind, features.n_mels)
            except ValueError as exc:
                raise ParamsError(f"params.yaml: {name}.rates: {exc}") from None
        _check(0 <= self.epsilon < 1, f"{name}.epsilon", "must be in [0, 1)")
        for key in ("epochs", "train_clips", "dev_clips", "batch_size"):
            value = getattr(self, key)
            _check(isinstance(value, int) and not isinstance(value, bool) and value >= 1, f"{name}.{key}",
                   "must be an integer >= 1")


@dataclass(frozen=True)
class StudiesParams:
    audio_rate: AudioRateStudyParams = field(default_factory=AudioRateStudyParams)

    def validate(self, audio: AudioParams, features: FeatureParams) -> None:
        self.audio_rate.validate(audio, features)
# --- end studies ---


@dataclass(frozen=True)
class Params:
    seed: int = 0
    audio: AudioParams = field(default_factory=AudioParams)
    collect: CollectParams = field(default_factory=CollectParams)
    synthesise: SynthParams = field(default_factory=SynthParams)
    features: FeatureParams = field(default_factory=FeatureParams)
    labels: LabelParams = field(default_factory=LabelParams)
    model: ModelParams = field(default_factory=ModelParams)
    train: TrainParams = field(default_factory=TrainParams)
    evaluate: EvaluateParams = field(default_factory=EvaluateParams)
    validate: ValidateParams = field(default_factory=ValidateParams)
    daynight: DayNightParams = field(default_factory=DayNightParams)
    style: dict = field(default_factory=dict)  # checked where it is used: pipeline/style/stylize.py (torch-free here)
    identity: IdentityParams = field(default_factory=IdentityParams)
    studies: StudiesParams = field(default_factory=StudiesParams)  # model studies (sample-rate ladder)

    def check(self) -> "Params":
        _check(isinstance(self.seed, int) and self.seed >= 0, "seed", f"{self.seed!r} is not an integer >= 0")
        self.audio.validate()
        self.collect.validate()
        self.synthesise.validate(self.audio, self.collect)
        self.features.validate()
        self.labels.validate()
        self.model.validate()
        self.train.validate()
        self.evaluate.validate()
        self.validate.validate()
        self.daynight.validate()
        self.identity.validate()
        self.studies.validate(self.audio, self.features)
        frames = self.features.frames(self.audio.clip_samples)
        steps = self.model.output_steps(frames)
        _check(steps == self.labels.ty, "labels.ty", f"{self.labels.ty} but the model maps {frames} frames "
               f"(audio, features) to {steps} output steps (model.conv_kernel/conv_stride): set labels.ty: {steps}")
        return self


def _build(cls: type, data: Any, name: str) -> Any:
    """Build dataclass `cls` from a mapping, rejecting unknown keys; lists become tuples."""
    if not isinstance(data, dict):
        raise ParamsError(f"params.yaml: {name or 'top level'}: expected a mapping, got {type(data).__name__}")
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - set(fields))
    if unknown:
        raise ParamsError(f"params.yaml: {name or 'top level'}: unknown key(s) {unknown}; known: {sorted(fields)}")
    values = {}
    for key, value in data.items():
        sub = fields[key].default_factory if fields[key].default_factory is not dataclasses.MISSING else None
        full = f"{name}.{key}" if name else key
        if sub is not None and dataclasses.is_dataclass(sub):
            values[key] = _build(sub, value, full)
        elif isinstance(value, list):
            values[key] = tuple(value)
        else:
            values[key] = value
    return cls(**values)


def merge(base: dict, overlay: dict) -> dict:
    """Deep-merge two raw params mappings; the overlay's values win."""
    out = dict(base)
    for key, value in overlay.items():
        out[key] = merge(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


def load_params(path: str | Path = DEFAULT_PARAMS) -> Params:
    """Read and validate params.yaml; every problem is a ParamsError naming the param."""
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text()) or {}
    except FileNotFoundError:
        raise ParamsError(f"{path}: not found (run the stage from the repository root)") from None
    except yaml.YAMLError as exc:
        raise ParamsError(f"{path}: not valid YAML: {exc}") from None
    try:
        return _build(Params, raw, "").check()
    except TypeError as exc:
        raise ParamsError(f"{path}: {exc}") from None


if __name__ == "__main__":  # print params.yaml merged with an overlay: python -m pipeline.common.params OVERLAY
    import sys

    base = yaml.safe_load(DEFAULT_PARAMS.read_text())
    merged = merge(base, yaml.safe_load(Path(sys.argv[1]).read_text()))
    text = yaml.safe_dump(merged, sort_keys=False)
    _build(Params, merged, "").check()
    sys.stdout.write(text)
