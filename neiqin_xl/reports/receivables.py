"""应收账款明细账: the receivables ledger, the aging by customer and the summary by rep, as of the run date D.

Runs after the fulfilment sheet and before the statements and the shipping check, which read its ``data``.
Everything is figured from the allocation (``allocation.py``), never re-derived:

- open items are ``allocation.open_items_as_of(alloc, D)``: items dated up to D with what was unpaid on D;
- unapplied credits (预收款) as of D are, per collection dated up to D, its amount less what it had paid by D
  (applications with 核销日期 ≤ D); a collection naming a contract leaves a contract credit, one without a
  contract a customer-level credit (allocation rules 1 and 2);
- age = D − item date, bucketed by ``receivables.aging_buckets`` (upper bounds, inclusive: age 30 is 0-30天,
  age 31 is 31-60天); due date = item date + 账期天数 (allocation.items has it); overdue days = D − due date
  when positive;
- 应收余额 = open items − unapplied credits (negative when the customer has paid in advance);
- the ledger (明细账) lists every debit (item) and credit (collection) dated up to D, per customer in date
  order (on one date debits before credits, as the allocation books them), with a running balance that
  ends at the customer's 应收余额.

``data`` (for statements, shipping, the daily report, the customer archive, commission) is a dict:
``aging`` (one row per customer, the 账龄分析 columns), ``ledger`` (明细账 rows), ``by_rep``, ``open_items``
(open items as of D with 账龄天数, 账龄区间, 逾期天数) and ``credits`` (unapplied credits as of D).
"""

from __future__ import annotations

from datetime import date

import pandas as pd

from ..allocation import Allocation, open_items_as_of, unapplied_as_of
from ..config import Settings
from ..context import ReportOutput, RunContext
from ..model import REP, SRC_ROW, SRC_SHEET, SRC_WORKBOOK, text
from ..sheets import INT, MONEY, DATE, Col, Highlight, Sheet, Table, WorkbookSpec

CREDIT_COLUMNS = ["回款ID", "回款日期", "客户名称", "合同编号", "金额", "业务员", "合同业务员", "来源"]
LEDGER_COLUMNS = ["客户名称", "日期", "单据类型", "单据号", "合同编号", "摘要", "借方", "贷方", "余额", "业务员", "来源"]


# ---------------------------------------------------------------- small shared helpers (statements, shipping use them)

def source_of(row: dict) -> str:
    """`张伟.xlsx[发货]!5`: where a row was read."""
    wb, sheet, line = text(row.get(SRC_WORKBOOK)), text(row.get(SRC_SHEET)), text(row.get(SRC_ROW))
    return f"{wb}[{sheet}]!{line}" if wb else ""


def bucket_labels(bounds: list[int]) -> list[str]:
    """[30, 60, 90, 180, 365] -> 0-30天, 31-60天, 61-90天, 91-180天, 181-365天, 365天以上."""
    labels, low = [], 0
    for high in bounds:
        labels.append(f"{low}-{high}天")
        low = high + 1
    return labels + [f"{bounds[-1]}天以上"]


def bucket_of(age: int, bounds: list[int]) -> str:
    """The aging bucket of an age in days: bounds are inclusive upper bounds."""
    labels = bucket_labels(bounds)
    for high, label in zip(bounds, labels):
        if age <= high:
            return label
    return labels[-1]


def figure_key(label: str) -> str:
    """'0-30天' -> 'aging_0_30_fen'; '365天以上' -> 'aging_365_plus_fen' (manifest keys)."""
    core = label.replace("天以上", "_plus").replace("天", "").replace("-", "_")
    return f"aging_{core}_fen"


def collections_as_of(alloc: Allocation, day: date) -> pd.DataFrame:
    """The collections (with 回款ID) dated up to ``day``."""
    return alloc.collections[alloc.collections["回款日期"] <= pd.Timestamp(day)]


def applications_as_of(alloc: Allocation, day: date) -> pd.DataFrame:
    """The applications booked up to ``day`` (核销日期 ≤ day)."""
    return alloc.applications[alloc.applications["核销日期"] <= pd.Timestamp(day)]


