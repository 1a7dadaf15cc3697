"""Opening a workbook and finding its data: the Excel I/O of the intake, and nothing else.

``open_workbook`` opens .xlsx/.xlsm/.xltx/.xltm/.xls/.xlsb/.ods and WPS's .et/.ett with python-calamine,
and a .csv as a one-sheet ``CsvBook`` (UTF-8 with or without BOM, else GBK/GB18030; every cell is text);
``identify_sheet`` says which ``SheetDef`` a sheet holds, by its header row (every definition scored by the
fields its header names), its name a tie-breaker and a hint (hidden sheets are not read); ``read_grid`` gives a sheet's cells
as a list of rows in absolute positions (row index 0 = Excel row 1), with merged ranges filled down and
Excel error values marked; ``locate_header`` finds the header row among the first rows and maps its
columns to the schema's fields (an amount headed in 万元 scaled, 单位 the customer only as a last resort),
and ``header_advice`` says, when a required column is missing, the nearest header and the config line
(``config_block``, one block; ``merge_advice`` makes one of several); ``fitting_columns`` finds a missing
column by its cells (dates, amounts, and the IDs and names ``Known`` holds).
``intake`` parses the cells and builds the tables.

What python-calamine 0.9 gives, and what this module does about it:
- blank cells are ``""``; formulas give their cached value (a formula never calculated, as openpyxl
  writes them, reads as blank);
- error cells (#N/A, #DIV/0! …) are returned as ``""``, indistinguishable from a blank. For .xlsx/.xlsm
  this module reads the sheet's XML for ``t="e"`` cells and puts the error text (e.g. "#DIV/0!") back in
  the grid, so the parser reports them; for .xls, .xlsb and .ods an error cell reads as blank;
- a formula saved without its result (a file written by a program and never opened in Excel) also reads
  as ``""``: the same look at the XML finds it (a ``<f>`` with no ``<v>``, or an empty one that is not a
  text result) and puts an ``Uncalculated`` (the formula's text) in the grid, which ``intake`` reports in
  any field. .xls and .ods always store a formula's result;
- merged ranges come from ``merged_cell_ranges`` for .xlsx and .xls; calamine has none for .ods, so
  this module reads them from the file's content.xml (``table:number-rows-spanned``). .xlsb: none. A
  range spanning several rows (a customer merged over three contracts) gives its value to every row of
  its first column; single-row merges (titles) are left alone. ``read_grid`` also returns those ranges:
  ``intake`` takes the filled value for text, names, IDs and dates, never for an amount or a quantity
  (one ¥50,000 merged over two contracts would count twice).

Before calamine sees a file, cheap checks stop the known traps (the worker's limits, ``isolation.py``,
catch the rest): ``check_ole_chains`` refuses an .xls whose sector chain loops (calamine would follow it
until the process aborts), ``check_zip_sizes`` refuses a zip bomb from the zip's directory, ``is_encrypted_biff``
finds an .xls's FILEPASS record (RC4 or XOR: "有密码保护"), ``scan_sheets`` finds a sheet whose used
range is far beyond any real ledger (a stray value in XFD1048576), which ``read_cells_present`` reads by
the cells its XML holds instead of as a dense grid.
"""

from __future__ import annotations

import csv
import html
import io
import re
import struct
import zipfile
import zlib
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path, PurePosixPath
from typing import Iterable, NamedTuple
from xml.etree import ElementTree

import openpyxl
import python_calamine as pc
import yaml
from openpyxl.worksheet._reader import WorkSheetParser
from rapidfuzz import fuzz
from xlsxwriter.utility import xl_cell_to_rowcol

from ..core.config import Settings
from .folders import csv_sheet, decode_text
from .parse import Uncalculated, display_raw, is_blank, is_unit_code, normalize_header
from ..core.names import match_key
from ..core.schema import (AMBIGUOUS_CUSTOMER, CONTRACT_NO, CUSTOMER, DATE, MONEY, NAME, PRODUCT, REP_HEADERS, Field,
                           SheetDef)

_XML_ERROR_SUFFIXES = frozenset({".xlsx", ".xlsm", ".xltx", ".xltm"})
_ERROR_CELL = re.compile(rb'<(?:\w+:)?c\b([^>]*\bt="e"[^>]*)>(.*?)</(?:\w+:)?c>', re.DOTALL)
_CELL_REF = re.compile(rb'\br="([A-Z]+\d+)"')
_VALUE = re.compile(rb"<(?:\w+:)?v>([^<]*)</(?:\w+:)?v>")
_FORMULA_CELL = re.compile(rb'<(?:\w+:)?c\b([^>]*)>\s*<(?:\w+:)?f\b(?:[^>]*/>|[^>]*>([^<]*)</(?:\w+:)?f>)\s*'
                           rb'(?:<(?:\w+:)?v>([^<]*)</(?:\w+:)?v>|<(?:\w+:)?v\s*/>)?\s*</(?:\w+:)?c>')
_TEN_THOUSANDS = ("(万元)", "万元", "(万)")
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGIC = b"PK\x03\x04"
_CALAMINE_ERRORS = (pc.CalamineError, pc.XmlError, pc.ZipError, ValueError, OSError)
_OLE_SUFFIXES = frozenset({".xls", ".et", ".ett", ".xlt"})
_TEXT_SUFFIXES = frozenset({".csv", ".txt"})
_BINARY_SUFFIXES = frozenset({".xlsb", ".ods", ".xlsx", ".xlsm", ".xltx", ".xltm"})
_REL_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
_ZIP_SUFFIXES = frozenset({".xlsx", ".xlsm", ".xltx", ".xltm", ".xlsb", ".ods"})
_DIMENSION = re.compile(rb'<(?:\w+:)?dimension\s+ref="([A-Z]+[0-9]+)(?::([A-Z]+[0-9]+))?"')
PART_CAP = 512 * 2**20  # a zip part that unpacks to more than this is refused (a zip bomb) ...
RATIO_CAP, RATIO_FLOOR = 100, 64 * 2**20  # ... and so is one past 64 MB that unpacks to 100 times the file
_BIFF_GLOBALS_BOF = re.compile(rb"\x09\x08(?:\x10\x00\x00\x06|\x08\x00\x00\x05)\x05\x00")  # BOF, BIFF8/5 globals
_BIFF_SEARCH = 16 * 2**20
_OLE_LAST_SECTOR = 0xFFFFFFFA  # sector numbers from here on are markers (end of chain, free, FAT …)
SPARSE_AREA = 4_000_000  # a sheet whose <dimension> spans more cells is read by the cells present


@dataclass
class SheetMatch:
    """A sheet of the file that holds a SheetDef's data."""

    sheet_def: SheetDef
    name: str  # the real sheet name in the file
    index: int


