"""The identity record read from a card, and the 256-byte text block it comes from.

Four card types share the block: mainland resident ID (flag ' '), Hong Kong /
Macau / Taiwan residence permit ('J'), foreigner permanent residence card, old
('I') and 2023 ('Y'). The flag sits at text bytes 248-249. Text is UTF-16LE,
space padded. The photo (1024 bytes of WLT) stays in memory; only a licensed
decoder, registered with `register_photo_decoder`, can turn it into a BMP.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import re
from dataclasses import InitVar, dataclass, field
from typing import Any, Callable

from hardware.idcard.frame import IdCardError

TEXT_SIZE = 256
PHOTO_SIZE = 1024
LONG_TERM = "长期"

NATIONS: dict[str, str] = {code: name for code, name in zip(
    [f"{n:02d}" for n in range(1, 57)],
    "汉族 蒙古族 回族 藏族 维吾尔族 苗族 彝族 壮族 布依族 朝鲜族 满族 侗族 瑶族 白族 土家族 "
    "哈尼族 哈萨克族 傣族 黎族 傈僳族 佤族 畲族 高山族 拉祜族 水族 东乡族 纳西族 景颇族 "
    "柯尔克孜族 土族 达斡尔族 仫佬族 羌族 布朗族 撒拉族 毛南族 仡佬族 锡伯族 阿昌族 普米族 "
    "塔吉克族 怒族 乌孜别克族 俄罗斯族 鄂温克族 德昂族 保安族 裕固族 京族 塔塔尔族 独龙族 "
    "鄂伦春族 赫哲族 门巴族 珞巴族 基诺族".split())} | {"97": "其他", "98": "外国血统中国籍人士"}

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def check_character(first17: str) -> str:
    """GB 11643 (ISO 7064 MOD 11-2) check character of the first 17 digits."""
    if not re.fullmatch(r"\d{17}", first17):
        raise ValueError("need exactly 17 digits")
    return "10X98765432"[sum(int(d) * w for d, w in zip(first17, _WEIGHTS)) % 11]


def is_valid_id_number(number: str) -> bool:
    return (re.fullmatch(r"\d{17}[\dX]", number) is not None
            and check_character(number[:17]) == number[17])


class CardDataError(IdCardError):
    """The card's text does not make a valid record (never quotes the data itself)."""


class PhotoUnavailable(IdCardError):
    pass


class CardType(enum.Enum):
    MAINLAND = " "
    RESIDENCE_PERMIT = "J"       # 港澳台居民居住证
    FOREIGNER_OLD = "I"          # 外国人永久居留证 (2004/2017)
    FOREIGNER_2023 = "Y"         # 外国人永久居留身份证 (2023)

    @property
    def label(self) -> str:
        return {" ": "mainland", "J": "residence-permit", "I": "foreigner-old",
                "Y": "foreigner-2023"}[self.value]

    @classmethod
    def from_label(cls, text: str) -> "CardType":
        for member in cls:
            if text in (member.label, member.value, member.name):
                return member
        raise CardDataError(f"unknown card type {text!r} (use mainland, residence-permit, "
                            "foreigner-old or foreigner-2023)")


class Gender(enum.Enum):
    UNKNOWN = "0"
    MALE = "1"
    FEMALE = "2"
    UNSPECIFIED = "9"

    @property
    def label(self) -> str:
        return {"0": "未知", "1": "男", "2": "女", "9": "未说明"}[self.value]


# (field, bytes) in block order; "" is reserved space; "flag" is the card type flag
_RESIDENT_FIELDS = [("name", 30), ("gender", 2), ("nation_code", 4), ("birth_date", 16),
                    ("address", 70), ("id_number", 36), ("authority", 30),
                    ("valid_from", 16), ("valid_to", 16)]
LAYOUTS: dict[CardType, list[tuple[str, int]]] = {
    CardType.MAINLAND: _RESIDENT_FIELDS + [("", 28), ("flag", 2), ("", 6)],
    CardType.RESIDENCE_PERMIT: _RESIDENT_FIELDS + [("pass_number", 18), ("issue_count", 4),
                                                   ("", 6), ("flag", 2), ("", 6)],
    CardType.FOREIGNER_OLD: [("english_name", 120), ("gender", 2), ("id_number", 30),
                             ("nationality", 6), ("name", 30), ("valid_from", 16),
                             ("valid_to", 16), ("birth_date", 16), ("card_version", 4),
                             ("authority", 8), ("flag", 2), ("", 6)],
    CardType.FOREIGNER_2023: [("name", 30), ("gender", 2), ("renewal_count", 4),
                              ("birth_date", 16), ("english_name", 70), ("id_number", 36),
                              ("", 30), ("valid_from", 16), ("valid_to", 16),
                              ("english_name_ext", 22), ("nationality", 6), ("flag", 2),
                              ("previous_card_link", 6)],
}
_ENGLISH_SPLIT = 35  # the 2023 card's English name: 35 characters, then 11 more in the extension

