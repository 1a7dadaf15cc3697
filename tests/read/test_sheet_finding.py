"""Sheets found by what they hold (issue 28): every visible sheet scored against every input sheet definition
by its header row, the name a tie-breaker; several sheets of one kind read together; a table of no kind, or
of two kinds at once, an error naming its headers; a workbook with none of ours lists its sheets and the
config line for each, and that line, pasted, makes it read."""

from __future__ import annotations

from datetime import date

import yaml

from neiqin_xl.core.config import Settings
from neiqin_xl.core.model import ERROR, WARNING
from neiqin_xl.core.schema import REP_SHEETS
from neiqin_xl.read.intake import read_workbook

from ..helpers_intake import COLLECTION_HEADER, CONTRACT_HEADER, write_book


def read(path, settings=None):
    return read_workbook(path, REP_SHEETS, settings or Settings(), rep="张伟")


def test_monthly_sheets_and_a_second_sheet_of_one_kind_are_read_together_each_row_keeping_its_sheet(tmp_path):
    path = write_book(tmp_path / "张伟.xlsx", {
        "2026年10月": [COLLECTION_HEADER, [date(2026, 10, 8), "上海明达", "HT-1", 10000, "L1"]],
        "2026年11月": [COLLECTION_HEADER, [date(2026, 11, 3), "上海明达", "HT-1", 2500.5, "L2"],
                      [date(2026, 11, 20), "杭州远景", "HT-2", 4000, "L3"]],
        "回款(2)": [COLLECTION_HEADER, [date(2026, 11, 28), "杭州远景", "HT-2", 1000, "L4"]],
        "Sheet1": [CONTRACT_HEADER, ["HT-1", date(2026, 9, 1), "上海明达", "阀门", 50000, "月结"]],
    })
    frames, problems, info = read(path)
    assert [p for p in problems if p.severity == ERROR] == []
    got = frames["回款"]
    # 10,000 + 2,500.50 + 4,000 + 1,000 = 17,500.50 yuan = 1,750,050 fen, from four rows of three sheets
    assert int(got["回款金额"].sum()) == 1_750_050
    assert list(zip(got["来源工作表"], got["来源行"])) == [("2026年10月", 2), ("2026年11月", 2), ("2026年11月", 3),
                                                         ("回款(2)", 2)]
    assert list(frames["合同"]["来源工作表"]) == ["Sheet1"] and int(frames["合同"]["合同金额"].sum()) == 5_000_000
    assert info["rows"] == {"回款": 4, "合同": 1}
    assert info["columns"]["2026年11月"]["回款金额"] == "D"


def test_a_sheet_named_after_one_kind_holding_another_kinds_header_is_read_as_its_header_says(tmp_path):
    path = write_book(tmp_path / "张伟.xlsx", {
        "回款": [CONTRACT_HEADER, ["HT-9", date(2026, 11, 2), "上海明达", "阀门", 8000, "月结"]]})
    frames, problems, _ = read(path)
    # the 合同 header names 6 fields of 合同 and 2 of 回款 (客户名称, 合同编号): 合同 it is, with a warning
    assert int(frames["合同"]["合同金额"].sum()) == 800_000 and "回款" not in frames
    assert [(p.severity, p.sheet) for p in problems] == [(WARNING, "回款")]
    assert "已按合同读取" in problems[0].message


def test_a_header_as_much_one_kind_as_another_is_an_error_never_a_guess(tmp_path):
    # 日期 is 日报's and 费用's, 客户名称 日报's and 回款's, 金额 回款's and 费用's: two fields each, three kinds
    path = write_book(tmp_path / "张伟.xlsx", {
        "Sheet1": [["日期", "客户名称", "金额"], [date(2026, 11, 3), "上海明达", 500]]})
    frames, problems, _ = read(path)
    assert frames == {}
    (p,) = [p for p in problems if p.severity == ERROR]
    assert (p.workbook, p.sheet, p.value) == ("张伟.xlsx", "Sheet1", "日期、客户名称、金额")
    assert "回款、日报、费用" in p.message and "sheet_aliases" in p.suggestion


def test_the_name_breaks_a_tie(tmp_path):
    path = write_book(tmp_path / "张伟.xlsx", {
        "11月回款": [["回款日期", "客户名称", "金额"], [date(2026, 11, 3), "上海明达", 500]]})
    frames, problems, _ = read(path)
    assert problems == [] and int(frames["回款"]["回款金额"].sum()) == 50_000


