"""LibreOffice at the edge: a workbook converted to PDF (or re-saved as xlsx) by ``soffice --headless``, with a
profile of its own in a temporary folder, so it neither waits for nor disturbs an office suite the user has
open. The preview tool (tools/preview.py) draws the day's books with it; the mail step attaches a 对账函's PDF
beside its workbook (``pdf_beside``) when LibreOffice is on the machine.
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
    """Each workbook's PDF written beside it (``<stem>.pdf``, one LibreOffice start for all); {} when LibreOffice
    is not installed or the conversion failed (logged: the workbooks are then sent alone)."""
    if not workbooks or soffice() is None:
        return {}
    by_folder: dict[Path, list[Path]] = {}
    for path in workbooks:
        by_folder.setdefault(path.parent, []).append(path)
    made = {}
    for folder, paths in by_folder.items():
        try:
            convert(paths, folder, to="pdf")
        except (PreviewError, OSError, subprocess.SubprocessError) as exc:
            log.warning("PDF 未生成, 只发送工作簿: %s", exc)
            continue
        made.update({p: p.with_suffix(".pdf") for p in paths if p.with_suffix(".pdf").is_file()})
    return made
