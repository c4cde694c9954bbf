"""好差评: five levels in words, the five national indicators, and a reason for a low rating.

The subject comes from the flow that finished (app.session.data["rating_subject"] =
{"kind": "application"|"request"|"booking"|"guide", "ref": ...}). From the home tile there is
none; the hall accepts no rating of "the terminal" (docs/hall-api.md), so the resident enters
the number on a receipt (SB/RQ/YY numbers) or finds a service item by name, which is rated as
a guide ("guide" subjects may be rated by many). Each application, request or booking is
rated once (一事一评): the hall answers 409 already_rated for a second one.
"""

from __future__ import annotations

import re
from pathlib import Path

from kivy.factory import Factory
from kivy.lang import Builder
from kivy.properties import BooleanProperty, StringProperty

from kiosk.i18n import translate
from screens.flow import CONTROL, TEXT_PROBLEM, FlowScreen, LiveSearch, submit_and_wait
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
LOW = 2  # 差评: 1 and 2 need a reason


def build_rating(level: int | None, scores: dict[str, int], reasons: list[str], text: str,
                 subject: dict | None) -> tuple[dict | None, str]:
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
    return body, ""


def find_services(query: str) -> list:
    """Service items to rate by name (catalogue hits); blocking (disk)."""
    return app().services.catalog.search(query, limit=5)


class RatingScreen(FlowScreen):
    subject_word = StringProperty("")  # message id
    subject_ref = StringProperty("")
    busy = BooleanProperty(False)

    def on_kv_post(self, _base):
        self.ids.dock.watch_fields(self.ids.ref, self.ids.reason)
        self.finder = LiveSearch(find_services, self._found, lambda _error: self._found([]))
        self.level: int | None = None
        self.scores: dict[str, int] = {}
        self.reasons: list[str] = []
        self.touched: set[str] = set()
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
        self._sections = [self.ids.why.__self__, self.ids.picker.__self__]
        self.bind(on_pre_enter=lambda *_: self.reset())

    @property
    def subject(self) -> dict | None:
        return app().session.data.get("rating_subject")

    def reset(self) -> None:
        self.level, self.scores, self.reasons, self.touched = None, {}, [], set()
        self.ids.reason.clear()
        self.ids.ref.clear()
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
        app().session.data["rating_subject"] = subject
        self.ids.matches.clear_widgets()
        self._show(self.ids.picker, self._picker_parent, False)
        self.ids.problem.text = ""
        self._refresh()

    # submitting --------------------------------------------------------------------------------
    def submit(self) -> None:
        subject = self.subject
        body, problem = build_rating(self.level, self.scores, self.reasons, self.ids.reason.value,
                                     subject and {"kind": subject["kind"], "ref": subject["ref"]})
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
            self.ids.problem.text = app().t(
                "This has already been rated. Each service is rated once." if code == "already_rated"
                else "No application, request or booking with this number was found.")
            return
        app().session.data.pop("rating_subject", None)
        done.message = "Thank you for your rating."
        done.detail = "" if row is not None and row.state == "sent" else \
            "It is saved on this terminal and will be sent automatically."
        done.apology = "We are sorry. Someone will look into it." if self.level <= LOW else ""
        app().show("rating.done")


class RatingDoneScreen(KioskScreen):
    message = StringProperty("")
    detail = StringProperty("")
    apology = StringProperty("")


SCREENS = {"rating": RatingScreen, "rating.done": RatingDoneScreen}


def screenshot_setup(kiosk_app, arg: str):
    """"": rating a 12345 request; "low": a low rating asking why; "pick": from the home tile;
    "done": the thanks."""
    if arg != "pick":
        kiosk_app.session.data["rating_subject"] = {"kind": "request", "ref": "RQ20261123000042"}
    if arg == "done":
        done = kiosk_app.screen("rating.done")
        done.message, done.apology = "Thank you for your rating.", ""
        kiosk_app.show("rating.done")
        return None
    screen = kiosk_app.screen("rating")
    kiosk_app.show("rating")
    if arg == "pick":
        screen.ids.ref.ids.input.focus = True  # the keyboard comes up
    if arg == "low":
        screen.choose_level(2)
        screen.toggle_reason(next(b for b in screen.ids.reasons.children if b.value == QUICK_REASONS[0]))
    return None
