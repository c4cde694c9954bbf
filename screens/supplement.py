"""补交材料: an application in 补正 (shown in 办件进度) gets the pages its clerk asked for.

From the progress card's button: the ID card (identify; the hall checks it is the applicant's
card, and so does a look-up here first when the hall answers) -> each material asked for
photographed with the document camera (the apply flow's camera screen) -> sent through the
outbox like an application (pages on the terminal's disk until the hall has them, once) ->
done: sent, or saved and sent later when the hall is down; the clerk looks at them.

The ID number is the proof the hall asks for (hall/api/supplements.py): it is in the session
and in the outbox's payload, which the outbox drops once the hall has answered.
"""

from __future__ import annotations

from pathlib import Path

from kivy.lang import Builder
from kivy.properties import BooleanProperty, DictProperty, NumericProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout

from kiosk import applications
from kiosk.applications import ApplicationFiles
from kiosk.hall_client import HallError
from screens.apply import ApplyCameraScreen
from screens.flow import ReviewScreen, SubmittedScreen, flow_data, show_done
from screens.identify import card_taken_away, current_identity, identify_then
from screens.widgets import app

Builder.load_file(str(Path(__file__).with_name("supplement.kv")))

SESSION_FILES = "supplement_files"  # session data: the pages photographed (ApplicationFiles)
MAX_PAGES = 20  # of one supplement (the hall's limit, hall.materials.MAX_PAGES)
WHY = {"缺少": "Missing", "不清晰": "Unreadable"}  # message ids of the clerk's reasons

NOT_APPLICANT = ("This ID card is not the applicant's for this application. Only the applicant can send "
                 "the missing pages; please ask at a service window.")
NOT_WAITING = ("This application no longer waits for pages. Please look up its progress again, "
               "or ask at a service window.")
EVERY_MATERIAL = "Please photograph every material listed."
NOT_SAVED = "This terminal could not save your pages. Please ask at a service window."
CHECKING = "Checking that this application is yours..."
SENT = ("Your pages have been sent to the online hall. The clerk will look at them; follow the progress "
        "here with the application number.")
QUEUED = ("The online hall cannot be reached now. Your pages are saved on this terminal and will be sent "
          "automatically; the clerk will look at them once they arrive.")
# what the progress card says of a 补正 (screens/progress.py)
ASKS = "The clerk asks you to send these materials again:"
CLERK_NOTE = "Clerk's note: {note}"
SUPPLIED = "Pages sent on {when}. The clerk will look at them."
SEND_BUTTON = "Send the missing pages"


def supplement_files() -> ApplicationFiles:
    return app().session.data.setdefault(SESSION_FILES, ApplicationFiles())


def asked_materials(application: dict) -> list[dict]:
    """The materials a 补正 asks for that can be photographed here (the item's form knows them)."""
    return [m for m in (application.get("supplement") or {}).get("materials", []) if m.get("key")]


def material_line(material: dict, lang: str) -> str:
    """"居民身份证：不清晰" / "Resident ID card: unreadable" (translated here)."""
    why = app().t(WHY.get(material.get("why", ""), "Missing"))
    return f"{applications.material_name(material, lang)}{'：' if lang == 'zh' else ': '}{why}"


def start(application: dict) -> None:
    """From the progress card: send the pages `application` (a hall_api.Progress in 补正) lacks."""
    supplement_files().wipe()
    data = flow_data("supplement")
    data.clear()
    data.update(number=application["number"], item_name=application.get("item_name", ""),
                materials=asked_materials(application))
    identify_then("supplement")


def check_applicant(progress, number: str, id_number: str) -> bool:
    """Blocking: whether the hall lists `number` among this ID number's applications."""
    return any(a.get("number") == number for a in progress.by_identity(id_number))


def build(number: str, id_number: str, materials: list[dict], files: ApplicationFiles
          ) -> tuple[dict, dict[str, bytes]]:
    """(the body of POST /supplements with {"file": name} for each page, the pages by name)."""
    payload = {"number": number, "proof": {"id_number": id_number}, "materials": []}
    blobs: dict[str, bytes] = {}
    for material in materials:
        entry = {"key": material["key"], "pages": []}
        for n, page in enumerate(files.of(material["key"]), 1):
            blobs[f"{material['key']}p{n}"] = bytes(page.jpeg)
            entry["pages"].append({"file": f"{material['key']}p{n}"})
        payload["materials"].append(entry)
    return payload, blobs


class SupplementRow(BoxLayout):
    material = DictProperty({})
    pages = NumericProperty(0)

    def line(self, lang: str) -> str:
        return material_line(self.material, lang)


