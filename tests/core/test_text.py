"""Vietnamese input normalisation and alphabetical order."""
import unicodedata

from forum.core.text import normalize_text, sort_vietnamese
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
