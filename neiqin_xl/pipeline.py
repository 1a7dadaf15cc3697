"""The clerk's day, in order. Read this module first.

    read workbooks → validate → allocate collections → reports (fulfilment, receivables, statements,
    shipping check, commission, expenses, reconciliation, daily report, period reports, customer archive,
    data-problem list) → write workbooks → manifest.json → mail

Each step is named and timed in the log. Data problems are collected as values along the way and end in
the 数据问题清单; an exception inside one report is logged, recorded in the manifest and does not stop the
other reports (the run then exits non-zero). Nothing here touches Excel or SMTP directly: the intake reads,
the writer writes, mail sends.
"""

from __future__ import annotations

import json
import logging
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

from . import __version__
from .deliver import mail, state as sentlog
from .books.allocation import allocate
from .core.config import Settings, clock
from .core.context import Delivery, ReportOutput, RunContext
from .read.intake import file_sha256, find_by_stem, list_workbooks, read_workbook, read_workspace
from .core.schema import SHEETS
from .core.model import ERROR, WARNING
from .core.names import CustomerIndex
from .reports import (archive, commission, daily, expenses, fulfilment, period, problems, receivables, reconciliation,
                      shipping, statements)
from .books.validate import validate
from .deliver.writer import Written, write_text_atomic, write_workbook

log = logging.getLogger("neiqin_xl")

# The reports, in the order the clerk's day produces them; later ones read earlier ones' data.
REPORTS: list[tuple[str, ModuleType]] = [
    ("fulfilment", fulfilment),  # 合同履行一览表
    ("receivables", receivables),  # 应收账款明细账 + 账龄
    ("statements", statements),  # 对账单
    ("shipping", shipping),  # 发货审核
    ("commission", commission),  # 提成计算表 + 提成确认单
    ("expenses", expenses),  # 费用审核
    ("reconciliation", reconciliation),  # 财务对账
    ("daily", daily),  # 销售日报
    ("period", period),  # 五日报 / 月报 / 季报 / 年报
    ("archive", archive),  # 客户档案汇总
]
REPORT_NAMES = [name for name, _ in REPORTS] + ["problems"]


@dataclass
class RunOptions:
    no_email: bool = False
    only: list[str] | None = None  # report names; None = all
    force: bool = False  # produce the daily report on a non-working day
    month: str | None = None  # force the reconciliation of this month (YYYY-MM)
    resend: bool = False
    progress: Callable[[Any], Any] | None = None  # wraps the iterable of rep workbooks (a progress bar)


@dataclass
class RunResult:
    run_date: date
    output_dir: Path
    manifest: dict
    written: list[Written] = field(default_factory=list)
    failed_reports: list[str] = field(default_factory=list)
    mail: list[dict] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failed_reports

    @property
    def undelivered(self) -> list[dict]:
        """Messages that did not reach every recipient this run: failed, partly refused, given up."""
        return [m for m in self.mail if m.get("status") in mail.UNDELIVERED]


class _Steps:
    """Names and times each stage; the timings go to the log and the manifest."""

    def __init__(self) -> None:
        self.timings: dict[str, float] = {}

    @contextmanager
    def __call__(self, name: str) -> Iterator[None]:
        start = time.perf_counter()
        log.info("开始: %s", name)
        try:
            yield
        finally:
            self.timings[name] = round(time.perf_counter() - start, 3)
            log.info("完成: %s (%.2f 秒)", name, self.timings[name])


def run_day(settings: Settings, run_date: date, options: RunOptions | None = None) -> RunResult:
    """Runs the day's job for ``run_date`` and returns what it wrote, figured and sent."""
    options = options or RunOptions()
    step = _Steps()
    output_dir = settings.folder("output") / run_date.isoformat()
    state = sentlog.SentLog(settings.workspace)
    started = datetime.now()

    with step("读取工作簿"):
        tables, found = read_workspace(settings, run_date, progress=options.progress)
    with step("校验"):
        tables, checked = validate(tables, settings, run_date)
    with step("核销回款"):
        allocation = allocate(tables, settings)

    ctx = RunContext(settings=settings, run_date=run_date, tables=tables,
                     customers=CustomerIndex.from_archive(tables["客户"]), allocation=allocation,
                     problems=[*found, *checked], output_dir=output_dir,
                     options={"force": options.force, "month": options.month, "last_run_date": state.last_run_date()})
    outputs, failed = run_reports(ctx, step, options.only)
    with step("数据问题清单"):
        outputs["problems"] = problems.build(ctx)

    with step("写出工作簿"):
        written = write_outputs(outputs, output_dir)
    deliveries = attach_files(outputs, written, output_dir)
    # who is behind, for the console and the manifest; the reminders themselves are their own job (remind)
    _, chased = mail.reminders(settings, run_date, tables["人员"], rep_workbooks(settings))
    with step("发送邮件"):
        transport = mail.start_sending(settings, options.no_email)  # one login attempt for the whole run
        sent = mail.send_pending(settings, tables["人员"], transport=transport) if transport else []
        sent += mail.deliver(settings, run_date, deliveries, tables["人员"], no_email=options.no_email,
                             resend=options.resend, transport=transport)

    manifest = build_manifest(settings, run_date, started, tables, ctx, outputs, written, failed, sent, chased,
                              step.timings)
    write_text_atomic(output_dir / "manifest.json", json.dumps(manifest, ensure_ascii=False, indent=2, default=str))
    if not failed:
        state.set_last_run_date(run_date)
    return RunResult(run_date, output_dir, manifest, written, failed, sent)


