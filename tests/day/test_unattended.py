"""Issue 29, the unattended day: inputs the day cannot trust, copies of a rep's workbook, messages at most
once, working days only, a damaged state file … each through ``cli.main`` against a real aiosmtpd server on
127.0.0.1 (tests/test_mail.py's handlers), with time-machine for the day and the hour."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
import yaml

from neiqin_xl import cli
from neiqin_xl.deliver.run_state import RunState

from ..helpers_intake import COLLECTION_HEADER, CONTRACT_HEADER, SHIPMENT_HEADER, workspace, write_book
from ..deliver.test_mail import Collector, free_port, smtp_server  # noqa: F401  (fixture)

SHANGHAI = ZoneInfo("Asia/Shanghai")
DAY = "2026-11-26"  # a Thursday, a working day
ADMIN = "clerk@example.com"
RECIPIENTS = {key: {"to": ["gm@example.com"]} for key in ("daily", "period", "shipping", "reconciliation", "expenses")}


def at(y, m, d, hh, mm=0) -> dt.datetime:
    return dt.datetime(y, m, d, hh, mm, tzinfo=SHANGHAI)


def build(root: Path, port: int | None) -> Path:
    """Two reps: 张伟 with one contract of ¥10,000.00 shipped 11-05 and ¥4,000.00 collected 11-10, 李娜 with
    one contract of ¥2,500.00; the config mails the managers and the clerk (``email.admin``)."""
    settings = workspace(root / "工作区")
    write_book(settings.folder("reps") / "张伟.xlsx", {
        "合同": [CONTRACT_HEADER, ["HT-ZW-1", date(2026, 11, 2), "明达公司", "服务", 10000, "月结"]],
        "发货": [SHIPMENT_HEADER, ["FH-ZW-1", date(2026, 11, 5), "HT-ZW-1", 10000, "已发货"]],
        "回款": [COLLECTION_HEADER, [date(2026, 11, 10), "明达公司", "HT-ZW-1", 4000, "LS-ZW-1"]]})
    write_book(settings.folder("reps") / "李娜.xlsx", {
        "合同": [CONTRACT_HEADER, ["HT-LN-1", date(2026, 11, 3), "华联公司", "服务", 2500, "月结"]]})
    write_book(settings.folder("master") / "人员.xlsx",
               {"人员": [["姓名", "角色", "邮箱"], ["张伟", "业务员", "zhangwei@example.com"],
                        ["李娜", "业务员", "lina@example.com"]]})
    email = {"enabled": port is not None, "host": "127.0.0.1" if port else "", "port": port or 25,
             "security": "plain", "user": "", "sender": "neiqin@example.com", "timeout_seconds": 2, "retries": 0,
             "backoff_seconds": 0, "recipients": RECIPIENTS, "admin": [ADMIN]}
    config = root / "config.yaml"
    config.write_text(yaml.safe_dump({"paths": {"workspace": str(root / "工作区")}, "email": email},
                                     allow_unicode=True), encoding="utf-8")
    return config


def run(config: Path, *args: str) -> int:
    return cli.main(["--config", str(config), *args])


def run_at(when: dt.datetime, config: Path, *args: str) -> int:
    with time_machine.travel(when, tick=True):
        return run(config, *args)


def to(server) -> list[list[str]]:
    return [sorted(rcpt) for _, rcpt, _ in server.envelopes]


def subjects(server) -> list[str]:
    return [str(m["subject"]) for m in server.messages()]


def manifest(root: Path, day: str = DAY) -> dict:
    return json.loads((root / "工作区" / "output" / day / "manifest.json").read_text(encoding="utf-8"))


# ---------------------------------------------------------------------------- case 1-2: inputs the day cannot trust

def unmount(reps: Path) -> None:
    shutil.rmtree(reps)


def empty(reps: Path) -> None:
    for p in reps.iterdir():
        p.unlink()


@pytest.mark.slow  # a whole day run for real
@pytest.mark.parametrize("fault", [unmount, empty], ids=["reps-missing", "reps-empty"])
def test_a_reps_folder_missing_or_empty_stops_the_day_and_the_next_run_after_the_fix_is_official(
        tmp_path, capsys, smtp_server, fault):
    controller, server = smtp_server()
    config = build(tmp_path, controller.port)
    reps = tmp_path / "工作区" / "reps"
    saved = tmp_path / "saved"
    shutil.copytree(reps, saved)
    fault(reps)

    assert run_at(at(2026, 11, 26, 16, 30), config) == 1

    # nothing to the managers or the reps: one message, to the clerk, saying what is missing
    assert to(server) == [[ADMIN]]
    [subject] = subjects(server)
    assert "运行异常: 输入不可信" in subject
    body = server.messages()[0].get_body(("plain",)).get_content()
    assert str(reps) in body and "没有给经理和业务员发送任何邮件" in body
    assert not (tmp_path / "工作区" / "output" / DAY).exists()  # no book written
    err = capsys.readouterr().err
    assert "运行已停止, 没有生成报表" in err and str(reps) in err
    # a second try the same day does not mail the clerk again
    assert run_at(at(2026, 11, 26, 16, 40), config) == 1 and len(server.envelopes) == 1

    shutil.rmtree(reps, ignore_errors=True)
    shutil.copytree(saved, reps)  # the share is back
    assert run_at(at(2026, 11, 26, 16, 50), config) == 0
    assert manifest(tmp_path)["kind"] == "official"  # not a rerun of "already sent"
    assert ["gm@example.com"] in to(server) and ["zhangwei@example.com"] in to(server)


def test_an_empty_workspace_mails_no_zero_report(tmp_path, capsys, smtp_server):
    controller, server = smtp_server()
    config = build(tmp_path, controller.port)
    for folder in ("reps", "master"):
        shutil.rmtree(tmp_path / "工作区" / folder)

    assert run_at(at(2026, 11, 26, 16, 30), config) == 1

    assert to(server) == [[ADMIN]]
    assert "没有任何输入工作簿" in capsys.readouterr().err


# ---------------------------------------------------------------------------- case 1: copies take nothing

@pytest.mark.slow  # a whole day run for real
@pytest.mark.parametrize("copy_name", ["张伟 - 副本.xlsx", "张伟-DESKTOP-PC.xlsx", "备份.xlsx"])
def test_a_copy_of_a_reps_workbook_takes_nothing_and_is_listed_naming_the_original(tmp_path, copy_name):
    config = build(tmp_path, None)
    reps = tmp_path / "工作区" / "reps"
    shutil.copy(reps / "张伟.xlsx", reps / copy_name)

    assert run(config, "--date", DAY, "--quiet") == 0

    m = manifest(tmp_path)
    [copy] = [i for i in m["inputs"] if i["path"].endswith(copy_name)]
    assert copy["status"] == "copy" and copy["copy_of"] == "张伟.xlsx"
    # 张伟 keeps his rows: one contract of ¥10,000.00, nobody else holds it (the fulfilment's rows per rep)
    rows = m["rows"]
    assert rows["合同"] == 2 and rows["回款"] == 1  # 张伟's one and 李娜's one; the copy's not counted
    problems = (tmp_path / "工作区" / "output" / DAY).rglob("数据问题清单*.xlsx")
    import openpyxl
    texts = [str(c.value) for p in problems for ws in openpyxl.load_workbook(p, read_only=True).worksheets
             for row in ws.iter_rows() for c in row if c.value]
    assert any("是副本, 未读取" in t and "张伟.xlsx" in t for t in texts)
    assert not any("完全相同" in t for t in texts)  # the copy's rows are not duplicates of the original's


# ---------------------------------------------------------------------------- cases 7-10: at most once per message

import asyncio  # noqa: E402

from neiqin_xl.core.output import Delivery  # noqa: E402
from neiqin_xl.deliver import mail  # noqa: E402

from ..deliver.test_mail import Authenticator, daily_delivery, make_settings, staff, workbook  # noqa: E402

RUN_DATE = dt.date(2026, 11, 26)


class SlowAfterData(Collector):
    """Keeps the message, then answers DATA only after ``delay`` seconds (past the client's timeout)."""

    def __init__(self, delay: float):
        super().__init__()
        self.delay = delay

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content))
        await asyncio.sleep(self.delay)
        return "250 OK"


