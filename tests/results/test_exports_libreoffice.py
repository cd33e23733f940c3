"""The DOCX and XLSX exports open in a real office suite: LibreOffice converts them to
PDF (skipped where LibreOffice is not installed)."""
import shutil
import subprocess

import pytest

from forum.results.exports.docx_writer import write_docx
from forum.results.exports.xlsx_writer import write_xlsx
from tests.results.export_rows import hostile_rows, make_header, ordinary_rows

LIBREOFFICE = shutil.which("libreoffice")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        LIBREOFFICE is None,
        reason="LibreOffice is not installed (apt-get install libreoffice-writer libreoffice-calc)",
    ),
]


@pytest.mark.parametrize("extension", ["docx", "xlsx"])
def test_libreoffice_converts_the_export_to_pdf(app, tmp_path, extension):
    source = tmp_path / f"export.{extension}"
    writer = {"docx": write_docx, "xlsx": write_xlsx}[extension]
    with app.test_request_context():
        writer(make_header(), ordinary_rows() + hostile_rows(), str(source))
    profile = tmp_path / "profile"  # its own profile: runs in parallel never share one
    subprocess.run(
        [LIBREOFFICE, f"-env:UserInstallation=file://{profile}", "--headless",
         "--convert-to", "pdf", "--outdir", str(tmp_path / "pdf"), str(source)],
        check=True, capture_output=True, timeout=180,
    )
    pdf = tmp_path / "pdf" / "export.pdf"
    assert pdf.exists() and pdf.stat().st_size > 1_000
    assert pdf.read_bytes().startswith(b"%PDF")
