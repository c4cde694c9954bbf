"""好差评: five levels in words, the five national indicators, and a reason for a low rating.

The subject comes from the flow that finished (app.session.data["rating_subject"] =
{"kind": "application"|"request"|"booking"|"guide", "ref": ..., "proof": {...}}). From the home
tile there is none; the hall accepts no rating of "the terminal" (docs/hall-api.md), so the
resident enters the number on a receipt (SB/RQ/YY numbers) or finds a service item by name,
which is rated as a guide ("guide" subjects may be rated by many). Each application, request or
booking is rated once (一事一评), and only by the resident served: the rating carries proof
(the ID number for SB/YY, the phone given with the request for RQ). A flow's done screen puts
in what the resident gave in this session; from the home tile the screen asks for it (an ID
card read, or typed) and shows it masked. It lives in the session and is wiped with it.
"""

from __future__ import annotations

import re
from pathlib import Path

from kivy.factory import Factory
from kivy.lang import Builder
from kivy.properties import BooleanProperty, StringProperty

from kiosk.i18n import translate
from kiosk.privacy import mask_id_number, mask_phone
from screens.flow import (CONTROL, TEXT_PROBLEM, FlowScreen, LiveSearch, phone_problem, show_done,
                          submit_and_wait)
from screens.identify import current_identity, id_number_problem, identity_from_id_card, normalise_id
from screens.widgets import KioskScreen, app

Builder.load_file(str(Path(__file__).with_name("rating.kv")))

LEVELS = [(5, "Very satisfied"), (4, "Satisfied"), (3, "Fairly satisfied"),
          (2, "Dissatisfied"), (1, "Very dissatisfied")]
INDICATORS = [("整体满意度", "Overall satisfaction"), ("办事效率", "Efficiency"),
              ("办事指南精确度", "Accuracy of the service guide"), ("办事便捷度", "Convenience"),
              ("平台操作性", "Ease of use")]
QUICK_REASONS = ["Waited too long", "Took too long to get it done", "The guide or materials were unclear",
                 "Had to come back more than once", "Staff were not helpful", "The terminal was hard to use"]
KINDS = {"SB": "application", "RQ": "request", "YY": "booking"}
SUBJECT_WORDS = {"application": "Application", "request": "12345 request", "booking": "Appointment",
                 "guide": "Service"}
NUMBER = re.compile(r"(SB|RQ|YY)\d{14}")
PROOF_FIELD = {"application": "id_number", "booking": "id_number", "request": "phone"}  # hall/api/ratings.py
PROOF_ASK = {"id_number": "To show it is yours, place your ID card on the reader, or enter the ID number "
                          "it was made with.",
             "phone": "To show it is yours, enter the phone number you gave with the request."}
NOT_FOUND = ("No application, request or booking with this number was found for the ID number or phone "
             "you gave. Please check both.")
LOW = 2  # 差评: 1 and 2 need a reason


def build_rating(level: int | None, scores: dict[str, int], reasons: list[str], text: str,
                 subject: dict | None, proof: dict | None = None) -> tuple[dict | None, str]:
    """The hall's rating body, or None and the message id of what is missing."""
    if subject is None:
        return None, "First choose what you want to rate."
    if level is None:
        return None, "Please choose how satisfied you are."
    if CONTROL.search(text):
        return None, TEXT_PROBLEM
    # Quick reasons go to the hall in Chinese: the staff who follow up 差评 read Chinese.
    reason = "；".join([translate(r, "zh") for r in reasons] + ([text] if text else []))
    if level <= LOW and len(reason) < 2:
        return None, "A low rating needs a reason: tap what went wrong, or write a few words."
    if len(reason) > 500:
        return None, "The reason is too long: at most 500 characters."
    body = {"level": level, "indicators": {name: scores.get(name, level) for name, _ in INDICATORS},
            "subject": subject}
    if reason:
        body["reason"] = reason
    if proof:
        body["proof"] = proof
    return body, ""


def needs_proof(subject: dict | None) -> str:
    """The proof field the subject still lacks ("id_number", "phone"), or "" when it has it."""
    field = PROOF_FIELD.get(subject["kind"], "") if subject else ""
    return field if field and field not in subject.get("proof", {}) else ""


def proof_problem(field: str, value: str) -> str:
    return id_number_problem(value) if field == "id_number" else phone_problem(value)


def masked_proof(proof: dict) -> str:
    """The proof as the screen shows it: "ID number: 4301**********5518" (message id, value)."""
    if "id_number" in proof:
        privacy = app().settings.privacy
        return f'{app().t("ID number")}: ' + mask_id_number(proof["id_number"], privacy.id_show_head,
                                                            privacy.id_show_tail)
    return f'{app().t("Contact phone")}: {mask_phone(proof["phone"])}' if "phone" in proof else ""


def find_services(query: str) -> list:
    """Service items to rate by name (catalogue hits); blocking (disk)."""
    return app().services.catalog.search(query, limit=5)


