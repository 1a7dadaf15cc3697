"""回款计划: when each part of a contract's money falls due. Kept with the allocation (``allocate`` builds the
``Plans``; ``allocation.due_parts_as_of`` and ``allocation.plan_lines_as_of`` are the as-of views reports read).

A contract with a 回款计划 (sheet 回款计划 of the reps' workbooks, one row per 期次) is paid in stages; one
without a plan keeps the rule of the allocation (item date + 账期天数). The allocation stays the one rule of
*what* is paid; a plan only says *when* each open amount is due:

- each line's amount is its 计划金额, else 比例 × 合同金额 (rounded half up; when the 比例 lines leave a rounding
  difference of at most a fen per line, the last 比例 line takes it); a plan whose lines do not add up to the
  合同金额 is a problem (``validate.check_plans``) and is not used: that contract keeps the default rule;
- the lines are laid end to end in 期次 order: line 1 covers the contract's first yuan up to its amount,
  line 2 the next, and so on (columns 起 and 止, in fen). **Money received for a contract pays its plan lines in
  that order** (预付 first, 质保金 last), as an accountant ticks off a plan;
- the contract's items (shipments or invoices) are laid end to end the same way, oldest first; what is still
  open of an item is the tail of its own stretch (the allocation pays a contract's items oldest first, unless a
  核销单号 or an exact amount picks a later one: then an older item's open stretch lies before it). An open
  amount belongs to the plan lines its stretch overlaps, and falls due on their dates (a stretch beyond the plan's
  total, a shipment above the contract, keeps the item's own 到期日);
- a line's date is its 计划日期 when given, else the date of its 节点's event + 节点后天数 (blank = 0):
  预付 = 签订日期; 发货 = the first 发货日期; 到货 = the last 签收日期 once every shipment made has one;
  验收 = the last 验收日期 once every shipment made has one; 开票 = the first 开票日期; 质保 = 验收 (else 到货) +
  ``receivables.warranty_days``; 其他 needs a 计划日期. Events after the day looked at have not happened;
  **a line whose event has not happened is not due** (到期日 blank): it is never overdue;
- 回款提醒 (``reminder_lines``): the lines with money still to come that are late or fall due within
  ``reminders.collection_days_before`` days, with the customer's contact and phone from the archive.

Money in fen; dates ``datetime64``; a blank due date is ``NaT``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import numpy as np
import pandas as pd

from ..core.columns import column_texts, texts
from ..core.config import Settings
from ..core.model import REP, SOURCE_COLUMNS, Tables, round_fen, text
from ..core.schema import (CONTACT, CONTRACT_AMOUNT, CONTRACT_NO, CUSTOMER, DELIVERED_DATE, INVOICE_DATE,
                           PLANNED_AMOUNT, SHIPMENT_DATE, SIGNING_DATE)

PLAN_COLUMNS = [CONTRACT_NO, "期次", "节点", PLANNED_AMOUNT, "起", "止", "计划日期", "节点后天数", CUSTOMER, REP,
                SIGNING_DATE, *SOURCE_COLUMNS]
LINE_COLUMNS = [*PLAN_COLUMNS, "节点日期", "到期日", "已回款", "未回款"]
WARRANTY = "质保"
OTHER = "其他"


@dataclass(frozen=True)
class Plans:
    """The plans in use, and the contract events their dates come from."""

    lines: pd.DataFrame  # PLAN_COLUMNS: contracts whose plan adds up, by 合同编号 then 期次
    shipments: pd.DataFrame  # 合同编号, 发货日期, 签收日期, 验收日期: the plan contracts' shipments made
    invoices: pd.DataFrame  # 合同编号, 开票日期
    warranty_days: int


# ---------------------------------------------------------------- the plan lines

def resolve_amounts(ratios: list, amounts: list, total: int) -> list[int | None]:
    """Each line's amount in fen: its 计划金额 (fen) when given, else 比例 × ``total`` rounded half up; a line
    with neither is None. A rounding difference of at most a fen per 比例 line goes to the last 比例 line.

    >>> resolve_amounts([0.3, 0.6, 0.1], [None, None, None], 10_000_00)
    [300000, 600000, 100000]
    >>> resolve_amounts([1/3, 1/3, 1/3], [None, None, None], 100)
    [33, 33, 34]
    >>> resolve_amounts([None, 0.1, None], [50000, None, None], 100000)
    [50000, 10000, None]
    """
    out: list[int | None] = []
    for ratio, amount in zip(ratios, amounts):
        if amount is not None and not pd.isna(amount) and int(amount) > 0:
            out.append(int(amount))
        elif ratio is not None and not pd.isna(ratio):
            share = Decimal(total) * Decimal(str(round(float(ratio), 10)))
            out.append(round_fen(share))
        else:
            out.append(None)
    by_ratio = [i for i, (r, a) in enumerate(zip(ratios, amounts))
                if (a is None or pd.isna(a) or int(a) <= 0) and r is not None and not pd.isna(r)]
    if by_ratio and None not in out:
        diff = total - sum(out)
        if 0 < abs(diff) <= len(by_ratio):
            out[by_ratio[-1]] += diff
    return out


def ordered(plan: pd.DataFrame) -> pd.DataFrame:
    """The plan rows by 合同编号, then 期次 (blank 期次 last), then as typed."""
    order = plan.assign(_no=column_texts(plan, CONTRACT_NO), _seq=plan["期次"].astype("Float64").fillna(np.inf),
                        _at=np.arange(len(plan)))
    return order.sort_values(["_no", "_seq", "_at"], kind="stable").drop(columns=["_no", "_seq", "_at"])


def by_contract(rows: list[dict]) -> dict[str, list[dict]]:
    """The rows of each 合同编号 (as text), in their order: one pass over records, not a frame per group (a
    pandas groupby with ``to_dict`` per contract cost ~10 s for 5,000 plans).

    >>> by_contract([{"合同编号": "H1", "期次": 1}, {"合同编号": "H2", "期次": 1}, {"合同编号": "H1", "期次": 2}])
    {'H1': [{'合同编号': 'H1', '期次': 1}, {'合同编号': 'H1', '期次': 2}], 'H2': [{'合同编号': 'H2', '期次': 1}]}
    """
    groups: dict[str, list[dict]] = {}
    for row in rows:
        groups.setdefault(text(row[CONTRACT_NO]), []).append(row)
    return groups


def contract_amounts(contracts: pd.DataFrame) -> dict[str, int]:
    """合同编号 -> 合同金额 (fen); a contract listed twice: its last row counts, as in the allocation."""
    return dict(zip(column_texts(contracts, CONTRACT_NO), contracts[CONTRACT_AMOUNT].astype("int64").tolist()))


def build_plans(tables: Tables, settings: Settings) -> Plans:
    """The plans that add up to their contract, with 起/止, and the events of their contracts."""
    plan, contracts = tables["回款计划"], tables["合同"]
    totals = contract_amounts(contracts)
    heads = contracts[[c for c in (CUSTOMER, REP, SIGNING_DATE) if c in contracts]]  # what a line takes of its contract
    info = {no: row for no, row in zip(column_texts(contracts, CONTRACT_NO), heads.to_dict("records"))}
    rows = []
    for contract, records in by_contract(ordered(plan).to_dict("records")).items():
        if contract not in totals:
            continue
        amounts = resolve_amounts([r["比例"] for r in records], [r[PLANNED_AMOUNT] for r in records], totals[contract])
        if None in amounts or sum(amounts) != totals[contract]:
            continue  # validate.check_plans said so; the contract keeps the default rule
        start = 0
        for r, amount in zip(records, amounts):
            c = info[contract]
            rows.append({CONTRACT_NO: contract, "期次": r["期次"], "节点": text(r["节点"]), PLANNED_AMOUNT: amount,
                         "起": start, "止": start + amount, "计划日期": r["计划日期"],
                         "节点后天数": 0 if pd.isna(r["节点后天数"]) else int(r["节点后天数"]),
                         CUSTOMER: text(c.get(CUSTOMER)), REP: text(c.get(REP)), SIGNING_DATE: c.get(SIGNING_DATE),
                         **{k: r.get(k) for k in SOURCE_COLUMNS}})
            start += amount
    lines = pd.DataFrame(rows, columns=PLAN_COLUMNS).astype(
        {PLANNED_AMOUNT: "int64", "起": "int64", "止": "int64", "节点后天数": "int64", "期次": "Int64",
         "计划日期": "datetime64[us]", SIGNING_DATE: "datetime64[us]"})
    planned = set(lines[CONTRACT_NO])
    ships = tables["发货"]
    ships = ships[ships[SHIPMENT_DATE].notna() & ships[CONTRACT_NO].isin(planned)]
    invoices = tables["开票"]
    return Plans(lines=lines.reset_index(drop=True),
                 shipments=ships.reindex(columns=[CONTRACT_NO, SHIPMENT_DATE, DELIVERED_DATE, "验收日期"]).reset_index(drop=True),
                 invoices=invoices[invoices[CONTRACT_NO].isin(planned)][[CONTRACT_NO, INVOICE_DATE]].reset_index(drop=True),
                 warranty_days=settings.receivables.warranty_days)


# ---------------------------------------------------------------- dates as of a day

def once_all(shipments: pd.DataFrame, column: str, cutoff: pd.Timestamp) -> pd.Series:
    """合同编号 -> the last ``column`` date of the contract's shipments, when every one has one by ``cutoff``."""
    if shipments.empty:
        return pd.Series(dtype="datetime64[us]")
    when = shipments[column].where(shipments[column] <= cutoff)
    by_contract = when.groupby(shipments[CONTRACT_NO])
    return by_contract.max().where(by_contract.count() == by_contract.size())