def test_rows_of_dates_and_amounts_under_a_header_of_no_kind_are_an_error(tmp_path):
    rows = [["时间", "往来", "发生额", "摘要"]] + [[date(2026, 11, d), "上海明达", 100 * d, "x"] for d in range(1, 7)]
    path = write_book(tmp_path / "张伟.xlsx", {"合同": [CONTRACT_HEADER], "流水": rows})
    frames, problems, _ = read(path)
    (p,) = problems
    assert (p.severity, p.sheet, p.value) == (ERROR, "流水", "时间、往来、发生额、摘要")


def test_a_workbook_with_no_sheet_of_ours_lists_its_sheets_and_the_pasted_line_makes_it_read(tmp_path):
    path = write_book(tmp_path / "张伟.xlsx", {
        "收支": [["日子", "单位全称", "进账"], [date(2026, 11, 5), "上海明达", 1200]],
        "备忘": [["事项"], ["月底对账"]]})
    frames, problems, _ = read(path)
    (p,) = problems
    assert p.severity == ERROR and "收支 (表头: 日子、单位全称、进账); 备忘 (表头: 事项)" in p.message
    # no header names a field of any kind and no sheet holds rows of dates and amounts: no kind is guessed, the
    # clerk is told what to write (a guess before: 合同 for both)
    assert "intake:\n" not in p.suggestion and "sheet_aliases: {表的种类" in p.suggestion
    pasted = Settings(**yaml.safe_load("intake:\n  sheet_aliases:\n    回款: [收支]"))
    frames, problems, _ = read(path, pasted)
    # now 回款's: 回款日期 and 回款金额 are found by their cells (one date column, one amount column); 客户名称 has no
    # kind to infer, so the sheet is one error whose block maps all three (the nearest header for 客户名称)
    (p,) = problems
    assert p.severity == ERROR and '客户名称: 最接近的表头是 "单位全称"' in p.suggestion
    block = p.suggestion.split("):\n", 1)[1]
    assert block == "intake:\n  column_aliases:\n    回款:\n      回款日期: [日子]\n      回款金额: [进账]\n      客户名称: [单位全称]"
    config = yaml.safe_load("intake:\n  sheet_aliases:\n    回款: [收支]\n" + block.split("\n", 1)[1])
    frames, problems, _ = read(path, Settings(**config))
    assert problems == []
    assert int(frames["回款"]["回款金额"].sum()) == 120_000 and list(frames["回款"]["客户名称"]) == ["上海明达"]


def test_a_missing_column_with_two_that_fit_is_an_error_listing_both(tmp_path):
    path = write_book(tmp_path / "张伟.xlsx", {
        "回款": [["客户名称", "日子", "另一日子", "回款金额"], ["上海明达", date(2026, 11, 5), date(2026, 11, 6), 1200]]})
    frames, problems, _ = read(path)
    assert frames == {}
    assert [(p.severity, p.field) for p in problems] == [(ERROR, "回款日期"), (ERROR, "")]
    assert 'B 列 "日子" (1/1)、C 列 "另一日子" (1/1)' in problems[0].message
    assert all("intake:\n" not in p.suggestion for p in problems)  # no block guessing one: pasted, it would be read


def test_two_columns_of_one_sheet_named_by_config_aliases_of_one_field_are_an_error_not_the_first(tmp_path):
    # pasted for two sheets of one kind: 付款人 is the customer on 回款, 买方单位 on 回款(2); 回款(2) also has a
    # 付款人 column (the person who brought the cheque): its customer could be read from either column
    config = Settings(**yaml.safe_load("intake:\n  column_aliases:\n    回款:\n      客户名称: [付款人, 买方单位]"))
    path = write_book(tmp_path / "张伟.xlsx", {
        "回款": [["回款日期", "付款人", "回款金额"], [date(2026, 11, 5), "上海明达", 1200]],
        "回款(2)": [["回款日期", "付款人", "买方单位", "回款金额"], [date(2026, 11, 6), "小王", "杭州远景", 800]]})
    frames, problems, _ = read(path, config)
    # 回款 is read (1,200.00 from 上海明达); 回款(2) is one error naming both columns, and none of its rows
    assert list(frames["回款"]["客户名称"]) == ["上海明达"] and int(frames["回款"]["回款金额"].sum()) == 120_000
    (p,) = problems
    assert (p.severity, p.sheet, p.field, p.cell) == (ERROR, "回款(2)", "客户名称", "1:1")
    assert 'B 列 "付款人"、C 列 "买方单位" 都算作 客户名称' in p.message
