"""The columns of the spreadsheet exports (CSV and XLSX), in one place so that both
formats say the same thing in the same order. Headers are translated when called."""
from dataclasses import dataclass

from flask_babel import gettext as _

from forum.core.text import vietnamese_sort_key
from forum.results.rows import ResultHeader, ResultRow

# What a column holds, for the writers' formats: int (a number, or empty), text, long
# (wrapped text), url (a link) and moment (a date and time).
INT, TEXT, LONG, URL, MOMENT = "int", "text", "long", "url", "moment"


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    kind: str
    width: int  # in characters, for XLSX


def columns(header: ResultHeader | None = None) -> list[Column]:
    """The columns of issue 9, in order (CSV adds the forum's digest at the end). An
    export that holds hidden proposals adds why each was hidden, after the others."""
    return [
        Column("rank", _("Thứ hạng"), INT, 9),
        Column("forum_number", _("Diễn đàn số"), INT, 10),
        Column("forum_title", _("Diễn đàn"), TEXT, 28),
        Column("theme", _("Chủ đề"), TEXT, 24),
        Column("proposal_id", _("Mã đề xuất"), INT, 11),
        Column("title", _("Tiêu đề"), LONG, 40),
        Column("text", _("Nội dung"), LONG, 80),
        Column("author", _("Tác giả"), TEXT, 24),
        Column("unit", _("Đơn vị"), TEXT, 30),
        Column("province", _("Tỉnh, thành phố"), TEXT, 18),
        Column("supports", _("Lượt ủng hộ"), INT, 11),
        Column("supports_by_province", _("Ủng hộ theo tỉnh, thành phố"), LONG, 30),
        Column("supports_by_level", _("Ủng hộ theo cấp công đoàn"), LONG, 30),
        Column("comments", _("Bình luận"), INT, 10),
        Column("status", _("Trạng thái"), TEXT, 18),
        Column("answer", _("Trả lời chính thức"), LONG, 60),
        Column("merged", _("Đề xuất đã gộp"), TEXT, 16),
        Column("co_authors", _("Đồng tác giả"), TEXT, 24),
        Column("url", _("Liên kết"), URL, 40),
        Column("submitted_at", _("Gửi lúc (giờ Việt Nam)"), MOMENT, 18),
    ] + ([Column("hidden_reason", _("Lý do ẩn"), LONG, 40)] if header is not None and header.include_hidden else [])


def status_text(row: ResultRow) -> str:
    """The status as a reader of the file sees it: a hidden proposal says so first
    ("Đã ẩn (Đã đăng)"); a withdrawn one's status is "Đã rút" already."""
    return _("Đã ẩn (%(status)s)", status=row.status_label) if row.hidden else row.status_label


def tally_text(tally: dict[str, int]) -> str:
    """A breakdown of supports as one cell: "Hà Nội: 12; Đồng Nai: 3", the largest first,
    equal counts in Vietnamese alphabetical order."""
    ordered = sorted(tally.items(), key=lambda item: (-item[1], vietnamese_sort_key(item[0])))
    return "; ".join(f"{name}: {count}" for name, count in ordered)


def row_values(row: ResultRow) -> dict[str, object]:
    """The raw value of every column for ``row`` (not yet made safe). Hidden tallies
    (``supports is None``) hide their breakdowns too; an unranked row has an empty rank
    (``None``) and no breakdowns."""
    hidden = row.supports is None
    return {
        "rank": row.rank,
        "forum_number": row.forum_number,
        "forum_title": row.forum_title,
        "theme": row.theme,
        "proposal_id": row.proposal_id,
        "title": row.title,
        "text": row.text,
        "author": row.author,
        "unit": row.unit,
        "province": row.province,
        "supports": row.supports,
        "supports_by_province": "" if hidden else tally_text(row.supports_by_province),
        "supports_by_level": "" if hidden else tally_text(row.supports_by_level),
        "comments": row.comments,
        "status": status_text(row),
        "answer": row.answer,
        "merged": "; ".join(f"#{number}" for number in row.merged_ids),
        "co_authors": "; ".join(row.co_authors),
        "url": row.url,
        "submitted_at": row.submitted_at,
        "hidden_reason": row.hidden_reason,
    }
