"""销售预报: where the month and the quarter will land, per rep, against target. The 日报 shows the month
(and the quarter's total), the 月报/季报 the month and the quarter, so the rule lives here, in the books.

Its place in the process: after the allocation (it reads the open items and which were paid on time), before
the reports. Everything is "as of" a day D inside a period [S, E] (a month or a quarter):

- **按进度 (run rate)**: done so far × working days of [S, E] / working days of [S, D] (mainland calendar
  with 调休), rounded half up to the fen; with no working day gone yet, what is done. For 回款 (collections by
  回款日期, credited to the rep whose workbook holds them) and 签约 (合同金额 by 签订日期).
- **加权 (weighted), 回款 only**: collected so far + Σ over the items still unpaid on D that are due by E
  (到期日 ≤ E: falling due in the rest of the period, or already overdue) of 未收 × the customer's **on-time
  share**, rounded half up to the fen per rep; an item counts for the rep of its contract. With no working day
  left in the period after D, it is what was collected. The on-time share is the share of the customer's items
  that fell due in the 365 days before D (到期日 in [D − 365, D)) and were paid in full by their 到期日 (by
  count); a customer with no such item takes the company's share over all customers; with none at all, 1.
  (Counting only the items due after D measured worse on the demo's history: see README, 销售预报.)
- The **headline** is the weighted figure for 回款 (a contract cannot be weighted by anything the books
  know, so 签约's headline is its run rate). benchmarks/backtest_forecast.py measures both methods at
  mid-month over past months.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pandas as pd

from . import periods as P
from .allocation import Allocation, open_items_as_of
from .workdays import Workdays
from ..core.model import REP, Tables, round_fen
from ..core.schema import COLLECTION_AMOUNT, COLLECTION_TARGET, CONTRACT_AMOUNT, CUSTOMER, SALES_TARGET
from ..core.sheets import MONEY, PCT, Col, Table

YEAR_DAYS = 365
FORECAST_COLUMNS = [REP, COLLECTION_TARGET, "已回款", "回款预报", "回款预报完成率", "回款按进度", "签约目标", "已签约", "签约预报",
                    "签约预报完成率"]
FOOTNOTES = ("回款预报 (加权, 标题数): 已回款 + 期末前到期 (含已逾期) 的未收款项 × 该客户近 12 个月按期付清的笔数比例 "
             "(没有到期记录的客户按全公司比例)。",
             "按进度: 已完成 ÷ 已过工作日 × 本期工作日。签约预报按进度计算。")


def run_rate(done: int, elapsed: int, total: int) -> int:
    """``done`` over ``elapsed`` working days carried to ``total``, in fen, rounded half up; ``done`` when no
    working day has passed.

    >>> run_rate(1_000_000, 10, 22), run_rate(100, 3, 22), run_rate(500, 0, 22)
    (2200000, 733, 500)
    """
    if elapsed <= 0:
        return int(done)
    return round_fen(Decimal(int(done)) * total / elapsed)


def on_time_shares(allocation: Allocation, day: date) -> tuple[dict[str, Decimal], Decimal]:
    """Per customer, the share of its items due in [day − 365, day) paid in full by their 到期日; and the
    company's share over all those items (1 when there is none)."""
    items = allocation.items
    due = items["到期日"]
    window = items[due.notna() & (due < pd.Timestamp(day)) & (due >= pd.Timestamp(day - timedelta(days=YEAR_DAYS)))]
    if window.empty:
        return {}, Decimal(1)
    apps = allocation.applications.merge(window[["单据ID", "到期日"]], on="单据ID")
    paid = apps[apps["核销日期"] <= apps["到期日"]].groupby("单据ID")["金额"].sum()
    on_time = paid.reindex(window["单据ID"], fill_value=0).to_numpy() >= window["金额"].to_numpy()
    counts = pd.DataFrame({CUSTOMER: window[CUSTOMER].astype(str).to_numpy(), "按期": on_time})
    grouped = counts.groupby(CUSTOMER)["按期"].agg(["sum", "size"])
    shares = {name: Decimal(int(on)) / Decimal(int(n))
              for name, on, n in zip(grouped.index, grouped["sum"].tolist(), grouped["size"].tolist())}
    return shares, Decimal(int(on_time.sum())) / Decimal(len(on_time))


