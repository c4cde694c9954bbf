"""The command line: every subcommand listed, one clear line and a non-zero exit on errors."""

import subprocess
import sys

import pytest

from kiosk import cli
from testing.processes import run_kiosk


def test_help_lists_every_subcommand_of_the_architecture(capsys):
    with pytest.raises(SystemExit) as exited:
        cli.main(["--help"])
    assert exited.value.code == 0
    out = capsys.readouterr().out
    for name in ["run", "demo", "screenshot", "devices", "read-id", "read-card", "print-test",
                 "scan", "emulate", "hall", "selftest", "catalog"]:
        assert f"    {name}" in out


def test_a_bad_settings_file_is_one_line_and_no_traceback(write_config):
    path = write_config('[ui]\nidle_timeout = "soon"\n')
    result = run_kiosk("--config", str(path), "screenshot", "home", "--out", "/tmp/x.png")
    assert result.returncode == 3
    assert result.stderr.strip() == (
        'kiosk screenshot: kiosk.toml: ui.idle_timeout: must be a whole number (got "soon")')


def test_unknown_screen_and_bad_size_are_plain_errors():
    result = run_kiosk("screenshot", "nowhere", "--out", "/tmp/x.png")
    assert result.returncode == 1 and "unknown screen 'nowhere'" in result.stderr
    assert "Traceback" not in result.stderr
    result = run_kiosk("screenshot", "home", "--out", "/tmp/x.png", "--size", "huge")
    assert result.returncode == 3 and "--size: must be WIDTHxHEIGHT" in result.stderr


def test_screenshot_list_names_the_screens():
    result = run_kiosk("screenshot", "--list")
    assert result.returncode == 0
    assert {"attract", "home", "idle-warning"} <= set(result.stdout.split())


def test_usage_errors_exit_2():
    result = subprocess.run([sys.executable, "-m", "kiosk.cli", "no-such-command"],
                            capture_output=True, text=True)
    assert result.returncode == 2 and "invalid choice" in result.stderr


def test_a_command_whose_extra_is_not_installed_says_which_to_install():
    # fastapi hidden as on a terminal installed with [terminal] only
    code = "import sys; sys.modules['fastapi'] = None; from kiosk.cli import main; sys.exit(main(['hall']))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert result.stderr.strip() == ("kiosk hall: the Python package 'fastapi' is not installed here; this "
                                     "command needs the kiosk's [hall] extra: pip install -e '.[hall]' "
                                     "(or bash scripts/dev setup hall)")
