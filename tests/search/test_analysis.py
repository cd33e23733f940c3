"""Vietnamese analysis: the token streams the Whoosh index is built from."""
import pickle
import unicodedata

import pytest
from whoosh.formats import Frequency, Positions

from forum.search.analysis import (
    FIELD_SEPARATOR,
    VietnameseAnalyzer,
    index_terms,
    vi_bigram_analyzer,
    vi_exact_analyzer,
    vi_fold_analyzer,
)
from forum.search.query import fold, has_marks, syllables

EXACT = VietnameseAnalyzer(fold=False)
FOLDED = VietnameseAnalyzer(fold=True)
MARKED = VietnameseAnalyzer(fold=False, marked_only=True)
BIGRAMS = VietnameseAnalyzer(bigrams=True)

SAMPLES = [
    "Nâng cao chất lượng đội ngũ Chủ tịch Công đoàn cơ sở",
    "Đoàn viên góp ý kiến về nhà ở cho công nhân, ở khu trọ!",
    "CHỦ TỊCH CÔNG ĐOÀN phải lắng nghe (ý kiến) của đoàn viên...",
    "công-đoàn;cơ.sở 2023 - 30/11 e-mail: x_y",
    "",
    "👍 🇻🇳 ?!",
    f"Tiêu đề ở đây{FIELD_SEPARATOR}Nội dung ý kiến đoàn viên",
]


def texts(analyzer, value, **kwargs):
    return [t.text for t in analyzer(value, **kwargs)]


