"""Vietnamese input normalisation, blank detection and alphabetical order."""
import unicodedata

import pytest

from forum.core.text import affiliation, is_visually_blank, normalize_text, sort_vietnamese
from forum.core.urls import safe_next_url


def test_nfd_input_is_stored_as_nfc():
    nfd = unicodedata.normalize("NFD", "Công đoàn cơ sở")
    assert nfd != "Công đoàn cơ sở"
    assert normalize_text(nfd) == "Công đoàn cơ sở"


def test_control_and_invisible_characters_are_stripped():
    assert normalize_text("Đoàn\x00 viên\u202e\u200b mới\x1b") == "Đoàn viên mới"


def test_newlines_are_unified_and_kept():
    assert normalize_text("a\r\nb\rc\n\n\n\nd") == "a\nb\nc\n\nd"


def test_single_line_collapses_whitespace():
    assert normalize_text("  Hiến \n kế\tmới  ", multiline=False) == "Hiến kế mới"


def test_none_and_empty():
    assert normalize_text(None) == "" and normalize_text("   ") == ""


BLANK_LOOKING = {
    "nothing": "",
    "spaces and newlines": " \t\n\r ",
    "HANGUL FILLER": "\u3164",
    "HALFWIDTH HANGUL FILLER": "\uffa0",
    "HANGUL CHOSEONG and JUNGSEONG FILLERS": "\u115f\u1160",
    "BRAILLE PATTERN BLANK": "\u2800\u2800\u2800",
    "ZERO WIDTH SPACE": "\u200b",
    "ZERO WIDTH JOINER and NON-JOINER": "\u200c\u200d",
    "BYTE ORDER MARK": "\ufeff",
    "WORD JOINER": "\u2060",
    "SOFT HYPHEN": "\u00ad",
    "NO-BREAK SPACE": "\u00a0",
    "IDEOGRAPHIC SPACE": "\u3000",
    "EN, EM and HAIR SPACES": "\u2002\u2003\u200a",
    "LINE and PARAGRAPH SEPARATORS": "\u2028\u2029",
    "COMBINING GRAPHEME JOINER": "\u034f",
    "VARIATION SELECTOR-16": "\ufe0f",
    "MONGOLIAN VOWEL SEPARATOR": "\u180e",
    "TAG SPACE": "\U000e0020",
    "a filler title of five characters": "\u3164 \u3164 \u3164",
    "a mixture": "\u3164\u2800\u200b\ufeff\u3000 \u115f\u1160",
}
VISIBLE = {
    "a letter": "a",
    "Vietnamese": "Đoàn viên",
    "a letter among fillers": "\u3164\u3164 x \u2800",
    "a digit": "0",
    "punctuation": ".",
    "an emoji with a variation selector": "\u2764\ufe0f",
    "a lone combining accent": "\u0301",
    "an ampersand": "&",
    "an entity in plain text shows as typed": "&nbsp;",
}


@pytest.mark.parametrize("text", BLANK_LOOKING.values(), ids=BLANK_LOOKING.keys())
def test_text_that_shows_nothing_is_visually_blank(text):
    assert is_visually_blank(text)
    assert is_visually_blank(text, markdown=True)


@pytest.mark.parametrize("text", VISIBLE.values(), ids=VISIBLE.keys())
def test_text_with_a_visible_character_is_not_blank(text):
    assert not is_visually_blank(text)


@pytest.mark.parametrize("text", ["&nbsp;", "&nbsp;&nbsp;\n&#12644;", "&#x3164; &#8203;", "&NewLine;&Tab;"])
def test_in_markdown_entities_count_as_what_they_render(text):
    assert is_visually_blank(text, markdown=True)
    assert not is_visually_blank(text)


@pytest.mark.parametrize("text", ["&amp;", "&nbsp", "&bogus;", "&#65;", "a&nbsp;"])
def test_in_markdown_visible_or_unknown_entities_are_not_blank(text):
    assert not is_visually_blank(text, markdown=True)


