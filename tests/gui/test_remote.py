"""Telemetry wired into the real app: heartbeats to a running hall, the fleet console's commands
carried out on the terminal (on Kivy's main thread where they need the UI), results reported,
today's transactions counted, the local Prometheus endpoint, and `kiosk run` end to end.

The hall is a real `kiosk hall` (testing.telemetry.Hall) that asks for a
heartbeat every second and has a console operator who queues commands with the console's form.
The app's settings come from a file (so that "reload settings" has something to re-read)."""

from __future__ import annotations

import io
import json
import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
import requests
from PIL import Image
from prometheus_client.parser import text_string_to_metric_families

os.environ.setdefault("SDL_AUDIODRIVER", "dummy")  # voice prompts play into nothing
from testing.gui import assert_readable, find_button, open_tile, press, type_into
from testing.processes import free_port, kiosk_env
from testing.telemetry import TERMINAL, Hall, Operator

from kiosk import __version__, config

pytestmark = pytest.mark.gui
TERMINAL_NAME = "测试大厅 远程终端 07"
PHONE = "13912345678"


@pytest.fixture(scope="module")
def hall(tmp_path_factory):
    server = Hall(tmp_path_factory.mktemp("remote-hall")).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def operator(hall):
    return Operator(hall)


@pytest.fixture(scope="module")
def state_dir(tmp_path_factory, _ime_cache):
    """The state folder of these tests' settings files, with the run's pinyin dictionary linked
    in (conftest builds it once) so that applying the settings builds none."""
    from kiosk import ime
    folder = tmp_path_factory.mktemp("remote-state")
    ime.cache_path(folder).parent.mkdir(parents=True)
    os.link(_ime_cache, ime.cache_path(folder))
    return folder


def settings_text(hall_url: str, metrics_port: int, state_dir: Path, idle_timeout: int = 60,
                  printer: str = "sim:", extra: str = "") -> str:
    return f"""
[terminal]
id = "{TERMINAL[0]}"
secret = "{TERMINAL[1]}"
name = "{TERMINAL_NAME}"

[hall]
url = "{hall_url}"
timeout = 3.0

[ui]
idle_timeout = {idle_timeout}

[devices]
idcard = "sim:"
card = "none:"
printer = "{printer}"
scanner = "sim:"

[paths]
state_dir = "{state_dir}"

[telemetry]
heartbeat_interval = 5
metrics_port = {metrics_port}
{extra}"""


class Online:
    """The app running on settings from `path`, heartbeating to `hall`."""

    def __init__(self, ui, hall, path: Path, port: int, state_dir: Path):
        self.ui, self.hall, self.path, self.metrics_port = ui, hall, path, port
        self.state_dir = state_dir

    def write(self, **options) -> None:
        self.path.write_text(settings_text(self.hall.url, self.metrics_port, self.state_dir, **options),
                             encoding="utf-8")

    @property
    def telemetry(self):
        return self.ui.app.services.telemetry

    def until(self, condition, timeout: float = 30.0, what: str = "condition", every: float = 0.2):
        """Keep the UI running (commands need its thread) until `condition()` is truthy."""
        deadline, last = time.monotonic() + timeout, 0.0
        while time.monotonic() < deadline:
            self.ui.frames(1)
            if time.monotonic() - last >= every:
                last = time.monotonic()
                result = condition()
                if result:
                    return result
        raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")

    def heartbeats(self, n: int = 1, timeout: float = 40.0) -> None:
        telemetry = self.telemetry
        self.until(lambda: telemetry.beats >= n, timeout, f"{n} heartbeat(s) the hall took")

    def finished(self, command_id: int, timeout: float = 30.0) -> tuple[str, str]:
        """The command's (status, detail) in the hall once the terminal reported it."""
        def reported():
            status = self.hall.command(command_id)
            return status if status[0] in ("done", "failed") else None
        return self.until(reported, timeout, f"the result of command {command_id}")

    def snapshot(self, check, timeout: float = 30.0, what: str = "a snapshot"):
        """The hall's latest snapshot of this terminal once `check(snapshot)` holds."""
        def latest():
            snap = self.hall.snapshot()[0]
            return snap if snap and check(snap) else None
        return self.until(latest, timeout, what)

    def scrape(self) -> dict:
        answer = requests.get(f"http://127.0.0.1:{self.metrics_port}/metrics", timeout=5)
        assert answer.status_code == 200
        return {(s.name, tuple(sorted(s.labels.items()))): s.value
                for family in text_string_to_metric_families(answer.text) for s in family.samples}


