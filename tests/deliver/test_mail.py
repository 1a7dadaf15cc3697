"""Mail: composing, grouping, sending through a real SMTP server on 127.0.0.1, the outbox and the sent-state.

Every test starts a real aiosmtpd server on a free local port (nothing is mocked: not yagmail, not smtplib)
and reads what arrived with Python's own email parser. Back-off is 0 so the retries cost no time.
"""

from __future__ import annotations

import datetime as dt
import email
import ipaddress
import os
import socket
import ssl
import sys
import time
import types
from email import policy
from email.header import decode_header, make_header
from email.utils import collapse_rfc2231_value
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from neiqin_xl.deliver import mail
from neiqin_xl.deliver.run_state import RunState
from neiqin_xl.core.config import settings_from_dict
from neiqin_xl.core.output import Delivery

from ..helpers import table

RUN_DATE = dt.date(2026, 11, 26)  # a Thursday, a working day
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# ---------------------------------------------------------------------------- a real local SMTP server

# Ports below Linux's ephemeral range (32768-60999), which the kernel never hands out by itself (bind to port 0,
# an outgoing connection), cut into one slice per pytest-xdist worker: no two workers, and no two calls in one
# worker, get the same port, so a server of one test never answers another's "nothing listens there".
_PORTS_LOW, _PORTS_HIGH = 20000, 32000
_ports_given: list[int] = []


def free_port() -> int:
    """A local port nothing listens on now, never given before in this test session by any worker."""
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1") or 1)
    worker = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0)
    size = (_PORTS_HIGH - _PORTS_LOW) // max(workers, 1)
    low = _PORTS_LOW + worker * size
    start = _ports_given[-1] + 1 if _ports_given else low + os.getpid() % (size // 2)  # two sessions apart
    for port in [*range(start, low + size), *range(low, start)]:
        if port in _ports_given:
            continue
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:  # in use (another program, another test session on the machine)
                continue
        _ports_given.append(port)
        return port
    raise RuntimeError(f"no free port in {low}-{low + size - 1}")


class Collector:
    """aiosmtpd handler: keeps every envelope; can answer DATA with a temporary failure a few times."""

    def __init__(self, fail_first: int = 0, fail_reply: str = "451 4.3.0 稍后再试", refuse: tuple[str, ...] = ()):
        self.envelopes: list[tuple[str, list[str], bytes]] = []
        self.data_calls = 0
        self.fail_first = fail_first
        self.fail_reply = fail_reply.encode("ascii", "replace").decode()
        self.refuse = refuse  # addresses answered "550 no such user" at RCPT TO

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.data_calls += 1
        if self.data_calls <= self.fail_first:
            return self.fail_reply
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content or envelope.content))
        return "250 OK"

    def messages(self) -> list[email.message.EmailMessage]:
        return [email.message_from_bytes(data, policy=policy.default) for _, _, data in self.envelopes]


class Authenticator:
    """Accepts one user/password; counts the attempts."""

    def __init__(self, user: str, password: str):
        self.user, self.password, self.mechanisms = user, password, []

    def __call__(self, server, session, envelope, mechanism, auth_data):
        self.mechanisms.append(mechanism)
        ok = isinstance(auth_data, LoginPassword) and auth_data.login.decode() == self.user \
            and auth_data.password.decode() == self.password
        return AuthResult(success=ok, handled=False)


@pytest.fixture
def smtp_server():
    started: list[Controller] = []

    def start(handler: Collector | None = None, **kwargs) -> tuple[Controller, Collector]:
        handler = handler or Collector()
        controller = Controller(handler, hostname="127.0.0.1", port=free_port(), server_hostname="localhost", **kwargs)
        controller.start()
        started.append(controller)
        return controller, handler

    yield start
    for controller in started:
        controller.stop()


# ---------------------------------------------------------------------------- settings and data as the clerk has them

RECIPIENTS = {
    "daily": {"to": ["gm@example.com", "finance@example.com"], "cc": ["sales-manager@example.com"]},
    "period": {"to": ["finance@example.com", "gm@example.com"], "cc": ["sales-manager@example.com"]},
    "shipping": {"to": ["warehouse@example.com"]},
}


def make_settings(tmp_path: Path, port: int | None = None, **email_overrides):
    email_section = {"enabled": port is not None, "host": "127.0.0.1" if port else "", "port": port or 25,
                     "security": "plain", "user": "", "sender": "neiqin@example.com", "timeout_seconds": 5,
                     "retries": 0, "backoff_seconds": 0, "recipients": RECIPIENTS, **email_overrides}
    return settings_from_dict({"paths": {"workspace": str(tmp_path / "ws")}, "email": email_section}, base_dir=tmp_path)


