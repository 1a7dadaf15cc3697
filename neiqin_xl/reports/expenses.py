"""费用审核: the month's expense claims (费用) audited against the policy and the reps' routes.

Its place in the process: with the commission, after the allocation (the 费用率 divides a rep's expenses by
the collections credited to them, as the commission counts them). The policy is data: ``settings.expenses``.

Rules, each flagged line naming the rule and, where a cap is passed, the excess (超标金额):
- **住宿 cap per day** by city tier: tier-1 cities, provincial capitals (tier 2), elsewhere (``lodging_caps``);
  **餐补 cap per day** (``meal_allowance_cap``) in any city. A cap applies to the sum of one rep's lines of the
  category on one day in one city tier. Lines are taken in their row order; the excess is charged to the
  line(s) that take the day's sum over the cap (a line wholly within the cap is not flagged).
  A 住宿 line without a city is held to the lowest cap and flagged 住宿未填城市.
- **招待 must name a customer** in 事由: a name, alias or name without its company form (有限公司 …) of an
  archive customer, or any customer in the reps' books (合同, 发货, 开票, 回款, 日报).
- **招待 above ``entertainment_approval_above``** (2,000 元, per line) needs one of ``approval_marks`` in 事由;
  超标金额 = the part above the threshold.
- **Route check** (出差路线): a line with a city where the rep's 日报 shows no activity in that city within ±
  ``route_window_days`` of the claim's date. Cities compare normalised: full-width folded, spaces removed,
  a leading province (…省) dropped and the text cut at 市 (上海市 = 上海, 北京市朝阳区 = 北京).

Sheets: 审核结果 (one row per flagged line, its rules joined), 按业务员汇总 (per rep: totals by category, the
flagged lines, 费用率), 费用明细 (every line of the month with its result).

The month: as the commission's (``periods.month_window``: the run date's month up to the run date, or the
``--month`` given); a ``--month`` that is no month is one 错误 in the 问题清单 and no 费用审核 is made.

Mailed to ``email.recipients.expenses`` on the month's last working day (the month's audit), and on any
other day when a line dated after the last run (or, on a first run, the previous working day) is flagged.
A line entered late with an older date waits for the month end.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd

from ..books.credit import collections_by_rep
from ..books.periods import MonthWindow, month_option, month_window, rows_between
from ..core.columns import each_once, text_values
from ..core.config import Settings
from ..books.workdays import Workdays
from ..books.context import RunContext
from ..core.output import Delivery, ReportOutput
from ..core.model import REP, Tables, fmt_yuan, yuan_to_fen, text as _text
from ..core.months import Month
from ..core.names import CustomerIndex, match_key, normalize_name, split_aliases
from ..core.schema import COLLECTION_AMOUNT, CUSTOMER, EXPENSE_CATEGORIES, SRC_ROW, SRC_SHEET, SRC_WORKBOOK
from ..core.sheets import DATE, INT, MONEY, PCT, TEXT, Col, Highlight, Sheet, Table, WorkbookSpec

PASSED = "通过"
LODGING, MEALS, ENTERTAINMENT = "住宿", "餐补", "招待"


@dataclass(frozen=True)
class ExpenseAudit:
    """What the audit computed (its ``ReportOutput.data``; no later report reads it)."""

    period: MonthWindow
    lines: pd.DataFrame  # every line of the month, with 审核结果 / 超标金额 / 说明
    flagged: pd.DataFrame  # the flagged lines only
    by_rep: pd.DataFrame  # 按业务员汇总


def _yuan(amount: Decimal) -> str:
    return f"{amount.normalize():f}"


# ---------------------------------------------------------------- cities


def city_key(city: object) -> str:
    """'上海市' -> '上海'; '江苏省苏州市' -> '苏州'; '北京市朝阳区' -> '北京'; blank -> ''."""
    text = normalize_name(city).replace(" ", "")
    if "省" in text[1:]:
        text = text.split("省", 1)[1] or text
    if "市" in text[1:]:
        text = text.split("市", 1)[0]
    return text


def tier_keys(settings: Settings) -> tuple[set[str], set[str]]:
    """The normalised names of the tier-1 and the tier-2 cities."""
    policy = settings.expenses
    return {city_key(c) for c in policy.tier1_cities}, {city_key(c) for c in policy.tier2_cities}


def tier_of_key(key: str, tiers: tuple[set[str], set[str]]) -> str:
    """tier1 / tier2 / other of a normalised city name (``city_key``), ``tiers`` from ``tier_keys``."""
    if key and key in tiers[0]:
        return "tier1"
    if key and key in tiers[1]:
        return "tier2"
    return "other"


# ---------------------------------------------------------------- the month's lines


def expense_lines(tables: Tables, period: MonthWindow) -> pd.DataFrame:
    """The 费用 rows dated in the period, by rep and date (row order within a day), with a line id (行号), 城市标准 and 来源."""
    frame = rows_between(tables["费用"], "日期", period.start, period.end)
    frame = frame.sort_values([REP, "日期"], kind="stable").reset_index(drop=True)
    frame["行号"] = range(len(frame))
    frame["城市标准"] = pd.array(each_once(city_key, frame["城市"]), dtype="str")
    frame["来源"] = pd.array(text_values(frame, SRC_WORKBOOK) + "[" + text_values(frame, SRC_SHEET) + "]!"
                           + text_values(frame, SRC_ROW), dtype="str")
    return frame


# ---------------------------------------------------------------- checks: each returns flags
# A flag is {"行号", "规则", "超标金额" (fen), "说明"}.


def check_daily_caps(lines: pd.DataFrame, settings: Settings) -> list[dict]:
    """住宿 and 餐补 over their daily caps (sum per rep, day, category and city tier)."""
    policy = settings.expenses
    tiers = tier_keys(settings)
    flags = []
    running: dict[tuple, int] = defaultdict(int)
    lines = lines.sort_values("行号")
    for line, category, city, rep, day, amount in zip(
            lines["行号"].tolist(), lines["费用类别"].to_numpy(dtype=object), lines["城市标准"].to_numpy(dtype=object),
            lines[REP].to_numpy(dtype=object), lines["日期"].to_numpy(dtype=object), lines["金额"].tolist()):
        if category == LODGING:
            tier = tier_of_key(city, tiers)
            cap = yuan_to_fen(policy.lodging_caps.get(tier, policy.lodging_caps["other"]))
            if not city:
                flags.append({"行号": line, "规则": "住宿未填城市", "超标金额": 0,
                              "说明": f"未填城市，按其他城市标准 {fmt_yuan(cap)} 元/天 核对"})
        elif category == MEALS:
            tier, cap = "", yuan_to_fen(policy.meal_allowance_cap)
        else:
            continue
        key = (rep, day, category, tier)
        before = running[key]
        running[key] = before + int(amount)
        excess = max(0, running[key] - cap) - max(0, before - cap)
        if excess > 0:
            flags.append({"行号": line, "规则": f"{category}超标", "超标金额": excess,
                          "说明": f"当日{category}合计 {fmt_yuan(running[key])} 元，标准 {fmt_yuan(cap)} 元/天"})
    return flags


def customer_terms(tables: Tables, customers: CustomerIndex) -> set[str]:
    """Every way a customer may be written in 事由: archive names, aliases, names from the reps' books,
    each also without its company form; as comparison keys (see ``text_key``), two characters or more."""
    names = set(customers.names)
    archive = tables["客户"]
    for aliases in archive["别名"] if "别名" in archive else []:
        names.update(split_aliases(aliases))
    for sheet in ("合同", "发货", "开票", "回款", "日报"):
        frame = tables[sheet]
        if CUSTOMER in frame:
            names.update(normalize_name(n) for n in frame[CUSTOMER].unique())
    keys = {text_key(n) for n in names} | {match_key(n) for n in names}
    return {k for k in keys if len(k) >= 2}


def text_key(text: object) -> str:
    """Text compared loosely: normalised, no spaces, upper case, no brackets."""
    return normalize_name(text).replace(" ", "").upper().replace("(", "").replace(")", "")


def check_entertainment(lines: pd.DataFrame, terms: set[str], settings: Settings) -> list[dict]:
    """招待 without a customer named in 事由; 招待 above the approval threshold without an approval mark."""
    policy = settings.expenses
    threshold = yuan_to_fen(policy.entertainment_approval_above)
    flags = []
    for rec in lines[lines["费用类别"] == ENTERTAINMENT].to_dict("records"):
        reason = _text(rec["事由"])
        key = text_key(reason)
        if not any(term in key for term in terms):
            flags.append({"行号": rec["行号"], "规则": "招待未注明客户", "超标金额": 0,
                          "说明": "事由中没有客户名称（档案或台账中的客户）"})
        if int(rec["金额"]) > threshold and not any(mark in reason for mark in policy.approval_marks):
            flags.append({"行号": rec["行号"], "规则": f"招待超{_yuan(policy.entertainment_approval_above)}元未审批",
                          "超标金额": int(rec["金额"]) - threshold,
                          "说明": f"超过 {fmt_yuan(threshold)} 元须经理批准，事由中应注明："
                                  + "/".join(policy.approval_marks)})
    return flags


def check_route(lines: pd.DataFrame, activities: pd.DataFrame, settings: Settings) -> list[dict]:
    """Claims in a city where the rep's 日报 shows no activity within ± route_window_days."""
    window = settings.expenses.route_window_days * _MICROSECONDS_A_DAY
    visits = visit_days(activities)
    flags = []
    for line, rep, city, day, at in zip(lines["行号"].tolist(), text_values(lines, REP),
                                        lines["城市标准"].to_numpy(dtype=object), lines["日期"].to_numpy(dtype=object),
                                        microseconds(lines["日期"])):
        if not city:
            continue
        days = visits.get((rep, city), [])
        first = bisect_left(days, at - window)  # the first visit not before the window
        if not (first < len(days) and days[first] <= at + window):
            flags.append({"行号": line, "规则": "出差路线不符", "超标金额": 0,
                          "说明": f"日报中 {day:%Y-%m-%d} 前后 {settings.expenses.route_window_days} 天"
                                  f"没有在 {city} 的活动"})
    return flags


