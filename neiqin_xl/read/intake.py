"""Reading the whole workspace: the first step of the day (``read workbooks``), before ``validate``.

``read_workspace(settings)`` reads every rep workbook (workbooks/reps/, one per rep), the master
data (master/客户档案.xlsx, 产品目录.xlsx, 人员.xlsx), the attendance exports (attendance/考勤_YYYY-MM.xlsx)
and the finance exports (finance/财务收款_YYYY-MM.xlsx …) into ``Tables``: one DataFrame per schema sheet
with the schema's columns and dtypes (money in fen, dates datetime64, IDs text) plus the source columns
来源工作簿, 来源工作表 (the real sheet name), 来源行 (Excel row) and 业务员. Finance frames get a 月份
column (YYYY-MM) from the file name; 考勤 gets its blank 月份 from the file name.

Data problems are ``Problem`` values, never exceptions: a cell that cannot be parsed makes its row an
error row, kept out of the tables and listed with its address; a workbook that cannot be opened is one
error and the run goes on with the others. A missing finance folder is an ``inputs`` entry of its own
(status ``missing``), which the 财务对账 states. Owner and hidden files (~$张伟.xlsx, .~张伟.xlsx: the one rule
of ``folders.is_temporary``) are skipped and recorded as skipped, other files ignored. ``Tables.inputs``
records every file: path, sha256, status, rows per sheet, a message, and ``columns`` ({sheet name in the file: {field: column letter}}), which ``validate``
uses to address its problems.

``read_workbook`` reads one file and is what tests and tools use for a single workbook. With the intake
cache on (``intake.cache``, see ``cache.py``), ``read_workspace`` takes a workbook whose bytes have not
changed since the last run from the cache instead of parsing it again.
"""

from __future__ import annotations

import functools
import hashlib
import zipfile
from collections.abc import Callable, Iterable, Sequence
from operator import itemgetter
from pathlib import Path

import pandas as pd
import python_calamine as pc
from xlsxwriter.utility import xl_col_to_name

from .cache import WorkbookCache, open_cache
from .folders import list_workbooks
from ..core.config import Settings
from ..core.model import ERROR, REP, SRC_ROW, SRC_SHEET, SRC_WORKBOOK, WARNING, Problem, Tables, cell_address
from ..core.months import Month, month_texts
from ..core.names import is_total_text, normalize_name
from .parse import display_raw, is_blank, parse_column, parser_for
from .reader import (Header, SheetMatch, find_sheets, locate_header, open_error_text,
                     open_workbook, read_grid, workbook_error_cells)
from ..core.schema import (ATTENDANCE, ATTENDANCE_PREFIX, DATE, DTYPES, FINANCE_PREFIXES, FINANCE_SHEETS,
                     MASTER_WORKBOOKS, MONEY, REP_SHEETS, SHEETS, SheetDef)

MONTH_COLUMN = "月份"
_OPEN_ERRORS = (zipfile.BadZipFile, pc.CalamineError, pc.PasswordError, pc.XmlError, pc.ZipError,
                pc.WorksheetNotFound, ValueError, OSError, KeyError, IndexError, UnicodeDecodeError, EOFError)

Progress = Callable[[Iterable], Iterable]


# ---------------------------------------------------------------- the workspace

