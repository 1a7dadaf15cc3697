"""The rules of customer service (客户服务): open feedback and how long it has waited, complaints, who is due a
回访, satisfaction. Several outputs read them: the 客户服务跟踪 workbook (reports/service.py), the 日报's 今日要点
(complaints past their time) and the 月报's 客户服务 section, so they live here, in the books.

Its place in the process: after validation (the 反馈 table: the reps' 反馈 sheets and the clerk's own
master/客户服务.xlsx; 客户名称 is the archive's canonical name), before the reports.

- An **open item** is a 咨询, 投诉 or 建议 dated on or before D whose customer has not had an answer yet:
  状态 is not 已回复客户 (a blank 状态 reads 待处理; 已解决 still waits for the reply to the customer), or it
  is but its 完成日期 is after D (a catch-up run sees the item as it was). 回访 and 满意度调查 rows are
  records of contact, never open items.
- **Days open** are working days (mainland calendar with 调休) in (日期, D]: logged on Monday, open on
  Thursday = 3. An item is **overdue** (超时) when its days open exceed ``service.response_days``.
- A customer is **due a 回访** when it signed a contract in the 365 days up to D and has had no contact for
  more than ``service.revisit_days`` calendar days: no 日报 row naming it (拜访, 电话, 会议 or 其他) and no
  反馈 row of type 回访. A customer never contacted is due.
- **Satisfaction** is the mean of the 满意度 values 1–5 (a value outside is warned about by validation and
  left out here), per rep and month of 日期. A row's rep is the rep whose workbook holds it; the clerk's
  entries (no 业务员 column) go to the customer's 负责业务员 in the archive, else to 内勤.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pandas as pd

from .customers import account_reps
from .workdays import Workdays
from ..core.config import Settings
from ..core.model import REP, SRC_ROW, SRC_SHEET, SRC_WORKBOOK, Tables, fraction, text
from ..core.months import Month
from ..core.schema import (ACTIVITY_TYPE, CONTRACT_NO, CUSTOMER, FEEDBACK, HANDLER, PRODUCT, SATISFACTION,
                           SIGNING_DATE)

REQUEST_TYPES = ("咨询", "投诉", "建议")  # feedback that waits for an answer
COMPLAINT, REVISIT = "投诉", "回访"
ANSWERED = "已回复客户"
PENDING = "待处理"  # a blank 状态
IN_HOUSE = "内勤"  # the rep of a clerk's entry whose customer has no 负责业务员
NO_PRODUCT = "未注明"
YEAR_DAYS = 365
SCORE_STEP = Decimal("0.01")

OPEN_COLUMNS = ["日期", CUSTOMER, "类型", CONTRACT_NO, "产品", "内容", HANDLER, "状态", REP, "已开天数", "超时",
                SRC_WORKBOOK, SRC_SHEET, SRC_ROW]
REVISIT_COLUMNS = [CUSTOMER, REP, "最近合同日期", "最近联系日期", "最近联系方式", "未联系天数"]
SATISFACTION_COLUMNS = [REP, "月份", "评价数", "平均满意度"]


def feedback_rows(tables: Tables, day: date) -> pd.DataFrame:
    """The 反馈 rows dated up to ``day``, 业务员 filled (see the module: a clerk's entry goes to the customer's
    负责业务员, else 内勤) and 状态 blank read as 待处理."""
    frame = tables["反馈"]
    frame = frame[frame["日期"].notna() & (frame["日期"] <= pd.Timestamp(day))].copy()
    if frame.empty:
        return frame
    owners = account_reps(tables["客户"])
    reps = [text(rep) or owners.get(text(customer), "") or IN_HOUSE
            for rep, customer in zip(frame[REP].tolist(), frame[CUSTOMER].tolist())]
    frame[REP] = pd.Series(reps, index=frame.index, dtype="str")
    frame["状态"] = frame["状态"].fillna("").astype(str).str.strip().replace("", PENDING)
    return frame


def open_items(tables: Tables, settings: Settings, day: date) -> pd.DataFrame:
    """OPEN_COLUMNS: the open 咨询/投诉/建议 on ``day`` with their working days open and whether they are overdue,
    the overdue first, then the longest waiting. Working days open: those in (日期, day] (Monday to Thursday is
    3, Friday to Monday 1)."""
    rows = feedback_rows(tables, day)
    if rows.empty:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in OPEN_COLUMNS})
    done = pd.Timestamp(day)
    answered = (rows["状态"] == ANSWERED) & ~(rows["完成日期"].notna() & (rows["完成日期"] > done))
    rows = rows[rows["类型"].isin(REQUEST_TYPES) & ~answered].copy()
    calendar = Workdays.of(settings)
    waited = {d: calendar.since(d.date(), day) for d in map(pd.Timestamp, rows["日期"].unique())}
    rows["已开天数"] = [waited[pd.Timestamp(d)] for d in rows["日期"]]
    rows["超时"] = rows["已开天数"] > settings.service.response_days
    rows = rows.sort_values(["超时", "已开天数", "日期", SRC_WORKBOOK, SRC_ROW], ascending=[False, False, True, True, True],
                            kind="stable")
    return rows[OPEN_COLUMNS].reset_index(drop=True)


def overdue_complaints(tables: Tables, settings: Settings, day: date) -> pd.DataFrame:
    """The open 投诉 past ``service.response_days`` working days on ``day`` (OPEN_COLUMNS)."""
    items = open_items(tables, settings, day)
    return items[(items["类型"] == COMPLAINT) & items["超时"].astype(bool)].reset_index(drop=True)


def product_of(rows: pd.DataFrame, contracts: pd.DataFrame) -> pd.Series:
    """A feedback row's product: its 产品, else its contract's 产品名称, else 未注明."""
    by_contract = dict(zip(contracts[CONTRACT_NO].astype(str), contracts[PRODUCT].fillna("").astype(str)))
    return pd.Series([text(p) or by_contract.get(text(c), "") or NO_PRODUCT
                      for p, c in zip(rows["产品"].tolist(), rows[CONTRACT_NO].tolist())], index=rows.index, dtype="str")


def complaints_by(tables: Tables, settings: Settings, day: date, by: str) -> pd.DataFrame:
    """The 投诉 of the 365 days up to ``day`` per 客户名称 or per 产品 (``by``): 投诉数, 未结 (open on ``day``),
    最近投诉; most complaints first."""
    columns = [by, "投诉数", "未结", "最近投诉"]
    rows = feedback_rows(tables, day)
    rows = rows[(rows["类型"] == COMPLAINT) & (rows["日期"] > pd.Timestamp(day - timedelta(days=YEAR_DAYS)))] \
        if len(rows) else rows
    if rows.empty:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in columns})
    still_open = set(zip(*(open_items(tables, settings, day)[c] for c in (SRC_WORKBOOK, SRC_SHEET, SRC_ROW))))
    rows = rows.assign(未结=[k in still_open for k in zip(rows[SRC_WORKBOOK], rows[SRC_SHEET], rows[SRC_ROW])])
    keys = product_of(rows, tables["合同"]) if by == "产品" else rows[CUSTOMER].astype(str)
    grouped = rows.groupby(keys.rename(by)).agg(投诉数=("类型", "size"), 未结=("未结", "sum"), 最近投诉=("日期", "max"))
    grouped = grouped.reset_index().astype({"投诉数": "int64", "未结": "int64"})
    return grouped.sort_values(["投诉数", "最近投诉", by], ascending=[False, False, True], kind="stable")[columns] \
        .reset_index(drop=True)


def revisits_due(tables: Tables, settings: Settings, day: date) -> pd.DataFrame:
    """REVISIT_COLUMNS: the customers due a 回访 on ``day`` (see the module), never contacted first, then the
    longest without contact."""
    cut = pd.Timestamp(day)
    contracts = tables["合同"]
    contracts = contracts[(contracts[SIGNING_DATE] > pd.Timestamp(day - timedelta(days=YEAR_DAYS)))
                          & (contracts[SIGNING_DATE] <= cut)]
    if contracts.empty:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in REVISIT_COLUMNS})
    latest = contracts.sort_values(SIGNING_DATE, kind="stable").groupby(CUSTOMER).last()
    activities = tables["日报"]
    activities = activities[activities["日期"].notna() & (activities["日期"] <= cut) & activities[CUSTOMER].notna()]
    visits = feedback_rows(tables, day)
    visits = visits[visits["类型"] == REVISIT] if len(visits) else visits
    contacts = pd.concat([pd.DataFrame({CUSTOMER: activities[CUSTOMER].astype(str), "日期": activities["日期"],
                                        "方式": "日报" + activities[ACTIVITY_TYPE].fillna("").astype(str)}),
                          pd.DataFrame({CUSTOMER: visits[CUSTOMER].astype(str) if len(visits) else [],
                                        "日期": visits["日期"] if len(visits) else [], "方式": "反馈回访"})],
                         ignore_index=True)
    last = contacts.sort_values("日期", kind="stable").groupby(CUSTOMER).last() if len(contacts) else None
    owners = account_reps(tables["客户"])
    rows = []
    for customer, contract in latest.iterrows():
        seen = last.loc[customer] if last is not None and customer in last.index else None
        gap = (day - seen["日期"].date()).days if seen is not None else None
        if gap is not None and gap <= settings.service.revisit_days:
            continue
        rows.append({CUSTOMER: customer, REP: owners.get(customer) or text(contract[REP]),
                     "最近合同日期": contract[SIGNING_DATE], "最近联系日期": seen["日期"] if seen is not None else None,
                     "最近联系方式": seen["方式"] if seen is not None else "从未联系", "未联系天数": gap})
    frame = pd.DataFrame(rows, columns=REVISIT_COLUMNS).astype({"未联系天数": "Int64"})
    order = frame["未联系天数"].fillna(10 ** 6)
    return frame.assign(_o=order).sort_values(["_o", CUSTOMER], ascending=[False, True], kind="stable") \
        .drop(columns="_o").reset_index(drop=True)


def mean_score(values: pd.Series) -> Decimal | None:
    """The mean of the scores, to 0.01 rounded half up; None for none.

    >>> mean_score(pd.Series([5, 4, 4])), mean_score(pd.Series([], dtype="Int64"))
    (Decimal('4.33'), None)
    """
    values = [int(v) for v in values.dropna()]
    if not values:
        return None
    return fraction(sum(values), len(values), SCORE_STEP)


def scored(tables: Tables, day: date, start: date) -> pd.DataFrame:
    """The 反馈 rows of [start, day] with a 满意度 in its range (1–5)."""
    low, high = FEEDBACK.field(SATISFACTION).between
    rows = feedback_rows(tables, day)
    if rows.empty:
        return rows
    score = rows[SATISFACTION]
    return rows[(rows["日期"] >= pd.Timestamp(start)) & score.notna() & (score >= low).fillna(False)
                & (score <= high).fillna(False)]


def satisfaction(tables: Tables, day: date) -> pd.DataFrame:
    """SATISFACTION_COLUMNS: per rep and month of the twelve months up to ``day``'s: 评价数 and 平均满意度."""
    rows = scored(tables, day, Month.of(day).shift(-11).first)
    if rows.empty:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in SATISFACTION_COLUMNS})
    months = rows["日期"].dt.strftime("%Y-%m")
    out = [{REP: rep, "月份": month, "评价数": int(len(group)), "平均满意度": mean_score(group[SATISFACTION])}
           for (rep, month), group in rows.groupby([rows[REP], months], sort=True)]
    return pd.DataFrame(out, columns=SATISFACTION_COLUMNS)


