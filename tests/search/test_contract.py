"""The search contract: every backend must pass these, on the same documents.

Runs on Whoosh always, and on PostgreSQL full-text search when TEST_DATABASE_URL is set
(CI sets it). See forum/search/backend.py for the interface.
"""
import dataclasses
import unicodedata
from datetime import UTC, datetime, timedelta

import pytest

from forum.extensions import db
from forum.search.backend import (
    MAX_QUERY_LENGTH,
    Kind,
    SearchDocument,
    SearchQuery,
    Sort,
    Visibility,
)
from tests.helpers import TEST_DATABASE_URL, build_app, destroy_app

ENGINES = ["whoosh"] + (["postgres"] if TEST_DATABASE_URL else [])
PUBLIC = frozenset({Visibility.PUBLIC})
EVERYONE = frozenset(Visibility)
BASE_TIME = datetime(2023, 11, 20, 8, 0, tzinfo=UTC)


@pytest.fixture(params=ENGINES)
def backend(request, tmp_path):
    if request.param == "whoosh":
        from forum.search.whoosh.backend import WhooshBackend

        yield WhooshBackend(tmp_path / "index")
        return
    from forum.search.postgres.backend import PostgresBackend

    app = build_app(request.getfixturevalue("postgres_database"), tmp_path)
    with app.app_context():
        engine = db.engine
    yield PostgresBackend(engine)
    destroy_app(app)


def make_doc(entity_id, body, *, kind=Kind.PROPOSAL, title=None, proposal_id=None, forum_id=1,
             theme_id=None, author_id=1, status="published", visibility=Visibility.PUBLIC,
             created_at=None, support_count=0):
    return SearchDocument(
        kind=kind,
        entity_id=entity_id,
        proposal_id=proposal_id or entity_id,
        forum_id=forum_id,
        theme_id=theme_id,
        author_id=author_id,
        status=status,
        visibility=visibility,
        created_at=created_at or BASE_TIME + timedelta(hours=entity_id),
        support_count=support_count if kind == Kind.PROPOSAL else 0,
        title=(title if title is not None else f"Hiến kế số {entity_id}") if kind == Kind.PROPOSAL else "",
        body=body,
    )


def comment_doc(entity_id, body, *, proposal_id=1, **fields):
    return make_doc(entity_id, body, kind=Kind.COMMENT, proposal_id=proposal_id, **fields)


def keys(page):
    return [hit.key for hit in page.hits]


def search(backend, text, **fields):
    fields.setdefault("visibility", PUBLIC)
    fields.setdefault("per_page", 50)
    return backend.search(SearchQuery(text=text, **fields))


# Vietnamese matching -------------------------------------------------------------------

def test_query_without_diacritics_finds_text_with_them(backend):
    backend.index_documents([
        make_doc(1, "Phát triển đoàn viên trong doanh nghiệp ngoài Nhà nước."),
        make_doc(2, "Nâng cao chất lượng đội ngũ Chủ tịch Công đoàn cơ sở."),
        make_doc(3, "Tổ chức hội thao cho công nhân khu nhà trọ."),
    ])
    assert keys(search(backend, "doan vien")) == ["proposal:1"]
    assert keys(search(backend, "cong doan co so")) == ["proposal:2"]
    assert keys(search(backend, "CONG DOAN CO SO")) == ["proposal:2"]


def test_d_with_stroke_folds_to_d(backend):
    backend.index_documents([make_doc(1, "Đổi mới phương thức Đoàn kết")])
    assert keys(search(backend, "doi moi")) == ["proposal:1"]
    assert keys(search(backend, "Đổi mới")) == ["proposal:1"]


def test_exact_diacritics_rank_first(backend):
    backend.index_documents([
        make_doc(1, "Vận động đoàn viên mới tham gia sinh hoạt đều đặn"),
        make_doc(2, "Không ai đoán trước được khó khăn của sinh hoạt"),
    ])
    assert keys(search(backend, "đoán")) == ["proposal:2", "proposal:1"]
    assert keys(search(backend, "đoàn")) == ["proposal:1", "proposal:2"]
    assert set(keys(search(backend, "doan"))) == {"proposal:1", "proposal:2"}


