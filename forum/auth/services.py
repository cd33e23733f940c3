"""Account verbs: authenticate, create users, change passwords, roles and activity. Never commit.

``actor`` is the user doing the action; ``None`` means the operator at the shell
(``flask users ...``), who is trusted like an admin.
"""
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from werkzeug.security import check_password_hash, generate_password_hash

from forum.auth.models import Role, User, new_session_token
from forum.auth.people import clean_person, person_sort_key
from forum.auth.names import check_display_name
from forum.core.audit import record_audit
from forum.core.database import utcnow
from forum.core.errors import InvalidAction, PermissionDenied
from forum.core.text import is_visually_blank, normalize_text, sort_vietnamese
from forum.extensions import db, login_manager


class WrongPassword(InvalidAction):
    """The current password given to confirm a change is not the right one."""


class DuplicateEmail(InvalidAction):
    """Another account already uses this email (whatever its case)."""


# Lookups ------------------------------------------------------------------------------
def normalize_email(email: str | None) -> str:
    """Emails compare case-insensitively; they are stored lower-cased and NFC."""
    return normalize_text(email, multiline=False).lower()


def normalize_password(password: str | None) -> str:
    """NFC only: the same password typed on a NFD keyboard (macOS, Unikey) must match.

    Spaces and symbols are kept exactly as typed.
    """
    return unicodedata.normalize("NFC", password or "")


def get_user_by_email(email: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.email == normalize_email(email)))


def existing_emails(emails) -> set[str]:
    """Which of ``emails`` have an account (normalised, in one query)."""
    normalized = [normalize_email(email) for email in emails]
    return set(db.session.scalars(sa.select(User.email).where(User.email.in_(normalized))))


@lru_cache(maxsize=4)
def _dummy_hash(method: str) -> str:
    return generate_password_hash("not-a-real-password", method=method)


def authenticate_user(email: str, password: str) -> User | None:
    """The active user with this email and password, else None.

    Unknown emails still cost one hash check, so response times do not reveal
    which addresses have accounts.
    """
    return check_credentials(get_user_by_email(email), password)


def check_credentials(user: User | None, password: str) -> User | None:
    """``user`` if it is active and ``password`` is its password, else None (``user`` may be
    None: the account of an unknown email, which still costs one hash check)."""
    password = normalize_password(password)
    if user is None or not user.password_hash:
        check_password_hash(_dummy_hash(current_app.config.get("PASSWORD_HASH_METHOD", "scrypt")), password)
        return None
    if not user.check_password(password) or not user.is_active:
        return None
    return user


@login_manager.user_loader
def load_user(session_id: str) -> User | None:
    """Session ids are ``<user id>:<session token>``; a rotated token logs the session out."""
    user_id, _sep, token = session_id.partition(":")
    if not user_id.isdigit() or not token:
        return None
    user = db.session.get(User, int(user_id))
    if user is None or user.session_token != token or not user.is_active:
        return None
    return user


# Sessions and passwords ---------------------------------------------------------------
def record_login(user: User) -> None:
    """Note that ``user`` has just logged in (``last_login_at``); the view commits."""
    user.last_login_at = utcnow()


def end_all_sessions(user: User) -> None:
    """Invalidate every session and remember-me cookie of ``user`` (logout, deactivation)."""
    user.session_token = new_session_token()


def check_password_policy(password: str) -> None:
    """Length limits shared by the forms, the CLI and self-registration."""
    if len(password) < User.PASSWORD_MIN_LENGTH:
        raise InvalidAction(_("Mật khẩu phải có ít nhất %(min)d ký tự.", min=User.PASSWORD_MIN_LENGTH))
    if len(password) > User.PASSWORD_MAX_LENGTH:
        raise InvalidAction(_("Mật khẩu không được dài quá %(max)d ký tự.", max=User.PASSWORD_MAX_LENGTH))


def change_password(user: User, current_password: str, new_password: str, *, actor: User) -> None:
    """Set a new password after checking the current one; ends every other session."""
    if actor is None or actor.id != user.id or not actor.is_active:
        raise PermissionDenied(_("Bạn chỉ có thể đổi mật khẩu của chính mình."))
    current_password = normalize_password(current_password)
    new_password = normalize_password(new_password)
    if not user.check_password(current_password):
        raise WrongPassword(_("Mật khẩu hiện tại không đúng."))
    check_password_policy(new_password)
    if new_password == current_password:
        raise InvalidAction(_("Mật khẩu mới phải khác mật khẩu hiện tại."))
    user.set_password(new_password)  # also rotates the session token
    record_audit("user.password_changed", user, actor=actor)


