"""The flow tests' local Prefect server: one per test module, always stopped."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers.flow_fixtures import prefect_server


@pytest.fixture(scope="module")
def prefect_home(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("prefect-home")


@pytest.fixture(scope="module")
def server(prefect_home) -> str:
    with prefect_server(prefect_home) as url:
        yield url
