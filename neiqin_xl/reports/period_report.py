"""五日报 / 月报 / 季报 / 年报: the sales of a period, against the period before and the same period last year.

Its place in the process: after the daily report. Which periods a run produces is decided in
``periods.due_periods`` (the first run on or after a period's last day; a missed day is caught up on the next
run).

Each period workbook (五日报_<start>_<end>.xlsx, 月报_<YYYY-MM>.xlsx, 季报_<YYYY>Q<n>.xlsx, 年报_<YYYY>.xlsx):
- 汇总, the first page a manager reads in ten seconds: the key figures (``key_figures``: 合同/回款/发货/开票
  amounts with 环比 and 同比, 新签合同, the company's 签约完成率 and 回款完成率 (``company_attainment``)), the
  period's amounts and counts (合同数, 拜访, 电话, 会议, 新客户) with 上期 (环比) and 去年同期 (同比), the notes,
  then four charts: 签约 and 回款 of the 12 months to the period's end against the summed targets
  (``month_trend``), 完成率 per rep on a % axis with a 100% line, the receivables' aging buckets per rep
  stacked (as of the run date; the period report ``USES`` the receivables ledger, and leaves the chart out
  when it did not run), and the top customers by 回款. A comparison period the books do not reach (earliest
  business date in the books after its last day) has its amount blank and its change reading 无数据; a
  change over a zero base is left blank.
- 业务员: each rep's figures of the period with 销售目标 / 回款目标 and attainment (合同金额 / 销售目标,
  回款金额 / 回款目标); the 合计 row carries the company's attainment. Targets are monthly: the period's months
  are summed; for a 五日报 the attainment is the month to the period's last day against the month's target.
- 客户排名: the top ``reports.top_customers`` customers by collections in the period.
- 产品类别: contract amounts by the category of the contract's product (产品目录); unknown → 未分类.
- 工作总结: per rep, the activities of the 日报 (拜访/电话/会议/其他) and the new customers: customers whose
  first contract or first activity in the books falls in the period (credited to the rep of that first record).
- 回款趋势: collections by day (五日报/月报) or by month (季报/年报), with a chart.
- 新客户: the new customers of the period with where they first appeared.
- 回款计划 (月报 only, when plan lines fall due in the month): per rep, the 回款计划 lines due in the month
  against what of them came in by its last day (``plan_vs_actual``).
- 图表数据: the tables the first page's charts draw (the 12 months, the attainment with its 100% column, the
  aging per rep), so every chart point can be read as a number.
- 客户服务 (月报): feedback logged in the month by type, open and overdue items and customers due a 回访 at
  month end, the month's average 满意度 (``books.feedback.period_summary``).
- 投标与报价 (月报, when the month had a quotation or a tender; issue 33): the month's 投标 figures
  (``books.tenders.month_figures``: bids, 中标率, 保证金未退) and 报价转化 per rep (``books.quotations.period_conversion``).
- 销售预报 (月报/季报): per rep and in total, 回款 (weighted, with the run rate) and 签约 (run rate) to month end
  and to quarter end against target, as of the period's last day (``books.forecast``), with the methods.

Figures are cut at the period's last day (a catch-up run does not count later rows). Reps: 合同's 业务员 for
contracts, the contract's rep for 发货/开票 (set by validation), the holding workbook's rep for 回款.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, timedelta

import pandas as pd

from ..books import forecast as F
from ..books import periods as P
from ..books.activities import (ACTIVITY_KINDS, activities, activity_counts, development, development_by_rep,
                                development_sheet)
from ..books.allocation import plan_lines_as_of
from ..books.balances import bucket_labels
from ..books import feedback
from ..books.quotations import period_conversion
from ..books.tenders import month_figures
from ..books.context import RunContext
from ..core.output import Delivery, ReportOutput
from ..core.results import ReceivablesData
from ..core.model import REP, SRC_ROW, SRC_SHEET, SRC_WORKBOOK, Tables, fen_to_wan, fmt_yuan, fraction
from ..core.months import Month
from ..core.names import CustomerIndex, normalize_name
from ..core.sheets import DATE, INT, MONEY, NUMBER, PCT, Chart, Col, Figure, Sheet, Table, WorkbookSpec
from ..core.schema import (AWARD_AMOUNT, COLLECTION_AMOUNT, COLLECTION_DATE, COLLECTION_TARGET, CONTRACT_AMOUNT,
                           CUSTOMER, INVOICE_AMOUNT, PLANNED_AMOUNT, PRODUCT, PRODUCT_CATEGORY, SALES_TARGET,
                           SHIPMENT_AMOUNT, SHIPMENT_DATE, SIGNING_DATE)

NO_DATA = "无数据"
UNCATEGORISED = "未分类"
MONEY_METRICS = (CONTRACT_AMOUNT, SHIPMENT_AMOUNT, INVOICE_AMOUNT, COLLECTION_AMOUNT)
COUNT_METRICS = ("合同数", "拜访", "电话", "会议", "新客户")
COMPARE_COLUMNS = ["指标", "本期", "上期", "环比", "去年同期", "同比"]
REP_COLUMNS = [REP, "合同数", CONTRACT_AMOUNT, SHIPMENT_AMOUNT, INVOICE_AMOUNT, COLLECTION_AMOUNT, SALES_TARGET, P.SIGN_RATE, COLLECTION_TARGET, P.COLLECT_RATE]
WORK_COLUMNS = [REP, *ACTIVITY_KINDS, "活动合计", "新客户", "合同数", CONTRACT_AMOUNT, COLLECTION_AMOUNT]
NEW_CUSTOMER_COLUMNS = [CUSTOMER, "首次日期", "首次来源", REP, SRC_WORKBOOK, SRC_SHEET, SRC_ROW]
TREND_COLUMNS = ["月份", CONTRACT_AMOUNT, COLLECTION_AMOUNT, SALES_TARGET, COLLECTION_TARGET]
TREND_MONTHS = 12
FULL = "100%"  # the attainment chart's target line
CHART_SHEET = "图表数据"


@dataclass(frozen=True)
class PeriodData:
    """What one period report computed (money in fen, ratios as Decimal fractions)."""

    period: P.Period
    previous: P.Period
    last_year: P.Period
    totals: dict[str, int]  # the period's 合同数 and amounts
    money: pd.DataFrame  # COMPARE_COLUMNS over MONEY_METRICS
    counts: pd.DataFrame  # COMPARE_COLUMNS over COUNT_METRICS
    by_rep: pd.DataFrame  # REP_COLUMNS
    top_customers: pd.DataFrame
    by_category: pd.DataFrame
    work: pd.DataFrame  # WORK_COLUMNS (工作总结)
    series: pd.DataFrame  # 日期/月份, 合同金额, 回款金额
    new_customers: pd.DataFrame  # NEW_CUSTOMER_COLUMNS
    notes: list[str] = field(default_factory=list)
    trend: pd.DataFrame | None = None  # TREND_COLUMNS: the 12 months to the period's last month
    attainment: dict = field(default_factory=dict)  # the company's 签约完成率 and 回款完成率 (company_attainment)
    service: pd.DataFrame | None = None  # 月报: the 客户服务 section (books.feedback.period_summary)
    forecast: tuple[tuple[str, pd.DataFrame, dict], ...] = ()  # 月报/季报: (heading, per rep, company line)


# ---------------------------------------------------------------- pure computations

def first_appearances(tables: Tables, customers: CustomerIndex) -> pd.DataFrame:
    """Every customer's first record in the books: its first contract (签订日期) or first 日报 activity (日期),
    whichever is earlier (a contract wins a tie), with the rep and source of that record."""
    parts = []
    for order, (sheet, column, source) in enumerate((("合同", SIGNING_DATE, "合同"), ("日报", "日期", "日报"))):
        frame = tables[sheet]
        frame = frame[frame[column].notna()]
        names = frame[CUSTOMER].map({n: customers.canonical(n) for n in frame[CUSTOMER].dropna().unique()})
        frame, names = frame[names.notna() & names.astype(bool)], names[names.notna() & names.astype(bool)]
        if len(frame):
            parts.append(pd.DataFrame({CUSTOMER: names, "首次日期": frame[column], "首次来源": source, "_order": order,
                                       REP: frame[REP] if REP in frame else "", SRC_WORKBOOK: frame[SRC_WORKBOOK],
                                       SRC_SHEET: frame[SRC_SHEET], SRC_ROW: frame[SRC_ROW]}))
    if not parts:
        return pd.DataFrame(columns=NEW_CUSTOMER_COLUMNS)
    frame = pd.concat(parts, ignore_index=True).sort_values(["首次日期", "_order", SRC_WORKBOOK, SRC_ROW], kind="stable")
    return frame.drop_duplicates(CUSTOMER).drop(columns="_order")[NEW_CUSTOMER_COLUMNS].reset_index(drop=True)


def new_customers(first: pd.DataFrame, start: date, end: date) -> pd.DataFrame:
    """The customers whose first appearance lies in [start, end]."""
    return P.rows_between(first, "首次日期", start, end).reset_index(drop=True)


def has_data(books_from: date | None, period: P.Period) -> bool:
    """Whether the books reach back into ``period`` (their earliest date is on or before its last day)."""
    return books_from is not None and books_from <= period.end


def period_counts(tables: Tables, first: pd.DataFrame, start: date, end: date) -> dict[str, int]:
    """合同数, 拜访, 电话, 会议, 新客户 of [start, end]."""
    activities = activity_counts(tables, start, end)
    counts = {"合同数": int(len(P.rows_between(tables["合同"], SIGNING_DATE, start, end)))}
    counts.update({k: int(activities[k].sum()) for k in ("拜访", "电话", "会议")})
    counts["新客户"] = int(len(new_customers(first, start, end)))
    return counts


def compare(current: dict[str, int], previous: dict[str, int] | str | None, last_year: dict[str, int] | str | None,
            metrics: tuple[str, ...]) -> pd.DataFrame:
    """One row per metric: 本期, 上期, 环比, 去年同期, 同比. Where a comparison period has no data (None) its
    amount is blank and its change reads 无数据; where the ledgers cover it less fully than the current period
    (``periods.NOT_COMPARABLE`` given instead of figures) both read 不可比; a change over a zero base is blank."""
    rows = []
    for metric in metrics:
        row = {"指标": metric, "本期": current[metric]}
        for value_col, change_col, other in (("上期", "环比", previous), ("去年同期", "同比", last_year)):
            if other is None:  # the amount blank, the change reads 无数据
                row[value_col], row[change_col] = None, NO_DATA
            elif isinstance(other, str):  # 不可比: no percentage a reader could take for a trend
                row[value_col], row[change_col] = None, other
            else:
                row[value_col], row[change_col] = other[metric], P.change(current[metric], other[metric])
        rows.append(row)
    return pd.DataFrame(rows, columns=COMPARE_COLUMNS)


def attainment_start(period: P.Period) -> date:
    """Where attainment counts from: the period's first day; for a 五日报 the 1st of its month."""
    return period.start.replace(day=1) if period.kind == P.FIVE_DAY else period.start


