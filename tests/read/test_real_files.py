"""Real files, read as they are (issue 16): merged amounts, formulas never calculated, WPS and CSV files,
rows kept over optional fields, real headers. Every case is a real workbook written here and read back."""

from __future__ import annotations

import shutil
import zipfile
from datetime import date, datetime
from pathlib import Path

import pandas as pd
import pytest
import yaml

from neiqin_xl.core.config import Settings
from neiqin_xl.core.model import ERROR, WARNING
from neiqin_xl.core.schema import REP_SHEETS
from neiqin_xl.read.folders import rep_of, rep_workbooks
from neiqin_xl.read.intake import read_workbook, read_workspace

from ..helpers_intake import COLLECTION_HEADER, SHIPMENT_HEADER, workspace, write_book

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


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
    # 数量 is optional: its merged rows are warnings and read as blank; the shipments stay, with the merged
    # date and contract number, and their own amounts (¥1,000 and ¥2,000).
    path = write_book(tmp_path / "张伟.xlsx", {"发货": [
        SHIPMENT_HEADER + ["数量"],
        ["FH-1", None, None, 1000, "已发货", None],
        ["FH-2", None, None, 2000, "已发货", None],
    ]}, merges={"发货": [("B2:B3", datetime(2026, 11, 5)), ("C2:C3", "HT-1"), ("F2:F3", 5)]})
    frames, problems, _ = read(path)
    assert [(p.severity, p.where(), p.message) for p in problems] == [
        (WARNING, "张伟.xlsx[发货]!F2", "合并单元格的数量不能分到多行 (F2:F3), 按空白读取"),
        (WARNING, "张伟.xlsx[发货]!F3", "合并单元格的数量不能分到多行 (F2:F3), 按空白读取")]
    shipments = frames["发货"]
    assert shipments["发货日期"].tolist() == [datetime(2026, 11, 5)] * 2
    assert shipments["合同编号"].tolist() == ["HT-1"] * 2 and shipments["发货金额"].tolist() == [100000, 200000]
    assert shipments["数量"].isna().all()


def test_a_formula_never_calculated_is_a_problem_in_any_field_optional_or_not(tmp_path):
    # openpyxl writes formulas without their result, as a program that never opened the file in Excel.
    # In the required 合同金额 it is an error and row 3 is out; in optional fields a warning, read as blank.
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
    message = "公式没有计算结果 (文件保存时未计算)"
    assert sorted((p.where(), p.severity, p.field, p.value, p.message) for p in problems) == [
        ("张伟.xlsx[合同]!D3", ERROR, "合同金额", "=D2*2", message),
        ("张伟.xlsx[合同]!E2", WARNING, "约定交货日期", "=DATE(2026,12,28)", message + ", 按空白读取"),
        ("张伟.xlsx[合同]!F4", WARNING, "账期天数", "=30+15", message + ", 按空白读取"),
        ("张伟.xlsx[合同]!G4", WARNING, "备注", '=IF(D4>1000,"大单","")', message + ", 按空白读取")]
    contracts = frames["合同"]
    assert contracts["合同编号"].tolist() == ["HT-1", "HT-3", "HT-4"]
    assert contracts["约定交货日期"].isna().all() and contracts["账期天数"].tolist()[1] is pd.NA


def test_a_formula_whose_result_is_empty_text_is_a_blank_not_a_problem(tmp_path):
    # Excel stores =IF(…,"",…) giving "" as t="str" with an empty <v>: a calculated blank. xlsxwriter leaves
    # out t="str", so the sheet's XML is given it as Excel writes it.
    from ..helpers_intake import Formula
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


def test_wps_et_and_ett_are_read_as_the_xls_they_are(tmp_path):
    # WPS's .et is BIFF8: the 李娜.xls fixture (made by LibreOffice) under WPS's names.
    for suffix in ("et", "ett"):
        path = tmp_path / f"李娜.{suffix}"
        shutil.copy(FIXTURES / "李娜.xls", path)
        frames, problems, info = read(path, rep="李娜")
        assert problems == [] and info["status"] == "ok", suffix
        assert frames["合同"]["合同金额"].tolist() == [123450, 2000000], suffix  # ¥1,234.50 and 20000 yuan
        assert frames["回款"]["回款金额"].tolist() == [1200000], suffix


