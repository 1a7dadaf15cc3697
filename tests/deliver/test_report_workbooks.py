"""Issue 3's workbooks end to end: hand tables -> build (fulfilment, receivables, statements, shipping in the
pipeline's order) -> writer.write_workbook -> read back with openpyxl.

Checked in every file: sheet names, headers, totals rows equal to the sums of their columns, and no formula
cell without a cached value (what Protected View, phone previews and other programs show).
"""

import json
import re
from datetime import date

import openpyxl

from neiqin_xl.reports import statements
import pytest

from neiqin_xl.core.config import settings_from_dict
from neiqin_xl.deliver.writer import write_workbook

from ..helpers import context, reports, table, tables

D = date(2026, 11, 26)
S = settings_from_dict({"company": {"name": "华东贸易有限公司", "contact": "王敏"}})


def hand_tables():
    # HT1 明达 张伟 10,000 款到发货, agreed 11-01; HT2 明达 张伟 5,000 月结; HT3 宏远 李娜 8,000.
    # shipped: HT1 4,000 (10-10), HT2 5,000 (11-01), HT3 8,000 (06-01); requests: HT1 3,000, HT2 2,000, HT3 1,000.
    # collections: 明达 6,000 without contract (11-10) -> HT1 4,000 + HT2 2,000; 明达 2,500 naming HT1 (11-20) -> HT1
    # credit; 宏远 3,000 naming HT3 (07-15) -> HT3 open 5,000.
    return tables(
        合同=table("合同", [
            {"合同编号": "HT1", "签订日期": "2026-09-01", "客户名称": "明达", "合同金额": "10,000", "付款方式": "款到发货",
             "约定交货日期": "2026-11-01"},
            {"合同编号": "HT2", "签订日期": "2026-10-01", "客户名称": "明达", "合同金额": "5,000", "付款方式": "月结"},
            {"合同编号": "HT3", "签订日期": "2026-05-01", "客户名称": "宏远", "合同金额": "8,000", "业务员": "李娜"}]),
        发货=table("发货", [
            {"发货日期": "2026-10-10", "发货单号": "FH1", "合同编号": "HT1", "发货金额": "4,000", "客户名称": "明达"},
            {"发货日期": "2026-11-01", "发货单号": "FH2", "合同编号": "HT2", "发货金额": "5,000", "客户名称": "明达"},
            {"发货日期": None, "状态": "待发货", "合同编号": "HT1", "发货金额": "3,000", "客户名称": "明达"},
            {"发货日期": None, "状态": "待发货", "合同编号": "HT2", "发货金额": "2,000", "客户名称": "明达"},
            {"发货日期": "2026-06-01", "发货单号": "FH3", "合同编号": "HT3", "发货金额": "8,000", "客户名称": "宏远", "业务员": "李娜"},
            {"发货日期": None, "状态": "待发货", "合同编号": "HT3", "发货金额": "1,000", "客户名称": "宏远", "业务员": "李娜"}]),
        开票=table("开票", [
            {"发票号码": "0001", "开票日期": "2026-11-02", "合同编号": "HT2", "开票金额": "5,000", "客户名称": "明达"},
            {"发票号码": "0002", "开票日期": "2026-06-02", "合同编号": "HT3", "开票金额": "8,000", "客户名称": "宏远",
             "业务员": "李娜"}]),
        回款=table("回款", [
            {"回款日期": "2026-11-10", "客户名称": "明达", "回款金额": "6,000", "银行流水号": "B1"},
            {"回款日期": "2026-11-20", "客户名称": "明达", "合同编号": "HT1", "回款金额": "2,500", "银行流水号": "B2"},
            {"回款日期": "2026-07-15", "客户名称": "宏远", "合同编号": "HT3", "回款金额": "3,000", "业务员": "李娜"}]),
        客户=table("客户", [{"客户名称": "明达", "信用额度": "20,000", "账期天数": 30, "负责业务员": "张伟"},
                          {"客户名称": "宏远", "信用额度": "10,000", "账期天数": 60, "负责业务员": "李娜"}]))


