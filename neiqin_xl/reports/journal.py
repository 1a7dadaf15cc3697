"""销售明细账: every sale of the month in date order, with its VAT split, and the month's sales by product,
customer, rep and province. The book finance reconciles against at month end.

Its place in the process: after the reconciliation (it uses that report's months, ``USES``), reading the
allocation's items: a sale is a receivable item of the configured basis (``receivables.basis``: a shipment
with its 发货日期, or an invoice), exactly the lines the 财务对账's 销售应收余额 is built on, so the journal's
monthly totals are the reconciliation's sales side (invoice basis: its 销售开票; shipment basis: the change
of its 销售应收余额 plus its 销售回款; tests/reports/test_journal.py holds both).

One line per sale: 日期, 单据号, 合同编号, 客户, 业务员 (the contract's), 产品 (the shipment's, else the
contract's), 产品类别 (产品目录), 数量 (the shipment's; an invoice has none), 单价 (含税金额 ÷ 数量 where both are
given), 含税金额, 税率, 不含税金额, 税额, 来源. Tax: the rate is ``tax.rates`` of the line's 产品类别, else
``tax.default_rate`` (13%); 不含税金额 = 含税金额 ÷ (1 + 税率) rounded half up to the fen, 税额 = 含税金额 −
不含税金额, so every line (and every total) adds up exactly.

Workbooks: 销售明细账_<YYYY-MM>.xlsx every run for the run date's month up to the run date (or ``--month``),
provisional (暂估) before the month's last working day like the commission; a month the reconciliation
reconciled in this run gets its journal too (the 1st of December reconciling November makes November's). With
December final, 销售明细账_<YYYY>.xlsx, the year to date, with a 合计 per month. Sheets: 明细, 按产品, 按客户,
按业务员, 按地区 (the customer's province from the archive's 地址, ``books.regions``; 未知 when absent).
The journal of each month reconciled in this run travels with its 财务对账 (recipients ``reconciliation``:
finance), the year's with December's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import numpy as np
import pandas as pd

from ..books.allocation import row_ids
from ..books.context import RunContext
from ..books.customers import product_categories
from ..books.periods import month_is_final, month_option, month_window, rows_between
from ..books.pricing import split_tax, tax_rate  # the tax rules: one home, books/pricing.py
from ..books.regions import UNKNOWN, customer_provinces
from ..core.columns import column_texts, sources
from ..core.config import Settings
from ..core.model import REP, fmt_yuan, round_fen
from ..core.months import Month
from ..core.names import normalize_name
from ..core.output import Delivery, ReportOutput
from ..core.schema import CONTRACT_NO, CUSTOMER, PRODUCT, PRODUCT_CATEGORY
from ..core.sheets import DATE, INT, MONEY, NUMBER, PCT, Col, Sheet, Table, WorkbookSpec

LINE_COLUMNS = ["日期", "单据号", CONTRACT_NO, "客户", REP, "产品", PRODUCT_CATEGORY, "数量", "单价", "含税金额", "税率",
                "不含税金额", "税额", "来源"]
AMOUNTS = ["含税金额", "不含税金额", "税额"]
UNCATEGORISED = "未分类"


def unit_price(gross: int, quantity: object) -> int | None:
    """含税金额 ÷ 数量 in fen, rounded half up; None without a quantity (or a quantity of 0).

    >>> unit_price(100000, 3.0), unit_price(100000, None), unit_price(100000, 0)
    (33333, None, None)
    """
    if quantity is None or pd.isna(quantity) or float(quantity) == 0:
        return None
    return round_fen(Decimal(int(gross)) / Decimal(str(quantity)))


def journal_lines(ctx: RunContext, start: date, end: date) -> pd.DataFrame:
    """LINE_COLUMNS: the sales (the allocation's items) dated in [start, end], in date order."""
    items = rows_between(ctx.allocation.items, "日期", start, end)
    tables = ctx.tables
    sheet, product_col = ("开票", None) if ctx.settings.receivables.basis == "invoice" else ("发货", PRODUCT)
    source = tables[sheet]
    own = dict(zip(row_ids(source), zip(column_texts(source, product_col) if product_col else [""] * len(source),
                                        source["数量"] if "数量" in source else [None] * len(source))))
    contracts = tables["合同"]
    contract_product = dict(zip(column_texts(contracts, CONTRACT_NO), column_texts(contracts, PRODUCT)))
    categories = product_categories(tables["产品"])
    rows = []
    for item_id, number, day, contract, customer, rep, amount, where in zip(
            items["单据ID"], items["单据号"], items["日期"], items[CONTRACT_NO], items[CUSTOMER], items[REP],
            items["金额"], sources(items)):
        product, quantity = own.get(item_id, ("", None))
        product = product or contract_product.get(contract, "")
        category = categories.get(normalize_name(product), UNCATEGORISED)
        rate = tax_rate(category, ctx.settings)
        net, tax = split_tax(int(amount), rate)
        quantity = None if quantity is None or pd.isna(quantity) else float(quantity)
        rows.append({"日期": day, "单据号": number, CONTRACT_NO: contract, "客户": ctx.customers.canonical(customer),
                     REP: rep, "产品": product, PRODUCT_CATEGORY: category, "数量": quantity,
                     "单价": unit_price(int(amount), quantity), "含税金额": int(amount), "税率": rate,
                     "不含税金额": net, "税额": tax, "来源": where})
    frame = pd.DataFrame(rows, columns=LINE_COLUMNS)
    frame["单价"] = frame["单价"].astype("Int64")
    return frame.sort_values(["日期", "单据号", "来源"], kind="stable").reset_index(drop=True)


def totals_by(lines: pd.DataFrame, keys: list[str], counted: str = "") -> pd.DataFrame:
    """``keys``, 行数 (and, with ``counted``, how many distinct of that column), 含税金额, 不含税金额, 税额; the
    largest 含税金额 first."""
    columns = [*keys, *(["客户数"] if counted else []), "行数", *AMOUNTS]
    if lines.empty:
        return pd.DataFrame(columns=columns)
    grouped = lines.groupby(keys, sort=False, dropna=False)
    frame = grouped[AMOUNTS].sum().astype("int64")
    frame["行数"] = grouped.size()
    if counted:
        frame["客户数"] = grouped[counted].nunique()
    frame = frame.reset_index().sort_values(["含税金额", *keys], ascending=[False, *[True] * len(keys)], kind="stable")
    return frame[columns].reset_index(drop=True)


def by_month(lines: pd.DataFrame) -> pd.DataFrame:
    """月份, 行数, 含税金额, 不含税金额, 税额 in month order."""
    months = pd.DataFrame({"月份": [str(Month.of(d.date())) for d in lines["日期"]]}, index=lines.index)
    frame = totals_by(lines.join(months), ["月份"])
    return frame.sort_values("月份", kind="stable").reset_index(drop=True)


@dataclass(frozen=True)
class Journal:
    """One edition of the journal: a month (``code`` YYYY-MM) or a year to date (``code`` YYYY)."""

    code: str
    start: date
    end: date
    provisional: bool
    lines: pd.DataFrame  # LINE_COLUMNS
    provinces: dict[str, str]

    @property
    def filename(self) -> str:
        return f"销售明细账_{self.code}.xlsx"

    @property
    def total(self) -> int:
        return int(self.lines["含税金额"].sum())


@dataclass(frozen=True)
class JournalData:
    """The report's ``data`` (no later report reads it): the editions made this run."""

    editions: tuple[Journal, ...]


def compute(ctx: RunContext, code: str, start: date, end: date, provisional: bool,
            provinces: dict[str, str]) -> Journal:
    return Journal(code, start, end, provisional, journal_lines(ctx, start, end), provinces)


# ---------------------------------------------------------------- layout

LINE_COLS = [Col("日期", DATE), Col("单据号"), Col(CONTRACT_NO), Col("客户"), Col(REP), Col("产品"), Col(PRODUCT_CATEGORY),
             Col("数量", NUMBER, total=False), Col("单价", MONEY, total=False), Col("含税金额", MONEY), Col("税率", PCT),
             Col("不含税金额", MONEY), Col("税额", MONEY), Col("来源")]
AMOUNT_COLS = [Col("行数", INT), *(Col(c, MONEY) for c in AMOUNTS)]


def layout(journal: Journal, settings: Settings) -> WorkbookSpec:
    """销售明细账_<code>.xlsx: 明细 (a table and 合计 per month when it spans months, then 按月汇总), 按产品, 按客户,
    按业务员, 按地区."""
    state = "（暂估：月末最后一个工作日前的数字）" if journal.provisional else ""
    title = f"销售明细账 {journal.code}{state}"
    basis = "发货" if settings.receivables.basis == "shipment" else "开票"
    subtitle = [f"期间 {journal.start.isoformat()} 至 {journal.end.isoformat()}", settings.company.name,
                f"按{basis}确认 (与应收账款、财务对账一致); 金额含税, 不含税金额 = 含税金额 ÷ (1 + 税率), 逐行四舍五入到分"]
    lines = journal.lines
    months = sorted({str(Month.of(d.date())) for d in lines["日期"]})
    if len(months) > 1:
        month_of = np.array([str(Month.of(d.date())) for d in lines["日期"]], dtype=object)
        detail = [Table(LINE_COLS, lines[month_of == m], heading=m, totals=True, totals_label=f"{m} 合计",
                        autofilter=False) for m in months]
        detail.append(Table([Col("月份"), *AMOUNT_COLS], by_month(lines), heading="按月汇总", totals=True,
                            totals_label="累计合计", autofilter=False))
    else:
        detail = [Table(LINE_COLS, lines, totals=True)]
    customers = totals_by(lines, ["客户"]) if len(lines) else pd.DataFrame(columns=["客户", "行数", *AMOUNTS])
    customers.insert(1, "地区", [journal.provinces.get(c, UNKNOWN) for c in customers["客户"]])
    regions = totals_by(lines.assign(地区=[journal.provinces.get(c, UNKNOWN) for c in lines["客户"]]), ["地区"],
                        counted="客户")
    sheets = [
        Sheet("明细", detail, title=title, subtitle=subtitle),
        Sheet("按产品", [Table([Col("产品"), Col(PRODUCT_CATEGORY), Col("数量", NUMBER, total=False), *AMOUNT_COLS],
                             _with_quantity(lines), totals=True)], title=f"{title} 按产品", subtitle=subtitle[:2],
              landscape=False),
        Sheet("按客户", [Table([Col("客户"), Col("地区"), *AMOUNT_COLS], customers, totals=True)],
              title=f"{title} 按客户", subtitle=subtitle[:2], landscape=False),
        Sheet("按业务员", [Table([Col(REP), *AMOUNT_COLS], totals_by(lines, [REP]), totals=True)],
              title=f"{title} 按业务员", subtitle=subtitle[:2], landscape=False),
        Sheet("按地区", [Table([Col("地区"), Col("客户数", INT), *AMOUNT_COLS], regions, totals=True)],
              title=f"{title} 按地区", subtitle=[*subtitle[:2], "地区: 客户档案地址所在的省; 不在档案或无地址的为 未知"],
              landscape=False),
    ]
    return WorkbookSpec(journal.filename, sheets)


def _with_quantity(lines: pd.DataFrame) -> pd.DataFrame:
    """totals_by 产品 and 产品类别 with the 数量 shipped (blank where no line gave one)."""
    frame = totals_by(lines, ["产品", PRODUCT_CATEGORY])
    if lines.empty:
        return frame.assign(数量=pd.Series(dtype="float64"))
    quantity = lines.groupby(["产品", PRODUCT_CATEGORY], sort=False)["数量"].sum(min_count=1)
    return frame.assign(数量=[quantity.get((p, c)) for p, c in zip(frame["产品"], frame[PRODUCT_CATEGORY])])


# ---------------------------------------------------------------- entry point

NEEDS: tuple[str, ...] = ()
USES = ("reconciliation",)  # the months reconciled this run: their journal goes to finance with them


def editions(ctx: RunContext, month: Month, reconciled: list[str]) -> list[tuple[str, date, date, bool]]:
    """(code, start, end, provisional) of each journal this run makes (see the module docstring)."""
    window = month_window(ctx.run_date, month)
    final = month_is_final(window.month, ctx.run_date, ctx.workdays)
    wanted = [(str(window.month), window.start, window.end, not final)]
    for other in reconciled:
        other = Month(other)
        if other != window.month:
            w = month_window(ctx.run_date, other)
            wanted.append((str(other), w.start, w.end, not month_is_final(other, ctx.run_date, ctx.workdays)))
    december = next((e for e in wanted if e[0].endswith("-12") and not e[3]), None)
    if december:
        wanted.append((december[0][:4], date(int(december[0][:4]), 1, 1), december[2], False))
    return wanted


def build(ctx: RunContext, reconciliation=None) -> ReportOutput:
    month, problems = month_option(ctx.options.month, "销售明细账")
    if problems:
        return ReportOutput(problems=problems)
    reconciled = sorted(reconciliation.months) if reconciliation is not None else []
    provinces = customer_provinces(ctx.tables["客户"], ctx.customers)
    made = [compute(ctx, code, start, end, provisional, provinces)
            for code, start, end, provisional in editions(ctx, month, reconciled)]
    specs = {j.code: layout(j, ctx.settings) for j in made}
    mailed = [j for j in made if j.code in reconciled or (len(j.code) == 4 and f"{j.code}-12" in reconciled)]
    deliveries = [Delivery(report="reconciliation", title=f"销售明细账 {j.code}", attachments=[specs[j.code]],
                           key_figure=f"销售 ¥{fmt_yuan(j.total)}",
                           summary_text=f"销售明细账 {j.code}{'（暂估）' if j.provisional else ''}: {len(j.lines)} 笔, "
                                        f"含税 ¥{fmt_yuan(j.total)}, 不含税 ¥{fmt_yuan(int(j.lines['不含税金额'].sum()))}, "
                                        f"税额 ¥{fmt_yuan(int(j.lines['税额'].sum()))}。")
                  for j in mailed]
    figures = {j.code: {"provisional": j.provisional, "lines": int(len(j.lines)), "gross_fen": j.total,
                        "net_fen": int(j.lines["不含税金额"].sum()), "tax_fen": int(j.lines["税额"].sum())}
               for j in made}
    return ReportOutput(workbooks=list(specs.values()), figures=figures, data=JournalData(tuple(made)),
                        deliveries=deliveries)