@pytest.fixture
def online(ui, hall, tmp_path, state_dir):
    state = Online(ui, hall, tmp_path / "kiosk.toml", free_port(), state_dir)
    state.write()
    ui.app.apply_settings(config.load(str(state.path)))
    state.heartbeats(1)
    restart_app = ui.app.admin.restart_app
    yield state
    ui.app.admin.restart_app = restart_app
    if ui.app.remote_message is not None:
        ui.app.remote_message.dismiss(animation=False)
        ui.frames(2)


def test_the_app_heartbeats_with_its_devices_and_serves_metrics_on_localhost(online, operator):
    snap = online.snapshot(lambda s: all(s["devices"].get(k, {}).get("health") == "ok"
                                         for k in ("idcard", "printer", "scanner", "camera")),
                           what="every configured device ok in the hall")
    assert set(snap["devices"]) == {"idcard", "printer", "scanner", "camera"}  # card is none: here
    assert snap["devices"]["printer"]["paper"] == "ok"
    assert snap["app_version"] == __version__ and snap["screen"] == "attract"
    assert snap["memory_mb"] > 0 and snap["disk_free_mb"] > 0 and snap["outbox_depth"] == 0
    page = operator.http.get(f"{online.hall.url}/console/", timeout=30).text
    assert TERMINAL[0] in page

    def scraped():
        figures = online.scrape()
        return figures if figures.get(("kiosk_heartbeats_total", ()), 0) >= 1 else None
    figures = online.until(scraped, what="the metrics endpoint")
    assert figures[("kiosk_info", (("version", __version__),))] == 1
    assert figures[("kiosk_device_health", (("device", "printer"), ("health", "ok")))] == 1
    assert figures[("kiosk_device_paper", (("device", "printer"), ("level", "ok")))] == 1
    assert figures[("kiosk_outbox_depth", ())] == 0
    assert figures[("kiosk_memory_resident_bytes", ())] > 0
    listening = [c.laddr for c in psutil.Process().net_connections("tcp")
                 if c.status == psutil.CONN_LISTEN and c.laddr.port == online.metrics_port]
    assert listening and all(addr.ip == "127.0.0.1" for addr in listening)


def test_a_message_is_shown_on_screen_then_closes_itself(online, operator):
    command_id = operator.queue("message", text="今日16:00停机维护，请到2号窗口办理", seconds="5")
    online.until(lambda: online.ui.app.remote_message is not None, what="the message on screen")
    shown_at = time.monotonic()
    online.ui.frames(3)
    texts = online.ui.texts()
    assert "今日16:00停机维护，请到2号窗口办理" in texts and "服务中心通知" in texts and "知道了" in texts
    assert_readable(online.ui, online.ui.app.remote_message)
    assert online.finished(command_id) == ("done", "shown for 5 s")
    online.until(lambda: online.ui.app.remote_message is None, timeout=15, what="the message to close")
    assert time.monotonic() - shown_at >= 3.5
    assert "今日16:00停机维护，请到2号窗口办理" not in online.ui.texts()