class RatingScreen(FlowScreen):
    subject_word = StringProperty("")  # message id
    subject_ref = StringProperty("")
    proof_line = StringProperty("")  # the proof, masked
    proof_ask = StringProperty("")   # message id: what proof to give
    busy = BooleanProperty(False)

    def on_kv_post(self, _base):
        self.ids.dock.watch_fields(self.ids.ref, self.ids.reason)
        # the proof field's keypad follows what is asked: the ID keypad or digits
        self.ids.proof.ids.input.bind(focus=lambda field, on: on and self.ids.dock.show_for(
            field, *(("idnumber", ["idnumber"]) if needs_proof(self.subject) == "id_number"
                     else ("digits", ["digits"]))))
        self.finder = LiveSearch(find_services, self._found, lambda _error: self._found([]))
        self.level: int | None = None
        self.scores: dict[str, int] = {}
        self.reasons: list[str] = []
        self.touched: set[str] = set()
        self.picking = False
        for level, words in LEVELS:
            button = Factory.LevelButton(value=level, msgid=words)
            button.bind(on_release=lambda b: self.choose_level(b.value))
            self.ids.levels.add_widget(button)
        for name, words in INDICATORS:
            row = Factory.IndicatorRow()
            label = Factory.IndicatorLabel()
            label.msgid = words  # a property the kv rule declares, so not a constructor argument
            row.add_widget(label)
            scores = Factory.ScoreRow()
            for n in range(1, 6):
                button = Factory.ScoreButton(label=str(n), value=(name, n))
                button.bind(on_release=lambda b: self.choose_score(*b.value))
                scores.add_widget(button)
            row.add_widget(scores)
            row.scores = scores
            self.ids.indicators.add_widget(row)
        for words in QUICK_REASONS:
            button = Factory.ReasonButton(msgid=words, value=words)
            button.bind(on_release=lambda b: self.toggle_reason(b))
            self.ids.reasons.add_widget(button)
        self._why_parent = self.ids.why.parent
        self._picker_parent = self.ids.picker.parent
        # ids are weak: keep the sections that come and go alive while they are out
        self._sections = [self.ids.why.__self__, self.ids.picker.__self__, self.ids.proof_box.__self__]
        self.bind(on_pre_enter=lambda *_: self.reset())

    @property
    def subject(self) -> dict | None:
        return app().session.data.get("rating_subject")

    def reset(self) -> None:
        self.level, self.scores, self.reasons, self.touched = None, {}, [], set()
        self.picking = self.subject is None  # chosen here, from the home tile
        self.ids.reason.clear()
        self.ids.ref.clear()
        self.ids.proof.clear()
        self.ids.matches.clear_widgets()
        self.ids.problem.text = ""
        self._show(self.ids.picker, self._picker_parent, self.subject is None, below_first=True)
        self._refresh()

    def _show(self, widget, parent, show: bool, below_first: bool = False) -> None:
        """Put a section in (at the end, or just below the subject line) or take it out."""
        if show and widget.parent is None:
            parent.add_widget(widget, index=len(parent.children) - 1 if below_first else 0)
        elif not show and widget.parent is not None:
            widget.parent.remove_widget(widget)

    def _refresh(self) -> None:
        subject = self.subject
        self.subject_word = SUBJECT_WORDS[subject["kind"]] if subject else ""
        self.subject_ref = (subject.get("name") or subject["ref"]) if subject else ""
        self.proof_line = masked_proof(subject.get("proof", {})) if subject else ""
        asked = needs_proof(subject)
        self.proof_ask = PROOF_ASK[asked] if asked else ""
        self._show(self.ids.proof_box, self._picker_parent, bool(asked), below_first=True)
        for button in self.ids.levels.children:
            button.selected = button.value == self.level
        for row in self.ids.indicators.children:
            for button in row.scores.children:
                name, n = button.value
                button.selected = self.scores.get(name) == n
        for button in self.ids.reasons.children:
            button.selected = button.value in self.reasons
        self._show(self.ids.why, self._why_parent, self.level is not None and self.level <= LOW)

    def choose_level(self, level: int) -> None:
        self.level = level
        # indicators follow the level until the resident sets one
        self.scores = {name: self.scores[name] if name in self.touched else level for name, _ in INDICATORS}
        self.ids.problem.text = ""
        self._refresh()

    def choose_score(self, name: str, n: int) -> None:
        self.touched.add(name)
        self.scores[name] = n
        self._refresh()

    def toggle_reason(self, button) -> None:
        if button.value in self.reasons:
            self.reasons.remove(button.value)
        else:
            self.reasons.append(button.value)
        self._refresh()

    # choosing a subject from the home tile ---------------------------------------------------
    def find(self) -> None:
        query = self.ids.ref.value.upper().replace(" ", "")
        self.ids.matches.clear_widgets()
        if NUMBER.fullmatch(query):
            self.pick({"kind": KINDS[query[:2]], "ref": query})
            return
        query = self.ids.ref.value
        if not query:
            self.ids.problem.text = app().t("First choose what you want to rate.")
            return
        self.finder.now(query)

    def _found(self, hits) -> None:
        if not hits:
            self.ids.problem.text = app().t("Nothing was found. Check the number on your receipt.")
            return
        self.ids.problem.text = ""
        for hit in hits:
            item = hit.item
            button = Factory.ItemButton(label=item["name"], value=item)
            button.bind(on_release=lambda b: self.pick({"kind": "guide", "ref": b.value["code"],
                                                        "name": b.value["name"]}))
            self.ids.matches.add_widget(button)

    def pick(self, subject: dict) -> None:
        self.finder.drop()
        identity = current_identity()  # identified earlier in this session: that is the proof
        if PROOF_FIELD.get(subject["kind"]) == "id_number" and identity is not None:
            subject["proof"] = {"id_number": identity.id_number}
        app().session.data["rating_subject"] = subject
        self.ids.matches.clear_widgets()
        self._show(self.ids.picker, self._picker_parent, False)
        self.ids.problem.text = ""
        self._refresh()

    # the proof, from the home tile ------------------------------------------------------------
    def prove(self) -> None:
        field = needs_proof(self.subject)
        if not field:
            return
        value = normalise_id(self.ids.proof.value) if field == "id_number" else self.ids.proof.value
        self.ids.proof.problem = proof_problem(field, value)
        if not self.ids.proof.problem:
            self._proved(field, value)

    def _proved(self, field: str, value: str) -> None:
        self.subject["proof"] = {field: value}
        self.ids.proof.clear()  # shown masked from now on
        self.ids.problem.text = ""
        self._refresh()

    def on_device(self, event) -> None:
        if event.kind == "identity" and event.device == "idcard" and needs_proof(self.subject) == "id_number":
            identity = identity_from_id_card(event.data)
            if identity is None:
                self.ids.proof.problem = "This card cannot be used here. Please enter the ID number by hand."
            else:
                self._proved("id_number", identity.id_number)

    # submitting --------------------------------------------------------------------------------
    def submit(self) -> None:
        subject = self.subject
        if needs_proof(subject):
            self.ids.problem.text = app().t(self.proof_ask)
            return
        body, problem = build_rating(self.level, self.scores, self.reasons, self.ids.reason.value,
                                     subject and {"kind": subject["kind"], "ref": subject["ref"]},
                                     subject and subject.get("proof"))
        if body is None:
            self.ids.problem.text = app().t(problem)
            return
        self.busy = True
        app().background(submit_and_wait, "rating", body, done=self._answered, failed=self._failed)

    def _failed(self, _error) -> None:
        self.busy = False
        self.ids.problem.text = app().t("This terminal could not save your rating. Please try again.")

    def _answered(self, result) -> None:
        self.busy = False
        _ref, row = result
        done = app().screen("rating.done")
        if row is not None and row.state == "rejected":
            code = (row.answer or {}).get("code", "")
            if code == "already_rated":
                self.ids.problem.text = app().t("This has already been rated. Each service is rated once.")
                return
            self.ids.problem.text = app().t(NOT_FOUND)
            if self.picking:  # the hall says the same of a wrong number and a wrong proof: ask both again
                app().session.data.pop("rating_subject", None)
                self._show(self.ids.picker, self._picker_parent, True, below_first=True)
                self._refresh()
            return
        app().session.data.pop("rating_subject", None)
        done.message = "Thank you for your rating."
        done.detail = "" if row is not None and row.state == "sent" else \
            "It is saved on this terminal and will be sent automatically."
        done.apology = "We are sorry. Someone will look into it." if self.level <= LOW else ""
        show_done("rating.done")


    def on_wiped(self) -> None:
        super().on_wiped()
        self.proof_line = self.subject_ref = ""


