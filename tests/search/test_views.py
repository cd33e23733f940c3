"""The search page (/search) and the header search box.

Runs on every (database, engine) pair: SQLite with Whoosh always; PostgreSQL with
Whoosh and with the PostgreSQL backend when TEST_DATABASE_URL is set.
"""
from __future__ import annotations

import re
import unicodedata

import pytest
from markupsafe import Markup

from forum.extensions import db
from forum.search import engines, services
from forum.search.services import ResultHit, SearchResults
from tests.helpers import AuthActions, build_app, destroy_app
from tests.factories import make_comment, make_forum, make_proposal, make_user
from tests.search.pages import ROLES, app, client_as, corpus, index_now, utc  # noqa: F401  (fixtures)

PARTIAL = {"X-Requested-With": "fetch"}


def result_links(html: str) -> list[str]:
    """The link of every result, in order."""
    return re.findall(r'class="(?:search-hit|proposal-item)-title">\s*<a href="([^"]+)"', html)


def search(client, query: str = "", headers=None, **params):
    response = client.get("/search", query_string={"q": query, **params}, headers=headers or {})
    return response, response.get_data(as_text=True)


# Finding ------------------------------------------------------------------------------
def test_a_query_without_diacritics_finds_and_highlights_the_words(app, client, corpus):
    response, html = search(client, "doan vien nu")
    assert response.status_code == 200
    links = result_links(html)
    assert links[0] == corpus.url("nu")
    assert corpus.comment_url("nu", "nu_comment") in links
    # The three syllables are marked on the original text (one highlight for the phrase).
    title = re.search(r'href="%s">(.*?)</a>' % corpus.url("nu"), html).group(1)
    assert re.sub(r"</mark>\s*<mark>", " ", title) == "Phát triển <mark>đoàn viên nữ</mark> trong doanh nghiệp dệt may"
    assert "Tìm thấy 2 kết quả" in html


def test_a_typo_finds_what_was_meant_and_says_so(app, client, corpus):
    """Two letters swapped: the page shows the corrected query's results, says so, and
    links to it with the same filters (and no page number)."""
    response, html = search(client, "doan vein nu", kind="proposal", page=1)
    assert response.status_code == 200
    assert result_links(html)[0] == corpus.url("nu")
    assert "Có phải bạn muốn tìm: <a href=\"/search?q=doan+vien+nu&amp;kind=proposal\"><strong>doan vien nu</strong></a>?" in html
    assert "Không có kết quả nào cho “doan vein nu”, nên dưới đây là kết quả cho “doan vien nu”." in html
    _response, exact = search(client, "doan vien nu")
    assert "Có phải bạn muốn tìm" not in exact


def test_a_correction_in_the_page_is_escaped(app, client, corpus):
    """The rest of the query stays as typed in the correction: markup in it is text."""
    _response, html = search(client, 'doan vein nu -"<script>alert(1)</script>"')
    assert "Có phải bạn muốn tìm" in html
    assert "<script>alert" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_a_quoted_phrase_finds_only_the_adjacent_words(app, client, corpus):
    _response, html = search(client, '"chu tich cong doan co so"')
    assert result_links(html) == [corpus.url("chu_tich")]
    assert "Tìm thấy 1 kết quả" in html
    # Unquoted, the proposal with the syllables scattered matches too, ranked below.
    _response, html = search(client, "chu tich cong doan co so", kind="proposal")
    links = result_links(html)
    assert links[0] == corpus.url("chu_tich")


def test_nfd_input_and_control_characters_behave_like_clean_nfc(app, client, corpus):
    _response, clean = search(client, "đoàn viên nữ")
    _response, nfd = search(client, unicodedata.normalize("NFD", "đoàn viên nữ"))
    _response, noisy = search(client, "đoàn\x00 viên\x1b\u200b nữ")
    assert result_links(clean) == result_links(nfd) == result_links(noisy) != []


def test_a_comment_hit_names_its_author_and_proposal_and_links_to_the_comment(app, client, corpus):
    _response, html = search(client, "ca dem", kind="comment")
    assert result_links(html) == [corpus.comment_url("nu", "nu_comment")]
    assert "Ý kiến của" in html and "về hiến kế “Phát triển đoàn viên nữ trong doanh nghiệp dệt may”" in html
    assert "<mark>ca đêm</mark>" in re.sub(r"</mark>\s*<mark>", " ", html)


