"""好差评 on the real app against a running hall: five levels in words, the five indicators,
a low rating refused without a reason (and nothing queued), 一事一评 (a second rating refused),
rating from the home tile by receipt number (with the resident's proof, masked) or by service
name, a rating without or with a wrong proof refused, voice prompts on and off."""

from __future__ import annotations

import dataclasses
import os

import pytest

os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
from testing.gui import (ONLY_PRINTER, press, HallProcess, assert_readable, find_button, hall_client,
                          hall_settings, open_tile, type_into, type_on_keyboard)

pytestmark = pytest.mark.gui
NO_DEVICES = {kind: "none:" for kind in ONLY_PRINTER}
LEVEL_WORDS = ["5  非常满意", "4  满意", "3  基本满意", "2  不满意", "1  非常不满意"]
INDICATORS = ["整体满意度", "办事效率", "办事指南精确度", "办事便捷度", "平台操作性"]
PHONE, PHONE_MASKED = "13800138000", "138****8000"


@pytest.fixture(scope="module")
def hall(tmp_path_factory):
    folder = tmp_path_factory.mktemp("rating-hall")
    process = HallProcess(folder / "hall.sqlite3", log_path=folder / "hall.log").start()
    yield process
    process.stop()


@pytest.fixture
def online(ui, hall):
    ui.app.apply_settings(hall_settings(hall.url, **NO_DEVICES))
    ui.wait(lambda: ui.app.services.catalog.version is not None, timeout=20, what="the catalogue")
    yield


def new_ticket(hall) -> str:
    with hall_client(hall) as client:
        return client.post("/api/v1/requests", {"type": "咨询", "content": "请问社保卡怎么补办",
                                                "phone": PHONE}).data["ticket"]


def open_rating_for(ui, ticket):
    ui.app.show("home")
    ui.app.session.data["rating_subject"] = {"kind": "request", "ref": ticket, "proof": {"phone": PHONE}}
    ui.app.show("rating")
    ui.wait(lambda: ui.screen.name == "rating")
    ui.frames(3)


def sent_ratings(ui):
    return [r for r in ui.app.services.store.outbox_rows() if r.kind == "rating"]


def test_low_rating_needs_a_reason_then_goes_to_the_hall_once(ui, online, hall):
    ticket = new_ticket(hall)
    open_rating_for(ui, ticket)
    texts = ui.texts()
    assert all(w in texts for w in LEVEL_WORDS), "levels are words, not only stars or colours"
    assert all(w in texts for w in INDICATORS)
    assert f"12345 诉求: {ticket}\n联系电话: {PHONE_MASKED}" in texts, "what is rated, and the proof masked"
    assert_readable(ui)
    press(ui, find_button(ui, "非常不满意"))
    assert ui.screen.ids.why.parent is not None, "a low rating asks what went wrong"
    assert "等候时间太长" in ui.texts()
    press(ui, ui.screen.ids.submit)
    ui.frames(3)
    problem = ui.screen.ids.problem.text
    assert "差评需要说明原因" in problem and ui.screen.name == "rating"
    assert sent_ratings(ui) == [], "nothing leaves the terminal without a reason"
    press(ui, find_button(ui, "等候时间太长"))
    assert find_button(ui, "等候时间太长").text.startswith("✓")
    type_into(ui, ui.screen.ids.reason.ids.input, "排队一个多小时")
    # the efficiency indicator set apart from the level
    row = next(r for r in ui.screen.ids.indicators.children if r.children[-1].text == "办事效率")
    press(ui, next(b for b in row.scores.children if b.value == ("办事效率", 2)))
    press(ui, ui.screen.ids.submit)
    ui.wait(lambda: ui.screen.name == "rating.done", timeout=15, what="thanks")
    assert "感谢您的评价。" in ui.texts() and any("核实处理" in t for t in ui.texts())
    rows = sent_ratings(ui)
    assert len(rows) == 1 and rows[0].state == "sent"
    assert_readable(ui)
    # 一事一评: the same request again is refused by the hall, in plain words
    open_rating_for(ui, ticket)
    press(ui, find_button(ui, "5  非常满意"))
    assert ui.screen.ids.why.parent is None
    press(ui, ui.screen.ids.submit)
    ui.wait(lambda: "已评价过" in ui.screen.ids.problem.text, timeout=15, what="already rated")


