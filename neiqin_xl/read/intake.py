"""Reading the whole workspace: the first step of the day (``read workbooks``), before ``validate``.

``read_workspace(settings)`` reads every rep workbook (workbooks/reps/, one per rep), the master
data (master/客户档案.xlsx, 产品目录.xlsx, 人员.xlsx, and the clerk's own 客户服务.xlsx when it is there),
the attendance exports (attendance/考勤_YYYY-MM.xlsx) and the finance exports (finance/财务收款_YYYY-MM.xlsx …)
into ``Tables``: one DataFrame per schema sheet with the schema's columns and dtypes (money in fen, dates
datetime64, IDs text) plus the source columns 来源工作簿, 来源工作表 (the real sheet name), 来源行 (Excel row) and 业务员. Finance frames get a 月份
column (YYYY-MM) from the file name; 考勤 gets its blank 月份 from the file name.

Data problems are ``Problem`` values, never exceptions: a cell of a required field that cannot be parsed
makes its row an error row, kept out of the tables and listed with its address (an optional field's is a
warning, the cell read as blank, the row kept); a workbook that cannot be opened is one error and the run
goes on with the others. A missing finance folder is an ``inputs`` entry of its own (status ``missing``),
which the 财务对账 states. Owner and hidden files (~$张伟.xlsx, .~张伟.xlsx: the one rule of
``folders.is_temporary``) are skipped and recorded as skipped; any other file in reps/ that is not a
workbook (``folders.unsupported_files``: .numbers, .pdf …) is one warning naming it, files of other kinds
elsewhere are ignored. A rep's CSV (张伟_回款.csv) is read as a one-sheet workbook (``reader.CsvBook``).
``Tables.inputs`` records every file: path, sha256, status, rows per sheet, a message, ``columns`` ({sheet
name in the file: {field: column letter}}), which ``validate`` uses to address its problems, and
``total_rows`` ({sheet name: 合计 rows skipped}) when there were any.

A required column whose header is unknown is found by its cells (``reader.fitting_columns``): dates and
amounts at once; 合同编号, 客户名称 and 产品名称 by the values the books know (``reader.Known``), so a workbook
whose sheet lacks one of those is read a second time, after all the others, with what they hold (``with_known``).

``read_workbook`` reads one file in this process and is what tests and tools use for a single workbook.
``read_workspace`` reads its workbooks through ``read_books``: with the intake cache on (``intake.cache``,
see ``cache.py``) a workbook whose bytes have not changed since the last run comes from the cache; the
others are parsed in a small pool of worker processes (``isolation.py``) within ``intake.max_seconds``
and ``intake.max_memory_mb``, so a workbook that crashes the reader, loops or eats memory is one error.
"""

from __future__ import annotations

import dataclasses
import functools
import os
import re
import zipfile
import zlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import NamedTuple
from operator import itemgetter
from pathlib import Path

import pandas as pd
import python_calamine as pc
from xlsxwriter.utility import xl_col_to_name, xl_range

from .cache import WorkbookCache, open_cache
from .folders import list_workbooks, other_files, rep_named, rep_of, unsupported_files
from .isolation import CRASH, MEMORY, TIMEOUT, Outcome, WorkerPool
from ..core.config import Settings
from ..core.files import file_sha256
from ..core.model import ERROR, REP, SRC_ROW, SRC_SHEET, SRC_WORKBOOK, WARNING, Problem, Tables, cell_address
from ..core.months import Month, month_texts
from ..core.names import is_total_text, match_key, normalize_name, split_aliases, staff_names
from .parse import CellError, display_raw, is_blank, normalize_header, parse_column, parser_for
from .reader import (NOT_DATA_SHEETS, Known, fit_words, Header, Range, SheetMatch, SheetVerdict, advice_in, alias_headers,
                     block_start, cell_fits, column_alias_block, config_block, header_advice, merge_advice,
                     header_lookup, infer_columns,
                     hidden_named, identify_sheet, locate_header, open_error_text, open_workbook, read_cells_present,
                     read_grid, scan_sheets, sheet_alias_line, visible_worksheets)
from ..core.schema import (ATTENDANCE, ATTENDANCE_PREFIX, CONTRACT_NO, CUSTOMER, DATE, DTYPES, FINANCE_PREFIXES,
                           FINANCE_SHEETS, MASTER_WORKBOOKS, MONEY, NUMBER, OPTIONAL_MASTER_WORKBOOKS, PRODUCT,
                           REP_SHEETS, SHEETS, Field, SheetDef)

MONTH_COLUMN = "月份"
_OPEN_ERRORS = (zipfile.BadZipFile, pc.CalamineError, pc.PasswordError, pc.XmlError, pc.ZipError,
                pc.WorksheetNotFound, ValueError, OSError, KeyError, IndexError, UnicodeDecodeError, EOFError, zlib.error)

Progress = Callable[[Iterable], Iterable]
Result = tuple[dict[str, pd.DataFrame], list[Problem], dict]  # one workbook: frames by sheet, problems, info


# ---------------------------------------------------------------- the workspace

