"""The PC/SC driver against the virtual card, for real: pyscard -> pcscd -> vsmartcard-vpcd -> TCP -> card."""

import dataclasses
import datetime as dt
import json
import logging
import queue
import re
import subprocess
import sys
import threading
import time

import pytest

from hardware.card.apdu import CardError, CardStatusError
from hardware.card.driver import CardRemoved, CardTimeout, NoCard, ReaderMissing, UnknownCard
from hardware.card.record import CardKind
from hardware.model import Health
from kiosk import paths

SEED = {c["name"]: c for c in json.loads((paths.SEED / "sscards.json").read_text("utf-8"))["cards"]}


def events_of(reader):
    q = queue.Queue()
    reader.subscribe(q.put)
    return q


def next_event(q, kind, timeout=5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            event = q.get(timeout=max(0.01, deadline - time.monotonic()))
        except queue.Empty:
            break
        if event.kind == kind:
            return event
    raise AssertionError(f"no {kind} event within {timeout} s")


def until(condition, timeout=5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


@pytest.mark.parametrize("name", ["zhang", "li", "ouyang"])
def test_reads_every_field_of_a_social_security_card(card_reader, card_virtual, name):
    seed = SEED[name]
    card_virtual.insert(name)
    record = card_reader.read(timeout=5)
    assert record.kind is CardKind.SOCIAL_SECURITY
    assert record.name == seed["holder"]
    assert record.ssn == seed["ssn"]
    assert record.card_number == seed["card_number"]
    assert record.card_id_code == seed["card_id_code"].upper()
    assert record.region == seed["card_id_code"][:6]
    assert record.spec_version == seed["spec_version"]
    assert record.issued == dt.date.fromisoformat(seed["issued"])
    assert record.expires == (dt.date.fromisoformat(seed["expires"]) if seed["expires"] else None)
    assert record.atr.startswith("3B")
    assert card_reader.counters["reads"] == 1


def test_the_record_masks_itself_and_can_be_wiped(card_reader, card_virtual):
    card_virtual.insert("zhang")
    record = card_reader.read(timeout=5)
    seed = SEED["zhang"]
    for text in (repr(record), str(record), f"{record!r}"):
        assert seed["holder"] not in text and seed["ssn"] not in text and seed["card_number"] not in text
        assert seed["ssn"][:4] + "*" * 10 + seed["ssn"][-4:] in text
    masked = record.masked()
    assert masked["name"] == seed["holder"][0] + "*" * (len(seed["holder"]) - 2) + seed["holder"][-1]
    with pytest.raises(AttributeError):
        record.ssn = "x"                          # frozen against edits ...
    record.wipe()                                 # ... but wipeable
    assert record.wiped and record.ssn == record.name == record.card_number == ""
    assert "wiped" in repr(record)


def test_no_personal_data_reaches_the_log(card_reader, card_virtual, caplog):
    caplog.set_level(logging.DEBUG)
    card_virtual.insert("ouyang")
    record = card_reader.read(timeout=5)
    seed = SEED["ouyang"]
    logged = caplog.text + repr((card_reader.url, card_reader.status, card_reader.counters))
    assert record.ssn == seed["ssn"]
    assert seed["ssn"] not in logged and seed["holder"] not in logged


def test_contactless_card_gives_its_uid(card_reader, card_virtual):
    card_virtual.insert("admin")
    record = card_reader.read(timeout=5)
    assert record.kind is CardKind.CONTACTLESS
    assert record.uid == SEED["admin"]["uid"].upper()
    assert record.ssn == "" and "uid=" + record.uid in repr(record)


def test_insert_and_remove_events_carry_the_atr(card_reader, card_virtual):
    q = events_of(card_reader)
    card_virtual.insert("admin")
    inserted = next_event(q, "card_inserted")
    assert inserted.data["atr"] == card_virtual.profiles["admin"].atr.hex().upper()
    assert card_reader.card_present
    card_virtual.remove()
    next_event(q, "card_removed")
    assert not card_reader.card_present
    card_virtual.insert("zhang")
    assert next_event(q, "card_inserted").data["atr"] == card_virtual.profiles["zhang"].atr.hex().upper()


def test_card_pulled_mid_read_is_a_plain_error_and_the_next_read_works(card_reader, card_virtual):
    card_virtual.insert("zhang")
    card_virtual.remove_midread(3)
    with pytest.raises(CardRemoved, match="taken out too early"):
        card_reader.read(timeout=5)
    assert card_virtual.inserted is None          # the card really left mid-sequence
    assert card_reader.status.health is Health.OK  # a pulled card is not a reader fault
    assert card_reader.counters["errors"] == 1
    card_virtual.insert("zhang")
    assert card_reader.read(timeout=5).ssn == SEED["zhang"]["ssn"]


def test_unknown_card_is_refused_plainly(card_reader, card_virtual):
    card_virtual.insert("bank")
    with pytest.raises(UnknownCard, match="not a social security card"):
        card_reader.read(timeout=5)
    assert card_reader.status.health is Health.OK


@pytest.mark.parametrize("sw, on, words", [
    (0x6581, "read", "memory failed"),
    (0x6982, "read", "asks for a PIN"),
    (0x6F00, "select", "internal error"),
    (0x6A83, "read", "no such record"),
    (0x6999, "any", "reported an error"),
])
def test_error_status_words_become_typed_errors(card_reader, card_virtual, sw, on, words):
    card_virtual.insert("zhang")
    card_virtual.fail_with(sw, on)
    with pytest.raises(CardStatusError) as caught:
        card_reader.read(timeout=5)
    assert caught.value.sw == sw
    assert words in str(caught.value) and f"{sw:04X}" in str(caught.value)
    card_virtual.fail_with(None)
    assert card_reader.read(timeout=5).kind is CardKind.SOCIAL_SECURITY


def test_a_slow_card_times_out_then_reads_when_given_time(card_reader, card_virtual):
    card_virtual.insert("zhang")
    card_virtual.slow(0.15)
    started = time.monotonic()
    with pytest.raises(CardTimeout, match="too slowly"):
        card_reader.read(timeout=0.5)
    assert time.monotonic() - started < 2
    assert card_reader.read(timeout=10).ssn == SEED["zhang"]["ssn"]


def test_no_card_waits_the_timeout_and_says_what_to_do(card_reader, card_virtual):
    started = time.monotonic()
    with pytest.raises(NoCard, match="insert the social security card"):
        card_reader.read(timeout=0.6)
    assert 0.5 <= time.monotonic() - started < 3


def test_a_reader_that_is_not_there_is_absent_with_a_reason(pcscd_service):
    from hardware.card import from_url
    reader = from_url("pcsc:ACS ACR39U")
    assert reader.check_health().health is Health.ABSENT
    assert "'ACS ACR39U'" in reader.status.reason and "Virtual PCD 00 00" in reader.status.reason
    with pytest.raises(ReaderMissing):
        reader.read(timeout=1)
    reader.enable()                               # the watcher keeps trying, no crash
    time.sleep(1.2)
    assert reader.status.health is Health.ABSENT
    assert reader.counters["errors"] == 1
    reader.close()


def test_first_reader_and_a_name_part_both_pick_the_virtual_reader(pcscd_service):
    from hardware.card import from_url
    for url in ("pcsc:", "pcsc:virtual pcd", "pcsc:Virtual%20PCD%2000%2000"):
        status = from_url(url).check_health()
        assert status.health is Health.OK and "Virtual PCD 00" in status.reason, url


def test_pcscd_stopped_then_back(pcscd_service, card_virtual):
    if not pcscd_service.owned:
        pytest.skip("pcscd was already running on this machine; the test does not stop others' daemons")
    from hardware.card import from_url
    reader = from_url("pcsc:Virtual PCD 00 00")
    reader.enable()
    q = events_of(reader)
    card_virtual.insert("zhang")
    next_event(q, "card_inserted")
    try:
        pcscd_service.stop()
        assert until(lambda: reader.status.health is Health.OFFLINE), reader.status
        assert "pcscd" in reader.status.reason
        next_event(q, "card_removed")             # the card cannot be used: the session must end
        with pytest.raises(Exception) as caught:
            reader.read(timeout=1)
        assert "PC/SC service (pcscd) is not running" in str(caught.value)
        assert reader.check_health().health is Health.OFFLINE
        time.sleep(1)                             # the watcher retries without counting errors
        assert reader.counters["errors"] == 1     # the one failed read
    finally:
        pcscd_service.ensure()
    assert until(lambda: reader.status.health is Health.OK, 10), reader.status
    assert card_virtual.wait_connected(10)        # the card went back into the returned reader
    assert reader.read(timeout=10).ssn == SEED["zhang"]["ssn"]
    reader.close()


RAW_PCSC = re.compile(r"\([0-9A-F]{8}\)|\b(Sharing violation|protocol mismatch|Command successful)", re.I)


def attempt(call, limit):
    """call() on a thread of its own, waited for `limit` s: (returned or raised, or None while it hangs)."""
    outcome = {}

    def run():
        try:
            outcome["result"] = call()
        except Exception as e:  # handed to the test
            outcome["result"] = e
    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(limit)
    return outcome.get("result")


def test_a_card_that_gives_its_atr_then_nothing_times_out_and_the_next_card_reads(card_reader, card_virtual):
    card_virtual.insert("zhang")
    card_virtual.mute()
    started = time.monotonic()
    result = attempt(lambda: card_reader.read(timeout=1.5), 6)
    assert result is not None, "read() still hangs on a mute card"
    assert isinstance(result, CardTimeout) and "does not answer" in str(result), result
    assert time.monotonic() - started < 3
    assert card_reader.status.health is Health.WARNING and "does not answer" in card_reader.status.reason
    # pcscd waits for that card until it is pulled; a read meanwhile is bounded too
    assert isinstance(attempt(lambda: card_reader.read(timeout=0.5), 3), CardTimeout)
    card_virtual.remove()
    card_virtual.clear_faults()
    card_virtual.insert("li")
    assert card_reader.read(timeout=5).ssn == SEED["li"]["ssn"]
    assert until(lambda: card_reader.status.health is Health.OK), card_reader.status


def test_through_the_hub_a_mute_card_frees_the_devices_worker(card_virtual):
    from kiosk.devices import DeviceHub
    hub = DeviceHub({"card": "pcsc:Virtual PCD 00 00"}).start()
    try:
        assert hub.wait_open(10)
        card_virtual.insert("zhang")
        card_virtual.mute()
        with pytest.raises(CardTimeout):          # the device's own error, not the hub's DeviceTimeout
            hub.call("card", lambda reader: reader.read(1.5), timeout=4)
        status = hub.call("card", lambda reader: reader.check_health(), timeout=1)  # the worker is free
        assert status.health is Health.WARNING
        card_virtual.remove()
        card_virtual.clear_faults()
        card_virtual.insert("zhang")
        assert hub.call("card", lambda reader: reader.read(5), timeout=8).ssn == SEED["zhang"]["ssn"]
    finally:
        card_virtual.remove()
        hub.close()


HOLD_EXCLUSIVELY = """
import sys, time
from smartcard import scard
_, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
for _ in range(100):
    hresult, card, _ = scard.SCardConnect(context, "Virtual PCD 00 00", scard.SCARD_SHARE_EXCLUSIVE,
                                          scard.SCARD_PROTOCOL_T0 | scard.SCARD_PROTOCOL_T1)
    if hresult == scard.SCARD_S_SUCCESS:
        break
    time.sleep(0.05)
print("held" if hresult == scard.SCARD_S_SUCCESS else hex(hresult), flush=True)
sys.stdin.readline()
"""


def test_a_card_held_exclusively_by_another_program(card_reader, card_virtual):
    card_virtual.insert("zhang")
    other = subprocess.Popen([sys.executable, "-c", HOLD_EXCLUSIVELY], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True)
    try:
        assert other.stdout.readline().strip() == "held"
        assert until(lambda: card_reader.status.health is Health.WARNING), card_reader.status  # the watcher
        assert card_reader.status.reason == "in use by another program"
        assert card_reader.check_health().reason == "in use by another program"
        with pytest.raises(CardError) as caught:
            card_reader.read(timeout=1)
        assert "in use by another program" in str(caught.value)
        assert not RAW_PCSC.search(str(caught.value)), caught.value
    finally:
        other.communicate("\n", timeout=10)
    assert card_reader.read(timeout=5).ssn == SEED["zhang"]["ssn"]
    assert until(lambda: card_reader.check_health().health is Health.OK), card_reader.status


def test_a_card_that_speaks_no_protocol_of_the_reader_gets_plain_words(card_clean_slot):
    from hardware.card import from_url
    from hardware.card.vpcd_card import VirtualCard, load_profiles
    odd = dataclasses.replace(load_profiles()["zhang"], atr=bytes.fromhex("3B800E8E"))  # T=14 only
    card = VirtualCard({"odd": odd})
    reader = from_url("pcsc:Virtual PCD 00 00")
    try:
        card.insert("odd")
        with pytest.raises(CardError) as caught:  # pcscd: SCARD_E_PROTO_MISMATCH
            reader.read(timeout=1)
        assert str(caught.value) == ("connecting to the card: the card could not be read: take it out "
                                     "and insert it again, chip first")
    finally:
        card.close()
        reader.close()
