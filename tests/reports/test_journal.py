"""销售明细账: the VAT split line by line, the editions (month, provisional, year to date), the 按地区 sheet, and
its monthly totals against the 财务对账's sales side — each figure worked out by hand."""

from datetime import date
from decimal import Decimal

import openpyxl
import pandas as pd

from neiqin_xl.core.config import settings_from_dict
from neiqin_xl.deliver.writer import write_workbook
from neiqin_xl.reports import journal

from .. import helpers
from ..helpers import fen, table, tables

MONTH_END = date(2026, 11, 30)  # a Monday, the last working day of 2026-11
NINE = settings_from_dict({"tax": {"rates": {"农产品": "0.09"}}})


def products():
    return table("产品", [{"产品名称": "控制器", "产品类别": "控制设备"}, {"产品名称": "大米", "产品类别": "农产品"}], rep="")


def archive():
    return table("客户", [{"客户名称": "杭州明达贸易有限公司", "地址": "浙江省杭州市文三路12号"},
                         {"客户名称": "上海恒远科技有限公司", "地址": "上海市浦东新区张江路1号"},
                         {"客户名称": "南京华信有限公司"}], rep="")


def contracts(*rows, rep="张伟"):
    return table("合同", [{"签订日期": "2026-10-01", "合同金额": "100,000", **r} for r in rows], rep=rep)


def three_shipments():
    """HT1 控制器 (13%), HT2 大米 (农产品, 9%), both 杭州明达; HT3 控制器 to 上海恒远."""
    return tables(
        客户=archive(), 产品=products(),
        合同=contracts({"合同编号": "HT1", "客户名称": "杭州明达贸易有限公司", "产品名称": "控制器"},
                     {"合同编号": "HT2", "客户名称": "杭州明达贸易有限公司", "产品名称": "大米"},
                     {"合同编号": "HT3", "客户名称": "上海恒远科技有限公司", "产品名称": "控制器"}),
        发货=table("发货", [
            {"发货单号": "FH3", "发货日期": "2026-11-20", "合同编号": "HT3", "数量": 1, "发货金额": "100.00"},
            {"发货单号": "FH1", "发货日期": "2026-11-05", "合同编号": "HT1", "产品名称": "控制器", "数量": 3,
             "发货金额": "1,000.00"},
            {"发货单号": "FH2", "发货日期": "2026-11-06", "合同编号": "HT2", "数量": 4, "发货金额": "1,000.00"},
            {"发货单号": "FH0", "合同编号": "HT1", "数量": 1, "发货金额": "500.00", "状态": "待发货"}]))


def test_tax_split_at_13_and_9_percent_rounded_half_up_to_the_fen_per_line():
    out = journal.build(helpers.context(three_shipments(), NINE, MONTH_END))
    [month] = out.data.editions
    lines = month.lines
    # date order; the 待发货 request (no 发货日期) is no sale
    assert list(lines["单据号"]) == ["FH1", "FH2", "FH3"]
    assert list(lines["产品类别"]) == ["控制设备", "农产品", "控制设备"]
    assert list(lines["税率"]) == [Decimal("0.13"), Decimal("0.09"), Decimal("0.13")]
    # 1,000.00 ÷ 1.13 = 884.9557… → 884.96, 税额 1,000.00 − 884.96 = 115.04
    # 1,000.00 ÷ 1.09 = 917.4311… → 917.43, 税额 82.57
    #   100.00 ÷ 1.13 =  88.4955… →  88.50, 税额 11.50
    assert list(lines["不含税金额"]) == [fen("884.96"), fen("917.43"), fen("88.50")]
    assert list(lines["税额"]) == [fen("115.04"), fen("82.57"), fen("11.50")]
    # 单价 = 含税金额 ÷ 数量: 1,000.00 ÷ 3 = 333.33; 1,000.00 ÷ 4 = 250.00; 100.00 ÷ 1
    assert list(lines["单价"]) == [fen("333.33"), fen("250.00"), fen("100.00")]
    # the columns add up: 1,890.89 + 209.11 = 2,100.00
    assert (lines["不含税金额"].sum(), lines["税额"].sum(), lines["含税金额"].sum()) == (
        fen("1,890.89"), fen("209.11"), fen("2,100.00"))
    assert out.figures["2026-11"] == {"provisional": False, "lines": 3, "gross_fen": fen("2,100.00"),
                                      "net_fen": fen("1,890.89"), "tax_fen": fen("209.11")}
    assert list(lines["来源"]) == ["张伟.xlsx[发货]!3", "张伟.xlsx[发货]!4", "张伟.xlsx[发货]!2"]


