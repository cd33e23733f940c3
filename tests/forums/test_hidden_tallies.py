"""Hidden tallies never leak (issue 7, item 6): while a forum hides them, a delegate finds
no support count and no order by supports on any page or JSON answer that shows the
forum's proposals; organizers see them. ``forums.services.tallies_visible`` decides.

The walk takes every GET route from the app's URL map, so a new page is walked as soon as
it exists; a route with an argument this test cannot fill fails the test until it learns it.
"""
import json
import re
from dataclasses import dataclass
from html import unescape

import pytest

from forum.extensions import db
from forum.forums.services import tallies_visible
from forum.notifications import inbox
from forum.notifications.inbox import NotificationKind
from forum.proposals.models import Proposal
from forum.search import engines, indexer
from tests.factories import make_comment, make_forum, make_proposal, make_support, make_user

# "7 ủng hộ", "7 lượt ủng hộ" once the tags are stripped; and the markers of a count.
COUNT_TEXT = re.compile(r"\d[\d.,]*\s+(?:lượt\s+)?ủng hộ", re.IGNORECASE)
COUNT_MARKERS = ("data-support-count", "support-count", "proposal-item-supports", "support_count")
# Files, and the language switch (it would turn the rest of the walk to English).
SKIPPED_ENDPOINTS = {"static", "set_language"}
JSON = {"Accept": "application/json"}


@dataclass(frozen=True)
class World:
    slug: str
    forum_id: int
    theme_id: int
    popular_id: int  # older, 7 supports
    recent_id: int  # newer, 3 supports
    own_id: int  # the delegate's own proposal
    comment_id: int
    delegate: str
    organizer: str
    delegate_id: int
    notification_id: int  # the delegate's: someone commented on their proposal


@pytest.fixture
def world(app):
    with app.app_context():
        forum = make_forum(hide_tallies_until_closed=True, supporting_roles=["delegate", "organizer"])
        delegate, organizer = make_user(), make_user(role="organizer")
        popular = make_proposal(forum, make_user(), title="Mô hình nhà văn hoá công nhân khu công nghiệp")
        recent = make_proposal(forum, make_user(), title="Nhà văn hoá công nhân cho khu nhà trọ")
        own = make_proposal(forum, delegate, title="Văn hoá công nhân trong doanh nghiệp nhỏ")
        for _ in range(6):
            make_support(popular, make_user())
        make_support(popular, delegate)
        for _ in range(3):
            make_support(recent, make_user())
        comment = make_comment(popular, delegate, body="Tôi ủng hộ mô hình nhà văn hoá này.")
        notification = inbox.notify(delegate.id, NotificationKind.COMMENT, proposal=own,
                                    comment=make_comment(own, organizer, body="Cảm ơn đồng chí."), actor=organizer)
        popular.is_featured = True  # its card shows on the home page ("Tiêu điểm") too
        db.session.commit()
        indexer.drain_outbox(engines.get_backend())
        return World(forum.slug, forum.id, forum.themes[0].id, popular.id, recent.id, own.id, comment.id,
                     delegate.email, organizer.email, delegate.id, notification.id)


def _values(world: World, argument: str) -> list:
    values = {
        "slug": [world.slug],
        "proposal_id": [world.popular_id, world.own_id],
        "comment_id": [world.comment_id],
        "forum_id": [world.forum_id],
        "theme_id": [world.theme_id],
        "code": ["khong-hop-le"],  # an activation code (one that is not valid)
        "user_id": [world.delegate_id],  # a person of the roster (organizer pages)
        "token": ["khong-co"],
        "notification_id": [world.notification_id],  # a roster upload waiting for confirmation (one that does not exist)
        "merge_id": [1],  # a merge (staff only: the delegate is refused)
        "pair_id": [1],  # a pair of possible duplicates (staff only)
        "table": ["forums", "top"],  # a dashboard table's CSV (organizers only)
        "number": [1],  # a forum's number (the results pages: organizers only, or a published result)
    }
    if argument not in values:
        pytest.fail(f"the hidden-tally walk does not know how to fill <{argument}>: teach it")
    return values[argument]


QUERIES = {
    "forums.detail": [{}, {"sort": "supports"}, {"theme": "{theme_id}", "sort": "supports"}],
    "search.index": [{"q": "văn hoá công nhân"}, {"q": "văn hoá công nhân", "sort": "supports"},
                     {"q": "văn hoá", "kind": "comment"}],
    "search.similar": [{"title": "Nhà văn hoá công nhân khu công nghiệp"}],
    "api.proposal_list": [{}, {"sort": "supports"}, {"sort": "discussed"}],
    "api.search_list": [{"q": "văn hoá công nhân"}, {"q": "văn hoá công nhân", "sort": "supports"}],
}


def walk_urls(app, world: World) -> list[str]:
    urls = []
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            if "GET" not in rule.methods or rule.endpoint in SKIPPED_ENDPOINTS:
                continue
            combos = [{}]
            for argument in sorted(rule.arguments):
                combos = [dict(combo, **{argument: value}) for combo in combos for value in _values(world, argument)]
            for combo in combos:
                for query in QUERIES.get(rule.endpoint, [{}]):
                    filled = {key: value.format(theme_id=world.theme_id) for key, value in query.items()}
                    urls.append(app.url_for(rule.endpoint, **combo, **filled))
    return urls


def visible_text(html: str) -> str:
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


