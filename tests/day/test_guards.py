"""Nothing overwritten, nothing lost (issue 15): names unique by construction, every step in its own guard.

A small real workspace is written into tmp_path and run through ``cli.main`` (e-mail off: the messages go to
the outbox as .eml files). Its customers and reps have names that collide once made safe:
- customers ``A/B公司`` and ``A:B公司`` (both ``A_B公司``), ``ABC Trading`` and ``abc trading`` (one file on
  Windows), and two names of 81 characters equal in their first 80;
- reps ``Tom`` and ``tom`` (one sheet name for Excel, one file name on Windows), two reps equal in their first
  31 characters, and one whose name cut at 31 ends with an apostrophe.
It has no finance folder. Then each single failure is injected into a fresh copy: everything else is written
and mailed, the manifest says what failed, the exit status is 1.
"""

from __future__ import annotations

import json
import re
import shutil
from datetime import date
from pathlib import Path

import openpyxl
import pytest
import yaml

from neiqin_xl import cli
from neiqin_xl.reports import problems
from neiqin_xl.deliver import mail, writer

from ..helpers_intake import COLLECTION_HEADER, CONTRACT_HEADER, SHIPMENT_HEADER, workspace, write_book

pytestmark = pytest.mark.slow  # each test runs a day through cli.main (a small workspace, every report)

DAY = "2026-11-30"  # a Monday, the month's last working day: the 财务对账 is due
CUSTOMERS = ["A/B公司", "A:B公司", "ABC Trading", "abc trading", "长" * 80 + "甲", "长" * 80 + "乙"]
REPS = ["Tom", "tom", "某" * 31 + "甲", "某" * 31 + "乙", "a" * 30 + "'b"]
RECIPIENTS = {key: {"to": ["gm@example.com"]} for key in ("daily", "period", "shipping", "reconciliation", "expenses")}


def build(root: Path) -> Path:
    """The workspace under ``root`` and its config.yaml; returns the config's path.

    Tom holds a contract of ¥10,000.00 for each customer, shipped on 11-05 (each customer owes ¥10,000.00:
    one 对账单 each). Every rep's 回款 sheet has a row without 回款金额 (an error: each rep is in the 问题清单,
    with a sheet of their own)."""
    settings = workspace(root / "工作区")
    shutil.rmtree(settings.folder("finance"))
    for n, rep in enumerate(REPS):
        mine = CUSTOMERS if n == 0 else []
        write_book(settings.folder("reps") / f"{rep}.xlsx", {
            # shipped in October: the 对账函 of 11-30 confirm October (the last month ended)
            "合同": [CONTRACT_HEADER, *([f"HT{i}", date(2026, 10, 2), c, "服务", 10000, "月结"] for i, c in enumerate(mine))],
            "发货": [SHIPMENT_HEADER, *([f"FH{i}", date(2026, 10, 5), f"HT{i}", 10000, "已发货"] for i in range(len(mine)))],
            "回款": [COLLECTION_HEADER, [date(2026, 11, 10), "明达", None, None, f"LS{n}"]]})
    write_book(settings.folder("master") / "人员.xlsx",
               {"人员": [["姓名", "角色", "邮箱"], *([rep, "业务员", f"rep{n}@example.com"] for n, rep in enumerate(REPS))]})
    config = root / "config.yaml"
    config.write_text(yaml.safe_dump({"paths": {"workspace": str(root / "工作区")},
                                      "email": {"enabled": False, "recipients": RECIPIENTS}}, allow_unicode=True),
                      encoding="utf-8")
    return config


def run(config: Path) -> int:
    return cli.main(["--config", str(config), "--date", DAY, "--quiet"])


def out_dir(root: Path, folder: str = "output") -> Path:
    return root / "工作区" / folder / DAY


def manifest(folder: Path) -> dict:
    return json.loads((folder / "manifest.json").read_text(encoding="utf-8"))


def outbox(root: Path) -> list[str]:
    return sorted(p.name for p in (root / "工作区" / "outbox" / DAY).glob("*.eml"))