def read_workspace(settings: Settings, progress: Progress | None = None) -> tuple[Tables, list[Problem]]:
    """Every input of the day into ``Tables`` (one frame per schema sheet) and the problems found reading."""
    if not settings.workspace.is_dir():
        raise FileNotFoundError(f"找不到工作区 {settings.workspace}")
    collected: dict[str, list[pd.DataFrame]] = {name: [] for name in SHEETS}
    problems: list[Problem] = []
    inputs: list[dict] = []
    cache = open_cache(settings)

    def take(path: Path, sheet_defs: tuple[SheetDef, ...], **options) -> None:
        frames, found, info = read_workbook(path, sheet_defs, settings, cache=cache, **options)
        info["path"] = relative_path(path, settings.workspace)
        inputs.append(info)
        problems.extend(found)
        for name, frame in frames.items():
            collected[name].append(frame)

    rep_files, skipped = list_workbooks(settings.folder("reps"))
    inputs.extend(skipped_input(p, settings.workspace) for p in skipped)
    if not settings.folder("reps").is_dir():
        problems.append(Problem(WARNING, f"找不到业务员台账文件夹 {settings.paths.reps}", workbook=str(settings.paths.reps)))
    for path in (progress(rep_files) if progress else rep_files):
        take(path, REP_SHEETS, rep=normalize_name(path.stem))

    master_files, skipped = list_workbooks(settings.folder("master"))
    inputs.extend(skipped_input(p, settings.workspace) for p in skipped)
    for file_name, sheet_names in MASTER_WORKBOOKS.items():
        path = find_by_stem(master_files, Path(file_name).stem)
        if path is None:
            problems.append(Problem(WARNING, f"找不到 {settings.paths.master / file_name}, 按空表处理",
                                    workbook=file_name, suggestion="请把该文件放入 master 文件夹"))
            continue
        take(path, tuple(SHEETS[s] for s in sheet_names))

    attendance_files, skipped = list_workbooks(settings.folder("attendance"))
    inputs.extend(skipped_input(p, settings.workspace) for p in skipped)
    for path in attendance_files:
        if path.stem.startswith(ATTENDANCE_PREFIX):
            problems.extend(check_month_in_name(path, ATTENDANCE_PREFIX))
            take(path, (ATTENDANCE,), first_visible_fallback=True, month=_name_month(path))

    finance_files, skipped = list_workbooks(settings.folder("finance"))
    inputs.extend(skipped_input(p, settings.workspace) for p in skipped)
    if not settings.folder("finance").is_dir():  # said by the 财务对账 and in the manifest's inputs
        inputs.append(missing_folder_input("finance", settings))
    for path in finance_files:
        sheet_def = finance_sheet_for(path)
        if sheet_def is not None:
            problems.extend(check_month_in_name(path, sheet_def.name))
            take(path, (sheet_def,), first_visible_fallback=True, month=_name_month(path))

    frames = {name: combine(SHEETS[name], parts) for name, parts in collected.items()}
    return Tables(frames=frames, inputs=inputs), problems


def skipped_input(path: Path, workspace: Path) -> dict:
    return {"path": relative_path(path, workspace), "sha256": "", "status": "skipped", "rows": {},
            "message": "临时文件或隐藏文件, 已跳过"}


def missing_folder_input(key: str, settings: Settings) -> dict:
    """The ``Tables.inputs`` entry of a workspace folder that is not there: status ``missing``, ``folder`` its
    key in ``paths`` (finance)."""
    return {"path": relative_path(settings.folder(key), settings.workspace), "sha256": "", "status": "missing",
            "rows": {}, "folder": key, "message": "文件夹不存在"}


def find_by_stem(files: list[Path], stem: str) -> Path | None:
    """客户档案.xlsx, or 客户档案.xls/.ods when that is what the clerk keeps."""
    found = [p for p in files if p.stem == stem]
    found.sort(key=lambda p: p.suffix.lower() != ".xlsx")
    return found[0] if found else None


def finance_sheet_for(path: Path) -> SheetDef | None:
    """财务收款_2026-11.xlsx -> the 财务收款 definition; None for other files."""
    for prefix, sheet_name in FINANCE_PREFIXES.items():
        if path.stem.startswith(prefix):
            return next(s for s in FINANCE_SHEETS if s.name == sheet_name)
    return None


def _name_month(path: Path) -> str | None:
    """The month in a file's name (财务收款_2026-11.xlsx -> '2026-11'), as the text the 月份 column holds."""
    month = Month.find(path.stem)
    return str(month) if month else None


def check_month_in_name(path: Path, prefix: str) -> list[Problem]:
    """A finance or attendance export must say its month in its name (财务收款_2026-11.xlsx)."""
    if Month.find(path.stem):
        return []
    return [Problem(WARNING, "文件名中没有月份, 月份按各行日期 (考勤: 留空)", workbook=path.name,
                    suggestion=f"请命名为 {prefix}_YYYY-MM{path.suffix}, 如 {prefix}_2026-11{path.suffix}")]