class DropsAfterData(Collector):
    """Keeps the message and drops the connection instead of answering."""

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content))
        server.transport.close()
        return None


@pytest.mark.slow  # a whole day run for real
@pytest.mark.parametrize("handler", [lambda: SlowAfterData(2.5), DropsAfterData], ids=["late-answer", "dropped"])
def test_a_message_the_server_may_have_taken_is_unknown_never_sent_again_on_its_own(tmp_path, smtp_server, handler):
    controller, server = smtp_server(handler())
    settings = make_settings(tmp_path, controller.port, timeout_seconds=1, retries=3)
    shipping = Delivery(report="shipping", title="发货审核", attachments=[workbook(tmp_path, "发货审核.xlsx")])

    results = mail.deliver(settings, RUN_DATE, [daily_delivery(tmp_path), shipping], staff())

    # the first: DATA sent, no answer → 结果未知, not retried (3 retries allowed for a temporary failure);
    # the second is not tried in this run (it is not lost: failed, sent by the next run)
    assert [r["status"] for r in results] == ["unknown", "failed"]
    assert results[0]["reason"].startswith("发送结果未知: 邮件内容已发出后") and "不会自动重发" in results[0]["reason"]
    assert results[1]["reason"].startswith("本次运行未尝试 (发送结果未知")
    assert len(server.envelopes) == 1
    # the next run tries the one not tried (the server, still faulty, takes it: 结果未知 too), never the first;
    # the day's rerun skips both
    pending = mail.send_pending(settings, staff())
    assert [r["status"] for r in pending] == ["unknown"] and pending[0]["subject"] == results[1]["subject"]
    again = mail.deliver(settings, RUN_DATE, [daily_delivery(tmp_path), shipping], staff())
    assert [r["status"] for r in again] == ["skipped", "skipped"]
    assert all(r["reason"].startswith("发送结果未知") for r in again)
    assert sorted(len(e[1]) for e in server.envelopes) == [1, 3]  # each message reached the server once
    # the clerk decides: --resend sends it again (the server takes it a second time)
    mail.deliver(settings, RUN_DATE, [shipping], staff(), resend=True)
    assert len(server.envelopes) == 3


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_a_good_run_logs_in_once_for_all_its_messages(tmp_path, smtp_server, monkeypatch):
    auth = Authenticator("clerk@example.com", "s3cret")
    controller, server = smtp_server(authenticator=auth, auth_require_tls=False, auth_required=True)
    settings = make_settings(tmp_path, controller.port, user="clerk@example.com")
    monkeypatch.setenv("NEIQIN_SMTP_PASSWORD", "s3cret")
    deliveries = [daily_delivery(tmp_path),
                  Delivery(report="shipping", title="发货审核", attachments=[workbook(tmp_path, "发货审核.xlsx")]),
                  Delivery(report="reminder", title="请更新台账", rep="张伟", summary_text="请更新"),
                  Delivery(report="reminder", title="请更新台账", rep="李娜", summary_text="请更新")]

    transport = mail.start_sending(settings)
    results = mail.deliver(settings, RUN_DATE, deliveries, staff(), transport=transport)

    assert [r["status"] for r in results] == ["sent"] * 4 and len(server.envelopes) == 4
    assert auth.mechanisms == ["PLAIN"] and transport.logins == 1  # 4 messages, one login (was one each)


