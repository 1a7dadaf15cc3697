"""Who is credited with what in a month: the lines the commission is paid on and the expenses are set against.

Its place in the process: after the allocation of collections (allocation.py); the commission (提成, by its
basis) and the expense audit (费用率, the collections) both take the month's lines from here, so a rep's
collections are counted the same way in both.

- ``collection_lines``: the collections dated in the window, split by the items they paid (the allocation's
  applications up to the window's end). Each part is credited to the rep of the paid item's contract; the
  part still unapplied at the window's end (a prepayment held) to the rep of the contract the collection
  names, else to the rep whose workbook holds it.
- ``is_bill``: a collection paid by 承兑汇票 (its 回款方式 names 承兑: 银行承兑汇票, 商业承兑…); its lines carry
  承兑汇票 = True (the commission multiplies their rate by ``commission.acceptance_bill_factor``).
- ``document_lines``: the invoices / shipments / contracts dated in the window, one line each, credited to
  the contract's rep (else the row's own 业务员).
"""

from __future__ import annotations

import pandas as pd

from .periods import MonthWindow, rows_between
from ..core.columns import column_texts, sources
from ..core.model import REP, Tables, text as _text
from ..core.schema import (ACCEPTANCE_BILL, COLLECTION_AMOUNT, COLLECTION_DATE, COLLECTION_METHOD, CONTRACT_AMOUNT,
                           CONTRACT_NO, CUSTOMER, INVOICE_AMOUNT, INVOICE_DATE, INVOICE_NO, PRODUCT, SHIPMENT_AMOUNT,
                           SHIPMENT_DATE, SHIPMENT_NO, SIGNING_DATE)

CREDITED_COLUMNS = [REP, "日期", CUSTOMER, CONTRACT_NO, "所付单据日期", "账龄天数", "说明", "回款ID", "来源"]
PREPAYMENT_NOTE = "预收款（未核销）"

DOCUMENTS = {  # basis -> (sheet, date column, amount column, number column, word for 说明)
    "invoiced": ("开票", INVOICE_DATE, INVOICE_AMOUNT, INVOICE_NO, "发票"),
    "shipped": ("发货", SHIPMENT_DATE, SHIPMENT_AMOUNT, SHIPMENT_NO, "发货单"),
    "contracted": ("合同", SIGNING_DATE, CONTRACT_AMOUNT, CONTRACT_NO, "合同"),
}


def is_bill(collections: pd.DataFrame) -> pd.Series:
    """The collections paid by an acceptance bill: 回款方式 names 承兑 (承兑汇票, 银行承兑, 商业承兑汇票).

    >>> is_bill(pd.DataFrame({"回款方式": ["银行承兑汇票", "电汇", None, "承兑"]})).tolist()
    [True, False, False, True]
    """
    return pd.Series([ACCEPTANCE_BILL in how for how in column_texts(collections, COLLECTION_METHOD)], index=collections.index,
                     dtype=bool)


