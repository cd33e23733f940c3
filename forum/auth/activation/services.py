"""Activation codes: issue them (organizers, the console, a delegate's own request by
mail), check them, and redeem them for a new password. Never commit.

A code is 12 characters of Crockford's base-32 alphabet (60 random bits), shown in three
groups of four (``K7QM-4HXT-9CRP``) so that it can be typed from paper; typing is
forgiving: case, spaces and dashes do not matter, ``O`` reads as ``0`` and ``I``/``L``
as ``1``. Only an HMAC of the code (keyed with ``SECRET_KEY``) is stored, so changing the
secret key invalidates every code not yet used.
"""
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from forum.auth.activation.models import ActivationCode, CodePurpose, PasswordResetRequest
from forum.auth.models import Role, User
from forum.auth.services import check_password_policy, normalize_email, normalize_password
from forum.core.audit import record_audit
from forum.core.database import utcnow
from forum.core.errors import InvalidAction, PermissionDenied
from forum.core.text import vietnamese_sort_key
from forum.extensions import db

CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford: no I, L, O, U
CODE_LENGTH = 12
CODE_GROUP = 4
# What people type for the letters the alphabet leaves out.
_READS_AS = str.maketrans({"O": "0", "I": "1", "L": "1"})
_SEPARATORS = str.maketrans("", "", " -_.\t\u00a0\u2010\u2011\u2012\u2013\u2014")


class InvalidCode(InvalidAction):
    """Wrong, expired, used or replaced code, or a locked account: one message for all."""


def invalid_code_error() -> InvalidCode:
    return InvalidCode(
        _("Mã kích hoạt không đúng hoặc không còn hiệu lực. Vui lòng kiểm tra lại từng ký tự, "
          "hoặc liên hệ Ban Tổ chức để được cấp mã mới.")
    )


@dataclass(frozen=True)
class IssuedCode:
    """A code just issued: the only moment its clear text exists."""

    user: User
    code: str  # formatted, "K7QM-4HXT-9CRP"
    purpose: str
    expires_at: datetime


@dataclass(frozen=True)
class ActivationState:
    has_password: bool
    is_active: bool
    code_expires_at: datetime | None  # the usable code's expiry, if one exists
    last_redeemed_at: datetime | None  # when a code last set the password


@dataclass(frozen=True)
class DelegationSummary:
    name: str  # "" for the accounts without a delegation
    people: int
    activated: int  # with a password
    without_password: int
    with_code: int  # with a usable code


# Codes --------------------------------------------------------------------------------
def generate_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def format_code(code: str) -> str:
    return "-".join(code[i : i + CODE_GROUP] for i in range(0, len(code), CODE_GROUP))


def normalize_code(typed: str | None) -> str | None:
    """The code as generated, from what a person typed; None if it cannot be one."""
    code = (typed or "").strip().upper().translate(_SEPARATORS).translate(_READS_AS)
    if len(code) != CODE_LENGTH or any(char not in CODE_ALPHABET for char in code):
        return None
    return code


def hash_code(code: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, b"activation-code:" + code.encode(), hashlib.sha256).hexdigest()


def activation_ttl() -> timedelta:
    return timedelta(hours=current_app.config["ACTIVATION_CODE_TTL_HOURS"])


def reset_request_ttl() -> timedelta:
    return timedelta(minutes=current_app.config["PASSWORD_RESET_TTL_MINUTES"])


# Who may issue ----------------------------------------------------------------------------
def may_issue_codes(actor) -> bool:
    """Organizers and admins (and the console operator, ``None``)."""
    return actor is None or (actor.is_active and actor.is_organizer)


def may_issue_code_for(actor, user: User) -> bool:
    """A code takes over an account, so organizers issue them for delegates and
    moderators only; accounts of organizers and admins are an admin's matter."""
    if not may_issue_codes(actor):
        return False
    return actor is None or actor.is_admin or user.role not in (Role.ORGANIZER, Role.ADMIN)


