"""The spelling check's pieces, without an engine: which syllables can be Vietnamese,
which slips lead back to one, how a correction is written into the query. The engines'
side (counts, corrected searches) is in test_contract.py."""
import pytest

from forum.search.spelling import apply_corrections, is_vietnamese_syllable, query_syllables, slips_from


@pytest.mark.parametrize("syllable", [
    "a", "o", "doan", "vien", "nguoi", "nghieng", "chuyen", "quyen", "khuya", "giua", "thoa", "uoc",
    "oan", "ach", "yeu", "truong", "khuynh", "ngoang", "boong", "quach", "thuong", "ot",
])
def test_vietnamese_syllables(syllable):
    assert is_vietnamese_syllable(syllable)


@pytest.mark.parametrize("word", ["vein", "ddoan", "nguoif", "zalo", "online", "kpi", "cdcs", "4", "doan1",
                                  "nghiengg", "đoàn"])
def test_words_that_cannot_be_vietnamese_syllables(word):
    """Folded ASCII only: a syllable with its marks is folded before it is checked."""
    assert not is_vietnamese_syllable(word)


@pytest.mark.parametrize("typo, meant", [
    ("vein", "vien"),  # swapped
    ("ddoan", "doan"),  # doubled
    ("nguoif", "nguoi"),  # a Telex tone key left in
    ("nguoi2", "nguoi"),  # a VNI tone digit left in
    ("ngươi", None),  # not folded: never a candidate
    ("cogn", "cong"),
    ("luogn", "luong"),
    ("thoong", "thong"),
])
def test_one_slip_leads_back(typo, meant):
    found = slips_from(typo)
    if meant is None:
        assert all(is_vietnamese_syllable(candidate) for candidate in found)
    else:
        assert meant in found and all(is_vietnamese_syllable(candidate) for candidate in found)


def test_the_query_syllables_skip_the_or_operator_and_fold():
    assert query_syllables('Đoàn vein OR "người lao động" -ddoan or') == [
        "doan", "vein", "nguoi", "lao", "dong", "ddoan", "or"]


def test_a_correction_keeps_the_rest_of_the_query_as_typed():
    assert apply_corrections('Đoàn VEIN "nữ" OR -vein', {"vein": "vien"}) == 'Đoàn vien "nữ" OR -vien'
