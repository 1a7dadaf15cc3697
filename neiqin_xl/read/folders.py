"""Which files of a workspace folder are workbooks to read: the one temp-file rule, at the start of the day.

Every listing of workbooks goes through ``list_workbooks``: the intake's (reps/, master/, attendance/,
finance/), the reminders' (whose workbook is missing or stale, ``rep_workbooks``) and the check that the
day's inputs can be trusted (``trust``). A workbook is a file with a suffix the intake reads (``SPREADSHEET_SUFFIXES``: Excel's,
WPS's .et/.ett, templates, .ods, .csv); of those, ``is_temporary`` sets aside the files a program keeps
beside a workbook while it is open or being saved. Any other file (``unsupported_files``: .numbers, .fods,
.pdf …) is one warning of the intake, and still counts as the rep's file for the reminders.

A rep's CSV holds one sheet, named after the rep and the sheet: ``张伟_回款.csv`` is 张伟's 回款 (``rep_of``,
``csv_sheet``); ``张伟.csv`` is 张伟's, its sheet found by its header.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from pathlib import Path

from ..core.names import normalize_name

SPREADSHEET_SUFFIXES = frozenset({".xlsx", ".xlsm", ".xltx", ".xltm", ".xls", ".xlsb", ".et", ".ett", ".ods", ".csv"})
SYSTEM_FILES = frozenset({"thumbs.db", "desktop.ini"})  # Windows keeps them in any folder it shows
# Workbooks of programs the intake does not read: still the rep's workbook (a warning: 请另存为 .xlsx)
OTHER_SPREADSHEETS = frozenset({".numbers", ".fods", ".gnumeric", ".sxc", ".xlw", ".wk1", ".wks", ".123", ".dif", ".slk",
                                ".dbf", ".tsv", ".xlr"})
TEXT_SUFFIX = ".txt"  # Excel's 文本文件 / Unicode 文本 export: a ledger when it holds a table (``is_text_table``)


def is_spreadsheet(path: Path) -> bool:
    """A file the intake reads: a workbook by its suffix, or a .txt holding a tab- or comma-separated table."""
    suffix = Path(path).suffix.lower()
    return suffix in SPREADSHEET_SUFFIXES or (suffix == TEXT_SUFFIX and is_text_table(Path(path)))


def is_text_table(path: Path) -> bool:
    """Does a text file hold a table: its first non-blank line (UTF-16 with or without BOM, UTF-8, GBK) has
    a tab, or two commas? 说明.txt (sentences) does not; Excel's Unicode 文本 export does."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(4096)
    except OSError:
        return False
    text = decode_text(head)
    line = next((line for line in text.splitlines() if line.strip()), "") if text else ""
    return "\t" in line or line.count(",") >= 2


