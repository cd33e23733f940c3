"""Helpers for the support tests: a proposal in a forum of a given phase, users by role,
logged-in clients, and the (stored count, rows) pair that must always agree."""
from dataclasses import dataclass

import pytest
import sqlalchemy as sa

from forum.extensions import db
from forum.proposals.models import Proposal
from forum.votes.models import Support
from tests.conftest import AuthActions
from tests.factories import make_forum, make_proposal, make_support, make_user

JSON = {"Accept": "application/json"}


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
    """``setting(phase="open", **proposal_fields)`` → a proposal by its own author."""

    def create(phase="open", **proposal_fields) -> Setting:
        with app.app_context():
            forum = make_forum(phase=phase)
            author = make_user()
            proposal = make_proposal(forum, author, **proposal_fields)
            return Setting(proposal.id, forum.id, author.email)

    return create


@pytest.fixture
def new_user(app):
    """``new_user(role=..., supporting=proposal_id)`` → the new user's email."""

    def create(role="delegate", supporting=None, **fields) -> str:
        with app.app_context():
            user = make_user(role=role, **fields)
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


def count_and_rows(app, proposal_id: int) -> tuple[int, int]:
    """(proposals.support_count, number of support rows) for one proposal."""
    with app.app_context():
        stored = db.session.scalar(sa.select(Proposal.support_count).where(Proposal.id == proposal_id))
        rows = db.session.scalar(
            sa.select(sa.func.count()).select_from(Support).where(Support.proposal_id == proposal_id)
        )
        return stored, rows


def supports_of(app, proposal_id: int, email: str) -> int:
    """How many support rows ``email`` has on the proposal (0 or 1 if all is well)."""
    from forum.auth.models import User

    with app.app_context():
        return db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Support)
            .join(User, User.id == Support.user_id)
            .where(Support.proposal_id == proposal_id, User.email == email)
        )
