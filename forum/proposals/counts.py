"""The counts a proposal's rows feed: each proposal's comment count, and the forums'
public counts (proposals per forum, theme and unit; participants), kept by the forums
services and described here by the rows that make them up; their verification and
repair (``flask proposals verify [--repair]``).
"""
from collections import Counter
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from flask_babel import gettext as _

from forum.auth.models import User
from forum.core.audit import record_audit
from forum.core.database import local_date
from forum.core.errors import PermissionDenied
from forum.core.permissions import is_active_user
from forum.extensions import db
from forum.forums import services as forum_counts
from forum.forums.models import Forum, Theme
from forum.proposals.models import Comment, Listing, Proposal

# A forum's participants are the users with a public contribution there: a proposal
# every reader sees (``Listing.PUBLIC``), a comment that is not hidden on one, and what
# the domains above add (supports). Those domains register a *contribution source*: a
# function of a proposal id returning a select of (forum_id, user_id, day, kind), one row
# per contribution on that proposal whatever its state, or with ``None`` one row per
# contribution on every public proposal (for verification); ``day`` is the Vietnam day it
# was made (``local_date``), ``kind`` the measure of the forum's daily tallies it counts
# in ("proposals", "comments", "supports": ``forums.services.DAY_MEASURES``).
_contribution_sources: dict = {}  # source -> the table its rows live in


def register_contribution_source(source, table: sa.Table) -> None:
    """Let ``source`` (see above) count in participation; ``table``, where its rows live,
    is locked while the counters are repaired. The votes services register their
    supports at import."""
    _contribution_sources.setdefault(source, table)


def _own_contributions(proposal_id: int | None) -> list[sa.Select]:
    forum_id = Proposal.forum_id.label("forum_id")
    comments = sa.select(
        forum_id, Comment.author_id.label("user_id"), local_date(Comment.created_at).label("day"),
        sa.literal("comments", sa.String).label("kind"),
    ).join(Proposal, Comment.proposal_id == Proposal.id)
    comments = comments.where(Comment.is_hidden.is_(False))
    authors = sa.select(
        forum_id, Proposal.author_id.label("user_id"), local_date(Proposal.created_at).label("day"),
        sa.literal("proposals", sa.String).label("kind"),
    )
    if proposal_id is None:
        return [
            authors.where(Proposal.listing == Listing.PUBLIC),
            comments.where(Proposal.listing == Listing.PUBLIC),
        ]
    return [authors.where(Proposal.id == proposal_id), comments.where(Comment.proposal_id == proposal_id)]


def _contributions(proposal_id: int | None) -> sa.Select:
    selects = _own_contributions(proposal_id) + [source(proposal_id) for source in _contribution_sources]
    return sa.union_all(*selects).subquery().select()


def change_publicity(proposal: Proposal, delta: int) -> None:
    """``proposal`` entered (+1) or left (-1) the public lists (withdrawal, hiding): move
    its forum's counts by everything it carries, in three queries plus the writes.

    Call it after flushing the proposal's change: every writer then locks rows in one
    order (the proposal, the participants by user id, the forum, its theme and unit),
    as a support or a comment does, so concurrent ones wait instead of deadlocking."""
    rows = _contributions(proposal.id).subquery()
    deltas = dict(
        db.session.execute(
            sa.select(rows.c.user_id, sa.func.count() * delta).group_by(rows.c.user_id)
        ).all()
    )
    days = {(_as_date(day), kind): count * delta for day, kind, count in db.session.execute(
        sa.select(rows.c.day, rows.c.kind, sa.func.count()).group_by(rows.c.day, rows.c.kind))}
    unit = db.session.scalar(sa.select(User.unit).where(User.id == proposal.author_id))
    forum_counts.change_participation(proposal.forum_id, deltas)
    forum_counts.change_public_proposals(proposal.forum_id, proposal.theme_id, unit, delta)
    forum_counts.change_forum_days(proposal.forum_id, days)


