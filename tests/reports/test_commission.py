"""The commission plan, performance pay and the 提成计算表 / 提成确认单 workbooks, each case worked out by hand.

Default plan: rate by attainment on the whole amount (<80% 1%, 80%–<100% 2%, ≥100% 3%); the part of a
collection that paid an item older than 90 days earns half; 绩效工资 = 绩效基数 × min(完成率, 1.2) ×
出勤系数 − 50 元 per lateness beyond 3, never below 0.
"""

from datetime import date

import openpyxl
import pandas as pd
import pytest

from neiqin_xl.books.credit import PREPAYMENT_NOTE
from neiqin_xl.core.config import settings_from_dict
from neiqin_xl.core.files import Name
from neiqin_xl.core.model import WARNING
from neiqin_xl.reports import commission
from neiqin_xl.deliver.writer import write_workbook

from .. import helpers
from ..helpers import fen, header_of, table, tables

S = settings_from_dict({})
MONTH_END = date(2026, 11, 30)  # a Monday: the last working day of 2026-11


def context(run_date=MONTH_END, settings=S, month=None, **frames):
    return helpers.context(tables(**frames), settings, run_date, month=month)


def contracts(rep="张伟", *rows):
    return table("合同", [{"签订日期": "2026-01-01", "客户名称": "明达", "合同金额": "1,000,000", **r} for r in rows], rep=rep)


def shipments(rep="张伟", *rows):
    return table("发货", [{"客户名称": "明达", **r} for r in rows], rep=rep)


def collections(rep="张伟", *rows):
    return table("回款", [{"客户名称": "明达", **r} for r in rows], rep=rep)


def staff(*rows):
    return table("人员", [{"部门": "销售一部", "底薪": "5,000", "绩效基数": "2,000", **r} for r in rows], rep="")


def targets(*rows):
    return table("目标", [{"月份": "2026-11", **r} for r in rows], rep="")


def attendance(*rows):
    return table("考勤", [{"月份": "2026-11", "应出勤天数": 22, "实际出勤天数": 22, "迟到次数": 0, **r} for r in rows], rep="")


def one_collection(amount, target="10,000", **extra):
    """张伟: HT1 shipped `amount` on 11-02 and collected in full on 11-10 (age 8 days: full rate)."""
    frames = dict(合同=contracts("张伟", {"合同编号": "HT1"}),
                  发货=shipments("张伟", {"发货日期": "2026-11-02", "合同编号": "HT1", "发货金额": amount}),
                  回款=collections("张伟", {"回款日期": "2026-11-10", "合同编号": "HT1", "回款金额": amount}),
                  人员=staff({"姓名": "张伟"}), 目标=targets({"姓名": "张伟", "回款目标": target}),
                  考勤=attendance({"姓名": "张伟"}))
    frames.update(extra)
    return frames


def row_of(summary, rep):
    return summary[summary["业务员"] == rep].iloc[0]


# ---------------------------------------------------------------- the tiers

@pytest.mark.parametrize("collected, rate, expected", [
    ("7,999.00", "0.01", "79.99"),  # 7,999 / 10,000 = 79.99% -> 1%: 7,999 × 1% = 79.99
    ("8,000.00", "0.02", "160.00"),  # exactly 80% -> 2%: 8,000 × 2% = 160.00
    ("9,999.99", "0.02", "200.00"),  # 99.9999% -> 2%: 199.9998 rounds half up to 200.00
    ("10,000.00", "0.03", "300.00"),  # exactly 100% -> 3%: 10,000 × 3% = 300.00
])
def test_each_tier_boundary_applies_its_rate_to_the_whole_amount(collected, rate, expected):
    data, _ = commission.compute(**_compute_args(context(**one_collection(collected))))
    row = row_of(data.summary, "张伟")
    assert str(row["提成比例"]) == rate
    assert row["提成金额"] == fen(expected)
    assert row["回款金额"] == fen(collected) and row["回款目标"] == fen("10,000")


def _compute_args(ctx):
    return dict(tables=ctx.tables, allocation=ctx.allocation, settings=ctx.settings, run_date=ctx.run_date)