def test_a_screenshot_is_uploaded_as_a_png_but_never_during_a_residents_session(online, operator):
    command_id = operator.queue("screenshot")
    status, detail = online.finished(command_id)
    assert status == "done" and detail.startswith("uploaded ")
    png = online.hall.screenshot(command_id)
    assert png is not None and detail == f"uploaded {len(png)} bytes"
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG" and image.size == (1080, 1920)
    assert len(image.convert("RGB").getcolors(1 << 20)) > 20  # the attract screen, not a black frame

    online.ui.app.session.data["rating_subject"] = {"kind": "request", "ref": "RQ-TEST"}  # a resident
    refused = operator.queue("screenshot")
    assert online.finished(refused) == ("failed", "resident session active")
    assert online.hall.screenshot(refused) is None


def test_print_test_prints_the_test_page(online, operator):
    printer = online.until(lambda: online.ui.app.services.devices.device("printer"), what="the printer")
    before = len(printer.emulator.jobs)
    command_id = operator.queue("print_test")
    assert online.finished(command_id) == ("done", "test receipt printed")
    assert printer.emulator.wait_for_jobs(before + 1, timeout=10)
    job = printer.emulator.jobs[-1]
    assert "打印测试" in job.text and TERMINAL_NAME in job.text


def test_reload_settings_applies_the_changed_file(online, operator, tmp_path):
    app = online.ui.app
    before = app.services
    online.write(idle_timeout=95)
    command_id = operator.queue("reload_settings")
    assert online.finished(command_id) == ("done", "reloaded kiosk.toml: ui.idle_timeout")
    assert app.settings.ui.idle_timeout == 95 and app.services is not before
    online.heartbeats(1)  # the rebuilt services heartbeat again
    assert online.until(lambda: online.scrape().get(("kiosk_heartbeats_total", ()), 0) >= 1,
                        what="the metrics port taken over by the new services")

    again = operator.queue("reload_settings")
    assert online.finished(again) == ("done", "kiosk.toml unchanged")
    online.write(idle_timeout=95, extra="bogus = 1\n")
    bad = operator.queue("reload_settings")
    status, detail = online.finished(bad)
    assert status == "failed" and detail.startswith("not reloaded: kiosk.toml: telemetry.bogus: unknown setting")
    assert app.settings.ui.idle_timeout == 95


def test_restart_leaves_the_app_and_is_reported_by_the_next_start(online, operator):
    app, left = online.ui.app, []
    app.admin.restart_app = lambda: left.append(time.monotonic())  # instead of os._exit
    command_id = operator.queue("restart")
    online.until(lambda: left, what="the app to leave")
    assert online.hall.command(command_id) == ("sent", "")  # not yet: the process would be gone
    app.apply_settings(config.load(str(online.path)))  # what systemd's restart brings up again
    assert online.finished(command_id) == ("done", "restarted")


def test_transactions_are_counted_when_a_submission_is_queued(online):
    ui = online.ui
    before = ui.app.transactions.today()  # the app's counter: other tests in this process count too
    requests_before = before.get("request", 0)
    open_tile(ui, "hotline")
    press(ui, find_button(ui, "咨询"))
    ui.wait(lambda: ui.screen.name == "hotline.form", timeout=10, what="the form")
    type_into(ui, ui.screen.ids.content.ids.input, "请问新生儿落户需要什么材料")
    type_into(ui, ui.screen.ids.phone.ids.input, PHONE)
    press(ui, ui.screen.ids.next)
    ui.wait(lambda: ui.screen.name == "hotline.review", timeout=10, what="review")
    press(ui, ui.screen.ids.submit)
    ui.wait(lambda: ui.screen.name == "hotline.done", timeout=30, what="the ticket")

    counted = before | {"request": requests_before + 1}
    snap = online.snapshot(lambda s: s["transactions_today"] == counted, what="the request counted in the hall")
    assert online.scrape()[("kiosk_transactions_today", (("kind", "request"),))] == requests_before + 1
    assert PHONE not in json.dumps(snap, ensure_ascii=False)
    ui.app.end_session("test done")
    ui.app.apply_settings(config.load(str(online.path)))  # services rebuilt: still counted
    online.heartbeats(1)
    assert online.telemetry.last_snapshot["transactions_today"] == counted


