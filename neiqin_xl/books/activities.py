"""The reps' work from the 日报 sheet: activities by type and by customer, customers seen for the first time,
open follow-ups, and the development of new customers (新客户开发).

Its place in the process: the books, after validation. The period reports (their 工作总结 and the 月报's
新客户开发 sheet) and the reps' work summaries (reports/summary.py) read these rules; nothing here writes.
Customers are the archive's names where known (``CustomerIndex.canonical``). Everything is cut at the day
asked for: a later row does not count.

- **First contact** (首次接触) of a customer: its first 日报 activity in the books, credited to the rep of
  that row (two on one day: the first by workbook and row).
- **Open follow-up** (待跟进): a rep's 日报 row with a 下一步 and no later activity (a later date) of the same
  rep with the same customer; so per rep and customer at most the rows of the latest day.
- **New-customer development** (新客户开发): a customer whose first contact came before any contract with it
  (a customer with a contract before its first activity is an existing customer, not one being developed).
  Its 首次签约 is its first contract (any rep), 首次回款 its first collection, 转化天数 = 首次签约 − 首次接触
  in days; one first contacted more than ``development.stale_days`` days before the day with no contract yet
  is 超期未签约.
"""

from __future__ import annotations

from datetime import date

import pandas as pd

from ..core.columns import column_texts, each_once, sources
from ..core.model import REP, SRC_ROW, SRC_WORKBOOK, Tables, fraction
from ..core.names import CustomerIndex
from ..core.schema import ACTIVITY_TYPE, ACTIVITY_TYPES, COLLECTION_DATE, CUSTOMER, NEXT_STEP, SIGNING_DATE
from ..core.sheets import DATE, INT, NUMBER, PCT, Col, Sheet, Table
from .periods import rows_between, ratio

ACTIVITY_KINDS = ACTIVITY_TYPES  # 拜访, 电话, 会议, 其他
NO_CUSTOMER = "(未填客户)"
NEW, EXISTING = "新客户", "老客户"
PAID, SIGNED, STALE, OPEN = "已回款", "已签约", "超期未签约", "跟进中"

DEVELOPMENT_COLUMNS = [CUSTOMER, REP, "首次接触", "首次签约", "首次回款", "转化天数", "未签约天数", "状态"]
DEVELOPMENT_COLS = [Col(CUSTOMER), Col(REP), Col("首次接触", DATE), Col("首次签约", DATE), Col("首次回款", DATE),
                    Col("转化天数", INT, total=False), Col("未签约天数", INT, total=False), Col("状态")]
DEVELOPMENT_REP_COLUMNS = [REP, "新接触", "新签约", "平均转化天数", "首次回款", "超期未签约", "累计接触", "累计签约",
                           "累计转化率"]
DEVELOPMENT_REP_COLS = [Col(REP), Col("新接触", INT), Col("新签约", INT), Col("平均转化天数", NUMBER, total=False),
                        Col("首次回款", INT), Col("超期未签约", INT), Col("累计接触", INT), Col("累计签约", INT),
                        Col("累计转化率", PCT)]


def activity_counts(tables: Tables, start: date, end: date) -> pd.DataFrame:
    """Per rep, the 日报 rows of [start, end] by 活动类型 (拜访/电话/会议/其他; blank counts as 其他)."""
    rows = rows_between(tables["日报"], "日期", start, end)
    if not len(rows):
        return pd.DataFrame({REP: pd.Series(dtype="str"), **{k: pd.Series(dtype="int64") for k in ACTIVITY_KINDS}})
    kinds = rows[ACTIVITY_TYPE].fillna("").astype(str)
    kinds = kinds.where(kinds.isin(ACTIVITY_KINDS), "其他")
    table = pd.crosstab(rows[REP].fillna("").astype(str), kinds)
    table = table.reindex(columns=list(ACTIVITY_KINDS), fill_value=0).astype("int64")
    table.index.name = REP
    table.columns.name = None
    return table.reset_index()