def staff():
    return table("人员", [
        {"姓名": "张伟", "部门": "销售一部", "角色": "业务员", "邮箱": "zhangwei@example.com"},
        {"姓名": "李娜", "部门": "销售二部", "角色": "业务员", "邮箱": "lina@example.com"},
        {"姓名": "王强", "部门": "销售二部", "角色": "业务员", "邮箱": ""},
        {"姓名": "赵总", "部门": "总经办", "角色": "总经理", "邮箱": "gm@example.com"},
    ], rep="")


def workbook(tmp_path: Path, name: str, content: bytes | None = None) -> Path:
    path = tmp_path / "output" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content if content is not None else f"PK\x03\x04 {name}".encode())
    return path


def daily_delivery(tmp_path: Path) -> Delivery:
    # the daily report's summary as a report module gives it: an HTML table with newlines in it
    summary = ("<table style=\"border-collapse:collapse\">\n"
               "<tr><th style=\"border:1px solid #ccc\">项目</th><th style=\"border:1px solid #ccc\">金额</th></tr>\n"
               "<tr><td style=\"border:1px solid #ccc\">今日回款</td><td style=\"border:1px solid #ccc\">¥123,456.00</td></tr>\n"
               "</table>")
    return Delivery(report="daily", title="销售日报", key_figure="回款 ¥123,456.00",
                    attachments=[workbook(tmp_path, "销售日报_2026-11-26.xlsx"),
                                 workbook(tmp_path, "回款明细（11月）.csv", "合同编号,金额\nHT-001,123456.00\n".encode("utf-8")),
                                 workbook(tmp_path, "回款趋势图.png", b"\x89PNG\r\n\x1a\n fake")],
                    summary_html=summary, summary_text="今日回款 ¥123,456.00\n本月回款 ¥1,234,567.00")


def parts(msg) -> list:
    return [p for p in msg.walk() if not p.is_multipart()]


def attachments_of(msg) -> list:
    return [p for p in parts(msg) if p.get_content_disposition() == "attachment"]


def decoded_text(msg) -> str:
    """Subject, both bodies and attachment names: everything a recipient can read."""
    texts = [str(msg["subject"])]
    for p in parts(msg):
        if p.get_content_maintype() == "text" and p.get_content_disposition() != "attachment":
            texts.append(p.get_content())
        texts.append(p.get_filename() or "")
    return "\n".join(texts)


# ---------------------------------------------------------------------------- the message as it arrives

def test_daily_report_arrives_with_chinese_subject_html_text_and_named_attachments(tmp_path, smtp_server):
    controller, server = smtp_server()
    settings = make_settings(tmp_path, controller.port)
    delivery = daily_delivery(tmp_path)

    results = mail.deliver(settings, RUN_DATE, [delivery], staff())

    assert [r["status"] for r in results] == ["sent"], results
    [(mail_from, rcpt, raw)] = server.envelopes
    assert mail_from == "neiqin@example.com"
    assert sorted(rcpt) == ["finance@example.com", "gm@example.com", "sales-manager@example.com"]
    msg = email.message_from_bytes(raw, policy=policy.default)
    assert str(msg["subject"]) == "【销售日报】2026-11-26 回款 ¥123,456.00"
    assert results[0]["subject"] == "【销售日报】2026-11-26 回款 ¥123,456.00"
    assert msg["to"].addresses[0].addr_spec == "gm@example.com"
    assert msg["cc"].addresses[0].addr_spec == "sales-manager@example.com"

    # HTML: one line, no <br> injected between the table's rows, the table intact, inline styles only
    html_body = msg.get_body(("html",)).get_content()
    assert "\n" not in html_body and "\r" not in html_body
    cell = "<td style=\"border:1px solid #ccc\">"
    assert f"<tr>{cell}今日回款</td>{cell}¥123,456.00</td></tr>" in html_body
    assert "</tr><br>" not in html_body and "<br><tr>" not in html_body
    assert "<link" not in html_body and "<style" not in html_body
    # the plain-text alternative
    text_body = msg.get_body(("plain",)).get_content()
    assert "【销售日报】2026-11-26 回款 ¥123,456.00" in text_body
    assert "本月回款 ¥1,234,567.00" in text_body
    [alternative] = [p for p in msg.walk() if p.get_content_type() == "multipart/alternative"]
    assert [p.get_content_type() for p in alternative.iter_parts()] == ["text/plain", "text/html"]  # HTML last: preferred

    found = attachments_of(msg)
    assert [p.get_content_type() for p in found] == [XLSX, "text/csv", "image/png"]
    expected_names = ["销售日报_2026-11-26.xlsx", "回款明细（11月）.csv", "回款趋势图.png"]
    assert results[0]["attachments"] == expected_names
    raw_msg = email.message_from_bytes(raw)  # compat32: parameters as they are on the wire
    for part, raw_part, name, path in zip(found, attachments_of(raw_msg), expected_names, delivery.attachments):
        # Content-Disposition: attachment on every one, also text/* and image/* (yagmail adds none there)
        assert raw_part["Content-Disposition"].startswith("attachment;")
        # RFC 2231 filename* alone decodes to the Chinese name
        assert "filename*=utf-8''" in raw_part["Content-Disposition"]
        assert collapse_rfc2231_value(raw_part.get_param("filename", header="content-disposition")) == name
        # RFC 2047 name= in Content-Type alone decodes to the same name
        raw_name = raw_part.get_param("name")
        assert raw_name.startswith("=?utf-8?b?")
        assert str(make_header(decode_header(raw_name))) == name
        # the modern parser agrees, and the bytes are the file's
        assert part.get_filename() == name
        assert part["content-type"].params["name"] == name
        assert part.get_content() == path.read_bytes() or part.get_payload(decode=True) == path.read_bytes()

    # the sent message also sits in outbox/<date>/已发送/ and the state says sent
    eml = Path(results[0]["file"])
    assert eml.parent == settings.folder("outbox") / "2026-11-26" / "已发送"
    assert email.message_from_bytes(eml.read_bytes(), policy=policy.default)["subject"] == msg["subject"]
    [row] = RunState(settings.workspace).messages(RUN_DATE)
    assert row.status == "sent" and row.sent_at is not None


