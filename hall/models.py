"""The catalogue's shapes: what seed files hold and what the hall serves (docs/hall-api.md)."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from kiosk.form_rules import ISO_DATE, RELATIVE_DATE, TEXT_TYPES

Audience = Literal["个人", "法人"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DepartmentRef(Strict):
    code: str = Field(min_length=1, max_length=32)
    name: str = Field(min_length=1, max_length=100)


class Department(DepartmentRef):
    address: str = ""
    phone: str = ""


class Agency(Strict):
    name: str
    address: str
    phone: str


class Material(Strict):
    name: str = Field(min_length=1)
    form: Literal["原件", "复印件", "电子版"]
    count: int = Field(ge=1, le=99)
    notes: str = ""


class Fee(Strict):
    standard: str
    basis: str


class Faq(Strict):
    q: str
    a: str


class ItemSummary(BaseModel):
    code: str
    name: str
    type: str
    audience: list[Audience]
    department: DepartmentRef
    themes: list[str]
    online: bool
    promised_limit_days: int


class Item(Strict):
    code: str = Field(min_length=1, max_length=64, description="事项编码")
    name: str = Field(min_length=1, max_length=200, description="事项名称")
    type: str = Field(description="事项类型")
    audience: list[Audience] = Field(min_length=1, description="服务对象")
    department: DepartmentRef
    themes: list[str]
    agency: Agency = Field(description="实施主体 / 办理机构")
    conditions: str = Field(description="受理条件")
    materials: list[Material] = Field(description="申请材料")
    steps: list[str] = Field(description="办理流程")
    special_steps: str = Field("", description="特殊环节")
    legal_limit_days: int | None = Field(None, ge=0, description="法定时限 (working days)")
    promised_limit_days: int = Field(ge=0, description="承诺时限 (working days, 0 = 当场办结)")
    fee: Fee = Field(description="收费标准 and 收费依据")
    legal_basis: list[str] = Field(description="设定依据")
    place: str = Field(description="办理地点")
    hours: str = Field(description="办理时间")
    visits: int = Field(ge=0, description="到现场次数")
    online: bool = Field(description="是否网上可办")
    consult_phone: str = Field(description="咨询电话")
    complaint_phone: str = Field(description="监督投诉电话")
    faq: list[Faq] = Field(default_factory=list, description="常见问题")

    def summary(self) -> dict:
        return ItemSummary.model_validate(self.model_dump(), from_attributes=False).model_dump()


class CatalogPage(BaseModel):
    items: list[ItemSummary]
    total: int


# --- item forms (docs/hall-api.md "Item forms"; the rules that use them are hall/forms.py) -------

FieldType = Literal["text", "long_text", "number", "date", "choice", "yes_no", "address", "phone", "id_number"]
Prefill = Literal["id.name", "id.sex", "id.nation", "id.birth_date", "id.address", "id.id_number", "ssc.number",
                  "session.phone"]
# Which field types each prefill source may fill (a birth date only a date, a phone only a phone...).
PREFILL_TYPES = {"id.name": ("text",), "id.sex": ("text", "choice"), "id.nation": ("text", "choice"),
                 "id.birth_date": ("date",), "id.address": ("address", "text"), "id.id_number": ("id_number",),
                 "ssc.number": ("id_number",), "session.phone": ("phone",)}
_ONLY_FOR = {("min_length", "max_length"): TEXT_TYPES, ("min", "max", "integer"): ("number",),
             ("earliest", "latest"): ("date",), ("choices",): ("choice",)}


class Words(Strict):
    zh: str = Field(min_length=1, max_length=200)
    en: str = Field(min_length=1, max_length=300)


class Choice(Strict):
    value: str = Field(min_length=1, max_length=32)
    zh: str = Field(min_length=1, max_length=100)
    en: str = Field(min_length=1, max_length=200)


def _date_bound(value: str) -> str:
    if RELATIVE_DATE.fullmatch(value):
        return value
    try:
        if ISO_DATE.fullmatch(value):
            date.fromisoformat(value)
            return value
    except ValueError:
        pass
    raise ValueError(f"{value!r} is not YYYY-MM-DD, today or today+N / today-N")


class FormField(Strict):
    key: str = Field(pattern=r"^[a-z][a-z0-9_]{0,31}$")
    label: Words
    type: FieldType
    required: bool = False
    help: Words | None = None
    min_length: int | None = Field(None, ge=0, le=1000)
    max_length: int | None = Field(None, ge=1, le=1000)
    min: int | float | None = Field(None, allow_inf_nan=False)
    max: int | float | None = Field(None, allow_inf_nan=False)
    integer: bool | None = None
    earliest: str | None = None
    latest: str | None = None
    choices: list[Choice] | None = Field(None, min_length=2, max_length=30)
    prefill: Prefill | None = None

    @model_validator(mode="after")
    def _fits_its_type(self):
        for names, types in _ONLY_FOR.items():
            for name in names:
                if getattr(self, name) is not None and self.type not in types:
                    raise ValueError(f"{self.key}: {name} is for {'/'.join(types)} fields, not {self.type}")
        if self.type == "choice":
            values = [c.value for c in self.choices or ()]
            if not values or len(set(values)) != len(values):
                raise ValueError(f"{self.key}: a choice field needs choices with distinct values")
        if None not in (self.min_length, self.max_length) and self.min_length > self.max_length:
            raise ValueError(f"{self.key}: min_length above max_length")
        if None not in (self.min, self.max) and self.min > self.max:
            raise ValueError(f"{self.key}: min above max")
        for bound in (self.earliest, self.latest):
            if bound is not None:
                _date_bound(bound)
        if self.prefill and self.type not in PREFILL_TYPES[self.prefill]:
            raise ValueError(f"{self.key}: {self.prefill} cannot fill a {self.type} field")
        return self


How = Literal["camera", "id_card", "window"]


class FormMaterial(Strict):
    key: str = Field(pattern=r"^m[1-9][0-9]?$", description="m1, m2, … in the guide's order")
    name: str = Field(min_length=1)
    name_en: str = Field(min_length=1)
    form: Literal["原件", "复印件", "电子版"]
    count: int = Field(ge=1, le=99)
    notes: str = ""
    required: bool
    accepts: list[How] = Field(min_length=1, max_length=3,
                               description="camera: pages photographed at the kiosk; id_card: the ID card read in "
                                           "the session; window: the original brought to the window")


class FormLimits(Strict):
    max_pages: int = Field(ge=1, description="pages of all materials together, and of one material")
    max_page_bytes: int = Field(ge=1)
    max_signature_bytes: int = Field(ge=1)


class FormDefinition(Strict):
    item_code: str
    version: str = Field(description="a hash of the definition: changes when the definition changes")
    fields: list[FormField] = Field(max_length=50)
    materials: list[FormMaterial]
    signature: bool = Field(description="the resident signs on the review screen")
    limits: FormLimits

    @model_validator(mode="after")
    def _unique(self):
        keys = [f.key for f in self.fields]
        if len(set(keys)) != len(keys):
            raise ValueError(f"field keys appear twice: {sorted({k for k in keys if keys.count(k) > 1})}")
        if [m.key for m in self.materials] != [f"m{i}" for i in range(1, len(self.materials) + 1)]:
            raise ValueError("material keys are not m1, m2, … in order")
        for m in self.materials:
            if len(set(m.accepts)) != len(m.accepts):
                raise ValueError(f"{m.key}: accepts names a way twice")
        return self


class ExportItem(Item):
    form: FormDefinition | None = Field(None, description="online items only: the item's form")


class CatalogExport(BaseModel):
    version: str
    items: list[ExportItem]
