"""办件进度: by 申办流水号 (typed, or scanned from a receipt) or by identity; each application as a
timeline (收件 → 受理 → 审查 → 决定 → 办结, or 不予受理 / 补正) with the time limit in green,
yellow or red, always with words and a symbol too: colour is never the only cue. A 12345 ticket
(RQ…, on the hotline's receipt) shows its request: 受理 → 派单 → 办理 → 回复 → 办结, where it went
and the department's reply.

A local reference ("LOCAL-...", printed when the hall was down) is looked up in this
terminal's outbox: still queued, or sent (then the hall's number and its timeline are shown).
"""

from __future__ import annotations

import math
import re
from pathlib import Path

from kivy.factory import Factory
from kivy.lang import Builder
from kivy.properties import BooleanProperty, ListProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout

from kiosk.clock import DEFAULT_ZONE, stamp
from kiosk.hall_client import HallError, HallRejected
from screens.flow import FlowScreen, LiveSearch
from screens.identify import (EidProblem, card_taken_away, current_identity, identify_then,
                              looks_like_eid, parse_eid)
from screens.widgets import KioskButton, app

Builder.load_file(str(Path(__file__).with_name("progress.kv")))

NUMBER = re.compile(r"SB\d{14}")
TICKET = re.compile(r"RQ\d{14}")
LOCAL = re.compile(r"LOCAL-[2-9A-HJKMNP-Z]{8}")
MAIN_STAGES = ["收件", "受理", "审查", "决定", "办结"]
STAGE_WORDS = {"收件": "Received", "受理": "Accepted for handling", "审查": "Under review",
               "决定": "Decision made", "办结": "Completed", "不予受理": "Not accepted",
               "补正": "Materials to be completed"}
REQUEST_STAGES = ["受理", "派单", "办理", "回复", "办结"]
REQUEST_WORDS = {"受理": "Received by 12345", "派单": "Sent to the department", "办理": "Handled by the department",
                 "督办": "Past its time limit: chased up", "回复": "Answered", "办结": "Closed",
                 "回访": "Followed up", "评价": "Rated"}
REQUEST_DONE = ("办结", "回访", "评价")
REQUEST_WAITING = ("受理", "派单", "办理", "督办")  # the last of these is still going on; an answer is not
# state -> (symbol, message id); the symbol and the words carry the meaning, the colour helps
STAGE_STATES = {"done": ("✓", "done"), "current": ("●", "in progress"), "pending": ("○", "not yet"),
                "refused": ("×", "not accepted"), "attention": ("!", "you need to act")}
SIGNALS = {  # signal -> (symbol, words, text colour, background)
    "green": ("✓", "Within the time limit", "#1B5E20", "#E3F2E5"),
    "yellow": ("!", "Close to the time limit", "#5C3B00", "#FFF4D6"),
    "red": ("×", "Past the time limit", "#8E1B1B", "#FDE7E7"),
}
HALL_DOWN = "The online hall cannot be reached now. Please try again later, or ask at a service window."
RATE_LIMITED = ("Too many look-ups were made just now. Please try again in {minutes} min, "
                "or ask at a service window.")
NUMBER_PROBLEM = ("Please enter the number from your receipt: an application number (SB and 14 digits), "
                  "a 12345 ticket number (RQ and 14 digits) or a local reference such as LOCAL-AB23CD45.")


def normalise_number(text: str) -> str:
    return re.sub(r"\s", "", text).upper()


def stage_rows(application: dict, zone: str = DEFAULT_ZONE) -> list[tuple[str, str, str]]:
    """(stage, state, when) per line of the timeline: what happened (when, in the terminal's
    zone), then what is still to come."""
    timeline = application.get("timeline") or []
    rows = [(entry["stage"], "done", stamp(entry["at"], zone) if entry.get("at") else "") for entry in timeline]
    status = application.get("status") or (timeline[-1]["stage"] if timeline else "收件")
    if rows:
        last_state = {"办结": "done", "不予受理": "refused", "补正": "attention"}.get(status, "current")
        rows[-1] = (rows[-1][0], last_state, rows[-1][2])
    if status not in ("办结", "不予受理"):
        reached = [MAIN_STAGES.index(s) for s, _state, _at in rows if s in MAIN_STAGES]
        rows += [(s, "pending", "") for s in MAIN_STAGES[max(reached, default=-1) + 1:]]
    return rows


