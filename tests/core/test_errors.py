"""``PermissionDenied`` that no view catches is handled app-wide: a 403 that says why
(HTML or JSON), with the request's changes rolled back."""
import pytest
import sqlalchemy as sa

from forum.core.errors import PermissionDenied
from forum.extensions import db
from forum.forums.models import Forum
from tests.factories import make_forum

REASON = "Chỉ Ban tổ chức mới được làm việc này."


@pytest.fixture
def refusing_app(app):
    """The app with one route that changes a row, then is refused."""

    def refuse():
        db.session.get(Forum, 1).title = "Không được lưu"
        db.session.flush()
        raise PermissionDenied(REASON)

    app.add_url_rule("/test-refusal", "test_refusal", refuse, methods=["POST"])
    with app.app_context():
        make_forum(number=1, title="Tên cũ")
    return app


def test_a_refusal_is_a_403_page_that_says_why(refusing_app):
    response = refusing_app.test_client().post("/test-refusal")
    assert response.status_code == 403
    page = response.get_data(as_text=True)
    assert "Không có quyền truy cập" in page and REASON in page
    with refusing_app.app_context():
        assert db.session.scalar(sa.select(Forum.title)) == "Tên cũ"


def test_a_refusal_answers_json_to_scripts(refusing_app):
    response = refusing_app.test_client().post("/test-refusal", headers={"Accept": "application/json"})
    assert response.status_code == 403
    assert response.get_json() == {
        "error": "Không có quyền truy cập",
        "message": REASON,
        "request_id": response.headers["X-Request-ID"],
    }
