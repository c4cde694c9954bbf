"""One real KioskApp per test process (Kivy allows one), driven frame by frame by
screens.driver.Ui under SDL's offscreen driver with Mesa."""

from __future__ import annotations

import dataclasses

import pytest

from kiosk.config import Settings

# The shared app runs every device on its emulator, except the card reader: vsmartcard-vpcd has
# one virtual slot, which the hardware tests need. A test that wants it applies settings with it.
GUI_SETTINGS = Settings().replace(devices=dataclasses.replace(Settings().devices, card="none:"))


@pytest.fixture(scope="session")
def _app(tmp_path_factory):
    from screens.driver import start_app

    ui = start_app(GUI_SETTINGS, tmp_path_factory.mktemp("gui-state"))
    yield ui
    ui.app.stop()


@pytest.fixture
def ui(_app):
    """The running app, back on the attract screen in Chinese normal mode with default settings."""
    app = _app.app
    if app.settings != GUI_SETTINGS:
        app.apply_settings(GUI_SETTINGS)
    if app.idle.warning is not None:
        app.idle.keep_going()
    app.end_session("test reset")
    _app.frames(3)
    yield _app

