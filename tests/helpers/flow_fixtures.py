"""Helpers for the flow tests: a local Prefect server, project copies, commands with a Prefect env."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

from flows.server import free_port, healthy
from tests.helpers.project import VENV_BIN, project_env

OFFLINE = {"DO_NOT_TRACK": "1", "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "DVC_NO_ANALYTICS": "1"}
OUTCOME = re.compile(r"^(?P<stage>[\w@.-]+)\s+(?P<outcome>ran|cached|skipped)\s", re.M)
FLOW_RUN = re.compile(r"^flow run (?P<id>[0-9a-f-]{36})$", re.M)


def outcomes(stdout: str) -> dict[str, str]:
    """Each stage's outcome as `flows.rebuild` printed it."""
    return {m["stage"]: m["outcome"] for m in OUTCOME.finditer(stdout)}


def flow_run_id(stdout: str) -> uuid.UUID:
    return uuid.UUID(FLOW_RUN.search(stdout)["id"])


def clone(source: Path, dest: Path) -> Path:
    shutil.copytree(source, dest, symlinks=True)
    return dest


def prefect_env(home: Path, api_url: str | None = None) -> dict[str, str]:
    """The project env with Prefect offline, its state under `home`, and the given API (None: ephemeral)."""
    env = {**project_env(), **OFFLINE, "PREFECT_HOME": str(home)}
    env.pop("PREFECT_API_URL", None)
    if api_url:
        env["PREFECT_API_URL"] = api_url
    return env


def run_env(cmd: list[str], cwd: Path, env: dict[str, str], timeout: float = 300) -> subprocess.CompletedProcess:
    result = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    if result.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return result


def stop(proc: subprocess.Popen, grace: float = 15) -> None:
    """SIGTERM the process group we started, then SIGKILL it if it lingers."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(grace)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


@contextlib.contextmanager
def prefect_server(home: Path, timeout: float = 90) -> Iterator[str]:
    """`prefect server start` on 127.0.0.1 and a free port; yields its API URL, always stops it."""
    port = free_port()
    env = {**prefect_env(home), "PREFECT_SERVER_SERVICES_SCHEDULER_LOOP_SECONDS": "2"}
    log = (home / "server.log").open("w")
    proc = subprocess.Popen(
        [str(VENV_BIN / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}/api"
    try:
        deadline = time.monotonic() + timeout
        while not healthy(url):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"prefect server did not start:\n{(home / 'server.log').read_text()[-3000:]}")
            time.sleep(0.5)
        yield url
    finally:
        stop(proc)
        log.close()


@contextlib.contextmanager
def background(cmd: list[str], cwd: Path, env: dict[str, str], log: Path) -> Iterator[subprocess.Popen]:
    """A long-running command (e.g. `python -m flows.serve`), stopped on exit even if the test fails."""
    with log.open("w") as handle:
        proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            yield proc
        finally:
            stop(proc)


@contextlib.contextmanager
def prefect_client(url: str, home: Path) -> Iterator:
    """A synchronous Prefect client of the server at `url` (settings scoped to this block)."""
    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_URL, PREFECT_HOME, temporary_settings

    with temporary_settings({PREFECT_API_URL: url, PREFECT_HOME: str(home)}), get_client(sync_client=True) as client:
        yield client
