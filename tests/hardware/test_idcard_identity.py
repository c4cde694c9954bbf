"""Identity records: GB 11643, the four card types, masking in repr, wipe, the photo plug-in."""

import datetime as dt
import json

import pytest
from hypothesis import given, strategies as st

from hardware.idcard.emulator import SEED_CARDS
from hardware.idcard.frame import IdCardError
from hardware.idcard.identity import (NATIONS, CardDataError, CardType, Gender, PhotoUnavailable,
                                      check_character, encode_text, from_dict, is_valid_id_number,
                                      parse_text, register_photo_decoder, unregister_photo_decoder)

# the seed file's "fingerprint" flag is the emulator's, not the record's
SEEDS = {card["key"]: {k: v for k, v in card.items() if k != "fingerprint"}
         for card in json.loads(SEED_CARDS.read_text(encoding="utf-8"))}


def field(text, size):
    """One text-block field written by hand: UTF-16LE, space padded (independent of encode_text)."""
    data = text.encode("utf-16-le")
    return data + b" \x00" * ((size - len(data)) // 2)


def test_check_character_of_published_examples():
    assert check_character("11010519491231002") == "X"
    assert check_character("44052418800101001") == "4"
    assert is_valid_id_number("11010519491231002X")
    assert not is_valid_id_number("110105194912310021")
    assert not is_valid_id_number("11010519491231002x")  # lower-case x is not on cards


@given(st.text("0123456789", min_size=17, max_size=17), st.integers(0, 16), st.integers(1, 9))
def test_check_character_catches_any_single_wrong_digit(first17, where, change):
    number = first17 + check_character(first17)
    wrong = number[:where] + str((int(number[where]) + change) % 10) + number[where + 1:]
    assert is_valid_id_number(number) and not is_valid_id_number(wrong)


def test_the_nation_table_is_complete():
    assert len(NATIONS) == 58
    assert (NATIONS["01"], NATIONS["56"], NATIONS["97"], NATIONS["98"]) == ("汉族", "基诺族", "其他",
                                                                          "外国血统中国籍人士")


def test_a_mainland_block_written_by_hand_parses():
    block = (field("王小红", 30) + field("2", 2) + field("05", 4) + field("19800229", 16)
             + field("新疆维吾尔自治区乌鲁木齐市天山区演示街1号", 70) + field("650102198002290028", 36)
             + field("乌鲁木齐市公安局天山区分局", 30) + field("20100101", 16) + field("长期", 16)
             + field("", 36))
    assert len(block) == 256 and is_valid_id_number("650102198002290028")
    identity = parse_text(block, b"\x01" * 1024)
    assert identity.card_type is CardType.MAINLAND
    assert (identity.name, identity.gender, identity.nation) == ("王小红", Gender.FEMALE, "维吾尔族")
    assert identity.birth_date == dt.date(1980, 2, 29)
    assert identity.address.endswith("演示街1号") and identity.authority.startswith("乌鲁木齐")
    assert (identity.valid_from, identity.valid_to) == (dt.date(2010, 1, 1), None)
    assert identity.photo_wlt() == b"\x01" * 1024


def foreigner_2023_block(english_name, english_name_ext, flag="Y"):
    return (field("玛丽亚", 30) + field("2", 2) + field("01", 4) + field("19880615", 16)
            + field(english_name, 70) + field("934072198806150025", 36)
            + field("", 30) + field("20240201", 16) + field("20340201", 16) + field(english_name_ext, 22)
            + field("ESP", 6) + field(flag, 2) + field("", 6))


def test_a_foreigner_2023_block_written_by_hand_parses():
    # the English name fills its 35 characters and runs on into the extension, mid-word
    identity = parse_text(foreigner_2023_block("GARCIA LOPEZ, MARIA DEL CARMEN FERN", "ANDA"))
    assert identity.card_type is CardType.FOREIGNER_2023
    assert identity.english_name == "GARCIA LOPEZ, MARIA DEL CARMEN FERNANDA"
    assert (identity.nationality, identity.renewal_count, identity.id_number) == ("ESP", 1, "934072198806150025")


@pytest.mark.parametrize("first, ext, name", [
    ("PAPADOPOULOS KONSTANTINIDI, DIMITRI", " NIKOLAOS", "PAPADOPOULOS KONSTANTINIDI, DIMITRI NIKOLAOS"),
    ("PAPADOPOULOS KONSTANTINOU, DIMITRI ", "NIKOLAOS", "PAPADOPOULOS KONSTANTINOU, DIMITRI NIKOLAOS"),
    ("DIMITRI NIKOLAOS", "", "DIMITRI NIKOLAOS"),  # short: all in the first part, padded
])
def test_a_2023_card_s_english_name_keeps_the_space_at_its_split(first, ext, name):
    assert len(first) <= 35 and (not ext or len(first) == 35)
    assert parse_text(foreigner_2023_block(first, ext)).english_name == name
    identity = from_dict(SEEDS["foreigner-2023"] | {"english_name": name})
    assert parse_text(encode_text(identity)).english_name == name


@pytest.mark.parametrize("flag", ["Z", "j", "0", "\x00"])
def test_an_unknown_card_type_flag_is_refused(flag):
    block = encode_text(from_dict(SEEDS["mainland"]))
    block = block[:248] + flag.encode("utf-16-le") + block[250:]
    with pytest.raises(IdCardError, match="this kind of card cannot be read here"):
        parse_text(block)
    with pytest.raises(IdCardError, match="card type is unknown"):
        parse_text(foreigner_2023_block("MARIA", "", flag))


@pytest.mark.parametrize("key", list(SEEDS))
def test_every_seed_card_type_goes_through_the_text_block(key):
    seed = SEEDS[key]
    identity = from_dict(seed)
    block = encode_text(identity)
    assert len(block) == 256
    assert block[248:250].decode("utf-16-le") == identity.card_type.value
    back = parse_text(block)
    assert back == identity
    record = back.as_dict()
    for name in ("name", "id_number", "birth_date", "valid_from", "valid_to", "english_name", "nationality"):
        assert record[name] == seed.get(name, ""), name


def test_all_four_card_types_are_seeded():
    types = {from_dict(seed).card_type for seed in SEEDS.values()}
    assert types == set(CardType)


def test_seed_cards_are_fictional_but_valid():
    for seed in SEEDS.values():
        number = seed["id_number"]
        assert is_valid_id_number(number) or seed["card_type"] == "foreigner-old"


@pytest.mark.parametrize("change, message", [
    ({"id_number": "430102199003075519"}, "check character"),
    ({"nation_code": "77"}, "nation code"),
    ({"birth_date": "1990-02-30"}, "invalid"),
    ({"gender": "5"}, "invalid"),
    ({"valid_to": "2001-01-01"}, "ends before"),
    ({"card_type": "residence-permit"}, "81, 82 or 83"),
])
def test_bad_card_data_is_a_typed_error_without_the_data(change, message):
    with pytest.raises(CardDataError) as info:
        from_dict(SEEDS["mainland"] | change)
    assert message in str(info.value)
    assert "4301021990" not in str(info.value) and "张晓明" not in str(info.value)


def test_bad_text_blocks_are_typed_errors():
    good = encode_text(from_dict(SEEDS["elderly"]))
    with pytest.raises(CardDataError, match="256"):
        parse_text(good[:200])
    with pytest.raises(CardDataError, match="birth date"):
        parse_text(good[:36] + field("19501399", 16) + good[52:])
    with pytest.raises(CardDataError, match="gender"):
        parse_text(good[:30] + field("7", 2) + good[32:])
    with pytest.raises(CardDataError, match="not readable text"):
        parse_text(b"\x00\xd8" + good[2:])  # a lone UTF-16 surrogate


def test_repr_and_str_show_no_personal_data_and_wipe_forgets_it():
    identity = parse_text(encode_text(from_dict(SEEDS["mainland"])), b"\x07" * 1024)
    for text in (repr(identity), str(identity), f"{identity}", repr([identity])):
        assert "张" not in text and "4301" not in text and "1990" not in text
    assert identity.has_photo
    identity.wipe()
    assert identity.wiped and not identity.has_photo and identity.photo_wlt() == b""
    assert identity.name == identity.id_number == identity.address == "" and identity.birth_date is None
    with pytest.raises(PhotoUnavailable):
        identity.photo_bmp()


def test_the_photo_needs_a_registered_decoder():
    identity = parse_text(encode_text(from_dict(SEEDS["elderly"])), b"\x05" * 1024)
    with pytest.raises(PhotoUnavailable, match="no licensed"):
        identity.photo_bmp()
    register_photo_decoder("test", lambda wlt: b"BM" + len(wlt).to_bytes(2, "big"))
    try:
        assert identity.photo_bmp() == b"BM\x04\x00"
    finally:
        unregister_photo_decoder("test")
