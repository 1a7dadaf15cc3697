"""The clerk's day, in order. Read this module first.

    read workbooks → input history (keep today's; stop here when nothing changed since the last run; compare
    with the last official run's) → validate → allocate collections → reports (receivables, statements,
    quotations, contract review, fulfilment, shipping check, commission, expenses, reconciliation, delivery plan,
    tenders, shipment tracking, change audit, sales journal, daily report, period reports, customer service,
    customer archive, work summaries, collection reminders, data-problem list) → what reps see names no other rep → write what changed →
    mail → manifest.json

Which runs one start makes (catch-up of missed days, then the day's preview / official run / rerun) is
``runs.plan_runs``; ``run_planned`` carries them out for the command line and ``serve`` alike. ``replay_day``
produces a past day again from its stored inputs (read/history.py) into ``output/回放/<date>/``.

A run starts by removing what a killed run left behind (``.~tmp-*`` files in output/ and outbox/; the
cli holds the workspace's run lock around all of it, so no other run is writing them). Each step is named
and timed in the log. Data problems are collected as values along the way and end in
the 数据问题清单; an exception inside one report is logged, recorded in the manifest and does not stop the
other reports (the run then exits non-zero). A report gets the data of the earlier reports it declares in
``NEEDS`` (and ``USES``); one whose need failed is skipped, logged and recorded as failed the same way.
After the reports, every step stands in its own guard (``Failures.guard``): the 数据问题清单, each workbook,
the mail and manifest.json; one failing is logged and recorded (``failed`` in the manifest), everything else
is still written and sent, the manifest is always written, and the exit status is 1. An output folder that
takes no file sends the whole run to ``output_备用/<date>/`` under the workspace, said on the console and in
the manifest (``output_fallback``).
A rerun whose inputs, settings, date, options and output files are all as the last run left them stops
after reading (``rerun_unchanged``); otherwise a workbook whose content and file are unchanged is kept, not
written again (``deliver.incremental``), and the others are written by a pool of processes (``deliver.pool``).
Nothing here touches Excel or SMTP directly: the intake reads, the writer writes, mail sends.
"""

from __future__ import annotations

import json
import logging
import tempfile
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
from .deliver import mail
from .deliver.state import RunState
from .runs import (OFFICIAL, PREVIEW, RERUN, delivery_label, digest_inputs, label_deliveries, output_folder,
                   plan_runs)
from .books.allocation import allocate
from .books.changes import Changes, ClosedMonth, compare
from .books.prepayments import check_large_collections
from .core.config import DEMO_MARKER, Settings, clock
from .books.context import ReportOptions, RunContext
from .books.roster import all_reps
from .core.privacy import hide_others, private
from .core.output import Delivery, ReportOutput
from .core.files import Name, file_sha256
from .core.sheets import WorkbookSpec
from .read.folders import list_workbooks, rep_workbooks
from .read import history
from .read.intake import find_by_stem, read_workbook, read_workspace
from .core.schema import SHEETS
from .core.model import ERROR, WARNING, Problem, Tables
from .core.names import CustomerIndex
from .reports import (archive, audit, collection_reminders, commission, daily, expenses, fulfilment, journal, period,
                      plan, problems, receivables, reconciliation, service, shipping, statements, summary, tracking)
from .reports import quotes  # issue 33
from .reports import review  # issue 33
from .reports import tenders  # issue 33
from .books.validate import validate
from .deliver.files import Written, cannot_write, remove_leftover_temps, write_file
from .deliver import incremental
from .deliver.pool import pool_size, write_workbooks
from .deliver.writer import assign_filenames

log = logging.getLogger("neiqin_xl")

