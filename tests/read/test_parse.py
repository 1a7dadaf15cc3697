"""Cell parsing: every date and amount form a rep types, worked out by hand."""

from datetime import date, datetime, time

import pytest

from neiqin_xl.read.parse import (normalize_header, parse_date, parse_id, parse_int, parse_money, parse_month, parse_name,
                             parse_number, parse_text)

NOV28 = datetime(2026, 11, 28)


@pytest.mark.parametrize("raw", [
    "2026-11-28", "2026/11/28", "2026.11.28", "2026年11月28日", "20261128", " 2026-11-28 ",
    "２０２６－１１－２８",  # full-width, as typed with a Chinese IME
    "2026-11-28 14:30:00",  # an export's datetime text: the time is dropped
    20261128,  # typed as a number
    date(2026, 11, 28), datetime(2026, 11, 28, 9, 15),
])
def test_accepted_date_forms_give_the_date_at_midnight(raw):
    assert parse_date(raw) == (NOV28, None)


@pytest.mark.parametrize("raw", ["11/12/2026", "26-11-28", "28.11.26"])
def test_ambiguous_dates_are_errors_never_guesses(raw):
    value, error = parse_date(raw)
    assert value is None and "歧义" in error.message and "2026-11-28" in error.suggestion


@pytest.mark.parametrize("raw, typed", [(46354.0, "46354"), (46354.75, "46354.75"), (360059, "360059"), (-5.0, "-5"),
                                        (45990, "45990")])
def test_a_number_that_is_not_a_date_cell_is_an_error_showing_it_as_typed(raw, typed):
    # 46354 would be 2026-11-28 as a serial (day 46354 after 1899-12-30), 360059 (a CRM code) 2885-10-20:
    # a number in a General cell is never silently a date (issue 28); only a date cell or 20261128 is
    value, error = parse_date(raw)
    assert value is None and error.message == f"数字 {typed} 不是日期"


@pytest.mark.parametrize("raw", ["2026-13-05", "2026-02-30", "2026年2月29日", "20261301", "昨天", True, time(9, 0)])
def test_impossible_or_unreadable_dates_are_errors_with_an_example(raw):
    value, error = parse_date(raw)
    assert value is None and error.message == "不是有效日期" and error.suggestion == "示例: 2026-11-28"


def test_blank_date_is_none_without_error():
    assert parse_date("") == (None, None) and parse_date("   ") == (None, None) and parse_date(None) == (None, None)


@pytest.mark.parametrize("raw, fen", [
    ("¥1,234.50", 123450),  # 1234.50 yuan = 123450 fen
    ("1,234.50元", 123450),
    ("1.2万", 1200000),  # 1.2 × 10000 = 12000.00 yuan
    ("1.2万元", 1200000),
    ("１２３４．５", 123450),  # full-width digits and point
    ("  ￥ 88 ", 8800),
    ("RMB 100", 10000),
    ("-¥1,000", -100000),  # negative: parsed; the validator rejects it
    (1234.5, 123450),
    (1234.5600000000001, 123456),  # a formula's float noise: Excel shows 15 digits, 1234.56
    (0.1 + 0.2, 30),  # 0.30000000000000004 -> 0.30
    (20000, 2000000),
    ("0.01", 1),
])
def test_amounts_to_exact_fen(raw, fen):
    assert parse_money(raw) == (fen, None)


@pytest.mark.parametrize("raw", ["1.234", "1.2345万"])  # 1.2345万 = 12345.00 is fine; see below
def test_fraction_of_a_fen_is_an_error_not_rounded(raw):
    value, error = parse_money(raw)
    if raw == "1.2345万":  # 1.2345 × 10000 = 12345 yuan exactly
        assert (value, error) == (1234500, None)
    else:
        assert value is None and "两位小数" in error.message


@pytest.mark.parametrize("raw", ["abc", "1,23", "¥", "#N/A", True, date(2026, 1, 1)])
def test_unreadable_amounts_are_errors(raw):
    value, error = parse_money(raw)
    assert value is None and error is not None


def test_ids_stay_text():
    assert parse_id("00123") == ("00123", None)
    assert parse_id(123.0) == ("123", None)  # a numeric cell loses its .0
    assert parse_id(" HT 2026-001 ") == ("HT2026-001", None)
    assert parse_id("ＨＴ２０２６") == ("HT2026", None)
    assert parse_id("") == (None, None)


def test_text_names_counts_numbers_months():
    assert parse_text("  备注 ") == ("备注", None)
    assert parse_text(12.0) == ("12", None)
    assert parse_name(" 上海明达（集团）有限公司 ") == ("上海明达(集团)有限公司", None)
    assert parse_int("30天") == (30, None) and parse_int(45.0) == (45, None)
    assert parse_int("2.5")[1] is not None
    assert parse_number("1,200.5") == (1200.5, None)
    assert parse_month("2026年11月") == ("2026-11", None) and parse_month(datetime(2026, 11, 1)) == ("2026-11", None)
    assert parse_month("2026-13")[1] is not None


def test_header_normalisation():
    assert normalize_header("合同金额（元）*") == normalize_header(" 合同金额(元) ") == "合同金额(元)"
    assert normalize_header("回款\n日期") == "回款日期"
    assert normalize_header("EMAIL") == "email"


def test_numeric_money_cells_give_what_the_decimal_rule_gives():
    # parse_money takes a shortcut for a float that is the nearest double to a whole number of fen; on these
    # cells (whole fen, a formula's 1234.5600000000001, fractions of a fen, big amounts) it must agree with
    # the rule itself: Excel's 15 significant digits, then a fraction of a fen left is rounded half up with a
    # warning (number_to_fen).
    import random

    from neiqin_xl.read.parse import number_to_fen, parse_money

    rng = random.Random(8)
    cells = [rng.randint(-10 ** 11, 10 ** 11) / 100 for _ in range(20000)] + [rng.uniform(-1e6, 1e6) for _ in range(5000)]
    cells += [0.1 + 0.2, 1234.5600000000001, 1e13 + 0.01, 99999999999.99, 0.005, 1.005, 2.675, 1e15, -0.0]
    assert [parse_money(c) for c in cells] == [number_to_fen(c) for c in cells]


def test_a_column_of_document_numbers_parses_as_each_cell_would():
    # parse_column parses each distinct value once and maps the column: plain numbers, repeated ones, blanks,
    # numeric cells and, one at a time, a cell that needs folding or is an error give the cell-by-cell result.
    from neiqin_xl.read.parse import parse_column

    plain = ["HT-2026-0001", "HT-2026-0002", "HT-2026-0001", "", "00123", 123.0]
    assert parse_column(parse_id, plain) == (["HT-2026-0001", "HT-2026-0002", "HT-2026-0001", None, "00123", "123"], {})
    for odd in (" HT 2026-003 ", "ＨＴ２０２６", "HT\t7", "#N/A", "HT#8"):
        column = plain + [odd]
        parsed = parse_column(parse_id, column)
        assert parsed.values == [parse_id(v)[0] for v in column]
        assert parsed.errors == {i: parse_id(v)[1] for i, v in enumerate(column) if parse_id(v)[1] is not None}
    assert parse_column(parse_id, ["HT-1", "#N/A"]).errors.keys() == {1}
