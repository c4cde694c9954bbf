"""`sim:`: the real PC/SC driver reading a virtual card through pcscd + vsmartcard-vpcd.

Opening starts pcscd when none answers (and stops it again on close) and plugs
the virtual card into vpcd's first slot. If pcscd cannot run, the device stays
usable as an object and reports health absent with the reason.
"""

from __future__ import annotations

from hardware.card import pcscd
from hardware.card.apdu import CardError
from hardware.card.driver import CardReader, ReaderMissing, ServiceUnavailable
from hardware.card.vpcd_card import VPCD_PORT, VirtualCard
from hardware.model import Health, Status

SIM_READER = "Virtual PCD 00 00"   # vpcd's first slot, TCP 35963


class SimCardReader(CardReader):
    def __init__(self, url: str = "sim:", insert: str = "", port: int = VPCD_PORT,
                 pcscd_binary: str | None = None) -> None:
        super().__init__(url, SIM_READER)
        self.virtual_card = VirtualCard(port=port)
        self._insert_first = insert
        self._pcscd = pcscd.Pcscd(pcscd_binary)
        self.unavailable = ""

    def _open(self) -> None:
        try:
            self._pcscd.ensure()
        except CardError as e:
            self.unavailable = str(e)
            self.set_status(Status(Health.ABSENT, self.unavailable))
            return
        if self._insert_first:
            self.virtual_card.insert(self._insert_first)

    def _close(self) -> None:
        self.virtual_card.close()
        self._pcscd.stop()

    def _failed(self, error: CardError, count: bool = True) -> None:
        if isinstance(error, ServiceUnavailable) and self.unavailable:
            error = ReaderMissing(self.unavailable)   # never started: absent, not offline
        super()._failed(error, count)

    def _find_reader(self, context: int) -> str:
        try:
            return super()._find_reader(context)
        except ReaderMissing:
            raise ReaderMissing("pcscd runs without the virtual reader (vsmartcard-vpcd): "
                                "apt-get install vsmartcard-vpcd, then restart pcscd") from None
