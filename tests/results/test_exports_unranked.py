"""Hidden and withdrawn proposals in the exports (issue 9): left out unless the organizer
asks for them; then unranked, after the ranked proposals of their forum, their status
said, their supports only where the forum's counts may be exported; merged proposals
never a row of their own. From the ranking to every format, the results page and
``flask results export``."""
import csv
import io
import json
from dataclasses import replace

import pytest
import sqlalchemy as sa
from docx import Document
from openpyxl import load_workbook

from forum.core.audit import AuditEntry
from forum.extensions import db
from forum.forums import services as forums
from forum.moderation import merges
from forum.proposals import services as proposals
from forum.proposals.models import Proposal
from forum.results.ranking import ExportRequest, build_result
from tests.factories import make_forum, make_proposal, make_support, make_user
from tests.results.export_rows import make_header, make_row
from tests.results.test_export_pages import download, organizer  # noqa: F401  (fixture)
from tests.results.test_exports_csv_json import read_csv
from tests.results.test_exports_docx import document_of, headings
from tests.results.test_exports_xlsx import records, workbook_of

REASON = "Nội dung trùng lặp với hiến kế khác"


@pytest.fixture
def hidden_scene(app):
    """Forum 1 closed: A listed (2 supports); H hidden by a moderator (M, 1 support, was
    merged into it before: 3 supports); W withdrawn (1); R hidden by reports; P waiting
    for approval; X withdrawn and hidden. Forum 2 open, hiding its tallies: F listed, G
    hidden (2 supports). Forum 3 open: D listed (1), V withdrawn (2 supports)."""
    with app.app_context():
        one = make_forum(number=1, phase="voting")
        two = make_forum(number=2, phase="open", hide_tallies_until_closed=True)
        three = make_forum(number=3, phase="open")
        organizer_ = make_user(role="organizer")
        people = [make_user(province=province) for province in ("Hà Nội", "Đồng Nai", "Huế")]
        author = make_user(full_name="Lê Văn An")
        other = make_user(full_name="Phạm Thị Bình")
        a = make_proposal(one, author, title="A: ngày hội đoàn viên")
        h = make_proposal(one, author, title="H: hiến kế sẽ bị ẩn")
        m = make_proposal(one, other, title="M: gộp vào H")
        w = make_proposal(one, author, title="W: hiến kế đã rút", status="withdrawn")
        r = make_proposal(one, author, title="R: bị nhiều người báo cáo", is_hidden=True, hidden_cause="reports")
        p = make_proposal(one, other, title="P: chờ duyệt", is_hidden=True, hidden_cause="pending")
        x = make_proposal(one, author, title="X: đã rút rồi bị ẩn", status="withdrawn", is_hidden=True,
                          hidden_cause="moderator", hidden_reason="Lời lẽ không phù hợp")
        for person in people[:2]:
            make_support(a, person)
            make_support(h, person)
        make_support(m, people[2])
        make_support(w, people[0])
        f = make_proposal(two, author, title="F: giữ kín")
        g = make_proposal(two, other, title="G: ẩn, giữ kín", is_hidden=True, hidden_cause="moderator")
        make_support(f, people[0])
        for person in people[:2]:
            make_support(g, person)
        d = make_proposal(three, author, title="D: mở")
        v = make_proposal(three, other, title="V: đã rút, diễn đàn mở", status="withdrawn")
        make_support(d, people[0])
        for person in people[:2]:
            make_support(v, person)
        merges.merge_proposals(m, h, actor=organizer_)
        proposals.set_proposal_hidden(h, hidden=True, reason=REASON, by=organizer_)
        db.session.commit()
        forums.set_forum_phase(one, "closed", actor=None)
        db.session.commit()
        return {name: proposal.id for name, proposal in
                zip("AHMWRPXFGDV", (a, h, m, w, r, p, x, f, g, d, v))}


def export(app, **choices):
    with app.test_request_context():
        header, rows = build_result(ExportRequest(**choices))
        return header, list(rows)


def ids(rows):
    return [row.proposal_id for row in rows]


# The ranking ---------------------------------------------------------------------------
def test_left_out_unless_asked(app, hidden_scene):
    s = hidden_scene
    _header, rows = export(app)
    assert ids(rows) == [s["A"], s["F"], s["D"]]
    assert all(row.ranked and not row.hidden for row in rows)


