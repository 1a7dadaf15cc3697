"""Real files, read as they are (issue 16): merged amounts, formulas never calculated, WPS and CSV files,
rows kept over optional fields, real headers. Every case is a real workbook written here and read back."""

from __future__ import annotations

import zipfile
from datetime import datetime

from neiqin_xl.core.config import Settings
from neiqin_xl.core.model import ERROR
from neiqin_xl.core.schema import REP_SHEETS
from neiqin_xl.read.intake import read_workbook

from .helpers_intake import COLLECTION_HEADER, SHIPMENT_HEADER, write_book


def read(path, rep="张伟", settings=None):
    return read_workbook(path, REP_SHEETS, settings or Settings(), rep=rep)


def test_an_amount_merged_down_two_rows_is_an_error_on_each_row_and_never_counted(tmp_path):
    # One ¥50,000 receipt merged over D2:D3 (two contracts): read on each row it would add ¥100,000.
    # The customer merged over B2:B4 fills its rows; row 4's own ¥8,000 is read.
    path = write_book(tmp_path / "张伟.xlsx", {"回款": [
        COLLECTION_HEADER,
        [datetime(2026, 11, 3), None, "HT-1", None, "B001"],
        [datetime(2026, 11, 3), None, "HT-2", None, "B002"],
        [datetime(2026, 11, 4), None, "HT-3", 8000, "B003"],
    ]}, merges={"回款": [("B2:B4", "上海明达"), ("D2:D3", 50000)]})
    frames, problems, _ = read(path)
    assert frames["回款"]["回款金额"].tolist() == [800000]  # ¥8,000 = 800000 fen, and nothing of the ¥50,000
    assert frames["回款"]["客户名称"].tolist() == ["上海明达"]
    assert [(p.severity, p.where(), p.value, p.message) for p in problems] == [
        (ERROR, "张伟.xlsx[回款]!D2", "50000", "合并单元格的金额不能分到多行 (D2:D3)"),
        (ERROR, "张伟.xlsx[回款]!D3", "50000", "合并单元格的金额不能分到多行 (D2:D3)")]


def test_a_quantity_merged_down_is_not_taken_but_a_merged_date_and_contract_number_are(tmp_path):
    path = write_book(tmp_path / "张伟.xlsx", {"发货": [
        SHIPMENT_HEADER + ["数量"],
        ["FH-1", None, None, 1000, "已发货", None],
        ["FH-2", None, None, 2000, "已发货", None],
    ]}, merges={"发货": [("B2:B3", datetime(2026, 11, 5)), ("C2:C3", "HT-1"), ("F2:F3", 5)]})
    frames, problems, _ = read(path)
    assert [(p.where(), p.message) for p in problems] == [
        ("张伟.xlsx[发货]!F2", "合并单元格的数量不能分到多行 (F2:F3)"),
        ("张伟.xlsx[发货]!F3", "合并单元格的数量不能分到多行 (F2:F3)")]


def test_a_formula_never_calculated_is_a_problem_in_any_field_optional_or_not(tmp_path):
    # openpyxl writes formulas without their result, as a program that never opened the file in Excel.
    import openpyxl
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "合同"
    ws.append(["合同编号", "签订日期", "客户名称", "合同金额", "约定交货日期", "账期天数", "备注"])
    ws.append(["HT-1", datetime(2026, 11, 2), "明达", 1000, "=DATE(2026,12,28)", 30, "首单"])  # row 2: optional date
    ws.append(["HT-2", datetime(2026, 11, 3), "明达", "=D2*2", None, None, None])  # row 3: the amount
    ws.append(["HT-3", datetime(2026, 11, 4), "明达", 3000, None, "=30+15", '=IF(D4>1000,"大单","")'])  # row 4
    ws.append(["HT-4", datetime(2026, 11, 5), "明达", 4000, None, None, None])  # row 5: all typed
    path = tmp_path / "张伟.xlsx"
    wb.save(path)
    frames, problems, _ = read(path)
    assert sorted((p.where(), p.field, p.value, p.message) for p in problems) == [
        ("张伟.xlsx[合同]!D3", "合同金额", "=D2*2", "公式没有计算结果 (文件保存时未计算)"),
        ("张伟.xlsx[合同]!E2", "约定交货日期", "=DATE(2026,12,28)", "公式没有计算结果 (文件保存时未计算)"),
        ("张伟.xlsx[合同]!F4", "账期天数", "=30+15", "公式没有计算结果 (文件保存时未计算)"),
        ("张伟.xlsx[合同]!G4", "备注", '=IF(D4>1000,"大单","")', "公式没有计算结果 (文件保存时未计算)")]
    assert frames["合同"]["合同编号"].tolist() == ["HT-4"]


def test_a_formula_whose_result_is_empty_text_is_a_blank_not_a_problem(tmp_path):
    # Excel stores =IF(…,"",…) giving "" as t="str" with an empty <v>: a calculated blank. xlsxwriter leaves
    # out t="str", so the sheet's XML is given it as Excel writes it.
    from .helpers_intake import Formula
    written = write_book(tmp_path / "written.xlsx", {"合同": [
        ["合同编号", "签订日期", "客户名称", "合同金额", "备注"],
        ["HT-1", datetime(2026, 11, 2), "明达", 1000, Formula('=IF(D2>5000,"大单","")', "")]]})
    path = tmp_path / "张伟.xlsx"
    with zipfile.ZipFile(written) as src, zipfile.ZipFile(path, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                assert b'<c r="E2"><f>' in data
                data = data.replace(b'<c r="E2"><f>', b'<c r="E2" t="str"><f>')
            dst.writestr(item, data)
    frames, problems, _ = read(path)
    assert problems == [] and frames["合同"]["合同编号"].tolist() == ["HT-1"]