def test_the_workbook_sheets_and_the_province_of_each_customer(tmp_path):
    out = journal.build(helpers.context(three_shipments(), NINE, MONTH_END))
    wb = openpyxl.load_workbook(write_workbook(out.workbooks[0], tmp_path).path)
    assert out.workbooks[0].filename == "销售明细账_2026-11.xlsx"
    assert wb.sheetnames == ["明细", "按产品", "按客户", "按业务员", "按地区"]
    ws = wb["明细"]
    header = [c.value for c in ws[6]]
    assert header == journal.LINE_COLUMNS
    first = {h: c for h, c in zip(header, ws[7])}
    assert (first["单据号"].value, first["含税金额"].value, first["不含税金额"].value, first["税额"].value) == (
        "FH1", 1000, 884.96, 115.04)
    assert first["含税金额"].number_format.startswith("#,##0.00") and first["税率"].value == 0.13
    regions = wb["按地区"]
    rows = [[c.value for c in row] for row in regions.iter_rows(min_row=7, max_row=8)]
    # 杭州明达 (浙江省): 1,000.00 + 1,000.00; 上海恒远 (上海市): 100.00
    assert [r[:4] for r in rows] == [["浙江省", 1, 2, 2000], ["上海市", 1, 1, 100]]
    # 数量 of different products (units) is never added up: the 合计 rows leave it blank
    for name in ("明细", "按产品"):
        sheet = wb[name]
        header = next(r for r in range(1, 10) if "数量" in [c.value for c in sheet[r]])
        total = next(r for r in range(header + 1, sheet.max_row + 1) if sheet.cell(r, 1).value == "合计")
        quantity = [c.value for c in sheet[header]].index("数量") + 1
        assert sheet.cell(total, quantity).value is None, name


def test_a_customer_without_an_address_is_in_province_unknown():
    t = three_shipments()
    t["发货"] = table("发货", [{"发货日期": "2026-11-05", "合同编号": "HT4", "发货金额": "226.00"}])
    t["合同"] = contracts({"合同编号": "HT4", "客户名称": "南京华信有限公司"})
    out = journal.build(helpers.context(t, NINE, MONTH_END))
    spec = out.workbooks[0]
    [regions] = [s for s in spec.sheets if s.name == "按地区"]
    # 226.00 ÷ 1.13 = 200.00 (no product: 未分类, the default 13%)
    assert regions.tables[0].records()[0] == {"地区": "未知", "客户数": 1, "行数": 1, "含税金额": fen("226.00"),
                                                  "不含税金额": fen("200.00"), "税额": fen("26.00")}


def test_before_the_last_working_day_the_month_is_provisional_and_not_mailed():
    out = journal.build(helpers.context(three_shipments(), NINE, date(2026, 11, 20)))
    [month] = out.data.editions
    assert month.provisional and (month.start, month.end) == (date(2026, 11, 1), date(2026, 11, 20))
    # FH3 of 11-20 counts, the 11-05 and 11-06 shipments too
    assert month.total == fen("2,100.00") and out.deliveries == []
    assert out.workbooks[0].sheets[0].title == "销售明细账 2026-11（暂估：月末最后一个工作日前的数字）"


def test_year_end_makes_the_year_to_date_with_a_total_per_month():
    t = three_shipments()
    t["发货"] = pd.concat([t["发货"], table("发货", [{"发货单号": "FH9", "发货日期": "2026-12-08", "合同编号": "HT1",
                                                   "发货金额": "339.00"}])], ignore_index=True)
    outputs = helpers.reports(helpers.context(t, NINE, date(2026, 12, 31)), "reconciliation", "journal")
    out = outputs["journal"]
    assert [s.filename for s in out.workbooks] == ["销售明细账_2026-12.xlsx", "销售明细账_2026.xlsx"]
    year = out.data.editions[1]
    assert (year.start, year.end, year.provisional) == (date(2026, 1, 1), date(2026, 12, 31), False)
    detail = out.workbooks[1].sheets[0]
    # one table per month with its 合计, then the months side by side: 2,100.00 in Nov, 339.00 in Dec
    assert [(t.heading, t.totals_label) for t in detail.tables] == [
        ("2026-11", "2026-11 合计"), ("2026-12", "2026-12 合计"), ("按月汇总", "累计合计")]
    assert [(r["月份"], r["含税金额"]) for r in detail.tables[2].records()] == [
        ("2026-11", fen("2,100.00")), ("2026-12", fen("339.00"))]
    # December's journal and the year's go to finance with December's 财务对账
    assert [(d.report, d.title) for d in out.deliveries] == [("reconciliation", "销售明细账 2026-12"),
                                                            ("reconciliation", "销售明细账 2026")]


