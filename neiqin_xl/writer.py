"""The one writer for every output workbook: styles, widths, totals, print setup and the atomic save.

Reports hand it ``WorkbookSpec``s (see ``sheets``); it lays them out and never computes a business figure.
- title rows, a styled header row repeated on every printed page, frozen below the header, autofilter;
- money (integer fen in the data) as ``#,##0.00`` in yuan with negatives in red, dates ``yyyy-mm-dd``,
  percentages ``0.0%``; column widths that count Chinese characters double;
- totals rows as SUBTOTAL(109, …) formulas that also carry their computed value, so Protected View, phone
  previews and programs reading the file see numbers;
- text from reps always written as text, never as a formula or link;
- A4, orientation per sheet, fitted to the page width, page numbers in the footer;
- saved to a temporary file and renamed into place; if the target is open in Excel (PermissionError) a
  timestamped sibling is written instead and the caller is told.
"""

from __future__ import annotations

import math
import os
import re
import tempfile
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pandas as pd
import xlsxwriter
from xlsxwriter.utility import xl_col_to_name, xl_rowcol_to_cell

from .sheets import DATE, INT, MONEY, NUMBER, PCT, TEXT, Chart, Col, Sheet, Table, WorkbookSpec

MONEY_FORMAT = "#,##0.00;[Red]-#,##0.00"
DATE_FORMAT = "yyyy-mm-dd"
PCT_FORMAT = "0.0%"
FIXED_CREATED = datetime(2026, 1, 1)
MAX_WIDTH = 42  # longer text wraps inside its cell instead of widening the page  # repeatable output: the same data gives the same file

_NUM_FORMATS = {MONEY: MONEY_FORMAT, DATE: DATE_FORMAT, PCT: PCT_FORMAT, INT: "#,##0;[Red]-#,##0", NUMBER: "General",
                TEXT: "@"}


@dataclass(frozen=True)
class Written:
    path: Path  # where the file really is
    wanted: Path  # where it should have been
    note: str = ""  # set when a sibling was written because the target was locked

    @property
    def fallback(self) -> bool:
        return self.path != self.wanted


def display_width(text: str) -> int:
    """Columns a string takes in Excel: CJK and full-width characters count double."""
    if text.isascii():  # every ASCII character is narrow: the common case of numbers and dates, fast
        return len(text)
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


_BAD_FILE_CHARS = re.compile(r'[\\/:*?"<>|\x00-\x1f]')
_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)), *(f"LPT{i}" for i in range(1, 10))}


def safe_filename(name: str, max_len: int = 80) -> str:
    """A file name safe on Windows from any text (a customer name): no / \\ : * ? " < > |, no reserved
    device names, no trailing dots or spaces, at most ``max_len`` characters."""
    cleaned = _BAD_FILE_CHARS.sub("_", str(name)).strip().rstrip(". ")
    if not cleaned:
        cleaned = "_"
    if cleaned.split(".")[0].upper() in _RESERVED:
        cleaned = "_" + cleaned
    return cleaned[:max_len]


def safe_sheet_name(name: str) -> str:
    cleaned = re.sub(r"[\[\]:*?/\\]", "_", name).strip("'") or "Sheet"
    return cleaned[:31]


def _is_blank(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    try:
        return bool(pd.isna(value)) if not isinstance(value, (str, bytes, list, tuple, dict)) else False
    except (TypeError, ValueError):
        return False


def _as_number(value: object, kind: str) -> float | None:
    if _is_blank(value):
        return None
    if kind == MONEY:
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
                                       **({"align": "right"} if k in (MONEY, PCT, INT, NUMBER) else {"text_wrap": True})})
                     for k, f in _NUM_FORMATS.items()}
        self.total = {k: wb.add_format({**base, "border": 1, "bold": True, "bg_color": "#F2F2F2", "num_format": f,
                                        **({"align": "right"} if k in (MONEY, PCT, INT, NUMBER) else {})})
                      for k, f in _NUM_FORMATS.items()}
        self._highlights: dict[str, object] = {}

    def highlight(self, color: str):
        if color not in self._highlights:
            self._highlights[color] = self.wb.add_format({"bg_color": color, "font_color": "#9C0006"})
        return self._highlights[color]


