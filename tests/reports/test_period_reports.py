"""五日报 / 月报 / 季报 / 年报: totals, 环比 and 同比 (with and without last year's data), reps, customers,
categories, the work summary, new customers, and the workbooks the catch-up run writes."""

from datetime import date
from decimal import Decimal

import zipfile

import openpyxl
import pandas as pd

from neiqin_xl.books import periods as P
from neiqin_xl.core.config import settings_from_dict
from neiqin_xl.core.names import CustomerIndex
from neiqin_xl.reports import period_report
from neiqin_xl.deliver.writer import write_workbook

from .. import helpers
from ..helpers import fen, table, tables

S = settings_from_dict({"company": {"name": "测试贸易有限公司"}})
CUSTOMERS = CustomerIndex(["明达", "华光", "新天", "恒通"])
NOV = P.period_containing(P.MONTH, date(2026, 11, 1))
LAST_FIVE = P.period_containing(P.FIVE_DAY, date(2026, 11, 30))


def books(last_year: bool = False):
    contracts = [table("合同", [
        {"合同编号": "HT0", "签订日期": "2026-10-15", "客户名称": "明达", "产品名称": "设备A", "合同金额": "50,000"},
        {"合同编号": "HT1", "签订日期": "2026-11-03", "客户名称": "明达", "产品名称": "设备A", "合同金额": "100,000"},
        {"合同编号": "HT2", "签订日期": "2026-11-20", "客户名称": "新天", "产品名称": "耗材B", "合同金额": "20,000"}], rep="张伟"),
        table("合同", [{"合同编号": "HT3", "签订日期": "2026-11-28", "客户名称": "华光", "产品名称": "配件C",
                      "合同金额": "30,000"}], rep="李娜")]
    collections = [table("回款", [{"回款日期": "2026-11-05", "客户名称": "明达", "回款金额": "40,000"},
                                {"回款日期": "2026-11-25", "客户名称": "明达", "回款金额": "10,000"},
                                {"回款日期": "2026-10-20", "客户名称": "明达", "回款金额": "20,000"}], rep="张伟"),
                   table("回款", [{"回款日期": "2026-11-29", "客户名称": "华光", "回款金额": "30,000"},
                                {"回款日期": "2026-10-30", "客户名称": "华光", "回款金额": "5,000"}], rep="李娜")]
    if last_year:
        contracts.append(table("合同", [{"合同编号": "HTY", "签订日期": "2025-11-10", "客户名称": "华光", "合同金额": "60,000"}],
                               rep="李娜"))
        collections.append(table("回款", [{"回款日期": "2025-11-15", "客户名称": "华光", "回款金额": "40,000"}], rep="李娜"))
    return tables(
        合同=pd.concat(contracts, ignore_index=True),
        发货=table("发货", [{"发货日期": "2026-11-10", "合同编号": "HT1", "发货金额": "60,000", "客户名称": "明达"},
                          {"发货日期": "2026-10-20", "合同编号": "HT0", "发货金额": "50,000", "客户名称": "明达"}]),
        开票=table("开票", [{"发票号码": "001", "开票日期": "2026-11-12", "合同编号": "HT1", "开票金额": "60,000",
                           "客户名称": "明达"}]),
        回款=pd.concat(collections, ignore_index=True),
        日报=pd.concat([table("日报", [{"日期": "2026-10-05", "客户名称": "明达", "活动类型": "拜访"},
                                     {"日期": "2026-11-02", "客户名称": "明达", "活动类型": "拜访"},
                                     {"日期": "2026-11-04", "客户名称": "新天", "活动类型": "电话"}], rep="张伟"),
                       table("日报", [{"日期": "2026-11-10", "客户名称": "华光", "活动类型": "会议"},
                                     {"日期": "2026-11-11", "客户名称": None, "活动类型": "其他"},
                                     {"日期": "2026-11-12", "客户名称": "恒通", "活动类型": "拜访", "联系人": "赵经理"}],
                             rep="李娜")], ignore_index=True),
        产品=table("产品", [{"产品名称": "设备A", "产品类别": "设备"}, {"产品名称": "耗材B", "产品类别": "耗材"}]),
        目标=table("目标", [{"月份": "2026-11", "姓名": "张伟", "销售目标": "200,000", "回款目标": "100,000"},
                          {"月份": "2026-11", "姓名": "李娜", "销售目标": "100,000", "回款目标": "20,000"}]),
    )


