"""The shared writer: formats, totals carrying values, inert text, widths, print setup, atomic save."""

import openpyxl
import pandas as pd
import pytest

from neiqin_xl.core.sheets import DATE, MONEY, PCT, Chart, Col, Figure, Highlight, Sheet, Table, WorkbookSpec
from neiqin_xl.deliver.writer import display_width, write_workbook

from ..helpers import fen


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


def test_key_figures_lie_over_the_tables_columns_without_widening_them(tmp_path):
    # a table of four columns, three key figures above it: each figure's block spans as many of the table's
    # columns as its value in large type needs; the columns keep the widths the table asks for
    rows = pd.DataFrame({"业务员": ["张伟", "李娜"], "回款": [fen("12,345,678.90"), fen("1.00")],
                         "目标": [fen("100.00"), fen("100.00")], "完成率": [0.5, 12.345]})
    table = Table([Col("业务员"), Col("回款", MONEY), Col("目标", MONEY), Col("完成率", PCT)], rows, totals=True,
                  totals_values={"完成率": 0.25})
    figures = [Figure("本月回款", fen("12,345,679.90"), MONEY, "目标 ¥200.00"), Figure("完成率", 0.25, PCT),
               Figure("逾期", fen("1,000.00"), MONEY, alert=True)]
    alone = write_workbook(WorkbookSpec("表.xlsx", [Sheet("表", [table])]), tmp_path / "a").path
    both = write_workbook(WorkbookSpec("表.xlsx", [Sheet("表", [table], title="T", figures=figures)]), tmp_path / "b").path
    plain, ws = openpyxl.load_workbook(alone)["表"], openpyxl.load_workbook(both)["表"]
    widths = {c: ws.column_dimensions[c].width for c in "ABCD"}
    assert widths == {c: plain.column_dimensions[c].width for c in "ABCD"}
    # the 合计 of 回款 (12,345,679.90, bold) and the widest percentage (1234.5%) fit their columns
    assert widths["B"] >= len("12,345,679.90") + 2 and widths["D"] >= len("1234.5%") + 2
    # title (1), blank (2), the blocks: labels (3), values (4), notes (5); the values are numbers with formats
    assert ws["A3"].value == "本月回款" and ws["A4"].value == 12345679.9 and ws["A4"].number_format == '"¥"#,##0.00'
    assert ws["A5"].value == "目标 ¥200.00" and ws["A4"].font.size == 14 and ws["A4"].font.b
    blocks = sorted(str(r) for r in ws.merged_cells.ranges if r.min_row == 4)
    first = next(r for r in ws.merged_cells.ranges if r.min_row == 4 and r.min_col == 1)
    # ¥12,345,679.90 in large type: about 1.5 × 14 characters; the merged columns hold it
    assert sum(widths["ABCD"[c - 1]] for c in range(first.min_col, first.max_col + 1)) >= 14 * 1.5
    assert blocks and ws.cell(4, first.max_col + 1).value == 0.25  # the next figure starts where it ends
    red = next(ws.cell(r, c) for r in (4, 8) for c in range(1, 5) if ws.cell(r, c).value == 1000)
    assert red.font.color.rgb.endswith("B42318")  # 逾期 > 0: bad news in red


def test_a_chart_reads_a_table_of_another_sheet_and_draws_targets_as_lines(tmp_path):
    data = Table([Col("业务员"), Col("完成率", PCT), Col("100%", PCT)],
                 pd.DataFrame({"业务员": ["张伟", "李娜"], "完成率": [0.5, 1.2], "100%": [1, 1]}))
    first = Sheet("汇总", [Table([Col("指标")], [{"指标": "x"}])], charts=[
        Chart("完成率", 0, "业务员", ("完成率",), sheet="数据", lines=("100%",), percent=True, below=True)])
    path = write_workbook(WorkbookSpec("图.xlsx", [first, Sheet("数据", [data])]), tmp_path).path
    import zipfile
    with zipfile.ZipFile(path) as z:
        xml = z.read("xl/charts/chart1.xml").decode("utf-8")
        drawing = [n for n in z.namelist() if n.startswith("xl/drawings/drawing")]
    # header on row 1 of 数据, 张伟 and 李娜 on rows 2-3: the bars and the dashed 100% line read them
    assert "<c:f>数据!$B$2:$B$3</c:f>" in xml and "<c:f>数据!$C$2:$C$3</c:f>" in xml
    assert "<c:barChart>" in xml and "<c:lineChart>" in xml and 'formatCode="0%"' in xml and "dash" in xml
    assert drawing == ["xl/drawings/drawing1.xml"]  # drawn on 汇总, the first sheet
    assert openpyxl.load_workbook(path)["汇总"].print_area  # the page reaches the chart
