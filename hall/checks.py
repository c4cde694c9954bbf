"""Field formats for request bodies: ID numbers (GB 11643), phone numbers, plain text.

These are pydantic `Annotated` types, so a bad value is a 422 naming the field, and the
OpenAPI document carries the pattern and lengths.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

from kiosk.form_rules import LANDLINE, MOBILE, id_check_character

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_NAME = re.compile(r"(?:[^\W\d_]|[·・.'\- ])+")


class Body(BaseModel):
    """A request body: unknown fields refused, values of the type the OpenAPI document says
    (strict: no true for a number, no "5" for an integer), and no Infinity or NaN.

    Python's json reads the tokens Infinity and NaN, and 1e999 as infinity; no JSON number is
    either, and letting them through makes a 500 of the first arithmetic or database write.
    """
    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)


def _id_number(value: str) -> str:
    value = value.upper()
    if not re.fullmatch(r"[1-9]\d{16}[\dX]", value):
        raise ValueError("must be 18 characters: 17 digits and a digit or X")
    try:
        date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        raise ValueError("has no valid date of birth in characters 7-14") from None
    if id_check_character(value[:17]) != value[17]:
        raise ValueError("check character does not match (GB 11643)")
    return value


def _phone(value: str) -> str:
    if not (re.fullmatch(MOBILE, value) or re.fullmatch(LANDLINE, value)):
        raise ValueError("must be a mainland mobile (11 digits from 13-19) or landline (0xx-xxxxxxx) number")
    return value


def _text(value: str) -> str:
    # Lone surrogates cannot be stored as UTF-8 and control characters break receipts
    # and PostgreSQL (NUL): refuse both here rather than fail in the database.
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("is not valid Unicode text") from None
    if _CONTROL.search(value):
        raise ValueError("must not contain control characters")
    return value.strip()


def _not_blank(value: str) -> str:
    if not value:
        raise ValueError("must not be blank")
    return value


def _name(value: str) -> str:
    if not _NAME.fullmatch(value):
        raise ValueError("must be letters (Chinese or Latin) with · . ' - or spaces")
    return value


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def text(min_length: int, max_length: int):
    """Plain text, stripped, `min_length`..`max_length` characters after stripping."""
    rules = [AfterValidator(_text)] + ([AfterValidator(_not_blank)] if min_length else [])
    return Annotated[str, BeforeValidator(_strip), Field(min_length=min_length, max_length=max_length),
                     *rules]


# The patterns are for the OpenAPI document only (json_schema_extra): the validators
# below check the same and say what is wrong in plain words.
IdNumber = Annotated[str, Field(json_schema_extra={"pattern": r"^[1-9]\d{16}[\dXx]$", "minLength": 18,
                                                   "maxLength": 18},
                                description="居民身份证号码 (GB 11643, check character verified)"),
                     AfterValidator(_id_number)]
Phone = Annotated[str, Field(json_schema_extra={"pattern": rf"^({MOBILE}|{LANDLINE})$"},
                             description="mainland mobile or landline number"),
                  AfterValidator(_phone)]
PersonName = Annotated[str, BeforeValidator(_strip), Field(min_length=1, max_length=50),
                       AfterValidator(_text), AfterValidator(_name)]
Reference = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")]
