"""Forms of the results pages."""
from flask import request
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField

from forum.search.forms import parse_date


class ResultActionForm(FlaskForm):
    """Freeze, verify, publish: a button, with the CSRF token."""


class ExportForm(FlaskForm):
    """The organizer's export choices (``ranking.ExportRequest``). Only text and
    checkbox fields, parsed here with Vietnamese messages (WTForms' own numeric, date,
    radio and multiple-choice fields have English-only errors); the forums, statuses and
    themes offered come from the view."""

    FORMATS = ("xlsx", "docx", "csv", "json")
    FORMAT_LABELS = {
        "xlsx": _l("Excel (.xlsx)"), "docx": _l("Word (.docx): báo cáo cho Tổ biên tập"),
        "csv": _l("CSV (mở bằng Excel)"), "json": _l("JSON (cho hệ thống khác)"),
    }
    SCOPE_LABELS = {"forum": _l("Trong từng diễn đàn"), "overall": _l("Chung cho các diễn đàn đã chọn")}

    format = StringField(_l("Định dạng"), default="xlsx")
    scope = StringField(_l("Xếp hạng"), default="forum")
    top = StringField(_l("Số hiến kế đầu bảng (để trống: tất cả)"), default="20")
    min_supports = StringField(_l("Ít nhất bao nhiêu lượt ủng hộ"), default="0")
    date_from = StringField(_l("Gửi từ ngày"))
    date_to = StringField(_l("Đến ngày"))
    with_answers = BooleanField(_l("Kèm trả lời chính thức"), default=True)
    with_comments = BooleanField(_l("Kèm các ý kiến chính (tối đa 5 ý kiến mỗi hiến kế)"))
    # Off by default (issue 9): hidden and withdrawn proposals are left out unless asked
    # for; they are never ranked, so "top N" and "at least N supports" leave them be.
    include_hidden = BooleanField(_l("Kèm các hiến kế đã bị ẩn (có lý do ẩn)"))
    include_withdrawn = BooleanField(_l("Kèm các hiến kế đã rút"))

    def __init__(self, *args, forums=(), statuses=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.forum_choices = [(forum.number, _l("Diễn đàn số %(number)s", number=forum.number)) for forum in forums]
        self.theme_choices = [(theme.id, f"{forum.number}. {theme.title}") for forum in forums for theme in forum.themes]
        self.status_choices = list(statuses)
        values = request.form if request.method == "POST" else request.args
        self.chosen_forums = self._chosen(values.getlist("forums"), {n for n, _label in self.forum_choices}, int)
        self.chosen_themes = self._chosen(values.getlist("themes"), {i for i, _label in self.theme_choices}, int)
        self.chosen_statuses = self._chosen(values.getlist("statuses"), {c for c, _label in self.status_choices}, str)
        self.parsed = {}

    @staticmethod
    def _chosen(raw, offered, kind) -> list:
        """The submitted values that were offered (anything else is ignored)."""
        chosen = []
        for value in raw:
            try:
                value = kind(value)
            except ValueError:
                continue
            if value in offered and value not in chosen:
                chosen.append(value)
        return chosen

    def _number(self, field, *, minimum: int, maximum: int, empty):
        text = (field.data or "").strip()
        if not text:
            return empty
        if not text.isdigit() or not minimum <= int(text) <= maximum:
            field.errors.append(_l("Vui lòng nhập một số nguyên từ %(min)s đến %(max)s.", min=minimum, max=maximum))
            return empty
        return int(text)

    def _date(self, field):
        text = (field.data or "").strip()
        if not text:
            return None
        found = parse_date(text)
        if found is None:
            field.errors.append(_l("Ngày không hợp lệ: hãy nhập theo dạng ngày/tháng/năm, ví dụ 30/11/2023."))
        return found

    def validate(self, extra_validators=None) -> bool:
        super().validate(extra_validators)
        for field in (self.format, self.scope, self.top, self.min_supports, self.date_from, self.date_to):
            field.errors = list(field.errors)
        if self.format.data not in self.FORMATS:
            self.format.errors.append(_l("Vui lòng chọn định dạng."))
        self.parsed = {
            "top": self._number(self.top, minimum=1, maximum=100_000, empty=None),
            "min_supports": self._number(self.min_supports, minimum=0, maximum=1_000_000, empty=0),
            "date_from": self._date(self.date_from),
            "date_to": self._date(self.date_to),
            "overall": self.scope.data == "overall",
        }
        start, end = self.parsed["date_from"], self.parsed["date_to"]
        if start and end and end < start:
            self.date_to.errors.append(_l("Ngày kết thúc trước ngày bắt đầu."))
        return not any(field.errors for field in self)
