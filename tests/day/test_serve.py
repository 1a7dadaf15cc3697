"""The schedule: when the day's run is due (working days, 调休, late starts, sleep), the loop that survives a
failing job, and the Task Scheduler / cron command it installs. Time is moved with time-machine; the loop's
sleep moves the clock instead of waiting.
"""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from pathlib import Path
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest
import time_machine

from neiqin_xl import serve as serve_mod
from neiqin_xl.core.config import settings_from_dict
from neiqin_xl.deliver.run_state import RunState

SHANGHAI = ZoneInfo("Asia/Shanghai")
TASK_NS = {"t": "http://schemas.microsoft.com/windows/2004/02/mit/task"}


def at(y, m, d, hh, mm=0) -> dt.datetime:
    return dt.datetime(y, m, d, hh, mm, tzinfo=SHANGHAI)


@pytest.fixture
def settings(tmp_path):
    # the official run at 17:00 here (the default cut-off is 16:30), the reminders at the default 15:30
    return settings_from_dict({"paths": {"workspace": str(tmp_path / "ws")},
                               "schedule": {"cutoff": "17:00", "deadline": "17:30"}}, base_dir=tmp_path)


# ---------------------------------------------------------------------------- due_run, the pure decision

def test_the_calendar_facts_these_tests_rely_on():
    assert chinese_calendar.is_workday(dt.date(2026, 2, 14))  # 调休: a working Saturday (春节)
    assert chinese_calendar.is_workday(dt.date(2026, 9, 20))  # 调休: a working Sunday (国庆)
    assert not chinese_calendar.is_workday(dt.date(2026, 10, 1))  # 国庆, a Thursday
    assert dt.date(2026, 11, 28).weekday() == 5 and not chinese_calendar.is_workday(dt.date(2026, 11, 28))


@pytest.mark.parametrize("now, last_success, expected", [
    (at(2026, 11, 26, 17, 0), dt.date(2026, 11, 25), dt.date(2026, 11, 26)),  # Thursday 17:00: runs
    (at(2026, 11, 26, 16, 59), dt.date(2026, 11, 25), None),  # a minute early
    (at(2026, 11, 26, 17, 30), dt.date(2026, 11, 26), None),  # already done today
    (at(2026, 11, 26, 17, 0), None, dt.date(2026, 11, 26)),  # the very first run
    (at(2026, 11, 28, 17, 0), dt.date(2026, 11, 27), None),  # Saturday
    (at(2026, 11, 29, 17, 0), dt.date(2026, 11, 27), None),  # Sunday
    (at(2026, 10, 1, 17, 0), dt.date(2026, 9, 30), None),  # 国庆 holiday on a Thursday
    (at(2026, 2, 14, 17, 0), dt.date(2026, 2, 13), dt.date(2026, 2, 14)),  # 调休 Saturday: runs
    (at(2026, 9, 20, 17, 5), dt.date(2026, 9, 18), dt.date(2026, 9, 20)),  # 调休 Sunday: runs
    (at(2026, 11, 26, 23, 40), dt.date(2026, 11, 20), dt.date(2026, 11, 26)),  # started late after a week off: once, today
])
def test_due_run(settings, now, last_success, expected):
    with time_machine.travel(now, tick=False):
        assert serve_mod.due_run(dt.datetime.now(), last_success, settings) == expected


def test_a_failed_attempt_waits_for_the_next_day(settings):
    now = dt.datetime(2026, 11, 26, 17, 1)
    assert serve_mod.due_run(now, dt.date(2026, 11, 25), settings, last_attempt=dt.date(2026, 11, 26)) is None
    assert serve_mod.due_run(now + dt.timedelta(days=1), dt.date(2026, 11, 25), settings,
                             last_attempt=dt.date(2026, 11, 26)) == dt.date(2026, 11, 27)


def test_config_overrides_make_a_day_a_working_day_or_a_holiday(tmp_path):
    settings = settings_from_dict({"calendar": {"extra_workdays": ["2027-02-06"], "extra_holidays": ["2027-02-08"]}},
                                  base_dir=tmp_path)
    # 2027 is beyond chinese-calendar's data: Monday to Friday, unless config.yaml says otherwise
    assert serve_mod.due_run(dt.datetime(2027, 2, 6, 17, 0), None, settings) == dt.date(2027, 2, 6)  # Saturday, 调休
    assert serve_mod.due_run(dt.datetime(2027, 2, 8, 17, 0), None, settings) is None  # Monday, holiday
    assert serve_mod.due_run(dt.datetime(2027, 2, 9, 17, 0), None, settings) == dt.date(2027, 2, 9)


