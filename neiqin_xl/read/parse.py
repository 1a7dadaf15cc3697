"""Cell parsing, the first thing done to every value read from a workbook (after ``reader`` found it).

Reps type dates and amounts in many ways; each ``parse_*`` function takes one raw cell value as
python-calamine returns it (str, float, int, bool, date, datetime, time, timedelta; ``""`` for a blank)
and returns ``(value, error)``: the typed value (``None`` for a blank) and ``None``, or ``None`` and a
``CellError`` saying, in Chinese, what is wrong and what the accepted form looks like. Nothing here
raises on bad data and nothing knows about workbooks: ``intake`` turns a ``CellError`` into a ``Problem``
with the cell's address.

Rules (see tests/read/test_parse.py for every form):
- dates: date cells; text 2026-11-28, 2026/11/28, 2026.11.28, 2026年11月28日, 20261128 (a valid time
  after the date is dropped; 25:99 is an error). Day-first/month-first forms (11/12/2026) and two-digit
  years (26-11-28) are ambiguous: an error, never a guess. Impossible dates (2026-13-05, 2026-02-30) are
  errors, and so is any date before 2000-01-01 (``FIRST_DATE``: the business has none; ``validate`` also
  rejects dates more than two years after the run date). A plain number (a cell not formatted as a date)
  is a date only as 20261128: any other (``11.28``, ``3``, 45990, a CRM code 360059) is an error that shows
  the number as typed, never 1900-01-11 nor 2885-10-20 (issue 28).
- amounts: numbers, or text such as ¥1,234.50, 1,234.50元, 1.2万, full-width digits; parsed with ``Decimal``
  to integer fen. Text with a fraction of a fen (1.234) is an error, not rounded: a typing slip the rep
  should see. Numeric cells are first taken to Excel's 15 significant digits, so a formula's
  1234.5600000000001 is 1234.56; a numeric cell with more decimals still (a formula's 6466.594499999999
  shown as 6,466.59) is rounded half up to the fen as Excel shows it, with a warning giving the original
  (``number_to_fen``: the one parse that gives a value and a ``CellError``, whose ``warning`` is set). Spaces around the number, its sign or its unit are allowed; a space
  between digits (``1234 56``: two numbers in one cell) and superscripts or circled digits (``1²``) are
  errors, never joined. Above ``MAX_YUAN`` (10^12 yuan), infinities and NaN are errors: no value raises
  and no sum of fen can overflow.
- IDs: text kept as typed ("00123" stays "00123", spaces removed, full-width folded); a number from a
  numeric cell loses its ".0" (123.0 -> "123").
- Excel error values (#N/A, #DIV/0! …) are errors wherever they appear, and so is a formula saved
  without its result (``Uncalculated``, put in the grid by ``reader``): ``parse_column`` refuses it.
"""

from __future__ import annotations

import functools
import math
import re
import unicodedata
from collections.abc import Callable, Sequence
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import NamedTuple

from ..core.model import FEN, round_half_up
from ..core.months import EXAMPLE as MONTH_EXAMPLE, Month
from ..core.names import normalize_name
from ..core.schema import CHOICE, DATE, ID, INT, MONEY, NAME, NUMBER, PERCENT, TEXT, Field

DATE_EXAMPLE = "示例: 2026-11-28"
MONEY_EXAMPLE = "示例: 12300.50 或 ¥12,300.50 或 1.23万"
EXCEL_ERRORS = frozenset({"#N/A", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#NULL!", "#SPILL!", "#CALC!",
                          "#GETTING_DATA", "#FIELD!", "#BLOCKED!", "#UNKNOWN!", "#BUSY!"})

_EXCEL_EPOCH = datetime(1899, 12, 30)
FIRST_DATE = datetime(2000, 1, 1)  # no business date of this office is earlier
_FIRST_SERIAL = (FIRST_DATE - _EXCEL_EPOCH).days  # 36526
_MAX_SERIAL = 2958465  # 9999-12-31
MAX_YUAN = Decimal(10) ** 12  # an amount beyond a trillion yuan is a slip (or 18 digits pasted from an ID)
_SPACES = re.compile(r"\s+")
_YMD = re.compile(r"^(\d{4})\s*(?:([-/.])\s*(\d{1,2})\s*\2\s*(\d{1,2})|年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]?)"
                  r"(?:[ T](\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?$")