def test_exact_diacritics_rank_first_for_ban_and_ban(backend):
    backend.index_documents([
        make_doc(1, "Ban chấp hành công đoàn họp định kỳ mỗi quý"),
        make_doc(2, "Bản kiến nghị của công đoàn gửi doanh nghiệp mỗi quý"),
    ])
    assert keys(search(backend, "bản")) == ["proposal:2", "proposal:1"]
    assert keys(search(backend, "ban chấp hành")) == ["proposal:1"]
    assert set(keys(search(backend, "ban"))) == {"proposal:1", "proposal:2"}


def test_nfd_query_behaves_like_nfc(backend):
    backend.index_documents([
        make_doc(1, "Tiếng nói của người lao động"),
        make_doc(2, "Người lao động cần tiếng nói chung với công đoàn cơ sở"),
    ])
    nfc = search(backend, "tiếng nói người lao động")
    nfd = search(backend, unicodedata.normalize("NFD", "tiếng nói người lao động"))
    assert keys(nfc) == keys(nfd) and len(keys(nfc)) == 2


def test_nfd_indexed_text_is_found(backend):
    backend.index_documents([make_doc(1, unicodedata.normalize("NFD", "Góp ý kiến"))])
    assert keys(search(backend, unicodedata.normalize("NFD", "góp ý"))) == ["proposal:1"]


def test_single_letter_syllables_are_kept(backend):
    backend.index_documents([
        make_doc(1, "Đoàn viên góp ý kiến về nhà ở cho công nhân"),
        make_doc(2, "Đoàn viên góp kiến nghị về nhà trọ"),
    ])
    assert keys(search(backend, "ý kiến")) == ["proposal:1"]
    assert keys(search(backend, "y kien")) == ["proposal:1"]
    assert keys(search(backend, "nhà ở")) == ["proposal:1"]


def test_adjacent_syllables_rank_above_scattered_ones(backend):
    # The scattered text is shorter, so plain term scoring alone would prefer it.
    scattered = "Chủ đề: tịch thu; công nhân đoàn kết."
    adjacent = (
        "Nâng cao năng lực cho chủ tịch công đoàn cơ sở. Việc này cần thời gian, kinh phí "
        "và sự phối hợp của nhiều bên trong suốt nhiệm kỳ tới, theo lộ trình rõ ràng."
    )
    backend.index_documents([make_doc(1, scattered), make_doc(2, adjacent)])
    for query in ("chủ tịch công đoàn", "chu tich cong doan"):
        assert keys(search(backend, query)) == ["proposal:2", "proposal:1"], query


def test_a_phrase_in_a_body_outranks_the_same_words_scattered_in_a_title(backend):
    """Titles weigh more than bodies, but not more than the words being a phrase."""
    backend.index_documents([
        make_doc(1, "Đề nghị sửa quy chế bầu cử.",
                 title="Ban hành quy chế: chấp hành nghiêm, công đoàn cơ sở giám sát"),
        make_doc(2, "Cần bồi dưỡng kỹ năng cho ủy viên ban chấp hành công đoàn cơ sở ở doanh nghiệp nhỏ, "
                    "nhất là về thương lượng tập thể và đối thoại tại nơi làm việc.", title="Bồi dưỡng kỹ năng"),
    ])
    for query in ("ban chấp hành công đoàn cơ sở", "ban chap hanh cong doan co so"):
        assert keys(search(backend, query)) == ["proposal:2", "proposal:1"], query


def test_the_phrase_as_typed_outranks_its_syllables_in_other_words(backend):
    """"công đoạn" (a stage of work): a post about công đoàn that mentions a đoạn đường has
    every syllable as typed, but not the word."""
    backend.index_documents([
        make_doc(1, "Công đoàn cơ sở vận động công nhân; công đoàn tổ chức sửa đoạn đường vào khu trọ.",
                 title="Công đoàn và đoạn đường"),
        make_doc(2, "Mỗi công đoạn trên dây chuyền cần một tổ trưởng công đoàn.", title="Tổ trưởng"),
    ])
    assert keys(search(backend, "công đoạn"))[0] == "proposal:2"


def test_an_unmarked_syllable_in_a_marked_query_prefers_the_unmarked_form(backend):
    """"ca đêm" is the night shift; "cả đêm", all night long. The marks of "đêm" say the
    query was typed with care, so "ca" means ca."""
    backend.index_documents([
        make_doc(1, "Công nhân thức cả đêm để hoàn thành đơn hàng, cả đêm không nghỉ.", title="Thức cả đêm"),
        make_doc(2, "Phụ cấp cho người làm ca đêm.", title="Phụ cấp"),
    ])
    assert keys(search(backend, "ca đêm")) == ["proposal:2", "proposal:1"]


