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
one. A worker that dies (killed, out of memory) costs no workbook: what it had not written is written in
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
from .writer import cell_count, streamed, write_workbook

log = logging.getLogger("neiqin_xl")

POOL_MIN_CELLS = 300_000  # below this many cells the pool's start costs more than it saves


def pool_size(setting: int | None) -> int:
    """The writing processes for ``writing.workers``, the run's own counted: None = one per core; 0 and 1 mean
    the run's own process alone."""
    return max(1, os.cpu_count() or 1) if setting is None else max(1, setting)


def write_workbooks(specs: list[WorkbookSpec], output_dir: Path, workers: int) -> list[Written | Exception]:
    """Writes ``specs`` (named already: ``writer.assign_filenames``) under ``output_dir``; returns, in their
    order, each one's ``Written`` or the exception that stopped it (the caller records it and goes on).

    ``workers`` processes write: the run's own and ``workers - 1`` spawned ones. The run's own process
    takes the big workbooks (those streamed to disk, ``writer.streamed``; at least the biggest): it
    holds their data already, where a worker would hold a second, pickled copy. Then it takes the smallest
    ones still waiting, while the workers take them biggest first."""
    sizes = [cell_count(spec) for spec in specs]
    if workers <= 1 or len(specs) <= 1 or sum(sizes) < POOL_MIN_CELLS:
        return [_in_process(spec, output_dir) for spec in specs]
    order = sorted(range(len(specs)), key=lambda i: -sizes[i])
    results: list[Written | Exception | None] = [None] * len(specs)
    context = multiprocessing.get_context("spawn")
    size = min(workers - 1, len(specs) - 1)
    log.info("由本进程和 %d 个写出进程写出 %d 个工作簿", size, len(specs))
    with ProcessPoolExecutor(max_workers=size, mp_context=context) as pool:
        own = [i for i in order if streamed(specs[i])][:len(specs) - 1] or order[:1]
        shared = order[len(own):]
        futures: dict[int, Future] = {i: pool.submit(write_workbook, specs[i], output_dir) for i in shared}
        for i in own:
            results[i] = _in_process(specs[i], output_dir)
        for i in reversed(shared):  # the smallest first; a workbook a worker has begun is left to it
            if futures[i].cancel():
                results[i] = _in_process(specs[i], output_dir)
        broken = False
        for i in shared:
            if results[i] is not None:
                continue
            try:
                results[i] = futures[i].result()
            except BrokenProcessPool:  # a worker died: what the pool had not written is written here
                if not broken:
                    log.warning("写出进程意外退出, 未写完的工作簿改在本进程写出 (从 %s 起)", specs[i].filename)
                broken = True
                results[i] = _in_process(specs[i], output_dir)
            except Exception as exc:  # noqa: BLE001 - the writer's own error, raised again by the caller's guard
                results[i] = exc
    return results


def _in_process(spec: WorkbookSpec, output_dir: Path) -> Written | Exception:
    try:
        return write_workbook(spec, output_dir)
    except Exception as exc:  # noqa: BLE001 - handed back like a worker's
        return exc
