"""Appointments: 14 working days, slots from the outlet's periods, booking without overbooking, cancelling."""

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta

from testing.hall import OTHER, Client, Sign, person


def days(client, outlet="center", item="XK00101001"):
    return client.get(f"/api/v1/appointments/days?outlet_id={outlet}&item_code={item}")


def slots(client, day, outlet="center"):
    return client.get(f"/api/v1/appointments/slots?outlet_id={outlet}&date={day}").json()


def book(client, slot_id, who, item="XK00101001"):
    return client.post("/api/v1/appointments", {"slot_id": slot_id, "item_code": item, **who})


def test_days_are_the_next_14_working_days(client):
    answer = days(client).json()
    dates = [date.fromisoformat(d["date"]) for d in answer]
    assert len(dates) == 14 and all(d.weekday() < 5 for d in dates) and dates == sorted(dates)
    assert dates[0] > date.today() - timedelta(days=1)
    # Fixture outlet: 09:00-10:00 and 14:00-15:00 in 30 minute slots of capacity 2 = 8 places a day.
    assert all(d["available"] <= 8 for d in answer) and answer[-1]["available"] == 8


def test_slots_follow_the_periods(client):
    day = days(client).json()[-2]["date"]
    assert [(s["start"], s["end"], s["capacity"]) for s in slots(client, day)] == [
        ("09:00", "09:30", 2), ("09:30", "10:00", 2), ("14:00", "14:30", 2), ("14:30", "15:00", 2)]


def test_unknown_outlet_or_item(client):
    assert days(client, outlet="nowhere").status_code == 404
    assert days(client, outlet="town-a", item="GG00201001").status_code == 404   # takes no appointments
    assert days(client, item="XK00202001").status_code == 422


def test_book_and_cancel(client, applicant):
    day = days(client).json()[3]["date"]
    slot = slots(client, day)[1]
    booked = book(client, slot["slot_id"], applicant)
    assert booked.status_code == 201
    ticket = booked.json()
    assert (ticket["date"], ticket["start"], ticket["end"]) == (day, slot["start"], slot["end"])
    assert ticket["outlet"]["id"] == "center" and ticket["ticket"].startswith("Y0930")
    assert applicant["id_number"] not in booked.text
    after = next(s for s in slots(client, day) if s["slot_id"] == slot["slot_id"])
    assert after["booked"] == slot["booked"] + 1

    again = book(client, slots(client, day)[2]["slot_id"], applicant)
    assert again.status_code == 409 and again.json()["error"]["code"] == "already_booked"

    cancel = client.post(f"/api/v1/appointments/{ticket['booking_number']}/cancel",
                         {"id_number": applicant["id_number"]})
    assert cancel.status_code == 200 and cancel.json()["status"] == "cancelled"
    assert next(s for s in slots(client, day) if s["slot_id"] == slot["slot_id"])["booked"] == slot["booked"]
    twice = client.post(f"/api/v1/appointments/{ticket['booking_number']}/cancel",
                        {"id_number": applicant["id_number"]})
    assert twice.status_code == 409 and twice.json()["error"]["code"] == "already_cancelled"
    unknown = client.post("/api/v1/appointments/YY20260101000000/cancel", {"id_number": applicant["id_number"]})
    assert unknown.status_code == 404


def cancel(client, number, id_number):
    return client.post(f"/api/v1/appointments/{number}/cancel", {"id_number": id_number})


def test_only_the_resident_who_booked_can_cancel(hall, client, applicant):
    """Another resident's ID number is answered exactly like an unknown booking, so booking
    numbers cannot be probed; the booking stays. The resident's own cancels it from any terminal."""
    day = days(client).json()[6]["date"]
    slot = slots(client, day)[0]
    number = book(client, slot["slot_id"], applicant).json()["booking_number"]
    someone_else = person()["id_number"]
    wrong = cancel(client, number, someone_else)
    unknown = cancel(client, "YY20260101000000", someone_else)
    assert wrong.status_code == unknown.status_code == 404
    assert wrong.json() == unknown.json() == {"error": {"code": "not_found", "message": "booking not found"}}
    assert client.post(f"/api/v1/appointments/{number}/cancel", raw=b"").status_code == 422  # no proof
    assert client.post(f"/api/v1/appointments/{number}/cancel", {}).status_code == 422
    assert next(s for s in slots(client, day) if s["slot_id"] == slot["slot_id"])["booked"] == slot["booked"] + 1
    theirs = Client(hall.base, Sign(*OTHER))
    mine = cancel(theirs, number, applicant["id_number"].lower())
    assert mine.status_code == 200 and mine.json() == {"booking_number": number, "status": "cancelled"}
    assert next(s for s in slots(client, day) if s["slot_id"] == slot["slot_id"])["booked"] == slot["booked"]


def test_item_must_be_handled_by_the_outlet(client, applicant):
    slot = slots(client, days(client).json()[4]["date"])[0]
    response = book(client, slot["slot_id"], applicant, item="XK00202001")
    assert response.status_code == 422 and response.json()["error"]["fields"][0]["field"] == "body.item_code"


def test_no_overbooking_under_concurrency(hall, client):
    """50 residents booking the same slot at once, each from its own connection: exactly its
    capacity get a place, the rest slot_full, and the count stays true."""
    day = days(client).json()[-1]["date"]
    slot = slots(client, day)[-1]
    assert slot["booked"] == 0
    people, start = [person(100 + i) for i in range(50)], threading.Barrier(50)

    def one(who):
        own = Client(hall.base)
        start.wait()
        return book(own, slot["slot_id"], who)

    with ThreadPoolExecutor(50) as pool:
        answers = list(pool.map(one, people))
    codes = sorted(a.status_code for a in answers)
    assert codes == [201] * slot["capacity"] + [409] * (50 - slot["capacity"])
    assert {a.json()["error"]["code"] for a in answers if a.status_code == 409} == {"slot_full"}
    assert next(s for s in slots(client, day) if s["slot_id"] == slot["slot_id"])["booked"] == slot["capacity"]
    assert len({a.json()["ticket"] for a in answers if a.status_code == 201}) == slot["capacity"]
    left = {d["date"]: d["available"] for d in days(client).json()}
    assert left[day] == 8 - slot["capacity"]