def test_both_tone_placements_count_as_typed(backend):
    """hoà and hòa, thuỷ and thủy: one word, two ways of placing its mark."""
    backend.index_documents([
        make_doc(1, "Hoá giải mâu thuẫn trong nhóm.", title="Hóa giải"),
        make_doc(2, "Vai trò của hoà giải viên lao động ở cơ sở.", title="Vai trò"),
    ])
    assert keys(search(backend, "hòa giải viên"))[0] == "proposal:2"
    assert keys(search(backend, "hoà giải"))[0] == "proposal:2"


def test_exact_matches_come_first_through_the_whole_first_page(backend):
    """Every post holding "đoán" as typed comes before every post holding only "đoàn",
    however often the folded word occurs in those (their folded score is higher)."""
    folded_only = [make_doc(n, "Đoàn viên, đoàn viên và đoàn viên: đoàn viên công đoàn cơ sở cần được chăm lo.",
                            title="Đoàn viên đoàn viên") for n in range(1, 9)]
    exact = [make_doc(n, f"Khó đoán trước số đoàn viên mới của năm {2020 + n}.", title=f"Dự báo {n}")
             for n in range(9, 13)]
    backend.index_documents(folded_only + exact)
    found = keys(search(backend, "đoán viên", per_page=10))
    assert sorted(found[:4]) == sorted(d.key for d in exact)
    assert set(found[4:]) <= {d.key for d in folded_only}


def test_a_partly_marked_query_asks_for_its_marked_syllables(backend):
    """"cong đoạn": the marks left out of "cong" say nothing; "đoạn" was typed on purpose."""
    backend.index_documents([
        make_doc(1, "Công đoàn cơ sở vận động công nhân tham gia công đoàn.", title="Công đoàn"),
        make_doc(2, "Mỗi công đoạn trên dây chuyền có tổ trưởng.", title="Dây chuyền"),
    ])
    assert keys(search(backend, "cong đoạn"))[0] == "proposal:2"


def test_quoted_phrase_requires_adjacency(backend):
    backend.index_documents([
        make_doc(1, "Chủ đề là tịch thu, công nhân và đoàn kết"),
        make_doc(2, "Bồi dưỡng chủ tịch công đoàn cơ sở"),
    ])
    assert keys(search(backend, '"chu tich cong doan co so"')) == ["proposal:2"]
    assert keys(search(backend, '"chủ tịch công đoàn"')) == ["proposal:2"]


def test_or_and_exclusion(backend):
    backend.index_documents([
        make_doc(1, "Tăng tiền lương tối thiểu vùng"),
        make_doc(2, "Đóng bảo hiểm xã hội đầy đủ"),
        make_doc(3, "Thành lập công đoàn ở doanh nghiệp FDI"),
        make_doc(4, "Thành lập công đoàn ở doanh nghiệp tư nhân"),
    ])
    assert set(keys(search(backend, "tiền lương OR bảo hiểm"))) == {"proposal:1", "proposal:2"}
    assert keys(search(backend, "cong doan -FDI")) == ["proposal:4"]
    assert keys(search(backend, 'thành lập -"doanh nghiệp FDI"')) == ["proposal:4"]
    assert search(backend, "-FDI").total == 0


# Safe queries ----------------------------------------------------------------------------

def test_field_syntax_cannot_reach_other_fields(backend):
    backend.index_documents([
        make_doc(1, "Nội dung đã bị ẩn", visibility=Visibility.STAFF, status="withdrawn"),
        make_doc(2, "Nội dung công khai"),
    ])
    for query in ("visibility:staff", "status:withdrawn", "hidden:true", "key:proposal\\:1", "kind:proposal"):
        page = search(backend, query)
        assert "proposal:1" not in keys(page), query


@pytest.mark.parametrize("query", ["*", "?", "c*", "*oan", "d?an", "doan~", "doan~2", "[a TO z]", "{a TO z}",
                                   "doan^10", "(cong OR doan", "cong AND", "NOT", "\\", "&&", "||", "!"])
def test_operators_are_not_expanded(backend, query):
    backend.index_documents([make_doc(1, "Công đoàn cơ sở"), make_doc(2, "Đoàn viên")])
    page = search(backend, query)
    assert page.total <= 2
    if query in ("*", "?", "c*", "*oan", "d?an", "[a TO z]", "{a TO z}", "\\", "&&", "||", "!"):
        assert page.total == 0, query


