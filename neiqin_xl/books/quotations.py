"""The quotations of the reps' 报价 sheets as books: each line's amounts and price check, one row per quotation
with its 状态, and the 报价转化 per rep and month.

Its place in the process: the books, after validation; the 报价单 and 报价登记表 (reports/quotes.py), the 合同评审
(through the quotes report's data), the 月报 and the 工作总结 read these, so each rule has one home.

- a line: ``books.pricing`` (成交单价, 含税/不含税/税额 at its rate, 最低价 and 价格审批);
- 状态 of a quotation: 已转合同 when a contract names its 报价单号 (the earliest signed one; 转化天数 = 签订日期 −
  报价日期); else 已过期 when 有效期至 is before the run date; else 有效. Its header fields (报价日期, 客户名称,
  有效期至, 付款方式, 交货期) come from its first line;
- 报价转化: per month of 报价日期 and rep, the quotations, their 含税 total, those converted (as of the run
  date), 转化率, the contracts' amount and the average days to convert.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pandas as pd

from ..core.columns import column_texts, sources
from ..core.config import Settings
from ..core.model import REP, fraction, round_half_up, text as _text
from ..core.names import normalize_name
from ..core.schema import (CONTRACT_AMOUNT, CONTRACT_NO, CUSTOMER, MIN_PRICE, PAYMENT_TERM, PRODUCT, QUOTE_DATE,
                           QUOTE_NO, SIGNING_DATE, VALID_UNTIL)
from .customers import product_categories
from .pricing import NEEDS_APPROVAL, floor_prices, line_amounts, line_rate, price_check

CONVERTED, EXPIRED, OPEN = "已转合同", "已过期", "有效"
LINE_COLUMNS = [QUOTE_NO, QUOTE_DATE, REP, CUSTOMER, PRODUCT, "规格", "数量", "单价", "折扣", "成交单价", MIN_PRICE,
                "含税金额", "税率", "不含税金额", "税额", "价格审批", "备注", "来源"]
REGISTER_COLUMNS = [QUOTE_NO, QUOTE_DATE, REP, CUSTOMER, "行数", "含税合计", "不含税合计", "税额", VALID_UNTIL, "状态",
                    "价格审批", "待审批行数", CONTRACT_NO, CONTRACT_AMOUNT, "转化天数"]
CONVERSION_COLUMNS = ["月份", REP, "报价单数", "报价金额", "已转合同", "转化率", CONTRACT_AMOUNT, "平均转化天数"]

def quote_lines(quotes: pd.DataFrame, products: pd.DataFrame, settings: Settings) -> pd.DataFrame:
    """One row per quotation line with its amounts and price check (``books.pricing``)."""
    floors, kinds = floor_prices(products), product_categories(products)
    rows = []
    for rec, where in zip(quotes.to_dict("records"), sources(quotes)):
        product = normalize_name(_text(rec[PRODUCT]))
        rate = line_rate(rec.get("税率"), kinds.get(product, ""), settings)
        amounts = line_amounts(int(rec["单价"]), float(rec["数量"]), rec.get("折扣"), rate)
        floor = floors.get(product)
        rows.append({QUOTE_NO: _text(rec[QUOTE_NO]), QUOTE_DATE: rec[QUOTE_DATE], REP: _text(rec[REP]),
                     CUSTOMER: _text(rec[CUSTOMER]), PRODUCT: _text(rec[PRODUCT]), "规格": _text(rec.get("规格")),
                     "数量": float(rec["数量"]), "单价": int(rec["单价"]),
                     "折扣": None if pd.isna(rec.get("折扣")) else float(rec["折扣"]), **amounts,
                     MIN_PRICE: floor, "税率": float(rate),
                     "价格审批": price_check(amounts["成交单价"], floor, _text(rec.get("备注")), settings),
                     "备注": _text(rec.get("备注")), "来源": where,
                     VALID_UNTIL: rec.get(VALID_UNTIL), PAYMENT_TERM: _text(rec.get(PAYMENT_TERM)),
                     "交货期": _text(rec.get("交货期"))})
    columns = LINE_COLUMNS + [VALID_UNTIL, PAYMENT_TERM, "交货期"]
    frame = pd.DataFrame(rows, columns=columns)
    return frame.astype({MIN_PRICE: "Int64"})


def register(lines: pd.DataFrame, contracts: pd.DataFrame, run_date: date) -> pd.DataFrame:
    """One row per quotation (see the module for 状态), in the order the quotations first appear; its header
    fields from its first line, its totals over its lines (one grouping of all the lines)."""
    signed = {}  # 报价单号 -> the earliest signed contract naming it (the columns the register shows)
    if len(contracts) and QUOTE_NO in contracts:
        naming = contracts.loc[[bool(n) for n in column_texts(contracts, QUOTE_NO)],
                               [QUOTE_NO, CONTRACT_NO, CONTRACT_AMOUNT, SIGNING_DATE]]
        for rec in naming.sort_values(SIGNING_DATE, kind="stable").to_dict("records"):
            signed.setdefault(_text(rec[QUOTE_NO]), rec)
    checks = lines["价格审批"]
    totals = lines.assign(_waiting=checks == NEEDS_APPROVAL, _checked=checks != "").groupby(
        QUOTE_NO, sort=False).agg(行数=(QUOTE_NO, "size"), 含税合计=("含税金额", "sum"), 不含税合计=("不含税金额", "sum"),
                                  税额=("税额", "sum"), waiting=("_waiting", "sum"), checked=("_checked", "any"))
    heads = lines.drop_duplicates(QUOTE_NO)[[QUOTE_NO, QUOTE_DATE, REP, CUSTOMER, VALID_UNTIL]].to_dict("records")
    rows = []
    for head, sums in zip(heads, totals.to_dict("records")):
        number = head[QUOTE_NO]
        contract = signed.get(number)
        valid = head[VALID_UNTIL]
        if contract is not None:
            state = CONVERTED
        elif pd.notna(valid) and pd.Timestamp(valid) < pd.Timestamp(run_date):
            state = EXPIRED
        else:
            state = OPEN
        waiting = int(sums["waiting"])
        check = NEEDS_APPROVAL if waiting else ("已审批" if sums["checked"] else "")
        rows.append({QUOTE_NO: number, QUOTE_DATE: head[QUOTE_DATE], REP: head[REP], CUSTOMER: head[CUSTOMER],
                     "行数": int(sums["行数"]), "含税合计": int(sums["含税合计"]), "不含税合计": int(sums["不含税合计"]),
                     "税额": int(sums["税额"]), VALID_UNTIL: valid, "状态": state, "价格审批": check,
                     "待审批行数": waiting,
                     CONTRACT_NO: _text(contract[CONTRACT_NO]) if contract is not None else "",
                     CONTRACT_AMOUNT: int(contract[CONTRACT_AMOUNT]) if contract is not None else None,
                     "转化天数": (pd.Timestamp(contract[SIGNING_DATE]) - pd.Timestamp(head[QUOTE_DATE])).days
                     if contract is not None else None})
    frame = pd.DataFrame(rows, columns=REGISTER_COLUMNS)
    return frame.astype({CONTRACT_AMOUNT: "Int64", "转化天数": "Int64", "行数": "int64", "待审批行数": "int64"})


def conversion(register_rows: pd.DataFrame) -> pd.DataFrame:
    """报价转化 per month (of 报价日期) and rep: quotations, their total, converted, rate, contract money, the
    average days from quotation to contract (one decimal)."""
    if register_rows.empty:
        return pd.DataFrame(columns=CONVERSION_COLUMNS)
    frame = register_rows.assign(月份=pd.to_datetime(register_rows[QUOTE_DATE]).dt.strftime("%Y-%m"),
                                 converted=register_rows["状态"] == CONVERTED)
    rows = []
    for (month, rep), part in frame.groupby(["月份", REP], sort=True):
        won = part[part["converted"]]
        rows.append({"月份": month, REP: rep, "报价单数": len(part), "报价金额": int(part["含税合计"].sum()),
                     "已转合同": len(won), "转化率": fraction(len(won), len(part)),
                     CONTRACT_AMOUNT: int(won[CONTRACT_AMOUNT].sum()) if len(won) else 0,
                     "平均转化天数": average_days(list(won["转化天数"]))})
    return pd.DataFrame(rows, columns=CONVERSION_COLUMNS)


def average_days(days: list) -> float | None:
    """The mean of whole days to one decimal, half up (None for no days).

    >>> average_days([4, 5, 4, 4]), average_days([1, 2]), average_days([])
    (4.3, 1.5, None)
    """
    return float(round_half_up(Decimal(int(sum(days))) / len(days), "0.1")) if len(days) else None


PERIOD_COLUMNS = [REP, "报价单数", "已转合同", "报价转化率", "平均转化天数"]


def period_conversion(quotes: pd.DataFrame, contracts: pd.DataFrame, start: date, end: date) -> pd.DataFrame:
    """报价转化 of a period, per rep: the quotations dated in [start, end] (one per 报价单号, its first line's date and
    rep), those a contract signed by ``end`` names, the rate and the average days to convert (one decimal).

    >>> q = pd.DataFrame({"报价单号": ["B1", "B1", "B2", "B3"], "业务员": ["张伟"] * 4,
    ...                   "报价日期": pd.to_datetime(["2026-11-02", "2026-11-02", "2026-11-10", "2026-10-30"])})
    >>> c = pd.DataFrame({"报价单号": ["B1", "B2"], "签订日期": pd.to_datetime(["2026-11-06", "2026-12-02"])})
    >>> period_conversion(q, c, date(2026, 11, 1), date(2026, 11, 30)).to_dict("records")
    [{'业务员': '张伟', '报价单数': 2, '已转合同': 1, '报价转化率': Decimal('0.5000'), '平均转化天数': 4.0}]
    """
    if quotes.empty:
        return pd.DataFrame(columns=PERIOD_COLUMNS)
    firsts = quotes.drop_duplicates(QUOTE_NO)
    firsts = firsts[(firsts[QUOTE_DATE] >= pd.Timestamp(start)) & (firsts[QUOTE_DATE] <= pd.Timestamp(end))]
    signed: dict[str, pd.Timestamp] = {}
    if len(contracts) and QUOTE_NO in contracts:
        for number, day in zip(contracts[QUOTE_NO], contracts[SIGNING_DATE]):
            number = _text(number)
            if number and pd.notna(day) and day <= pd.Timestamp(end) and (number not in signed or day < signed[number]):
                signed[number] = day
    rows = []
    for rep, part in firsts.groupby(REP, sort=True):
        days = [(signed[n] - d).days for n, d in zip(part[QUOTE_NO], part[QUOTE_DATE]) if n in signed]
        rows.append({REP: rep, "报价单数": len(part), "已转合同": len(days), "报价转化率": fraction(len(days), len(part)),
                     "平均转化天数": average_days(days)})
    return pd.DataFrame(rows, columns=PERIOD_COLUMNS)
