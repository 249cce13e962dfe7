"""The streaming runtime: audio chunks of any size in, detection events out, state carried between chunks.

`open_stream(detector, threshold)` gives a stream for either family; `push(chunk)` returns the events
that chunk completed and `finish()` the rest. Events are (time, score): time is where the output step
that fired ends, in seconds of the stream. The same smoothing, threshold and refractory period as
offline scoring (models/triggerword/events.py) run step by step, so a file streamed in 10 ms or 1 s
chunks gives the offline events (tests/models/triggerword/test_streaming.py states the tolerance).

- embedding family: true streaming. Each 80 ms step's 8 mel frames, its embedding and its head output
  are computed as soon as its audio has arrived; state = the audio tail, the mel frames not yet used by
  an embedding, the last `window` embeddings and the smoothing/refractory state.
- lecture family: its network sees 10-s windows; the stream runs them every half window as offline
  scoring does (so a detection can come up to half a window late).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np
import torch

from models.triggerword.inference import Detector, EmbeddingDetector
from models.triggerword.speech_embedding import (
    EMBEDDING_FRAMES,
    EMBEDDING_STEP,
    RATE,
    STEP_INPUT,
    STEP_SAMPLES,
    SpeechEmbedding,
)


@dataclass(frozen=True)
class Event:
    time: float  # seconds from the start of the stream: the end of the output step that fired
    score: float  # the smoothed output at that step


class EventTracker:
    """Causal smoothing, upward threshold crossings and the refractory period, one output at a time."""

    def __init__(self, threshold: float, smoothing_steps: int, refractory_steps: int, step_seconds: float):
        self.threshold, self.refractory, self.step_seconds = threshold, refractory_steps, step_seconds
        self.window = deque([0.0] * max(1, smoothing_steps), maxlen=max(1, smoothing_steps))
        self.step, self.above, self.last = 0, False, -np.inf
        self.peak = 0.0  # the highest smoothed output so far: how close a miss came

    def add(self, probability: float) -> Event | None:
        self.window.append(float(probability))
        smoothed = sum(self.window) / len(self.window)
        self.peak = max(self.peak, smoothed)
        above = smoothed >= self.threshold
        fired = above and not self.above and self.step - self.last > self.refractory
        if fired:
            self.last = self.step
        self.above, self.step = above, self.step + 1
        return Event((self.step) * self.step_seconds, smoothed) if fired else None


def rules(detector: Detector, threshold: float) -> EventTracker:
    """The evaluate stage's event rules (stored in the checkpoint) in this detector's output steps."""
    e = detector.meta.get("evaluate") or {}
    steps_per_second = detector.ty * detector.sample_rate / detector.clip_samples
    smoothing = max(1, int(round(e.get("smoothing_seconds", 0.0) * steps_per_second)))
    refractory = int(round(e.get("refractory_seconds", 1.0) * steps_per_second))
    return EventTracker(threshold, smoothing, refractory, 1.0 / steps_per_second)


class EmbeddingStream:
    """16 kHz float chunks -> events, through the frozen front-end and the head, 80 ms at a time."""

    def __init__(self, detector: EmbeddingDetector, threshold: float):
        self.detector, self.window = detector, detector.head.spec.window
        self.front_end = detector.front_end or SpeechEmbedding(threads=1)
        self.tracker = rules(detector, threshold)
        # As offline scoring: the stream is led by zeros, whose mel frames and embeddings are silence.
        lead = self.front_end.lead_mels(self.window)
        embeddings = self.front_end.embeddings_from_mel(lead[None])[0]
        used = len(embeddings) * EMBEDDING_STEP
        self.mel = lead[used:]  # frames not yet used up by an embedding
        self.embeddings: deque = deque(embeddings, maxlen=self.window)
        self.audio = np.zeros(STEP_INPUT - STEP_SAMPLES, np.float32)  # the tail the next step's frames overlap

    def push(self, chunk: np.ndarray) -> list[Event]:
        self.audio = np.concatenate([self.audio, np.asarray(chunk, np.float32).reshape(-1)])
        events = []
        while len(self.audio) >= STEP_INPUT:
            mel = self.front_end.melspectrogram(self.audio[None, :STEP_INPUT])[0]
            self.audio = self.audio[STEP_SAMPLES:]
            self.mel = np.concatenate([self.mel, mel])
            self.embeddings.append(self.front_end.embeddings_from_mel(self.mel[None, :EMBEDDING_FRAMES])[0, 0])
            self.mel = self.mel[EMBEDDING_STEP:]
            events.append(self.tracker.add(self._score()))
        return [e for e in events if e is not None]

    @torch.no_grad()
    def _score(self) -> float:
        window = torch.from_numpy(np.stack(self.embeddings)[None])
        return float(torch.sigmoid(self.detector.head(window))[0, -1])

    def finish(self) -> list[Event]:
        """A trailing part of an 80 ms step is not scored (offline scoring drops it too)."""
        return []


class LectureStream:
    """Pipeline-rate chunks -> events: the lecture network on half-overlapping 10-s windows."""

    def __init__(self, detector: Detector, threshold: float):
        self.detector, self.tracker = detector, rules(detector, threshold)
        self.n, self.hop = detector.clip_samples, detector.clip_samples // 2
        self.audio = np.zeros(0, np.float32)  # samples from `self.start` on
        self.start, self.emitted = 0, 0  # stream sample of audio[0]; output steps already tracked
        self.step_samples = self.n / detector.ty

    def push(self, chunk: np.ndarray) -> list[Event]:
        self.audio = np.concatenate([self.audio, np.asarray(chunk, np.float32).reshape(-1)])
        events = []
        while len(self.audio) >= self.n:
            row = self.detector.probabilities(self.audio[None, : self.n])[0]
            first = self.detector.ty // 4 if self.start else 0  # each step from a window with past context
            last = int(round((self.start + self.n * 3 // 4) / self.step_samples))  # the next window takes over
            events += self._track(row, first, last)
            self.audio, self.start = self.audio[self.hop :], self.start + self.hop
        return [e for e in events if e is not None]

    def _track(self, row: np.ndarray, first: int, last: int) -> list[Event | None]:
        out = []
        for local in range(first, self.detector.ty):
            position = int(round((self.start + local * self.step_samples) / self.step_samples))
            if self.emitted <= position < last:
                out.append(self.tracker.add(row[local]))
                self.emitted = position + 1
        return out

    def finish(self) -> list[Event]:
        """The end of the stream: one last window aligned to its end, as offline scoring takes."""
        total = self.start + len(self.audio)
        if total <= self.emitted * self.step_samples:
            return []
        tail = np.concatenate([np.zeros(max(0, self.n - len(self.audio)), np.float32), self.audio])[-self.n :]
        self.start = total - self.n
        row = self.detector.probabilities(tail[None])[0]
        return [e for e in self._track(row, 0, int(np.ceil(total / self.step_samples))) if e is not None]


def open_stream(detector: Detector, threshold: float) -> EmbeddingStream | LectureStream:
    if isinstance(detector, EmbeddingDetector):
        return EmbeddingStream(detector, threshold)
    return LectureStream(detector, threshold)


def stream_rate(detector: Detector) -> int:
    """The sample rate a stream's chunks must have."""
    return RATE if isinstance(detector, EmbeddingDetector) else detector.sample_rate


def step_samples(detector: Detector) -> int:
    return STEP_SAMPLES if isinstance(detector, EmbeddingDetector) else int(detector.clip_samples / detector.ty)