def by_metric(frame):
    return {r["指标"]: r for r in frame.to_dict("records")}


def test_month_totals_against_last_month_and_no_data_last_year():
    data = period_report.compute(books(), CUSTOMERS, NOV, 10)
    # November: contracts HT1 + HT2 + HT3 = 150,000 (3); shipped 60,000; invoiced 60,000;
    # collected 40,000 + 10,000 + 30,000 = 80,000
    assert data.totals == {"合同数": 3, "合同金额": fen("150,000"), "发货金额": fen("60,000"), "开票金额": fen("60,000"),
                           "回款金额": fen("80,000")}
    m = by_metric(data.money)
    # October: 50,000 contracted, 50,000 shipped, nothing invoiced, 20,000 + 5,000 = 25,000 collected
    # 环比: (150-50)/50 = 200%; (60-50)/50 = 20%; invoices over a zero base: blank; (80-25)/25 = 220%
    assert [m[k]["上期"] for k in period_report.MONEY_METRICS] == [fen("50,000"), fen("50,000"), 0, fen("25,000")]
    assert [m[k]["环比"] for k in period_report.MONEY_METRICS] == [Decimal("2"), Decimal("0.2"), None, Decimal("2.2")]
    # the books start 2026-10-05: November 2025 is not covered -> amount blank, change 无数据
    assert [m[k]["去年同期"] for k in period_report.MONEY_METRICS] == [None] * 4
    assert {m[k]["同比"] for k in period_report.MONEY_METRICS} == {"无数据"}
    c = by_metric(data.counts)
    # November: 3 contracts; 拜访 2 (张伟 11-02, 李娜 11-12); 电话 1; 会议 1; new customers 新天 (电话 11-04),
    # 华光 (会议 11-10, before its contract), 恒通 (拜访 11-12) = 3. October: 1 contract, 1 拜访, 1 new (明达).
    assert [c[k]["本期"] for k in period_report.COUNT_METRICS] == [3, 2, 1, 1, 3]
    assert [c[k]["上期"] for k in period_report.COUNT_METRICS] == [1, 1, 0, 0, 1]
    assert [c[k]["环比"] for k in period_report.COUNT_METRICS] == [Decimal("2"), Decimal("1"), None, None, Decimal("2")]


def test_same_period_last_year_when_the_books_reach_it():
    data = period_report.compute(books(last_year=True), CUSTOMERS, NOV, 10)
    m = by_metric(data.money)
    # November 2025: HTY 60,000 signed, 40,000 collected, nothing shipped or invoiced
    # 同比: (150-60)/60 = 150%; shipments over a zero base: blank; (80-40)/40 = 100%
    assert [m[k]["去年同期"] for k in period_report.MONEY_METRICS] == [fen("60,000"), 0, 0, fen("40,000")]
    assert [m[k]["同比"] for k in period_report.MONEY_METRICS] == [Decimal("1.5"), None, None, Decimal("1")]
    c = by_metric(data.counts)
    # 华光 now first appears on 2025-11-10: November 2026's new customers are 新天 and 恒通 (2), November 2025's
    # is 华光 (1) -> 同比 +100%
    assert (c["新客户"]["本期"], c["新客户"]["去年同期"], c["新客户"]["同比"]) == (2, 1, Decimal("1"))


def test_reps_with_targets_and_attainment():
    reps = period_report.compute(books(), CUSTOMERS, NOV, 10).by_rep.set_index("业务员")
    # 张伟: HT1 + HT2 = 120,000 (2); shipped 60,000; invoiced 60,000; collected 50,000;
    #        120,000 / 200,000 = 60%, 50,000 / 100,000 = 50%
    z = reps.loc["张伟"]
    assert [z[c] for c in P.FIGURE_COLUMNS] == [2, fen("120,000"), fen("60,000"), fen("60,000"), fen("50,000")]
    assert (z["签约完成率"], z["回款完成率"]) == (Decimal("0.6"), Decimal("0.5"))
    # 李娜: HT3 30,000; collected 30,000: 30,000 / 100,000 = 30%, 30,000 / 20,000 = 150%
    n = reps.loc["李娜"]
    assert (n["合同金额"], n["回款金额"], n["签约完成率"], n["回款完成率"]) == (
        fen("30,000"), fen("30,000"), Decimal("0.3"), Decimal("1.5"))


