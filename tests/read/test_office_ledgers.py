"""Ledgers kept the ways offices keep them (issue 28), each read with no config: for each, the figures equal
those of the same rows in the clean template, and the test says what was read and from which columns.

The ways: monthly sheets, one workbook per kind (张伟_合同.xlsx, 张伟-回款.xlsx), Sheet1 … Sheet2 with shuffled
columns and extra ones, a title row, a two-row header, a 序号 column, 合计/小计 rows and note lines, the headers
real ledgers use (签约日期, 客户全称, 付款单位, 到账金额), amounts as text and in 万元, dates as text, GBK CSV,
Excel's UTF-16 "Unicode 文本" (.txt, tab-separated), an .xlsx renamed .xls and an .xls renamed .xlsx."""

from __future__ import annotations

import shutil
from datetime import date, datetime
from pathlib import Path

import pytest

from neiqin_xl.core.model import ERROR
from neiqin_xl.read.intake import read_workspace

from ..helpers_intake import workspace, write_book

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"

# The clean template's rows: two contracts and three collections of 张伟.
CONTRACTS = [("HT-1", date(2026, 10, 8), "上海明达", 5_000_000), ("HT-2", date(2026, 11, 2), "杭州远景", 1_234_567)]
COLLECTIONS = [(date(2026, 10, 20), "上海明达", 2_000_000), (date(2026, 11, 3), "上海明达", 123_450),
               (date(2026, 11, 25), "杭州远景", 500_000)]
C_HEAD = ["合同编号", "签订日期", "客户名称", "合同金额"]
R_HEAD = ["回款日期", "客户名称", "回款金额"]


def contract_rows(amount=lambda fen: fen / 100, day=lambda d: d):
    return [[no, day(d), who, amount(fen)] for no, d, who, fen in CONTRACTS]


def collection_rows(amount=lambda fen: fen / 100, day=lambda d: d):
    return [[day(d), who, amount(fen)] for d, who, fen in COLLECTIONS]


def office(root: Path) -> Path:
    settings = workspace(root)
    write_book(settings.folder("master") / "人员.xlsx", {"人员": [["姓名", "部门"], ["张伟", "销售一部"], ["张伟2", "销售二部"]]})
    return settings.folder("reps")


def clean(reps: Path) -> None:
    write_book(reps / "张伟.xlsx", {"合同": [C_HEAD, *contract_rows()], "回款": [R_HEAD, *collection_rows()]})


def monthly_sheets(reps: Path) -> None:  # one 回款 sheet per month, 合同 on 2026合同
    write_book(reps / "张伟.xlsx", {"2026合同": [C_HEAD, *contract_rows()],
                                   "10月": [R_HEAD, *collection_rows()[:1]], "11月": [R_HEAD, *collection_rows()[1:]]})


def one_workbook_per_kind(reps: Path) -> None:  # 张伟_合同.xlsx and 张伟-回款.xlsx: both 张伟's
    write_book(reps / "张伟_合同.xlsx", {"Sheet1": [C_HEAD, *contract_rows()]})
    write_book(reps / "张伟-回款.xlsx", {"Sheet1": [R_HEAD, *collection_rows()]})


def sheets_shuffled_with_title_serial_totals_and_notes(reps: Path) -> None:
    # Sheet1/Sheet2; a title row, a 序号 column, columns shuffled with extra ones, a 合计 row, note lines
    contracts = [["2026年合同台账"], ["序号", "客户全称", "备注", "合同金额", "合同编号", "签约日期"]]
    contracts += [[i + 1, who, "", fen / 100, no, d] for i, (no, d, who, fen) in enumerate(CONTRACTS)]
    contracts += [["合计", "", "", sum(c[3] for c in CONTRACTS) / 100], ["注：金额含税"], ["制表人：李娜", "", "审核：王强"]]
    collections = [["回款登记表"], ["序号", "到账金额", "付款单位", "回款日期", "经手"]]
    collections += [[i + 1, fen / 100, who, d, "出纳"] for i, (d, who, fen) in enumerate(COLLECTIONS)]
    collections += [["小计", sum(c[2] for c in COLLECTIONS) / 100], ["说明：本表按到账日登记"]]
    write_book(reps / "张伟.xlsx", {"Sheet1": contracts, "Sheet2": collections, "Sheet3": []})


