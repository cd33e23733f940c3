"""Every state-changing POST is refused without a valid CSRF token (and works with one)."""
import re

import pytest

from forum.proposals.models import ProposalStatus
from tests.factories import DEFAULT_PASSWORD
from tests.proposals.helpers import build_world, comment_count, get_comment, get_proposal, proposal_count


def _token(client, url: str) -> str:
    page = client.get(url).get_data(as_text=True)
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    assert match, f"no CSRF token on {url}"
    return match.group(1)


@pytest.fixture
def setting(csrf_app):
    return build_world(csrf_app, "open")


@pytest.fixture
def author_client(csrf_app, setting):
    client = csrf_app.test_client()
    response = client.post(
        "/login",
        data={"email": setting.emails["author"], "password": DEFAULT_PASSWORD, "csrf_token": _token(client, "/login")},
    )
    assert response.status_code == 302
    return client


def _requests(setting):
    """(url of the page holding the form, url posted to, form data) for each POST."""
    theme = setting.theme_ids[0]
    return {
        "create": (setting.new_url, setting.new_url, {"title": "Hiến kế có CSRF", "body": "Nội dung.", "theme_id": theme}),
        "edit": (f"{setting.proposal_url}/edit", f"{setting.proposal_url}/edit",
                 {"title": "Sửa có CSRF", "body": "Nội dung.", "theme_id": theme}),
        "add_comment": (setting.proposal_url, f"{setting.proposal_url}/comments", {"body": "Ý kiến có CSRF."}),
        "edit_comment": (f"/comments/{setting.comment_id}/edit", f"/comments/{setting.comment_id}/edit",
                         {"body": "Ý kiến sửa có CSRF."}),
        "withdraw": (f"{setting.proposal_url}/withdraw", f"{setting.proposal_url}/withdraw", {"reason": ""}),
    }


def _state(app, setting):
    proposal = get_proposal(app, setting.proposal_id)
    return (
        proposal_count(app),
        proposal.title,
        proposal.status,
        comment_count(app, setting.proposal_id),
        get_comment(app, setting.comment_id).body,
    )


@pytest.mark.parametrize("action", ["create", "edit", "add_comment", "edit_comment", "withdraw"])
@pytest.mark.parametrize("token", ["missing", "forged"])
def test_posts_without_a_valid_token_are_refused(csrf_app, author_client, setting, action, token):
    _page, url, data = _requests(setting)[action]
    before = _state(csrf_app, setting)
    if token == "forged":
        data = {**data, "csrf_token": "IjAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAi.Zz.bad"}
    response = author_client.post(url, data=data)
    assert response.status_code == 400
    assert "Phiên làm việc đã hết hạn" in response.get_data(as_text=True)
    assert _state(csrf_app, setting) == before


@pytest.mark.parametrize("action", ["create", "edit", "add_comment", "edit_comment", "withdraw"])
def test_posts_with_the_token_from_the_page_work(csrf_app, author_client, setting, action):
    page, url, data = _requests(setting)[action]
    before = _state(csrf_app, setting)
    response = author_client.post(url, data={**data, "csrf_token": _token(author_client, page)})
    assert response.status_code == 302
    assert _state(csrf_app, setting) != before
    if action == "withdraw":
        assert get_proposal(csrf_app, setting.proposal_id).status == ProposalStatus.WITHDRAWN
