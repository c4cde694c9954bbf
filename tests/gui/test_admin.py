"""Admin mode in the real app: the hidden gesture, PIN lockout, admin screens, timeout."""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import sys

import pytest

os.environ.setdefault("SDL_AUDIODRIVER", "dummy")  # voice prompts play into nothing
from testing.gui import assert_readable, dead_hall_url, device, find_button

from kiosk import admin, config

# the shared app's settings (as tests/gui/conftest.py has them): put back after each test
GUI_SETTINGS = config.Settings().replace(devices=dataclasses.replace(config.Settings().devices, card="none:"))

pytestmark = pytest.mark.gui
PIN = "2468"


class Clock:
    """The gesture's monotonic clock, stepped by the test instead of waiting."""

    def __init__(self, start: float):
        self.now = start

    def __call__(self):
        return self.now


@pytest.fixture
def adm(ui):
    """The admin gesture, put back as found: signed out, real clock, restart/exit that only record."""
    gesture = ui.app.admin
    real_clock = gesture.clock
    calls = []
    gesture.restart_app = lambda: calls.append("restart")
    gesture.exit_to_desktop = lambda: calls.append("exit")
    gesture.calls = calls
    admin.PinStore.for_settings(ui.app.settings).set_pin(PIN)
    yield gesture
    gesture.clock = real_clock
    if gesture.signed_in:
        gesture.leave("test end")
    gesture.taps.clear()
    if ui.app.settings != GUI_SETTINGS:
        ui.app.apply_settings(GUI_SETTINGS)
    ui.app.end_session("test end")
    ui.frames(3)


def corner_tap(ui):
    from kivy.core.window import Window
    ui.tap_at(20, Window.height - 20)


def audit(ui) -> list[dict]:
    return admin.AuditLog.for_settings(ui.app.settings).entries()


def enter_pin(ui, pin: str) -> None:
    pad = ui.screen.ids.pad
    keys = {b.msgid: b for b in pad.children}
    for digit in pin:
        ui.tap(keys[digit])
    ui.tap(keys["OK"])


def open_pin_pad(ui, adm) -> None:
    """Five quick taps in the corner. The gesture's clock is held still while they are made: a
    finger taps five times in a second, but the frames drawn between the test's taps can take
    longer than the gesture's 3 s on a busy machine."""
    running = adm.clock
    now = running()
    adm.clock = lambda: now
    try:
        for _ in range(5):
            corner_tap(ui)
    finally:
        adm.clock = running
    ui.wait(lambda: ui.screen.name == "admin.pin", what="the PIN pad")


def sign_in(ui, adm) -> None:
    open_pin_pad(ui, adm)
    pin_screen = ui.screen
    enter_pin(ui, PIN)
    # the workers may be busy restarting services just applied
    try:
        ui.wait(lambda: ui.screen.name == "admin", timeout=10)
    except AssertionError:
        import faulthandler
        print("QUEUE", ui.app._workers._work_queue.qsize(), file=sys.stderr)
        faulthandler.dump_traceback(sys.stderr)
    ui.wait(lambda: ui.screen.name == "admin", timeout=30,
            what=f"admin home (PIN screen says {pin_screen.message!r})")


# -- the gesture ------------------------------------------------------------------------------

def test_five_taps_in_the_corner_open_the_pin_pad(ui, adm):
    open_pin_pad(ui, adm)
    image = ui.screenshot()
    assert image.getbbox() is not None
    assert_readable(ui)
    assert "Admin sign-in" in ui.texts() or "管理员登录" in ui.texts()


def test_four_taps_do_not(ui, adm):
    for _ in range(4):
        corner_tap(ui)
    ui.frames(10)
    assert ui.screen.name != "admin.pin"


def test_taps_spread_over_more_than_three_seconds_do_not(ui, adm):
    adm.clock = Clock(1000.0)
    for _ in range(5):
        corner_tap(ui)
        adm.clock.now += 0.8  # five taps over 3.2 s
    ui.frames(10)
    assert ui.screen.name != "admin.pin"
    adm.clock.now -= 0.7  # a sixth tap 0.1 s after the fifth: the last five span 2.5 s
    corner_tap(ui)  # and do count: a sliding window, not a reset
    ui.wait(lambda: ui.screen.name == "admin.pin", what="the PIN pad")


def test_a_tap_elsewhere_breaks_the_sequence(ui, adm):
    for _ in range(3):
        corner_tap(ui)
    ui.tap_at(500, 500)
    for _ in range(2):
        corner_tap(ui)
    ui.frames(10)
    assert ui.screen.name != "admin.pin"


# -- signing in --------------------------------------------------------------------------------

