"""Builders for tests: tables in the business's notation, and the one RunContext builder.

``table("回款", [{"回款日期": "2026-11-03", "客户名称": "明达", "回款金额": "1,000.00"}, ...], rep="张伟")``
gives the consolidated frame the validator would give: schema columns and dtypes, money in fen, dates as
datetime64, and source columns (workbook = rep + ".xlsx", Excel row = position + 2).

``context(t, settings, run_date, month="2026-10")`` builds the RunContext as the pipeline does, from the books
of ``t`` (``loader.books_of``: the tables are built as validated; their allocation) through
``loader.report_context`` (the customer index of its 客户 table); ``report("shipping", ctx)`` builds a report
through the day's own runner (``reports.registry.run_reports``), so the reports it needs are built first and
handed to it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal

import pandas as pd

from neiqin_xl.core.config import Settings
from neiqin_xl.books.context import ReportOptions, RunContext
from neiqin_xl.core.output import ReportOutput
from neiqin_xl.core.model import REP, SRC_ROW, SRC_SHEET, SRC_WORKBOOK, Problem, Tables
from neiqin_xl.core.names import CustomerIndex
from neiqin_xl.core.schema import DATE, DTYPES, MONEY, SHEETS
from neiqin_xl.loader import books_of, report_context
from neiqin_xl.reports.registry import run_reports


def fen(yuan: str | int | float) -> int:
    """'1,234.50' -> 123450 (test input only: the amounts are typed by hand)."""
    return int(Decimal(str(yuan).replace(",", "")) * 100)


def table(sheet: str, rows: list[dict], rep: str = "张伟") -> pd.DataFrame:
    sheet_def = SHEETS[sheet]
    records = []
    for i, row in enumerate(rows):
        rec = {}
        for f in sheet_def.fields:
            value = row.get(f.name)
            if f.kind == MONEY:
                value = fen(value) if value is not None else 0
            elif f.kind == DATE:
                value = pd.Timestamp(value) if value else pd.NaT
            rec[f.name] = value
        for extra, value in row.items():  # enrichment columns such as 客户名称 on 发货
            rec.setdefault(extra, value)
        rec[REP] = row.get(REP, rep)
        rec[SRC_WORKBOOK] = row.get(SRC_WORKBOOK, f"{rec[REP]}.xlsx")
        rec[SRC_SHEET] = sheet
        rec[SRC_ROW] = row.get(SRC_ROW, i + 2)
        records.append(rec)
    empty = sheet_def.empty_frame()
    frame = pd.DataFrame(records, columns=list(dict.fromkeys([*empty.columns, *(k for r in records for k in r)])))
    for f in sheet_def.fields:
        frame[f.name] = frame[f.name].astype(DTYPES[f.kind]) if len(frame) else empty[f.name]
    frame[SRC_ROW] = frame[SRC_ROW].astype("int64")
    return frame


def tables(**frames: pd.DataFrame) -> Tables:
    return Tables(frames=dict(frames))


def context(t: Tables, settings: Settings | None = None, run_date: date = date(2026, 11, 30), *,
            customers: CustomerIndex | None = None, problems: Iterable[Problem] = (), **options) -> RunContext:
    """The RunContext the pipeline would build for ``t``: its allocation and (unless ``customers`` is given) the
    customer index of its 客户 table; ``options`` are ``ReportOptions`` fields (force, month, last_run_date …)."""
    settings = settings or Settings()
    return report_context(books_of(t, settings, problems), settings, run_date, customers=customers,
                          options=ReportOptions(**options))


def reports(ctx: RunContext, *names: str) -> dict[str, ReportOutput]:
    """The outputs of the reports ``names``, built as the pipeline builds them (with what they need first)."""
    outputs, failed = run_reports(ctx, only=list(names))
    assert not failed, f"reports failed: {failed}"
    return outputs


def report(name: str, ctx: RunContext) -> ReportOutput:
    """The output of one report, built as the pipeline builds it (with what it needs first)."""
    return reports(ctx, name)[name]


def header_of(ws, first: str) -> tuple[int, list]:
    """The header row of a written sheet's table (the row whose column A is ``first``, below the title lines)
    and its values."""
    row = next(r for r in range(1, 15) if ws.cell(r, 1).value == first)
    return row, [c.value for c in ws[row]]
