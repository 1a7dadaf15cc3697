"""财务对账: the month-end reconciliation of the sales side's books with finance's exports.

Runs after the receivables and the commission, near the end of the clerk's day. For a month M (YYYY-MM) it
compares, line by line,
- the reps' 回款 dated in M with finance's 财务收款 of M, and
- the reps' 开票 dated in M with finance's 财务开票 of M,
and per customer the sales side's 应收余额 at the end of M with finance's 应收余额 of M.

Lines are matched by ``books.matching.match_lines`` (the rule the shipping check uses too): each line at most
once, by (1) the same 银行流水号 / 发票号码 (``normalize_reference``; the same reference with a different amount
is 金额不符, both lines used up and the difference listed), (2) the same customer and amount within
``reconciliation.date_window_days`` (finance's names through the archive, else a fuzzy match shown as
名称近似 0.96), (3) one line equal to the sum of 2..``max_combination`` lines of the other side; whatever is
left is a difference: 销售有财务无 or 财务有销售无.

The sales 应收余额 of a customer at month end ME is Σ item 金额 dated ≤ ME − Σ 回款金额 dated ≤ ME (items are
the allocation's shipments or invoices, ``receivables.basis``). Differences are sales side − finance side.

Finance's rows that are not lines (``matching.finance_lines``: a total row such as 合计, 小计, 本月合计 left
by the export in 客户名称, 摘要 or 凭证号, a row without 客户名称, a line of amount 0) are skipped and counted,
never matched; the 应收余额 export loses only its total rows (a balance of 0 is a figure).

A month runs when the run date is in it, or in the first ``days_into_next_month`` days of the next month,
and a finance export for it exists; on and after the month's last working day it runs without any export
too; ``--month`` (``ctx.options.month``) forces one. A missing export is said in the workbook and in the
figures (``missing_exports``), and what is there is reconciled; a missing finance folder (the intake records
it in ``Tables.inputs``) is said the same way, naming the folder (``finance_folder_missing``). A ``--month`` that is no month is one 错误
in the 问题清单 and no 财务对账 is made (the clerk asked for a month; another one would be mistaken for it).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from ..books.matching import (COLLECTION, INVOICE, MatchResult, drop_total_rows, finance_lines, line_records,
                              match_lines, prepare_lines, resolve_names)
from ..books.periods import month_option, months_of, rows_between
from ..core.columns import each_once, pick, position_of, stripped_texts
from ..core.config import Settings
from ..books.context import RunContext
from ..core.output import Delivery, ReportOutput
from ..core.model import REP, Tables
from ..core.months import Month
from ..core.names import CustomerIndex, normalize_name
from ..core.schema import (ACCOUNT_REP, BANK_REF, CLOSING_BALANCE, COLLECTION_AMOUNT, COLLECTION_DATE, CONTRACT_NO,
                           CUSTOMER, FINANCE_SHEETS, INVOICE_DATE)
from ..core.sheets import DATE, INT, MONEY, Col, Highlight, Sheet, Table, WorkbookSpec

FINANCE_EXPORTS = tuple(sheet.name for sheet in FINANCE_SHEETS)  # 财务收款, 财务开票, 应收余额
CONSISTENT = "一致"
DIFFERENT = "有差异"

_FINANCE_SHEET = {COLLECTION: "财务收款", INVOICE: "财务开票"}

SUMMARY_COLUMNS = [Col(CUSTOMER), Col(REP), Col("销售回款", MONEY), Col("财务收款", MONEY), Col("回款差额", MONEY),
                   Col("销售开票", MONEY), Col("财务开票", MONEY), Col("开票差额", MONEY), Col("销售应收余额", MONEY),
                   Col("财务应收余额", MONEY), Col("余额差额", MONEY), Col("状态")]
MATCHED_COLUMNS = [Col("类型"), Col("匹配组", INT, total=False), Col("匹配级别", INT, total=False), Col("说明"),
                   Col("销售日期", DATE), Col("销售客户"), Col("销售金额", MONEY), Col("销售单据号"), Col("销售来源"),
                   Col("财务日期", DATE), Col("财务客户"), Col("财务金额", MONEY), Col("财务凭证号/发票号"),
                   Col("财务来源")]
SALES_ONLY_COLUMNS = [Col("类型"), Col("日期", DATE), Col(CUSTOMER), Col(REP), Col("金额", MONEY), Col("单据号"),
                      Col(CONTRACT_NO), Col("来源")]
FINANCE_ONLY_COLUMNS = [Col("类型"), Col("日期", DATE), Col(CUSTOMER), Col("对应客户"), Col("金额", MONEY),
                        Col("凭证号/发票号"), Col(BANK_REF), Col("摘要"), Col("来源")]
MISMATCH_COLUMNS = [Col("类型"), Col("单据号"), Col("销售日期", DATE), Col("销售客户"), Col("销售金额", MONEY),
                    Col("销售来源"), Col("财务日期", DATE), Col("财务客户"), Col("财务金额", MONEY),
                    Col("财务凭证号/发票号"), Col("差额", MONEY)]


# ---------------------------------------------------------------- results

@dataclass(frozen=True)
class ReconciliationData:
    """The report's ``data``: the months reconciled in this run (none on most days), by YYYY-MM."""

    months: dict[str, MonthReconciliation]


