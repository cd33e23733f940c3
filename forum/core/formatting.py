"""Jinja filters for dates and numbers in the user's locale (Asia/Ho_Chi_Minh)."""
from datetime import date, datetime

from flask import Flask
from flask_babel import format_date, format_datetime, format_decimal, get_locale


def _is_vietnamese() -> bool:
    return str(get_locale()) == "vi"


def date_filter(value: date | datetime | None) -> str:
    """30/11/2023 in Vietnamese, the locale's short date otherwise."""
    if value is None:
        return ""
    pattern = "dd/MM/yyyy" if _is_vietnamese() else "d MMM yyyy"
    if isinstance(value, datetime):
        return format_datetime(value, pattern)  # converted to Vietnam time first
    return format_date(value, pattern)


def datetime_filter(value: datetime | None) -> str:
    """30/11/2023 14:05 (24-hour clock, Vietnam time)."""
    if value is None:
        return ""
    return format_datetime(value, "dd/MM/yyyy HH:mm" if _is_vietnamese() else "d MMM yyyy, HH:mm")


def number_filter(value: int | float | None) -> str:
    """1.628 in Vietnamese, 1,628 in English."""
    return format_decimal(value or 0)


def init_app(app: Flask) -> None:
    app.add_template_filter(date_filter, "date")
    app.add_template_filter(datetime_filter, "datetime")
    app.add_template_filter(number_filter, "number")
