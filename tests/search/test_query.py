"""The query language both engines translate from (forum/search/query.py): parsing,
cleaning, folding, abbreviations and the highlight rule. No engine, no database."""
import unicodedata

import pytest

from forum.search.backend import MAX_QUERY_LENGTH
from forum.search.query import (
    MAX_PHRASE_SYLLABLES,
    MAX_QUERY_UNITS,
    Unit,
    clean_query_text,
    cut_query_text,
    highlight_for,
    parse_query,
)


def syllables_of(alternative):
    return [unit.syllables for unit in alternative]


# Parsing -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, alternatives", [
    ("*", []),
    ("c*", [[("c",)]]),
    ("d?an", [[("d", "an")]]),
    ("doan~2", [[("doan", "2")]]),
    ("doan^10", [[("doan", "10")]]),
    ("visibility:staff", [[("visibility", "staff")]]),
    ("hidden:true kind:proposal", [[("hidden", "true"), ("kind", "proposal")]]),
    ("[a TO z]", [[("a",), ("to",), ("z",)]]),
    ("(cong OR doan", [[("cong",)], [("doan",)]]),
    ("cong AND doan NOT x", [[("cong",), ("and",), ("doan",), ("not",), ("x",)]]),
])
def test_operators_of_other_engines_are_literal_syllables(text, alternatives):
    parsed = parse_query(text)
    assert [syllables_of(alternative) for alternative in parsed.alternatives] == alternatives
    assert not parsed.excluded
    for unit in parsed.positive_units:
        assert isinstance(unit, Unit) and all(s.isalnum() for s in unit.syllables)


def test_operators_and_field_syntax_stay_literal_text():
    parsed = parse_query("hidden:true c* doan~2 (cong a&b|c !x <-> y:* \\ 'z'")
    texts = [unit.text for unit in parsed.positive_units]
    assert texts == ["hidden true", "c", "doan 2", "cong", "a b c", "x", "y", "z"]
    assert parsed.excluded == ()


def test_or_binds_looser_than_and_and_exclusions_apply_to_everything():
    parsed = parse_query('tiền lương OR "bảo hiểm" xã hội -FDI -"khu công nghiệp"')
    assert parsed.alternatives == (
        (Unit(("tiền",)), Unit(("lương",))),
        (Unit(("bảo", "hiểm"), phrase=True), Unit(("xã",)), Unit(("hội",))),
    )
    assert parsed.excluded == (Unit(("fdi",)), Unit(("khu", "công", "nghiệp"), phrase=True))


def test_quotes_or_and_exclusions():
    parsed = parse_query('chủ tịch "công đoàn" -"doanh nghiệp FDI" -abc OR tiền lương')
    first, second = parsed.alternatives
    assert syllables_of(first) == [("chủ",), ("tịch",), ("công", "đoàn")]
    assert first[2].phrase
    assert [u.syllables for u in parsed.excluded] == [("doanh", "nghiệp", "fdi"), ("abc",)]
    assert syllables_of(second) == [("tiền",), ("lương",)]
    assert parsed.has_marks
    assert parsed.adjacent == ("chu tich", "cong doan", "tien luong")


@pytest.mark.parametrize("text", ["", "   ", '"', '""', "OR", "OR OR", "-", "--", '-"', "-abc", "-abc -\"x y\"",
                                  "👍", "\x00\x01", "\u202e", "&& || !"])
def test_queries_with_nothing_to_find_are_empty(text):
    assert parse_query(text).is_empty and parse_query(text).alternatives == ()


def test_unbalanced_quote_runs_to_the_end_and_lone_operators_are_ignored():
    parsed = parse_query('cong "doan vien nu')
    assert syllables_of(parsed.alternatives[0]) == [("cong",), ("doan", "vien", "nu")]
    parsed = parse_query('công đoàn OR -"chủ tịch')
    assert parsed.alternatives == ((Unit(("công",)), Unit(("đoàn",))),)
    assert parsed.excluded == (Unit(("chủ", "tịch"), phrase=True),)
    assert parse_query("a OR").alternatives == ((Unit(("a",)),),)


def test_huge_queries_are_cut_and_bounded():
    parsed = parse_query(" ".join(f"từ{i}" for i in range(5000)))  # ~35 KB
    units = parsed.positive_units
    assert len(units) <= MAX_QUERY_UNITS
    assert sum(len("".join(u.syllables)) for u in units) <= MAX_QUERY_LENGTH
    long_phrase = parse_query('"' + "a " * 10_000 + '"')
    assert len(long_phrase.alternatives[0][0].syllables) == MAX_PHRASE_SYLLABLES
    assert parse_query("đ" * 10_240).alternatives[0][0].syllables == ("đ" * MAX_QUERY_LENGTH,)


