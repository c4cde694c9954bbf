"""A keyboard-wedge scanner (`hid:`) in the running app: its key bursts arrive as Kivy window
key events, as SDL delivers a USB keyboard's, and become scans; a person's slower typing on
a hardware keyboard still goes into the focused field, in order."""

from __future__ import annotations

import os
import time

import pytest

os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
from testing.gui import dead_hall_url, hall_settings, open_tile

pytestmark = pytest.mark.gui
EID_NAME, EID_NUMBER = "李秀兰", "110105199207074562"  # fictional, valid check character
NUMBER = "SB20261123000042"
HALL_DOWN = "暂时无法连接网上办事大厅，请稍后再试，或到服务窗口咨询。"


@pytest.fixture
def wedge(ui):
    # no camera: these tests use none, and with its sim: stream still starting when a short last
    # test ended, the process sometimes aborted at exit ("terminate called without an active
    # exception", a thread inside C++ code as Python finalised)
    ui.app.apply_settings(hall_settings(dead_hall_url(), scanner="hid:", card="none:", camera="none:"))

    def ready():
        services = ui.app.services
        found = services.devices.device("scanner") if services is not None else None
        return found is not None and found.lifecycle.value == "enabled"
    ui.wait(ready, timeout=15, what="the hid: scanner")
    return ui.app.services.devices.device("scanner")


def key_down(key: int, text: str | None = None) -> None:
    from kivy.core.window import Window
    if not Window.dispatch("on_key_down", key, 0, text, []):
        Window.dispatch("on_keyboard", key, 0, text, [])


def scan(ui, code: str, ending=(13,), stall_after: int | None = None, stall: float = 0.05) -> None:
    """A scanner's burst: every key within a millisecond or two, then Enter (or `ending`'s
    keys; a (key, modifiers) pair for a Ctrl key). With `stall_after`, the event loop stalls
    for `stall` seconds after that many keys, as a busy frame would hold it up."""
    from kivy.core.window import Window
    for i, char in enumerate(code):
        if i == stall_after:
            time.sleep(stall)  # no frame drawn, no timer run: keys wait, as behind a busy frame
        if char == "\x1d":  # GS: a scanner types it as Ctrl+]
            Window.dispatch("on_key_down", 93, 0, None, ["ctrl"])
            continue
        key_down(ord(char.lower()), char)
        Window.dispatch("on_textinput", char)
    for key in ending:
        key, modifiers = key if isinstance(key, tuple) else (key, [])
        Window.dispatch("on_key_down", key, 0, None, modifiers)
    ui.frames(3)


def type_slowly(ui, text: str, gap: float = 0.12) -> None:
    """A person at a hardware keyboard: a key every `gap` seconds, frames drawn between."""
    from kivy.core.window import Window
    for char in text:
        key_down(ord(char.lower()), char)
        Window.dispatch("on_textinput", char)
        end = time.monotonic() + gap
        while time.monotonic() < end:
            ui.frames(1)


def test_a_scan_into_the_focused_number_field_looks_the_number_up(ui, wedge):
    open_tile(ui, "progress")
    field = ui.screen.ids.number.ids.input
    ui.tap(field)
    ui.wait(lambda: field.focus, what="the number field's focus")
    scan(ui, NUMBER.lower())
    ui.wait(lambda: HALL_DOWN in ui.texts(), timeout=10, what="the look-up of the scanned number")
    assert field.text == NUMBER, "the scan's keys typed nothing more into the field"
    assert wedge.counters["scans"] == 1


def test_a_scan_with_no_field_focused_identifies_by_e_id(ui, wedge):
    import screens.identify as identify
    ui.app.show("home")
    identify.identify_then("home")
    ui.wait(lambda: ui.screen.name == "identify", what="the identify screen")
    scan(ui, f"EID1|{EID_NAME}|{EID_NUMBER}|{int(time.time()) + 120}")
    ui.wait(lambda: identify.current_identity() is not None, timeout=10, what="the e-ID from the wedge")
    assert identify.current_identity().id_number == EID_NUMBER


def test_slow_typing_goes_into_the_field_in_order_and_is_no_scan(ui, wedge):
    from kivy.core.window import Window
    open_tile(ui, "progress")
    field = ui.screen.ids.number.ids.input
    ui.tap(field)
    ui.wait(lambda: field.focus, what="the number field's focus")
    type_slowly(ui, "SB2026")
    Window.dispatch("on_textinput", "9")  # a quick correction: 9, Backspace, 1
    key_down(8)
    Window.dispatch("on_textinput", "1")
    ui.wait(lambda: field.text == "SB20261", timeout=2, what=f"the typed text (have {field.text!r})")
    type_slowly(ui, "1")
    key_down(13)  # a person's Enter: the field's own action, no scan
    ui.wait(lambda: ui.screen.ids.number.problem != "", timeout=5, what="the look-up's answer to a short number")
    assert wedge.counters["scans"] == 0


def test_a_scan_stalled_for_50_ms_stays_one_scan(ui, wedge):
    open_tile(ui, "progress")
    field = ui.screen.ids.number.ids.input
    ui.tap(field)
    ui.wait(lambda: field.focus, what="the number field's focus")
    scan(ui, NUMBER.lower(), stall_after=6)  # "sb2026", 50 ms, "1123000042"
    ui.wait(lambda: HALL_DOWN in ui.texts(), timeout=10, what="the look-up of the scanned number")
    assert field.text == NUMBER, f"the scan was split: {field.text!r} in the field"
    assert wedge.counters["scans"] == 1


@pytest.mark.parametrize("ending", [(13, 13), (13, (106, ["ctrl"]))], ids=["enter-enter", "enter-ctrl-j"])
def test_a_scan_ending_in_cr_lf_presses_no_enter_in_the_field(ui, wedge, ending):
    open_tile(ui, "progress")
    field = ui.screen.ids.number.ids.input
    ui.tap(field)
    ui.wait(lambda: field.focus, what="the number field's focus")
    validated = []
    field.bind(on_text_validate=lambda *_: validated.append(field.text))
    scan(ui, NUMBER.lower(), ending=ending)
    ui.wait(lambda: HALL_DOWN in ui.texts(), timeout=10, what="the look-up of the scanned number")
    ui.frames(10)
    assert wedge.counters["scans"] == 1 and field.text == NUMBER
    assert validated == [], "the LF after the scan's CR pressed Enter in the focused field"


def test_a_gs1_code_typed_with_ctrl_keys_is_scanned_with_its_separators(ui, wedge):
    ui.app.show("home")
    ui.frames(3)
    events = []
    unsubscribe = wedge.subscribe(events.append)
    try:
        code = "0109501101530003\x1d10ABC123\x1d17260101"
        scan(ui, code, ending=(13, (106, ["ctrl"])))
        ui.wait(lambda: any(e.kind == "scanned" for e in events), timeout=5, what="the scanned event")
    finally:
        unsubscribe()
    assert [e.data for e in events if e.kind == "scanned"] == [code]
