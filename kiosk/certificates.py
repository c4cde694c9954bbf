"""证明开具 at the terminal: ask the hall, lay the certificate out as PDF, print it on the A4 printer.

Blocking: the screens call it through app().background. The resident's ID number is
passed in from the session and goes only to the hall (in a POST body); nothing here
logs it or keeps it. The hall records each issued certificate, so one is issued only
when the resident asks for it to be printed (a preview records nothing), and again
with the same Idempotency-Key when that print is tried again.

When the A4 printer cannot print (out of paper, door open, queue stopped, gone mid-job)
the outcome says why in a message id the screen translates, and the certificate is
still issued: its QR (the hall's check page, which is the electronic copy) prints on the
receipt printer instead, or shows on the screen.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from kiosk import a4print, hall_api
from kiosk.hall_client import HallClient

NOT_OUT = "The A4 printer stopped while printing: your certificate did not come out."


@dataclass(frozen=True)
class PrintedCertificate:
    printed: bool
    certificate: hall_api.Certificate
    fault: str = ""    # an A4Error.fault, or "absent"
    message: str = ""  # a message id ("" when printed)


class Certificates:
    def __init__(self, hall: HallClient, devices, fonts=None) -> None:
        """`devices`: the DeviceHub; `fonts`: a kiosk.fonts.FontPair (found when first needed)."""
        self.hall, self.devices, self._fonts = hall, devices, fonts

    def kinds(self) -> list[hall_api.CertificateKind]:
        return hall_api.certificate_kinds(self.hall)

    def preview(self, kind: str, id_number: str) -> hall_api.Certificate | None:
        return hall_api.certificate_preview(self.hall, kind, id_number)

    def new_request(self) -> str:
        """The Idempotency-Key of one resident's "print" (kept by the screen for its retries)."""
        return "cert-" + uuid.uuid4().hex

    def issue(self, kind: str, id_number: str, request_key: str) -> hall_api.Certificate:
        return hall_api.issue_certificate(self.hall, kind, id_number, request_key)

    def pdf(self, certificate: hall_api.Certificate) -> bytes:
        from kiosk.documents import certificate_pdf
        fonts = self._fonts_pair()
        return certificate_pdf(certificate, fonts.regular, fonts.bold)

    def print(self, certificate: hall_api.Certificate) -> PrintedCertificate:
        """Print on the A4 printer; printed only when CUPS says the job completed."""
        if not a4print.has_a4(self.devices):
            return PrintedCertificate(False, certificate, "absent", a4print.NO_PRINTER)
        outcome = a4print.print_pdf(self.devices, self.pdf(certificate), certificate["title"])
        message = NOT_OUT if outcome.fault == "gone" else outcome.message
        return PrintedCertificate(outcome.printed, certificate, outcome.fault, message)

    def receipt(self, certificate: hall_api.Certificate, lang: str):
        """The receipt printer's stand-in: the certificate's code and the QR of its electronic copy."""
        from kiosk.receipts import certificate_slip
        return certificate_slip(certificate, lang)

    def _fonts_pair(self):
        if self._fonts is None:
            from kiosk.fonts import find_cjk_font
            self._fonts = find_cjk_font()
        return self._fonts
