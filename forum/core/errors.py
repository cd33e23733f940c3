"""Domain errors and the HTTP error pages.

Services raise ``PermissionDenied`` or ``InvalidAction``; views turn them into a
flash message, a form error or a 409. A ``PermissionDenied`` that no view catches is a
403 page (or JSON) with its message. Every error path rolls the session back, so a
failed request never commits half of its work. Error pages and JSON errors show the
request id, so a delegate can quote it to the organizers.

A database that cannot answer (down, restarting, its SQLite write lock held too long)
is a 503 with ``Retry-After``, never a 500: the page is rendered without touching the
database (no user is loaded; the header leaves the account links out), and a form that
was being sent comes back with what the user typed, ready to be sent again. Each outage
is one log line when it begins and one when it ends (forum.core.outages), not a
traceback per request.

Every 403 answered to a logged-in user, whoever produced it (``abort(403)``, an
uncaught ``PermissionDenied``, a view's own refusal page), is a security event in the
audit log (``security.forbidden``), written after the request's work is rolled back,
in a transaction of its own (``forum.core.audit.record_refusal``).
"""
import logging

import sqlalchemy as sa
from flask import Flask, current_app, g, render_template, request
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import HTTPException

from forum.core import outages
from forum.core.audit import record_refusal
from forum.core.database import is_lock_timeout
from forum.core.permissions import is_active_user
from forum.core.request_id import current_request_id
from forum.extensions import db

log = logging.getLogger(__name__)


class DomainError(Exception):
    """Base class for rule violations raised by services (message is user-facing)."""


class PermissionDenied(DomainError):
    """The actor may not do this (role, ownership, phase or state)."""


class InvalidAction(DomainError):
    """The action is not possible in the current state (e.g. already withdrawn)."""


# The database could not answer: connections refused, dropped or timed out, a server
# restarting, the SQLite write lock held too long, a deadlock or a cancelled statement.
DATABASE_UNAVAILABLE = (sa.exc.OperationalError, sa.exc.TimeoutError, sa.exc.DisconnectionError)
BUSY_RETRY_AFTER_SECONDS = 5
DOWN_RETRY_AFTER_SECONDS = 10
# PostgreSQL's codes for "no connection": connection exceptions (class 08), a server that
# shuts down, crashed or is still starting; a connection that failed has none.
_CONNECTION_SQLSTATES = ("08", "57P01", "57P02", "57P03")
# SQLite's messages for a file it cannot use (the rest, "no such table" and the like, are
# faults of the code or the deployment: 500).
_SQLITE_UNUSABLE = ("unable to open", "disk i/o", "disk is full", "readonly database", "malformed")
DOWN, LOCKED, BUSY = "down", "locked", "busy"


def wants_json() -> bool:
    """The client prefers JSON to HTML (scripts send ``Accept: application/json``)."""
    accepted = request.accept_mimetypes
    return accepted.best_match(["application/json", "text/html"]) == "application/json" and (
        accepted["application/json"] > accepted["text/html"]
    )


def answer_errors_under(app: Flask, prefix: str, render) -> None:
    """Errors of requests whose path starts with ``prefix`` are answered by
    ``render(status, title, message, error)`` (the API's JSON errors), whatever they
    accept; the session is rolled back first, as for every error."""
    app.extensions.setdefault("error_renderers", {})[prefix] = render


def _renderer_for_request():
    for prefix, render in current_app.extensions.get("error_renderers", {}).items():
        if request.path.startswith(prefix):
            return render
    return None


