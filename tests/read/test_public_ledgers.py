"""Public workbooks (tests/fixtures/ledgers, SOURCES.md): what the intake makes of sales figures kept by people
who never saw our templates — with no config, and after pasting every config block it prints (the first when
it offers one per sheet), round after round, as a clerk following the 问题清单 would. Whatever the printed
advice maps, no row reaches the books from a wrong column without an error naming it; a date or amount field is
offered only a column whose cells are dates or amounts (``reader.cell_fits``)."""

from __future__ import annotations

import copy
import shutil
from datetime import date
from pathlib import Path

import openpyxl
import pytest
import yaml

from neiqin_xl.core.config import _UniqueKeyLoader, load_settings
from neiqin_xl.core.model import ERROR
from neiqin_xl.loader import open_books

from ..helpers_intake import write_book

LEDGERS = Path(__file__).resolve().parents[1] / "fixtures" / "ledgers"
SHIPPED = Path(__file__).resolve().parents[2] / "config.yaml"
DAY = date(2026, 11, 30)
REP_TABLES = ("合同", "发货", "开票", "回款", "日报", "费用", "回款计划", "反馈")


def pasted_blocks(problems) -> dict:
    """The one config block the run printed (nested under intake:), read as config.yaml is read: a block that
    wrote ``intake:`` twice would be refused. At most one problem of a run carries a block."""
    blocks = [p.suggestion[p.suggestion.index("intake:\n"):] for p in problems if "intake:\n" in p.suggestion]
    assert len(blocks) <= 1, blocks
    return yaml.load(blocks[0], Loader=_UniqueKeyLoader) if blocks else {}


def merged(config: dict, block: dict) -> dict:
    out = copy.deepcopy(config)
    for key, value in block.items():
        out[key] = merged(out.get(key, {}), value) if isinstance(value, dict) else value
    return out


def read(tmp_path: Path, name: str, config: dict, round_: int, files: dict[str, Path] | None = None):
    """A workspace with 张伟 in 人员 and the workbook(s) in reps/, read with the shipped config.yaml into which
    ``config`` (what was pasted so far) is merged, as a clerk edits it, and loaded as the run loads it."""
    root = tmp_path / f"round{round_}"
    for folder in ("reps", "master", "attendance", "finance"):
        (root / folder).mkdir(parents=True)
    path = root / "config.yaml"
    path.write_text(yaml.safe_dump(merged(yaml.safe_load(SHIPPED.read_text(encoding="utf-8")), config),
                                   allow_unicode=True), encoding="utf-8")
    settings = load_settings(path).with_workspace(root)
    write_book(settings.folder("master") / "人员.xlsx", {"人员": [["姓名", "部门"], ["张伟", "销售一部"]]})
    for target, source in (files or {f"张伟_{name}": LEDGERS / name}).items():
        shutil.copy(source, settings.folder("reps") / target)
    books = open_books(settings, DAY)
    mine = [p for p in books.problems if p.workbook in (*(files or {f"张伟_{name}": 0}), "config.yaml")]
    columns = next(i["columns"] for i in books.tables.inputs if i.get("rep") == "张伟")
    rows = sum(len(books.tables[t]) for t in REP_TABLES)
    return mine, columns, rows, books


def follow_the_advice(tmp_path: Path, name: str, rounds: int = 4, files: dict[str, Path] | None = None):
    """Each round: read, paste the one block the run printed into config.yaml; stop when nothing new is printed."""
    config: dict = {}
    seen = []
    for round_ in range(rounds):
        problems, columns, rows, books = read(tmp_path, name, config, round_, files)
        seen.append((config, problems, columns, rows, books))
        new = merged(config, pasted_blocks(books.problems))
        if new == config:
            break
        config = new
    return seen


def data_rows(name: str, sheet: str) -> list[int]:
    """The Excel rows below the header that hold anything (the rows a wrong mapping could misread)."""
    ws = openpyxl.load_workbook(LEDGERS / name)[sheet]
    return [r[0].row for r in ws.iter_rows(min_row=2) if any(c.value is not None for c in r)]


# (file, sheet, what the intake maps after all pasting, the config it ended with, why no row is read)
CASES = [
    # a 课程 sale a row: 金额 and 业务日期 are known headers once the sheet is named 合同; the advice offers
    # 合同编号 ← 课程名称 (a guess for the clerk to judge) and knows no 客户名称: the sheet stays unread
    ("课程销售数据.xlsx", "Sheet1", {"合同编号": "A", "合同金额": "B", "签订日期": "C"},
     {"sheet_aliases": {"合同": ["Sheet1"]}, "column_aliases": {"合同": {"签订日期": ["业务日期"], "合同编号": ["课程名称"]}}},
     "第 1 行表头缺少必填列: 客户名称, 整张表未读取"),
    # a ranking by city and month, taken for a 日报 sheet: no column's cells are dates, so no 日期 is offered
    # (排名 was, before: 1 → 1900-01-01) and the sheet stays unread
    ("合伙人订单金额排名.xlsx", "合伙人订单金额总排名", {"城市": "C"},
     {"sheet_aliases": {"日报": ["合伙人订单金额总排名"]}},
     "第 1 行表头缺少必填列: 日期, 整张表未读取"),
    # 姓名、地区、销售额、部门: no header of any kind and no rows of dates (Sheet3 is a grid of numbers 1 … 11, no
    # header at all): no sheet is offered to any kind (a guess before: 合同, then 合同编号 ← 姓名, and Sheet3's "1"
    # for two fields at once); the error says what a clerk writes if a sheet is a ledger after all
    ("地区销售额.xlsx", "Sheet1", {}, {}, "没有一张表的表头像任何一种台账"),
    # English headers over 114 rows without a date, and Sheet1 the same rows without a header: the same
    ("蔬菜销售数据.xlsx", "销售数据", {}, {}, "没有一张表的表头像任何一种台账"),
]


