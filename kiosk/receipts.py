"""What the terminal prints: guide summaries, application receipts, booking and 12345 tickets.

Builders return a hardware.printer.receipt.Receipt; labels are English message ids
translated for the resident's language (item content stays as the hall wrote it).
Personal data on paper is masked: a caller that passes an unmasked name or ID
number still gets a masked one printed.

`print_receipt` never raises for a printer fault: it returns a PrintOutcome whose
`reason` (a message id) a flow shows before offering the receipt's QR code on screen
(`receipt_qr`) instead of paper.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from hardware.model import DeviceError
from hardware.printer.errors import (CoverOpen, PaperOut, PrinterNoAnswer, PrinterOffline,
                                     PrinterUnavailable, ReceiptError)
from hardware.printer.receipt import Barcode, PrintOptions, Qr, Receipt, _check_barcode
from kiosk.i18n import translate
from kiosk.privacy import mask_id_number, mask_name

log = logging.getLogger("kiosk.receipts")

PORTAL = "https://zwfw.example.gov.cn"
REQUEST_TYPES = {"咨询": "Enquiry", "求助": "Request for help", "投诉": "Complaint",
                 "建议": "Suggestion", "举报": "Report"}
MATERIAL_FORMS = {"原件": "original", "复印件": "copy", "电子版": "electronic"}


def guide_url(code: str) -> str:
    return f"{PORTAL}/item/{code}"


def progress_url(number: str) -> str:
    return f"{PORTAL}/progress/{number}"


def booking_url(booking_number: str) -> str:
    return f"{PORTAL}/booking/{booking_number}"


def request_url(ticket: str) -> str:
    return f"{PORTAL}/request/{ticket}"


def limit_text(days: Any, lang: str) -> str:
    """承诺时限 / 法定时限 in words: 0 is 当场办结, None is not set."""
    if days is None or days == "":
        return translate("Not set", lang)
    if int(days) == 0:
        return translate("Done on the spot", lang)
    return translate("{days} working days", lang).format(days=days)


def material_text(material: dict, lang: str) -> str:
    form = material.get("form", "")
    form_word = translate(MATERIAL_FORMS[form], lang) if form in MATERIAL_FORMS else form
    text = f"{material.get('name', '')} ({form_word} x{material.get('count', 1)})"
    return text + (f" {material['notes']}" if material.get("notes") else "")


def _now() -> str:
    return datetime.now().strftime("%Y-%m-%d %H:%M")


def _masked_name(name: str) -> str:
    return name if "*" in name else mask_name(name)


def _masked_id(number: str) -> str:
    return number if "*" in number else mask_id_number(number)


# builders ------------------------------------------------------------------------
def guide_summary(item: dict, lang: str) -> Receipt:
    t = lambda msgid: translate(msgid, lang)  # noqa: E731
    agency = item.get("agency") or {}
    fee = item.get("fee") or {}
    r = Receipt().title(t("Service guide summary")).rule()
    r.text(item.get("name", ""))
    r.line(t("Item code"), item.get("code", ""))
    r.line(t("Handled by"), agency.get("name") or (item.get("department") or {}).get("name", ""))
    r.line(t("Promised time limit"), limit_text(item.get("promised_limit_days"), lang))
    r.line(t("Legal time limit"), limit_text(item.get("legal_limit_days"), lang))
    r.line(t("Visits needed"), str(item.get("visits", "")))
    r.line(t("Online"), t("Yes") if item.get("online") else t("No"))
    r.rule()
    r.text(t("Materials") + ":")
    for n, material in enumerate(item.get("materials", []), 1):
        r.text(f"{n}. {material_text(material, lang)}")
    if item.get("steps"):
        r.text(t("Steps") + ":")
        for n, step in enumerate(item["steps"], 1):
            r.text(f"{n}. {step}")
    r.rule()
    r.text(t("Fee") + ": " + (fee.get("standard") or t("Free")))
    r.text(t("Place") + ": " + item.get("place", ""))
    r.text(t("Hours") + ": " + item.get("hours", ""))
    r.line(t("Enquiries"), item.get("consult_phone", ""))
    r.line(t("Complaints"), item.get("complaint_phone", ""))
    r.rule()
    r.text(t("Scan to read the full guide on your phone"), align="center")
    r.qr(guide_url(item.get("code", "")))
    r.text(_now(), align="center")
    return r.cut()


def application_receipt(reference: str, item_name: str, name_masked: str, id_masked: str,
                        offline: bool, progress_url: str | None, lang: str, bring: list[str] = ()) -> Receipt:
    """`bring`: the materials the resident brings to the service window (their names)."""
    t = lambda msgid: translate(msgid, lang)  # noqa: E731
    r = Receipt().title(t("Application receipt")).rule()
    r.line(t("Local reference") if offline else t("Application number"), reference)
    r.text(t("Item") + ": " + item_name)
    r.line(t("Applicant"), _masked_name(name_masked))
    r.line(t("ID number"), _masked_id(id_masked))
    r.line(t("Submitted at"), _now())
    r.rule()
    if offline:
        r.text(t("The online hall could not be reached. Your application is saved on this "
                 "terminal and will be sent automatically; nothing more is needed from you."))
    else:
        r.text(t("Keep this receipt. Use the application number to check progress at a "
                 "terminal or online."))
    if bring:
        r.rule()
        r.text(t("Please bring to the service window:"))
        for name in bring:
            r.text(f"· {name}")
    r.barcode(reference)
    if progress_url:
        r.text(t("Scan to follow the progress on your phone"), align="center")
        r.qr(progress_url)
    return r.cut()


def booking_ticket(booking: dict, lang: str) -> Receipt:
    t = lambda msgid: translate(msgid, lang)  # noqa: E731
    outlet = booking.get("outlet") or {}
    r = Receipt().title(t("Appointment ticket")).rule()
    r.text(t("Your number"), align="center")
    r.title(booking.get("ticket", ""))
    r.line(t("Booking number"), booking.get("booking_number", ""))
    r.text(t("Item") + ": " + (booking.get("item_name") or booking.get("item_code", "")))
    r.line(t("Date"), booking.get("date", ""))
    r.line(t("Time"), f"{booking.get('start', '')}-{booking.get('end', '')}")
    r.text(t("Place") + ": " + outlet.get("name", ""))
    if outlet.get("address"):
        r.text(outlet["address"])
    r.rule()
    r.text(t("Please arrive 10 minutes early and bring your ID card and the materials."))
    r.barcode(booking.get("booking_number", ""))
    r.qr(booking_url(booking.get("booking_number", "")))
    return r.cut()


def request_ticket(ticket: str | dict, type: str, lang: str) -> Receipt:  # noqa: A002 (agreed name)
    """`ticket` is the ticket number, or the hall's Request answer (then its due date prints too)."""
    t = lambda msgid: translate(msgid, lang)  # noqa: E731
    answer = ticket if isinstance(ticket, dict) else {"ticket": ticket}
    number = answer.get("ticket", "")
    type_word = t(REQUEST_TYPES[type]) if type in REQUEST_TYPES else type
    r = Receipt().title(t("12345 request ticket")).rule()
    r.line(t("Ticket number"), number)
    r.line(t("Type"), type_word)
    r.line(t("Submitted at"), _now())
    if answer.get("due_date"):
        r.line(t("Reply due by"), answer["due_date"])
    r.rule()
    r.text(t("Use the ticket number to follow your request by calling 12345 or at a terminal."))
    r.barcode(number)
    r.qr(request_url(number))
    return r.cut()


