"""12345 诉求 on the real app: type -> form -> review -> ticket from a running hall -> printed
ticket in the printer emulator; bad input refused field by field; hall down -> local reference;
paper out -> the ticket's QR code on screen."""

from __future__ import annotations

import dataclasses
import os
import sqlite3

import pytest

os.environ.setdefault("SDL_AUDIODRIVER", "dummy")  # voice prompts play into nothing
from testing.gui import (ONLY_PRINTER, press, HallProcess, assert_readable, attach_printer, dead_hall_url,
                          decode_qr, detach_printer, find_button, hall_client, hall_settings,
                          open_tile, type_into, type_on_keyboard, widget_image)

pytestmark = pytest.mark.gui
PHONE, NAME, ID_FRAGMENT = "13912345678", "王小明", "12345678"
CONTENT = "小区门口路灯坏了三天，晚上很黑"


@pytest.fixture(scope="module")
def hall(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hotline-hall")
    process = HallProcess(folder / "hall.sqlite3", log_path=folder / "hall.log").start()
    yield process
    process.stop()


@pytest.fixture
def online(ui, hall):
    settings = hall_settings(hall.url, **ONLY_PRINTER)
    ui.app.apply_settings(settings.replace(ui=dataclasses.replace(settings.ui, voice="on")))
    printer = attach_printer(ui)
    yield printer
    detach_printer(ui, printer)


def fill_form(ui, content=CONTENT, phone=PHONE, name=NAME, location="城关镇东门社区"):
    screen = ui.screen
    type_into(ui, screen.ids.content.ids.input, content)
    type_into(ui, screen.ids.location.ids.input, location)
    type_into(ui, screen.ids.phone.ids.input, phone)
    type_into(ui, screen.ids.name.ids.input, name)


def test_complaint_end_to_end_with_a_printed_ticket(ui, online, hall):
    open_tile(ui, "hotline")
    assert_readable(ui)
    texts = " ".join(ui.texts())
    for word in ("咨询", "求助", "投诉", "建议", "举报"):
        assert word in texts
    press(ui, find_button(ui, "投诉"))
    ui.wait(lambda: ui.screen.name == "hotline.form", what="the form")
    assert "类型: 投诉" in ui.texts() or "类型：投诉" in " ".join(ui.texts())
    fill_form(ui)
    press(ui, ui.screen.ids.next)
    ui.wait(lambda: ui.screen.name == "hotline.review", what="review")
    assert_readable(ui)
    texts = " ".join(ui.texts())
    assert CONTENT in texts and "139****5678" in texts and PHONE not in texts
    assert NAME not in texts and "王*明" in texts
    press(ui, ui.screen.ids.submit)
    ui.wait(lambda: ui.screen.name == "hotline.done", timeout=15, what="the ticket")
    ticket = ui.screen.number
    assert ticket.startswith("RQ") and len(ticket) == 16 and ticket in ui.texts()
    assert online.emulator.wait_for_jobs(1, timeout=10)
    job = online.emulator.jobs[-1]
    assert ticket in job.text and "12345" in job.text and "投诉" in job.text
    assert PHONE not in job.text and NAME not in job.text
    ui.wait(lambda: ui.screen.ids.receipt.printed, what="printed status")
    assert "已打印，请取走凭条。" in ui.texts()
    assert "take_receipt" in ui.app.voice.played
    with hall_client(hall) as client:
        stored = client.get(f"/api/v1/requests/{ticket}").data
    assert stored["type"] == "投诉" and stored["status"] == "受理"
    assert_readable(ui)
    press(ui, ui.screen.ids.rate)
    ui.wait(lambda: ui.screen.name == "rating", what="the rating prompt")
    assert ui.app.session.data["rating_subject"] == {"kind": "request", "ref": ticket, "proof": {"phone": PHONE}}
    texts = " ".join(ui.texts())
    assert "联系电话: 139****5678" in texts and PHONE not in texts, "the proof, masked"
    press(ui, find_button(ui, "5  非常满意"))
    press(ui, ui.screen.ids.submit)
    ui.wait(lambda: ui.screen.name == "rating.done", timeout=15, what="the hall took the rating with its proof")
    # 返回 after a finished submission goes home, never to a live 提交; the same form again
    # (the resident walks the flow once more) is the same request on the hall, and one rating
    press(ui, find_button(ui, "返回"))
    ui.wait(lambda: ui.screen.name == "home", what="home after the rating")
    open_tile(ui, "hotline")
    press(ui, find_button(ui, "投诉"))
    ui.wait(lambda: ui.screen.name == "hotline.form", what="the form, as it was typed")
    press(ui, ui.screen.ids.next)
    ui.wait(lambda: ui.screen.name == "hotline.review", what="review")
    press(ui, ui.screen.ids.submit)
    ui.wait(lambda: ui.screen.name == "hotline.done", timeout=15, what="the ticket again")
    assert ui.screen.number == ticket and hall.count("requests", phone=PHONE) == 1
    press(ui, find_button(ui, "返回"))
    ui.wait(lambda: ui.screen.name == "home", what="home from the done screen")
    ui.app.show("hotline.done")
    press(ui, ui.screen.ids.rate)
    ui.wait(lambda: ui.screen.name == "rating", what="the rating prompt")
    press(ui, find_button(ui, "5  非常满意"))
    press(ui, ui.screen.ids.submit)
    ui.wait(lambda: ui.screen.name == "rating.done", timeout=15, what="the thanks again")
    assert hall.count("ratings", subject_ref=ticket) == 1


def test_a_request_typed_on_the_on_screen_keyboard_alone(ui, online, hall):
    """No hardware keyboard: each field brings up the keyboard it needs under the form."""
    open_tile(ui, "hotline")
    press(ui, find_button(ui, "求助"))
    ui.wait(lambda: ui.screen.name == "hotline.form", what="the form")
    form = ui.screen
    assert form.ids.dock.keyboard is None, "no keyboard until a field is touched"
    type_on_keyboard(ui, form.ids.content, [*"ludeng", ("pick", "路灯"), *"huai", ("pick", "坏"),
                                            *"le", ("pick", "了"), *"santian", ("pick", "三天")])
    assert form.ids.content.parent.parent.scroll_y == 1, "a short form stays at the top, keyboard up"
    type_on_keyboard(ui, form.ids.phone, PHONE)
    type_on_keyboard(ui, form.ids.name, [*"wangxiaoming", ("pick", NAME)])
    assert form.ids.dock.keyboard.layouts == ["pinyin", "letters"], "a name has no digits"
    assert [form.ids[f].value for f in ("content", "phone", "name")] == ["路灯坏了三天", PHONE, NAME]
    press(ui, form.ids.next)  # the keyboard is still up: the button stays where it was
    ui.wait(lambda: ui.screen.name == "hotline.review", what="review")
    assert form.ids.dock.keyboard.parent is None, "the keyboard goes with its screen"
    press(ui, ui.screen.ids.submit)
    ui.wait(lambda: ui.screen.name == "hotline.done", timeout=15, what="the ticket")
    with sqlite3.connect(hall.db_url.removeprefix("sqlite:///")) as db:  # the API does not echo it
        stored = db.execute("SELECT type, content, phone, name FROM requests WHERE ticket = ?",
                            (ui.screen.number,)).fetchone()
    assert stored == ("求助", "路灯坏了三天", PHONE, NAME)


def test_bad_input_is_refused_field_by_field_and_nothing_is_lost(ui, online):
    open_tile(ui, "hotline")
    press(ui, find_button(ui, "咨询"))
    ui.wait(lambda: ui.screen.name == "hotline.form")
    fill_form(ui, content="路灯", phone="12345", name="王2")
    press(ui, ui.screen.ids.next)
    ui.frames(3)
    assert ui.screen.name == "hotline.form"
    problems = {f: ui.screen.ids[f].ids.problem.text for f in ("content", "phone", "name", "location")}
    assert "至少用 5 个字" in problems["content"]
    assert "手机号" in problems["phone"] and "只能" in problems["name"] and problems["location"] == ""
    assert ui.screen.ids.content.value == "路灯", "what was typed stays"
    assert_readable(ui)
    ui.screen.ids.content.value = ""
    ui.screen.ids.phone.value = ""
    ui.screen.ids.name.value = ""
    fill_form(ui, content="请问新生儿落户需要什么材料", phone="0748-8220168", name="", location="")
    press(ui, ui.screen.ids.next)
    ui.wait(lambda: ui.screen.name == "hotline.review", what="review after fixing")
    assert ui.screen.ids.problem.text == ""


def test_hall_down_gives_a_local_reference_and_the_request_is_kept(ui):
    ui.app.apply_settings(hall_settings(dead_hall_url(), **ONLY_PRINTER))
    printer = attach_printer(ui)
    try:
        open_tile(ui, "hotline")
        press(ui, find_button(ui, "建议"))
        ui.wait(lambda: ui.screen.name == "hotline.form")
        fill_form(ui, content="建议在服务中心增加老年人座椅", name="")
        press(ui, ui.screen.ids.next)
        ui.wait(lambda: ui.screen.name == "hotline.review")
        press(ui, ui.screen.ids.submit)
        ui.wait(lambda: ui.screen.name == "hotline.done", timeout=20, what="the local reference")
        ref = ui.screen.number
        assert ref.startswith("LOCAL-") and ref in ui.texts()
        assert any("自动发送" in t for t in ui.texts())
        assert not ui.screen.can_rate and ui.screen.ids.rate.opacity == 0
        row = ui.app.services.outbox.lookup(ref)
        assert row.state == "queued" and row.payload["type"] == "建议"
        assert printer.emulator.wait_for_jobs(1, timeout=10)
        assert ref in printer.emulator.jobs[-1].text
        assert_readable(ui)
    finally:
        detach_printer(ui, printer)


def test_paper_out_shows_the_ticket_as_a_qr_code(ui, online, tmp_path):
    online.emulator.set_fault("paper-out")
    open_tile(ui, "hotline")
    press(ui, find_button(ui, "求助"))
    ui.wait(lambda: ui.screen.name == "hotline.form")
    fill_form(ui, content="家里老人走失，请帮忙寻找")
    press(ui, ui.screen.ids.next)
    ui.wait(lambda: ui.screen.name == "hotline.review")
    press(ui, ui.screen.ids.submit)
    ui.wait(lambda: ui.screen.name == "hotline.done", timeout=15)
    box = ui.screen.ids.receipt
    ui.wait(lambda: box.qr != "", timeout=10, what="the QR code instead of paper")
    assert "打印机缺纸。" in ui.texts()
    assert online.emulator.jobs == []
    ui.frames(3)
    codes = decode_qr(widget_image(ui.screenshot(), box.ids.qr), tmp_path)
    assert codes == [box.qr] and ui.screen.number in box.qr
    assert_readable(ui)


def test_english_and_elderly_mode_render_the_form(ui, online):
    ui.app.lang = "en"
    ui.app.elderly = True
    open_tile(ui, "hotline")
    assert any(t.startswith("Complaint\n") for t in ui.texts())
    press(ui, find_button(ui, "Enquiry"))
    ui.wait(lambda: ui.screen.name == "hotline.form")
    assert_readable(ui)
    dp = ui.app.theme.scale
    for label in ui.labels():
        assert label.font_size >= 30 * dp - 0.01, label.text
    assert ui.screen.ids.next.height >= 60 * dp
