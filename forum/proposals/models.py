"""Proposals and comments, with the per-object permission predicates (``can_*``)."""
import enum
from datetime import UTC, datetime

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask_babel import lazy_gettext as _l

from forum.core.database import utcnow
from forum.core.permissions import is_active_user
from forum.extensions import db
from forum.forums.statuses import custom_status_label
from forum.forums.moderators import can_moderate


class ProposalStatus(enum.StrEnum):
    PUBLISHED = "published"
    UNDER_REVIEW = "under_review"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    MERGED = "merged"
    WITHDRAWN = "withdrawn"

    @property
    def label(self) -> str:
        return str(STATUS_LABELS[self])


STATUS_LABELS = {
    ProposalStatus.PUBLISHED: _l("Đã đăng"),
    ProposalStatus.UNDER_REVIEW: _l("Đang xem xét"),
    ProposalStatus.ACCEPTED: _l("Được tiếp thu"),
    ProposalStatus.REJECTED: _l("Chưa tiếp thu"),
    ProposalStatus.MERGED: _l("Đã gộp"),
    ProposalStatus.WITHDRAWN: _l("Đã rút"),
}
# The statuses a moderator's official answer gives (forum.moderation.curation.answers),
# besides the custom statuses organizers define per forum (forum.forums.statuses).
ANSWER_STATUSES = (ProposalStatus.UNDER_REVIEW, ProposalStatus.ACCEPTED, ProposalStatus.REJECTED)
# Statuses that take a proposal out of the discussion: no supports, comments or edits.
CLOSED_STATUSES = (ProposalStatus.MERGED, ProposalStatus.WITHDRAWN)
# Statuses in which a proposal still takes part in the discussion: every status but the
# closed ones, custom statuses included. An answer does not end the discussion (supports
# given after a "Chưa tiếp thu" tell the organizers something, and supporters can still
# take theirs back where the forum allows it); moderators lock a thread to close it.
ACTIVE_STATUSES = tuple(status for status in ProposalStatus if status not in CLOSED_STATUSES)


class HiddenCause(enum.StrEnum):
    """Why a proposal or comment is hidden (``hidden_cause``; None when it is not, or for
    rows hidden before causes were recorded, read as hidden by a moderator)."""

    MODERATOR = "moderator"  # hidden by a moderator, with a reason its author sees
    REPORTS = "reports"  # reported by enough people: hidden until a moderator reviews it
    PENDING = "pending"  # a new account's first post, waiting for a moderator's approval
    REJECTED = "rejected"  # a post waiting for approval that a moderator refused


# Causes of posts that have been published at some time (pre-moderation: an author with
# one of these, or a visible post, in a forum is no longer new there).
PUBLISHED_CAUSES = (HiddenCause.MODERATOR.value, HiddenCause.REPORTS.value)


class HiddenMixin:
    """The columns and properties of hiding, shared by proposals and comments."""

    HIDDEN_REASON_MAX_LENGTH = 1_000

    hidden_cause: so.Mapped[str | None] = so.mapped_column(sa.String(20))
    hidden_reason: so.Mapped[str] = so.mapped_column(sa.Text, default="", server_default="")
    # The moderator who hid it. Not a foreign key: adding one to these tables would
    # rebuild them on SQLite (see the migration); accounts are deactivated, never deleted.
    hidden_by_id: so.Mapped[int | None] = so.mapped_column()
    hidden_at: so.Mapped[datetime | None] = so.mapped_column(sa.DateTime(timezone=True))

    @property
    def awaiting_approval(self) -> bool:
        return self.is_hidden and self.hidden_cause == HiddenCause.PENDING

    @property
    def hidden_for_reports(self) -> bool:
        return self.is_hidden and self.hidden_cause == HiddenCause.REPORTS



class Listing(enum.IntEnum):
    """Where a proposal is listed (``Proposal.listing``, derived by the database)."""

    PUBLIC = 0  # every reader's lists and public counts
    STAFF_ONLY = 1  # hidden: listed for moderators and above only
    NOT_LISTED = 2  # withdrawn, or merged into another proposal: never listed


