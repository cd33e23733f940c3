"""In-app notifications (issue 8 item 7): who is told of a comment or a reply, the page and
its unread count in the header, reading, the mail choice, and mail through the outbox."""
import re

import pytest
import sqlalchemy as sa

from forum.extensions import db
from forum.notifications import inbox
from forum.notifications.inbox import NotificationKind
from forum.notifications.models import Notification, OutgoingMail
from forum.proposals.models import Proposal
from tests.factories import make_comment, make_forum, make_proposal, make_user
from tests.helpers import AuthActions
from tests.notifications.helpers import mail_settings


@pytest.fixture
def app_overrides(request):
    """Mail off, unless a test asks for the SMTP server (tests/notifications/conftest.py)."""
    if "smtp_server" in request.fixturenames:
        return mail_settings(request.getfixturevalue("smtp_server")[0].port)
    return {}


@pytest.fixture
def thread(app):
    with app.app_context():
        forum = make_forum()
        author = make_user(full_name="Trần Thị Tác Giả", email="tacgia@congdoan.vn")
        writer = make_user(full_name="Lê Văn Góp Ý", email="gopy@congdoan.vn")
        other = make_user(full_name="Phạm Thị Trả Lời", email="traloi@congdoan.vn")
        proposal = make_proposal(forum, author, title="Nhà trọ cho công nhân")
        comment = make_comment(proposal, writer, body="Tôi đồng ý, cần thêm nhà trọ.")
        return {"proposal": proposal.id, "comment": comment.id, "author": author.id, "writer": writer.id,
                "other": other.id}


def _post_comment(client, proposal_id, body, parent_id=None):
    data = {"body": body}
    if parent_id:
        data["parent_id"] = str(parent_id)
    return client.post(f"/proposals/{proposal_id}/comments", data=data)


def _notifications(app, user_id):
    with app.app_context():
        return [
            (row.kind, row.proposal_id, row.comment_id is not None, row.actor_id)
            for row in db.session.scalars(sa.select(Notification).where(Notification.user_id == user_id).order_by(Notification.id))
        ]


def test_a_comment_tells_the_author_and_a_reply_tells_both(app, client, thread):
    AuthActions(client).login("traloi@congdoan.vn")
    assert _post_comment(client, thread["proposal"], "Nên có cả nhà trẻ.").status_code == 302
    assert _notifications(app, thread["author"]) == [("comment", thread["proposal"], True, thread["other"])]
    assert _post_comment(client, thread["proposal"], "Đồng ý với đồng chí.", thread["comment"]).status_code == 302
    assert _notifications(app, thread["writer"]) == [("reply", thread["proposal"], True, thread["other"])]
    assert [kind for kind, *_ in _notifications(app, thread["author"])] == ["comment", "comment"]
    assert _notifications(app, thread["other"]) == []  # never told of one's own comment


def test_nobody_is_told_of_their_own_comment_or_reply(app, client, thread):
    AuthActions(client).login("tacgia@congdoan.vn")
    _post_comment(client, thread["proposal"], "Cảm ơn các đồng chí đã góp ý.")
    assert _notifications(app, thread["author"]) == []
    AuthActions(client).logout()
    AuthActions(client).login("gopy@congdoan.vn")
    _post_comment(client, thread["proposal"], "Tôi bổ sung thêm ý.", thread["comment"])
    assert _notifications(app, thread["writer"]) == []
    assert [kind for kind, *_ in _notifications(app, thread["author"])] == ["comment"]


def test_a_refused_comment_notifies_nobody(app, client, thread):
    AuthActions(client).login("traloi@congdoan.vn")
    assert _post_comment(client, thread["proposal"], "\u200b\u3164").status_code == 422
    assert _notifications(app, thread["author"]) == []


def test_the_header_counts_unread_and_the_page_lists_them(app, client, thread):
    with app.app_context():
        proposal = db.session.get(Proposal, thread["proposal"])
        for _ in range(3):
            inbox.notify(thread["author"], NotificationKind.COMMENT, proposal=proposal,
                         actor=proposal.author)
        db.session.commit()
    AuthActions(client).login("tacgia@congdoan.vn")
    html = client.get("/").get_data(as_text=True)
    assert re.search(r'class="nav-notifications-count">3<', html)
    page = client.get("/notifications")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert body.count("notification-unread") == 3
    assert "đã góp ý kiến về hiến kế “Nhà trọ cho công nhân” của bạn" in body


