"""Green / yellow / red from one heartbeat, with the reason (docs/hall-api.md, Fleet).

Offline is not decided here: it depends on the clock, so readers compute it from
`last_seen` (and it clears itself with the next heartbeat).
"""

from __future__ import annotations

from hall.fleet.models import Heartbeat

BAD_HEALTH = {"error", "offline", "absent"}
OUTBOX_BACKLOG = 20
OUTBOX_STALE_S = 600
DISK_LOW_MB = 500
HEALTH_ZH = {"ok": "正常", "warning": "警告", "error": "故障", "offline": "离线", "absent": "未连接"}
PAPER_ZH = {"ok": "充足", "low": "将尽", "empty": "缺纸", "unknown": "未知"}


def classify(beat: Heartbeat) -> tuple[str, str]:
    red, yellow = [], []
    for kind, device in sorted(beat.devices.items()):
        said = f": {device.reason}" if device.reason else ""
        if device.health in BAD_HEALTH:
            red.append(f"{kind} {device.health}{said}")
        elif device.health == "warning":
            yellow.append(f"{kind} warning{said}")
        if device.paper == "empty":
            red.append(f"{kind} paper empty")
        elif device.paper in ("low", "unknown"):
            yellow.append(f"{kind} paper {device.paper}")
    if beat.last_errors:
        red.append(f"app errors ({len(beat.last_errors)}): {beat.last_errors[0]}")
    if beat.outbox_depth >= OUTBOX_BACKLOG:
        yellow.append(f"outbox {beat.outbox_depth} waiting")
    elif (beat.outbox_oldest_s or 0) >= OUTBOX_STALE_S:
        yellow.append(f"outbox oldest {int(beat.outbox_oldest_s // 60)} min")
    if beat.disk_free_mb < DISK_LOW_MB:
        yellow.append(f"disk {int(beat.disk_free_mb)} MB free")
    state = "red" if red else "yellow" if yellow else "green"
    return state, "; ".join(red + yellow)


def current(state: str, last_seen: float | None, now: float, offline_after: float) -> str:
    """The state to show: the stored one, or offline when heartbeats stopped."""
    if last_seen is None or now - last_seen > offline_after:
        return "offline"
    return state
