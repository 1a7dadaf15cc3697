"""销售日报: the day's and the month's sales per rep, with the day's highlights (今日要点), mailed before 17:00.

Its place in the process: after the receivables and shipping check, before the period reports. Produced on
working days only (``DUE``, ``books.due.WORKING_DAYS``: mainland China calendar with 调休); ``--force``
or ``--only daily`` produces it on any day.

Figures for the run date D and the month to date (the 1st of D's month to D), per rep and in total:
new contracts (count, 合同金额, by 签订日期), shipments (发货金额 of rows with a 发货日期; a 待发货 request is
not a shipment), collections (回款金额 by 回款日期). Reps as in ``periods.window_figures_by_rep``. The month's
销售目标 and 回款目标 (sheet 目标, 月份 = D's month) with attainment: month-to-date 合同金额 / 销售目标 and
回款金额 / 回款目标 (blank without a target). 回款排名 ranks the reps by month-to-date collections, highest
first; equal amounts share the better rank (1, 2, 2, 4).

今日要点 (highlights), in this order:
- 大额合同: contracts signed on D with 合同金额 ≥ ``reports.big_contract_amount`` (yuan, compared in fen);
- 今日逾期: receivable items still unpaid on D (``allocation.due_parts_as_of``: a contract with a 回款计划 has
  each open part due on its plan line's date) that became overdue since the
  previous working day P: P ≤ 到期日 < D (an item is overdue the day after its 到期日; the window covers
  weekends and holidays, so a Monday report lists what fell due on Friday, Saturday and Sunday);
- 暂缓发货: the requests the 发货审核 held (``ShippingData.held``). The daily report ``USES`` the shipping check:
  it is handed its data when the check ran, and the section is left out when it did not (``--only daily``) or
  failed, so a failed check never costs the clerk the daily report;
- 交期已过: contracts whose 约定交货日期 passed since the previous working day (P ≤ 约定交货日期 < D) and
  whose shipments up to D fall short of 合同金额;
- 货物跟踪: one line counting the shipments the 货物跟踪 lists (unsigned past ``tracking.unsigned_days`` working
  days, without 物流单号); the daily report ``USES`` the tracking report, as the shipping check;
- 投诉超时: open complaints past ``service.response_days`` working days (``books.feedback.overdue_complaints``;
  listed every day until the customer has had an answer);
- 投标: bids due within ``tenders.remind_days`` working days, bid bonds to chase, 中标 tenders without a contract
  (``books.tenders``; master/投标台账.xlsx, when the clerk keeps one; issue 33);
- 数据问题: per rep, the 错误 and 警告 found so far in the run (``ctx.problems``);
  a rep whose workbook, sheet or required column was not read (``roster.incomplete_reps``) also has the reason in
  a 数据不全 column of the per-rep table (the column only when some rep has one) and of the text summary;
- 台账变更: one line counting the changes in the reps' workbooks since the last official run and how many reach
  into earlier or closed months (the 变更记录, which the daily report ``USES``; ``with_changes``);
- 回款提醒: the 回款计划 lines late or falling due within ``reminders.collection_days_before`` days, with the
  customer's contact and phone (``plans.reminder_lines``; the reps get theirs from ``collection_reminders``).

销售预报 (``books.forecast``): one line per rep and the total, to month end, of 回款 (the weighted figure, with
the run rate beside it) and 签约 (run rate) against the month's targets, on its own sheet 销售预报 (its columns
differ from the per-rep table's); the company's month-end and quarter-end lines and the methods are notes of the
日报 sheet, so the first page carries the headline. The mail's text and HTML carry the block too
(templates/daily_forecast.html.j2).

Workbook 销售日报_<D>.xlsx: sheet 日报 (one A4 landscape page: the key figures (``key_figures``, amounts in 万元
to one decimal: 今日回款 and 今日签约 with ↑/↓ against the previous working day and the same day last month,
本月回款 and 本月签约 against last month to the same day and their targets, 回款完成率 and 签约完成率 with ↑/↓ in
percentage points against the previous working day, 应收余额 and 逾期 from the receivables ledger when it ran,
暂缓发货), the per-rep table with a totals row, a line counting the highlights),
sheet 今日要点 (the highlight rows: their columns differ from the per-rep table's, so they never share its
widths), and the details 今日合同, 今日发货, 今日回款. The mail carries the summary as plain text and as an HTML
fragment (templates/daily_summary.html.j2, inline styles) read first on a phone: the same key figures (one
``key_figures`` for both) as tiles, 52.0 万元 with the same ↑/↓,
a per-rep table of four columns, 回款完成率 per rep as bars drawn with table cells (no images: Outlook blocks
them), then 今日要点.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from pathlib import Path

import jinja2
import pandas as pd

from ..books import forecast as F
from ..books import periods as P
from ..books import feedback
from ..books import tenders as T
from ..books import workdays
from ..books.allocation import Allocation, due_parts_as_of, plan_lines_as_of
from ..books.collection_plans import reminder_lines
from ..books.context import RunContext
from ..books.due import WORKING_DAYS
from ..books.roster import incomplete_reps, rep_names, workbook_keepers
from ..core.output import Delivery, ReportOutput
from ..core.model import (ERROR, REP, SRC_ROW, SRC_SHEET, SRC_WORKBOOK, WARNING, Problem, Tables, fen_to_wan, fmt_yuan, round_half_up,
                          yuan_to_fen, text as _text)
from ..core.results import REQUEST_DATE, ReceivablesData, ShippingData, TrackingData
from ..core.months import Month
from ..core.sheets import DATE, INT, MONEY, PCT, TEXT, Col, Figure, Sheet, Table, WorkbookSpec
from ..core.schema import (ACCOUNT_REP, AGREED_DELIVERY_DATE, AWARD_AMOUNT, BANK_REF, BID_BOND, BID_DEADLINE,
                           BID_OPENING_DATE, COLLECTION_AMOUNT, COLLECTION_DATE, COLLECTION_METHOD, COLLECTION_TARGET,
                           CONTACT, CONTRACT_AMOUNT, CONTRACT_NO, CUSTOMER, PAYMENT_TERM, PRODUCT, SALES_TARGET,
                           SHIPMENT_AMOUNT, SHIPMENT_DATE, SHIPMENT_NO, SIGNING_DATE, TENDER_ISSUER, TRACKING_NO)

TEMPLATE_DIR = Path(__file__).resolve().parents[2] / "templates"
TEMPLATE_NAME = "daily_summary.html.j2"
FORECAST_TEMPLATE = "daily_forecast.html.j2"  # the 销售预报 block, after the summary

DAY_COLUMNS = ["今日合同数", "今日合同金额", "今日发货", "今日回款"]
MONTH_COLUMNS = ["本月合同数", "本月合同金额", "本月发货", "本月回款"]
REP_COLUMNS = [REP, *DAY_COLUMNS, *MONTH_COLUMNS, SALES_TARGET, P.SIGN_RATE, COLLECTION_TARGET, P.COLLECT_RATE, "回款排名"]
TOP_KINDS = ("暂缓发货", "今日逾期", "交期已过", "大额合同")  # what the first page's 今日要点 (top five) are chosen from
TOP = 5
INCOMPLETE = "数据不全"  # the per-rep table's column, only when a rep's workbook, sheet or column was not read
HIGHLIGHT_COLUMNS = ["类别", CUSTOMER, CONTRACT_NO, REP, "日期", "金额", "说明"]
BIG, OVERDUE, HELD, LATE, ISSUES = "大额合同", "今日逾期", "暂缓发货", "交期已过", "数据问题"
UNSIGNED = "货物跟踪"
CHANGES = "台账变更"
STATEMENTS = "对账函"
REMIND = "回款提醒"
COMPLAINT_LATE = "投诉超时"
BID_DUE, BOND_DUE, WON_NO_CONTRACT = "投标截止", "保证金待退", "中标未签合同"
SOURCE = [Col(SRC_WORKBOOK), Col(SRC_SHEET), Col(SRC_ROW, INT, total=False)]


@dataclass(frozen=True)
class DailyData:
    """What the daily report computed (its ``data``; money in fen, ratios as Decimal fractions)."""

    day: date
    by_rep: pd.DataFrame  # REP_COLUMNS
    totals: dict  # company figures: the same keys as a by_rep row (ratios over the totals), no 业务员/回款排名
    highlights: pd.DataFrame  # HIGHLIGHT_COLUMNS
    contracts: pd.DataFrame  # signed on D
    shipments: pd.DataFrame  # shipped on D
    collections: pd.DataFrame  # collected on D
    shipping_checked: bool  # whether a 发货审核 table was available
    forecast: pd.DataFrame | None = None  # 销售预报 to month end, books.forecast.FORECAST_COLUMNS per rep
    forecast_totals: dict | None = None  # the company's line of it (books.forecast.totals)
    quarter_totals: dict | None = None  # the company's forecast to quarter end
    compare: Comparison | None = None  # what the key figures are compared with (``comparison``)


@dataclass(frozen=True)
class Comparison:
    """What the key figures are compared with: the previous working day (``yesterday``), the same day last month
    (``last_day``) and last month from its 1st to that day (``last_month``), company totals in fen as
    ``periods.window_figures``; the company's 签约完成率 and 回款完成率 as of the previous working day
    (``rates``: None when that day lies in an earlier month, whose targets are another month's)."""

    previous: date
    yesterday: dict
    last_day: dict
    last_month: dict
    rates: dict | None


# ---------------------------------------------------------------- pure computations

def daily_by_rep(tables: Tables, day: date, also: Iterable[str] = ()) -> pd.DataFrame:
    """REP_COLUMNS: each rep's day and month-to-date figures, the month's targets, attainment (签约完成率 =
    本月合同金额 ÷ 销售目标, 回款完成率 = 本月回款 ÷ 回款目标) and rank. A rep without a target for the month
    reads 无目标 in both rates and is not ranked; the others are ranked by month-to-date collections. ``also``:
    reps listed even with no figure (the roster's reps whose data was not read, ``roster.incomplete_reps``: a rep
    whose whole workbook failed has no row anywhere, and would otherwise vanish from the table)."""
    today = P.window_figures_by_rep(tables, day, day).set_index(REP)
    month = P.window_figures_by_rep(tables, day.replace(day=1), day).set_index(REP)
    targets = P.targets_by_rep(tables, [f"{day:%Y-%m}"]).set_index(REP)
    reps = sorted(set(today.index) | set(month.index) | set(targets.index) | set(also))
    rows = []
    for rep in reps:
        def figure(frame: pd.DataFrame, column: str) -> int:
            return int(frame.at[rep, column]) if rep in frame.index else 0

        has = rep in targets.index
        sales_target = int(targets.at[rep, SALES_TARGET]) if has else None
        collect_target = int(targets.at[rep, COLLECTION_TARGET]) if has else None
        row = {REP: rep}
        for frame, names in ((today, DAY_COLUMNS), (month, MONTH_COLUMNS)):
            row.update(zip(names, (figure(frame, c) for c in ("合同数", CONTRACT_AMOUNT, SHIPMENT_AMOUNT, COLLECTION_AMOUNT))))
        row.update({SALES_TARGET: sales_target, P.SIGN_RATE: P.ratio(row["本月合同金额"], sales_target) if has else P.NO_TARGET,
                    COLLECTION_TARGET: collect_target, P.COLLECT_RATE: P.ratio(row["本月回款"], collect_target) if has else P.NO_TARGET})
        rows.append(row)
    frame = pd.DataFrame(rows, columns=REP_COLUMNS).astype({SALES_TARGET: "Int64", COLLECTION_TARGET: "Int64"})
    if len(frame):
        ranked = frame[COLLECTION_TARGET].notna()
        frame["回款排名"] = frame["本月回款"].where(ranked).rank(method="min", ascending=False).astype("Int64")
    return frame


def _status(by_rep: pd.DataFrame) -> pd.Series:
    """'' for a rep with the month's target, else 无目标."""
    return pd.Series(["" if pd.notna(t) else P.NO_TARGET for t in by_rep[COLLECTION_TARGET]], index=by_rep.index, dtype=object)


def with_incomplete(by_rep: pd.DataFrame, incomplete: dict[str, str]) -> pd.DataFrame:
    """The per-rep table with a 数据不全 column (what of the rep was not read, ``roster.incomplete_reps``) when a
    rep of it has data missing; unchanged otherwise."""
    if not set(by_rep[REP]) & set(incomplete):
        return by_rep
    return by_rep.assign(**{INCOMPLETE: by_rep[REP].map(lambda rep: incomplete.get(rep, ""))})


def company_totals(by_rep: pd.DataFrame) -> dict:
    """The company's figures: sums of the reps' columns; the rates over the reps with a target only (their
    合同/回款 over their targets: ``periods.rate_basis``, kept under "basis" with the reps left out)."""
    totals = {c: int(by_rep[c].sum()) if len(by_rep) else 0 for c in DAY_COLUMNS + MONTH_COLUMNS}
    frame = by_rep.rename(columns={"本月合同金额": CONTRACT_AMOUNT, "本月回款": COLLECTION_AMOUNT})
    basis = P.rate_basis(frame, _status(by_rep))
    sales_target = basis[P.SIGN_RATE]["target"] if basis["reps"] else None
    collect_target = basis[P.COLLECT_RATE]["target"] if basis["reps"] else None
    totals.update({SALES_TARGET: sales_target, P.SIGN_RATE: basis[P.SIGN_RATE]["rate"],
                   COLLECTION_TARGET: collect_target, P.COLLECT_RATE: basis[P.COLLECT_RATE]["rate"], "basis": basis})
    return totals


def big_contracts(contracts_today: pd.DataFrame, threshold_yuan: Decimal) -> list[dict]:
    """Contracts of the day with 合同金额 ≥ the threshold (yuan, compared in fen)."""
    threshold = yuan_to_fen(Decimal(threshold_yuan))
    big = contracts_today[contracts_today[CONTRACT_AMOUNT] >= threshold].sort_values(CONTRACT_AMOUNT, ascending=False, kind="stable")
    return [{"类别": BIG, CUSTOMER: _text(r[CUSTOMER]), CONTRACT_NO: _text(r[CONTRACT_NO]), REP: _text(r.get(REP)),
             "日期": r[SIGNING_DATE], "金额": int(r[CONTRACT_AMOUNT]),
             "说明": f"签约 ¥{fmt_yuan(r['合同金额'])}" + (f", {_text(r.get('产品名称'))}" if _text(r.get(PRODUCT)) else "")}
            for r in big.to_dict("records")]


def overdue_today(allocation: Allocation | None, day: date, since: date) -> list[dict]:
    """Items unpaid on ``day`` whose 到期日 lies in [since, day): they became overdue since the last working day."""
    if allocation is None or allocation.items.empty:
        return []
    items = due_parts_as_of(allocation, day)
    due = items["到期日"]
    fresh = items[(items["未收"] > 0) & (due >= pd.Timestamp(since)) & (due < pd.Timestamp(day))]
    fresh = fresh.sort_values(["到期日", CUSTOMER, "单据号"], kind="stable")
    return [{"类别": OVERDUE, CUSTOMER: _text(r[CUSTOMER]), CONTRACT_NO: _text(r[CONTRACT_NO]), REP: _text(r[REP]),
             "日期": r["到期日"], "金额": int(r["未收"]),
             "说明": f"{r['单据类型']}{' ' + _text(r['单据号']) if _text(r['单据号']) else ''} "
                   f"{pd.Timestamp(r['日期']):%Y-%m-%d} ¥{fmt_yuan(r['金额'])}, "
                   + (f"回款计划第 {r['期次']} 期 ({r['回款节点']})" if r["回款节点"] else f"账期 {int(r['账期天数'])} 天")
                   + f", 到期日 {pd.Timestamp(r['到期日']):%Y-%m-%d}, 未收 ¥{fmt_yuan(r['未收'])}"}
            for r in fresh.to_dict("records")]


def collection_reminders(allocation: Allocation | None, archive: pd.DataFrame, day: date, days_before: int
                         ) -> list[dict]:
    """回款提醒: the 回款计划 lines late or due within ``days_before`` days (``plans.reminder_lines``)."""
    if allocation is None:
        return []
    lines = reminder_lines(plan_lines_as_of(allocation, day), archive, day, days_before)
    return [{"类别": REMIND, CUSTOMER: r[CUSTOMER], CONTRACT_NO: r[CONTRACT_NO], REP: r[REP], "日期": r["到期日"],
             "金额": int(r["未回款"]),
             "说明": f"第 {r['期次']} 期" + (f" ({r['节点']})" if r["节点"] else "") + f" {r['状态']}"
                   + (f" {r['天数']} 天" if r["天数"] else "")
                   + (f", 联系人 {r['联系人']}" if r[CONTACT] else "") + (f" {r['电话']}" if r["电话"] else "")}
            for r in lines.to_dict("records")]


def held_requests(shipping: ShippingData | None) -> list[dict]:
    """The requests the 发货审核 held (none when the check did not run), dated by when they are wanted (the
    request's 要求发货日期, else the contract's 约定交货日期: the 发货审核's 要求日期)."""
    if shipping is None:
        return []
    return [{"类别": HELD, CUSTOMER: _text(r[CUSTOMER]), CONTRACT_NO: _text(r[CONTRACT_NO]), REP: _text(r[REP]),
             "日期": r.get(REQUEST_DATE), "金额": int(r["申请发货金额"]) if not pd.isna(r["申请发货金额"]) else None,
             "说明": f"{_text(r['结论'])}: {_text(r['原因'])}".strip(": ")}
            for r in shipping.held.to_dict("records")]


def deliveries_passed(tables: Tables, day: date, since: date) -> list[dict]:
    """Contracts whose 约定交货日期 lies in [since, day) and whose shipments up to ``day`` fall short."""
    contracts = tables["合同"]
    if contracts.empty:
        return []
    agreed = contracts[AGREED_DELIVERY_DATE]
    passed = contracts[agreed.notna() & (agreed >= pd.Timestamp(since)) & (agreed < pd.Timestamp(day))
                       & (contracts[SIGNING_DATE] <= pd.Timestamp(day))]
    shipments = tables["发货"]
    shipments = shipments[shipments[SHIPMENT_DATE].notna() & (shipments[SHIPMENT_DATE] <= pd.Timestamp(day))]
    shipped = shipments.groupby(CONTRACT_NO)[SHIPMENT_AMOUNT].sum()
    rows = []
    for r in passed.sort_values([AGREED_DELIVERY_DATE, CONTRACT_NO], kind="stable").to_dict("records"):
        done = int(shipped.get(_text(r[CONTRACT_NO]), 0))
        if done < int(r[CONTRACT_AMOUNT]):
            rows.append({"类别": LATE, CUSTOMER: _text(r[CUSTOMER]), CONTRACT_NO: _text(r[CONTRACT_NO]),
                         REP: _text(r.get(REP)), "日期": r[AGREED_DELIVERY_DATE], "金额": int(r[CONTRACT_AMOUNT]) - done,
                         "说明": f"约定交货 {pd.Timestamp(r['约定交货日期']):%Y-%m-%d}, 已发 ¥{fmt_yuan(done)} / "
                               f"合同 ¥{fmt_yuan(r['合同金额'])}"})
    return rows


def tracking_line(tracking: TrackingData | None, day: date, unsigned_days: int) -> list[dict]:
    """One line with the 货物跟踪 counts (none when the tracking report did not run or lists nothing)."""
    if tracking is None or not (len(tracking.unsigned) or len(tracking.no_tracking_number)):
        return []
    unsigned = int(tracking.unsigned[SHIPMENT_AMOUNT].sum())
    return [{"类别": UNSIGNED, CUSTOMER: "", CONTRACT_NO: "", REP: "", "日期": None, "金额": unsigned,
             "说明": f"超期未签收 {len(tracking.unsigned)} 笔 (发货后 {unsigned_days} 个工作日或过了预计到货日期) "
                   f"¥{fmt_yuan(unsigned)}, 缺物流单号 {len(tracking.no_tracking_number)} 笔; "
                   f"明细见 货物跟踪_{day.isoformat()}.xlsx"}]


def issues_line(problems: list[Problem]) -> list[dict]:
    """One line for the clerk counting the run's data problems: 错误 n 条, 警告 m 条 (none without problems)."""
    if not problems:
        return []
    errors = sum(1 for p in problems if p.severity == ERROR)
    warnings = sum(1 for p in problems if p.severity == WARNING)
    reps = len({p.rep for p in problems if p.rep})
    return [{"类别": ISSUES, CUSTOMER: "", CONTRACT_NO: "", REP: "", "日期": None, "金额": None,
             "说明": f"错误 {errors} 条, 警告 {warnings} 条" + (f" (涉及 {reps} 位业务员)" if reps else "")
                   + ", 见数据问题清单"}]


def complaints_overdue(tables: Tables, settings, day: date) -> list[dict]:
    """Open complaints past ``service.response_days`` working days (``books.feedback.overdue_complaints``)."""
    return [{"类别": COMPLAINT_LATE, CUSTOMER: _text(r[CUSTOMER]), CONTRACT_NO: _text(r[CONTRACT_NO]), REP: _text(r[REP]),
             "日期": r["日期"], "金额": None,
             "说明": f"投诉已 {r['已开天数']} 个工作日未回复客户 ({_text(r['状态'])})"
                   + (f": {_text(r['内容'])}" if _text(r["内容"]) else "")}
            for r in feedback.overdue_complaints(tables, settings, day).to_dict("records")]


def tender_lines(tables: Tables, settings, calendar: workdays.Workdays, day: date) -> list[dict]:
    """Bids due soon, bid bonds to chase, 中标 tenders without a contract (``books.tenders``)."""
    t = tables["投标"]
    if t.empty:
        return []

    def row(kind: str, r: dict, when, amount, text: str) -> dict:
        return {"类别": kind, CUSTOMER: _text(r[TENDER_ISSUER]), CONTRACT_NO: "", REP: _text(r[ACCOUNT_REP]), "日期": when,
                "金额": amount, "说明": f"{_text(r['项目名称'])}: {text}"}

    return [*(row(BID_DUE, r, r[BID_DEADLINE], None, f"投标截止还有 {r['剩余工作日']} 个工作日")
              for r in T.due_soon(t, settings, day, calendar).to_dict("records")),
            *(row(BOND_DUE, r, r[BID_OPENING_DATE], int(r[BID_BOND]), f"开标后 {r['开标后工作日']} 个工作日保证金未退回, 请催收")
              for r in T.bonds_to_chase(t, settings, day, calendar).to_dict("records")),
            *(row(WON_NO_CONTRACT, r, r[BID_OPENING_DATE], int(r[AWARD_AMOUNT]) or None, f"中标已 {r['开标后天数']} 天, 尚未签合同")
              for r in T.won_without_contract(t, settings, day).to_dict("records"))]


def sales_forecast(tables: Tables, allocation: Allocation | None, calendar: workdays.Workdays, day: date
                   ) -> tuple[pd.DataFrame | None, dict | None, dict | None]:
    """销售预报 as of ``day``: per rep to month end, the company's line, and the company's line to quarter end."""
    if allocation is None:
        return None, None, None
    month, quarter = P.period_containing(P.MONTH, day), P.period_containing(P.QUARTER, day)
    by_rep = F.forecast(tables, allocation, calendar, day, month.start, month.end)
    to_quarter = F.forecast(tables, allocation, calendar, day, quarter.start, quarter.end)
    return by_rep, F.totals(by_rep), F.totals(to_quarter)


def comparison(tables: Tables, day: date, previous: date) -> Comparison:
    """The figures the key figures of ``day`` are compared with (``Comparison``); the rates as of ``previous``
    are the company's 合计 rates of the per-rep table that day would have had (``company_totals``)."""
    last = same_day_last_month(day)
    on = lambda d: P.window_figures(tables, d, d)  # noqa: E731
    rates = None
    if Month.of(previous) == Month.of(day):
        before = company_totals(daily_by_rep(tables, previous))
        rates = {rate: before[rate] for rate, _, _ in P.RATES}
    return Comparison(previous=previous, yesterday=on(previous), last_day=on(last),
                      last_month=P.window_figures(tables, last.replace(day=1), last), rates=rates)


def day_details(tables: Tables, day: date) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The contracts signed, shipments made and collections received on ``day``."""
    return (P.rows_between(tables["合同"], SIGNING_DATE, day, day).reset_index(drop=True),
            P.rows_between(tables["发货"], SHIPMENT_DATE, day, day).reset_index(drop=True),
            P.rows_between(tables["回款"], COLLECTION_DATE, day, day).reset_index(drop=True))


def compute(tables: Tables, allocation: Allocation | None, problems: list[Problem], shipping: ShippingData | None,
            day: date, settings, tracking: TrackingData | None = None) -> DailyData:
    """Every table of the daily report for ``day``."""
    calendar = workdays.Workdays.of(settings)
    since = calendar.previous(day)
    contracts, shipments, collections = day_details(tables, day)
    incomplete = incomplete_reps(problems)
    roster = set(rep_names(tables["人员"], workbook_keepers(tables)))
    by_rep = with_incomplete(daily_by_rep(tables, day, [r for r in incomplete if r in roster]), incomplete)
    lines = [*big_contracts(contracts, settings.reports.big_contract_amount), *overdue_today(allocation, day, since),
             *held_requests(shipping), *deliveries_passed(tables, day, since),
             *tracking_line(tracking, day, settings.tracking.unsigned_days), *complaints_overdue(tables, settings, day),
             *tender_lines(tables, settings, calendar, day), *issues_line(problems),
             *collection_reminders(allocation, tables["客户"], day, settings.reminders.collection_days_before)]
    forecast, forecast_totals, quarter_totals = sales_forecast(tables, allocation, calendar, day)
    return DailyData(day=day, by_rep=by_rep, totals=company_totals(by_rep), compare=comparison(tables, day, since),
                     highlights=pd.DataFrame(lines, columns=HIGHLIGHT_COLUMNS).astype({"金额": "Int64"}),
                     contracts=contracts,
                     shipments=shipments, collections=collections, shipping_checked=shipping is not None,
                     forecast=forecast, forecast_totals=forecast_totals, quarter_totals=quarter_totals)


def with_changes(data: DailyData, audit) -> DailyData:
    """The 今日要点 with one 台账变更 line (the 变更记录's count, ``audit.line``) when anything changed."""
    if audit is None or not len(audit.changes.frame):
        return data
    row = {"类别": CHANGES, CUSTOMER: "", CONTRACT_NO: "", REP: "", "日期": pd.NaT, "金额": None, "说明": audit.line}
    line = pd.DataFrame([row], columns=HIGHLIGHT_COLUMNS).astype({"金额": "Int64"})
    return replace(data, highlights=pd.concat([data.highlights, line], ignore_index=True))


def with_statement_line(data: DailyData, statement_tracking) -> DailyData:
    """The 今日要点 with one 对账函 line (``statement_tracking.line``) when a letter is past its 回复期限 or disputed."""
    if statement_tracking is None or not (statement_tracking.chase or statement_tracking.disputed):
        return data
    row = {"类别": STATEMENTS, CUSTOMER: "", CONTRACT_NO: "", REP: "", "日期": pd.NaT, "金额": None,
           "说明": statement_tracking.line}
    line = pd.DataFrame([row], columns=HIGHLIGHT_COLUMNS).astype({"金额": "Int64"})
    return replace(data, highlights=pd.concat([data.highlights, line], ignore_index=True))


# ---------------------------------------------------------------- rendering

def percent(value: object) -> str:
    """Decimal('0.853') -> '85.3%'; blank -> '—'."""
    if value is None or isinstance(value, str) or pd.isna(value):
        return "—"
    return f"{Decimal(value) * 100:.1f}%"


def rate_text(value: object) -> str:
    """A rate as text: '85.3%', or what stands in its place (无目标), or '—'."""
    return value if isinstance(value, str) else percent(value)


def _html_rows(data: DailyData) -> list[dict]:
    def shown(row: dict) -> dict:
        return {**{k: fmt_yuan(row[k]) for k in ("今日合同金额", "今日发货", "今日回款", "本月合同金额", "本月发货", "本月回款")},
                "今日合同数": row["今日合同数"], "本月合同数": row["本月合同数"],
                P.SIGN_RATE: rate_text(row[P.SIGN_RATE]), P.COLLECT_RATE: rate_text(row[P.COLLECT_RATE])}

    return [{REP: r[REP], "回款排名": r["回款排名"] if not pd.isna(r["回款排名"]) else "", **shown(r)}
            for r in data.by_rep.to_dict("records")] + \
        [{REP: "合计", "回款排名": "", **shown(data.totals)}]


WAN = " (万元)"  # a key figure's amount in 万元 to one decimal (``wan``): the unit in the 日报's label, after the value in the mail


def key_figures(data: DailyData, receivables: ReceivablesData | None) -> list[Figure]:
    """The day's few figures, the one source of the 日报's first sheet and of the mail's tiles (``key_tiles``), in
    the order a manager reads them: today's 回款 and 签约 with ↑/↓ against the previous working day and the same day
    last month; the month to date against last month to the same day, with its target; the rates with ↑/↓ in
    percentage points against the previous working day (``points``; none on the month's first working day, whose
    day before belongs to another month's targets); from the ledger (when it ran) the balance and what is
    overdue; the requests the 发货审核 held. Amounts in 万元 to one decimal (``wan``). Each equals a total of the
    tables below it (the rates: the 合计's, over the reps with a target); without ``data.compare`` no ↑/↓."""
    day, t, c = data.day, data.totals, data.compare
    target = lambda key: f", 目标 {wan(t[key])}万" if t[key] is not None else ""  # noqa: E731

    def today(label: str, key: str, window: str) -> Figure:
        note = f"{arrow(t[key], c.yesterday[window], '较昨日')} · {arrow(t[key], c.last_day[window], '较上月同日')}" \
            if c else ""
        return Figure(label + WAN, wan(t[key]), TEXT, note)

    def month(label: str, key: str, window: str, goal: str) -> Figure:
        note = arrow(t[key], c.last_month[window], "较上月同期") + target(goal) if c else target(goal).lstrip(", ")
        return Figure(label + WAN, wan(t[key]), TEXT, note)

    def rate(name: str, note: str) -> Figure:
        if t[name] is None:
            return Figure(name, None, PCT, "未设目标")
        before = c.rates.get(name) if c is not None and c.rates is not None else None
        return Figure(name, t[name], PCT, note + (f" · {points(t[name], before, '较昨日')}" if before is not None else ""))

    figures = [today("今日回款", "今日回款", COLLECTION_AMOUNT), today("今日签约", "今日合同金额", CONTRACT_AMOUNT),
               month("本月回款", "本月回款", COLLECTION_AMOUNT, COLLECTION_TARGET), rate(P.COLLECT_RATE, f"截至 {day:%m-%d}"),
               month("本月签约", "本月合同金额", CONTRACT_AMOUNT, SALES_TARGET), rate(P.SIGN_RATE, f"本月 {t['本月合同数']} 份合同")]
    if receivables is not None:
        balance, overdue = int(receivables.aging["应收余额"].sum()), int(receivables.aging["逾期金额"].sum())
        figures += [Figure("应收余额" + WAN, wan(balance), TEXT, f"{int((receivables.aging['应收余额'] > 0).sum())} 家客户"),
                    Figure("逾期" + WAN, wan(overdue), TEXT, f"{int((receivables.aging['逾期金额'] > 0).sum())} 家客户",
                           alert=overdue > 0)]
    if data.shipping_checked:
        held = int((data.highlights["类别"] == HELD).sum())
        figures.append(Figure("暂缓发货", held, INT, "笔, 见今日要点", alert=held > 0))
    return figures


def wan(fen: int) -> str:
    """An amount in 万元 to one decimal, half up: 1,948,035.00 yuan -> '194.8'.

    >>> wan(194803500), wan(50000), wan(0)
    ('194.8', '0.1', '0.0')
    """
    return f"{fen_to_wan(fen, '0.1'):,.1f}"


def arrow(now: int, before: int, label: str) -> str:
    """'较昨日 ↑1.2万' / '较昨日 ↓0.4万' / '较昨日 持平'.

    >>> arrow(300000, 100000, "较昨日"), arrow(0, 40000, "较上月同日"), arrow(5, 5, "较昨日")
    ('较昨日 ↑0.2万', '较上月同日 ↓0.0万', '较昨日 持平')
    """
    if now == before:
        return f"{label} 持平"
    return f"{label} {'↑' if now > before else '↓'}{wan(abs(now - before))}万"


def points(now: Decimal, before: Decimal, label: str) -> str:
    """A rate against an earlier one in percentage points, between the rates as shown (to 0.1%, half up), so the
    reader can subtract the two figures himself: 45.0% against 40.0% is '↑5.0 个百分点'.

    >>> points(Decimal("0.45"), Decimal("0.4"), "较昨日"), points(Decimal("0.3667"), Decimal("0.3333"), "较昨日")
    ('较昨日 ↑5.0 个百分点', '较昨日 ↑3.4 个百分点')
    >>> points(Decimal("0.25"), Decimal("0.2504"), "较昨日"), points(Decimal("0.1"), Decimal("0.125"), "较昨日")
    ('较昨日 持平', '较昨日 ↓2.5 个百分点')
    """
    shown = lambda r: round_half_up(Decimal(r) * 100, "0.1")  # noqa: E731
    gap = shown(now) - shown(before)
    if gap == 0:
        return f"{label} 持平"
    return f"{label} {'↑' if gap > 0 else '↓'}{abs(gap):.1f} 个百分点"


def same_day_last_month(day: date) -> date:
    """The same day of the month before, or that month's last day (03-31 -> 02-28)."""
    before = Month.of(day).shift(-1)
    return before.first.replace(day=min(day.day, before.last.day))


def top_highlights(highlights: pd.DataFrame, limit: int = TOP) -> pd.DataFrame:
    """The first page's 今日要点: the largest of each of 暂缓发货, 今日逾期, 交期已过, 大额合同 (in that order), then
    the largest of the rest of them, up to ``limit`` lines."""
    chosen = highlights[highlights["类别"].isin(TOP_KINDS)].copy()
    if chosen.empty:
        return chosen
    chosen["_kind"] = [TOP_KINDS.index(k) for k in chosen["类别"]]
    chosen["_amount"] = [0 if pd.isna(a) else -int(a) for a in chosen["金额"]]
    chosen = chosen.sort_values(["_amount", "_kind"], kind="stable")
    first = chosen.drop_duplicates("类别").sort_values("_kind", kind="stable")
    rest = chosen.drop(first.index)
    return pd.concat([first, rest]).head(limit).drop(columns=["_kind", "_amount"])


def top_lines(highlights: pd.DataFrame) -> list[str]:
    """The first page's 今日要点 as lines: kind, customer, amount, rep, what it is."""
    top = top_highlights(highlights)
    lines = []
    for n, h in enumerate(top.to_dict("records"), start=1):
        amount = f"¥{fmt_yuan(h['金额'])}" if not pd.isna(h["金额"]) else ""
        who = "  ".join(x for x in (h[CUSTOMER], amount, f"业务员 {h[REP]}" if h[REP] else "") if x)
        lines.append(f"{n}. 【{h['类别']}】{who} — {h['说明']}")
    return lines


def rate_notes(data: DailyData) -> list[str]:
    """The sums the 合计 rates use when a rep without a target is left out of them, and who he is."""
    basis = data.totals.get("basis")
    if not basis or not basis["excluded"]:
        return []
    parts = [f"{rate} = ¥{fmt_yuan(basis[rate]['actual'])} ÷ ¥{fmt_yuan(basis[rate]['target'])} = "
             f"{percent(basis[rate]['rate'])}" for rate, _, _ in P.RATES]
    return [f"合计完成率只计有目标的业务员 ({basis['reps']} 人): " + "; ".join(parts)
            + f"。未计入: {'、'.join(basis['excluded'])}。"]


def key_tiles(data: DailyData, receivables: ReceivablesData | None) -> list[dict]:
    """The key figures (``key_figures``, the 日报's first sheet's) as the mail's tiles: label, the value as text
    (52.0 万元, 45.0%, 1 笔), the note with its ↑/↓, whether it is bad news."""
    def tile(f: Figure) -> dict:
        money = f.label.endswith(WAN)
        value = f"{f.value} 万元" if money else percent(f.value) if f.kind == PCT else f"{f.value} 笔"
        return {"label": f.label.removesuffix(WAN), "value": value, "note": "" if f.kind == INT else f.note,
                "alert": f.alert}

    return [tile(f) for f in key_figures(data, receivables)]


def attainment_bars(data: DailyData) -> list[dict]:
    """完成率 per rep as the mail draws it with table cells (Outlook shows no images by default): the bar's
    width in percent of the row (capped at 100), the text, and whether the target is met."""
    rows = []
    for r in [*data.by_rep.to_dict("records"), {REP: "合计", **data.totals}]:
        value = r[P.COLLECT_RATE]
        if value is None or isinstance(value, str) or pd.isna(value):
            rows.append({"name": r[REP], "width": 0, "text": value if isinstance(value, str) else "未设目标",
                         "met": False})
            continue
        width = int(min(Decimal(value) * 100, Decimal(100)).quantize(Decimal(1)))
        rows.append({"name": r[REP], "width": width, "text": percent(value), "met": Decimal(value) >= 1})
    return rows


def render_html(data: DailyData, company: str, receivables: ReceivablesData | None = None,
                template_dir: Path = TEMPLATE_DIR) -> str:
    """The summary as an HTML fragment (inline styles, tables only) for the mail body, read on a phone."""
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(template_dir)), autoescape=True,
                             trim_blocks=True, lstrip_blocks=True, undefined=jinja2.StrictUndefined)
    highlights = [{**h, "金额": fmt_yuan(h["金额"]) if h["金额"] is not None and not pd.isna(h["金额"]) else "",
                   "日期": f"{pd.Timestamp(h['日期']):%Y-%m-%d}" if h["日期"] is not None and not pd.isna(h["日期"]) else ""}
                  for h in data.highlights.to_dict("records")]
    return env.get_template(TEMPLATE_NAME).render(
        rows=_html_rows(data), highlights=highlights, bars=attainment_bars(data),
        tiles=key_tiles(data, receivables), alert_kinds=(OVERDUE, HELD, LATE, COMPLAINT_LATE),
        shipping_checked=data.shipping_checked) + forecast_html(data, env)