_MICROSECONDS_A_DAY = 86_400 * 1_000_000


def microseconds(days: pd.Series) -> list[int]:
    """Dates as integer microseconds, so that a window compares exactly and fast."""
    return pd.to_datetime(days).to_numpy(dtype="datetime64[us]").astype("int64").tolist()


def visit_days(activities: pd.DataFrame) -> dict[tuple[str, str], list[int]]:
    """(rep, city key) -> the days of the rep's 日报 in that city, sorted (``microseconds``)."""
    cities = each_once(city_key, activities["城市"])
    dated = activities["日期"].notna().to_numpy() & (cities != "")
    reps, cities = text_values(activities, REP)[dated], cities[dated]
    days = np.array(microseconds(activities["日期"][dated]), dtype="int64")
    visits: dict[tuple[str, str], list[int]] = defaultdict(list)
    for k in np.argsort(days, kind="stable"):
        visits[(reps[k], cities[k])].append(int(days[k]))
    return visits


# ---------------------------------------------------------------- results


def apply_flags(lines: pd.DataFrame, flags: list[dict]) -> pd.DataFrame:
    """Every line with 审核结果 (rules joined, or 通过), 超标金额 (fen) and 说明."""
    by_line: dict[int, list[dict]] = defaultdict(list)
    for flag in flags:
        by_line[flag["行号"]].append(flag)
    lines = lines.copy()
    lines["审核结果"] = ["；".join(f["规则"] for f in by_line[i]) or PASSED for i in lines["行号"]]
    lines["超标金额"] = pd.Series([sum(f["超标金额"] for f in by_line[i]) for i in lines["行号"]],
                              index=lines.index, dtype="int64")
    lines["说明"] = ["；".join(f["说明"] for f in by_line[i]) for i in lines["行号"]]
    return lines


