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

from ..core.columns import sources
from ..core.config import Settings
from ..core.model import REP, fraction, round_half_up, text as _text
from ..core.names import normalize_name
from .customers import product_categories
from .pricing import NEEDS_APPROVAL, floor_prices, line_amounts, line_rate, price_check

CONVERTED, EXPIRED, OPEN = "已转合同", "已过期", "有效"
LINE_COLUMNS = ["报价单号", "报价日期", "业务员", "客户名称", "产品名称", "规格", "数量", "单价", "折扣", "成交单价", "最低价",
                "含税金额", "税率", "不含税金额", "税额", "价格审批", "备注", "来源"]
REGISTER_COLUMNS = ["报价单号", "报价日期", "业务员", "客户名称", "行数", "含税合计", "不含税合计", "税额", "有效期至", "状态",
                    "价格审批", "待审批行数", "合同编号", "合同金额", "转化天数"]
CONVERSION_COLUMNS = ["月份", "业务员", "报价单数", "报价金额", "已转合同", "转化率", "合同金额", "平均转化天数"]

def quote_lines(quotes: pd.DataFrame, products: pd.DataFrame, settings: Settings) -> pd.DataFrame:
    """One row per quotation line with its amounts and price check (``books.pricing``)."""
    floors, kinds = floor_prices(products), product_categories(products)
    rows = []
    for rec, where in zip(quotes.to_dict("records"), sources(quotes)):
        product = normalize_name(_text(rec["产品名称"]))
        rate = line_rate(rec.get("税率"), kinds.get(product, ""), settings)
        amounts = line_amounts(int(rec["单价"]), float(rec["数量"]), rec.get("折扣"), rate)
        floor = floors.get(product)
        rows.append({"报价单号": _text(rec["报价单号"]), "报价日期": rec["报价日期"], "业务员": _text(rec[REP]),
                     "客户名称": _text(rec["客户名称"]), "产品名称": _text(rec["产品名称"]), "规格": _text(rec.get("规格")),
                     "数量": float(rec["数量"]), "单价": int(rec["单价"]),
                     "折扣": None if pd.isna(rec.get("折扣")) else float(rec["折扣"]), **amounts,
                     "最低价": floor, "税率": float(rate),
                     "价格审批": price_check(amounts["成交单价"], floor, _text(rec.get("备注")), settings),
                     "备注": _text(rec.get("备注")), "来源": where,
                     "有效期至": rec.get("有效期至"), "付款方式": _text(rec.get("付款方式")),
                     "交货期": _text(rec.get("交货期"))})
    columns = LINE_COLUMNS + ["有效期至", "付款方式", "交货期"]
    frame = pd.DataFrame(rows, columns=columns)
    return frame.astype({"最低价": "Int64"})


def register(lines: pd.DataFrame, contracts: pd.DataFrame, run_date: date) -> pd.DataFrame:
    """One row per quotation (see the module for 状态)."""
    signed = {}
    if len(contracts) and "报价单号" in contracts:
        for rec in contracts.sort_values("签订日期", kind="stable").to_dict("records"):
            number = _text(rec.get("报价单号"))
            if number and number not in signed:
                signed[number] = rec
    rows = []
    for number, part in lines.groupby("报价单号", sort=False):
        head = part.iloc[0]
        contract = signed.get(number)
        valid = head["有效期至"]
        if contract is not None:
            state = CONVERTED
        elif pd.notna(valid) and pd.Timestamp(valid) < pd.Timestamp(run_date):
            state = EXPIRED
        else:
            state = OPEN
        checks = part["价格审批"]
        waiting = int((checks == NEEDS_APPROVAL).sum())
        check = NEEDS_APPROVAL if waiting else ("已审批" if (checks != "").any() else "")
        rows.append({"报价单号": number, "报价日期": head["报价日期"], "业务员": head["业务员"], "客户名称": head["客户名称"],
                     "行数": len(part), "含税合计": int(part["含税金额"].sum()), "不含税合计": int(part["不含税金额"].sum()),
                     "税额": int(part["税额"].sum()), "有效期至": valid, "状态": state, "价格审批": check,
                     "待审批行数": waiting,
                     "合同编号": _text(contract["合同编号"]) if contract is not None else "",
                     "合同金额": int(contract["合同金额"]) if contract is not None else None,
                     "转化天数": (pd.Timestamp(contract["签订日期"]) - pd.Timestamp(head["报价日期"])).days
                     if contract is not None else None})
    frame = pd.DataFrame(rows, columns=REGISTER_COLUMNS)
    return frame.astype({"合同金额": "Int64", "转化天数": "Int64", "行数": "int64", "待审批行数": "int64"})


def conversion(register_rows: pd.DataFrame) -> pd.DataFrame:
    """报价转化 per month (of 报价日期) and rep: quotations, their total, converted, rate, contract money, the
    average days from quotation to contract (one decimal)."""
    if register_rows.empty:
        return pd.DataFrame(columns=CONVERSION_COLUMNS)
    frame = register_rows.assign(月份=pd.to_datetime(register_rows["报价日期"]).dt.strftime("%Y-%m"),
                                 converted=register_rows["状态"] == CONVERTED)
    rows = []
    for (month, rep), part in frame.groupby(["月份", "业务员"], sort=True):
        won = part[part["converted"]]
        rows.append({"月份": month, "业务员": rep, "报价单数": len(part), "报价金额": int(part["含税合计"].sum()),
                     "已转合同": len(won), "转化率": fraction(len(won), len(part)),
                     "合同金额": int(won["合同金额"].sum()) if len(won) else 0,
                     "平均转化天数": average_days(list(won["转化天数"]))})
    return pd.DataFrame(rows, columns=CONVERSION_COLUMNS)


def average_days(days: list) -> float | None:
    """The mean of whole days to one decimal, half up (None for no days).

    >>> average_days([4, 5, 4, 4]), average_days([1, 2]), average_days([])
    (4.3, 1.5, None)
    """
    return float(round_half_up(Decimal(int(sum(days))) / len(days), "0.1")) if len(days) else None


PERIOD_COLUMNS = ["业务员", "报价单数", "已转合同", "报价转化率", "平均转化天数"]


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
    firsts = quotes.drop_duplicates("报价单号")
    firsts = firsts[(firsts["报价日期"] >= pd.Timestamp(start)) & (firsts["报价日期"] <= pd.Timestamp(end))]
    signed: dict[str, pd.Timestamp] = {}
    if len(contracts) and "报价单号" in contracts:
        for number, day in zip(contracts["报价单号"], contracts["签订日期"]):
            number = _text(number)
            if number and pd.notna(day) and day <= pd.Timestamp(end) and (number not in signed or day < signed[number]):
                signed[number] = day
    rows = []
    for rep, part in firsts.groupby(REP, sort=True):
        days = [(signed[n] - d).days for n, d in zip(part["报价单号"], part["报价日期"]) if n in signed]
        rows.append({"业务员": rep, "报价单数": len(part), "已转合同": len(days), "报价转化率": fraction(len(days), len(part)),
                     "平均转化天数": average_days(days)})
    return pd.DataFrame(rows, columns=PERIOD_COLUMNS)
