"""Copies of a rep's workbook, set aside before anything counts them.

Ctrl+C / Ctrl+V in Explorer makes ``张伟 - 副本.xlsx``, a sync tool ``张伟-DESKTOP-PC.xlsx``: another file
holding the rep's own rows. Read as a workbook of its own, it took the rep's identical rows (张伟's month-end
提成确认单 was mailed at ¥0.00 with 71 "完全相同" warnings). Whatever its name, a workbook of the reps folder
whose data rows are all rows of another workbook there (compared by a hash of each row's values, sheet by
sheet, the source columns and the rep left out) is a copy: its rows are dropped from every table, its input
is marked ``copy`` with the workbook it copies, and the 问题清单 has one line for the clerk naming both. The
original keeps its rows and its rep. Of two workbooks with the same rows, the copy is the one whose name is
not named after a person of 人员, then the longer name (``张伟 - 副本`` beside ``张伟``), then the later in
name order; an empty workbook copies nothing.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pandas as pd

from ..core.names import normalize_name, staff_names
from ..core.model import WARNING, Problem, Tables
from ..core.schema import REP, REP_SHEETS, SOURCE_COLUMNS, SRC_WORKBOOK


def row_hashes(tables: Tables) -> dict[str, Counter]:
    """Per rep workbook (its name as the rows carry it), the multiset of (sheet, hash of the row's values)."""
    found: dict[str, Counter] = {}
    for sheet_def in REP_SHEETS:
        frame = tables.frames.get(sheet_def.name)
        if frame is None or frame.empty or SRC_WORKBOOK not in frame.columns:
            continue
        values = [c for c in frame.columns if c not in SOURCE_COLUMNS and c != REP]
        hashes = pd.util.hash_pandas_object(frame[values], index=False)
        for workbook, h in zip(frame[SRC_WORKBOOK], hashes):
            found.setdefault(workbook, Counter())[(sheet_def.name, int(h))] += 1
    return found


def find_copies(hashes: dict[str, Counter], staff: set[str] = frozenset()) -> dict[str, str]:
    """copy → the workbook it copies: every row of the copy is a row of the original (as many times). Of
    two with the same rows, the original is the one named after a person of 人员 (``staff``), then the
    shorter name, then the first in name order."""
    def original_first(name: str) -> tuple:
        return (normalize_name(Path(name).stem) not in staff, len(Path(name).stem), name)

    names = sorted(hashes, key=original_first)
    copies: dict[str, str] = {}
    for name in names:
        rows = hashes[name]
        if not rows:
            continue
        for other in names:
            if other == name or other in copies:
                continue
            theirs = hashes[other]
            if rows <= theirs and (rows != theirs or original_first(other) < original_first(name)):
                copies[name] = other
                break
    return copies


def set_aside(tables: Tables, problems: list[Problem]) -> tuple[Tables, list[Problem]]:
    """The tables without the copies' rows and the problems without the copies' own (the original's say
    them), plus one warning per copy naming the workbook it copies."""
    copies = find_copies(row_hashes(tables), set(staff_names(tables["人员"])))
    if not copies:
        return tables, problems
    frames = {name: frame[~frame[SRC_WORKBOOK].isin(copies)].reset_index(drop=True)
              if SRC_WORKBOOK in frame.columns and not frame.empty else frame
              for name, frame in tables.frames.items()}
    inputs = []
    for item in tables.inputs:
        original = copies.get(Path(str(item.get("path", ""))).name)
        inputs.append({**item, "status": "copy", "copy_of": original,
                       "message": f"是 {original} 的副本, 未读取"} if original else item)
    kept = [p for p in problems if p.workbook not in copies]
    said = [Problem(WARNING, f"此工作簿的数据行全部与 {original} 相同或包含其中: 是副本, 未读取 (数据只按 {original} 计算)",
                    workbook=copy, suggestion=f"请删除或移出 {copy} (如是改名后的新台账, 请删除旧文件 {original})")
            for copy, original in copies.items()]
    return Tables(frames=frames, inputs=inputs), [*said, *kept]