def test_a_body_string_equal_to_a_file_path_is_text_not_an_attachment(tmp_path, smtp_server):
    controller, server = smtp_server()
    settings = make_settings(tmp_path, controller.port)
    existing = workbook(tmp_path, "应收账款明细账.xlsx")
    delivery = Delivery(report="shipping", title="发货审核", attachments=[], summary_text=str(existing),
                        summary_html=str(existing))

    mail.deliver(settings, RUN_DATE, [delivery], staff())

    [msg] = server.messages()
    assert attachments_of(msg) == []
    assert all(p.get_content_maintype() == "text" for p in parts(msg))
    assert str(existing) in msg.get_body(("plain",)).get_content()
    assert str(existing) in msg.get_body(("html",)).get_content()


# ---------------------------------------------------------------------------- who gets which message

def test_deliveries_to_the_same_recipients_travel_in_one_message(tmp_path, smtp_server):
    controller, server = smtp_server()
    settings = make_settings(tmp_path, controller.port)
    daily = daily_delivery(tmp_path)
    five_day = Delivery(report="period", title="五日报 2026-11-21~2026-11-25", key_figure="回款 ¥456,789.00",
                        attachments=[workbook(tmp_path, "五日报_2026-11-21~2026-11-25.xlsx")], summary_text="五日回款")
    shipping = Delivery(report="shipping", title="发货审核", attachments=[workbook(tmp_path, "发货审核_2026-11-26.xlsx")])

    results = mail.deliver(settings, RUN_DATE, [daily, five_day, shipping], staff())

    assert [r["status"] for r in results] == ["sent", "sent"]
    assert len(server.envelopes) == 2
    together, alone = server.messages()
    assert str(together["subject"]) == ("【销售日报】2026-11-26 回款 ¥123,456.00 + "
                                        "【五日报 2026-11-21~2026-11-25】 回款 ¥456,789.00")
    assert [p.get_filename() for p in attachments_of(together)] == [
        "销售日报_2026-11-26.xlsx", "回款明细（11月）.csv", "回款趋势图.png", "五日报_2026-11-21~2026-11-25.xlsx"]
    assert results[0]["report"] == "daily+period"
    assert server.envelopes[1][1] == ["warehouse@example.com"]
    assert [p.get_filename() for p in attachments_of(alone)] == ["发货审核_2026-11-26.xlsx"]


def test_a_reps_message_goes_to_that_rep_only_and_holds_only_that_reps_data(tmp_path, smtp_server):
    controller, server = smtp_server()
    settings = make_settings(tmp_path, controller.port)
    deliveries = [
        Delivery(report="commission", title="提成确认单", rep="张伟", key_figure="提成 ¥3,210.00",
                 attachments=[workbook(tmp_path, "提成确认单_张伟_2026-11.xlsx")], summary_text="张伟 本月提成 ¥3,210.00"),
        Delivery(report="commission", title="提成确认单", rep="李娜", key_figure="提成 ¥1,880.00",
                 attachments=[workbook(tmp_path, "提成确认单_李娜_2026-11.xlsx")], summary_text="李娜 本月提成 ¥1,880.00"),
        Delivery(report="reminder", title="请更新台账", rep="张伟", summary_text="张伟，您好：请更新台账"),
        daily_delivery(tmp_path),  # the managers' report must not end in a rep's message
    ]

    results = mail.deliver(settings, RUN_DATE, deliveries, staff())

    by_rcpt = {tuple(rcpt): email.message_from_bytes(raw, policy=policy.default) for _, rcpt, raw in server.envelopes}
    assert set(by_rcpt) == {("zhangwei@example.com",), ("lina@example.com",),
                            ("gm@example.com", "finance@example.com", "sales-manager@example.com")}
    zhang, li = by_rcpt[("zhangwei@example.com",)], by_rcpt[("lina@example.com",)]
    assert [p.get_filename() for p in attachments_of(zhang)] == ["提成确认单_张伟_2026-11.xlsx"]
    assert [p.get_filename() for p in attachments_of(li)] == ["提成确认单_李娜_2026-11.xlsx"]
    assert "李娜" not in decoded_text(zhang) and "销售日报" not in decoded_text(zhang)
    assert "张伟" not in decoded_text(li) and "销售日报" not in decoded_text(li)
    assert "请更新台账" in str(zhang["subject"])  # the reminder travels with 张伟's own message
    assert {r["rep"] for r in results} == {"张伟", "李娜", ""}


