"""The shared records of a run: where a value came from, a data problem, the consolidated tables.

Data problems are values (``Problem``): every check returns a list of them, the pipeline collects them into
the 问题清单; exceptions only stop a run that cannot go on.

Conventions every module relies on (see docs/ARCHITECTURE.md):
- a table is a pandas DataFrame whose business columns carry the template's Chinese header names;
- money columns hold integer fen (int64): ¥1,234.50 is 123450;
- date columns are datetime64 (midnight), missing = NaT; ID-like columns are text;
- every row read from a workbook carries SOURCE_COLUMNS: 来源工作簿, 来源工作表, 来源行 (the Excel row
  number in the rep's own file), and 业务员.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

import pandas as pd
from xlsxwriter.utility import xl_col_to_name

from .schema import REP, SHEETS, SOURCE_COLUMNS, SRC_ROW, SRC_SHEET, SRC_WORKBOOK  # noqa: F401 (the row's source)

ERROR = "错误"
WARNING = "警告"

PROBLEM_COLUMNS = ("严重程度", REP, "工作簿", "工作表", "单元格", "字段", "原始值", "问题说明", "建议")


def cell_address(col_index: int | None, row: int | None) -> str:
    """A1 address from a 0-based column index and a 1-based Excel row; partial when one is unknown."""
    col = xl_col_to_name(col_index) if col_index is not None else ""
    return f"{col}{row if row else ''}"


@dataclass(frozen=True)
class Problem:
    """One data problem, as the clerk reads it in the 问题清单.

    ``row`` is the Excel row number in the source workbook (1-based) and identifies the row that an
    error keeps out of every figure.
    """

    severity: str  # ERROR or WARNING
    message: str  # 问题说明
    workbook: str = ""
    sheet: str = ""
    cell: str = ""  # A1 address, e.g. "C7"; "" for a whole-workbook problem
    field: str = ""
    value: str = ""  # the raw value as typed
    suggestion: str = ""  # 建议
    rep: str = ""
    row: int | None = None

    def where(self) -> str:
        """`王强.xlsx[回款]!A3` style location."""
        place = self.workbook
        if self.sheet:
            place += f"[{self.sheet}]"
        if self.cell:
            place += f"!{self.cell}"
        return place

    def __str__(self) -> str:
        value = f' "{self.value}"' if self.value != "" else ""
        text = f"{self.where()}: {self.field}{value} {self.message}".strip()
        return f"{text} ({self.suggestion})" if self.suggestion else text

    def as_row(self) -> dict:
        return dict(zip(PROBLEM_COLUMNS, (self.severity, self.rep, self.workbook, self.sheet, self.cell,
                                          self.field, self.value, self.message, self.suggestion)))


def text(value: object) -> str:
    """A cell as text; blanks (None, NaN, NaT, pd.NA) as ''."""
    if value is None:
        return ""
    try:
        if not isinstance(value, str) and pd.isna(value):
            return ""
    except (TypeError, ValueError):
        pass
    return str(value)


def problems_frame(problems: list[Problem]) -> pd.DataFrame:
    return pd.DataFrame([p.as_row() for p in problems], columns=list(PROBLEM_COLUMNS))


# ---------------------------------------------------------------- money

# Every rounding of the package is half up (四舍五入), as a clerk and Excel's ROUND do, and goes through
# round_half_up: this is the one module that names ROUND_HALF_UP (tests/test_structure.py checks it).

FEN = Decimal("0.01")
RATIO_STEP = Decimal("0.0001")  # a fraction shown as a percentage with two decimals: 0.1234 = 12.34%


def round_half_up(value: Decimal | int, step: Decimal | str | int = 1) -> Decimal:
    """``value`` rounded half up to a multiple of ``step`` (1, "0.1", "0.01", RATIO_STEP …), away from zero on a tie.

    >>> round_half_up(Decimal("2.5")), round_half_up(Decimal("-2.5")), round_half_up(Decimal("0.125"), "0.01")
    (Decimal('3'), Decimal('-3'), Decimal('0.13'))
    >>> round_half_up(Decimal(13) / 3, "0.1"), round_half_up(7)
    (Decimal('4.3'), Decimal('7'))
    """
    return Decimal(value).quantize(Decimal(step), rounding=ROUND_HALF_UP)


def round_fen(amount: Decimal | int) -> int:
    """An amount in fen with a fraction (a quotient, a share of a total) as whole fen, half up.

    >>> round_fen(Decimal(100000) / 3), round_fen(Decimal("733.5")), round_fen(Decimal("-0.5"))
    (33333, 734, -1)
    """
    return int(round_half_up(amount))


def fraction(part: int, whole: int, step: Decimal | str = RATIO_STEP) -> Decimal:
    """part ÷ whole rounded half up to ``step`` (4 places: a percentage to 0.01%); whole must not be 0.

    >>> fraction(1, 3), fraction(2, 3), fraction(-1, 8), fraction(13, 3, "0.1")
    (Decimal('0.3333'), Decimal('0.6667'), Decimal('-0.1250'), Decimal('4.3'))
    """
    return round_half_up(Decimal(int(part)) / Decimal(int(whole)), step)


def yuan_to_fen(amount: Decimal) -> int:
    """Yuan (Decimal) -> integer fen, rounding half up."""
    return round_fen(amount * 100)


def fen_to_yuan(fen: int) -> Decimal:
    return (Decimal(int(fen)) / 100).quantize(FEN)


def fen_to_wan(fen: int, step: Decimal | str = "0.01") -> Decimal:
    """An amount in 万元 (10,000 yuan), half up to ``step``: for tiles and charts, where 5,000,000 is unreadable.

    >>> fen_to_wan(372_568_500), fen_to_wan(194_803_500, "0.1"), fen_to_wan(50_000, "0.1")
    (Decimal('372.57'), Decimal('194.8'), Decimal('0.1'))
    """
    return round_half_up(Decimal(int(fen)) / 1_000_000, step)


def fmt_yuan(fen: int) -> str:
    """12345600 -> '123,456.00' (for messages and e-mail subjects)."""
    return f"{fen_to_yuan(fen):,.2f}"


def rmb_words(fen: int) -> str:
    """An amount in fen in 人民币大写, as a customer or a rep signs against it (its size: the caller says what a
    negative amount is, e.g. 预收). cn2an does the converting; an amount ending in 元 or 角 ends in 整.

    >>> rmb_words(1000500), rmb_words(10000050), rmb_words(7)
    ('人民币壹万零伍元整', '人民币壹拾万元伍角整', '人民币柒分')
    >>> rmb_words(12345670), rmb_words(0), rmb_words(-550)
    ('人民币壹拾贰万叁仟肆佰伍拾陆元柒角整', '人民币零元整', '人民币伍元伍角整')
    """
    import cn2an  # its tables load in 0.2 s: only when a document needs them

    size = abs(int(fen))
    words = cn2an.an2cn(f"{size // 100}.{size % 100:02d}", "rmb")
    return "人民币" + words + ("整" if words.endswith("角") else "")


# ---------------------------------------------------------------- the consolidated tables

@dataclass
class Tables:
    """Every input table of a run, by its sheet's canonical name (合同, 发货, 开票, 回款, 日报, 费用, 客户,
    产品, 人员, 目标, 考勤, 财务收款, 财务开票, 应收余额), plus what the reading learnt about each input.

    ``inputs`` has one dict per file read: path, sha256, status (ok / error / skipped), rows per sheet.
    """

    frames: dict[str, pd.DataFrame] = field(default_factory=dict)
    inputs: list[dict] = field(default_factory=list)

    def __getitem__(self, name: str) -> pd.DataFrame:
        if name in self.frames:
            return self.frames[name]
        return SHEETS[name].empty_frame()

    def __setitem__(self, name: str, frame: pd.DataFrame) -> None:
        self.frames[name] = frame

    def __contains__(self, name: str) -> bool:
        return name in self.frames

    def replace(self, **frames: pd.DataFrame) -> "Tables":
        return Tables(frames={**self.frames, **frames}, inputs=list(self.inputs))
