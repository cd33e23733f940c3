"""CSRF: both the plain form post and the script's JSON post need the session's token."""
import re

import pytest

from forum.extensions import db
from forum.proposals.models import Proposal
from tests.factories import DEFAULT_PASSWORD, make_forum, make_proposal, make_user
from tests.votes.helpers import JSON, count_and_rows

CSRF_INPUT = re.compile(r'<input[^>]*name="csrf_token"[^>]*value="([^"]+)"')


def token_from(client, path: str) -> str:
    match = CSRF_INPUT.search(client.get(path).get_data(as_text=True))
    assert match, f"no CSRF token on {path}"
    return match.group(1)


@pytest.fixture
def scene(csrf_app):
    """A proposal in an open forum and a client logged in (with its token) as another delegate."""
    with csrf_app.app_context():
        forum = make_forum(phase="open")
        proposal = make_proposal(forum, make_user())
        email, proposal_id = make_user().email, proposal.id
    client = csrf_app.test_client()
    response = client.post(
        "/login", data={"email": email, "password": DEFAULT_PASSWORD, "csrf_token": token_from(client, "/login")}
    )
    assert response.status_code == 302
    return client, proposal_id, token_from(client, "/")  # the logout form carries the token


@pytest.mark.parametrize("action", ["support", "unsupport"])
def test_form_post_without_token_is_refused(scene, csrf_app, action):
    client, proposal_id, _ = scene
    response = client.post(f"/proposals/{proposal_id}/{action}", data={"next": "/"})
    assert response.status_code == 400
    assert "Phiên làm việc đã hết hạn" in response.get_data(as_text=True)
    assert count_and_rows(csrf_app, proposal_id) == (0, 0)


@pytest.mark.parametrize("action", ["support", "unsupport"])
@pytest.mark.parametrize("header", [None, "not-the-token"])
def test_json_post_without_a_valid_token_is_refused(scene, csrf_app, action, header):
    client, proposal_id, _ = scene
    headers = dict(JSON, **({"X-CSRFToken": header} if header else {}))
    response = client.post(f"/proposals/{proposal_id}/{action}", headers=headers)
    assert response.status_code == 400
    assert response.get_json()["message"].startswith("Biểu mẫu đã hết hạn")
    assert count_and_rows(csrf_app, proposal_id) == (0, 0)


def test_token_from_another_session_is_refused(scene, csrf_app):
    client, proposal_id, _ = scene
    stranger_token = token_from(csrf_app.test_client(), "/login")
    response = client.post(f"/proposals/{proposal_id}/support", headers=dict(JSON, **{"X-CSRFToken": stranger_token}))
    assert response.status_code == 400
    assert count_and_rows(csrf_app, proposal_id) == (0, 0)


def test_form_post_with_token_field_works(scene, csrf_app):
    client, proposal_id, token = scene
    response = client.post(f"/proposals/{proposal_id}/support", data={"csrf_token": token, "next": "/"})
    assert response.status_code == 302
    assert count_and_rows(csrf_app, proposal_id) == (1, 1)


def test_json_post_with_header_token_works(scene, csrf_app):
    client, proposal_id, token = scene
    headers = dict(JSON, **{"X-CSRFToken": token})
    response = client.post(f"/proposals/{proposal_id}/support", headers=headers)
    assert response.status_code == 200
    assert response.get_json() == {"supported": True, "support_count": 1, "support_label": "ủng hộ"}
    response = client.post(f"/proposals/{proposal_id}/unsupport", headers=headers)
    assert response.get_json() == {"supported": False, "support_count": 0, "support_label": "ủng hộ"}
    assert count_and_rows(csrf_app, proposal_id) == (0, 0)


def test_logged_out_session_token_no_longer_works(scene, csrf_app):
    client, proposal_id, token = scene
    client.post("/logout", data={"csrf_token": token})
    response = client.post(f"/proposals/{proposal_id}/support", headers=dict(JSON, **{"X-CSRFToken": token}))
    assert response.status_code == 400  # logout replaced the session's CSRF token
    with csrf_app.app_context():
        assert db.session.get(Proposal, proposal_id).support_count == 0
