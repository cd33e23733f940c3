"""Support verbs. Never commit: the view or CLI command does.

Exactness under concurrency rests on two rules (tests/votes/test_concurrency.py races them):
the ``UNIQUE(proposal_id, user_id)`` constraint decides who supports, through
``INSERT ... ON CONFLICT DO NOTHING`` (never check-then-insert); and the counter moves
only by an atomic ``UPDATE ... SET support_count = support_count ± 1`` issued when the
insert or delete really changed a row, in the same transaction.
"""
from dataclasses import dataclass
from typing import NamedTuple

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm.attributes import set_committed_value

from forum.core.audit import record_audit
from forum.core.database import utcnow
from forum.core.errors import InvalidAction, PermissionDenied
from forum.core.formatting import datetime_filter
from forum.core.permissions import is_active_user
from forum.auth.models import Role
from forum.extensions import db
from forum.forums.models import Phase
from forum.proposals.models import Listing, Proposal
from forum.forums.services import change_participation
from forum.proposals.counts import find_proposal_counter_drift, recount_proposal_counter, register_contribution_source
from forum.proposals.services import card_loader_options, listed_on_profile
from forum.votes.models import Support

_DIALECT_INSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


@dataclass(frozen=True)
class SupportState:
    """What the actor sees after the request: ``changed`` is False for a repeated click."""

    supported: bool
    support_count: int
    changed: bool


def supported_proposal_ids(user, proposal_ids) -> set[int]:
    """Which of ``proposal_ids`` ``user`` supports, in one query (empty for anonymous)."""
    ids = list(proposal_ids)
    if not ids or not is_active_user(user):
        return set()
    rows = db.session.scalars(
        sa.select(Support.proposal_id).where(Support.user_id == user.id, Support.proposal_id.in_(ids))
    )
    return set(rows)


def support_contributions(proposal_id: int | None) -> sa.Select:
    """Supports as contributions to their forum's participation: (forum_id, user_id) per
    support on ``proposal_id``, or with None on every public proposal (see
    ``proposals.counts.register_contribution_source``)."""
    stmt = sa.select(Proposal.forum_id, Support.user_id).join(Proposal, Support.proposal_id == Proposal.id)
    if proposal_id is None:
        return stmt.where(Proposal.listing == Listing.PUBLIC)
    return stmt.where(Support.proposal_id == proposal_id)


register_contribution_source(support_contributions, Support.__table__)


def list_supported_proposals(user, *, forum_ids) -> list[Proposal]:
    """Proposals in ``forum_ids`` the user supports, most recently supported first, as
    cards (one query; ``proposal.forum`` as in ``proposals.services.list_own_proposals``)."""
    return list(
        db.session.scalars(
            sa.select(Proposal)
            .join(Support, Support.proposal_id == Proposal.id)
            .where(Support.user_id == user.id, listed_on_profile(user, forum_ids))
            .options(*card_loader_options())
            .order_by(Support.created_at.desc(), Support.id.desc())
        )
    )


def support_proposal(proposal: Proposal, *, actor) -> SupportState:
    """Add ``actor``'s support; supporting twice keeps one row and counts once. The
    forum's rules decide who may support and how many proposals each (checked here)."""
    _check_may_change_support(proposal, actor, withdrawing=False)
    _check_support_limit(proposal, actor)
    insert = _DIALECT_INSERTS[db.engine.dialect.name]
    supports = Support.__table__
    # RETURNING tells whether this statement inserted the row. Not rowcount: SQLAlchemy
    # adds an implicit RETURNING of the primary key on PostgreSQL, and psycopg then
    # reports rowcount -1 for an inserted row as well as for a skipped one.
    inserted = db.session.execute(
        insert(supports)
        .values(proposal_id=proposal.id, user_id=actor.id, created_at=utcnow())
        .on_conflict_do_nothing(index_elements=["proposal_id", "user_id"])
        .returning(supports.c.id)
    ).first() is not None
    count = _shift_support_count(proposal, +1) if inserted else _read_support_count(proposal)
    if inserted and proposal.listing_is_public:
        change_participation(proposal.forum_id, {actor.id: +1})
    return SupportState(supported=True, support_count=count, changed=inserted)


