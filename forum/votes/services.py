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
from forum.core.database import local_date, local_day, utcnow
from forum.core.errors import InvalidAction, PermissionDenied
from forum.core.formatting import datetime_filter
from forum.core.permissions import is_active_user
from forum.auth.models import Role, User
from forum.auth.services import get_users
from forum.extensions import db
from forum.forums.models import DEFAULT_SUPPORTING_ROLES, Phase
from forum.proposals.models import Listing, Proposal
from forum.forums.services import change_forum_days, change_participation
from forum.proposals.counts import find_proposal_counter_drift, recount_proposal_counter, register_contribution_source
from forum.proposals.services import card_loader_options, listed_on_profile, lock_proposals
from forum.votes.models import MergeOutcome, Support, SupportMergeRecord

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
    """Supports as contributions to their forum's participation and daily tallies:
    (forum_id, user_id, day, "supports") per support on ``proposal_id``, or with None on every public proposal (see
    ``proposals.counts.register_contribution_source``)."""
    stmt = sa.select(
        Proposal.forum_id, Support.user_id, local_date(Support.created_at).label("day"),
        sa.literal("supports", sa.String).label("kind"),
    ).join(Proposal, Support.proposal_id == Proposal.id)
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
    lock_proposals([proposal])
    _check_may_change_support(proposal, actor, withdrawing=False)
    _check_support_limit(proposal, actor)
    insert = _DIALECT_INSERTS[db.engine.dialect.name]
    supports = Support.__table__
    # RETURNING tells whether this statement inserted the row. Not rowcount: SQLAlchemy
    # adds an implicit RETURNING of the primary key on PostgreSQL, and psycopg then
    # reports rowcount -1 for an inserted row as well as for a skipped one.
    given_at = utcnow()
    inserted = db.session.execute(
        insert(supports)
        .values(proposal_id=proposal.id, user_id=actor.id, created_at=given_at)
        .on_conflict_do_nothing(index_elements=["proposal_id", "user_id"])
        .returning(supports.c.id)
    ).first() is not None
    count = _shift_support_count(proposal, +1) if inserted else _read_support_count(proposal)
    if inserted and proposal.listing_is_public:
        change_participation(proposal.forum_id, {actor.id: +1})
        change_forum_days(proposal.forum_id, {(local_day(given_at), "supports"): +1})
    return SupportState(supported=True, support_count=count, changed=inserted)


def withdraw_support(proposal: Proposal, *, actor) -> SupportState:
    """Remove ``actor``'s support; withdrawing when not supporting changes nothing.
    Refused where the forum's rules keep supports once given."""
    lock_proposals([proposal])
    _check_may_change_support(proposal, actor, withdrawing=True)
    if not proposal.forum.supports_withdrawable:
        raise InvalidAction(_("Diễn đàn này không cho rút lại lượt ủng hộ đã gửi."))
    supports = Support.__table__
    given_at = db.session.execute(
        sa.delete(supports).where(supports.c.proposal_id == proposal.id, supports.c.user_id == actor.id)
        .returning(supports.c.created_at)
    ).scalar()
    deleted = given_at is not None
    count = _shift_support_count(proposal, -1) if deleted else _read_support_count(proposal)
    if deleted and proposal.listing_is_public:
        change_participation(proposal.forum_id, {actor.id: -1})
        change_forum_days(proposal.forum_id, {(local_day(given_at), "supports"): -1})
    return SupportState(supported=False, support_count=count, changed=deleted)


def _lock_users(user_ids) -> None:
    """The advisory locks of ``_check_support_limit`` for several users, in id order:
    every change of supports takes its proposals' rows first (``proposals.services.
    lock_proposals``), then these, then the support rows, the counters, the participants
    and the forums."""
    if db.engine.dialect.name != "postgresql":
        return
    for user_id in sorted(set(user_ids)):
        db.session.execute(sa.select(sa.func.pg_advisory_xact_lock(SUPPORT_LIMIT_LOCK, user_id)))


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
    if proposal.is_merged:
        raise InvalidAction(_("Hiến kế này đã được gộp vào hiến kế #%(id)s: lượt ủng hộ được tính ở đó.",
                              id=proposal.merged_into_id))
    if proposal.is_locked and proposal.is_active:
        raise InvalidAction(_("Hiến kế này đã bị khóa: không nhận thêm hoặc rút lượt ủng hộ."))
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


