"""Forums, their phases and their themes."""
import enum
from datetime import date, datetime

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask_babel import lazy_gettext as _l

from forum.core.database import utcnow
from forum.core.permissions import is_active_user
from forum.extensions import db


class Phase(enum.StrEnum):
    """draft → open → voting → closed; what each phase allows is enforced here."""

    DRAFT = "draft"
    OPEN = "open"
    VOTING = "voting"
    CLOSED = "closed"

    @property
    def label(self) -> str:
        return str(PHASE_LABELS[self])


PHASE_LABELS = {
    Phase.DRAFT: _l("Chuẩn bị"),
    Phase.OPEN: _l("Đang nhận hiến kế"),
    Phase.VOTING: _l("Đang bình chọn"),
    Phase.CLOSED: _l("Đã kết thúc"),
}


class Forum(db.Model):
    __tablename__ = "forums"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    number: so.Mapped[int] = so.mapped_column(unique=True)
    slug: so.Mapped[str] = so.mapped_column(sa.String(120), unique=True)
    title: so.Mapped[str] = so.mapped_column(sa.String(300))
    description: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    held_on: so.Mapped[date | None] = so.mapped_column(sa.Date)
    time_of_day: so.Mapped[str] = so.mapped_column(sa.String(50), default="")
    venue: so.Mapped[str] = so.mapped_column(sa.String(300), default="")
    # [{"name": ..., "position": ...}, ...] in the order the organizers list them.
    chairs: so.Mapped[list] = so.mapped_column(sa.JSON, default=list)
    keynote: so.Mapped[str] = so.mapped_column(sa.String(500), default="")
    phase: so.Mapped[str] = so.mapped_column(sa.String(20), default=Phase.DRAFT.value)
    # Sample forums carry demonstration titles until organizers enter the official ones.
    is_sample: so.Mapped[bool] = so.mapped_column(default=False)
    # Public counts (DESIGN §3): maintained by forum.forums.services in the transaction
    # that changes what they count; ``flask proposals verify`` checks them.
    proposal_count: so.Mapped[int] = so.mapped_column(default=0, server_default="0")
    participant_count: so.Mapped[int] = so.mapped_column(default=0, server_default="0")
    unit_count: so.Mapped[int] = so.mapped_column(default=0, server_default="0")
    created_at: so.Mapped[datetime] = so.mapped_column(sa.DateTime(timezone=True), default=utcnow)
    updated_at: so.Mapped[datetime] = so.mapped_column(
        sa.DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )

    themes: so.Mapped[list["Theme"]] = so.relationship(
        back_populates="forum", order_by="Theme.position", cascade="all, delete-orphan"
    )

    __table_args__ = (
        sa.CheckConstraint("number BETWEEN 1 AND 10", name="number_range"),
        sa.CheckConstraint("phase IN ('draft', 'open', 'voting', 'closed')", name="phase_known"),
    )

    def __repr__(self) -> str:
        return f"<Forum {self.number} {self.slug}>"

    @property
    def phase_label(self) -> str:
        return Phase(self.phase).label

    # What the phase allows ------------------------------------------------------------
    @property
    def accepts_proposals(self) -> bool:
        return self.phase == Phase.OPEN

    @property
    def accepts_comments(self) -> bool:
        return self.phase == Phase.OPEN

    @property
    def accepts_supports(self) -> bool:
        return self.phase in (Phase.OPEN, Phase.VOTING)

    @property
    def page_state(self) -> tuple:
        """What a page shows of this forum that could change while the database does
        not: the phase it is in now. Stored pages (forum.core.pagecache) are keyed on
        it, so a phase that ever follows a clock must be computed here too."""
        return (self.phase,)

    def is_visible_to(self, user) -> bool:
        """Draft forums are visible to organizers and admins only."""
        if self.phase != Phase.DRAFT:
            return True
        return is_active_user(user) and user.is_organizer


class Theme(db.Model):
    """A discussion group (nhóm vấn đề) inside a forum."""

    __tablename__ = "themes"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    forum_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("forums.id", ondelete="CASCADE"), index=True)
    position: so.Mapped[int] = so.mapped_column(default=0)
    title: so.Mapped[str] = so.mapped_column(sa.String(300))
    description: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    # Public proposals in this theme, maintained like the forum's counts.
    proposal_count: so.Mapped[int] = so.mapped_column(default=0, server_default="0")

    forum: so.Mapped[Forum] = so.relationship(back_populates="themes")

    def __repr__(self) -> str:
        return f"<Theme {self.id} {self.title[:30]!r}>"


class ForumParticipant(db.Model):
    """How many public contributions (proposals, comments, supports that every reader can
    see) a user has in a forum; a participant is a user with at least one. Rows stay at
    zero when the last one goes, so a later contribution is a plain upsert."""

    __tablename__ = "forum_participants"

    forum_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("forums.id", ondelete="CASCADE"), primary_key=True)
    user_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    contributions: so.Mapped[int] = so.mapped_column(default=0)

    __table_args__ = (sa.CheckConstraint("contributions >= 0", name="contributions_not_negative"),)


class ForumUnit(db.Model):
    """How many public proposals the authors of one unit (đơn vị) have in a forum: the
    forum page lists the units with the most, and counts those with at least one."""

    __tablename__ = "forum_units"

    forum_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("forums.id", ondelete="CASCADE"), primary_key=True)
    unit: so.Mapped[str] = so.mapped_column(sa.String(200), primary_key=True)
    proposal_count: so.Mapped[int] = so.mapped_column(default=0)

    __table_args__ = (
        sa.CheckConstraint("proposal_count >= 0", name="proposal_count_not_negative"),
        sa.Index("ix_forum_units_top", "forum_id", "proposal_count"),
    )