def test_marginal_mode_charges_each_slice_at_its_own_rate():
    # target 10,000: slices 0–8,000 at 1%, 8,000–10,000 at 2%, above at 3%.
    # 11-05 collects 5,000 (slice 1): 50.00. 11-20 collects 7,000 = 3,000 at 1% (30.00) + 2,000 at 2% (40.00)
    # + 2,000 at 3% (60.00). Total 50 + 30 + 40 + 60 = 180.00 (the whole mode would pay 12,000 × 3% = 360.00).
    s = settings_from_dict({"commission": {"mode": "marginal"}})
    frames = one_collection("0")
    frames.update(发货=shipments("张伟", {"发货日期": "2026-11-02", "合同编号": "HT1", "发货金额": "12,000"}),
                  回款=collections("张伟", {"回款日期": "2026-11-05", "合同编号": "HT1", "回款金额": "5,000"},
                                   {"回款日期": "2026-11-20", "合同编号": "HT1", "回款金额": "7,000"}))
    data, _ = commission.compute(**_compute_args(context(settings=s, **frames)))
    lines = data.lines
    assert [(a, str(r), c) for a, r, c in zip(lines["回款金额"], lines["适用比例"], lines["提成"])] == [
        (fen(5000), "0.01", fen(50)), (fen(3000), "0.01", fen(30)), (fen(2000), "0.02", fen(40)),
        (fen(2000), "0.03", fen(60))]
    assert row_of(data.summary, "张伟")["提成金额"] == fen(180)


def test_category_rate_replaces_the_tier_rate():
    # 泵类 earns 5%. 1,000 on HT1 (阀门, no category rate) and 1,000 on HT2 (工业泵 → 泵类), both prepayments
    # (nothing shipped: age 0, credited to the named contract's rep). Attainment 2,000 / 100,000 = 2% -> 1%.
    # HT1: 1,000 × 1% = 10.00; HT2: 1,000 × 5% = 50.00; total 60.00.
    s = settings_from_dict({"commission": {"category_rates": {"泵类": "0.05"}}})
    frames = one_collection("0", target="100,000")
    frames.update(合同=contracts("张伟", {"合同编号": "HT1", "产品名称": "阀门"}, {"合同编号": "HT2", "产品名称": "工业泵"}),
                  发货=shipments("张伟"),
                  回款=collections("张伟", {"回款日期": "2026-11-03", "合同编号": "HT1", "回款金额": "1,000"},
                                   {"回款日期": "2026-11-04", "合同编号": "HT2", "回款金额": "1,000"}),
                  产品=table("产品", [{"产品名称": "阀门", "产品类别": "阀门类"}, {"产品名称": "工业泵", "产品类别": "泵类"}], rep=""))
    data, _ = commission.compute(**_compute_args(context(settings=s, **frames)))
    assert list(data.lines["产品类别"]) == ["阀门类", "泵类"]
    assert list(data.lines["提成"]) == [fen(10), fen(50)]
    assert list(data.lines["说明"]) == [PREPAYMENT_NOTE] * 2
    assert row_of(data.summary, "张伟")["提成金额"] == fen(60)


@pytest.mark.parametrize(("shipped", "collected", "ages", "pay"), [
    # HT1 shipped 3,000 on 07-01 and 2,000 on 11-01; 5,000 collected on 11-10 pays both, oldest first.
    # 07-01 -> 11-10 = 30 + 31 + 30 + 31 + 10 = 132 days > 90: 3,000 × 1% × 0.5 = 15.00.
    # 11-01 -> 11-10 = 9 days: 2,000 × 1% = 20.00. Total 35.00 (attainment 5,000 / 100,000 = 5% -> 1%).
    pytest.param([("2026-07-01", "3,000"), ("2026-11-01", "2,000")], "5,000", [132, 9], ["15.00", "20.00"],
                 id="slow money earns half on the part that paid an old item"),
    # 2,000 collected 11-10 pays 1,000 shipped 08-11 (91 days: half) then 1,000 shipped 08-12 (90 days: full).
    # 1,000 × 1% × 0.5 = 5.00 and 1,000 × 1% = 10.00. Total 15.00 (attainment 2,000 / 100,000 = 2% -> 1%).
    pytest.param([("2026-08-11", "1,000"), ("2026-08-12", "1,000")], "2,000", [91, 90], ["5.00", "10.00"],
                 id="older than 90 days means 91 days and more"),
])
def test_money_on_an_item_older_than_90_days_earns_half(shipped, collected, ages, pay):
    frames = one_collection("0", target="100,000")
    frames.update(发货=shipments("张伟", *({"发货日期": day, "合同编号": "HT1", "发货金额": amount} for day, amount in shipped)),
                  回款=collections("张伟", {"回款日期": "2026-11-10", "合同编号": "HT1", "回款金额": collected}))
    data, _ = commission.compute(**_compute_args(context(**frames)))
    lines = data.lines
    assert list(lines["账龄天数"]) == ages
    assert [str(f) for f in lines["折扣"]] == ["0.5", "1"]
    assert list(lines["提成"]) == [fen(p) for p in pay]
    assert row_of(data.summary, "张伟")["提成金额"] == sum(fen(p) for p in pay)