def summary_text(data: DailyData) -> str:
    """The summary as plain text, for mail clients that do not show HTML."""
    t = data.totals
    lines = [f"销售日报 {data.day.isoformat()}",
             f"今日: 新签合同 {t['今日合同数']} 份 ¥{fmt_yuan(t['今日合同金额'])}, 发货 ¥{fmt_yuan(t['今日发货'])}, "
             f"回款 ¥{fmt_yuan(t['今日回款'])}",
             f"本月: 新签合同 {t['本月合同数']} 份 ¥{fmt_yuan(t['本月合同金额'])} (签约完成率 {percent(t[P.SIGN_RATE])}), "
             f"发货 ¥{fmt_yuan(t['本月发货'])}, 回款 ¥{fmt_yuan(t['本月回款'])} (回款完成率 {percent(t[P.COLLECT_RATE])})"]
    lines += rate_notes(data)
    for r in data.by_rep.to_dict("records"):
        rank = f"第 {r['回款排名']} 名, " if not pd.isna(r["回款排名"]) else ""
        lines.append(f"  {r[REP]}: 今日回款 ¥{fmt_yuan(r['今日回款'])}, 本月回款 ¥{fmt_yuan(r['本月回款'])} "
                     f"({rank}回款完成率 {rate_text(r[P.COLLECT_RATE])})"
                     + (f" [数据不全: {r[INCOMPLETE]}]" if r.get(INCOMPLETE) else ""))
    if len(data.highlights):
        lines.append("今日要点:")
        lines += [f"  [{h['类别']}] {' '.join(x for x in (h['客户名称'], h['合同编号'], h[REP]) if x)} {h['说明']}"
                  for h in data.highlights.to_dict("records")]
    lines += forecast_text(data)
    return "\n".join(lines)


