"""When a report is made: its ``DUE``, declared beside its ``NEEDS`` and applied by the runner
(``reports.registry``), so the rule is in one place and every report not due says so the same way.

A report without ``DUE`` is made on every run. One with it is made when its rule holds on the run date, when
it is asked for by name (``--only <name>``: the clerk wants it today), or, for a rule that ``--force``
overrides, with ``--force``. A report not made gives the figures ``{"produced": False, "date": D,
"reason": …}`` and no workbook, mail or data.

- ``WORKING_DAYS``: working days (``Workdays.is_workday``: the mainland calendar with 调休); ``--force`` makes
  it on any day (the 销售日报, 货物跟踪, 客户服务跟踪, 回款提醒);
- ``WEEKLY``: the first working day of each week, caught up on the next working day's run
  (``periods.weekly_due``; the 发货计划); ``--force`` does not make a weekly report mid-week.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from .context import RunContext
from .periods import weekly_due
from .workdays import Workdays


@dataclass(frozen=True)
class Due:
    """A report's rule of the days it is made: ``rule(run_date, last_run_date, workdays)``, the reason given
    on the other days, and whether ``--force`` overrides it."""

    rule: Callable[[date, date | None, Workdays], bool]
    reason: str
    forced: bool = True

    def missed(self, name: str, ctx: RunContext) -> str:
        """'' when report ``name`` is made on this run, else the reason it is not."""
        if name in ctx.options.only or (self.forced and ctx.options.force):
            return ""
        return "" if self.rule(ctx.run_date, ctx.options.last_run_date, ctx.workdays) else self.reason


WORKING_DAYS = Due(lambda day, last, calendar: calendar.is_workday(day), "非工作日")
WEEKLY = Due(weekly_due, "每周第一个工作日生成", forced=False)
