"""The one "logged-in user with an active account" check, and the rate-limit key."""
from flask_login import AnonymousUserMixin, login_user

from forum.core.permissions import is_active_user
from forum.core.rate_limits import user_or_address_key
from tests.factories import make_user


def test_only_logged_in_active_users_count(app):
    with app.app_context():
        assert is_active_user(make_user()) is True
        assert is_active_user(make_user(is_active=False)) is False
        assert is_active_user(AnonymousUserMixin()) is False
        assert is_active_user(None) is False


def test_rate_limits_count_per_user_when_logged_in_else_per_address(app):
    with app.app_context():
        user = make_user()
        with app.test_request_context(environ_base={"REMOTE_ADDR": "203.0.113.5"}):
            assert user_or_address_key() == "ip:203.0.113.5"
            login_user(user)
            assert user_or_address_key() == f"user:{user.id}"
