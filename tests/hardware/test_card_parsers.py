"""The social security card's TLV / BCD / text parsers on arbitrary bytes, and the seed cards."""

import datetime as dt
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hardware.card import apdu
from hardware.card.apdu import CardDataError
from kiosk import paths


@given(st.binary(max_size=300), st.integers(0, 255))
def test_tlv_parser_returns_the_value_or_a_typed_error(data, tag):
    try:
        value = apdu.parse_tlv(data, tag)
    except CardDataError as e:
        assert str(e).startswith(f"record {tag:02X}")
        return
    assert data[0] == tag and value == data[2:2 + data[1]] and len(value) == data[1]


@given(st.integers(0, 255), st.binary(max_size=255), st.binary(max_size=20))
def test_tlv_round_trip_ignores_trailing_padding(tag, value, padding):
    assert apdu.parse_tlv(apdu.encode_tlv(tag, value) + padding, tag) == value


@given(st.binary(min_size=2, max_size=255), st.integers(1, 254))
def test_a_truncated_tlv_is_an_error(value, cut):
    record = apdu.encode_tlv(1, value)
    with pytest.raises(CardDataError):
        apdu.parse_tlv(record[:min(cut, len(record) - 1)], 1)


@given(st.binary(max_size=8))
def test_bcd_date_parser_returns_a_date_none_or_a_typed_error(data):
    try:
        day = apdu.parse_bcd_date(data)
    except CardDataError:
        return
    assert len(data) == 4
    assert day is None and data in (b"\0" * 4, b"\xff" * 4) or day.strftime("%Y%m%d") == data.hex()


@given(st.dates(min_value=dt.date(1000, 1, 1)))
def test_bcd_dates_round_trip(day):
    assert apdu.parse_bcd_date(apdu.encode_bcd_date(day)) == day


@pytest.mark.parametrize("data", [b"\x20\x21\x13\x01", b"\x20\x21\x02\x30", b"\x2A\x21\x01\x01", b"\x20\x21"])
def test_impossible_dates_are_refused(data):
    with pytest.raises(CardDataError):
        apdu.parse_bcd_date(data)


@given(st.binary(max_size=40))
def test_text_parser_decodes_gbk_or_raises_a_typed_error(data):
    try:
        text = apdu.parse_text(data, "gbk", "name")
    except CardDataError as e:
        assert "not valid GBK" in str(e)
        return
    assert text.encode("gbk") == data.rstrip(b"\x00\x20\xff")


@given(st.binary(max_size=20))
def test_split_response_takes_the_last_two_bytes_as_status(data):
    try:
        body, sw = apdu.split_response(data)
    except CardDataError:
        assert len(data) < 2
        return
    assert body + sw.to_bytes(2, "big") == data


def gb11643_check(first17):
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    return "10X98765432"[sum(int(d) * w for d, w in zip(first17, weights)) % 11]


def test_seed_cards_are_fictional_well_formed_social_security_cards():
    cards = json.loads((paths.SEED / "sscards.json").read_text("utf-8"))["cards"]
    social = [c for c in cards if c["type"] == "social_security"]
    assert 2 <= len(social) <= 3
    assert {c["type"] for c in cards} == {"social_security", "contactless", "unknown"}
    for c in social:
        ssn = c["ssn"]
        assert len(ssn) == 18 and ssn[:17].isdigit() and ssn[17] == gb11643_check(ssn[:17]), ssn
        dt.date(int(ssn[6:10]), int(ssn[10:12]), int(ssn[12:14]))      # digits 7-14: a birth date
        assert len(c["holder"].encode("gbk")) <= 30
        assert len(c["card_number"]) == 9
        assert c["card_id_code"][:6] == ssn[:6]
