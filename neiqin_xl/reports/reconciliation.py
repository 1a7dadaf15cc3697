"""财务对账: the month-end reconciliation of the sales side's books with finance's exports.

Runs after the receivables and the commission, near the end of the clerk's day. For a month M (YYYY-MM) it
compares, line by line,
- the reps' 回款 dated in M with finance's 财务收款 of M, and
- the reps' 开票 dated in M with finance's 财务开票 of M,
and per customer the sales side's 应收余额 at the end of M with finance's 应收余额 of M.

Each line is used at most once; the levels are tried in order:
1. the same reference: 银行流水号 (collections) or 发票号码 (invoices). The same reference with a different
   amount is an amount mismatch (金额不符): both lines are used up and the difference is listed;
2. the same customer, the same amount to the fen, dates at most ``reconciliation.date_window_days`` apart
   (closest date first). Finance's names are resolved through the archive (aliases, 有限公司 and brackets
   ignored) and, for a name the archive does not hold on both sides, a fuzzy match of the match keys
   (``rapidfuzz`` ratio ≥ ``reconciliation.fuzzy_threshold``; the score is shown, 名称近似 0.96);
3. one line equal to the sum of 2..``max_combination`` lines of the other side, same customer, each within the
   date window (a bounded subset-sum over the 12 closest candidates);
whatever is left is a difference: 销售有财务无 or 财务有销售无.

The sales 应收余额 of a customer at month end ME is Σ item 金额 dated ≤ ME − Σ 回款金额 dated ≤ ME (items are
the allocation's shipments or invoices, ``receivables.basis``). Differences are sales side − finance side.

Finance exports are defended here too: a row whose 客户名称, 摘要 or 凭证号 reads as a total (合计, 小计, 总计,
本月合计, 本年累计 …) or that has no 客户名称 is skipped and counted, never matched; so is a finance line
of amount 0 (a debit row of a ledger export whose 贷方 is empty).

A month runs when the run date is in it, or in the first ``days_into_next_month`` days of the next month,
and a finance export for it exists; ``ctx.options.month`` forces one. A missing export is said in the
workbook and in the figures, and what is there is reconciled.
"""

from __future__ import annotations

import calendar
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
from rapidfuzz import fuzz, process

from ..books.allocation import build_items
from ..core.columns import each_once, pick, position_of, sources, text_values
from ..core.config import Settings
from ..core.context import Delivery, ReportOutput, RunContext
from ..core.model import REP, WARNING, Problem, Tables, text
from ..core.names import CustomerIndex, match_key, normalize_name
from ..core.sheets import DATE, INT, MONEY, Col, Highlight, Sheet, Table, WorkbookSpec

COLLECTION = "回款"
INVOICE = "开票"
FINANCE_SHEETS = ("财务收款", "财务开票", "应收余额")
CONSISTENT = "一致"
DIFFERENT = "有差异"
CANDIDATE_CAP = 12  # level 3 looks at most at this many lines of the other side per line

_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
_MONTH_IN_TEXT = re.compile(r"(\d{4})[-_.年]?(0[1-9]|1[0-2])")
_TOTAL_WORDS = "合计|小计|总计|累计"
_TOTAL_START = re.compile(rf"^[\W_]*(本月|本年|本期|本季|全年)?({_TOTAL_WORDS})")
_TOTAL_END = re.compile(rf"({_TOTAL_WORDS})[\W_]*$")
_TOTAL_ANYWHERE = re.compile(r"(本月|本年|本期|本季)(合计|累计|小计)")

# how each side of each kind reads: (date, amount, reference, voucher) columns
_SIDES = {
    (COLLECTION, "sales"): ("回款日期", "回款金额", "银行流水号", "银行流水号"),
    (COLLECTION, "finance"): ("日期", "金额", "银行流水号", "凭证号"),
    (INVOICE, "sales"): ("开票日期", "开票金额", "发票号码", "发票号码"),
    (INVOICE, "finance"): ("开票日期", "金额", "发票号码", "发票号码"),
}
_REFERENCE = {COLLECTION: "流水号", INVOICE: "发票号"}
_FINANCE_SHEET = {COLLECTION: "财务收款", INVOICE: "财务开票"}
_SALES_SHEET = {COLLECTION: "回款", INVOICE: "开票"}

SUMMARY_COLUMNS = [Col("客户名称"), Col("业务员"), Col("销售回款", MONEY), Col("财务收款", MONEY), Col("回款差额", MONEY),
                   Col("销售开票", MONEY), Col("财务开票", MONEY), Col("开票差额", MONEY), Col("销售应收余额", MONEY),
                   Col("财务应收余额", MONEY), Col("余额差额", MONEY), Col("状态")]
MATCHED_COLUMNS = [Col("类型"), Col("匹配组", INT, total=False), Col("匹配级别", INT, total=False), Col("说明"),
                   Col("销售日期", DATE), Col("销售客户"), Col("销售金额", MONEY), Col("销售单据号"), Col("销售来源"),
                   Col("财务日期", DATE), Col("财务客户"), Col("财务金额", MONEY), Col("财务凭证号/发票号"),
                   Col("财务来源")]
SALES_ONLY_COLUMNS = [Col("类型"), Col("日期", DATE), Col("客户名称"), Col("业务员"), Col("金额", MONEY), Col("单据号"),
                      Col("合同编号"), Col("来源")]
FINANCE_ONLY_COLUMNS = [Col("类型"), Col("日期", DATE), Col("客户名称"), Col("对应客户"), Col("金额", MONEY),
                        Col("凭证号/发票号"), Col("银行流水号"), Col("摘要"), Col("来源")]
MISMATCH_COLUMNS = [Col("类型"), Col("单据号"), Col("销售日期", DATE), Col("销售客户"), Col("销售金额", MONEY),
                    Col("销售来源"), Col("财务日期", DATE), Col("财务客户"), Col("财务金额", MONEY),
                    Col("财务凭证号/发票号"), Col("差额", MONEY)]


