"""Thermal receipt printer: ESC/POS driver, receipt layout and an emulator with PNG previews.

``from_url(url)`` takes usb://0xVVVV:0xPPPP, serial:///dev/ttyS1?baudrate=9600,
tcp://host:9100, file:///dev/usb/lp0 or sim: (an in-process emulator on
127.0.0.1, reachable as ``device.emulator``). Any of them may carry printer
settings in the query: width=58|80, encoding=gb18030|gbk|utf-8, chinese=on|off,
qr=native|image, qr_size=1..16, timeout=seconds.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit

from hardware.printer.driver import ReceiptPrinter
from hardware.printer.errors import (CoverOpen, PaperOut, PrinterError, PrinterNoAnswer,
                                     PrinterOffline, PrinterUnavailable, ReceiptError)
from hardware.printer.receipt import PrintOptions, Receipt

__all__ = ["from_url", "ReceiptPrinter", "Receipt", "PrintOptions", "PrinterError", "ReceiptError",
           "PrinterUnavailable", "PrinterNoAnswer", "PrinterOffline", "CoverOpen", "PaperOut"]


class _SimulatedPrinter(ReceiptPrinter):
    """The real driver on TCP to an emulator it owns; closing the device stops the emulator."""

    def _close(self) -> None:
        super()._close()
        if self.emulator is not None:
            self.emulator.stop()


def from_url(url: str, width: int | None = None) -> ReceiptPrinter:
    """The driver for a printer URL; `width` (58 or 80) overrides the URL's paper width."""
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    if width is not None:
        query["width"] = str(width)
    if parts.scheme == "none":
        raise PrinterUnavailable("no printer is configured (devices.printer is none:)")
    if parts.scheme != "sim":
        return ReceiptPrinter(parts._replace(query=urlencode(query)).geturl())
    from hardware.printer.emulator import PrinterEmulator
    width_mm = int(query["width"]) if query.get("width") in ("58", "80") else PrintOptions.width
    emulator = PrinterEmulator(width=width_mm, encoding=query.get("encoding", PrintOptions.encoding))
    try:
        device = _SimulatedPrinter(f"{emulator.start_tcp()}?{urlencode(query)}")
    except Exception:
        emulator.stop()
        raise
    device.emulator = emulator
    return device
