"""A running `kiosk hall` for the telemetry tests (started here, stopped by pid)."""

import pytest

from testing.telemetry import TERMINAL, Hall, Operator


@pytest.fixture(scope="module")
def hall(tmp_path_factory):
    server = Hall(tmp_path_factory.mktemp("hall")).start()
    yield server
    server.stop()


@pytest.fixture
def operator(hall):
    return Operator(hall)


@pytest.fixture
def make_telemetry(tmp_path):
    """Telemetry workers for a hall URL; stopped after the test."""
    from kiosk.hall_client import HallClient
    from kiosk.telemetry import Telemetry
    made = []

    def make(url, **options):
        options.setdefault("state_dir", tmp_path / "state")
        client = HallClient(url, *TERMINAL, timeout=5.0, retries=0)
        telemetry = Telemetry(client, **options)
        made.append(telemetry)
        return telemetry
    yield make
    for t in made:
        t.stop()
