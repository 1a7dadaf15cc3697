"""数据问题清单: every data problem of the run, for the clerk, and each rep's own list.

The clerk gets one workbook with every problem (sheet 问题清单) and a sheet per rep; each rep with problems
in their own workbook gets a file of those rows only (output/<date>/问题清单/), so it can be mailed to them.
A problem the rep cannot fix in their workbook (a 考勤 row or a 目标 missing, a master file) stays with the
clerk: it is in the clerk's workbook, never in the rep's, and when there are any the clerk's workbook is
mailed to ``email.admin`` (when set) with their count.
"""

from __future__ import annotations


from pathlib import Path

import pandas as pd

from ..books.context import RunContext

from ..core.output import Delivery, ReportOutput
from ..core.model import ERROR, PROBLEM_COLUMNS, WARNING, Problem, problems_frame
from ..core.sheets import Col, Highlight, Sheet, Table, WorkbookSpec
from ..core.files import Name
from ..core.schema import REP

COLUMNS = [Col(name) for name in PROBLEM_COLUMNS]
SEVERITY_ORDER = {ERROR: 0, WARNING: 1}


def sort_problems(problems: list[Problem]) -> pd.DataFrame:
    """The problems as the list shows them: every 错误 (the row counts in no report) before every 警告, each by
    rep, workbook, sheet and row."""
    frame = problems_frame(problems)
    if frame.empty:
        return frame
    frame["_order"] = frame["严重程度"].map(SEVERITY_ORDER).fillna(2)
    frame["_row"] = [p.row or 0 for p in problems]
    frame = frame.sort_values(["_order", REP, "工作簿", "工作表", "_row"], kind="stable")
    return frame.drop(columns=["_order", "_row"]).reset_index(drop=True)


def count_by_rep(problems: list[Problem]) -> dict[str, dict[str, int]]:
    counts: dict[str, dict[str, int]] = {}
    for p in problems:
        rep = p.rep or "(无业务员)"
        tally = counts.setdefault(rep, {ERROR: 0, WARNING: 0})
        tally[p.severity] = tally.get(p.severity, 0) + 1
    return counts


def _problem_sheet(name: str, frame: pd.DataFrame, title: str, subtitle: list[str]) -> Sheet:
    return Sheet(name=name, title=title, subtitle=subtitle,
                 tables=[Table(COLUMNS, frame, highlights=[Highlight("严重程度", "text", ERROR, whole_row=True)])])


def rep_workbooks_read(ctx: RunContext) -> set[str]:
    """The file names of the reps' workbooks this run read (the reps folder's inputs)."""
    folders = {ctx.settings.paths.reps.as_posix(), ctx.settings.folder("reps").as_posix()}
    return {Path(i["path"]).name for i in ctx.tables.inputs if Path(i["path"]).parent.as_posix() in folders}


def fixable_by(frame: pd.DataFrame, rep: str, own: set[str]) -> pd.DataFrame:
    """The rows of ``rep`` located in one of the reps' own workbooks: what the rep can fix."""
    return frame[(frame[REP] == rep) & frame["工作簿"].isin(own)]


def layout(frame: pd.DataFrame, ctx: RunContext) -> tuple[WorkbookSpec, dict[str, WorkbookSpec]]:
    """The clerk's workbook, and one workbook per rep holding the rows the rep can fix only."""
    day = ctx.run_date.isoformat()
    own = rep_workbooks_read(ctx)
    errors, warnings = int((frame["严重程度"] == ERROR).sum()), int((frame["严重程度"] == WARNING).sum())
    subtitle = [f"截至 {day}", ctx.settings.company.name, f"错误 {errors} 条（该行不计入任何报表）, 警告 {warnings} 条（已计入）"]
    reps = [r for r in dict.fromkeys(frame[REP]) if r]
    sheets = [_problem_sheet("问题清单", frame, "数据问题清单", subtitle)]
    sheets += [_problem_sheet(rep, frame[frame[REP] == rep], f"数据问题清单 — {rep}", [f"截至 {day}"]) for rep in reps]
    per_rep = {rep: WorkbookSpec(Name(rep, before="问题清单_", after=f"_{day}.xlsx"), [
        _problem_sheet("问题清单", fixable_by(frame, rep, own), f"数据问题清单 — {rep}",
                       [f"截至 {day}", "请按单元格地址逐条修改您的台账；错误行未计入任何报表。"])], subfolder="问题清单",
        for_rep=rep)
        for rep in reps if len(fixable_by(frame, rep, own))}
    return WorkbookSpec(f"数据问题清单_{day}.xlsx", sheets), per_rep


NEEDS: tuple[str, ...] = ()  # earlier reports whose data ``build`` takes


def build(ctx: RunContext) -> ReportOutput:
    frame = sort_problems(ctx.problems)
    clerk, per_rep = layout(frame, ctx)
    by_rep = count_by_rep(ctx.problems)
    own = rep_workbooks_read(ctx)
    fixable = {rep: fixable_by(frame, rep, own)["严重程度"].value_counts() for rep in per_rep}
    deliveries = [Delivery(report="problems", rep=rep, title="数据问题清单", attachments=[spec],
                           summary_text=f"您的台账有 {int(fixable[rep].get(ERROR, 0))} 个错误、"
                                        f"{int(fixable[rep].get(WARNING, 0))} 个警告，请按附件中的单元格地址逐条修改。")
                  for rep, spec in per_rep.items()]
    for_clerk = len(frame) - sum(len(fixable_by(frame, rep, own)) for rep in per_rep)
    if for_clerk and ctx.settings.email.admin:
        deliveries.append(Delivery(report="admin", title="数据问题清单 (需内勤处理)", key_figure=f"{for_clerk} 条",
                                   attachments=[clerk],
                                   summary_text=f"有 {for_clerk} 条数据问题业务员无法在自己的台账中修改 (考勤、目标、"
                                                "客户档案等), 请内勤处理; 明细见附件。"))
    figures = {"errors": sum(1 for p in ctx.problems if p.severity == ERROR),
               "warnings": sum(1 for p in ctx.problems if p.severity == WARNING), "by_rep": by_rep}
    return ReportOutput(workbooks=[clerk, *per_rep.values()], figures=figures, data=frame, deliveries=deliveries)
