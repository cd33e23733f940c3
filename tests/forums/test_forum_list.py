"""The home page's forum list: visibility by role and the public counts (maintained
counters on the forum rows)."""
import pytest
from flask_login import AnonymousUserMixin

from forum.forums.services import list_forums_with_counts
from tests.factories import make_comment, make_forum, make_proposal, make_support, make_user

ANONYMOUS = AnonymousUserMixin()


def user_with_role(role):
    """A user of ``role``, or the anonymous visitor for ``None``."""
    return ANONYMOUS if role is None else make_user(role=role)


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
        numbers = [summary.forum.number for summary in list_forums_with_counts(user)]
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
        counts = {s.forum.number: s.proposal_count for s in list_forums_with_counts(ANONYMOUS)}
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
        summaries = {s.forum.number: s for s in list_forums_with_counts(ANONYMOUS)}
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
        [summary] = list_forums_with_counts(ANONYMOUS)
    assert summary.participant_count == 1
    assert summary.proposal_count == 1


def test_forum_without_activity_has_zero_counts(app):
    with app.app_context():
        make_forum(number=4)
        [summary] = list_forums_with_counts(ANONYMOUS)
    assert (summary.proposal_count, summary.participant_count) == (0, 0)


