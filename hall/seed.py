"""Load assets/seed/*.json into an empty hall database, checking every record first.

Shapes: catalog.json {"departments": [...], "items": [Item]}, outlets.json [Outlet],
notices.json [Notice] (see docs/hall-api.md). A bad record stops the load with one
line naming the file, the record and the field; nothing is written then.
"""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pypinyin import Style, lazy_pinyin
from sqlalchemy import func, select

from hall import db
from hall.models import Department, Item


class SeedError(Exception):
    pass


class Appointment(BaseModel):
    model_config = ConfigDict(extra="forbid")
    slot_minutes: int = Field(ge=5, le=240)
    capacity: int = Field(ge=1, le=100)
    periods: list[tuple[str, str]] = Field(min_length=1)

    @field_validator("periods")
    @classmethod
    def _times(cls, periods):
        for start, end in periods:
            if not (re.fullmatch(r"[0-2]\d:[0-5]\d", start) and re.fullmatch(r"[0-2]\d:[0-5]\d", end)
                    and start < end):
                raise ValueError(f"{start}-{end} is not an HH:MM period")
        return periods


class OutletSeed(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = Field(min_length=1, max_length=64)
    name: str
    address: str
    hours: str
    phone: str
    lat: float = Field(ge=3, le=54)     # mainland China's latitude range
    lon: float = Field(ge=73, le=136)
    items: list[str]
    appointment: Appointment | None = None


class NoticeSeed(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = Field(min_length=1, max_length=64)
    title: str
    published: date
    department: str
    body: str


class CatalogSeed(BaseModel):
    model_config = ConfigDict(extra="forbid")
    departments: list[Department]
    items: list[Item]


def _read(path: Path, model):
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SeedError(f"{path}: seed file not found") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise SeedError(f"{path}: not UTF-8 JSON ({e})") from None
    records = data if isinstance(data, list) else [data]
    out = []
    for index, record in enumerate(records):
        try:
            out.append(model.model_validate(record))
        except ValidationError as e:
            first = e.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            label = record.get("id", index) if isinstance(record, dict) else index
            raise SeedError(f"{path.name}: record {label}: {where}: {first['msg']}") from None
    return out


def search_text(item: Item) -> str:
    name = item.name
    words = [name, item.code, "".join(lazy_pinyin(name)), "".join(lazy_pinyin(name, style=Style.FIRST_LETTER)),
             item.department.name, *item.themes]
    return " ".join(words).lower()


def load(database: db.Database, seed_dir: Path) -> bool:
    """Seed an empty database from `seed_dir`; False (and nothing done) if it already has a catalogue."""
    with database.write_session() as session:
        if session.scalar(select(func.count()).select_from(db.Item)):
            return False
        (catalog,) = _read(seed_dir / "catalog.json", CatalogSeed)
        outlets = _read(seed_dir / "outlets.json", OutletSeed)
        notices = _read(seed_dir / "notices.json", NoticeSeed)
        departments = {d.code for d in catalog.departments}
        codes = set()
        for item in catalog.items:
            if item.department.code not in departments:
                raise SeedError(f"catalog.json: item {item.code}: unknown department {item.department.code}")
            if item.code in codes:
                raise SeedError(f"catalog.json: item {item.code} appears twice")
            codes.add(item.code)
        for outlet in outlets:
            unknown = sorted(set(outlet.items) - codes)
            if unknown:
                raise SeedError(f"outlets.json: outlet {outlet.id}: unknown item {unknown[0]}")
        session.add_all(db.Department(**d.model_dump()) for d in catalog.departments)
        session.flush()
        session.add_all(db.Item(code=i.code, name=i.name, department_code=i.department.code,
                                audience_tags="|" + "|".join(i.audience) + "|",
                                theme_tags="|" + "|".join(i.themes) + "|", search_text=search_text(i),
                                data=i.model_dump()) for i in catalog.items)
        session.flush()
        session.add_all(db.Outlet(**{**o.model_dump(), "appointment": o.appointment and o.appointment.model_dump()})
                        for o in outlets)
        session.add_all(db.Notice(**n.model_dump()) for n in notices)
        session.commit()
    return True