def read_workspace(settings: Settings, progress: Progress | None = None) -> tuple[Tables, list[Problem]]:
    """Every input of the day into ``Tables`` (one frame per schema sheet) and the problems found reading.

    The workbooks are read in worker processes (``read_books``); problems and inputs keep the reading order.
    """
    if not settings.workspace.is_dir():
        raise FileNotFoundError(f"找不到工作区 {settings.workspace}")
    steps: list[Job | Problem | dict] = []  # in reading order: a workbook to read, a problem, a skipped file

    def take(path: Path, sheet_defs: tuple[SheetDef, ...], **options) -> None:
        steps.append(Job(path, tuple(s.name for s in sheet_defs), **options))

    def skip(paths: list[Path]) -> None:
        steps.extend(skipped_input(p, settings.workspace) for p in paths)

    rep_files, skipped = list_workbooks(settings.folder("reps"))
    skip(skipped)
    if not settings.folder("reps").is_dir():
        steps.append(Problem(WARNING, f"找不到业务员台账文件夹 {settings.paths.reps}", workbook=str(settings.paths.reps)))
    others = other_files(settings.folder("reps"))
    for path in others:
        steps.append({"path": relative_path(path, settings.workspace), "sha256": "", "status": "skipped", "rows": {},
                      "message": "不是台账文件"})
    if others:
        names = "、".join(p.name for p in others)
        steps.append(Problem(WARNING, f"业务员台账文件夹中有 {len(others)} 个不是台账的文件, 未读取: {names}",
                             workbook=str(settings.paths.reps),
                             suggestion="台账以外的文件请放到别处 (它们不算任何业务员的台账)"))
    for path in unsupported_files(settings.folder("reps")):
        steps.append({"path": relative_path(path, settings.workspace), "sha256": "", "status": "skipped", "rows": {},
                      "message": "不支持的文件格式"})
        steps.append(Problem(WARNING, f"不支持的文件格式 {path.suffix or '(无扩展名)'}, 未读取",
                             workbook=path.name, rep=rep_of(path), suggestion="请另存为 .xlsx"))
    for path in rep_files:
        take(path, REP_SHEETS, rep=rep_of(path))

    master_files, skipped = list_workbooks(settings.folder("master"))
    skip(skipped)
    for file_name, sheet_names in {**MASTER_WORKBOOKS, **OPTIONAL_MASTER_WORKBOOKS}.items():
        path = find_by_stem(master_files, Path(file_name).stem)
        if path is None and file_name in OPTIONAL_MASTER_WORKBOOKS:
            continue
        if path is None:
            steps.append(Problem(WARNING, f"找不到 {settings.paths.master / file_name}, 按空表处理",
                                 workbook=file_name, suggestion="请把该文件放入 master 文件夹"))
            continue
        take(path, tuple(SHEETS[s] for s in sheet_names))

    attendance_files, skipped = list_workbooks(settings.folder("attendance"))
    skip(skipped)
    for path in attendance_files:
        if path.stem.startswith(ATTENDANCE_PREFIX):
            steps.extend(check_month_in_name(path, ATTENDANCE_PREFIX))
            take(path, (ATTENDANCE,), first_visible_fallback=True, month=_name_month(path))

    finance_files, skipped = list_workbooks(settings.folder("finance"))
    skip(skipped)
    if not settings.folder("finance").is_dir():  # said by the 财务对账 and in the manifest's inputs
        steps.append(missing_folder_input("finance", settings))
    for path in finance_files:
        sheet_def = finance_sheet_for(path)
        if sheet_def is not None:
            steps.extend(check_month_in_name(path, sheet_def.name))
            take(path, (sheet_def,), first_visible_fallback=True, month=_name_month(path))

    collected: dict[str, list[pd.DataFrame]] = {name: [] for name in SHEETS}
    problems: list[Problem] = []
    inputs: list[dict] = []
    jobs = [s for s in steps if isinstance(s, Job)]
    results = iter(with_known(jobs, read_books(jobs, settings, progress), settings))
    for step in steps:
        if isinstance(step, Problem):
            problems.append(step)
        elif isinstance(step, dict):
            inputs.append(step)
        else:
            frames, found, info = next(results)
            info["path"] = relative_path(step.path, settings.workspace)
            if step.rep is not None:
                info["rep"] = step.rep
            inputs.append(info)
            problems.extend(found)
            for name, frame in frames.items():
                collected[name].append(frame)
    problems = one_config_block(whose_workbooks(steps, inputs, collected, problems))
    frames = {name: combine(SHEETS[name], parts) for name, parts in collected.items()}
    return Tables(frames=frames, inputs=inputs), problems


WANTS_KNOWN = "wants_known"  # an info key while reading: the ID or name fields a sheet lacked (``with_known``)
KNOWN_FIELDS = frozenset({CONTRACT_NO, CUSTOMER, PRODUCT})  # required columns ``reader.Known`` can find by their cells


def with_known(jobs: list[Job], results: list[Result], settings: Settings) -> list[Result]:
    """The results, with the few workbooks read again whose sheet lacked a required 合同编号, 客户名称 or 产品名称
    column (``WANTS_KNOWN``): now with what the first reading of all the others knows (``known_of``: the archive's
    customers and aliases, the catalogue's products, the 合同 sheets' numbers), so such a column is found by its
    cells as a date or an amount column is. Only those workbooks are read twice, in this process (they were read
    once in a worker already, within its limits) and past the cache; nothing changes for the others."""
    asking = [i for i, (_, _, info) in enumerate(results) if info.pop(WANTS_KNOWN, None)]
    if not asking:
        return results
    known = known_of([frames for frames, _, _ in results])
    if not known:
        return results
    out = list(results)
    for i in asking:
        out[i] = parse_job((dataclasses.replace(jobs[i], known=known), settings))
    return out


def known_of(books: list[dict[str, pd.DataFrame]]) -> Known:
    """What the workbooks read say about customers, products and contracts (``reader.Known``): the 客户 table's
    names and 别名, the 产品 table's names, every 合同 sheet's 合同编号."""
    customers: set[str] = set()
    products: set[str] = set()
    contracts: set[str] = set()
    for frames in books:
        if "客户" in frames:
            archive = frames["客户"]
            customers.update(match_key(n) for n in archive[CUSTOMER].dropna())
            customers.update(match_key(a) for text in archive["别名"].dropna() for a in split_aliases(text))
        if "产品" in frames:
            products.update(match_key(n) for n in frames["产品"][PRODUCT].dropna())
        if "合同" in frames:
            contracts.update(str(n).strip() for n in frames["合同"][CONTRACT_NO].dropna())
    return Known(frozenset(customers - {""}), frozenset(products - {""}), frozenset(contracts - {""}))


