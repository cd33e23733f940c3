"""XLSX export with XlsxWriter in ``constant_memory`` mode: each row goes to a temporary
file as soon as the next one starts, so a result of any size is written with flat
memory (but for the links, which Excel keeps after a sheet's rows: XlsxWriter holds them
until the sheet is closed, a few hundred bytes each).

A summary sheet first (the forums, their proposals, supports and digests; its cells are
written last, which constant_memory allows since each sheet keeps its own row order),
then one sheet per forum: a frozen header row, an autofilter, widths, wrapped text,
real Excel dates in Vietnam time, numbers as numbers, clickable links. Unranked rows
(hidden or withdrawn proposals the organizer asked for) follow the ranked ones with an
empty rank, on a grey background; the summary counts them apart and leaves their
supports out of the forum's total."""
import re
from collections.abc import Iterable
from typing import BinaryIO

import xlsxwriter
from flask_babel import gettext as _

from forum.results.exports.cells import safe_cell, vietnam_time
from forum.results.exports.columns import INT, LONG, MOMENT, URL, columns, row_values
from forum.results.rows import ResultHeader, ResultRow

SHEET_NAME_LIMIT = 31
URL_LENGTH_LIMIT = 255  # what every Excel version and LibreOffice accept in a link
LINKS_PER_SHEET = 65_530  # Excel's limit; later links are written as text
DATE_FORMAT = "dd/mm/yyyy hh:mm"
HEADER_HEIGHT = 32  # points
LINE_HEIGHT = 15  # points: one line of the default 11-point font
MAX_ROW_HEIGHT = 409  # points: Excel's largest row
UNRANKED_FILL = "#EDEDED"  # the background of unranked (hidden, withdrawn) rows
_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\\x00-\x1f]")
_LINKABLE = re.compile(r"https?://[^\s\"<>]+\Z")


def sheet_name(text: str, taken: set[str]) -> str:
    """A worksheet name Excel accepts: no ``[]:*?/\\``, at most 31 characters, no
    apostrophe at either end, unique (case-insensitively) among ``taken``."""
    name = _SHEET_FORBIDDEN.sub(" ", text).strip().strip("'")[:SHEET_NAME_LIMIT].strip() or "Sheet"
    candidate, number = name, 2
    while candidate.casefold() in taken:
        suffix = f" ({number})"
        candidate = name[: SHEET_NAME_LIMIT - len(suffix)] + suffix
        number += 1
    taken.add(candidate.casefold())
    return candidate


class _Sheet:
    """A forum's worksheet while it is written."""

    def __init__(self, worksheet, number: int):
        self.worksheet = worksheet
        self.number = number
        self.row = 0  # the last row written (0: the header)
        self.links = 0
        self.supports = 0  # of the ranked rows
        self.supports_hidden = False
        self.unranked = 0


