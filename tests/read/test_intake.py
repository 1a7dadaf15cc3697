"""Reading workbooks as reps leave them: real files written into tmp_path and read back."""

import shutil
from datetime import date, datetime
from pathlib import Path

import pandas as pd

from neiqin_xl.core.config import Settings
from neiqin_xl.read.intake import read_workbook, read_workspace
from neiqin_xl.core.model import ERROR, WARNING
from neiqin_xl.core.schema import REP_SHEETS, SHEETS

from ..helpers_intake import (COLLECTION_HEADER, CONTRACT_HEADER, Formula, workspace, write_archive,
                             write_book)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
RUN = date(2026, 11, 30)


def where(problems):
    return sorted((p.severity, p.where(), p.field) for p in problems)


def test_header_on_row_3_under_merged_title_aliases_other_order_extra_columns_sheet_alias(tmp_path):
    # 合同台账 is an alias of 合同; headers 合同号/客户/签约日期/金额（元） are aliases, in another order,
    # with an extra column 联系人 that is ignored.
    path = write_book(tmp_path / "张伟.xlsx", {"合同台账": [
        ["张伟 2026 年合同台账"],
        [],
        ["客户", "合同号", "联系人", "签约日期", "金额（元）*"],
        ["明达", "HT-001", "王经理", "2026-11-02", "1,000.00"],
        [],  # a blank row in the middle
        ["华东", "HT-002", "李总", "2026-11-03", 2500],
        [None, None, "only an extra column"],  # not data: nothing in the known columns
    ]}, merges={"合同台账": [("A1:E1", "张伟 2026 年合同台账")]})
    frames, problems, info = read_workbook(path, REP_SHEETS, Settings(), rep="张伟")
    assert problems == []
    contracts = frames["合同"]
    assert contracts["合同编号"].tolist() == ["HT-001", "HT-002"]
    assert contracts["客户名称"].tolist() == ["明达", "华东"]
    assert contracts["签订日期"].tolist() == [pd.Timestamp(2026, 11, 2), pd.Timestamp(2026, 11, 3)]
    assert contracts["合同金额"].tolist() == [100000, 250000]  # 1,000.00 and 2500 yuan in fen
    assert contracts["来源行"].tolist() == [4, 6]  # Excel rows, below the header on row 3
    assert set(contracts["来源工作表"]) == {"合同台账"} and set(contracts["业务员"]) == {"张伟"}
    assert "联系人" not in contracts
    assert str(contracts["合同金额"].dtype) == "int64" and str(contracts["签订日期"].dtype) == "datetime64[us]"
    assert info["columns"]["合同台账"]["合同编号"] == "B" and info["rows"] == {"合同": 2}


def test_config_aliases_for_sheets_and_columns(tmp_path):
    settings = Settings(intake={"sheet_aliases": {"回款": ["我的回款"]},
                                "column_aliases": {"回款": {"回款金额": ["本次实收"]}}})
    path = write_book(tmp_path / "张伟.xlsx", {"我的回款": [
        ["回款日期", "客户名称", "本次实收"], ["2026-11-05", "明达", "¥300"]]})
    frames, problems, _ = read_workbook(path, REP_SHEETS, settings, rep="张伟")
    assert problems == [] and frames["回款"]["回款金额"].tolist() == [30000]


def test_date_forms_and_bad_dates_with_cell_addresses(tmp_path):
    rows = [COLLECTION_HEADER,
            [datetime(2026, 11, 28), "明达", None, 1, None],  # row 2: a date cell
            [46354, "明达", None, 1, None],  # row 3: a number in a General cell: an error (as a serial 2026-11-28)
            ["2026/11/28", "明达", None, 1, None],
            ["2026.11.28", "明达", None, 1, None],
            ["2026年11月28日", "明达", None, 1, None],
            ["20261128", "明达", None, 1, None],  # row 7
            ["11/12/2026", "明达", None, 1, None],  # row 8: ambiguous
            ["26-11-28", "明达", None, 1, None],  # row 9: ambiguous
            ["2026-13-05", "明达", None, 1, None],  # row 10: impossible month
            ["2026-02-30", "明达", None, 1, None]]  # row 11: impossible day
    path = write_book(tmp_path / "王强.xlsx", {"回款": rows})
    frames, problems, _ = read_workbook(path, REP_SHEETS, Settings(), rep="王强")
    assert frames["回款"]["回款日期"].tolist() == [pd.Timestamp(2026, 11, 28)] * 5
    assert frames["回款"]["来源行"].tolist() == [2, 4, 5, 6, 7]
    assert [(p.severity, p.where()) for p in problems] == [(ERROR, f"王强.xlsx[回款]!A{r}") for r in (3, 8, 9, 10, 11)]
    assert (problems[0].message, problems[0].value) == ("数字 46354 不是日期", "46354")  # as typed, never a conversion
    assert str(problems[3]) == '王强.xlsx[回款]!A10: 回款日期 "2026-13-05" 不是有效日期 (示例: 2026-11-28)'
    assert "歧义" in problems[1].message and problems[1].rep == "王强" and problems[1].row == 8


