"""提成计算表: each rep's commission (提成), performance pay (绩效工资) and gross pay (应发合计) for the month.

Its place in the process: after the allocation of collections (allocation.py), before the period reports.
It reads the allocation's applications (which item each yuan of a collection paid) and never re-derives them.

The rules (the plan is data: ``settings.commission`` in config.yaml):
- **Basis** (``basis``; the lines come from books/credit.py, which the expense audit shares): ``collected``
  (default) = the collections (回款) dated in the month, up to the run date. Each part of a collection that
  paid an item is credited to the rep of that item's contract; the part still unapplied at the period end (a
  prepayment held) to the rep of the contract the collection names, else to the rep whose workbook holds it.
  ``invoiced`` / ``shipped`` / ``contracted`` = the month's 开票金额 / 发货金额 / 合同金额 by the contract's rep
  (no slow-money discount for those).
- **Attainment** (完成率) = the month's amount / the rep's target of the month (sheet 目标): 回款目标 on the
  collected basis, 销售目标 on the others. A missing or zero target leaves the attainment blank.
- **Rate**: ``tiers`` give inclusive lower bounds of attainment. ``mode: whole`` applies the rate reached to
  the whole amount; ``mode: marginal`` charges each slice at its own rate like tax brackets, the slice
  boundaries being from_attainment × target (rounded to the fen): the rep's lines are taken in date order and
  a line crossing a boundary is split into one 明细 row per slice. Without a target the lowest tier's rate.
- **Category rates** (``category_rates``): a line on a contract whose product (合同 产品名称 → 产品 产品类别) has
  a category listed earns that rate instead of the tier rate (its amount still counts for attainment).
- **Slow money**: the part of a collection that paid an item older than ``slow_money_days`` on the day it was
  applied (账龄天数 > 90, i.e. 91 days and more) earns ``slow_money_factor`` (half) of the line's rate.
  Unapplied prepayments count as age 0.
- **Acceptance bills**: a line of a collection paid by 承兑汇票 (回款方式 names 承兑, ``credit.is_bill``) earns
  ``acceptance_bill_factor`` (default 1.0: no change) of its rate, on top of the slow-money factor; 折扣 shows
  the product of the two.
- **Performance pay** = 绩效基数 × min(完成率, attainment_cap) × (实际出勤天数 / 应出勤天数)
  − lateness_penalty 元 for each lateness beyond ``lateness_free``, never below 0; rounded once.
- **Gross pay** 应发合计 = 底薪 + 提成金额 + 绩效工资; left blank when a part is unknown.

Rounding: each 提成明细 row is rounded half up to the fen; a rep's 提成金额 is the sum of their rounded rows.
A rep with no target, no attendance row or no 人员 row is a warning (``Problem``) and computed as far as it
goes, with the gap written in 备注, never silently zero. Before the month's last working day the report is
provisional (暂估).

A rep whose data is incomplete (``roster.incomplete_reps``: a workbook, sheet or required column of theirs was not
read) has 数据不全 and the reason first in 备注; their 提成确认单 says 数据不全 in its title, names what is missing
and carries no signature lines, and its message says it is no final figure, month end or not.

Closed months (``run_daily.py close --month``; ``ctx.closed``): the commission of every closed month before
the report's month is worked out again from today's books; where a rep's figure differs from what was paid,
the 提成计算表 carries an adjustment line on its sheet 提成调整 — 补提 (paid too little) or 扣回 (too much), the
month it belongs to, paid, recomputed, the difference, and the change behind it (the changes since the last
official run dated in that month, ``ctx.changes``; when none is, the difference came from an earlier change,
listed in an earlier 变更记录). Paid figures are never changed by a run: closing the next month settles them.

The month: the run date's month up to the run date, or the month ``--month`` names (``ctx.options.month``)
to its last day (``periods.month_window``). A ``--month`` that is no month is one 错误 in the 问题清单 and no
提成计算表 is made: pay is never worked out for a month other than the one the clerk asked for.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal

import pandas as pd

from ..books.changes import ADJUSTMENT_COLUMNS, Changes, ClosedMonth, describe
from ..books.credit import basis_lines
from ..books.periods import MonthWindow, month_is_final, month_option, month_window, months_of
from ..books.roster import incomplete_reps, rep_names, workbook_keepers
from ..books.workdays import Workdays
from ..core.columns import column_texts
from ..core.config import Commission, Settings
from ..books.context import RunContext
from ..core.output import Delivery, ReportOutput
from ..core.model import WARNING, Problem, Tables, fmt_yuan, rmb_words, yuan_to_fen, text as _text
from ..core.months import Month
from ..core.names import normalize_name
from ..core.sheets import DATE, INT, MONEY, NUMBER, PCT, TEXT, Col, Sheet, Table, WorkbookSpec
from ..core.files import Name
from ..core.schema import (COLLECTION_AMOUNT, COLLECTION_TARGET, CONTRACT_AMOUNT, CONTRACT_NO, CUSTOMER, INVOICE_AMOUNT,
                           PRODUCT, PRODUCT_CATEGORY, REP, SALES_TARGET, SHIPMENT_AMOUNT)

BASIS_LABELS = {  # basis -> (target column, amount column)
    "collected": (COLLECTION_TARGET, COLLECTION_AMOUNT),
    "invoiced": (SALES_TARGET, INVOICE_AMOUNT),
    "shipped": (SALES_TARGET, SHIPMENT_AMOUNT),
    "contracted": (SALES_TARGET, CONTRACT_AMOUNT),
}
BASIS_NAMES = {"collected": "回款", "invoiced": "开票", "shipped": "发货", "contracted": "合同"}
CONFIRMATION_FOLDER = "提成确认单"
STAFF_WORKBOOK = "人员.xlsx"


@dataclass(frozen=True)
class CommissionData:
    """What the report computed (its ``ReportOutput.data``; no later report reads it)."""

    period: MonthWindow
    provisional: bool
    basis: str
    summary: pd.DataFrame  # one row per rep (提成汇总)
    lines: pd.DataFrame  # one row per (collection, item paid[, slice]) (提成明细)
    attendance: pd.DataFrame  # the attendance rows used (考勤)
    adjustments: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=[c.name for c in ADJUSTMENT_COLUMNS]))
    incomplete: dict[str, str] = field(default_factory=dict)  # rep -> what of theirs was not read (数据不全)


# ---------------------------------------------------------------- the month


def is_provisional(period: MonthWindow, run_date: date, calendar: Workdays) -> bool:
    """True before the month's last working day (暂估); from that day on the figures are final."""
    return not month_is_final(period.month, run_date, calendar)


