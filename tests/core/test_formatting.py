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


def test_fast_paths_print_what_babel_prints(app):
    """The filters apply each locale's rules without Babel's pattern machinery; every
    month, both sides of midnight in Vietnam, years before 1000, negative and large
    numbers print exactly as Babel formats them."""
    from flask_babel import format_date, format_datetime, format_decimal

    moments = [datetime(year, month, 1, hour, minute) for year in (999, 2023, 2024)
               for month in range(1, 13) for hour, minute in ((0, 0), (16, 59), (17, 0), (23, 5))]
    moments.append(datetime(2024, 2, 29, 12, 0, tzinfo=UTC))
    numbers = [0, 7, -7, 999, 1000, -1628, 15_000_000, 2**40, 1628.5, -0.25]
    for locale, day_pattern, time_pattern in (("vi", "dd/MM/yyyy", "dd/MM/yyyy HH:mm"),
                                              ("en", "d MMM yyyy", "d MMM yyyy, HH:mm")):
        with app.test_request_context("/", headers={"Cookie": f"locale={locale}"}):
            for moment in moments:
                assert date_filter(moment) == format_datetime(moment, day_pattern)
                assert date_filter(moment.date()) == format_date(moment.date(), day_pattern)
                assert datetime_filter(moment) == format_datetime(moment, time_pattern)
            for number in numbers:
                assert number_filter(number) == format_decimal(number)
            assert number_filter(None) == format_decimal(0)
