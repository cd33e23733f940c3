"""Helpers for the merge tests (tests/moderation/test_merge*.py, test_duplicates.py): a scene of two forums and their proposals, and the state
a merge and its undo must keep exact (rows, counters, statuses)."""
from dataclasses import dataclass

import sqlalchemy as sa

from forum.extensions import db
from forum.forums.models import Forum, ForumParticipant, ForumUnit, Theme
from forum.forums.moderators import assign_moderator_scope
from forum.proposals.counts import find_counter_drift
from forum.proposals.models import Comment, Proposal
from forum.votes.models import Support
from forum.votes.services import find_support_count_drift
from tests.factories import make_forum, make_proposal, make_user


@dataclass
class Scene:
    """Ids only: usable after the app context that made them ends."""

    forum: int
    other_forum: int
    moderator: int  # moderates ``forum`` only
    moderator_email: str
    other_moderator_email: str  # moderates ``other_forum`` only
    organizer: int
    organizer_email: str
    delegates: list[int]


def make_scene(*, delegates=4, forum_settings=None, other_settings=None) -> Scene:
    """Two open forums, a moderator of each, an organizer, delegates (in an app context)."""
    forum = make_forum(phase="open", **(forum_settings or {}))
    other = make_forum(phase="open", **(other_settings or {}))
    moderator, other_moderator = make_user(role="moderator"), make_user(role="moderator")
    organizer = make_user(role="organizer")
    assign_moderator_scope(moderator, [forum.id], actor=None)
    assign_moderator_scope(other_moderator, [other.id], actor=None)
    db.session.commit()
    people = [make_user().id for _ in range(delegates)]
    return Scene(forum.id, other.id, moderator.id, moderator.email, other_moderator.email, organizer.id,
                 organizer.email, people)


def proposal_in(forum_id: int, author_id=None, **fields) -> int:
    from forum.auth.models import User

    forum = db.session.get(Forum, forum_id)
    author = db.session.get(User, author_id) if author_id else make_user()
    return make_proposal(forum, author, **fields).id


def user(user_id: int):
    from forum.auth.models import User

    return db.session.get(User, user_id)


def proposal(proposal_id: int) -> Proposal:
    db.session.expire_all()
    return db.session.get(Proposal, proposal_id)


def snapshot() -> dict:
    """Everything a merge touches and an undo must give back: support rows (proposal,
    user), comments (id, proposal, origin, parent), each proposal's status, merged_into,
    counters, and the forums' public counts."""
    db.session.expire_all()
    return {
        "supports": sorted(db.session.execute(sa.select(Support.proposal_id, Support.user_id)).all()),
        "comments": sorted(db.session.execute(
            sa.select(Comment.id, Comment.proposal_id, Comment.origin_proposal_id, Comment.parent_id)).all()),
        "proposals": sorted(db.session.execute(sa.select(
            Proposal.id, Proposal.status, Proposal.merged_into_id, Proposal.support_count,
            Proposal.comment_count, Proposal.merge_count, Proposal.listing)).all()),
        "forums": sorted(db.session.execute(sa.select(
            Forum.id, Forum.proposal_count, Forum.participant_count, Forum.unit_count)).all()),
        "themes": sorted(db.session.execute(sa.select(Theme.id, Theme.proposal_count)).all()),
        "participants": sorted(db.session.execute(sa.select(
            ForumParticipant.forum_id, ForumParticipant.user_id, ForumParticipant.contributions)
            .where(ForumParticipant.contributions > 0)).all()),
        "units": sorted(db.session.execute(sa.select(ForumUnit.forum_id, ForumUnit.unit, ForumUnit.proposal_count)
                                           .where(ForumUnit.proposal_count > 0)).all()),
    }


def assert_counts_exact() -> None:
    """``flask votes verify`` and ``flask proposals verify`` would be clean."""
    db.session.expire_all()
    assert find_support_count_drift() == []
    assert find_counter_drift() == []


def supporters(proposal_id: int) -> set[int]:
    return set(db.session.scalars(sa.select(Support.user_id).where(Support.proposal_id == proposal_id)))