def report_title(name: str, period: MonthWindow, provisional: bool) -> str:
    return f"{name} {period.month}" + ("（暂估）" if provisional else "")


# ---------------------------------------------------------------- small helpers


def _decimal(value: object) -> Decimal | None:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    return Decimal(str(value))


def format_rate(rate: Decimal) -> str:
    """Decimal("0.015") -> '1.5%'."""
    return f"{(rate * 100).normalize():f}%"


# ---------------------------------------------------------------- the lines (books/credit.py) by product


def categorize(lines: pd.DataFrame, tables: Tables) -> pd.DataFrame:
    """Adds 产品类别: the line's contract's 产品名称 (else the row's own) looked up in the 产品 table."""
    products = tables["产品"]
    category = {normalize_name(n): _text(c) for n, c in zip(products[PRODUCT].tolist(), products[PRODUCT_CATEGORY].tolist())}
    contracts = tables["合同"]  # (columns read as lists: iterating a str column boxes every cell)
    product = {k: normalize_name(v) for k, v in zip(column_texts(contracts, CONTRACT_NO), contracts[PRODUCT].tolist())}
    own = lines["_产品名称"] if "_产品名称" in lines else pd.Series([""] * len(lines), index=lines.index)
    lines = lines.copy()
    lines[PRODUCT_CATEGORY] = [category.get(product.get(c) or normalize_name(p), "")
                               for c, p in zip(lines[CONTRACT_NO].tolist(), own.tolist())]
    return lines.drop(columns=[c for c in ("_产品名称",) if c in lines])


# ---------------------------------------------------------------- rates


def sorted_tiers(plan: Commission) -> list[tuple[Decimal, Decimal]]:
    return sorted((t.from_attainment, t.rate) for t in plan.tiers)


def tier_rate(amount: int, target: int | None, plan: Commission) -> Decimal:
    """The rate reached: the highest tier whose lower bound ≤ amount / target (compared exactly);
    the lowest tier's rate when there is no target; 0 below the first tier."""
    tiers = sorted_tiers(plan)
    if not target:
        return tiers[0][1]
    rate = Decimal(0)
    for lower, tier in tiers:
        if Decimal(amount) >= lower * Decimal(target):
            rate = tier
    return rate


