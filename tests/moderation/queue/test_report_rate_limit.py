"""Reporting is rate limited per user, like posting."""
import pytest

from forum.moderation.queue.views import REPORT_LIMIT
from tests.factories import make_proposal, make_user
from tests.moderation.queue.helpers import report_count


@pytest.fixture
def app_overrides():
    return {"RATELIMIT_ENABLED": True, "REPORTS_TO_HIDE": 100}


def test_reports_are_limited_per_user(app, world, client_for):
    allowed = int(REPORT_LIMIT.split("/")[0])
    from forum.extensions import db
    from forum.forums.models import Forum

    with app.app_context():
        forum = db.session.get(Forum, world.forum_id)
        author = make_user()
        ids = [make_proposal(forum, author).id for _ in range(allowed + 1)]
    client = client_for(world.emails["delegate"])
    for proposal_id in ids[:allowed]:
        assert client.post(f"/moderation/proposals/{proposal_id}/report", data={"reason": "spam"}).status_code == 302
    refused = client.post(f"/moderation/proposals/{ids[allowed]}/report", data={"reason": "spam"})
    assert refused.status_code == 429
    assert report_count(app) == allowed
    # Another user is not affected.
    other = client_for(world.reporters[0])
    assert other.post(f"/moderation/proposals/{ids[allowed]}/report", data={"reason": "spam"}).status_code == 302