def issue_codes(users, *, actor, ttl: timedelta | None = None, now: datetime | None = None,
                reason: str = "") -> list[IssuedCode]:
    """A new code for each of ``users``; their older unused codes stop working."""
    users = list(users)
    if not may_issue_codes(actor):
        raise PermissionDenied(_("Chỉ Ban Tổ chức mới được cấp mã kích hoạt."))
    for user in users:
        if not may_issue_code_for(actor, user):
            raise PermissionDenied(
                _("Chỉ quản trị hệ thống mới được cấp mã cho tài khoản Ban Tổ chức hoặc quản trị.")
            )
        if not user.is_active:
            raise InvalidAction(_("Tài khoản %(email)s đã bị khóa: không thể cấp mã kích hoạt.", email=user.email))
    if not users:
        return []
    now = now or utcnow()
    expires_at = now + (ttl or activation_ttl())
    revoke_unused_codes([user.id for user in users])
    issued, rows = [], []
    for user in users:
        code = generate_code()
        purpose = CodePurpose.RESET if user.password_hash else CodePurpose.ACTIVATION
        rows.append({
            "user_id": user.id, "code_hash": hash_code(code), "purpose": purpose.value,
            "created_by_id": getattr(actor, "id", None), "created_at": now, "expires_at": expires_at,
        })
        issued.append(IssuedCode(user=user, code=format_code(code), purpose=purpose.value, expires_at=expires_at))
        record_audit("auth.code_issued", user, actor=actor, reason=reason,
                     after={"purpose": purpose.value, "expires_at": expires_at.isoformat(timespec="seconds")})
    db.session.execute(sa.insert(ActivationCode), rows)  # one statement for the whole batch
    db.session.flush()
    return issued


def issue_code(user: User, *, actor, ttl: timedelta | None = None, now: datetime | None = None) -> IssuedCode:
    return issue_codes([user], actor=actor, ttl=ttl, now=now)[0]


def revoke_unused_codes(user_ids) -> None:
    db.session.execute(
        sa.delete(ActivationCode)
        .where(ActivationCode.user_id.in_(list(user_ids)), ActivationCode.used_at.is_(None))
        .execution_options(synchronize_session=False)
    )


# Redeeming --------------------------------------------------------------------------------
def find_usable_code(typed: str | None, *, now: datetime | None = None) -> ActivationCode | None:
    """The unused, unexpired code ``typed`` stands for, of an active account; else None."""
    code = normalize_code(typed)
    if code is None:
        return None
    return db.session.scalar(
        sa.select(ActivationCode)
        .join(User, User.id == ActivationCode.user_id)
        .where(
            ActivationCode.code_hash == hash_code(code),
            ActivationCode.used_at.is_(None),
            ActivationCode.expires_at > (now or utcnow()),
            User.is_active_account.is_(True),
        )
    )


