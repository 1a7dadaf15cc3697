"""The one writer for every output workbook: styles, widths, totals, print setup and the atomic save.

Reports hand it ``WorkbookSpec``s (see ``sheets``); it lays them out and never computes a business figure.
- title rows, a styled header row repeated on every printed page, frozen below the header, autofilter;
- money (integer fen in the data) as ``#,##0.00`` in yuan with negatives in red, dates ``yyyy-mm-dd``,
  percentages ``0.0%``; column widths that count Chinese characters double and fit the bold totals and the
  widest percentage, so nothing prints as ####;
- totals rows as SUBTOTAL(109, …) formulas that also carry their computed value, so Protected View, phone
  previews and programs reading the file see numbers;
- text from reps always written as text, never as a formula or link;
- key figures (``sheets.Figure``) at the top of a first page: blocks of label, value in large type and note,
  merged over the columns the tables below already have (never widening them), in balanced rows;
- native charts (``sheets.Chart``) over a table of the same or another sheet: bars with lines combined
  (targets, a 100% line), a % value axis, stacked bars; under the tables two to a row, inside the print area;
- A4, orientation per sheet, fitted to the page width, page numbers in the footer;
- sheet names and file names by the one naming rule (``core.files.unique_names``): safe, within Excel's and
  Windows' lengths, unique ignoring case (``sheet_names`` per workbook, ``assign_filenames`` per folder);
- saved atomically under the one locked-file policy (``saving.write_file``): if the target is open in Excel,
  a timestamped sibling is written instead and the caller is told (``Written.note``).
"""

from __future__ import annotations

import functools
import hashlib
import io
import math
import re
import unicodedata
from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import xlsxwriter
from xlsxwriter.utility import _datetime_to_excel_datetime
from xlsxwriter.utility import _utf16_len, _utf16_truncate, xl_col_to_name, xl_rowcol_to_cell
from xlsxwriter.packager import Packager
from xlsxwriter.sharedstrings import SharedStrings
from xlsxwriter.worksheet import Worksheet

from ..core.files import Name, file_names, unique_names
from ..core.sheets import DATE, INT, MONEY, NUMBER, PCT, TEXT, YUAN, Chart, Col, Figure, Sheet, Table, WorkbookSpec
from . import parts as sheet_parts
from .saving import Written, write_file

MONEY_FORMAT = "#,##0.00;[Red]-#,##0.00"
DATE_FORMAT = "yyyy-mm-dd"
PCT_FORMAT = "0.0%"
FIXED_CREATED = datetime(2026, 1, 1)  # repeatable output: the same data gives the same file
CHUNK_ROWS = 5_000  # a table's rows converted and written this many at a time (memory); a big book's part (a
# rep's fix renders again the parts that hold its rows)
IN_MEMORY_CELLS = 200_000  # a workbook up to this size is assembled in memory; a bigger one is written row by
# row to disk (xlsxwriter's constant_memory; its text still in the shared string table, ``_SharedStringsSheet``)
MAX_WIDTH = 42  # longer text wraps inside its cell instead of widening the page
EXCEL_ROWS = 1_048_576  # rows of a worksheet; a longer table continues on sheets 名称(续1), 名称(续2) …
STREAM_ROWS = True  # a big workbook's table rows as XML straight into its row file (``_stream_rows``)
XLS_STRMAX = 32767  # a cell's text, in UTF-16 units
# ASCII (narrow, one UTF-8 byte) and the wide blocks of Chinese text (three bytes each): CJK punctuation, the
# unified ideographs, the full-width forms; every character of the three blocks is W or F in unicodedata
_ASCII_AND_HAN = re.compile("[\x00-\x7f\u3000-\u303e\u4e00-\u9fff\uff01-\uff60]*")
SHEET_NAME_UNITS = 31  # a sheet name, in UTF-16 units
_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")

_NUM_FORMATS = {MONEY: MONEY_FORMAT, DATE: DATE_FORMAT, PCT: PCT_FORMAT, INT: "#,##0;[Red]-#,##0", NUMBER: "General",
                TEXT: "@", YUAN: "#,##0;[Red]-#,##0"}
FEN = (MONEY, YUAN)  # the kinds whose data is in fen (shown in yuan)


@functools.lru_cache(maxsize=1 << 16)  # names and notes repeat down a column and across the files of a run
def display_width(text: str) -> int:
    """Columns a string takes in Excel: CJK and full-width characters count double.

    >>> display_width("2026-11"), display_width("上海明达 A座"), display_width("ＡＢ")
    (7, 12, 4)
    """
    if text.isascii():  # every ASCII character is narrow: the common case of numbers and dates, fast
        return len(text)
    if _ASCII_AND_HAN.fullmatch(text):  # the common case of Chinese text: each wide character is 3 UTF-8 bytes
        return len(text) + (len(text.encode("utf-8")) - len(text)) // 2
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def sheet_text(text: str) -> str:
    """A text as it may stand in a sheet name: each of [ ] : * ? / \\ becomes _, no apostrophe at either end,
    not Excel's reserved History.

    >>> sheet_text("'[张伟]/2026'"), sheet_text("history"), sheet_text("''")
    ('_张伟__2026', 'history_', 'Sheet')
    """
    cleaned = _BAD_SHEET_CHARS.sub("_", str(text)).strip("'")
    if cleaned.casefold() == "history":
        cleaned += "_"
    return cleaned or "Sheet"


def sheet_names(wanted: list[str | Name]) -> list[str]:
    """The names of one workbook's sheets, by the one naming rule (``files.unique_names``): safe, at most 31
    UTF-16 units, no two equal ignoring case (those that would be each carry the hash of their name).

    >>> names = sheet_names(["问题清单", "Tom", "tom", "长" * 40, "长" * 31 + "短", "x" * 30 + "'y"])
    >>> names[:3], [(len(n), n[-7:]) for n in names[3:5]], names[5]  # the apostrophe at the cut goes
    (['问题清单', 'Tom_26d58c', 'tom_96835d'], [(31, '_8f0082'), (31, '_6e7c10')], 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx')
    """
    return unique_names([w if isinstance(w, Name) else Name(w) for w in wanted], sheet_text, SHEET_NAME_UNITS)


def assign_filenames(specs: list[WorkbookSpec], out_dir: Path) -> list[WorkbookSpec]:
    """The specs with their final file names: those of one folder decided together (``files.file_names``:
    safe, unique ignoring case, the fixed parts kept, within Windows' lengths). Every folder is named before
    any file is written, so a path too long for Windows stops the run (``files.PathTooLong``, naming it)
    before anything is written, instead of a stub name (``五.xlsx``)."""
    folders: dict[str, list[int]] = {}
    for i, spec in enumerate(specs):
        folders.setdefault(spec.subfolder.casefold(), []).append(i)
    named = list(specs)
    for positions in folders.values():
        folder = Path(out_dir) / specs[positions[0]].subfolder
        for i, name in zip(positions, file_names([specs[i].filename for i in positions], folder)):
            named[i] = replace(specs[i], filename=name)
    return named


