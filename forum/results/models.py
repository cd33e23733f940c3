"""Frozen results: a forum's ranking as it stood when the forum closed."""
from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from forum.core.database import utcnow
from forum.extensions import db


class ResultSnapshot(db.Model):
    """One frozen result of a forum: its canonical JSON (``payload``: ranks, counts and
    breakdowns, see ``forum.results.snapshots``) and the SHA-256 of that JSON. A forum
    closed, reopened and closed again has one per closing; old ones stay readable.
    ``published_at``: when organizers made it public (None: organizers only)."""

    __tablename__ = "result_snapshots"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    forum_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("forums.id", ondelete="CASCADE"))
    closed_at: so.Mapped[datetime] = so.mapped_column(sa.DateTime(timezone=True))  # the closing it freezes
    created_at: so.Mapped[datetime] = so.mapped_column(sa.DateTime(timezone=True), default=utcnow)
    created_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    payload: so.Mapped[str] = so.mapped_column(sa.Text)  # the canonical JSON, exactly as digested
    digest: so.Mapped[str] = so.mapped_column(sa.String(64))
    proposal_count: so.Mapped[int] = so.mapped_column(default=0)
    support_count: so.Mapped[int] = so.mapped_column(default=0)
    published_at: so.Mapped[datetime | None] = so.mapped_column(sa.DateTime(timezone=True))
    published_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))

    forum = so.relationship("Forum")

    __table_args__ = (
        sa.UniqueConstraint("forum_id", "closed_at"),
        sa.Index("ix_result_snapshots_forum_created", "forum_id", "created_at"),
    )

    def __repr__(self) -> str:
        return f"<ResultSnapshot forum={self.forum_id} {self.digest[:12]}>"
