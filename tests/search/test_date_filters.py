"""The date filters of /search (issue 10, item 2): text inputs showing day/month/year in
every language (a native date input follows the browser's locale: 11/30/2023 in an English
Chromium), parsed on the server; old links with ISO dates keep working."""
import re
from datetime import date

import pytest

from forum.search.forms import DATE_PATTERN, parse_date


@pytest.mark.parametrize("text", [
    "2023-11-30",  # old links, what the date inputs used to send
    "30/11/2023",  # what the form shows and sends
    "30.11.2023", "30-11-2023", "30 11 2023", " 30 / 11 / 2023 ", "30,11,2023",  # keypads without "/"
    "30112023",  # an iPhone's numeric keypad: digits only
])
def test_both_forms_of_a_date_are_read(text):
    assert parse_date(text) == date(2023, 11, 30)


def test_day_first_single_digits():
    assert parse_date("1/2/2024") == date(2024, 2, 1)


@pytest.mark.parametrize("text", ["31/02/2023", "11/30/2023", "2023-02-30", "30/11/23", "3011202", "1999-01-01",
                                  "hôm qua", "", "30/11/2023 12:00"])
def test_impossible_or_ambiguous_dates_are_not_read(text):
    assert parse_date(text) is None


def date_input(html: str, name: str) -> str:
    return re.search(rf'<input [^>]*name="{name}"[^>]*>', html).group(0)


def test_the_inputs_are_text_with_a_numeric_keypad_a_pattern_and_a_hint(client):
    html = client.get("/search", query_string={"date_from": "2023-11-30", "date_to": "31.12.2023"}).get_data(
        as_text=True)
    start, end = date_input(html, "date_from"), date_input(html, "date_to")
    for tag in (start, end):
        assert 'type="text"' in tag and 'type="date"' not in tag
        assert 'inputmode="numeric"' in tag
        assert 'placeholder="dd/mm/yyyy"' in tag
        assert f'pattern="{DATE_PATTERN}"' in tag
    # An old ISO link and a date typed with dots are both shown as day/month/year.
    assert 'value="30/11/2023"' in start and 'value="31/12/2023"' in end
    # The hint is read with the input.
    assert 'aria-describedby="date_from-hint"' in start
    assert re.search(r'<p class="hint" id="date_from-hint">ngày/tháng/năm</p>', html)


def test_the_inputs_in_english_say_day_month_year(client):
    client.set_cookie("locale", "en")
    html = client.get("/search", query_string={"date_from": "30/11/2023"}).get_data(as_text=True)
    assert 'value="30/11/2023"' in date_input(html, "date_from")
    assert '<p class="hint" id="date_from-hint">day/month/year</p>' in html
    assert 'title="Enter the date as day/month/year, e.g. 30/11/2023."' in date_input(html, "date_from")


def test_a_bad_date_keeps_what_was_typed_and_says_why(client):
    response = client.get("/search", query_string={"q": "doan", "date_from": "31/02/2023"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    tag = date_input(html, "date_from")
    assert 'value="31/02/2023"' in tag and 'aria-invalid="true"' in tag
    assert "date_from-hint date_from-error" in tag
    assert "Ngày không hợp lệ, bộ lọc này đã được bỏ qua." in html


def test_the_pattern_accepts_what_the_server_reads():
    pattern = re.compile(DATE_PATTERN)  # browsers anchor it: ^(?:pattern)$
    for text in ("2023-11-30", "30/11/2023", "30.11.2023", "30 11 2023", "30112023", "1/2/2024"):
        assert pattern.fullmatch(text), text
    for text in ("hôm qua", "30/11/23", "2023/11/30"):
        assert not pattern.fullmatch(text), text
