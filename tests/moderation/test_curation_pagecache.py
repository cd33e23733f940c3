"""The anonymous page cache (forum/core/pagecache.py, on as in production) never shows a
home, forum or proposal page from before a moderator's action."""
import pytest

from tests.moderation.helpers import ORGANIZER, build_world


@pytest.fixture
def app_overrides():
    return {"PAGE_CACHE": "on"}


def test_curation_reaches_cached_pages_at_once(app, client, auth):
    world = build_world(app)
    visitor = app.test_client()
    assert "Tiêu điểm" not in visitor.get("/").get_data(as_text=True)
    assert "Được ghim" not in visitor.get("/forums/dien-dan-1").get_data(as_text=True)
    assert "Trả lời chính thức" not in visitor.get(f"/proposals/{world.proposal}").get_data(as_text=True)
    assert visitor.get("/").get_data(as_text=True) == visitor.get("/").get_data(as_text=True)  # served from the cache
    auth.login(world.emails[ORGANIZER])
    for path, data in (
        ("feature", {"value": "1"}),
        ("pin", {"value": "1"}),
        ("answer", {"answer-status": "accepted", "answer-body": "Diễn đàn tiếp thu.", "answer-action": "publish"}),
        ("title", {"title-title": "Nghiệp đoàn cho tài xế công nghệ"}),
    ):
        assert client.post(f"/moderation/proposals/{world.proposal}/{path}", data=data).status_code == 302
    home = visitor.get("/").get_data(as_text=True)
    assert "Tiêu điểm" in home and "Nghiệp đoàn cho tài xế công nghệ" in home
    assert "Được ghim" in visitor.get("/forums/dien-dan-1").get_data(as_text=True)
    page = visitor.get(f"/proposals/{world.proposal}").get_data(as_text=True)
    assert "Trả lời chính thức" in page and "Tiêu đề đã được điều hành viên chỉnh sửa" in page
