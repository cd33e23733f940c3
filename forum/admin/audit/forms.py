"""The audit log's filters (a GET form): who, their role, what, which object, which
forum, which days (dd/mm/yyyy, Vietnam time)."""
import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectField, StringField
from wtforms.validators import Length, Optional, ValidationError

from forum.admin.audit.labels import ACTION_LABELS, ACTOR_ROLE_LABELS, CONSOLE_ROLE, TARGET_LABELS, action_label
from forum.core.forms import single_line

LOCAL_TIMEZONE = ZoneInfo("Asia/Ho_Chi_Minh")
_DAY = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})")
_ISO_DAY = re.compile(r"(\d{4})-(\d{2})-(\d{2})")


def parse_day(text: str | None) -> date | None:
    """``30/11/2023`` (also ``30-11-2023``, ``30.11.2023`` and ISO ``2023-11-30``) → a
    date; None for an empty value; ValueError for anything else."""
    text = (text or "").strip()
    if not text:
        return None
    if match := _DAY.fullmatch(text):
        day, month, year = (int(part) for part in match.groups())
    elif match := _ISO_DAY.fullmatch(text):
        year, month, day = (int(part) for part in match.groups())
    else:
        raise ValueError(text)
    if not 1900 <= year <= 2999:
        raise ValueError(text)
    return date(year, month, day)


def local_day_start(day: date) -> datetime:
    """Midnight of ``day`` in Vietnam, in UTC."""
    return datetime.combine(day, time.min, tzinfo=LOCAL_TIMEZONE).astimezone(UTC)


def _day_validator(form, field):
    try:
        parse_day(field.data)
    except ValueError:
        raise ValidationError(_l("Ngày không hợp lệ: hãy nhập theo dạng ngày/tháng/năm, ví dụ 30/11/2023.")) from None


def _id_validator(form, field):
    if field.data and not (field.data.isdigit() and len(field.data) < 10):
        raise ValidationError(_l("Mã đối tượng là một số nguyên dương."))


class LogFilterForm(FlaskForm):
    class Meta:
        csrf = False  # reading only

    actor = StringField(
        _l("Người thực hiện"),
        filters=[single_line],
        validators=[Optional(), Length(max=254, message=_l("Tối đa %(max)d ký tự.", max=254))],
    )
    role = SelectField(_l("Vai trò lúc thực hiện"), validate_choice=False)
    action = SelectField(_l("Hành động"), validate_choice=False)
    target_type = SelectField(_l("Loại đối tượng"), validate_choice=False)
    target_id = StringField(_l("Mã đối tượng"), filters=[single_line], validators=[_id_validator])
    forum = SelectField(_l("Diễn đàn"), validate_choice=False)
    date_from = StringField(_l("Từ ngày"), filters=[single_line], validators=[_day_validator])
    date_to = StringField(_l("Đến ngày"), filters=[single_line], validators=[_day_validator])

    def __init__(self, formdata, *, actions=(), target_types=(), forums=()):
        super().__init__(formdata)
        anyone = SelectChoice("", _l("Tất cả"))
        self.role.choices = [anyone] + [
            SelectChoice(code or CONSOLE_ROLE, label) for code, label in ACTOR_ROLE_LABELS.items()
        ]
        known = set(actions) | set(ACTION_LABELS)
        self.action.choices = [anyone] + sorted(
            (SelectChoice(code, f"{action_label(code)} ({code})" if action_label(code) != code else code) for code in known),
            key=lambda choice: str(choice.label).casefold(),
        )
        types = sorted(set(target_types) | set(TARGET_LABELS))
        self.target_type.choices = [anyone] + [SelectChoice(code, TARGET_LABELS.get(code, code)) for code in types]
        self.forum.choices = [anyone] + [
            SelectChoice(str(forum.id), _l("Diễn đàn số %(number)s", number=forum.number)) for forum in forums
        ]

    def validate_date_to(self, field):
        try:
            start, end = parse_day(self.date_from.data), parse_day(field.data)
        except ValueError:
            return  # the day's own validator says so
        if start and end and end < start:
            raise ValidationError(_l("“Đến ngày” phải sau hoặc trùng “Từ ngày”."))

    # What the filters mean once validated ---------------------------------------------
    def actor_role(self) -> str | None:
        value = self.role.data or ""
        if not value:
            return None
        return "" if value == CONSOLE_ROLE else value

    def created_from(self) -> datetime | None:
        day = parse_day(self.date_from.data)
        return local_day_start(day) if day else None

    def created_before(self) -> datetime | None:
        day = parse_day(self.date_to.data)
        return local_day_start(day + timedelta(days=1)) if day else None

    def forum_id(self) -> int | None:
        value = self.forum.data or ""
        return int(value) if value.isdigit() and len(value) < 10 else None

    def object_id(self) -> int | None:
        return int(self.target_id.data) if self.target_id.data else None
