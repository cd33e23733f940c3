"""Authors are told what moderators did to their proposals (issue 8 item 7): an official
answer (one at a time or a forum's drafts together), a move; never the moderator who acted."""
import sqlalchemy as sa

from forum.extensions import db
from forum.moderation.curation import answers
from forum.notifications.models import Notification
from forum.proposals.models import Proposal
from tests.factories import make_proposal, make_user
from tests.moderation.helpers import MODERATOR_HERE, actor, build_world


def _kinds(app, user_id):
    with app.app_context():
        return [
            (row.kind, row.proposal_id, row.actor_id)
            for row in db.session.scalars(sa.select(Notification).where(Notification.user_id == user_id).order_by(Notification.id))
        ]


def test_publishing_an_answer_tells_the_author(app, client, auth):
    world = build_world(app)
    auth.login(world.emails[MODERATOR_HERE])
    response = client.post(f"/moderation/proposals/{world.proposal}/answer",
                           data={"answer-status": "accepted", "answer-body": "Tiếp thu.", "answer-action": "publish"})
    assert response.status_code == 302
    assert _kinds(app, world.author) == [("answered", world.proposal, world.ids[MODERATOR_HERE])]


def test_a_draft_tells_nobody_until_the_forum_publishes(app, client, auth):
    world = build_world(app)
    with app.app_context():
        other_author = make_user()
        second = make_proposal(db.session.get(Proposal, world.proposal).forum, other_author).id
        answers.save_draft(db.session.get(Proposal, world.proposal), status="accepted", body="Tiếp thu.",
                           actor=actor(world, MODERATOR_HERE))
        answers.save_draft(db.session.get(Proposal, second), status="under_review", body="Xem xét.",
                           actor=actor(world, MODERATOR_HERE))
        db.session.commit()
        other_author_id = other_author.id
    assert _kinds(app, world.author) == []
    auth.login(world.emails[MODERATOR_HERE])
    assert client.post(f"/moderation/forums/{world.here}/answers/publish").status_code == 302
    assert [kind for kind, *_ in _kinds(app, world.author)] == ["answered"]
    assert _kinds(app, other_author_id) == [("answered", second, world.ids[MODERATOR_HERE])]


def test_a_move_tells_the_author_with_the_reason(app, client, auth):
    world = build_world(app)
    auth.login(world.emails[MODERATOR_HERE])
    response = client.post(f"/moderation/proposals/{world.proposal}/move",
                           data={"move-place": f"{world.here}:{world.themes_here[1]}", "move-reason": "Đúng nhóm hơn"})
    assert response.status_code == 302
    with app.app_context():
        [notification] = db.session.scalars(sa.select(Notification).where(Notification.user_id == world.author))
        assert (notification.kind, notification.details) == ("moved", {"reason": "Đúng nhóm hơn"})


def test_a_moderator_answering_their_own_proposal_is_not_told(app, client, auth):
    world = build_world(app)
    with app.app_context():
        own = make_proposal(db.session.get(Proposal, world.proposal).forum, actor(world, MODERATOR_HERE)).id
    auth.login(world.emails[MODERATOR_HERE])
    client.post(f"/moderation/proposals/{own}/answer",
                data={"answer-status": "accepted", "answer-body": "Tiếp thu.", "answer-action": "publish"})
    assert _kinds(app, world.ids[MODERATOR_HERE]) == []


def test_a_merge_tells_the_merged_proposals_author(app, client, auth):
    from forum.votes import services as votes
    from tests.moderation.merge_helpers import make_scene, proposal, proposal_in

    with app.app_context():
        scene = make_scene()
        author = make_user()
        a, b = proposal_in(scene.forum), proposal_in(scene.forum, author.id)
        plan = votes.plan_support_merge(proposal(b), proposal(a)).fingerprint
        author_id = author.id
    auth.login(scene.moderator_email)
    assert client.post("/moderation/merge", data={"source": b, "target": a, "plan": plan}).status_code == 302
    assert _kinds(app, author_id) == [("merged", b, scene.moderator)]
