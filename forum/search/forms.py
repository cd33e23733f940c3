"""The search form (``GET /search``): validation only.

Every parameter comes from a URL anyone can edit, so nothing here may fail: a value that
is not one of the choices the viewer was offered is ignored (the filter falls back to
"all"), and only dates, which a person types, produce a message.

Dates (issue 10): the date filters are text inputs showing ``30/11/2023`` (day/month/year,
in English too: this is a Vietnamese event, and the hint says so). A native
``<input type="date">`` was dropped: it shows the browser's locale format (``11/30/2023`` in
an English Chromium) whatever the page's language. The query string takes both forms and
always will: ``?date_from=2023-11-30`` (old links, what date inputs used to send) and
``?date_from=30/11/2023``; the form sends what was typed (``30/11/2023``), with and without
JavaScript, and the site's own links (pages of results) carry the parameters on unchanged.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from flask_babel import lazy_gettext as _l
from wtforms import Field, Form, SelectField, StringField
from wtforms.validators import ValidationError
from wtforms.widgets import TextInput

from forum.core.ids import parse_id
from forum.core.text import normalize_text
from forum.forums.statuses import custom_status_choices
from forum.proposals.models import ProposalStatus
from forum.search.backend import MAX_QUERY_LENGTH, Kind, Sort
from forum.search.query import cut_query_text

# Dates outside these years are typos (and would overflow the time-zone arithmetic).
MIN_YEAR = 2000
MAX_YEAR = 2100
_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
# Day, month, year: "/" or what phone keypads without "/" offer instead (". , - space"),
# or the eight digits alone ("30112023", an iPhone's numeric keypad has no separator).
_LOCAL_DATE = re.compile(r"^(\d{1,2})\s*[/.,\- ]\s*(\d{1,2})\s*[/.,\- ]\s*(\d{4})$")
_DIGITS_DATE = re.compile(r"^(\d{2})(\d{2})(\d{4})$")
# The same forms for the input's ``pattern`` (the browser's first check; the server decides).
# Browsers compile it with the ``v`` flag: "/" and "-" are escaped inside the classes (and
# only there: "\-" outside a class is a syntax error, which turns the check off).
DATE_PATTERN = r"\s*([0-9]{1,2}\s*[\/.,\- ]\s*[0-9]{1,2}\s*[\/.,\- ]\s*[0-9]{4}|[0-9]{8}|[0-9]{4}-[0-9]{1,2}-[0-9]{1,2})\s*"

KIND_LABELS = {Kind.PROPOSAL: _l("Hiến kế"), Kind.COMMENT: _l("Ý kiến")}
SORT_LABELS = {
    Sort.RELEVANCE: _l("Liên quan nhất"),
    Sort.SUPPORTS: _l("Nhiều ủng hộ nhất"),
    Sort.NEWEST: _l("Mới nhất"),
}


def parse_date(text: str) -> date | None:
    """``2023-11-30`` (old links, date inputs) or ``30/11/2023`` (typed: also ``30.11.2023``,
    ``30-11-2023``, ``30 11 2023``, ``30112023``); else None."""
    text = (text or "").strip()
    if match := _ISO_DATE.match(text):
        year, month, day = (int(part) for part in match.groups())
    elif match := _LOCAL_DATE.match(text) or _DIGITS_DATE.match(text):
        day, month, year = (int(part) for part in match.groups())
    else:
        return None
    if not MIN_YEAR <= year <= MAX_YEAR:
        return None
    try:
        return date(year, month, day)
    except ValueError:
        return None


def shorten(text: str, width: int = 48) -> str:
    """``text`` cut at a word boundary to at most ``width`` characters, with "…"."""
    if len(text) <= width:
        return text
    cut = text[: width - 1].rsplit(" ", 1)[0].rstrip(" ,;:-–")
    return cut + "…"


def format_date(value: date) -> str:
    """``30/11/2023``: how the date filters show a date, in every language."""
    return f"{value.day:02d}/{value.month:02d}/{value.year:04d}"


class LocalDateField(Field):
    """A date filter: a text input (digits keypad on phones) showing ``dd/mm/yyyy``; keeps
    what was typed, parses it into ``data`` (None when empty or bad)."""

    widget = TextInput()
    # A hint for the template (shown under the label, read with the input).
    hint = _l("ngày/tháng/năm")

    def __init__(self, label=None, validators=None, **kwargs):
        kwargs.setdefault("render_kw", {
            "inputmode": "numeric",
            "pattern": DATE_PATTERN,
            "placeholder": _l("dd/mm/yyyy"),
            "title": _l("Nhập ngày theo dạng ngày/tháng/năm, ví dụ 30/11/2023."),
            "autocomplete": "off",
            "maxlength": 40,
            "data-date-field": "",  # search.js adds the browser's date picker beside it
        })
        super().__init__(label, validators, **kwargs)
        self.raw_text = ""

    def process_formdata(self, valuelist):
        self.raw_text = normalize_text(valuelist[0] if valuelist else "", multiline=False)[:40]
        self.data = parse_date(self.raw_text)

    def _value(self):
        return format_date(self.data) if self.data else self.raw_text

    def pre_validate(self, form):
        if self.raw_text and self.data is None:
            raise ValidationError(_l("Ngày không hợp lệ, bộ lọc này đã được bỏ qua."))


@dataclass(frozen=True)
class Criteria:
    """What to search for, every value checked against what the viewer may choose."""

    text: str
    forum_id: int | None
    theme_id: int | None
    kind: str | None
    status: str | None
    date_from: date | None
    date_to: date | None
    sort: str

    @property
    def has_filters(self) -> bool:
        return any(value is not None for value in (self.forum_id, self.theme_id, self.kind, self.status,
                                                    self.date_from, self.date_to))


class SearchForm(Form):
    """``/search`` parameters. Build with ``formdata=request.args`` and the forums the
    viewer may see (with their themes); read the result from ``criteria()`` after
    ``validate()``."""

    q = StringField(
        _l("Từ khóa"),
        render_kw={"maxlength": MAX_QUERY_LENGTH, "autocomplete": "off", "enterkeyhint": "search",
                   "spellcheck": "false"},
    )
    forum = SelectField(_l("Diễn đàn"), coerce=parse_id, validate_choice=False)
    theme = SelectField(_l("Nhóm vấn đề"), coerce=parse_id, validate_choice=False)
    kind = SelectField(_l("Loại"), validate_choice=False)
    status = SelectField(_l("Trạng thái"), validate_choice=False)
    date_from = LocalDateField(_l("Từ ngày"))
    date_to = LocalDateField(_l("Đến ngày"))
    sort = SelectField(_l("Sắp xếp theo"), validate_choice=False)

    def __init__(self, formdata=None, *, forums=(), **kwargs):
        super().__init__(formdata, **kwargs)
        self.forums = list(forums)
        self.forum.choices = [("", _l("Tất cả diễn đàn"))] + [
            (forum.id, _l("Số %(number)s: %(title)s", number=forum.number, title=shorten(forum.title)))
            for forum in self.forums
        ]
        self.kind.choices = [("", _l("Tất cả"))] + [(kind.value, label) for kind, label in KIND_LABELS.items()]
        custom = custom_status_choices(forum.id for forum in self.forums)
        self.status.choices = [("", _l("Tất cả"))] + [(status.value, status.label) for status in ProposalStatus] + custom
        self.status_codes = {str(code) for code, _label in self.status.choices[1:]}
        self.sort.choices = [(sort.value, label) for sort, label in SORT_LABELS.items()]
        self.text_was_cut = False
        self._clean_choices()

    def _clean_choices(self) -> None:
        """Values that were not offered are dropped, so the page shows what is really applied."""
        self.q.data, self.text_was_cut = cut_query_text(self.q.data)
        forums_by_id = {forum.id: forum for forum in self.forums}
        if self.forum.data not in forums_by_id:
            self.forum.data = None
        theme_forum = {theme.id: forum.id for forum in self.forums for theme in forum.themes}
        # A theme belongs to one forum: outside the chosen forum it is ignored.
        if self.theme.data not in theme_forum or (
            self.forum.data is not None and theme_forum[self.theme.data] != self.forum.data
        ):
            self.theme.data = None
        if self.kind.data not in tuple(Kind):
            self.kind.data = ""
        if self.status.data not in self.status_codes:
            self.status.data = ""
        if self.sort.data not in tuple(Sort):
            self.sort.data = Sort.RELEVANCE.value

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        start, end = self.date_from.data, self.date_to.data
        if start and end and start > end:
            self.date_to.errors = list(self.date_to.errors) + [
                _l("Ngày kết thúc trước ngày bắt đầu, bộ lọc này đã được bỏ qua.")
            ]
            self.date_to.data = None
            valid = False
        return valid

    def criteria(self) -> Criteria:
        return Criteria(
            text=self.q.data or "",
            forum_id=self.forum.data,
            theme_id=self.theme.data,
            kind=self.kind.data or None,
            status=self.status.data or None,
            date_from=self.date_from.data,
            date_to=self.date_to.data,
            sort=self.sort.data,
        )

    def theme_groups(self):
        """``[(forum, themes)]`` for the theme select's ``<optgroup>``s (search.js shows
        only the chosen forum's group)."""
        return [(forum, forum.themes) for forum in self.forums if forum.themes]
