"""The support verbs called directly (as a CLI or another service would)."""
import pytest

from forum.auth.models import User
from forum.core.errors import InvalidAction, PermissionDenied
from forum.extensions import db
from forum.proposals.models import Proposal
from forum.votes import services
from tests.factories import make_forum, make_proposal, make_user
from tests.votes.helpers import count_and_rows


@pytest.fixture
def proposal_id(app):
    with app.app_context():
        return make_proposal(make_forum(phase="open"), make_user()).id


def call(app, verb, proposal_id, user_id):
    with app.app_context():
        state = verb(db.session.get(Proposal, proposal_id), actor=db.session.get(User, user_id))
        db.session.commit()
        return state


def test_states_report_whether_anything_changed(app, proposal_id):
    with app.app_context():
        user_id = make_user().id
    support, withdraw = services.support_proposal, services.withdraw_support
    assert call(app, support, proposal_id, user_id) == services.SupportState(True, 1, True)
    assert call(app, support, proposal_id, user_id) == services.SupportState(True, 1, False)
    assert call(app, withdraw, proposal_id, user_id) == services.SupportState(False, 0, True)
    assert call(app, withdraw, proposal_id, user_id) == services.SupportState(False, 0, False)


def test_the_loaded_proposal_shows_the_new_count(app, proposal_id):
    with app.app_context():
        user = make_user()
        proposal = db.session.get(Proposal, proposal_id)
        services.support_proposal(proposal, actor=user)
        assert proposal.support_count == 1
        assert not db.session.dirty  # set as loaded, not as a pending change
        db.session.commit()


def test_inactive_account_is_refused(app, proposal_id):
    with app.app_context():
        user = make_user(is_active=False)
        with pytest.raises(PermissionDenied, match="tài khoản đang hoạt động"):
            services.support_proposal(db.session.get(Proposal, proposal_id), actor=user)
        db.session.rollback()
    assert count_and_rows(app, proposal_id) == (0, 0)


def test_anonymous_actor_is_refused(app, proposal_id):
    from flask_login import AnonymousUserMixin

    with app.app_context():
        with pytest.raises(PermissionDenied):
            services.withdraw_support(db.session.get(Proposal, proposal_id), actor=AnonymousUserMixin())


def test_closed_forum_is_an_invalid_action(app, proposal_id):
    with app.app_context():
        proposal = db.session.get(Proposal, proposal_id)
        proposal.forum.phase = "closed"
        db.session.commit()
        with pytest.raises(InvalidAction, match="không nhận ủng hộ"):
            services.support_proposal(proposal, actor=make_user())
