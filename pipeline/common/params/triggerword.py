"""params.yaml sections of the trigger-word case: audio, collect, synthesise, features, labels, train,
embed, evaluate, validate and the sample-rate study (`model:` is models.triggerword.spec.ModelParams)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, Field, model_validator

from pipeline.common.params.errors import ParamIssue, check
from pipeline.common.params.fields import CountRange, Device, NonNegative, Range, SplitCounts, SplitFractions, Unique
from synth.common.spec import Count, Int, PositiveFloat, PositiveInt, Share, Spec

Engine = Literal["espeak-ng", "flite", "festival", "kokoro", "pico"]
Jitter = Annotated[float, Field(ge=0, lt=0.5)]
ARCHIVE_KEYS = {"url", "sha256", "licence", "name", "language"}


class AudioParams(Spec):
    sample_rate: Annotated[Int, Field(ge=8000, le=192000)]
    clip_seconds: Annotated[float, Field(ge=1, le=600)]

    @property
    def clip_samples(self) -> int:
        return int(round(self.sample_rate * self.clip_seconds))


class KokoroParams(Spec):
    blend_voices: tuple[str, ...]  # base voices mixed into blend speakers
    blend_speakers: Count  # Dirichlet blends of blend_voices, each a speaker of its own
    voices_per_blend: PositiveInt | None  # base voices drawn into each blend (None: all of blend_voices)
    concentration: PositiveFloat  # Dirichlet concentration: < 1 near one voice, > 1 near the average
    speed_range: Jitter  # each blend speaker's own speed, 1 +- this
    pure_voices: tuple[str, ...]  # base voices that are speakers as themselves (synthesise.holdout can hold them)

    @model_validator(mode="after")
    def _disjoint(self):
        both = set(self.blend_voices) & set(self.pure_voices)
        message = f"{sorted(both)} also in blend_voices: a held-out voice would be heard in training"
        check(not both, "pure_voices", message)
        return self


class TTSParams(Spec):
    engines: tuple[Engine, ...]
    espeak_accents: tuple[str, ...]
    espeak_variants: Literal["all"] | tuple[str, ...]
    flite_voices: tuple[str, ...]
    festival_voices: tuple[str, ...]
    kokoro: KokoroParams
    pico_voices: tuple[str, ...]  # SVOX Pico's voices: en-US, en-GB
    positive_takes: PositiveInt
    engine_take_multiplier: dict[Engine, PositiveInt]
    negative_voices_per_word: PositiveInt
    positive_phrases: tuple[str, ...]  # '{word}' is the positive word; the phrase must end with it
    negative_sentences: tuple[str, ...]  # continuous speech, many with near-miss words
    phrase_voices: PositiveInt  # voices drawn per phrase and per sentence
    speed_jitter: Jitter
    pitch_jitter: Jitter


def _archive(entry: str | dict) -> str | dict:
    if isinstance(entry, dict) and ("url" not in entry or not set(entry) <= ARCHIVE_KEYS):
        raise ValueError(f"{entry!r}: a mapping needs 'url' and may add {sorted(ARCHIVE_KEYS - {'url'})}")
    return entry


class NearMissParams(Spec):
    words: Count  # CMUdict words nearest the positive word in phonemes
    pairs: Count  # two-word phrases whose joined phonemes come close to it
    max_distance: Annotated[Int, Field(ge=1, le=6)]  # phoneme edits at most
    vocabulary: PositiveInt  # candidates: this many commonest words of the language model


class CollectParams(Spec):
    positive_word: str
    negative_words: tuple[str, ...]
    near_misses: NearMissParams
    min_word_seconds: PositiveFloat
    max_word_seconds: PositiveFloat
    max_phrase_seconds: PositiveFloat  # negatives may be whole phrases and sentences
    trim_top_db: PositiveFloat
    word_peak_dbfs: Annotated[float, Field(le=0)]
    speed_variants: tuple[Annotated[float, Field(ge=0.5, le=2.0)], ...]
    tts: TTSParams
    speech_packages: tuple[
        Literal[
            "ktuberling",
            "asterisk-en",
            "asterisk-es",
            "asterisk-fr",
            "asterisk-it",
            "asterisk-it-menardi",
            "asterisk-ru",
            "fotaq",
            "warzone2100",
            "tuxpaint",
            "klettres",
        ],
        ...,
    ]
    fotaq_lines: PositiveInt | None  # Flight of the Amazon Queen lines kept (a fixed spread); null: all 6 745
    backgrounds: tuple[Literal["ufoai-ambience", "asterisk-moh", "noise"], ...]
    background_window_seconds: PositiveFloat
    max_background_windows_per_file: PositiveInt
    noise_windows_per_colour: Count
    folders: tuple[str, ...]
    archives: tuple[Annotated[str | dict[str, str], AfterValidator(_archive)], ...]  # URL/path or {url, ...}
    review_verdicts: str  # CSV of people's verdicts on clips (datasynth label --export-verdicts); '' for none

    @model_validator(mode="after")
    def _words(self):
        word = self.positive_word.strip().lower()
        check(bool(word), "positive_word", "must not be empty")
        for negative in self.negative_words:
            check(
                word not in negative.lower(),
                "negative_words",
                f"{negative!r} contains the positive word {word!r}; it would teach the model to ignore it",
            )
        check(self.min_word_seconds < self.max_word_seconds, "min_word_seconds", "must be below max_word_seconds")
        for phrase in self.tts.positive_phrases:
            check(
                phrase.rstrip(" .!?").endswith("{word}"),
                "tts.positive_phrases",
                f"{phrase!r} must end with {{word}}: the clip's end is the word's end, where the label goes",
            )
        for sentence in self.tts.negative_sentences:
            check(
                word not in sentence.lower(),
                "tts.negative_sentences",
                f"{sentence!r} contains the positive word {word!r}",
            )
        return self


class ChannelParams(Spec):
    bandpass_probability: Share
    bandpass_center_hz: Range(50.0, 20000.0)
    bandpass_bandwidth_fraction: Range(0.05, 4.0)
    clipping_probability: Share
    clipping_percentile: CountRange


class VocoderParams(Spec):  # training inserts only: dev, test and the streams keep their voices as they are
    probability: Share
    formant_ratio: Range(0.5, 2.0)
    pitch_range: Range(0.0, 2.0)


class ConversationParams(Spec):  # recorded speech played as conversation, added to each stream
    hours: NonNegative  # added to the test stream
    mining_hours: NonNegative  # added to the mining pool
    dev_hours: NonNegative  # added to the dev stream
    lines: CountRange  # lines drawn per clip; those that fit in it are kept
    pause_seconds: Range(-2.0, 5.0)  # one line's end to the next one's start; below 0 they overlap


class StreamParams(Spec):
    hours: PositiveFloat  # the test stream
    mining_hours: NonNegative  # the mining pool (train split)
    dev_hours: NonNegative  # the dev stream (dev split): the dev operating point's false accepts
    negatives: CountRange
    conversation: ConversationParams


class SynthParams(Spec):
    examples: SplitCounts
    split_fractions: SplitFractions
    positives: CountRange
    negatives: CountRange
    min_gap_seconds: NonNegative
    positive_gap_seconds: NonNegative  # after a positive (min_gap_seconds when that is larger)
    end_guard_seconds: NonNegative
    background_dbfs: Range(hi=0.0)
    snr_db: Range(-30.0, 60.0)
    reverb_probability: Share
    reverb_rt60_seconds: Range(0.01, 3.0)
    reverb_irs: PositiveInt
    shard_size: PositiveInt
    # split -> catalog sources ("tts:festival") or speakers ("kokoro:jf_nezumi") heard in that split only
    holdout: dict[Literal["train", "dev", "test"], tuple[str, ...]]
    stream: StreamParams
    channel: ChannelParams
    vocoder: VocoderParams

    @property
    def max_inserts(self) -> int:
        return self.positives[1] + self.negatives[1]

    @model_validator(mode="after")
    def _something_to_learn(self):
        check(self.max_inserts >= 1, "positives", "at most zero inserts of any kind: nothing to learn")
        named = [name for names in self.holdout.values() for name in names]
        check(len(set(named)) == len(named), "holdout", f"{named} names a source or speaker in two splits")
        return self


class FeatureParams(Spec):
    n_fft: Annotated[Int, Field(ge=16)]
    hop_length: PositiveInt
    kind: Literal["spectrogram", "logmel"]
    n_mels: Annotated[Int, Field(ge=8)]
    spec_augment: bool

    @model_validator(mode="after")
    def _hop(self):
        check(self.hop_length <= self.n_fft, "hop_length", "must be in 1..n_fft")
        return self

    def frames(self, samples: int) -> int:
        """Spectrogram frames without centre padding (the lecture's Tx = 5511 for 441 000 samples)."""
        return (samples - self.n_fft) // self.hop_length + 1

    @property
    def n_features(self) -> int:
        return self.n_fft // 2 + 1 if self.kind == "spectrogram" else self.n_mels


class LabelParams(Spec):
    ty: PositiveInt
    ones_after_end: PositiveInt

    @model_validator(mode="after")
    def _ones(self):
        check(self.ones_after_end < self.ty, "ones_after_end", "must be in 1..labels.ty-1")
        return self


class TrainProfile(Spec):
    epochs: PositiveInt
    examples_per_epoch: PositiveInt
    batch_size: PositiveInt


class HeadProfile(Spec):
    epochs: PositiveInt
    batch_size: PositiveInt
    select: Literal["dev_f1", "dev_loss", "last"]  # which epoch's head is kept (early stopping on dev)
    loss: Literal["frames", "peak"]  # every labelled step counts, or each positive's highest step (peak_loss.py)
    input_noise: NonNegative  # training-time Gaussian noise on the embeddings, in units of their std
    weight_decay: NonNegative  # AdamW's, for the head (train.weight_decay is the lecture network's)
    crop_steps: PositiveInt | None  # train on a window of this many outputs per clip and epoch; None: whole clips
    precision: Literal["float32", "bfloat16"]  # the training steps' matmuls (bfloat16: autocast); scoring is float32


class TrainParams(Spec):
    device: Device
    learning_rate: PositiveFloat
    weight_decay: NonNegative
    positive_weight: PositiveFloat
    num_workers: Count
    profiles: dict[Literal["cpu", "cuda"], TrainProfile]  # picked by the device actually used
    head: HeadProfile  # the embedding family

    @model_validator(mode="after")
    def _cpu_profile(self):
        check("cpu" in self.profiles, "profiles.cpu", "missing: the cpu profile is the fallback for any device")
        return self

    def profile(self, device_type: str) -> TrainProfile:
        """The epochs/batch sizing for the device actually used ('cuda' or 'cpu')."""
        return self.profiles.get(device_type) or self.profiles["cpu"]


class AuditParams(Spec):
    sources: tuple[str, ...]  # catalog sources whose clips the recogniser checks ("archive": archive:<name>)
    languages: tuple[str, ...]  # language prefixes it checks (its acoustic model is US English)
    min_confidence: Share
    min_source_rate: Share
    min_voice_rate: Share
    review_per_voice: Count
    review_max: Count
    apply: bool  # False: the audit only reports; synthesise uses every clip
    workers: PositiveInt  # processes that decode clips side by side (the same table with any number)


class EmbedParams(Spec):
    examples: SplitCounts
    batch_size: PositiveInt
    workers: PositiveInt  # processes rendering and embedding side by side
    threads: PositiveInt  # onnxruntime threads of each worker's front-end


class MineParams(Spec):
    rounds: Count  # 0: no mining
    threshold: Annotated[float, Field(gt=0, lt=1)]
    weight: PositiveFloat


ABLATABLE = ("model.embedding.", "train.learning_rate", "train.weight_decay", "train.positive_weight", "train.head.")
ABLATABLE += ("mine.rounds", "mine.weight")


class AblateParams(Spec):
    seeds: Annotated[tuple[Count, ...], Unique, Field(min_length=1)]  # head seeds per arm: the spread is measured
    arms: dict[str, dict[str, object]]  # arm -> {dotted param: value}: one choice changed against the default

    @model_validator(mode="after")
    def _one_choice(self):
        for arm, change in self.arms.items():
            check(len(change) == 1, f"arms.{arm}", f"changes {len(change)} params; an arm changes exactly one")
            key = next(iter(change))
            check(
                key.startswith(ABLATABLE),
                f"arms.{arm}",
                f"{key!r} is not a choice of the head's training on cached embeddings ({', '.join(ABLATABLE)})",
            )
        return self


class StressParams(Spec):
    voice: str  # a Kokoro base voice in no blend and no split: heard nowhere else
    backgrounds: str  # folder of music and sounds used nowhere else (colobot-common-sounds)
    files: PositiveInt
    file_seconds: Annotated[float, Field(ge=5, le=600)]
    positives: CountRange  # takes per file
    negatives: CountRange
    snr_db: Range(-30.0, 60.0)
    level_dbfs: Range(hi=0.0)
    speed_jitter: Jitter
    pitch_jitter: Jitter


class EvaluateParams(Spec):
    smoothing_seconds: NonNegative
    refractory_seconds: NonNegative
    match_seconds: PositiveFloat
    thresholds: Annotated[Int, Field(ge=2)]
    target_fa_per_hour: NonNegative
    max_examples: PositiveInt


class TargetMissRates(Spec):
    """Per group of test positives; null: no target for that group."""

    all: Share | None
    unseen_voice: Share | None
    unseen_engine: Share | None


class TargetsParams(Spec):
    """Miss rates the detector is held to on test, per group of positives, at <= evaluate.target_fa_per_hour."""

    frr: TargetMissRates
    unseen_engine_ratio: Annotated[float, Field(ge=1)] | None  # its FRR at most this many times the seen voices'

    def goals(self) -> dict[str, float]:
        """{group: miss rate} of the groups with a target, in params order."""
        return {group: rate for group, rate in self.frr.model_dump().items() if rate is not None}


class ValidateParams(Spec):
    positive_share: Range(0.0, 1.0)
    rendered_sample: Count


class AudioRateStudyParams(Spec):
    rates: Annotated[tuple[PositiveInt, ...], Unique]  # Hz; one audio_rate@<rate> stage per rung
    epsilon: Annotated[float, Field(ge=0, lt=1)]
    epochs: PositiveInt
    train_clips: PositiveInt
    dev_clips: PositiveInt
    batch_size: PositiveInt

    def profile(self) -> TrainProfile:
        """The study's training budget, in the train stage's terms: every chosen clip once per epoch."""
        return TrainProfile(epochs=self.epochs, examples_per_epoch=self.train_clips, batch_size=self.batch_size)


class StudiesParams(Spec):
    audio_rate: AudioRateStudyParams


def check_rates(study: AudioRateStudyParams, audio: AudioParams, features: FeatureParams) -> None:
    """Every rung must be at most the pipeline rate and give a usable spectrogram."""
    from synth.triggerword.sample_rates import rate_features  # pure, torch-free

    for rate in study.rates:
        check(
            rate <= audio.sample_rate,
            "studies.audio_rate.rates",
            f"{rate} Hz is above audio.sample_rate = "
            f"{audio.sample_rate}: the data holds nothing above {audio.sample_rate // 2} Hz, so the rung would "
            f"only upsample; use rates <= {audio.sample_rate}",
        )
        try:
            rate_features(
                rate,
                audio.sample_rate,
                audio.clip_samples,
                features.n_fft,
                features.hop_length,
                features.kind,
                features.n_mels,
            )
        except ValueError as exc:
            raise ParamIssue("studies.audio_rate.rates", str(exc)) from None