def request_rows(request: dict) -> list[tuple[str, str, str]]:
    """(status, state, when) per line of a 12345 request's history, then the steps still to come."""
    history = request.get("history") or []
    rows = [(entry["status"], "done", entry.get("at", "")[:16].replace("T", " ")) for entry in history]
    status = request.get("status") or (history[-1]["status"] if history else "受理")
    if rows:
        rows[-1] = (rows[-1][0], "current" if status in REQUEST_WAITING else "done", rows[-1][2])
    if status not in REQUEST_DONE:
        reached = [REQUEST_STAGES.index(s) for s, _state, _at in rows if s in REQUEST_STAGES]
        rows += [(s, "pending", "") for s in REQUEST_STAGES[max(reached, default=-1) + 1:]]
    return rows


def limit_words(application: dict) -> str:
    """The time limit in words (translated here: it is built from several message ids)."""
    t = app().t
    limit = application.get("limit_days", 0)
    if not limit:
        return t("Time limit: done on the spot.")
    return t("Time limit: {limit} working days, due {due}. Used so far: {used} working days.").format(
        limit=limit, due=application.get("due_date", ""), used=application.get("elapsed_working_days", 0))


# widgets ------------------------------------------------------------------------------------------
class StageRow(BoxLayout):
    symbol = StringProperty("")
    stage = StringProperty("")   # message id
    state = StringProperty("")   # message id
    when = StringProperty("")
    kind = StringProperty("")    # done / current / pending / refused / attention


class SignalBand(BoxLayout):
    symbol = StringProperty("")
    words = StringProperty("")
    detail = StringProperty("")
    fg = ListProperty([0, 0, 0, 1])
    bg = ListProperty([1, 1, 1, 1])


class ApplicationCard(BoxLayout):
    def show(self, application: dict) -> None:
        from screens.theme import rgba
        self.ids.item.text = application.get("item_name", "")
        self.ids.number.text = f"{app().t('Application number')}: {application.get('number', '')}"
        who = application.get("applicant") or {}
        if who:
            self.ids.who.text = (f"{app().t('Applicant')}: {who.get('name_masked', '')}  "
                                 f"{who.get('id_masked', '')}")
        symbol, words, fg, bg = SIGNALS.get(application.get("signal", ""), SIGNALS["green"])
        band = self.ids.signal
        band.symbol, band.words, band.detail = symbol, words, limit_words(application)
        band.fg, band.bg = rgba(fg), rgba(bg)
        asked = application.get("supplement") if application.get("status") == "补正" else None
        if asked:
            self.show_asked(application, asked)
        for stage, state, when in stage_rows(application, app().settings.terminal.timezone):
            if state == "attention" and asked and asked.get("supplied_at"):
                state = "current"  # the pages came: the clerk's turn
            mark, state_words = STAGE_STATES[state]
            self.ids.stages.add_widget(StageRow(symbol=mark, stage=STAGE_WORDS.get(stage, stage),
                                                state=state_words, when=when, kind=state))


    def show_asked(self, application: dict, asked: dict) -> None:
        """A 补正: each material asked for and why, the clerk's note, and the button to send them."""
        from screens.supplement import ASKS, CLERK_NOTE, SEND_BUTTON, SUPPLIED, asked_materials, material_line, start
        t, lang, box = app().t, app().lang, self.ids.asked
        box.add_widget(Factory.FlowText(text=t(ASKS), bold=True))
        for material in asked.get("materials", []):
            box.add_widget(Factory.FlowText(text="• " + material_line(material, lang)))
        if asked.get("note"):
            box.add_widget(Factory.FlowText(text=t(CLERK_NOTE).format(note=asked["note"])))
        if asked.get("supplied_at"):
            when = stamp(asked["supplied_at"], app().settings.terminal.timezone)
            box.add_widget(Factory.FlowText(text=t(SUPPLIED).format(
                when=when)))
        if asked_materials(application):
            self.send_button = KioskButton(text=t(SEND_BUTTON))
            self.send_button.bind(on_release=lambda *_: start(application))
            box.add_widget(self.send_button)


