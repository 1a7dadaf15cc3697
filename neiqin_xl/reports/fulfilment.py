"""合同履行一览表: per contract, what was shipped, invoiced and collected against its amount, and its status.

The first report of the day (after the allocation); receivables, shipping, the daily report and commission
read its ``data``. Figures are as of the run date D: shipments, invoices and collections dated after D are
left out; shipping requests (状态 待发货, no 发货日期) are not shipments.

已回款金额 of a contract = what the allocation applied to the contract's items by D (including a collection
without a contract spread over it by rule 2, on its 核销日期) + the contract's own unapplied credit on D
(预收款 naming it). A customer-level credit not yet applied belongs to no contract.

状态, first that holds: 交货逾期 (约定交货日期 < D and 已发货金额 < 合同金额), 未执行 (nothing shipped),
执行中 (partly shipped), 已发货 (已发货金额 ≥ 合同金额, 已回款金额 < 合同金额), 已完成.

``data`` is a dict: ``contracts`` (one row per contract, the sheet's columns, money in fen),
``events`` (履行明细) and ``by_rep``.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pandas as pd

from ..allocation import Allocation
from ..context import ReportOutput, RunContext
from ..model import REP, Tables
from ..sheets import DATE, INT, MONEY, PCT, Col, Highlight, Sheet, Table, WorkbookSpec
from .receivables import applications_as_of, collections_as_of, credits_as_of, source_of, text

STATUSES = ("交货逾期", "未执行", "执行中", "已发货", "已完成")
CONTRACT_COLUMNS = ["合同编号", "客户名称", "业务员", "签订日期", "合同金额", "已发货金额", "发货进度", "已开票金额", "已回款金额",
                    "回款进度", "未回款金额", "约定交货日期", "最后发货日期", "状态", "交货逾期天数"]
EVENT_COLUMNS = ["合同编号", "客户名称", "业务员", "日期", "事项", "单据号", "金额", "累计发货", "累计开票", "累计回款", "说明",
                 "来源"]
EVENT_ORDER = {"签订": 0, "发货": 1, "开票": 2, "回款": 3}


def shipped_as_of(shipments: pd.DataFrame, day: date) -> pd.DataFrame:
    """Real shipments dated up to ``day`` (requests without a 发货日期 are not shipments)."""
    return shipments[shipments["发货日期"].notna() & (shipments["发货日期"] <= pd.Timestamp(day))]


def invoiced_as_of(invoices: pd.DataFrame, day: date) -> pd.DataFrame:
    return invoices[invoices["开票日期"].notna() & (invoices["开票日期"] <= pd.Timestamp(day))]


def collected_by_contract(alloc: Allocation, day: date) -> pd.Series:
    """合同编号 -> fen collected on D: applications to its items by D + its own unapplied credit on D."""
    applied = applications_as_of(alloc, day).groupby("合同编号")["金额"].sum()
    credits = credits_as_of(alloc, day)
    held = credits[credits["合同编号"] != ""].groupby("合同编号")["金额"].sum()
    return applied.add(held, fill_value=0).astype("int64")


def progress(part: int, whole: int) -> Decimal | None:
    """A fraction for a PCT column; None when the whole is 0."""
    return Decimal(int(part)) / Decimal(int(whole)) if whole else None


def contract_status(amount: int, shipped: int, collected: int, agreed: pd.Timestamp, day: date) -> str:
    """One of STATUSES, by the precedence in the module docstring."""
    if pd.notna(agreed) and agreed < pd.Timestamp(day) and shipped < amount:
        return "交货逾期"
    if shipped <= 0:
        return "未执行"
    if shipped < amount:
        return "执行中"
    return "已发货" if collected < amount else "已完成"


def contract_progress(contracts: pd.DataFrame, shipments: pd.DataFrame, invoices: pd.DataFrame,
                      collected: pd.Series, day: date) -> pd.DataFrame:
    """One row per contract signed up to ``day`` with the sheet's columns (shipments and invoices already cut
    at ``day``; ``collected`` from ``collected_by_contract``)."""
    shipped = shipments.groupby("合同编号")["发货金额"].sum()
    last_ship = shipments.groupby("合同编号")["发货日期"].max()
    invoiced = invoices.groupby("合同编号")["开票金额"].sum()
    cutoff = pd.Timestamp(day)
    rows = []
    for c in contracts[contracts["签订日期"] <= cutoff].to_dict("records"):
        no, amount = text(c["合同编号"]), int(c["合同金额"])
        ship, coll = int(shipped.get(no, 0)), int(collected.get(no, 0))
        agreed = c.get("约定交货日期")
        status = contract_status(amount, ship, coll, agreed, day)
        rows.append({"合同编号": no, "客户名称": text(c["客户名称"]), "业务员": text(c.get(REP)), "签订日期": c["签订日期"],
                     "合同金额": amount, "已发货金额": ship, "发货进度": progress(ship, amount),
                     "已开票金额": int(invoiced.get(no, 0)), "已回款金额": coll, "回款进度": progress(coll, amount),
                     "未回款金额": amount - coll, "约定交货日期": agreed, "最后发货日期": last_ship.get(no, pd.NaT),
                     "状态": status, "交货逾期天数": (cutoff - agreed).days if status == "交货逾期" else None})
    frame = pd.DataFrame(rows, columns=CONTRACT_COLUMNS)
    frame["交货逾期天数"] = frame["交货逾期天数"].astype("Int64")
    return frame.astype({c: "int64" for c in ("合同金额", "已发货金额", "已开票金额", "已回款金额", "未回款金额")})


def fulfilment_events(contracts: pd.DataFrame, shipments: pd.DataFrame, invoices: pd.DataFrame,
                      alloc: Allocation, day: date) -> pd.DataFrame:
    """履行明细: every event of each contract in date order (签订, 发货, 开票, 回款 on one date) with running
    shipped / invoiced / collected totals. A collection appears as 回款 on each 核销日期 with the part applied
    to this contract's items, and as 回款 on its own date for the part still held as the contract's credit."""
    known = {text(c["合同编号"]): c for c in contracts[contracts["签订日期"] <= pd.Timestamp(day)].to_dict("records")}
    colls = {c["回款ID"]: c for c in collections_as_of(alloc, day).to_dict("records")}
    item_no = dict(zip(alloc.items["单据ID"], alloc.items["单据号"]))
    item_kind = dict(zip(alloc.items["单据ID"], alloc.items["单据类型"]))
    rows = []
    for no, c in known.items():
        rows.append({"合同编号": no, "日期": c["签订日期"], "事项": "签订", "单据号": no, "金额": int(c["合同金额"]),
                     "说明": "合同签订", "来源": source_of(c)})
    for s in shipments.to_dict("records"):
        rows.append({"合同编号": text(s["合同编号"]), "日期": s["发货日期"], "事项": "发货", "单据号": text(s.get("发货单号")),
                     "金额": int(s["发货金额"]), "说明": text(s.get("产品名称")), "来源": source_of(s)})
    for i in invoices.to_dict("records"):
        rows.append({"合同编号": text(i["合同编号"]), "日期": i["开票日期"], "事项": "开票", "单据号": text(i.get("发票号码")),
                     "金额": int(i["开票金额"]), "说明": "", "来源": source_of(i)})
    for a in applications_as_of(alloc, day).to_dict("records"):
        coll = colls.get(a["回款ID"], {})
        how = "按合同" if text(coll.get("合同编号")) else "未指定合同, 按客户核销"
        rows.append({"合同编号": text(a["合同编号"]), "日期": a["核销日期"], "事项": "回款",
                     "单据号": text(coll.get("银行流水号")), "金额": int(a["金额"]),
                     "说明": f"{a['回款日期']:%Y-%m-%d} 回款{how}, 核销{item_kind.get(a['单据ID'], '')} "
                             f"{item_no.get(a['单据ID'], '')}".rstrip(),
                     "来源": source_of(coll)})
    for cr in credits_as_of(alloc, day).to_dict("records"):
        if cr["合同编号"]:
            coll = colls.get(cr["回款ID"], {})
            rows.append({"合同编号": cr["合同编号"], "日期": cr["回款日期"], "事项": "回款", "单据号": text(coll.get("银行流水号")),
                         "金额": int(cr["金额"]), "说明": "预收款(尚未核销)", "来源": cr["来源"]})
    frame = pd.DataFrame([{**r, "_seq": n} for n, r in enumerate(rows) if r["合同编号"] in known],
                         columns=[*EVENT_COLUMNS, "_seq"])
    if frame.empty:
        return frame.drop(columns="_seq").astype({"金额": "int64"})
    frame["_order"] = frame["事项"].map(EVENT_ORDER)
    frame = frame.sort_values(["合同编号", "日期", "_order", "_seq"], kind="stable").reset_index(drop=True)
    frame["客户名称"] = [text(known[n]["客户名称"]) for n in frame["合同编号"]]
    frame["业务员"] = [text(known[n].get(REP)) for n in frame["合同编号"]]
    for column, kind in (("累计发货", "发货"), ("累计开票", "开票"), ("累计回款", "回款")):
        frame[column] = frame["金额"].where(frame["事项"] == kind, 0).groupby(frame["合同编号"]).cumsum()
    return frame[EVENT_COLUMNS].astype({c: "int64" for c in ("金额", "累计发货", "累计开票", "累计回款")})


def summary_by_rep(progress_frame: pd.DataFrame) -> pd.DataFrame:
    """Per rep: 合同数, 合同金额, 已发货金额, 已开票金额, 已回款金额, 未回款金额."""
    money = ["合同金额", "已发货金额", "已开票金额", "已回款金额", "未回款金额"]
    grouped = progress_frame.groupby("业务员", sort=True)
    frame = grouped[money].sum().reset_index()
    frame.insert(1, "合同数", grouped.size().values)
    return frame[["业务员", "合同数", *money]].astype({c: "int64" for c in ["合同数", *money]})


def compute(tables: Tables, alloc: Allocation, day: date) -> dict[str, pd.DataFrame]:
    """All the fulfilment tables as of ``day`` (the ``data`` of this report)."""
    contracts = tables["合同"]
    shipments = shipped_as_of(tables["发货"], day)
    invoices = invoiced_as_of(tables["开票"], day)
    frame = contract_progress(contracts, shipments, invoices, collected_by_contract(alloc, day), day)
    return {"contracts": frame, "events": fulfilment_events(contracts, shipments, invoices, alloc, day),
            "by_rep": summary_by_rep(frame)}


def figures(data: dict[str, pd.DataFrame]) -> dict:
    """Totals for manifest.json (money as fen ints, keys ending _fen)."""
    c = data["contracts"]
    counts = c["状态"].value_counts()
    return {"contracts": len(c), "contract_amount_fen": int(c["合同金额"].sum()), "shipped_fen": int(c["已发货金额"].sum()),
            "invoiced_fen": int(c["已开票金额"].sum()), "collected_fen": int(c["已回款金额"].sum()),
            "uncollected_fen": int(c["未回款金额"].sum()),
            "contracts_by_status": {s: int(counts.get(s, 0)) for s in STATUSES}}


def layout(data: dict[str, pd.DataFrame], company: str, day: date) -> WorkbookSpec:
    """The 合同履行一览表 workbook: 合同履行一览表, 履行明细, 按业务员汇总."""
    subtitle = [company, f"截至 {day.isoformat()}（该日以后的发货、开票、回款不计入; 待发货申请不算发货）"]
    main_cols = [Col("合同编号"), Col("客户名称"), Col("业务员"), Col("签订日期", DATE), Col("合同金额", MONEY),
                 Col("已发货金额", MONEY), Col("发货进度", PCT), Col("已开票金额", MONEY), Col("已回款金额", MONEY),
                 Col("回款进度", PCT), Col("未回款金额", MONEY), Col("约定交货日期", DATE), Col("最后发货日期", DATE),
                 Col("状态"), Col("交货逾期天数", INT, total=False)]
    main = Sheet("合同履行一览表", [Table(main_cols, data["contracts"], totals=True, highlights=[
        Highlight("状态", "==", "交货逾期", whole_row=True)])], title="合同履行一览表",
        subtitle=[*subtitle, "已回款金额 = 已核销到本合同的回款(含未指定合同、按客户核销到本合同的部分) + 指定本合同尚未核销的预收款"])
    event_cols = [Col("合同编号"), Col("客户名称"), Col("业务员"), Col("日期", DATE), Col("事项"), Col("单据号"),
                  Col("金额", MONEY), Col("累计发货", MONEY), Col("累计开票", MONEY), Col("累计回款", MONEY), Col("说明"),
                  Col("来源")]
    events = Sheet("履行明细", [Table(event_cols, data["events"])], title="合同履行明细",
                   subtitle=[*subtitle, "回款按核销日期列示核销到本合同的金额; 预收款按回款日期列示"])
    rep_cols = [Col("业务员"), Col("合同数", INT), Col("合同金额", MONEY), Col("已发货金额", MONEY), Col("已开票金额", MONEY),
                Col("已回款金额", MONEY), Col("未回款金额", MONEY)]
    by_rep = Sheet("按业务员汇总", [Table(rep_cols, data["by_rep"], totals=True)], title="合同履行按业务员汇总",
                   subtitle=subtitle)
    return WorkbookSpec(f"合同履行一览表_{day.isoformat()}.xlsx", [main, events, by_rep])


def build(ctx: RunContext) -> ReportOutput:
    data = compute(ctx.tables, ctx.allocation, ctx.run_date)
    return ReportOutput(workbooks=[layout(data, ctx.settings.company.name, ctx.run_date)], figures=figures(data),
                        data=data)
