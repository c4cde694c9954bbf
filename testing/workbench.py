"""Helpers for the workbench tests: staff accounts for a test hall, a staff member's browser-like
session (cookies kept, CSRF tokens read from pages), and an application with pages submitted by
a terminal."""

import re

import requests

from testing.hall import person
from testing.materials import ref, signature_png, tagged

# (NAME:ROLE[:DEPTS], password): `kiosk hall --staff` takes the first, reads the second on stdin.
STAFF = {"ga-clerk": ("ga-clerk:clerk:GA", "clerk-password-ga"),
         "rs-clerk": ("rs-clerk:clerk:RS", "clerk-password-rs"),
         "dispatcher": ("dispatcher:dispatcher", "dispatch-password"),
         "supervisor": ("supervisor:supervisor", "supervise-password"),
         "locked": ("locked:clerk:GA", "locked-password-1")}
ITEM = "XK00101001"  # online in tests/hall/seed, department GA


def staff_args():
    """(arguments, standard input) for `kiosk hall` creating every STAFF account."""
    args = [a for spec, _ in STAFF.values() for a in ("--staff", spec)]
    return args, "".join(password + "\n" for _, password in STAFF.values())


class StaffUser:
    def __init__(self, base, name, password=None):
        self.base, self.http = base, requests.Session()
        page = self.http.get(base + "/workbench/login", timeout=30)
        self.answer = self.http.post(base + "/workbench/login", data={
            "name": name, "password": STAFF[name][1] if password is None else password,
            "csrf": csrf_of(page.text)}, timeout=30, allow_redirects=False)

    @property
    def logged_in(self):
        return self.answer.headers.get("location") == "/workbench/"

    def get(self, path, **kw):
        return self.http.get(self.base + path, timeout=30, allow_redirects=False, **kw)

    def post(self, path, data, from_page=None, csrf=None):
        """POST a form, with the CSRF token of `from_page` (default: `path`'s page) unless `csrf` is given."""
        if csrf is None:
            csrf = csrf_of(self.get(from_page or path.rsplit("/", 1)[0]).text)
        return self.http.post(self.base + path, data={"csrf": csrf, **data}, timeout=30, allow_redirects=False)


def csrf_of(html):
    return re.search(r'name="csrf" value="([^"]+)"', html)[1]


def submit(client, page: bytes, item=ITEM, who=None, tag=""):
    """A terminal (`client`, a testing.hall.Client) uploads a page and a signature and applies:
    the answer's JSON (its number)."""
    files = [tagged(page, f"{tag} page"), tagged(signature_png(3), f"{tag} signature")]
    for data in files:
        answer = client.http.put(f"{client.base}/api/v1/uploads/{ref(data)['sha256']}", data=data, timeout=30,
                                 headers={"Content-Type": ref(data)["type"]})
        assert answer.status_code in (200, 201), answer.text
    answer = client.post("/api/v1/applications", {
        "item_code": item, "applicant": who or person(), "form": {"phone": "13912345678"},
        "materials": [{"key": "m1", "how": "camera", "pages": [ref(files[0])]}], "signature": ref(files[1])})
    assert answer.status_code == 201, answer.text
    return answer.json()
