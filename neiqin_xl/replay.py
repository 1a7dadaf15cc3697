"""``run_daily.py replay --date D``: day D produced again from its stored inputs, settings and memory (the
input history, input_history.py) into ``output/回放/<date>/``, through the day itself (``pipeline.run_day``):
no mail, nothing recorded, the workspace untouched.
"""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path

from .books.changes import ClosedMonth
from .core.config import DEMO_MARKER, Settings
from .memory import Recalled
from .pipeline import RunOptions, RunResult, run_day
from . import input_history

REPLAY_FOLDER = "回放"  # under the output folder: where ``replay`` writes a past day again


class ReplayError(Exception):
    """A day cannot be replayed: no run of it in the input history, or a file of it damaged."""


def replay_day(settings: Settings, run_date: date) -> RunResult:
    """Day ``run_date`` produced again from its stored inputs, settings and memory (the day's last official
    run, else its preview) into ``output/回放/<date>/``: no mail, nothing recorded, the workspace untouched."""
    root = input_history.history_root(settings)
    record = input_history.of_day(root, run_date)
    if record is None:
        raise ReplayError(f"输入历史中没有 {run_date} 的运行 (history 文件夹)")
    try:
        stored = Settings(**input_history.settings_of(root, record))
    except input_history.Damaged as exc:
        raise ReplayError(f"{run_date} 的配置无法读取: {exc}") from None
    output_dir = settings.folder("output").resolve() / REPLAY_FOLDER / run_date.isoformat()
    with tempfile.TemporaryDirectory(prefix="neiqin_replay_") as tmp:
        workspace = Path(tmp) / "工作区"
        _, damaged = input_history.check_out(root, record, workspace)
        if damaged:
            raise ReplayError("; ".join(p.message for p in damaged))
        for key, present in record.get("folders", {}).items():
            if present:
                (workspace / key).mkdir(parents=True, exist_ok=True)
        if record.get("demo"):
            (workspace / DEMO_MARKER).write_text("演示数据 (回放)\n", encoding="utf-8")
        folders = {"workspace": workspace, "output": settings.folder("output").resolve(),
                   **{key: Path(key) for key in input_history.INPUT_FOLDERS}}
        replayed = stored.model_copy(update={"paths": stored.paths.model_copy(update=folders)})
        recalled = Recalled(date.fromisoformat(record["last_run_date"]) if record.get("last_run_date") else None,
                            tuple(ClosedMonth(**c) for c in record.get("closed", [])),
                            input_history.by_id(root, record.get("baseline")), root)
        opts = record.get("options", {})
        result = run_day(replayed, run_date, RunOptions(kind=record["kind"], force=bool(opts.get("force")),
                                                        month=opts.get("month"), only=opts.get("only"),
                                                        no_email=True, replay=recalled, output_dir=output_dir))
    return result
