"""Identify: ID card, social security card or e-ID QR code; typing name and ID number by hand
as the fallback. A flow asks with `identify_then("apply.item")`; once the resident is known
the identity is in app.session.data["identity"] (a ResidentIdentity) and the flow goes on.

The e-ID QR code: real 网证 (CTID) codes are opaque tokens that only the issuer's service can
verify. Until a province plugs that in, this terminal reads a simple stand-in format, the one
the demo phone and the tests show:
    EID1|<name>|<18-character ID number>|<expires: Unix seconds>
A code past its expiry is refused (a screenshot of an old code is no identification).
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, fields
from datetime import date
from pathlib import Path

from kivy.clock import Clock
from kivy.lang import Builder
from kivy.properties import BooleanProperty, ListProperty, StringProperty

from kiosk.privacy import mask_id_number, mask_name
from screens.flow import FlowScreen, name_problem
from screens.voice import voice_of
from screens.widgets import app

Builder.load_file(str(Path(__file__).with_name("identify.kv")))

CARD_READ_TIMEOUT = 8.0  # seconds for a social security card read, pcscd included
CONTINUE_AFTER = 2.0     # seconds the masked identity stays on screen before the flow goes on
DOWN = ("error", "offline", "absent")
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)

# What the screens say of where the identity came from: "your card" only when a card was read.
FILLED_IN = {"idcard": "Filled in from your card. Please check it and add what is missing."}
FILL_IN = "Please fill in what is missing and check it."
CARD_ENDS_SESSION = {"idcard": "Taking your ID card away now ends this session.",
                     "sscard": "Taking your social security card away now ends this session."}
BOOKED_AS = {"idcard": "Your ID card was read: the booking is in this name.",
             "sscard": "Your social security card was read: the booking is in this name.",
             "eid": "Your e-ID was read: the booking is in this name.",
             "manual": "The booking is in the name you entered."}

ID_FORMAT_PROBLEM = "Please enter the 18-character ID number as printed on the card."
ID_DATE_PROBLEM = "This ID number holds no real date of birth: please check each digit."
ID_CHECK_PROBLEM = "This ID number is not valid: please check each digit."


@dataclass(repr=False)
class ResidentIdentity:
    """Who the resident is, for this session only. `wipe` blanks it when the session ends."""

    name: str
    id_number: str
    source: str  # idcard, sscard, eid, manual
    address: str = ""

    def get(self, key: str, default=None):
        return getattr(self, key, default)

    def masked(self) -> tuple[str, str]:
        privacy = app().settings.privacy
        return mask_name(self.name), mask_id_number(self.id_number, privacy.id_show_head,
                                                    privacy.id_show_tail)

    def wipe(self) -> None:
        for f in fields(self):
            setattr(self, f.name, "")

    def __repr__(self) -> str:  # reprs reach logs: never the data
        return f"<ResidentIdentity from {self.source or 'nowhere (wiped)'}>"


# checks --------------------------------------------------------------------------------------
def id_number_problem(number: str) -> str:
    """GB 11643: 17 digits and a check character (ISO 7064 MOD 11-2), a real birth date."""
    if not re.fullmatch(r"[1-9]\d{16}[\dX]", number):
        return ID_FORMAT_PROBLEM
    try:
        born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return ID_DATE_PROBLEM
    if born > date.today() or born.year < 1900:
        return ID_DATE_PROBLEM
    check = "10X98765432"[sum(int(c) * w for c, w in zip(number[:17], _WEIGHTS)) % 11]
    return "" if check == number[17] else ID_CHECK_PROBLEM


def normalise_id(text: str) -> str:
    return re.sub(r"\s", "", text).upper()


class EidProblem(ValueError):
    """An e-ID code that cannot identify anyone; the message is a message id."""


def parse_eid(code: str, now: float | None = None) -> ResidentIdentity:
    parts = code.strip().split("|")
    if len(parts) != 4 or parts[0] != "EID1":
        raise EidProblem("This is not an e-ID code. Please open the e-ID on your phone and scan again.")
    _, name, number, expires = parts
    if name_problem(name, required=True) or id_number_problem(number) or not expires.isdigit():
        raise EidProblem("This e-ID code cannot be read. Please refresh it on your phone and scan again.")
    if int(expires) < (time.time() if now is None else now):
        raise EidProblem("This e-ID code has expired. Please refresh it on your phone and scan again.")
    return ResidentIdentity(name, number, "eid")


def looks_like_eid(code: str) -> bool:
    return code.startswith("EID1|")


# the identity in the session -------------------------------------------------------------------
def current_identity() -> ResidentIdentity | None:
    identity = app().session.data.get("identity")
    return identity if isinstance(identity, ResidentIdentity) and identity.id_number else None


def identity_from_id_card(record) -> ResidentIdentity | None:
    """The resident on an ID card's record, kept in the session with the record (its photo
    too: both are wiped with the session); None for a card without a citizen ID number."""
    number = getattr(record, "id_number", "")
    if id_number_problem(number):
        return None
    app().session.data["identity_card"] = record
    name = getattr(record, "name", "") or getattr(record, "english_name", "")
    return ResidentIdentity(name, number, "idcard", getattr(record, "address", ""))


def identify_then(next_screen: str) -> None:
    """Go on to `next_screen` once the resident is identified (at once if already)."""
    if current_identity() is not None:
        app().show(next_screen)
        return
    app().session.data["identify_next"] = next_screen
    app().show("identify")


def card_taken_away(event) -> bool:
    """True when the card the resident identified with has just left its reader."""
    identity = current_identity()
    if event.kind != "card_removed" or identity is None:
        return False
    return (identity.source, event.device) in (("idcard", "idcard"), ("sscard", "card"))


def device_health() -> dict[str, str]:
    devices = getattr(app().services, "devices", None)
    if devices is None:
        return {}
    return {kind: status.health.value for kind, status in devices.statuses().items()}


def read_social_card(hub):
    """Blocking: read the inserted card on the card reader's own thread."""
    return hub.call("card", lambda device: device.read(CARD_READ_TIMEOUT - 1), timeout=CARD_READ_TIMEOUT)