def two_row_header_amounts_as_text_and_in_wan(reps: Path) -> None:
    # a group row over the header; amounts typed as text (1,234.50) and a 合同 column in 万元; dates as text
    contracts = [["合同信息", "", "", "金额"], ["合同编号", "签订日期", "客户名称", "合同金额(万元)"]]
    contracts += [[no, f"{d:%Y/%m/%d}", who, fen / 1_000_000] for no, d, who, fen in CONTRACTS]
    collections = [["到账", "", ""], R_HEAD] + collection_rows(amount=lambda fen: f"{fen / 100:,.2f}",
                                                              day=lambda d: f"{d:%Y年%m月%d日}")
    write_book(reps / "张伟.xlsx", {"合同": contracts, "回款": collections})


def gbk_csv_and_utf16_txt(reps: Path) -> None:
    lines = [",".join(C_HEAD)] + [f"{no},{d:%Y-%m-%d},{who},{fen / 100:.2f}" for no, d, who, fen in CONTRACTS]
    (reps / "张伟_合同.csv").write_bytes("\r\n".join(lines).encode("gbk"))
    lines = ["\t".join(R_HEAD)] + [f"{d:%Y-%m-%d}\t{who}\t{fen / 100:.2f}" for d, who, fen in COLLECTIONS]
    (reps / "张伟_回款.txt").write_bytes("\r\n".join(lines).encode("utf-16"))  # Excel's Unicode 文本: BOM, tabs


def renamed_extensions(reps: Path) -> None:
    write_book(reps / "张伟.xls", {"合同": [C_HEAD, *contract_rows()], "回款": [R_HEAD, *collection_rows()]})


WAYS = [clean, monthly_sheets, one_workbook_per_kind, sheets_shuffled_with_title_serial_totals_and_notes,
        two_row_header_amounts_as_text_and_in_wan, gbk_csv_and_utf16_txt, renamed_extensions]


@pytest.mark.parametrize("way", WAYS, ids=[w.__name__ for w in WAYS])
def test_each_way_an_office_keeps_a_ledger_gives_the_clean_templates_figures(tmp_path, way):
    reps = office(tmp_path)
    way(reps)
    tables, problems = read_workspace(workspace(tmp_path))
    assert [p for p in problems if p.severity == ERROR] == []
    contracts, collections = tables["合同"], tables["回款"]
    assert list(zip(contracts["合同编号"], contracts["签订日期"].dt.date, contracts["客户名称"], contracts["合同金额"])) \
        == CONTRACTS
    assert sorted(zip(collections["回款日期"].dt.date, collections["客户名称"], collections["回款金额"])) == COLLECTIONS
    # 50,000 + 12,345.67 = 62,345.67 yuan; 20,000 + 1,234.50 + 5,000 = 26,234.50 yuan
    assert int(contracts["合同金额"].sum()) == 6_234_567 and int(collections["回款金额"].sum()) == 2_623_450
    assert set(contracts["业务员"]) == set(collections["业务员"]) == {"张伟"}


def test_what_was_read_and_from_which_columns(tmp_path):
    reps = office(tmp_path)
    sheets_shuffled_with_title_serial_totals_and_notes(reps)
    tables, _ = read_workspace(workspace(tmp_path))
    (info,) = [i for i in tables.inputs if i["path"] == "reps/张伟.xlsx"]
    assert info["rep"] == "张伟" and info["rows"] == {"合同": 2, "回款": 3}
    assert info["columns"]["Sheet1"] == {"合同编号": "E", "签订日期": "F", "客户名称": "B", "合同金额": "D", "备注": "C"}
    assert info["columns"]["Sheet2"] == {"回款日期": "D", "客户名称": "C", "回款金额": "B"}
    # the 合计/小计 rows and the note lines were skipped and counted, not errors
    assert info["total_rows"] == {"Sheet1": 1, "Sheet2": 1} and info["note_rows"] == {"Sheet1": 2, "Sheet2": 1}


