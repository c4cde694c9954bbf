"""kiosk.service: systemd accepts it, and it keeps the promises the README makes."""

import configparser
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

UNIT = Path(__file__).resolve().parent.parent / "kiosk.service"


def _unit():
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str
    parser.read(UNIT, encoding="utf-8")
    return parser


def test_systemd_analyze_verify_passes(tmp_path):
    if not shutil.which("systemd-analyze"):
        pytest.skip("systemd-analyze is not installed")
    kiosk = Path(sys.executable).with_name("kiosk")
    text = UNIT.read_text(encoding="utf-8").replace("/opt/kiosk/.venv/bin/kiosk", str(kiosk))
    unit = tmp_path / "kiosk.service"
    unit.write_text(text, encoding="utf-8")
    result = subprocess.run(["systemd-analyze", "verify", str(unit)], capture_output=True, text=True)
    complaints = [line for line in (result.stdout + result.stderr).splitlines() if "kiosk.service" in line]
    assert result.returncode == 0 and complaints == [], result.stderr


def test_the_unit_restarts_a_frozen_ui_and_is_hardened():
    unit = _unit()
    service = unit["Service"]
    assert service["Type"] == "notify" and service["Restart"] == "always"
    assert int(service["WatchdogSec"]) > 0  # WATCHDOG=1 comes from the Kivy clock
    assert "StartLimitIntervalSec" in unit["Unit"] and "StartLimitBurst" in unit["Unit"]
    assert set(service["SupplementaryGroups"].split()) == {"dialout", "lp", "plugdev"}
    for key, value in {"NoNewPrivileges": "yes", "ProtectSystem": "strict", "ProtectHome": "yes",
                       "PrivateTmp": "yes", "StateDirectory": "kiosk"}.items():
        assert service[key] == value, key
    assert "KIVY_NO_CONFIG=1" in service["Environment"]