def test_reason_payload_and_indicators_follow_the_level():
    from screens.rating import build_rating
    subject = {"kind": "request", "ref": "RQ20261123000001"}
    body, problem = build_rating(2, {}, [], " ", subject)
    assert body is None and "low rating needs a reason" in problem
    body, problem = build_rating(None, {}, [], "", subject)
    assert body is None and "how satisfied" in problem
    body, _ = build_rating(1, {"办事效率": 3}, ["Waited too long"], "太慢", subject)
    assert body["reason"] == "等候时间太长；太慢" and body["indicators"]["办事效率"] == 3
    assert body["indicators"]["整体满意度"] == 1 and len(body["indicators"]) == 5
    body, _ = build_rating(4, {}, [], "", subject)
    assert "reason" not in body
    assert build_rating(1, {}, [], "x" * 501, subject)[0] is None


def test_from_the_home_tile_by_receipt_number_and_by_service_name(ui, online, hall):
    ticket = new_ticket(hall)
    open_tile(ui, "rating")
    assert ui.screen.ids.picker.parent is not None
    press(ui, ui.screen.ids.submit)
    ui.frames(2)
    assert "请先选择要评价的内容" in ui.screen.ids.problem.text
    type_on_keyboard(ui, ui.screen.ids.ref, [*ticket[:2].lower(), "to:digits", *ticket[2:]])
    press(ui, ui.screen.ids.find)
    assert ui.app.session.data["rating_subject"] == {"kind": "request", "ref": ticket}
    assert ui.screen.ids.picker.parent is None
    # the hall takes a request's rating only from the one who filed it: the phone, on its keypad
    assert ui.screen.ids.proof_box.parent is not None and "联系电话" in " ".join(ui.texts())
    type_on_keyboard(ui, ui.screen.ids.proof, list(PHONE))
    press(ui, ui.screen.ids.prove)
    assert ui.app.session.data["rating_subject"]["proof"] == {"phone": PHONE}
    assert ui.screen.ids.proof_box.parent is None
    texts = " ".join(ui.texts())
    assert PHONE_MASKED in texts and PHONE not in texts, "the proof is shown masked"
    assert_readable(ui)
    press(ui, find_button(ui, "4  满意"))
    press(ui, ui.screen.ids.submit)
    ui.wait(lambda: ui.screen.name == "rating.done", timeout=15)
    press(ui, ui.screen.ids.home)
    ui.wait(lambda: ui.screen.name == "home")
    open_tile(ui, "rating")
    type_into(ui, ui.screen.ids.ref.ids.input, "身份证")
    press(ui, ui.screen.ids.find)
    ui.wait(lambda: ui.screen.ids.matches.children, timeout=10, what="matching services")
    pick = ui.screen.ids.matches.children[-1]
    name = pick.value["name"]
    press(ui, pick)
    assert f"服务事项: {name}" in ui.texts()
    press(ui, find_button(ui, "3  基本满意"))
    press(ui, ui.screen.ids.submit)
    ui.wait(lambda: ui.screen.name == "rating.done", timeout=15,
            what=f"thanks, not {ui.screen.name} {ui.texts()}")
    assert [r.state for r in sent_ratings(ui)] == ["sent", "sent"]


def pick_by_number(ui, number, proof=None):
    open_tile(ui, "rating")
    type_into(ui, ui.screen.ids.ref.ids.input, number)
    press(ui, ui.screen.ids.find)
    if proof is not None:
        type_into(ui, ui.screen.ids.proof.ids.input, proof)
        press(ui, ui.screen.ids.prove)
    press(ui, find_button(ui, "5  非常满意"))


def test_unknown_receipt_number_is_refused_in_words(ui, online):
    pick_by_number(ui, "RQ20260101999999", PHONE)
    press(ui, ui.screen.ids.submit)
    ui.wait(lambda: "没有找到该编号" in ui.screen.ids.problem.text, timeout=15)


