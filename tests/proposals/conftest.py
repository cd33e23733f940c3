"""Fixtures for the proposal tests: the world of ``build_world`` and clients logged in
as any of its roles (the helpers are in tests/proposals/helpers.py)."""
import pytest
import sqlalchemy as sa

from forum.auth.models import User
from forum.extensions import db
from tests.helpers import AuthActions
from tests.proposals.helpers import World, build_world


@pytest.fixture
def world(app):
    """``world(phase="open", **proposal_fields)`` → see ``build_world``."""
    return lambda phase="open", **proposal_fields: build_world(app, phase, **proposal_fields)


@pytest.fixture
def login_as(app, client):
    """``login_as(world, role)`` logs the client in; "inactive" is deactivated after login
    (an account switched off while its session is still open)."""

    def login(world: World, role: str):
        if role == "anonymous":
            return
        response = AuthActions(client).login(world.emails[role])
        assert response.status_code == 302, f"login as {role} failed"
        if role == "inactive":
            with app.app_context():
                user = db.session.scalar(sa.select(User).where(User.email == world.emails[role]))
                user.is_active_account = False
                db.session.commit()

    return login
