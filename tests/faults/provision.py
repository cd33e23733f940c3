"""Create the storm's delegate accounts and pick the proposals they toggle.

    python -m tests.faults.provision COUNT PREFIX PASSWORD

Runs with the app's environment (the experiment's database), after ``flask db upgrade``
and ``flask forum seed-demo``; creates COUNT delegates through the accounts service
(``PREFIX-N@...``) and prints JSON: the accounts, and the public proposals each of them
may support and withdraw (forums taking supports, no limit per user, withdrawable),
with a forum page and a few search queries to browse.
"""
import json
import sys

import sqlalchemy as sa

from forum import create_app
from forum.auth import services as accounts
from forum.extensions import db
from forum.forums.models import Forum
from forum.proposals.models import Proposal

DOMAIN = "loi-thu.hienke.vn"
MAX_TARGETS = 12


def main(count: int, prefix: str, password: str) -> dict:
    app = create_app()
    with app.app_context():
        users = [
            accounts.create_user(
                email=f"{prefix}-{n}@{DOMAIN}", full_name=f"Đại biểu thử lỗi {n}",
                unit="Công đoàn cơ sở thử nghiệm", password=password, actor=None,
            )
            for n in range(count)
        ]
        db.session.commit()
        someone = users[0]
        targets = []
        for proposal in db.session.scalars(sa.select(Proposal).order_by(Proposal.id)):
            forum = proposal.forum
            if (proposal.can_support(someone) and proposal.listing_is_public and not proposal.is_merged
                    and forum.max_supports_per_user is None and forum.supports_withdrawable):
                targets.append(proposal.id)
        forum = db.session.scalar(sa.select(Forum).where(Forum.id == db.session.get(Proposal, targets[0]).forum_id))
        return {
            "delegates": [{"id": user.id, "email": user.email} for user in users],
            "targets": targets[:MAX_TARGETS],
            "forum_path": f"/forums/{forum.slug}",
        }


if __name__ == "__main__":
    print(json.dumps(main(int(sys.argv[1]), sys.argv[2], sys.argv[3])))
