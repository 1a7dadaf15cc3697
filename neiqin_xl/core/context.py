"""What a report gets (``RunContext``) and what it gives back (``ReportOutput``).

Every report module has one entry point, ``build(ctx) -> ReportOutput``; the pipeline calls them in order
and passes each one's ``data`` on to the later ones through ``ctx.results``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from .config import Settings
from .model import Problem, Tables
from .names import CustomerIndex
from .sheets import WorkbookSpec


@dataclass
class Delivery:
    """Something to mail. Deliveries with the same report recipients on one day go in one message.

    ``report`` is the key of ``email.recipients`` in config.yaml (daily, period, shipping, reconciliation,
    commission, problems, reminder). With ``rep`` set the message goes to that rep only (address from
    master/人员.xlsx) and must hold that rep's data only.
    """

    report: str
    title: str  # 销售日报 / 五日报 2026-11-21~2026-11-25 / 提成确认单 …
    attachments: list[Path] = field(default_factory=list)
    rep: str | None = None
    key_figure: str = ""  # for the subject: "回款 ¥123,456.00"
    summary_html: str = ""  # an HTML fragment (inline styles) for the body
    summary_text: str = ""


@dataclass
class ReportOutput:
    workbooks: list[WorkbookSpec] = field(default_factory=list)
    figures: dict[str, Any] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    data: Any = None
    deliveries: list[Delivery] = field(default_factory=list)


@dataclass
class RunContext:
    settings: Settings
    run_date: date
    tables: Tables
    customers: CustomerIndex
    allocation: Any = None  # allocation.Allocation
    problems: list[Problem] = field(default_factory=list)
    results: dict[str, Any] = field(default_factory=dict)
    output_dir: Path | None = None
    options: dict[str, Any] = field(default_factory=dict)  # e.g. {"month": "2026-10", "force": True}
