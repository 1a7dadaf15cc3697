"""Nothing lost, nothing overwritten, nothing sent twice (issue 15, the workspace's side): faults built with
real files and a real SMTP server on 127.0.0.1, each run compared with what a clean one leaves.

- the demo goes only where it is asked and no real data is; a demo run says 演示数据 and mails only the
  demo's own addresses; ``demo --reset`` deletes only what the demo wrote;
- one run at a time per workspace (runlock.py): two runs at once deliver each message once, a busy
  workspace is exit 4 after the wait, a killed run's lock is taken over and its temporary files removed;
- an unwritable logs folder logs to the temp folder; an .eml open in Outlook gets a sibling, which is sent.
"""

from __future__ import annotations

import email
import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from email import policy
from pathlib import Path

import openpyxl
import pytest
import yaml

from neiqin_xl import cli, runlock
from neiqin_xl.core import files as core_files
from neiqin_xl.core.config import ConfigError, settings_from_dict
from neiqin_xl.deliver import mail
from neiqin_xl.deliver.run_state import RunState
from neiqin_xl.tools.demo import generate_demo

from .test_daily_run import RUN_DATE, write_config
from ..deliver.test_files import lock
from ..deliver.test_mail import RUN_DATE as MAIL_DATE, daily_delivery, make_settings, smtp_server, staff  # noqa: F401

ROOT = Path(__file__).resolve().parents[2]


def configure(tmp_path: Path, port: int, *, schedule: dict | None = None, paths: dict | None = None, **email) -> Path:
    """test_daily_run's config (workspace tmp/工作区, SMTP on 127.0.0.1:port, recipients at example.com), amended."""
    path = write_config(tmp_path, port, **email)
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["paths"].update(paths or {})
    if schedule:
        data["schedule"] = schedule
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


EMPTY = hashlib.sha256(b"").hexdigest()  # the run lock's file between runs