def run_reports(ctx: RunContext, step: _Steps, only: list[str] | None) -> tuple[dict[str, ReportOutput], list[str]]:
    """Builds each report in order; one report's failure is recorded and the others go on."""
    outputs: dict[str, ReportOutput] = {}
    failed: list[str] = []
    for name, module in REPORTS:
        if only and name not in only:
            continue
        with step(name):
            try:
                out = module.build(ctx)
            except Exception:  # a bug in one report must not lose the others
                log.error("报表 %s 失败:\n%s", name, traceback.format_exc())
                failed.append(name)
                continue
        outputs[name] = out
        ctx.results[name] = out.data
        ctx.problems.extend(out.problems)
    return outputs, failed


def write_outputs(outputs: dict[str, ReportOutput], output_dir: Path) -> dict[str, list[Written]]:
    return {name: [write_workbook(spec, output_dir) for spec in out.workbooks] for name, out in outputs.items()}


def attach_files(outputs: dict[str, ReportOutput], written: dict[str, list[Written]], output_dir: Path) -> list[Delivery]:
    """Each delivery gets its report's files: the ones it names (relative paths), else all of the report's."""
    deliveries = []
    for name, out in outputs.items():
        files = {w.wanted.relative_to(output_dir): w.path for w in written.get(name, [])}
        top_level = [w.path for w in written.get(name, []) if w.wanted.parent == output_dir]
        for d in out.deliveries:
            named = [files.get(Path(a), output_dir / a) for a in d.attachments if not Path(a).is_absolute()]
            named += [Path(a) for a in d.attachments if Path(a).is_absolute()]
            d.attachments = named if d.attachments else top_level
            deliveries.append(d)
    return deliveries


def rep_workbooks(settings: Settings) -> dict[str, Path]:
    folder = settings.folder("reps")
    if not folder.is_dir():
        return {}
    return {p.stem: p for p in sorted(folder.iterdir())
            if p.suffix.lower() in {".xlsx", ".xlsm", ".xls", ".xlsb", ".ods"} and not p.name.startswith(("~$", "."))}


def build_manifest(settings: Settings, run_date: date, started: datetime, tables, ctx: RunContext,
                   outputs: dict[str, ReportOutput], written: dict[str, list[Written]], failed: list[str],
                   sent: list[dict], chased: list, timings: dict[str, float]) -> dict:
    files = [{"report": name, "file": str(w.path.relative_to(ctx.output_dir)), "sha256": file_sha256(w.path),
              **({"note": w.note} if w.note else {})} for name, ws in written.items() for w in ws]
    return {
        "run_date": run_date.isoformat(),
        "started": started.isoformat(timespec="seconds"),
        "finished": datetime.now().isoformat(timespec="seconds"),
        "version": __version__,
        "workspace": str(settings.workspace),
        "demo": (settings.workspace / "DEMO.txt").exists(),
        "inputs": tables.inputs,
        "rows": {name: int(len(frame)) for name, frame in tables.frames.items()},
        "issues": {"错误": sum(1 for p in ctx.problems if p.severity == ERROR),
                   "警告": sum(1 for p in ctx.problems if p.severity == WARNING)},
        "outputs": files,
        "figures": {name: out.figures for name, out in outputs.items()},
        "failed_reports": failed,
        "reminders": [{"rep": rep, "reason": reason} for rep, reason in chased],
        "mail": sent,
        **mail_timing(settings, run_date, sent),
        "timings_seconds": timings,
    }


def mail_timing(settings: Settings, run_date: date, sent: list[dict]) -> dict:
    """When the run's mail for ``run_date`` left (the last message the server accepted), the deadline it
    had to meet (``schedule.deadline`` on that day) and whether it was late."""
    deadline = datetime.combine(run_date, clock(settings.schedule.deadline))
    left = [datetime.fromisoformat(m["time"]) for m in sent
            if m.get("status") in (mail.SENT, mail.PARTIAL) and m.get("date") == run_date.isoformat()]
    mail_left = max(left) if left else None
    return {"mail_left": mail_left.isoformat(timespec="seconds") if mail_left else None,
            "deadline": deadline.isoformat(timespec="minutes"),
            "late": bool(mail_left and mail_left > deadline)}


def read_staff(settings: Settings) -> Any:
    """The 人员 table alone (master/人员.xlsx), for the reminder job; an empty table when it cannot be read."""
    files, _ = list_workbooks(settings.folder("master"))
    path = find_by_stem(files, "人员")
    frames = read_workbook(path, (SHEETS["人员"],), settings)[0] if path else {}
    return frames.get("人员")


def remind(settings: Settings, run_date: date, no_email: bool = False) -> tuple[list[dict], list[tuple[str, str]]]:
    """The reminder job (``schedule.reminder_time``): reps whose workbook is missing or stale get a message
    saying by when (the cut-off), which file and which folder; once a day (the mail state), working days only.
    Returns the mail results and (rep, reason) for the console."""
    staff = read_staff(settings)
    deliveries, chased = mail.reminders(settings, run_date, staff, rep_workbooks(settings))
    return mail.deliver(settings, run_date, deliveries, staff, no_email=no_email), chased
