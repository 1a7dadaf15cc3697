"""The run's workbooks as the readers get them, written; the deliveries with the files they carry.

Part of the last steps (reports → write workbooks → mail). ``Publication`` marks every workbook before it
is written: a preview's 【预览】 on every sheet, a demo workspace's 【演示数据】 (``titled``), a rep's own
with the other reps hidden (``core.privacy``); it hands a report's small workbooks to the writing processes
(``pool``) as soon as the report is made, decides the run's file names together, keeps what did not change
(``incremental``) and writes the rest, each workbook in its own guard (a failure is a
``core.failures.Failure`` of step 写出工作簿); ``write_outputs`` is all of it at once. ``attach_files`` gives each report's deliveries
the files written for them, a rep's message with the other reps hidden; ``with_pdfs`` adds the PDF beside
each workbook of a delivery that asks for one (``Delivery.pdf``: the 对账函, the 报价单), through LibreOffice (``office``).
"""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path

from ..core.failures import Failures
from ..core.files import PathTooLong
from ..core.output import Delivery, ReportOutput
from ..core.privacy import hide_others, private
from ..core.sheets import WorkbookSpec
from . import incremental, office
from .saving import Written
from .pool import Writers
from .writer import assign_filenames, streamed

log = logging.getLogger("neiqin_xl")


def write_outputs(outputs: dict[str, ReportOutput], output_dir: Path, preview: bool = False,
                  failures: Failures | None = None, reps: set[str] = frozenset(), demo: bool = False,
                  workers: int = 1, skip_unchanged: bool = False) -> dict[str, list[Written | None]]:
    """Every report's workbooks written at once: ``Publication`` given them all, then finished."""
    with Publication(output_dir, preview, reps, demo, workers, skip_unchanged) as publication:
        for name, out in outputs.items():
            publication.add(name, out)
        return publication.finish(failures)


class Publication:
    """The run's workbooks, marked and written as the reports give them.

    Every workbook is marked before it is written: a preview's 【预览】 on every sheet (with a line saying what
    that means), a demo workspace's 【演示数据】 (``titled``), a rep's own with the other reps hidden
    (``core.privacy``). ``add`` takes a report's workbooks as soon as it is made: with ``workers`` > 1, the
    small ones (``writer.streamed``: not the big books) go to the writing processes (``pool.Writers``) at once,
    so they are written while the next reports are computed. ``finish`` decides the file names of the whole
    run together (``writer.assign_filenames``); a workbook written early under a name the whole run changed (two
    reports asking the same name in one folder) is written again under its final one and the early file
    removed. With ``skip_unchanged``, a workbook whose content and file are as the last run into the folder left
    them is kept, not written (``incremental``). Each workbook is written in its own guard (a failure is a
    ``core.failures.Failure`` of step 写出工作簿)."""

    def __init__(self, output_dir: Path, preview: bool = False, reps: set[str] = frozenset(), demo: bool = False,
                 workers: int = 1, skip_unchanged: bool = False) -> None:
        self.output_dir, self.preview, self.reps, self.demo = output_dir, preview, reps, demo
        self.last = incremental.recorded(incremental.previous_manifest(output_dir)) if skip_unchanged else {}
        self.writers = Writers(output_dir, workers)
        self.reports: dict[str, ReportOutput] = {}
        self.specs: list[WorkbookSpec] = []  # marked, in the order of the reports and their ``workbooks``
        self.early: dict[int, tuple[WorkbookSpec, str, Written | None]] = {}  # named, digest, kept: handed or kept

    def __enter__(self) -> Publication:
        return self

    def __exit__(self, *exc) -> None:
        self.writers.close()  # the workers gone however the run ends

    def mark(self, spec: WorkbookSpec) -> WorkbookSpec:
        if self.preview:
            spec = titled(spec, "【预览】", "预览: 截止时间前的数据, 不是当日的正式报表")
        return private(titled(spec, "【演示数据】") if self.demo else spec, self.reps)

    def add(self, name: str, out: ReportOutput) -> None:
        """Report ``name``'s workbooks, marked; with workers, its small ones named as the run so far names them
        and handed to the writers (or kept, as they are on disk)."""
        self.reports[name] = out
        first = len(self.specs)
        self.specs.extend(self.mark(spec) for spec in out.workbooks)
        if self.writers.workers <= 1:
            return
        new = range(first, len(self.specs))
        folders = {self.specs[i].subfolder.casefold() for i in new}
        so_far = [i for i in range(len(self.specs)) if self.specs[i].subfolder.casefold() in folders]
        try:
            named = dict(zip(so_far, assign_filenames([self.specs[i] for i in so_far], self.output_dir)))
        except PathTooLong:  # said by ``finish``, before anything of this report is written
            return
        for i in new:
            if streamed(named[i]):
                continue
            digest = incremental.spec_digest(named[i])
            kept = incremental.kept(named[i], digest, self.output_dir, self.last)
            self.early[i] = (named[i], digest, kept)
            if kept is None:
                self.writers.hand(i, named[i])

    def finish(self, failures: Failures | None = None) -> dict[str, list[Written | None]]:
        """Every workbook added, written or kept, by report, in the order of its ``workbooks`` (None for one
        that failed); the workers gone after."""
        failures = Failures() if failures is None else failures
        specs = assign_filenames(self.specs, self.output_dir)
        final = {self.output_dir / s.subfolder / s.filename for s in specs}
        digests: dict[int, str] = {}
        results: dict[int, Written | Exception | None] = {}
        to_write: dict[int, WorkbookSpec] = {}
        for i, spec in enumerate(specs):
            named, digest, kept = self.early.get(i, (None, "", None))
            if named is not None and named.filename != spec.filename:  # the whole run names it otherwise
                if self.writers.handed(i):
                    early = self.writers.take_back(i)
                    if isinstance(early, Written) and early.path not in final:
                        early.path.unlink(missing_ok=True)
                named = None
            if named is None:
                digest = incremental.spec_digest(spec)
                kept = incremental.kept(spec, digest, self.output_dir, self.last)
            digests[i] = digest
            if kept is not None:
                results[i] = kept
            else:
                to_write[i] = spec
        for i, r in self.writers.finish(to_write).items():
            results[i] = r if isinstance(r, Exception) else replace(r, digest=digests[i])
        outcomes = iter(zip(specs, (results[i] for i in range(len(specs)))))
        written: dict[str, list[Written | None]] = {}
        for name, out in self.reports.items():
            written[name] = []
            for spec, result in [next(outcomes) for _ in out.workbooks]:
                done_one = None
                with failures.guard("写出工作簿", str(Path(spec.subfolder) / spec.filename)):
                    if isinstance(result, Exception):
                        raise result
                    done_one = result
                written[name].append(done_one)
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