def whose_workbooks(steps: list, inputs: list[dict], collected: dict[str, list[pd.DataFrame]],
                    problems: list[Problem]) -> list[Problem]:
    """Each rep workbook's rep by the 人员 table just read (``folders.rep_named``: 张伟_回款.xlsx is 张伟's):
    its rows without a 业务员 of their own and its problems move from the file's name to that rep, and its
    ``inputs`` entry says the rep (``rep``). A workbook whose name starts with no 人员 name keeps its name as
    rep and is listed for the clerk. Done after the reading, so the cache and the workers need not know."""
    names = [n for frame in collected["人员"] for n in staff_names(frame)]
    jobs = [s for s in steps if isinstance(s, Job)]
    infos = [i for i in inputs if "rep" in i]
    moved: dict[str, str] = {}
    unknown: list[str] = []
    for job, info in zip([j for j in jobs if j.rep is not None], infos):
        rep = rep_named(job.path, names) if names else job.rep
        info["rep"] = rep
        if rep != job.rep:
            moved[job.rep] = rep
        elif names and rep not in names and info["status"] != "error":
            unknown.append(job.path.name)
    if moved:
        for name, parts in collected.items():
            for frame in parts:
                if REP in frame and len(frame):
                    frame[REP] = frame[REP].map(lambda r: moved.get(r, r))
        problems = [dataclasses.replace(p, rep=moved[p.rep]) if p.rep in moved else p for p in problems]
    if unknown:
        problems.append(Problem(WARNING, f"台账文件名不以人员表中任何人的姓名开头: {'、'.join(unknown)}; 其数据按文件名汇总",
                                workbook="、".join(unknown),
                                suggestion="请把文件名改为 业务员姓名.xlsx (如 张伟.xlsx), 或把该业务员加入人员表"))
    return problems


CONFIG_BLOCK = "config.yaml"  # the workbook of the one problem carrying the run's merged config block
MERGED = "见问题清单中 config.yaml 的一行: 本次各表的 config.yaml 建议已合并为一段, 粘贴那一段即可"


def one_config_block(problems: list[Problem]) -> list[Problem]:
    """One config block for the run: when several problems print one (two unknown sheets, a sheet and a missing
    column …), pasting each would write ``intake:`` twice (config.yaml refuses a key written twice; YAML alone
    would keep the last). Their blocks are merged (``reader.merge_advice``: never one header for two fields of a
    kind, nor one sheet name for two kinds) into one problem of its own at the end; each problem keeps its
    advice and points to it."""
    carrying = [i for i, p in enumerate(problems) if block_start(p.suggestion) >= 0 and advice_in(p.suggestion)]
    if len(carrying) < 2:
        return problems
    merged, dropped = merge_advice(advice_in(problems[i].suggestion) for i in carrying)
    out = list(problems)
    for i in carrying:
        p = out[i]
        out[i] = dataclasses.replace(p, suggestion=p.suggestion[:block_start(p.suggestion)].rstrip() + " " + MERGED)
    left_out = f"; 未列入 (同一表头不能给两列, 同一工作表不能是两种表, 请自行确定): {'; '.join(dropped)}" if dropped else ""
    if merged:
        out.append(Problem(WARNING, f"本次有 {len(carrying)} 处建议在 config.yaml 中加配置, 已合并为一段 (见建议){left_out}",
                           workbook=CONFIG_BLOCK, suggestion="核对无误后, 请在 config.yaml 的 intake: 下并入 (已有 "
                           "sheet_aliases 或 column_aliases 时把各行并入其中):\n" + config_block(merged)))
    elif dropped:
        out.append(Problem(WARNING, f"本次的 config.yaml 建议互相冲突{left_out}", workbook=CONFIG_BLOCK))
    return out


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


def combine(sheet_def: SheetDef, parts: list[pd.DataFrame]) -> pd.DataFrame:
    """One frame from the files' frames, with the schema's dtypes (the empty frame when nothing was read)."""
    parts = [p for p in parts if len(p)]
    if not parts:
        return _empty(sheet_def).copy()
    frame = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0].reset_index(drop=True)
    have = dict(zip(frame.columns, frame.dtypes))  # one look at the dtypes, not a column lookup each
    wanted = {c: t for c, t in frame_dtypes(sheet_def, frame.columns).items() if have[c] != _dtype(t)}
    return frame.astype(wanted) if wanted else frame


@functools.cache
def _empty(sheet_def: SheetDef) -> pd.DataFrame:
    """The empty frame of a sheet nothing was read of, made once (pandas takes milliseconds to build one;
    most workbooks lack some sheet); ``combine`` hands out copies."""
    frame = sheet_def.empty_frame()
    if sheet_def in FINANCE_SHEETS:
        frame[MONTH_COLUMN] = pd.Series(dtype="str")
    return frame


@functools.cache
def _dtype(name: str):
    return pd.api.types.pandas_dtype(name)


def frame_dtypes(sheet_def: SheetDef, columns: Iterable[str]) -> dict[str, str]:
    dtypes = {f.name: DTYPES[f.kind] for f in sheet_def.fields}
    dtypes.update({SRC_WORKBOOK: "str", SRC_SHEET: "str", SRC_ROW: "int64", REP: dtypes.get(REP, "str"),
                   MONTH_COLUMN: "str"})
    return {c: dtypes[c] for c in columns if c in dtypes}


# ---------------------------------------------------------------- one workbook

@dataclass(frozen=True)
class Job:
    """One workbook to read: its path, the schema sheets it holds (by name: a worker looks them up in its own
    ``SHEETS``) and how (``read_workbook``'s options)."""

    path: Path
    sheets: tuple[str, ...]
    rep: str | None = None
    first_visible_fallback: bool = False
    month: str | None = None
    known: Known | None = None  # the second reading of a workbook that lacked an ID or name column (``with_known``)

    @property
    def sheet_defs(self) -> tuple[SheetDef, ...]:
        return tuple(SHEETS[name] for name in self.sheets)


