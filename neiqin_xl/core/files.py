"""Files on disk, for every stage: safe and unique names from any text, and the atomic write.

Names: ``file_names`` is the one rule for a file named after someone (a customer's 对账单, a rep's 提成确认单
or 问题清单): every name of one folder decided at once, so none overwrites another. ``unique_names`` is the
rule under it, shared with the writer's sheet names: lengths counted in UTF-16 units as Windows and Excel
count them, names compared ignoring case as both do, and a short stable hash of the name as written added
to every name that would otherwise be taken twice.

Plain mechanism with no idea of what a file is for, so every stage may use it: the read stage's cache
writes its entries with it, the deliver stage its workbooks, manifest and .eml files, the tools their
templates. What happens when a target is locked *after* the brief retry is a decision about the file
(kept in ``deliver/saving.py``, the one locked-file policy): here a caller either names another place
(``aside``) or gets ``FileLocked``.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

TEMP_PREFIX = ".~tmp-"  # a hidden name, so the listing of rep workbooks never takes a file half written
LOCK_WAITS = (0.2, 0.5, 1.0)  # seconds between tries when the target is locked: a virus scanner, an indexer
# or a sync client holds a file for a moment; Excel holds it until the clerk closes it

Content = bytes | str | Callable[[Path], None]  # bytes, UTF-8 text, or a function that writes the file at a path

_BAD_FILE_CHARS = re.compile(r'[\\/:*?"<>|\x00-\x1f]')
_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)), *(f"LPT{i}" for i in range(1, 10))}


NAME_UNITS = 80  # the free text of a file name (a customer's name) is cut to this, the fixed parts are kept
FILE_NAME_UNITS = 255  # a file name on Windows (NTFS, FAT), in UTF-16 units
FILE_NAME_BYTES = 255  # a file name on Linux and macOS (and a Samba share), in UTF-8 bytes: 85 Chinese characters
PATH_UNITS = 259  # a whole path on Windows (MAX_PATH 260 with the terminating NUL), in UTF-16 units
MIN_TEXT_UNITS = 8  # a name after someone keeps at least this much of its text (all of a shorter one): less is a stub


class PathTooLong(ValueError):
    """A file whose whole path would not fit Windows' ``PATH_UNITS`` unless its name became a stub (``五.xlsx``):
    raised while the run's names are decided, before anything is written; the message names the path."""
HASH_CHARS = 6  # hex digits of the hash told apart names carry


def file_sha256(path: Path) -> str:
    """The sha256 of a file's bytes, read in 1 MiB chunks (an input's identity; an output's recorded hash)."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def utf16_units(text: str) -> int:
    """The length Windows and Excel count: UTF-16 code units (a character beyond U+FFFF takes two).

    >>> utf16_units("明达"), utf16_units("𠀀a")
    (2, 3)
    """
    return len(text.encode("utf-16-le")) // 2


def cut_utf16(text: str, units: int) -> str:
    """``text`` cut to at most ``units`` UTF-16 units, never inside a character.

    >>> cut_utf16("明达贸易", 2), cut_utf16("a𠀀b", 2), cut_utf16("abc", 0)
    ('明达', 'a', '')
    """
    if utf16_units(text) <= units:
        return text
    out, used = [], 0
    for ch in text:
        used += 2 if ord(ch) > 0xFFFF else 1
        if used > units:
            break
        out.append(ch)
    return "".join(out)


def short_hash(text: str) -> str:
    """A short hash of a name as written: the same name gives the same hash on every run and machine.

    >>> short_hash("A/B公司"), short_hash("A:B公司")
    ('bd10cc', 'da7b1f')
    """
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:HASH_CHARS]


@dataclass(frozen=True)
class Name:
    """A name as its maker means it: free ``text`` (a customer's or a rep's name, any characters) between fixed
    parts that are always kept whole, e.g. ``Name("A/B公司", after="_对账单_2026-11-30.xlsx")``."""

    text: str
    before: str = ""
    after: str = ""


def unique_names(wanted: Sequence[Name], clean: Callable[[str], str], units: int, text_units: int | None = None,
                 fits: Callable[[str], bool] | None = None) -> list[str]:
    """One name for each of ``wanted``, no two equal ignoring case, none longer than ``units`` UTF-16 units.

    Each is ``before`` + the text cleaned by ``clean`` (which also trims what may not start or end a name)
    and cut to fit (and to ``text_units``, and further until ``fits`` the whole name) + ``after``. Names that would be equal ignoring case (the same
    text cleaned alike, cut alike, or differing in case only) each get ``_`` and the hash of their text as
    written before ``after``; the same text asked twice gets ``_2``, ``_3`` … on its later copies.

    >>> unique_names([Name("A/B", after=".x"), Name("A:B", after=".x"), Name("C", after=".x")],
    ...              lambda t: t.replace("/", "_").replace(":", "_"), 31)
    ['A_B_239c02.x', 'A_B_7a4241.x', 'C.x']
    >>> unique_names([Name("Tom"), Name("tom"), Name("Tom")], str.strip, 31)
    ['Tom_26d58c', 'tom_96835d', 'Tom_26d58c_2']
    """
    def make(item: Name, tag: str) -> str:
        room = units - utf16_units(item.before + tag + item.after)
        if text_units is not None:
            room = min(room, text_units)
        text = clean(cut_utf16(clean(item.text), max(room, 1)))
        while fits and len(text) > 1 and not fits(item.before + text + tag + item.after):
            text = clean(text[:-1])
        return item.before + text + tag + item.after

    names = [make(item, "") for item in wanted]
    counts: dict[str, int] = {}
    for name in names:
        counts[name.casefold()] = counts.get(name.casefold(), 0) + 1
    names = [make(item, f"_{short_hash(item.text)}") if counts[name.casefold()] > 1 else name
             for item, name in zip(wanted, names)]
    taken = {name.casefold() for name in names}
    seen: set[str] = set()
    for i, (item, name) in enumerate(zip(wanted, names)):
        n = 1
        while name.casefold() in seen:  # the same text twice: a counter after its hash, on a name nobody has
            n += 1
            name = make(item, f"_{short_hash(item.text)}_{n}")
            if name.casefold() in taken:
                seen.add(name.casefold())  # another's: skip it (the loop goes on to the next counter)
        seen.add(name.casefold())
        names[i] = name
    return names


def safe_filename(name: str, max_len: int = NAME_UNITS) -> str:
    """A file name safe on Windows from any text (a customer or a rep name): each of / \\ : * ? " < > | and
    control characters becomes _, a reserved device name gets a leading _, trailing dots and spaces go,
    and the name is cut to ``max_len`` UTF-16 units. Not unique: a name of a folder's files is
    ``file_names``'.

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
    return cut_utf16(cleaned, max_len).rstrip(". ") or "_"


