"""Idempotency-Key on every POST: the first successful answer is stored and replayed.

The stored answer is written in the same transaction as what the request created,
so either both exist or neither does. Two identical requests racing each other
both try to insert (terminal, key); the loser's transaction rolls back and it
answers with the winner's stored answer. Failed answers (4xx) are not stored:
they created nothing, and a repeat is checked afresh.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Annotated, Any

from fastapi import Depends, Header, Request
from fastapi.responses import Response
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hall import clock
from hall.db import IdempotencyRecord
from hall.errors import HallError

_KEY = re.compile(r"[A-Za-z0-9_.:-]{8,128}")


class StoredAnswer(Exception):
    """Raised to answer a repeat with the first answer, byte for byte."""

    def __init__(self, record: IdempotencyRecord):
        self.status, self.body = record.status, record.body

    def response(self) -> Response:
        return Response(self.body, status_code=self.status, media_type="application/json",
                        headers={"Idempotent-Replayed": "true"})


class Idempotency:
    def __init__(self, request: Request, key: str):
        self.terminal_id: str = request.state.terminal_id
        self.key = key
        # The key names one request: same endpoint and same bytes.
        self.fingerprint = hashlib.sha256(
            f"{request.method} {request.url.path} {request.state.body_sha256}".encode()).hexdigest()

    def check(self, session: Session) -> None:
        record = session.get(IdempotencyRecord, (self.terminal_id, self.key))
        if record is None:
            return
        if record.fingerprint != self.fingerprint:
            raise HallError(409, "idempotency_conflict",
                            "this Idempotency-Key was used for a different request")
        raise StoredAnswer(record)

    def answer(self, session: Session, status: int, payload: Any) -> Response:
        """Store the answer with the request's writes, commit, and return it."""
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
        session.add(IdempotencyRecord(terminal_id=self.terminal_id, key=self.key, fingerprint=self.fingerprint,
                                      status=status, body=body, created_at=clock.utc_naive(clock.now())))
        try:
            session.commit()
        except IntegrityError:
            session.rollback()
            self.check(session)  # the racing twin committed first: answer with its answer
            raise
        return Response(body, status_code=status, media_type="application/json")


def idempotency(request: Request, idempotency_key: Annotated[str | None, Header(
        alias="Idempotency-Key", description="8-128 characters [A-Za-z0-9_.:-], one per submission")] = None
                ) -> Idempotency:
    if not idempotency_key:
        raise HallError(400, "missing_idempotency_key", "every POST needs an Idempotency-Key header")
    if not _KEY.fullmatch(idempotency_key):
        raise HallError(400, "bad_idempotency_key",
                        "Idempotency-Key must be 8-128 letters, digits or _ . : -")
    idem = Idempotency(request, idempotency_key)
    # Checked here too, before the body is validated: a repeat is answered as a repeat
    # even if the body would now fail (and a reused key is a conflict, not a 422).
    with request.app.state.database.read_session() as session:
        idem.check(session)
    return idem


IdempotencyDep = Annotated[Idempotency, Depends(idempotency)]
