"""The clerk's day, in order. Read this module first.

    read workbooks → validate → allocate collections → reports (fulfilment, receivables, statements,
    shipping check, commission, expenses, reconciliation, daily report, period reports, customer archive,
    data-problem list) → write workbooks → manifest.json → mail

Each step is named and timed in the log. Data problems are collected as values along the way and end in
the 数据问题清单; an exception inside one report is logged, recorded in the manifest and does not stop the
other reports (the run then exits non-zero). A report gets the data of the earlier reports it declares in
``NEEDS`` (and ``USES``); one whose need failed is skipped, logged and recorded as failed the same way.
Nothing here touches Excel or SMTP directly: the intake reads, the writer writes, mail sends.
"""

from __future__ import annotations

import json
import logging
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

from . import __version__
from .deliver import mail, state as sentlog
from .books.allocation import allocate
from .core.config import Settings
from .books.context import ReportOptions, RunContext
from .core.output import Delivery, ReportOutput
from .read.folders import rep_workbooks
from .read.intake import file_sha256, read_workspace
from .core.model import ERROR, WARNING
from .core.names import CustomerIndex
from .reports import (archive, commission, daily, expenses, fulfilment, period, problems, receivables, reconciliation,
                      shipping, statements)
from .books.validate import validate
from .deliver.files import Written, write_file
from .deliver.writer import write_workbook

log = logging.getLogger("neiqin_xl")

# The reports, in the order the clerk's day produces them; a report's NEEDS and USES name earlier ones.
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
    month: str | None = None  # --month as typed: the month of commission, expenses, reconciliation (they parse it)
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
        tables, found = read_workspace(settings, progress=options.progress)
    with step("校验"):
        tables, checked = validate(tables, settings, run_date)
    with step("核销回款"):
        allocation = allocate(tables, settings)

    ctx = RunContext(settings=settings, run_date=run_date, tables=tables,
                     customers=CustomerIndex.from_archive(tables["客户"]), allocation=allocation,
                     problems=[*found, *checked], output_dir=output_dir,
                     options=ReportOptions(force=options.force, month=options.month,
                                           last_run_date=state.last_run_date()))
    outputs, failed = run_reports(ctx, step, options.only)
    with step("数据问题清单"):
        outputs["problems"] = problems.build(ctx)

    with step("写出工作簿"):
        written = write_outputs(outputs, output_dir)
    deliveries = attach_files(outputs, written, output_dir)
    reminders, chased = mail.reminders(settings, run_date, tables["人员"], rep_workbooks(settings.folder("reps")))
    with step("发送邮件"):
        sent = mail.send_pending(settings, tables["人员"]) if not options.no_email else []
        sent += mail.deliver(settings, run_date, [*deliveries, *reminders], tables["人员"], no_email=options.no_email,
                             resend=options.resend)

    manifest = build_manifest(settings, run_date, started, tables, ctx, outputs, written, failed, sent, chased,
                              step.timings)
    write_file(output_dir / "manifest.json", json.dumps(manifest, ensure_ascii=False, indent=2, default=str))
    if not failed:
        state.set_last_run_date(run_date)
    return RunResult(run_date, output_dir, manifest, written, failed, sent)


def run_reports(ctx: RunContext, step: _Steps | None = None, only: list[str] | None = None
                ) -> tuple[dict[str, ReportOutput], list[str]]:
    """Builds each report in order, handing it the ``data`` of the earlier reports it needs.

    One report's failure is recorded and the others go on; a report whose need failed is skipped (logged,
    recorded as failed). With ``only``, the reports named run and, before them, what they need (transitively):
    the needed ones are built for their data only (no workbook, no mail, no figures; their problems count).
    """
    step = step or _Steps()
    wanted = set(only) if only else {name for name, _ in REPORTS}
    to_run = with_needs(wanted)
    outputs: dict[str, ReportOutput] = {}
    failed: list[str] = []
    results: dict[str, object] = {}  # each report's data, for the later ones
    for name, module in REPORTS:
        if name not in to_run:
            continue
        missing = [need for need in module.NEEDS if need not in results]
        if missing:
            log.error("报表 %s 跳过: 它需要的 %s 没有结果", name, "、".join(missing))
            failed.append(name)
            continue
        inputs = {need: results[need] for need in module.NEEDS}
        inputs.update({used: results.get(used) for used in getattr(module, "USES", ())})
        with step(name):
            try:
                out = module.build(ctx, **inputs)
            except Exception:  # a bug in one report must not lose the others
                log.error("报表 %s 失败:\n%s", name, traceback.format_exc())
                failed.append(name)
                continue
        results[name] = out.data
        ctx.problems.extend(out.problems)
        if name in wanted:
            outputs[name] = out
        else:
            log.info("报表 %s 只为后面的报表计算, 不写出", name)
    return outputs, failed


def with_needs(names: set[str]) -> set[str]:
    """``names`` and, transitively, the reports they need (``NEEDS``; not ``USES``)."""
    modules = dict(REPORTS)
    pending, found = list(names), set()
    while pending:
        name = pending.pop()
        if name in modules and name not in found:
            found.add(name)
            pending.extend(modules[name].NEEDS)
    return found


def write_outputs(outputs: dict[str, ReportOutput], output_dir: Path) -> dict[str, list[Written]]:
    return {name: [write_workbook(spec, output_dir) for spec in out.workbooks] for name, out in outputs.items()}


def attach_files(outputs: dict[str, ReportOutput], written: dict[str, list[Written]], output_dir: Path) -> list[Delivery]:
    """The deliveries with their report's files: the ones each names (relative paths), else all of the report's;
    new values, the reports' own deliveries stay as they were."""
    deliveries = []
    for name, out in outputs.items():
        files = {w.wanted.relative_to(output_dir): w.path for w in written.get(name, [])}
        top_level = [w.path for w in written.get(name, []) if w.wanted.parent == output_dir]
        for d in out.deliveries:
            named = [files.get(Path(a), output_dir / a) for a in d.attachments if not Path(a).is_absolute()]
            named += [Path(a) for a in d.attachments if Path(a).is_absolute()]
            deliveries.append(replace(d, attachments=named if d.attachments else top_level))
    return deliveries


def build_manifest(settings: Settings, run_date: date, started: datetime, tables, ctx: RunContext,
                   outputs: dict[str, ReportOutput], written: dict[str, list[Written]], failed: list[str],
                   sent: list[dict], chased: list, timings: dict[str, float]) -> dict:
    files = [{"report": name, "file": str(w.path.relative_to(ctx.output_dir)), "sha256": file_sha256(w.path),
              **({"note": w.note} if w.note else {}), **({"continued": list(w.continued)} if w.continued else {})}
             for name, ws in written.items() for w in ws]
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
        "timings_seconds": timings,
    }