def test_a_report_without_recipients_is_not_sent_and_says_so(tmp_path, smtp_server):
    controller, server = smtp_server()
    settings = make_settings(tmp_path, controller.port)
    unknown = Delivery(report="reconciliation", title="财务对账", attachments=[workbook(tmp_path, "财务对账_2026-10.xlsx")])
    no_address = Delivery(report="commission", title="提成确认单", rep="王强")

    results = mail.deliver(settings, RUN_DATE, [unknown, no_address], staff())

    assert [(r["status"], r["reason"].split(":")[0]) for r in results] == [("skipped", "no recipients")] * 2
    assert "email.recipients.reconciliation" in results[0]["reason"]
    assert "王强" in results[1]["reason"]
    assert server.envelopes == []


# ---------------------------------------------------------------------------- once per report per date

def test_a_rerun_sends_nothing_twice_and_resend_sends_again(tmp_path, smtp_server):
    controller, server = smtp_server()
    settings = make_settings(tmp_path, controller.port)

    first = mail.deliver(settings, RUN_DATE, [daily_delivery(tmp_path)], staff())
    again = mail.deliver(settings, RUN_DATE, [daily_delivery(tmp_path)], staff())
    forced = mail.deliver(settings, RUN_DATE, [daily_delivery(tmp_path)], staff(), resend=True)
    next_day = mail.deliver(settings, RUN_DATE + dt.timedelta(days=1), [daily_delivery(tmp_path)], staff())

    assert [r["status"] for r in first] == ["sent"]
    assert [r["status"] for r in again] == ["skipped"] and again[0]["reason"].startswith("已发送")
    assert [r["status"] for r in forced] == ["sent"]
    assert [r["status"] for r in next_day] == ["sent"]
    assert len(server.envelopes) == 3


# ---------------------------------------------------------------------------- failures

def test_a_server_that_is_down_leaves_the_message_in_the_outbox_and_the_next_run_sends_it(tmp_path, smtp_server):
    closed_port = free_port()  # nothing listens there
    down = make_settings(tmp_path, closed_port, retries=2)
    deliveries = [daily_delivery(tmp_path),
                  Delivery(report="shipping", title="发货审核", attachments=[workbook(tmp_path, "发货审核.xlsx")])]

    results = mail.deliver(down, RUN_DATE, deliveries, staff())

    assert [r["status"] for r in results] == ["failed", "failed"]
    assert "连接被拒绝" in results[0]["reason"] and f"127.0.0.1:{closed_port}" in results[0]["reason"]
    for r in results:  # each message waits in the outbox, a complete .eml
        eml = Path(r["file"])
        assert eml.parent == down.folder("outbox") / "2026-11-26"
        assert email.message_from_bytes(eml.read_bytes(), policy=policy.default)["subject"] == r["subject"]
    state = RunState(down.workspace)
    assert [m.attempts for m in state.messages()] == [3, 0]  # 1 + 2 retries; the second not tried: server down

    controller, server = smtp_server()
    up = make_settings(tmp_path, controller.port)
    pending = mail.send_pending(up, staff())
    assert [r["status"] for r in pending] == ["sent", "sent"]
    assert [r["subject"] for r in pending] == [r["subject"] for r in results]
    assert sorted(server.envelopes[0][1]) == ["finance@example.com", "gm@example.com", "sales-manager@example.com"]
    assert not Path(results[0]["file"]).exists()  # moved to 已发送/
    # and the day's run after it does not send them again
    rerun = mail.deliver(up, RUN_DATE, deliveries, staff())
    assert [r["status"] for r in rerun] == ["skipped", "skipped"]  # one row per delivery: 销售日报, 发货审核
    assert len(server.envelopes) == 2
    assert mail.send_pending(up, staff()) == []


