"""A small world for the moderation tests: two forums, one account per kind of actor."""
from dataclasses import dataclass

import sqlalchemy as sa

from forum.extensions import db
from forum.forums.moderators import ALL_FORUMS, assign_moderator_scope
from forum.moderation.queue.models import QueueItem, Report
from forum.proposals.counts import find_counter_drift
from forum.votes.services import find_support_count_drift
from tests.factories import make_comment, make_forum, make_proposal, make_support, make_user

ACTORS = ("anonymous", "delegate", "moderator_here", "moderator_elsewhere", "moderator_all", "organizer", "admin")
MAY_MODERATE_HERE = {"moderator_here", "moderator_all", "organizer", "admin"}


@dataclass
class World:
    forum_id: int
    other_forum_id: int
    proposal_id: int  # in forum "here", by the author, supported, with a comment
    comment_id: int  # on that proposal, by the commenter
    other_proposal_id: int  # in the other forum
    emails: dict
    ids: dict
    reporters: list  # emails of delegates who may report


def build_world(app, **forum_settings) -> World:
    with app.app_context():
        here = make_forum(number=1, phase="open", **forum_settings)
        elsewhere = make_forum(number=2, phase="open")
        users = {
            "author": make_user(),
            "commenter": make_user(),
            "delegate": make_user(),
            "moderator_here": make_user(role="moderator"),
            "moderator_elsewhere": make_user(role="moderator"),
            "moderator_all": make_user(role="moderator"),
            "organizer": make_user(role="organizer"),
            "admin": make_user(role="admin"),
        }
        reporters = [make_user() for _ in range(4)]
        assign_moderator_scope(users["moderator_here"], [here.id], actor=None)
        assign_moderator_scope(users["moderator_elsewhere"], [elsewhere.id], actor=None)
        assign_moderator_scope(users["moderator_all"], ALL_FORUMS, actor=None)
        proposal = make_proposal(here, users["author"], title="Nhà văn hóa cho công nhân khu trọ",
                                 body="Xây nhà văn hóa cạnh khu trọ công nhân.")
        comment = make_comment(proposal, users["commenter"], body="Ý kiến ủng hộ nhà văn hóa.")
        make_support(proposal, users["delegate"])
        other = make_proposal(elsewhere, users["author"], title="Hiến kế ở diễn đàn số hai")
        db.session.commit()
        return World(
            forum_id=here.id, other_forum_id=elsewhere.id, proposal_id=proposal.id, comment_id=comment.id,
            other_proposal_id=other.id, emails={key: user.email for key, user in users.items()},
            ids={key: user.id for key, user in users.items()}, reporters=[user.email for user in reporters],
        )


def counters_clean(app) -> bool:
    """``flask proposals verify`` and ``flask votes verify`` find nothing."""
    with app.app_context():
        return not find_counter_drift() and not find_support_count_drift()




def queue_rows(app) -> list[tuple]:
    with app.app_context():
        return [tuple(row) for row in db.session.execute(
            sa.select(QueueItem.id, QueueItem.kind, QueueItem.state, QueueItem.report_count,
                      QueueItem.awaiting_approval).order_by(QueueItem.id))]


def report_count(app) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(Report))


def database_state(app) -> dict:
    """Every row of every table but the audit log's security events; a refusal leaves it."""
    state = {}
    with app.app_context():
        for table in db.metadata.sorted_tables:
            query = sa.select(table).order_by(*table.primary_key.columns)
            if table.name == "audit_entries":
                query = query.where(sa.not_(table.c.action.startswith("security.")))
            state[table.name] = [tuple(row) for row in db.session.execute(query)]
        db.session.remove()
    return state


def audit_actions(app) -> list[str]:
    from forum.core.audit import AuditEntry

    with app.app_context():
        return list(db.session.scalars(
            sa.select(AuditEntry.action).where(AuditEntry.action.startswith("moderation.")).order_by(AuditEntry.id)))
