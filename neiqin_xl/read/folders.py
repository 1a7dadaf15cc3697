"""Which files of a workspace folder are workbooks to read: the one temp-file rule, at the start of the day.

Every listing of workbooks goes through ``list_workbooks``: the intake's (reps/, master/, attendance/,
finance/), the reminders' (whose workbook is missing or stale, ``rep_workbooks``) and the demo's check for
an empty workspace. A workbook is a file with a spreadsheet suffix; of those, ``is_temporary`` sets aside
the files a program keeps beside a workbook while it is open or being saved.
"""

from __future__ import annotations

from pathlib import Path

from ..core.names import normalize_name

SPREADSHEET_SUFFIXES = frozenset({".xlsx", ".xlsm", ".xls", ".xlsb", ".ods"})


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


def rep_workbooks(folder: Path) -> dict[str, Path]:
    """Each rep's workbook in the reps folder, by rep name (the file stem, normalised as the intake does:
    ``张 伟.xlsx`` is 张伟's)."""
    return {normalize_name(p.stem): p for p in list_workbooks(folder)[0]}
