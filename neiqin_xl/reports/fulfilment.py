"""合同履行一览表: per contract, what was shipped, invoiced and collected against its amount, and its status.

The first report of the day (after the allocation); the shipping check reads its ``data`` (it declares
``NEEDS = ("fulfilment", ...)``). Figures are as of the run date D: shipments, invoices and collections dated after D are
left out; shipping requests (状态 待发货, no 发货日期) are not shipments.

已回款金额 of a contract = what the allocation applied to the contract's items by D (including money without a
contract applied to them by rule 2, on its 核销日期) + the contract's own unapplied credit on D (预收款 naming it,
which the allocation keeps only up to what the contract has not yet shipped) + the customer-level credit left by a
collection naming it (the customer paid the contract more than it is worth with nothing else open): only then is
已回款金额 above 合同金额, and the negative 未回款金额 is highlighted. Other customer-level credit belongs to no
contract.

状态, first that holds: 交货逾期 (约定交货日期 < D and 已发货金额 < 合同金额), 未执行 (nothing shipped),
执行中 (partly shipped), 已发货 (已发货金额 ≥ 合同金额, 已回款金额 < 合同金额), 已完成.

``data`` is a ``FulfilmentData`` (core.results): ``contracts`` (one row per contract, the sheet's columns,
money in fen), ``events`` (履行明细) and ``by_rep``. It needs no earlier report (``NEEDS``).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import numpy as np
import pandas as pd

from ..books.allocation import Allocation, applications_as_of, collections_as_of, credits_as_of
from ..core.columns import date_labels, pick, position_of, sources, text_values
from ..books.context import RunContext
from ..core.output import ReportOutput
from ..core.model import REP, Tables
from ..core.results import FulfilmentData
from ..core.sheets import DATE, INT, MONEY, PCT, Col, Highlight, Sheet, Table, WorkbookSpec
from ..core.schema import (AGREED_DELIVERY_DATE, BANK_REF, COLLECTION_DATE, CONTRACT_AMOUNT, CONTRACT_NO, CUSTOMER,
                           INVOICE_AMOUNT, INVOICE_DATE, INVOICE_NO, PRODUCT, SHIPMENT_AMOUNT, SHIPMENT_DATE,
                           SHIPMENT_NO, SIGNING_DATE)

STATUSES = ("交货逾期", "未执行", "执行中", "已发货", "已完成")
CONTRACT_COLUMNS = [CONTRACT_NO, CUSTOMER, REP, SIGNING_DATE, CONTRACT_AMOUNT, "已发货金额", "发货进度", "已开票金额", "已回款金额",
                    "回款进度", "未回款金额", AGREED_DELIVERY_DATE, "最后发货日期", "状态", "交货逾期天数"]
EVENT_COLUMNS = [CONTRACT_NO, CUSTOMER, REP, "日期", "事项", "单据号", "金额", "累计发货", "累计开票", "累计回款", "说明",
                 "来源"]
EVENT_ORDER = {"签订": 0, "发货": 1, "开票": 2, "回款": 3}


# ---------------------------------------------------------------- the figures

def shipped_as_of(shipments: pd.DataFrame, day: date) -> pd.DataFrame:
    """Real shipments dated up to ``day`` (requests without a 发货日期 are not shipments)."""
    return shipments[shipments[SHIPMENT_DATE].notna() & (shipments[SHIPMENT_DATE] <= pd.Timestamp(day))]


def invoiced_as_of(invoices: pd.DataFrame, day: date) -> pd.DataFrame:
    return invoices[invoices[INVOICE_DATE].notna() & (invoices[INVOICE_DATE] <= pd.Timestamp(day))]


def collected_by_contract(alloc: Allocation, day: date, credits: pd.DataFrame | None = None) -> pd.Series:
    """合同编号 -> fen collected on D: applications to its items by D + its own unapplied credit on D
    (``credits``: ``credits_as_of(alloc, day)`` when already at hand)."""
    applied = applications_as_of(alloc, day).groupby(CONTRACT_NO, sort=False)["金额"].sum()
    credits = credits_as_of(alloc, day) if credits is None else credits
    held = credits[credits["指定合同"] != ""].groupby("指定合同", sort=False)["金额"].sum()
    return applied.add(held, fill_value=0).astype("int64")


def progress(part: int, whole: int) -> Decimal | None:
    """A fraction for a PCT column; None when the whole is 0."""
    return Decimal(int(part)) / Decimal(int(whole)) if whole else None


def contract_statuses(amount: np.ndarray, shipped: np.ndarray, collected: np.ndarray, late: np.ndarray
                      ) -> np.ndarray:
    """One of STATUSES for every contract, by the precedence in the module docstring; ``late``: the agreed
    delivery date is before D. Late and not all shipped is 交货逾期; else nothing shipped 未执行, part shipped
    执行中, all shipped but not all collected 已发货, else 已完成.

    >>> amount = np.array([100, 100, 100, 100, 100])
    >>> list(contract_statuses(amount, np.array([50, 0, 50, 100, 100]), np.array([0, 0, 0, 50, 100]),
    ...                        np.array([True, False, False, False, True])))
    ['交货逾期', '未执行', '执行中', '已发货', '已完成']
    """
    return np.select([late & (shipped < amount), shipped <= 0, shipped < amount, collected < amount],
                     ["交货逾期", "未执行", "执行中", "已发货"], default="已完成").astype(object)


def sum_by_contract(frame: pd.DataFrame, column: str, numbers: np.ndarray) -> np.ndarray:
    """Σ ``column`` of ``frame`` per contract, for each of ``numbers`` (0 for a contract without rows), in fen."""
    return frame.groupby(CONTRACT_NO, sort=False)[column].sum().reindex(numbers, fill_value=0).to_numpy(dtype="int64")


def contract_progress(contracts: pd.DataFrame, shipments: pd.DataFrame, invoices: pd.DataFrame,
                      collected: pd.Series, day: date) -> pd.DataFrame:
    """One row per contract signed up to ``day`` with the sheet's columns (shipments and invoices already cut
    at ``day``; ``collected`` from ``collected_by_contract``)."""
    cutoff = pd.Timestamp(day)
    signed = contracts[contracts[SIGNING_DATE] <= cutoff].reset_index(drop=True)
    if signed.empty:
        return pd.DataFrame([], columns=CONTRACT_COLUMNS).astype(
            {"交货逾期天数": "Int64", **{c: "int64" for c in (CONTRACT_AMOUNT, "已发货金额", "已开票金额", "已回款金额", "未回款金额")}})
    numbers = text_values(signed, CONTRACT_NO)
    amount = signed[CONTRACT_AMOUNT].to_numpy(dtype="int64")
    shipped = sum_by_contract(shipments, SHIPMENT_AMOUNT, numbers)
    coll = collected.reindex(numbers, fill_value=0).to_numpy(dtype="int64")
    agreed = signed[AGREED_DELIVERY_DATE]
    late = (agreed.notna() & (agreed < cutoff)).to_numpy()
    status = contract_statuses(amount, shipped, coll, late)
    overdue_days = (cutoff - agreed).dt.days.where(status == "交货逾期").astype("Int64")
    return pd.DataFrame({
        CONTRACT_NO: numbers, CUSTOMER: text_values(signed, CUSTOMER), REP: text_values(signed, REP),
        SIGNING_DATE: signed[SIGNING_DATE], CONTRACT_AMOUNT: amount, "已发货金额": shipped,
        "发货进度": [progress(p, w) for p, w in zip(shipped.tolist(), amount.tolist())],
        "已开票金额": sum_by_contract(invoices, INVOICE_AMOUNT, numbers), "已回款金额": coll,
        "回款进度": [progress(p, w) for p, w in zip(coll.tolist(), amount.tolist())], "未回款金额": amount - coll,
        AGREED_DELIVERY_DATE: agreed,
        "最后发货日期": shipments.groupby(CONTRACT_NO, sort=False)[SHIPMENT_DATE].max().reindex(numbers).to_numpy(),
        "状态": status, "交货逾期天数": overdue_days}, columns=CONTRACT_COLUMNS)


# ---------------------------------------------------------------- 履行明细

def events(numbers: np.ndarray, days: pd.Series, kind: str, documents: np.ndarray, amounts: pd.Series,
           notes: object, origins: np.ndarray) -> pd.DataFrame:
    """Rows of 履行明细 of one kind (签订, 发货, 开票 or 回款), before the running totals."""
    return pd.DataFrame({CONTRACT_NO: numbers, "日期": days.to_numpy(), "事项": kind, "单据号": documents,
                         "金额": amounts.to_numpy(dtype="int64"), "说明": notes, "来源": origins,
                         "_order": EVENT_ORDER[kind]})


def signing_events(known: pd.DataFrame) -> pd.DataFrame:
    numbers = text_values(known, CONTRACT_NO)
    return events(numbers, known[SIGNING_DATE], "签订", numbers, known[CONTRACT_AMOUNT], "合同签订", sources(known))


def shipping_events(shipments: pd.DataFrame) -> pd.DataFrame:
    return events(text_values(shipments, CONTRACT_NO), shipments[SHIPMENT_DATE], "发货", text_values(shipments, SHIPMENT_NO),
                  shipments[SHIPMENT_AMOUNT], text_values(shipments, PRODUCT), sources(shipments))


def invoice_events(invoices: pd.DataFrame) -> pd.DataFrame:
    return events(text_values(invoices, CONTRACT_NO), invoices[INVOICE_DATE], "开票", text_values(invoices, INVOICE_NO),
                  invoices[INVOICE_AMOUNT], "", sources(invoices))


def collection_events(alloc: Allocation, day: date, credits: pd.DataFrame) -> pd.DataFrame:
    """回款 on each 核销日期 (the part applied to a contract's items, with the rule that applied it), then 回款 on
    its own date for what a collection naming a contract still holds unapplied (its credit, or the overpaid rest)."""
    colls = collections_as_of(alloc, day)
    coll_ids = colls["回款ID"].to_numpy(dtype=object)
    bank_refs, origins = text_values(colls, BANK_REF), sources(colls)

    apps = applications_as_of(alloc, day)
    at = position_of(coll_ids, apps["回款ID"].to_numpy(dtype=object))
    how = apps["规则"].to_numpy(dtype=object)
    items = alloc.items
    item_at = position_of(items["单据ID"].to_numpy(dtype=object), apps["单据ID"].to_numpy(dtype=object))
    kinds = pick(np.array([str(v) for v in items["单据类型"].to_numpy(dtype=object)], dtype=object), item_at, "")
    item_nos = pick(np.array([str(v) for v in items["单据号"].to_numpy(dtype=object)], dtype=object), item_at, "")
    notes = [f"{paid_on} 回款, {h}核销{k} {n}".rstrip()
             for paid_on, h, k, n in zip(date_labels(apps[COLLECTION_DATE]), how, kinds, item_nos)]
    applied = events(text_values(apps, CONTRACT_NO), apps["核销日期"], "回款", pick(bank_refs, at, ""), apps["金额"],
                     notes, pick(origins, at, ""))

    credits = credits[credits["指定合同"] != ""]
    at = position_of(coll_ids, credits["回款ID"].to_numpy(dtype=object))
    notes = np.where(credits[CONTRACT_NO].to_numpy(dtype=object) != "", "预收款(尚未核销)", "超过合同金额, 记为客户预收款(尚未核销)")
    held = events(credits["指定合同"].to_numpy(dtype=object), credits[COLLECTION_DATE], "回款", pick(bank_refs, at, ""),
                  credits["金额"], notes, credits["来源"].to_numpy(dtype=object))
    return stack([applied, held])


def stack(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """The parts one under the other, numbered in that order (an empty part would turn 日期 into object)."""
    filled = [p for p in parts if len(p)]
    return pd.concat(filled, ignore_index=True) if filled else parts[0]


def fulfilment_events(contracts: pd.DataFrame, shipments: pd.DataFrame, invoices: pd.DataFrame,
                      alloc: Allocation, day: date, credits: pd.DataFrame | None = None) -> pd.DataFrame:
    """履行明细: every event of each contract in date order (签订, 发货, 开票, 回款 on one date) with running
    shipped / invoiced / collected totals. A collection appears as 回款 on each 核销日期 with the part applied
    to this contract's items, and as 回款 on its own date for the part still held as the contract's credit.
    Events of one kind on one date keep the order they were read in. ``credits``: ``credits_as_of(alloc, day)``
    when already at hand."""
    credits = credits_as_of(alloc, day) if credits is None else credits
    signed = contracts[contracts[SIGNING_DATE] <= pd.Timestamp(day)]
    numbers = text_values(signed, CONTRACT_NO)
    known = signed[~pd.Series(numbers).duplicated(keep="last").to_numpy()]  # a repeated number: its last row
    frame = stack([signing_events(known), shipping_events(shipments), invoice_events(invoices),
                   collection_events(alloc, day, credits)])
    known_numbers = text_values(known, CONTRACT_NO)
    frame = frame[frame[CONTRACT_NO].isin(known_numbers)]
    if frame.empty:
        return pd.DataFrame([], columns=EVENT_COLUMNS).astype({"金额": "int64"})
    contract = pd.factorize(frame[CONTRACT_NO], sort=True)[0]  # numbers in their sort order, compared as ints
    frame = frame.assign(_contract=contract, _seq=frame.index)
    frame = frame.sort_values(["_contract", "日期", "_order", "_seq"]).reset_index(drop=True)
    at = position_of(known_numbers, frame[CONTRACT_NO].to_numpy(dtype=object))
    frame[CUSTOMER] = pick(text_values(known, CUSTOMER), at, "")
    frame[REP] = pick(text_values(known, REP), at, "")
    for column, kind in (("累计发货", "发货"), ("累计开票", "开票"), ("累计回款", "回款")):
        frame[column] = frame["金额"].where(frame["事项"] == kind, 0).groupby(frame["_contract"]).cumsum()
    return frame[EVENT_COLUMNS].astype({c: "int64" for c in ("金额", "累计发货", "累计开票", "累计回款")})


def summary_by_rep(progress_frame: pd.DataFrame) -> pd.DataFrame:
    """Per rep: 合同数, 合同金额, 已发货金额, 已开票金额, 已回款金额, 未回款金额."""
    money = [CONTRACT_AMOUNT, "已发货金额", "已开票金额", "已回款金额", "未回款金额"]
    grouped = progress_frame.groupby(REP, sort=True)
    frame = grouped[money].sum().reset_index()
    frame.insert(1, "合同数", grouped.size().values)
    return frame[[REP, "合同数", *money]].astype({c: "int64" for c in ["合同数", *money]})


def compute(tables: Tables, alloc: Allocation, day: date) -> FulfilmentData:
    """All the fulfilment tables as of ``day`` (the ``data`` of this report)."""
    contracts = tables["合同"]
    shipments = shipped_as_of(tables["发货"], day)
    invoices = invoiced_as_of(tables["开票"], day)
    credits = credits_as_of(alloc, day)
    frame = contract_progress(contracts, shipments, invoices, collected_by_contract(alloc, day, credits), day)
    return FulfilmentData(contracts=frame, events=fulfilment_events(contracts, shipments, invoices, alloc, day, credits),
                          by_rep=summary_by_rep(frame))


def figures(data: FulfilmentData) -> dict:
    """Totals for manifest.json (money as fen ints, keys ending _fen)."""
    c = data.contracts
    counts = c["状态"].value_counts()
    return {"contracts": len(c), "contract_amount_fen": int(c[CONTRACT_AMOUNT].sum()), "shipped_fen": int(c["已发货金额"].sum()),
            "invoiced_fen": int(c["已开票金额"].sum()), "collected_fen": int(c["已回款金额"].sum()),
            "uncollected_fen": int(c["未回款金额"].sum()),
            "contracts_by_status": {s: int(counts.get(s, 0)) for s in STATUSES}}


ACTION_ORDER = ("交货逾期", "未执行", "执行中", "已发货", "已完成")  # what needs doing first: late, then open, then done


def by_action(contracts: pd.DataFrame) -> pd.DataFrame:
    """The contracts in the order a reader acts on them: 交货逾期 (longest overdue first), 未执行, 执行中 (earliest
    agreed delivery first), 已发货 (most unpaid first), 已完成 last; then by 合同编号."""
    if contracts.empty:
        return contracts
    rank = contracts["状态"].map({s: i for i, s in enumerate(ACTION_ORDER)}).fillna(len(ACTION_ORDER))
    keys = pd.DataFrame({"rank": rank, "late": -contracts["交货逾期天数"].fillna(0).astype("int64"),
                         "agreed": contracts[AGREED_DELIVERY_DATE],  # none agreed: last (sort_values puts NaT last)
                         "unpaid": -contracts["未回款金额"].where(contracts["状态"] == "已发货", 0),
                         "no": contracts[CONTRACT_NO]})
    order = keys.sort_values(["rank", "late", "agreed", "unpaid", "no"], kind="stable").index
    return contracts.loc[order].reset_index(drop=True)


def layout(data: FulfilmentData, company: str, day: date, verdicts: dict[str, str] | None = None) -> WorkbookSpec:
    """The 合同履行一览表 workbook: 合同履行一览表, 交货逾期, 未回款 (``follow_ups``), 履行明细, 按业务员汇总.
    ``verdicts``: 合同编号 → the 合同评审's 结论 of the contracts reviewed this run (a 评审结论 column on the first
    sheet when there are any)."""
    subtitle = [company, f"截至 {day.isoformat()}（该日以后的发货、开票、回款不计入; 待发货申请不算发货）"]
    main_cols = [Col(CONTRACT_NO), Col(CUSTOMER), Col(REP), Col(SIGNING_DATE, DATE), Col(CONTRACT_AMOUNT, MONEY),
                 Col("已发货金额", MONEY), Col("发货进度", PCT), Col("已开票金额", MONEY), Col("已回款金额", MONEY),
                 Col("回款进度", PCT), Col("未回款金额", MONEY), Col(AGREED_DELIVERY_DATE, DATE), Col("最后发货日期", DATE),
                 Col("状态"), Col("交货逾期天数", INT, total=False)]
    contracts = by_action(data.contracts)
    if verdicts:
        contracts = contracts.assign(评审结论=contracts[CONTRACT_NO].map(verdicts).fillna(""))
    main = Sheet("合同履行一览表", [Table([*main_cols, Col("评审结论")] if verdicts else main_cols, contracts, totals=True,
                                   highlights=[
        Highlight("状态", "==", "交货逾期", whole_row=True), Highlight("未回款金额", "<", 0)])], title="合同履行一览表",
        subtitle=[*subtitle, "已回款金额 = 已核销到本合同的回款(含未指定合同、按客户核销到本合同的部分) + 指定本合同尚未核销的预收款; "
                  "未回款金额为负(标红) = 客户指定本合同付款超过合同金额且无其他未收款",
                  "排列: 交货逾期 (逾期最久在前)、未执行、执行中、已发货 (未回款多在前)、已完成"])
    event_cols = [Col(CONTRACT_NO), Col(CUSTOMER), Col(REP), Col("日期", DATE), Col("事项"), Col("单据号"),
                  Col("金额", MONEY), Col("累计发货", MONEY), Col("累计开票", MONEY), Col("累计回款", MONEY), Col("说明"),
                  Col("来源")]
    events = Sheet("履行明细", [Table(event_cols, data.events)], title="合同履行明细",
                   subtitle=[*subtitle, "回款按核销日期列示核销到本合同的金额; 预收款按回款日期列示"])
    rep_cols = [Col(REP), Col("合同数", INT), Col(CONTRACT_AMOUNT, MONEY), Col("已发货金额", MONEY), Col("已开票金额", MONEY),
                Col("已回款金额", MONEY), Col("未回款金额", MONEY)]
    by_rep = Sheet("按业务员汇总", [Table(rep_cols, data.by_rep, totals=True)], title="合同履行按业务员汇总",
                   subtitle=subtitle)
    late, unpaid = follow_ups(data.contracts)
    late_sheet = Sheet("交货逾期", [Table(main_cols, late, totals=True)], title="交货逾期合同",
                       subtitle=[*subtitle, "约定交货日期已过而未发足的合同, 逾期最久的在前"])
    unpaid_sheet = Sheet("未回款", [Table(main_cols, unpaid, totals=True)], title="已发货未回款合同",
                         subtitle=[*subtitle, "已发货金额大于已回款金额的合同 (货已发、款未收足), 未回款金额大的在前"])
    return WorkbookSpec(f"合同履行一览表_{day.isoformat()}.xlsx", [main, late_sheet, unpaid_sheet, events, by_rep])


def follow_ups(contracts: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The two lists the clerk follows up: 交货逾期 (状态 交货逾期, the longest overdue first) and 未回款
    (已发货金额 > 已回款金额: goods out, money not all in; the largest 未回款金额 first)."""
    late = contracts[contracts["状态"] == "交货逾期"].sort_values(
        ["交货逾期天数", CONTRACT_NO], ascending=[False, True], kind="stable")
    unpaid = contracts[contracts["已发货金额"] > contracts["已回款金额"]].sort_values(
        ["未回款金额", CONTRACT_NO], ascending=[False, True], kind="stable")
    return late.reset_index(drop=True), unpaid.reset_index(drop=True)


NEEDS: tuple[str, ...] = ()  # earlier reports whose data ``build`` takes
USES = ("review",)  # the 合同评审's verdicts of the contracts new this run (issue 33)


def build(ctx: RunContext, review=None) -> ReportOutput:
    data = compute(ctx.tables, ctx.allocation, ctx.run_date)
    verdicts = review.verdicts() if review is not None else None
    return ReportOutput(workbooks=[layout(data, ctx.settings.company.name, ctx.run_date, verdicts)], figures=figures(data),
                        data=data)
