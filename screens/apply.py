"""网上申办: identify -> pick an online item -> form prefilled from the card -> what is missing
-> review (masked) -> submit through the durable outbox -> 申办流水号 (or a local reference when
the hall is down) -> printed receipt, or its QR code on screen when the printer fails -> rating.

Taking the ID card away on the review screen ends the session (the resident has walked off);
on the form it does not, because residents take their card back to copy the address.
"""

from __future__ import annotations

from pathlib import Path

from kivy.factory import Factory
from kivy.lang import Builder
from kivy.properties import BooleanProperty, DictProperty, ListProperty, NumericProperty, StringProperty
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.label import Label

from kiosk import applications, forms
from kiosk.applications import ApplicationFiles
from kiosk.privacy import mask_id_number, mask_phone
from kiosk.receipts import application_receipt, progress_url
from screens import form_fields
from screens.flow import FlowScreen, LiveSearch, ReviewScreen, SubmittedScreen, flow_data, review_line, show_done
from screens.identify import (CARD_ENDS_SESSION, FILL_IN, FILLED_IN, card_taken_away, current_identity,
                              identify_then)
from screens.widgets import app

Builder.load_file(str(Path(__file__).with_name("apply.kv")))


def pages_photographed(count: int, lang: str) -> str:
    if count == 1:
        return app().t("1 page photographed", lang)
    return app().t("{count} pages photographed", lang).format(count=count)


MAX_RESULTS = 200
SESSION_FILES = "apply_files"  # session data: the pages and signature (kiosk.applications.ApplicationFiles)


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


def application_files() -> ApplicationFiles:
    return app().session.data.setdefault(SESSION_FILES, ApplicationFiles())


def definition() -> dict:
    return flow_data("apply").get("item", {}).get("form") or {}


def prefill_sources(identity) -> dict[str, str]:
    """What the session knows that a form may start with (docs/hall-api.md, prefill)."""
    session = app().session.data
    record = session.get("identity_card")
    sources = {"session.phone": session.get("last_phone", "")}
    if identity is not None and identity.source == "idcard":
        sources.update({"id.name": identity.name, "id.id_number": identity.id_number, "id.address": identity.address})
        birth = getattr(record, "birth_date", None)
        gender = getattr(record, "gender", None)
        sources.update({"id.birth_date": birth.isoformat() if birth else "",
                        "id.sex": getattr(gender, "label", "") if gender is not None else "",
                        "id.nation": getattr(record, "nation", "") or ""})
    if identity is not None and identity.source == "sscard":
        sources["ssc.number"] = getattr(record, "ssn", "") or identity.id_number
    return sources


def shown_value(field: dict, value, lang: str) -> str:
    """A form value as the review shows it: masked where a passer-by should not read it."""
    kind = field["type"]
    if kind == "yes_no":
        return {True: app().t("Yes"), False: app().t("No")}.get(value, "")
    if kind == "choice":
        choice = next((c for c in field["choices"] if c["value"] == value), None)
        return (choice.get("zh" if lang == "zh" else "en") or choice["value"]) if choice else str(value)
    if kind == "phone":
        return mask_phone(str(value))
    if kind == "id_number":
        privacy = app().settings.privacy
        return mask_id_number(str(value).upper(), privacy.id_show_head, privacy.id_show_tail)
    if kind == "address":
        return mask_address(str(value))
    return str(value)


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
        # pinyin letters still being typed are searched as initials ("sfz")
        self.ids.dock.on_typing(self.ids.search, lambda query: self.search.ask(app().services.catalog, query))

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
        if data.get("item", {}).get("code") != code:  # another item: its own form, materials, signature
            for key in ("form", "materials", "result"):
                data.pop(key, None)
            application_files().wipe()
        full = item if "form" in item else (app().services.catalog.item(code) or item)
        data["item"] = {"code": item["code"], "name": item["name"], "limit": item.get("promised_limit_days"),
                        "form": full.get("form") or {}}
        app().show("apply.form")


