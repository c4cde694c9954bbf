"""网点导航 through the real app against a running hall, and from the offline copy when the
hall is down; the map QR code is read back from the screen with zbar."""

from __future__ import annotations

import json

import pytest

from testing.gui import (HallProcess, assert_elderly_sizes, assert_readable, dead_hall_url,
                          decode_qr, hall_settings, widget_image)
from kiosk import paths
from kiosk.config import Settings

pytestmark = pytest.mark.gui

SEED = json.loads((paths.SEED / "outlets.json").read_text(encoding="utf-8"))
OFFLINE = "暂时无法连接网上办事大厅，以下为本机离线副本。"


@pytest.fixture(scope="module")
def hall(tmp_path_factory):
    folder = tmp_path_factory.mktemp("outlets-hall")
    process = HallProcess(folder / "hall.sqlite3", log_path=folder / "hall.log").start()
    yield process
    process.stop()


def open_list(ui, settings):
    ui.app.apply_settings(settings)
    ui.app.show("home")
    ui.frames(3)
    ui.tap(next(t for t in ui.screen.ids.tiles.children if t.service == "outlets"))
    ui.wait(lambda: ui.screen.name == "outlets" and ui.screen.loaded, timeout=20, what="outlet list")
    ui.frames(3)


def tap_row(ui, key):
    row = next(w for w in ui.screen.ids.results.children[0].children if w.key == key)
    ui.tap(row)
    ui.wait(lambda: ui.screen.name == "outlets.detail", what="outlet page")
    ui.frames(5)


def test_outlets_from_the_hall_with_details_items_and_map_qr(ui, hall, tmp_path):
    try:
        ui.app.apply_settings(hall_settings(hall.url))
        ui.wait(lambda: ui.app.services.catalog.version is not None, timeout=60, what="catalogue")
        open_list(ui, ui.app.settings)
        assert OFFLINE not in ui.texts() and "共 11 个服务网点" in ui.texts()
        assert {r["title"] for r in ui.screen.ids.results.data} == {o["name"] for o in SEED}
        assert_readable(ui)
        outlet = SEED[0]
        tap_row(ui, outlet["id"])
        ui.wait(lambda: any("居民身份证首次申领" in t for t in ui.texts()), what="item names")
        texts = "\n".join(ui.texts())
        for value in (outlet["name"], "地址：" + outlet["address"], outlet["hours"],
                      "电话：" + outlet["phone"], f"可办理事项（{len(outlet['items'])} 项）",
                      "居民身份证首次申领 (GF00101001)"):
            assert value in texts, value
        assert_readable(ui)
        shot = ui.screenshot()
        url = f"https://uri.amap.com/marker?position={outlet['lon']},{outlet['lat']}&name="
        found = decode_qr(widget_image(shot, ui.screen.ids.qr), tmp_path)
        assert len(found) == 1 and found[0].startswith(url)
    finally:
        ui.app.apply_settings(Settings())


def test_hall_down_shows_the_offline_copy_and_says_so(ui):
    try:
        open_list(ui, hall_settings(dead_hall_url()))
        assert OFFLINE in ui.texts()
        assert [r["title"] for r in ui.screen.ids.results.data] == [o["name"] for o in SEED]
        assert_readable(ui)
        tap_row(ui, SEED[1]["id"])
        assert SEED[1]["name"] in ui.texts()
    finally:
        ui.app.apply_settings(Settings())


def test_english_and_elderly(ui):
    try:
        open_list(ui, hall_settings(dead_hall_url()))
        ui.tap(ui.screen.ids.bar.ids.language)
        ui.tap(ui.screen.ids.bar.ids.elderly)
        ui.frames(5)
        assert "11 outlets" in ui.texts() and "Service outlets" in ui.texts()
        assert_readable(ui)
        assert_elderly_sizes(ui)
        tap_row(ui, SEED[0]["id"])
        assert any(t.startswith("Items handled here") for t in ui.texts())
        assert_readable(ui)
        assert_elderly_sizes(ui)
    finally:
        ui.app.apply_settings(Settings())
