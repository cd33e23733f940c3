"""Forms of activation: the code with a new password, and the request for a code by mail."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, EqualTo, Length

from forum.auth.models import User
from forum.core.forms import single_line

CODE_FIELD_MAX_LENGTH = 40  # 12 characters, their dashes, and room for stray spaces


class RedeemCodeForm(FlaskForm):
    code = StringField(
        _l("Mã kích hoạt"),
        filters=[single_line],
        validators=[
            DataRequired(_l("Vui lòng nhập mã kích hoạt.")),
            Length(max=CODE_FIELD_MAX_LENGTH, message=_l("Mã kích hoạt gồm 12 ký tự, ví dụ K7QM-4HXT-9CRP.")),
        ],
        render_kw={"autocomplete": "one-time-code", "autocapitalize": "characters", "spellcheck": "false",
                   "placeholder": "XXXX-XXXX-XXXX"},
    )
    new_password = PasswordField(
        _l("Mật khẩu mới"),
        validators=[
            DataRequired(_l("Vui lòng nhập mật khẩu mới.")),
            Length(
                min=User.PASSWORD_MIN_LENGTH,
                max=User.PASSWORD_MAX_LENGTH,
                message=_l("Mật khẩu phải dài từ %(min)d đến %(max)d ký tự.",
                           min=User.PASSWORD_MIN_LENGTH, max=User.PASSWORD_MAX_LENGTH),
            ),
        ],
        render_kw={"autocomplete": "new-password"},
    )
    confirm_password = PasswordField(
        _l("Nhập lại mật khẩu mới"),
        validators=[
            DataRequired(_l("Vui lòng nhập lại mật khẩu.")),
            EqualTo("new_password", message=_l("Hai mật khẩu không khớp nhau.")),
        ],
        render_kw={"autocomplete": "new-password"},
    )
    submit = SubmitField(_l("Đặt mật khẩu và đăng nhập"))


class ResetRequestForm(FlaskForm):
    email = EmailField(
        _l("Email"),
        filters=[single_line],
        validators=[
            DataRequired(_l("Vui lòng nhập email.")),
            Length(max=User.EMAIL_MAX_LENGTH, message=_l("Tối đa %(max)d ký tự.", max=User.EMAIL_MAX_LENGTH)),
        ],
        render_kw={"autocomplete": "username", "inputmode": "email", "autocapitalize": "none"},
    )
    submit = SubmitField(_l("Gửi mã qua email"))
