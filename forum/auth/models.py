"""User accounts and roles."""
import enum
import secrets
from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from werkzeug.security import check_password_hash, generate_password_hash

from forum.core.database import utcnow
from forum.extensions import db


class Role(enum.StrEnum):
    DELEGATE = "delegate"
    MODERATOR = "moderator"
    ORGANIZER = "organizer"
    ADMIN = "admin"

    @property
    def label(self) -> str:
        return str(ROLE_LABELS[self])


ROLE_LABELS = {
    Role.DELEGATE: _l("Đại biểu"),
    Role.MODERATOR: _l("Điều hành viên"),
    Role.ORGANIZER: _l("Ban Tổ chức"),
    Role.ADMIN: _l("Quản trị hệ thống"),
}
STAFF_ROLES = frozenset({Role.MODERATOR, Role.ORGANIZER, Role.ADMIN})


def new_session_token() -> str:
    return secrets.token_urlsafe(24)


class User(UserMixin, db.Model):
    """A delegate or staff member. Emails are stored lower-cased, hence unique case-insensitively."""

    __tablename__ = "users"

    # Length limits, in characters of normalised text; forms and services read them here.
    EMAIL_MAX_LENGTH = 254
    FULL_NAME_MAX_LENGTH = 120
    UNIT_MAX_LENGTH = 200
    PROVINCE_MAX_LENGTH = 100
    PHONE_MAX_LENGTH = 30
    SECTOR_MAX_LENGTH = 200
    UNION_LEVEL_MAX_LENGTH = 100
    DELEGATION_MAX_LENGTH = 200
    PASSWORD_MIN_LENGTH = 10  # the password as typed (only its hash is stored)
    PASSWORD_MAX_LENGTH = 200

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    email: so.Mapped[str] = so.mapped_column(sa.String(EMAIL_MAX_LENGTH), unique=True)
    full_name: so.Mapped[str] = so.mapped_column(sa.String(FULL_NAME_MAX_LENGTH))
    unit: so.Mapped[str] = so.mapped_column(sa.String(UNIT_MAX_LENGTH), default="")
    province: so.Mapped[str] = so.mapped_column(sa.String(PROVINCE_MAX_LENGTH), default="")
    # The delegate roster (imported by the organizers): shown to staff only.
    phone: so.Mapped[str] = so.mapped_column(sa.String(PHONE_MAX_LENGTH), default="", server_default="")
    sector: so.Mapped[str] = so.mapped_column(sa.String(SECTOR_MAX_LENGTH), default="", server_default="")  # ngành
    union_level: so.Mapped[str] = so.mapped_column(  # cấp công đoàn
        sa.String(UNION_LEVEL_MAX_LENGTH), default="", server_default=""
    )
    delegation: so.Mapped[str] = so.mapped_column(  # đoàn đại biểu
        sa.String(DELEGATION_MAX_LENGTH), default="", server_default="", index=True
    )
    role: so.Mapped[str] = so.mapped_column(sa.String(20), default=Role.DELEGATE.value, index=True)
    is_active_account: so.Mapped[bool] = so.mapped_column("is_active", default=True)
    password_hash: so.Mapped[str] = so.mapped_column(sa.String(256), default="")
    # Rotated on password change and logout so that old session cookies stop working.
    session_token: so.Mapped[str] = so.mapped_column(sa.String(64), default=new_session_token)
    created_at: so.Mapped[datetime] = so.mapped_column(sa.DateTime(timezone=True), default=utcnow)
    last_login_at: so.Mapped[datetime | None] = so.mapped_column(sa.DateTime(timezone=True))

    __table_args__ = (
        sa.CheckConstraint("role IN ('delegate', 'moderator', 'organizer', 'admin')", name="role_known"),
        sa.CheckConstraint("email = lower(email)", name="email_lowercase"),
    )

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email}>"

    # Flask-Login --------------------------------------------------------------------
    @property
    def is_active(self) -> bool:  # type: ignore[override]
        return self.is_active_account

    def get_id(self) -> str:
        return f"{self.id}:{self.session_token}"

    # Passwords ----------------------------------------------------------------------
    def set_password(self, password: str) -> None:
        method = current_app.config.get("PASSWORD_HASH_METHOD", "scrypt")
        self.password_hash = generate_password_hash(password, method=method)
        self.session_token = new_session_token()

    def check_password(self, password: str) -> bool:
        return bool(self.password_hash) and check_password_hash(self.password_hash, password)

    # Roles --------------------------------------------------------------------------
    @property
    def role_label(self) -> str:
        return Role(self.role).label

    @property
    def is_moderator(self) -> bool:
        """Moderators, organizers and admins: the staff. Which forums a moderator curates is
        ``forums.moderators.can_moderate``; organizers and admins curate every forum."""
        return self.role in STAFF_ROLES

    @property
    def is_organizer(self) -> bool:
        return self.role in (Role.ORGANIZER, Role.ADMIN)

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN


class RosterUpload(db.Model):
    """A roster file read and waiting for its organizer's confirmation.

    The rows are kept here as read (cell text, before normalisation) so that the
    confirmation needs no second upload and trusts nothing the browser sends back; it
    reads them again and re-validates them against the database of that moment. Kept in
    the database, not on the app server's disk, so that any server may take the
    confirmation. Only ``uploaded_by`` may confirm it, and only until ``expires_at``.
    """

    __tablename__ = "roster_uploads"

    TOKEN_BYTES = 24

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    token: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)
    uploaded_by_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    filename: so.Mapped[str] = so.mapped_column(sa.String(255), default="")
    # {"columns": [...field per column...], "unknown": [...], "rows": [[line, [cells]], ...]}
    content: so.Mapped[dict] = so.mapped_column(sa.JSON)
    created_at: so.Mapped[datetime] = so.mapped_column(sa.DateTime(timezone=True), default=utcnow)
    expires_at: so.Mapped[datetime] = so.mapped_column(sa.DateTime(timezone=True), index=True)

    def __repr__(self) -> str:
        return f"<RosterUpload {self.id} by {self.uploaded_by_id}>"
