"""``run_daily.py close --month 2026-11`` and ``close --reopen --month 2026-11``: a month's commission paid.

Closing a month opens the books as the day's run does (``loader.open_books``: read → validate → allocate),
works out the month's commission (reports/commission.compute, to the month's last day) and records, in the workspace state
(deliver/run_state: ``closed_months``, logged in ``close_log``), the 提成金额 paid per rep. From then on a run
never changes those figures: it works the month out again and, where a rep's figure moved, the open
month's 提成计算表 carries a 补提 / 扣回 line. Closing a later month settles those lines (they were paid with
it): the earlier month's paid figures become the recomputed ones, logged as ``settle``.

Reopening is explicit and logged; the month's lines then disappear until it is closed again.
"""

from __future__ import annotations

from datetime import date

from .core.config import Settings
from .core.model import ERROR
from .core.model import fmt_yuan
from .core.months import Month
from .deliver.run_state import RunState
from .loader import open_books
from .reports import commission


class CloseRefused(Exception):
    """The month cannot be closed or reopened as asked; the message says why."""


def close_month(settings: Settings, month_text: str, today: date) -> list[str]:
    """Closes ``month_text`` (YYYY-MM) as of ``today``; returns the lines for the console. Refused for a month
    not yet over (its commission is not final), or one already closed."""
    month = month_of(month_text)
    state = RunState(settings.workspace)
    if today < month.last:
        raise CloseRefused(f"{month} 还没有结束 (最后一天 {month.last}), 不能结账")
    closed = {c.month: c for c in state.closed_months()}
    if month in closed:
        raise CloseRefused(f"{month} 已于 {closed[month].closed_at} 结账; 如需重新结账, 先运行 close --reopen --month {month}")
    books = open_books(settings, today)
    tables, allocation = books.tables, books.allocation
    data, _ = commission.compute(tables, allocation, settings, today, month)
    paid = commission.paid_commission(data)
    lines = []
    for shut in (c for c in state.closed_months() if c.month < month):  # their 补提/扣回 are paid with this month
        now = commission.paid_commission(commission.compute(tables, allocation, settings, today, Month(shut.month))[0])
        if now != dict(shut.paid):
            state.close_month(shut.month, now, action="settle", detail=f"补提/扣回 随 {month} 提成发放")
            lines.append(f"{shut.month} 的补提/扣回随 {month} 发放, 已发提成改为重算后的数")
    state.close_month(month, paid, detail=f"提成合计 ¥{fmt_yuan(sum(paid.values()))}")
    lines.insert(0, f"{month} 已结账: " + "，".join(f"{rep} ¥{fmt_yuan(v)}" for rep, v in paid.items()))
    errors = sum(1 for p in books.problems if p.severity == ERROR)
    if errors:  # the close goes on with the rows that were read; the clerk should know what was left out
        lines.append(f"注意: 台账有 {errors} 条数据错误, 提成按现有数据计算 (详见当日运行的 数据问题清单)")
    return lines


def month_of(text: str | None) -> Month:
    found = Month.parse(text)
    if found is None:
        raise CloseRefused(f"--month 应为 YYYY-MM, 如 2026-11 (得到 {text!r})")
    return found


def reopen_month(settings: Settings, month_text: str) -> list[str]:
    month = month_of(month_text)
    if not RunState(settings.workspace).reopen_month(month, detail="close --reopen"):
        raise CloseRefused(f"{month} 没有结账, 无需重新打开")
    return [f"{month} 已重新打开 (已记录); 结账前不再计算该月的补提/扣回"]


def status_lines(state: RunState) -> list[str]:
    """The closed months and the paid figures, for ``run_daily.py status``."""
    closed = state.closed_months()
    lines = ["已结账月份 (提成已发放):"]
    lines += [f"  {c.month} 结账于 {c.closed_at[:16].replace('T', ' ')}: "
              + "，".join(f"{rep} ¥{fmt_yuan(v)}" for rep, v in c.paid.items()) for c in closed] or ["  (无)"]
    return lines