@dataclass
class MonthReconciliation:
    month: Month
    summary: pd.DataFrame  # one row per customer, SUMMARY_COLUMNS
    collections: MatchResult | None  # None when 财务收款 is missing
    invoices: MatchResult | None  # None when 财务开票 is missing
    missing: list[str]  # finance exports not found for the month
    skipped_total_rows: int  # finance rows recognised as totals / blank customer, never matched
    skipped_zero_rows: int  # finance lines of amount 0
    folder_missing: str = ""  # the finance folder, when it does not exist


# ---------------------------------------------------------------- months

def months_due(run_date: date, finance_months: set[str] | list[str], forced: Month | None = None,
               days_into_next_month: int = 10, month_end: date | None = None) -> list[Month]:
    """The months to reconcile on ``run_date``.

    ``forced`` (YYYY-MM) wins. Otherwise the run date's month and, in the first ``days_into_next_month``
    days of a month, the month before; each only when finance has an export for it, except the run date's
    month from ``month_end`` (its last working day) on: then the reconciliation is due and says what is missing.
    """
    if forced:
        return [forced]
    current = Month.of(run_date)
    candidates = [current]
    if run_date.day <= days_into_next_month:
        candidates.insert(0, current.shift(-1))
    return [m for m in candidates if m in set(finance_months) or m == current and month_end and run_date >= month_end]


def finance_folder_missing(tables: Tables) -> str:
    """The finance folder when the intake found it missing ("" when it is there)."""
    return next((str(e["path"]) for e in tables.inputs if e.get("folder") == "finance" and e.get("status") == "missing"),
                "")


_DATE_OF = {"财务收款": "日期", "财务开票": INVOICE_DATE, "应收余额": None}


def finance_months(tables: Tables) -> set[str]:
    """Every month some finance export has rows for, or names in a file read (财务收款_2026-11.xlsx)."""
    months: set[str] = set()
    for sheet in FINANCE_EXPORTS:
        frame = tables[sheet]
        months |= {m for m in months_of(frame, _DATE_OF[sheet]) if m}
    for entry in tables.inputs:
        sheet, month = export_of_file(entry)
        if sheet and month:
            months.add(month)
    return months


def export_of_file(entry: dict) -> tuple[str | None, str | None]:
    """(finance sheet, month) named by an input file such as 财务收款_2026-11.xlsx; (None, None) otherwise."""
    if str(entry.get("status", "ok")) != "ok":  # an unreadable or skipped file is no export
        return None, None
    stem = Path(str(entry.get("path", ""))).stem
    for sheet in FINANCE_EXPORTS:
        if stem.startswith(sheet):
            return sheet, Month.find(stem[len(sheet):])
    return None, None


