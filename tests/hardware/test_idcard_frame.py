"""The SAM_V frame codec against the reference bytes, and the decoder under arbitrary input."""

import pytest
from hypothesis import assume, given, settings, strategies as st

from hardware.idcard import frame
from hardware.idcard.frame import ChecksumError, Decoder, FrameError, StatusError

REFERENCE_REQUESTS = {
    frame.RESET: "AA AA AA 96 69 00 03 10 FF EC",
    frame.SAM_STATUS: "AA AA AA 96 69 00 03 11 FF ED",
    frame.SAM_ID: "AA AA AA 96 69 00 03 12 FF EE",
    frame.FIND: "AA AA AA 96 69 00 03 20 01 22",
    frame.SELECT: "AA AA AA 96 69 00 03 20 02 21",
    frame.READ: "AA AA AA 96 69 00 03 30 01 32",
    frame.READ_FP: "AA AA AA 96 69 00 03 30 10 23",
    frame.READ_ADDRESS: "AA AA AA 96 69 00 03 30 03 30",
}


@pytest.mark.parametrize("command", list(REFERENCE_REQUESTS))
def test_requests_match_the_reference_bytes(command):
    assert frame.request(command) == bytes.fromhex(REFERENCE_REQUESTS[command])


def test_typical_answers_match_the_reference():
    assert frame.answer(frame.FIND_OK, bytes(4)) == bytes.fromhex("AAAAAA9669 0008 00009F 00000000 97")
    assert frame.answer(frame.NO_CARD) == bytes.fromhex("AAAAAA9669 0004 000080 84")
    assert frame.answer(frame.OK, bytes(8)) == bytes.fromhex("AAAAAA9669 000C 000090" + "00" * 8 + "9C")


def decode_all(chunks):
    """Every frame and every typed error the decoder produces for these chunks."""
    decoder, frames, errors = Decoder(), [], []
    for chunk in chunks:
        decoder.feed(chunk)
        while True:
            try:
                frames.extend(f.payload for f in decoder.frames())
                break
            except FrameError as e:
                errors.append(e)
    return frames, errors


def split(data, cuts):
    points = sorted({c % (len(data) + 1) for c in cuts})
    return [data[a:b] for a, b in zip([0] + points, points + [len(data)])]


payloads = st.binary(min_size=2, max_size=300)
garbage = st.binary(max_size=40).filter(lambda g: frame.PREAMBLE not in g)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(garbage, payloads), min_size=1, max_size=5), garbage,
       st.lists(st.integers(min_value=0), max_size=12))
def test_finds_every_frame_embedded_in_garbage_whatever_the_split(parts, tail, cuts):
    stream = b"".join(g + frame.build(p) for g, p in parts) + tail
    frames, errors = decode_all(split(stream, cuts))
    assert frames == [p for _, p in parts]
    assert errors == []


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=600), st.lists(st.integers(min_value=0), max_size=12))
def test_arbitrary_bytes_raise_only_the_typed_error(data, cuts):
    frames, errors = decode_all(split(data, cuts))  # anything but FrameError would escape here
    assert all(isinstance(e, ChecksumError) for e in errors)
    for payload in frames:
        assert frame.build(payload) in data


def test_a_false_start_with_a_bad_checksum_is_reported_and_the_real_frame_still_found():
    real = frame.answer(frame.FIND_OK, bytes(4))
    broken = bytearray(frame.answer(frame.OK, b"abc"))
    broken[-1] ^= 0x55
    frames, errors = decode_all([bytes(broken) + b"\x01\x02" + real])
    assert frames == [real[7:-1]]
    assert len(errors) == 1 and "checksum" in str(errors[0])


@pytest.mark.parametrize("first, then", [
    (frame.answer(frame.OK, bytes(1288)), frame.answer(frame.OK, bytes(1288))),  # a read, started again
    (frame.answer(frame.OK, bytes(1288)), frame.answer(0x41)),                   # ... or given up
    (frame.answer(frame.FIND_OK, bytes(4)), frame.answer(frame.FIND_OK, bytes(4))),
])
@pytest.mark.parametrize("chunk", [1, 64, 100_000])
def test_after_a_cut_frame_the_intact_one_that_follows_is_read(first, then, chunk):
    stream = first[:len(first) // 2] + then
    frames, errors = decode_all(stream[i:i + chunk] for i in range(0, len(stream), chunk))
    assert frames == [then[7:-1]] and errors == []


def completed_by_chance(stream, at):
    """Do the bytes after the cut frame at `at` complete it with a right checksum? (1 in 256:
    a one-byte checksum cannot tell, and it passes as any damaged frame that does would.)"""
    length = int.from_bytes(stream[at + 5:at + 7], "big")
    body = stream[at + 5:at + 7 + length]
    return (len(stream) >= at + 7 and frame.MIN_LEN <= length <= frame.MAX_LEN
            and len(body) == 2 + length and frame.checksum(body[:-1]) == body[-1])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(payloads, st.integers(min_value=1)), min_size=1, max_size=4),
       st.lists(st.integers(min_value=0), max_size=12))
def test_frames_cut_off_anywhere_never_hide_the_next_whole_frame(parts, cuts):
    # each frame is preceded by a copy of itself cut off after its preamble
    stream, cut_at = b"", []
    for p, keep in parts:
        cut_at.append(len(stream))
        stream += frame.build(p)[:5 + keep % (len(p) + 3)] + frame.build(p)
    assume(not any(completed_by_chance(stream, at) for at in cut_at))
    frames, errors = decode_all(split(stream, cuts))
    assert frames == [p for p, _ in parts] and errors == []


def test_impossible_lengths_are_skipped_as_garbage():
    real = frame.answer(frame.NO_CARD)
    frames, errors = decode_all([frame.PREAMBLE + b"\xff\xff" + frame.PREAMBLE + b"\x00\x01" + real])
    assert frames == [real[7:-1]] and errors == []


def test_a_partial_frame_waits_for_the_rest():
    data = frame.answer(frame.OK, bytes(100))
    decoder = Decoder()
    decoder.feed(data[:50])
    assert list(decoder.frames()) == [] and decoder.pending == 50
    assert decoder.wanted == len(data) - 50
    decoder.feed(data[50:])
    assert [f.data for f in decoder.frames()] == [bytes(100)]


def test_every_status_has_a_plain_message_and_its_code():
    for sw3, text in frame.SW3_MESSAGES.items():
        error = StatusError(sw3)
        assert error.sw3 == sw3 and str(error).startswith(text) and f"{sw3:02X}" in str(error)
    assert "unknown status" in str(StatusError(0x77))


def test_frame_repr_never_shows_its_payload():
    assert "张" not in repr(frame.Frame("张三".encode("utf-16-le")))
