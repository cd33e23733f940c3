"""With EDIT_WINDOW_MINUTES=0 the window has closed by the time the author comes back."""
import pytest

from tests.proposals.helpers import get_comment, get_proposal


@pytest.fixture
def app_overrides():
    return {"EDIT_WINDOW_MINUTES": 0}


def test_proposal_edit_is_refused_after_the_window(app, client, world, login_as):
    setting = world(phase="open")
    login_as(setting, "author")
    page = client.get(setting.proposal_url).get_data(as_text=True)
    assert f"{setting.proposal_url}/edit" not in page
    assert f"{setting.proposal_url}/withdraw" in page  # withdrawing has no window

    response = client.post(
        f"{setting.proposal_url}/edit",
        data={"title": "Sửa khi đã hết hạn", "body": "Nội dung.", "theme_id": setting.theme_ids[0]},
    )
    assert response.status_code == 403
    assert "Đã hết thời hạn sửa hiến kế (0 phút sau khi gửi)." in response.get_data(as_text=True)
    assert get_proposal(app, setting.proposal_id).edited_at is None


def test_comment_edit_is_refused_after_the_window(app, client, world, login_as):
    setting = world(phase="open")
    login_as(setting, "author")
    response = client.post(f"/comments/{setting.comment_id}/edit", data={"body": "Quá hạn."})
    assert response.status_code == 403
    assert "Đã hết thời hạn sửa ý kiến" in response.get_data(as_text=True)
    assert get_comment(app, setting.comment_id).edited_at is None
