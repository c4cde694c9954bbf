"""QR / barcode scanner: serial (line-terminated codes) or a USB keyboard wedge.

Device URLs: ``serial:///dev/ttyACM0?baudrate=9600``, ``socket://host:port`` (both
take ``quiet_ms=100``: the gap that ends a code sent without CR/LF), ``hid:`` (keyboard
wedge; ``hid:?gap_ms=30&stall_ms=80&min_length=4``, see hardware.scanner.wedge) and
``sim:`` (the emulator in-process on a pty; ``sim:?codes=A,B`` sends those codes once
the driver connects).
"""

from __future__ import annotations

from hardware.model import Device
from hardware.scanner.driver import ScannerOffline, SerialScanner, WedgeScanner
from hardware.scanner.lines import ScanError
from hardware.serialport import port_address
from hardware.urls import DeviceKind, DeviceUrl, open_device, register

__all__ = ["SerialScanner", "WedgeScanner", "ScanError", "ScannerOffline", "from_url"]


def from_url(url: str) -> Device:
    """`open_device("scanner", url)`."""
    return open_device("scanner", url)


def _line(url: DeviceUrl) -> SerialScanner:
    address = port_address(url)
    baudrate = url.number("baudrate", 9600, whole=True) if url.scheme == "serial" else 9600
    return SerialScanner(url.text, address, baudrate, quiet=url.number("quiet_ms", 100) / 1000)


def _wedge(url: DeviceUrl) -> WedgeScanner:
    return WedgeScanner(url.text, url.number("gap_ms", 30) / 1000, url.number("min_length", 4, whole=True),
                        url.number("stall_ms", 80) / 1000)


def _sim(url: DeviceUrl) -> SerialScanner:
    from hardware.scanner.emulator import ScannerEmulator
    codes = [c for c in url.query.get("codes", "").split(",") if c]
    emulator = ScannerEmulator(initial=codes).start()
    return SerialScanner(url.text, emulator.link.driver_address, emulator=emulator)


register(DeviceKind("scanner", "scanner", ScanError,
                    ("serial:///dev/ttyACM0", "socket://HOST:PORT", "hid:", "sim:")),
         {"serial": _line, "socket": _line, "hid": _wedge, "sim": _sim})