# screens -------------------------------------------------------------------------------------
class IdentifyScreen(FlowScreen):
    status = StringProperty("")    # message id
    problem = StringProperty("")   # message id
    who = StringProperty("")       # the masked identity, once known
    down = ListProperty([])        # ways that do not work now: idcard, card, scanner
    busy = BooleanProperty(False)

    def on_pre_enter(self, *_):
        self.problem, self.busy = "", False
        self._check_devices()
        identity = current_identity()
        self._show_identity(identity) if identity else self._ask()

    def on_enter(self, *_):
        if current_identity() is None:
            voice_of(app()).say("place_card")

    def on_leave(self, *_):
        Clock.unschedule(self.go_on)

    def _ask(self) -> None:
        self.who, self.status = "", ""

    def _check_devices(self) -> None:
        health = device_health()
        self.down = [kind for kind in ("idcard", "card", "scanner") if health.get(kind, "absent") in DOWN]
        if len(self.down) == 3:
            self.problem = ("The card readers are not working. Please enter your name and ID "
                            "number by hand.")

    # events from the devices ----------------------------------------------------------------
    def on_device(self, event) -> None:
        if card_taken_away(event):
            app().end_session("card removed")
        elif event.kind == "status":
            self._check_devices()
        elif event.kind == "identity" and event.device == "idcard":
            self._from_id_card(event.data)
        elif event.kind == "read_error" and event.device == "idcard":
            self.status, self.problem = "", ("The ID card could not be read. Please place it again, "
                                             "or enter your details by hand.")
        elif event.kind == "card_inserted" and event.device == "card":
            self._read_social_card()
        elif event.kind == "scanned" and looks_like_eid(str(event.data)):
            try:
                self.identified(parse_eid(str(event.data)))
            except EidProblem as e:
                self.status, self.problem = "", str(e)

    def _from_id_card(self, record) -> None:
        identity = identity_from_id_card(record)
        if identity is None:
            self.problem = ("This card cannot be used to apply here. Please use a resident ID card, "
                            "or enter your details by hand.")
            return
        self.identified(identity)

    def _read_social_card(self) -> None:
        devices = getattr(app().services, "devices", None)
        if devices is None or self.busy:
            return
        self.busy, self.problem, self.status = True, "", "Reading your social security card..."
        app().background(read_social_card, devices, done=self._social_card_read,
                         failed=self._social_card_failed)

    def _social_card_read(self, record) -> None:
        self.busy = False
        app().session.data["identity_card"] = record
        if getattr(record.kind, "value", "") != "social_security" or id_number_problem(record.ssn):
            self.status, self.problem = "", ("This card is not a social security card. Please insert "
                                             "your social security card, or use your ID card.")
            return
        self.identified(ResidentIdentity(record.name, record.ssn, "sscard"))

    def _social_card_failed(self, _error) -> None:
        self.busy, self.status = False, ""
        self.problem = ("The social security card could not be read. Please insert it again, "
                        "or enter your details by hand.")

    # identified ---------------------------------------------------------------------------------
    def identified(self, identity: ResidentIdentity) -> None:
        old = app().session.data.get("identity")
        if isinstance(old, ResidentIdentity) and old.id_number != identity.id_number:
            old.wipe()
        app().session.data["identity"] = identity
        self._show_identity(identity)
        Clock.unschedule(self.go_on)
        Clock.schedule_once(self.go_on, CONTINUE_AFTER)

    def _show_identity(self, identity: ResidentIdentity) -> None:
        name, number = identity.masked()
        self.who = f"{name}  {number}"
        self.status, self.problem = "You have been identified.", ""

    def go_on(self, *_):
        Clock.unschedule(self.go_on)
        if current_identity() is None or app().manager.current != self.name:
            return  # a late timer or a second read once the flow has gone on: nothing to do
        go_on_from_identify()

    def on_wiped(self) -> None:
        super().on_wiped()
        Clock.unschedule(self.go_on)
        self.who = self.status = self.problem = ""