# Merges of duplicates (called by forum/moderation/merges.py) -----------------------------
# A merge leaves every support of the merged proposal (the *source*) where it is: the
# source is no longer listed, so its supports count nowhere (not in a forum's limit, not
# in participation). Each of its supporters who does not support the *target* yet gets
# a new support there, marked with the merge (``Support.merge_id``); what happened to
# each supporter is written down (``SupportMergeRecord``). The undo deletes the marked
# supports that still stand and gives the source back exactly the supporters whose
# support of the target still stands, so that changes made in between are respected.
@dataclass(frozen=True)
class SupportMergePlan:
    """What merging ``source`` into ``target`` does with each supporter of the source
    (user ids, sorted)."""

    moved: tuple[int, ...]  # get a support on the target
    already: tuple[int, ...]  # already support the target: counted once
    over_limit: tuple[int, ...]  # not carried over: the target's forum limit would be exceeded
    target_author: tuple[int, ...]  # the target's author cannot support it
    limit: int | None  # the target forum's supports per delegate
    not_counted: tuple[int, ...] = ()  # not carried over: the target's forum does not count their role

    @property
    def supporters(self) -> int:
        return (len(self.moved) + len(self.already) + len(self.over_limit) + len(self.target_author)
                + len(self.not_counted))

    @property
    def fingerprint(self) -> str:
        """Changes whenever the plan does: the confirmation form carries it, so that a
        merge confirmed on a screen that no longer tells the truth is shown again."""
        parts = (self.moved, self.already, self.over_limit, self.target_author, (self.limit,), self.not_counted)
        return "|".join(",".join(str(value) for value in part) for part in parts)


@dataclass(frozen=True)
class SupportUnmergePlan:
    """What undoing a merge does with each supporter the merge recorded (user ids, sorted)."""

    back_to_source: tuple[int, ...]  # their support moves back from the target to the source
    both: tuple[int, ...]  # supported both before the merge and still support the target: both again
    withdrawn: tuple[int, ...]  # withdrew their support of the target since: not given back to the source
    over_limit: tuple[int, ...]  # the source's forum limit would be exceeded: the source's support lapses
    untouched: tuple[int, ...]  # were never carried over (limit, author): still on the source
    limit: int | None  # the source forum's supports per delegate

    @property
    def fingerprint(self) -> str:
        parts = (self.back_to_source, self.both, self.withdrawn, self.over_limit, self.untouched, (self.limit,))
        return "|".join(",".join(str(value) for value in part) for part in parts)


def _supporters(proposal_id: int) -> list[int]:
    return list(db.session.scalars(
        sa.select(Support.user_id).where(Support.proposal_id == proposal_id).order_by(Support.user_id)
    ))


def _public_supports_in_forum(user_ids, forum_id: int, *, excluding) -> dict[int, int]:
    """``{user id: supports on public proposals of forum_id}``, leaving out the supports
    ``excluding`` selects (a condition on Support)."""
    if not user_ids:
        return {}
    rows = db.session.execute(
        sa.select(Support.user_id, sa.func.count())
        .join(Proposal, Support.proposal_id == Proposal.id)
        .where(
            Support.user_id.in_(list(user_ids)), Proposal.forum_id == forum_id,
            Proposal.listing == Listing.PUBLIC, sa.not_(excluding),
        )
        .group_by(Support.user_id)
    )
    return dict(rows.all())