def test_none_is_blank():
    assert is_visually_blank(None)


def test_vietnamese_alphabetical_order():
    names = ["Đặng", "Dương", "Ân", "An", "Ăn", "Bình", "Ông", "Ơn", "Oanh", "Ưng", "Uyên", "Yến"]
    assert sort_vietnamese(names) == ["An", "Ăn", "Ân", "Bình", "Dương", "Đặng", "Oanh", "Ông", "Ơn", "Uyên", "Ưng", "Yến"]


def test_tones_order_after_letters():
    assert sort_vietnamese(["bạ", "bá", "ba", "bà", "bả", "bã"]) == ["ba", "bà", "bả", "bã", "bá", "bạ"]


def test_sort_by_key():
    units = [{"n": "LĐLĐ tỉnh Đồng Nai"}, {"n": "LĐLĐ tỉnh Bình Dương"}, {"n": "LĐLĐ tỉnh Dak Lak"}]
    assert [u["n"] for u in sort_vietnamese(units, key=lambda u: u["n"])] == [
        "LĐLĐ tỉnh Bình Dương", "LĐLĐ tỉnh Dak Lak", "LĐLĐ tỉnh Đồng Nai"]


def test_safe_next_url_stays_on_site():
    for evil in ["//evil.example", "https://evil.example/x", "/\\evil.example", "javascript:alert(1)",
                 "\\\\evil.example", "http:/evil", " //evil.example", "/ok\r\nSet-Cookie: x"]:
        assert safe_next_url(evil, default="/") == "/", evil
    assert safe_next_url("/forums/dien-dan-1?sort=newest", default="/") == "/forums/dien-dan-1?sort=newest"
    assert safe_next_url(None, default="/home") == "/home"


def test_names_compare_word_by_word():
    units = ["LĐLĐ thành phố Hải Phòng", "LĐLĐ thành phố Hà Nội", "LĐLĐ thành phố Hồ Chí Minh", "LĐLĐ tỉnh An Giang"]
    assert sort_vietnamese(units) == [
        "LĐLĐ thành phố Hà Nội", "LĐLĐ thành phố Hải Phòng", "LĐLĐ thành phố Hồ Chí Minh", "LĐLĐ tỉnh An Giang"]


@pytest.mark.parametrize("unit, province, shown", [
    ("LĐLĐ tỉnh Đồng Nai", "Đồng Nai", "LĐLĐ tỉnh Đồng Nai"),
    ("LĐLĐ thành phố Hà Nội", "Hà Nội", "LĐLĐ thành phố Hà Nội"),
    ("LĐLĐ TP. Hồ Chí Minh", "Thành phố Hồ Chí Minh", "LĐLĐ TP. Hồ Chí Minh"),
    ("Công đoàn Khu công nghiệp Bắc Ninh", "Tỉnh Bắc Ninh", "Công đoàn Khu công nghiệp Bắc Ninh"),
    ("CĐ Công ty May 10", "Hà Nội", "CĐ Công ty May 10, Hà Nội"),
    ("LĐLĐ tỉnh Hà Nam", "Hà Nội", "LĐLĐ tỉnh Hà Nam, Hà Nội"),  # another province
    ("Công đoàn ngành Giáo dục", "", "Công đoàn ngành Giáo dục"),
    ("", "Huế", "Huế"),
    (None, None, ""),
    ("LĐLĐ tỉnh Đồng Nai", "Đồng Nai", "LĐLĐ tỉnh Đồng Nai"),
])
def test_an_author_line_names_the_province_once(unit, province, shown):
    assert affiliation(unit, province) == shown


def test_the_province_is_found_whatever_the_keyboard_sent():
    from unicodedata import normalize

    assert affiliation(normalize("NFD", "LĐLĐ tỉnh Đồng Nai"), "Đồng Nai") == "LĐLĐ tỉnh Đồng Nai"