_photo_decoders: dict[str, Callable[[bytes], bytes]] = {}


def register_photo_decoder(name: str, decode: Callable[[bytes], bytes]) -> None:
    """Plug in a licensed WLT decoder: `decode(wlt_1024_bytes) -> BMP bytes`."""
    _photo_decoders[name] = decode


def unregister_photo_decoder(name: str) -> None:
    _photo_decoders.pop(name, None)


@dataclass(frozen=True, repr=False)
class Identity:
    card_type: CardType
    name: str
    gender: Gender
    birth_date: dt.date
    id_number: str
    valid_from: dt.date
    valid_to: dt.date | None          # None: 长期 (no expiry)
    nation_code: str = ""             # mainland and J cards
    address: str = ""
    authority: str = ""
    english_name: str = ""            # foreigner cards
    nationality: str = ""             # ISO 3166 alpha-3, foreigner cards
    pass_number: str = ""             # J: 通行证号码
    issue_count: int | None = None    # J: 签发次数
    renewal_count: int | None = None  # Y: 换证次数
    card_version: str = ""            # I: 证件版本
    previous_card_link: str = ""      # Y: 既往版本证件关联项
    photo: InitVar[bytes] = b""
    _photo: bytearray = field(init=False, compare=False, default_factory=bytearray)

    def __post_init__(self, photo: bytes) -> None:
        object.__setattr__(self, "_photo", bytearray(photo))
        self._validate()

    @property
    def nation(self) -> str:
        return NATIONS.get(self.nation_code, "")

    @property
    def has_photo(self) -> bool:
        return any(self._photo)

    def photo_wlt(self) -> bytes:
        return bytes(self._photo)

    def photo_bmp(self) -> bytes:
        if not self.has_photo:
            raise PhotoUnavailable("the card's photo is not in memory (not read, or wiped)")
        if not _photo_decoders:
            raise PhotoUnavailable("no licensed WLT photo decoder is installed")
        return list(_photo_decoders.values())[-1](bytes(self._photo))

    def wipe(self) -> None:
        """Forget the photo and the personal fields at the session's end.

        The record is frozen against accidental edits, not against wiping: the
        privacy rule wins, so the fields are blanked in place.
        """
        for i in range(len(self._photo)):
            self._photo[i] = 0
        self._photo.clear()
        for f in dataclasses.fields(self):
            if f.name in ("card_type", "_photo"):
                continue
            blank = "" if isinstance(getattr(self, f.name), str) else None
            object.__setattr__(self, f.name, blank)

    @property
    def wiped(self) -> bool:
        return self.id_number == ""

    def __repr__(self) -> str:  # never personal data: reprs end up in logs and tracebacks
        return f"<Identity {self.card_type.label} card{' (wiped)' if self.wiped else ''}>"

    __str__ = __repr__

    def as_dict(self) -> dict[str, Any]:
        """Every field as JSON-ready values (personal data: mask before showing)."""
        out: dict[str, Any] = {"card_type": self.card_type.label}
        for f in dataclasses.fields(self):
            if f.name in ("card_type", "_photo"):
                continue
            value = getattr(self, f.name)
            if isinstance(value, enum.Enum):
                value = value.value
            elif isinstance(value, dt.date):
                value = value.isoformat()
            elif f.name == "valid_to" and value is None:
                value = LONG_TERM
            out[f.name] = value
        out["gender_label"] = self.gender.label if isinstance(self.gender, Gender) else ""
        out["nation"] = self.nation
        return out

    def _validate(self) -> None:
        kind = self.card_type
        if not self.name and not self.english_name:
            raise CardDataError("the card has no name")
        if kind is CardType.FOREIGNER_OLD:
            if not re.fullmatch(r"[A-Z]{3}\d{12}", self.id_number):
                raise CardDataError("the card's permanent residence number is malformed")
        elif not is_valid_id_number(self.id_number):
            raise CardDataError("the card's ID number fails its GB 11643 check character")
        elif kind is CardType.RESIDENCE_PERMIT and self.id_number[:2] not in ("81", "82", "83"):
            raise CardDataError("a residence permit number must start with 81, 82 or 83")
        elif kind is CardType.FOREIGNER_2023 and not self.id_number.startswith("9"):
            raise CardDataError("a 2023 permanent residence number must start with 9")
        if kind in (CardType.MAINLAND, CardType.RESIDENCE_PERMIT) and self.nation_code not in NATIONS:
            if kind is CardType.MAINLAND or self.nation_code:
                raise CardDataError("the card's nation code is not in the GB 3304 table")
        if self.valid_to is not None and self.valid_to < self.valid_from:
            raise CardDataError("the card's validity ends before it starts")


# --- the text block ---------------------------------------------------------------

