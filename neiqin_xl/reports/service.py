"""客户服务跟踪: the customer feedback still waiting for an answer, complaints, who is due a 回访, satisfaction.

Its place in the process: after the daily report, on the same days (``DUE``: working days, or any day with ``--force`` or ``--only service``).
It reads the 反馈 table (the reps' 反馈 sheets and the clerk's master/客户服务.xlsx) through the rules of
``books/feedback.py`` and is mailed to ``email.recipients.service`` (the sales manager and the clerk).

Workbook 客户服务跟踪_<D>.xlsx:
- 未结事项: every open 咨询/投诉/建议 with its working days open; those past ``service.response_days``
  working days (超时) highlighted, first;
- 投诉统计: the complaints of the last 365 days per customer and per product (open ones counted apart);
- 应回访: the customers with a contract in the last year and no contact for ``service.revisit_days`` days;
- 满意度: the average 满意度 (1–5) per rep and month over the last twelve months.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd

from ..books import feedback as S
from ..books.context import RunContext
from ..books.due import WORKING_DAYS
from ..core.model import REP, SRC_ROW, SRC_SHEET, SRC_WORKBOOK
from ..core.output import Delivery, ReportOutput
from ..core.schema import CONTRACT_NO, CUSTOMER, HANDLER, SATISFACTION
from ..core.sheets import DATE, INT, NUMBER, Col, Highlight, Sheet, Table, WorkbookSpec

OVERDUE = "超时"


@dataclass(frozen=True)
class ServiceData:
    """What the report computed on ``day``."""

    day: date
    open_items: pd.DataFrame  # books.feedback.OPEN_COLUMNS, 超时 as the text 超时 or ""
    by_customer: pd.DataFrame
    by_product: pd.DataFrame
    revisits: pd.DataFrame  # books.feedback.REVISIT_COLUMNS
    satisfaction: pd.DataFrame  # books.feedback.SATISFACTION_COLUMNS

    @property
    def overdue(self) -> int:
        return int((self.open_items["超时"] == OVERDUE).sum())


def compute(ctx: RunContext) -> ServiceData:
    tables, settings, day = ctx.tables, ctx.settings, ctx.run_date
    items = S.open_items(tables, settings, day)
    items = items.assign(超时=[OVERDUE if late else "" for late in items["超时"].astype(bool)])
    return ServiceData(day=day, open_items=items, by_customer=S.complaints_by(tables, settings, day, CUSTOMER),
                       by_product=S.complaints_by(tables, settings, day, "产品"),
                       revisits=S.revisits_due(tables, settings, day), satisfaction=S.satisfaction(tables, day))


def layout(data: ServiceData, company: str, response_days: int, revisit_days: int) -> WorkbookSpec:
    day = data.day.isoformat()
    subtitle = [f"截至 {day}", company]
    open_cols = [Col("日期", DATE), Col(CUSTOMER), Col("类型"), Col(CONTRACT_NO), Col("产品"), Col("内容", width=36),
                 Col(HANDLER), Col("状态"), Col(REP), Col("已开天数", INT, total=False), Col("超时"), Col(SRC_WORKBOOK),
                 Col(SRC_SHEET), Col(SRC_ROW, INT, total=False)]
    count_cols = [Col("投诉数", INT), Col("未结", INT), Col("最近投诉", DATE)]
    sheets = [
        Sheet("未结事项", [Table(open_cols, data.open_items,
                              highlights=[Highlight("超时", "text", OVERDUE, whole_row=True)])],
              title="客户服务跟踪: 未结事项", subtitle=subtitle,
              notes=[f"已开天数: 登记日之后的工作日数; 超过 {response_days} 个工作日未回复客户为超时 (红色)。",
                     "状态为 已回复客户 才算办结; 已解决 但未回复客户的仍列在这里。"]),
        Sheet("投诉统计", [Table([Col(CUSTOMER), *count_cols], data.by_customer, heading="按客户 (近 365 天)",
                              totals=True),
                         Table([Col("产品"), *count_cols], data.by_product, heading="按产品 (近 365 天)", totals=True)],
              title="客户服务跟踪: 投诉统计", subtitle=subtitle, landscape=False),
        Sheet("应回访", [Table([Col(CUSTOMER), Col(REP), Col("最近合同日期", DATE), Col("最近联系日期", DATE),
                              Col("最近联系方式"), Col("未联系天数", INT, total=False)], data.revisits)],
              title="客户服务跟踪: 应回访客户", subtitle=subtitle, landscape=False,
              notes=[f"近一年签过合同、{revisit_days} 天内日报没有该客户的记录、反馈里也没有回访的客户。"]),
        Sheet(SATISFACTION, [Table([Col(REP), Col("月份"), Col("评价数", INT), Col("平均满意度", NUMBER, total=False)],
                              data.satisfaction)],
              title="客户服务跟踪: 满意度 (1–5 分)", subtitle=subtitle, landscape=False,
              notes=["按反馈的日期计入月份; 满意度不在 1–5 之间的不计入。"]),
    ]
    return WorkbookSpec(f"客户服务跟踪_{day}.xlsx", sheets)


def summary_text(data: ServiceData) -> str:
    lines = [f"客户服务跟踪 {data.day.isoformat()}: 未结 {len(data.open_items)} 件, 其中超时 {data.overdue} 件; "
             f"应回访客户 {len(data.revisits)} 家"]
    for r in data.open_items[data.open_items["超时"] == OVERDUE].to_dict("records"):
        lines.append(f"  [超时] {r['客户名称']} {r['类型']} {pd.Timestamp(r['日期']):%Y-%m-%d} 已 {r['已开天数']} 个工作日, "
                     f"{r['状态']}, {r[REP]}")
    return "\n".join(lines)


NEEDS: tuple[str, ...] = ()
DUE = WORKING_DAYS  # the days it is made (books.due, applied by the runner)


def build(ctx: RunContext) -> ReportOutput:
    data = compute(ctx)
    service = ctx.settings.service
    delivery = Delivery(report="service", title="客户服务跟踪",
                        key_figure=f"未结 {len(data.open_items)} 件, 超时 {data.overdue} 件",
                        summary_text=summary_text(data))
    figures = {"produced": True, "date": ctx.run_date.isoformat(), "open": int(len(data.open_items)),
               "overdue": data.overdue, "revisits_due": int(len(data.revisits)),
               "complaints_year": int(data.by_customer["投诉数"].sum()) if len(data.by_customer) else 0}
    return ReportOutput(workbooks=[layout(data, ctx.settings.company.name, service.response_days,
                                          service.revisit_days)],
                        figures=figures, data=data, deliveries=[delivery])
