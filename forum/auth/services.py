"""Account verbs: authenticate, create users, change passwords and roles. Never commit."""
import sqlalchemy as sa

from forum.core.text import normalize_text
from forum.extensions import db, login_manager
from forum.auth.models import User, new_session_token  # noqa: F401


def normalize_email(email: str) -> str:
    """Emails compare case-insensitively; they are stored lower-cased."""
    return normalize_text(email, multiline=False).lower()


def get_user_by_email(email: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.email == normalize_email(email)))


def authenticate_user(email: str, password: str) -> User | None:
    """The active user with this email and password, else None."""
    user = get_user_by_email(email)
    if user is None or not user.is_active or not user.check_password(password):
        return None
    return user


@login_manager.user_loader
def load_user(session_id: str) -> User | None:
    """Session ids are ``<user id>:<session token>``; a rotated token logs the session out."""
    user_id, _, token = session_id.partition(":")
    if not user_id.isdigit() or not token:
        return None
    user = db.session.get(User, int(user_id))
    if user is None or user.session_token != token or not user.is_active:
        return None
    return user
