"""Input history: every file a run read, kept so that a past day can be reproduced and compared.

Its place in the process: right after ``read workbooks`` (``pipeline.run_day`` stores the day's inputs and
reads back the previous official run's), and behind ``run_daily.py replay`` (``replay.replay_day``).

Under ``<workspace>/history/`` (never in output/, and not to be committed: it holds the reps' data):

- ``objects/<aa>/<sha256>.gz``: each file's bytes, gzip-compressed, named by the sha256 of the bytes
  themselves (content-addressed): a workbook that did not change since the last run is stored once, however
  many runs read it. The settings a run used are stored the same way (as JSON).
- ``runs/<run date>_<kind>_<started>.json``: one small index per run: the run date, its kind (official /
  preview / catch-up / rerun), when it started, the program version, the sha256 of its settings, every input
  (its folder key, file name, sha256), the options that shape the outputs (``--month``, ``--force``,
  ``--only``), the last run date the period reports caught up from, the closed months and the index of the
  run it was compared with (``baseline``). Everything ``replay`` needs to produce that day again.

Trust: a stored file is used only after its sha256 is checked against its name (``get``); a damaged or
missing one is a ``Damaged`` exception the callers turn into one 错误 ``Problem`` and never use. Nothing in
history is executed or unpickled: objects are bytes, indexes JSON.

Retention (``history.keep_days``, default keep everything): indexes of runs older than that many days before
the run date are deleted, except the last official run (the next run compares with it), then every object
no index names.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import logging
import re
import tempfile
import zlib
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from pathlib import Path

import pandas as pd

from .core.config import Settings
from .core.files import write_atomic
from .core.model import ERROR, Problem, Tables
from .core.schema import REP_SHEETS, SHEETS
from .read.folders import rep_of
from .read.intake import combine, read_workbook

log = logging.getLogger("neiqin_xl")

HISTORY_FOLDER = "history"
INPUT_FOLDERS = ("reps", "master", "attendance", "finance")  # the ``paths`` keys whose files a run reads
INDEX_FORMAT = 1
OFFICIAL_KINDS = ("official", "catch-up")  # a day's official books (pipeline.runs.DAY_DONE)


class Damaged(Exception):
    """A history file that is missing or whose bytes do not hash to its name: never used."""


def history_root(settings: Settings) -> Path:
    return settings.workspace / HISTORY_FOLDER


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def object_path(root: Path, digest: str) -> Path:
    """``objects/ab/ab12….gz``: a digest that is not 64 hex digits names no file (a forged index cannot reach
    outside the folder).

    >>> object_path(Path("h"), "ab" * 32).as_posix()[:22]
    'h/objects/ab/ababababa'
    >>> object_path(Path("h"), "../../config")
    Traceback (most recent call last):
    ...
    neiqin_xl.input_history.Damaged: 不是有效的 sha256: '../../config'
    """
    if not re.fullmatch(r"[0-9a-f]{64}", str(digest)):
        raise Damaged(f"不是有效的 sha256: {digest!r}")
    return root / "objects" / digest[:2] / f"{digest}.gz"


def put(root: Path, data: bytes) -> str:
    """Stores ``data`` (once: an object already there is kept) and returns its sha256."""
    digest = sha256_of(data)
    path = object_path(root, digest)
    if not path.is_file():
        write_atomic(path, gzip.compress(data, compresslevel=6, mtime=0))
    return digest


def get(root: Path, digest: str) -> bytes:
    """The bytes stored under ``digest``, after checking they hash to it; ``Damaged`` when they do not."""
    path = object_path(root, digest)
    try:
        data = gzip.decompress(path.read_bytes())
    except FileNotFoundError:
        raise Damaged(f"输入历史中缺少文件 {path.name}") from None
    except (OSError, EOFError, zlib.error) as exc:
        raise Damaged(f"输入历史文件 {path.name} 已损坏, 无法解压 ({type(exc).__name__})") from None
    if sha256_of(data) != digest:
        raise Damaged(f"输入历史文件 {path.name} 已损坏: 内容与其 sha256 不符")
    return data


def damaged_problem(message: str, name: str = "", use: str = "") -> Problem:
    return Problem(ERROR, f"{message}{', ' + use if use else ''}", workbook=name,
                   suggestion="输入历史 (工作区 history 文件夹) 被改动或磁盘损坏; 该文件未被使用")


# ---------------------------------------------------------------- a run's inputs, stored

def folder_of(path: Path, settings: Settings) -> str | None:
    """The ``paths`` key of the input folder holding ``path`` (reps, master, attendance, finance)."""
    for key in INPUT_FOLDERS:
        if path.parent.resolve() == settings.folder(key).resolve():
            return key
    return None


def input_entries(settings: Settings, inputs: list[dict]) -> list[dict]:
    """``Tables.inputs`` as index entries: folder key, file name, sha256 (a file read by name only, a
    temporary or unsupported one, as ``placeholder``: replay recreates it empty), and the data rows read per
    kind of sheet (``rows``: a later run compares a rep's workbook with them, ``trust.shrunk``)."""
    entries = []
    for item in inputs:
        path = settings.workspace / item["path"]
        key = folder_of(path, settings)
        if key is not None:
            entries.append({"folder": key, "name": path.name,
                            **({"sha256": item["sha256"]} if item.get("sha256") else {"placeholder": True}),
                            **({"unreadable": True} if item.get("status") == "error" else {}),
                            **({"rows": dict(item.get("rows") or {})} if item.get("status") == "ok" else {})})
    return entries


def store_inputs(settings: Settings, entries: list[dict], root: Path) -> list[dict]:
    """Each entry's file stored (once: an object already there is not read again); the entries as stored.
    A file changed since the intake read it is stored as it is now, said in the log; one that cannot be read
    any more is left out of the index."""
    kept = []
    for entry in entries:
        if entry.get("placeholder") or object_path(root, entry["sha256"]).is_file():
            kept.append(entry)
            continue
        path = settings.folder(entry["folder"]) / entry["name"]
        try:
            digest = put(root, path.read_bytes())
        except OSError as exc:
            log.warning("输入历史: 无法保存 %s (%s)", path, exc)
            continue
        if digest != entry["sha256"]:
            log.warning("输入历史: %s 在读取后被修改, 保存的是修改后的内容", path)
        kept.append({**entry, "sha256": digest})
    return kept


def folders_present(settings: Settings) -> dict[str, bool]:
    return {key: settings.folder(key).is_dir() for key in INPUT_FOLDERS}


def write_index(root: Path, record: dict) -> str:
    """Writes the run's index (``runs/<id>.json``) and returns its id."""
    started = record["started"].replace(":", "").replace("-", "")
    run_id = f"{record['run_date']}_{record['kind']}_{started}"
    path = root / "runs" / f"{run_id}.json"
    n = 1
    while path.exists():
        n += 1
        path = root / "runs" / f"{run_id}_{n}.json"
    record = {"format": INDEX_FORMAT, "id": path.stem, **record}
    write_atomic(path, json.dumps(record, ensure_ascii=False, indent=1).encode("utf-8"))
    return path.stem


def runs(root: Path) -> list[dict]:
    """Every readable index, oldest first (by run date, then start); an unreadable one is skipped (logged)."""
    found = []
    for path in sorted((root / "runs").glob("*.json")):
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
            if not isinstance(record, dict) or "run_date" not in record:
                raise ValueError("not an index")
        except (OSError, ValueError) as exc:
            log.warning("输入历史: 索引 %s 无法读取 (%s), 已忽略", path.name, exc)
            continue
        record["id"] = path.stem
        found.append(record)
    return sorted(found, key=lambda r: (r["run_date"], r.get("started", ""), r["id"]))


def last_official(root: Path, before: date) -> dict | None:
    """The index of the last official (or catch-up) run of a day before ``before``: the change audit's baseline."""
    done = [r for r in runs(root) if r.get("kind") in OFFICIAL_KINDS and r["run_date"] < before.isoformat()]
    return done[-1] if done else None


def latest_official(root: Path) -> dict | None:
    """The index of the last official (or catch-up) run made, of any day."""
    done = [r for r in runs(root) if r.get("kind") in OFFICIAL_KINDS]
    return max(done, key=lambda r: (r.get("started", ""), r["id"])) if done else None


def of_day(root: Path, day: date) -> dict | None:
    """The run whose outputs ``replay`` reproduces: the day's last official, catch-up or rerun (else preview)."""
    found = [r for r in runs(root) if r["run_date"] == day.isoformat()]
    books = [r for r in found if r.get("kind") != "preview"]
    return (books or found or [None])[-1]


def by_id(root: Path, run_id: str | None) -> dict | None:
    return next((r for r in runs(root) if r["id"] == run_id), None) if run_id else None


def prune(root: Path, today: date, keep_days: int | None) -> int:
    """``history.keep_days``: deletes the indexes of runs more than ``keep_days`` before ``today`` (never the
    last official run), then the objects no remaining index names; returns how many files were deleted."""
    if keep_days is None:
        return 0
    every = runs(root)
    official = [r for r in every if r.get("kind") in OFFICIAL_KINDS]
    spare = official[-1]["id"] if official else None
    cutoff = (today - timedelta(days=keep_days)).isoformat()
    deleted = 0
    for record in every:
        if record["run_date"] < cutoff and record["id"] != spare:
            (root / "runs" / f"{record['id']}.json").unlink(missing_ok=True)
            deleted += 1
    named = {d for r in runs(root) for d in [r.get("settings"), *(i.get("sha256") for i in r.get("inputs", []))] if d}
    for path in (root / "objects").glob("*/*.gz"):
        if path.name[:-3] not in named:
            path.unlink(missing_ok=True)
            deleted += 1
    return deleted


# ---------------------------------------------------------------- a run's inputs, read back

def check_out(root: Path, record: dict, dest: Path, names: Iterable[tuple[str, str]] | None = None
              ) -> tuple[dict[tuple[str, str], Path], list[Problem]]:
    """Writes the run's inputs (all, or the (folder, name) pairs in ``names``) to ``dest/<folder>/<name>``;
    a placeholder as an empty file. Returns what was written and a problem per damaged file (not written)."""
    wanted = set(names) if names is not None else None
    written: dict[tuple[str, str], Path] = {}
    problems: list[Problem] = []
    for item in record.get("inputs", []):
        key = (item["folder"], item["name"])
        if wanted is not None and key not in wanted:
            continue
        if item["folder"] not in INPUT_FOLDERS or Path(item["name"]).name != item["name"]:
            problems.append(damaged_problem(f"输入历史索引 {record['id']} 中的文件名无效: {item['name']!r}"))
            continue
        path = dest / item["folder"] / item["name"]
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            path.write_bytes(b"" if item.get("placeholder") else get(root, item["sha256"]))
        except Damaged as exc:
            problems.append(damaged_problem(f"{exc} ({record['run_date']} 读取的 {item['folder']}/{item['name']})",
                                            item["name"]))
            continue
        written[key] = path
    return written, problems


def previous_rows(root: Path, baseline: dict, inputs: list[dict], settings: Settings
                  ) -> tuple[Tables, set[str], list[Problem]]:
    """The rep workbooks that differ between the ``baseline`` run and today's ``inputs`` (index entries):
    their rows as the baseline run read them (through the normal intake), the names of every workbook that
    differs (also one new today or gone since), and a problem per damaged history file (that workbook is left
    out of the comparison). Unchanged workbooks are neither read nor compared: they cannot hold a change; nor
    is one the intake could not open then or now (its rows are missing, not deleted: the 问题清单 says why)."""
    before = {i["name"]: i.get("sha256", "") for i in baseline.get("inputs", []) if i["folder"] == "reps"}
    now = {i["name"]: i.get("sha256", "") for i in inputs if i["folder"] == "reps"}
    unreadable = {i["name"] for i in [*baseline.get("inputs", []), *inputs] if i.get("unreadable")}
    changed = {name for name in before.keys() | now.keys() if before.get(name) != now.get(name)} - unreadable
    to_read = [("reps", name) for name in sorted(changed) if before.get(name)]
    collected: dict[str, list[pd.DataFrame]] = {s.name: [] for s in REP_SHEETS}
    with tempfile.TemporaryDirectory(prefix="neiqin_history_") as tmp:
        written, problems = check_out(root, baseline, Path(tmp), to_read)
        for (_, name), path in written.items():
            frames, _, _ = read_workbook(path, REP_SHEETS, settings, rep=rep_of(path))
            for sheet, frame in frames.items():
                collected[sheet].append(frame)
    damaged = {p.workbook for p in problems}
    frames = {name: combine(SHEETS[name], parts) for name, parts in collected.items()}
    return Tables(frames=frames), changed - damaged, problems


def settings_of(root: Path, record: dict) -> dict:
    """The settings a run used, as stored (checked like any history file)."""
    return json.loads(get(root, record["settings"]).decode("utf-8"))


def new_record(settings: Settings, run_date: date, kind: str, started: datetime, version: str) -> dict:
    """The index fields every run has; the pipeline adds inputs, options and what it recalled."""
    text = json.dumps(settings.model_dump(mode="json"), ensure_ascii=False, sort_keys=True)
    return {"run_date": run_date.isoformat(), "kind": kind, "started": started.isoformat(timespec="seconds"),
            "version": version, "settings": put(history_root(settings), text.encode("utf-8")),
            "demo": settings.is_demo, "folders": folders_present(settings)}