# Accounts -----------------------------------------------------------------------------
def _clean_profile_fields(email: str, full_name: str, unit: str, province: str, *, role: str) -> dict:
    fields = {
        "email": normalize_email(email),
        "full_name": normalize_text(full_name, multiline=False),
        "unit": normalize_text(unit, multiline=False),
        "province": normalize_text(province, multiline=False),
    }
    if not fields["email"] or "@" not in fields["email"]:
        raise InvalidAction(_("Địa chỉ email không hợp lệ."))
    if not fields["full_name"]:
        raise InvalidAction(_("Vui lòng nhập họ và tên."))
    blank_messages = {
        "full_name": _("Họ và tên chỉ gồm khoảng trắng hoặc ký tự không hiển thị. Vui lòng nhập họ và tên có chữ."),
        "unit": _("Đơn vị công tác chỉ gồm khoảng trắng hoặc ký tự không hiển thị. Vui lòng nhập tên đơn vị có chữ."),
        "province": _("Tỉnh, thành phố chỉ gồm khoảng trắng hoặc ký tự không hiển thị. Vui lòng nhập tên có chữ."),
    }
    for name, message in blank_messages.items():
        if fields[name] and is_visually_blank(fields[name]):
            raise InvalidAction(message)
    limits = {
        "email": (User.EMAIL_MAX_LENGTH, _("Email không được dài quá %(max)d ký tự.", max=User.EMAIL_MAX_LENGTH)),
        "full_name": (User.FULL_NAME_MAX_LENGTH, _("Họ và tên không được dài quá %(max)d ký tự.", max=User.FULL_NAME_MAX_LENGTH)),
        "unit": (User.UNIT_MAX_LENGTH, _("Đơn vị không được dài quá %(max)d ký tự.", max=User.UNIT_MAX_LENGTH)),
        "province": (
            User.PROVINCE_MAX_LENGTH,
            _("Tỉnh, thành phố không được dài quá %(max)d ký tự.", max=User.PROVINCE_MAX_LENGTH),
        ),
    }
    for name, (limit, message) in limits.items():
        if len(fields[name]) > limit:
            raise InvalidAction(message)
    check_display_name(fields["full_name"], role)
    return fields


def _duplicate_email_error() -> DuplicateEmail:
    return DuplicateEmail(_("Email này đã được dùng cho một tài khoản khác."))


def _may_manage_accounts(actor: User | None) -> bool:
    return actor is None or (actor.is_active and actor.is_admin)


def _insert_user(*, role: str, password: str, fields: dict) -> User:
    """Validate and add a new account (flushed, so it has an id)."""
    if role not in {r.value for r in Role}:
        raise InvalidAction(_("Vai trò không hợp lệ: %(role)s", role=role))
    password = normalize_password(password)
    check_password_policy(password)
    if get_user_by_email(fields["email"]) is not None:
        raise _duplicate_email_error()
    user = User(role=role, is_active_account=True, **fields)
    user.set_password(password)
    # A concurrent request may take the email between the check and the insert: the
    # unique constraint decides, and only this savepoint is rolled back.
    try:
        with db.session.begin_nested():
            db.session.add(user)
            db.session.flush()
    except sa.exc.IntegrityError:
        raise _duplicate_email_error() from None
    return user


def create_user(
    *,
    email: str,
    full_name: str,
    unit: str = "",
    province: str = "",
    role: str = Role.DELEGATE.value,
    password: str,
    actor: User | None,
) -> User:
    """Create an account for someone else (admins and the shell operator only)."""
    if not _may_manage_accounts(actor):
        raise PermissionDenied(_("Chỉ quản trị hệ thống mới được tạo tài khoản."))
    fields = _clean_profile_fields(email, full_name, unit, province, role=role)
    user = _insert_user(role=role, password=password, fields=fields)
    record_audit("user.created", user, actor=actor, after={"role": role})
    return user


def register_user(*, email: str, full_name: str, unit: str, province: str, password: str) -> User:
    """Self-registration, only when ``ALLOW_REGISTRATION`` is on: always a delegate."""
    if not current_app.config.get("ALLOW_REGISTRATION"):
        raise PermissionDenied(_("Chức năng đăng ký tài khoản đang tắt."))
    fields = _clean_profile_fields(email, full_name, unit, province, role=Role.DELEGATE.value)
    user = _insert_user(role=Role.DELEGATE.value, password=password, fields=fields)
    record_audit("user.registered", user, actor=user)
    return user


def count_active_admins() -> int:
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(User).where(User.role == Role.ADMIN.value, User.is_active_account.is_(True))
    )


