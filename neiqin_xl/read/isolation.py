"""A small pool of worker processes that read workbooks where a crash cannot stop the day.

Part of the first step (``read workbooks``): ``intake.read_workspace`` hands every workbook that the
intake cache does not already hold to a ``WorkerPool``. python-calamine is Rust: a damaged file can make
it abort the process (no ``except`` catches that), loop, or allocate without end. In a worker, each of
these costs one workbook, never the run:
- a task that runs longer than ``max_seconds`` has its worker killed (``intake.max_seconds``);
- a task may take ``max_memory_mb`` of memory on top of what its worker held when it started it
  (``intake.max_memory_mb``). On Linux and other POSIX systems the worker sets ``RLIMIT_AS`` before each
  task, so the allocation that goes past it fails in the worker itself (a Python ``MemoryError``, or a
  Rust abort). A forked worker may first fill free heap it inherited from the parent, so the cap is
  the limit plus that slack. On Windows (no rlimit) the parent watches each busy worker's resident memory with psutil
  every ``WATCH_SECONDS`` and kills it past the limit; a single huge allocation there fails at once
  against the commit limit and the worker dies. (A Windows Job Object would be exact; it is not used
  because it could not be tested here.)
- a worker that dies (abort, kill, limit) is replaced by a fresh one and the next task goes on.
The outcome of each task is an ``Outcome``: the value, or why there is none ("timeout", "memory",
"crash", "error"), so the caller reports that one workbook and reads the rest.

Workers are few (``size``, at most the number of cores) and live for the whole intake, one task at a
time each, so the pool costs a process start per worker, not per file. On POSIX a single-threaded parent
forks (the worker has every module already imported); otherwise, and always on Windows, workers are
spawned: a fresh interpreter, which works under pythonw.exe (no console: the worker writes nothing) and
with Chinese paths (tasks travel pickled, not on a command line). ``work`` must be a module-level
function, and the script that runs the day must guard its entry point with ``if __name__ == "__main__"``.
"""

from __future__ import annotations

import faulthandler
import gc
import multiprocessing
import os
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from multiprocessing.connection import wait
from typing import Any

try:  # the memory watchdog where there is no rlimit (Windows)
    import psutil
except ImportError:  # pragma: no cover - psutil is a dependency; without it, POSIX still has the rlimit
    psutil = None

try:
    import resource
except ImportError:  # Windows
    resource = None

WATCH_SECONDS = 0.2  # how often the parent checks a busy worker's memory when it watches
TIMEOUT, MEMORY, CRASH, ERROR = "timeout", "memory", "crash", "error"


@dataclass(frozen=True)
class Outcome:
    """What became of one task: ``value`` when ``failure`` is None, else why not and the detail."""

    value: Any = None
    failure: str | None = None  # TIMEOUT, MEMORY, CRASH (the worker died; ``detail`` has its exit code), ERROR
    detail: str = ""


# ---------------------------------------------------------------- the worker side

def address_space() -> int | None:
    """This process's virtual memory size in bytes (Linux ``/proc/self/statm``); None where unknown."""
    try:
        with open("/proc/self/statm", "rb") as fh:
            pages = int(fh.read().split()[0])
    except (OSError, ValueError, IndexError):
        return None
    return pages * os.sysconf("SC_PAGE_SIZE")


def limit_memory(max_memory_mb: int) -> bool:
    """Caps this process's address space at its present size plus ``max_memory_mb``; False where it cannot."""
    if resource is None or not hasattr(resource, "RLIMIT_AS"):
        return False
    now = address_space()
    if now is None:
        return False
    _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    soft = now + max_memory_mb * 1024 * 1024
    if hard != resource.RLIM_INFINITY:
        soft = min(soft, hard)
    resource.setrlimit(resource.RLIMIT_AS, (soft, hard))
    return True


