"""The catalogue's shapes: what seed files hold and what the hall serves (docs/hall-api.md)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

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


class CatalogExport(BaseModel):
    version: str
    items: list[Item]