def relative_path(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def combine(sheet_def: SheetDef, parts: list[pd.DataFrame]) -> pd.DataFrame:
    """One frame from the files' frames, with the schema's dtypes (the empty frame when nothing was read)."""
    parts = [p for p in parts if len(p)]
    if not parts:
        frame = sheet_def.empty_frame()
        if sheet_def in FINANCE_SHEETS:
            frame[MONTH_COLUMN] = pd.Series(dtype="str")
        return frame
    frame = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0].reset_index(drop=True)
    wanted = {c: t for c, t in frame_dtypes(sheet_def, frame.columns).items() if frame[c].dtype != _dtype(t)}
    return frame.astype(wanted) if wanted else frame


@functools.cache
def _dtype(name: str):
    return pd.api.types.pandas_dtype(name)


def frame_dtypes(sheet_def: SheetDef, columns: Iterable[str]) -> dict[str, str]:
    dtypes = {f.name: DTYPES[f.kind] for f in sheet_def.fields}
    dtypes.update({SRC_WORKBOOK: "str", SRC_SHEET: "str", SRC_ROW: "int64", REP: dtypes.get(REP, "str"),
                   MONTH_COLUMN: "str"})
    return {c: dtypes[c] for c in columns if c in dtypes}


# ---------------------------------------------------------------- one workbook

def read_workbook(path: Path, sheet_defs: tuple[SheetDef, ...], settings: Settings, rep: str | None = None, *,
                  first_visible_fallback: bool = False, month: str | None = None, cache: WorkbookCache | None = None
                  ) -> tuple[dict[str, pd.DataFrame], list[Problem], dict]:
    """One workbook's sheets as frames (by canonical sheet name), its problems, and what was learnt.

    ``rep`` is the rep of a rep workbook (rows with a 业务员 column use theirs); ``month`` (YYYY-MM) fills
    月份 in finance and attendance frames. ``info`` is the ``Tables.inputs`` entry: path, sha256, status,
    rows per sheet, message, columns. A file that cannot be opened gives one error and no frames.
    With a ``cache`` (``cache.open_cache``), an unchanged file is taken from it instead of being parsed,
    and a parsed file that could be read is stored in it.
    """
    path = Path(path)
    if cache is None:
        return parse_workbook(path, sheet_defs, settings, rep, first_visible_fallback=first_visible_fallback,
                              month=month)
    try:
        digest = file_sha256(path)
    except OSError:
        digest = ""
    how = {"sheets": repr(sheet_defs), "rep": rep, "first_visible_fallback": first_visible_fallback, "month": month}
    cached = cache.load(path, digest, how) if digest else None
    if cached is not None:
        return cached
    frames, problems, info = parse_workbook(path, sheet_defs, settings, rep,
                                            first_visible_fallback=first_visible_fallback, month=month)
    if info["status"] == "ok" and info["sha256"] == digest:
        cache.store(path, digest, how, frames, problems, info)
    return frames, problems, info