def test_a_proposal_hit_shows_its_forum_theme_author_date_supports_and_status(app, client, corpus):
    _response, html = search(client, '"chu tich cong doan co so"')
    card = html[html.index('class="card proposal-item'):]
    for expected in ("Diễn đàn số 1: Đổi mới công tác vận động", "Cán bộ Công đoàn", "Nguyễn Thị Hồng Nhung",
                     "LĐLĐ tỉnh Bình Dương", "06/10/2023", "9 ủng hộ", "Được tiếp thu", "<mark>"):
        assert expected in card, expected


# Who sees what -----------------------------------------------------------------------
VISIBLE = {
    "anonymous": {"nu", "nu_comment"},
    "delegate": {"nu", "nu_comment"},
    "inactive": {"nu", "nu_comment"},  # an organizer whose account is switched off cannot log in
    "moderator": {"nu", "nu_comment", "hidden", "withdrawn", "hidden_comment"},
    "organizer": {"nu", "nu_comment", "hidden", "withdrawn", "hidden_comment", "draft"},
    "admin": {"nu", "nu_comment", "hidden", "withdrawn", "hidden_comment", "draft"},
}


@pytest.mark.parametrize("role", ROLES)
def test_results_and_counts_follow_the_visibility_rules(app, corpus, role):
    client = client_as(app, corpus, role)
    _response, html = search(client, "doan vien nu")
    expected = set()
    for name in VISIBLE[role]:
        if name == "nu_comment":
            expected.add(corpus.comment_url("nu", name))
        elif name == "hidden_comment":
            expected.add(corpus.comment_url("chu_tich", name))
        else:
            expected.add(corpus.url(name))
    assert set(result_links(html)) == expected
    assert f"Tìm thấy {len(expected)} kết quả" in html
    assert ("đã ẩn" in html) == (role in ("moderator", "organizer", "admin"))


@pytest.mark.parametrize("role", ROLES)
def test_the_forum_filter_offers_only_forums_the_viewer_may_see(app, corpus, role):
    client = client_as(app, corpus, role)
    _response, html = search(client, "kien nghi")
    options = re.findall(r'<option value="(\d+)"[^>]*>Số \d+:', html)
    expected = {corpus.forums["open"], corpus.forums["voting"]}
    if role in ("organizer", "admin"):
        expected.add(corpus.forums["draft"])
    assert set(map(int, options)) == expected


def test_a_draft_forum_cannot_be_reached_through_the_filters(app, client, corpus):
    """A delegate naming the draft forum's id gets the public results (the filter is dropped)."""
    client = client_as(app, corpus, "delegate")
    _response, html = search(client, "doan vien nu", forum=corpus.forums["draft"])
    assert set(result_links(html)) == {corpus.url("nu"), corpus.comment_url("nu", "nu_comment")}
    assert "Đoàn viên nữ trong diễn đàn chuẩn bị" not in html


def test_sorting_by_supports_shows_the_real_tallies_of_visible_proposals_only(app, client, corpus):
    _response, html = search(client, "kien nghi", sort="supports")
    assert result_links(html) == [corpus.url("chu_tich"), corpus.url("nu"), corpus.url("scattered")]


# Filters, sorts, pages -------------------------------------------------------------------
@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"forum": "voting"}, ["scattered"]),
        ({"theme": "cadres"}, ["chu_tich"]),
        ({"forum": "voting", "theme": "cadres"}, ["scattered"]),  # a theme of another forum is ignored
        ({"status": "accepted"}, ["chu_tich"]),
        ({"kind": "proposal", "sort": "newest"}, ["scattered", "chu_tich", "nu"]),
        ({"kind": "proposal", "sort": "supports"}, ["chu_tich", "nu", "scattered"]),
        # Local (Vietnam) calendar days, the end day included.
        ({"date_from": "2023-10-06", "date_to": "2023-10-06"}, ["chu_tich"]),
        ({"date_to": "2023-10-05", "sort": "newest"}, ["nu"]),
        ({"date_from": "06/10/2023", "date_to": "10/10/2023", "sort": "newest"}, ["scattered", "chu_tich"]),
    ],
)
def test_filters_and_sorts(app, client, corpus, params, expected):
    params = dict(params)
    if "forum" in params:
        params["forum"] = corpus.forums[params["forum"]]
    if "theme" in params:
        params["theme"] = corpus.themes[params["theme"]]
    response, html = search(client, "kien nghi", **params)
    assert response.status_code == 200
    assert result_links(html) == [corpus.url(name) for name in expected]
    assert f"Tìm thấy {len(expected)} kết quả" in html


