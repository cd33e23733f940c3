"""The support row; the database's unique constraint is what makes it one per user."""
import enum
from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from forum.core.database import utcnow
from forum.extensions import db


class Support(db.Model):
    __tablename__ = "supports"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    proposal_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("proposals.id", ondelete="CASCADE"))
    user_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: so.Mapped[datetime] = so.mapped_column(sa.DateTime(timezone=True), default=utcnow)
    # Set on a support that a merge carried onto its proposal (the supporter's support of
    # the merged duplicate, which stays where it was): the undo removes exactly these.
    merge_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("proposal_merges.id"), index=True
    )

    __table_args__ = (
        sa.UniqueConstraint("proposal_id", "user_id"),
    )

    def __repr__(self) -> str:
        return f"<Support user={self.user_id} proposal={self.proposal_id}>"


class MergeOutcome(enum.StrEnum):
    """What a merge did with one supporter of the merged proposal."""

    MOVED = "moved"  # now supports the proposal merged into (a support row with merge_id)
    ALREADY = "already"  # already supported it: counted once
    OVER_LIMIT = "over_limit"  # not carried over: it would exceed the forum's limit
    TARGET_AUTHOR = "author"  # not carried over: the author of the proposal merged into
    NOT_COUNTED = "not_counted"  # not carried over: the target's forum does not count their role


class SupportMergeRecord(db.Model):
    """One row per supporter of a merged proposal at the moment of the merge, with what
    the merge did for them (``MergeOutcome``); the undo reads it back."""

    __tablename__ = "support_merge_records"

    merge_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("proposal_merges.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    outcome: so.Mapped[str] = so.mapped_column(sa.String(20))
