"""Forms of the people pages: validation only (the auth services decide and save)."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, SelectField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, Length, Optional, ValidationError

from forum.auth.models import ROLE_LABELS, Role, User
from forum.auth.provinces import PROVINCES
from forum.core.forms import VisibleText, single_line


def _too_long(max_length: int):
    return Length(max=max_length, message=_l("Tối đa %(max)d ký tự.", max=max_length))


def _text(label, max_length: int, *validators, **kwargs):
    return StringField(label, filters=[single_line], validators=[*validators, _too_long(max_length)], **kwargs)


class PersonForm(FlaskForm):
    """One person of the roster. ``province`` offers the 34 current provinces (and the
    person's own older one, kept as it is); ``role`` is shown to admins only."""

    full_name = _text(
        _l("Họ và tên"),
        User.FULL_NAME_MAX_LENGTH,
        DataRequired(_l("Vui lòng nhập họ và tên.")),
        VisibleText(_l("Họ và tên phải có chữ.")),
        render_kw={"autocomplete": "off"},
    )
    email = EmailField(
        _l("Email"),
        filters=[single_line],
        validators=[
            DataRequired(_l("Vui lòng nhập email.")),
            Email(_l("Email không hợp lệ."), check_deliverability=False),
            _too_long(User.EMAIL_MAX_LENGTH),
        ],
        render_kw={"inputmode": "email", "autocapitalize": "none", "autocomplete": "off"},
    )
    phone = _text(_l("Số điện thoại"), User.PHONE_MAX_LENGTH, Optional(), render_kw={"inputmode": "tel"})
    unit = _text(_l("Đơn vị"), User.UNIT_MAX_LENGTH, Optional())
    province = SelectField(_l("Tỉnh/thành phố"), validate_choice=False)
    sector = _text(_l("Ngành"), User.SECTOR_MAX_LENGTH, Optional())
    union_level = _text(_l("Cấp công đoàn"), User.UNION_LEVEL_MAX_LENGTH, Optional())
    delegation = _text(_l("Đoàn đại biểu"), User.DELEGATION_MAX_LENGTH, Optional())
    role = SelectField(
        _l("Vai trò"),
        choices=[SelectChoice(role.value, ROLE_LABELS[role]) for role in Role],
        default=Role.DELEGATE.value,
        validate_choice=False,
    )
    submit = SubmitField(_l("Lưu"))

    def set_province_choices(self, current: str = "") -> None:
        choices = [SelectChoice("", _l("— Chưa chọn —"))] + [SelectChoice(name, name) for name in PROVINCES]
        if current and current not in PROVINCES:
            choices.append(SelectChoice(current, _l("%(province)s (tên trước 01/07/2025)", province=current)))
        self.province.choices = choices

    def validate_province(self, field):
        if field.data and field.data not in {choice.value for choice in field.choices}:
            raise ValidationError(_l("Hãy chọn một tỉnh, thành phố trong danh sách."))

    def validate_role(self, field):
        if field.data not in {role.value for role in Role}:
            raise ValidationError(_l("Hãy chọn một vai trò trong danh sách."))

    def person_fields(self) -> dict:
        names = ("email", "full_name", "phone", "unit", "province", "sector", "union_level", "delegation")
        return {name: getattr(self, name).data or "" for name in names}


class DeactivateForm(FlaskForm):
    reason = StringField(
        _l("Lý do (ghi vào nhật ký, không bắt buộc)"),
        filters=[single_line],
        validators=[Optional(), _too_long(500)],
    )
    confirm = BooleanField(
        _l("Tôi hiểu: người này sẽ không đăng nhập được nữa; những gì họ đã viết vẫn được giữ nguyên."),
        validators=[DataRequired(_l("Hãy đánh dấu ô xác nhận để khóa tài khoản."))],
    )
    submit = SubmitField(_l("Khóa tài khoản"))


class ReactivateForm(FlaskForm):
    submit = SubmitField(_l("Mở khóa tài khoản"))


class ImportForm(FlaskForm):
    """The upload's CSRF token; the file input itself is read by the view (WTForms'
    file field would add English messages)."""

    submit = SubmitField(_l("Tải lên và xem trước"))


class ConfirmImportForm(FlaskForm):
    submit = SubmitField(_l("Xác nhận nhập"))


class CancelImportForm(FlaskForm):
    submit = SubmitField(_l("Hủy, không nhập"))
