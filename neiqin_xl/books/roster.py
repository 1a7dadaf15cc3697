"""The roster: who counts as a rep, and whose workbook is missing or stale. Kept with the books, used by the
commission (whose pay is listed) and by the reminders (who is chased before the cut-off).

A rep is a 人员 row whose 角色 is 业务员, or whose 角色 is blank and who keeps a rep workbook: the clerk
may leave the role empty, and a workbook in the reps folder says what the person is, while a blank role
without one is somebody else (a manager or an assistant entered without a role), never paid commission
nor chased. Names are compared normalised (``normalize_name``: full-width and stray spaces do not matter),
listed in the 人员 table's order, each once.

A rep whose data is incomplete (``incomplete_reps``): a workbook, a sheet or a required column of theirs could
not be read, so more than one row of theirs is missing from every figure. The commission and the 日报 mark such a
rep's figures 数据不全 with the reason, and the rep's 提成确认单 is no final statement. A rep whose whole workbook
could not be opened keeps a workbook all the same (``workbook_keepers``): listed, with nothing read, never dropped.
A sheet read but with far fewer rows than at the last official run (``SHRUNK``, said by ``trust.shrunk``) counts
the same way.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping
from datetime import date, datetime
from pathlib import Path

import pandas as pd

from ..core.config import Settings
from ..core.model import ERROR, REP, Problem, Tables
from ..core.names import normalize_name
from ..core.schema import REP_SHEETS
from .workdays import Workdays

REP_ROLE = "业务员"
SHRUNK = "行数骤减"  # how a sheet of a rep's workbook much smaller than at the last official run is said (trust.shrunk)


def rep_names(staff: pd.DataFrame | None, with_workbook: Collection[str]) -> list[str]:
    """The reps of the 人员 table (see the module): 角色 业务员, or a blank 角色 and a name in ``with_workbook``."""
    if staff is None or staff.empty or "姓名" not in staff.columns:
        return []
    roles = staff["角色"] if "角色" in staff.columns else pd.Series([None] * len(staff), index=staff.index)
    owners = {normalize_name(n) for n in with_workbook}
    reps = []
    for name, role in zip(staff["姓名"].map(normalize_name), roles.map(normalize_name)):
        if name and (role == REP_ROLE or (not role and name in owners)):
            reps.append(name)
    return list(dict.fromkeys(reps))


def workbook_owners(tables: Tables) -> set[str]:
    """The reps whose workbooks gave rows to the day's tables (the 业务员 of every row of the rep sheets; each
    distinct 业务员 normalised once)."""
    return {name for sheet in REP_SHEETS for name in map(normalize_name, tables[sheet.name][REP].unique()) if name}


def workbook_keepers(tables: Tables) -> set[str]:
    """Who keeps a workbook: the owners of rows (``workbook_owners``) and the rep of every rep workbook the intake
    looked at (``Tables.inputs``' ``rep``), read or not: a rep of the roster whose whole workbook could not be
    opened keeps one all the same, and is listed (数据不全), never dropped."""
    return workbook_owners(tables) | {normalize_name(i["rep"]) for i in tables.inputs if i.get("rep")}


def all_reps(tables: Tables) -> set[str]:
    """Every rep of the run: the roster and every rep whose workbook was read (what one rep's own workbook or
    mail may not name but for the rep's own, ``core.privacy``)."""
    owners = workbook_keepers(tables)
    return {*owners, *rep_names(tables["人员"], owners)}


def stale_reason(settings: Settings, run_date: date, path: Path | None) -> str | None:
    """Why the rep should be reminded, or None when the workbook is there and was saved within
    ``schedule.reminder_after_days`` working days."""
    if path is None or not Path(path).is_file():
        return "共享文件夹里没有找到您的台账" + (f" ({Path(path).name})" if path else "")
    modified = datetime.fromtimestamp(Path(path).stat().st_mtime).date()
    idle = Workdays.of(settings).since(modified, run_date)
    if idle >= settings.schedule.reminder_after_days:
        return f"您的台账 {Path(path).name} 已 {idle} 个工作日没有更新 (最后修改 {modified.isoformat()})"
    return None


def missing_or_stale(settings: Settings, run_date: date, staff: pd.DataFrame | None,
                     workbooks: Mapping[str, Path]) -> list[tuple[str, str]]:
    """(rep, reason) for each rep of the roster whose workbook (``read.folders.rep_workbooks``) is missing
    or stale, in the roster's order."""
    chased = []
    for rep in rep_names(staff, workbooks):
        reason = stale_reason(settings, run_date, workbooks.get(rep))
        if reason:
            chased.append((rep, reason))
    return chased


def incomplete_reps(problems: Iterable[Problem]) -> dict[str, str]:
    """{rep: reason} for each rep with an error that kept a whole workbook, sheet or required column of theirs out
    (no row of its own, or a whole header row as its cell): one reason per workbook and sheet, joined with ；.

    >>> gone = Problem(ERROR, "第 1 行表头缺少必填列: 发货金额, 整张表未读取; 看到的表头: 日期、客户", workbook="张伟.xlsx",
    ...                sheet="发货", cell="1:1", row=1, rep="张伟")
    >>> one_row = Problem(ERROR, "金额不是数字", workbook="李娜.xlsx", sheet="回款", cell="C5", row=5, rep="李娜")
    >>> incomplete_reps([gone, gone, one_row])
    {'张伟': '张伟.xlsx[发货] 未读取: 第 1 行表头缺少必填列: 发货金额'}
    """
    reasons: dict[str, dict[tuple[str, str], str]] = {}
    for p in problems:
        if p.severity != ERROR or not p.rep or not p.workbook or not (p.row is None or ":" in p.cell):
            continue
        head = re.split(r"[,;，；]", p.message, maxsplit=1)[0].strip()
        place = f"{p.workbook}[{p.sheet}]" if p.sheet else p.workbook
        what = head if head.startswith(SHRUNK) else f"未读取: {head}"  # read, but much smaller than before
        reasons.setdefault(p.rep, {}).setdefault((p.workbook, p.sheet), f"{place} {what}")
    return {rep: "；".join(parts.values()) for rep, parts in reasons.items()}
