"""Forms of the roles page: a new role (admins), a moderator's forums (organizers)."""
from flask_babel import lazy_gettext as _l
from flask import request
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectChoice, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, Optional

from forum.auth.models import Role
from forum.core.forms import single_line

REASON_MAX_LENGTH = 500


def _reason_field():
    return StringField(
        _l("Lý do (ghi vào nhật ký kiểm tra)"),
        filters=[single_line],
        validators=[Optional(), Length(max=REASON_MAX_LENGTH, message=_l("Tối đa %(max)d ký tự.", max=REASON_MAX_LENGTH))],
    )


class RoleForm(FlaskForm):
    # An unknown role is the service's to refuse (in Vietnamese), not WTForms'.
    role = SelectField(_l("Vai trò"), validators=[DataRequired(_l("Vui lòng chọn vai trò."))], validate_choice=False)
    reason = _reason_field()
    next = HiddenField()
    submit = SubmitField(_l("Đổi vai trò"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.role.choices = [SelectChoice(role.value, role.label) for role in Role]
        _unique_ids(self, "role-form")


def _unique_ids(form, prefix: str) -> None:
    """Both forms share a page (and field names): give their fields distinct ids, so
    each label points at its own field."""
    for field in form:
        field.id = f"{prefix}-{field.id}"
        field.label.field_id = field.id


def _forum_id(value) -> int:
    """A submitted forum id; anything else becomes an id no forum has."""
    return int(value) if str(value).isdigit() and len(str(value)) < 10 else -1


class ScopeForm(FlaskForm):
    """``scope``: "all" or "some"; with "some", the ticked ``forums`` checkboxes (parsed
    here, not by WTForms, whose list fields only speak English)."""

    ALL = "all"
    SOME = "some"

    scope = SelectField(
        _l("Phạm vi điều hành"),
        choices=[
            SelectChoice(SOME, _l("Các diễn đàn được chọn dưới đây")),
            SelectChoice(ALL, _l("Mọi diễn đàn (cả các diễn đàn mở sau này)")),
        ],
        default=SOME,
        validators=[DataRequired(_l("Vui lòng chọn phạm vi."))],
        validate_choice=False,  # anything but "all" is a list of forums
    )
    reason = _reason_field()
    next = HiddenField()
    submit = SubmitField(_l("Lưu phân công"))

    def __init__(self, *args, forums=(), forum_ids=None, **kwargs):
        """``forum_ids``: the ticked forums to show; None reads them from the posted form."""
        super().__init__(*args, **kwargs)
        _unique_ids(self, "scope-form")
        self.forum_choices = [
            (forum.id, _l("Diễn đàn số %(number)s: %(title)s", number=forum.number, title=forum.title)) for forum in forums
        ]
        self.forum_errors: list[str] = []
        if forum_ids is None:
            forum_ids = [_forum_id(value) for value in request.form.getlist("forums")]
        self.forum_ids = list(forum_ids)

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if self.scope.data == self.ALL and self.forum_ids:
            self.forum_errors.append(
                str(_l("Đã chọn “Mọi diễn đàn”: bỏ chọn từng diễn đàn, hoặc chọn “Các diễn đàn được chọn”."))
            )
            return False
        return valid


class FindAccountForm(FlaskForm):
    class Meta:
        csrf = False  # a GET search

    email = StringField(_l("Email tài khoản"), filters=[single_line], validators=[DataRequired(_l("Vui lòng nhập email."))])
