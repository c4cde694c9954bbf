"""ID card reader (二代证阅读器): SAM_V over serial, its identity record and its emulator.

Device URLs: ``serial:///dev/ttyUSB0?baudrate=115200``, ``socket://host:port`` (a
serial-over-TCP bridge or the emulator's TCP port) and ``sim:`` (starts the
emulator in-process on a pty and connects the real driver to it;
``sim:?card=mainland`` starts with that demo card on the reader, ``sim:?cards=FILE``
loads other cards).
"""

from __future__ import annotations

from hardware.idcard.driver import IdCardReader
from hardware.idcard.frame import IdCardError
from hardware.idcard.identity import Identity
from hardware.serialport import port_address
from hardware.urls import DeviceKind, DeviceUrl, open_device, register

BAUDRATES = (115200, 57600, 38400, 19200, 9600)

__all__ = ["IdCardReader", "IdCardError", "Identity", "from_url"]


def from_url(url: str, **options) -> IdCardReader:
    """`open_device("idcard", url)`: options go to IdCardReader."""
    return open_device("idcard", url, **options)


def _line(url: DeviceUrl, **options) -> IdCardReader:
    address = port_address(url)
    baudrate = url.number("baudrate", 115200, whole=True, choices=BAUDRATES) if url.scheme == "serial" else 115200
    return IdCardReader(url.text, address, baudrate=baudrate, **options)


def _sim(url: DeviceUrl, **options) -> IdCardReader:
    from hardware.idcard.emulator import IdCardEmulator, load_cards
    emulator = IdCardEmulator(load_cards(url.query["cards"]) if "cards" in url.query else None).start()
    try:
        if "card" in url.query:
            emulator.place(url.query["card"])
    except IdCardError:
        emulator.stop()
        raise
    return IdCardReader(url.text, emulator.link.driver_address, emulator=emulator, **options)


register(DeviceKind("idcard", "ID card reader", IdCardError,
                    ("serial:///dev/ttyUSB0?baudrate=115200", "socket://HOST:PORT", "sim:")),
         {"serial": _line, "socket": _line, "sim": _sim})
