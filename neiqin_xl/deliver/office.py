"""LibreOffice at the edge: a workbook converted to PDF (or re-saved as xlsx) by ``soffice --headless``, with a
profile of its own in a temporary folder, so it neither waits for nor disturbs an office suite the user has
open. The preview tool (tools/preview.py) draws the day's books with it; the mail step attaches the PDF of a
对账函 or a 报价单 beside its workbook (``pdf_beside``: all of a run's in one start) when LibreOffice is on the machine.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import tempfile
from pathlib import Path

log = logging.getLogger("neiqin_xl.office")

TIMEOUT_SECONDS = 600


class PreviewError(RuntimeError):
    """A tool is missing or failed: the message says which and what to install."""


def soffice() -> str | None:
    """The LibreOffice program on this machine (``soffice`` / ``libreoffice`` on PATH, or Windows' default
    install folder), or None."""
    found = shutil.which("soffice") or shutil.which("libreoffice")
    if found:
        return found
    default = Path(r"C:\Program Files\LibreOffice\program\soffice.exe")
    return str(default) if default.is_file() else None


RECALC_ALWAYS = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>0</value></prop></item>
</oor:items>
"""  # LibreOffice's setting "recalculate an Excel file on load: always" (its default keeps the values written)


def convert(workbooks: list[Path], out_dir: Path, to: str = "pdf", program: str | None = None,
            recalculate: bool = False) -> None:
    """Every workbook converted by LibreOffice into ``out_dir`` (one start for all of them): ``to`` is
    ``pdf`` or ``xlsx``; ``recalculate`` makes it compute every formula again on load instead of keeping the
    values the file carries (what the recalculation test compares)."""
    program = program or soffice()
    if program is None:
        raise PreviewError("找不到 LibreOffice (soffice): 请安装 LibreOffice "
                           "(Debian/Ubuntu: apt-get install libreoffice-calc-nogui)")
    with tempfile.TemporaryDirectory(prefix="neiqin_lo_") as profile:
        if recalculate:
            (Path(profile) / "user").mkdir()
            (Path(profile) / "user" / "registrymodifications.xcu").write_text(RECALC_ALWAYS, encoding="utf-8")
        cmd = [program, f"-env:UserInstallation={Path(profile).as_uri()}", "--headless", "--convert-to", to,
               "--outdir", str(out_dir), *map(str, workbooks)]
        done = subprocess.run(cmd, capture_output=True, timeout=TIMEOUT_SECONDS)
    if done.returncode != 0:
        raise PreviewError(f"LibreOffice 转换失败 (退出码 {done.returncode}): "
                           f"{done.stderr.decode('utf-8', 'replace')[-500:]}")


def pdf_beside(workbooks: list[Path]) -> dict[Path, Path]:
    """Each workbook's PDF beside it (``<stem>.pdf``), every one of the run's workbooks converted by ONE
    LibreOffice start (into a temporary folder, then moved beside its workbook; a second start only for a
    file name that repeats in another folder); a PDF already newer than its workbook (a workbook kept as the
    last run wrote it) is not made again. {} when LibreOffice is not installed; a failed conversion is logged
    and its workbooks are sent alone."""
    made = {p: p.with_suffix(".pdf") for p in workbooks if _up_to_date(p)}
    pending = list(dict.fromkeys(p for p in workbooks if p not in made))
    if not pending or soffice() is None:
        return made
    batches: list[dict[str, Path]] = []  # file name → workbook, one batch per start
    for path in pending:
        batch = next((b for b in batches if path.name not in b), None)
        if batch is None:
            batches.append(batch := {})
        batch[path.name] = path
    for batch in batches:
        with tempfile.TemporaryDirectory(prefix="neiqin_pdf_") as out:
            try:
                convert(list(batch.values()), Path(out), to="pdf")
            except (PreviewError, OSError, subprocess.SubprocessError) as exc:
                log.warning("PDF 未生成, 只发送工作簿: %s", exc)
                continue
            for path in batch.values():
                pdf = Path(out) / f"{path.stem}.pdf"
                if pdf.is_file():
                    made[path] = Path(shutil.move(str(pdf), path.with_suffix(".pdf")))
    return made


def _up_to_date(workbook: Path) -> bool:
    pdf = workbook.with_suffix(".pdf")
    try:
        return pdf.stat().st_mtime_ns >= workbook.stat().st_mtime_ns
    except OSError:
        return False
