"""投标台账 (issue 33): bids due within working days, bid bonds chased after working days (a holiday week not
counted, a 调休 Saturday counted), wins without a contract; the 日报's 今日要点, each rep's own reminder, the 月报's
投标与报价 and the 工作总结's 报价转化."""

from datetime import date

from neiqin_xl.books.tenders import bonds_to_chase, due_soon
from neiqin_xl.core.config import settings_from_dict

from ..helpers import context, fen, report, table, tables

S = settings_from_dict({"tenders": {"bond_days": 5, "remind_days": 3, "contract_days": 30}})


def tender(**row):
    return {"项目名称": "改造项目", "招标单位": "市建设局", "负责业务员": "张伟", **row}


def test_a_bid_bond_is_chased_after_bond_days_working_days_across_the_national_day_holiday():
    # 开标 Tue 2026-09-29; working days after it: 09-30 (1), [10-01..10-07 国庆 holiday], 10-08 (2), 10-09 (3),
    # 10-10 Sat 调休 (4), 10-12 (5), 10-13 (6). bond_days 5: on 10-12 five have passed (not more) → not chased;
    # on 10-13 six > 5 → chased. (Counting calendar days it would have been chased on 10-05.)
    t = table("投标", [tender(开标日期="2026-09-29", 保证金="20,000", 保证金缴纳日期="2026-09-20", 状态="已投标")])
    assert bonds_to_chase(t, S, date(2026, 10, 12)).empty
    chased = bonds_to_chase(t, S, date(2026, 10, 13))
    assert chased["开标后工作日"].tolist() == [6] and chased["保证金"].tolist() == [fen(20000)]
    # returned, or never paid: nothing to chase
    back = table("投标", [tender(开标日期="2026-09-29", 保证金="20,000", 保证金缴纳日期="2026-09-20",
                                保证金退回日期="2026-10-09")])
    assert bonds_to_chase(back, S, date(2026, 10, 13)).empty


def test_bids_due_within_remind_days_working_days():
    # D = Fri 2026-11-27. remind_days 3: Mon 11-30 is 1 working day away, Wed 12-02 is 3, Thu 12-03 is 4 (not yet).
    # A bid already handed in (已投标) is not listed; a deadline before D is not "due".
    t = table("投标", [tender(项目名称="A", 投标截止日期="2026-11-30"), tender(项目名称="B", 投标截止日期="2026-12-02"),
                      tender(项目名称="C", 投标截止日期="2026-12-03"),
                      tender(项目名称="D", 投标截止日期="2026-11-30", 状态="已投标"),
                      tender(项目名称="E", 投标截止日期="2026-11-26")])
    due = due_soon(t, S, date(2026, 11, 27))
    assert due["项目名称"].tolist() == ["A", "B"] and due["剩余工作日"].tolist() == [1, 3]


def test_the_report_the_daily_highlights_and_each_reps_own_reminder():
    # D = Mon 2026-11-30. 张伟: bid due 12-02 (2 working days); 王强: bond of 开标 11-02 unpaid back → 20 working days
    # > 5; 李娜: 中标 on 10-20, no contract, 41 days > 30 (listed to the manager; not a rep reminder).
    t = tables(投标=table("投标", [
        tender(项目名称="甲项目", 投标截止日期="2026-12-02"),
        tender(项目名称="乙项目", 负责业务员="王强", 开标日期="2026-11-02", 保证金="30,000", 保证金缴纳日期="2026-10-28",
               状态="未中标"),
        tender(项目名称="丙项目", 负责业务员="李娜", 开标日期="2026-10-20", 状态="中标", 中标金额="500,000")]))
    ctx = context(t, S, date(2026, 11, 30))
    out = report("tenders", ctx)
    assert out.figures == {"tenders": 3, "due_soon": 1, "bonds_to_chase": 1, "bonds_to_chase_fen": fen(30000),
                           "won_without_contract": 1}
    to_reps = {d.rep: d for d in out.deliveries if d.rep}
    assert set(to_reps) == {"张伟", "王强"}
    assert "甲项目" in to_reps["张伟"].summary_text and "乙项目" not in to_reps["张伟"].summary_text
    own = to_reps["王强"].attachments[0]
    assert own.for_rep == "王强"
    assert [r["项目名称"] for sheet in own.sheets for table_ in sheet.tables for r in table_.records()] == ["乙项目"]
    assert [d.report for d in out.deliveries if not d.rep] == ["tenders"]
    daily = report("daily", ctx).data.highlights
    lines = daily[daily["类别"].isin(["投标截止", "保证金待退", "中标未签合同"])]
    assert lines[["类别", "业务员"]].values.tolist() == [["投标截止", "张伟"], ["保证金待退", "王强"], ["中标未签合同", "李娜"]]
    assert "开标后 20 个工作日" in lines["说明"].iloc[1]


def test_the_monthly_report_and_the_work_summary_show_bids_and_quotation_conversion():
    # November: 2 quotations of 张伟 (BJ1 signed as HT1 on 11-06, 4 days after 11-02; BJ2 not) → 1/2, 4.0 days.
    # Tenders with 截止 in November: 中标 + 未中标 → 投标数 2, 中标率 1 ÷ 2 = 50.00 (%, shown as a percentage);
    # bond 10,000 paid, not back at month end.
    quotes = table("报价", [{"报价单号": "BJ1", "报价日期": "2026-11-02", "客户名称": "明达", "产品名称": "变频器",
                            "数量": 1, "单价": "100"},
                           {"报价单号": "BJ2", "报价日期": "2026-11-20", "客户名称": "明达", "产品名称": "变频器",
                            "数量": 1, "单价": "100"}])
    contracts = table("合同", [{"合同编号": "HT1", "签订日期": "2026-11-06", "客户名称": "明达", "合同金额": "100",
                               "报价单号": "BJ1"}])
    bids = table("投标", [tender(投标截止日期="2026-11-10", 状态="中标", 中标金额="200,000", 保证金="10,000",
                                保证金缴纳日期="2026-11-05"),
                         tender(投标截止日期="2026-11-12", 状态="未中标")])
    ctx = context(tables(报价=quotes, 合同=contracts, 投标=bids), S, date(2026, 11, 30))
    monthly = next(w for w in report("period", ctx).workbooks if w.filename == "月报_2026-11.xlsx")
    sheet = next(s for s in monthly.sheets if s.name == "投标与报价")
    figures = {r["指标"]: r["数值"] for r in sheet.tables[0].records()}
    assert (figures["投标数"], figures["中标数"], figures["中标率 (%)"], figures["保证金未退 (元)"]) == (2, 1, 50.0, 10000)
    assert sheet.tables[1].records() == [{"业务员": "张伟", "报价单数": 2, "已转合同": 1, "报价转化率": 0.5,
                                          "平均转化天数": 4.0}]
    summary = next(w for w in report("summary", ctx).workbooks if w.filename == "月工作总结_2026-11.xlsx")
    row = next(r for r in summary.sheets[0].tables[0].records() if r["业务员"] == "张伟")
    assert (row["报价单数"], row["已转合同"], row["报价转化率"]) == (2, 1, 0.5)
