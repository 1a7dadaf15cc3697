"""The clerk's day, in order. Read this module first.

    read workbooks → input history (keep today's; stop here when nothing changed since the last run; compare
    with the last official run's) → validate → allocate collections → reports (receivables, statements,
    quotations, contract review, fulfilment, shipping check, commission, expenses, reconciliation, delivery plan,
    tenders, shipment tracking, change audit, sales journal, daily report, period reports, customer service,
    customer archive, work summaries, collection reminders, data-problem list) → what reps see names no other
    rep → write what changed → PDFs of the 对账函 and 报价单 → chase the reps behind and mail → manifest.json →
    the run recorded

Each step has its home; this module only puts them in order: the books are opened by ``loader.open_books``,
the reports made by ``reports.registry.run_reports`` (each report's ``NEEDS``, ``USES`` and ``DUE``), the
workbooks marked and written by ``deliver.publish``, the reps chased and the mail sent by
``sending.chase_and_send``, the manifest built by ``deliver.manifest``; what a run recalls and keeps is
``memory``. Which runs one start makes (the day's preview / official run / rerun, then the catch-up of
missed days) is ``runs.plan_runs``; ``run_planned`` carries them out for the command line and ``serve`` alike.
``replay.replay_day`` produces a past day again through ``run_day``.

A run starts by removing what a killed run left behind (``.~tmp-*`` files in output/ and outbox/; the
cli holds the workspace's run lock around all of it, so no other run is writing them). Each step is named
and timed in the log. Data problems are collected as values along the way and end in the 数据问题清单.
What fails is a ``core.failures.Failure`` in the run's one list (``failed`` in the manifest): a report that
raised (the other reports go on) or whose need failed, the 数据问题清单, each workbook, the reminders list,
the mail, manifest.json; everything else is still written and sent, the manifest is always written, and the
exit status is 1. An output folder that takes no file sends the whole run to ``output_备用/<date>/`` under
the workspace, said on the console and in the manifest (``output_fallback``).
A rerun whose inputs, settings, date, options and output files are all as the last run left them stops
after reading: its outputs stand (``deliver.incremental.unchanged_run``), and it goes on to the same last
steps as the full day (chase and send, the manifest, the record); otherwise a workbook whose content and
file are unchanged is kept, not written again, and the others are written by a pool of processes.
Nothing here touches Excel or SMTP directly: the intake reads, the writer writes, mail sends.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

from . import __version__, trust
from .books.changes import Changes
from .books.context import ReportOptions
from .books.roster import all_reps
from .core.config import Settings
from .core.failures import OUTPUT_FOLDER, REPORT, Failures
from .core.output import Delivery
from .deliver import incremental, mail
from .deliver.saving import Written, cannot_write, remove_leftover_temps
from .deliver.manifest import build_manifest, kept_files, made, made_as_last, write_manifest
from .deliver.pool import pool_size
from .deliver.publish import Publication, attach_files, with_pdfs
from .deliver.run_state import RunState
from .loader import open_books, report_context
from .memory import FROM_STATE, Recalled, changes_since, keep_inputs, recall
from . import input_history
from .read.intake import read_workspace
from .reports import problems
from .reports.registry import run_reports
from .runs import begin as begin_run
from .runs import (AHEAD, CATCH_UP, OFFICIAL, PREVIEW, RERUN, ahead_of_time, catch_up_points, delivery_label,
                   digest_inputs, label_deliveries, output_folder, plan_runs)
from .sending import chase_and_send, notify

log = logging.getLogger("neiqin_xl")

FALLBACK_FOLDER = "output_备用"  # under the workspace: where a run goes when its output folder takes no file


@dataclass
class RunOptions:
    kind: str = OFFICIAL
    send: bool = False  # a preview sends only with --send (marked 预览; the day's official send stays due)
    no_email: bool = False
    only: list[str] | None = None  # report names; None = all
    force: bool = False  # produce the daily report on a non-working day
    month: str | None = None  # --month as typed: the month of commission, expenses, reconciliation (they parse it)
    resend: bool = False
    progress: Callable[[Any], Any] | None = None  # wraps the iterable of rep workbooks (a progress bar)
    replay: Recalled | None = None  # replay: what the day recalled; no history kept, no mail, nothing recorded
    output_dir: Path | None = None  # replay: where the outputs go
    notes: tuple[str, ...] = ()  # what the clerk must be told, found before the day (a damaged state file set aside)
    since: date | None | str = FROM_STATE  # the period reports' catch-up point, when the plan decides it


@dataclass
class RunResult:
    run_date: date
    output_dir: Path
    manifest: dict
    written: list[Written] = field(default_factory=list)
    mail: list[dict] = field(default_factory=list)
    failures: Failures = field(default_factory=Failures)  # everything that failed, reports included (``failed``)
    notes: list[str] = field(default_factory=list)  # for the clerk: console and 运行异常 notice (not failures)

    @property
    def failed_reports(self) -> list[str]:
        return self.failures.reports

    @property
    def ok(self) -> bool:
        return not self.failures

    @property
    def undelivered(self) -> list[dict]:
        """Messages that did not reach every recipient this run: failed, partly refused, given up."""
        return [m for m in self.mail if m.get("status") in mail.UNDELIVERED]


class Steps:
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
    step, failures, started = Steps(), Failures(), datetime.now()
    if options.output_dir is not None:
        output_dir, fallback = options.output_dir, ""
    else:
        output_dir, fallback = writable_output_folder(settings, run_date, options.kind)
    if fallback:  # written elsewhere: the clerk must notice (exit status 1)
        failures.add(OUTPUT_FOLDER, "", fallback)
    state = RunState(settings.workspace)
    recalled = options.replay or recall(settings, state, run_date, options.since, latest=options.kind == CATCH_UP)
    mails = mail.email_configured(settings) and not options.no_email
    recorded = AHEAD if ahead_of_time(run_date, started.date(), options.kind, mails) else options.kind
    if options.replay is None:  # issue 29: recorded before it sends anything (a killed run is known)
        begin_run(state, run_date, recorded, started, output_dir)

    with step("读取工作簿"):
        tables, found = trust.checked_inputs(settings, run_date, *read_workspace(settings, progress=options.progress),
                                             recalled.baseline)
    entries = input_history.input_entries(settings, tables.inputs)
    run_id = ""
    if options.replay is None:  # every run keeps what it read, an unchanged rerun too
        with step("输入历史"), failures.guard("输入历史"):
            run_id = keep_inputs(settings, run_date, options.kind, started, entries, recalled,
                                 {"force": options.force, "month": options.month, "only": options.only})
    inputs_digest = digest_inputs(tables.inputs)
    notes = [*options.notes, *trust.day_notes(settings, run_date, found)]
    key = day_key(settings, run_date, options, recalled, inputs_digest)
    sends = (options.kind != PREVIEW or options.send) and options.replay is None  # a preview: only with --send
    sends = sends and recorded != AHEAD  # a day that has not come: no .eml waiting for it

    def finish(made: dict, written: list[Written], staff: Any, deliveries: Sequence[Delivery] = ()) -> RunResult:
        """The day's last steps, the same for a rerun that found nothing changed: chase the reps behind and
        send the mail, manifest.json, the run recorded in the workspace's memory."""
        sent, chased = chase_and_send(settings, run_date, staff, failures, step, send=sends, deliveries=deliveries,
                                      failed_reports=failures.reports, no_email=options.no_email, resend=options.resend,
                                      notes=notes, catch_up=options.kind == CATCH_UP)
        manifest = build_manifest(settings, run_date, started, options.kind, made, chased=chased, sent=sent,
                                  timings=step.timings, fallback=fallback, failures=failures, history=run_id,
                                  run_key=key)
        write_manifest(manifest, output_dir, fallback_folder(settings, output_dir), failures)
        result = RunResult(run_date, output_dir, manifest, written, sent, failures, notes)
        if options.replay is None:  # a replay leaves no trace in the workspace's memory
            remember(state, result, inputs_digest, recorded)
        return result

    last = None if options.resend or options.replay is not None or not settings.writing.skip_unchanged else \
        incremental.unchanged_run(output_dir, key, mail.UNDELIVERED)
    if last is not None:  # the day as the last run made it: nothing to compute, nothing to write
        log.info("输入、设置、日期和输出文件都与上次运行 (%s) 相同: 报表不重新计算, 工作簿不重写", last.get("started"))
        return finish(made_as_last(last), kept_files(last, output_dir), tables["人员"])

    changes: Changes | None = None
    with step("变更对比"), failures.guard("变更对比"):  # a failed comparison costs the 变更记录 only
        changes, damaged = changes_since(recalled, settings, run_date, tables, entries)
        found += damaged
    books = open_books(settings, run_date, read=(tables, found), step=step)
    ctx = report_context(books, settings, run_date, output_dir=output_dir, changes=changes, closed=recalled.closed,
                         options=ReportOptions(force=options.force, month=options.month,
                                               last_run_date=recalled.last_run_date, only=tuple(options.only or ())))
    reps = all_reps(books.tables)
    with Publication(output_dir, options.kind == PREVIEW, reps, settings.is_demo, pool_size(settings.writing.workers),
                     settings.writing.skip_unchanged) as publication:  # written as the reports come
        outputs, failed = run_reports(ctx, step, options.only, made=publication.add)
        failures.extend(failed)
        with step("数据问题清单"), failures.guard(REPORT, "problems"):  # the workbooks, manifest and mail still go out
            outputs["problems"] = problems.build(ctx)
            publication.add("problems", outputs["problems"])
        with step("写出工作簿"):
            written = publication.finish(failures)
    deliveries = label_deliveries(with_pdfs(attach_files(outputs, written, output_dir, reps)),
                                  delivery_label(state, run_date, options.kind, options.resend, inputs_digest))
    return finish(made(books.tables, ctx.problems, outputs, written, output_dir),
                  [w for ws in written.values() for w in ws if w], books.tables["人员"], deliveries)