def activities(tables: Tables, customers: CustomerIndex, end: date) -> pd.DataFrame:
    """The 日报 rows dated up to ``end``: 日期, 业务员, 客户名称 (canonical, "" when blank), 活动类型 (blank →
    其他), 内容, 下一步, 来源, in date order (then workbook and row)."""
    rows = tables["日报"]
    rows = rows[rows["日期"].notna() & (rows["日期"] <= pd.Timestamp(end))]
    kinds = pd.Series(column_texts(rows, ACTIVITY_TYPE), index=rows.index)
    frame = pd.DataFrame({"日期": rows["日期"], REP: column_texts(rows, REP),
                          CUSTOMER: each_once(lambda n: customers.canonical(n) if n else "",
                                            pd.Series(column_texts(rows, CUSTOMER))),
                          ACTIVITY_TYPE: kinds.where(kinds.isin(ACTIVITY_KINDS), "其他").to_numpy(),
                          "内容": column_texts(rows, "内容"), NEXT_STEP: column_texts(rows, NEXT_STEP),
                          "来源": sources(rows), "_wb": column_texts(rows, SRC_WORKBOOK),
                          "_row": rows[SRC_ROW].to_numpy() if SRC_ROW in rows else 0}, index=rows.index)
    frame = frame.sort_values(["日期", "_wb", "_row"], kind="stable")
    return frame.drop(columns=["_wb", "_row"]).reset_index(drop=True)


def by_customer(acts: pd.DataFrame, start: date, end: date) -> pd.DataFrame:
    """业务员, 客户名称, 拜访, 电话, 会议, 其他, 合计, 最近日期 of [start, end] (from ``activities``); the most
    active customers first."""
    columns = [REP, CUSTOMER, *ACTIVITY_KINDS, "合计", "最近日期"]
    rows = rows_between(acts, "日期", start, end)
    if rows.empty:
        return pd.DataFrame(columns=columns)
    named = rows.assign(客户名称=rows[CUSTOMER].where(rows[CUSTOMER] != "", NO_CUSTOMER))
    table = pd.crosstab([named[REP], named[CUSTOMER]], named[ACTIVITY_TYPE])
    table = table.reindex(columns=list(ACTIVITY_KINDS), fill_value=0).astype("int64")
    table.columns.name = None
    table["合计"] = table.sum(axis=1)
    table["最近日期"] = named.groupby([REP, CUSTOMER])["日期"].max()
    table = table.reset_index().sort_values([REP, "合计", CUSTOMER], ascending=[True, False, True], kind="stable")
    return table[columns].reset_index(drop=True)


def first_contacts(acts: pd.DataFrame, tables: Tables, customers: CustomerIndex) -> pd.DataFrame:
    """Every named customer's first 日报 activity (from ``activities``): 客户名称, 日期, 业务员, 活动类型, 内容,
    类型 (新客户, or 老客户 when it had a contract signed before that day), 来源."""
    columns = [CUSTOMER, "日期", REP, ACTIVITY_TYPE, "内容", "类型", "来源"]
    first = acts[acts[CUSTOMER] != ""].drop_duplicates(CUSTOMER)
    if first.empty:
        return pd.DataFrame(columns=columns)
    signed = first_dates(tables["合同"], SIGNING_DATE, customers)
    before = [name in signed and signed[name] < day for name, day in zip(first[CUSTOMER], first["日期"])]
    return first.assign(类型=[EXISTING if b else NEW for b in before])[columns].reset_index(drop=True)


def first_dates(frame: pd.DataFrame, column: str, customers: CustomerIndex, end: date | None = None
                ) -> dict[str, pd.Timestamp]:
    """客户名称 (canonical) → the earliest ``column`` date of its rows (up to ``end`` when given)."""
    rows = frame[frame[column].notna()]
    if end is not None:
        rows = rows[rows[column] <= pd.Timestamp(end)]
    if rows.empty:
        return {}
    names = each_once(customers.canonical, rows[CUSTOMER])
    return rows[column].groupby(names).min().to_dict()


def open_follow_ups(acts: pd.DataFrame, end: date) -> pd.DataFrame:
    """业务员, 日期, 客户名称, 下一步, 已过天数 (``end`` − 日期), 来源: the 下一步 of ``activities`` not yet followed
    by a later activity of the same rep with the same customer; the oldest first."""
    columns = [REP, "日期", CUSTOMER, NEXT_STEP, "已过天数", "来源"]
    if acts.empty:
        return pd.DataFrame(columns=columns)
    latest = acts.groupby([REP, CUSTOMER])["日期"].transform("max")
    rows = acts[(acts["日期"] == latest) & (acts[NEXT_STEP].str.strip() != "")]
    rows = rows.assign(客户名称=rows[CUSTOMER].where(rows[CUSTOMER] != "", NO_CUSTOMER),
                       已过天数=[(end - d.date()).days for d in rows["日期"]])
    return rows.sort_values([REP, "日期"], kind="stable")[columns].reset_index(drop=True)


