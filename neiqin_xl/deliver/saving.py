"""How the run's files reach the disk: the one locked-file policy, on top of ``core.files.write_atomic``,
and the clearing of what a killed run left behind.

Every file the deliver stage and the tools write goes through ``write_file``: the output workbooks, the
templates, manifest.json, the .eml files of the outbox. (The read stage's cache uses ``write_atomic``
itself and gets the rule for a file read back by its exact name: its ``FileLocked`` is caught there, a
cache problem never stops the run.) ``remove_leftover_temps`` is the start of every run: a run killed
while writing leaves its hidden ``.~tmp-*`` files (``core.files.TEMP_PREFIX``), which nothing else removes.
``cannot_write`` tells the run, before it writes, whether its output folder takes files at all (the pipeline
then writes to a fallback folder).
"""

from __future__ import annotations

import logging
import os
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from ..core.files import TEMP_PREFIX, Content, write_atomic

log = logging.getLogger("neiqin_xl")

WORKBOOK_SUFFIXES = frozenset({".xlsx", ".xlsm"})
SIBLING_SUFFIXES = WORKBOOK_SUFFIXES | {".eml"}  # a locked target gets a timestamped sibling (see write_file)


@dataclass(frozen=True)
class Written:
    path: Path  # where the file really is
    wanted: Path  # where it should have been
    note: str = ""  # set when a sibling was written because the target was locked
    continued: tuple[str, ...] = ()  # a workbook's sheets too long for one worksheet, said as the clerk reads it
    digest: str = ""  # a workbook's content (``incremental.spec_digest``), recorded in the manifest
    sha256: str = ""  # the file's bytes when known without reading it again (a workbook left as it was)
    kept: bool = False  # left as the last run wrote it: its content and its file on disk were unchanged

    @property
    def fallback(self) -> bool:
        return self.path != self.wanted


def timestamped_sibling(path: Path) -> Path:
    """日报.xlsx → 日报_153012.xlsx (the time of day), beside it; x.eml → x_153012.eml."""
    return path.with_name(f"{path.stem}_{datetime.now():%H%M%S}{path.suffix}")


def write_file(path: Path, content: Content) -> Written:
    """Writes ``path`` atomically under the one locked-file policy, by what the file is for.

    First, whatever the file: a target that refuses the rename (on Windows, open in another program) is
    tried again a few times over about two seconds (``core.files.LOCK_WAITS``): a virus scanner, the
    search indexer or a sync client lets go by then. A target still locked after that:
    - a workbook (.xlsx, .xlsm) is written for people, who find it in the folder and open it, and an .eml
      in the outbox is found through the mail state, which records where it really is (``Written.path``),
      and by whoever opens the outbox folder: the copy that is open (in Excel, in Outlook) is left alone
      and the new one is written beside it with the time in its name (日报.xlsx → 日报_153012.xlsx);
      ``Written.note`` says so, for the run's summary and manifest, and the run goes on;
    - any other file (manifest.json) is read back by its exact name, by the program or by whoever looks
      for it: a sibling would silently never be read, so ``FileLocked`` is raised, naming the file and
      asking to close it (the old file stays whole).
    """
    path = Path(path)
    if path.suffix.lower() not in SIBLING_SUFFIXES:
        return Written(write_atomic(path, content), path)
    where = write_atomic(path, content, aside=timestamped_sibling)
    note = "" if where == path else f"{path.name} 正在被其他程序打开, 已另存为 {where.name}"
    return Written(where, path, note)


def remove_leftover_temps(folders: list[Path], before: datetime) -> list[Path]:
    """Deletes the ``.~tmp-*`` files under ``folders`` last written before ``before`` (the run's start): a
    killed run's half-written workbooks and messages. Only the run holding the workspace's run lock calls
    this, so no live run is writing them. One that cannot be deleted is logged and left. Returns those deleted.
    """
    removed = []
    for folder in folders:
        if not Path(folder).is_dir():
            continue
        for path in sorted(Path(folder).rglob(f"{TEMP_PREFIX}*")):
            try:
                if path.is_file() and path.stat().st_mtime < before.timestamp():
                    path.unlink()
                    removed.append(path)
            except OSError as exc:
                log.warning("无法删除临时文件 %s: %s", path, exc)
    return removed


def cannot_write(folder: Path) -> str:
    """Why files cannot be written into ``folder`` ("" when they can): it is created if missing and a hidden
    temporary file (``.~tmp-``, never listed as a workbook) is made and removed in it."""
    try:
        Path(folder).mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=TEMP_PREFIX, dir=folder)
        os.close(fd)
        os.unlink(name)
    except OSError as exc:
        return exc.strerror or str(exc)
    return ""
