"""Service outlets (网点导航) and public notices (政务公开)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel
from sqlalchemy import select

from hall import db
from hall.api.deps import ReadDB
from hall.errors import COMMON_ERRORS, not_found

router = APIRouter(responses=COMMON_ERRORS)
Id = Annotated[str, Path(max_length=64)]


class OutletOut(BaseModel):
    id: str
    name: str
    address: str
    hours: str
    phone: str
    lat: float
    lon: float
    items: list[str]
    appointments: bool


class NoticeOut(BaseModel):
    id: str
    title: str
    published: date
    department: str
    body: str


def _outlet(row: db.Outlet) -> dict:
    return {"id": row.id, "name": row.name, "address": row.address, "hours": row.hours, "phone": row.phone,
            "lat": row.lat, "lon": row.lon, "items": row.items, "appointments": row.appointment is not None}


def _notice(row: db.Notice) -> dict:
    return {"id": row.id, "title": row.title, "published": row.published, "department": row.department,
            "body": row.body}


@router.get("/outlets", response_model=list[OutletOut], tags=["outlets"])
def outlets(session: ReadDB):
    return [_outlet(row) for row in session.scalars(select(db.Outlet).order_by(db.Outlet.id))]


@router.get("/outlets/{outlet_id}", response_model=OutletOut, tags=["outlets"])
def outlet(outlet_id: Id, session: ReadDB):
    row = session.get(db.Outlet, outlet_id)
    if row is None:
        raise not_found("outlet")
    return _outlet(row)


@router.get("/notices", response_model=list[NoticeOut], tags=["notices"], description="Newest first.")
def notices(session: ReadDB, limit: Annotated[int, Query(ge=1, le=100)] = 20,
            offset: Annotated[int, Query(ge=0, le=100_000)] = 0):
    rows = session.scalars(select(db.Notice).order_by(db.Notice.published.desc(), db.Notice.id)
                           .limit(limit).offset(offset))
    return [_notice(row) for row in rows]


@router.get("/notices/{notice_id}", response_model=NoticeOut, tags=["notices"])
def notice(notice_id: Id, session: ReadDB):
    row = session.get(db.Notice, notice_id)
    if row is None:
        raise not_found("notice")
    return _notice(row)
