"""Shared fixtures; the small project is built once per test session with `dvc repro` on the CPU config."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path

import pytest

from tests.helpers.project import copy_project, run, small_params

# One embedding store for every project the tests build: a clip embedded by one project's `dvc repro` is read
# back by the next (pipeline/triggerword/embedding_cache.py); set before any stage or import reads it.
if "DATASYNTH_EMBEDDING_CACHE" not in os.environ:
    os.environ["DATASYNTH_EMBEDDING_CACHE"] = tempfile.mkdtemp(prefix="datasynth-embeddings-")
    atexit.register(shutil.rmtree, os.environ["DATASYNTH_EMBEDDING_CACHE"], ignore_errors=True)


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


@pytest.fixture(scope="session")
def studies_project(small_project, tmp_path_factory) -> Path:
    """A copy of the small project with the studies (studies/dvc.yaml) reproduced too, as `dvc repro
    studies/dvc.yaml` does it after a plain `dvc repro`."""
    root = tmp_path_factory.mktemp("studies") / "project"
    shutil.copytree(small_project, root, symlinks=True)
    run(["dvc", "repro", "studies/dvc.yaml"], cwd=root)
    return root