# ---------------------------------------------------------------------------- the loop

def run_loop(settings, state_dir: Path, job, start: dt.datetime, until: dt.datetime, jump: dict | None = None) -> None:
    """Runs ``serve`` from ``start`` to ``until``; each sleep moves the clock (and ``jump`` = {when: to} moves
    it further, like a laptop sleeping)."""
    jump = dict(jump or {})
    with time_machine.travel(start, tick=False) as traveller:
        def fake_sleep(seconds: float) -> None:
            traveller.shift(dt.timedelta(seconds=seconds))
            now = dt.datetime.now(SHANGHAI)
            for when, to in list(jump.items()):
                if now >= when:
                    traveller.move_to(to)
                    del jump[when]

        serve_mod.serve(job, settings, state_dir, sleep=fake_sleep, poll_seconds=600,
                        should_stop=lambda: dt.datetime.now(SHANGHAI) >= until)


@pytest.mark.slow
def test_serve_runs_each_working_day_once_at_the_set_time(settings, tmp_path):
    calls: list[tuple[dt.date, dt.datetime]] = []

    def job(day: dt.date) -> bool:
        calls.append((day, dt.datetime.now(SHANGHAI)))
        return True

    # Wednesday 09:00 to Monday 09:00: Wed, Thu, Fri run; the weekend does not
    run_loop(settings, tmp_path, job, at(2026, 11, 25, 9), at(2026, 11, 30, 9))

    assert [day for day, _ in calls] == [dt.date(2026, 11, 25), dt.date(2026, 11, 26), dt.date(2026, 11, 27)]
    for day, when in calls:
        assert when.date() == day and dt.time(17, 0) <= when.time() < dt.time(17, 2)
    assert RunState(tmp_path).get_date(serve_mod.LAST_SUCCESS_KEY) == dt.date(2026, 11, 27)


def test_a_process_started_after_the_time_catches_up_at_once(settings, tmp_path):
    RunState(tmp_path).set_date(serve_mod.LAST_SUCCESS_KEY, dt.date(2026, 11, 25))
    calls = []

    run_loop(settings, tmp_path, lambda day: calls.append((day, dt.datetime.now(SHANGHAI))) or True,
             at(2026, 11, 26, 18, 30), at(2026, 11, 26, 23, 0))

    assert [(day, when.strftime("%H:%M")) for day, when in calls] == [(dt.date(2026, 11, 26), "18:30")]


def test_a_day_already_done_is_not_run_again_after_a_restart(settings, tmp_path):
    RunState(tmp_path).set_date(serve_mod.LAST_SUCCESS_KEY, dt.date(2026, 11, 26))
    calls = []
    run_loop(settings, tmp_path, lambda day: calls.append(day) or True, at(2026, 11, 26, 18, 0), at(2026, 11, 26, 23, 0))
    assert calls == []


def test_after_sleeping_through_several_days_the_missed_runs_collapse_into_one(settings, tmp_path):
    calls = []

    # Tuesday 16:00 the laptop sleeps; it wakes on Friday at 19:00
    run_loop(settings, tmp_path, lambda day: calls.append(day) or True, at(2026, 11, 24, 16), at(2026, 11, 27, 23),
             jump={at(2026, 11, 24, 16, 5): at(2026, 11, 27, 19)})

    assert calls == [dt.date(2026, 11, 27)]  # once: the job itself catches up on the period reports


def test_a_job_that_raises_is_logged_not_rerun_every_loop_and_runs_again_the_next_day(settings, tmp_path, caplog):
    calls = []

    def job(day: dt.date) -> bool:
        calls.append(day)
        if day == dt.date(2026, 11, 25):
            raise RuntimeError("客户档案.xlsx 被占用")
        return True

    run_loop(settings, tmp_path, job, at(2026, 11, 25, 16), at(2026, 11, 26, 23))

    assert calls == [dt.date(2026, 11, 25), dt.date(2026, 11, 26)]
    assert "客户档案.xlsx 被占用" in caplog.text
    assert RunState(tmp_path).get_date(serve_mod.LAST_SUCCESS_KEY) == dt.date(2026, 11, 26)


