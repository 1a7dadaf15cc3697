"""销售日报: day and month-to-date figures per rep, attainment, rank, 今日要点, working days, the workbook."""

from datetime import date
from decimal import Decimal

import openpyxl
import pandas as pd

from neiqin_xl.books.allocation import allocate
from neiqin_xl.core.config import settings_from_dict
from neiqin_xl.core.model import ERROR, WARNING, Problem
from neiqin_xl.core.results import ShippingData
from neiqin_xl.core.names import CustomerIndex
from neiqin_xl.reports import daily, registry
from neiqin_xl.deliver.writer import write_workbook

from .. import helpers
from ..helpers import fen, table, tables

# big contracts from 600,000 yuan: HT1 (exactly 600,000) is one, "at or above"
S = settings_from_dict({"reports": {"big_contract_amount": 600000}, "company": {"name": "测试贸易有限公司"}})
D = date(2026, 11, 26)  # Thursday, a working day; the previous working day is Wed 11-25


def books():
    contracts = pd.concat([
        table("合同", [
            {"合同编号": "HT1", "签订日期": "2026-11-26", "客户名称": "明达", "产品名称": "设备A", "合同金额": "600,000.00",
             "约定交货日期": "2026-12-20"},
            {"合同编号": "HT2", "签订日期": "2026-11-03", "客户名称": "明达", "合同金额": "100,000.00",
             "约定交货日期": "2026-11-25"}], rep="张伟"),
        table("合同", [
            {"合同编号": "HT3", "签订日期": "2026-11-26", "客户名称": "华光", "合同金额": "50,000.00"},
            {"合同编号": "HT4", "签订日期": "2026-10-20", "客户名称": "华光", "合同金额": "80,000.00", "账期天数": 31,
             "约定交货日期": "2026-11-25"},
            {"合同编号": "HT5", "签订日期": "2026-09-01", "客户名称": "华光", "合同金额": "10,000.00"}], rep="李娜"),
    ], ignore_index=True)
    shipments = pd.concat([
        table("发货", [{"发货单号": "F1", "发货日期": "2026-11-10", "合同编号": "HT2", "发货金额": "40,000", "客户名称": "明达"},
                     {"发货单号": "", "发货日期": None, "合同编号": "HT1", "发货金额": "300,000", "状态": "待发货",
                      "客户名称": "明达"}], rep="张伟"),
        table("发货", [{"发货单号": "F2", "发货日期": "2026-10-25", "合同编号": "HT4", "发货金额": "80,000", "客户名称": "华光"},
                     {"发货单号": "F3", "发货日期": "2026-11-26", "合同编号": "HT3", "发货金额": "20,000", "客户名称": "华光"},
                     {"发货单号": "F4", "发货日期": "2026-10-24", "合同编号": "HT5", "发货金额": "10,000", "客户名称": "华光"}],
              rep="李娜"),
    ], ignore_index=True)
    collections = pd.concat([
        table("回款", [{"回款日期": "2026-11-26", "客户名称": "明达", "合同编号": "HT2", "回款金额": "10,000"},
                     {"回款日期": "2026-11-12", "客户名称": "明达", "合同编号": "HT2", "回款金额": "15,000"}], rep="张伟"),
        table("回款", [{"回款日期": "2026-11-26", "客户名称": "华光", "合同编号": "HT4", "回款金额": "30,000"},
                     {"回款日期": "2026-10-28", "客户名称": "华光", "合同编号": "HT4", "回款金额": "5,000"}], rep="李娜"),
    ], ignore_index=True)
    targets = table("目标", [{"月份": "2026-11", "姓名": "张伟", "销售目标": "1,000,000", "回款目标": "100,000"},
                           {"月份": "2026-11", "姓名": "李娜", "销售目标": "200,000", "回款目标": "50,000"},
                           {"月份": "2026-10", "姓名": "张伟", "销售目标": "9,999", "回款目标": "9,999"}])
    return tables(合同=contracts, 发货=shipments, 回款=collections, 目标=targets)