def test_filters_are_shown_as_applied(app, client, corpus):
    _response, html = search(client, "kien nghi", forum=corpus.forums["open"], theme=corpus.themes["cadres"],
                             kind="proposal", status="accepted", sort="newest", date_from="2023-10-01")
    assert re.search(r'<option selected value="%d">|<option value="%d" selected>' % ((corpus.forums["open"],) * 2), html)
    assert f'<option value="{corpus.themes["cadres"]}" selected>' in html
    assert re.search(r'<option selected value="accepted">', html)
    assert re.search(r'<option selected value="newest">', html)
    assert 'value="01/10/2023"' in html
    assert "<details class=\"search-filters\" open>" in html and "5 bộ lọc" in html


def test_pages_keep_the_query_and_filters(app, client, corpus):
    with app.app_context():
        forum = make_forum(number=5, slug="hop-tac-xa")
        author = make_user()
        for n in range(22):
            make_proposal(forum, author, title=f"Hợp tác xã số {n}", body="Công đoàn trong hợp tác xã.",
                          created_at=utc(2023, 9, 1, n))
    index_now(app)
    response, html = search(client, "hop tac xa", sort="newest", kind="proposal")
    assert "Tìm thấy 22 kết quả" in html
    assert len(result_links(html)) == 20
    assert "Trang 1 / 2" in html
    next_link = re.search(r'<a rel="next" href="([^"]+)"', html).group(1).replace("&amp;", "&")
    assert "q=hop+tac+xa" in next_link and "sort=newest" in next_link and "page=2" in next_link
    _response, page_two = search(client, "hop tac xa", sort="newest", kind="proposal", page=2)
    assert len(result_links(page_two)) == 2 and 'rel="prev"' in page_two and 'rel="next"' not in page_two
    assert not set(result_links(page_two)) & set(result_links(html))
    _response, beyond = search(client, "hop tac xa", page=9)
    assert "Trang này không có kết quả." in beyond and "Tìm thấy 22 kết quả" in beyond


def test_a_page_costs_the_same_number_of_queries_whatever_its_length(app, client, corpus, count_queries):
    with app.app_context():
        forum = make_forum(number=6, slug="nha-o")
        author = make_user()
        for n in range(21):
            proposal = make_proposal(forum, author, title=f"Nhà ở công nhân {n}", body="Nhà ở xã hội.")
            make_comment(proposal, author, body="Nhà ở cho công nhân thuê.")
    index_now(app)
    counts = []
    for page in (1, 3):  # 20 results, then 2
        with count_queries() as counter:
            _response, html = search(client, "nha o", page=page)
        assert result_links(html)
        counts.append(counter.count)
    assert counts[0] == counts[1]


def test_the_result_count_uses_the_locale_number_format(app, client, monkeypatch):
    def fake_search(user, *, text, page=1, **filters):
        return SearchResults(query=text, hits=[], total=1234, page=page, per_page=20)

    monkeypatch.setattr(services, "search_contributions", fake_search)
    _response, html = search(client, "doan vien")
    assert "Tìm thấy 1.234 kết quả" in html
    client.set_cookie("locale", "en")
    _response, html = search(client, "doan vien")
    assert "Found 1,234 results" in html


# Safety -------------------------------------------------------------------------------
def test_user_text_in_results_is_escaped(app, client):
    with app.app_context():
        forum = make_forum(number=4, slug="an-toan")
        author = make_user(full_name='<img src=x onerror="alert(1)">', unit="<b>Đơn vị</b>")
        proposal = make_proposal(forum, author, title='<script>alert("tiêu đề")</script> đoàn viên <mark>giả</mark>',
                                 body='<iframe src="//evil"></iframe> đoàn viên **đậm**')
        make_comment(proposal, author, body='<b onmouseover="alert(2)">đoàn viên</b>')
    index_now(app)
    _response, html = search(client, "doan vien")
    assert len(result_links(html)) == 2
    for live in ("<script>alert", "<img src=x", "<iframe", "<b onmouseover", "<b>Đơn vị", "<mark>giả"):
        assert live not in html, live
    for escaped in ("&lt;script&gt;", "&lt;img src=x", "&lt;iframe", "&lt;b onmouseover", "&lt;mark&gt;giả"):
        assert escaped in html, escaped