def remember(state: RunState, result: RunResult, inputs_digest: str, kind: str) -> None:
    """The state's record of the run (logged when it fails: the run is done) and, for a run that produced
    everything and is not a preview, the period reports' catch-up point."""
    with Failures().guard("记录运行"):
        record_run(state, result, inputs_digest, kind)
        produced = all(f.step == OUTPUT_FOLDER for f in result.failures)
        if produced and kind not in (PREVIEW, AHEAD):  # else the next run makes them again; a preview moves nothing
            state.set_last_run_date(result.run_date)


def record_run(state: RunState, result: RunResult, inputs_digest: str, kind: str) -> None:
    m = result.manifest
    state.record_run(run_date=result.run_date.isoformat(), kind=kind, started=m["started"],
                     finished=m["finished"], mail_left=m["mail_left"], deadline=m["deadline"], late=int(m["late"]),
                     ok=int(result.ok), undelivered=len(result.undelivered), inputs=inputs_digest,
                     output_dir=str(result.output_dir))


def day_key(settings: Settings, run_date: date, options: RunOptions, recalled: Recalled, inputs_digest: str) -> str:
    """What the day's outputs and mail are a function of (``incremental.run_key``). A rerun of the day is the
    official run again (the same folder, the same workbooks; its mail differs only with ``--resend``, which
    always runs the whole day), so the clerk's second start of the day can find nothing changed. The closed
    months and their paid figures count too: closing or reopening a month changes the 提成调整 lines."""
    wanted = {"kind": OFFICIAL if options.kind == RERUN else options.kind, "send": options.send,
              "no_email": options.no_email, "only": options.only, "force": options.force, "month": options.month,
              "closed": [[c.month, sorted(c.paid.items())] for c in recalled.closed]}
    return incremental.run_key(inputs_digest, settings.model_dump_json(), run_date, wanted, recalled.last_run_date,
                               __version__)


