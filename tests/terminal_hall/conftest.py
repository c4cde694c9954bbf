"""A real `kiosk hall` subprocess on a free port with its own SQLite file, stopped by pid."""

import http.server
import threading

import pytest

from testing.terminal_hall import TERMINAL_ID, TERMINAL_SECRET, HallProcess, StubHall


@pytest.fixture(scope="module")
def hall(tmp_path_factory):
    """One hall for a test module (starting one costs a second or two)."""
    folder = tmp_path_factory.mktemp("hall")
    process = HallProcess(folder / "hall.sqlite3", log_path=folder / "hall.log").start()
    yield process
    process.stop()


@pytest.fixture
def own_hall(tmp_path):
    """A hall this test may stop and restart."""
    process = HallProcess(tmp_path / "hall.sqlite3", log_path=tmp_path / "hall.log")
    yield process
    process.stop()


@pytest.fixture
def client_for():
    from kiosk.hall_client import HallClient
    made = []

    def make(url, **options):
        options.setdefault("timeout", 5.0)
        client = HallClient(url, TERMINAL_ID, TERMINAL_SECRET, **options)
        made.append(client)
        return client
    yield make
    for c in made:
        c.close()



@pytest.fixture
def stub_hall():
    """(url, StubHall): set StubHall.answer to what every request gets; StubHall.seen lists them."""
    StubHall.seen = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), StubHall)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", StubHall
    server.shutdown()
    server.server_close()
    thread.join(2)