@dataclass
class Header:
    """Where the header is and which column holds which field."""

    row: int  # 0-based grid index; Excel row = row + 1
    columns: dict[str, int]  # field name -> 0-based column index
    rep_column: int | None = None  # a 业务员 column on a sheet whose schema has none
    missing: list[str] = field(default_factory=list)  # required fields with no column
    scales: dict[str, int] = field(default_factory=dict)  # field -> 10000 for an amount headed in 万元
    ambiguous: dict[str, list[int]] = field(default_factory=dict)  # field -> the columns config aliases both name


class UnreadableWorkbook(ValueError):
    """A workbook recognised as unreadable before calamine tries it; the message is for the clerk."""


def open_workbook(path: Path) -> pc.CalamineWorkbook:
    """Opens a workbook; raises on a file that is not one (the caller turns it into a Problem).

    An .xlsx that is really an OLE compound file is a password-protected workbook (Excel encrypts into
    that container) or an .xls renamed; both are said plainly.
    """
    if path.stat().st_size == 0:
        raise UnreadableWorkbook("文件是空的 (0 字节)")
    with open(path, "rb") as fh:
        head = fh.read(8)
    suffix = path.suffix.lower()
    if head == _OLE_MAGIC:
        if is_encrypted_package(path):
            raise UnreadableWorkbook("工作簿有密码保护或已加密, 无法读取")
        check_ole_chains(path)
        if is_encrypted_biff(path):
            raise UnreadableWorkbook("工作簿有密码保护或已加密, 无法读取")
        if suffix in _OLE_SUFFIXES:
            return pc.CalamineWorkbook.from_path(str(path))
        try:
            return from_bytes(path)  # an .xls renamed .xlsx (WPS does this): what its bytes are
        except _CALAMINE_ERRORS:
            raise UnreadableWorkbook("工作簿有密码保护或已加密 (或文件已损坏), 无法读取") from None
    if head[:4] == _ZIP_MAGIC:
        check_zip_sizes(path)
        if suffix in _ZIP_SUFFIXES | _XML_ERROR_SUFFIXES:
            return pc.CalamineWorkbook.from_path(str(path))
        return from_bytes(path)  # an .xlsx renamed .xls or .csv
    if suffix in _TEXT_SUFFIXES or decode_text(path.read_bytes()[:65536]) is not None and suffix not in _BINARY_SUFFIXES:
        return CsvBook(path)  # a CSV or TXT, or a text export renamed .xls (a finance system's "Excel")
    if suffix in _BINARY_SUFFIXES:
        return pc.CalamineWorkbook.from_path(str(path))  # .xlsb: a zip too; left to calamine and its message
    raise UnreadableWorkbook("文件内容既不是 Excel 工作簿也不是文本表格, 无法读取")


def from_bytes(path: Path) -> pc.CalamineWorkbook:
    """A workbook opened by what its bytes are, not its extension (calamine tries each format)."""
    with open(path, "rb") as fh:
        return pc.CalamineWorkbook.from_filelike(io.BytesIO(fh.read()))


def is_encrypted_package(path: Path) -> bool:
    """An OLE file holding an ``EncryptedPackage`` stream: an .xlsx Excel encrypted with a password (the
    stream's name is in the directory, UTF-16)."""
    with open(path, "rb") as fh:
        return "EncryptedPackage".encode("utf-16-le") in fh.read(_BIFF_SEARCH)


class CsvBook:
    """A .csv as a workbook of one visible sheet, answering the calls the intake makes of calamine's.

    The sheet is named by the file (``张伟_回款.csv``: 回款, ``folders.csv_sheet``), else by the file's stem
    and ``find_sheets`` knows it by its header. No merges, no error cells; every cell is text as typed.
    """

    merged_cell_ranges = None

    def __init__(self, path: Path):
        self.rows = csv_rows(path.read_bytes())
        self.name = csv_sheet(path) or path.stem
        self.sheets_metadata = [pc.SheetMetadata(self.name, pc.SheetTypeEnum.WorkSheet, pc.SheetVisibleEnum.Visible)]

    def get_sheet_by_index(self, index: int) -> "CsvBook":
        return self

    def to_python(self, skip_empty_area: bool = False) -> list[list]:
        return [list(row) for row in self.rows]

    def close(self) -> None:
        pass


def csv_rows(data: bytes) -> list[list[str]]:
    """A CSV's or TXT's rows: UTF-16 (Excel's "Unicode 文本", with or without BOM), UTF-8 (a BOM or none), else
    GB18030 (which reads GBK, Excel's "CSV" on a Chinese Windows), as ``folders.decode_text`` tells;
    comma-separated, or tab-separated when the first line has tabs and no comma.

    >>> csv_rows('回款日期,回款金额\\r\\n2026-11-28,"1,234.50"\\r\\n'.encode("gbk"))
    [['回款日期', '回款金额'], ['2026-11-28', '1,234.50']]
    """
    text = decode_text(data, strict=True)
    if text is None:
        raise UnreadableWorkbook("文本文件的编码无法识别 (应为 UTF-8、GBK 或 UTF-16), 请用 Excel 打开并另存为 .xlsx")
    first = text.split("\n", 1)[0]
    delimiter = "\t" if "\t" in first and "," not in first else ","
    try:
        return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as exc:
        raise UnreadableWorkbook(f"CSV 文件无法读取 ({exc})") from None


def check_ole_chains(path: Path) -> None:
    """Refuses an OLE file (.xls) whose sector chains loop or leave the file: calamine follows a looping
    chain, allocating, until the process aborts. Walks the FAT of the directory and of every stream kept in
    regular sectors (the mini stream included) with a visited set: a few milliseconds for any real .xls.
    A file too odd to walk is left to calamine and the worker's limits.
    """
    data = path.read_bytes()
    if len(data) < 512:
        return
    shift, = struct.unpack_from("<H", data, 30)
    if shift not in (9, 12):
        return
    size = 1 << shift
    n_fat, first_dir, _, cutoff, _, _, first_difat, n_difat = struct.unpack_from("<8I", data, 44)
    count = (len(data) - size) // size + 1  # sectors in the file (the header takes one sector's room)

    def sector(index: int) -> bytes:
        return data[size + index * size: size + (index + 1) * size] if index < count else b""

    def follow(start: int, links) -> list[int]:
        seen: list[int] = []
        visited: set[int] = set()
        while start < _OLE_LAST_SECTOR:
            if start in visited or start >= count:
                raise UnreadableWorkbook("文件已损坏 (扇区链循环或越出文件), 无法读取")
            visited.add(start)
            seen.append(start)
            start = links(start)
        return seen

    difat = list(struct.unpack_from("<109I", data, 76))
    per = size // 4
    for index in follow(first_difat, lambda i: struct.unpack_from("<I", sector(i).ljust(size, b"\xff"), size - 4)[0])[:n_difat]:
        difat += struct.unpack_from(f"<{per - 1}I", sector(index).ljust(size, b"\xff"))
    fat: list[int] = []
    for index in difat[:n_fat]:
        if index < count:
            fat += struct.unpack_from(f"<{per}I", sector(index).ljust(size, b"\xff"))

    def link(index: int) -> int:
        return fat[index] if index < len(fat) else _OLE_LAST_SECTOR

    directory = b"".join(sector(i) for i in follow(first_dir, link))
    for offset in range(0, len(directory) - 127, 128):
        kind, = struct.unpack_from("<B", directory, offset + 66)
        start, length = struct.unpack_from("<II", directory, offset + 116)
        if kind == 5 or (kind == 2 and length >= cutoff):  # the root's mini stream, a stream in regular sectors
            follow(start, link)


