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

from neiqin_xl.core.config import Settings
from neiqin_xl.core.model import ERROR
from neiqin_xl.loader import open_books

from ..helpers_intake import write_book

LEDGERS = Path(__file__).resolve().parents[1] / "fixtures" / "ledgers"
DAY = date(2026, 11, 30)
REP_TABLES = ("合同", "发货", "开票", "回款", "日报", "费用", "回款计划", "反馈")


def pasted_blocks(suggestion: str) -> dict:
    """The config block a suggestion prints (nested under intake:), as YAML; the first of several."""
    at = suggestion.find("\nintake:")
    if at < 0:
        return {}
    return yaml.safe_load(suggestion[at + 1:].split("\nintake:")[0])


def merged(config: dict, block: dict) -> dict:
    out = copy.deepcopy(config)
    for key, value in block.items():
        out[key] = merged(out.get(key, {}), value) if isinstance(value, dict) else value
    return out


def read(tmp_path: Path, name: str, config: dict, round_: int):
    root = tmp_path / f"round{round_}"
    settings = Settings(**config).with_workspace(root)
    for folder in ("reps", "master", "attendance", "finance"):
        (root / folder).mkdir(parents=True)
    write_book(settings.folder("master") / "人员.xlsx", {"人员": [["姓名", "部门"], ["张伟", "销售一部"]]})
    shutil.copy(LEDGERS / name, settings.folder("reps") / f"张伟_{name}")
    books = open_books(settings, DAY)
    mine = [p for p in books.problems if p.workbook == f"张伟_{name}"]
    columns = next(i["columns"] for i in books.tables.inputs if i.get("rep") == "张伟")
    rows = sum(len(books.tables[t]) for t in REP_TABLES)
    return mine, columns, rows


def follow_the_advice(tmp_path: Path, name: str, rounds: int = 4):
    """Each round: read, paste every printed block into the config; stop when nothing new is printed."""
    config: dict = {}
    seen = []
    for round_ in range(rounds):
        problems, columns, rows = read(tmp_path, name, config, round_)
        seen.append((config, problems, columns, rows))
        new = config
        for p in problems:
            new = merged(new, pasted_blocks(p.suggestion))
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
    # 姓名、地区、销售额、部门, taken for 合同 and mapped by closeness (合同编号 ← 姓名, 客户名称 ← 地区: guesses
    # the clerk sees); no column of dates, so no 签订日期 is offered and the sheet stays unread
    ("地区销售额.xlsx", "Sheet1", {"合同编号": "A", "客户名称": "B", "合同金额": "C"},
     {"sheet_aliases": {"合同": ["Sheet1"]},
      "column_aliases": {"合同": {"合同金额": ["销售额"], "合同编号": ["姓名"], "客户名称": ["地区"]}}},
     "第 1 行表头缺少必填列: 签订日期, 整张表未读取"),
    # English headers, taken for 合同: the same, no date column
    ("蔬菜销售数据.xlsx", "销售数据", {"客户名称": "A", "合同编号": "B", "合同金额": "C"},
     {"sheet_aliases": {"合同": ["销售数据"]},
      "column_aliases": {"合同": {"合同金额": ["price"], "合同编号": ["amount"], "客户名称": ["vegetables"]}}},
     "第 1 行表头缺少必填列: 签订日期, 整张表未读取"),
]


@pytest.mark.parametrize("name, sheet, columns, config, why", CASES, ids=[c[0] for c in CASES])
def test_a_public_workbook_is_never_read_from_the_wrong_columns_silently(tmp_path, name, sheet, columns, config, why):
    seen = follow_the_advice(tmp_path, name)
    # with no config: nothing read, one error for the workbook or the sheet, with a block to paste
    first_config, problems, first_columns, rows = seen[0]
    assert first_config == {} and rows == 0 and first_columns == {}
    errors = [p for p in problems if p.severity == ERROR]
    assert len(errors) == 1 and "未读取" in errors[0].message and pasted_blocks(errors[0].suggestion)
    # after pasting all that was printed: the columns as mapped, and still no row in the books
    last_config, problems, last_columns, rows = seen[-1]
    assert last_config == {"intake": config}
    assert last_columns == {sheet: columns}
    assert rows == 0
    assert any(why in p.message for p in problems if p.severity == ERROR)
    # every row that holds anything is refused with an error of its own, or the whole sheet is
    refused = {p.row for p in problems if p.severity == ERROR and p.sheet == sheet}
    whole = any(p.severity == ERROR and p.sheet == sheet and "整张表未读取" in p.message for p in problems)
    assert whole or set(data_rows(name, sheet)) <= refused


def test_the_public_corpus_counts():
    # 4 workbooks kept (SOURCES.md); none is recognised without config, and none gives a row after pasting
    assert sorted(p.name for p in LEDGERS.glob("*.xlsx")) == sorted(c[0] for c in CASES)
    assert all(f"| {c[0]} |" in (LEDGERS / "SOURCES.md").read_text(encoding="utf-8") for c in CASES)
