"""The daily schedule: ``run_daily.py serve`` stays running and runs the day's job at ``schedule.time`` on
working days; ``run_daily.py install-task`` registers the same with the Windows Task Scheduler.

The decision is one pure function, ``due_run(now, last_success, settings)``: on a working day (mainland
calendar with 调休, ``workdays.is_workday``), at or after the scheduled time, when the last successful run is
older than today, today's run is due. ``serve`` asks it on start and at every tick (each minute, plus a
``schedule`` job at the exact time), so:
- a process started after 17:00 still runs the day (catch-up from the last success kept in the workspace
  state, ``sentlog`` key ``serve.last_success``);
- after the computer slept through several 17:00s, the missed runs collapse into one run for today; the
  job itself produces whatever period reports fell due meanwhile (pipeline: ``last_run_date``);
- a job that raises or returns False is logged and not re-raised (``schedule`` would otherwise re-run it on
  every loop); it is not tried again that day by this process: it waits for the next working day (restart
  ``serve`` or run ``run_daily.py`` by hand to try again sooner);
- weekends and holidays are skipped, 调休 working Saturdays and Sundays are run.
"""

from __future__ import annotations

import logging
import shlex
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import date, datetime
from datetime import time as dtime
from pathlib import Path, PurePosixPath, PureWindowsPath
from xml.sax.saxutils import escape

import schedule

from .core.config import Settings
from .deliver.state import SentLog
from .books.workdays import is_workday

log = logging.getLogger("neiqin_xl.serve")

LAST_SUCCESS_KEY = "serve.last_success"
TASK_NAME = "neiqin_xl"
TASK_XML_NAME = "neiqin_xl_task.xml"
RUN_ARGUMENTS = ["-X", "utf8", "run_daily.py"]


# ---------------------------------------------------------------------------- when to run

def scheduled_time(settings: Settings) -> dtime:
    hh, mm = settings.schedule.time.split(":")
    return dtime(int(hh), int(mm))


def due_run(now: datetime, last_success: date | None, settings: Settings, *,
            last_attempt: date | None = None) -> date | None:
    """The run date to run now, or None: today, if it is a working day, the scheduled time has passed, and
    neither a success nor (in this process) a failed attempt is recorded for today or later."""
    today = now.date()
    if not is_workday(today, settings):
        return None
    if now.time() < scheduled_time(settings):
        return None
    if last_success is not None and last_success >= today:
        return None
    if last_attempt is not None and last_attempt >= today:
        return None
    return today


def run_guarded(run_job: Callable[[date], bool], day: date) -> bool:
    """Runs the job; an exception is logged and counts as a failure, never propagates."""
    try:
        return bool(run_job(day))
    except Exception:  # the schedule must survive any failure of the job
        log.exception("定时任务 %s 运行出错", day)
        return False


def run_if_due(run_job: Callable[[date], bool], settings: Settings, state: SentLog,
               last_attempt: date | None = None, now: datetime | None = None) -> date | None:
    """One tick: runs the job if ``due_run`` says so and records a success; returns the date tried, or None."""
    now = now or datetime.now()
    day = due_run(now, state.get_date(LAST_SUCCESS_KEY), settings, last_attempt=last_attempt)
    if day is None:
        return None
    log.info("定时任务开始: %s", day)
    if run_guarded(run_job, day):
        state.set_date(LAST_SUCCESS_KEY, day)
        log.info("定时任务完成: %s", day)
    else:
        log.error("定时任务 %s 未成功, 今天不再自动重试 (可手动运行 run_daily.py)", day)
    return day


def build_scheduler(tick: Callable[[], object], settings: Settings) -> schedule.Scheduler:
    """A private ``schedule.Scheduler`` (not the module-wide default): at the set time, and every minute."""
    scheduler = schedule.Scheduler()
    scheduler.every().day.at(settings.schedule.time).do(tick)
    scheduler.every(1).minutes.do(tick)  # late start, wake from sleep, clock changes
    return scheduler


def serve(run_job: Callable[[date], bool], settings: Settings, state_dir: Path, *,
          sleep: Callable[[float], object] = time.sleep, should_stop: Callable[[], bool] = lambda: False,
          poll_seconds: float = 30.0) -> None:
    """Runs until interrupted (Ctrl+C) or ``should_stop()``; ``run_job(day) -> ok`` is the day's job."""
    state = SentLog(state_dir)
    attempted: list[date] = []  # this process's last attempt: a failure waits for the next day

    def tick() -> None:
        day = run_if_due(run_job, settings, state, attempted[-1] if attempted else None)
        if day is not None:
            attempted.append(day)

    scheduler = build_scheduler(tick, settings)
    tick()  # on start: catch up a run missed today
    while not should_stop():
        scheduler.run_pending()
        idle = scheduler.idle_seconds
        sleep(max(1.0, min(idle if idle is not None else poll_seconds, poll_seconds)))


# ---------------------------------------------------------------------------- installing the task

def is_windows(platform: str) -> bool:
    return platform.lower().startswith("win")


def windowless_python(python_exe: str | Path, platform: str) -> str:
    """pythonw.exe next to python.exe on Windows (no console window flashing at 17:00)."""
    if not is_windows(platform):
        return str(python_exe)
    path = PureWindowsPath(str(python_exe))
    if path.name.lower() == "python.exe":
        path = path.with_name("pythonw.exe")
    return str(path)