def test_queries_are_cut_and_cleaned():
    parsed = parse_query("\u202ecông\x00 " + "x" * (MAX_QUERY_LENGTH * 10))
    units = parsed.positive_units
    assert units[0].text == "công"
    assert sum(len(unit.text) for unit in units) <= MAX_QUERY_LENGTH


def test_nfd_and_nfc_queries_parse_alike():
    text = "Chủ tịch công đoàn -ở"
    assert parse_query(unicodedata.normalize("NFD", text)) == parse_query(text)
    assert parse_query(unicodedata.normalize("NFD", text)).has_marks


# Cleaning ----------------------------------------------------------------------------------------

def test_one_cleaner_for_every_query():
    nfd = unicodedata.normalize("NFD", "Công đoàn")
    assert clean_query_text(f"  {nfd}\n\x00cơ\tsở  ") == "Công đoàn cơ sở"
    assert clean_query_text(None) == ""
    assert len(clean_query_text("đoàn " * 5000)) <= MAX_QUERY_LENGTH
    assert cut_query_text("đoàn " * 5000)[1] and not cut_query_text("đoàn")[1]


# Abbreviations -----------------------------------------------------------------------------------

@pytest.mark.parametrize("short, long", [
    ("CĐCS", ("công", "đoàn", "cơ", "sở")),
    ("cdcs", ("công", "đoàn", "cơ", "sở")),
    ("LĐLĐ", ("liên", "đoàn", "lao", "động")),
    ("NLĐ", ("người", "lao", "động")),
    ("BCH", ("ban", "chấp", "hành")),
    ("CNVCLĐ", ("công", "nhân", "viên", "chức", "lao", "động")),
])
def test_an_abbreviation_also_searches_what_it_stands_for(short, long):
    parsed = parse_query(f"{short} thành lập")
    typed, expanded = parsed.alternatives
    assert syllables_of(typed)[1:] == syllables_of(expanded)[1:] == [("thành",), ("lập",)]
    assert expanded[0] == Unit(long, phrase=True)


def test_what_an_abbreviation_stands_for_also_searches_the_abbreviation():
    for text in ("thành lập công đoàn cơ sở", 'thành lập "Công đoàn cơ sở"', "thành lập cong doan co so"):
        typed, abbreviated = parse_query(text).alternatives
        assert syllables_of(abbreviated) == [("thành",), ("lập",), ("cđcs",)], text
        assert len(typed) in (3, 6)
    assert len(parse_query("công đoàn").alternatives) == 1
    assert len(parse_query(" ".join(["NLĐ"] * 30)).alternatives) <= 8


# Highlights --------------------------------------------------------------------------------------

def test_exact_spellings_are_highlighted_first_when_the_query_has_diacritics():
    parsed = parse_query("cơ sở")
    highlight = highlight_for(parsed, present={"cơ", "sở"})
    assert highlight.matches("cơ") and highlight.matches("sở")
    assert not highlight.matches("có") and not highlight.matches("số")
    fallback = highlight_for(parsed, present={"sở"})  # no "cơ" as written: any spelling of "co"
    assert fallback.matches("có") and fallback.matches("cơ") and not fallback.matches("số")
    unmarked = highlight_for(parse_query("co so"), present=set())
    assert all(map(unmarked.matches, ["có", "cơ", "co", "số", "sở"]))


def test_several_abbreviations_are_also_expanded_together():
    """"BCH CĐCS" stands for "Ban Chấp hành Công đoàn cơ sở": one variant expands both."""
    alternatives = [syllables_of(alternative) for alternative in parse_query("BCH CĐCS").alternatives]
    assert [("ban", "chấp", "hành"), ("công", "đoàn", "cơ", "sở")] in alternatives
    assert [("ban", "chấp", "hành"), ("cđcs",)] in alternatives and [("bch",), ("công", "đoàn", "cơ", "sở")] in alternatives
    long_form = [syllables_of(a) for a in parse_query("ban chấp hành công đoàn cơ sở").alternatives]
    assert [("bch",), ("cđcs",)] in long_form


@pytest.mark.parametrize("short, long", [
    ("BHXH", "bảo hiểm xã hội"), ("HĐLĐ", "hợp đồng lao động"), ("ATVSLĐ", "an toàn vệ sinh lao động"),
    ("TƯLĐTT", "thỏa ước lao động tập thể"), ("KCN", "khu công nghiệp"),
])
def test_the_union_vocabulary_of_abbreviations(short, long):
    assert Unit(tuple(long.split()), phrase=True) in parse_query(short).alternatives[1]
    # Either tone placement of the long form finds the abbreviation (folded alike).
    assert (short.lower(),) in syllables_of(parse_query(long.replace("thỏa", "thoả")).alternatives[1])
