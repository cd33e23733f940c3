"""Hide and unhide, lock and unlock: who may, what the author and the others see, counts
and search kept exact."""
import pytest
import sqlalchemy as sa

from forum.extensions import db
from forum.forums.models import Forum
from tests.search.integration import drain
from tests.moderation.queue.helpers import ACTORS, MAY_MODERATE_HERE, audit_actions, counters_clean, database_state
from tests.proposals.helpers import get_comment, get_proposal

REASON = "Nội dung quảng cáo dịch vụ, không phải hiến kế."


def forum_counts(app, forum_id):
    with app.app_context():
        forum = db.session.get(Forum, forum_id)
        return forum.proposal_count, forum.participant_count


ACTIONS = {
    "hide_proposal": lambda w: (f"/moderation/proposals/{w.proposal_id}/hide", {"reason": REASON}),
    "hide_comment": lambda w: (f"/moderation/comments/{w.comment_id}/hide", {"reason": REASON}),
    "lock": lambda w: (f"/moderation/proposals/{w.proposal_id}/lock", {}),
}


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_who_may_hide_and_lock(app, world, client_for, actor, action):
    client = client_for(None if actor == "anonymous" else world.emails[actor])
    path, data = ACTIONS[action](world)
    before = database_state(app)
    response = client.post(path, data=data)
    if actor in MAY_MODERATE_HERE:
        assert response.status_code == 302
        assert database_state(app) != before
        assert audit_actions(app) == ["moderation.lock" if action == "lock" else "moderation.hide"]
        return
    assert response.status_code == (302 if actor == "anonymous" else 403)
    assert database_state(app) == before


@pytest.mark.parametrize("actor", ACTORS)
def test_who_may_unhide_and_unlock(app, world, client_for, actor):
    staff = client_for(world.emails["organizer"])
    assert staff.post(f"/moderation/proposals/{world.proposal_id}/hide", data={"reason": REASON}).status_code == 302
    assert staff.post(f"/moderation/comments/{world.comment_id}/hide", data={"reason": REASON}).status_code == 302
    assert staff.post(f"/moderation/proposals/{world.proposal_id}/lock").status_code == 302
    client = client_for(None if actor == "anonymous" else world.emails[actor])
    before = database_state(app)
    answers = [client.post(path) for path in (
        f"/moderation/proposals/{world.proposal_id}/unhide", f"/moderation/comments/{world.comment_id}/unhide",
        f"/moderation/proposals/{world.proposal_id}/unlock")]
    if actor in MAY_MODERATE_HERE:
        assert [answer.status_code for answer in answers] == [302, 302, 302]
        proposal = get_proposal(app, world.proposal_id)
        assert not proposal.is_hidden and not proposal.is_locked and not get_comment(app, world.comment_id).is_hidden
        assert counters_clean(app)
        return
    # Visitors are sent to log in; a delegate or a moderator of another forum cannot even
    # see the hidden proposal (404) and is refused the rest.
    expected = 302 if actor == "anonymous" else None
    for answer in answers:
        assert answer.status_code in ((302,) if expected else (403, 404))
    assert database_state(app) == before


def test_hiding_keeps_counts_exact_and_tells_the_author_why(app, world, client_for):
    counts = forum_counts(app, world.forum_id)
    moderator = client_for(world.emails["moderator_here"])
    form = moderator.get(f"/moderation/proposals/{world.proposal_id}/hide")
    assert form.status_code == 200 and "Lý do ẩn" in form.get_data(as_text=True)
    assert moderator.post(f"/moderation/proposals/{world.proposal_id}/hide", data={"reason": REASON}).status_code == 302
    assert forum_counts(app, world.forum_id) == (counts[0] - 1, 0)  # the author, commenter and supporter leave
    assert counters_clean(app)
    author_page = client_for(world.emails["author"]).get(f"/proposals/{world.proposal_id}").get_data(as_text=True)
    assert REASON in author_page and "Điều hành viên đã ẩn hiến kế này" in author_page
    reader = client_for(world.emails["delegate"]).get(f"/proposals/{world.proposal_id}")
    assert reader.status_code == 404
    text = reader.get_data(as_text=True)
    assert "đã bị điều hành viên ẩn" in text and REASON not in text and "Nhà văn hóa" not in text
    assert moderator.post(f"/moderation/proposals/{world.proposal_id}/unhide").status_code == 302
    assert forum_counts(app, world.forum_id) == counts
    assert counters_clean(app)
    assert audit_actions(app) == ["moderation.hide", "moderation.unhide"]


def test_hiding_a_comment_needs_a_reason_and_moves_participation(app, world, client_for):
    moderator = client_for(world.emails["moderator_here"])
    blank = moderator.post(f"/moderation/comments/{world.comment_id}/hide", data={"reason": " \u200b "})
    assert blank.status_code == 422 and not get_comment(app, world.comment_id).is_hidden
    counts = forum_counts(app, world.forum_id)
    assert moderator.post(f"/moderation/comments/{world.comment_id}/hide", data={"reason": REASON}).status_code == 302
    assert forum_counts(app, world.forum_id) == (counts[0], counts[1] - 1)
    assert counters_clean(app)
    own = client_for(world.emails["commenter"]).get(f"/proposals/{world.proposal_id}").get_data(as_text=True)
    assert REASON in own and "Điều hành viên đã ẩn ý kiến này" in own