def set_user_role(user: User, role: str, *, actor: User | None, reason: str = "") -> None:
    """Change the role; admins only (and the console). An admin cannot change their own
    role, and the last active admin keeps theirs, so the site always has one. The
    account's sessions end: its next request logs in again under the new role.
    """
    if not _may_manage_accounts(actor):
        raise PermissionDenied(_("Chỉ quản trị hệ thống mới được đổi vai trò."))
    if role not in {r.value for r in Role}:
        raise InvalidAction(_("Vai trò không hợp lệ: %(role)s", role=role))
    previous = user.role
    if previous == role:
        raise InvalidAction(_("Tài khoản đã có vai trò này."))
    if actor is not None and actor.id == user.id:
        raise InvalidAction(_("Bạn không thể tự đổi vai trò của mình; hãy nhờ một quản trị hệ thống khác."))
    if previous == Role.ADMIN and user.is_active_account and count_active_admins() <= 1:
        raise InvalidAction(_("Đây là quản trị hệ thống cuối cùng đang hoạt động; hãy giao vai trò quản trị cho người khác trước."))
    check_display_name_for_role(user, role)
    user.role = role
    end_all_sessions(user)
    record_audit(
        "user.role_changed", user, actor=actor, before={"role": previous}, after={"role": role}, reason=reason
    )


def check_display_name_for_role(user: User, role: str) -> None:
    """A staff member whose name carries a staff title cannot become a delegate with it."""
    try:
        check_display_name(user.full_name, role)
    except InvalidAction:
        raise InvalidAction(
            _("Họ và tên “%(name)s” mang chức danh nhân sự; hãy sửa họ tên trước khi giao vai trò đại biểu.", name=user.full_name)
        ) from None


# People (the organizers' roster pages) ------------------------------------------------
PERSON_FIELDS = ("email", "full_name", "phone", "unit", "province", "sector", "union_level", "delegation")
PEOPLE_PER_PAGE = 50


def may_manage_people(actor: User | None) -> bool:
    """Organizers, admins and the console (``None``) keep the roster."""
    return actor is None or (actor.is_active and actor.is_organizer)


def may_manage_person(actor: User | None, user: User) -> bool:
    """Organizers keep delegates' and moderators' accounts; organizers' and admins'
    accounts are kept by admins (and the console)."""
    if not may_manage_people(actor):
        return False
    return actor is None or actor.is_admin or user.role in (Role.DELEGATE, Role.MODERATOR)


def _clean_person_or_refuse(raw: dict, *, keep_province: str | None = None) -> dict:
    values, reasons = clean_person(raw, keep_province=keep_province)
    if reasons:
        raise InvalidAction(" ".join(reasons))
    return values


def create_person(*, role: str = Role.DELEGATE.value, actor: User | None, **fields) -> User:
    """Add one person to the roster. The account has no password: it cannot log in until
    its owner activates it."""
    if not may_manage_people(actor):
        raise PermissionDenied(_("Chỉ Ban Tổ chức và Quản trị hệ thống mới được thêm người."))
    if role not in {r.value for r in Role}:
        raise InvalidAction(_("Vai trò không hợp lệ: %(role)s", role=role))
    if role != Role.DELEGATE and not _may_manage_accounts(actor):
        raise PermissionDenied(_("Chỉ Quản trị hệ thống mới được tạo tài khoản %(role)s.", role=Role(role).label))
    values = _clean_person_or_refuse({name: fields.get(name, "") for name in PERSON_FIELDS})
    check_display_name(values["full_name"], role)
    if get_user_by_email(values["email"]) is not None:
        raise _duplicate_email_error()
    user = User(role=role, is_active_account=True, password_hash="", **values)
    try:
        with db.session.begin_nested():
            db.session.add(user)
            db.session.flush()
    except sa.exc.IntegrityError:
        raise _duplicate_email_error() from None
    record_audit("user.created", user, actor=actor, after={"role": role, "email": user.email})
    return user


def update_person(user: User, *, actor: User | None, **fields) -> bool:
    """Change the roster fields given in ``fields``; False when nothing changed.

    A province named before the 2025 merger may stay as it is; a new one must be one of
    the 34 current provinces.
    """
    if not may_manage_person(actor, user):
        raise PermissionDenied(_("Bạn không có quyền sửa tài khoản này."))
    unknown = set(fields) - set(PERSON_FIELDS)
    if unknown:
        raise InvalidAction(_("Trường không hợp lệ: %(fields)s", fields=", ".join(sorted(unknown))))
    values = _clean_person_or_refuse(fields, keep_province=user.province)
    changes = {name: (getattr(user, name), value) for name, value in values.items() if getattr(user, name) != value}
    if not changes:
        return False
    if "full_name" in changes:
        check_display_name(values["full_name"], user.role)
    if "email" in changes and get_user_by_email(values["email"]) is not None:
        raise _duplicate_email_error()
    for name, (_before, after) in changes.items():
        setattr(user, name, after)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except sa.exc.IntegrityError:
        raise _duplicate_email_error() from None
    record_audit(
        "user.updated",
        user,
        actor=actor,
        before={name: before for name, (before, _after) in changes.items()},
        after={name: after for name, (_before, after) in changes.items()},
    )
    return True