def test_hidden_ones_come_unranked_after_the_ranked_with_their_reason(app, hidden_scene):
    s = hidden_scene
    header, rows = export(app, forum_numbers=(1,), include_hidden=True)
    assert header.include_hidden and not header.include_withdrawn
    # P waits for approval (never published), X is withdrawn too, M is merged into H
    assert [(row.proposal_id, row.rank) for row in rows] == [(s["A"], 1), (s["H"], None), (s["R"], None)]
    hidden = rows[1]
    assert hidden.hidden and hidden.hidden_reason == REASON
    assert hidden.supports == 3  # forum 1 is closed: counts may be exported
    assert hidden.merged_ids == (s["M"],) and hidden.co_authors == ("Phạm Thị Bình",)
    assert hidden.supports_by_province == {}  # breakdowns belong to the ranking
    assert rows[2].hidden and "báo cáo" in rows[2].hidden_reason
    assert not rows[0].hidden and rows[0].hidden_reason == ""


def test_withdrawn_ones_come_unranked_and_both_need_both_choices(app, hidden_scene):
    s = hidden_scene
    _header, rows = export(app, forum_numbers=(1,), include_withdrawn=True)
    assert [(row.proposal_id, row.rank, row.status, row.hidden) for row in rows] == [
        (s["A"], 1, "published", False), (s["W"], None, "withdrawn", False)]
    assert rows[1].supports == 1 and rows[1].status_label == "Đã rút"
    _header, rows = export(app, forum_numbers=(1,), include_hidden=True, include_withdrawn=True)
    assert ids(rows) == [s["A"], s["H"], s["W"], s["R"], s["X"]]  # unranked: oldest first
    assert [row.rank for row in rows] == [1, None, None, None, None]


def test_one_hidden_after_the_close_keeps_its_frozen_rank_and_comes_once(app, hidden_scene):
    s = hidden_scene
    with app.app_context():
        proposals.set_proposal_hidden(db.session.get(Proposal, s["A"]), hidden=True, reason="Sau khi đóng")
        db.session.commit()
    _header, rows = export(app, forum_numbers=(1,), include_hidden=True)
    assert [(row.proposal_id, row.rank) for row in rows] == [(s["A"], 1), (s["H"], None), (s["R"], None)]


@pytest.mark.parametrize("choices", [{"include_hidden": True}, {"include_withdrawn": True},
                                     {"include_hidden": True, "include_withdrawn": True, "overall": True}])
def test_a_merged_proposal_is_never_a_row_of_its_own(app, hidden_scene, choices):
    _header, rows = export(app, **choices)
    assert hidden_scene["M"] not in ids(rows)
    assert hidden_scene["P"] not in ids(rows)  # nor a post that was never published


def test_no_count_for_a_forum_that_hides_its_tallies(app, hidden_scene):
    s = hidden_scene
    _header, rows = export(app, forum_numbers=(2, 3), include_hidden=True, include_withdrawn=True)
    by_id = {row.proposal_id: row for row in rows}
    assert ids(rows) == [s["F"], s["G"], s["D"], s["V"]]
    assert by_id[s["G"]].rank is None and by_id[s["G"]].supports is None  # open, hiding its tallies
    assert by_id[s["V"]].rank is None and by_id[s["V"]].supports == 2  # open, counts shown


def test_top_n_and_minimum_supports_choose_among_the_ranked_only(app, hidden_scene):
    s = hidden_scene
    _header, rows = export(app, forum_numbers=(1,), top=1, min_supports=3, include_hidden=True,
                           include_withdrawn=True)
    # A (2 supports) is below the minimum; the unranked ones are not judged by it
    assert ids(rows) == [s["H"], s["W"], s["R"], s["X"]]
    _header, rows = export(app, overall=True, top=1, include_withdrawn=True)
    assert [(row.proposal_id, row.rank) for row in rows] == [(s["A"], 1), (s["W"], None), (s["V"], None)]


def test_the_status_filter_keeps_withdrawn_ones_asked_for(app, hidden_scene):
    s = hidden_scene
    _header, rows = export(app, forum_numbers=(1,), statuses=("accepted",), include_hidden=True,
                           include_withdrawn=True)
    assert ids(rows) == [s["W"], s["X"]]  # H and R are "published": filtered out


