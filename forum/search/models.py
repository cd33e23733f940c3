"""Search tables: the outbox of pending index updates, and the PostgreSQL document table.

``SearchOutbox`` rows are written in the same transaction as the change they describe,
so the index can never miss a committed change: the indexer drains them after commit
and deletes them only once the index has committed.

``SearchEntry`` is what the PostgreSQL backend searches (one row per contribution,
denormalised for filtering). On PostgreSQL its ``tsv_exact``/``tsv_fold`` generated
columns and GIN indexes are added by the migration (and ``postgres.schema.ensure_schema``);
they are not mapped here because SQLite has no equivalent. The Whoosh backend leaves the
table empty.
"""
from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from forum.core.database import utcnow
from forum.extensions import db


class OutboxEntity:
    """What an outbox row asks the indexer to refresh."""

    PROPOSAL = "proposal"  # one proposal document
    COUNTS = "counts"  # only the proposal's support count changed (no text to analyse again)
    COMMENT = "comment"  # one comment document
    THREAD = "thread"  # a proposal and all its comments (visibility, status or theme changed)
    FORUM = "forum"  # everything in a forum (its phase changed)


class SearchOutbox(db.Model):
    __tablename__ = "search_outbox"

    id: so.Mapped[int] = so.mapped_column(sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True)
    entity: so.Mapped[str] = so.mapped_column(sa.String(20))
    entity_id: so.Mapped[int] = so.mapped_column()
    created_at: so.Mapped[datetime] = so.mapped_column(sa.DateTime(timezone=True), default=utcnow)

    def __repr__(self) -> str:
        return f"<SearchOutbox {self.id} {self.entity}:{self.entity_id}>"


class SearchEntry(db.Model):
    """One searchable contribution, as the PostgreSQL backend stores it."""

    __tablename__ = "search_entries"

    key: so.Mapped[str] = so.mapped_column(sa.String(40), primary_key=True)
    kind: so.Mapped[str] = so.mapped_column(sa.String(20))
    entity_id: so.Mapped[int] = so.mapped_column()
    proposal_id: so.Mapped[int] = so.mapped_column(index=True)
    forum_id: so.Mapped[int] = so.mapped_column()
    theme_id: so.Mapped[int | None] = so.mapped_column()
    author_id: so.Mapped[int] = so.mapped_column()
    status: so.Mapped[str] = so.mapped_column(sa.String(30))
    visibility: so.Mapped[str] = so.mapped_column(sa.String(20))
    created_at: so.Mapped[datetime] = so.mapped_column(sa.DateTime(timezone=True))
    support_count: so.Mapped[int] = so.mapped_column(default=0)
    title: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    body: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    fingerprint: so.Mapped[str] = so.mapped_column(sa.String(32))

    __table_args__ = (
        sa.Index("ix_search_entries_filters", "visibility", "forum_id", "kind", "created_at"),
    )
