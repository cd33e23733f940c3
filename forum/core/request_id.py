"""One id per request, for the audit log and for log lines (``g.request_id``).

The id is echoed in the ``X-Request-ID`` response header. Behind trusted reverse proxies
(``TRUSTED_PROXIES``) a well-formed ``X-Request-ID`` set by the proxy is kept, so one id
follows the request through the proxy's and the app's logs; otherwise (and when a client
could have forged it) a fresh uuid4 is used.
"""
import re
import uuid

from flask import Flask, current_app, g, has_request_context, request

HEADER = "X-Request-ID"
_WELL_FORMED = re.compile(r"[A-Za-z0-9._:-]{8,64}")


def _incoming_id() -> str | None:
    if not current_app.config.get("TRUSTED_PROXIES"):
        return None
    value = request.headers.get(HEADER, "")
    return value if _WELL_FORMED.fullmatch(value) else None


def current_request_id() -> str:
    """This request's id (made on first use); empty outside a request (CLI, workers)."""
    if not has_request_context():
        return ""
    if "request_id" not in g:
        g.request_id = _incoming_id() or uuid.uuid4().hex
    return g.request_id


def _assign_request_id() -> None:
    current_request_id()


def _echo_request_id(response):
    response.headers.setdefault(HEADER, current_request_id())
    return response


def init_app(app: Flask) -> None:
    app.before_request(_assign_request_id)
    app.after_request(_echo_request_id)