def test_collection_is_credited_to_the_contract_rep_and_the_unapplied_rest_to_the_workbook_rep():
    # 张伟's HT1 shipped 2,000 on 11-01; 王强's workbook holds 3,000 from 明达 without a contract on 11-10:
    # 2,000 pays 张伟's shipment (credited to 张伟), 1,000 stays a customer credit (credited to 王强).
    # Neither has a target: the lowest rate 1%: 张伟 20.00, 王强 10.00.
    frames = one_collection("0")
    frames.update(发货=shipments("张伟", {"发货日期": "2026-11-01", "合同编号": "HT1", "发货金额": "2,000"}),
                  回款=collections("王强", {"回款日期": "2026-11-10", "回款金额": "3,000"}), 目标=targets())
    data, _ = commission.compute(**_compute_args(context(**frames)))
    assert list(zip(data.lines["业务员"], data.lines["回款金额"], data.lines["提成"])) == [
        ("张伟", fen(2000), fen(20)), ("王强", fen(1000), fen(10))]
    assert list(data.lines["来源"]) == ["王强.xlsx[回款]!2"] * 2


def test_invoiced_basis_uses_the_months_invoices_against_the_sales_target():
    # basis invoiced: 8,000 invoiced in November against 销售目标 10,000 = 80% -> 2%: 160.00.
    # The 9,000 collected does not count; an October invoice of 5,000 neither.
    s = settings_from_dict({"commission": {"basis": "invoiced"}})
    frames = one_collection("9,000")
    frames.update(开票=table("开票", [{"发票号码": "0001", "开票日期": "2026-11-15", "合同编号": "HT1", "开票金额": "8,000",
                                     "客户名称": "明达"},
                                    {"发票号码": "0000", "开票日期": "2026-10-15", "合同编号": "HT1", "开票金额": "5,000",
                                     "客户名称": "明达"}]),
                  目标=targets({"姓名": "张伟", "销售目标": "10,000"}))
    data, _ = commission.compute(**_compute_args(context(settings=s, **frames)))
    row = row_of(data.summary, "张伟")
    assert row["开票金额"] == fen(8000) and row["销售目标"] == fen(10000)
    assert row["提成金额"] == fen(160) and list(data.lines["说明"]) == ["发票 0001"]


# ---------------------------------------------------------------- performance pay


def test_performance_pay_with_attendance_and_lateness():
    # 9,000 of 10,000 = 90%; 20 of 22 days; 5 latenesses = 2 beyond the free 3 -> 100 元.
    # 2,000 × 0.9 × 20/22 = 1,636.3636…; − 100 = 1,536.3636… -> 1,536.36.
    # 提成 9,000 × 2% = 180.00; 应发合计 5,000 + 180.00 + 1,536.36 = 6,716.36.
    frames = one_collection("9,000", 考勤=attendance({"姓名": "张伟", "实际出勤天数": 20, "迟到次数": 5}))
    data, problems = commission.compute(**_compute_args(context(**frames)))
    row = row_of(data.summary, "张伟")
    assert row["迟到扣款"] == fen(100)
    assert row["绩效工资"] == fen("1,536.36")
    assert row["提成金额"] == fen(180) and row["应发合计"] == fen("6,716.36")
    assert problems == [] and row["备注"] == ""


def test_attainment_factor_is_capped_and_pay_never_negative():
    # 15,000 of 10,000 = 150%, capped at 120%: 2,000 × 1.2 × 22/22 = 2,400.00.
    data, _ = commission.compute(**_compute_args(context(**one_collection("15,000"))))
    row = row_of(data.summary, "张伟")
    assert str(row["完成率系数"]) == "1.2" and row["绩效工资"] == fen(2400)
    # 绩效基数 200, 5,000 of 10,000 = 50%: 200 × 0.5 = 100; 8 latenesses -> 5 × 50 = 250; 100 − 250 < 0 -> 0.
    frames = one_collection("5,000", 人员=staff({"姓名": "张伟", "绩效基数": "200"}),
                            考勤=attendance({"姓名": "张伟", "迟到次数": 8}))
    data, _ = commission.compute(**_compute_args(context(**frames)))
    assert row_of(data.summary, "张伟")["绩效工资"] == 0