PROBLEMS = [Problem(ERROR, "日期无效", rep="张伟"), Problem(ERROR, "金额无效", rep="张伟"), Problem(WARNING, "客户未建档", rep="李娜")]
REQUESTS = pd.DataFrame({"合同编号": ["HT1", "HT3"], "客户名称": ["明达", "华光"], "业务员": ["张伟", "李娜"],
                         "申请发货金额": [fen("300,000"), fen("5,000")], "结论": ["暂缓", "可发货"],
                         "原因": ["逾期超过30天", ""]})
SHIPPING = ShippingData(requests=REQUESTS, held=REQUESTS.iloc[:1], finance_checked=False)  # the 发货审核 held HT1


def context(day=D, **options):
    return helpers.context(books(), S, day, customers=CustomerIndex(["明达", "华光"]), problems=PROBLEMS, **options)


def build(ctx):
    """The daily report as the day's runner builds it after the shipping check (``USES``; its ``DUE`` applied)."""
    return registry.build_report("daily", ctx, shipping=SHIPPING)


def test_day_and_month_to_date_per_rep_with_attainment_and_rank():
    frame = daily.daily_by_rep(books(), D).set_index("业务员")
    # 张伟 today: HT1 600,000 signed; no shipment (the 待发货 request is not one); 回款 10,000.
    #   month: HT1 + HT2 = 700,000 (2 contracts); shipped 40,000 (11-10); collected 10,000 + 15,000 = 25,000.
    #   attainment 700,000 / 1,000,000 = 70%; 25,000 / 100,000 = 25%.
    z = frame.loc["张伟"]
    assert [z[c] for c in daily.DAY_COLUMNS] == [1, fen("600,000"), 0, fen("10,000")]
    assert [z[c] for c in daily.MONTH_COLUMNS] == [2, fen("700,000"), fen("40,000"), fen("25,000")]
    assert z["签约完成率"] == Decimal("0.7") and z["回款完成率"] == Decimal("0.25")
    # 李娜 today: HT3 50,000; shipped 20,000 (F3); 回款 30,000. Month: HT4 (10-20) and the 10-28 collection are
    #   October's: 1 contract 50,000, shipped 20,000, collected 30,000. 50,000/200,000 = 25%; 30,000/50,000 = 60%.
    n = frame.loc["李娜"]
    assert [n[c] for c in daily.DAY_COLUMNS] == [1, fen("50,000"), fen("20,000"), fen("30,000")]
    assert [n[c] for c in daily.MONTH_COLUMNS] == [1, fen("50,000"), fen("20,000"), fen("30,000")]
    assert n["签约完成率"] == Decimal("0.25") and n["回款完成率"] == Decimal("0.6")
    assert n["销售目标"] == fen("200,000") and n["回款目标"] == fen("50,000")
    # ranked by month-to-date collections: 李娜 30,000 first, 张伟 25,000 second
    assert (n["回款排名"], z["回款排名"]) == (1, 2)


def test_company_totals_and_attainment_over_summed_targets():
    totals = daily.company_totals(daily.daily_by_rep(books(), D))
    # today: 2 contracts 650,000; shipped 20,000; collected 10,000 + 30,000 = 40,000
    assert [totals[c] for c in daily.DAY_COLUMNS] == [2, fen("650,000"), fen("20,000"), fen("40,000")]
    # month: 3 contracts 750,000; shipped 60,000; collected 55,000
    assert [totals[c] for c in daily.MONTH_COLUMNS] == [3, fen("750,000"), fen("60,000"), fen("55,000")]
    # 750,000 / 1,200,000 = 62.5%; 55,000 / 150,000 = 36.666…% -> 0.3667
    assert totals["签约完成率"] == Decimal("0.625") and totals["回款完成率"] == Decimal("0.3667")


