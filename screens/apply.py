"""网上申办: identify -> pick an online item -> form prefilled from the card -> what is missing
-> review (masked) -> submit through the durable outbox -> 申办流水号 (or a local reference when
the hall is down) -> printed receipt, or its QR code on screen when the printer fails -> rating.

Taking the ID card away on the review screen ends the session (the resident has walked off);
on the form it does not, because residents take their card back to copy the address.
"""

from __future__ import annotations

import re
from pathlib import Path

from kivy.lang import Builder
from kivy.properties import ListProperty, StringProperty
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.label import Label

from kiosk.privacy import mask_phone
from kiosk.receipts import application_receipt, progress_url
from screens.flow import (CONTROL, TEXT_PROBLEM, FlowScreen, FormScreen, LiveSearch, ReviewScreen,
                          SubmittedScreen, flow_data, phone_problem, review_line, show_done)
from screens.identify import (CARD_ENDS_SESSION, FILL_IN, FILLED_IN, card_taken_away, current_identity,
                              identify_then)
from screens.widgets import app

Builder.load_file(str(Path(__file__).with_name("apply.kv")))

ADDRESS = re.compile(r"[\w\s\-#·.,，、()（）/]+")  # \w takes Chinese and digits; no symbols or emoji
ADDRESS_PROBLEM = "Please use only letters, digits, spaces and - # , ( ) / in the address."
MAX_RESULTS = 200


def check_form(fields: dict) -> dict[str, str]:
    """Problems (field -> message id) with the form's fields; empty when it can go."""
    problems = {}
    address, notes = fields.get("address", ""), fields.get("notes", "")
    if not address:
        problems["address"] = "Please enter your address."
    elif len(address) > 200:
        problems["address"] = "The address is too long: at most 200 characters."
    elif not ADDRESS.fullmatch(address):
        problems["address"] = ADDRESS_PROBLEM
    problem = phone_problem(fields.get("phone", ""))
    if problem:
        problems["phone"] = problem
    if CONTROL.search(notes):
        problems["notes"] = TEXT_PROBLEM
    elif len(notes) > 500:
        problems["notes"] = "The note is too long: at most 500 characters."
    return problems


