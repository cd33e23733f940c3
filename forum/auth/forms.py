"""Account forms: validation only (the services check passwords against the database)."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional, ValidationError

from forum.auth.models import User
from forum.auth.names import check_display_name
from forum.core.errors import InvalidAction
from forum.core.forms import VisibleText, single_line


def _too_long(max_length: int):
    return Length(max=max_length, message=_l("Tối đa %(max)d ký tự.", max=max_length))


class LoginForm(FlaskForm):
    email = EmailField(
        _l("Email"),
        filters=[single_line],
        validators=[DataRequired(_l("Vui lòng nhập email.")), _too_long(User.EMAIL_MAX_LENGTH)],
        render_kw={"autocomplete": "username", "inputmode": "email", "autocapitalize": "none"},
    )
    password = PasswordField(
        _l("Mật khẩu"),
        validators=[DataRequired(_l("Vui lòng nhập mật khẩu.")), _too_long(User.PASSWORD_MAX_LENGTH)],
        render_kw={"autocomplete": "current-password"},
    )
    remember = BooleanField(_l("Ghi nhớ đăng nhập trên thiết bị này"))
    submit = SubmitField(_l("Đăng nhập"))


def _new_password_field(label):
    return PasswordField(
        label,
        validators=[
            DataRequired(_l("Vui lòng nhập mật khẩu mới.")),
            Length(
                min=User.PASSWORD_MIN_LENGTH,
                max=User.PASSWORD_MAX_LENGTH,
                message=_l(
                    "Mật khẩu phải dài từ %(min)d đến %(max)d ký tự.",
                    min=User.PASSWORD_MIN_LENGTH,
                    max=User.PASSWORD_MAX_LENGTH,
                ),
            ),
        ],
        render_kw={"autocomplete": "new-password"},
    )


def _confirm_field(label):
    return PasswordField(
        label,
        validators=[
            DataRequired(_l("Vui lòng nhập lại mật khẩu.")),
            EqualTo("new_password", message=_l("Hai mật khẩu không khớp nhau.")),
        ],
        render_kw={"autocomplete": "new-password"},
    )


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(
        _l("Mật khẩu hiện tại"),
        validators=[DataRequired(_l("Vui lòng nhập mật khẩu hiện tại.")), _too_long(User.PASSWORD_MAX_LENGTH)],
        render_kw={"autocomplete": "current-password"},
    )
    new_password = _new_password_field(_l("Mật khẩu mới"))
    confirm_password = _confirm_field(_l("Nhập lại mật khẩu mới"))
    submit = SubmitField(_l("Đổi mật khẩu"))

    def validate_new_password(self, field):
        if field.data and field.data == self.current_password.data:
            raise ValidationError(_l("Mật khẩu mới phải khác mật khẩu hiện tại."))


class RegistrationForm(FlaskForm):
    email = EmailField(
        _l("Email"),
        filters=[single_line],
        validators=[
            DataRequired(_l("Vui lòng nhập email.")),
            _too_long(User.EMAIL_MAX_LENGTH),
            Email(_l("Địa chỉ email không hợp lệ.")),
        ],
        render_kw={"autocomplete": "email", "inputmode": "email", "autocapitalize": "none"},
    )
    full_name = StringField(
        _l("Họ và tên"),
        filters=[single_line],
        validators=[
            DataRequired(_l("Vui lòng nhập họ và tên.")),
            VisibleText(
                _l("Họ và tên chỉ gồm khoảng trắng hoặc ký tự không hiển thị. Vui lòng nhập họ và tên có chữ.")
            ),
            _too_long(User.FULL_NAME_MAX_LENGTH),
        ],
        render_kw={"autocomplete": "name"},
    )
    unit = StringField(
        _l("Đơn vị công tác"),
        filters=[single_line],
        validators=[
            DataRequired(_l("Vui lòng nhập đơn vị công tác.")),
            VisibleText(
                _l("Đơn vị công tác chỉ gồm khoảng trắng hoặc ký tự không hiển thị. Vui lòng nhập tên đơn vị có chữ.")
            ),
            _too_long(User.UNIT_MAX_LENGTH),
        ],
        render_kw={"autocomplete": "organization"},
    )
    province = StringField(
        _l("Tỉnh, thành phố"),
        filters=[single_line],
        validators=[
            Optional(),
            VisibleText(
                _l("Tỉnh, thành phố chỉ gồm khoảng trắng hoặc ký tự không hiển thị. Vui lòng nhập tên có chữ.")
            ),
            _too_long(User.PROVINCE_MAX_LENGTH),
        ],
    )
    new_password = _new_password_field(_l("Mật khẩu"))
    confirm_password = _confirm_field(_l("Nhập lại mật khẩu"))
    submit = SubmitField(_l("Đăng ký"))

    def validate_full_name(self, field):
        """Self-registered accounts are delegates: no staff title, no disguised letters."""
        try:
            check_display_name(field.data or "", "delegate")
        except InvalidAction as error:
            raise ValidationError(str(error)) from None
