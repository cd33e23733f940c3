"""Support verbs. Never commit: the view or CLI command does."""
import sqlalchemy as sa

from forum.extensions import db
from forum.votes.models import Support


def supported_proposal_ids(user, proposal_ids) -> set[int]:
    """Which of ``proposal_ids`` ``user`` supports, in one query (empty for anonymous)."""
    ids = list(proposal_ids)
    if not ids or user is None or not getattr(user, "is_authenticated", False):
        return set()
    rows = db.session.scalars(
        sa.select(Support.proposal_id).where(Support.user_id == user.id, Support.proposal_id.in_(ids))
    )
    return set(rows)
