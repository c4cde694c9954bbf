"""kiosk.hall_api against a real `kiosk hall`: every function's answer has the shape its
TypedDict says (keys and value types, nested), a 404 look-up is None, and a hall that is
down is a HallError."""

import json
import sqlite3
import time
import types
import typing
import uuid
from datetime import date, timedelta

import pytest

from kiosk import hall_api
from kiosk.hall_client import HallError, HallRejected, HallUnreachable, HallUnreadable
from testing.materials import page_jpeg, ref, sha256, signature_png, tagged
from testing.processes import free_port
from testing.terminal_hall import RESIDENT, TERMINAL_ID, id_number

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 32  # the hall checks the signature only


def conforms(value, hint, where="answer"):
    """Fail unless `value` (plain JSON) is what the type hint from kiosk.hall_api says."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if typing.is_typeddict(hint):
        assert isinstance(value, dict), f"{where}: not an object"
        fields = typing.get_type_hints(hint)
        assert hint.__required_keys__ <= value.keys() <= fields.keys(), \
            f"{where}: keys {sorted(value)}, expected {sorted(hint.__required_keys__)} (of {sorted(fields)})"
        for key, item in value.items():
            conforms(item, fields[key], f"{where}.{key}")
    elif origin is list:
        assert isinstance(value, list), f"{where}: not a list"
        for i, item in enumerate(value):
            conforms(item, args[0], f"{where}[{i}]")
    elif origin is dict:
        assert isinstance(value, dict), f"{where}: not an object"
        for key, item in value.items():
            conforms(key, args[0], f"{where} key")
            conforms(item, args[1], f"{where}.{key}")
    elif origin in (typing.Union, types.UnionType):
        problems = []
        for option in args:
            try:
                return conforms(value, option, where)
            except AssertionError as e:
                problems.append(str(e))
        raise AssertionError(f"{where}: none of {args} ({problems})")
    elif origin is typing.Literal:
        assert value in args, f"{where}: {value!r} not one of {args}"
    elif hint is typing.Any:
        return
    elif hint is type(None):
        assert value is None, f"{where}: {value!r} is not null"
    elif hint is float:
        assert isinstance(value, (int, float)) and not isinstance(value, bool), f"{where}: {value!r}"
    elif hint is int:
        assert isinstance(value, int) and not isinstance(value, bool), f"{where}: {value!r} is not whole"
    else:
        assert isinstance(value, hint), f"{where}: {value!r} is not {hint.__name__}"


def test_the_shape_check_itself_fails_on_a_wrong_answer():
    with pytest.raises(AssertionError, match="keys"):
        conforms({"status": "ok"}, hall_api.Health)
    with pytest.raises(AssertionError, match="signal"):
        conforms({**APPLICATION_SAMPLE, "signal": "blue"}, hall_api.Application)
    with pytest.raises(AssertionError, match="timeline"):
        conforms({**APPLICATION_SAMPLE, "timeline": [{"stage": "收件"}]}, hall_api.Application)


APPLICATION_SAMPLE = {"number": "SB20260101000001", "item_code": "X", "item_name": "x", "status": "收件",
                      "submitted_at": "2026-01-01T09:00:00+08:00", "limit_days": 5, "due_date": "2026-01-08",
                      "elapsed_working_days": 0, "signal": "green", "timeline": [],
                      "applicant": {"name_masked": "张*", "id_masked": "1101**********0021"}}


@pytest.fixture(scope="module")
def client(hall):
    from kiosk.hall_client import HallClient
    from testing.terminal_hall import TERMINAL_SECRET
    with HallClient(hall.url, TERMINAL_ID, TERMINAL_SECRET, retries=0, timeout=10) as c:
        yield c


@pytest.fixture(scope="module")
def export(client):
    return hall_api.catalog_export(client)


def online_code(export):
    return next(i["code"] for i in export.items if i["online"])


def key():
    return uuid.uuid4().hex


# -- reads ----------------------------------------------------------------------------

def test_health_and_a_catalogue_page(client):
    health = hall_api.health(client)
    conforms(health, hall_api.Health)
    assert health["status"] == "ok"
    page = hall_api.catalog_page(client, q="sfz", limit=3)
    conforms(page, hall_api.CatalogPage)
    assert 1 <= len(page["items"]) <= 3 and page["total"] >= len(page["items"])
    assert hall_api.catalog_page(client, q="sfz", limit=1, offset=page["total"])["items"] == []


def test_the_catalogue_export_and_its_etag(client, export):
    assert isinstance(export, hall_api.CatalogExport)
    assert export.version and export.etag == f'"{export.version}"'
    conforms(export.items, list[hall_api.Item])
    assert len(export.items) > 100
    assert hall_api.catalog_export(client, export.etag) is None  # the copy is current: 304
    again = hall_api.catalog_export(client, '"some-older-version"')
    assert again.version == export.version and len(again.items) == len(export.items)


def test_outlets_and_notices(client):
    outlets = hall_api.outlets(client)
    conforms(outlets, list[hall_api.Outlet])
    assert len(outlets) == 11 and any(o["appointments"] for o in outlets)
    notices = hall_api.notices(client, limit=5)
    conforms(notices, list[hall_api.Notice])
    assert len(notices) == 5
    assert [n["published"] for n in notices] == sorted((n["published"] for n in notices), reverse=True)
    assert hall_api.notices(client, limit=5, offset=5)[0]["id"] not in {n["id"] for n in notices}


# -- applications ---------------------------------------------------------------------

def test_an_application_created_then_read_by_number_and_by_identity(client, export):
    id_no = id_number("11010519800101003")
    body = {"item_code": online_code(export), "applicant": {**RESIDENT, "id_number": id_no},
            "form": {"note": "typed api"}, "channel": "kiosk"}
    same_key = key()
    created = hall_api.create_application(client, body, same_key)
    assert isinstance(created, hall_api.Acknowledged) and created.replayed is False
    conforms(created.answer, hall_api.Application)
    number = created.answer["number"]

    again = hall_api.create_application(client, body, same_key)
    assert again.replayed is True and again.answer == created.answer  # one application, not two

    read = hall_api.application(client, number)
    conforms(read, hall_api.Progress)
    assert read["number"] == number and read["timeline"][0]["stage"] == "收件"
    mine = hall_api.applications_of(client, id_no)
    conforms(mine, list[hall_api.Progress])
    assert [a["number"] for a in mine] == [number]
    assert hall_api.applications_of(client, id_number("11010519800101011")) == []


def test_uploads_and_an_application_naming_them(client, export):
    page, signature = tagged(page_jpeg(3), "typed api"), signature_png(3)
    first = hall_api.upload(client, sha256(page), page, "image/jpeg")
    assert isinstance(first, hall_api.Acknowledged) and first.replayed is False
    conforms(first.answer, hall_api.Uploaded)
    assert first.answer == {"sha256": sha256(page), "size": len(page), "type": "image/jpeg"}
    assert hall_api.upload(client, sha256(page), page, "image/jpeg").replayed is True  # 200: had it
    hall_api.upload(client, sha256(signature), signature, "image/png")
    body: hall_api.NewApplication = {
        "item_code": online_code(export), "applicant": {**RESIDENT, "id_number": id_number("11010519800101003")},
        "form": {"note": "typed api"}, "materials": [{"key": "m1", "how": "camera", "pages": [ref(page)]}],
        "signature": ref(signature)}
    conforms(hall_api.create_application(client, body, key()).answer, hall_api.Application)
    with pytest.raises(HallRejected) as refused:
        hall_api.upload(client, "0" * 64, page, "image/jpeg")
    assert (refused.value.status, refused.value.code) == (422, "hash_mismatch")


def test_an_unknown_number_is_none_and_other_refusals_still_raise(client, export):
    assert hall_api.application(client, "SB20260101000000") is None  # 404
    with pytest.raises(HallRejected) as refused:
        hall_api.create_application(client, {"item_code": "NO-SUCH-ITEM", "applicant": {
            **RESIDENT, "id_number": id_number("11010519800101038")}}, key())
    assert refused.value.status == 422
    with pytest.raises(HallRejected) as refused:
        hall_api.applications_of(client, "not-an-id-number")
    assert refused.value.status == 422


# -- 12345, ratings, appointments -----------------------------------------------------

def test_a_request_and_its_rating(client):
    created = hall_api.create_request(client, {"type": "建议", "content": "希望自助终端增加夜间服务",
                                               "phone": RESIDENT["phone"]}, key())
    conforms(created.answer, hall_api.HotlineRequest)
    assert created.answer["ticket"].startswith("RQ") and created.answer["history"][0]["status"] == "受理"
    rating = {"level": 4, "indicators": {"整体满意度": 4, "办事效率": 4, "办事指南精确度": 5, "办事便捷度": 4,
                                        "平台操作性": 4},
              "subject": {"kind": "request", "ref": created.answer["ticket"]}}
    with pytest.raises(HallRejected) as unproven:  # only the resident who filed it may rate it
        hall_api.create_rating(client, rating, key())
    assert unproven.value.status == 422
    rating["proof"] = {"phone": RESIDENT["phone"]}
    rated = hall_api.create_rating(client, rating, key())
    conforms(rated.answer, hall_api.RatingId)
    with pytest.raises(HallRejected) as twice:  # 一事一评
        hall_api.create_rating(client, rating, key())
    assert (twice.value.status, twice.value.code) == (409, "already_rated")


def test_days_slots_and_a_booking(client):
    outlet = next(o for o in hall_api.outlets(client) if o["appointments"])
    item_code = outlet["items"][0]
    days = hall_api.appointment_days(client, item_code, outlet["id"])
    conforms(days, list[hall_api.Day])
    assert len(days) == 14 and all(date.fromisoformat(d["date"]) > date.today() for d in days)
    day = next(d["date"] for d in days if d["available"])
    slots = hall_api.appointment_slots(client, outlet["id"], day)
    conforms(slots, list[hall_api.Slot])
    slot = next(s for s in slots if s["booked"] < s["capacity"])
    booked = hall_api.book_appointment(client, {"slot_id": slot["slot_id"], "item_code": item_code,
                                                "name": RESIDENT["name"], "phone": RESIDENT["phone"],
                                                "id_number": id_number("11010519800101046")}, key())
    conforms(booked.answer, hall_api.Booking)
    assert (booked.answer["date"], booked.answer["start"], booked.answer["outlet"]["id"]) == \
        (day, slot["start"], outlet["id"])
    after = next(s for s in hall_api.appointment_slots(client, outlet["id"], day) if s["slot_id"] == slot["slot_id"])
    assert after["booked"] == slot["booked"] + 1
    far = (date.today() + timedelta(days=60)).isoformat()
    assert hall_api.appointment_slots(client, outlet["id"], far) == []  # outside the 14-day window


def test_days_at_an_outlet_without_appointments_is_a_404_refusal(client):
    outlet = next(o for o in hall_api.outlets(client) if o["appointments"])
    with pytest.raises(HallRejected) as refused:
        hall_api.appointment_days(client, outlet["items"][0], "no-such-outlet")
    assert refused.value.status == 404
    with pytest.raises(HallRejected) as refused:
        hall_api.appointment_days(client, "NO-SUCH-ITEM", outlet["id"])
    assert refused.value.status == 422


# -- the fleet ------------------------------------------------------------------------

def beat() -> hall_api.Heartbeat:
    return {"app_version": "test", "uptime_s": 5, "cpu_percent": 3.5, "memory_mb": 80.0, "disk_free_mb": 9000.0,
            "outbox_depth": 0, "outbox_oldest_s": None, "transactions_today": {"apply": 1},
            "devices": {"printer": {"health": "ok", "reason": "", "paper": "ok"}}, "last_errors": [],
            "screen": "attract"}


def queue_command(hall, kind: str) -> int:
    """Queue a command for this terminal in the hall's database, as the console's form does."""
    with sqlite3.connect(hall.db_url.removeprefix("sqlite:///"), timeout=30) as db:
        cursor = db.execute("INSERT INTO fleet_commands (terminal_id, kind, args, status, operator, created_at, "
                            "detail) VALUES (?, ?, ?, 'queued', 'test', ?, '')",
                            (TERMINAL_ID, kind, json.dumps({}), time.time()))
        return cursor.lastrowid


def test_a_heartbeat_brings_a_command_whose_screenshot_and_result_are_taken(hall, client):
    answer = hall_api.heartbeat(client, beat())
    conforms(answer, hall_api.HeartbeatAnswer)
    command_id = queue_command(hall, "screenshot")
    answer = hall_api.heartbeat(client, beat())
    conforms(answer, hall_api.HeartbeatAnswer)
    assert [(c["id"], c["kind"]) for c in answer["commands"]] == [(command_id, "screenshot")]

    stored = hall_api.upload_screenshot(client, command_id, PNG)
    conforms(stored.answer, hall_api.ScreenshotStored)
    assert stored.answer == {"id": command_id, "bytes": len(PNG)}
    same_key = f"command-{command_id}-result"
    reported = hall_api.command_result(client, command_id, {"ok": True, "detail": "uploaded"}, same_key)
    conforms(reported.answer, hall_api.CommandStatus)
    assert reported.answer == {"id": command_id, "status": "done"} and not reported.replayed
    assert hall_api.command_result(client, command_id, {"ok": True, "detail": "uploaded"}, same_key).replayed


def test_results_for_commands_the_hall_does_not_have_are_refused(client):
    with pytest.raises(HallRejected) as refused:
        hall_api.command_result(client, 987654, {"ok": True, "detail": ""}, key())
    assert refused.value.status == 404
    with pytest.raises(HallRejected) as refused:
        hall_api.upload_screenshot(client, 987654, PNG)
    assert refused.value.status == 404


# -- the hall down --------------------------------------------------------------------

CALLS = {
    "health": lambda c: hall_api.health(c),
    "catalog_page": lambda c: hall_api.catalog_page(c, limit=1),
    "catalog_export": lambda c: hall_api.catalog_export(c, '"v1"'),
    "application": lambda c: hall_api.application(c, "SB20260101000000"),
    "applications_of": lambda c: hall_api.applications_of(c, id_number("11010519800101011")),
    "outlets": lambda c: hall_api.outlets(c),
    "notices": lambda c: hall_api.notices(c),
    "appointment_days": lambda c: hall_api.appointment_days(c, "X", "qs-zwfw"),
    "appointment_slots": lambda c: hall_api.appointment_slots(c, "qs-zwfw", "2026-01-05"),
    "create_request": lambda c: hall_api.create_request(c, {"type": "咨询", "content": "五个字以上的",
                                                            "phone": RESIDENT["phone"]}, key()),
    "heartbeat": lambda c: hall_api.heartbeat(c, beat()),
    "command_result": lambda c: hall_api.command_result(c, 1, {"ok": True, "detail": ""}, key()),
    "upload_screenshot": lambda c: hall_api.upload_screenshot(c, 1, PNG),
    "upload": lambda c: hall_api.upload(c, "0" * 64, PNG, "image/png"),
}


@pytest.mark.parametrize("name", sorted(CALLS))
def test_the_hall_down_is_a_hall_error(name, client_for):
    down = client_for(f"http://127.0.0.1:{free_port()}", retries=0)
    with pytest.raises(HallUnreachable) as error:
        CALLS[name](down)
    assert isinstance(error.value, HallError) and "cannot reach the online hall" in str(error.value)


@pytest.mark.parametrize("name, body", [("health", b"[]"), ("outlets", b"{}"), ("notices", b'[1, 2]'),
                                        ("catalog_export", b'{"items": [{"name": "no code"}]}'),
                                        ("applications_of", b'{"items": {}}'), ("heartbeat", b"[]")])
def test_a_read_answered_in_the_wrong_shape_is_unreadable(name, body, stub_hall, client_for):
    url, stub = stub_hall
    stub.answer = (200, body)
    with pytest.raises(HallUnreadable, match="cannot read") as error:
        CALLS[name](client_for(url, retries=0))
    assert isinstance(error.value, HallError)


def test_a_post_the_hall_took_is_acknowledged_whatever_its_body(stub_hall, client_for):
    """The 2xx is the acknowledgement: a body that is not an object must not make the outbox
    send the submission again (it would only be replayed)."""
    url, stub = stub_hall
    stub.answer = (201, b"[]")
    taken = CALLS["create_request"](client_for(url, retries=0))
    assert taken == hall_api.Acknowledged(None, False)