def mask_address(address: str) -> str:
    """The start of the address (province, city) and stars: enough to check, little to overhear."""
    keep = min(6, len(address) // 2)
    return address[:keep] + "*" * min(8, len(address) - keep)


def online_items(catalog, query: str) -> list[dict]:
    """Online-capable items matching `query` (all of them when it is empty); blocking (disk)."""
    if query.strip():
        items = [hit.item for hit in catalog.search(query, limit=MAX_RESULTS)]
    else:
        items = catalog.items()
    return [item for item in items if item.get("online")][:MAX_RESULTS]


def build_payload(data: dict, identity) -> dict:
    form = {"address": data["address"], "identified_by": identity.source}
    if data.get("notes"):
        form["notes"] = data["notes"]
    return {"item_code": data["item"]["code"], "channel": "kiosk", "form": form,
            "applicant": {"name": identity.name, "id_number": identity.id_number, "phone": data["phone"]}}


# screens ---------------------------------------------------------------------------------------
class ApplyStartScreen(FlowScreen):
    who = StringProperty("")

    def on_pre_enter(self, *_):
        identity = current_identity()
        self.who = "  ".join(identity.masked()) if identity else ""

    def start(self) -> None:
        identify_then("apply.item")

    def on_wiped(self) -> None:
        super().on_wiped()
        self.who = ""


class ApplyItemRow(ButtonBehavior, Label):
    """A row of the item list (RecycleView data: code, text)."""

    code = StringProperty("")


class ApplyItemScreen(FlowScreen):
    status = StringProperty("")  # message id
    items = ListProperty([])

    def on_kv_post(self, _base):
        self.search = LiveSearch(online_items, self._found, lambda _error: self._found(None))
        self.ids.dock.watch(self.ids.search, "pinyin", ["pinyin", "letters", "digits"])
        self.ids.search.bind(text=lambda _field, text: self.search.ask(app().services.catalog, text))

    def on_pre_enter(self, *_):
        if not self.items:
            self.search.now(app().services.catalog, self.ids.search.text)

    def _found(self, items) -> None:
        if items is None:
            self.status = "The list of services is not available on this terminal yet. Please ask at a service window."
            items = []
        else:
            self.status = "" if items else "No online service matches. Try other words, or pinyin initials."
        self.items = items
        self.ids.list.data = [{"code": i["code"], "text": f"{i['name']}\n{i.get('department', {}).get('name', '')}"}
                              for i in items]
        self.ids.list.scroll_y = 1

    def choose(self, code: str) -> None:
        item = next((i for i in self.items if i["code"] == code), None)
        if item is None:
            return
        data = flow_data("apply")
        if data.get("item", {}).get("code") != code:
            data.pop("notes", None)
        data["item"] = {"code": item["code"], "name": item["name"],
                        "limit": item.get("promised_limit_days"), "materials": item.get("materials", [])}
        app().show("apply.form")


class ApplyFormScreen(FormScreen):
    item_name = StringProperty("")
    who = StringProperty("")
    filled_in = StringProperty(FILL_IN)  # message id: what was filled in from where
    flow, next_screen = "apply", "apply.review"
    FIELDS = ("address", "phone", "notes")

    def on_pre_enter(self, *_):
        identity = current_identity()
        data = flow_data("apply")
        if identity is None or "item" not in data:
            return
        self.item_name = data["item"]["name"]
        self.who = "  ".join(identity.masked())
        self.filled_in = FILLED_IN.get(identity.source, FILL_IN)
        data.setdefault("address", identity.address)  # prefilled from the ID card
        self.fill()

    def check(self, fields: dict) -> dict[str, str]:
        return check_form(fields)

    def on_wiped(self) -> None:
        super().on_wiped()
        self.who = self.item_name = ""


class ApplyReviewScreen(ReviewScreen):
    refused = ("The online hall did not accept this application. Please check what you entered, "
               "or ask at a service window.")
    not_saved = "This terminal could not save your application. Please ask at a service window."
    card_hint = StringProperty("")  # message id: taking the card away ends the session (a card was used)

    def on_pre_enter(self, *_):
        identity, data = current_identity(), flow_data("apply")
        box = self.ids.lines
        box.clear_widgets()
        self.ids.problem.text = ""
        self.card_hint = CARD_ENDS_SESSION.get(identity.source, "") if identity else ""
        if identity is None or "phone" not in data:
            return
        name, number = identity.masked()
        box.add_widget(review_line("Item", data["item"]["name"]))
        box.add_widget(review_line("Name", name))
        box.add_widget(review_line("ID number", number))
        box.add_widget(review_line("Address", mask_address(data["address"])))
        box.add_widget(review_line("Contact phone", mask_phone(data["phone"])))
        if data.get("notes"):
            box.add_widget(review_line("Note", data["notes"]))

    def on_device(self, event) -> None:
        if card_taken_away(event) and not self.busy:
            app().end_session("card removed")

    def submit(self) -> None:
        identity = current_identity()
        if identity is None or self.busy:
            return
        self.send("application", build_payload(flow_data("apply"), identity))

    def submitted(self, ref: str, answer: dict) -> None:
        flow_data("apply")["result"] = {"ref": ref, "number": answer.get("number", "")}
        show_done("apply.done")


class ApplyDoneScreen(SubmittedScreen):
    subject_kind = "application"

    def on_pre_enter(self, *_):
        identity, data = current_identity(), flow_data("apply")
        result = data.get("result")
        if identity is None or not result:
            return
        number = result.get("number", "")
        if number:
            self.number, self.number_label = number, "Application number"
            self.message = ("Keep this number. Use it to check the progress at a terminal or online.")
        else:
            self.number, self.number_label = result["ref"], "Local reference"
            self.message = ("The online hall could not be reached. Your application is saved on this "
                            "terminal and will be sent automatically; nothing more is needed from you.")
        self.can_rate = bool(number)
        name, id_masked = identity.masked()
        receipt = application_receipt(self.number, data["item"]["name"], name, id_masked,
                                      offline=not number, progress_url=progress_url(number) if number else None,
                                      lang=app().lang)
        self.ids.receipt.print(receipt)

    def rating_proof(self) -> dict:
        identity = current_identity()
        return {"id_number": identity.id_number} if identity else {}


def screenshot_setup(kiosk_app, arg: str):
    """"": the start; "item": the list (seed catalogue); "form" / "review" / "done" / "offline":
    with a fictional resident and item."""
    from screens.identify import ResidentIdentity
    if arg in ("", "start"):
        kiosk_app.show("apply")
        return None
    if arg == "item":
        from screens.guides import demo_catalog
        kiosk_app.services.catalog = demo_catalog()
        screen = kiosk_app.screen("apply.item")
        kiosk_app.show("apply.item")
        return lambda: bool(screen.items)
    kiosk_app.session.data["identity"] = ResidentIdentity(
        "张晓明", "430102199003075518", "idcard", "湖南省长沙市芙蓉区五一大道100号演示小区3栋2单元501室")
    data = flow_data("apply")
    data["item"] = {"code": "GF00204001", "name": "城乡居民基本养老保险参保登记", "limit": 0, "materials": []}
    data.update(phone="13800138000", notes="")
    if arg == "form":
        kiosk_app.show("apply.form")
        kiosk_app.screen("apply.form").ids.phone.ids.input.focus = True  # its keypad comes up
    elif arg == "review":
        data["address"] = kiosk_app.session.data["identity"].address
        kiosk_app.show("apply.review")
    else:
        data["result"] = {"ref": "LOCAL-AB23CD45", "number": "" if arg == "offline" else "SB20250602123456"}
        kiosk_app.show("apply.done")
    return None


SCREENS = {"apply": ApplyStartScreen, "apply.item": ApplyItemScreen, "apply.form": ApplyFormScreen,
           "apply.review": ApplyReviewScreen, "apply.done": ApplyDoneScreen}