def period_summary(tables: Tables, settings: Settings, start: date, end: date) -> pd.DataFrame:
    """The 月报's 客户服务 section: 指标, 数值, 说明 for [start, end] (open, overdue and 回访 as of ``end``)."""
    rows = feedback_rows(tables, end)
    rows = rows[rows["日期"] >= pd.Timestamp(start)] if len(rows) else rows
    counts = rows["类型"].value_counts() if len(rows) else pd.Series(dtype="int64")
    items = open_items(tables, settings, end)
    due = revisits_due(tables, settings, end)
    score = mean_score(scored(tables, end, start)[SATISFACTION]) if len(rows) else None
    lines = [(f"{kind}", int(counts.get(kind, 0)), "本期登记") for kind in (*REQUEST_TYPES, REVISIT, "满意度调查")]
    lines += [("期末未结", int(len(items)), "咨询/投诉/建议, 尚未回复客户"),
              ("其中超时", int(items["超时"].astype(bool).sum()) if len(items) else 0,
               f"超过 {settings.service.response_days} 个工作日"),
              ("应回访客户", int(len(due)), f"近一年有合同, {settings.service.revisit_days} 天内未联系"),
              ("平均满意度", score, "本期 1–5 分")]
    return pd.DataFrame(lines, columns=["指标", "数值", "说明"])
