"""销售预报 (books/forecast.py): the on-time share, the run rate and the weighted forecast worked out by hand,
in the 日报; the backtest over the demo's history prints each method's error at mid-month."""

from __future__ import annotations

import sys
from datetime import date
from decimal import Decimal
from pathlib import Path

from neiqin_xl.books import forecast as F
from neiqin_xl.books.allocation import allocate
from neiqin_xl.books.workdays import Workdays
from neiqin_xl.core.config import Settings
from neiqin_xl.core.months import Month
from neiqin_xl.reports import daily

from ..helpers import context, fen, table, tables

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import backtest_forecast  # noqa: E402

D = date(2026, 11, 16)  # a Monday: November 2026 has 21 working days, 11 of them up to the 16th (2-6, 9-13, 16)
SETTINGS = Settings()


def books():
    """All contracts 30 days' credit (到期日 = 发货日期 + 30).

    甲 (张伟): due 02-04 paid 02-01, due 04-01 paid 03-20, due 06-03 paid 06-03: on time; due 07-31 paid 08-10: late;
       40,000 shipped 10-11 due 11-10, unpaid: late (and open); 40,000 shipped 11-13 due 12-13: after the month.
    乙 (张伟): due 10-01 paid 10-20: late; 10,000 shipped 10-26 due 11-25, unpaid.
    丙 (王强): no history; 20,000 shipped 10-27 due 11-26, unpaid.
    戊 (张伟): signed 55,000 on 11-03 and paid 110,000 in advance on 11-05.
    """
    contracts = table("合同", [
        {"合同编号": "HT1", "签订日期": "2026-01-02", "客户名称": "甲", "合同金额": "1,000,000", "账期天数": 30},
        {"合同编号": "HT2", "签订日期": "2026-08-01", "客户名称": "乙", "合同金额": "100,000", "账期天数": 30},
        {"合同编号": "HT3", "签订日期": "2026-10-01", "客户名称": "丙", "合同金额": "100,000", "账期天数": 30, "业务员": "王强"},
        {"合同编号": "HT5", "签订日期": "2026-11-03", "客户名称": "戊", "合同金额": "55,000", "账期天数": 30},
    ])
    shipped = [("HT1", "甲", "2026-01-05", "10,000"), ("HT1", "甲", "2026-03-02", "10,000"),
               ("HT1", "甲", "2026-05-04", "10,000"), ("HT1", "甲", "2026-07-01", "10,000"),
               ("HT1", "甲", "2026-10-11", "40,000"), ("HT1", "甲", "2026-11-13", "40,000"),
               ("HT2", "乙", "2026-09-01", "10,000"), ("HT2", "乙", "2026-10-26", "10,000"),
               ("HT3", "丙", "2026-10-27", "20,000")]
    shipments = table("发货", [{"发货单号": f"FH{i}", "合同编号": c, "客户名称": who, "发货日期": day, "发货金额": amount,
                                "业务员": "王强" if c == "HT3" else "张伟"} for i, (c, who, day, amount) in enumerate(shipped)])
    paid = [("HT1", "甲", "2026-02-01"), ("HT1", "甲", "2026-03-20"), ("HT1", "甲", "2026-06-03"), ("HT1", "甲", "2026-08-10"),
            ("HT2", "乙", "2026-10-20")]
    collections = table("回款", [{"回款日期": day, "客户名称": who, "合同编号": c, "回款金额": "10,000"} for c, who, day in paid]
                        + [{"回款日期": "2026-11-05", "客户名称": "戊", "合同编号": "HT5", "回款金额": "110,000"}])
    targets = table("目标", [{"月份": "2026-11", "姓名": "张伟", "销售目标": "100,000", "回款目标": "200,000"}])
    return tables(合同=contracts, 发货=shipments, 回款=collections, 目标=targets)


def test_on_time_share_by_count_of_items_due_in_the_last_year():
    t = books()
    shares, overall = F.on_time_shares(allocate(t, SETTINGS), D)
    # 甲: 5 items due before 11-16 (3 paid by their 到期日) = 0.6; 乙: 0 of 1; the company 3 of 6 = 0.5
    assert shares == {"甲": Decimal("0.6"), "乙": Decimal(0)} and overall == Decimal("0.5")


