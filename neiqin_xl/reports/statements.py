"""对账单: one statement of account per customer, to print, send, and have signed and returned.

Runs after the receivables report and reads its ledger (明细账) and open items as of the run date D.
A customer gets a statement when it has a balance on D or a movement in the period; the period runs from
``receivables.statement_period_start`` (year / quarter / month of D) to D. Each statement shows the
company and its contact, the customer, the period, the opening balance (debits − credits before the
period start), every movement with a running balance, the closing balance, the open items with their due
dates and days overdue, money received and not yet applied, and a signature block.

Files go to output/<D>/对账单/<客户名称>_对账单_<D>.xlsx; nothing is mailed (the clerk sends them by hand).
``data`` is a dict: ``summary`` (客户名称, 期初余额, 本期借方, 本期贷方, 期末余额, 文件名) and ``period``
(start, end dates).
"""

from __future__ import annotations

from datetime import date

import pandas as pd

from ..config import Settings
from ..context import ReportOutput, RunContext
from ..model import fmt_yuan
from ..sheets import DATE, INT, MONEY, Col, Sheet, Table, WorkbookSpec
from ..writer import safe_filename
from . import receivables

SUMMARY_COLUMNS = ["客户名称", "期初余额", "本期借方", "本期贷方", "期末余额", "文件名"]


def period_start(day: date, kind: str) -> date:
    """First day of the statement period containing ``day``: year, quarter or month."""
    if kind == "month":
        return day.replace(day=1)
    if kind == "quarter":
        return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    return date(day.year, 1, 1)


def customers_to_state(ledger: pd.DataFrame, start: date) -> list[str]:
    """Customers with a non-zero balance at the end of the ledger or a movement dated from ``start``."""
    if ledger.empty:
        return []
    balance = (ledger["借方"] - ledger["贷方"]).groupby(ledger["客户名称"]).sum()
    moved = set(ledger.loc[ledger["日期"] >= pd.Timestamp(start), "客户名称"])
    return [name for name in dict.fromkeys(ledger["客户名称"]) if balance.get(name, 0) != 0 or name in moved]


def statement_lines(ledger: pd.DataFrame, name: str, start: date, day: date) -> tuple[int, pd.DataFrame]:
    """(opening balance, the period's rows: 期初余额, every movement, 期末余额) for one customer.

    The 期初余额 / 期末余额 rows carry only 余额, so the 借方 / 贷方 columns add up to the period's movements.
    """
    own = ledger[ledger["客户名称"] == name]
    before = own[own["日期"] < pd.Timestamp(start)]
    opening = int(before["借方"].sum() - before["贷方"].sum())
    moves = own[(own["日期"] >= pd.Timestamp(start)) & (own["日期"] <= pd.Timestamp(day))]
    rows = [{"日期": pd.Timestamp(start), "摘要": "期初余额", "余额": opening}]
    balance = opening
    for m in moves.to_dict("records"):
        balance += int(m["借方"]) - int(m["贷方"])
        rows.append({"日期": m["日期"], "单据类型": m["单据类型"], "单据号": m["单据号"], "合同编号": m["合同编号"],
                     "摘要": m["摘要"], "借方": int(m["借方"]) or None, "贷方": int(m["贷方"]) or None, "余额": balance})
    rows.append({"日期": pd.Timestamp(day), "摘要": "期末余额", "余额": balance})
    return opening, pd.DataFrame(rows, columns=["日期", "单据类型", "单据号", "合同编号", "摘要", "借方", "贷方", "余额"])


def statement_summary(ledger: pd.DataFrame, names: list[str], start: date, day: date) -> pd.DataFrame:
    """Per customer: 期初余额, 本期借方, 本期贷方, 期末余额 and the statement's file name."""
    rows = []
    own = split_by_customer(ledger)
    for name in names:
        opening, lines = statement_lines(own.get(name, ledger.iloc[:0]), name, start, day)
        debit = int(pd.to_numeric(lines["借方"]).fillna(0).sum())
        credit = int(pd.to_numeric(lines["贷方"]).fillna(0).sum())
        rows.append({"客户名称": name, "期初余额": opening, "本期借方": debit, "本期贷方": credit,
                     "期末余额": opening + debit - credit, "文件名": statement_filename(name, day)})
    return pd.DataFrame(rows, columns=SUMMARY_COLUMNS).astype({c: "int64" for c in SUMMARY_COLUMNS[1:5]})


