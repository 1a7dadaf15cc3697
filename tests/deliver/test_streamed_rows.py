"""A big workbook's rows are streamed as XML (deliver/writer.py ``_stream_rows``, issue 22): the file is the
very file xlsxwriter's own cell-by-cell writing makes, byte for byte, whatever the cells hold.

The big books (合同履行一览表, 应收账款明细账) are most of the day's write; they are written in xlsxwriter's
constant_memory mode, and their table rows go straight into its row file. Here a small workbook is made big
by lowering the line (``IN_MEMORY_CELLS``) and written both ways.
"""

from __future__ import annotations

from datetime import date

import openpyxl
import pandas as pd
import pytest

from neiqin_xl.core.sheets import DATE, INT, MONEY, PCT, TEXT, Col, Highlight, Sheet, Table, WorkbookSpec
from neiqin_xl.deliver import writer

AWKWARD_TEXTS = [
    "上海明达机电设备有限公司",
    "  前后有空格  ",  # kept: xml:space="preserve"
    "A&B <公司>",  # escaped
    "响铃\x07字符",  # a control character: _x0007_
    "_x0041_ 字面",  # a literal escape: _x005F_x0041_
    "表情😀",  # outside the BMP
    "备注很长" * 20,  # wraps: the row gets a height
    "=SUM(A1:A2)",  # text, never a formula
    "",
]


def contracts(rows: int) -> WorkbookSpec:
    frame = pd.DataFrame({
        "合同编号": [f"HT-2026-{i:05d}" for i in range(rows)],
        "客户名称": [AWKWARD_TEXTS[i % len(AWKWARD_TEXTS)] for i in range(rows)],
        "签订日期": [pd.Timestamp(date(2026, 1 + i % 12, 1 + i % 28)) if i % 7 else pd.NaT for i in range(rows)],
        "合同金额": [(-1) ** i * (i * 123_457 + 1) for i in range(rows)],  # fen
        "数量": [i % 50 for i in range(rows)],
        "回款率": [i / rows if i % 5 else float("nan") for i in range(rows)],
    })
    columns = [Col("合同编号"), Col("客户名称"), Col("签订日期", DATE), Col("合同金额", MONEY), Col("数量", INT),
               Col("回款率", PCT)]
    summary = Table([Col("业务员"), Col("合同金额", MONEY)], [{"业务员": "张伟", "合同金额": 100_00}], totals=True)
    return WorkbookSpec("合同履行一览表_2026-11-30.xlsx", [
        Sheet("合同履行一览表", [Table(columns, frame, totals=True, highlights=[Highlight("合同金额", "<", 0)]),
                          summary], title="合同履行一览表", subtitle=["截至 2026-11-30"], notes=["制表: 内勤"]),
        Sheet("明细", [Table(columns, frame.iloc[::-1].reset_index(drop=True), heading="按合同倒序")]),
    ])


def both_ways(spec: WorkbookSpec, tmp_path, monkeypatch, max_rows: int = writer.EXCEL_ROWS) -> tuple[bytes, bytes, list]:
    monkeypatch.setattr(writer, "IN_MEMORY_CELLS", 0)  # every workbook is a big one here
    streamed: list[bool] = []
    real = writer._stream_rows

    def recorded(*args):
        streamed.append(real(*args))
        return streamed[-1]

    monkeypatch.setattr(writer, "_stream_rows", recorded)
    writer.render(spec, tmp_path / "streamed.xlsx", max_rows=max_rows)
    monkeypatch.setattr(writer, "STREAM_ROWS", False)
    writer.render(spec, tmp_path / "cell_by_cell.xlsx", max_rows=max_rows)
    return (tmp_path / "streamed.xlsx").read_bytes(), (tmp_path / "cell_by_cell.xlsx").read_bytes(), streamed


def test_streamed_rows_are_the_bytes_xlsxwriter_writes_cell_by_cell(tmp_path, monkeypatch):
    streamed, by_cell, used = both_ways(contracts(300), tmp_path, monkeypatch)
    assert True in used  # the tables' rows did go the streamed way
    assert streamed == by_cell
    ws = openpyxl.load_workbook(tmp_path / "streamed.xlsx")["合同履行一览表"]
    # title, subtitle, blank, header: row 5 is contract 0, row 6 contract 1, …
    plain = [0, 1, 2, 5, 6, 7]  # (openpyxl shows Excel's _xHHHH_ escapes as they are stored: 3 and 4 left out)
    assert [ws.cell(5 + i, 2).value for i in plain] == [AWKWARD_TEXTS[i] for i in plain]
    assert ws.cell(5 + 8, 2).value is None  # the empty text: a blank cell
    assert ws.cell(6, 4).value == pytest.approx(-1_234.58)  # −(123,457 + 1) fen
    assert ws.cell(6, 3).value.date() == date(2026, 2, 2)
    assert ws.cell(5, 3).value is None  # NaT: blank
    # contract 6, the long 备注: 80 characters, 160 columns wide, in a column of 42 (40 for the text): 4 lines
    # of 14 points = 56 points, which Excel keeps in whole pixels: 75 px = 56.25 points
    assert ws.row_dimensions[11].height == 56.25


def test_a_table_continued_past_the_row_limit_streams_the_same_bytes(tmp_path, monkeypatch):
    streamed, by_cell, used = both_ways(contracts(40), tmp_path, monkeypatch, max_rows=16)
    assert used.count(True) >= 4 and streamed == by_cell


def test_a_text_xlsxwriter_writes_as_rich_text_streams_as_the_api_writes_it(tmp_path, monkeypatch):
    rows = [{"备注": "<r>x</r>"}, {"备注": "普通"}]  # xlsxwriter passes <r>…</r> through as rich text XML
    spec = WorkbookSpec("x.xlsx", [Sheet("表", [Table([Col("备注")], rows)])])
    streamed, by_cell, used = both_ways(spec, tmp_path, monkeypatch)
    assert used == [True] and streamed == by_cell  # both enter it in the shared string table alike


def test_a_table_written_in_parts_is_the_table_written_whole(tmp_path, monkeypatch):
    # a big table is converted and written CHUNK_ROWS rows at a time (memory): widths, wrapped rows and the
    # 合计 (money in fen, added exactly) come out as from the whole table at once
    spec = contracts(300)
    monkeypatch.setattr(writer, "IN_MEMORY_CELLS", 0)
    writer.render(spec, tmp_path / "whole.xlsx")
    monkeypatch.setattr(writer, "CHUNK_ROWS", 7)
    writer.render(spec, tmp_path / "parts.xlsx")
    assert (tmp_path / "parts.xlsx").read_bytes() == (tmp_path / "whole.xlsx").read_bytes()
    ws = openpyxl.load_workbook(tmp_path / "parts.xlsx", data_only=True)["合同履行一览表"]
    # 合同金额 of contract i is (−1)^i × (123,457 i + 1) fen; over i = 0 … 299 the 150 pairs (2k, 2k+1) each add
    # (123,457 × 2k + 1) − (123,457 × (2k+1) + 1) = −123,457 fen: −18,518,550 fen = −185,185.50 yuan
    assert ws.cell(5 + 300, 4).value == pytest.approx(-185_185.50)
