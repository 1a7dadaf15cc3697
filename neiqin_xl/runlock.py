"""One run at a time per workspace: the run lock every job that writes or mails takes first.

The clerk double-clicks run_daily.py while the Task Scheduler's run is mailing; ``serve`` wakes up while a
run started by hand is still reading. Two runs at once would both send the day's mail (the state says
"not sent yet" to both). So the day's run, the reminders, ``serve``'s jobs and ``demo`` hold
``<workspace>/.neiqin_run.lock`` while they work:

- The lock itself is the operating system's lock on that file (``flock`` on POSIX, ``msvcrt.locking`` on
  Windows, also across PCs on a Windows share): it dies with its holder, so a killed run (Task Manager, a
  power cut) never leaves the workspace locked.
- The file's text says who holds it: PID, host, start time and the command, as JSON. A run that finds the
  lock taken says so (the holder, and how long it will wait), waits up to ``schedule.lock_wait_seconds``
  (default 600) and, if the holder is still at work, gives up with ``RunLocked`` (cli: exit status 4).
- A holder that ended without clearing the text was killed: its lock is stale (the operating system has
  already released it, its PID is dead). The next run takes it over and logs whose it was.
- The file is never deleted, only emptied on release: a run waiting on the old file would otherwise lock
  a file nobody else sees.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

log = logging.getLogger("neiqin_xl")

LOCK_FILE = ".neiqin_run.lock"
POLL_SECONDS = 1.0
_WINDOWS_LOCK_OFFSET = 1 << 20  # msvcrt locks a byte range: one byte far past the text, which stays readable
_FLAGS = os.O_RDWR | getattr(os, "O_BINARY", 0)  # Windows: no newline translation


@dataclass(frozen=True)
class Holder:
    """Who holds (or held) the lock, as its file says."""

    pid: int
    host: str
    started: str  # ISO time
    command: str = "run"

    def describe(self) -> str:
        """``PID 4242, 主机 SALES-PC, 16:30:02 开始 (run)``"""
        try:
            started = datetime.fromisoformat(self.started)
            when = f"{started:%H:%M:%S}" if started.date() == datetime.now().date() else f"{started:%Y-%m-%d %H:%M:%S}"
        except ValueError:
            when = self.started
        return f"PID {self.pid}, 主机 {self.host}, {when} 开始 ({self.command})"

    def alive(self) -> bool | None:
        """Whether the holder's process still runs; None when it ran on another host (cannot be told here)."""
        if self.host != socket.gethostname():
            return None
        return pid_alive(self.pid)


class RunLocked(Exception):
    """Another run held the workspace through the whole wait (the cli exits 4)."""

    def __init__(self, workspace: Path, holder: Holder | None, waited: float):
        who = holder.describe() if holder else "另一次运行"
        super().__init__(f"工作区 {workspace} 正在被另一次运行使用 ({who}); 已等待 {waited:g} 秒仍未结束, 本次不运行。"
                         f"请等它结束后再运行 (等待时间: config.yaml 的 schedule.lock_wait_seconds)")
        self.workspace, self.holder, self.waited = Path(workspace), holder, waited


def pid_alive(pid: int) -> bool:
    """Whether process ``pid`` exists on this machine."""
    if pid <= 0:
        return False
    if os.name == "nt":
        import ctypes

        kernel32 = ctypes.windll.kernel32  # type: ignore[attr-defined]
        handle = kernel32.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
        if not handle:
            return False
        try:
            code = ctypes.c_ulong()
            kernel32.GetExitCodeProcess(handle, ctypes.byref(code))
            return code.value == 259  # STILL_ACTIVE
        finally:
            kernel32.CloseHandle(handle)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: it exists
        return True
    return True


def _try_lock(fd: int) -> bool:
    """Takes the operating system's lock on ``fd`` without waiting; False when another holds it."""
    if os.name == "nt":
        import msvcrt

        os.lseek(fd, _WINDOWS_LOCK_OFFSET, os.SEEK_SET)
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    import fcntl

    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _unlock(fd: int) -> None:
    if os.name == "nt":
        import msvcrt

        os.lseek(fd, _WINDOWS_LOCK_OFFSET, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
        return
    import fcntl

    fcntl.flock(fd, fcntl.LOCK_UN)


def _read(fd: int) -> Holder | None:
    """The holder the file names; None when it is empty (free) or unreadable."""
    os.lseek(fd, 0, os.SEEK_SET)
    data = b""
    while chunk := os.read(fd, 4096):
        data += chunk
        if len(data) > 65536:
            break
    if not data.strip():
        return None
    try:
        values = json.loads(data.decode("utf-8"))
        return Holder(int(values["pid"]), str(values["host"]), str(values["started"]), str(values.get("command", "run")))
    except (ValueError, KeyError, TypeError):
        return Holder(0, "?", data.decode("utf-8", "replace")[:40])


def _write(fd: int, holder: Holder | None) -> None:
    os.lseek(fd, 0, os.SEEK_SET)
    os.ftruncate(fd, 0)
    if holder is not None:
        os.write(fd, json.dumps(holder.__dict__, ensure_ascii=False).encode("utf-8"))


def lock_holder(workspace: Path) -> Holder | None:
    """Who holds the workspace's lock now (for ``status``); None when nobody does."""
    path = Path(workspace) / LOCK_FILE
    if not path.is_file():
        return None
    fd = os.open(path, _FLAGS)
    try:
        if _try_lock(fd):
            _unlock(fd)
            return None
        return _read(fd)
    finally:
        os.close(fd)


@contextmanager
def hold(workspace: Path, wait_seconds: float, command: str = "run",
         on_wait: Callable[[Holder | None], None] | None = None) -> Iterator[Holder | None]:
    """Holds the workspace's run lock for the ``with`` block; yields the stale holder it took over (None
    when the lock was free). Waits up to ``wait_seconds`` for a live holder (``on_wait(holder)`` is called
    once, when the wait begins), then raises ``RunLocked``. Creates the workspace folder if needed."""
    workspace = Path(workspace)
    workspace.mkdir(parents=True, exist_ok=True)
    fd = os.open(workspace / LOCK_FILE, _FLAGS | os.O_CREAT, 0o644)
    try:
        start = time.monotonic()
        told = False
        while not _try_lock(fd):
            waited = time.monotonic() - start
            if waited >= wait_seconds:
                raise RunLocked(workspace, _read(fd), round(wait_seconds))
            if not told and on_wait is not None:
                on_wait(_read(fd))
                told = True
            time.sleep(min(POLL_SECONDS, wait_seconds - waited))
        try:
            stale = _read(fd)
            if stale is not None:
                state = {True: "进程仍在但已不持有锁", False: "进程已不存在", None: "在另一台电脑上"}[stale.alive()]
                log.warning("接管运行锁 %s: 上一次运行 (%s) 没有正常结束 (%s)", workspace / LOCK_FILE, stale.describe(),
                            state)
            _write(fd, Holder(os.getpid(), socket.gethostname(), datetime.now().isoformat(timespec="seconds"), command))
            yield stale
        finally:
            _write(fd, None)
            _unlock(fd)
    finally:
        os.close(fd)
