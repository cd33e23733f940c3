"""Who is acting: the one check of "a logged-in user with an active account"."""


def is_active_user(user) -> bool:
    """True for a logged-in user whose account is active; False for None, the anonymous
    visitor (Flask-Login's ``AnonymousUserMixin``) and deactivated accounts."""
    return bool(user is not None and getattr(user, "is_authenticated", False) and user.is_active)
