"""The real ID card driver against the emulator, through a pty and a TCP socket, every fault included."""

import logging
import queue
import threading
import time

import pytest

from hardware.idcard import frame, from_url
from hardware.idcard.driver import NoCard, PartialAnswer, ReaderOffline, ReaderTimeout
from hardware.idcard.frame import ChecksumError, IdCardError, StatusError
from hardware.model import Health


def wait_for(check, timeout=5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.02)
    return False


def events_of(device):
    got = queue.Queue()
    device.subscribe(got.put)
    return got


def next_event(events, kind, timeout=5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            event = events.get(timeout=0.05)
        except queue.Empty:
            continue
        if event.kind == kind:
            return event
    raise AssertionError(f"no {kind} event within {timeout} s")


@pytest.mark.parametrize("key", ["mainland", "elderly", "permit", "foreigner-old", "foreigner-2023"])
def test_reads_every_card_type(idcard_emulator, idcard_reader, key):
    card = idcard_emulator.place(key)
    identity = idcard_reader.read_card(timeout=2)
    assert identity == card.identity
    assert identity.photo_wlt() == card.photo
    assert idcard_reader.counters["reads"] == 1


@pytest.mark.parametrize("key", ["mainland", "elderly"])  # with and without a fingerprint on the card
def test_reads_with_the_fingerprint_command(idcard_emulator, idcard_reader, key):
    card = idcard_emulator.place(key)
    idcard_reader.fingerprint = True
    assert idcard_reader.read_card(timeout=2) == card.identity


def test_sam_commands_and_health(idcard_reader):
    idcard_reader.reset()
    assert idcard_reader.sam_id() == "05.01-20261123-0012345678-0987654321"
    assert idcard_reader.check_health().health is Health.OK


def test_the_card_must_leave_before_the_next_read(idcard_emulator, idcard_reader):
    idcard_emulator.place("permit")
    idcard_reader.read_card(timeout=2)
    assert idcard_reader.find() is False and idcard_reader.card_still_there()
    idcard_emulator.remove()
    assert not idcard_reader.card_still_there()
    idcard_emulator.place("permit")
    assert idcard_reader.find() is True


def test_polling_emits_identity_then_card_removed(idcard_emulator, idcard_reader):
    events = events_of(idcard_reader)
    idcard_reader.enable()
    idcard_emulator.place("mainland")
    assert next_event(events, "identity").data.id_number == "430102199003075518"
    time.sleep(0.3)
    assert idcard_reader.counters["reads"] == 1  # a card left on the reader is read once
    idcard_emulator.remove()
    next_event(events, "card_removed")
    idcard_emulator.place("elderly")
    assert next_event(events, "identity").data.name == "刘桂兰"
    assert idcard_reader.status.health is Health.OK


def test_no_card_is_a_plain_timeout(idcard_emulator, idcard_reader):
    idcard_emulator.place("mainland")
    idcard_emulator.set_fault("nocard")
    with pytest.raises(NoCard, match="no ID card was placed within 0.3 s"):
        idcard_reader.read_card(timeout=0.3)
    idcard_emulator.set_fault("none")
    assert idcard_reader.read_card(timeout=1).name == "张晓明"


def test_slow_answers_time_out_and_the_reader_recovers(idcard_emulator, idcard_reader):
    idcard_emulator.set_fault("slow")
    with pytest.raises(ReaderTimeout, match="did not answer within 500 ms"):
        idcard_reader.find()
    status = idcard_reader.check_health()
    assert status.health is Health.ERROR and "did not answer" in status.reason
    idcard_emulator.set_fault("none")
    idcard_emulator.place("elderly")
    assert idcard_reader.read_card(timeout=2).name == "刘桂兰"
    assert idcard_reader.check_health().health is Health.OK


def test_wrong_checksums_are_a_typed_error(idcard_emulator, idcard_reader):
    idcard_emulator.set_fault("checksum")
    with pytest.raises(ChecksumError, match="damaged"):
        idcard_reader.sam_status()
    assert idcard_reader.check_health().health is Health.ERROR
    idcard_emulator.set_fault("none")
    assert idcard_reader.check_health().health is Health.OK


def test_garbage_on_the_line_is_skipped(idcard_emulator, idcard_reader):
    idcard_emulator.set_fault("garbage")
    card = idcard_emulator.place("foreigner-old")
    assert idcard_reader.read_card(timeout=2) == card.identity


@pytest.mark.parametrize("sw3", sorted(set(frame.SW3_MESSAGES) - {frame.NO_CARD}))
def test_every_status_error_is_typed_with_its_plain_message(idcard_emulator, idcard_reader, sw3):
    idcard_emulator.place("mainland")
    idcard_emulator.set_fault("sw3", sw3)
    with pytest.raises(StatusError) as info:
        idcard_reader.read_card(timeout=1)
    assert info.value.sw3 == sw3 and str(info.value).startswith(frame.SW3_MESSAGES[sw3])
    status = idcard_reader.check_health()
    assert status.health is Health.ERROR and frame.SW3_MESSAGES[sw3] in status.reason


@pytest.mark.parametrize("key", ["mainland", "elderly", "permit", "foreigner-old", "foreigner-2023"])
def test_an_answer_broken_off_and_sent_again_is_read(idcard_emulator, idcard_reader, key):
    idcard_emulator.set_fault("cut")  # every answer: half of it, then all of it
    card = idcard_emulator.place(key)
    assert idcard_reader.read_card(timeout=2) == card.identity
    assert idcard_reader.check_health().health is Health.OK


def test_a_card_of_an_unknown_type_is_refused_in_plain_words(idcard_emulator, idcard_reader):
    import json
    from hardware.idcard.emulator import SEED_CARDS, card_from_spec
    seed = next(c for c in json.loads(SEED_CARDS.read_text(encoding="utf-8")) if c["key"] == "mainland")
    card = card_from_spec(json.dumps(seed | {"key": "odd", "type_flag": "Z"}))  # as `--card` takes it
    idcard_emulator.place(card)
    with pytest.raises(IdCardError) as info:
        idcard_reader.read_card(timeout=2)
    assert str(info.value).startswith("this kind of card cannot be read here")
    assert "张晓明" not in str(info.value) and "4301" not in str(info.value)
    events = events_of(idcard_reader)
    idcard_emulator.remove()
    idcard_emulator.place(card)
    idcard_reader.enable()
    assert "cannot be read here" in next_event(events, "read_error").data
    assert idcard_reader.counters["reads"] == 0


def test_a_port_another_program_holds_is_reported_in_use(serial_port_holder):
    from hardware.idcard.emulator import IdCardEmulator
    emulator = IdCardEmulator(transport="pty").start()
    reader = from_url(emulator.url)
    try:
        with serial_port_holder(emulator.link.driver_address):
            status = reader.check_health()
            assert status.health is Health.OFFLINE
            path = emulator.link.driver_address
            assert f"the ID card reader at {path} is in use by another program" in status.reason
            emulator.place("mainland")
            with pytest.raises(ReaderOffline, match="in use by another program"):
                reader.read_card(timeout=1)
        assert reader.check_health().health is Health.OK  # the other program let go
        assert reader.read_card(timeout=2).name == "张晓明"
    finally:
        reader.close()
        emulator.stop()


def test_status_80_means_no_card(idcard_emulator, idcard_reader):
    idcard_emulator.place("mainland")
    idcard_emulator.set_fault("sw3", frame.NO_CARD)
    assert idcard_reader.find() is False


def test_read_failure_while_polling_is_reported_and_the_card_must_be_replaced(idcard_emulator, idcard_reader):
    events = events_of(idcard_reader)
    idcard_emulator.place("mainland")
    idcard_emulator.set_fault("removed-midread")
    idcard_reader.enable()
    assert "cut off" in next_event(events, "read_error").data
    assert idcard_emulator.card is None  # the emulator pulled it halfway through
    next_event(events, "card_removed")
    idcard_emulator.set_fault("none")
    idcard_emulator.place("mainland")
    assert next_event(events, "identity").data.name == "张晓明"


def test_a_card_pulled_mid_read_is_a_partial_answer(idcard_emulator, idcard_reader):
    idcard_emulator.place("elderly")
    idcard_emulator.set_fault("removed-midread")
    with pytest.raises(PartialAnswer, match="cut off"):
        idcard_reader.read_card(timeout=1)
    assert idcard_reader.find() is False


@pytest.mark.parametrize("fault", ["none", "slow"])  # while the answer is on the wire / still awaited
def test_the_port_vanishing_mid_read_and_coming_back(idcard_emulator, idcard_reader, fault):
    idcard_emulator.place("mainland")
    assert idcard_reader.find()
    idcard_reader.select()
    idcard_emulator.set_fault(fault)
    outcome = []
    waiting = threading.Thread(target=lambda: outcome.append(_raises(idcard_reader.read)))
    waiting.start()
    time.sleep(0.06)  # the 1295-byte answer takes 112 ms at 115200 baud
    idcard_emulator.gone()
    waiting.join(5)
    assert isinstance(outcome[0], ReaderOffline) and "went away" in str(outcome[0])
    status = idcard_reader.check_health()
    assert status.health is Health.OFFLINE and "check its cable" in status.reason
    idcard_emulator.set_fault("none")  # also brings it back
    assert idcard_reader.check_health().health is Health.OK
    idcard_emulator.remove()
    idcard_emulator.place("permit")
    assert idcard_reader.read_card(timeout=2).pass_number == "H12345678"


def test_polling_survives_the_reader_going_away(idcard_emulator, idcard_reader):
    events = events_of(idcard_reader)
    idcard_reader.enable()
    idcard_emulator.place("mainland")
    next_event(events, "identity")
    idcard_emulator.gone()
    next_event(events, "card_removed")  # the session of that card must end
    assert wait_for(lambda: idcard_reader.status.health is Health.OFFLINE)
    idcard_emulator.back()
    assert wait_for(lambda: idcard_reader.status.health is Health.OK)
    idcard_emulator.remove()
    idcard_emulator.place("foreigner-2023")
    assert next_event(events, "identity").data.nationality == "ESP"


def test_nothing_personal_reaches_the_log(idcard_emulator, idcard_reader, caplog):
    caplog.set_level(logging.DEBUG)
    events = events_of(idcard_reader)
    idcard_reader.enable()
    idcard_emulator.place("mainland")
    identity = next_event(events, "identity").data
    idcard_emulator.set_fault("checksum")
    idcard_emulator.remove()
    idcard_emulator.place("mainland")
    time.sleep(0.3)
    logging.getLogger("test").info("read %s", identity)  # the way a careless caller would log it
    assert caplog.records
    for secret in ("张晓明", "430102199003075518", "五一大道", "1990"):
        assert secret not in caplog.text
        assert secret not in idcard_reader.status.reason


def test_a_missing_reader_is_a_plain_offline_error():
    reader = from_url("serial:///dev/ttyNOSUCHREADER?baudrate=115200")
    with pytest.raises(ReaderOffline, match="no ID card reader at /dev/ttyNOSUCHREADER"):
        reader.open()
    assert reader.check_health().health is Health.OFFLINE


@pytest.mark.parametrize("url, message", [
    ("serial:///dev/ttyUSB0?baudrate=1234", "baudrate must be one of"),
    ("usb://0x1234:0x5678", "unsupported ID card reader URL"),
    ("socket://localhost", "unsupported"),
])
def test_bad_urls_are_refused(url, message):
    with pytest.raises(IdCardError, match=message):
        from_url(url)


def test_sim_url_runs_the_emulator_in_process():
    reader = from_url("sim:?card=elderly")
    try:
        reader.open()
        assert reader.url == "sim:?card=elderly" and reader.port_url.startswith("/")
        assert reader.read_card(timeout=2).valid_to is None  # 长期
    finally:
        reader.close()


def _raises(call):
    try:
        call()
    except Exception as e:  # noqa: BLE001 - the test inspects whatever it was
        return e
    return None
