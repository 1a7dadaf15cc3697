"""Checking the consolidated tables: the second step of the day, after ``intake`` and before the allocation.

``validate(tables, settings, run_date) -> (tables, problems)`` runs two plain lists of checks, each
``check(tables, settings, run_date) -> list[Problem]``:

- ``ROW_CHECKS``, on what was read: required fields, amounts ≤ 0, dates after the run date (not agreed
  delivery dates, 票据到期日 or 计划日期), values not
  among a field's choices, duplicate document numbers (合同编号, 发货单号, 发票号码, 银行流水号);
- ``CROSS_CHECKS``, on the rows left after the first errors were removed: shipments, invoices,
  collections and 回款计划 lines naming a contract that exists nowhere, shipments or invoices summing above
  their contract, customers not in the archive (未知客户), 回款计划 lines without an amount or a due date and
  plans not adding up to their contract (``check_plans``); a number outside its field's range (满意度 1–5) is a
  warning and the value is not used (``out_of_range``); a 报价 line's 折扣 or 税率 out of range, lines of one
  报价单号 naming different customers (``check_quotes``).

Then every row with an error is removed (each one is listed in the 问题清单), the extra copies of
identical duplicates are dropped (with a warning each), and the tables are enriched: 客户名称 becomes the
archive's canonical name where known; 发货 and 开票 rows get 客户名称 and 业务员 of their contract (the rep
whose workbook holds the row is kept in 填报人). The new customers themselves are listed by the 客户档案
report (``reports/archive.py``).

Problems carry the cell in the rep's own file: the column letter is taken from what the intake recorded
in ``Tables.inputs`` (``columns``), else from the template's column order.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import pandas as pd
from xlsxwriter.utility import xl_cell_to_rowcol

from ..core.config import Settings
from ..core.model import (ERROR, REP, SRC_ROW, SRC_SHEET, SRC_WORKBOOK, WARNING, Problem, Tables, cell_address, text,
                    fmt_yuan)
from ..core.names import CustomerIndex
from ..core.schema import (AGREED_DELIVERY_DATE, BILL_DUE_DATE, CHOICE, COLLECTION_DATE, CONTRACT_AMOUNT, CONTRACT_NO,
                           CUSTOMER, DATE, EXPECTED_ARRIVAL_DATE, INVOICE_AMOUNT, INVOICE_DATE, MONEY, PENDING_SHIPMENT,
                           PLANNED_AMOUNT, PLANS, QUOTE_NO, REP_SHEETS, SHEETS, SHIPMENT_AMOUNT, SHIPMENT_DATE,
                           VALID_UNTIL, Field, SheetDef)
from .collection_plans import OTHER, by_contract, contract_amounts, ordered, resolve_amounts

Check = Callable[[Tables, Settings, date], list[Problem]]

FILLER = "填报人"  # on 发货/开票: the rep whose workbook holds the row (业务员 is the contract's rep)
NAME_SHEETS = ("合同", "回款", "日报", "财务收款", "财务开票", "应收余额", "反馈")  # 客户名称 made canonical
UNKNOWN_CUSTOMER_SHEETS = ("合同", "回款")  # a customer found nowhere is a warning here
NOT_FUTURE_EXEMPT = (AGREED_DELIVERY_DATE, EXPECTED_ARRIVAL_DATE, "要求发货日期", BILL_DUE_DATE, "计划日期", VALID_UNTIL)  # the future by nature
CONTRACT_REFS = (("发货", SHIPMENT_DATE), ("开票", INVOICE_DATE), ("回款", COLLECTION_DATE), ("回款计划", "计划日期"))


# ---------------------------------------------------------------- where a field is

class Columns:
    """The column letter of a field in a given workbook and sheet, as the intake found it."""

    def __init__(self, tables: Tables):
        self._letters: dict[tuple[str, str], dict[str, str]] = {}
        for info in tables.inputs:
            name = Path(str(info.get("path", ""))).name
            for sheet, letters in (info.get("columns") or {}).items():
                self._letters[(name, sheet)] = letters

    def index(self, row: dict, sheet_def: SheetDef, field: str) -> int | None:
        letters = self._letters.get((str(row.get(SRC_WORKBOOK, "")), str(row.get(SRC_SHEET, ""))))
        if letters and field in letters:
            return xl_cell_to_rowcol(letters[field] + "1")[1]  # the intake keeps letters: A -> 0
        return sheet_def.columns.index(field) if field in sheet_def.columns else None


def problem(row: dict, columns: Columns, sheet_def: SheetDef, severity: str, message: str, field: str,
            suggestion: str = "", value: object = None) -> Problem:
    """A problem at a field of a consolidated row, addressed in the rep's own file."""
    value = row.get(field) if value is None else value
    excel_row = row.get(SRC_ROW)
    excel_row = int(excel_row) if excel_row is not None and not pd.isna(excel_row) else None
    return Problem(severity=severity, message=message, workbook=text(row.get(SRC_WORKBOOK)),
                   sheet=text(row.get(SRC_SHEET)), cell=cell_address(columns.index(row, sheet_def, field), excel_row),
                   field=field, value=shown(value), suggestion=suggestion, rep=text(row.get(REP)), row=excel_row)


