"""A rerun writes only what changed: the skip rule of ``写出工作簿``, and the run that changed nothing at all.

Part of the last steps (write workbooks → manifest.json). Every workbook the run writes is recorded in the
output folder's manifest.json with two hashes: ``digest``, the hash of its content as the writer gets it
(``spec_digest``: every sheet, title, column and cell value, the file name, and the writer's own code), and
``sha256``, the hash of the file the writer made. The next run into the same folder (a rerun of the day)
leaves a workbook alone when both still hold (``kept``):
- its spec has the recorded ``digest`` (nothing it shows changed: a customer's 对账单 depends on that
  customer's rows only, a rep's 提成确认单 on that rep's, so one rep's fix changes only what shows it), and
- the file on disk still has the recorded ``sha256`` (a deleted, hand-edited or half-synced file is written
  again; so is one whose last write went to a timestamped sibling because the file was open in Excel).

The whole day is skipped when nothing it depends on changed (``run_key``: the inputs' hashes, the settings,
the run date and kind, the options, the effective last run date, the code) and the last run into the folder
with that key succeeded, mailed everything it had to and left every output file as it recorded it
(``unchanged_run``): the reports alone cost seconds on a big company, against well under one for this check.

>>> previous = {"outputs": [{"file": "对账单/A公司_对账单.xlsx", "digest": "d1", "sha256": "s1"}]}
>>> recorded(previous)["对账单/A公司_对账单.xlsx"]["digest"]
'd1'
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import replace
from datetime import date
from pathlib import Path

import pandas as pd
import xlsxwriter

from ..core.files import Name, file_sha256
from ..core.sheets import Table, WorkbookSpec
from . import writer
from .saving import Written

log = logging.getLogger("neiqin_xl")

MANIFEST = "manifest.json"
_PACKAGE = Path(__file__).resolve().parent.parent  # neiqin_xl/


def _code_digest(paths: list[Path]) -> str:
    h = hashlib.sha256(xlsxwriter.__version__.encode())
    for path in sorted(paths):
        h.update(path.as_posix().encode("utf-8", "surrogatepass"))
        h.update(path.read_bytes())
    return h.hexdigest()


_WRITER_CODE = _code_digest([Path(writer.__file__).resolve(), _PACKAGE / "deliver" / "parts.py",
                             _PACKAGE / "core" / "sheets.py"])


# ---------------------------------------------------------------- what a workbook shows

def _table_digest(h, table: Table) -> None:
    """One table into ``h``: its layout, then the values of each column it shows (``writer.hash_column``:
    numbers and dates by their bytes, anything else by the repr of its values, which keeps their types
    apart), so values the writer would write differently never hash alike."""
    h.update(repr(replace(table, rows=None)).encode("utf-8", "surrogatepass"))
    rows = table.rows
    frame = rows if isinstance(rows, pd.DataFrame) and rows.columns.is_unique else None
    records = table.records() if frame is None else None
    h.update(repr(len(rows)).encode())
    for col in table.columns:
        h.update(b"\x1e")
        if frame is None:
            values = [r.get(col.name) for r in records]
        elif col.name in frame.columns:
            writer.hash_column(h, frame[col.name])
            continue
        else:
            continue
        h.update(repr(values).encode("utf-8", "surrogatepass"))


def spec_digest(spec: WorkbookSpec) -> str:
    """The hash of everything the writer puts in ``spec``'s file: equal digests, equal files.

    >>> from neiqin_xl.core.sheets import Col, Sheet
    >>> def book(amount):
    ...     rows = pd.DataFrame({"客户名称": ["A公司"], "金额": [amount]})
    ...     return WorkbookSpec("对账单.xlsx", [Sheet("对账单", [Table([Col("客户名称"), Col("金额", "money")], rows)])])
    >>> spec_digest(book(123450)) == spec_digest(book(123450)), spec_digest(book(123450)) == spec_digest(book(123451))
    (True, False)
    """
    h = hashlib.sha256(_WRITER_CODE.encode())
    filename = spec.filename.text if isinstance(spec.filename, Name) else spec.filename
    h.update(repr((filename, spec.subfolder, spec.for_rep)).encode("utf-8", "surrogatepass"))
    for sheet in spec.sheets:
        h.update(repr(replace(sheet, tables=[])).encode("utf-8", "surrogatepass"))
        for table in sheet.tables:
            _table_digest(h, table)
    return h.hexdigest()


# ---------------------------------------------------------------- what the last run wrote

def previous_manifest(output_dir: Path) -> dict:
    """The manifest.json the last run left in ``output_dir`` ({} when there is none or it cannot be read)."""
    try:
        return json.loads((Path(output_dir) / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def recorded(manifest: dict) -> dict[str, dict]:
    """The last run's workbooks by their file (relative to the output folder, '/' between folders)."""
    return {Path(o["file"]).as_posix(): o for o in manifest.get("outputs", []) if o.get("digest") and o.get("sha256")}


def _as_on_disk(path: Path, sha256: str) -> bool:
    try:
        return path.is_file() and file_sha256(path) == sha256
    except OSError:
        return False


def kept(spec: WorkbookSpec, digest: str, output_dir: Path, last: dict[str, dict]) -> Written | None:
    """``spec``'s file as the last run left it, when its content (``digest``) and the file on disk are both
    unchanged; None when it must be written."""
    wanted = Path(output_dir) / spec.subfolder / spec.filename
    record = last.get(wanted.relative_to(output_dir).as_posix())
    if not record or record["digest"] != digest or not _as_on_disk(wanted, record["sha256"]):
        return None
    return Written(wanted, wanted, continued=tuple(record.get("continued", ())), digest=digest,
                   sha256=record["sha256"], kept=True)


# ---------------------------------------------------------------- the day that changed nothing

def run_key(inputs_digest: str, settings_json: str, run_date: date, options: dict, last_run_date: date | None,
            version: str) -> str:
    """What the day's outputs are a function of. ``last_run_date`` counts only when it is before the run
    date (the rule of ``periods.due_periods`` and of the expense mail: on or after it, it is not used)."""
    effective = last_run_date.isoformat() if last_run_date and last_run_date < run_date else ""
    code = _code_digest([p.resolve() for p in _PACKAGE.rglob("*.py")])
    text = json.dumps([inputs_digest, settings_json, run_date.isoformat(), options, effective, version, code],
                      ensure_ascii=False, sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def unchanged_run(output_dir: Path, key: str, undelivered: frozenset[str]) -> dict | None:
    """The last run's manifest when this run would do exactly what it did: same ``run_key``, nothing failed,
    nothing left unsent (a message status in ``undelivered``), and every output file as it recorded it."""
    last = previous_manifest(output_dir)
    if not last or last.get("run_key") != key:
        return None
    if last.get("failed") or last.get("output_fallback"):
        return None
    if any(m.get("status") in undelivered for m in last.get("mail", [])):
        return None
    for o in last.get("outputs", []):
        if not o.get("sha256") or not _as_on_disk(Path(output_dir) / o["file"], o["sha256"]):
            return None
    return last


def describe(written: list[Written | None]) -> str:
    """One line for the log: how many workbooks were written and how many kept."""
    done = [w for w in written if w]
    n_kept = sum(1 for w in done if w.kept)
    return f"写出 {len(done) - n_kept} 个工作簿, {n_kept} 个未变 (内容与文件都与上次相同) 未重写"

