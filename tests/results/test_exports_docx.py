"""DOCX export, read back with python-docx."""
import io

import docx

from forum.results.exports.docx_writer import write_docx
from tests.results.export_rows import DIGEST, FORMULAS, LONG_BODY, NFD, hostile_rows, make_header, ordinary_rows


def document_of(header, rows):
    target = io.BytesIO()
    write_docx(header, rows, target)
    target.seek(0)
    return docx.Document(target)


def headings(document, level):
    return [p.text for p in document.paragraphs if p.style.name == f"Heading {level}"]


def test_report_structure(context):
    document = document_of(make_header(), ordinary_rows())
    texts = [p.text for p in document.paragraphs]
    assert texts[0] == "Kết quả hiến kế"
    assert "Diễn đàn số 1: Tiền lương, thu nhập của người lao động" in texts[1]
    assert "Ngày 30/11/2023" in texts
    assert headings(document, 1) == [
        "Diễn đàn số 1: Tiền lương, thu nhập của người lao động",
        "Diễn đàn số 2: Tiền lương, thu nhập của người lao động",
    ]
    assert headings(document, 2) == ["Bảo hiểm xã hội", "An toàn lao động", "Bảo hiểm xã hội"]
    assert headings(document, 3) == [
        "1. Đề xuất tăng lương tối thiểu vùng số 1",
        "2. Đề xuất tăng lương tối thiểu vùng số 2",
        "1. Đề xuất tăng lương tối thiểu vùng số 1",
    ]
    body = "\n".join(texts)
    assert f"Kết quả đã chốt, mã băm (SHA-256): {DIGEST}" in body
    assert "Xếp hạng trực tiếp, chưa chốt." in body  # forum 2
    assert "Lượt ủng hộ: 39" in body
    assert "Lượt ủng hộ: ẩn cho đến khi diễn đàn đóng" in body
    assert "Tác giả: Nguyễn Thị Hằng — Công đoàn cơ sở Công ty May Việt Tiến, Thành phố Hồ Chí Minh" in body
    assert "Ban soạn thảo đã tiếp thu." in texts
    assert "Đoạn một." in texts and "Đoạn hai: người lao động ở khu công nghiệp." in texts
    assert "Lê Văn Tám — LĐLĐ tỉnh Đồng Nai, 03/11/2023: Đồng ý, cần lộ trình." in texts


def test_fields_and_font(context):
    document = document_of(make_header(), ordinary_rows())
    body = document.element.xml
    assert 'TOC \\o "1-3"' in body
    assert body.count('w:fldCharType="begin"') == 1
    footer = document.sections[0].footer._element.xml
    assert " PAGE " in footer
    assert document.settings.element.xml.count("w:updateFields") == 1
    normal = document.styles["Normal"]
    assert normal.font.name == "Times New Roman"
    fonts = normal.element.rPr.rFonts
    for attribute in ("ascii", "hAnsi", "eastAsia", "cs"):
        assert fonts.get(f"{{http://schemas.openxmlformats.org/wordprocessingml/2006/main}}{attribute}") == "Times New Roman"
    # until updated, the contents list the forums and themes
    contents = next(p for p in document.paragraphs if "Mục lục được cập nhật" in p.text)
    assert "Diễn đàn số 2: Tiền lương, thu nhập của người lao động" in contents.text


def test_hostile_text_keeps_the_file_valid(context):
    document = document_of(make_header((1,)), hostile_rows())
    texts = "\n".join(p.text for p in document.paragraphs)
    assert FORMULAS[0] in texts  # a report is no spreadsheet: the text as written
    assert "abcde" in texts and "\x00" not in texts and "\x0b" not in texts
    assert "Công đoàn" in texts and NFD not in texts
    assert LONG_BODY.strip() in texts


def test_a_forum_without_proposals(context):
    document = document_of(make_header((1, 2)), ordinary_rows()[:2])
    assert "Không có hiến kế nào." in [p.text for p in document.paragraphs]


def test_themes_come_from_the_best_ranked_proposal_down(context):
    """The report reads from rank 1 on: the theme of the best-ranked proposal first,
    whatever the alphabet says; proposals without a theme last."""
    from tests.results.export_rows import make_row

    rows = [make_row(rank=1, theme="Việc làm"), make_row(rank=2, theme="An sinh"), make_row(rank=3, theme=""),
            make_row(rank=4, theme="Việc làm")]
    document = document_of(make_header((1,)), rows)
    assert [h for h in headings(document, 2)] == ["Việc làm", "An sinh", "Chưa phân chủ đề"]
