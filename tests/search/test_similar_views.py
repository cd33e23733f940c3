""""Đã có hiến kế tương tự?": the /search/similar fragment (for search.js) and the preview
step of the new-proposal form (without JavaScript). Both show only proposals the viewer
may see. Runs on every (database, search engine) pair, like test_views.py."""
from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from forum.extensions import db
from forum.proposals.models import Proposal
from tests.helpers import build_app, destroy_app
from tests.factories import DEFAULT_PASSWORD, make_forum, make_proposal, make_user
from tests.search.pages import ROLES, app, build_corpus, client_as, corpus, index_now  # noqa: F401

SIMILAR_TITLE = "Chăm lo cho đoàn viên nữ"


def csrf_token(client, url: str) -> str:
    page = client.get(url).get_data(as_text=True)
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)


def similar_links(html: str) -> list[str]:
    return re.findall(r'<a class="similar-item-title" href="([^"]+)"', html)


def proposal_count(app) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count(Proposal.id)))


# The fragment --------------------------------------------------------------------------
EXPECTED = {
    "anonymous": {"nu"},
    "delegate": {"nu"},
    "inactive": {"nu"},
    "moderator": {"nu", "hidden", "withdrawn"},
    "organizer": {"nu", "hidden", "withdrawn", "draft"},
    "admin": {"nu", "hidden", "withdrawn", "draft"},
}