def test_the_rep_is_the_longest_staff_name_the_file_name_starts_with(tmp_path):
    reps = office(tmp_path)
    write_book(reps / "张伟2.xlsx", {"回款": [R_HEAD, [date(2026, 11, 3), "上海明达", 100]]})
    write_book(reps / "张伟 11月.xlsx", {"回款": [R_HEAD, [date(2026, 11, 4), "上海明达", 200]]})
    write_book(reps / "王五.xlsx", {"回款": [R_HEAD, [date(2026, 11, 5), "上海明达", 300]]})
    tables, problems = read_workspace(workspace(tmp_path))
    got = dict(zip(tables["回款"]["来源工作簿"], tables["回款"]["业务员"]))
    assert got == {"张伟2.xlsx": "张伟2", "张伟 11月.xlsx": "张伟", "王五.xlsx": "王五"}
    (unknown,) = [p for p in problems if "不以人员表" in p.message]
    assert unknown.workbook == "王五.xlsx" and unknown.rep == ""


def test_an_xls_renamed_xlsx_is_read_as_what_its_bytes_are(tmp_path):
    reps = office(tmp_path)
    shutil.copy(FIXTURES / "李娜.xls", reps / "张伟.xlsx")
    tables, problems = read_workspace(workspace(tmp_path))
    assert [p for p in problems if p.severity == ERROR and p.workbook == "张伟.xlsx"] == []
    assert len(tables["回款"]) > 0 and set(tables["回款"]["来源工作簿"]) == {"张伟.xlsx"}


def test_an_amount_merged_over_two_rows_on_a_sprawling_sheet_is_refused_on_each_row(tmp_path):
    # a stray cell in XFD1048576 makes the sheet read by its cells present: the merge is still known there,
    # so ¥40,000 merged over two contracts is refused on both rows, never counted twice (80,000)
    import xlsxwriter
    path = tmp_path / "张伟.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("合同")
    dates = wb.add_format({"num_format": "yyyy-mm-dd"})
    ws.write_row(0, 0, C_HEAD)
    for r, (no, who) in enumerate([("HT-1", "上海明达"), ("HT-2", "杭州远景")], start=1):
        ws.write_string(r, 0, no)
        ws.write_datetime(r, 1, datetime(2026, 11, 2), dates)
        ws.write_string(r, 2, who)
    ws.merge_range("D2:D3", 40000)
    wb.close()
    import openpyxl
    book = openpyxl.load_workbook(path)
    book["合同"]["XFD1048576"] = "x"  # as the existing sprawl tests do: the used range becomes A1:XFD1048576
    book.save(path)
    from neiqin_xl.core.config import Settings
    from neiqin_xl.core.schema import REP_SHEETS
    from neiqin_xl.read.intake import read_workbook
    frames, problems, _ = read_workbook(path, REP_SHEETS, Settings(), rep="张伟")
    assert [(p.severity, p.cell) for p in problems if p.severity == ERROR] == [(ERROR, "D2"), (ERROR, "D3")]
    assert "合同" not in frames or int(frames["合同"]["合同金额"].sum()) == 0


def test_the_console_lists_reps_not_owner_files_nor_notes_and_one_line_per_rep_of_several_workbooks():
    from types import SimpleNamespace

    from neiqin_xl.cli import print_summary
    inputs = [{"path": "reps/张伟_合同.xlsx", "status": "ok", "rows": {"合同": 2}, "rep": "张伟"},
              {"path": "reps/张伟-回款.xlsx", "status": "ok", "rows": {"回款": 3}, "rep": "张伟"},
              {"path": "reps/~$张伟_合同.xlsx", "status": "skipped", "rows": {}},
              {"path": "reps/说明.txt", "status": "skipped", "rows": {}, "message": "不是台账文件"},
              {"path": "reps/李娜.xlsx", "status": "ok", "rows": {"回款": 1}, "rep": "李娜"}]
    manifest = {"run_date": "2026-11-26", "kind": "official", "inputs": inputs, "issues": {"错误": 0, "警告": 0},
                "outputs": []}
    said: list[str] = []
    result = SimpleNamespace(manifest=manifest, output_dir="out", mail=[], failed_reports=[], failures=[])
    print_summary(result, True, said.append)
    assert "读取台账: 张伟 5 行，李娜 1 行" in said  # 2 + 3 rows of 张伟's two workbooks