def target_statuses(tables: Tables, period: P.Period, reps: list[str]) -> pd.Series:
    """Per rep: '' when every month of the period has his target, else 无目标 / 目标不全 (n/m 个月)."""
    have = P.target_months_by_rep(tables, period.months)
    return pd.Series([P.target_status(have.get(rep, 0), len(period.months)) for rep in reps], index=reps, dtype=object)


def company_attainment(tables: Tables, period: P.Period, by_rep: pd.DataFrame | None = None) -> dict[str, object]:
    """签约完成率 and 回款完成率 of the company over the reps whose targets cover the period (``periods.rate_basis``:
    what they signed / collected from ``attainment_start`` over the sum of their targets), with the sums the
    rates use and the reps left out; a rate is None without such reps."""
    by_rep = rep_attainment(tables, period) if by_rep is None else by_rep
    cumulative = P.window_figures_by_rep(tables, attainment_start(period), period.end).set_index(REP)
    reps = list(by_rep[REP])
    frame = pd.DataFrame({REP: reps, **{actual: [int(cumulative.at[r, actual]) if r in cumulative.index else 0
                                                  for r in reps] for _, actual, _ in P.RATES},
                          **{target: list(by_rep[target]) for _, _, target in P.RATES}})
    basis = P.rate_basis(frame, target_statuses(tables, period, reps))
    have = P.target_months_by_rep(tables, period.months)
    return {**{rate: basis[rate]["rate"] for rate, _, _ in P.RATES}, "basis": basis,
            "partial": bool(have) and basis["reps"] == 0}


