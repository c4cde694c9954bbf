"""政务公开 through the real app: newest first from a running hall, the reader, and the
offline copy (said so on screen) when the hall is down."""

from __future__ import annotations

import json

import pytest

from testing.gui import (HallProcess, assert_elderly_sizes, assert_readable, dead_hall_url,
                          hall_settings)
from kiosk import paths
from kiosk.config import Settings

pytestmark = pytest.mark.gui

SEED = sorted(json.loads((paths.SEED / "notices.json").read_text(encoding="utf-8")),
              key=lambda n: n["published"], reverse=True)
OFFLINE = "暂时无法连接网上办事大厅，以下为本机离线副本。"


@pytest.fixture(scope="module")
def hall(tmp_path_factory):
    folder = tmp_path_factory.mktemp("notices-hall")
    process = HallProcess(folder / "hall.sqlite3", log_path=folder / "hall.log").start()
    yield process
    process.stop()


def open_list(ui, settings):
    ui.app.apply_settings(settings)
    ui.app.show("home")
    ui.frames(3)
    ui.tap(next(t for t in ui.screen.ids.tiles.children if t.service == "notices"))
    ui.wait(lambda: ui.screen.name == "notices" and ui.screen.loaded, timeout=20, what="notices")
    ui.frames(3)


def read(ui, notice):
    row = next(w for w in ui.screen.ids.results.children[0].children if w.key == notice["id"])
    ui.tap(row)
    ui.wait(lambda: ui.screen.name == "notices.detail", what="reader")
    ui.frames(5)


def test_newest_first_from_the_hall_and_the_reader(ui, hall):
    try:
        open_list(ui, hall_settings(hall.url))
        assert OFFLINE not in ui.texts() and f"共 {len(SEED)} 条公告" in ui.texts()
        data = ui.screen.ids.results.data
        assert [r["key"] for r in data] == [n["id"] for n in SEED]
        assert data[0]["meta"] == f"{SEED[0]['published']} · {SEED[0]['department']}"
        assert_readable(ui)
        read(ui, SEED[0])
        texts = ui.texts()
        assert SEED[0]["title"] in texts and SEED[0]["body"] in texts
        assert_readable(ui)
        ui.tap(ui.screen.ids.bar.back)
        ui.wait(lambda: ui.screen.name == "notices", what="back to the list")
    finally:
        ui.app.apply_settings(Settings())


def test_hall_down_shows_the_offline_copy(ui):
    try:
        open_list(ui, hall_settings(dead_hall_url()))
        assert OFFLINE in ui.texts()
        assert [r["key"] for r in ui.screen.ids.results.data] == [n["id"] for n in SEED]
        read(ui, SEED[3])
        assert SEED[3]["body"] in ui.texts()
    finally:
        ui.app.apply_settings(Settings())


def test_english_and_elderly(ui):
    try:
        open_list(ui, hall_settings(dead_hall_url()))
        ui.tap(ui.screen.ids.bar.ids.language)
        ui.tap(ui.screen.ids.bar.ids.elderly)
        ui.frames(5)
        assert f"{len(SEED)} notices" in ui.texts()
        assert_readable(ui)
        assert_elderly_sizes(ui)
        read(ui, SEED[0])
        assert_readable(ui)
        assert_elderly_sizes(ui)
    finally:
        ui.app.apply_settings(Settings())
