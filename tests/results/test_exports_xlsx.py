"""XLSX export, read back with openpyxl."""
import io
from datetime import datetime

import openpyxl

from forum.results.exports.xlsx_writer import sheet_name, write_xlsx
from tests.results.export_rows import DIGEST, FORMULAS, hostile_rows, make_header, make_row, ordinary_rows


def workbook_of(header, rows):
    target = io.BytesIO()
    write_xlsx(header, rows, target)
    target.seek(0)
    return openpyxl.load_workbook(target)


def records(ws):
    lines = list(ws.iter_rows(values_only=True))
    return [dict(zip(lines[0], line, strict=True)) for line in lines[1:]]


def test_sheets_headers_and_cells(context):
    rows = ordinary_rows()
    book = workbook_of(make_header(), rows)
    assert book.sheetnames == ["Tổng hợp", "Diễn đàn 1", "Diễn đàn 2"]
    ws = book["Diễn đàn 1"]
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == "A1:T3"
    assert ws.column_dimensions["G"].width > ws.column_dimensions["A"].width
    first, second = records(ws)
    assert first["Thứ hạng"] == 1 and isinstance(first["Thứ hạng"], int)
    assert first["Mã đề xuất"] == 1001
    assert first["Lượt ủng hộ"] == 39 and isinstance(first["Lượt ủng hộ"], int)
    assert first["Bình luận"] == 3
    assert first["Tiêu đề"] == rows[0].title
    assert first["Nội dung"] == rows[0].text
    assert first["Ủng hộ theo tỉnh, thành phố"] == "Hà Nội: 12; Đồng Nai: 3"
    assert first["Trạng thái"] == "Được tiếp thu"
    assert first["Gửi lúc (giờ Việt Nam)"] == datetime(2023, 11, 2, 10, 30)  # Vietnam time, naive
    assert ws["U2"].value is None  # no digest column in XLSX: the summary holds it
    link = ws.cell(row=2, column=19)
    assert link.value == rows[0].url and link.hyperlink.target == rows[0].url
    assert second["Trả lời chính thức"] is None  # no answer: an empty cell
    assert records(book["Diễn đàn 2"])[0]["Lượt ủng hộ"] is None  # hidden: empty, never 0
    assert records(book["Diễn đàn 2"])[0]["Ủng hộ theo tỉnh, thành phố"] is None


def test_summary(context):
    book = workbook_of(make_header(), ordinary_rows())
    ws = book["Tổng hợp"]
    assert ws["A1"].value == "Kết quả hiến kế"
    assert ws["B2"].value == datetime(2023, 11, 30, 17, 5)
    assert ws["B3"].value == "Trạng thái: Được tiếp thu"
    assert ws.freeze_panes == "A7"
    assert [cell.value for cell in ws[6]][:5] == ["Diễn đàn số", "Tên chính thức", "Trang tính", "Số đề xuất", "Tổng lượt ủng hộ"]
    one, two, total = ([cell.value for cell in ws[n]] for n in (7, 8, 9))
    assert one == [1, "Diễn đàn số 1: Tiền lương, thu nhập của người lao động", "Diễn đàn 1", 2, 39 + 38,
                   datetime(2023, 11, 29, 17, 0), DIGEST]
    assert two[:5] == [2, "Diễn đàn số 2: Tiền lương, thu nhập của người lao động", "Diễn đàn 2", 1, None]
    assert two[6] is None
    assert total[0] == "Tổng cộng" and total[3] == 3 and total[4] is None  # a hidden tally hides the total


def test_hostile_text_never_becomes_a_formula(context):
    book = workbook_of(make_header((1,)), hostile_rows())
    ws = book["Diễn đàn 1"]
    for line in ws.iter_rows(min_row=2):
        for cell in line:
            assert cell.data_type != "f", cell.coordinate
            if isinstance(cell.value, str):
                assert not cell.value.startswith(("=", "+", "-", "@", "\t", "\r")), cell.coordinate
                assert not any(char in cell.value for char in "\x00\x0b\x1f\ud800")
    by_rank = {line["Thứ hạng"]: line for line in records(ws)}
    assert by_rank[1]["Tiêu đề"] == "'" + FORMULAS[0]
    assert by_rank[5]["Tác giả"] == "'\t=1"
    assert by_rank[7]["Nội dung"] == "abcde"
    assert by_rank[8]["Đơn vị"] == "Công đoàn"
    assert len(by_rank[9]["Nội dung"]) == 21_000


def test_overlong_cells_and_links_stay_valid(context):
    row = make_row(1, 1, text="x" * 40_000, url="https://hienke.congdoan.vn/" + "a" * 300)
    odd = make_row(2, 1, url="javascript:alert(1)")
    ws = workbook_of(make_header((1,)), [row, odd])["Diễn đàn 1"]
    first, second = records(ws)
    assert len(first["Nội dung"]) == 32_767 and first["Nội dung"].endswith("…")
    assert ws.cell(row=2, column=19).hyperlink is None  # too long for Excel: text
    assert first["Liên kết"] == row.url
    assert ws.cell(row=3, column=19).hyperlink is None and second["Liên kết"] == "javascript:alert(1)"


def test_sheet_names_are_safe():
    taken = set()
    assert sheet_name("Diễn đàn 1", taken) == "Diễn đàn 1"
    assert sheet_name("Diễn đàn 1", taken) == "Diễn đàn 1 (2)"
    name = sheet_name("'[Báo/cáo]: *rất* dài? " + "x" * 40, taken)
    assert len(name) <= 31 and not set(name) & set("[]:*?/\\") and not name.startswith("'")


def test_rows_are_tall_enough_for_their_wrapped_text(context):
    """Readers do not grow a row for wrapped text they did not lay out (LibreOffice's
    print overlapped the lines): rows get a height for their longest text, up to Excel's
    largest row; a one-line row keeps the default."""
    short = make_row(1, 1, text="Ngắn.", title="Một dòng", answer="", main_comments=(), supports_by_level={"Cơ sở": 10})
    paragraphs = make_row(2, 1, text="\n".join(f"Đoạn {n}." for n in range(6)))
    long = make_row(3, 1, text="người lao động " * 30)
    huge = make_row(4, 1, text="công đoàn cơ sở " * 5000)
    ws = workbook_of(make_header(), [short, paragraphs, long, huge])["Diễn đàn 1"]
    heights = [ws.row_dimensions[row].height for row in range(2, 6)]
    assert heights[0] is None
    assert heights[1] == 6 * 15  # six short paragraphs: six lines
    assert heights[2] == 6 * 15  # 450 characters in a column 80 wide
    assert 408 <= heights[3] <= 409  # Excel's largest row (XlsxWriter stores it in pixels)