class ApplyFormScreen(FlowScreen):
    """The item's own form (its definition from the hall: kiosk.forms), one widget per field
    (screens.form_fields), filled first from the card and the session; checked on Next by the
    same rules the hall applies, each problem next to its field. What was typed is kept."""

    item_name = StringProperty("")
    who = StringProperty("")
    filled_in = StringProperty(FILL_IN)  # message id: what was filled in from where
    problem = StringProperty("")  # message id under the form
    built_for = ""  # the definition version whose widgets are shown

    def on_pre_enter(self, *_):
        identity = current_identity()
        data = flow_data("apply")
        if identity is None or "item" not in data:
            return
        self.item_name = data["item"]["name"]
        self.who = "  ".join(identity.masked())
        self.filled_in = FILLED_IN.get(identity.source, FILL_IN)
        self.problem = ""
        definition_ = definition()
        key = f"{data['item']['code']}:{definition_.get('version', '')}"
        if key != self.built_for:
            self.build(definition_)
            self.built_for = key
        values = data.get("form")
        sources = prefill_sources(identity)
        for widget in self.widgets():
            field = widget.field
            widget.problem = ""
            widget.set_value(values.get(field["key"]) if values is not None else forms.prefill(field, sources))
            if field.get("prefill") == "id.id_number" and identity.source == "idcard" and "input" in widget.ids:
                widget.ids.input.readonly = True  # the identified resident's own number

    def build(self, definition_: dict) -> None:
        box = self.ids.fields
        box.clear_widgets()
        for field in definition_.get("fields", []):
            widget = form_fields.make(field)
            if isinstance(widget, form_fields.TextFormField):
                widget.watch(self.ids.dock)
            box.add_widget(widget)

    def widgets(self) -> list:
        return [w for w in reversed(self.ids.fields.children) if isinstance(w, form_fields.FormField)]

    def values(self) -> dict:
        return {w.field["key"]: w.value for w in self.widgets()}

    def next(self) -> None:
        values = self.values()
        data = flow_data("apply")
        data["form"] = values
        if values.get("phone"):
            app().session.data["last_phone"] = values["phone"]
        problems = forms.check(definition(), values)
        for widget in self.widgets():
            widget.problem = problems.get(widget.field["key"], "")
        self.problem = "Please correct the fields marked above." if problems else ""
        if not problems:
            app().show("apply.materials")

    def on_wiped(self) -> None:
        super().on_wiped()
        self.ids.fields.clear_widgets()
        self.built_for = ""
        self.who = self.item_name = self.problem = ""


class MaterialRow(BoxLayout):
    """One material of the guide and the ways it may be handed in (its `accepts`)."""

    material = DictProperty({})
    how = StringProperty("")     # camera | id_card | window | ""
    pages = NumericProperty(0)
    id_card_ok = BooleanProperty(False)  # the resident was identified by reading their ID card

    def title(self, lang: str) -> str:
        m = self.material
        form = app().t(applications.FORMS.get(m.get("form", ""), ""), lang) if m.get("form") else ""
        count = f" ×{m['count']}" if m.get("count", 1) > 1 else ""
        name = applications.material_name(m, lang) if m else ""
        return name + (f" ({form}{count})" if form else "") + (" *" if m.get("required") else "")

    def state(self, lang: str, *_bindings) -> str:
        t = lambda msgid: app().t(msgid, lang)  # noqa: E731
        if self.how == "camera" and self.pages:
            return pages_photographed(self.pages, lang)
        if self.how == "id_card":
            return t("Your ID card read at this terminal counts as this (electronic licence).")
        if self.how == "window":
            return t("You will bring it to the service window; the receipt lists it.")
        return t("Required: choose how you hand it in.") if self.material.get("required") else t("Only if it applies to you.")


class ApplyMaterialsScreen(FlowScreen):
    """The guide's materials (name, 原件/复印件/电子版, count): photograph each with the document
    camera, count the ID card already read, or bring it to the window. Required ones block Next."""

    problem = StringProperty("")

    def on_pre_enter(self, *_):
        self.problem = ""
        self.refresh()

    def refresh(self) -> None:
        box = self.ids.materials
        box.clear_widgets()
        identity = current_identity()
        chosen = flow_data("apply").setdefault("materials", {})
        files = application_files()
        for material in definition().get("materials", []):
            row = MaterialRow(material=material, how=chosen.get(material["key"], ""),
                              pages=len(files.of(material["key"])),
                              id_card_ok=identity is not None and identity.source == "idcard")
            box.add_widget(row)

    def choose(self, key: str, how: str) -> None:
        chosen = flow_data("apply").setdefault("materials", {})
        if how == "camera":
            flow_data("apply")["camera_for"] = key
            chosen[key] = "camera"
            app().show("apply.camera")
            return
        if chosen.get(key) == how:  # a second tap takes the choice back
            chosen.pop(key)
        else:
            chosen[key] = how
        application_files().drop(key)  # pages of a material handed in another way go
        self.problem = ""
        self.refresh()

    def next(self) -> None:
        chosen = flow_data("apply").setdefault("materials", {})
        missing = applications.missing_materials(definition(), chosen, application_files())
        if missing:
            names = "、".join(applications.material_name(m, app().lang) for m in missing)
            self.problem = app().t(applications.MISSING).format(names=names)
            return
        self.problem = ""
        app().show("apply.review")

    def on_wiped(self) -> None:
        super().on_wiped()
        self.ids.materials.clear_widgets()
        self.problem = ""


