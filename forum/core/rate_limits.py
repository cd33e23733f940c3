"""The rate-limit key shared by the posting, support and search limits."""
from flask_limiter.util import get_remote_address
from flask_login import current_user


def user_or_address_key() -> str:
    """Per user when logged in (delegates often share one office address), else per
    client address (the real one behind ``TRUSTED_PROXIES``)."""
    if current_user.is_authenticated:
        return f"user:{current_user.id}"
    return f"ip:{get_remote_address()}"