def certificate_slip(cert: dict, lang: str) -> Receipt:
    """When the A4 printer cannot print a certificate: its code and the QR of its electronic
    copy (the hall's check page), which the resident or a bank clerk opens."""
    t = lambda msgid: translate(msgid, lang)  # noqa: E731
    r = Receipt().title(t("Certificate (electronic copy)")).rule()
    r.text(cert.get("title", ""), align="center")
    r.line(t("Verification code"), cert.get("code") or "")
    r.line(t("Issued at"), (cert.get("issued_at") or "")[:10])
    r.text(cert.get("issuer", ""))
    r.rule()
    r.text(t("Scan the QR code to open the certificate's electronic copy and check it is genuine."))
    if cert.get("verify_url"):
        r.qr(cert["verify_url"])
    return r.cut()


def receipt_qr(receipt: Receipt) -> str | None:
    """The data of the receipt's QR code: what a flow shows on screen when paper fails."""
    return next((item.data for item in receipt.items if isinstance(item, Qr)), None)


def receipt_text(receipt: Receipt, options: PrintOptions | None = None) -> list[str]:
    """The receipt's text lines as they would print (for a screen's preview)."""
    return receipt.lines(options or PrintOptions())


# printing ------------------------------------------------------------------------
@dataclass(frozen=True)
class PrintOutcome:
    printed: bool
    reason: str = ""   # a message id for the screen ("" when printed)
    fault: str = ""    # paper-out, cover-open, offline, no-answer, absent, layout (for reports)


FAULTS = [  # most specific class first
    (PaperOut, "paper-out", "The printer is out of paper."),
    (CoverOpen, "cover-open", "The printer cover is open."),
    (PrinterNoAnswer, "no-answer", "The printer does not answer."),
    (PrinterOffline, "offline", "The printer is offline."),
    (PrinterUnavailable, "offline", "The printer is offline."),
]


def _fit(receipt: Receipt, options: PrintOptions) -> Receipt:
    """Drop barcodes too long for this paper (a CODE128 of a 16-character number needs 80 mm);
    the QR code still carries the number."""
    kept = []
    for item in receipt.items:
        if isinstance(item, Barcode):
            try:
                _check_barcode(item.data, options.paper)
            except ReceiptError:
                continue
        kept.append(item)
    return replace(receipt, items=kept)


def print_receipt(printer_device, receipt: Receipt) -> PrintOutcome:
    """Print, or say in plain words why not. Blocking: call it through app.background."""
    if printer_device is None:
        return PrintOutcome(False, "This terminal has no printer.", "absent")
    options = getattr(printer_device, "options", None) or PrintOptions()
    try:
        printer_device.print_receipt(_fit(receipt, options))
    except ReceiptError as e:
        log.error("receipt not printed: layout problem (%s)", e.__class__.__name__)
        return PrintOutcome(False, "The receipt could not be printed.", "layout")
    except (DeviceError, OSError) as e:
        for cls, fault, reason in FAULTS:
            if isinstance(e, cls):
                break
        else:
            fault, reason = "offline", "The printer is offline."
        log.warning("receipt not printed: %s", fault)
        return PrintOutcome(False, reason, fault)
    return PrintOutcome(True)