class ApplyCameraScreen(FlowScreen):
    """Photographing one material: the live preview with the page's outline, Take photo, the
    pages taken as thumbnails (retake or remove each); a camera fault says what to do and offers
    bringing the paper to the window instead."""

    material_name = StringProperty("")
    status = StringProperty("")     # message id: a capture's problem (the preview has its own)
    status_args = DictProperty({})  # what the message names ({count})
    busy = BooleanProperty(False)
    retaking = NumericProperty(-1)  # the page index the next photo replaces, -1: a new page
    count_text = StringProperty("")
    can_bring = BooleanProperty(True)  # "bring it to the window instead" is offered
    back_to = "apply.materials"        # where Done goes

    # what is photographed, for which flow (screens.supplement's camera says its own)
    def key(self) -> str:
        return flow_data("apply").get("camera_for", "")

    def material(self) -> dict:
        return next((m for m in definition().get("materials", []) if m["key"] == self.key()), {})

    def files(self) -> ApplicationFiles:
        return application_files()

    def page_limit(self) -> int:
        return applications.max_pages(definition())

    def chosen(self) -> dict:
        return flow_data("apply").setdefault("materials", {})

    def on_pre_enter(self, *_):
        self.material_name = applications.material_name(self.material(), app().lang) if self.material() else ""
        self.status, self.retaking, self.busy = "", -1, False
        self.ids.preview.start()
        self.show_pages()

    def on_leave(self, *_):
        self.ids.preview.stop()

    def show_pages(self) -> None:
        from screens.camera_view import thumbnail
        box = self.ids.thumbs
        box.clear_widgets()
        files = self.files()
        for n, page in enumerate(files.of(self.key())):
            cell = Factory.PageCell()
            cell.number, cell.index, cell.chosen, cell.camera = n + 1, n, n == self.retaking, self
            box.add_widget(cell)
            app().background(thumbnail, page.jpeg,
                             done=lambda picture, cell=cell: setattr(cell.ids.thumb, "picture", picture))
        limit = self.page_limit()
        self.count_text = app().t("Pages: {count} of at most {limit} in this application").format(
            count=files.count(), limit=limit)

    def take(self) -> None:
        from screens.camera_view import capture_page
        if self.busy:
            return
        if self.retaking < 0 and self.files().count() >= self.page_limit():
            self.status_args = {"count": self.page_limit()}
            self.status = applications.TOO_MANY_PAGES
            return
        self.busy, self.status = True, "Taking the photo..."
        app().background(capture_page, done=self._taken, failed=self._failed)

    def _taken(self, page) -> None:
        self.busy, self.status = False, ""
        self.files().add(self.key(), page, replace=self.retaking if self.retaking >= 0 else None)
        self.retaking = -1
        self.show_pages()

    def _failed(self, error) -> None:
        from screens.camera_view import fault_message
        self.busy = False
        self.status = fault_message(error)

    def retake(self, index: int) -> None:
        self.retaking = -1 if self.retaking == index else index
        self.status = ""

    def on_retaking(self, *_):
        for cell in self.ids.thumbs.children:
            cell.chosen = cell.index == self.retaking

    def remove(self, index: int) -> None:
        self.files().remove(self.key(), index)
        self.retaking, self.status = -1, ""
        self.show_pages()

    def done(self) -> None:
        if not self.files().of(self.key()):
            self.chosen().pop(self.key(), None)  # nothing photographed: not handed in yet
        app().show(self.back_to)

    def bring_instead(self) -> None:
        self.files().drop(self.key())
        self.chosen()[self.key()] = "window"
        app().show(self.back_to)

    def on_wiped(self) -> None:
        super().on_wiped()
        self.ids.preview.stop()
        self.ids.thumbs.clear_widgets()
        self.status = self.material_name = self.count_text = ""