def build_all(t, day=D):
    return reports(context(t, S, day), "fulfilment", "receivables", "statements", "shipping")


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    out_dir = tmp_path_factory.mktemp("out")
    outputs = build_all(hand_tables())
    files = {name: [write_workbook(spec, out_dir).path for spec in out.workbooks] for name, out in outputs.items()}
    return outputs, files, out_dir


def header_row(ws, first_header):
    return next(c.row for c in ws["A"] if c.value == first_header)


def headers(ws, row):
    return [c.value for c in ws[row] if c.value is not None]


def where(path, ws, cell):
    return f"{path.name}[{ws.title}]!{cell.coordinate}"


def test_every_formula_has_a_value_and_every_total_is_its_column_sum(written):
    _, files, _ = written
    checked = 0
    for path in [p for paths in files.values() for p in paths]:
        formulas, values = openpyxl.load_workbook(path), openpyxl.load_workbook(path, data_only=True)
        for ws in formulas.worksheets:
            shown = values[ws.title]
            for row in ws.iter_rows():
                for cell in row:
                    if not (isinstance(cell.value, str) and cell.value.startswith("=")):
                        continue
                    cached = shown[cell.coordinate].value
                    assert cached is not None, f"{where(path, ws, cell)}: 公式 {cell.value} 没有缓存值"
                    m = re.fullmatch(r"=SUBTOTAL\(109,([A-Z]+)(\d+):([A-Z]+)(\d+)\)", cell.value)
                    assert m, f"{where(path, ws, cell)}: 意外的公式 {cell.value}"
                    column_sum = sum(shown[f"{m[1]}{r}"].value or 0 for r in range(int(m[2]), int(m[4]) + 1))
                    assert cached == pytest.approx(column_sum, abs=0.001), \
                        f"{where(path, ws, cell)}: 得到 {cached:.2f}, 期望 {column_sum:.2f}"
                    checked += 1
    assert checked > 20


def test_fulfilment_workbook(written):
    outputs, files, _ = written
    path = files["fulfilment"][0]
    assert path.name == "合同履行一览表_2026-11-26.xlsx"
    wb = openpyxl.load_workbook(path, data_only=True)
    assert wb.sheetnames == ["合同履行一览表", "交货逾期", "未回款", "履行明细", "按业务员汇总"]
    # the follow-up sheets: HT1 late; shipped more than collected: HT2 (5,000 / 2,000), HT3 (8,000 / 3,000)
    assert wb["交货逾期"].cell(header_row(wb["交货逾期"], "合同编号") + 1, 1).value == "HT1"
    unpaid = wb["未回款"]
    assert [unpaid.cell(header_row(unpaid, "合同编号") + i, 1).value for i in (1, 2, 3)] == ["HT3", "HT2", "合计"]
    ws = wb["合同履行一览表"]
    top = header_row(ws, "合同编号")
    assert headers(ws, top) == ["合同编号", "客户名称", "业务员", "签订日期", "合同金额", "已发货金额", "发货进度", "已开票金额",
                                "已回款金额", "回款进度", "未回款金额", "约定交货日期", "最后发货日期", "状态", "交货逾期天数"]
    # HT1: shipped 4,000, collected 4,000 + the 2,500 credit naming it = 6,500; past 11-01 -> 交货逾期 25 days
    # HT2: shipped 5,000 (full), collected 2,000 -> 已发货; HT3: shipped 8,000 (full), collected 3,000 -> 已发货
    rows = {ws.cell(r, 1).value: [ws.cell(r, c).value for c in range(1, 16)] for r in range(top + 1, top + 4)}
    assert rows["HT1"][8] == 6500 and rows["HT1"][13:15] == ["交货逾期", 25]
    assert rows["HT1"][6] == pytest.approx(0.4) and ws.cell(top + 1, 7).number_format == "0.0%"
    assert (rows["HT2"][8], rows["HT2"][13], rows["HT3"][8], rows["HT3"][13]) == (2000, "已发货", 3000, "已发货")
    total = top + 4
    # totals: contracts 23,000, shipped 17,000, invoiced 13,000, collected 11,500, uncollected 11,500
    assert ws.cell(total, 1).value == "合计"
    assert [ws.cell(total, c).value for c in (5, 6, 8, 9, 11)] == [23000, 17000, 13000, 11500, 11500]
    assert ws.cell(top + 1, 5).number_format.startswith("#,##0.00")
    assert headers(wb["按业务员汇总"], header_row(wb["按业务员汇总"], "业务员")) == \
        ["业务员", "合同数", "合同金额", "已发货金额", "已开票金额", "已回款金额", "未回款金额"]
    detail = wb["履行明细"]
    assert headers(detail, header_row(detail, "合同编号"))[:10] == \
        ["合同编号", "客户名称", "业务员", "日期", "事项", "单据号", "金额", "累计发货", "累计开票", "累计回款"]
    figs = outputs["fulfilment"].figures
    assert figs["contracts_by_status"] == {"交货逾期": 1, "未执行": 0, "执行中": 0, "已发货": 2, "已完成": 0}
    assert (figs["contract_amount_fen"], figs["collected_fen"]) == (2300000, 1150000)