# Every format, from the results page --------------------------------------------------
BOTH = {"include_hidden": "y", "include_withdrawn": "y"}


def _text_of(fmt, body: bytes) -> str:
    if fmt in ("csv", "json"):
        return body.decode("utf-8-sig")
    if fmt == "xlsx":
        book = load_workbook(io.BytesIO(body))
        return "\n".join(str(cell) for ws in book.worksheets for row in ws.iter_rows(values_only=True)
                         for cell in row if cell is not None)
    return "\n".join(paragraph.text for paragraph in Document(io.BytesIO(body)).paragraphs)


@pytest.mark.parametrize("fmt", ["csv", "json", "xlsx", "docx"])
def test_each_format_leaves_them_out_unless_asked(app, client, auth, hidden_scene, organizer, fmt):  # noqa: F811
    s = hidden_scene
    auth.login(organizer)
    plain = _text_of(fmt, download(client, fmt).get_data())
    assert "A: ngày hội đoàn viên" in plain
    assert "H: hiến kế sẽ bị ẩn" not in plain and "W: hiến kế đã rút" not in plain and REASON not in plain
    assert "Đã ẩn" not in plain and "không xếp hạng" not in plain
    response = download(client, fmt, **BOTH)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    body = response.get_data()
    if fmt == "csv":
        table = list(csv.reader(io.StringIO(body.decode("utf-8-sig")), dialect="excel"))
        lines = [dict(zip(table[0], line, strict=True)) for line in table[1:]]
        assert [line["Mã đề xuất"] for line in lines] == [str(s[n]) for n in "AHWRX"]
        assert [line["Thứ hạng"] for line in lines] == ["1", "", "", "", ""]
        assert lines[1]["Trạng thái"] == "Đã ẩn (Đã đăng)" and lines[1]["Lý do ẩn"] == REASON
        assert lines[1]["Lượt ủng hộ"] == "3" and lines[1]["Đề xuất đã gộp"] == f"#{s['M']}"
        assert lines[2]["Trạng thái"] == "Đã rút" and lines[2]["Lý do ẩn"] == ""
        assert lines[4]["Trạng thái"] == "Đã ẩn (Đã rút)"
    elif fmt == "json":
        items = json.loads(body)["proposals"]
        assert [(item["id"], item["rank"], item["hidden"]) for item in items] == [
            (s["A"], 1, False), (s["H"], None, True), (s["W"], None, False), (s["R"], None, True),
            (s["X"], None, True)]
        assert items[1]["hidden_reason"] == REASON and items[1]["supports"] == 3
        assert items[1]["supports_by_province"] is None and items[1]["merged_ids"] == [s["M"]]
        assert items[2]["status"] == "withdrawn" and items[2]["status_label"] == "Đã rút"
    elif fmt == "xlsx":
        book = load_workbook(io.BytesIO(body))
        lines = records(book["Diễn đàn 1"])
        assert [(line["Mã đề xuất"], line["Thứ hạng"]) for line in lines] == [
            (s["A"], 1), (s["H"], None), (s["W"], None), (s["R"], None), (s["X"], None)]
        assert lines[1]["Trạng thái"] == "Đã ẩn (Đã đăng)" and lines[1]["Lý do ẩn"] == REASON
        assert lines[1]["Lượt ủng hộ"] == 3
        summary = [[cell.value for cell in row] for row in book["Tổng hợp"].iter_rows(min_row=6, max_row=7)]
        assert summary[0][7] == "Hiến kế không xếp hạng (đã ẩn, đã rút)"
        assert summary[1][3] == 1 and summary[1][4] == 2 and summary[1][7] == 4  # ranked count and supports apart
    else:
        document = Document(io.BytesIO(body))
        assert headings(document, 2) == ["Phát triển đoàn viên", "Hiến kế đã ẩn hoặc đã rút (không xếp hạng)"]
        assert headings(document, 3) == ["1. A: ngày hội đoàn viên", "H: hiến kế sẽ bị ẩn", "W: hiến kế đã rút",
                                         "R: bị nhiều người báo cáo", "X: đã rút rồi bị ẩn"]
        texts = [paragraph.text for paragraph in document.paragraphs]
        assert "Trạng thái: Đã ẩn (Đã đăng)" in texts and f"Lý do ẩn: {REASON}" in texts
        assert "Trạng thái: Đã rút" in texts
    with app.app_context():
        first, entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "results.export")
                                          .order_by(AuditEntry.id)).all()
        assert first.after["include_hidden"] is False and first.after["include_withdrawn"] is False
        assert entry.after["include_hidden"] is True and entry.after["include_withdrawn"] is True
        assert "Kèm hiến kế đã ẩn (không xếp hạng)" in entry.after["filters"]


