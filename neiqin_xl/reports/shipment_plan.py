"""发货计划: what is left to ship and by when, for 生产部 and 计划供应部, once a week.

Its place in the process: after the fulfilment sheet (it ``NEEDS`` its ``FulfilmentData``: 合同金额, 已发货金额,
约定交货日期 of every contract as of the run date D) and the allocation (the money in for 款到发货). Made on the
first working day of each week (``periods.weekly_due``: a week whose Monday the job missed gets it on the next
working day's run; ``DUE``, ``books.due.WEEKLY``) and on any day with ``--only plan``; mailed to ``email.recipients.plan``.

A line is a contract signed by D with something left to ship — 未发金额 = 合同金额 − 已发货金额 > 0, or, where
the contract gives a 数量, 未发数量 = 数量 − Σ 数量 shipped by D > 0 (a 待发货 request is not a shipment) —
whose 约定交货日期 is on or before D + ``plan.horizon_days`` (21): late ones are always in. A contract without
a 约定交货日期 cannot be planned and is counted in the subtitle.

- 剩余天数 = 约定交货日期 − D in calendar days (negative = late; 0 = due today).
- 款到发货 (from the allocation, as the 发货审核 reads it): 可用预收 = the contract's own unapplied credit on D + the
  customer's unapplied customer-level credit on D; 已到款 when it covers 未发金额. Lines are taken in the plan's
  order (earliest 约定交货日期 first); a line covered by the customer-level credit uses it up for the next ones.
- 风险, every one that holds, in this order: 已逾期 (剩余天数 < 0), 7 天内到期 (0 ≤ 剩余天数 ≤ 7), 待款 (款到发货 not
  covered).

Workbook 发货计划_<D>.xlsx: 按交货日期 (every line), 按产品 (未发数量 per product and week of 约定交货日期, weeks Monday
to Sunday, late lines in one 已逾期 column; for production), 逾期交货 (the late lines, latest first).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd

from ..books.allocation import credits_as_of
from ..books.context import RunContext
from ..books.due import WEEKLY
from ..books.workdays import monday_of
from ..core.columns import column_texts
from ..core.model import REP, fmt_yuan
from ..core.output import Delivery, ReportOutput
from ..core.results import FulfilmentData
from ..core.schema import (AGREED_DELIVERY_DATE, CONTRACT_AMOUNT, CONTRACT_NO, CUSTOMER, PAYMENT_TERM, PRODUCT,
                           SHIPMENT_DATE)
from ..core.sheets import DATE, INT, MONEY, NUMBER, Col, Highlight, Sheet, Table, WorkbookSpec

CASH_FIRST = "款到发货"
LATE, DUE_SOON, AWAITING_MONEY = "已逾期", "7 天内到期", "待款"
SOON_DAYS = 7
MONEY_IN = "已到款"
NO_PRODUCT = "(未填产品)"
LINE_COLUMNS = [CONTRACT_NO, CUSTOMER, REP, PRODUCT, "合同数量", "已发数量", "未发数量", CONTRACT_AMOUNT, "已发货金额", "未发金额",
                AGREED_DELIVERY_DATE, "剩余天数", "最后发货日期", PAYMENT_TERM, "可用预收", "到款", "风险"]


@dataclass(frozen=True)
class PlanData:
    """The plan of the run date: one row per line (LINE_COLUMNS, money in fen), and what was left out."""

    day: date
    lines: pd.DataFrame
    undated: int  # contracts with something left to ship but no 约定交货日期


# ---------------------------------------------------------------- the lines

def shipped_quantities(shipments: pd.DataFrame, day: date) -> dict[str, float]:
    """合同编号 -> Σ 数量 of the shipments dated up to ``day`` (a blank 数量 counts 0)."""
    real = shipments[shipments[SHIPMENT_DATE].notna() & (shipments[SHIPMENT_DATE] <= pd.Timestamp(day))]
    return real["数量"].fillna(0).groupby(column_texts(real, CONTRACT_NO)).sum().to_dict()


def risks(remaining_days: int, cash_first: bool, money_in: bool) -> str:
    """风险 of one line: every one that holds, joined by 、.

    >>> risks(-3, True, False), risks(0, False, False), risks(8, True, True)
    ('已逾期、待款', '7 天内到期', '')
    """
    found = [LATE] if remaining_days < 0 else [DUE_SOON] if remaining_days <= SOON_DAYS else []
    return "、".join(found + ([AWAITING_MONEY] if cash_first and not money_in else []))


def plan_lines(progress: pd.DataFrame, contracts: pd.DataFrame, shipments: pd.DataFrame, credits: pd.DataFrame,
               day: date, horizon_days: int) -> tuple[pd.DataFrame, int]:
    """(the plan's lines, LINE_COLUMNS in plan order; how many open contracts have no 约定交货日期).

    ``progress``: the fulfilment frame (one row per contract signed by ``day``); ``contracts``: the 合同 table
    (产品名称, 数量, 付款方式; a repeated number: its last row); ``credits``: ``credits_as_of(allocation, day)``.
    """
    terms = contracts.drop_duplicates(CONTRACT_NO, keep="last").set_index(CONTRACT_NO)
    numbers = column_texts(progress, CONTRACT_NO)
    quantity = terms["数量"].reindex(numbers).to_numpy(dtype="float64")
    shipped_qty = pd.Series(shipped_quantities(shipments, day), dtype="float64").reindex(numbers).fillna(0).to_numpy()
    left_qty = np.where(np.isnan(quantity), np.nan, quantity - shipped_qty)
    left_fen = (progress[CONTRACT_AMOUNT] - progress["已发货金额"]).to_numpy(dtype="int64")
    open_ = (left_fen > 0) | (left_qty > 0)
    agreed = pd.to_datetime(progress[AGREED_DELIVERY_DATE])
    dated = agreed.notna().to_numpy()
    within = dated & (agreed <= pd.Timestamp(day + timedelta(days=horizon_days))).to_numpy()
    frame = pd.DataFrame({
        CONTRACT_NO: numbers, CUSTOMER: column_texts(progress, CUSTOMER), REP: column_texts(progress, REP),
        PRODUCT: terms[PRODUCT].reindex(numbers).fillna("").to_numpy(dtype=object),
        "合同数量": quantity, "已发数量": shipped_qty, "未发数量": left_qty,
        CONTRACT_AMOUNT: progress[CONTRACT_AMOUNT].to_numpy(dtype="int64"),
        "已发货金额": progress["已发货金额"].to_numpy(dtype="int64"), "未发金额": np.maximum(left_fen, 0),
        AGREED_DELIVERY_DATE: agreed.to_numpy(), "剩余天数": (agreed - pd.Timestamp(day)).dt.days.to_numpy(),
        "最后发货日期": progress["最后发货日期"].to_numpy(),
        PAYMENT_TERM: terms[PAYMENT_TERM].reindex(numbers).fillna("").to_numpy(dtype=object)})
    frame = frame[open_ & within].sort_values([AGREED_DELIVERY_DATE, CONTRACT_NO], kind="stable").reset_index(drop=True)
    frame = with_money_in(frame, credits)
    return frame[LINE_COLUMNS].astype({"剩余天数": "int64", "可用预收": "Int64"}), int((open_ & ~dated).sum())


def with_money_in(lines: pd.DataFrame, credits: pd.DataFrame) -> pd.DataFrame:
    """可用预收, 到款 and 风险 of each line, in the lines' order (see the module docstring)."""
    named = credits[credits[CONTRACT_NO] != ""].groupby(CONTRACT_NO)["金额"].sum().to_dict()
    customer_level = credits[credits[CONTRACT_NO] == ""].groupby(CUSTOMER)["金额"].sum().to_dict()
    available, money, risk = [], [], []
    for number, customer, left, terms, remaining in zip(lines[CONTRACT_NO], lines[CUSTOMER], lines["未发金额"].tolist(),
                                                        lines[PAYMENT_TERM], lines["剩余天数"].tolist()):
        cash_first = terms == CASH_FIRST
        if not cash_first:
            available.append(None)
            money.append("")
            risk.append(risks(remaining, False, True))
            continue
        own, shared = int(named.get(number, 0)), int(customer_level.get(customer, 0))
        covered = own + shared >= left
        if covered:
            customer_level[customer] = shared - max(0, left - own)
        available.append(own + shared)
        money.append(MONEY_IN if covered else f"{AWAITING_MONEY}, 差 ¥{fmt_yuan(left - own - shared)}")
        risk.append(risks(remaining, True, covered))
    return lines.assign(可用预收=available, 到款=money, 风险=risk)


# ---------------------------------------------------------------- 按产品

def week_label(monday: date) -> str:
    """'11-30~12-06' for the week starting Monday 2026-11-30."""
    return f"{monday:%m-%d}~{monday + timedelta(days=6):%m-%d}"


def by_product(lines: pd.DataFrame, day: date, horizon_days: int) -> pd.DataFrame:
    """未发数量 per product (rows) and week of 约定交货日期 (columns, from D's week to D + horizon's), late lines in
    已逾期; then 未发数量合计, 未发金额 and 合同数 (lines without a 数量 count in the last two only)."""
    first = monday_of(day)
    mondays = [first + timedelta(days=7 * n) for n in range(((day + timedelta(days=horizon_days)) - first).days // 7 + 1)]
    columns = [LATE, *map(week_label, mondays)]
    if lines.empty:
        return pd.DataFrame(columns=[PRODUCT, *columns, "未发数量合计", "未发金额", "合同数"])
    agreed = pd.to_datetime(lines[AGREED_DELIVERY_DATE])
    week = [LATE if r < 0 else week_label(monday_of(a.date()))
            for r, a in zip(lines["剩余天数"].tolist(), agreed)]
    product = lines[PRODUCT].replace("", NO_PRODUCT)
    grid = lines.assign(_product=product, _week=week).groupby(["_product", "_week"])["未发数量"].sum(min_count=1)
    grid = grid.unstack().reindex(columns=columns)
    totals = lines.assign(_product=product).groupby("_product").agg(未发金额=("未发金额", "sum"), 合同数=(CONTRACT_NO, "size"))
    out = grid.reindex(totals.index)
    out["未发数量合计"] = out[columns].sum(axis=1, min_count=1)
    out = out.join(totals).reset_index(names=PRODUCT)
    return out[[PRODUCT, *columns, "未发数量合计", "未发金额", "合同数"]].astype({"未发金额": "int64", "合同数": "int64"})


# ---------------------------------------------------------------- the workbook and the mail

def figures(data: PlanData) -> dict:
    lines = data.lines

    def count(risk: str) -> int:
        return sum(risk in str(r) for r in lines["风险"])

    return {"produced": True, "date": data.day.isoformat(), "lines": len(lines), "late": count(LATE),
            "due_within_7_days": count(DUE_SOON), "awaiting_money": count(AWAITING_MONEY),
            "unshipped_fen": int(lines["未发金额"].sum()),
            "undated": data.undated}


def layout(data: PlanData, company: str, horizon_days: int) -> WorkbookSpec:
    day = data.day
    subtitle = [company, f"截至 {day.isoformat()}: 约定交货日期在 {day + timedelta(days=horizon_days)} 之前 (含已逾期) "
                         f"且未发完的合同; 剩余天数为负即已逾期",
                "到款: 款到发货合同的可用预收 = 本合同未核销预收 + 客户未指定合同的预收 (先到期的合同先用), 实际发货前仍以发货审核为准"]
    if data.undated:
        subtitle.append(f"另有 {data.undated} 份未发完的合同没有约定交货日期, 未列入")
    money = [Col(CONTRACT_AMOUNT, MONEY), Col("已发货金额", MONEY), Col("未发金额", MONEY)]
    line_cols = [Col(CONTRACT_NO), Col(CUSTOMER), Col(REP), Col(PRODUCT), Col("合同数量", NUMBER), Col("已发数量", NUMBER),
                 Col("未发数量", NUMBER), *money, Col(AGREED_DELIVERY_DATE, DATE), Col("剩余天数", INT, total=False),
                 Col(PAYMENT_TERM), Col("可用预收", MONEY, total=False), Col("到款"), Col("风险")]
    late_rule = [Highlight("剩余天数", "<", 0, whole_row=True)]
    by_date = Sheet("按交货日期", [Table(line_cols, data.lines, totals=True, highlights=late_rule)], title="发货计划",
                    subtitle=subtitle)
    grid = by_product(data.lines, day, horizon_days)
    weeks = [c for c in grid.columns if c not in (PRODUCT, "未发数量合计", "未发金额", "合同数")]
    products = Sheet("按产品", [Table([Col(PRODUCT), *(Col(w, NUMBER) for w in weeks), Col("未发数量合计", NUMBER),
                                      Col("未发金额", MONEY), Col("合同数", INT)], grid, totals=True)],
                     title="发货计划 — 按产品和周 (未发数量)",
                     subtitle=[*subtitle[:2], "按约定交货日期所在的周 (周一至周日) 汇总未发数量; 未填数量的合同只计入未发金额和合同数"])
    late = data.lines[data.lines["剩余天数"] < 0].sort_values(["剩余天数", CONTRACT_NO], kind="stable")
    late = late.assign(逾期天数=-late["剩余天数"])
    late_cols = [Col(CONTRACT_NO), Col(CUSTOMER), Col(REP), Col(PRODUCT), Col("未发数量", NUMBER), Col("未发金额", MONEY),
                 Col(AGREED_DELIVERY_DATE, DATE), Col("逾期天数", INT, total=False), Col("最后发货日期", DATE), Col(PAYMENT_TERM),
                 Col("到款"), Col("风险")]
    overdue = Sheet("逾期交货", [Table(late_cols, late, totals=True)], title="逾期交货", subtitle=subtitle[:2])
    return WorkbookSpec(f"发货计划_{day.isoformat()}.xlsx", [by_date, products, overdue])


def summary_text(f: dict) -> str:
    return (f"本周发货计划: 未发完的合同 {f['lines']} 份, 未发金额 ¥{fmt_yuan(f['unshipped_fen'])}; "
            f"其中已逾期 {f['late']} 份, 7 天内到期 {f['due_within_7_days']} 份, 款到发货待款 {f['awaiting_money']} 份。"
            "明细见附件: 按交货日期、按产品 (每周数量)、逾期交货。")


NEEDS = ("fulfilment",)  # earlier reports whose data ``build`` takes
DUE = WEEKLY  # the days it is made (books.due, applied by the runner)


def build(ctx: RunContext, fulfilment: FulfilmentData) -> ReportOutput:
    day, settings = ctx.run_date, ctx.settings
    horizon = settings.plan.horizon_days
    lines, undated = plan_lines(fulfilment.contracts, ctx.tables["合同"], ctx.tables["发货"],
                                credits_as_of(ctx.allocation, day), day, horizon)
    data = PlanData(day=day, lines=lines, undated=undated)
    spec = layout(data, settings.company.name, horizon)
    figs = figures(data)
    delivery = Delivery(report="plan", title="发货计划", attachments=[spec],
                        key_figure=f"逾期 {figs['late']} 份, 7 天内到期 {figs['due_within_7_days']} 份",
                        summary_text=summary_text(figs))
    return ReportOutput(workbooks=[spec], figures=figs, data=data, deliveries=[delivery])