def shown(value: object) -> str:
    """A value as the problem list shows it: dates as YYYY-MM-DD, blanks as "". Money is integer fen in the
    tables: a check about an amount passes the value already in yuan (``fmt_yuan``)."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d")
    return str(value)


def records(frame: pd.DataFrame) -> list[dict]:
    return frame.to_dict("records") if len(frame) else []


# ---------------------------------------------------------------- row checks

def rep_fields(tables: Tables, wanted: Callable[[Field], bool]) -> Iterator[tuple[SheetDef, Field, pd.DataFrame]]:
    """(sheet, field, frame) for every field of the reps' non-empty sheets that ``wanted`` picks."""
    for sheet_def in REP_SHEETS:
        frame = tables[sheet_def.name]
        if not frame.empty:
            for f in sheet_def.fields:
                if wanted(f):
                    yield sheet_def, f, frame


def check_required(tables: Tables, settings: Settings, run_date: date) -> list[Problem]:
    """Required fields left blank (money fields: see ``check_amounts``); a 待发货 request needs no 发货日期."""
    found: list[Problem] = []
    columns = Columns(tables)
    for name, sheet_def in SHEETS.items():
        frame = tables[name]
        if frame.empty:
            continue
        for f in sheet_def.fields:
            if not f.required or f.kind == MONEY or f.name not in frame:
                continue
            missing = frame[f.name].isna()
            if name == "发货" and f.name == SHIPMENT_DATE and "状态" in frame:
                missing &= frame["状态"].fillna("").str.strip() != PENDING_SHIPMENT
            suggestion = (f"已发货请填写发货日期; 尚未发货的申请请在 状态 填 {PENDING_SHIPMENT}"
                          if f.name == SHIPMENT_DATE else f"请填写{f.name}")
            for row in records(frame[missing]):
                found.append(problem(row, columns, sheet_def, ERROR, "必填项为空", f.name, suggestion, ""))
    return found


def check_amounts(tables: Tables, settings: Settings, run_date: date) -> list[Problem]:
    """Amounts in the reps' books must be above zero (a blank amount reads as zero)."""
    found: list[Problem] = []
    columns = Columns(tables)
    for sheet_def, f, frame in rep_fields(tables, lambda f: f.kind == MONEY and f.required):
        for row in records(frame[frame[f.name] <= 0]):
            fen = int(row[f.name])
            message = "为空或为零" if fen == 0 else "不能为负数"
            found.append(problem(row, columns, sheet_def, ERROR, message, f.name,
                                 "请填写大于 0 的金额; 退款或红字发票请告知内勤单独处理",
                                 "" if fen == 0 else fmt_yuan(fen)))
    return found