def go_on_from_identify() -> None:
    """Continue to the screen that asked; the identify screens leave the back history."""
    kiosk = app()
    target = kiosk.session.data.pop("identify_next", "home")
    kiosk.history[:] = [name for name in kiosk.history if not name.startswith("identify")]
    kiosk.show(target, remember=False)  # the screen before identify is in the history already


class ManualIdentityScreen(FlowScreen):
    def on_kv_post(self, _base):
        self.ids.dock.watch_fields(self.ids.name, self.ids.id_number)

    def on_pre_enter(self, *_):
        self.ids.problem.text = ""

    def use(self) -> None:
        name = self.ids.name.value
        number = normalise_id(self.ids.id_number.value)
        self.ids.name.problem = name_problem(name, required=True)
        self.ids.id_number.problem = id_number_problem(number)
        if self.ids.name.problem or self.ids.id_number.problem:
            self.ids.problem.text = app().t("Please correct the fields marked above.")
            return
        app().session.data["identity"] = ResidentIdentity(name, number, "manual")
        go_on_from_identify()


def screenshot_setup(kiosk_app, arg: str):
    """"" : the identify screen; "done": with a (fictional) identity read; "manual": typing."""
    if arg == "manual":
        kiosk_app.show("identify.manual")
        kiosk_app.screen("identify.manual").ids.id_number.ids.input.focus = True  # the ID keypad
        return None
    screen = kiosk_app.screen("identify")
    kiosk_app.show("identify")
    if arg == "done":
        identity = ResidentIdentity("张晓明", "430102199003075518", "idcard")
        kiosk_app.session.data["identity"] = identity
        screen._show_identity(identity)
    return None


SCREENS = {"identify": IdentifyScreen, "identify.manual": ManualIdentityScreen}