def export_present(tables: Tables, sheet: str, month: str) -> bool:
    """Finance gave ``sheet`` for ``month``: rows of that month, or a file named for it (perhaps empty)."""
    if (months_of(tables[sheet], _DATE_OF[sheet]) == month).any():
        return True
    return any(export_of_file(entry) == (sheet, month) for entry in tables.inputs)


# ---------------------------------------------------------------- one month

def finance_rows(tables: Tables, sheet: str, month: str) -> tuple[pd.DataFrame, int, int]:
    """Finance's rows of ``month`` without total rows and zero lines; (rows, totals skipped, zeros skipped)."""
    frame = tables[sheet]
    frame = frame[months_of(frame, _DATE_OF[sheet]) == month]
    if sheet == "应收余额":  # a balance of 0 is a figure, not an empty line
        return *drop_total_rows(frame), 0
    return finance_lines(frame)


def sales_invoices(tables: Tables, month: Month | None = None) -> pd.DataFrame:
    """The reps' 开票 (those dated in ``month`` when given) with the 客户名称 and 业务员 of their contract
    (validation adds them; filled here if not)."""
    invoices = tables["开票"] if month is None else rows_between(tables["开票"], INVOICE_DATE, month.first, month.last)
    invoices = invoices.copy()
    contracts = tables["合同"]
    at = position_of(stripped_texts(contracts, CONTRACT_NO), stripped_texts(invoices, CONTRACT_NO))
    for column in (CUSTOMER, REP):
        given = stripped_texts(invoices, column)
        invoices[column] = np.where(given != "", given, pick(stripped_texts(contracts, column), at, ""))
    return invoices


def sales_balances(items: pd.DataFrame, collections: pd.DataFrame, month_end: date,
                   customers: CustomerIndex) -> dict[str, int]:
    """Per customer: Σ item 金额 dated ≤ month end − Σ 回款金额 dated ≤ month end (fen), customers in the order
    they first appear (items first)."""
    cutoff = pd.Timestamp(month_end)
    balances: dict[str, int] = {}
    for frame, day, amount, sign in ((items, "日期", "金额", 1), (collections, COLLECTION_DATE, COLLECTION_AMOUNT, -1)):
        rows = frame[pd.to_datetime(frame[day]) <= cutoff]
        names = each_once(customers.canonical, rows[CUSTOMER])
        for name, total in rows[amount].astype("int64").groupby(names, sort=False).sum().items():
            balances[name] = balances.get(name, 0) + sign * int(total)
    return balances


def shown_reps(tables: Tables, items: pd.DataFrame, customers: CustomerIndex) -> dict[str, str]:
    """The rep shown for each customer: the archive's 负责业务员, else the rep of its latest item or 回款."""
    reps: dict[str, str] = {}
    for frame, day in ((tables["回款"], COLLECTION_DATE), (items, "日期")):
        if frame.empty or REP not in frame:
            continue
        ordered = frame.sort_values(day, kind="stable")
        named = stripped_texts(ordered, REP)
        reps.update(zip(each_once(customers.canonical, ordered[CUSTOMER])[named != ""], named[named != ""]))
    archive = tables["客户"]
    if ACCOUNT_REP in archive:
        named = stripped_texts(archive, ACCOUNT_REP)
        reps.update(zip(each_once(customers.canonical, archive[CUSTOMER])[named != ""], named[named != ""]))
    return reps