def read_books(jobs: list[Job], settings: Settings, progress: Progress | None = None) -> list[Result]:
    """Each job's (frames, problems, info), in the jobs' order.

    A workbook unchanged since the last run comes from the cache (no worker needed); the others are read in
    a ``WorkerPool`` of ``intake.workers`` processes, each within ``intake.max_seconds`` and
    ``intake.max_memory_mb``: a workbook past a limit, or whose reader crashed, is one error and the others
    are read as usual. ``intake.workers: 0`` reads in this process, without limits. ``progress`` wraps the
    paths of the rep workbooks (a progress bar); it steps on when the previous one is read.
    """
    cache = open_cache(settings)
    intake = settings.intake
    looked_up = [cache_lookup(job, cache) for job in jobs]
    todo = [i for i, (_, cached) in enumerate(looked_up) if cached is None]
    size = min(intake.workers, os.cpu_count() or 1, len(todo))
    results: list[Result] = []
    with WorkerPool(parse_job, size, intake.max_seconds, intake.max_memory_mb) as pool:
        if size:
            for i in todo:
                pool.submit(i, (jobs[i], settings))
        ticks = iter(progress([job.path for job in jobs if job.rep is not None]) if progress else ())
        for i, job in enumerate(jobs):
            if job.rep is not None:
                next(ticks, None)
            digest, cached = looked_up[i]
            if cached is not None:
                results.append(cached)
                continue
            if not size:
                result = parse_job((job, settings))
            else:
                outcome = pool.result(i)
                result = outcome.value if outcome.failure is None else failed_read(job, digest, outcome, settings)
            results.append(cache_store(job, cache, digest, result))
        for _ in ticks:  # a progress bar closes when its iterable ends
            pass
    return results


def parse_job(task: tuple[Job, Settings]) -> Result:
    """``parse_workbook`` of one job: what a worker process runs."""
    job, settings = task
    return parse_workbook(job.path, job.sheet_defs, settings, job.rep,
                          first_visible_fallback=job.first_visible_fallback, month=job.month, known=job.known)


def failed_read(job: Job, digest: str, outcome: Outcome, settings: Settings) -> Result:
    """The one error of a workbook whose worker ran out of time or memory, crashed, or raised."""
    seconds, megabytes = f"{settings.intake.max_seconds:g}", settings.intake.max_memory_mb
    message = {
        TIMEOUT: f"读取超过 {seconds} 秒仍未完成 (intake.max_seconds = {seconds}), 该工作簿未读取",
        MEMORY: f"读取所需内存超过 {megabytes} MB (intake.max_memory_mb = {megabytes}), 该工作簿未读取",
        CRASH: f"读取时读取程序异常终止 ({outcome.detail}): 文件可能已损坏, 或所需内存超过 {megabytes} MB "
               f"(intake.max_memory_mb = {megabytes}), 该工作簿未读取",
    }.get(outcome.failure, f"读取时出错 ({outcome.detail}), 该工作簿未读取")
    info = {"path": job.path.name, "sha256": digest, "status": "error", "rows": {}, "message": message, "columns": {}}
    return {}, [Problem(ERROR, message, workbook=job.path.name, rep=job.rep or "",
                        suggestion="请用 Excel 打开并另存为 .xlsx 后重新放入文件夹; 确实很大的文件可在 config.yaml "
                                   "调大 intake.max_seconds 或 intake.max_memory_mb")], info


def read_workbook(path: Path, sheet_defs: tuple[SheetDef, ...], settings: Settings, rep: str | None = None, *,
                  first_visible_fallback: bool = False, month: str | None = None, cache: WorkbookCache | None = None,
                  known: Known | None = None) -> Result:
    """One workbook's sheets as frames (by canonical sheet name), its problems, and what was learnt; read in
    this process (``read_books`` reads the workspace's in workers).

    ``rep`` is the rep of a rep workbook (rows with a 业务员 column use theirs); ``month`` (YYYY-MM) fills
    月份 in finance and attendance frames. ``info`` is the ``Tables.inputs`` entry: path, sha256, status,
    rows per sheet, message, columns. A file that cannot be opened gives one error and no frames.
    With a ``cache`` (``cache.open_cache``), an unchanged file is taken from it instead of being parsed,
    and a parsed file that could be read is stored in it.
    """
    job = Job(Path(path), tuple(s.name for s in sheet_defs), rep, first_visible_fallback, month, known)
    if known is not None:  # ``with_known``'s reading: never cached
        return parse_job((job, settings))
    digest, cached = cache_lookup(job, cache)
    if cached is not None:
        return cached
    return cache_store(job, cache, digest, parse_job((job, settings)))


def cache_how(job: Job) -> dict:
    """What, besides the bytes, shapes a workbook's result (part of its cache key)."""
    return {"sheets": repr(job.sheet_defs), "rep": job.rep, "first_visible_fallback": job.first_visible_fallback,
            "month": job.month}


def cache_lookup(job: Job, cache: WorkbookCache | None) -> tuple[str, Result | None]:
    """The file's sha256 ("" without a cache or when unreadable) and its cached result, if any."""
    if cache is None:
        return "", None
    try:
        digest = file_sha256(job.path)
    except OSError:
        return "", None
    return digest, cache.load(job.path, digest, cache_how(job))


def cache_store(job: Job, cache: WorkbookCache | None, digest: str, result: Result) -> Result:
    """Stores a workbook that was read in full and whose bytes did not change while it was read."""
    frames, problems, info = result
    if cache is not None and digest and info["status"] == "ok" and info["sha256"] == digest:
        cache.store(job.path, digest, cache_how(job), frames, problems, info)
    return result