_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_AMBIGUOUS = re.compile(r"^(\d{1,2})\s*[-/.]\s*(\d{1,2})\s*[-/.]\s*(\d{2}|\d{4})(?:\s.*)?$")
_CURRENCY = re.compile(r"^(?:¥|RMB|CNY|人民币)\s*", re.IGNORECASE)
_YUAN_SUFFIX = re.compile(r"(?:元整|元|圆)$")
_THOUSANDS = re.compile(r"^\d{1,3}(?:,\d{3})+(?:\.\d+)?$")
_PLAIN_NUMBER = re.compile(r"^\d+(?:\.\d+)?$|^\.\d+$")
_INT_UNITS = re.compile(r"(?:天|日|次|张|个)$")
UNIT_CODES = ("台", "套", "件", "箱", "吨", "米", "个", "只", "支", "PCS", "PC", "SET", "SETS", "KG", "EA")
_QUANTITY_UNITS = re.compile(rf"(?:{'|'.join(UNIT_CODES)})$", re.IGNORECASE)
_SPACE_BESIDE_NON_DIGIT = re.compile(r"(?<=\D)\s+|\s+(?=\D)")


class Uncalculated(str):
    """A formula cell saved without its result (``reader`` finds them), as the formula's text
    (``=DATE(2026,11,28)``): an error in any field, since its value is unknown."""


class CellError(NamedTuple):
    """What is wrong with a cell: ``message`` (问题说明) and ``suggestion`` (建议). A ``warning`` comes with
    a value: the cell was read with a correction the rep should see (an amount rounded to the fen)."""

    message: str
    suggestion: str = ""
    warning: bool = False


Parsed = tuple[object, CellError | None]
NO_RESULT = CellError("公式没有计算结果 (文件保存时未计算)", "请用 Excel 或 WPS 打开该文件, 保存后再放回")


# ---------------------------------------------------------------- helpers

def is_blank(raw: object) -> bool:
    """A blank cell: None, "" or only spaces."""
    return raw is None or (isinstance(raw, str) and not raw.strip())


def excel_error(raw: object) -> CellError | None:
    """The error for an Excel error value (#N/A, #DIV/0! …) typed or returned as text; else None."""
    if isinstance(raw, str) and "#" in raw and raw.strip().upper() in EXCEL_ERRORS:
        return CellError(f"单元格是错误值 {raw.strip()}", "请修正公式或直接填写数值")
    return None


def finite(number: float | int) -> bool:
    """False for infinities and NaN, which no cell of an office's books can mean."""
    return not isinstance(number, float) or math.isfinite(number)


def display_raw(raw: object) -> str:
    """The value as the rep sees it, for the 原始值 column."""
    if raw is None:
        return ""
    if isinstance(raw, bool):
        return "TRUE" if raw else "FALSE"
    if isinstance(raw, float):
        return format_number(raw)
    if isinstance(raw, datetime):
        return raw.strftime("%Y-%m-%d %H:%M:%S") if raw.time() != time() else raw.strftime("%Y-%m-%d")
    if isinstance(raw, date):
        return raw.isoformat()
    return str(raw)


def format_number(value: float | int) -> str:
    """123.0 -> "123", 12.5 -> "12.5" (Excel's 15 significant digits, no exponent for whole numbers)."""
    if isinstance(value, int):
        return str(value)
    if not math.isfinite(value):
        return str(value)
    if value == int(value) and abs(value) < 1e21:
        return str(int(value))
    return format(Decimal(f"{value:.15g}"), "f")


def fold(text: str) -> str:
    """NFKC (全角 -> 半角: １２３ -> 123, ￥ -> ¥, （ -> (), then trimmed."""
    return unicodedata.normalize("NFKC", text).strip()


