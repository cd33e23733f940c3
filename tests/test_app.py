"""Application wiring: configuration, security headers, error pages."""
import pytest

from config import DEFAULT_SECRET_KEY, ProductionConfig
from forum import create_app


def test_production_refuses_default_secret_key():
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(ProductionConfig, SECRET_KEY=DEFAULT_SECRET_KEY, SQLALCHEMY_DATABASE_URI="sqlite://")


def test_production_refuses_missing_secret_key():
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(ProductionConfig, SECRET_KEY="", SQLALCHEMY_DATABASE_URI="sqlite://")


def test_production_starts_with_a_strong_secret_key():
    app = create_app(ProductionConfig, SECRET_KEY="x" * 40, SQLALCHEMY_DATABASE_URI="sqlite://")
    assert app.config["SESSION_COOKIE_SECURE"] is True


def test_security_headers_are_set(client):
    response = client.get("/")
    assert response.status_code == 200
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_unknown_page_is_a_friendly_404_in_vietnamese(client):
    response = client.get("/khong-co-trang-nay")
    assert response.status_code == 404
    assert "Không tìm thấy trang" in response.get_data(as_text=True)


def test_forwarded_for_is_ignored_unless_proxies_are_trusted(tmp_path):
    from flask import request

    for trusted, expected in ((0, "127.0.0.1"), (1, "203.0.113.7")):
        app = create_app(ProductionConfig, SECRET_KEY="x" * 40, TRUSTED_PROXIES=trusted,
                         SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'p.sqlite3'}")
        app.add_url_rule("/_ip", "ip", lambda: request.remote_addr)
        response = app.test_client().get("/_ip", headers={"X-Forwarded-For": "203.0.113.7"},
                                         environ_base={"REMOTE_ADDR": "127.0.0.1"})
        assert response.get_data(as_text=True) == expected
