"""预约: item -> outlet -> day and time slot -> who and a contact phone -> booked -> printed ticket.

A booking needs the hall to be up. Days and slots come from it, and just before booking the
terminal asks for the day's slots again: when the hall cannot be reached the resident is told
so plainly and pointed to the 12345 hotline, and nothing is queued. Why not queue it like an
application: a booking waiting in the outbox could meet a full slot an hour later, after the
resident has left with a ticket that is worth nothing. The booking itself still goes through
the outbox (one idempotency key, never doubled); if the hall drops in the second between the
check and the booking, the screen says the booking is not confirmed and gives the local
reference, with the hotline to check it.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from kivy.factory import Factory
from kivy.lang import Builder
from kivy.properties import BooleanProperty, StringProperty

from kiosk.hall_client import HallError, HallRejected
from kiosk.privacy import mask_id_number, mask_name
from kiosk.receipts import booking_ticket
from screens.flow import (FlowScreen, LiveSearch, flow_data, name_problem, phone_problem, review_line,
                          show_done, submit_and_wait)
from screens.identify import BOOKED_AS, current_identity, id_number_problem, normalise_id
from screens.widgets import app

Builder.load_file(str(Path(__file__).with_name("booking.kv")))

HALL_DOWN = ("Appointments need the online hall, which cannot be reached now. Please call 12345 "
             "or book at a service window.")
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
REFUSALS = {  # the hall's 409 codes, in the resident's words
    "slot_full": "This time has just been fully booked. Please choose another time.",
    "slot_past": "This time can no longer be booked. Please choose a later day.",
    "already_booked": "You already have an appointment for this service on that day.",
}


def identity_of() -> tuple[str, str] | None:
    """(name, ID number) of the resident identified in this session, if any."""
    identity = current_identity()
    return (identity.name, identity.id_number) if identity and identity.name else None


def matching(catalog, query: str, items: list[dict]) -> list[dict]:
    """The items that a catalogue search for `query` finds (all of them when it is empty);
    blocking (disk)."""
    if not query:
        return items
    codes = {hit.item["code"] for hit in catalog.search(query, limit=200)}
    return [i for i in items if i["code"] in codes]


def _choice(label: str, value, on_choose, disabled: bool = False):
    button = Factory.ItemButton(label=label, value=value, disabled=disabled)
    button.bind(on_release=lambda b: on_choose(b.value))
    return button


class BookingItemScreen(FlowScreen):
    def on_kv_post(self, _base):
        self._all: list[dict] = []
        self.search = LiveSearch(matching, self._show_items, self._search_failed)
        self.ids.dock.watch_fields(self.ids.query)
        # pinyin letters still being typed are searched as initials ("sfz")
        self.ids.dock.on_typing(self.ids.query.ids.input, lambda _query: self.search.ask(*self._question()))

    def on_pre_enter(self, *_):
        self.ids.problem.text = app().t("Loading...")
        app().background(app().services.appointments.bookable_items, done=self._loaded, failed=self._failed)

    def _loaded(self, result) -> None:
        by_item, self._all = result
        flow_data("booking")["outlets_by_item"] = by_item
        self.ids.problem.text = ""
        self.search.now(*self._question())

    def _failed(self, error) -> None:
        self.search.drop()
        self._all = []
        self.ids.item_list.data = []
        self.ids.problem.text = app().t(HALL_DOWN if isinstance(error, HallError)
                                        else "The list of services is not available on this terminal yet.")

    def _search_failed(self, _error) -> None:
        self.ids.item_list.data = []
        self.ids.problem.text = app().t("The list of services is not available on this terminal yet.")

    def _question(self) -> tuple:
        return app().services.catalog, self.ids.dock.typed(self.ids.query.ids.input).strip(), self._all

    def _show_items(self, items: list[dict]) -> None:
        self.ids.item_list.data = [{"label": i["name"], "value": i["code"],
                                "on_release": (lambda code=i["code"]: self.choose(code))} for i in items]

    def choose(self, code: str) -> None:
        data = flow_data("booking")
        data["item"] = app().services.catalog.item(code)
        app().show("booking.outlet")


class BookingOutletScreen(FlowScreen):
    item_name = StringProperty("")

    def on_pre_enter(self, *_):
        data = flow_data("booking")
        item = data.get("item") or {}
        self.item_name = item.get("name", "")
        box = self.ids.outlets
        box.clear_widgets()
        for outlet in data.get("outlets_by_item", {}).get(item.get("code"), []):
            box.add_widget(_choice(f"{outlet['name']}\n{outlet.get('address', '')}", outlet, self.choose))

    def choose(self, outlet: dict) -> None:
        flow_data("booking")["outlet"] = outlet
        app().show("booking.time")


class BookingTimeScreen(FlowScreen):
    heading = StringProperty("")

    def on_pre_enter(self, *_):
        data = flow_data("booking")
        self.heading = f"{data['item']['name']}\n{data['outlet']['name']}"
        self.ids.days.clear_widgets()
        self.ids.slots.clear_widgets()
        self.ids.problem.text = app().t("Loading...")
        app().background(app().services.appointments.days, data["item"]["code"], data["outlet"]["id"],
                         done=self._days, failed=self._failed)

    def _failed(self, error) -> None:
        self.ids.problem.text = app().t(HALL_DOWN if not isinstance(error, HallRejected)
                                        else "This outlet does not take appointments for this service.")

    def _days(self, days: list[dict]) -> None:
        self.ids.problem.text = "" if any(d["available"] for d in days) else \
            app().t("No free times in the next two weeks. Please choose another outlet.")
        t = app().t
        for day in days:
            when = date.fromisoformat(day["date"])
            free = day["available"]
            status = t("{n} free").format(n=free) if free else t("Full")
            label = f"{day['date'][5:]} {t(WEEKDAYS[when.weekday()])}  {status}"
            self.ids.days.add_widget(_choice(label, day["date"], self.choose_day, disabled=not free))

    def choose_day(self, day: str) -> None:
        for button in self.ids.days.children:
            button.selected = button.value == day
        flow_data("booking")["date"] = day
        self.ids.slots.clear_widgets()
        app().background(app().services.appointments.slots, flow_data("booking")["outlet"]["id"], day,
                         done=self._slots, failed=self._failed)

    def _slots(self, slots: list[dict]) -> None:
        t = app().t
        self.ids.slots.clear_widgets()
        for slot in slots:
            free = slot["capacity"] - slot["booked"]
            status = t("{n} free").format(n=free) if free > 0 else t("Full")
            label = f"{slot['start']}-{slot['end']}  {status}"
            self.ids.slots.add_widget(_choice(label, slot, self.choose_slot, disabled=free <= 0))

    def choose_slot(self, slot: dict) -> None:
        flow_data("booking")["slot"] = slot
        app().show("booking.confirm")


class BookingConfirmScreen(FlowScreen):
    has_identity = BooleanProperty(False)
    booked_as = StringProperty("")  # message id: whose name the booking is in, and from where
    busy = BooleanProperty(False)

    def on_kv_post(self, _base):
        self._who_box = self.ids.who.__self__  # ids are weak: keep it alive while it is out
        self._who_parent = self.ids.who.parent
        self.ids.dock.watch_fields(self.ids.name, self.ids.id_number, self.ids.phone)

    def on_pre_enter(self, *_):
        data = flow_data("booking")
        identity = identity_of()
        self.has_identity = identity is not None
        self.booked_as = BOOKED_AS.get(current_identity().source, BOOKED_AS["manual"]) if identity else ""
        who = self._who_box
        if self.has_identity and who.parent is not None:
            who.parent.remove_widget(who)
        elif not self.has_identity and who.parent is None:
            self._who_parent.add_widget(who, index=1)
        lines = self.ids.lines
        lines.clear_widgets()
        slot = data["slot"]
        lines.add_widget(review_line("Item", data["item"]["name"]))
        lines.add_widget(review_line("Place", data["outlet"]["name"]))
        lines.add_widget(review_line("Date", data["date"]))
        lines.add_widget(review_line("Time", f"{slot['start']}-{slot['end']}"))
        if identity:
            privacy = app().settings.privacy
            lines.add_widget(review_line("Name", mask_name(identity[0])))
            lines.add_widget(review_line("ID number", mask_id_number(
                identity[1], privacy.id_show_head, privacy.id_show_tail)))
        self.ids.problem.text = ""

    def _who(self) -> tuple[str, str, str] | None:
        """(name, ID number, phone) when all are right; else the problems are shown."""
        identity = identity_of()
        name, number = identity or (self.ids.name.value, normalise_id(self.ids.id_number.value))
        phone = self.ids.phone.value
        self.ids.phone.problem = phone_problem(phone)
        if identity is None:
            self.ids.name.problem = name_problem(name, required=True)
            self.ids.id_number.problem = id_number_problem(number)
        fields = (self.ids.phone,) if identity else (self.ids.phone, self.ids.name, self.ids.id_number)
        return None if any(f.problem for f in fields) else (name, number, phone)

    def book(self) -> None:
        who = self._who()
        if who is None:
            self.ids.problem.text = app().t("Please correct the fields marked above.")
            return
        data = flow_data("booking")
        payload = {"slot_id": data["slot"]["slot_id"], "item_code": data["item"]["code"],
                   "name": who[0], "id_number": who[1], "phone": who[2]}
        data["proof"] = {"id_number": who[1]}  # for rating the booking (hall/api/ratings.py)
        self.busy = True
        self.ids.problem.text = ""
        app().background(book, payload, data["outlet"]["id"], data["date"], done=self._answered,
                         failed=self._failed)

    def _failed(self, error) -> None:
        self.busy = False
        self.ids.problem.text = app().t(HALL_DOWN if isinstance(error, HallError)
                                        else "This terminal could not book the appointment. "
                                             "Please call 12345 or book at a service window.")

    def _answered(self, result) -> None:
        self.busy = False
        ref, row = result
        if row is not None and row.state == "sent":
            flow_data("booking")["booked"] = row.answer
            show_done("booking.done")
        elif row is not None and row.state == "rejected":
            code = (row.answer or {}).get("code", "")
            self.ids.problem.text = app().t(REFUSALS.get(
                code, "The online hall did not accept this booking. Please check what you entered."))
        else:
            self.ids.problem.text = app().t(
                "The online hall stopped answering: your booking is not confirmed yet. It will be "
                "sent automatically; please call 12345 to check it. Reference: {ref}").format(ref=ref)


def book(payload: dict, outlet_id: str, day: str):
    """Check the hall answers (and the slot still has room), then book through the outbox.
    Blocking: run through app.background. Raises HallError when the hall is down."""
    if app().services.appointments.slot_full(outlet_id, day, payload["slot_id"]):
        return "", _Refused("slot_full")
    return submit_and_wait("appointment", payload)


class _Refused:
    """Stands for an outbox row the hall refused, when the terminal knew before sending."""

    state = "rejected"

    def __init__(self, code: str):
        self.answer = {"code": code}


class BookingDoneScreen(FlowScreen):
    ticket = StringProperty("")

    def on_pre_enter(self, *_):
        data = flow_data("booking")
        booked = dict(data["booked"])
        booked.update(outlet=data["outlet"], item_name=data["item"]["name"])
        self.ticket = booked.get("ticket", "")
        lines = self.ids.lines
        lines.clear_widgets()
        lines.add_widget(review_line("Booking number", booked.get("booking_number", "")))
        lines.add_widget(review_line("Item", booked["item_name"]))
        lines.add_widget(review_line("Date", booked.get("date", "")))
        lines.add_widget(review_line("Time", f"{booked.get('start', '')}-{booked.get('end', '')}"))
        lines.add_widget(review_line("Place", f"{data['outlet']['name']} {data['outlet'].get('address', '')}"))
        self.ids.receipt.print(booking_ticket(booked, app().lang))

    def rate(self) -> None:
        booked = flow_data("booking")["booked"]
        app().session.data["rating_subject"] = {"kind": "booking", "ref": booked["booking_number"],
                                                "proof": dict(flow_data("booking").get("proof", {}))}
        app().show("rating")

    def on_wiped(self) -> None:
        super().on_wiped()
        self.ids.lines.clear_widgets()


SCREENS = {"booking": BookingItemScreen, "booking.outlet": BookingOutletScreen,
           "booking.time": BookingTimeScreen, "booking.confirm": BookingConfirmScreen,
           "booking.done": BookingDoneScreen}


def screenshot_setup(kiosk_app, arg: str):
    """"": the items (from the hall); "time" / "confirm" / "done": a fictional booking."""
    if not arg:
        kiosk_app.show("booking")
        return None
    from datetime import timedelta
    day = date.today() + timedelta(days=1)
    outlet = {"id": "qs-zwfw", "name": "县政务服务中心", "address": "城关镇人民路 88 号", "appointments": True}
    slot = {"slot_id": "demo-1", "start": "09:00", "end": "09:30", "capacity": 6, "booked": 2}
    flow_data("booking").update(item={"code": "GF00101001", "name": "居民身份证换领"}, outlet=outlet,
                                date=day.isoformat(), slot=slot)
    if arg == "time":
        screen = kiosk_app.screen("booking.time")
        screen.on_pre_enter = lambda *_: None  # no hall here: the days and slots are drawn below
        kiosk_app.show("booking.time")
        screen.heading = "居民身份证换领\n县政务服务中心"
        screen.ids.problem.text = ""
        screen._days([{"date": (day + timedelta(days=n)).isoformat(), "available": 0 if n == 2 else 12 - n}
                      for n in range(5)])
        screen._slots([slot, {**slot, "slot_id": "demo-2", "start": "09:30", "end": "10:00", "booked": 6},
                       {**slot, "slot_id": "demo-3", "start": "10:00", "end": "10:30", "booked": 0}])
    elif arg == "confirm":
        kiosk_app.show("booking.confirm")
        kiosk_app.screen("booking.confirm").ids.id_number.ids.input.focus = True  # the ID keypad
    else:
        flow_data("booking")["booked"] = {"booking_number": "YY20261124000007", "ticket": "Y0900-07",
                                          "date": day.isoformat(), "start": "09:00", "end": "09:30"}
        kiosk_app.show("booking.done")
    return None
