"""Fixtures: one running `kiosk hall` for the session (temp SQLite file, tiny seed set)."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # for hall_support (tests run with --import-mode=importlib)

from hall_support import Client, Hall, person  # noqa: E402


@pytest.fixture(scope="session")
def hall(tmp_path_factory):
    server = Hall(tmp_path_factory.mktemp("hall"))
    yield server
    assert server.stop() == 0, "kiosk hall did not stop cleanly on SIGTERM"


@pytest.fixture
def client(hall):
    return Client(hall.base)


@pytest.fixture
def applicant():
    return person()
