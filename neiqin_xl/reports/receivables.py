"""应收账款明细账: the receivables ledger, the aging by customer and the summary by rep, as of the run date D.

Runs after the fulfilment sheet and before the statements and the shipping check, which read its ``data``
(they declare ``NEEDS = ("receivables", ...)``); it needs no earlier report. Everything is figured from the
allocation (``books/allocation.py`` and its as-of views), never re-derived:

- open items are ``allocation.open_items_as_of(alloc, D)``: items dated up to D with what was unpaid on D;
- unapplied credits (预收款) as of D are ``allocation.credits_as_of(alloc, D)``: per collection dated up to D,
  its amount less what it had paid by D (applications with 核销日期 ≤ D): the contract credit a collection
  naming a contract keeps (up to what the contract has not yet shipped) and the customer-level rest (allocation
  rules 1 and 2);
- age, aging buckets, overdue days, 逾期金额 and 应收余额 (open items − unapplied credits, negative when the
  customer has paid in advance) are ``books/balances.py``'s, the one home of those rules (the 客户档案汇总
  reads the same): age = D − item date, bucketed by ``receivables.aging_buckets`` (upper bounds, inclusive:
  age 30 is 0-30天, age 31 is 31-60天); due date = item date + 账期天数 (allocation.items has it), or, for a
  contract with a 回款计划, each open part's plan line date (``allocation.due_parts_as_of``: the 账龄分析,
  按业务员汇总 and ``open_items`` are by part; the ledger by item); overdue days = D − due date when positive
  (a part with no due date, its plan event not yet happened, is not overdue); 未到期质保金 = open 质保 parts
  not yet overdue;
- the ledger (明细账) lists every debit (item) and credit (collection) dated up to D, per customer in date
  order (on one date debits before credits, as the allocation books them), with a running balance that
  ends at the customer's 应收余额; the 明细账 sheet shows the run date's month of it (``month_ledger``: per
  customer a 期初余额 line, the month's rows, a 本月合计 line; the 合计 over the month's rows only).

``data`` (for the statements and the shipping check) is a ``ReceivablesData`` (core.results): ``aging`` (one
row per customer, the 账龄分析 columns), ``ledger`` (明细账 rows), ``by_rep``, ``open_items`` (open items as of
D with 账龄天数, 账龄区间, 逾期天数, one row per plan part) and ``credits`` (unapplied credits as of D). The
workbook's 应收票据 sheet (when a bill is in hand) lists the 承兑汇票 collections whose 票据到期日 is after D.

核销明细 (``write_off_details``) lists every application of the allocation by D, the collection beside the item
it paid and the rule that made it (按核销单号 / 按合同 / 按金额 / 先到先核 / 预收款), then what each collection
still holds unapplied on D: the clerk can explain any figure to a customer line by line.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import date

import numpy as np
import pandas as pd

from ..books.allocation import (WRITE_OFF, Allocation, applications_as_of, collections_as_of, credits_as_of)
from ..books.balances import (BALANCE, BUCKET, LONGEST_OVERDUE, OVERDUE, PREPAID, aged_due_parts, aged_open_items,
                              bucket_labels, customer_balances, sums_by, period_balances, period_lines)
from ..books.credit import is_bill
from ..books.collection_plans import is_warranty
from ..books.customers import archive_lookup, credit_limit
from ..core.columns import column_texts, pick, position_of, sources, text_values, texts
from ..core.config import Settings
from ..books.context import RunContext
from ..core.output import ReportOutput
from ..core.model import REP, text
from ..core.results import ReceivablesData
from ..core.sheets import INT, MONEY, DATE, YUAN, Col, Highlight, Sheet, Table, WorkbookSpec
from ..core.schema import (ACCOUNT_REP, BANK_REF, BILL_DUE_DATE, BILL_NO, CLOSING_BALANCE, COLLECTION_AMOUNT,
                           COLLECTION_DATE, COLLECTION_METHOD, CONTRACT_NO, CREDIT_DAYS, CREDIT_LIMIT, CUSTOMER)

BILL_COLUMNS = [BILL_NO, CUSTOMER, CONTRACT_NO, "收票日期", "票面金额", BILL_DUE_DATE, "距到期天数", COLLECTION_METHOD, REP, "来源"]
PLAN_NOTE = ("有回款计划的合同按各期到期日判断逾期 (节点未发生的期次未到期); 未到期质保金 = 回款计划中质保期次尚未到期的未收款")
WRITE_OFF_COLUMNS = [CUSTOMER, COLLECTION_DATE, BANK_REF, "指定合同", "核销单号", COLLECTION_AMOUNT, "核销日期", "单据类型", "单据号",
                     "单据日期", CONTRACT_NO, "核销金额", "规则", "来源"]
LEDGER_COLUMNS = [CUSTOMER, "日期", "单据类型", "单据号", CONTRACT_NO, "摘要", "借方", "贷方", "余额", REP, "来源"]


# ---------------------------------------------------------------- aging buckets

def figure_key(label: str) -> str:
    """'0-30天' -> 'aging_0_30_fen'; '365天以上' -> 'aging_365_plus_fen' (manifest keys)."""
    core = label.replace("天以上", "_plus").replace("天", "").replace("-", "_")
    return f"aging_{core}_fen"


def warranty_not_due(parts: pd.DataFrame) -> dict[str, int]:
    """客户名称 -> 未到期质保金: open 质保 parts of a 回款计划 not yet overdue (fen)."""
    held = parts[is_warranty(parts) & (parts["逾期天数"] == 0) & (parts["未收"] != 0)]
    return sums_by(held["未收"], pd.Series(texts(held[CUSTOMER]), index=held.index))


def bills_receivable(collections: pd.DataFrame, day: date) -> pd.DataFrame:
    """应收票据: collections up to ``day`` paid by 承兑汇票 (回款方式 naming 承兑) whose 票据到期日 is after ``day``:
    the bill is in hand, not yet money in the bank."""
    bills = collections[is_bill(collections) & (collections[BILL_DUE_DATE] > pd.Timestamp(day))]
    bills = bills.sort_values([BILL_DUE_DATE, CUSTOMER], kind="stable")
    return pd.DataFrame({BILL_NO: column_texts(bills, BILL_NO), CUSTOMER: column_texts(bills, CUSTOMER),
                         CONTRACT_NO: column_texts(bills, CONTRACT_NO), "收票日期": bills[COLLECTION_DATE].to_numpy(),
                         "票面金额": bills[COLLECTION_AMOUNT].astype("int64").to_numpy(), BILL_DUE_DATE: bills[BILL_DUE_DATE].to_numpy(),
                         "距到期天数": (bills[BILL_DUE_DATE] - pd.Timestamp(day)).dt.days.to_numpy(dtype="int64"),
                         COLLECTION_METHOD: column_texts(bills, COLLECTION_METHOD), REP: column_texts(bills, REP),
                         "来源": sources(bills)}, columns=BILL_COLUMNS)


# ---------------------------------------------------------------- the computations

def ledger_entries(items: pd.DataFrame, collections: pd.DataFrame) -> pd.DataFrame:
    """Every debit (item) and credit (collection) per customer in date order with a running 余额.

    ``items``: the allocation's items dated up to D; ``collections``: the collections dated up to D.
    On one date debits come before credits; ties keep the allocation's order.
    """
    if items.empty and collections.empty:
        return pd.DataFrame(columns=LEDGER_COLUMNS).astype({"借方": "int64", "贷方": "int64", "余额": "int64"})
    kinds, item_contracts, contracts = items["单据类型"].tolist(), texts(items[CONTRACT_NO]), column_texts(collections, CONTRACT_NO)
    notes = ["回款" + (f"({how})" if how else "") + ("" if contract else " 未指定合同")
             for how, contract in zip(column_texts(collections, COLLECTION_METHOD), contracts)]
    n_items, n_collections = len(items), len(collections)
    frame = pd.DataFrame({
        CUSTOMER: texts(items[CUSTOMER]) + texts(collections[CUSTOMER]),
        "日期": np.concatenate([items["日期"].to_numpy(dtype="datetime64[us]"),
                              collections[COLLECTION_DATE].to_numpy(dtype="datetime64[us]")]),
        "单据类型": kinds + ["回款"] * n_collections,
        "单据号": texts(items["单据号"]) + column_texts(collections, BANK_REF),
        CONTRACT_NO: item_contracts + contracts,
        "摘要": [f"{kind} {contract}".strip() for kind, contract in zip(kinds, item_contracts)] + notes,
        "借方": items["金额"].astype("int64").tolist() + [0] * n_collections,
        "贷方": [0] * n_items + collections[COLLECTION_AMOUNT].astype("int64").tolist(),
        REP: texts(items[REP]) + column_texts(collections, REP),
        "来源": sources(items) + sources(collections),
        "_debit_first": [0] * n_items + [1] * n_collections})
    frame = frame.sort_values([CUSTOMER, "日期", "_debit_first"], kind="stable").reset_index(drop=True)
    frame["余额"] = (frame["借方"] - frame["贷方"]).groupby(frame[CUSTOMER]).cumsum()
    return frame[LEDGER_COLUMNS].astype({"借方": "int64", "贷方": "int64", "余额": "int64"})


def reps_by_customer(frame: pd.DataFrame) -> dict[str, list[str]]:
    """客户名称 -> the reps (业务员, blanks left out) on the customer's rows, in the order of the rows."""
    reps: dict[str, list[str]] = {}
    for name, rep in dict.fromkeys(zip(texts(frame[CUSTOMER]), texts(frame[REP]))):
        if rep:
            reps.setdefault(name, []).append(rep)
    return reps


