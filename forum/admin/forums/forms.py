"""Forms of the forum settings pages: validation only; the forums services save.

Moments of the schedule are typed in Vietnam time (``datetime-local`` inputs, which
carry no time zone) and handed to the services as timezone-aware datetimes.
"""
from datetime import datetime
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField, DateField, Field, FieldList, Form, FormField, HiddenField, IntegerField, SelectField,
    SelectMultipleField, StringField, TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget, TextInput

from forum.auth.models import Role
from forum.core.forms import multiline, single_line
from forum.forums.models import Phase
from forum.forums.services import EDIT_WINDOW_MAX_MINUTES, MAX_SUPPORTS_LIMIT, TITLE_MAX_LENGTH

LOCAL_TIMEZONE = ZoneInfo("Asia/Ho_Chi_Minh")
# Rows for chairs beyond those the forum has: filled to add people, emptied to remove them.
SPARE_CHAIR_ROWS = 2
_LOCAL_FORMATS = ("%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%d/%m/%Y %H:%M")


def to_local_input(moment: datetime | None) -> str:
    """``2026-12-01T08:00`` in Vietnam time, as a datetime-local input shows it."""
    if moment is None:
        return ""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo("UTC"))
    return moment.astimezone(LOCAL_TIMEZONE).strftime("%Y-%m-%dT%H:%M")


class LocalDateTimeInput(TextInput):
    input_type = "datetime-local"


class LocalDateTimeField(Field):
    """A moment typed in Vietnam time; ``data`` is timezone-aware, None when empty.
    What was typed is kept and shown again when it cannot be read."""

    widget = LocalDateTimeInput()

    def __init__(self, label=None, validators=None, **kwargs):
        super().__init__(label, validators, **kwargs)
        self.raw_text = ""

    def process_formdata(self, valuelist):
        self.raw_text = (valuelist[0] if valuelist else "").strip()[:40]
        self.data = None
        if not self.raw_text:
            return
        for pattern in _LOCAL_FORMATS:
            try:
                self.data = datetime.strptime(self.raw_text, pattern).replace(tzinfo=LOCAL_TIMEZONE)
                break
            except ValueError:
                continue
        else:
            raise ValueError(str(_l("Thời điểm không hợp lệ. Nhập ngày và giờ, ví dụ 01/12/2026 08:00.")))
        if not 2000 <= self.data.year <= 2100:
            self.data = None
            raise ValueError(str(_l("Năm phải từ 2000 đến 2100.")))

    def _value(self):
        if self.raw_text:
            return self.raw_text
        return to_local_input(self.data)


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class ChairForm(Form):
    name = StringField(_l("Họ tên"), filters=[single_line], validators=[Length(max=200)])
    position = StringField(_l("Chức vụ"), filters=[single_line], validators=[Length(max=300)])


class DetailsForm(FlaskForm):
    title = StringField(
        _l("Tên diễn đàn"), filters=[single_line],
        validators=[DataRequired(_l("Vui lòng nhập tên diễn đàn.")), Length(max=TITLE_MAX_LENGTH)],
    )
    description = TextAreaField(_l("Giới thiệu"), filters=[multiline], render_kw={"rows": 5})
    held_on = DateField(_l("Ngày tổ chức"), validators=[Optional()],
                        render_kw={"placeholder": "2026-12-01"})
    time_of_day = StringField(_l("Thời gian trong ngày"), filters=[single_line], validators=[Length(max=50)],
                              render_kw={"placeholder": "8h00 – 11h30"})
    venue = StringField(_l("Địa điểm"), filters=[single_line], validators=[Length(max=300)])
    keynote = StringField(_l("Báo cáo đề dẫn"), filters=[single_line], validators=[Length(max=500)])
    chairs = FieldList(FormField(ChairForm), min_entries=0)

    def chair_rows(self) -> list[dict]:
        return [{"name": row.form.name.data or "", "position": row.form.position.data or ""} for row in self.chairs]

    def validate_chairs(self, field):
        for row in field:
            if not (row.form.name.data or "").strip() and (row.form.position.data or "").strip():
                raise ValidationError(_l("Mỗi chức vụ cần họ tên người chủ trì."))


def details_form(forum, formdata=None) -> DetailsForm:
    """The form filled from ``forum`` (GET) or from the posted data, with spare chair rows."""
    form = DetailsForm(formdata=formdata, prefix="details", obj=None if formdata else forum)
    if not formdata:
        form.chairs.entries = []
        form.chairs.last_index = -1
        for chair in list(forum.chairs or []) + [{}] * SPARE_CHAIR_ROWS:
            form.chairs.append_entry(chair)
    return form


class PhaseForm(FlaskForm):
    phase = SelectField(_l("Giai đoạn"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.phase.choices = [(phase.value, phase.label) for phase in Phase]


class ScheduleForm(FlaskForm):
    proposals_open_at = LocalDateTimeField(_l("Mở nhận hiến kế"))
    proposals_close_at = LocalDateTimeField(_l("Ngừng nhận hiến kế"))
    supports_open_at = LocalDateTimeField(_l("Bắt đầu nhận ủng hộ"))
    supports_close_at = LocalDateTimeField(_l("Ngừng nhận ủng hộ và kết thúc"))


class RulesForm(FlaskForm):
    max_supports_per_user = IntegerField(
        _l("Số hiến kế mỗi người được ủng hộ"), validators=[Optional(), NumberRange(min=1, max=MAX_SUPPORTS_LIMIT)]
    )
    supports_withdrawable = BooleanField(_l("Cho phép rút lại lượt ủng hộ"))
    hide_tallies_until_closed = BooleanField(_l("Giữ kín số ủng hộ đến khi diễn đàn kết thúc"))
    edit_window_minutes = IntegerField(
        _l("Thời hạn sửa bài (phút)"), validators=[Optional(), NumberRange(min=0, max=EDIT_WINDOW_MAX_MINUTES)]
    )
    comments_open = BooleanField(_l("Nhận ý kiến thảo luận"))
    premoderate_new_accounts = BooleanField(_l("Bài đầu tiên của tài khoản mới chờ điều hành viên duyệt"))
    supporting_roles = MultiCheckboxField(_l("Vai trò được ủng hộ hiến kế"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.supporting_roles.choices = [(role.value, role.label) for role in Role]

    def validate_supporting_roles(self, field):
        if not field.data:
            raise ValidationError(_l("Vui lòng chọn ít nhất một vai trò được ủng hộ hiến kế."))


class ThemeForm(FlaskForm):
    title = StringField(
        _l("Tên nhóm vấn đề"), filters=[single_line],
        validators=[DataRequired(_l("Vui lòng nhập tên nhóm vấn đề.")), Length(max=300)],
    )
    description = TextAreaField(_l("Mô tả"), filters=[multiline], render_kw={"rows": 2})


class ThemeActionForm(FlaskForm):
    """Move (``direction`` up/down) or retire/restore (``retired`` 1/0) a theme."""

    direction = HiddenField()
    retired = HiddenField()