BAD_PARAMS = [
    {"q": "doan", "page": "abc"},
    {"q": "doan", "page": "-5"},
    {"q": "doan", "page": "0"},
    {"q": "doan", "page": "99999999999999999999999"},
    {"q": "doan", "forum": "xyz"},
    {"q": "doan", "forum": "999999"},
    {"q": "doan", "theme": "1e9"},
    {"q": "doan", "kind": "hack"},
    {"q": "doan", "sort": "<script>alert(1)</script>"},
    {"q": "doan", "status": "bogus"},
    {"q": "doan", "date_from": "2023-02-30"},
    {"q": "doan", "date_from": "0001-01-01", "date_to": "9999-12-31"},
    {"q": "doan", "date_to": "<script>"},
    {"q": "doan", "date_from": "2023-12-01", "date_to": "2023-01-01"},
    {"q": "doan vien nu " * 800},
    {"q": "\x00\x01\x02\x03\x7f"},
    {"q": "😀🇻🇳 đoàn 🙏"},
    {"q": '"unbalanced OR - -"'},
    {"q": "hidden:true visibility:staff *ab? fuzzy~2 (x) ^3"},
    {"q": "OR"},
    {"q": "-doan"},
    {"q": ["doan", "vien"], "kind": ["proposal", "comment"]},
]


@pytest.mark.parametrize("params", BAD_PARAMS, ids=range(len(BAD_PARAMS)))
def test_bad_parameters_give_a_sensible_page(app, client, corpus, params):
    response = client.get("/search", query_string=params)
    html = response.get_data(as_text=True)
    assert response.status_code in (200, 422), html[:500]
    assert 'id="search-form"' in html and "Lỗi hệ thống" not in html
    assert "<script>alert" not in html and "<script>\"" not in html


def test_a_bad_date_is_ignored_with_a_message(app, client, corpus):
    response, html = search(client, "kien nghi", kind="proposal", date_from="2023-02-30", date_to="2023-10-05")
    assert response.status_code == 422
    assert "Ngày không hợp lệ, bộ lọc này đã được bỏ qua." in html
    assert set(result_links(html)) == {corpus.url("nu")}  # the valid end date still applies
    # The end before the start: the end is dropped, the start still applies.
    response, html = search(client, "kien nghi", kind="proposal", date_from="2023-10-06", date_to="2023-10-01")
    assert response.status_code == 422
    assert "Ngày kết thúc trước ngày bắt đầu" in html
    assert set(result_links(html)) == {corpus.url("chu_tich"), corpus.url("scattered")}


def test_a_very_long_query_is_cut_with_a_message(app, client, corpus):
    response, html = search(client, "doan vien nu " + "x" * 10_000)
    assert response.status_code == 200
    assert "Từ khóa dài quá 200 ký tự" in html
    assert 'maxlength="200"' in html
    shown = re.search(r'<input [^>]*id="q"[^>]*value="([^"]*)"', html).group(1)
    assert shown.startswith("doan vien nu xxx") and len(shown) == 200


def test_an_engine_failure_is_a_clear_page_not_a_500(app, client, corpus, monkeypatch):
    backend = type(engines.get_backend(app))

    def broken(self, query):
        raise RuntimeError("index unreadable")

    monkeypatch.setattr(backend, "search", broken)
    response, html = search(client, "doan vien")
    assert response.status_code == 503
    assert "Tìm kiếm tạm thời gián đoạn" in html


def test_searching_is_rate_limited(tmp_path):
    app = build_app(f"sqlite:///{tmp_path / 'limited.sqlite3'}", tmp_path, RATELIMIT_ENABLED=True)
    try:
        client = app.test_client()
        for _ in range(60):
            assert client.get("/search?q=doan").status_code == 200
        refused = client.get("/search?q=doan", headers=PARTIAL)
        assert refused.status_code == 429
        assert client.get("/search/similar?title=doan+vien+nu").status_code == 200  # its own budget
    finally:
        destroy_app(app)


