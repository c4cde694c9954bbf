"""12345 诉求: type -> what happened, where, contact phone, name -> review -> submit -> ticket.

The request goes through the durable outbox; the screen waits a few seconds for the hall's
ticket number and otherwise shows the local reference (the outbox sends it later, once).
The ticket is printed; when the printer fails its QR code is shown instead.

This module also holds the pieces the booking and rating flows share (form fields, choice
buttons, the receipt box, waiting for the hall's answer); its kv file defines them.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

from kivy.lang import Builder
from kivy.properties import BooleanProperty, ListProperty, ObjectProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.label import Label

from kiosk.privacy import mask_name, mask_phone
from hardware.model import DeviceError
from kiosk.receipts import PrintOutcome, print_receipt, receipt_qr, request_ticket
from screens.voice import voice_of
from screens.widgets import KioskButton, KioskInput, KioskScreen, app

Builder.load_file(str(Path(__file__).with_name("hotline.kv")))

# (type as the hall names it, English message id, one-line explanation)
TYPES = [
    ("咨询", "Enquiry", "Ask about a policy or how to get something done"),
    ("求助", "Request for help", "Ask for help with a problem in daily life"),
    ("投诉", "Complaint", "Tell us about poor service or a wrong done to you"),
    ("建议", "Suggestion", "Suggest how things could be done better"),
    ("举报", "Report", "Report something against the law or the rules"),
]
TYPE_LABELS = {name: label for name, label, _hint in TYPES}
# The hall's own checks (hall/checks.py, docs/hall-api.md), repeated here so a resident hears
# about a wrong number before submitting rather than after.
MOBILE = re.compile(r"1[3-9]\d{9}")
LANDLINE = re.compile(r"0\d{2,3}-?\d{7,8}")
NAME = re.compile(r"(?:[^\W\d_]|[·・.'\- ])+")
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
PRINT_TIMEOUT = 30.0  # a long receipt on a slow serial printer
WAIT_FOR_HALL = 8.0  # seconds a screen waits for the hall's answer before showing the local reference

PHONE_PROBLEM = "Please enter a mobile number (11 digits starting with 1) or a landline such as 0748-8220168."
NAME_PROBLEM = "A name may hold only letters, and · . ' - or spaces."
TEXT_PROBLEM = "Please remove special characters from the text."


# checks ----------------------------------------------------------------------------------
def phone_problem(phone: str) -> str:
    return "" if MOBILE.fullmatch(phone) or LANDLINE.fullmatch(phone) else PHONE_PROBLEM


def name_problem(name: str, required: bool = False) -> str:
    if not name:
        return "Please enter your name." if required else ""
    return "" if len(name) <= 50 and NAME.fullmatch(name) else NAME_PROBLEM


def check_request(fields: dict) -> dict[str, str]:
    """Problems (field -> message id) with a 12345 request's fields; empty when it can go."""
    problems = {}
    content, location = fields.get("content", ""), fields.get("location", "")
    if CONTROL.search(content):
        problems["content"] = TEXT_PROBLEM
    elif len(content) < 5:
        problems["content"] = "Please describe your request in at least 5 characters."
    elif len(content) > 1000:
        problems["content"] = "The description is too long: at most 1000 characters."
    if CONTROL.search(location):
        problems["location"] = TEXT_PROBLEM
    elif len(location) > 200:
        problems["location"] = "The place is too long: at most 200 characters."
    if phone_problem(fields.get("phone", "")):
        problems["phone"] = PHONE_PROBLEM
    if name_problem(fields.get("name", "")):
        problems["name"] = NAME_PROBLEM
    return problems


# shared pieces -----------------------------------------------------------------------------
def submit_and_wait(kind: str, payload: dict, timeout: float = WAIT_FOR_HALL):
    """Queue a submission and wait up to `timeout` s for the hall's answer; blocking (run it
    through app.background). Returns (local reference, outbox row: sent, rejected or queued)."""
    outbox = app().services.outbox
    ref = outbox.submit(kind, payload)
    deadline = time.monotonic() + timeout
    while True:
        row = outbox.lookup(ref)
        tried_and_deferred = row is not None and row.state == "queued" and row.attempts > 0
        if row is None or row.state != "queued" or tried_and_deferred or time.monotonic() >= deadline:
            return ref, row
        time.sleep(0.1)


