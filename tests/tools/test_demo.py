"""Tests for the seeded demo workspace (neiqin_xl/demo.py): the files a clerk would find, read back with
openpyxl — sheets and headers as the templates define them, the planted problems, determinism."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest

from neiqin_xl.read.folders import rep_workbooks
from neiqin_xl.core.config import Settings
from neiqin_xl.tools.demo import DEMO_MARKER, generate_demo
from neiqin_xl.core.schema import ATTENDANCE, CUSTOMERS, PRODUCTS, REP_SHEETS, STAFF, TARGETS

RUN = date(2026, 11, 26)
REPS = ("张伟", "王强", "李娜", "刘洋", "陈静", "杨帆", "赵磊", "周敏")


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> tuple[Path, dict]:
    ws = tmp_path_factory.mktemp("demo")
    return ws, generate_demo(ws, RUN)


def rows_of(path: Path, sheet: str | None = None) -> list[tuple]:
    wb = openpyxl.load_workbook(path)
    ws = wb[sheet] if sheet else wb.worksheets[0]
    return [tuple(r) for r in ws.iter_rows(values_only=True)]


def all_values(folder: Path) -> dict[str, list]:
    """Every cell value of every workbook under folder, by relative path and sheet."""
    out = {}
    for path in sorted(folder.rglob("*.xlsx")):
        wb = openpyxl.load_workbook(path)
        for ws in wb.worksheets:
            out[f"{path.relative_to(folder)}[{ws.title}]"] = [tuple(r) for r in ws.iter_rows(values_only=True)]
    return out


def header_index(rows: list[tuple], first: str) -> int:
    return next(i for i, r in enumerate(rows) if r and r[0] == first)


def test_rep_workbooks_have_template_sheets_and_headers(demo):
    ws, summary = demo
    assert sorted(p.stem for p in (ws / "reps").glob("*.xlsx")) == sorted(REPS)
    for rep in REPS:
        wb = openpyxl.load_workbook(ws / "reps" / f"{rep}.xlsx")
        assert wb.sheetnames == [s.name for s in REP_SHEETS], rep
        for sheet in REP_SHEETS:
            rows = [tuple(r) for r in wb[sheet.name].iter_rows(values_only=True)]
            expected = sheet.columns
            if rep == "李娜" and sheet.name == "合同":  # the planted renamed column
                expected = ["合同号" if c == "合同编号" else c for c in expected]
            header_row = 2 if rep == "王强" else 0  # 王强 typed a title above every header
            assert list(rows[header_row][:len(expected)]) == expected, f"{rep}.xlsx[{sheet.name}]"
            if sheet.name in ("合同", "回款", "日报"):
                assert len(rows) > header_row + 3, f"{rep}.xlsx[{sheet.name}] 几乎没有数据"
    assert summary["reps"] == 8 and summary["customers"] == 40
    assert sorted(rep_workbooks(ws / "reps")) == sorted(REPS)
    assert Settings().with_workspace(ws).is_demo
    marker = (ws / DEMO_MARKER).read_text(encoding="utf-8")
    assert "演示数据" in marker and "2026-11-26" in marker and "7" in marker


def test_contract_numbers_amounts_and_terms(demo):
    ws, _ = demo
    amounts, numbers, payments = [], [], set()
    for rep in REPS:
        rows = rows_of(ws / "reps" / f"{rep}.xlsx", "合同")
        h = header_index(rows, "合同号" if rep == "李娜" else "合同编号")
        for r in rows[h + 1:]:
            numbers.append(r[0])
            amounts.append(r[5])
            payments.add(r[6])
            assert r[7] in (None, 30, 60, 90), r
    assert len(numbers) == len(set(numbers)), "合同编号 必须唯一"
    assert all(n.startswith(("HT2025-", "HT2026-")) for n in numbers)
    assert all(isinstance(a, (int, float)) and 20_000 <= a <= 800_000 for a in amounts)
    assert sum(a >= 500_000 for a in amounts) >= 2
    assert payments == {"款到发货", "货到付款", "月结", "分期"}


def test_collections_on_run_date_and_unique_bank_refs(demo):
    ws, _ = demo
    today, month, refs, no_contract = 0, 0, [], 0
    for rep in REPS:
        rows = rows_of(ws / "reps" / f"{rep}.xlsx", "回款")
        h = header_index(rows, "回款日期")
        for r in rows[h + 1:]:
            if isinstance(r[0], datetime):
                today += r[0].date() == RUN
                month += r[0].date() >= RUN.replace(day=1)
            no_contract += r[2] is None
            if r[5]:
                refs.append(r[5])
    assert today >= 3 and month >= 8
    assert no_contract >= 3
    assert len(refs) == len(set(refs)), "银行流水号 必须唯一"


def test_pending_shipments_near_run_date(demo):
    ws, summary = demo
    pending = []
    for rep in REPS:
        rows = rows_of(ws / "reps" / f"{rep}.xlsx", "发货")
        h = header_index(rows, "发货单号")
        pending += [r for r in rows[h + 1:] if r[8] == "待发货"]
    assert len(pending) >= 3
    assert all(r[1] is None for r in pending)
    assert any("预付款不足" in p for p in summary["problems"])
    assert any("超信用额度" in p for p in summary["problems"])


def test_planted_problems_are_in_the_cells(demo):
    ws, _ = demo
    wang = openpyxl.load_workbook(ws / "reps" / "王强.xlsx")
    assert "A1:J1" in {str(r) for r in wang["回款"].merged_cells.ranges}  # the title row (A-J: 回款日期 … 核销单号)
    assert wang["回款"]["A3"].value == "回款日期"
    cells = [c.value for row in wang["回款"].iter_rows() for c in row]
    assert any(isinstance(v, str) and v.count(".") == 2 and v.startswith("20") for v in cells)  # "2026.7.22"
    assert any(isinstance(v, str) and v.startswith("¥") for v in cells)
    activity = [c.value for row in wang["日报"].iter_rows() for c in row]
    assert "2026-13-05" in activity
    li = openpyxl.load_workbook(ws / "reps" / "李娜.xlsx")
    assert "1.2万" in [c.value for row in li["回款"].iter_rows() for c in row]
    assert "abc" in [c.value for row in li["费用"].iter_rows() for c in row]
    invoice_numbers = [r[0] for r in list(li["开票"].iter_rows(values_only=True))[1:]]
    assert len(invoice_numbers) != len(set(invoice_numbers))  # a duplicate 发票号码
    liu = openpyxl.load_workbook(ws / "reps" / "刘洋.xlsx")
    contracts = {r[0] for rep in REPS for r in rows_of(ws / "reps" / f"{rep}.xlsx", "合同")}
    named = [r[2] for r in list(liu["回款"].iter_rows(values_only=True))[1:] if r[2]]
    assert any(n not in contracts for n in named)  # a collection naming no existing contract
    assert any(isinstance(r[3], (int, float)) and r[3] < 0 for r in liu["费用"].iter_rows(values_only=True))
    archive = {r[1] for r in rows_of(ws / "master" / "客户档案.xlsx", "客户")}
    typed = {r[2] for r in liu["合同"].iter_rows(values_only=True)}
    assert "苏州新科电子有限公司" in typed - archive  # a new customer


def test_customer_names_typed_differently(demo):
    ws, _ = demo
    typed = set()
    for rep in REPS:
        for sheet, col in (("合同", 2), ("回款", 1)):
            rows = rows_of(ws / "reps" / f"{rep}.xlsx", sheet)
            typed |= {r[col] for r in rows if isinstance(r[col], str)}
    archive = rows_of(ws / "master" / "客户档案.xlsx", "客户")
    names = {r[1] for r in archive[1:]}
    aliases = {a for r in archive[1:] for a in r[2].split("；")}
    assert any(t.endswith(" ") and t.strip() in names for t in typed)
    assert any("(" in t and t.replace("(", "（").replace(")", "）") in names for t in typed)
    assert typed & aliases


def test_master_data(demo):
    ws, _ = demo
    customers = rows_of(ws / "master" / "客户档案.xlsx", "客户")
    assert list(customers[0]) == CUSTOMERS.columns and len(customers) == 41
    assert "上海明达贸易有限公司" in {r[1] for r in customers}
    assert all(isinstance(r[7], str) for r in customers[1:])  # 电话 as text
    products = rows_of(ws / "master" / "产品目录.xlsx", "产品")
    assert list(products[0]) == PRODUCTS.columns and len(products) == 13
    assert len({r[1] for r in products[1:]}) >= 3
    staff = rows_of(ws / "master" / "人员.xlsx", "人员")
    assert list(staff[0]) == STAFF.columns
    assert {"总经理", "销售经理", "财务", "业务员"} <= {r[2] for r in staff[1:]}
    assert "zhangwei@example.com" in {r[3] for r in staff}
    targets = rows_of(ws / "master" / "人员.xlsx", "目标")
    assert list(targets[0]) == TARGETS.columns
    months = {r[0] for r in targets[1:]}
    assert months == {f"{y}-{m:02d}" for y in (2025, 2026) for m in range(1, 13)}
    this_month = {r[1] for r in targets[1:] if r[0] == "2026-11"}
    assert len(this_month) == 7 and set(REPS) - this_month == {"杨帆"}


def test_attendance(demo):
    ws, _ = demo
    for month in ("2026-10", "2026-11"):
        rows = rows_of(ws / "attendance" / f"考勤_{month}.xlsx")
        assert list(rows[0]) == [c for c in ATTENDANCE.columns if c != "月份"]
        assert {r[0] for r in rows[1:]} == set(REPS)
    november = rows_of(ws / "attendance" / "考勤_2026-11.xlsx")
    assert max(r[3] for r in november[1:]) == 5
    # 2026-11-02 .. 2026-11-26: 19 working days (no holidays in November)
    assert {r[1] for r in november[1:]} == {19}


def test_finance_exports_have_title_total_and_differences(demo):
    ws, summary = demo
    for month in ("2026-10", "2026-11"):
        rows = rows_of(ws / "finance" / f"财务收款_{month}.xlsx")
        assert "收款明细表" in rows[0][0]
        assert rows[2] == ("日期", "凭证字号", "往来单位", "摘要", "贷方金额", "银行流水号")
        assert rows[-1][0] == "本月合计"
        assert rows[-1][4] == pytest.approx(sum(r[4] for r in rows[3:-1]))
        invoices = rows_of(ws / "finance" / f"财务开票_{month}.xlsx")
        assert invoices[-1][0] == "合计" and "价税合计" in invoices[2]
        balances = rows_of(ws / "finance" / f"应收余额_{month}.xlsx")
        assert balances[-1][1] == "合计" and "期末余额" in balances[2]
        assert len(summary["finance_differences"][month]) >= 5
    # finance and the reps agree on most receipts of November, by bank reference
    rep_refs = {r[5] for rep in REPS for r in rows_of(ws / "reps" / f"{rep}.xlsx", "回款") if r[5]}
    fin = rows_of(ws / "finance" / "财务收款_2026-11.xlsx")[3:-1]
    assert sum(r[5] in rep_refs for r in fin) >= len(fin) - 3
    assert any(r[2] and not r[2].endswith("有限公司") for r in fin)  # 有限公司 dropped


def test_same_seed_same_bytes_other_seed_other_data(tmp_path):
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    generate_demo(a, RUN, seed=3)
    generate_demo(b, RUN, seed=3)
    generate_demo(c, RUN, seed=4)
    files = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(b) for p in b.rglob("*") if p.is_file())
    for f in files:
        assert (a / f).read_bytes() == (b / f).read_bytes(), f
    assert all_values(a) == all_values(b)
    assert all_values(a)["reps/张伟.xlsx[回款]"] != all_values(c)["reps/张伟.xlsx[回款]"]


def test_month_end_run_date(tmp_path):  # its speed (under 3 s): benchmarks/bench_demo.py
    summary = generate_demo(tmp_path, date(2026, 11, 30))
    collected_today = [r for rep in REPS for r in rows_of(tmp_path / "reps" / f"{rep}.xlsx", "回款")
                       if isinstance(r[0], datetime) and r[0].date() == date(2026, 11, 30)]
    assert len(collected_today) >= 3
    assert "finance/财务收款_2026-11.xlsx" in summary["files"]
    assert "attendance/考勤_2026-10.xlsx" in summary["files"]


def test_rows_scale_and_many_reps(tmp_path):
    small = generate_demo(tmp_path / "s", RUN, reps=12, customers=10, rows_scale=0.5)
    large = generate_demo(tmp_path / "l", RUN, reps=12, customers=10, rows_scale=2)
    assert len(list((tmp_path / "l" / "reps").glob("*.xlsx"))) == 12
    assert large["rows"]["合同"] > 2 * small["rows"]["合同"]


def test_workspace_without_rep_workbooks(tmp_path):
    assert rep_workbooks(tmp_path / "reps") == {}
    (tmp_path / "reps").mkdir()
    (tmp_path / "reps" / "~$张伟.xlsx").write_bytes(b"lock")
    assert rep_workbooks(tmp_path / "reps") == {}
    assert not Settings().with_workspace(tmp_path).is_demo