@pytest.mark.parametrize("name, sheet, columns, config, why", CASES, ids=[c[0] for c in CASES])
def test_a_public_workbook_is_never_read_from_the_wrong_columns_silently(tmp_path, name, sheet, columns, config, why):
    seen = follow_the_advice(tmp_path, name)
    # with no config: nothing read, one error for the workbook or the sheet, with a block to paste
    first_config, problems, first_columns, rows, _ = seen[0]
    assert first_config == {} and rows == 0 and first_columns == {}
    errors = [p for p in problems if p.severity == ERROR]
    assert len(errors) == 1 and "未读取" in errors[0].message
    assert "intake:\n" in errors[0].suggestion if config else why in errors[0].suggestion
    # after pasting all that was printed: the columns as mapped, and still no row in the books
    last_config, problems, last_columns, rows, _ = seen[-1]
    assert last_config == ({"intake": config} if config else {})
    assert last_columns == ({sheet: columns} if columns else {})
    assert rows == 0
    assert any(why in p.message + p.suggestion for p in problems if p.severity == ERROR)
    # every row that holds anything is refused with an error of its own, or the whole sheet is
    refused = {p.row for p in problems if p.severity == ERROR and p.sheet == sheet}
    whole = any(p.severity == ERROR and (p.sheet == sheet and "整张表未读取" in p.message or "整个工作簿未读取" in p.message)
                for p in problems)
    assert whole or set(data_rows(name, sheet)) <= refused


def test_the_public_corpus_counts():
    # 4 workbooks kept (SOURCES.md); none is recognised without config, and none gives a row after pasting
    assert sorted(p.name for p in LEDGERS.glob("*.xlsx")) == sorted(c[0] for c in CASES)
    assert all(f"| {c[0]} |" in (LEDGERS / "SOURCES.md").read_text(encoding="utf-8") for c in CASES)


def test_two_unknown_sheets_of_two_kinds_print_one_block_and_after_pasting_it_read_from_the_right_columns(tmp_path):
    # 张伟 keeps his collections on 进账 and his contracts on 签单, under headers of his own: 流水号 says 回款,
    # 账期 says 合同 (one known field each: neither sheet is ours by itself)
    book = write_book(tmp_path / "张伟.xlsx", {
        "进账": [["到账日子", "付款人", "进账额", "流水号"],
               [date(2026, 11, 5), "上海明达", 1200, "LS-1"], [date(2026, 11, 9), "杭州远景", 800.5, "LS-2"]],
        "签单": [["单号", "日子", "买家", "货品", "价款", "账期"],
               ["HT-1", date(2026, 11, 2), "上海明达", "阀门", 50000, 30],
               ["HT-2", date(2026, 11, 3), "杭州远景", "水泵", 20000, 60]]})
    seen = follow_the_advice(tmp_path, "", files={"张伟.xlsx": book})
    # round 1: one error for the workbook, one block mapping each sheet to its kind
    assert pasted_blocks(seen[0][4].problems) == {"intake": {"sheet_aliases": {"回款": ["进账"], "合同": ["签单"]}}}
    # round 2: each sheet one error (columns missing), and ONE block for both, on a problem of its own; each
    # sheet's error points to it. Dates and amounts by their cells (到账日子, 进账额; 日子, 价款), the rest nearest by name
    round2 = seen[1][1]
    assert [(p.severity, p.sheet) for p in round2 if p.workbook == "张伟.xlsx"] == [(ERROR, "进账"), (ERROR, "签单")]
    assert all("见问题清单中 config.yaml 的一行" in p.suggestion for p in round2 if p.workbook == "张伟.xlsx")
    assert pasted_blocks(seen[1][4].problems)["intake"]["column_aliases"] == {
        "回款": {"回款日期": ["到账日子"], "回款金额": ["进账额"], "客户名称": ["付款人"]},
        "合同": {"签订日期": ["日子"], "合同金额": ["价款"], "合同编号": ["单号"], "客户名称": ["买家"]}}
    # round 3: nothing left to paste; both sheets read, every field from its own column
    config, problems, columns, rows, books = seen[-1]
    assert len(seen) == 3 and [p for p in problems if p.severity == ERROR] == []
    assert columns == {"进账": {"银行流水号": "D", "回款日期": "A", "回款金额": "C", "客户名称": "B"},
                       "签单": {"账期天数": "F", "签订日期": "B", "合同金额": "E", "合同编号": "A", "客户名称": "C"}}
    got = books.tables["回款"]
    # 1,200.00 + 800.50 = 2,000.50 yuan = 200,050 fen; customers and dates as typed in each row
    assert int(got["回款金额"].sum()) == 200_050 and list(got["客户名称"]) == ["上海明达", "杭州远景"]
    assert [d.day for d in got["回款日期"]] == [5, 9] and list(got["银行流水号"]) == ["LS-1", "LS-2"]
    contracts = books.tables["合同"]
    # 50,000 + 20,000 = 70,000.00 yuan
    assert list(contracts["合同编号"]) == ["HT-1", "HT-2"] and int(contracts["合同金额"].sum()) == 7_000_000
    assert list(contracts["客户名称"]) == ["上海明达", "杭州远景"] and list(contracts["账期天数"]) == [30, 60]