def check_future_dates(tables: Tables, settings: Settings, run_date: date) -> list[Problem]:
    """Dates in the reps' books after the run date: a warning (agreed delivery dates excepted); more than
    two years after it, an error in any date field (a year typed wrong: 2062 for 2026)."""
    found: list[Problem] = []
    columns = Columns(tables)
    limit = pd.Timestamp(run_date)
    far = limit + pd.DateOffset(years=2)
    for sheet_def, f, frame in rep_fields(tables, lambda f: f.kind == DATE):
        for row in records(frame[frame[f.name] > far]):
            found.append(problem(row, columns, sheet_def, ERROR, f"日期晚于运行日期 {run_date.isoformat()} 两年以上",
                                 f.name, "请核对年份"))
        if f.name in NOT_FUTURE_EXEMPT:
            continue
        for row in records(frame[(frame[f.name] > limit) & (frame[f.name] <= far)]):
            found.append(problem(row, columns, sheet_def, WARNING, f"日期晚于运行日期 {run_date.isoformat()}",
                                 f.name, "请核对日期是否填错"))
    return found


def check_choices(tables: Tables, settings: Settings, run_date: date) -> list[Problem]:
    """A value not among a field's choices (付款方式, 活动类型, 费用类别): kept, with a warning."""
    found: list[Problem] = []
    columns = Columns(tables)
    for sheet_def, f, frame in rep_fields(tables, lambda f: f.kind == CHOICE):
        odd = frame[f.name].notna() & ~frame[f.name].isin(f.choices)
        for row in records(frame[odd]):
            found.append(problem(row, columns, sheet_def, WARNING, "不是可选的值", f.name,
                                 "可选: " + "/".join(f.choices)))
    return found


def duplicate_groups(frame: pd.DataFrame, sheet_def: SheetDef) -> tuple[list[list[int]], list[list[int]]]:
    """Rows sharing a document number: (groups of identical rows, groups of conflicting rows), as positions.

    Identical = the same values in every schema column; the first row of such a group is the one kept.
    """
    key = sheet_def.key
    if frame.empty or key is None or key not in frame:
        return [], []
    keyed = frame[frame[key].notna() & (frame[key].astype("str").str.strip() != "")]
    dup = keyed[keyed[key].duplicated(keep=False)]
    identical, conflicting = [], []
    for _, group in dup.groupby(key, sort=False):
        positions = [frame.index.get_loc(i) for i in group.index]
        rows = {tuple(None if pd.isna(v) else v for v in values)
                for values in group[sheet_def.columns].itertuples(index=False, name=None)}
        (identical if len(rows) == 1 else conflicting).append(positions)
    return identical, conflicting


def differing_fields(group: pd.DataFrame, columns: list[str]) -> list[str]:
    """The columns whose values differ between the rows of a duplicate group (a blank counts as a value).

    >>> differing_fields(pd.DataFrame({"合同编号": ["HT1", "HT1"], "合同金额": [100, 120], "备注": [None, None]}),
    ...                  ["合同编号", "合同金额", "备注"])
    ['合同金额']
    """
    return [c for c in columns if c in group and len({None if pd.isna(v) else v for v in group[c]}) > 1]


def check_duplicates(tables: Tables, settings: Settings, run_date: date) -> list[Problem]:
    """Duplicate document numbers: identical rows counted once (warning on the copies), conflicting rows
    are errors on each."""
    found: list[Problem] = []
    columns = Columns(tables)
    for sheet_def in REP_SHEETS:
        frame = tables[sheet_def.name]
        identical, conflicting = duplicate_groups(frame, sheet_def)
        positions = sorted({pos for group in identical + conflicting for pos in group})
        rows = dict(zip(positions, records(frame.iloc[positions]))) if positions else {}
        for group in identical:
            first = problem(rows[group[0]], columns, sheet_def, WARNING, "", sheet_def.key).where()
            for pos in group[1:]:
                found.append(problem(rows[pos], columns, sheet_def, WARNING, f"与 {first} 完全相同, 只计一次",
                                     sheet_def.key, "请删除重复的行"))
        for group in conflicting:
            places = [problem(rows[p], columns, sheet_def, ERROR, "", sheet_def.key).where() for p in group]
            fields = "、".join(differing_fields(frame.iloc[group], sheet_def.columns))
            for pos, place in zip(group, places):
                others = "、".join(p for p in places if p != place)
                found.append(problem(rows[pos], columns, sheet_def, ERROR,
                                     f"重复且内容不同: {fields} 不同 (另见 {others})",
                                     sheet_def.key, f"同一{sheet_def.key}只能登记一次, 请核对后改正"))
    return found


# ---------------------------------------------------------------- cross checks