def test_five_wrong_pins_lock_with_minutes_left_and_the_right_one_then_fails(ui, adm):
    open_pin_pad(ui, adm)
    ui.app.lang = "en"
    for tries_left in (4, 3, 2, 1):
        enter_pin(ui, "1111")
        ui.wait(lambda: f"Wrong PIN. {tries_left} tries left." in ui.texts(), what=f"{tries_left} left")
    enter_pin(ui, "1111")
    locked = "Too many wrong PINs. PIN entry is locked for 5 more minutes."
    ui.wait(lambda: locked in ui.texts(), what="the lock message")
    assert_readable(ui)
    enter_pin(ui, PIN)
    ui.wait(lambda: ui.screen.ids.message.text.startswith("Too many wrong PINs"), what="still locked")
    ui.frames(5)
    assert ui.screen.name == "admin.pin" and not adm.signed_in
    assert [e["action"] for e in audit(ui)].count("login failed") == 6
    assert PIN not in json.dumps(audit(ui)) and "1111" not in json.dumps(audit(ui))
    # a new PIN screen (as after a restart) says so at once
    ui.app.end_session("test")
    open_pin_pad(ui, adm)
    ui.wait(lambda: ui.screen.ids.message.text.startswith("Too many") or "错误" in ui.screen.ids.message.text,
            what="the lock shown on entry")


def test_the_right_pin_opens_admin_home(ui, adm):
    sign_in(ui, adm)
    assert adm.signed_in
    assert_readable(ui)
    entries = audit(ui)
    assert entries[-1]["action"] == "login" and entries[-1]["via"] == "pin"
    ui.tap(ui.screen.ids.leave)
    ui.wait(lambda: ui.screen.name == "attract", what="the attract screen")
    assert not adm.signed_in and audit(ui)[-1] == {**audit(ui)[-1], "action": "logout", "reason": "left"}


# -- admin screens ------------------------------------------------------------------------------

def test_a_bad_idle_timeout_is_refused_on_screen_and_the_file_is_unchanged(ui, adm, tmp_path):
    path = tmp_path / "kiosk.toml"
    path.write_text('[terminal]\nid = "lobby-07"\n[devices]\nidcard = "none:"\ncard = "none:"\n'
                    'printer = "none:"\nscanner = "none:"\n')
    ui.app.apply_settings(config.load(str(path)))
    before = path.read_bytes()
    sign_in(ui, adm)
    ui.app.lang = "en"
    ui.tap(ui.screen.ids.settings)
    ui.wait(lambda: ui.screen.name == "admin.settings", what="the settings screen")
    screen = ui.screen
    assert screen.ids.terminal_id.text == "lobby-07" and screen.ids.terminal_secret.text == ""
    screen.ids.ui_idle_timeout.text = "5"
    ui.tap(screen.ids.save)
    expected = "Not saved: ui.idle_timeout: must be a whole number from 10 to 3600 (got 5)"
    ui.wait(lambda: screen.ids.message.text == expected, what="the refusal")
    assert path.read_bytes() == before and ui.app.settings.ui.idle_timeout == 60
    assert_readable(ui, screen.ids.message)
    assert audit(ui)[-1]["action"] == "settings refused"

    screen.ids.ui_idle_timeout.text = "abc"
    ui.tap(screen.ids.save)
    ui.wait(lambda: 'must be a whole number (got "abc")' in screen.ids.message.text, what="abc refused")
    assert path.read_bytes() == before


def test_a_good_edit_is_saved_and_applied_at_once(ui, adm, tmp_path):
    path = tmp_path / "kiosk.toml"
    path.write_text('[terminal]\nid = "lobby-07"\nsecret = "first-secret"\n[devices]\nidcard = "none:"\n'
                    'card = "none:"\nprinter = "none:"\nscanner = "none:"\n')
    ui.app.apply_settings(config.load(str(path)))
    sign_in(ui, adm)
    ui.app.lang = "en"
    ui.tap(ui.screen.ids.settings)
    ui.wait(lambda: ui.screen.name == "admin.settings", what="the settings screen")
    screen = ui.screen
    screen.ids.ui_idle_timeout.text = "90"
    screen.ids.terminal_secret.text = "second-secret"
    url = dead_hall_url()
    screen.ids.hall_url.text = url
    ui.tap(find_button(ui, "Public notices"))  # switch the notices tile off
    assert "notices" not in screen.services
    ui.tap(screen.ids.save)
    ui.wait(lambda: screen.ids.message.text == "Saved and applied.", what="saved")
    saved = config.load(str(path))
    assert saved.ui.idle_timeout == 90 and saved.hall.url == url and saved.terminal.secret == "second-secret"
    assert "notices" not in saved.ui.services and saved.terminal.id == "lobby-07"
    assert ui.app.settings.ui.idle_timeout == 90 and ui.app.settings.hall.url == url  # applied
    entry = audit(ui)[-1]
    assert entry["action"] == "settings changed"
    assert entry["keys"] == ["hall.url", "terminal.secret", "ui.idle_timeout", "ui.services"]
    assert "second-secret" not in json.dumps(audit(ui)) and screen.ids.terminal_secret.text == ""


