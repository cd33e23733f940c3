"""Forums, their phases and their themes."""
import enum
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import current_app
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

# The roles whose supports a forum counts unless its organizers allow others.
DEFAULT_SUPPORTING_ROLES = ("delegate",)

# The schedule's moments and the phase each one starts (supports_open_at starts no phase:
# it only gates supports inside the open and voting phases).
SCHEDULE_EVENTS = (
    ("proposals_open_at", Phase.OPEN),
    ("proposals_close_at", Phase.VOTING),
    ("supports_close_at", Phase.CLOSED),
)


def _as_utc(moment: datetime | None) -> datetime | None:
    """SQLite hands timezone-aware columns back naive (they are stored in UTC)."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)


def decide_phase(phase: str, phase_set_at: datetime | None, moments: dict, now: datetime | None = None):
    """``Forum.phase_decision`` on plain values (the search index computes it from rows):
    ``moments`` maps the columns of ``SCHEDULE_EVENTS`` to their datetimes or None."""
    now = now or utcnow()
    decided, source, since = Phase(phase), PhaseSource.MANUAL, _as_utc(phase_set_at)
    for column, scheduled in SCHEDULE_EVENTS:
        moment = _as_utc(moments.get(column))
        if moment is not None and moment <= now and (since is None or moment >= since):
            decided, source, since = scheduled, PhaseSource.SCHEDULE, moment
    return decided, source, since


class PhaseSource(enum.StrEnum):
    """What put a forum in its current phase."""

    MANUAL = "manual"  # an organizer's choice (or the phase the forum was created with)
    SCHEDULE = "schedule"  # a moment of the schedule that has passed


# The sessions of a day a forum may be held in (``Forum.time_of_day`` as organizers type it).
SESSION_LABELS = {"sáng": _l("buổi sáng"), "trưa": _l("buổi trưa"), "chiều": _l("buổi chiều"), "tối": _l("buổi tối")}


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
    # The phase organizers set by hand, and when; ``effective_phase`` combines it with the
    # schedule. Read the phase in force through ``current_phase``, never this column.
    phase: so.Mapped[str] = so.mapped_column(sa.String(20), default=Phase.DRAFT.value)
    phase_set_at: so.Mapped[datetime | None] = so.mapped_column(sa.DateTime(timezone=True))
    # Schedule (UTC; entered and shown in Asia/Ho_Chi_Minh). Each is optional.
    proposals_open_at: so.Mapped[datetime | None] = so.mapped_column(sa.DateTime(timezone=True))
    proposals_close_at: so.Mapped[datetime | None] = so.mapped_column(sa.DateTime(timezone=True))
    supports_open_at: so.Mapped[datetime | None] = so.mapped_column(sa.DateTime(timezone=True))
    supports_close_at: so.Mapped[datetime | None] = so.mapped_column(sa.DateTime(timezone=True))
    # Rules. None: no limit / the site's EDIT_WINDOW_MINUTES.
    max_supports_per_user: so.Mapped[int | None] = so.mapped_column()
    supports_withdrawable: so.Mapped[bool] = so.mapped_column(default=True, server_default=sa.true())
    hide_tallies_until_closed: so.Mapped[bool] = so.mapped_column(default=False, server_default=sa.false())
    edit_window_minutes: so.Mapped[int | None] = so.mapped_column()
    comments_open: so.Mapped[bool] = so.mapped_column(default=True, server_default=sa.true())
    # Stored and editable; the moderation queue that holds such posts comes with moderation.
    premoderate_new_accounts: so.Mapped[bool] = so.mapped_column(default=False, server_default=sa.false())
    # The roles whose supports count here (role codes of forum.auth.models.Role).
    supporting_roles: so.Mapped[list] = so.mapped_column(
        sa.JSON, default=lambda: list(DEFAULT_SUPPORTING_ROLES), server_default='["delegate"]'
    )
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
        sa.CheckConstraint("max_supports_per_user IS NULL OR max_supports_per_user >= 1", name="max_supports_positive"),
        sa.CheckConstraint("edit_window_minutes IS NULL OR edit_window_minutes >= 0", name="edit_window_not_negative"),
    )

    def __repr__(self) -> str:
        return f"<Forum {self.number} {self.slug}>"

    # The phase in force -------------------------------------------------------------
    def phase_decision(self, now: datetime | None = None) -> tuple[Phase, PhaseSource, datetime | None]:
        """The phase in force at ``now``, what set it, and since when.

        The rule: the most recent change that has happened wins. The changes are the
        organizers' last choice by hand (``phase`` at ``phase_set_at``; a forum never
        changed by hand has it since always) and each moment of the schedule that has
        passed (``SCHEDULE_EVENTS``: proposals open → open, proposals close → voting,
        supports close → closed). So without a schedule the manual phase applies; with
        one, the forum moves at each moment by itself, at the moment of each request
        (no scheduler process); and a choice by hand after a moment overrides it until
        the next moment. A tie goes to the schedule.
        """
        return decide_phase(
            self.phase, self.phase_set_at, {column: getattr(self, column) for column, _phase in SCHEDULE_EVENTS}, now
        )

    def effective_phase(self, now: datetime | None = None) -> Phase:
        return self.phase_decision(now)[0]

    def next_scheduled_change(self, now: datetime | None = None) -> tuple[str, datetime] | None:
        """(schedule column, moment) of the next moment still to come, or None."""
        now = now or utcnow()
        upcoming = [
            (column, _as_utc(getattr(self, column)))
            for column in ("proposals_open_at", "supports_open_at", "proposals_close_at", "supports_close_at")
            if getattr(self, column) is not None and _as_utc(getattr(self, column)) > now
        ]
        return min(upcoming, key=lambda item: item[1]) if upcoming else None

    @property
    def has_schedule(self) -> bool:
        return any(getattr(self, column) is not None for column in SCHEDULE_COLUMNS)

    @property
    def current_phase(self) -> Phase:
        """The phase in force now (what every page and check reads)."""
        return self.effective_phase()

    @property
    def session_label(self) -> str:
        """``time_of_day`` as the page shows it after the date: a session named in the
        reader's language ("buổi chiều", "afternoon"), anything else as typed
        ("14:00 – 17:00")."""
        text = (self.time_of_day or "").strip()
        key = text.casefold().removeprefix("buổi").strip()
        return str(SESSION_LABELS[key]) if key in SESSION_LABELS else text

    @property
    def phase_label(self) -> str:
        return self.current_phase.label

    # What the phase and the rules allow -----------------------------------------------
    def accepts_proposals_at(self, now: datetime | None = None) -> bool:
        return self.effective_phase(now) == Phase.OPEN

    def accepts_comments_at(self, now: datetime | None = None) -> bool:
        return bool(self.comments_open) and self.effective_phase(now) == Phase.OPEN

    def accepts_supports_at(self, now: datetime | None = None) -> bool:
        now = now or utcnow()
        if self.effective_phase(now) not in (Phase.OPEN, Phase.VOTING):
            return False
        opens = _as_utc(self.supports_open_at)
        return opens is None or opens <= now

    @property
    def accepts_proposals(self) -> bool:
        return self.accepts_proposals_at()

    @property
    def accepts_comments(self) -> bool:
        return self.accepts_comments_at()

    @property
    def accepts_supports(self) -> bool:
        return self.accepts_supports_at()

    def counts_supports_of(self, user) -> bool:
        """Whether ``user``'s role is one whose supports this forum counts."""
        return is_active_user(user) and user.role in (self.supporting_roles or DEFAULT_SUPPORTING_ROLES)

    def edit_window(self) -> timedelta:
        """How long authors may edit a proposal or comment here."""
        minutes = self.edit_window_minutes
        if minutes is None:
            minutes = current_app.config["EDIT_WINDOW_MINUTES"]
        return timedelta(minutes=minutes)

    @property
    def page_state(self) -> tuple:
        """What a page shows of this forum that could change while the database does
        not: the phase in force (its schedule moves it), whether supports are taken yet,
        and the next moment of the schedule. Stored pages (forum.core.pagecache) are
        keyed on it; whether tallies show follows from these and the forum's row."""
        now = utcnow()
        return (self.effective_phase(now).value, self.accepts_supports_at(now), self.next_scheduled_change(now))

    def is_visible_to(self, user) -> bool:
        """Forums in draft (in force now) are visible to organizers and admins only."""
        if self.current_phase != Phase.DRAFT:
            return True
        return is_active_user(user) and user.is_organizer

    @property
    def active_themes(self) -> list["Theme"]:
        """The themes that take new proposals."""
        return [theme for theme in self.themes if not theme.is_retired]