def test_receivables_workbook(written):
    outputs, files, _ = written
    wb = openpyxl.load_workbook(files["receivables"][0], data_only=True)
    assert files["receivables"][0].name == "应收账款明细账_2026-11-26.xlsx"
    assert wb.sheetnames == ["账龄分析", "信用额度", "明细账", "核销明细", "按业务员汇总", "已结清"]
    ws = wb["账龄分析"]
    top = header_row(ws, "客户名称")
    # 12 columns, amounts to the whole yuan (the cells keep the fen): A4 landscape at a readable size; the credit
    # columns are on 信用额度
    assert headers(ws, top) == ["客户名称", "业务员", "应收余额", "预收款", "0-30天", "31-60天", "61-90天", "91-180天",
                                "181-365天", "365天以上", "逾期金额", "最长逾期天数"]
    # 宏远: HT3 open 5,000 shipped 06-01, age 29+31+31+30+31+26 = 178 -> 91-180天; due 07-31 -> 118 days overdue.
    # 明达: HT2 open 3,000 (11-01, age 25 -> 0-30天, due 12-01) less the 2,500 credit -> 应收余额 500, 预收款 2,500.
    # 宏远 first (the most overdue); a zero in the columns after 应收余额 is shown blank
    rows = {ws.cell(r, 1).value: [ws.cell(r, c).value for c in range(1, 13)] for r in (top + 1, top + 2)}
    assert ws.cell(top + 1, 1).value == "宏远"
    assert rows["宏远"][2:4] == [5000, None] and rows["宏远"][7] == 5000 and rows["宏远"][10:12] == [5000, 118]
    assert rows["明达"][2:5] == [500, 2500, 3000] and rows["明达"][10:12] == [None, None]
    assert ws.cell(top + 1, 3).number_format == "#,##0;[Red]-#,##0"
    assert ws.cell(top + 3, 1).value == "合计" and ws.cell(top + 3, 3).value == 5500
    rules = {str(r.sqref) for r in openpyxl.load_workbook(files["receivables"][0])["账龄分析"].conditional_formatting}
    assert {f"K{top + 1}:K{top + 2}", f"L{top + 1}:L{top + 2}"} <= rules  # 逾期金额, 最长逾期天数 highlighted
    credit = wb["信用额度"]
    assert headers(credit, header_row(credit, "客户名称")) == ["客户名称", "业务员", "信用额度", "账期天数", "应收余额", "逾期金额",
                                                          "超信用额度", "未到期质保金"]
    assert credit.cell(header_row(credit, "客户名称") + 1, 5).number_format.startswith("#,##0.00")
    ledger = wb["明细账"]
    assert headers(ledger, header_row(ledger, "客户名称")) == \
        ["客户名称", "日期", "单据类型", "单据号", "合同编号", "摘要", "借方", "贷方", "余额", "业务员", "来源"]
    figs = outputs["receivables"].figures
    assert (figs["receivable_balance_fen"], figs["prepayments_fen"], figs["aging_0_30_fen"], figs["aging_91_180_fen"],
            figs["overdue_fen"]) == (550000, 250000, 300000, 500000, 500000)
    assert headers(wb["按业务员汇总"], header_row(wb["按业务员汇总"], "业务员"))[:4] == ["业务员", "客户数", "应收余额", "预收款"]


