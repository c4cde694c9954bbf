"""12345 诉求: type -> what happened, where, contact phone, name -> review -> submit -> ticket.

The request goes through the durable outbox; the screen waits a few seconds for the hall's
ticket number and otherwise shows the local reference (the outbox sends it later, once).
The ticket is printed; when the printer fails its QR code is shown instead.
"""

from __future__ import annotations

from pathlib import Path

from kivy.factory import Factory
from kivy.lang import Builder
from kivy.properties import StringProperty

from kiosk.privacy import mask_name, mask_phone
from kiosk.receipts import request_ticket
from screens.flow import (CONTROL, NAME_PROBLEM, PHONE_PROBLEM, TEXT_PROBLEM, FlowScreen, FormScreen,
                          ReviewScreen, SubmittedScreen, flow_data, name_problem, phone_problem,
                          review_line, show_done)
from screens.widgets import app

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


# checks ----------------------------------------------------------------------------------
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


# the hotline's screens ---------------------------------------------------------------------
class HotlineTypeScreen(FlowScreen):
    def on_kv_post(self, _base):
        for name, label, hint in TYPES:
            button = Factory.TypeButton(msgid=label, hint=hint, value=name)
            button.bind(on_release=lambda b: self.choose(b.value))
            self.ids.types.add_widget(button)

    def choose(self, request_type: str) -> None:
        data = flow_data("hotline")
        data["type"] = request_type
        app().show("hotline.form")


class HotlineFormScreen(FormScreen):
    type_label = StringProperty("")
    flow, next_screen = "hotline", "hotline.review"
    FIELDS = ("content", "location", "phone", "name")

    def on_pre_enter(self, *_):
        self.type_label = TYPE_LABELS.get(flow_data("hotline").get("type", ""), "")
        self.fill()

    def check(self, fields: dict) -> dict[str, str]:
        return check_request(fields)


class HotlineReviewScreen(ReviewScreen):
    refused = "The online hall did not accept this request. Please check what you entered, or call 12345."
    not_saved = "This terminal could not save your request. Please call 12345 or ask at a service window."

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
        self.send("request", payload)

    def submitted(self, ref: str, answer: dict) -> None:
        flow_data("hotline")["result"] = {"ref": ref, **answer}
        show_done("hotline.done")


class HotlineDoneScreen(SubmittedScreen):
    subject_kind = "request"

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

    def rating_proof(self) -> dict:
        return {"phone": flow_data("hotline").get("phone", "")}


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
