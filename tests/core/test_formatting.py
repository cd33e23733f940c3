"""Dates, times and numbers in Vietnamese conventions (Asia/Ho_Chi_Minh)."""
from datetime import UTC, date, datetime

from forum.core.formatting import date_filter, datetime_filter, number_filter


def test_vietnamese_formats(app):
    with app.test_request_context("/"):
        assert date_filter(date(2023, 11, 30)) == "30/11/2023"
        # 20:30 UTC is 03:30 the next morning in Vietnam.
        assert datetime_filter(datetime(2023, 11, 30, 20, 30, tzinfo=UTC)) == "01/12/2023 03:30"
        assert date_filter(datetime(2023, 11, 30, 20, 30)) == "01/12/2023"
        assert number_filter(1628) == "1.628"
        assert number_filter(15000000) == "15.000.000"


def test_english_formats(app):
    with app.test_request_context("/", headers={"Cookie": "locale=en"}):
        assert number_filter(1628) == "1,628"
        assert date_filter(date(2023, 11, 30)) == "30 Nov 2023"
