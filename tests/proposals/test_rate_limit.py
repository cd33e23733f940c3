"""Posting is rate limited per user (delegates at one venue share an IP address)."""
import pytest

from forum.proposals.views import POSTING_LIMIT
from tests.helpers import AuthActions


@pytest.fixture
def app_overrides():
    return {"RATELIMIT_ENABLED": True}


def test_commenting_is_limited_per_user_not_per_address(app, world):
    setting = world(phase="open")
    allowed = int(POSTING_LIMIT.split("/")[0])
    first, second = app.test_client(), app.test_client()
    AuthActions(first).login(setting.emails["delegate"])
    AuthActions(second).login(setting.emails["moderator"])
    url = f"{setting.proposal_url}/comments"
    for n in range(allowed):
        assert first.post(url, data={"body": f"Ý kiến {n}"}).status_code == 302
    refused = first.post(url, data={"body": "Một ý kiến nữa"})
    assert refused.status_code == 429
    assert "Quá nhiều yêu cầu" in refused.get_data(as_text=True)
    # Same address, another user: not affected.
    assert second.post(url, data={"body": "Ý kiến của người khác"}).status_code == 302


def test_reading_is_not_limited(app, client, world):
    setting = world(phase="open")
    allowed = int(POSTING_LIMIT.split("/")[0])
    for _ in range(allowed + 2):
        assert client.get(setting.proposal_url).status_code == 200
