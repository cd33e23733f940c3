"""The frozen result of a closed forum (issue 9 item 2).

When a forum closes, its ranking is computed from the support rows and stored as a
``ResultSnapshot``: the canonical JSON of the ranks, the counts and the supporters'
breakdowns by province, union level and sector, and the SHA-256 of that JSON. The digest
covers only what is counted (which proposals, in which order, with how many supports from
whom), so it changes when a counted support changes and never otherwise (a corrected
title or a later answer leaves it as it is). ``verify_forum_result`` computes the ranking
again from the rows and compares.

A forum closed by an organizer is frozen in the same transaction
(``forums.services.on_forum_closed``); one closed by its schedule is frozen by
``flask results freeze`` (cron) or when an organizer opens its result, whichever comes
first. Reopening is logged (``forum.set_phase``); the next closing makes a new snapshot
and the old ones stay readable.
"""
import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa
from flask_babel import gettext as _

from forum.core.audit import record_audit
from forum.core.database import utcnow
from forum.core.errors import InvalidAction, PermissionDenied
from forum.core.permissions import is_active_user
from forum.extensions import db
from forum.forums import services as forums
from forum.forums.models import Forum, Phase
from forum.proposals import services as proposals
from forum.results.models import ResultSnapshot
from forum.votes import services as votes

# The version of the payload's shape, inside the digested JSON: a reader of an old
# snapshot knows which fields to expect.
PAYLOAD_VERSION = 1


def closing_moment(forum: Forum, now: datetime | None = None) -> datetime | None:
    """When the forum's current closing began (by hand or by its schedule); None while
    it is not closed."""
    phase, _source, since = forum.phase_decision(now)
    if phase != Phase.CLOSED:
        return None
    if since is None:  # created closed and never changed: closed since it exists
        created = forum.created_at
        since = created.replace(tzinfo=UTC) if created.tzinfo is None else created
    return since


def _iso(moment: datetime) -> str:
    """UTC, to the second, with a Z (SQLite gives back naive datetimes, which are UTC)."""
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


def compute_ranking(forum: Forum, closed_at: datetime | None) -> dict:
    """The forum's ranking from the support rows, as the plain structure a snapshot
    digests: every listed proposal with its rank (1, 2, 2, 4: equal supports share a
    rank), its supports and their breakdowns, most supported first (then the earliest
    submitted); and the forum's totals. A fixed number of queries."""
    counted = votes.count_listed_supports(forum.id)
    breakdowns = {attribute: votes.count_listed_supports_by(forum.id, attribute)
                  for attribute in votes.SUPPORTER_ATTRIBUTES}
    keys = proposals.list_listed_proposal_keys(forum.id)
    order = sorted(keys, key=lambda key: (-counted.get(key[0], 0), key[1], key[0]))
    ranked, rank, previous = [], 0, None
    for position, (proposal_id, _created_at) in enumerate(order, start=1):
        supports = counted.get(proposal_id, 0)
        if supports != previous:
            rank, previous = position, supports
        ranked.append({
            "id": proposal_id,
            "rank": rank,
            "supports": supports,
            "by_province": breakdowns["province"].get(proposal_id, {}),
            "by_union_level": breakdowns["union_level"].get(proposal_id, {}),
            "by_sector": breakdowns["sector"].get(proposal_id, {}),
        })
    totals = {attribute: {} for attribute in votes.SUPPORTER_ATTRIBUTES}
    for attribute, per_proposal in breakdowns.items():
        for values in per_proposal.values():
            for value, count in values.items():
                totals[attribute][value] = totals[attribute].get(value, 0) + count
    return {
        "version": PAYLOAD_VERSION,
        "forum": forum.number,
        "closed_at": _iso(closed_at) if closed_at else None,
        "proposals": ranked,
        "totals": {
            "proposals": len(ranked),
            "supports": sum(counted.values()),
            "by_province": totals["province"],
            "by_union_level": totals["union_level"],
            "by_sector": totals["sector"],
        },
    }


def canonical_json(payload: dict) -> str:
    """The one serialisation that is digested: sorted keys, no spaces, UTF-8 text as is."""
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def digest_of(canonical: str) -> str:
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _check_organizer(actor) -> None:
    if actor is not None and not (is_active_user(actor) and actor.is_organizer):
        raise PermissionDenied(_("Chỉ Ban Tổ chức mới được chốt hoặc công bố kết quả."))


def current_snapshot(forum: Forum, now: datetime | None = None) -> ResultSnapshot | None:
    """The snapshot of the forum's current closing; None while it is open or not frozen yet."""
    closed_at = closing_moment(forum, now)
    if closed_at is None:
        return None
    return db.session.scalar(
        sa.select(ResultSnapshot).where(ResultSnapshot.forum_id == forum.id, ResultSnapshot.closed_at == closed_at)
    )


def list_snapshots(forum: Forum) -> list[ResultSnapshot]:
    """Every snapshot of the forum, newest first (a forum reopened has several)."""
    return list(db.session.scalars(
        sa.select(ResultSnapshot).where(ResultSnapshot.forum_id == forum.id)
        .order_by(ResultSnapshot.created_at.desc(), ResultSnapshot.id.desc())
    ))


def get_snapshot(snapshot_id: int) -> ResultSnapshot | None:
    return db.session.get(ResultSnapshot, snapshot_id)


