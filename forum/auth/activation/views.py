"""Activation by code (a first password, or a new one), and asking for a code by mail."""
from flask import Blueprint, abort, flash, g, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _

from forum.auth import safety
from forum.auth import services as accounts
from forum.auth.activation import services as activation
from forum.auth.activation.forms import RedeemCodeForm, ResetRequestForm
from forum.auth.models import User
from forum.core.errors import InvalidAction
from forum.extensions import db, limiter
from forum.notifications.services import mail_configured

bp = Blueprint("activation", __name__)

# Only wrong codes count: a delegation activating together from one venue network is
# never locked out by typos in passwords; guessing codes (60 bits) is.
WRONG_CODE_LIMIT_PER_ADDRESS = "20/hour"
RESET_REQUEST_LIMIT_PER_ADDRESS = "10/hour"
RESET_REQUEST_LIMIT_PER_EMAIL = "3/hour"


def _wrong_code(_response) -> bool:
    return bool(g.get("wrong_activation_code"))


def _reset_email_key() -> str:
    email = accounts.normalize_email(request.form.get("email", "")[: User.EMAIL_MAX_LENGTH])
    return f"reset-email:{email}" if email else ""


def _private(response, status: int = 200):
    """The page carries a code: no cache keeps it, no link leaks it."""
    response = make_response(response, status)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@bp.route("/activate", methods=["GET", "POST"])
@bp.route("/activate/<code>", methods=["GET", "POST"])
@limiter.limit(WRONG_CODE_LIMIT_PER_ADDRESS, deduct_when=_wrong_code)
def redeem(code: str | None = None):
    """A code (typed, or from the link) and a new password; on success, logged in."""
    form = RedeemCodeForm()
    holder = None
    if request.method == "GET" and code is not None:
        form.code.data = code
        record = activation.find_usable_code(code)
        if record is None:
            g.wrong_activation_code = True
            form.code.errors = [str(activation.invalid_code_error())]
            return _private(render_template("auth/activate.html", form=form, holder=None), 404)
        holder = record.user
    elif form.validate_on_submit():
        try:
            user = activation.redeem_code(form.code.data, form.new_password.data)
        except activation.InvalidCode as error:
            g.wrong_activation_code = True
            form.code.errors.append(str(error))
        except InvalidAction as error:
            form.new_password.errors.append(str(error))
        else:
            accounts.record_login(user)
            db.session.commit()
            safety.start_session(user)  # nothing planted before survives, another account's session included
            flash(_("Đã đặt mật khẩu. Chào mừng %(name)s! Lần sau hãy đăng nhập bằng email %(email)s và mật khẩu vừa đặt.",
                    name=user.full_name, email=user.email), "success")
            response = redirect(url_for("forums.index"))
            safety.remember_device(response, user)  # proved by the code: a device the owner uses
            return response
    status = 422 if request.method == "POST" else 200
    return _private(render_template("auth/activate.html", form=form, holder=holder), status)


@bp.route("/password/forgot", methods=["GET", "POST"])
@limiter.limit(RESET_REQUEST_LIMIT_PER_ADDRESS, methods=["POST"])
@limiter.limit(RESET_REQUEST_LIMIT_PER_EMAIL, methods=["POST"], key_func=_reset_email_key)
def forgot_password():
    """Ask for a reset code by mail. The answer is the same whether the address has an
    account or not, and so is the work done here (one row; the mail worker looks up)."""
    if not mail_configured():
        abort(404)
    form = ResetRequestForm()
    if form.validate_on_submit():
        activation.request_password_reset(form.email.data)
        db.session.commit()
        return render_template("auth/forgot_password.html", form=None, requested_email=form.email.data)
    status = 422 if request.method == "POST" else 200
    return render_template("auth/forgot_password.html", form=form, requested_email=None), status