def rep_attainment(tables: Tables, period: P.Period) -> pd.DataFrame:
    """REP_COLUMNS: the period's figures per rep with targets and attainment (see the module docstring). A rep
    whose targets do not cover every month of the period has no target shown and his rates read 无目标 or
    目标不全 (n/m 个月): a part of a period's target is no target for it."""
    figures = P.window_figures_by_rep(tables, period.start, period.end)
    cumulative = P.window_figures_by_rep(tables, attainment_start(period), period.end).set_index(REP)
    targets = P.targets_by_rep(tables, period.months).set_index(REP)
    reps = sorted(set(figures[REP]) | set(cumulative.index) | set(targets.index))
    status = target_statuses(tables, period, reps)
    figures = figures.set_index(REP).reindex(reps, fill_value=0)
    rows = []
    for rep in reps:
        whole = rep in targets.index and not status[rep]
        sales_target = int(targets.at[rep, SALES_TARGET]) if whole else None
        collect_target = int(targets.at[rep, COLLECTION_TARGET]) if whole else None
        contracted = int(cumulative.at[rep, CONTRACT_AMOUNT]) if rep in cumulative.index else 0
        collected = int(cumulative.at[rep, COLLECTION_AMOUNT]) if rep in cumulative.index else 0
        rows.append({REP: rep, **{c: int(figures.at[rep, c]) for c in P.FIGURE_COLUMNS},
                     SALES_TARGET: sales_target, P.SIGN_RATE: P.ratio(contracted, sales_target) if whole else status[rep],
                     COLLECTION_TARGET: collect_target,
                     P.COLLECT_RATE: P.ratio(collected, collect_target) if whole else status[rep]})
    return pd.DataFrame(rows, columns=REP_COLUMNS).astype({SALES_TARGET: "Int64", COLLECTION_TARGET: "Int64"})


def basis_table(basis: dict, heading: str) -> Table | None:
    """The sums the 合计 rates use, when reps were left out of them (so a reader can recompute them)."""
    if not basis["excluded"]:
        return None
    row = {"口径": f"有目标的业务员 ({basis['reps']} 人)"}
    for rate, actual, target in P.RATES:
        row.update({actual: basis[rate]["actual"], target: basis[rate]["target"], rate: basis[rate]["rate"]})
    cols = [Col("口径"), *[c for rate, actual, target in P.RATES
                           for c in (Col(actual, MONEY), Col(target, MONEY), Col(rate, PCT))]]
    return Table(cols, [row], heading=heading, autofilter=False)


def basis_notes(basis: dict) -> list[str]:
    """The footnote naming the reps left out of the 合计 rates."""
    if not basis["excluded"]:
        return []
    return [f"合计完成率只计目标覆盖本期的业务员; 未计入 (其合同、回款也不计入完成率): {'、'.join(basis['excluded'])}。"]


def top_customers(tables: Tables, customers: CustomerIndex, start: date, end: date, limit: int) -> pd.DataFrame:
    """The ``limit`` customers with the most collections in [start, end]: 排名, 客户名称, 回款笔数, 回款金额, 占比,
    合同金额, 发货金额. Equal amounts share a rank and are listed by name."""
    columns = ["排名", CUSTOMER, "回款笔数", COLLECTION_AMOUNT, "占比", CONTRACT_AMOUNT, SHIPMENT_AMOUNT]
    collections = P.rows_between(tables["回款"], COLLECTION_DATE, start, end)
    if collections.empty:
        return pd.DataFrame(columns=columns)
    names = collections[CUSTOMER].map(customers.canonical)
    grouped = collections.groupby(names)[COLLECTION_AMOUNT].agg(["count", "sum"])
    grouped = grouped[grouped["sum"] > 0].rename(columns={"count": "回款笔数", "sum": COLLECTION_AMOUNT})
    grouped.index.name = CUSTOMER
    grouped = grouped.reset_index().sort_values([COLLECTION_AMOUNT, CUSTOMER], ascending=[False, True], kind="stable")
    total = int(collections[COLLECTION_AMOUNT].sum())
    contracts = P.rows_between(tables["合同"], SIGNING_DATE, start, end)
    shipments = P.rows_between(tables["发货"], SHIPMENT_DATE, start, end)
    contracted = contracts.groupby(contracts[CUSTOMER].map(customers.canonical))[CONTRACT_AMOUNT].sum()
    shipped = shipments.groupby(shipments[CUSTOMER].map(customers.canonical))[SHIPMENT_AMOUNT].sum() \
        if CUSTOMER in shipments and len(shipments) else pd.Series(dtype="int64")
    grouped["排名"] = grouped[COLLECTION_AMOUNT].rank(method="min", ascending=False).astype("int64")
    grouped["占比"] = [P.ratio(v, total) for v in grouped[COLLECTION_AMOUNT]]
    grouped[CONTRACT_AMOUNT] = [int(contracted.get(n, 0)) for n in grouped[CUSTOMER]]
    grouped[SHIPMENT_AMOUNT] = [int(shipped.get(n, 0)) for n in grouped[CUSTOMER]]
    return grouped.head(limit)[columns].reset_index(drop=True)


def category_of_products(products: pd.DataFrame) -> dict[str, str]:
    """产品名称 (normalised) -> 产品类别, from the product list."""
    if products.empty:
        return {}
    return {normalize_name(n): str(c).strip() for n, c in zip(products[PRODUCT], products[PRODUCT_CATEGORY])
            if normalize_name(n) and isinstance(c, str) and c.strip()}