# The reports, in the order the clerk's day produces them; a report's NEEDS and USES name earlier ones.
REPORTS: list[tuple[str, ModuleType]] = [
    ("receivables", receivables),  # 应收账款明细账 + 账龄
    ("statements", statements),  # 对账单
    ("quotes", quotes),  # 报价单 + 报价登记表 (issue 33)
    ("review", review),  # 合同评审 of the contracts new this run (issue 33: needs the receivables' aging)
    ("fulfilment", fulfilment),  # 合同履行一览表 (after the review: it shows its verdicts; issue 33 moved it here)
    ("shipping", shipping),  # 发货审核
    ("commission", commission),  # 提成计算表 + 提成确认单
    ("expenses", expenses),  # 费用审核
    ("reconciliation", reconciliation),  # 财务对账
    ("plan", plan),  # 发货计划 (weekly)
    ("tenders", tenders),  # 投标台账 (issue 33)
    ("tracking", tracking),  # 货物跟踪
    ("audit", audit),  # 变更记录 (the changes since the last official run; the closed months' differences)
    ("journal", journal),  # 销售明细账 (uses the reconciliation's months: mailed with them)
    ("daily", daily),  # 销售日报
    ("period", period),  # 五日报 / 月报 / 季报 / 年报
    ("service", service),  # 客户服务跟踪
    ("archive", archive),  # 客户档案汇总
    ("summary", summary),  # 周/月/年工作总结 + 新客户开发 (the reps' open problems: after the other reports)
    ("collection_reminders", collection_reminders),  # 回款提醒 (回款计划 lines late or due soon)
]
REPORT_NAMES = [name for name, _ in REPORTS] + ["problems"]


FALLBACK_FOLDER = "output_备用"  # under the workspace: where a run goes when its output folder takes no file
REPLAY_FOLDER = "回放"  # under the output folder: where ``replay`` writes a past day again


@dataclass(frozen=True)
class Recalled:
    """What a run takes from the workspace's memory besides its inputs: the last run date (the period reports
    catch up from it), the closed months, and the index of the last official run (the change audit's
    baseline). A replay takes them from the day's history index instead, so it sees what the day saw."""

    last_run_date: date | None
    closed: tuple[ClosedMonth, ...]
    baseline: dict | None
    history: Path  # the input history's folder


def recall(settings: Settings, state: RunState, run_date: date) -> Recalled:
    root = history.history_root(settings)
    return Recalled(state.last_run_date(), state.closed_months(), history.last_official(root, run_date), root)


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


@dataclass
class RunResult:
    run_date: date
    output_dir: Path
    manifest: dict
    written: list[Written] = field(default_factory=list)
    failed_reports: list[str] = field(default_factory=list)
    mail: list[dict] = field(default_factory=list)
    failures: list[dict] = field(default_factory=list)  # steps that failed after the reports (``Failures``)

    @property
    def ok(self) -> bool:
        return not self.failed_reports and not self.failures

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


class Failures(list):
    """What failed in the run's guarded steps, one dict each: step, what (a file), error; for the manifest."""

    @contextmanager
    def guard(self, step: str, what: str = "") -> Iterator[None]:
        """Runs the block; an exception in it is logged with its traceback and recorded, and the run goes on."""
        try:
            yield
        except Exception as exc:  # one step's failure must not lose the others' output
            log.error("%s 失败%s:\n%s", step, f" ({what})" if what else "", traceback.format_exc())
            self.append({"step": step, **({"what": what} if what else {}), "error": f"{type(exc).__name__}: {exc}"})


