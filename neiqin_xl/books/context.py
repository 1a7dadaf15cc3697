"""What a report gets (``RunContext``): the day's books — settings, run date, the validated tables, the
customer index, the one allocation of collections — and the options of the command line.

Every report module declares ``NEEDS`` (the earlier reports whose ``data`` it reads; an empty tuple when none)
and has one entry point, ``build(ctx, **needed) -> ReportOutput``: the runner (``reports.registry``) calls the
reports in order and hands each one the ``data`` of its needs as keyword arguments named after them (the types are in
``core.results``), e.g. ``statements.build(ctx, receivables=ReceivablesData(...))``. A report may also
declare ``USES``: earlier reports whose data it reads when they produced one (else it gets None). A report not
made every run declares ``DUE`` (``books.due``: the days it is made), applied by the runner, not in ``build``.
``changes`` (books/changes.py, from the input history) and ``closed`` (the closed months) are what the change
audit and the commission's adjustment lines read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from datetime import date
from pathlib import Path

from ..core.config import Settings
from ..core.model import Problem, Tables
from ..core.names import CustomerIndex
from .allocation import Allocation
from .changes import Changes, ClosedMonth
from .workdays import Workdays


@dataclass(frozen=True)
class ReportOptions:
    """What the command line and the run state tell the reports (config.yaml settings are in ``Settings``)."""

    force: bool = False  # --force: produce the daily report on a non-working day
    month: str | None = None  # --month YYYY-MM: the month the reconciliation, commission and expenses close
    last_run_date: date | None = None  # the last successful run: the period reports catch up from it
    only: tuple[str, ...] = ()  # --only: the reports asked for by name (the weekly 发货计划 is then made on any day)


@dataclass
class RunContext:
    settings: Settings
    run_date: date
    tables: Tables
    customers: CustomerIndex
    allocation: Allocation
    problems: list[Problem] = field(default_factory=list)  # found so far; the pipeline adds each report's
    output_dir: Path | None = None
    options: ReportOptions = field(default_factory=ReportOptions)
    # what the reps changed since the last official run (None: no earlier official run in the input history)
    changes: Changes | None = None
    closed: tuple[ClosedMonth, ...] = ()  # the months whose commission is closed (run_daily.py close)

    @cached_property
    def workdays(self) -> Workdays:
        """The working-day calendar of the run, built once from the settings (``calendar`` in config.yaml)."""
        return Workdays.of(self.settings)