@pytest.mark.parametrize("role", ROLES)
def test_similar_proposals_follow_the_visibility_rules(app, corpus, role):
    client = client_as(app, corpus, role)
    response = client.get("/search/similar", query_string={"title": SIMILAR_TITLE}, headers={"X-Requested-With": "fetch"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert set(similar_links(html)) == {corpus.url(name) for name in EXPECTED[role]}
    assert "<html" not in html


def test_similar_proposals_show_their_forum_and_supports_and_say_what_to_do(app, client, corpus):
    html = client.get("/search/similar", query_string={"title": SIMILAR_TITLE}).get_data(as_text=True)
    assert "Đã có hiến kế tương tự?" in html
    assert "ủng hộ hiến kế đó thay vì gửi một hiến kế trùng lặp" in html
    item = html[html.index(corpus.url("nu")):]
    assert "Phát triển đoàn viên nữ trong doanh nghiệp dệt may" in item
    assert "Diễn đàn số 1" in item and "5 ủng hộ" in item
    assert 'data-similar-announce="Có 1 hiến kế tương tự."' in html


def test_similar_proposals_come_from_every_forum(app, client, corpus):
    html = client.get("/search/similar", query_string={"title": "Xây dựng tổ chức cơ sở vững mạnh"}).get_data(as_text=True)
    assert corpus.url("scattered") in similar_links(html)
    assert "Diễn đàn số 2" in html


@pytest.mark.parametrize("title", ["", "   ", "đoàn", "doan vi", "\x00\x01", "😀😀😀😀😀😀😀😀", "a" * 5000])
def test_short_or_empty_titles_give_an_empty_fragment(app, client, corpus, title):
    response = client.get("/search/similar", query_string={"title": title})
    assert response.status_code == 200
    assert similar_links(response.get_data(as_text=True)) == []


def test_an_unrelated_title_gives_nothing(app, client, corpus):
    html = client.get("/search/similar", query_string={"title": "Thể thao văn nghệ mùa hè"}).get_data(as_text=True)
    assert similar_links(html) == [] and html.strip() == ""


def test_titles_in_the_similar_box_are_escaped(app, client):
    with app.app_context():
        forum = make_forum(number=7, slug="xss")
        make_proposal(forum, make_user(), title='<script>alert(1)</script> Chăm lo đoàn viên nữ')
    index_now(app)
    html = client.get("/search/similar", query_string={"title": SIMILAR_TITLE}).get_data(as_text=True)
    assert len(similar_links(html)) == 1
    assert "<script>alert" not in html and "&lt;script&gt;alert(1)&lt;/script&gt; Chăm lo" in html


# The new-proposal form ---------------------------------------------------------------------
@pytest.fixture
def writer(app, corpus):
    """A delegate on the new-proposal form of the open forum."""
    client = client_as(app, corpus, "delegate")
    return client, f"/forums/{corpus.slugs['open']}/proposals/new"


def form_data(corpus, **fields):
    return {"title": "Phát triển đoàn viên nữ ở khu công nghiệp", "theme_id": corpus.themes["members"],
            "body": "Đề xuất **xây nhà trẻ** gần khu công nghiệp.\n\n- một\n- hai", **fields}


def test_the_form_has_the_similar_box_and_a_preview_button(app, corpus, writer):
    client, url = writer
    html = client.get(url).get_data(as_text=True)
    assert 'data-similar-url="/search/similar"' in html and 'data-similar-for="title"' in html
    assert '<button type="submit" name="preview" value="1"' in html
    # Enter in a field presses the first submit button: the preview comes first.
    assert html.index('name="preview"') < html.index(">Gửi hiến kế</button>")
    assert similar_links(html) == []


def test_the_preview_shows_the_text_and_similar_proposals_and_saves_nothing(app, corpus, writer):
    client, url = writer
    before = proposal_count(app)
    response = client.post(url, data=form_data(corpus, preview="1"))
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert proposal_count(app) == before
    assert "Xem trước (chưa gửi)" in html
    preview = html[html.index('class="proposal-preview"'):html.index("</section>", html.index('class="proposal-preview"'))]
    assert "<strong>xây nhà trẻ</strong>" in preview and "<li>một</li>" in preview
    assert "Phát triển đoàn viên nữ ở khu công nghiệp" in preview
    # The text is kept in the form for the real submission.
    assert 'value="Phát triển đoàn viên nữ ở khu công nghiệp"' in html
    assert "Đề xuất **xây nhà trẻ** gần khu công nghiệp." in html
    assert re.search(r'<option selected value="%d">' % corpus.themes["members"], html)
    # And the delegate sees the existing proposal they could support instead.
    assert similar_links(html) == [corpus.url("nu")]
    assert ">Gửi hiến kế</button>" in html


def test_the_final_submit_creates_the_proposal(app, corpus, writer):
    client, url = writer
    before = proposal_count(app)
    response = client.post(url, data=form_data(corpus))
    assert response.status_code == 302 and re.fullmatch(r"/proposals/\d+", response.location)
    assert proposal_count(app) == before + 1
    index_now(app)
    html = client.get("/search", query_string={"q": "phat trien doan vien nu o khu cong nghiep", "kind": "proposal"}).get_data(as_text=True)
    assert response.location in html


def test_an_invalid_preview_shows_the_errors_keeps_the_text_and_saves_nothing(app, corpus, writer):
    client, url = writer
    before = proposal_count(app)
    response = client.post(url, data=form_data(corpus, body="   ", preview="1"))
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Vui lòng nhập nội dung hiến kế." in html
    assert "Xem trước (chưa gửi)" not in html
    assert 'value="Phát triển đoàn viên nữ ở khu công nghiệp"' in html
    assert similar_links(html) == [corpus.url("nu")]
    assert proposal_count(app) == before


def test_user_markup_in_the_preview_is_sanitized(app, corpus, writer):
    client, url = writer
    html = client.post(url, data=form_data(
        corpus, preview="1", title="<script>alert(1)</script> Tiêu đề thử",
        body='<script>alert(2)</script> <img src=x onerror="alert(3)"> [link](javascript:alert(4))',
    )).get_data(as_text=True)
    for live in ("<script>alert", "<img src=x", 'href="javascript:'):
        assert live not in html, live
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Tiêu đề thử" in html


@pytest.mark.parametrize("role", ["delegate", "moderator", "organizer"])
def test_the_preview_lists_only_proposals_the_writer_may_see(app, corpus, role):
    client = client_as(app, corpus, role)
    html = client.post(f"/forums/{corpus.slugs['open']}/proposals/new",
                       data=form_data(corpus, title=SIMILAR_TITLE, preview="1")).get_data(as_text=True)
    assert set(similar_links(html)) == {corpus.url(name) for name in EXPECTED[role]}


def test_the_preview_is_refused_where_submitting_is(app, corpus):
    delegate = client_as(app, corpus, "delegate")
    voting = delegate.post(f"/forums/{corpus.slugs['voting']}/proposals/new", data=form_data(corpus, preview="1"))
    assert voting.status_code == 403
    assert delegate.post(f"/forums/{corpus.slugs['draft']}/proposals/new",
                         data=form_data(corpus, preview="1")).status_code == 404
    anonymous = app.test_client().post(f"/forums/{corpus.slugs['open']}/proposals/new",
                                       data=form_data(corpus, preview="1"))
    assert anonymous.status_code == 302 and "/login" in anonymous.location


def test_the_preview_needs_the_csrf_token(tmp_path):
    app = build_app(f"sqlite:///{tmp_path / 'csrf.sqlite3'}", tmp_path, WTF_CSRF_ENABLED=True)
    try:
        with app.app_context():
            forum = make_forum(number=8, slug="csrf")
            theme_id = forum.themes[0].id
            email = make_user().email
        client = app.test_client()
        login_token = csrf_token(client, "/login")
        client.post("/login", data={"email": email, "password": DEFAULT_PASSWORD, "csrf_token": login_token})
        data = {"title": SIMILAR_TITLE, "body": "Nội dung.", "theme_id": theme_id, "preview": "1"}
        refused = client.post("/forums/csrf/proposals/new", data=data)
        assert refused.status_code == 400
        assert "Xem trước (chưa gửi)" not in refused.get_data(as_text=True)
        token = csrf_token(client, "/forums/csrf/proposals/new")
        accepted = client.post("/forums/csrf/proposals/new", data={**data, "csrf_token": token})
        assert accepted.status_code == 200 and "Xem trước (chưa gửi)" in accepted.get_data(as_text=True)
    finally:
        destroy_app(app)