def test_amount_forms_to_exact_fen(tmp_path):
    amounts = ["¥1,234.50", "1,234.50元", "1.2万", "１２３４．５０", "  88  ", 1234.56, "1.234"]
    rows = [["回款日期", "客户名称", "回款金额"]] + [["2026-11-02", "明达", a] for a in amounts]
    path = write_book(tmp_path / "张伟.xlsx", {"回款": rows})
    frames, problems, _ = read_workbook(path, REP_SHEETS, Settings(), rep="张伟")
    # 1234.50 yuan = 123450 fen; 1.2万 = 12000.00 = 1200000 fen; 88 yuan = 8800 fen; 1234.56 = 123456 fen
    assert frames["回款"]["回款金额"].tolist() == [123450, 123450, 1200000, 123450, 8800, 123456]
    assert where(problems) == [(ERROR, "张伟.xlsx[回款]!C8", "回款金额")]  # 1.234: a fraction of a fen


def test_merged_customer_ids_kept_formula_cached_value_and_error_cells(tmp_path):
    rows = [CONTRACT_HEADER,
            ["00123", "2026-11-01", "明达", "设备", 1000, "月结"],  # row 2
            [123.0, "2026-11-02", None, "设备", Formula("=E2*2", 2000), "月结"],  # row 3: number id, formula
            ["HT-3", "2026-11-03", None, "设备", Formula("=1/0", "#DIV/0!"), "月结"],  # row 4: error cell
            [Formula("=NA()", "#N/A"), "2026-11-04", "华东", "设备", 500, "月结"]]  # row 5: #N/A in the id
    path = write_book(tmp_path / "张伟.xlsx", {"合同": rows}, merges={"合同": [("C2:C4", "明达")]})
    frames, problems, _ = read_workbook(path, REP_SHEETS, Settings(), rep="张伟")
    contracts = frames["合同"]
    assert contracts["合同编号"].tolist() == ["00123", "123"]
    assert contracts["客户名称"].tolist() == ["明达", "明达"]  # the merged C2:C4 fills row 3
    assert contracts["合同金额"].tolist() == [100000, 200000]  # the formula's cached 2000 yuan
    assert [(p.where(), p.value) for p in problems] == [("张伟.xlsx[合同]!E4", "#DIV/0!"), ("张伟.xlsx[合同]!A5", "#N/A")]
    assert all(p.severity == ERROR and "错误值" in p.message for p in problems)


def test_required_column_missing_is_one_error_naming_sheet_and_header_row(tmp_path):
    path = write_book(tmp_path / "张伟.xlsx", {"回款": [
        ["回款记录"], ["回款日期", "合同编号", "回款金额"], ["2026-11-02", "HT-1", 100]]})
    frames, problems, _ = read_workbook(path, REP_SHEETS, Settings(), rep="张伟")
    assert "回款" not in frames
    assert len(problems) == 1 and problems[0].severity == ERROR and problems[0].where() == "张伟.xlsx[回款]!2:2"
    assert "客户名称" in problems[0].message and "第 2 行" in problems[0].message


