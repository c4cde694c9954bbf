"""A pytest plugin (tests/conftest.py): the `pcscd_service` fixture, shared by the card tests of
tests/devices and tests/hardware."""

import pytest


@pytest.fixture(scope="session")
def pcscd_service():
    """pcscd with the vsmartcard-vpcd driver for the whole run, for every folder's tests.

    pcsc-lite hard-codes /run/pcscd/pcscd.comm, so one pcscd per machine: if one
    already answers it is used (and left running; `owned` is False, so tests that
    stop pcscd skip); otherwise one is started here and stopped by its pid after.
    One fixture for the run: with one per folder, the second found the first's pcscd
    and its tests that stop pcscd were always skipped.
    """
    from pathlib import Path
    from hardware.card import pcscd
    daemon = pcscd.Pcscd()
    if not pcscd.responding() and not Path(daemon.binary).is_file():
        pytest.skip("pcscd is not installed (apt-get install pcscd vsmartcard-vpcd)")
    daemon.ensure()
    assert any("Virtual PCD 00 00" == n for n in pcscd.reader_names()), \
        "pcscd runs without the vsmartcard-vpcd reader 'Virtual PCD 00 00'"
    yield daemon
    daemon.stop()
