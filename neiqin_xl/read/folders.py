"""Which files of a workspace folder are workbooks to read: the one temp-file rule, at the start of the day.

Every listing of workbooks goes through ``list_workbooks``: the intake's (reps/, master/, attendance/,
finance/), the reminders' (whose workbook is missing or stale, ``rep_workbooks``) and the demo's check for
an empty workspace. A workbook is a file with a suffix the intake reads (``SPREADSHEET_SUFFIXES``: Excel's,
WPS's .et/.ett, templates, .ods, .csv); of those, ``is_temporary`` sets aside the files a program keeps
beside a workbook while it is open or being saved. Any other file (``unsupported_files``: .numbers, .fods,
.pdf …) is one warning of the intake, and still counts as the rep's file for the reminders.

A rep's CSV holds one sheet, named after the rep and the sheet: ``张伟_回款.csv`` is 张伟's 回款 (``rep_of``,
``csv_sheet``); ``张伟.csv`` is 张伟's, its sheet found by its header.
"""

from __future__ import annotations

from pathlib import Path

from ..core.names import normalize_name

SPREADSHEET_SUFFIXES = frozenset({".xlsx", ".xlsm", ".xltx", ".xltm", ".xls", ".xlsb", ".et", ".ett", ".ods", ".csv"})
SYSTEM_FILES = frozenset({"thumbs.db", "desktop.ini"})  # Windows keeps them in any folder it shows


def is_spreadsheet(path: Path) -> bool:
    return Path(path).suffix.lower() in SPREADSHEET_SUFFIXES


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
    """The files of a folder that are neither workbooks the intake reads nor temporary ones, in name order
    (Windows' Thumbs.db and desktop.ini are not the rep's)."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.is_file() and not is_spreadsheet(p) and not is_temporary(p)
                  and p.name.lower() not in SYSTEM_FILES)


def rep_of(path: Path) -> str:
    """Whose file it is: the stem normalised (``张 伟.xlsx`` is 张伟's); a CSV's stem before its first ``_``.

    >>> rep_of(Path("张 伟.xlsx")), rep_of(Path("张伟_回款.csv")), rep_of(Path("张伟.csv")), rep_of(Path("张伟_1.xlsx"))
    ('张伟', '张伟', '张伟', '张伟_1')
    """
    path = Path(path)
    stem = path.stem.split("_", 1)[0] if path.suffix.lower() == ".csv" else path.stem
    return normalize_name(stem)


def csv_sheet(path: Path) -> str:
    """The sheet a CSV's name gives (``张伟_回款.csv`` -> 回款), or "" (its header decides)."""
    parts = Path(path).stem.split("_", 1)
    return parts[1].strip() if len(parts) == 2 else ""


def rep_workbooks(folder: Path) -> dict[str, Path]:
    """Each rep's workbook in the reps folder, by rep name (``rep_of``); a file the intake cannot read still
    shows the rep has one, unless a readable one is there too."""
    found = {rep_of(p): p for p in unsupported_files(folder)}
    found.update({rep_of(p): p for p in list_workbooks(folder)[0]})
    return found
