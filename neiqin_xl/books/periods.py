"""Every period rule: report periods and when they fall due, the month a month report covers, the month of a
row, the statement period; the sales figures of a date window.

Its place in the process: the books, after the allocation. The daily report (reports/daily.py) and the period
reports (reports/period_report.py) ask this module which days they cover and what was signed, shipped, invoiced and
collected in them; the commission, the expense audit and the reconciliation which month they cover; the
reconciliation and the shipping check which month a finance row belongs to; the statements where their period
starts. The month itself (``Month``: its text, parser, first and last day) is plain data in core/months.py,
because the intake (an earlier stage) reads months too.

Periods (``Period``): 五日报 for days 1-5, 6-10, 11-15, 16-20, 21-25 and 26-month end of every month (so the
sixth period is 26-28/29/30/31); 月报 (a calendar month), 季报 (a calendar quarter), 年报 (a calendar year).

The weekly 发货计划 is due on the first working day of each week (``weekly_due``), caught up the same way
(and on the workspace's first run, whatever the day).

When a period report is due (``due_periods``): on the first run on or after the period's last day. A run
produces every period whose last day lies in (last run date, run date], so a day on which the job did not
run is caught up by the next run. Without a last run date (the first run ever, or the run state was lost),
or when the last run date is not before the run date (a re-run of the same day), the run produces the
periods ending on the run date, and — when the run date is a working day — also those ending since the
previous working day (e.g. after a weekend or the Spring Festival holiday, a Monday run produces a period
that ended on the Saturday or Sunday). Working days follow ``workdays.Workdays`` (mainland China calendar
with 调休 and config overrides; the run's ``ctx.workdays``). The catch-up has no upper bound: every missed
period is produced.

The month reports (提成, 费用审核, 财务对账) cover a month (``core.months.Month``): ``month_window`` is the run
date's month up to the run date, or a month given by ``--month`` to its last day; ``month_option`` reads
``--month`` (``ctx.options.month``) and turns text that is no month into one 错误 Problem. ``months_of``
gives the month of each finance row; ``closed_statement_periods`` the periods the 对账函 confirm and
``statement_number`` their 对账编号.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import numpy as np
import pandas as pd

from .workdays import Workdays, monday_of
from ..core.columns import each_once, text_values
from ..core.model import ERROR, REP, Problem, Tables, fraction, round_half_up
from ..core.months import EXAMPLE, Month, month_texts
from ..core.schema import (COLLECTION_AMOUNT, COLLECTION_DATE, COLLECTION_TARGET, CONTRACT_AMOUNT, INVOICE_AMOUNT,
                           INVOICE_DATE, SALES_TARGET, SHIPMENT_AMOUNT, SHIPMENT_DATE, SIGNING_DATE)

FIVE_DAY = "五日报"
MONTH = "月报"
QUARTER = "季报"
YEAR = "年报"
KINDS = (FIVE_DAY, MONTH, QUARTER, YEAR)
WEEK = "周"  # Monday to Sunday: the reps' 周工作总结 (not a period report, so not in KINDS)
FIVE_DAY_STARTS = (1, 6, 11, 16, 21, 26)

FIGURE_COLUMNS = ["合同数", CONTRACT_AMOUNT, SHIPMENT_AMOUNT, INVOICE_AMOUNT, COLLECTION_AMOUNT]


@dataclass(frozen=True)
class Period:
    """One report period: its kind (五日报/月报/季报/年报) and its first and last day (inclusive)."""

    kind: str
    start: date
    end: date

    @property
    def label(self) -> str:
        """'2026年11月第6期(26-30日)' / '2026年11月' / '2026年第4季度' / '2026年'."""
        if self.kind == FIVE_DAY:
            number = FIVE_DAY_STARTS.index(self.start.day) + 1
            return f"{self.start.year}年{self.start.month}月第{number}期({self.start.day}-{self.end.day}日)"
        if self.kind == WEEK:
            return f"{self.start.isoformat()}~{self.end.isoformat()}"
        if self.kind == MONTH:
            return f"{self.start.year}年{self.start.month}月"
        if self.kind == QUARTER:
            return f"{self.start.year}年第{quarter_of(self.start)}季度"
        return f"{self.start.year}年"

    @property
    def code(self) -> str:
        """The period as it appears in file names and titles: 2026-11-26_2026-11-30 / 2026-11 / 2026Q4 / 2026."""
        if self.kind in (FIVE_DAY, WEEK):
            return f"{self.start.isoformat()}_{self.end.isoformat()}"
        if self.kind == MONTH:
            return f"{self.start:%Y-%m}"
        if self.kind == QUARTER:
            return f"{self.start.year}Q{quarter_of(self.start)}"
        return str(self.start.year)

    @property
    def filename(self) -> str:
        """五日报_2026-11-26_2026-11-30.xlsx / 月报_2026-11.xlsx / 季报_2026Q4.xlsx / 年报_2026.xlsx."""
        return f"{self.kind}_{self.code}.xlsx"

    @property
    def title(self) -> str:
        """'五日报 2026-11-26~2026-11-30' / '月报 2026-11' / '季报 2026Q4' / '年报 2026' (mail subject)."""
        if self.kind == FIVE_DAY:
            return f"{self.kind} {self.start.isoformat()}~{self.end.isoformat()}"
        return f"{self.kind} {self.code}"

    @property
    def months(self) -> list[Month]:
        """The months the period touches, for targets."""
        out, month = [], Month.of(self.start)
        while month.first <= self.end:
            out.append(month)
            month = month.shift(1)
        return out


# ---------------------------------------------------------------- calendar arithmetic

def quarter_of(day: date) -> int:
    return (day.month - 1) // 3 + 1


def period_containing(kind: str, day: date) -> Period:
    """The period of ``kind`` that contains ``day``."""
    if kind == FIVE_DAY:
        start_day = max(s for s in FIVE_DAY_STARTS if s <= day.day)
        end = Month.of(day).last if start_day == 26 else day.replace(day=start_day + 4)
        return Period(kind, day.replace(day=start_day), end)
    if kind == MONTH:
        return Period(kind, day.replace(day=1), Month.of(day).last)
    if kind == QUARTER:
        first_month = (quarter_of(day) - 1) * 3 + 1
        return Period(kind, date(day.year, first_month, 1), Month.of(date(day.year, first_month + 2, 1)).last)
    if kind == YEAR:
        return Period(kind, date(day.year, 1, 1), date(day.year, 12, 31))
    if kind == WEEK:
        monday = monday_of(day)
        return Period(kind, monday, monday + timedelta(days=6))
    raise ValueError(f"未知的报表期间 {kind!r}, 应为 {'/'.join(KINDS)}")


def periods_ending(day: date) -> list[Period]:
    """The periods whose last day is ``day``, in the order 五日报, 月报, 季报, 年报."""
    return [p for p in (period_containing(k, day) for k in KINDS) if p.end == day]


def periods_ending_between(after: date, upto: date) -> list[Period]:
    """Every period whose last day lies in (after, upto], by last day then kind."""
    out, day = [], after + timedelta(days=1)
    while day <= upto:
        out.extend(periods_ending(day))
        day += timedelta(days=1)
    return out


def previous_period(period: Period) -> Period:
    """The period just before (环比)."""
    return period_containing(period.kind, period.start - timedelta(days=1))


def same_period_last_year(period: Period) -> Period:
    """The same period one year earlier (同比); the 26-month-end 五日报 of 2028-02 (26-29) maps to 2027-02-26..28."""
    start = period.start.replace(year=period.start.year - 1)
    return period_containing(period.kind, start)


_STATEMENT_KINDS = {"month": MONTH, "quarter": QUARTER, "year": YEAR}


def closed_statement_periods(day: date, kind: str, count: int) -> list[Period]:
    """The ``count`` latest 对账函 periods (``statements.period``) that ended before ``day``, latest first.

    >>> [p.code for p in closed_statement_periods(date(2026, 12, 1), "month", 3)]
    ['2026-11', '2026-10', '2026-09']
    >>> [p.code for p in closed_statement_periods(date(2026, 12, 31), "quarter", 2)]
    ['2026Q3', '2026Q2']
    """
    periods = [period_containing(_STATEMENT_KINDS[kind], day)]
    for _ in range(count):
        periods.append(previous_period(periods[-1]))
    return periods[1:]


def statement_number(period: Period, code: str) -> str:
    """The 对账编号 of a customer's letter for ``period``: DZ-<period>-<客户编码>.

    >>> [statement_number(period_containing(k, date(2026, 11, 5)), "K001") for k in (MONTH, QUARTER, YEAR)]
    ['DZ-202611-K001', 'DZ-2026Q4-K001', 'DZ-2026-K001']
    """
    return f"DZ-{period.code.replace('-', '')}-{code}"


# ---------------------------------------------------------------- the month of the month reports

@dataclass(frozen=True)
class MonthWindow:
    """The days a month report covers: ``start`` (the 1st) to ``end`` (the run date, or the month's last day
    for a past month)."""

    month: Month
    start: date
    end: date


def month_window(run_date: date, month: Month | None = None) -> MonthWindow:
    """The run date's month up to the run date; a given month (``--month``) to its last day, or to the run
    date when it is the run date's month.

    >>> month_window(date(2026, 11, 20))
    MonthWindow(month='2026-11', start=datetime.date(2026, 11, 1), end=datetime.date(2026, 11, 20))
    >>> month_window(date(2026, 11, 20), Month("2026-10")).end
    datetime.date(2026, 10, 31)
    """
    month = month or Month.of(run_date)
    end = min(run_date, month.last) if run_date >= month.first else month.last
    return MonthWindow(month, month.first, end)


def month_is_final(month: Month, run_date: date, calendar: Workdays) -> bool:
    """A month's figures are final from its last working day on; before it they are provisional (暂估)."""
    return run_date >= calendar.last_of_month(month)


