"""How the run's files reach the disk: the one locked-file policy, on top of ``core.files.write_atomic``.

Every file the deliver stage and the tools write goes through ``write_file``: the output workbooks, the
templates, manifest.json, the .eml files of the outbox. (The read stage's cache uses ``write_atomic``
itself and gets the same rule for a file that is not a workbook: its ``FileLocked`` is caught there, a
cache problem never stops the run.) ``cannot_write`` tells the run, before it writes, whether its output
folder takes files at all (the pipeline then writes to a fallback folder).
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from ..core.files import TEMP_PREFIX, Content, write_atomic

WORKBOOK_SUFFIXES = frozenset({".xlsx", ".xlsm"})


@dataclass(frozen=True)
class Written:
    path: Path  # where the file really is
    wanted: Path  # where it should have been
    note: str = ""  # set when a sibling was written because the target was locked
    continued: tuple[str, ...] = ()  # a workbook's sheets too long for one worksheet, said as the clerk reads it

    @property
    def fallback(self) -> bool:
        return self.path != self.wanted


def timestamped_sibling(path: Path) -> Path:
    """日报.xlsx → 日报_153012.xlsx (the time of day), beside it."""
    return path.with_name(f"{path.stem}_{datetime.now():%H%M%S}{path.suffix}")


def write_file(path: Path, content: Content) -> Written:
    """Writes ``path`` atomically under the one locked-file policy, by what the file is for.

    First, whatever the file: a target that refuses the rename (on Windows, open in another program) is
    tried again a few times over about two seconds (``core.files.LOCK_WAITS``): a virus scanner, the
    search indexer or a sync client lets go by then. A target still locked after that:
    - a workbook (.xlsx, .xlsm) is written for people, who find it in the folder and open it: the copy
      open in Excel is left alone and the new one is written beside it with the time in its name
      (日报.xlsx → 日报_153012.xlsx); ``Written.note`` says so, for the run's summary and manifest, and the
      run goes on;
    - any other file (manifest.json, an .eml in the outbox) is read back by its exact name, by the program
      or by whoever looks for it: a sibling would silently never be read, so ``FileLocked`` is raised,
      naming the file and asking to close it (the old file stays whole).
    """
    path = Path(path)
    if path.suffix.lower() not in WORKBOOK_SUFFIXES:
        return Written(write_atomic(path, content), path)
    where = write_atomic(path, content, aside=timestamped_sibling)
    note = "" if where == path else f"{path.name} 正在被其他程序打开, 已另存为 {where.name}"
    return Written(where, path, note)


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