def test_equal_collections_share_a_rank_and_a_rep_without_a_target_has_none():
    t = tables(回款=pd.concat([table("回款", [{"回款日期": "2026-11-02", "客户名称": "甲", "回款金额": "100"}], rep=r)
                             for r in ("甲", "乙", "丙", "戊")] + [
        table("回款", [{"回款日期": "2026-11-02", "客户名称": "甲", "回款金额": "50"}], rep="丁")], ignore_index=True),
        目标=table("目标", [{"月份": "2026-11", "姓名": r, "销售目标": "1,000", "回款目标": "1,000"} for r in "甲乙丙丁"]))
    frame = daily.daily_by_rep(t, D).set_index("业务员")
    # with targets: 100, 100, 100, 50 -> ranks 1, 1, 1, 4; 戊 (100, no target) is not ranked and reads 无目标
    assert frame["回款排名"].drop("戊").to_dict() == {"丁": 4, "丙": 1, "乙": 1, "甲": 1}
    assert pd.isna(frame.at["戊", "回款排名"])
    assert (frame.at["戊", "签约完成率"], frame.at["戊", "回款完成率"]) == ("无目标", "无目标")
    totals = daily.company_totals(daily.daily_by_rep(t, D))
    # 合计 回款完成率 over 甲乙丙丁 only: (100 × 3 + 50) / (1,000 × 4) = 350 / 4,000 = 8.75%; 戊's 100 is out
    assert totals["回款完成率"] == Decimal("0.0875") and totals["本月回款"] == fen("450")
    assert totals["basis"]["回款完成率"] == {"actual": fen("350"), "target": fen("4,000"), "rate": Decimal("0.0875")}
    assert totals["basis"]["excluded"] == ["戊 (无目标)"]


def test_highlights_of_the_day():
    ctx = context()
    data = daily.compute(ctx.tables, ctx.allocation, ctx.problems, SHIPPING, D, S)
    h = data.highlights
    assert list(h["类别"]) == ["大额合同", "今日逾期", "暂缓发货", "交期已过", "数据问题"]
    rows = h.to_dict("records")
    # HT1: 600,000 signed today, exactly the threshold
    assert (rows[0]["合同编号"], rows[0]["金额"]) == ("HT1", fen("600,000"))
    # HT4: shipped 80,000 on 10-25, term 31 days -> due 11-25, overdue from 11-26 (today); paid 5,000 (10-28)
    # + 30,000 (11-26) -> 45,000 unpaid. HT5 (due 10-24 + 30 = 11-23) was overdue before: not listed.
    assert (rows[1]["合同编号"], rows[1]["金额"], rows[1]["业务员"]) == ("HT4", fen("45,000"), "李娜")
    assert rows[1]["日期"] == pd.Timestamp("2026-11-25")
    # the shipping check held HT1's request of 300,000; HT3's passed
    assert (rows[2]["合同编号"], rows[2]["金额"]) == ("HT1", fen("300,000")) and "逾期超过30天" in rows[2]["说明"]
    # HT2: delivery agreed 11-25, shipped 40,000 of 100,000 -> 60,000 short. HT4 (also 11-25) is fully shipped.
    assert (rows[3]["合同编号"], rows[3]["金额"]) == ("HT2", fen("60,000"))
    # the run's problems as one line for the clerk: 2 errors (张伟) and 1 warning (李娜), counted, not per rep
    assert [(r["业务员"], r["说明"]) for r in rows[4:]] == [("", "错误 2 条, 警告 1 条 (涉及 2 位业务员), 见数据问题清单")]


def test_overdue_window_covers_the_weekend_on_monday():
    # Mon 2026-11-30: the previous working day is Fri 11-27; an item due Sat 11-28 became overdue since then.
    t = tables(合同=table("合同", [{"合同编号": "HT9", "签订日期": "2026-10-01", "客户名称": "明达", "合同金额": "1,000",
                                  "账期天数": 30}]),
               发货=table("发货", [{"发货日期": "2026-10-29", "合同编号": "HT9", "发货金额": "1,000", "客户名称": "明达"}]))
    # 10-29 + 30 days = 11-28 (Saturday)
    lines = daily.overdue_today(allocate(t, S), date(2026, 11, 30), date(2026, 11, 27))
    assert [(line["合同编号"], line["金额"]) for line in lines] == [("HT9", fen("1,000"))]
    # on Friday 11-27 it was not yet due; on Tuesday 12-01 it is old news
    assert daily.overdue_today(allocate(t, S), date(2026, 11, 27), date(2026, 11, 26)) == []
    assert daily.overdue_today(allocate(t, S), date(2026, 12, 1), date(2026, 11, 30)) == []


