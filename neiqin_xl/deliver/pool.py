"""The workbooks of a run written by a pool of worker processes, one per core: part of ``写出工作簿``.

The write is most of a big company's day (80% on 100 reps) and one Python process uses one core. Here each
writing process runs the one writer (``writer.write_workbook``) on whole workbooks, so everything the writer
promises holds unchanged: the same bytes as a write in the run's own process (the creation date is fixed,
nothing depends on the process), the atomic save and the locked-file policy (``saving.write_file``: each
workbook's hidden temporary file is its own, the one rename is the worker's; a target open in Excel gets
its timestamped sibling, said in ``Written.note``). The run decides every file name before (``assign_filenames``),
so no two workers ever write the same file.

Workers are *spawned* (a fresh interpreter, as Windows always does; no fork), so the same code runs under
``pythonw.exe`` with no console and on every system; specs travel pickled. Spawning costs an interpreter
and the writer's imports per worker (about a second), so a run with fewer than ``POOL_MIN_CELLS`` cells to
write (the demo, a small office) writes them in its own process. The run's own process is one of the
writers: it takes the big workbooks, those the writer streams to disk (their data is there already, so no
copy of it is pickled and held by a second interpreter: the peak memory of the run), and then the smallest
ones no worker has begun, while the workers take them biggest first, so the last one to finish is a small
one. The workers need not wait for the last report: the day hands them each report's small workbooks as
soon as it is made (``Writers``), so they write on the second core while the run's own process computes the
next reports. A worker that dies (killed, out of memory) costs no workbook: what it had not written is written in
the run's own process.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

from ..core.sheets import WorkbookSpec
from .saving import Written
from .writer import cell_count, write_workbook

log = logging.getLogger("neiqin_xl")

POOL_MIN_CELLS = 300_000  # below this many cells the pool's start costs more than it saves


def pool_size(setting: int | None) -> int:
    """The writing processes for ``writing.workers``, the run's own counted: None = one per core; 0 and 1 mean
    the run's own process alone."""
    return max(1, os.cpu_count() or 1) if setting is None else max(1, setting)


class Writers:
    """The run's writing processes: the run's own and ``workers - 1`` spawned ones, open while the reports
    are made, so that a report's workbooks are written while the next report is computed.

    ``hand`` gives the workers a small workbook (one not streamed to disk, ``writer.streamed``) as soon as its
    report is made; the workers start once the cells handed reach ``POOL_MIN_CELLS`` (below that, their start
    costs more than they save) and take what they are handed in turn. ``finish`` writes the rest: the run's
    own process takes the big workbooks (those streamed to disk: it holds their data already, where a worker
    would hold a second, pickled copy; at least the biggest), then the smallest ones no worker has begun,
    while the workers go on with theirs, so the last one to finish is a small one."""

    def __init__(self, output_dir: Path, workers: int) -> None:
        self.output_dir, self.workers = output_dir, workers
        self.waiting: dict[int, WorkbookSpec] = {}  # handed before the workers started
        self.cells = 0
        self.futures: dict[int, Future] = {}
        self.pool: ProcessPoolExecutor | None = None

    def hand(self, key: int, spec: WorkbookSpec) -> None:
        """``spec`` to be written by a worker when one is free (named already; ``key`` finds its result)."""
        self.waiting[key] = spec
        self.cells += cell_count(spec)
        if self.pool is None and self.workers > 1 and self.cells >= POOL_MIN_CELLS:
            self._start()
        if self.pool is not None:
            self._submit()

    def handed(self, key: int) -> bool:
        return key in self.waiting or key in self.futures

    def take_back(self, key: int) -> Written | Exception | None:
        """A handed workbook no longer wanted: None when no worker had begun it (it is not written), else what
        its write gave (the caller removes the file)."""
        if self.waiting.pop(key, None) is not None:
            return None
        future = self.futures.pop(key)
        if future.cancel():
            return None
        try:
            return future.result()
        except Exception as exc:  # noqa: BLE001 - nothing of it is wanted
            return exc

    def _start(self) -> None:
        size = self.workers - 1
        log.info("由本进程和 %d 个写出进程写出工作簿", size)
        self.pool = ProcessPoolExecutor(max_workers=size, mp_context=multiprocessing.get_context("spawn"))

    def _submit(self) -> None:
        for key, spec in self.waiting.items():
            self.futures[key] = self.pool.submit(write_workbook, spec, self.output_dir)
        self.waiting.clear()

    def finish(self, specs: dict[int, WorkbookSpec]) -> dict[int, Written | Exception]:
        """Writes ``specs`` (key → spec: every one handed, and the rest) and gives each one's ``Written`` or the
        exception that stopped it; the workers are gone after."""
        total = sum(cell_count(spec) for spec in specs.values())
        if self.pool is None and (self.workers <= 1 or len(specs) <= 1 or total < POOL_MIN_CELLS):
            return {key: _in_process(spec, self.output_dir) for key, spec in specs.items()}
        results: dict[int, Written | Exception] = {}
        try:
            if self.pool is None:
                self._start()
            order = sorted((key for key in specs if not self.handed(key)), key=lambda k: -cell_count(specs[k]))
            if len(order) > 1 and not (self.waiting or self.futures):  # every one big: a worker takes the smallest
                key = order.pop()
                self.waiting[key] = specs[key]
            self._submit()
            own = order or [key for key in sorted(self.futures, key=lambda k: -cell_count(specs[k]))
                            if self.futures[key].cancel()][:1]
            for key in own:
                results[key] = _in_process(specs[key], self.output_dir)
            for key in sorted(self.futures, key=lambda k: cell_count(specs[k])):  # the smallest first
                if key not in results and self.futures[key].cancel():  # one a worker has begun is left to it
                    results[key] = _in_process(specs[key], self.output_dir)
            broken = False
            for key, future in self.futures.items():
                if key in results:
                    continue
                try:
                    results[key] = future.result()
                except BrokenProcessPool:  # a worker died: what the pool had not written is written here
                    if not broken:
                        log.warning("写出进程意外退出, 未写完的工作簿改在本进程写出 (从 %s 起)", specs[key].filename)
                    broken = True
                    results[key] = _in_process(specs[key], self.output_dir)
                except Exception as exc:  # noqa: BLE001 - the writer's own error, raised again by the caller's guard
                    results[key] = exc
        finally:
            self.close()
        return {key: results[key] for key in specs}

    def close(self) -> None:
        """The workers gone (what they had not begun is not written): after ``finish``, or a run that stopped."""
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None


def _in_process(spec: WorkbookSpec, output_dir: Path) -> Written | Exception:
    try:
        return write_workbook(spec, output_dir)
    except Exception as exc:  # noqa: BLE001 - handed back like a worker's
        return exc
