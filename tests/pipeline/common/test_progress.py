"""A long loop logs how far it has come when there is no terminal, and shows a bar when there is one."""

from __future__ import annotations

import logging

from pipeline.common import progress as progress_module
from pipeline.common.progress import progress, progress_line


def test_without_a_terminal_the_loop_logs_its_progress(caplog, monkeypatch):
    monkeypatch.setattr(progress_module.sys.stderr, "isatty", lambda: False, raising=False)
    with caplog.at_level(logging.INFO, logger="datasynth.progress"):
        assert list(progress(range(4), "embedding train", unit="clip", every=0.0)) == [0, 1, 2, 3]
    lines = [r.getMessage() for r in caplog.records]
    assert lines[0].startswith("embedding train: 1/4 clips (25 %), ") and "left" in lines[0]
    assert lines[3].startswith("embedding train: 4/4 clips (100 %), ") and "left" not in lines[3]
    assert lines[-1] == lines[3] or lines[-1].startswith("embedding train: 4/4")


def test_a_quick_loop_stays_quiet(caplog, monkeypatch):
    monkeypatch.setattr(progress_module.sys.stderr, "isatty", lambda: False, raising=False)
    with caplog.at_level(logging.INFO, logger="datasynth.progress"):
        assert list(progress(iter("abc"), "collect", every=60.0)) == ["a", "b", "c"]
    assert not caplog.records


def test_the_line_says_done_total_and_time_left():
    assert progress_line("audit", 30, 120, "clip", 60.0) == "audit: 30/120 clips (25 %), 60 s, ~3.0 min left"
    assert progress_line("embedding train", 3, 300, "batch", 3.0).startswith("embedding train: 3/300 batches (1 %)")
    assert progress_line("collect kokoro", 7, None, "clip", 200.0) == "collect kokoro: 7 clips, 3.3 min"
    assert progress_line("mining round 1", 4, 16, "epoch", 32.0).startswith("mining round 1: 4/16 epochs (25 %)")


def test_on_a_terminal_it_is_a_bar_over_the_same_items(monkeypatch):
    monkeypatch.setattr(progress_module.sys.stderr, "isatty", lambda: True, raising=False)
    assert list(progress([1, 2], "x")) == [1, 2]