SCHEDULE_COLUMNS = ("proposals_open_at", "proposals_close_at", "supports_open_at", "supports_close_at")


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
    # A retired theme takes no new proposals and keeps those it has.
    is_retired: so.Mapped[bool] = so.mapped_column(default=False, server_default=sa.false())

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


class ForumDay(db.Model):
    """What a forum received on one day (Vietnam time) that every reader sees: public
    proposals submitted, comments written and not hidden on them, supports given to them
    and still there. Kept with the rows, as the participation tallies are, so that the
    organizers' daily series reads one row per forum and day, never the contributions."""

    __tablename__ = "forum_days"

    forum_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("forums.id", ondelete="CASCADE"), primary_key=True)
    day: so.Mapped[date] = so.mapped_column(sa.Date, primary_key=True)
    proposals: so.Mapped[int] = so.mapped_column(default=0)
    comments: so.Mapped[int] = so.mapped_column(default=0)
    supports: so.Mapped[int] = so.mapped_column(default=0)

    __table_args__ = (
        sa.CheckConstraint("proposals >= 0", name="proposals_not_negative"),
        sa.CheckConstraint("comments >= 0", name="comments_not_negative"),
        sa.CheckConstraint("supports >= 0", name="supports_not_negative"),
    )


class ModeratorAssignment(db.Model):
    """A moderator's scope: one row per forum they moderate, or one row with no forum
    for all of them (``forum.forums.moderators``). Organizers and admins moderate every
    forum by their role and have no rows."""

    __tablename__ = "moderator_assignments"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    user_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    forum_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("forums.id", ondelete="CASCADE"))
    created_at: so.Mapped[datetime] = so.mapped_column(sa.DateTime(timezone=True), default=utcnow)

    forum: so.Mapped[Forum | None] = so.relationship()

    __table_args__ = (
        sa.UniqueConstraint("user_id", "forum_id", name="uq_moderator_assignments_user_forum"),
        # NULLs are distinct in a unique constraint: "all forums" needs its own index.
        sa.Index(
            "uq_moderator_assignments_user_all",
            "user_id",
            unique=True,
            sqlite_where=sa.text("forum_id IS NULL"),
            postgresql_where=sa.text("forum_id IS NULL"),
        ),
    )


