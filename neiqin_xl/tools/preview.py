"""The day's books as pictures: the first page of each output workbook rendered to PNG, to look at without Excel.

Its place in the process: after a run, by hand (a clerk checking the day's books on a PC without Excel, a
developer checking a layout change): ``python -m neiqin_xl.tools.preview OUTPUT_DIR [--out DIR] [--all]``.
LibreOffice (``soffice --headless --convert-to pdf``, its print setup: A4, orientation, fitted width) makes a
PDF of each workbook, ``pdftoppm`` (poppler-utils) the PNG of its first page: ``<DIR>/<workbook stem>.png``
(default DIR: OUTPUT_DIR/预览图). Of a subfolder holding one workbook per customer or rep (对账函/, 提成确认单/,
问题清单/) the first two are drawn unless ``--all``. LibreOffice runs with a profile of its own in a temporary
folder, so it neither waits for nor disturbs an office suite the user has open.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from ..deliver.office import TIMEOUT_SECONDS, PreviewError, convert, soffice  # noqa: F401 (the tests read them here)

PREVIEW_FOLDER = "预览图"
PER_SUBFOLDER = 2  # workbooks drawn from each subfolder unless --all


def workbooks_to_draw(output_dir: Path, everything: bool = False) -> list[Path]:
    """The output's workbooks: every one at the top, the first ``PER_SUBFOLDER`` of each subfolder (all with
    ``everything``), never the preview folder's, never a temp file of Excel (``~$…``)."""
    chosen: list[Path] = []
    top = sorted(p for p in output_dir.glob("*.xlsx") if not p.name.startswith(("~$", ".")))
    chosen += top
    for folder in sorted(p for p in output_dir.iterdir() if p.is_dir() and p.name != PREVIEW_FOLDER):
        files = sorted(p for p in folder.rglob("*.xlsx") if not p.name.startswith(("~$", ".")))
        chosen += files if everything else files[:PER_SUBFOLDER]
    return chosen


def first_page_png(pdf: Path, png: Path, dpi: int = 80) -> None:
    """The first page of ``pdf`` as ``png`` (pdftoppm writes <stem>.png with -singlefile)."""
    program = shutil.which("pdftoppm")
    if program is None:
        raise PreviewError("找不到 pdftoppm: 请安装 poppler-utils (Debian/Ubuntu: apt-get install poppler-utils)")
    subprocess.run([program, "-png", "-r", str(dpi), "-f", "1", "-l", "1", "-singlefile", str(pdf),
                    str(png.with_suffix(""))], check=True, capture_output=True, timeout=TIMEOUT_SECONDS)


def preview(output_dir: Path, out_dir: Path | None = None, everything: bool = False,
            keep_pdf: bool = False) -> list[Path]:
    """The PNGs of the first pages of ``output_dir``'s workbooks (see the module docstring); returns them.
    With ``keep_pdf`` each workbook's whole PDF is kept beside its PNG (every page, to print or to read)."""
    output_dir = Path(output_dir)
    out_dir = Path(out_dir) if out_dir else output_dir / PREVIEW_FOLDER
    workbooks = workbooks_to_draw(output_dir, everything)
    out_dir.mkdir(parents=True, exist_ok=True)
    pngs = []
    with tempfile.TemporaryDirectory(prefix="neiqin_pdf_") as tmp:
        pdf_dir = Path(tmp)
        convert(workbooks, pdf_dir)
        for workbook in workbooks:
            pdf = pdf_dir / f"{workbook.stem}.pdf"
            if not pdf.is_file():
                raise PreviewError(f"LibreOffice 没有生成 {workbook.name} 的 PDF")
            png = out_dir / f"{workbook.stem}.png"
            first_page_png(pdf, png)
            pngs.append(png)
            if keep_pdf:
                shutil.copyfile(pdf, png.with_suffix(".pdf"))
    return pngs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m neiqin_xl.tools.preview",
                                     description="把输出文件夹中每个工作簿的第一页画成 PNG (LibreOffice → PDF → pdftoppm)")
    parser.add_argument("output_dir", type=Path, help="某天的输出文件夹, 如 workbooks/output/2026-11-30")
    parser.add_argument("--out", type=Path, default=None, help=f"PNG 放在哪里 (默认: 输出文件夹/{PREVIEW_FOLDER})")
    parser.add_argument("--all", action="store_true", help="子文件夹 (对账函/ 等) 的每个工作簿都画")
    parser.add_argument("--pdf", action="store_true", help="每个工作簿的整份 PDF 也留在 PNG 旁边")
    args = parser.parse_args(argv)
    if not args.output_dir.is_dir():
        print(f"找不到文件夹 {args.output_dir}", file=sys.stderr)
        return 2
    try:
        pngs = preview(args.output_dir, args.out, args.all, keep_pdf=args.pdf)
    except PreviewError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    for png in pngs:
        print(png)
    return 0


if __name__ == "__main__":
    sys.exit(main())