@pytest.mark.parametrize("query", [
    "", "   ", '"', '""', '"cong doan', 'cong doan"', "OR", "OR OR", "-", "--", "- -", '-"', "a OR",
    "👍", "👍 công đoàn 🇻🇳", "\x00\x01công\x7f", "\u202ecông đoàn", "' OR 1=1 --", "<script>alert(1)</script>",
    "đ" * 5000, "công đoàn " * 1000, "a" * 10240,
])
def test_odd_queries_never_fail(backend, query):
    backend.index_documents([make_doc(1, "Công đoàn cơ sở <script>alert(1)</script>")])
    page = search(backend, query)
    assert page.total >= 0 and isinstance(page.hits, list)


def test_empty_query_is_an_empty_page(backend):
    backend.index_documents([make_doc(1, "Công đoàn")])
    for query in ("", "   ", '""', "OR", "-", "👍"):
        page = search(backend, query)
        assert (page.total, page.hits) == (0, []), query


def test_long_queries_are_cut(backend):
    backend.index_documents([make_doc(1, "công đoàn cơ sở")])
    page = search(backend, "công đoàn " + "x" * (MAX_QUERY_LENGTH * 50))
    assert page.total in (0, 1)


# Visibility, filters, sorting, paging ------------------------------------------------------

def test_visibility_is_always_applied_and_counted(backend):
    backend.index_documents([
        make_doc(1, "công đoàn công khai"),
        make_doc(2, "công đoàn đã ẩn", visibility=Visibility.STAFF),
        make_doc(3, "công đoàn diễn đàn nháp", visibility=Visibility.ORGANIZER),
        comment_doc(4, "công đoàn bình luận ẩn", visibility=Visibility.STAFF),
    ])
    public = search(backend, "cong doan")
    assert (keys(public), public.total) == (["proposal:1"], 1)
    staff = search(backend, "cong doan", visibility=frozenset({Visibility.PUBLIC, Visibility.STAFF}))
    assert set(keys(staff)) == {"proposal:1", "proposal:2", "comment:4"} and staff.total == 3
    assert search(backend, "cong doan", visibility=EVERYONE).total == 4


def test_filters(backend):
    backend.index_documents([
        make_doc(1, "đoàn viên", forum_id=1, theme_id=10, status="published"),
        make_doc(2, "đoàn viên", forum_id=2, theme_id=20, status="accepted"),
        comment_doc(3, "đoàn viên", proposal_id=1, forum_id=1, theme_id=10),
        make_doc(4, "đoàn viên", forum_id=1, theme_id=11, created_at=BASE_TIME + timedelta(days=10)),
    ])
    assert set(keys(search(backend, "doan vien", forum_id=1))) == {"proposal:1", "comment:3", "proposal:4"}
    assert set(keys(search(backend, "doan vien", theme_id=10))) == {"proposal:1", "comment:3"}
    assert set(keys(search(backend, "doan vien", kind="comment"))) == {"comment:3"}
    assert set(keys(search(backend, "doan vien", kind="proposal", forum_id=1))) == {"proposal:1", "proposal:4"}
    assert set(keys(search(backend, "doan vien", status="accepted"))) == {"proposal:2"}
    later = search(backend, "doan vien", created_from=BASE_TIME + timedelta(days=5))
    assert keys(later) == ["proposal:4"]
    earlier = search(backend, "doan vien", created_before=BASE_TIME + timedelta(hours=4))
    assert set(keys(earlier)) == {"proposal:1", "proposal:2", "comment:3"}
    assert search(backend, "doan vien", forum_id=99).total == 0


def test_sort_by_supports_and_newest(backend):
    backend.index_documents([
        make_doc(1, "tiền lương", support_count=5),
        make_doc(2, "tiền lương", support_count=50),
        make_doc(3, "tiền lương", support_count=5),
        comment_doc(4, "tiền lương", proposal_id=2),
    ])
    assert keys(search(backend, "tien luong", sort=Sort.SUPPORTS)) == [
        "proposal:2", "proposal:3", "proposal:1", "comment:4"]
    assert keys(search(backend, "tien luong", sort=Sort.NEWEST)) == [
        "comment:4", "proposal:3", "proposal:2", "proposal:1"]


