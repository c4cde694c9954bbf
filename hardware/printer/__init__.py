"""Thermal receipt printer: ESC/POS driver, receipt layout and an emulator with PNG previews.

Device URLs: usb://0xVVVV:0xPPPP, serial:///dev/ttyS1?baudrate=9600,
tcp://host:9100, file:///dev/usb/lp0 or sim: (an in-process emulator on
127.0.0.1, reachable as ``device.emulator``). Any of them may carry printer
settings in the query: width=58|80, encoding=gb18030|gbk|utf-8, chinese=on|off,
qr=native|image, qr_size=1..16, timeout=seconds.
"""

from __future__ import annotations

from urllib.parse import urlencode

from hardware.printer.driver import TRANSPORTS, ReceiptPrinter
from hardware.printer.errors import (CoverOpen, PaperOut, PrinterError, PrinterNoAnswer,
                                     PrinterOffline, PrinterUnavailable, ReceiptError)
from hardware.printer.receipt import PrintOptions, Receipt
from hardware.urls import DeviceKind, DeviceUrl, open_device, register

__all__ = ["from_url", "ReceiptPrinter", "Receipt", "PrintOptions", "PrinterError", "ReceiptError",
           "PrinterUnavailable", "PrinterNoAnswer", "PrinterOffline", "CoverOpen", "PaperOut"]


def from_url(url: str, width: int | None = None) -> ReceiptPrinter:
    """`open_device("printer", url)`; `width` (58 or 80) overrides the URL's paper width."""
    return open_device("printer", url, width=width)


class _SimulatedPrinter(ReceiptPrinter):
    """The real driver on TCP to an emulator it owns; closing the device stops the emulator."""

    def _close(self) -> None:
        super()._close()
        if self.emulator is not None:
            self.emulator.stop()


def _with_width(url: DeviceUrl, width: int | None) -> DeviceUrl:
    return url if width is None else url.with_query(width=str(width))


def _transport(url: DeviceUrl, width: int | None = None) -> ReceiptPrinter:
    return ReceiptPrinter(_with_width(url, width))


def _sim(url: DeviceUrl, width: int | None = None) -> ReceiptPrinter:
    from hardware.printer.emulator import PrinterEmulator
    query = _with_width(url, width).query
    width_mm = int(query["width"]) if query.get("width") in ("58", "80") else PrintOptions.width
    emulator = PrinterEmulator(width=width_mm, encoding=query.get("encoding", PrintOptions.encoding))
    try:
        device = _SimulatedPrinter(f"{emulator.start_tcp()}?{urlencode(query)}")
    except Exception:
        emulator.stop()
        raise
    device.emulator = emulator
    return device


register(DeviceKind("printer", "printer", PrinterError,
                    ("usb://0xVVVV:0xPPPP", "serial:///dev/ttyS1?baudrate=9600", "tcp://HOST:9100",
                     "file:///dev/usb/lp0", "sim:")),
         {**{scheme: _transport for scheme in TRANSPORTS}, "sim": _sim})
