"""Login, logout, password change, profile and (optional) self-registration."""
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from forum.auth import services
from forum.auth.forms import ChangePasswordForm, LoginForm, RegistrationForm
from forum.auth.models import User
from forum.core.errors import InvalidAction
from forum.core.urls import safe_next_url
from forum.extensions import db, limiter
from forum.forums.services import list_visible_forums
from forum.proposals.services import list_own_proposals
from forum.votes.services import list_supported_proposals

bp = Blueprint("auth", __name__)

# Only failed attempts count (a success redirects), so a whole delegation logging in
# from one venue network is never locked out; guessing is.
LOGIN_LIMIT_PER_ADDRESS = "30/minute"
LOGIN_LIMIT_PER_ACCOUNT = "10/minute"
PASSWORD_CHANGE_LIMIT = "10/minute"
REGISTRATION_LIMIT = "20/hour"


def _failed(response) -> bool:
    return response.status_code != 302


def _login_account_key() -> str:
    """Rate-limit key per target account, so guessing from many addresses is slowed too."""
    email = services.normalize_email(request.form.get("email", "")[: User.EMAIL_MAX_LENGTH])
    return f"login-account:{email}" if email else ""


def _start_session(user, *, remember: bool = False) -> None:
    """Log ``user`` in on a fresh session: nothing planted before login survives it."""
    session.clear()
    login_user(user, remember=remember)


def _has_remember_cookie() -> bool:
    return current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token") in request.cookies


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(LOGIN_LIMIT_PER_ADDRESS, methods=["POST"], deduct_when=_failed)
@limiter.limit(LOGIN_LIMIT_PER_ACCOUNT, methods=["POST"], key_func=_login_account_key, deduct_when=_failed)
def login():
    """Email + password login; ``next`` may only point inside the site."""
    next_url = safe_next_url(request.args.get("next"), default=url_for("forums.index"))
    if current_user.is_authenticated:
        return redirect(next_url)
    form = LoginForm()
    if not form.validate_on_submit():
        status = 422 if request.method == "POST" else 200
        return render_template("auth/login.html", form=form), status
    user = services.authenticate_user(form.email.data, form.password.data)
    if user is None:
        # One message for unknown email, wrong password and locked account alike.
        form.form_errors.append(_("Email hoặc mật khẩu không đúng."))
        return render_template("auth/login.html", form=form), 422
    services.record_login(user)
    db.session.commit()
    _start_session(user, remember=form.remember.data)
    flash(_("Xin chào %(name)s!", name=user.full_name), "success")
    return redirect(next_url)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    """Log out and invalidate every copy of the session and remember-me cookies."""
    services.end_all_sessions(current_user)
    db.session.commit()
    logout_user()
    flash(_("Bạn đã đăng xuất."), "success")
    return redirect(url_for("forums.index"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
@limiter.limit(PASSWORD_CHANGE_LIMIT, methods=["POST"], deduct_when=_failed)
def change_password():
    """Change one's own password; other devices are logged out, this one stays in."""
    form = ChangePasswordForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        try:
            services.change_password(user, form.current_password.data, form.new_password.data, actor=user)
        except services.WrongPassword as error:
            form.current_password.errors.append(str(error))
        except InvalidAction as error:
            form.new_password.errors.append(str(error))
        else:
            db.session.commit()
            _start_session(user, remember=_has_remember_cookie())
            flash(_("Đã đổi mật khẩu. Các thiết bị khác đã được đăng xuất."), "success")
            return redirect(url_for("auth.profile"))
    status = 422 if request.method == "POST" else 200
    return render_template("auth/change_password.html", form=form), status


@bp.route("/profile")
@login_required
def profile():
    """The logged-in user's own page: details, own proposals, supported proposals."""
    user = current_user._get_current_object()
    # Held until the page is rendered: the session then finds each proposal.forum among
    # them without a query (it keeps only weak references).
    forums = list_visible_forums(user)
    forum_ids = [forum.id for forum in forums]
    return render_template(
        "auth/profile.html",
        user=user,
        own_proposals=list_own_proposals(user, forum_ids=forum_ids),
        supported_proposals=list_supported_proposals(user, forum_ids=forum_ids),
    )


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(REGISTRATION_LIMIT, methods=["POST"])
def register():
    """Self-registration as a delegate; exists only when ``ALLOW_REGISTRATION`` is on."""
    if not current_app.config.get("ALLOW_REGISTRATION"):
        abort(404)
    if current_user.is_authenticated:
        return redirect(url_for("forums.index"))
    form = RegistrationForm()
    if form.validate_on_submit():
        try:
            user = services.register_user(
                email=form.email.data,
                full_name=form.full_name.data,
                unit=form.unit.data,
                province=form.province.data or "",
                password=form.new_password.data,
            )
        except services.DuplicateEmail as error:
            form.email.errors.append(str(error))
        except InvalidAction as error:
            form.form_errors.append(str(error))
        else:
            services.record_login(user)
            db.session.commit()
            _start_session(user)
            flash(_("Đăng ký thành công. Chào mừng %(name)s!", name=user.full_name), "success")
            return redirect(url_for("forums.index"))
    status = 422 if request.method == "POST" else 200
    return render_template("auth/register.html", form=form), status