def marginal_slices(target: int | None, plan: Commission) -> list[tuple[int, int | None, Decimal]]:
    """[(from fen, to fen or None, rate)]: each tier's slice of the amount, boundaries from_attainment × target
    rounded half up to the fen. Without a target one open slice at the lowest rate."""
    tiers = sorted_tiers(plan)
    if not target:
        return [(0, None, tiers[0][1])]
    bounds = [yuan_to_fen(lower * Decimal(target) / 100) for lower, _ in tiers]
    slices = [(0, bounds[0], Decimal(0))] if bounds[0] > 0 else []
    for i, (_, rate) in enumerate(tiers):
        slices.append((bounds[i], bounds[i + 1] if i + 1 < len(bounds) else None, rate))
    return slices


def slow_factor(age: object, plan: Commission) -> Decimal:
    """slow_money_factor when the item paid was older than slow_money_days (91+ days at 90), else 1."""
    if age is None or pd.isna(age):
        return Decimal(1)
    return plan.slow_money_factor if int(age) > plan.slow_money_days else Decimal(1)


def line_commission(amount: int, rate: Decimal, factor: Decimal) -> int:
    """One 明细 row's 提成 in fen: amount × rate × factor, rounded half up to the fen."""
    return yuan_to_fen(Decimal(amount) / 100 * rate * factor)


def rate_lines(lines: pd.DataFrame, targets: dict[str, int], plan: Commission, amount_col: str) -> pd.DataFrame:
    """Adds 适用比例, 折扣, 提成 to every line (marginal mode splits a line crossing a slice boundary)."""
    out: list[dict] = []
    for rep, group in lines.groupby(REP, sort=False):
        target = targets.get(rep)
        records = group.to_dict("records")
        if plan.mode == "whole":
            base = tier_rate(int(group[amount_col].sum()), target, plan)
            for rec in records:
                rate = plan.category_rates.get(rec[PRODUCT_CATEGORY], base)
                out.append(_rated(rec, rec[amount_col], rate, plan, amount_col))
        else:
            slices = marginal_slices(target, plan)
            done = 0
            for rec in records:
                amount = int(rec[amount_col])
                if rec[PRODUCT_CATEGORY] in plan.category_rates:
                    out.append(_rated(rec, amount, plan.category_rates[rec[PRODUCT_CATEGORY]], plan, amount_col))
                else:
                    for lo, hi, rate in slices:
                        part = min(done + amount, hi if hi is not None else done + amount) - max(done, lo)
                        if part > 0:
                            out.append(_rated(rec, part, rate, plan, amount_col))
                done += amount
    columns = [*lines.columns, "适用比例", "折扣", "提成"]
    frame = pd.DataFrame(out, columns=columns)
    return frame.astype({amount_col: "int64", "提成": "int64", "账龄天数": "Int64"}).reset_index(drop=True)


def bill_factor(rec: dict, plan: Commission) -> Decimal:
    """acceptance_bill_factor on a line of a collection paid by 承兑汇票 (``credit.is_bill``), else 1."""
    bill = rec.get("承兑汇票")
    return plan.acceptance_bill_factor if bill is not None and not pd.isna(bill) and bool(bill) else Decimal(1)


def _rated(rec: dict, amount: int, rate: Decimal, plan: Commission, amount_col: str) -> dict:
    factor = slow_factor(rec["账龄天数"], plan) * bill_factor(rec, plan)
    return {**rec, amount_col: int(amount), "适用比例": rate, "折扣": factor,
            "提成": line_commission(int(amount), rate, factor)}


# ---------------------------------------------------------------- reps, targets, attendance, staff


def month_targets(tables: Tables, month: str, column: str) -> dict[str, int]:
    """姓名 -> the month's target in fen (first row per rep; a zero target counts as none)."""
    frame = tables["目标"]
    frame = frame[months_of(frame) == month]
    targets: dict[str, int] = {}
    for name, value in zip(frame["姓名"], frame[column]):
        name = normalize_name(name)
        if name and name not in targets and not pd.isna(value) and int(value) > 0:
            targets[name] = int(value)
    return targets


def month_attendance(tables: Tables, month: str) -> pd.DataFrame:
    """The month's attendance rows, one per person (the first when exported twice)."""
    frame = tables["考勤"].copy()
    frame = frame[months_of(frame) == month].copy()
    frame["姓名"] = frame["姓名"].map(normalize_name)
    return frame.drop_duplicates("姓名", keep="first").reset_index(drop=True)


def staff_records(tables: Tables) -> dict[str, dict]:
    frame = tables["人员"]
    records: dict[str, dict] = {}
    for rec in frame.to_dict("records"):
        records.setdefault(normalize_name(rec["姓名"]), rec)
    return records


