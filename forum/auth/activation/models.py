"""Activation codes: one-time codes that let a delegate set a password (first activation
of an imported account, or a reset), and the password resets delegates ask for by mail."""
import enum
from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from forum.auth.models import User
from forum.core.database import utcnow
from forum.extensions import db


class CodePurpose(enum.StrEnum):
    ACTIVATION = "activation"  # the account had no password when the code was issued
    RESET = "reset"  # it had one: the code replaces it


class ActivationCode(db.Model):
    """A code is stored only as a keyed hash (HMAC with the app's secret key): the clear
    code exists on the sheet or in the mail it was issued for, never in the database.

    Usable while ``used_at`` is empty and ``expires_at`` is ahead; issuing a new code for
    a user deletes the user's unused ones.
    """

    __tablename__ = "activation_codes"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    user_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)
    purpose: so.Mapped[str] = so.mapped_column(sa.String(20))
    # None: the console operator, or the delegate's own request by mail.
    created_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: so.Mapped[datetime] = so.mapped_column(sa.DateTime(timezone=True), default=utcnow)
    expires_at: so.Mapped[datetime] = so.mapped_column(sa.DateTime(timezone=True))
    used_at: so.Mapped[datetime | None] = so.mapped_column(sa.DateTime(timezone=True))

    user: so.Mapped[User] = so.relationship(foreign_keys=[user_id])

    __table_args__ = (
        sa.CheckConstraint("purpose IN ('activation', 'reset')", name="purpose_known"),
    )

    def __repr__(self) -> str:
        return f"<ActivationCode {self.id} user={self.user_id} {self.purpose}>"


class PasswordResetRequest(db.Model):
    """A delegate asked for a reset code by mail. The request only writes this row, the
    same for any address; the mail worker looks the address up later (so neither the
    answer nor its timing tells whether an account exists) and deletes the row."""

    __tablename__ = "password_reset_requests"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    email: so.Mapped[str] = so.mapped_column(sa.String(User.EMAIL_MAX_LENGTH))
    requested_at: so.Mapped[datetime] = so.mapped_column(sa.DateTime(timezone=True), default=utcnow)
