"""Support and unsupport endpoints: who may, in which phase, on which proposal; the JSON
answer; idempotency; ``next`` handling; rate limiting."""
import pytest
import sqlalchemy as sa

from forum.auth.models import User
from forum.extensions import db
from forum.proposals.models import Proposal
from tests.votes.helpers import JSON, count_and_rows, supports_of

OTHER_ROLES = ["delegate", "moderator", "organizer", "admin"]
ACTIONS = ["support", "unsupport"]


def url_of(setting, action: str) -> str:
    return setting.support_url if action == "support" else setting.unsupport_url


def flashes(client) -> list[tuple[str, str]]:
    with client.session_transaction() as session:
        return list(session.get("_flashes", []))


# Who may ---------------------------------------------------------------------------------
@pytest.mark.parametrize("phase", ["open", "voting"])
@pytest.mark.parametrize("role", OTHER_ROLES)
def test_any_other_user_of_a_supporting_role_may_support_then_withdraw(setting, new_user, login_client, app, role,
                                                                       phase):
    s = setting(phase=phase, forum_settings={"supporting_roles": [role]})
    client = login_client(new_user(role=role))

    response = client.post(s.support_url, headers=JSON)
    assert response.status_code == 200
    assert response.get_json() == {"supported": True, "support_count": 1, "support_label": "ủng hộ"}
    assert count_and_rows(app, s.proposal_id) == (1, 1)

    response = client.post(s.unsupport_url, headers=JSON)
    assert response.status_code == 200
    assert response.get_json() == {"supported": False, "support_count": 0, "support_label": "ủng hộ"}
    assert count_and_rows(app, s.proposal_id) == (0, 0)


@pytest.mark.parametrize("role", ["moderator", "organizer", "admin"])
@pytest.mark.parametrize("action", ACTIONS)
def test_by_default_only_delegates_supports_count(setting, new_user, login_client, app, role, action):
    s = setting()
    client = login_client(new_user(role=role))
    response = client.post(url_of(s, action), headers=JSON)
    assert response.status_code == 403
    assert response.get_json()["message"] == "Trong diễn đàn này, chỉ đại biểu được ủng hộ hiến kế."
    assert count_and_rows(app, s.proposal_id) == (0, 0)


@pytest.mark.parametrize("phase", ["open", "voting"])
@pytest.mark.parametrize("action", ACTIONS)
def test_author_may_not_support_own_proposal(setting, login_client, app, phase, action):
    s = setting(phase=phase)
    client = login_client(s.author_email)
    response = client.post(url_of(s, action), headers=JSON)
    assert response.status_code == 403
    assert "chính mình" in response.get_json()["message"]
    assert response.get_json()["request_id"] == response.headers["X-Request-ID"]  # to quote it
    assert count_and_rows(app, s.proposal_id) == (0, 0)