def list_reps(tables: Tables, lines: pd.DataFrame) -> list[str]:
    """The roster's reps (``books.roster``, in 人员 order), then anyone else with lines in the month."""
    reps = rep_names(tables["人员"], workbook_keepers(tables))
    return reps + sorted(r for r in set(lines[REP]) if r and r not in reps)


# ---------------------------------------------------------------- performance pay and the summary


@dataclass(frozen=True)
class PerformancePay:
    attainment_factor: Decimal | None  # min(完成率, cap)
    attendance_factor: Decimal | None  # 实际 / 应出勤
    lateness_deduction: int | None  # fen actually taken off the pay (None when the pay is not computed)
    pay: int | None  # fen, None when it cannot be computed
    lateness_due: int | None = None  # fen the rule asks for (迟到次数 beyond the free ones × penalty)


def performance_pay(base: int | None, attainment: Decimal | None, attendance: dict | None,
                    plan: Commission) -> PerformancePay:
    """绩效基数 × min(attainment, cap) × attendance − penalty × latenesses beyond the free ones, ≥ 0, rounded once."""
    factor = min(attainment, plan.attainment_cap) if attainment is not None else None
    presence, deduction = None, None
    if attendance is not None:
        due, present = _decimal(attendance.get("应出勤天数")), _decimal(attendance.get("实际出勤天数"))
        if due and present is not None:
            presence = present / due
        late = attendance.get("迟到次数")
        late = 0 if late is None or pd.isna(late) else int(late)
        deduction = yuan_to_fen(plan.lateness_penalty * max(0, late - plan.lateness_free))
    if base is None or factor is None or presence is None:  # no pay to deduct from: nothing deducted
        return PerformancePay(factor, presence, None, None, deduction)
    before = Decimal(base) / 100 * factor * presence
    pay = yuan_to_fen(max(Decimal(0), before - Decimal(deduction) / 100))
    made = min(deduction, yuan_to_fen(before))  # pay never below 0: only what there was is deducted
    return PerformancePay(factor, presence, made, pay, deduction)


def summarize(reps: list[str], lines: pd.DataFrame, tables: Tables, period: MonthWindow, settings: Settings,
              basis: str) -> tuple[pd.DataFrame, list[Problem]]:
    """One row per rep (提成汇总) and a warning per missing target, attendance row or 人员 row."""
    plan = settings.commission
    target_col, amount_col = BASIS_LABELS[basis]
    targets = month_targets(tables, period.month, target_col)
    attendance = {r["姓名"]: r for r in month_attendance(tables, period.month).to_dict("records")}
    staff = staff_records(tables)
    problems: list[Problem] = []
    rows = []
    for rep in reps:
        mine = lines[lines[REP] == rep]
        amount, target = int(mine[amount_col].sum()), targets.get(rep)
        person, presence = staff.get(rep), attendance.get(rep)
        attainment = Decimal(amount) / Decimal(target) if target else None
        base = int(person["绩效基数"]) if person is not None and not pd.isna(person["绩效基数"]) else None
        salary = int(person["底薪"]) if person is not None and not pd.isna(person["底薪"]) else None
        perf = performance_pay(base, attainment, presence, plan)
        zero_days = presence is not None and perf.attendance_factor is None
        notes = _notes_and_problems(rep, target, person, presence, zero_days, period, target_col, problems)
        if perf.lateness_due and perf.lateness_deduction != perf.lateness_due:
            notes.append(f"迟到应扣 {fmt_yuan(perf.lateness_due)} 元, "
                         + (f"实扣 {fmt_yuan(perf.lateness_deduction)} 元 (绩效工资已扣至 0)" if perf.lateness_deduction
                            is not None else "未扣 (绩效工资未计算)"))
        commission = int(mine["提成"].sum())
        gross = salary + commission + perf.pay if salary is not None and perf.pay is not None else None
        if gross is None:
            notes.append("应发合计待补")
        rows.append({REP: rep, "部门": _text(person.get("部门")) if person is not None else "",
                     target_col: target, amount_col: amount, "完成率": attainment,
                     "提成比例": tier_rate(amount, target, plan), "提成金额": commission, "绩效基数": base,
                     "完成率系数": perf.attainment_factor, "出勤系数": perf.attendance_factor,
                     "迟到扣款": perf.lateness_deduction, "绩效工资": perf.pay, "底薪": salary, "应发合计": gross,
                     "备注": "；".join(notes)})
    columns = summary_columns(basis)
    frame = pd.DataFrame(rows, columns=[c.name for c in columns])
    money = [c.name for c in columns if c.kind == MONEY]
    return frame.astype({c: "Int64" for c in money}), problems