def _is_blank(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    try:
        return bool(pd.isna(value)) if not isinstance(value, (str, bytes, list, tuple, dict)) else False
    except (TypeError, ValueError):
        return False


def _number(value: object, kind: str) -> float:
    """A number as the file holds it: money from fen to yuan (a Decimal with a fraction of a fen kept), the
    rest as float."""
    if kind in FEN:
        return int(value) / 100 if not isinstance(value, Decimal) or value == value.to_integral() else float(value) / 100
    return float(value)


def _as_datetime(value: object) -> datetime | None:
    if _is_blank(value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime().replace(tzinfo=None)
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    return None


def _cell_text(value: object) -> str:
    if _is_blank(value):
        return ""
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


class _Formats:
    def __init__(self, wb: xlsxwriter.Workbook):
        base = {"font_name": "微软雅黑", "font_size": 10, "valign": "vcenter"}
        self.wb = wb
        self.title = wb.add_format({**base, "bold": True, "font_size": 14})
        self.subtitle = wb.add_format({**base, "font_color": "#555555"})
        self.heading = wb.add_format({**base, "bold": True, "font_size": 11})
        self.header = wb.add_format({**base, "bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True,
                                     "align": "center"})
        self.note = wb.add_format({**base})
        self.cell = {k: wb.add_format({**base, "border": 1, "num_format": f,
                                       **({"align": "right"} if k in (*FEN, PCT, INT, NUMBER) else {"text_wrap": True})})
                     for k, f in _NUM_FORMATS.items()}
        self.total = {k: wb.add_format({**base, "border": 1, "bold": True, "bg_color": "#F2F2F2", "num_format": f,
                                        **({"align": "right"} if k in (*FEN, PCT, INT, NUMBER) else {})})
                      for k, f in _NUM_FORMATS.items()}
        self._highlights: dict[str, object] = {}
        self._figures: dict[tuple, object] = {}

    def figure(self, part: str, kind: str, alert: bool):
        """A key figure's block: a light tile; the value large and bold (red when bad news)."""
        key = (part, kind if part == "value" else "", alert)
        if key not in self._figures:
            tile = {"font_name": "微软雅黑", "valign": "vcenter", "align": "left", "indent": 1,
                    "bg_color": "#FDECEA" if alert else "#F1F5FA", "left": 2, "right": 2, "left_color": "#FFFFFF",
                    "right_color": "#FFFFFF"}
            look = {"label": {"font_size": 9, "font_color": "#555555", "top": 2, "top_color": "#FFFFFF"},
                    "note": {"font_size": 9, "font_color": "#555555"},
                    "value": {"font_size": 14, "bold": True, "font_color": "#B42318" if alert else "#1F4E79",
                              "num_format": {MONEY: '"¥"#,##0.00', PCT: PCT_FORMAT, INT: "#,##0"}.get(kind, "General")}}
            self._figures[key] = self.wb.add_format({**tile, **look[part]})
        return self._figures[key]

    def highlight(self, color: str):
        if color not in self._highlights:
            self._highlights[color] = self.wb.add_format({"bg_color": color, "font_color": "#9C0006"})
        return self._highlights[color]


def _write_value(ws, row: int, col: int, value: object, kind: str, fmt) -> None:
    """One cell (totals and other single values): a row of one column, written as tables are."""
    _write_rows(ws, row, [_cells([_plain(value)], kind, {})], [fmt], {}, left=col)


def _sum_of(values: list, col: Col) -> int | Decimal:
    """A column's numbers added exactly: fen for money, a Decimal for the rest (so parts add up to the whole)."""
    numbers = [v for v in values if v is not None and not isinstance(v, str)]
    if col.kind in FEN:
        return sum(int(v) for v in numbers)
    return sum((Decimal(str(v)) for v in numbers), Decimal(0))


def _total_of(total: int | Decimal, col: Col) -> float:
    """What a totals cell shows for ``_sum_of``: yuan for money."""
    return total / 100 if col.kind in FEN else float(total)


def _row_count(table: Table) -> int:
    return len(table.rows)


def _wants_total(col: Col) -> bool:
    return col.total if col.total is not None else col.kind in (*FEN, INT)


# ---------------------------------------------------------------- a table, column by column

def _plain(value: object) -> object:
    """A value as the writer handles it: None for every kind of blank (NaN, NaT, NA)."""
    return None if _is_blank(value) else value


def _column(table: Table, col: Col) -> list:
    """One column's values as plain Python objects, None for a blank; a DataFrame column is converted
    as a whole (dates to ``datetime``, or to YYYY-MM-DD text in a text column)."""
    frame = table.rows
    if not isinstance(frame, pd.DataFrame) or not frame.columns.is_unique:
        return [_plain(r.get(col.name)) for r in table.records()]
    if col.name not in frame.columns:
        return [None] * len(frame)
    series = frame[col.name]
    dtype = series.dtype
    if dtype.kind == "M" and getattr(dtype, "tz", None) is None:
        if col.kind != DATE:  # a date in a text or number column: as the rep reads it
            return [None if v is None or v != v else v for v in series.dt.strftime("%Y-%m-%d").tolist()]
        return series.to_numpy().astype("datetime64[us]").astype(object).tolist()
    if isinstance(dtype, np.dtype) and dtype.kind in "iub":
        return series.to_numpy().tolist()
    if isinstance(dtype, np.dtype) and dtype.kind == "f":
        return [None if v != v else v for v in series.to_numpy().tolist()]
    if isinstance(dtype, pd.StringDtype) or isinstance(dtype, pd.api.extensions.ExtensionDtype) and dtype.kind in "iufb":
        return series.to_numpy(dtype=object, na_value=None).tolist()
    return [_plain(v) for v in series.tolist()]


def _cells(values: list, kind: str, serials: dict) -> list[float | str | None]:
    """What each cell of a column holds in the file: a number (money in yuan, a date as its Excel serial,
    each distinct date converted once), a text, or None for a blank cell."""
    if kind == TEXT:
        return [(v if type(v) is str else _cell_text(v)) or None for v in values]
    if kind == DATE:
        cells = []
        for v in values:
            if v is None:
                cells.append(None)
            elif v in serials:
                cells.append(serials[v])
            else:
                dt = _as_datetime(v)
                if dt is None:
                    cells.append(_cell_text(v) or None)
                else:
                    cells.append(serials.setdefault(v, _excel_serial(dt)))
        return cells
    return [None if v is None or v == "" else v if isinstance(v, str) else _number(v, kind) for v in values]


def _excel_serial(dt: datetime) -> float:
    """What ``write_datetime`` stores for ``dt`` (1900 date system)."""
    return _datetime_to_excel_datetime(dt, False, True)


def _write_rows(ws, first: int, columns: list[list], formats: list, heights: dict[int, int], left: int = 0,
                note: dict | None = None) -> None:
    """``_cells`` columns from row ``first`` and column ``left``, in row order (what constant_memory needs),
    each row's height set before its cells. The loop runs for every cell of every workbook: it stays inline.
    A big workbook's rows (constant_memory) are streamed as XML instead (``_stream_rows``): the same bytes."""
    if STREAM_ROWS and _stream_rows(ws, first, columns, formats, heights, left, note):
        return
    write_number, write_string, write_blank = ws.write_number, ws.write_string, ws.write_blank
    for r, row in enumerate(zip(*columns), start=first):
        if r in heights:
            ws.set_row(r, heights[r])
        for c, (cell, fmt) in enumerate(zip(row, formats), start=left):
            if cell is None:
                write_blank(r, c, None, fmt)
            elif type(cell) is str:
                write_string(r, c, cell, fmt)
            else:
                write_number(r, c, cell, fmt)


class _SharedStringsSheet(Worksheet):
    parts: sheet_parts.Parts | None = None  # a big book written in parts (``deliver.parts``): its rows' parts

    """A constant_memory worksheet whose text goes to the workbook's shared string table (``xl/sharedStrings.xml``,
    cells ``t="s"``) as an in-memory workbook's does, not inline (``t="inlineStr"``): Apple Numbers and the
    iPhone preview show inline text as blank cells. Rows are still flushed to disk one at a time; only the
    table of distinct texts is held (``_write_string`` registers a text when it is written, so the table is
    complete before xlsxwriter sorts it at ``close``)."""

    def _write_string(self, row, col, string, cell_format=None):
        error = super()._write_string(row, col, string, cell_format)
        if error != -1 and self.constant_memory:
            cell = self.table[row][col]
            self.table[row][col] = cell._replace(string=self.str_table._get_shared_string_index(cell.string))
        return error

    def _write_cell(self, row, col, cell):
        if self.constant_memory and type(cell.string if hasattr(cell, "string") else None) is int:
            memory, self.constant_memory = self.constant_memory, 0  # xlsxwriter's shared-string cell, as in memory
            try:
                super()._write_cell(row, col, cell)
            finally:
                self.constant_memory = memory
        else:
            super()._write_cell(row, col, cell)


_SI_CARE = re.compile(r"[\x00-\x1f&<>\ufffe\uffff]|_x|^\s|\s$")  # a text xlsxwriter's _write_si changes


class _FastStrings(SharedStrings):
    """xl/sharedStrings.xml as xlsxwriter writes it, each plain text written at once (a big book has a
    hundred thousand texts: xlsxwriter's writer per text took a fifth of the book's write); a text that needs
    escaping, a preserved space or is rich goes through xlsxwriter's own ``_write_si``."""

    def _write_sst_strings(self) -> None:
        real, one = self.fh, io.StringIO()
        out: list[str] = []
        try:
            for text in self.string_table.string_array:
                if _SI_CARE.search(text):
                    self.fh = one
                    one.seek(0)
                    one.truncate()
                    self._write_si(text)
                    out.append(one.getvalue())
                else:
                    out.append(f"<si><t>{text}</t></si>")
                if len(out) > 8192:
                    real.write("".join(out))
                    out.clear()
        finally:
            self.fh = real
        real.write("".join(out))


class _Packager(Packager):
    def _write_shared_strings_file(self) -> None:
        if not self.workbook.str_table.count:
            return
        sst = _FastStrings()
        sst.string_table = self.workbook.str_table
        sst._set_xml_writer(self._filename("xl/sharedStrings.xml"))
        sst._assemble_xml_file()


def _shared_pieces(ws, texts: dict[str, int], entered: list | None = None) -> dict[str, str]:
    """The XML after a cell's ``r`` and ``s`` for each text of ``texts`` (text → how many cells hold it), each
    text entered in the workbook's shared string table as ``_SharedStringsSheet._write_string`` would enter
    it, counted once per cell: ``t="s"><v>index</v></c>``. ``entered`` gets [text as stored, cells, index]
    of each, in order."""
    table = ws.str_table
    pieces = {}
    for text, n in texts.items():
        stored = text
        if len(stored) > XLS_STRMAX // 2 and _utf16_len(stored) > XLS_STRMAX:
            stored = _utf16_truncate(stored, XLS_STRMAX)
        index = table._get_shared_string_index(stored)
        table.count += n - 1
        pieces[text] = f' t="s"><v>{index}</v></c>'
        if entered is not None:
            entered.append([stored, n, index])
    return pieces


def _stream_rows(ws, first: int, columns: list[list], formats: list, heights: dict[int, int], left: int,
                 note: dict | None = None) -> bool:
    """The rows of ``_write_rows`` written straight into a constant_memory worksheet's row file, as the very
    XML xlsxwriter writes for them cell by cell (``Worksheet._write_single_row``: ``<row>``, then each cell's
    ``<c r= s=>`` with its number, shared string index (``_SharedStringsSheet``) or nothing), about three
    times faster (the whole 合同履行一览表 of scenario M: 15 s → 5 s): the big books are most of the write.
    The worksheet is left as if its API had written them (dimensions, the row last written, the formats'
    indices taken and the texts entered in the shared string table in the same order). Returns False, having
    written nothing, where the API must write them: an in-memory workbook, a number Excel cannot hold, a
    worksheet not in xlsxwriter's default Excel 2007 mode. A part written in parts (``ws.parts``) leaves in
    ``note`` what ``_replay`` needs of it: the key of its XML, the shared-string index of each text it
    entered and how many of its cells hold each."""
    if not ws.constant_memory or ws.excel_version != 2007 or not columns or not columns[0]:
        return False
    counts: dict[str, int] = {}  # in row order: the order the API enters texts in the shared string table
    for row in zip(*columns):
        for cell in row:
            if cell is None:
                continue
            if type(cell) is str:
                counts[cell] = counts.get(cell, 0) + 1
            elif not math.isfinite(cell):  # xlsxwriter writes these as error formulas
                return False
    count = len(columns[0])
    last = first + count - 1
    if ws._check_dimensions(first, left) or ws._check_dimensions(last, left + len(columns) - 1):
        return False  # outside the sheet, or before the row xlsxwriter last wrote
    if ws.previous_row < first:  # the row before (the header), as the next cell's write would flush it
        ws._write_single_row(first)
    entered: list = []
    texts = _shared_pieces(ws, counts, entered)  # entered in the order the API would: row by row after the header
    styles = [f' s="{fmt._get_xf_index()}"' for fmt in formats]  # numbered in the order the API would
    letters = [xl_col_to_name(c) for c in range(left, left + len(columns))]
    for r, height in heights.items():  # before the XML: its row tags carry them; charts are placed by them
        ws.set_row(r, height)
    render = functools.partial(_rows_xml, ws, first, columns, letters, styles, texts, heights)
    if ws.parts is None:
        ws.fh.write(render())
    else:  # a part of its own, kept by what its XML is made of (``parts.Parts``); a marker in the sheet
        material = repr((first, letters, styles, sorted(heights.items()), list(texts.items()), columns))
        number = ws.parts.part(material.encode("utf-8", "surrogatepass"), sum(counts.values()), render)
        ws.fh.write(f"{sheet_parts.MARKER}{number}{sheet_parts.MARKER}")
        if note is not None:
            note.update(part=ws.parts.keys[number], index=[e[2] for e in entered], cells=[e[1] for e in entered])
    ws.previous_row = last + 1  # the next row written starts a new row; nothing of these is held back
    return True


def _rows_xml(ws, first: int, columns: list[list], letters: list[str], styles: list[str], texts: dict[str, str],
              heights: dict[int, int]) -> str:
    """The XML of ``_stream_rows``'s rows: a row with a height set gets xlsxwriter's own row tag."""
    out: list[str] = []
    real, ws.fh = ws.fh, io.StringIO()
    try:
        for r, row in enumerate(zip(*columns), start=first):
            n = r + 1
            if r in heights:
                ws.fh.seek(0)
                ws.fh.truncate()
                ws._write_row(r, None, ws.row_info[r])
                out.append(ws.fh.getvalue())
            else:
                out.append(f'<row r="{n}">')
            for cell, letter, style in zip(row, letters, styles):
                if cell is None:
                    out.append(f'<c r="{letter}{n}"{style}/>')
                elif type(cell) is str:
                    out.append(f'<c r="{letter}{n}"{style}{texts[cell]}')
                else:
                    out.append(f'<c r="{letter}{n}"{style}><v>{cell:.16G}</v></c>')
            out.append("</row>")
    finally:
        ws.fh = real
    return "".join(out)


def _source_key(ws, table: Table, part: Table, first: int, formats: list) -> str | None:
    """For a part of a big book written in parts (``deliver.parts``): the hash of what its XML, the widths
    it asks for, its sums and its rows' heights are made of, taken from its source rows before anything is
    converted (``_source_digest``), with its place and layout (and pandas' version: how the rows convert).
    None where its rows are not streamed
    (``_stream_rows``): not a DataFrame, outside the sheet. The worksheet is left as ``_stream_rows`` leaves it
    before it renders (dimensions, the header row written, the formats' indices taken), so a part written
    either way after it gives the same bytes."""
    rows = part.rows
    if not (ws.constant_memory and ws.excel_version == 2007 and isinstance(rows, pd.DataFrame) and len(rows)
            and rows.columns.is_unique):
        return None
    last = first + len(rows) - 1
    if ws._check_dimensions(first, 0) or ws._check_dimensions(last, len(table.columns) - 1):
        return None
    if ws.previous_row < first:  # the header row, as the first cell's write would flush it
        ws._write_single_row(first)
    styles = [fmt._get_xf_index() for fmt in formats]
    h = hashlib.sha256(repr((sheet_parts.CODE, pd.__version__, np.__version__, first, styles, table.columns,
                             table.totals, sorted(table.totals_values))).encode("utf-8", "surrogatepass"))
    _source_digest(h, rows, table.columns)
    return h.hexdigest()


def _source_digest(h, frame: pd.DataFrame, columns: list[Col]) -> None:
    """The values of ``frame``'s ``columns`` into ``h`` (``hash_column``), each after its name."""
    for col in columns:
        h.update(b"\x1e" + col.name.encode("utf-8", "surrogatepass"))
        if col.name in frame.columns:
            hash_column(h, frame[col.name])


def hash_column(h, series: pd.Series) -> None:
    """A column's values into ``h``, without two different contents hashing alike: numbers and dates by their
    bytes, anything else by the repr of its values, which keeps their types apart (1, "1", Decimal('1'),
    None and nan all differ). (pandas' own hash of each value costs more on the short columns of most
    tables and no less on long ones.)"""
    dtype = series.dtype
    h.update(str(dtype).encode())
    if isinstance(dtype, np.dtype) and dtype.kind in "iufbmM":
        h.update(np.ascontiguousarray(series.to_numpy()).tobytes())
    else:
        h.update(repr(series.to_numpy(dtype=object).tolist()).encode("utf-8", "surrogatepass"))


def _replay(ws, table: Table, source: str, first: int, count: int, widths: dict[int, int], sums: list) -> bool:
    """A part whose source rows (``_source_key``) the last write of the book had: its texts entered in the
    shared string table, its rows' heights set, its kept XML placed, its widths and sums added, nothing
    converted. The texts are those of the book's last table at the indexes its XML holds (``index``); they
    are in the table already, with those indexes (this write's table starts as the last one, each text at its
    index: ``Parts.seed``), and are only counted (``cells``). False, having changed nothing, when the part
    was not kept or an index is past the last table: the part is then written from its rows."""
    found = ws.parts.source(source)
    if found is None:
        return False
    record, kept = found
    if record["index"] and max(record["index"]) >= len(ws.parts.texts):  # not a text of the last table
        return False
    ws.str_table.count += sum(record["cells"])
    for r, height in record["heights"]:
        ws.set_row(r, height)
    number = ws.parts.again(source, record, kept)
    ws.fh.write(f"{sheet_parts.MARKER}{number}{sheet_parts.MARKER}")
    ws.previous_row = first + count
    for c, col in enumerate(table.columns):
        widths[c] = max(widths.get(c, 0), record["widths"][c])
        if record["sums"][c] is not None:
            sums[c] += int(record["sums"][c]) if col.kind == MONEY else Decimal(record["sums"][c])
    return True


def _shown_widths(values: list, kind: str, texts: list[str] | None) -> list[int] | int:
    """Display widths of what Excel shows in each cell, or just the widest for a column that needs no
    per-cell figure (money, dates, percentages: only text columns wrap)."""
    if texts is not None:
        return list(map(display_width, texts))
    strings = [display_width(v) for v in values if isinstance(v, str)]
    others = [v for v in values if not isinstance(v, str)]
    if kind in FEN:  # the longest figure is the smallest or the largest; a blank shows as 0.00 (0)
        numbers = [v for v in others if v is not None]
        places = 2 if kind == MONEY else 0
        shown = [len(f"{_number(v, kind):,.{places}f}") for v in (min(numbers), max(numbers))] if numbers else []
        shown += [4] if len(numbers) < len(others) else []
    elif kind == PCT:  # 0.0%: the widest of the smallest and the largest
        numbers = [float(v) for v in others if v is not None]
        shown = [len(f"{v * 100:.1f}%") for v in (min(numbers), max(numbers))] if numbers else []
    elif kind == DATE:
        shown = [10] if others else []
    else:
        shown = [display_width(_cell_text(v)) for v in others]
    return max(strings + shown, default=0)


def _fitted(col: Col, values: list, cells: list, widths: dict[int, int], c: int) -> tuple[int, list[int] | int]:
    """Widens column ``c`` in ``widths`` to what the column shows of ``values`` (all or some of its rows) at
    its printed width: the header, the widest value (CJK counting double), a set width; returns the widest
    value and the per-cell widths (``_shown_widths``) for wrapping."""
    texts = [t or "" for t in cells] if col.kind == TEXT else None
    shown = _shown_widths(values, col.kind, texts)
    widest = max(shown, default=0) if isinstance(shown, list) else shown
    wanted = display_width(col.name) + 2
    if col.width is None and len(values):
        wanted = max(wanted, min(widest + 2, MAX_WIDTH))
    if col.width is not None:
        wanted = max(wanted, int(col.width))
    widths[c] = max(widths.get(c, 0), wanted)
    return widest, shown


def _fitted_total(table: Table, col: Col, total: int | Decimal, widths: dict[int, int], c: int) -> None:
    """Widens column ``c`` to the bold total under it (one wider: bold digits are); ``total`` is the
    column's ``_sum_of`` all rows."""
    if not table.totals or col.kind == TEXT:
        return
    shown = table.totals_values.get(col.name) if col.name in table.totals_values else (
        _total_of(total, col) * (100 if col.kind in FEN else 1) if _wants_total(col) else None)
    if shown is not None and not isinstance(shown, str):
        widths[c] = max(widths.get(c, 0), _shown_widths([shown], col.kind, None) + 3)


def measure(table: Table) -> dict[int, int]:
    """The column widths a table asks for, without writing it (the key figures are laid over them)."""
    widths: dict[int, int] = {}
    serials: dict = {}
    for c, col in enumerate(table.columns):
        values = _column(table, col)
        _fitted(col, values, _cells(values, col.kind, serials), widths, c)
        _fitted_total(table, col, _sum_of(values, col) if table.totals else 0, widths, c)
    return widths


def _chunks(table: Table) -> list[Table]:
    """The table in parts of ``CHUNK_ROWS`` rows (one part, maybe empty, for a short one): a big table is
    converted and written part by part, so its cells as Python objects are held for one part at a time."""
    count = _row_count(table)
    if count <= CHUNK_ROWS:
        return [table]
    rows = table.rows
    part = (lambda a, b: rows.iloc[a:b]) if isinstance(rows, pd.DataFrame) else (lambda a, b: rows[a:b])
    return [replace(table, rows=part(a, a + CHUNK_ROWS)) for a in range(0, count, CHUNK_ROWS)]


def _write_table(ws, fmts: _Formats, table: Table, top: int, widths: dict[int, int]) -> tuple[int, int, int]:
    """Writes one table from row ``top``; returns (header row, first data row, next free row)."""
    row = top
    if table.heading:
        ws.write_string(row, 0, table.heading, fmts.heading)
        row += 1
    header_row = row
    for c, col in enumerate(table.columns):
        ws.write_string(row, c, col.name, fmts.header)
    first = row + 1
    count = _row_count(table)
    serials: dict = {}
    sums: list[int | Decimal] = [0] * len(table.columns)
    start = first
    formats = [fmts.cell[col.kind] for col in table.columns]
    for part in _chunks(table):
        source = _source_key(ws, table, part, start, formats) if ws.parts is not None else None
        if source is not None and _replay(ws, table, source, start, _row_count(part), widths, sums):
            start += _row_count(part)
            continue
        lines = [1] * _row_count(part)
        cells = []
        asked: dict[int, int] = {}  # the widths this part asks for
        added: list = [None] * len(table.columns)  # its columns' sums
        for c, col in enumerate(table.columns):
            values = _column(part, col)
            cells.append(_cells(values, col.kind, serials))
            widest, shown = _fitted(col, values, cells[-1], asked, c)
            widths[c] = max(widths.get(c, 0), asked[c])
            if table.totals and _wants_total(col) and col.name not in table.totals_values:
                added[c] = _sum_of(values, col)
                sums[c] += added[c]
            if col.kind == TEXT and widest > int(col.width or MAX_WIDTH) - 2:
                room = int((col.width or MAX_WIDTH) - 2)
                lines = [max(n, -(-w // room)) for n, w in zip(lines, shown)]
        # wrapped text: not every viewer grows the row by itself
        heights = {r: 14 * n for r, n in enumerate(lines, start=start) if n > 1}
        note: dict = {}
        _write_rows(ws, start, cells, formats, heights, note=note)
        if source is not None and note:
            ws.parts.converted += 1
            ws.parts.remember(source, {**note, "heights": sorted(heights.items()),
                                       "widths": [asked[c] for c in range(len(table.columns))],
                                       "sums": [None if a is None else str(a) for a in added]})
        start += len(lines)
    for c, col in enumerate(table.columns):
        _fitted_total(table, col, sums[c], widths, c)
    last = first + count - 1
    next_row = first + count
    if table.totals:
        for c, col in enumerate(table.columns):
            fmt = fmts.total[col.kind]
            if col.name in table.totals_values:
                _write_value(ws, next_row, c, table.totals_values[col.name], col.kind, fmt)
            elif c == 0 and not _wants_total(col):
                ws.write_string(next_row, 0, table.totals_label, fmts.total[TEXT])
            elif _wants_total(col) and count:
                ws.write_formula(next_row, c, f"=SUBTOTAL(109,{xl_rowcol_to_cell(first, c)}:{xl_rowcol_to_cell(last, c)})", fmt,
                                 _total_of(sums[c], col))
            elif _wants_total(col):
                ws.write_number(next_row, c, 0, fmt)
            else:
                ws.write_blank(next_row, c, None, fmt)
        next_row += 1
    if count:
        for h in table.highlights:
            names = [col.name for col in table.columns]
            if h.column not in names:
                raise ValueError(f"highlight column {h.column!r} not in table columns {names}")
            c = names.index(h.column)
            fmt = fmts.highlight(h.color)
            if h.whole_row:
                cell = xl_rowcol_to_cell(first, c, col_abs=True)
                crit = {"==": "=", "!=": "<>", "text": "="}.get(h.criteria, h.criteria)
                value = f'"{h.value}"' if isinstance(h.value, str) else h.value
                ws.conditional_format(first, 0, last, len(table.columns) - 1,
                                      {"type": "formula", "criteria": f"={cell}{crit}{value}", "format": fmt})
            elif h.criteria == "text":
                ws.conditional_format(first, c, last, c, {"type": "cell", "criteria": "==",
                                                          "value": f'"{h.value}"', "format": fmt})
            else:
                value = h.value / 100 if table.columns[c].kind in FEN and isinstance(h.value, (int, float)) else h.value
                ws.conditional_format(first, c, last, c, {"type": "cell", "criteria": h.criteria, "value": value,
                                                          "format": fmt})
    return header_row, first, next_row


CHART_SIZE = (640, 300)  # a chart beside the tables, in pixels
BELOW_SIZE = (480, 288)  # a chart under the tables, two to a row
SERIES_COLORS = ("#4472C4", "#70AD47", "#ED7D31", "#A5A5A5", "#FFC000", "#5B9BD5", "#9E480E", "#264478")
LINE_COLORS = ("#C00000", "#7F6000", "#404040")
# aging buckets, mild to severe: green (0-30) through yellow and orange to red and dark red (365+)
AGING_COLORS = ("#63BE7B", "#C5DC74", "#FFD966", "#F4B183", "#E06666", "#990000")
ROW_PIXELS = 20  # a row of the default height


def _series(chart: Chart, table: Table, name: str, pos: tuple[int, int, int], column: str) -> dict:
    """A series over one value column of a written table: ranges as [sheet, row, col, …] (xlsxwriter quotes
    the sheet name itself)."""
    names = [c.name for c in table.columns]
    header_row, first, _ = pos
    last = first + _row_count(table) - 1
    cat, v = names.index(chart.categories), names.index(column)
    return {"name": [name, header_row, v], "categories": [name, first, cat, last, cat],
            "values": [name, first, v, last, v]}


def _add_chart(wb, ws, chart: Chart, data: tuple[str, Sheet, list], anchor: tuple[int, int, int]) -> None:
    """One native chart over a written table (``data``: the final name of the sheet holding it, its spec and
    the positions of its tables), inserted at ``anchor`` (row, column, x offset in pixels)."""
    name, sheet, positions = data
    table, pos = sheet.tables[chart.table], positions[chart.table]
    if _row_count(table) == 0:
        return
    xl_chart = wb.add_chart({"type": chart.kind, **({"subtype": "stacked"} if chart.stacked else {})})
    for i, column in enumerate(chart.values):
        color = aging_color(i, len(chart.values)) if chart.stacked else SERIES_COLORS[i % len(SERIES_COLORS)]
        xl_chart.add_series({**_series(chart, table, name, pos, column), "fill": {"color": color},
                             "line": {"color": color}, **({"gap": 60} if chart.kind in ("column", "bar") else {}),
                             **({"overlap": 100} if chart.stacked else {})})
    if chart.lines:
        line = wb.add_chart({"type": "line"})
        for i, column in enumerate(chart.lines):
            color = LINE_COLORS[i % len(LINE_COLORS)]
            line.add_series({**_series(chart, table, name, pos, column), "marker": {"type": "none"},
                             "line": {"color": color, "width": 1.75, "dash_type": "dash"}})
        xl_chart.combine(line)
    values_axis = {"num_format": "0%" if chart.percent else "#,##0", "major_gridlines": {"visible": True,
                   "line": {"color": "#E4E7EB"}}, **({"name": chart.y_title} if chart.y_title else {}),
                   **({"min": 0} if chart.percent else {})}
    categories = {"interval_unit": 1, "num_font": {"size": 8, **({"rotation": -45} if _row_count(table) > 8 else {})}}
    if chart.kind == "bar":  # a bar chart's values run along x; the first category at the top, values below
        xl_chart.set_x_axis({**values_axis, "num_font": {"size": 8}})
        xl_chart.set_y_axis({**categories, "reverse": True, "crossing": "max", "num_font": {"size": 8}})
    else:
        xl_chart.set_x_axis(categories)
        xl_chart.set_y_axis({**values_axis, "num_font": {"size": 8}})
    xl_chart.set_title({"name": chart.title, "name_font": {"size": 11, "bold": True}})
    xl_chart.set_legend({"position": "bottom"} if len(chart.values) + len(chart.lines) > 1 else {"none": True})
    width, height = BELOW_SIZE if chart.below else CHART_SIZE
    xl_chart.set_size({"width": width, "height": height})
    row, col, x_offset = anchor
    ws.insert_chart(row, col, xl_chart, {"x_offset": x_offset, "y_offset": 4, "object_position": 1})


def aging_color(i: int, n: int) -> str:
    """The colour of aging bucket ``i`` of ``n`` (stacked charts are the aging's): spread over AGING_COLORS so the
    first is green and the last dark red, whatever the number of buckets.

    >>> [aging_color(i, 6) for i in (0, 5)], aging_color(2, 3)
    (['#63BE7B', '#990000'], '#990000')
    """
    if n <= 1:
        return AGING_COLORS[0]
    return AGING_COLORS[round(i * (len(AGING_COLORS) - 1) / (n - 1))]


def _column_pixels(width: float) -> int:
    """Excel's pixels for a column width in characters (the default font's digit is 7 pixels)."""
    return int(width * 7 + 5) if width >= 1 else int(width * 12)


def _charts_last_column(widths: dict[int, int]) -> int:
    """The last column that two charts side by side under the tables reach (unset columns: Excel's 8.43)."""
    pixels, col = 0, 0
    while pixels < 2 * BELOW_SIZE[0] + 16:
        pixels += _column_pixels(max(widths[col], 6) if col in widths else 8.43)
        col += 1
    return col - 1


def _figure_text(figure: Figure) -> str:
    """A key figure as shown (for its width)."""
    value = figure.value
    if _is_blank(value):
        return "—"
    if figure.kind == MONEY:
        return f"¥{_number(value, MONEY):,.2f}"
    if figure.kind == PCT:
        return f"{float(value) * 100:.1f}%"
    if figure.kind in (INT, NUMBER):
        return f"{value:,}"
    return str(value)


def _figure_need(figure: Figure) -> float:
    """The width a key figure's block needs: its value in large bold type is about 1.5 times as wide."""
    return max(display_width(figure.label), display_width(_figure_text(figure)) * 1.5, display_width(figure.note)) + 2


def _pack_figures(figures: list[Figure], width: list[int], per_row: int) -> list[list[tuple[Figure, int, int]]]:
    """Figures in rows of at most ``per_row``, each spanning the columns from where the one before ended until
    their widths cover its need (a figure wider than what is left of a row starts the next row)."""
    columns = len(width)
    rows: list[list[tuple[Figure, int, int]]] = [[]]
    c = 0
    for figure in figures:
        need = _figure_need(figure)
        if rows[-1] and (len(rows[-1]) == per_row or sum(width[c:]) < need):
            rows.append([])
            c = 0
        last, have = c, width[c]
        while have < need and last + 1 < columns:
            last += 1
            have += width[last]
        rows[-1].append((figure, c, last))
        c = last + 1
        if c >= columns:
            rows.append([])
            c = 0
    return [r for r in rows if r]


def _figure_blocks(figures: list[Figure], widths: dict[int, int], columns: int) -> list[list[tuple[Figure, int, int]]]:
    """The key figures laid over the columns the tables below have: each figure spans as many columns as its
    value in large type needs (the columns never widen for it). When they take more than one row, the rows
    hold as even a number as they can (4 + 4, not 7 + 1). Returns rows of (figure, first column, last column).

    >>> f = [Figure(str(i), 100000, "int") for i in range(8)]
    >>> [len(row) for row in _figure_blocks(f, {}, 10)], [len(row) for row in _figure_blocks(f, {}, 16)]
    ([4, 4], [8])
    """
    width = [widths.get(c, 8) for c in range(max(columns, 1))]
    per_row = len(figures)
    while True:
        rows = _pack_figures(figures, width, per_row)
        balanced = -(-len(figures) // len(rows))
        if balanced >= per_row:
            return rows
        per_row = balanced


def _write_figures(ws, fmts: _Formats, figures: list[Figure], top: int, widths: dict[int, int], columns: int) -> int:
    """The key-figure blocks from row ``top`` (label, value in large type, note; merged over their columns);
    returns the next free row."""
    row = top
    for blocks in _figure_blocks(figures, widths, columns):
        for figure, first, last in blocks:  # a figure wider than every column together: its last one grows
            short = _figure_need(figure) - sum(widths.get(c, 8) for c in range(first, last + 1))
            if short > 0:
                widths[last] = int(widths.get(last, 8) + short + 1)
        for offset, part in enumerate(("label", "value", "note")):
            ws.set_row(row + offset, 24 if part == "value" else None)
            for figure, first, last in blocks:
                fmt = fmts.figure(part, figure.kind, figure.alert)
                if part == "value" and not _is_blank(figure.value) and figure.kind != TEXT:
                    cell = _number(figure.value, figure.kind) if not isinstance(figure.value, str) else figure.value
                else:
                    cell = {"label": figure.label, "note": figure.note}.get(part, _figure_text(figure))
                if last > first:
                    ws.merge_range(row + offset, first, row + offset, last, None, fmt)
                if isinstance(cell, str):
                    ws.write_string(row + offset, first, cell, fmt)
                else:
                    ws.write_number(row + offset, first, cell, fmt)
        row += 4  # a blank row between rows of blocks
    return row


def _write_sheet(wb: xlsxwriter.Workbook, fmts: _Formats, sheet: Sheet):
    """Writes one sheet; returns the worksheet, its tables' positions and where its charts go."""
    ws = wb.add_worksheet(sheet.name)  # a _SharedStringsSheet (``render``)
    row = 0
    if sheet.title:
        ws.write_string(row, 0, sheet.title, fmts.title)
        ws.set_row(row, 22)
        row += 1
    for line in sheet.subtitle:
        ws.write_string(row, 0, line, fmts.subtitle)
        row += 1
    if sheet.title or sheet.subtitle:
        row += 1
    widths: dict[int, int] = {}
    ncols_all = max((len(t.columns) for t in sheet.tables), default=0)
    below = [chart for chart in sheet.charts if chart.below]
    if sheet.figures:  # laid over the widths the tables will have, and the columns the charts under them take
        for table in sheet.tables:
            for c, w in measure(table).items():
                widths[c] = max(widths.get(c, 0), w)
        span = _charts_last_column(widths) + 1 if below else 0
        row = _write_figures(ws, fmts, sheet.figures, row, widths, max(ncols_all, span) or len(sheet.figures))
    positions = []
    for i, table in enumerate(sheet.tables):
        if i:
            row += 1
        pos = _write_table(ws, fmts, table, row, widths)
        positions.append(pos)
        row = pos[2]
    for line in sheet.notes:
        row += 1
        ws.write_string(row, 0, line, fmts.note)
    for c, w in widths.items():
        ws.set_column(c, c, max(w, 6))
    if positions:
        header_row, first, end = positions[0]
        ncols = len(sheet.tables[0].columns)
        if sheet.freeze:
            ws.freeze_panes(first, 0)
        ws.repeat_rows(0 if header_row == 0 else header_row, header_row)
        if len(sheet.tables) == 1 and sheet.tables[0].autofilter and ncols:
            last_data = end - 1 - (1 if sheet.tables[0].totals else 0)
            ws.autofilter(header_row, 0, max(last_data, header_row), ncols - 1)
    anchors = []
    beside = [chart for chart in sheet.charts if not chart.below]
    for i, chart in enumerate(beside):
        anchors.append((chart, ((positions[0][0] if positions else 0) + i * 16, ncols_all + 1, 0)))
    if below:
        top = row + 2
        per_row = BELOW_SIZE[1] // ROW_PIXELS + 2
        for i, chart in enumerate(below):
            anchors.append((chart, (top + (i // 2) * per_row, 0, (i % 2) * (BELOW_SIZE[0] + 8))))
        # the printed page reaches the charts' right edge and bottom
        ws.print_area(0, 0, top + -(-len(below) // 2) * per_row, max(_charts_last_column(widths), ncols_all - 1))
    ws.set_paper(9)  # A4
    ws.set_landscape() if sheet.landscape else ws.set_portrait()
    ws.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.6)
    if sheet.fit_one_page:
        ws.fit_to_pages(1, 1)
    elif sheet.fit_width:
        ws.fit_to_pages(1, 0)
    ws.set_footer("&C第 &P 页，共 &N 页")
    if sheet.hidden:
        ws.hide()
    return ws, positions, anchors


def _data_rows_per_sheet(sheet: Sheet, max_rows: int) -> int:
    """How many rows of the sheet's one table fit on a worksheet of ``max_rows`` rows."""
    table = sheet.tables[0]
    above = (1 if sheet.title else 0) + len(sheet.subtitle) + (1 if sheet.title or sheet.subtitle else 0)
    above += (1 if table.heading else 0) + 1  # the header row
    return max_rows - above - (1 if table.totals else 0)


def _whole_total(table: Table, col: Col) -> object:
    """A column's total over the whole table, in the data's own unit (fen for money)."""
    numbers = [v for v in _column(table, col) if v is not None and not isinstance(v, str)]
    return sum(int(v) for v in numbers) if col.kind in FEN else float(sum(Decimal(str(v)) for v in numbers))


def continued(sheet: Sheet, max_rows: int = EXCEL_ROWS) -> list[Sheet]:
    """A sheet whose one table passes Excel's row limit, as the sheets it continues on: ``明细账``,
    ``明细账(续1)`` …, each with the header and a 小计 of its own rows, the last with the 合计 of all rows.
    Any other sheet as it is."""
    if len(sheet.tables) != 1 or _row_count(sheet.tables[0]) <= _data_rows_per_sheet(sheet, max_rows):
        return [sheet]
    table = sheet.tables[0]
    size = _data_rows_per_sheet(sheet, max_rows)
    count = _row_count(table)
    totals = {col.name: _whole_total(table, col) for col in table.columns if _wants_total(col)}
    parts = []
    for i, start in enumerate(range(0, count, size)):
        rows = table.rows.iloc[start:start + size] if isinstance(table.rows, pd.DataFrame) else table.rows[start:start + size]
        last = start + size >= count
        suffix = f"(续{i})" if i else ""
        name = sheet_names([Name(sheet.name, after=suffix)])[0]
        part = replace(table, rows=rows, totals_label=table.totals_label if last else "小计",
                       totals_values={**totals, **table.totals_values} if last else {})
        parts.append(replace(sheet, name=name, tables=[part], charts=sheet.charts if not i else [],
                             notes=sheet.notes if last else []))
    return parts


def cell_count(spec: WorkbookSpec) -> int:
    """The cells of a workbook's tables: what its write costs."""
    return sum(len(table.rows) * len(table.columns) for sheet in spec.sheets for table in sheet.tables)


def streamed(spec: WorkbookSpec) -> bool:
    """Whether the workbook is big enough to have its rows streamed to disk (constant_memory), not assembled
    in memory."""
    return cell_count(spec) > IN_MEMORY_CELLS


def render(spec: WorkbookSpec, path: Path, created: datetime = FIXED_CREATED, max_rows: int = EXCEL_ROWS,
           parts_dir: Path | None = None, in_parts: bool = False) -> tuple[str, ...]:
    """Renders a spec to ``path`` (not atomically; use ``write_workbook``); returns what was continued on
    further sheets because it passed ``max_rows``. A big workbook's table rows are written in parts
    (``deliver.parts``) when ``in_parts`` or ``parts_dir`` is given, each part kept in ``parts_dir`` for the next
    write of the same file (its shared string table too), or else whole as xlsxwriter writes them."""
    small = not streamed(spec)  # small: assembled in memory; big: rows streamed to disk
    name = f"{spec.subfolder}/{spec.filename}" if spec.subfolder else str(spec.filename)
    book = None if small or not (in_parts or parts_dir) else sheet_parts.Parts(parts_dir, name)
    target = Path(path)
    if book is not None:
        path = target.with_name(target.name + ".whole")
    wb = xlsxwriter.Workbook(str(path), {"in_memory": small, "constant_memory": not small,
                                         "strings_to_formulas": False, "strings_to_urls": False,
                                         "strings_to_numbers": False, "nan_inf_to_errors": True,
                                         "default_date_format": DATE_FORMAT})
    made = False
    try:
        wb._get_packager = _Packager  # xlsxwriter's hook for its packager
        wb.worksheet_class = type("_PartsSheet", (_SharedStringsSheet,), {"parts": book}) if book else _SharedStringsSheet
        seed = book.seed() if book else []
        if seed:  # the book's last table: unchanged texts keep their index, so unchanged parts their bytes
            wb.str_table.string_table = {text: i for i, text in enumerate(seed)}
            wb.str_table.unique_count = len(seed)
        wb.set_properties({"created": created, "author": "neiqin_xl", "title": Path(spec.filename).stem})
        fmts = _Formats(wb)
        sheets = spec.sheets or [Sheet(name="Sheet1", tables=[])]
        if all(s.hidden for s in sheets):  # Excel needs one visible sheet: the first, shown in a copy of the spec's
            sheets = [replace(sheets[0], hidden=False), *sheets[1:]]
        split = [continued(sheet, max_rows) for sheet in sheets]
        names = iter(sheet_names([part.name for parts in split for part in parts]))  # unique in the workbook
        split = [[replace(part, name=next(names)) for part in parts] for parts in split]
        said = [f"{sheet.name}: {_row_count(sheet.tables[0]):,} 行超过 Excel 单表上限, 续写于 "
                + "、".join(p.name for p in parts[1:]) for sheet, parts in zip(sheets, split) if len(parts) > 1]
        written = {}  # spec sheet name -> (final name, spec, table positions) of its first part: the charts' data
        placed = []
        for spec_sheet, parts in zip(sheets, split):
            for part in parts:
                ws, positions, anchors = _write_sheet(wb, fmts, part)
                written.setdefault(spec_sheet.name, (part.name, part, positions))
                placed.append((ws, part, positions, anchors))
        for ws, part, positions, anchors in placed:  # charts last: a first page may show a later sheet's table
            for chart, anchor in anchors:
                data = written[chart.sheet] if chart.sheet else (part.name, part, positions)
                _add_chart(wb, ws, chart, data, anchor)
        made = True
    finally:
        try:
            wb.close()
        finally:
            done = book.done() if book else None  # every part compressed, the threads ended
            if book is not None and not made:
                Path(path).unlink(missing_ok=True)  # no whole-written copy left behind by a failed write
    if book is not None:
        try:
            sheet_parts.assemble(path, target, done)
        except ValueError:  # a member past 4 GB (ZIP64): written whole
            return render(spec, target, created, max_rows)
        finally:
            Path(path).unlink(missing_ok=True)
        book.keep(done, wb.str_table.string_array, bool(seed))
    return tuple(said)


def write_workbook(spec: WorkbookSpec, out_dir: Path, created: datetime = FIXED_CREATED) -> Written:
    """Writes ``spec`` under ``out_dir`` (and its subfolder) atomically; never leaves a half-written file.
    A target open in Excel gets a timestamped sibling (``saving.write_file``, the locked-file policy). A spec
    named with a ``Name`` gets its file name here, alone; the run names its workbooks together first
    (``assign_filenames``)."""
    if isinstance(spec.filename, Name):
        spec = assign_filenames([spec], out_dir)[0]
    folder = Path(out_dir) / spec.subfolder if spec.subfolder else Path(out_dir)
    said: list[str] = []  # sheets continued past Excel's row limit
    parts_dir = Path(out_dir) / sheet_parts.PARTS_DIR  # a big book's parts, kept for the next write of it
    written = write_file(folder / spec.filename, lambda tmp: said.extend(render(spec, tmp, created,
                                                                                parts_dir=parts_dir)))
    return replace(written, continued=tuple(said))