def test_a_recipient_refused_with_550_is_partly_delivered_never_sent_and_not_sent_again(tmp_path, smtp_server):
    controller, server = smtp_server(Collector(refuse=("finance@example.com",)))
    settings = make_settings(tmp_path, controller.port, retries=3)

    [result] = mail.deliver(settings, RUN_DATE, [daily_delivery(tmp_path)], staff())

    assert result["status"] == "partial"
    assert result["reason"].startswith("部分送达, 被拒绝的收件人: finance@example.com (550 5.1.1")
    [(_, rcpt, _)] = server.envelopes  # the others have it, once (no retry: the rest was accepted)
    assert sorted(rcpt) == ["gm@example.com", "sales-manager@example.com"]
    [row] = RunState(settings.workspace).messages(RUN_DATE)
    assert row.status == "partial" and row.sent_at is not None
    # a rerun does not send it to the others again, and nothing is pending
    [again] = mail.deliver(settings, RUN_DATE, [daily_delivery(tmp_path)], staff())
    assert again["status"] == "skipped" and again["reason"].endswith("部分送达")
    assert mail.send_pending(settings, staff()) == [] and len(server.envelopes) == 1


def test_a_message_refused_for_good_is_tried_in_max_attempts_runs_then_given_up(tmp_path, smtp_server):
    controller, server = smtp_server(Collector(refuse=("warehouse@example.com",)))
    settings = make_settings(tmp_path, controller.port, retries=3, max_attempts=3)
    shipping = Delivery(report="shipping", title="发货审核", attachments=[workbook(tmp_path, "发货审核.xlsx")])

    runs = [mail.deliver(settings, RUN_DATE, [shipping], staff())]  # run 1: the day's send
    runs += [mail.send_pending(settings, staff()) for _ in range(3)]  # runs 2, 3, 4: the next runs try again

    statuses = [[r["status"] for r in results] for results in runs]
    assert statuses == [["failed"], ["failed"], ["given_up"], []]  # 3 runs, then listed as given up, then left
    assert runs[0][0]["reason"] == ("收件人被拒绝: warehouse@example.com "
                                    "(550 5.1.1 <warehouse@example.com>: Recipient address rejected: User unknown)")
    assert runs[2][0]["reason"].startswith("已放弃 (服务器在 3 次运行中都拒绝了这封邮件): 收件人被拒绝: warehouse@")
    [row] = RunState(settings.workspace).messages()
    assert (row.status, row.runs, row.attempts) == ("given_up", 3, 3)  # a 550 is never retried within a run
    # the day's rerun does not bring it back either (only --resend does)
    [again] = mail.deliver(settings, RUN_DATE, [shipping], staff())
    assert again["status"] == "skipped" and again["reason"].startswith("已放弃")
    assert server.envelopes == []


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_a_refused_login_stops_the_whole_run_after_one_attempt(tmp_path, smtp_server, monkeypatch):
    auth = Authenticator("clerk@example.com", "s3cret")
    controller, server = smtp_server(authenticator=auth, auth_require_tls=False, auth_required=True)
    settings = make_settings(tmp_path, controller.port, user="clerk@example.com", retries=3)
    monkeypatch.setenv("NEIQIN_SMTP_PASSWORD", "wrong")
    shipping = Delivery(report="shipping", title="发货审核", attachments=[workbook(tmp_path, "发货审核.xlsx")])
    mail.deliver(settings, RUN_DATE - dt.timedelta(days=1), [shipping], staff(), no_email=True)
    state = RunState(settings.workspace)
    state.mark(state.messages()[0].id, "failed", reason="昨天服务器未连上")  # yesterday's message waits

    transport = mail.start_sending(settings)  # the run's one transport, as the pipeline does it
    results = mail.send_pending(settings, staff(), transport=transport)
    results += mail.deliver(settings, RUN_DATE, [daily_delivery(tmp_path), shipping], staff(), transport=transport)

    assert [r["status"] for r in results] == ["failed"] * 3
    where = f"127.0.0.1:{controller.port}"
    assert results[0]["reason"].startswith(f"登录被拒绝 {where} (用户 clerk@example.com, 用户名或密码错误")
    assert all(r["reason"].startswith("本次运行未尝试 (登录被拒绝") for r in results[1:])
    # one login for the run, with one mechanism: the password submitted once (smtplib's login() tried PLAIN,
    # then LOGIN: twice per refused login)
    assert auth.mechanisms == ["PLAIN"]
    assert [m.runs for m in state.messages()] == [0, 0, 0]  # the password is wrong, not the messages
    # serve's retry every 10 minutes does not try that password again
    assert mail.retry_pending(settings) == [] and len(auth.mechanisms) == 1