def parse_workbook(path: Path, sheet_defs: tuple[SheetDef, ...], settings: Settings, rep: str | None = None, *,
                   first_visible_fallback: bool = False, month: str | None = None, known: Known | None = None) -> Result:
    """``read_workbook`` without the cache: opens the file, finds what each visible sheet holds
    (``reader.identify_sheet``: by its header row, its name a tie-breaker) and parses every sheet of ours;
    several sheets of one kind (monthly sheets, 回款 and 回款(2)) are read together, each row keeping its
    sheet and cell. A sheet holding a table of no definition, or of two at once, is an error naming its
    headers; a workbook with no sheet of ours lists the sheets it saw and the config line for each."""
    info = {"path": path.name, "sha256": "", "status": "ok", "rows": {}, "message": "", "columns": {}}
    problems: list[Problem] = []
    where = {"workbook": path.name, "rep": rep or ""}
    try:
        info["sha256"] = file_sha256(path)
        book = open_workbook(path)
        sheets = [(i, name) for i, name in visible_worksheets(book) if normalize_header(name) not in NOT_DATA_SHEETS]
        hidden = hidden_named(book, sheet_defs, settings)
    except _OPEN_ERRORS as exc:
        info.update(status="error", message=open_error_text(exc))
        return {}, [Problem(ERROR, info["message"], workbook=path.name, rep=rep or "",
                            suggestion="请用 Excel 打开并另存为 .xlsx 后重新放入文件夹")], info
    for name in hidden:
        problems.append(Problem(WARNING, "工作表已隐藏, 未读取", sheet=name, suggestion="如需汇总, 请取消隐藏该工作表",
                                **where))
    lookups = {d.name: header_lookup(d, settings) for d in sheet_defs}
    frames: dict[str, list[pd.DataFrame]] = {}
    error_cells, sprawling = scan_sheets(path, [i for i, _ in sheets])
    seen: list[tuple[str, list, SheetVerdict]] = []  # sheets not ours: name, header cells, verdict
    asks: set[str] = set()  # required ID or name fields with no column that ``Known`` could find
    found_any = False
    for index, name in sheets:
        try:
            if index in sprawling:
                grid, merges = read_cells_present(path, name)
            else:
                grid, merges = read_grid(book, SheetMatch(sheet_defs[0], name, index), path, error_cells.get(index, {}))
        except _OPEN_ERRORS as exc:
            problems.append(Problem(ERROR, f"无法读取工作表: {type(exc).__name__}: {str(exc)[:120]}", sheet=name, **where))
            info["status"] = "error"
            found_any = True  # said already: no "no sheet of ours" besides
            continue
        verdict = identify_sheet(grid, name, sheet_defs, settings, lookups)
        if verdict.sheet_def is None:
            if any(not is_blank(c) for row in grid for c in row):
                seen.append((name, header_cells(grid, settings), verdict))
            continue
        found_any = True
        match = SheetMatch(verdict.sheet_def, name, index)
        if index in sprawling:
            problems.append(Problem(WARNING, f"工作表的已用区域 {sprawling[index]} 远大于有数据的单元格, "
                                    "已按有数据的单元格读取", sheet=name,
                                    suggestion="请删除远处多余的内容 (Ctrl+End 可定位到最后一个单元格)", **where))
        if verdict.renamed:
            problems.append(Problem(WARNING, f"工作表名是 {verdict.renamed}, 但表头是{verdict.sheet_def.name}表的, "
                                    f"已按{verdict.sheet_def.name}读取", sheet=name,
                                    suggestion=f"请把工作表改名为 {verdict.sheet_def.name}", **where))
        frame, found, columns, totals = read_sheet(grid, match, path.name, settings, rep, month, merges, known, asks)
        problems.extend(found)
        count_skipped(info, match.name, totals)
        if columns is not None:
            info["columns"][match.name] = columns
        if frame is not None:
            frames.setdefault(match.sheet_def.name, []).append(frame)
            info["rows"][match.sheet_def.name] = info["rows"].get(match.sheet_def.name, 0) + len(frame)
    if not found_any and first_visible_fallback and len(sheet_defs) == 1 and sheets:
        index, name = sheets[0]  # a finance or attendance export: its first visible sheet, whatever it holds
        seen = [s for s in seen if s[0] != name]
        problems.extend(read_fallback(book, path, index, name, sheet_defs[0], settings, rep, month, error_cells,
                                      sprawling, frames, info, known, asks))
        found_any = True
    problems.extend(unrecognised_sheets(path.name, rep, seen, sheet_defs, found_any, hidden))
    errors = sum(1 for p in problems if p.severity == ERROR)
    if errors:
        info["message"] = f"{errors} 个错误"
    if asks and known is None:
        info[WANTS_KNOWN] = sorted(asks)
    book.close()
    return {name: combine(SHEETS[name], parts) for name, parts in frames.items()}, problems, info


def read_fallback(book, path: Path, index: int, name: str, sheet_def: SheetDef, settings: Settings, rep: str | None,
                  month: str | None, error_cells: dict, sprawling: dict, frames: dict, info: dict,
                  known: Known | None = None, asks: set[str] | None = None) -> list[Problem]:
    """The first visible sheet of an export read as its one definition (its header then decides)."""
    grid, merges = (read_cells_present(path, name) if index in sprawling
                    else read_grid(book, SheetMatch(sheet_def, name, index), path, error_cells.get(index, {})))
    frame, found, columns, totals = read_sheet(grid, SheetMatch(sheet_def, name, index), path.name, settings, rep,
                                               month, merges, known, asks)
    count_skipped(info, name, totals)
    if columns is not None:
        info["columns"][name] = columns
    if frame is not None:
        frames.setdefault(sheet_def.name, []).append(frame)
        info["rows"][sheet_def.name] = info["rows"].get(sheet_def.name, 0) + len(frame)
    return found


def count_skipped(info: dict, sheet: str, skipped: "Skipped | int") -> None:
    """``info``'s total_rows and note_rows ({sheet name in the file: rows}) where a sheet had any."""
    if not skipped:
        return
    if skipped.totals:
        info.setdefault("total_rows", {})[sheet] = skipped.totals
    if skipped.notes:
        info.setdefault("note_rows", {})[sheet] = skipped.notes


def header_cells(grid: list[list], settings: Settings) -> list:
    """The row of the first scanned rows with the most text cells: what the clerk would call its header."""
    scan = grid[: settings.intake.header_scan_rows]
    return max(scan, key=lambda row: sum(isinstance(c, str) and not is_blank(c) for c in row), default=[])