def month_option(value: object, report: str) -> tuple[Month | None, list[Problem]]:
    """The month ``--month`` asks for (``ctx.options.month``): (None, []) when not given, (the month, [])
    when it is one, (None, [one 错误]) when the text is no month; ``report`` (e.g. 提成计算表) is named in
    the problem as not produced.

    >>> month_option(None, "提成计算表"), month_option(" 2026-10 ", "提成计算表")
    ((None, []), ('2026-10', []))
    >>> month, problems = month_option("2026-13", "提成计算表")
    >>> month, [(p.severity, p.field, p.value, p.message) for p in problems]
    (None, [('错误', '--month', '2026-13', '不是有效月份, 未生成提成计算表')])
    """
    if value is None or str(value).strip() == "":
        return None, []
    month = Month.parse(value)
    if month is not None:
        return month, []
    return None, [Problem(ERROR, f"不是有效月份, 未生成{report}", field="--month", value=str(value),
                          suggestion=f"请写成 YYYY-MM 重新运行 ({EXAMPLE})")]


def months_of(frame: pd.DataFrame, date_column: str | None = None) -> pd.Series:
    """The month of each (finance) row: its 月份 when that is a month, else the month of ``date_column``;
    "" when neither says one.

    >>> frame = pd.DataFrame({"月份": ["2026-10", None, "x"], "日期": pd.to_datetime(["2026-11-02", "2026-11-03", None])})
    >>> list(months_of(frame, "日期"))
    ['2026-10', '2026-11', '']
    """
    given = text_values(frame, "月份") if "月份" in frame else np.full(len(frame), "", dtype=object)
    month = pd.Series(each_once(lambda text: str(Month.parse(text) or ""), given), index=frame.index, dtype=object)
    if date_column and date_column in frame:
        from_date = [m or "" for m in month_texts(pd.to_datetime(frame[date_column], errors="coerce"))]
        month = month.where(month != "", pd.Series(from_date, index=frame.index, dtype=object))
    return month


