"""对账单: one statement of account per customer, to print, send, and have signed and returned.

Runs after the receivables report (``NEEDS``) and reads its ledger (明细账), open items and unapplied credits as
of the run date D.
A customer gets a statement when it has a balance, an open item or a prepayment on D (a balance of 0 can be
both at once) or a movement in D's month (``statements.include:
active``, the default: a customer who owes nothing and did nothing this month has nothing to confirm), or with
``statements.include: all`` a balance or any movement in the period. The period (what the statement shows) runs
from ``receivables.statement_period_start`` (year / quarter / month of D: ``periods.statement_period_start``)
to D.
Each statement shows the company and its contact, the customer, the period, the opening balance (debits −
credits before the period start), every movement with a running balance, the closing balance, the open items
with their due dates and days overdue, money received and not yet applied, and a signature block.

Files go to output/<D>/对账单/<客户名称>_对账单_<D>.xlsx, named by the writer together (``files.Name``: two
customers whose names clean or cut alike, or differ only in case, each get a short hash; manifest.json maps each
customer to its file); nothing is mailed (the clerk sends them by hand).
``data`` is a ``StatementsData``: ``summary`` (客户名称, 期初余额, 本期借方, 本期贷方, 期末余额) and
``period`` (start, end dates).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from ..books.periods import statement_period_start
from ..books.collection_plans import is_warranty
from ..core.config import Settings
from ..books.context import RunContext
from ..core.output import ReportOutput
from ..core.model import fmt_yuan, rmb_words
from ..core.results import ReceivablesData
from ..core.sheets import DATE, INT, MONEY, Col, Sheet, Table, WorkbookSpec
from ..core.files import Name

SUMMARY_COLUMNS = ["客户名称", "期初余额", "本期借方", "本期贷方", "期末余额"]


@dataclass(frozen=True)
class StatementsData:
    """The report's ``data``: one summary row per statement, and the period they cover."""

    summary: pd.DataFrame  # SUMMARY_COLUMNS
    period: tuple[date, date]  # start, end (the run date)


def customers_to_state(ledger: pd.DataFrame, start: date, holding: set[str] = frozenset()) -> list[str]:
    """Customers with a non-zero balance at the end of the ledger, an open item or a prepayment (``holding``:
    a balance of 0 can be an open item beside as much prepayment, which the customer must confirm too) or a
    movement dated from ``start`` (the statement period's start for ``statements.include: all``, the 1st of the
    run date's month for ``active``)."""
    if ledger.empty:
        return []
    balance = (ledger["借方"] - ledger["贷方"]).groupby(ledger["客户名称"]).sum()
    moved = set(ledger.loc[ledger["日期"] >= pd.Timestamp(start), "客户名称"].unique()) | set(holding)
    return [name for name in ledger["客户名称"].unique() if balance.get(name, 0) != 0 or name in moved]


def period_balances(ledger: pd.DataFrame, names: list[str], start: date, day: date) -> pd.DataFrame:
    """Per customer of ``names`` (index 客户名称, in that order): 期初余额 (debits − credits before ``start``),
    本期借方 and 本期贷方 (the movements from ``start`` to ``day``), 期末余额."""
    index = pd.Index(names, name="客户名称")

    def total(values: pd.Series, rows: pd.Series) -> pd.Series:
        return values[rows].groupby(ledger.loc[rows, "客户名称"]).sum().reindex(index, fill_value=0)

    before, moving = ledger["日期"] < pd.Timestamp(start), in_period(ledger, start, day)
    frame = pd.DataFrame({"期初余额": total(ledger["借方"] - ledger["贷方"], before),
                          "本期借方": total(ledger["借方"], moving), "本期贷方": total(ledger["贷方"], moving)})
    frame["期末余额"] = frame["期初余额"] + frame["本期借方"] - frame["本期贷方"]
    return frame.astype("int64")


def in_period(ledger: pd.DataFrame, start: date, day: date) -> pd.Series:
    """Which ledger rows are dated from ``start`` to ``day``."""
    return (ledger["日期"] >= pd.Timestamp(start)) & (ledger["日期"] <= pd.Timestamp(day))


