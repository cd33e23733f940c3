"""The mail outbox against a real SMTP server (aiosmtpd on a local port): queued in the
action's transaction, delivered after it by ``deliver_pending_mail`` / ``flask mail
deliver``, retried with backoff, and the mails that carry activation and reset codes."""
import os
import re
import signal
import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa

from forum.auth.activation.models import PasswordResetRequest
from forum.core.audit import AuditEntry
from forum.core.database import utcnow
from forum.extensions import db
from forum.notifications import services as mail
from forum.notifications.cli import deliver_pending_mail
from forum.notifications.models import OutgoingMail
from tests.auth.helpers import is_logged_in, new_unactivated_user, new_user
from tests.factories import make_user
from tests.notifications.helpers import REFUSED_PREFIX, SENDER, SITE_URL, free_port, text_of

CODE_IN_TEXT = re.compile(r"\b([0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4})\b")


def outbox(app) -> list[OutgoingMail]:
    with app.app_context():
        rows = db.session.scalars(sa.select(OutgoingMail).order_by(OutgoingMail.id)).all()
        db.session.expunge_all()
        return rows


def queue(app, *recipients, subject="Thư mời dự Diễn đàn số 1", text="Kính gửi đồng chí, xin mời dự họp."):
    with app.app_context():
        for recipient in recipients:
            mail.queue_mail(recipient, subject, text)
        db.session.commit()


def deliver(app, **options) -> mail.DeliveryReport:
    with app.app_context():
        return deliver_pending_mail(**options)


# The outbox --------------------------------------------------------------------------------
def test_a_queued_mail_arrives_with_its_vietnamese_intact(app, mailbox):
    with app.app_context():
        mail.queue_mail("nguyen.van.a@congdoan.vn", "Mã kích hoạt tài khoản Hiến kế",
                        "Kính gửi Nguyễn Văn Ánh,\nĐoàn viên công đoàn: đã sẵn sàng.",
                        html="<p>Kính gửi <strong>Nguyễn Văn Ánh</strong></p>")
        db.session.commit()
    report = deliver(app)
    assert (report.sent, report.retrying, report.failed) == (1, 0, 0)
    [(recipients, message)] = mailbox.messages
    assert recipients == ["nguyen.van.a@congdoan.vn"]
    assert message["Subject"] == "Mã kích hoạt tài khoản Hiến kế"
    assert message["To"] == "nguyen.van.a@congdoan.vn"
    assert message["From"].addresses[0].display_name == "Ban tổ chức Hiến kế"
    assert message["Message-ID"] and message["Date"]
    assert text_of(message) == "Kính gửi Nguyễn Văn Ánh,\nĐoàn viên công đoàn: đã sẵn sàng.\n"
    assert "<strong>Nguyễn Văn Ánh</strong>" in message.get_body(preferencelist=("html",)).get_content()
    [row] = outbox(app)
    assert (row.status, row.attempts, row.last_error) == ("sent", 1, "")
    assert row.sent_at is not None


def test_a_rolled_back_action_sends_nothing(app, mailbox):
    with app.app_context():
        mail.queue_mail("a@congdoan.vn", "Thư", "Nội dung")
        db.session.rollback()
    assert deliver(app).attempted == 0
    assert outbox(app) == [] and mailbox.messages == []


def test_mail_waits_while_mail_is_not_configured(app, mailbox):
    queue(app, "a@congdoan.vn")
    app.config["MAIL_SERVER"] = ""
    assert deliver(app).attempted == 0
    assert outbox(app)[0].status == "pending" and mailbox.messages == []


def test_a_batch_sends_at_most_its_size(app, mailbox):
    queue(app, *(f"daibieu{n}@congdoan.vn" for n in range(5)))
    assert deliver(app, batch_size=3).sent == 3
    assert deliver(app, batch_size=3).sent == 2
    assert len(mailbox.messages) == 5
    assert deliver(app).attempted == 0


def test_an_unreachable_server_leaves_mail_pending_and_retries_later(app, mailbox):
    queue(app, "a@congdoan.vn")
    app.config["MAIL_PORT"] = free_port()  # nobody listens there: connection refused
    now = utcnow()
    report = deliver(app, now=now)
    assert (report.sent, report.retrying, report.failed) == (0, 1, 0)
    [row] = outbox(app)
    assert (row.status, row.attempts) == ("pending", 1)
    assert "ConnectionRefused" in row.last_error
    assert deliver(app, now=now + timedelta(seconds=59)).attempted == 0  # not due before its retry time
    assert deliver(app, now=now + timedelta(minutes=1)).retrying == 1
    assert outbox(app)[0].attempts == 2
    assert mail.retry_delay(2) == timedelta(minutes=2) and mail.retry_delay(30) == timedelta(hours=6)