def unrecognised_sheets(workbook: str, rep: str | None, seen: list[tuple[str, list, SheetVerdict]],
                        sheet_defs: tuple[SheetDef, ...], found_any: bool, hidden: list[str]) -> list[Problem]:
    """The errors of sheets that are not ours (``seen``: name, header cells, verdict; only sheets with data).

    A sheet whose header is as much one kind as another (``tied``), or that holds rows of dates and amounts
    under a header of no kind (``data_table``), is an error naming its headers. When no sheet of the
    workbook was ours, one error lists every sheet seen with its headers and the config line that maps it
    to the kind its header is nearest (a workbook of empty sheets only: a warning)."""
    where = {"workbook": workbook, "rep": rep or ""}
    problems = []
    for name, cells, verdict in seen:
        headers = headers_seen(cells) or "(无)"
        if verdict.tied:
            problems.append(Problem(ERROR, f"工作表的表头同样像 {'、'.join(verdict.tied)} 表, 无法确定是哪一种, 整张表未读取; "
                                    f"看到的表头: {headers}", sheet=name, value=headers,
                                    suggestion="请把工作表改名为其中之一, 或在 config.yaml 中加:\n"
                                               + sheet_alias_line(verdict.tied[0], [name]), **where))
        elif verdict.data_table:
            guess = nearest_kind(verdict, sheet_defs)
            problems.append(Problem(ERROR, f"工作表有成行的日期和金额, 但表头对不上任何一种表, 整张表未读取; 看到的表头: {headers}",
                                    sheet=name, value=headers,
                                    suggestion=f"请按模板写表头; 如它是{guess}表, 在 config.yaml 中加:\n"
                                               + sheet_alias_line(guess, [name]), **where))
    if found_any or hidden:
        return problems
    expected = "、".join(s.name for s in sheet_defs)
    if not seen:
        return problems + [Problem(WARNING, f"没有找到可识别的工作表 (应为 {expected}), 工作簿中没有数据",
                                   suggestion="请按模板填写", **where)]
    if problems:
        return problems
    listed = "; ".join(f"{name} (表头: {headers_seen(cells) or '无'})" for name, cells, _ in seen)
    kinds: dict[str, list[str]] = {}  # a line only for a sheet whose header names a field, or that holds rows of data
    for name, _, verdict in seen:
        if verdict.fields or verdict.data_table:
            kinds.setdefault(nearest_kind(verdict, sheet_defs), []).append(name)
    advice = ("; 或在 config.yaml 中加 (按表的内容把表名改成对应的一种; 不是台账的表删去):\n"
              + config_block({"sheet_aliases": kinds})) if kinds else \
        ("; 没有一张表的表头像任何一种台账 (没有认得的列名, 也没有成行的日期和金额); 如其中有台账, 请在 config.yaml 的 intake: 下"
         f"写 sheet_aliases: {{表的种类 ({expected} 之一): [表名]}}")
    return [Problem(ERROR, f"没有找到可识别的工作表 (应为 {expected}), 整个工作簿未读取; 看到的工作表: {listed}",
                    suggestion="请按模板命名工作表并写表头" + advice, **where)]


def nearest_kind(verdict: SheetVerdict, sheet_defs: tuple[SheetDef, ...]) -> str:
    """The kind whose header the sheet's is nearest (most fields named), else the first kind."""
    return max(verdict.fields, key=verdict.fields.get) if verdict.fields else sheet_defs[0].name


def read_sheet(grid: list[list], match: SheetMatch, workbook: str, settings: Settings, rep: str | None,
               month: str | None, merges: Sequence[Range] = (), known: Known | None = None, asks: set[str] | None = None
               ) -> tuple[pd.DataFrame | None, list[Problem], dict | None, int]:
    """One sheet's rows as a frame, its problems, its columns ({field: letter}) and how many 合计 rows were
    skipped; rows with a cell error are left out and listed. ``merges``: the vertical merged ranges
    ``read_grid`` filled down. ``known``: the values that find an ID or name column by its cells; without it, a
    required 合同编号/客户名称/产品名称 still missing is added to ``asks`` (the workbook is read again with it)."""
    sheet_def = match.sheet_def
    known = known.for_sheet(sheet_def) if known is not None else None
    header = locate_header(grid, sheet_def, settings)
    where = {"workbook": workbook, "sheet": match.name, "rep": rep or ""}
    located = header is not None
    if header is None:
        if not any(any(not is_blank(c) for c in row) for row in grid):
            return None, [], None, 0  # an empty sheet
        scan = grid[: settings.intake.header_scan_rows]
        seen = max(scan, key=lambda row: sum(isinstance(c, str) and not is_blank(c) for c in row))
        header = Header(row=scan.index(seen), columns={}, missing=[f.name for f in sheet_def.fields if f.required])
    if header.ambiguous:  # before any inference: neither column may be taken for the field
        row = header.row + 1
        return None, [Problem(ERROR, f"config.yaml 的 column_aliases 把 {both} 都算作 {name}, 无法确定, 整张表未读取",
                              cell=f"{row}:{row}", row=row, field=name, value=headers_seen(grid[header.row]),
                              suggestion=f"请在 config.yaml 的 intake: / column_aliases: / {sheet_def.name}: / {name} 中只留下"
                                         "对的那一列的表头, 或把另一列的表头改掉", **where)
                      for name, cols in header.ambiguous.items()
                      for both in ["、".join(f'{xl_col_to_name(c)} 列 "{display_raw(grid[header.row][c]).strip()}"'
                                             for c in cols)]], None, 0
    inferred: list[Problem] = []
    if header.missing:
        inferred = infer_missing(grid, header, sheet_def, where, known)
        if asks is not None and known is None:
            asks.update(name for name in header.missing if name in KNOWN_FIELDS and name != sheet_def.key)
    if not located and header.missing:
        seen = grid[header.row]
        several = [p for p in inferred if p.severity == ERROR]
        return None, several + [Problem(ERROR, f"前 {settings.intake.header_scan_rows} 行里找不到表头, 整张表未读取; "
                              f"看到的表头: {headers_seen(seen)}", value=headers_seen(seen),
                              suggestion="表头应包含: " + "、".join(sheet_def.columns) + "; "
                              + header_advice(seen, sheet_def, header.missing, header.columns.values(), found(inferred),
                                              cell_fits(grid, header, sheet_def, known)),
                              **where)], None, 0
    columns = {name: xl_col_to_name(col) for name, col in header.columns.items()}
    if header.missing:
        cells = grid[header.row]
        several = [p for p in inferred if p.severity == ERROR]
        return None, several + [Problem(ERROR, f"第 {header.row + 1} 行表头缺少必填列: {'、'.join(header.missing)}, 整张表未读取; "
                              f"看到的表头: {headers_seen(cells)}",
                              cell=f"{header.row + 1}:{header.row + 1}", row=header.row + 1, value=headers_seen(cells),
                              suggestion=header_advice(cells, sheet_def, header.missing, header.columns.values(),
                                                       found(inferred), cell_fits(grid, header, sheet_def, known)),
                              **where)], columns, 0
    frame, problems, totals = build_frame(grid, header, sheet_def, workbook, match.name, rep or "", merges)
    frame = add_month(frame, sheet_def, month)
    return frame, inferred + problems, columns, totals


