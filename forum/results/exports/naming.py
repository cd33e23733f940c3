"""File names for exports: ASCII only (every browser, mail client and Windows share
keeps them intact), descriptive, sortable by date.

``hien-ke-dien-dan-1-2023-11-30.xlsx``, ``hien-ke-dien-dan-1-2-3-2023-11-30.csv``,
``hien-ke-tat-ca-dien-dan-2023-11-30.docx`` for all ten forums."""
from collections.abc import Iterable
from datetime import date

from forum.results.exports.cells import vietnam_day
from forum.results.rows import ResultHeader

ALL_FORUMS = frozenset(range(1, 11))  # the Congress's ten forums
EXTENSIONS = frozenset({"csv", "json", "xlsx", "docx"})


def export_filename(forum_numbers: Iterable[int], day: date, extension: str) -> str:
    """The file name of an export of ``forum_numbers`` made on ``day``."""
    if extension not in EXTENSIONS:
        raise ValueError(f"unknown export format: {extension!r}")
    numbers = sorted({int(number) for number in forum_numbers})
    if set(numbers) == ALL_FORUMS:
        which = "tat-ca-dien-dan"
    elif numbers:
        which = "dien-dan-" + "-".join(str(number) for number in numbers)
    else:
        which = "dien-dan"
    return f"hien-ke-{which}-{day.isoformat()}.{extension}"


def filename_for(header: ResultHeader, extension: str) -> str:
    """The file name of the export ``header`` describes: its forums, and the day (in
    Vietnam) it was made."""
    return export_filename(
        (forum.number for forum in header.forums), vietnam_day(header.generated_at), extension
    )
