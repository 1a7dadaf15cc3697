"""One way to open the books (``loader.open_books``): read → validate → allocate, every problem kept as a
value, in the order the stages found them (the month close used to throw the reading's and the validation's
away)."""

from __future__ import annotations

from datetime import date, datetime

from neiqin_xl.loader import open_books

from ..helpers_intake import COLLECTION_HEADER, CONTRACT_HEADER, SHIPMENT_HEADER, workspace, write_book

DAY = date(2026, 11, 30)


def test_open_books_reads_validates_allocates_and_keeps_every_problem(tmp_path):
    settings = workspace(tmp_path)
    write_book(settings.folder("reps") / "张伟.xlsx", {
        "合同": [CONTRACT_HEADER,
                 ["HT1", datetime(2026, 11, 2), "明达", "服务器", 100000, "货到付款"],
                 ["HT2", "2026-13-05", "明达", "服务器", 5000, "货到付款"]],  # no such month: a reading problem
        "发货": [SHIPMENT_HEADER, ["FH1", datetime(2026, 11, 3), "HT1", 100000, "已发货"]],
        "回款": [COLLECTION_HEADER,
                 [datetime(2026, 11, 10), "明达", "HT1", 30000, "LS-1"],
                 [datetime(2026, 11, 11), "明达", "HT9", 2000, "LS-2"]]})  # HT9: no such contract
    books = open_books(settings, DAY)

    found = [(p.workbook, p.sheet, p.cell, p.message) for p in books.problems if p.workbook == "张伟.xlsx"]
    assert found == [("张伟.xlsx", "合同", "B3", "不是有效日期"),  # the reading's: no 13th month
                     ("张伟.xlsx", "回款", "C3", "在所有业务员的合同表中都找不到 (或该合同行有错误)")]  # the validation's
    # the allocation of the books: 30,000 of HT1's 100,000 shipment collected, 70,000 open (amounts in fen)
    ht1 = books.allocation.items[books.allocation.items["合同编号"] == "HT1"]
    assert ht1["已收"].sum() == 3_000_000 and ht1["未收"].sum() == 7_000_000
    assert books.tables["合同"]["合同编号"].tolist()[0] == "HT1"
