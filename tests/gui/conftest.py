"""One real KioskApp per test process (Kivy allows one), driven frame by frame by
testing.driver.Ui under SDL's offscreen driver with Mesa."""

from __future__ import annotations

import dataclasses
import os

import pytest

from kiosk.config import Settings

# The shared app runs every device on its emulator, except the card reader: vsmartcard-vpcd has
# one virtual slot, which the hardware tests need. A test that wants it applies settings with it.
GUI_SETTINGS = Settings().replace(devices=dataclasses.replace(Settings().devices, card="none:"))


@pytest.fixture(scope="session")
def _app(tmp_path_factory):
    from testing.driver import start_app

    ui = start_app(GUI_SETTINGS, tmp_path_factory.mktemp("gui-state"))
    yield ui
    ui.app.stop()


@pytest.fixture(scope="session")
def _ime_cache(tmp_path_factory):
    from kiosk import ime
    folder = tmp_path_factory.mktemp("ime-cache")
    ime.ensure_cache(folder)
    assert ime.cache_path(folder).exists(), "the pinyin dictionary could not be built"
    return ime.cache_path(folder)


@pytest.fixture(autouse=True)
def _shared_ime_cache(_isolated_state, _ime_cache):
    """Every test has its own state dir (tests/conftest.py); the pinyin dictionary, which does
    not depend on it, is built once for the run and linked in, instead of once per test."""
    from kiosk import ime
    from kiosk.config import Settings
    target = ime.cache_path(Settings().state_dir())
    target.parent.mkdir(parents=True, exist_ok=True)
    if not target.exists():
        os.link(_ime_cache, target)


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