def test_missing_target_attendance_and_staff_row_are_warnings_not_zeros():
    # 张伟 has no target: attainment blank, lowest rate 1% (1,000 × 1% = 10.00), 绩效工资 blank.
    # 王强 collects 500 on his own contract HT9 but has neither a 人员 row nor attendance: 5.00 at 1%.
    frames = one_collection("1,000", 目标=targets())
    frames.update(合同=_concat(contracts("张伟", {"合同编号": "HT1"}), contracts("王强", {"合同编号": "HT9"})),
                  回款=_concat(collections("张伟", {"回款日期": "2026-11-10", "合同编号": "HT1", "回款金额": "1,000"}),
                              collections("王强", {"回款日期": "2026-11-12", "合同编号": "HT9", "回款金额": "500"})))
    out = commission.build(context(**frames))
    zw, wq = row_of(out.data.summary, "张伟"), row_of(out.data.summary, "王强")
    assert _blank(zw["完成率"]) and str(zw["提成比例"]) == "0.01" and zw["提成金额"] == fen(10)
    assert _blank(zw["绩效工资"]) and _blank(zw["应发合计"]) and "缺少回款目标" in zw["备注"]
    assert zw["底薪"] == fen(5000)  # what is known is still shown
    assert wq["提成金额"] == fen(5) and _blank(wq["底薪"]) and _blank(wq["出勤系数"])
    assert "人员表中无此人" in wq["备注"] and "缺少考勤" in wq["备注"]
    found = {(p.rep, p.workbook, p.sheet) for p in out.problems}
    assert found == {("张伟", "人员.xlsx", "目标"), ("王强", "人员.xlsx", "人员"), ("王强", "人员.xlsx", "目标"),
                     ("王强", "考勤_2026-11.xlsx", "考勤")}
    assert all(p.severity == WARNING for p in out.problems)
    # performance pay total counts only what was computed: neither rep's
    assert out.figures["commission_total_fen"] == fen(15) and out.figures["performance_pay_total_fen"] == 0


def _concat(*frames):
    return pd.concat(frames, ignore_index=True)


def _blank(value):
    return value is None or pd.isna(value)


# ---------------------------------------------------------------- the workbooks


def test_workbook_sheets_figures_and_formats(tmp_path):
    # 9,000 of 10,000 -> 2%: 180.00; 22/22 days, no lateness: 2,000 × 0.9 = 1,800.00.
    out = commission.build(context(**one_collection("9,000")))
    assert out.figures["commission_total_fen"] == fen(180) and out.figures["performance_pay_total_fen"] == fen(1800)
    clerk = out.workbooks[0]
    assert clerk.filename == "提成计算表_2026-11.xlsx"
    wb = openpyxl.load_workbook(write_workbook(clerk, tmp_path).path)
    assert wb.sheetnames == ["提成汇总", "提成明细", "考勤"]
    ws = wb["提成汇总"]
    header_row, header = header_of(ws, "业务员")
    assert header[:14] == ["业务员", "部门", "回款目标", "回款金额", "完成率", "提成比例", "提成金额", "绩效基数", "完成率系数",
                           "出勤系数", "迟到扣款", "绩效工资", "底薪", "应发合计"]
    values = {h: c for h, c in zip(header, ws[header_row + 1])}
    assert values["提成金额"].value == 180.0 and values["提成金额"].number_format == "#,##0.00;[Red]-#,##0.00"
    assert values["完成率"].value == pytest.approx(0.9) and values["完成率"].number_format == "0.0%"
    assert values["绩效工资"].value == 1800.0 and values["应发合计"].value == 6980.0  # 5,000 + 180 + 1,800


def _strings_and_numbers(path):
    wb = openpyxl.load_workbook(path, data_only=True)
    cells = [c.value for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value is not None]
    return wb, [v for v in cells if isinstance(v, str)], [v for v in cells if isinstance(v, (int, float))]


