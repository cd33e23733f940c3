"""Outgoing mail: ``queue_mail`` writes it to the outbox (never commits: the mail exists
only if the action's transaction commits), ``deliver_pending_mail`` sends what is due.

Delivery is at least once: a mail is marked sent after the SMTP server accepted it, so a
worker killed between the two sends it again on its next attempt.
"""
import logging
import smtplib
import ssl
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr

import sqlalchemy as sa
from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import gettext as _

from forum.auth.activation.services import IssuedCode
from forum.core.database import utcnow
from forum.extensions import db
from forum.notifications.models import MailStatus, OutgoingMail

logger = logging.getLogger(__name__)

FIRST_RETRY = timedelta(minutes=1)  # then 2, 4, 8 ... minutes
LONGEST_RETRY = timedelta(hours=6)
MAIL_LOCALE = "vi"  # accounts have no language of their own yet: mail is in Vietnamese


def mail_configured(config=None) -> bool:
    """Mail is on when a server, a sender and the site's address (for links) are set."""
    config = config if config is not None else current_app.config
    return bool(config.get("MAIL_SERVER") and config.get("MAIL_DEFAULT_SENDER") and config.get("SITE_URL"))


def init_app(app) -> None:
    app.jinja_env.globals["mail_enabled"] = lambda: mail_configured(app.config)


# Queueing ---------------------------------------------------------------------------------
def queue_mail(recipient: str, subject: str, text: str, *, html: str | None = None,
               now: datetime | None = None) -> OutgoingMail:
    """Add a mail to the outbox, due at once; sent only after the transaction commits."""
    now = now or utcnow()
    mail = OutgoingMail(
        recipient=recipient.strip(), subject=subject[: OutgoingMail.SUBJECT_MAX_LENGTH], body_text=text,
        body_html=html, status=MailStatus.PENDING.value, attempts=0, created_at=now, next_attempt_at=now,
    )
    db.session.add(mail)
    return mail


def activation_link(code: str) -> str:
    return f"{current_app.config['SITE_URL']}/activate/{code}"


def queue_code_mail(issued: IssuedCode, *, requested_by_user: bool = False) -> OutgoingMail:
    """The mail that carries an activation or reset code (in Vietnamese) to its account."""
    context = {
        "user": issued.user,
        "code": issued.code,
        "purpose": issued.purpose,
        "expires_at": issued.expires_at,
        "link": activation_link(issued.code),
        "site_url": current_app.config["SITE_URL"],
        "requested_by_user": requested_by_user,
    }
    with force_locale(MAIL_LOCALE):
        if issued.purpose == "activation":
            subject = _("Mã kích hoạt tài khoản Hiến kế của bạn")
        else:
            subject = _("Mã đặt lại mật khẩu Hiến kế của bạn")
        text = render_template("notifications/mail/code.txt", **context)
        html = render_template("notifications/mail/code.html", **context)
    return queue_mail(issued.user.email, subject, text, html=html)


def count_mail_by_status() -> dict[str, int]:
    rows = db.session.execute(sa.select(OutgoingMail.status, sa.func.count()).group_by(OutgoingMail.status))
    return {status: count for status, count in rows}


# Delivering -------------------------------------------------------------------------------
@dataclass
class DeliveryReport:
    sent: int = 0
    retrying: int = 0  # failed this time, tried again later
    failed: int = 0  # given up
    errors: list[str] = field(default_factory=list)

    @property
    def attempted(self) -> int:
        return self.sent + self.retrying + self.failed


@dataclass(frozen=True)
class _Claimed:
    id: int
    attempts: int
    message: EmailMessage


def retry_delay(attempts: int) -> timedelta:
    """How long after its ``attempts``-th failed attempt a mail is tried again."""
    return min(FIRST_RETRY * 2 ** max(attempts - 1, 0), LONGEST_RETRY)


def build_message(mail: OutgoingMail, config) -> EmailMessage:
    sender = config["MAIL_DEFAULT_SENDER"]
    message = EmailMessage()
    message["Subject"] = mail.subject
    message["From"] = sender
    message["To"] = mail.recipient
    message["Date"] = formatdate(localtime=False)
    domain = parseaddr(sender)[1].rpartition("@")[2] or None
    message["Message-ID"] = make_msgid(idstring=f"mail{mail.id}", domain=domain)
    message.set_content(mail.body_text, charset="utf-8")
    if mail.body_html:
        message.add_alternative(mail.body_html, subtype="html", charset="utf-8")
    return message