def check_contract_refs(tables: Tables, settings: Settings, run_date: date) -> list[Problem]:
    """A shipment, invoice or collection naming a contract found in nobody's 合同 sheet (or only in an
    error row)."""
    known = set(tables["合同"][CONTRACT_NO].dropna().astype("str"))
    found: list[Problem] = []
    columns = Columns(tables)
    for name, _ in CONTRACT_REFS:
        frame = tables[name]
        if frame.empty:
            continue
        unknown = frame[CONTRACT_NO].notna() & ~frame[CONTRACT_NO].astype("str").isin(known)
        for row in records(frame[unknown]):
            found.append(problem(row, columns, SHEETS[name], ERROR, "在所有业务员的合同表中都找不到 (或该合同行有错误)",
                                 CONTRACT_NO, "请核对合同编号, 或先在合同表登记该合同"))
    return found


def check_over_contract(tables: Tables, settings: Settings, run_date: date) -> list[Problem]:
    """Shipments (with a 发货日期) or invoices summing above their contract's amount: a warning on the row
    that crosses it, in date order."""
    contracts = tables["合同"].drop_duplicates(CONTRACT_NO)
    amounts = dict(zip(contracts[CONTRACT_NO].astype("str"), contracts[CONTRACT_AMOUNT].astype("int64")))
    found: list[Problem] = []
    columns = Columns(tables)
    for name, day, amount, what in (("发货", SHIPMENT_DATE, SHIPMENT_AMOUNT, "发货"), ("开票", INVOICE_DATE, INVOICE_AMOUNT, "开票")):
        frame = tables[name]
        if frame.empty:
            continue
        frame = frame[frame[day].notna() & frame[CONTRACT_NO].notna()].sort_values([day, SRC_WORKBOOK, SRC_ROW],
                                                                                  kind="stable")
        limit = frame[CONTRACT_NO].astype("str").map(amounts)
        frame, limit = frame[limit.notna()], limit[limit.notna()].astype("int64")
        total = frame.groupby(CONTRACT_NO, sort=False)[amount].cumsum()
        crossing = (total - frame[amount] <= limit) & (limit < total)  # the row that takes the total over
        for row, total_then in zip(records(frame[crossing]), total[crossing].tolist()):
            contract = str(row[CONTRACT_NO])
            found.append(problem(row, columns, SHEETS[name], WARNING,
                                 f"累计{what}金额 {fmt_yuan(total_then)} 超过合同 {contract} 金额 "
                                 f"{fmt_yuan(amounts[contract])}", amount, "请核对金额或补签合同",
                                 fmt_yuan(int(row[amount]))))
    return found


def check_unknown_customers(tables: Tables, settings: Settings, run_date: date) -> list[Problem]:
    """A customer name found nowhere in the archive (name, alias or match key): 未知客户, a warning.
    Skipped when there is no archive at all (the intake already said the file is missing)."""
    customers = CustomerIndex.from_archive(tables["客户"])
    if not customers.names:
        return []
    found: list[Problem] = []
    columns = Columns(tables)
    for name in UNKNOWN_CUSTOMER_SHEETS:
        frame = tables[name]
        if frame.empty:
            continue
        names = frame[CUSTOMER]
        known = {n: n in customers for n in names.dropna().unique()}
        unknown = names.notna() & ~names.map(known).fillna(False).astype(bool)
        for row in records(frame[unknown]):
            found.append(problem(row, columns, SHEETS[name], WARNING, "未知客户: 客户档案中没有该客户", CUSTOMER,
                                 "请核对客户名称或在客户档案中补充"))
    return found


