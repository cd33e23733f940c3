"""A long thread comes in pages of top-level comments, replies with their parent, and a
link to any comment (``/comments/<id>``) lands on the page that shows it."""
import re
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from forum.extensions import db
from forum.proposals.models import Proposal
from tests.factories import make_comment, make_user

BASE_TIME = datetime(2023, 11, 2, 8, 0, tzinfo=UTC)
pytestmark = pytest.mark.parametrize("app_overrides", [{"COMMENTS_PER_PAGE": 2}])


def shown_comments(html: str) -> list[str]:
    """The comments of a page of the thread, in order: their text, or "(ẩn)" for the
    place of one that a moderator hid."""
    found = re.findall(r'<div class="prose comment-body"><p>([^<]*)</p>|(comment-placeholder-text)', html)
    return [text or "(ẩn)" for text, placeholder in found]


@pytest.fixture
def thread(app, world):
    """Five top-level comments ("Ý kiến 0" … "Ý kiến 4", written before the author's
    first one, which comes last), each with one reply ("Trả lời 0" …); the third one is
    hidden. Returns (world, {body: comment id})."""
    setting = world(phase="open")
    ids = {}
    with app.app_context():
        proposal = db.session.get(Proposal, setting.proposal_id)
        writer = make_user()
        for n in range(5):
            top = make_comment(proposal, writer, body=f"Ý kiến {n}", created_at=BASE_TIME + timedelta(hours=n),
                               is_hidden=n == 2)
            reply = make_comment(proposal, writer, body=f"Trả lời {n}", parent=top,
                                 created_at=BASE_TIME + timedelta(hours=n, minutes=30))
            ids[f"Ý kiến {n}"], ids[f"Trả lời {n}"] = top.id, reply.id
    return setting, ids


def test_top_level_comments_come_in_pages_with_their_replies(client, thread):
    setting, _ids = thread
    pages = [shown_comments(client.get(f"{setting.proposal_url}?page={n}").get_data(as_text=True)) for n in (1, 2, 3)]
    assert pages == [
        ["Ý kiến 0", "Trả lời 0", "Ý kiến 1", "Trả lời 1"],
        ["(ẩn)", "Ý kiến 3", "Trả lời 3"],  # 2 is hidden: its place stays, its reply goes with it
        ["Ý kiến 4", "Trả lời 4", "Ý kiến đầu tiên của tác giả."],
    ]
    html = client.get(setting.proposal_url).get_data(as_text=True)
    assert "Trang 1 / 3" in html
    assert "<span class=\"muted\">(9)</span>" in html  # every comment one can read, across the pages
    past_the_end = client.get(f"{setting.proposal_url}?page=99").get_data(as_text=True)
    assert shown_comments(past_the_end) == pages[2]


def location_of(response) -> tuple[str, dict, str]:
    assert response.status_code == 302, response.status_code
    parts = urlsplit(response.location)
    return parts.path, parse_qs(parts.query), parts.fragment


def test_a_comment_link_lands_on_the_page_that_shows_it(client, thread):
    setting, ids = thread
    assert location_of(client.get(f"/comments/{ids['Ý kiến 0']}")) == (
        setting.proposal_url, {}, f"comment-{ids['Ý kiến 0']}",
    )
    # A reply is on its parent's page; a hidden comment keeps its place on the pages.
    assert location_of(client.get(f"/comments/{ids['Trả lời 3']}")) == (
        setting.proposal_url, {"page": ["2"]}, f"comment-{ids['Trả lời 3']}",
    )
    assert location_of(client.get(f"/comments/{ids['Trả lời 4']}")) == (
        setting.proposal_url, {"page": ["3"]}, f"comment-{ids['Trả lời 4']}",
    )
    path, query, anchor = location_of(client.get(f"/comments/{ids['Ý kiến 4']}"))
    html = client.get(f"{path}?page={query['page'][0]}").get_data(as_text=True)
    assert f'id="{anchor}"' in html


def test_a_hidden_comment_links_to_its_place_and_its_replies_have_no_link(client, thread):
    setting, ids = thread
    assert location_of(client.get(f"/comments/{ids['Ý kiến 2']}")) == (
        setting.proposal_url, {"page": ["2"]}, f"comment-{ids['Ý kiến 2']}",
    )
    assert client.get(f"/comments/{ids['Trả lời 2']}").status_code == 404
    assert client.get("/comments/99999999").status_code == 404


def test_a_new_comment_and_a_reply_redirect_to_their_page(client, thread, login_as):
    setting, ids = thread
    login_as(setting, "delegate")
    response = client.post(f"{setting.proposal_url}/comments", data={"body": "Ý kiến mới nhất"})
    path, query, anchor = location_of(response)
    assert (path, query) == (setting.proposal_url, {"page": ["4"]})  # the hidden comment keeps its place
    assert "Ý kiến mới nhất" in shown_comments(client.get(f"{path}?page=4").get_data(as_text=True))

    response = client.post(f"{setting.proposal_url}/comments", data={"body": "Trả lời thêm", "parent_id": ids["Ý kiến 1"]})
    path, query, anchor = location_of(response)
    assert query == {}  # the reply is on its parent's page, the first
    assert "Trả lời thêm" in shown_comments(client.get(path).get_data(as_text=True))


def test_reply_links_keep_the_page(client, thread, login_as):
    setting, ids = thread
    login_as(setting, "delegate")
    html = client.get(f"{setting.proposal_url}?page=2").get_data(as_text=True)
    link = re.search(rf'href="([^"]*reply_to={ids["Ý kiến 3"]}[^"]*)"', html).group(1).replace("&amp;", "&")
    reply_page = client.get(link).get_data(as_text=True)
    assert re.search(r"Trả lời ý kiến của", reply_page)


def test_every_page_of_the_thread_costs_the_same_queries(client, thread, count_queries):
    setting, _ids = thread
    counts = []
    for page in (1, 2, 3):
        client.get(f"{setting.proposal_url}?page={page}")
        with count_queries() as counter:
            client.get(f"{setting.proposal_url}?page={page}")
        counts.append(counter.count)
    assert counts[0] == counts[1] == counts[2]
