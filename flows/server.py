"""The Prefect API a flow run talks to: the one PREFECT_API_URL names, or a temporary server of its own.

A flow started without PREFECT_API_URL gets one temporary server for the whole run (Prefect's own
ephemeral API app under uvicorn, no UI), started here rather than by Prefect so that a server that does
not come up is reported with its port and its log instead of a bare time-out. Either way the API must
answer `/health` before the first task runs.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

STARTUP_SECONDS = float(os.environ.get("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120"))


class ServerError(RuntimeError):
    """The Prefect API did not answer; the message names the address and, for a temporary server, its log."""


def healthy(api_url: str, timeout: float = 2.0) -> bool:
    try:
        return httpx.get(f"{api_url.rstrip('/')}/health", timeout=timeout).status_code == 200
    except httpx.HTTPError:
        return False


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _uvicorn(port: int, log: Path) -> subprocess.Popen:
    """Prefect's API app on 127.0.0.1:`port`, its output in `log` (as Prefect starts its ephemeral server)."""
    import prefect

    env = {**os.environ, "PREFECT_UI_ENABLED": "0", "PREFECT__SERVER_EPHEMERAL": "1", "PREFECT__SERVER_FINAL": "1"}
    env.pop("PREFECT_API_URL", None)
    args = ["--app-dir", str(prefect.__module_path__.parent), "--factory", "prefect.server.api.server:create_app"]
    with log.open("w") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "uvicorn", *args, "--host", "127.0.0.1", "--port", str(port), "--lifespan", "on"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def wait_until_healthy(api_url: str, proc: subprocess.Popen, log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise ServerError(
                f"the temporary Prefect server for {api_url} exited with code {proc.returncode}; its log: {log}"
            )
        if healthy(api_url, timeout=1.0):
            return
        time.sleep(0.2)
    raise ServerError(
        f"the temporary Prefect server for {api_url} did not answer /health within {timeout:.0f} s; its log: {log}"
    )


@contextlib.contextmanager
def api_server(timeout: float = STARTUP_SECONDS) -> Iterator[str]:
    """Yield the API URL this process's flows use: PREFECT_API_URL if set (checked), else a temporary server
    started once, checked, and stopped on the way out."""
    from prefect.settings import PREFECT_API_URL, get_current_settings, temporary_settings

    if url := get_current_settings().api.url:  # from the environment or the active Prefect profile
        if not healthy(url, timeout=10.0):
            raise ServerError(
                f"PREFECT_API_URL={url}: no answer at /health; start it (prefect server start) or unset it"
            )
        yield url
        return
    port = free_port()
    log = Path(tempfile.gettempdir()) / f"datasynth-prefect-{port}.log"
    url = f"http://127.0.0.1:{port}/api"
    proc = _uvicorn(port, log)
    try:
        wait_until_healthy(url, proc, log, timeout)
    except BaseException:
        _stop(proc)
        raise  # the log stays: the error names it
    os.environ["PREFECT_API_URL"] = url  # for processes the run starts (e.g. Dask workers)
    try:
        with temporary_settings(updates={PREFECT_API_URL: url}):
            yield url
    finally:
        os.environ.pop("PREFECT_API_URL", None)
        _stop(proc)
        log.unlink(missing_ok=True)


def _stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