def test_opening_a_notification_reads_it_and_goes_to_its_comment(app, client, thread):
    AuthActions(client).login("traloi@congdoan.vn")
    _post_comment(client, thread["proposal"], "Nên có cả nhà trẻ.")
    AuthActions(client).logout()
    AuthActions(client).login("tacgia@congdoan.vn")
    with app.app_context():
        notification = db.session.scalar(sa.select(Notification).where(Notification.user_id == thread["author"]))
        notification_id, comment_id = notification.id, notification.comment_id
    response = client.get(f"/notifications/{notification_id}")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/comments/{comment_id}")
    with app.app_context():
        assert db.session.get(Notification, notification_id).read_at is not None
    assert "nav-notifications-count" not in client.get("/").get_data(as_text=True)


def test_someone_elses_notification_is_not_found_and_stays_unread(app, client, thread):
    with app.app_context():
        proposal = db.session.get(Proposal, thread["proposal"])
        notification_id = inbox.notify(thread["author"], NotificationKind.ANSWERED, proposal=proposal).id
        db.session.commit()
    assert client.get(f"/notifications/{notification_id}").status_code == 302  # anonymous: to the login
    AuthActions(client).login("gopy@congdoan.vn")
    assert client.get(f"/notifications/{notification_id}").status_code == 404
    assert client.get("/notifications/99999999999999").status_code == 404
    with app.app_context():
        assert db.session.get(Notification, notification_id).read_at is None


def test_read_all_reads_only_ones_own(app, client, thread):
    with app.app_context():
        proposal = db.session.get(Proposal, thread["proposal"])
        inbox.notify(thread["author"], NotificationKind.ANSWERED, proposal=proposal)
        inbox.notify(thread["writer"], NotificationKind.ANSWERED, proposal=proposal)
        db.session.commit()
    AuthActions(client).login("tacgia@congdoan.vn")
    assert client.post("/notifications/read").status_code == 302
    with app.app_context():
        unread = db.session.scalars(sa.select(Notification.user_id).where(Notification.read_at.is_(None))).all()
    assert unread == [thread["writer"]]


def test_anonymous_visitors_have_no_notifications(client, thread):
    assert client.get("/notifications").status_code == 302
    assert client.post("/notifications/read").status_code == 302
    assert "nav-notifications" not in client.get("/").get_data(as_text=True)


def test_the_unread_count_costs_one_query(app, client, thread, count_queries):
    AuthActions(client).login("tacgia@congdoan.vn")
    client.get("/")
    with count_queries() as counter:
        client.get("/notifications")
    counts = [statement for statement in counter.statements if "FROM notifications" in statement]
    assert len(counts) == 3, counts  # the header's unread count, the page's total and its rows


def test_notifications_read_in_english(app, client, thread):
    with app.app_context():
        proposal = db.session.get(Proposal, thread["proposal"])
        inbox.notify(thread["author"], NotificationKind.HIDDEN, proposal=proposal, details={"reason": "Trùng lặp"})
        db.session.commit()
    AuthActions(client).login("tacgia@congdoan.vn")
    client.set_cookie("locale", "en")
    html = client.get("/notifications").get_data(as_text=True)
    assert "A moderator hid your proposal “Nhà trọ cho công nhân”." in html
    assert "Reason: Trùng lặp" in html


def test_mail_goes_out_through_the_outbox_unless_turned_off(app, client, thread, smtp_server, mailbox):
    from forum.notifications.cli import deliver_pending_mail

    AuthActions(client).login("traloi@congdoan.vn")
    _post_comment(client, thread["proposal"], "Nên có cả nhà trẻ.")
    with app.app_context():
        assert db.session.scalars(sa.select(OutgoingMail.recipient)).all() == ["tacgia@congdoan.vn"]
        deliver_pending_mail()
    mailbox.arrived.wait(5)
    [message] = mailbox.to("tacgia@congdoan.vn")
    assert "Phạm Thị Trả Lời đã góp ý kiến về hiến kế “Nhà trọ cho công nhân”" in message["Subject"]
    text = message.get_content()
    assert "/comments/" in text and "Kính gửi Trần Thị Tác Giả" in text
    # The writer turns mail off: the next reply notifies in the app only.
    AuthActions(client).logout()
    AuthActions(client).login("gopy@congdoan.vn")
    assert "Gửi thông báo qua email cho tôi" in client.get("/notifications").get_data(as_text=True)
    assert client.post("/notifications/settings", data={}).status_code == 302
    AuthActions(client).logout()
    AuthActions(client).login("traloi@congdoan.vn")
    _post_comment(client, thread["proposal"], "Đồng ý với đồng chí.", thread["comment"])
    with app.app_context():
        assert [kind for kind, *_ in _notifications(app, thread["writer"])] == ["reply"]
        pending = db.session.scalars(sa.select(OutgoingMail.recipient).where(OutgoingMail.status == "pending")).all()
        assert pending == ["tacgia@congdoan.vn"]  # the author still gets mail, the writer does not


def test_the_mail_setting_needs_a_login(client):
    assert client.post("/notifications/settings", data={"email_enabled": "y"}).status_code == 302
