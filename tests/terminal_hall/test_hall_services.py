"""The services the screens call (kiosk.progress, kiosk.appointments, kiosk.public_info)
against a real `kiosk hall`, and with the hall down or answering nonsense."""

import json
import logging
import uuid

import pytest

from kiosk import hall_api, paths
from kiosk.appointments import Appointments
from kiosk.catalog import Catalog
from kiosk.hall_client import HallError, HallRejected
from kiosk.outbox import Outbox
from kiosk.progress import Progress
from kiosk.public_info import PublicInfo, notice_titles
from kiosk.store import Store
from testing.processes import free_port
from testing.terminal_hall import RESIDENT, application, id_number

SEED_OUTLETS = json.loads((paths.SEED / "outlets.json").read_text(encoding="utf-8"))
SEED_NOTICES = json.loads((paths.SEED / "notices.json").read_text(encoding="utf-8"))


@pytest.fixture
def store(tmp_path):
    s = Store(tmp_path / "terminal.sqlite3")
    yield s
    s.close()


@pytest.fixture
def client(hall, client_for):
    return client_for(hall.url, retries=0)


@pytest.fixture
def down(client_for):
    return client_for(f"http://127.0.0.1:{free_port()}", retries=0)


# -- outlets and notices -----------------------------------------------------------------

def test_outlets_and_notices_come_from_the_hall(client):
    info = PublicInfo(client)
    outlets, offline = info.outlets()
    assert not offline and {o["id"] for o in outlets} == {o["id"] for o in SEED_OUTLETS}
    assert all("appointments" in o for o in outlets)  # the hall's shape, not the seed file's
    notices = info.notices(3)
    assert notices.offline is False and len(notices.records) == 3
    newest = sorted(SEED_NOTICES, key=lambda n: n["published"], reverse=True)[:3]
    assert [n["published"] for n in notices.records] == [n["published"] for n in newest]


def test_with_the_hall_down_the_bundled_copy_is_shown_and_said_to_be_one(down):
    info = PublicInfo(down)
    assert info.outlets() == (SEED_OUTLETS, True)
    records, offline = info.notices(5)
    assert offline and len(records) == 5
    assert records == sorted(SEED_NOTICES, key=lambda n: n["published"], reverse=True)[:5]


def test_a_hall_answering_nonsense_falls_back_too_and_says_why(stub_hall, client_for, caplog):
    url, stub = stub_hall
    stub.answer = (200, b'{"not": "a list"}')
    caplog.set_level(logging.INFO, "kiosk.public_info")
    assert PublicInfo(client_for(url, retries=0)).outlets() == (SEED_OUTLETS, True)
    assert any(r.levelno == logging.WARNING and "cannot read" in r.getMessage() for r in caplog.records)


def test_the_attract_screen_titles_are_the_newest_of_the_bundled_copy():
    newest = sorted(SEED_NOTICES, key=lambda n: n["published"], reverse=True)
    assert notice_titles(3) == [n["title"] for n in newest[:3]]
    assert notice_titles() == [n["title"] for n in newest[:5]]


# -- progress -----------------------------------------------------------------------------

def test_progress_by_number_identity_and_local_reference(hall, client, down, store):
    catalog = Catalog(store, client)
    catalog.refresh()
    code = next(i["code"] for i in catalog.items() if i["online"])
    id_no = id_number("11010519850505002")
    outbox = Outbox(store, down, base_delay=0.05, max_delay=0.2)  # the hall is away when it is queued
    ref = outbox.submit("application", application(code, id_no, "progress service"))

    progress = Progress(client, outbox, catalog)
    local = progress.by_local_reference(ref)
    assert local == {"local": {"ref": ref, "state": "queued", "attempts": 0, "number": "",
                               "item_name": catalog.item(code)["name"]}}
    assert progress.by_local_reference("LOCAL-ZZZZZZZZ") == {}

    outbox.client = client  # the hall is back
    assert outbox.send_now().sent == 1
    found = progress.by_local_reference(ref)
    number = found["local"]["number"]
    assert found["local"]["state"] == "sent" and number.startswith("SB")
    assert [a["number"] for a in found["applications"]] == [number]
    assert [a["number"] for a in progress.by_number(number)] == [number]
    assert [a["number"] for a in progress.by_identity(id_no)] == [number]
    assert progress.by_number("SB20260101000000") == []  # unknown: nothing, not an error

    offline = Progress(down, outbox, catalog)
    assert offline.by_local_reference(ref)["local"]["number"] == number  # still known locally
    assert "applications" not in offline.by_local_reference(ref)
    with pytest.raises(HallError):
        offline.by_number(number)
    with pytest.raises(HallError):
        offline.by_identity(id_no)


# -- appointments -------------------------------------------------------------------------

def test_bookable_items_days_slots_and_the_check_before_booking(client, store):
    catalog = Catalog(store, client)  # no copy yet: bookable_items refreshes it first
    appointments = Appointments(client, catalog)
    by_item, items = appointments.bookable_items()
    assert items and [i["code"] for i in items] == sorted(i["code"] for i in items)
    assert all(by_item[i["code"]] and all(o["appointments"] for o in by_item[i["code"]]) for i in items)

    code = items[0]["code"]
    outlet = by_item[code][0]
    day = next(d["date"] for d in appointments.days(code, outlet["id"]) if d["available"])
    slot = next(s for s in appointments.slots(outlet["id"], day) if s["booked"] == 0)
    assert appointments.slot_full(outlet["id"], day, slot["slot_id"]) is False
    for n in range(slot["capacity"]):
        hall_api.book_appointment(client, {"slot_id": slot["slot_id"], "item_code": code,
                                           "name": RESIDENT["name"], "phone": RESIDENT["phone"],
                                           "id_number": id_number(f"110105197001{n + 1:02d}003")}, uuid.uuid4().hex)
    assert appointments.slot_full(outlet["id"], day, slot["slot_id"]) is True
    assert appointments.slot_full(outlet["id"], day, 987654321) is False  # not listed: the hall decides

    with pytest.raises(HallRejected) as refused:
        appointments.days(code, "no-such-outlet")
    assert refused.value.status == 404


def test_appointments_with_the_hall_down_raise_and_fall_back_to_nothing(down, store):
    appointments = Appointments(down, Catalog(store, down))
    for ask in (appointments.bookable_items, lambda: appointments.days("X", "qs-zwfw"),
                lambda: appointments.slots("qs-zwfw", "2026-01-05"),
                lambda: appointments.slot_full("qs-zwfw", "2026-01-05", 1)):
        with pytest.raises(HallError):
            ask()