def serve(conn, work: Callable[[Any], Any], max_memory_mb: int | None, log_path: str) -> None:
    """A worker's loop: one task at a time from ``conn``, its (status, value) sent back; exits on None.

    Its standard error goes to ``log_path`` (the parent reads there why a worker died: Rust prints
    "memory allocation of N bytes failed" before it aborts). After a failure the worker exits, so the
    next task starts in a fresh process.
    """
    # Rust prints its abort message either way; a backtrace on top would be symbolised under the memory cap,
    # which can take longer than the time limit (RUST_BACKTRACE=1 in the environment)
    os.environ["RUST_BACKTRACE"] = "0"
    try:
        fd = os.open(log_path, os.O_WRONLY | os.O_APPEND)
        os.dup2(fd, 2)
        os.close(fd)
        if faulthandler.is_enabled():  # inherited from the parent (pytest): dump a crash here, not on its stderr
            faulthandler.enable(file=2)
    except (OSError, ValueError):
        pass
    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError):
            return
        if task is None:
            return
        if max_memory_mb is not None:
            limit_memory(max_memory_mb)
        try:
            conn.send((None, work(task)))
        except BaseException as exc:  # noqa: BLE001 - whatever the reader raises is this task's outcome
            conn.send((MEMORY, "") if out_of_memory(exc) else (ERROR, f"{type(exc).__name__}: {str(exc)[:200]}"))
            return


def out_of_memory(exc: BaseException) -> bool:
    """A MemoryError, or the panic of a Rust extension (pyo3) whose Python object could not be allocated.

    >>> out_of_memory(MemoryError()), out_of_memory(ValueError("null"))
    (True, False)
    """
    return isinstance(exc, MemoryError) or (type(exc).__name__ == "PanicException" and "pointer is null" in str(exc))


# ---------------------------------------------------------------- the parent side

@dataclass
class _Worker:
    process: Any
    conn: Any
    key: Hashable | None = None  # the task it is reading, None when idle
    deadline: float = 0.0
    rss_limit: int | None = None  # watchdog: kill above this many bytes resident
    log_path: str = ""  # the worker's standard error


def start_method() -> str:
    """fork on POSIX when this process has one thread (forking a threaded process can deadlock), else spawn."""
    if os.name == "posix" and threading.active_count() == 1:
        return "fork"
    return "spawn"


