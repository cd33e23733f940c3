"""The support row; the database's unique constraint is what makes it one per user."""
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

    __table_args__ = (sa.UniqueConstraint("proposal_id", "user_id"),)

    def __repr__(self) -> str:
        return f"<Support user={self.user_id} proposal={self.proposal_id}>"
