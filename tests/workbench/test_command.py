"""`kiosk hall --staff`: accounts checked, passwords only from the terminal or standard input."""

import subprocess
import sys

import pytest

from testing.hall import SEED


def hall(tmp_path, *args, stdin=""):
    return subprocess.run([sys.executable, "-m", "kiosk.cli", "hall", "--port", "0", "--db", str(tmp_path / "h.db"),
                           "--seed", str(SEED), *args], input=stdin, capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("spec", ["li:clerk", "li:boss", "li:dispatcher:GA", "li:clerk:G A", ":supervisor"])
def test_a_bad_staff_spec_is_refused_before_anything_starts(tmp_path, spec):
    done = hall(tmp_path, "--staff", spec)
    assert done.returncode == 2 and "NAME:ROLE[:DEPTS]" in done.stderr


@pytest.mark.parametrize("stdin, words", [("", "no password for staff li"),
                                          ("short\n", "at least 10 characters")])
def test_a_missing_or_short_password_is_refused(tmp_path, stdin, words):
    done = hall(tmp_path, "--staff", "li:clerk:GA", stdin=stdin)
    assert done.returncode == 5 and words in done.stderr
    assert not (tmp_path / "h.db").exists()  # refused before the database was touched


def test_an_unknown_department_is_named(tmp_path):
    done = hall(tmp_path, "--staff", "li:clerk:GA,XX", stdin="long enough password\n")
    assert done.returncode == 5 and "unknown department XX" in done.stderr