def test_a_job_that_returns_false_is_not_recorded_as_a_success(settings, tmp_path):
    calls = []
    run_loop(settings, tmp_path, lambda day: calls.append(day) and False, at(2026, 11, 26, 16), at(2026, 11, 26, 23))
    assert calls == [dt.date(2026, 11, 26)]
    assert RunState(tmp_path).get_date(serve_mod.LAST_SUCCESS_KEY) is None


# ---------------------------------------------------------------------------- installing the task

def test_windows_task_is_registered_from_an_xml_with_start_when_available_and_start_in(settings):
    project = r"C:\Users\内勤\neiqin_xl"
    python = r"C:\Users\内勤\AppData\Local\Programs\Python\Python311\python.exe"

    command = serve_mod.install_task_command(settings, project, python, "win32")

    assert command == ["schtasks", "/Create", "/XML", r"C:\Users\内勤\neiqin_xl\neiqin_xl_task.xml", "/TN", "neiqin_xl", "/F"]
    xml = serve_mod.task_xml(settings, project, python, start=dt.date(2026, 11, 26))
    root = ET.fromstring(xml.split("?>", 1)[1])
    assert root.findtext("t:Triggers/t:CalendarTrigger/t:StartBoundary", namespaces=TASK_NS) == "2026-11-26T17:00:00"
    assert root.findtext("t:Triggers/t:CalendarTrigger/t:ScheduleByDay/t:DaysInterval", namespaces=TASK_NS) == "1"
    assert root.findtext("t:Settings/t:StartWhenAvailable", namespaces=TASK_NS) == "true"
    assert root.findtext("t:Settings/t:MultipleInstancesPolicy", namespaces=TASK_NS) == "IgnoreNew"
    exec_ = root.find("t:Actions/t:Exec", TASK_NS)
    assert exec_.findtext("t:Command", namespaces=TASK_NS) == r"C:\Users\内勤\AppData\Local\Programs\Python\Python311\pythonw.exe"
    assert exec_.findtext("t:Arguments", namespaces=TASK_NS) == "-X utf8 run_daily.py --scheduled"
    assert exec_.findtext("t:WorkingDirectory", namespaces=TASK_NS) == project


def test_install_task_on_windows_writes_the_xml_in_utf16_and_runs_schtasks(settings, tmp_path):
    ran = []

    class Done:
        returncode, stdout, stderr = 0, "成功", ""

    said = []
    code = serve_mod.install_task(settings, tmp_path, said.append, python_exe=r"C:\Python311\python.exe",
                                  platform="win32", run=lambda cmd, **kw: ran.append(cmd) or Done())

    assert code == 0
    assert ran == [serve_mod.install_task_command(settings, tmp_path, r"C:\Python311\python.exe", "win32", job)
                   for job in serve_mod.JOBS]
    assert [cmd[5] for cmd in ran] == ["neiqin_xl", "neiqin_xl_remind", "neiqin_xl_retry"]
    for name in ("neiqin_xl_task.xml", "neiqin_xl_remind_task.xml", "neiqin_xl_retry_task.xml"):
        text = (tmp_path / name).read_bytes().decode("utf-16")
        assert text.startswith('<?xml version="1.0" encoding="UTF-16"?>') and "pythonw.exe" in text


