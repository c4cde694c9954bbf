"""The catalogue's offline copy: refreshed by ETag from a real hall, read and searched with the hall down."""

import json

import pytest

from kiosk.catalog import Catalog, CatalogUnavailable
from kiosk.hall_client import HallUnreachable
from kiosk.store import Store
from testing.processes import run_kiosk
from testing.terminal_hall import TERMINAL_ID, TERMINAL_SECRET

GUIDE_FIELDS = ("code", "name", "department", "conditions", "materials", "steps", "promised_limit_days",
                "fee", "place", "hours", "consult_phone", "complaint_phone", "online")


@pytest.fixture
def store(tmp_path):
    s = Store(tmp_path / "terminal.sqlite3")
    yield s
    s.close()


def test_no_copy_and_no_hall_is_a_plain_error(store, client_for):
    from testing.processes import free_port
    catalog = Catalog(store, client_for(f"http://127.0.0.1:{free_port()}", retries=0))
    assert isinstance(catalog.try_refresh(), HallUnreachable)
    with pytest.raises(CatalogUnavailable, match="no offline copy"):
        catalog.search("sfz")


def test_refresh_by_etag_then_read_offline(own_hall, store, client_for):
    own_hall.start()
    client = client_for(own_hall.url, retries=0)
    catalog = Catalog(store, client)
    first = catalog.refresh()
    assert first.changed and first.count >= 1
    etag = store.catalog_meta()[1]
    assert etag
    fetched = catalog.fetched_at

    second = catalog.refresh()  # If-None-Match -> 304: the copy is kept, only its time moves
    assert not second.changed and second.version == first.version and second.count == first.count
    assert store.catalog_meta()[1] == etag and catalog.fetched_at >= fetched
    raw = client.get("/api/v1/catalog/export", headers={"If-None-Match": etag})
    assert raw.status == 304

    own_hall.stop()
    offline = Catalog(Store(store.path), client)  # a fresh terminal process, hall down
    assert isinstance(offline.try_refresh(), HallUnreachable)
    items = offline.items()
    assert len(items) == first.count
    guide = offline.item(items[0]["code"])
    assert all(field in guide for field in GUIDE_FIELDS)
    hits = offline.search(items[0]["name"])
    assert hits[0].item["code"] == items[0]["code"]
    person = offline.items(audience="个人")
    assert person and all("个人" in i["audience"] for i in person)


def config_for(write_config, tmp_path, url):
    return write_config(f'[terminal]\nid = "{TERMINAL_ID}"\nsecret = "{TERMINAL_SECRET}"\n'
                        f'[hall]\nurl = "{url}"\ntimeout = 2\n'
                        f'[paths]\nstate_dir = "{tmp_path / "cli-state"}"\n')


def test_cli_search_refreshes_then_falls_back_to_the_offline_copy(own_hall, write_config, tmp_path):
    own_hall.start()
    config = str(config_for(write_config, tmp_path, own_hall.url))
    result = run_kiosk("--config", config, "catalog", "refresh")
    assert result.returncode == 0, result.stderr
    assert "catalogue updated" in result.stdout
    assert "unchanged" in run_kiosk("--config", config, "catalog", "refresh").stdout

    online = run_kiosk("--config", config, "catalog", "search", "sfz", "--json", "--limit", "3")
    assert online.returncode == 0 and "offline" not in online.stderr
    hits = json.loads(online.stdout)
    assert 1 <= len(hits) <= 3 and {"code", "name", "department", "match"} <= set(hits[0])

    own_hall.stop()
    offline = run_kiosk("--config", config, "catalog", "search", "sfz", "--json", "--limit", "3")
    assert offline.returncode == 0
    assert "using the offline copy" in offline.stderr
    assert json.loads(offline.stdout) == hits
    text = run_kiosk("--config", config, "catalog", "search", "sfz", "--offline")
    assert text.returncode == 0 and hits[0]["code"] in text.stdout and not text.stderr

    down = run_kiosk("--config", config, "catalog", "refresh")
    assert down.returncode == 5 and "cannot reach the online hall" in down.stderr
    assert "Traceback" not in down.stderr


def test_cli_bad_input(write_config, tmp_path):
    config = str(config_for(write_config, tmp_path, "http://127.0.0.1:9"))
    bad_limit = run_kiosk("--config", config, "catalog", "search", "sfz", "--limit", "0")
    assert bad_limit.returncode == 2 and "from 1 to 500" in bad_limit.stderr
    no_copy = run_kiosk("--config", config, "catalog", "search", "sfz")
    assert no_copy.returncode == 5 and "no offline copy" in no_copy.stderr
    assert "Traceback" not in no_copy.stderr


def test_refresh_computes_pinyin_in_a_child_so_the_terminal_never_loads_pypinyin(hall, tmp_path):
    """pypinyin's phrase dictionary costs ~50 MB; the kiosk process must search without it."""
    import subprocess
    import sys

    from testing.processes import kiosk_env
    script = f"""
import sys
from kiosk.catalog import Catalog
from kiosk.hall_client import HallClient
from kiosk.store import Store
store = Store({str(tmp_path / 'terminal.sqlite3')!r})
catalog = Catalog(store, HallClient({hall.url!r}, {TERMINAL_ID!r}, {TERMINAL_SECRET!r}, retries=0))
catalog.refresh()
names = [hit.item["name"] for hit in catalog.search("sfz")]
print("pypinyin" in sys.modules, any("身份证" in n for n in names), "_pinyin" in catalog.items()[0])
"""
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            env=kiosk_env(), timeout=120)
    assert result.stdout.split() == ["False", "True", "True"], result.stderr