def _error_page(status: int, title: str, message: str, error: Exception | None = None, *,
                database_down: bool = False, resubmit: "Resubmission | None" = None):
    """The error answer: the API's renderer, JSON, or the HTML page. ``database_down``: the
    page must not touch the database (no user is loaded, the header leaves the account
    out); a page that fails to render because the database fails is rendered so too."""
    try:
        db.session.rollback()
    except SQLAlchemyError:  # the connection is gone: the session is reset anyway
        database_down = True
    render = _renderer_for_request()
    if render is not None:
        return render(status, title, message, error)
    request_id = current_request_id()
    if wants_json():
        return {"error": title, "message": message, "request_id": request_id}, status
    context = {"status": status, "title": title, "message": message, "request_id": request_id, "resubmit": resubmit}
    if not database_down:
        try:
            return render_template("errors/error.html", **context), status
        except SQLAlchemyError:
            db.session.rollback()
    _forget_user()
    return render_template("errors/error.html", **context), status


def _forget_user() -> None:
    """Render as if nobody were logged in, without loading anyone, and tell base.html to
    leave the account links out (they would be wrong for a logged-in user)."""
    from forum.extensions import login_manager

    g._login_user = login_manager.anonymous_user()
    g.account_unknown = True


class Resubmission:
    """What the user was sending when the request failed, to send again from the error
    page: every field but passwords and files. Texts written by hand (several lines, or
    several words and some length) are shown, editable; the rest (a title, an id, the
    CSRF token) travels hidden."""

    SHOWN_FROM_LENGTH = 40

    def __init__(self, action: str, fields: list[tuple[str, str]]):
        self.action = action
        self.hidden = [(name, value) for name, value in fields if not self._shown(value)]
        self.shown = [(name, value) for name, value in fields if self._shown(value)]

    @classmethod
    def _shown(cls, value: str) -> bool:
        return "\n" in value or (" " in value.strip() and len(value) >= cls.SHOWN_FROM_LENGTH)

    @classmethod
    def of_request(cls) -> "Resubmission | None":
        if request.method != "POST" or request.mimetype not in ("application/x-www-form-urlencoded", "multipart/form-data"):
            return None
        fields = [(name, value) for name, value in request.form.items(multi=True) if "password" not in name.lower()]
        if not fields:
            return None
        return cls(request.full_path.rstrip("?"), fields)


def audit_refusal(response):
    """After any 403 to a logged-in user: roll back what the request did, then record the
    refusal and commit it alone. Anonymous visitors are sent to the login page rather
    than refused, and a refusal they do get has no user to name: not recorded. A
    database failure here never turns the 403 into a 500."""
    if response.status_code != 403:
        return response
    try:
        db.session.rollback()
        if not is_active_user(current_user):
            return response
        if record_refusal(current_user, method=request.method, path=request.path, endpoint=request.endpoint or ""):
            db.session.commit()
    except DATABASE_UNAVAILABLE as error:  # the outage has its own line: no traceback
        db.session.rollback()
        log.warning("could not record a refusal in the audit log: %s", outages.describe(error))
    except SQLAlchemyError:
        db.session.rollback()
        log.exception("could not record a refusal in the audit log")
    return response


def handle_http_error(error: HTTPException):
    messages = {
        400: (_("Yêu cầu không hợp lệ"), _("Dữ liệu gửi lên không đúng định dạng. Vui lòng thử lại.")),
        403: (_("Không có quyền truy cập"), _("Bạn không có quyền thực hiện thao tác này.")),
        404: (_("Không tìm thấy trang"), _("Trang bạn tìm không tồn tại hoặc đã bị ẩn.")),
        405: (_("Thao tác không được hỗ trợ"), _("Phương thức yêu cầu không được hỗ trợ ở địa chỉ này.")),
        409: (_("Không thể thực hiện"), _("Thao tác không phù hợp với trạng thái hiện tại.")),
        413: (_("Nội dung quá lớn"), _("Dữ liệu gửi lên vượt quá giới hạn cho phép.")),
        422: (_("Dữ liệu không hợp lệ"), _("Dữ liệu gửi lên chưa hợp lệ. Vui lòng kiểm tra và thử lại.")),
        429: (_("Quá nhiều yêu cầu"), _("Bạn thao tác quá nhanh. Vui lòng đợi một chút rồi thử lại.")),
    }
    # Werkzeug's own name and description are English only: rarer codes get a generic text.
    fallback = (_("Không thể thực hiện"), _("Không thể xử lý yêu cầu này. Vui lòng thử lại sau."))
    title, message = messages.get(error.code or 500, fallback)
    return _error_page(error.code or 500, title, message, error)


