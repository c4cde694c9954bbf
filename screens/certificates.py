"""证明开具: identify with a card, pick a certificate, see it, print it on the A4 printer.

The hall holds the registers and records each certificate it issues (kiosk/certificates.py,
hall/certificates.py). Only a card read identifies here (ID card or social security card):
a certificate states facts about a person, so a typed ID number is not enough. On screen the
name, the ID number and the facts about a person's property or address are masked; the
paper has them in full. When the A4 printer cannot print, the resident is told why in plain
words and gets the certificate's electronic copy instead: its QR on the screen and, on the
receipt printer, a slip with the QR and the verification code.
"""

from __future__ import annotations

import math
from pathlib import Path

from kivy.factory import Factory
from kivy.lang import Builder
from kivy.properties import BooleanProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout

from kiosk.hall_client import HallError, HallRejected
from kiosk.privacy import mask_name
from screens.flow import FlowScreen, flow_data, show_done
from screens.identify import (ResidentIdentity, card_taken_away, current_identity, id_number_problem,
                              identify_then, identity_from_id_card, read_social_card)
from screens.widgets import app

Builder.load_file(str(Path(__file__).with_name("certificates.kv")))

# kind -> (title, what it is for); the hall's titles are these in Chinese (hall/certificates.py)
KINDS = {
    "social-insurance": ("Social insurance contribution certificate",
                         "Your insurances and months paid, e.g. for a bank, school or employer"),
    "household": ("Household registration certificate", "Where your household is registered"),
    "real-estate": ("Real estate registration record", "The property registered in your name, or that there is none"),
}
CARD_SOURCES = ("idcard", "sscard")
CARD_NEEDED = ("A certificate can only be issued after your ID card or social security card is read. "
               "Please place your ID card on the reader or insert your social security card.")
NO_RECORD = "No record for this certificate was found for you. Please ask at a service window."
HALL_DOWN = "The online hall cannot be reached now. Please try again later, or ask at a service window."
RATE_LIMITED = "Too many look-ups were made just now. Please try again in {minutes} min, or ask at a service window."
NOT_ISSUED = "The certificate could not be issued. Please ask at a service window."
PRINTING = "Printing your certificate. This takes up to a minute..."


def masked(value: str) -> str:
    """A personal fact on screen: its first characters only (the paper has it whole)."""
    return value if len(value) <= 3 else value[:3] + "*" * min(6, len(value) - 3)


def issue_and_print(services, kind: str, id_number: str, request_key: str):
    """Blocking: issue (the same key on a retry: one certificate) and print on the A4 printer."""
    certificate = services.certificates.issue(kind, id_number, request_key)
    return services.certificates.print(certificate)


def print_again(services, certificate):
    return services.certificates.print(certificate)


def _hall_problem(error) -> str:
    if isinstance(error, HallRejected) and error.status == 429:
        minutes = max(1, math.ceil((error.retry_after or 60) / 60))
        return app().t(RATE_LIMITED).format(minutes=minutes)
    if isinstance(error, HallRejected) and error.status == 404:
        return NO_RECORD
    return HALL_DOWN if isinstance(error, HallError) else NOT_ISSUED


class CertificateRow(BoxLayout):
    label = StringProperty("")
    value = StringProperty("")


class CertificatesScreen(FlowScreen):
    who = StringProperty("")
    problem = StringProperty("")  # message id, or text already translated
    busy = BooleanProperty(False)

    def on_kv_post(self, _base):
        for kind, (title, hint) in KINDS.items():
            button = Factory.TypeButton(msgid=title, hint=hint)
            button.bind(on_release=lambda _b, k=kind: self.pick(k))
            self.ids.kinds.add_widget(button)

    def on_pre_enter(self, *_):
        self.problem, self.busy = "", False
        self._show_identity()

    def _show_identity(self) -> None:
        identity = current_identity()
        if identity is None or identity.source not in CARD_SOURCES:
            self.who = ""
            self.problem = CARD_NEEDED if identity is not None else ""
            return
        name, number = identity.masked()
        self.who, self.problem = f"{name}  {number}", ""

    def on_device(self, event) -> None:
        if card_taken_away(event):
            app().end_session("card removed")
        elif event.kind == "identity" and event.device == "idcard":  # a card placed on this screen
            identity = identity_from_id_card(event.data)
            if identity is not None:
                app().session.data["identity"] = identity
                self._show_identity()
        elif event.kind == "card_inserted" and event.device == "card" and not self.busy:
            self.busy = True
            app().background(read_social_card, app().services.devices, done=self._social_card,
                             failed=lambda _e: self._social_card(None))

    def _social_card(self, record) -> None:
        self.busy = False
        if record is None or getattr(record.kind, "value", "") != "social_security" or id_number_problem(record.ssn):
            self.problem = CARD_NEEDED
            return
        app().session.data["identity_card"] = record  # wiped with the session, like identify's
        app().session.data["identity"] = ResidentIdentity(record.name, record.ssn, "sscard")
        self._show_identity()

    def use_card(self) -> None:
        app().session.data.pop("identity", None)
        identify_then("certificates")

    def pick(self, kind: str) -> None:
        identity = current_identity()
        if self.busy or identity is None or identity.source not in CARD_SOURCES:
            self.problem = CARD_NEEDED
            return
        self.busy, self.problem = True, ""
        app().background(app().services.certificates.preview, kind, identity.id_number,
                         done=lambda preview: self._previewed(kind, preview), failed=self._failed)

    def _previewed(self, kind: str, preview) -> None:
        self.busy = False
        if preview is None:
            self.problem = NO_RECORD
            return
        data = flow_data("certificate")
        data.clear()
        data.update(kind=kind, preview=preview, key=app().services.certificates.new_request())
        app().show("certificates.preview")

    def _failed(self, error) -> None:
        self.busy = False
        self.problem = _hall_problem(error)

    def on_wiped(self) -> None:
        super().on_wiped()
        self.who = self.problem = ""


