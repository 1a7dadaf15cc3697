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

from neiqin_xl.core.sheets import WorkbookSpec
from neiqin_xl.deliver import writer
from neiqin_xl.tools import preview
from .test_streamed_rows import contracts

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


# ---------------------------------------------------------------- written in parts (deliver/parts.py)

def test_crc32_combine_is_the_crc_of_the_concatenation():
    import random
    import zlib

    from neiqin_xl.deliver.parts import crc32_combine
    rng = random.Random(34)
    for size_a, size_b in [(0, 0), (1, 0), (0, 7), (5, 1), (1000, 65_537), (3, 1_000_000)]:
        a, b = rng.randbytes(size_a), rng.randbytes(size_b)
        assert crc32_combine(zlib.crc32(a), zlib.crc32(b), len(b)) == zlib.crc32(a + b)


def members(path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        assert zf.testzip() is None  # every member's CRC-32 checks
        return {n: zf.read(n) for n in zf.namelist()}


@needs_office
def test_a_book_written_in_parts_is_the_book_written_whole(tmp_path, monkeypatch):
    spec = contracts(300)
    monkeypatch.setattr(writer, "IN_MEMORY_CELLS", 0)
    monkeypatch.setattr(writer, "CHUNK_ROWS", 50)  # 300 rows: 6 parts on each of the two sheets
    writer.render(spec, tmp_path / "whole.xlsx")
    writer.render(spec, tmp_path / "parts.xlsx", in_parts=True)
    # the very XML of every member (a cold write: no table kept from before), only compressed otherwise
    assert members(tmp_path / "parts.xlsx") == members(tmp_path / "whole.xlsx")
    with zipfile.ZipFile(tmp_path / "parts.xlsx") as zf:
        sheet = zf.getinfo("xl/worksheets/sheet1.xml")
    assert sheet.compress_type == zipfile.ZIP_DEFLATED
    # each part ends in a full flush, an empty stored block 00 00 FF FF: 6 parts on each of the 2 sheets
    assert (tmp_path / "parts.xlsx").read_bytes().count(b"\x00\x00\xff\xff") >= 12
    assert values(tmp_path / "parts.xlsx") == values(tmp_path / "whole.xlsx")
    out = tmp_path / "lo"
    preview.convert([tmp_path / "parts.xlsx", tmp_path / "whole.xlsx"], out, to="xlsx")
    assert values(out / "parts.xlsx") == values(out / "whole.xlsx")


def ledger(collected: dict[int, int], note: str = "未回款") -> WorkbookSpec:
    """300 rows of five reps, 60 rows each in rep order (as the 合同履行一览表 sorts them); rep k's rows
    collect ``collected.get(k, 0)`` fen each."""
    import pandas as pd

    from neiqin_xl.core.sheets import MONEY, Col, Sheet, Table
    frame = pd.DataFrame({
        "业务员": [f"业务员{i // 60}" for i in range(300)],
        "合同编号": [f"HT-{i:05d}" for i in range(300)],
        "回款金额": [collected.get(i // 60, 0) for i in range(300)],
        "备注": [note if i // 60 == 2 else "未回款" for i in range(300)],
    })
    table = Table([Col("业务员"), Col("合同编号"), Col("回款金额", MONEY), Col("备注")], frame, totals=True)
    return WorkbookSpec("合同履行一览表_2026-11-30.xlsx", [Sheet("合同履行一览表", [table], title="合同履行一览表")])


def test_a_rerun_compresses_again_only_the_parts_that_hold_the_changed_reps_rows(tmp_path, monkeypatch):
    monkeypatch.setattr(writer, "IN_MEMORY_CELLS", 0)
    monkeypatch.setattr(writer, "CHUNK_ROWS", 50)  # 300 rows: parts of rows 0-49, 50-99, …, 250-299
    out = tmp_path / "output"
    kept = out / ".parts"
    writer.write_workbook(ledger({}), out)
    first = {p.name for p in kept.glob("*.part")}
    assert len(first) == 6
    # 业务员2 collects 1,234.56 yuan on each of his rows (60 … 179 ÷ 60 = 2: rows 120-179) with a new note:
    # rows 120-179 lie in the parts of rows 100-149 and 150-199, the 3rd and 4th: two parts made anew
    writer.write_workbook(ledger({2: 123_456}, note="已回款"), out)
    second = {p.name for p in kept.glob("*.part")}
    assert len(second) == 6 and len(second - first) == 2  # the book's old two parts deleted, four kept
    rerun = values(out / "合同履行一览表_2026-11-30.xlsx")
    writer.write_workbook(ledger({2: 123_456}, note="已回款"), tmp_path / "cold")
    assert rerun == values(tmp_path / "cold" / "合同履行一览表_2026-11-30.xlsx")  # cell by cell a cold write's
    rows = rerun["合同履行一览表"]
    # title, blank, header: data from row 4 (index 3); row 120 is rep 2's first; 合计 = 60 × 1,234.56 = 74,073.60
    assert rows[3 + 120][2:] == (1234.56, "已回款") and rows[3 + 119][2:] == (0, "未回款")
    assert rows[3 + 300][0] == "合计" and rows[3 + 300][2] == "=SUBTOTAL(109,C4:C303)"
    members(out / "合同履行一览表_2026-11-30.xlsx")
    with zipfile.ZipFile(out / "合同履行一览表_2026-11-30.xlsx") as zf:
        sst = zf.read("xl/sharedStrings.xml").decode()
    # the kept table: 已回款 is new, after every text of the first write; 未回款 keeps its index
    assert sst.index("已回款") > sst.index("HT-00299") > sst.index("未回款")


def converted(caplog) -> list[tuple[int, int]]:
    """(parts rendered anew, parts whose rows were converted) of each sheet written, from the writer's log."""
    said = [r.getMessage() for r in caplog.records if "大表分" in r.getMessage()]
    caplog.clear()
    return [tuple(map(int, re.search(r"其中 (\d+) 块重新生成.*\((\d+) 块的行重新转换", m).groups())) for m in said]


def test_a_rerun_converts_only_the_parts_that_hold_the_changed_reps_rows(tmp_path, monkeypatch, caplog):
    # a kept part is known by its source rows: its cells are not converted, measured, summed or hashed again
    caplog.set_level("INFO", logger="neiqin_xl")
    monkeypatch.setattr(writer, "IN_MEMORY_CELLS", 0)
    monkeypatch.setattr(writer, "CHUNK_ROWS", 50)  # 300 rows: parts of rows 0-49, 50-99, …, 250-299
    out = tmp_path / "output"
    book = out / "合同履行一览表_2026-11-30.xlsx"
    writer.write_workbook(ledger({}), out)
    assert converted(caplog) == [(6, 6)]  # a cold write: every part
    # 业务员2's rows are rows 120-179: in the 3rd (100-149) and 4th (150-199) parts; the other four come from
    # the cache, with their widths, sums and texts
    writer.write_workbook(ledger({2: 123_456}, note="已回款"), out)
    assert converted(caplog) == [(2, 2)]
    rerun = book.read_bytes()
    writer.write_workbook(ledger({2: 123_456}, note="已回款"), tmp_path / "cold")
    assert values(book) == values(tmp_path / "cold" / book.name)  # cell by cell a cold write's
    rows = values(book)["合同履行一览表"]
    # the 合计 is 60 × 1,234.56 = 74,073.60, the sum of two converted parts and four kept ones (all 0)
    assert rows[3 + 300][2] == "=SUBTOTAL(109,C4:C303)"
    with zipfile.ZipFile(book) as zf:
        assert '<v>74073.6</v>' in zf.read("xl/worksheets/sheet1.xml").decode()
    caplog.clear()
    writer.write_workbook(ledger({2: 123_456}, note="已回款"), out)  # nothing changed: nothing converted
    assert converted(caplog) == [(0, 0)] and book.read_bytes() == rerun
    # a 合同编号 of the last part made 40 characters long: that part is converted, and the column's width
    # (taken from the kept parts' record for the others) grows to 40 + 2 as a cold write's does
    changed = ledger({2: 123_456}, note="已回款")
    changed.sheets[0].tables[0].rows.loc[299, "合同编号"] = "H" * 40
    writer.write_workbook(changed, out)
    assert converted(caplog) == [(1, 1)]
    writer.write_workbook(changed, tmp_path / "cold2")
    assert values(book) == values(tmp_path / "cold2" / book.name)
    widths = [openpyxl.load_workbook(p).active.column_dimensions["B"].width for p in (book, tmp_path / "cold2" / book.name)]
    assert widths[0] == widths[1] and widths[0] >= 42


def test_the_shared_string_table_is_the_xml_xlsxwriter_writes():
    # writer._FastStrings writes a plain text at once and leaves every other to xlsxwriter's _write_si: the
    # same bytes, whatever the texts (controls, escapes, kept spaces, rich text, emoji)
    import io
    import random

    from xlsxwriter.sharedstrings import SharedStrings, SharedStringTable

    from .test_streamed_rows import AWKWARD_TEXTS
    rng = random.Random(34)
    alphabet = 'ab _x0041_&<>"\n\t\r 中文\x07\x00😀'
    texts = [*AWKWARD_TEXTS, "<r>x</r>", " a", "a ", "a\n", "_x", "x_x1234_", "上海明达机电设备有限公司"]
    texts += ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 8))) for _ in range(5000)]

    def xml(kind) -> str:
        table = SharedStringTable()
        for text in texts:
            table._get_shared_string_index(text)
        table._sort_string_data()
        sst, out = kind(), io.StringIO()
        sst.string_table, sst.fh = table, out
        sst._write_sst_strings()
        return out.getvalue()

    assert xml(writer._FastStrings) == xml(SharedStrings)
    assert "<si><t>上海明达机电设备有限公司</t></si>" in xml(writer._FastStrings)