def _date(text: str, what: str, long_term_ok: bool = False) -> dt.date | None:
    if long_term_ok and text == LONG_TERM:
        return None
    try:
        if re.fullmatch(r"\d{8}", text):
            return dt.datetime.strptime(text, "%Y%m%d").date()
    except ValueError:
        pass
    raise CardDataError(f"the card's {what} is not a valid date")


def _count(text: str, what: str) -> int | None:
    if not text:
        return None
    if not text.isdigit():
        raise CardDataError(f"the card's {what} is not a number")
    return int(text)


def parse_text(block: bytes, photo: bytes = b"") -> Identity:
    """The identity in a 256-byte text block (raises CardDataError on bad content)."""
    if len(block) != TEXT_SIZE:
        raise CardDataError(f"the card's text block has {len(block)} bytes, expected {TEXT_SIZE}")
    flag = block[248:250].decode("utf-16-le", "replace")
    card_type = next((t for t in CardType if t.value == flag), None)
    if card_type is None:
        raise CardDataError("this kind of card cannot be read here (its card type is unknown): use a "
                            "resident ID card, residence permit or permanent residence card")
    raw: dict[str, str] = {}
    offset = 0
    for name, size in LAYOUTS[card_type]:
        chunk = block[offset:offset + size]
        offset += size
        if name and name != "flag":
            try:
                raw[name] = chunk.decode("utf-16-le")
            except UnicodeDecodeError:
                raise CardDataError(f"the card's {name.replace('_', ' ')} is not readable text") from None
    # The 2023 card's English name runs on into its extension: joined before the padding is
    # trimmed, so a space at the split (the 35th or 36th character) stays.
    english = raw.pop("english_name", "") + raw.pop("english_name_ext", "")
    raw = {name: text.strip(" \x00") for name, text in raw.items()}
    try:
        gender = Gender(raw.pop("gender"))
    except ValueError:
        raise CardDataError("the card's gender code is not 0, 1, 2 or 9") from None
    return Identity(
        card_type=card_type, gender=gender, english_name=english.strip(" \x00"),
        birth_date=_date(raw.pop("birth_date"), "birth date"),
        valid_from=_date(raw.pop("valid_from"), "validity start"),
        valid_to=_date(raw.pop("valid_to"), "validity end", long_term_ok=True),
        issue_count=_count(raw.pop("issue_count", ""), "issue count"),
        renewal_count=_count(raw.pop("renewal_count", ""), "renewal count"),
        photo=photo, **raw)


def encode_text(identity: Identity) -> bytes:
    """The 256-byte text block a card of this identity carries (the emulator's side)."""
    english = identity.english_name
    values = {
        "name": identity.name, "gender": identity.gender.value,
        "nation_code": identity.nation_code, "address": identity.address,
        "id_number": identity.id_number, "authority": identity.authority,
        "birth_date": identity.birth_date.strftime("%Y%m%d"),
        "valid_from": identity.valid_from.strftime("%Y%m%d"),
        "valid_to": identity.valid_to.strftime("%Y%m%d") if identity.valid_to else LONG_TERM,
        "english_name": english, "nationality": identity.nationality,
        "pass_number": identity.pass_number, "card_version": identity.card_version,
        "previous_card_link": identity.previous_card_link,
        "issue_count": "" if identity.issue_count is None else f"{identity.issue_count:02d}",
        "renewal_count": "" if identity.renewal_count is None else f"{identity.renewal_count:02d}",
        "flag": identity.card_type.value,
    }
    if identity.card_type is CardType.FOREIGNER_2023:
        values["english_name"], values["english_name_ext"] = english[:_ENGLISH_SPLIT], english[_ENGLISH_SPLIT:]
    out = bytearray()
    for name, size in LAYOUTS[identity.card_type]:
        data = values.get(name, "").encode("utf-16-le") if name else b""
        if len(data) > size:
            raise CardDataError(f"{name.replace('_', ' ')} is too long for the card "
                                f"({size // 2} characters at most)")
        out += data + " ".encode("utf-16-le") * ((size - len(data)) // 2)
    return bytes(out)


def from_dict(data: dict[str, Any]) -> Identity:
    """An identity from JSON-style values (dates as YYYY-MM-DD, valid_to may be 长期)."""
    values = dict(data)
    values.pop("key", None)
    values.pop("nation", None)
    values.pop("gender_label", None)
    try:
        values["card_type"] = CardType.from_label(values.get("card_type", "mainland"))
        values["gender"] = Gender(str(values["gender"]))
        for name in ("birth_date", "valid_from", "valid_to"):
            text = str(values[name])
            values[name] = None if text == LONG_TERM else dt.date.fromisoformat(text)
        return Identity(**values)
    except KeyError as e:
        raise CardDataError(f"card data lacks {e.args[0]}") from None
    except (ValueError, TypeError) as e:
        raise CardDataError(f"card data is invalid: {str(e).splitlines()[0]}") from None