def test_a_temporary_refusal_is_retried_and_then_sent(tmp_path, smtp_server):
    controller, server = smtp_server(Collector(fail_first=2))
    settings = make_settings(tmp_path, controller.port, retries=3)

    results = mail.deliver(settings, RUN_DATE, [daily_delivery(tmp_path)], staff())

    assert [r["status"] for r in results] == ["sent"]
    assert server.data_calls == 3 and len(server.envelopes) == 1


def test_retries_are_counted_and_give_up_as_failed(tmp_path, smtp_server):
    controller, server = smtp_server(Collector(fail_first=99))
    settings = make_settings(tmp_path, controller.port, retries=1)

    results = mail.deliver(settings, RUN_DATE, [daily_delivery(tmp_path)], staff())

    assert [r["status"] for r in results] == ["failed"]
    assert results[0]["reason"].startswith("邮件服务器拒绝: 451")
    assert server.data_calls == 2  # one try + one retry, then it gives up instead of returning False silently
    assert Path(results[0]["file"]).is_file()


def test_a_silent_server_times_out_instead_of_hanging(tmp_path):
    with socket.socket() as silent:  # accepts the TCP connection (backlog) and never greets
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        settings = make_settings(tmp_path, silent.getsockname()[1], timeout_seconds=0.3)
        start = time.monotonic()
        results = mail.deliver(settings, RUN_DATE, [daily_delivery(tmp_path)], staff())
        elapsed = time.monotonic() - start
    assert [r["status"] for r in results] == ["failed"]
    assert "超时" in results[0]["reason"]
    assert elapsed < 5


def test_a_missing_password_is_a_clear_failure_not_a_prompt(tmp_path, smtp_server, monkeypatch):
    controller, server = smtp_server(authenticator=Authenticator("clerk@example.com", "s3cret"), auth_require_tls=False)
    settings = make_settings(tmp_path, controller.port, user="clerk@example.com")
    monkeypatch.delenv("NEIQIN_SMTP_PASSWORD", raising=False)
    monkeypatch.setitem(sys.modules, "keyring", None)  # keyring not installed: yagmail would raise NameError

    results = mail.deliver(settings, RUN_DATE, [daily_delivery(tmp_path)], staff())

    assert [r["status"] for r in results] == ["failed"]
    assert results[0]["reason"].startswith("密码未设置: 请设置环境变量 NEIQIN_SMTP_PASSWORD")
    assert server.envelopes == []
    assert Path(results[0]["file"]).is_file()


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_login_refused_is_not_retried_and_the_right_password_logs_in(tmp_path, smtp_server, monkeypatch):
    auth = Authenticator("clerk@example.com", "s3cret")
    controller, server = smtp_server(authenticator=auth, auth_require_tls=False, auth_required=True)
    settings = make_settings(tmp_path, controller.port, user="clerk@example.com", retries=3)

    monkeypatch.setenv("NEIQIN_SMTP_PASSWORD", "wrong")
    refused = mail.deliver(settings, RUN_DATE, [daily_delivery(tmp_path)], staff())
    assert [r["status"] for r in refused] == ["failed"]
    assert refused[0]["reason"].startswith("登录被拒绝")
    # one mechanism per login (smtplib's login() tried PLAIN and then LOGIN); no second login (that locks mailboxes)
    assert auth.mechanisms == ["PLAIN"]

    monkeypatch.setenv("NEIQIN_SMTP_PASSWORD", "s3cret")
    sent = mail.send_pending(settings, staff())
    assert [r["status"] for r in sent] == ["sent"]
    assert len(server.envelopes) == 1


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_the_password_can_come_from_the_keyring(tmp_path, smtp_server, monkeypatch):
    controller, server = smtp_server(authenticator=Authenticator("clerk@example.com", "from-keyring"),
                                     auth_require_tls=False, auth_required=True)
    settings = make_settings(tmp_path, controller.port, user="clerk@example.com")
    monkeypatch.delenv("NEIQIN_SMTP_PASSWORD", raising=False)
    asked = []
    fake_keyring = types.SimpleNamespace(get_password=lambda service, user: asked.append((service, user)) or "from-keyring")
    monkeypatch.setitem(sys.modules, "keyring", fake_keyring)

    results = mail.deliver(settings, RUN_DATE, [daily_delivery(tmp_path)], staff())

    assert [r["status"] for r in results] == ["sent"]
    assert asked == [("neiqin_xl", "clerk@example.com")]


# ---------------------------------------------------------------------------- TLS: the certificate is checked

def self_signed(tmp_path: Path) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=30))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_file, key_file = tmp_path / "server.crt", tmp_path / "server.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_file, key_file


