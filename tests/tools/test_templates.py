"""Tests for the Excel templates reps fill (neiqin_xl/templates_gen.py): sheets and headers equal the schema,
validations and input messages, the hidden 列表, the 说明 sheet, master templates, names read from master."""

from __future__ import annotations

from datetime import date

import openpyxl
import pytest
from xlsxwriter.utility import xl_col_to_name

from neiqin_xl.tools.demo import generate_demo
from neiqin_xl.core.schema import (ATTENDANCE, CUSTOMERS, DATE, FEEDBACK, INT, MONEY, NUMBER, PRODUCTS, RECEIPTS, REP_SHEETS, STAFF,
                                   TARGETS)
from neiqin_xl.tools.templates import (HELP_SHEET, LIST_SHEET, read_master_lists, rep_template_filename,
                                     write_all_templates, write_master_templates, write_rep_template)

CUSTOMER_NAMES = ["上海明达贸易有限公司", "杭州恒远科技有限公司", "南京华信（集团）有限公司"]
PRODUCT_NAMES = ["工业控制器 IC-200", "变频器 VF-7.5"]


@pytest.fixture()
def template(tmp_path) -> openpyxl.Workbook:
    path = write_rep_template(tmp_path / "业务员台账模板.xlsx", CUSTOMER_NAMES, PRODUCT_NAMES)
    return openpyxl.load_workbook(path)


def validations(ws) -> dict[str, object]:
    """Data validations of a sheet by their cell range."""
    return {str(dv.sqref): dv for dv in ws.data_validations.dataValidation}


def test_sheets_and_headers_equal_schema(template):
    assert template.sheetnames == [s.name for s in REP_SHEETS] + [HELP_SHEET, LIST_SHEET]
    for sheet in REP_SHEETS:
        ws = template[sheet.name]
        assert [c.value for c in ws[1]] == sheet.columns, sheet.name
        assert ws.max_row == 1, f"{sheet.name}: 模板不应有数据行"
        assert ws.freeze_panes == "A2", sheet.name
    assert template[LIST_SHEET].sheet_state == "hidden"


def test_required_headers_coloured_and_messages(template):
    ws = template["合同"]
    fills = {c.value: c.fill.fgColor.rgb for c in ws[1]}
    assert fills["合同编号"] != fills["备注"]  # required orange, optional blue
    assert fills["合同编号"] == fills["合同金额"]
    dvs = validations(ws)
    assert dvs["A1"].prompt.startswith("必填") and dvs["A1"].promptTitle == "合同编号"
    assert dvs["J1"].prompt.startswith("选填")
    ws = template["发货"]
    assert "待发货" in validations(ws)["B2:B1001"].prompt  # the schema's note for 发货日期
    ws = template["回款"]  # 核销单号, the 10th column (issue 30): optional, with what to type in it
    assert ws["J1"].value == "核销单号" and validations(ws)["J2:J1001"].prompt.startswith("选填")
    assert "发货单号" in validations(ws)["J2:J1001"].prompt and "先核销这一张" in validations(ws)["J2:J1001"].prompt


def test_validations_by_kind(template):
    for sheet in REP_SHEETS:
        dvs = validations(template[sheet.name])
        for i, f in enumerate(sheet.fields):
            col = xl_col_to_name(i)
            dv = dvs[f"{col}2:{col}1001"]
            if f.kind == DATE:
                assert dv.type == "date", f"{sheet.name}!{col}: {f.name}"
            elif f.kind in (MONEY, NUMBER):
                assert (dv.type, dv.operator, dv.formula1) == ("decimal", "greaterThanOrEqual", "0"), f.name
            elif f.kind == INT:
                assert dv.type == "whole", f.name
            elif f.choices:
                assert dv.type == "list" and dv.formula1 == '"' + ",".join(f.choices) + '"', f.name
    dvs = validations(template["合同"])
    assert dvs["G2:G1001"].formula1 == '"款到发货,货到付款,月结,分期,预付+尾款,质保金"'
    assert dvs["C2:C1001"].formula1 == "列表!$A$2:$A$4"  # customers from the hidden sheet
    assert dvs["C2:C1001"].errorStyle == "warning"  # a new customer can still be typed
    assert dvs["D2:D1001"].formula1 == "列表!$B$2:$B$3"
    lists = template[LIST_SHEET]
    assert [lists.cell(r, 1).value for r in range(2, 5)] == CUSTOMER_NAMES
    assert [lists.cell(r, 2).value for r in range(2, 4)] == PRODUCT_NAMES
    assert validations(template["日报"])["C2:C1001"].formula1 == '"拜访,电话,会议,其他"'
    assert validations(template["费用"])["B2:B1001"].formula1 == '"交通,住宿,餐补,招待,其他"'