def node_dates(plans: Plans, day: date) -> pd.Series:
    """The date of each plan line's 节点 event as of ``day`` (NaT: it has not happened), for 质保 the day
    the warranty starts (验收, else 到货)."""
    cutoff = pd.Timestamp(day)
    lines = plans.lines
    ships = plans.shipments[plans.shipments[SHIPMENT_DATE] <= cutoff]
    invoices = plans.invoices[plans.invoices[INVOICE_DATE] <= cutoff]
    arrived, accepted = once_all(ships, DELIVERED_DATE, cutoff), once_all(ships, "验收日期", cutoff)
    events = {"预付": lines.set_index(CONTRACT_NO)[SIGNING_DATE].where(lambda d: d <= cutoff).groupby(level=0).first(),
              "发货": ships.groupby(CONTRACT_NO)[SHIPMENT_DATE].min(), "到货": arrived, "验收": accepted,
              "开票": invoices.groupby(CONTRACT_NO)[INVOICE_DATE].min(),
              WARRANTY: accepted.reindex(accepted.index.union(arrived.index)).fillna(arrived)}
    contracts = lines[CONTRACT_NO]
    found = pd.Series(pd.NaT, index=lines.index, dtype="datetime64[us]")
    for node, dates in events.items():
        at = lines["节点"] == node
        if at.any() and len(dates):
            found[at] = contracts[at].map(dates).astype("datetime64[us]")
    return found