def customer_reps(archive_row: dict | None, item_reps: list[str], credit_reps: list[str]) -> str:
    """The archive's 负责业务员, else the reps on the customer's items (else on its collections), joined by 、."""
    return text((archive_row or {}).get(ACCOUNT_REP)) or "、".join(item_reps or credit_reps)


def aging_by_customer(parts: pd.DataFrame, credits: pd.DataFrame, collections: pd.DataFrame,
                      archive: dict[str, dict], settings: Settings, day: date) -> pd.DataFrame:
    """One row per customer with an item or a collection up to D: the 账龄分析 columns (money in fen); the
    balances and the buckets are ``books.balances``'.

    ``parts`` are the aged open parts (``balances.aged_due_parts``, paid ones included with 未收 0).
    """
    labels = bucket_labels(settings.receivables.aging_buckets)
    names = list(dict.fromkeys([*texts(parts[CUSTOMER]), *texts(collections[CUSTOMER])]))
    money = customer_balances(parts, credits, day).reindex(names, fill_value=0)
    own = parts[parts["未收"] != 0]
    by_bucket = sums_by(own["未收"], pd.Series(texts(own[CUSTOMER]), index=own.index), own[BUCKET])
    item_reps, credit_reps = reps_by_customer(parts), reps_by_customer(credits)
    rows = []
    for name, m in zip(names, money.to_dict("records")):
        arch = archive.get(name)
        limit = credit_limit(arch)
        term = (arch or {}).get(CREDIT_DAYS)
        balance = m[BALANCE]
        row = {CUSTOMER: name, REP: customer_reps(arch, item_reps.get(name), credit_reps.get(name, [])),
               CREDIT_LIMIT: limit, CREDIT_DAYS: int(term) if text(term) != "" else settings.receivables.default_term_days,
               BALANCE: balance, PREPAID: m[PREPAID]}
        row.update({label: by_bucket.get((name, label), 0) for label in labels})
        row.update({OVERDUE: m[OVERDUE], LONGEST_OVERDUE: m[LONGEST_OVERDUE],
                    "超信用额度": max(0, balance - limit) if limit is not None else 0})
        rows.append(row)
    columns = [CUSTOMER, REP, CREDIT_LIMIT, CREDIT_DAYS, BALANCE, PREPAID, *labels, OVERDUE, LONGEST_OVERDUE, "超信用额度"]
    frame = pd.DataFrame(rows, columns=columns)
    frame[CREDIT_LIMIT] = frame[CREDIT_LIMIT].astype("Int64")
    ints = {c: "int64" for c in columns if c not in (CUSTOMER, REP, CREDIT_LIMIT)}
    frame = frame.astype(ints)
    return frame.sort_values(["逾期金额", "应收余额", CUSTOMER], ascending=[False, False, True],
                             kind="stable").reset_index(drop=True)