def test_without_the_shipping_check_the_section_is_left_out():
    data = daily.compute(books(), None, [], None, D, S)
    assert "暂缓发货" not in set(data.highlights["类别"]) and not data.shipping_checked
    assert "发货审核结果不可用, 今日要点未列暂缓发货。" in daily.build(context()).workbooks[0].sheets[0].notes


def test_not_a_working_day_gives_no_report_unless_forced():
    saturday = date(2026, 11, 28)
    out = build(context(day=saturday))
    assert out.workbooks == [] and out.deliveries == [] and out.data is None
    assert out.figures == {"produced": False, "date": "2026-11-28", "reason": "非工作日"}
    # asked for by name (--only daily): made on any day, as every report that declares a DUE
    assert build(context(day=saturday, only=("daily",))).workbooks[0].filename == "销售日报_2026-11-28.xlsx"
    forced = build(context(day=saturday, force=True))
    assert [w.filename for w in forced.workbooks] == ["销售日报_2026-11-28.xlsx"]
    # 2026-02-14 is a Saturday worked in exchange for the Spring Festival (调休): the report is produced
    assert build(context(day=date(2026, 2, 14))).workbooks[0].filename == "销售日报_2026-02-14.xlsx"


def test_delivery_figures_and_html_summary():
    out = build(context())
    (delivery,) = out.deliveries
    # today's collections: 10,000 + 30,000
    assert (delivery.report, delivery.title, delivery.key_figure) == ("daily", "销售日报", "回款 ¥40,000.00")
    html = delivery.summary_html
    assert "¥40,000.00" in html and "张伟" in html and "暂缓发货" in html and "62.5%" in html
    assert "<style" not in html and "<link" not in html and "class=" not in html and "<table" in html
    assert "本月: 新签合同 3 份 ¥750,000.00" in delivery.summary_text
    assert out.figures["collection_amount_today_fen"] == fen("40,000")
    assert out.figures["contract_amount_month_fen"] == fen("750,000")
    assert out.figures["highlights"]["数据问题"] == 1


def test_the_phone_summary_puts_the_days_figures_first_then_a_four_column_table():
    ctx = context()
    receivables = helpers.report("receivables", ctx).data
    html = daily.build(ctx, receivables=receivables, shipping=SHIPPING).deliveries[0].summary_html
    tiles = ["今日回款", "今日签约", "本月回款", "本月签约", "应收余额", "逾期", "暂缓发货"]
    at = [html.index(t) for t in tiles]
    assert at == sorted(at) and at[-1] < html.index("业务员") < html.index("今日要点")
    # open on 11-26: F1 40,000 − 25,000 = 15,000; F2 80,000 − 35,000 = 45,000; F3 20,000; F4 10,000 -> 90,000.00
    # overdue: F2 (10-25 + 31 days = 11-25) 45,000 and F4 (10-24 + 30 = 11-23) 10,000 -> 55,000.00; held: HT1
    # the tiles in 万元 to one decimal, as the 日报's first sheet: 9.0 and 5.5
    assert ">9.0 万元<" in html and ">5.5 万元<" in html and "1 笔" in html
    header = html[html.index("业务员"):html.index("</tr>", html.index("业务员"))]
    assert header.count("<td") == 3  # 业务员 | 今日回款 | 本月回款 | 完成率: narrow enough for 390 px


def test_without_the_ledger_the_summary_leaves_out_what_it_cannot_know():
    html = build(context()).deliveries[0].summary_html
    assert "应收余额" not in html and "暂缓发货" in html


def test_html_escapes_rep_text():
    ctx = context()
    held = REQUESTS.iloc[:1].assign(业务员="<b>王</b>")  # a rep's text shown in the 暂缓发货 line
    html = daily.build(ctx, shipping=ShippingData(requests=held, held=held, finance_checked=False)
                       ).deliveries[0].summary_html
    assert "&lt;b&gt;王&lt;/b&gt;" in html and "<b>王</b>" not in html


def row_of(ws, text: str, column: int = 1) -> int:
    """The first row whose cell in ``column`` holds ``text``."""
    return next(r for r in range(1, ws.max_row + 1) if ws.cell(r, column).value == text)


