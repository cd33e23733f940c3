"""Helpers for the support tests: the JSON Accept header of support.js, and the (stored
count, rows) pair that must always agree."""
import sqlalchemy as sa

from forum.extensions import db
from forum.proposals.models import Proposal
from forum.votes.models import Support

JSON = {"Accept": "application/json"}


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