def forecast_line(label: str, t: dict) -> str:
    """One company forecast line: 回款 (weighted, with the run rate) and 签约 against their targets."""
    def target(key: str) -> str:
        return f"¥{fmt_yuan(t[key])}" if t[key] is not None else "未设"

    return (f"{label}: 回款预报 ¥{fmt_yuan(t['回款预报'])} (按进度 ¥{fmt_yuan(t['回款按进度'])}), 目标 {target('回款目标')}, "
            f"预计完成率 {percent(t['回款预报完成率'])}; 签约预报 ¥{fmt_yuan(t['签约预报'])}, 目标 {target('签约目标')}, "
            f"预计完成率 {percent(t['签约预报完成率'])}")


def forecast_block(data: DailyData) -> tuple[list[Table], list[str]]:
    """The 销售预报 table (one line per rep and the total, to month end) and its notes: the company's month-end
    and quarter-end lines, then the methods."""
    if data.forecast is None:
        return [], []
    quarter = P.period_containing(P.QUARTER, data.day)
    table = F.forecast_table("销售预报 (月末)", data.forecast, data.forecast_totals)
    return [table], [forecast_line("本月月末", data.forecast_totals),
                     forecast_line(f"本季 ({quarter.label}) 季末", data.quarter_totals), *F.FOOTNOTES]