def is_encrypted_biff(path: Path) -> bool:
    """An .xls whose workbook globals start with a FILEPASS record: XOR-obfuscated or RC4-encrypted.

    calamine says "password protected" for RC4 only; an XOR file reads as garbage or as corrupt. The
    record follows the globals' BOF (BIFF8 or BIFF5), which lies whole in the stream's first sector, so
    a byte search of the file finds it without walking the OLE container.
    """
    with open(path, "rb") as fh:
        data = fh.read(_BIFF_SEARCH)
    for m in _BIFF_GLOBALS_BOF.finditer(data):
        after = m.start() + 4 + data[m.start() + 2]
        if data[after:after + 2] == b"\x2f\x00":
            return True
    return False


def check_zip_sizes(path: Path) -> None:
    """Refuses a zip-based workbook with a part that would unpack to more than ``PART_CAP``, or past
    ``RATIO_FLOOR`` to more than ``RATIO_CAP`` times the file (a zip bomb), before anything unpacks it.

    Reads the zip's directory only (the sizes it declares); a file that lies there is stopped by the
    worker's memory limit instead. A file that is not a zip is left to calamine's own error.
    """
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return
    size = path.stat().st_size
    for info in infos:
        if info.file_size > PART_CAP or (info.file_size > RATIO_FLOOR and info.file_size > RATIO_CAP * size):
            raise UnreadableWorkbook(f"工作簿中的 {info.filename} 解压后有 {info.file_size / 2**20:,.0f} MB "
                                     f"(文件本身 {size / 2**20:,.1f} MB), 超过读取上限, 文件可能已损坏或是恶意文件")


def open_error_text(exc: BaseException) -> str:
    """A clerk-readable reason why a workbook could not be opened."""
    text = str(exc)
    if isinstance(exc, pc.PasswordError) or "password" in text.lower() or "encrypt" in text.lower():
        return "工作簿有密码保护或已加密, 无法读取"
    if isinstance(exc, PermissionError):
        return "文件被占用或没有读取权限"
    if isinstance(exc, UnreadableWorkbook):
        return text
    return "无法打开工作簿: 文件已损坏, 或不是 Excel 文件"


# ---------------------------------------------------------------- sheets

def sheet_names_for(sheet_def: SheetDef, settings: Settings) -> set[str]:
    """The normalised names that mean this sheet: canonical, schema aliases, config aliases."""
    names = [sheet_def.name, *sheet_def.aliases, *settings.intake.sheet_aliases.get(sheet_def.name, [])]
    return {normalize_header(n) for n in names}


# ---------------------------------------------------------------- what a sheet holds

NOT_DATA_SHEETS = frozenset({"说明", "填写说明", "使用说明", "列表"})  # the template's help and list sheets
DATA_TABLE_ROWS = 5  # a sheet of no definition with this many rows of a date and an amount is a data table


@dataclass
class SheetVerdict:
    """What a visible sheet holds, by its header row and its name: ``sheet_def`` the definition it is read
    as (None: not ours); ``fields`` the number of fields its best header row names for each definition that
    names any; ``tied`` the definitions that tie for the best (an error: which one cannot be told);
    ``renamed`` set when a sheet named after one definition holds another's header."""

    sheet_def: SheetDef | None
    fields: dict[str, int]
    tied: tuple[str, ...] = ()
    renamed: str = ""
    data_table: bool = False


def name_hint(sheet_def: SheetDef, name: str, settings: Settings) -> tuple[int, int]:
    """(2, …) when the sheet's name is the definition's name or an alias; (1, length) when it contains one
    (回款(2), 11月回款, 2026合同, 回款登记: the longer the name contained the better, so 回款计划 is not 回款);
    else (0, 0).

    >>> from neiqin_xl.core.config import Settings
    >>> from neiqin_xl.core.schema import COLLECTIONS, PLANS
    >>> name_hint(COLLECTIONS, "回款(2)", Settings()), name_hint(PLANS, "2026回款计划", Settings())
    ((1, 2), (1, 4))
    """
    key = normalize_header(name)
    names = sheet_names_for(sheet_def, settings)
    if key in names:
        return 2, len(key)
    return max(((1, len(n)) for n in names if n and n in key), default=(0, 0))


def fields_named(rows: list[list[str]], lookup: dict) -> int:
    """The most fields one of the (normalised) rows names: each field once, 单位 not counted."""
    best = 0
    for row in rows:
        found = {name for key in row if key for priority, name, _ in lookup.get(key, ()) if priority < 3}
        best = max(best, len(found))
    return best


def identify_sheet(grid: list[list], name: str, sheet_defs: tuple[SheetDef, ...], settings: Settings,
                   lookups: dict[str, dict]) -> SheetVerdict:
    """Which definition a sheet holds: the one its best header row (among the first ``header_scan_rows``)
    names most fields of; the name breaks a tie and, when it is a definition's own name or alias, keeps
    that definition unless another's header is named by strictly more fields (then ``renamed``). A sheet
    whose header names at least two fields is ours; with no name and two definitions tied it is ``tied``
    (never guessed). ``lookups`` holds ``header_lookup`` of each definition (built once per workbook)."""
    rows = [[normalize_header(c) if isinstance(c, str) else "" for c in row] for row in grid[: settings.intake.header_scan_rows]]
    fields = {d.name: fields_named(rows, lookups[d.name]) for d in sheet_defs}
    hints = {d.name: name_hint(d, name, settings) for d in sheet_defs}
    counts = {k: v for k, v in fields.items() if v}
    named = [d for d in sheet_defs if hints[d.name][0] == 2]
    top = max(counts.values(), default=0)
    best = [d for d in sheet_defs if counts.get(d.name) == top] if top else []
    if len(best) > 1 and max(hints[d.name] for d in best)[0]:  # the name breaks a tie
        best = [max(best, key=lambda d: hints[d.name])]
    if named:
        own = max(named, key=lambda d: fields[d.name])
        if top >= 2 and len(best) == 1 and best[0] is not own and top > fields[own.name]:
            return SheetVerdict(best[0], counts, renamed=own.name)
        return SheetVerdict(own, counts)
    if top >= 2:
        if len(best) > 1:
            return SheetVerdict(None, counts, tied=tuple(d.name for d in best))
        return SheetVerdict(best[0], counts)
    hinted = [d for d in sheet_defs if hints[d.name][0]]
    if len(hinted) == 1 and top == fields[hinted[0].name] and top:  # 回款登记 with only 金额 known: the name says
        return SheetVerdict(hinted[0], counts)
    return SheetVerdict(None, counts, data_table=holds_data_table(grid))