def test_statement_workbooks(written):
    # run on 11-26: the letters confirm October; the archive has no 客户编码: the code is the name's hash
    outputs, files, out_dir = written
    codes = statements.customer_codes(["宏远", "明达"], {})
    assert sorted(p.relative_to(out_dir).as_posix() for p in files["statements"]) == \
        [f"对账函/宏远_对账函_DZ-202610-{codes['宏远']}.xlsx", f"对账函/明达_对账函_DZ-202610-{codes['明达']}.xlsx"]
    for path in files["statements"]:
        wb = openpyxl.load_workbook(path, data_only=True)
        assert wb.sheetnames == ["对账函"]
        ws = wb["对账函"]
        assert ws.page_setup.orientation == "portrait" and ws.sheet_properties.pageSetUpPr.fitToPage
        assert any(isinstance(c.value, str) and c.value.startswith("贵司（盖章）") for c in ws["A"])
    assert outputs["statements"].deliveries == []


def test_shipping_workbook(written):
    outputs, files, _ = written
    path = files["shipping"][0]
    assert path.name == "发货审核_2026-11-26.xlsx"
    wb = openpyxl.load_workbook(path, data_only=True)
    ws = wb["发货审核"]
    top = header_row(ws, "合同编号")
    assert headers(ws, top) == ["合同编号", "客户名称", "业务员", "产品名称", "数量", "要求日期", "日期依据", "申请发货金额",
                                "付款方式", "合同已回款", "合同已发货", "可用预收", "信用额度", "当前应收", "逾期金额", "结论", "原因",
                                "来源"]
    # HT1 款到发货 3,000: 可用预收 2,500 -> 暂缓. HT2 月结 2,000: 明达 500 + 2,000 <= 20,000, nothing overdue -> 可发货
    # (its 可用预收 is 0: the 2,500 credit names HT1, and 明达 has no customer-level credit).
    # HT3 1,000: 宏远 5,000 + 1,000 <= 10,000 but 118 days overdue > 30 -> 暂缓.
    verdicts = {ws.cell(r, 1).value: (ws.cell(r, 12).value, ws.cell(r, 16).value) for r in range(top + 1, top + 4)}
    assert verdicts == {"HT1": (2500, "暂缓"), "HT2": (0, "可发货"), "HT3": (0, "暂缓")}
    rules = openpyxl.load_workbook(path)["发货审核"].conditional_formatting
    assert any('"暂缓"' in f for r in rules for rule in r.rules for f in rule.formula)
    out = outputs["shipping"]
    assert (out.figures["shipping_allowed"], out.figures["shipping_held"]) == (1, 2)
    assert [(d.report, d.title, [str(a) for a in d.attachments]) for d in out.deliveries] == \
        [("shipping", "发货审核", ["发货审核_2026-11-26.xlsx"])]
    assert len(out.data.held) == 2


def test_figures_are_json_and_money_keys_end_in_fen(written):
    outputs, _, _ = written
    for out in outputs.values():
        json.dumps(out.figures)
        assert all(isinstance(v, int) for k, v in out.figures.items() if k.endswith("_fen"))


def test_an_empty_workspace_gives_empty_but_valid_workbooks(tmp_path):
    outputs = build_all(tables())
    assert outputs["statements"].workbooks == [] and outputs["shipping"].deliveries == []
    for name in ("fulfilment", "receivables", "shipping"):
        for spec in outputs[name].workbooks:
            path = write_workbook(spec, tmp_path).path
            assert openpyxl.load_workbook(path, data_only=True).sheetnames
    assert outputs["receivables"].figures["receivable_balance_fen"] == 0