def test_run_rate_and_weighted_forecast_to_month_end():
    t = books()
    got = F.forecast(t, allocate(t, SETTINGS), Workdays(), D, date(2026, 11, 1), date(2026, 11, 30))
    rows = {r["业务员"]: r for r in got.to_dict("records")}
    zhang, wang = rows["张伟"], rows["王强"]
    # 张伟 collected 110,000 (戊) in 11 of 21 working days: run rate 110,000 × 21 / 11 = 210,000
    assert (zhang["已回款"], zhang["回款按进度"]) == (fen("110,000"), fen("210,000"))
    # weighted: 110,000 + 甲's open 40,000 due 11-10 × 0.6 + 乙's 10,000 due 11-25 × 0 = 134,000 (甲's 12-13 item
    # falls after the month); against the 200,000 target: 67%
    assert (zhang["回款预报"], zhang["回款预报完成率"]) == (fen("134,000"), Decimal("0.67"))
    # 签约: 55,000 signed (HT5) → 55,000 × 21 / 11 = 105,000, against 100,000: 105%
    assert (zhang["已签约"], zhang["签约预报"], zhang["签约预报完成率"]) == (fen("55,000"), fen("105,000"), Decimal("1.05"))
    # 王强: nothing collected; 丙 has no history: the company's 0.5 × 20,000 = 10,000; no target
    assert (wang["已回款"], wang["回款按进度"], wang["回款预报"], wang["回款目标"]) == (0, 0, fen("10,000"), None)
    line = F.totals(got)
    assert (line["回款预报"], line["回款按进度"], line["回款预报完成率"]) == (fen("144,000"), fen("210,000"), Decimal("0.67"))


def test_on_the_last_day_the_forecast_is_what_was_done():
    t = books()
    got = F.forecast(t, allocate(t, SETTINGS), Workdays(), date(2026, 11, 30), date(2026, 11, 1), date(2026, 11, 30))
    zhang = got.set_index("业务员").loc["张伟"]
    assert zhang["回款预报"] == zhang["回款按进度"] == zhang["已回款"] == fen("110,000")


def test_the_daily_report_has_a_forecast_line_per_rep_and_the_total():
    data = daily.build(context(books(), run_date=D)).data
    assert data.forecast["业务员"].tolist() == ["张伟", "王强"]
    assert data.forecast_totals["回款预报"] == fen("144,000")
    text = daily.summary_text(data)
    assert "  张伟: 回款 ¥134,000.00 (67.0%), 签约 ¥105,000.00 (105.0%)" in text
    html = daily.render_html(data, "示例贸易有限公司")
    assert "销售预报 (月末)" in html and "134,000.00" in html and "144,000.00" in html  # 张伟 and the total
    tables_, notes = daily.forecast_block(data)
    assert tables_[0].heading == "销售预报 (月末)" and any(n.startswith("按进度") for n in notes)
    # the month end, then the quarter (10-01..12-31) in the notes: the weighted figure first, the run rate beside it
    assert notes[0].startswith("本月月末: 回款预报 ¥144,000.00 (按进度 ¥210,000.00)")
    assert notes[1].startswith("本季 (2026年第4季度) 季末: 回款预报 ¥")


def test_backtest_over_the_demo_history(tmp_path, capsys):
    t, allocation, settings = backtest_forecast.demo_books(tmp_path / "demo", date(2026, 11, 30))
    months = [Month.of(date(2026, 11, 1)).shift(-n) for n in range(9, 0, -1)]  # 2026-02 .. 2026-10
    result, text = backtest_forecast.report(t, allocation, settings, months)
    with capsys.disabled():
        print("\n" + text)
    assert result["月份"].tolist() == [str(m) for m in months]
    assert result["实际回款"].gt(0).all()  # every month has collections to measure against
    # the headline is measured, not assumed: on the demo the weighted figure errs less at mid-month
    mean_error = backtest_forecast.mean_abs_error_rate
    assert mean_error(result["加权误差率"]) < mean_error(result["按进度误差率"])
