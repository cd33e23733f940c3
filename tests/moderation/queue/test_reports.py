"""Reports: once per person and item, a reason from the list, the threshold hides."""
import pytest

from tests.moderation.queue.helpers import audit_actions, counters_clean, database_state, queue_rows, report_count
from tests.proposals.helpers import get_comment, get_proposal


def report(client, path, reason="spam", detail=""):
    return client.post(path, data={"reason": reason, "detail": detail})


def test_moderators_of_the_forum_get_no_report_link_others_do(app, world, client_for):
    """A moderator of the forum hides content directly; a moderator of another forum
    reports it like any delegate."""
    link = f'href="/moderation/proposals/{world.proposal_id}/report"'
    here = client_for(world.emails["moderator_here"]).get(f"/proposals/{world.proposal_id}").get_data(as_text=True)
    assert link not in here and "Báo cáo vi phạm" not in here
    elsewhere = client_for(world.emails["moderator_elsewhere"]).get(f"/proposals/{world.proposal_id}")
    assert link in elsewhere.get_data(as_text=True)


def test_the_report_form_lists_the_reasons_and_works_without_javascript(app, world, client_for):
    client = client_for(world.emails["delegate"])
    page = client.get(f"/proposals/{world.proposal_id}").get_data(as_text=True)
    assert f'href="/moderation/proposals/{world.proposal_id}/report"' in page
    assert f'href="/moderation/comments/{world.comment_id}/report"' in page
    form = client.get(f"/moderation/proposals/{world.proposal_id}/report").get_data(as_text=True)
    for label in ("Spam, quảng cáo", "Xúc phạm, công kích cá nhân", "Thông tin sai sự thật", "Lạc đề", "Lý do khác"):
        assert label in form
    response = report(client, f"/moderation/proposals/{world.proposal_id}/report", "false", "Số liệu không đúng.")
    assert response.status_code == 302 and response.headers["Location"] == f"/proposals/{world.proposal_id}"
    assert queue_rows(app) == [(1, "proposal", "waiting", 1, False)]


def test_one_report_per_person_and_item(app, world, client_for):
    client = client_for(world.emails["delegate"])
    path = f"/moderation/comments/{world.comment_id}/report"
    assert report(client, path).status_code == 302
    before = database_state(app)
    again = report(client, path, "abuse")
    assert again.status_code == 403 and "Bạn đã báo cáo nội dung này" in again.get_data(as_text=True)
    assert database_state(app) == before
    assert report_count(app) == 1


def test_own_posts_cannot_be_reported_and_visitors_must_log_in(app, world, client_for):
    author = client_for(world.emails["author"])
    before = database_state(app)
    assert report(author, f"/moderation/proposals/{world.proposal_id}/report").status_code == 403
    anonymous = client_for()
    response = report(anonymous, f"/moderation/proposals/{world.proposal_id}/report")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login?next=")
    assert database_state(app) == before
    # The author is not offered the link either.
    assert f"/proposals/{world.proposal_id}/report" not in author.get(f"/proposals/{world.proposal_id}").get_data(as_text=True)


@pytest.mark.parametrize("reason, detail, message", [
    ("other", "", "Với lý do khác, vui lòng mô tả ngắn vi phạm."),
    ("spam", "\u200b\u200b \u3164", "Mô tả chỉ gồm khoảng trắng"),
    ("spam", "x" * 501, "Mô tả quá dài"),
    ("no-such-reason", "", None),
])
def test_bad_reports_are_refused_with_the_text_kept(app, world, client_for, reason, detail, message):
    client = client_for(world.emails["delegate"])
    response = report(client, f"/moderation/proposals/{world.proposal_id}/report", reason, detail)
    assert response.status_code == 422
    assert message is None or message in response.get_data(as_text=True)
    assert report_count(app) == 0


def test_the_threshold_of_distinct_reporters_hides_the_post_pending_review(app, world, client_for):
    assert app.config["REPORTS_TO_HIDE"] == 3
    path = f"/moderation/proposals/{world.proposal_id}/report"
    for email in world.reporters[:2]:
        assert report(client_for(email), path).status_code == 302
    assert not get_proposal(app, world.proposal_id).is_hidden
    assert report(client_for(world.reporters[2]), path, "abuse").status_code == 302
    hidden = get_proposal(app, world.proposal_id)
    assert hidden.is_hidden and hidden.hidden_cause == "reports"
    assert counters_clean(app)
    assert audit_actions(app) == ["moderation.auto_hide"]
    # Readers are told why the page is gone, not what it said.
    reader = client_for(world.emails["delegate"]).get(f"/proposals/{world.proposal_id}")
    text = reader.get_data(as_text=True)
    assert reader.status_code == 404 and "đang tạm ẩn" in text and "Nhà văn hóa cho công nhân" not in text
    # Its author and its moderators see it, with the reason.
    for email in (world.emails["author"], world.emails["moderator_here"]):
        page = client_for(email).get(f"/proposals/{world.proposal_id}").get_data(as_text=True)
        assert "Đang tạm ẩn" in page and "Nhà văn hóa cho công nhân" in page
    assert client_for(world.emails["moderator_elsewhere"]).get(f"/proposals/{world.proposal_id}").status_code == 404


def test_a_comment_reported_by_enough_people_leaves_the_thread(app, world, client_for):
    path = f"/moderation/comments/{world.comment_id}/report"
    for email in world.reporters[:3]:
        assert report(client_for(email), path, "abuse").status_code == 302
    assert get_comment(app, world.comment_id).hidden_cause == "reports"
    assert counters_clean(app)
    page = client_for(world.emails["delegate"]).get(f"/proposals/{world.proposal_id}").get_data(as_text=True)
    assert "Ý kiến ủng hộ nhà văn hóa." not in page
    own = client_for(world.emails["commenter"]).get(f"/proposals/{world.proposal_id}").get_data(as_text=True)
    assert "Ý kiến ủng hộ nhà văn hóa." in own and "Đang tạm ẩn" in own


def test_the_threshold_is_a_setting(app, world, client_for):
    app.config["REPORTS_TO_HIDE"] = 1
    assert report(client_for(world.emails["delegate"]), f"/moderation/proposals/{world.proposal_id}/report").status_code == 302
    assert get_proposal(app, world.proposal_id).hidden_cause == "reports"
