"""投标台账: the tenders of master/投标台账.xlsx (optional; no file, no report) as of the run date.

Its place in the process: a report with no ``NEEDS``; the rules are ``books.tenders`` (the 日报's 今日要点 and the
月报's 投标 figures read them too).

投标台账_<D>.xlsx: 即将截止 (bids due within ``tenders.remind_days`` working days), 保证金催收 (bid bonds not back
``tenders.bond_days`` working days after 开标: money the company is owed), 中标未签合同 (中标 with no 合同编号
``tenders.contract_days`` days after 开标), 投标台账 (every row). Mailed to ``email.recipients.tenders``
(default: the 销售经理) when any of the three lists is not empty. Each rep with a bid due or a bond to chase
gets their own rows (投标提醒/投标提醒_<rep>_<D>.xlsx), never another rep's.
"""

from __future__ import annotations

import pandas as pd

from ..books.context import RunContext
from ..books.tenders import bonds_to_chase, due_soon, won_without_contract
from ..core.files import Name
from ..core.model import fmt_yuan, text as _text
from ..core.output import Delivery, ReportOutput
from ..core.schema import (ACCOUNT_REP, AWARD_AMOUNT, BID_BOND, BID_DEADLINE, BID_OPENING_DATE, BOND_PAID_DATE,
                           BOND_RETURNED_DATE, CONTRACT_NO, TENDER_ISSUER)
from ..core.sheets import DATE, INT, MONEY, Col, Sheet, Table, WorkbookSpec

BASE = [Col("项目名称", width=30), Col(TENDER_ISSUER), Col(ACCOUNT_REP)]
DUE_COLS = [*BASE, Col(BID_DEADLINE, DATE), Col("剩余工作日", INT, total=False), Col(BID_OPENING_DATE, DATE), Col(BID_BOND, MONEY),
            Col("备注")]
BOND_COLS = [*BASE, Col(BID_OPENING_DATE, DATE), Col("状态"), Col(BID_BOND, MONEY), Col(BOND_PAID_DATE, DATE),
             Col("开标后工作日", INT, total=False), Col("备注")]
WON_COLS = [*BASE, Col(BID_OPENING_DATE, DATE), Col(AWARD_AMOUNT, MONEY), Col("开标后天数", INT, total=False), Col("备注")]
ALL_COLS = [*BASE, Col("获取标书日期", DATE), Col(BID_DEADLINE, DATE), Col(BID_OPENING_DATE, DATE), Col("状态"),
            Col(BID_BOND, MONEY), Col(BOND_PAID_DATE, DATE), Col(BOND_RETURNED_DATE, DATE), Col(AWARD_AMOUNT, MONEY),
            Col(CONTRACT_NO), Col("备注")]


def sheets_of(due: pd.DataFrame, bonds: pd.DataFrame, won: pd.DataFrame, ctx: RunContext) -> list[Sheet]:
    s, day = ctx.settings.tenders, ctx.run_date.isoformat()
    return [Sheet("即将截止", [Table(DUE_COLS, due, totals=False)], title="即将截止的投标",
                  subtitle=[f"截至 {day}: 状态为 跟踪、投标截止日期在 {s.remind_days} 个工作日内"]),
            Sheet("保证金催收", [Table(BOND_COLS, bonds, totals=True)], title="投标保证金催收",
                  subtitle=[f"截至 {day}: 已缴纳、开标后超过 {s.bond_days} 个工作日仍未退回 (节假日不计, 调休上班日计入)"]),
            Sheet("中标未签合同", [Table(WON_COLS, won, totals=True)], title="中标未签合同",
                  subtitle=[f"截至 {day}: 中标、开标后超过 {s.contract_days} 天仍未填合同编号"])]


NEEDS: tuple[str, ...] = ()


def build(ctx: RunContext) -> ReportOutput:
    tenders = ctx.tables["投标"]
    if tenders.empty:
        return ReportOutput()
    day, settings = ctx.run_date, ctx.settings
    due, bonds, won = (due_soon(tenders, settings, day, ctx.workdays), bonds_to_chase(tenders, settings, day, ctx.workdays),
                       won_without_contract(tenders, settings, day))
    register = Sheet("投标台账", [Table(ALL_COLS, tenders.sort_values(BID_DEADLINE, kind="stable"), totals=True)],
                     title="投标台账", subtitle=[settings.company.name, f"截至 {day.isoformat()}"])
    spec = WorkbookSpec(f"投标台账_{day.isoformat()}.xlsx",
                        [*sheets_of(due, bonds, won, ctx), register])
    outstanding = int(bonds[BID_BOND].sum())
    figures = {"tenders": int(len(tenders)), "due_soon": int(len(due)), "bonds_to_chase": int(len(bonds)),
               "bonds_to_chase_fen": outstanding, "won_without_contract": int(len(won))}
    workbooks, deliveries = [spec], []
    if len(due) or len(bonds) or len(won):
        deliveries.append(Delivery(report="tenders", title=f"投标台账 {day}", attachments=[spec],
                                   key_figure=f"即将截止 {len(due)} 个, 保证金待退 ¥{fmt_yuan(outstanding)}",
                                   summary_text=f"即将截止 {len(due)} 个投标; 保证金催收 {len(bonds)} 笔 ¥{fmt_yuan(outstanding)}; "
                                                f"中标未签合同 {len(won)} 个"))
    reps = sorted({_text(r) for r in [*due[ACCOUNT_REP], *bonds[ACCOUNT_REP]] if _text(r)})
    for rep in reps:
        mine = [frame[frame[ACCOUNT_REP].map(_text) == rep] for frame in (due, bonds, won)]
        own = WorkbookSpec(Name(rep, before="投标提醒_", after=f"_{day.isoformat()}.xlsx"), sheets_of(*mine, ctx),
                           subfolder="投标提醒", for_rep=rep)
        workbooks.append(own)
        lines = [f"{r['项目名称']}: 投标截止 {pd.Timestamp(r['投标截止日期']).date()} (还有 {r['剩余工作日']} 个工作日)"
                 for r in mine[0].to_dict("records")]
        lines += [f"{r['项目名称']}: 保证金 ¥{fmt_yuan(int(r['保证金']))} 开标后 {r['开标后工作日']} 个工作日未退回, 请催收"
                  for r in mine[1].to_dict("records")]
        deliveries.append(Delivery(report="tenders", title="投标提醒", attachments=[own], rep=rep,
                                   key_figure=f"{len(lines)} 项", summary_text="\n".join(lines)))
    return ReportOutput(workbooks=workbooks, figures=figures, deliveries=deliveries)