def writable_output_folder(settings: Settings, run_date: date, kind: str) -> tuple[Path, str]:
    """The run's output folder (``output_folder``) and "", or, when it takes no file (read-only, a file in
    its place, a share gone), the fallback folder under the workspace (``output_备用/<date>/``) and a line
    saying why. When the fallback takes no file either, the run cannot go on (OSError)."""
    wanted = output_folder(settings, run_date, kind)
    why = cannot_write(wanted)
    if not why:
        return wanted, ""
    fallback = fallback_folder(settings, wanted)
    why_not = cannot_write(fallback)
    if why_not:
        raise OSError(f"无法写入输出文件夹 {wanted} ({why}), 备用文件夹 {fallback} 也无法写入 ({why_not})")
    note = f"无法写入输出文件夹 {wanted} ({why}), 本次输出写在备用文件夹 {fallback}"
    log.warning("%s", note)
    return fallback, note


def fallback_folder(settings: Settings, output_dir: Path) -> Path:
    """``<workspace>/output_备用/`` with the output folder's own ``<date>/`` (or ``预览/<date>/``) below it."""
    try:
        below = output_dir.relative_to(settings.folder("output"))
    except ValueError:  # already the fallback
        below = output_dir.relative_to(settings.workspace / FALLBACK_FOLDER)
    return settings.workspace / FALLBACK_FOLDER / below


# ---------------------------------------------------------------------------- which runs, of which kind

def run_planned(settings: Settings, now: datetime, run_date: date | None, options: RunOptions) -> list[RunResult]:
    """``plan_runs`` carried out: the command line and ``serve`` both start the day's job through here (holding
    the workspace's run lock), after the leftovers of a killed run older than ``now`` are removed. The day's
    own run goes first, then the missed days (each one message per person, their troubles in one notice)."""
    for path in remove_leftover_temps([settings.folder("output"), settings.folder("outbox")], now):
        log.info("已删除上次中断的运行留下的临时文件 %s", path)
    trust.stop_if_untrusted(settings, run_date or now.date(), options.no_email)  # issue 29: nothing mailed
    plan = plan_runs(settings, now, run_date, preview=options.kind == PREVIEW)  # the day's own run first
    results = [run_day(settings, day, replace(options, kind=kind, since=since))
               for (day, kind), since in zip(plan, catch_up_points(RunState(settings.workspace), plan))]
    caught_up = [r for r, (_, kind) in zip(results, plan) if kind == CATCH_UP]
    if caught_up:  # the missed days' one notice to the clerk
        caught_up[-1].mail += notify(settings, now.date(), caught_up, options.no_email)
    return results