class ApplyReviewScreen(ReviewScreen):
    refused = ("The online hall did not accept this application. Please check what you entered, "
               "or ask at a service window.")
    not_saved = "This terminal could not save your application. Please ask at a service window."
    card_hint = StringProperty("")  # message id: taking the card away ends the session (a card was used)
    signing = BooleanProperty(False)   # the item asks for a signature
    confirmed = BooleanProperty(False)

    def on_pre_enter(self, *_):
        identity, data = current_identity(), flow_data("apply")
        box = self.ids.lines
        box.clear_widgets()
        self.ids.problem.text = ""
        self.card_hint = CARD_ENDS_SESSION.get(identity.source, "") if identity else ""
        if identity is None or "form" not in data:
            return
        definition_, lang = definition(), app().lang
        name, number = identity.masked()
        box.add_widget(review_line("Item", data["item"]["name"]))
        box.add_widget(review_line("Name", name))
        box.add_widget(review_line("ID number", number))
        for field in definition_.get("fields", []):
            value = data["form"].get(field["key"])
            if value is not None and value != "":
                box.add_widget(Factory.FlowText(text=f"{forms.label(field, lang)}: {shown_value(field, value, lang)}"))
        chosen, files = data.get("materials", {}), application_files()
        for material in definition_.get("materials", []):
            how = chosen.get(material["key"])
            if applications.handed_in(material, chosen, files):
                said = {"camera": pages_photographed(len(files.of(material["key"])), app().lang),
                        "id_card": app().t("ID card read at this terminal"),
                        "window": app().t("bring to the service window")}[how]
                box.add_widget(Factory.FlowText(text=f"{applications.material_name(material, lang)}: {said}"))
        self.signing = bool(definition_.get("signature"))
        self.confirmed = bool(files.signature)

    def on_device(self, event) -> None:
        if card_taken_away(event) and not self.busy:
            app().end_session("card removed")

    def clear_signature(self) -> None:
        self.ids.pad.clear()
        application_files().unsign()
        self.confirmed = False

    def changed_signature(self) -> None:
        """Drawn on after confirming: the confirmed PNG is no longer what the pad shows."""
        if self.confirmed:
            application_files().unsign()
            self.confirmed = False

    def confirm_signature(self) -> None:
        if not self.ids.pad.signed:
            self.ids.problem.text = app().t(applications.SIGN)
            return
        application_files().sign(self.ids.pad.png())
        self.confirmed = True
        self.ids.problem.text = ""

    def submit(self) -> None:
        identity = current_identity()
        if identity is None or self.busy:
            return
        if self.signing and not application_files().signature:
            self.ids.problem.text = app().t(applications.SIGN)
            return
        data = flow_data("apply")
        applicant = {"name": identity.name, "id_number": identity.id_number, "phone": data["form"].get("phone", "")}
        payload, files = applications.build(data["item"]["code"], definition(), data["form"],
                                            data.get("materials", {}), application_files(), applicant)
        self.send("application", payload, files)

    def submitted(self, ref: str, answer: dict) -> None:
        flow_data("apply")["result"] = {"ref": ref, "number": answer.get("number", "")}
        show_done("apply.done")

    def on_wiped(self) -> None:
        super().on_wiped()
        self.ids.pad.clear()
        self.confirmed = self.signing = False


def paper_rows(identity, form: dict, definition_: dict, lang: str) -> list[tuple[str, str]]:
    """The form as the paper to sign shows it: ID number and phones masked, like the receipt."""
    _, number = identity.masked()
    rows = [(app().t("Name"), identity.name), (app().t("ID number"), number)]
    for field in definition_.get("fields", []):
        value = form.get(field["key"])
        if value is not None and value != "":
            shown = str(value) if field["type"] == "address" else shown_value(field, value, lang)
            rows.append((forms.label(field, lang), shown))
    return rows


