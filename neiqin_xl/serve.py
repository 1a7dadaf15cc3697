"""The daily schedule: ``run_daily.py serve`` stays running and, on working days, sends the reminders at
``schedule.reminder_time`` and runs the day's job at ``schedule.cutoff`` (so the mail is in the inbox before
``schedule.deadline``); ``run_daily.py install-task`` registers the same two jobs with the Windows Task
Scheduler (two tasks: a trigger cannot carry its own arguments), or prints the schtasks and cron lines.

The decisions are pure functions. ``due_run(now, last_success, settings)``: on a working day (mainland
calendar with 调休, ``workdays.is_workday``), at or after the cut-off, when the last successful run is older
than today, today's run is due. ``due_reminders(now, last_reminded, settings)``: on a working day, from the
reminder time until the cut-off (never after it: a reminder asking for data by 16:30 is useless at 16:45),
once. ``serve`` asks them on start and at every tick (each minute, plus ``schedule`` jobs at the exact
times), so:
- a process started after the cut-off still runs the day (catch-up from the last success kept in the
  workspace state, ``deliver.run_state`` key ``serve.last_success``);
- after the computer slept through several cut-offs, the loop calls the job once, for today; the job
  (``pipeline.run_planned``) first catches up the missed working days, each as of its own date;
- a job that raises or returns False is logged and not re-raised (``schedule`` would otherwise re-run it on
  every loop); it is not tried again that day by this process: it waits for the next working day (restart
  ``serve`` or run ``run_daily.py`` by hand to try again sooner);
- weekends and holidays are skipped, 调休 working Saturdays and Sundays are run;
- after the day's run (successful or not), undelivered mail is retried every ``RETRY_MINUTES`` that day
  (``retry_job``; mail skips it while the last attempt was a refused login).
"""

from __future__ import annotations

import logging
import re
import shlex
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path, PurePosixPath, PureWindowsPath
from xml.sax.saxutils import escape

import schedule

from .core.config import Settings, clock
from .deliver.run_state import RunState
from .books.workdays import is_workday

log = logging.getLogger("neiqin_xl.serve")

LAST_SUCCESS_KEY = "serve.last_success"
LAST_REMINDED_KEY = "serve.last_reminded"
RETRY_MINUTES = 10
RUN_ARGUMENTS = ["-X", "utf8", "run_daily.py"]


@dataclass(frozen=True)
class Job:
    """One scheduled job: its task name, the schedule setting giving its time, run_daily.py's arguments."""

    task: str
    setting: str  # "cutoff" or "reminder_time"
    arguments: tuple[str, ...]
    what: str

    def at(self, settings: Settings) -> str:
        return getattr(settings.schedule, self.setting)

    @property
    def xml_name(self) -> str:
        return f"{self.task}_task.xml"


JOBS = (Job("neiqin_xl", "cutoff", ("--scheduled",), "数据截止后正式运行并发送当日报表"),
        Job("neiqin_xl_remind", "reminder_time", ("remind",), "提醒台账缺失或过期的业务员"),
        Job("neiqin_xl_retry", "cutoff", ("retry",), f"截止时间前每 {RETRY_MINUTES} 分钟重发未送达的邮件"))
RUN_JOB, REMIND_JOB, RETRY_JOB = JOBS


# ---------------------------------------------------------------------------- when to run

def scheduled_time(settings: Settings) -> dtime:
    """The official run's start: the cut-off."""
    return clock(settings.schedule.cutoff)


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


def due_reminders(now: datetime, last_reminded: date | None, settings: Settings) -> date | None:
    """Today, when reminders are due now: a working day, from ``reminder_time`` until the cut-off, once."""
    today = now.date()
    if not is_workday(today, settings):
        return None
    if not clock(settings.schedule.reminder_time) <= now.time() < clock(settings.schedule.cutoff):
        return None
    if last_reminded is not None and last_reminded >= today:
        return None
    return today


def run_guarded(run_job: Callable[[date], bool], day: date) -> bool:
    """Runs the job; an exception is logged and counts as a failure, never propagates."""
    try:
        return bool(run_job(day))
    except Exception:  # the schedule must survive any failure of the job
        log.exception("定时任务 %s 运行出错", day)
        return False