def test_each_rep_gets_a_confirmation_with_only_their_own_lines(tmp_path):
    # 张伟 collects 12,345.67 (HT1), 王强 76,543.21 (HT9); no targets -> 1%: 123.46 (123.4567 rounded) and 765.43.
    frames = dict(合同=_concat(contracts("张伟", {"合同编号": "HT1"}), contracts("王强", {"合同编号": "HT9", "客户名称": "华东"})),
                  回款=_concat(collections("张伟", {"回款日期": "2026-11-10", "合同编号": "HT1", "回款金额": "12,345.67"}),
                              collections("王强", {"回款日期": "2026-11-11", "合同编号": "HT9", "回款金额": "76,543.21",
                                                 "客户名称": "华东"})),
                  人员=staff({"姓名": "张伟"}, {"姓名": "王强", "底薪": "6,100", "绩效基数": "3,300"}),
                  考勤=attendance({"姓名": "张伟"}, {"姓名": "王强"}))
    out = commission.build(context(**frames))
    spec = next(s for s in out.workbooks if s.filename == Name("张伟", before="提成确认单_", after="_2026-11.xlsx"))
    assert spec.subfolder == "提成确认单" and len(spec.sheets) == 1
    written = write_workbook(spec, tmp_path)
    assert written.path == tmp_path / "提成确认单" / "提成确认单_张伟_2026-11.xlsx"
    wb, strings, numbers = _strings_and_numbers(written.path)
    assert wb.sheetnames == ["提成确认单"]
    assert not any("王强" in s or "HT9" in s or "华东" in s for s in strings)
    for other in (76543.21, 765.43, 6100.0, 3300.0):  # 王强's collection, commission, 底薪, 绩效基数
        assert other not in numbers
    assert 12345.67 in numbers and 123.46 in numbers and "HT1" in strings
    assert any("签字" in s for s in strings)
    # the total the rep signs against, also in 人民币大写: 123.46
    assert "提成金额（大写）：人民币壹佰贰拾叁元肆角陆分　¥123.46" in strings
    delivery = next(d for d in out.deliveries if d.rep == "张伟")
    assert delivery.report == "commission" and delivery.title == "提成确认单 2026-11"
    assert delivery.attachments == [spec]  # whatever file name the writer gives it
    assert sorted(d.rep for d in out.deliveries) == ["张伟", "王强"]


def test_reps_get_their_confirmation_at_month_end_and_daily_only_when_configured():
    # 11-27 is provisional: no mail to the reps unless commission.daily_statement; 11-30 (month end): mailed.
    assert commission.build(context(run_date=date(2026, 11, 27), **one_collection("9,000"))).deliveries == []
    daily = settings_from_dict({"commission": {"daily_statement": True}})
    [provisional] = commission.build(context(run_date=date(2026, 11, 27), settings=daily, **one_collection("9,000"))).deliveries
    assert "暂估" in provisional.summary_text
    [final] = commission.build(context(run_date=MONTH_END, **one_collection("9,000"))).deliveries
    assert "暂估" not in final.summary_text


def test_title_says_provisional_before_the_last_working_day_only(tmp_path):
    # 2026-11-30 (Monday) is November's last working day: 11-27 (Friday) is provisional, 11-30 is not.
    before = commission.build(context(run_date=date(2026, 11, 27), **one_collection("9,000")))
    on = commission.build(context(run_date=MONTH_END, **one_collection("9,000")))
    ws = openpyxl.load_workbook(write_workbook(before.workbooks[0], tmp_path / "a").path)["提成汇总"]
    assert ws["A1"].value == "提成计算表 2026-11（暂估）"
    assert before.workbooks[1].sheets[0].title.startswith("提成确认单 2026-11（暂估）")
    ws = openpyxl.load_workbook(write_workbook(on.workbooks[0], tmp_path / "b").path)["提成汇总"]
    assert ws["A1"].value == "提成计算表 2026-11"
    assert before.figures["provisional"] is True and on.figures["provisional"] is False


def test_collections_after_the_run_date_or_in_another_month_are_left_out():
    # run on 11-20: the 10-31 and 11-25 collections are outside (2026-11-01 … 11-20); only 11-10's 1,000 counts.
    frames = one_collection("0", target="100,000")
    frames.update(发货=shipments("张伟"),
                  回款=collections("张伟", {"回款日期": "2026-10-31", "合同编号": "HT1", "回款金额": "4,000"},
                                   {"回款日期": "2026-11-10", "合同编号": "HT1", "回款金额": "1,000"},
                                   {"回款日期": "2026-11-25", "合同编号": "HT1", "回款金额": "2,000"}))
    data, _ = commission.compute(**_compute_args(context(run_date=date(2026, 11, 20), **frames)))
    assert row_of(data.summary, "张伟")["回款金额"] == fen(1000)