class RequestCard(BoxLayout):
    def show(self, request: dict) -> None:
        from kiosk.receipts import REQUEST_TYPES
        t = app().t
        self.ids.item.text = f"12345 {t(REQUEST_TYPES.get(request.get('type', ''), request.get('type', '')))}"
        self.ids.number.text = f"{t('Ticket number')}: {request.get('ticket', '')}"
        if request.get("department"):
            self.ids.department.text = f"{t('Handled by')}: {request['department']}"
        if request.get("status") not in REQUEST_DONE:
            self.ids.due.text = t("Answer due by {due}").format(due=request.get("due_date", ""))
        if request.get("reply"):
            self.ids.reply.text = f"{t('Reply')}: {request['reply']}"
        for status, state, when in request_rows(request):
            mark, state_words = STAGE_STATES[state]
            self.ids.stages.add_widget(StageRow(symbol=mark, stage=REQUEST_WORDS.get(status, status),
                                                state=state_words, when=when, kind=state))


# the screen ---------------------------------------------------------------------------------------
class ProgressScreen(FlowScreen):
    status = StringProperty("")   # message id
    problem = StringProperty("")  # message id
    busy = BooleanProperty(False)
    asked_ticket = False  # the question in flight is a 12345 ticket

    def on_kv_post(self, _base):
        self.ids.dock.watch_fields(self.ids.number)
        self.ids.number.ids.input.bind(on_text_validate=lambda *_: self.look_up())  # Enter on a keyboard
        self.ids.number.ids.input.bind(focus=self._number_touched)
        self._asked = ""  # the number last looked up
        # a question is (how to look it up, what): by_number, by_identity or by_local_reference
        self.lookup = LiveSearch(lambda work, arg: work(arg), self._answered, self._failed)

    def on_pre_enter(self, *_):
        data = app().session.data.get("progress") or {}
        if data.pop("by_identity", False) and current_identity() is not None:
            self.look_up_mine()

    def on_device(self, event) -> None:
        if card_taken_away(event):  # the resident has walked off: their applications go with them
            app().end_session("card removed")
            return
        if event.kind != "scanned" or not isinstance(event.data, str):
            return
        code = event.data.strip()
        if looks_like_eid(code):
            try:
                app().session.data["identity"] = parse_eid(code)
            except EidProblem as e:
                self._clear_results()
                self.problem = str(e)
                return
            self.look_up_mine()
        else:
            self.ids.number.value = normalise_number(code)
            self.look_up()

    def _number_touched(self, field, focused: bool) -> None:
        """Touching the field after a look-up starts a new number (its answer stays shown
        until the next look-up): typing must not add to the number looked up."""
        if focused and self._asked and normalise_number(field.text) == self._asked:
            field.text = ""

    # asking ----------------------------------------------------------------------------------------
    def look_up(self) -> None:
        number = normalise_number(self.ids.number.value)
        self.ids.number.problem = ""
        self.ids.dock.hide()
        self.ids.number.ids.input.focus = False
        self._asked = number
        if LOCAL.fullmatch(number):
            self._ask(app().services.progress.by_local_reference, number)
        elif NUMBER.fullmatch(number):
            self._ask(app().services.progress.by_number, number)
        elif TICKET.fullmatch(number):
            self._ask(app().services.progress.by_ticket, number)
            self.asked_ticket = True
        else:
            self._clear_results()
            self.ids.number.problem = NUMBER_PROBLEM

    def use_identity(self) -> None:
        if current_identity() is not None:
            self.look_up_mine()
            return
        app().session.data.setdefault("progress", {})["by_identity"] = True
        identify_then("progress")

    def look_up_mine(self) -> None:
        self._ask(app().services.progress.by_identity, current_identity().id_number)

    def _ask(self, work, arg: str) -> None:
        self._clear_results()
        self.asked_ticket = False
        self.busy, self.status = True, "Looking up..."
        self.lookup.now(work, arg)  # the answer to an earlier question, still on its way, is dropped

    def _answered(self, found) -> None:
        self.busy, self.status = False, ""
        if isinstance(found, dict):  # a local reference
            if not found:
                self.problem = "This terminal has no application with this local reference."
                return
            self._show_local(found["local"])
            found = found.get("applications", [])
        elif not found:
            self.problem = "No 12345 request was found. Please check the number." if self.asked_ticket \
                else "No application was found. Please check the number."
            return
        for answer in found:
            card = RequestCard() if "ticket" in answer else ApplicationCard()
            card.show(answer)
            self.ids.results.add_widget(card)

    def _show_local(self, local: dict) -> None:
        t = app().t
        lines = [f"{t('Local reference')}: {local['ref']}"]
        if local.get("item_name"):
            lines.append(f"{t('Item')}: {local['item_name']}")
        if local["state"] == "sent":
            lines.append(t("Sent to the online hall. Application number: {number}").format(
                number=local["number"]))
        elif local["state"] == "rejected":
            lines.append(t("The online hall did not accept this application. Please ask at a "
                           "service window."))
        else:
            lines.append(t("Saved on this terminal; it will be sent as soon as the online hall "
                           "can be reached."))
        self.ids.results.add_widget(Factory.LocalNote(text="\n".join(lines)))

    def _failed(self, error) -> None:
        self.busy, self.status = False, ""
        if isinstance(error, HallRejected) and error.status == 429:  # hall/limits.py
            minutes = max(1, math.ceil((error.retry_after or 60) / 60))
            self.problem = app().t(RATE_LIMITED).format(minutes=minutes)
            return
        self.problem = HALL_DOWN if isinstance(error, HallError) else \
            "The progress could not be looked up. Please ask at a service window."

    def _clear_results(self) -> None:
        self.ids.results.clear_widgets()
        self.problem = self.status = ""

    def on_wiped(self) -> None:
        super().on_wiped()
        self._asked = ""
        self.lookup.drop()
        self._clear_results()