def write_xlsx(header: ResultHeader, rows: Iterable[ResultRow], target: str | BinaryIO) -> None:
    """Write the XLSX workbook of ``rows`` to ``target`` (a path or a binary file)."""
    workbook = xlsxwriter.Workbook(
        target,
        {
            "constant_memory": True,
            "strings_to_numbers": False,
            "strings_to_formulas": False,
            "strings_to_urls": False,
        },
    )
    workbook.set_properties({"title": safe_cell(header.title), "author": "Hiến kế"})
    cells = {
        "text": {"valign": "top"},
        "long": {"valign": "top", "text_wrap": True},
        "int": {"valign": "top", "num_format": "0"},
        "date": {"valign": "top", "num_format": DATE_FORMAT},
        "link": {"valign": "top", "font_color": "blue", "underline": 1},
    }
    formats = {
        "header": workbook.add_format({"bold": True, "text_wrap": True, "valign": "top", "bg_color": "#DDE7F0", "border": 1}),
        "title": workbook.add_format({"bold": True, "font_size": 14}),
        "bold": workbook.add_format({"bold": True}),
        **{name: workbook.add_format(properties) for name, properties in cells.items()},
    }
    unranked_formats = {**formats, **{name: workbook.add_format({**properties, "bg_color": UNRANKED_FILL})
                                      for name, properties in cells.items()}}
    cols = columns(header)
    taken: set[str] = set()
    summary = workbook.add_worksheet(sheet_name(_("Tổng hợp"), taken))
    sheets: dict[int, _Sheet] = {}

    def sheet_for(number: int) -> _Sheet:
        if number not in sheets:
            worksheet = workbook.add_worksheet(sheet_name(_("Diễn đàn %(number)s", number=number), taken))
            worksheet.set_row(0, HEADER_HEIGHT)  # two lines: readers do not grow a wrapped row
            for index, col in enumerate(cols):
                kind_format = formats["long"] if col.kind == LONG else None
                worksheet.set_column(index, index, col.width, kind_format)
                worksheet.write_string(0, index, safe_cell(col.header), formats["header"])
            worksheet.freeze_panes(1, 0)
            _print_setup(worksheet, repeat_row=0)
            sheets[number] = _Sheet(worksheet, number)
        return sheets[number]

    for forum in header.forums:
        sheet_for(forum.number)
    for row in rows:
        sheet = sheet_for(row.forum_number)
        sheet.row += 1
        _write_row(sheet, row, cols, formats if row.ranked else unranked_formats)
    for sheet in sheets.values():
        sheet.worksheet.autofilter(0, 0, sheet.row, len(cols) - 1)
    _write_summary(summary, header, sheets, formats)
    workbook.close()


