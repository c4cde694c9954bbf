"""Admin mode without the GUI: PIN hash and lockout, admin cards, audit lines, the settings writer."""

import json
import os
import signal
import stat
import subprocess
import sys
import textwrap
import threading
import time
import tomllib

import pytest

from kiosk import admin, config
from kiosk.errors import ConfigError
from testing.processes import run_kiosk


class FakeClock:
    """Wall-clock stand-in so a test can step over the five-minute lock without waiting."""

    def __init__(self):
        self.now = 1_800_000_000.0

    def __call__(self):
        return self.now


@pytest.fixture
def pins(tmp_path):
    store = admin.PinStore(tmp_path / "state" / "admin-pin.json", clock=FakeClock())
    store.set_pin("246810")
    return store


# -- PIN ------------------------------------------------------------------------------------

def test_the_pin_is_stored_as_a_salted_scrypt_hash_in_a_private_file(pins):
    record = json.loads(pins.pin_file.read_text())
    assert record["scheme"] == "scrypt" and record["n"] >= 2**14 and len(record["salt"]) == 32
    assert "246810" not in pins.pin_file.read_text()
    assert stat.S_IMODE(pins.pin_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(pins.lock_file.stat().st_mode) == 0o600
    other = admin.hash_pin("246810")
    assert other["salt"] != record["salt"] and other["hash"] != record["hash"]  # salted
    assert admin.pin_matches("246810", record) and not admin.pin_matches("246811", record)


@pytest.mark.parametrize("bad", ["123", "1234567890123", "12a4", "", " 1234", "１２３４"])
def test_a_pin_that_is_not_4_to_12_digits_is_refused(tmp_path, bad):
    store = admin.PinStore(tmp_path / "pin.json")
    with pytest.raises(admin.BadPin, match="4 to 12 digits"):
        store.set_pin(bad)
    assert not store.pin_file.exists()


def test_right_pin_opens_wrong_pin_counts_down(pins):
    assert pins.check("246810").ok
    results = [pins.check("000000") for _ in range(4)]
    assert [r.tries_left for r in results] == [4, 3, 2, 1]
    assert not any(r.ok for r in results)
    assert pins.check("246810").ok  # a right PIN before the fifth wrong one resets the count
    assert pins.check("000000").tries_left == 4


def test_five_wrong_tries_lock_for_five_minutes_even_for_the_right_pin(pins):
    for _ in range(4):
        pins.check("999999")
    fifth = pins.check("999999")
    assert not fifth.ok and fifth.locked_for == 300 and fifth.minutes_left == 5
    pins.clock.now += 100
    locked = pins.check("246810")
    assert not locked.ok and locked.locked_for == 200 and locked.minutes_left == 4
    pins.clock.now += 201
    assert pins.check("246810").ok  # the lock ran out


def test_a_run_out_lock_gives_five_fresh_tries(pins):
    for _ in range(5):
        pins.check("111111")
    pins.clock.now += 301
    assert pins.check("111111").tries_left == 4


def test_the_lock_survives_a_new_process(tmp_path):
    pin_file = tmp_path / "admin-pin.json"
    admin.PinStore(pin_file).set_pin("1357")
    script = textwrap.dedent(f"""
        import json, sys
        from kiosk.admin import PinStore
        a = PinStore({str(pin_file)!r}).check(sys.argv[1])
        print(json.dumps([a.ok, a.tries_left, a.locked_for]))
    """)

    def attempt(pin):  # every try in its own process: nothing is remembered in memory
        done = subprocess.run([sys.executable, "-c", script, pin], capture_output=True, text=True,
                              timeout=60, check=True)
        return json.loads(done.stdout)

    assert [attempt("0000")[1] for _ in range(4)] == [4, 3, 2, 1]
    ok, _, locked_for = attempt("0000")
    assert not ok and 299 < locked_for <= 300
    ok, tries, locked_for = attempt("1357")  # a "restart" and the right PIN: still locked
    assert not ok and tries == 0 and 290 < locked_for < 300


def test_a_damaged_lock_file_locks_rather_than_opens(pins):
    pins.lock_file.write_text('{"failures": "many", "locked_until": "soon"}')
    assert pins.check("246810").locked_for > 0


def test_no_pin_set_is_a_plain_error(tmp_path):
    with pytest.raises(admin.NoPin, match="kiosk admin set-pin"):
        admin.PinStore(tmp_path / "none.json").check("1234")


def test_set_pin_command_reads_it_twice_from_stdin(tmp_path):
    state = tmp_path / "cli-state"
    done = subprocess.run([sys.executable, "-m", "kiosk.cli", "admin", "set-pin", "--stdin"],
                          input="482913\n482913\n", capture_output=True, text=True, timeout=60,
                          env={**os.environ, "KIOSK_STATE_DIR": str(state)})
    assert done.returncode == 0, done.stderr
    assert admin.PinStore(state / "admin-pin.json").check("482913").ok
    assert "482913" not in done.stdout + done.stderr
    entries = admin.AuditLog(state / "admin-audit.jsonl").entries()
    assert entries[-1]["action"] == "pin set"


@pytest.mark.parametrize("given, message", [("1234\n4321\n", "the two PINs differ"),
                                            ("12\n12\n", "4 to 12 digits")])
def test_set_pin_command_refuses_a_mismatch_or_a_bad_pin(tmp_path, given, message):
    state = tmp_path / "cli-state"
    done = subprocess.run([sys.executable, "-m", "kiosk.cli", "admin", "set-pin", "--stdin"],
                          input=given, capture_output=True, text=True, timeout=60,
                          env={**os.environ, "KIOSK_STATE_DIR": str(state)})
    assert done.returncode == 1 and message in done.stderr and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert not (state / "admin-pin.json").exists()


# -- admin cards and audit -------------------------------------------------------------------

def test_only_cards_on_the_allow_list_open_admin_mode():
    s = config.from_dict({"admin": {"card_uids": ["04A224B2C95E80"]}})
    assert admin.card_allowed(s, "04a224b2c95e80") and admin.card_allowed(s, "04A224B2C95E80")
    assert not admin.card_allowed(s, "04A224B2C95E81") and not admin.card_allowed(s, "")
    assert not admin.card_allowed(config.Settings(), "04A224B2C95E80")  # empty list: no card opens


def test_audit_lines_are_json_with_time_and_action(tmp_path, caplog):
    audit = admin.AuditLog(tmp_path / "admin-audit.jsonl")
    with caplog.at_level("INFO", logger="kiosk.admin"):
        audit.record("login", via="pin")
        audit.record("settings changed", keys=["terminal.secret", "ui.idle_timeout"])
    assert audit.flush()
    lines = (tmp_path / "admin-audit.jsonl").read_text().splitlines()
    first, second = map(json.loads, lines)
    assert first["action"] == "login" and first["via"] == "pin" and "T" in first["time"]
    assert second["keys"] == ["terminal.secret", "ui.idle_timeout"]
    assert [r.admin_action for r in caplog.records] == ["login", "settings changed"]
    assert stat.S_IMODE((tmp_path / "admin-audit.jsonl").stat().st_mode) == 0o600


def test_recording_does_not_wait_for_the_disk_and_a_clean_stop_loses_nothing(tmp_path, monkeypatch):
    audit = admin.AuditLog(tmp_path / "admin-audit.jsonl")
    real_fsync, in_fsync, go_on = admin.os.fsync, threading.Event(), threading.Event()

    def slow_disk(fd):
        in_fsync.set()
        assert go_on.wait(30)
        real_fsync(fd)
    monkeypatch.setattr(admin.os, "fsync", slow_disk)
    audit.record("login", via="pin")  # returns while its line is still on the way to the disk
    assert in_fsync.wait(10)
    for n in range(20):
        audit.record("self-test", test=f"t{n}")
    assert not audit.flush(0.1)  # the writer is still held in fsync
    go_on.set()
    assert admin.flush_audit_logs()  # what the app does on stop
    lines = [json.loads(line) for line in (tmp_path / "admin-audit.jsonl").read_text().splitlines()]
    assert [e.get("test") for e in lines] == [None] + [f"t{n}" for n in range(20)]  # all, in order


def test_one_audit_log_per_state_directory(tmp_path):
    settings = config.from_dict({"paths": {"state_dir": str(tmp_path)}})
    assert admin.AuditLog.for_settings(settings) is admin.AuditLog.for_settings(settings)


# -- settings ----------------------------------------------------------------------------------

@pytest.fixture
def settings_file(write_config):
    return write_config('[terminal]\nid = "qs-lobby-03"\nsecret = "old-secret-1"\n[ui]\nidle_timeout = 90\n')


def test_edits_are_saved_atomically_and_load_back(settings_file):
    s = config.load(str(settings_file))
    new = admin.with_edits(s, {"ui.idle_timeout": 45, "hall.url": "http://10.0.0.5:8000",
                               "ui.services": ["guides", "progress"]})
    assert admin.changed_keys(s, new) == ["hall.url", "ui.idle_timeout", "ui.services"]
    admin.save_settings(settings_file, new)
    back = config.load(str(settings_file))
    assert back.ui.idle_timeout == 45 and back.hall.url == "http://10.0.0.5:8000"
    assert back.terminal.id == "qs-lobby-03" and back.ui.services == ["guides", "progress"]
    assert [p.name for p in settings_file.parent.iterdir() if p.name.endswith(".tmp")] == []


@pytest.mark.parametrize("edit, message", [
    ({"ui.idle_timeout": "abc"}, 'ui.idle_timeout: must be a whole number (got "abc")'),
    ({"ui.idle_timeout": 5}, "ui.idle_timeout: must be a whole number from 10 to 3600 (got 5)"),
    ({"hall.url": "ftp://x"}, "hall.url: must be \"embedded\" or an http:// or https:// URL"),
    ({"devices.printer": "lpt1"}, "devices.printer: must be a device URL"),
    ({"ui.languages": ["en"]}, 'ui.language: "zh" is not in ui.languages'),
    ({"ui.colour": "red"}, "ui.colour: unknown setting"),
])
def test_a_bad_value_is_refused_and_the_file_is_untouched(settings_file, edit, message):
    before = settings_file.read_bytes()
    with pytest.raises(ConfigError) as err:
        admin.save_settings(settings_file, admin.with_edits(config.load(str(settings_file)), edit))
    assert message in str(err.value) and "\n" not in str(err.value)
    assert settings_file.read_bytes() == before


def test_a_value_toml_cannot_carry_is_refused_before_writing(settings_file):
    before = settings_file.read_bytes()
    s = config.load(str(settings_file))
    # dataclasses.replace skips validation: save_settings must check on its own
    bad = s.replace(ui=__import__("dataclasses").replace(s.ui, idle_timeout=2))
    with pytest.raises(ConfigError, match="ui.idle_timeout"):
        admin.save_settings(settings_file, bad)
    assert settings_file.read_bytes() == before


def test_a_failure_before_the_replace_leaves_the_old_file_and_no_temp(settings_file, monkeypatch):
    before = settings_file.read_bytes()
    new = admin.with_edits(config.load(str(settings_file)), {"ui.idle_timeout": 30})

    def disk_full(*_args):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(admin.os, "replace", disk_full)
    with pytest.raises(admin.SettingsWriteError, match="No space left on device.*nothing was changed"):
        admin.save_settings(settings_file, new)
    assert settings_file.read_bytes() == before
    assert not any(p.name.endswith(".tmp") for p in settings_file.parent.iterdir())


def test_a_writer_killed_mid_write_leaves_the_old_file_intact(settings_file):
    before = settings_file.read_bytes()
    # The writer stops (sleeps) inside its fsync of the temp file, i.e. after writing the new
    # text and before the rename; then it is killed there.
    script = textwrap.dedent(f"""
        import os, sys, time
        from kiosk import admin, config
        s = admin.with_edits(config.load({str(settings_file)!r}), {{"ui.idle_timeout": 33}})
        def stuck(fd):
            print("writing", flush=True)
            time.sleep(60)
        admin.os.fsync = stuck
        admin.save_settings({str(settings_file)!r}, s)
    """)
    writer = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        assert writer.stdout.readline().strip() == "writing"
        temps = [p for p in settings_file.parent.iterdir() if p.name.endswith(".tmp")]
        assert temps and b"idle_timeout = 33" in temps[0].read_bytes()  # the new text was there
    finally:
        os.kill(writer.pid, signal.SIGKILL)
        writer.wait(10)
    assert settings_file.read_bytes() == before
    assert config.load(str(settings_file)).ui.idle_timeout == 90


def test_concurrent_readers_never_see_a_partial_file(settings_file):
    base = config.load(str(settings_file))
    versions = [admin.with_edits(base, {"ui.idle_timeout": 10 + i, "terminal.name": "终端" * (1 + i % 29)})
                for i in range(40)]
    seen, problems, stop = set(), [], threading.Event()

    def read():
        while not stop.is_set():
            try:
                seen.add(tomllib.loads(settings_file.read_text(encoding="utf-8"))["ui"]["idle_timeout"])
            except Exception as e:  # a partial file would fail to parse or lack a key
                problems.append(repr(e))

    readers = [threading.Thread(target=read) for _ in range(2)]
    for r in readers:
        r.start()
    try:
        for v in versions:
            admin.save_settings(settings_file, v)
    finally:
        stop.set()
        for r in readers:
            r.join()
    assert problems == []
    assert seen <= {90} | {10 + i for i in range(40)} and len(seen) > 1


def test_an_unwritable_place_is_one_plain_error(tmp_path):
    (tmp_path / "a-file").write_text("")
    with pytest.raises(admin.SettingsWriteError, match="cannot write the settings file"):
        admin.save_settings(tmp_path / "a-file" / "kiosk.toml", config.Settings())


def test_settings_path_is_known_only_for_a_loaded_file(settings_file):
    assert admin.settings_path(config.load(str(settings_file))) == settings_file.absolute()
    assert admin.settings_path(config.Settings()) is None


def test_recent_logs_are_masked(caplog):
    recent = admin.recent_logs()
    logger = __import__("logging").getLogger("kiosk.test_admin")
    logger.setLevel("INFO")
    logger.info("card read for 11010519491231002X phone 13800138000")
    mine = [line for line in recent.lines() if "kiosk.test_admin" in line]  # other threads log too
    assert mine and "11010519491231002X" not in mine[-1] and "13800138000" not in mine[-1]
    assert "1101**********002X" in mine[-1] and "138****8000" in mine[-1]


def test_admin_command_help_lists_set_pin():
    done = run_kiosk("admin", "--help")
    assert done.returncode == 0 and "set-pin" in done.stdout