def holds_data_table(grid: list[list]) -> bool:
    """At least ``DATA_TABLE_ROWS`` of the first 200 rows hold a date and a number: a ledger's rows, whatever
    its header says."""
    found = 0
    for row in grid[:200]:
        kinds = {type(c) for c in row}
        if (datetime in kinds or date in kinds) and (float in kinds or int in kinds):
            found += 1
            if found >= DATA_TABLE_ROWS:
                return True
    return False


def visible_worksheets(book) -> list[tuple[int, str]]:
    """(index, name) of the visible worksheets, in workbook order."""
    return [(i, m.name) for i, m in enumerate(book.sheets_metadata) if is_visible(m) and is_worksheet(m)]


def hidden_named(book, sheet_defs: tuple[SheetDef, ...], settings: Settings) -> list[str]:
    """The hidden sheets named after one of the definitions (a warning: not read)."""
    wanted = set().union(*(sheet_names_for(d, settings) for d in sheet_defs)) if sheet_defs else set()
    return [m.name for m in book.sheets_metadata if not is_visible(m) and normalize_header(m.name) in wanted]


def sheet_alias_line(sheet_def: str, sheets: list[str]) -> str:
    """The config.yaml lines that map sheets to a definition, nested as config.yaml has them.

    >>> print(sheet_alias_line("回款", ["Sheet1", "2026年1月"]))
    intake:
      sheet_aliases:
        回款: [Sheet1, 2026年1月]
    """
    return config_block({"sheet_aliases": {sheet_def: sheets}})


def config_block(advice: dict) -> str:
    """The config.yaml lines of some advice ({"sheet_aliases": {kind: [sheet names]}, "column_aliases": {kind:
    {field: [headers]}}}), nested under ``intake:`` as config.yaml has them: one block, pasted once. A
    suggestion that carries one ends with it (``advice_in`` reads it back).

    >>> print(config_block({"sheet_aliases": {"回款": ["收支"], "合同": ["签单"]}, "column_aliases": {"回款": {"回款日期": ["日子"]}}}))
    intake:
      sheet_aliases:
        回款: [收支]
        合同: [签单]
      column_aliases:
        回款:
          回款日期: [日子]
    """
    lines = ["intake:"]
    if advice.get("sheet_aliases"):
        lines.append("  sheet_aliases:")
        lines += [f"    {kind}: [{', '.join(yaml_text(s) for s in names)}]" for kind, names in advice["sheet_aliases"].items()]
    if advice.get("column_aliases"):
        lines.append("  column_aliases:")
        for kind, fields in advice["column_aliases"].items():
            lines.append(f"    {kind}:")
            lines += [f"      {name}: [{', '.join(yaml_text(h) for h in heads)}]" for name, heads in fields.items()]
    return "\n".join(lines)


def advice_in(suggestion: str) -> dict:
    """The advice of the config block a suggestion ends with (``config_block``), read back; {} when it has none.

    >>> advice_in("如就是该列, 请加:\\n" + config_block({"column_aliases": {"回款": {"回款日期": ["日子", "a: b"]}}}))
    {'column_aliases': {'回款': {'回款日期': ['日子', 'a: b']}}}
    """
    at = block_start(suggestion)
    if at < 0:
        return {}
    try:
        block = yaml.safe_load(suggestion[at:])
    except yaml.YAMLError:
        return {}
    return (block.get("intake") or {}) if isinstance(block, dict) else {}


def block_start(suggestion: str) -> int:
    """Where the config block of a suggestion starts; -1 when it has none."""
    if suggestion.startswith("intake:\n"):
        return 0
    at = suggestion.find("\nintake:\n")
    return at + 1 if at >= 0 else -1


def merge_advice(advices: Iterable[dict]) -> tuple[dict, list[str]]:
    """Several pieces of advice as one (``config_block``), and what was left out: a sheet name offered for two kinds,
    or a header offered for two fields of one kind (the aliases of a kind hold for all its sheets, so such a line
    would read one of them from the other's column) — never one header for two fields.

    >>> merge_advice([{"column_aliases": {"合同": {"合同编号": ["1"], "签订日期": ["日子"]}}},
    ...               {"sheet_aliases": {"回款": ["收支"]}, "column_aliases": {"合同": {"合同金额": ["1"]}}}])
    ({'sheet_aliases': {'回款': ['收支']}, 'column_aliases': {'合同': {'签订日期': ['日子']}}}, ['合同表的表头 "1" 同时被建议为 合同编号、合同金额'])
    """
    kinds: dict[str, dict[str, None]] = {}  # sheet name -> the kinds offered
    fields: dict[tuple[str, str], dict[str, None]] = {}  # (kind, header) -> the fields offered
    for advice in advices:
        for kind, names in (advice.get("sheet_aliases") or {}).items():
            for name in names:
                kinds.setdefault(str(name), {})[kind] = None
        for kind, mapping in (advice.get("column_aliases") or {}).items():
            for name, heads in mapping.items():
                for head in heads:
                    fields.setdefault((kind, str(head)), {})[name] = None
    sheet_aliases: dict[str, list[str]] = {}
    column_aliases: dict[str, dict[str, list[str]]] = {}
    dropped = []
    for name, offered in kinds.items():
        if len(offered) > 1:
            dropped.append(f'工作表 "{name}" 同时被建议为 {"、".join(offered)} 表')
        else:
            sheet_aliases.setdefault(next(iter(offered)), []).append(name)
    for (kind, head), offered in fields.items():
        if len(offered) > 1:
            dropped.append(f'{kind}表的表头 "{head}" 同时被建议为 {"、".join(offered)}')
        else:
            column_aliases.setdefault(kind, {}).setdefault(next(iter(offered)), []).append(head)
    merged = {"sheet_aliases": sheet_aliases, "column_aliases": column_aliases}
    return {k: v for k, v in merged.items() if v}, dropped


