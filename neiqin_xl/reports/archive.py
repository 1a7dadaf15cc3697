"""客户档案汇总: the customer archive with each customer's business, and the names the archive lacks.

Its place in the process: the last report of the day (step 8 of the clerk's duties: keep the archive complete).
Workbook 客户档案汇总_<D>.xlsx, figures as of the run date D:

- 客户档案: one row per archive customer: the archive's own columns (客户编码 … 账期天数), then 合同数 and
  合同金额 (contracts signed up to D), 最近签约日期, 最近回款日期, 应收余额, 逾期金额 and 最近拜访日期 (日报 rows
  with 活动类型 拜访).
  应收余额 and 逾期金额 are ``books.balances.balances_as_of`` (the 应收账款明细账's figures): 应收余额 = what
  the customer's items still owed on D (``allocation.due_parts_as_of``) − the customer's money not yet
  applied on D (``allocation.credits_as_of``); 逾期金额 = what parts with 到期日 < D still owed on D (credits
  not netted); a contract with a 回款计划 has each open part due on its plan line's date.
- 新客户: every customer name in the reps' books that the archive does not know (``customers.resolve`` is
  None), ready to paste into 客户档案.xlsx: the archive's columns first (客户编码 blank, 客户名称, 别名,
  信用额度, 账期天数, 负责业务员 = the rep of the first occurrence, 联系人 = the first 联系人 of a 日报 row for
  that name, 电话, 地址), then 首次出现 (工作簿[工作表]!行 N: the column of 客户名称 depends on each rep's
  header, so the row is given), 首次日期, 出现次数, 业务员 (every rep using the name) and the source columns.
  Names are read where reps type them: 合同, 回款 and 日报 (发货 and 开票 take the contract's customer).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date

import pandas as pd

from ..books.allocation import Allocation
from ..books.balances import balances_as_of
from ..core.columns import column_texts, each_once
from ..books.context import RunContext
from ..core.output import ReportOutput
from ..core.model import REP, SRC_ROW, SRC_SHEET, SRC_WORKBOOK, Tables
from ..core.names import CustomerIndex, normalize_name
from ..core.sheets import DATE, INT, MONEY, Col, Highlight, Sheet, Table, WorkbookSpec
from ..core.schema import (ACCOUNT_REP, ACTIVITY_TYPE, COLLECTION_DATE, CONTACT, CONTRACT_AMOUNT, CREDIT_DAYS,
                           CREDIT_LIMIT, CUSTOMER, CUSTOMER_CODE, SIGNING_DATE)

ARCHIVE_FIELDS = [CUSTOMER_CODE, CUSTOMER, "别名", ACCOUNT_REP, CONTACT, "电话", CREDIT_LIMIT, CREDIT_DAYS]
SUMMARY_COLUMNS = [*ARCHIVE_FIELDS, "合同数", CONTRACT_AMOUNT, "最近签约日期", "最近回款日期", "应收余额", "逾期金额", "最近拜访日期"]
PASTE_COLUMNS = [CUSTOMER_CODE, CUSTOMER, "别名", CREDIT_LIMIT, CREDIT_DAYS, ACCOUNT_REP, CONTACT, "电话", "地址"]
NEW_COLUMNS = [*PASTE_COLUMNS, "首次出现", "首次日期", "出现次数", "业务员(全部)", SRC_WORKBOOK, SRC_SHEET, SRC_ROW]
NAME_SOURCES = (("合同", SIGNING_DATE), ("回款", COLLECTION_DATE), ("日报", "日期"))  # where reps type a customer name



@dataclass(frozen=True)
class ArchiveData:
    """The report's ``data``: the 客户档案 rows (SUMMARY_COLUMNS) and the 新客户 rows (NEW_COLUMNS)."""

    customers: pd.DataFrame
    new_customers: pd.DataFrame


def _by_customer(frame: pd.DataFrame, customers: CustomerIndex) -> pd.Series:
    """The archive's name (``customers.canonical``) of each row's 客户名称."""
    return pd.Series(each_once(customers.canonical, frame[CUSTOMER]), index=frame.index)


def _upto(frame: pd.DataFrame, column: str, day: date) -> pd.DataFrame:
    return frame[frame[column].notna() & (frame[column] <= pd.Timestamp(day))]


