"""补正: what the clerk asked an application's resident to hand in again, read from its timeline.

The clerk's 补正 entry (hall.workbench) names the materials by name, `missing: {name: 缺少|不清晰}`,
with the clerk's own words in `clerk_note`; the item's form definition gives each name its key
(m1, m2, …) and English name. Each supplement the resident sends appends an entry of the same
stage with `supplied: true`, its number `supplement` and `pages: {key: count}`.
"""

from __future__ import annotations

from typing import Any

WHY = ("缺少", "不清晰")


def last_request(timeline: list[dict]) -> tuple[int, dict] | None:
    """(index, entry) of the latest 补正 entry that asks for materials, or None."""
    for i in range(len(timeline) - 1, -1, -1):
        entry = timeline[i]
        if entry.get("stage") == "补正" and entry.get("missing"):
            return i, entry
    return None


def asked(timeline: list[dict], definition: dict | None) -> dict[str, Any] | None:
    """What the latest 补正 asks for: {asked_at, note, materials: [{key, name, name_en, why}],
    supplied_at} (key None for a name the item's form no longer has), or None."""
    found = last_request(timeline)
    if found is None:
        return None
    index, entry = found
    by_name = {m["name"]: m for m in (definition or {}).get("materials", [])}
    materials = []
    for name, why in entry["missing"].items():
        material = by_name.get(name, {})
        materials.append({"key": material.get("key"), "name": name, "name_en": material.get("name_en") or name,
                          "why": why if why in WHY else "缺少"})
    supplied = [e for e in timeline[index + 1:] if e.get("supplied")]
    return {"asked_at": entry.get("at", ""), "note": entry.get("clerk_note", ""), "materials": materials,
            "supplied_at": supplied[-1].get("at") if supplied else None}


def supplements_made(timeline: list[dict]) -> int:
    return sum(1 for entry in timeline if entry.get("supplied"))


def supplied_since_asked(timeline: list[dict]) -> bool:
    """Whether pages have come in since the latest 补正 request (the clerk's queue marks it 已补交)."""
    found = last_request(timeline)
    return found is not None and any(e.get("supplied") for e in timeline[found[0] + 1:])
