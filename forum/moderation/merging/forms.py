"""Forms of the merge pages: choose the proposal to merge into, confirm, undo, dismiss."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
import re

from wtforms import HiddenField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from forum.core.forms import single_line

REASON_MAX_LENGTH = 500


def _reason_field():
    return StringField(
        _l("Ghi chú (ghi vào nhật ký kiểm tra)"),
        filters=[single_line],
        validators=[Optional(), Length(max=REASON_MAX_LENGTH, message=_l("Tối đa %(max)d ký tự.", max=REASON_MAX_LENGTH))],
    )


# "123", "#123" or a proposal's address (…/proposals/123).
PROPOSAL_NUMBER = re.compile(r"^(?:.*/proposals/|#)?\s*(\d{1,9})/?$")


def _proposal_number(form, field):
    match = PROPOSAL_NUMBER.match(field.data or "")
    if not match or int(match.group(1)) < 1:
        raise ValidationError(_l("Số hiến kế không hợp lệ."))
    form.target_id = int(match.group(1))


class ChooseTargetForm(FlaskForm):
    """GET form: the number of the proposal to merge into (or its address)."""

    class Meta:
        csrf = False

    target_id: int | None = None
    into = StringField(
        _l("Số hiến kế sẽ giữ lại"),
        filters=[single_line],
        validators=[DataRequired(_l("Vui lòng nhập số hiến kế (ví dụ 123).")), _proposal_number],
    )
    submit = SubmitField(_l("Xem trước khi gộp"))


class ConfirmForm(FlaskForm):
    plan = HiddenField()
    reason = _reason_field()
    submit = SubmitField(_l("Xác nhận gộp"))


class UndoForm(FlaskForm):
    plan = HiddenField()
    reason = _reason_field()
    submit = SubmitField(_l("Xác nhận hoàn tác"))


class DismissForm(FlaskForm):
    submit = SubmitField(_l("Không trùng"))
