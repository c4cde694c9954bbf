"""The catalogue: filters, text and pinyin search, one item, departments, export with ETag."""

import json

import pytest

from testing.hall import SEED

SEEDED = json.loads((SEED / "catalog.json").read_text(encoding="utf-8"))


def codes(client, query=""):
    page = client.get("/api/v1/catalog" + query).json()
    return [i["code"] for i in page["items"]], page["total"]


def test_everything_by_default(client):
    assert codes(client) == (sorted(i["code"] for i in SEEDED["items"]), len(SEEDED["items"]))


@pytest.mark.parametrize("query,expected", [
    ("?audience=法人", ["XK00202001"]),
    ("?department=GA", ["XK00101001", "XK00102001"]),
    ("?theme=迁居", ["XK00102001"]),
    ("?q=身份证", ["XK00101001"]),
    ("?q=shenfenzheng", ["XK00101001"]),
    ("?q=sfz", ["XK00101001"]),
    ("?q=SHBZK", ["GG00201001"]),
    ("?q=XK001", ["XK00101001", "XK00102001"]),
    ("?q=社保", ["GG00201001"]),
    ("?q=%25", []),                   # LIKE wildcards are plain characters
    ("?q=_", []),
    ("?department=GA&theme=迁居", ["XK00102001"]),
    ("?department=NOPE", []),
])
def test_filters(client, query, expected):
    found, total = codes(client, query)
    assert found == expected and total == len(expected)


def test_exact_name_ranks_first(client):
    found, _ = codes(client, "?q=户口迁移登记")
    assert found[0] == "XK00102001"


def test_paging(client):
    first, total = codes(client, "?limit=2")
    second, _ = codes(client, "?limit=2&offset=2")
    assert len(first) == 2 and not set(first) & set(second) and len(first + second) == total


def test_item_has_every_guide_field(client):
    item = client.get("/api/v1/catalog/XK00101001").json()
    expected = next(i for i in SEEDED["items"] if i["code"] == "XK00101001")
    assert item == expected


def test_unknown_item(client):
    response = client.get("/api/v1/catalog/NOPE")
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"


def test_departments(client):
    assert [d["code"] for d in client.get("/api/v1/departments").json()] == ["GA", "RS"]


def test_export_and_etag(client):
    response = client.get("/api/v1/catalog/export")
    assert response.status_code == 200
    etag, export = response.headers["ETag"], response.json()
    assert etag == f'"{export["version"]}"'
    assert sorted(i["code"] for i in export["items"]) == sorted(i["code"] for i in SEEDED["items"])
    for header in (etag, f"W/{etag}", f'"old", {etag}', "*"):
        again = client.get("/api/v1/catalog/export", headers={"If-None-Match": header})
        assert again.status_code == 304 and again.content == b"" and again.headers["ETag"] == etag
    stale = client.get("/api/v1/catalog/export", headers={"If-None-Match": '"0000"'})
    assert stale.status_code == 200 and stale.json() == export