def _write_value(ws, row: int, col: int, value: object, kind: str, fmt) -> None:
    if kind in (MONEY, PCT, INT, NUMBER):
        number = _as_number(value, kind) if not isinstance(value, str) else None
        if number is None and isinstance(value, str) and value != "":
            ws.write_string(row, col, value, fmt)
        elif number is None:
            ws.write_blank(row, col, None, fmt)
        else:
            ws.write_number(row, col, number, fmt)
    elif kind == DATE:
        dt = _as_datetime(value)
        if dt is None:
            text = _cell_text(value)
            ws.write_string(row, col, text, fmt) if text else ws.write_blank(row, col, None, fmt)
        else:
            ws.write_datetime(row, col, dt, fmt)
    else:
        text = _cell_text(value)
        ws.write_string(row, col, text, fmt) if text else ws.write_blank(row, col, None, fmt)


def _shown(value: object, kind: str) -> str:
    """Roughly what Excel displays, for the column width."""
    if isinstance(value, str) or kind not in (MONEY, DATE, PCT):
        return _cell_text(value)
    if kind == MONEY:
        return f"{_as_number(value, kind) or 0:,.2f}"
    return "2026-01-01" if kind == DATE else "100.0%"


def _total_of(records: list[dict], col: Col) -> float | None:
    values = [r.get(col.name) for r in records]
    numbers = [v for v in values if not _is_blank(v) and not isinstance(v, str)]
    if col.kind == MONEY:
        return sum(int(v) for v in numbers) / 100
    return float(sum(Decimal(str(v)) for v in numbers))


def _records(table: Table) -> list[dict]:
    """``table.records()``, built column by column for a DataFrame (the values ``to_dict("records")`` gives,
    several times faster on big tables)."""
    frame = table.rows
    if not isinstance(frame, pd.DataFrame) or not frame.columns.is_unique:
        return table.records()
    names = list(frame.columns)
    columns = [_values(frame[name]) for name in names]
    return [dict(zip(names, values)) for values in zip(*columns)]


def _values(series: pd.Series) -> list:
    values = series.tolist()
    if isinstance(series.dtype, pd.api.extensions.ExtensionDtype) and series.dtype.kind in "iufb":
        values = [None if v is pd.NA else v for v in values]  # nullable ints: None, as to_dict gives
    return values


def _wants_total(col: Col) -> bool:
    return col.total if col.total is not None else col.kind in (MONEY, INT)


