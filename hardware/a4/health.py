"""The A4 printer's health from what CUPS (IPP) says about it.

printer-state (3 idle, 4 processing, 5 stopped), printer-state-reasons (RFC 8011
keywords with -report / -warning / -error suffixes), printer-is-accepting-jobs and
marker-levels. A keyword we do not know is a warning unless it says -error. A
printer that gives no state at all is a warning, never ok.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hardware.model import Health, Paper, Status

IDLE, PROCESSING, STOPPED = 3, 4, 5
LOW_MARKER = 10  # percent: toner or ink at or below this is a warning

# reasons that say nothing about a fault (the state says "stopped" on its own)
QUIET = {"none", "paused", "moving-to-paused", "connecting-to-device", "cups-waiting-for-job-completed",
         "processing-to-stop-point", "cups-remote-pending", "cups-remote-pending-held"}
# reason (without suffix) -> (health, plain words, paper)
KNOWN: dict[str, tuple[Health, str, Paper | None]] = {
    "media-empty": (Health.ERROR, "out of paper", Paper.EMPTY),
    "media-needed": (Health.ERROR, "out of paper", Paper.EMPTY),
    "media-jam": (Health.ERROR, "paper jam", None),
    "door-open": (Health.ERROR, "a door is open", None),
    "cover-open": (Health.ERROR, "the cover is open", None),
    "interlock-open": (Health.ERROR, "a door is open", None),
    "offline": (Health.OFFLINE, "the printer is offline", None),
    "shutdown": (Health.OFFLINE, "the printer is switched off", None),
    "toner-empty": (Health.ERROR, "out of toner", None),
    "marker-supply-empty": (Health.ERROR, "out of toner", None),
    "media-low": (Health.WARNING, "paper low", Paper.LOW),
    "toner-low": (Health.WARNING, "toner low", None),
    "marker-supply-low": (Health.WARNING, "toner low", None),
    "marker-waste-almost-full": (Health.WARNING, "waste toner almost full", None),
    "cups-missing-filter": (Health.ERROR, "CUPS has no filter for PDF on this queue", None),
}
RANK = {Health.OK: 0, Health.WARNING: 1, Health.ERROR: 2, Health.OFFLINE: 3, Health.ABSENT: 4}
SUFFIXES = ("-error", "-warning", "-report")


def _split(reason: str) -> tuple[str, str]:
    for suffix in SUFFIXES:
        if reason.endswith(suffix):
            return reason[: -len(suffix)], suffix
    return reason, ""


def _reason(keyword: str) -> tuple[Health, str, Paper | None] | None:
    if keyword in QUIET:
        return None
    base, suffix = _split(keyword)
    if base in QUIET:
        return None
    if base in KNOWN:
        health, words, paper = KNOWN[base]
        if suffix in ("-warning", "-report") and health is Health.ERROR:
            health = Health.WARNING  # e.g. media-empty-warning: the tray is empty, another feeds
        return health, words, paper
    if suffix == "-error":
        return Health.ERROR, f"the printer reports {base}", None
    return Health.WARNING, f"the printer reports {base}", None


def status_from(attrs: Mapping[str, Any]) -> Status:
    """The Status for a queue's printer attributes (as pycups' getPrinterAttributes returns them)."""
    state = attrs.get("printer-state")
    reasons = attrs.get("printer-state-reasons") or []
    if isinstance(reasons, str):
        reasons = [reasons]
    found = [r for r in map(_reason, reasons) if r is not None]
    levels = [n for n in (attrs.get("marker-levels") or []) if isinstance(n, int) and 0 <= n <= LOW_MARKER]
    if levels and not any(words.startswith("toner") for _, words, _ in found):
        found.append((Health.WARNING, f"toner low ({min(levels)}%)", None))
    if state == STOPPED and not any(h in (Health.ERROR, Health.OFFLINE) for h, _, _ in found):
        message = str(attrs.get("printer-state-message") or "").strip()
        found.append((Health.ERROR, "the print queue is stopped" + (f" ({message})" if message else ""), None))
    if attrs.get("printer-is-accepting-jobs") is False:
        found.append((Health.ERROR, "the print queue refuses jobs", None))
    if state not in (IDLE, PROCESSING, STOPPED):
        found.append((Health.WARNING, "the printer did not say its state", None))
    paper = next((p for _, _, p in found if p is not None), Paper.OK if state in (IDLE, PROCESSING) else Paper.UNKNOWN)
    if not found:
        return Status(Health.OK, "ready", paper)
    found.sort(key=lambda r: RANK[r[0]], reverse=True)
    words = []
    for _, w, _ in found:
        if w not in words:
            words.append(w)
    return Status(found[0][0], "; ".join(words), paper)