def found(inferred: list[Problem]) -> dict[str, str]:
    """The columns ``infer_missing`` read whose header an alias can name, {field: header}: the config line of a
    sheet still not read names them too."""
    return {p.field: p.value for p in inferred if p.severity == WARNING and block_start(p.suggestion) >= 0}


def infer_missing(grid: list[list], header: Header, sheet_def: SheetDef, where: dict, known: Known | None = None
                  ) -> list[Problem]:
    """Required columns whose header is not known, found by their cells (``reader.infer_columns``): one
    column that fits is read (``header`` updated) with a warning and the config line that confirms it;
    several that fit are an error listing them (the field stays missing)."""
    one, several = infer_columns(grid, header, sheet_def, known)
    problems = []
    row = header.row + 1
    named = alias_headers(grid[header.row])
    for name, (col, fit, looked) in one.items():
        head = display_raw(grid[header.row][col]).strip()
        header.columns[name] = col
        header.missing.remove(name)
        confirm = ("如确是该列, 请在 config.yaml 的 intake: 下加 (已有 column_aliases 时并入其中):\n"
                   + column_alias_block(sheet_def.name, {name: [named[col]]}) if col in named else
                   f"如确是该列, 请把 {xl_col_to_name(col)}{row} 的表头改为 {name} (该表头无法用作别名)")
        problems.append(Problem(WARNING, f"没有 {name} 列; 按内容读取了 {xl_col_to_name(col)} 列 \"{head}\" "
                                f"(前 {looked} 个有值的单元格中 {fit} 个{fit_words(sheet_def.field(name))})",
                                cell=f"{xl_col_to_name(col)}{row}", row=row, field=name, value=head,
                                suggestion=confirm, **where))
    for name, candidates in several.items():
        listed = "、".join(f'{xl_col_to_name(c)} 列 "{display_raw(grid[header.row][c]).strip()}" ({fit}/{looked})'
                          for c, fit, looked in candidates)
        problems.append(Problem(ERROR, f"没有 {name} 列; 按内容有几列都像: {listed}, 无法确定", cell=f"{row}:{row}", row=row,
                                field=name, suggestion=f"请把对的那一列的表头改为 {name} (或在 config.yaml 的 intake: / "
                                                       f"column_aliases: / {sheet_def.name}: 下为 {name} 写上那一列的表头)",
                                **where))
    return problems


def headers_seen(cells: list) -> str:
    """A header row as the clerk reads it: its filled cells, joined with 、."""
    return "、".join(display_raw(c).strip() for c in cells if not is_blank(c))


def data_rows(grid: list[list], header: Header, cols: list[int]) -> tuple[list[int], list[tuple], int]:
    """The data rows below the header (grid indexes), their cells in ``cols``, and how many 合计 rows
    (``skipped_kind``: TOTAL) and note lines (NOTE) were left out, anywhere in the sheet; rows blank in
    every one of ``cols`` are left out too."""
    first = header.row + 1
    cells = pick_cells(grid[first:], cols)
    blank = {"", None}
    blank.update(v for v in set().union(*cells) if isinstance(v, str) and v.isspace())  # a cell of only spaces too
    filled = [i for i, empty in enumerate(map(blank.issuperset, cells)) if not empty]
    kinds = [(i, kind) for i in filled if (kind := skipped_kind(grid[first + i]))]
    totals, notes = [i for i, k in kinds if k == TOTAL], [i for i, k in kinds if k == NOTE]
    if kinds:
        filled = sorted(set(filled) - {i for i, _ in kinds})
    last = first + (filled[-1] + 1 if filled else 0)  # the lines under the table, blank in the columns read
    tail = sum(1 for i, row in enumerate(grid[last:], last - first) if i not in notes and skipped_kind(row) == NOTE)
    return [first + i for i in filled], [cells[i] for i in filled], Skipped(len(totals), len(notes) + tail)


class Skipped(NamedTuple):
    """Rows under a header that are not data: 合计/小计 lines and note lines (注：…, 制表人：…)."""

    totals: int
    notes: int

    def __bool__(self) -> bool:
        return bool(self.totals or self.notes)


def pick_cells(rows: list[list], cols: list[int]) -> list[tuple]:
    """The cells of ``cols`` in each row, as tuples (a short row reads as blank beyond its end)."""
    if cols and rows and min(map(len, rows)) > max(cols):
        pick = itemgetter(*cols)
        return list(map(pick, rows)) if len(cols) > 1 else [(v,) for v in map(pick, rows)]
    blank = ("",) * len(cols)  # an empty row (the many of a sheet read by its cells present) costs no loop
    return [tuple(row[c] if c < len(row) else "" for c in cols) if row else blank for row in rows]


