"""Identify on the real app: the ID card emulator (serial over a pty), the scanner emulator
(e-ID QR), the virtual social security card (pcscd + vpcd), manual entry with GB 11643 checks,
readers down -> manual entry; taking the card away wipes the session everywhere."""

from __future__ import annotations

import dataclasses
import logging
import os
import time
from pathlib import Path

import pytest

os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
from testing.gui import (assert_readable, dead_hall_url, device, every_text, hall_settings,
                          press, type_into)

pytestmark = pytest.mark.gui
NAME, ID_NUMBER, ID_MASKED = "张晓明", "430102199003075518", "4301**********5518"  # seed card "mainland"
EID_NAME, EID_NUMBER = "李秀兰", "110105199207074562"  # fictional, valid check character


@pytest.fixture
def identify(ui, monkeypatch):
    """The identify screen, asked for by a flow that continues to the home screen."""
    import screens.identify as identify_module
    monkeypatch.setattr(identify_module, "CONTINUE_AFTER", 30.0)  # stay, so the test can look
    ui.app.apply_settings(hall_settings(dead_hall_url(), card="none:"))
    ui.app.show("home")
    identify_module.identify_then("home")
    ui.wait(lambda: ui.screen.name == "identify", what="the identify screen")
    return identify_module


def test_id_card_shows_the_masked_identity_and_removal_wipes_everything(ui, identify, caplog):
    caplog.set_level(logging.DEBUG)
    reader = device(ui, "idcard")
    assert_readable(ui)
    reader.emulator.place("mainland")
    ui.wait(lambda: identify.current_identity() is not None, timeout=10, what="the card read")
    ui.frames(3)
    texts = " ".join(ui.texts())
    assert f"张*明  {ID_MASKED}" in ui.texts() and "身份识别成功。" in texts
    assert NAME not in texts and ID_NUMBER not in texts
    assert ui.app.session.data["identity"].address.startswith("湖南省")
    assert_readable(ui)
    reader.emulator.remove()
    ui.wait(lambda: ui.screen.name == "attract", timeout=10, what="the session to end on card removal")
    assert ui.app.session.ended_by == "card removed" and "identity" not in ui.app.session.data
    ui.frames(3)
    shown = every_text(ui)
    for secret in (NAME, ID_NUMBER, ID_MASKED, "张*明"):
        assert secret not in shown
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert ID_NUMBER not in logged and NAME not in logged
    state = Path(ui.app.settings.state_dir())
    for path in state.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert ID_NUMBER.encode() not in data and NAME.encode("utf-8") not in data, path


def test_continue_goes_back_to_the_flow_that_asked(ui, identify):
    device(ui, "idcard").emulator.place("elderly")
    try:
        ui.wait(lambda: identify.current_identity() is not None, timeout=10, what="the card read")
        press(ui, ui.screen.ids.go)
        ui.wait(lambda: ui.screen.name == "home", what="the flow's next screen")
        assert not any(name.startswith("identify") for name in ui.app.history)
    finally:
        ui.app.services.devices.device("idcard").emulator.remove()


def test_e_id_qr_code_from_the_scanner(ui, identify):
    scanner = device(ui, "scanner")
    scanner.emulator.send(f"EID1|{EID_NAME}|{EID_NUMBER}|{int(time.time()) - 5}")
    ui.wait(lambda: "过期" in " ".join(ui.texts()), timeout=10, what="the expired-code message")
    assert identify.current_identity() is None
    scanner.emulator.send(f"EID1|{EID_NAME}|110105199207074563|{int(time.time()) + 120}")
    ui.wait(lambda: "无法识别" in " ".join(ui.texts()), timeout=10, what="the bad-code message")
    scanner.emulator.send(f"EID1|{EID_NAME}|{EID_NUMBER}|{int(time.time()) + 120}")
    ui.wait(lambda: identify.current_identity() is not None, timeout=10, what="the e-ID")
    identity = identify.current_identity()
    assert (identity.name, identity.id_number, identity.source) == (EID_NAME, EID_NUMBER, "eid")
    ui.frames(3)
    assert "李*兰  1101**********4562" in ui.texts() and EID_NUMBER not in " ".join(ui.texts())
    assert_readable(ui)


def test_manual_entry_checks_the_id_number_and_keeps_what_was_typed(ui, identify):
    press(ui, ui.screen.ids.manual)
    ui.wait(lambda: ui.screen.name == "identify.manual", what="manual entry")
    screen = ui.screen
    type_into(ui, screen.ids.name.ids.input, "王😀")
    type_into(ui, screen.ids.id_number.ids.input, "430102199003075519")  # wrong check character
    press(ui, find_use(ui))
    assert ui.screen.name == "identify.manual"
    assert "只能" in screen.ids.name.ids.problem.text
    assert "校验不通过" in screen.ids.id_number.ids.problem.text
    assert screen.ids.id_number.value == "430102199003075519", "what was typed stays"
    screen.ids.id_number.value = "430102199002305518"  # 30 February
    press(ui, find_use(ui))
    assert "出生日期" in screen.ids.id_number.ids.problem.text
    screen.ids.id_number.value = "4301021990"
    press(ui, find_use(ui))
    assert "18 位" in screen.ids.id_number.ids.problem.text
    assert_readable(ui)
    screen.ids.name.value = ""
    screen.ids.id_number.value = ""
    type_into(ui, screen.ids.name.ids.input, "王小明")
    keyboard = screen.ids.dock.keyboard
    assert keyboard is not None and keyboard.parent is not None, "the on-screen keyboard is up"
    type_into(ui, screen.ids.id_number.ids.input, "11010519920707456")
    assert keyboard.layout == "idnumber"
    press(ui, keyboard.key("2"))  # the last character from the on-screen keypad
    assert screen.ids.id_number.value == EID_NUMBER
    press(ui, find_use(ui))
    ui.wait(lambda: ui.screen.name == "home", what="the flow after manual entry")
    identity = identify.current_identity()
    assert (identity.name, identity.id_number, identity.source) == ("王小明", EID_NUMBER, "manual")


