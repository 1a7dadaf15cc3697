"""What a run takes from the workspace's memory besides its inputs, and what it keeps there for later runs.

``recall``: the last run date (the period reports catch up from it), the closed months and the index of the
last official run (the change audit's baseline), as ``Recalled``; a replay takes them from the day's history
index instead (``replay``). ``keep_inputs``: the day's inputs and what it recalled, stored in the input history
(input_history.py) right after reading. ``changes_since``: what the reps changed since the last official run,
compared on the rows as read.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from . import __version__
from .books.changes import Changes, ClosedMonth, compare
from .core.config import Settings
from .core.model import Problem, Tables
from .deliver.run_state import RunState
from . import input_history

log = logging.getLogger("neiqin_xl")


@dataclass(frozen=True)
class Recalled:
    """What a run takes from the workspace's memory besides its inputs: the last run date (the period reports
    catch up from it), the closed months, and the index of the last official run (the change audit's
    baseline). A replay takes them from the day's history index instead, so it sees what the day saw."""

    last_run_date: date | None
    closed: tuple[ClosedMonth, ...]
    baseline: dict | None
    history: Path  # the input history's folder


FROM_STATE = "state"  # ``recall``'s ``since``: the state's last run date (not one the plan of runs decided)


def recall(settings: Settings, state: RunState, run_date: date, since: date | None | str = FROM_STATE,
           latest: bool = False) -> Recalled:
    """What the run recalls. ``since``: the period reports' catch-up point when the plan of runs decides it
    (``runs.catch_up_points``: the day's own run goes before the missed days, each still catching up from the
    day before it); ``latest``: the change audit's baseline is the last official run made, whatever its date
    (a missed day caught up after the day's own run: the changes are said once, by the day's own run)."""
    root = input_history.history_root(settings)
    baseline = input_history.latest_official(root) if latest else None
    return Recalled(state.last_run_date() if since == FROM_STATE else since, state.closed_months(),
                    baseline or input_history.last_official(root, run_date), root)


def keep_inputs(settings: Settings, run_date: date, kind: str, started: datetime, entries: list[dict],
                recalled: Recalled, options: dict) -> str:
    """The day's inputs, its ``options`` (force, month, only) and what it recalled, stored in the input
    history (input_history.py); the index's id. Runs older than ``history.keep_days`` are pruned after."""
    root = recalled.history
    record = input_history.new_record(settings, run_date, kind, started, __version__)
    record.update(inputs=input_history.store_inputs(settings, entries, root), options=options,
                  last_run_date=recalled.last_run_date.isoformat() if recalled.last_run_date else None,
                  closed=[{"month": c.month, "closed_at": c.closed_at, "paid": dict(c.paid)} for c in recalled.closed],
                  baseline=recalled.baseline["id"] if recalled.baseline else None)
    run_id = input_history.write_index(root, record)
    pruned = input_history.prune(root, run_date, settings.history.keep_days)
    if pruned:
        log.info("输入历史: 按 history.keep_days = %s 删除了 %d 个过期文件", settings.history.keep_days, pruned)
    return run_id


def changes_since(recalled: Recalled, settings: Settings, run_date: date, tables: Tables, entries: list[dict]
                  ) -> tuple[Changes | None, list[Problem]]:
    """The changes in the reps' workbooks since the last official run (None when there was none), compared on
    the rows as read (before validation), and a problem per damaged history file (left out of the comparison)."""
    if recalled.baseline is None:
        return None, []
    before, workbooks, problems = input_history.previous_rows(recalled.history, recalled.baseline, entries, settings)
    frame = compare(before, tables, workbooks, run_date, [c.month for c in recalled.closed])
    return Changes(date.fromisoformat(recalled.baseline["run_date"]), frame, tuple(sorted(workbooks))), problems
