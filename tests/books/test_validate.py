"""Validation: one rep's workbook with every listed problem, read for real, and another rep unaffected."""

from datetime import date

import pandas as pd
import pytest

from neiqin_xl.core.config import Settings
from neiqin_xl.read.intake import read_workspace
from neiqin_xl.core.model import ERROR, WARNING
from neiqin_xl.books.validate import validate

from ..helpers import table, tables
from ..helpers_intake import (COLLECTION_HEADER, CONTRACT_HEADER, INVOICE_HEADER, SHIPMENT_HEADER, workspace,
                             write_archive, write_book)

RUN = date(2026, 11, 30)
MINGDA = "上海明达贸易有限公司"
HUADONG = "华东机电(集团)有限公司"  # the archive types （集团）: names are kept normalised


@pytest.fixture(scope="module")
def checked(tmp_path_factory):
    settings = workspace(tmp_path_factory.mktemp("ws"))
    write_archive(settings, [(MINGDA, "明达"), ("华东机电（集团）有限公司", "华东机电")])
    write_book(settings.folder("reps") / "张伟.xlsx", {
        "合同": [CONTRACT_HEADER,
                ["HT-001", "2026-11-01", f" {MINGDA} ", "设备", 10000, "月结"],  # 2: fine
                ["HT-002", "2026-11-02", "明达", "设备", 0, "月结"],  # 3: zero amount -> E3 error
                ["HT-003", "2026-11-03", "新客户甲", "设备", 5000, "月结"],  # 4: unknown customer -> C4 warning
                ["HT-004", "2026-12-15", "明达", "设备", 3000, "月结"],  # 5: after the run date -> B5 warning
                ["HT-005", "2026-11-04", "明达", "设备", 2000, "月结"],  # 6: kept
                ["HT-005", "2026-11-04", "明达", "设备", 2000, "月结"],  # 7: identical copy -> A7 warning
                ["HT-006", "2026-11-05", "明达", "设备", 1000, "月结"],  # 8: conflicting -> A8 error
                ["HT-006", "2026-11-05", "明达", "设备", 1500, "月结"],  # 9: conflicting -> A9 error
                ["HT-007", None, "明达", "设备", 800, "月结"],  # 10: no 签订日期 -> B10 error
                ["HT-008", "2026-11-06", "华 东机电", "设备", 20000, "月结"],  # 11: alias, stray space: fine
                ["HT-009", "2026-11-07", "明达", "设备", -500, "月结"]],  # 12: negative -> E12 error
        "发货": [SHIPMENT_HEADER,
                ["FH-1", "2026-11-10", "HT-001", 6000, "已发货"],  # 2: fine
                ["FH-2", "2026-11-12", "HT-001", 5000, "已发货"],  # 3: 6000 + 5000 = 11000 > 10000 -> D3 warning
                [None, None, "HT-001", 1000, "待发货"],  # 4: a shipping request: no date needed
                ["FH-3", None, "HT-008", 1000, None],  # 5: no date, not 待发货 -> B5 error
                ["FH-4", "2026-11-11", "HT-999", 1000, "已发货"]],  # 6: no such contract -> C6 error
        "开票": [INVOICE_HEADER,
                ["FP-1", "2026-11-11", "HT-001", 10000],  # 2: fine (= the contract amount, not above)
                ["FP-2", "2026-11-12", "HT-404", 100]],  # 3: no such contract -> C3 error
        "回款": [COLLECTION_HEADER,
                ["2026-11-20", "明达", "HT-001", 5000, "LS-1"],  # 2: fine
                ["2026-11-21", "明达", "HT-405", 100, "LS-2"],  # 3: no such contract -> C3 error
                ["2026-11-22", "新客户甲", None, 300, "LS-3"]],  # 4: unknown customer -> B4 warning
    })
    write_book(settings.folder("reps") / "李娜.xlsx", {
        "合同": [CONTRACT_HEADER, ["HT-101", "2026-11-08", " 华东机电（集团） 有限公司", "耗材", 50000, "款到发货"]],
        "发货": [SHIPMENT_HEADER, ["FH-L1", "2026-11-15", "HT-008", 4000, "已发货"]],  # 张伟's contract
        "回款": [COLLECTION_HEADER, ["2026-11-09", "上海明达贸易有限公司", "HT-101", "5万", "LS-9"]],
    })
    read, read_problems = read_workspace(settings)
    assert [p for p in read_problems if p.workbook.endswith(("张伟.xlsx", "李娜.xlsx"))] == []
    return validate(read, settings, RUN)