def yaml_text(text: str) -> str:
    """A name as a YAML flow item: plain when that reads back as the same text, else double-quoted.

    >>> yaml_text("回款(2)"), yaml_text("Sheet 1"), yaml_text("a: b")
    ('回款(2)', 'Sheet 1', '"a: b"')
    >>> yaml.safe_load("[" + yaml_text("到账\\n金额") + ", " + yaml_text('a"\\\\b') + "]") == ["到账\\n金额", 'a"\\\\b']
    True
    """
    if text and text == text.strip() and not re.search(r"[,\[\]{}#:\"'\x00-\x1f]", text) and text[0] not in "-?!&*|>%@`" \
            and not re.fullmatch(r"[\d.+-]+|true|false|yes|no|on|off|null|~", text, re.I):
        return text
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t").replace("\r", "\\r") + '"'


def is_visible(meta: pc.SheetMetadata) -> bool:
    return meta.visible == pc.SheetVisibleEnum.Visible


def is_worksheet(meta: pc.SheetMetadata) -> bool:
    return meta.typ == pc.SheetTypeEnum.WorkSheet


# ---------------------------------------------------------------- cells

Range = tuple[tuple[int, int], tuple[int, int]]  # ((top, left), (bottom, right)), 0-based, as calamine gives


def read_grid(book: pc.CalamineWorkbook, match: SheetMatch, path: Path,
              error_cells: dict[tuple[int, int], str]) -> tuple[list[list], list[Range]]:
    """The sheet's cells as rows in absolute positions, merged ranges filled down, and ``error_cells`` (this
    sheet's entry of ``scan_sheets``) put back where calamine gave a blank; and the ranges filled
    down (``intake`` refuses an amount spread over them)."""
    sheet = book.get_sheet_by_index(match.index)
    grid = sheet.to_python(skip_empty_area=False)
    ranges = sheet.merged_cell_ranges
    if ranges is None and path.suffix.lower() == ".ods":
        ranges = ods_merged_ranges(path, match.index)
    filled = fill_merged(grid, ranges or [])
    for (row, col), text in error_cells.items():
        if row < len(grid):
            cells = grid[row]
            if col >= len(cells):
                cells.extend([""] * (col + 1 - len(cells)))
            if cells[col] in ("", None):
                cells[col] = text
    return grid, filled


def fill_merged(grid: list[list], ranges: list[Range]) -> list[Range]:
    """Gives a merged range's value to every row of its first column (ranges of one row are titles) and
    returns the ranges it filled."""
    filled: list[Range] = []
    for (top, left), (bottom, right) in ranges:
        if bottom <= top or top >= len(grid):
            continue
        filled.append(((top, left), (bottom, right)))
        value = grid[top][left] if left < len(grid[top]) else ""
        for row in range(top + 1, min(bottom, len(grid) - 1) + 1):
            cells = grid[row]
            if left >= len(cells):
                cells.extend([""] * (left + 1 - len(cells)))
            cells[left] = value
    return filled


class SheetScan(NamedTuple):
    """What a workbook's sheet XML says that python-calamine does not: per sheet index, its error cells and
    formulas without a result (``error_cells``), and the used range of a sheet far beyond any real ledger
    (``sprawling``)."""

    error_cells: dict[int, dict[tuple[int, int], str]]
    sprawling: dict[int, str]


def scan_sheets(path: Path, sheet_indexes: list[int]) -> SheetScan:
    """One pass over the zip of an .xlsx/.xlsm/.xltx/.xltm for the given sheets (0-based positions); other
    formats give nothing to find.

    - A sheet whose ``<dimension>`` spans more than ``SPARSE_AREA`` cells (one stray value in XFD1048576 makes
      calamine build a dense grid of 17 billion cells, 512 GiB) is only noted: the intake reads it with
      ``read_cells_present``. Only the head of its XML is read.
    - Every other sheet's XML is searched for error cells (calamine returns them as blanks; the XML says
      ``t="e"``) and formulas saved without a result; a quick byte search skips the parse when there are none.
    An unreadable part gives nothing (calamine reports the sheet it cannot read).
    """
    scan = SheetScan({}, {})
    if path.suffix.lower() not in _XML_ERROR_SUFFIXES:
        return scan
    try:
        with zipfile.ZipFile(path) as zf:
            parts = sheet_parts(zf)
            for index in sheet_indexes:
                if index >= len(parts) or parts[index] is None:
                    continue
                with zf.open(parts[index]) as fh:
                    m = _DIMENSION.search(fh.read(4096))
                if m and m.group(2):
                    used = f"{m.group(1).decode()}:{m.group(2).decode()}"
                    (top, left), (bottom, right) = xl_cell_to_rowcol(m.group(1).decode()), xl_cell_to_rowcol(m.group(2).decode())
                    if (bottom - top + 1) * (right - left + 1) > SPARSE_AREA:
                        scan.sprawling[index] = used
                        continue
                scan.error_cells[index] = error_cells_in(zf.read(parts[index]))
    except (zipfile.BadZipFile, KeyError, OSError, ElementTree.ParseError, zlib.error, EOFError):
        pass
    return scan


def error_cells_in(data: bytes) -> dict[tuple[int, int], str]:
    """The ``t="e"`` cells of one sheet's XML, and its formulas without a result (as ``Uncalculated``)."""
    found: dict[tuple[int, int], str] = uncalculated_cells_in(data)
    if b't="e"' not in data:
        return found
    for m in _ERROR_CELL.finditer(data):
        ref, value = _CELL_REF.search(m.group(1)), _VALUE.search(m.group(2))
        if ref:
            found[xl_cell_to_rowcol(ref.group(1).decode())] = value.group(1).decode("utf-8", "replace") if value else "#N/A"
    return found


def uncalculated_cells_in(data: bytes) -> dict[tuple[int, int], Uncalculated]:
    """The formula cells of one sheet's XML saved without a result: no ``<v>``, or an empty one that is not
    a text result (``t="str"``: a formula giving ""). Counting first skips the parse when every formula has
    a value (Excel's files), which is nearly always. A row holding nothing but such formulas lies past the
    grid calamine gives (a template's prepared rows) and is not read.

    >>> uncalculated_cells_in(b'<c r="B2"><f>DATE(2026,11,28)</f><v></v></c><c r="C2"><f>A1</f><v>3</v></c>')
    {(1, 1): '=DATE(2026,11,28)'}
    >>> uncalculated_cells_in(b'<c r="B3" t="str"><f>IF(A3="","",A3)</f><v></v></c><c r="B4"><f t="shared" si="0"/></c>')
    {(3, 1): '=…'}
    """
    formulas = data.count(b"<f>") + data.count(b"<f ") if b"<f" in data else 0  # one look when there is none
    if not formulas and b":f" not in data:
        return {}
    if formulas and formulas <= data.count(b"</f><v>") + data.count(b"/><v>") - data.count(b"<v></v>"):
        return {}
    found: dict[tuple[int, int], Uncalculated] = {}
    for m in _FORMULA_CELL.finditer(data):
        attributes, formula, value = m.groups()
        if value or (value is not None and b't="str"' in attributes):
            continue
        ref = _CELL_REF.search(attributes)
        if ref:
            text = html.unescape((formula or b"").decode("utf-8", "replace"))
            found[xl_cell_to_rowcol(ref.group(1).decode())] = Uncalculated("=" + (text or "…"))  # "…": a shared formula's
    return found


