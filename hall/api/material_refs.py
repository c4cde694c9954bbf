"""The files an application refers to: its materials' pages and the resident's signature.

Each was sent first with PUT /api/v1/uploads/{sha256} (hall/api/uploads.py); the body of
POST /api/v1/applications names them by hash, size and type (docs/hall-api.md).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from hall.checks import Body
from hall.materials import UPLOAD_TYPES

Sha256 = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$", description="SHA-256 of the file, lower-case hex")]


class FileRef(Body):
    sha256: Sha256
    size: int = Field(ge=1, le=max(UPLOAD_TYPES.values()), description="bytes")
    type: Literal["image/jpeg", "image/png"] = Field(description="pages are JPEG, the signature PNG")


class MaterialRef(Body):
    key: str = Field(pattern=r"^m[1-9][0-9]{0,2}$", description="the material's key in the item's form: m1, m2, …")
    how: Literal["camera", "id_card", "window"] = Field(
        description="camera: photographed at the kiosk (pages), id_card: the ID card read, "
                    "window: the original is brought to the window")
    pages: list[FileRef] = Field(default_factory=list, max_length=100,
                                 description="how=camera: the photographed pages, in order")