def is_total_row(cells: list) -> bool:
    """A 合计 / 小计 / 本月合计 line, of a finance export or a rep's sheet: its first text cell reads as a
    total (``names.is_total_text``; every total word has 计, so other rows are told apart cheaply)."""
    return skipped_kind(cells) == TOTAL


TOTAL, NOTE = "total", "note"
_NOTE = re.compile(r"^\s*(注|注意|说明|备注|填表说明|制表人?|填表人|填报人|审核人?|复核人?|审批人?|经办人|负责人|制表日期|填报日期)\s*[:：]")


def skipped_kind(cells: list) -> str | None:
    """TOTAL for a 合计/小计 line (its first text cell reads as a total), NOTE for a note line under a table (its
    first filled cell starts with 注：, 说明：, 制表人：, 审核： …, a colon after the word, so a 说明 column's text
    is never one), else None. One look at the row's first text cell serves both.

    >>> skipped_kind(["注：金额含税", "", ""]), skipped_kind(["", "制表人:李娜", "审核人：王强"]), skipped_kind(["HT-1", "注：x"])
    ('note', 'note', None)
    >>> skipped_kind(["合计", "", 300]), skipped_kind([3, "合计"]), skipped_kind([3, "注：x"])
    ('total', 'total', None)
    """
    first = True  # no filled cell before this one
    for cell in cells:
        if cell.__class__ is str:
            if not cell.strip():
                continue
            if "计" in cell and is_total_text(cell):
                return TOTAL
            if first and ("：" in cell or ":" in cell) and _NOTE.match(cell) is not None:
                return NOTE
            return None
        if first and cell is not None and cell != "":
            first = False
    return None


def build_frame(grid: list[list], header: Header, sheet_def: SheetDef, workbook: str, sheet: str,
                rep: str, merges: Sequence[Range] = ()) -> tuple[pd.DataFrame, list[Problem], int]:
    """Parses the mapped columns of the data rows, column by column; rows with an error are dropped, and
    the 合计 rows skipped are counted. A cell of an optional field that does not parse is a warning and
    reads as blank (the row stays); a value read with a correction (an amount rounded to the fen) is a
    warning and the value stands."""
    fields = [(f, header.columns[f.name]) for f in sheet_def.fields if f.name in header.columns]
    rep_cols = [header.rep_column] if header.rep_column is not None else []
    rows, cells, totals = data_rows(grid, header, [col for _, col in fields] + rep_cols)
    raw_columns = list(zip(*cells)) if cells else [()] * (len(fields) + len(rep_cols))
    reps = row_reps(raw_columns[-1], rep) if rep_cols else [rep] * len(rows)
    problems: list[Problem] = []
    values: dict[str, list] = {}
    for (f, col), raw in zip(fields, raw_columns):
        blank = 0 if f.kind == MONEY else None
        parsed = parse_column(parser_for(f, header.scales.get(f.name, 1)), raw, blank=blank)
        values[f.name] = parsed.values
        errors = {**parsed.errors, **spread_over_rows(f, col, rows, merges, grid)}
        for i, error in errors.items():
            severity, message = ERROR, error.message
            if error.warning:
                severity = WARNING
            elif not f.required:
                severity, message = WARNING, f"{message}, 按空白读取"
                values[f.name][i] = blank
            problems.append(Problem(severity, message, workbook=workbook, sheet=sheet,
                                    cell=cell_address(col, rows[i] + 1), field=f.name,
                                    value=display_raw(raw[i]), suggestion=error.suggestion, rep=reps[i],
                                    row=rows[i] + 1))
    problems.sort(key=lambda p: (p.row, len(p.cell), p.cell))
    bad = {p.row - 1 for p in problems if p.severity == ERROR}
    keep = [i for i, r in enumerate(rows) if r not in bad] if bad else range(len(rows))

    def kept(column: list) -> list:
        return [column[i] for i in keep] if bad else column

    columns = {f.name: ([0 if f.kind == MONEY else None] * len(keep) if f.name not in values else
                        kept(values[f.name]), DTYPES[f.kind])
               for f in sheet_def.fields}
    columns[SRC_WORKBOOK] = [workbook] * len(keep), "str"
    columns[SRC_SHEET] = [sheet] * len(keep), "str"
    columns[SRC_ROW] = [r + 1 for r in kept(rows)], "int64"
    if REP not in columns:
        columns[REP] = kept(reps), "str"
    return frame_of(columns), problems, totals


def frame_of(columns: dict[str, tuple[list, str]]) -> pd.DataFrame:
    """A frame from its columns ({name: (values, dtype)}), each converted once by pandas as a Series of that dtype
    would be, with no index to align: a frame built from Series costs twice as much, and there is one per sheet."""
    return pd.DataFrame({name: pd.array(values, dtype=_dtype(dtype)) for name, (values, dtype) in columns.items()},
                        copy=False)


def spread_over_rows(f: Field, col: int, rows: list[int], merges: Sequence[Range], grid: list[list]
                     ) -> dict[int, CellError]:
    """An amount or a quantity merged down several rows: each of its rows is an error (position in ``rows``
    -> error), so the value is never counted once per row. Text, names, IDs and dates take the merged value."""
    if f.kind not in (MONEY, NUMBER) or not merges:
        return {}
    spread: dict[int, str] = {}
    for (top, left), (bottom, right) in merges:
        if left == col and not is_blank(grid[top][col] if col < len(grid[top]) else ""):
            spread.update(dict.fromkeys(range(top, bottom + 1), xl_range(top, left, bottom, right)))
    what = "金额" if f.kind == MONEY else "数量"
    return {i: CellError(f"合并单元格的{what}不能分到多行 ({spread[r]})", f"请取消合并, 每行填写该行自己的{what}")
            for i, r in enumerate(rows) if r in spread}


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