def due_dates(plans: Plans, day: date) -> tuple[pd.Series, pd.Series]:
    """(节点日期, 到期日) of each plan line as of ``day``: 到期日 = 计划日期 when given, else 节点日期 + 节点后天数
    (+ ``warranty_days`` for 质保); NaT when the event has not happened."""
    lines = plans.lines
    events = node_dates(plans, day)
    extra = lines["节点后天数"] + np.where(lines["节点"] == WARRANTY, plans.warranty_days, 0)
    by_node = events + pd.to_timedelta(extra, unit="D")
    return events, lines["计划日期"].where(lines["计划日期"].notna(), by_node)


def lines_as_of(plans: Plans, day: date, received: dict[str, int]) -> pd.DataFrame:
    """LINE_COLUMNS: the plan lines with their dates as of ``day`` and what of each is paid, given the money
    ``received`` for each contract (paid plan lines in 期次 order)."""
    lines = plans.lines.copy()
    lines["节点日期"], lines["到期日"] = due_dates(plans, day)
    got = lines[CONTRACT_NO].map(received).fillna(0).astype("int64")
    lines["已回款"] = (got.clip(upper=lines["止"]) - lines["起"]).clip(lower=0)
    lines["未回款"] = lines[PLANNED_AMOUNT] - lines["已回款"]
    return lines[LINE_COLUMNS]


# ---------------------------------------------------------------- open items split by the plan