def _notes_and_problems(rep: str, target: int | None, person: dict | None, presence: dict | None,
                        zero_days: bool, period: MonthWindow, target_col: str, problems: list[Problem]) -> list[str]:
    notes = []
    if person is None:
        notes.append("人员表中无此人：底薪、绩效基数未知，绩效工资未计算")
        problems.append(Problem(WARNING, f"人员表中没有 {rep}，底薪和绩效基数未知，绩效工资未计算",
                                workbook=STAFF_WORKBOOK, sheet="人员", field="姓名", value=rep, rep=rep,
                                suggestion="在 人员 表中补上此人的部门、底薪、绩效基数"))
    if target is None:
        notes.append(f"缺少{target_col}：完成率空白，按最低档比例计提，绩效工资未计算")
        problems.append(Problem(WARNING, f"{rep} 没有 {period.month} 的{target_col}，按最低档比例计提，绩效工资未计算",
                                workbook=STAFF_WORKBOOK, sheet="目标", field=target_col, value=period.month, rep=rep,
                                suggestion=f"在 目标 表中补上 {period.month} {rep} 的{target_col}"))
    if presence is None:
        notes.append("缺少考勤：出勤系数空白，绩效工资未计算")
        problems.append(Problem(WARNING, f"{period.month} 考勤中没有 {rep}，绩效工资未计算",
                                workbook=f"考勤_{period.month}.xlsx", sheet="考勤", field="姓名", value=rep, rep=rep,
                                suggestion="核对考勤导出中是否漏了此人"))
    elif zero_days:
        notes.append("应出勤天数为空或 0：出勤系数空白，绩效工资未计算")
        problems.append(Problem(WARNING, f"{rep} 的应出勤天数为空或 0，绩效工资未计算",
                                workbook=f"考勤_{period.month}.xlsx", sheet="考勤", field="应出勤天数", rep=rep))
    return notes


def attendance_used(tables: Tables, period: MonthWindow, reps: list[str], plan: Commission) -> pd.DataFrame:
    """The 考勤 sheet: the month's attendance rows of the listed reps, with the factors derived from them."""
    frame = month_attendance(tables, period.month)
    frame = frame[frame["姓名"].isin(reps)]
    rows = []
    for rec in frame.to_dict("records"):
        perf = performance_pay(None, None, rec, plan)
        late = rec.get("迟到次数")
        late = 0 if late is None or pd.isna(late) else int(late)
        rows.append({**{c.name: rec.get(c.name) for c in ATTENDANCE_COLUMNS[:8]}, "出勤系数": perf.attendance_factor,
                     "扣款次数": max(0, late - plan.lateness_free), "迟到应扣": perf.lateness_due})
    return pd.DataFrame(rows, columns=[c.name for c in ATTENDANCE_COLUMNS])


# ---------------------------------------------------------------- the whole computation


def compute(tables: Tables, allocation, settings: Settings, run_date: date,
            month: Month | None = None) -> tuple[CommissionData, list[Problem]]:
    """Lines, rates, the per-rep summary and the attendance used, for the month of ``run_date`` (or ``month``)."""
    plan = settings.commission
    period = month_window(run_date, month)
    target_col, amount_col = BASIS_LABELS[plan.basis]
    lines = categorize(basis_lines(tables, allocation, plan.basis, period), tables)
    lines = rate_lines(lines, month_targets(tables, period.month, target_col), plan, amount_col)
    reps = list_reps(tables, lines)
    summary, problems = summarize(reps, lines, tables, period, settings, plan.basis)
    data = CommissionData(period, is_provisional(period, run_date, Workdays.of(settings)), plan.basis, summary, lines,
                          attendance_used(tables, period, reps, plan))
    return data, problems


def mark_incomplete(data: CommissionData, incomplete: dict[str, str]) -> CommissionData:
    """The listed reps with data missing (``roster.incomplete_reps``): 数据不全 and the reason first in 备注."""
    mine = {rep: why for rep, why in incomplete.items() if rep in set(data.summary[REP])}
    if not mine:
        return data
    summary = data.summary.copy()
    summary["备注"] = [f"数据不全：{mine[r]}" + (f"；{note}" if note else "") if r in mine else note
                     for r, note in zip(summary[REP], summary["备注"])]
    return replace(data, summary=summary, incomplete=mine)


# ---------------------------------------------------------------- closed months: 补提 / 扣回

SUPPLEMENT, CLAWBACK = "补提", "扣回"