def ods_merged_ranges(path: Path, sheet_index: int) -> list[Range]:
    """Merged ranges spanning rows in one sheet of an .ods (0-based, like calamine's for .xlsx).

    Walks content.xml counting repeated rows and columns; skipped entirely when no cell spans rows.
    """
    table_ns = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
    tag_table, tag_row = f"{{{table_ns}}}table", f"{{{table_ns}}}table-row"
    cells = (f"{{{table_ns}}}table-cell", f"{{{table_ns}}}covered-table-cell")
    rows_spanned, cols_spanned = f"{{{table_ns}}}number-rows-spanned", f"{{{table_ns}}}number-columns-spanned"
    rows_repeated, cols_repeated = f"{{{table_ns}}}number-rows-repeated", f"{{{table_ns}}}number-columns-repeated"
    try:
        with zipfile.ZipFile(path) as zf:
            data = zf.read("content.xml")
    except (zipfile.BadZipFile, KeyError, OSError, zlib.error, EOFError):
        return []
    if b"number-rows-spanned" not in data:
        return []
    ranges: list[Range] = []
    table, row, col, depth = -1, 0, 0, 0
    repeat_stack: list[int] = []
    try:
        for event, el in ElementTree.iterparse(io.BytesIO(data), events=("start", "end")):
            if el.tag == tag_table:
                if event == "start":
                    depth += 1
                    if depth == 1:
                        table, row = table + 1, 0
                else:
                    depth -= 1
                    if depth == 0 and table == sheet_index:
                        break
            elif depth != 1 or table != sheet_index:
                if event == "end" and el.tag == tag_row:
                    el.clear()
                continue
            elif el.tag == tag_row:
                if event == "start":
                    col = 0
                    repeat_stack.append(int(el.get(rows_repeated, "1")))
                else:
                    row += repeat_stack.pop()
                    el.clear()
            elif el.tag in cells and event == "start":
                span = int(el.get(rows_spanned, "1"))
                if span > 1:
                    width = int(el.get(cols_spanned, "1"))
                    ranges.append(((row, col), (row + span - 1, col + width - 1)))
                col += int(el.get(cols_repeated, "1"))
    except ElementTree.ParseError:
        return ranges
    return ranges


def sheet_parts(zf: zipfile.ZipFile) -> list[str | None]:
    """The zip member holding each sheet, in workbook order (None where the relationship is missing)."""
    workbook = ElementTree.fromstring(zf.read("xl/workbook.xml"))
    rels = ElementTree.fromstring(zf.read("xl/_rels/workbook.xml.rels"))
    targets = {rel.get("Id"): rel.get("Target", "") for rel in rels}
    parts: list[str | None] = []
    for sheet in (el for el in workbook.iter() if el.tag.endswith("}sheet")):
        target = targets.get(sheet.get(_REL_NS))
        if target is None:
            parts.append(None)
        elif target.startswith("/"):
            parts.append(target.lstrip("/"))
        else:
            parts.append(str(PurePosixPath("xl") / target))
    return parts


def read_cells_present(path: Path, sheet_name: str) -> tuple[list[list], list[Range]]:
    """A sheet's grid built from the cells its XML holds (openpyxl's streaming parser): memory follows the
    cells present, not the used range. Rows are as long as their last filled cell; cells of only spaces
    are left out (a stray space in XFD1048576 then costs nothing); merged ranges are filled as in
    ``read_grid`` and returned with the grid (an amount merged over rows is refused here too), error cells
    keep their text (#DIV/0!).
    """
    book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        sheet = book[sheet_name]
        grid: list[list] = []
        with sheet._get_source() as src:  # openpyxl's own read-only path, without its padding to the used range
            parser = WorkSheetParser(src, book.shared_strings, data_only=True, epoch=book.epoch,
                                     date_formats=book._date_formats, timedelta_formats=book._timedelta_formats)
            for _, cells in parser.parse():
                for cell in cells:
                    value = cell["value"]
                    if value is None or (isinstance(value, str) and not value.strip()):
                        continue
                    row, col = cell["row"] - 1, cell["column"] - 1
                    if row >= len(grid):
                        grid.extend([] for _ in range(row + 1 - len(grid)))
                    cells_of_row = grid[row]
                    if col >= len(cells_of_row):
                        cells_of_row.extend([""] * (col + 1 - len(cells_of_row)))
                    cells_of_row[col] = value
            merged = [m.ref for m in parser.merged_cells.mergeCell] if parser.merged_cells is not None else []
            ranges = [(xl_cell_to_rowcol(first), xl_cell_to_rowcol(last or first))
                      for first, _, last in (ref.partition(":") for ref in merged)]
    finally:
        book.close()
    return grid, fill_merged(grid, ranges)


# ---------------------------------------------------------------- header

def header_lookup(sheet_def: SheetDef, settings: Settings) -> dict[str, list[tuple[int, str, int]]]:
    """normalised header text -> [(priority, field, scale)]: the field's own name 0, schema alias 1, config
    alias 2, 单位 for the customer 3 (the last resort); scale 10000 for an amount's header in 万元
    (合同金额(万元), 金额万元), else 1."""
    lookup: dict[str, list[tuple[int, str, int]]] = {}
    extra = settings.intake.column_aliases.get(sheet_def.name, {})
    for f in sheet_def.fields:
        names = [(0, f.name), *((1, a) for a in f.aliases), *((2, a) for a in extra.get(f.name, []))]
        if f.name == CUSTOMER:
            names.append((3, AMBIGUOUS_CUSTOMER))
        for priority, name in names:
            key = normalize_header(name)
            lookup.setdefault(key, []).append((priority, f.name, 1))
            if f.kind == MONEY and not key.endswith(("(元)", "万元")):
                for suffix in _TEN_THOUSANDS:
                    lookup.setdefault(key + suffix, []).append((priority, f.name, 10000))
    return lookup


def score_row(cells: list, lookup: dict) -> int:
    """How many cells of a row are known headers of the sheet."""
    return sum(1 for c in cells if isinstance(c, str) and c and normalize_header(c) in lookup)


