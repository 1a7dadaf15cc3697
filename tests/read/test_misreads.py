"""No silent misreads (issue 16): a number typed in a date column, a date before 2000 or years ahead, a
space between digits, a superscript, an amount of 18 digits or 1E+308 — each is an error for that cell, never a
wrong figure and never an exception. The property test feeds every parser whatever a cell can hold."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from hypothesis import given, settings as hsettings, strategies as st

from neiqin_xl.books.validate import validate
from neiqin_xl.core.config import Settings
from neiqin_xl.core.model import ERROR, WARNING
from neiqin_xl.core.schema import SHEETS
from neiqin_xl.read.parse import (display_raw, parse_column, parse_date, parse_id, parse_int, parse_money, parse_month,
                                  parse_name, parse_number, parse_text, parser_for)

from ..helpers import table, tables


@pytest.mark.parametrize("typed, excel_shows", [
    (11.28, "1900-01-11"),  # 11月28日 typed as 11.28: Excel keeps the number
    (2026.11, "1905-07-18"),  # 2026年11月 typed as 2026.11; serial 2026 is 1905-07-18 (1900-01-01 + 2025 days, 1900 "leap")
    (3, "1900-01-03"),  # a month number formatted 0"月"
    (2016.1, "1905-07-08"),  # a real contract ledger's 2016.1
])
def test_a_small_number_in_a_date_column_is_an_error_that_shows_it(typed, excel_shows):
    value, error = parse_date(typed)
    assert value is None
    assert error.message == f"数字 {typed} 不是日期 (会被当成 {excel_shows})"
    assert "2026-11-28" in error.suggestion


@pytest.mark.parametrize("raw", ["1900-01-01", "1999-12-31", datetime(1999, 12, 31), date(1905, 7, 8), 19991231])
def test_a_date_before_2000_is_an_error(raw):
    value, error = parse_date(raw)
    assert value is None and "2000-01-01" in error.message


def test_the_first_business_date_and_a_serial_with_a_time_are_dates():
    assert parse_date("2000-01-01") == (datetime(2000, 1, 1), None)
    assert parse_date(datetime(2000, 1, 1, 8, 30)) == (datetime(2000, 1, 1), None)  # a date cell with a time


@pytest.mark.parametrize("raw", ["2026-11-28 25:99", "2026-11-28 24:00", "2026/11/28 12:60:00"])
def test_impossible_times_are_errors(raw):
    assert parse_date(raw) == (None, parse_date(raw)[1]) and parse_date(raw)[1].message == "时间不存在"


@pytest.mark.parametrize("raw", ["１２３４　５６", "1234 56", "1²", "①②", "12 345.00"])
def test_two_numbers_in_a_cell_or_look_alike_digits_are_errors_not_joined(raw):
    value, error = parse_money(raw)
    assert value is None and error.message == "不是有效金额"


@pytest.mark.parametrize("raw, fen", [(" ¥ 1,234.50 元 ", 123450), ("- ¥1,234.00", -123400), ("1.2 万", 1200000),
                                      ("１２３４．５６", 123456)])
def test_spaces_beside_the_currency_sign_or_unit_are_fine(raw, fen):
    assert parse_money(raw) == (fen, None)


@pytest.mark.parametrize("raw", [1e308, float("inf"), float("-inf"), float("nan"), 123456789012345678,
                                 "1000000000000.01", 1_000_000_000_000.01])
def test_amounts_beyond_a_trillion_yuan_or_not_finite_are_errors(raw):
    value, error = parse_money(raw)
    assert value is None and error is not None


def test_a_trillion_yuan_is_still_an_amount():
    assert parse_money(1_000_000_000_000) == (100_000_000_000_000, None)  # 10^12 yuan = 10^14 fen


@pytest.mark.parametrize("parser", [parse_date, parse_int, parse_number, parse_id, parse_month])
@pytest.mark.parametrize("raw", [1e308, float("inf"), float("nan"), -1e308])
def test_no_parser_raises_on_extreme_numbers(parser, raw):
    value, error = parser(raw)
    assert value is None or error is None
    display_raw(raw)


CELLS = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(10 ** 20), max_value=10 ** 20),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=30),
    st.text(alphabet="0123456789.,-+ ¥元万亿年月日/:()²①１２　", max_size=20),
    st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(9999, 12, 31)), st.dates(),
    st.times(), st.timedeltas(min_value=timedelta(days=-5), max_value=timedelta(days=5)))


@hsettings(max_examples=400, deadline=None)
@given(CELLS)
def test_every_parser_takes_any_cell_without_raising(raw):
    for parser in (parse_date, parse_money, parse_number, parse_int, parse_id, parse_month, parse_name, parse_text):
        value, error = parser(raw)
        assert value is None or error is None or error.warning  # a value or an error; both only as a warning
        if parser is parse_money and value is not None:
            assert abs(value) <= 10 ** 14  # at most 10^12 yuan in fen: a sum of a million rows fits int64
        if parser is parse_date and value is not None:
            assert value >= datetime(2000, 1, 1)
    display_raw(raw)


@hsettings(max_examples=100, deadline=None)
@given(st.lists(CELLS, max_size=12))
def test_whole_column_parsing_equals_cell_by_cell(raw):
    for field in SHEETS["回款"].fields:
        parser = parser_for(field)
        column = parse_column(parser, raw)
        for i, cell in enumerate(raw):
            value, error = parser(cell)
            if error is None:
                assert i not in column.errors
                got = column.values[i]
                assert got == value or (got != got and value != value), (field.name, cell)  # NaN-safe
            else:
                assert column.errors[i] == error


def test_dates_years_ahead_are_errors_and_the_row_is_kept_out():
    # 2028-12-01 is more than two years after 2026-11-30 (a typo for 2026-12-01); 2027-06-30 is only a warning
    contracts = table("合同", [
        {"合同编号": "HT-1", "签订日期": "2028-12-01", "客户名称": "明达", "合同金额": "100"},  # row 2
        {"合同编号": "HT-2", "签订日期": "2027-06-30", "客户名称": "明达", "合同金额": "200"},  # row 3
        {"合同编号": "HT-3", "签订日期": "2026-11-02", "客户名称": "明达", "合同金额": "300",
         "约定交货日期": "2030-01-01"},  # row 4: an agreed delivery date years ahead is wrong too
    ])
    result, problems = validate(tables(合同=contracts), Settings(), date(2026, 11, 30))
    found = sorted((p.severity, p.where(), p.message) for p in problems)
    assert (ERROR, "张伟.xlsx[合同]!B2", "日期晚于运行日期 2026-11-30 两年以上") in found
    assert (WARNING, "张伟.xlsx[合同]!B3", "日期晚于运行日期 2026-11-30") in found
    assert any(s == ERROR and w.startswith("张伟.xlsx[合同]!") and w.endswith("4") for s, w, _ in found)
    assert result["合同"]["合同编号"].tolist() == ["HT-2"]  # HT-1 and HT-3 are kept out of every figure