def json_counts(value) -> list:
    """The API's counts: every ``supports`` that is a number, at any depth (the OpenAPI
    document's ``supports`` is a schema)."""
    if isinstance(value, dict):
        own = [value["supports"]] if isinstance(value.get("supports"), int) else []
        return own + [count for item in value.values() for count in json_counts(item)]
    if isinstance(value, list):
        return [count for item in value for count in json_counts(item)]
    return []


def leaks(body: str, content_type: str = "text/html") -> list[str]:
    found = [marker for marker in COUNT_MARKERS if marker in body]
    if content_type.startswith("application/json"):
        return found + [f"supports: {count}" for count in json_counts(json.loads(body))]
    return found + COUNT_TEXT.findall(visible_text(body))


def test_a_delegate_finds_no_count_anywhere(app, client, auth, world):
    auth.login(world.delegate)
    urls = walk_urls(app, world)
    assert any(url.startswith("/search?") for url in urls) and any("/profile" in url for url in urls)
    walked = 0
    for url in urls:
        response = client.get(url)
        assert response.status_code < 500, url
        body = response.get_data(as_text=True)
        assert leaks(body, response.content_type) == [], url
        walked += response.status_code == 200
    assert walked >= 8
    # The API served the proposals, without their counts.
    listed = client.get("/api/v1/proposals").get_json()["items"]
    assert {item["id"] for item in listed} >= {world.popular_id, world.recent_id}
    assert client.get("/api/v1/proposals?sort=supports").status_code == 422
    # The walk met the proposals where counts could show: search results, the similar box.
    assert f"/proposals/{world.popular_id}" in client.get("/search?q=văn hoá công nhân").get_data(as_text=True)
    assert f"/proposals/{world.popular_id}" in client.get("/").get_data(as_text=True)  # "Tiêu điểm"
    similar = client.get("/search/similar", query_string={"title": "Nhà văn hoá công nhân khu công nghiệp"})
    assert f"/proposals/{world.popular_id}" in similar.get_data(as_text=True)
    # The support button's JSON answer, both ways.
    for action in ("unsupport", "support"):
        answer = client.post(f"/proposals/{world.popular_id}/{action}", headers=JSON)
        assert answer.status_code == 200
        assert "support_count" not in answer.get_json()


def test_no_order_by_supports_for_a_delegate(app, client, auth, world):
    auth.login(world.delegate)
    html = client.get(f"/forums/{world.slug}?sort=supports").get_data(as_text=True)
    assert html.index(f"/proposals/{world.recent_id}\"") < html.index(f"/proposals/{world.popular_id}\"")
    assert 'value="supports"' not in html  # the order is not offered
    assert "xếp theo thời gian gửi" in html
    search = client.get("/search", query_string={"q": "văn hoá công nhân", "sort": "supports"})
    text = search.get_data(as_text=True)
    assert "được xếp theo mức liên quan" in text
    assert re.search(r'<option selected value="relevance"|<option value="relevance" selected', text)


def test_organizers_see_the_counts_and_the_order(app, client, auth, world):
    auth.login(world.organizer)
    html = client.get(f"/forums/{world.slug}?sort=supports").get_data(as_text=True)
    assert "7 ủng hộ" in visible_text(html)
    assert html.index(f"/proposals/{world.popular_id}\"") < html.index(f"/proposals/{world.recent_id}\"")
    assert "7 ủng hộ" in visible_text(client.get(f"/proposals/{world.popular_id}").get_data(as_text=True))
    answer = client.post(f"/proposals/{world.popular_id}/support", headers=JSON).get_json()
    assert answer == {"supported": True, "support_count": 8, "support_label": "ủng hộ"}


def test_counts_show_again_once_the_forum_closes(app, client, auth, world):
    with app.app_context():
        from forum.forums.models import Forum

        db.session.get(Forum, world.forum_id).phase = "closed"
        db.session.commit()
    auth.login(world.delegate)
    html = client.get(f"/forums/{world.slug}").get_data(as_text=True)
    assert "7 ủng hộ" in visible_text(html)


@pytest.mark.parametrize(
    "role, hides, phase, visible",
    [
        ("delegate", True, "open", False), ("moderator", True, "voting", False), ("organizer", True, "open", True),
        ("admin", True, "voting", True), ("delegate", True, "closed", True), ("delegate", False, "open", True),
        (None, True, "open", False), (None, False, "open", True),
    ],
)
def test_one_function_decides(app, role, hides, phase, visible):
    with app.app_context():
        forum = make_forum(phase=phase, hide_tallies_until_closed=hides)
        user = make_user(role=role) if role else None
        from flask_login import AnonymousUserMixin

        assert tallies_visible(forum, user or AnonymousUserMixin()) is visible


def test_the_author_cannot_tell_a_support_by_the_edit_lock(app, client, auth, world):
    """Where supports lock editing, the first support would show in the author's edit
    button; with hidden tallies the edit window alone decides."""
    auth.login(world.delegate)
    page = f"/proposals/{world.own_id}"
    edit = f"/proposals/{world.own_id}/edit"
    before = (client.get(edit).status_code, edit in client.get(page).get_data(as_text=True))
    with app.app_context():
        make_support(db.session.get(Proposal, world.own_id), make_user())
    after = (client.get(edit).status_code, edit in client.get(page).get_data(as_text=True))
    assert before == after == (200, True)
    with app.app_context():
        db.session.get(Proposal, world.own_id).forum.hide_tallies_until_closed = False
        db.session.commit()
    assert client.get(edit).status_code == 403  # shown tallies: the first support locks it
