"""Smart card reader (PC/SC via pyscard): social security cards and contactless UIDs.

URLs: `pcsc:` (the first reader), `pcsc:NAME` (the first reader whose name
contains NAME, e.g. `pcsc:ACS ACR39U`), `sim:` (a virtual card in this process,
read through pcscd + vsmartcard-vpcd by the same driver; `sim:?card=zhang`
inserts a card from assets/seed/sscards.json at once).
"""

from __future__ import annotations

from urllib.parse import parse_qs, unquote, urlsplit

from hardware.model import DeviceError


def from_url(url: str):
    scheme, _, rest = url.partition(":")
    if scheme == "pcsc":
        from hardware.card.driver import CardReader
        return CardReader(url, unquote(rest).strip())
    if scheme == "sim":
        from hardware.card.sim import SimCardReader
        query = parse_qs(urlsplit(url).query)
        return SimCardReader(url, insert=(query.get("card") or [""])[0])
    raise DeviceError(f"card: unsupported device URL {url!r} (use pcsc:, pcsc:READER NAME or sim:)")