def reconcile_month(tables: Tables, allocation_items: pd.DataFrame, customers: CustomerIndex, settings: Settings,
                    month: Month) -> MonthReconciliation:
    """Everything for one month: matched collections and invoices, balances, the per-customer summary."""
    month_end = month.last
    missing = [sheet for sheet in FINANCE_EXPORTS if not export_present(tables, sheet, month)]
    skipped_totals = skipped_zero = 0
    fin: dict[str, pd.DataFrame] = {}
    for sheet in FINANCE_EXPORTS:
        fin[sheet], totals, zeros = finance_rows(tables, sheet, month)
        skipped_totals += totals
        skipped_zero += zeros
    collections_all = tables["回款"]
    sales = {COLLECTION: rows_between(collections_all, COLLECTION_DATE, month.first, month.last),
             INVOICE: sales_invoices(tables, month)}
    balances = sales_balances(allocation_items, collections_all, month_end, customers)

    sales_names = [*balances, *(n for frame in sales.values() for n in each_once(normalize_name, frame[CUSTOMER]))]
    finance_names = [n for frame in fin.values() for n in each_once(normalize_name, frame[CUSTOMER])]
    names = resolve_names(sales_names, finance_names, customers, settings.reconciliation.fuzzy_threshold)

    results: dict[str, MatchResult | None] = {}
    for kind in (COLLECTION, INVOICE):
        if _FINANCE_SHEET[kind] in missing:
            results[kind] = None
        else:
            results[kind] = match_lines(sales[kind], fin[_FINANCE_SHEET[kind]], kind, settings, customers, names)
    sales_lines = {kind: results[kind].sales if results[kind] else prepare_lines(sales[kind], kind, "sales",
                                                                                  customers=customers)
                   for kind in (COLLECTION, INVOICE)}
    finance_balances = None
    if "应收余额" not in missing:
        finance_balances = defaultdict(int)
        for name, amount in zip(fin["应收余额"][CUSTOMER], fin["应收余额"][CLOSING_BALANCE]):
            written = normalize_name(name)
            finance_balances[names.get(written, (customers.canonical(written), None))[0]] += int(amount)
    summary = reconciled_customers(sales_lines, results, balances, finance_balances,
                        shown_reps(tables, allocation_items, customers))
    return MonthReconciliation(month, summary, results[COLLECTION], results[INVOICE], missing, skipped_totals,
                               skipped_zero, finance_folder_missing(tables))


def reconciled_customers(sales_lines: dict[str, pd.DataFrame], results: dict[str, MatchResult | None],
              sales_balance: dict[str, int], finance_balance: dict[str, int] | None,
              reps: dict[str, str]) -> pd.DataFrame:
    """One row per customer (SUMMARY_COLUMNS). A finance column is None when its export is missing. 状态 is
    有差异 when a difference is not 0 or a line of the customer is unmatched or mismatched."""
    sums: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    unmatched: set[str] = set()
    columns = {COLLECTION: ("销售回款", "财务收款"), INVOICE: ("销售开票", "财务开票")}
    for kind, (sales_col, finance_col) in columns.items():
        for name, amount in zip(sales_lines[kind]["客户"], sales_lines[kind]["金额"]):
            sums[name][sales_col] += int(amount)
        result = results[kind]
        if result is None:
            continue
        for name, amount in zip(result.finance["客户"], result.finance["金额"]):
            sums[name][finance_col] += int(amount)
        for side in ("sales", "finance"):
            unmatched |= set(result.unmatched(side)["客户"])
        unmatched |= {result.sales.at[i, "客户"] for i, _ in result.mismatches}
    customers = set(sums) | {c for c, v in sales_balance.items() if v} | set(finance_balance or {})
    rows = []
    for name in customers:
        s = sums[name]
        row = {CUSTOMER: name, REP: reps.get(name, ""), "销售回款": s["销售回款"], "销售开票": s["销售开票"],
               "销售应收余额": sales_balance.get(name, 0)}
        row.update(_compare(s["销售回款"], s["财务收款"] if results[COLLECTION] else None, "财务收款", "回款差额"))
        row.update(_compare(s["销售开票"], s["财务开票"] if results[INVOICE] else None, "财务开票", "开票差额"))
        row.update(_compare(row["销售应收余额"],
                            finance_balance.get(name, 0) if finance_balance is not None else None,
                            "财务应收余额", "余额差额"))
        differs = name in unmatched or any(row[c] not in (0, None) for c in ("回款差额", "开票差额", "余额差额"))
        row["状态"] = DIFFERENT if differs else CONSISTENT
        if differs or any(v for k, v in row.items() if k not in (CUSTOMER, REP, "状态")):
            rows.append(row)
    frame = pd.DataFrame(rows, columns=[c.name for c in SUMMARY_COLUMNS])
    money = [c.name for c in SUMMARY_COLUMNS if c.kind == MONEY]
    frame[money] = frame[money].astype("Int64")
    if frame.empty:
        return frame
    frame["_order"] = (frame["状态"] != DIFFERENT).astype(int)
    return frame.sort_values(["_order", CUSTOMER], kind="stable").drop(columns="_order").reset_index(drop=True)


