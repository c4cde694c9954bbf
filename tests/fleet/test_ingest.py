"""Heartbeats are written in batches by one writer thread: what each request can still count on."""

import asyncio
import json
import signal
import sqlite3
import threading

from testing.fleet import TERMINALS, beat, terminal
from testing.hall import Hall


def test_answered_heartbeat_is_on_disk_even_if_the_hall_dies_at_once(tmp_path):
    hall = Hall(tmp_path, "--terminal", f"fl-09:{TERMINALS['fl-09']}")
    try:
        answer = terminal(hall, "fl-09").post("/api/v1/heartbeat", beat(uptime_s=424242))
        assert answer.status_code == 200, answer.text
        hall.process.send_signal(signal.SIGKILL)  # no shutdown: only what was committed survives
        hall.process.wait(timeout=20)
    finally:
        hall.stop()
    with sqlite3.connect(hall.db) as db:
        (data,) = db.execute("SELECT data FROM fleet_snapshots WHERE terminal_id = 'fl-09'").fetchone()
    assert json.loads(data)["uptime_s"] == 424242


def test_a_command_goes_to_exactly_one_of_many_concurrent_heartbeats(hall, operator):
    page = "/console/terminals/fl-10"
    form = {"kind": "message", "text": "只发一次", "seconds": "30"}
    assert operator.post_form(f"{page}/commands", form, page).status_code == 303
    answers, lock = [], threading.Lock()

    def heartbeat():
        answer = terminal(hall, "fl-10").post("/api/v1/heartbeat", beat())
        with lock:
            answers.append(answer)

    threads = [threading.Thread(target=heartbeat) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [a.status_code for a in answers] == [200] * 16
    delivered = [c for a in answers for c in a.json()["commands"]]
    assert [(c["kind"], c["args"]["text"]) for c in delivered] == [("message", "只发一次")]


def test_answered_heartbeats_stay_out_of_the_access_log(hall):
    fl = terminal(hall, "fl-10")
    assert fl.post("/api/v1/heartbeat", beat()).status_code == 200
    assert fl.post("/api/v1/heartbeat", beat(cpu_percent=250)).status_code == 422
    assert fl.get("/api/v1/outlets").status_code == 200
    log = hall.log.read_text(errors="replace")
    assert '"POST /api/v1/heartbeat HTTP/1.1" 422' in log and '"GET /api/v1/outlets HTTP/1.1" 200' in log
    assert '"POST /api/v1/heartbeat HTTP/1.1" 200' not in log


def test_one_heartbeat_the_database_refuses_does_not_fail_the_rest_of_its_batch(tmp_path):
    from hall.db import Database
    from hall.fleet.ingest import REPLAYED, Beat, Ingest
    from hall.fleet.models import Heartbeat

    database = Database(str(tmp_path / "hall.db"))
    ingest = Ingest(database, 90, alert=lambda event: None, on_heartbeats=lambda n: None)
    good = Heartbeat.model_validate(beat())
    poison = good.model_copy(update={"outbox_depth": 2**70})  # past validation: SQLite cannot store it

    async def one_batch():
        loop = asyncio.get_running_loop()
        items = [Beat(f"t-{n}", f"nonce-{n:020d}", poison if n == 2 else good, "green", "", loop,
                      loop.create_future()) for n in range(4)]
        await asyncio.to_thread(ingest._settle, items)  # as the writer thread would, all in one batch
        return await asyncio.gather(*(item.future for item in items), return_exceptions=True)

    outcomes = asyncio.run(one_batch())
    ingest.close()
    assert isinstance(outcomes[2], OverflowError)
    assert [o for n, o in enumerate(outcomes) if n != 2] == [[], [], []] and REPLAYED not in outcomes
    with sqlite3.connect(tmp_path / "hall.db") as db:
        stored = {row[0] for row in db.execute("SELECT terminal_id FROM fleet_snapshots")}
    database.dispose()
    assert stored == {"t-0", "t-1", "t-3"}
