"""CSV export: UTF-8 with a byte order mark and Excel's dialect (comma, CRLF), so that a
double click in Excel on Windows shows the Vietnamese letters, not mojibake.

One header row, then one row per proposal (an unranked one, hidden or withdrawn, with an
empty rank; an export holding hidden proposals adds their reason before the digest). A CSV file has no title area: each row
carries its forum's digest (the SHA-256 of the frozen result; empty for a live ranking)
in the last column. Dates are Vietnam local time, ``YYYY-MM-DD HH:MM:SS``, which Excel
reads as a date."""
import csv
import io
from collections.abc import Iterable, Iterator

from flask_babel import gettext as _

from forum.results.exports.cells import safe_cell, vietnam_time
from forum.results.exports.columns import MOMENT, columns, row_values
from forum.results.rows import ResultHeader, ResultRow

BOM = "\ufeff".encode()


def write_csv(header: ResultHeader, rows: Iterable[ResultRow]) -> Iterator[bytes]:
    """The CSV file of ``rows``, streamed row by row (the file is never held in memory)."""
    cols = columns(header)
    digests = {forum.number: forum.digest or "" for forum in header.forums}
    buffer = io.StringIO()
    writer = csv.writer(buffer, dialect="excel")

    def flush() -> bytes:
        chunk = buffer.getvalue().encode("utf-8")
        buffer.seek(0)
        buffer.truncate()
        return chunk

    writer.writerow([safe_cell(col.header) for col in cols] + [safe_cell(_("Mã băm kết quả (SHA-256)"))])
    yield BOM + flush()
    for row in rows:
        values = row_values(row)
        cells = []
        for col in cols:
            value = values[col.key]
            if col.kind == MOMENT:
                value = vietnam_time(value).strftime("%Y-%m-%d %H:%M:%S")
            cells.append("" if value is None else safe_cell(value))
        cells.append(safe_cell(digests.get(row.forum_number, "")))
        writer.writerow(cells)
        yield flush()