def run_day(settings: Settings, run_date: date, options: RunOptions | None = None) -> RunResult:
    """Runs the day's job for ``run_date`` and returns what it wrote, figured and sent."""
    options = options or RunOptions()
    step = _Steps()
    if options.output_dir is not None:
        output_dir, fallback = options.output_dir, ""
    else:
        output_dir, fallback = writable_output_folder(settings, run_date, options.kind)
    state = RunState(settings.workspace)
    recalled = options.replay or recall(settings, state, run_date)
    started = datetime.now()
    failures = Failures()
    if fallback:  # written elsewhere: the clerk must notice (exit status 1)
        failures.append({"step": "输出文件夹", "error": fallback})

    with step("读取工作簿"):
        tables, found = read_workspace(settings, progress=options.progress)
    entries = history.input_entries(settings, tables.inputs)
    run_id = ""
    if options.replay is None:  # every run keeps what it read, an unchanged rerun too
        with step("输入历史"), failures.guard("输入历史"):
            run_id = keep_inputs(settings, run_date, options, started, entries, recalled)
    inputs_digest = digest_inputs(tables.inputs)
    key = day_key(settings, run_date, options, recalled, inputs_digest)
    last = None if options.resend or options.replay is not None or not settings.writing.skip_unchanged else \
        incremental.unchanged_run(output_dir, key, mail.UNDELIVERED)
    if last is not None:  # the day as the last run made it: nothing to compute, nothing to write
        return rerun_unchanged(settings, run_date, options, state, last, key, started, step, output_dir, tables,
                               failures)
    changes: Changes | None = None
    with step("变更对比"), failures.guard("变更对比"):  # a failed comparison costs the 变更记录 only
        changes, damaged = changes_since(recalled, settings, run_date, tables, entries)
        found += damaged
    with step("校验"):
        tables, checked = validate(tables, settings, run_date)
    with step("核销回款"):
        allocation = allocate(tables, settings)
        checked += check_large_collections(tables, allocation, settings, run_date)

    ctx = RunContext(settings=settings, run_date=run_date, tables=tables,
                     customers=CustomerIndex.from_archive(tables["客户"]), allocation=allocation,
                     problems=[*found, *checked], output_dir=output_dir,
                     options=ReportOptions(force=options.force, month=options.month,
                                           last_run_date=recalled.last_run_date, only=tuple(options.only or ())),
                     changes=changes, closed=recalled.closed)
    outputs, failed = run_reports(ctx, step, options.only)
    with step("数据问题清单"):
        try:
            outputs["problems"] = problems.build(ctx)
        except Exception:  # the reports' workbooks, the manifest and the mail still go out
            log.error("报表 problems 失败:\n%s", traceback.format_exc())
            failed.append("problems")

    reps = all_reps(tables)
    with step("写出工作簿"):
        written = write_outputs(outputs, output_dir, options.kind, failures, reps, demo=settings.is_demo,
                                workers=pool_size(settings.writing.workers),
                                skip_unchanged=settings.writing.skip_unchanged)
    if settings.review.quotation_pdf:  # issue 33: the 报价单 as PDF too, beside its workbook, sent with it
        with step("报价单 PDF"), failures.guard("报价单 PDF"):
            quotation_pdfs(written.get("quotes", []))
    deliveries = label_deliveries(with_pdfs(attach_files(outputs, written, output_dir, reps)),
                                  delivery_label(state, run_date, options.kind, options.resend, inputs_digest))
    # who is behind, for the console and the manifest; the reminders themselves are their own job (remind)
    chased: list = []
    with failures.guard("催报名单"):
        _, chased = mail.reminders(settings, run_date, tables["人员"], rep_workbooks(settings.folder("reps")))
    sent: list[dict] = []
    with step("发送邮件"), failures.guard("发送邮件"):
        if (options.kind != PREVIEW or options.send) and options.replay is None:
            transport = mail.start_sending(settings, options.no_email)  # one login attempt for the whole run
            sent += mail.send_pending(settings, tables["人员"], transport=transport) if transport else []
            sent += mail.deliver(settings, run_date, deliveries, tables["人员"], no_email=options.no_email,
                                 resend=options.resend, transport=transport)
            notice = mail.admin_notice(run_date, failed, sent)
            if notice is not None and settings.email.admin:
                sent += mail.deliver(settings, run_date, [notice], None, no_email=options.no_email, transport=transport)

    manifest = build_manifest(settings, run_date, started, tables, ctx, outputs, written, failed, sent, chased,
                              step.timings)
    manifest.update(kind=options.kind, output_fallback=fallback, failed=failures, history=run_id, run_key=key)
    write_manifest(manifest, output_dir, fallback_folder(settings, output_dir), failures)
    result = RunResult(run_date, output_dir, manifest, [w for ws in written.values() for w in ws if w], failed, sent,
                       failures)
    if options.replay is None:  # a replay leaves no trace in the workspace's memory
        remember(state, result, inputs_digest, options.kind)
    return result