def screenshot_setup(kiosk_app, arg: str):
    """"": the empty screen; "timeline:COLOUR": a fictional application in that signal;
    "correction": one in 补正 with what is missing; "request": a fictional 12345 complaint, answered."""
    screen = kiosk_app.screen("progress")
    kiosk_app.show("progress")
    if arg == "request":
        sample = {"ticket": "RQ20250602654321", "type": "投诉", "status": "回复", "due_date": "2025-06-23",
                  "department": "青山县住房和城乡建设局", "reply": "经核查，人民路路灯线路老化，已于6月4日更换，恢复照明。",
                  "history": [{"status": s, "at": f"2025-06-0{2 + i}T09:3{i}:00+08:00", "note": ""}
                              for i, s in enumerate(["受理", "派单", "办理", "回复"])]}
        screen.ids.number.value = sample["ticket"]
        screen._answered([sample])
    elif arg == "correction":  # 补正: what the clerk asks for, and the button to send it
        sample = {"number": "SB20250602123456", "item_name": "就业登记", "status": "补正", "limit_days": 10,
                  "due_date": "2025-06-16", "elapsed_working_days": 3, "signal": "green",
                  "applicant": {"name_masked": "张*明", "id_masked": "4301**********5518"},
                  "timeline": [{"stage": "收件", "at": "2025-06-02T10:00:00+08:00", "note": "自助终端提交"},
                               {"stage": "补正", "at": "2025-06-04T15:20:00+08:00", "note": ""}],
                  "supplement": {"asked_at": "2025-06-04T15:20:00+08:00", "note": "劳动合同须有单位盖章页",
                                 "supplied_at": None, "materials": [
                                     {"key": "m1", "name": "居民身份证", "name_en": "Resident ID card", "why": "不清晰"},
                                     {"key": "m2", "name": "劳动合同或营业执照",
                                      "name_en": "Employment contract or business licence", "why": "缺少"}]}}
        screen.ids.number.value = sample["number"]
        screen._answered([sample])
    elif arg.startswith("timeline"):
        colour = arg.partition(":")[2] or "yellow"
        stages = ["收件", "受理", "审查"] if colour != "red" else ["收件", "补正"]
        sample = {"number": "SB20250602123456", "item_name": "城乡居民基本养老保险参保登记",
                  "status": stages[-1], "limit_days": 10, "due_date": "2025-06-16",
                  "elapsed_working_days": {"green": 2, "yellow": 8, "red": 12}[colour],
                  "signal": colour, "applicant": {"name_masked": "张*明", "id_masked": "4301**********5518"},
                  "timeline": [{"stage": s, "at": f"2025-06-0{2 + i}T10:0{i}:00+08:00", "note": ""}
                               for i, s in enumerate(stages)]}
        screen.ids.number.value = sample["number"]
        screen._answered([sample])
    else:
        screen.ids.number.ids.input.focus = True  # the keyboard comes up
    return None


SCREENS = {"progress": ProgressScreen}