def test_rows_carrying_a_rep_column(tmp_path):
    path = write_book(tmp_path / "华东组.xlsx", {"回款": [
        ["回款日期", "客户名称", "回款金额", "业务员"],
        ["2026-11-02", "明达", 100, "李娜"], ["2026-11-03", "华东", 200, None]]})
    frames, _, _ = read_workbook(path, REP_SHEETS, Settings(), rep="华东组")
    assert frames["回款"]["业务员"].tolist() == ["李娜", "华东组"]  # blank: the file's rep


def test_workspace_hidden_sheet_temp_files_txt_corrupt_file(tmp_path):
    settings = workspace(tmp_path)
    reps = settings.folder("reps")
    write_book(reps / "张伟.xlsx", {"回款": [["回款日期", "客户名称", "回款金额"], ["2026-11-02", "明达", 100]],
                                   "合同": [CONTRACT_HEADER, ["HT-9", "2026-11-01", "明达", "x", 5, "月结"]],
                                   "列表": [["明达"]]}, hidden=("合同", "列表"))
    write_book(reps / "~$张伟.xlsx", {"回款": [["junk"]]})  # Excel's owner file: skipped silently
    (reps / "说明.txt").write_text("not a workbook", encoding="utf-8")  # one warning, not read
    (reps / "王强.xlsx").write_bytes(b"this is not a zip file at all")  # corrupt
    (reps / "空白.xlsx").write_bytes(b"")  # empty file
    (reps / "加密.xlsx").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504)  # Excel's encrypted container
    write_book(reps / "李娜.xlsx", {"回款": [["回款日期", "客户名称", "回款金额"], ["2026-11-03", "华东", 250]]})
    seen = []
    tables, problems = read_workspace(settings, progress=lambda files: [seen.append(f.name) or f for f in files])

    assert seen == sorted(["张伟.xlsx", "李娜.xlsx", "王强.xlsx", "空白.xlsx", "加密.xlsx"])
    collections = tables["回款"]
    assert collections["业务员"].tolist() == ["张伟", "李娜"] and collections["回款金额"].tolist() == [10000, 25000]
    assert tables["合同"].empty  # the hidden 合同 sheet is not read
    hidden = [p for p in problems if p.sheet == "合同"]
    assert [(p.severity, p.workbook, "隐藏" in p.message) for p in hidden] == [(WARNING, "张伟.xlsx", True)]
    broken = {p.workbook: p for p in problems if p.workbook in ("王强.xlsx", "空白.xlsx", "加密.xlsx")}
    assert len([p for p in problems if p.workbook in broken]) == 3  # one error per file
    assert all(p.severity == ERROR for p in broken.values())
    assert "空" in broken["空白.xlsx"].message and "密码" in broken["加密.xlsx"].message
    assert "损坏" in broken["王强.xlsx"].message
    by_path = {i["path"]: i for i in tables.inputs}
    assert by_path["reps/~$张伟.xlsx"]["status"] == "skipped"
    assert by_path["reps/王强.xlsx"]["status"] == "error" and by_path["reps/张伟.xlsx"]["status"] == "ok"
    assert len(by_path["reps/张伟.xlsx"]["sha256"]) == 64 and by_path["reps/张伟.xlsx"]["rows"] == {"回款": 1}
    assert by_path["reps/说明.txt"]["status"] == "skipped" and not any(p.workbook == "~$张伟.xlsx" for p in problems)
    # 说明.txt is no rep's: one line for the clerk, not a rep named 说明
    assert [(p.severity, p.rep, p.message) for p in problems if "说明.txt" in p.message] == [
        (WARNING, "", "业务员台账文件夹中有 1 个不是台账的文件, 未读取: 说明.txt")]
    assert set(tables.frames) == set(SHEETS)  # every sheet present, empty when nothing was read


