"""Activation codes: their shape, hashing, single use, expiry, replacement, and the
/activate pages that turn a code into a password and a session."""
from datetime import timedelta

import pytest
import sqlalchemy as sa

from forum.auth.activation import services as codes
from forum.auth.activation.models import ActivationCode
from forum.auth.activation.views import WRONG_CODE_LIMIT_PER_ADDRESS
from forum.auth.models import User
from forum.core.audit import AuditEntry
from forum.core.database import utcnow
from forum.core.errors import InvalidAction, PermissionDenied
from forum.extensions import db
from tests.auth.helpers import is_logged_in, issue_code_for, new_unactivated_user, new_user
from tests.factories import make_user

NEW_PASSWORD = "mat-khau-moi-cua-toi"
WRONG_CODE_MESSAGE = "Mã kích hoạt không đúng hoặc không còn hiệu lực"


def redeem(client, code, password=NEW_PASSWORD, confirm=None, url="/activate"):
    return client.post(url, data={"code": code, "new_password": password,
                                  "confirm_password": confirm or password})


# The code itself ---------------------------------------------------------------------------
def test_codes_are_twelve_characters_of_an_unambiguous_alphabet_in_groups(app):
    generated = {codes.generate_code() for _ in range(200)}
    assert len(generated) == 200
    for code in generated:
        assert len(code) == 12 and set(code) <= set(codes.CODE_ALPHABET)
        assert not set(code) & set("ILOU")
    assert len(codes.CODE_ALPHABET) ** codes.CODE_LENGTH >= 2**60
    assert codes.format_code("K7QM4HXT9CRP") == "K7QM-4HXT-9CRP"


@pytest.mark.parametrize("typed", ["K7QM-4HXT-9CRP", "k7qm 4hxt 9crp", " K7QM4HXT9CRP ", "k7qm–4hxt–9crp"])
def test_typing_is_forgiving_about_case_spaces_and_dashes(typed):
    assert codes.normalize_code(typed) == "K7QM4HXT9CRP"


def test_letters_outside_the_alphabet_read_as_the_digits_they_look_like():
    assert codes.normalize_code("O0IL-AAAA-BBBB") == "0011AAAABBBB"


@pytest.mark.parametrize("typed", ["", None, "K7QM-4HXT", "K7QM-4HXT-9CRP-1", "K7QM-4HXT-9CR!", "K7QM-4HXT-9CRU"])
def test_what_cannot_be_a_code_is_refused_before_any_lookup(typed):
    assert codes.normalize_code(typed) is None


def test_the_clear_code_is_nowhere_in_the_database(app):
    user = new_unactivated_user(app)
    code = issue_code_for(app, user.id)
    raw = code.replace("-", "")
    with app.app_context():
        stored = []
        for table in db.metadata.sorted_tables:
            for row in db.session.execute(sa.select(table)):
                stored += [str(value) for value in row]
        assert stored  # the scan read rows
        assert not [value for value in stored if raw in value or code in value or raw.lower() in value]
        record = db.session.scalar(sa.select(ActivationCode))
        assert record.code_hash == codes.hash_code(raw)


def test_a_different_secret_key_gives_a_different_hash(app):
    with app.app_context():
        first = codes.hash_code("K7QM4HXT9CRP")
        app.config["SECRET_KEY"] = "another-secret-key-for-this-test"
        assert codes.hash_code("K7QM4HXT9CRP") != first


# Issuing ---------------------------------------------------------------------------------
def test_issuing_replaces_the_unused_codes_of_the_same_person_only(app, client):
    user, other = new_unactivated_user(app), new_unactivated_user(app)
    first = issue_code_for(app, user.id)
    others = issue_code_for(app, other.id)
    second = issue_code_for(app, user.id)
    assert redeem(client, first).status_code == 422
    assert redeem(app.test_client(), others).status_code == 302
    assert redeem(app.test_client(), second).status_code == 302
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ActivationCode)) == 2