def test_five_day_attainment_is_month_to_date():
    data = period_report.compute(books(), CUSTOMERS, LAST_FIVE, 10)
    reps = data.by_rep.set_index("业务员")
    # 26-30 Nov: 张伟 signed and collected nothing, but the month to 11-30 gives 120,000 / 200,000 = 60%
    assert (reps.loc["张伟", "合同金额"], reps.loc["张伟", "签约完成率"]) == (0, Decimal("0.6"))
    assert (reps.loc["李娜", "回款金额"], reps.loc["李娜", "回款完成率"]) == (fen("30,000"), Decimal("1.5"))
    m = by_metric(data.money)
    # previous period 21-25 Nov: only 10,000 collected (11-25) -> (30,000 - 10,000) / 10,000 = 200%
    assert (m["回款金额"]["上期"], m["回款金额"]["环比"]) == (fen("10,000"), Decimal("2"))
    assert (m["合同金额"]["上期"], m["合同金额"]["环比"]) == (0, None)
    # by day, 26..30: collections only on the 29th
    assert list(data.series["日期"]) == ["11-26", "11-27", "11-28", "11-29", "11-30"]
    assert list(data.series["回款金额"]) == [0, 0, 0, fen("30,000"), 0]


def test_top_customers_categories_and_work_summary():
    data = period_report.compute(books(), CUSTOMERS, NOV, 10)
    top = data.top_customers.to_dict("records")
    # 明达 40,000 + 10,000 = 50,000 (2 payments) = 62.5% of 80,000; 华光 30,000 = 37.5%
    assert [(r["排名"], r["客户名称"], r["回款笔数"], r["回款金额"], r["占比"]) for r in top] == [
        (1, "明达", 2, fen("50,000"), Decimal("0.625")), (2, "华光", 1, fen("30,000"), Decimal("0.375"))]
    assert (top[0]["合同金额"], top[0]["发货金额"], top[1]["发货金额"]) == (fen("100,000"), fen("60,000"), 0)
    assert list(period_report.compute(books(), CUSTOMERS, NOV, 1).top_customers["客户名称"]) == ["明达"]
    # categories: 设备 100,000 (66.67%), 配件C is not in the product list -> 未分类 30,000 (20%), 耗材 20,000 (13.33%)
    cats = data.by_category
    assert list(cats["产品类别"]) == ["设备", "未分类", "耗材"]
    assert list(cats["合同金额"]) == [fen("100,000"), fen("30,000"), fen("20,000")]
    assert list(cats["占比"]) == [Decimal("0.6667"), Decimal("0.2"), Decimal("0.1333")]
    work = data.work.set_index("业务员")
    # 张伟: 拜访 1 (11-02), 电话 1; new customer 新天. 李娜: 会议 1, 其他 1, 拜访 1; new customers 华光, 恒通
    assert [work.loc["张伟", k] for k in ("拜访", "电话", "会议", "其他", "活动合计", "新客户")] == [1, 1, 0, 0, 2, 1]
    assert [work.loc["李娜", k] for k in ("拜访", "电话", "会议", "其他", "活动合计", "新客户")] == [1, 0, 1, 1, 3, 2]
    fresh = data.new_customers
    assert list(fresh["客户名称"]) == ["新天", "华光", "恒通"] and list(fresh["首次来源"]) == ["日报", "日报", "日报"]


def test_quarter_series_by_month():
    q4 = P.period_containing(P.QUARTER, date(2026, 11, 1))
    series = period_report.compute(books(), CUSTOMERS, q4, 10).series
    # October 25,000, November 80,000, December nothing
    assert list(series["月份"]) == ["2026-10", "2026-11", "2026-12"]
    assert list(series["回款金额"]) == [fen("25,000"), fen("80,000"), 0]


def context(**options):
    return helpers.context(books(), S, date(2026, 12, 1), customers=CUSTOMERS, **options)