# One expression for both databases (SQLite and PostgreSQL both accept a boolean column
# as a CASE condition), in a generated column, so every write keeps it right. STORED
# (PostgreSQL's only kind); the migration adds it VIRTUAL to an existing SQLite table,
# which can add only those (its indexes store the value all the same).
LISTING_SQL = "CASE WHEN status IN ('withdrawn', 'merged') THEN 2 WHEN is_hidden THEN 1 ELSE 0 END"
# Statuses that take a proposal out of every list (LISTING_SQL's first branch).
NOT_LISTED_STATUSES = (ProposalStatus.WITHDRAWN, ProposalStatus.MERGED)


def _as_utc(moment: datetime) -> datetime:
    # SQLite hands back naive datetimes; everything is stored in UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class Proposal(HiddenMixin, db.Model):
    __tablename__ = "proposals"

    # Length limits, in characters of normalised text; forms and services read them here.
    TITLE_MIN_LENGTH = 5
    TITLE_MAX_LENGTH = 200
    BODY_MAX_LENGTH = 20_000
    WITHDRAW_REASON_MAX_LENGTH = 1_000  # kept in the audit entry of the withdrawal

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    forum_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("forums.id", ondelete="CASCADE"))
    theme_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("themes.id", ondelete="SET NULL"), index=True
    )
    author_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id"), index=True)
    title: so.Mapped[str] = so.mapped_column(sa.String(TITLE_MAX_LENGTH))
    body: so.Mapped[str] = so.mapped_column(sa.Text)
    body_html: so.Mapped[str] = so.mapped_column(sa.Text)
    status: so.Mapped[str] = so.mapped_column(sa.String(30), default=ProposalStatus.PUBLISHED.value)
    is_hidden: so.Mapped[bool] = so.mapped_column(default=False)
    is_locked: so.Mapped[bool] = so.mapped_column(default=False)
    is_pinned: so.Mapped[bool] = so.mapped_column(default=False)
    # Curation (forum.moderation.curation): shown on the home page; a title corrected for
    # clarity keeps the author's own (``original_title``, set once) with who and when.
    is_featured: so.Mapped[bool] = so.mapped_column(default=False, server_default=sa.false())
    original_title: so.Mapped[str | None] = so.mapped_column(sa.String(TITLE_MAX_LENGTH))
    # The two user ids below are not foreign keys: SQLite adds a reference to an existing
    # table only by rebuilding it, and accounts are never deleted (only locked).
    title_corrected_by_id: so.Mapped[int | None] = so.mapped_column()
    title_corrected_at: so.Mapped[datetime | None] = so.mapped_column(sa.DateTime(timezone=True))
    # The forum's published official answer (its status is ``status``); drafts live in
    # the moderation domain until they are published.
    answer_body: so.Mapped[str | None] = so.mapped_column(sa.Text)
    answer_html: so.Mapped[str | None] = so.mapped_column(sa.Text)
    answered_by_id: so.Mapped[int | None] = so.mapped_column()
    answered_at: so.Mapped[datetime | None] = so.mapped_column(sa.DateTime(timezone=True))
    # Denormalised counters, changed only by atomic UPDATE ... SET n = n ± 1 in the
    # services; ``flask votes verify`` checks them against the rows.
    support_count: so.Mapped[int] = so.mapped_column(default=0)
    comment_count: so.Mapped[int] = so.mapped_column(default=0)
    # Proposals merged into this one (merges in force): the page asks for them only then.
    merge_count: so.Mapped[int] = so.mapped_column(default=0, server_default="0")
    created_at: so.Mapped[datetime] = so.mapped_column(sa.DateTime(timezone=True), default=utcnow)
    updated_at: so.Mapped[datetime] = so.mapped_column(
        sa.DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )
    edited_at: so.Mapped[datetime | None] = so.mapped_column(sa.DateTime(timezone=True))
    withdrawn_at: so.Mapped[datetime | None] = so.mapped_column(sa.DateTime(timezone=True))
    # The proposal this one was merged into (status ``merged``); see ``ProposalMerge``.
    merged_into_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("proposals.id"), index=True
    )
    # A ``Listing`` value computed from status and is_hidden, so that the list queries
    # filter with one equality that leads their indexes (``status != 'withdrawn' AND NOT
    # is_hidden`` is served by no index). Deferred: only queries read it.
    listing: so.Mapped[int] = so.mapped_column(
        sa.SmallInteger, sa.Computed(LISTING_SQL, persisted=True), deferred=True
    )

    forum: so.Mapped["Forum"] = so.relationship()  # noqa: F821
    theme: so.Mapped["Theme | None"] = so.relationship()  # noqa: F821
    author: so.Mapped["User"] = so.relationship()  # noqa: F821
    title_corrected_by: so.Mapped["User | None"] = so.relationship(  # noqa: F821
        primaryjoin="foreign(Proposal.title_corrected_by_id) == User.id", viewonly=True)
    answered_by: so.Mapped["User | None"] = so.relationship(  # noqa: F821
        primaryjoin="foreign(Proposal.answered_by_id) == User.id", viewonly=True)

    __table_args__ = (
        sa.CheckConstraint("support_count >= 0", name="support_count_not_negative"),
        sa.CheckConstraint("comment_count >= 0", name="comment_count_not_negative"),
        # One index per order of the forum page (pinned first, then the sort, newest
        # first, id), each led by forum and listing and read backwards for the DESC
        # order; theme_id last, so a theme filter and the page's offset skip only index
        # entries, never rows.
        sa.Index(
            "ix_proposals_list_supports",
            "forum_id", "listing", "is_pinned", "support_count", "created_at", "id", "theme_id",
        ),
        sa.Index(
            "ix_proposals_list_discussed",
            "forum_id", "listing", "is_pinned", "comment_count", "created_at", "id", "theme_id",
        ),
        sa.Index("ix_proposals_list_newest", "forum_id", "listing", "is_pinned", "created_at", "id", "theme_id"),
        # The home page's featured proposals: a small partial index (few are featured).
        sa.Index(
            "ix_proposals_featured", "created_at", "id",
            sqlite_where=sa.text("is_featured = 1"), postgresql_where=sa.text("is_featured"),
        ),
    )

    def __repr__(self) -> str:
        return f"<Proposal {self.id} {self.title[:30]!r}>"

    @property
    def status_label(self) -> str:
        """The status in the reader's language: a built-in one, or the custom status of
        the forum with that code (its code when the forum has none such)."""
        try:
            return ProposalStatus(self.status).label
        except ValueError:
            return custom_status_label(self.forum_id, self.status)

    @property
    def listing_is_public(self) -> bool:
        """What ``listing == Listing.PUBLIC`` says in the database, from the loaded row."""
        return not self.is_hidden and self.status not in NOT_LISTED_STATUSES

    @property
    def is_merged(self) -> bool:
        return self.status == ProposalStatus.MERGED

    @property
    def is_withdrawn(self) -> bool:
        return self.status == ProposalStatus.WITHDRAWN

    @property
    def is_active(self) -> bool:
        return self.status not in CLOSED_STATUSES and not self.is_hidden

    def is_author(self, user) -> bool:
        return is_active_user(user) and user.id == self.author_id

    # Permission predicates --------------------------------------------------------------
    def is_visible_to(self, user) -> bool:
        """Hidden proposals are seen only by their author and the moderators of its forum."""
        if not self.forum.is_visible_to(user):
            return False
        if not self.is_hidden:
            return True
        return self.is_author(user) or can_moderate(user, self.forum_id)

    def edit_deadline(self) -> datetime:
        return _as_utc(self.created_at) + self.forum.edit_window()

    def can_edit(self, user, now: datetime | None = None) -> bool:
        """Authors edit within the window, while the forum is open and nobody supports it
        yet. Where the forum hides its tallies the window alone decides: a lock at the first
        support would tell the author that someone supported it."""
        return (
            self.is_author(user)
            and self.is_active
            and not self.is_locked
            and self.forum.accepts_proposals
            and (self.support_count == 0 or self.forum.hide_tallies_until_closed)
            and (now or utcnow()) <= self.edit_deadline()
        )

    def can_withdraw(self, user) -> bool:
        return self.is_author(user) and self.is_active and self.forum.current_phase != "closed"

    def can_comment(self, user) -> bool:
        return (
            is_active_user(user)
            and self.is_active
            and not self.is_locked
            and self.forum.accepts_comments
        )

    def can_support(self, user) -> bool:
        """Any logged-in user of a role the forum counts, but the author, while the forum
        takes supports. (The forum's limit per user is checked by the votes services.)"""
        return (
            is_active_user(user)
            and not self.is_author(user)
            and self.is_active
            and not self.is_locked
            and self.forum.counts_supports_of(user)
            and self.forum.accepts_supports
        )

    def can_withdraw_support(self, user) -> bool:
        """As ``can_support``, where the forum lets supports be withdrawn."""
        return self.forum.supports_withdrawable and self.can_support(user)


