"""Permission refusals are security events (``security.forbidden``), written after the
refused request's work is rolled back; error pages show the request id."""
import pytest
import sqlalchemy as sa
from flask import abort

from forum.auth.models import User
from forum.core.audit import FORBIDDEN, REFUSALS_PER_WINDOW, AuditEntry
from forum.core.errors import PermissionDenied
from forum.extensions import db
from forum.forums.models import Forum
from tests.factories import make_forum, make_user
from tests.helpers import AuthActions


@pytest.fixture
def refusing_app(app):
    """Two routes that change a row, then refuse (an exception; abort(403)), and one that
    fails with a 404."""

    def refuse():
        db.session.get(Forum, 1).title = "Không được lưu"
        db.session.flush()
        raise PermissionDenied("Không được.")

    def abort_403():
        db.session.get(Forum, 1).title = "Không được lưu"
        abort(403)

    app.add_url_rule("/test-refusal", "test_refusal", refuse, methods=["GET", "POST"])
    app.add_url_rule("/test-abort", "test_abort", abort_403, methods=["GET", "POST"])
    with app.app_context():
        make_forum(number=1, title="Tên cũ")
        make_user(email="daibieu@congdoan.vn")
    return app


def _refusals():
    return db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == FORBIDDEN).order_by(AuditEntry.id)).all()


@pytest.mark.parametrize("path", ["/test-refusal", "/test-abort"])
def test_a_refusal_is_recorded_and_the_request_work_is_not(refusing_app, path):
    client = refusing_app.test_client()
    assert AuthActions(client).login("daibieu@congdoan.vn").status_code == 302
    response = client.post(path + "?token=bi-mat")
    assert response.status_code == 403
    with refusing_app.app_context():
        assert db.session.scalar(sa.select(Forum.title)) == "Tên cũ"
        (entry,) = _refusals()
        user = db.session.scalar(sa.select(User))
        assert (entry.actor_id, entry.actor_role, entry.target_type, entry.target_id) == (user.id, "delegate", "", None)
        assert entry.reason == f"POST {path}"  # never the query string
        assert entry.after["path"] == path and entry.after["method"] == "POST"
        assert entry.request_id == response.headers["X-Request-ID"]


def test_anonymous_refusals_are_not_recorded(refusing_app):
    assert refusing_app.test_client().post("/test-refusal").status_code == 403
    with refusing_app.app_context():
        assert _refusals() == []


def test_repeated_refusals_are_recorded_once_per_path_and_capped_per_user(refusing_app):
    client = refusing_app.test_client()
    AuthActions(client).login("daibieu@congdoan.vn")
    for _ in range(3):
        client.get("/test-refusal")
    client.post("/test-refusal")
    with refusing_app.app_context():
        assert [e.reason for e in _refusals()] == ["GET /test-refusal", "POST /test-refusal"]
    for n in range(REFUSALS_PER_WINDOW + 5):
        client.get(f"/organizer/?n={n}")  # same path: once
    with refusing_app.app_context():
        assert len(_refusals()) == 3
        for n in range(REFUSALS_PER_WINDOW * 2):
            from forum.core.audit import record_refusal

            user = db.session.scalar(sa.select(User))
            record_refusal(user, method="GET", path=f"/x/{n}")
            db.session.flush()
        assert len(_refusals()) == REFUSALS_PER_WINDOW


def test_a_refusal_by_a_view_page_is_recorded_too(app, client):
    """A view's own refusal page (not an exception) is a 403 all the same: an organizer
    page refused to a delegate."""
    with app.app_context():
        make_user(email="daibieu@congdoan.vn")
    AuthActions(client).login("daibieu@congdoan.vn")
    assert client.get("/organizer/").status_code == 403
    with app.app_context():
        assert [e.reason for e in _refusals()] == ["GET /organizer/"]


def test_error_pages_show_the_request_id(refusing_app):
    client = refusing_app.test_client()
    for response in (client.get("/khong-co-trang-nay"), client.post("/test-refusal")):
        html = response.get_data(as_text=True)
        assert f"Mã yêu cầu: <code>{response.headers['X-Request-ID']}</code>" in html
    response = client.get("/khong-co-trang-nay", headers={"Accept": "application/json"})
    assert response.get_json()["request_id"] == response.headers["X-Request-ID"]