def test_master_finance_and_attendance_files(tmp_path):
    settings = workspace(tmp_path)
    write_archive(settings, [("上海明达贸易有限公司", "明达")])
    finance = settings.folder("finance")
    # an export whose only sheet is called 收款单查询: the first visible sheet is taken; 合计 rows are not data
    write_book(finance / "财务收款_2026-11.xlsx", {"收款单查询": [
        ["收款单查询 2026年11月"], ["凭证日期", "往来单位", "贷方金额", "凭证字号"],
        ["2026-11-05", "上海明达贸易有限公司", "12,000.00", "收-12"], ["合计", None, "12,000.00"]]})
    write_book(settings.folder("attendance") / "考勤_2026-11.xlsx", {"Sheet1": [
        ["姓名", "应出勤天数", "实际出勤天数", "迟到次数"], ["张伟", 21, 20, 2]]})
    tables, problems = read_workspace(settings)
    fin = tables["财务收款"]
    assert fin["金额"].tolist() == [1200000] and fin["月份"].tolist() == ["2026-11"]
    assert fin["来源工作表"].tolist() == ["收款单查询"] and fin["来源行"].tolist() == [3]
    assert tables["考勤"]["月份"].tolist() == ["2026-11"] and tables["考勤"]["迟到次数"].tolist() == [2]
    assert tables["客户"]["客户名称"].tolist() == ["上海明达贸易有限公司"]
    # 产品目录.xlsx and 人员.xlsx are missing: one warning each
    assert sorted(p.workbook for p in problems) == sorted(["人员.xlsx", "产品目录.xlsx"])
    assert list(tables["财务开票"].columns)[-1] == "月份"  # an empty finance frame still has 月份


def test_finance_total_and_subtotal_rows_are_not_data(tmp_path):
    # a Kingdee-style export: a subtotal under each customer (its label after the name), 本月合计 and 本年累计.
    # Their first text cell reads as a total (names.is_total_text) -> not read, and no "日期 missing" error;
    # 联合计算机有限公司 holds the characters 合计 but is a customer: its row is data.
    settings = workspace(tmp_path)
    write_book(settings.folder("finance") / "财务收款_2026-11.xlsx", {"收款明细": [
        ["日期", "往来单位", "贷方金额", "凭证字号"],
        [datetime(2026, 11, 5), "上海明达贸易有限公司", 12000, "收-12"],
        [None, "上海明达贸易有限公司 小计", 12000],
        [datetime(2026, 11, 6), "联合计算机有限公司", 500, "收-13"],
        [None, "联合计算机有限公司 小计", 500],
        ["本月合计", None, 12500],
        ["  本年累计", None, 99999]]})
    tables, problems = read_workspace(settings)
    fin = tables["财务收款"]
    assert fin["客户名称"].tolist() == ["上海明达贸易有限公司", "联合计算机有限公司"]
    assert fin["金额"].tolist() == [1200000, 50000] and fin["来源行"].tolist() == [2, 4]
    assert [p for p in problems if p.workbook == "财务收款_2026-11.xlsx"] == []


def test_finance_file_without_month_in_its_name_takes_the_rows_dates(tmp_path):
    settings = workspace(tmp_path)
    write_book(settings.folder("finance") / "财务收款.xlsx", {"收款": [
        ["日期", "客户名称", "金额"], ["2026-10-31", "明达", 100], ["2026-11-01", "明达", 200]]})
    tables, problems = read_workspace(settings)
    assert tables["财务收款"]["月份"].tolist() == ["2026-10", "2026-11"]
    assert [(p.severity, p.workbook) for p in problems if "月份" in p.message] == [(WARNING, "财务收款.xlsx")]


def test_xls_and_ods_fixtures_made_by_libreoffice(tmp_path):
    for suffix in ("xls", "ods"):
        path = tmp_path / f"李娜.{suffix}"
        shutil.copy(FIXTURES / f"李娜.{suffix}", path)
        frames, problems, _ = read_workbook(path, REP_SHEETS, Settings(), rep="李娜")
        assert problems == [], suffix
        contracts = frames["合同"]
        assert contracts["合同编号"].tolist() == ["00123", "HT2026-002"], suffix
        assert contracts["签订日期"].tolist() == [pd.Timestamp(2026, 11, 2), pd.Timestamp(2026, 11, 5)], suffix
        # the customer merged over C4:C5 reaches row 5
        assert contracts["客户名称"].tolist() == ["上海明达贸易有限公司"] * 2, suffix
        assert contracts["合同金额"].tolist() == [123450, 2000000], suffix  # ¥1,234.50 and 20000 yuan
        assert contracts["来源行"].tolist() == [4, 5] and set(contracts["来源工作表"]) == {"合同台账"}, suffix
        collections = frames["回款"]
        assert collections["回款金额"].tolist() == [1200000] and collections["银行流水号"].tolist() == ["0098765"]
