"""Report periods and when they fall due: boundaries, month ends, leap years, catch-up, 调休."""

from datetime import date

import chinese_calendar
import pytest

from neiqin_xl.books import periods as P
from neiqin_xl.books.workdays import Workdays
from neiqin_xl.core.months import Month
from neiqin_xl.core.config import settings_from_dict

S = settings_from_dict({})
CAL = Workdays.of(S)  # the working-day calendar of the default settings


def spans(periods):
    return [(p.kind, p.start.isoformat(), p.end.isoformat()) for p in periods]


@pytest.mark.parametrize("day, start, end", [
    ("2026-11-01", "2026-11-01", "2026-11-05"), ("2026-11-05", "2026-11-01", "2026-11-05"),
    ("2026-11-06", "2026-11-06", "2026-11-10"), ("2026-11-15", "2026-11-11", "2026-11-15"),
    ("2026-11-20", "2026-11-16", "2026-11-20"), ("2026-11-21", "2026-11-21", "2026-11-25"),
    ("2026-11-26", "2026-11-26", "2026-11-30"), ("2026-12-31", "2026-12-26", "2026-12-31"),
    ("2026-02-27", "2026-02-26", "2026-02-28"),  # February of a common year: 26-28
    ("2028-02-29", "2028-02-26", "2028-02-29"),  # leap year: 26-29
])
def test_five_day_period_boundaries(day, start, end):
    p = P.period_containing(P.FIVE_DAY, date.fromisoformat(day))
    assert (p.start.isoformat(), p.end.isoformat()) == (start, end)


def test_labels_titles_and_file_names():
    five = P.period_containing(P.FIVE_DAY, date(2026, 11, 28))
    assert five.label == "2026年11月第6期(26-30日)"
    assert five.filename == "五日报_2026-11-26_2026-11-30.xlsx" and five.title == "五日报 2026-11-26~2026-11-30"
    assert P.period_containing(P.FIVE_DAY, date(2026, 11, 3)).label == "2026年11月第1期(1-5日)"
    month = P.period_containing(P.MONTH, date(2026, 11, 28))
    assert (month.label, month.filename, month.title) == ("2026年11月", "月报_2026-11.xlsx", "月报 2026-11")
    quarter = P.period_containing(P.QUARTER, date(2026, 11, 28))
    assert (quarter.label, quarter.filename) == ("2026年第4季度", "季报_2026Q4.xlsx")
    assert (quarter.start, quarter.end) == (date(2026, 10, 1), date(2026, 12, 31))
    year = P.period_containing(P.YEAR, date(2026, 11, 28))
    assert (year.label, year.filename) == ("2026年", "年报_2026.xlsx")
    assert quarter.months == ["2026-10", "2026-11", "2026-12"]


def test_periods_ending_on_a_day():
    assert spans(P.periods_ending(date(2026, 11, 10))) == [("五日报", "2026-11-06", "2026-11-10")]
    assert P.periods_ending(date(2026, 11, 11)) == []
    # 2026-02-28: the sixth five-day period (26-28) and February end; 2026-02-28 is not a leap day
    assert spans(P.periods_ending(date(2026, 2, 28))) == [("五日报", "2026-02-26", "2026-02-28"),
                                                         ("月报", "2026-02-01", "2026-02-28")]
    # leap year 2028: nothing ends on the 28th, both end on the 29th
    assert P.periods_ending(date(2028, 2, 28)) == []
    assert spans(P.periods_ending(date(2028, 2, 29))) == [("五日报", "2028-02-26", "2028-02-29"),
                                                         ("月报", "2028-02-01", "2028-02-29")]
    # year end: all four
    assert [p.kind for p in P.periods_ending(date(2026, 12, 31))] == ["五日报", "月报", "季报", "年报"]
    assert [p.kind for p in P.periods_ending(date(2026, 9, 30))] == ["五日报", "月报", "季报"]


def test_previous_and_same_period_last_year():
    five = P.period_containing(P.FIVE_DAY, date(2026, 12, 3))
    assert spans([P.previous_period(five)]) == [("五日报", "2026-11-26", "2026-11-30")]
    leap = P.period_containing(P.FIVE_DAY, date(2028, 2, 29))
    assert spans([P.same_period_last_year(leap)]) == [("五日报", "2027-02-26", "2027-02-28")]
    march = P.period_containing(P.FIVE_DAY, date(2028, 3, 1))
    assert spans([P.previous_period(march)]) == [("五日报", "2028-02-26", "2028-02-29")]
    q1 = P.period_containing(P.QUARTER, date(2026, 2, 1))
    assert spans([P.previous_period(q1)]) == [("季报", "2025-10-01", "2025-12-31")]
    assert spans([P.same_period_last_year(P.period_containing(P.MONTH, date(2026, 11, 5)))]) == [
        ("月报", "2025-11-01", "2025-11-30")]


def test_due_on_the_last_day_of_the_period():
    # ran Thu 2026-11-19, runs Fri 2026-11-20: the 16-20 five-day report is due
    assert spans(P.due_periods(date(2026, 11, 20), date(2026, 11, 19), CAL)) == [("五日报", "2026-11-16", "2026-11-20")]
    assert P.due_periods(date(2026, 11, 19), date(2026, 11, 18), CAL) == []