def test_mail_is_given_up_after_its_last_attempt(app, mailbox):
    queue(app, "a@congdoan.vn")
    app.config.update(MAIL_PORT=free_port(), MAIL_MAX_ATTEMPTS=2)
    now = utcnow()
    deliver(app, now=now)
    assert deliver(app, now=now + timedelta(hours=1)).failed == 1
    assert outbox(app)[0].status == "failed"
    assert deliver(app, now=now + timedelta(days=1)).attempted == 0


def test_a_refused_recipient_fails_at_once_and_the_others_still_go(app, mailbox):
    queue(app, f"{REFUSED_PREFIX}@congdoan.vn", "b@congdoan.vn")
    report = deliver(app)
    assert (report.sent, report.failed) == (1, 1)
    refused, accepted = outbox(app)
    assert refused.status == "failed" and "550" in refused.last_error
    assert accepted.status == "sent"
    assert [recipients for recipients, _message in mailbox.messages] == [["b@congdoan.vn"]]


# The CLI -----------------------------------------------------------------------------------
def test_flask_mail_deliver_sends_everything_due(app, runner, mailbox):
    queue(app, *(f"daibieu{n}@congdoan.vn" for n in range(3)))
    result = runner.invoke(args=["mail", "deliver", "--batch-size", "2"])
    assert result.exit_code == 0, result.output
    assert "Đã gửi 3 thư" in result.output
    assert len(mailbox.messages) == 3
    status = runner.invoke(args=["mail", "status"])
    assert "Đang chờ: 0; đã gửi: 3; không gửi được: 0." in status.output


def test_flask_mail_deliver_refuses_without_configuration(app, runner):
    app.config["SITE_URL"] = ""
    result = runner.invoke(args=["mail", "deliver"])
    assert result.exit_code != 0 and "SITE_URL" in result.output


def test_flask_mail_test_queues_a_test_mail(app, runner, mailbox):
    assert runner.invoke(args=["mail", "test", "it@congdoan.vn"]).exit_code == 0
    runner.invoke(args=["mail", "deliver"])
    [message] = mailbox.to("it@congdoan.vn")
    assert message["Subject"] == "Thư thử từ Hiến kế"


def test_the_watching_worker_delivers_and_stops_cleanly_on_sigterm(app, runner, mailbox):
    queue(app, "a@congdoan.vn")

    def stop_when_delivered():
        mailbox.arrived.wait(timeout=30)
        os.kill(os.getpid(), signal.SIGTERM)

    killer = threading.Thread(target=stop_when_delivered)
    killer.start()
    previous = signal.getsignal(signal.SIGTERM)
    result = runner.invoke(args=["mail", "deliver", "--watch", "--poll", "0.05"])
    killer.join()
    assert result.exit_code == 0, result.output
    assert "Tiến trình gửi thư đã dừng." in result.output
    assert len(mailbox.messages) == 1
    assert signal.getsignal(signal.SIGTERM) is previous


# Codes by mail -------------------------------------------------------------------------------
def login(client, email):
    assert client.post("/login", data={"email": email, "password": "mat-khau-thu-nghiem"}).status_code == 302


def code_in(message) -> str:
    match = CODE_IN_TEXT.search(text_of(message))
    assert match, text_of(message)
    return match.group(1)


def test_organizers_send_a_delegation_its_codes_by_mail(app, client, mailbox, runner):
    with app.app_context():
        organizer = make_user(role="organizer").email
    people = [new_unactivated_user(app, full_name=name) for name in ("Trần Văn Hùng", "Đặng Thị Lan")]
    with app.app_context():
        from forum.auth.models import User

        for person in people:
            db.session.get(User, person.id).delegation = "Đoàn Cần Thơ"
        db.session.commit()
    login(client, organizer)
    page = client.get("/organizer/activation/new", query_string={"delegation": "Đoàn Cần Thơ"}).get_data(as_text=True)
    assert "Tạo mã và gửi qua email" in page
    response = client.post("/organizer/activation/mail", data={"scope": "delegation", "delegation": "Đoàn Cần Thơ"})
    assert response.status_code == 302
    assert len(outbox(app)) == 2 and mailbox.messages == []  # queued, not sent by the request
    runner.invoke(args=["mail", "deliver"])
    [message] = mailbox.to(people[1].email)
    assert message["Subject"] == "Mã kích hoạt tài khoản Hiến kế của bạn"
    text = text_of(message)
    assert "Kính gửi Đặng Thị Lan," in text
    code = code_in(message)
    assert f"{SITE_URL}/activate/{code}" in text
    delegate = app.test_client()
    assert delegate.post(f"/activate/{code}", data={"code": code, "new_password": "mat-khau-cua-lan",
                                                    "confirm_password": "mat-khau-cua-lan"}).status_code == 302
    assert is_logged_in(delegate)


