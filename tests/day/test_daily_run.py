"""The day's run as the clerk (or the Task Scheduler) starts it, through ``cli.main``, against a real aiosmtpd
server on 127.0.0.1: failures are loud (exit 3, one console line per message with its reason)."""

from __future__ import annotations

import datetime as dt
import email
import json
import os
import shutil
from email import policy
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
import yaml

from neiqin_xl import cli
from neiqin_xl.core.config import RECIPIENT_KEYS, load_settings
from neiqin_xl.tools.demo import generate_demo

from ..deliver.test_mail import Authenticator, Collector, free_port, smtp_server  # noqa: F401  (fixture)

pytestmark = pytest.mark.slow  # each test runs the demo day through cli.main

RUN_DATE = "2026-11-30"  # the demo's month end, a Monday
SMALL = {"reps": 3, "customers": 12, "rows_scale": 0.5}  # the small demo these tests run on (their assertions are
# about the mail and the run, not the demo's size): 张伟, 王强 and 李娜, each with a 报价单 to mail; the shipping
# requests, the expenses and the rest every report needs are planted whatever the size (tools/demo.py)
MESSAGES = 1 + 3 + 1  # on RUN_DATE: one message for the managers (every report), one for each of the 3 reps, one
# for the 销售经理 (the 合同评审, 报价待审批 and 投标台账 of issue 33 go to the 人员 whose 角色 is 销售经理)
PRE_CONTRACT = ("review", "tenders")
RECIPIENTS = {key: {"to": ["gm@example.com"], "cc": ["finance@example.com"]} for key in RECIPIENT_KEYS
              if key not in PRE_CONTRACT}


def write_config(tmp_path: Path, port: int, **email) -> Path:
    data = {"paths": {"workspace": str(tmp_path / "工作区")},
            "email": {"enabled": True, "host": "127.0.0.1", "port": port, "security": "plain", "user": "",
                      "sender": "neiqin@example.com", "timeout_seconds": 5, "retries": 0, "backoff_seconds": 0,
                      "recipients": RECIPIENTS, **email},
            # no LibreOffice start per run for the 报价单's PDFs: nothing here is about them (tests/deliver/
            # test_office_suites.py makes them; the golden days run with them)
            "review": {"quotation_pdf": False}}
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


_demo_made: list[Path] = []  # per test process: the demo as generated below, copied by every test that asks


@pytest.fixture
def demo_workspace(tmp_path: Path, tmp_path_factory) -> Path:
    """``tmp_path/工作区`` holding the small demo (``SMALL``) of 2026-11-30 as ``generate_demo`` writes it with the
    settings of write_config (whose folders, company and calendar are every test's here), generated once per
    test process and copied (file times kept). Not a module fixture: that would put all these tests on one
    pytest-xdist worker. (The full demo, as a first run generates it into a fresh workspace, is the one of
    ``stale_demo`` and of the golden test.)"""
    if not _demo_made:
        made = tmp_path_factory.mktemp("demo_first_run")
        settings = load_settings(write_config(made, free_port()))
        generate_demo(settings.workspace, dt.date.fromisoformat(RUN_DATE), settings=settings, **SMALL)
        _demo_made.append(settings.workspace)
    return Path(shutil.copytree(_demo_made[0], tmp_path / "工作区"))


def small_demo(tmp_path: Path, config: Path, day: str) -> Path:
    """The small demo (``SMALL``) as of ``day`` in the workspace of ``config``, which has never run: for the
    tests of the first run and the catch-up, whose first run would otherwise generate the full demo."""
    settings = load_settings(config)
    generate_demo(settings.workspace, dt.date.fromisoformat(day), settings=settings, **SMALL)
    return settings.workspace


def run(config: Path, *args: str) -> int:
    return cli.main(["--config", str(config), "--date", RUN_DATE, *args])