def remember(state: RunState, result: RunResult, inputs_digest: str, kind: str) -> None:
    """The state's record of the run (logged when it fails: the run is done) and, for a run that produced
    everything and is not a preview, the period reports' catch-up point."""
    with Failures().guard("记录运行"):
        record_run(state, result, inputs_digest)
        produced = not result.failed_reports and all(f["step"] == "输出文件夹" for f in result.failures)
        if produced and kind != PREVIEW:  # else the next run makes them again; a preview moves nothing
            state.set_last_run_date(result.run_date)


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


def rerun_unchanged(settings: Settings, run_date: date, options: RunOptions, state: RunState, last: dict, key: str,
                    started: datetime, step: _Steps, output_dir: Path, tables, failures: Failures) -> RunResult:
    """A rerun whose inputs, settings, date, options and output files are all as the last run left them
    (``incremental.unchanged_run``): its outputs stand, nothing is computed or written again; the mail still
    waiting from earlier runs is retried and the reminder list made; manifest.json says so (``unchanged``)."""
    log.info("输入、设置、日期和输出文件都与上次运行 (%s) 相同: 报表不重新计算, 工作簿不重写", last.get("started"))
    chased: list = []
    with failures.guard("催报名单"):
        _, chased = mail.reminders(settings, run_date, tables["人员"], rep_workbooks(settings.folder("reps")))
    sent: list[dict] = []
    with step("发送邮件"), failures.guard("发送邮件"):
        if options.kind != PREVIEW or options.send:
            transport = mail.start_sending(settings, options.no_email)
            sent += mail.send_pending(settings, tables["人员"], transport=transport) if transport else []
    kept = [Written(output_dir / o["file"], output_dir / o["file"], o.get("note", ""), tuple(o.get("continued", ())),
                    o["digest"], o["sha256"], kept=True) for o in last.get("outputs", [])]
    manifest = {**last, "started": started.isoformat(timespec="seconds"),
                "finished": datetime.now().isoformat(timespec="seconds"), "kind": options.kind, "unchanged": True,
                "mail": sent,
                "reminders": [{"rep": rep, "reason": reason} for rep, reason in chased],
                **mail_timing(settings, run_date, sent), "timings_seconds": step.timings, "failed": failures,
                "run_key": key, "outputs": [{**o, "kept": True} for o in last.get("outputs", [])]}
    write_manifest(manifest, output_dir, fallback_folder(settings, output_dir), failures)
    result = RunResult(run_date, output_dir, manifest, kept, [], sent, failures)
    remember(state, result, digest_inputs(tables.inputs), options.kind)
    return result


def changes_since(recalled: Recalled, settings: Settings, run_date: date, tables: Tables, entries: list[dict]
                  ) -> tuple[Changes | None, list[Problem]]:
    """The changes in the reps' workbooks since the last official run (None when there was none), compared on
    the rows as read (before validation), and a problem per damaged history file (left out of the comparison)."""
    if recalled.baseline is None:
        return None, []
    before, workbooks, problems = history.previous_rows(recalled.history, recalled.baseline, entries, settings)
    frame = compare(before, tables, workbooks, run_date, [c.month for c in recalled.closed])
    return Changes(date.fromisoformat(recalled.baseline["run_date"]), frame, tuple(sorted(workbooks))), problems


def keep_inputs(settings: Settings, run_date: date, options: RunOptions, started: datetime, entries: list[dict],
                recalled: Recalled) -> str:
    """The day's inputs and what it recalled, stored in the input history (read/history.py); the index's id.
    Runs older than ``history.keep_days`` are pruned after."""
    root = recalled.history
    record = history.new_record(settings, run_date, options.kind, started, __version__)
    record.update(inputs=history.store_inputs(settings, entries, root),
                  options={"force": options.force, "month": options.month, "only": options.only},
                  last_run_date=recalled.last_run_date.isoformat() if recalled.last_run_date else None,
                  closed=[{"month": c.month, "closed_at": c.closed_at, "paid": dict(c.paid)} for c in recalled.closed],
                  baseline=recalled.baseline["id"] if recalled.baseline else None)
    run_id = history.write_index(root, record)
    pruned = history.prune(root, run_date, settings.history.keep_days)
    if pruned:
        log.info("输入历史: 按 history.keep_days = %s 删除了 %d 个过期文件", settings.history.keep_days, pruned)
    return run_id


