"""Forms of the forum settings pages: validation only; the forums services save.

Only plain text fields, each with a Vietnamese message: numbers, days and moments are
parsed here (WTForms' own fields would answer in English). Moments of the schedule are
typed in Vietnam time (``datetime-local`` inputs carry no time zone) and handed to the
services as timezone-aware datetimes. Chairs (rows of name and position) and supporting
roles (checkboxes) are lists read straight from the posted form by ``chairs_from`` and
``roles_from``; the services check them.
"""
from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, ValidationError
from wtforms.widgets import TextInput

from forum.core.forms import multiline, single_line
from forum.forums.models import Phase
from forum.forums.services import EDIT_WINDOW_MAX_MINUTES, MAX_SUPPORTS_LIMIT, TITLE_MAX_LENGTH

LOCAL_TIMEZONE = ZoneInfo("Asia/Ho_Chi_Minh")
# Rows for chairs beyond those the forum has: filled to add people, emptied to remove them.
SPARE_CHAIR_ROWS = 2
MAX_CHAIR_ROWS = 30
_MOMENT_FORMATS = ("%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%d/%m/%Y %H:%M")
_DAY_FORMATS = ("%Y-%m-%d", "%d/%m/%Y")


def to_local_input(moment: datetime | None) -> str:
    """``2026-12-01T08:00`` in Vietnam time, as a datetime-local input shows it."""
    if moment is None:
        return ""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo("UTC"))
    return moment.astimezone(LOCAL_TIMEZONE).strftime("%Y-%m-%dT%H:%M")


def parse_moment(text: str | None) -> datetime | None:
    """A moment typed in Vietnam time → aware datetime; None when empty or unreadable."""
    text = (text or "").strip()
    for pattern in _MOMENT_FORMATS:
        try:
            moment = datetime.strptime(text, pattern).replace(tzinfo=LOCAL_TIMEZONE)
        except ValueError:
            continue
        return moment if 2000 <= moment.year <= 2100 else None
    return None


def parse_day(text: str | None) -> date | None:
    text = (text or "").strip()
    for pattern in _DAY_FORMATS:
        try:
            day = datetime.strptime(text, pattern).date()
        except ValueError:
            continue
        return day if 2000 <= day.year <= 2100 else None
    return None


def parse_whole_number(text: str | None) -> int | None:
    text = (text or "").strip()
    return int(text) if text.isdigit() and len(text) <= 9 else None


class _Parsed:
    """Refuse a non-empty value that ``parse`` cannot read, with ``message``."""

    def __init__(self, parse, message):
        self.parse, self.message = parse, message

    def __call__(self, form, field):
        if (field.data or "").strip() and self.parse(field.data) is None:
            raise ValidationError(str(self.message))


class _WholeNumber:
    def __init__(self, *, low: int, high: int, message):
        self.low, self.high, self.message = low, high, message

    def __call__(self, form, field):
        if not (field.data or "").strip():
            return
        number = parse_whole_number(field.data)
        if number is None or not self.low <= number <= self.high:
            raise ValidationError(str(self.message))


class DateTimeLocalInput(TextInput):
    input_type = "datetime-local"


class DateInput(TextInput):
    input_type = "date"


class NumberInput(TextInput):
    input_type = "number"


_BAD_MOMENT = _l("Thời điểm không hợp lệ. Nhập ngày và giờ, ví dụ 01/12/2026 08:00.")


def _moment_field(label):
    return StringField(label, widget=DateTimeLocalInput(), validators=[_Parsed(parse_moment, _BAD_MOMENT)])


def chairs_from(formdata) -> list[dict]:
    """The chairs' rows as posted (``chair_name`` and ``chair_position``, in order)."""
    names = formdata.getlist("chair_name")[:MAX_CHAIR_ROWS]
    positions = formdata.getlist("chair_position")[:MAX_CHAIR_ROWS]
    positions += [""] * (len(names) - len(positions))
    return [{"name": name, "position": position} for name, position in zip(names, positions)]


def chair_rows(chairs) -> list[dict]:
    """The rows the details form shows: the chairs, then empty rows to add people."""
    return [dict(chair) for chair in chairs or []] + [{"name": "", "position": ""}] * SPARE_CHAIR_ROWS


def roles_from(formdata) -> list[str]:
    return formdata.getlist("supporting_roles")


class DetailsForm(FlaskForm):
    title = StringField(
        _l("Tên diễn đàn"), filters=[single_line],
        validators=[DataRequired(_l("Vui lòng nhập tên diễn đàn.")),
                    Length(max=TITLE_MAX_LENGTH, message=_l("Tên diễn đàn quá dài (tối đa %(max)s ký tự)."))],
    )
    description = TextAreaField(_l("Giới thiệu"), filters=[multiline], render_kw={"rows": 5})
    held_on = StringField(_l("Ngày tổ chức"), widget=DateInput(),
                          validators=[_Parsed(parse_day, _l("Ngày không hợp lệ, ví dụ 30/11/2023."))])
    time_of_day = StringField(_l("Thời gian trong ngày"), filters=[single_line],
                              validators=[Length(max=50, message=_l("Tối đa %(max)s ký tự."))],
                              render_kw={"placeholder": "8h00 – 11h30"})
    venue = StringField(_l("Địa điểm"), filters=[single_line],
                        validators=[Length(max=300, message=_l("Tối đa %(max)s ký tự."))])
    keynote = StringField(_l("Báo cáo đề dẫn"), filters=[single_line],
                          validators=[Length(max=500, message=_l("Tối đa %(max)s ký tự."))])


