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
from flask_babel import gettext as _, ngettext
from flask_login import current_user, login_required

from forum.auth import safety, services
from forum.auth.forms import ChangePasswordForm, LoginForm, RegistrationForm
from forum.core.errors import InvalidAction
from forum.core.urls import safe_next_url
from forum.extensions import db, limiter
from forum.forums.services import list_visible_forums
from forum.proposals.services import list_own_proposals
from forum.votes.services import list_supported_proposals

bp = Blueprint("auth", __name__)
bp.record_once(lambda state: safety.init_app(state.app))

# Only failed attempts count (a success redirects), so a whole delegation logging in
# from one venue network is never locked out; guessing is. Guessing one account from many
# addresses meets the account's lockout (forum/auth/safety.py).
LOGIN_LIMIT_PER_ADDRESS = "30/minute"
PASSWORD_CHANGE_LIMIT = "10/minute"
REGISTRATION_LIMIT = "20/hour"


def _failed(response) -> bool:
    """A refused attempt counts against the address's allowance; the server's own failure
    (a 503 while the database is busy or down) is not the visitor's guess and does not."""
    return response.status_code != 302 and response.status_code < 500


@bp.before_app_request
def _enforce_session_lifetime():
    """Idle or too old sessions end here, before any view sees the user. An old remember-me
    cookie (they are no longer issued) is deleted rather than followed."""
    if current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token") in request.cookies:
        session["_remember"] = "clear"  # Flask-Login then neither reads it nor keeps it
    if "_user_id" in session and safety.session_expired():
        safety.end_session()
        flash(_("Phiên đăng nhập đã hết hạn. Vui lòng đăng nhập lại."), "info")


@bp.after_request
def _never_cache(response):
    """Login, account and password pages carry personal data or fresh tokens."""
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(LOGIN_LIMIT_PER_ADDRESS, methods=["POST"], deduct_when=_failed)
def login():
    """Email + password login; ``next`` may only point inside the site.

    Wrong passwords lock out untrusted browsers for the account, never the owner's own
    browsers (forum/auth/safety.py); a refused attempt does not check the password.
    """
    next_url = safe_next_url(request.args.get("next"), default=url_for("forums.index"))
    if current_user.is_authenticated:
        return redirect(next_url)
    form = LoginForm()
    if not form.validate_on_submit():
        status = 422 if request.method == "POST" else 200
        return render_template("auth/login.html", form=form), status
    email = services.normalize_email(form.email.data)
    account = services.get_user_by_email(email)
    device = safety.trusted_device(account)
    minutes = safety.login_lockout_minutes(email, device)
    if minutes is not None:
        form.form_errors.append(lockout_message(device, minutes))
        return render_template("auth/login.html", form=form), 429
    user = services.check_credentials(account, form.password.data)
    if user is None:
        if safety.record_failed_login(email, account, device):
            form.form_errors.append(lockout_message(device, current_app.config["LOGIN_LOCKOUT_MINUTES"]))
        else:
            # One message for unknown email, wrong password and locked account alike.
            form.form_errors.append(_("Email hoặc mật khẩu không đúng."))
        db.session.commit()
        return render_template("auth/login.html", form=form), 422
    services.record_login(user)
    safety.record_successful_login(user, device)
    db.session.commit()
    safety.start_session(user, persistent=form.remember.data)
    flash(_("Xin chào %(name)s!", name=user.full_name), "success")
    response = redirect(next_url)
    safety.remember_device(response, user)
    return response


def lockout_message(device: str | None, minutes: int) -> str:
    if device:
        return ngettext(
            "Trình duyệt này đã nhập sai mật khẩu quá nhiều lần và tạm thời không được đăng nhập "
            "vào tài khoản này. Vui lòng thử lại sau %(minutes)s phút.",
            "Trình duyệt này đã nhập sai mật khẩu quá nhiều lần và tạm thời không được đăng nhập "
            "vào tài khoản này. Vui lòng thử lại sau %(minutes)s phút.",
            minutes,
            minutes=minutes,
        )
    return ngettext(
        "Tài khoản này đang tạm khóa đăng nhập từ thiết bị lạ vì có quá nhiều lần nhập sai mật khẩu. "
        "Vui lòng thử lại sau %(minutes)s phút, hoặc dùng thiết bị bạn đã từng đăng nhập.",
        "Tài khoản này đang tạm khóa đăng nhập từ thiết bị lạ vì có quá nhiều lần nhập sai mật khẩu. "
        "Vui lòng thử lại sau %(minutes)s phút, hoặc dùng thiết bị bạn đã từng đăng nhập.",
        minutes,
        minutes=minutes,
    )


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    """Log out here and end every other session of the account (all its devices)."""
    user = current_user._get_current_object()
    services.end_all_sessions(user)
    safety.record_logout(user)
    db.session.commit()
    safety.end_session()
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
            safety.start_session(user, persistent=session.permanent)
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
            safety.start_session(user)
            flash(_("Đăng ký thành công. Chào mừng %(name)s!", name=user.full_name), "success")
            return redirect(url_for("forums.index"))
    status = 422 if request.method == "POST" else 200
    return render_template("auth/register.html", form=form), status