def workbooks(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*.xlsx")}


@pytest.fixture(scope="module")
def clean(tmp_path_factory):
    """The clean run: exit status, output folder, manifest, the outbox's messages."""
    root = tmp_path_factory.mktemp("clean")
    status = run(build(root))
    return status, out_dir(root), manifest(out_dir(root)), outbox(root)


# ---------------------------------------------------------------------------- names

def test_colliding_customer_names_get_distinct_statements_and_the_manifest_maps_them(clean):
    status, folder, m, _ = clean
    assert status == 0 and m["failed"] == []
    files = m["files_for"]["statements"]
    assert sorted(files) == sorted(CUSTOMERS)
    names = [Path(f).name for f in files.values()]
    assert len({n.casefold() for n in names}) == 6  # distinct ignoring case, as Windows compares them
    # the suffix (对账编号: no 客户编码 in the archive, the name's hash) kept, even after 80 characters
    assert all(re.fullmatch(r".*_对账函_DZ-202610-C[0-9A-F]{6}\.xlsx", n) for n in names)
    assert files["ABC Trading"].startswith("对账函/ABC Trading_") and files["abc trading"].startswith("对账函/abc trading_")
    assert files["A/B公司"].startswith("对账函/A_B公司_") and files["A:B公司"].startswith("对账函/A_B公司_")
    for customer, file in files.items():  # each file is that customer's letter
        ws = openpyxl.load_workbook(folder / file)["对账函"]
        assert ws["A3"].value.startswith(f"致：{customer}（客户编码 C")
        assert len(Path(file).name.encode("utf-16-le")) // 2 <= 255
    assert len(list((folder / "对账函").glob("*.xlsx"))) == 6


def test_reps_whose_names_collide_as_sheet_names_do_not_stop_the_run(clean):
    _, folder, m, mails = clean
    book = openpyxl.load_workbook(folder / "数据问题清单_2026-11-30.xlsx")
    sheets = book.sheetnames
    assert sheets[0] == "问题清单" and len(sheets) == 6 and len({s.casefold() for s in sheets}) == 6
    assert all(len(s) <= 31 and not s.startswith("'") and not s.endswith("'") for s in sheets)
    assert sorted(book[s]["A1"].value for s in sheets[1:]) == sorted(f"数据问题清单 — {rep}" for rep in REPS)
    assert sorted(m["files_for"]["problems"]) == sorted(REPS)
    assert len({Path(f).name.casefold() for f in m["files_for"]["problems"].values()}) == 5
    assert sum(1 for name in mails if "数据问题清单" in name or "提成确认单" in name) >= 5  # each rep's message


def test_a_missing_finance_folder_is_stated_in_the_reconciliation_and_the_manifest(clean):
    _, folder, m, _ = clean
    assert {"path": "finance", "sha256": "", "status": "missing", "rows": {}, "folder": "finance",
            "message": "文件夹不存在"} in m["inputs"]
    month = m["figures"]["reconciliation"]["months"]["2026-11"]
    assert month["finance_folder_missing"] == "finance"
    assert month["missing_exports"] == ["财务收款", "财务开票", "应收余额"]
    ws = openpyxl.load_workbook(folder / "财务对账_2026-11.xlsx")["对账汇总"]
    subtitle = [ws.cell(r, 1).value for r in range(2, 7)]
    assert any(line and line.startswith("找不到财务导出文件夹 finance") for line in subtitle)
    assert any(line and line.startswith("缺少财务导出: 财务收款、财务开票、应收余额") for line in subtitle)


# ---------------------------------------------------------------------------- each single failure

def assert_everything_else_in_place(clean, root: Path, folder: Path, lost: set[str] = frozenset(),
                                    mails_lost: int = 0) -> dict:
    """The clean run's workbooks (but ``lost``) and messages (but ``mails_lost``) are there; the manifest too."""
    _, clean_folder, _, clean_mails = clean
    assert workbooks(folder) == workbooks(clean_folder) - lost
    assert len(outbox(root)) == len(clean_mails) - mails_lost
    return manifest(folder)


def test_a_workbook_that_fails_to_be_written_loses_only_itself(clean, tmp_path, monkeypatch, capsys):
    config = build(tmp_path)
    real = writer.render

    def render(spec, path, *args, **kwargs):
        if spec.filename == "合同履行一览表_2026-11-30.xlsx":
            raise RuntimeError("磁盘错误")
        return real(spec, path, *args, **kwargs)

    monkeypatch.setattr(writer, "render", render)
    assert run(config) == 1
    m = assert_everything_else_in_place(clean, tmp_path, out_dir(tmp_path), {"合同履行一览表_2026-11-30.xlsx"})
    assert m["failed"] == [{"step": "写出工作簿", "what": "合同履行一览表_2026-11-30.xlsx", "error": "RuntimeError: 磁盘错误"}]
    assert "失败: 写出工作簿 合同履行一览表_2026-11-30.xlsx: RuntimeError: 磁盘错误" in capsys.readouterr().err


def test_the_problem_list_failing_loses_only_itself(clean, tmp_path, monkeypatch):
    config = build(tmp_path)

    def broken(ctx):
        raise RuntimeError("问题清单坏了")

    monkeypatch.setattr(problems, "build", broken)
    assert run(config) == 1
    lost = {"数据问题清单_2026-11-30.xlsx", *(f for f in workbooks(clean[1]) if f.startswith("问题清单/"))}
    m = assert_everything_else_in_place(clean, tmp_path, out_dir(tmp_path), lost,
                                        mails_lost=0)  # the reps' 问题清单 went with their 提成确认单
    assert m["failed"] == [{"step": "报表", "what": "problems", "error": "RuntimeError: 问题清单坏了"}]


def test_an_output_folder_that_takes_no_file_sends_the_run_to_the_fallback_folder(clean, tmp_path, capsys):
    config = build(tmp_path)
    blocked = out_dir(tmp_path)
    blocked.parent.mkdir(parents=True)
    blocked.write_text("一个文件占了文件夹的名字", encoding="utf-8")  # output/2026-11-30 is a file: no folder there

    assert run(config) == 1
    fallback = out_dir(tmp_path, "output_备用")
    m = assert_everything_else_in_place(clean, tmp_path, fallback)
    assert m["output_fallback"].startswith(f"无法写入输出文件夹 {blocked}")
    assert m["output_fallback"].endswith(f"本次输出写在备用文件夹 {fallback}")
    assert [f["step"] for f in m["failed"]] == ["输出文件夹"]
    assert f"注意: {m['output_fallback']}" in capsys.readouterr().err


def test_a_manifest_that_cannot_be_written_goes_to_the_fallback_folder(clean, tmp_path):
    config = build(tmp_path)
    (out_dir(tmp_path) / "manifest.json").mkdir(parents=True)  # a folder where the file should go

    assert run(config) == 1
    assert workbooks(out_dir(tmp_path)) == workbooks(clean[1]) and len(outbox(tmp_path)) == len(clean[3])
    m = manifest(out_dir(tmp_path, "output_备用"))
    assert [(f["step"], f["what"]) for f in m["failed"]] == [("manifest.json", str(out_dir(tmp_path) / "manifest.json"))]
    assert len(m["outputs"]) == len(clean[2]["outputs"])


def test_the_mail_failing_leaves_every_workbook_and_the_manifest(clean, tmp_path, monkeypatch):
    config = build(tmp_path)

    def broken(*args, **kwargs):
        raise RuntimeError("邮件模块坏了")

    monkeypatch.setattr(mail, "deliver", broken)
    assert run(config) == 1
    m = assert_everything_else_in_place(clean, tmp_path, out_dir(tmp_path), mails_lost=len(clean[3]))
    assert m["failed"] == [{"step": "发送邮件", "error": "RuntimeError: 邮件模块坏了"}]
    assert [o["file"] for o in m["outputs"]] == [o["file"] for o in clean[2]["outputs"]]