def test_others_see_that_a_comment_was_hidden_not_what_it_said(app, world, client_for):
    """In a hidden comment's place readers see that a moderator hid it: not its text,
    author or reason; its author and the forum's moderators still read all of it."""
    moderator = client_for(world.emails["moderator_here"])
    assert moderator.post(f"/moderation/comments/{world.comment_id}/hide", data={"reason": REASON}).status_code == 302
    with app.app_context():
        from forum.auth.models import User

        commenter_name = db.session.scalar(sa.select(User.full_name).where(User.email == world.emails["commenter"]))
    for reader in (client_for(world.emails["delegate"]), client_for(None), client_for(world.emails["moderator_elsewhere"])):
        page = reader.get(f"/proposals/{world.proposal_id}").get_data(as_text=True)
        place = page.split(f'id="comment-{world.comment_id}"', 1)[1].split("</li>", 1)[0]
        assert "Ý kiến này đã bị điều hành viên ẩn." in place
        assert "Ý kiến ủng hộ nhà văn hóa." not in page and REASON not in page and commenter_name not in place
        # The link to the comment still lands on its place in the thread.
        assert reader.get(f"/comments/{world.comment_id}").location.endswith(f"#comment-{world.comment_id}")
    for staff_or_author in (moderator, client_for(world.emails["commenter"])):
        page = staff_or_author.get(f"/proposals/{world.proposal_id}").get_data(as_text=True)
        assert "Ý kiến ủng hộ nhà văn hóa." in page and REASON in page
        assert "Ý kiến này đã bị điều hành viên ẩn." not in page


def test_a_comment_hidden_by_reports_says_so_in_its_place(app, world, client_for):
    app.config["REPORTS_TO_HIDE"] = 1
    reporter = client_for(world.reporters[0])
    assert reporter.post(f"/moderation/comments/{world.comment_id}/report", data={"reason": "spam"}).status_code == 302
    assert get_comment(app, world.comment_id).is_hidden
    page = client_for(world.emails["delegate"]).get(f"/proposals/{world.proposal_id}").get_data(as_text=True)
    assert "bị nhiều người báo cáo vi phạm nên đang tạm ẩn" in page and "Ý kiến ủng hộ nhà văn hóa." not in page


def test_a_locked_thread_takes_no_comments_supports_or_edits(app, world, client_for):
    assert client_for(world.emails["moderator_here"]).post(
        f"/moderation/proposals/{world.proposal_id}/lock").status_code == 302
    delegate = client_for(world.emails["delegate"])
    page = delegate.get(f"/proposals/{world.proposal_id}").get_data(as_text=True)
    assert "Đã khóa thảo luận" in page and "không nhận thêm ý kiến" in page
    assert delegate.post(f"/proposals/{world.proposal_id}/comments", data={"body": "Một ý kiến nữa"}).status_code == 403
    # The support buttons answer with a message (a redirect without JavaScript); nothing changes.
    refused = delegate.post(f"/proposals/{world.proposal_id}/unsupport", headers={"Accept": "application/json"})
    assert refused.status_code in (403, 409) and "khóa" in refused.get_json()["message"]
    other = client_for(world.reporters[0])
    other.post(f"/proposals/{world.proposal_id}/support")
    author = client_for(world.emails["author"])
    assert author.get(f"/proposals/{world.proposal_id}/edit").status_code == 403
    assert counters_clean(app)
    with app.app_context():
        from forum.votes.models import Support

        assert db.session.scalar(sa.select(sa.func.count()).select_from(Support)) == 1


def test_search_no_longer_finds_hidden_content_for_delegates(app, world, client_for):
    delegate = client_for(world.emails["delegate"])
    moderator_here = client_for(world.emails["moderator_here"])
    moderator_elsewhere = client_for(world.emails["moderator_elsewhere"])
    drain(app)
    assert f"/proposals/{world.proposal_id}" in delegate.get("/search?q=nha van hoa").get_data(as_text=True)
    assert moderator_here.post(f"/moderation/proposals/{world.proposal_id}/hide", data={"reason": REASON}).status_code == 302
    drain(app)  # the outbox row the hiding wrote (inline draining is off in tests)
    assert f"/proposals/{world.proposal_id}\"" not in delegate.get("/search?q=nha van hoa").get_data(as_text=True)
    # A moderator sees it where they moderate (a search limited to their forum), never elsewhere.
    assert f"/proposals/{world.proposal_id}\"" in moderator_here.get(
        f"/search?q=nha van hoa&forum={world.forum_id}").get_data(as_text=True)
    assert f"/proposals/{world.proposal_id}\"" not in moderator_elsewhere.get(
        f"/search?q=nha van hoa&forum={world.forum_id}").get_data(as_text=True)
    assert f"/proposals/{world.proposal_id}\"" in client_for(world.emails["organizer"]).get(
        "/search?q=nha van hoa").get_data(as_text=True)
