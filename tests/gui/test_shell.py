"""The real app: attract -> home -> tiles, language, elderly mode, idle timeout, lockdown.

Each test checks the pixels read back from the window, not only widget state.
"""

from __future__ import annotations

import dataclasses
import time

import pytest

from kiosk.config import SERVICES
from screens.theme import ELDERLY_PALETTE, ELDERLY_SIZES, NORMAL_PALETTE, contrast_ratio
from testing.gui import assert_readable, close_to, pixel

pytestmark = pytest.mark.gui


def with_ui(settings, **changes):
    return settings.replace(ui=dataclasses.replace(settings.ui, **changes))


def test_attract_screen_first_frame(ui):
    assert ui.screen.name == "attract"
    assert_readable(ui)
    texts = ui.texts()
    assert ui.app.settings.terminal.name in texts
    assert "请点击屏幕开始" in texts and "或将身份证放在读卡区" in texts
    shot = ui.screenshot()
    start = ui.find_text("请点击屏幕开始")
    assert close_to(pixel(shot, start.parent, 0.02, 0.5), NORMAL_PALETTE.accent)
    # the text itself is drawn: the label's box holds more than one colour
    box = shot.crop((int(start.x), int(shot.height - start.top), int(start.right), int(shot.height - start.y)))
    assert len(box.getcolors(100000)) > 10


def test_notices_rotate_on_the_attract_screen_and_wait_while_it_is_hidden(ui):
    attract = ui.screen
    first = attract.ids.notice.text
    attract._rotate(0)
    ui.frames(2)
    assert attract.ids.notice.text != first
    shown = attract.line_index
    ui.app.show("home")
    attract._rotate(0)
    assert attract.line_index == shown, "a hidden attract screen re-renders nothing during a session"


def test_the_attract_screen_shows_the_latest_notice_titles_read_on_a_worker(ui):
    from kiosk.public_info import notice_titles
    from screens.attract import TIPS
    attract = ui.screen
    ui.wait(lambda: attract.notices, what="the notice titles")
    assert attract.notices == notice_titles()
    attract.line_index = len(TIPS)  # the first line after the tips
    ui.frames(2)
    assert attract.ids.notice.text == notice_titles()[0]


def test_touch_anywhere_starts_and_home_shows_every_tile(ui):
    ui.tap_at(540, 900)
    ui.wait(lambda: ui.screen.name == "home", what="home screen")
    assert_readable(ui)
    tiles = ui.screen.ids.tiles.children[::-1]
    assert [t.service for t in tiles] == list(SERVICES)
    labels = {"办事指南", "办件进度", "网上申办", "12345 诉求", "预约", "好差评", "网点导航", "政务公开"}
    assert labels <= set(ui.texts())
    shot = ui.screenshot()
    for index, tile in enumerate(tiles):
        assert close_to(pixel(shot, tile, 0.05, 0.5), NORMAL_PALETTE.tiles[index])


def test_every_tile_opens_its_flow_and_back_returns(ui):
    ui.app.show("home")
    ui.frames(3)
    for service in SERVICES:
        tile = next(t for t in ui.screen.ids.tiles.children if t.service == service)
        ui.tap(tile)
        ui.wait(lambda: ui.screen.name == service, what=f"{service} page")
        assert_readable(ui)
        ui.tap(ui.screen.ids.bar.back)
        ui.wait(lambda: ui.screen.name == "home", what="back to home")


def test_home_button_and_finish_button(ui):
    ui.app.show("home")
    ui.app.open_service("booking")
    ui.frames(3)
    ui.tap(ui.screen.ids.bar.home)
    ui.wait(lambda: ui.screen.name == "home")
    ui.app.session.data["name"] = "张三丰"
    ui.tap(ui.find_text("结束办理并清除我的信息"))
    ui.wait(lambda: ui.screen.name == "attract")
    assert ui.app.session.data == {} and ui.app.session.ended_by == "finished"


def test_language_switch_relabels_the_current_screen_at_once(ui):
    ui.app.show("home")
    ui.frames(3)
    before = ui.screenshot()
    ui.tap(ui.screen.ids.bar.ids.language)
    ui.frames(3)
    texts = ui.texts()
    assert "Service guides" in texts and "办事指南" not in texts and "中文" in texts
    assert_readable(ui)
    after = ui.screenshot()
    title = ui.screen.ids.title
    box = (0, int(after.height - title.top), after.width, int(after.height - title.y))
    assert before.crop(box).tobytes() != after.crop(box).tobytes()
    ui.tap(ui.screen.ids.bar.ids.language)
    ui.frames(3)
    assert "办事指南" in ui.texts()


def test_language_switch_works_on_the_attract_screen_too(ui):
    ui.tap(ui.screen.ids.bar.ids.language)
    ui.frames(3)
    assert ui.screen.name == "attract", "the switch must not start a session"
    assert "Touch the screen to start" in ui.texts()


