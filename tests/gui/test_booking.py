"""预约 on the real app against a running hall: item -> outlet -> day -> slot (full ones say so)
-> who -> booked, the ticket printed in the printer emulator; hall down -> plain words, nothing
queued; a bad ID number refused; an identity read from a card is used masked."""

from __future__ import annotations

import os
import threading

import pytest

os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
from testing.gui import (widget_image, ONLY_PRINTER, press, HallProcess, assert_readable, attach_printer, dead_hall_url,
                          detach_printer, find_button, hall_client, hall_settings, open_tile,
                          type_into, type_on_keyboard)
from testing.terminal_hall import id_number

pytestmark = pytest.mark.gui
NAME, PHONE = "赵六一", "13700001111"
ID_NO = id_number("43012219800101001")


@pytest.fixture(scope="module")
def hall(tmp_path_factory):
    folder = tmp_path_factory.mktemp("booking-hall")
    process = HallProcess(folder / "hall.sqlite3", log_path=folder / "hall.log").start()
    yield process
    process.stop()


@pytest.fixture
def online(ui, hall):
    ui.app.apply_settings(hall_settings(hall.url, **ONLY_PRINTER))
    ui.wait(lambda: ui.app.services.catalog.version is not None, timeout=20, what="the catalogue")
    printer = attach_printer(ui)
    yield printer
    detach_printer(ui, printer)


def choose_item_and_outlet(ui, query="sfz"):
    open_tile(ui, "booking")
    items = ui.screen.ids.item_list
    ui.wait(lambda: items.data, timeout=10, what="bookable items")
    total = len(items.data)
    if query:
        type_into(ui, ui.screen.ids.query.ids.input, query)
        ui.wait(lambda: 0 < len(items.data) < total, what="search results")
    first = items.data[0]
    ui.frames(3)
    press(ui, find_button(ui, first["label"]))
    ui.wait(lambda: ui.screen.name == "booking.outlet", what="outlets")
    assert_readable(ui)
    press(ui, ui.screen.ids.outlets.children[-1])
    ui.wait(lambda: ui.screen.name == "booking.time", what="days")
    ui.wait(lambda: ui.screen.ids.days.children, timeout=10, what="the days")
    return first


def first_free(buttons):
    return next(b for b in reversed(buttons) if not b.disabled)


def fill_slot(hall, slot_id, item_code, count):
    with hall_client(hall) as client:
        for n in range(count):
            client.post("/api/v1/appointments", {
                "slot_id": slot_id, "item_code": item_code, "name": "测试居民",
                "id_number": id_number(f"11010119900101{n:03d}"), "phone": "13800138000"})


def test_booking_end_to_end_with_a_printed_ticket_and_full_slots_in_words(ui, online, hall):
    item = choose_item_and_outlet(ui)
    screen = ui.screen
    day = first_free(screen.ids.days.children)
    assert "余" in day.text and "周" in day.text
    press(ui, day)
    ui.wait(lambda: screen.ids.slots.children, timeout=10, what="slots")
    assert day.selected and day.text.startswith("✓")
    first_slot = screen.ids.slots.children[-1]
    fill_slot(hall, first_slot.value["slot_id"], item["value"],
              first_slot.value["capacity"] - first_slot.value["booked"])
    ui.tap(day)  # the day again: slots are fetched fresh
    ui.wait(lambda: screen.ids.slots.children and screen.ids.slots.children[-1].disabled, timeout=10,
            what="the full slot")
    full = screen.ids.slots.children[-1]
    assert "已约满" in full.text, "a full slot says so in words, not only by colour"
    inside = widget_image(ui.screenshot(), full)
    w, h = inside.size
    words = inside.crop((int(w * 0.04), int(h * 0.25), int(w * 0.6), int(h * 0.75))).convert("L")
    assert min(words.getdata()) < 110, "the words on a full slot are drawn dark enough to read"
    assert_readable(ui)
    press(ui, full)
    assert ui.screen.name == "booking.time", "a full slot cannot be chosen"
    slot_button = first_free(screen.ids.slots.children)
    slot = slot_button.value
    press(ui, slot_button)
    ui.wait(lambda: ui.screen.name == "booking.confirm", what="confirm")
    confirm = ui.screen
    type_into(ui, confirm.ids.name.ids.input, NAME)
    type_into(ui, confirm.ids.id_number.ids.input, ID_NO[:-1] + ("0" if ID_NO[-1] != "0" else "1"))
    type_into(ui, confirm.ids.phone.ids.input, PHONE)
    press(ui, confirm.ids.book)
    ui.frames(3)
    assert ui.screen.name == "booking.confirm"
    assert "校验不通过" in confirm.ids.id_number.ids.problem.text
    assert ui.app.services.outbox.depth() == 0
    confirm.ids.id_number.value = ""
    type_on_keyboard(ui, confirm.ids.id_number, ID_NO)  # the ID number keypad, with X
    press(ui, confirm.ids.book)
    ui.wait(lambda: ui.screen.name == "booking.done", timeout=15, what="the booking")
    done = ui.screen
    ticket = done.ticket
    assert ticket.startswith("Y" + slot["start"].replace(":", "")) and ticket in ui.texts()
    booking_number = ui.app.session.data["booking"]["booked"]["booking_number"]
    assert booking_number.startswith("YY")
    assert online.emulator.wait_for_jobs(1, timeout=10)
    job = online.emulator.jobs[-1]
    assert ticket in job.text and booking_number in job.text and slot["start"] in job.text
    assert NAME not in job.text and ID_NO not in job.text
    ui.wait(lambda: done.ids.receipt.printed, what="printed")
    texts = " ".join(ui.texts())
    assert ID_NO not in texts and NAME not in texts
    assert_readable(ui)
    with hall_client(hall) as client:
        slots = client.get("/api/v1/appointments/slots",
                           params={"outlet_id": ui.app.session.data["booking"]["outlet"]["id"],
                                   "date": ui.app.session.data["booking"]["date"]}).data
    assert next(s for s in slots if s["slot_id"] == slot["slot_id"])["booked"] == slot["booked"] + 1
    press(ui, done.ids.rate)
    ui.wait(lambda: ui.screen.name == "rating")
    assert ui.app.session.data["rating_subject"] == {"kind": "booking", "ref": booking_number,
                                                     "proof": {"id_number": ID_NO}}
    assert ID_NO not in " ".join(ui.texts()), "the proof, masked"
    press(ui, find_button(ui, "5  非常满意"))
    press(ui, ui.screen.ids.submit)
    ui.wait(lambda: ui.screen.name == "rating.done", timeout=15, what="the hall took the rating with its proof")
    # 返回 after a finished booking goes home, never to a live 预约; the same booking made again
    # from its confirm screen is the same booking on the hall
    press(ui, find_button(ui, "返回"))
    ui.wait(lambda: ui.screen.name == "home", what="home after the rating")
    ui.app.show("booking.confirm")
    ui.frames(2)
    press(ui, ui.screen.ids.book)
    ui.wait(lambda: ui.screen.name == "booking.done", timeout=15, what="the booking again")
    assert ui.app.session.data["booking"]["booked"]["booking_number"] == booking_number
    with hall_client(hall) as client:
        slots = client.get("/api/v1/appointments/slots",
                           params={"outlet_id": ui.app.session.data["booking"]["outlet"]["id"],
                                   "date": ui.app.session.data["booking"]["date"]}).data
    assert next(s for s in slots if s["slot_id"] == slot["slot_id"])["booked"] == slot["booked"] + 1
    assert hall.count("bookings", slot_id=slot["slot_id"]) == slot["booked"] + 1
    press(ui, find_button(ui, "返回"))
    ui.wait(lambda: ui.screen.name == "home", what="home from the done screen")


