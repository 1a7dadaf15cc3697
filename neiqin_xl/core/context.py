"""What a report gets (``RunContext``) and what it gives back (``ReportOutput``).

Every report module declares ``NEEDS`` (the earlier reports whose ``data`` it reads; an empty tuple when none)
and has one entry point, ``build(ctx, **needed) -> ReportOutput``: the pipeline calls the reports in order
and hands each one the ``data`` of its needs as keyword arguments named after them (the types are in
``core.results``), e.g. ``statements.build(ctx, receivables=ReceivablesData(...))``. A report may also
declare ``USES``: earlier reports whose data it reads when they produced one (else it gets None).

Core is the earliest stage and imports nothing from books/: the ``Allocation`` annotation is for readers and
type checkers only (``TYPE_CHECKING``); at run time a field's annotation is never evaluated.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .config import Settings
from .model import Problem, Tables
from .names import CustomerIndex
from .sheets import WorkbookSpec

if TYPE_CHECKING:
    from ..books.allocation import Allocation


@dataclass(frozen=True)
class Delivery:
    """Something to mail. Deliveries with the same report recipients on one day go in one message.

    ``report`` is the key of ``email.recipients`` in config.yaml (daily, period, shipping, reconciliation,
    commission, problems, reminder). With ``rep`` set the message goes to that rep only (address from
    master/人员.xlsx) and must hold that rep's data only. A report names its ``attachments`` relative to the
    output folder (or none: all of its top-level files); the pipeline makes a new Delivery with the files
    written (``pipeline.attach_files``).
    """

    report: str
    title: str  # 销售日报 / 五日报 2026-11-21~2026-11-25 / 提成确认单 …
    attachments: list[Path | str] = field(default_factory=list)
    rep: str | None = None
    key_figure: str = ""  # for the subject: "回款 ¥123,456.00"
    summary_html: str = ""  # an HTML fragment (inline styles) for the body
    summary_text: str = ""


@dataclass
class ReportOutput:
    workbooks: list[WorkbookSpec] = field(default_factory=list)
    figures: dict[str, Any] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    data: Any = None  # the report's typed, frozen result (core.results for those later reports read)
    deliveries: list[Delivery] = field(default_factory=list)


@dataclass(frozen=True)
class ReportOptions:
    """What the command line and the run state tell the reports (config.yaml settings are in ``Settings``)."""

    force: bool = False  # --force: produce the daily report on a non-working day
    month: str | None = None  # --month YYYY-MM: the month the reconciliation, commission and expenses close
    last_run_date: date | None = None  # the last successful run: the period reports catch up from it
    periods: tuple[str, ...] = ()  # forced period kinds (五日报, 月报 …); no command sets it today


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
