"""ID numbers at the hall: kept only as a keyed hash (for lookup) and a masked form (for display)."""

from __future__ import annotations

import hashlib
import hmac
import secrets


def id_hash(key: bytes, id_number: str) -> str:
    return hmac.new(key, id_number.upper().encode(), hashlib.sha256).hexdigest()


def same_id(stored_hash: str | None, given_hash: str) -> bool:
    """Whether a record's ID-number hash is the one given, in constant time (None: no record)."""
    return hmac.compare_digest((stored_hash or "").encode(), given_hash.encode()) and stored_hash is not None


def mask_id(id_number: str) -> str:
    return id_number[:4] + "*" * (len(id_number) - 8) + id_number[-4:]


def mask_name(name: str) -> str:
    """张* for two characters, 张*某 for three or more."""
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def new_number(prefix: str, day, exists) -> str:
    """PREFIX + yyyymmdd + 6 random digits, not guessable in sequence; `exists(n)` rejects repeats."""
    for _ in range(20):
        number = f"{prefix}{day:%Y%m%d}{secrets.randbelow(1_000_000):06d}"
        if not exists(number):
            return number
    raise RuntimeError("could not find a free number")