def split_by_customer(frame: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Each customer's rows (in their order), split once: filtering the whole ledger per customer grows with
    customers × rows."""
    return {name: part for name, part in frame.groupby("客户名称", sort=False)}


def statement_filename(name: str, day: date) -> str:
    return safe_filename(f"{name}_对账单_{day.isoformat()}") + ".xlsx"


def signature_block(settings: Settings) -> list[str]:
    """The lines under the tables: how to confirm, who to call, where to sign."""
    c = settings.company
    contact = "　".join(p for p in (f"联系人: {c.contact}" if c.contact else "", f"电话: {c.phone}" if c.phone else "",
                                   f"地址: {c.address}" if c.address else "") if p)
    return ["以上往来及余额请贵司核对。核对无误请在下方签字并加盖公章后寄回或扫描回传我司；如有不符，请注明不符金额及原因。",
            f"{c.name}　{contact}".strip(),
            "",
            "客户确认: ______________    盖章: ______________    日期: ______________"]


def layout_statement(name: str, ledger: pd.DataFrame, open_items: pd.DataFrame, credits: pd.DataFrame,
                     settings: Settings, start: date, day: date) -> WorkbookSpec:
    """One customer's 对账单: portrait A4, fitted to the width, header rows repeated by the writer."""
    opening, lines = statement_lines(ledger, name, start, day)
    closing = int(lines["余额"].iloc[-1])
    c = settings.company
    subtitle = [f"{c.name}　联系人: {c.contact}" + (f"　电话: {c.phone}" if c.phone else ""),
                f"客户: {name}", f"对账期间: {start.isoformat()} 至 {day.isoformat()}",
                f"期初余额: ¥{fmt_yuan(opening)}　期末余额: ¥{fmt_yuan(closing)}（正数为贵司尚欠我司款项，负数为贵司预付款）"]
    move_cols = [Col("日期", DATE), Col("单据类型"), Col("单据号"), Col("合同编号"), Col("摘要"), Col("借方", MONEY),
                 Col("贷方", MONEY), Col("余额", MONEY, total=False)]
    tables = [Table(move_cols, lines, heading="往来明细（借方 = 发货/开票应收，贷方 = 回款）", totals=True,
                    totals_label="本期合计", autofilter=False)]
    own_open = open_items[open_items["客户名称"] == name]
    open_cols = [Col("日期", DATE), Col("单据类型"), Col("单据号"), Col("合同编号"), Col("金额", MONEY), Col("未收金额", MONEY),
                 Col("到期日", DATE), Col("逾期天数", INT, total=False)]
    open_rows = pd.DataFrame({"日期": own_open["日期"], "单据类型": own_open["单据类型"], "单据号": own_open["单据号"],
                              "合同编号": own_open["合同编号"], "金额": own_open["金额"], "未收金额": own_open["未收"],
                              "到期日": own_open["到期日"], "逾期天数": own_open["逾期天数"]})
    tables.append(Table(open_cols, open_rows, heading=f"截至 {day.isoformat()} 未结清单据", totals=True, autofilter=False))
    own_credits = credits[credits["客户名称"] == name]
    if len(own_credits):
        credit_rows = pd.DataFrame({"回款日期": own_credits["回款日期"], "合同编号": own_credits["合同编号"],
                                    "未核销金额": own_credits["金额"]})
        tables.append(Table([Col("回款日期", DATE), Col("合同编号"), Col("未核销金额", MONEY)], credit_rows,
                            heading="已收款尚未核销（预收款，已在余额中抵减）", totals=True, autofilter=False))
    sheet = Sheet("对账单", tables, title="往来对账单", subtitle=subtitle, notes=signature_block(settings),
                  landscape=False, fit_width=True, freeze=False)
    return WorkbookSpec(statement_filename(name, day), [sheet], subfolder="对账单")


def build(ctx: RunContext) -> ReportOutput:
    day = ctx.run_date
    data = ctx.results.get("receivables") or receivables.compute(ctx.allocation, ctx.tables["客户"], ctx.settings, day)
    start = period_start(day, ctx.settings.receivables.statement_period_start)
    names = customers_to_state(data["ledger"], start)
    ledgers, opens, credits = (split_by_customer(data[k]) for k in ("ledger", "open_items", "credits"))
    specs = [layout_statement(n, ledgers.get(n, data["ledger"].iloc[:0]), opens.get(n, data["open_items"].iloc[:0]),
                              credits.get(n, data["credits"].iloc[:0]), ctx.settings, start, day) for n in names]
    summary = statement_summary(data["ledger"], names, start, day)
    figures = {"statements": len(specs), "closing_balance_fen": int(summary["期末余额"].sum())}
    return ReportOutput(workbooks=specs, figures=figures, data={"summary": summary, "period": (start, day)})