class ApplyDoneScreen(SubmittedScreen):
    subject_kind = "application"
    can_print_form = BooleanProperty(False)  # an item signed on paper, and an A4 printer
    form_state = StringProperty("")          # "", "printing", "printed", "failed"
    form_message = StringProperty("")        # message id
    _form = None  # (item name, number, rows, signature PNG) for the paper, until the session ends

    def on_pre_enter(self, *_):
        from kiosk.a4print import has_a4
        identity, data = current_identity(), flow_data("apply")
        result = data.get("result")
        self.can_print_form, self.form_state, self.form_message, self._form = False, "", "", None
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
        bring = [applications.material_name(m, app().lang)
                 for m in applications.to_bring(definition(), data.get("materials", {}))]
        receipt = application_receipt(self.number, data["item"]["name"], name, id_masked,
                                      offline=not number, progress_url=progress_url(number) if number else None,
                                      lang=app().lang, bring=bring)
        self.ids.receipt.print(receipt)
        files = application_files()
        if definition().get("signature") and files.signature and has_a4(getattr(app().services, "devices", None)):
            # kept for the print until the session ends (on_wiped), the pad's copy goes now
            self._form = (data["item"]["name"], self.number,
                          paper_rows(identity, data["form"], definition(), app().lang), bytes(files.signature))
            self.can_print_form = True
        files.wipe()  # sent or queued in the outbox: the screens need the pages no more

    def print_form(self) -> None:
        from kiosk.a4print import FAULT_MESSAGES, print_form
        if self._form is None or self.form_state == "printing":
            return
        self.form_state, self.form_message = "printing", "Printing..."
        app().background(print_form, app().services.devices, *self._form, done=self._form_printed,
                         failed=lambda _e: self._form_printed(None, FAULT_MESSAGES["refused"]))

    def _form_printed(self, outcome, failed: str = "") -> None:
        if outcome is not None and outcome.printed:
            self.form_state = "printed"
            self.form_message = "Printed. Please sign the form and bring it to the service window."
        else:
            self.form_state = "failed"
            self.form_message = outcome.message if outcome is not None else failed

    def on_wiped(self) -> None:
        super().on_wiped()
        self._form, self.can_print_form, self.form_state, self.form_message = None, False, "", ""

    def rating_proof(self) -> dict:
        identity = current_identity()
        return {"id_number": identity.id_number} if identity else {}


DEMO_FORM = {  # a fictional item's form for screenshots (the shape of docs/hall-api.md's example)
    "item_code": "QR00104001", "version": "demo0000demo0000", "signature": True,
    "limits": {"max_pages": 20, "max_page_bytes": 1500000, "max_signature_bytes": 200000},
    "fields": [
        {"key": "move_in_address", "label": {"zh": "迁入地址", "en": "Address you are moving to"}, "type": "address",
         "required": True, "min_length": 5,
         "help": {"zh": "本县的详细地址，写到门牌号", "en": "The full address in this county, with the house number"}},
        {"key": "move_reason", "label": {"zh": "迁移原因", "en": "Reason for moving"}, "type": "choice", "required": True,
         "choices": [{"value": "housing", "zh": "购房或租房落户", "en": "Own or rented home here"},
                     {"value": "family", "zh": "投靠亲属", "en": "Joining family"},
                     {"value": "work", "zh": "工作调动", "en": "Work transfer"}]},
        {"key": "people", "label": {"zh": "迁移人数", "en": "People moving"}, "type": "number", "required": True,
         "integer": True, "min": 1, "max": 20},
        {"key": "move_date", "label": {"zh": "拟迁入日期", "en": "Moving date"}, "type": "date", "earliest": "today"},
        {"key": "with_children", "label": {"zh": "是否有未成年子女随迁", "en": "Children moving with you"},
         "type": "yes_no"},
        {"key": "phone", "label": {"zh": "联系电话", "en": "Contact phone"}, "type": "phone", "required": True,
         "prefill": "session.phone"},
        {"key": "address", "label": {"zh": "联系地址", "en": "Contact address"}, "type": "address", "required": True,
         "max_length": 200, "prefill": "id.address"},
        {"key": "notes", "label": {"zh": "备注", "en": "Notes"}, "type": "long_text", "max_length": 500}],
    "materials": [
        {"key": "m1", "name": "居民身份证", "name_en": "Resident ID card", "form": "原件", "count": 1, "notes": "",
         "required": True, "accepts": ["id_card", "camera", "window"]},
        {"key": "m2", "name": "居民户口簿", "name_en": "Household register (hukou booklet)", "form": "原件", "count": 1,
         "notes": "户主页和本人页", "required": True, "accepts": ["camera", "window"]},
        {"key": "m3", "name": "拟迁入户的户主同意书", "name_en": "Consent of the head of the household you move into",
         "form": "原件", "count": 1, "notes": "迁入他人户的提供", "required": False, "accepts": ["camera", "window"]}]}


