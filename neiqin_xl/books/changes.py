"""What the reps changed since the last official run, and the months whose commission is closed.

Its place in the process: after ``read workbooks`` and before the reports. The pipeline reads back, from the
input history (input_history.py), the rep workbooks whose bytes differ from the last official run's, and
``compare`` lines their rows up with today's; the result (``Changes``) reaches the reports through the
``RunContext``: the 变更记录 lays it out, the 提成计算表 names the change behind an adjustment, the 日报's
今日要点 counts it.

How rows are lined up, per workbook and sheet (the row number plays no part, so re-sorting or inserting rows
is no change):
- a row with a document key (合同编号, 发货单号, 发票号码, 银行流水号) is the same row as the one with that key
  (the n-th row with a key repeated in the workbook with the n-th); a field that differs is one 修改, a key
  only then is 删除, only now 新增;
- a row without a key (日报, 费用, or the key left blank) is identified by its whole content: a row whose
  content is found unchanged is no change; otherwise the old content is 删除 and the new one 新增.
A change reaches into the past when the row's date (before or after the change) lies in a month before the
run date's: marked 往月 <month>, and 已结账 <month> when that month's commission is closed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date

import pandas as pd

from ..core.model import REP, SRC_ROW, SRC_SHEET, SRC_WORKBOOK, Tables, fmt_yuan
from ..core.schema import (BANK_REF, CONTRACT_NO, DATE, INVOICE_NO, MONEY, QUOTE_NO, REP_SHEETS, SHIPMENT_NO, TEXT,
                           SheetDef)
from ..core.sheets import Col

KEYS = {"合同": CONTRACT_NO, "发货": SHIPMENT_NO, "开票": INVOICE_NO, "回款": BANK_REF, "报价": QUOTE_NO}
ADDED, DELETED, MODIFIED = "新增", "删除", "修改"
COLUMNS = (REP, "工作簿", "工作表", "现行号", "原行号", "单据", "字段", "原值", "新值", "类型", "日期", "月份", "标记")
CLOSED_MARK, PAST_MARK = "已结账", "往月"
# a closed month's 补提 / 扣回 line, as the 提成计算表 (提成调整) and the 变更记录 (已结账月份差额) show it
ADJUSTMENT_COLUMNS = [Col(REP), Col("所属月份"), Col("类型"), Col("已发提成", MONEY), Col("重算提成", MONEY),
                      Col("调整金额", MONEY), Col("原因", TEXT, width=60)]


@dataclass(frozen=True)
class ClosedMonth:
    """A month whose commission was paid (``run_daily.py close``): the figures paid per rep, in fen."""

    month: str  # YYYY-MM
    closed_at: str
    paid: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Changes:
    """The changes since the last official run (``compare``'s frame, ``COLUMNS``)."""

    since: date  # the run date of the last official run
    frame: pd.DataFrame
    workbooks: tuple[str, ...] = ()  # the rep workbooks whose bytes differ (the only ones compared)

    @property
    def marked(self) -> pd.DataFrame:
        return self.frame[self.frame["标记"] != ""]


def shown(value: object, kind: str) -> str:
    """A cell as the 变更记录 shows it: money in yuan, a date as YYYY-MM-DD, blank as "".

    >>> shown(123450, "money"), shown(pd.Timestamp("2026-11-03"), "date"), shown(None, "text"), shown(2.0, "number")
    ('1,234.50', '2026-11-03', '', '2')
    """
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    if kind == MONEY:
        return fmt_yuan(int(value))
    if kind == DATE:
        return pd.Timestamp(value).date().isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


@dataclass(frozen=True)
class _Row:
    number: int
    rep: str
    sheet: str
    values: tuple[str, ...]


def _rows(frame: pd.DataFrame, sheet_def: SheetDef, workbook: str) -> list[_Row]:
    mine = frame[frame[SRC_WORKBOOK] == workbook]
    columns = [[shown(v, f.kind) for v in mine[f.name]] if f.name in mine else [""] * len(mine)
               for f in sheet_def.fields]
    return [_Row(int(n), str(rep), str(sheet), tuple(values))
            for n, rep, sheet, *values in zip(mine[SRC_ROW], mine[REP], mine[SRC_SHEET], *columns)]


def _summary(sheet_def: SheetDef, values: tuple[str, ...]) -> str:
    return "；".join(f"{f.name} {v}" for f, v in zip(sheet_def.fields, values) if v)


def compare_sheet(sheet_def: SheetDef, before: list[_Row], now: list[_Row]) -> list[dict]:
    """One workbook's sheet: the changes from ``before`` to ``now`` (see the module for the rules)."""
    names = [f.name for f in sheet_def.fields]
    key = names.index(KEYS[sheet_def.name]) if sheet_def.name in KEYS else None
    date_at = next(i for i, f in enumerate(sheet_def.fields) if f.kind == DATE)

    def pools(rows: list[_Row]) -> tuple[dict, dict]:
        keyed: dict[tuple[str, int], _Row] = {}  # (key, its n-th row with that key) -> the row
        loose: dict[tuple[str, ...], list[_Row]] = {}
        repeats: dict[str, int] = {}
        for row in rows:
            if key is not None and row.values[key]:
                n = repeats[row.values[key]] = repeats.get(row.values[key], -1) + 1
                keyed[(row.values[key], n)] = row
            else:
                loose.setdefault(row.values, []).append(row)
        return keyed, loose

    def change(kind: str, old: _Row | None, new: _Row | None, field_at: int | None = None) -> dict:
        row = new or old
        document = (f"{names[key]} {row.values[key]}" if key is not None and row.values[key]
                    else f"{sheet_def.name} 第{row.number}行")
        if field_at is None:
            before_text, after_text = (_summary(sheet_def, old.values) if old else ""), \
                                      (_summary(sheet_def, new.values) if new else "")
        else:
            before_text, after_text = old.values[field_at], new.values[field_at]
        dates = {r.values[date_at] for r in (old, new) if r is not None and r.values[date_at]}
        return {REP: row.rep, "工作簿": "", "工作表": row.sheet, "现行号": new.number if new else None,
                "原行号": old.number if old else None, "单据": document,
                "字段": names[field_at] if field_at is not None else "", "原值": before_text, "新值": after_text,
                "类型": kind, "日期": row.values[date_at], "月份": "、".join(sorted({d[:7] for d in dates}))}

    keyed_before, loose_before = pools(before)
    keyed_now, loose_now = pools(now)
    found: list[dict] = []
    for k in [*keyed_before, *(k for k in keyed_now if k not in keyed_before)]:
        old, new = keyed_before.get(k), keyed_now.get(k)
        if old is None or new is None:
            found.append(change(ADDED if old is None else DELETED, old, new))
            continue
        found += [change(MODIFIED, old, new, i) for i, (a, b) in enumerate(zip(old.values, new.values)) if a != b]
    for content in [*loose_before, *(c for c in loose_now if c not in loose_before)]:
        old_rows, new_rows = loose_before.get(content, []), loose_now.get(content, [])
        found += [change(DELETED, r, None) for r in old_rows[len(new_rows):]]
        found += [change(ADDED, None, r) for r in new_rows[len(old_rows):]]
    return found


def compare(before: Tables, now: Tables, workbooks: Iterable[str], run_date: date,
            closed: Iterable[str] = ()) -> pd.DataFrame:
    """Every change in the rep sheets of ``workbooks`` from ``before`` (the last official run's rows) to
    ``now``, one row per changed field (修改) or per row (新增, 删除), marked when it reaches into the past."""
    found: list[dict] = []
    for workbook in sorted(workbooks):
        for sheet_def in REP_SHEETS:
            changes = compare_sheet(sheet_def, _rows(before[sheet_def.name], sheet_def, workbook),
                                    _rows(now[sheet_def.name], sheet_def, workbook))
            found += [{**c, "工作簿": workbook} for c in changes]
    frame = pd.DataFrame(found, columns=[c for c in COLUMNS if c != "标记"])
    frame["标记"] = pd.Series([mark(m, run_date, set(closed)) for m in frame["月份"]], index=frame.index, dtype="object")
    rows = ("现行号", "原行号")
    return frame.astype({c: "Int64" if c in rows else "str" for c in COLUMNS})


def mark(months: str, run_date: date, closed: set[str]) -> str:
    """The mark of a change whose row is dated in ``months`` (、-joined YYYY-MM): 已结账 before 往月.

    >>> mark("2026-11、2026-12", date(2026, 12, 2), {"2026-11"}), mark("2026-10", date(2026, 12, 2), set())
    ('已结账 2026-11', '往月 2026-10')
    >>> mark("2026-12", date(2026, 12, 2), set()), mark("", date(2026, 12, 2), set())
    ('', '')
    """
    listed = [m for m in months.split("、") if m]
    hit = [m for m in listed if m in closed]
    if hit:
        return f"{CLOSED_MARK} {hit[0]}"
    past = [m for m in listed if m < f"{run_date:%Y-%m}"]
    return f"{PAST_MARK} {past[0]}" if past else ""


def count_line(changes: Changes) -> str:
    """One line for the 日报's 今日要点: how many changes since the last official run, and how many reach
    into the past."""
    frame = changes.frame
    counts = "，".join(f"{kind} {int((frame['类型'] == kind).sum())} 处" for kind in (MODIFIED, ADDED, DELETED))
    past = int(frame["标记"].str.startswith(PAST_MARK).sum())
    closed = int(frame["标记"].str.startswith(CLOSED_MARK).sum())
    return (f"自 {changes.since} 正式运行以来台账变更：{counts}；其中涉及往月 {past} 处、已结账月份 {closed} 处"
            f"（见 变更记录）")


def describe(row: Mapping) -> str:
    """One change in a few words, for the 提成计算表's adjustment lines."""
    where = f"{row['工作簿']}[{row['工作表']}] {row['单据']}"
    if row["类型"] == MODIFIED:
        return f"{where} {row['字段']} {row['原值'] or '(空)'}→{row['新值'] or '(空)'}"
    return f"{where} {row['类型']}"


def new_documents(changes: Changes | None, frame: pd.DataFrame, sheet: str, date_column: str, run_date: date,
                  days: int, kinds: tuple[str, ...] = (ADDED,)) -> set[str]:
    """The documents of ``frame`` (the ``sheet``'s key, ``KEYS``) first seen in this run: with an earlier
    official run, those the comparison found as ``kinds`` (新增; add 修改 and 删除 for "new or changed"); with
    none (``changes`` None), those dated (``date_column``) within ``days`` days before the run date, the run
    date included. Only documents still in ``frame`` are returned.

    >>> f = pd.DataFrame({"报价单号": ["Q1", "Q2"], "报价日期": pd.to_datetime(["2026-12-01", "2026-11-20"])})
    >>> sorted(new_documents(None, f, "报价", "报价日期", date(2026, 12, 7), 7))
    ['Q1']
    """
    key = KEYS[sheet]
    present = set(frame[key].dropna().astype(str))
    if changes is None:
        recent = frame[frame[date_column] >= pd.Timestamp(run_date) - pd.Timedelta(days=days)]
        return set(recent[key].dropna().astype(str))
    prefix = f"{key} "
    hit = changes.frame[changes.frame["类型"].isin(kinds) & changes.frame["单据"].str.startswith(prefix)]
    return {d[len(prefix):] for d in hit["单据"]} & present
