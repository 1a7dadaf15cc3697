"""回款提醒: the 回款计划 lines to chase, per rep, every working day.

Its place in the process: after the allocation (it reads ``allocation.plan_lines_as_of``), beside the daily
report; it needs no earlier report. The lines are ``plans.reminder_lines`` as of the run date D: money still to
come on a plan line that is late (到期日 before D) or falls due within ``reminders.collection_days_before``
days (default 7), with the customer's 联系人 and 电话 from the archive. Working days only (``DUE``; ``--force`` or
``--only collection_reminders``: any day),
like the daily report.

Workbooks: 回款提醒_<D>.xlsx for the clerk (every rep's lines), and for each rep with lines their own
回款提醒/回款提醒_<rep>_<D>.xlsx, mailed to that rep with the day's other mail (report key
``collection_reminders``). The 日报's 今日要点 lists the same lines (``daily.collection_reminders``).
"""

from __future__ import annotations

import pandas as pd

from ..books.allocation import plan_lines_as_of
from ..books.context import RunContext
from ..books.collection_plans import LATE, reminder_lines
from ..books.due import WORKING_DAYS
from ..core.files import Name
from ..core.model import fmt_yuan
from ..core.output import Delivery, ReportOutput
from ..core.schema import CONTACT, CONTRACT_NO, CUSTOMER, PLANNED_AMOUNT, REP
from ..core.sheets import DATE, INT, MONEY, Col, Highlight, Sheet, Table, WorkbookSpec

COLUMNS = [Col(REP), Col(CUSTOMER), Col(CONTRACT_NO), Col("期次", INT, total=False), Col("节点"),
           Col(PLANNED_AMOUNT, MONEY), Col("未回款", MONEY), Col("到期日", DATE), Col("状态"), Col("天数", INT, total=False),
           Col(CONTACT), Col("电话")]


def sheet(lines: pd.DataFrame, title: str, subtitle: list[str]) -> Sheet:
    return Sheet("回款提醒", [Table(COLUMNS, lines, totals=True, highlights=[Highlight("状态", "text", LATE, whole_row=True)])],
                 title=title, subtitle=subtitle)


def layout(lines: pd.DataFrame, ctx: RunContext) -> tuple[WorkbookSpec, dict[str, WorkbookSpec]]:
    """The clerk's workbook and one per rep with lines (theirs only)."""
    day, within = ctx.run_date.isoformat(), ctx.settings.reminders.collection_days_before
    subtitle = [ctx.settings.company.name, f"截至 {day}",
                f"回款计划中已逾期和 {within} 天内到期的期次 (未回款 = 计划金额减已回款; 回款按期次顺序冲抵)"]
    clerk = WorkbookSpec(f"回款提醒_{day}.xlsx", [sheet(lines, "回款提醒", subtitle)])
    per_rep = {rep: WorkbookSpec(Name(rep, before="回款提醒_", after=f"_{day}.xlsx"),
                                 [sheet(own, f"回款提醒 — {rep}", subtitle)], subfolder="回款提醒", for_rep=rep)
               for rep, own in lines.groupby(REP, sort=True) if rep}
    return clerk, per_rep


NEEDS: tuple[str, ...] = ()  # earlier reports whose data ``build`` takes
DUE = WORKING_DAYS  # the days it is made (books.due, applied by the runner)


def build(ctx: RunContext) -> ReportOutput:
    lines = reminder_lines(plan_lines_as_of(ctx.allocation, ctx.run_date), ctx.tables["客户"], ctx.run_date,
                           ctx.settings.reminders.collection_days_before)
    if lines.empty:
        return ReportOutput(figures={"produced": False, "lines": 0}, data=lines)
    clerk, per_rep = layout(lines, ctx)
    deliveries = []
    for rep, spec in per_rep.items():
        own = lines[lines[REP] == rep]
        late = own[own["状态"] == LATE]
        deliveries.append(Delivery(report="collection_reminders", rep=rep, title="回款提醒", attachments=[spec],
                                   key_figure=f"{len(own)} 期",
                                   summary_text=f"您有 {len(late)} 期回款已逾期 (¥{fmt_yuan(int(late['未回款'].sum()))}), "
                                                f"{len(own) - len(late)} 期将在 "
                                                f"{ctx.settings.reminders.collection_days_before} 天内到期, "
                                                "明细及客户联系方式见附件。"))
    figures = {"produced": True, "lines": len(lines), "late": int((lines["状态"] == LATE).sum()),
               "open_fen": int(lines["未回款"].sum())}
    return ReportOutput(workbooks=[clerk, *per_rep.values()], figures=figures, data=lines, deliveries=deliveries)
