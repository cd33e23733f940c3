"""The support button partial: the right form for the right person, labels from the server."""
import re

import sqlalchemy as sa
from flask import render_template
from flask_login import login_user

from forum.auth.models import User
from forum.extensions import db
from forum.proposals.models import Proposal


def render(app, setting_, email=None, *, supported=False, path="/forums/dien-dan-1?page=2"):
    """Render the partial as the page at ``path`` would, for ``email`` (None: anonymous)."""
    with app.test_request_context(path):
        if email is not None:
            login_user(db.session.scalar(sa.select(User).where(User.email == email)))
        proposal = db.session.get(Proposal, setting_.proposal_id)
        return render_template("votes/_support_button.html", proposal=proposal, supported=supported)


def attribute(html: str, name: str) -> str:
    match = re.search(rf'{name}="([^"]*)"', html)
    assert match, f"{name} not in {html}"
    return match.group(1)


def test_not_yet_supported_shows_the_support_form(app, setting, new_user):
    s = setting()
    html = render(app, s, new_user())
    assert attribute(html, "action") == s.support_url
    assert attribute(html, "data-support-url") == s.support_url
    assert attribute(html, "data-unsupport-url") == s.unsupport_url
    assert attribute(html, "aria-pressed") == "false"
    assert attribute(html, "data-label-support") == "Ủng hộ"
    assert attribute(html, "data-label-supported") == "Đã ủng hộ"
    assert re.search(r'name="next" value="/forums/dien-dan-1\?page=2"', html)
    assert re.search(r'name="csrf_token" value="[^"]+"', html)
    assert 'role="status"' in html and 'aria-live="polite"' in html


def test_supported_shows_the_withdraw_form(app, setting, new_user):
    s = setting()
    html = render(app, s, new_user(supporting=s.proposal_id), supported=True)
    assert attribute(html, "action") == s.unsupport_url
    assert attribute(html, "aria-pressed") == "true"
    assert "button-supported" in html
    assert re.search(r"<span data-support-button-label>\s*Đã ủng hộ\s*</span>", html)


def test_count_is_formatted_vietnamese_style(app, setting, new_user):
    s = setting()
    with app.app_context():
        db.session.get(Proposal, s.proposal_id).support_count = 1628
        db.session.commit()
    html = render(app, s, new_user())
    assert re.search(r"data-support-count>1\.628<", html)


def test_author_sees_the_count_without_a_button(app, setting):
    s = setting()
    html = render(app, s, s.author_email)
    assert "data-support-form" not in html
    assert "data-support-count" in html


def test_anonymous_is_invited_to_log_in(app, setting):
    s = setting()
    html = render(app, s, None)
    assert "data-support-form" not in html
    assert "Đăng nhập để ủng hộ" in html
    assert attribute(html, "href").startswith("/login?next=")


def test_closed_forum_shows_ones_support_without_a_button(app, setting, new_user):
    s = setting(phase="closed")
    email = new_user()
    html = render(app, s, email, supported=True)
    assert "data-support-form" not in html
    assert "Bạn đã ủng hộ" in html
    assert "Đăng nhập để ủng hộ" not in render(app, s, None)


def test_partial_has_no_inline_script_or_style(app, setting, new_user):
    s = setting()
    html = render(app, s, new_user())
    assert "<script" not in html and "style=" not in html
    assert not re.search(r"\son[a-z]+=", html)  # no inline event handlers