def run_if_due(run_job: Callable[[date], bool], settings: Settings, state: RunState,
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


def remind_if_due(remind_job: Callable[[date], object], settings: Settings, state: RunState,
                  now: datetime | None = None) -> date | None:
    """One tick for the reminders: sends them if ``due_reminders`` says so; once a day, even if it fails
    (the reminders are a courtesy; the day's run does not depend on them)."""
    now = now or datetime.now()
    day = due_reminders(now, state.get_date(LAST_REMINDED_KEY), settings)
    if day is None:
        return None
    state.set_date(LAST_REMINDED_KEY, day)
    log.info("催报开始: %s", day)
    run_guarded(remind_job, day)
    return day


def build_scheduler(tick: Callable[[], object], settings: Settings) -> schedule.Scheduler:
    """A private ``schedule.Scheduler`` (not the module-wide default): at each job's time, and every minute."""
    scheduler = schedule.Scheduler()
    for job in JOBS:
        scheduler.every().day.at(job.at(settings)).do(tick)
    scheduler.every(1).minutes.do(tick)  # late start, wake from sleep, clock changes
    return scheduler


def serve(run_job: Callable[[date], bool], settings: Settings, state_dir: Path, *,
          remind_job: Callable[[date], object] | None = None, retry_job: Callable[[date], object] | None = None,
          sleep: Callable[[float], object] = time.sleep, should_stop: Callable[[], bool] = lambda: False,
          poll_seconds: float = 30.0) -> None:
    """Runs until interrupted (Ctrl+C) or ``should_stop()``; ``run_job(day) -> ok`` is the day's job,
    ``remind_job(day)`` the reminders, ``retry_job(day)`` sends the undelivered mail again."""
    state = RunState(state_dir)
    attempted: list[date] = []  # this process's last attempt: a failure waits for the next day
    retried: list[datetime] = []

    def tick() -> None:
        now = datetime.now()
        if remind_job is not None:
            remind_if_due(remind_job, settings, state)
        day = run_if_due(run_job, settings, state, attempted[-1] if attempted else None)
        if day is not None:
            attempted.append(day)
            retried.append(datetime.now())
        elif retry_job is not None and attempted and attempted[-1] == now.date() \
                and now - retried[-1] >= timedelta(minutes=RETRY_MINUTES):
            retried.append(now)
            run_guarded(retry_job, now.date())

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
    r"""pythonw.exe next to python.exe on Windows (no console window flashing at the cut-off); likewise
    python3.exe → pythonw3.exe, python3.11.exe → pythonw3.11.exe (the Microsoft Store's names).

    >>> [windowless_python(p, "win32") for p in (r"C:\P\python.exe", r"C:\P\python3.exe", r"C:\P\Python3.11.exe")]
    ['C:\\P\\pythonw.exe', 'C:\\P\\pythonw3.exe', 'C:\\P\\pythonw3.11.exe']
    """
    if not is_windows(platform):
        return str(python_exe)
    path = PureWindowsPath(str(python_exe))
    found = re.fullmatch(r"python([0-9.]*)\.exe", path.name, re.IGNORECASE)
    if found:
        path = path.with_name(f"pythonw{found.group(1)}.exe")
    return str(path)


def job_arguments(job: Job, extra: tuple[str, ...] = ()) -> list[str]:
    """run_daily.py's arguments for the job: its own, then what the clerk gave install-task (--workspace,
    --config), so the task runs the workspace the clerk installed it for."""
    return [*RUN_ARGUMENTS, *job.arguments, *extra]


def logon_type(settings: Settings) -> str:
    r"""S4U (runs whether the clerk is logged on or not, no password stored) for a workspace on a local
    drive; a workspace on a network path (\\server\share) needs the clerk's own logon (InteractiveToken):
    an S4U task has no network credentials."""
    return "InteractiveToken" if str(settings.workspace).startswith(("\\\\", "//")) else "S4U"


def repetition(settings: Settings, job: Job) -> str:
    """The retry job repeats every RETRY_MINUTES from the cut-off until the deadline."""
    if job is not RETRY_JOB:
        return ""
    minutes = max(RETRY_MINUTES, minutes_between(settings))
    return (f"\n      <Repetition>\n        <Interval>PT{RETRY_MINUTES}M</Interval>\n"
            f"        <Duration>PT{minutes}M</Duration>\n        <StopAtDurationEnd>true</StopAtDurationEnd>\n"
            f"      </Repetition>")


def task_xml(settings: Settings, project_dir: str | Path, python_exe: str | Path, start: date | None = None,
             job: Job = RUN_JOB, extra: tuple[str, ...] = ()) -> str:
    """The Task Scheduler definition of one job: daily at its time (the job skips non-working days itself,
    and a 调休 Sunday is a working day), StartWhenAvailable (runs as soon as possible after a missed start),
    Start in = the project folder, pythonw.exe ``-X utf8 run_daily.py [remind]``."""
    start = start or date.today()
    hh, mm = job.at(settings).split(":")
    command = windowless_python(python_exe, "win32")
    folder = str(PureWindowsPath(str(project_dir)))
    arguments = "".join(f" {a}" for a in [*job.arguments, *extra])
    if job is RETRY_JOB:  # the first retry 10 minutes after the day's run
        hh, mm = divmod(int(hh) * 60 + int(mm) + RETRY_MINUTES, 60)
        hh, mm = f"{hh:02d}", f"{mm:02d}"
    description = (f"neiqin_xl 销售内勤日常: 每天 {job.at(settings)} 运行 run_daily.py{arguments} "
                   f"({job.what}; 非工作日由程序自行跳过, 调休上班日照常运行)")
    return f"""<?xml version="1.0" encoding="UTF-16"?>
<Task version="1.2" xmlns="http://schemas.microsoft.com/windows/2004/02/mit/task">
  <RegistrationInfo>
    <Description>{escape(description)}</Description>
    <URI>\\{job.task}</URI>
  </RegistrationInfo>
  <Triggers>
    <CalendarTrigger>
      <StartBoundary>{start.isoformat()}T{hh}:{mm}:00</StartBoundary>
      <Enabled>true</Enabled>{repetition(settings, job)}
      <ScheduleByDay>
        <DaysInterval>1</DaysInterval>
      </ScheduleByDay>
    </CalendarTrigger>
  </Triggers>
  <Principals>
    <Principal id="Author">
      <LogonType>{logon_type(settings)}</LogonType>
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
    <RestartOnFailure>
      <Interval>PT5M</Interval>
      <Count>3</Count>
    </RestartOnFailure>
    <Priority>7</Priority>
  </Settings>
  <Actions Context="Author">
    <Exec>
      <Command>{escape(command)}</Command>
      <Arguments>{escape(subprocess.list2cmdline(job_arguments(job, extra)))}</Arguments>
      <WorkingDirectory>{escape(folder)}</WorkingDirectory>
    </Exec>
  </Actions>
</Task>
"""


def schtasks_line(settings: Settings, project_dir: str | Path, python_exe: str | Path, job: Job = RUN_JOB,
                  extra: tuple[str, ...] = ()) -> str:
    """A one-line schtasks equivalent (no Start-in folder there, so run_daily.py by its full path); the
    retry job repeats every RETRY_MINUTES until the deadline; /RU SYSTEM is not used (the clerk's mailbox
    password is in the clerk's environment or keyring)."""
    command = windowless_python(python_exe, "win32")
    script = PureWindowsPath(str(project_dir)) / "run_daily.py"
    arguments = "".join(f' \\"{a}\\"' if " " in a else f" {a}" for a in [*job.arguments, *extra])
    repeat = ""
    if job is RETRY_JOB:
        minutes = max(RETRY_MINUTES, minutes_between(settings))
        repeat = f" /RI {RETRY_MINUTES} /DU {minutes // 60:04d}:{minutes % 60:02d}"
    return (f'schtasks /Create /TN {job.task} /SC DAILY /ST {job.at(settings)}{repeat} '
            f'/TR "\\"{command}\\" -X utf8 \\"{script}\\"{arguments}" /F')


def minutes_between(settings: Settings) -> int:
    """Minutes from the cut-off to the deadline (the retry job's window)."""
    day = date.today()
    return int((datetime.combine(day, clock(settings.schedule.deadline))
                - datetime.combine(day, clock(settings.schedule.cutoff))).total_seconds() // 60)


def cron_line(settings: Settings, project_dir: str | Path, python_exe: str | Path, job: Job = RUN_JOB,
              extra: tuple[str, ...] = ()) -> str:
    """Every day at the job's time: cron cannot know 调休 (a working Sunday), the job skips non-working days.
    The retry job: every RETRY_MINUTES of the hour the cut-off falls in and the next (it stops itself at the
    deadline)."""
    hh, mm = job.at(settings).split(":")
    folder = shlex.quote(str(PurePosixPath(str(project_dir)))).replace("%", "\\%")
    python = shlex.quote(str(python_exe)).replace("%", "\\%")
    args = " ".join(shlex.quote(a).replace("%", "\\%") for a in job_arguments(job, extra))
    when = f"{int(mm)} {int(hh)}"
    if job is RETRY_JOB:
        when = f"*/{RETRY_MINUTES} {int(hh)}-{int(clock(settings.schedule.deadline).hour)}"
    return f"{when} * * * cd {folder} && {python} {args}"


def install_task_command(settings: Settings, project_dir: str | Path, python_exe: str | Path,
                         platform: str, job: Job = RUN_JOB, extra: tuple[str, ...] = ()) -> list[str] | str:
    """Windows: the schtasks command registering the job's XML (written by ``install_task``) from the project
    folder. Elsewhere: text with the equivalent schtasks and cron lines of both jobs, to print."""
    if is_windows(platform):
        xml_file = PureWindowsPath(str(project_dir)) / job.xml_name
        return ["schtasks", "/Create", "/XML", str(xml_file), "/TN", job.task, "/F"]
    schedule_ = settings.schedule
    return "\n".join([
        f"# 每个工作日: {schedule_.reminder_time} 催报, {schedule_.cutoff} 数据截止并正式运行, "
        f"{schedule_.deadline} 前邮件送达",
        "# Windows 任务计划程序 (在办公电脑的命令行运行; 更推荐在 Windows 上直接运行 run_daily.py install-task):",
        *(schtasks_line(settings, project_dir, python_exe, j, extra) for j in JOBS),
        "# cron (Linux / macOS, crontab -e): 每天运行, 非工作日由程序自行跳过 (cron 不知道调休上班日):",
        *(cron_line(settings, project_dir, python_exe, j, extra) for j in JOBS),
    ])


def install_task(settings: Settings, project_dir: Path, say: Callable[[str], object], *,
                 python_exe: str | Path | None = None, platform: str | None = None,
                 run: Callable[..., subprocess.CompletedProcess] = subprocess.run,
                 extra: tuple[str, ...] = ()) -> int:
    """``run_daily.py install-task``: registers the tasks on Windows; elsewhere prints what to register.
    ``extra``: the --workspace and --config the clerk gave (absolute), carried by every task and line."""
    platform = platform or sys.platform
    python_exe = python_exe or Path(sys.executable).absolute()  # not resolve(): a venv's python is a symlink
    if not is_windows(platform):
        say(install_task_command(settings, project_dir, python_exe, platform, extra=extra))
        return 0
    if logon_type(settings) != "S4U":
        say(f"注意: 工作区 {settings.workspace} 在网络路径上: 计划任务只在您登录 Windows 时运行 (不登录时无法访问共享文件夹)")
    for job in JOBS:
        (Path(project_dir) / job.xml_name).write_text(task_xml(settings, project_dir, python_exe, job=job, extra=extra),
                                                      encoding="utf-16")
        done = run(install_task_command(settings, project_dir, python_exe, platform, job, extra), capture_output=True,
                   text=True)
        if done.returncode != 0:
            say(f"注册计划任务 {job.task} 失败 ({done.returncode}): {(done.stderr or done.stdout).strip()}")
            return 1
        say(f"已注册计划任务 {job.task}: 每天 {job.at(settings)} {job.what} (非工作日自动跳过), 错过时开机后尽快补运行")
    return 0
