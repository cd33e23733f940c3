"""Proposal lists of the forum pages: visibility by role, list order, filters and
pagination."""
from datetime import UTC, datetime, timedelta

import pytest
from flask_login import AnonymousUserMixin

from forum.proposals import services
from forum.proposals.services import ProposalSort
from tests.factories import make_comment, make_forum, make_proposal, make_support, make_user, make_user_of_role

ANONYMOUS = AnonymousUserMixin()
BASE_TIME = datetime(2023, 11, 1, 8, 0, tzinfo=UTC)


def user_with_role(role):
    """A user of ``role``, or the anonymous visitor for ``None``."""
    return ANONYMOUS if role is None else make_user_of_role(role)


def titles(pagination):
    return [proposal.title for proposal in pagination.items]


@pytest.mark.parametrize("value, expected", [
    ("supports", ProposalSort.SUPPORTS),
    ("newest", ProposalSort.NEWEST),
    ("discussed", ProposalSort.DISCUSSED),
    (None, ProposalSort.SUPPORTS),
    ("", ProposalSort.SUPPORTS),
    ("<script>alert(1)</script>", ProposalSort.SUPPORTS),
    ("NEWEST", ProposalSort.SUPPORTS),
])
def test_sort_parsing_falls_back_to_most_supported(value, expected):
    assert ProposalSort.parse(value) is expected


# Proposal list ---------------------------------------------------------------------------

def make_ranked_proposals(forum):
    """Three proposals whose order differs for every sort: (supports, comments, age)."""
    author = make_user()
    fans = [make_user() for _ in range(3)]
    popular = make_proposal(forum, author, title="Nhiều ủng hộ", created_at=BASE_TIME)
    talked = make_proposal(forum, author, title="Nhiều ý kiến", created_at=BASE_TIME + timedelta(days=1))
    fresh = make_proposal(forum, author, title="Mới nhất", created_at=BASE_TIME + timedelta(days=2))
    for fan in fans:
        make_support(popular, fan)
    make_support(talked, fans[0])
    for fan in fans:
        make_comment(talked, fan)
    return popular, talked, fresh


@pytest.mark.parametrize("sort, expected", [
    (ProposalSort.SUPPORTS, ["Nhiều ủng hộ", "Nhiều ý kiến", "Mới nhất"]),
    (ProposalSort.NEWEST, ["Mới nhất", "Nhiều ý kiến", "Nhiều ủng hộ"]),
    (ProposalSort.DISCUSSED, ["Nhiều ý kiến", "Mới nhất", "Nhiều ủng hộ"]),
])
def test_proposals_are_sorted(app, sort, expected):
    with app.app_context():
        forum = make_forum(number=1)
        make_ranked_proposals(forum)
        assert titles(services.list_proposals(forum, user=ANONYMOUS, sort=sort)) == expected


@pytest.mark.parametrize("sort", list(ProposalSort))
def test_pinned_proposals_come_first_in_every_sort(app, sort):
    with app.app_context():
        forum = make_forum(number=1)
        make_ranked_proposals(forum)
        make_proposal(forum, make_user(), title="Được ghim", is_pinned=True, created_at=BASE_TIME - timedelta(days=9))
        assert titles(services.list_proposals(forum, user=ANONYMOUS, sort=sort))[0] == "Được ghim"


def test_ties_are_broken_by_newest_first(app):
    with app.app_context():
        forum = make_forum(number=1)
        author = make_user()
        make_proposal(forum, author, title="Cũ", created_at=BASE_TIME)
        make_proposal(forum, author, title="Mới", created_at=BASE_TIME + timedelta(hours=1))
        assert titles(services.list_proposals(forum, user=ANONYMOUS)) == ["Mới", "Cũ"]


