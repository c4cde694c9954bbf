"""Smart card reader (PC/SC via pyscard): social security cards and contactless UIDs.

URLs: `pcsc:` (the first reader), `pcsc:NAME` (the first reader whose name
contains NAME, e.g. `pcsc:ACS ACR39U`), `sim:` (a virtual card in this process,
read through pcscd + vsmartcard-vpcd by the same driver; `sim:?card=zhang`
inserts a card from assets/seed/sscards.json at once).
"""

from __future__ import annotations

from urllib.parse import unquote

from hardware.card.apdu import CardError
from hardware.model import Device
from hardware.urls import DeviceKind, DeviceUrl, open_device, register


def from_url(url: str) -> Device:
    """`open_device("card", url)`."""
    return open_device("card", url)


def _pcsc(url: DeviceUrl):
    from hardware.card.driver import CardReader
    return CardReader(url.text, unquote(url.path).strip())


def _sim(url: DeviceUrl):
    from hardware.card.sim import SimCardReader
    return SimCardReader(url.text, insert=url.query.get("card", ""))


register(DeviceKind("card", "card reader", CardError, ("pcsc:", "pcsc:READER NAME", "sim:")),
         {"pcsc": _pcsc, "sim": _sim})