def test_excel_templates_xltx_and_xltm_are_read(tmp_path):
    for suffix in ("xltx", "xltm"):
        path = write_book(tmp_path / f"张伟.{suffix}", {"回款": [
            COLLECTION_HEADER, [datetime(2026, 11, 3), "明达", "HT-1", 5000, "B001"]]})
        frames, problems, _ = read(path)
        assert problems == [] and frames["回款"]["回款金额"].tolist() == [500000], suffix


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_a_csv_is_one_sheet_named_by_its_file_in_utf8_or_gbk(tmp_path, encoding):
    text = "回款日期,客户名称,合同编号,回款金额,银行流水号\r\n2026-11-03,上海明达,HT-1,\"1,234.50\",00123\r\n"
    path = tmp_path / "张伟_回款.csv"
    path.write_bytes(text.encode(encoding))
    frames, problems, _ = read(path, rep=rep_of(path))
    assert problems == []
    collections = frames["回款"]
    assert collections["回款金额"].tolist() == [123450]  # ¥1,234.50
    assert collections["客户名称"].tolist() == ["上海明达"] and collections["银行流水号"].tolist() == ["00123"]
    assert collections["业务员"].tolist() == ["张伟"] and collections["来源工作表"].tolist() == ["回款"]


def test_a_csv_named_only_by_its_rep_is_the_sheet_its_header_says(tmp_path):
    path = tmp_path / "张伟.csv"
    path.write_bytes("合同编号,签订日期,客户名称,合同金额\n HT-9,2026/11/02,明达,8000\n".encode("gbk"))
    frames, problems, _ = read(path, rep=rep_of(path))
    assert problems == [] and frames["合同"]["合同金额"].tolist() == [800000]


def test_a_csv_in_neither_encoding_is_one_error(tmp_path):
    path = tmp_path / "张伟_回款.csv"
    path.write_bytes(b"\xff\xfe\x00\x81\xff")
    _, problems, info = read(path)
    assert info["status"] == "error" and [p.message for p in problems] == [
        "文本文件的编码无法识别 (应为 UTF-8、GBK 或 UTF-16), 请用 Excel 打开并另存为 .xlsx"]


def test_other_files_in_reps_workbooks_of_other_programs_are_the_reps_and_the_rest_are_no_ones(tmp_path):
    settings = workspace(tmp_path)
    reps = settings.folder("reps")
    (reps / "王强.numbers").write_bytes(b"PK\x03\x04")
    (reps / "李娜.pdf").write_bytes(b"%PDF-1.4")
    (reps / "说明.txt").write_bytes("每月 5 日前更新台账。请勿改动表头。".encode("gbk"))
    (reps / "Thumbs.db").write_bytes(b"\x00")
    shutil.copy(FIXTURES / "李娜.xls", reps / "李娜.et")
    (reps / "张伟_回款.csv").write_bytes("回款日期,客户名称,回款金额\n2026-11-03,明达,100\n".encode("gbk"))
    tables, problems = read_workspace(settings)
    unsupported = [(p.severity, p.workbook, p.rep, p.message, p.suggestion) for p in problems if "不支持" in p.message]
    assert unsupported == [(WARNING, "王强.numbers", "王强", "不支持的文件格式 .numbers, 未读取", "请另存为 .xlsx")]
    # the PDF and the note are no rep's: one line for the clerk (rep blank), naming both
    (others,) = [p for p in problems if "不是台账" in p.message]
    assert (others.severity, others.rep) == (WARNING, "")
    assert others.message == "业务员台账文件夹中有 2 个不是台账的文件, 未读取: 李娜.pdf、说明.txt"
    assert sorted(set(tables["回款"]["业务员"])) == ["张伟", "李娜"]  # the CSV's and the .et's
    # the reminders see every rep's workbook: 王强's is there (in a format to re-save, as the 问题清单 says)
    assert rep_workbooks(reps) == {"张伟": reps / "张伟_回款.csv", "李娜": reps / "李娜.et", "王强": reps / "王强.numbers"}


