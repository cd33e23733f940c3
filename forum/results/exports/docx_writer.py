"""DOCX export with python-docx: the report the drafting committee reads.

A title page (the title, the forums' official names, the day, the filters), a table of
contents (a ``TOC`` field: Word fills it when the file opens, LibreOffice with Tools →
Update), then a heading per forum (with the digest of its frozen result) and per theme,
and under it each proposal in rank order: supports, author and unit, status, text,
official answer, main comments. Hidden and withdrawn proposals, when the organizer asked
for them, are in no ranking: they come after the ranked ones of their forum in a
subsection of their own ("Hiến kế đã ẩn hoặc đã rút (không xếp hạng)"), without a
number, their status (and why a hidden one was hidden) said. Page numbers in the footer
(a ``PAGE`` field).

Fields have no python-docx API: they are added as elements through python-docx's
``oxml`` layer. Every text is in Times New Roman (the font of Vietnamese offices; Word
and LibreOffice, which substitutes Liberation Serif, have every Vietnamese letter), set
for the Latin, East Asian and complex scripts alike so that no run falls back to a font
without the diacritics."""
from collections.abc import Iterable
from typing import BinaryIO

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Pt
from flask_babel import gettext as _

from forum.core.formatting import number_filter
from forum.core.text import affiliation
from forum.results.exports.cells import clean_text, vietnam_day, vietnam_time
from forum.results.exports.columns import status_text
from forum.results.rows import ForumSection, ResultHeader, ResultRow

FONT = "Times New Roman"
STYLES = ("Normal", "Title", "Subtitle", "Heading 1", "Heading 2", "Heading 3", "Quote")


def _set_font(style, size: Pt | None = None) -> None:
    style.font.name = FONT
    if size is not None:
        style.font.size = size
    fonts = style.element.get_or_add_rPr().get_or_add_rFonts()
    for attribute in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(attribute), FONT)
    for attribute in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(attribute), None)  # a theme font would win over ours


def _field(paragraph, instruction: str, placeholder: str = ""):
    """A complex field (``w:fldChar`` begin, ``w:instrText``, separate, result, end) in
    ``paragraph``, marked dirty so that Word updates it when the file opens. Returns the
    run of its (placeholder) result."""

    def run_with(element) -> None:
        run = paragraph.add_run()
        run._r.append(element)

    begin = OxmlElement("w:fldChar")
    begin.set(qn("w:fldCharType"), "begin")
    begin.set(qn("w:dirty"), "true")
    run_with(begin)
    instr = OxmlElement("w:instrText")
    instr.set(qn("xml:space"), "preserve")
    instr.text = f" {instruction} "
    run_with(instr)
    separate = OxmlElement("w:fldChar")
    separate.set(qn("w:fldCharType"), "separate")
    run_with(separate)
    result = paragraph.add_run(placeholder)
    end = OxmlElement("w:fldChar")
    end.set(qn("w:fldCharType"), "end")
    run_with(end)
    return result


def _update_fields_on_open(document) -> None:
    """Ask Word to update the fields (the table of contents) when it opens the file."""
    settings = document.settings.element
    update = OxmlElement("w:updateFields")
    update.set(qn("w:val"), "true")
    settings.append(update)


def _label(paragraph, label: str, value: str) -> None:
    paragraph.add_run(clean_text(label) + " ").bold = True
    paragraph.add_run(clean_text(value))


def _title_page(document, header: ResultHeader):
    """The title page and the table of contents; returns the run of the contents'
    placeholder (filled with the headings once they are known)."""
    document.add_paragraph(clean_text(header.title), style="Title").alignment = WD_ALIGN_PARAGRAPH.CENTER
    for forum in header.forums:
        paragraph = document.add_paragraph(clean_text(forum.official_name), style="Subtitle")
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    day = vietnam_day(header.generated_at)
    dated = document.add_paragraph(_("Ngày %(day)s", day=day.strftime("%d/%m/%Y")))
    dated.alignment = WD_ALIGN_PARAGRAPH.CENTER
    if header.date_from or header.date_to:
        span = " – ".join(d.strftime("%d/%m/%Y") if d else "…" for d in (header.date_from, header.date_to))
        _label(document.add_paragraph(), _("Khoảng thời gian:"), span)
    for text in header.filters:
        _label(document.add_paragraph(), _("Điều kiện lọc:"), text)
    document.add_page_break()
    document.add_paragraph(_("Mục lục"), style="Title")
    contents = _field(
        document.add_paragraph(),
        'TOC \\o "1-3" \\h \\z \\u',
        _("Mục lục được cập nhật khi mở tệp (Word) hoặc bằng Công cụ → Cập nhật (LibreOffice)."),
    )
    document.add_page_break()
    return contents


def _forum_heading(document, forum: ForumSection | None, number: int, title: str) -> None:
    document.add_heading(clean_text(forum.official_name if forum else title) or _("Diễn đàn %(number)s", number=number), level=1)
    if forum is None:
        return
    if forum.digest:
        paragraph = document.add_paragraph()
        _label(paragraph, _("Kết quả đã chốt, mã băm (SHA-256):"), forum.digest)
        if forum.closed_at:
            paragraph.add_run(" " + _("(đóng lúc %(moment)s)", moment=vietnam_time(forum.closed_at).strftime("%H:%M %d/%m/%Y")))
    else:
        document.add_paragraph(_("Xếp hạng trực tiếp, chưa chốt."))