# ---------------------------------------------------------------- when reports are due

def due_periods(run_date: date, last_run_date: date | None, calendar: Workdays) -> list[Period]:
    """The period reports this run produces (see the module docstring for the rule)."""
    if last_run_date is not None and last_run_date < run_date:
        return periods_ending_between(last_run_date, run_date)
    if calendar.is_workday(run_date):
        return periods_ending_between(calendar.previous(run_date), run_date)
    return periods_ending(run_date)


def weekly_due(run_date: date, last_run_date: date | None, calendar: Workdays) -> bool:
    """Is the weekly report (the 发货计划) due? On the first working day of each week; when the job did not run
    that day, on the next working day's run of the same week: due when the run date is a working day and the
    week's first working day lies in (last run date, run date]. The workspace's first run (no last run date)
    makes this week's on any working day: production should not wait for Monday. A rerun (the last run date
    is not before the run date) makes it only on the week's first working day.

    >>> s = Workdays()
    >>> weekly_due(date(2026, 12, 1), date(2026, 11, 27), s), weekly_due(date(2026, 12, 1), date(2026, 11, 30), s)
    (True, False)
    >>> weekly_due(date(2026, 12, 1), None, s), weekly_due(date(2026, 12, 1), date(2026, 12, 1), s)
    (True, False)
    """
    if not calendar.is_workday(run_date):
        return False
    first = calendar.first_of_week(run_date)
    if last_run_date is None:
        return True
    if last_run_date < run_date:
        return last_run_date < first <= run_date
    return first == run_date