def test_catch_up_run_builds_the_missed_reports_and_their_deliveries():
    # last run Fri 11-27, run Tue 12-01: the 26-30 Nov five-day report and November are due
    out = period_report.build(context(last_run_date=date(2026, 11, 27)))
    assert [w.filename for w in out.workbooks] == ["五日报_2026-11-26_2026-11-30.xlsx", "月报_2026-11.xlsx"]
    assert [d.title for d in out.deliveries] == ["五日报 2026-11-26~2026-11-30", "月报 2026-11"]
    # 26-30 Nov collected 30,000; November 80,000
    assert [d.key_figure for d in out.deliveries] == ["回款 ¥30,000.00", "回款 ¥80,000.00"]
    assert out.deliveries[1].report == "period" and out.deliveries[1].attachments == ["月报_2026-11.xlsx"]
    assert [(f["file"], f["collection_amount_fen"]) for f in out.figures["produced"]] == [
        ("五日报_2026-11-26_2026-11-30.xlsx", fen("30,000")), ("月报_2026-11.xlsx", fen("80,000"))]


def chart_ranges(path) -> list[list[str]]:
    """Every chart of a written workbook as the ranges its series read (names, categories, values; line series
    combined into a bar chart included), in the order the workbook holds them."""
    import re
    import zipfile

    with zipfile.ZipFile(path) as z:
        names = sorted((n for n in z.namelist() if re.fullmatch(r"xl/charts/chart\d+\.xml", n)),
                       key=lambda n: int(re.search(r"\d+", n).group()))
        return [re.findall(r"<c:f>([^<]*)</c:f>", z.read(n).decode("utf-8")) for n in names]