def expected_by_rep(allocation: Allocation, day: date, end: date) -> dict[str, Decimal]:
    """Per rep (of the contract), Σ 未收 × on-time share of the items unpaid on ``day`` due by ``end``."""
    shares, overall = on_time_shares(allocation, day)
    items = open_items_as_of(allocation, day)
    items = items[(items["未收"] > 0) & (items["到期日"] <= pd.Timestamp(end))]
    expected: dict[str, Decimal] = {}
    for rep, customer, unpaid in zip(items[REP].astype(str), items[CUSTOMER].astype(str), items["未收"]):
        expected[rep] = expected.get(rep, Decimal(0)) + Decimal(int(unpaid)) * shares.get(customer, overall)
    return expected


def forecast(tables: Tables, allocation: Allocation, calendar: Workdays, day: date, start: date, end: date
             ) -> pd.DataFrame:
    """FORECAST_COLUMNS per rep for the period [start, end] as of ``day`` (see the module); targets summed over
    the period's months; 完成率 = 预报 / 目标 (blank without a target). A rep whose targets do not cover every
    month of the period has none (a quarter holding one month's targets is no quarter target)."""
    months = [str(m) for m in P.Period(P.MONTH, start, end).months]
    done = P.window_figures_by_rep(tables, start, day).set_index(REP)
    targets = P.targets_by_rep(tables, months).set_index(REP)
    have = P.target_months_by_rep(tables, months)
    targets = targets[[have.get(rep, 0) >= len(months) for rep in targets.index]]
    elapsed, total = calendar.in_range(start, day), calendar.in_range(start, end)
    expected = expected_by_rep(allocation, day, end) if total > elapsed else {}  # no working day left: what was done
    reps = sorted(set(done.index) | set(targets.index) | {r for r in expected if r})
    rows = []
    for rep in reps:
        collected = int(done.at[rep, COLLECTION_AMOUNT]) if rep in done.index else 0
        signed = int(done.at[rep, CONTRACT_AMOUNT]) if rep in done.index else 0
        collect_target = int(targets.at[rep, COLLECTION_TARGET]) if rep in targets.index else None
        sales_target = int(targets.at[rep, SALES_TARGET]) if rep in targets.index else None
        weighted = collected + round_fen(expected.get(rep, Decimal(0)))
        signed_rate = run_rate(signed, elapsed, total)
        rows.append({REP: rep, COLLECTION_TARGET: collect_target, "已回款": collected, "回款预报": weighted,
                     "回款预报完成率": P.ratio(weighted, collect_target), "回款按进度": run_rate(collected, elapsed, total),
                     "签约目标": sales_target, "已签约": signed, "签约预报": signed_rate,
                     "签约预报完成率": P.ratio(signed_rate, sales_target)})
    return pd.DataFrame(rows, columns=FORECAST_COLUMNS).astype({COLLECTION_TARGET: "Int64", "签约目标": "Int64"})


def totals(by_rep: pd.DataFrame) -> dict:
    """The company line: the reps' figures summed, 完成率 over the summed targets of the reps with one."""
    sums = {c: int(by_rep[c].sum()) if len(by_rep) else 0 for c in ("已回款", "回款预报", "回款按进度", "已签约", "签约预报")}
    with_collect, with_sales = by_rep[by_rep[COLLECTION_TARGET].notna()], by_rep[by_rep["签约目标"].notna()]
    collect_target = int(with_collect[COLLECTION_TARGET].sum()) if len(with_collect) else None
    sales_target = int(with_sales["签约目标"].sum()) if len(with_sales) else None
    return {REP: "合计", **sums, COLLECTION_TARGET: collect_target, "签约目标": sales_target,
            "回款预报完成率": P.ratio(int(with_collect["回款预报"].sum()), collect_target) if collect_target else None,
            "签约预报完成率": P.ratio(int(with_sales["签约预报"].sum()), sales_target) if sales_target else None}


def forecast_table(heading: str, by_rep: pd.DataFrame, line: dict) -> Table:
    """The layout of a forecast (the 日报's and the 月报/季报's alike): the reps, and the company ``line`` as the
    totals row (its 完成率 over the summed targets, not a sum)."""
    cols = [Col(REP), *[Col(c, PCT if c.endswith("完成率") else MONEY, total=False if c.endswith("目标") else None)
                        for c in FORECAST_COLUMNS[1:]]]
    shown = {k: line[k] for k in (COLLECTION_TARGET, "回款预报完成率", "签约目标", "签约预报完成率")}
    return Table(cols, by_rep, heading=heading, totals=True, totals_values=shown, autofilter=False)