def summarize_by_rep(lines: pd.DataFrame, collected: dict[str, int]) -> pd.DataFrame:
    """Per rep: lines, totals by category, flagged lines and amount, excess, the month's collections, 费用率."""
    reps = lines.groupby(REP, sort=True)
    count, total, excess = reps.size(), reps["金额"].sum(), reps["超标金额"].sum()
    flagged = lines[lines["审核结果"] != PASSED].groupby(REP)["金额"]
    flagged_count, flagged_amount = flagged.size(), flagged.sum()
    by_category = lines.groupby([REP, "费用类别"])["金额"].sum()
    rows = []
    for rep in count.index:
        rep_total = int(total[rep])
        coll = collected.get(rep, 0)
        rows.append({REP: rep, "笔数": int(count[rep]),
                     **{c: int(by_category.get((rep, c), 0)) for c in EXPENSE_CATEGORIES},
                     "费用合计": rep_total, "标记笔数": int(flagged_count.get(rep, 0)),
                     "标记金额": int(flagged_amount.get(rep, 0)), "超标金额": int(excess[rep]), COLLECTION_AMOUNT: coll,
                     "费用率": Decimal(rep_total) / Decimal(coll) if coll > 0 else None})
    return pd.DataFrame(rows, columns=[c.name for c in BY_REP_COLUMNS])