def print_on_printer(hub, receipt) -> PrintOutcome:
    """Print on the printer's own thread (the DeviceHub runs every device call there) or say
    why not. Blocking: run it through app.background."""
    if hub is None or "printer" not in hub.kinds() or hub.url("printer").startswith("none:"):
        return print_receipt(None, receipt)  # "This terminal has no printer."
    try:
        return hub.call("printer", lambda device: print_receipt(device, receipt), timeout=PRINT_TIMEOUT)
    except DeviceError:  # not open (failed or still opening), or no answer in time
        return PrintOutcome(False, "The printer is offline.", "offline")


class FlowProblem(Label):
    """A problem in plain words on a warning background (empty: takes no room)."""


class FlowInput(KioskInput):
    pass


class FlowField(BoxLayout):
    label = StringProperty("")    # message id
    hint = StringProperty("")     # message id
    problem = StringProperty("")  # message id
    multiline = BooleanProperty(False)
    input_filter = ObjectProperty(None, allownone=True)
    # the on-screen keyboard it opens (screens.widgets.KeyboardDock), and what it may switch to
    keyboard = StringProperty("pinyin")
    keyboards = ListProperty(["pinyin", "letters", "digits"])

    def on_problem(self, *_):
        self.ids.problem.text = app().t(self.problem) if self.problem else ""

    @property
    def value(self) -> str:
        return self.ids.input.text.strip()

    @value.setter
    def value(self, text: str) -> None:
        self.ids.input.text = text

    def clear(self) -> None:
        self.ids.input.focus = False
        self.ids.input.text, self.problem = "", ""


class ChoiceButton(KioskButton):
    """A button that is one of several choices; the chosen one is filled and ticked (✓),
    so the choice never rests on colour alone."""

    label = StringProperty("")
    hint = StringProperty("")
    value = ObjectProperty(None, allownone=True)
    selected = BooleanProperty(False)

    def on_selected(self, *_):
        self.role = "accent" if self.selected else "plain"


class ReceiptBox(BoxLayout):
    """Prints a receipt off the UI thread and says how it went; shows its QR code when the
    printer cannot print it."""

    status = StringProperty("")  # message ids
    reason = StringProperty("")
    qr = StringProperty("")
    printed = BooleanProperty(False)

    def print(self, receipt) -> None:
        self.status, self.reason, self.qr, self.printed = "Printing your receipt...", "", "", False
        app().background(print_on_printer, getattr(app().services, "devices", None), receipt,
                         done=lambda outcome: self._done(outcome, receipt),
                         failed=lambda _error: self._not_printed("The printer is offline.", receipt))

    def _done(self, outcome, receipt) -> None:
        if outcome.printed:
            self.status, self.printed = "Printed. Please take your receipt.", True
            voice_of(app()).say("take_receipt")
        else:
            self._not_printed(outcome.reason, receipt)

    def _not_printed(self, reason: str, receipt) -> None:
        self.status, self.reason = "The receipt could not be printed on paper.", reason
        self.qr = receipt_qr(receipt) or ""

    def clear(self) -> None:
        self.status = self.reason = self.qr = ""
        self.printed = False


def flow_data(key: str) -> dict:
    """This flow's part of the session's data (wiped with the session)."""
    return app().session.data.setdefault(key, {})


def review_line(label: str, value: str):
    from kivy.factory import Factory
    line = Factory.FlowText(text=f"{app().t(label)}: {value}")
    return line


# the hotline's screens ---------------------------------------------------------------------
class HotlineTypeScreen(KioskScreen):
    def on_kv_post(self, _base):
        from kivy.factory import Factory
        for name, label, hint in TYPES:
            button = Factory.TypeButton(msgid=label, hint=hint, value=name)
            button.bind(on_release=lambda b: self.choose(b.value))
            self.ids.types.add_widget(button)

    def choose(self, request_type: str) -> None:
        data = flow_data("hotline")
        data["type"] = request_type
        app().show("hotline.form")


class HotlineFormScreen(KioskScreen):
    type_label = StringProperty("")
    FIELDS = ("content", "location", "phone", "name")

    def on_kv_post(self, _base):
        self.ids.dock.watch_fields(*(self.ids[name] for name in self.FIELDS))

    def on_pre_enter(self, *_):
        data = flow_data("hotline")
        self.type_label = TYPE_LABELS.get(data.get("type", ""), "")
        for name in self.FIELDS:
            self.ids[name].value = data.get(name, "")
            self.ids[name].problem = ""

    def next(self) -> None:
        fields = {name: self.ids[name].value for name in self.FIELDS}
        problems = check_request(fields)
        for name in self.FIELDS:
            self.ids[name].problem = problems.get(name, "")
        flow_data("hotline").update(fields)  # kept even when wrong: nothing typed is lost
        if not problems:
            app().show("hotline.review")

    def on_wiped(self) -> None:
        for name in self.FIELDS:
            self.ids[name].clear()


