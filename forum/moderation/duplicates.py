"""Possible duplicates for the moderators (issue 8 item 5): pairs of similar proposals,
found by the search engine's similarity (the "Đã có hiến kế tương tự?" analysis, both
engines) and kept here, so that the page reads one table instead of searching.

The pairs are precomputed by ``flask moderation find-duplicates`` (cron, e.g. every
15 minutes; the demo seeder runs it once), never on a page view: one search per proposal
is 50,000 searches at the national scale, too many for a request but a few minutes for a
job. A run searches only for the proposals it has not seen with their current title
(``DuplicateScan``): new ones, and corrected or edited titles; a new proposal's search
finds its older twins, so the older ones need no second look (``--all`` looks at every
proposal again, e.g. nightly, for one shown again after being hidden). The page then
costs a constant number of queries: one for a bounded window of the best pairs in the
viewer's forums, one for their proposals, one for the time of the last search. A
dismissed pair keeps its row (``dismissed_at``): finding it again does not bring it back.
"""
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask_babel import gettext as _
from sqlalchemy.dialects import postgresql, sqlite

from forum.core.audit import record_audit
from forum.core.database import utcnow
from forum.core.errors import InvalidAction, PermissionDenied
from forum.core.permissions import is_active_user
from forum.extensions import db
from forum.forums.moderators import ALL_FORUMS, can_moderate, moderated_forum_ids
from forum.proposals import services as proposals

_DIALECT_INSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}

# How many of the best pairs one page looks at (the page groups them).
WINDOW = 400
GROUPS_PER_PAGE = 20


class DuplicatePair(db.Model):
    """Two proposals that look alike (``first_id < second_id``), with the similarity
    score of the search engine and the forums they were in when found."""

    __tablename__ = "duplicate_pairs"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    first_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("proposals.id", ondelete="CASCADE"))
    second_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("proposals.id", ondelete="CASCADE"), index=True)
    first_forum_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("forums.id", ondelete="CASCADE"))
    second_forum_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("forums.id", ondelete="CASCADE"))
    score: so.Mapped[float] = so.mapped_column(sa.Float)
    found_at: so.Mapped[datetime] = so.mapped_column(sa.DateTime(timezone=True), default=utcnow)
    dismissed_at: so.Mapped[datetime | None] = so.mapped_column(sa.DateTime(timezone=True))
    dismissed_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))

    __table_args__ = (
        sa.UniqueConstraint("first_id", "second_id"),
        sa.Index("ix_duplicate_pairs_open", "dismissed_at", "score"),
    )


