"""Pre-moderation: a new account's first posts in a forum wait for a moderator."""
import pytest

from forum.extensions import db
from forum.forums.models import Forum
from tests.factories import make_user
from tests.moderation.queue.helpers import audit_actions, build_world, counters_clean, queue_rows
from tests.proposals.helpers import get_proposal


@pytest.fixture
def world(app):
    return build_world(app, premoderate_new_accounts=True)


def submit(client, forum_slug, title):
    with client.application.app_context():
        forum = db.session.scalar(db.select(Forum).where(Forum.slug == forum_slug))
        theme_id = forum.themes[0].id
    return client.post(f"/forums/{forum_slug}/proposals/new",
                       data={"title": title, "body": "Nội dung hiến kế của người mới.", "theme_id": theme_id})


def forum_count(app, forum_id):
    with app.app_context():
        return db.session.get(Forum, forum_id).proposal_count


def newest_id(app):
    from forum.proposals.models import Proposal

    with app.app_context():
        return db.session.scalar(db.select(db.func.max(Proposal.id)))


def test_a_new_accounts_first_proposal_waits_then_is_published(app, world, client_for):
    with app.app_context():
        newcomer = make_user().email
    client = client_for(newcomer)
    count = forum_count(app, world.forum_id)
    assert submit(client, "dien-dan-1", "Hiến kế đầu tiên của người mới").status_code == 302
    pending = newest_id(app)
    assert get_proposal(app, pending).awaiting_approval
    assert forum_count(app, world.forum_id) == count and counters_clean(app)
    own = client.get(f"/proposals/{pending}").get_data(as_text=True)
    assert "Chờ duyệt" in own and "đang chờ điều hành viên duyệt" in own
    assert client_for(world.emails["delegate"]).get(f"/proposals/{pending}").status_code == 404
    assert "Hiến kế đầu tiên của người mới" not in client_for(world.emails["delegate"]).get("/forums/dien-dan-1").get_data(as_text=True)
    assert queue_rows(app)[-1][1:] == ("proposal", "waiting", 0, True)
    moderator = client_for(world.emails["moderator_here"])
    queue = moderator.get("/moderation/queue").get_data(as_text=True)
    assert "Hiến kế đầu tiên của người mới" in queue and "Chờ duyệt" in queue
    item = queue_rows(app)[-1][0]
    assert moderator.post("/moderation/queue", data={"item": [item], "action": "approve"}).status_code == 302
    assert not get_proposal(app, pending).is_hidden
    assert forum_count(app, world.forum_id) == count + 1 and counters_clean(app)
    assert audit_actions(app) == ["moderation.approve"]
    # Approved once: the next one is published at once.
    assert submit(client, "dien-dan-1", "Hiến kế thứ hai của người mới").status_code == 302
    assert not get_proposal(app, newest_id(app)).is_hidden


def test_a_rejected_first_post_keeps_the_account_new(app, world, client_for):
    with app.app_context():
        newcomer = make_user().email
    client = client_for(newcomer)
    assert submit(client, "dien-dan-1", "Quảng cáo bán hàng online").status_code == 302
    item = queue_rows(app)[-1][0]
    moderator = client_for(world.emails["moderator_here"])
    dismissed = moderator.post("/moderation/queue", data={"item": [item], "action": "dismiss"})
    assert dismissed.status_code == 422 and "Bài chờ duyệt" in dismissed.get_data(as_text=True)
    assert moderator.post("/moderation/queue", data={"item": [item], "action": "hide",
                                                     "reason": "Quảng cáo, không phải hiến kế."}).status_code == 302
    rejected = get_proposal(app, newest_id(app))
    assert rejected.hidden_cause == "rejected" and rejected.hidden_reason == "Quảng cáo, không phải hiến kế."
    page = client.get(f"/proposals/{rejected.id}").get_data(as_text=True)
    assert "Không được duyệt" in page and "Quảng cáo, không phải hiến kế." in page
    assert audit_actions(app) == ["moderation.reject"]
    assert submit(client, "dien-dan-1", "Hiến kế thật sự về đoàn viên").status_code == 302
    assert get_proposal(app, newest_id(app)).awaiting_approval
    assert counters_clean(app)


def test_comments_of_new_accounts_wait_too_and_staff_never_wait(app, world, client_for):
    with app.app_context():
        newcomer = make_user().email
    client = client_for(newcomer)
    assert client.post(f"/proposals/{world.proposal_id}/comments", data={"body": "Ý kiến của người mới."}).status_code == 302
    assert queue_rows(app)[-1][1:] == ("comment", "waiting", 0, True)
    assert "Ý kiến của người mới." not in client_for(world.emails["delegate"]).get(
        f"/proposals/{world.proposal_id}").get_data(as_text=True)
    assert "Ý kiến của người mới." in client.get(f"/proposals/{world.proposal_id}").get_data(as_text=True)
    assert counters_clean(app)
    staff = client_for(world.emails["moderator_elsewhere"])
    assert submit(staff, "dien-dan-1", "Hiến kế của điều hành viên").status_code == 302
    assert not get_proposal(app, newest_id(app)).is_hidden


def test_forums_without_the_rule_publish_at_once(app, world, client_for):
    with app.app_context():
        newcomer = make_user().email
    assert submit(client_for(newcomer), "dien-dan-2", "Hiến kế ở diễn đàn không kiểm duyệt").status_code == 302
    assert not get_proposal(app, newest_id(app)).is_hidden