def by_category(tables: Tables, start: date, end: date) -> pd.DataFrame:
    """产品类别, 合同数, 合同金额, 占比 of the contracts signed in [start, end], largest first."""
    columns = [PRODUCT_CATEGORY, "合同数", CONTRACT_AMOUNT, "占比"]
    contracts = P.rows_between(tables["合同"], SIGNING_DATE, start, end)
    if contracts.empty:
        return pd.DataFrame(columns=columns)
    categories = category_of_products(tables["产品"])
    keys = contracts[PRODUCT].map(lambda n: categories.get(normalize_name(n), UNCATEGORISED))
    grouped = contracts.groupby(keys)[CONTRACT_AMOUNT].agg(["count", "sum"]).rename(columns={"count": "合同数", "sum": CONTRACT_AMOUNT})
    grouped.index.name = PRODUCT_CATEGORY
    grouped = grouped.reset_index().sort_values([CONTRACT_AMOUNT, PRODUCT_CATEGORY], ascending=[False, True], kind="stable")
    total = int(contracts[CONTRACT_AMOUNT].sum())
    grouped["占比"] = [P.ratio(v, total) for v in grouped[CONTRACT_AMOUNT]]
    return grouped[columns].reset_index(drop=True)


def work_summary(tables: Tables, first: pd.DataFrame, start: date, end: date) -> pd.DataFrame:
    """WORK_COLUMNS per rep: activities, new customers, contracts and collections of [start, end]."""
    activities = activity_counts(tables, start, end).set_index(REP)
    fresh = new_customers(first, start, end)
    fresh_by_rep = fresh.groupby(fresh[REP].fillna("").astype(str)).size() if len(fresh) else pd.Series(dtype="int64")
    figures = P.window_figures_by_rep(tables, start, end).set_index(REP)
    reps = sorted(set(activities.index) | set(fresh_by_rep.index) | set(figures.index))
    rows = []
    for rep in reps:
        counts = {k: int(activities.at[rep, k]) if rep in activities.index else 0 for k in ACTIVITY_KINDS}
        rows.append({REP: rep, **counts, "活动合计": sum(counts.values()), "新客户": int(fresh_by_rep.get(rep, 0)),
                     **{c: int(figures.at[rep, c]) if rep in figures.index else 0 for c in ("合同数", CONTRACT_AMOUNT, COLLECTION_AMOUNT)}})
    return pd.DataFrame(rows, columns=WORK_COLUMNS)


def collection_series(tables: Tables, period: P.Period) -> pd.DataFrame:
    """回款金额 and 合同金额 by day (五日报/月报; column 日期 'MM-DD') or by month (季报/年报; column 月份 YYYY-MM),
    every day or month of the period listed (zero when nothing happened)."""
    by_day = period.kind in (P.FIVE_DAY, P.MONTH)
    if by_day:
        buckets = [(period.start + timedelta(days=n),) * 2 for n in range((period.end - period.start).days + 1)]
        labels = [f"{a:%m-%d}" for a, _ in buckets]
    else:
        buckets = [(m.first, m.last) for m in period.months]
        labels = [str(m) for m in period.months]
    rows = []
    for label, (start, end) in zip(labels, buckets):
        figures = P.window_figures(tables, start, end)
        rows.append({"日期" if by_day else "月份": label, CONTRACT_AMOUNT: figures[CONTRACT_AMOUNT], COLLECTION_AMOUNT: figures[COLLECTION_AMOUNT]})
    return pd.DataFrame(rows)


def month_trend(tables: Tables, last: Month, months: int = TREND_MONTHS) -> pd.DataFrame:
    """TREND_COLUMNS for the ``months`` months ending with ``last``: 合同金额 and 回款金额 signed / collected in
    each month, and the month's 销售目标 and 回款目标 summed over the reps (blank without targets)."""
    rows = []
    for month in (last.shift(k - months + 1) for k in range(months)):
        figures = P.window_figures(tables, month.first, month.last)
        targets = P.targets_by_rep(tables, [str(month)])
        rows.append({"月份": str(month), CONTRACT_AMOUNT: figures[CONTRACT_AMOUNT], COLLECTION_AMOUNT: figures[COLLECTION_AMOUNT],
                     SALES_TARGET: int(targets[SALES_TARGET].sum()) if len(targets) else None,
                     COLLECTION_TARGET: int(targets[COLLECTION_TARGET].sum()) if len(targets) else None})
    return pd.DataFrame(rows, columns=TREND_COLUMNS).astype({SALES_TARGET: "Int64", COLLECTION_TARGET: "Int64"})