def _compare(sales: int, finance: int | None, finance_col: str, diff_col: str) -> dict:
    return {finance_col: finance, diff_col: None if finance is None else sales - finance}


# ---------------------------------------------------------------- tables for the sheets

class _Rows:
    """The rows of a frame by position, each a dict as in ``line_records``, built only when one is asked for."""

    def __init__(self, frame: pd.DataFrame):
        self._names = list(frame.columns)
        self._columns = [frame[c].to_numpy(dtype=object) for c in self._names]

    def __getitem__(self, position: int) -> dict:
        return dict(zip(self._names, (column[position] for column in self._columns)))


def matched_rows(result: MatchResult, start_group: int = 1) -> list[dict]:
    """已匹配: one row per line of the larger side of each match; the single line is on its group's first row."""
    rows = []
    s, f = _Rows(result.sales), _Rows(result.finance)
    for group, m in enumerate(result.matches, start=start_group):
        for k in range(max(len(m.sales), len(m.finance))):
            row = {"类型": result.kind, "匹配组": group, "匹配级别": m.level, "说明": m.note}
            if k < len(m.sales):
                line = s[m.sales[k]]
                row.update({"销售日期": line["日期"], "销售客户": line[CUSTOMER], "销售金额": line["金额"],
                            "销售单据号": line["单据号"], "销售来源": line["来源"]})
            if k < len(m.finance):
                line = f[m.finance[k]]
                row.update({"财务日期": line["日期"], "财务客户": line[CUSTOMER], "财务金额": line["金额"],
                            "财务凭证号/发票号": line["凭证号"], "财务来源": line["来源"]})
            rows.append(row)
    return rows


def sales_only_rows(result: MatchResult) -> list[dict]:
    return [{"类型": result.kind, "日期": r["日期"], CUSTOMER: r[CUSTOMER], REP: r[REP], "金额": r["金额"],
             "单据号": r["单据号"], CONTRACT_NO: r[CONTRACT_NO], "来源": r["来源"]}
            for r in line_records(result.unmatched("sales"))]


def finance_only_rows(result: MatchResult) -> list[dict]:
    return [{"类型": result.kind, "日期": r["日期"], CUSTOMER: r[CUSTOMER],
             "对应客户": r["客户"] if r["客户"] != r[CUSTOMER] else "", "金额": r["金额"], "凭证号/发票号": r["凭证号"],
             BANK_REF: r["单据号"] if result.kind == COLLECTION else "", "摘要": r["摘要"], "来源": r["来源"]}
            for r in line_records(result.unmatched("finance"))]


def mismatch_rows(result: MatchResult) -> list[dict]:
    rows = []
    for i, j in result.mismatches:
        s, f = result.sales.iloc[i], result.finance.iloc[j]
        rows.append({"类型": result.kind, "单据号": s["单据号"], "销售日期": s["日期"], "销售客户": s[CUSTOMER],
                     "销售金额": int(s["金额"]), "销售来源": s["来源"], "财务日期": f["日期"], "财务客户": f[CUSTOMER],
                     "财务金额": int(f["金额"]), "财务凭证号/发票号": f["凭证号"],
                     "差额": int(s["金额"]) - int(f["金额"])})
    return rows


