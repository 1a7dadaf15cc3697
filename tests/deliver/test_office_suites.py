"""The outputs open right in another office suite: LibreOffice (headless) recalculates every formula of the
demo's month-end outputs to the value the file carries, and prints no cell as #### (a column too narrow for
its figure). Skipped where LibreOffice is not installed (Debian: libreoffice-calc-nogui). The preview tool
(``python -m neiqin_xl.tools.preview``) draws the first pages."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter

from neiqin_xl.tools import preview

ROOT = Path(__file__).resolve().parents[2]
RUN_DATE = "2026-11-30"

needs_office = pytest.mark.skipif(preview.soffice() is None or shutil.which("pdftotext") is None,
                                  reason="LibreOffice (soffice) or poppler-utils not installed")


@pytest.fixture
def demo_output(whole_day) -> Path:
    """The demo's outputs of a month end: the golden test's day (tests/day/whole_days.py), read only."""
    return whole_day(f"demo_{RUN_DATE}").out_dir


def formula_cells(path: Path) -> dict[tuple[str, str], object]:
    """(sheet, cell) -> the value written beside the formula, for every formula cell of a workbook."""
    formulas = openpyxl.load_workbook(path)
    values = openpyxl.load_workbook(path, data_only=True)
    return {(ws.title, cell.coordinate): values[ws.title][cell.coordinate].value
            for ws in formulas.worksheets for row in ws.iter_rows() for cell in row
            if isinstance(cell.value, str) and cell.value.startswith("=")}


@needs_office
@pytest.mark.slow
def test_libreoffice_recalculates_every_formula_to_the_value_written(demo_output, tmp_path):
    workbooks = preview.workbooks_to_draw(demo_output)
    # the test's own check that LibreOffice really recalculates: a formula carrying a wrong value
    wrong = tmp_path / "错值.xlsx"
    wb = xlsxwriter.Workbook(str(wrong))
    wb.add_worksheet("S").write_formula("A1", "=1+1", None, 5)
    wb.close()
    out = tmp_path / "recalculated"
    preview.convert([*workbooks, wrong], out, to="xlsx", recalculate=True)
    assert openpyxl.load_workbook(out / wrong.name, data_only=True)["S"]["A1"].value == 2
    checked, differ = 0, []
    for path in workbooks:
        written = formula_cells(path)
        again = openpyxl.load_workbook(out / path.name, data_only=True)
        for (sheet, cell), value in written.items():
            got = again[sheet][cell].value
            checked += 1
            if not (isinstance(got, (int, float)) and isinstance(value, (int, float)) and abs(got - value) < 0.005):
                differ.append(f"{path.name}[{sheet}]!{cell}: 写入 {value!r}, LibreOffice 重算 {got!r}")
    assert checked > 100 and not differ, "\n".join(differ[:20])


def printed_text(pdf: Path) -> bytes:
    return subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, check=True).stdout


@needs_office
def test_a_column_too_narrow_for_its_figure_prints_as_hashes(tmp_path):
    # the check below is only worth something if LibreOffice's PDF shows a too narrow column as ###
    too_narrow = tmp_path / "窄列.xlsx"
    wb = xlsxwriter.Workbook(str(too_narrow))
    ws = wb.add_worksheet("S")
    ws.set_column(0, 0, 4)
    ws.write_number(0, 0, 123456789.12, wb.add_format({"num_format": "#,##0.00"}))
    wb.close()
    preview.convert([too_narrow], tmp_path, to="pdf")
    assert b"###" in printed_text(tmp_path / "窄列.pdf")


@needs_office
@pytest.mark.slow
def test_the_preview_tool_draws_each_output_and_no_cell_prints_as_hashes(demo_output, tmp_path):
    # one LibreOffice conversion of the month end's outputs: the preview tool's PNGs and, with --pdf, the whole
    # PDFs, in which no cell prints as #### at the widths the writer chose
    done = subprocess.run([sys.executable, "-m", "neiqin_xl.tools.preview", str(demo_output), "--out", str(tmp_path),
                           "--pdf"], capture_output=True, cwd=str(ROOT), timeout=600)
    assert done.returncode == 0, done.stderr.decode("utf-8", "replace")
    pngs = sorted(p.name for p in tmp_path.glob("*.png"))
    # every workbook at the top, two of each subfolder (对账函, 提成确认单, 问题清单 …)
    assert {"销售日报_2026-11-30.png", "月报_2026-11.png", "应收账款明细账_2026-11-30.png"} <= set(pngs)
    assert sum("_对账函_" in p for p in pngs) == 2
    assert all((tmp_path / p).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for p in pngs)
    workbooks = preview.workbooks_to_draw(demo_output)
    narrow = [path.name for path in workbooks if b"###" in printed_text(tmp_path / f"{path.stem}.pdf")]
    assert len(workbooks) > 15 and len(pngs) == len(workbooks) and not narrow, f"#### printed in {narrow}"


def test_without_libreoffice_the_preview_says_what_to_install(tmp_path, monkeypatch):
    monkeypatch.setattr(preview.shutil, "which", lambda name: None)
    monkeypatch.setattr(preview, "soffice", lambda: None)
    (tmp_path / "销售日报_2026-11-30.xlsx").write_bytes(b"")
    assert preview.main([str(tmp_path)]) == 1


@pytest.mark.skipif(preview.soffice() is None, reason="LibreOffice (soffice) not installed")
def test_pdfs_beside_workbooks_of_two_folders_even_of_one_name_and_an_up_to_date_pdf_is_kept(tmp_path):
    # the run's PDFs (对账函, 报价单) in one LibreOffice start; 报价单/A.xlsx and 对账函/A.xlsx share a file name, so
    # the second needs a start of its own; each PDF lands beside its own workbook (its text says which)
    from neiqin_xl.deliver.office import pdf_beside

    books = []
    for folder in ("报价单", "对账函", "对账函"):
        name = "A.xlsx" if len(books) < 2 else "B.xlsx"
        path = tmp_path / folder / name
        path.parent.mkdir(exist_ok=True)
        book = xlsxwriter.Workbook(str(path))
        book.add_worksheet().write(0, 0, f"{folder}/{name}")
        book.close()
        books.append(path)
    made = pdf_beside(books)
    assert made == {p: p.with_suffix(".pdf") for p in books}
    if shutil.which("pdftotext"):
        for path in books:
            shown = subprocess.run(["pdftotext", str(path.with_suffix(".pdf")), "-"], capture_output=True, check=True)
            assert f"{path.parent.name}/{path.name}" in shown.stdout.decode("utf-8")
    assert not list(tmp_path.glob("*.pdf"))  # nothing left outside the workbooks' folders
    before = {p: p.with_suffix(".pdf").stat().st_mtime_ns for p in books}
    assert pdf_beside(books) == made  # the PDFs are newer than their workbooks: not made again
    assert {p: p.with_suffix(".pdf").stat().st_mtime_ns for p in books} == before
