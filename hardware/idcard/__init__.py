"""ID card reader (二代证阅读器): SAM_V over serial, its identity record and its emulator.

Device URLs: ``serial:///dev/ttyUSB0?baudrate=115200``, ``socket://host:port`` (a
serial-over-TCP bridge or the emulator's TCP port) and ``sim:`` (starts the
emulator in-process on a pty and connects the real driver to it;
``sim:?card=mainland`` starts with that demo card on the reader).
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from hardware.idcard.driver import IdCardReader
from hardware.idcard.frame import IdCardError
from hardware.idcard.identity import Identity

BAUDRATES = (115200, 57600, 38400, 19200, 9600)

__all__ = ["IdCardReader", "IdCardError", "Identity", "from_url"]


def from_url(url: str, **options) -> IdCardReader:
    parts = urlsplit(url)
    query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    if parts.scheme == "none":
        raise IdCardError(f"no ID card reader is configured ([devices] idcard = \"{url}\")")
    if parts.scheme == "sim":
        from hardware.idcard.emulator import IdCardEmulator, load_cards
        emulator = IdCardEmulator(load_cards(query["cards"]) if "cards" in query else None).start()
        if "card" in query:
            emulator.place(query["card"])
        return IdCardReader(url, emulator.link.driver_address, emulator=emulator, **options)
    if parts.scheme == "serial" and parts.path:
        try:
            baudrate = int(query.get("baudrate", "115200"))
        except ValueError:
            baudrate = 0
        if baudrate not in BAUDRATES:
            raise IdCardError(f"{url}: baudrate must be one of {', '.join(map(str, BAUDRATES))}")
        return IdCardReader(url, parts.path, baudrate=baudrate, **options)
    if parts.scheme == "socket" and parts.hostname and parts.port:
        return IdCardReader(url, f"socket://{parts.hostname}:{parts.port}", **options)
    raise IdCardError(f"unsupported ID card reader URL {url!r}: use serial:///dev/ttyUSB0?baudrate=115200, "
                      "socket://HOST:PORT or sim:")