def task_xml(settings: Settings, project_dir: str | Path, python_exe: str | Path, start: date | None = None) -> str:
    """The Task Scheduler definition: daily at ``schedule.time`` (the job skips non-working days itself, and
    a 调休 Sunday is a working day), StartWhenAvailable (runs as soon as possible after a missed start),
    Start in = the project folder, pythonw.exe ``-X utf8 run_daily.py``."""
    start = start or date.today()
    hh, mm = settings.schedule.time.split(":")
    command = windowless_python(python_exe, "win32")
    folder = str(PureWindowsPath(str(project_dir)))
    return f"""<?xml version="1.0" encoding="UTF-16"?>
<Task version="1.2" xmlns="http://schemas.microsoft.com/windows/2004/02/mit/task">
  <RegistrationInfo>
    <Description>{escape(f"neiqin_xl 销售内勤日常: 每天 {settings.schedule.time} 运行 run_daily.py (非工作日由程序自行跳过, 调休上班日照常运行)")}</Description>
    <URI>\\{TASK_NAME}</URI>
  </RegistrationInfo>
  <Triggers>
    <CalendarTrigger>
      <StartBoundary>{start.isoformat()}T{hh}:{mm}:00</StartBoundary>
      <Enabled>true</Enabled>
      <ScheduleByDay>
        <DaysInterval>1</DaysInterval>
      </ScheduleByDay>
    </CalendarTrigger>
  </Triggers>
  <Principals>
    <Principal id="Author">
      <LogonType>InteractiveToken</LogonType>
      <RunLevel>LeastPrivilege</RunLevel>
    </Principal>
  </Principals>
  <Settings>
    <MultipleInstancesPolicy>IgnoreNew</MultipleInstancesPolicy>
    <DisallowStartIfOnBatteries>false</DisallowStartIfOnBatteries>
    <StopIfGoingOnBatteries>false</StopIfGoingOnBatteries>
    <AllowHardTerminate>true</AllowHardTerminate>
    <StartWhenAvailable>true</StartWhenAvailable>
    <RunOnlyIfNetworkAvailable>false</RunOnlyIfNetworkAvailable>
    <AllowStartOnDemand>true</AllowStartOnDemand>
    <Enabled>true</Enabled>
    <Hidden>false</Hidden>
    <RunOnlyIfIdle>false</RunOnlyIfIdle>
    <WakeToRun>false</WakeToRun>
    <ExecutionTimeLimit>PT2H</ExecutionTimeLimit>
    <Priority>7</Priority>
  </Settings>
  <Actions Context="Author">
    <Exec>
      <Command>{escape(command)}</Command>
      <Arguments>{escape(" ".join(RUN_ARGUMENTS))}</Arguments>
      <WorkingDirectory>{escape(folder)}</WorkingDirectory>
    </Exec>
  </Actions>
</Task>
"""


def schtasks_line(settings: Settings, project_dir: str | Path, python_exe: str | Path) -> str:
    """A one-line schtasks equivalent (no Start-in folder there, so run_daily.py by its full path)."""
    command = windowless_python(python_exe, "win32")
    script = PureWindowsPath(str(project_dir)) / "run_daily.py"
    return (f'schtasks /Create /TN {TASK_NAME} /SC DAILY /ST {settings.schedule.time} '
            f'/TR "\\"{command}\\" -X utf8 \\"{script}\\"" /F')


def cron_line(settings: Settings, project_dir: str | Path, python_exe: str | Path) -> str:
    """Every day at the set time: cron cannot know 调休 (a working Sunday), the job skips non-working days."""
    hh, mm = settings.schedule.time.split(":")
    folder = shlex.quote(str(PurePosixPath(str(project_dir)))).replace("%", "\\%")
    python = shlex.quote(str(python_exe)).replace("%", "\\%")
    return f"{int(mm)} {int(hh)} * * * cd {folder} && {python} {' '.join(RUN_ARGUMENTS)}"


def install_task_command(settings: Settings, project_dir: str | Path, python_exe: str | Path,
                         platform: str) -> list[str] | str:
    """Windows: the schtasks command registering ``neiqin_xl_task.xml`` (written by ``install_task``) from
    the project folder. Elsewhere: text with the equivalent schtasks line and a cron line, to print."""
    if is_windows(platform):
        xml_file = PureWindowsPath(str(project_dir)) / TASK_XML_NAME
        return ["schtasks", "/Create", "/XML", str(xml_file), "/TN", TASK_NAME, "/F"]
    return "\n".join([
        "# Windows 任务计划程序 (在办公电脑的命令行运行; 更推荐在 Windows 上直接运行 run_daily.py install-task):",
        schtasks_line(settings, project_dir, python_exe),
        "# cron (Linux / macOS, crontab -e): 每天运行, 非工作日由程序自行跳过 (cron 不知道调休上班日):",
        cron_line(settings, project_dir, python_exe),
    ])


def install_task(settings: Settings, project_dir: Path, say: Callable[[str], object], *,
                 python_exe: str | Path | None = None, platform: str | None = None,
                 run: Callable[..., subprocess.CompletedProcess] = subprocess.run) -> int:
    """``run_daily.py install-task``: registers the task on Windows; elsewhere prints what to register."""
    platform = platform or sys.platform
    python_exe = python_exe or Path(sys.executable).absolute()  # not resolve(): a venv's python is a symlink
    command = install_task_command(settings, project_dir, python_exe, platform)
    if isinstance(command, str):
        say(command)
        return 0
    xml_file = Path(project_dir) / TASK_XML_NAME
    xml_file.write_text(task_xml(settings, project_dir, python_exe), encoding="utf-16")
    done = run(command, capture_output=True, text=True)
    if done.returncode != 0:
        say(f"注册计划任务失败 ({done.returncode}): {(done.stderr or done.stdout).strip()}")
        return 1
    say(f"已注册计划任务 {TASK_NAME}: 每天 {settings.schedule.time} 运行 (非工作日自动跳过), 错过时开机后尽快补运行")
    return 0