def test_relevance_prefers_title_matches_then_newest_on_ties(backend):
    backend.index_documents([
        make_doc(1, "Nội dung về thương lượng tập thể", title="Hiến kế về nhà ở"),
        make_doc(2, "Nội dung khác hẳn", title="Thương lượng tập thể tại doanh nghiệp"),
        make_doc(3, "Nội dung về thương lượng tập thể", title="Hiến kế về nhà ở"),
    ])
    assert keys(search(backend, "thuong luong tap the")) == ["proposal:2", "proposal:3", "proposal:1"]


def test_pagination_is_exact(backend):
    backend.index_documents([make_doc(i, f"bảo hiểm xã hội lần {i}") for i in range(1, 8)])
    seen = []
    for page_number in (1, 2, 3, 4):
        page = search(backend, "bao hiem", per_page=2, page=page_number, sort=Sort.NEWEST)
        assert page.total == 7 and page.pages == 4
        seen += keys(page)
    assert seen == [f"proposal:{i}" for i in range(7, 0, -1)]
    beyond = search(backend, "bao hiem", per_page=2, page=9)
    assert (beyond.hits, beyond.total) == ([], 7)


# Highlights -----------------------------------------------------------------------------------

def test_folded_matches_are_highlighted_on_the_original_text(backend):
    backend.index_documents([make_doc(1, "Phát triển đoàn viên mới", title="Đoàn viên là gốc")])
    hit = search(backend, "doan vien").hits[0]
    assert "<mark>đoàn</mark>" in hit.body_snippet.lower() or "<mark>đoàn viên</mark>" in hit.body_snippet.lower()
    assert "<mark>" in hit.title_snippet and "Đoàn" in hit.title_snippet


def test_snippets_escape_user_text(backend):
    backend.index_documents([
        make_doc(1, "<script>alert('công đoàn')</script> <b>đậm</b>", title="<img src=x onerror=alert(1)> công đoàn"),
    ])
    hit = search(backend, "cong doan").hits[0]
    for snippet in (hit.title_snippet, hit.body_snippet):
        html = str(snippet)
        assert "<script" not in html and "<img" not in html and "<b>" not in html
        assert html.replace("<mark>", "").replace("</mark>", "").count("<") == 0
    assert "&lt;script&gt;" in str(hit.body_snippet)


def test_comment_hits_have_no_title_and_a_short_snippet(backend):
    long_body = "Mở đầu dài dòng. " * 200 + "Công đoàn cơ sở cần chủ động. " + "Kết thúc dài dòng. " * 200
    backend.index_documents([comment_doc(7, long_body, proposal_id=3)])
    hit = search(backend, "cong doan co so").hits[0]
    assert (hit.kind, hit.entity_id, hit.proposal_id, str(hit.title_snippet)) == ("comment", 7, 3, "")
    text = str(hit.body_snippet).replace("<mark>", "").replace("</mark>", "")
    assert "<mark>" in str(hit.body_snippet) and len(text) <= 320


def test_snippet_shows_the_beginning_when_only_the_title_matches(backend):
    backend.index_documents([make_doc(1, "Nội dung mở đầu của hiến kế.", title="Thương lượng tập thể")])
    hit = search(backend, "thuong luong").hits[0]
    assert str(hit.body_snippet).startswith("Nội dung mở đầu")


def test_a_query_with_diacritics_highlights_exact_spellings_first(backend):
    backend.index_documents([
        make_doc(1, "Chủ tịch công đoàn cơ sở có lúc chú ý cả cờ, cỡ và cố gắng của chị em.",
                 title="Vai trò của chủ tịch công đoàn cơ sở"),
        make_doc(2, "Chu tich cong doan co so viet khong dau", title="Khong dau"),
    ])
    hits = {hit.key: hit for hit in search(backend, "chủ tịch công đoàn cơ sở").hits}
    body, title = str(hits["proposal:1"].body_snippet), str(hits["proposal:1"].title_snippet)
    assert "<mark>cơ</mark>" in body and "<mark>sở</mark>" in body and "<mark>Chủ</mark>" in body
    for other in ("có", "chú", "cờ", "cỡ", "cố", "chị"):
        assert f"<mark>{other}</mark>" not in body, other
    assert "<mark>cơ</mark>" in title and "<mark>chủ</mark>" in title
    # Where the exact spelling does not occur, folded matches are marked.
    assert "<mark>co</mark>" in str(hits["proposal:2"].body_snippet)
    # A query without diacritics marks every spelling.
    unmarked = str(search(backend, "co so").hits[0].body_snippet)
    assert "<mark>có</mark>" in unmarked and "<mark>cơ</mark>" in unmarked