def _proposal(document, row: ResultRow) -> None:
    document.add_heading(f"{row.rank}. {clean_text(row.title)}" if row.ranked else clean_text(row.title), level=3)
    if not row.ranked and row.theme:  # the ranked ones are under their theme's heading
        _label(document.add_paragraph(), _("Chủ đề:"), row.theme)
    supports = _("ẩn cho đến khi diễn đàn đóng") if row.supports is None else number_filter(row.supports)
    _label(document.add_paragraph(), _("Lượt ủng hộ:"), supports)
    where = affiliation(row.unit, row.province)
    author = clean_text(row.author) + (f" — {clean_text(where)}" if where else "")
    _label(document.add_paragraph(), _("Tác giả:"), author)
    if row.co_authors:
        _label(document.add_paragraph(), _("Đồng tác giả:"), "; ".join(row.co_authors))
    _label(document.add_paragraph(), _("Trạng thái:"), status_text(row))
    if row.hidden_reason:
        _label(document.add_paragraph(), _("Lý do ẩn:"), row.hidden_reason)
    _label(document.add_paragraph(), _("Liên kết:"), row.url)
    _paragraphs(document, row.text)
    if row.answer:
        document.add_paragraph().add_run(_("Trả lời chính thức")).bold = True
        _paragraphs(document, row.answer, style="Quote")
    if row.main_comments:
        document.add_paragraph().add_run(_("Ý kiến chính")).bold = True
        for comment in row.main_comments:
            paragraph = document.add_paragraph(style="List Bullet")
            who = clean_text(comment.author) + (f" — {clean_text(comment.unit)}" if comment.unit else "")
            paragraph.add_run(f"{who}, {vietnam_time(comment.created_at).strftime('%d/%m/%Y')}: ").bold = True
            paragraph.add_run(clean_text(comment.text))


def _paragraphs(document, text: str, style: str | None = None) -> None:
    """Plain text as paragraphs, one per blank-line-separated block (python-docx turns
    the single newlines left inside a block into line breaks)."""
    for block in clean_text(text).split("\n\n"):
        if block.strip():
            document.add_paragraph(block.strip("\n"), style=style)


def _footer_page_numbers(document) -> None:
    for section in document.sections:
        paragraph = section.footer.paragraphs[0] if section.footer.paragraphs else section.footer.add_paragraph()
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        _field(paragraph, "PAGE", "1")


def _unranked_title(header: ResultHeader) -> str:
    if header.include_hidden and not header.include_withdrawn:
        return _("Hiến kế đã ẩn (không xếp hạng)")
    if header.include_withdrawn and not header.include_hidden:
        return _("Hiến kế đã rút (không xếp hạng)")
    return _("Hiến kế đã ẩn hoặc đã rút (không xếp hạng)")


def _themes_by_best_rank(rows: list[ResultRow]) -> list[str]:
    """The themes of a forum's rows (in rank order), the one holding the best-ranked
    proposal first, so that the report reads from rank 1 on; no theme last."""
    themes = list(dict.fromkeys(row.theme for row in rows))
    return [theme for theme in themes if theme] + ([""] if "" in themes else [])


def write_docx(header: ResultHeader, rows: Iterable[ResultRow], target: str | BinaryIO) -> None:
    """Write the DOCX report of ``rows`` to ``target`` (a path or a binary file).

    Forums come in the header's order; within a forum, proposals are grouped by theme
    (the theme of the best-ranked proposal first, proposals without a theme last), in
    rank order; then the forum's unranked proposals, if any, in their own subsection."""
    document = Document()
    for name in STYLES:
        _set_font(document.styles[name], Pt(13) if name == "Normal" else None)
    _update_fields_on_open(document)
    _footer_page_numbers(document)
    contents = _title_page(document, header)
    by_forum: dict[int, list[ResultRow]] = {forum.number: [] for forum in header.forums}
    for row in rows:  # python-docx holds the whole document in memory anyway
        by_forum.setdefault(row.forum_number, []).append(row)
    forums = {forum.number: forum for forum in header.forums}
    for number, forum_rows in by_forum.items():
        title = forum_rows[0].forum_title if forum_rows else ""
        _forum_heading(document, forums.get(number), number, title)
        ranked = [row for row in forum_rows if row.ranked]
        unranked = [row for row in forum_rows if not row.ranked]
        if not forum_rows:
            document.add_paragraph(_("Không có hiến kế nào."))
        elif not ranked:
            document.add_paragraph(_("Không có hiến kế nào được xếp hạng."))
        themes = _themes_by_best_rank(ranked)
        for theme in themes:
            if themes != [""]:
                document.add_heading(clean_text(theme) or _("Chưa phân chủ đề"), level=2)
            for row in ranked:
                if row.theme == theme:
                    _proposal(document, row)
        if unranked:
            document.add_heading(_unranked_title(header), level=2)
            note = document.add_paragraph(_("Ban Tổ chức đề nghị kèm theo các hiến kế này; chúng không có "
                                            "trong xếp hạng và được xếp theo thời gian gửi."))
            note.runs[0].italic = True
            note.paragraph_format.keep_with_next = True  # never alone at the foot of a page
            for row in unranked:
                _proposal(document, row)
    # Until a reader updates the field (Word does when the file opens), the contents
    # list the forums and their themes, without page numbers.
    indents = {"Heading 1": "", "Heading 2": "\t"}
    entries = [indents[p.style.name] + p.text for p in document.paragraphs if p.style.name in indents]
    contents.text = "\n".join([contents.text, *entries])
    document.core_properties.title = clean_text(header.title)
    document.core_properties.author = "Hiến kế"
    document.save(target)