def parse_workbook(path: Path, sheet_defs: tuple[SheetDef, ...], settings: Settings, rep: str | None = None, *,
                   first_visible_fallback: bool = False, month: str | None = None
                   ) -> tuple[dict[str, pd.DataFrame], list[Problem], dict]:
    """``read_workbook`` without the cache: opens the file and parses every sheet it knows."""
    info = {"path": path.name, "sha256": "", "status": "ok", "rows": {}, "message": "", "columns": {}}
    problems: list[Problem] = []
    try:
        info["sha256"] = file_sha256(path)
        book = open_workbook(path)
        matches, hidden = find_sheets(book, sheet_defs, settings, first_visible_fallback)
    except _OPEN_ERRORS as exc:
        info.update(status="error", message=open_error_text(exc))
        return {}, [Problem(ERROR, info["message"], workbook=path.name, rep=rep or "",
                            suggestion="请用 Excel 打开并另存为 .xlsx 后重新放入文件夹")], info
    for name in hidden:
        problems.append(Problem(WARNING, "工作表已隐藏, 未读取", workbook=path.name, sheet=name, rep=rep or "",
                                suggestion="如需汇总, 请取消隐藏该工作表"))
    if not matches and not hidden:
        expected = "、".join(s.name for s in sheet_defs)
        problems.append(Problem(WARNING, f"没有找到可识别的工作表 (应为 {expected})", workbook=path.name, rep=rep or "",
                                suggestion="请按模板命名工作表"))
    frames: dict[str, list[pd.DataFrame]] = {}
    error_cells = workbook_error_cells(path, [m.index for m in matches])
    for match in matches:
        try:
            grid = read_grid(book, match, path, error_cells.get(match.index, {}))
        except _OPEN_ERRORS as exc:
            problems.append(Problem(ERROR, f"无法读取工作表: {type(exc).__name__}: {str(exc)[:120]}",
                                    workbook=path.name, sheet=match.name, rep=rep or ""))
            info["status"] = "error"
            continue
        frame, found, columns = read_sheet(grid, match, path.name, settings, rep, month)
        problems.extend(found)
        if columns is not None:
            info["columns"][match.name] = columns
        if frame is not None:
            frames.setdefault(match.sheet_def.name, []).append(frame)
            info["rows"][match.sheet_def.name] = info["rows"].get(match.sheet_def.name, 0) + len(frame)
    errors = sum(1 for p in problems if p.severity == ERROR)
    if errors:
        info["message"] = f"{errors} 个错误"
    book.close()
    return {name: combine(SHEETS[name], parts) for name, parts in frames.items()}, problems, info


def read_sheet(grid: list[list], match: SheetMatch, workbook: str, settings: Settings, rep: str | None,
               month: str | None) -> tuple[pd.DataFrame | None, list[Problem], dict | None]:
    """One sheet's rows as a frame; rows with a cell error are left out and listed."""
    sheet_def = match.sheet_def
    header = locate_header(grid, sheet_def, settings)
    where = {"workbook": workbook, "sheet": match.name, "rep": rep or ""}
    if header is None:
        if not any(any(not is_blank(c) for c in row) for row in grid):
            return None, [], None  # an empty sheet
        return None, [Problem(ERROR, f"前 {settings.intake.header_scan_rows} 行里找不到表头, 整张表未读取",
                              suggestion="表头应包含: " + "、".join(sheet_def.columns), **where)], None
    columns = {name: xl_col_to_name(col) for name, col in header.columns.items()}
    if header.missing:
        return None, [Problem(ERROR, f"第 {header.row + 1} 行表头缺少必填列: {'、'.join(header.missing)}, 整张表未读取",
                              cell=f"{header.row + 1}:{header.row + 1}", row=header.row + 1,
                              suggestion="请按模板补上该列 (或在 config.yaml 的 intake.column_aliases 中登记列名)",
                              **where)], columns
    frame, problems = build_frame(grid, header, sheet_def, workbook, match.name, rep or "")
    frame = add_month(frame, sheet_def, month)
    return frame, problems, columns


def data_rows(grid: list[list], header: Header, sheet_def: SheetDef, cols: list[int]) -> tuple[list[int], list[tuple]]:
    """The data rows below the header (grid indexes) and their cells in ``cols``: rows blank in every
    one of ``cols`` and 合计 rows are left out."""
    first = header.row + 1
    cells = pick_cells(grid[first:], cols)
    spaces = [v for v in set().union(*cells) if isinstance(v, str) and v and not v.strip()] if cells else []
    width = len(cols)
    if spaces:  # a cell of only spaces is blank too
        filled = [i for i, row in enumerate(cells) if row.count("") + row.count(None) + sum(map(row.count, spaces)) < width]
    else:
        filled = [i for i, row in enumerate(cells) if row.count("") + row.count(None) < width]
    if sheet_def.skip_total_rows:
        filled = [i for i in filled if not is_total_row(grid[first + i])]
    return [first + i for i in filled], [cells[i] for i in filled]


