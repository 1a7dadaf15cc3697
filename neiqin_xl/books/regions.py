"""The province of a customer, from the archive's 地址: the 按地区 sheet of the 销售明细账.

Its place in the process: the books, after validation (the 客户 table is the archive). An address is read by
cpca (the published administrative divisions: 省, 市, 区), the only module importing it: "浙江省宁波市江北区…"
and "杭州市文三路 12 号" (a city alone) are both 浙江省, "上海市浦东新区…" is 上海市. A customer not in the
archive, with no address, or whose address names no place cpca knows is 未知.
"""

from __future__ import annotations

import pandas as pd

from ..core.columns import column_texts
from ..core.names import CustomerIndex
from ..core.schema import CUSTOMER

UNKNOWN = "未知"


def provinces_of_addresses(addresses: list[str]) -> dict[str, str]:
    """Each distinct address → its province, 未知 when none is found.

    >>> provinces_of_addresses(["杭州市文三路12号", "上海市浦东新区张江路1号", "", "某某路1号"])
    {'杭州市文三路12号': '浙江省', '上海市浦东新区张江路1号': '上海市', '': '未知', '某某路1号': '未知'}
    """
    distinct = list(dict.fromkeys(addresses))
    known = [a for a in distinct if a.strip()]
    found: dict[str, str] = {}
    if known:
        import cpca  # loads the divisions table (about a second): only when there are addresses to read

        provinces = cpca.transform(known)["省"]
        found = {a: p for a, p in zip(known, provinces) if isinstance(p, str) and p}
    return {a: found.get(a, UNKNOWN) for a in distinct}


def customer_provinces(archive: pd.DataFrame, customers: CustomerIndex) -> dict[str, str]:
    """客户名称 (canonical) → the province of its archive 地址; customers not listed are 未知 to the caller."""
    if archive is None or archive.empty or "地址" not in archive:
        return {}
    names = [customers.canonical(n) or n for n in column_texts(archive, CUSTOMER)]
    addresses = column_texts(archive, "地址")
    province = provinces_of_addresses(addresses)
    return {name: province[address] for name, address in zip(names, addresses) if name}