def withdraw_support(proposal: Proposal, *, actor) -> SupportState:
    """Remove ``actor``'s support; withdrawing when not supporting changes nothing.
    Refused where the forum's rules keep supports once given."""
    _check_may_change_support(proposal, actor, withdrawing=True)
    if not proposal.forum.supports_withdrawable:
        raise InvalidAction(_("Diễn đàn này không cho rút lại lượt ủng hộ đã gửi."))
    supports = Support.__table__
    deleted = db.session.execute(
        sa.delete(supports).where(supports.c.proposal_id == proposal.id, supports.c.user_id == actor.id)
    ).rowcount == 1
    count = _shift_support_count(proposal, -1) if deleted else _read_support_count(proposal)
    if deleted and proposal.listing_is_public:
        change_participation(proposal.forum_id, {actor.id: -1})
    return SupportState(supported=False, support_count=count, changed=deleted)


def _check_may_change_support(proposal: Proposal, actor, *, withdrawing: bool) -> None:
    """``Proposal.can_support`` decides; the rest only picks the message that explains why not."""
    if proposal.can_support(actor):
        return
    if proposal.is_author(actor):
        raise PermissionDenied(_("Bạn không thể ủng hộ hiến kế của chính mình."))
    if not is_active_user(actor):
        raise PermissionDenied(_("Vui lòng đăng nhập bằng tài khoản đang hoạt động để ủng hộ hiến kế."))
    forum = proposal.forum
    if not forum.counts_supports_of(actor):
        roles = ", ".join(_role_label(role) for role in forum.supporting_roles or ())
        raise PermissionDenied(_("Trong diễn đàn này, chỉ %(roles)s được ủng hộ hiến kế.", roles=roles))
    if forum.current_phase in (Phase.OPEN, Phase.VOTING) and not forum.accepts_supports:
        raise InvalidAction(_("Diễn đàn nhận ủng hộ từ %(moment)s.", moment=datetime_filter(forum.supports_open_at)))
    if not forum.accepts_supports:
        if withdrawing:
            raise InvalidAction(_("Diễn đàn hiện không cho phép rút ủng hộ."))
        raise InvalidAction(_("Diễn đàn hiện không nhận ủng hộ."))
    if withdrawing:
        raise InvalidAction(_("Hiến kế này đã được rút hoặc tạm ẩn nên không thể rút ủng hộ."))
    raise InvalidAction(_("Hiến kế này đã được rút hoặc tạm ẩn nên không nhận ủng hộ."))


def _role_label(role: str) -> str:
    try:
        return Role(role).label.lower()
    except ValueError:
        return role


def _check_support_limit(proposal: Proposal, actor) -> None:
    """Refuse a new support beyond the forum's limit per user (a repeated click on a
    proposal already supported is not a new one). Supports on proposals that left the
    public list (withdrawn, hidden) do not count: their supporters cannot take them back.

    Two concurrent supports by one user must not both pass: SQLite write transactions
    are already serial (BEGIN IMMEDIATE); PostgreSQL takes an advisory lock per user."""
    limit = proposal.forum.max_supports_per_user
    if limit is None:
        return
    if db.engine.dialect.name == "postgresql":
        db.session.execute(
            sa.select(sa.func.pg_advisory_xact_lock(SUPPORT_LIMIT_LOCK, actor.id))
        )
    supports = (
        sa.select(sa.func.count())
        .select_from(Support)
        .join(Proposal, Support.proposal_id == Proposal.id)
        .where(Support.user_id == actor.id, Proposal.forum_id == proposal.forum_id, Proposal.listing == Listing.PUBLIC)
    )
    already = sa.exists().where(Support.proposal_id == proposal.id, Support.user_id == actor.id)
    given, supported = db.session.execute(sa.select(supports.scalar_subquery(), already)).one()
    if not supported and given >= limit:
        raise InvalidAction(
            _("Bạn đã ủng hộ đủ %(limit)s hiến kế trong diễn đàn này.", limit=limit)
            + (" " + _("Hãy rút một lượt ủng hộ nếu muốn ủng hộ hiến kế khác.")
               if proposal.forum.supports_withdrawable else "")
        )


# The first key of the (key, user id) advisory lock that serialises one user's supports.
SUPPORT_LIMIT_LOCK = 7_301


