"""What a rep is sent names nobody else. The demo month end with the cross-rep cases planted in the reps'
own workbooks, then every cell of every rep-facing workbook and every rep message (attachments included)
scanned for another rep's name or workbook."""

from __future__ import annotations

import datetime as dt
import doctest
import email
import io
import re
from email import policy
from pathlib import Path

import openpyxl
import pytest

from neiqin_xl import cli
from neiqin_xl.deliver import privacy

RUN_DATE = "2026-11-30"
REPS = ["刘洋", "周敏", "张伟", "李娜", "杨帆", "王强", "赵磊", "陈静"]  # the demo's reps
HEADERS = {"合同号": "合同编号"}  # 李娜's workbook says 合同号


def append(reps: Path, rep: str, sheet: str, values: dict) -> None:
    """One row at the end of a rep's sheet, under whatever header row that rep's workbook has."""
    path = reps / f"{rep}.xlsx"
    wb = openpyxl.load_workbook(path)
    ws = wb[sheet]
    header = next([c.value for c in row] for row in ws.iter_rows(max_row=6)
                  if HEADERS.get(row[0].value, row[0].value) in ("合同编号", "回款日期", "发货单号"))
    ws.append([values.get(HEADERS.get(h, h)) for h in header])
    wb.save(path)


def plant(reps: Path) -> None:
    day = dt.datetime.fromisoformat
    # 张伟 shipped 10,000 to 隐私测试客户 in October, still open
    append(reps, "张伟", "合同", {"合同编号": "HT-PRIV-1", "签订日期": day("2026-10-01"), "客户名称": "隐私测试客户",
                                 "产品名称": "减速机 RG-60", "数量": 1, "合同金额": 10000, "付款方式": "月结",
                                 "账期天数": 30, "约定交货日期": day("2026-10-10")})
    append(reps, "张伟", "发货", {"发货单号": "FH-PRIV-1", "发货日期": day("2026-10-05"), "合同编号": "HT-PRIV-1",
                                 "产品名称": "减速机 RG-60", "数量": 1, "发货金额": 10000, "状态": "已发货"})
    # 王强 enters the customer's payment without a contract: it pays 张伟's open item
    append(reps, "王强", "回款", {"回款日期": day("2026-11-20"), "客户名称": "隐私测试客户", "回款金额": 10000,
                                 "回款方式": "银行转账", "银行流水号": "PRIV000001"})
    # 王强 also has a contract with that customer: a customer two reps share
    append(reps, "王强", "合同", {"合同编号": "HT-PRIV-2", "签订日期": day("2026-11-02"), "客户名称": "隐私测试客户",
                                 "产品名称": "减速机 RG-60", "数量": 1, "合同金额": 3000, "付款方式": "月结",
                                 "账期天数": 30, "约定交货日期": day("2026-12-10")})
    # 李娜 types 张伟's contract number: one document number in two reps' workbooks
    append(reps, "李娜", "合同", {"合同编号": "HT2026-0001", "签订日期": day("2026-11-03"), "客户名称": "明达建材",
                                 "产品名称": "减速机 RG-60", "数量": 1, "合同金额": 5000, "付款方式": "月结",
                                 "账期天数": 30, "约定交货日期": day("2026-12-10")})


def workbook_texts(data: bytes) -> list[str]:
    wb = openpyxl.load_workbook(io.BytesIO(data))
    return [str(v) for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for v in row if v is not None]


def leaks(texts: list[str], rep: str) -> list[str]:
    return [t for t in texts for other in REPS if other != rep and other in t]


@pytest.fixture(scope="module")
def month_end(tmp_path_factory):
    root = tmp_path_factory.mktemp("privacy")
    config = root / "config.yaml"
    config.write_text("paths: {workspace: 工作区}\n", encoding="utf-8")
    assert cli.main(["demo", "--config", str(config), "--date", RUN_DATE]) == 0
    plant(root / "工作区" / "reps")
    assert cli.main(["--config", str(config), "--date", RUN_DATE, "--no-email", "--quiet"]) == 0
    return root / "工作区"


def test_the_planted_cases_are_in_the_clerks_copies_with_their_full_source(month_end):
    out = month_end / "output" / RUN_DATE
    clerk = workbook_texts((out / "提成计算表_2026-11.xlsx").read_bytes())
    assert any(re.fullmatch(r"王强\.xlsx\[回款\]!\d+", t) for t in clerk)  # the 10,000 paid 张伟's item
    problems = workbook_texts((out / f"数据问题清单_{RUN_DATE}.xlsx").read_bytes())
    assert any("李娜.xlsx[合同]" in t for t in problems) and any("张伟.xlsx[合同]" in t for t in problems)


def test_no_rep_facing_workbook_names_another_rep(month_end):
    out = month_end / "output" / RUN_DATE
    books = [*(out / "提成确认单").glob("*.xlsx"), *(out / "问题清单").glob("*.xlsx")]
    assert len(books) >= 10
    for path in books:
        rep = next(r for r in REPS if f"_{r}_" in path.name)
        texts = workbook_texts(path.read_bytes())
        assert leaks(texts, rep) == [], path.name
    zhang = workbook_texts((out / "提成确认单" / "提成确认单_张伟_2026-11.xlsx").read_bytes())
    assert "其他业务员台账" in zhang  # the line 王强's collection paid is there, its source hidden
    li = workbook_texts((out / "问题清单" / f"问题清单_李娜_{RUN_DATE}.xlsx").read_bytes())
    assert any("另见 其他业务员台账" in t for t in li)


def test_no_rep_message_names_another_rep_attachments_included(month_end):
    scanned = 0
    for eml in (month_end / "outbox" / RUN_DATE).glob("*.eml"):
        msg = email.message_from_bytes(eml.read_bytes(), policy=policy.default)
        found = re.search(r"\((\S+)\)$", str(msg["subject"]))
        if not found:
            continue  # the managers' message
        rep = found.group(1)
        texts = [str(msg["subject"]), str(msg["to"])]
        for part in msg.walk():
            if part.get_content_maintype() == "text" and part.get_content_disposition() != "attachment":
                texts.append(part.get_content())
        for part in msg.iter_attachments():
            texts += [part.get_filename(), *workbook_texts(part.get_payload(decode=True))]
        assert leaks(texts, rep) == [], eml.name
        scanned += 1
    assert scanned == len(REPS)


def test_privacy_doctests():
    assert doctest.testmod(privacy).failed == 0
