"""A header (title, forums' names, filters) with hostile text: every format stays valid,
and no spreadsheet cell becomes a formula."""
import csv
import io
import json

import docx
import openpyxl

from forum.results.exports.csv_writer import write_csv
from forum.results.exports.docx_writer import write_docx
from forum.results.exports.json_writer import write_json
from forum.results.exports.xlsx_writer import write_xlsx
from tests.results.export_rows import hostile_header, hostile_rows

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def test_csv_and_json(context):
    data = b"".join(write_csv(hostile_header(), hostile_rows()))[3:].decode("utf-8")
    for line in csv.reader(io.StringIO(data, newline="")):
        assert not any(value.startswith(FORMULA_STARTS) for value in line)
    document = json.loads(b"".join(write_json(hostile_header(), hostile_rows())))
    assert document["title"] == '=HYPERLINK("http://evil.example")abcde'
    assert document["forums"][0]["official_name"] == "@SUM(1) Công đoàn"
    assert document["filters"] == ["-1+2abcde", "Công đoàn"]


def test_xlsx(context):
    target = io.BytesIO()
    write_xlsx(hostile_header(), hostile_rows(), target)
    target.seek(0)
    book = openpyxl.load_workbook(target)
    for ws in book.worksheets:
        for line in ws.iter_rows():
            for cell in line:
                assert cell.data_type != "f"
                assert not (isinstance(cell.value, str) and cell.value.startswith(FORMULA_STARTS)), cell.coordinate
    summary = book.worksheets[0]
    assert summary["A1"].value == "'=HYPERLINK(\"http://evil.example\")abcde"
    assert summary["B3"].value == "'-1+2abcde; Công đoàn"
    assert summary["B7"].value == "'@SUM(1) Công đoàn"
    assert book.worksheets[1].cell(row=2, column=7).alignment.wrap_text  # long text wraps


def test_docx(context):
    target = io.BytesIO()
    write_docx(hostile_header(), hostile_rows(), target)
    target.seek(0)
    texts = [p.text for p in docx.Document(target).paragraphs]
    assert texts[0] == '=HYPERLINK("http://evil.example")abcde'
    assert "@SUM(1) Công đoàn" in texts
