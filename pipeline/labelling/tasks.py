"""What a study asks: its items, the ladder they are shown at, the answers offered, and the media.

A study is one Task: the day/night resolution study (images), the speech review (audio, no ladder)
and the sample-rate study (audio at each rate). The server, store and page are the same for all.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Choice:
    value: str  # stored in answers.answer
    label: str  # button text
    key: str  # keyboard shortcut (one character)


@dataclass(frozen=True)
class Item:
    item_id: str
    path: Path
    label: str  # the expected answer (a Choice.value)
    prompt: str = ""  # per-item question shown above the player, e.g. "Does it say 'table'?"


@dataclass(frozen=True)
class Task:
    name: str  # resolution | review | sample-rate: the CLI's --study
    title: str
    instructions: str
    media: str  # image | audio
    choices: tuple[Choice, ...]
    levels: list[int]  # the ladder; [0] when every item is shown once
    level_name: str  # what a level is, in reports: resolution, sample_rate, level
    items: dict[str, Item]
    render: Callable[[Item, int], bytes] = field(repr=False)  # item at a level -> PNG or WAV bytes

    @property
    def values(self) -> tuple[str, ...]:
        return tuple(choice.value for choice in self.choices)

    @property
    def content_type(self) -> str:
        return "image/png" if self.media == "image" else "audio/wav"

    def page_config(self) -> dict:
        """What the page needs to draw itself (JSON-safe)."""
        return {
            "title": self.title,
            "instructions": self.instructions,
            "media": self.media,
            "choices": [{"value": c.value, "label": c.label, "key": c.key} for c in self.choices],
        }


def image_task(manifest: str | Path, splits: tuple[str, ...], ladder: list[int]) -> Task:
    """The day/night resolution study: is the picture taken by day or by night?"""
    from pipeline.labelling.items import LABELS, load_manifest, render

    images = load_manifest(manifest, splits)
    return Task(
        name="resolution",
        title="Day or night?",
        instructions="Each picture was taken by day or by night. Some are very blurry: answer anyway, "
        "with your best guess, as fast as you comfortably can.",
        media="image",
        choices=tuple(Choice(label, label.capitalize(), label[0]) for label in LABELS),
        levels=ladder,
        level_name="resolution",
        items={i: Item(i, image.path, image.label) for i, image in images.items()},
        render=lambda item, level: render(item.path, level),
    )