def development(acts: pd.DataFrame, tables: Tables, customers: CustomerIndex, start: date, end: date,
                stale_days: int) -> pd.DataFrame:
    """DEVELOPMENT_COLUMNS for [start, end]: the customers being developed (see the module) that were first
    contacted, first signed or first paid in the period, or are 超期未签约 at its end; by rep, then first contact."""
    first = acts[acts[CUSTOMER] != ""].drop_duplicates(CUSTOMER)
    signed = first_dates(tables["合同"], SIGNING_DATE, customers, end)
    paid = first_dates(tables["回款"], COLLECTION_DATE, customers, end)
    low, high = pd.Timestamp(start), pd.Timestamp(end)
    rows = []
    for name, rep, contacted in zip(first[CUSTOMER], first[REP], first["日期"]):
        contract, collection = signed.get(name), paid.get(name)
        if contract is not None and contract < contacted:
            continue  # an existing customer
        waiting = (end - contacted.date()).days if contract is None else None
        stale = waiting is not None and waiting > stale_days
        if not (stale or any(d is not None and low <= d <= high for d in (contacted, contract, collection))):
            continue
        status = PAID if collection is not None else SIGNED if contract is not None else STALE if stale else OPEN
        rows.append({CUSTOMER: name, REP: rep, "首次接触": contacted, "首次签约": contract, "首次回款": collection,
                     "转化天数": (contract - contacted).days if contract is not None else None,
                     "未签约天数": waiting, "状态": status})
    frame = pd.DataFrame(rows, columns=DEVELOPMENT_COLUMNS)
    for column in ("转化天数", "未签约天数"):
        frame[column] = frame[column].astype("Int64")
    for column in ("首次签约", "首次回款"):
        frame[column] = pd.to_datetime(frame[column])
    return frame.sort_values([REP, "首次接触", CUSTOMER], kind="stable").reset_index(drop=True)


def development_by_rep(acts: pd.DataFrame, tables: Tables, customers: CustomerIndex, start: date, end: date,
                       stale_days: int) -> pd.DataFrame:
    """DEVELOPMENT_REP_COLUMNS: per rep, of [start, end] the customers 新接触 (first contacted), 新签约 (first
    signed) and their 平均转化天数, 首次回款, 超期未签约 at the end; and from the books' start to the end 累计接触
    (customers being developed), 累计签约 and 累计转化率 (signed ÷ contacted)."""
    period = development(acts, tables, customers, start, end, stale_days)
    ever = development(acts, tables, customers, date(2000, 1, 1), end, stale_days)
    low, high = pd.Timestamp(start), pd.Timestamp(end)
    rows = []
    for rep in sorted(set(ever[REP])):
        mine, all_mine = period[period[REP] == rep], ever[ever[REP] == rep]
        new_signed = mine[(mine["首次签约"] >= low) & (mine["首次签约"] <= high)]
        days = [int(d) for d in new_signed["转化天数"]]
        ever_signed = int(all_mine["首次签约"].notna().sum())
        rows.append({REP: rep, "新接触": int(((mine["首次接触"] >= low) & (mine["首次接触"] <= high)).sum()),
                     "新签约": len(new_signed),
                     "平均转化天数": fraction(sum(days), len(days), "0.1")
                     if days else None,
                     "首次回款": int(((mine["首次回款"] >= low) & (mine["首次回款"] <= high)).sum()),
                     "超期未签约": int((mine["状态"] == STALE).sum()), "累计接触": len(all_mine),
                     "累计签约": ever_signed, "累计转化率": ratio(ever_signed, len(all_mine))})
    return pd.DataFrame(rows, columns=DEVELOPMENT_REP_COLUMNS)


def development_sheet(title: str, subtitle: list[str], by_rep: pd.DataFrame, detail: pd.DataFrame,
                      stale_days: int) -> Sheet:
    """新客户开发: per rep, then every customer being developed (the 月报 has the same sheet)."""
    notes = ["新接触: 本期首次有日报活动的客户 (之前已签合同的老客户不计); 转化天数 = 首次签约日期 − 首次接触日期; "
             f"超期未签约: 首次接触已超过 {stale_days} 天仍未签合同。累计: 账上至本期末。"]
    return Sheet("新客户开发", [Table(DEVELOPMENT_REP_COLS, by_rep, heading="按业务员", totals=True, autofilter=False),
                               Table(DEVELOPMENT_COLS, detail, heading="客户明细", autofilter=False)],
                 title=title, subtitle=subtitle, notes=notes)
