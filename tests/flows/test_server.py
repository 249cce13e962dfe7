"""The Prefect API of a flow run: one temporary server, checked before the first task, and errors that say
which port and which log when it does not come up."""

from __future__ import annotations

import subprocess
import sys

import pytest
from prefect.settings import PREFECT_API_URL, temporary_settings

from flows import server
from flows.server import ServerError, api_server, free_port, healthy


@pytest.fixture
def no_api_url(monkeypatch):
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    with temporary_settings(restore_defaults={PREFECT_API_URL}):
        yield


def fake_server(code: str):
    """A stand-in for the uvicorn process: runs `code`, its output in the log like the real one."""

    def start(port, log):
        with log.open("w") as out:
            return subprocess.Popen([sys.executable, "-c", code], stdout=out, stderr=subprocess.STDOUT)

    return start


def test_a_temporary_server_answers_health_then_is_stopped(no_api_url, tmp_path, monkeypatch):
    monkeypatch.setenv("PREFECT_HOME", str(tmp_path))
    with api_server() as url:
        assert url.startswith("http://127.0.0.1:") and url.endswith("/api")
        assert healthy(url)
        from prefect.settings import get_current_settings

        assert get_current_settings().api.url == url  # the run's flows and tasks talk to it
    assert not healthy(url)


def test_a_server_that_exits_is_named_with_its_port_and_log(no_api_url, monkeypatch):
    monkeypatch.setattr(server, "_uvicorn", fake_server("print('address already in use'); raise SystemExit(3)"))
    with pytest.raises(ServerError, match=r"127\.0\.0\.1:\d+/api exited with code 3; its log: (\S+)") as caught:
        with api_server(timeout=30):
            pass
    log = caught.value.args[0].rsplit("its log: ", 1)[1]
    assert "address already in use" in open(log).read()


def test_a_server_that_never_answers_times_out_with_its_log(no_api_url, monkeypatch):
    monkeypatch.setattr(server, "_uvicorn", fake_server("import time; time.sleep(60)"))
    with pytest.raises(ServerError, match=r"did not answer /health within 1 s; its log: "):
        with api_server(timeout=1):
            pass


def test_a_named_server_that_is_down_is_an_error_naming_it():
    url = f"http://127.0.0.1:{free_port()}/api"
    with temporary_settings(updates={PREFECT_API_URL: url}):
        with pytest.raises(ServerError, match=f"PREFECT_API_URL={url}: no answer at /health"):
            with api_server():
                pass


def test_health_is_false_on_a_closed_port():
    assert not healthy(f"http://127.0.0.1:{free_port()}/api", timeout=0.5)