def summary_columns(missing: list[str]) -> list[Col]:
    """SUMMARY_COLUMNS, without a total under the columns of a missing export (they are blank)."""
    blank = {"财务收款": ("财务收款", "回款差额"), "财务开票": ("财务开票", "开票差额"), "应收余额": ("财务应收余额", "余额差额")}
    off = {name for sheet in missing for name in blank[sheet]}
    return [Col(c.name, c.kind, total=False) if c.name in off else c for c in SUMMARY_COLUMNS]


def _results(month: MonthReconciliation) -> list[MatchResult]:
    return [r for r in (month.collections, month.invoices) if r is not None]


def by_kind(columns: list[Col], rows: list[dict], **options) -> list[Table]:
    """One table per 类型 (回款, 开票), each with its own 合计: collections and invoices are never added together."""
    kinds = list(dict.fromkeys(row["类型"] for row in rows))
    if len(kinds) <= 1:
        return [Table(columns, rows, totals_label=f"{kinds[0]}合计" if kinds else "合计", **options)]
    return [Table(columns, [row for row in rows if row["类型"] == kind], heading=kind, totals_label=f"{kind}合计",
                  **options) for kind in kinds]


def layout(result: MonthReconciliation, settings: Settings, run_date: date) -> WorkbookSpec:
    """财务对账_<YYYY-MM>.xlsx: 对账汇总, 已匹配, 销售有财务无, 财务有销售无, 金额不符."""
    first, last = result.month.first, result.month.last
    title = f"财务对账 {result.month}"
    subtitle = [settings.company.name, f"对账期间 {first.isoformat()} 至 {last.isoformat()}",
                f"截至 {last.isoformat()}（生成于 {run_date.isoformat()}）"]
    if result.folder_missing:
        subtitle.append(f"找不到财务导出文件夹 {result.folder_missing}: 请把财务的导出（财务收款_YYYY-MM.xlsx 等）放入该文件夹")
    if result.missing:
        subtitle.append(f"缺少财务导出: {'、'.join(result.missing)}（未核对的项目留空）")
    matched: list[dict] = []
    for r in _results(result):
        matched += matched_rows(r, start_group=len({row["匹配组"] for row in matched}) + 1)
    rec = settings.reconciliation
    notes = [
        "差额 = 销售台账 − 财务账；正数表示销售台账多于财务账。",
        "状态 有差异: 任一差额不为 0，或该客户有未匹配、金额不符的单据（见其他工作表）。",
        f"匹配规则: 1 流水号/发票号一致; 2 同一客户、金额相同、日期相差不超过 {rec.date_window_days} 天"
        f"（名称近似度 ≥ {rec.fuzzy_threshold / 100:.2f} 视为同一客户）; 3 一笔等于同一客户多笔之和（2 至 {rec.max_combination} 笔）。",
        f"销售应收余额 = 截至 {last.isoformat()} 的{'发货' if settings.receivables.basis == 'shipment' else '开票'}金额 − 回款金额。",
        f"财务导出中已跳过合计/小计行 {result.skipped_total_rows} 行、金额为 0 的行 {result.skipped_zero_rows} 行。",
    ]
    summary = Sheet("对账汇总", [Table(summary_columns(result.missing), result.summary, totals=True,
                                       highlights=[Highlight("状态", "==", DIFFERENT, whole_row=True)])],
                    title=title, subtitle=subtitle, notes=notes)
    detail_subtitle = [settings.company.name, f"截至 {last.isoformat()}"]
    sheets = [
        summary,
        Sheet("已匹配", by_kind(MATCHED_COLUMNS, matched, totals=True), title=f"{title} 已匹配", subtitle=detail_subtitle),
        Sheet("销售有财务无", by_kind(SALES_ONLY_COLUMNS, [row for r in _results(result) for row in sales_only_rows(r)],
                                     totals=True), title=f"{title} 销售有财务无", subtitle=detail_subtitle),
        Sheet("财务有销售无", by_kind(FINANCE_ONLY_COLUMNS, [row for r in _results(result) for row in finance_only_rows(r)],
                                     totals=True), title=f"{title} 财务有销售无", subtitle=detail_subtitle),
        Sheet("金额不符", by_kind(MISMATCH_COLUMNS, [row for r in _results(result) for row in mismatch_rows(r)],
                                  totals=True, highlights=[Highlight("差额", "!=", 0)]),
              title=f"{title} 金额不符", subtitle=detail_subtitle),
    ]
    return WorkbookSpec(f"财务对账_{result.month}.xlsx", sheets)