class PhaseForm(FlaskForm):
    phase = SelectField(_l("Giai đoạn"), validate_choice=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.phase.choices = [(phase.value, phase.label) for phase in Phase]

    def validate_phase(self, field):
        if field.data not in {phase.value for phase in Phase}:
            raise ValidationError(str(_l("Vui lòng chọn một giai đoạn.")))


class ScheduleForm(FlaskForm):
    proposals_open_at = _moment_field(_l("Mở nhận hiến kế"))
    proposals_close_at = _moment_field(_l("Ngừng nhận hiến kế"))
    supports_open_at = _moment_field(_l("Bắt đầu nhận ủng hộ"))
    supports_close_at = _moment_field(_l("Ngừng nhận ủng hộ và kết thúc"))

    def fill(self, forum) -> "ScheduleForm":
        for name in ("proposals_open_at", "proposals_close_at", "supports_open_at", "supports_close_at"):
            self[name].data = to_local_input(getattr(forum, name))
        return self

    def moments(self) -> dict:
        return {name: parse_moment(self[name].data)
                for name in ("proposals_open_at", "proposals_close_at", "supports_open_at", "supports_close_at")}


class RulesForm(FlaskForm):
    max_supports_per_user = StringField(
        _l("Số hiến kế mỗi người được ủng hộ"), widget=NumberInput(),
        validators=[_WholeNumber(low=1, high=MAX_SUPPORTS_LIMIT,
                                 message=_l("Nhập một số từ 1 đến %(max)s, hoặc để trống.", max=MAX_SUPPORTS_LIMIT))],
    )
    supports_withdrawable = BooleanField(_l("Cho phép rút lại lượt ủng hộ"))
    hide_tallies_until_closed = BooleanField(_l("Giữ kín số ủng hộ đến khi diễn đàn kết thúc"))
    edit_window_minutes = StringField(
        _l("Thời hạn sửa bài (phút)"), widget=NumberInput(),
        validators=[_WholeNumber(low=0, high=EDIT_WINDOW_MAX_MINUTES,
                                 message=_l("Nhập một số từ 0 đến %(max)s, hoặc để trống.", max=EDIT_WINDOW_MAX_MINUTES))],
    )
    comments_open = BooleanField(_l("Nhận ý kiến thảo luận"))
    premoderate_new_accounts = BooleanField(_l("Bài đầu tiên của tài khoản mới chờ điều hành viên duyệt"))

    def fill(self, forum) -> "RulesForm":
        for name in ("supports_withdrawable", "hide_tallies_until_closed", "comments_open", "premoderate_new_accounts"):
            self[name].data = bool(getattr(forum, name))
        for name in ("max_supports_per_user", "edit_window_minutes"):
            value = getattr(forum, name)
            self[name].data = "" if value is None else str(value)
        return self

    def number(self, name: str) -> int | None:
        return parse_whole_number(self[name].data)


class ThemeForm(FlaskForm):
    title = StringField(
        _l("Tên nhóm vấn đề"), filters=[single_line],
        validators=[DataRequired(_l("Vui lòng nhập tên nhóm vấn đề.")),
                    Length(max=300, message=_l("Tên nhóm vấn đề quá dài (tối đa %(max)s ký tự)."))],
    )
    description = TextAreaField(_l("Mô tả"), filters=[multiline], render_kw={"rows": 2})


class ThemeActionForm(FlaskForm):
    """Move (``direction`` up/down) or retire/restore (``retired`` 1/0) a theme; the view
    checks the values."""

    direction = HiddenField()
    retired = HiddenField()


class StatusForm(FlaskForm):
    """A custom status of the forum's proposals (forum.forums.statuses): a code that never
    changes, its Vietnamese title and, optionally, its English one."""

    code = StringField(
        _l("Mã (không đổi về sau)"), filters=[single_line],
        validators=[DataRequired(_l("Vui lòng nhập mã trạng thái.")), Length(max=30, message=_l("Mã quá dài."))],
    )
    title = StringField(
        _l("Tên trạng thái"), filters=[single_line],
        validators=[DataRequired(_l("Vui lòng nhập tên trạng thái.")),
                    Length(max=100, message=_l("Tên trạng thái quá dài (tối đa %(max)d ký tự)."))],
    )
    title_en = StringField(
        _l("Tên tiếng Anh (không bắt buộc)"), filters=[single_line],
        validators=[Length(max=100, message=_l("Tên trạng thái quá dài (tối đa %(max)d ký tự)."))],
    )


class StatusEditForm(FlaskForm):
    title = StatusForm.title
    title_en = StatusForm.title_en
    is_retired = BooleanField(_l("Ngừng sử dụng (không cho chọn khi trả lời; hiến kế đang có trạng thái này giữ nguyên)"))