def pick_cells(rows: list[list], cols: list[int]) -> list[tuple]:
    """The cells of ``cols`` in each row, as tuples (a short row reads as blank beyond its end)."""
    if cols and rows and min(map(len, rows)) > max(cols):
        pick = itemgetter(*cols)
        return list(map(pick, rows)) if len(cols) > 1 else [(v,) for v in map(pick, rows)]
    return [tuple(row[c] if c < len(row) else "" for c in cols) for row in rows]


def is_total_row(cells: list) -> bool:
    """A finance export's 合计 / 小计 / 本月合计 line: its first text cell reads as a total
    (``names.is_total_text``)."""
    for cell in cells:
        if isinstance(cell, str) and cell.strip():
            return is_total_text(cell)
    return False


def build_frame(grid: list[list], header: Header, sheet_def: SheetDef, workbook: str, sheet: str,
                rep: str) -> tuple[pd.DataFrame, list[Problem]]:
    """Parses the mapped columns of the data rows, column by column; rows with an error are dropped."""
    fields = [(f, header.columns[f.name]) for f in sheet_def.fields if f.name in header.columns]
    rep_cols = [header.rep_column] if header.rep_column is not None else []
    rows, cells = data_rows(grid, header, sheet_def, [col for _, col in fields] + rep_cols)
    raw_columns = list(zip(*cells)) if cells else [()] * (len(fields) + len(rep_cols))
    reps = row_reps(raw_columns[-1], rep) if rep_cols else [rep] * len(rows)
    problems: list[Problem] = []
    values: dict[str, list] = {}
    for (f, col), raw in zip(fields, raw_columns):
        parsed = parse_column(parser_for(f), raw, blank=0 if f.kind == MONEY else None)
        values[f.name] = parsed.values
        for i, error in parsed.errors.items():
            problems.append(Problem(ERROR, error.message, workbook=workbook, sheet=sheet,
                                    cell=cell_address(col, rows[i] + 1), field=f.name,
                                    value=display_raw(raw[i]), suggestion=error.suggestion, rep=reps[i],
                                    row=rows[i] + 1))
    problems.sort(key=lambda p: (p.row, len(p.cell), p.cell))
    bad = {p.row - 1 for p in problems}
    keep = [i for i, r in enumerate(rows) if r not in bad] if bad else range(len(rows))

    def kept(column: list) -> list:
        return [column[i] for i in keep] if bad else column

    missing = {f.name: [0 if f.kind == MONEY else None] * len(keep) for f in sheet_def.fields if f.name not in values}
    data = {f.name: pd.Series(missing[f.name] if f.name in missing else kept(values[f.name]), dtype=_dtype(DTYPES[f.kind]))
            for f in sheet_def.fields}
    data[SRC_WORKBOOK] = pd.Series([workbook] * len(keep), dtype=_dtype("str"))
    data[SRC_SHEET] = pd.Series([sheet] * len(keep), dtype=_dtype("str"))
    data[SRC_ROW] = pd.Series([r + 1 for r in kept(rows)], dtype="int64")
    if REP not in data:
        data[REP] = pd.Series(kept(reps), dtype=_dtype("str"))
    return pd.DataFrame(data), problems


def row_reps(cells: Sequence, rep: str) -> list[str]:
    """Each row's rep: its 业务员 cell when the sheet has that column and it is filled, else the file's rep."""
    names = {cell: normalize_name(display_raw(cell)) or rep for cell in set(cells)}
    return list(map(names.__getitem__, cells))


def add_month(frame: pd.DataFrame, sheet_def: SheetDef, month: str | None) -> pd.DataFrame:
    """考勤: a blank 月份 takes the file's month. Finance: a 月份 column, the file's month, else the row's date's."""
    if sheet_def is ATTENDANCE and month:
        frame[MONTH_COLUMN] = frame[MONTH_COLUMN].fillna(month)
    elif sheet_def in FINANCE_SHEETS:
        if month:
            frame[MONTH_COLUMN] = pd.Series([month] * len(frame), dtype="str", index=frame.index)
        else:
            dates = [f.name for f in sheet_def.fields if f.kind == DATE]
            frame[MONTH_COLUMN] = pd.Series(month_texts(frame[dates[0]]) if dates else [None] * len(frame),
                                            dtype="str", index=frame.index)
    return frame