def credits_as_of(alloc: Allocation, day: date) -> pd.DataFrame:
    """Unapplied money on ``day``: per collection dated up to ``day``, its amount less what it had paid by then.

    合同编号 is the contract the collection names ("" for a customer-level credit); 业务员 is the rep whose
    workbook holds the collection, 合同业务员 the rep of the named contract.
    """
    colls = unapplied_as_of(alloc, day)
    rows = [{"回款ID": c["回款ID"], "回款日期": c["回款日期"], "客户名称": text(c.get("客户名称")),
             "合同编号": text(c.get("合同编号")), "金额": int(c["未核销"]), "业务员": text(c.get(REP)),
             "合同业务员": text(c.get("合同业务员")), "来源": source_of(c)}
            for c in colls[colls["未核销"] > 0].to_dict("records")]
    return pd.DataFrame(rows, columns=CREDIT_COLUMNS).astype({"金额": "int64"})


def aged_open_items(alloc: Allocation, day: date, bounds: list[int]) -> pd.DataFrame:
    """Items dated up to ``day`` with 未收 on ``day``, 账龄天数, 账龄区间 and 逾期天数 (0 when not past due)."""
    items = open_items_as_of(alloc, day).reset_index(drop=True)
    cutoff = pd.Timestamp(day)
    items["账龄天数"] = [(cutoff - d).days for d in items["日期"]]
    items["账龄区间"] = [bucket_of(a, bounds) for a in items["账龄天数"]]
    items["逾期天数"] = [max(0, (cutoff - d).days) for d in items["到期日"]]
    return items.astype({"账龄天数": "int64", "逾期天数": "int64"})


def archive_lookup(customers: pd.DataFrame) -> dict[str, dict]:
    """客户名称 -> its archive row (信用额度, 账期天数, 负责业务员, 联系人 …)."""
    if customers is None or customers.empty:
        return {}
    return {text(r["客户名称"]): r for r in customers.to_dict("records")}


def credit_limit(archive_row: dict | None) -> int | None:
    """The customer's 信用额度 in fen; None when not set (blank or 0 in the archive)."""
    if not archive_row:
        return None
    value = archive_row.get("信用额度")
    if value is None or text(value) == "" or int(value) <= 0:
        return None
    return int(value)


# ---------------------------------------------------------------- the computations

def ledger_entries(items: pd.DataFrame, collections: pd.DataFrame) -> pd.DataFrame:
    """Every debit (item) and credit (collection) per customer in date order with a running 余额.

    ``items``: the allocation's items dated up to D; ``collections``: the collections dated up to D.
    On one date debits come before credits; ties keep the allocation's order.
    """
    rows = []
    for seq, it in enumerate(items.to_dict("records")):
        rows.append({"客户名称": text(it["客户名称"]), "日期": it["日期"], "单据类型": it["单据类型"],
                     "单据号": text(it["单据号"]), "合同编号": text(it["合同编号"]), "摘要": f"{it['单据类型']} {text(it['合同编号'])}".strip(),
                     "借方": int(it["金额"]), "贷方": 0, "业务员": text(it["业务员"]), "来源": source_of(it),
                     "_order": (0, seq)})
    for seq, c in enumerate(collections.to_dict("records")):
        how = text(c.get("回款方式"))
        note = "回款" + (f"({how})" if how else "") + ("" if text(c.get("合同编号")) else " 未指定合同")
        rows.append({"客户名称": text(c["客户名称"]), "日期": c["回款日期"], "单据类型": "回款",
                     "单据号": text(c.get("银行流水号")), "合同编号": text(c.get("合同编号")), "摘要": note,
                     "借方": 0, "贷方": int(c["回款金额"]), "业务员": text(c.get(REP)), "来源": source_of(c),
                     "_order": (1, seq)})
    if not rows:
        return pd.DataFrame(columns=LEDGER_COLUMNS).astype({"借方": "int64", "贷方": "int64", "余额": "int64"})
    frame = pd.DataFrame(rows)
    frame = frame.sort_values(["客户名称", "日期", "_order"], kind="stable").reset_index(drop=True)
    frame["余额"] = (frame["借方"] - frame["贷方"]).groupby(frame["客户名称"]).cumsum()
    return frame[LEDGER_COLUMNS].astype({"借方": "int64", "贷方": "int64", "余额": "int64"})


def customer_reps(name: str, archive_row: dict | None, items: pd.DataFrame, credits: pd.DataFrame) -> str:
    """The archive's 负责业务员, else the reps on the customer's items (else on its collections), joined by 、."""
    owner = text((archive_row or {}).get("负责业务员"))
    if owner:
        return owner
    reps = [r for r in dict.fromkeys(items.loc[items["客户名称"] == name, "业务员"].map(text)) if r]
    if not reps:
        reps = [r for r in dict.fromkeys(credits.loc[credits["客户名称"] == name, "业务员"].map(text)) if r]
    return "、".join(reps)


