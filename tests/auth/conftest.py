"""Fixtures for the account tests (their helpers are in tests/auth/helpers.py)."""
import pytest

from tests.helpers import AuthActions


@pytest.fixture
def login_as(app):
    """``login_as(user)`` → a new test client logged in as ``user`` (a second device)."""

    def log_in(user, password=None):
        client = app.test_client()
        actions = AuthActions(client)
        response = actions.login(user) if password is None else actions.login(user, password)
        assert response.status_code == 302, response.get_data(as_text=True)
        return client

    return log_in