def collection_lines(allocation, window: MonthWindow) -> pd.DataFrame:
    """The window's collections split by the items they paid, plus the part unapplied at the window's end;
    each line credited to its rep (see the module docstring). Columns: CREDITED_COLUMNS + 回款金额 (fen)."""
    colls = rows_between(allocation.collections, COLLECTION_DATE, window.start, window.end)
    colls = colls.sort_values(COLLECTION_DATE, kind="stable")
    apps = allocation.applications
    apps = apps[apps["回款ID"].isin(colls["回款ID"]) & (apps["核销日期"] <= pd.Timestamp(window.end))]
    by_collection: dict[str, list[dict]] = {}
    for app in apps.to_dict("records"):
        by_collection.setdefault(app["回款ID"], []).append(app)
    rows = []
    for coll, source, bill in zip(colls.to_dict("records"), sources(colls), is_bill(colls).tolist()):
        applied = 0
        for app in by_collection.get(coll["回款ID"], []):
            rows.append({REP: _text(app[REP]) or _text(app["回款业务员"]), "日期": coll[COLLECTION_DATE],
                         CUSTOMER: _text(app[CUSTOMER]) or _text(coll.get(CUSTOMER)),
                         CONTRACT_NO: _text(app[CONTRACT_NO]), COLLECTION_AMOUNT: int(app["金额"]),
                         "所付单据日期": app["单据日期"], "账龄天数": int(app["账龄天数"]), "说明": "",
                         "回款ID": coll["回款ID"], "来源": source, "承兑汇票": bill})
            applied += int(app["金额"])
        rest = int(coll[COLLECTION_AMOUNT]) - applied
        if rest:
            rows.append({REP: _text(coll.get("合同业务员")) or _text(coll.get(REP)), "日期": coll[COLLECTION_DATE],
                         CUSTOMER: _text(coll.get(CUSTOMER)), CONTRACT_NO: _text(coll.get(CONTRACT_NO)),
                         COLLECTION_AMOUNT: rest, "所付单据日期": pd.NaT, "账龄天数": 0, "说明": PREPAYMENT_NOTE,
                         "回款ID": coll["回款ID"], "来源": source, "承兑汇票": bill})
    return _lines_frame(rows, COLLECTION_AMOUNT)


def basis_lines(tables: Tables, allocation, basis: str, window: MonthWindow) -> pd.DataFrame:
    """The window's lines on the commission ``basis``: collected (``collection_lines``), else invoiced /
    shipped / contracted (``document_lines``)."""
    if basis == "collected":
        return collection_lines(allocation, window)
    return document_lines(tables, basis, window)


def collections_by_rep(allocation, window: MonthWindow) -> dict[str, int]:
    """The window's collections credited to each rep (fen), as ``collection_lines`` credits them."""
    lines = collection_lines(allocation, window)
    return {rep: int(v) for rep, v in lines.groupby(REP)[COLLECTION_AMOUNT].sum().items()}


def document_lines(tables: Tables, basis: str, window: MonthWindow) -> pd.DataFrame:
    """The window's invoices / shipments / contracts (``basis``), one line each, credited to the contract's
    rep; a ``_产品名称`` column carries the row's own product. Columns: CREDITED_COLUMNS + the amount (fen)."""
    sheet, day, amount, number, word = DOCUMENTS[basis]
    frame = rows_between(tables[sheet], day, window.start, window.end).sort_values(day, kind="stable")
    contract_rep = {_text(k): _text(v) for k, v in zip(tables["合同"][CONTRACT_NO], tables["合同"][REP])}
    rows = [{REP: contract_rep.get(_text(r.get(CONTRACT_NO))) or _text(r.get(REP)), "日期": r[day],
             CUSTOMER: _text(r.get(CUSTOMER)), CONTRACT_NO: _text(r.get(CONTRACT_NO)), amount: int(r[amount]),
             "所付单据日期": pd.NaT, "账龄天数": pd.NA, "说明": f"{word} {_text(r.get(number))}".strip(),
             "回款ID": "", "来源": source, "_产品名称": _text(r.get(PRODUCT))}
            for r, source in zip(frame.to_dict("records"), sources(frame))]
    return _lines_frame(rows, amount)


def _lines_frame(rows: list[dict], amount_col: str) -> pd.DataFrame:
    """The lines as a frame: CREDITED_COLUMNS, ``amount_col`` (int64 fen) and any further keys of the rows."""
    columns = [*CREDITED_COLUMNS, amount_col]
    frame = pd.DataFrame(rows, columns=list(dict.fromkeys([*columns, *(k for r in rows for k in r)])))
    frame["日期"] = pd.to_datetime(frame["日期"])
    frame["所付单据日期"] = pd.to_datetime(frame["所付单据日期"])
    return frame.astype({amount_col: "int64", "账龄天数": "Int64"}).reset_index(drop=True)