def locate_header(grid: list[list], sheet_def: SheetDef, settings: Settings) -> Header | None:
    """The header row (the first of the rows scanned with the most known headers) and its column map.

    None when no scanned row has any known header. A 单位 column taken for the customer whose values are
    unit codes (PCS, 台, 套 …) is given up: it is an ERP export's unit of measure.
    """
    lookup = header_lookup(sheet_def, settings)
    scan = grid[: settings.intake.header_scan_rows]
    scores = [score_row(row, lookup) for row in scan]
    if not scores or max(scores) == 0:
        return None
    row = scores.index(max(scores))
    header = Header(row=row, **map_columns(grid[row], sheet_def, lookup))
    col = header.columns.get(CUSTOMER)
    if col is not None and normalize_header(grid[row][col]) == AMBIGUOUS_CUSTOMER and holds_unit_codes(grid[row + 1:], col):
        del header.columns[CUSTOMER]
        if sheet_def.field(CUSTOMER).required:
            header.missing.append(CUSTOMER)
    return header


def holds_unit_codes(rows: list[list], col: int, sample: int = 50) -> bool:
    """Do the first filled cells of a column read as units of measure (PCS, 台, 套 …)?"""
    values = [row[col] for row in rows[: sample * 4] if col < len(row) and isinstance(row[col], str) and row[col].strip()]
    return any(is_unit_code(v) for v in values[:sample])


def map_columns(cells: list, sheet_def: SheetDef, lookup: dict) -> dict:
    """Each field's column: its own name first, then the first alias column; a column serves one field. Two
    columns both named by config aliases of one field (``intake.column_aliases``: 客户名称 [付款人, 买方单位], each
    pasted for a sheet that has only one of them) are ``ambiguous``: neither is read."""
    candidates: list[tuple[int, int, str, int]] = []  # (priority, column, field, scale)
    rep_column = None
    rep_headers = {normalize_header(h) for h in REP_HEADERS}
    for col, cell in enumerate(cells):
        key = normalize_header(cell)
        if not key:
            continue
        for priority, field_name, scale in lookup.get(key, []):
            candidates.append((priority, col, field_name, scale))
        if key in rep_headers and key not in lookup and rep_column is None:
            rep_column = col
    columns: dict[str, int] = {}
    scales: dict[str, int] = {}
    used: set[int] = set()
    ambiguous: dict[str, list[int]] = {}
    by_config: set[str] = set()  # fields whose column a config alias named
    for priority, col, field_name, scale in sorted(candidates):
        if field_name not in columns and col not in used:
            columns[field_name] = col
            used.add(col)
            if priority == 2:
                by_config.add(field_name)
            if scale != 1:
                scales[field_name] = scale
        elif priority == 2 and field_name in by_config and col not in used and col != columns[field_name]:
            ambiguous.setdefault(field_name, [columns[field_name]]).append(col)  # two columns, both the clerk's alias
    for field_name in ambiguous:  # never the first of them silently (aliases pasted for two sheets of one kind)
        del columns[field_name]
        scales.pop(field_name, None)
    missing = [f.name for f in sheet_def.fields if f.required and f.name not in columns]
    return {"columns": columns, "rep_column": rep_column, "missing": missing, "scales": scales, "ambiguous": ambiguous}


def column_alias_block(sheet: str, mapping: dict[str, list[str]]) -> str:
    """The config.yaml lines that add header aliases, nested under ``intake:`` as config.yaml has them.

    >>> print(column_alias_block("回款", {"回款日期": ["到账时间"], "回款金额": ["本次到账"]}))
    intake:
      column_aliases:
        回款:
          回款日期: [到账时间]
          回款金额: [本次到账]
    """
    return config_block({"column_aliases": {sheet: mapping}})


_LINE_BREAKS = re.compile(r"[\r\n\t]+")
_BARE_NUMBER = re.compile(r"[\d\s.,%+\-]*")


def alias_headers(cells: list) -> dict[int, str]:
    """{column: header} of the cells of a header row an alias can name: text (the reader matches only text
    headers), not a bare number ("1", "2026": a grid of numbers has no header), and written in one column only
    (an alias of a header two columns share would read whichever comes first). A line break typed in the cell
    (Alt+Enter) is left out: headers are compared without them.

    >>> alias_headers(["到账时间", 1.0, "1", "金额", "金额 ", "", "付款人", "客户\\n全称"])
    {0: '到账时间', 6: '付款人', 7: '客户全称'}
    """
    texts = {col: _LINE_BREAKS.sub("", c).strip() for col, c in enumerate(cells) if isinstance(c, str) and c.strip()}
    counts: dict[str, int] = {}
    for text in texts.values():
        counts[text] = counts.get(text, 0) + 1
    return {col: t for col, t in texts.items() if counts[t] == 1 and not _BARE_NUMBER.fullmatch(t)}


def header_advice(cells: list, sheet_def: SheetDef, missing: list[str], taken: Iterable[int] = (),
                  inferred: dict[str, str] | None = None, fits: dict[str, list[str]] | None = None) -> str:
    """What the clerk can do about missing columns: for each, the nearest header of the row (rapidfuzz) among
    the columns no field took (``taken``) whose header an alias can name (``alias_headers``), never one header for
    two fields, and the config lines that would map them, as the block to paste into config.yaml; ``inferred`` ({field: header}), the columns found by their
    cells, go into that block too, so one paste maps the whole sheet. ``fits`` ({field: the headers whose cells
    fit it}, ``cell_fits``: DATE and MONEY fields, and 合同编号/客户名称/产品名称 when the books know such values): such
    a field is offered only one of those, never a column of names or ranks as a date.

    >>> from neiqin_xl.core.schema import COLLECTIONS
    >>> print(header_advice(["到账时间", "付款单位", "金额"], COLLECTIONS, ["回款日期"], taken=[1, 2]))
    回款日期: 最接近的表头是 "到账时间"; 如就是该列, 请在 config.yaml 的 intake: 下加 (已有 column_aliases 时并入其中):
    intake:
      column_aliases:
        回款:
          回款日期: [到账时间]
    >>> header_advice(["排名", "城市"], COLLECTIONS, ["回款日期"], fits={"回款日期": []})
    '回款日期: 没有一列的内容像日期, 请补上该列'
    """
    taken = set(taken)
    free = [head for col, head in alias_headers(cells).items() if col not in taken]
    advice, mapping = [], {name: [head] for name, head in (inferred or {}).items()}
    for name in missing:
        f = sheet_def.field(name)
        allowed = free if fits is None or name not in fits else [h for h in free if h in fits[name]]
        choices = {h: max(fuzz.ratio(normalize_header(h), normalize_header(a)) for a in (f.name, *f.aliases))
                   for h in allowed if h not in {x for v in mapping.values() for x in v}}
        nearest = max(choices, key=choices.get, default=None)
        if fits is not None and len(fits.get(name, ())) > 1:  # never a guess among columns that all fit
            advice.append(f"{name}: 有几列的内容都{fit_words(f)}: {'、'.join(fits[name])}, 请把对的那一列的表头改为 {name}")
        elif nearest is None and fits is not None and name in fits:
            advice.append(f"{name}: 没有一列的内容{fit_words(f).replace('是', '像', 1)}, 请补上该列")
        elif nearest is None:
            advice.append(f"{name}: 请补上该列")
        else:
            advice.append(f'{name}: 最接近的表头是 "{nearest}"')
            mapping[name] = [nearest]
    text = "; ".join(advice)
    if mapping:
        text += "; 如就是该列, 请在 config.yaml 的 intake: 下加 (已有 column_aliases 时并入其中):\n" \
                + column_alias_block(sheet_def.name, mapping)
    return text