def _latest(frame: pd.DataFrame, column: str, customers: CustomerIndex, day: date) -> pd.Series:
    rows = _upto(frame, column, day)
    return rows.groupby(_by_customer(rows, customers))[column].max() if len(rows) else pd.Series(dtype="datetime64[us]")


def customer_summary(tables: Tables, allocation: Allocation, customers: CustomerIndex, day: date) -> pd.DataFrame:
    """SUMMARY_COLUMNS: one row per archive customer, in the archive's order."""
    archive = tables["客户"]
    contracts = _upto(tables["合同"], SIGNING_DATE, day)
    by_contract_customer = contracts.groupby(_by_customer(contracts, customers))[CONTRACT_AMOUNT].agg(["count", "sum"]) \
        if len(contracts) else pd.DataFrame(columns=["count", "sum"])
    money = balances_as_of(allocation, day)
    last_signed = _latest(tables["合同"], SIGNING_DATE, customers, day)
    last_collected = _latest(tables["回款"], COLLECTION_DATE, customers, day)
    activities = tables["日报"]
    visits = activities[activities[ACTIVITY_TYPE].fillna("").astype(str) == "拜访"] if len(activities) else activities
    last_visit = _latest(visits, "日期", customers, day)
    counts, amounts = by_contract_customer["count"].to_dict(), by_contract_customer["sum"].to_dict()
    owed, overdue = money["应收余额"].to_dict(), money["逾期金额"].to_dict()
    signed, collected, visited = last_signed.to_dict(), last_collected.to_dict(), last_visit.to_dict()
    rows = []
    for rec in archive.to_dict("records"):
        name = customers.canonical(rec.get(CUSTOMER))
        if not name:
            continue
        row = {c: rec.get(c) for c in ARCHIVE_FIELDS}
        row[CUSTOMER] = name
        row.update({"合同数": int(counts.get(name, 0)), CONTRACT_AMOUNT: int(amounts.get(name, 0)),
                    "最近签约日期": signed.get(name, pd.NaT), "最近回款日期": collected.get(name, pd.NaT),
                    "应收余额": int(owed.get(name, 0)), "逾期金额": int(overdue.get(name, 0)),
                    "最近拜访日期": visited.get(name, pd.NaT)})
        rows.append(row)
    return pd.DataFrame(rows, columns=SUMMARY_COLUMNS)


def names_seen(tables: Tables, customers: CustomerIndex) -> pd.DataFrame:
    """Every row of 合同/回款/日报 whose (normalised) 客户名称 the archive lacks: 客户名称, 日期, _order (the sheet's
    place in NAME_SOURCES), 业务员, 联系人 (日报 only), and the source columns."""
    columns: dict[str, list] = {c: [] for c in (CUSTOMER, "日期", "_order", REP, CONTACT, SRC_WORKBOOK, SRC_SHEET, SRC_ROW)}
    for order, (sheet, day_column) in enumerate(NAME_SOURCES):
        frame = tables[sheet]
        if not len(frame):
            continue
        names = each_once(normalize_name, frame[CUSTOMER])
        unknown = each_once(lambda n: bool(n) and customers.resolve(n) is None, pd.Series(names)).astype(bool)
        rows = frame[unknown]
        columns[CUSTOMER] += names[unknown].tolist()
        columns["日期"] += list(rows[day_column]) if day_column in rows else [None] * len(rows)
        columns["_order"] += [order] * len(rows)
        for column in (REP, SRC_WORKBOOK, SRC_SHEET):
            columns[column] += column_texts(rows, column)
        columns[CONTACT] += column_texts(rows, CONTACT) if sheet == "日报" else [""] * len(rows)
        columns[SRC_ROW] += rows[SRC_ROW].tolist()
    return pd.DataFrame(columns)