def audit(tables: Tables, allocation, customers: CustomerIndex, settings: Settings, run_date: date,
          month: Month | None = None) -> ExpenseAudit:
    """The whole audit of the month of ``run_date`` (up to it), or of ``month``."""
    period = month_window(run_date, month)
    lines = expense_lines(tables, period)
    flags = (check_daily_caps(lines, settings)
             + check_entertainment(lines, customer_terms(tables, customers), settings)
             + check_route(lines, tables["日报"], settings))
    lines = apply_flags(lines, flags)
    flagged = lines[lines["审核结果"] != PASSED].reset_index(drop=True)
    collected = collections_by_rep(allocation, period) if allocation is not None else {}
    return ExpenseAudit(period, lines, flagged, summarize_by_rep(lines, collected))


# ---------------------------------------------------------------- layout

FLAGGED_COLUMNS = [Col(REP), Col("日期", DATE), Col("费用类别"), Col("城市"), Col("金额", MONEY),
                   Col("事由", TEXT, width=30), Col("审核结果", TEXT, width=24), Col("超标金额", MONEY),
                   Col("说明", TEXT, width=40), Col("来源")]
BY_REP_COLUMNS = [Col(REP), Col("笔数", INT), *(Col(c, MONEY) for c in EXPENSE_CATEGORIES), Col("费用合计", MONEY),
                  Col("标记笔数", INT), Col("标记金额", MONEY), Col("超标金额", MONEY), Col(COLLECTION_AMOUNT, MONEY),
                  Col("费用率", PCT)]
DETAIL_COLUMNS = [Col("日期", DATE), Col(REP), Col("费用类别"), Col("城市"), Col("金额", MONEY),
                  Col("票据张数", INT), Col("事由", TEXT, width=30), Col("审核结果", TEXT, width=24),
                  Col("超标金额", MONEY), Col("来源")]


def describe_policy(settings: Settings) -> str:
    p = settings.expenses
    caps = p.lodging_caps
    return (f"住宿 一线城市 {_yuan(caps['tier1'])}、省会 {_yuan(caps['tier2'])}、其他 {_yuan(caps['other'])} 元/天；"
            f"餐补 {_yuan(p.meal_allowance_cap)} 元/天；招待须注明客户，单笔超 {_yuan(p.entertainment_approval_above)} "
            f"元须经理批准；费用城市须在日报前后 {p.route_window_days} 天内有活动")