def key_figures_of(ws) -> dict:
    """The key-figure blocks at the top of a first page: label -> the value in the cell below it."""
    top = row_of(ws, "业务员") if ws.title == "日报" else ws.max_row
    return {ws.cell(r, c).value: ws.cell(r + 1, c).value for r in range(3, top) for c in range(1, ws.max_column + 1)
            if ws.cell(r, c).font.size == 9 and ws.cell(r, c).value and ws.cell(r + 1, c).font.size == 14}


def test_workbook_sheets_headers_totals_and_one_page(tmp_path):
    ctx = context()
    receivables = helpers.report("receivables", ctx).data
    out = daily.build(ctx, receivables=receivables, shipping=SHIPPING)
    written = write_workbook(out.workbooks[0], tmp_path)
    assert written.path.name == "销售日报_2026-11-26.xlsx"
    wb = openpyxl.load_workbook(written.path)
    assert wb.sheetnames == ["日报", "今日要点", "销售预报", "今日合同", "今日发货", "今日回款"]
    ws = wb["日报"]
    assert ws["A1"].value == "销售日报" and ws["A2"].value == "2026-11-26 (周四) · 本月累计 11-01 至 11-26 · 测试贸易有限公司"
    header = row_of(ws, "业务员")
    assert [ws.cell(header, c).value for c in range(1, 15)] == daily.REP_COLUMNS
    assert [ws.cell(header + r, 1).value for r in (1, 2, 3)] == ["张伟", "李娜", "合计"]
    assert ws.cell(header + 1, 5).value == 10000 and ws.cell(header + 1, 5).number_format.startswith("#,##0.00")
    assert ws.cell(header + 1, 11).value == 0.7 and ws.cell(header + 1, 11).number_format == "0.0%"
    cached = openpyxl.load_workbook(written.path, data_only=True)["日报"]
    total = header + 3
    # totals: today 2 contracts, 650,000; month collections 55,000; the company's attainment in the 完成率 cells:
    # 销售 750,000 / 1,200,000 = 62.5%, 回款 55,000 / 150,000 = 36.67%
    assert (cached.cell(total, 2).value, cached.cell(total, 3).value, cached.cell(total, 9).value) == (2, 650000, 55000)
    assert (cached.cell(total, 11).value, cached.cell(total, 13).value) == (0.625, 0.3667)
    assert ws.cell(total, 14).value is None  # the rank is not summed
    # the key figures above the table equal its totals (and the ledger's: open on 11-26 90,000, overdue 55,000)
    figures = key_figures_of(ws)
    # in 万元 to one decimal: 40,000 -> 4.0; 650,000 -> 65.0; 55,000 -> 5.5; 750,000 -> 75.0; open 90,000 -> 9.0;
    # overdue 55,000 -> 5.5
    assert figures == {"今日回款 (万元)": "4.0", "今日签约 (万元)": "65.0", "本月回款 (万元)": "5.5", "回款完成率": 0.3667,
                       "本月签约 (万元)": "75.0", "签约完成率": 0.625, "应收余额 (万元)": "9.0", "逾期 (万元)": "5.5",
                       "暂缓发货": 1}
    notes = {ws.cell(r, c).value: ws.cell(r + 2, c).value for r in range(3, header) for c in range(1, ws.max_column + 1)
             if ws.cell(r, c).font.size == 9 and ws.cell(r + 1, c).font.size == 14}
    # against the previous working day 11-25 (no collection) and 10-26 (none): up 4.0万 both; the month against
    # October 1-26 (nothing collected in it; the 10-28 collection is after the 26th): up 5.5万
    assert notes["今日回款 (万元)"] == "较昨日 ↑4.0万 · 较上月同日 ↑4.0万"
    assert notes["本月回款 (万元)"] == "较上月同期 ↑5.5万, 目标 15.0万"
    assert float(cached.cell(total, 5).value) == 40000 and cached.cell(total, 7).value == 750000
    # the highlights: counted under the table, the top ones named on this first sheet (customer, amount, rep),
    # listed in full on their own sheet (their columns never share the widths)
    assert ws.cell(total + 2, 1).value.startswith("今日要点: 大额合同 1 条")
    assert ws.cell(total + 3, 1).value == "今日要点 (前4项):"
    # one of each kind, in the order 暂缓发货, 今日逾期, 交期已过, 大额合同
    assert ws.cell(total + 4, 1).value == "1. 【暂缓发货】明达  ¥300,000.00  业务员 张伟 — 暂缓: 逾期超过30天"
    assert [ws.cell(total + r, 1).value[:7] for r in (5, 6, 7)] == ["2. 【今日逾", "3. 【交期已", "4. 【大额合"]
    assert ws.cell(total + 8, 1).value == "数据问题: 错误 2 条, 警告 1 条 (涉及 2 位业务员), 见数据问题清单"
    points = wb["今日要点"]
    assert [points.cell(4, c).value for c in range(1, 8)] == daily.HIGHLIGHT_COLUMNS and points["A5"].value == "大额合同"
    # the 销售预报 on its own sheet (its columns differ too), its month-end line under the table on 日报
    forecast = wb["销售预报"]
    assert forecast["A4"].value == "销售预报 (月末)" and forecast["A5"].value == "业务员"
    assert ws.cell(total + 9, 1).value.startswith("本月月末: 回款预报 ¥")
    assert ws.page_setup.orientation == "landscape" and ws.page_setup.paperSize == 9
    # fit to one page: fitToPage on, 1 page wide and 1 high (xlsxwriter leaves out the value 1, the OOXML
    # default; a width-only fit would write fitToHeight="0")
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.page_setup.fitToHeight in (None, 1) and ws.page_setup.fitToWidth in (None, 1)
    assert wb["今日合同"].page_setup.fitToHeight == 0  # the details fit the width only
    detail = wb["今日回款"]
    # title, the subtitle line, blank, header (4), the two collections of the day (5-6), 合计 (7)
    assert detail["A4"].value == "回款日期" and detail.max_row == 7
    assert openpyxl.load_workbook(written.path, data_only=True)["今日回款"]["D7"].value == 40000


