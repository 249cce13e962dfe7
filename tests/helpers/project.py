"""Helpers for tests that run the project as a user does: a copy of the repo, its env, its commands."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import yaml

REPO = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent


def project_env() -> dict:
    """The environment a user gets after `source .venv/bin/activate`."""
    return {**os.environ, "PATH": f"{VENV_BIN}{os.pathsep}{os.environ['PATH']}", "DATASYNTH_LOG": "WARNING"}


def run(cmd: list[str], cwd: Path, check: bool = True, threads: int | None = None) -> subprocess.CompletedProcess:
    """`cmd` in the project env; `threads`: torch's threads in it (else the caller's)."""
    env = project_env() | ({"OMP_NUM_THREADS": str(threads), "MKL_NUM_THREADS": str(threads)} if threads else {})
    result = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    if check and result.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return result


def full_params(partial: str | dict) -> str:
    """The project's params.yaml with a test's few keys merged over it (every key must be set)."""
    from pipeline.common.params import merge

    overlay = yaml.safe_load(partial) if isinstance(partial, str) else partial
    return yaml.safe_dump(merge(yaml.safe_load((REPO / "params.yaml").read_text()), overlay), sort_keys=False)


def small_params(overrides: dict | None = None) -> str:
    """params.yaml with configs/cpu-small.yaml and then `overrides` merged over it."""
    from pipeline.common.params import merge

    small = yaml.safe_load((REPO / "configs/cpu-small.yaml").read_text())
    return full_params(merge(small, overrides or {}))


def copy_project(dest: Path) -> Path:
    """The repo's source files (tracked or new, not ignored: no data, no .venv) in a fresh git repo."""
    listing = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    )
    for name in filter(None, listing.stdout.split("\0")):
        if (REPO / name).is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, dest / name)
    subprocess.run(["git", "init", "-q"], cwd=dest, check=True)
    return dest


def benchmark(name: str) -> ModuleType:
    """benchmarks/<name>.py imported as a module (registered, so that its dataclasses resolve)."""
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, REPO / f"benchmarks/{name}.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]