def test_a_code_for_one_person_by_mail(app, client, mailbox, runner):
    with app.app_context():
        organizer = make_user(role="organizer").email
    person = new_user(app)
    login(client, organizer)
    response = client.post(f"/organizer/activation/people/{person.id}/code",
                           data={"by_mail": "y", "next": "/organizer/activation"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/organizer/activation")
    runner.invoke(args=["mail", "deliver"])
    [message] = mailbox.to(person.email)
    assert message["Subject"] == "Mã đặt lại mật khẩu Hiến kế của bạn"


# Forgotten passwords -------------------------------------------------------------------------
def ask_for_reset(client, email):
    return client.post("/password/forgot", data={"email": email})


def test_the_login_page_offers_a_reset_by_mail(client):
    html = client.get("/login").get_data(as_text=True)
    assert 'href="/password/forgot"' in html and "Quên mật khẩu?" in html
    assert client.get("/password/forgot").status_code == 200


def test_the_answer_is_the_same_whether_the_email_has_an_account_or_not(app, client, mailbox):
    user = new_user(app)
    known = ask_for_reset(client, user.email)
    unknown = ask_for_reset(client, "khong.ai.dung@congdoan.vn")
    assert known.status_code == unknown.status_code == 200
    strip = lambda response, email: response.get_data(as_text=True).replace(email, "EMAIL")  # noqa: E731
    assert strip(known, user.email) == strip(unknown, "khong.ai.dung@congdoan.vn")
    with app.app_context():  # the same single row each, nothing else: no lookup in the request
        assert db.session.scalar(sa.select(sa.func.count()).select_from(PasswordResetRequest)) == 2
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)) == 0
    assert outbox(app) == []


def test_the_worker_mails_a_reset_code_to_existing_accounts_only(app, client, mailbox, runner):
    user = new_user(app)
    locked = new_user(app, is_active=False)
    elsewhere = app.test_client()
    login(elsewhere, user.email)
    for email in (user.email, user.email.upper(), "khong.ai.dung@congdoan.vn", locked.email):
        ask_for_reset(client, email)
    result = runner.invoke(args=["mail", "deliver"])
    assert result.exit_code == 0, result.output
    assert [recipients for recipients, _message in mailbox.messages] == [[user.email]]  # one, however many asks
    [message] = mailbox.messages[0][1:]
    assert message["Subject"] == "Mã đặt lại mật khẩu Hiến kế của bạn"
    assert "vừa yêu cầu đặt lại mật khẩu" in text_of(message)
    code = code_in(message)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(PasswordResetRequest)) == 0
        from forum.auth.activation.models import ActivationCode

        record = db.session.scalar(sa.select(ActivationCode))
        lifetime = record.expires_at - record.created_at
        assert lifetime == timedelta(minutes=app.config["PASSWORD_RESET_TTL_MINUTES"])
    assert client.post("/activate", data={"code": code, "new_password": "mat-khau-moi-sau-khi-quen",
                                          "confirm_password": "mat-khau-moi-sau-khi-quen"}).status_code == 302
    assert is_logged_in(client) and not is_logged_in(elsewhere)


def test_a_bad_email_keeps_what_was_typed(client):
    response = client.post("/password/forgot", data={"email": ""})
    assert response.status_code == 422
    assert "Vui lòng nhập email." in response.get_data(as_text=True)


class TestResetRequestLimits:
    @pytest.fixture
    def app_overrides(self, smtp_server):
        from tests.notifications.helpers import mail_settings

        return mail_settings(smtp_server[0].port) | {"RATELIMIT_ENABLED": True}

    def test_one_address_is_asked_about_a_few_times_an_hour(self, app, client):
        from forum.auth.activation.views import RESET_REQUEST_LIMIT_PER_EMAIL

        allowed = int(RESET_REQUEST_LIMIT_PER_EMAIL.split("/")[0])
        for n in range(allowed):
            assert client.post("/password/forgot", data={"email": "a@congdoan.vn"},
                               environ_base={"REMOTE_ADDR": f"10.0.0.{n}"}).status_code == 200
        assert client.post("/password/forgot", data={"email": "A@congdoan.vn"},
                           environ_base={"REMOTE_ADDR": "10.0.9.9"}).status_code == 429
        assert client.post("/password/forgot", data={"email": "b@congdoan.vn"},
                           environ_base={"REMOTE_ADDR": "10.0.9.9"}).status_code == 200


def test_mail_and_reset_requests_leave_the_page_cache_alone(app, client, runner, mailbox):
    """No public page shows codes, requests or mails: writing them keeps cached pages."""
    from forum.core.pagecache import ContentVersion

    def version():
        with app.app_context():
            return db.session.scalar(sa.select(ContentVersion.version))

    user = new_user(app)
    before = version()
    ask_for_reset(client, user.email)
    runner.invoke(args=["mail", "deliver"])
    assert len(mailbox.messages) == 1
    assert version() == before