def check_plans(tables: Tables, settings: Settings, run_date: date) -> list[Problem]:
    """回款计划: a line needs 比例 or 计划金额, and 节点 or 计划日期 (其他 needs 计划日期), errors on the row; a
    contract's lines must add up to its 合同金额, else one error naming every amount cell of the plan (the plan is
    then not used and the contract's items fall due by the default rule, ``books/collection_plans.py``)."""
    plan = tables["回款计划"]
    if plan.empty:
        return []
    found: list[Problem] = []
    columns = Columns(tables)
    totals = contract_amounts(tables["合同"])
    rows = records(ordered(plan))
    for row in rows:
        if pd.isna(row["比例"]) and not row[PLANNED_AMOUNT]:
            found.append(problem(row, columns, PLANS, ERROR, "比例和计划金额都为空", PLANNED_AMOUNT, "请填写本期比例或计划金额"))
        if pd.isna(row["计划日期"]) and (not text(row["节点"]) or text(row["节点"]) == OTHER):
            found.append(problem(row, columns, PLANS, ERROR, "无法确定到期日: 节点为空或为其他, 也没有计划日期", "节点",
                                 "请选择节点 (预付/发货/到货/验收/开票/质保) 或填写计划日期"))
    for contract, rows in by_contract(rows).items():
        if contract not in totals:
            continue  # check_contract_refs said so
        amounts = resolve_amounts([r["比例"] for r in rows], [r[PLANNED_AMOUNT] for r in rows], totals[contract])
        planned = sum(a for a in amounts if a is not None)
        if planned == totals[contract] and None not in amounts:
            continue
        cells = "、".join(problem(r, columns, PLANS, ERROR, "", "比例" if a is None or not r[PLANNED_AMOUNT] else PLANNED_AMOUNT)
                         .where() for r, a in zip(rows, amounts))
        found.append(problem(rows[0], columns, PLANS, ERROR,
                             f"合同 {contract} 的回款计划合计 {fmt_yuan(planned)} 与合同金额 {fmt_yuan(totals[contract])} "
                             f"不符 (各期: {cells}); 该合同按默认账期计算到期日", PLANNED_AMOUNT,
                             "请核对各期比例或金额, 合计须等于合同金额", fmt_yuan(planned)))
    return found


def out_of_range(frame: pd.DataFrame, f: Field) -> pd.Series:
    """Rows whose ``f`` (a field with ``between``) holds a number outside its range; blanks are not.

    >>> import pandas as pd
    >>> from neiqin_xl.core.schema import FEEDBACK
    >>> out_of_range(pd.DataFrame({"满意度": pd.array([5, None, 0, 6], dtype="Int64")}), FEEDBACK.field("满意度")).tolist()
    [False, False, True, True]
    """
    low, high = f.between
    values = frame[f.name]
    return (values.notna() & ((values < low) | (values > high))).fillna(False).astype(bool)


def check_ranges(tables: Tables, settings: Settings, run_date: date) -> list[Problem]:
    """A number outside its field's range (满意度 1–5): the row is kept, with a warning; the reports that read
    the field leave such a value out (``out_of_range``)."""
    found: list[Problem] = []
    columns = Columns(tables)
    for sheet_def, f, frame in rep_fields(tables, lambda f: f.between is not None):
        low, high = f.between
        for row in records(frame[out_of_range(frame, f)]):
            found.append(problem(row, columns, sheet_def, WARNING, f"应在 {low} 到 {high} 之间, 不计入统计", f.name,
                                 f"请填写 {low} 到 {high} 的整数"))
    return found


def check_quotes(tables: Tables, settings: Settings, run_date: date) -> list[Problem]:
    """报价 (issue 33): 折扣 must be above 0 and at most 100%, 税率 from 0 to below 100% (errors: the line would
    print a wrong amount); lines of one 报价单号 naming different customers (a warning: the 报价单 takes its first
    line's)."""
    frame = tables["报价"]
    if frame.empty:
        return []
    found: list[Problem] = []
    columns = Columns(tables)
    sheet_def = SHEETS["报价"]
    bad_discount = frame["折扣"].notna() & ((frame["折扣"] <= 0) | (frame["折扣"] > 1))
    for row in records(frame[bad_discount]):
        found.append(problem(row, columns, sheet_def, ERROR, "折扣应大于 0 且不超过 100%", "折扣",
                             "填成交价占单价的比例, 如 95% (九五折); 不打折可不填"))
    bad_rate = frame["税率"].notna() & ((frame["税率"] < 0) | (frame["税率"] >= 1))
    for row in records(frame[bad_rate]):
        found.append(problem(row, columns, sheet_def, ERROR, "税率应在 0 到 100% 之间", "税率", "如 13%; 不填按产品类别的税率"))
    customers = frame.groupby(QUOTE_NO)[CUSTOMER].transform("first")
    for row in records(frame[frame[CUSTOMER].notna() & (frame[CUSTOMER] != customers)]):
        found.append(problem(row, columns, sheet_def, WARNING, "同一报价单号的各行客户名称不同, 报价单按第一行的客户打印",
                             CUSTOMER, "一张报价单只对一个客户; 不同客户请用不同的报价单号"))
    return found