def test_the_mail_draws_attainment_as_bars_of_table_cells():
    data = daily.compute(books(), None, [], None, D, S)
    # 回款完成率: 张伟 25,000 / 100,000 = 25%; 李娜 30,000 / 50,000 = 60%; 合计 55,000 / 150,000 = 36.67% -> 37
    assert [(b["name"], b["width"], b["text"], b["met"]) for b in daily.attainment_bars(data)] == [
        ("张伟", 25, "25.0%", False), ("李娜", 60, "60.0%", False), ("合计", 37, "36.7%", False)]
    html = build(context()).deliveries[0].summary_html
    bars = html[html.index("本月回款完成率"):html.index("今日要点", html.index("本月回款完成率"))]
    # each bar: a filled cell of the rate's width and a grey cell of the rest (Outlook shows no images by default)
    assert 'width="25%" height="12" bgcolor="#4472C4"' in bars and 'width="75%" height="12" bgcolor="#E4E7EB"' in bars
    assert "<img" not in html and "background-image" not in html


def test_a_quiet_day_has_one_line_for_its_empty_details_and_no_page_for_them():
    # Friday 11-27: nothing signed, shipped or collected (the test books hold nothing that day)
    spec = build(context(day=date(2026, 11, 27))).workbooks[0]
    assert [s.name for s in spec.sheets] == ["日报", "今日要点", "销售预报"]
    assert "今日无合同、今日无发货、今日无回款 (不另列明细表)。" in spec.sheets[0].notes
    # the per-rep table: a zero reads as a blank (张伟's and 李娜's day columns are all zero)
    rows = spec.sheets[0].tables[0].records()
    assert [r["今日回款"] for r in rows] == [None, None] and rows[0]["本月回款"] == fen("25,000")
    cols = {c.name: c for c in spec.sheets[0].tables[0].columns}
    assert cols["今日回款"].total is False and cols["本月回款"].total is None  # a column of zeros has no 合计


