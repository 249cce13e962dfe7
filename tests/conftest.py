"""Shared fixtures; the small project is built once per test session with `dvc repro` on the CPU config.

The suite runs on two pytest-xdist workers (pyproject's addopts). A test file stays on one worker, so its
module fixtures are built once, and every file that uses the small project is on the same worker, so that
project is built once (the scheduler below; that scope has the most tests, so it starts first). Each worker
runs torch (and the stages it starts) on one thread: two workers of two threads each on a 2-core machine
slow each other down several times over. The small project's builds, the long pole, keep two threads: most
of the time the other worker is idle by then.
"""

from __future__ import annotations

import ast
import atexit
import functools
import os
import shutil
import tempfile
from pathlib import Path

import pytest

from tests.helpers.project import copy_project, run, small_params

if os.environ.get("PYTEST_XDIST_WORKER"):  # before anything imports torch; inherited by the stages run
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    os.environ.setdefault("MKL_NUM_THREADS", "1")

SMALL_PROJECT = ("small_project", "studies_project")

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
    run(["dvc", "repro"], cwd=root, threads=2)
    return root


@pytest.fixture(scope="session")
def studies_project(small_project, tmp_path_factory) -> Path:
    """A copy of the small project with the studies (studies/dvc.yaml) reproduced too, as `dvc repro
    studies/dvc.yaml` does it after a plain `dvc repro`."""
    root = tmp_path_factory.mktemp("studies") / "project"
    shutil.copytree(small_project, root, symlinks=True)
    run(["dvc", "repro", "studies/dvc.yaml"], cwd=root, threads=2)
    return root


@functools.cache
def uses_small_project(test_file: Path) -> bool:
    """Whether a test file asks for the session's small project: a test or fixture of it takes one as an
    argument (a fixture is asked for by its name; a mention in a docstring does not count)."""
    if test_file.suffix != ".py":
        return False
    functions = (n for n in ast.walk(ast.parse(test_file.read_text())) if isinstance(n, ast.FunctionDef))
    return any(arg.arg in SMALL_PROJECT for f in functions for arg in f.args.args)


@pytest.hookimpl(optionalhook=True)  # a pytest-xdist hook: -n N
def pytest_xdist_make_scheduler(config: pytest.Config, log):
    """Whole files to a worker (module fixtures built once), every file of the small project to one."""
    from xdist.scheduler import LoadFileScheduling

    class ByFileAndProject(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            file = super()._split_scope(nodeid)
            return "small_project" if uses_small_project(config.rootpath / file) else file

    return ByFileAndProject(config, log)
