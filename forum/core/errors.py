"""Domain errors and the HTTP error pages.

Services raise ``PermissionDenied`` or ``InvalidAction``; views turn them into a
flash message, a form error or a 409. A ``PermissionDenied`` that no view catches is a
403 page (or JSON) with its message. Every error path rolls the session back, so a
failed request never commits half of its work. Error pages and JSON errors show the
request id, so a delegate can quote it to the organizers.

Every 403 answered to a logged-in user, whoever produced it (``abort(403)``, an
uncaught ``PermissionDenied``, a view's own refusal page), is a security event in the
audit log (``security.forbidden``), written after the request's work is rolled back,
in a transaction of its own (``forum.core.audit.record_refusal``).
"""
import logging

from flask import Flask, current_app, render_template, request
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import HTTPException

from forum.core.audit import record_refusal
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


def _error_page(status: int, title: str, message: str, error: Exception | None = None):
    db.session.rollback()
    render = _renderer_for_request()
    if render is not None:
        return render(status, title, message, error)
    request_id = current_request_id()
    if wants_json():
        return {"error": title, "message": message, "request_id": request_id}, status
    page = render_template("errors/error.html", status=status, title=title, message=message, request_id=request_id)
    return page, status


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


def handle_server_error(error: Exception):
    return _error_page(
        500, _("Lỗi hệ thống"), _("Đã có lỗi xảy ra. Chúng tôi đã ghi nhận; vui lòng thử lại sau."), error
    )


def init_app(app: Flask) -> None:
    app.register_error_handler(CSRFError, handle_csrf_error)
    app.register_error_handler(PermissionDenied, handle_permission_denied)
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(500, handle_server_error)
    app.after_request(audit_refusal)
    app.add_template_global(current_request_id, "current_request_id")
