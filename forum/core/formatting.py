"""Jinja filters for dates and numbers in the user's locale (Asia/Ho_Chi_Minh).

The filters run hundreds of times on a list page, so the common cases skip Babel's
pattern machinery: the locale's rules (group separator, minus sign, abbreviated month
names) are read from Babel once per locale and applied directly. Anything else (floats,
other patterns) goes through Babel as before; tests/core/test_formatting.py checks that
both paths print the same.
"""
from datetime import UTC, date, datetime
from functools import lru_cache

from babel import Locale
from babel.numbers import get_group_symbol, get_minus_sign_symbol
from flask import Flask
from flask_babel import format_decimal, get_locale, get_timezone

from forum.core.text import affiliation


@lru_cache(maxsize=None)
def _date_rules(locale: str) -> tuple[str, tuple[str, ...] | None]:
    """(separator-or-pattern tag, abbreviated month names) for the locale's date patterns:
    Vietnamese prints 30/11/2023, other locales 30 Nov 2023."""
    if locale == "vi":
        return "numeric", None
    months = Locale.parse(locale).months["format"]["abbreviated"]
    return "named", tuple(months[month] for month in range(1, 13))


@lru_cache(maxsize=None)
def _number_rules(locale: str) -> tuple[str, str]:
    """The locale's group separator and minus sign (Babel's standard decimal pattern,
    #,##0.###, groups integers by three)."""
    return get_group_symbol(locale), get_minus_sign_symbol(locale)


def _local_day(value: date | datetime) -> date | datetime:
    """A datetime in the user's time zone (naive ones are UTC, as Flask-Babel assumes); a date as is."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        zone = get_timezone()
        return zone.normalize(value.astimezone(zone))
    return value


def _format_day(value: date, locale: str) -> str:
    kind, months = _date_rules(locale)
    if kind == "numeric":
        return f"{value.day:02d}/{value.month:02d}/{value.year:04d}"
    return f"{value.day} {months[value.month - 1]} {value.year:04d}"


def date_filter(value: date | datetime | None) -> str:
    """30/11/2023 in Vietnamese, the locale's short date otherwise (Vietnam time)."""
    if value is None:
        return ""
    return _format_day(_local_day(value), str(get_locale()))


def datetime_filter(value: datetime | None) -> str:
    """30/11/2023 14:05 (24-hour clock, Vietnam time); 30 Nov 2023, 14:05 in English."""
    if value is None:
        return ""
    local = _local_day(value)
    locale = str(get_locale())
    separator = " " if _date_rules(locale)[0] == "numeric" else ", "
    return f"{_format_day(local, locale)}{separator}{local.hour:02d}:{local.minute:02d}"


def number_filter(value: int | float | None) -> str:
    """1.628 in Vietnamese, 1,628 in English."""
    value = value or 0
    if type(value) is not int:  # noqa: E721 (bool and floats go through Babel)
        return format_decimal(value)
    group, minus = _number_rules(str(get_locale()))
    text = f"{abs(value):,}"
    if group != ",":
        text = text.replace(",", group)
    return minus + text if value < 0 else text


def init_app(app: Flask) -> None:
    app.add_template_filter(date_filter, "date")
    app.add_template_filter(datetime_filter, "datetime")
    app.add_template_filter(number_filter, "number")
    app.add_template_filter(affiliation, "affiliation")
