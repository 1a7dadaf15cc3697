"""What an output sheet looks like, as plain data: reports build these; ``writer`` renders them.

A report module lays out its computed tables as ``Sheet`` specs and never imports xlsxwriter; the writer
turns specs into a workbook and never computes a business figure. Column kinds decide the number format:
money (integer fen in the data, shown ``#,##0.00`` in yuan; ``YUAN``: to the whole yuan), date, pct (a fraction, shown ``0.0%``),
int, number, text. Specs are frozen: no one changes a spec after the report made it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from .files import Name
from .schema import DATE, INT, MONEY, NUMBER, TEXT  # noqa: F401 (the value kinds input and output share)

PCT = "pct"  # a fraction shown as a percentage: output only
YUAN = "yuan"  # money (fen in the data) shown to the whole yuan, #,##0: for a page that must hold more figures than
# it could to the fen at a readable size (the 账龄分析); the cell keeps the fen, the 合计 adds the fen. Output only


@dataclass(frozen=True)
class Col:
    name: str
    kind: str = TEXT
    width: float | None = None  # None: fitted to the content (Chinese counts double)
    total: bool | None = None  # None: money and int columns get a total when the table has totals


@dataclass(frozen=True)
class Highlight:
    """Conditional format on one column of a table: cells where ``criteria value`` holds are highlighted.

    criteria is an Excel conditional-format criteria (">", ">=", "<", "==", "!=" / "<>") or "text" with
    ``value`` the text to match exactly. ``whole_row`` colours the whole data row.
    """

    column: str
    criteria: str = ">"
    value: Any = 0
    color: str = "#FFC7CE"  # light red
    whole_row: bool = False


@dataclass(frozen=True)
class Table:
    columns: list[Col]
    rows: pd.DataFrame | list[dict]  # values keyed by column name
    heading: str | None = None  # a bold line above the table
    totals: bool = False  # a 合计 row: SUBTOTAL(109) formulas carrying their computed values
    totals_label: str = "合计"
    totals_values: dict[str, Any] = field(default_factory=dict)  # figures for columns a sum means nothing for (完成率)
    highlights: list[Highlight] = field(default_factory=list)
    autofilter: bool = True

    def records(self) -> list[dict]:
        if isinstance(self.rows, pd.DataFrame):
            return self.rows.to_dict("records")
        return list(self.rows)


@dataclass(frozen=True)
class Chart:
    """A native Excel chart over one table: categories from one column, one series per value column.

    ``sheet`` names the sheet whose table holds the data (its spec name; "" = the chart's own sheet), so a
    first page can show charts of tables kept on a data sheet. ``lines`` are value columns drawn as lines over
    the bars (targets, a 100% line); ``percent`` shows the value axis as 0% … (the values are fractions);
    ``stacked`` stacks the bars (aging buckets). ``below``: placed under the sheet's tables, two to a row
    (else to the right of the tables)."""

    title: str
    table: int  # index into the tables of ``sheet``
    categories: str
    values: tuple[str, ...]
    kind: str = "column"  # column, bar, line, pie
    y_title: str = ""
    sheet: str = ""
    lines: tuple[str, ...] = ()
    percent: bool = False
    stacked: bool = False
    below: bool = False


@dataclass(frozen=True)
class Figure:
    """One key figure at the top of a first page: a label, the value in large type, a short note under it.

    ``value`` is in the kind's unit (fen for money, a fraction for pct); ``alert`` shows it in red (bad news).
    The writer lays the figures out as blocks over the columns the tables below already have, never widening
    them."""

    label: str
    value: Any
    kind: str = MONEY
    note: str = ""
    alert: bool = False


@dataclass(frozen=True)
class Sheet:
    name: str
    tables: list[Table]
    title: str | None = None  # the report's name, in the first row
    subtitle: list[str] = field(default_factory=list)  # period, 截至 date, company
    notes: list[str] = field(default_factory=list)  # lines after the tables (e.g. a signature block)
    charts: list[Chart] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)  # the key figures, above the tables
    landscape: bool = True
    fit_width: bool = True
    fit_one_page: bool = False  # also fit the height (the 日报 on one A4 page)
    freeze: bool = True
    hidden: bool = False


@dataclass(frozen=True)
class WorkbookSpec:
    """A workbook to write. A file named after someone says so with a ``files.Name``: the name as written
    between the fixed parts, e.g. ``Name("A/B公司", after="_对账单_2026-11-30.xlsx")``; the writer decides
    the file names of all the run's workbooks of one folder at once (``writer.assign_filenames``: safe,
    unique ignoring case, never too long), and the manifest maps each name to its file."""

    filename: str | Name  # e.g. 合同履行一览表_2026-11-26.xlsx, or a Name
    sheets: list[Sheet]
    subfolder: str = ""  # under output/<date>/, e.g. 对账单
    for_rep: str = ""  # the rep this workbook is sent to ("" = the clerk and the managers): see core.privacy