def normalize_header(text: object) -> str:
    """A header or sheet name as compared: NFKC, no spaces or line breaks, no * marks, case-folded.

    '合同金额（元）*' and ' 合同金额(元) ' both give '合同金额(元)'.
    """
    if text is None:
        return ""
    if text.__class__ is str:
        return normalized_text(text)
    folded = unicodedata.normalize("NFKC", display_raw(text))
    return _SPACES.sub("", folded).replace("*", "").casefold()


@functools.lru_cache(maxsize=1 << 16)
def normalized_text(text: str) -> str:
    """``normalize_header`` of a text, remembered: every sheet's first rows are compared as headers (a
    workspace's headers and sheet names are a few hundred texts, met on every sheet)."""
    return _SPACES.sub("", unicodedata.normalize("NFKC", text)).replace("*", "").casefold()


# ---------------------------------------------------------------- dates

def make_date(year: int, month: int, day: int) -> datetime | None:
    try:
        return datetime(year, month, day)
    except ValueError:
        return None


def date_from_serial(serial: float) -> datetime | None:
    """An Excel (1900 system) serial to a date; the time of day is dropped; None when out of range."""
    if not finite(serial) or not 1 <= serial <= _MAX_SERIAL:
        return None
    return _EXCEL_EPOCH + timedelta(days=int(serial))


TOO_EARLY = CellError("日期早于 2000-01-01, 不像业务日期", f"请核对年份, {DATE_EXAMPLE}")


def parse_date(raw: object) -> Parsed:
    """A date cell, serial or text -> datetime at midnight; before 2000-01-01 an error.

    >>> parse_date(46354.0)[1].message  # a number in a General-formatted cell: not silently a date
    '数字 46354 不是日期'
    >>> parse_date(datetime(2026, 11, 28, 9, 30))[0]  # a date cell
    datetime.datetime(2026, 11, 28, 0, 0)
    >>> parse_date(11.28)[1].message  # "11.28" typed for 11月28日: Excel stored a number
    '数字 11.28 不是日期 (会被当成 1900-01-11)'
    >>> parse_date("1900-01-01")[1].message
    '日期早于 2000-01-01, 不像业务日期'
    >>> parse_date("2026-11-28 25:99")[1].message
    '时间不存在'
    """
    if isinstance(raw, (datetime, date)):
        day = datetime(raw.year, raw.month, raw.day)
        return (day, None) if day >= FIRST_DATE else (None, TOO_EARLY)
    if is_blank(raw):
        return None, None
    if isinstance(raw, bool) or isinstance(raw, (time, timedelta)):
        return None, CellError("不是有效日期", DATE_EXAMPLE)
    if isinstance(raw, (int, float)):
        return parse_date_number(raw)
    return parse_date_text(str(raw))


