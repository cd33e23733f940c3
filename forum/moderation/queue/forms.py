"""Forms of reports and of the moderation queue: validation only, never saving."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectField, TextAreaField
from wtforms.validators import DataRequired, Length, ValidationError

from forum.core.forms import VisibleText, multiline
from forum.moderation.queue.models import REASON_LABELS, Report
from forum.moderation.queue.services import ACTION_LABELS, HIDE_REASON_MAX_LENGTH


class ReportForm(FlaskForm):
    """A reason (shown as radio buttons, templates/moderation/report.html) and a detail."""

    reason = SelectField(
        _l("Lý do báo cáo"),
        choices=[SelectChoice(reason.value, label) for reason, label in REASON_LABELS.items()],
        validate_choice=False,
        validators=[DataRequired(message=_l("Vui lòng chọn lý do báo cáo."))],
    )

    def validate_reason(self, field):
        if field.data not in {reason.value for reason in REASON_LABELS}:
            raise ValidationError(_l("Vui lòng chọn lý do báo cáo."))
    detail = TextAreaField(
        _l("Mô tả thêm (không bắt buộc)"),
        filters=[multiline],
        validators=[
            VisibleText(_l("Mô tả chỉ gồm khoảng trắng hoặc ký tự không hiển thị. Vui lòng viết có chữ hoặc để trống.")),
            Length(max=Report.DETAIL_MAX_LENGTH, message=_l("Mô tả quá dài (tối đa %(max)d ký tự).")),
        ],
        render_kw={"rows": 3, "maxlength": Report.DETAIL_MAX_LENGTH},
    )


class HideForm(FlaskForm):
    """Hiding needs a reason: the author reads it."""

    reason = TextAreaField(
        _l("Lý do ẩn (tác giả sẽ đọc được)"),
        filters=[multiline],
        validators=[
            DataRequired(message=_l("Vui lòng nhập lý do ẩn: tác giả sẽ đọc được lý do này.")),
            VisibleText(_l("Lý do chỉ gồm khoảng trắng hoặc ký tự không hiển thị. Vui lòng nhập lý do có chữ.")),
            Length(max=HIDE_REASON_MAX_LENGTH, message=_l("Lý do quá dài (tối đa %(max)d ký tự).")),
        ],
        render_kw={"rows": 3},
    )


class ConfirmForm(FlaskForm):
    """A button (unhide, lock, unlock): the CSRF token only, an optional note."""

    reason = TextAreaField(
        _l("Ghi chú (không bắt buộc)"),
        filters=[multiline],
        validators=[Length(max=HIDE_REASON_MAX_LENGTH, message=_l("Ghi chú quá dài (tối đa %(max)d ký tự)."))],
    )


class QueueActionForm(FlaskForm):
    """One action on the items ticked in the queue (``item`` checkboxes)."""

    action = SelectField(
        _l("Thao tác với các mục đã chọn"),
        choices=[SelectChoice(action.value, label) for action, label in ACTION_LABELS.items()],
        validate_choice=False,
        validators=[DataRequired(message=_l("Vui lòng chọn một thao tác."))],
    )
    reason = TextAreaField(
        _l("Lý do (bắt buộc khi ẩn; tác giả sẽ đọc được)"),
        filters=[multiline],
        validators=[
            VisibleText(_l("Lý do chỉ gồm khoảng trắng hoặc ký tự không hiển thị. Vui lòng nhập lý do có chữ.")),
            Length(max=HIDE_REASON_MAX_LENGTH, message=_l("Lý do quá dài (tối đa %(max)d ký tự).")),
        ],
        render_kw={"rows": 2},
    )

    def validate_action(self, field):
        if field.data not in {action.value for action in ACTION_LABELS}:
            raise ValidationError(_l("Vui lòng chọn một thao tác."))