def _claim_due_mail(batch_size: int, now: datetime, config) -> list[_Claimed]:
    """Take up to ``batch_size`` due mails: each gets its attempt counted and its next
    attempt moved ahead before it is sent, so another worker leaves it alone meanwhile
    and a worker killed while sending leaves it to be tried again later."""
    rows = db.session.scalars(
        sa.select(OutgoingMail)
        .where(OutgoingMail.status == MailStatus.PENDING.value, OutgoingMail.next_attempt_at <= now)
        .order_by(OutgoingMail.next_attempt_at, OutgoingMail.id)
        .limit(batch_size)
        .with_for_update(skip_locked=True)
    ).all()
    claimed = []
    for mail in rows:
        mail.attempts += 1
        mail.next_attempt_at = now + retry_delay(mail.attempts)
        claimed.append(_Claimed(mail.id, mail.attempts, build_message(mail, config)))
    return claimed


def _connect(config) -> smtplib.SMTP:
    host, port, timeout = config["MAIL_SERVER"], config["MAIL_PORT"], config["MAIL_TIMEOUT_SECONDS"]
    if config.get("MAIL_USE_SSL"):
        connection = smtplib.SMTP_SSL(host, port, timeout=timeout, context=ssl.create_default_context())
    else:
        connection = smtplib.SMTP(host, port, timeout=timeout)
        if config.get("MAIL_USE_TLS"):
            connection.starttls(context=ssl.create_default_context())
    if config.get("MAIL_USERNAME"):
        connection.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD", ""))
    return connection


def _send_all(claimed: list[_Claimed], config) -> dict[int, Exception | None]:
    """Send over one connection; the outcome of each mail (None: accepted)."""
    outcomes: dict[int, Exception | None] = {}
    try:
        connection = _connect(config)
    except (OSError, smtplib.SMTPException) as error:
        return {item.id: error for item in claimed}
    try:
        for item in claimed:
            try:
                connection.send_message(item.message)
                outcomes[item.id] = None
            except smtplib.SMTPServerDisconnected as error:
                outcomes.update({other.id: error for other in claimed if other.id not in outcomes})
                break
            except (OSError, smtplib.SMTPException) as error:
                outcomes[item.id] = error
    finally:
        try:
            connection.quit()
        except (OSError, smtplib.SMTPException):
            connection.close()
    return outcomes


def _is_permanent(error: Exception) -> bool:
    """The server refused this mail for good (5xx): trying again would not help."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _message in error.recipients.values())
    return isinstance(error, smtplib.SMTPResponseException) and error.smtp_code >= 500 and not isinstance(
        error, smtplib.SMTPServerDisconnected
    )


def claim_due_mail(*, batch_size: int | None = None, now: datetime | None = None) -> list[_Claimed]:
    """Claim the mails that are due, up to ``batch_size`` (none when mail is not
    configured). The caller commits before sending, so that no transaction stays open
    while the SMTP server answers (on SQLite it would hold the write lock)."""
    config = current_app.config
    if not mail_configured(config):
        return []
    return _claim_due_mail(batch_size or config["MAIL_BATCH_SIZE"], now or utcnow(), config)


def send_claimed_mail(claimed: list[_Claimed]) -> dict[int, Exception | None]:
    """Send the claimed mails over one SMTP connection; no database work."""
    return _send_all(claimed, current_app.config) if claimed else {}


def record_mail_outcomes(claimed: list[_Claimed], outcomes: dict[int, Exception | None]) -> DeliveryReport:
    """Mark each claimed mail sent, to retry or failed; never commits."""
    report = DeliveryReport()
    if not claimed:
        return report
    max_attempts = current_app.config["MAIL_MAX_ATTEMPTS"]
    mails = {mail.id: mail for mail in db.session.scalars(
        sa.select(OutgoingMail).where(OutgoingMail.id.in_([item.id for item in claimed]))
    )}
    finished = utcnow()
    for item in claimed:
        mail, error = mails.get(item.id), outcomes.get(item.id)
        if mail is None:
            continue
        if error is None:
            mail.status, mail.sent_at, mail.last_error = MailStatus.SENT.value, finished, ""
            report.sent += 1
            continue
        mail.last_error = f"{type(error).__name__}: {error}"[: OutgoingMail.ERROR_MAX_LENGTH]
        report.errors.append(f"{mail.recipient}: {mail.last_error}")
        if _is_permanent(error) or item.attempts >= max_attempts:
            mail.status = MailStatus.FAILED.value
            report.failed += 1
        else:
            report.retrying += 1
        logger.warning("mail %s to %s: attempt %s failed: %s", mail.id, mail.recipient, item.attempts, error)
    return report


def queue_test_mail(recipient: str) -> OutgoingMail:
    """A short mail to check the MAIL_* settings (``flask mail test``)."""
    with force_locale(MAIL_LOCALE):
        subject = _("Thư thử từ Hiến kế")
        text = _("Thư này xác nhận máy chủ gửi thư của %(site)s đã được cấu hình đúng.",
                 site=current_app.config["SITE_URL"])
    return queue_mail(recipient, subject, text)
