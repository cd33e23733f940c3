"""Login and logout pages."""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from forum.auth import services
from forum.auth.forms import LoginForm
from forum.core.database import utcnow
from forum.core.urls import safe_next_url
from forum.extensions import db, limiter

bp = Blueprint("auth", __name__)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("10/minute", methods=["POST"])
def login():
    """Email + password login; ``next`` may only point inside the site."""
    if current_user.is_authenticated:
        return redirect(url_for("forums.index"))
    form = LoginForm()
    if form.validate_on_submit():
        user = services.authenticate_user(form.email.data, form.password.data)
        if user is None:
            flash(_("Email hoặc mật khẩu không đúng."), "error")
        else:
            user.last_login_at = utcnow()
            db.session.commit()
            login_user(user, remember=form.remember.data)
            flash(_("Xin chào %(name)s!", name=user.full_name), "success")
            return redirect(safe_next_url(request.args.get("next"), default=url_for("forums.index")))
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    """Log out and invalidate every copy of the session cookie."""
    current_user.session_token = services.new_session_token()
    db.session.commit()
    logout_user()
    flash(_("Bạn đã đăng xuất."), "success")
    return redirect(url_for("forums.index"))


@bp.route("/profile")
@login_required
def profile():
    """The logged-in user's own page."""
    return render_template("auth/profile.html")
