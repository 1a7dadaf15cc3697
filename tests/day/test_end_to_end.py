"""The whole day on the demo workspace, as the clerk runs it the first time: run_daily.py in a subprocess with the
shipped config.yaml, the console in GBK, no SMTP password, for a month-end date so every report is due, then
every output workbook opened and checked. The days are the golden test's own (tests/day/whole_days.py), run
once for both: this checks what the digest does not say (the console, the outbox, totals against their
column, the manifest's inputs and mail).
"""

import json
import re
from decimal import Decimal

import openpyxl
import pytest

pytestmark = pytest.mark.slow

RUN_DATE = "2026-11-30"  # a Monday, the month's last working day: 五日报 26-30, 月报 and 对账 are due


@pytest.fixture
def day(whole_day):
    d = whole_day(f"demo_{RUN_DATE}")
    return d.workspace, d.out_dir, d.console


def test_first_run_generates_the_demo_and_says_so(day):
    workspace, _, out = day
    assert "演示数据" in out
    assert (workspace / "reps").is_dir() and any((workspace / "reps").glob("*.xlsx"))


EXPECTED = {
    f"数据问题清单_{RUN_DATE}.xlsx": ["问题清单"],
    f"合同履行一览表_{RUN_DATE}.xlsx": ["合同履行一览表", "履行明细", "按业务员汇总"],
    f"应收账款明细账_{RUN_DATE}.xlsx": ["账龄分析", "明细账", "按业务员汇总"],
    f"发货审核_{RUN_DATE}.xlsx": [],
    "提成计算表_2026-11.xlsx": ["提成汇总", "提成明细", "考勤"],
    "费用审核_2026-11.xlsx": [],
    "财务对账_2026-11.xlsx": ["对账汇总", "已匹配", "销售有财务无", "财务有销售无", "金额不符"],
    f"销售日报_{RUN_DATE}.xlsx": ["日报", "今日要点", "今日发货", "今日回款"],  # no contract signed: 今日无合同 is a line
    "五日报_2026-11-26_2026-11-30.xlsx": [],
    "月报_2026-11.xlsx": [],
    f"客户档案汇总_{RUN_DATE}.xlsx": ["新客户"],
}


@pytest.mark.parametrize("name", EXPECTED)
def test_every_report_is_written_with_its_sheets(day, name):
    _, out_dir, _ = day
    path = out_dir / name
    assert path.exists(), sorted(p.name for p in out_dir.iterdir())
    sheets = openpyxl.load_workbook(path, read_only=True).sheetnames
    for sheet in EXPECTED[name]:
        assert sheet in sheets, f"{name}: 缺少工作表 {sheet}, 实有 {sheets}"


SUBTOTAL = re.compile(r"^=SUBTOTAL\(109,([A-Z]+)(\d+):([A-Z]+)(\d+)\)$")


def all_outputs(out_dir):
    return sorted(out_dir.rglob("*.xlsx"))


def test_totals_equal_column_sums_and_every_formula_has_a_value(day):
    _, out_dir, _ = day
    checked = 0
    for path in all_outputs(out_dir):
        formulas = openpyxl.load_workbook(path)
        values = openpyxl.load_workbook(path, data_only=True)
        for ws in formulas.worksheets:
            cached = values[ws.title]
            for row in ws.iter_rows():
                for cell in row:
                    if isinstance(cell.value, str) and cell.value.startswith("=") and cell.data_type == "f":
                        where = f"{path.name}[{ws.title}]!{cell.coordinate}"
                        assert cached[cell.coordinate].value is not None, f"{where}: 公式没有缓存值"
                        m = SUBTOTAL.match(cell.value)
                        if m:
                            col, first, last = m.group(1), int(m.group(2)), int(m.group(4))
                            column = [cached[f"{col}{r}"].value for r in range(first, last + 1)]
                            expected = sum(Decimal(str(v)) for v in column if isinstance(v, (int, float)))
                            got = Decimal(str(cached[cell.coordinate].value))
                            assert abs(got - expected) < Decimal("0.005"), f"{where}: 得到 {got}, 期望 {expected}"
                            checked += 1
    assert checked > 20


def test_manifest_lists_inputs_outputs_figures_and_mail(day):
    _, out_dir, _ = day
    m = json.loads((out_dir / "manifest.json").read_text(encoding="utf-8"))
    assert m["run_date"] == RUN_DATE and m["demo"] is True
    assert all(len(i["sha256"]) == 64 for i in m["inputs"] if i["status"] == "ok")
    assert m["issues"]["错误"] > 0 and m["issues"]["警告"] > 0  # the demo carries typical mistakes
    written = {o["file"] for o in m["outputs"]}
    assert f"销售日报_{RUN_DATE}.xlsx" in written
    assert {"fulfilment", "receivables", "shipping", "commission", "reconciliation", "daily", "period"} <= set(m["figures"])
    assert m["mail"] and all(x["status"] == "outbox" for x in m["mail"])
    assert not m["failed"]


def test_mail_goes_to_the_outbox_without_smtp(day):
    workspace, _, _ = day
    emls = list((workspace / "outbox" / RUN_DATE).glob("*.eml"))
    assert emls


def test_year_end_produces_every_period_report(whole_day):
    # 2026-12-31 is a Thursday and a working day: the 26-31 五日报, the December 月报, the Q4 季报 and the
    # 2026 年报 all end that day.
    out_dir = whole_day("demo_2026-12-31").out_dir
    for name in ["五日报_2026-12-26_2026-12-31.xlsx", "月报_2026-12.xlsx", "季报_2026Q4.xlsx", "年报_2026.xlsx",
                 "销售日报_2026-12-31.xlsx", "提成计算表_2026-12.xlsx", "财务对账_2026-12.xlsx"]:
        assert (out_dir / name).exists(), f"缺少 {name}: {sorted(p.name for p in out_dir.iterdir())}"
    for name in ["季报_2026Q4.xlsx", "年报_2026.xlsx"]:
        wb = openpyxl.load_workbook(out_dir / name)
        assert any(ws._charts for ws in wb.worksheets), f"{name}: 没有图表"