def test_with_the_default_schedule_the_run_and_the_reminders_start_before_the_deadline(tmp_path):
    settings = settings_from_dict({}, base_dir=tmp_path)  # 15:30 reminders, 16:30 cut-off, 17:00 deadline
    project, python = r"C:\neiqin_xl", r"C:\Python311\python.exe"

    def task(job):
        root = ET.fromstring(serve_mod.task_xml(settings, project, python, dt.date(2026, 11, 26), job).split("?>", 1)[1])
        return (root.findtext("t:Triggers/t:CalendarTrigger/t:StartBoundary", namespaces=TASK_NS),
                root.findtext("t:Actions/t:Exec/t:Arguments", namespaces=TASK_NS))

    assert task(serve_mod.RUN_JOB) == ("2026-11-26T16:30:00", "-X utf8 run_daily.py --scheduled")
    assert task(serve_mod.REMIND_JOB) == ("2026-11-26T15:30:00", "-X utf8 run_daily.py remind")
    assert task(serve_mod.RETRY_JOB) == ("2026-11-26T16:40:00", "-X utf8 run_daily.py retry")  # every 10 min to 17:00
    cron = [line for line in serve_mod.install_task_command(settings, "/srv/nq", "/usr/bin/python3", "linux").splitlines()
            if not line.startswith(("#", "schtasks"))]
    assert cron == ["30 16 * * * cd /srv/nq && /usr/bin/python3 -X utf8 run_daily.py --scheduled",
                    "30 15 * * * cd /srv/nq && /usr/bin/python3 -X utf8 run_daily.py remind",
                    "*/10 16-17 * * * cd /srv/nq && /usr/bin/python3 -X utf8 run_daily.py retry"]


@pytest.mark.parametrize("now, last, expected", [
    (at(2026, 11, 26, 15, 29), None, None),  # too early
    (at(2026, 11, 26, 15, 30), None, dt.date(2026, 11, 26)),
    (at(2026, 11, 26, 16, 59), dt.date(2026, 11, 25), dt.date(2026, 11, 26)),  # booted late, still before the cut-off
    (at(2026, 11, 26, 17, 0), None, None),  # the cut-off (17:00 here): a reminder is useless now
    (at(2026, 11, 26, 16, 0), dt.date(2026, 11, 26), None),  # once a day
    (at(2026, 11, 28, 15, 30), None, None),  # Saturday
])
def test_due_reminders(settings, now, last, expected):
    with time_machine.travel(now, tick=False):
        assert serve_mod.due_reminders(dt.datetime.now(), last, settings) == expected


def test_serve_sends_the_reminders_at_their_time_and_runs_the_day_at_the_cut_off(settings, tmp_path):
    calls = []
    run_job = lambda day: calls.append(("run", day, dt.datetime.now(SHANGHAI).strftime("%H:%M"))) or True  # noqa: E731
    remind_job = lambda day: calls.append(("remind", day, dt.datetime.now(SHANGHAI).strftime("%H:%M")))  # noqa: E731

    with time_machine.travel(at(2026, 11, 26, 9), tick=False) as traveller:
        serve_mod.serve(run_job, settings, tmp_path, remind_job=remind_job, poll_seconds=600,
                        sleep=lambda seconds: traveller.shift(dt.timedelta(seconds=seconds)),
                        should_stop=lambda: dt.datetime.now(SHANGHAI) >= at(2026, 11, 27, 9))

    assert calls == [("remind", dt.date(2026, 11, 26), "15:30"), ("run", dt.date(2026, 11, 26), "17:00")]


def test_elsewhere_the_equivalent_schtasks_and_cron_lines_are_printed(tmp_path):
    settings = settings_from_dict({"schedule": {"cutoff": "17:30", "deadline": "18:00"}}, base_dir=tmp_path)

    text = serve_mod.install_task_command(settings, "/home/clerk/neiqin xl", "/home/clerk/.venv/bin/python", "linux")

    lines = [line for line in text.splitlines() if not line.startswith("#")]
    assert lines[0].startswith("schtasks /Create /TN neiqin_xl /SC DAILY /ST 17:30 /TR ")
    assert "-X utf8" in lines[0] and lines[0].endswith('run_daily.py\\" --scheduled" /F')
    assert lines[1].startswith("schtasks /Create /TN neiqin_xl_remind /SC DAILY /ST 15:30 /TR ")
    assert lines[1].endswith('run_daily.py\\" remind" /F')
    assert lines[2].startswith("schtasks /Create /TN neiqin_xl_retry /SC DAILY /ST 17:30 /RI 10 /DU 0000:30 /TR ")
    # every day: cron cannot know a 调休 working Sunday (2026-09-20); the job skips non-working days itself
    assert lines[3] == ("30 17 * * * cd '/home/clerk/neiqin xl' && /home/clerk/.venv/bin/python -X utf8 run_daily.py "
                        "--scheduled")
    assert lines[4] == "30 15 * * * cd '/home/clerk/neiqin xl' && /home/clerk/.venv/bin/python -X utf8 run_daily.py remind"
    said = []
    assert serve_mod.install_task(settings, tmp_path, said.append, python_exe="/usr/bin/python3", platform="linux") == 0
    assert "cron" in said[0] and not (tmp_path / "neiqin_xl_task.xml").exists()