def manifest_mail(tmp_path: Path) -> list[dict]:
    return json.loads((tmp_path / "工作区" / "output" / RUN_DATE / "manifest.json").read_text(encoding="utf-8"))["mail"]


def test_smtp_down_is_exit_3_with_one_line_per_message_and_the_reason(tmp_path, demo_workspace, capsys):
    port = free_port()  # nothing listens there
    config = write_config(tmp_path, port)

    assert run(config) == 3

    err = capsys.readouterr().err.splitlines()
    failed = [line for line in err if line.startswith("邮件发送失败")]
    assert len(failed) == len(manifest_mail(tmp_path)) == MESSAGES
    assert f"无法连接邮件服务器 127.0.0.1:{port}: 连接被拒绝" in failed[0]
    assert all(f"127.0.0.1:{port}" in line for line in failed[1:])  # the others: not tried, same reason
    assert err[-1] == f"有 {MESSAGES} 封邮件未能全部送达 (退出码 3)"


def test_with_quiet_the_failures_are_still_printed(tmp_path, demo_workspace, capsys):
    config = write_config(tmp_path, free_port())

    assert run(config, "--quiet") == 3

    out, err = capsys.readouterr()
    assert out == "" and "邮件发送失败" in err


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_a_wrong_password_is_one_login_attempt_for_the_run_and_exit_3(tmp_path, demo_workspace, capsys, smtp_server, monkeypatch):
    auth = Authenticator("clerk@example.com", "s3cret")
    controller, server = smtp_server(authenticator=auth, auth_require_tls=False, auth_required=True)
    config = write_config(tmp_path, controller.port, user="clerk@example.com", retries=3)
    monkeypatch.setenv("NEIQIN_SMTP_PASSWORD", "wrong")

    assert run(config) == 3
    assert run(config) == 3  # the next run: the pending messages, one login attempt again

    assert auth.mechanisms == ["PLAIN", "PLAIN"]  # one login per run, one mechanism each (issue 29 case 10)
    assert "登录被拒绝" in capsys.readouterr().err and server.envelopes == []


def test_a_refused_recipient_is_partly_delivered_and_exit_3_then_a_rerun_is_clean(tmp_path, demo_workspace, capsys, smtp_server):
    controller, server = smtp_server(Collector(refuse=("finance@example.com",)))
    config = write_config(tmp_path, controller.port)

    assert run(config) == 3

    err = capsys.readouterr().err
    partial = [line for line in err.splitlines() if line.startswith("邮件部分送达")]
    # the five reports' messages go to gm (accepted) and finance (refused); the reps' are accepted
    assert partial and all("finance@example.com (550 5.1.1" in line for line in partial)
    assert {m["status"] for m in manifest_mail(tmp_path)} == {"sent", "partial"}
    assert run(config) == 0  # the rerun sends nothing twice and has nothing undelivered


# ---------------------------------------------------------------------------- the deadline, the cut-off, the reminders

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize("start, late", [((16, 30), False), ((17, 20), True)])
def test_the_manifest_records_when_the_mail_left_and_a_late_run_says_so(tmp_path, demo_workspace, capsys, smtp_server, start, late):
    controller, server = smtp_server()
    config = write_config(tmp_path, controller.port)

    with time_machine.travel(dt.datetime(2026, 11, 30, *start, tzinfo=SHANGHAI), tick=True):
        assert run(config) == 0

    m = json.loads((tmp_path / "工作区" / "output" / RUN_DATE / "manifest.json").read_text(encoding="utf-8"))
    left = dt.datetime.fromisoformat(m["mail_left"])
    assert left.date() == dt.date(2026, 11, 30) and left.time() >= dt.time(*start)
    assert m["deadline"] == "2026-11-30T17:00" and m["late"] is late
    err = capsys.readouterr().err
    assert ("晚于截止时间 17:00" in err) is late
    log = (tmp_path / "logs" / "neiqin_2026-11.log").read_text(encoding="utf-8")  # the month the run ran in
    assert ("晚于截止时间 17:00" in log) is late


