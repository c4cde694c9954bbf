"""`kiosk read-id` and `kiosk emulate idcard`: masking by default, one-line errors, stdin commands."""

import json
import subprocess
import sys

import pytest

from hardware.idcard import from_url
from hardware.idcard.driver import ReaderOffline
from hardware.idcard.frame import StatusError
from hardware.model import Health
from kiosk.cli import main
from testing.processes import kiosk_env

FULL_ID, NAME, ADDRESS = "430102199003075518", "张晓明", "五一大道100号"


def read_id(capsys, *args):
    code = main(["read-id", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_read_id_masks_name_number_and_address_by_default(idcard_emulator, capsys):
    idcard_emulator.place("mainland")
    code, out, err = read_id(capsys, "--device", idcard_emulator.url, "--timeout", "3")
    assert code == 0 and err == ""
    assert "4301**********5518" in out and "张*明" in out and "汉族" in out
    for secret in (FULL_ID, NAME, ADDRESS):
        assert secret not in out


def test_read_id_json_is_one_masked_object(idcard_emulator, capsys):
    idcard_emulator.place("foreigner-2023")
    code, out, _ = read_id(capsys, "--device", idcard_emulator.url, "--json")
    record = json.loads(out)
    assert code == 0 and out.count("\n") == 1
    assert record["masked"] is True and record["card_type"] == "foreigner-2023"
    assert record["id_number"] == "9340**********0025" and record["name"] == "玛*亚"
    assert record["nationality"] == "ESP" and record["valid_to"] == "2034-02-01"


def test_read_id_unmasked_shows_everything(idcard_emulator, capsys):
    idcard_emulator.place("mainland")
    code, out, _ = read_id(capsys, "--device", idcard_emulator.url, "--json", "--unmasked")
    record = json.loads(out)
    assert (record["id_number"], record["name"], record["masked"]) == (FULL_ID, NAME, False)
    assert ADDRESS in record["address"]


def test_read_id_mask_follows_the_privacy_settings(idcard_emulator, capsys, write_config):
    idcard_emulator.place("mainland")
    path = write_config("[privacy]\nid_show_head = 6\nid_show_tail = 1\n")
    code = main(["--config", str(path), "read-id", "--device", idcard_emulator.url, "--json"])
    assert code == 0 and json.loads(capsys.readouterr().out)["id_number"] == "430102***********8"


@pytest.mark.parametrize("fault, message", [
    (None, "no ID card was placed within 0.5 s"),
    ("sw3 41", "the card could not be read"),
    ("sw3 66", "security module is not authorised"),
    ("checksum", "damaged on the way"),
    ("slow", "did not answer within"),
])
def test_read_id_failures_are_one_plain_line(idcard_emulator, capsys, fault, message):
    if fault:
        idcard_emulator.place("mainland")
        idcard_emulator.command("fault " + fault)
    code, out, err = read_id(capsys, "--device", idcard_emulator.url, "--timeout", "0.5")
    assert code == 5 and out == ""
    assert err.startswith("kiosk read-id: ") and message in err and err.count("\n") == 1


def test_read_id_without_a_reader(capsys):
    code, _, err = read_id(capsys, "--device", "socket://127.0.0.1:9", "--timeout", "1")
    assert code == 5 and "no ID card reader at socket://127.0.0.1:9" in err and "Traceback" not in err


def test_read_id_refuses_a_bad_url_and_timeout(capsys):
    assert read_id(capsys, "--device", "ftp://x")[2].count("unsupported ID card reader URL") == 1
    assert "--timeout must be a positive" in read_id(capsys, "--device", "sim:", "--timeout", "0")[2]


def test_read_id_with_a_sim_device(capsys):
    code, out, _ = read_id(capsys, "--device", "sim:?card=permit")
    assert code == 0 and "H******78" in out and "residence-permit" in out


def test_emulate_idcard_takes_commands_on_stdin():
    proc = subprocess.Popen([sys.executable, "-m", "kiosk.cli", "emulate", "idcard", "--pty"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=kiosk_env())

    def say(line):
        proc.stdin.write(line + "\n")
        proc.stdin.flush()
        return proc.stdout.readline().strip()

    try:
        ready = proc.stdout.readline()
        assert ready.startswith("ID card reader emulator ready: serial://")
        proc.stdout.readline()  # "type help ..."
        reader = from_url(ready.split(": ", 1)[1].strip() + "?baudrate=115200")
        reader.open()
        assert say("place mainland") == "placed mainland"
        assert reader.read_card(timeout=2).name == NAME
        assert say("remove") == "removed"
        assert say("place 刘桂兰") == "placed elderly"  # by the name on the card too
        assert say("fault sw3 41") == "fault sw3 41"
        with pytest.raises(StatusError, match="could not be read"):
            reader.read_card(timeout=1)
        assert say("fault bogus").startswith("error: unknown fault 'bogus'")
        assert say("place nobody").startswith("error: no card 'nobody'")
        assert say("gone") == "gone"
        with pytest.raises(ReaderOffline):
            reader.sam_status()
        assert reader.check_health().health is Health.OFFLINE
        assert say("back") == "back"
        assert say("fault none") == "fault none"
        assert reader.check_health().health is Health.OK
        assert reader.read_card(timeout=2).name == "刘桂兰"
        reader.close()
        assert "requests" in say("status")
        proc.stdin.write("quit\n")
        proc.stdin.flush()
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_emulate_idcard_refuses_a_bad_card_file(tmp_path):
    bad = tmp_path / "cards.json"
    bad.write_text('[{"key": "x", "name": "某某", "gender": "1", "nation_code": "01", '
                   '"birth_date": "1990-01-01", "id_number": "110101199001010000", '
                   '"valid_from": "2020-01-01", "valid_to": "长期"}]', encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "kiosk.cli", "emulate", "idcard", "--cards", str(bad)],
                          capture_output=True, text=True, timeout=30, env=kiosk_env())
    assert proc.returncode == 1 and "check character" in proc.stderr and "Traceback" not in proc.stderr


def test_emulate_idcard_with_a_card_from_the_command_line():
    from hardware.idcard.identity import check_character
    number = "11010119900101001" + check_character("11010119900101001")
    proc = subprocess.Popen([sys.executable, "-m", "kiosk.cli", "emulate", "idcard", "--tcp", "0",
                             "--card", f"赵演示:{number}", "--place", "赵演示", "--no-pace"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=kiosk_env())
    try:
        ready = proc.stdout.readline()
        assert ready.startswith("ID card reader emulator ready: socket://127.0.0.1:")
        reader = from_url(ready.split(": ", 1)[1].strip())
        reader.open()
        identity = reader.read_card(timeout=2)
        reader.close()
        assert (identity.name, identity.id_number, identity.gender.label) == ("赵演示", number, "男")
    finally:
        proc.terminate()
        proc.wait(timeout=10)