class RatingDoneScreen(KioskScreen):
    message = StringProperty("")
    detail = StringProperty("")
    apology = StringProperty("")


SCREENS = {"rating": RatingScreen, "rating.done": RatingDoneScreen}


def screenshot_setup(kiosk_app, arg: str):
    """"": rating a 12345 request; "low": a low rating asking why; "pick": from the home tile;
    "prove": a booking number typed there, its ID number asked; "done": the thanks."""
    if arg not in ("pick", "prove"):
        kiosk_app.session.data["rating_subject"] = {"kind": "request", "ref": "RQ20261123000042",
                                                    "proof": {"phone": "13912345678"}}
    if arg == "done":
        done = kiosk_app.screen("rating.done")
        done.message, done.apology = "Thank you for your rating.", ""
        kiosk_app.show("rating.done")
        return None
    screen = kiosk_app.screen("rating")
    kiosk_app.show("rating")
    if arg == "pick":
        screen.ids.ref.ids.input.focus = True  # the keyboard comes up
    if arg == "prove":
        screen.ids.ref.value = "YY20261124000007"
        screen.find()
        screen.ids.proof.ids.input.focus = True  # the ID number keypad comes up
    if arg == "low":
        screen.choose_level(2)
        screen.toggle_reason(next(b for b in screen.ids.reasons.children if b.value == QUICK_REASONS[0]))
    return None