def stale_demo(tmp_path: Path, config: Path, small: bool = False) -> Path:
    """The demo workspace (the small one with ``small``) with 张伟's workbook untouched since 11-20 and 李娜's gone."""
    if small:
        small_demo(tmp_path, config, RUN_DATE)
    else:
        assert cli.main(["demo", "--config", str(config), "--date", RUN_DATE]) == 0
    reps = tmp_path / "工作区" / "reps"
    old = dt.datetime(2026, 11, 20, 9, 0).timestamp()
    os.utime(reps / "张伟.xlsx", (old, old))
    (reps / "李娜.xlsx").unlink()
    return reps


def test_reminders_are_their_own_job_before_the_cut_off_worded_with_it(tmp_path, capsys, smtp_server):
    controller, server = smtp_server()
    config = write_config(tmp_path, controller.port)
    reps = stale_demo(tmp_path, config)

    with time_machine.travel(dt.datetime(2026, 11, 30, 15, 30, tzinfo=SHANGHAI), tick=True):
        assert cli.main(["remind", "--config", str(config)]) == 0

    got = {tuple(rcpt): email.message_from_bytes(raw, policy=policy.default) for _, rcpt, raw in server.envelopes}
    assert set(got) == {("zhangwei@example.com",), ("lina@example.com",)}
    zhang = got[("zhangwei@example.com",)].get_body(("plain",)).get_content()
    assert "请在今天 16:30 前更新台账 张伟.xlsx 并保存到共享文件夹 " + str(reps) in zhang
    li = got[("lina@example.com",)].get_body(("plain",)).get_content()
    assert "没有找到您的台账" in li and "李娜.xlsx" in li

    # the same day again: nothing twice; after the cut-off: no reminder at all
    with time_machine.travel(dt.datetime(2026, 11, 30, 16, 0, tzinfo=SHANGHAI), tick=True):
        assert cli.main(["remind", "--config", str(config)]) == 0
    with time_machine.travel(dt.datetime(2026, 12, 1, 16, 45, tzinfo=SHANGHAI), tick=True):
        assert cli.main(["remind", "--config", str(config)]) == 0
    assert len(server.envelopes) == 2
    assert "已过数据截止时间 16:30, 今天不再催报" in capsys.readouterr().out


def test_the_days_run_lists_who_is_behind_but_mails_no_reminder(tmp_path, capsys, smtp_server):
    controller, server = smtp_server()
    config = write_config(tmp_path, controller.port)
    stale_demo(tmp_path, config, small=True)

    with time_machine.travel(dt.datetime(2026, 11, 30, 16, 30, tzinfo=SHANGHAI), tick=True):
        assert run(config) == 0

    out = capsys.readouterr().out
    assert "催报: 张伟" in out and "催报: 李娜" in out
    assert not [m for m in manifest_mail(tmp_path) if "请更新台账" in m["subject"]]


# ---------------------------------------------------------------------------- preview, official, rerun, catch-up

def at(y, m, d, hh, mm=0) -> dt.datetime:
    return dt.datetime(y, m, d, hh, mm, tzinfo=SHANGHAI)


def run_at(when: dt.datetime, config: Path, *args: str) -> int:
    with time_machine.travel(when, tick=True):
        return cli.main(["--config", str(config), *args])


def subjects(server) -> list[str]:
    return [str(msg["subject"]) for msg in server.messages()]


def managers(server) -> list[str]:
    """The subjects of the managers' messages (the reps' are left out), each after the 【演示数据】 every demo
    subject begins with."""
    found = [s for (_, rcpt, _), s in zip(server.envelopes, subjects(server)) if "gm@example.com" in rcpt]
    assert all(s.startswith("【演示数据】") for s in found), found
    return [s.removeprefix("【演示数据】") for s in found]