def _as_date(value) -> date:
    """A ``local_date`` as read back (SQLite gives its text)."""
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def public_proposals_for_counts() -> sa.Select:
    """(forum_id, theme_id, unit of the author) once per public proposal."""
    return (
        sa.select(Proposal.forum_id, Proposal.theme_id, User.unit)
        .join(User, User.id == Proposal.author_id)
        .where(Proposal.listing == Listing.PUBLIC)
    )


@dataclass(frozen=True)
class CommentCountDrift:
    proposal_id: int
    stored: int
    actual: int


def find_proposal_counter_drift(counter, counted_fk) -> list[tuple[int, int, int]]:
    """(proposal id, stored, actual) for every proposal whose ``counter`` column differs
    from the number of rows whose ``counted_fk`` points at it, by id, in one GROUP BY
    query (the LEFT JOIN keeps proposals without any such row). Comments use it here,
    supports in the votes services."""
    actual = sa.func.count(counted_fk)
    return db.session.execute(
        sa.select(Proposal.id, counter, actual)
        .outerjoin(counted_fk.table, counted_fk == Proposal.id)
        .group_by(Proposal.id, counter)
        .having(counter != actual)
        .order_by(Proposal.id)
    ).all()


def recount_proposal_counter(counter, counted_fk, proposal_ids) -> None:
    """Set ``counter`` of ``proposal_ids`` from the rows whose ``counted_fk`` points at
    each (see ``find_proposal_counter_drift``)."""
    counted = (
        sa.select(sa.func.count()).select_from(counted_fk.table).where(counted_fk == Proposal.id)
        .correlate(Proposal).scalar_subquery()
    )
    db.session.execute(
        sa.update(Proposal)
        .where(Proposal.id.in_(list(proposal_ids)))
        # updated_at set to itself: a repair is not an edit.
        .values({counter.key: counted, "updated_at": Proposal.updated_at})
        .execution_options(synchronize_session=False)
    )


def find_comment_count_drift() -> list[CommentCountDrift]:
    """Proposals whose ``comment_count`` differs from their comment rows (one query)."""
    return [CommentCountDrift(*row) for row in find_proposal_counter_drift(Proposal.comment_count, Comment.proposal_id)]


def find_counter_drift() -> list:
    """Every counter of proposals and forums that differs from the rows: comment counts
    (``CommentCountDrift``) and the forums' public counts (``forums.CounterDrift``)."""
    return find_comment_count_drift() + forum_counts.find_counter_drift(
        public_proposals_for_counts(), _contributions(None)
    )


def _lock_counted_rows_against_writers() -> None:
    """Hold off every write that moves these counters while they are rebuilt.

    SQLite: the CLI transaction already began with BEGIN IMMEDIATE (forum.core.database).
    PostgreSQL: SHARE mode waits for in-flight writers and blocks new ones until this
    transaction ends, while reads go on.
    """
    if db.engine.dialect.name == "postgresql":
        sources = [table.name for table in _contribution_sources.values()]
        names = ", ".join(["proposals", "comments", *sources, "forum_participants", "forum_units"])
        db.session.execute(sa.text(f"LOCK TABLE {names} IN SHARE MODE"))


def recount_public_counts() -> None:
    """Set the forums' public counts from the rows, without audit: for whoever has just
    written the rows in bulk (the demo seeder); repairs go through ``repair_counters``."""
    forum_counts.repair_counters(public_proposals_for_counts(), _contributions(None))