def _write_table(ws, fmts: _Formats, table: Table, top: int, widths: dict[int, int]) -> tuple[int, int, int]:
    """Writes one table from row ``top``; returns (header row, first data row, next free row)."""
    row = top
    if table.heading:
        ws.write_string(row, 0, table.heading, fmts.heading)
        row += 1
    header_row = row
    for c, col in enumerate(table.columns):
        ws.write_string(row, c, col.name, fmts.header)
        widths[c] = max(widths.get(c, 0), display_width(col.name) + 2)
    records = _records(table)
    first = row + 1
    for r, rec in enumerate(records, start=first):
        lines = 1
        for c, col in enumerate(table.columns):
            value = rec.get(col.name)
            _write_value(ws, r, c, value, col.kind, fmts.cell[col.kind])
            shown = display_width(_shown(value, col.kind))
            if col.width is None:
                widths[c] = max(widths.get(c, 0), min(shown + 2, MAX_WIDTH))
            if col.kind == TEXT:
                lines = max(lines, -(-shown // int((col.width or MAX_WIDTH) - 2)))
        if lines > 1:  # wrapped text: not every viewer grows the row by itself
            ws.set_row(r, 14 * lines)
    last = first + len(records) - 1
    next_row = first + len(records)
    if table.totals:
        for c, col in enumerate(table.columns):
            fmt = fmts.total[col.kind]
            if col.name in table.totals_values:
                _write_value(ws, next_row, c, table.totals_values[col.name], col.kind, fmt)
            elif c == 0 and not _wants_total(col):
                ws.write_string(next_row, 0, table.totals_label, fmts.total[TEXT])
            elif _wants_total(col) and records:
                letter = xl_col_to_name(c)
                ws.write_formula(next_row, c, f"=SUBTOTAL(109,{letter}{first + 1}:{letter}{last + 1})", fmt,
                                 _total_of(records, col))
            elif _wants_total(col):
                ws.write_number(next_row, c, 0, fmt)
            else:
                ws.write_blank(next_row, c, None, fmt)
        next_row += 1
    for c, col in enumerate(table.columns):
        if col.width is not None:
            widths[c] = max(widths.get(c, 0), int(col.width))
    if records:
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
                value = h.value / 100 if table.columns[c].kind == MONEY and isinstance(h.value, (int, float)) else h.value
                ws.conditional_format(first, c, last, c, {"type": "cell", "criteria": h.criteria, "value": value,
                                                          "format": fmt})
    return header_row, first, next_row


def _add_chart(wb, ws, sheet: Sheet, chart: Chart, positions: list[tuple[int, int, int]], anchor_row: int,
               anchor_col: int) -> None:
    table = sheet.tables[chart.table]
    header_row, first, next_row = positions[chart.table]
    n = len(table.records())
    if n == 0:
        return
    names = [c.name for c in table.columns]
    xl_chart = wb.add_chart({"type": chart.kind})
    cat = names.index(chart.categories)
    sheet_ref = "'" + safe_sheet_name(sheet.name).replace("'", "''") + "'"
    for value_col in chart.values:
        v = names.index(value_col)
        xl_chart.add_series({"name": [safe_sheet_name(sheet.name), header_row, v],
                             "categories": f"={sheet_ref}!${xl_col_to_name(cat)}${first + 1}:${xl_col_to_name(cat)}${first + n}",
                             "values": f"={sheet_ref}!${xl_col_to_name(v)}${first + 1}:${xl_col_to_name(v)}${first + n}"})
    xl_chart.set_title({"name": chart.title})
    if chart.y_title:
        xl_chart.set_y_axis({"name": chart.y_title})
    xl_chart.set_legend({"position": "bottom"})
    xl_chart.set_size({"width": 640, "height": 300})
    ws.insert_chart(anchor_row, anchor_col, xl_chart)


def _write_sheet(wb: xlsxwriter.Workbook, fmts: _Formats, sheet: Sheet) -> None:
    ws = wb.add_worksheet(safe_sheet_name(sheet.name))
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
    chart_col = max((len(t.columns) for t in sheet.tables), default=0) + 1
    for i, chart in enumerate(sheet.charts):
        _add_chart(wb, ws, sheet, chart, positions, (positions[0][0] if positions else 0) + i * 16, chart_col)
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


def render(spec: WorkbookSpec, path: Path, created: datetime = FIXED_CREATED) -> None:
    """Renders a spec to ``path`` (not atomically; use ``write_workbook``)."""
    wb = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False, "strings_to_urls": False,
                                         "strings_to_numbers": False, "nan_inf_to_errors": True,
                                         "default_date_format": DATE_FORMAT})
    try:
        wb.set_properties({"created": created, "author": "neiqin_xl", "title": Path(spec.filename).stem})
        fmts = _Formats(wb)
        sheets = spec.sheets or [Sheet(name="Sheet1", tables=[])]
        if all(s.hidden for s in sheets):
            sheets[0].hidden = False
        for sheet in sheets:
            _write_sheet(wb, fmts, sheet)
    finally:
        wb.close()


def write_workbook(spec: WorkbookSpec, out_dir: Path, created: datetime = FIXED_CREATED) -> Written:
    """Writes ``spec`` under ``out_dir`` (and its subfolder) atomically; never leaves a half-written file."""
    folder = Path(out_dir) / spec.subfolder if spec.subfolder else Path(out_dir)
    folder.mkdir(parents=True, exist_ok=True)
    wanted = folder / spec.filename
    fd, tmp_name = tempfile.mkstemp(prefix=".~tmp-", suffix=".xlsx", dir=folder)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        render(spec, tmp, created)
        return _move_into_place(tmp, wanted)
    finally:
        if tmp.exists():
            tmp.unlink()


def _move_into_place(tmp: Path, wanted: Path) -> Written:
    try:
        os.replace(tmp, wanted)
        return Written(wanted, wanted)
    except PermissionError:  # open in Excel on Windows: keep the old file, write a sibling
        sibling = wanted.with_name(f"{wanted.stem}_{datetime.now():%H%M%S}{wanted.suffix}")
        os.replace(tmp, sibling)
        return Written(sibling, wanted, note=f"{wanted.name} 正在被其他程序打开, 已另存为 {sibling.name}")


def write_text_atomic(path: Path, text: str) -> None:
    """UTF-8 text (manifest.json, .eml …) written atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=".~tmp-", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
        os.replace(tmp_name, path)
    finally:
        if os.path.exists(tmp_name):
            os.unlink(tmp_name)


def write_bytes_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=".~tmp-", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp_name, path)
    finally:
        if os.path.exists(tmp_name):
            os.unlink(tmp_name)
