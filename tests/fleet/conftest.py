"""One running `kiosk hall` for the fleet tests, with a short offline time and a webhook catcher."""

import pytest

from testing.fleet import OFFLINE_AFTER, OPERATOR, TERMINALS, Hall, Operator, Webhook



@pytest.fixture(scope="session")
def webhook():
    catcher = Webhook()
    yield catcher
    catcher.stop()


@pytest.fixture(scope="session")
def hall(tmp_path_factory, webhook):
    extra = ["--offline-after", str(OFFLINE_AFTER), "--heartbeat-interval", "1", "--alert-webhook", webhook.url,
             "--operator", ":".join(OPERATOR)]
    for terminal_id, secret in TERMINALS.items():
        extra += ["--terminal", f"{terminal_id}:{secret}"]
    server = Hall(tmp_path_factory.mktemp("fleet"), *extra)
    yield server
    assert server.stop() == 0, "kiosk hall did not stop cleanly on SIGTERM"


@pytest.fixture
def operator(hall):
    return Operator(hall.base)
