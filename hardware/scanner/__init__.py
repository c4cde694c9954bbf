"""QR / barcode scanner: serial (line-terminated codes) or a USB keyboard wedge.

Device URLs: ``serial:///dev/ttyACM0?baudrate=9600``, ``socket://host:port``,
``hid:`` (keyboard wedge; ``hid:?gap_ms=30&min_length=4``) and ``sim:`` (the
emulator in-process on a pty; ``sim:?codes=A,B`` sends those codes once the
driver connects).
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from hardware.model import Device
from hardware.scanner.driver import ScannerOffline, SerialScanner, WedgeScanner
from hardware.scanner.lines import ScanError

__all__ = ["SerialScanner", "WedgeScanner", "ScanError", "ScannerOffline", "from_url"]


def _number(query: dict[str, str], name: str, default: float, url: str) -> float:
    try:
        value = float(query.get(name, default))
    except ValueError:
        value = -1
    if value <= 0:
        raise ScanError(f"{url}: {name} must be a positive number")
    return value


def from_url(url: str) -> Device:
    parts = urlsplit(url)
    query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    if parts.scheme == "none":
        raise ScanError(f"no scanner is configured ([devices] scanner = \"{url}\")")
    if parts.scheme == "hid":
        return WedgeScanner(url, _number(query, "gap_ms", 30, url) / 1000,
                            int(_number(query, "min_length", 4, url)))
    if parts.scheme == "sim":
        from hardware.scanner.emulator import ScannerEmulator
        codes = [c for c in query.get("codes", "").split(",") if c]
        emulator = ScannerEmulator(initial=codes).start()
        return SerialScanner(url, emulator.link.driver_address, emulator=emulator)
    if parts.scheme == "serial" and parts.path:
        return SerialScanner(url, parts.path, int(_number(query, "baudrate", 9600, url)))
    if parts.scheme == "socket" and parts.hostname and parts.port:
        return SerialScanner(url, f"socket://{parts.hostname}:{parts.port}")
    raise ScanError(f"unsupported scanner URL {url!r}: use serial:///dev/ttyACM0, socket://HOST:PORT, "
                    "hid: or sim:")
