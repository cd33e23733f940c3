"""The results export, end to end: an organizer downloads the top ideas of the closed
forum in each format from the results page (and with ``flask results export``); the
files, read back with real readers, show the site's numbers and the frozen digest; the
export is in the audit log; only organizers export."""
import csv
import io
import json

import pytest
import sqlalchemy as sa
from docx import Document
from openpyxl import load_workbook

from forum.core.audit import AuditEntry
from forum.extensions import db
from forum.results.models import ResultSnapshot
from tests.results.test_ranking import scene  # noqa: F401  (fixture)
from tests.factories import make_user


@pytest.fixture
def organizer(app):
    with app.app_context():
        user = make_user(role="organizer")
        db.session.commit()
        return user.email


def _digest(app) -> str:
    with app.app_context():
        return db.session.scalar(sa.select(ResultSnapshot.digest))


def download(client, fmt, **choices):
    data = {"forums": ["1"], "format": fmt, "top": "20", "min_supports": "0", "scope": "forum", "with_answers": "y",
            **choices}
    return client.post("/organizer/results/export", data=data)


def test_the_export_form_offers_forums_formats_and_statuses(app, client, auth, scene, organizer):  # noqa: F811
    auth.login(organizer)
    page = client.get("/organizer/results/export")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Diễn đàn số 1" in html and "Excel (.xlsx)" in html and "Word (.docx)" in html and "Được tiếp thu" in html


@pytest.mark.parametrize("fmt", ["csv", "json", "xlsx", "docx"])
def test_each_format_holds_the_frozen_numbers_and_digest(app, client, auth, scene, organizer, fmt):  # noqa: F811
    auth.login(organizer)
    response = download(client, fmt)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    disposition = response.headers["Content-Disposition"]
    assert "attachment" in disposition and f"hien-ke-dien-dan-1-" in disposition and disposition.endswith(f'.{fmt}"')
    body = response.get_data()
    digest = _digest(app)
    if fmt == "csv":
        rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig")), dialect="excel"))
        header, first = rows[0], dict(zip(rows[0], rows[1]))
        assert len(rows) == 3 and digest in rows[1]
        assert any("A: ngày hội đoàn viên" == value for value in first.values()) and "4" in first.values()
    elif fmt == "json":
        document = json.loads(body)
        assert document["forums"][0]["digest"] == digest
        assert [(p["id"], p["supports"]) for p in document["proposals"]] == [(scene["A"], 4), (scene["C"], 1)]
    elif fmt == "xlsx":
        workbook = load_workbook(io.BytesIO(body))
        sheet = [ws for ws in workbook.worksheets if "1" in ws.title][0]
        values = [[cell for cell in row] for row in sheet.iter_rows(values_only=True)]
        assert any("A: ngày hội đoàn viên" in row for row in values) and any(4 in row for row in values)
        assert any(digest in str(cell) for ws in workbook.worksheets for row in ws.iter_rows(values_only=True)
                   for cell in row)
    else:
        text = "\n".join(paragraph.text for paragraph in Document(io.BytesIO(body)).paragraphs)
        assert "A: ngày hội đoàn viên" in text and digest in text
    with app.app_context():
        entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "results.export"))
        assert entry is not None and entry.after["format"] == fmt


def test_bad_choices_keep_the_form_and_say_why(app, client, auth, scene, organizer):  # noqa: F811
    auth.login(organizer)
    response = download(client, "pdf", top="-3", date_from="31/02/2024")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Vui lòng chọn định dạng." in html and "form-error-summary" in html
    assert "Vui lòng nhập một số nguyên từ 1 đến 100000." in html and 'value="-3"' in html  # kept as typed
    assert "Ngày không hợp lệ" in html and 'value="31/02/2024"' in html
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)
                                 .where(AuditEntry.action == "results.export")) == 0


@pytest.mark.parametrize("who", ["delegate", "moderator"])
def test_only_organizers_export(app, client, auth, scene, who):  # noqa: F811
    with app.app_context():
        email = make_user(role=who).email
        db.session.commit()
    auth.login(email)
    assert client.get("/organizer/results/export").status_code == 403
    assert download(client, "csv").status_code == 403


def test_the_command_writes_the_same_file(app, runner, scene, tmp_path):  # noqa: F811
    result = runner.invoke(args=["results", "export", "--forum", "1", "--format", "json", "--top", "20",
                                 "--output", str(tmp_path)])
    assert result.exit_code == 0, result.output
    [written] = list(tmp_path.glob("hien-ke-dien-dan-1-*.json"))
    document = json.loads(written.read_bytes())
    assert document["forums"][0]["digest"] == _digest(app)
    assert [p["id"] for p in document["proposals"]] == [scene["A"], scene["C"]]
    assert document["proposals"][0]["url"].startswith("http")
    assert runner.invoke(args=["results", "export", "--forum", "12"]).exit_code != 0
