"""The rate-limit key shared by the posting, support and search limits."""
from flask_limiter.util import get_remote_address
from flask_login import current_user


def user_or_address_key() -> str:
    """Per user when logged in (delegates often share one office address), else per
    client address (the real one behind ``TRUSTED_PROXIES``)."""
    if current_user.is_authenticated:
        return f"user:{current_user.id}"
    return f"ip:{get_remote_address()}"


def memory_storage_warning(*, production: bool, storage_uri: str | None, workers: int) -> str | None:
    """The warning for production with several worker processes and rate limits (and login
    lockouts) counted in process memory: each worker would count alone, multiplying every
    limit by the number of workers. None when there is nothing to warn about."""
    in_memory = not storage_uri or storage_uri.startswith("memory://")
    if not production or not in_memory or workers <= 1:
        return None
    return (
        f"{workers} gunicorn workers count rate limits and login lockouts in their own memory, "
        f"so every limit is {workers} times higher than configured: set REDIS_URL to share them."
    )