# Empty and unmatched queries ------------------------------------------------------------
def test_an_empty_query_shows_tips(app, client, corpus):
    for query in ("", "   ", "\x00"):
        response, html = search(client, query)
        assert response.status_code == 200
        assert "Mẹo tìm kiếm" in html and "Gõ không dấu cũng được" in html
        assert "ngoặc kép" in html and "OR" in html and "dấu trừ" in html
        assert result_links(html) == []
        assert '<a class="search-example" href="/search?q=doan+vien">doan vien</a>' in html


def test_no_results_gives_suggestions(app, client, corpus):
    response, html = search(client, '"xyzzy plugh"', forum=corpus.forums["open"])
    assert response.status_code == 200
    assert "Không tìm thấy kết quả nào cho “&#34;xyzzy plugh&#34;”" in html
    assert "gõ không dấu" in html and "Bỏ dấu ngoặc kép" in html and "Bỏ các bộ lọc" in html


# Live results --------------------------------------------------------------------------
def test_the_live_request_gets_only_the_results(app, client, corpus):
    response, html = search(client, "doan vien nu", headers=PARTIAL)
    assert response.status_code == 200
    assert "<html" not in html and "search-form" not in html
    assert 'data-search-announce="Tìm thấy 2 kết quả"' in html
    assert result_links(html)[0] == corpus.url("nu")
    assert "X-Requested-With" in response.headers["Vary"]
    full, page = search(client, "doan vien nu")
    assert "X-Requested-With" in full.headers["Vary"]
    assert "data-live-search" in page and 'src="/static/js/search.js"' in page
    assert "data-search-results" in page and 'role="status"' in page


def test_the_live_request_reports_bad_dates_too(app, client, corpus):
    response, html = search(client, "doan", headers=PARTIAL, date_from="31/02/2023")
    assert response.status_code == 422
    assert "Ngày không hợp lệ" in html and "<html" not in html


# The header search box ---------------------------------------------------------------
def test_every_page_has_the_header_search_box_but_the_search_page(app, client, corpus):
    pages = ["/", f"/forums/{corpus.slugs['open']}", corpus.url("nu"), "/login", "/no-such-page"]
    for path in pages:
        html = client.get(path).get_data(as_text=True)
        assert re.search(r'<form class="header-search" role="search" method="get" action="/search">', html), path
        assert '<label class="visually-hidden" for="header-search-q">' in html, path
        assert 'id="header-search-q" type="search" name="q"' in html, path
        assert '<span class="visually-hidden">Tìm kiếm</span>' in html, path  # the button's name
    AuthActions(client).login(corpus.emails["delegate"])
    assert 'class="header-search"' in client.get("/profile").get_data(as_text=True)
    _response, html = search(client, "doan")
    assert 'class="header-search"' not in html and html.count('name="q"') == 1


def test_the_header_box_leads_to_the_results(app, client, corpus):
    response = client.get("/search", query_string={"q": "doan vien nu"})  # what the header form sends
    assert response.status_code == 200
    assert corpus.url("nu") in result_links(response.get_data(as_text=True))


def test_stale_index_entries_are_not_shown(app, client, corpus):
    """Hidden after indexing, before the drain: the page re-checks the database."""
    from forum.proposals.models import Proposal

    with app.app_context():
        db.session.get(Proposal, corpus.proposals["nu"]).is_hidden = True
        db.session.commit()
    _response, html = search(client, "doan vien nu", kind="proposal")
    assert corpus.url("nu") not in result_links(html)


def test_result_hits_are_markup_from_the_backend(app, corpus):
    """The template prints snippets as they come: they must already be Markup."""
    with app.test_request_context():
        results = services.search_contributions(None, text="doan vien nu")
    assert results.hits and all(isinstance(hit, ResultHit) for hit in results.hits)
    assert all(isinstance(hit.body_snippet, Markup) and isinstance(hit.title_snippet, Markup) for hit in results.hits)


def test_snippets_lose_bold_markers_and_join_adjacent_highlights():
    from forum.search.backend import MARK_END, MARK_START, render_snippet
    from forum.search.views import search_snippet

    marked = render_snippet(f"**{MARK_START}công{MARK_END}** {MARK_START}đoàn{MARK_END} </mark> <mark>x")
    assert search_snippet(marked) == Markup("<mark>công đoàn</mark> &lt;/mark&gt; &lt;mark&gt;x")
    assert isinstance(search_snippet(marked), Markup)
    assert search_snippet("<b>plain</b>") == "<b>plain</b>" and not isinstance(search_snippet("<b>"), Markup)