class Comment(HiddenMixin, db.Model):
    """An opinion (ý kiến) on a proposal; replies go one level deep."""

    __tablename__ = "comments"

    BODY_MAX_LENGTH = 5_000  # characters of normalised text

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    proposal_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("proposals.id", ondelete="CASCADE"), index=True
    )
    parent_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("comments.id", ondelete="CASCADE"), index=True
    )
    author_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id"), index=True)
    body: so.Mapped[str] = so.mapped_column(sa.Text)
    body_html: so.Mapped[str] = so.mapped_column(sa.Text)
    is_hidden: so.Mapped[bool] = so.mapped_column(default=False)
    created_at: so.Mapped[datetime] = so.mapped_column(sa.DateTime(timezone=True), default=utcnow)
    updated_at: so.Mapped[datetime] = so.mapped_column(
        sa.DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )
    edited_at: so.Mapped[datetime | None] = so.mapped_column(sa.DateTime(timezone=True))
    # Set when a merge brought the comment here: the proposal it was written on (kept
    # through chains of merges); None for a comment written where it is.
    origin_proposal_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("proposals.id"), index=True
    )

    proposal: so.Mapped[Proposal] = so.relationship(foreign_keys=[proposal_id])
    author: so.Mapped["User"] = so.relationship()  # noqa: F821
    parent: so.Mapped["Comment | None"] = so.relationship(remote_side="Comment.id")

    # A page of a thread: the top-level comments of a proposal in order, read in index
    # order so that the page's LIMIT stops early (replies are found by parent_id).
    __table_args__ = (sa.Index("ix_comments_thread", "proposal_id", "parent_id", "created_at", "id"),)

    def __repr__(self) -> str:
        return f"<Comment {self.id} on {self.proposal_id}>"

    def is_author(self, user) -> bool:
        return is_active_user(user) and user.id == self.author_id

    def is_visible_to(self, user) -> bool:
        """Hidden comments are seen only by their author and the moderators of the forum."""
        if not self.is_hidden:
            return True
        return self.is_author(user) or can_moderate(user, self.proposal.forum_id)

    def can_edit(self, user, now: datetime | None = None) -> bool:
        """Authors edit within the window while the proposal still takes comments."""
        return (
            self.is_author(user)
            and not self.is_hidden
            and self.proposal.can_comment(user)
            and (now or utcnow()) <= _as_utc(self.created_at) + self.proposal.forum.edit_window()
        )

    def can_reply(self, user) -> bool:
        """Replies attach to top-level comments only (one level of nesting)."""
        return self.parent_id is None and not self.is_hidden and self.proposal.can_comment(user)


class ProposalMerge(db.Model):
    """A moderator merged ``source`` into ``target`` (a duplicate into the proposal that
    stays). One row per merge, kept after an undo (``undone_at``): the supports and
    comments it moved point at it, so that the undo knows exactly what to move back.
    A source has at most one merge in force: ``Proposal.merged_into_id`` mirrors it."""

    __tablename__ = "proposal_merges"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    source_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("proposals.id", ondelete="CASCADE"), index=True)
    target_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("proposals.id", ondelete="CASCADE"), index=True)
    # The source's status before the merge, restored by the undo.
    source_status: so.Mapped[str] = so.mapped_column(sa.String(30))
    actor_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: so.Mapped[datetime] = so.mapped_column(sa.DateTime(timezone=True), default=utcnow)
    undone_at: so.Mapped[datetime | None] = so.mapped_column(sa.DateTime(timezone=True))
    undone_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))

    source: so.Mapped[Proposal] = so.relationship(foreign_keys=[source_id])
    target: so.Mapped[Proposal] = so.relationship(foreign_keys=[target_id])

    def __repr__(self) -> str:
        return f"<ProposalMerge {self.id}: {self.source_id} into {self.target_id}>"

    @property
    def in_force(self) -> bool:
        return self.undone_at is None