class ReplayError(Exception):
    """A day cannot be replayed: no run of it in the input history, or a file of it damaged."""


def replay_day(settings: Settings, run_date: date) -> RunResult:
    """Day ``run_date`` produced again from its stored inputs, settings and memory (the day's last official
    run, else its preview) into ``output/回放/<date>/``: no mail, nothing recorded, the workspace untouched."""
    root = history.history_root(settings)
    record = history.of_day(root, run_date)
    if record is None:
        raise ReplayError(f"输入历史中没有 {run_date} 的运行 (history 文件夹)")
    try:
        stored = Settings(**history.settings_of(root, record))
    except history.Damaged as exc:
        raise ReplayError(f"{run_date} 的配置无法读取: {exc}") from None
    output_dir = settings.folder("output").resolve() / REPLAY_FOLDER / run_date.isoformat()
    with tempfile.TemporaryDirectory(prefix="neiqin_replay_") as tmp:
        workspace = Path(tmp) / "工作区"
        _, damaged = history.check_out(root, record, workspace)
        if damaged:
            raise ReplayError("; ".join(p.message for p in damaged))
        for key, present in record.get("folders", {}).items():
            if present:
                (workspace / key).mkdir(parents=True, exist_ok=True)
        if record.get("demo"):
            (workspace / DEMO_MARKER).write_text("演示数据 (回放)\n", encoding="utf-8")
        folders = {"workspace": workspace, "output": settings.folder("output").resolve(),
                   **{key: Path(key) for key in history.INPUT_FOLDERS}}
        replayed = stored.model_copy(update={"paths": stored.paths.model_copy(update=folders)})
        recalled = Recalled(date.fromisoformat(record["last_run_date"]) if record.get("last_run_date") else None,
                            tuple(ClosedMonth(**c) for c in record.get("closed", [])),
                            history.by_id(root, record.get("baseline")), root)
        opts = record.get("options", {})
        result = run_day(replayed, run_date, RunOptions(kind=record["kind"], force=bool(opts.get("force")),
                                                        month=opts.get("month"), only=opts.get("only"),
                                                        no_email=True, replay=recalled, output_dir=output_dir))
    return result


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


def write_manifest(manifest: dict, output_dir: Path, fallback: Path, failures: Failures) -> None:
    """manifest.json into ``output_dir``; when that fails, with the failure recorded in it, into ``fallback``."""
    for folder in dict.fromkeys((output_dir, fallback)):
        with failures.guard("manifest.json", str(folder / "manifest.json")):
            write_file(folder / "manifest.json", json.dumps(manifest, ensure_ascii=False, indent=2, default=str))
            return


# ---------------------------------------------------------------------------- which runs, of which kind

def run_planned(settings: Settings, now: datetime, run_date: date | None, options: RunOptions) -> list[RunResult]:
    """``plan_runs`` carried out: the command line and ``serve`` both start the day's job through here (holding
    the workspace's run lock), after the leftovers of a killed run older than ``now`` are removed."""
    for path in remove_leftover_temps([settings.folder("output"), settings.folder("outbox")], now):
        log.info("已删除上次中断的运行留下的临时文件 %s", path)
    return [run_day(settings, day, replace(options, kind=kind)) for day, kind in plan_runs(settings, now, run_date)]


def record_run(state: RunState, result: RunResult, inputs_digest: str) -> None:
    m = result.manifest
    state.record_run(run_date=result.run_date.isoformat(), kind=m["kind"], started=m["started"],
                     finished=m["finished"], mail_left=m["mail_left"], deadline=m["deadline"], late=int(m["late"]),
                     ok=int(result.ok), undelivered=len(result.undelivered), inputs=inputs_digest,
                     output_dir=str(result.output_dir))


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


