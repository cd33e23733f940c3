"""The home page (list of forums) and the forum page (details and proposal list)."""
import re
from datetime import UTC, date, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import sqlalchemy as sa

from forum.extensions import db
from forum.forums.models import Forum
from forum.proposals.models import Proposal
from forum.proposals.counts import recount_public_counts
from tests.helpers import AuthActions
from tests.factories import make_comment, make_forum, make_proposal, make_support, make_user, make_user_of_role

ROLES = [None, "delegate", "moderator", "organizer", "admin"]
BASE_TIME = datetime(2023, 11, 1, 8, 0, tzinfo=UTC)


@pytest.fixture
def visit(app):
    """``visit(role)`` → a test client logged in with a new user of ``role`` (None: anonymous)."""

    def client_for(role):
        client = app.test_client()
        if role is not None:
            with app.app_context():
                email = make_user_of_role(role).email
            assert AuthActions(client).login(email).status_code == 302
        return client

    return client_for


def html_of(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def listed_titles(html: str) -> list[str]:
    """Proposal titles in the order the forum page lists them."""
    return re.findall(r'class="proposal-item-title"><a href="/proposals/\d+">([^<]*)</a>', html)


# Home page -------------------------------------------------------------------------------

def test_home_lists_forums_in_number_order_with_date_and_phase(app, client):
    with app.app_context():
        make_forum(number=3, title="Chuyển đổi số trong công đoàn", phase="closed")
        make_forum(number=1, title="Phát triển đoàn viên khu vực ngoài nhà nước", phase="open")
        make_forum(number=2, title="Nâng cao chất lượng chủ tịch công đoàn cơ sở", phase="voting")
    html = html_of(client.get("/"))
    positions = [html.index(t) for t in ("Phát triển đoàn viên khu vực", "Nâng cao chất lượng", "Chuyển đổi số")]
    assert positions == sorted(positions)
    assert "Diễn đàn số 1" in html and "Diễn đàn số 3" in html
    assert "30/11/2023" in html
    assert '<span class="badge badge-open">Đang nhận hiến kế</span>' in html
    assert '<span class="badge badge-voting">Đang bình chọn</span>' in html
    assert '<span class="badge badge-closed">Đã kết thúc</span>' in html
    assert 'href="/forums/dien-dan-1"' in html


def test_home_explains_the_platform(client):
    html = html_of(client.get("/"))
    assert "<h1" in html
    assert "15 triệu đoàn viên" in html and "2028" in html
    for verb in ("Gửi hiến kế", "Thảo luận", "Ủng hộ"):
        assert verb in html


def test_home_marks_sample_forums_and_explains_the_marker(app, client):
    with app.app_context():
        make_forum(number=1, title="Tên chính thức", is_sample=False)
    assert "Mẫu" not in html_of(client.get("/"))
    with app.app_context():
        make_forum(number=2, title="Tên minh họa", is_sample=True)
    html = html_of(client.get("/"))
    assert html.count('<span class="badge badge-sample">Mẫu</span>') == 2  # the card and the explanation
    assert "Ban Tổ chức sẽ thay bằng tên chính thức" in html


def test_home_shows_public_counts(app, client):
    with app.app_context():
        forum = make_forum(number=1)
        author, commenter, supporter = make_user(), make_user(), make_user()
        proposal = make_proposal(forum, author)
        make_proposal(forum, author)
        make_proposal(forum, author, is_hidden=True)
        make_proposal(forum, author, status="withdrawn")
        make_comment(proposal, commenter)
        make_support(proposal, supporter)
    html = html_of(client.get("/"))
    assert re.search(r"<dt>Hiến kế</dt>\s*<dd>2</dd>", html)
    assert re.search(r"<dt>Người tham gia</dt>\s*<dd>3</dd>", html)


def test_home_formats_large_counts_with_a_thousands_separator(app, client):
    with app.app_context():
        forum = make_forum(number=1)
        author = make_user()
        db.session.execute(sa.insert(Proposal), [
            {"forum_id": forum.id, "author_id": author.id, "title": f"Hiến kế {n}", "body": "x", "body_html": "<p>x</p>"}
            for n in range(1628)
        ])
        recount_public_counts()  # a bulk insert, like a data import, then the counters
        db.session.commit()
    html = html_of(client.get("/"))
    assert re.search(r"<dt>Hiến kế</dt>\s*<dd>1.628</dd>", html)


@pytest.mark.parametrize("role, sees_draft", list(zip(ROLES, [False, False, False, True, True])))
def test_home_shows_draft_forums_only_to_organizers_and_admins(app, visit, role, sees_draft):
    with app.app_context():
        make_forum(number=1, title="Diễn đàn đang mở", phase="open")
        make_forum(number=2, title="Diễn đàn đang chuẩn bị", phase="draft")
    html = html_of(visit(role).get("/"))
    assert "Diễn đàn đang mở" in html
    assert ("Diễn đàn đang chuẩn bị" in html) is sees_draft


def test_home_without_forums_says_so(client):
    assert "Chưa có diễn đàn nào được công bố" in html_of(client.get("/"))


def test_home_escapes_forum_titles(app, client):
    with app.app_context():
        make_forum(number=1, title="<script>alert(1)</script>")
    html = html_of(client.get("/"))
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


# Forum page: details ---------------------------------------------------------------------

def make_detailed_forum(**fields):
    forum = make_forum(number=1, slug="phat-trien-doan-vien", title="Phát triển đoàn viên", **fields)
    forum.held_on = date(2023, 11, 30)
    forum.time_of_day = "8h00 – 11h30"
    forum.venue = "Trung tâm Hội nghị Quốc gia, Hà Nội"
    forum.keynote = "Đổi mới phương thức tập hợp người lao động"
    forum.description = "Thảo luận giải pháp đột phá.\nHướng tới 15 triệu đoàn viên."
    forum.chairs = [
        {"name": "Trần Văn Thuật", "position": "Phó Chủ tịch Tổng LĐLĐ Việt Nam"},
        {"name": "Nguyễn Đình Khang", "position": "Chủ tịch Tổng LĐLĐ Việt Nam"},
    ]
    forum.themes[0].description = "Thu hút người lao động vào công đoàn."
    db.session.commit()
    return forum


def test_forum_page_shows_the_forum_details(app, client):
    with app.app_context():
        forum = make_detailed_forum()
        author = make_user()
        make_proposal(forum, author, theme=forum.themes[0])
        make_proposal(forum, author, theme=forum.themes[0])
        make_proposal(forum, author, theme=forum.themes[1])
        make_proposal(forum, author, theme=forum.themes[1], is_hidden=True)
    html = html_of(client.get("/forums/phat-trien-doan-vien"))
    assert '<h1 class="forum-title">Phát triển đoàn viên</h1>' in html
    for text in ("30/11/2023", "8h00 – 11h30", "Trung tâm Hội nghị Quốc gia, Hà Nội",
                 "Đổi mới phương thức tập hợp người lao động", "Hướng tới 15 triệu đoàn viên.",
                 "Phó Chủ tịch Tổng LĐLĐ Việt Nam", "Thu hút người lao động vào công đoàn."):
        assert text in html
    # Chairs in the order the organizers entered them, not alphabetically.
    assert html.index("Trần Văn Thuật") < html.index("Nguyễn Đình Khang")
    # Per-theme counts of public proposals.
    assert re.search(r"Phát triển đoàn viên</a>\s*</h3>\s*<p[^>]*>Thu hút[^<]*</p>\s*<p[^>]*>2 hiến kế</p>", html)
    assert re.search(r"Cán bộ Công đoàn</a>\s*</h3>\s*<p[^>]*>1 hiến kế</p>", html)


def test_forum_page_marks_a_sample_forum(app, client):
    with app.app_context():
        make_forum(number=1, slug="mau", is_sample=True)
        make_forum(number=2, slug="chinh-thuc")
    assert "Ban Tổ chức sẽ thay bằng tên chính thức" in html_of(client.get("/forums/mau"))
    assert "Mẫu" not in html_of(client.get("/forums/chinh-thuc"))


@pytest.mark.parametrize("phase, explanation", [
    ("open", "Diễn đàn đang nhận hiến kế."),
    ("voting", "Diễn đàn đã ngừng nhận hiến kế"),
    ("closed", "Diễn đàn đã kết thúc."),
])
def test_forum_page_explains_what_the_phase_allows(app, client, phase, explanation):
    with app.app_context():
        make_forum(number=1, slug="d", phase=phase)
    assert explanation in html_of(client.get("/forums/d"))


def test_open_forum_offers_the_proposal_button_to_logged_in_users(app, visit):
    with app.app_context():
        make_forum(number=1, slug="d", phase="open")
    html = html_of(visit("delegate").get("/forums/d"))
    assert '<a class="button button-primary forum-cta" href="/forums/d/proposals/new">Gửi hiến kế</a>' in html


def test_open_forum_sends_anonymous_visitors_to_login_first(app, client):
    with app.app_context():
        make_forum(number=1, slug="d", phase="open")
    html = html_of(client.get("/forums/d"))
    match = re.search(r'<a class="button button-primary forum-cta" href="([^"]+)">Gửi hiến kế</a>', html)
    assert match
    url = urlsplit(match.group(1).replace("&amp;", "&"))
    assert url.path == "/login"
    assert parse_qs(url.query)["next"] == ["/forums/d/proposals/new"]


@pytest.mark.parametrize("phase, role", [("voting", "delegate"), ("closed", "delegate"), ("closed", None), ("draft", "organizer")])
def test_forum_not_accepting_proposals_has_no_proposal_button(app, visit, phase, role):
    with app.app_context():
        make_forum(number=1, slug="d", phase=phase)
    html = html_of(visit(role).get("/forums/d"))
    assert "forum-cta" not in html
    assert "/proposals/new" not in html


def test_unknown_forum_is_404(client):
    assert client.get("/forums/khong-ton-tai").status_code == 404


@pytest.mark.parametrize("role, status", list(zip(ROLES, [404, 404, 404, 200, 200])))
def test_draft_forum_page_is_visible_only_to_organizers_and_admins(app, visit, role, status):
    with app.app_context():
        make_forum(number=1, slug="nhap", phase="draft", title="Diễn đàn chuẩn bị")
    response = visit(role).get("/forums/nhap")
    assert response.status_code == status
    assert ("Diễn đàn chuẩn bị" in response.get_data(as_text=True)) is (status == 200)


# Forum page: proposal list ---------------------------------------------------------------

def test_proposal_items_show_author_theme_date_counts_and_links(app, client):
    with app.app_context():
        forum = make_forum(number=1, slug="d", phase="open")
        author = make_user(full_name="Phạm Thị Hoa", unit="Công đoàn Tập đoàn Dệt May")
        proposal = make_proposal(forum, author, title="Thành lập công đoàn cơ sở sớm", theme=forum.themes[1],
                                 created_at=datetime(2023, 11, 20, 20, 0, tzinfo=UTC))
        for _ in range(2):
            make_support(proposal, make_user())
        make_comment(proposal, make_user())
        proposal_id = proposal.id
    html = html_of(client.get("/forums/d"))
    assert listed_titles(html) == ["Thành lập công đoàn cơ sở sớm"]
    assert f'href="/proposals/{proposal_id}"' in html
    assert f'href="/proposals/{proposal_id}#comments">1 ý kiến</a>' in html
    assert "Phạm Thị Hoa" in html and "Công đoàn Tập đoàn Dệt May" in html
    assert "<span>Cán bộ Công đoàn</span>" in html
    assert "21/11/2023" in html  # 20:00 UTC is the next morning in Vietnam
    assert re.search(r"data-support-count>2</span>", html)


def test_proposal_item_shows_a_status_badge_for_non_default_statuses(app, client):
    with app.app_context():
        forum = make_forum(number=1, slug="d")
        author = make_user()
        make_proposal(forum, author, title="Được chọn", status="accepted")
        make_proposal(forum, author, title="Bình thường")
    html = html_of(client.get("/forums/d"))
    assert '<span class="badge badge-status badge-status-accepted">Được tiếp thu</span>' in html
    assert "badge-status-published" not in html


def test_logged_in_user_sees_which_proposals_they_support(app, visit):
    with app.app_context():
        forum = make_forum(number=1, slug="d", phase="open")
        author = make_user()
        supporter = make_user()
        email = supporter.email
        supported = make_proposal(forum, author, title="Đã ủng hộ", created_at=BASE_TIME)
        make_proposal(forum, author, title="Chưa ủng hộ", created_at=BASE_TIME + timedelta(hours=1))
        make_support(supported, supporter)
    client = visit(None)
    AuthActions(client).login(email)
    html = html_of(client.get("/forums/d?sort=newest"))
    assert html.count('aria-pressed="true"') == 1
    assert html.count('aria-pressed="false"') == 1
    assert html.index('aria-pressed="false"') < html.index('aria-pressed="true"')  # newest first


def test_withdrawn_proposals_are_never_listed(app, visit):
    with app.app_context():
        forum = make_forum(number=1, slug="d")
        make_proposal(forum, make_user(), title="Đã rút lại", status="withdrawn")
        make_proposal(forum, make_user(), title="Vẫn còn")
    for role in ROLES:
        html = html_of(visit(role).get("/forums/d"))
        assert listed_titles(html) == ["Vẫn còn"]
        assert "Đã rút lại" not in html


@pytest.mark.parametrize("role, sees_hidden", list(zip(ROLES, [False, False, True, True, True])))
def test_hidden_proposals_are_listed_only_for_staff_with_a_badge(app, visit, role, sees_hidden):
    with app.app_context():
        forum = make_forum(number=1, slug="d")
        make_proposal(forum, make_user(), title="Bị ẩn đi", is_hidden=True, created_at=BASE_TIME)
        make_proposal(forum, make_user(), title="Công khai", created_at=BASE_TIME + timedelta(hours=1))
    html = html_of(visit(role).get("/forums/d?sort=newest"))
    assert listed_titles(html) == (["Công khai", "Bị ẩn đi"] if sees_hidden else ["Công khai"])
    assert ('<span class="badge badge-hidden">Đã ẩn</span>' in html) is sees_hidden
    # The per-theme counts are public: the hidden proposal is not counted, even for staff.
    assert re.search(r"Phát triển đoàn viên</a>\s*</h3>\s*<p[^>]*>1 hiến kế</p>", html)


def make_sortable_forum():
    forum = make_forum(number=1, slug="d", themes=("Đoàn viên", "Cán bộ"))
    author = make_user()
    fans = [make_user() for _ in range(3)]
    popular = make_proposal(forum, author, title="Nhiều ủng hộ", theme=forum.themes[0], created_at=BASE_TIME)
    talked = make_proposal(forum, author, title="Nhiều ý kiến", theme=forum.themes[1],
                           created_at=BASE_TIME + timedelta(days=1))
    make_proposal(forum, author, title="Mới nhất", theme=forum.themes[0], created_at=BASE_TIME + timedelta(days=2))
    make_proposal(forum, author, title="Được ghim", theme=forum.themes[1], is_pinned=True,
                  created_at=BASE_TIME - timedelta(days=5))
    for fan in fans:
        make_support(popular, fan)
        make_comment(talked, fan)
    make_support(talked, fans[0])
    return forum


@pytest.mark.parametrize("query, expected", [
    ("", ["Được ghim", "Nhiều ủng hộ", "Nhiều ý kiến", "Mới nhất"]),
    ("?sort=supports", ["Được ghim", "Nhiều ủng hộ", "Nhiều ý kiến", "Mới nhất"]),
    ("?sort=newest", ["Được ghim", "Mới nhất", "Nhiều ý kiến", "Nhiều ủng hộ"]),
    ("?sort=discussed", ["Được ghim", "Nhiều ý kiến", "Mới nhất", "Nhiều ủng hộ"]),
    ("?sort=%3Cscript%3E", ["Được ghim", "Nhiều ủng hộ", "Nhiều ý kiến", "Mới nhất"]),
])
def test_forum_page_sorts_proposals_pinned_first(app, client, query, expected):
    with app.app_context():
        make_sortable_forum()
    assert listed_titles(html_of(client.get(f"/forums/d{query}"))) == expected


def test_sort_form_is_a_get_form_with_labelled_selects_and_keeps_the_choice(app, client):
    with app.app_context():
        theme_id = make_sortable_forum().themes[1].id
    html = html_of(client.get(f"/forums/d?sort=discussed&theme={theme_id}"))
    # Back at the list after "Xem" (no JavaScript); applied on change by static/js/filters.js.
    form = re.search(r'<form method="get" action="/forums/d#proposals"([^>]*)>(.*?)</form>', html, re.S)
    assert form and "data-auto-submit" in form.group(1)
    body = form.group(2)
    assert '<label class="label" for="filter-sort">' in body and '<select id="filter-sort" name="sort">' in body
    assert '<label class="label" for="filter-theme">' in body and '<select id="filter-theme" name="theme">' in body
    assert '<option value="discussed" selected>' in body
    assert f'<option value="{theme_id}" selected>' in body
    assert '<button type="submit"' in body


def test_forum_page_filters_by_theme(app, client):
    with app.app_context():
        forum = make_sortable_forum()
        theme_id = forum.themes[1].id
    html = html_of(client.get(f"/forums/d?theme={theme_id}"))
    assert listed_titles(html) == ["Được ghim", "Nhiều ý kiến"]
    assert "Đang xem nhóm vấn đề: Cán bộ." in html


@pytest.mark.parametrize("value", ["xyz", "", "-1", "0", "99999999999999999999999", "foreign"])
def test_invalid_or_foreign_theme_shows_the_unfiltered_list(app, client, value):
    with app.app_context():
        make_sortable_forum()
        foreign = make_forum(number=2, slug="khac", themes=("Khác",)).themes[0].id
    query = f"?theme={foreign}" if value == "foreign" else f"?theme={value}"
    html = html_of(client.get(f"/forums/d{query}"))
    assert len(listed_titles(html)) == 4
    assert "Đang xem nhóm vấn đề" not in html


@pytest.fixture
def paged_forum(app):
    """Five proposals, newest first: 'Hiến kế 5' … 'Hiến kế 1'."""
    with app.app_context():
        forum = make_forum(number=1, slug="d")
        author = make_user()
        for n in range(1, 6):
            make_proposal(forum, author, title=f"Hiến kế {n}", created_at=BASE_TIME + timedelta(hours=n))


@pytest.mark.parametrize("app_overrides", [{"PROPOSALS_PER_PAGE": 2}])
def test_forum_page_is_paginated(client, paged_forum):
    first = html_of(client.get("/forums/d?sort=newest"))
    assert listed_titles(first) == ["Hiến kế 5", "Hiến kế 4"]
    assert "Trang 1 / 3" in first
    next_link = re.search(r'<a rel="next" href="([^"]+)"', first).group(1).replace("&amp;", "&")
    assert parse_qs(urlsplit(next_link).query) == {"sort": ["newest"], "page": ["2"]}
    assert listed_titles(html_of(client.get(next_link))) == ["Hiến kế 3", "Hiến kế 2"]
    last = html_of(client.get("/forums/d?sort=newest&page=3"))
    assert listed_titles(last) == ["Hiến kế 1"]
    assert 'rel="next"' not in last


@pytest.mark.parametrize("app_overrides", [{"PROPOSALS_PER_PAGE": 2}])
@pytest.mark.parametrize("page, expected", [
    ("abc", ["Hiến kế 5", "Hiến kế 4"]),
    ("-1", ["Hiến kế 5", "Hiến kế 4"]),
    ("0", ["Hiến kế 5", "Hiến kế 4"]),
    ("", ["Hiến kế 5", "Hiến kế 4"]),
    ("4", ["Hiến kế 1"]),  # past the end: the last page
    ("9999", ["Hiến kế 1"]),
])
def test_bad_page_numbers_fall_back_to_a_real_page(client, paged_forum, page, expected):
    assert listed_titles(html_of(client.get(f"/forums/d?sort=newest&page={page}"))) == expected


@pytest.mark.parametrize("page", ["999999999999999999999", "100001"])
def test_absurd_page_numbers_are_404(client, paged_forum, page):
    assert client.get(f"/forums/d?page={page}").status_code == 404


@pytest.mark.parametrize("query, status", [
    ("?page=abc", 200), ("?page=-1", 200), ("?page=1e9", 200), ("?page=%00", 200),
    ("?page=999999999999999999999", 404),  # absurdly deep: see test_absurd_page_numbers_are_404
    ("?sort=<script>alert(1)</script>", 200), ("?sort=", 200), ("?theme=xyz", 200),
    ("?theme=1%27%20OR%201=1", 200), ("?theme=999999999999999999999999", 200),
    ("?sort=newest&sort=discussed&page=2&page=x", 200),
])
def test_bad_query_arguments_never_cause_a_server_error(client, paged_forum, query, status):
    response = client.get(f"/forums/d{query}")
    assert response.status_code == status
    assert "<script>alert(1)</script>" not in response.get_data(as_text=True)


def test_empty_forum_invites_the_first_proposal(app, client):
    with app.app_context():
        make_forum(number=1, slug="d", phase="open")
    html = html_of(client.get("/forums/d"))
    assert "Diễn đàn chưa có hiến kế nào." in html
    assert "Hãy là người đầu tiên" in html


def test_proposal_titles_and_author_names_are_escaped(app, client):
    with app.app_context():
        forum = make_forum(number=1, slug="d")
        make_proposal(forum, make_user(full_name="<b>Tên</b>", unit="<i>Đơn vị</i>"), title="<script>x()</script>")
    html = html_of(client.get("/forums/d"))
    assert "<script>x()</script>" not in html and "&lt;script&gt;x()&lt;/script&gt;" in html
    assert "<b>Tên</b>" not in html and "<i>Đơn vị</i>" not in html


# Query counts ----------------------------------------------------------------------------

def fill_forum(forum, count):
    """``count`` proposals by different authors, with supports and comments."""
    fan = make_user()
    for n in range(count):
        proposal = make_proposal(forum, make_user(), theme=forum.themes[n % 2])
        if n % 2:
            make_support(proposal, fan)
            make_comment(proposal, fan)


def forum_page_queries(app, client, count_queries, role):
    if role is not None:
        with app.app_context():
            email = make_user_of_role(role).email
        AuthActions(client).login(email)
    client.get("/forums/d")  # warm-up: the first request loads nothing extra afterwards
    with count_queries() as counter:
        html = html_of(client.get("/forums/d"))
    return counter.count, html


@pytest.mark.parametrize("app_overrides", [{"PROPOSALS_PER_PAGE": 50}])
@pytest.mark.parametrize("role", [None, "delegate", "moderator"])
def test_forum_page_query_count_does_not_grow_with_proposals(app, count_queries, role):
    with app.app_context():
        fill_forum(make_forum(number=1, slug="d", phase="open"), 5)
    small_count, small_html = forum_page_queries(app, app.test_client(), count_queries, role)
    assert len(listed_titles(small_html)) == 5

    with app.app_context():
        fill_forum(db.session.scalar(sa.select(Forum).where(Forum.slug == "d")), 45)
    large_count, large_html = forum_page_queries(app, app.test_client(), count_queries, role)
    assert len(listed_titles(large_html)) == 50
    assert large_count == small_count


BODY_COLUMN = re.compile(r"\bbody(_html)?\b")


@pytest.mark.parametrize("role", [None, "moderator"])
@pytest.mark.parametrize("query", ["", "?sort=newest", "?sort=discussed&page=2", "?theme=first"])
def test_forum_page_never_reads_body_columns(app, count_queries, role, query):
    """The cards show no body: reading it would multiply the bytes each page reads."""
    with app.app_context():
        forum = make_forum(number=1, slug="d")
        fill_forum(forum, 6)
        query = query.replace("first", str(forum.themes[0].id))
    client = app.test_client()
    if role is not None:
        with app.app_context():
            AuthActions(client).login(make_user_of_role(role).email)
    client.get(f"/forums/d{query}")
    with count_queries() as counter:
        html = html_of(client.get(f"/forums/d{query}"))
    assert listed_titles(html)
    assert [statement for statement in counter.statements if BODY_COLUMN.search(statement)] == []


@pytest.mark.parametrize("app_overrides", [{"PROPOSALS_PER_PAGE": 3}])
@pytest.mark.parametrize("role", [None, "moderator"])
@pytest.mark.parametrize("sort", ["supports", "newest", "discussed"])
def test_deep_pages_continue_the_order_without_gaps_or_repeats(app, role, sort):
    """Walking every page gives each listed proposal once, in the order of the sort,
    pinned first, hidden ones for staff only, withdrawn never; ties break newest first."""
    with app.app_context():
        forum = make_forum(number=1, slug="d")
        fans = [make_user() for _ in range(3)]
        for n in range(25):
            proposal = make_proposal(
                forum, make_user(), title=f"Hiến kế {n:02d}", created_at=BASE_TIME + timedelta(hours=n % 7, minutes=n),
                is_pinned=n in (3, 17), is_hidden=n % 5 == 1, status="withdrawn" if n % 11 == 4 else "published",
            )
            for fan in fans[: n % 4]:
                make_support(proposal, fan)
            for fan in fans[: (n * 7) % 3]:
                make_comment(proposal, fan)
        rows = db.session.scalars(sa.select(Proposal)).all()
        listed = [p for p in rows if p.status != "withdrawn" and (role or not p.is_hidden)]
        key = {"supports": lambda p: p.support_count, "discussed": lambda p: p.comment_count, "newest": lambda p: 0}[sort]
        listed.sort(key=lambda p: (p.is_pinned, key(p), p.created_at, p.id), reverse=True)
        expected = [p.title for p in listed]
    client = app.test_client()
    if role is not None:
        with app.app_context():
            AuthActions(client).login(make_user_of_role(role).email)
    assert len(expected) == (23 if role else 18)
    last = -(-len(expected) // 3)
    pages = [listed_titles(html_of(client.get(f"/forums/d?sort={sort}&page={n}"))) for n in range(1, last + 2)]
    assert [title for page in pages[:last] for title in page] == expected
    assert pages[last] == pages[last - 1]  # past the end: the last page again


def home_queries(app, count_queries, role=None):
    client = app.test_client()
    if role is not None:
        with app.app_context():
            email = make_user_of_role(role).email
        AuthActions(client).login(email)
    client.get("/")
    with count_queries() as counter:
        html = html_of(client.get("/"))
    return counter.count, html


@pytest.mark.parametrize("role", [None, "organizer"])
def test_home_query_count_does_not_grow_with_forums(app, count_queries, role):
    with app.app_context():
        fill_forum(make_forum(number=1, slug="d"), 3)
    one, html = home_queries(app, count_queries, role)
    assert html.count("forum-card-link") == 1
    with app.app_context():
        for number in range(2, 11):
            fill_forum(make_forum(number=number, slug=f"d{number}", phase="draft" if number == 2 else "open"), 3)
    ten, html = home_queries(app, count_queries, role)
    assert html.count("forum-card-link") == (10 if role else 9)
    assert ten == one


def test_home_counts_are_always_current(app, client):
    with app.app_context():
        forum_id = make_forum(number=1).id
        make_proposal(db.session.get(Forum, forum_id), make_user())
    assert re.search(r"<dt>Hiến kế</dt>\s*<dd>1</dd>", html_of(client.get("/")))
    with app.app_context():
        make_proposal(db.session.get(Forum, forum_id), make_user())
    assert re.search(r"<dt>Hiến kế</dt>\s*<dd>2</dd>", html_of(client.get("/")))


@pytest.mark.parametrize("typed, shown", [("chiều", "30/11/2023, buổi chiều"), ("Buổi sáng", "30/11/2023, buổi sáng"),
                                          ("14:00 – 17:00", "30/11/2023, 14:00 – 17:00")])
def test_the_session_is_shown_with_the_date(app, client, typed, shown):
    """It read "Thời gian: chiều"; the session now follows the date, named in full."""
    from tests.factories import make_forum

    with app.app_context():
        make_forum(number=1, time_of_day=typed)
    page = client.get("/forums/dien-dan-1").get_data(as_text=True)
    assert ">Thời gian<" not in page
    assert re.sub(r"<[^>]+>", "", page).count(shown) == 1


def test_the_session_in_english(app, client):
    from tests.factories import make_forum

    with app.app_context():
        make_forum(number=1, time_of_day="chiều")
    client.set_cookie("locale", "en")
    page = re.sub(r"<[^>]+>", "", client.get("/forums/dien-dan-1").get_data(as_text=True))
    assert "afternoon" in page and "chiều" not in page