def forecast_html(data: DailyData, env: jinja2.Environment) -> str:
    """The 销售预报 block of the mail body (templates/daily_forecast.html.j2), "" without a forecast."""
    if data.forecast is None:
        return ""
    rows = [{REP: r[REP], **{k: fmt_yuan(r[k]) for k in ("回款预报", "签约预报")},
             **{k: percent(r[k]) for k in ("回款预报完成率", "签约预报完成率")}}
            for r in [*data.forecast.to_dict("records"), data.forecast_totals]]
    _, notes = forecast_block(data)
    return env.get_template(FORECAST_TEMPLATE).render(rows=rows, notes=notes)


def forecast_text(data: DailyData) -> list[str]:
    """The 销售预报 lines of the mail's text: one per rep and the total, to month end, and the quarter's total."""
    if data.forecast is None:
        return []
    lines = ["销售预报 (月末, 回款按加权、签约按进度):"]
    lines += [f"  {r[REP]}: 回款 ¥{fmt_yuan(r['回款预报'])} ({percent(r['回款预报完成率'])}), "
              f"签约 ¥{fmt_yuan(r['签约预报'])} ({percent(r['签约预报完成率'])})" for r in data.forecast.to_dict("records")]
    lines.append("  " + forecast_line("合计", data.forecast_totals))
    lines.append("  " + forecast_line("本季季末", data.quarter_totals))
    return lines


