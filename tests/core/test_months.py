"""The month: the one parser of month text (--month, 月份 cells, file names)."""

from datetime import date

import pytest

from neiqin_xl.books import periods
from neiqin_xl.core.months import Month
from neiqin_xl.read.parse import parse_month





@pytest.mark.parametrize("typed, month", [
    ("2026-11", "2026-11"), ("2026-1", "2026-01"), ("2026/11", "2026-11"), ("2026.11", "2026-11"),
    ("2026年11月", "2026-11"), ("2026 年 3 月", "2026-03"), ("202611", "2026-11"), ("  2026-11\n", "2026-11"),
    ("２０２６－１１", "2026-11"),  # full-width, as a Chinese IME types it
    ("2026-12", "2026-12"), ("2026-01", "2026-01"),
])
def test_the_ways_a_month_is_written(typed, month):
    assert Month.parse(typed) == month and Month(typed) == month


@pytest.mark.parametrize("typed", [
    "2026-13", "2026-00", "2026-0", "abc", "", "   ", None, "2026-1-5", "2026-11-05",  # a date is not a month
    "26-11", "11/2026", "20261", "2026113", "2026-11 2026-12", "0026-11", "2026-11x",
])
def test_text_that_is_no_month(typed):
    assert Month.parse(typed) is None
    with pytest.raises(ValueError, match="不是有效月份"):
        Month(typed)


def test_month_arithmetic_over_year_ends_and_leap_years():
    # 2026-01 minus one month is 2025-12; February has 29 days in 2028 and 28 in 2026.
    assert Month("2026-01").shift(-1) == "2025-12" and Month("2026-12").shift(1) == "2027-01"
    assert Month("2028-02").last == date(2028, 2, 29) and Month("2026-02").last == date(2026, 2, 28)
    assert Month.of(date(2026, 11, 30)) == "2026-11" and Month("2026-11").first == date(2026, 11, 1)


def test_the_month_in_a_file_name_and_in_a_cell_are_read_by_the_same_parser():
    assert Month.find("财务收款_2026-11") == Month.find("考勤2026年11月") == Month.find("应收余额 2026_11") == "2026-11"
    assert Month.find("财务收款_2026-13") is None and Month.find("财务收款") is None
    # a cell also takes a date (its month) and a yyyymm number; text that is no month is a cell error
    assert parse_month("2026/11") == parse_month("2026-11-05") == parse_month(202611) == ("2026-11", None)
    assert parse_month("2026-13")[1] is not None


def test_month_option_is_one_error_for_text_that_is_no_month():
    assert periods.month_option(None, "提成计算表") == (None, []) and periods.month_option("", "x") == (None, [])
    assert periods.month_option("2026/10", "提成计算表") == ("2026-10", [])
    month, problems = periods.month_option("2026-13", "提成计算表")
    assert month is None and len(problems) == 1
    assert (problems[0].severity, problems[0].field, problems[0].value) == ("错误", "--month", "2026-13")


def test_month_window_is_the_run_dates_month_to_date_or_a_given_month_to_its_end():
    # 11-20: 11-01..11-20; --month 2026-10 on 11-20: 10-01..10-31; --month 2026-11 on 11-20: 11-01..11-20
    assert periods.month_window(date(2026, 11, 20)).end == date(2026, 11, 20)
    assert periods.month_window(date(2026, 11, 20), Month("2026-10")).end == date(2026, 10, 31)
    assert periods.month_window(date(2026, 11, 20), Month("2026-11")).end == date(2026, 11, 20)
