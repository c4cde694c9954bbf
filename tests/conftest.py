"""Fixtures every test may use. Keep device, hall and GUI fixtures in their folders."""

import pytest

pytest_plugins = ["testing.browser", "testing.pcsc"]  # `browser` (chromium), `pcscd_service`


@pytest.fixture(autouse=True)
def _isolated_state(tmp_path, monkeypatch):
    """Each test gets its own state dir and never reads the machine's /etc/kiosk settings."""
    monkeypatch.setenv("KIOSK_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.delenv("KIOSK_CONFIG", raising=False)
    yield


@pytest.fixture
def write_config(tmp_path):
    def write(text: str, name: str = "kiosk.toml"):
        path = tmp_path / name
        path.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
        return path
    return write



# pcscd has one socket per machine and vpcd one virtual card slot: every test that may reach
# them is marked card_slot, and scripts/dev runs those alone before the others run on two workers.
ONE_CARD_SLOT = ("tests/devices/", "tests/hardware/test_card_cli.py", "tests/hardware/test_card_driver.py",
                 "tests/gui/test_identify.py")


def pytest_collection_modifyitems(config, items):
    for item in items:
        path = item.path.relative_to(config.rootpath).as_posix()
        if path.startswith(ONE_CARD_SLOT):
            item.add_marker(pytest.mark.card_slot)
