"""Forum read-side services: public counts, visibility by role, proposal list order,
filters and pagination."""
from datetime import UTC, datetime, timedelta

import pytest
from flask_login import AnonymousUserMixin

from forum.extensions import db
from forum.forums import services
from forum.forums.services import ProposalSort
from tests.factories import make_comment, make_forum, make_proposal, make_support, make_user

ANONYMOUS = AnonymousUserMixin()
BASE_TIME = datetime(2023, 11, 1, 8, 0, tzinfo=UTC)


def user_with_role(role):
    """A user of ``role``, or the anonymous visitor for ``None``."""
    return ANONYMOUS if role is None else make_user(role=role)


def titles(pagination):
    return [proposal.title for proposal in pagination.items]


# Forum list ------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "role, sees_draft",
    [(None, False), ("delegate", False), ("moderator", False), ("organizer", True), ("admin", True)],
)
def test_forum_list_shows_drafts_only_to_organizers_and_admins(app, role, sees_draft):
    with app.app_context():
        make_forum(number=2, phase="open")
        make_forum(number=1, phase="draft")
        make_forum(number=3, phase="closed")
        user = user_with_role(role)
        numbers = [summary.forum.number for summary in services.list_forums_with_counts(user)]
    assert numbers == ([1, 2, 3] if sees_draft else [2, 3])


def test_forum_list_counts_only_public_proposals(app):
    with app.app_context():
        forum, other = make_forum(number=1), make_forum(number=2)
        author = make_user()
        make_proposal(forum, author)
        make_proposal(forum, author, status="under_review")
        make_proposal(forum, author, status="accepted")
        make_proposal(forum, author, is_hidden=True)
        make_proposal(forum, author, status="withdrawn")
        make_proposal(other, author)
        counts = {s.forum.number: s.proposal_count for s in services.list_forums_with_counts(ANONYMOUS)}
    assert counts == {1: 3, 2: 1}


def test_participants_are_distinct_proposers_commenters_and_supporters(app):
    with app.app_context():
        forum, other = make_forum(number=1), make_forum(number=2)
        proposer, commenter, supporter, busy = (make_user() for _ in range(4))
        proposal = make_proposal(forum, proposer)
        make_comment(proposal, commenter)
        make_support(proposal, supporter)
        # ``busy`` proposes, comments and supports: still one participant.
        own = make_proposal(forum, busy)
        make_comment(proposal, busy)
        make_support(proposal, busy)
        make_support(own, proposer)  # proposer is already counted
        make_proposal(other, busy)
        summaries = {s.forum.number: s for s in services.list_forums_with_counts(ANONYMOUS)}
    assert summaries[1].participant_count == 4
    assert summaries[2].participant_count == 1
    assert summaries[1].proposal_count == 2


def test_participants_ignore_hidden_and_withdrawn_contributions(app):
    with app.app_context():
        forum = make_forum(number=1)
        visible_author, hidden_author, withdrawn_author = make_user(), make_user(), make_user()
        hidden_commenter, supporter_of_hidden = make_user(), make_user()
        proposal = make_proposal(forum, visible_author)
        hidden = make_proposal(forum, hidden_author, is_hidden=True)
        make_proposal(forum, withdrawn_author, status="withdrawn")
        make_comment(proposal, hidden_commenter, is_hidden=True)
        make_support(hidden, supporter_of_hidden)
        [summary] = services.list_forums_with_counts(ANONYMOUS)
    assert summary.participant_count == 1
    assert summary.proposal_count == 1


def test_forum_without_activity_has_zero_counts(app):
    with app.app_context():
        make_forum(number=4)
        [summary] = services.list_forums_with_counts(ANONYMOUS)
    assert (summary.proposal_count, summary.participant_count) == (0, 0)


# One forum -------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "role, visible",
    [(None, False), ("delegate", False), ("moderator", False), ("organizer", True), ("admin", True)],
)
def test_get_visible_forum_hides_drafts_from_non_organizers(app, role, visible):
    with app.app_context():
        make_forum(number=1, slug="nhap", phase="draft")
        found = services.get_visible_forum("nhap", user_with_role(role))
    assert (found is not None) is visible


def test_get_visible_forum_returns_none_for_unknown_slug(app):
    with app.app_context():
        make_forum(number=1, slug="co-that")
        assert services.get_visible_forum("khong-co", ANONYMOUS) is None


def test_theme_counts_exclude_hidden_and_withdrawn(app):
    with app.app_context():
        forum = make_forum(number=1, themes=("A", "B", "C"))
        author = make_user()
        first, second, _third = forum.themes
        make_proposal(forum, author, theme=first)
        make_proposal(forum, author, theme=first)
        make_proposal(forum, author, theme=first, is_hidden=True)
        make_proposal(forum, author, theme=second)
        make_proposal(forum, author, theme=second, status="withdrawn")
        counts = services.count_public_proposals_by_theme(forum)
        assert counts == {first.id: 2, second.id: 1}


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


def test_theme_id_must_belong_to_the_forum(app):
    with app.app_context():
        forum = make_forum(number=1, themes=("A",))
        other = make_forum(number=2, themes=("B",))
        own_id, foreign_id = forum.themes[0].id, other.themes[0].id
        assert services.parse_theme_id(forum, str(own_id)) == own_id
        for value in (str(foreign_id), "xyz", "", None, "1.5", "-1", "99999999999999999999"):
            assert services.parse_theme_id(forum, value) is None


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


def test_listed_proposals_come_with_author_and_theme_loaded(app):
    with app.app_context():
        make_proposal(make_forum(number=1, slug="mot"), make_user(full_name="Lê Văn Tám"))
        db.session.expunge_all()
        forum = services.get_visible_forum("mot", ANONYMOUS)
        [proposal] = services.list_proposals(forum, user=ANONYMOUS).items
        db.session.expunge(proposal)  # a lazy load would now fail
        assert proposal.author.full_name == "Lê Văn Tám"
        assert proposal.theme.title == "Phát triển đoàn viên"