def week_due_day(week: Period, calendar: Workdays) -> date:
    """The first working day after the week's Sunday: when its 周工作总结 is made (a Monday, unless a holiday)."""
    return calendar.following(week.end)


def weeks_due(run_date: date, last_run_date: date | None, calendar: Workdays) -> list[Period]:
    """The weeks (Monday-Sunday) whose 周工作总结 this run makes: those whose due day (``week_due_day``) lies in
    (last run date, run date]; without a last run date before the run date, the one due on the run date
    (after the National Day holiday of 2026, the week of 09-28 is due on Thursday 10-08).

    >>> s = Workdays()
    >>> [w.code for w in weeks_due(date(2026, 11, 30), None, s)]
    ['2026-11-23_2026-11-29']
    >>> [w.code for w in weeks_due(date(2026, 12, 8), date(2026, 11, 27), s)]
    ['2026-11-23_2026-11-29', '2026-11-30_2026-12-06']
    >>> weeks_due(date(2026, 12, 1), None, s), [w.code for w in weeks_due(date(2026, 10, 8), None, s)]
    ([], ['2026-09-28_2026-10-04'])
    """
    after = last_run_date if last_run_date is not None and last_run_date < run_date else run_date - timedelta(days=1)
    weeks, week = [], period_containing(WEEK, after - timedelta(days=14))
    while week.start <= run_date:
        if after < week_due_day(week, calendar) <= run_date:
            weeks.append(week)
        week = period_containing(WEEK, week.end + timedelta(days=1))
    return weeks


# ---------------------------------------------------------------- the figures of a date window

def rows_between(frame: pd.DataFrame, column: str, start: date, end: date) -> pd.DataFrame:
    """Rows whose ``column`` (a date) lies in [start, end]; NaT rows (shipping requests) never do."""
    if frame.empty or column not in frame:
        return frame.iloc[0:0]
    values = frame[column]
    return frame[values.notna() & (values >= pd.Timestamp(start)) & (values <= pd.Timestamp(end))]


def _rep_column(frame: pd.DataFrame) -> pd.Series:
    return frame[REP].fillna("").astype(str) if REP in frame else pd.Series([""] * len(frame), index=frame.index)


def _sum_by_rep(frame: pd.DataFrame, amount: str) -> pd.Series:
    if frame.empty:
        return pd.Series(dtype="int64")
    return frame[amount].astype("int64").groupby(_rep_column(frame)).sum()


def window_figures(tables: Tables, start: date, end: date) -> dict[str, int]:
    """Company totals of [start, end]: 合同数, 合同金额, 发货金额, 开票金额, 回款金额 (fen)."""
    contracts = rows_between(tables["合同"], SIGNING_DATE, start, end)
    return {"合同数": int(len(contracts)),
            CONTRACT_AMOUNT: int(contracts[CONTRACT_AMOUNT].sum()) if len(contracts) else 0,
            SHIPMENT_AMOUNT: int(rows_between(tables["发货"], SHIPMENT_DATE, start, end)[SHIPMENT_AMOUNT].sum()),
            INVOICE_AMOUNT: int(rows_between(tables["开票"], INVOICE_DATE, start, end)[INVOICE_AMOUNT].sum()),
            COLLECTION_AMOUNT: int(rows_between(tables["回款"], COLLECTION_DATE, start, end)[COLLECTION_AMOUNT].sum())}


def window_figures_by_rep(tables: Tables, start: date, end: date) -> pd.DataFrame:
    """Per rep (业务员 of each row: the contract's rep for 发货/开票, the holding workbook's for 回款):
    合同数, 合同金额, 发货金额, 开票金额, 回款金额 of [start, end], fen; one row per rep with any of them."""
    contracts = rows_between(tables["合同"], SIGNING_DATE, start, end)
    parts = {"合同数": contracts.groupby(_rep_column(contracts)).size() if len(contracts) else pd.Series(dtype="int64"),
             CONTRACT_AMOUNT: _sum_by_rep(contracts, CONTRACT_AMOUNT),
             SHIPMENT_AMOUNT: _sum_by_rep(rows_between(tables["发货"], SHIPMENT_DATE, start, end), SHIPMENT_AMOUNT),
             INVOICE_AMOUNT: _sum_by_rep(rows_between(tables["开票"], INVOICE_DATE, start, end), INVOICE_AMOUNT),
             COLLECTION_AMOUNT: _sum_by_rep(rows_between(tables["回款"], COLLECTION_DATE, start, end), COLLECTION_AMOUNT)}
    frame = pd.DataFrame(parts).fillna(0).astype("int64")
    frame.index.name = REP
    return frame.reset_index().sort_values(REP, kind="stable").reset_index(drop=True)[[REP, *FIGURE_COLUMNS]]


