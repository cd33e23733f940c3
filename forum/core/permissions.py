"""Who is acting: the one check of "a logged-in user with an active account"."""
from flask_login import current_user


def is_active_user(user) -> bool:
    """True for a logged-in user whose account is active; False for None, the anonymous
    visitor (Flask-Login's ``AnonymousUserMixin``) and deactivated accounts."""
    return bool(user is not None and getattr(user, "is_authenticated", False) and user.is_active)


def current_actor():
    """The logged-in user as a plain object, for services: they store ids and compare
    objects, so they get the User, not Flask-Login's proxy."""
    return current_user._get_current_object()
