"""Files on disk, for every stage: a safe file name from any text, and the atomic write.

Plain mechanism with no idea of what a file is for, so every stage may use it: the read stage's cache
writes its entries with it, the deliver stage its workbooks, manifest and .eml files, the tools their
templates. What happens when a target is locked *after* the brief retry is a decision about the file
(kept in ``deliver/files.py``, the one locked-file policy): here a caller either names another place
(``aside``) or gets ``FileLocked``.
"""

from __future__ import annotations

import os
import re
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

TEMP_PREFIX = ".~tmp-"  # a hidden name, so the listing of rep workbooks never takes a file half written
LOCK_WAITS = (0.2, 0.5, 1.0)  # seconds between tries when the target is locked: a virus scanner, an indexer
# or a sync client holds a file for a moment; Excel holds it until the clerk closes it

Content = bytes | str | Callable[[Path], None]  # bytes, UTF-8 text, or a function that writes the file at a path

_BAD_FILE_CHARS = re.compile(r'[\\/:*?"<>|\x00-\x1f]')
_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)), *(f"LPT{i}" for i in range(1, 10))}


def safe_filename(name: str, max_len: int = 80) -> str:
    """A file name safe on Windows from any text (a customer or a rep name): each of / \\ : * ? " < > | and
    control characters becomes _, a reserved device name gets a leading _, trailing dots and spaces go,
    and the name is cut to ``max_len`` characters.

    >>> safe_filename('上海/明达:贸易*有限公司?"<>|')
    '上海_明达_贸易_有限公司_____'
    >>> safe_filename("CON"), safe_filename("con.客户"), safe_filename("CONSOLE")
    ('_CON', '_con.客户', 'CONSOLE')
    >>> safe_filename("明达贸易. . "), safe_filename("..."), safe_filename("")
    ('明达贸易', '_', '_')
    >>> len(safe_filename("长" * 200)), safe_filename("对账单_" + "长" * 10, max_len=6)
    (80, '对账单_长长')
    """
    cleaned = _BAD_FILE_CHARS.sub("_", str(name)).strip().rstrip(". ")
    if not cleaned:
        cleaned = "_"
    if cleaned.split(".")[0].upper() in _RESERVED:
        cleaned = "_" + cleaned
    return cleaned[:max_len]


class FileLocked(PermissionError):
    """The target stayed locked (open in Excel or WPS, or held by another program) through every retry."""

    def __init__(self, path: Path):
        super().__init__(f"无法写入 {path}: 文件正被其他程序 (Excel/WPS 等) 打开或占用, 请关闭后重试")
        self.path = Path(path)


def write_atomic(path: Path, content: Content, *, aside: Callable[[Path], Path] | None = None) -> Path:
    """Writes ``content`` to ``path`` so that ``path`` holds either its old bytes or all the new ones, never
    part; returns where the file is.

    The content goes to a hidden temporary file in the same folder (``.~tmp-…``, created owner-only: mode
    0600 on POSIX, which the cache relies on), which then replaces the target in one rename. When anything
    fails before that (the content function raises, the disk is full) the temporary file is removed and the
    target is untouched.
    When the rename is refused (Windows: the target is open in another program) it is tried again after
    each of ``LOCK_WAITS``; a target still locked is left as it is and the file goes to ``aside(path)``
    when ``aside`` is given, else ``FileLocked`` is raised.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=TEMP_PREFIX, suffix=path.suffix, dir=path.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as fh:
            if not callable(content):
                fh.write(content.encode("utf-8") if isinstance(content, str) else content)
        if callable(content):
            content(tmp)
        for wait in (*LOCK_WAITS, None):
            try:
                os.replace(tmp, path)
                return path
            except PermissionError:
                if wait is None:
                    break
                time.sleep(wait)
        if aside is None:
            raise FileLocked(path) from None
        other = aside(path)
        os.replace(tmp, other)
        return other
    finally:
        if tmp.exists():
            tmp.unlink()