def parse_date_number(number: float | int) -> Parsed:
    """A number in a date column (a cell not formatted as a date: a date cell reads as one) is an error showing
    the number as typed, whatever its size (360059, a CRM code, is not 2885-10-20; 45990 in a General cell is
    not silently a 2025 date), with the one form clerks rely on: eight digits that form a valid date,
    20261128, are that date. The suggestion says what Excel would show, when it is a date at all.

    >>> parse_date_number(20261128)[0], parse_date_number(45990)[1].message, parse_date_number(360059)[1].message
    (datetime.datetime(2026, 11, 28, 0, 0), '数字 45990 不是日期', '数字 360059 不是日期')
    """
    if not finite(number):
        return None, CellError("不是有效日期", DATE_EXAMPLE)
    if number == int(number) and 19000101 <= number <= 29991231:
        found = make_date(int(number) // 10000, int(number) // 100 % 100, int(number) % 100)
        if found is None:
            return None, CellError("不是有效日期", DATE_EXAMPLE)
        return (found, None) if found >= FIRST_DATE else (None, TOO_EARLY)
    shown = date_from_serial(number + 1 if 0 < number < 60 else number)  # as Excel shows it (its 1900-02-29)
    if 0 < number < _FIRST_SERIAL:
        seen = f" (会被当成 {shown:%Y-%m-%d})" if shown else ""
        return None, CellError(f"数字 {format_number(number)} 不是日期{seen}", f"请写成 年-月-日, {DATE_EXAMPLE}")
    hint = f"; 如确是日期 {shown:%Y-%m-%d}, 请把单元格格式设为日期" if shown else ""
    return None, CellError(f"数字 {format_number(number)} 不是日期", f"请写成 年-月-日, {DATE_EXAMPLE}{hint}")


def parse_date_text(text: str) -> Parsed:
    error = excel_error(text)
    if error:
        return None, error
    text = fold(text)
    m = _YMD.match(text) or _COMPACT.match(text)
    if m:
        groups = [g for g in m.groups()[:6] if g is not None and g not in "-/."]
        found = make_date(int(groups[0]), int(groups[1]), int(groups[2]))
        hour, minute, second = m.groups()[6:] if m.re is _YMD else (None, None, None)
        if hour is not None and not (int(hour) < 24 and int(minute) < 60 and int(second or 0) < 60):
            return None, CellError("时间不存在", DATE_EXAMPLE)
        if found is None:
            return None, CellError("不是有效日期", DATE_EXAMPLE)
        return (found, None) if found >= FIRST_DATE else (None, TOO_EARLY)
    if _AMBIGUOUS.match(text):
        return None, CellError("日期写法有歧义, 无法确定年月日", f"请写成 年-月-日, {DATE_EXAMPLE}")
    return None, CellError("不是有效日期", DATE_EXAMPLE)


def parse_month(raw: object) -> Parsed:
    """A month (目标.月份, 考勤.月份) -> 'YYYY-MM': the forms ``Month.parse`` reads (2026-11, 2026/11, 2026年11月,
    202611 …), a date typed as text or a date cell (its month), a yyyymm number."""
    if isinstance(raw, (datetime, date)):
        return f"{raw.year:04d}-{raw.month:02d}", None
    if is_blank(raw):
        return None, None
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        if not 190001 <= raw <= 299912:  # not 202611: an Excel serial in a General-formatted cell
            day = date_from_serial(raw)
            return (f"{day.year:04d}-{day.month:02d}", None) if day else (None, CellError("不是有效月份", MONTH_EXAMPLE))
        raw = format_number(raw)
    text = fold(str(raw))
    month = Month.parse(text)
    if month is not None:
        return str(month), None
    day, error = parse_date_text(text)
    if day is not None:
        return f"{day.year:04d}-{day.month:02d}", None
    return None, CellError("不是有效月份", MONTH_EXAMPLE)


# ---------------------------------------------------------------- amounts and numbers

def decimal_from_number(number: float | int) -> Decimal:
    """A numeric cell as Excel shows it: 15 significant digits (1234.5600000000001 -> 1234.56)."""
    if isinstance(number, int):
        return Decimal(number)
    return Decimal(f"{number:.15g}")


def decimal_from_text(text: str) -> Decimal | None:
    """'1,234.50' / '(1,234.50)' / '-12.3' / '1.2万' (after currency and 元 were removed) -> Decimal; None if not."""
    negative = False
    if text.startswith("(") and text.endswith(")"):
        negative, text = True, text[1:-1].strip()
    if text[:1] in "+-":
        negative, text = negative ^ (text[0] == "-"), text[1:].strip()
    scale = 1
    if text.endswith("万"):
        scale, text = 10000, text[:-1].strip()
    elif text.endswith("亿"):
        scale, text = 100000000, text[:-1].strip()
    if _THOUSANDS.match(text):
        text = text.replace(",", "")
    elif not _PLAIN_NUMBER.match(text):
        return None
    try:
        value = Decimal(text) * scale
    except InvalidOperation:
        return None
    return -value if negative else value


def parse_decimal_text(text: str) -> Decimal | None:
    """Any amount-like text -> Decimal, or None. ¥/RMB, 元, full-width digits, spaces around the number or
    its sign and unit are accepted; a space between digits or a superscript is not.

    >>> parse_decimal_text("¥ 1,234.50 元"), parse_decimal_text("－1.2 万")
    (Decimal('1234.50'), Decimal('-12000.0'))
    >>> parse_decimal_text("１２３４　５６"), parse_decimal_text("1²")  # two numbers; a superscript
    (None, None)
    """
    if any(unicodedata.category(ch) == "No" for ch in text):  # ² ³ ① …: NFKC would make them digits
        return None
    text = _SPACE_BESIDE_NON_DIGIT.sub("", fold(text))
    if _SPACES.search(text):
        return None
    text = _CURRENCY.sub("", text)
    text = _YUAN_SUFFIX.sub("", text)
    if text.startswith("-") or text.startswith("+"):  # -¥1,234.00
        sign, rest = text[0], _CURRENCY.sub("", text[1:])
        text = sign + rest
    text = text.replace("万元", "万")
    return decimal_from_text(text) if text else None


TOO_LARGE = CellError("金额超出范围 (超过 1 万亿元)", "请核对金额, 是否粘贴了编号")
FRACTION_OF_FEN = CellError("金额超过两位小数 (不足一分)", "金额精确到分, 如 1234.56")


def to_fen(amount: Decimal) -> Parsed:
    """Yuan -> integer fen; a fraction of a fen is an error (not rounded), and so is more than MAX_YUAN."""
    if not amount.is_finite() or abs(amount) > MAX_YUAN:
        return None, TOO_LARGE
    fen = amount * 100
    if fen != fen.to_integral_value():
        return None, FRACTION_OF_FEN
    return int(fen), None


def number_to_fen(number: float | int, scale: int = 1) -> Parsed:
    """A numeric cell's amount (× ``scale``: 10000 under a 万元 header) -> fen. More than two decimals (a
    formula's 6466.594499999999 shown as #,##0.00) is rounded half up to the fen as Excel shows it, with
    a warning giving the original.

    >>> number_to_fen(6466.594499999999)
    (646659, CellError(message='金额 6466.594499999999 超过两位小数, 按显示的 6466.59 读取', suggestion='如需其他金额, 请在单元格中把金额算到分 (如 =ROUND(…,2))', warning=True))
    >>> number_to_fen(0.125)[0], number_to_fen(1234.5), number_to_fen(12.5, 10000)  # 0.125 -> 0.13; 12.5万
    (13, (123450, None), (12500000, None))
    """
    amount = decimal_from_number(number) * scale
    fen, error = to_fen(amount)
    if error is not FRACTION_OF_FEN:
        return fen, error
    shown = round_half_up(amount, FEN)
    original = f"{number!r}" if scale == 1 else f"{number!r} × {scale}"
    return int(shown * 100), CellError(f"金额 {original} 超过两位小数, 按显示的 {shown} 读取",
                                       "如需其他金额, 请在单元格中把金额算到分 (如 =ROUND(…,2))", warning=True)


def parse_money(raw: object) -> Parsed:
    """An amount in yuan -> integer fen (¥1,234.50 -> 123450; 1.2万 -> 1200000)."""
    if isinstance(raw, float) and not math.isfinite(raw):
        return None, CellError("不是有效金额", MONEY_EXAMPLE)
    if type(raw) is float and abs(raw) <= MAX_YUAN:
        fen = round(raw * 100)
        if abs(fen) < 10 ** 15 and fen / 100 == raw:  # raw is the double nearest a whole number of fen: that
            return fen, None  # number has ≤ 15 digits, so it is what Excel shows (the Decimal path agrees)
    if isinstance(raw, float) or (isinstance(raw, int) and not isinstance(raw, bool)):
        return number_to_fen(raw)
    if is_blank(raw):
        return None, None
    if not isinstance(raw, str):
        return None, CellError("不是有效金额", MONEY_EXAMPLE)
    error = excel_error(raw)
    if error:
        return None, error
    amount = parse_decimal_text(raw)
    if amount is None:
        return None, CellError("不是有效金额", MONEY_EXAMPLE)
    return to_fen(amount)


def money_parser(scale: int = 1) -> Callable[[object], Parsed]:
    """``parse_money``, or for a column headed in 万元 (``scale`` 10000) the amount × 10000.

    >>> money_parser(10000)(12.5), money_parser(10000)("1.2345"), money_parser(10000)("1.234567")
    ((12500000, None), (1234500, None), (1234567, None))
    """
    if scale == 1:
        return parse_money

    def parse_scaled(raw: object) -> Parsed:
        if isinstance(raw, bool) or not isinstance(raw, (int, float, str)) or is_blank(raw) or excel_error(raw):
            return parse_money(raw)
        if isinstance(raw, str):
            amount = parse_decimal_text(raw)
            return to_fen(amount * scale) if amount is not None else (None, CellError("不是有效金额", MONEY_EXAMPLE))
        return number_to_fen(raw, scale) if finite(raw) else parse_money(raw)
    return parse_scaled


def parse_number(raw: object) -> Parsed:
    """A quantity or price -> float (text with commas, full-width digits, 万 accepted; a unit after the
    number is dropped: 2PCS, 1套, 3 台, 5件, 2箱, 1.5吨, 100米, 2 SET).

    >>> [parse_number(t)[0] for t in ("2PCS", "1套", "3 台", "2 set", "1.5吨")]
    [2.0, 1.0, 3.0, 2.0, 1.5]
    """
    if isinstance(raw, float) or (isinstance(raw, int) and not isinstance(raw, bool)):
        return (float(raw), None) if finite(raw) and abs(raw) < 1e15 else (None, CellError("不是有效数字", "示例: 12.5"))
    if is_blank(raw):
        return None, None
    if not isinstance(raw, str):
        return None, CellError("不是有效数字", "示例: 12.5")
    error = excel_error(raw)
    if error:
        return None, error
    text = _QUANTITY_UNITS.sub("", _INT_UNITS.sub("", fold(raw)))
    value = parse_decimal_text(text)
    if value is None or abs(value) >= 10 ** 15:
        return None, CellError("不是有效数字", "示例: 12.5")
    return float(value), None


def parse_percent(raw: object) -> Parsed:
    """A share as a fraction: an Excel percent cell (0.3), "30%", or a plain number above 1 read as per cent.

    >>> [parse_percent(v)[0] for v in (0.3, "30%", "30", 1, "12.5 %", 60)]
    [0.3, 0.3, 0.3, 1.0, 0.125, 0.6]
    """
    percent = isinstance(raw, str) and fold(raw).strip().endswith("%")
    value, error = parse_number(fold(raw).strip().rstrip("%") if percent else raw)
    if value is None:
        return None, error and CellError("不是有效比例", "示例: 30%")
    value = Decimal(str(value))
    fraction = value / 100 if percent or value > 1 else value
    return float(fraction), None


def is_unit_code(text: str) -> bool:
    """A unit of measure as an ERP export's 单位 column holds it (PCS, 台, 套 …), not a name.

    >>> [is_unit_code(t) for t in ("PCS", " 台 ", "set", "上海明达", "台州机电")]
    [True, True, True, False, False]
    """
    return fold(text).upper() in _UNIT_CODES_UPPER


_UNIT_CODES_UPPER = frozenset(u.upper() for u in UNIT_CODES)


def parse_int(raw: object) -> Parsed:
    """A count or a number of days -> int ('30天' accepted); a fraction is an error."""
    number, error = parse_number(raw)
    if error:
        return None, CellError("不是有效整数", "示例: 30")
    if number is None:
        return None, None
    if number != int(number):
        return None, CellError("应为整数", "示例: 30")
    return int(number), None


# ---------------------------------------------------------------- text

def text_of(raw: object) -> str:
    """Any cell as text: numbers without '.0', dates as YYYY-MM-DD."""
    if isinstance(raw, str):
        return raw
    if isinstance(raw, bool):
        return "TRUE" if raw else "FALSE"
    if isinstance(raw, (int, float)):
        return format_number(raw)
    return display_raw(raw)


def blank_or_error(raw: object) -> Parsed | None:
    """(None, None) for a blank cell, (None, the error) for an Excel error value; None when there is a value."""
    if is_blank(raw):
        return None, None
    error = excel_error(raw)
    return (None, error) if error else None


def parse_text(raw: object) -> Parsed:
    """Free text, trimmed; blank -> None."""
    return blank_or_error(raw) or (text_of(raw).strip(), None)


def parse_id(raw: object) -> Parsed:
    """A document number or phone: kept as text ('00123' stays), full-width folded, spaces removed."""
    if isinstance(raw, str):
        if raw.isascii() and raw.isprintable() and " " not in raw and "#" not in raw and raw:
            return raw, None  # the common case (HT-2026-0001): nothing to fold, remove or flag
        if not raw.strip():
            return None, None
        error = excel_error(raw)
        if error:
            return None, error
        return _SPACES.sub("", unicodedata.normalize("NFKC", raw)), None
    if is_blank(raw):
        return None, None
    if isinstance(raw, float) and not math.isfinite(raw):
        return None, CellError("不是有效编号", "请填写文本, 如 HT-2026-001")
    return text_of(raw), None


def parse_name(raw: object) -> Parsed:
    """A customer/product/person name, normalised (names.normalize_name)."""
    return blank_or_error(raw) or (normalize_name(text_of(raw)) or None, None)


def choice_parser(choices: tuple[str, ...]) -> Callable[[object], Parsed]:
    """Parses one of ``choices``; another value is kept as typed (the validator may warn)."""
    def parse_choice(raw: object) -> Parsed:
        value, error = parse_text(raw)
        if value is None or error:
            return value, error
        folded = fold(str(value))
        return (folded if folded in choices else value), None
    return parse_choice


class ParsedColumn(NamedTuple):
    """A parsed column: the typed values (``blank`` for a blank cell) and the positions of bad cells."""

    values: list
    errors: dict[int, CellError]


def parse_column(parser: Callable[[object], Parsed], raw: Sequence, blank: object = None) -> ParsedColumn:
    """Parses a column's cells; each distinct value is parsed once (names, dates and contract numbers
    repeat down a column), and the column is then mapped in one pass, its equal texts one object (``shared``)."""
    types = set(map(type, raw))
    if Uncalculated in types:
        parser = refusing_uncalculated(parser)
    if bool in types and types & {int, float}:  # True == 1 == 1.0: parse cell by cell to keep them apart
        parsed = {i: parser(v) for i, v in enumerate(raw)}
        values = shared([blank if p[0] is None else p[0] for p in parsed.values()])
        return ParsedColumn(values, {i: p[1] for i, p in parsed.items() if p[1] is not None})
    cells = list(set(raw))
    results = list(map(parser, cells))
    typed = dict(zip(cells, shared([blank if value is None else value for value, _ in results])))
    bad = {v: error for v, (_, error) in zip(cells, results) if error is not None}
    errors = {i: bad[v] for i, v in enumerate(raw) if v in bad} if bad else {}
    return ParsedColumn(list(map(typed.__getitem__, raw)), errors)


def shared(values: list) -> list:
    """The values with every repeated text one object: the reader makes a new string per cell, and a
    customer's name on 5,000 rows would otherwise be held 5,000 times over the whole run (and travel that
    many times from the intake's workers).

    >>> texts = ["上海明达", "".join(["上海", "明达"]), None]  # equal, but two objects, as the reader makes them
    >>> texts[0] is texts[1], shared(texts)[0] is shared(texts)[1], shared(texts)[2]
    (False, True, None)
    """
    seen: dict[str, str] = {}
    return [seen.setdefault(t, t) if t.__class__ is str else t for t in values]


def refusing_uncalculated(parser: Callable[[object], Parsed]) -> Callable[[object], Parsed]:
    """``parser``, with a formula saved without its result an error whatever the field."""
    def parse(raw: object) -> Parsed:
        return (None, NO_RESULT) if type(raw) is Uncalculated else parser(raw)
    return parse


def parser_for(field: Field, scale: int = 1) -> Callable[[object], Parsed]:
    """The parser for a schema field: by kind, 月份 fields as YYYY-MM, an amount × ``scale`` (万元)."""
    if field.kind == MONEY and scale != 1:
        return money_parser(scale)
    if field.name == "月份":
        return parse_month
    if field.kind == CHOICE:
        return choice_parser(field.choices)
    return {DATE: parse_date, MONEY: parse_money, NUMBER: parse_number, INT: parse_int, ID: parse_id,
            NAME: parse_name, TEXT: parse_text, PERCENT: parse_percent}.get(field.kind, parse_text)
