"""The price policy of the 产品目录: each product's 最低价, the tax rate of a line, a line's amounts.

Its place in the process: shared by the 报价单 (reports/quotes.py) and the 合同评审 (reports/review.py): one
rule for what "below 最低价" means and how a quotation line's 含税 / 不含税 amounts are worked out.

- **最低价** of a product: its 最低价 (含税, fen) when filled; else 指导价 × 最低折扣 rounded half up to the fen
  when both are filled; else none (no floor, nothing is flagged).
- **A line's 成交单价** is 单价 × 折扣 (折扣 blank = 100%), rounded half up to the fen; **含税金额** is 单价 × 折扣
  × 数量 rounded half up to the fen once (not the rounded 成交单价 × 数量); **不含税金额** = 含税 ÷ (1 + 税率) and
  **税额** = 含税 − 不含税 (``split_tax``; the 销售明细账 uses the same, with ``tax_rate``).
- **税率** of a line: its own 税率 when filled, else ``tax.rates`` of the product's 产品类别, else
  ``tax.default_rate``.
- A line below its floor is **已审批** when its 备注 holds one of ``expenses.approval_marks`` (the one list of
  the company's approval words), else **需审批** (for the sales manager).
"""

from __future__ import annotations

from decimal import Decimal

import pandas as pd

from ..core.config import Settings
from ..core.model import round_fen, text as _text
from ..core.names import normalize_name
from ..core.schema import MIN_PRICE, PRODUCT

APPROVED, NEEDS_APPROVAL = "已审批", "需审批"


def _fraction(value: object) -> Decimal | None:
    """A PERCENT cell (a float fraction) as an exact Decimal (0.13 → Decimal('0.13')); None when blank."""
    if value is None or pd.isna(value):
        return None
    return Decimal(repr(float(value)))


def split_tax(gross: int, rate: Decimal) -> tuple[int, int]:
    """(不含税金额, 税额) of a tax-included amount in fen: net = gross ÷ (1 + rate) rounded half up to the fen,
    tax = gross − net.

    >>> split_tax(100000, Decimal("0.13")), split_tax(100000, Decimal("0.09")), split_tax(-11300, Decimal("0.13"))
    ((88496, 11504), (91743, 8257), (-10000, -1300))
    """
    net = round_fen(Decimal(int(gross)) / (1 + rate))
    return net, int(gross) - net


def tax_rate(category: str, settings: Settings) -> Decimal:
    """The VAT rate of a 产品类别: ``tax.rates``, else ``tax.default_rate``."""
    return settings.tax.rates.get(category, settings.tax.default_rate)


def floor_prices(products: pd.DataFrame) -> dict[str, int]:
    """产品名称 (normalised) → 最低价 in fen, for the products that have one (see the module).

    >>> p = pd.DataFrame({"产品名称": ["A", "B", "C"], "最低价": [90000, None, None],
    ...                   "指导价": [100000, 100000, None], "最低折扣": [None, 0.85, 0.9]})
    >>> floor_prices(p)
    {'A': 90000, 'B': 85000}
    """
    floors: dict[str, int] = {}
    if products.empty:
        return floors
    for rec in products.to_dict("records"):
        name = normalize_name(_text(rec.get(PRODUCT)))
        lowest, guide, share = rec.get(MIN_PRICE), rec.get("指导价"), _fraction(rec.get("最低折扣"))
        if lowest is not None and not pd.isna(lowest) and int(lowest) > 0:
            floors[name] = int(lowest)
        elif guide is not None and not pd.isna(guide) and int(guide) > 0 and share is not None:
            floors[name] = round_fen(Decimal(int(guide)) * share)
    return floors


def line_rate(own: object, category: str, settings: Settings) -> Decimal:
    """The line's 税率: its own, else its 产品类别's (``tax.rates``), else ``tax.default_rate``."""
    rate = _fraction(own)
    return rate if rate is not None else tax_rate(category, settings)


def line_amounts(unit_fen: int, quantity: float, discount: object, rate: Decimal) -> dict[str, int]:
    """成交单价, 含税金额, 不含税金额, 税额 (fen) of a line (see the module).

    >>> line_amounts(11300, 10, None, Decimal("0.13"))
    {'成交单价': 11300, '含税金额': 113000, '不含税金额': 100000, '税额': 13000}
    >>> line_amounts(99999, 3, 0.95, Decimal("0.09"))  # 999.99 × 0.95 × 3 = 2,849.97150 → 2,849.97
    {'成交单价': 94999, '含税金额': 284997, '不含税金额': 261465, '税额': 23532}
    """
    share = _fraction(discount)
    share = Decimal(1) if share is None else share
    qty = Decimal(repr(float(quantity)))
    gross = round_fen(Decimal(int(unit_fen)) * share * qty)
    net, _ = split_tax(gross, rate)
    return {"成交单价": round_fen(Decimal(int(unit_fen)) * share), "含税金额": gross, "不含税金额": net, "税额": gross - net}


def price_check(price_fen: int, floor: int | None, remark: str, settings: Settings) -> str:
    """"" (at or above the floor, or no floor), 已审批 or 需审批.

    >>> from neiqin_xl.core.config import Settings
    >>> price_check(80000, 85000, "", Settings()), price_check(80000, 85000, "经理批准 12/3", Settings())
    ('需审批', '已审批')
    >>> price_check(85000, 85000, "", Settings()), price_check(1, None, "", Settings())
    ('', '')
    """
    if floor is None or price_fen >= floor:
        return ""
    return APPROVED if any(mark in remark for mark in settings.expenses.approval_marks) else NEEDS_APPROVAL