def test_a_morning_run_is_a_preview_and_the_cut_off_run_sends_once(tmp_path, demo_workspace, capsys, smtp_server):
    controller, server = smtp_server()
    config = write_config(tmp_path, controller.port)
    output = tmp_path / "工作区" / "output"

    assert run_at(at(2026, 11, 30, 8, 30), config) == 0  # a double-click in the morning

    assert server.envelopes == []  # a preview sends nothing
    preview = json.loads((output / "预览" / RUN_DATE / "manifest.json").read_text(encoding="utf-8"))
    assert preview["kind"] == "preview" and not (output / RUN_DATE).exists()  # kept apart from the official books
    import openpyxl
    sheet = openpyxl.load_workbook(output / "预览" / RUN_DATE / f"销售日报_{RUN_DATE}.xlsx").worksheets[0]
    assert str(sheet["A1"].value).startswith("【演示数据】【预览】")  # titled as what it is
    assert "预览" in capsys.readouterr().out

    assert run_at(at(2026, 11, 30, 16, 30), config) == 0  # the task at the cut-off: the official run sends
    assert len(server.envelopes) == MESSAGES and managers(server)[0].startswith("【发货审核】2026-11-30")
    assert json.loads((output / RUN_DATE / "manifest.json").read_text(encoding="utf-8"))["kind"] == "official"

    assert run_at(at(2026, 11, 30, 16, 50), config) == 0  # run again: sends nothing
    assert len(server.envelopes) == MESSAGES
    assert "重新运行" in capsys.readouterr().out


def test_a_preview_with_send_is_marked_and_does_not_use_up_the_days_send(tmp_path, demo_workspace, smtp_server):
    controller, server = smtp_server()
    config = write_config(tmp_path, controller.port)

    assert run_at(at(2026, 11, 30, 9, 0), config, "--send") == 0
    assert run_at(at(2026, 11, 30, 16, 31), config) == 0

    first, second = managers(server)
    assert first.startswith("【预览 发货审核】2026-11-30") and "【预览 销售日报】" in first
    assert second.startswith("【发货审核】2026-11-30") and "【销售日报】" in second


def test_resend_after_the_data_changed_is_a_correction(tmp_path, demo_workspace, smtp_server):
    import openpyxl

    controller, server = smtp_server()
    config = write_config(tmp_path, controller.port)
    assert run_at(at(2026, 11, 30, 16, 30), config) == 0
    assert run_at(at(2026, 11, 30, 16, 40), config, "--resend") == 0  # same data: sent again, as it was
    book = tmp_path / "工作区" / "master" / "人员.xlsx"
    wb = openpyxl.load_workbook(book)
    wb.save(book)  # the file changed (its bytes), as when the clerk fixes a line
    assert run_at(at(2026, 11, 30, 16, 50), config, "--resend") == 0

    official, same, corrected = managers(server)
    assert official.startswith("【发货审核】") and same == official
    assert corrected.startswith("【更正 发货审核】2026-11-30") and "【更正 销售日报】" in corrected


def test_missed_working_days_are_caught_up_oldest_first_as_of_their_day(tmp_path, capsys, smtp_server):
    controller, server = smtp_server()
    config = write_config(tmp_path, controller.port)
    small_demo(tmp_path, config, "2026-11-25")
    assert run_at(at(2026, 11, 25, 16, 30), config) == 0  # Wednesday: the workspace's first run
    # Thursday 26 and Friday 27 the PC stays off; Monday 30 the task runs at the cut-off: the day's own run
    # first (its deadline is today's), then the missed days oldest first
    assert run_at(at(2026, 11, 30, 16, 30), config) == 0

    assert [s.split(" 可")[0] for s in managers(server)] == [
        "【发货审核】2026-11-25", "【发货审核】2026-11-30", "【补发 发货审核】2026-11-26", "【补发 发货审核】2026-11-27"]
    output = tmp_path / "工作区" / "output"
    for day in ("2026-11-26", "2026-11-27"):
        m = json.loads((output / day / "manifest.json").read_text(encoding="utf-8"))
        assert m["kind"] == "catch-up" and m["run_date"] == day
        assert (output / day / f"销售日报_{day}.xlsx").is_file()  # its own folder and figures as of that day
    out = capsys.readouterr().out
    assert out.index("运行日期 2026-11-30") < out.index("运行日期 2026-11-26") < out.index("运行日期 2026-11-27")