def test_elderly_mode_meets_the_numbers(ui):
    ui.app.show("home")
    ui.frames(2)
    ui.tap(ui.screen.ids.bar.ids.elderly)
    ui.frames(3)
    assert ui.app.elderly and "退出长辈版" in ui.texts()
    assert_readable(ui)
    dp = ui.app.theme.scale
    for label in ui.labels():
        assert label.font_size >= 30 * dp - 0.01, f"{label.text!r} is {label.font_size / dp} dp"
    from kivy.uix.behaviors import ButtonBehavior
    targets = [w for w in ui.widgets() if isinstance(w, ButtonBehavior)]
    assert len(targets) >= 10
    for w in targets:
        assert w.width >= 60 * dp and w.height >= 60 * dp, f"{w} is {w.width}x{w.height}"
    assert ELDERLY_SIZES.heading >= 30 and ELDERLY_SIZES.body >= 30
    shot = ui.screenshot()
    assert close_to(pixel(shot, ui.screen.ids.bar, 0.5, 0.05), ELDERLY_PALETTE.bar)
    palette = ELDERLY_PALETTE
    pairs = [(palette.text, palette.background), (palette.muted, palette.background),
             (palette.bar_text, palette.bar), (palette.warning_text, palette.warning),
             *[(palette.tile_text, t) for t in palette.tiles]]
    assert min(contrast_ratio(a, b) for a, b in pairs) >= 4.5
    ui.tap(ui.screen.ids.bar.ids.elderly)
    ui.frames(3)
    assert not ui.app.elderly


def test_escape_and_window_close_are_refused(ui):
    from kivy.core.window import Window
    ui.app.show("home")
    ui.frames(2)
    Window.dispatch("on_keyboard", 27, 41, None, [])
    assert Window.dispatch("on_request_close") is True
    ui.frames(2)
    assert ui.screen.name == "home" and ui.app.root is not None


def test_idle_warning_counts_down_and_continue_keeps_the_session(ui):
    ui.app.settings = with_ui(ui.app.settings, idle_timeout=10, idle_warning=20)
    ui.app.show("home")
    ui.app.session.data["id_number"] = "110101199003071234"
    last_touch = ui.app.idle.last_activity
    ui.wait(lambda: ui.app.idle.warning is not None, timeout=15, what="idle warning")
    assert 10 <= time.monotonic() - last_touch <= 13
    ui.frames(3)
    warning = ui.app.idle.warning
    assert "您还在办理吗？" in ui.texts(warning)
    assert any("20 秒后将自动退出" in t or "19 秒后将自动退出" in t for t in ui.texts(warning))
    shot = ui.screenshot()
    assert close_to(pixel(shot, warning.ids.content, 0.02, 0.5), NORMAL_PALETTE.warning)
    ui.tap(warning.ids.keep_going)
    ui.wait(lambda: ui.app.idle.warning is None, what="warning closed")
    assert ui.screen.name == "home" and ui.app.session.data["id_number"]


def test_idle_timeout_returns_to_attract_and_wipes_the_session(ui):
    ui.app.settings = with_ui(ui.app.settings, idle_timeout=10, idle_warning=20)
    ui.app.show("home")
    ui.app.open_service("apply")
    ui.app.session.data.update(name="李四光", id_number="110101199003071234")
    ui.wait(lambda: ui.app.idle.warning is not None, timeout=15, what="idle warning")
    warned = time.monotonic()
    ui.wait(lambda: ui.screen.name == "attract", timeout=25, what="attract after idle")
    assert time.monotonic() - warned >= 19
    assert ui.app.session.data == {} and ui.app.session.ended_by == "idle"
    assert [s.name for s in ui.app.manager.screens] == ["attract"]
    assert not any("李四光" in t or "110101" in t for t in ui.texts())


def test_the_screens_of_a_finished_session_are_freed_between_residents(ui):
    """Their widgets hold reference cycles: only a collection frees them. With automatic
    collection off, the app's own clean-up on the attract screen must do it."""
    import gc
    import weakref

    ui.tap(ui.screen)
    ui.wait(lambda: ui.app.manager.current == "home", what="home")
    home = weakref.ref(ui.screen)
    gc.disable()
    try:
        ui.app.end_session("finished")
        ui.wait(lambda: home() is None, timeout=5, what="the finished session's home screen to be freed")
        assert gc.get_freeze_count() > 0, "what survives the clean-up is frozen, out of later collections"
        ui.tap(ui.screen)
        ui.wait(lambda: ui.app.manager.current == "home", what="home for the next resident")
    finally:
        gc.enable()


def test_kivy_missing_cut_buffer_is_not_an_error_on_the_fleet_console(ui):
    """Kivy logs CRITICAL at the first text field when xclip/xsel are missing; a kiosk has no
    use for the X selection, so that line must not reach the heartbeat's error list."""
    import logging
    from kiosk.telemetry import installed_error_ring
    kivy_log = logging.getLogger("kivy")
    kivy_log.critical("Window: an earlier problem")
    kivy_log.critical("Cutbuffer: Unable to find any valuable Cutbuffer provider. Please enable debug")
    kivy_log.critical("Window: a real problem")
    errors = installed_error_ring().pending()[1]
    assert errors[-2:] == ["Window: an earlier problem", "Window: a real problem"]