class HotlineReviewScreen(KioskScreen):
    busy = BooleanProperty(False)

    def on_pre_enter(self, *_):
        data = flow_data("hotline")
        box = self.ids.lines
        box.clear_widgets()
        box.add_widget(review_line("Type", app().t(TYPE_LABELS.get(data.get("type", ""), ""))))
        box.add_widget(review_line("Content", data.get("content", "")))
        if data.get("location"):
            box.add_widget(review_line("Place", data["location"]))
        box.add_widget(review_line("Contact phone", mask_phone(data.get("phone", ""))))
        if data.get("name"):
            box.add_widget(review_line("Name", mask_name(data["name"])))
        self.ids.problem.text = ""

    def submit(self) -> None:
        data = flow_data("hotline")
        payload = {"type": data["type"], "content": data["content"], "phone": data["phone"]}
        if data.get("location"):
            payload["location"] = data["location"]
        if data.get("name"):
            payload["name"] = data["name"]
        self.busy = True
        app().background(submit_and_wait, "request", payload, done=self._answered, failed=self._failed)

    def _answered(self, result) -> None:
        self.busy = False
        ref, row = result
        if row is not None and row.state == "rejected":
            # The hall refused what the terminal's own checks let through: say so, keep the text.
            self.ids.problem.text = app().t("The online hall did not accept this request. "
                                            "Please check what you entered, or call 12345.")
            return
        data = flow_data("hotline")
        answer = (row.answer or {}) if row is not None and row.state == "sent" else {}
        data["result"] = {"ref": ref, **answer}
        app().show("hotline.done")

    def _failed(self, _error) -> None:
        self.busy = False
        self.ids.problem.text = app().t("This terminal could not save your request. "
                                        "Please call 12345 or ask at a service window.")

    def on_wiped(self) -> None:
        self.ids.lines.clear_widgets()


class HotlineDoneScreen(KioskScreen):
    number = StringProperty("")
    number_label = StringProperty("")
    message = StringProperty("")
    can_rate = BooleanProperty(False)

    def on_pre_enter(self, *_):
        data = flow_data("hotline")
        result = data.get("result", {})
        ticket = result.get("ticket")
        if ticket:
            self.number, self.number_label = ticket, "Your ticket number"
            self.message = ("Keep this number. Use it to follow your request by calling 12345 "
                            "or at a terminal.")
        else:
            self.number, self.number_label = result.get("ref", ""), "Local reference"
            self.message = ("The online hall could not be reached. Your request is saved on this "
                            "terminal and will be sent automatically; nothing more is needed from you.")
        self.can_rate = bool(ticket)
        receipt = request_ticket(result if ticket else self.number, data.get("type", ""), app().lang)
        self.ids.receipt.print(receipt)

    def rate(self) -> None:
        app().session.data["rating_subject"] = {"kind": "request", "ref": self.number}
        app().show("rating")

    def on_wiped(self) -> None:
        self.number = ""
        self.ids.receipt.clear()


SCREENS = {"hotline": HotlineTypeScreen, "hotline.form": HotlineFormScreen,
           "hotline.review": HotlineReviewScreen, "hotline.done": HotlineDoneScreen}


def screenshot_setup(kiosk_app, arg: str):
    """"": the types; "form" / "review" / "done" / "offline": a fictional complaint."""
    if arg:
        flow_data("hotline").update(type="投诉", content="小区门口路灯坏了三天，晚上很黑，老人出行不便。",
                                    location="城关镇东门社区", phone="13912345678", name="王小明")
    if arg in ("done", "offline"):
        flow_data("hotline")["result"] = {"ref": "LOCAL-AB23CD45"} if arg == "offline" else \
            {"ref": "LOCAL-AB23CD45", "ticket": "RQ20261123000042", "type": "投诉", "status": "受理"}
    kiosk_app.show({"": "hotline", "form": "hotline.form", "review": "hotline.review"}.get(arg, "hotline.done"))
    if arg == "form":
        kiosk_app.screen("hotline.form").ids.phone.ids.input.focus = True  # its keypad comes up
