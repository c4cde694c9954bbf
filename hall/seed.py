"""Load assets/seed/*.json into an empty hall database, checking every record first.

Shapes: catalog.json {"departments": [...], "items": [Item]}, outlets.json [Outlet],
notices.json [Notice], forms.json {"common_fields": [FormField], "forms": {code: FormSeed}}
(see docs/hall-api.md). A bad record stops the load with one line naming the file, the
record and the field; nothing is written then.

forms.json holds what the guide does not: an item's fields (its own, and the common ones by
key), for each of the guide's materials in order its English name, whether it is required and
how it may be handed in, and whether the resident signs. The definition served joins that with
the guide's materials. Forms load into a hall whose forms table is empty, also one seeded before
forms existed.
"""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pypinyin import Style, lazy_pinyin
from sqlalchemy import func, select

from hall import db, forms
from hall.models import Department, FormDefinition, FormField, How, Item


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


class FormSeedMaterial(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, description="the guide's material name, to check the order")
    name_en: str = Field(min_length=1)
    required: bool
    accepts: list[How] = Field(min_length=1)


class FormSeed(BaseModel):
    model_config = ConfigDict(extra="forbid")
    fields: list[FormField | str] = Field(description="a field, or the key of a common field")
    materials: list[FormSeedMaterial]
    signature: bool


class FormsSeed(BaseModel):
    model_config = ConfigDict(extra="forbid")
    common_fields: list[FormField]
    forms: dict[str, FormSeed]


def definitions(seed: FormsSeed, items: dict[str, dict]) -> list[dict]:
    """The served definition of every online item (`items`: code -> Item as stored)."""
    common = {f.key: f for f in seed.common_fields}
    out = []
    for code, form in seed.forms.items():
        item = items.get(code)
        if item is None or not item["online"]:
            raise SeedError(f"forms.json: form {code}: {'no such item' if item is None else 'the item is not online'}")
        fields = []
        for field in form.fields:
            if isinstance(field, str) and field not in common:
                raise SeedError(f"forms.json: form {code}: no common field {field}")
            fields.append((common[field] if isinstance(field, str) else field).model_dump(exclude_none=True))
        guide = item["materials"]
        if [m.name for m in form.materials] != [m["name"] for m in guide]:
            raise SeedError(f"forms.json: form {code}: materials are not the guide's, in its order")
        materials = [{"key": f"m{i}", **m, "name_en": extra.name_en, "required": extra.required,
                      "accepts": extra.accepts} for i, (m, extra) in enumerate(zip(guide, form.materials), 1)]
        definition = {"item_code": code, "fields": fields, "materials": materials, "signature": form.signature,
                      "limits": forms.LIMITS}
        definition["version"] = forms.version(definition)
        try:
            FormDefinition.model_validate(definition)
        except ValidationError as e:
            raise SeedError(f"forms.json: form {code}: {e.errors()[0]['msg']}") from None
        out.append(definition)
    missing = sorted(code for code, item in items.items() if item["online"] and code not in seed.forms)
    if missing:
        raise SeedError(f"forms.json: online item {missing[0]} has no form")
    return out


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
    """Seed an empty database from `seed_dir` (or only the forms, into a catalogue seeded before
    forms existed); False, and nothing done, if it has forms already. All or nothing."""
    with database.write_session() as session:
        if session.scalar(select(func.count()).select_from(db.Form)):
            return False
        if session.scalar(select(func.count()).select_from(db.Item)):
            items = {row.code: row.data for row in session.scalars(select(db.Item))}
        else:
            items = _add_catalogue(session, seed_dir)
        (seed,) = _read(seed_dir / "forms.json", FormsSeed)
        session.add_all(db.Form(item_code=d["item_code"], version=d["version"], definition=d)
                        for d in definitions(seed, items))
        session.commit()
    return True


def _add_catalogue(session, seed_dir: Path) -> dict[str, dict]:
    """Departments, items, outlets and notices, checked, added to the session; the items by code."""
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
    return {i.code: i.model_dump() for i in catalog.items}