@dataclass(frozen=True)
class Known:
    """What the books already know, for finding an ID or name column by its cells: the match keys
    (``names.match_key``) of the archive's customer names and aliases and of the catalogue's products, and the
    合同编号 of the 合同 sheets read. The intake builds it from a first reading (``intake.known_of``) and hands it
    to the few workbooks whose sheet lacked such a required column; small and frozen, it travels to a worker."""

    customers: frozenset[str] = frozenset()
    products: frozenset[str] = frozenset()
    contracts: frozenset[str] = frozenset()

    def values_for(self, f: Field) -> frozenset[str]:
        """The known values a column of the field's is matched against (empty: none to go by).

        >>> from neiqin_xl.core.schema import COLLECTIONS, SHIPMENTS
        >>> k = Known(customers=frozenset({"上海明达"}), contracts=frozenset({"HT-1"}))
        >>> k.values_for(COLLECTIONS.field("客户名称")), k.values_for(SHIPMENTS.field("合同编号"))
        (frozenset({'上海明达'}), frozenset({'HT-1'}))
        """
        if f.name == CONTRACT_NO:
            return self.contracts
        if f.kind == NAME and f.name == CUSTOMER:
            return self.customers
        if f.kind == NAME and f.name in (PRODUCT, "产品"):
            return self.products
        return frozenset()

    def for_sheet(self, sheet_def: SheetDef) -> "Known":
        """What finds a column of this sheet: a sheet never by the values it defines itself (a 合同 sheet's
        合同编号 are new numbers, not the known ones)."""
        if sheet_def.key == CONTRACT_NO:
            return Known(self.customers, self.products, frozenset())
        return self

    def key(self, f: Field, cell: object) -> str:
        """A cell as the known values are kept: a 合同编号 as typed (trimmed), a name by its match key."""
        text = display_raw(cell).strip()
        return text if f.name == CONTRACT_NO else match_key(text)

    def __bool__(self) -> bool:
        return bool(self.customers or self.products or self.contracts)


def fit_words(f: Field) -> str:
    """What a column's cells are, as the messages say it ("前 20 个有值的单元格中 18 个像日期")."""
    return {DATE: "像日期", MONEY: "像金额"}.get(f.kind) or {
        CONTRACT_NO: "是已有合同的合同编号", CUSTOMER: "是客户档案中的客户"}.get(f.name, "是产品目录中的产品")


def fitting_columns(grid: list[list], header: Header, f: Field, free: Iterable[int], sample: int = 20,
                    known: Known | None = None) -> list[tuple[int, int, int]]:
    """The free columns whose cells fit a field: (column, cells that fit, cells looked at), for each column where
    at least 80 % of its first ``sample`` filled cells below the header fit: for a DATE or MONEY field when they
    parse as the kind (dates: date cells or dates typed as text, never a bare number; amounts: numbers or amounts
    as text, never a date, and not under a header of a price, a quantity, a number or a rate); for 合同编号,
    客户名称 and 产品名称 when they are values the books know (``Known``: a contract's number, a customer of the
    archive by name or alias, a product of the catalogue). Other fields, or nothing known: none."""
    from .parse import parse_date_text, parse_money
    found = []
    values = known.values_for(f) if known is not None and f.kind not in (DATE, MONEY) else frozenset()
    if f.kind not in (DATE, MONEY) and not values:
        return found
    for col in free:
        head = display_raw(grid[header.row][col]) if col < len(grid[header.row]) else ""
        if f.kind == MONEY and any(w in head for w in _NOT_AMOUNT_HEADERS) and not any(w in head for w in _AMOUNT_WORDS):
            continue
        cells = [row[col] for row in grid[header.row + 1:] if col < len(row) and not is_blank(row[col])][:sample]
        if not cells:
            continue
        if f.kind == DATE:
            fit = sum(isinstance(c, (datetime, date)) or (isinstance(c, str) and parse_date_text(c)[0] is not None)
                      for c in cells)
        elif f.kind == MONEY:
            fit = sum(not isinstance(c, (datetime, date, bool)) and isinstance(c, (int, float, str))
                      and parse_money(c)[0] is not None for c in cells)
        else:
            fit = sum(known.key(f, c) in values for c in cells)
        if fit * 5 >= len(cells) * 4:
            found.append((col, fit, len(cells)))
    return found


_AMOUNT_WORDS = ("价款", "总价", "价税合计")  # 价 that is an amount, not a unit price
_NOT_AMOUNT_HEADERS = ("价", "数量", "号", "率", "%", "天", "期", "编码", "代码", "序")


def cell_fits(grid: list[list], header: Header, sheet_def: SheetDef, known: Known | None = None
              ) -> dict[str, list[str]]:
    """For each missing field of a header that its cells can say (DATE, MONEY, and an ID or name ``known`` has
    values for), the headers of the free columns whose cells fit it (``fitting_columns``), for ``header_advice``."""
    taken = set(header.columns.values())
    free = [c for c in range(len(grid[header.row])) if c not in taken]
    out = {}
    for name in header.missing:
        f = sheet_def.field(name)
        if f.kind in (DATE, MONEY) or (known is not None and known.values_for(f)):
            out[name] = [display_raw(grid[header.row][c]).strip()
                         for c, _, _ in fitting_columns(grid, header, f, free, known=known)]
    return out


def infer_columns(grid: list[list], header: Header, sheet_def: SheetDef, known: Known | None = None
                  ) -> tuple[dict[str, tuple[int, int, int]], dict[str, list[tuple[int, int, int]]]]:
    """For the missing required fields of a header, the columns their cells say: {field: (column, fit, looked
    at)} where exactly one free column fits (and no other missing field's), and {field: [candidates]} where
    several do. A column never serves two fields."""
    taken = set(header.columns.values()) | ({header.rep_column} if header.rep_column is not None else set())
    width = max((len(r) for r in grid[header.row: header.row + 21]), default=0)
    free = [c for c in range(width) if c not in taken]
    fits = {name: fitting_columns(grid, header, sheet_def.field(name), free, known=known) for name in header.missing}
    claimed: dict[int, int] = {}
    for candidates in fits.values():
        for col, _, _ in candidates:
            claimed[col] = claimed.get(col, 0) + 1
    one = {name: c[0] for name, c in fits.items() if len(c) == 1 and claimed[c[0][0]] == 1}
    several = {name: c for name, c in fits.items() if len(c) > 1}
    return one, several


