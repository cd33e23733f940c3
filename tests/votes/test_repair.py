"""The votes repair service behind ``flask votes verify --repair`` (and, later, the
organizer area): admins and the console only, one audit entry per repaired proposal."""
import pytest
import sqlalchemy as sa

from forum.core.audit import AuditEntry
from forum.core.errors import PermissionDenied
from forum.extensions import db
from forum.proposals.models import Proposal
from forum.votes import services
from tests.factories import make_forum, make_proposal, make_support, make_user


def drifting_proposal() -> Proposal:
    """A proposal with one support row whose counter says 5."""
    proposal = make_proposal(make_forum(phase="open"), make_user())
    make_support(proposal, make_user())
    db.session.execute(sa.update(Proposal).where(Proposal.id == proposal.id).values(support_count=5))
    db.session.commit()
    return proposal


def stored_count(proposal_id: int) -> int:
    return db.session.scalar(sa.select(Proposal.support_count).where(Proposal.id == proposal_id))


def test_an_admin_repairs_with_an_audit_entry_naming_them(app):
    with app.app_context():
        proposal_id = drifting_proposal().id
        admin = make_user(role="admin")
        repaired = services.repair_support_counts(actor=admin, reason="kiểm tra định kỳ")
        assert repaired == [services.SupportCountDrift(proposal_id, 5, 1)]
        assert stored_count(proposal_id) == 1
        [entry] = db.session.scalars(sa.select(AuditEntry))
        assert (entry.action, entry.target_id, entry.actor_id, entry.actor_role) == (
            "votes.repair_support_count", proposal_id, admin.id, "admin",
        )
        assert (entry.before, entry.after, entry.reason) == ({"support_count": 5}, {"support_count": 1},
                                                             "kiểm tra định kỳ")
        assert services.find_support_count_drift() == []


@pytest.mark.parametrize("role", ["delegate", "moderator", "organizer"])
def test_other_roles_may_not_repair(app, role):
    with app.app_context():
        proposal_id = drifting_proposal().id
        with pytest.raises(PermissionDenied):
            services.repair_support_counts(actor=make_user(role=role))
        assert stored_count(proposal_id) == 5
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)) == 0