def aging_by_customer(items: pd.DataFrame, credits: pd.DataFrame, collections: pd.DataFrame,
                      archive: dict[str, dict], settings: Settings) -> pd.DataFrame:
    """One row per customer with an item or a collection up to D: the 账龄分析 columns (money in fen).

    ``items`` are the aged open items (``aged_open_items``, paid ones included with 未收 0).
    """
    labels = bucket_labels(settings.receivables.aging_buckets)
    names = list(dict.fromkeys([*items["客户名称"].map(text), *collections["客户名称"].map(text)]))
    rows = []
    for name in names:
        own = items[(items["客户名称"] == name) & (items["未收"] != 0)]
        prepaid = int(credits.loc[credits["客户名称"] == name, "金额"].sum())
        open_amount = int(own["未收"].sum())
        overdue = own[own["逾期天数"] > 0]
        arch = archive.get(name)
        limit = credit_limit(arch)
        term = (arch or {}).get("账期天数")
        balance = open_amount - prepaid
        row = {"客户名称": name, "业务员": customer_reps(name, arch, items, credits), "信用额度": limit,
               "账期天数": int(term) if text(term) != "" else settings.receivables.default_term_days,
               "应收余额": balance, "预收款": prepaid}
        row.update({label: int(own.loc[own["账龄区间"] == label, "未收"].sum()) for label in labels})
        row.update({"逾期金额": int(overdue["未收"].sum()),
                    "最长逾期天数": int(overdue["逾期天数"].max()) if len(overdue) else 0,
                    "超信用额度": max(0, balance - limit) if limit is not None else 0})
        rows.append(row)
    columns = ["客户名称", "业务员", "信用额度", "账期天数", "应收余额", "预收款", *labels, "逾期金额", "最长逾期天数", "超信用额度"]
    frame = pd.DataFrame(rows, columns=columns)
    frame["信用额度"] = frame["信用额度"].astype("Int64")
    ints = {c: "int64" for c in columns if c not in ("客户名称", "业务员", "信用额度")}
    frame = frame.astype(ints)
    return frame.sort_values(["应收余额", "客户名称"], ascending=[False, True], kind="stable").reset_index(drop=True)


def credit_rep(credit: dict, archive: dict[str, dict]) -> str:
    """Whose prepayment: the named contract's rep, else the customer's 负责业务员, else the collecting rep."""
    return (text(credit.get("合同业务员")) or text(archive.get(credit["客户名称"], {}).get("负责业务员"))
            or text(credit.get("业务员")))


def aging_by_rep(items: pd.DataFrame, credits: pd.DataFrame, archive: dict[str, dict], settings: Settings) -> pd.DataFrame:
    """Per rep (the rep of each item's contract; a credit goes to ``credit_rep``): 客户数, 应收余额, 预收款,
    the buckets, 逾期金额. The columns add up to the 账龄分析 totals."""
    labels = bucket_labels(settings.receivables.aging_buckets)
    own = items[items["未收"] != 0]
    cred = credits.assign(_rep=[credit_rep(c, archive) for c in credits.to_dict("records")])
    reps = sorted(set(own["业务员"].map(text)) | set(cred["_rep"]))
    rows = []
    for rep in reps:
        mine, prepaid = own[own["业务员"].map(text) == rep], cred[cred["_rep"] == rep]
        customers = set(mine["客户名称"]) | set(prepaid["客户名称"])
        row = {"业务员": rep or "(未指定)", "客户数": len(customers),
               "应收余额": int(mine["未收"].sum()) - int(prepaid["金额"].sum()), "预收款": int(prepaid["金额"].sum())}
        row.update({label: int(mine.loc[mine["账龄区间"] == label, "未收"].sum()) for label in labels})
        row["逾期金额"] = int(mine.loc[mine["逾期天数"] > 0, "未收"].sum())
        rows.append(row)
    columns = ["业务员", "客户数", "应收余额", "预收款", *labels, "逾期金额"]
    return pd.DataFrame(rows, columns=columns).astype({c: "int64" for c in columns[1:]})