def test_a_refused_message_is_tried_once_per_run_and_counted_once(tmp_path, smtp_server):
    controller, server = smtp_server(Collector(refuse=("warehouse@example.com",)))
    settings = make_settings(tmp_path, controller.port, max_attempts=3)
    shipping = Delivery(report="shipping", title="发货审核", attachments=[workbook(tmp_path, "发货审核.xlsx")])
    state = RunState(settings.workspace)

    def a_run() -> list[dict]:  # as the pipeline does it: the pending step, then the day's delivery
        transport = mail.start_sending(settings)
        return mail.send_pending(settings, staff(), transport=transport) + \
            mail.deliver(settings, RUN_DATE, [shipping], staff(), transport=transport)

    first = a_run()
    assert [r["status"] for r in first] == ["failed"] and state.messages()[0].runs == 1
    second = a_run()  # tried by the pending step; the day's delivery does not try it a second time
    assert [r["status"] for r in second] == ["failed", "skipped"]
    assert second[0]["reason"].startswith("收件人被拒绝: ") and second[1]["reason"].startswith("本次运行已尝试")
    assert state.messages()[0].runs == 2  # was 3: counted twice per rerun
    third = a_run()
    assert [r["status"] for r in third][0] == "given_up" and state.messages()[0].runs == 3
    assert third[0]["reason"].startswith("已放弃 (服务器在 3 次运行中都拒绝了这封邮件)")


def test_a_new_problem_the_same_day_gets_a_new_notice_the_same_problem_none(tmp_path, smtp_server):
    # the server refuses the warehouse: the 发货审核 fails in every run; later the same day a second, new
    # problem (the 提成 report failed). The clerk's notice is the problems it names, not "运行异常 of the day".
    controller, server = smtp_server(Collector(refuse=("warehouse@example.com",)))
    settings = make_settings(tmp_path, controller.port, max_attempts=5, admin=[ADMIN])
    shipping = Delivery(report="shipping", title="发货审核", attachments=[workbook(tmp_path, "发货审核.xlsx")])

    def a_run(failed_reports: list[str] = ()) -> list[dict]:  # as chase_and_send does it
        transport = mail.start_sending(settings)
        with transport:
            sent = mail.send_pending(settings, staff(), transport=transport) + \
                mail.deliver(settings, RUN_DATE, [shipping], staff(), transport=transport)
            notice = mail.admin_notice(RUN_DATE, list(failed_reports), sent)
            return sent + mail.deliver(settings, RUN_DATE, [notice], None, transport=transport)

    def notices() -> list[str]:
        return [m.get_body(("plain",)).get_content() for m, (_, rcpt, _) in zip(server.messages(), server.envelopes)
                if rcpt == [ADMIN]]

    a_run()  # 16:30: the 发货审核 refused → one notice
    assert len(notices()) == 1 and "发货审核" in notices()[0]
    again = a_run()  # 16:40 (the retry): the same problem → not said again
    assert len(notices()) == 1 and [r["status"] for r in again if r["report"] == "admin"] == ["skipped"]
    a_run(["commission"])  # 16:50: a new problem the same day → one new notice, naming it
    assert len(notices()) == 2 and "commission" in notices()[1]
    a_run(["commission"])  # and that one not twice
    assert len(notices()) == 2


def test_a_catch_up_mark_does_not_make_a_message_new(tmp_path, smtp_server):
    # the killed run sent the 销售日报; the catch-up of that day (its titles marked 补发) does not send it again
    controller, server = smtp_server()
    settings = make_settings(tmp_path, controller.port)
    from dataclasses import replace
    sent = mail.deliver(settings, RUN_DATE, [daily_delivery(tmp_path)], staff())
    caught_up = mail.deliver(settings, RUN_DATE, [replace(daily_delivery(tmp_path), title="补发 销售日报")], staff())
    assert [r["status"] for r in sent] == ["sent"]
    assert [r["status"] for r in caught_up] == ["skipped"] and caught_up[0]["reason"].startswith("已发送")
    assert len(server.envelopes) == 1


# ---------------------------------------------------------------------------- case 8: a run killed while sending

import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import email as email_lib  # noqa: E402
from email import policy as email_policy  # noqa: E402