def screenshot_setup(kiosk_app, arg: str):
    """"": the start; "item": the list (seed catalogue); with a fictional resident and item
    (DEMO_FORM): "form", "form-problems", "materials", "camera" (the sim: camera's live
    picture), "thumbs" (two pages taken), "review", "signed", "done", "offline"."""
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
    kiosk_app.session.data["last_phone"] = "13800138000"
    data = flow_data("apply")
    data["item"] = {"code": DEMO_FORM["item_code"], "name": "户口迁移（县内迁入）", "limit": 5, "form": DEMO_FORM}
    form = {"move_in_address": "青山县人民路8号3栋201室", "move_reason": "family", "people": 2,
            "move_date": "", "with_children": False, "phone": "13800138000",
            "address": kiosk_app.session.data["identity"].address, "notes": ""}
    if arg in ("form", "form-problems"):
        kiosk_app.show("apply.form")
        screen = kiosk_app.screen("apply.form")
        if arg == "form-problems":
            for widget in screen.widgets():
                if widget.field["key"] == "people":
                    widget.ids.input.text = "25"
            screen.next()
        return None
    data["form"] = form
    data["materials"] = {"m1": "id_card", "m2": "camera"}
    if arg in ("camera", "thumbs"):
        return _camera_screenshot(kiosk_app, data, pages=2 if arg == "thumbs" else 0)
    if arg == "materials":
        data["materials"] = {"m1": "id_card", "m3": "window"}
        kiosk_app.show("apply.materials")
        kiosk_app.screen("apply.materials").next()  # the hukou booklet is missing: says so
        return None
    files = application_files()
    files.add("m2", _demo_page(1))
    files.add("m2", _demo_page(2))
    if arg in ("review", "signed"):
        kiosk_app.show("apply.review")
        if arg == "signed":
            _demo_signature(kiosk_app.screen("apply.review"))
        return None
    data["materials"]["m3"] = "window"
    data["result"] = {"ref": "LOCAL-AB23CD45", "number": "" if arg == "offline" else "SB20250602123456"}
    kiosk_app.show("apply.done")
    return None


def _demo_page(n: int):
    """A page made from the sim: camera's scene (no camera needed)."""
    import cv2

    from hardware.camera import scene
    from hardware.camera.page import Page
    picture = cv2.cvtColor(scene.draw_document(scene.DOCUMENTS[3 + n - 1], scene.system_font()[0]), cv2.COLOR_RGB2BGR)
    _ok, jpeg = cv2.imencode(".jpg", picture)
    return Page(bytearray(jpeg.tobytes()), picture.shape[1], picture.shape[0], 150, 90)


def _demo_signature(screen) -> None:
    """Draw 张晓明-like strokes on the pad and confirm them."""
    import math
    pad = screen.ids.pad
    pad.strokes = [[(0.1 + 0.25 * t, 0.5 + 0.25 * math.sin(t * 9)) for t in (i / 30 for i in range(31))],
                   [(0.4 + 0.2 * t, 0.3 + 0.4 * t + 0.08 * math.cos(t * 12)) for t in (i / 30 for i in range(31))],
                   [(0.65 + 0.25 * t, 0.6 - 0.3 * t * t) for t in (i / 30 for i in range(31))]]
    from kivy.graphics import Color, Line
    with pad.canvas:
        Color(0.05, 0.1, 0.35, 1)
        pad._lines = [Line(width=pad.ink) for _ in pad.strokes]
    pad._redraw()
    pad.signed = True
    screen.confirm_signature()


def _camera_screenshot(kiosk_app, data: dict, pages: int):
    """The camera screen on an in-process sim: camera (screenshots run without the DeviceHub)."""
    from hardware.camera import from_url
    from screens import camera_view
    device = from_url("sim:")
    device.open()
    device.enable()
    camera_view.screenshot_camera = device
    def close(*_):
        device.close()  # no OpenCV thread left at exit (an on_stop handler returns None)
    kiosk_app.bind(on_stop=close)
    data["camera_for"] = "m2"
    for n in range(pages):
        application_files().add("m2", device.capture())
    kiosk_app.show("apply.camera")
    preview = kiosk_app.screen("apply.camera").ids.preview
    return lambda: preview.found and preview.shown >= 3


SCREENS = {"apply": ApplyStartScreen, "apply.item": ApplyItemScreen, "apply.form": ApplyFormScreen,
           "apply.materials": ApplyMaterialsScreen, "apply.camera": ApplyCameraScreen,
           "apply.review": ApplyReviewScreen, "apply.done": ApplyDoneScreen}