class ForumStatus(db.Model):
    """A status the organizers define for a forum's proposals, besides the built-in ones
    (``proposals.models.ProposalStatus``): a proposal stores its ``code``, which never
    changes and never depends on the language; the titles are what readers see
    (``title`` in Vietnamese, ``title_en`` in English, falling back to ``title``). A
    retired status is no longer offered to moderators; proposals that have it keep it."""

    __tablename__ = "forum_statuses"

    CODE_MAX_LENGTH = 30  # proposals.status is a String(30)
    TITLE_MAX_LENGTH = 100

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    forum_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("forums.id", ondelete="CASCADE"))
    code: so.Mapped[str] = so.mapped_column(sa.String(CODE_MAX_LENGTH))
    title: so.Mapped[str] = so.mapped_column(sa.String(TITLE_MAX_LENGTH))
    title_en: so.Mapped[str] = so.mapped_column(sa.String(TITLE_MAX_LENGTH), default="", server_default="")
    position: so.Mapped[int] = so.mapped_column(default=0)
    is_retired: so.Mapped[bool] = so.mapped_column(default=False, server_default=sa.false())
    created_at: so.Mapped[datetime] = so.mapped_column(sa.DateTime(timezone=True), default=utcnow)

    __table_args__ = (sa.UniqueConstraint("forum_id", "code", name="uq_forum_statuses_forum_code"),)

    def __repr__(self) -> str:
        return f"<ForumStatus {self.forum_id} {self.code}>"