KILLED_RUN = """
import sys, datetime as dt, time_machine
from zoneinfo import ZoneInfo
from neiqin_xl import cli
with time_machine.travel(dt.datetime(2026, 11, 26, 16, 30, tzinfo=ZoneInfo("Asia/Shanghai")), tick=True):
    sys.exit(cli.main(["--config", sys.argv[1], "--quiet"]))
"""


class HangsOnData(Collector):
    """Takes messages; the ``hang_at``-th DATA is kept and never answered (the client is killed meanwhile)."""

    def __init__(self, hang_at: int):
        super().__init__()
        self.hang_at = hang_at

    async def handle_DATA(self, server, session, envelope):
        self.data_calls += 1
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content))
        if self.data_calls == self.hang_at:
            await asyncio.sleep(30)
        return "250 OK"


def sent_for(server, day: str) -> list[tuple[str, tuple[str, ...]]]:
    """(subject, recipients) of every message the server took for ``day`` (its X-Neiqin-Run-Date)."""
    found = []
    for _, rcpt, data in server.envelopes:
        msg = email_lib.message_from_bytes(data, policy=email_policy.default)
        if msg["X-Neiqin-Run-Date"] == day:
            found.append((str(msg["subject"]), tuple(sorted(rcpt))))
    return found


@pytest.mark.slow  # a whole day run for real
def test_a_day_killed_while_sending_is_finished_by_the_next_run_each_message_once(tmp_path, smtp_server, capsys):
    controller, server = smtp_server(HangsOnData(hang_at=2))
    config = build(tmp_path, controller.port)
    root = Path(__file__).resolve().parents[2]
    killed = subprocess.Popen([sys.executable, "-c", KILLED_RUN, str(config)], cwd=root,
                              env={**__import__("os").environ, "PYTHONPATH": str(root)})
    deadline = time.time() + 120
    while server.data_calls < 2 and time.time() < deadline and killed.poll() is None:
        time.sleep(0.1)
    killed.kill()  # the power cut, with the second message on the wire
    killed.wait()
    assert server.data_calls == 2
    before = sent_for(server, DAY)
    state = RunState(tmp_path / "工作区")
    [row] = state.runs()
    assert (row["run_date"], row["kind"], row["outcome"]) == (DAY, "official", "running")  # it recorded itself
    # status tells the truth (case 14): the run did not finish, and what to do
    with time_machine.travel(at(2026, 11, 27, 9, 0), tick=True):
        assert run(config, "status") == 0
    status = capsys.readouterr().out
    assert "2026-11-26 正式  开始 11-26 16:30  运行中断 (未正常结束" in status
    assert "下一步: 2026-11-26 的运行中断了" in status and "发送中" in status  # the message on the wire
    # the messages it never got to (planned before the first was composed: one per audience), named
    composed = {(m.audience, m.items) for m in state.messages()}
    assert len(composed) == 2  # the one sent, the one on the wire
    never = status.split("未生成的邮件")[1].split("\n\n")[0].strip().splitlines()[1:]
    assert never and all(line.strip().startswith("2026-11-26 ") for line in never), status
    assert len(never) == len(json.loads(row["planned"])) - 2

    # the next working day: the killed day first (补发), then the day's own run
    assert run_at(at(2026, 11, 27, 16, 30), config) == 3  # exit 3: the message on the wire is 结果未知

    day = sent_for(server, DAY)
    recipients = [r for _, r in day]
    reports = [(s.replace("补发 ", "").split("】")[0], r) for s, r in day]
    assert len(reports) == len(set(reports)), day  # no message of 11-26 twice (a 补发 mark is not a new message)
    caught_up = day[len(before):]
    # the rest, sent once, as 补发 (after the day's own run, whose notice to the clerk names the 结果未知 one)
    assert caught_up and all(s.startswith("【补发") for s, _ in caught_up)
    [notice] = [m for m in server.messages() if str(m["subject"]).startswith("【运行异常】")]
    assert notice["X-Neiqin-Run-Date"] == "2026-11-27" and "发送结果未知" in notice.get_body(("plain",)).get_content()
    assert ("gm@example.com",) in recipients and ("zhangwei@example.com",) in recipients
    statuses = sorted(m.status for m in state.messages(dt.date(2026, 11, 26)))
    assert statuses.count("unknown") == 1  # the one on the wire: listed, not sent again
    kinds = [(r["run_date"], r["kind"], r["outcome"]) for r in reversed(state.runs())]
    assert kinds == [(DAY, "official", "interrupted"), ("2026-11-27", "official", "done"), (DAY, "catch-up", "done")]
    # status after the catch-up: nothing left never composed; the 结果未知 one with the time its send was cut
    # off (11-26, 16:30 and a few seconds), as its own field, not the time the next run found it (11-27)
    with time_machine.travel(at(2026, 11, 28, 9, 0), tick=True):
        assert run(config, "status") == 0
    status = capsys.readouterr().out
    assert "未生成的邮件" not in status
    [unknown] = [line for line in status.splitlines() if ": 结果未知" in line]
    assert "结果未知  中断于 11-26 16:3" in unknown, unknown


# ---------------------------------------------------------------------------- cases 3 and 5: working days, dates

