"""Printing a PDF on the A4 printer from a resident's flow, or saying why not in plain words.

Blocking: call it through app().background. Printed means CUPS said the job completed
(hardware/a4); a fault (A4Error.fault) becomes a message id the screen translates.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from hardware.model import DeviceError

log = logging.getLogger(__name__)

FAULT_MESSAGES = {
    "paper": "The A4 printer is out of paper.",
    "door": "A door of the A4 printer is open.",
    "stopped": "The A4 printer is not taking print jobs at the moment.",
    "offline": "The A4 printer is not available.",
    "gone": "The A4 printer stopped while printing: your document did not come out.",
    "timeout": "The A4 printer did not finish printing in time.",
    "refused": "The A4 printer could not print your document.",
}
NO_PRINTER = "This terminal has no A4 printer."
A4_TIMEOUT = 180.0  # the call's own limit; the driver's job timeout (URL ?timeout=) is below it


@dataclass(frozen=True)
class A4Outcome:
    printed: bool
    fault: str = ""    # an A4Error.fault, or "absent"
    message: str = ""  # a message id ("" when printed)


def has_a4(devices) -> bool:
    return devices is not None and devices.configured("a4")


def print_pdf(devices, pdf: bytes, title: str) -> A4Outcome:
    if not has_a4(devices):
        return A4Outcome(False, "absent", NO_PRINTER)
    try:
        devices.call("a4", lambda device: device.print_pdf(pdf, title), timeout=A4_TIMEOUT)
    except DeviceError as e:
        fault = getattr(e, "fault", "offline")
        log.warning("not printed on the A4 printer: %s", fault)
        return A4Outcome(False, fault, FAULT_MESSAGES.get(fault, FAULT_MESSAGES["refused"]))
    return A4Outcome(True)


def guide(item: dict) -> bytes:
    """The guide in full as PDF (the catalogue's item)."""
    from kiosk.documents import guide_pdf
    from kiosk.fonts import find_cjk_font
    fonts = find_cjk_font()
    return guide_pdf(item, fonts.regular, fonts.bold)


def print_guide(devices, item: dict) -> A4Outcome:
    return print_pdf(devices, guide(item), f"{item.get('name', '')} 办事指南")


def print_form(devices, item_name: str, reference: str, rows: list[tuple[str, str]],
               signature_png: bytes | None) -> A4Outcome:
    """The application form to sign on paper: the filled fields and the signature drawn on the pad."""
    from datetime import datetime

    from kiosk.documents import form_pdf
    from kiosk.fonts import find_cjk_font
    fonts = find_cjk_font()
    pdf = form_pdf(item_name, reference, rows, signature_png, fonts.regular, fonts.bold,
                   datetime.now().strftime("%Y-%m-%d %H:%M"))
    return print_pdf(devices, pdf, f"{item_name} 申请表")
