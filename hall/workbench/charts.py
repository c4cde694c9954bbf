"""The geometry of the dashboard's charts (templates/charts.html draws them as inline SVG, coloured
by workbench.css: no script, no inline style, nothing the page's CSP would refuse)."""

from __future__ import annotations

from typing import Any

LABEL_W, BAR_W, ROW_H = 200, 400, 30  # 660 px: the left column of a 1366 px screen


def light_bars(departments: list[dict[str, Any]]) -> dict[str, Any]:
    """A stacked bar per department with applications: green, yellow, red (the table lists them all)."""
    departments = [d for d in departments if d["applications"]["total"]]
    most = max((sum(d["applications"]["by_light"].values()) for d in departments), default=0) or 1
    rows = []
    for n, d in enumerate(departments):
        x, segments = LABEL_W, []
        for colour, count in d["applications"]["by_light"].items():
            width = BAR_W * count / most
            if count:
                segments.append({"x": round(x, 1), "w": round(width, 1), "light": colour, "count": count})
            x += width
        rows.append({"y": n * ROW_H, "label": d["name"], "segments": segments,
                     "total": sum(d["applications"]["by_light"].values()), "end": round(x, 1)})
    return {"rows": rows, "width": LABEL_W + BAR_W + 50, "height": max(len(rows), 1) * ROW_H + 6}


def level_bars(by_level: dict[str, int], height: int = 150) -> dict[str, Any]:
    """A column per rating level, 5 非常满意 first."""
    most = max(by_level.values(), default=0) or 1
    bars = []
    for n, level in enumerate(("5", "4", "3", "2", "1")):
        h = round(height * by_level.get(level, 0) / most, 1)
        bars.append({"x": 20 + n * 72, "y": 20 + height - h, "h": h, "level": level, "count": by_level.get(level, 0),
                     "kind": "bad" if level in ("1", "2") else "fair" if level == "3" else "good"})
    return {"bars": bars, "base": 20 + height, "width": 20 + 5 * 72, "height": height + 62}


def indicator_bars(indicators: dict[str, float | None]) -> dict[str, Any]:
    """Each national indicator's average, of 5."""
    rows = [{"y": n * ROW_H, "label": name, "value": value, "w": round(300 * (value or 0) / 5, 1)}
            for n, (name, value) in enumerate(indicators.items())]
    return {"rows": rows, "label_w": 120, "full": 300, "width": 120 + 300 + 50, "height": len(rows) * ROW_H + 6}


def trend(days: list[dict[str, Any]], height: int = 140) -> dict[str, Any]:
    """Applications per day as columns, 12345 requests per day as a line, over the last days."""
    most = max((max(d["applications"], d["requests"]) for d in days), default=0) or 1
    step, left, top = 20, 34, 12
    columns, points = [], []
    for n, d in enumerate(days):
        x = left + n * step
        h = round(height * d["applications"] / most, 1)
        columns.append({"x": x + 3, "y": top + height - h, "h": h, "count": d["applications"], "day": d["day"],
                        "label": d["day"][5:] if n % 5 == 0 or n == len(days) - 1 else ""})
        points.append(f"{x + 10},{round(top + height - height * d['requests'] / most, 1)}")
    return {"columns": columns, "points": " ".join(points), "base": top + height, "top": top, "most": most,
            "width": left + len(days) * step + 10, "height": top + height + 40, "left": left}
