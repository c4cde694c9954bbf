"""`kiosk devices` and `kiosk selftest` as subprocesses, with real emulators and a real hall."""

import json
import socket

import pytest
from testing.processes import run_kiosk

SIM = '[devices]\nidcard = "sim:"\ncard = "sim:"\nprinter = "sim:"\nscanner = "sim:"\ncamera = "sim:"\na4 = "sim:"\n'


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # nothing listens there once the socket is closed


def config(write_config, devices=SIM, hall='url = "embedded"', extra=""):
    return str(write_config(f"{devices}\n[hall]\n{hall}\ntimeout = 3\n{extra}"))


def assert_private(proc, seed_numbers):
    out = proc.stdout + proc.stderr
    for number in seed_numbers:
        assert number not in out, "an unmasked ID / social security number was printed"
    assert "Traceback" not in out


# kiosk devices ------------------------------------------------------------------------

def test_devices_json_all_sim_is_ok(pcscd_service, write_config):
    proc = run_kiosk("--config", config(write_config), "devices", "--json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["ok"] is True
    assert sorted(data["devices"]) == ["a4", "camera", "card", "idcard", "printer", "scanner"]
    for kind, d in data["devices"].items():
        assert d["health"] == "ok", (kind, d)
        assert d["url"] == "sim:" and isinstance(d["counters"], dict)
    assert data["devices"]["printer"]["paper"] == "ok"
    assert data["devices"]["a4"]["reason"] == "ready"  # a real CUPS queue (a private cupsd)


def test_devices_paper_out_printer_fails(paper_out_printer, write_config):
    devices = (f'[devices]\nidcard = "none:"\ncard = "none:"\nprinter = "{paper_out_printer.url}"\n'
               'scanner = "sim:"\ncamera = "none:"\n')
    path = config(write_config, devices)
    proc = run_kiosk("--config", path, "devices", "--json")
    assert proc.returncode == 1, proc.stderr
    printer = json.loads(proc.stdout)["devices"]["printer"]
    assert (printer["health"], printer["reason"], printer["paper"]) == ("error", "out of paper", "empty")

    text = run_kiosk("--config", path, "devices")
    assert text.returncode == 1
    lines = {line.split()[0]: line for line in text.stdout.splitlines()}
    assert set(lines) == {"idcard", "card", "printer", "scanner", "camera", "a4"}
    assert "out of paper" in lines["printer"] and "paper: empty" in lines["printer"]
    assert lines["idcard"].split()[1] == "absent" and "not configured" in lines["idcard"]
    assert lines["scanner"].split()[1] == "ok"

    paper_out_printer.clear_faults()  # the same printer with paper: everything configured is fine
    proc = run_kiosk("--config", path, "devices", "--json")
    assert json.loads(proc.stdout)["devices"]["printer"]["health"] == "ok"
    assert proc.returncode == 1  # but the none: devices still count as absent


def test_devices_bad_urls_are_lines_not_tracebacks(write_config):
    devices = ('[devices]\nidcard = "serial:///dev/does-not-exist"\ncard = "none:"\n'
               f'printer = "tcp://127.0.0.1:{closed_port()}"\nscanner = "serial:///dev/does-not-exist"\n'
               'camera = "v4l2:///dev/does-not-exist"\n')
    proc = run_kiosk("--config", config(write_config, devices), "devices", "--json")
    assert proc.returncode == 1
    assert proc.stderr == ""
    d = json.loads(proc.stdout)["devices"]
    assert d["idcard"]["health"] == "offline" and "no ID card reader at /dev/does-not-exist" in d["idcard"]["reason"]
    assert d["printer"]["health"] == "offline" and "cannot reach the printer" in d["printer"]["reason"]
    assert d["scanner"]["health"] == "offline"
    assert d["camera"]["health"] == "offline" and "no camera at /dev/does-not-exist" in d["camera"]["reason"]
    assert d["card"] == {**d["card"], "health": "absent", "reason": "not configured"}


def test_devices_bad_config_is_one_line(write_config):
    path = write_config('[devices]\nprinter = "lpt:1"\n')
    proc = run_kiosk("--config", str(path), "devices")
    assert proc.returncode == 3
    assert proc.stderr.strip().startswith("kiosk devices: kiosk.toml: devices.printer:")
    assert len(proc.stderr.strip().splitlines()) == 1


# kiosk selftest -----------------------------------------------------------------------

def checks_of(proc):
    data = json.loads(proc.stdout)
    return data, {(c["subject"], c["what"]): c for c in data["checks"]}


def test_selftest_sim_devices_read_print_and_mask(pcscd_service, write_config, seed_numbers):
    # the embedded hall is asked for at its fixed port; when no demo runs it is "not running"
    proc = run_kiosk("--config", config(write_config), "selftest")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert_private(proc, seed_numbers)
    lines = proc.stdout.splitlines()
    for subject, what in [("idcard", "health"), ("idcard", "read"), ("card", "health"), ("card", "read"),
                          ("printer", "health"), ("printer", "print"), ("scanner", "health"),
                          ("camera", "health"), ("camera", "capture"), ("a4", "health"), ("a4", "print")]:
        assert any(line.split()[:3] == ["ok", subject, what + ":"] for line in lines), (subject, what, lines)
    a4 = next(line for line in lines if line.split()[1:3] == ["a4", "print:"])
    assert "completed" in a4  # the test page went through the sim: printer's CUPS queue
    read = next(line for line in lines if line.split()[1:3] == ["idcard", "read:"])
    assert "ID number 4301**********5518" in read  # the first demo card, masked 4 + 4
    hall = next(line for line in lines if line.split()[1] == "hall")
    assert hall.split()[0] in ("ok", "warning")


def test_selftest_masks_by_the_privacy_settings(pcscd_service, write_config, seed_numbers):
    privacy = "[privacy]\nid_show_head = 2\nid_show_tail = 1\n"
    proc = run_kiosk("--config", config(write_config, SIM, extra=privacy), "selftest", "--json")
    assert_private(proc, seed_numbers)
    _, checks = checks_of(proc)
    assert checks[("idcard", "read")]["reason"].endswith("ID number 43" + "*" * 15 + "8")
    assert checks[("card", "read")]["result"] == "ok"


def test_selftest_fails_on_paper_out_without_printing(paper_out_printer, write_config, seed_numbers):
    devices = (f'[devices]\nidcard = "sim:"\ncard = "none:"\nprinter = "{paper_out_printer.url}"\n'
               'scanner = "sim:"\n')
    proc = run_kiosk("--config", config(write_config, devices), "selftest")
    assert proc.returncode == 1
    assert_private(proc, seed_numbers)
    printer = [line for line in proc.stdout.splitlines() if line.split()[1] == "printer"]
    assert len(printer) == 1 and printer[0].startswith("FAIL") and "out of paper" in printer[0]
    assert any(line.startswith("warning") and " card " in line and "not configured" in line
               for line in proc.stdout.splitlines())
    assert paper_out_printer.jobs == []


def test_selftest_prints_the_test_receipt(paper_out_printer, write_config):
    paper_out_printer.clear_faults()
    paper_out_printer.set_fault("paper-low")
    devices = (f'[devices]\nidcard = "none:"\ncard = "none:"\nprinter = "{paper_out_printer.url}"\n'
               'scanner = "none:"\n')
    proc = run_kiosk("--config", config(write_config, devices), "selftest", "--json")
    assert proc.returncode == 0, proc.stdout
    _, checks = checks_of(proc)
    assert checks[("printer", "health")]["result"] == "warning"
    assert checks[("printer", "print")]["result"] == "warning"
    assert "paper low" in checks[("printer", "print")]["reason"]
    assert paper_out_printer.wait_for_jobs(1, 5)
    text = "\n".join(line.text for line in paper_out_printer.jobs[0].lines)
    assert "打印测试" in text


NO_DEVICES = '[devices]\nidcard = "none:"\ncard = "none:"\nprinter = "none:"\nscanner = "none:"\n'


def hall_config(write_config, hall, secret):
    terminal = f'[terminal]\nid = "{hall["terminal_id"]}"\nsecret = "{secret}"\n'
    return config(write_config, NO_DEVICES, f'url = "{hall["url"]}"', terminal)


def test_selftest_against_a_running_hall(running_hall, write_config):
    proc = run_kiosk("--config", hall_config(write_config, running_hall, running_hall["secret"]),
                     "selftest", "--json")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    _, checks = checks_of(proc)
    assert checks[("hall", "health")]["result"] == "ok"
    signed = checks[("hall", "signed request")]
    assert signed["result"] == "ok" and running_hall["terminal_id"] in signed["reason"]
    assert "catalog:" in signed["reason"] and "? items" not in signed["reason"]


def test_selftest_hall_wrong_secret_fails(running_hall, write_config):
    proc = run_kiosk("--config", hall_config(write_config, running_hall, "not-the-right-secret"), "selftest")
    assert proc.returncode == 1
    lines = [line for line in proc.stdout.splitlines() if line.split()[1] == "hall"]
    assert lines[0].startswith("ok") and "health" in lines[0]
    assert lines[1].startswith("FAIL") and "signed request" in lines[1] and "401" in lines[1]
    assert "terminal.secret" in lines[1]


@pytest.mark.parametrize("url, result", [("embedded", None), ("http://127.0.0.1:{port}", "FAIL")])
def test_selftest_hall_down(url, result, write_config):
    port = closed_port()
    proc = run_kiosk("--config", config(write_config, NO_DEVICES, f'url = "{url.format(port=port)}"'),
                     "selftest", "--json")
    _, checks = checks_of(proc)
    hall = checks[("hall", "health")]
    if result == "FAIL":
        assert proc.returncode == 1
        assert hall["result"] == "FAIL" and "cannot reach the online hall" in hall["reason"]
    elif hall["result"] == "warning":  # nothing on the embedded port (no demo running here)
        assert proc.returncode == 0
        assert "not running" in hall["reason"] and "kiosk demo starts it" in hall["reason"]
    assert ("hall", "signed request") not in checks or hall["result"] == "ok"