def split_by_plan(items: pd.DataFrame, lines: pd.DataFrame) -> pd.DataFrame:
    """The open ``items`` (an as-of view of the allocation's items) with each open amount of a planned contract
    split over the plan lines it falls on: one row per part, 未收 and 到期日 the part's, with 期次 and 回款节点
    (blank, and the item's own 到期日, outside a plan). Paid items stay one row with 未收 0.

    >>> items = pd.DataFrame({"单据ID": ["a"], "日期": pd.to_datetime(["2026-03-01"]), "合同编号": ["HT1"],
    ...                       "金额": [100], "未收": [70], "到期日": pd.to_datetime(["2026-03-31"])})
    >>> lines = pd.DataFrame({"合同编号": ["HT1"] * 3, "期次": [1, 2, 3], "节点": ["预付", "到货", "质保"],
    ...                       "起": [0, 30, 90], "止": [30, 90, 100],
    ...                       "到期日": pd.to_datetime(["2026-02-01", "2026-04-01", None])})
    >>> split_by_plan(items, lines)[["未收", "期次", "回款节点", "到期日"]].to_string(index=False)
    ' 未收  期次 回款节点        到期日\\n 60   2   到货 2026-04-01\\n 10   3   质保        NaT'
    """
    out = items.assign(期次=pd.array([pd.NA] * len(items), dtype="Int64"), 回款节点="")
    planned = items[CONTRACT_NO].isin(set(lines[CONTRACT_NO])) if len(lines) else pd.Series(False, index=items.index)
    if not planned.any():
        return out
    plans: dict[str, list[tuple[int, int, int]]] = {}  # 合同编号 -> its lines' (row in ``lines``, 起, 止), in order
    for line, (contract, low, high) in enumerate(zip(texts(lines[CONTRACT_NO]), lines["起"].tolist(), lines["止"].tolist())):
        plans.setdefault(contract, []).append((line, int(low), int(high)))
    ends = dict.fromkeys(plans, 0)  # per contract: where its items laid end to end have reached
    mine = np.flatnonzero(planned.to_numpy())
    mine = mine[np.lexsort((mine, out["日期"].to_numpy()[mine]))]  # by date, then as listed
    parts: list[tuple[int, int, int]] = []  # per part: the item's row in ``out``, its 未收, its plan line (-1: none)
    for row, contract, amount, open_amount in zip(mine.tolist(), texts(out[CONTRACT_NO].iloc[mine]),
                                                  out["金额"].iloc[mine].tolist(), out["未收"].iloc[mine].tolist()):
        plan = plans[contract]
        start = ends[contract]
        end = ends[contract] = start + int(amount)
        open_from = end - int(open_amount)
        if open_from >= end:
            parts.append((row, open_amount, -1))
            continue
        for line, low, high in plan:
            low, high = max(open_from, low), min(end, high)
            if high > low:
                parts.append((row, high - low, line))
        beyond = end - max(open_from, plan[-1][2])
        if beyond > 0:
            parts.append((row, beyond, -1))
    at, unpaid, line = (np.asarray(column, dtype="int64") for column in zip(*parts))
    from_plan = line >= 0
    split = out.iloc[at].assign(
        未收=unpaid, 期次=lines["期次"].astype("Int64").array.take(line, allow_fill=True),
        到期日=np.where(from_plan, lines["到期日"].to_numpy(dtype="datetime64[us]")[line],
                     out["到期日"].to_numpy(dtype="datetime64[us]")[at]),
        回款节点=np.where(from_plan, lines["节点"].to_numpy(dtype=object)[line], ""), _at=at)
    whole = out[~planned].assign(_at=np.flatnonzero(~planned.to_numpy()))
    merged = pd.concat([whole, split], ignore_index=True).sort_values("_at", kind="stable").drop(columns="_at")
    return merged.astype({"未收": "int64", "到期日": "datetime64[us]", "期次": "Int64"}).reset_index(drop=True)


def is_warranty(parts: pd.DataFrame) -> pd.Series:
    """The parts that are 质保金 (their plan line's 节点 is 质保)."""
    return parts["回款节点"] == WARRANTY


# ---------------------------------------------------------------- 回款提醒

REMINDER_COLUMNS = [REP, CUSTOMER, CONTRACT_NO, "期次", "节点", PLANNED_AMOUNT, "未回款", "到期日", "状态", "天数", CONTACT,
                    "电话"]
LATE, TODAY, SOON = "已逾期", "今日到期", "即将到期"


def reminder_lines(lines: pd.DataFrame, archive: pd.DataFrame, day: date, days_before: int) -> pd.DataFrame:
    """REMINDER_COLUMNS: the plan lines (``lines_as_of``) with money still to come that are late (到期日 before
    ``day``) or fall due within ``days_before`` days (到期日 up to ``day`` + days_before), by 到期日 (the longest
    late first); 天数 = days late, or days to go; 联系人 and 电话 from the customer archive (客户 sheet)."""
    cutoff = pd.Timestamp(day)
    due = lines[(lines["未回款"] > 0) & lines["到期日"].notna()
                & (lines["到期日"] <= cutoff + pd.Timedelta(days=days_before))].sort_values(
        ["到期日", REP, CONTRACT_NO, "期次"], kind="stable")
    contact = dict(zip(column_texts(archive, CUSTOMER), column_texts(archive, CONTACT)))
    phone = dict(zip(column_texts(archive, CUSTOMER), column_texts(archive, "电话")))
    days = (due["到期日"] - cutoff).dt.days.to_numpy(dtype="int64")
    customers = column_texts(due, CUSTOMER)
    return pd.DataFrame({
        REP: column_texts(due, REP), CUSTOMER: customers, CONTRACT_NO: column_texts(due, CONTRACT_NO),
        "期次": due["期次"].to_numpy(), "节点": column_texts(due, "节点"), PLANNED_AMOUNT: due[PLANNED_AMOUNT].to_numpy(),
        "未回款": due["未回款"].to_numpy(), "到期日": due["到期日"].to_numpy(),
        "状态": [LATE if d < 0 else TODAY if d == 0 else SOON for d in days], "天数": abs(days),
        CONTACT: [contact.get(c, "") for c in customers], "电话": [phone.get(c, "") for c in customers]},
        columns=REMINDER_COLUMNS).astype({"期次": "Int64", PLANNED_AMOUNT: "int64", "未回款": "int64", "天数": "int64"})
