"""Runs without a console: the Task Scheduler starts ``pythonw.exe run_daily.py``, where sys.stdin, sys.stdout
and sys.stderr are None; a parent may also start us with descriptors 0-2 closed. Every path (the summary,
the progress bar, --quiet, a config error, a failed run and its "press Enter" prompt) must still finish, write
the day, and leave everything in the log file.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import textwrap
from datetime import date
from pathlib import Path

import pytest

from neiqin_xl import cli

ROOT = Path(__file__).resolve().parents[2]
RUN_DATE = "2026-11-30"  # the demo's month end: every report is due


def config_file(tmp_path: Path, extra: str = "") -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(f"paths: {{workspace: 工作区}}\n{extra}", encoding="utf-8")
    return path


def log_text(tmp_path: Path) -> str:
    return (tmp_path / "logs" / f"neiqin_{date.today():%Y-%m}.log").read_text(encoding="utf-8")


def closed_stream() -> io.TextIOWrapper:
    stream = io.TextIOWrapper(io.BytesIO(), encoding="utf-8")
    stream.close()
    return stream


@pytest.fixture(params=["none", "closed"])
def no_console(request, monkeypatch):
    """Call it in the test body: sys.stdin/stdout/stderr as pythonw.exe has them (None), or closed stream
    objects. (Set in the body, not at fixture setup: pytest's capture puts its own streams back before the
    test's call phase.)"""
    def take_away() -> None:
        for name in ("stdin", "stdout", "stderr"):
            monkeypatch.setattr(sys, name, None if request.param == "none" else closed_stream())
    return take_away


@pytest.mark.slow
@pytest.mark.parametrize("quiet", [[], ["--quiet"]])
def test_the_days_run_without_console_streams_writes_the_day_and_logs_everything(tmp_path, no_console, quiet):
    config = config_file(tmp_path)
    no_console()

    code = cli.main(["--config", str(config), "--date", RUN_DATE, "--no-email", *quiet])

    assert sys.stdout is None and sys.stderr is None  # (closed streams are dropped too) the run really had none
    assert code == 0
    out_dir = tmp_path / "工作区" / "output" / RUN_DATE
    assert (out_dir / f"销售日报_{RUN_DATE}.xlsx").is_file() and (out_dir / "manifest.json").is_file()
    text = log_text(tmp_path)
    # the console summary is in the log: the demo notice, the run date, the files written, the outbox
    assert "正在生成演示数据" in text and f"运行日期 {RUN_DATE}" in text
    assert f"到 {out_dir}" in text and "邮件写入待发箱" in text


def test_a_config_error_without_console_is_exit_2_and_in_the_log(tmp_path, no_console):
    config = config_file(tmp_path, "schedule: {tiem: '17:00'}\n")
    no_console()

    assert cli.main(["--config", str(config), "--date", RUN_DATE]) == 2

    assert "配置错误" in log_text(tmp_path) and "schedule.tiem" in log_text(tmp_path)


def test_a_failed_run_without_console_is_exit_1_logged_and_never_waits_for_enter(tmp_path, no_console):
    config = config_file(tmp_path)
    (tmp_path / "工作区").write_text("not a folder")  # the workspace cannot be created: the run cannot go on
    no_console()

    assert cli.main(["--config", str(config), "--date", RUN_DATE]) == 1

    assert "运行失败" in log_text(tmp_path) and "Traceback" in log_text(tmp_path)


@pytest.mark.slow
def test_with_a_console_the_summary_is_printed_and_also_logged(tmp_path, capsys):
    config = config_file(tmp_path)

    assert cli.main(["--config", str(config), "--date", RUN_DATE, "--no-email"]) == 0

    out = capsys.readouterr().out
    assert f"运行日期 {RUN_DATE}" in out and f"运行日期 {RUN_DATE}" in log_text(tmp_path)


# ---------------------------------------------------------------------------- run_daily.py, in a real process

def close_std_descriptors() -> None:  # runs in the child before exec: Python starts with no fd 0, 1, 2
    for fd in (0, 1, 2):
        os.close(fd)


CLOSE_THEN_RUN = textwrap.dedent("""
    import os, runpy, sys
    for fd in (0, 1, 2):
        os.close(fd)  # the stream objects stay, on dead descriptors
    sys.argv = ["run_daily.py", *sys.argv[1:]]
    runpy.run_path({script!r}, run_name="__main__")
""")


@pytest.mark.slow
@pytest.mark.parametrize("how", ["closed before start", "closed after start"])
def test_run_daily_py_with_the_standard_descriptors_closed(tmp_path, how):
    config = config_file(tmp_path)
    args = ["--config", str(config), "--date", RUN_DATE, "--no-email"]
    env = {k: v for k, v in os.environ.items() if k != "NEIQIN_SMTP_PASSWORD"}
    if how == "closed before start":
        command = [sys.executable, str(ROOT / "run_daily.py"), *args]
        proc = subprocess.run(command, preexec_fn=close_std_descriptors, env=env, cwd="/", timeout=600)
    else:
        command = [sys.executable, "-c", CLOSE_THEN_RUN.format(script=str(ROOT / "run_daily.py")), *args]
        proc = subprocess.run(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              env=env, cwd="/", timeout=600)
        assert proc.stdout == b"" and proc.stderr == b""  # nothing reached the (closed) console

    assert proc.returncode == 0, log_text(tmp_path)
    out_dir = tmp_path / "工作区" / "output" / RUN_DATE
    assert (out_dir / f"销售日报_{RUN_DATE}.xlsx").is_file() and (out_dir / "manifest.json").is_file()
    assert f"运行日期 {RUN_DATE}" in log_text(tmp_path)
    # no output went into a file that took over a closed descriptor: the workbooks still open
    import openpyxl
    assert openpyxl.load_workbook(out_dir / f"销售日报_{RUN_DATE}.xlsx").sheetnames[0] == "日报"
