"""`kiosk hall` as a command: bad arguments, busy port and bad seed data are one plain line."""

import json
import shutil
import socket

from testing.hall import SEED, Client, Hall
from testing.processes import run_kiosk


def test_bad_terminal_argument(tmp_path):
    result = run_kiosk("hall", "--terminal", "no-secret", "--db", str(tmp_path / "h.db"))
    assert result.returncode == 2 and "ID:SECRET" in result.stderr


def test_busy_port(tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = run_kiosk("hall", "--port", str(port), "--db", str(tmp_path / "h.db"), "--seed", str(SEED))
    assert result.returncode == 5
    assert result.stderr.strip().splitlines() == [f"kiosk hall: cannot listen on 127.0.0.1:{port}: "
                                                  "Address already in use"]


def test_missing_seed(tmp_path):
    result = run_kiosk("hall", "--port", "0", "--db", str(tmp_path / "h.db"), "--seed", str(tmp_path))
    assert result.returncode == 5
    assert len(result.stderr.strip().splitlines()) == 1 and "catalog.json: seed file not found" in result.stderr


def test_bad_seed_record_writes_nothing(tmp_path):
    bad = tmp_path / "seed"
    shutil.copytree(SEED, bad)
    catalog = json.loads((bad / "catalog.json").read_text(encoding="utf-8"))
    del catalog["items"][1]["fee"]
    (bad / "catalog.json").write_text(json.dumps(catalog, ensure_ascii=False), encoding="utf-8")
    db = tmp_path / "hall.db"
    result = run_kiosk("hall", "--port", "0", "--db", str(db), "--seed", str(bad))
    assert result.returncode == 5
    assert result.stderr.strip() == "kiosk hall: seed data: catalog.json: record 0: items.1.fee: Field required"
    good = Hall(tmp_path, "--seed", str(SEED))  # same database file: it is still empty, so it seeds now
    try:
        assert good.db == db
        assert Client(good.base).get("/api/v1/catalog").json()["total"] == 4
    finally:
        assert good.stop() == 0


def test_restart_keeps_data_and_does_not_reseed(tmp_path):
    first = Hall(tmp_path)
    try:
        client = Client(first.base)
        created = client.post("/api/v1/requests", {"type": "咨询", "content": "重启后还在吗？", "phone": "13900000001"})
        ticket = created.json()["ticket"]
    finally:
        assert first.stop() == 0
    second = Hall(tmp_path)
    try:
        client = Client(second.base)
        assert client.get(f"/api/v1/requests/{ticket}").status_code == 200
        assert client.get("/api/v1/catalog").json()["total"] == 4
    finally:
        assert second.stop() == 0
