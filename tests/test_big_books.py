"""The big books (合同履行一览表, 应收账款明细账; deliver/writer.py, issue 34): written row by row to disk
(constant_memory) yet with their text in the shared string table, as an in-memory workbook's is: Apple
Numbers and the iPhone preview show inline strings (``t="inlineStr"``) as blank cells.

A small workbook is made big by lowering the line (``IN_MEMORY_CELLS``); the same spec written in memory is
what it must read as.
"""

from __future__ import annotations

import re
import zipfile

import openpyxl
import pytest

from neiqin_xl.deliver import writer
from neiqin_xl.tools import preview
from tests.test_streamed_rows import contracts

needs_office = pytest.mark.skipif(preview.soffice() is None, reason="LibreOffice (soffice) not installed")


def values(path) -> dict[str, list[tuple]]:
    wb = openpyxl.load_workbook(path)
    return {ws.title: [tuple(c.value for c in row) for row in ws.iter_rows()] for ws in wb.worksheets}


def big_and_small(tmp_path, monkeypatch, rows: int = 300):
    spec = contracts(rows)
    writer.render(spec, tmp_path / "small.xlsx")  # 300 rows × 6 columns × 2 sheets: in memory
    monkeypatch.setattr(writer, "IN_MEMORY_CELLS", 0)
    writer.render(spec, tmp_path / "big.xlsx")
    return tmp_path / "big.xlsx", tmp_path / "small.xlsx"


def test_a_big_books_text_is_all_in_the_shared_string_table(tmp_path, monkeypatch):
    big, small = big_and_small(tmp_path, monkeypatch)
    with zipfile.ZipFile(big) as zf:
        sheets = [zf.read(n).decode() for n in zf.namelist() if n.startswith("xl/worksheets/sheet")]
        sst = zf.read("xl/sharedStrings.xml").decode()
    assert len(sheets) == 2 and not any('t="inlineStr"' in x for x in sheets)
    # every text cell points into the table: the contract numbers HT-2026-00000 … 00299 are 300 distinct
    # texts, the 9 AWKWARD_TEXTS less the empty one (a blank cell) 8 more, with title, subtitle, headers …
    unique = int(re.search(r'uniqueCount="(\d+)"', sst).group(1))
    indexes = {int(i) for x in sheets for i in re.findall(r't="s"><v>(\d+)</v>', x)}
    assert unique >= 308 and indexes == set(range(unique))
    assert "HT-2026-00299" in sst and "上海明达机电设备有限公司" in sst
    assert values(big) == values(small)  # openpyxl reads what it reads of the in-memory book


@needs_office
def test_libreoffice_reads_a_big_book_as_the_in_memory_one(tmp_path, monkeypatch):
    big, small = big_and_small(tmp_path, monkeypatch, rows=120)
    out = tmp_path / "lo"
    preview.convert([big, small], out, to="xlsx")
    assert values(out / "big.xlsx") == values(out / "small.xlsx")
    assert values(out / "big.xlsx")["合同履行一览表"][4][:2] == ("HT-2026-00000", "上海明达机电设备有限公司")