def _shift_support_count(proposal: Proposal, delta: int) -> int:
    """Atomic ``support_count = support_count + delta``; returns the new value.

    ``updated_at`` is set to itself so that a support does not count as an edit of the
    proposal (the column's ``onupdate`` would otherwise fire).
    """
    count = db.session.execute(
        sa.update(Proposal)
        .where(Proposal.id == proposal.id)
        .values(support_count=Proposal.support_count + delta, updated_at=Proposal.updated_at)
        .returning(Proposal.support_count)
        .execution_options(synchronize_session=False)
    ).scalar_one()
    set_committed_value(proposal, "support_count", count)
    return count


def _read_support_count(proposal: Proposal) -> int:
    count = db.session.scalar(sa.select(Proposal.support_count).where(Proposal.id == proposal.id))
    set_committed_value(proposal, "support_count", count)
    return count


# Counter maintenance (``flask votes verify [--repair]``) ---------------------------------
class SupportCountDrift(NamedTuple):
    """A proposal whose stored ``support_count`` differs from its support rows."""

    proposal_id: int
    stored: int
    counted: int


def find_support_count_drift() -> list[SupportCountDrift]:
    """Every proposal whose counter is wrong, by id, in one GROUP BY query (the LEFT
    JOIN keeps proposals without any support row)."""
    rows = find_proposal_counter_drift(Proposal.support_count, Support.proposal_id)
    return [SupportCountDrift(*row) for row in rows]


def repair_support_counts(*, actor, reason: str = "") -> list[SupportCountDrift]:
    """Set every drifting counter from the rows, with one audit entry per proposal;
    returns what was repaired. Admins only; ``actor=None`` is the operator at the console.

    Concurrent supports wait until this transaction ends, so the counts read are final.
    """
    if actor is not None and not (is_active_user(actor) and actor.is_admin):
        raise PermissionDenied(_("Chỉ quản trị hệ thống mới được sửa số ủng hộ."))
    _lock_supports_against_writers()
    drift = find_support_count_drift()
    if not drift:
        return drift
    recount_proposal_counter(Proposal.support_count, Support.proposal_id, [item.proposal_id for item in drift])
    proposals = db.session.scalars(sa.select(Proposal).where(Proposal.id.in_([item.proposal_id for item in drift])))
    by_id = {proposal.id: proposal for proposal in proposals}
    for item in drift:
        record_audit(
            "votes.repair_support_count",
            by_id[item.proposal_id],
            actor=actor,
            reason=reason,
            before={"support_count": item.stored},
            after={"support_count": item.counted},
        )
    return drift


def _lock_supports_against_writers() -> None:
    """Hold off concurrent supports until this transaction ends.

    SQLite: write transactions (the CLI, POST requests) already began with BEGIN
    IMMEDIATE (forum.core.database). PostgreSQL: SHARE mode waits for in-flight support
    transactions and blocks new ones, while reads go on.
    """
    if db.engine.dialect.name == "postgresql":
        db.session.execute(sa.text("LOCK TABLE supports IN SHARE MODE"))


# Moves between forums (forum.moderation.curation) ----------------------------------------
def supporters_over_limit(proposal: Proposal, forum) -> int:
    """How many of ``proposal``'s supporters would support more proposals of ``forum``
    than its limit per person if the proposal joined it (0 without a limit). On
    PostgreSQL it takes each supporter's limit lock first (as ``support_proposal`` does,
    in user id order), so no concurrent support in ``forum`` slips past the answer."""
    limit = forum.max_supports_per_user
    if limit is None:
        return 0
    supporters = sa.select(Support.user_id).where(Support.proposal_id == proposal.id)
    if db.engine.dialect.name == "postgresql":
        db.session.execute(
            sa.select(sa.func.pg_advisory_xact_lock(SUPPORT_LIMIT_LOCK, Support.user_id))
            .where(Support.proposal_id == proposal.id).order_by(Support.user_id)
        ).all()
    over = (
        sa.select(Support.user_id)
        .join(Proposal, Support.proposal_id == Proposal.id)
        .where(Support.user_id.in_(supporters), Proposal.forum_id == forum.id, Proposal.listing == Listing.PUBLIC,
               Proposal.id != proposal.id)
        .group_by(Support.user_id)
        .having(sa.func.count() >= limit)
        .subquery()
    )
    return db.session.scalar(sa.select(sa.func.count()).select_from(over))
