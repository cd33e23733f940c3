"""Reading accounts for the organizer area: the staff list, one account, an actor search."""
import sqlalchemy as sa

from forum.auth.models import STAFF_ROLES, Role, User
from forum.core.text import sort_vietnamese
from forum.extensions import db

# The staff list shows admins first, then organizers, then moderators.
_ROLE_ORDER = {Role.ADMIN: 0, Role.ORGANIZER: 1, Role.MODERATOR: 2}
# An actor search matching more accounts than this is too vague to filter the log by.
MAX_ACTOR_MATCHES = 500


def get_user(user_id: int) -> User | None:
    return db.session.get(User, user_id)


def list_staff_users() -> list[User]:
    """Every moderator, organizer and admin (deactivated too), by role then name."""
    users = db.session.scalars(sa.select(User).where(User.role.in_([role.value for role in STAFF_ROLES]))).all()
    by_name = sort_vietnamese(users, key=lambda user: user.full_name)
    return sorted(by_name, key=lambda user: _ROLE_ORDER[Role(user.role)])


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def find_user_ids(text: str) -> tuple[int, ...]:
    """Ids of the accounts whose email or name contains ``text`` (case-insensitive; at
    most ``MAX_ACTOR_MATCHES``), for filtering the audit log by actor."""
    text = (text or "").strip()
    if not text:
        return ()
    pattern = _like(text.lower())
    # SQLite's lower() folds ASCII only: compare the name both as typed and lower-cased.
    condition = sa.or_(
        User.email.like(pattern, escape="\\"),
        sa.func.lower(User.full_name).like(pattern, escape="\\"),
        User.full_name.like(_like(text), escape="\\"),
    )
    return tuple(db.session.scalars(sa.select(User.id).where(condition).order_by(User.id).limit(MAX_ACTOR_MATCHES)))