def plan_support_merge(source: Proposal, target: Proposal) -> SupportMergePlan:
    """What a merge of ``source`` into ``target`` would do now, read without writing (for
    the confirmation screen; ``merge_supports`` reads it again under its locks). After
    the merge a moved supporter has, in the target's forum, their public supports but the
    source's plus the new one: it must stay within the limit."""
    supporters = _supporters(source.id)
    on_target = set(db.session.scalars(
        sa.select(Support.user_id).where(Support.proposal_id == target.id, Support.user_id.in_(supporters))
    )) if supporters else set()
    author = [u for u in supporters if u == target.author_id]
    candidates = [u for u in supporters if u not in on_target and u != target.author_id]
    # Across forums: a role the target's forum does not count (e.g. only delegates) stays out.
    counted_roles = target.forum.supporting_roles or DEFAULT_SUPPORTING_ROLES
    people = get_users(candidates)
    not_counted = [u for u in candidates if u in people and people[u].role not in counted_roles]
    candidates = [u for u in candidates if u not in not_counted]
    limit = target.forum.max_supports_per_user
    over = []
    if limit is not None:
        given = _public_supports_in_forum(candidates, target.forum_id, excluding=Support.proposal_id == source.id)
        over = [u for u in candidates if given.get(u, 0) >= limit]
    return SupportMergePlan(
        moved=tuple(u for u in candidates if u not in over),
        already=tuple(sorted(on_target)),
        over_limit=tuple(over),
        target_author=tuple(author),
        limit=limit,
        not_counted=tuple(not_counted),
    )


class StalePlan(InvalidAction):
    """The supports changed since the confirmation screen was shown."""


def merge_supports(source: Proposal, target: Proposal, *, merge_id: int, expected: str | None = None) -> SupportMergePlan:
    """Carry the source's supporters over to the target (see above) for merge
    ``merge_id``; returns the plan carried out. The caller has locked both proposals
    (``proposals.services.lock_proposals``) and changes the source's status; participation is
    the caller's too (it moves with everything else the merge moves). ``expected``: the
    fingerprint the moderator confirmed; a different plan now raises ``StalePlan``."""
    _lock_users(_supporters(source.id))
    plan = plan_support_merge(source, target)
    if expected is not None and plan.fingerprint != expected:
        raise StalePlan(_("Số người ủng hộ đã thay đổi từ lúc bạn xem. Hãy xem lại trước khi xác nhận."))
    if plan.moved:
        given_at = dict(db.session.execute(
            sa.select(Support.user_id, Support.created_at)
            .where(Support.proposal_id == source.id, Support.user_id.in_(plan.moved))
        ).all())
        db.session.execute(
            sa.insert(Support.__table__),
            [{"proposal_id": target.id, "user_id": u, "created_at": given_at[u], "merge_id": merge_id}
             for u in plan.moved],
        )
        _shift_support_count(target, len(plan.moved))
    outcomes = (
        [(u, MergeOutcome.MOVED) for u in plan.moved] + [(u, MergeOutcome.ALREADY) for u in plan.already]
        + [(u, MergeOutcome.OVER_LIMIT) for u in plan.over_limit]
        + [(u, MergeOutcome.TARGET_AUTHOR) for u in plan.target_author]
        + [(u, MergeOutcome.NOT_COUNTED) for u in plan.not_counted]
    )
    if outcomes:
        db.session.execute(
            sa.insert(SupportMergeRecord.__table__),
            [{"merge_id": merge_id, "user_id": u, "outcome": outcome.value} for u, outcome in outcomes],
        )
    return plan


def plan_support_unmerge(source: Proposal, target: Proposal, *, merge_id: int) -> SupportUnmergePlan:
    """What undoing merge ``merge_id`` would do now (read only; ``unmerge_supports``
    reads it again under its locks). A supporter gets their support of the source back
    when the support of the target that the merge counted still stands: the one it
    created (moved), or their own (already). Whoever withdrew it since does not; whoever
    supported the target anew since keeps that support."""
    outcomes = dict(db.session.execute(
        sa.select(SupportMergeRecord.user_id, SupportMergeRecord.outcome)
        .where(SupportMergeRecord.merge_id == merge_id)
    ).all())
    on_source = _supporters(source.id)
    marked = set(db.session.scalars(
        sa.select(Support.user_id).where(Support.proposal_id == target.id, Support.merge_id == merge_id)
    ))
    on_target = set(db.session.scalars(
        sa.select(Support.user_id).where(Support.proposal_id == target.id, Support.user_id.in_(on_source))
    )) if on_source else set()
    regain, withdrawn, untouched = [], [], []
    for user_id in on_source:
        outcome = outcomes.get(user_id)
        if outcome == MergeOutcome.MOVED:
            (regain if user_id in marked else withdrawn).append(user_id)
        elif outcome == MergeOutcome.ALREADY:
            (regain if user_id in on_target else withdrawn).append(user_id)
        else:
            untouched.append(user_id)
    limit = source.forum.max_supports_per_user
    over = []
    if limit is not None:
        # After the undo: their public supports in the source's forum, less the marked
        # supports the undo removes, plus the source's. Whoever supported elsewhere in
        # that forum meanwhile (the source counted nowhere) may have no room left for it.
        keeping = sorted(regain + untouched)
        # (coalesce: a NULL merge_id must not make the whole condition NULL)
        leaving = sa.or_(Support.proposal_id == source.id, sa.func.coalesce(Support.merge_id, 0) == merge_id)
        given = _public_supports_in_forum(keeping, source.forum_id, excluding=leaving)
        over = [u for u in keeping if given.get(u, 0) >= limit]
    back = [u for u in regain if u not in over and u in marked]
    return SupportUnmergePlan(
        back_to_source=tuple(back),
        both=tuple(u for u in regain if u not in over and u not in marked),
        withdrawn=tuple(withdrawn),
        over_limit=tuple(over),
        untouched=tuple(u for u in untouched if u not in over),
        limit=limit,
    )


