"""What a rep may see: nothing a rep is sent names another rep or another rep's workbook.

A rep's own 问题清单 and 提成确认单 and the mail that carries them are built from that rep's rows, but those rows
can point elsewhere: a collection in 王强's workbook that paid 张伟's item is a line of 张伟's commission whose
来源 is ``王强.xlsx[回款]!5``; a contract number typed by two reps makes each rep's problem say ``另见
李娜.xlsx[合同]!A7``. Just before a rep's workbook is written (``WorkbookSpec.for_rep``) and a rep's message is
composed (``Delivery.rep``), the pipeline passes them through here: a place in another rep's workbook reads
``其他业务员台账``, another rep's name ``其他业务员``. The clerk's copies keep every source.

>>> hide_others("重复且内容不同 (另见 李娜.xlsx[合同]!A7、张伟.xlsx[合同]!A3)", "张伟", ["张伟", "李娜"])
'重复且内容不同 (另见 其他业务员台账、张伟.xlsx[合同]!A3)'
>>> hide_others("王强 代收", "张伟", ["张伟", "王强"]), hide_others("张伟的客户", "张伟", ["张伟", "王强"])
('其他业务员 代收', '张伟的客户')
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import replace

import pandas as pd

from .sheets import Sheet, Table, WorkbookSpec

OTHER_WORKBOOK = "其他业务员台账"
OTHER_REP = "其他业务员"
_SOURCE_TAIL = r"\.(?:xlsx|xlsm|xls|xlsb|xltx|xltm|ods|et|ett|csv)(?:\[[^\]]*\])?(?:![A-Z]{0,3}\d*)?"


def _pattern(rep: str, reps: Iterable[str]) -> re.Pattern | None:
    """One pattern for every rep's workbook reference or name, longest names first, so that the rep's own
    name is matched whole where another's is a part of it (张伟2 and 张伟); the ``own`` group is the rep's."""
    others = sorted({r for r in reps if r and r != rep}, key=len, reverse=True)
    if not others:
        return None
    names = "|".join(f"(?P<own>{re.escape(name)})" if name == rep else re.escape(name)
                     for name in sorted({*others, rep}, key=len, reverse=True) if name)
    return re.compile(rf"(?:{names})(?P<book>{_SOURCE_TAIL})?")


def hide_others(text: str, rep: str, reps: Iterable[str]) -> str:
    """``text`` as ``rep`` may read it (see the module's doc).

    >>> hide_others("张伟2.xlsx[回款]!5 张伟.xlsx[回款]!6", "张伟2", ["张伟", "张伟2"])
    '张伟2.xlsx[回款]!5 其他业务员台账'
    """
    pattern = _pattern(rep, reps)
    return _hide(text, pattern) if pattern and isinstance(text, str) else text


def _hide(text: str, pattern: re.Pattern) -> str:
    def say(m: re.Match) -> str:
        if m.group("own") is not None:
            return m.group(0)
        return OTHER_WORKBOOK if m.group("book") else OTHER_REP
    return pattern.sub(say, text)


def _table(table: Table, pattern: re.Pattern) -> Table:
    rows = table.rows
    if isinstance(rows, pd.DataFrame):
        rows = rows.copy()
        for column in rows.columns:
            if rows[column].dtype == object or isinstance(rows[column].dtype, pd.StringDtype):
                rows[column] = rows[column].map(lambda v: _hide(v, pattern) if isinstance(v, str) else v)
    else:
        rows = [{k: _hide(v, pattern) if isinstance(v, str) else v for k, v in row.items()} for row in rows]
    heading = _hide(table.heading, pattern) if table.heading else table.heading
    return replace(table, rows=rows, heading=heading)


def _sheet(sheet: Sheet, pattern: re.Pattern) -> Sheet:
    return replace(sheet, tables=[_table(t, pattern) for t in sheet.tables],
                   title=_hide(sheet.title, pattern) if sheet.title else sheet.title,
                   subtitle=[_hide(line, pattern) for line in sheet.subtitle],
                   notes=[_hide(line, pattern) for line in sheet.notes])


def private(spec: WorkbookSpec, reps: Iterable[str]) -> WorkbookSpec:
    """A workbook meant for one rep (``spec.for_rep``) with every other rep hidden; any other spec as it is."""
    pattern = _pattern(spec.for_rep, reps) if spec.for_rep else None
    if pattern is None:
        return spec
    return replace(spec, sheets=[_sheet(sheet, pattern) for sheet in spec.sheets])