# ---------------------------------------------------------------- the 财务对账's sales side

def sales_books(basis: str):
    """Shipments and invoices of HT1/HT2 in October and November; collections in November."""
    return tables(
        客户=archive(), 产品=products(),
        合同=contracts({"合同编号": "HT1", "客户名称": "杭州明达贸易有限公司", "产品名称": "控制器"},
                     {"合同编号": "HT2", "客户名称": "上海恒远科技有限公司", "产品名称": "大米"}),
        发货=table("发货", [{"发货日期": "2026-10-20", "合同编号": "HT1", "发货金额": "30,000.00"},
                          {"发货日期": "2026-11-03", "合同编号": "HT1", "发货金额": "12,345.67"},
                          {"发货日期": "2026-11-18", "合同编号": "HT2", "发货金额": "8,000.00"}]),
        开票=table("开票", [{"发票号码": "001", "开票日期": "2026-10-25", "合同编号": "HT1", "开票金额": "30,000.00"},
                          {"发票号码": "002", "开票日期": "2026-11-10", "合同编号": "HT1", "开票金额": "12,345.67"},
                          {"发票号码": "003", "开票日期": "2026-11-28", "合同编号": "HT2", "开票金额": "5,000.00"}]),
        回款=table("回款", [{"回款日期": "2026-11-12", "客户名称": "杭州明达贸易有限公司", "合同编号": "HT1",
                           "回款金额": "20,000.00"}]))


def month_outputs(settings, month):
    return helpers.reports(helpers.context(sales_books(settings.receivables.basis), settings, MONTH_END, month=month),
                           "reconciliation", "journal")


def test_invoice_basis_journal_total_is_the_reconciliation_sales_invoices():
    settings = settings_from_dict({"receivables": {"basis": "invoice"}})
    out = month_outputs(settings, None)
    summary = out["reconciliation"].data.months["2026-11"].summary
    # November's invoices: 12,345.67 + 5,000.00 = 17,345.67 on both sides
    assert out["journal"].data.editions[0].total == int(summary["销售开票"].sum()) == fen("17,345.67")
    # the journal goes to finance in the reconciliation's message
    assert [(d.report, d.title) for d in out["journal"].deliveries] == [("reconciliation", "销售明细账 2026-11")]


def test_shipment_basis_journal_total_is_the_change_of_the_sales_balance_plus_collections():
    settings = settings_from_dict({})
    october, november = month_outputs(settings, "2026-10"), month_outputs(settings, "2026-11")

    def side(out, month):
        summary = out["reconciliation"].data.months[month].summary
        return int(summary["销售应收余额"].sum()), int(summary["销售回款"].sum())

    balance_oct, _ = side(october, "2026-10")
    balance_nov, collected_nov = side(november, "2026-11")
    # October: 30,000.00 shipped, nothing collected → balance 30,000.00
    # November: shipped 12,345.67 + 8,000.00 = 20,345.67, collected 20,000.00 → balance 30,345.67
    assert (balance_oct, balance_nov, collected_nov) == (fen("30,000.00"), fen("30,345.67"), fen("20,000.00"))
    assert october["journal"].data.editions[0].total == balance_oct
    assert november["journal"].data.editions[0].total == balance_nov - balance_oct + collected_nov == fen("20,345.67")


def test_a_month_that_is_no_month_is_one_error_and_no_journal():
    out = journal.build(helpers.context(three_shipments(), NINE, MONTH_END, month="2026-13"))
    assert out.workbooks == [] and [p.field for p in out.problems] == ["--month"]
