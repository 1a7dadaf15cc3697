"""How reports depend on each other: only through the pipeline, by what they declare.

A report declares ``NEEDS`` (and may declare ``USES``), names only earlier reports there, and its ``build``
takes exactly those; the pipeline skips a report whose need failed, adds a report's needs to an ``--only``
run, and hands out new deliveries. (That a report imports core/ and books/ only is tests/test_structure.py.)
"""

from __future__ import annotations

import inspect
import json
import os
from datetime import date
from types import SimpleNamespace

import pytest

from neiqin_xl.books.due import Due
from neiqin_xl.core.output import Delivery, ReportOutput
from neiqin_xl.deliver.writer import Written
from neiqin_xl.deliver.publish import attach_files
from neiqin_xl.reports import problems, registry

from .. import helpers
from ..helpers import table, tables

ALL_REPORTS = [*registry.REPORTS, ("problems", problems)]


@pytest.mark.parametrize("name, module", ALL_REPORTS, ids=[name for name, _ in ALL_REPORTS])
def test_a_report_declares_earlier_reports_and_build_takes_exactly_them(name, module):
    earlier = [n for n, _ in registry.REPORTS[: [n for n, _ in ALL_REPORTS].index(name)]]
    needs, uses = module.NEEDS, getattr(module, "USES", ())
    assert isinstance(needs, tuple) and isinstance(uses, tuple)
    assert set(needs) | set(uses) <= set(earlier), f"{name} names a report that does not run before it"
    parameters = list(inspect.signature(module.build).parameters)
    assert parameters == ["ctx", *needs, *uses]
    assert all(inspect.signature(module.build).parameters[u].default is None for u in uses)
    assert isinstance(getattr(module, "DUE", Due(bool, "")), Due)  # when it is made: declared, not checked in build


def fake(needs=(), fails=False):
    """A stand-in report module for the pipeline's mechanism: its data names what it was handed."""
    def build(ctx, **given):
        if fails:
            raise RuntimeError("broken")
        return ReportOutput(data=sorted(given), figures={"given": sorted(given)})
    return SimpleNamespace(NEEDS=tuple(needs), build=build)


def test_a_report_whose_need_failed_is_skipped_and_recorded(monkeypatch, caplog):
    monkeypatch.setattr(registry, "REPORTS", [("a", fake(fails=True)), ("b", fake(needs=["a"])), ("c", fake())])
    ctx = helpers.context(tables())
    outputs, failed = registry.run_reports(ctx)
    assert [(f.step, f.what, f.error) for f in failed] == [("报表", "a", "RuntimeError: broken"),
                                                          ("报表", "b", "跳过: 它需要的 a 没有结果")]
    assert list(outputs) == ["c"]
    assert "报表 b 跳过: 它需要的 a 没有结果" in caplog.text


def test_only_adds_the_needs_and_builds_them_for_their_data_only(monkeypatch):
    # c needs b needs a: --only c builds a, b, c; only c's output is kept; d is left out
    monkeypatch.setattr(registry, "REPORTS", [("a", fake()), ("b", fake(needs=["a"])), ("c", fake(needs=["b"])),
                                              ("d", fake())])
    outputs, failed = registry.run_reports(helpers.context(tables()), only=["c"])
    assert failed == [] and list(outputs) == ["c"] and outputs["c"].figures == {"given": ["b"]}
    assert registry.with_needs({"c"}) == {"a", "b", "c"} and registry.with_needs({"d"}) == {"d"}


def test_shipping_through_the_pipeline_gets_fulfilment_and_receivables():
    # HT1 款到发货 10,000; 明达 paid 4,000 naming HT1: the request of 3,000 is covered, 5,000 would not be
    t = tables(合同=table("合同", [{"合同编号": "HT1", "签订日期": "2026-11-01", "客户名称": "明达", "合同金额": "10,000",
                                  "付款方式": "款到发货"}]),
               发货=table("发货", [{"发货日期": None, "状态": "待发货", "合同编号": "HT1", "发货金额": "3,000", "客户名称": "明达"},
                                 {"发货日期": None, "状态": "待发货", "合同编号": "HT1", "发货金额": "5,000", "客户名称": "明达"}]),
               回款=table("回款", [{"回款日期": "2026-11-10", "客户名称": "明达", "合同编号": "HT1", "回款金额": "4,000"}]))
    out = helpers.report("shipping", helpers.context(t, run_date=date(2026, 11, 30)))
    # the first takes 3,000 of the 4,000; 1,000 is left for the second
    assert out.data.requests["结论"].tolist() == ["可发货", "暂缓"]
    assert out.data.requests["可用预收"].tolist() == [400000, 100000]
    assert out.data.held["申请发货金额"].tolist() == [500000]


def test_attach_files_makes_new_deliveries(tmp_path):
    own = Delivery(report="shipping", title="发货审核", attachments=["发货审核.xlsx"])
    out = ReportOutput(deliveries=[own])
    written = {"shipping": [Written(path=tmp_path / "发货审核.xlsx", wanted=tmp_path / "发货审核.xlsx")]}
    [sent] = attach_files({"shipping": out}, written, tmp_path)
    assert sent.attachments == [tmp_path / "发货审核.xlsx"]
    assert own.attachments == ["发货审核.xlsx"] and out.deliveries == [own]  # the report's own value as it was
    with pytest.raises(AttributeError):
        sent.title = "x"  # frozen


def values_of(lines: list[str], filename: str) -> list[str]:
    """The value rows (``  <row>\\t...``) of one workbook's sections in a compare_outputs digest."""
    rows, inside = [], False
    for line in lines:
        if line.startswith("#"):
            inside = line.startswith((f"# {filename} ", f"## {filename}["))
        elif inside and line[2:3].isdigit():
            rows.append(line)
    return rows


@pytest.mark.slow
def test_only_shipping_produces_the_shipping_check_of_the_full_run(tmp_path):
    # --only shipping on the demo of 2026-11-30: the pipeline builds fulfilment and receivables for their data
    # and writes the 发货审核 with every value and figure of the full run (the golden digest of that day)
    from ..day.whole_days import compare_outputs, golden_digest, run

    workspace, day = tmp_path / "工作区", "2026-11-30"
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache"), "LOCALAPPDATA": str(tmp_path / "cache")}
    env.pop("NEIQIN_SMTP_PASSWORD", None)
    run(["run_daily.py", "demo", "--workspace", str(workspace), "--date", day], env)
    run(["run_daily.py", "--workspace", str(workspace), "--date", day, "--no-email", "--quiet", "--only", "shipping"],
        env)
    out_dir = workspace / "output" / day
    assert sorted(p.name for p in out_dir.glob("*.xlsx")) == [f"发货审核_{day}.xlsx", f"数据问题清单_{day}.xlsx"]
    manifest = json.loads((out_dir / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["failed"] == [] and set(manifest["figures"]) == {"shipping", "problems"}

    golden = golden_digest(f"demo_{day}")
    full_figures = json.loads(golden[0].removeprefix("# manifest.json figures "))
    assert manifest["figures"]["shipping"] == full_figures["shipping"]
    assert full_figures["shipping"]["shipping_requests"] > 0
    got = values_of(compare_outputs.digest(out_dir), f"发货审核_{day}.xlsx")
    assert got and got == values_of(golden, f"发货审核_{day}.xlsx")
