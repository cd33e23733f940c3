"""One export from the organizer's choices to a file, for the results page and for
``flask results export``: the rows (``ranking.build_result``), the writer of the
format, the file's name, and the audit entry (an export is a staff action)."""
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from flask_babel import gettext as _

from forum.core.audit import record_audit
from forum.core.formatting import date_filter
from forum.forums.statuses import custom_status_choices
from forum.proposals.models import ProposalStatus
from forum.results.exports.csv_writer import write_csv
from forum.results.exports.docx_writer import write_docx
from forum.results.exports.json_writer import write_json
from forum.results.exports.naming import filename_for
from forum.results.exports.xlsx_writer import write_xlsx
from forum.results.ranking import ExportRequest, build_result

MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}
STREAMED = {"csv": write_csv, "json": write_json}  # generators of bytes
WRITTEN = {"xlsx": write_xlsx, "docx": write_docx}  # write into a file object
EXPORTED_STATUSES = (ProposalStatus.PUBLISHED, ProposalStatus.UNDER_REVIEW, ProposalStatus.ACCEPTED,
                     ProposalStatus.REJECTED)


def status_choices(forums) -> list[tuple[str, str]]:
    """The statuses an export may choose: the built-in ones a listed proposal can have,
    then the forums' custom ones."""
    return [(status.value, status.label) for status in EXPORTED_STATUSES] + custom_status_choices(
        forum.id for forum in forums)


def describe(request: ExportRequest, statuses: dict[str, str]) -> tuple[str, ...]:
    """The choices in words, for the file's title page and the audit entry."""
    words = []
    if request.forum_numbers:
        words.append(_("Diễn đàn: %(numbers)s", numbers=", ".join(str(n) for n in sorted(request.forum_numbers))))
    if request.statuses:
        words.append(_("Trạng thái: %(names)s", names=", ".join(statuses.get(s, s) for s in request.statuses)))
    if request.date_from:
        words.append(_("Gửi từ ngày %(day)s", day=date_filter(request.date_from)))
    if request.date_to:
        words.append(_("Gửi đến ngày %(day)s", day=date_filter(request.date_to)))
    if request.min_supports:
        words.append(_("Ít nhất %(count)s lượt ủng hộ", count=request.min_supports))
    if request.top:
        words.append(_("%(count)s hiến kế đầu bảng chung", count=request.top) if request.overall
                     else _("%(count)s hiến kế đầu bảng mỗi diễn đàn", count=request.top))
    if request.include_hidden:
        words.append(_("Kèm hiến kế đã ẩn (không xếp hạng)"))
    if request.include_withdrawn:
        words.append(_("Kèm hiến kế đã rút (không xếp hạng)"))
    return tuple(words)


@dataclass(frozen=True)
class ExportFile:
    filename: str
    media_type: str
    chunks: Iterator[bytes] | None  # CSV and JSON stream
    write: object | None  # XLSX and DOCX: write(target) fills a file object


def prepare_export(request: ExportRequest, fmt: str, *, actor) -> ExportFile:
    """Build the export (freezing a closed forum's result if needed) and record it in
    the audit log; the caller commits, then streams or writes the file."""
    header, rows = build_result(request, actor=actor)
    record_audit("results.export", None, actor=actor, after={
        "format": fmt, "forums": list(request.forum_numbers) or "all", "filters": list(request.filters_in_words),
        "include_hidden": request.include_hidden, "include_withdrawn": request.include_withdrawn,
        "digests": {section.number: section.digest for section in header.forums if section.digest},
    })
    name = filename_for(header, fmt)
    if fmt in STREAMED:
        return ExportFile(name, MEDIA_TYPES[fmt], STREAMED[fmt](header, rows), None)

    def write(target: BinaryIO) -> None:
        WRITTEN[fmt](header, rows, target)

    return ExportFile(name, MEDIA_TYPES[fmt], None, write)