def one_rep_books(month="2026-11"):
    """王强 alone: 回款目标 1,000,000, 销售目标 2,000,000 for ``month``."""
    return tables(
        合同=table("合同", [{"合同编号": "W1", "签订日期": "2026-11-25", "客户名称": "明达", "合同金额": "280,000"},
                          {"合同编号": "W2", "签订日期": "2026-11-26", "客户名称": "明达", "合同金额": "520,000"}], rep="王强"),
        回款=table("回款", [{"回款日期": "2026-10-26", "客户名称": "明达", "回款金额": "120,000"},
                          {"回款日期": "2026-11-25", "客户名称": "明达", "回款金额": "400,000"},
                          {"回款日期": "2026-11-26", "客户名称": "明达", "回款金额": "50,000"}], rep="王强"),
        目标=table("目标", [{"月份": month, "姓名": "王强", "销售目标": "2,000,000", "回款目标": "1,000,000"}]))


def test_the_mail_tiles_are_the_first_sheets_figures_in_wan_with_the_same_arrows():
    data = daily.compute(one_rep_books(), None, [], None, D, S)
    # 11-26 against the previous working day 11-25 and against 10-26:
    #   今日签约 520,000 = 52.0万; 11-25 280,000 -> ↑24.0万; 10-26 none -> ↑52.0万
    #   今日回款 50,000 = 5.0万; 11-25 400,000 -> ↓35.0万; 10-26 120,000 -> ↓7.0万
    #   本月回款 450,000 = 45.0万 against 10-01..10-26 120,000 -> ↑33.0万; target 1,000,000 = 100.0万
    #   回款完成率 450,000 / 1,000,000 = 45.0%; on 11-25 400,000 / 1,000,000 = 40.0% -> ↑5.0 个百分点
    #   本月签约 800,000 = 80.0万 against October to the 26th (nothing signed) -> ↑80.0万; target 200.0万
    #   签约完成率 800,000 / 2,000,000 = 40.0%; on 11-25 280,000 / 2,000,000 = 14.0% -> ↑26.0 个百分点
    tiles = {t["label"]: (t["value"], t["note"]) for t in daily.key_tiles(data, None)}
    assert tiles == {"今日回款": ("5.0 万元", "较昨日 ↓35.0万 · 较上月同日 ↓7.0万"),
                     "今日签约": ("52.0 万元", "较昨日 ↑24.0万 · 较上月同日 ↑52.0万"),
                     "本月回款": ("45.0 万元", "较上月同期 ↑33.0万, 目标 100.0万"),
                     "回款完成率": ("45.0%", "截至 11-26 · 较昨日 ↑5.0 个百分点"),
                     "本月签约": ("80.0 万元", "较上月同期 ↑80.0万, 目标 200.0万"),
                     "签约完成率": ("40.0%", "本月 2 份合同 · 较昨日 ↑26.0 个百分点")}
    html = daily.render_html(data, "测试贸易有限公司")
    assert ">52.0 万元<" in html and "较昨日 ↑5.0 个百分点" in html and "¥520,000.00" not in html[:html.index("业务员")]
    # the 日报's first sheet shows the same figures, the unit in the label
    sheet = {f.label: (f.value, f.note) for f in daily.layout(data, "测试贸易有限公司").sheets[0].figures}
    assert sheet["今日签约 (万元)"] == ("52.0", "较昨日 ↑24.0万 · 较上月同日 ↑52.0万")
    assert sheet["回款完成率"] == (Decimal("0.45"), "截至 11-26 · 较昨日 ↑5.0 个百分点")


def test_on_the_months_first_working_day_the_rates_are_not_compared_with_last_month():
    # Tue 12-01: the previous working day 11-30 belongs to another month (and its targets)
    data = daily.compute(one_rep_books("2026-12"), None, [], None, date(2026, 12, 1), S)
    assert data.compare.previous == date(2026, 11, 30) and data.compare.rates is None
    rates = {f.label: f.note for f in daily.key_figures(data, None) if f.kind == "pct"}
    # nothing signed or collected on 12-01: 0.0%, no ↑/↓ against November's last day
    assert rates == {"回款完成率": "截至 12-01", "签约完成率": "本月 0 份合同"}