ROW_CHECKS: list[Check] = [check_required, check_amounts, check_future_dates, check_choices, check_duplicates,
                           check_ranges, check_quotes]
CROSS_CHECKS: list[Check] = [check_contract_refs, check_over_contract, check_unknown_customers, check_plans]


# ---------------------------------------------------------------- the stage

def validate(tables: Tables, settings: Settings, run_date: date) -> tuple[Tables, list[Problem]]:
    """Runs the checks, removes error rows and duplicate copies, enriches; returns the tables and problems."""
    problems: list[Problem] = []
    for check in ROW_CHECKS:
        problems.extend(check(tables, settings, run_date))
    tables = drop_duplicate_copies(remove_error_rows(tables, problems))
    for check in CROSS_CHECKS:
        problems.extend(check(tables, settings, run_date))
    tables = enrich(remove_error_rows(tables, problems))
    return tables, problems


def remove_error_rows(tables: Tables, problems: list[Problem]) -> Tables:
    """The tables without the rows an error points at (by workbook, sheet and Excel row)."""
    bad = {(p.workbook, p.sheet, p.row) for p in problems if p.severity == ERROR and p.row is not None}
    if not bad:
        return tables
    frames = {}
    for name, frame in tables.frames.items():
        if frame.empty:
            frames[name] = frame
            continue
        keys = zip(*(frame[c].to_numpy(dtype=object).tolist() for c in (SRC_WORKBOOK, SRC_SHEET, SRC_ROW)))
        keep = [k not in bad for k in keys]
        frames[name] = frame[keep].reset_index(drop=True) if not all(keep) else frame
    return Tables(frames=frames, inputs=list(tables.inputs))


def drop_duplicate_copies(tables: Tables) -> Tables:
    """Identical duplicate rows counted once: the first kept (``check_duplicates`` warned on the others)."""
    frames = {}
    for sheet_def in REP_SHEETS:
        frame = tables[sheet_def.name]
        identical, _ = duplicate_groups(frame, sheet_def)
        drop = {pos for group in identical for pos in group[1:]}
        if drop:
            frames[sheet_def.name] = frame[[i not in drop for i in range(len(frame))]].reset_index(drop=True)
    return tables.replace(**frames) if frames else tables


def enrich(tables: Tables) -> Tables:
    """客户名称 canonical; 发货 and 开票 get 客户名称 and 业务员 of their contract (the filler kept in 填报人)."""
    customers = CustomerIndex.from_archive(tables["客户"])
    frames: dict[str, pd.DataFrame] = {}
    for name in NAME_SHEETS:
        frame = tables[name]
        if not frame.empty and CUSTOMER in frame:
            frame = frame.copy()
            canonical = {n: customers.canonical(n) for n in frame[CUSTOMER].dropna().unique()}
            frame[CUSTOMER] = frame[CUSTOMER].map(canonical)
            frames[name] = frame.astype({CUSTOMER: "str"})
    contracts = frames.get("合同", tables["合同"]).drop_duplicates(CONTRACT_NO)
    by_contract = contracts.set_index(CONTRACT_NO)[[CUSTOMER, REP]] if len(contracts) else None
    for name in ("发货", "开票"):
        frame = tables[name].copy()
        frame[FILLER] = frame[REP]
        if by_contract is not None and len(frame):
            customer = frame[CONTRACT_NO].map(by_contract[CUSTOMER])
            rep = frame[CONTRACT_NO].map(by_contract[REP])
            frame[CUSTOMER] = customer.astype("str")
            frame[REP] = rep.fillna(frame[REP]).astype("str")
        else:
            frame[CUSTOMER] = pd.Series([None] * len(frame), dtype="str", index=frame.index)
        frames[name] = frame.astype({FILLER: "str"})
    return tables.replace(**frames)