def freeze_forum_result(forum: Forum, *, actor, closed_at: datetime | None = None) -> ResultSnapshot:
    """Freeze the ranking of the closed forum for its current closing (once: the
    snapshot already made for this closing is returned as it is). ``actor=None``: the
    console or the close itself."""
    _check_organizer(actor)
    closed_at = closed_at or closing_moment(forum)
    if closed_at is None:
        raise InvalidAction(_("Diễn đàn chưa kết thúc: chỉ chốt kết quả khi diễn đàn đã đóng."))
    existing = db.session.scalar(
        sa.select(ResultSnapshot).where(ResultSnapshot.forum_id == forum.id, ResultSnapshot.closed_at == closed_at)
    )
    if existing is not None:
        return existing
    payload = compute_ranking(forum, closed_at)
    canonical = canonical_json(payload)
    snapshot = ResultSnapshot(
        forum_id=forum.id, closed_at=closed_at, payload=canonical, digest=digest_of(canonical),
        proposal_count=payload["totals"]["proposals"], support_count=payload["totals"]["supports"],
        created_by_id=actor.id if actor is not None else None,
    )
    db.session.add(snapshot)
    db.session.flush()
    record_audit("results.freeze", forum, actor=actor, after={
        "snapshot": snapshot.id, "digest": snapshot.digest, "proposals": snapshot.proposal_count,
        "supports": snapshot.support_count,
    })
    return snapshot


def _freeze_on_close(forum: Forum, *, actor, closed_at: datetime) -> None:
    freeze_forum_result(forum, actor=actor, closed_at=closed_at)


forums.on_forum_closed(_freeze_on_close)


def freeze_due_results(now: datetime | None = None) -> list[ResultSnapshot]:
    """Freeze every closed forum whose current closing has no snapshot yet (the forums
    closed by their schedule): what ``flask results freeze`` runs from cron."""
    made = []
    for forum in forums.list_all_forums():
        closed_at = closing_moment(forum, now)
        if closed_at is not None and current_snapshot(forum, now) is None:
            made.append(freeze_forum_result(forum, actor=None, closed_at=closed_at))
    return made


def publish_result(snapshot: ResultSnapshot, *, actor) -> bool:
    """Make the snapshot's result public (its page and the API); False when it already is."""
    _check_organizer(actor)
    if snapshot.published_at is not None:
        return False
    snapshot.published_at = utcnow()
    snapshot.published_by_id = actor.id if actor is not None else None
    db.session.flush()
    record_audit("results.publish", snapshot.forum, actor=actor,
                 after={"snapshot": snapshot.id, "digest": snapshot.digest})
    return True


def unpublish_result(snapshot: ResultSnapshot, *, actor) -> bool:
    _check_organizer(actor)
    if snapshot.published_at is None:
        return False
    snapshot.published_at = None
    snapshot.published_by_id = None
    db.session.flush()
    record_audit("results.unpublish", snapshot.forum, actor=actor, after={"snapshot": snapshot.id})
    return True


def list_published_snapshots() -> list[ResultSnapshot]:
    """The newest published snapshot of each forum, in forum order (the public page)."""
    newest = (
        sa.select(ResultSnapshot.forum_id, sa.func.max(ResultSnapshot.published_at).label("published_at"))
        .where(ResultSnapshot.published_at.is_not(None)).group_by(ResultSnapshot.forum_id).subquery()
    )
    return list(db.session.scalars(
        sa.select(ResultSnapshot)
        .join(newest, sa.and_(ResultSnapshot.forum_id == newest.c.forum_id,
                              ResultSnapshot.published_at == newest.c.published_at))
        .join(Forum, Forum.id == ResultSnapshot.forum_id)
        .order_by(Forum.number)
    ))


def snapshot_payload(snapshot: ResultSnapshot) -> dict:
    return json.loads(snapshot.payload)


@dataclass(frozen=True)
class Verification:
    """What ``verify_forum_result`` found: whether the stored JSON still has its digest,
    and how the ranking computed now from the rows differs from it."""

    snapshot: ResultSnapshot
    digest_intact: bool  # the stored JSON still hashes to the stored digest
    recomputed_digest: str
    changes: list[str]  # in words, one per proposal (empty: nothing changed)

    @property
    def unchanged(self) -> bool:
        return self.digest_intact and self.recomputed_digest == self.snapshot.digest


def verify_snapshot(snapshot: ResultSnapshot) -> Verification:
    """Compute the forum's ranking again from the support rows, for the snapshot's
    closing, and compare it with the snapshot."""
    stored = snapshot_payload(snapshot)
    again = compute_ranking(snapshot.forum, snapshot.closed_at)
    canonical = canonical_json(again)
    before = {row["id"]: row for row in stored["proposals"]}
    after = {row["id"]: row for row in again["proposals"]}
    changes = []
    for proposal_id in sorted(before.keys() | after.keys()):
        old, new = before.get(proposal_id), after.get(proposal_id)
        if old is None:
            changes.append(_("Hiến kế #%(id)s có trong kết quả tính lại nhưng không có trong kết quả đã chốt.",
                             id=proposal_id))
        elif new is None:
            changes.append(_("Hiến kế #%(id)s có trong kết quả đã chốt nhưng không còn được tính.", id=proposal_id))
        elif old != new:
            changes.append(_("Hiến kế #%(id)s: hạng %(old_rank)s → %(new_rank)s, %(old)s → %(new)s lượt ủng hộ.",
                             id=proposal_id, old_rank=old["rank"], new_rank=new["rank"],
                             old=old["supports"], new=new["supports"]))
    return Verification(
        snapshot=snapshot,
        digest_intact=digest_of(snapshot.payload) == snapshot.digest,
        recomputed_digest=digest_of(canonical),
        changes=changes,
    )