class SupplementScreen(ReviewScreen):
    """The materials asked for, each with its pages and a Photograph button; Send once each has one."""

    refused = NOT_WAITING
    not_saved = NOT_SAVED
    item = StringProperty("")
    who = StringProperty("")
    status = StringProperty("")            # message id
    not_applicant = BooleanProperty(False)  # the hall says this card is not the applicant's
    ready = BooleanProperty(False)          # every material has a page

    def on_pre_enter(self, *_):
        data, identity = flow_data("supplement"), current_identity()
        self.ids.lines.clear_widgets()
        self.ids.problem.text = ""
        if identity is None or not data.get("number"):
            return
        self.item = f"{data.get('item_name', '')}\n{app().t('Application number')}: {data['number']}"
        self.who = "  ".join(identity.masked())
        files = supplement_files()
        for material in data["materials"]:
            self.ids.lines.add_widget(SupplementRow(material=material, pages=len(files.of(material["key"]))))
        self.ready = all(files.of(m["key"]) for m in data["materials"]) and bool(data["materials"])
        self.not_applicant = data.get("checked") == "no"
        if self.not_applicant:
            self.ids.problem.text = app().t(NOT_APPLICANT)
        elif "checked" not in data:
            self.status = CHECKING
            app().background(check_applicant, app().services.progress, data["number"], identity.id_number,
                             done=self._checked, failed=self._not_checked)

    def _checked(self, theirs: bool) -> None:
        self.status = ""
        flow_data("supplement")["checked"] = "yes" if theirs else "no"
        self.not_applicant = not theirs
        if not theirs:
            self.ids.problem.text = app().t(NOT_APPLICANT)

    def _not_checked(self, error) -> None:
        self.status = ""  # the hall is down or busy: it checks the card when the pages reach it
        if not isinstance(error, HallError):
            self.ids.problem.text = app().t("The progress could not be looked up. Please ask at a service window.")

    def on_device(self, event) -> None:
        if card_taken_away(event) and not self.busy:
            app().end_session("card removed")

    def photograph(self, key: str) -> None:
        flow_data("supplement")["camera_for"] = key
        app().show("supplement.camera")

    def submit(self) -> None:
        data, identity = flow_data("supplement"), current_identity()
        if identity is None or self.busy or self.not_applicant:
            return
        if not self.ready:
            self.ids.problem.text = app().t(EVERY_MATERIAL)
            return
        payload, files = build(data["number"], identity.id_number, data["materials"], supplement_files())
        self.send("supplement", payload, files)

    def _answered(self, result) -> None:
        ref, row = result
        if row is not None and row.state == "rejected" and (row.answer or {}).get("status") == 404:
            self.busy = False
            flow_data("supplement")["checked"] = "no"
            self.not_applicant = True
            self.ids.problem.text = app().t(NOT_APPLICANT)
            return
        super()._answered(result)

    def submitted(self, ref: str, answer: dict) -> None:
        flow_data("supplement")["result"] = {"ref": ref, "sent": bool(answer)}
        show_done("supplement.done")

    def on_wiped(self) -> None:
        super().on_wiped()
        self.item = self.who = self.status = ""
        self.ready = self.not_applicant = False


class SupplementCameraScreen(ApplyCameraScreen):
    """The apply flow's camera screen, for a material a 补正 asks for (no "bring it instead")."""

    back_to = "supplement"
    can_bring = BooleanProperty(False)

    def key(self) -> str:
        return flow_data("supplement").get("camera_for", "")

    def material(self) -> dict:
        return next((m for m in flow_data("supplement").get("materials", []) if m["key"] == self.key()), {})

    def files(self) -> ApplicationFiles:
        return supplement_files()

    def page_limit(self) -> int:
        return MAX_PAGES

    def chosen(self) -> dict:
        return flow_data("supplement").setdefault("chosen", {})


class SupplementDoneScreen(SubmittedScreen):
    def on_pre_enter(self, *_):
        data = flow_data("supplement")
        result = data.get("result")
        if not result:
            return
        self.number, self.number_label = data["number"], "Application number"
        self.message = SENT if result["sent"] else QUEUED
        self.can_rate = False
        supplement_files().wipe()  # in the outbox now: the screens need the pages no more


def screenshot_setup(kiosk_app, arg: str):
    """"": the materials a fictional 补正 asks for, one photographed; "done", "queued": sent or saved."""
    from screens.apply import _demo_page
    from screens.identify import ResidentIdentity
    kiosk_app.session.data["identity"] = ResidentIdentity("张晓明", "430102199003075518", "idcard")
    data = flow_data("supplement")
    data.update(number="SB20250602123456", item_name="就业登记", checked="yes", materials=[
        {"key": "m1", "name": "居民身份证", "name_en": "Resident ID card", "why": "不清晰"},
        {"key": "m2", "name": "劳动合同或营业执照", "name_en": "Employment contract or business licence", "why": "缺少"}])
    if arg in ("done", "queued"):
        data["result"] = {"ref": "LOCAL-AB23CD45", "sent": arg == "done"}
        kiosk_app.show("supplement.done")
        return None
    supplement_files().add("m1", _demo_page(1))
    kiosk_app.show("supplement")
    return None


SCREENS = {"supplement": SupplementScreen, "supplement.camera": SupplementCameraScreen,
           "supplement.done": SupplementDoneScreen}