def test_author_form_post_is_refused_with_a_flash(setting, login_client, app):
    s = setting()
    client = login_client(s.author_email)
    response = client.post(s.support_url, data={"next": "/"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert flashes(client) == [("error", "Bạn không thể ủng hộ hiến kế của chính mình.")]
    assert count_and_rows(app, s.proposal_id) == (0, 0)


@pytest.mark.parametrize("action", ACTIONS)
def test_anonymous_json_request_gets_401_with_the_login_url(setting, client, app, action):
    s = setting()
    response = client.post(url_of(s, action), headers=JSON, data={"next": f"/proposals/{s.proposal_id}"})
    assert response.status_code == 401
    body = response.get_json()
    assert body["message"] == "Vui lòng đăng nhập để ủng hộ hiến kế."
    assert body["login_url"].startswith("/login?next=")
    assert count_and_rows(app, s.proposal_id) == (0, 0)


@pytest.mark.parametrize("action", ACTIONS)
def test_anonymous_form_post_redirects_to_login_and_back(setting, client, app, action):
    s = setting()
    response = client.post(url_of(s, action), data={"next": f"/proposals/{s.proposal_id}"})
    assert response.status_code == 302
    assert response.headers["Location"] == f"/login?next=/proposals/{s.proposal_id}"
    assert count_and_rows(app, s.proposal_id) == (0, 0)


def test_anonymous_login_redirect_ignores_an_offsite_next(setting, client):
    s = setting()
    response = client.post(s.support_url, data={"next": "https://evil.example/"})
    assert response.headers["Location"] == "/login"


@pytest.mark.parametrize("action", ACTIONS)
def test_deactivated_user_is_refused(setting, new_user, login_client, app, action):
    s = setting()
    email = new_user(supporting=s.proposal_id if action == "unsupport" else None)
    client = login_client(email)
    with app.app_context():
        db.session.execute(sa.update(User).where(User.email == email).values(is_active_account=False))
        db.session.commit()
    before = count_and_rows(app, s.proposal_id)

    response = client.post(url_of(s, action), headers=JSON)
    assert response.status_code == 401
    response = client.post(url_of(s, action))
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    assert count_and_rows(app, s.proposal_id) == before


# Phases -----------------------------------------------------------------------------------
@pytest.mark.parametrize("role", ["delegate", "moderator"])
@pytest.mark.parametrize("action", ACTIONS)
def test_draft_forum_is_404_for_those_who_cannot_see_it(setting, new_user, login_client, app, role, action):
    s = setting(phase="draft")
    client = login_client(new_user(role=role))
    response = client.post(url_of(s, action), headers=JSON)
    assert response.status_code == 404
    assert response.get_json()["message"]
    assert client.post(url_of(s, action)).status_code == 404
    assert count_and_rows(app, s.proposal_id) == (0, 0)


@pytest.mark.parametrize("role", ["organizer", "admin"])
@pytest.mark.parametrize("action", ACTIONS)
def test_draft_forum_takes_no_supports_even_from_organizers(setting, new_user, login_client, app, role, action):
    s = setting(phase="draft", forum_settings={"supporting_roles": ["delegate", role]})
    client = login_client(new_user(role=role))
    response = client.post(url_of(s, action), headers=JSON)
    assert response.status_code == 409
    assert count_and_rows(app, s.proposal_id) == (0, 0)


def test_closed_forum_refuses_new_supports(setting, new_user, login_client, app):
    s = setting(phase="closed")
    client = login_client(new_user())
    response = client.post(s.support_url, headers=JSON)
    assert response.status_code == 409
    assert response.get_json()["message"] == "Diễn đàn hiện không nhận ủng hộ."
    assert count_and_rows(app, s.proposal_id) == (0, 0)


def test_closed_forum_keeps_supports_given_before(setting, new_user, login_client, app):
    s = setting(phase="voting")
    email = new_user(supporting=s.proposal_id)
    with app.app_context():
        db.session.get(Proposal, s.proposal_id).forum.phase = "closed"
        db.session.commit()
    client = login_client(email)
    response = client.post(s.unsupport_url, headers=JSON)
    assert response.status_code == 409
    assert response.get_json()["message"] == "Diễn đàn hiện không cho phép rút ủng hộ."
    assert count_and_rows(app, s.proposal_id) == (1, 1)
    # The form path explains it the same way and keeps the support.
    response = client.post(s.unsupport_url, data={"next": "/"})
    assert response.status_code == 302
    assert flashes(client) == [("error", "Diễn đàn hiện không cho phép rút ủng hộ.")]
    assert supports_of(app, s.proposal_id, email) == 1


# Proposal state ---------------------------------------------------------------------------
@pytest.mark.parametrize("action", ACTIONS)
def test_hidden_proposal_is_404_for_delegates(setting, new_user, login_client, app, action):
    s = setting(is_hidden=True)
    client = login_client(new_user())
    assert client.post(url_of(s, action), headers=JSON).status_code == 404
    assert count_and_rows(app, s.proposal_id) == (0, 0)


@pytest.mark.parametrize("action", ACTIONS)
def test_hidden_proposal_takes_no_supports_from_moderators_who_see_it(setting, new_user, login_client, app, action):
    s = setting(is_hidden=True, forum_settings={"supporting_roles": ["delegate", "moderator"]})
    client = login_client(new_user(role="moderator"))
    response = client.post(url_of(s, action), headers=JSON)
    assert response.status_code == 409
    assert count_and_rows(app, s.proposal_id) == (0, 0)


@pytest.mark.parametrize("action", ACTIONS)
def test_withdrawn_proposal_is_refused(setting, new_user, login_client, app, action):
    s = setting()
    email = new_user(supporting=s.proposal_id)
    with app.app_context():
        db.session.get(Proposal, s.proposal_id).status = "withdrawn"
        db.session.commit()
    client = login_client(email if action == "unsupport" else new_user())
    response = client.post(url_of(s, action), headers=JSON)
    assert response.status_code == 409
    assert "đã được rút hoặc tạm ẩn" in response.get_json()["message"]
    assert count_and_rows(app, s.proposal_id) == (1, 1)


@pytest.mark.parametrize("action", ACTIONS)
def test_unknown_proposal_is_404(login_client, new_user, action):
    client = login_client(new_user())
    assert client.post(f"/proposals/999999/{action}", headers=JSON).status_code == 404


def test_get_is_not_allowed(setting, new_user, login_client):
    s = setting()
    client = login_client(new_user())
    assert client.get(s.support_url).status_code == 405


# Idempotency and the JSON answer ----------------------------------------------------------
def test_double_submit_keeps_one_support(setting, new_user, login_client, app):
    s = setting()
    client = login_client(new_user())
    first = client.post(s.support_url, headers=JSON)
    second = client.post(s.support_url, headers=JSON)
    assert first.get_json() == second.get_json() == {"supported": True, "support_count": 1, "support_label": "ủng hộ"}
    assert count_and_rows(app, s.proposal_id) == (1, 1)


def test_unsupport_twice_never_goes_negative(setting, new_user, login_client, app):
    s = setting()
    other = login_client(new_user())
    other.post(s.support_url, headers=JSON)
    client = login_client(new_user())
    client.post(s.support_url, headers=JSON)
    assert count_and_rows(app, s.proposal_id) == (2, 2)

    for _ in range(2):
        response = client.post(s.unsupport_url, headers=JSON)
        assert response.get_json() == {"supported": False, "support_count": 1, "support_label": "ủng hộ"}
    # Someone who never supported withdraws: nothing changes.
    stranger = login_client(new_user())
    assert stranger.post(s.unsupport_url, headers=JSON).get_json() == {"supported": False, "support_count": 1, "support_label": "ủng hộ"}
    assert count_and_rows(app, s.proposal_id) == (1, 1)

    other.post(s.unsupport_url, headers=JSON)
    other.post(s.unsupport_url, headers=JSON)
    assert count_and_rows(app, s.proposal_id) == (0, 0)


def test_json_answer_counts_everyone(setting, new_user, login_client, app):
    s = setting()
    for _ in range(3):
        new_user(supporting=s.proposal_id)
    client = login_client(new_user())
    response = client.post(s.support_url, headers=JSON)
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert body == {"supported": True, "support_count": 4, "support_label": "ủng hộ"}
    assert isinstance(body["supported"], bool) and isinstance(body["support_count"], int)
    assert count_and_rows(app, s.proposal_id) == (4, 4)


def test_support_does_not_count_as_an_edit(setting, new_user, login_client, app):
    s = setting()
    with app.app_context():
        before = db.session.get(Proposal, s.proposal_id).updated_at
    login_client(new_user()).post(s.support_url, headers=JSON)
    with app.app_context():
        assert db.session.get(Proposal, s.proposal_id).updated_at == before


# Form posts: flash and redirect -----------------------------------------------------------
def test_form_post_flashes_and_goes_back_to_next(setting, new_user, login_client, app):
    s = setting()
    client = login_client(new_user())
    next_url = "/forums/dien-dan-1?sort=top&page=2"
    response = client.post(s.support_url, data={"next": next_url})
    assert response.status_code == 302
    assert response.headers["Location"] == next_url
    assert flashes(client) == [("success", "Cảm ơn bạn đã ủng hộ hiến kế này.")]

    client.get("/")  # consume the flash
    client.post(s.support_url, data={"next": next_url})
    assert flashes(client) == [("info", "Bạn đã ủng hộ hiến kế này rồi.")]
    client.get("/")

    client.post(s.unsupport_url, data={"next": next_url})
    assert flashes(client) == [("success", "Bạn đã rút ủng hộ hiến kế này.")]
    client.get("/")

    client.post(s.unsupport_url, data={"next": next_url})
    assert flashes(client) == [("info", "Bạn chưa ủng hộ hiến kế này.")]
    assert count_and_rows(app, s.proposal_id) == (0, 0)


@pytest.mark.parametrize("next_url", ["https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)", ""])
def test_form_post_never_redirects_off_site(setting, new_user, login_client, next_url):
    s = setting()
    client = login_client(new_user())
    response = client.post(s.support_url, data={"next": next_url})
    assert response.status_code == 302
    assert response.headers["Location"] == f"/proposals/{s.proposal_id}"


# Rate limit -------------------------------------------------------------------------------
@pytest.mark.parametrize("app_overrides", [{"RATELIMIT_ENABLED": True}])
def test_support_clicks_are_rate_limited_per_user(setting, new_user, login_client, app):
    s = setting()
    client = login_client(new_user())
    for index in range(60):
        url = s.support_url if index % 2 == 0 else s.unsupport_url
        assert client.post(url, headers=JSON).status_code == 200
    response = client.post(s.support_url, headers=JSON)
    assert response.status_code == 429
    assert response.get_json()["message"]
    # Another delegate (same address, as in one office) is not held back.
    assert login_client(new_user()).post(s.support_url, headers=JSON).status_code == 200
    assert count_and_rows(app, s.proposal_id) == (1, 1)


# The label after the count (issue 10, item 7) ---------------------------------------------
@pytest.mark.parametrize("locale, one, many", [("vi", "ủng hộ", "ủng hộ"), ("en", "support", "supports")])
def test_the_json_answer_carries_the_label_in_the_plural_form_of_its_count(setting, new_user, login_client, locale,
                                                                            one, many):
    """support.js shows ``support_label`` as it is: "1 support", "2 supports", "0 supports"."""
    s = setting()
    first, second = login_client(new_user()), login_client(new_user())
    for client in (first, second):
        client.set_cookie("locale", locale)
    assert first.post(s.support_url, headers=JSON).get_json()["support_label"] == one
    answer = second.post(s.support_url, headers=JSON).get_json()
    assert (answer["support_count"], answer["support_label"]) == (2, many)
    answer = second.post(s.unsupport_url, headers=JSON).get_json()
    assert (answer["support_count"], answer["support_label"]) == (1, one)
    answer = first.post(s.unsupport_url, headers=JSON).get_json()
    assert (answer["support_count"], answer["support_label"]) == (0, many)
    # The page marks the label for the script to replace.
    page = first.get(f"/proposals/{s.proposal_id}").get_data(as_text=True)
    assert f'data-support-label>{many}</span>' in page