def statement_lines(ledger: pd.DataFrame, balances: pd.DataFrame, start: date, day: date) -> dict[str, pd.DataFrame]:
    """客户名称 -> the period's rows of its statement: 期初余额, every movement with the running 余额, 期末余额.

    ``balances`` is ``period_balances`` (one row per customer to state). The 期初余额 / 期末余额 rows carry
    only 余额, so the 借方 / 贷方 columns add up to the period's movements; a zero 借方 or 贷方 is left blank.
    """
    names = balances.index.tolist()
    moves = ledger[in_period(ledger, start, day) & ledger["客户名称"].isin(names)]
    position = {name: i for i, name in enumerate(names)}
    customers = moves["客户名称"].map(position).to_numpy(dtype="int64")
    opening = balances["期初余额"].to_numpy()
    running = opening[customers] + (moves["借方"] - moves["贷方"]).groupby(customers).cumsum().to_numpy()
    n, blank = len(names), [np.nan] * len(names)
    lines = pd.DataFrame({
        "日期": np.concatenate([np.full(n, np.datetime64(start, "us")), moves["日期"].to_numpy(dtype="datetime64[us]"),
                              np.full(n, np.datetime64(day, "us"))]),
        **{c: blank + moves[c].tolist() + blank for c in ("单据类型", "单据号", "合同编号")},
        "摘要": ["期初余额"] * n + moves["摘要"].tolist() + ["期末余额"] * n,
        # 借方 / 贷方 blank when 0: a float column with NaN blanks, as the statement always showed them
        **{c: np.concatenate([blank, moves[c].where(moves[c] != 0).to_numpy(dtype="float64"), blank])
           for c in ("借方", "贷方")},
        "余额": np.concatenate([opening, running, balances["期末余额"].to_numpy()]).astype("int64")})
    # a customer's rows in the order built: its opening row, its movements in ledger order, its closing row
    customer_of_row = np.concatenate([np.arange(n), customers, np.arange(n)])
    return {names[i]: part.reset_index(drop=True) for i, part in lines.groupby(customer_of_row, sort=False)}


def statement_summary(balances: pd.DataFrame) -> pd.DataFrame:
    """Per customer: 期初余额, 本期借方, 本期贷方, 期末余额."""
    return balances.reset_index()[SUMMARY_COLUMNS].astype({c: "int64" for c in SUMMARY_COLUMNS[1:]})


def split_by_customer(frame: pd.DataFrame, customers: pd.Series) -> dict[str, pd.DataFrame]:
    """Each customer's rows of ``frame`` (``customers`` gives the customer of each row), in their order and
    with their index, split once: filtering the whole table per customer grows with customers × rows."""
    return dict(iter(frame.groupby(customers, sort=False)))


def statement_filename(name: str, day: date) -> Name:
    """<客户名称>_对账单_<D>.xlsx, the customer's name as written (the writer makes it safe and unique)."""
    return Name(name, after=f"_对账单_{day.isoformat()}.xlsx")


def signature_block(settings: Settings) -> list[str]:
    """The lines under the tables: how to confirm, who to call, where to sign."""
    c = settings.company
    contact = "　".join(p for p in (f"联系人: {c.contact}" if c.contact else "", f"电话: {c.phone}" if c.phone else "",
                                   f"地址: {c.address}" if c.address else "") if p)
    return ["以上往来及余额请贵司核对。核对无误请在下方签字并加盖公章后寄回或扫描回传我司；如有不符，请注明不符金额及原因。",
            f"{c.name}　{contact}".strip(),
            "",
            "客户确认: ______________    盖章: ______________    日期: ______________"]


def closing_in_words(closing: int) -> str:
    """The closing balance in 人民币大写, as the customer signs against it; a negative balance is money the
    customer paid in advance, stated as 预收.

    >>> closing_in_words(1000500)
    '期末余额（大写）：人民币壹万零伍元整（贵司尚欠我司）'
    >>> closing_in_words(-10000050)
    '期末余额（大写）：预收人民币壹拾万元伍角整（贵司预付我司）'
    """
    if closing < 0:
        return f"期末余额（大写）：预收{rmb_words(closing)}（贵司预付我司）"
    return f"期末余额（大写）：{rmb_words(closing)}" + ("（贵司尚欠我司）" if closing else "（双方无欠款）")