def test_a_hidden_tally_forum_gives_no_count_in_the_file(app, client, auth, hidden_scene, organizer):  # noqa: F811
    auth.login(organizer)
    response = download(client, "json", forums=["2"], **BOTH)
    items = {item["title"]: item for item in json.loads(response.get_data())["proposals"]}
    assert items["G: ẩn, giữ kín"]["rank"] is None and items["G: ẩn, giữ kín"]["supports"] is None
    response = download(client, "csv", forums=["2"], **BOTH)
    table = list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig")), dialect="excel"))
    [line] = [dict(zip(table[0], line, strict=True)) for line in table[1:] if "G: ẩn, giữ kín" in line]
    assert line["Lượt ủng hộ"] == "" and line["Thứ hạng"] == ""


# The form and the command --------------------------------------------------------------
def test_the_form_offers_both_choices_off(app, client, auth, hidden_scene, organizer):  # noqa: F811
    auth.login(organizer)
    html = client.get("/organizer/results/export").get_data(as_text=True)
    for name in ("include_hidden", "include_withdrawn"):
        tag = html[html.index(f'name="{name}"') - 80:html.index(f'name="{name}"') + 80]
        assert "checked" not in tag
    assert "Kèm các hiến kế đã bị ẩn" in html and "Kèm các hiến kế đã rút" in html
    assert "chỉ áp dụng cho các hiến kế được xếp hạng" in html


def test_a_refused_submission_keeps_the_choices(app, client, auth, hidden_scene, organizer):  # noqa: F811
    auth.login(organizer)
    response = download(client, "xlsx", top="không", **BOTH)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    for name in ("include_hidden", "include_withdrawn"):
        start = html.rindex("<input", 0, html.index(f'name="{name}"'))
        assert "checked" in html[start:html.index(">", start)]


def test_the_command_takes_both_options(app, runner, hidden_scene, tmp_path):
    s = hidden_scene
    plain, both = tmp_path / "plain.json", tmp_path / "both.json"
    result = runner.invoke(args=["results", "export", "--forum", "1", "--format", "json", "--output", str(plain)])
    assert result.exit_code == 0, result.output
    assert [item["id"] for item in json.loads(plain.read_bytes())["proposals"]] == [s["A"]]
    result = runner.invoke(args=["results", "export", "--forum", "1", "--format", "json", "--include-hidden",
                                 "--include-withdrawn", "--top", "1", "--output", str(both)])
    assert result.exit_code == 0, result.output
    items = json.loads(both.read_bytes())["proposals"]
    assert [(item["id"], item["rank"]) for item in items] == [
        (s["A"], 1), (s["H"], None), (s["W"], None), (s["R"], None), (s["X"], None)]
    with app.app_context():
        entries = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "results.export")
                                     .order_by(AuditEntry.id)).all()
        assert [(e.after["include_hidden"], e.after["include_withdrawn"]) for e in entries] == [
            (False, False), (True, True)]


# The writers, on hand-made rows -------------------------------------------------------
def unranked(position, forum, **changes):
    return replace(make_row(position, forum, **changes), rank=None)


def unranked_rows():
    """Forum 1: one ranked row, then a hidden and a withdrawn one (forum 2: a ranked one
    with hidden tallies, then a hidden one without a count)."""
    return [
        make_row(1, 1),
        unranked(2, 1, proposal_id=1501, title="Hiến kế đã ẩn", supports=5, supports_by_province={},
                 supports_by_level={}, hidden=True, hidden_reason="=Quảng cáo", status="published",
                 status_label="Đã đăng"),
        unranked(3, 1, proposal_id=1502, title="Hiến kế đã rút", supports=1, supports_by_province={},
                 supports_by_level={}, status="withdrawn", status_label="Đã rút"),
        make_row(1, 2, supports=None),
        unranked(2, 2, proposal_id=2501, supports=None, hidden=True, supports_by_province={},
                 supports_by_level={}, status_label="Đã đăng"),
    ]


