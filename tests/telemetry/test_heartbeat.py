"""Heartbeats to a running `kiosk hall`: the providers' figures arrive, and a hall outage is quiet."""

import logging
import subprocess
import sys
import time

import pytest
from testing.telemetry import TERMINAL, Hall

from hardware.model import Health, Paper, Status
from kiosk.devices import DeviceHub
from kiosk.hall_client import HallClient
from kiosk.outbox import Outbox
from kiosk.store import Store
from kiosk.telemetry import ErrorRing, TransactionCounter, configured_statuses

ID_NUMBER, PHONE = "110101199003071234", "13800138000"  # fictional


@pytest.fixture
def printer():
    from hardware.printer import from_url
    device = from_url("sim:")
    device.open()
    yield device
    device.close()


def test_heartbeat_carries_the_providers_figures(hall, make_telemetry, printer, tmp_path):
    printer.emulator.set_fault("paper-low")
    printer_status = printer.check_health()
    assert printer_status.paper is Paper.LOW  # what the real driver read from the emulator
    store = Store(tmp_path / "terminal.sqlite3")
    outbox = Outbox(store, HallClient(hall.url, *TERMINAL, retries=0))  # never started: items stay queued
    outbox.submit("request", {"type": "咨询", "content": "queued while offline", "phone": PHONE})
    outbox.submit("rating", {"level": 5})
    counter = TransactionCounter()
    counter.count("apply", 3)
    counter.count("guide_print")
    errors = ErrorRing()
    logger = logging.getLogger("kiosk.test_heartbeat")
    logger.addHandler(errors)
    try:
        logger.error("lookup failed for %s", ID_NUMBER)
        logger.info("not an error")
    finally:
        logger.removeHandler(errors)
    telemetry = make_telemetry(
        hall.url, devices=lambda: {"printer": printer.status, "idcard": Status(Health.OK, "ready")},
        outbox=outbox, screen=lambda: "guides", transactions=counter, errors=errors)

    assert telemetry.beat() is True
    data, state, reason = hall.snapshot()
    assert data["devices"] == {"printer": {"health": printer_status.health.value, "reason": printer_status.reason,
                                           "paper": "low"},
                               "idcard": {"health": "ok", "reason": "ready", "paper": None}}
    assert data["outbox_depth"] == 2 and data["outbox_oldest_s"] >= 0
    assert data["transactions_today"] == {"apply": 3, "guide_print": 1}
    assert data["screen"] == "guides"
    assert data["last_errors"] == ["lookup failed for 1101**********1234"]
    assert data["app_version"] and data["uptime_s"] >= 0 and 0 <= data["cpu_percent"] <= 100
    assert data["memory_mb"] > 10 and data["disk_free_mb"] > 0
    assert state == "red" and "app errors" in reason and "paper low" in reason
    assert ID_NUMBER not in hall.log.read_text(errors="replace")
    assert telemetry.interval == 1  # the hall's next_heartbeat_s

    assert telemetry.beat() is True  # the errors went out once; the outbox is still there
    data, state, reason = hall.snapshot()
    assert data["last_errors"] == [] and data["outbox_depth"] == 2
    assert state == "yellow" and "paper low" in reason
    store.close()


def test_a_broken_provider_does_not_stop_the_heartbeat(hall, make_telemetry):
    def broken():
        raise RuntimeError("device hub gone")
    telemetry = make_telemetry(hall.url, devices=broken, screen=lambda: "home")
    assert telemetry.beat() is True
    data, _, _ = hall.snapshot()
    assert data["devices"] == {} and data["screen"] == "home"


def test_hall_down_is_quiet_counted_and_recovers(tmp_path, make_telemetry, caplog):
    hall = Hall(tmp_path / "down")
    (tmp_path / "down").mkdir()
    telemetry = make_telemetry(hall.url, screen=lambda: "home", interval=5)
    caplog.set_level(logging.INFO, logger="kiosk.telemetry")

    assert [telemetry.beat() for _ in range(3)] == [False, False, False]  # nothing listens yet
    assert telemetry.failures == 3 and telemetry.failing == 3 and telemetry.beats == 0
    failed = [r for r in caplog.records if "heartbeat failed" in r.getMessage()]
    assert len(failed) == 1 and failed[0].levelno == logging.WARNING  # once per outage

    hall.start()
    try:
        assert telemetry.beat() is True
        assert telemetry.failing == 0 and telemetry.beats == 1 and telemetry.failures == 3
        assert any("resumed after 3 failed" in r.getMessage() for r in caplog.records)
        assert hall.snapshot()[0]["screen"] == "home"
        hall.stop()
        assert telemetry.beat() is False and telemetry.beat() is False
        failed = [r for r in caplog.records if "heartbeat failed" in r.getMessage()]
        assert len(failed) == 2 and telemetry.failures == 5  # one more line for the second outage
        hall.start()
        assert telemetry.beat() is True and telemetry.failing == 0
    finally:
        hall.stop()


