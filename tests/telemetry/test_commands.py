"""Commands queued on the hall's console, carried out by the terminal's handlers, results reported."""

import io
import threading
import time

import pytest
from PIL import Image

from hardware.printer.testpage import selftest_receipt
from kiosk.telemetry import Telemetry, TelemetryError


@pytest.fixture
def printer():
    from hardware.printer import from_url
    device = from_url("sim:")
    device.open()
    yield device
    device.close()


def png_bytes(colour=(20, 120, 200)):
    out = io.BytesIO()
    Image.new("RGB", (108, 192), colour).save(out, "PNG")
    return out.getvalue()


def test_commands_are_carried_out_and_reported(hall, operator, make_telemetry, printer):
    shown, reloads = [], []
    telemetry = make_telemetry(hall.url)
    telemetry.register("print_test", lambda: printer.print_bytes(
        selftest_receipt("测试终端").encode(printer.options)).reason or "printed")
    telemetry.register("message", lambda text, seconds: shown.append((text, seconds)))
    telemetry.register("reload_settings", lambda: reloads.append(1) or "settings reloaded")
    image = png_bytes()
    telemetry.register("screenshot", lambda: image)
    ids = {kind: operator.queue(kind) for kind in ("print_test", "reload_settings", "screenshot")}
    ids["message"] = operator.queue("message", text="今日16:00停机维护", seconds="90")

    assert telemetry.beat() is True
    assert printer.emulator.wait_for_jobs(1, 5.0)
    assert "测试终端" in printer.emulator.jobs[-1].text  # the test page the hall asked for, as printed
    assert shown == [("今日16:00停机维护", 90)] and reloads == [1]
    assert hall.command(ids["print_test"]) == ("done", "printed")
    assert hall.command(ids["message"]) == ("done", "")
    assert hall.command(ids["reload_settings"]) == ("done", "settings reloaded")
    assert hall.command(ids["screenshot"]) == ("done", f"uploaded {len(image)} bytes")
    assert hall.screenshot(ids["screenshot"]) == image
    assert telemetry.command_counts[("print_test", True)] == 1


def test_failures_are_reported_not_raised(hall, operator, make_telemetry):
    release = threading.Event()
    telemetry = make_telemetry(hall.url, handler_timeout=1.0, session_active=lambda: True)

    def broken():
        raise RuntimeError("printer cover open")
    telemetry.register("print_test", broken)
    telemetry.register("reload_settings", lambda: release.wait(30))  # hangs: the UI thread never answered
    telemetry.register("screenshot", lambda: pytest.fail("a screenshot during a resident's session"))
    ids = {kind: operator.queue(kind) for kind in ("print_test", "reload_settings", "screenshot")}
    ids["message"] = operator.queue("message", text="hello", seconds="5")  # no handler registered

    started = time.monotonic()
    assert telemetry.beat() is True
    assert time.monotonic() - started < 10  # the hung handler cost its timeout, not the worker
    release.set()
    assert hall.command(ids["print_test"]) == ("failed", "printer cover open")
    assert hall.command(ids["reload_settings"]) == ("failed", "no answer within 1 s")
    assert hall.command(ids["screenshot"]) == ("failed", "resident session active")
    assert hall.command(ids["message"]) == ("failed", "message is not supported on this terminal")
    assert hall.screenshot(ids["screenshot"]) is None


def test_a_restart_is_reported_by_the_next_start(hall, operator, make_telemetry, tmp_path):
    restarts, message = [], []
    first = make_telemetry(hall.url, state_dir=tmp_path / "state")
    first.register("restart", lambda: restarts.append(1))
    first.register("message", lambda text, seconds: message.append(restarts.copy()))
    restart_id = operator.queue("restart")
    message_id = operator.queue("message", text="before the restart", seconds="5")
    assert first.beat() is True
    assert restarts == [1] and message == [[]]  # the message went first, though it came second
    assert hall.command(restart_id) == ("sent", "")  # not yet: the process would be gone
    assert hall.command(message_id) == ("done", "")

    second = make_telemetry(hall.url, state_dir=tmp_path / "state")  # the app after its restart
    assert second.beat() is True
    assert hall.command(restart_id) == ("done", "restarted")
    assert not (tmp_path / "state" / "telemetry-restart.json").exists()


def test_a_result_waits_for_the_hall_to_come_back(hall, operator, make_telemetry):
    telemetry = make_telemetry(hall.url)
    telemetry.register("print_test", lambda: hall.stop() or "printed while the hall went down")
    command_id = operator.queue("print_test")
    assert telemetry.beat() is True  # the answer came; the result could not be posted
    hall.start()
    assert hall.command(command_id) == ("sent", "")
    assert telemetry.beat() is True
    assert hall.command(command_id) == ("done", "printed while the hall went down")


def test_unknown_handler_kind_is_refused(make_telemetry):
    telemetry = make_telemetry("http://127.0.0.1:9")
    with pytest.raises(TelemetryError, match="unknown command kind 'self_destruct'"):
        telemetry.register("self_destruct", lambda: None)
    assert isinstance(telemetry, Telemetry)


def test_a_restart_without_a_writable_state_dir_is_reported_at_once(hall, operator, make_telemetry, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    telemetry = make_telemetry(hall.url, state_dir=blocker / "state")  # cannot be created
    telemetry.register("restart", lambda: "restart scheduled")
    restart_id = operator.queue("restart")
    assert telemetry.beat() is True
    assert hall.command(restart_id) == ("done", "restart scheduled")


def test_an_unreadable_restart_file_is_dropped(make_telemetry, tmp_path, caplog):
    state = tmp_path / "state"
    state.mkdir()
    (state / "telemetry-restart.json").write_text("{not json")
    telemetry = make_telemetry("http://127.0.0.1:9", state_dir=state)
    assert telemetry._unreported == [] and not (state / "telemetry-restart.json").exists()
    assert "ignoring an unreadable telemetry-restart.json" in caplog.text
