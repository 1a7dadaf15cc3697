"""发货计划: the lines left to ship within the horizon, 剩余天数, 款到发货 money in, 风险, the weekly schedule."""

from datetime import date

import openpyxl
import pandas as pd

from neiqin_xl.core.config import settings_from_dict
from neiqin_xl.deliver.writer import write_workbook
from neiqin_xl.reports.shipment_plan import by_product

from ..helpers import context, fen, header_of, report, table, tables

MONDAY = date(2026, 11, 30)  # the first working day of its week; horizon 21 days: agreed up to 2026-12-21


def contract(no, agreed, amount, terms="月结", product="控制器", quantity=None, customer="恒远", signed="2026-11-01"):
    return {"合同编号": no, "签订日期": signed, "客户名称": customer, "产品名称": product, "数量": quantity,
            "合同金额": amount, "付款方式": terms, "约定交货日期": agreed}


def books():
    return tables(
        合同=table("合同", [
            contract("HT-1", "2026-11-25", "100,000", product="控制器", quantity=10, customer="明达"),
            contract("HT-2", "2026-12-04", "50,000", "款到发货", quantity=5),
            contract("HT-3", "2026-12-30", "30,000"),  # beyond the horizon
            contract("HT-4", "2026-12-10", "8,000", "款到发货", product="传感器"),
            contract("HT-5", "2026-12-11", "5,000", "款到发货", product="传感器"),
            contract("HT-6", None, "9,000"),  # no agreed date: counted, not listed
            contract("HT-7", "2026-11-20", "7,000"),  # fully shipped
            contract("HT-8", "2026-12-05", "6,000", signed="2026-12-01"),  # signed after the run date
        ]),
        发货=table("发货", [
            {"发货日期": "2026-11-20", "合同编号": "HT-1", "数量": 4, "发货金额": "40,000", "客户名称": "明达"},
            {"发货日期": None, "状态": "待发货", "合同编号": "HT-1", "数量": 6, "发货金额": "60,000", "客户名称": "明达"},
            {"发货日期": "2026-11-19", "合同编号": "HT-7", "发货金额": "7,000", "客户名称": "恒远"},
        ]),
        回款=table("回款", [
            {"回款日期": "2026-11-10", "客户名称": "恒远", "合同编号": "HT-2", "回款金额": "20,000"},
            {"回款日期": "2026-11-12", "客户名称": "恒远", "回款金额": "17,000"},  # no contract: customer-level
        ]))


def test_plan_lines_remaining_days_money_in_and_risk():
    # 恒远 pays HT-7's 7,000 item from the 17,000 without a contract (rule 2): 10,000 customer-level credit is left.
    # HT-1: 10 - 4 shipped = 6 left (the 待发货 request is no shipment), ¥60,000; 11-25 - 11-30 = -5: 已逾期.
    # HT-2 款到发货: own credit 20,000 + customer 10,000 = 30,000 < 50,000: 待款, 差 20,000; 12-04 is 4 days: 7 天内.
    #   Not covered, so it takes none of the customer's 10,000.
    # HT-4 款到发货 8,000, 10 days: 0 + 10,000 >= 8,000: 已到款, and uses 8,000 of the customer's credit.
    # HT-5 款到发货 5,000, 11 days: 2,000 left < 5,000: 待款, 差 3,000.
    out = report("plan", context(books(), run_date=MONDAY))
    lines = out.data.lines
    assert lines["合同编号"].tolist() == ["HT-1", "HT-2", "HT-4", "HT-5"]
    assert lines["剩余天数"].tolist() == [-5, 4, 10, 11]
    assert lines["未发金额"].tolist() == [fen("60,000"), fen("50,000"), fen("8,000"), fen("5,000")]
    assert lines["未发数量"].tolist()[:2] == [6.0, 5.0]
    assert [None if pd.isna(v) else int(v) for v in lines["可用预收"]] == [None, fen("30,000"), fen("10,000"), fen("2,000")]
    assert lines["到款"].tolist() == ["", "待款, 差 ¥20,000.00", "已到款", "待款, 差 ¥3,000.00"]
    assert lines["风险"].tolist() == ["已逾期", "7 天内到期、待款", "", "待款"]
    assert out.figures == {"produced": True, "date": "2026-11-30", "lines": 4, "late": 1, "due_within_7_days": 1,
                           "awaiting_money": 2, "unshipped_fen": fen("123,000"), "undated": 1}
    [delivery] = out.deliveries
    assert (delivery.report, delivery.title, delivery.key_figure) == ("plan", "发货计划", "逾期 1 份, 7 天内到期 1 份")