def test_optional_fields_that_do_not_parse_are_warnings_and_the_row_stays(tmp_path):
    # 数量 with a unit (2PCS, 1套, 3 台) is the number; 数量 "若干" and 签收日期 "下周" are warnings, read blank.
    path = write_book(tmp_path / "张伟.xlsx", {"发货": [
        SHIPMENT_HEADER + ["数量", "签收日期"],
        ["FH-1", datetime(2026, 11, 5), "HT-1", 1000, "已发货", "2PCS", None],  # row 2
        ["FH-2", datetime(2026, 11, 5), "HT-1", 2000, "已发货", "1套", None],  # row 3
        ["FH-3", datetime(2026, 11, 6), "HT-2", 3000, "已发货", "3 台", "下周"],  # row 4
        ["FH-4", datetime(2026, 11, 6), "HT-2", 4000, "已发货", "若干", None],  # row 5
        ["FH-5", "11.28", "HT-2", 5000, "已发货", 5, None],  # row 6: the required 发货日期 is still an error
    ]})
    frames, problems, _ = read(path)
    assert [(p.severity, p.where(), p.message) for p in problems] == [
        (WARNING, "张伟.xlsx[发货]!G4", "不是有效日期, 按空白读取"),
        (WARNING, "张伟.xlsx[发货]!F5", "不是有效数字, 按空白读取"),
        (ERROR, "张伟.xlsx[发货]!B6", "不是有效日期")]
    shipments = frames["发货"]
    assert shipments["发货单号"].tolist() == ["FH-1", "FH-2", "FH-3", "FH-4"]
    assert shipments["数量"].tolist()[:3] == [2.0, 1.0, 3.0] and pd.isna(shipments["数量"].tolist()[3])
    assert shipments["发货金额"].sum() == 1000000  # ¥1,000 + ¥2,000 + ¥3,000 + ¥4,000 = ¥10,000


def test_a_formula_amount_with_more_decimals_is_rounded_as_shown_but_typed_text_is_not(tmp_path):
    # 6466.594499999999 (a formula's result, shown 6,466.59) -> 646659 fen with a warning; 0.125 -> 0.13 half up;
    # the text "1.234" stays an error.
    from ..helpers_intake import Formula
    path = write_book(tmp_path / "张伟.xlsx", {"回款": [
        COLLECTION_HEADER,
        [datetime(2026, 11, 3), "明达", "HT-1", Formula("=5573.78*1.16", 6466.594499999999), "B1"],  # row 2
        [datetime(2026, 11, 3), "明达", "HT-1", 0.125, "B2"],  # row 3
        [datetime(2026, 11, 3), "明达", "HT-1", "1.234", "B3"],  # row 4
    ]})
    frames, problems, _ = read(path)
    assert [(p.severity, p.where(), p.value, p.message) for p in problems] == [
        (WARNING, "张伟.xlsx[回款]!D2", "6466.5945", "金额 6466.594499999999 超过两位小数, 按显示的 6466.59 读取"),
        (WARNING, "张伟.xlsx[回款]!D3", "0.125", "金额 0.125 超过两位小数, 按显示的 0.13 读取"),
        (ERROR, "张伟.xlsx[回款]!D4", "1.234", "金额超过两位小数 (不足一分)")]
    assert frames["回款"]["回款金额"].tolist() == [646659, 13]


def test_total_rows_anywhere_in_a_reps_sheet_are_skipped_and_counted(tmp_path):
    # a 小计 under each customer and a 合计 at the foot: skipped, counted in the file's entry, no problem listed
    path = write_book(tmp_path / "张伟.xlsx", {"回款": [
        COLLECTION_HEADER,
        [datetime(2026, 11, 3), "明达", "HT-1", 1000, "B1"],
        [None, "明达 小计", None, 1000, None],
        [datetime(2026, 11, 4), "华东", "HT-2", 2000, "B2"],
        ["小计", None, None, 2000, None],
        ["合计", None, None, 3000, None],
    ]})
    frames, problems, info = read(path)
    assert problems == [] and frames["回款"]["回款金额"].tolist() == [100000, 200000]
    assert info["total_rows"] == {"回款": 3}