@pytest.mark.parametrize("security", ["starttls", "ssl"])
def test_tls_verifies_the_server_certificate(tmp_path, smtp_server, monkeypatch, security):
    cert_file, key_file = self_signed(tmp_path)
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_ctx.load_cert_chain(cert_file, key_file)
    tls = {"tls_context": server_ctx, "require_starttls": True} if security == "starttls" else {"ssl_context": server_ctx}
    controller, server = smtp_server(**tls)
    settings = make_settings(tmp_path, controller.port, security=security)
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)

    untrusted = mail.deliver(settings, RUN_DATE, [daily_delivery(tmp_path)], staff())
    assert [r["status"] for r in untrusted] == ["failed"]
    assert untrusted[0]["reason"].startswith("服务器证书校验失败")
    assert server.envelopes == []

    monkeypatch.setenv("SSL_CERT_FILE", str(cert_file))  # now the system trusts it: the same message goes out
    trusted = mail.send_pending(settings, staff())
    assert [r["status"] for r in trusted] == ["sent"]
    assert len(server.envelopes) == 1


# ---------------------------------------------------------------------------- the outbox when e-mail is off

def test_with_email_off_every_message_is_an_eml_in_the_outbox(tmp_path):
    settings = make_settings(tmp_path, port=None)  # the demo: enabled false, no host
    deliveries = [daily_delivery(tmp_path), Delivery(report="reminder", title="请更新台账", rep="李娜", summary_text="请更新")]

    results = mail.deliver(settings, RUN_DATE, deliveries, staff())

    assert [r["status"] for r in results] == ["outbox", "outbox"]
    files = sorted((settings.folder("outbox") / "2026-11-26").glob("*.eml"))
    assert sorted(Path(r["file"]) for r in results) == files
    msg = email.message_from_bytes(Path(results[0]["file"]).read_bytes(), policy=policy.default)
    assert str(msg["subject"]) == "【销售日报】2026-11-26 回款 ¥123,456.00"
    assert [p.get_filename() for p in attachments_of(msg)][0] == "销售日报_2026-11-26.xlsx"
    assert mail.send_pending(settings, staff()) == []  # nothing is pending while e-mail is off


def test_no_email_writes_the_outbox_even_with_a_server_configured(tmp_path, smtp_server):
    controller, server = smtp_server()
    settings = make_settings(tmp_path, controller.port)

    results = mail.deliver(settings, RUN_DATE, [daily_delivery(tmp_path)], staff(), no_email=True)

    assert [r["status"] for r in results] == ["outbox"]
    assert server.envelopes == []
    # a later normal run of the same day still mails it (the outbox copy was not a send)
    later = mail.deliver(settings, RUN_DATE, [daily_delivery(tmp_path)], staff())
    assert [r["status"] for r in later] == ["sent"]


def test_a_missing_attachment_fails_that_message_with_its_name(tmp_path):
    settings = make_settings(tmp_path, port=None)
    gone = Delivery(report="daily", title="销售日报", attachments=[tmp_path / "output" / "不存在.xlsx"])

    [result] = mail.deliver(settings, RUN_DATE, [gone], staff())

    assert result["status"] == "failed" and "不存在.xlsx" in result["reason"]


def test_a_send_a_crash_interrupted_is_listed_for_the_clerk_never_sent_twice(tmp_path, smtp_server):
    # the run was killed while sending: the state says "sending", the .eml is in the outbox, and nobody knows
    # whether the server took it. Listed (结果未知), not resent; the day's rerun skips it; --resend sends it.
    controller, server = smtp_server()
    settings = make_settings(tmp_path, controller.port)
    delivery = daily_delivery(tmp_path)
    msg = mail.compose(settings, RUN_DATE, [delivery], ["gm@example.com"])
    eml = settings.folder("outbox") / "2026-11-26" / "销售日报.eml"
    eml.parent.mkdir(parents=True)
    eml.write_bytes(mail.message_bytes(msg))
    state = RunState(settings.workspace)
    state.record(run_date=RUN_DATE, items=[mail.item_key(delivery)], reports="daily", subject="【销售日报】",
                 audience=mail.resolve_audience(delivery, settings, staff()).key, sender="neiqin@example.com",
                 recipients=["gm@example.com"], attachments=[], file=eml, status="sending")

    [listed] = mail.send_pending(settings, staff())

    assert listed["status"] == "unknown" and listed["status"] in mail.UNDELIVERED  # the run exits 3: a person looks
    assert "未重发以免重复" in listed["reason"] and str(eml) in listed["reason"]
    assert server.envelopes == [] and [m.status for m in state.messages()] == ["unknown"]
    assert mail.send_pending(settings, staff()) == []  # said once, not again by every run
    [again] = mail.deliver(settings, RUN_DATE, [delivery], staff())
    assert again["status"] == "skipped" and again["reason"].startswith("发送结果未知")
    [forced] = mail.deliver(settings, RUN_DATE, [delivery], staff(), resend=True)
    assert forced["status"] == "sent" and len(server.envelopes) == 1


# ---------------------------------------------------------------------------- chasing the reps

