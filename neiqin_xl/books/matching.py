"""Matching finance's lines with the sales side's: the one rule for "finance has this money / this invoice".

Part of the books: it runs inside the reports that compare the reps' books with finance's exports, the
month-end reconciliation (``reports/reconciliation.py``: every line, every level, the differences listed)
and the shipping check (``reports/shipping.py``: 款到发货 counts only collections finance also has).
Both call ``match_lines``; neither has a rule of its own.

Each line is used at most once; the levels are tried in order:
1. the same reference (``normalize_reference``): 银行流水号 (collections; for an acceptance bill without
   one, its 票据号, on both sides: ``references``) or 发票号码 (invoices). The same
   reference with a different amount is an amount mismatch (金额不符): both lines are used up;
2. the same customer, the same amount to the fen, dates at most ``reconciliation.date_window_days`` apart
   (closest date first). Finance's names are resolved through the archive (aliases, 有限公司 and brackets
   ignored) and, for a name the archive does not hold on both sides, a fuzzy match of the match keys
   (``rapidfuzz`` ratio ≥ ``reconciliation.fuzzy_threshold``; the score is kept, 名称近似 0.96);
3. one line equal to the sum of 2..``reconciliation.max_combination`` lines of the other side, same customer,
   each within the date window (a bounded subset-sum over the ``CANDIDATE_CAP`` closest candidates).

Both callers first leave out finance's rows that are not lines (``finance_lines``; the reconciliation counts
them): a row whose 客户名称, 摘要 or 凭证号 reads as a total (``core.names.is_total_text``) or that has no
客户名称, and a line of amount 0 (a debit row of a ledger export whose 贷方 is empty).
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd
from rapidfuzz import fuzz, process

from ..core.columns import each_once, sources, stripped_texts
from ..core.config import Settings
from ..core.model import REP, text
from ..core.names import CustomerIndex, is_total_text, match_key, normalize_name
from ..core.schema import (BANK_REF, BILL_NO, COLLECTION_AMOUNT, COLLECTION_DATE, CONTRACT_NO, CUSTOMER, INVOICE_AMOUNT,
                           INVOICE_DATE, INVOICE_NO)

COLLECTION = "回款"
INVOICE = "开票"
CANDIDATE_CAP = 12  # level 3 looks at most at this many lines of the other side per line

# how each side of each kind reads: (date, amount, reference, voucher) columns
_SIDES = {
    (COLLECTION, "sales"): (COLLECTION_DATE, COLLECTION_AMOUNT, BANK_REF, BANK_REF),
    (COLLECTION, "finance"): ("日期", "金额", BANK_REF, "凭证号"),
    (INVOICE, "sales"): (INVOICE_DATE, INVOICE_AMOUNT, INVOICE_NO, INVOICE_NO),
    (INVOICE, "finance"): (INVOICE_DATE, "金额", INVOICE_NO, INVOICE_NO),
}
_REFERENCE = {COLLECTION: "流水号", INVOICE: "发票号"}
_NOT_LETTER_OR_DIGIT = re.compile(r"[\W_]+")


# ---------------------------------------------------------------- references

def normalize_reference(value: object) -> str:
    """A bank reference (银行流水号) or an invoice number (发票号码) as compared: the one rule for both.

    A reference is an identifier: only its letters and digits count, so full-width characters, case,
    spaces and separators (- / . _) are noise. A reference of digits only also loses its leading zeros:
    Excel drops them from a number typed into a cell, so the rep's 12345 is finance's 0012-345. A
    reference with letters keeps its zeros (Excel leaves text as typed): HX-0012 is not HX12.

    >>> normalize_reference("0012-345"), normalize_reference("12345")
    ('12345', '12345')
    >>> normalize_reference(" hx-0001 "), normalize_reference("ＨＸ０００１"), normalize_reference("HX 0001")
    ('HX0001', 'HX0001', 'HX0001')
    >>> normalize_reference("00123456"), normalize_reference("0012 3456"), normalize_reference("123456")
    ('123456', '123456', '123456')
    >>> normalize_reference("HX-0012") == normalize_reference("HX12")
    False
    >>> normalize_reference("000"), normalize_reference(""), normalize_reference(None), normalize_reference(" - ")
    ('0', '', '', '')
    """
    ref = _NOT_LETTER_OR_DIGIT.sub("", normalize_name(value)).upper()
    if ref.isascii() and ref.isdigit():
        return ref.lstrip("0") or "0"
    return ref


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
    """One kind (回款 or 开票): the prepared lines of both sides and how they were matched."""

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



# ---------------------------------------------------------------- finance rows that are not lines

def drop_total_rows(frame: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """Finance rows without 合计/小计/本月合计/本年累计 text and with a 客户名称, and how many were dropped."""
    if frame.empty:
        return frame, 0
    total = pd.Series(False, index=frame.index)
    for column in (CUSTOMER, "摘要", "凭证号"):
        if column in frame:
            total |= frame[column].map(is_total_text)
    blank_customer = (frame[CUSTOMER].map(lambda v: normalize_name(v) == "") if CUSTOMER in frame
                      else pd.Series(False, index=frame.index))
    drop = total | blank_customer
    return frame[~drop], int(drop.sum())


def finance_lines(frame: pd.DataFrame) -> tuple[pd.DataFrame, int, int]:
    """Finance's 财务收款 or 财务开票 rows that are lines to match: (rows, total rows left out, lines of amount 0
    left out)."""
    frame, totals = drop_total_rows(frame)
    zero = frame["金额"].fillna(0).astype("int64") == 0
    return frame[~zero], totals, int(zero.sum())


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


def line_records(frame: pd.DataFrame) -> list[dict]:
    """``frame.to_dict("records")``, column by column (the same values, much faster on a large frame)."""
    names = list(frame.columns)
    columns = [frame[c].to_numpy(dtype=object) for c in names]
    return [dict(zip(names, row)) for row in zip(*columns)]


def references(frame: pd.DataFrame, kind: str, ref_col: str) -> np.ndarray:
    """Each row's reference as written: ``ref_col``; for a collection without a 银行流水号, its 票据号 (an
    acceptance bill has no bank reference, the bill's number is its reference on both sides).

    >>> references(pd.DataFrame({"银行流水号": ["B1", None], "票据号": [None, "3100-0051"]}), COLLECTION, "银行流水号")
    array(['B1', '3100-0051'], dtype=object)
    """
    refs = frame[ref_col].to_numpy(dtype=object) if ref_col in frame else np.full(len(frame), None, dtype=object)
    if kind != COLLECTION or BILL_NO not in frame:
        return refs
    return np.array([r if text(r).strip() else b for r, b in zip(refs, frame[BILL_NO].to_numpy(dtype=object))],
                    dtype=object)


MATCH_LINE_COLUMNS = ["日期", "天", CUSTOMER, "客户", "名称近似", "金额", "单据号", "参考", "凭证号", REP,
                      CONTRACT_NO, "摘要", "来源"]


def prepare_lines(frame: pd.DataFrame, kind: str, side: str,
                  names: dict[str, tuple[str, float | None]] | None = None,
                  customers: CustomerIndex | None = None) -> pd.DataFrame:
    """One side's rows as comparable lines: 日期, 天 (day number), 客户名称 (as written), 客户 (the customer
    on the sales side), 名称近似 (fuzzy score or None), 金额 (fen), 单据号, 参考 (normalised reference),
    凭证号, 业务员, 合同编号, 摘要, 来源."""
    day_col, amount_col, ref_col, voucher_col = _SIDES[(kind, side)]
    written = (each_once(normalize_name, frame[CUSTOMER]) if CUSTOMER in frame
               else np.full(len(frame), "", dtype=object))

    def customer_of(name: str) -> tuple[str, float | None]:
        customer, score = (names or {}).get(name, (None, None))
        if customer is None:
            customer = customers.canonical(name) if customers is not None else name
        return customer, score

    resolved = {name: customer_of(name) for name in dict.fromkeys(written)}
    days = _dates(frame, day_col)
    refs = references(frame, kind, ref_col)
    lines = pd.DataFrame({
        "日期": days.to_numpy(), "天": day_numbers(days), CUSTOMER: written,
        "客户": [resolved[name][0] for name in written], "名称近似": [resolved[name][1] for name in written],
        "金额": _fens(frame, amount_col), "单据号": [text(r).strip() for r in refs],
        "参考": [normalize_reference(r) for r in refs], "凭证号": stripped_texts(frame, voucher_col),
        REP: stripped_texts(frame, REP), CONTRACT_NO: stripped_texts(frame, CONTRACT_NO), "摘要": stripped_texts(frame, "摘要"),
        "来源": sources(frame)}, columns=MATCH_LINE_COLUMNS)
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
    """Matches the sales side's rows (the reps' 回款 or 开票, as read) with finance's lines of the same kind
    (``finance_lines``), by the three levels of the module docstring. ``names`` maps finance names to sales
    customers (``resolve_names``); built here when None. The result's lines are in the frames' row order."""
    rec = settings.reconciliation
    if names is None:
        names = resolve_names(list(sales[CUSTOMER].map(normalize_name)) if CUSTOMER in sales else [],
                              list(finance[CUSTOMER].map(normalize_name)) if CUSTOMER in finance else [],
                              customers, rec.fuzzy_threshold)
    s_lines = prepare_lines(sales, kind, "sales", customers=customers)
    f_lines = prepare_lines(finance, kind, "finance", names=names, customers=customers)
    s, f = line_records(s_lines), line_records(f_lines)
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