def test_the_worker_thread_heartbeats_on_the_halls_interval(hall, make_telemetry):
    screens = iter(["home", "apply", "guides"] + ["notices"] * 100)
    telemetry = make_telemetry(hall.url, screen=lambda: next(screens), interval=30).start()
    deadline = time.monotonic() + 15
    while telemetry.beats < 3 and time.monotonic() < deadline:  # 30 s asked, 1 s from the hall
        time.sleep(0.1)
    assert telemetry.beats >= 3
    telemetry.stop()
    assert not telemetry._thread.is_alive()


def test_oversized_figures_are_clipped_to_what_the_hall_takes(hall, make_telemetry):
    counter = TransactionCounter()
    for n in range(25):
        counter.count(f"kind{n:02d}", n + 1)
    errors = ErrorRing(size=15)
    for n in range(15):
        errors.emit(logging.makeLogRecord({"msg": f"error {n} " + "x" * 300, "levelno": logging.ERROR}))
    devices = {f"dev{n}": {"health": "strange", "reason": "r" * 300, "paper": "soggy"} for n in range(12)}
    telemetry = make_telemetry(hall.url, devices=lambda: devices, transactions=counter, errors=errors,
                               screen=lambda: "s" * 100)
    assert telemetry.beat() is True  # a 422 here would be a failed heartbeat
    data, _, _ = hall.snapshot()
    assert len(data["transactions_today"]) == 20 and data["transactions_today"]["other"] == sum(range(1, 7))
    assert sum(data["transactions_today"].values()) == sum(range(1, 26))
    assert len(data["devices"]) == 10 and data["devices"]["dev0"] == {"health": "warning", "reason": "r" * 200,
                                                                     "paper": None}
    assert len(data["last_errors"]) == 10 and all(len(e) <= 200 for e in data["last_errors"])
    assert data["screen"] == "s" * 64


def test_a_device_hub_reports_its_configured_devices_only(hall, make_telemetry):
    with DeviceHub({"printer": "sim:", "scanner": "none:"}) as hub:
        assert hub.wait_open(20)
        telemetry = make_telemetry(hall.url, devices=configured_statuses(hub))
        assert telemetry.beat() is True
    data, _, _ = hall.snapshot()
    assert list(data["devices"]) == ["printer"] and data["devices"]["printer"]["paper"] == "ok"


def test_telemetry_does_not_import_kivy():
    code = "import sys, kiosk.telemetry, kiosk.logs; print(sorted(m for m in sys.modules if m.startswith('kivy')))"
    done = subprocess.run([sys.executable, "-c", code], check=False, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stdout.strip() == "[]", done.stderr


def test_an_a4_printer_fault_reaches_the_console(hall, make_telemetry, operator):
    """Out of paper on the A4 printer (a real CUPS queue, the sim: printer's private cupsd): the
    job fails, the hub's health says why, the heartbeat carries it and the console shows it."""
    from hardware.a4 import A4PaperOut
    from kiosk.documents.testpage import self_test_page_pdf
    from kiosk.fonts import find_cjk_font
    fonts = find_cjk_font()
    pdf = self_test_page_pdf("test", fonts.regular, fonts.bold)
    with DeviceHub({"a4": "sim:?timeout=20", "printer": "none:"}) as hub:
        assert hub.wait_open(30)
        hub.device("a4").spooler.set_fault("media-empty")
        with pytest.raises(A4PaperOut):
            hub.call("a4", lambda a4: a4.print_pdf(pdf, "test"), timeout=40)
        telemetry = make_telemetry(hall.url, devices=configured_statuses(hub))
        assert telemetry.beat() is True
    data, state, reason = hall.snapshot()
    assert data["devices"] == {"a4": {"health": "error", "reason": "out of paper", "paper": "empty"}}
    assert state == "red" and "a4 error: out of paper" in reason
    page = operator.http.get(f"{hall.url}/console/terminals/{TERMINAL[0]}", timeout=30).text
    assert "<td>a4</td>" in page and "out of paper" in page