def redeem_code(typed: str | None, new_password: str, *, now: datetime | None = None) -> User:
    """Set the password of the code's account and use the code up. Every other session of
    the account ends (the session token changes); the caller logs the user in."""
    now = now or utcnow()
    record = find_usable_code(typed, now=now)
    if record is None:
        raise invalid_code_error()
    new_password = normalize_password(new_password)
    check_password_policy(new_password)
    # Single use even under concurrency: only one UPDATE finds the code still unused.
    taken = db.session.execute(
        sa.update(ActivationCode)
        .where(ActivationCode.id == record.id, ActivationCode.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if taken != 1:
        raise invalid_code_error()
    user = record.user
    first_password = not user.password_hash
    user.set_password(new_password)  # also rotates the session token
    revoke_unused_codes([user.id])
    record_audit("auth.activated" if first_password else "auth.password_reset", user, actor=user,
                 after={"purpose": record.purpose})
    return user


# Requests by mail -------------------------------------------------------------------------
def request_password_reset(email: str) -> None:
    """Note a delegate's request for a reset code by mail: the same single INSERT whether
    or not the address has an account (the mail worker looks it up)."""
    email = normalize_email(email)[: User.EMAIL_MAX_LENGTH]
    if email:
        db.session.add(PasswordResetRequest(email=email))
        db.session.flush()


def process_reset_requests(*, limit: int = 100, now: datetime | None = None) -> list[IssuedCode]:
    """Turn pending reset requests into codes for the active accounts they name (one per
    account however many requests it made); requests for other addresses are dropped."""
    now = now or utcnow()
    requests = db.session.scalars(
        sa.select(PasswordResetRequest).order_by(PasswordResetRequest.id).limit(limit)
    ).all()
    if not requests:
        return []
    emails = {request.email for request in requests}
    db.session.execute(
        sa.delete(PasswordResetRequest)
        .where(PasswordResetRequest.id.in_([request.id for request in requests]))
        .execution_options(synchronize_session=False)
    )
    users = db.session.scalars(
        sa.select(User).where(User.email.in_(emails), User.is_active_account.is_(True)).order_by(User.id)
    ).all()
    return issue_codes(users, actor=None, ttl=reset_request_ttl(), now=now, reason="requested by mail")


# Lists and states -------------------------------------------------------------------------
def _usable_codes(now: datetime):
    return (
        sa.select(ActivationCode.user_id, sa.func.max(ActivationCode.expires_at).label("expires_at"))
        .where(ActivationCode.used_at.is_(None), ActivationCode.expires_at > now)
        .group_by(ActivationCode.user_id)
        .subquery()
    )


def list_delegation_summaries(*, now: datetime | None = None) -> list[DelegationSummary]:
    """Active accounts per delegation, in Vietnamese order (no delegation last)."""
    usable = _usable_codes(now or utcnow())
    with_password = sa.case((User.password_hash != "", 1), else_=0)
    rows = db.session.execute(
        sa.select(
            User.delegation,
            sa.func.count(User.id),
            sa.func.coalesce(sa.func.sum(with_password), 0),
            sa.func.count(usable.c.user_id),
        )
        .outerjoin(usable, usable.c.user_id == User.id)
        .where(User.is_active_account.is_(True))
        .group_by(User.delegation)
    ).all()
    summaries = [
        DelegationSummary(name=name, people=people, activated=int(activated),
                          without_password=people - int(activated), with_code=with_code)
        for name, people, activated, with_code in rows
    ]
    return sorted(summaries, key=lambda summary: (summary.name == "", vietnamese_sort_key(summary.name)))


def name_sort_key(user: User) -> tuple:
    """Vietnamese lists go by given name (the last word), then the whole name."""
    given = user.full_name.rsplit(" ", 1)[-1]
    return vietnamese_sort_key(given), vietnamese_sort_key(user.full_name)


def list_code_recipients(*, actor, delegation: str | None, include_activated: bool = False) -> list[User]:
    """The active accounts a batch of codes would go to: one delegation (``""`` for the
    accounts without one) or all of them (``None``); those without a password only unless
    ``include_activated``; only accounts ``actor`` may issue codes for. Ordered by
    delegation, then name."""
    query = sa.select(User).where(User.is_active_account.is_(True))
    if delegation is not None:
        query = query.where(User.delegation == delegation)
    if not include_activated:
        query = query.where(User.password_hash == "")
    users = [user for user in db.session.scalars(query) if may_issue_code_for(actor, user)]
    return sorted(users, key=lambda user: ((user.delegation == ""), vietnamese_sort_key(user.delegation),
                                           name_sort_key(user)))


def count_usable_codes(user_ids, *, now: datetime | None = None) -> int:
    """How many of these accounts hold a code that still works (it will stop working)."""
    user_ids = list(user_ids)
    if not user_ids:
        return 0
    return db.session.scalar(
        sa.select(sa.func.count(sa.distinct(ActivationCode.user_id))).where(
            ActivationCode.user_id.in_(user_ids),
            ActivationCode.used_at.is_(None),
            ActivationCode.expires_at > (now or utcnow()),
        )
    )


def get_activation_state(user: User, *, now: datetime | None = None) -> ActivationState:
    now = now or utcnow()
    usable = sa.func.max(sa.case(
        (sa.and_(ActivationCode.used_at.is_(None), ActivationCode.expires_at > now), ActivationCode.expires_at)
    ))
    code_expires_at, last_redeemed_at = db.session.execute(
        sa.select(usable, sa.func.max(ActivationCode.used_at)).where(ActivationCode.user_id == user.id)
    ).one()
    return ActivationState(
        has_password=bool(user.password_hash),
        is_active=user.is_active,
        code_expires_at=code_expires_at,
        last_redeemed_at=last_redeemed_at,
    )


def get_account(user_id: int) -> User | None:
    return db.session.get(User, user_id)