def test_every_listed_problem_at_its_cell(checked):
    _, problems = checked
    got = sorted((p.severity, p.where(), p.field) for p in problems if p.workbook == "张伟.xlsx")
    assert got == sorted([
        (ERROR, "张伟.xlsx[合同]!E3", "合同金额"),
        (ERROR, "张伟.xlsx[合同]!A8", "合同编号"),
        (ERROR, "张伟.xlsx[合同]!A9", "合同编号"),
        (ERROR, "张伟.xlsx[合同]!B10", "签订日期"),
        (ERROR, "张伟.xlsx[合同]!E12", "合同金额"),
        (ERROR, "张伟.xlsx[发货]!B5", "发货日期"),
        (ERROR, "张伟.xlsx[发货]!C6", "合同编号"),
        (ERROR, "张伟.xlsx[开票]!C3", "合同编号"),
        (ERROR, "张伟.xlsx[回款]!C3", "合同编号"),
        (WARNING, "张伟.xlsx[合同]!C4", "客户名称"),
        (WARNING, "张伟.xlsx[合同]!B5", "签订日期"),
        (WARNING, "张伟.xlsx[合同]!A7", "合同编号"),
        (WARNING, "张伟.xlsx[发货]!D3", "发货金额"),
        (WARNING, "张伟.xlsx[回款]!B4", "客户名称"),
    ])
    by_cell = {(p.sheet, p.cell): p for p in problems}
    assert by_cell[("合同", "A7")].message == "与 张伟.xlsx[合同]!A6 完全相同, 只计一次"
    # rows 8 and 9 differ in 合同金额 only (1,000 against 1,500): the message names that field
    assert by_cell[("合同", "A8")].message == "重复且内容不同: 合同金额 不同 (另见 张伟.xlsx[合同]!A9)"
    assert by_cell[("合同", "C4")].suggestion == "请核对客户名称或在客户档案中补充" and "未知客户" in by_cell[("合同", "C4")].message
    # 6,000.00 + 5,000.00 = 11,000.00 shipped against a 10,000.00 contract
    assert "11,000.00" in by_cell[("发货", "D3")].message and "10,000.00" in by_cell[("发货", "D3")].message
    assert by_cell[("合同", "E12")].value == "-500.00" and by_cell[("合同", "E3")].rep == "张伟"
    assert by_cell[("合同", "B10")].row == 10


def test_error_rows_removed_copies_counted_once_other_rep_unaffected(checked):
    result, problems = checked
    contracts = result["合同"]
    assert contracts["合同编号"].tolist() == ["HT-001", "HT-003", "HT-004", "HT-005", "HT-008", "HT-101"]
    assert contracts[contracts["合同编号"] == "HT-101"]["合同金额"].tolist() == [5000000]
    assert not any(p.workbook == "李娜.xlsx" for p in problems)
    shipments = result["发货"]
    assert shipments["来源行"].tolist() == [2, 3, 4, 2]  # 张伟 rows 2-4 (row 4 the 待发货 request), 李娜 row 2
    assert result["开票"]["发票号码"].tolist() == ["FP-1"]
    assert result["回款"]["银行流水号"].tolist() == ["LS-1", "LS-3", "LS-9"]
    assert result["回款"]["回款金额"].tolist() == [500000, 30000, 5000000]  # 5000, 300 and 5万 yuan


def test_names_canonical_and_shipments_carry_their_contract(checked):
    result, _ = checked
    contracts = result["合同"].set_index("合同编号")
    assert contracts.loc["HT-001", "客户名称"] == MINGDA  # typed with spaces around
    assert contracts.loc["HT-008", "客户名称"] == HUADONG  # typed "华 东机电": an alias
    assert contracts.loc["HT-101", "客户名称"] == HUADONG  # 全角 brackets and spaces
    assert contracts.loc["HT-003", "客户名称"] == "新客户甲"  # unknown: kept as typed
    assert result["回款"]["客户名称"].tolist() == [MINGDA, "新客户甲", MINGDA]
    shipment = result["发货"].iloc[3]  # 李娜 shipped against 张伟's contract HT-008
    assert (shipment["客户名称"], shipment["业务员"], shipment["填报人"]) == (HUADONG, "张伟", "李娜")
    assert result["开票"].iloc[0]["客户名称"] == MINGDA and result["开票"].iloc[0]["业务员"] == "张伟"


def test_checks_run_on_frames_built_in_the_test(tmp_path):
    # tables without Tables.inputs: the cell falls back to the template's column order
    contracts = table("合同", [{"合同编号": "HT-1", "签订日期": "2026-11-01", "客户名称": "明达", "合同金额": "100"}])
    collections = table("回款", [{"回款日期": "2026-11-02", "客户名称": "明达", "合同编号": "HT-2", "回款金额": "50"}])
    result, problems = validate(tables(合同=contracts, 回款=collections), Settings(), RUN)
    # 回款 columns: 回款日期 A, 客户名称 B, 合同编号 C; data row 2
    assert [(p.severity, p.where()) for p in problems] == [(ERROR, "张伟.xlsx[回款]!C2")]
    assert result["回款"].empty and len(result["合同"]) == 1
    assert pd.isna(result["发货"]["客户名称"]).all() and "填报人" in result["发货"]


def test_a_shipping_request_may_ask_for_a_date_after_the_run_date():
    # a 待发货 request on 11-30 asking for 12-03 (要求发货日期: the future by nature) is no warning; a 签收日期 of
    # 12-03 typed on the same row is one (nobody signs in the future)
    from neiqin_xl.books.validate import check_future_dates

    shipments = table("发货", [{"发货日期": None, "状态": "待发货", "合同编号": "HT-001", "发货金额": "1,000",
                               "要求发货日期": "2026-12-03", "签收日期": "2026-12-03"}])
    found = check_future_dates(tables(发货=shipments), Settings(), RUN)
    assert [(p.severity, p.field) for p in found] == [(WARNING, "签收日期")]