def row_height(values: dict, cols) -> float | None:
    """The height (points) that shows the row's wrapped texts whole, up to Excel's
    largest row; None for a row of one line. Neither Excel nor LibreOffice grows a row
    for wrapped text it did not lay out itself, so without this, lines overlap the next
    row in print and cells show one line on screen. Lines are estimated from the column
    widths (a width is about that many characters of the default font)."""
    lines = 1
    for col in cols:
        text = values.get(col.key)
        if col.kind != LONG or not text:
            continue
        per_line = max(1, col.width - 2)
        needed = sum(max(1, -(-len(part) // per_line)) for part in str(text).split("\n"))
        lines = max(lines, needed)
    return min(MAX_ROW_HEIGHT, lines * LINE_HEIGHT) if lines > 1 else None


def _write_row(sheet: _Sheet, row: ResultRow, cols, formats) -> None:
    worksheet, number = sheet.worksheet, sheet.row
    values = row_values(row)
    height = row_height(values, cols)
    if height is not None:
        worksheet.set_row(number, height)
    if not row.ranked:
        sheet.unranked += 1  # not in the forum's count or total of supports
    elif row.supports is None:
        sheet.supports_hidden = True
    else:
        sheet.supports += row.supports
    for index, col in enumerate(cols):
        value = values[col.key]
        if value is None or value == "":
            worksheet.write_blank(number, index, None, formats["long"] if col.kind == LONG else formats["text"])
        elif col.kind == INT:
            worksheet.write_number(number, index, value, formats["int"])
        elif col.kind == MOMENT:
            moment = vietnam_time(value).replace(tzinfo=None)
            worksheet.write_datetime(number, index, moment, formats["date"])
        elif col.kind == URL and _can_link(sheet, value):
            sheet.links += 1
            worksheet.write_url(number, index, value, formats["link"], string=value)
        else:
            worksheet.write_string(number, index, safe_cell(value), formats["long" if col.kind == LONG else "text"])
    # XlsxWriter keeps each set_row() height for good (row_info; row_sizes, which only
    # places images), even in constant_memory mode, where a row is written out when the
    # next one starts: the previous row's are not needed any more
    # (tests/results/test_exports_streaming.py checks that memory stays flat).
    worksheet.row_info.pop(number - 1, None)
    worksheet.row_sizes.pop(number - 1, None)


def _print_setup(worksheet, repeat_row: int) -> None:
    """Printed on A4 landscape, the header row on every page."""
    worksheet.set_paper(9)
    worksheet.set_landscape()
    worksheet.repeat_rows(repeat_row)


def _can_link(sheet: _Sheet, url: str) -> bool:
    return (
        sheet.links < LINKS_PER_SHEET
        and len(url) <= URL_LENGTH_LIMIT
        and url.isascii()
        and _LINKABLE.match(url) is not None
    )


def _write_summary(worksheet, header: ResultHeader, sheets: dict[int, _Sheet], formats) -> None:
    """The first sheet: what the file holds, per forum, with the digests of frozen results."""
    worksheet.write_string(0, 0, safe_cell(header.title), formats["title"])
    worksheet.write_string(1, 0, safe_cell(_("Lập lúc (giờ Việt Nam)")), formats["bold"])
    worksheet.write_datetime(1, 1, vietnam_time(header.generated_at).replace(tzinfo=None), formats["date"])
    worksheet.write_string(2, 0, safe_cell(_("Điều kiện lọc")), formats["bold"])
    worksheet.write_string(2, 1, safe_cell("; ".join(header.filters) or _("Không có")))
    worksheet.write_string(3, 0, safe_cell(_("Khoảng thời gian")), formats["bold"])
    span = " – ".join(day.strftime("%d/%m/%Y") if day else "…" for day in (header.date_from, header.date_to))
    worksheet.write_string(3, 1, safe_cell(span if header.date_from or header.date_to else _("Toàn bộ")))

    top = 5
    titles = [
        (_("Diễn đàn số"), 24),
        (_("Tên chính thức"), 50),
        (_("Trang tính"), 14),
        (_("Số đề xuất"), 12),
        (_("Tổng lượt ủng hộ"), 16),
        (_("Đóng lúc (giờ Việt Nam)"), 22),
        (_("Mã băm kết quả (SHA-256)"), 70),
    ]
    with_unranked = header.include_hidden or header.include_withdrawn
    if with_unranked:
        titles.append((_("Hiến kế không xếp hạng (đã ẩn, đã rút)"), 22))
    worksheet.set_row(top, HEADER_HEIGHT)
    for index, (title, width) in enumerate(titles):
        worksheet.set_column(index, index, width)
        worksheet.write_string(top, index, safe_cell(title), formats["header"])
    forums = {forum.number: forum for forum in header.forums}
    number = top
    total_proposals, total_supports, total_unranked, any_hidden = 0, 0, 0, False
    for forum_number, sheet in sheets.items():
        number += 1
        forum = forums.get(forum_number)
        worksheet.write_number(number, 0, forum_number, formats["int"])
        worksheet.write_string(number, 1, safe_cell(forum.official_name if forum else ""), formats["long"])
        worksheet.write_string(number, 2, safe_cell(sheet.worksheet.get_name()))
        worksheet.write_number(number, 3, sheet.row - sheet.unranked, formats["int"])
        total_proposals += sheet.row - sheet.unranked
        total_unranked += sheet.unranked
        if with_unranked:
            worksheet.write_number(number, 7, sheet.unranked, formats["int"])
        if sheet.supports_hidden:
            any_hidden = True
            worksheet.write_blank(number, 4, None)
        else:
            total_supports += sheet.supports
            worksheet.write_number(number, 4, sheet.supports, formats["int"])
        if forum and forum.closed_at:
            worksheet.write_datetime(number, 5, vietnam_time(forum.closed_at).replace(tzinfo=None), formats["date"])
        else:
            worksheet.write_blank(number, 5, None)
        if forum and forum.digest:
            worksheet.write_string(number, 6, safe_cell(forum.digest))
    worksheet.autofilter(top, 0, number, len(titles) - 1)
    number += 1
    worksheet.write_string(number, 0, safe_cell(_("Tổng cộng")), formats["bold"])
    worksheet.write_number(number, 3, total_proposals, formats["int"])
    if any_hidden:
        worksheet.write_blank(number, 4, None)
    else:
        worksheet.write_number(number, 4, total_supports, formats["int"])
    if with_unranked:
        worksheet.write_number(number, 7, total_unranked, formats["int"])
    worksheet.freeze_panes(top + 1, 0)
    _print_setup(worksheet, repeat_row=top)
