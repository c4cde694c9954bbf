"""The service catalogue: filtered list, one item, an online item's form, departments, and the bulk export."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Path, Query, Request
from fastapi.responses import Response
from sqlalchemy import case, func, select

from hall import db
from hall.api.deps import ReadDB
from hall.errors import COMMON_ERRORS, ErrorAnswer, HallError, not_found
from hall.models import Audience, CatalogExport, CatalogPage, Department, FormDefinition, Item

router = APIRouter(tags=["catalog"], responses=COMMON_ERRORS)


@router.get("/catalog", response_model=CatalogPage)
def list_items(session: ReadDB,
               audience: Audience | None = None,
               department: Annotated[str | None, Query(max_length=32)] = None,
               theme: Annotated[str | None, Query(max_length=40)] = None,
               q: Annotated[str | None, Query(max_length=50, description="name, code, pinyin or initials")] = None,
               limit: Annotated[int, Query(ge=1, le=200)] = 50,
               offset: Annotated[int, Query(ge=0, le=100_000)] = 0):
    query = select(db.Item)
    if audience:
        query = query.where(db.Item.audience_tags.contains(f"|{audience}|", autoescape=True))
    if department:
        query = query.where(db.Item.department_code == department)
    if theme:
        query = query.where(db.Item.theme_tags.contains(f"|{theme}|", autoescape=True))
    order = [db.Item.code]
    text = "".join((q or "").split()).lower()
    if text:
        query = query.where(db.Item.search_text.contains(text, autoescape=True))
        # Exact name first, then names starting with the text, then the rest.
        order = [case((db.Item.name == text, 0), (db.Item.name.startswith(text, autoescape=True), 1),
                      else_=2), db.Item.code]
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    rows = session.scalars(query.order_by(*order).limit(limit).offset(offset))
    return {"items": [Item.model_validate(row.data).summary() for row in rows], "total": total}


@router.get("/catalog/export", response_model=CatalogExport,
            responses={304: {"description": "If-None-Match matched: the terminal's copy is current"}})
def export(request: Request, if_none_match: Annotated[str | None, Header(max_length=1000)] = None):
    version, body = request.app.state.catalog_export
    etag = f'"{version}"'
    if if_none_match and _matches(if_none_match, etag):
        return Response(status_code=304, headers={"ETag": etag})
    return Response(body, media_type="application/json", headers={"ETag": etag})


@router.get("/catalog/{code}", response_model=Item)
def get_item(code: Annotated[str, Path(max_length=64)], session: ReadDB):
    row = session.get(db.Item, code)
    if row is None:
        raise not_found("catalogue item")
    return row.data


@router.get("/catalog/{code}/form", response_model=FormDefinition, response_model_exclude_none=True,
            responses={409: {"model": ErrorAnswer, "description": "not_online: the item cannot be applied for online"}},
            description="The fields, materials and signature an application for this item takes, and the rules "
                        "its values follow (docs/hall-api.md, Item forms). The export carries the same as `form`.")
def get_form(code: Annotated[str, Path(max_length=64)], session: ReadDB):
    item = session.get(db.Item, code)
    if item is None:
        raise not_found("catalogue item")
    form = session.get(db.Form, code)
    if form is None:
        raise HallError(409, "not_online", "this item cannot be applied for online (是否网上可办: 否)")
    return form.definition


@router.get("/departments", response_model=list[Department])
def departments(session: ReadDB):
    rows = session.scalars(select(db.Department).order_by(db.Department.code))
    return [{"code": d.code, "name": d.name, "address": d.address, "phone": d.phone} for d in rows]


def _matches(header: str, etag: str) -> bool:
    tags = [t.strip().removeprefix("W/") for t in header.split(",")]
    return "*" in tags or etag in tags