def find_use(ui):
    return ui.screen.ids.use


def test_readers_down_point_to_manual_entry(ui, monkeypatch):
    import screens.identify as identify_module
    settings = hall_settings(dead_hall_url())
    settings = settings.replace(devices=dataclasses.replace(
        settings.devices, idcard="none:", card="none:", scanner="none:"))
    ui.app.apply_settings(settings)
    ui.app.show("home")
    identify_module.identify_then("home")
    ui.wait(lambda: ui.screen.name == "identify")
    texts = " ".join(ui.texts())
    assert "读卡设备暂时无法使用" in texts and texts.count("暂时无法使用") >= 4
    assert ui.screen.ids.manual.role == "accent"
    assert_readable(ui)
    ui.app.lang = "en"
    ui.app.elderly = True
    ui.frames(3)
    assert any("enter your name and ID number by hand" in t for t in ui.texts())
    assert_readable(ui)
    dp = ui.app.theme.scale
    for label in ui.labels():
        assert label.font_size >= 30 * dp - 0.01, label.text


def test_social_security_card_through_pcsc(ui, identify):
    settings = hall_settings(dead_hall_url(), card="sim:")
    ui.app.apply_settings(settings)
    ui.app.show("home")
    identify.identify_then("home")
    ui.wait(lambda: ui.screen.name == "identify")
    hub = ui.app.services.devices
    ui.wait(lambda: hub.device("card") is not None, timeout=20, what="the card reader")
    if hub.statuses()["card"].health.value == "absent":
        pytest.skip(f"pcscd cannot run here: {hub.statuses()['card'].reason}")
    reader = device(ui, "card", timeout=20)
    try:
        reader.virtual_card.insert("zhang")
        ui.wait(lambda: identify.current_identity() is not None, timeout=20, what="the card read")
        identity = identify.current_identity()
        assert (identity.name, identity.id_number, identity.source) == ("张伟明", "430102198503141230", "sscard")
        ui.frames(3)
        assert "张*明  4301**********1230" in ui.texts()
        reader.virtual_card.remove()
        ui.wait(lambda: ui.screen.name == "attract", timeout=15, what="the session to end")
        assert "张伟明" not in every_text(ui)
    finally:
        reader.virtual_card.remove()
        ui.app.apply_settings(hall_settings(dead_hall_url(), card="none:"))


def test_a_card_placed_on_the_attract_screen_starts_the_session_identified(ui):
    import screens.identify as identify_module
    ui.app.apply_settings(hall_settings(dead_hall_url(), card="none:"))
    reader = device(ui, "idcard")
    assert ui.screen.name == "attract"
    reader.emulator.place("mainland")
    try:
        ui.wait(lambda: ui.screen.name == "home", timeout=10, what="the home screen")
        identity = identify_module.current_identity()
        assert (identity.name, identity.id_number, identity.source) == (NAME, ID_NUMBER, "idcard")
        identify_module.identify_then("apply.item")  # a flow that needs identity goes straight on
        ui.wait(lambda: ui.screen.name == "apply.item", what="the flow, without the identify screen")
        assert NAME not in every_text(ui) and ID_NUMBER not in every_text(ui)
    finally:
        reader.emulator.remove()


def test_take_your_card_is_said_when_a_session_ends_with_the_card_still_on_the_reader(ui):
    from screens.voice import voice_of
    ui.app.apply_settings(hall_settings(dead_hall_url(), card="none:"))
    ui.app.settings = ui.app.settings.replace(ui=dataclasses.replace(ui.app.settings.ui, voice="on"))
    reader = device(ui, "idcard")
    voice = voice_of(ui.app)
    reader.emulator.place("mainland")
    try:
        ui.wait(lambda: ui.screen.name == "home", timeout=10, what="the home screen")
        before = len(voice.played)
        ui.app.end_session("finish")
        assert voice.played[before:] == ["take_card"]
    finally:
        reader.emulator.remove()
    ui.wait(lambda: not ui.app.cards_left, timeout=10, what="the card to leave the reader")
    # the card taken away ends the session, and nobody is asked to take it again
    reader.emulator.place("mainland")
    try:
        ui.wait(lambda: ui.screen.name == "home", timeout=10, what="the home screen")
        before = len(voice.played)
    finally:
        reader.emulator.remove()
    ui.wait(lambda: not ui.app.cards_left, timeout=10, what="the card to leave the reader")
    ui.app.end_session("finish")
    assert "take_card" not in voice.played[before:]