def test_catch_up_goes_back_at_most_catch_up_days_and_a_first_run_catches_nothing_up(tmp_path, smtp_server):
    controller, server = smtp_server()
    config = write_config(tmp_path, controller.port)
    data = yaml.safe_load(config.read_text(encoding="utf-8"))
    data["schedule"] = {"catch_up_days": 1}
    config.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    small_demo(tmp_path, config, "2026-11-24")

    assert run_at(at(2026, 11, 24, 16, 30), config) == 0  # Tuesday: the first run ever, nothing before it
    assert run_at(at(2026, 11, 30, 16, 30), config) == 0  # Monday: only Friday 27 is caught up (1 day back)

    assert [s.split(" 可")[0] for s in managers(server)] == [
        "【发货审核】2026-11-24", "【发货审核】2026-11-30", "【补发 发货审核】2026-11-27"]


def test_a_first_run_ever_catches_nothing_up(tmp_path, demo_workspace, smtp_server):
    controller, server = smtp_server()
    config = write_config(tmp_path, controller.port)

    assert run_at(at(2026, 11, 30, 16, 30), config) == 0

    assert [s.split(" 可")[0] for s in managers(server)] == ["【发货审核】2026-11-30"]
    assert sorted(p.name for p in (tmp_path / "工作区" / "output").iterdir()) == [RUN_DATE]


# ---------------------------------------------------------------------------- status

def test_status_tells_the_runs_the_mail_and_who_is_behind_in_gbk_safe_chinese(tmp_path, capsys, smtp_server):
    controller, server = smtp_server(Collector(refuse=("finance@example.com",)))
    config = write_config(tmp_path, controller.port)
    stale_demo(tmp_path, config)  # 张伟's workbook untouched since 11-20, 李娜's gone
    assert run_at(at(2026, 11, 30, 8, 30), config) == 0  # a preview
    assert run_at(at(2026, 11, 30, 17, 10), config) == 3  # the official run, late, finance refused
    down = write_config(tmp_path, free_port())  # Tuesday the server is down
    assert run_at(at(2026, 12, 1, 16, 30), down) == 3
    capsys.readouterr()

    assert run_at(at(2026, 12, 1, 16, 40), config, "status") == 0

    out = capsys.readouterr().out
    out.encode("gbk")  # a Chinese Windows console shows all of it (¥ is written as the GBK ￥)
    lines = out.splitlines()
    runs = lines[lines.index("最近的运行:") + 1:][:3]
    # 12-01: the managers' message, the 问题清单 of 刘洋 and 王强 (the other reps' only problems are the
    # December targets missing in 人员.xlsx: the clerk's, not mailed to them), and 陈静's 货物跟踪 with her
    # 问题清单 (the demo's shipment without 物流单号); issue 33: the 投标台账 to the 销售经理 and 张伟's 投标提醒 (a bid
    # due, a bond to chase: every working day until done)
    assert runs[0] == "  2026-12-01 正式  开始 12-01 16:30  未发邮件  6 封未送达"
    assert runs[1].startswith("  2026-11-30 正式  开始 11-30 17:10  邮件发出 11-30 17:1")
    assert "(晚于截止, 截止 17:00)" in runs[1] and "1 封未送达" in runs[1]
    assert runs[2].startswith("  2026-11-30 预览  开始 11-30 08:30  未发邮件")
    sent = "\n".join(lines[lines.index("已发送 (最近 7 天):"):lines.index("待发送 / 发送失败 (下次运行先发这些):")])
    # the rep's own 周/月工作总结 (a Monday, a month end) travel with the 提成确认单 (after 张伟's 报价单 and with his
    # 投标提醒, issue 33)
    zhang = next(line for line in sent.splitlines() if "(张伟) → zhangwei@example.com" in line)
    assert "【提成确认单 2026-11】 提成 ￥13,502.25 + 【投标提醒】 2 项 + 【周工作总结 2026-11-23~2026-11-29】 + " \
           "【月工作总结 2026年11月】 (张伟)" in zhang
    assert "部分送达 — 部分送达, 被拒绝的收件人: finance@example.com (550 5.1.1" in sent
    pending = "\n".join(lines[lines.index("待发送 / 发送失败 (下次运行先发这些):"):lines.index("业务员台账:")])
    assert pending.count("\n  2026-12-01 【") == 6 and "发送失败 — 无法连接邮件服务器 127.0.0.1" in pending
    reps = lines[lines.index("业务员台账:") + 1:]
    assert reps[0].startswith("  张伟: 您的台账 张伟.xlsx 已") and reps[1].startswith("  李娜: 共享文件夹里没有找到您的台账")
    assert reps[2].startswith("  按时更新: ") and "王强" in reps[2]


