"""Authors are told what the moderation queue did to their posts (issue 8 item 7): hidden
(by a moderator, with the reason; by reports, naming nobody), shown again, approved (and an
approved comment tells the proposal's author as a new comment does); locks and dismissed
reports tell nobody."""
import sqlalchemy as sa

from forum.extensions import db
from forum.notifications.models import Notification
from tests.factories import make_user
from tests.moderation.queue.helpers import build_world, queue_rows


def notifications(app, user_id):
    with app.app_context():
        return [
            (row.kind, row.comment_id is not None, row.actor_id, (row.details or {}).get("reason"))
            for row in db.session.scalars(sa.select(Notification).where(Notification.user_id == user_id).order_by(Notification.id))
        ]


def test_hiding_and_showing_again_tell_the_author_with_the_reason(app, client_for):
    world = build_world(app)
    moderator = client_for(world.emails["moderator_here"])
    hidden = moderator.post(f"/moderation/proposals/{world.proposal_id}/hide", data={"reason": "Sai sự thật."})
    assert hidden.status_code == 302
    assert moderator.post(f"/moderation/proposals/{world.proposal_id}/unhide", data={}).status_code == 302
    assert moderator.post(f"/moderation/proposals/{world.proposal_id}/lock", data={}).status_code == 302
    moderator_id = world.ids["moderator_here"]
    assert notifications(app, world.ids["author"]) == [
        ("hidden", False, moderator_id, "Sai sự thật."),
        ("unhidden", False, moderator_id, None),
    ]


def test_a_comment_hidden_by_reports_names_no_reporter(app, client_for):
    world = build_world(app)
    for email in world.reporters[:3]:
        assert client_for(email).post(f"/moderation/comments/{world.comment_id}/report",
                                      data={"reason": "spam"}).status_code == 302
    assert notifications(app, world.ids["commenter"]) == [("hidden", True, None, None)]


def test_approving_a_waiting_comment_tells_its_writer_and_the_proposals_author(app, client_for):
    world = build_world(app, premoderate_new_accounts=True)
    with app.app_context():
        newcomer = make_user()
        newcomer_id, newcomer_email = newcomer.id, newcomer.email
    client = client_for(newcomer_email)
    assert client.post(f"/proposals/{world.proposal_id}/comments", data={"body": "Ý kiến đầu tiên."}).status_code == 302
    assert notifications(app, world.ids["author"]) == []  # waiting: nobody is told yet
    item = queue_rows(app)[-1][0]
    moderator = client_for(world.emails["moderator_here"])
    assert moderator.post("/moderation/queue", data={"item": [item], "action": "approve"}).status_code == 302
    assert notifications(app, newcomer_id) == [("approved", True, world.ids["moderator_here"], None)]
    assert notifications(app, world.ids["author"]) == [("comment", True, newcomer_id, None)]
