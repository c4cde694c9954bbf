"""Per-request database sessions: one transaction per request, rolled back unless committed."""

from __future__ import annotations

from typing import Annotated, Iterator

from fastapi import Depends, Request
from sqlalchemy.orm import Session


def _read(request: Request) -> Iterator[Session]:
    with request.app.state.database.read_session() as session:
        yield session


def _write(request: Request) -> Iterator[Session]:
    with request.app.state.database.write_session() as session:
        yield session


ReadDB = Annotated[Session, Depends(_read)]
WriteDB = Annotated[Session, Depends(_write)]