class WorkerPool:
    """Runs ``work(task)`` in up to ``size`` worker processes, each task within the time and memory limits.

    ``submit(key, task)`` queues a task; ``result(key)`` waits for its ``Outcome`` (tasks run in the order
    submitted, results are asked for in any order). Use as a context manager: leaving it stops the workers.
    ``watch=True`` guards memory as on Windows (the psutil watchdog, no rlimit); by default the rlimit guards
    it where there is one, else the watchdog.
    """

    def __init__(self, work: Callable[[Any], Any], size: int, max_seconds: float, max_memory_mb: int,
                 watch: bool | None = None):
        self.work, self.size = work, max(1, size)
        self.max_seconds, self.max_memory_mb = max_seconds, max_memory_mb
        posix_limit = resource is not None and address_space() is not None
        self.watch = (not posix_limit if watch is None else watch) and psutil is not None
        self.rlimit = posix_limit and not self.watch
        self.context = multiprocessing.get_context(start_method())
        self.queue: deque[tuple[Hashable, Any]] = deque()
        self.done: dict[Hashable, Outcome] = {}
        self.workers: list[_Worker] = []

    def __enter__(self) -> "WorkerPool":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def submit(self, key: Hashable, task: Any) -> None:
        self.queue.append((key, task))
        self._dispatch()

    def result(self, key: Hashable) -> Outcome:
        while key not in self.done:
            self._pump()
        return self.done.pop(key)

    def close(self) -> None:
        for worker in self.workers:
            try:
                worker.conn.send(None)
            except (OSError, ValueError):
                pass
        for worker in self.workers:
            worker.process.join(timeout=2)
            if worker.process.is_alive():
                worker.process.kill()
                worker.process.join()
            worker.conn.close()
            remove(worker.log_path)
        self.workers = []

    # ------------------------------------------------------------ internals

    def _start(self) -> _Worker:
        parent, child = self.context.Pipe()
        fd, log_path = tempfile.mkstemp(prefix="neiqin-worker-", suffix=".log")
        os.close(fd)
        process = self.context.Process(target=serve, args=(child, self.work, self.max_memory_mb if self.rlimit else None,
                                                           log_path),
                                       daemon=True, name="neiqin-intake-worker")
        gc.freeze()  # a forked worker's collector then leaves the parent's objects (and their pages) alone
        try:
            process.start()
        finally:
            gc.unfreeze()
        child.close()
        worker = _Worker(process, parent, log_path=log_path)
        self.workers.append(worker)
        return worker

    def _dispatch(self) -> None:
        while self.queue:
            worker = next((w for w in self.workers if w.key is None), None)
            if worker is None:
                if len(self.workers) >= self.size:
                    return
                worker = self._start()
            key, task = self.queue.popleft()
            try:
                worker.conn.send(task)
            except OSError:  # the idle worker is gone: replace it, keep the task
                self._retire(worker)
                self.queue.appendleft((key, task))
                continue
            worker.key, worker.deadline = key, time.monotonic() + self.max_seconds
            worker.rss_limit = None
            if self.watch:
                try:
                    worker.rss_limit = psutil.Process(worker.process.pid).memory_info().rss + self.max_memory_mb * 2**20
                except psutil.Error:
                    worker.rss_limit = None

    def _pump(self) -> None:
        """Waits for one event (a result, a death, a deadline, a watchdog tick) and handles it."""
        busy = [w for w in self.workers if w.key is not None]
        if not busy:
            self._dispatch()
            return
        now = time.monotonic()
        timeout = max(0.0, min(w.deadline for w in busy) - now)
        if self.watch:
            timeout = min(timeout, WATCH_SECONDS)
        ready = set(wait([w.conn for w in busy] + [w.process.sentinel for w in busy], timeout))
        for worker in busy:
            if worker.conn in ready:
                try:
                    status, value = worker.conn.recv()
                except (EOFError, OSError):
                    self._fail(worker, *self._why_died(worker))
                    continue
                if status is None:
                    self._finish(worker, Outcome(value))
                else:
                    self._fail(worker, status, value)
            elif worker.process.sentinel in ready:
                self._fail(worker, *self._why_died(worker))
            elif time.monotonic() >= worker.deadline:
                self._fail(worker, TIMEOUT, f"{self.max_seconds:g} s")
            elif worker.rss_limit is not None and self._resident(worker) > worker.rss_limit:
                self._fail(worker, MEMORY, f"{self.max_memory_mb} MB")
        self._dispatch()

    def _resident(self, worker: _Worker) -> int:
        try:
            return psutil.Process(worker.process.pid).memory_info().rss
        except psutil.Error:
            return 0

    def _why_died(self, worker: _Worker) -> tuple[str, str]:
        """MEMORY when the worker's last words were an allocation failure, else CRASH with its exit code."""
        worker.process.join(timeout=5)
        try:
            with open(worker.log_path, "rb") as fh:
                fh.seek(max(0, os.path.getsize(worker.log_path) - 65536))
                words = fh.read()
        except OSError:
            words = b""
        if b"memory allocation of" in words or b"MemoryError" in words:
            return MEMORY, f"{self.max_memory_mb} MB"
        return CRASH, f"退出码 {worker.process.exitcode}"

    def _finish(self, worker: _Worker, outcome: Outcome) -> None:
        self.done[worker.key] = outcome
        worker.key = None

    def _fail(self, worker: _Worker, failure: str, detail: str) -> None:
        """The task's outcome is the failure; the worker is stopped and dropped (a new one starts on demand)."""
        self.done[worker.key] = Outcome(failure=failure, detail=detail)
        self._retire(worker)

    def _retire(self, worker: _Worker) -> None:
        if worker.process.is_alive():
            worker.process.kill()
        worker.process.join()
        worker.conn.close()
        remove(worker.log_path)
        self.workers.remove(worker)


def remove(path: str) -> None:
    try:
        os.remove(path)
    except OSError:
        pass
