"""HTTP hardening: CSRF on every state change and strict security headers.

No inline script or style exists in the templates, so the Content-Security-Policy
allows only this site's own files. Every response to a logged-in visitor is
``Cache-Control: private, no-store`` (pages show their name, drafts, staff data; none may
stay in a shared cache or the back-button history after logout), while pages for anonymous
visitors stay cacheable. Over HTTPS, production adds Strict-Transport-Security.
"""
from flask import Flask, current_app, request, session

from forum.extensions import csrf

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'none'; object-src 'none'"
)

HSTS = "max-age=31536000; includeSubDomains"


def add_security_headers(response):
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    if current_app.config.get("HSTS_ENABLED") and request.is_secure:
        # request.is_secure follows X-Forwarded-Proto behind TRUSTED_PROXIES.
        headers.setdefault("Strict-Transport-Security", HSTS)
    if request.endpoint != "static" and "_user_id" in session and "no-store" not in headers.get("Cache-Control", ""):
        headers["Cache-Control"] = "private, no-store"
    return response


def init_app(app: Flask) -> None:
    csrf.init_app(app)
    app.after_request(add_security_headers)