def compute(tables: Tables, customers: CustomerIndex, period: P.Period, top: int,
            first: pd.DataFrame | None = None) -> PeriodData:
    """Every table of one period report (``first``: ``first_appearances``, when the caller has it)."""
    previous, last_year = P.previous_period(period), P.same_period_last_year(period)
    books_from = P.books_start(tables)
    first = first_appearances(tables, customers) if first is None else first

    def figures(p: P.Period) -> dict[str, int]:
        return P.window_figures(tables, p.start, p.end)

    def counts(p: P.Period) -> dict[str, int]:
        return period_counts(tables, first, p.start, p.end)

    months = P.months_with_data(tables)
    here = P.coverage(period, months, books_from)
    comparison: list = []
    notes = []
    for name, p in (("上期", previous), ("去年同期", last_year)):
        if period.kind == P.YEAR and name == "上期":  # a year's previous period is last year: 同比 only
            comparison.append(None)
            continue
        there = P.coverage(p, months, books_from)
        if not has_data(books_from, p):
            comparison.append(None)
        elif not P.comparable(here, there):
            comparison.append(P.NOT_COMPARABLE)
            notes.append(f"{name} {p.label} 不可比: 台账只覆盖该期间 {there.text} (本期 {here.text})。")
        else:
            comparison.append(p)
    totals = figures(period)
    money = compare(totals, *[figures(p) if isinstance(p, P.Period) else p for p in comparison], MONEY_METRICS)
    count_table = compare(counts(period), *[counts(p) if isinstance(p, P.Period) else p for p in comparison],
                          COUNT_METRICS)
    shown = f"去年同期: {last_year.label} ({last_year.start}~{last_year.end})"
    if period.kind != P.YEAR:
        shown = f"上期: {previous.label} ({previous.start}~{previous.end}); " + shown
    notes.insert(0, f"{shown}. 无数据: 台账未覆盖该期间; 不可比: 台账覆盖该期间不如本期完整, 不计变化率。")
    if period.kind == P.FIVE_DAY:
        notes.append("五日报的完成率按本月月初至本期末累计, 对本月目标计算。")
    by_rep = rep_attainment(tables, period)
    attainment = company_attainment(tables, period, by_rep)
    notes += basis_notes(attainment["basis"])
    if attainment["partial"]:
        notes.append(f"本期目标不全 (目标未覆盖本期全部 {len(period.months)} 个月), 不计完成率。")
    return PeriodData(period=period, previous=previous, last_year=last_year, totals=totals, money=money,
                      counts=count_table, by_rep=by_rep,
                      top_customers=top_customers(tables, customers, period.start, period.end, top),
                      by_category=by_category(tables, period.start, period.end),
                      work=work_summary(tables, first, period.start, period.end),
                      series=collection_series(tables, period),
                      new_customers=new_customers(first, period.start, period.end), notes=notes,
                      trend=month_trend(tables, Month.of(period.end)),
                      attainment=attainment)





def with_service_and_forecast(data: PeriodData, ctx: RunContext) -> PeriodData:
    """A 月报 with its 客户服务 section; a 月报 or 季报 with its 销售预报 to month end and quarter end as of the
    period's last day (on that day the period's own line is what was done; a 月报's quarter line is a forecast)."""
    p = data.period
    if p.kind not in (P.MONTH, P.QUARTER):
        return data
    month, quarter = P.period_containing(P.MONTH, p.end), P.period_containing(P.QUARTER, p.end)
    forecast = []
    for heading, window in ((f"月末 ({month.label})", month), (f"季末 ({quarter.label})", quarter)):
        by_rep = F.forecast(ctx.tables, ctx.allocation, ctx.workdays, p.end, window.start, window.end)
        forecast.append((heading, by_rep, F.totals(by_rep)))
    summary = feedback.period_summary(ctx.tables, ctx.settings, p.start, p.end) if p.kind == P.MONTH else None
    return replace(data, service=summary, forecast=tuple(forecast))


@dataclass(frozen=True)
class PeriodReports:
    """The report's ``data``: the periods this run produced, in order (none on most days)."""

    periods: tuple[PeriodData, ...]


# ---------------------------------------------------------------- layout

def _compare_cols(kind: str, period_kind: str = "") -> list[Col]:
    """The comparison table's columns; a 年报's previous period is last year, so it shows 同比 once."""
    earlier = [Col("上期", kind), Col("环比", PCT)] if period_kind != P.YEAR else []
    return [Col("指标"), Col("本期", kind), *earlier, Col("去年同期", kind), Col("同比", PCT)]


def key_figures(data: PeriodData) -> list[Figure]:
    """The first page's figures: the period's amounts with their change on the previous period (环比) and the
    same period last year (同比; a 年报 only 同比), the contracts signed, the company's 签约完成率 and 回款完成率
    (over the reps whose targets cover the period). Each equals the 本期 of the comparison tables below it (or
    the 业务员 sheet's rate rows for the attainment)."""
    def note(row: pd.Series) -> str:
        if data.period.kind == P.YEAR:
            return f"同比 {_pct_text(row['同比'])}"
        return f"环比 {_pct_text(row['环比'])} · 同比 {_pct_text(row['同比'])}"

    money = data.money.set_index("指标")
    counts = data.counts.set_index("指标")
    figures = [Figure(metric, int(money.at[metric, "本期"]), MONEY, note(money.loc[metric]))
               for metric in (CONTRACT_AMOUNT, COLLECTION_AMOUNT, SHIPMENT_AMOUNT, INVOICE_AMOUNT)]
    figures.append(Figure("新签合同", int(counts.at["合同数", "本期"]), INT, note(counts.loc["合同数"])))
    against = "本月累计对本月目标" if data.period.kind == P.FIVE_DAY else "对本期目标"
    if data.attainment.get("basis", {}).get("excluded"):
        against += f" (未计入 {len(data.attainment['basis']['excluded'])} 人, 见注)"
    missing = P.TARGETS_INCOMPLETE if data.attainment.get("partial") else "未设目标"
    figures += [Figure(rate, data.attainment.get(rate), PCT, against if data.attainment.get(rate) is not None
                       else missing) for rate, _, _ in P.RATES]
    return figures