def test_outbox_screen_shows_depth_and_sends_now(ui, adm, tmp_path):
    base = GUI_SETTINGS
    settings = base.replace(hall=dataclasses.replace(base.hall, url=dead_hall_url(), timeout=1.0),
                            paths=dataclasses.replace(base.paths, state_dir=str(tmp_path / "own-state")))
    ui.app.apply_settings(settings)
    admin.PinStore.for_settings(settings).set_pin(PIN)  # the PIN lives in the state dir
    outbox = ui.app.services.outbox
    for n in range(3):
        outbox.submit("rating", {"score": 5, "n": n})
    sign_in(ui, adm)
    ui.app.lang = "en"
    ui.tap(ui.screen.ids.outbox)
    ui.wait(lambda: ui.screen.name == "admin.outbox", what="the outbox screen")
    ui.wait(lambda: "Submissions waiting to be sent: 3" in ui.texts(), what="depth 3")
    assert any(t.startswith("Oldest waiting for: ") and t.endswith(" s") for t in ui.texts())
    assert_readable(ui)
    ui.tap(ui.screen.ids.send)
    ui.wait(lambda: ui.screen.ids.result.text.startswith("Sent 0, refused 0, still waiting"),
            timeout=15, what="the send report (hall down: nothing sent)")
    assert outbox.depth() == 3  # nothing lost
    assert audit(ui)[-1]["action"] == "send outbox now"


def test_print_a_test_page_and_scan_a_code_from_the_devices_screen(ui, adm):
    printer = device(ui, "printer")
    device(ui, "scanner")
    jobs = len(printer.emulator.jobs)
    sign_in(ui, adm)
    ui.app.lang = "en"
    ui.tap(ui.screen.ids.devices)
    ui.wait(lambda: ui.screen.name == "admin.devices", what="the devices screen")
    ui.wait(lambda: any(t.startswith("printer  [OK]") for t in ui.texts()), timeout=10, what="printer ok")
    ui.tap(ui.screen.ids["print"])
    ui.wait(lambda: ui.screen.ids.result.text.startswith("Print a test page: ok"), timeout=30,
            what="the printed test page")
    assert printer.emulator.wait_for_jobs(jobs + 1, timeout=10)
    ui.tap(ui.screen.ids.scan)
    ui.wait(lambda: ui.screen.ids.result.text.startswith("Scan a code: ok - scanned 14 characters"),
            timeout=15, what="the scanned code")
    assert [e["test"] for e in audit(ui) if e["action"] == "self-test"] == ["print", "scan"]
    ui.wait(lambda: any("prints 1" in t or "prints" in t for t in ui.texts()), what="counters")
    assert_readable(ui)


def test_logs_screen_shows_recent_records_masked(ui, adm):
    logging.getLogger("kiosk.test").warning("reader saw 11010519491231002X")
    sign_in(ui, adm)
    ui.tap(ui.screen.ids.logs)
    ui.wait(lambda: ui.screen.name == "admin.logs", what="the logs screen")
    ui.frames(5)
    lines = [d["text"] for d in ui.screen.ids.lines.data]
    assert any("kiosk.test" in line and "reader saw" in line for line in lines)
    assert not any("11010519491231002X" in line for line in lines)
    assert any("admin: login" in line for line in lines)


def test_restart_and_exit_are_audited_and_called(ui, adm):
    sign_in(ui, adm)
    ui.tap(ui.screen.ids.restart)
    ui.tap(ui.screen.ids.exit)
    assert adm.calls == ["restart", "exit"]
    assert [e["action"] for e in audit(ui)][-2:] == ["restart", "exit to desktop"]


def test_admin_mode_times_out_to_attract_and_a_touch_extends_it(ui, adm):
    adm.clock = Clock(5000.0)
    sign_in(ui, adm)
    timeout = ui.app.settings.admin.session_timeout
    adm.clock.now += timeout - 20
    ui.tap_at(540, 900)  # a touch on admin home (no button there) extends the session
    adm.clock.now += 40
    ui.frames(40)
    assert adm.signed_in and ui.screen.name == "admin"
    adm.clock.now += timeout
    ui.wait(lambda: ui.screen.name == "attract", what="the attract screen after the timeout")
    assert not adm.signed_in
    assert audit(ui)[-1]["action"] == "logout" and audit(ui)[-1]["reason"] == "timeout"
    assert not any(s.name.startswith("admin") for s in ui.app.manager.screens)


def test_print_an_a4_test_page_through_cups_from_the_devices_screen(ui, adm):
    ui.app.apply_settings(GUI_SETTINGS.replace(devices=dataclasses.replace(GUI_SETTINGS.devices, a4="sim:")))
    a4 = device(ui, "a4", timeout=40)
    sign_in(ui, adm)
    ui.app.lang = "en"
    ui.tap(ui.screen.ids.devices)
    ui.wait(lambda: ui.screen.name == "admin.devices", what="the devices screen")
    ui.wait(lambda: any(t.startswith("a4  [OK]") for t in ui.texts()), timeout=10, what="a4 ok")
    ui.tap(ui.screen.ids.print_a4)
    ui.wait(lambda: ui.screen.ids.result.text.startswith("Print an A4 test page: ok"), timeout=60,
            what="the A4 test page")
    assert "completed" in ui.screen.ids.result.text
    assert len(a4.spooler.printed()) == 1
    assert [e["test"] for e in audit(ui) if e["action"] == "self-test"] == ["print a4"]
    assert_readable(ui)