def write_outputs(outputs: dict[str, ReportOutput], output_dir: Path, kind: str = OFFICIAL,
                  failures: Failures | None = None, reps: set[str] = frozenset(), demo: bool = False,
                  workers: int = 1, skip_unchanged: bool = False) -> dict[str, list[Written | None]]:
    """Every report's workbooks, in the order of its ``workbooks`` (None for one that failed: each is written
    in its own guard); the file names of the whole run decided together (``writer.assign_filenames``); a
    preview's titled 【预览】 on every sheet (with a line saying what that means), a demo workspace's
    【演示数据】, a rep's own with the other reps hidden (``core.privacy``). With ``skip_unchanged``, a
    workbook whose content and file are as the last run into the folder left them is kept, not written
    (``incremental``); the rest are written by ``workers`` processes (``pool``)."""
    failures = Failures() if failures is None else failures

    def mark(spec: WorkbookSpec) -> WorkbookSpec:
        if kind == PREVIEW:
            spec = titled(spec, "【预览】", "预览: 截止时间前的数据, 不是当日的正式报表")
        return private(titled(spec, "【演示数据】") if demo else spec, reps)

    specs = assign_filenames([mark(spec) for out in outputs.values() for spec in out.workbooks], output_dir)
    digests = [incremental.spec_digest(spec) for spec in specs]
    last = incremental.recorded(incremental.previous_manifest(output_dir)) if skip_unchanged else {}
    results: list[Written | Exception | None] = [incremental.kept(spec, digest, output_dir, last)
                                                 for spec, digest in zip(specs, digests)]
    changed = [i for i, r in enumerate(results) if r is None]
    for i, r in zip(changed, write_workbooks([specs[i] for i in changed], output_dir, workers)):
        results[i] = r if isinstance(r, Exception) else replace(r, digest=digests[i])
    outcomes = iter(zip(specs, results))
    written: dict[str, list[Written | None]] = {}
    for name, out in outputs.items():
        written[name] = []
        for spec, result in [next(outcomes) for _ in out.workbooks]:
            done = None
            with failures.guard("写出工作簿", str(Path(spec.subfolder) / spec.filename)):
                if isinstance(result, Exception):
                    raise result
                done = result
            written[name].append(done)
    log.info("%s", incremental.describe([w for ws in written.values() for w in ws]))
    return written


def quotation_pdfs(written: list[Written | None]) -> None:
    """The 报价单 workbooks written this run (not those kept as they were: their PDF is there) converted by
    LibreOffice into PDFs beside them (one start for all); nothing when LibreOffice is not installed."""
    from .tools.preview import convert, soffice

    fresh = [w.path for w in written if w and not w.kept and w.path.parent.name == "报价单"]
    if fresh and soffice():
        convert(fresh, fresh[0].parent)


def with_pdfs(deliveries: list[Delivery]) -> list[Delivery]:
    """A 报价单 message carries the PDF of each of its workbooks too, when there is one."""
    out = []
    for d in deliveries:
        if d.report == "quotes":
            pdfs = [Path(a).with_suffix(".pdf") for a in d.attachments if Path(a).suffix == ".xlsx"]
            d = replace(d, attachments=[*d.attachments, *(p for p in pdfs if p.is_file())])
        out.append(d)
    return out


def titled(spec: WorkbookSpec, prefix: str, note: str = "") -> WorkbookSpec:
    """The workbook with ``prefix`` before each sheet's title, and ``note`` as one more subtitle line."""
    return replace(spec, sheets=[replace(sheet, title=f"{prefix}{sheet.title}" if sheet.title else sheet.title,
                                         subtitle=[*sheet.subtitle, note] if note else sheet.subtitle)
                                 for sheet in spec.sheets])