def highlight_note(highlights: pd.DataFrame) -> str:
    """One line under the 日报's table: how many highlights of each kind, and where they are."""
    highlights = highlights[highlights["类别"] != ISSUES]  # the data problems have their own line
    if highlights.empty:
        return "今日要点: 今日无特别事项。"
    counts = highlights["类别"].value_counts(sort=False)
    return "今日要点: " + ", ".join(f"{kind} {n} 条" for kind, n in counts.items()) + " (见「今日要点」工作表)"


DETAILS = (("今日合同", "contracts", "合同"), ("今日发货", "shipments", "发货"), ("今日回款", "collections", "回款"))


def layout(data: DailyData, company: str, receivables: ReceivablesData | None = None) -> WorkbookSpec:
    """销售日报_<D>.xlsx: 日报 on one A4 landscape page (the key figures in 万元 with ↑/↓, the per-rep table with
    zeros left blank, the top five 今日要点 with customer, amount and rep, the notes), 今日要点 in full on its own
    sheet (its columns differ: they never share widths with the per-rep table), then the details; an empty
    detail is one line "今日无…" on the 日报, not a page. The key figures are the mail's tiles (``key_figures``)."""
    day = data.day.isoformat()
    subtitle = [f"{day} (周{'一二三四五六日'[data.day.weekday()]}) · 本月累计 {data.day:%m}-01 至 {data.day:%m-%d} · {company}"]
    money = lambda name: Col(name, MONEY)  # noqa: E731
    rep_cols = [Col(REP), Col("今日合同数", INT), money("今日合同金额"), money("今日发货"), money("今日回款"),
                Col("本月合同数", INT), money("本月合同金额"), money("本月发货"), money("本月回款"), money(SALES_TARGET),
                Col(P.SIGN_RATE, PCT), money(COLLECTION_TARGET), Col(P.COLLECT_RATE, PCT), Col("回款排名", INT, total=False)]
    if INCOMPLETE in data.by_rep:
        rep_cols.append(Col(INCOMPLETE, width=40))
    highlight_cols = [Col("类别"), Col(CUSTOMER), Col(CONTRACT_NO), Col(REP), Col("日期", DATE),
                      Col("金额", MONEY, total=False), Col("说明", width=50)]  # long text wraps in its cell
    forecast_tables, forecast_notes = forecast_block(data)
    top = top_lines(data.highlights)
    notes = [highlight_note(data.highlights)]
    if top:
        notes += [f"今日要点 (前{len(top)}项):", *top]
    issues = data.highlights[data.highlights["类别"] == ISSUES]
    notes += [f"数据问题: {s}" for s in issues["说明"]]
    notes += rate_notes(data)
    notes += forecast_notes[:2]  # the forecast's headline: month and quarter end
    empty = [f"今日无{word}" for name, attr, word in DETAILS if getattr(data, attr).empty]
    if empty:
        notes.append("、".join(empty) + " (不另列明细表)。")
    if not data.shipping_checked:
        notes.append("发货审核结果不可用, 今日要点未列暂缓发货。")
    basis = data.totals.get("basis") or {"excluded": []}
    total_rates = {rate: data.totals[rate] for rate, _, _ in P.RATES if data.totals[rate] is not None}
    if basis["excluded"]:
        total_rates = {k: "见下注" for k in total_rates}
    shown = data.by_rep.copy()
    for c in DAY_COLUMNS + MONTH_COLUMNS:  # a zero reads as a blank: what happened stands out
        shown[c] = shown[c].astype(object).where(shown[c] != 0, None)
    quiet = {c for c in DAY_COLUMNS + MONTH_COLUMNS if shown[c].isna().all()}  # and a column of zeros has no 合计
    rep_cols = [replace(col, total=False) if col.name in quiet else col for col in rep_cols]
    figures = key_figures(data, receivables)
    summary = Sheet("日报", [Table(rep_cols, shown, heading="业务员业绩 (今日 / 本月累计)", totals=True,
                                  totals_values=total_rates, autofilter=False)],
                    title="销售日报", subtitle=subtitle, notes=notes, figures=figures,
                    landscape=True, fit_one_page=True, freeze=False)
    points = [Sheet("今日要点", [Table(highlight_cols, data.highlights, autofilter=False)], title="今日要点",
                    subtitle=subtitle, landscape=True)] if len(data.highlights) else []
    forecast = [Sheet("销售预报", forecast_tables, title="销售预报", subtitle=subtitle, notes=forecast_notes,
                      landscape=True)] if forecast_tables else []
    columns = {
        "今日合同": [Col(CONTRACT_NO), Col(SIGNING_DATE, DATE), Col(CUSTOMER), Col(PRODUCT), money(CONTRACT_AMOUNT), Col(PAYMENT_TERM),
                 Col(AGREED_DELIVERY_DATE, DATE), Col(REP), *SOURCE],
        "今日发货": [Col(SHIPMENT_NO), Col(SHIPMENT_DATE, DATE), Col(CONTRACT_NO), Col(CUSTOMER), Col(PRODUCT), money(SHIPMENT_AMOUNT),
                 Col(TRACKING_NO), Col(REP), *SOURCE],
        "今日回款": [Col(COLLECTION_DATE, DATE), Col(CUSTOMER), Col(CONTRACT_NO), money(COLLECTION_AMOUNT), Col(COLLECTION_METHOD), Col(BANK_REF),
                 Col(REP), *SOURCE]}
    details = [Sheet(name, [Table(columns[name], getattr(data, attr), totals=True)], title=name, subtitle=subtitle)
               for name, attr, _ in DETAILS if not getattr(data, attr).empty]
    return WorkbookSpec(f"销售日报_{day}.xlsx", [summary, *points, *forecast, *details])