def test_catch_up_after_a_missed_day():
    # last run Fri 2026-11-27; the job did not run on Mon 11-30 (the period's last day); Tue 12-01 catches up
    # with the 26-30 Nov five-day report and the November monthly report.
    assert chinese_calendar.is_workday(date(2026, 11, 30))  # a working Monday: only the job was missing
    assert spans(P.due_periods(date(2026, 12, 1), date(2026, 11, 27), CAL)) == [
        ("五日报", "2026-11-26", "2026-11-30"), ("月报", "2026-11-01", "2026-11-30")]


def test_catch_up_over_a_quarter_end():
    # last run 2026-09-29, next run 2026-10-08 (after the National Day holiday): Sep 26-30, September, Q3,
    # and the 1-5 Oct five-day report.
    assert spans(P.due_periods(date(2026, 10, 8), date(2026, 9, 29), CAL)) == [
        ("五日报", "2026-09-26", "2026-09-30"), ("月报", "2026-09-01", "2026-09-30"),
        ("季报", "2026-07-01", "2026-09-30"), ("五日报", "2026-10-01", "2026-10-05")]


def test_tiaoxiu_saturday_is_a_run_day():
    # 2026-02-28 is a Saturday worked in exchange for the Spring Festival (调休)
    assert date(2026, 2, 28).weekday() == 5 and chinese_calendar.is_workday(date(2026, 2, 28))
    # without a run state: the working Saturday produces what ends on it (the day before, Fri 02-27, worked)
    assert spans(P.due_periods(date(2026, 2, 28), None, CAL)) == [("五日报", "2026-02-26", "2026-02-28"),
                                                               ("月报", "2026-02-01", "2026-02-28")]


def test_without_a_last_run_a_working_day_covers_the_holiday_before_it():
    # 2026-02-24 (Tue) is the first working day after the Spring Festival; the previous one is Sat 02-14 (调休).
    # Periods ending in (02-14, 02-24]: 11-15 Feb and 16-20 Feb.
    assert chinese_calendar.is_workday(date(2026, 2, 14)) and not chinese_calendar.is_workday(date(2026, 2, 23))
    assert spans(P.due_periods(date(2026, 2, 24), None, CAL)) == [("五日报", "2026-02-11", "2026-02-15"),
                                                               ("五日报", "2026-02-16", "2026-02-20")]


def test_without_a_last_run_a_forced_run_on_a_holiday_gives_what_ends_that_day():
    # Sun 2026-11-15 is no working day: only the 11-15 period (ends that day)
    assert spans(P.due_periods(date(2026, 11, 15), None, CAL)) == [("五日报", "2026-11-11", "2026-11-15")]
    # a re-run of the same day behaves as without a last run
    assert spans(P.due_periods(date(2026, 11, 30), date(2026, 11, 30), CAL)) == [
        ("五日报", "2026-11-26", "2026-11-30"), ("月报", "2026-11-01", "2026-11-30")]


def test_config_holidays_widen_the_window_without_a_last_run():
    # 2028 is a year the package does not know: Monday to Friday work unless config.yaml says otherwise.
    # With Mon 02-28 and Tue 02-29 declared holidays, Wed 03-01's previous working day is Fri 02-25, so the
    # run covers (02-25, 03-01] and produces the 26-29 Feb five-day report and February.
    s = settings_from_dict({"calendar": {"extra_holidays": ["2028-02-28", "2028-02-29"]}})
    assert spans(P.due_periods(date(2028, 3, 1), None, Workdays.of(s))) == [("五日报", "2028-02-26", "2028-02-29"),
                                                              ("月报", "2028-02-01", "2028-02-29")]
    # without them the previous working day is Tue 02-29 (whose own run produced those): nothing is due
    assert P.due_periods(date(2028, 3, 1), None, CAL) == []
    assert spans(P.due_periods(date(2028, 2, 29), date(2028, 2, 25), CAL)) == [
        ("五日报", "2028-02-26", "2028-02-29"), ("月报", "2028-02-01", "2028-02-29")]


def test_ratio_and_change_are_exact_fractions():
    from decimal import Decimal
    assert P.ratio(30_000_00, 100_000_00) == Decimal("0.3")  # 30,000 / 100,000
    assert P.ratio(1, 3) == Decimal("0.3333") and P.ratio(5, 0) is None and P.ratio(5, None) is None
    assert P.change(150, 100) == Decimal("0.5") and P.change(50, 100) == Decimal("-0.5") and P.change(5, 0) is None


def test_last_working_day_of_a_month_follows_weekends_and_tiaoxiu():
    # 2026-05-31 is a Sunday -> Friday 05-29; 2026-02-28 is a Saturday but a 调休 working day (Spring Festival);
    # 2026-11-30 is a Monday.
    assert CAL.last_of_month(Month("2026-05")) == date(2026, 5, 29)
    assert CAL.last_of_month(Month("2026-02")) == date(2026, 2, 28)
    assert CAL.last_of_month(Month("2026-11")) == date(2026, 11, 30)