def hashes(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def real_books(tmp_path_factory) -> Path:
    """A company's master, attendance and finance workbooks (the demo's, copied: no DEMO.txt with them)."""
    source = tmp_path_factory.mktemp("books") / "来源"
    generate_demo(source, cli.date.fromisoformat(RUN_DATE))
    books = source.parent / "真实"
    for folder in ("master", "attendance", "finance"):
        shutil.copytree(source / folder, books / folder)
    return books


def real_workspace(tmp_path: Path, real_books: Path, reps: dict[str, bytes] | None) -> Path:
    """tmp/工作区 holding the real books, and a reps folder with ``reps`` (None: no reps folder at all)."""
    ws = tmp_path / "工作区"
    shutil.copytree(real_books, ws)
    if reps is not None:
        (ws / "reps").mkdir()
        for name, data in reps.items():
            (ws / "reps" / name).write_bytes(data)
    return ws


# ---------------------------------------------------------------------------- the demo only where asked

REPS_FOLDERS = {"no reps folder": None, "an empty reps folder": {}, "only .ods workbooks": {"张伟.ods": b"PK ods"},
                "a note": {"说明.txt": "下周交台账".encode("utf-8")}}


@pytest.mark.parametrize("reps", REPS_FOLDERS.values(), ids=REPS_FOLDERS.keys())
def test_demo_refuses_a_folder_holding_real_data_and_writes_nothing(tmp_path, real_books, capsys, reps):
    ws = real_workspace(tmp_path, real_books, reps)
    before = hashes(ws)
    config = configure(tmp_path, 25)

    assert cli.main(["demo", "--config", str(config), "--date", RUN_DATE]) == 2
    assert cli.main(["demo", "--reset", "--config", str(config), "--date", RUN_DATE]) == 2

    err = capsys.readouterr().err
    assert "不生成演示数据" in err and "master/客户档案.xlsx" in err and "请用 --workspace 指定一个新文件夹" in err
    assert hashes(ws) == {**before, runlock.LOCK_FILE: EMPTY}  # no DEMO.txt, not a byte of 客户档案 or 财务收款 changed


@pytest.mark.slow
def test_a_real_workspace_without_rep_workbooks_is_run_not_replaced_by_the_demo(tmp_path, real_books, capsys):
    ws = real_workspace(tmp_path, real_books, {"张伟.ods": b"PK ods"})
    before = hashes(ws)
    config = configure(tmp_path, 25)

    cli.main(["--config", str(config), "--date", RUN_DATE, "--no-email"])

    out = capsys.readouterr().out
    assert "演示数据" not in out
    m = json.loads((ws / "output" / RUN_DATE / "manifest.json").read_text(encoding="utf-8"))
    assert m["demo"] is False
    after = hashes(ws)
    assert {name: after[name] for name in before} == before
    assert not any(name.startswith("reps/") and name.endswith(".xlsx") for name in after)


def test_a_workspace_that_does_not_exist_is_exit_2_naming_it(tmp_path, capsys):
    config = configure(tmp_path, 25)
    mistyped = tmp_path / "工作去"

    for command in ([], ["status"], ["remind"]):
        assert cli.main([*command, "--config", str(config), "--workspace", str(mistyped), "--date", RUN_DATE]) == 2

    err = capsys.readouterr().err
    assert f"工作区 {mistyped} 不存在 (--workspace)" in err and "run_daily.py demo --workspace" in err
    assert not mistyped.exists() and not (tmp_path / "工作区").exists()


@pytest.mark.slow
def test_the_default_workspace_gets_the_demo_on_the_first_run_and_the_demo_run_is_marked(tmp_path, capsys, smtp_server):
    # one real address among the configured recipients: the demo's figures never reach it
    controller, server = smtp_server()
    config = configure(tmp_path, controller.port, recipients={
        "daily": {"to": ["gm@example.com"], "cc": ["zongjingli@real-company.cn"]},
        "period": {"to": ["gm@example.com"]}, "shipping": {"to": ["warehouse@example.com"]},
        "reconciliation": {"to": ["finance@example.com"]}, "expenses": {"to": ["sales@example.com"]}})

    assert cli.main(["--config", str(config), "--date", RUN_DATE]) == 0

    out = capsys.readouterr().out
    assert "还不存在, 正在生成演示数据" in out
    ws = tmp_path / "工作区"
    messages = [email.message_from_bytes(raw, policy=policy.default) for _, _, raw in server.envelopes]
    # the reps' 8; the managers' less the daily report's; the 销售经理's 合同评审/报价待审批/投标台账 (issue 33: the 人员
    # whose 角色 is 销售经理, when recipients.review / tenders are not set)
    assert len(messages) == 8 + 4 + 1
    assert all(rcpt.endswith("@example.com") for _, rcpts, _ in server.envelopes for rcpt in rcpts)
    for msg in messages:
        assert msg["Subject"].startswith("【演示数据】"), msg["Subject"]
        assert "演示数据" in msg.get_body(("plain",)).get_content() and "演示数据" in msg.get_body(("html",)).get_content()
    held = [m for m in json.loads((ws / "output" / RUN_DATE / "manifest.json").read_text(encoding="utf-8"))["mail"]
            if m["status"] == "outbox"]
    assert len(held) == 1 and "zongjingli@real-company.cn 不是" in held[0]["reason"] and Path(held[0]["file"]).is_file()
    assert f"邮件未发送: {held[0]['subject']}: 演示数据只发给演示地址" in out
    for path in (ws / "output" / RUN_DATE).rglob("*.xlsx"):
        for sheet in openpyxl.load_workbook(path, read_only=True).worksheets:
            title = next(sheet.iter_rows(max_row=1, values_only=True))[0]
            assert str(title).startswith("【演示数据】"), f"{path.name}[{sheet.title}]: {title}"


def test_demo_reset_deletes_only_what_the_demo_wrote(tmp_path, capsys):
    config = configure(tmp_path, 25)
    ws = tmp_path / "工作区"
    assert cli.main(["demo", "--config", str(config), "--date", RUN_DATE]) == 0
    demo = hashes(ws)
    (ws / "output").mkdir()
    (ws / "output" / "上次的报表.xlsx").write_bytes(b"kept")
    assert cli.main(["demo", "--reset", "--config", str(config), "--date", RUN_DATE]) == 0
    assert hashes(ws) == {**demo, "output/上次的报表.xlsx": hashlib.sha256(b"kept").hexdigest()}  # same seed and date

    # the clerk put a real rep's workbook in and fixed a line in 张伟's: both are kept, the demo is not regenerated
    (ws / "reps" / "孙丽.xlsx").write_bytes(b"PK real")
    (ws / "reps" / "张伟.xlsx").write_bytes(b"PK changed")
    kept = {name: digest for name, digest in hashes(ws).items() if name.startswith(("reps/孙丽", "reps/张伟", "output/", ".neiqin"))}
    capsys.readouterr()
    assert cli.main(["demo", "--reset", "--config", str(config), "--date", RUN_DATE]) == 2
    assert hashes(ws) == kept
    err = capsys.readouterr().err
    assert f"{ws / 'reps' / '张伟.xlsx'} 在生成后被修改过, 未删除" in err and "reps/孙丽.xlsx" in err


# ---------------------------------------------------------------------------- one run at a time

@pytest.mark.slow
def test_two_runs_at_once_deliver_each_message_once(tmp_path, smtp_server):
    controller, server = smtp_server()
    config = configure(tmp_path, controller.port, schedule={"lock_wait_seconds": 300})
    assert cli.main(["demo", "--config", str(config), "--date", RUN_DATE]) == 0
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache"), "LOCALAPPDATA": str(tmp_path / "cache")}
    env.pop("NEIQIN_SMTP_PASSWORD", None)
    command = [sys.executable, str(ROOT / "run_daily.py"), "--config", str(config), "--date", RUN_DATE]

    # the scheduled run and a double-click, started together
    runs = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env) for _ in range(2)]
    outputs = [proc.communicate(timeout=600) for proc in runs]

    said = [out.decode("utf-8") + err.decode("utf-8") for out, err in outputs]
    assert [proc.returncode for proc in runs] == [0, 0], said
    assert sum("正在被另一次运行使用" in text for text in said) == 1  # the second one waited for the first
    sent = [(tuple(rcpts), email.message_from_bytes(raw, policy=policy.default)["Subject"])
            for _, rcpts, raw in server.envelopes]
    # the managers' one, the 销售经理's (issue 33: 合同评审, 投标台账) and the 8 reps', each once
    assert len(sent) == 10 and len(set(sent)) == 10


def dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


@pytest.mark.slow
def test_a_busy_workspace_waits_then_exits_4_naming_the_holder(tmp_path, capsys):
    config = configure(tmp_path, 25, schedule={"lock_wait_seconds": 1})
    ws = tmp_path / "工作区"
    assert cli.main(["demo", "--config", str(config), "--date", RUN_DATE]) == 0
    capsys.readouterr()

    with runlock.hold(ws, 0, "run"):  # another run at work (its own open file: the OS lock is held)
        assert cli.main(["--config", str(config), "--date", RUN_DATE, "--no-email"]) == cli.EXIT_LOCKED
        assert cli.main(["remind", "--config", str(config), "--date", RUN_DATE, "--no-email"]) == cli.EXIT_LOCKED
        assert runlock.lock_holder(ws).pid == os.getpid()

    out, err = capsys.readouterr()
    host = socket.gethostname()
    assert f"正在被另一次运行使用 (PID {os.getpid()}, 主机 {host}" in out and "最多 1 秒" in out
    assert f"工作区 {ws} 正在被另一次运行使用 (PID {os.getpid()}, 主机 {host}" in err and "已等待 1 秒" in err
    assert not (ws / "output").exists() and not (ws / "outbox").exists()  # this run did nothing
    assert runlock.lock_holder(ws) is None and (ws / runlock.LOCK_FILE).read_text() == ""


