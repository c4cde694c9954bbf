"""What a card read returns: one frozen record, masked in its repr, wipeable."""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
from dataclasses import dataclass
from typing import Any

from hardware.masking import mask_id_number, mask_name

PERSONAL = ("card_number", "ssn", "name")


class CardKind(enum.Enum):
    SOCIAL_SECURITY = "social_security"   # 社会保障卡 (SSSE application)
    CONTACTLESS = "contactless"           # any card that only gives a UID (e.g. an admin card)


@dataclass(frozen=True, repr=False)
class CardRecord:
    kind: CardKind
    atr: str                          # hex, upper case
    uid: str = ""                     # hex; contactless cards
    card_id_code: str = ""            # 卡识别码, hex; its first 6 digits are the region
    spec_version: str = ""            # 规范版本
    issued: dt.date | None = None     # 发卡日期
    expires: dt.date | None = None    # 卡有效期; None: no expiry
    card_number: str = ""             # 社会保障卡卡号 (9 characters)
    ssn: str = ""                     # 社会保障号码 (ID-number shaped)
    name: str = ""                    # 姓名

    @property
    def region(self) -> str:
        """Administrative division code (发卡地区行政区划代码) from the card identification code."""
        return self.card_id_code[:6]

    @property
    def wiped(self) -> bool:
        return all(getattr(self, f) == "" for f in PERSONAL)

    def wipe(self) -> None:
        """Forget the personal fields at the session's end (frozen guards against edits, not wiping)."""
        for f in PERSONAL:
            object.__setattr__(self, f, "")

    def masked(self, head: int = 4, tail: int = 4) -> dict[str, Any]:
        out = self.as_dict()
        out["ssn"] = mask_id_number(self.ssn, head, tail)
        out["card_number"] = mask_id_number(self.card_number, 1, 2)
        out["name"] = mask_name(self.name)
        return out

    def as_dict(self) -> dict[str, Any]:
        """Every field as JSON-ready values (personal data: use `masked` before showing)."""
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if isinstance(value, enum.Enum):
                value = value.value
            elif isinstance(value, dt.date):
                value = value.isoformat()
            out[f.name] = value
        out["region"] = self.region
        return out

    def __repr__(self) -> str:  # reprs reach logs and tracebacks: masked only
        if self.kind is CardKind.CONTACTLESS:
            return f"<CardRecord contactless uid={self.uid}>"
        if self.wiped:
            return "<CardRecord social_security (wiped)>"
        m = self.masked()
        return (f"<CardRecord social_security region={self.region} name={m['name']} "
                f"ssn={m['ssn']} card_number={m['card_number']}>")

    __str__ = __repr__