def test_month_workbook(tmp_path):
    out = period_report.build(context(last_run_date=date(2026, 11, 27)))
    written = write_workbook(out.workbooks[1], tmp_path)
    wb = openpyxl.load_workbook(written.path)
    assert wb.sheetnames == ["汇总", "业务员", "客户排名", "产品类别", "工作总结", "回款趋势", "新客户", "图表数据", "客户服务", "销售预报", "新客户开发"]
    ws = wb["汇总"]
    assert ws["A1"].value == "月报 2026年11月" and ws["A2"].value == "期间 2026-11-01 ~ 2026-11-30 · 截至 2026-11-30 · 测试贸易有限公司"
    # the key figures (label, value below it): November against the comparison table's 本期 and the reps' totals:
    # 合同 150,000 (环比 vs October's 50,000: +200%), 回款 80,000, 3 contracts; attainment: the reps with a target
    # signed 150,000 of 300,000 (50%) and collected 80,000 of 120,000 (66.67%)
    figures = {ws.cell(r, c).value: ws.cell(r + 1, c).value for r in range(3, 12) for c in range(1, 15)
               if ws.cell(r, c).font.size == 9 and ws.cell(r + 1, c).font.size == 14}
    assert figures == {"合同金额": 150000, "回款金额": 80000, "发货金额": 60000, "开票金额": 60000, "新签合同": 3,
                       "签约完成率": 0.5, "回款完成率": 0.6667}
    assert ws["A6"].value == "环比 +200.0% · 同比 无数据"
    header = next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == "指标")
    assert [ws.cell(header, c).value for c in range(1, 7)] == period_report.COMPARE_COLUMNS
    assert [ws.cell(header + 1, c).value for c in range(1, 7)] == ["合同金额", 150000, 50000, 2, None, "无数据"]
    assert {ws.cell(r, 1).value: ws.cell(r, 2).value for r in range(header + 1, header + 5)} == {
        k: figures[k] for k in ("合同金额", "发货金额", "开票金额", "回款金额")}
    counts = next(r for r in range(header + 1, ws.max_row + 1) if ws.cell(r, 1).value == "指标")
    assert [ws.cell(counts + 1, c).value for c in range(1, 7)] == ["合同数", 3, 1, 2, None, "无数据"]
    assert ws.cell(header + 1, 4).number_format == "0.0%" and ws.cell(header + 1, 2).number_format.startswith("#,##0.00")
    assert ws.page_setup.orientation == "portrait"
    # the charts on the first page, then the trend sheet's: their series read the tables they draw
    # 图表数据: title, 3 subtitle lines, blank, heading (6), header (7), 2025-12 … 2026-11 (8-19); blank, heading (21),
    # header (22), 张伟 (23), 李娜 (24); 客户排名: header (6), 明达 and 华光 (7-8)
    charts = chart_ranges(written.path)
    assert charts[0] == ["图表数据!$B$7", "图表数据!$A$8:$A$19", "图表数据!$B$8:$B$19",
                         "图表数据!$C$7", "图表数据!$A$8:$A$19", "图表数据!$C$8:$C$19",
                         "图表数据!$D$7", "图表数据!$A$8:$A$19", "图表数据!$D$8:$D$19",
                         "图表数据!$E$7", "图表数据!$A$8:$A$19", "图表数据!$E$8:$E$19"]
    assert charts[1][-3:] == ["图表数据!$D$22", "图表数据!$A$23:$A$24", "图表数据!$D$23:$D$24"]  # the 100% line
    # 客户排名 holds two customers: a chart of two bars says nothing the table does not, so there is none; the
    # third chart is the trend's: daily 回款 bars, the cumulative line and the month's 回款目标 line
    # (its data, in 万元, on 图表数据 after the two customers of 客户排名: heading 26, header 27, rows 28-29; blank,
    # heading 31, header 32, the 30 days 33-62)
    assert charts[2][:3] == ["图表数据!$C$32", "图表数据!$A$33:$A$62", "图表数据!$C$33:$C$62"]
    assert charts[2][3::3] == ["图表数据!$D$32", "图表数据!$E$32"]
    data = wb["图表数据"]
    assert [data.cell(r, 1).value for r in (8, 19)] == ["2025-12", "2026-11"]
    # November in 万元 (the charts' axes read 0 … 30, not 0 … 300,000): 150,000 yuan = 15 万, 80,000 = 8 万;
    # the targets summed 300,000 = 30 万 and 120,000 = 12 万
    assert [data.cell(19, c).value for c in range(2, 6)] == [15, 8, 30, 12] and data["A6"].value.endswith("(万元)")
    assert [data.cell(r, 4).value for r in (36, 37, 62)] == [0, 4, 8]  # 累计回款 11-04, 11-05 (40,000), 11-30
    assert [data.cell(r, 4).value for r in (23, 24)] == [1, 1] and data["D23"].number_format == "0.0%"
    with zipfile.ZipFile(written.path) as z:  # the attainment chart's value axis in %
        assert '<c:numFmt formatCode="0%"' in z.read("xl/charts/chart2.xml").decode("utf-8")
    reps = wb["业务员"]
    # title, 3 subtitle lines, blank, header (6), 张伟 (7), 李娜 (8), 合计 (9): 合同金额 120,000 + 30,000
    assert reps["A6"].value == "业务员" and reps["A9"].value == "合计"
    assert openpyxl.load_workbook(written.path, data_only=True)["业务员"]["C9"].value == 150000
    assert wb["回款趋势"]._charts and len(charts) == 3  # two on the first page (no ledger: no aging), the trend
    trend = openpyxl.load_workbook(written.path, data_only=True)["回款趋势"]
    # 30 days (rows 7-36), 合计 on row 37: 80,000
    assert trend["A7"].value == "11-01" and trend["A37"].value == "合计" and trend["C37"].value == 80000
    # 累计回款: 40,000 on 11-05, + 10,000 on 11-25, + 30,000 on 11-29 = 80,000 on 11-30; against the month's 回款目标
    # 100,000 + 20,000 = 120,000 (the reps' targets cover November); neither is summed in the 合计 row
    assert [trend[f"D{r}"].value for r in (10, 11, 31, 36)] == [0, 40000, 50000, 80000]
    assert trend["E36"].value == 120000 and trend["D37"].value is None and trend["E37"].value is None
    assert [wb["新客户"].cell(7, c).value for c in (1, 3, 4)] == ["新天", "日报", "张伟"]


YEAR_2026 = P.period_containing(P.YEAR, date(2026, 6, 1))