def test_after_the_days_run_undelivered_mail_is_retried_every_ten_minutes_that_day(settings, tmp_path):
    retries = []

    with time_machine.travel(at(2026, 11, 26, 16, 0), tick=False) as traveller:
        serve_mod.serve(lambda day: False, settings, tmp_path, poll_seconds=60,  # the run: mail undelivered
                        retry_job=lambda day: retries.append(dt.datetime.now(SHANGHAI)),
                        sleep=lambda seconds: traveller.shift(dt.timedelta(seconds=seconds)),
                        should_stop=lambda: dt.datetime.now(SHANGHAI) >= at(2026, 11, 27, 9))

    # the run at 17:00; retries from 17:10 every 10 minutes until 23:50 (41 of them), none the next morning
    assert [t.strftime("%H:%M") for t in retries[:3]] == ["17:10", "17:20", "17:30"]
    assert len(retries) == 41 and all(t.date() == dt.date(2026, 11, 26) for t in retries)


# ---------------------------------------------------------------------------- issue 29 case 12: the task runs what was installed

@pytest.mark.parametrize("python, pythonw", [
    (r"C:\Python311\python.exe", r"C:\Python311\pythonw.exe"),
    (r"C:\Store\python3.exe", r"C:\Store\pythonw3.exe"),
    (r"C:\Store\python3.11.exe", r"C:\Store\pythonw3.11.exe"),
])
def test_install_task_registers_the_workspace_and_config_given_with_pythonw_whether_logged_on_or_not(
        tmp_path, python, pythonw, capsys):
    ws = tmp_path / "真实 工作区"
    ws.mkdir()
    config = tmp_path / "config.yaml"
    config.write_text("email:\n  enabled: false\n", encoding="utf-8")
    ran = []

    class Done:
        returncode, stdout, stderr = 0, "成功", ""

    from neiqin_xl import cli
    settings = cli.load(cli.build_parser().parse_args(["--config", str(config), "--workspace", str(ws)]))
    extra = ("--workspace", str(ws), "--config", str(config))
    assert serve_mod.install_task(settings, tmp_path, print, python_exe=python, platform="win32",
                                  run=lambda cmd, **kw: ran.append(cmd) or Done(), extra=extra) == 0
    root = ET.fromstring((tmp_path / "neiqin_xl_task.xml").read_bytes().decode("utf-16").split("?>", 1)[1])
    exec_ = root.find("t:Actions/t:Exec", TASK_NS)
    assert exec_.findtext("t:Command", namespaces=TASK_NS) == pythonw
    assert exec_.findtext("t:Arguments", namespaces=TASK_NS) == (
        f'-X utf8 run_daily.py --scheduled --workspace "{ws}" --config {config}')
    assert root.findtext("t:Principals/t:Principal/t:LogonType", namespaces=TASK_NS) == "S4U"  # logged on or not
    assert root.findtext("t:Settings/t:RestartOnFailure/t:Count", namespaces=TASK_NS) == "3"
    # the printed lines carry the same
    text = serve_mod.install_task_command(settings, "/srv/nq", "/usr/bin/python3", "linux", extra=extra)
    assert f"--workspace '{ws}' --config {config}" in text and f'--workspace \\"{ws}\\" --config {config}' in text


def test_install_task_from_the_command_line_passes_what_was_given(tmp_path, capsys):
    from neiqin_xl import cli
    ws = tmp_path / "ws"
    ws.mkdir()
    config = tmp_path / "config.yaml"
    config.write_text("email:\n  enabled: false\n", encoding="utf-8")
    assert cli.main(["install-task", "--workspace", str(ws), "--config", str(config)]) == 0  # not Windows: printed
    out = capsys.readouterr().out
    cron = [line for line in out.splitlines() if "* * *" in line]
    assert len(cron) == 3 and all(f"--workspace {ws} --config {config}" in line for line in cron)
