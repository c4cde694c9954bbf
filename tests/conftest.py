"""Fixtures every test may use. Keep device, hall and GUI fixtures in their folders."""

import pytest


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

