"""What the residents' flows share: the FlowScreen base, the form pieces (fields, choice
buttons, the receipt box; their kv rules are in flow.kv), the checks of a phone number and a
name, submitting through the outbox, printing, and searching as the resident types.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
from pathlib import Path

from kivy.clock import Clock
from kivy.factory import Factory
from kivy.lang import Builder
from kivy.properties import BooleanProperty, ListProperty, ObjectProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.label import Label

from kiosk.form_rules import LANDLINE, MOBILE
from screens.voice import voice_of
from screens.widgets import KioskButton, KioskInput, KioskScreen, app

Builder.load_file(str(Path(__file__).with_name("flow.kv")))

# The hall's own checks (hall/checks.py, docs/hall-api.md), repeated here so a resident hears
# about a wrong number before submitting rather than after.
PHONE = re.compile(f"{MOBILE}|{LANDLINE}", re.ASCII)
NAME = re.compile(r"(?:[^\W\d_]|[·・.'\- ])+")
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
PRINT_TIMEOUT = 30.0  # a long receipt on a slow serial printer
WAIT_FOR_HALL = 8.0  # seconds a screen waits for the hall's answer before showing the local reference
SEARCH_DELAY = 0.25  # seconds of no typing before a live search asks

PHONE_PROBLEM = "Please enter a mobile number (11 digits starting with 1) or a landline such as 0748-8220168."
NAME_PROBLEM = "A name may hold only letters, and · . ' - or spaces."
TEXT_PROBLEM = "Please remove special characters from the text."


# checks ----------------------------------------------------------------------------------
def phone_problem(phone: str) -> str:
    return "" if PHONE.fullmatch(phone) else PHONE_PROBLEM


def name_problem(name: str, required: bool = False) -> str:
    if not name:
        return "Please enter your name." if required else ""
    return "" if len(name) <= 50 and NAME.fullmatch(name) else NAME_PROBLEM


# blocking work (run it through app.background) ---------------------------------------------
def form_key(kind: str, payload: dict, files: dict[str, bytes] | None = None) -> str:
    """The idempotency key of one filled form: the same form sent again in this session has the
    same key, so the outbox and the hall keep it once. Keyed with a secret of the session, so
    the key tells nothing of the personal data in the form."""
    salt = app().session.data.setdefault("form_salt", secrets.token_bytes(16))
    files_digest = sorted((name, hashlib.sha256(data).hexdigest()) for name, data in (files or {}).items())
    form = json.dumps([kind, payload, files_digest], sort_keys=True, ensure_ascii=False)
    return "form-" + hmac.new(salt, form.encode(), hashlib.sha256).hexdigest()[:40]


def submit_and_wait(kind: str, payload: dict, files: dict[str, bytes] | None = None,
                    timeout: float = WAIT_FOR_HALL, idempotency_key: str | None = None):
    """Queue a submission (under its form's key) and wait up to `timeout` s for the hall's
    answer. Returns (local reference, outbox row: sent, rejected, or still queued after a try
    or the timeout). The same form again gets the first one's reference and row."""
    outbox = app().services.outbox
    key = idempotency_key or form_key(kind, payload, files)
    ref = outbox.submit(kind, payload, files, idempotency_key=key)
    return ref, outbox.wait(ref, timeout)


def show_done(name: str) -> None:
    """Show a flow's done screen once its submission is queued: the steps that led to it leave
    the history, so Back goes home and never to a live Submit (the same form again would be
    kept once anyway: form_key)."""
    app().history.clear()
    app().show(name, remember=False)


def print_on_printer(hub, receipt):
    """Print on the printer's own thread (the DeviceHub runs every device call there) or say
    why not; a kiosk.receipts.PrintOutcome."""
    # imported here: kiosk.receipts loads the ESC/POS library, which the attract screen (a
    # FlowScreen, shown first) should not wait for
    from hardware.model import DeviceError
    from kiosk.receipts import PrintOutcome, print_receipt
    if hub is None or not hub.configured("printer"):
        return print_receipt(None, receipt)  # "This terminal has no printer."
    try:
        return hub.call("printer", lambda device: print_receipt(device, receipt), timeout=PRINT_TIMEOUT)
    except DeviceError:  # not open (failed or still opening), or no answer in time
        return PrintOutcome(False, "The printer is offline.", "offline")


# the screen base -------------------------------------------------------------------------------
class FlowScreen(KioskScreen):
    """A screen of a resident's flow. While it is shown it hears the devices' events (a
    screen overrides on_device); when the session ends its fields and receipts forget what
    they held (a screen holding more overrides on_wiped and calls this one)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        # bound, not overridden: the screens keep their own on_pre_enter and on_leave
        self.bind(on_pre_enter=self._hear_devices, on_leave=self._stop_hearing)

    def _hear_devices(self, *_):
        app().bind(on_device_event=self._device_event)

    def _stop_hearing(self, *_):
        app().unbind(on_device_event=self._device_event)

    def _device_event(self, _app, event) -> None:
        self.on_device(event)

    def on_device(self, event) -> None:
        """A device event (hardware.model.DeviceEvent) while this screen is shown."""

    def on_wiped(self) -> None:
        for widget in self.ids.values():  # sections taken out of the tree too
            try:
                form_piece = isinstance(widget, (FlowField, ReceiptBox))
            except ReferenceError:  # ids are weak: a section taken out and let go holds nothing
                continue
            if form_piece:
                widget.clear()


class FormScreen(FlowScreen):
    """A form of FlowFields (their ids in FIELDS) kept in this flow's session data: shown as
    typed when the resident comes back to it, checked on Next and kept even when wrong, so
    nothing typed is lost. A screen says how to check it (check) and fills it in on_pre_enter
    with fill()."""

    flow = ""          # its part of the session data (flow_data)
    next_screen = ""   # where Next goes once the form is right
    FIELDS: tuple[str, ...] = ()

    def on_kv_post(self, _base):
        self.ids.dock.watch_fields(*(self.ids[name] for name in self.FIELDS))

    def fill(self) -> None:
        data = flow_data(self.flow)
        for name in self.FIELDS:
            self.ids[name].value = data.get(name, "")
            self.ids[name].problem = ""

    def check(self, fields: dict) -> dict[str, str]:
        """Problems (field -> message id) with the fields; empty when the form can go."""
        return {}

    def next(self) -> None:
        fields = {name: self.ids[name].value for name in self.FIELDS}
        problems = self.check(fields)
        for name in self.FIELDS:
            self.ids[name].problem = problems.get(name, "")
        flow_data(self.flow).update(fields)
        if not problems:
            app().show(self.next_screen)


class ReviewScreen(FlowScreen):
    """The step before submitting: what the resident entered (masked) in `lines`, and the
    button that sends it through the outbox. A screen calls send(kind, payload) and says what
    comes next in submitted(ref, answer); the hall's refusal or a failure to queue it is said
    in `problem`, and what was typed is kept."""

    busy = BooleanProperty(False)
    refused = ""    # message id: the hall refused what the terminal's own checks let through
    not_saved = ""  # message id: the terminal could not queue it

    def send(self, kind: str, payload: dict, files: dict[str, bytes] | None = None) -> None:
        self.busy = True
        app().background(submit_and_wait, kind, payload, files, WAIT_FOR_HALL, form_key(kind, payload, files),
                         done=self._answered, failed=self._failed)

    def _answered(self, result) -> None:
        self.busy = False
        ref, row = result
        if row is not None and row.state == "rejected":
            self.ids.problem.text = app().t(self.refused)
            return
        self.submitted(ref, (row.answer or {}) if row is not None and row.state == "sent" else {})

    def _failed(self, _error) -> None:
        self.busy = False
        self.ids.problem.text = app().t(self.not_saved)

    def submitted(self, ref: str, answer: dict) -> None:
        """Queued under the local reference `ref`; `answer` is the hall's (its number), or
        empty when the hall did not answer in time (the outbox sends it later)."""

    def on_wiped(self) -> None:
        super().on_wiped()
        self.ids.lines.clear_widgets()


class SubmittedScreen(FlowScreen):
    """After submitting (its layout is in flow.kv): the hall's number, or the local reference
    when the hall could not be reached, what to do with it, the printed receipt, and rating
    the service once the hall has it."""

    number = StringProperty("")
    number_label = StringProperty("")  # message id
    message = StringProperty("")       # message id
    can_rate = BooleanProperty(False)
    subject_kind = ""  # what the hall rates: "application", "request"

    def rate(self) -> None:
        app().session.data["rating_subject"] = {"kind": self.subject_kind, "ref": self.number,
                                                "proof": self.rating_proof()}
        app().show("rating")

    def rating_proof(self) -> dict:
        """What the resident gave in this session that shows the hall it is theirs
        (hall/api/ratings.py): {"id_number": ...} or {"phone": ...}."""
        return {}

    def on_wiped(self) -> None:
        super().on_wiped()
        self.number = self.message = ""


# live search -------------------------------------------------------------------------------------
class LiveSearch:
    """Asks `work(*question)` on a worker and hands the answer to `show` (or the error to
    `failed`) on the UI thread, only for the newest question: an answer that comes after a
    newer question was asked is dropped. `ask` waits until typing pauses; `now` asks at once."""

    def __init__(self, work, show, failed, delay: float = SEARCH_DELAY):
        self.work, self.show, self.failed = work, show, failed
        self.asked = 0      # questions sent to the worker
        self._answered = 0  # the number of the question whose answer was handed over last
        self._question: tuple = ()
        self._shown: tuple | None = None  # that question
        self._trigger = Clock.create_trigger(lambda _dt: self.now(*self._question), delay)

    def ask(self, *question) -> None:
        self._question = question
        self._trigger()

    def now(self, *question) -> None:
        self._trigger.cancel()
        self.asked += 1
        asked = self.asked
        app().background(self.work, *question,
                         done=lambda answer: self._hand_over(asked, question, self.show, answer),
                         failed=lambda error: self._hand_over(asked, question, self.failed, error))

    def drop(self) -> None:
        """Forget the questions on their way (the list they were for has gone)."""
        self._trigger.cancel()
        self.asked += 1

    def settled(self, question: tuple) -> bool:
        """The answer to `question` is the one handed over, and nothing newer is on its way."""
        return (self._shown == question and self._answered == self.asked
                and not self._trigger.is_triggered)

    def _hand_over(self, asked: int, question: tuple, callback, value) -> None:
        if asked != self.asked:
            return
        self._answered, self._shown = asked, question
        callback(value)


# form pieces ---------------------------------------------------------------------------------
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
        from kiosk.receipts import receipt_qr
        self.status, self.reason = "The receipt could not be printed on paper.", reason
        self.qr = receipt_qr(receipt) or ""

    def clear(self) -> None:
        self.status = self.reason = self.qr = ""
        self.printed = False


def flow_data(key: str) -> dict:
    """This flow's part of the session's data (wiped with the session)."""
    return app().session.data.setdefault(key, {})


def review_line(label: str, value: str):
    return Factory.FlowText(text=f"{app().t(label)}: {value}")
