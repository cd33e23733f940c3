"""Draft official answers: what a moderator wrote for a proposal and has not published yet.

One draft per proposal, listed per forum for the "publish all" page. Publishing copies
the draft onto the proposal (``proposals.services.set_official_answer``: the proposals
domain owns the published answer and the status) and deletes the draft.
"""
from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from forum.core.database import utcnow
from forum.extensions import db


class AnswerDraft(db.Model):
    __tablename__ = "answer_drafts"

    BODY_MAX_LENGTH = 10_000  # characters of normalised text

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    proposal_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("proposals.id", ondelete="CASCADE"), unique=True
    )
    # The proposal's forum, kept with the draft (a move updates it) for the forum's list.
    forum_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("forums.id", ondelete="CASCADE"), index=True)
    status: so.Mapped[str] = so.mapped_column(sa.String(30))
    body: so.Mapped[str] = so.mapped_column(sa.Text)
    author_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: so.Mapped[datetime] = so.mapped_column(sa.DateTime(timezone=True), default=utcnow, onupdate=utcnow)

    proposal: so.Mapped["Proposal"] = so.relationship()  # noqa: F821
    author: so.Mapped["User | None"] = so.relationship()  # noqa: F821

    def __repr__(self) -> str:
        return f"<AnswerDraft {self.proposal_id} {self.status}>"