@pytest.mark.slow  # a whole day run for real
def test_the_scheduled_run_does_nothing_on_a_weekend_and_a_manual_run_is_a_preview(tmp_path, capsys, smtp_server):
    controller, server = smtp_server()
    config = build(tmp_path, controller.port)

    # Saturday 2026-11-28, 16:30: the task fires; nothing read, written or mailed, one line
    assert run_at(at(2026, 11, 28, 16, 30), config, "--scheduled") == 0
    assert capsys.readouterr().out.strip() == "2026-11-28 不是工作日, 计划任务不运行"
    assert not (tmp_path / "工作区" / "output").exists() and server.envelopes == []
    # National Day 2026-10-01 (a Thursday): the same
    assert run_at(at(2026, 10, 1, 16, 30), config, "--scheduled") == 0 and server.envelopes == []

    # the clerk's own run on the Saturday: the books as a preview, nothing mailed …
    assert run_at(at(2026, 11, 28, 16, 35), config) == 0
    assert "非工作日只生成预览" in capsys.readouterr().out
    assert (tmp_path / "工作区" / "output" / "预览" / "2026-11-28" / "manifest.json").is_file()
    assert server.envelopes == []
    # … and with --send, mailed marked 预览
    assert run_at(at(2026, 11, 28, 16, 40), config, "--send") == 0
    assert server.envelopes and all("预览" in s for s in subjects(server))


def test_remind_before_reminder_time_and_on_a_holiday_sends_nothing(tmp_path, capsys, smtp_server):
    controller, server = smtp_server()
    config = build(tmp_path, controller.port)
    (tmp_path / "工作区" / "reps" / "李娜.xlsx").unlink()  # 李娜 is behind: she would be reminded

    assert run_at(at(2026, 11, 26, 15, 29), config, "remind") == 0
    assert "还没到催报时间 15:30" in capsys.readouterr().out and server.envelopes == []
    assert run_at(at(2026, 10, 2, 15, 30), config, "remind") == 0  # National Day holiday
    assert server.envelopes == []
    assert run_at(at(2026, 11, 26, 15, 30), config, "remind") == 0
    assert to(server) == [["lina@example.com"]]


@pytest.mark.slow  # a whole day run for real
@pytest.mark.parametrize("day", ["2099-12-31", "2026-12-31"])
def test_an_official_run_for_a_future_date_is_refused(tmp_path, capsys, smtp_server, day):
    controller, server = smtp_server()
    config = build(tmp_path, controller.port)

    assert run_at(at(2026, 11, 26, 16, 30), config, "--date", day) == 2

    assert "不能正式运行将来的日期" in capsys.readouterr().err
    assert server.envelopes == [] and not (tmp_path / "工作区" / "output").exists()
    # a preview of it is allowed, and mails nothing
    assert run_at(at(2026, 11, 26, 16, 30), config, "--date", day, "--preview") == 0
    assert (tmp_path / "工作区" / "output" / "预览" / day / "manifest.json").is_file() and server.envelopes == []


@pytest.mark.parametrize("day", ["9999-12-31", "1900-01-01", "2026-02-30"])
def test_a_date_out_of_range_is_a_command_line_error_not_a_crash(tmp_path, capsys, day):
    config = build(tmp_path, None)
    with pytest.raises(SystemExit) as stop:
        run(config, "--date", day)
    assert stop.value.code == 2 and "--date" in capsys.readouterr().err


# ---------------------------------------------------------------------------- case 13: a damaged state file