def test_a_real_order_ledger_maps_by_its_own_sheet_name_and_headers_with_amounts_in_wan_yuan(tmp_path):
    # a 销售订单 sheet as real ledgers head it: 订单编号, 下单日期, 对方单位, 合同金额(万元), 交货期, and 销售员 as the
    # rep column. 12.5 万元 = ¥125,000 = 12500000 fen; 0.8 万元 = ¥8,000 = 800000 fen.
    path = write_book(tmp_path / "华东组.xlsx", {"销售订单": [
        ["订单编号", "下单日期", "对方单位", "合同金额（万元）", "交货期", "销售员"],
        ["DD-1", datetime(2026, 11, 2), "上海明达", 12.5, datetime(2026, 12, 20), "李娜"],
        ["DD-2", datetime(2026, 11, 9), "华东机电", "0.8", None, "王强"],
    ]})
    frames, problems, info = read(path, rep="华东组")
    assert problems == []
    contracts = frames["合同"]
    assert contracts["合同编号"].tolist() == ["DD-1", "DD-2"] and contracts["客户名称"].tolist() == ["上海明达", "华东机电"]
    assert contracts["合同金额"].tolist() == [12500000, 800000]
    assert contracts["约定交货日期"].tolist()[0] == datetime(2026, 12, 20)
    assert contracts["业务员"].tolist() == ["李娜", "王强"]
    assert info["columns"]["销售订单"]["合同金额"] == "D"


def test_real_collection_shipment_invoice_and_expense_headers(tmp_path):
    path = write_book(tmp_path / "张伟.xlsx", {
        "到账明细": [["到款日期", "付款单位", "实收金额", "结算方式"], [datetime(2026, 11, 3), "上海明达", 5000, "电汇"]],
        "出库明细": [["出货单号", "出货日期", "订单号", "出货数量", "出货金额", "承运商"],
                     ["CK-1", datetime(2026, 11, 4), "DD-1", "3台", 3000, "顺丰速运"]],
        "发票明细": [["发票号码", "开票日期", "合同编号", "含税金额"], ["00012345", datetime(2026, 11, 5), "DD-1", 3000]],
        "费用明细": [["报销日期", "报销类别", "出差地点", "费用金额"], [datetime(2026, 11, 6), "交通", "苏州", 120]],
    })
    frames, problems, _ = read(path)
    assert problems == []
    assert frames["回款"][["客户名称", "回款金额", "回款方式"]].values.tolist() == [["上海明达", 500000, "电汇"]]
    assert frames["发货"][["发货单号", "合同编号", "数量", "发货金额", "物流公司"]].values.tolist() == [
        ["CK-1", "DD-1", 3.0, 300000, "顺丰速运"]]
    assert frames["开票"]["开票金额"].tolist() == [300000] and frames["费用"]["城市"].tolist() == ["苏州"]


@pytest.mark.parametrize("values, customers", [
    (["上海明达", "华东机电"], ["上海明达", "华东机电"]),  # 单位 holds names: it is the customer
    (["台", "PCS"], None),  # unit codes: an ERP's unit of measure, and the customer column is missing
])
def test_danwei_alone_is_the_customer_only_when_its_values_are_not_unit_codes(tmp_path, values, customers):
    path = write_book(tmp_path / "张伟.xlsx", {"合同": [
        ["合同编号", "签订日期", "单位", "合同金额"],
        ["HT-1", datetime(2026, 11, 2), values[0], 1000],
        ["HT-2", datetime(2026, 11, 3), values[1], 2000]]})
    frames, problems, _ = read(path)
    if customers:
        assert problems == [] and frames["合同"]["客户名称"].tolist() == customers
    else:
        assert "合同" not in frames and [p.message for p in problems] == [
            "第 1 行表头缺少必填列: 客户名称, 整张表未读取; 看到的表头: 合同编号、签订日期、单位、合同金额"]


def test_danwei_gives_way_to_a_specific_customer_header(tmp_path):
    path = write_book(tmp_path / "张伟.xlsx", {"合同": [
        ["合同编号", "签订日期", "单位", "购货单位", "合同金额"],
        ["HT-1", datetime(2026, 11, 2), "上海分公司", "上海明达", 1000]]})
    frames, problems, _ = read(path)
    assert problems == [] and frames["合同"]["客户名称"].tolist() == ["上海明达"]


