"""Issue 9's "Done when", in one story: after two forums close, an organizer downloads the
top 20 ideas of each as a Word report and an Excel workbook; both show the site's numbers
and each result's digest; ``flask results verify`` confirms the results; the dashboard
shows which units took part and which have not; the API serves the same ranking, with a
digest anyone can recompute. (LibreOffice opening the two files: the last test, where it
is installed.)"""
import csv
import hashlib
import io
import shutil
import subprocess

import pytest
from docx import Document
from openpyxl import load_workbook

from forum.extensions import db
from forum.forums.services import set_forum_phase
from tests.factories import make_forum, make_proposal, make_support, make_user

PROPOSALS_PER_FORUM = 23
UNITS = ("LĐLĐ tỉnh Đồng Nai", "Công đoàn Khu công nghiệp Bắc Ninh", "Công đoàn ngành Giáo dục Hà Nội")
SILENT_UNIT = "Công đoàn Khu kinh tế Dung Quất"


@pytest.fixture
def closed_forums(app):
    """Forums 1 and 2 (the second kept its tallies hidden until it closed), each with 23
    proposals supported 0–9 times (ties included) by delegates of three units; a fourth
    unit's delegate never took part. Both closed by an organizer, which froze them."""
    with app.app_context():
        supporters = [make_user(unit=UNITS[n % 3], province=("Đồng Nai", "Bắc Ninh", "Hà Nội")[n % 3])
                      for n in range(9)]
        make_user(unit=SILENT_UNIT, province="Quảng Ngãi", full_name="Võ Thị Sáu")
        organizer = make_user(role="organizer")
        for number, hides in ((1, False), (2, True)):
            forum = make_forum(number=number, phase="voting", hide_tallies_until_closed=hides)
            for index in range(PROPOSALS_PER_FORUM):
                author = supporters[index % 9]
                proposal = make_proposal(forum, author, title=f"Diễn đàn {number}: hiến kế số {index + 1:02d}")
                for supporter in supporters[: (index * 7 + number) % 10]:
                    if supporter.id != author.id:
                        make_support(proposal, supporter)
            set_forum_phase(forum, "closed", actor=organizer)
        db.session.commit()
        return organizer.email


def _export(client, fmt: str) -> bytes:
    response = client.post("/organizer/results/export", data={
        "forums": ["1", "2"], "format": fmt, "top": "20", "scope": "forum", "min_supports": "0", "with_answers": "y"})
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return response.get_data()


def _ranking(client, number: int) -> tuple[list[tuple[str, int]], str]:
    """The published result as the API serves it: (title, supports) in rank order, digest."""
    result = client.get(f"/api/v1/results/{number}").get_json()
    assert hashlib.sha256(result["canonical_json"].encode("utf-8")).hexdigest() == result["digest"]
    return [(row["title"], row["supports"]) for row in result["ranking"]], result["digest"]


def _sheet_rows(workbook, number: int) -> list[tuple[str, int]]:
    sheet = next(ws for ws in workbook.worksheets if ws.title.endswith(f" {number}"))
    rows = list(sheet.iter_rows(values_only=True))
    header = list(rows[0])
    title, supports = header.index("Tiêu đề"), header.index("Lượt ủng hộ")
    return [(row[title], row[supports]) for row in rows[1:]]


def test_the_organizers_story(app, client, auth, runner, closed_forums):
    auth.login(closed_forums)
    for number in (1, 2):
        assert client.post(f"/organizer/results/{number}/publish").status_code == 302
    xlsx = load_workbook(io.BytesIO(_export(client, "xlsx")))
    report = Document(io.BytesIO(_export(client, "docx")))
    report_text = "\n".join(paragraph.text for paragraph in report.paragraphs) + "\n".join(
        cell.text for table in report.tables for row in table.rows for cell in row.cells)
    workbook_text = "\n".join(str(cell) for ws in xlsx.worksheets for row in ws.iter_rows(values_only=True)
                              for cell in row if cell is not None)

    for number in (1, 2):
        ranking, digest = _ranking(client, number)
        assert len(ranking) == PROPOSALS_PER_FORUM
        top = ranking[:20]
        assert [supports for _title, supports in ranking] == sorted((s for _t, s in ranking), reverse=True)
        # The workbook: the same 20, in the same order, with the same counts; the digest printed.
        assert _sheet_rows(xlsx, number) == top
        assert digest in workbook_text
        # The Word report: the 20 titles, not the 21st; the digest printed.
        assert all(title in report_text for title, _supports in top)
        assert all(title not in report_text for title, _supports in ranking[20:])
        assert digest in report_text
        # The site's public page shows the same ranking and digest.
        page = client.get(f"/results/{number}").get_data(as_text=True)
        assert digest in page and all(title in page for title, _supports in top)
        # The command recomputes the ranking from the support rows: nothing changed.
        verified = runner.invoke(args=["results", "verify", str(number)])
        assert verified.exit_code == 0, verified.output
        assert digest in verified.output

    # The dashboard: units that took part, and the one that has not yet.
    dashboard = client.get("/organizer/dashboard").get_data(as_text=True)
    assert all(unit in dashboard for unit in UNITS) and SILENT_UNIT in dashboard
    silent = client.get("/organizer/dashboard/units-not-taking-part.csv").get_data().decode("utf-8-sig")
    units_listed = [row[0] for row in csv.reader(io.StringIO(silent))][1:]
    assert SILENT_UNIT in units_listed and not set(UNITS) & set(units_listed)


LIBREOFFICE = shutil.which("libreoffice")
PDFTOPPM = shutil.which("pdftoppm")


@pytest.mark.slow
@pytest.mark.skipif(LIBREOFFICE is None or PDFTOPPM is None,
                    reason="LibreOffice and poppler-utils are not installed "
                           "(apt-get install libreoffice-writer libreoffice-calc poppler-utils)")
def test_the_files_open_in_libreoffice(app, client, auth, closed_forums, tmp_path):
    auth.login(closed_forums)
    for fmt in ("docx", "xlsx"):
        source = tmp_path / f"ket-qua.{fmt}"
        source.write_bytes(_export(client, fmt))
        subprocess.run(
            [LIBREOFFICE, f"-env:UserInstallation=file://{tmp_path / 'profile'}", "--headless",
             "--convert-to", "pdf", "--outdir", str(tmp_path / fmt), str(source)],
            check=True, capture_output=True, timeout=180,
        )
        pdf = tmp_path / fmt / "ket-qua.pdf"
        assert pdf.read_bytes().startswith(b"%PDF")
        subprocess.run([PDFTOPPM, "-png", "-r", "40", "-f", "1", "-l", "2", str(pdf), str(tmp_path / fmt / "page")],
                       check=True, capture_output=True, timeout=120)
        assert len(list((tmp_path / fmt).glob("page-*.png"))) == 2  # at least two pages rendered