def split_settled(data: ReceivablesData, since: date) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The 账龄分析 rows in two: customers with something open or a movement from ``since`` (the 1st of the
    month), and the settled ones (已结清): no open item, no unapplied money and no ledger row dated from
    ``since``. Each part keeps the order of ``data.aging``."""
    ledger = data.ledger
    busy = {*texts(data.open_items[CUSTOMER]), *texts(data.credits[CUSTOMER]),
            *texts(ledger.loc[ledger["日期"] >= pd.Timestamp(since), CUSTOMER])}
    settled = ~data.aging[CUSTOMER].isin(busy)
    return data.aging[~settled].reset_index(drop=True), data.aging[settled].reset_index(drop=True)


def credit_rep(contract_rep: str, customer: str, collecting_rep: str, archive: dict[str, dict]) -> str:
    """Whose prepayment: the named contract's rep, else the customer's 负责业务员, else the collecting rep."""
    return contract_rep or text(archive.get(customer, {}).get(ACCOUNT_REP)) or collecting_rep


def aging_by_rep(items: pd.DataFrame, credits: pd.DataFrame, archive: dict[str, dict], settings: Settings) -> pd.DataFrame:
    """Per rep (the rep of each item's contract; a credit goes to ``credit_rep``): 客户数, 应收余额, 预收款,
    the buckets, 逾期金额. The columns add up to the 账龄分析 totals."""
    labels = bucket_labels(settings.receivables.aging_buckets)
    own = items[items["未收"] != 0]
    item_reps, credit_customers = texts(own[REP]), texts(credits[CUSTOMER])
    credit_reps = [credit_rep(contract_rep, customer, rep, archive) for contract_rep, customer, rep in
                   zip(texts(credits["合同业务员"]), credit_customers, texts(credits[REP]))]
    customers = Counter(rep for rep, _ in dict.fromkeys([*zip(item_reps, texts(own[CUSTOMER])),
                                                         *zip(credit_reps, credit_customers)]))
    item_rep = pd.Series(item_reps, index=own.index, dtype=object)
    owed = sums_by(own["未收"], item_rep)
    prepaid = sums_by(credits["金额"], pd.Series(credit_reps, index=credits.index, dtype=object))
    by_bucket = sums_by(own["未收"], item_rep, own["账龄区间"])
    overdue = own["逾期天数"] > 0
    overdue_amount = sums_by(own.loc[overdue, "未收"], item_rep[overdue])
    rows = []
    for rep in sorted(set(item_reps) | set(credit_reps)):
        row = {REP: rep or "(未指定)", "客户数": customers[rep],
               "应收余额": owed.get(rep, 0) - prepaid.get(rep, 0), "预收款": prepaid.get(rep, 0)}
        row.update({label: by_bucket.get((rep, label), 0) for label in labels})
        row["逾期金额"] = overdue_amount.get(rep, 0)
        rows.append(row)
    columns = [REP, "客户数", "应收余额", "预收款", *labels, "逾期金额"]
    return pd.DataFrame(rows, columns=columns).astype({c: "int64" for c in columns[1:]})


def compute(alloc: Allocation, customers: pd.DataFrame, settings: Settings, day: date) -> ReceivablesData:
    """All the receivables tables as of ``day`` (the ``data`` of this report)."""
    bounds = settings.receivables.aging_buckets
    items = aged_open_items(alloc, day, bounds)
    parts = aged_due_parts(alloc, day, bounds)
    credits = credits_as_of(alloc, day)
    colls = collections_as_of(alloc, day)
    archive = archive_lookup(customers)
    aging = aging_by_customer(parts, credits, colls, archive, settings, day)
    aging["未到期质保金"] = aging[CUSTOMER].map(warranty_not_due(parts)).fillna(0).astype("int64")
    return ReceivablesData(
        aging=aging, ledger=ledger_entries(items, colls), by_rep=aging_by_rep(parts, credits, archive, settings),
        open_items=parts[parts["未收"] != 0].sort_values([CUSTOMER, "日期"], kind="stable").reset_index(drop=True),
        credits=credits)


def figures(data: ReceivablesData, settings: Settings) -> dict:
    """Totals for manifest.json (money as fen ints, keys ending _fen)."""
    aging = data.aging
    out = {"customers": len(aging), "receivable_balance_fen": int(aging["应收余额"].sum()),
           "prepayments_fen": int(aging["预收款"].sum()), "open_items_fen": int(data.open_items["未收"].sum())}
    out.update({figure_key(label): int(aging[label].sum()) for label in bucket_labels(settings.receivables.aging_buckets)})
    out.update({"overdue_fen": int(aging["逾期金额"].sum()), "customers_overdue": int((aging["逾期金额"] > 0).sum()),
                "customers_over_limit": int((aging["超信用额度"] > 0).sum())})
    return out


# ---------------------------------------------------------------- layout

def blank_zero(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """Display copy with zeros in ``columns`` shown as empty cells (debit/credit columns of a ledger)."""
    shown = frame.astype({c: "object" for c in columns})
    for c in columns:
        shown[c] = [None if v == 0 else v for v in shown[c].tolist()]
    return shown


MONTH_TOTAL = "本月合计"  # the 摘要 of a customer's last 明细账 line: the month's 借方 and 贷方, the 期末余额


def month_ledger(ledger: pd.DataFrame, names: list[str], start: date, day: date) -> tuple[pd.DataFrame, dict]:
    """The 明细账 rows of the month from ``start`` to ``day`` (LEDGER_COLUMNS), per customer of ``names`` in the
    ledger's order: a 期初余额 line (借方 − 贷方 before ``start``, ``balances.period_balances``), the month's rows
    with the running 余额, and a 本月合计 line (the month's 借方 and 贷方, the 期末余额); a zero 借方 or 贷方 blank.
    Also the table's 合计 figures: 借方 and 贷方 over the month's rows only (not the 本月合计 lines again), 余额 =
    the sum of the 期末余额.

    >>> ledger = pd.DataFrame({"客户名称": ["甲", "甲", "乙"], "日期": pd.to_datetime(["2026-10-15", "2026-11-05", "2026-11-02"]),
    ...     "单据类型": ["发货", "回款", "发货"], "单据号": ["F1", "B1", "F2"], "合同编号": ["H1", "H1", "H2"],
    ...     "摘要": ["发货 H1", "回款", "发货 H2"], "借方": [100000, 0, 30000], "贷方": [0, 40000, 0],
    ...     "余额": [100000, 60000, 30000], "业务员": ["张伟"] * 3, "来源": ["", "", ""]})
    >>> rows, sums = month_ledger(ledger, ["甲", "乙"], date(2026, 11, 1), date(2026, 11, 30))
    >>> rows[["客户名称", "摘要", "借方", "贷方", "余额"]].values.tolist()  # doctest: +NORMALIZE_WHITESPACE
    [['甲', '期初余额', None, None, 100000], ['甲', '回款', None, 40000, 60000], ['甲', '本月合计', None, 40000, 60000],
     ['乙', '期初余额', None, None, 0], ['乙', '发货 H2', 30000, None, 30000], ['乙', '本月合计', 30000, None, 30000]]
    >>> sums
    {'借方': 30000, '贷方': 40000, '余额': 90000}
    """
    wanted = set(names)
    names = [name for name in dict.fromkeys(texts(ledger[CUSTOMER])) if name in wanted]
    balances = period_balances(ledger, names, start, day)
    if names:
        rows = period_lines(ledger, balances, start, day, extra=(REP, "来源"))
        last = ~rows[CUSTOMER].duplicated(keep="last")  # each customer's 期末余额 line becomes its 本月合计
        rows.loc[last, "摘要"] = MONTH_TOTAL
        rows.loc[last, "借方"] = balances["本期借方"].to_numpy()
        rows.loc[last, "贷方"] = balances["本期贷方"].to_numpy()
    else:
        rows = pd.DataFrame(columns=LEDGER_COLUMNS)
    for c in ("借方", "贷方"):
        rows[c] = pd.Series([None if pd.isna(v) or v == 0 else int(v) for v in rows[c]], index=rows.index, dtype=object)
    rows = rows.astype({"余额": "int64"}).reindex(columns=LEDGER_COLUMNS)
    sums = {"借方": int(balances["本期借方"].sum()), "贷方": int(balances["本期贷方"].sum()), "余额": int(balances[CLOSING_BALANCE].sum())}
    return rows, sums


def layout(data: ReceivablesData, settings: Settings, day: date) -> WorkbookSpec:
    """The 应收账款明细账 workbook: 账龄分析 (customers with something open or a movement this month, most
    overdue first; 12 columns in whole yuan (``YUAN``: the cells keep the fen) on A4 landscape at a readable size), 信用额度 (the same customers' limits, terms, 超信用额度
    and 未到期质保金: ``credit_sheet``), 明细账, 按业务员汇总, 已结清 (``split_settled``)."""
    labels = bucket_labels(settings.receivables.aging_buckets)
    subtitle = [settings.company.name, f"截至 {day.isoformat()}（该日以后的单据和回款不计入）",
                f"应收口径: {'发货' if settings.receivables.basis == 'shipment' else '开票'}; 账龄 = 截至日 − 单据日期; "
                "应收余额 = 未收单据 − 未核销回款(预收款)"]
    yuan = lambda name: Col(name, YUAN)  # noqa: E731 (to the whole yuan: 12 columns on A4 landscape at a readable size)
    aging_cols = [Col(CUSTOMER), Col(REP), yuan("应收余额"), yuan("预收款"), *[yuan(label) for label in labels],
                  yuan("逾期金额"), Col("最长逾期天数", INT, total=False)]
    active, settled = split_settled(data, day.replace(day=1))
    quiet = ["预收款", *labels, "逾期金额", "最长逾期天数", "超信用额度", "未到期质保金"]  # a zero there is noise: shown blank
    shown = blank_zero(active, quiet)
    aging = Sheet("账龄分析", [Table(aging_cols, shown, totals=True, highlights=[
        Highlight("逾期金额", ">", 0), Highlight("最长逾期天数", ">", 0)])],
        title="应收账款账龄分析", subtitle=[*subtitle, PLAN_NOTE,
                                      "金额单位: 元, 显示到元 (单元格存到分, 合计按分相加; 到分的金额见「明细账」和「信用额度」); "
                                      "应收余额 = 各账龄区间之和 − 预收款; 按逾期金额、应收余额从大到小",
                                      f"信用额度、账期、超信用额度和未到期质保金见「{CREDIT_SHEET}」; "
                                      f"已结清且本月无往来的 {len(settled)} 家客户见「已结清」"])
    credit = credit_sheet(shown, subtitle)
    last = data.ledger.groupby(CUSTOMER)["日期"].max()  # (an empty mapping cannot map to dates: pandas casts it to float)
    settled = settled.assign(最后往来日期=settled[CUSTOMER].map(last) if len(last)
                             else pd.Series(pd.NaT, index=settled.index, dtype="datetime64[ns]"))
    settled_sheet = Sheet("已结清", [Table([Col(CUSTOMER), Col(REP), Col("最后往来日期", DATE),
                                          Col(CREDIT_LIMIT, MONEY, total=False), Col(CREDIT_DAYS, INT, total=False)], settled)],
                          title="已结清客户", subtitle=[*subtitle[:2], f"无未收单据、无预收款, {day:%Y-%m} 无往来; "
                                                                  "最后往来日期 = 明细账中该客户最后一笔单据或回款的日期"],
                          landscape=False)
    ledger_cols = [Col(CUSTOMER), Col("日期", DATE), Col("单据类型"), Col("单据号"), Col(CONTRACT_NO), Col("摘要"),
                   Col("借方", MONEY), Col("贷方", MONEY), Col("余额", MONEY, total=False), Col(REP), Col("来源")]
    month_start = day.replace(day=1)
    rows, sums = month_ledger(data.ledger, active[CUSTOMER].tolist(), month_start, day)
    ledger = Sheet("明细账", [Table(ledger_cols, rows, totals=True, totals_values=sums)],
                   title="应收账款明细账", subtitle=[
                       *subtitle[:2], "借方 = 发货/开票形成的应收, 贷方 = 回款; 余额按客户逐笔累计",
                       f"每户: 期初余额 ({month_start:%Y-%m-%d} 前的借方 − 贷方)、本月单据和回款、本月合计 (本月借方、贷方, 期末余额); "
                       "合计行的借方、贷方只加单据行, 余额 = 各户期末余额之和 (= 账龄分析的应收余额合计); 已结清客户见「已结清」"])
    rep_cols = [Col(REP), Col("客户数", INT), Col("应收余额", MONEY), Col("预收款", MONEY),
                *[Col(label, MONEY) for label in labels], Col("逾期金额", MONEY)]
    by_rep = Sheet("按业务员汇总", [Table(rep_cols, data.by_rep, totals=True,
                                        highlights=[Highlight("逾期金额", ">", 0)])],
                   title="应收账款按业务员汇总", subtitle=[*subtitle[:2], "按合同的业务员归属; 预收款归所指合同的业务员, 否则归客户负责业务员"])
    return WorkbookSpec(f"应收账款明细账_{day.isoformat()}.xlsx", [aging, credit, ledger, by_rep, settled_sheet])


CREDIT_SHEET = "信用额度"


def credit_sheet(aging: pd.DataFrame, subtitle: list[str]) -> Sheet:
    """信用额度: the 账龄分析's customers with their 信用额度, 账期天数, 应收余额, 逾期金额, 超信用额度 and 未到期质保金,
    those over their limit first (by how far), then in the 账龄分析's order. The 账龄分析 leaves these columns
    out so that its amounts print to the fen on A4 landscape at a readable size (issue 31)."""
    over = aging["超信用额度"].fillna(0).astype("int64")
    ordered = aging.assign(_over=over).sort_values("_over", ascending=False, kind="stable").drop(columns="_over")
    cols = [Col(CUSTOMER), Col(REP), Col(CREDIT_LIMIT, MONEY, total=False), Col(CREDIT_DAYS, INT, total=False),
            Col("应收余额", MONEY), Col("逾期金额", MONEY), Col("超信用额度", MONEY), Col("未到期质保金", MONEY)]
    return Sheet(CREDIT_SHEET, [Table(cols, ordered, totals=True, highlights=[Highlight("超信用额度", ">", 0)])],
                 title="应收账款信用额度", subtitle=[*subtitle[:2], PLAN_NOTE,
                                              "超信用额度 = 应收余额 − 信用额度 (超出时); 超出信用额度的客户在前, 其余按逾期金额从大到小; "
                                              "信用额度空白 = 客户档案未设额度"])


def write_off_details(alloc: Allocation, day: date) -> pd.DataFrame:
    """核销明细 (WRITE_OFF_COLUMNS): every application booked by ``day`` (the collection's 回款日期, 银行流水号, the
    contract and 核销单号 it names; the item paid, its 核销日期 and 规则), then each collection's money still
    unapplied on ``day`` (规则 未核销: 合同预收款 or 客户预收款); by customer, collection and 核销日期."""
    colls = collections_as_of(alloc, day)
    ids = colls["回款ID"].to_numpy(dtype=object)
    refs, named, numbers = (text_values(colls, c) for c in (BANK_REF, CONTRACT_NO, WRITE_OFF))
    amounts, origins = colls[COLLECTION_AMOUNT].to_numpy(dtype="int64"), np.asarray(sources(colls), dtype=object)
    apps = applications_as_of(alloc, day)
    items = alloc.items
    item_at = position_of(items["单据ID"].to_numpy(dtype=object), apps["单据ID"].to_numpy(dtype=object))
    credits = credits_as_of(alloc, day)
    parts = []
    for frame, rule, on, kind, number, contract, customer in (
            (apps, apps["规则"].to_numpy(dtype=object), apps["核销日期"].to_numpy(),
             pick(text_values(items, "单据类型"), item_at, ""), pick(text_values(items, "单据号"), item_at, ""),
             text_values(apps, CONTRACT_NO), text_values(apps, CUSTOMER)),
            (credits, np.where(text_values(credits, CONTRACT_NO) != "", "未核销(合同预收款)", "未核销(客户预收款)"),
             np.full(len(credits), np.datetime64("NaT"), dtype="datetime64[us]"), "", "",
             text_values(credits, CONTRACT_NO), text_values(credits, CUSTOMER))):
        at = position_of(ids, frame["回款ID"].to_numpy(dtype=object))
        parts.append(pd.DataFrame({
            CUSTOMER: customer, COLLECTION_DATE: frame[COLLECTION_DATE].to_numpy(dtype="datetime64[us]"),
            BANK_REF: pick(refs, at, ""), "指定合同": pick(named, at, ""), "核销单号": pick(numbers, at, ""),
            COLLECTION_AMOUNT: pick(amounts, at, 0), "核销日期": pd.to_datetime(on), "单据类型": kind, "单据号": number,
            "单据日期": frame["单据日期"].to_numpy(dtype="datetime64[us]") if "单据日期" in frame else pd.NaT,
            CONTRACT_NO: contract, "核销金额": frame["金额"].to_numpy(dtype="int64"), "规则": rule,
            "来源": pick(origins, at, ""), "_at": at, "_part": len(parts)}))
    frame = pd.concat(parts, ignore_index=True)
    frame = frame.sort_values([CUSTOMER, COLLECTION_DATE, "_at", "_part", "核销日期"], kind="stable")
    return frame[WRITE_OFF_COLUMNS].reset_index(drop=True).astype({COLLECTION_AMOUNT: "int64", "核销金额": "int64"})


def write_off_sheet(details: pd.DataFrame, day: date, company: str) -> Sheet:
    """核销明细: each collection beside the items it paid, with the rule that applied it."""
    cols = [Col(CUSTOMER), Col(COLLECTION_DATE, DATE), Col(BANK_REF), Col("指定合同"), Col("核销单号"),
            Col(COLLECTION_AMOUNT, MONEY, total=False), Col("核销日期", DATE), Col("单据类型"), Col("单据号"), Col("单据日期", DATE),
            Col(CONTRACT_NO), Col("核销金额", MONEY), Col("规则"), Col("来源")]
    return Sheet("核销明细", [Table(cols, details, totals=True)], title="回款核销明细",
                 subtitle=[company, f"截至 {day.isoformat()}（该日以后的单据和回款不计入）",
                           "规则: 按核销单号 = 回款指定的单据; 按合同 = 回款指定合同的未收单据, 先到先核; 按金额 = 客户唯一一笔金额相等的未收单据; "
                           "先到先核 = 客户最早的未收单据; 预收款 = 先收的款在单据发生时冲抵 (先本合同, 后客户); "
                           "指定合同的预收款以合同尚未发货的金额为限, 超出部分按客户核销"])


def bills_sheet(bills: pd.DataFrame, day: date, company: str) -> Sheet:
    """应收票据: the acceptance bills in hand, by due date."""
    cols = [Col(BILL_NO), Col(CUSTOMER), Col(CONTRACT_NO), Col("收票日期", DATE), Col("票面金额", MONEY),
            Col(BILL_DUE_DATE, DATE), Col("距到期天数", INT, total=False), Col(COLLECTION_METHOD), Col(REP), Col("来源")]
    return Sheet("应收票据", [Table(cols, bills, totals=True)], title="应收票据 (未到期承兑汇票)",
                 subtitle=[company, f"截至 {day.isoformat()}", "回款方式为承兑汇票且票据到期日晚于截至日的回款; 已计入回款"])


NEEDS: tuple[str, ...] = ()  # earlier reports whose data ``build`` takes


def build(ctx: RunContext) -> ReportOutput:
    data = compute(ctx.allocation, ctx.tables["客户"], ctx.settings, ctx.run_date)
    spec = layout(data, ctx.settings, ctx.run_date)
    details = write_off_sheet(write_off_details(ctx.allocation, ctx.run_date), ctx.run_date, ctx.settings.company.name)
    after = [s.name for s in spec.sheets].index("明细账") + 1
    spec = replace(spec, sheets=[*spec.sheets[:after], details, *spec.sheets[after:]])  # 核销明细 after 明细账
    bills = bills_receivable(collections_as_of(ctx.allocation, ctx.run_date), ctx.run_date)
    if len(bills):  # 应收票据, appended: only when a bill is in hand
        spec = replace(spec, sheets=[*spec.sheets, bills_sheet(bills, ctx.run_date, ctx.settings.company.name)])
    return ReportOutput(workbooks=[spec], figures={**figures(data, ctx.settings), "bills_fen": int(bills["票面金额"].sum())},
                        data=data)