def reference_fold(text):
    """The contract's definition: NFD, drop every combining mark, đ/Đ → d/D."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(c for c in decomposed if unicodedata.category(c) != "Mn")


def test_nfc_and_nfd_give_the_same_tokens():
    nfc = "Tiếng nói của người lao động"
    nfd = unicodedata.normalize("NFD", nfc)
    assert nfd != nfc
    assert texts(EXACT, nfd) == texts(EXACT, nfc) == ["tiếng", "nói", "của", "người", "lao", "động"]
    assert texts(FOLDED, nfd) == ["tieng", "noi", "cua", "nguoi", "lao", "dong"]


def test_single_letter_syllables_are_kept():
    assert texts(EXACT, "góp ý kiến về nhà ở") == ["góp", "ý", "kiến", "về", "nhà", "ở"]
    assert texts(FOLDED, "Ý kiến, Ở nhà") == ["y", "kien", "o", "nha"]


def test_d_with_stroke_folds_to_d():
    assert fold("Đoàn viên đông đảo") == "Doan vien dong dao"
    assert texts(FOLDED, "ĐOÀN Đường đ") == ["doan", "duong", "d"]
    # Unicode decomposition alone would leave đ alone: that is why the map is explicit.
    assert unicodedata.normalize("NFD", "đ") == "đ"


def test_uppercase_is_lowered_before_folding():
    assert texts(EXACT, "CÔNG ĐOÀN Cơ Sở") == ["công", "đoàn", "cơ", "sở"]
    assert texts(FOLDED, "CÔNG ĐOÀN Cơ Sở") == ["cong", "doan", "co", "so"]


def test_punctuation_splits_syllables_and_is_dropped():
    assert texts(EXACT, "công-đoàn;cơ.sở (ý) «kiến» “nói”") == ["công", "đoàn", "cơ", "sở", "ý", "kiến", "nói"]
    assert texts(EXACT, "hidden:true c* d?an doan~2 a^3") == ["hidden", "true", "c", "d", "an", "doan", "2", "a", "3"]
    assert texts(EXACT, "👍 🇻🇳 ?! \u202e") == []


def test_fold_matches_the_contract_definition_for_every_latin_letter():
    for code in list(range(0x41, 0x250)) + list(range(0x1E00, 0x1F00)):
        char = chr(code)
        assert fold(char) == reference_fold(char), hex(code)
    vietnamese = "aàảãáạăằẳẵắặâầẩẫấậeèẻẽéẹêềểễếệiìỉĩíịoòỏõóọôồổỗốộơờởỡớợuùủũúụưừửữứựyỳỷỹýỵđ"
    assert {fold(c) for c in vietnamese} == set("aeiouyd")
    assert {fold(c) for c in vietnamese.upper()} == set("AEIOUYD")


def test_has_marks():
    assert has_marks("đoàn") and has_marks("Ý") and has_marks(unicodedata.normalize("NFD", "sở"))
    assert not has_marks("doan vien") and not has_marks("CONG DOAN 2023")


def test_marked_only_keeps_the_syllables_with_diacritics():
    assert texts(MARKED, "Ban chấp hành công đoàn họp định kỳ") == ["chấp", "hành", "công", "đoàn", "họp", "định", "kỳ"]


def test_bigrams_pair_adjacent_folded_syllables_and_never_cross_the_title():
    tokens = [(t.text, t.pos) for t in BIGRAMS(f"Chủ tịch{FIELD_SEPARATOR}công đoàn cơ sở", positions=True)]
    assert tokens == [("chu tich", 0), ("cong doan", 3), ("doan co", 4), ("co so", 5)]


@pytest.mark.parametrize("sample", SAMPLES)
def test_fused_analyzer_equals_the_composable_chains(sample):
    for fused, chain in ((EXACT, vi_exact_analyzer()), (FOLDED, vi_fold_analyzer()), (BIGRAMS, vi_bigram_analyzer())):
        expected = [(t.text, t.pos, t.startchar, t.endchar) for t in chain(sample, positions=True, chars=True)]
        actual = [(t.text, t.pos, t.startchar, t.endchar) for t in fused(sample, positions=True, chars=True)]
        assert actual == expected


def test_character_offsets_point_at_the_original_syllables():
    text = "Phát triển ĐOÀN VIÊN công đoàn"
    spans = [text[t.startchar:t.endchar] for t in FOLDED(text, chars=True)]
    assert spans == ["Phát", "triển", "ĐOÀN", "VIÊN", "công", "đoàn"]


def test_index_weights_are_bm25_impacts_and_titles_weigh_more():
    body = FOLDED("công đoàn công đoàn đoàn viên", boosts=True)
    weights = {}
    for token in body:
        weights[token.text] = weights.get(token.text, 0.0) + token.boost
    assert weights["cong"] == pytest.approx(FOLDED.impact(2, 6))
    assert weights["doan"] > weights["cong"] > weights["vien"]
    assert FOLDED.impact(1, 6) < FOLDED.impact(2, 6) < 2.2  # saturates below k1 + 1
    titled = {t.text: t.boost for t in FOLDED(f"đoàn viên{FIELD_SEPARATOR}công", boosts=True)}
    assert titled["doan"] > titled["cong"]
    assert FOLDED.impact(1, 10) > FOLDED.impact(1, 200)  # longer documents weigh less


@pytest.mark.parametrize("sample", SAMPLES)
def test_index_terms_equals_what_the_analyzers_make_whoosh_index(sample):
    analyzers = {"text": FOLDED, "text_exact": MARKED, "bigrams": BIGRAMS}
    fast = index_terms(sample, analyzers)
    for name, analyzer in analyzers.items():
        fmt = Positions() if name == "bigrams" else Frequency()
        expected = {w: (freq, weight, value) for w, freq, weight, value in fmt.word_values(sample, analyzer)}
        count, frequencies, weights, positions = fast[name]
        assert count == sum(freq for freq, _, _ in expected.values())
        assert set(frequencies) == set(weights) == set(expected)
        for term, freq in frequencies.items():
            assert freq == expected[term][0]
            assert weights[term] == pytest.approx(expected[term][1])
            if name == "bigrams":
                assert fmt.encode(list(positions[term])) == expected[term][2]
        assert (positions is None) == (name != "bigrams")


def test_analyzers_compare_and_pickle_by_value():
    assert VietnameseAnalyzer(fold=True) == VietnameseAnalyzer(fold=True)
    assert VietnameseAnalyzer(fold=True) != VietnameseAnalyzer(fold=False)
    assert VietnameseAnalyzer(bigrams=True) != VietnameseAnalyzer(bigrams=True, title_weight=3.0)
    for analyzer in (FOLDED, BIGRAMS, vi_fold_analyzer(), vi_bigram_analyzer()):
        assert pickle.loads(pickle.dumps(analyzer)) == analyzer


def test_syllables_helper():
    assert syllables(unicodedata.normalize("NFD", "Chủ tịch, CÔNG ĐOÀN!")) == ["chủ", "tịch", "công", "đoàn"]
