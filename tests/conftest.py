"""Shared fixtures; the small project is built once per test session with `dvc repro` on the CPU config."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.helpers.project import copy_project, run, small_params


@pytest.fixture(scope="module")
def one_thread():
    """For modules of small torch work: one thread is faster than two on a shared 2-core CPU."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="session")
def small_project(tmp_path_factory) -> Path:
    """The whole pipeline (collect ... error_analysis) reproduced on the small CPU config."""
    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng is not installed (./setup.sh installs it)")
    root = copy_project(tmp_path_factory.mktemp("project"))
    (root / "params.yaml").write_text(small_params())
    run(["dvc", "repro"], cwd=root)
    return root