def decode_text(data: bytes, strict: bool = False) -> str | None:
    """Text of a CSV or TXT: UTF-16 (a BOM, or every other byte NUL as Excel's Unicode 文本 writes it), UTF-8
    (a BOM or none), GB18030 (reads GBK); None when none fits. The head of a file may end inside a
    character: unless ``strict``, the last bytes are let go.

    >>> decode_text("回款日期,金额".encode("utf-16")), decode_text("金额,2026-11-03,100".encode("utf-16-le"))
    ('回款日期,金额', '金额,2026-11-03,100')
    >>> decode_text("回款".encode("gbk")), decode_text(b"\\xff\\xfe\\x00\\x81\\xff", strict=True)
    ('回款', None)
    """
    errors = "strict" if strict else "ignore"
    utf16 = None
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        utf16 = "utf-16"
    elif len(data) >= 8 and data[1::2].count(0) >= max(len(data) // 10, 2) > data[0::2].count(0) * 3:
        utf16 = "utf-16-le"  # without a BOM: a NUL after each ASCII character (tabs, digits, dates)
    elif len(data) >= 8 and data[0::2].count(0) >= max(len(data) // 10, 2) > data[1::2].count(0) * 3:
        utf16 = "utf-16-be"
    if utf16:
        try:
            return data.decode(utf16, errors)
        except UnicodeDecodeError:
            return None
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            if not strict:
                try:
                    return data[:-3].decode(encoding) if len(data) > 3 else None
                except UnicodeDecodeError:
                    pass
    return None


def is_temporary(path: Path) -> bool:
    """A file that is not a workbook of its own but a program's companion of one: its name starts with
    ``~$`` (Excel's and WPS's owner file while a workbook is open) or with ``.`` (hidden: WPS's ``.~name``,
    LibreOffice's ``.~lock.name#``, our own ``.~tmp-`` while a file is being written, macOS's ``._name``
    on a shared drive). A name that merely starts with ``~`` is a rep's own choice and is read.

    >>> [is_temporary(Path(n)) for n in ("~$张伟.xlsx", ".~张伟.xlsx", ".~lock.张伟.xlsx#", ".~tmp-k2j4.xlsx")]
    [True, True, True, True]
    >>> [is_temporary(Path(n)) for n in ("._张伟.xlsx", "~张伟.xlsx", "张伟.xlsx", "张伟~$.xlsx")]
    [True, False, False, False]
    """
    return Path(path).name.startswith(("~$", "."))


def list_workbooks(folder: Path) -> tuple[list[Path], list[Path]]:
    """The workbooks of a folder in name order, and the temporary ones set aside (see ``is_temporary``);
    subfolders and files of other kinds are not listed; a missing folder lists nothing."""
    folder = Path(folder)
    if not folder.is_dir():
        return [], []
    files = sorted(p for p in folder.iterdir() if p.is_file() and is_spreadsheet(p))
    return [p for p in files if not is_temporary(p)], [p for p in files if is_temporary(p)]


def unsupported_files(folder: Path) -> list[Path]:
    """The workbooks of a folder the intake does not read (``OTHER_SPREADSHEETS``: .numbers, .fods …), in name
    order: still a rep's workbook, to be saved as .xlsx."""
    return [p for p in _others(folder) if p.suffix.lower() in OTHER_SPREADSHEETS]


def other_files(folder: Path) -> list[Path]:
    """The files of a folder that are no workbook at all (说明.txt, a PDF, a picture), in name order: not a
    rep's ledger, listed once for the clerk, never a rep."""
    return [p for p in _others(folder) if p.suffix.lower() not in OTHER_SPREADSHEETS]


def _others(folder: Path) -> list[Path]:
    """The files of a folder that are neither workbooks the intake reads nor temporary ones, in name order
    (Windows' Thumbs.db and desktop.ini are no one's)."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.is_file() and not is_temporary(p) and not is_spreadsheet(p)
                  and p.name.lower() not in SYSTEM_FILES)


def rep_of(path: Path) -> str:
    """Whose file it is: the stem normalised (``张 伟.xlsx`` is 张伟's); a CSV's stem before its first ``_``.

    >>> rep_of(Path("张 伟.xlsx")), rep_of(Path("张伟_回款.csv")), rep_of(Path("张伟.csv")), rep_of(Path("张伟_1.xlsx"))
    ('张伟', '张伟', '张伟', '张伟_1')
    """
    path = Path(path)
    stem = path.stem.split("_", 1)[0] if path.suffix.lower() == ".csv" else path.stem
    return normalize_name(stem)


def rep_named(path: Path, names: Iterable[str]) -> str:
    """Whose file it is, by the 人员 table: the longest name of ``names`` its (normalised) stem starts with, so
    张伟_回款.xlsx, 张伟-回款.xlsx, 张伟 回款.xlsx and 张伟_11月.xlsx are 张伟's, and 张伟2.xlsx is 张伟2's when
    张伟2 is a name (else 张伟's); a stem starting with no name is ``rep_of``'s.

    >>> names = ["张伟", "张伟2", "李娜"]
    >>> [rep_named(Path(n), names) for n in ("张伟_回款.xlsx", "张伟-回款.xlsx", "张伟 回款.xlsx", "张伟_11月.xlsx")]
    ['张伟', '张伟', '张伟', '张伟']
    >>> rep_named(Path("张伟2.xlsx"), names), rep_named(Path("李娜_回款.csv"), names), rep_named(Path("王五.xlsx"), names)
    ('张伟2', '李娜', '王五')
    """
    stem = normalize_name(Path(path).stem)
    found = [n for n in names if n and stem.startswith(n)]
    return max(found, key=len) if found else rep_of(path)


def csv_sheet(path: Path) -> str:
    """The sheet a CSV's name gives (``张伟_回款.csv`` -> 回款), or "" (its header decides)."""
    parts = Path(path).stem.split("_", 1)
    return parts[1].strip() if len(parts) == 2 else ""


def rep_workbooks(folder: Path, names: Iterable[str] | None = None) -> dict[str, Path]:
    """Each rep's workbook in the reps folder, by rep name (``rep_of``, or with the 人员 table's ``names``
    ``rep_named``: 张伟_回款.xlsx is 张伟's); a file the intake cannot read still shows the rep has one,
    unless a readable one is there too."""
    whose = rep_of if names is None else functools.partial(rep_named, names=tuple(names))
    found = {whose(p): p for p in unsupported_files(folder)}
    found.update({whose(p): p for p in list_workbooks(folder)[0]})
    return found
