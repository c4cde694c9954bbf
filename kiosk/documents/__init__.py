"""Documents the A4 printer prints, as PDF: certificates (证明), application forms, guides."""

from kiosk.documents.certificate import certificate_pdf
from kiosk.documents.form import form_pdf
from kiosk.documents.guide import guide_pdf

__all__ = ["certificate_pdf", "form_pdf", "guide_pdf"]