def unmerge_supports(source: Proposal, target: Proposal, *, merge_id: int,
                     expected: str | None = None) -> SupportUnmergePlan:
    """Undo what ``merge_supports`` did for merge ``merge_id`` (see
    ``plan_support_unmerge``); the caller has locked both proposals and restores the
    source's status and the participation. Returns the plan carried out."""
    _lock_users(_supporters(source.id))
    plan = plan_support_unmerge(source, target, merge_id=merge_id)
    if expected is not None and plan.fingerprint != expected:
        raise StalePlan(_("Số người ủng hộ đã thay đổi từ lúc bạn xem. Hãy xem lại trước khi xác nhận."))
    supports = Support.__table__
    if plan.back_to_source:
        removed = db.session.execute(
            sa.delete(supports).where(
                supports.c.proposal_id == target.id, supports.c.merge_id == merge_id,
                supports.c.user_id.in_(plan.back_to_source),
            )
        ).rowcount
        _shift_support_count(target, -removed)
    # Marked supports that stay (over the source's limit): now simply the supporter's own.
    db.session.execute(
        sa.update(supports).where(supports.c.proposal_id == target.id, supports.c.merge_id == merge_id)
        .values(merge_id=None)
    )
    lapsed = plan.withdrawn + plan.over_limit
    if lapsed:
        removed = db.session.execute(
            sa.delete(supports).where(supports.c.proposal_id == source.id, supports.c.user_id.in_(lapsed))
        ).rowcount
        _shift_support_count(source, -removed)
    return plan


# Results ---------------------------------------------------------------------------------
SUPPORTER_ATTRIBUTES = ("province", "union_level", "sector")  # User columns a result breaks down by


def count_listed_supports(forum_id: int) -> dict[int, int]:
    """{proposal id: support rows} for every listed proposal of the forum that has any,
    counted from the rows (never the stored counters: this is what verifies them)."""
    rows = db.session.execute(
        sa.select(Support.proposal_id, sa.func.count())
        .join(Proposal, Support.proposal_id == Proposal.id)
        .where(Proposal.forum_id == forum_id, Proposal.listing == Listing.PUBLIC)
        .group_by(Support.proposal_id)
    )
    return {proposal_id: count for proposal_id, count in rows}


def count_listed_supports_by(forum_id: int, attribute: str) -> dict[int, dict[str, int]]:
    """{proposal id: {value of the supporters' ``attribute`` (province, union level or
    sector; "" when unknown): support rows}} for the forum's listed proposals, one query."""
    if attribute not in SUPPORTER_ATTRIBUTES:
        raise ValueError(attribute)
    column = getattr(User, attribute)
    rows = db.session.execute(
        sa.select(Support.proposal_id, column, sa.func.count())
        .join(Proposal, Support.proposal_id == Proposal.id)
        .join(User, Support.user_id == User.id)
        .where(Proposal.forum_id == forum_id, Proposal.listing == Listing.PUBLIC)
        .group_by(Support.proposal_id, column)
    )
    found: dict[int, dict[str, int]] = {}
    for proposal_id, value, count in rows:
        found.setdefault(proposal_id, {})[value or ""] = count
    return found