@pytest.mark.slow
def test_a_killed_runs_lock_is_taken_over_and_its_temporary_files_removed(tmp_path):
    config = configure(tmp_path, 25, schedule={"lock_wait_seconds": 5})
    ws = tmp_path / "工作区"
    assert cli.main(["demo", "--config", str(config), "--date", RUN_DATE]) == 0
    # what a run killed while writing leaves: its lock's text, half a workbook, half a message
    pid = dead_pid()
    (ws / runlock.LOCK_FILE).write_text(json.dumps({"pid": pid, "host": socket.gethostname(),
                                                    "started": "2026-11-30T16:30:00", "command": "run"}))
    leftovers = [ws / "output" / "2026-11-27" / f"{core_files.TEMP_PREFIX}k2j4.xlsx",
                 ws / "outbox" / "2026-11-27" / f"{core_files.TEMP_PREFIX}p9q1.eml"]
    for path in leftovers:
        path.parent.mkdir(parents=True)
        path.write_bytes(b"half")
        os.utime(path, (1, 1))
    mine = ws / "output" / "2026-11-27" / "日报_2026-11-27.xlsx"
    mine.write_bytes(b"not a temporary file")

    assert cli.main(["--config", str(config), "--date", RUN_DATE, "--no-email"]) == 0

    assert not any(path.exists() for path in leftovers) and mine.read_bytes() == b"not a temporary file"
    log = (tmp_path / "logs" / f"neiqin_{cli.date.today():%Y-%m}.log").read_text(encoding="utf-8")
    assert f"接管运行锁 {ws / runlock.LOCK_FILE}: 上一次运行 (PID {pid}, 主机 {socket.gethostname()}" in log
    assert "进程已不存在" in log and all(f"临时文件 {path}" in log for path in leftovers)
    assert (ws / runlock.LOCK_FILE).read_text() == ""


def test_a_temporary_file_newer_than_the_run_is_not_touched(tmp_path):
    from datetime import datetime, timedelta

    from neiqin_xl.deliver.saving import remove_leftover_temps

    old, new = tmp_path / f"{core_files.TEMP_PREFIX}a.xlsx", tmp_path / f"{core_files.TEMP_PREFIX}b.xlsx"
    for path in (old, new):
        path.write_bytes(b"x")
    os.utime(old, (1, 1))
    assert remove_leftover_temps([tmp_path, tmp_path / "不存在"], datetime.now() - timedelta(minutes=1)) == [old]
    assert new.exists()


def test_lock_wait_seconds_is_a_setting_that_cannot_be_negative():
    assert settings_from_dict({}).schedule.lock_wait_seconds == 600
    with pytest.raises(ConfigError, match="schedule.lock_wait_seconds"):
        settings_from_dict({"schedule": {"lock_wait_seconds": -1}})


# ---------------------------------------------------------------------------- logs and the outbox

@pytest.mark.slow
def test_an_unwritable_logs_folder_logs_to_the_temp_folder_and_says_so(tmp_path, capsys, monkeypatch):
    (tmp_path / "logs").write_text("a file where the logs folder should be")  # mkdir fails, also for root
    (tmp_path / "临时").mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "临时"))  # the user's temp folder
    config = configure(tmp_path, 25)

    assert cli.main(["demo", "--config", str(config), "--date", RUN_DATE]) == 0

    err = capsys.readouterr().err
    fallback = tmp_path / "临时" / "neiqin_xl" / "logs" / f"neiqin_{cli.date.today():%Y-%m}.log"
    assert err.count("无法写入") == 1 and f"本次日志写到 {fallback}" in err and "Traceback" not in err
    assert "已在" in fallback.read_text(encoding="utf-8")  # the run's lines are there


@pytest.fixture
def no_waits(monkeypatch):
    monkeypatch.setattr(core_files, "LOCK_WAITS", (0, 0, 0))


def test_an_eml_open_in_outlook_is_written_beside_it_and_that_one_is_sent(tmp_path, smtp_server, no_waits, monkeypatch):
    controller, server = smtp_server()
    settings = make_settings(tmp_path, controller.port)
    [first] = mail.deliver(settings, MAIL_DATE, [daily_delivery(tmp_path)], staff(), no_email=True)
    eml = Path(first["file"])
    before = eml.read_bytes()
    lock(monkeypatch, eml)  # the clerk opened it in Outlook

    [result] = mail.deliver(settings, MAIL_DATE, [daily_delivery(tmp_path)], staff())

    assert result["status"] == "sent" and len(server.envelopes) == 1
    sent = Path(result["file"])
    assert sent.parent.name == "已发送" and sent.name.startswith(eml.stem + "_") and sent.suffix == ".eml"
    assert eml.read_bytes() == before  # the copy open in Outlook is left alone
    assert [m.file for m in RunState(settings.workspace).messages()] == [sent]