def test_missing_columns_name_the_headers_seen_the_nearest_one_and_the_config_line_that_maps_it(tmp_path):
    rows = [["到账时间", "付款单位", "回款金额"], [datetime(2026, 11, 3), "上海明达", 5000]]
    path = write_book(tmp_path / "张伟.xlsx", {"回款": rows})
    frames, problems, _ = read(path)
    # 到账时间 is no known header, but it is the one free column whose cells are dates: read, with a warning
    # naming it and the config block (nested under intake:) that confirms it
    assert frames["回款"]["回款金额"].tolist() == [500000]
    [problem] = problems
    assert (problem.severity, problem.field, problem.cell) == (WARNING, "回款日期", "A1")
    assert problem.message == '没有 回款日期 列; 按内容读取了 A 列 "到账时间" (前 1 个有值的单元格中 1 个像日期)'
    block = problem.suggestion.split("):\n", 1)[1]
    assert block == "intake:\n  column_aliases:\n    回款:\n      回款日期: [到账时间]"
    # the block, as printed, maps it
    frames, problems, _ = read(path, settings=Settings.model_validate(yaml.safe_load(block)))
    assert problems == [] and frames["回款"]["回款金额"].tolist() == [500000]


def test_a_sheet_without_any_known_header_shows_what_it_saw(tmp_path):
    path = write_book(tmp_path / "张伟.xlsx", {"回款": [["流水", "时间", "对方", "钱"], ["B1", "2026-11-03", "明达", 5]]})
    _, problems, _ = read(path)
    [problem] = problems
    assert problem.message == "前 15 行里找不到表头, 整张表未读取; 看到的表头: 流水、时间、对方、钱"
    # 时间 holds dates and 钱 amounts (found by their cells), 客户名称 the nearest header left: one block for all
    assert problem.suggestion.endswith("回款:\n      回款日期: [时间]\n      回款金额: [钱]\n      客户名称: [对方]")


