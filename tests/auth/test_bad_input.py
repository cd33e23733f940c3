"""Bad input on the login form: never a 500, always a clear Vietnamese message."""
import unicodedata

import pytest

from tests.auth.helpers import is_logged_in, new_user
from tests.factories import DEFAULT_PASSWORD


@pytest.mark.parametrize(
    ("data", "messages"),
    [
        ({}, ["Vui lòng nhập email.", "Vui lòng nhập mật khẩu."]),
        ({"email": "", "password": ""}, ["Vui lòng nhập email.", "Vui lòng nhập mật khẩu."]),
        ({"email": "\x00\x1b\u200b", "password": DEFAULT_PASSWORD}, ["Vui lòng nhập email."]),
        ({"email": "a" * 10_000, "password": DEFAULT_PASSWORD}, ["Tối đa 254 ký tự."]),
        ({"email": "a@congdoan.vn", "password": "p" * 10_000}, ["Tối đa 200 ký tự."]),
    ],
)
def test_malformed_login_is_refused_with_messages(client, data, messages):
    response = client.post("/login", data=data)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    for message in messages:
        assert message in html


def test_oversized_email_is_given_back_intact(client):
    typed = "dai.bieu." + "x" * 10_000 + "@congdoan.vn"
    html = client.post("/login", data={"email": typed, "password": "x"}).get_data(as_text=True)
    assert f'value="{typed}"' in html


def test_markup_in_the_email_field_is_shown_escaped(client):
    html = client.post("/login", data={"email": '"><script>alert(1)</script>', "password": "x"}).get_data(
        as_text=True
    )
    assert "<script>alert(1)</script>" not in html
    assert "&#34;&gt;&lt;script&gt;" in html or "&quot;&gt;&lt;script&gt;" in html


def test_control_characters_and_nfd_in_email_still_find_the_account(app, client):
    user = new_user(app, email="daibieu@congdoan.vn")
    typed = unicodedata.normalize("NFD", "\u200bdaibieu@congdoan.vn\x07")
    response = client.post("/login", data={"email": typed, "password": DEFAULT_PASSWORD})
    assert response.status_code == 302
    assert is_logged_in(client)


def test_password_is_not_trimmed(app, client):
    user = new_user(app, password="  khoảng trắng ở đầu  ")
    assert client.post("/login", data={"email": user.email, "password": "khoảng trắng ở đầu"}).status_code == 422
    assert client.post("/login", data={"email": user.email, "password": "  khoảng trắng ở đầu  "}).status_code == 302


def test_non_form_body_is_a_4xx(client):
    response = client.post("/login", data="{}", content_type="application/json")
    assert response.status_code == 422


def test_oversized_body_is_413(client):
    response = client.post("/login", data={"email": "x" * (2 * 1024 * 1024), "password": "x"})
    assert response.status_code == 413