def targets_by_rep(tables: Tables, months: list[str]) -> pd.DataFrame:
    """业务员, 销售目标, 回款目标: the sum of the reps' targets over ``months`` (YYYY-MM)."""
    targets = tables["目标"]
    if targets.empty:
        return pd.DataFrame({REP: pd.Series(dtype="str"), SALES_TARGET: pd.Series(dtype="int64"),
                             COLLECTION_TARGET: pd.Series(dtype="int64")})
    chosen = targets[targets["月份"].astype(str).str.strip().isin(months)]
    grouped = chosen.groupby(chosen["姓名"].astype(str))[[SALES_TARGET, COLLECTION_TARGET]].sum().astype("int64")
    grouped.index.name = REP
    return grouped.reset_index()


def prorated_targets(tables: Tables, start: date, end: date, calendar: Workdays) -> pd.DataFrame:
    """业务员, 销售目标, 回款目标 for [start, end]: each month's target × the month's working days in the window
    ÷ the month's working days, summed over the months the window touches, rounded half up to the fen. A
    whole month counts its whole target; a month without working days counts nothing.

    >>> t = Tables({"目标": pd.DataFrame({"月份": ["2026-11"], "姓名": ["张伟"], "销售目标": [21_000_00],
    ...                                  "回款目标": [10_000_00]})})
    >>> prorated_targets(t, date(2026, 11, 23), date(2026, 11, 29), Workdays()).to_dict("records")
    [{'业务员': '张伟', '销售目标': 500000, '回款目标': 238095}]
    """
    parts = []
    month = Month.of(start)
    while month.first <= end:
        days = calendar.in_range(month.first, month.last)
        inside = calendar.in_range(max(start, month.first), min(end, month.last))
        targets = targets_by_rep(tables, [month])
        if days and len(targets):
            share = Decimal(inside) / Decimal(days)
            for column in (SALES_TARGET, COLLECTION_TARGET):
                targets[column] = [round_half_up(Decimal(int(v)) * share) for v in targets[column]]
            parts.append(targets)
        month = month.shift(1)
    if not parts:
        return targets_by_rep(tables, [])
    frame = pd.concat(parts).groupby(REP, sort=True)[[SALES_TARGET, COLLECTION_TARGET]].sum()
    return frame.astype("int64").reset_index()


def ratio(part: int, whole: int | None) -> Decimal | None:
    """part / whole as a Decimal fraction to 4 places (for a pct column); None when whole is missing or 0."""
    if whole is None or pd.isna(whole) or int(whole) == 0:
        return None
    return fraction(part, whole)


def change(current: int, previous: int) -> Decimal | None:
    """(current − previous) / previous, as a fraction; None when previous is 0."""
    if not previous:
        return None
    return fraction(int(current) - int(previous), previous)


_LEDGER_DATES = (("合同", SIGNING_DATE), ("发货", SHIPMENT_DATE), ("开票", INVOICE_DATE), ("回款", COLLECTION_DATE))  # (sheet, its date)


def books_start(tables: Tables) -> date | None:
    """The earliest business date in the books (contracts, shipments, invoices, collections, activities)."""
    firsts = []
    for sheet, column in (*_LEDGER_DATES, ("日报", "日期")):
        frame = tables[sheet]
        if len(frame) and column in frame and frame[column].notna().any():
            firsts.append(frame[column].min().date())
    return min(firsts) if firsts else None


# ---------------------------------------------------------------- comparisons between like periods (issue 31)