def paid_commission(data: CommissionData) -> dict[str, int]:
    """Per rep, the month's 提成金额 in fen: what closing the month records as paid."""
    return {rep: int(v) for rep, v in zip(data.summary[REP], data.summary["提成金额"])}


def adjustments(tables: Tables, allocation, settings: Settings, run_date: date, month: str,
                closed: tuple[ClosedMonth, ...], changes: Changes | None) -> pd.DataFrame:
    """One line per rep and closed month before ``month`` whose commission, worked out again from today's
    books, differs from what was paid: 补提 when more is due, 扣回 when less; with the change behind it."""
    rows = []
    for shut in (c for c in closed if c.month < month):
        now = paid_commission(compute(tables, allocation, settings, run_date, Month(shut.month))[0])
        for rep in [*shut.paid, *(r for r in now if r not in shut.paid)]:
            paid, due = int(shut.paid.get(rep, 0)), now.get(rep, 0)
            if due != paid:
                rows.append({REP: rep, "所属月份": shut.month, "类型": SUPPLEMENT if due > paid else CLAWBACK,
                             "已发提成": paid, "重算提成": due, "调整金额": due - paid,
                             "原因": cause(changes, shut.month, rep)})
    return pd.DataFrame(rows, columns=[c.name for c in ADJUSTMENT_COLUMNS])


def cause(changes: Changes | None, month: str, rep: str) -> str:
    """The changes since the last official run dated in ``month`` (the rep's own first), in a few words."""
    earlier = "结账后的台账变更 (见此前的 变更记录)"
    if changes is None:
        return earlier
    frame = changes.frame[changes.frame["月份"].str.contains(month, regex=False)]
    own = frame[frame[REP] == rep]
    rows = (own if len(own) else frame).to_dict("records")
    if not rows:
        return earlier
    return "；".join(describe(r) for r in rows[:3]) + (f" 等 {len(rows)} 处" if len(rows) > 3 else "")


# ---------------------------------------------------------------- layout


def summary_columns(basis: str) -> list[Col]:
    target_col, amount_col = BASIS_LABELS[basis]
    return [Col(REP), Col("部门"), Col(target_col, MONEY), Col(amount_col, MONEY), Col("完成率", PCT),
            Col("提成比例", PCT), Col("提成金额", MONEY), Col("绩效基数", MONEY), Col("完成率系数", PCT),
            Col("出勤系数", PCT), Col("迟到扣款", MONEY), Col("绩效工资", MONEY), Col("底薪", MONEY),
            Col("应发合计", MONEY), Col("备注", TEXT, width=40)]


def detail_columns(basis: str) -> list[Col]:
    amount_col = BASIS_LABELS[basis][1]
    return [Col(REP), Col("日期", DATE), Col(CUSTOMER), Col(CONTRACT_NO), Col(PRODUCT_CATEGORY), Col(amount_col, MONEY),
            Col("核销对象"), Col("所付单据日期", DATE), Col("账龄天数", INT, total=False), Col("适用比例", PCT),
            Col("折扣", PCT), Col("提成", MONEY), Col("说明"), Col("来源")]


def with_paid_items(lines: pd.DataFrame, amount_col: str) -> pd.DataFrame:
    """The 明细 lines with 核销对象: where one collection paid several items (one line each), each line says it
    is part k of n of that collection and which item it paid, so equal lines never read as a duplicate.

    >>> lines = pd.DataFrame({"回款ID": ["c1", "c1", "c2"], "回款金额": [19200000, 19200000, 500],
    ...                       "所付单据日期": pd.to_datetime(["2026-09-01", "2026-10-08", "2026-11-02"]), "说明": ["", "", ""]})
    >>> list(with_paid_items(lines, "回款金额")["核销对象"])
    ['回款 ¥384,000.00 第1/2笔: 2026-09-01 单据', '回款 ¥384,000.00 第2/2笔: 2026-10-08 单据', '']
    """
    if lines.empty or "回款ID" not in lines:
        return lines.assign(核销对象=pd.Series(dtype=object))
    ids = lines["回款ID"].fillna("").astype(str)
    counts, totals = ids.map(ids.value_counts()), lines.groupby(ids)[amount_col].transform("sum")
    order = lines.groupby(ids).cumcount() + 1
    texts = []
    for key, n, total, k, paid, note in zip(ids, counts, totals, order, lines["所付单据日期"], lines["说明"]):
        if not key or n < 2:
            texts.append("")
            continue
        item = f"{pd.Timestamp(paid):%Y-%m-%d} 单据" if not pd.isna(paid) else (_text(note) or "未核销部分")
        texts.append(f"回款 ¥{fmt_yuan(int(total))} 第{k}/{n}笔: {item}")
    return lines.assign(核销对象=texts)