# ---------------------------------------------------------------- results

@dataclass(frozen=True)
class Match:
    """Lines of both sides taken as one: ``sales`` and ``finance`` are positions in the prepared lines."""

    level: int  # 1 reference, 2 customer + amount + date, 3 combination
    note: str  # 流水号一致 / 金额日期一致 / 名称近似 0.96 / 合并 3 笔
    sales: tuple[int, ...]
    finance: tuple[int, ...]


@dataclass
class MatchResult:
    """One kind (回款 or 开票) of one month: the prepared lines and how they were matched."""

    kind: str
    sales: pd.DataFrame  # prepared lines (see ``prepare_lines``)
    finance: pd.DataFrame
    matches: list[Match] = field(default_factory=list)
    mismatches: list[tuple[int, int]] = field(default_factory=list)  # same reference, different amount

    def used(self, side: str) -> set[int]:
        """Positions of ``side`` ("sales" / "finance") matched or mismatched."""
        taken = {i for m in self.matches for i in getattr(m, side)}
        return taken | {pair[0 if side == "sales" else 1] for pair in self.mismatches}

    def unmatched(self, side: str) -> pd.DataFrame:
        lines = getattr(self, side)
        used = self.used(side)
        return lines[np.array([i not in used for i in range(len(lines))], dtype=bool)]  # [[]] would pick no columns

    def level_counts(self) -> dict[str, int]:
        counts = {"1": 0, "2": 0, "3": 0}
        for m in self.matches:
            counts[str(m.level)] += 1
        return counts


@dataclass(frozen=True)
class ReconciliationData:
    """The report's ``data``: the months reconciled in this run (none on most days), by YYYY-MM."""

    months: dict[str, MonthReconciliation]


@dataclass
class MonthReconciliation:
    month: str
    summary: pd.DataFrame  # one row per customer, SUMMARY_COLUMNS
    collections: MatchResult | None  # None when 财务收款 is missing
    invoices: MatchResult | None  # None when 财务开票 is missing
    missing: list[str]  # finance exports not found for the month
    skipped_total_rows: int  # finance rows recognised as totals / blank customer, never matched
    skipped_zero_rows: int  # finance lines of amount 0


# ---------------------------------------------------------------- months

def parse_month(text: object) -> str | None:
    """'2026-11' -> '2026-11'; anything else -> None."""
    value = str(text or "").strip()
    return value if _MONTH.match(value) else None


def month_bounds(month: str) -> tuple[date, date]:
    """'2026-11' -> (2026-11-01, 2026-11-30)."""
    year, mon = int(month[:4]), int(month[5:7])
    return date(year, mon, 1), date(year, mon, calendar.monthrange(year, mon)[1])


def previous_month(month: str) -> str:
    year, mon = int(month[:4]), int(month[5:7])
    return f"{year - 1}-12" if mon == 1 else f"{year}-{mon - 1:02d}"


def months_due(run_date: date, finance_months: set[str] | list[str], forced: str | None = None,
               days_into_next_month: int = 10) -> list[str]:
    """The months to reconcile on ``run_date``.

    ``forced`` (YYYY-MM) wins. Otherwise the run date's month and, in the first ``days_into_next_month``
    days of a month, the month before; each only when finance has an export for it.
    """
    if forced:
        return [forced]
    current = f"{run_date:%Y-%m}"
    candidates = [current]
    if run_date.day <= days_into_next_month:
        candidates.insert(0, previous_month(current))
    return [m for m in candidates if m in set(finance_months)]


def months_of(frame: pd.DataFrame, date_column: str | None = None) -> pd.Series:
    """The 月份 of each finance row: its 月份 column, else the month of its date."""
    month = frame["月份"].astype("str") if "月份" in frame else pd.Series([""] * len(frame), index=frame.index)
    valid = each_once(lambda m: parse_month(m) is not None, month).astype(bool)
    month = month.where(valid, "")
    if date_column and date_column in frame:
        days = pd.to_datetime(frame[date_column], errors="coerce")
        from_date = pd.Series(each_once(_month_label, days), index=frame.index)
        month = month.where(month != "", from_date)
    return month


def _month_label(day: pd.Timestamp) -> str:
    return "" if pd.isna(day) else f"{day:%Y-%m}"


_DATE_OF = {"财务收款": "日期", "财务开票": "开票日期", "应收余额": None}


def finance_months(tables: Tables) -> set[str]:
    """Every month some finance export has rows for, or names in a file read (财务收款_2026-11.xlsx)."""
    months: set[str] = set()
    for sheet in FINANCE_SHEETS:
        frame = tables[sheet]
        months |= {m for m in months_of(frame, _DATE_OF[sheet]) if m}
    for entry in tables.inputs:
        sheet, month = export_of_file(entry)
        if sheet and month:
            months.add(month)
    return months


def export_of_file(entry: dict) -> tuple[str | None, str | None]:
    """(finance sheet, month) named by an input file such as 财务收款_2026-11.xlsx; (None, None) otherwise."""
    if str(entry.get("status", "ok")) != "ok":  # an unreadable or skipped file is no export
        return None, None
    stem = Path(str(entry.get("path", ""))).stem
    for sheet in FINANCE_SHEETS:
        if stem.startswith(sheet):
            found = _MONTH_IN_TEXT.search(stem[len(sheet):])
            return sheet, f"{found.group(1)}-{found.group(2)}" if found else None
    return None, None


def export_present(tables: Tables, sheet: str, month: str) -> bool:
    """Finance gave ``sheet`` for ``month``: rows of that month, or a file named for it (perhaps empty)."""
    if (months_of(tables[sheet], _DATE_OF[sheet]) == month).any():
        return True
    return any(export_of_file(entry) == (sheet, month) for entry in tables.inputs)