def deactivate_user(user: User, *, actor: User | None, reason: str = "") -> None:
    """Lock the account: it can no longer log in and every session ends at once (the
    session token rotates). What it wrote stays."""
    if not may_manage_person(actor, user):
        raise PermissionDenied(_("Bạn không có quyền khóa tài khoản này."))
    if actor is not None and actor.id == user.id:
        raise InvalidAction(_("Bạn không thể tự khóa tài khoản của mình."))
    if not user.is_active_account:
        raise InvalidAction(_("Tài khoản đã bị khóa từ trước."))
    user.is_active_account = False
    end_all_sessions(user)
    record_audit(
        "user.deactivated",
        user,
        actor=actor,
        reason=normalize_text(reason),
        before={"is_active": True},
        after={"is_active": False},
    )


def reactivate_user(user: User, *, actor: User | None, reason: str = "") -> None:
    """Unlock a locked account."""
    if not may_manage_person(actor, user):
        raise PermissionDenied(_("Bạn không có quyền mở khóa tài khoản này."))
    if user.is_active_account:
        raise InvalidAction(_("Tài khoản đang hoạt động."))
    user.is_active_account = True
    record_audit(
        "user.reactivated",
        user,
        actor=actor,
        reason=normalize_text(reason),
        before={"is_active": False},
        after={"is_active": True},
    )


def get_person(user_id: int) -> User | None:
    return db.session.get(User, user_id)


@dataclass(frozen=True)
class PersonRow:
    """One line of the people list: only what it shows."""

    id: int
    full_name: str
    email: str
    unit: str
    delegation: str
    role: str
    is_active: bool
    has_password: bool

    @property
    def role_label(self) -> str:
        return Role(self.role).label


@dataclass(frozen=True)
class Page:
    """One page of a list, as templates/_macros/pagination.html reads it."""

    items: list
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def prev_num(self) -> int:
        return self.page - 1

    @property
    def next_num(self) -> int:
        return self.page + 1

    @classmethod
    def of(cls, items: list, page: int, per_page: int) -> "Page":
        """The ``page``-th slice of ``items`` (a page beyond the last is the last)."""
        pages = max(1, -(-len(items) // per_page))
        page = max(1, min(page, pages))
        return cls(items[(page - 1) * per_page : page * per_page], len(items), page, per_page)


def list_people(
    *, query: str = "", delegation: str = "", role: str = "", status: str = "", page: int = 1,
    per_page: int = PEOPLE_PER_PAGE,
) -> Page:
    """A page of people in the order of Vietnamese lists (by given name, then the whole
    name, in Vietnamese alphabetical order), filtered; ``query`` matches name or email
    (any case), ``status`` is ``active`` or ``inactive``.

    Two queries whatever the page: the ids and names of the matching people, sorted here
    (SQL collations do not know Vietnamese order), then the columns of one page.
    """
    conditions = []
    query = normalize_text(query, multiline=False)
    if query:
        pattern = "%" + query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        conditions.append(
            sa.or_(User.full_name.ilike(pattern, escape="\\"), User.email.ilike(pattern.lower(), escape="\\"))
        )
    if delegation:
        conditions.append(User.delegation == delegation)
    if role in {r.value for r in Role}:
        conditions.append(User.role == role)
    if status in ("active", "inactive"):
        conditions.append(User.is_active_account.is_(status == "active"))
    named = db.session.execute(sa.select(User.id, User.full_name).where(*conditions)).all()
    ordered = sorted(named, key=lambda row: (person_sort_key(row.full_name), row.id))
    total = len(ordered)
    page = max(1, min(page, max(1, -(-total // per_page))))
    ids = [row.id for row in ordered[(page - 1) * per_page : page * per_page]]
    statement = sa.select(
        User.id, User.full_name, User.email, User.unit, User.delegation, User.role, User.is_active_account,
        (User.password_hash != "").label("has_password"),
    ).where(User.id.in_(ids))
    position = {user_id: index for index, user_id in enumerate(ids)}
    rows = sorted((PersonRow(*row) for row in db.session.execute(statement)), key=lambda row: position[row.id])
    return Page(rows, total, page, per_page)


def list_delegations() -> list[str]:
    """Every delegation named in the roster, for the list's filter."""
    names = db.session.scalars(sa.select(User.delegation).where(User.delegation != "").distinct())
    return sort_vietnamese(names)


def get_users(user_ids) -> dict[int, User]:
    """``{id: user}`` for ``user_ids`` (one query; unknown ids are left out)."""
    ids = sorted(set(user_ids))
    if not ids:
        return {}
    return {user.id: user for user in db.session.scalars(sa.select(User).where(User.id.in_(ids)))}