SIGN_RATE = "签约完成率"  # 合同金额 ÷ 销售目标, the one meaning in every report (日报, 月报, 工作总结)
COLLECT_RATE = "回款完成率"  # 回款金额 ÷ 回款目标
RATES = ((SIGN_RATE, CONTRACT_AMOUNT, SALES_TARGET), (COLLECT_RATE, COLLECTION_AMOUNT, COLLECTION_TARGET))  # (rate, actual, target)
NOT_COMPARABLE = "不可比"
NO_TARGET = "无目标"
TARGETS_INCOMPLETE = "目标不全"


def months_with_data(tables: Tables) -> set[str]:
    """The months (YYYY-MM) in which any ledger (合同, 发货, 开票, 回款) holds a dated row."""
    months: set[str] = set()
    for sheet, column in _LEDGER_DATES:
        frame = tables[sheet]
        if len(frame) and column in frame:
            months.update(m for m in month_texts(frame[column].dropna()) if m)
    return months


@dataclass(frozen=True)
class Coverage:
    """How much of a period the ledgers cover: ``covered`` of ``total`` units (months; days for a 五日报 or week)."""

    covered: int
    total: int
    unit: str

    @property
    def text(self) -> str:
        """'1/12 个月'."""
        return f"{self.covered}/{self.total} {self.unit}"

    def at_least(self, other: "Coverage") -> bool:
        """Covered as fully as ``other`` (as a share of the period), and at all."""
        return self.covered > 0 and self.covered * other.total >= other.covered * self.total


def coverage(period: Period, months: set[str], books_from: date | None) -> Coverage:
    """The ledgers' coverage of ``period``: a month, quarter or year by its months with data (``months_with_data``);
    a 五日报 or week by its days from the first date any ledger holds (``books_start``). A month counts when a
    ledger holds a row of it or when it lies wholly after that first date (a quiet month is still covered).

    >>> coverage(period_containing(YEAR, date(2025, 6, 1)), {"2025-12", "2026-01"}, date(2025, 12, 3)).text
    '1/12 个月'
    >>> coverage(period_containing(FIVE_DAY, date(2025, 12, 1)), set(), date(2025, 12, 3)).text
    '3/5 天'
    """
    if period.kind in (FIVE_DAY, WEEK):
        total = (period.end - period.start).days + 1
        if books_from is None or books_from > period.end:
            return Coverage(0, total, "天")
        return Coverage((period.end - max(books_from, period.start)).days + 1, total, "天")
    covered = sum(1 for m in period.months if str(m) in months or (books_from is not None and books_from <= m.first))
    return Coverage(covered, len(period.months), "个月")


def comparable(current: Coverage, earlier: Coverage) -> bool:
    """An earlier period is compared with the current one only when the ledgers cover it as fully.

    >>> comparable(Coverage(12, 12, "个月"), Coverage(1, 12, "个月")), comparable(Coverage(3, 3, "个月"), Coverage(3, 3, "个月"))
    (False, True)
    """
    return earlier.at_least(current)


# ---------------------------------------------------------------- targets said, not assumed (issue 31)

def target_months_by_rep(tables: Tables, months: list) -> dict[str, int]:
    """How many of ``months`` (Month or YYYY-MM) each rep has a target row for."""
    targets = tables["目标"]
    if targets.empty:
        return {}
    wanted = {str(m) for m in months}
    chosen = targets[targets["月份"].astype(str).str.strip().isin(wanted)]
    return {str(rep): int(g["月份"].astype(str).str.strip().nunique()) for rep, g in chosen.groupby(chosen["姓名"].astype(str))}


def target_status(have: int, total: int) -> str:
    """'' (every month of the period has a target), 无目标, or '目标不全 (1/3 个月)'."""
    if have >= total:
        return ""
    return NO_TARGET if have == 0 else f"{TARGETS_INCOMPLETE} ({have}/{total} 个月)"


def rate_basis(frame: pd.DataFrame, status: pd.Series) -> dict:
    """The company's rates over the reps whose targets cover the period (``status`` ''): for each rate its
    actual and target sums (so a reader recomputes it) and the rate; the reps left out by name.

    ``frame`` holds per rep the RATES' actual and target columns (named as in RATES)."""
    inside = frame[status.values == ""]
    basis: dict = {"reps": int(len(inside)), "excluded": [f"{r} ({s})" for r, s in zip(frame[REP], status) if s]}
    for rate, actual, target in RATES:
        a = int(inside[actual].sum()) if len(inside) else 0
        t = int(inside[target].fillna(0).sum()) if len(inside) else 0
        basis[rate] = {"actual": a, "target": t, "rate": ratio(a, t) if t else None}
    return basis
