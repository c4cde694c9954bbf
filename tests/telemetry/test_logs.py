"""Structured logs: JSON lines that parse, and the privacy mask as the last line of defence."""

import io
import json
import logging
import subprocess
import sys
from datetime import date

import pytest
from testing.processes import kiosk_env

from kiosk import logs
from kiosk.telemetry import ErrorRing, TelemetryError, TransactionCounter

ID_NUMBER, OLD_ID, PHONE = "11010119900307123X", "110101900307123", "13800138000"  # fictional


@pytest.fixture
def json_log():
    """The root logger set up as `kiosk run` does, into a buffer; put back afterwards."""
    root = logging.getLogger()
    saved, level = root.handlers[:], root.level
    root.handlers[:] = []
    buffer = io.StringIO()
    assert logs.setup("INFO", buffer, "json") is not None
    yield buffer
    root.handlers[:] = saved
    root.setLevel(level)


def lines(buffer):
    return [json.loads(line) for line in buffer.getvalue().splitlines()]


def test_json_lines_parse_with_time_level_logger_message_and_extras(json_log):
    buffer = json_log
    logging.getLogger("kiosk.app").info("screen %s shown", "guides", extra={"screen": "guides", "ms": 41})
    logging.getLogger("kiosk.app").debug("below the level")
    [entry] = lines(buffer)
    assert entry["level"] == "INFO" and entry["logger"] == "kiosk.app"
    assert entry["message"] == "screen guides shown" and entry["screen"] == "guides" and entry["ms"] == 41
    assert entry["time"][:4].isdigit() and ("+" in entry["time"][19:] or "-" in entry["time"][19:])


def test_the_filter_masks_id_numbers_and_phones_everywhere(json_log):
    buffer = json_log
    log = logging.getLogger("kiosk.careless")
    log.warning("resident %s called from %s", ID_NUMBER, PHONE)
    log.warning(f"old card {OLD_ID}, phone +86 138-0013-8000, 电话{PHONE}")
    log.info("lookup", extra={"id_number": ID_NUMBER})
    try:
        raise ValueError(f"bad id {ID_NUMBER}")
    except ValueError:
        log.exception("failed for %s", PHONE)
    text = buffer.getvalue()
    for secret in (ID_NUMBER, OLD_ID, PHONE, "138-0013-8000"):
        assert secret not in text
    first, second, extra, failed = lines(buffer)
    assert first["message"] == "resident 1101**********123X called from 138****8000"
    assert second["message"] == "old card 1101*******7123, phone 138****8000, 电话138****8000"
    assert extra["id_number"] == "1101**********123X"
    assert failed["message"] == "failed for 138****8000" and "bad id 1101**********123X" in failed["exception"]


def test_what_is_not_personal_is_left_alone():
    text = "job 42 took 1764000000123 ms; key 9f86d081884c7d65; 12345 hotline; v0.1.0"
    assert logs.mask(text) == text


def test_text_format_and_the_choice_of_format(monkeypatch):
    buffer = io.StringIO()
    monkeypatch.delenv("KIOSK_LOG_FORMAT", raising=False)
    assert logs.chosen_format(buffer) == "json"  # not a terminal: journald
    assert logs.chosen_format(buffer, default="text") == "text"
    monkeypatch.setenv("KIOSK_LOG_FORMAT", "text")
    assert logs.chosen_format(buffer) == "text"
    monkeypatch.setenv("KIOSK_LOG_FORMAT", "yaml")  # unknown: the default rule
    assert logs.chosen_format(buffer) == "json"


def test_the_terminal_commands_log_json_lines_to_stdout():
    """cli.main as `kiosk run` uses it (with print-test standing in for the Kivy app)."""
    code = ("import sys; from kiosk import cli; cli.LOGS_TO_STDOUT = ('print-test',); "
            "sys.exit(cli.main(['print-test', '--printer', 'sim:']))")
    done = subprocess.run([sys.executable, "-c", code], check=False, capture_output=True, text=True, timeout=60,
                          env=kiosk_env(KIOSK_LOG_LEVEL="INFO"))
    assert done.returncode == 0, done.stderr
    entries = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    assert entries and all({"time", "level", "logger", "message"} <= set(e) for e in entries)
    assert "printed a test receipt" in done.stdout and done.stderr == ""


def test_error_ring_keeps_masked_warnings_until_sent():
    ring = ErrorRing(size=3)
    log = logging.getLogger("kiosk.ring_test")
    log.addHandler(ring)
    log.propagate = False
    try:
        log.info("not kept")
        log.warning("card %s refused", ID_NUMBER)
        logging.getLogger("kiosk.telemetry").addHandler(ring)
        logging.getLogger("kiosk.telemetry").warning("heartbeat failed")  # the worker's own: not kept
        logging.getLogger("kiosk.telemetry").removeHandler(ring)
        marker, pending = ring.pending()
        assert pending == ["card 1101**********123X refused"]
        log.error("x" * 500)
        ring.sent(marker)
        assert ring.pending()[1] == ["x" * 200]  # the one after the marker stays, clipped
        for n in range(5):
            log.error("error %d", n)
        assert ring.pending()[1] == ["error 2", "error 3", "error 4"]  # a ring: the last ones
    finally:
        log.removeHandler(ring)
        log.propagate = True


def test_transactions_are_counted_per_local_day():
    day = [date(2026, 11, 23)]
    counter = TransactionCounter(today=lambda: day[0])
    counter.count("apply")
    counter.count("apply", 2)
    counter.count("guide_print")
    assert counter.today() == {"apply": 3, "guide_print": 1}
    day[0] = date(2026, 11, 24)  # past midnight
    assert counter.today() == {}
    counter.count("rating")
    assert counter.today() == {"rating": 1}
    for bad, n in (("", 1), ("k" * 33, 1), (None, 1), ("apply", 0), ("apply", 1.5)):
        with pytest.raises(TelemetryError):
            counter.count(bad, n)
    assert counter.today() == {"rating": 1}