def in_wan(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """A copy with the money ``columns`` (fen) in 万元 to 0.01 (half up), blanks kept.

    >>> in_wan(pd.DataFrame({"回款金额": [372_568_500, 0]}), ["回款金额"])["回款金额"].tolist()
    [Decimal('372.57'), Decimal('0.00')]
    """
    return frame.assign(**{c: [None if pd.isna(v) else fen_to_wan(v)
                               for v in frame[c]] for c in columns})


def chart_tables(data: PeriodData, aging: pd.DataFrame | None) -> list[Table]:
    """The tables the charts draw (sheet 图表数据), money in 万元: the 12 months' trend against target, the
    attainment per rep with the 100% line, the top customers by 回款, the period's 回款 with the cumulative line
    (``cumulative_series``), and, when the ledger ran, the aging buckets per rep (last: the others' places do
    not move)."""
    trend = data.trend if data.trend is not None else pd.DataFrame(columns=TREND_COLUMNS)
    rates = data.by_rep[[REP, P.SIGN_RATE, P.COLLECT_RATE]].assign(**{FULL: 1})
    for rate in (P.SIGN_RATE, P.COLLECT_RATE):  # a rep without a target has no bar (the chart draws numbers only)
        rates[rate] = [v if not isinstance(v, str) else None for v in rates[rate]]
    wan = lambda name: Col(name, NUMBER, total=False)  # noqa: E731
    series, lines = cumulative_series(data)
    key = "日期" if "日期" in series else "月份"
    tables = [Table([Col("月份"), *[wan(c) for c in TREND_COLUMNS[1:]]], in_wan(trend, TREND_COLUMNS[1:]),
                    heading=f"近{TREND_MONTHS}个月签约与回款 (万元)", autofilter=False),
              Table([Col(REP), Col(P.SIGN_RATE, PCT), Col(P.COLLECT_RATE, PCT), Col(FULL, PCT)], rates,
                    heading="业务员目标完成率", autofilter=False),
              Table([Col(CUSTOMER), wan(COLLECTION_AMOUNT)], in_wan(data.top_customers[[CUSTOMER, COLLECTION_AMOUNT]], [COLLECTION_AMOUNT]),
                    heading=f"客户回款前{len(data.top_customers)}名 (万元)", autofilter=False),
              Table([Col(key), *[wan(c) for c in (CONTRACT_AMOUNT, COLLECTION_AMOUNT, *lines)]],
                    in_wan(series, [CONTRACT_AMOUNT, COLLECTION_AMOUNT, *lines]), heading="回款趋势 (万元)", autofilter=False)]
    if aging is not None:
        tables.append(Table([Col(c, NUMBER if c != REP else "text", total=False) for c in aging.columns],
                            in_wan(aging, list(aging.columns[1:])), heading="应收账龄 (按业务员, 万元)",
                            autofilter=False))
    return tables


MIN_BARS = 3  # a top-N chart with fewer bars says nothing the table does not


def cumulative_series(data: PeriodData) -> tuple[pd.DataFrame, tuple[str, ...]]:
    """The 回款趋势 table with 累计回款 (the running sum) and, when the reps' targets cover the period (not a
    五日报: its target is the month's), the 回款目标 the cumulative line runs against; and the chart's lines."""
    series = data.series.assign(累计回款=data.series[COLLECTION_AMOUNT].cumsum() if len(data.series) else [])
    basis = data.attainment.get("basis") or {}
    target = basis.get(P.COLLECT_RATE, {}).get("target") if basis.get("reps") else None
    if target and data.period.kind != P.FIVE_DAY:
        return series.assign(回款目标=target), ("累计回款", COLLECTION_TARGET)
    return series, ("累计回款",)


def layout(data: PeriodData, company: str, aging: pd.DataFrame | None = None, aging_day: date | None = None
           ) -> WorkbookSpec:
    """The period workbook (sheets in the module docstring). ``aging``: the receivables' buckets per rep
    (业务员 and one column per bucket) as of ``aging_day``, drawn on the first page when given."""
    p = data.period
    title = f"{p.kind} {p.label}"
    subtitle = [f"期间 {p.start.isoformat()} ~ {p.end.isoformat()}", f"截至 {p.end.isoformat()}", company]
    money = [Col(c, MONEY) for c in (CONTRACT_AMOUNT, SHIPMENT_AMOUNT, INVOICE_AMOUNT, COLLECTION_AMOUNT)]
    series_key = "日期" if "日期" in data.series else "月份"
    series, cumulative_lines = cumulative_series(data)
    charts = [Chart(f"近{TREND_MONTHS}个月签约与回款 (万元; 虚线: 目标)", 0, "月份", (CONTRACT_AMOUNT, COLLECTION_AMOUNT), sheet=CHART_SHEET,
                    lines=(SALES_TARGET, COLLECTION_TARGET), below=True),
              Chart("业务员目标完成率 (虚线: 100%)", 1, REP, (P.SIGN_RATE, P.COLLECT_RATE), sheet=CHART_SHEET, lines=(FULL,),
                    percent=True, below=True),
              *([Chart(f"客户回款前{len(data.top_customers)}名 (万元)", 2, CUSTOMER, (COLLECTION_AMOUNT,), kind="bar",
                       sheet=CHART_SHEET, below=True)] if len(data.top_customers) >= MIN_BARS else [])]
    if aging is not None:
        charts.insert(2, Chart(f"应收账龄 (截至 {aging_day}, 万元)", 4, REP, tuple(aging.columns[1:]), kind="bar",
                               sheet=CHART_SHEET, stacked=True, below=True))
    basis = data.attainment.get("basis", {"excluded": []})
    rates = {rate: data.attainment.get(rate) for rate, _, _ in P.RATES}
    rates = {k: (v if not basis["excluded"] else "见下表") for k, v in rates.items() if v is not None}
    rate_table = basis_table(basis, "完成率合计 (只计目标覆盖本期的业务员" + ("; 合同、回款为本月月初至本期末累计)"
                                                                  if p.kind == P.FIVE_DAY else ")")) if basis.get("excluded") else None
    sheets = [
        Sheet("汇总", [Table(_compare_cols(MONEY, p.kind), data.money, heading=(
                               "金额 (元): 本期、去年同期 (同比)" if p.kind == P.YEAR else
                               "金额 (元): 本期、上期 (环比)、去年同期 (同比)"), autofilter=False),
                     Table(_compare_cols(INT, p.kind), data.counts, heading="数量", autofilter=False)],
              title=title, subtitle=[" · ".join(subtitle)], notes=data.notes, figures=key_figures(data),
              charts=charts, landscape=False, freeze=False),
        Sheet(REP, [Table([Col(REP), Col("合同数", INT), *money, Col(SALES_TARGET, MONEY), Col(P.SIGN_RATE, PCT),
                             Col(COLLECTION_TARGET, MONEY), Col(P.COLLECT_RATE, PCT)], data.by_rep, totals=True, totals_values=rates),
                       *([rate_table] if rate_table else [])],
              title=f"{title} 业务员业绩", subtitle=subtitle, notes=basis_notes(basis)),
        Sheet("客户排名", [Table([Col("排名", INT, total=False), Col(CUSTOMER), Col("回款笔数", INT), Col(COLLECTION_AMOUNT, MONEY),
                              Col("占比", PCT), Col(CONTRACT_AMOUNT, MONEY), Col(SHIPMENT_AMOUNT, MONEY)], data.top_customers,
                             totals=True, totals_label="前列客户合计")],
              title=f"{title} 客户排名 (按回款)", subtitle=subtitle, landscape=False),
        Sheet(PRODUCT_CATEGORY, [Table([Col(PRODUCT_CATEGORY), Col("合同数", INT), Col(CONTRACT_AMOUNT, MONEY), Col("占比", PCT)],
                             data.by_category, totals=True)],
              title=f"{title} 按产品类别 (合同金额)", subtitle=subtitle, landscape=False),
        Sheet("工作总结", [Table([Col(REP), *[Col(k, INT) for k in ACTIVITY_KINDS], Col("活动合计", INT), Col("新客户", INT),
                              Col("合同数", INT), Col(CONTRACT_AMOUNT, MONEY), Col(COLLECTION_AMOUNT, MONEY)], data.work, totals=True)],
              title=f"{title} 业务员工作总结", subtitle=subtitle),
        Sheet("回款趋势", [Table([Col(series_key), Col(CONTRACT_AMOUNT, MONEY), Col(COLLECTION_AMOUNT, MONEY),
                               *[Col(c, MONEY, total=False) for c in cumulative_lines]], series, totals=True)],
              title=f"{title} 回款趋势", subtitle=subtitle,
              charts=[Chart("回款" + ("按日" if series_key == "日期" else "按月")
                            + (" (线: 累计回款对回款目标)" if COLLECTION_TARGET in cumulative_lines else " (线: 累计回款)"),
                            3, series_key, (COLLECTION_AMOUNT,), lines=cumulative_lines, y_title="万元", sheet=CHART_SHEET)]),
        Sheet("新客户", [Table([Col(CUSTOMER), Col("首次日期", DATE), Col("首次来源"), Col(REP), Col(SRC_WORKBOOK),
                             Col(SRC_SHEET), Col(SRC_ROW, INT, total=False)], data.new_customers)],
              title=f"{title} 新客户", subtitle=subtitle),
        Sheet(CHART_SHEET, chart_tables(data, aging), title=f"{title} 图表数据", subtitle=subtitle, landscape=False,
              freeze=False),
    ]
    return WorkbookSpec(p.filename, sheets + extra_sheets(data, title, subtitle))


def extra_sheets(data: PeriodData, title: str, subtitle: list[str]) -> list[Sheet]:
    """客户服务 (月报) and 销售预报 (月报/季报), when computed (``with_service_and_forecast``)."""
    sheets = []
    if data.service is not None:
        sheets.append(Sheet("客户服务", [Table([Col("指标"), Col("数值", NUMBER), Col("说明")], data.service,
                                              autofilter=False)],
                            title=f"{title} 客户服务", subtitle=subtitle, landscape=False,
                            notes=["明细见当日的 客户服务跟踪 工作簿 (未结事项、投诉统计、应回访、满意度)。"]))
    if data.forecast:
        tables = [F.forecast_table(f"销售预报: {heading}", by_rep, line) for heading, by_rep, line in data.forecast]
        sheets.append(Sheet("销售预报", tables, title=f"{title} 销售预报", subtitle=subtitle,
                            notes=[f"按 {data.period.end.isoformat()} 的台账预报; 本期的最后一天, 本期的预报即实际完成。",
                                   *F.FOOTNOTES]))
    return sheets


def summary_text(data: PeriodData) -> str:
    """A few lines for the mail body."""
    t = data.totals
    lines = [f"{data.period.kind} {data.period.label} ({data.period.start}~{data.period.end})",
             f"新签合同 {t['合同数']} 份, 金额 ¥{fmt_yuan(t['合同金额'])}; 发货 ¥{fmt_yuan(t['发货金额'])}; "
             f"开票 ¥{fmt_yuan(t['开票金额'])}; 回款 ¥{fmt_yuan(t['回款金额'])}"]
    row = data.money[data.money["指标"] == COLLECTION_AMOUNT].iloc[0]
    lines.append(f"回款同比 {_pct_text(row['同比'])}" if data.period.kind == P.YEAR
                 else f"回款环比 {_pct_text(row['环比'])}, 同比 {_pct_text(row['同比'])}")
    return "\n".join(lines)


def _pct_text(value: object) -> str:
    if isinstance(value, str):
        return value
    if value is None or pd.isna(value):
        return "—"
    return f"{value * 100:+.1f}%"


def with_development(spec: WorkbookSpec, ctx: RunContext, period: P.Period) -> WorkbookSpec:
    """A 月报 with one more sheet, 新客户开发 (``books.activities``: per rep, then the customers being developed);
    any other period report as it is."""
    if period.kind != P.MONTH:
        return spec
    acts = activities(ctx.tables, ctx.customers, period.end)
    stale = ctx.settings.development.stale_days
    sheet = development_sheet(f"{period.kind} {period.label} 新客户开发",
                              [f"期间 {period.start.isoformat()} ~ {period.end.isoformat()}", ctx.settings.company.name],
                              development_by_rep(acts, ctx.tables, ctx.customers, period.start, period.end, stale),
                              development(acts, ctx.tables, ctx.customers, period.start, period.end, stale), stale)
    return replace(spec, sheets=[*spec.sheets, sheet])


# ---------------------------------------------------------------- 月报: 回款计划 vs actual (issue 19)

PLAN_REP_COLUMNS = [REP, "计划期次", "计划回款", "已回款", "计划完成率", "未回款"]


def plan_vs_actual(allocation, period: P.Period) -> pd.DataFrame:
    """Per rep (the contract's), the 回款计划 lines falling due in the period (到期日 as of its last day): their
    count, 计划回款 (their amounts), 已回款 (what of them was received by the last day, lines paid in 期次 order),
    计划完成率 and 未回款."""
    lines = plan_lines_as_of(allocation, period.end)
    due = lines[lines["到期日"].notna() & (lines["到期日"] >= pd.Timestamp(period.start))
                & (lines["到期日"] <= pd.Timestamp(period.end))]
    rows = [{REP: rep, "计划期次": len(g), "计划回款": int(g[PLANNED_AMOUNT].sum()), "已回款": int(g["已回款"].sum()),
             "计划完成率": P.ratio(int(g["已回款"].sum()), int(g[PLANNED_AMOUNT].sum())), "未回款": int(g["未回款"].sum())}
            for rep, g in due.groupby(REP, sort=True)]
    return pd.DataFrame(rows, columns=PLAN_REP_COLUMNS)


def with_plan_sheet(spec: WorkbookSpec, ctx: RunContext, period: P.Period) -> WorkbookSpec:
    """A 月报 with plan lines due in the month gets the sheet 回款计划 (``plan_vs_actual``), appended."""
    if period.kind != P.MONTH:
        return spec
    frame = plan_vs_actual(ctx.allocation, period)
    if frame.empty:
        return spec
    cols = [Col(REP), Col("计划期次", INT), Col("计划回款", MONEY), Col("已回款", MONEY), Col("计划完成率", PCT),
            Col("未回款", MONEY)]
    sheet = Sheet("回款计划", [Table(cols, frame, totals=True)], title=f"{period.kind} {period.label} 回款计划完成情况",
                  subtitle=[f"期间 {period.start.isoformat()} ~ {period.end.isoformat()}", ctx.settings.company.name,
                            "本月到期的回款计划期次: 计划回款 = 各期计划金额, 已回款 = 月末已收 (回款按期次顺序冲抵)"])
    return replace(spec, sheets=[*spec.sheets, sheet])


def with_presales_sheet(spec: WorkbookSpec, ctx: RunContext, period: P.Period) -> WorkbookSpec:
    """A 月报 gets the sheet 投标与报价 when the month had a quotation or a tender (issue 33), appended."""
    if period.kind != P.MONTH:
        return spec
    converted = period_conversion(ctx.tables["报价"], ctx.tables["合同"], period.start, period.end)
    bids = month_figures(ctx.tables["投标"], period.start, period.end)
    if converted.empty and not bids["投标数"] and not bids["保证金未退"]:
        return spec
    rate = bids["中标率"]
    decided = bids["中标数"] + bids["未中标数"]  # 中标率 shown as a percentage to 0.01 (1 of 2 → 50.00)
    rate_pct = float(fraction(bids["中标数"], decided) * 100) if decided else None
    figures = pd.DataFrame([{"指标": "投标数", "数值": bids["投标数"], "说明": "投标截止日期在本月、已投标/中标/未中标"},
                            {"指标": "中标数", "数值": bids["中标数"], "说明": f"未中标 {bids['未中标数']} 个"},
                            {"指标": "中标率 (%)", "数值": None if rate is None else rate_pct, "说明": "中标 ÷ (中标 + 未中标)"},
                            {"指标": "中标金额 (元)", "数值": bids[AWARD_AMOUNT] / 100, "说明": ""},
                            {"指标": "保证金未退 (元)", "数值": bids["保证金未退"] / 100, "说明": "月末已缴纳、尚未退回"}])
    cols = [Col(REP), Col("报价单数", INT), Col("已转合同", INT), Col("报价转化率", PCT), Col("平均转化天数", NUMBER, total=False)]
    sheet = Sheet("投标与报价", [Table([Col("指标"), Col("数值", NUMBER), Col("说明")], figures, heading="投标",
                                       autofilter=False),
                                 Table(cols, converted, heading="报价转化 (本月报价、月末前签约)", autofilter=False)],
                  title=f"{period.kind} {period.label} 投标与报价",
                  subtitle=[f"期间 {period.start.isoformat()} ~ {period.end.isoformat()}", ctx.settings.company.name])
    return replace(spec, sheets=[*spec.sheets, sheet])


# ---------------------------------------------------------------- entry point

NEEDS: tuple[str, ...] = ()  # earlier reports whose data ``build`` takes
USES = ("receivables",)  # the aging drawn on the first page, when the ledger ran (else None: no aging chart)


def build(ctx: RunContext, receivables: ReceivablesData | None = None) -> ReportOutput:
    due = P.due_periods(ctx.run_date, ctx.options.last_run_date, ctx.workdays)
    first = first_appearances(ctx.tables, ctx.customers) if due else None  # once for every report due
    computed = [with_service_and_forecast(compute(ctx.tables, ctx.customers, p, ctx.settings.reports.top_customers,
                                                  first), ctx) for p in due]
    aging = None if receivables is None else \
        receivables.by_rep[[REP, *bucket_labels(ctx.settings.receivables.aging_buckets)]]
    workbooks = [with_presales_sheet(with_plan_sheet(with_development(layout(d, ctx.settings.company.name, aging,
                                                                              ctx.run_date), ctx, d.period),
                                                     ctx, d.period), ctx, d.period) for d in computed]
    deliveries = [Delivery(report="period", title=d.period.title, attachments=[d.period.filename],
                           key_figure=f"回款 ¥{fmt_yuan(d.totals['回款金额'])}", summary_text=summary_text(d))
                  for d in computed]
    figures = {"produced": [{"kind": d.period.kind, "label": d.period.label, "file": d.period.filename,
                             "start": d.period.start.isoformat(), "end": d.period.end.isoformat(),
                             "contracts": d.totals["合同数"], "contract_amount_fen": d.totals[CONTRACT_AMOUNT],
                             "shipment_amount_fen": d.totals[SHIPMENT_AMOUNT], "invoice_amount_fen": d.totals[INVOICE_AMOUNT],
                             "collection_amount_fen": d.totals[COLLECTION_AMOUNT]} for d in computed],
               "last_run_date": str(ctx.options.last_run_date or "")}
    return ReportOutput(workbooks=workbooks, figures=figures, data=PeriodReports(tuple(computed)),
                        deliveries=deliveries)
