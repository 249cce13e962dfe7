"""A small copy of the project, built once per test session with `dvc repro` on the CPU config."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent


def project_env() -> dict:
    """The environment a user gets after `source .venv/bin/activate`."""
    return {**os.environ, "PATH": f"{VENV_BIN}{os.pathsep}{os.environ['PATH']}", "DATASYNTH_LOG": "WARNING"}


def run(cmd: list[str], cwd: Path, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run(cmd, cwd=cwd, env=project_env(), capture_output=True, text=True)
    if check and result.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return result


def small_params(overrides: dict | None = None) -> str:
    from pipeline.config import merge

    base = yaml.safe_load((REPO / "params.yaml").read_text())
    small = merge(base, yaml.safe_load((REPO / "configs/cpu-small.yaml").read_text()))
    return yaml.safe_dump(merge(small, overrides or {}), sort_keys=False)


def copy_project(dest: Path) -> Path:
    """The repo's source files (tracked or new, not ignored: no data, no .venv) in a fresh git repo."""
    listing = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=REPO,
                             capture_output=True, text=True, check=True)
    for name in filter(None, listing.stdout.split("\0")):
        if (REPO / name).is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, dest / name)
    subprocess.run(["git", "init", "-q"], cwd=dest, check=True)
    return dest


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
