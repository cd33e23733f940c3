import pytest

from tests.helpers import AuthActions
from tests.moderation.queue.helpers import build_world


@pytest.fixture
def world(app):
    return build_world(app)


@pytest.fixture
def client_for(app):
    """A logged-in test client for an email (None: an anonymous visitor)."""

    def make(email=None):
        client = app.test_client()
        if email is not None:
            assert AuthActions(client).login(email).status_code == 302
        return client

    return make