def test_purpose_and_expiry_follow_the_account_and_the_configuration(app):
    unactivated, activated = new_unactivated_user(app), new_user(app)
    app.config["ACTIVATION_CODE_TTL_HOURS"] = 48
    with app.app_context():
        now = utcnow()
        issued = codes.issue_codes(
            [codes.get_account(unactivated.id), codes.get_account(activated.id)], actor=None, now=now
        )
        assert [item.purpose for item in issued] == ["activation", "reset"]
        assert {item.expires_at for item in issued} == {now + timedelta(hours=48)}


def test_organizers_issue_codes_for_delegates_and_moderators_only(app):
    with app.app_context():
        organizer = make_user(role="organizer")
        admin = make_user(role="admin")
        for role in ("delegate", "moderator"):
            assert codes.issue_code(make_user(role=role), actor=organizer).code
        for role in ("organizer", "admin"):
            target = make_user(role=role)
            with pytest.raises(PermissionDenied):
                codes.issue_code(target, actor=organizer)
            assert codes.issue_code(target, actor=admin).code
        for role in ("delegate", "moderator"):
            with pytest.raises(PermissionDenied):
                codes.issue_code(make_user(), actor=make_user(role=role))


def test_a_locked_account_gets_no_code(app):
    with app.app_context():
        locked = make_user(is_active=False)
        with pytest.raises(InvalidAction):
            codes.issue_code(locked, actor=None)
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ActivationCode)) == 0


def test_issuing_writes_an_audit_entry_per_person(app):
    user = new_unactivated_user(app)
    with app.app_context():
        organizer = make_user(role="organizer")
        codes.issue_code(codes.get_account(user.id), actor=organizer)
        db.session.commit()
        entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "auth.code_issued"))
        assert (entry.actor_id, entry.target_type, entry.target_id) == (organizer.id, "users", user.id)
        assert entry.after["purpose"] == "activation"


# Redeeming ---------------------------------------------------------------------------------
def test_the_link_shows_whose_account_it_activates(app, client):
    user = new_unactivated_user(app, full_name="Trần Thị Hồng Nhung")
    code = issue_code_for(app, user.id)
    response = client.get(f"/activate/{code}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Trần Thị Hồng Nhung" in html and user.email in html and f'value="{code}"' in html
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Referrer-Policy"] == "no-referrer"


def test_activating_sets_the_password_and_logs_in(app, client):
    user = new_unactivated_user(app)
    code = issue_code_for(app, user.id)
    response = redeem(client, code.lower(), url=f"/activate/{code}")
    assert response.status_code == 302
    assert is_logged_in(client)
    client.post("/logout")
    assert client.post("/login", data={"email": user.email, "password": NEW_PASSWORD}).status_code == 302
    with app.app_context():
        record = db.session.scalar(sa.select(ActivationCode))
        assert record.used_at is not None
        entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "auth.activated"))
        assert (entry.actor_id, entry.target_id) == (user.id, user.id)


def test_a_code_works_once(app, client):
    user = new_unactivated_user(app)
    code = issue_code_for(app, user.id)
    assert redeem(client, code).status_code == 302
    other = app.test_client()
    response = redeem(other, code, password="mot-mat-khau-khac-nua")
    assert response.status_code == 422
    assert WRONG_CODE_MESSAGE in response.get_data(as_text=True)
    assert other.get(f"/activate/{code}").status_code == 404
    assert client.post("/logout") and client.post(
        "/login", data={"email": user.email, "password": NEW_PASSWORD}).status_code == 302


def test_an_expired_code_is_refused_and_changes_nothing(app, client):
    user = new_unactivated_user(app)
    with app.app_context():
        issued = codes.issue_code(codes.get_account(user.id), actor=None, now=utcnow() - timedelta(days=30))
        db.session.commit()
        with pytest.raises(codes.InvalidCode):
            codes.redeem_code(issued.code, NEW_PASSWORD)
        db.session.rollback()
    response = redeem(client, issued.code)
    assert response.status_code == 422
    assert WRONG_CODE_MESSAGE in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(User, user.id).password_hash == ""
        assert db.session.scalar(sa.select(ActivationCode.used_at)) is None


