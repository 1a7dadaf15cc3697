"""货物跟踪: unsigned shipments counted in working days, 缺物流单号 warnings, each rep's own list, the phone
list, the 日报 line, and the customer's 发货通知 sent once through a real SMTP server on 127.0.0.1."""

from __future__ import annotations

import email
from datetime import date
from email import policy
from pathlib import Path

import pandas as pd

from neiqin_xl.core.config import settings_from_dict
from neiqin_xl.core.output import Delivery, ReportOutput
from neiqin_xl.core.sheets import Sheet, Table, WorkbookSpec
from neiqin_xl.deliver import mail
from neiqin_xl.deliver.run_state import RunState
from neiqin_xl.deliver.publish import attach_files, write_outputs
from neiqin_xl.reports import daily
from neiqin_xl.runs import label_deliveries

from ..helpers import context, fen, report, reports, table, tables
from ..deliver.test_mail import decoded_text, smtp_server  # noqa: F401 (the fixture: a real aiosmtpd server)

MONDAY = date(2026, 11, 30)  # working days before it: Fri 11-27, Thu 11-26, Wed 11-25, Tue 11-24, Mon 11-23


def shipment(no, shipped, contract="HT-1", customer="明达", **extra):
    """A 发货 row of 张伟's workbook as the validator leaves it: 业务员 is the contract's rep (HT-2 is 李娜's),
    填报人 the rep whose workbook holds it."""
    return {"发货单号": no, "发货日期": shipped, "合同编号": contract, "客户名称": customer, "产品名称": "控制器", "数量": 2,
            "发货金额": "1,000", "物流公司": "顺丰速运", "物流单号": f"SF{no}", "状态": "已发货",
            "业务员": "李娜" if contract == "HT-2" else "张伟", "填报人": "张伟", "来源工作簿": "张伟.xlsx", **extra}


def books(*rows, rep="张伟"):
    contracts = table("合同", [
        {"合同编号": "HT-1", "签订日期": "2026-10-01", "客户名称": "明达", "合同金额": "100,000"},
        {"合同编号": "HT-2", "签订日期": "2026-10-01", "客户名称": "恒远", "合同金额": "100,000", "业务员": "李娜"}])
    customers = table("客户", [
        {"客户名称": "明达", "联系人": "王经理", "电话": "021-55550001", "邮箱": "mingda@example.com"},
        {"客户名称": "恒远", "联系人": "李工", "电话": "0571-55550002"}], rep="")
    return tables(合同=contracts, 发货=table("发货", list(rows), rep=rep), 客户=customers)


def run(t, day=MONDAY, settings=None, **options):
    return report("tracking", context(t, settings, day, **options))


def test_unsigned_shipments_are_counted_in_working_days():
    # S1 left Mon 11-23: working days in (11-23, 11-30] = 24, 25, 26, 27, 30 = 5 (the weekend does not count):
    #   5 >= 5, listed. S2 left Tue 11-24: 4 working days, not yet.
    # S3 was signed on 11-24; S4 says 已签收 without a date: both signed.
    # S5 left 11-25 (3 working days) but was expected on 11-27: listed. S6 left 11-10 (14) but is expected 12-02: not yet.
    # S7 is a 待发货 request: not a shipment.
    t = books(shipment("S1", "2026-11-23"), shipment("S2", "2026-11-24"),
              shipment("S3", "2026-11-20", 签收日期="2026-11-24"), shipment("S4", "2026-11-16", 状态="已签收"),
              shipment("S5", "2026-11-25", 预计到货日期="2026-11-27"), shipment("S6", "2026-11-10", 预计到货日期="2026-12-02"),
              shipment("S7", None, 状态="待发货", 物流单号=None))
    out = run(t)
    unsigned = out.data.unsigned
    assert unsigned["发货单号"].tolist() == ["S1", "S5"]
    assert unsigned["未签收工作日"].tolist() == [5, 3]
    assert unsigned["原因"].tolist() == ["发货后 5 个工作日未签收", "已过预计到货日期 2026-11-27, 未签收"]
    assert unsigned[["联系人", "电话"]].values.tolist() == [["王经理", "021-55550001"]] * 2
    assert out.figures["unsigned"] == 2 and out.figures["unsigned_fen"] == fen("2,000")


def test_a_holiday_week_is_not_counted():
    # National Day 2026: 10-01 to 10-07 off. Shipped Tue 09-29, run Fri 10-09: working days 09-30, 10-08, 10-09 = 3
    # (ten calendar days): not listed. With tracking.unsigned_days 3 it is.
    t = books(shipment("S1", "2026-09-29"))
    assert run(t, date(2026, 10, 9)).data.unsigned.empty
    three = settings_from_dict({"tracking": {"unsigned_days": 3}})
    assert run(t, date(2026, 10, 9), three).data.unsigned["未签收工作日"].tolist() == [3]