def test_theme_filter_keeps_only_that_theme(app):
    with app.app_context():
        forum = make_forum(number=1, themes=("A", "B"))
        author = make_user()
        make_proposal(forum, author, title="Thuộc A", theme=forum.themes[0])
        make_proposal(forum, author, title="Thuộc B", theme=forum.themes[1])
        page = services.list_proposals(forum, user=ANONYMOUS, theme_id=forum.themes[1].id)
        assert titles(page) == ["Thuộc B"]
        assert page.total == 1


def test_proposals_of_other_forums_are_not_listed(app):
    with app.app_context():
        forum, other = make_forum(number=1), make_forum(number=2)
        author = make_user()
        make_proposal(forum, author, title="Của diễn đàn 1")
        make_proposal(other, author, title="Của diễn đàn 2")
        assert titles(services.list_proposals(forum, user=ANONYMOUS)) == ["Của diễn đàn 1"]


@pytest.mark.parametrize(
    "role, sees_hidden",
    [(None, False), ("delegate", False), ("moderator", True), ("organizer", True), ("admin", True)],
)
def test_hidden_proposals_are_listed_only_for_staff_and_withdrawn_never(app, role, sees_hidden):
    with app.app_context():
        forum = make_forum(number=1)
        author = make_user()
        make_proposal(forum, author, title="Công khai", created_at=BASE_TIME)
        make_proposal(forum, author, title="Bị ẩn", is_hidden=True, created_at=BASE_TIME + timedelta(hours=1))
        make_proposal(forum, author, title="Đã rút", status="withdrawn", created_at=BASE_TIME + timedelta(hours=2))
        listed = titles(services.list_proposals(forum, user=user_with_role(role), sort=ProposalSort.NEWEST))
    assert listed == (["Bị ẩn", "Công khai"] if sees_hidden else ["Công khai"])


def test_hidden_proposal_is_not_listed_for_its_own_author(app):
    """The list shows hidden proposals to staff only; authors find theirs on their profile."""
    with app.app_context():
        forum = make_forum(number=1)
        author = make_user()
        make_proposal(forum, author, title="Bị ẩn", is_hidden=True)
        assert titles(services.list_proposals(forum, user=author)) == []


def test_inactive_staff_do_not_see_hidden_proposals(app):
    with app.app_context():
        forum = make_forum(number=1)
        make_proposal(forum, make_user(), title="Bị ẩn", is_hidden=True)
        locked_out = make_user(role="moderator", is_active=False)
        assert titles(services.list_proposals(forum, user=locked_out)) == []


def test_pagination_splits_pages_and_clamps_out_of_range_pages(app):
    with app.app_context():
        forum = make_forum(number=1)
        author = make_user()
        for n in range(5):
            make_proposal(forum, author, title=f"Hiến kế {n}", created_at=BASE_TIME + timedelta(hours=n))
        first = services.list_proposals(forum, user=ANONYMOUS, sort=ProposalSort.NEWEST, per_page=2)
        assert titles(first) == ["Hiến kế 4", "Hiến kế 3"]
        assert (first.total, first.pages, first.has_next) == (5, 3, True)
        last = services.list_proposals(forum, user=ANONYMOUS, sort=ProposalSort.NEWEST, page=3, per_page=2)
        assert titles(last) == ["Hiến kế 0"]
        beyond = services.list_proposals(forum, user=ANONYMOUS, sort=ProposalSort.NEWEST, page=50, per_page=2)
        assert beyond.page == 3 and titles(beyond) == ["Hiến kế 0"]
        below = services.list_proposals(forum, user=ANONYMOUS, sort=ProposalSort.NEWEST, page=-4, per_page=2)
        assert below.page == 1 and titles(below) == ["Hiến kế 4", "Hiến kế 3"]


def test_empty_forum_gives_an_empty_first_page(app):
    with app.app_context():
        forum = make_forum(number=1)
        page = services.list_proposals(forum, user=ANONYMOUS, page=7)
        assert (page.items, page.total, page.pages) == ([], 0, 0)
