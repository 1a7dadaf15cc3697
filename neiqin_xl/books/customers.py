"""The customer archive's rules that several reports read: a customer's archive row and its credit limit.

Its place in the process: the books, after validation (the 客户 table carries the archive's rows, money in fen).
The receivables aging shows 信用额度 and 超信用额度 with them; the shipping check tests requests against them.
"""

from __future__ import annotations

import pandas as pd

from ..core.columns import column_texts
from ..core.model import text
from ..core.names import normalize_name
from ..core.schema import ACCOUNT_REP, CREDIT_LIMIT, CUSTOMER, PRODUCT, PRODUCT_CATEGORY


def archive_lookup(customers: pd.DataFrame) -> dict[str, dict]:
    """客户名称 -> its archive row (信用额度, 账期天数, 负责业务员, 联系人 …); a name listed twice: its last row."""
    if customers is None or customers.empty:
        return {}
    return {text(r[CUSTOMER]): r for r in customers.to_dict("records")}


def account_reps(customers: pd.DataFrame) -> dict[str, str]:
    """客户名称 -> its 负责业务员 ("" when blank): ``archive_lookup``'s rows' one column, read without making the
    rows (a name listed twice: its last row).

    >>> account_reps(pd.DataFrame({"客户名称": ["甲", "乙", "甲"], "负责业务员": ["张伟", None, "李娜"]}))
    {'甲': '李娜', '乙': ''}
    """
    if customers is None or customers.empty:
        return {}
    return dict(zip(column_texts(customers, CUSTOMER), column_texts(customers, ACCOUNT_REP)))


def credit_limit(archive_row: dict | None) -> int | None:
    """The customer's 信用额度 in fen; None when not set (no row, blank or 0 in the archive).

    >>> credit_limit({"信用额度": 2000000}), credit_limit({"信用额度": 0}), credit_limit({"信用额度": ""}), credit_limit(None)
    (2000000, None, None, None)
    """
    if not archive_row:
        return None
    value = archive_row.get(CREDIT_LIMIT)
    if value is None or text(value) == "" or int(value) <= 0:
        return None
    return int(value)


def product_categories(products: pd.DataFrame) -> dict[str, str]:
    """产品名称 (normalised) → 产品类别, from the 产品目录; products without a category are left out.

    >>> product_categories(pd.DataFrame({"产品名称": ["变频器 A", "大米"], "产品类别": ["电气", None]}))
    {'变频器 A': '电气'}
    """
    if products is None or products.empty or PRODUCT_CATEGORY not in products:
        return {}
    return {normalize_name(n): text(c) for n, c in zip(products[PRODUCT], products[PRODUCT_CATEGORY])
            if normalize_name(n) and text(c)}
