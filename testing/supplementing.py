"""补正 in tests: a clerk asks for it on the workbench (over HTTP, as a browser posts the form),
and a terminal sends the pages (POST /api/v1/supplements, hall/api/supplements.py)."""

from __future__ import annotations

from testing.materials import ref
from testing.workbench import StaffUser


def ask_for_supplement(base: str, number: str, missing: dict[str, str], note: str = "",
                       clerk: str = "ga-clerk") -> StaffUser:
    """Clerk `clerk` (a testing.workbench.STAFF name, logged in here) moves application `number`
    to 补正: `missing` maps a material key (m1, m2, …) to 缺少 or 不清晰. The clerk's StaffUser."""
    user = StaffUser(base, clerk)
    assert user.logged_in, f"{clerk} could not log in"
    answer = user.post(f"/workbench/applications/{number}/correct",
                       {**{f"missing_{key}": why for key, why in missing.items()}, "note": note},
                       from_page=f"/workbench/applications/{number}")
    assert answer.status_code == 303, answer.text
    return user


def accept(user: StaffUser, number: str, note: str = "") -> None:
    """The clerk accepts (受理) the application, e.g. once the 补正's pages came."""
    answer = user.post(f"/workbench/applications/{number}/accept", {"note": note},
                       from_page=f"/workbench/applications/{number}")
    assert answer.status_code == 303, answer.text


def upload(client, data: bytes) -> None:
    """A terminal (testing.hall.Client) uploads one file."""
    answer = client.http.put(f"{client.base}/api/v1/uploads/{ref(data)['sha256']}", data=data, timeout=30,
                             headers={"Content-Type": ref(data)["type"]})
    assert answer.status_code in (200, 201), answer.text


def supplement_body(number: str, id_number: str, pages: dict[str, list[bytes]]) -> dict:
    return {"number": number, "proof": {"id_number": id_number},
            "materials": [{"key": key, "pages": [ref(p) for p in listed]} for key, listed in pages.items()]}


def send_supplement(client, number: str, id_number: str, pages: dict[str, list[bytes]], key: str | None = None):
    """Upload `pages` (material key -> JPEGs) and post them as a supplement: the hall's answer."""
    for listed in pages.values():
        for page in listed:
            upload(client, page)
    return client.post("/api/v1/supplements", supplement_body(number, id_number, pages), key=key)
