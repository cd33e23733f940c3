"""``flask mail ...``: deliver the mail outbox.

- ``deliver``: turn pending password-reset requests into coded mails, then send what is
  due (once, or with ``--watch`` until SIGTERM/Ctrl+C: the production worker);
- ``status``: how many mails are pending, sent and failed;
- ``test ADDRESS``: queue a test mail, to check the MAIL_* settings.
"""
import logging
import signal
import threading

import click
from flask import current_app
from flask.cli import AppGroup
from flask_babel import gettext as _

from forum.auth.activation.services import process_reset_requests
from forum.extensions import db
from forum.notifications import services as mail

logger = logging.getLogger(__name__)

mail_cli = AppGroup("mail", help="Thư đi: gửi thư trong hàng đợi (deliver), xem hàng đợi (status), thư thử (test).")


def _require_configuration() -> None:
    if not mail.mail_configured():
        raise click.ClickException(
            _("Chưa cấu hình gửi thư: cần đặt MAIL_SERVER, MAIL_DEFAULT_SENDER và SITE_URL.")
        )


def _run_once(batch_size: int) -> mail.DeliveryReport:
    issued = process_reset_requests(limit=batch_size)
    for code in issued:
        mail.queue_code_mail(code, requested_by_user=True)
    db.session.commit()
    return deliver_pending_mail(batch_size=batch_size)


def deliver_pending_mail(*, batch_size: int | None = None, now=None) -> mail.DeliveryReport:
    """Send the mails that are due: claim them and commit, send, record the outcomes and
    commit (no transaction stays open while the SMTP server answers)."""
    claimed = mail.claim_due_mail(batch_size=batch_size, now=now)
    db.session.commit()
    report = mail.record_mail_outcomes(claimed, mail.send_claimed_mail(claimed))
    db.session.commit()
    return report


def _echo_report(report: mail.DeliveryReport) -> None:
    if report.attempted:
        click.echo(_("Đã gửi %(sent)s thư; %(retrying)s thư sẽ gửi lại sau; %(failed)s thư không gửi được.",
                     sent=report.sent, retrying=report.retrying, failed=report.failed))
    for error in report.errors:
        click.echo(f"  {error}", err=True)


@mail_cli.command("deliver")
@click.option("--watch", is_flag=True, help="Chạy liên tục cho tới khi nhận SIGTERM hoặc Ctrl+C.")
@click.option("--batch-size", default=None, type=click.IntRange(1, 1000),
              help="Số thư mỗi lần kết nối (mặc định MAIL_BATCH_SIZE).")
@click.option("--poll", "poll_seconds", default=None, type=click.FloatRange(0.01),
              help="Số giây giữa hai lần kiểm tra (mặc định MAIL_WORKER_POLL_SECONDS).")
def deliver_command(watch: bool, batch_size: int | None, poll_seconds: float | None):
    """Gửi các thư đang chờ (kể cả mã đặt lại mật khẩu đại biểu vừa yêu cầu)."""
    _require_configuration()
    batch_size = batch_size or current_app.config["MAIL_BATCH_SIZE"]
    if not watch:
        total = mail.DeliveryReport()
        while True:  # everything due now, batch after batch
            report = _run_once(batch_size)
            total.sent += report.sent
            total.retrying += report.retrying
            total.failed += report.failed
            total.errors += report.errors
            if report.attempted < batch_size:
                break
        _echo_report(total)
        if not total.attempted:
            click.echo(_("Không có thư nào cần gửi."))
        return
    poll = poll_seconds or current_app.config["MAIL_WORKER_POLL_SECONDS"]
    stop = threading.Event()

    def request_stop(_signum, _frame):
        stop.set()

    previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    click.echo(_("Tiến trình gửi thư đã chạy (%(poll)s giây/lần).", poll=poll))
    try:
        while not stop.is_set():
            try:
                report = _run_once(batch_size)
            except Exception:  # the database may be away for a moment: never die for it
                db.session.rollback()
                logger.exception("mail worker: delivery failed; retrying")
                stop.wait(min(60.0, poll * 4))
                continue
            _echo_report(report)
            if report.attempted < batch_size:
                stop.wait(poll)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    click.echo(_("Tiến trình gửi thư đã dừng."))


@mail_cli.command("status")
def status_command():
    """Số thư đang chờ, đã gửi, không gửi được."""
    counts = mail.count_mail_by_status()
    click.echo(_("Đang chờ: %(pending)s; đã gửi: %(sent)s; không gửi được: %(failed)s.",
                 pending=counts.get("pending", 0), sent=counts.get("sent", 0), failed=counts.get("failed", 0)))


@mail_cli.command("test")
@click.argument("address")
def test_command(address: str):
    """Xếp một thư thử tới ADDRESS (gửi bằng «flask mail deliver»)."""
    _require_configuration()
    mail.queue_test_mail(address)
    db.session.commit()
    click.echo(_("Đã xếp thư thử tới %(address)s; chạy «flask mail deliver» để gửi.", address=address))