def unranked_header():
    return replace(make_header(), include_hidden=True, include_withdrawn=True)


def test_csv_writes_an_empty_rank_the_status_and_the_reason(context):
    from forum.results.exports.csv_writer import write_csv

    table = read_csv(b"".join(write_csv(unranked_header(), unranked_rows())))
    assert table[0][-2:] == ["Lý do ẩn", "Mã băm kết quả (SHA-256)"]  # the digest stays last
    lines = [dict(zip(table[0], line, strict=True)) for line in table[1:]]
    assert [line["Thứ hạng"] for line in lines] == ["1", "", "", "1", ""]
    assert lines[1]["Trạng thái"] == "Đã ẩn (Đã đăng)" and lines[1]["Lý do ẩn"] == "'=Quảng cáo"
    assert lines[1]["Lượt ủng hộ"] == "5" and lines[1]["Ủng hộ theo tỉnh, thành phố"] == ""
    assert lines[2]["Trạng thái"] == "Đã rút"
    assert lines[4]["Lượt ủng hộ"] == ""
    plain = read_csv(b"".join(write_csv(make_header(), [make_row(1, 1)])))
    assert "Lý do ẩn" not in plain[0]  # only an export that holds hidden proposals has the column


def test_json_writes_null_rank_and_the_hidden_flag(context):
    from forum.results.exports.json_writer import write_json

    items = json.loads(b"".join(write_json(unranked_header(), unranked_rows())))["proposals"]
    assert [item["rank"] for item in items] == [1, None, None, 1, None]
    assert [item["hidden"] for item in items] == [False, True, False, False, True]
    assert items[1]["hidden_reason"] == "=Quảng cáo" and items[1]["supports"] == 5
    assert items[1]["supports_by_province"] is None and items[0]["supports_by_province"] is not None
    assert items[0]["hidden_reason"] == ""


def test_xlsx_writes_unranked_rows_apart_in_the_summary(context):
    book = workbook_of(unranked_header(), unranked_rows())
    lines = records(book["Diễn đàn 1"])
    assert [line["Thứ hạng"] for line in lines] == [1, None, None]
    assert lines[1]["Trạng thái"] == "Đã ẩn (Đã đăng)" and lines[1]["Lý do ẩn"] == "'=Quảng cáo"
    assert book["Diễn đàn 1"].cell(row=3, column=1).fill.fgColor.rgb.endswith("EDEDED")
    ws = book["Tổng hợp"]
    one, two, total = ([cell.value for cell in ws[n]] for n in (7, 8, 9))
    assert one[3:5] == [1, 39] and one[7] == 2  # 39: the ranked row's supports only
    assert two[3:5] == [1, None] and two[7] == 1
    assert total[3] == 2 and total[7] == 3


def test_docx_puts_unranked_rows_in_a_titled_subsection(context):
    document = document_of(unranked_header(), unranked_rows())
    assert headings(document, 2) == ["Bảo hiểm xã hội", "Hiến kế đã ẩn hoặc đã rút (không xếp hạng)",
                                     "Bảo hiểm xã hội", "Hiến kế đã ẩn hoặc đã rút (không xếp hạng)"]
    assert headings(document, 3) == ["1. Đề xuất tăng lương tối thiểu vùng số 1", "Hiến kế đã ẩn",
                                     "Hiến kế đã rút", "1. Đề xuất tăng lương tối thiểu vùng số 1",
                                     "Đề xuất tăng lương tối thiểu vùng số 2"]
    texts = [paragraph.text for paragraph in document.paragraphs]
    assert "Trạng thái: Đã ẩn (Đã đăng)" in texts and "Lý do ẩn: =Quảng cáo" in texts
    assert "Trạng thái: Đã rút" in texts and "Chủ đề: Bảo hiểm xã hội" in texts
    assert texts.count("Lượt ủng hộ: ẩn cho đến khi diễn đàn đóng") == 2
    header = make_header((1,))
    only = document_of(replace(header, include_withdrawn=True), unranked_rows()[2:3])
    assert "Không có hiến kế nào được xếp hạng." in [p.text for p in only.paragraphs]
    assert headings(only, 2) == ["Hiến kế đã rút (không xếp hạng)"]
