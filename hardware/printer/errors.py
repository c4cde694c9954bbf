"""Printer failures: each message is one plain line a resident or admin can act on."""

from __future__ import annotations

from hardware.model import DeviceError


class PrinterError(DeviceError):
    """Base of every printer failure."""


class ReceiptError(PrinterError, ValueError):
    """The receipt cannot be laid out or encoded (bad text, barcode or setting)."""


class PrinterUnavailable(PrinterError):
    """The printer cannot be reached at all (not found, connection refused, port gone)."""


class PrinterNoAnswer(PrinterError):
    """The printer does not answer its status request in time."""


class PrinterOffline(PrinterError):
    """The printer says it is offline (and gives no more specific cause)."""


class CoverOpen(PrinterError):
    pass


class PaperOut(PrinterError):
    pass
