"""Fixtures for the support tests: a proposal in a forum of a given phase, users by role,
logged-in clients (their helpers are in tests/votes/helpers.py)."""
from dataclasses import dataclass

import pytest

from forum.extensions import db
from forum.proposals.models import Proposal
from tests.helpers import AuthActions
from tests.factories import make_forum, make_proposal, make_support, make_user, make_user_of_role


@dataclass(frozen=True)
class Setting:
    """Plain ids and emails, usable after the app context that created them ends."""

    proposal_id: int
    forum_id: int
    author_email: str

    @property
    def support_url(self) -> str:
        return f"/proposals/{self.proposal_id}/support"

    @property
    def unsupport_url(self) -> str:
        return f"/proposals/{self.proposal_id}/unsupport"


@pytest.fixture
def setting(app):
    """``setting(phase="open", forum_settings=None, **proposal_fields)`` → a proposal by
    its own author (``forum_settings``: columns of the forum, e.g. its rules)."""

    def create(phase="open", forum_settings=None, **proposal_fields) -> Setting:
        with app.app_context():
            forum = make_forum(phase=phase, **(forum_settings or {}))
            author = make_user()
            proposal = make_proposal(forum, author, **proposal_fields)
            return Setting(proposal.id, forum.id, author.email)

    return create


@pytest.fixture
def new_user(app):
    """``new_user(role=..., supporting=proposal_id)`` → the new user's email."""

    def create(role="delegate", supporting=None, **fields) -> str:
        with app.app_context():
            user = make_user_of_role(role, **fields)  # a moderator moderates every forum
            if supporting is not None:
                make_support(db.session.get(Proposal, supporting), user)
            return user.email

    return create


@pytest.fixture
def login_client(app):
    """``login_client(email)`` → a fresh test client logged in as that user."""

    def log_in(email):
        client = app.test_client()
        response = AuthActions(client).login(email)
        assert response.status_code == 302, response.get_data(as_text=True)
        with client.session_transaction() as session:
            session.pop("_flashes", None)  # the welcome message
        return client

    return log_in
