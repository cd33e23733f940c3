"""Proposal lists read in keyset order (the read-only API's ``/proposals``): each page
starts after the sort key of the last proposal of the page before, so a page's cost does
not grow with how deep it is, and a proposal submitted or supported while a client walks
the list never makes it see another one twice.

A position is the tuple of the sort's columns of one proposal (``position_of``); the API
turns it into an opaque cursor. Which proposals a viewer sees is the forum page's rule:
public ones, and the hidden ones of the forums they moderate; withdrawn and merged ones
never.
"""
import enum
from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from forum.core.database import as_utc
from forum.extensions import db
from forum.proposals.models import Listing, Proposal
from forum.proposals.services import CARD_AUTHOR_COLUMNS


class KeysetSort(enum.StrEnum):
    """Orders of the API's proposal list; each ends with the id, so positions are unique."""

    NEWEST = "newest"
    OLDEST = "oldest"
    SUPPORTS = "supports"
    DISCUSSED = "discussed"

    @property
    def by_supports(self) -> bool:
        """Whether this order gives support counts away (refused where tallies are hidden)."""
        return self is KeysetSort.SUPPORTS


# The columns of each order; all descending but OLDEST's.
_COLUMNS = {
    KeysetSort.NEWEST: (Proposal.created_at, Proposal.id),
    KeysetSort.OLDEST: (Proposal.created_at, Proposal.id),
    KeysetSort.SUPPORTS: (Proposal.support_count, Proposal.created_at, Proposal.id),
    KeysetSort.DISCUSSED: (Proposal.comment_count, Proposal.created_at, Proposal.id),
}


def position_of(proposal: Proposal, sort: KeysetSort) -> tuple:
    """The sort key of ``proposal`` in ``sort``: where the next page starts after it."""
    values = []
    for column in _COLUMNS[sort]:
        value = getattr(proposal, column.key)
        values.append(as_utc(value) if isinstance(value, datetime) else value)
    return tuple(values)


def position_types(sort: KeysetSort) -> tuple[type, ...]:
    """The Python type of each value of a position in ``sort`` (to check a decoded cursor)."""
    return tuple(datetime if column.key == "created_at" else int for column in _COLUMNS[sort])


def list_proposals_after(
    forum_ids,
    *,
    staff_forum_ids=frozenset(),
    sort: KeysetSort = KeysetSort.NEWEST,
    theme_id: int | None = None,
    status: str | None = None,
    after: tuple | None = None,
    limit: int = 20,
) -> tuple[list[Proposal], bool]:
    """Up to ``limit`` proposals of ``forum_ids`` in ``sort`` order after the position
    ``after`` (None: from the start), with their authors and themes, and whether more
    follow. ``staff_forum_ids``: the forums whose hidden proposals the viewer may list.
    Two statements, whatever the depth: the page (one more row than asked, to know if
    more follow) with its authors joined, and its themes."""
    forum_ids = sorted(set(forum_ids))
    if not forum_ids:
        return [], False
    staff = sorted(set(staff_forum_ids) & set(forum_ids))
    listed = Proposal.listing == Listing.PUBLIC
    if staff:
        listed = sa.or_(listed, sa.and_(Proposal.listing == Listing.STAFF_ONLY, Proposal.forum_id.in_(staff)))
    conditions = [Proposal.forum_id.in_(forum_ids), listed]
    if theme_id is not None:
        conditions.append(Proposal.theme_id == theme_id)
    if status:
        conditions.append(Proposal.status == status)
    columns = _COLUMNS[sort]
    ascending = sort is KeysetSort.OLDEST
    if after is not None:
        key = sa.tuple_(*columns)
        bound = sa.tuple_(*(sa.literal(value, column.type) for value, column in zip(after, columns)))
        conditions.append(key > bound if ascending else key < bound)
    order = [column.asc() if ascending else column.desc() for column in columns]
    rows = db.session.scalars(
        sa.select(Proposal)
        .where(*conditions)
        .options(
            so.joinedload(Proposal.author).load_only(*CARD_AUTHOR_COLUMNS),
            so.selectinload(Proposal.theme),
        )
        .order_by(*order)
        .limit(limit + 1)
    ).all()
    return list(rows[:limit]), len(rows) > limit

