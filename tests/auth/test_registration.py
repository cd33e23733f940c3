"""Self-registration: absent by default, a delegate account when switched on."""
import unicodedata

import pytest
import sqlalchemy as sa

from forum.auth.models import User
from forum.core.audit import AuditEntry
from forum.extensions import db
from tests.auth.helpers import is_logged_in, new_user

VALID = {
    "email": "Moi.DangKy@CongDoan.vn",
    "full_name": "Phạm Thị Hồng",
    "unit": "CĐCS Công ty May 10",
    "province": "Hà Nội",
    "new_password": "mật khẩu đủ dài",
    "confirm_password": "mật khẩu đủ dài",
}


def _users(app):
    with app.app_context():
        return db.session.scalars(sa.select(User)).all()


class TestRegistrationOff:
    """Default configuration: the roster is imported, nobody signs up."""

    def test_default_configuration_is_off(self, app):
        assert app.config["ALLOW_REGISTRATION"] is False

    def test_get_and_post_are_404(self, app, client):
        assert client.get("/register").status_code == 404
        assert client.post("/register", data=VALID).status_code == 404
        assert _users(app) == []

    def test_login_page_has_no_link(self, client):
        assert "/register" not in client.get("/login").get_data(as_text=True)


class TestRegistrationOn:
    @pytest.fixture
    def app_overrides(self):
        return {"ALLOW_REGISTRATION": True}

    def test_login_page_links_to_it(self, client):
        assert 'href="/register"' in client.get("/login").get_data(as_text=True)

    def test_form_is_labelled(self, client):
        html = client.get("/register").get_data(as_text=True)
        for field in ("email", "full_name", "unit", "province", "new_password", "confirm_password"):
            assert f'for="{field}"' in html

    def test_registration_creates_a_delegate_and_logs_them_in(self, app, client):
        response = client.post("/register", data=VALID)
        assert response.status_code == 302
        assert "Đăng ký thành công" in client.get("/").get_data(as_text=True)
        assert is_logged_in(client)
        with app.app_context():
            user = db.session.scalars(sa.select(User)).one()
            assert user.email == "moi.dangky@congdoan.vn"
            assert (user.full_name, user.unit, user.province) == ("Phạm Thị Hồng", "CĐCS Công ty May 10", "Hà Nội")
            assert user.role == "delegate"
            assert user.is_active
            assert user.check_password("mật khẩu đủ dài")
            assert user.last_login_at is not None
            entry = db.session.scalars(sa.select(AuditEntry)).one()
            assert (entry.action, entry.actor_id, entry.target_id) == ("user.registered", user.id, user.id)

    def test_role_cannot_be_chosen_by_the_form(self, app, client):
        client.post("/register", data=dict(VALID, role="admin"))
        assert [user.role for user in _users(app)] == ["delegate"]

    @pytest.mark.parametrize("typed", ["daibieu@congdoan.vn", "DaiBieu@CongDoan.VN", " DAIBIEU@congdoan.vn "])
    def test_duplicate_email_in_any_case_gets_a_clear_message(self, app, client, typed):
        new_user(app, email="daibieu@congdoan.vn")
        response = client.post("/register", data=dict(VALID, email=typed))
        assert response.status_code == 422
        html = response.get_data(as_text=True)
        assert "Email này đã được dùng cho một tài khoản khác." in html
        assert "Phạm Thị Hồng" in html  # what the user typed is kept
        assert len(_users(app)) == 1
        assert not is_logged_in(client)

    @pytest.mark.parametrize(
        ("changes", "message"),
        [
            ({"email": ""}, "Vui lòng nhập email."),
            ({"email": "khong-phai-email"}, "Địa chỉ email không hợp lệ."),
            ({"email": "a" * 10_000 + "@congdoan.vn"}, "Tối đa 254 ký tự."),
            ({"full_name": ""}, "Vui lòng nhập họ và tên."),
            ({"full_name": "\x00\x07\u200b  "}, "Vui lòng nhập họ và tên."),
            ({"full_name": "Tên " * 2_500}, "Tối đa 120 ký tự."),
            ({"unit": ""}, "Vui lòng nhập đơn vị công tác."),
            ({"full_name": "\u3164\u3164"}, "Họ và tên chỉ gồm khoảng trắng hoặc ký tự không hiển thị."),
            ({"full_name": "\u2800 \u115f\u1160"}, "Họ và tên chỉ gồm khoảng trắng hoặc ký tự không hiển thị."),
            ({"unit": "\u3164"}, "Đơn vị công tác chỉ gồm khoảng trắng hoặc ký tự không hiển thị."),
            ({"unit": "\u3000\u2800\ufeff"}, "Đơn vị công tác chỉ gồm khoảng trắng hoặc ký tự không hiển thị."),
            ({"province": "\u3164"}, "Tỉnh, thành phố chỉ gồm khoảng trắng hoặc ký tự không hiển thị."),
            ({"unit": "x" * 10_000}, "Tối đa 200 ký tự."),
            ({"province": "x" * 10_000}, "Tối đa 100 ký tự."),
            ({"new_password": "ngan", "confirm_password": "ngan"}, "Mật khẩu phải dài từ 10 đến 200 ký tự."),
            ({"confirm_password": "khac-hoan-toan"}, "Hai mật khẩu không khớp nhau."),
        ],
    )
    def test_bad_input_is_refused_and_the_form_keeps_the_text(self, app, client, changes, message):
        data = dict(VALID, **changes)
        response = client.post("/register", data=data)
        assert response.status_code == 422
        html = response.get_data(as_text=True)
        assert message in html
        assert "Vui lòng sửa các lỗi dưới đây:" in html
        if "full_name" not in changes:
            assert VALID["full_name"] in html
        assert _users(app) == []

    def test_province_is_optional(self, app, client):
        assert client.post("/register", data=dict(VALID, province="")).status_code == 302
        assert _users(app)[0].province == ""

    def test_nfd_and_control_characters_are_normalised(self, app, client):
        nfd_name = unicodedata.normalize("NFD", "Nguyễn\u200b Thị\x07 Ánh")
        response = client.post(
            "/register", data=dict(VALID, full_name=nfd_name, unit=unicodedata.normalize("NFD", "Đoàn viên"))
        )
        assert response.status_code == 302
        user = _users(app)[0]
        assert user.full_name == "Nguyễn Thị Ánh"
        assert user.full_name == unicodedata.normalize("NFC", user.full_name)
        assert user.unit == "Đoàn viên"

    def test_script_in_name_is_stored_as_text_and_shown_escaped(self, app, client):
        client.post("/register", data=dict(VALID, full_name="<script>alert('x')</script>"))
        assert _users(app)[0].full_name == "<script>alert('x')</script>"
        html = client.get("/profile").get_data(as_text=True)
        assert "<script>alert(" not in html
        assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in html

    def test_logged_in_user_is_sent_away(self, app, client, auth):
        auth.login(new_user(app))
        assert client.get("/register").status_code == 302
        assert len(_users(app)) == 1
