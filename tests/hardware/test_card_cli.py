"""`kiosk read-card`, `kiosk emulate card` and `sim:` as a user runs them, through pcscd + vpcd."""

import json
import subprocess
import sys
import time

import pytest

from hardware.card.driver import NoCard
from hardware.card.emulator import apply_command
from hardware.card.vpcd_card import EmulatorError, VirtualCard, load_profiles
from hardware.model import Health
from testing.processes import kiosk_env, run_kiosk
from kiosk import paths

SEED = {c["name"]: c for c in json.loads((paths.SEED / "sscards.json").read_text("utf-8"))["cards"]}


def test_read_card_masks_by_default(card_clean_slot):
    result = run_kiosk("read-card", "--device", "sim:?card=zhang", "--timeout", "5")
    seed = SEED["zhang"]
    assert result.returncode == 0, result.stderr
    assert seed["ssn"] not in result.stdout and seed["holder"] not in result.stdout
    assert seed["card_number"] not in result.stdout
    assert f"社会保障号码 SSN: {seed['ssn'][:4]}{'*' * 10}{seed['ssn'][-4:]}" in result.stdout
    assert f"发卡地区 region: {seed['card_id_code'][:6]}" in result.stdout


def test_read_card_json_unmasked(card_clean_slot):
    result = run_kiosk("read-card", "--device", "sim:?card=ouyang", "--json", "--unmasked")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    seed = SEED["ouyang"]
    assert (data["name"], data["ssn"], data["expires"]) == (seed["holder"], seed["ssn"], None)


def test_read_card_json_is_masked_too(card_clean_slot):
    data = json.loads(run_kiosk("read-card", "--device", "sim:?card=li", "--json").stdout)
    assert data["ssn"] != SEED["li"]["ssn"] and data["ssn"].endswith(SEED["li"]["ssn"][-4:])


@pytest.mark.parametrize("args, words, code", [
    (["--device", "sim:?card=bank"], "not a social security card", 5),
    (["--device", "sim:", "--timeout", "0.5"], "no card in the reader", 5),
    (["--device", "pcsc:No Such Reader", "--timeout", "0.5"], "no smart card reader named like 'No Such Reader'", 5),
    (["--device", "sim:?card=nobody"], "no card named 'nobody'", 5),
    (["--device", "usb:x"], "unsupported card reader URL 'usb:x': use pcsc:, pcsc:READER NAME or sim:", 5),
    (["--device", "sim:", "--timeout", "-1"], "--timeout", 2),
])
def test_read_card_failures_are_one_line(card_clean_slot, args, words, code):
    result = run_kiosk("read-card", *args)
    assert result.returncode == code  # the README: 2 usage, 5 device or hall
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and words in result.stderr, result.stderr


def test_read_card_on_a_card_that_gives_its_atr_then_nothing_ends_at_its_timeout(card_virtual):
    card_virtual.insert("zhang")
    card_virtual.mute()
    started = time.monotonic()
    try:
        result = run_kiosk("read-card", "--device", "pcsc:Virtual PCD 00 00", "--timeout", "3", timeout=20)
    except subprocess.TimeoutExpired:
        pytest.fail("kiosk read-card --timeout 3 still runs after 20 s on a mute card")
    assert time.monotonic() - started < 10
    assert result.returncode == 5
    assert result.stderr.strip() == ("kiosk read-card: the card does not answer: take it out and insert "
                                     "it again, chip first"), result.stderr


def test_emulator_commands_and_bad_input():
    card = VirtualCard(load_profiles(), port=1)      # nothing listens on port 1: no pcscd needed
    assert apply_command(card, "error 6581") == "answering 6581 to read"
    assert apply_command(card, "slow 0.2") and card.delay == 0.2
    assert apply_command(card, "removed-midread 3") and card.remove_after_reads == 3
    assert apply_command(card, "mute") == "the card answers its ATR and then nothing" and card.muted
    assert "mute=on" in apply_command(card, "status")
    assert "error=6581/read" in apply_command(card, "status")
    assert apply_command(card, "clear") == "faults off" and card.error_sw is None and card.delay == 0
    assert not card.muted
    for bad in ["insert", "insert nobody", "error 9000", "error zz", "error 6581 write", "slow -1",
                "slow soon", "removed-midread 0", "mute now", "dance"]:
        with pytest.raises(EmulatorError):
            apply_command(card, bad)
    card.close()


def test_a_bad_card_file_is_one_plain_error(tmp_path):
    for text, words in [("{", "not JSON"), ('{"cards": [{"name": "x", "type": "social_security"}]}',
                                               "missing field 'holder'"),
                        ('{"cards": [{"name": "x", "type": "phone"}]}', "type must be one of")]:
        path = tmp_path / "cards.json"
        path.write_text(text)
        result = run_kiosk("emulate", "card", "--cards", str(path))
        assert result.returncode == 1 and words in result.stderr and "Traceback" not in result.stderr


def test_kiosk_emulate_card_is_steered_from_stdin(card_reader):
    process = subprocess.Popen([sys.executable, "-m", "kiosk.cli", "emulate", "card"],
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, env=kiosk_env())
    try:
        assert "virtual card for vpcd" in process.stdout.readline()

        def say(line):
            process.stdin.write(line + "\n")
            process.stdin.flush()
            return process.stdout.readline().strip()

        assert say("insert admin") == "inserted admin"
        assert card_reader.read(timeout=5).uid == SEED["admin"]["uid"]
        assert say("bogus").startswith("error: unknown command")
        assert say("remove") == "removed"
        with pytest.raises(NoCard):
            card_reader.read(timeout=1)
        assert say("quit") == ""
        assert process.wait(5) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_sim_url_reads_through_pcscd(card_clean_slot):
    from hardware.card import from_url
    device = from_url("sim:?card=li")
    device.open()
    try:
        assert device.check_health().health is Health.OK
        assert device.read(timeout=5).ssn == SEED["li"]["ssn"]
        device.virtual_card.insert("admin")
        assert device.read(timeout=5).uid == SEED["admin"]["uid"]
    finally:
        device.close()


def test_sim_without_a_pcscd_that_can_start_is_absent_not_a_crash(pcscd_service, card_clean_slot):
    if not pcscd_service.owned:
        pytest.skip("pcscd was already running on this machine; the test does not stop others' daemons")
    from hardware.card.sim import SimCardReader
    pcscd_service.stop()
    try:
        device = SimCardReader("sim:", insert="zhang", pcscd_binary="/nonexistent/pcscd")
        device.open()
        assert device.status.health is Health.ABSENT and "pcscd is not installed" in device.status.reason
        with pytest.raises(Exception, match="not running"):
            device.read(timeout=0.5)
        assert device.check_health().health is Health.ABSENT
        device.enable()
        time.sleep(0.3)
        assert device.status.health is Health.ABSENT
        device.close()
    finally:
        pcscd_service.ensure()