def attach_files(outputs: dict[str, ReportOutput], written: dict[str, list[Written | None]], output_dir: Path,
                 reps: set[str] = frozenset()) -> list[Delivery]:
    """The deliveries with their report's files: the ones each names (its workbooks, or paths relative to the
    output folder), else all of the report's (a customer's notice: none); a rep's message with the other reps hidden (``core.privacy``);
    new values, the reports' own deliveries stay as they were. A delivery whose own workbook failed to be
    written is not sent (the failure is in the manifest)."""
    deliveries = []
    for name, out in outputs.items():
        done = [w for w in written.get(name, []) if w]
        of_spec = {id(spec): w for spec, w in zip(out.workbooks, written.get(name, []))}
        files = {w.wanted.relative_to(output_dir): w.path for w in done}
        top_level = [w.path for w in done if w.wanted.parent == output_dir]
        lost = len(done) < len(written.get(name, []))  # a workbook of the report failed: its names are not files

        def path_of(attachment: Path | str | WorkbookSpec) -> Path | None:
            if isinstance(attachment, WorkbookSpec):
                w = of_spec.get(id(attachment))
                return w.path if w else None
            if Path(attachment).is_absolute():
                return Path(attachment)
            return files.get(Path(attachment)) or (None if lost else output_dir / attachment)

        for d in out.deliveries:
            named = [path_of(a) for a in d.attachments]
            if None in named:
                log.error("邮件 %s 不发送: 它的工作簿未能写出", d.title)
                continue
            d = replace(d, attachments=named if d.attachments or d.customer else top_level)  # a customer gets no file
            if d.rep:
                d = replace(d, **{f: hide_others(getattr(d, f), d.rep, reps)
                                  for f in ("title", "key_figure", "summary_text", "summary_html")})
            deliveries.append(d)
    return deliveries


def build_manifest(settings: Settings, run_date: date, started: datetime, tables, ctx: RunContext,
                   outputs: dict[str, ReportOutput], written: dict[str, list[Written | None]], failed: list[str],
                   sent: list[dict], chased: list, timings: dict[str, float]) -> dict:
    files = [{"report": name, "file": str(w.path.relative_to(ctx.output_dir)),
              "sha256": w.sha256 or file_sha256(w.path),
              "digest": w.digest, **({"kept": True} if w.kept else {}), **({"note": w.note} if w.note else {}),
              **({"continued": list(w.continued)} if w.continued else {})}
             for name, ws in written.items() for w in ws if w]
    return {
        "run_date": run_date.isoformat(),
        "started": started.isoformat(timespec="seconds"),
        "finished": datetime.now().isoformat(timespec="seconds"),
        "version": __version__,
        "workspace": str(settings.workspace),
        "demo": settings.is_demo,
        "inputs": tables.inputs,
        "rows": {name: int(len(frame)) for name, frame in tables.frames.items()},
        "issues": {"错误": sum(1 for p in ctx.problems if p.severity == ERROR),
                   "警告": sum(1 for p in ctx.problems if p.severity == WARNING)},
        "outputs": files,
        "files_for": files_for(outputs, written, ctx.output_dir),
        "figures": {name: out.figures for name, out in outputs.items()},
        "failed_reports": failed,
        "reminders": [{"rep": rep, "reason": reason} for rep, reason in chased],
        "mail": sent,
        **mail_timing(settings, run_date, sent),
        "timings_seconds": timings,
    }


def files_for(outputs: dict[str, ReportOutput], written: dict[str, list[Written | None]], output_dir: Path
              ) -> dict[str, dict[str, str]]:
    """Per report, each customer or rep a workbook is named after (``files.Name``) → its file, relative to the
    output folder: {"statements": {"A/B公司": "对账单/A_B公司_bd10cc_对账单_2026-11-30.xlsx"}, …}."""
    found: dict[str, dict[str, str]] = {}
    for name, out in outputs.items():
        for spec, w in zip(out.workbooks, written.get(name, [])):
            if w and isinstance(spec.filename, Name):
                found.setdefault(name, {})[spec.filename.text] = str(w.path.relative_to(output_dir))
    return found


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
    deliveries, chased = mail.reminders(settings, run_date, staff, rep_workbooks(settings.folder("reps")))
    return mail.deliver(settings, run_date, deliveries, staff, no_email=no_email), chased
