"""Exports stream: the memory they need does not grow with the number of rows (rows are
generated lazily; tracemalloc measures the peak of Python allocations)."""
import tracemalloc

import pytest

from forum.results.exports.csv_writer import write_csv
from forum.results.exports.json_writer import write_json
from forum.results.exports.xlsx_writer import write_xlsx
from tests.results.export_rows import lazy_rows, make_header


def drain(chunks) -> int:
    return sum(len(chunk) for chunk in chunks)


def peak(run, count: int) -> int:
    tracemalloc.start()
    try:
        run(count)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("writer", [write_csv, write_json], ids=["csv", "json"])
def test_csv_and_json_stream(context, writer):
    header = make_header((1,))
    small = peak(lambda n: drain(writer(header, lazy_rows(n))), 2_000)
    large = peak(lambda n: drain(writer(header, lazy_rows(n))), 20_000)
    assert large < 1.5 * small + 64_000, (small, large)


@pytest.mark.slow
def test_xlsx_constant_memory(context, tmp_path):
    header = make_header((1,))
    # links excluded: Excel stores them after a sheet's rows, so XlsxWriter keeps each
    # one (a few hundred bytes) until the sheet is closed
    rows = lambda n: (row.__class__(**{**row.__dict__, "url": ""}) for row in lazy_rows(n))  # noqa: E731
    # to a file: a BytesIO would hold the whole (growing) workbook
    small = peak(lambda n: write_xlsx(header, rows(n), str(tmp_path / "small.xlsx")), 2_000)
    large = peak(lambda n: write_xlsx(header, rows(n), str(tmp_path / "large.xlsx")), 20_000)
    assert large < 1.5 * small + 256_000, (small, large)