def test_reps_with_a_missing_or_stale_workbook_get_a_reminder(tmp_path, smtp_server):
    reps = tmp_path / "ws" / "reps"
    reps.mkdir(parents=True)
    fresh, stale = reps / "张伟.xlsx", reps / "李娜.xlsx"
    for path, modified in ((fresh, dt.datetime(2026, 11, 25, 18, 0)), (stale, dt.datetime(2026, 11, 24, 9, 0))):
        path.write_bytes(b"PK")
        os.utime(path, (modified.timestamp(), modified.timestamp()))
    files = {"张伟": fresh, "李娜": stale}  # 王强 has no workbook; 赵总 is not a rep
    controller, server = smtp_server()
    settings = make_settings(tmp_path, controller.port)  # reminder_after_days: 2

    deliveries, chased = mail.reminders(settings, RUN_DATE, staff(), files)

    # 李娜: last saved Tue 11-24; Wed 25 and Thu 26 are two working days without an update → reminded.
    # 张伟: saved Wed 11-25, one working day → not yet.
    assert [rep for rep, _ in chased] == ["李娜", "王强"]
    assert "2 个工作日没有更新" in chased[0][1] and "2026-11-24" in chased[0][1]
    assert "没有找到您的台账" in chased[1][1]
    assert all(d.report == "reminder" and d.title == "请更新台账" for d in deliveries)

    results = mail.deliver(settings, RUN_DATE, deliveries, staff())
    assert [(r["rep"], r["status"]) for r in results] == [("王强", "skipped"), ("李娜", "sent")]
    [(_, rcpt, raw)] = server.envelopes
    assert rcpt == ["lina@example.com"]
    msg = email.message_from_bytes(raw, policy=policy.default)
    assert str(msg["subject"]) == "【请更新台账】2026-11-26 (李娜)"
    body = msg.get_body(("plain",)).get_content()
    assert "2 个工作日没有更新" in body
    # the real cut-off (16:30 by default, not the 17:00 deadline), the exact file and the folder
    assert f"请在今天 16:30 前更新台账 李娜.xlsx 并保存到共享文件夹 {reps}" in body
    wang = [d for d in deliveries if d.rep == "王强"][0]  # no workbook yet: the name it must be saved under
    assert "请在今天 16:30 前更新台账 王强.xlsx" in wang.summary_text

    # nobody is chased on a Saturday
    assert mail.reminders(settings, dt.date(2026, 11, 28), staff(), files) == ([], [])


# ---------------------------------------------------------------------------- the run's connection is closed

class CountsQuits(Collector):
    """Also counts QUIT: a connection the client logged out of (not one dropped whenever it was collected)."""

    def __init__(self):
        super().__init__()
        self.quits = 0

    async def handle_QUIT(self, server, session, envelope):
        self.quits += 1
        return "221 Bye"


def wait_for(condition, seconds: float = 5.0) -> bool:
    deadline = time.time() + seconds
    while not condition() and time.time() < deadline:
        time.sleep(0.02)
    return condition()


def test_a_transport_used_as_a_context_is_logged_out_at_its_end(tmp_path, smtp_server):
    controller, server = smtp_server(CountsQuits())
    settings = make_settings(tmp_path, controller.port)
    with mail.start_sending(settings) as transport:
        results = mail.deliver(settings, RUN_DATE, [daily_delivery(tmp_path)], staff(), transport=transport)
        assert transport.connection is not None and server.quits == 0  # still open between messages
    # the test still holds the transport: only the explicit close can have sent the QUIT
    assert [r["status"] for r in results] == ["sent"] and transport.connection is None
    assert wait_for(lambda: server.quits == 1)


def test_the_runs_mail_step_closes_its_connection_when_it_ends(tmp_path, smtp_server, monkeypatch):
    from contextlib import nullcontext

    from neiqin_xl import sending
    from neiqin_xl.core.failures import Failures

    controller, server = smtp_server(CountsQuits())
    settings = make_settings(tmp_path, controller.port)
    opened = []

    def start_and_keep(*args, **kwargs):  # the real start_sending; the test keeps the transport it made
        opened.append(real(*args, **kwargs))
        return opened[-1]

    real = mail.start_sending
    monkeypatch.setattr(sending.mail, "start_sending", start_and_keep)
    failures = Failures()
    sent, _ = sending.chase_and_send(settings, RUN_DATE, staff(), failures, lambda name: nullcontext(), send=True,
                                     no_email=False, deliveries=[daily_delivery(tmp_path)])

    assert [r["status"] for r in sent] == ["sent"] and len(server.envelopes) == 1
    [transport] = opened  # one transport for the step, logged in once and logged out at its end
    assert transport.logins == 1 and transport.connection is None
    assert wait_for(lambda: server.quits == 1)