@pytest.mark.parametrize("short, long", [
    ("CĐCS", "Công đoàn cơ sở"),
    ("LĐLĐ", "Liên đoàn Lao động"),
    ("NLĐ", "người lao động"),
    ("BCH", "Ban Chấp hành"),
    ("CNVCLĐ", "công nhân, viên chức, lao động"),
])
def test_union_abbreviations_find_what_they_stand_for(backend, short, long):
    backend.index_documents([
        make_doc(1, f"Kiến nghị gửi {long} tỉnh về nhà trọ"),
        make_doc(2, f"Kiến nghị gửi {short} tỉnh về nhà trọ"),
        make_doc(3, "Kiến nghị gửi doanh nghiệp về nhà trọ"),
    ])
    for query in (short, short.lower(), long, f'"{long}"', f"{long} nhà trọ", f"{short} nhà trọ"):
        assert set(keys(search(backend, query))) == {"proposal:1", "proposal:2"}, query


# Typos --------------------------------------------------------------------------------------------

TYPO_CORPUS = [
    (1, "Phát triển đoàn viên nữ trong doanh nghiệp ngoài Nhà nước."),
    (2, "Chăm lo cho người lao động nữ ở khu nhà trọ."),
    (3, "Đoàn viên công đoàn ký kết thỏa ước lao động tập thể."),
    (4, "Công nhân ven đô ít tham gia sinh hoạt."),
    (5, "Ứng dụng Zalo để kết nối đoàn viên trẻ."),
]


def tolerant(backend, text, **fields):
    from forum.search.spelling import search_tolerating_typos

    fields.setdefault("visibility", PUBLIC)
    fields.setdefault("per_page", 50)
    return search_tolerating_typos(backend, SearchQuery(text=text, **fields))


@pytest.mark.parametrize("typed, meant", [
    ("doan vein nu", "doan vien nu"),  # two letters swapped
    ("ddoan vien nu", "doan vien nu"),  # a doubled letter (Telex's dd without its vowel)
    ("nguoif lao dong", "nguoi lao dong"),  # a Telex tone key left in
    ("ngoi lao dong nu", "nguoi lao dong nu"),  # a missing letter
    ("đoàn viêen nữ", "đoàn vien nữ"),  # an extra letter in a word typed with diacritics
])
def test_a_slip_in_a_syllable_still_finds_what_was_meant(backend, typed, meant):
    backend.index_documents([make_doc(n, body) for n, body in TYPO_CORPUS])
    assert keys(search(backend, typed)) == []  # the typed query alone finds nothing
    answer = tolerant(backend, typed)
    assert answer.corrected == meant and answer.suggestion is None
    assert keys(answer.page) == keys(search(backend, meant)) != []


def test_neighbouring_syllables_choose_the_correction(backend):
    """"vein" is one slip from "ven" (ven đô) and from "vien": after "doan" it is "vien"."""
    backend.index_documents([make_doc(n, body) for n, body in TYPO_CORPUS])
    assert tolerant(backend, "doan vein").corrected == "doan vien"
    assert tolerant(backend, "vein do").corrected == "ven do"


def test_results_of_the_typed_query_come_first_with_a_suggestion(backend):
    """Someone wrote the typo itself: its results are shown, the correction is offered."""
    backend.index_documents([make_doc(n, body) for n, body in TYPO_CORPUS]
                            + [make_doc(9, "Lớp học cho đoàn vein mới (gõ sai).")])
    answer = tolerant(backend, "doan vein")
    assert keys(answer.page) == ["proposal:9"] and answer.corrected is None
    assert answer.suggestion == "doan vien"  # far more common: offered


def test_borrowed_words_the_index_knows_are_never_corrected(backend):
    backend.index_documents([make_doc(n, body) for n, body in TYPO_CORPUS])
    answer = tolerant(backend, "Zalo doan vien")
    assert answer.corrected is None and answer.suggestion is None and keys(answer.page) == ["proposal:5"]
    assert tolerant(backend, "BHXH").corrected is None  # an abbreviation, not a typo


def test_a_correction_only_hidden_documents_contain_is_never_offered(backend):
    backend.index_documents([make_doc(1, "Bàn về tiền lương tối thiểu vùng.", visibility=Visibility.STAFF)])
    answer = tolerant(backend, "tien luogn")
    assert answer.corrected is None and answer.suggestion is None and answer.page.total == 0
    assert tolerant(backend, "tien luogn", visibility=EVERYONE).corrected == "tien luong"


