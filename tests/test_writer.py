"""The shared writer: formats, totals carrying values, inert text, widths, print setup, atomic save."""

import openpyxl
import pandas as pd
import pytest

from neiqin_xl.core.sheets import DATE, MONEY, PCT, Chart, Col, Highlight, Sheet, Table, WorkbookSpec
from neiqin_xl.deliver.writer import display_width, write_workbook

from .helpers import fen


def spec():
    rows = pd.DataFrame({"客户名称": ["上海明达贸易有限公司", "=HYPERLINK(\"http://x\",\"点我\")", "+cmd|' /C calc'!A0"],
                         "金额": [fen("1,234.50"), fen("100.25"), -fen("34.75")],
                         "日期": pd.to_datetime(["2026-11-01", "2026-11-02", None]),
                         "比例": [0.125, 1, None]})
    table = Table([Col("客户名称"), Col("金额", MONEY), Col("日期", DATE), Col("比例", PCT)], rows, totals=True,
                  highlights=[Highlight("金额", "<", 0)])
    sheet = Sheet("明细", [table], title="测试报表", subtitle=["截至 2026-11-26", "示例贸易有限公司"],
                  charts=[Chart("金额", 0, "客户名称", ("金额",))])
    return WorkbookSpec("测试_2026-11-26.xlsx", [sheet])


def test_values_formats_and_totals(tmp_path):
    written = write_workbook(spec(), tmp_path)
    assert written.path == tmp_path / "测试_2026-11-26.xlsx" and not written.fallback
    ws = openpyxl.load_workbook(written.path)["明细"]
    # title, two subtitle lines, a blank row, then the header on row 5
    assert ws["A1"].value == "测试报表" and ws["A5"].value == "客户名称" and ws["D5"].value == "比例"
    assert ws["B6"].value == 1234.5 and ws["B6"].number_format == "#,##0.00;[Red]-#,##0.00"
    assert ws["C6"].number_format == "yyyy-mm-dd" and ws["D6"].number_format == "0.0%"
    # a rep's text that looks like a formula stays text
    assert ws["A7"].data_type == "s" and ws["A7"].value.startswith("=HYPERLINK")
    assert ws["A8"].data_type == "s"
    # totals: SUBTOTAL over the data rows, carrying 1,234.50 + 100.25 − 34.75 = 1,300.00
    assert ws["A9"].value == "合计" and ws["B9"].value == "=SUBTOTAL(109,B6:B8)"
    cached = openpyxl.load_workbook(written.path, data_only=True)["明细"]
    assert cached["B9"].value == 1300.0
    assert ws.freeze_panes == "A6" and ws.auto_filter.ref == "A5:D8"
    assert ws.print_title_rows == "$5:$5"
    assert ws.page_setup.paperSize == 9 and ws.page_setup.orientation == "landscape"
    assert ws.conditional_formatting and ws._charts


def test_column_width_counts_chinese_double():
    assert display_width("上海明达") == 8 and display_width("AB12") == 4


def test_no_half_written_file_when_rendering_fails(tmp_path):
    bad = WorkbookSpec("坏.xlsx", [Sheet("x", [Table([Col("a")], [{"a": "1"}], highlights=[Highlight("不存在", ">", 0)])])])
    with pytest.raises(ValueError):
        write_workbook(bad, tmp_path)
    assert list(tmp_path.iterdir()) == []  # neither the target nor a temporary file is left


def test_same_data_gives_the_same_file(tmp_path):
    a = write_workbook(spec(), tmp_path / "a").path.read_bytes()
    b = write_workbook(spec(), tmp_path / "b").path.read_bytes()
    assert a == b