def test_errors_logged_reach_the_hall_masked(online):
    logging.getLogger("kiosk.test_remote").warning("remote test: call back %s about the queue", PHONE)
    snap = online.snapshot(lambda s: any("remote test" in e for e in s["last_errors"]),
                           what="the warning in the heartbeat")
    [line] = [e for e in snap["last_errors"] if "remote test" in e]
    assert "139****5678" in line and PHONE not in line


def stop_process_tree(process: subprocess.Popen) -> None:
    """Stop `kiosk run` and what it started (a pinyin cache build), by their process ids.
    SIGTERM first; the locked-down app may refuse it (SDL turns it into a window close)."""
    try:
        children = psutil.Process(process.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        children = []
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(60)
    for child in children:
        try:
            child.kill()
        except psutil.NoSuchProcess:
            pass


def drive_kiosk_run(app, down: Hall, ready: Path, port: int, tmp_path: Path) -> int:
    def running():
        assert app.poll() is None, (tmp_path / "stderr.log").read_text(errors="replace")[-3000:]

    deadline = time.monotonic() + 90
    while not ready.exists() or "catalogue not refreshed" not in (tmp_path / "stdout.log").read_text():
        running()
        assert time.monotonic() < deadline, "kiosk run showed no first frame, or logged no warning"
        time.sleep(0.2)
    down.start()  # only now: the catalogue refresh at start has failed and logged a warning
    operator = Operator(down)
    deadline = time.monotonic() + 60
    while down.snapshot()[0] is None:
        running()
        assert time.monotonic() < deadline, "no heartbeat from kiosk run"
        time.sleep(0.3)
    snap, state, reason = down.snapshot()
    assert any("catalogue not refreshed" in e for e in snap["last_errors"]), snap["last_errors"]
    assert state == "red" and "app errors" in reason
    command_id = operator.queue("message", text="远程消息", seconds="5")
    deadline = time.monotonic() + 30
    while down.command(command_id)[0] not in ("done", "failed"):
        running()
        assert time.monotonic() < deadline, "the message command was not carried out"
        time.sleep(0.3)
    assert down.command(command_id) == ("done", "shown for 5 s")
    figures = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
    assert "kiosk_heartbeats_total" in figures
    return command_id


def test_kiosk_run_heartbeats_logs_json_and_reports_errors(tmp_path, state_dir):
    """`kiosk run` itself: the hall is down at first (a warning, kept in the error ring), then up;
    the heartbeat carries the warning, a message is carried out, logs are JSON lines on stdout."""
    (tmp_path / "late-hall").mkdir()
    down = Hall(tmp_path / "late-hall")
    port = free_port()
    path = tmp_path / "kiosk.toml"
    path.write_text(settings_text(down.url, port, state_dir, printer="none:").replace(
        'idcard = "sim:"', 'idcard = "none:"').replace('scanner = "sim:"', 'scanner = "none:"'),
        encoding="utf-8")
    ready = tmp_path / "ready.json"
    with open(tmp_path / "stdout.log", "w") as out, open(tmp_path / "stderr.log", "w") as err:
        app = subprocess.Popen([sys.executable, "-m", "kiosk.cli", "run", "--config", str(path)],
                               env=kiosk_env(SDL_VIDEODRIVER="offscreen", SDL_AUDIODRIVER="dummy",
                                             KIOSK_LOG_LEVEL="INFO", KIOSK_READY_FILE=str(ready)),
                               stdout=out, stderr=err)
        try:
            command_id = drive_kiosk_run(app, down, ready, port, tmp_path)
        finally:
            stop_process_tree(app)
            down.stop()
    lines = [line for line in (tmp_path / "stdout.log").read_text().splitlines() if line.strip()]
    records = [json.loads(line) for line in lines]  # every line is one JSON object
    assert any(r["logger"] == "kiosk.services" and r["level"] == "WARNING"
               and "catalogue not refreshed" in r["message"] for r in records)
    assert any(r["logger"] == "kiosk.telemetry" and f"command {command_id} message: ok" in r["message"]
               for r in records)