def file_names(wanted: Sequence[Name | str], folder: Path) -> list[str]:
    """The names of files written together into ``folder``: safe on Windows (``safe_filename`` on the free
    text; the fixed parts, such as ``_对账单_2026-11-30.xlsx``, always kept), unique ignoring case (two texts
    that clean or cut alike each carry their hash), the text at most ``NAME_UNITS`` long, the name at most
    255 UTF-16 units (Windows) and 255 UTF-8 bytes (Linux, macOS), the whole path within Windows' 259 units.
    A plain string is a fixed name (its stem the
    text, its suffix kept), never cut; a ``Name``'s text is cut to fit the path, but never below
    ``MIN_TEXT_UNITS``: a folder too deep for that is ``PathTooLong``, naming the path (names never become stubs).

    >>> file_names([Name("A/B公司", after="_对账单_2026-11-30.xlsx"), Name("A:B公司", after="_对账单_2026-11-30.xlsx"),
    ...             Name("ABC Trading", after=".xlsx"), Name("abc trading", after=".xlsx"), "日报.xlsx"], Path("对账单"))
    ['A_B公司_bd10cc_对账单_2026-11-30.xlsx', 'A_B公司_da7b1f_对账单_2026-11-30.xlsx', 'ABC Trading_ce0e17.xlsx', 'abc trading_2b64d5.xlsx', '日报.xlsx']
    """
    items = [Name(Path(w).stem, after=Path(w).suffix) if isinstance(w, str) else w for w in wanted]
    room = min(FILE_NAME_UNITS, PATH_UNITS - utf16_units(str(Path(folder).absolute())) - 1)
    for item, fixed in zip(items, [isinstance(w, str) for w in wanted]):
        text = safe_filename(item.text)
        kept = utf16_units(text) if fixed else min(utf16_units(text), MIN_TEXT_UNITS)
        if utf16_units(item.before + item.after) + kept > room:
            whole = str(Path(folder).absolute() / (item.before + text + item.after))
            raise PathTooLong(f"路径太长: {whole} ({utf16_units(whole)} 个字符, Windows 最多 {PATH_UNITS} 个); "
                              f"请把工作区 (或 paths 中的输出文件夹) 移到较短的路径下, 例如 D:\\内勤")
    return unique_names(items, safe_filename, room, text_units=NAME_UNITS,
                        fits=lambda name: len(name.encode("utf-8")) <= FILE_NAME_BYTES)


# sqlite's unix VFS holds a whole path in 512 bytes, its "-journal" sibling's too: a database path of more than
# 504 UTF-8 bytes is "unable to open database file" (measured with Python's sqlite3 on Linux: 504 opens, 505
# does not), i.e. about 160 Chinese characters. On Windows the path rule of every file applies (``PATH_UNITS``).
SQLITE_PATH_BYTES = 504
JOURNAL_SUFFIX = "-journal"


def check_database_path(path: Path, windows: bool = os.name == "nt") -> None:
    """Raises ``PathTooLong`` naming ``path`` when sqlite cannot keep a database there: with its journal beside
    it, beyond Windows' ``PATH_UNITS``, or (Linux, macOS) beyond ``SQLITE_PATH_BYTES``. Called before the run
    writes anything, as the output names are decided before a workbook is written.

    >>> check_database_path(Path("/内勤/" + "长" * 150 + "/.neiqin_state.sqlite"), windows=False)  # 479 bytes
    >>> try:
    ...     check_database_path(Path("/内勤/" + "长" * 170 + "/.neiqin_state.sqlite"), windows=False)
    ... except PathTooLong as exc:
    ...     print(str(exc).split(" (")[1].split(",")[0])
    539 字节
    """
    whole = str(Path(path).absolute())
    units = utf16_units(whole + JOURNAL_SUFFIX)
    if units > PATH_UNITS:
        raise PathTooLong(f"路径太长: {whole} ({utf16_units(whole)} 个字符, 加上 SQLite 的 {JOURNAL_SUFFIX} 文件 "
                          f"{units} 个, Windows 最多 {PATH_UNITS} 个): 无法打开状态数据库; "
                          f"请把工作区移到较短的路径下, 例如 D:\\内勤")
    size = len(whole.encode("utf-8"))
    if not windows and size > SQLITE_PATH_BYTES:
        raise PathTooLong(f"路径太长: {whole} ({size} 字节, SQLite 在 Linux/macOS 上最多 {SQLITE_PATH_BYTES} 字节, "
                          f"约 160 个汉字): 无法打开状态数据库; 请把工作区移到较短的路径下, 例如 /srv/内勤")


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