def compute(alloc: Allocation, customers: pd.DataFrame, settings: Settings, day: date) -> dict[str, pd.DataFrame]:
    """All the receivables tables as of ``day`` (the ``data`` of this report)."""
    bounds = settings.receivables.aging_buckets
    items = aged_open_items(alloc, day, bounds)
    credits = credits_as_of(alloc, day)
    colls = collections_as_of(alloc, day)
    archive = archive_lookup(customers)
    return {"aging": aging_by_customer(items, credits, colls, archive, settings),
            "ledger": ledger_entries(items, colls),
            "by_rep": aging_by_rep(items, credits, archive, settings),
            "open_items": items[items["未收"] != 0].sort_values(["客户名称", "日期"], kind="stable").reset_index(drop=True),
            "credits": credits}


def figures(data: dict[str, pd.DataFrame], settings: Settings) -> dict:
    """Totals for manifest.json (money as fen ints, keys ending _fen)."""
    aging = data["aging"]
    out = {"customers": len(aging), "receivable_balance_fen": int(aging["应收余额"].sum()),
           "prepayments_fen": int(aging["预收款"].sum()), "open_items_fen": int(data["open_items"]["未收"].sum())}
    out.update({figure_key(label): int(aging[label].sum()) for label in bucket_labels(settings.receivables.aging_buckets)})
    out.update({"overdue_fen": int(aging["逾期金额"].sum()), "customers_overdue": int((aging["逾期金额"] > 0).sum()),
                "customers_over_limit": int((aging["超信用额度"] > 0).sum())})
    return out


# ---------------------------------------------------------------- layout

def blank_zero(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """Display copy with zeros in ``columns`` shown as empty cells (debit/credit columns of a ledger)."""
    shown = frame.astype({c: "object" for c in columns})
    for c in columns:
        shown[c] = [None if v == 0 else v for v in shown[c]]
    return shown


def layout(data: dict[str, pd.DataFrame], settings: Settings, day: date) -> WorkbookSpec:
    """The 应收账款明细账 workbook: 账龄分析, 明细账, 按业务员汇总."""
    labels = bucket_labels(settings.receivables.aging_buckets)
    subtitle = [settings.company.name, f"截至 {day.isoformat()}（该日以后的单据和回款不计入）",
                f"应收口径: {'发货' if settings.receivables.basis == 'shipment' else '开票'}; 账龄 = 截至日 − 单据日期; "
                "应收余额 = 未收单据 − 未核销回款(预收款)"]
    aging_cols = [Col("客户名称"), Col("业务员"), Col("信用额度", MONEY, total=False), Col("账期天数", INT, total=False),
                  Col("应收余额", MONEY), Col("预收款", MONEY), *[Col(label, MONEY) for label in labels],
                  Col("逾期金额", MONEY), Col("最长逾期天数", INT, total=False), Col("超信用额度", MONEY)]
    aging = Sheet("账龄分析", [Table(aging_cols, data["aging"], totals=True, highlights=[
        Highlight("逾期金额", ">", 0), Highlight("最长逾期天数", ">", 0), Highlight("超信用额度", ">", 0)])],
        title="应收账款账龄分析", subtitle=subtitle)
    ledger_cols = [Col("客户名称"), Col("日期", DATE), Col("单据类型"), Col("单据号"), Col("合同编号"), Col("摘要"),
                   Col("借方", MONEY), Col("贷方", MONEY), Col("余额", MONEY, total=False), Col("业务员"), Col("来源")]
    ledger = Sheet("明细账", [Table(ledger_cols, blank_zero(data["ledger"], ["借方", "贷方"]), totals=True)],
                   title="应收账款明细账", subtitle=[*subtitle[:2], "借方 = 发货/开票形成的应收, 贷方 = 回款; 余额按客户逐笔累计"])
    rep_cols = [Col("业务员"), Col("客户数", INT), Col("应收余额", MONEY), Col("预收款", MONEY),
                *[Col(label, MONEY) for label in labels], Col("逾期金额", MONEY)]
    by_rep = Sheet("按业务员汇总", [Table(rep_cols, data["by_rep"], totals=True,
                                        highlights=[Highlight("逾期金额", ">", 0)])],
                   title="应收账款按业务员汇总", subtitle=[*subtitle[:2], "按合同的业务员归属; 预收款归所指合同的业务员, 否则归客户负责业务员"])
    return WorkbookSpec(f"应收账款明细账_{day.isoformat()}.xlsx", [aging, ledger, by_rep])


def build(ctx: RunContext) -> ReportOutput:
    data = compute(ctx.allocation, ctx.tables["客户"], ctx.settings, ctx.run_date)
    return ReportOutput(workbooks=[layout(data, ctx.settings, ctx.run_date)], figures=figures(data, ctx.settings),
                        data=data)