def test_a_shipment_without_tracking_number_is_a_warning_after_one_working_day():
    # S1 left Fri 11-27 without 物流单号: one working day on Mon 11-30 -> a 警告 at its 物流单号 cell (G: the 7th
    # column of the 发货 sheet; Excel row 2) for the rep whose workbook holds it. S2 left today: not yet.
    # S3 has none either but was signed: nothing to chase.
    t = books(shipment("S1", "2026-11-27", 物流单号=None), shipment("S2", "2026-11-30", 物流单号=None),
              shipment("S3", "2026-11-20", 物流单号=None, 签收日期="2026-11-23"))
    out = run(t)
    assert out.data.no_tracking_number["发货单号"].tolist() == ["S1"]
    [warning] = out.problems
    assert (warning.severity, warning.where(), warning.field, warning.rep) == ("警告", "张伟.xlsx[发货]!G2", "物流单号", "张伟")
    assert "1 个工作日" in warning.message


def test_the_phone_list_of_the_day_has_the_customers_contact():
    t = books(shipment("S1", "2026-11-30"), shipment("S2", "2026-11-27"),
              shipment("S3", "2026-11-30", contract="HT-2", customer="恒远", 数量=None, 物流单号="YT123"))
    today = run(t).data.today
    assert today.values.tolist() == [
        ["明达", "王经理", "021-55550001", "控制器 × 2", "顺丰速运", "SFS1", "HT-1", "S1", "张伟"],
        ["恒远", "李工", "0571-55550002", "控制器", "顺丰速运", "YT123", "HT-2", "S3", "李娜"]]


def test_each_rep_gets_only_the_shipments_of_their_own_customers(tmp_path):
    # S1 (明达, 张伟's contract) and S2 (恒远, 李娜's contract) both unsigned for 5 working days; S2 sits in
    # 张伟's workbook (he entered it): 李娜's list shows it, its source reads 其他业务员台账 in her copy.
    t = books(shipment("S1", "2026-11-23"), shipment("S2", "2026-11-23", contract="HT-2", customer="恒远"))
    out = run(t)
    clerk, *per_rep = out.workbooks
    assert clerk.filename == "货物跟踪_2026-11-30.xlsx"
    assert [s.name for s in clerk.sheets] == ["未签收", "缺物流单号", "今日发货电话清单"]
    assert sorted(s.for_rep for s in per_rep) == ["张伟", "李娜"]
    assert sorted((d.rep, d.report, d.key_figure) for d in out.deliveries) == [("张伟", "tracking", "未签收 1 笔"),
                                                                                ("李娜", "tracking", "未签收 1 笔")]
    written = write_outputs({"tracking": out}, tmp_path, reps={"张伟", "李娜"})
    li_na = next(w for w in written["tracking"] if w and "李娜" in w.path.name)
    assert li_na.path == tmp_path / "货物跟踪" / "货物跟踪_李娜_2026-11-30.xlsx"
    from openpyxl import load_workbook
    strings = [c.value for ws in load_workbook(li_na.path).worksheets for row in ws.iter_rows() for c in row
               if isinstance(c.value, str)]
    assert "S2" in strings and "S1" not in strings and "明达" not in strings
    assert not any("张伟" in s for s in strings) and "其他业务员台账" in strings


def test_the_daily_report_counts_them_in_one_line():
    # S1 unsigned 5 working days (¥1,000), S2 without 物流单号 for 1 working day.
    t = books(shipment("S1", "2026-11-23"), shipment("S2", "2026-11-27", 物流单号=None))
    ctx = context(t, run_date=MONDAY)
    highlights = reports(ctx, "tracking", "daily")["daily"].data.highlights
    [line] = [h for h in highlights.to_dict("records") if h["类别"] == "货物跟踪"]
    assert line["金额"] == fen("1,000")
    assert line["说明"].startswith("超期未签收 1 笔 (发货后 5 个工作日或过了预计到货日期) ¥1,000.00, 缺物流单号 1 笔")
    # without the tracking report (--only daily) the line is left out
    assert daily.tracking_line(None, MONDAY, 5) == []


def test_no_tracking_lists_on_a_non_working_day_unless_asked_for():
    t = books(shipment("S1", "2026-11-23"))
    assert run(t, date(2026, 11, 29)).figures == {"produced": False, "date": "2026-11-29", "reason": "非工作日"}
    assert run(t, date(2026, 11, 29), only=("tracking",)).figures["produced"]


# ---------------------------------------------------------------- the customer's 发货通知

def notice_settings(tmp_path: Path, port: int | None, notify: bool = True):
    email_section = {"enabled": port is not None, "host": "127.0.0.1" if port else "", "port": port or 25,
                     "security": "plain", "sender": "neiqin@example.com", "timeout_seconds": 5, "retries": 0,
                     "backoff_seconds": 0}
    return settings_from_dict({"paths": {"workspace": str(tmp_path / "ws")}, "email": email_section,
                               "tracking": {"notify_customers": notify}}, base_dir=tmp_path)