# ---------------------------------------------------------------- figures and entry point

def month_figures(result: MonthReconciliation) -> dict:
    """The month's figures for manifest.json."""
    matched = {"1": 0, "2": 0, "3": 0}
    by_kind = {}
    sales_only = {"count": 0, "amount": 0}
    finance_only = {"count": 0, "amount": 0}
    mismatch = {"count": 0, "amount": 0}
    for r in _results(result):
        counts = r.level_counts()
        for level, n in counts.items():
            matched[level] += n
        s_only, f_only = r.unmatched("sales"), r.unmatched("finance")
        diff = sum(int(r.sales.at[i, "金额"]) - int(r.finance.at[j, "金额"]) for i, j in r.mismatches)
        by_kind[r.kind] = {"matched": counts, "sales_only": {"count": len(s_only), "amount": int(s_only["金额"].sum())},
                           "finance_only": {"count": len(f_only), "amount": int(f_only["金额"].sum())},
                           "amount_mismatch": {"count": len(r.mismatches), "amount": diff}}
        for total, part in ((sales_only, by_kind[r.kind]["sales_only"]), (finance_only, by_kind[r.kind]["finance_only"]),
                            (mismatch, by_kind[r.kind]["amount_mismatch"])):
            total["count"] += part["count"]
            total["amount"] += part["amount"]
    differing = int((result.summary["状态"] == DIFFERENT).sum()) if not result.summary.empty else 0
    return {"matched": matched, "sales_only": sales_only, "finance_only": finance_only, "amount_mismatch": mismatch,
            "customers_with_differences": differing, "skipped_total_rows": result.skipped_total_rows,
            "skipped_zero_rows": result.skipped_zero_rows, "missing_exports": list(result.missing),
            **({"finance_folder_missing": result.folder_missing} if result.folder_missing else {}),
            "by_kind": by_kind}


NEEDS: tuple[str, ...] = ()  # earlier reports whose data ``build`` takes


def build(ctx: RunContext) -> ReportOutput:
    forced, problems = month_option(ctx.options.month, "财务对账")
    months = [] if problems else months_due(ctx.run_date, finance_months(ctx.tables), forced,
                                            ctx.settings.reconciliation.days_into_next_month,
                                            ctx.workdays.last_of_month(Month.of(ctx.run_date)))
    items = ctx.allocation.items if months else None  # the receivable items (日期, 客户名称, 金额)
    output = ReportOutput(figures={"months": {}}, problems=problems, data=ReconciliationData({}))
    for month in months:
        result = reconcile_month(ctx.tables, items, ctx.customers, ctx.settings, month)
        output.workbooks.append(layout(result, ctx.settings, ctx.run_date))
        figures = month_figures(result)
        output.figures["months"][month] = figures
        output.data.months[month] = result
        differing = figures["customers_with_differences"]
        output.deliveries.append(Delivery(
            report="reconciliation", title=f"财务对账 {month}", attachments=[Path(output.workbooks[-1].filename)],
            key_figure=f"{differing} 个客户有差异" if differing else "全部一致",
            summary_text=(f"{month} 财务对账: 已匹配 {sum(figures['matched'].values())} 组, 销售有财务无 "
                          f"{figures['sales_only']['count']} 笔, 财务有销售无 {figures['finance_only']['count']} 笔, "
                          f"金额不符 {figures['amount_mismatch']['count']} 笔"
                          + (f"; 找不到财务导出文件夹 {result.folder_missing}" if result.folder_missing else "")
                          + (f"; 缺少财务导出: {'、'.join(result.missing)}" if result.missing else "") + "。")))
    return output
