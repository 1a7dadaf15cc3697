"""manifest.json: what a run read, made, sent and what failed, written last into its output folder.

One builder (``build_manifest``) for every run. What the run made (``MADE``: inputs, rows, issues, outputs,
files_for, figures) comes from the day's own books and reports (``made``), or, for a rerun that found
nothing changed, from the last run's manifest with every output kept (``made_as_last``, marked
``unchanged``). The rest is the run's own: when it ran, its kind, who was chased, what was mailed and when
it left against the deadline (``mail_timing``), the time of each step, the output folder's fallback, the
failures (``failed``: one list, ``core.failures``), the input history's id and the run key.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

from .. import __version__
from ..core.config import Settings, clock
from ..core.failures import Failures
from ..core.files import Name, file_sha256
from ..core.model import ERROR, WARNING, Problem, Tables
from ..core.output import ReportOutput
from . import mail
from .saving import Written, write_file

MADE = ("inputs", "rows", "issues", "outputs", "files_for", "figures")  # what a run made, kept by a rerun


def made(tables: Tables, problems: list[Problem], outputs: dict[str, ReportOutput],
         written: dict[str, list[Written | None]], output_dir: Path) -> dict:
    """The ``MADE`` part of the day's manifest: the inputs and rows read, the problems counted, every file
    written or kept (with its hashes), whose file is which, every report's figures."""
    files = [{"report": name, "file": str(w.path.relative_to(output_dir)),
              "sha256": w.sha256 or file_sha256(w.path),
              "digest": w.digest, **({"kept": True} if w.kept else {}), **({"note": w.note} if w.note else {}),
              **({"continued": list(w.continued)} if w.continued else {})}
             for name, ws in written.items() for w in ws if w]
    return {"inputs": tables.inputs,
            "rows": {name: int(len(frame)) for name, frame in tables.frames.items()},
            "issues": {"错误": sum(1 for p in problems if p.severity == ERROR),
                       "警告": sum(1 for p in problems if p.severity == WARNING)},
            "outputs": files,
            "files_for": files_for(outputs, written, output_dir),
            "figures": {name: out.figures for name, out in outputs.items()}}


def made_as_last(last: dict) -> dict:
    """The ``MADE`` part of a rerun that found nothing changed: the last run's, every output kept."""
    return {**{key: last[key] for key in MADE if key in last},
            "outputs": [{**o, "kept": True} for o in last.get("outputs", [])], "unchanged": True}


def kept_files(last: dict, output_dir: Path) -> list[Written]:
    """The files of the last run's manifest, as left: what a rerun that found nothing changed hands on."""
    return [Written(output_dir / o["file"], output_dir / o["file"], o.get("note", ""), tuple(o.get("continued", ())),
                    o["digest"], o["sha256"], kept=True) for o in last.get("outputs", [])]


def build_manifest(settings: Settings, run_date: date, started: datetime, kind: str, made: dict, *,
                   chased: list[tuple[str, str]], sent: list[dict], timings: dict[str, float], fallback: str,
                   failures: Failures, history: str, run_key: str) -> dict:
    """The run's manifest: ``made`` (``made`` or ``made_as_last``) with the run's own facts around it."""
    return {
        "run_date": run_date.isoformat(),
        "started": started.isoformat(timespec="seconds"),
        "finished": datetime.now().isoformat(timespec="seconds"),
        "version": __version__,
        "workspace": str(settings.workspace),
        "demo": settings.is_demo,
        "kind": kind,
        **made,
        "reminders": [{"rep": rep, "reason": reason} for rep, reason in chased],
        "mail": sent,
        **mail_timing(settings, run_date, sent),
        "timings_seconds": timings,
        "output_fallback": fallback,
        "failed": failures.as_dicts(),
        "history": history,
        "run_key": run_key,
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


def write_manifest(manifest: dict, output_dir: Path, fallback: Path, failures: Failures) -> None:
    """manifest.json into ``output_dir``; when that fails, with the failure recorded in it, into ``fallback``."""
    for folder in dict.fromkeys((output_dir, fallback)):
        manifest["failed"] = failures.as_dicts()
        with failures.guard("manifest.json", str(folder / "manifest.json")):
            write_file(folder / "manifest.json", json.dumps(manifest, ensure_ascii=False, indent=2, default=str))
            return
    manifest["failed"] = failures.as_dicts()  # written nowhere: the run's result still says so