def test_customer_notice_is_off_by_default_and_goes_only_to_customers_with_an_address(tmp_path):
    # S1 (明达, 邮箱 in the archive) left today with a 物流单号; S2 (恒远) has no 邮箱; S3 has no 物流单号 yet;
    # S4 was signed already; S5 is 5 working days old (the phone list's business now).
    t = books(shipment("S1", "2026-11-30", 预计到货日期="2026-12-03"), shipment("S2", "2026-11-30", contract="HT-2", customer="恒远"),
              shipment("S3", "2026-11-30", 物流单号=None), shipment("S4", "2026-11-27", 签收日期="2026-11-30"),
              shipment("S5", "2026-11-23"))
    assert [d for d in run(t, settings=notice_settings(tmp_path, None, notify=False)).deliveries if d.customer] == []
    [notice] = [d for d in run(t, settings=notice_settings(tmp_path, None)).deliveries if d.customer]
    assert (notice.report, notice.title, notice.customer, notice.to) == ("notice", "发货通知 S1", "明达",
                                                                          ("mingda@example.com",))
    assert notice.summary_text.splitlines() == ["贵司合同 HT-1 的货物已于 2026-11-30 发出。", "货物: 控制器 2",
                                                "物流: 顺丰速运, 单号 SFS1", "预计到货: 2026-12-03",
                                                "收到货物后请签收; 如有疑问请与我们联系。"]


def test_customer_notice_is_sent_once_through_the_real_server(tmp_path, smtp_server):
    controller, server = smtp_server()
    settings = notice_settings(tmp_path, controller.port)
    t = books(shipment("S1", "2026-11-27"))
    [notice] = [d for d in run(t, settings=settings).deliveries if d.customer]

    first = mail.deliver(settings, MONDAY, [notice], None)
    assert [r["status"] for r in first] == ["sent"]
    [(mail_from, rcpt, raw)] = server.envelopes
    assert rcpt == ["mingda@example.com"]
    msg = email.message_from_bytes(raw, policy=policy.default)
    assert str(msg["subject"]) == "【发货通知 S1】2026-11-30 合同 HT-1"
    seen = decoded_text(msg)
    assert "尊敬的明达：" in seen and "单号 SFS1" in seen and "顺丰速运" in seen and "控制器 2" in seen
    assert "张伟" not in seen and "1,000" not in seen  # no rep, no amount
    assert msg.get_content_disposition() is None and not [p for p in msg.walk() if p.get_filename()]

    # the same day again, the next day (the shipment still on its way), and even --resend: never a second one
    again = mail.deliver(settings, MONDAY, [notice], None)
    tomorrow = mail.deliver(settings, date(2026, 12, 1), [notice], None, resend=True)
    assert [r["status"] for r in again + tomorrow] == ["skipped", "skipped"]
    assert len(server.envelopes) == 1
    assert [m.status for m in RunState(settings.workspace).messages()] == ["sent"]


def test_a_notice_written_to_the_outbox_with_mail_off_is_not_written_again(tmp_path):
    settings = notice_settings(tmp_path, None)
    notice = Delivery(report="notice", title="发货通知 S1", customer="明达", to=("mingda@example.com",),
                      summary_text="贵司合同 HT-1 的货物已发出。")
    assert [r["status"] for r in mail.deliver(settings, MONDAY, [notice], None)] == ["outbox"]
    assert [r["status"] for r in mail.deliver(settings, date(2026, 12, 1), [notice], None)] == ["skipped"]
    assert len(list((settings.folder("outbox")).rglob("*.eml"))) == 1


def test_a_customer_notice_never_carries_the_reports_files(tmp_path):
    # A delivery naming no attachment gets all of its report's top-level files, but not a customer's.
    spec = WorkbookSpec("货物跟踪_2026-11-30.xlsx", [Sheet("未签收", [Table([], pd.DataFrame())])])
    out = ReportOutput(workbooks=[spec], deliveries=[
        Delivery(report="notice", title="发货通知 S1", customer="明达", to=("mingda@example.com",)),
        Delivery(report="daily", title="销售日报")])
    written = write_outputs({"tracking": out}, tmp_path)
    notice, internal = attach_files({"tracking": out}, written, tmp_path)
    assert notice.attachments == [] and [p.name for p in internal.attachments] == ["货物跟踪_2026-11-30.xlsx"]


def test_a_catch_up_or_corrected_run_does_not_make_a_second_notice():
    # 补发 / 更正 / 预览 make a report's delivery another item for the day; a customer's notice keeps its title,
    # so the once-ever rule still finds it.
    notice = Delivery(report="notice", title="发货通知 S1", customer="明达", to=("mingda@example.com",))
    report_mail = Delivery(report="daily", title="销售日报")
    assert [d.title for d in label_deliveries([notice, report_mail], "补发")] == ["发货通知 S1", "补发 销售日报"]