@pytest.mark.slow
def test_the_whole_day_on_the_demo_with_the_cases_planted_leaves_the_other_reps_figures_unchanged(tmp_path):
    # Two copies of a small demo (3 reps: 张伟, 王强, 李娜; its 40 customers; half the rows); in one, new reps' files
    # carry every case. The demo reps' rows of every per-rep summary must be the same in both runs (张伟's but for
    # the collection below); the new reps' figures count what was read, and no more.
    import openpyxl

    from neiqin_xl.pipeline import RunOptions, run_day
    from neiqin_xl.tools.demo import generate_demo

    from ..helpers_intake import CONTRACT_HEADER, Formula

    run_date = date(2026, 11, 30)
    base, planted = tmp_path / "base", tmp_path / "planted"
    for ws in (base, planted):
        generate_demo(ws, run_date, reps=3, rows_scale=0.5)
    reps = planted / "reps"
    customer = "苏州测试机电有限公司"
    write_book(reps / "孙丽.xlsx", {
        "合同": [CONTRACT_HEADER, ["HT-SL-01", datetime(2026, 11, 2), customer, "设备", 100000, "月结"],
                 ["HT-SL-02", datetime(2026, 11, 3), customer, "设备", 50000, "月结"],
                 ["合计", None, None, None, 150000, None]],  # row 4: skipped, not a third contract
        "回款": [COLLECTION_HEADER, [datetime(2026, 11, 10), customer, "HT-SL-01", None, "B-SL-1"],
                 [datetime(2026, 11, 10), customer, "HT-SL-02", None, "B-SL-2"],  # D2:D3: ¥50,000 merged
                 [datetime(2026, 11, 12), customer, "HT-SL-01", Formula("=5574.64*1.16", 6466.594499999999), "B-SL-3"]],
        "发货": [SHIPMENT_HEADER + ["数量"], ["FH-SL-1", datetime(2026, 11, 5), "HT-SL-01", 30000, "已发货", "2PCS"]],
    }, merges={"回款": [("D2:D3", 50000)]})
    (reps / "孙丽_开票.csv").write_bytes(
        "发票号码,开票日期,合同编号,开票金额\r\nSL-0001,2026-11-06,HT-SL-01,\"30,000.00\"\r\n".encode("gbk"))
    shutil.copy(FIXTURES / "李娜.xls", reps / "钱多.et")  # WPS: contracts ¥1,234.50 and ¥20,000, ¥12,000 collected
    (reps / "周报.numbers").write_bytes(b"PK\x03\x04")
    wb = openpyxl.Workbook()  # a workbook written by a program: formulas without results
    ws = wb.active
    ws.title = "合同"
    ws.append(["合同编号", "签订日期", "客户名称", "合同金额", "约定交货日期"])
    ws.append(["HT-WH-01", datetime(2026, 11, 4), customer, 8000, "=DATE(2026,12,28)"])
    ws.append(["HT-WH-02", datetime(2026, 11, 4), customer, "=D2*2", None])
    wb.save(reps / "吴昊.xlsx")

    def run(workspace):
        settings = Settings().with_workspace(workspace)
        settings = settings.model_copy(update={"intake": settings.intake.model_copy(update={"cache": False}),
                                               "review": settings.review.model_copy(update={"quotation_pdf": False})})
        return run_day(settings, run_date, RunOptions(no_email=True))  # (no 报价单 PDFs: no LibreOffice start)

    def rows_by_rep(out_dir):
        found = {}
        for name, sheet in [("合同履行一览表_2026-11-30.xlsx", "按业务员汇总"), ("应收账款明细账_2026-11-30.xlsx", "按业务员汇总"),
                            ("提成计算表_2026-11.xlsx", "提成汇总"), ("费用审核_2026-11.xlsx", "按业务员汇总")]:
            book = openpyxl.load_workbook(out_dir / name, read_only=True)
            for row in book[sheet].iter_rows(values_only=True):
                if row[0] not in (None, "合计"):
                    found.setdefault((name, row[0]), []).append(row)
        return found

    before, after = run(base), run(planted)
    assert before.ok and after.ok
    old, new = rows_by_rep(before.output_dir), rows_by_rep(after.output_dir)
    # 钱多's ¥12,000 from 上海明达贸易 (张伟's customer) names 00123 (¥1,234.50, nothing shipped): 00123 keeps
    # ¥1,234.50 as 预收款, the ¥10,765.50 beyond pays 上海明达贸易's open items (张伟's contracts, issue 30)
    assert {key: rows for key, rows in new.items() if key[1] not in ("孙丽", "钱多", "吴昊", "张伟")} == \
        {key: rows for key, rows in old.items() if key[1] != "张伟"}
    fulfilment = "合同履行一览表_2026-11-30.xlsx"
    (zhang_old,), (zhang_new,) = old[(fulfilment, "张伟")], new[(fulfilment, "张伟")]
    assert zhang_new[:5] == zhang_old[:5] and round(zhang_new[5] - zhang_old[5], 2) == 10765.5  # 已回款
    assert round(zhang_old[6] - zhang_new[6], 2) == 10765.5  # 未回款
    # 孙丽: 2 contracts ¥150,000 (the 合计 row is not a third), shipped ¥30,000 (数量 2PCS kept the row), invoiced
    # ¥30,000 (the GBK CSV), collected ¥6,466.59 only (the merged ¥50,000 not at all), open ¥143,533.41
    assert new[(fulfilment, "孙丽")] == [("孙丽", 2, 150000, 30000, 30000, 6466.59, 143533.41)]
    assert new[(fulfilment, "钱多")] == [("钱多", 2, 21234.5, 0, 0, 1234.5, 20000)]  # the .et
    assert new[(fulfilment, "吴昊")] == [("吴昊", 1, 8000, 0, 0, 0, 8000)]  # HT-WH-02's amount is unknown
    book = openpyxl.load_workbook(after.output_dir / "数据问题清单_2026-11-30.xlsx", read_only=True)
    listed = {(r[0], r[2], r[3], r[4], r[7]) for r in book["问题清单"].iter_rows(values_only=True)}
    merged = "合并单元格的金额不能分到多行 (D2:D3)"
    uncalculated = "公式没有计算结果 (文件保存时未计算)"
    assert {(ERROR, "孙丽.xlsx", "回款", "D2", merged), (ERROR, "孙丽.xlsx", "回款", "D3", merged),
            (WARNING, "孙丽.xlsx", "回款", "D4", "金额 6466.594499999999 超过两位小数, 按显示的 6466.59 读取"),
            (ERROR, "吴昊.xlsx", "合同", "D3", uncalculated),
            (WARNING, "吴昊.xlsx", "合同", "E2", uncalculated + ", 按空白读取"),
            (WARNING, "周报.numbers", None, None, "不支持的文件格式 .numbers, 未读取")} <= listed
    inputs = {i["path"]: i for i in after.manifest["inputs"]}
    assert inputs["reps/孙丽.xlsx"]["total_rows"] == {"合同": 1} and inputs["reps/钱多.et"]["status"] == "ok"
    assert inputs["reps/孙丽_开票.csv"]["rows"] == {"开票": 1}