def test_quantities_per_product_and_week_for_production():
    # 控制器: HT-1's 6 are late, HT-2's 5 fall in the week 11-30~12-06: 11 in all, ¥110,000 over 2 contracts.
    # 传感器: HT-4 and HT-5 have no 数量: only their ¥13,000 and 2 contracts count.
    lines = report("plan", context(books(), run_date=MONDAY)).data.lines
    grid = by_product(lines, MONDAY, 21)
    assert grid.columns.tolist() == ["产品名称", "已逾期", "11-30~12-06", "12-07~12-13", "12-14~12-20", "12-21~12-27",
                                     "未发数量合计", "未发金额", "合同数"]
    rows = {r["产品名称"]: r for r in grid.to_dict("records")}
    assert (rows["控制器"]["已逾期"], rows["控制器"]["11-30~12-06"], rows["控制器"]["未发数量合计"]) == (6.0, 5.0, 11.0)
    assert (rows["控制器"]["未发金额"], rows["控制器"]["合同数"]) == (fen("110,000"), 2)
    assert (rows["传感器"]["未发金额"], rows["传感器"]["合同数"]) == (fen("13,000"), 2)
    assert rows["传感器"]["未发数量合计"] != rows["传感器"]["未发数量合计"]  # NaN: no quantity to add up


def test_workbook_sheets_values_and_formats(tmp_path):
    out = report("plan", context(books(), run_date=MONDAY))
    [spec] = out.workbooks
    assert spec.filename == "发货计划_2026-11-30.xlsx"
    wb = openpyxl.load_workbook(write_workbook(spec, tmp_path).path)
    assert wb.sheetnames == ["按交货日期", "按产品", "逾期交货"]
    ws = wb["按交货日期"]
    header_row, header = header_of(ws, "合同编号")
    assert header == ["合同编号", "客户名称", "业务员", "产品名称", "合同数量", "已发数量", "未发数量", "合同金额", "已发货金额",
                      "未发金额", "约定交货日期", "剩余天数", "付款方式", "可用预收", "到款", "风险"]
    ht2 = {h: c for h, c in zip(header, ws[header_row + 2])}
    assert ht2["合同编号"].value == "HT-2" and ht2["剩余天数"].value == 4 and ht2["风险"].value == "7 天内到期、待款"
    assert ht2["未发金额"].value == 50000.0 and ht2["未发金额"].number_format.startswith("#,##0.00")
    assert ht2["可用预收"].value == 30000.0
    assert any("另有 1 份" in (ws.cell(r, 1).value or "") for r in range(1, header_row))
    late = wb["逾期交货"]
    late_header = next(r for r in range(1, 15) if late.cell(r, 1).value == "合同编号")
    row = {late.cell(late_header, c).value: late.cell(late_header + 1, c).value for c in range(1, 13)}
    assert (row["合同编号"], row["逾期天数"], row["未发数量"]) == ("HT-1", 5, 6)


def test_made_on_the_first_working_day_of_the_week_or_when_asked_for():
    t = books()
    # Tuesday 12-01 after Monday's run: not due; the same Tuesday when Monday's run was missed (last run Friday): due.
    assert report("plan", context(t, run_date=date(2026, 12, 1), last_run_date=MONDAY)).figures["produced"] is False
    assert report("plan", context(t, run_date=date(2026, 12, 1), last_run_date=date(2026, 11, 27))).figures["produced"]
    # --only plan: made on any day
    assert report("plan", context(t, run_date=date(2026, 12, 2), last_run_date=MONDAY, only=("plan",))).figures["produced"]
    # --force is about a non-working day: it does not make the weekly plan mid-week
    assert report("plan", context(t, run_date=date(2026, 12, 2), last_run_date=MONDAY, force=True)).figures == \
        {"produced": False, "date": "2026-12-02", "reason": "每周第一个工作日生成"}
    # the National Day week of 2026: its first working day is Thursday 10-08
    assert report("plan", context(t, run_date=date(2026, 10, 8), last_run_date=date(2026, 9, 30))).figures["produced"]
    assert report("plan", context(t, run_date=date(2026, 10, 9), last_run_date=date(2026, 10, 8))).figures["produced"] is False
    # the workspace's first run makes this week's plan whatever the working day (a new user sees it at once)
    assert report("plan", context(t, run_date=date(2026, 12, 2))).figures["produced"]
    assert report("plan", context(t, run_date=date(2026, 12, 5))).figures["produced"] is False  # a Saturday


def test_horizon_is_a_setting():
    # horizon 35 days: up to 2027-01-04, so HT-3 (12-30) is in.
    settings = settings_from_dict({"plan": {"horizon_days": 35}})
    lines = report("plan", context(books(), settings, MONDAY)).data.lines
    assert "HT-3" in lines["合同编号"].tolist()