def test_a_rating_without_or_with_a_wrong_proof_is_refused(ui, online, hall):
    """一事一评 stays the resident's: no proof, nothing leaves the terminal; a stranger's phone,
    the hall refuses it as it would an unknown number, the screen says so and asks again; the
    resident's own phone is then taken (the refusal did not use the one rating up)."""
    ticket = new_ticket(hall)
    pick_by_number(ui, ticket)
    press(ui, ui.screen.ids.submit)
    ui.frames(3)
    assert "请输入提出诉求时留下的联系电话" in ui.screen.ids.problem.text
    assert sent_ratings(ui) == [], "no rating is sent without proof"
    type_into(ui, ui.screen.ids.proof.ids.input, "138001")
    press(ui, ui.screen.ids.prove)
    assert ui.screen.ids.proof.problem, "not a phone number: said at once"
    assert "proof" not in ui.app.session.data["rating_subject"]
    ui.screen.ids.proof.value = ""
    type_into(ui, ui.screen.ids.proof.ids.input, "13912345678")  # a stranger's
    press(ui, ui.screen.ids.prove)
    press(ui, ui.screen.ids.submit)
    ui.wait(lambda: "没有找到该编号" in ui.screen.ids.problem.text, timeout=15, what="the refusal")
    assert "电话不符" in ui.screen.ids.problem.text
    assert [r.state for r in sent_ratings(ui)] == ["rejected"]
    assert ui.screen.ids.picker.parent is not None and "rating_subject" not in ui.app.session.data
    press(ui, ui.screen.ids.find)  # the number is still there; the proof is asked again
    type_into(ui, ui.screen.ids.proof.ids.input, PHONE)
    press(ui, ui.screen.ids.prove)
    press(ui, find_button(ui, "5  非常满意"))
    press(ui, ui.screen.ids.submit)
    ui.wait(lambda: ui.screen.name == "rating.done", timeout=15, what="the resident's own rating")
    assert [r.state for r in sent_ratings(ui)] == ["rejected", "sent"]


def test_english_elderly_rating_screen_is_readable(ui, online, hall):
    ui.app.lang, ui.app.elderly = "en", True
    open_rating_for(ui, new_ticket(hall))
    press(ui, find_button(ui, "Dissatisfied"))
    texts = ui.texts()
    assert "5  Very satisfied" in texts and "Waited too long" in texts
    assert_readable(ui)
    dp = ui.app.theme.scale
    for label in ui.labels():
        assert label.font_size >= 30 * dp - 0.01, label.text
    from kivy.uix.behaviors import ButtonBehavior
    for w in ui.widgets():
        if isinstance(w, ButtonBehavior) and w.opacity > 0:
            assert w.width >= 60 * dp and w.height >= 60 * dp, w.text


def test_voice_speaks_in_elderly_mode_by_default_and_follows_the_setting(ui, online):
    from screens.voice import voice_of
    voice = voice_of(ui.app)
    ui.app.show("home")
    before = len(voice.played)
    ui.app.idle.show_warning()
    ui.frames(3)
    assert voice.played[before:] == [], "normal mode is silent by default"
    ui.app.idle.keep_going()
    ui.app.elderly = True
    ui.app.idle.show_warning()
    ui.frames(3)
    assert voice.played[before:] == ["session_ending"], "elderly mode speaks by default"
    ui.app.idle.keep_going()
    ui.app.settings = ui.app.settings.replace(ui=dataclasses.replace(ui.app.settings.ui, voice="off"))
    ui.app.idle.show_warning()
    ui.frames(3)
    assert voice.say("take_receipt") is False
    assert voice.played[before:] == ["session_ending"], "voice off plays nothing, elderly mode too"
    ui.app.idle.keep_going()
    ui.app.elderly = False
    ui.app.settings = ui.app.settings.replace(ui=dataclasses.replace(ui.app.settings.ui, voice="on"))
    assert voice.say("take_receipt") is True and voice.played[-1] == "take_receipt"
