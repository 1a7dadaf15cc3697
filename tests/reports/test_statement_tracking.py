"""对账函 sent at month end through a real SMTP server, the replies in master/对账回执.xlsx, the 对账跟踪 and the
chase after ``statements.reply_days`` working days; the reply rows' problems by cell."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import openpyxl
import pytest

from neiqin_xl.books.validate import Columns
from neiqin_xl.core.config import settings_from_dict
from neiqin_xl.deliver.office import soffice
from neiqin_xl.pipeline import RunOptions, run_day
from neiqin_xl.reports import statement_tracking

from ..helpers import fen, table
from ..helpers_intake import write_book
from ..deliver.test_mail import Collector, smtp_server  # noqa: F401  (fixture)

ONLY = ["statements", "statement_tracking", "daily"]


def workspace(tmp_path: Path, port: int) -> object:
    """Three customers of 张伟:
    甲 (K001, 对账邮箱 jia@example.com): shipped 10,000 on 10-10, paid 4,000 on 11-10, shipped 3,000 on 11-20
       -> November: opening 10,000, +3,000, −4,000, closing 9,000;
    乙 (K002, 经销商, yi@example.com): shipped 5,000 on 11-05 -> November: opening 0, +5,000, closing 5,000;
    丙 (K003, no 对账邮箱): shipped 2,000 on 09-15, nothing since -> November: opening = closing 2,000.
    12-03 and 12-04 are holidays (calendar.extra_holidays)."""
    ws = tmp_path / "ws"
    write_book(ws / "reps" / "张伟.xlsx", {
        "合同": [["合同编号", "签订日期", "客户名称", "合同金额"], ["HT1", date(2026, 9, 1), "甲", 20000],
                ["HT2", date(2026, 9, 1), "乙", 20000], ["HT3", date(2026, 9, 1), "丙", 20000]],
        "发货": [["发货单号", "发货日期", "合同编号", "发货金额", "状态"], ["FH1", date(2026, 10, 10), "HT1", 10000, "已发货"],
                ["FH2", date(2026, 11, 20), "HT1", 3000, "已发货"], ["FH3", date(2026, 11, 5), "HT2", 5000, "已发货"],
                ["FH4", date(2026, 9, 15), "HT3", 2000, "已发货"]],
        "回款": [["回款日期", "客户名称", "合同编号", "回款金额", "银行流水号"], [date(2026, 11, 10), "甲", "HT1", 4000, "B1"]]})
    write_book(ws / "master" / "客户档案.xlsx", {"客户": [
        ["客户编码", "客户名称", "负责业务员", "对账邮箱", "客户类型"], ["K001", "甲", "张伟", "jia@example.com", "直销客户"],
        ["K002", "乙", "张伟", "yi@example.com", "经销商"], ["K003", "丙", "张伟", None, "直销客户"]]})
    write_book(ws / "master" / "人员.xlsx", {"人员": [["姓名", "角色", "邮箱"], ["张伟", "业务员", "zhangwei@example.com"]]})
    return settings_from_dict({
        "paths": {"workspace": str(ws)},
        "email": {"enabled": True, "host": "127.0.0.1", "port": port, "security": "plain", "user": "",
                  "sender": "neiqin@example.com", "timeout_seconds": 5, "retries": 0, "backoff_seconds": 0},
        "statements": {"send": True, "track_periods": 1, "company": {"email": "duizhang@example.com"}},
        "calendar": {"extra_holidays": ["2026-12-03", "2026-12-04"]}}, base_dir=tmp_path)


def tracking_rows(result, sheet: str) -> list[dict]:
    path = result.output_dir / f"对账跟踪_{result.run_date.isoformat()}.xlsx"
    ws = openpyxl.load_workbook(path, data_only=True)[sheet]
    rows = [[c.value for c in row] for row in ws.iter_rows()]
    head = next(i for i, r in enumerate(rows) if r[0] in ("对账编号", "期间"))
    found = []
    for r in rows[head + 1:]:  # the first table: up to its 合计 row or the first blank row
        if not r[0] or r[0] == "合计":
            break
        found.append(dict(zip(rows[head], r)))
    return found


@pytest.mark.slow  # four runs of the day, each letter converted by LibreOffice where installed
def test_month_end_send_replies_and_the_chase_across_a_holiday(tmp_path, smtp_server):  # noqa: F811
    controller, server = smtp_server(Collector())
    settings = workspace(tmp_path, controller.port)

    # 12-01, the first working day after November: 甲 and 乙 get their letter, 张伟 copied; 丙 has no address
    first = run_day(settings, date(2026, 12, 1), RunOptions(only=ONLY))
    letters = [m for m in server.messages() if "对账确认函" in str(m["Subject"])]
    assert sorted((m["To"], m["Cc"]) for m in letters) == [("jia@example.com", "zhangwei@example.com"),
                                                           ("yi@example.com", "zhangwei@example.com")]
    by_to = {m["To"]: m for m in letters}
    assert "DZ-202611-K001" in str(by_to["jia@example.com"]["Subject"])
    assert "期末余额 ¥9,000.00" in str(by_to["jia@example.com"]["Subject"])
    assert "DZ-202611-K002" in str(by_to["yi@example.com"]["Subject"])
    names = sorted(p.get_filename() for p in by_to["jia@example.com"].iter_attachments())
    assert names == (["甲_对账函_DZ-202611-K001.pdf", "甲_对账函_DZ-202611-K001.xlsx"] if soffice()
                     else ["甲_对账函_DZ-202611-K001.xlsx"])
    assert not any("丙" in str(m["Subject"]) or "K003" in str(m["Subject"]) for m in server.messages())
    assert first.manifest["figures"]["statements"]["no_address"] == ["丙"]
    assert [r["客户名称"] for r in tracking_rows(first, "无对账邮箱")] == ["丙"]
    # the letter 甲 signs: 期末余额 9,000 = 10,000 + 3,000 − 4,000
    book = openpyxl.load_workbook(first.output_dir / "对账函" / "甲_对账函_DZ-202611-K001.xlsx", data_only=True)["对账函"]
    closing = next(r[1].value for r in book.iter_rows() if str(r[0].value).startswith("期末余额（截至"))
    assert closing == 9000

    # a rerun of the day sends nothing again (once per 对账编号)
    sent = len(server.envelopes)
    run_day(settings, date(2026, 12, 1), RunOptions(only=ONLY, resend=False))
    assert len(server.envelopes) == sent

    # the replies: 甲 相符; 乙 不符, it confirms 4,000: difference = our 5,000 − 4,000 = 1,000; 丙 none
    write_book(settings.folder("master") / "对账回执.xlsx", {"回执": [
        ["对账编号", "回执日期", "结果", "客户确认余额", "不符金额", "说明", "附件"],
        ["DZ-202611-K001", date(2026, 12, 8), "相符", 9000, None, None, "甲.pdf"],
        ["DZ-202611-K002", date(2026, 12, 9), "不符", 4000, 1000, "FH3 货未收到", "乙.pdf"]]})
    # 12-17: sent 12-01; working days since: 12-02, 07, 08, 09, 10, 11, 14, 15, 16, 17 = 10 (12-03, 12-04 holidays):
    # 丙 is within reply_days (10): waiting, not chased; the 日报 mentions only the dispute
    mid = run_day(settings, date(2026, 12, 17), RunOptions(only=ONLY))
    out = tracking_rows(mid, "未回执")
    assert [(r["客户名称"], r["已过工作日"], r["状态"], r["对账邮箱"]) for r in out] == [("丙", 10, "等待回复", "无 (需手工寄送)")]
    assert [(r["客户名称"], r["期末余额"], r["客户确认余额"], r["差异"], r["说明"]) for r in tracking_rows(mid, "不符")
            ] == [("乙", 5000, 4000, 1000, "FH3 货未收到")]
    assert [r["客户名称"] for r in tracking_rows(mid, "已确认")] == ["甲"]
    summary = tracking_rows(mid, "汇总")
    # receivables at 11-30: 9,000 + 5,000 + 2,000 = 16,000; confirmed 9,000: 9,000 / 16,000 = 56.25 %
    assert [(r["期间"], r["发出"], r["已确认"], r["不符"], r["未回执"], r["其中需催办"], r["已确认金额"], r["期末应收总额"],
             r["确认比例"]) for r in summary] == [("2026-11", 3, 1, 1, 1, 0, 9000, 16000, 0.5625)]
    # 乙's items of November beside the difference: FH3 5,000 (the cause the customer names)
    items = openpyxl.load_workbook(mid.output_dir / "对账跟踪_2026-12-17.xlsx", data_only=True)["不符"]
    assert any(row[4].value == "FH3" and row[7].value == 5000 for row in items.iter_rows() if len(row) > 7)
    chase_mail = [m for m in server.messages() if "对账函催办" in str(m["Subject"])]
    assert [m["To"] for m in chase_mail] == ["zhangwei@example.com"]  # for the dispute; nothing to chase yet
    assert mid.manifest["figures"]["statement_tracking"]["chase"] == 0

    # 12-18: 11 working days since sending: 丙 is chased; the 日报 says so; 张伟 gets his own chase list
    late = run_day(settings, date(2026, 12, 18), RunOptions(only=ONLY))
    assert [(r["客户名称"], r["已过工作日"], r["状态"]) for r in tracking_rows(late, "未回执")] == [("丙", 11, "需催办")]
    daily = openpyxl.load_workbook(late.output_dir / "销售日报_2026-12-18.xlsx", data_only=True)["今日要点"]
    assert any(r[0].value == "对账函" and "逾期未回 1 份, 核对不符 1 份" in str(r[-1].value) for r in daily.iter_rows())
    chase = late.output_dir / "对账催办" / "对账催办_张伟_2026-12-18.xlsx"
    sheet = openpyxl.load_workbook(chase, data_only=True)["需催办"]
    assert any(r[1].value == "丙" and r[9].value == "需催办" for r in sheet.iter_rows())
    today = [m for m in server.messages() if "对账函催办" in str(m["Subject"]) and "2026-12-18" in str(m["Subject"])]
    assert [m["To"] for m in today] == ["zhangwei@example.com"]


def receipts(rows: list[dict]):
    return table("回执", [{"来源工作簿": "对账回执.xlsx", **r} for r in rows], rep="")


def test_reply_rows_are_checked_cell_by_cell():
    import pandas as pd
    letters = pd.DataFrame({"对账编号": ["DZ-202611-K001", "DZ-202611-K002"], "期末余额": [fen(9000), fen(5000)]})
    rows = receipts([
        {"对账编号": "DZ-202611-K009", "结果": "相符"},  # row 2: no such letter
        {"对账编号": "DZ-202611-K001", "结果": "已核对"},  # row 3: not 相符 / 不符
        # row 4: 不符, the customer confirms 4,200: the difference is 5,000 − 4,200 = 800, not the 1,000 typed
        {"对账编号": "DZ-202611-K002", "结果": "不符", "客户确认余额": "4,200", "不符金额": "1,000"}])
    replies, found = statement_tracking.read_replies(rows, letters, Columns(statement_tracking_tables()))
    assert [(p.where(), p.severity) for p in found] == [("对账回执.xlsx[回执]!A2", "错误"), ("对账回执.xlsx[回执]!C3", "错误"),
                                                        ("对账回执.xlsx[回执]!E4", "警告")]
    assert "5,000.00" in found[2].message and "4,200.00" in found[2].message and "= 800.00" in found[2].message
    assert replies[["对账编号", "结果", "差异"]].values.tolist() == [["DZ-202611-K002", "不符", fen(800)]]


def statement_tracking_tables():
    from neiqin_xl.core.model import Tables
    return Tables()
