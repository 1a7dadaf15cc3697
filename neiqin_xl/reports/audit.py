"""变更记录: what the reps changed in their workbooks since the last official run.

Its place in the process: after the commission (it shows the closed months' differences the 提成计算表
carries), before the 日报 (whose 今日要点 counts it). The changes themselves are worked out before the reports
(books/changes.py, from the input history) and reach this report through ``ctx.changes``; this module only
lays them out. No earlier official run in the history: no 变更记录.

Workbook 变更记录_<D>.xlsx:
- sheet 变更记录: one row per change — 业务员, 工作簿, 工作表, 现行号 / 原行号 (the Excel rows now and then),
  单据 (the document key, or the sheet and row for a row without one), 字段, 原值 → 新值, 类型 (新增 / 删除 /
  修改), 日期, 月份, 标记 (往月 <month>: dated in an earlier month; 已结账 <month>: in a month whose commission
  is closed), marked rows highlighted;
- sheet 已结账月份差额, when a closed month's commission now differs from what was paid: the 提成计算表's
  补提 / 扣回 lines.
Mailed to ``email.recipients.audit`` (default: the 人员 rows whose 角色 is 销售经理) when a change is marked.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from ..books.changes import ADJUSTMENT_COLUMNS, CLOSED_MARK, PAST_MARK, Changes, count_line
from ..books.context import RunContext
from ..core.output import Delivery, ReportOutput
from ..core.schema import REP
from ..core.sheets import INT, TEXT, Col, Highlight, Sheet, Table, WorkbookSpec

COLUMNS = [Col(REP), Col("工作簿"), Col("工作表"), Col("现行号", INT, total=False), Col("原行号", INT, total=False),
           Col("单据"), Col("字段"), Col("原值", TEXT, width=30), Col("新值", TEXT, width=30), Col("类型"), Col("日期"),
           Col("月份"), Col("标记")]


@dataclass(frozen=True)
class AuditData:
    changes: Changes
    line: str  # the one line for the 日报's 今日要点


def layout(changes: Changes, adjustments: pd.DataFrame | None, ctx: RunContext) -> WorkbookSpec:
    day = ctx.run_date.isoformat()
    subtitle = [f"与 {changes.since} 正式运行时读取的台账比较 (截至 {day})", ctx.settings.company.name,
                f"{PAST_MARK}: 行的日期在本月之前; {CLOSED_MARK}: 在提成已结账的月份 (提成计算表 有 补提/扣回)"]
    sheets = [Sheet("变更记录", [Table(COLUMNS, changes.frame, highlights=[
        Highlight("标记", "!=", "", whole_row=True)])], title="变更记录", subtitle=subtitle)]
    if adjustments is not None and len(adjustments):
        sheets.append(Sheet("已结账月份差额", [Table(ADJUSTMENT_COLUMNS, adjustments, totals=True)], title="已结账月份差额",
                            subtitle=["已结账月份按今日台账重算的提成与已发提成之差 (见 提成计算表 提成调整)"]))
    return WorkbookSpec(f"变更记录_{day}.xlsx", sheets)


NEEDS: tuple[str, ...] = ()
USES = ("commission",)  # its adjustment lines (补提 / 扣回), when the commission ran


def build(ctx: RunContext, commission=None) -> ReportOutput:
    changes = ctx.changes
    if changes is None:
        return ReportOutput()
    adjustments = getattr(commission, "adjustments", None)
    spec = layout(changes, adjustments, ctx)
    marked = len(changes.marked) + (len(adjustments) if adjustments is not None else 0)
    line = count_line(changes)
    deliveries = [Delivery(report="audit", title=f"变更记录 {ctx.run_date}", attachments=[spec],
                           key_figure=f"涉及往月或已结账月份 {marked} 处", summary_text=line)] if marked else []
    figures = {"changes": int(len(changes.frame)), "marked": int(len(changes.marked)), "since": str(changes.since)}
    return ReportOutput(workbooks=[spec], figures=figures, data=AuditData(changes, line), deliveries=deliveries)