ATTENDANCE_COLUMNS = [Col("姓名"), Col("月份"), Col("应出勤天数", NUMBER), Col("实际出勤天数", NUMBER),
                      Col("迟到次数", INT, total=False), Col("事假天数", NUMBER), Col("病假天数", NUMBER),
                      Col("旷工天数", NUMBER), Col("出勤系数", PCT), Col("扣款次数", INT, total=False),
                      Col("迟到应扣", MONEY, total=False)]  # what the rule asks; what was deducted: 提成汇总


def describe_plan(settings: Settings) -> list[str]:
    """The plan in words, for the subtitle."""
    plan = settings.commission
    tiers = sorted_tiers(plan)
    parts = []
    for i, (lower, rate) in enumerate(tiers):
        upper = f"–{format_rate(tiers[i + 1][0])}" if i + 1 < len(tiers) else "及以上"
        parts.append(f"{format_rate(lower)}{upper} {format_rate(rate)}")
    mode = "全额计提" if plan.mode == "whole" else "超额累进"
    lines = [f"计提基础：{BASIS_NAMES[plan.basis]}；按完成率（{mode}）：" + "，".join(parts)]
    if plan.category_rates:
        lines.append("按产品类别：" + "，".join(f"{k} {format_rate(v)}" for k, v in plan.category_rates.items()))
    if plan.basis == "collected":
        lines.append(f"所付单据账龄超过 {plan.slow_money_days} 天的回款按比例的 {format_rate(plan.slow_money_factor)} 计提；"
                     "预收款按账龄 0 天计")
        if plan.acceptance_bill_factor != 1:
            lines.append(f"承兑汇票回款按比例的 {format_rate(plan.acceptance_bill_factor)} 计提")
    lines.append(f"绩效工资 = 绩效基数 × min(完成率, {format_rate(plan.attainment_cap)}) × 出勤系数 − 迟到超过 "
                 f"{plan.lateness_free} 次每次 {plan.lateness_penalty} 元，不低于 0")
    return lines


def _subtitle(data: CommissionData, settings: Settings) -> list[str]:
    state = "暂估：月末最后一个工作日前的数字，仅供参考" if data.provisional else "月末数"
    return [f"期间 {data.period.start} 至 {data.period.end}（{state}）", settings.company.name, *describe_plan(settings)]


SIGNATURE_NOTES = ["本人已核对以上提成与绩效明细，确认无误。",
                   "业务员签字：____________    日期：____________",
                   "销售经理：____________    财务审核：____________"]


INCOMPLETE_NOTE = "本单数据不全，仅供核对，不作签字确认。"


def amounts_in_words(summary: pd.DataFrame) -> list[str]:
    """The lines a rep signs against: 提成金额 and, when known, 应发合计, in 人民币大写 (one summary row)."""
    if len(summary) != 1:
        return []
    row = summary.iloc[0]

    def words(column: str) -> str:
        fen = int(row[column])
        return f"{column}（大写）：{'负' if fen < 0 else ''}{rmb_words(fen)}　¥{fmt_yuan(fen)}"

    return [words("提成金额"), *([] if pd.isna(row["应发合计"]) else [words("应发合计")])]


def confirmation_spec(rep: str, data: CommissionData, settings: Settings) -> WorkbookSpec:
    """The rep's own 提成确认单: their summary row and their 明细 lines only, with a signature line."""
    summary = data.summary[data.summary[REP] == rep]
    lines = with_paid_items(data.lines[data.lines[REP] == rep], BASIS_LABELS[data.basis][1])
    missing = data.incomplete.get(rep)
    title = report_title("提成确认单", data.period, data.provisional) + ("（数据不全）" if missing else "") + f" — {rep}"
    subtitle = [f"期间 {data.period.start} 至 {data.period.end}", settings.company.name]
    if missing:
        subtitle.append(f"数据不全，不是正式数：{missing}。补齐后重新出单。")
    sheet = Sheet("提成确认单", title=title, subtitle=subtitle,
                  tables=[Table(summary_columns(data.basis), summary, heading="提成汇总", autofilter=False),
                          Table(detail_columns(data.basis), lines, heading="提成明细", totals=True, autofilter=False)],
                  notes=[*amounts_in_words(summary), *([INCOMPLETE_NOTE] if missing else SIGNATURE_NOTES)])
    return WorkbookSpec(Name(rep, before="提成确认单_", after=f"_{data.period.month}.xlsx"), [sheet],
                        subfolder=CONFIRMATION_FOLDER, for_rep=rep)


