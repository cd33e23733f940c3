"""The "Đơn vị tham gia" list on the forum page: the distinct units of the authors of the
forum's public proposals, in Vietnamese alphabetical order."""
import re

import pytest

from forum.extensions import db
from forum.forums.models import Forum
from forum.forums.services import list_participating_units
from forum.proposals.models import ProposalStatus
from tests.helpers import AuthActions
from tests.factories import make_forum, make_proposal, make_user

# Code-point order would put "Dầu khí" before "Điện lực" but "Điện lực" after "Giáo dục",
# and "Ắc quy" (U+1EAE) after every plain letter; Vietnamese order is a ă â b c d đ e …
UNITS = ["Công đoàn Giáo dục", "Điện lực Miền Nam", "Bia Sài Gòn", "Dầu khí Việt Nam", "Ắc quy Tia Sáng", "An Phát"]
EXPECTED = ["An Phát", "Ắc quy Tia Sáng", "Bia Sài Gòn", "Công đoàn Giáo dục", "Dầu khí Việt Nam", "Điện lực Miền Nam"]


def units_in_page(html: str) -> list[str]:
    match = re.search(r'<details class="card forum-units">(.*?)</details>', html, re.S)
    return re.findall(r"<li>([^<]*)</li>", match.group(1)) if match else []


def test_units_are_distinct_and_in_vietnamese_order(app):
    with app.app_context():
        forum = make_forum(number=1)
        for unit in UNITS:
            make_proposal(forum, make_user(unit=unit))
        make_proposal(forum, make_user(unit="An Phát"))  # a second author of the same unit
        make_proposal(forum, make_user(unit=""))  # no unit: nothing to list
        assert list_participating_units(forum) == EXPECTED


def test_only_authors_of_public_proposals_of_this_forum_count(app):
    with app.app_context():
        forum, other = make_forum(number=1), make_forum(number=2)
        make_proposal(forum, make_user(unit="Đơn vị công khai"))
        make_proposal(forum, make_user(unit="Đơn vị bị ẩn"), is_hidden=True)
        make_proposal(forum, make_user(unit="Đơn vị đã rút"), status=ProposalStatus.WITHDRAWN.value)
        make_proposal(other, make_user(unit="Đơn vị diễn đàn khác"))
        both = make_user(unit="Đơn vị có cả hai")
        make_proposal(forum, both, is_hidden=True)
        make_proposal(forum, both)
        assert list_participating_units(forum) == ["Đơn vị có cả hai", "Đơn vị công khai"]


@pytest.mark.parametrize("role", [None, "delegate", "moderator"])
def test_forum_page_lists_units_in_a_details_element(app, role):
    """Moderators see hidden proposals in the list, but the units stay the public ones."""
    with app.app_context():
        forum = make_forum(number=1, slug="d")
        for unit in UNITS:
            make_proposal(forum, make_user(unit=unit))
        make_proposal(forum, make_user(unit="Đơn vị bị ẩn"), is_hidden=True)
        email = make_user(role=role).email if role else None
    client = app.test_client()
    if email:
        AuthActions(client).login(email)
    html = client.get("/forums/d").get_data(as_text=True)
    assert units_in_page(html) == EXPECTED
    assert "Đơn vị tham gia" in html
    # The units come after the themes, at the end of the forum information.
    assert html.index('id="themes-title"') < html.index('class="card forum-units"') < html.index("</aside>")


def test_forum_without_proposals_has_no_units_list(app, client):
    with app.app_context():
        make_forum(number=1, slug="d")
    html = client.get("/forums/d").get_data(as_text=True)
    assert "forum-units" not in html and "Đơn vị tham gia" not in html


def test_forum_page_query_count_does_not_grow_with_units(app, count_queries):
    with app.app_context():
        forum_id = make_forum(number=1, slug="d").id
        forum = db.session.get(Forum, forum_id)
        for n in range(2):
            make_proposal(forum, make_user(unit=f"Đơn vị {n}"))
    client = app.test_client()
    client.get("/forums/d")
    with count_queries() as small:
        assert len(units_in_page(client.get("/forums/d").get_data(as_text=True))) == 2

    with app.app_context():
        forum = db.session.get(Forum, forum_id)
        for n in range(2, 15):
            make_proposal(forum, make_user(unit=f"Đơn vị {n}"))
    with count_queries() as large:
        assert len(units_in_page(client.get("/forums/d").get_data(as_text=True))) == 15
    assert large.count == small.count


def test_a_long_list_shows_the_units_with_most_proposals_and_counts_the_rest(app, client, monkeypatch):
    """Bounded: the page never prints every unit of a national forum."""
    from forum.forums import services

    monkeypatch.setattr(services, "UNITS_SHOWN", 2)
    with app.app_context():
        forum = make_forum(number=1, slug="d")
        for unit, proposals in (("Điện lực", 3), ("An Phát", 2), ("Bia Sài Gòn", 1), ("Dầu khí", 1)):
            author = make_user(unit=unit)
            for _ in range(proposals):
                make_proposal(forum, author)
        assert services.list_participating_units(forum, limit=2) == ["An Phát", "Điện lực"]
    html = client.get("/forums/d").get_data(as_text=True)
    assert units_in_page(html) == ["An Phát", "Điện lực"]
    assert '<span class="badge badge-count">4</span>' in html
    assert "còn 2 đơn vị khác" in html