# ---------------------------------------------------------------- finance total rows

def is_total_text(value: object) -> bool:
    """'合计', '本月合计', '小计：上海明达', '上海明达 小计', '本年累计' read as totals; '联合计算机有限公司' does not."""
    text = normalize_name(value).replace(" ", "")
    if not text:
        return False
    return bool(_TOTAL_START.search(text) or _TOTAL_END.search(text) or _TOTAL_ANYWHERE.search(text))


def drop_total_rows(frame: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """Finance rows without 合计/小计/本月合计/本年累计 text and with a 客户名称, and how many were dropped."""
    if frame.empty:
        return frame, 0
    total = pd.Series(False, index=frame.index)
    for column in ("客户名称", "摘要", "凭证号"):
        if column in frame:
            total |= frame[column].map(is_total_text)
    blank_customer = (frame["客户名称"].map(lambda v: normalize_name(v) == "") if "客户名称" in frame
                      else pd.Series(False, index=frame.index))
    drop = total | blank_customer
    return frame[~drop], int(drop.sum())


# ---------------------------------------------------------------- names

def resolve_names(sales_names: list[str], finance_names: list[str], customers: CustomerIndex,
                  threshold: int) -> dict[str, tuple[str, float | None]]:
    """Finance name -> (the customer it is on the sales side, fuzzy score 0..1 or None when exact).

    Exact: the archive (canonical name, aliases, match key without 有限公司 and brackets), or the same match
    key as a sales name. Otherwise the sales name with the best rapidfuzz ratio of match keys, when it is
    ≥ ``threshold``, unique, and not between two different customers both in the archive.
    """
    sales_by_key: dict[str, str] = {}
    for name in sales_names:
        canon = customers.canonical(name)
        if canon:
            sales_by_key.setdefault(match_key(canon), canon)
    keys = list(sales_by_key)
    known = [customers.resolve(sales_by_key[k]) is not None for k in keys]
    resolved: dict[str, tuple[str, float | None]] = {}
    for name in dict.fromkeys(finance_names):
        canon = customers.canonical(name)
        key = match_key(canon)
        if not canon or key in sales_by_key or not keys:
            resolved[name] = (sales_by_key.get(key, canon), None)
            continue
        in_archive = customers.resolve(name) is not None
        choices = [k for k, k_known in zip(keys, known) if not (in_archive and k_known)]
        best = process.extract(key, choices, scorer=fuzz.ratio, score_cutoff=threshold, limit=2)
        if best and (len(best) == 1 or best[0][1] > best[1][1]):
            resolved[name] = (sales_by_key[best[0][0]], round(best[0][1] / 100, 2))
        else:
            resolved[name] = (canon, None)
    return resolved


# ---------------------------------------------------------------- lines

def _text(value: object) -> str:
    return text(value).strip()


def _texts(frame: pd.DataFrame, column: str) -> np.ndarray:
    """``_text`` of every cell of a column ("" for a column not there)."""
    return np.array([v.strip() for v in text_values(frame, column)], dtype=object)


def _fen(value: object) -> int:
    return 0 if _text(value) == "" else int(value)


def _fens(frame: pd.DataFrame, column: str) -> np.ndarray:
    """``_fen`` of every cell of a column (0 for a column not there)."""
    if column not in frame:
        return np.zeros(len(frame), dtype="int64")
    values = frame[column]
    if isinstance(values.dtype, np.dtype) and values.dtype.kind in "iu":
        return values.to_numpy(dtype="int64")
    return np.array([_fen(v) for v in values.to_numpy(dtype=object)], dtype="int64")


def normalize_reference(value: object) -> str:
    """A bank reference or invoice number as compared: no spaces or hyphens, upper case, leading zeros
    dropped (a number typed in Excel loses them)."""
    text = re.sub(r"[\s\-]", "", normalize_name(value)).upper()
    return text.lstrip("0") or text


def _dates(frame: pd.DataFrame, column: str) -> pd.Series:
    """A date column as Timestamps (NaT for blanks and for a column not there)."""
    if column not in frame:
        return pd.Series(pd.NaT, index=frame.index, dtype="datetime64[us]")
    values = frame[column]
    if values.dtype.kind == "M":
        return values
    return pd.Series([pd.Timestamp(v) if not pd.isna(v) else pd.NaT for v in values], index=frame.index)


def day_numbers(days: pd.Series) -> np.ndarray:
    """``Timestamp.toordinal()`` of every date, 0 for a blank."""
    ordinals = days.to_numpy(dtype="datetime64[D]").astype("int64") + date(1970, 1, 1).toordinal()
    return np.where(days.notna().to_numpy(), ordinals, 0)


def _records(frame: pd.DataFrame) -> list[dict]:
    """``frame.to_dict("records")``, column by column (the same values, much faster on a large frame)."""
    names = list(frame.columns)
    columns = [frame[c].to_numpy(dtype=object) for c in names]
    return [dict(zip(names, row)) for row in zip(*columns)]


class _Rows:
    """The rows of a frame by position, each a dict as in ``_records``, built only when one is asked for."""

    def __init__(self, frame: pd.DataFrame):
        self._names = list(frame.columns)
        self._columns = [frame[c].to_numpy(dtype=object) for c in self._names]

    def __getitem__(self, position: int) -> dict:
        return dict(zip(self._names, (column[position] for column in self._columns)))


LINE_COLUMNS = ["日期", "天", "客户名称", "客户", "名称近似", "金额", "单据号", "参考", "凭证号", "业务员", "合同编号",
                "摘要", "来源"]


def prepare_lines(frame: pd.DataFrame, kind: str, side: str,
                  names: dict[str, tuple[str, float | None]] | None = None,
                  customers: CustomerIndex | None = None) -> pd.DataFrame:
    """One side's rows as comparable lines: 日期, 天 (day number), 客户名称 (as written), 客户 (the customer
    on the sales side), 名称近似 (fuzzy score or None), 金额 (fen), 单据号, 参考 (normalised reference),
    凭证号, 业务员, 合同编号, 摘要, 来源."""
    day_col, amount_col, ref_col, voucher_col = _SIDES[(kind, side)]
    written = (each_once(normalize_name, frame["客户名称"]) if "客户名称" in frame
               else np.full(len(frame), "", dtype=object))

    def customer_of(name: str) -> tuple[str, float | None]:
        customer, score = (names or {}).get(name, (None, None))
        if customer is None:
            customer = customers.canonical(name) if customers is not None else name
        return customer, score

    resolved = {name: customer_of(name) for name in dict.fromkeys(written)}
    days = _dates(frame, day_col)
    refs = frame[ref_col].to_numpy(dtype=object) if ref_col in frame else np.full(len(frame), None, dtype=object)
    lines = pd.DataFrame({
        "日期": days.to_numpy(), "天": day_numbers(days), "客户名称": written,
        "客户": [resolved[name][0] for name in written], "名称近似": [resolved[name][1] for name in written],
        "金额": _fens(frame, amount_col), "单据号": _texts(frame, ref_col),
        "参考": [normalize_reference(r) for r in refs], "凭证号": _texts(frame, voucher_col),
        "业务员": _texts(frame, REP), "合同编号": _texts(frame, "合同编号"), "摘要": _texts(frame, "摘要"),
        "来源": sources(frame)}, columns=LINE_COLUMNS)
    return lines.astype({"金额": "int64", "天": "int64"}).reset_index(drop=True)


# ---------------------------------------------------------------- matching

def match_by_reference(sales: list[dict], finance: list[dict], free_s: set[int], free_f: set[int]
                       ) -> tuple[list[tuple[tuple[int, ...], tuple[int, ...]]], list[tuple[int, int]]]:
    """Level 1: lines with the same reference. Equal amounts pair up; what is left of a reference matches as a
    group when both sides sum to the same amount (one receipt booked in parts), else pairs up as amount
    mismatches (金额不符). Returns (matched groups, mismatched pairs)."""
    by_ref: dict[str, list[int]] = defaultdict(list)
    for i in sorted(free_s, key=lambda i: (sales[i]["天"], i)):
        if sales[i]["参考"]:
            by_ref[sales[i]["参考"]].append(i)
    groups: list[tuple[tuple[int, ...], tuple[int, ...]]] = []
    waiting: dict[str, list[int]] = defaultdict(list)
    for j in sorted(free_f, key=lambda j: (finance[j]["天"], j)):
        candidates = by_ref.get(finance[j]["参考"]) if finance[j]["参考"] else None
        if not candidates:
            continue
        same = next((i for i in candidates if sales[i]["金额"] == finance[j]["金额"]), None)
        if same is not None:
            candidates.remove(same)
            groups.append(((same,), (j,)))
        else:
            waiting[finance[j]["参考"]].append(j)
    mismatches = []
    for ref, js in waiting.items():
        left = by_ref[ref]
        if not left:
            continue
        if len(left) + len(js) > 2 and sum(sales[i]["金额"] for i in left) == sum(finance[j]["金额"] for j in js):
            groups.append((tuple(left), tuple(js)))
        else:
            mismatches += list(zip(left, js))
    for s_part, f_part in groups:
        free_s.difference_update(s_part)
        free_f.difference_update(f_part)
    for i, j in mismatches:
        free_s.discard(i)
        free_f.discard(j)
    return groups, mismatches


def match_by_amount(sales: list[dict], finance: list[dict], free_s: set[int], free_f: set[int],
                    window: int) -> list[tuple[int, int]]:
    """Level 2: same customer, same amount, dates at most ``window`` days apart; closest dates first."""
    groups: dict[tuple[str, int], list[int]] = defaultdict(list)
    for i in free_s:
        groups[(sales[i]["客户"], sales[i]["金额"])].append(i)
    candidates = []
    for j in free_f:
        for i in groups.get((finance[j]["客户"], finance[j]["金额"]), ()):
            gap = abs(sales[i]["天"] - finance[j]["天"])
            if gap <= window:
                candidates.append((gap, finance[j]["天"], sales[i]["天"], j, i))
    pairs = []
    for _, _, _, j, i in sorted(candidates):
        if i in free_s and j in free_f:
            free_s.discard(i)
            free_f.discard(j)
            pairs.append((i, j))
    return pairs


def find_combination(amounts: list[int], target: int, max_size: int) -> tuple[int, ...] | None:
    """Positions of 2..``max_size`` amounts (all > 0) summing exactly to ``target``, fewest lines first;
    None when there is none. A depth-first search over the amounts in descending order, cut off as soon as
    the largest (smallest) amounts left cannot reach (would overshoot) what remains."""
    order = sorted(range(len(amounts)), key=lambda k: (-amounts[k], k))
    values = [amounts[k] for k in order]
    for size in range(2, min(max_size, len(values)) + 1):
        if sum(values[-size:]) > target:
            break
        if sum(values[:size]) < target:
            continue
        found = _search(values, target, size, 0, ())
        if found:
            return tuple(sorted(order[k] for k in found))
    return None


def _search(values: list[int], remaining: int, left: int, start: int, chosen: tuple[int, ...]
            ) -> tuple[int, ...] | None:
    """``left`` positions from ``start`` on of ``values`` (descending) summing to ``remaining``."""
    if left == 0:
        return chosen if remaining == 0 else None
    n = len(values)
    smallest_rest = sum(values[n - left + 1:]) if left > 1 else 0
    for k in range(start, n - left + 1):
        if sum(values[k:k + left]) < remaining:  # the largest picks left fall short; later ones are smaller
            return None
        if values[k] + smallest_rest > remaining:  # even with the smallest others this one overshoots
            continue
        found = _search(values, remaining - values[k], left - 1, k + 1, chosen + (k,))
        if found:
            return found
    return None


def closest_lines(by_day: dict[int, list[int]], lines: list[dict], free: set[int], day: int, below: int,
                  window: int, cap: int) -> list[int]:
    """Up to ``cap`` free lines of one customer with an amount in (0, ``below``), dated at most ``window`` days
    from ``day``, the closest dates first."""
    found: list[int] = []
    for gap in range(window + 1):
        for d in ((day,) if gap == 0 else (day - gap, day + gap)):
            for k in by_day.get(d, ()):
                if k in free and lines[k]["金额"] < below:
                    found.append(k)
                    if len(found) == cap:
                        return found
    return found


def match_combinations(ones: list[dict], many: list[dict], free_one: set[int], free_many: set[int], window: int,
                       max_size: int, cap: int = CANDIDATE_CAP) -> list[tuple[int, tuple[int, ...]]]:
    """Level 3: a line of ``ones`` equal to the sum of several lines of ``many`` (same customer, each within
    the date window, among the ``cap`` closest). Returns (one, (many, ...)) groups."""
    by_customer: dict[str, dict[int, list[int]]] = defaultdict(lambda: defaultdict(list))
    for k in sorted(free_many):
        if many[k]["金额"] > 0:
            by_customer[many[k]["客户"]][many[k]["天"]].append(k)
    groups = []
    for o in sorted(free_one, key=lambda o: (ones[o]["天"], o)):
        line = ones[o]
        if line["金额"] <= 0 or line["客户"] not in by_customer:
            continue
        near = closest_lines(by_customer[line["客户"]], many, free_many, line["天"], line["金额"], window, cap)
        if len(near) < 2:
            continue
        found = find_combination([many[k]["金额"] for k in near], line["金额"], max_size)
        if found:
            parts = tuple(sorted((near[p] for p in found), key=lambda k: (many[k]["天"], k)))
            free_one.discard(o)
            free_many.difference_update(parts)
            groups.append((o, parts))
    return groups


def _name_note(finance: list[dict], js: tuple[int, ...]) -> str:
    scores = [finance[j]["名称近似"] for j in js if pd.notna(finance[j]["名称近似"])]  # NaN in a float column: none
    return f"名称近似 {min(scores):.2f}" if scores else ""


def match_lines(sales: pd.DataFrame, finance: pd.DataFrame, kind: str, settings: Settings,
                customers: CustomerIndex, names: dict[str, tuple[str, float | None]] | None = None) -> MatchResult:
    """Matches one month's sales rows (回款 or 开票 as read) with finance's rows of the same kind, by the three
    levels. ``names`` maps finance names to sales customers (``resolve_names``); built here when None."""
    rec = settings.reconciliation
    if names is None:
        names = resolve_names(list(sales["客户名称"].map(normalize_name)) if "客户名称" in sales else [],
                              list(finance["客户名称"].map(normalize_name)) if "客户名称" in finance else [],
                              customers, rec.fuzzy_threshold)
    s_lines = prepare_lines(sales, kind, "sales", customers=customers)
    f_lines = prepare_lines(finance, kind, "finance", names=names, customers=customers)
    s, f = _records(s_lines), _records(f_lines)
    free_s, free_f = set(range(len(s))), set(range(len(f)))
    result = MatchResult(kind, s_lines, f_lines)

    groups, result.mismatches = match_by_reference(s, f, free_s, free_f)
    for s_part, f_part in groups:
        parts = max(len(s_part), len(f_part))
        note = f"{_REFERENCE[kind]}一致" + (f"，合并 {parts} 笔" if parts > 1 else "")
        if {s[i]["客户"] for i in s_part} != {f[j]["客户"] for j in f_part}:
            note += "，客户不同"
        result.matches.append(Match(1, note, s_part, f_part))
    for i, j in match_by_amount(s, f, free_s, free_f, rec.date_window_days):
        result.matches.append(Match(2, _name_note(f, (j,)) or "金额日期一致", (i,), (j,)))
    for j, parts in match_combinations(f, s, free_f, free_s, rec.date_window_days, rec.max_combination):
        note = "，".join(filter(None, [f"合并 {len(parts)} 笔", _name_note(f, (j,))]))
        result.matches.append(Match(3, note, parts, (j,)))
    for i, parts in match_combinations(s, f, free_s, free_f, rec.date_window_days, rec.max_combination):
        note = "，".join(filter(None, [f"合并 {len(parts)} 笔", _name_note(f, parts)]))
        result.matches.append(Match(3, note, (i,), parts))
    return result


# ---------------------------------------------------------------- one month

def month_rows(frame: pd.DataFrame, day_column: str, month: str) -> pd.DataFrame:
    """Rows whose ``day_column`` falls in ``month``."""
    first, last = month_bounds(month)
    days = pd.to_datetime(frame[day_column], errors="coerce")
    return frame[(days >= pd.Timestamp(first)) & (days <= pd.Timestamp(last))]


def finance_rows(tables: Tables, sheet: str, month: str) -> tuple[pd.DataFrame, int, int]:
    """Finance's rows of ``month`` without total rows and zero lines; (rows, totals skipped, zeros skipped)."""
    frame = tables[sheet]
    frame = frame[months_of(frame, _DATE_OF[sheet]) == month]
    frame, totals = drop_total_rows(frame)
    if sheet == "应收余额":  # a balance of 0 is a figure, not an empty line
        return frame, totals, 0
    zero = frame["金额"].fillna(0).astype("int64") == 0
    return frame[~zero], totals, int(zero.sum())


def sales_invoices(tables: Tables, month: str | None = None) -> pd.DataFrame:
    """The reps' 开票 (those dated in ``month`` when given) with the 客户名称 and 业务员 of their contract
    (validation adds them; filled here if not)."""
    invoices = tables["开票"] if month is None else month_rows(tables["开票"], "开票日期", month)
    invoices = invoices.copy()
    contracts = tables["合同"]
    at = position_of(_texts(contracts, "合同编号"), _texts(invoices, "合同编号"))
    for column in ("客户名称", REP):
        given = _texts(invoices, column)
        invoices[column] = np.where(given != "", given, pick(_texts(contracts, column), at, ""))
    return invoices


def sales_balances(items: pd.DataFrame, collections: pd.DataFrame, month_end: date,
                   customers: CustomerIndex) -> dict[str, int]:
    """Per customer: Σ item 金额 dated ≤ month end − Σ 回款金额 dated ≤ month end (fen), customers in the order
    they first appear (items first)."""
    cutoff = pd.Timestamp(month_end)
    balances: dict[str, int] = {}
    for frame, day, amount, sign in ((items, "日期", "金额", 1), (collections, "回款日期", "回款金额", -1)):
        rows = frame[pd.to_datetime(frame[day]) <= cutoff]
        names = each_once(customers.canonical, rows["客户名称"])
        for name, total in rows[amount].astype("int64").groupby(names, sort=False).sum().items():
            balances[name] = balances.get(name, 0) + sign * int(total)
    return balances


def reps_by_customer(tables: Tables, items: pd.DataFrame, customers: CustomerIndex) -> dict[str, str]:
    """The rep shown for each customer: the archive's 负责业务员, else the rep of its latest item or 回款."""
    reps: dict[str, str] = {}
    for frame, day in ((tables["回款"], "回款日期"), (items, "日期")):
        if frame.empty or REP not in frame:
            continue
        ordered = frame.sort_values(day, kind="stable")
        named = _texts(ordered, REP)
        reps.update(zip(each_once(customers.canonical, ordered["客户名称"])[named != ""], named[named != ""]))
    archive = tables["客户"]
    if "负责业务员" in archive:
        named = _texts(archive, "负责业务员")
        reps.update(zip(each_once(customers.canonical, archive["客户名称"])[named != ""], named[named != ""]))
    return reps


def reconcile_month(tables: Tables, allocation_items: pd.DataFrame, customers: CustomerIndex, settings: Settings,
                    month: str) -> MonthReconciliation:
    """Everything for one month: matched collections and invoices, balances, the per-customer summary."""
    _, month_end = month_bounds(month)
    missing = [sheet for sheet in FINANCE_SHEETS if not export_present(tables, sheet, month)]
    skipped_totals = skipped_zero = 0
    fin: dict[str, pd.DataFrame] = {}
    for sheet in FINANCE_SHEETS:
        fin[sheet], totals, zeros = finance_rows(tables, sheet, month)
        skipped_totals += totals
        skipped_zero += zeros
    collections_all = tables["回款"]
    sales = {COLLECTION: month_rows(collections_all, "回款日期", month),
             INVOICE: sales_invoices(tables, month)}
    balances = sales_balances(allocation_items, collections_all, month_end, customers)

    sales_names = [*balances, *(n for frame in sales.values() for n in each_once(normalize_name, frame["客户名称"]))]
    finance_names = [n for frame in fin.values() for n in each_once(normalize_name, frame["客户名称"])]
    names = resolve_names(sales_names, finance_names, customers, settings.reconciliation.fuzzy_threshold)

    results: dict[str, MatchResult | None] = {}
    for kind in (COLLECTION, INVOICE):
        if _FINANCE_SHEET[kind] in missing:
            results[kind] = None
        else:
            results[kind] = match_lines(sales[kind], fin[_FINANCE_SHEET[kind]], kind, settings, customers, names)
    sales_lines = {kind: results[kind].sales if results[kind] else prepare_lines(sales[kind], kind, "sales",
                                                                                  customers=customers)
                   for kind in (COLLECTION, INVOICE)}
    finance_balances = None
    if "应收余额" not in missing:
        finance_balances = defaultdict(int)
        for name, amount in zip(fin["应收余额"]["客户名称"], fin["应收余额"]["期末余额"]):
            written = normalize_name(name)
            finance_balances[names.get(written, (customers.canonical(written), None))[0]] += int(amount)
    summary = summarize(sales_lines, results, balances, finance_balances,
                        reps_by_customer(tables, allocation_items, customers))
    return MonthReconciliation(month, summary, results[COLLECTION], results[INVOICE], missing, skipped_totals,
                               skipped_zero)


def summarize(sales_lines: dict[str, pd.DataFrame], results: dict[str, MatchResult | None],
              sales_balance: dict[str, int], finance_balance: dict[str, int] | None,
              reps: dict[str, str]) -> pd.DataFrame:
    """One row per customer (SUMMARY_COLUMNS). A finance column is None when its export is missing. 状态 is
    有差异 when a difference is not 0 or a line of the customer is unmatched or mismatched."""
    sums: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    unmatched: set[str] = set()
    columns = {COLLECTION: ("销售回款", "财务收款"), INVOICE: ("销售开票", "财务开票")}
    for kind, (sales_col, finance_col) in columns.items():
        for name, amount in zip(sales_lines[kind]["客户"], sales_lines[kind]["金额"]):
            sums[name][sales_col] += int(amount)
        result = results[kind]
        if result is None:
            continue
        for name, amount in zip(result.finance["客户"], result.finance["金额"]):
            sums[name][finance_col] += int(amount)
        for side in ("sales", "finance"):
            unmatched |= set(result.unmatched(side)["客户"])
        unmatched |= {result.sales.at[i, "客户"] for i, _ in result.mismatches}
    customers = set(sums) | {c for c, v in sales_balance.items() if v} | set(finance_balance or {})
    rows = []
    for name in customers:
        s = sums[name]
        row = {"客户名称": name, "业务员": reps.get(name, ""), "销售回款": s["销售回款"], "销售开票": s["销售开票"],
               "销售应收余额": sales_balance.get(name, 0)}
        row.update(_compare(s["销售回款"], s["财务收款"] if results[COLLECTION] else None, "财务收款", "回款差额"))
        row.update(_compare(s["销售开票"], s["财务开票"] if results[INVOICE] else None, "财务开票", "开票差额"))
        row.update(_compare(row["销售应收余额"],
                            finance_balance.get(name, 0) if finance_balance is not None else None,
                            "财务应收余额", "余额差额"))
        differs = name in unmatched or any(row[c] not in (0, None) for c in ("回款差额", "开票差额", "余额差额"))
        row["状态"] = DIFFERENT if differs else CONSISTENT
        if differs or any(v for k, v in row.items() if k not in ("客户名称", "业务员", "状态")):
            rows.append(row)
    frame = pd.DataFrame(rows, columns=[c.name for c in SUMMARY_COLUMNS])
    money = [c.name for c in SUMMARY_COLUMNS if c.kind == MONEY]
    frame[money] = frame[money].astype("Int64")
    if frame.empty:
        return frame
    frame["_order"] = (frame["状态"] != DIFFERENT).astype(int)
    return frame.sort_values(["_order", "客户名称"], kind="stable").drop(columns="_order").reset_index(drop=True)


def _compare(sales: int, finance: int | None, finance_col: str, diff_col: str) -> dict:
    return {finance_col: finance, diff_col: None if finance is None else sales - finance}


# ---------------------------------------------------------------- tables for the sheets

def matched_rows(result: MatchResult, start_group: int = 1) -> list[dict]:
    """已匹配: one row per line of the larger side of each match; the single line is on its group's first row."""
    rows = []
    s, f = _Rows(result.sales), _Rows(result.finance)
    for group, m in enumerate(result.matches, start=start_group):
        for k in range(max(len(m.sales), len(m.finance))):
            row = {"类型": result.kind, "匹配组": group, "匹配级别": m.level, "说明": m.note}
            if k < len(m.sales):
                line = s[m.sales[k]]
                row.update({"销售日期": line["日期"], "销售客户": line["客户名称"], "销售金额": line["金额"],
                            "销售单据号": line["单据号"], "销售来源": line["来源"]})
            if k < len(m.finance):
                line = f[m.finance[k]]
                row.update({"财务日期": line["日期"], "财务客户": line["客户名称"], "财务金额": line["金额"],
                            "财务凭证号/发票号": line["凭证号"], "财务来源": line["来源"]})
            rows.append(row)
    return rows


def sales_only_rows(result: MatchResult) -> list[dict]:
    return [{"类型": result.kind, "日期": r["日期"], "客户名称": r["客户名称"], "业务员": r["业务员"], "金额": r["金额"],
             "单据号": r["单据号"], "合同编号": r["合同编号"], "来源": r["来源"]}
            for r in _records(result.unmatched("sales"))]


def finance_only_rows(result: MatchResult) -> list[dict]:
    return [{"类型": result.kind, "日期": r["日期"], "客户名称": r["客户名称"],
             "对应客户": r["客户"] if r["客户"] != r["客户名称"] else "", "金额": r["金额"], "凭证号/发票号": r["凭证号"],
             "银行流水号": r["单据号"] if result.kind == COLLECTION else "", "摘要": r["摘要"], "来源": r["来源"]}
            for r in _records(result.unmatched("finance"))]


def mismatch_rows(result: MatchResult) -> list[dict]:
    rows = []
    for i, j in result.mismatches:
        s, f = result.sales.iloc[i], result.finance.iloc[j]
        rows.append({"类型": result.kind, "单据号": s["单据号"], "销售日期": s["日期"], "销售客户": s["客户名称"],
                     "销售金额": int(s["金额"]), "销售来源": s["来源"], "财务日期": f["日期"], "财务客户": f["客户名称"],
                     "财务金额": int(f["金额"]), "财务凭证号/发票号": f["凭证号"],
                     "差额": int(s["金额"]) - int(f["金额"])})
    return rows


def summary_columns(missing: list[str]) -> list[Col]:
    """SUMMARY_COLUMNS, without a total under the columns of a missing export (they are blank)."""
    blank = {"财务收款": ("财务收款", "回款差额"), "财务开票": ("财务开票", "开票差额"), "应收余额": ("财务应收余额", "余额差额")}
    off = {name for sheet in missing for name in blank[sheet]}
    return [Col(c.name, c.kind, total=False) if c.name in off else c for c in SUMMARY_COLUMNS]


def _results(month: MonthReconciliation) -> list[MatchResult]:
    return [r for r in (month.collections, month.invoices) if r is not None]


def layout(result: MonthReconciliation, settings: Settings, run_date: date) -> WorkbookSpec:
    """财务对账_<YYYY-MM>.xlsx: 对账汇总, 已匹配, 销售有财务无, 财务有销售无, 金额不符."""
    first, last = month_bounds(result.month)
    title = f"财务对账 {result.month}"
    subtitle = [settings.company.name, f"对账期间 {first.isoformat()} 至 {last.isoformat()}",
                f"截至 {last.isoformat()}（生成于 {run_date.isoformat()}）"]
    if result.missing:
        subtitle.append(f"缺少财务导出: {'、'.join(result.missing)}（未核对的项目留空）")
    matched: list[dict] = []
    for r in _results(result):
        matched += matched_rows(r, start_group=len({row["匹配组"] for row in matched}) + 1)
    rec = settings.reconciliation
    notes = [
        "差额 = 销售台账 − 财务账；正数表示销售台账多于财务账。",
        "状态 有差异: 任一差额不为 0，或该客户有未匹配、金额不符的单据（见其他工作表）。",
        f"匹配规则: 1 流水号/发票号一致; 2 同一客户、金额相同、日期相差不超过 {rec.date_window_days} 天"
        f"（名称近似度 ≥ {rec.fuzzy_threshold / 100:.2f} 视为同一客户）; 3 一笔等于同一客户多笔之和（2 至 {rec.max_combination} 笔）。",
        f"销售应收余额 = 截至 {last.isoformat()} 的{'发货' if settings.receivables.basis == 'shipment' else '开票'}金额 − 回款金额。",
        f"财务导出中已跳过合计/小计行 {result.skipped_total_rows} 行、金额为 0 的行 {result.skipped_zero_rows} 行。",
    ]
    summary = Sheet("对账汇总", [Table(summary_columns(result.missing), result.summary, totals=True,
                                       highlights=[Highlight("状态", "==", DIFFERENT, whole_row=True)])],
                    title=title, subtitle=subtitle, notes=notes)
    detail_subtitle = [settings.company.name, f"截至 {last.isoformat()}"]
    sheets = [
        summary,
        Sheet("已匹配", [Table(MATCHED_COLUMNS, matched, totals=True)], title=f"{title} 已匹配", subtitle=detail_subtitle),
        Sheet("销售有财务无", [Table(SALES_ONLY_COLUMNS, [row for r in _results(result) for row in sales_only_rows(r)],
                                    totals=True)], title=f"{title} 销售有财务无", subtitle=detail_subtitle),
        Sheet("财务有销售无", [Table(FINANCE_ONLY_COLUMNS, [row for r in _results(result) for row in finance_only_rows(r)],
                                    totals=True)], title=f"{title} 财务有销售无", subtitle=detail_subtitle),
        Sheet("金额不符", [Table(MISMATCH_COLUMNS, [row for r in _results(result) for row in mismatch_rows(r)],
                                 totals=True, highlights=[Highlight("差额", "!=", 0)])],
              title=f"{title} 金额不符", subtitle=detail_subtitle),
    ]
    return WorkbookSpec(f"财务对账_{result.month}.xlsx", sheets)


# ---------------------------------------------------------------- figures and entry point

def month_figures(result: MonthReconciliation) -> dict:
    """The month's figures for manifest.json."""
    matched = {"1": 0, "2": 0, "3": 0}
    by_kind = {}
    sales_only = {"count": 0, "amount": 0}
    finance_only = {"count": 0, "amount": 0}
    mismatch = {"count": 0, "amount": 0}
    for r in _results(result):
        counts = r.level_counts()
        for level, n in counts.items():
            matched[level] += n
        s_only, f_only = r.unmatched("sales"), r.unmatched("finance")
        diff = sum(int(r.sales.at[i, "金额"]) - int(r.finance.at[j, "金额"]) for i, j in r.mismatches)
        by_kind[r.kind] = {"matched": counts, "sales_only": {"count": len(s_only), "amount": int(s_only["金额"].sum())},
                           "finance_only": {"count": len(f_only), "amount": int(f_only["金额"].sum())},
                           "amount_mismatch": {"count": len(r.mismatches), "amount": diff}}
        for total, part in ((sales_only, by_kind[r.kind]["sales_only"]), (finance_only, by_kind[r.kind]["finance_only"]),
                            (mismatch, by_kind[r.kind]["amount_mismatch"])):
            total["count"] += part["count"]
            total["amount"] += part["amount"]
    differing = int((result.summary["状态"] == DIFFERENT).sum()) if not result.summary.empty else 0
    return {"matched": matched, "sales_only": sales_only, "finance_only": finance_only, "amount_mismatch": mismatch,
            "customers_with_differences": differing, "skipped_total_rows": result.skipped_total_rows,
            "skipped_zero_rows": result.skipped_zero_rows, "missing_exports": list(result.missing),
            "by_kind": by_kind}


def debit_items(ctx: RunContext) -> pd.DataFrame:
    """The receivable items (日期, 客户名称, 金额): the allocation's, else built from the tables."""
    if ctx.allocation is not None:
        return ctx.allocation.items
    return build_items(ctx.tables, ctx.settings)


NEEDS: tuple[str, ...] = ()  # earlier reports whose data ``build`` takes


def build(ctx: RunContext) -> ReportOutput:
    forced = ctx.options.month
    problems = []
    if forced and parse_month(forced) is None:
        problems.append(Problem(WARNING, f"对账月份 {forced} 不是有效的 YYYY-MM (示例: 2026-11), 未生成财务对账",
                                field="month", value=str(forced)))
        forced = None
        months: list[str] = []
    else:
        months = months_due(ctx.run_date, finance_months(ctx.tables), forced,
                            ctx.settings.reconciliation.days_into_next_month)
    items = debit_items(ctx) if months else None
    output = ReportOutput(figures={"months": {}}, problems=problems, data=ReconciliationData({}))
    for month in months:
        result = reconcile_month(ctx.tables, items, ctx.customers, ctx.settings, month)
        output.workbooks.append(layout(result, ctx.settings, ctx.run_date))
        figures = month_figures(result)
        output.figures["months"][month] = figures
        output.data.months[month] = result
        differing = figures["customers_with_differences"]
        output.deliveries.append(Delivery(
            report="reconciliation", title=f"财务对账 {month}", attachments=[Path(output.workbooks[-1].filename)],
            key_figure=f"{differing} 个客户有差异" if differing else "全部一致",
            summary_text=(f"{month} 财务对账: 已匹配 {sum(figures['matched'].values())} 组, 销售有财务无 "
                          f"{figures['sales_only']['count']} 笔, 财务有销售无 {figures['finance_only']['count']} 笔, "
                          f"金额不符 {figures['amount_mismatch']['count']} 笔"
                          + (f"; 缺少财务导出: {'、'.join(result.missing)}" if result.missing else "") + "。")))
    return output
