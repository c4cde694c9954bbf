"""An application being filled at the terminal, apart from its screens: the pages and the
signature it holds (this session only), how each material of the item's form is handed in, and
the body sent through the outbox (docs/hall-api.md "Item forms", "Materials").
"""

from __future__ import annotations

from typing import Any

HOW = ("camera", "id_card", "window")
DEFAULT_MAX_PAGES = 20

# messages (ids) of the materials step
MISSING = "Please hand in every material marked *: {names}."
TOO_MANY_PAGES = "An application holds at most {count} pages. Please remove a page before taking another."
SIGN = "Please sign in the box and tap Confirm signature."
FORMS = {"原件": "original", "复印件": "copy", "电子版": "electronic copy"}


class ApplicationFiles:
    """The photographed pages (hardware.camera.Page, by material key) and the signature PNG of the
    application being filled. In the session's data, so `wipe` runs when the session ends."""

    def __init__(self) -> None:
        self.pages: dict[str, list[Any]] = {}
        self.signature = bytearray()

    def count(self) -> int:
        return sum(len(p) for p in self.pages.values())

    def of(self, key: str) -> list[Any]:
        return self.pages.get(key, [])

    def add(self, key: str, page: Any, replace: int | None = None) -> None:
        pages = self.pages.setdefault(key, [])
        if replace is not None and 0 <= replace < len(pages):
            pages[replace].wipe()
            pages[replace] = page
        else:
            pages.append(page)

    def remove(self, key: str, index: int) -> None:
        pages = self.pages.get(key, [])
        if 0 <= index < len(pages):
            pages.pop(index).wipe()

    def drop(self, key: str) -> None:
        for page in self.pages.pop(key, []):
            page.wipe()

    def sign(self, png: bytes) -> None:
        self.unsign()
        self.signature = bytearray(png)

    def unsign(self) -> None:
        self.signature[:] = bytes(len(self.signature))
        self.signature = bytearray()

    def wipe(self) -> None:
        for key in list(self.pages):
            self.drop(key)
        self.unsign()

    def __repr__(self) -> str:  # reprs reach logs: never the data
        return f"<ApplicationFiles {self.count()} pages>"


def max_pages(definition: dict) -> int:
    return definition.get("limits", {}).get("max_pages", DEFAULT_MAX_PAGES)


def material_name(material: dict, lang: str) -> str:
    return material["name"] if lang == "zh" else material.get("name_en") or material["name"]


def missing_materials(definition: dict, chosen: dict[str, str], files: ApplicationFiles) -> list[dict]:
    """The required materials not handed in yet (camera chosen but no page counts as not handed in)."""
    return [m for m in definition.get("materials", []) if m.get("required") and not handed_in(m, chosen, files)]


def handed_in(material: dict, chosen: dict[str, str], files: ApplicationFiles) -> bool:
    how = chosen.get(material["key"])
    return how in ("id_card", "window") or (how == "camera" and bool(files.of(material["key"])))


def to_bring(definition: dict, chosen: dict[str, str]) -> list[dict]:
    """The materials the resident brings to the service window (for the receipt)."""
    return [m for m in definition.get("materials", []) if chosen.get(m["key"]) == "window"]


def build(item_code: str, definition: dict, form: dict, chosen: dict[str, str], files: ApplicationFiles,
          applicant: dict) -> tuple[dict, dict[str, bytes]]:
    """(the body of POST /applications with {"file": name} for each page and the signature,
    the files by name) for Outbox.submit."""
    sent = {k: v for k, v in form.items() if v is not None and v != ""}
    payload: dict[str, Any] = {"item_code": item_code, "channel": "kiosk", "applicant": applicant,
                               "form": sent, "form_version": definition["version"], "materials": []}
    blobs: dict[str, bytes] = {}
    for material in definition.get("materials", []):
        key, how = material["key"], chosen.get(material["key"])
        if not handed_in(material, chosen, files):
            continue
        entry: dict[str, Any] = {"key": key, "how": how}
        if how == "camera":
            entry["pages"] = []
            for n, page in enumerate(files.of(key), 1):
                blobs[f"{key}p{n}"] = bytes(page.jpeg)
                entry["pages"].append({"file": f"{key}p{n}"})
        payload["materials"].append(entry)
    if definition.get("signature") and files.signature:
        blobs["signature"] = bytes(files.signature)
        payload["signature"] = {"file": "signature"}
    return payload, blobs