# ---------------------------------------------------------------------------- every recipients key is used

def test_at_month_end_every_recipients_key_gets_its_report(tmp_path, demo_workspace, smtp_server):
    controller, server = smtp_server()
    config = write_config(tmp_path, controller.port,
                          recipients={key: {"to": [f"{key}@example.com"]} for key in RECIPIENT_KEYS})

    assert run(config) == 0

    got = {rcpt[0]: [p.get_filename() for p in msg.iter_attachments()]
           for (_, rcpt, _), msg in zip(server.envelopes, server.messages())}
    assert got["expenses@example.com"] == ["费用审核_2026-11.xlsx"]
    assert got["reconciliation@example.com"] == ["财务对账_2026-11.xlsx", "销售明细账_2026-11.xlsx"]
    assert got["summary@example.com"] == ["周工作总结_2026-11-23_2026-11-29.xlsx", "月工作总结_2026-11.xlsx"]
    assert f"销售日报_{RUN_DATE}.xlsx" in got["daily@example.com"]
    assert got["period@example.com"] == ["五日报_2026-11-26_2026-11-30.xlsx", "月报_2026-11.xlsx"]
    assert got["shipping@example.com"] == [f"发货审核_{RUN_DATE}.xlsx"]
    assert got["service@example.com"] == [f"客户服务跟踪_{RUN_DATE}.xlsx"]


def test_the_clerk_is_told_once_when_a_message_is_given_up(tmp_path, demo_workspace, capsys, smtp_server):
    controller, server = smtp_server(Collector(refuse=("nobody@example.com",)))
    config = write_config(tmp_path, controller.port, max_attempts=1, admin=["clerk@example.com"],
                          recipients={**RECIPIENTS, "expenses": {"to": ["nobody@example.com"]}})

    assert run(config) == 3
    assert run(config, "--resend") == 3  # the same day again: the clerk is not told twice

    notices = [msg for (_, rcpt, _), msg in zip(server.envelopes, server.messages())
               if rcpt == ["clerk@example.com"] and "运行异常" in str(msg["subject"])]  # not the clerk's 数据问题清单
    # the workspace is the demo: every subject says so first
    assert len(notices) == 1 and str(notices[0]["subject"]) == f"【演示数据】【运行异常】{RUN_DATE} 1 项"
    body = notices[0].get_body(("plain",)).get_content()
    assert "已放弃: 【演示数据】【费用审核 2026-11】" in body and "nobody@example.com (550 5.1.1" in body
    assert "已放弃: 【演示数据】【费用审核 2026-11】" in capsys.readouterr().err