class CertificatePreviewScreen(FlowScreen):
    heading = StringProperty("")
    status = StringProperty("")
    problem = StringProperty("")
    busy = BooleanProperty(False)

    def on_pre_enter(self, *_):
        self.status, self.problem, self.busy = "", "", False
        self.show(flow_data("certificate").get("preview"))

    def show(self, cert) -> None:
        lines = self.ids.lines
        lines.clear_widgets()
        if not cert:
            self.heading = ""
            return
        self.heading = cert["title"]
        identity = current_identity()
        _, number = identity.masked() if identity else ("", cert["id_masked"])
        rows = [(app().t("Name"), mask_name(cert["holder_name"])), (app().t("ID number"), number)]
        rows += [(f["label"], masked(f["value"]) if f.get("personal") else f["value"]) for f in cert["facts"]]
        rows.append((app().t("Issued by"), cert["issuer"]))
        for label, value in rows:
            lines.add_widget(CertificateRow(label=label, value=value))

    def on_device(self, event) -> None:
        if card_taken_away(event) and not self.busy:
            app().end_session("card removed")

    def print(self) -> None:
        data, identity = flow_data("certificate"), current_identity()
        if self.busy or identity is None or not data:
            return
        self.busy, self.status, self.problem = True, PRINTING, ""
        app().background(issue_and_print, app().services, data["kind"], identity.id_number, data["key"],
                         done=self._printed, failed=self._failed)

    def _printed(self, outcome) -> None:
        self.busy, self.status = False, ""
        flow_data("certificate")["outcome"] = outcome
        show_done("certificates.done")

    def _failed(self, error) -> None:
        self.busy, self.status = False, ""
        self.problem = _hall_problem(error)

    def on_wiped(self) -> None:
        super().on_wiped()
        self.ids.lines.clear_widgets()
        self.heading = self.status = self.problem = ""


class CertificateDoneScreen(FlowScreen):
    printed = BooleanProperty(False)
    problem = StringProperty("")  # message id: why the A4 printer did not print
    code = StringProperty("")
    qr = StringProperty("")       # the electronic copy (the hall's check page)
    busy = BooleanProperty(False)

    def on_pre_enter(self, *_):
        self.show(flow_data("certificate").get("outcome"))

    def show(self, outcome) -> None:
        self.busy = False
        if outcome is None:
            self.printed, self.problem, self.code, self.qr = False, "", "", ""
            return
        cert = outcome.certificate
        self.printed, self.problem = outcome.printed, outcome.message
        self.code, self.qr = cert.get("code") or "", cert.get("verify_url") or ""

    def print_slip(self) -> None:
        outcome = flow_data("certificate").get("outcome")
        if outcome is not None:
            self.ids.receipt.print(app().services.certificates.receipt(outcome.certificate, app().lang))

    def try_again(self) -> None:
        outcome = flow_data("certificate").get("outcome")
        if outcome is None or self.busy:
            return
        self.busy, self.problem = True, PRINTING
        app().background(print_again, app().services, outcome.certificate, done=self._again,
                         failed=lambda _e: self._again(outcome))

    def _again(self, outcome) -> None:
        flow_data("certificate")["outcome"] = outcome
        self.show(outcome)

    def on_wiped(self) -> None:
        super().on_wiped()
        self.printed, self.problem, self.code, self.qr = False, "", "", ""


# screenshots ---------------------------------------------------------------------------------
SAMPLE = {"kind": "social-insurance", "title": "社会保险参保缴费证明", "issuer": "青山县社会保险事业管理中心",
          "holder_name": "张晓明", "id_masked": "4301**********5518",
          "statement": "兹证明上述人员在本县参加社会保险，参保缴费情况如上表所列。",
          "facts": [{"label": "险种", "value": "企业职工基本养老保险、职工基本医疗保险、失业保险、工伤保险", "personal": False},
                    {"label": "参保状态", "value": "正常参保", "personal": False},
                    {"label": "参保单位", "value": "青山县演示科技有限公司", "personal": True},
                    {"label": "首次参保年月", "value": "2013-07", "personal": False},
                    {"label": "累计缴费月数", "value": "161 个月", "personal": False},
                    {"label": "最近缴费年月", "value": "2026-11", "personal": False}],
          "issued_at": "2026-12-03T10:00:00+08:00", "code": "7KQ2-M8XD-4RTF",
          "verify_url": "http://127.0.0.1:8765/verify/7KQ2-M8XD-4RTF"}


def screenshot_setup(kiosk_app, arg: str):
    """"": pick a certificate; "preview"; "done"; "fault": out of paper, the electronic copy offered."""
    from kiosk.a4print import FAULT_MESSAGES
    from kiosk.certificates import PrintedCertificate
    from screens.identify import ResidentIdentity
    kiosk_app.session.data["identity"] = ResidentIdentity("张晓明", "430102199003075518", "idcard")
    data = flow_data("certificate")
    data.update(kind="social-insurance", preview=SAMPLE, key="cert-screenshot")
    if arg in ("done", "fault"):
        data["outcome"] = PrintedCertificate(arg == "done", SAMPLE, "" if arg == "done" else "paper",
                                             "" if arg == "done" else FAULT_MESSAGES["paper"])
        kiosk_app.show("certificates.done")
    elif arg == "preview":
        kiosk_app.show("certificates.preview")
    else:
        kiosk_app.show("certificates")
    return None


SCREENS = {"certificates": CertificatesScreen, "certificates.preview": CertificatePreviewScreen,
           "certificates.done": CertificateDoneScreen}