def test_the_item_search_runs_on_a_worker_once_typing_pauses(ui, online, monkeypatch):
    open_tile(ui, "booking")
    items = ui.screen.ids.item_list
    ui.wait(lambda: items.data, timeout=10, what="bookable items")
    total = len(items.data)
    catalog, searched_on = ui.app.services.catalog, []
    real_search = catalog.search

    def search(*args, **kwargs):
        searched_on.append(threading.current_thread())
        return real_search(*args, **kwargs)
    monkeypatch.setattr(catalog, "search", search)
    field = ui.screen.ids.query.ids.input
    for typed in ("s", "sf", "sfz"):
        field.text = typed
    ui.wait(lambda: 0 < len(items.data) < total, what="search results")
    assert len(searched_on) == 1, "typing fast asks the catalogue once"
    assert searched_on[0] is not threading.main_thread(), "never on the UI thread"
    found = {hit.item["code"] for hit in real_search("sfz", limit=200)}
    assert {row["value"] for row in items.data} <= found


def test_identity_from_a_card_is_used_and_shown_masked(ui, online):
    from screens.identify import ResidentIdentity
    ui.app.session.data["identity"] = ResidentIdentity("钱多多", id_number("43012219900202002"), "idcard")
    choose_item_and_outlet(ui, query="")
    press(ui, first_free(ui.screen.ids.days.children))
    ui.wait(lambda: ui.screen.ids.slots.children, timeout=10)
    press(ui, first_free(ui.screen.ids.slots.children))
    ui.wait(lambda: ui.screen.name == "booking.confirm")
    texts = " ".join(ui.texts())
    assert "钱*多" in texts and "4301**********" in texts and "钱多多" not in texts
    assert ui.screen.ids.who.parent is None, "no name/ID fields when the card was read"
    type_on_keyboard(ui, ui.screen.ids.phone, PHONE)
    press(ui, ui.screen.ids.book)
    ui.wait(lambda: ui.screen.name == "booking.done", timeout=15)
    assert online.emulator.wait_for_jobs(1, timeout=10)


def test_the_words_say_where_the_identity_came_from(ui, online):
    """"Your ID card was read" only after an ID card; typed by hand, other words."""
    from screens.identify import ResidentIdentity
    choose_item_and_outlet(ui, query="")
    press(ui, first_free(ui.screen.ids.days.children))
    ui.wait(lambda: ui.screen.ids.slots.children, timeout=10)
    press(ui, first_free(ui.screen.ids.slots.children))
    ui.wait(lambda: ui.screen.name == "booking.confirm")
    for source, words in [("manual", "将以您输入的身份信息预约。"), ("sscard", "已读取您的社保卡，将以此身份预约。"),
                          ("idcard", "已读取您的身份证，将以此身份预约。")]:
        ui.app.session.data["identity"] = ResidentIdentity("钱多多", id_number("43012219900202002"), source)
        ui.app.show("booking.outlet")
        ui.app.show("booking.confirm")  # entered again: it reads who the resident is
        ui.frames(3)
        texts = ui.texts()
        assert words in texts and (source == "idcard" or not any("身份证，" in t for t in texts)), source
        assert_readable(ui)


def test_hall_down_says_so_and_queues_nothing(ui):
    ui.app.apply_settings(hall_settings(dead_hall_url(), **ONLY_PRINTER))
    open_tile(ui, "booking")
    problem = ui.screen.ids.problem
    ui.wait(lambda: "12345" in problem.text, timeout=20, what="the hall-down message")
    assert "无法连接" in problem.text and ui.screen.ids.item_list.data == []
    assert ui.app.services.outbox.depth() == 0
    assert_readable(ui)
