"""Fixtures: one running `kiosk hall` for the session (temp SQLite file, tiny seed set)."""

import pytest

from testing.hall import Client, Hall, person


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