@pytest.mark.slow  # a whole day run for real
@pytest.mark.parametrize("damage", ["overwritten", "truncated"])
def test_a_damaged_state_file_is_moved_aside_and_the_days_books_are_written(tmp_path, capsys, smtp_server, damage):
    controller, server = smtp_server()
    config = build(tmp_path, controller.port)
    assert run_at(at(2026, 11, 25, 16, 30), config) == 0  # yesterday's run: the state file exists
    state_file = tmp_path / "工作区" / ".neiqin_state.sqlite"
    data = state_file.read_bytes()
    state_file.write_bytes(b"Dropbox conflict " * 100 if damage == "overwritten" else data[:len(data) // 2])
    before = len(server.envelopes)

    status = run_at(at(2026, 11, 26, 16, 30), config)
    err = capsys.readouterr().err

    assert status == 0
    [aside] = (tmp_path / "工作区").glob(".neiqin_state.damaged-*.sqlite")
    assert f"状态文件 {state_file} 已损坏" in err and aside.name in err
    assert manifest(tmp_path)["kind"] == "official" and manifest(tmp_path)["outputs"]  # the day's books
    days = {m["X-Neiqin-Run-Date"] for m in server.messages()[before:]}
    assert days == {DAY}  # nothing of an earlier day (not knowing what was sent)
    admin = [m for m in server.messages()[before:] if "运行异常" in str(m["subject"])]
    assert admin and aside.name in admin[0].get_body(("plain",)).get_content()


# ---------------------------------------------------------------------------- case 4: a year the calendar does not know

def problem_texts(root: Path, day: str) -> list[str]:
    import openpyxl
    return [str(c.value) for p in (root / "工作区" / "output" / day).rglob("数据问题清单*.xlsx")
            for ws in openpyxl.load_workbook(p, read_only=True).worksheets for row in ws.iter_rows() for c in row
            if c.value]


@pytest.mark.slow  # a whole day run for real
def test_a_year_the_calendar_does_not_know_is_said_from_december_until_filled(tmp_path, capsys, smtp_server):
    from neiqin_xl.trust import calendar_knows
    assert calendar_knows(2026) and not calendar_knows(2027)  # chinesecalendar 1.11.0 stops at 2026
    controller, server = smtp_server()
    config = build(tmp_path, controller.port)

    assert run_at(at(2026, 11, 30, 16, 30), config) == 0  # November: not yet
    assert "2027" not in capsys.readouterr().err and not any("2027" in str(m["subject"]) + m.get_body(("plain",)).get_content()
                                                         for m in server.messages())
    assert run_at(at(2026, 12, 1, 16, 30), config) == 0  # from December on, every day
    err = capsys.readouterr().err
    assert "节假日日历不包含 2027 年" in err and "calendar.extra_holidays" in err and "calendar.extra_workdays" in err
    assert "pip install -U chinesecalendar" in err
    assert any("节假日日历不包含 2027 年" in t for t in problem_texts(tmp_path, "2026-12-01"))
    [admin] = [m for m in server.messages() if "运行异常" in str(m["subject"])]
    assert "2027" in admin.get_body(("plain",)).get_content() and sorted(admin["To"].split(", ")) == [ADMIN]
    with time_machine.travel(at(2026, 12, 1, 17, 0), tick=True):
        assert run(config, "status") == 0
    assert "节假日日历不包含 2027 年" in capsys.readouterr().out

    # the clerk fills in the State Council's notice: said no more
    data = yaml.safe_load(config.read_text(encoding="utf-8"))
    data["calendar"] = {"extra_holidays": ["2027-01-01", "2027-02-16"], "extra_workdays": ["2027-02-07"]}
    config.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    assert run_at(at(2026, 12, 2, 16, 30), config) == 0
    assert "2027" not in capsys.readouterr().err
    assert not any("2027" in t for t in problem_texts(tmp_path, "2026-12-02"))


# ---------------------------------------------------------------------------- case 11: a short outage

@pytest.mark.slow  # a whole day run for real
def test_a_short_outage_is_retried_until_the_deadline_and_the_clerk_is_told_twice(tmp_path, capsys):
    from aiosmtpd.controller import Controller
    port = free_port()
    config = build(tmp_path, port)

    assert run_at(at(2026, 11, 26, 16, 30), config) == 3  # the server is down at 16:31
    failed = [m for m in RunState(tmp_path / "工作区").messages() if m.status == "failed"]
    assert len(failed) >= 4  # the managers', the reps', the clerk's own notice: all waiting

    server = Collector()
    controller = Controller(server, hostname="127.0.0.1", port=port, server_hostname="localhost")
    controller.start()  # back at 16:35
    try:
        assert run_at(at(2026, 11, 26, 16, 40), config, "retry") == 0
        assert run_at(at(2026, 11, 26, 16, 50), config, "retry") == 0  # nothing left: nothing sent again
        assert run_at(at(2026, 11, 26, 17, 5), config, "retry") == 0  # after the deadline: not its job
    finally:
        controller.stop()

    got = [(str(m["subject"]), tuple(sorted(rcpt))) for m, (_, rcpt, _) in zip(server.messages(), server.envelopes)]
    assert len(got) == len(set(got)) == len(failed) + 1  # every message once, and the notice that they went out
    admin = [s for s, r in got if r == (ADMIN,)]
    # one 运行异常 (made at 16:31 listing what failed, sent when the server came back), one 邮件已补发
    assert sorted(s.split("】")[0] for s in admin if "运行异常" in s) == ["【运行异常", "【运行异常: 邮件已补发"]
    first = [m for m in server.messages() if str(m["subject"]).startswith("【运行异常】")][0]
    assert "发送失败 (截止时间前自动重发" in first.get_body(("plain",)).get_content()
    assert all(m.status == "sent" for m in RunState(tmp_path / "工作区").messages())


# ---------------------------------------------------------------------------- case 15: days beyond catch_up_days are said

@pytest.mark.slow  # a whole day run for real
def test_working_days_beyond_catch_up_days_are_named_not_dropped_silently(tmp_path, capsys, smtp_server):
    controller, server = smtp_server()
    config = build(tmp_path, controller.port)
    data = yaml.safe_load(config.read_text(encoding="utf-8"))
    data["schedule"] = {"catch_up_days": 1}
    config.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")

    assert run_at(at(2026, 11, 24, 16, 30), config) == 0  # Tuesday; then the PC is off until Monday
    capsys.readouterr()
    assert run_at(at(2026, 11, 30, 16, 30), config) == 0  # Friday 27 caught up (1 day back); 25 and 26 not

    err = capsys.readouterr().err
    assert "超过补做天数 schedule.catch_up_days (1) 未补做: 2026-11-25, 2026-11-26" in err
    assert (tmp_path / "工作区" / "output" / "2026-11-27").is_dir() and not (tmp_path / "工作区" / "output" / "2026-11-26").exists()


def run_dates(server, start: int = 0) -> list[tuple[str, tuple[str, ...], str]]:
    """(X-Neiqin-Run-Date, recipients, subject) of the messages the server took from ``start`` on, in order."""
    found = []
    for _, rcpt, data in server.envelopes[start:]:
        msg = email_lib.message_from_bytes(data, policy=email_policy.default)
        found.append((msg["X-Neiqin-Run-Date"], tuple(sorted(rcpt)), str(msg["subject"])))
    return found


@pytest.mark.slow  # whole days run for real
def test_catch_up_sends_the_days_own_reports_first_then_each_missed_day_one_message_per_person(
        tmp_path, capsys, smtp_server):
    controller, server = smtp_server()
    config = build(tmp_path, controller.port)
    data = yaml.safe_load(config.read_text(encoding="utf-8"))
    data["schedule"] = {"catch_up_days": 2}
    data["email"]["recipients"]["period"] = {"to": ["gm@example.com", "boss@example.com"]}  # gm on two lists
    config.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")

    assert run_at(at(2026, 11, 24, 16, 30), config) == 0  # Tuesday; then the PC is off until Monday
    start = len(server.envelopes)
    capsys.readouterr()
    assert run_at(at(2026, 11, 30, 16, 30), config) == 0  # Monday: 26 and 27 caught up (2 days back), 25 not

    got = run_dates(server, start)
    days = [day for day, _, subject in got if not subject.startswith("【运行异常")]
    # the day's own reports first, then the missed days oldest first
    assert days == sorted(days, key=lambda d: (d != "2026-11-30", d)) and days[0] == "2026-11-30", days
    assert set(days) == {"2026-11-30", "2026-11-26", "2026-11-27"}
    # a missed day: each person one message at most (gm is on the daily and the period lists: one message)
    for day in ("2026-11-26", "2026-11-27"):
        people = [r for d, rcpt, _ in got if d == day for r in rcpt]
        assert len(people) == len(set(people)), (day, people)
    [gm_26] = [s for d, rcpt, s in got if d == "2026-11-26" and rcpt == ("gm@example.com",)]
    assert "补发 销售日报" in gm_26 and "五日报 2026-11-21~2026-11-25" in gm_26  # one message, both reports
    # each day still makes the periods it made when the days ran oldest first: the 五日报 ending on the 25th
    # once (with the 26th, the first day run after it), the one ending on the 30th with the 30th
    five_days = [(d, "21~2026-11-25" in s) for d, rcpt, s in got if "五日报" in s and "boss@example.com" in rcpt]
    assert sorted(five_days) == [("2026-11-26", True), ("2026-11-30", False)], five_days
    # the day beyond catch_up_days is named, not dropped silently
    assert "超过补做天数 schedule.catch_up_days (2) 未补做: 2026-11-25" in capsys.readouterr().err


# ---------------------------------------------------------------------------- a rep's workbook much smaller than before

def contracts(n: int) -> list[list]:
    """张伟's 合同 sheet with ``n`` contracts of ¥1,000.00 each, dated 11-02."""
    return [CONTRACT_HEADER, *[[f"HT-ZW-{i}", date(2026, 11, 2), "明达公司", "服务", 1000, "月结"] for i in range(1, n + 1)]]


@pytest.mark.slow  # whole days run for real
def test_a_reps_workbook_much_smaller_than_at_the_last_official_run_is_listed_and_not_final(tmp_path, smtp_server):
    controller, server = smtp_server()
    config = build(tmp_path, controller.port)
    book = tmp_path / "工作区" / "reps" / "张伟.xlsx"
    write_book(book, {"合同": contracts(20)})
    assert run_at(at(2026, 11, 27, 16, 30), config) == 0  # Friday: 20 contracts read
    # Monday 11-30, the month's last working day: an old copy with 3 contracts was saved over it
    # (17 fewer, under half: 3 < 20 / 2 and 20 - 3 >= 10)
    write_book(book, {"合同": contracts(3)})
    start = len(server.envelopes)

    assert run_at(at(2026, 11, 30, 16, 30), config) == 0  # the day goes on for everyone

    texts = problem_texts(tmp_path, "2026-11-30")
    assert any("行数骤减: 从 20 行减到 3 行 (上次正式运行 2026-11-27)" in t for t in texts), texts
    assert "张伟.xlsx" in texts  # the workbook named in its column
    got = {tuple(sorted(rcpt)): str(m["subject"]) for m, (_, rcpt, _) in
           zip(server.messages()[start:], server.envelopes[start:])}
    zhang, li = got[("zhangwei@example.com",)], got[("lina@example.com",)]
    assert "【提成确认单 2026-11】" in zhang and "（数据不全）" in zhang  # not mailed as final
    assert "【提成确认单 2026-11】" in li and "数据不全" not in li  # 李娜's as usual
    assert ("gm@example.com",) in got
    # the clerk is told in the 运行异常 notice too
    [notice] = [m for m in server.messages()[start:] if str(m["subject"]).startswith("【运行异常】")]
    assert "张伟.xlsx[合同] 行数骤减: 从 20 行减到 3 行" in notice.get_body(("plain",)).get_content()


@pytest.mark.slow  # whole days run for real
def test_a_reps_workbook_a_few_rows_smaller_is_no_problem(tmp_path, smtp_server):
    # 12 → 3 is under half but only 9 rows fewer: a rep tidying up a small workbook, not a lost one
    controller, server = smtp_server()
    config = build(tmp_path, controller.port)
    book = tmp_path / "工作区" / "reps" / "张伟.xlsx"
    write_book(book, {"合同": contracts(12)})
    assert run_at(at(2026, 11, 27, 16, 30), config) == 0
    write_book(book, {"合同": contracts(3)})
    assert run_at(at(2026, 11, 30, 16, 30), config) == 0
    assert not any("行数骤减" in t for t in problem_texts(tmp_path, "2026-11-30"))
    assert not any("数据不全" in str(m["subject"]) for m in server.messages())


# ---------------------------------------------------------------------------- case 17: a long workspace path

@pytest.fixture
def short_tmp():
    """A folder straight under the system's temp folder (pytest's tmp_path, under xdist above all, is too deep
    to leave room for a path that is mostly Chinese)."""
    import tempfile
    root = Path(tempfile.mkdtemp(prefix="i29-"))
    yield root
    shutil.rmtree(root, ignore_errors=True)


def long_root(tmp_path: Path, characters: int) -> Path:
    """A folder under ``tmp_path`` whose ``工作区`` below it has a path of ``characters`` characters, the rest
    Chinese (folders of at most 60: a Linux file name holds 255 bytes, 85 Chinese characters)."""
    left = characters - len(str(tmp_path / "工作区")) - 1  # the folders between, with their separators
    parts = []
    while left > 60:
        parts.append("长" * min(60, left - 2))
        left -= len(parts[-1]) + 1
    parts.append("长" * left)
    root = tmp_path.joinpath(*parts)
    assert len(str(root / "工作区")) == characters
    return root


@pytest.mark.slow  # a whole day run for real
def test_a_workspace_path_sqlite_cannot_open_stops_before_anything_is_written_naming_it(short_tmp, capsys, smtp_server):
    # 208 characters, about 600 UTF-8 bytes: sqlite here keeps at most 504 bytes of a database's path (512 with
    # its -journal); the run said "unable to open database file" (not naming any path) after writing
    controller, server = smtp_server()
    tmp_path = short_tmp
    root = long_root(tmp_path, 208)
    assert len(str(root / "工作区" / ".neiqin_state.sqlite").encode("utf-8")) > 504
    config = build(root, controller.port)
    workspace = root / "工作区"
    before = {p for p in workspace.rglob("*")}

    assert run_at(at(2026, 11, 26, 16, 30), config) == 1

    err = capsys.readouterr().err
    state = workspace / ".neiqin_state.sqlite"
    assert f"运行失败: 路径太长: {state} (" in err and "无法打开状态数据库" in err and "较短的路径" in err, err
    written = {p for p in workspace.rglob("*")} - before
    assert {p.relative_to(workspace).parts[0] for p in written} <= {"logs"}, written  # the log only
    assert server.envelopes == []
    # a shorter Chinese path (150 characters, 2 of 3 bytes each under the limit) runs as usual
    shorter = long_root(tmp_path / "短", 150)
    assert run_at(at(2026, 11, 26, 16, 30), build(shorter, None), "--quiet") == 0


# ---------------------------------------------------------------------------- case 16: a double-click run

def test_only_a_double_clicked_console_waits_for_enter_never_pythonw_or_a_typed_command(monkeypatch):
    # the rule, on the real streams of this process: pytest's stdin is no console a person can answer
    assert cli.double_clicked("win32", {}) is False
    monkeypatch.setattr(cli, "interactive", lambda: True)  # a console window a person sits at
    assert cli.double_clicked("win32", {}) is True  # Explorer started it: the window would close at once
    assert cli.double_clicked("win32", {"PROMPT": "$P$G"}) is False  # typed in cmd.exe: the window stays
    assert cli.double_clicked("linux", {}) is False
    monkeypatch.setattr(cli.sys, "stdin", None)  # pythonw.exe: no streams at all
    monkeypatch.undo()
    monkeypatch.setattr(cli.sys, "stdin", None)
    assert cli.interactive() is False and cli.double_clicked("win32", {}) is False
    assert cli.PLAIN_ENDINGS[3].startswith("报表已写出, 但有邮件没有送达")


@pytest.mark.slow  # a whole day run for real
def test_a_no_email_run_for_a_future_date_is_not_that_days_official_run(tmp_path, capsys, smtp_server):
    controller, server = smtp_server()
    config = build(tmp_path, controller.port)

    # 11-25: the books of 11-26 made early (--no-email), written where the official ones go
    assert run_at(at(2026, 11, 25, 16, 30), config, "--date", DAY, "--no-email") == 0
    assert "不算这一天的正式运行" in capsys.readouterr().out
    assert manifest(tmp_path)["outputs"] and server.envelopes == []
    assert not list((tmp_path / "工作区" / "outbox").rglob(f"{DAY}/*.eml"))  # no mail waits for a day not come
    state = RunState(tmp_path / "工作区")
    assert [(r["run_date"], r["kind"], r["outcome"]) for r in state.runs()] == [(DAY, "ahead", "done")]
    assert state.last_run_date() is None  # the period reports' catch-up point did not move to a day not come

    # 11-26 at the cut-off: the day's official run still runs and mails the managers (11-25, the day the
    # workspace was first used, had no official run: caught up after the day's own run, as any workday missed)
    assert run_at(at(2026, 11, 26, 16, 30), config) == 0
    assert any(s.startswith("【销售日报】2026-11-26") for s in subjects(server))  # not 补发, not 预览
    kinds = [(r["run_date"], r["kind"], r["outcome"]) for r in reversed(state.runs())]
    assert kinds == [(DAY, "ahead", "done"), (DAY, "official", "done"), ("2026-11-25", "catch-up", "done")]
