"""The run's workbooks as the readers get them, written; the deliveries with the files they carry.

Part of the last steps (reports → write workbooks → mail). ``write_outputs`` marks every workbook before it
is written: a preview's 【预览】 on every sheet, a demo workspace's 【演示数据】 (``titled``), a rep's own
with the other reps hidden (``core.privacy``); it decides the run's file names together, keeps what did not
change (``incremental``) and writes the rest through the pool (``pool``), each workbook in its own guard (a
failure is a ``core.failures.Failure`` of step 写出工作簿). ``attach_files`` gives each report's deliveries
the files written for them, a rep's message with the other reps hidden; ``with_pdfs`` adds the PDF beside
each workbook of a delivery that asks for one (``Delivery.pdf``: the 对账函, the 报价单), through LibreOffice (``office``).
"""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path

from ..core.failures import Failures
from ..core.output import Delivery, ReportOutput
from ..core.privacy import hide_others, private
from ..core.sheets import WorkbookSpec
from . import incremental, office
from .saving import Written
from .pool import write_workbooks
from .writer import assign_filenames

log = logging.getLogger("neiqin_xl")


def write_outputs(outputs: dict[str, ReportOutput], output_dir: Path, preview: bool = False,
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
        if preview:
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


def with_pdfs(deliveries: list[Delivery]) -> list[Delivery]:
    """A delivery asking for PDFs (``Delivery.pdf``: the 对账函, the 报价单) with each workbook's PDF beside it, where
    LibreOffice made one (``office.pdf_beside``); the others as they were."""
    wanted = [Path(a) for d in deliveries if d.pdf for a in d.attachments if Path(a).suffix == ".xlsx"]
    made = office.pdf_beside(wanted)
    return [replace(d, attachments=[x for a in d.attachments for x in (a, made.get(Path(a))) if x is not None])
            if d.pdf else d for d in deliveries]