class DuplicateScan(db.Model):
    """The title a proposal had when its similar proposals were last searched for."""

    __tablename__ = "duplicate_scans"

    proposal_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("proposals.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    title: so.Mapped[str] = so.mapped_column(sa.Text)
    scanned_at: so.Mapped[datetime] = so.mapped_column(sa.DateTime(timezone=True), default=utcnow, index=True)


def proposals_to_scan(batch: dict) -> list[int]:
    """Of ``batch`` ({id: proposal}), the ids not yet searched with their current title."""
    seen = dict(db.session.execute(
        sa.select(DuplicateScan.proposal_id, DuplicateScan.title).where(DuplicateScan.proposal_id.in_(list(batch)))
    ).all())
    return [proposal_id for proposal_id, proposal in batch.items() if seen.get(proposal_id) != proposal.title]


def mark_scanned(scanned) -> None:
    """Remember that these proposals were searched for with their current titles."""
    rows = [{"proposal_id": proposal.id, "title": proposal.title, "scanned_at": utcnow()} for proposal in scanned]
    if not rows:
        return
    insert = _DIALECT_INSERTS[db.engine.dialect.name](DuplicateScan.__table__)
    db.session.execute(insert.values(rows).on_conflict_do_update(
        index_elements=["proposal_id"], set_={"title": insert.excluded.title, "scanned_at": insert.excluded.scanned_at},
    ))


def last_scan_at() -> datetime | None:
    """When the possible duplicates were last looked for (None: never)."""
    return db.session.scalar(sa.select(sa.func.max(DuplicateScan.scanned_at)))


def record_similar(proposal, similar: list[tuple[object, float]]) -> int:
    """Keep ``(other proposal, score)`` pairs found for ``proposal``; a pair already
    known (dismissed or not) is left as it is. Returns how many pairs are new."""
    rows = []
    for other, score in similar:
        if other.id == proposal.id:
            continue
        first, second = sorted((proposal, other), key=lambda p: p.id)
        rows.append({"first_id": first.id, "second_id": second.id, "first_forum_id": first.forum_id,
                     "second_forum_id": second.forum_id, "score": float(score), "found_at": utcnow()})
    if not rows:
        return 0
    insert = _DIALECT_INSERTS[db.engine.dialect.name](DuplicatePair.__table__)
    result = db.session.execute(
        insert.values(rows).on_conflict_do_nothing(index_elements=["first_id", "second_id"])
        .returning(DuplicatePair.__table__.c.id)
    )
    return len(result.all())


@dataclass(frozen=True)
class DuplicateGroup:
    """Proposals linked by similar pairs; ``pairs``: (pair id, first, second, score)."""

    proposals: list
    pairs: list

    @property
    def best(self) -> float:
        return max(score for *_ids, score in self.pairs)


@dataclass(frozen=True)
class DuplicatesPage:
    groups: list[DuplicateGroup]
    page: int
    has_next: bool
    last_scan_at: datetime | None = None


def list_duplicate_groups(viewer, *, page: int = 1) -> DuplicatesPage:
    """Groups of possible duplicates among the proposals ``viewer`` may merge: pairs not
    dismissed, both proposals still listed and in forums the viewer moderates, joined
    into groups (a pair sharing a proposal with another joins its group), best first.
    Reads at most ``WINDOW`` pairs (two queries whatever the number of proposals)."""
    forum_ids = moderated_forum_ids(viewer)
    if not forum_ids:
        return DuplicatesPage([], 1, False)
    scanned_at = last_scan_at()
    query = sa.select(DuplicatePair).where(DuplicatePair.dismissed_at.is_(None))
    if forum_ids is not ALL_FORUMS:
        query = query.where(DuplicatePair.first_forum_id.in_(sorted(forum_ids)),
                            DuplicatePair.second_forum_id.in_(sorted(forum_ids)))
    pairs = list(db.session.scalars(query.order_by(DuplicatePair.score.desc(), DuplicatePair.id).limit(WINDOW)))
    loaded = proposals.get_proposals_by_id({p.first_id for p in pairs} | {p.second_id for p in pairs})

    def usable(proposal_id):
        proposal = loaded.get(proposal_id)
        return proposal is not None and proposal.listing_is_public and can_moderate(viewer, proposal.forum_id)

    parent: dict[int, int] = {}

    def root(x):
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    kept = [pair for pair in pairs if usable(pair.first_id) and usable(pair.second_id)]
    for pair in kept:
        parent[root(pair.first_id)] = root(pair.second_id)
    groups: dict[int, list] = {}
    for pair in kept:
        groups.setdefault(root(pair.first_id), []).append((pair.id, pair.first_id, pair.second_id, pair.score))
    built = []
    for members in groups.values():
        ids = sorted({i for _pid, a, b, _s in members for i in (a, b)})
        built.append(DuplicateGroup([loaded[i] for i in ids], members))
    built.sort(key=lambda group: (-group.best, group.proposals[0].id))
    page = max(1, page)
    start = (page - 1) * GROUPS_PER_PAGE
    return DuplicatesPage(built[start:start + GROUPS_PER_PAGE], page, len(built) > start + GROUPS_PER_PAGE, scanned_at)


def dismiss_pair(pair_id: int, *, actor) -> DuplicatePair:
    """"Không trùng": the pair is not shown again, even when found again."""
    pair = db.session.get(DuplicatePair, pair_id)
    if pair is None:
        raise InvalidAction(_("Không tìm thấy cặp hiến kế này."))
    if not (is_active_user(actor) and actor.is_moderator
            and can_moderate(actor, pair.first_forum_id) and can_moderate(actor, pair.second_forum_id)):
        raise PermissionDenied(_("Bạn chỉ xử lý được hiến kế trong các diễn đàn mình điều hành."))
    if pair.dismissed_at is None:
        pair.dismissed_at = utcnow()
        pair.dismissed_by_id = actor.id
        record_audit("moderation.dismiss_duplicate", pair, actor=actor,
                     before={"dismissed": False},
                     after={"dismissed": True, "first": pair.first_id, "second": pair.second_id})
        db.session.flush()
    return pair
