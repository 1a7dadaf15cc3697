"""Limits are said, not surprises: a table longer than a worksheet continues on further sheets (issue 15).

Excel's limit is 1,048,576 rows; the rule is the same for any limit, so the test writes a real workbook with a
limit of 12 rows a sheet and reads it back.
"""

from __future__ import annotations

import openpyxl

from neiqin_xl.core.sheets import MONEY, TEXT, Col, Sheet, Table, WorkbookSpec
from neiqin_xl.deliver import writer


def ledger(rows: int) -> WorkbookSpec:
    # 明细账: row i (1-based) is 客户i owing i × ¥100.00, in fen
    table = Table([Col("客户名称", TEXT), Col("余额", MONEY)],
                  [{"客户名称": f"客户{i}", "余额": i * 100_00} for i in range(1, rows + 1)], totals=True)
    return WorkbookSpec("应收账款明细账_2026-11-30.xlsx",
                        [Sheet("明细账", [table], title="应收账款明细账", subtitle=["截至 2026-11-30"])])


def test_a_table_past_the_row_limit_continues_with_subtotals_and_the_grand_total(tmp_path):
    path = tmp_path / "应收账款明细账_2026-11-30.xlsx"
    said = writer.render(ledger(25), path, max_rows=12)
    # 12 rows a sheet: title, subtitle, blank, header above the data, a total row below: 7 customers a sheet
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["明细账", "明细账(续1)", "明细账(续2)", "明细账(续3)"]
    assert said == ("明细账: 25 行超过 Excel 单表上限, 续写于 明细账(续1)、明细账(续2)、明细账(续3)",)
    for ws, first, last in zip(book.worksheets, (1, 8, 15, 22), (7, 14, 21, 25)):
        assert ws.max_row <= 12
        assert [ws.cell(4, c).value for c in (1, 2)] == ["客户名称", "余额"]  # the header on every sheet
        names = [ws.cell(r, 1).value for r in range(5, 5 + last - first + 1)]
        assert names == [f"客户{i}" for i in range(first, last + 1)]
    values = openpyxl.load_workbook(path, data_only=True)
    first_sheet, last_sheet = values["明细账"], values["明细账(续3)"]
    # 小计 of the first sheet: (1+…+7) × 100 = 2,800.00; 合计 on the last: (1+…+25) × 100 = 32,500.00
    assert (first_sheet.cell(12, 1).value, first_sheet.cell(12, 2).value) == ("小计", 2800)
    assert (last_sheet.cell(9, 1).value, last_sheet.cell(9, 2).value) == ("合计", 32500)


def test_a_table_within_the_limit_stays_on_one_sheet(tmp_path):
    path = tmp_path / "应收账款明细账_2026-11-30.xlsx"
    assert writer.render(ledger(7), path, max_rows=12) == ()
    assert openpyxl.load_workbook(path).sheetnames == ["明细账"]


def test_a_long_sheet_name_keeps_its_continuation_mark():
    sheet = ledger(25).sheets[0]
    long = writer.continued(Sheet("按客户汇总" * 7, sheet.tables, title=sheet.title, subtitle=sheet.subtitle), 12)
    assert [len(p.name) for p in long] == [31] * 4  # a sheet name holds 31 characters
    assert [p.name[-4:] for p in long[1:]] == ["(续1)", "(续2)", "(续3)"]