# Index maintenance ----------------------------------------------------------------------------

def test_index_is_an_idempotent_upsert_and_remove_ignores_unknown_keys(backend):
    document = make_doc(1, "nhà trọ công nhân")
    backend.index_documents([document])
    backend.index_documents([document])
    assert search(backend, "nha tro").total == 1
    backend.index_documents([make_doc(1, "khu công nghiệp")])
    assert search(backend, "nha tro").total == 0 and search(backend, "khu cong nghiep").total == 1
    backend.remove_documents(["proposal:1", "proposal:999", "comment:5"])
    assert search(backend, "khu cong nghiep").total == 0


def test_count_updates_reorder_by_supports_and_keep_fingerprints_exact(backend):
    documents = [make_doc(1, "tiền lương", support_count=5), make_doc(2, "tiền lương", support_count=1)]
    backend.index_documents(documents)
    supported = dataclasses.replace(documents[1], support_count=9)
    unindexed = make_doc(3, "tiền lương", support_count=2)  # not in the index yet: added whole
    backend.update_counts([supported, unindexed])
    assert keys(search(backend, "tien luong", sort=Sort.SUPPORTS)) == ["proposal:2", "proposal:1", "proposal:3"]
    expected = {d.key: d.fingerprint for d in (documents[0], supported, unindexed)}
    assert backend.indexed_fingerprints() == expected
    backend.update_counts([dataclasses.replace(supported, support_count=0)])
    assert keys(search(backend, "tien luong", sort=Sort.SUPPORTS)) == ["proposal:1", "proposal:3", "proposal:2"]
    backend.remove_documents(["proposal:2"])
    assert search(backend, "tien luong").total == 2


def test_fingerprints_describe_the_index(backend):
    documents = [make_doc(1, "một"), comment_doc(2, "hai")]
    backend.index_documents(documents)
    assert backend.indexed_fingerprints() == {d.key: d.fingerprint for d in documents}
    backend.remove_documents(["comment:2"])
    assert backend.indexed_fingerprints() == {"proposal:1": documents[0].fingerprint}


def test_rebuild_replaces_everything_and_reports_progress(backend):
    backend.index_documents([make_doc(1, "cũ"), make_doc(2, "cũ")])
    fresh = [make_doc(i, f"mới {i}") for i in range(3, 40)]
    progress = []
    stats = backend.rebuild(iter(fresh), total=len(fresh), progress=progress.append)
    assert stats.documents == len(fresh)
    assert progress and progress[-1] == len(fresh)
    assert set(backend.indexed_fingerprints()) == {d.key for d in fresh}
    assert search(backend, "cu").total == 0 and search(backend, "moi").total == len(fresh)


# Similar proposals ------------------------------------------------------------------------------

def test_similar_proposals(backend):
    backend.index_documents([
        make_doc(1, "…", title="Thành lập Công đoàn cơ sở theo cụm doanh nghiệp nhỏ trong khu công nghiệp"),
        make_doc(2, "…", title="Tổ chức Ngày hội đoàn viên tại nhà trọ công nhân"),
        make_doc(3, "…", title="Thành lập công đoàn cơ sở ở doanh nghiệp FDI", visibility=Visibility.STAFF),
        comment_doc(4, "Thành lập công đoàn cơ sở trong khu công nghiệp", proposal_id=2),
        make_doc(5, "…", title="Công đoàn cơ sở ở khu công nghiệp: thành lập theo cụm"),
    ])
    similar = backend.similar_proposals("thanh lap cong doan co so o khu cong nghiep", visibility=PUBLIC)
    ids = [item.proposal_id for item in similar]
    assert set(ids) == {1, 5}
    assert all(item.score > 0 for item in similar)
    assert backend.similar_proposals("Thành lập công đoàn cơ sở khu công nghiệp", visibility=PUBLIC,
                                     exclude_ids=[1])[0].proposal_id == 5
    assert len(backend.similar_proposals("công đoàn", visibility=PUBLIC, limit=1)) <= 1
    assert backend.similar_proposals("", visibility=PUBLIC) == []
    assert 3 in [item.proposal_id for item in backend.similar_proposals(
        "thành lập công đoàn cơ sở doanh nghiệp FDI", visibility=EVERYONE)]