def test_feedback_sheet_drop_downs(template):
    # 反馈: 日期 客户名称 类型 合同编号 产品 内容 处理人 状态 完成日期 满意度 备注 = columns A..K
    assert [c.value for c in template["反馈"][1]] == ["日期", "客户名称", "类型", "合同编号", "产品", "内容", "处理人", "状态",
                                                    "完成日期", "满意度", "备注"]
    dvs = validations(template["反馈"])
    assert dvs["C2:C1001"].formula1 == '"咨询,投诉,建议,回访,满意度调查"'
    assert dvs["H2:H1001"].formula1 == '"待处理,处理中,已解决,已回复客户"'
    assert dvs["E2:E1001"].formula1 == "列表!$B$2:$B$3"  # 产品 from the product list, like 产品名称
    score = dvs["J2:J1001"]
    assert (score.type, score.formula1, score.formula2) == ("whole", "1", "5")  # between, Excel's default operator
    assert score.operator in (None, "between")
    assert "1 (很不满意) 到 5 (很满意)" in score.prompt


def test_help_sheet_lists_every_field(template):
    rows = [r for r in template[HELP_SHEET].iter_rows(values_only=True)]
    described = {(r[0], r[1]) for r in rows if r[0] and r[1]}
    for sheet in REP_SHEETS:
        assert (sheet.name, sheet.description) in described
        for f in sheet.fields:
            assert (sheet.name, f.name) in described, f"{sheet.name}.{f.name}"
    row = next(r for r in rows if r[:2] == ("合同", "合同编号"))
    assert row[2] == "必填" and "合同号" in row[5]


def test_without_lists_no_lookup_sheet(tmp_path):
    wb = openpyxl.load_workbook(write_rep_template(tmp_path / "t.xlsx", [], []))
    assert LIST_SHEET not in wb.sheetnames
    assert validations(wb["合同"])["C2:C1001"].type is None  # only the input message


def test_rep_copy(tmp_path):
    assert rep_template_filename("张伟") == "业务员台账_张伟.xlsx"
    assert rep_template_filename(None) == "业务员台账模板.xlsx"
    path = write_rep_template(tmp_path / rep_template_filename("张伟"), CUSTOMER_NAMES, PRODUCT_NAMES, rep="张伟")
    wb = openpyxl.load_workbook(path)
    assert "张伟" in wb.properties.title
    assert [c.value for c in wb["合同"][1]] == REP_SHEETS[0].columns  # header still on row 1
    assert "张伟" in wb[HELP_SHEET]["A2"].value


def test_master_templates(tmp_path):
    paths = write_master_templates(tmp_path)
    assert [p.name for p in paths] == ["客户档案模板.xlsx", "产品目录模板.xlsx", "人员模板.xlsx", "考勤模板.xlsx",
                                       "客户服务模板.xlsx", "对账回执模板.xlsx"]
    expected = [(CUSTOMERS,), (PRODUCTS,), (STAFF, TARGETS), (ATTENDANCE,), (FEEDBACK,), (RECEIPTS,)]
    for path, sheets in zip(paths, expected):
        wb = openpyxl.load_workbook(path)
        assert wb.sheetnames == [s.name for s in sheets] + [HELP_SHEET]
        for s in sheets:
            assert [c.value for c in wb[s.name][1]] == s.columns
            assert wb[s.name].freeze_panes == "A2"
    customers = openpyxl.load_workbook(paths[0])["客户"]
    assert validations(customers)["D2:D1001"].type == "decimal"  # 信用额度
    receipts = openpyxl.load_workbook(paths[-1])["回执"]
    assert [c.value for c in receipts[1]] == ["对账编号", "回执日期", "结果", "客户确认余额", "不符金额", "说明", "附件"]
    assert validations(receipts)["C2:C1001"].formula1 == '"相符,不符"'  # 结果: a drop-down of the two answers


def test_write_all_templates_reads_master(tmp_path):
    ws = tmp_path / "ws"
    generate_demo(ws, date(2026, 11, 26))
    customers, products = read_master_lists(ws / "master")
    assert len(customers) == 40 and "上海明达贸易有限公司" in customers
    assert "南京华信(集团)有限公司" in customers  # normalised as the reader does
    assert len(products) == 12
    paths = write_all_templates(tmp_path / "templates", ws / "master", "王强")
    assert paths[0].name == "业务员台账_王强.xlsx" and len(paths) == 7  # the rep's and six master templates
    wb = openpyxl.load_workbook(paths[0])
    assert validations(wb["回款"])["B2:B1001"].formula1 == "列表!$A$2:$A$41"
    assert wb[LIST_SHEET].cell(41, 1).value == customers[-1]


def test_write_all_templates_without_master(tmp_path):
    paths = write_all_templates(tmp_path / "templates", tmp_path / "nowhere", None)
    assert paths[0].name == "业务员台账模板.xlsx"
    assert LIST_SHEET not in openpyxl.load_workbook(paths[0]).sheetnames
    assert read_master_lists(None) == ([], [])