def test_target_month_typed_another_way_is_still_found():
    # 目标 月份 typed "2026年11月": it is November's target; 8,000 of 10,000 = 80% -> 2%: 160.00.
    frames = one_collection("8,000", 目标=targets({"月份": "2026年11月", "姓名": "张伟", "回款目标": "10,000"}))
    data, problems = commission.compute(**_compute_args(context(**frames)))
    assert row_of(data.summary, "张伟")["提成金额"] == fen(160) and problems == []


@pytest.mark.parametrize("typed", ["2026-13", "abc", "2026-1-5"])
def test_a_month_option_that_is_no_month_is_one_error_and_no_commission(typed):
    # run_daily.py --month 2026-13: one 错误 naming --month and the text; no 提成计算表, no 提成确认单 mailed.
    ctx = context(month=typed, **one_collection("8,000"))
    out = commission.build(ctx)
    assert [(p.severity, p.field, p.value) for p in out.problems] == [("错误", "--month", typed)]
    assert "未生成提成计算表" in out.problems[0].message
    assert out.workbooks == [] and out.deliveries == []


def test_a_month_option_of_an_earlier_month_runs_that_month_to_its_last_day():
    # run on 12-15 with --month 2026-11: November 1-30, 张伟's 8,000 of 10,000 collected on 11-10 -> 2%: 160.00.
    ctx = context(run_date=date(2026, 12, 15), month="2026-11", **one_collection("8,000"))
    out = commission.build(ctx)
    assert (out.data.period.start, out.data.period.end) == (date(2026, 11, 1), date(2026, 11, 30))
    assert row_of(out.data.summary, "张伟")["提成金额"] == fen(160)
    assert out.workbooks[0].filename == "提成计算表_2026-11.xlsx"


def test_a_lateness_deduction_not_made_is_not_summed():
    # 9,000 of 10,000 = 90%; 20 of 22 days: 2,000 × 0.9 × 20/22 = 1,636.36 before the deduction.
    # 40 latenesses = 37 beyond the free 3 × 50 = 1,850.00 due: only the 1,636.36 there was is deducted, pay 0.
    frames = one_collection("9,000", 考勤=attendance({"姓名": "张伟", "实际出勤天数": 20, "迟到次数": 40}))
    data, _ = commission.compute(**_compute_args(context(**frames)))
    row = row_of(data.summary, "张伟")
    assert (row["迟到扣款"], row["绩效工资"]) == (fen("1,636.36"), 0)
    assert "迟到应扣 1,850.00 元, 实扣 1,636.36 元 (绩效工资已扣至 0)" in row["备注"]
    # without a target there is no performance pay to deduct from: nothing deducted, nothing summed
    frames = one_collection("9,000", 目标=targets({"姓名": "李娜", "回款目标": "1"}),
                            考勤=attendance({"姓名": "张伟", "迟到次数": 5}))
    data, _ = commission.compute(**_compute_args(context(**frames)))
    row = row_of(data.summary, "张伟")
    assert pd.isna(row["迟到扣款"]) and "迟到应扣 100.00 元, 未扣 (绩效工资未计算)" in row["备注"]
    assert data.attendance.set_index("姓名").at["张伟", "迟到应扣"] == fen(100)  # what the rule asks, not summed


def test_one_collection_paying_two_items_names_each_and_the_discount_is_a_percentage():
    # 11-10 collects 2,000 for HT1, shipped 1,000 on 10-02 and 1,000 on 11-02: one line per item paid
    frames = dict(合同=contracts("张伟", {"合同编号": "HT1"}),
                  发货=shipments("张伟", {"发货日期": "2026-10-02", "合同编号": "HT1", "发货金额": "1,000"},
                                 {"发货日期": "2026-11-02", "合同编号": "HT1", "发货金额": "1,000"}),
                  回款=collections("张伟", {"回款日期": "2026-11-10", "合同编号": "HT1", "回款金额": "2,000"}),
                  人员=staff({"姓名": "张伟"}), 目标=targets({"姓名": "张伟", "回款目标": "10,000"}),
                  考勤=attendance({"姓名": "张伟"}))
    ctx = context(**frames)
    data, _ = commission.compute(**_compute_args(ctx))
    shown = commission.with_paid_items(data.lines, "回款金额")
    assert list(shown["核销对象"]) == ["回款 ¥2,000.00 第1/2笔: 2026-10-02 单据", "回款 ¥2,000.00 第2/2笔: 2026-11-02 单据"]
    spec, _ = commission.layout(data, ctx.settings)
    cols = {c.name: c.kind for c in spec.sheets[1].tables[0].columns}
    assert cols["折扣"] == "pct" and "核销对象" in cols
