"""Forum read-side services: visibility by role, one forum, theme ids."""
import pytest
from flask_login import AnonymousUserMixin

from forum.extensions import db
from forum.forums import services
from forum.proposals.services import list_proposals
from tests.factories import make_forum, make_proposal, make_user

ANONYMOUS = AnonymousUserMixin()


def user_with_role(role):
    """A user of ``role``, or the anonymous visitor for ``None``."""
    return ANONYMOUS if role is None else make_user(role=role)


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


def test_theme_id_must_belong_to_the_forum(app):
    with app.app_context():
        forum = make_forum(number=1, themes=("A",))
        other = make_forum(number=2, themes=("B",))
        own_id, foreign_id = forum.themes[0].id, other.themes[0].id
        assert services.parse_theme_id(forum, str(own_id)) == own_id
        for value in (str(foreign_id), "xyz", "", None, "1.5", "-1", "99999999999999999999"):
            assert services.parse_theme_id(forum, value) is None


def test_listed_proposals_come_with_author_and_theme_loaded(app):
    with app.app_context():
        make_proposal(make_forum(number=1, slug="mot"), make_user(full_name="Lê Văn Tám"))
        db.session.expunge_all()
        forum = services.get_visible_forum("mot", ANONYMOUS)
        [proposal] = list_proposals(forum, user=ANONYMOUS).items
        db.session.expunge(proposal)  # a lazy load would now fail
        assert proposal.author.full_name == "Lê Văn Tám"
        assert proposal.theme.title == "Phát triển đoàn viên"


def test_visible_forums_with_themes_come_in_two_queries(app, count_queries):
    with app.app_context():
        make_forum(number=2, slug="hai", themes=("B", "C"))
        make_forum(number=1, slug="mot", themes=("A",))
        make_forum(number=3, slug="nhap", phase="draft", themes=("D",))
        db.session.commit()
        db.session.expire_all()
        with count_queries() as counter:
            forums = services.list_visible_forums_with_themes(ANONYMOUS)
            themes = [[theme.title for theme in forum.themes] for forum in forums]
        assert [forum.slug for forum in forums] == ["mot", "hai"]
        assert sorted(themes[1]) == ["B", "C"] and themes[0] == ["A"]
        assert counter.count == 2


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