def handle_csrf_error(error: CSRFError):
    return _error_page(
        400,
        _("Phiên làm việc đã hết hạn"),
        _("Biểu mẫu đã hết hạn hoặc không hợp lệ. Vui lòng tải lại trang và gửi lại."),
    )


def handle_permission_denied(error: PermissionDenied):
    """A refusal no view explained in its own way: 403, saying why."""
    return _error_page(403, _("Không có quyền truy cập"), str(error), error)


def classify_database_error(error: Exception) -> str | None:
    """``DOWN`` (no usable database), ``LOCKED`` (SQLite's write lock stayed taken),
    ``BUSY`` (this request met a deadlock, a cancelled statement, too many connections),
    or None: not the database's availability but a fault to fix (500)."""
    if isinstance(error, (sa.exc.TimeoutError, sa.exc.DisconnectionError)):
        return DOWN
    if getattr(error, "connection_invalidated", False):
        return DOWN
    original = getattr(error, "orig", None)
    if type(original).__module__ == "sqlite3":
        if is_lock_timeout(error):
            return LOCKED
        text = str(original).lower()
        return DOWN if any(part in text for part in _SQLITE_UNUSABLE) else None
    sqlstate = getattr(original, "sqlstate", None)
    return DOWN if sqlstate is None or sqlstate.startswith(_CONNECTION_SQLSTATES) else BUSY


def handle_database_unavailable(error: Exception):
    """503 with Retry-After, rendered without the database; one log line per outage."""
    kind = classify_database_error(error)
    if kind is None:
        current_app.log_exception((type(error), error, error.__traceback__))
        return handle_server_error(error)
    if kind == DOWN:
        outages.begin(outages.DATABASE, error,
                      meanwhile="requests that need it answer 503 with Retry-After until it is back")
        title = _("Hệ thống tạm thời gián đoạn")
        message = _("Hệ thống đang khởi động lại hoặc tạm thời mất kết nối cơ sở dữ liệu. "
                    "Vui lòng thử lại sau ít phút.")
        retry_after = DOWN_RETRY_AFTER_SECONDS
    else:
        if kind == LOCKED:
            wait = current_app.config.get("DATABASE_BUSY_WAIT_SECONDS", 3.0)
            outages.begin(outages.DATABASE_LOCK, error,
                          meanwhile=f"requests that write answer 503 after waiting {wait:g} s; pages still read")
        else:  # this request only
            log.warning("database busy: %s; answered 503", outages.describe(error))
        title = _("Hệ thống đang bận")
        message = _("Hệ thống đang bận, vui lòng thử lại sau giây lát.")
        retry_after = BUSY_RETRY_AFTER_SECONDS
    resubmit = None if wants_json() else Resubmission.of_request()
    if resubmit is not None:
        message = " ".join((message, _("Nội dung bạn vừa gửi vẫn còn dưới đây: bấm “Gửi lại” khi hệ thống sẵn sàng.")))
    answer = _error_page(503, title, message, error, database_down=True, resubmit=resubmit)
    response = current_app.make_response(answer)
    response.headers["Retry-After"] = str(retry_after)
    return response


def handle_server_error(error: Exception):
    return _error_page(
        500, _("Lỗi hệ thống"), _("Đã có lỗi xảy ra. Chúng tôi đã ghi nhận; vui lòng thử lại sau."), error
    )


def init_app(app: Flask) -> None:
    app.register_error_handler(CSRFError, handle_csrf_error)
    app.register_error_handler(PermissionDenied, handle_permission_denied)
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(500, handle_server_error)
    for error_class in DATABASE_UNAVAILABLE:
        app.register_error_handler(error_class, handle_database_unavailable)
    app.after_request(audit_refusal)
    app.add_template_global(current_request_id, "current_request_id")
