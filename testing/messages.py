"""Message ids that screens build in Python (tile labels, tips), read without importing Kivy."""

import ast
from pathlib import Path

SCREENS = Path(__file__).resolve().parent.parent / "screens"
KIOSK = SCREENS.parent / "kiosk"


def _literal(path: Path, name: str):
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == name for t in node.targets):
            return ast.literal_eval(node.value)
    raise LookupError(f"{name} not in {path}")


def python_message_ids() -> set[str]:
    ids = set(_literal(SCREENS / "attract.py", "TIPS"))
    for label, hint in _literal(SCREENS / "home.py", "SERVICE_LABELS").values():
        ids |= {label, hint}
    for name in ("FILLED_IN", "CARD_ENDS_SESSION", "BOOKED_AS"):  # by where the identity came from
        ids |= set(_literal(SCREENS / "identify.py", name).values())
    ids |= {_literal(SCREENS / "identify.py", "FILL_IN"), _literal(SCREENS / "rating.py", "NOT_FOUND")}
    ids |= set(_literal(SCREENS / "rating.py", "PROOF_ASK").values())
    ids.add(_literal(SCREENS / "progress.py", "RATE_LIMITED"))
    ids |= set(_literal(KIOSK / "forms.py", "MESSAGES").values())  # form problems, by their field
    ids |= set(_literal(SCREENS / "form_fields.py", "HINTS").values())
    ids |= set(_literal(KIOSK / "applications.py", "FORMS").values())
    for name in ("MISSING", "TOO_MANY_PAGES", "SIGN"):
        ids.add(_literal(KIOSK / "applications.py", name))
    for name in ("OFFLINE", "NO_PICTURE", "DARK", "NO_PAGE", "CAPTURE_FAILED"):
        ids.add(_literal(SCREENS / "camera_view.py", name))
    for title, hint in _literal(SCREENS / "certificates.py", "KINDS").values():
        ids |= {title, hint}
    for name in ("CARD_NEEDED", "NO_RECORD", "HALL_DOWN", "RATE_LIMITED", "NOT_ISSUED", "PRINTING"):
        ids.add(_literal(SCREENS / "certificates.py", name))
    ids |= set(_literal(KIOSK / "a4print.py", "FAULT_MESSAGES").values())  # why the A4 printer did not
    ids |= {_literal(KIOSK / "a4print.py", "NO_PRINTER"), _literal(KIOSK / "certificates.py", "NOT_OUT")}
    ids |= set(_literal(SCREENS / "supplement.py", "WHY").values())
    for name in ("NOT_APPLICANT", "NOT_WAITING", "EVERY_MATERIAL", "NOT_SAVED", "CHECKING", "SENT", "QUEUED",
                 "ASKS", "CLERK_NOTE", "SUPPLIED", "SEND_BUTTON"):
        ids.add(_literal(SCREENS / "supplement.py", name))
    return ids