def layout(result: ExpenseAudit, settings: Settings) -> WorkbookSpec:
    month = result.period.month
    subtitle = [f"期间 {result.period.start} 至 {result.period.end}", settings.company.name, describe_policy(settings)]
    return WorkbookSpec(f"费用审核_{month}.xlsx", [
        Sheet("审核结果", [Table(FLAGGED_COLUMNS, result.flagged, totals=True)], title=f"费用审核 {month}",
              subtitle=subtitle),
        Sheet("按业务员汇总", [Table(BY_REP_COLUMNS, result.by_rep, totals=True,
                                highlights=[Highlight("标记笔数", ">", 0)])],
              title=f"费用按业务员汇总 {month}", subtitle=subtitle[:2]),
        Sheet("费用明细", [Table(DETAIL_COLUMNS, result.lines, totals=True,
                              highlights=[Highlight("审核结果", "<>", PASSED, whole_row=True)])],
              title=f"费用明细 {month}", subtitle=subtitle[:2]),
    ])


def figures(result: ExpenseAudit) -> dict:
    return {"month": result.period.month, "expense_lines": int(len(result.lines)),
            "expense_total_fen": int(result.lines["金额"].sum()),
            "expense_flagged_lines": int(len(result.flagged)),
            "expense_flagged_amount_fen": int(result.flagged["金额"].sum()),
            "expense_excess_fen": int(result.flagged["超标金额"].sum())}


NEEDS: tuple[str, ...] = ()  # earlier reports whose data ``build`` takes


def newly_flagged(result: ExpenseAudit, run_date: date, since: date) -> pd.DataFrame:
    """The flagged lines dated in (since, run_date]."""
    dates = pd.to_datetime(result.flagged["日期"], errors="coerce").dt.date
    return result.flagged[(dates > since) & (dates <= run_date)]


def mail_reason(result: ExpenseAudit, calendar: Workdays, run_date: date, last_run_date: date | None) -> str:
    """Why 费用审核 is mailed today ('' when it is not): the month end, or lines flagged since the last run."""
    if run_date >= calendar.last_of_month(result.period.month):
        return "月末费用审核"
    since = last_run_date if last_run_date and last_run_date < run_date else calendar.previous(run_date)
    fresh = newly_flagged(result, run_date, since)
    return f"新标记 {len(fresh)} 笔" if len(fresh) else ""


def delivery(result: ExpenseAudit, spec: WorkbookSpec, reason: str) -> Delivery:
    figs = figures(result)
    return Delivery(report="expenses", title=f"费用审核 {result.period.month}", attachments=[Path(spec.filename)],
                    key_figure=f"标记 {figs['expense_flagged_lines']} 笔, 超标 ¥{fmt_yuan(figs['expense_excess_fen'])}",
                    summary_text=f"{reason}：本月费用 {figs['expense_lines']} 笔，合计 ¥{fmt_yuan(figs['expense_total_fen'])}；"
                                 f"标记 {figs['expense_flagged_lines']} 笔，超标 ¥{fmt_yuan(figs['expense_excess_fen'])}，"
                                 f"明细见附件。")


def build(ctx: RunContext) -> ReportOutput:
    month, bad_month = month_option(ctx.options.month, "费用审核")
    if bad_month:
        return ReportOutput(problems=bad_month)
    result = audit(ctx.tables, ctx.allocation, ctx.customers, ctx.settings, ctx.run_date, month)
    spec = layout(result, ctx.settings)
    reason = mail_reason(result, ctx.workdays, ctx.run_date, ctx.options.last_run_date)
    return ReportOutput(workbooks=[spec], figures=figures(result), data=result,
                        deliveries=[delivery(result, spec, reason)] if reason else [])
