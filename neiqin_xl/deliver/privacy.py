"""What a rep is sent names nobody else: the last check before a rep's workbooks are written and mailed.

Data touch across reps: 王强 enters a collection without a contract that pays 张伟's open item, so 张伟's
提成确认单 has a line whose 来源 is ``王强.xlsx[回款]!31``; a document number in two reps' workbooks makes
each rep's 问题清单 say "另见 李娜.xlsx[合同]!A16". The reports keep the full source (the clerk's copies need
it); the pipeline passes every rep-facing workbook and message through ``for_rep`` here, which turns a
reference to another rep's workbook into 其他业务员台账 and another rep's name into 其他业务员, in every cell,
title and line of the workbook and in the message's text.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import replace

import pandas as pd

from ..core.context import Delivery
from ..core.sheets import Sheet, Table, WorkbookSpec

OTHER_WORKBOOK = "其他业务员台账"
OTHER_REP = "其他业务员"
SPREADSHEET = r"\.(?:xlsx|xlsm|xlsb|xls|ods)"


def redactor(rep: str, reps: Iterable[str]) -> Callable[[str], str]:
    """``text -> text`` for ``rep``: the other reps' workbook references and names replaced; the rep's own
    kept, also where another rep's name is part of it (张伟 and 张伟2 are two reps).

    >>> hide = redactor("张伟", ["张伟", "王强", "李娜", "张伟2"])
    >>> hide("王强.xlsx[回款]!31")
    '其他业务员台账'
    >>> hide("重复且内容不同 (另见 李娜.xlsx[合同]!A16); 张伟.xlsx[合同]!A2")
    '重复且内容不同 (另见 其他业务员台账); 张伟.xlsx[合同]!A2'
    >>> hide("王强 代收, 张伟2 经手, 张伟 本人")
    '其他业务员 代收, 其他业务员 经手, 张伟 本人'
    >>> redactor("张伟2", ["张伟", "张伟2"])("张伟2.xlsx[合同]!A2, 张伟.xlsx[合同]!A3")
    '张伟2.xlsx[合同]!A2, 其他业务员台账'
    """
    names = sorted({r for r in [*reps, rep] if r}, key=len, reverse=True)  # 张伟2 is tried before 张伟
    if len(names) < 2:
        return lambda text: text
    alternatives = "|".join(re.escape(n) for n in names)
    pattern = re.compile(rf"(?P<name>{alternatives})(?P<workbook>{SPREADSHEET}(?:\[[^\]]*\])?(?:![A-Z]*\d+)?)?")

    def replace_other(found: re.Match) -> str:
        if found["name"] == rep:
            return found[0]
        return OTHER_WORKBOOK if found["workbook"] else OTHER_REP

    return lambda text: pattern.sub(replace_other, text)


def _text(value, hide: Callable[[str], str]):
    return hide(value) if isinstance(value, str) else value


def _table(table: Table, hide: Callable[[str], str]) -> Table:
    if isinstance(table.rows, pd.DataFrame):
        rows = table.rows.copy()
        for column in rows.columns:
            if pd.api.types.is_object_dtype(rows[column]) or pd.api.types.is_string_dtype(rows[column]):
                rows[column] = rows[column].map(lambda v: _text(v, hide))
    else:
        rows = [{k: _text(v, hide) for k, v in row.items()} for row in table.rows]
    return replace(table, rows=rows, heading=_text(table.heading, hide))


def _sheet(sheet: Sheet, hide: Callable[[str], str]) -> Sheet:
    return replace(sheet, tables=[_table(t, hide) for t in sheet.tables], title=_text(sheet.title, hide),
                   subtitle=[hide(s) for s in sheet.subtitle], notes=[hide(n) for n in sheet.notes])


def for_rep_workbook(spec: WorkbookSpec, hide: Callable[[str], str]) -> WorkbookSpec:
    """The workbook as the rep may see it."""
    return replace(spec, sheets=[_sheet(s, hide) for s in spec.sheets])


def for_rep_delivery(delivery: Delivery, hide: Callable[[str], str]) -> Delivery:
    """The message's own text as the rep may see it (its attachments are redacted as workbooks)."""
    return replace(delivery, title=hide(delivery.title), key_figure=hide(delivery.key_figure),
                   summary_text=hide(delivery.summary_text), summary_html=hide(delivery.summary_html))