def test_a_code_works_until_its_expiry_and_not_after(app):
    user = new_unactivated_user(app)
    with app.app_context():
        issued = codes.issue_code(codes.get_account(user.id), actor=None)
        db.session.commit()
        assert codes.find_usable_code(issued.code, now=issued.expires_at - timedelta(seconds=1)) is not None
        assert codes.find_usable_code(issued.code, now=issued.expires_at) is None


def test_a_locked_account_cannot_activate(app, client):
    user = new_unactivated_user(app)
    code = issue_code_for(app, user.id)
    with app.app_context():
        codes.get_account(user.id).is_active_account = False
        db.session.commit()
    assert client.get(f"/activate/{code}").status_code == 404
    assert redeem(client, code).status_code == 422
    assert not is_logged_in(client)


def test_wrong_expired_and_used_codes_get_the_same_answer(app, client):
    used_user, expired_user = new_unactivated_user(app), new_unactivated_user(app)
    used = issue_code_for(app, used_user.id)
    assert redeem(app.test_client(), used).status_code == 302
    with app.app_context():
        expired = codes.issue_code(codes.get_account(expired_user.id), actor=None,
                                   now=utcnow() - timedelta(days=30)).code
        db.session.commit()
    pages = []
    for code in (used, expired, "AAAA-BBBB-CCCC", "not a code"):
        response = redeem(client, code)
        assert response.status_code == 422
        html = response.get_data(as_text=True)
        pages.append(html.replace(code, "CODE").split('name="csrf_token"')[0])
        assert WRONG_CODE_MESSAGE in html
    assert len(set(pages)) == 1


def test_a_too_short_password_keeps_the_code_and_what_was_typed(app, client):
    user = new_unactivated_user(app)
    code = issue_code_for(app, user.id)
    response = redeem(client, code, password="ngan")
    assert response.status_code == 422
    assert f'value="{code}"' in response.get_data(as_text=True)
    assert redeem(client, code, password="mat-khau-moi", confirm="mat-khau-khac").status_code == 422
    assert redeem(client, code).status_code == 302


def test_a_reset_ends_the_other_sessions_and_is_audited(app, client, login_as):
    user = new_user(app)
    elsewhere = login_as(user)
    code = issue_code_for(app, user.id)
    assert redeem(client, code).status_code == 302
    assert is_logged_in(client)
    assert not is_logged_in(elsewhere)
    with app.app_context():
        actions = set(db.session.scalars(sa.select(AuditEntry.action)))
        assert "auth.password_reset" in actions and "auth.activated" not in actions


def test_a_logged_in_visitor_who_redeems_a_code_becomes_its_holder(app, client, login_as):
    someone = new_user(app)
    holder = new_unactivated_user(app)
    browser = login_as(someone)
    code = issue_code_for(app, holder.id)
    assert redeem(browser, code).status_code == 302
    assert holder.full_name in browser.get("/profile").get_data(as_text=True)


def test_the_login_page_explains_codes_when_mail_is_off(client):
    html = client.get("/login").get_data(as_text=True)
    assert 'href="/activate"' in html
    assert "liên hệ Ban Tổ chức để được cấp mã kích hoạt" in html
    assert 'href="/password/forgot"' not in html
    assert client.get("/password/forgot").status_code == 404


class TestRateLimit:
    @pytest.fixture
    def app_overrides(self):
        return {"RATELIMIT_ENABLED": True}

    def test_guessing_codes_is_stopped_but_password_typos_do_not_count(self, app, client):
        user = new_unactivated_user(app)
        code = issue_code_for(app, user.id)
        allowed = int(WRONG_CODE_LIMIT_PER_ADDRESS.split("/")[0])
        for _ in range(allowed + 5):
            assert redeem(client, code, password="ngan").status_code == 422
        for n in range(allowed):
            assert client.get(f"/activate/AAAA-BBBB-{n:04d}").status_code == 404
        assert redeem(client, "AAAA-BBBB-CCCC").status_code == 429
        assert redeem(client, code).status_code == 429
        assert redeem(app.test_client(), code, ).status_code == 429  # same address
