"""Cell safety and file names shared by every export writer."""
import unicodedata
from datetime import date

import pytest

from forum.results.exports.cells import EXCEL_CELL_LIMIT, clean_text, fit_cell, safe_cell
from forum.results.exports.naming import export_filename, filename_for
from tests.results.export_rows import CONTROLS, FORMULAS, NFD, make_header


@pytest.mark.parametrize("payload", FORMULAS)
def test_formula_payloads_get_an_apostrophe(payload):
    cell = safe_cell(payload)
    assert cell.startswith("'")
    assert cell.lstrip("'")[0] in "=+-@\t"


def test_numbers_stay_numbers_and_none_stays_empty():
    assert safe_cell(-1) == -1 and isinstance(safe_cell(-1), int)
    assert safe_cell(2.5) == 2.5
    assert safe_cell(None) is None
    assert safe_cell("-1") == "'-1"  # text that looks like a number is text


def test_control_characters_and_lone_surrogates_are_removed():
    assert clean_text(CONTROLS) == "abcde"
    assert clean_text("một\ttab\nhai dòng\r\nba") == "một\ttab\nhai dòng\nba"
    assert clean_text("\ufffe\uffffx\x7f") == "x"


def test_text_is_nfc():
    assert NFD != "Công đoàn"
    assert safe_cell(NFD) == "Công đoàn" == unicodedata.normalize("NFC", clean_text(NFD))


def test_cells_fit_in_excel():
    long = "a" * 40_000
    cell = safe_cell(long)
    assert len(cell) == EXCEL_CELL_LIMIT and cell.endswith("…")
    assert safe_cell("=" + "a" * 40_000).startswith("'=")
    assert len(safe_cell("=" + "a" * 40_000)) == EXCEL_CELL_LIMIT
    assert fit_cell("a" * EXCEL_CELL_LIMIT) == "a" * EXCEL_CELL_LIMIT
    wide = fit_cell("😀" * 20_000)  # two UTF-16 units each
    assert len(wide.encode("utf-16-le")) // 2 <= EXCEL_CELL_LIMIT and wide.endswith("…")


def test_filenames():
    day = date(2023, 11, 30)
    assert export_filename([1], day, "xlsx") == "hien-ke-dien-dan-1-2023-11-30.xlsx"
    assert export_filename([3, 1, 2], day, "csv") == "hien-ke-dien-dan-1-2-3-2023-11-30.csv"
    assert export_filename(range(1, 11), day, "docx") == "hien-ke-tat-ca-dien-dan-2023-11-30.docx"
    with pytest.raises(ValueError):
        export_filename([1], day, "exe")


def test_filename_of_a_header_uses_the_day_in_vietnam():
    # generated 2023-11-30 20:00 UTC is already 1 December in Vietnam
    header = make_header((1, 2))
    header = type(header)(**{**header.__dict__, "generated_at": header.generated_at.replace(hour=20)})
    name = filename_for(header, "json")
    assert name == "hien-ke-dien-dan-1-2-2023-12-01.json"
    assert name.isascii()