def year_books(months_2025: list[int]):
    """A contract of 10,000 and a collection of 5,000 in every month of 2026, and in the given months of 2025."""
    days = [f"2026-{m:02d}-10" for m in range(1, 13)] + [f"2025-{m:02d}-10" for m in months_2025]
    return tables(合同=table("合同", [{"合同编号": f"HT{i}", "签订日期": d, "客户名称": "明达", "合同金额": "10,000"}
                                    for i, d in enumerate(days)], rep="张伟"),
                  回款=table("回款", [{"回款日期": d, "客户名称": "明达", "回款金额": "5,000"} for d in days], rep="张伟"))


def test_year_report_compares_only_with_a_year_the_ledgers_cover_as_fully():
    # 2025 covered by December only (books start 2025-12-10): 1 of 12 months against 2026's 12 of 12
    data = period_report.compute(year_books([12]), CUSTOMERS, YEAR_2026, 10)
    m = by_metric(data.money)
    # no percentage at all: 2026's 120,000 against 2025's 10,000 would read +1100%
    assert {m[k]["同比"] for k in period_report.MONEY_METRICS} == {"不可比"}
    assert any("去年同期 2025年 不可比: 台账只覆盖该期间 1/12 个月 (本期 12/12 个月)" in n for n in data.notes)
    spec = period_report.layout(data, "测试")
    assert [c.name for c in spec.sheets[0].tables[0].columns] == ["指标", "本期", "去年同期", "同比"]  # 同比 once
    assert {f.note for f in period_report.key_figures(data)[:4]} == {"同比 不可比"}
    # 2025 fully covered: contracts 12 × 10,000 = 120,000 both years -> 同比 0; 回款 60,000 both -> 0
    data = period_report.compute(year_books(list(range(1, 13))), CUSTOMERS, YEAR_2026, 10)
    m = by_metric(data.money)
    assert (m["合同金额"]["去年同期"], m["合同金额"]["同比"]) == (fen("120,000"), Decimal("0"))
    assert m["回款金额"]["同比"] == Decimal("0") and not any("不可比" in n for n in data.notes[1:])


def test_a_rep_without_a_target_is_outside_the_total_rate_and_footnoted():
    t = books()
    t = tables(**{name: t[name] for name in ("合同", "发货", "开票", "回款", "日报", "产品")},
               目标=table("目标", [{"月份": "2026-11", "姓名": "张伟", "销售目标": "200,000", "回款目标": "100,000"}]))
    data = period_report.compute(t, CUSTOMERS, NOV, 10)
    reps = data.by_rep.set_index("业务员")
    # 李娜 has no target for November: no target shown, her rates read 无目标
    assert (pd.isna(reps.loc["李娜", "销售目标"]), reps.loc["李娜", "签约完成率"], reps.loc["李娜", "回款完成率"]) == (
        True, "无目标", "无目标")
    # the company's rates: 张伟 only: 120,000 / 200,000 = 60%, 50,000 / 100,000 = 50% (李娜's 30,000 and 30,000 out)
    basis = data.attainment["basis"]
    assert (basis["签约完成率"], basis["回款完成率"]) == (
        {"actual": fen("120,000"), "target": fen("200,000"), "rate": Decimal("0.6")},
        {"actual": fen("50,000"), "target": fen("100,000"), "rate": Decimal("0.5")})
    assert basis["excluded"] == ["李娜 (无目标)"] and any("李娜 (无目标)" in n for n in data.notes)
    sheet = period_report.layout(data, "测试").sheets[1]
    assert sheet.tables[0].totals_values == {"签约完成率": "见下表", "回款完成率": "见下表"}
    assert sheet.tables[1].records()[0]["合同金额"] == fen("120,000") and "李娜" in sheet.notes[0]


def test_a_quarter_with_one_month_of_targets_says_so_instead_of_a_rate():
    q4 = P.period_containing(P.QUARTER, date(2026, 11, 1))
    data = period_report.compute(books(), CUSTOMERS, q4, 10)
    reps = data.by_rep.set_index("业务员")
    # targets for November only: 1 of the quarter's 3 months
    assert reps.loc["张伟", "签约完成率"] == "目标不全 (1/3 个月)" and pd.isna(reps.loc["张伟", "销售目标"])
    assert data.attainment["签约完成率"] is None and data.attainment["partial"]
    rate = {f.label: f for f in period_report.key_figures(data)}["签约完成率"]
    assert (rate.value, rate.note) == (None, "目标不全")