def figures_of(data: DailyData) -> dict:
    t = data.totals
    return {"produced": True, "date": data.day.isoformat(), "contracts_today": t["今日合同数"],
            "contract_amount_today_fen": t["今日合同金额"], "shipment_amount_today_fen": t["今日发货"],
            "collection_amount_today_fen": t["今日回款"], "contracts_month": t["本月合同数"],
            "contract_amount_month_fen": t["本月合同金额"], "shipment_amount_month_fen": t["本月发货"],
            "collection_amount_month_fen": t["本月回款"],
            "highlights": {k: int((data.highlights["类别"] == k).sum()) for k in (BIG, OVERDUE, HELD, LATE, UNSIGNED, COMPLAINT_LATE,
                                                                                   ISSUES, REMIND)}}


# ---------------------------------------------------------------- entry point

NEEDS: tuple[str, ...] = ()  # earlier reports whose data ``build`` takes
USES = ("receivables", "shipping", "tracking", "audit", "statement_tracking")  # earlier reports whose data ``build`` takes when they produced it
DUE = WORKING_DAYS  # the days it is made (books.due, applied by the runner)


def build(ctx: RunContext, receivables: ReceivablesData | None = None, shipping: ShippingData | None = None,
          tracking: TrackingData | None = None, audit=None, statement_tracking=None) -> ReportOutput:
    data = with_changes(compute(ctx.tables, ctx.allocation, ctx.problems, shipping, ctx.run_date, ctx.settings,
                                tracking), audit)
    data = with_statement_line(data, statement_tracking)
    company = ctx.settings.company.name
    delivery = Delivery(report="daily", title="销售日报", key_figure=f"回款 ¥{fmt_yuan(data.totals['今日回款'])}",
                        summary_html=render_html(data, company, receivables), summary_text=summary_text(data))
    workbook = layout(data, company, receivables)
    return ReportOutput(workbooks=[workbook], figures=figures_of(data), data=data, deliveries=[delivery])
