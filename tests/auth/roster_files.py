"""Roster files built in the tests (no binary fixture is committed): CSV bytes in any
encoding and XLSX workbooks written by openpyxl."""
import io
import unicodedata
from datetime import datetime

from openpyxl import Workbook

HEADER = ["Họ và tên", "Email", "Số điện thoại", "Đơn vị", "Tỉnh/thành phố", "Ngành", "Cấp công đoàn", "Đoàn đại biểu", "Vai trò"]


def person(n: int, **fields) -> list:
    values = {
        "full_name": f"Nguyễn Văn {n}",
        "email": f"daibieu{n}@congdoan.vn",
        "phone": f"09{n:08d}",
        "unit": "LĐLĐ tỉnh Phú Thọ",
        "province": "Phú Thọ",
        "sector": "Giáo dục",
        "union_level": "Công đoàn cấp tỉnh",
        "delegation": "Đoàn Phú Thọ",
        "role": "",
    } | fields
    return [values[name] for name in ("full_name", "email", "phone", "unit", "province", "sector", "union_level", "delegation", "role")]


def csv_bytes(rows, *, header=HEADER, delimiter=",", encoding="utf-8", bom=False) -> bytes:
    def cell(value) -> str:
        text = str(value)
        if any(char in text for char in (delimiter, '"', "\n")):
            text = '"' + text.replace('"', '""') + '"'
        return text

    lines = [delimiter.join(cell(value) for value in row) for row in ([header] if header else []) + list(rows)]
    text = "\r\n".join(lines) + "\r\n"
    data = cp1258(text) if encoding == "cp1258" else text.encode(encoding)
    return (b"\xef\xbb\xbf" + data) if bom else data


def xlsx_bytes(rows, *, header=HEADER, second_sheet=None) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    if header:
        sheet.append(header)
    for row in rows:
        sheet.append(list(row))
    if second_sheet:
        other = workbook.create_sheet("Khác")
        for row in second_sheet:
            other.append(list(row))
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()


EXCEL_DATE = datetime(2025, 7, 1)


_TONES = "\u0300\u0301\u0303\u0309\u0323"


def cp1258(text: str) -> bytes:
    """``text`` as Windows-1258 writes Vietnamese: a letter (with its circumflex, breve
    or horn) and then its tone as a separate combining byte."""
    out = b""
    for char in text:
        try:
            out += char.encode("cp1258")
        except UnicodeEncodeError:
            parts = unicodedata.normalize("NFD", char)
            base = unicodedata.normalize("NFC", "".join(c for c in parts if c not in _TONES))
            out += base.encode("cp1258") + "".join(c for c in parts if c in _TONES).encode("cp1258")
    return out