def repair_counters(*, actor, reason: str = "") -> list:
    """Find the drift, rebuild the counters from the rows and write one audit entry per
    wrong counter; returns the drift found (empty: nothing was wrong, nothing written).
    Admins only; ``actor=None`` is the operator at the console (as for supports)."""
    if actor is not None and not (is_active_user(actor) and actor.is_admin):
        raise PermissionDenied(_("Chỉ quản trị hệ thống mới được sửa các bộ đếm."))
    _lock_counted_rows_against_writers()
    drift = find_counter_drift()
    if not drift:
        return []
    comment_drift = [d for d in drift if isinstance(d, CommentCountDrift)]
    if comment_drift:
        recount_proposal_counter(Proposal.comment_count, Comment.proposal_id, [d.proposal_id for d in comment_drift])
    recount_public_counts()
    targets = {"theme": Theme, "forum": Forum}
    for item in drift:
        if isinstance(item, CommentCountDrift):
            target, counter = db.session.get(Proposal, item.proposal_id), "comment_count"
        else:
            kind, _dot, counter = item.counter.partition(".")
            target = db.session.get(targets.get(kind, Forum), item.object_id)
            counter = counter or kind
        record_audit(
            "proposals.repair_counter", target, actor=actor, reason=reason,
            before={counter: item.stored}, after={counter: item.actual},
        )
    return drift


# Counts of several proposals changed at once (merges) ------------------------------------
@dataclass(frozen=True)
class PublicCounts:
    """What some proposals add to their forums' public counts: contributions per
    (forum, user) and per (forum, day, kind), public proposals per (forum, theme, unit of
    the author)."""

    contributions: Counter
    proposals: Counter
    days: Counter


def snapshot_public_counts(proposal_ids) -> PublicCounts:
    """``PublicCounts`` of the public ones among ``proposal_ids``, as the rows say now
    (call it after flushing). A change of several proposals at once (a merge) takes one
    before and one after and applies the difference (``apply_public_count_changes``),
    which is right whatever the change moved, whichever way."""
    ids = sorted(set(proposal_ids))
    public = list(db.session.execute(
        sa.select(Proposal.id, Proposal.forum_id, Proposal.theme_id, User.unit)
        .join(User, User.id == Proposal.author_id)
        .where(Proposal.id.in_(ids), Proposal.listing == Listing.PUBLIC)
    ))
    contributions, proposals, days = Counter(), Counter(), Counter()
    for proposal_id, forum_id, theme_id, unit in public:
        proposals[(forum_id, theme_id, unit)] += 1
        rows = _contributions(proposal_id).subquery()
        for forum, user, day, kind, n in db.session.execute(
            sa.select(rows.c.forum_id, rows.c.user_id, rows.c.day, rows.c.kind, sa.func.count())
            .group_by(rows.c.forum_id, rows.c.user_id, rows.c.day, rows.c.kind)
        ):
            contributions[(forum, user)] += n
            days[(forum, _as_date(day), kind)] += n
    return PublicCounts(contributions, proposals, days)


def apply_public_count_changes(before: PublicCounts, after: PublicCounts) -> None:
    """Move the forums' counts by ``after - before``: participation forum by forum, then
    the public proposals (the order every writer locks them in)."""
    changes: dict[int, dict[int, int]] = {}
    for key in before.contributions.keys() | after.contributions.keys():
        delta = after.contributions[key] - before.contributions[key]
        if delta:
            changes.setdefault(key[0], {})[key[1]] = delta
    for forum_id in sorted(changes):
        forum_counts.change_participation(forum_id, changes[forum_id])
    moves = {}
    for key in before.proposals.keys() | after.proposals.keys():
        delta = after.proposals[key] - before.proposals[key]
        if delta:
            moves[key] = delta
    for (forum_id, theme_id, unit), delta in sorted(moves.items(), key=lambda item: (item[0][0], item[0][1] or 0, item[0][2] or "")):
        forum_counts.change_public_proposals(forum_id, theme_id, unit, delta)
    days: dict[int, dict[tuple[date, str], int]] = {}
    for key in before.days.keys() | after.days.keys():
        delta = after.days[key] - before.days[key]
        if delta:
            days.setdefault(key[0], {})[(key[1], key[2])] = delta
    for forum_id in sorted(days):
        forum_counts.change_forum_days(forum_id, days[forum_id])