def layout_statement(name: str, lines: pd.DataFrame, open_rows: pd.DataFrame, prepaid_rows: pd.DataFrame,
                     settings: Settings, start: date, day: date) -> WorkbookSpec:
    """One customer's 对账单: portrait A4, fitted to the width, header rows repeated by the writer.

    ``lines`` from ``statement_lines``; ``open_rows`` and ``prepaid_rows`` are the customer's rows of
    ``open_item_rows`` and ``prepayment_rows``."""
    opening, closing = int(lines["余额"].iloc[0]), int(lines["余额"].iloc[-1])
    c = settings.company
    subtitle = [f"{c.name}　联系人: {c.contact}" + (f"　电话: {c.phone}" if c.phone else ""),
                f"客户: {name}", f"对账期间: {start.isoformat()} 至 {day.isoformat()}",
                f"期初余额: ¥{fmt_yuan(opening)}　期末余额: ¥{fmt_yuan(closing)}（正数为贵司尚欠我司款项，负数为贵司预付款）",
                closing_in_words(closing)]
    move_cols = [Col("日期", DATE), Col("单据类型"), Col("单据号"), Col("合同编号"), Col("摘要"), Col("借方", MONEY),
                 Col("贷方", MONEY), Col("余额", MONEY, total=False)]
    tables = [Table(move_cols, lines, heading="往来明细（借方 = 发货/开票应收，贷方 = 回款）", totals=True,
                    totals_label="本期合计", autofilter=False)]
    open_cols = [Col("日期", DATE), Col("单据类型"), Col("单据号"), Col("合同编号"), Col("金额", MONEY), Col("未收金额", MONEY),
                 Col("到期日", DATE), Col("逾期天数", INT, total=False), Col("未到期质保金", MONEY)]
    tables.append(Table(open_cols, open_rows, heading=f"截至 {day.isoformat()} 未结清单据", totals=True, autofilter=False))
    if len(prepaid_rows):
        tables.append(Table([Col("回款日期", DATE), Col("合同编号"), Col("未核销金额", MONEY)], prepaid_rows,
                            heading="已收款尚未核销（预收款，已在余额中抵减）", totals=True, autofilter=False))
    sheet = Sheet("对账单", tables, title="往来对账单", subtitle=subtitle, notes=signature_block(settings),
                  landscape=False, fit_width=True, freeze=False)
    return WorkbookSpec(statement_filename(name, day), [sheet], subfolder="对账单")


def open_item_rows(open_items: pd.DataFrame) -> pd.DataFrame:
    """The 未结清单据 columns of the receivables' open items (未收 shown as 未收金额). An item whose open amount a
    回款计划 splits (``allocation.due_parts_as_of``) is one row per part, its 金额 on the first only; a 质保 part
    not yet overdue shows its amount again in 未到期质保金."""
    rows = open_items[["日期", "单据类型", "单据号", "合同编号", "金额", "未收", "到期日", "逾期天数"]].rename(
        columns={"未收": "未收金额"})
    again = open_items["单据ID"].eq(open_items["单据ID"].shift())
    rows["金额"] = rows["金额"].astype("Int64").mask(again)
    held = is_warranty(open_items) & (open_items["逾期天数"] == 0)
    rows["未到期质保金"] = open_items["未收"].where(held).astype("Int64")
    return rows


def prepayment_rows(credits: pd.DataFrame) -> pd.DataFrame:
    """The 已收款尚未核销 columns of the receivables' unapplied credits."""
    return credits[["回款日期", "合同编号", "金额"]].rename(columns={"金额": "未核销金额"})


NEEDS = ("receivables",)  # earlier reports whose data ``build`` takes


def build(ctx: RunContext, receivables: ReceivablesData) -> ReportOutput:
    day = ctx.run_date
    start = statement_period_start(day, ctx.settings.receivables.statement_period_start)
    moved_since = day.replace(day=1) if ctx.settings.statements.include == "active" else start
    holding = {*receivables.open_items["客户名称"], *receivables.credits["客户名称"]}
    balances = period_balances(receivables.ledger, customers_to_state(receivables.ledger, moved_since, holding),
                               start, day)
    lines = statement_lines(receivables.ledger, balances, start, day)
    open_rows, credits = open_item_rows(receivables.open_items), prepayment_rows(receivables.credits)
    opens_of = split_by_customer(open_rows, receivables.open_items["客户名称"])
    credits_of = split_by_customer(credits, receivables.credits["客户名称"])
    no_open, no_credits = open_rows.iloc[:0], credits.iloc[:0]
    specs = [layout_statement(n, lines[n], opens_of.get(n, no_open), credits_of.get(n, no_credits), ctx.settings,
                              start, day) for n in balances.index]
    summary = statement_summary(balances)
    figures = {"statements": len(specs), "closing_balance_fen": int(summary["期末余额"].sum())}
    return ReportOutput(workbooks=specs, figures=figures, data=StatementsData(summary, (start, day)))