def layout(data: CommissionData, settings: Settings) -> tuple[WorkbookSpec, dict[str, WorkbookSpec]]:
    """The clerk's 提成计算表 (提成汇总, 提成明细, 考勤) and one 提成确认单 per rep."""
    title = report_title("提成计算表", data.period, data.provisional)
    subtitle = _subtitle(data, settings)
    sheets = [Sheet("提成汇总", [Table(summary_columns(data.basis), data.summary, totals=True)], title=title,
                    subtitle=subtitle),
              Sheet("提成明细", [Table(detail_columns(data.basis), with_paid_items(data.lines, BASIS_LABELS[data.basis][1]),
                                     totals=True)], title=title,
                    subtitle=subtitle[:2]),
              Sheet("考勤", [Table(ATTENDANCE_COLUMNS, data.attendance)], title=f"考勤 {data.period.month}",
                    subtitle=[f"考勤_{data.period.month}.xlsx 中本表所用的行"], landscape=False)]
    if len(data.adjustments):
        sheets.append(Sheet("提成调整", [Table(ADJUSTMENT_COLUMNS, data.adjustments, totals=True)],
                            title=f"提成调整 {data.period.month}",
                            subtitle=["已结账月份按今日台账重算的提成与已发提成之差: 补提为正, 扣回为负, 随本月提成发放"]))
    clerk = WorkbookSpec(f"提成计算表_{data.period.month}.xlsx", sheets)
    return clerk, {rep: confirmation_spec(rep, data, settings) for rep in data.summary[REP]}


def deliveries(data: CommissionData, per_rep: dict[str, WorkbookSpec]) -> list[Delivery]:
    """One 提成确认单 message per rep, holding that rep's file only."""
    out = []
    for rep, spec in per_rep.items():
        row = data.summary[data.summary[REP] == rep].iloc[0]
        state = "（暂估，月末最后一个工作日出正式数）" if data.provisional else ""
        ask = "请核对附件中的明细，确认无误后签字交回。"
        if rep in data.incomplete:
            state = f"（数据不全，不是正式数：{data.incomplete[rep]}）"
            ask = "请补齐台账，下次运行重新出单；本单不用签字。"
        out.append(Delivery(report="commission", rep=rep, title=f"提成确认单 {data.period.month}",
                            attachments=[spec],
                            key_figure=f"提成 ¥{fmt_yuan(int(row['提成金额']))}" + ("（数据不全）" if rep in data.incomplete else ""),
                            summary_text=f"{rep}：{data.period.month} 提成 ¥{fmt_yuan(int(row['提成金额']))}{state}。" + ask))
    return out


def figures(data: CommissionData) -> dict:
    summary = data.summary
    return {"month": data.period.month, "provisional": data.provisional, "basis": data.basis,
            "reps": int(len(summary)),
            "commission_total_fen": int(summary["提成金额"].sum()),
            "performance_pay_total_fen": int(summary["绩效工资"].dropna().sum()),
            "performance_pay_missing": int(summary["绩效工资"].isna().sum()),
            **({"adjustments_fen": int(data.adjustments["调整金额"].sum())} if len(data.adjustments) else {}),
            **({"incomplete_reps": sorted(data.incomplete)} if data.incomplete else {})}


NEEDS: tuple[str, ...] = ()  # earlier reports whose data ``build`` takes


def build(ctx: RunContext) -> ReportOutput:
    month, bad_month = month_option(ctx.options.month, "提成计算表")
    if bad_month:
        return ReportOutput(problems=bad_month)
    data, problems = compute(ctx.tables, ctx.allocation, ctx.settings, ctx.run_date, month)
    data = mark_incomplete(data, incomplete_reps(ctx.problems))
    if ctx.closed:
        data = replace(data, adjustments=adjustments(ctx.tables, ctx.allocation, ctx.settings, ctx.run_date,
                                                     data.period.month, ctx.closed, ctx.changes))
    clerk, per_rep = layout(data, ctx.settings)
    # reps get their 提成确认单 to confirm at month end; a daily 暂估 copy only when commission.daily_statement
    mailed = not data.provisional or ctx.settings.commission.daily_statement
    return ReportOutput(workbooks=[clerk, *per_rep.values()], figures=figures(data), problems=problems, data=data,
                        deliveries=deliveries(data, per_rep) if mailed else [])
