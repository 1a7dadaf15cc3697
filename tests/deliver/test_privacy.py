"""What a rep is sent names no other rep (issue 14): the whole day on the demo with the cross-rep cases planted,
then every cell of every rep's own workbook and every rep's mail, attachments included, scanned for the other
reps' names and workbook names. The clerk's copies keep the full sources.
"""

from __future__ import annotations

import email
import io
from datetime import datetime
from email import policy
from pathlib import Path

import openpyxl
import pytest

from ..day.whole_days import run

pytestmark = pytest.mark.slow  # the whole demo day, run for real

DAY = "2026-11-30"  # the month's last working day: every rep gets a 提成确认单
REPS = ["刘洋", "周敏", "张伟", "李娜", "杨帆", "王强", "赵磊", "陈静"]  # the demo's reps


def append(path: Path, sheet: str, row: list) -> None:
    book = openpyxl.load_workbook(path)
    book[sheet].append(row)
    book.save(path)


@pytest.fixture(scope="module")
def day(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("privacy")
    workspace = tmp / "工作区"
    env = {"XDG_CACHE_HOME": str(tmp / "cache"), "LOCALAPPDATA": str(tmp / "cache")}
    run(["run_daily.py", "demo", "--workspace", str(workspace), "--date", DAY], env)
    reps = workspace / "reps"
    # 1. 王强 books a collection without a contract that pays 张伟's item: 张伟's commission line comes from
    #    王强's workbook
    append(reps / "张伟.xlsx", "合同", ["HT-PRIV-1", datetime(2026, 11, 2), "隐私测试客户", "减速机 RG-60", 1, 10000, "月结", 30])
    append(reps / "张伟.xlsx", "发货", ["FH-PRIV-1", datetime(2026, 11, 5), "HT-PRIV-1", "减速机 RG-60", 1, 10000])
    append(reps / "王强.xlsx", "回款", [datetime(2026, 11, 10), "隐私测试客户", None, 10000, "银行转账", "PRIV0001"])
    #    … and 王强 has a contract with that customer too: a customer two reps share
    append(reps / "王强.xlsx", "合同", ["HT-PRIV-2", datetime(2026, 11, 12), "隐私测试客户", "减速机 RG-60", 1, 3000, "月结", 30])
    # 2. 李娜 types 张伟's contract number with other content: each one's problem points at the other's row
    append(reps / "李娜.xlsx", "合同", ["HT2026-0001", datetime(2026, 3, 1), "华东机电", "减速机 RG-60", 2, 5000, "月结", 30])
    run(["run_daily.py", "--workspace", str(workspace), "--date", DAY, "--no-email", "--quiet"], env)
    return workspace


def leaks(cells: list[tuple[str, str]], rep: str) -> list[str]:
    return [f"{where}: {text[:80]}" for where, text in cells for other in REPS if other != rep and other in text]


def book_cells(data, where: str) -> list[tuple[str, str]]:
    book = openpyxl.load_workbook(io.BytesIO(data) if isinstance(data, bytes) else data)
    return [(f"{where}[{ws.title}]!{c.coordinate}", c.value) for ws in book.worksheets for row in ws.iter_rows()
            for c in row if isinstance(c.value, str)] + [(f"{where} sheet", ws.title) for ws in book.worksheets]


def rep_of(name: str) -> str | None:
    return next((r for r in REPS if f"_{r}_" in name), None)


def test_the_cases_are_planted_and_the_clerk_keeps_every_source(day):
    out = day / "output" / DAY
    clerk = [text for _, text in book_cells(str(out / "提成计算表_2026-11.xlsx"), "提成计算表")]
    assert any(text.startswith("王强.xlsx[回款]!") for text in clerk)  # 张伟's line paid from 王强's workbook
    problems = [text for _, text in book_cells(str(out / f"数据问题清单_{DAY}.xlsx"), "数据问题清单")]
    assert any("另见 李娜.xlsx[合同]!" in text for text in problems)


def test_a_reps_own_workbooks_name_no_other_rep(day):
    out = day / "output" / DAY
    own = [p for p in sorted(out.glob("*/*.xlsx")) if rep_of(p.name)]
    assert {rep_of(p.name) for p in own} >= {"张伟", "李娜"} and len(own) >= 10
    found = [leak for p in own for leak in leaks(book_cells(str(p), p.name), rep_of(p.name))]
    assert not found, "\n".join(found)
    zhang = [text for _, text in book_cells(str(out / "提成确认单" / "提成确认单_张伟_2026-11.xlsx"), "")]
    assert "其他业务员台账" in zhang  # the source is said, not named


def test_a_reps_mail_and_its_attachments_name_no_other_rep(day):
    messages = [p for p in sorted((day / "outbox" / DAY).glob("*.eml")) if rep_of(p.name)]
    assert len(messages) == len(REPS)  # every rep's 提成确认单 (and 问题清单 where they have problems)
    found = []
    for path in messages:
        rep, msg = rep_of(path.name), email.message_from_bytes(path.read_bytes(), policy=policy.default)
        cells = [("subject", str(msg["Subject"]))]
        for part in msg.walk():
            if part.is_multipart():
                continue
            data = part.get_payload(decode=True)
            if part.get_filename():
                cells += [("attachment name", part.get_filename())]
                cells += book_cells(data, f"{path.name}:{part.get_filename()}") if part.get_filename().endswith(".xlsx") else []
            else:
                cells += [(f"{path.name} body", data.decode(part.get_content_charset() or "utf-8"))]
        found += leaks(cells, rep)
    assert not found, "\n".join(found)