def unknown_customers(tables: Tables, customers: CustomerIndex) -> pd.DataFrame:
    """NEW_COLUMNS: the names of 合同/回款/日报 the archive lacks, first occurrence = earliest date (then the
    order 合同, 回款, 日报, then workbook and row)."""
    seen = names_seen(tables, customers)
    if seen.empty:
        return pd.DataFrame(columns=NEW_COLUMNS)
    seen["_missing"] = seen["日期"].isna()
    seen = seen.sort_values(["_missing", "日期", "_order", SRC_WORKBOOK, SRC_ROW], kind="stable")
    names = seen[CUSTOMER].tolist()
    counts, reps, contacts = Counter(names), values_by_name(names, seen[REP]), values_by_name(names, seen[CONTACT])
    rows = []
    for first in seen.drop_duplicates(CUSTOMER).to_dict("records"):  # each name's first occurrence
        name = first[CUSTOMER]
        rows.append({CUSTOMER_CODE: "", CUSTOMER: name, "别名": "", CREDIT_LIMIT: None, CREDIT_DAYS: None,
                     ACCOUNT_REP: first[REP], CONTACT: contacts.get(name, [""])[0], "电话": "", "地址": "",
                     "首次出现": f"{first[SRC_WORKBOOK]}[{first[SRC_SHEET]}]!行 {int(first[SRC_ROW])}",
                     "首次日期": first["日期"], "出现次数": counts[name], "业务员(全部)": "、".join(reps.get(name, [])),
                     SRC_WORKBOOK: first[SRC_WORKBOOK], SRC_SHEET: first[SRC_SHEET], SRC_ROW: int(first[SRC_ROW])})
    return pd.DataFrame(rows, columns=NEW_COLUMNS).astype({CREDIT_LIMIT: "Int64", CREDIT_DAYS: "Int64"})


def values_by_name(names: list[str], values: pd.Series) -> dict[str, list[str]]:
    """name -> the distinct non-blank ``values`` of its rows, in row order."""
    out: dict[str, list[str]] = {}
    for name, value in dict.fromkeys(zip(names, values.tolist())):
        if value:
            out.setdefault(name, []).append(value)
    return out


def layout(summary: pd.DataFrame, fresh: pd.DataFrame, day: date, company: str) -> WorkbookSpec:
    """客户档案汇总_<D>.xlsx: sheets 客户档案 and 新客户."""
    subtitle = [f"截至 {day.isoformat()}", company]
    summary_cols = [Col(CUSTOMER_CODE), Col(CUSTOMER), Col("别名"), Col(ACCOUNT_REP), Col(CONTACT), Col("电话"),
                    Col(CREDIT_LIMIT, MONEY, total=False), Col(CREDIT_DAYS, INT, total=False), Col("合同数", INT),
                    Col(CONTRACT_AMOUNT, MONEY), Col("最近签约日期", DATE), Col("最近回款日期", DATE), Col("应收余额", MONEY),
                    Col("逾期金额", MONEY), Col("最近拜访日期", DATE)]
    fresh_cols = [Col(CUSTOMER_CODE), Col(CUSTOMER), Col("别名"), Col(CREDIT_LIMIT, MONEY, total=False),
                  Col(CREDIT_DAYS, INT, total=False), Col(ACCOUNT_REP), Col(CONTACT), Col("电话"), Col("地址"),
                  Col("首次出现"), Col("首次日期", DATE), Col("出现次数", INT, total=False), Col("业务员(全部)"),
                  Col(SRC_WORKBOOK), Col(SRC_SHEET), Col(SRC_ROW, INT, total=False)]
    return WorkbookSpec(f"客户档案汇总_{day.isoformat()}.xlsx", [
        Sheet("客户档案", [Table(summary_cols, summary, totals=True, highlights=[Highlight("逾期金额", ">", 0)])],
              title="客户档案汇总", subtitle=subtitle),
        Sheet("新客户", [Table(fresh_cols, fresh)], title="新客户 (客户档案中没有的客户名称)",
              subtitle=[*subtitle, "前 9 列可直接粘贴到 客户档案.xlsx; 请补全客户编码、信用额度、账期天数等"]),
    ])


NEEDS: tuple[str, ...] = ()  # earlier reports whose data ``build`` takes


def build(ctx: RunContext) -> ReportOutput:
    allocation = ctx.allocation
    summary = customer_summary(ctx.tables, allocation, ctx.customers, ctx.run_date)
    fresh = unknown_customers(ctx.tables, ctx.customers)
    figures = {"customers": int(len(summary)), "new_customers": int(len(fresh)),
               "receivable_fen": int(summary["应收余额"].sum()) if len(summary) else 0,
               "overdue_fen": int(summary["逾期金额"].sum()) if len(summary) else 0}
    return ReportOutput(workbooks=[layout(summary, fresh, ctx.run_date, ctx.settings.company.name)], figures=figures,
                        data=ArchiveData(customers=summary, new_customers=fresh))
