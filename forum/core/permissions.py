"""Who is acting: the one check of "a logged-in user with an active account", and role
checks shared by views (``role_required`` stacks under ``login_required``)."""
from functools import wraps

from flask import abort
from flask_login import current_user, login_required


def is_active_user(user) -> bool:
    """True for a logged-in user whose account is active; False for None, the anonymous
    visitor (Flask-Login's ``AnonymousUserMixin``) and deactivated accounts."""
    return bool(user is not None and getattr(user, "is_authenticated", False) and user.is_active)


def role_required(*roles: str):
    """Allow only logged-in users holding one of ``roles`` (403 for the others)."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator
