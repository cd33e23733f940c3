"""CSV and JSON exports, read back with the standard library's readers."""
import csv
import io
import json


from forum.results.exports.csv_writer import write_csv
from forum.results.exports.json_writer import write_json
from tests.results.export_rows import (
    DIGEST,
    FORMULAS,
    TEXT_FIELDS,
    hostile_rows,
    make_header,
    ordinary_rows,
)


def read_csv(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf")
    text = data[3:].decode("utf-8")
    assert "\r\n" in text
    return list(csv.reader(io.StringIO(text, newline=""), dialect="excel"))


def test_csv_cell_by_cell(context):
    rows = ordinary_rows()
    chunks = write_csv(make_header(), rows)
    assert not isinstance(chunks, list | bytes)  # a generator
    table = read_csv(b"".join(chunks))
    assert table[0][0] == "Thứ hạng" and table[0][-1] == "Mã băm kết quả (SHA-256)"
    assert len(table) == 1 + len(rows)
    first, hidden = table[1], table[3]
    names = table[0]
    cell = dict(zip(names, first, strict=True))
    assert cell["Thứ hạng"] == "1"
    assert cell["Diễn đàn số"] == "1"
    assert cell["Mã đề xuất"] == "1001"
    assert cell["Tiêu đề"] == rows[0].title
    assert cell["Nội dung"] == rows[0].text
    assert cell["Lượt ủng hộ"] == "39"
    assert cell["Ủng hộ theo tỉnh, thành phố"] == "Hà Nội: 12; Đồng Nai: 3"
    assert cell["Ủng hộ theo cấp công đoàn"] == "Cơ sở: 10; Cấp trên trực tiếp cơ sở: 5"
    assert cell["Trạng thái"] == "Được tiếp thu"
    assert cell["Đề xuất đã gộp"] == "#7; #9"
    assert cell["Đồng tác giả"] == "Trần Văn Bình"
    assert cell["Liên kết"] == rows[0].url
    assert cell["Gửi lúc (giờ Việt Nam)"] == "2023-11-02 10:30:00"  # 03:30 UTC
    assert cell["Mã băm kết quả (SHA-256)"] == DIGEST
    hidden_cell = dict(zip(names, hidden, strict=True))
    assert hidden_cell["Lượt ủng hộ"] == ""  # hidden tallies: empty, never 0
    assert hidden_cell["Ủng hộ theo tỉnh, thành phố"] == ""
    assert hidden_cell["Mã băm kết quả (SHA-256)"] == ""  # forum 2 is not frozen


def test_csv_neutralises_hostile_text(context):
    table = read_csv(b"".join(write_csv(make_header(), hostile_rows())))
    names = table[0]
    for line in table[1:]:
        for name, value in zip(names, line, strict=True):
            assert not value.startswith(("=", "+", "-", "@", "\t", "\r")), (name, value)
            assert "\x00" not in value and "\x0b" not in value and "\x1f" not in value
    by_rank = {line[0]: dict(zip(names, line, strict=True)) for line in table[1:]}
    assert by_rank["1"]["Tiêu đề"] == "'" + FORMULAS[0]
    assert by_rank["6"]["Tác giả"] == "'=1"  # "\r=1": the CR goes, the formula stays neutral
    assert by_rank["7"]["Đơn vị"] == "abcde"
    assert by_rank["8"]["Tỉnh, thành phố"] == "Công đoàn"
    assert by_rank["8"]["Ủng hộ theo tỉnh, thành phố"] == "Công đoàn: 2"
    assert len(by_rank["9"]["Nội dung"]) == 21_000  # under Excel's limit: kept whole


def test_json_cell_by_cell(context):
    rows = ordinary_rows()
    document = json.loads(b"".join(write_json(make_header(), rows)))
    assert set(document) == {"title", "generated_at", "date_from", "date_to", "forums", "filters", "proposals"}
    assert document["title"] == "Kết quả hiến kế"
    assert document["generated_at"] == "2023-11-30T17:05:00+07:00"
    assert document["date_from"] == "2023-10-01"
    assert document["filters"] == ["Trạng thái: Được tiếp thu"]
    assert document["forums"][0] == {
        "number": 1,
        "title": "Tiền lương 1",
        "official_name": "Diễn đàn số 1: Tiền lương, thu nhập của người lao động",
        "closed_at": "2023-11-29T17:00:00+07:00",
        "digest": DIGEST,
    }
    assert document["forums"][1]["digest"] is None
    first, hidden = document["proposals"][0], document["proposals"][2]
    assert len(document["proposals"]) == 3
    assert first["rank"] == 1 and first["id"] == 1001 and first["supports"] == 39
    for name in TEXT_FIELDS:
        assert first[name] == getattr(rows[0], name)
    assert first["supports_by_province"] == {"Đồng Nai": 3, "Hà Nội": 12}
    assert first["submitted_at"] == "2023-11-02T10:30:00+07:00"
    assert first["merged_ids"] == [7, 9] and first["co_authors"] == ["Trần Văn Bình"]
    assert first["main_comments"] == [
        {"author": "Lê Văn Tám", "unit": "LĐLĐ tỉnh Đồng Nai", "created_at": "2023-11-03T09:30:00+07:00",
         "text": "Đồng ý, cần lộ trình."}
    ]
    assert hidden["supports"] is None and hidden["supports_by_province"] is None


def test_json_is_raw_utf8_and_survives_hostile_text(context):
    data = b"".join(write_json(make_header(), hostile_rows()))
    assert "Công đoàn".encode() in data  # ensure_ascii=False, NFC
    document = json.loads(data)
    by_rank = {item["rank"]: item for item in document["proposals"]}
    assert by_rank[1]["title"] == FORMULAS[0]  # JSON is no spreadsheet: text as written
    assert by_rank[7]["author"] == "abcde"
    assert by_rank[6]["unit"] == "=1"
    assert len(by_rank[9]["text"]) == 21_000


def test_json_of_no_rows(context):
    document = json.loads(b"".join(write_json(make_header(), iter(()))))
    assert document["proposals"] == []
