"""The command line behind run_daily.py: the day's job, templates, the demo, the schedule.

    python run_daily.py                      the day's job (the demo is generated into the default workspace
                                             when that does not exist yet)
    python run_daily.py --date 2026-11-30    as of another day
    python run_daily.py templates [--for 张伟]
    python run_daily.py demo [--reset]       the demo workspace (only where no real data is; --reset deletes
                                             only the files the demo wrote)
    python run_daily.py remind               the day's reminders to reps (schedule.reminder_time, 15:30)
    python run_daily.py status               the last runs, the mail sent, pending or failed, reps behind,
                                             the closed months
    python run_daily.py replay --date D      day D's outputs again, from its stored inputs, into output/回放/D/
    python run_daily.py close --month M      month M's commission paid: the figures per rep are recorded
    python run_daily.py close --reopen --month M   reopens a closed month (logged)
    python run_daily.py serve                stay running: reminders at 15:30, the day's run at the cut-off (16:30)
    python run_daily.py install-task         Windows Task Scheduler (elsewhere: print the schtasks and cron lines),
                                             with the --workspace and --config given
    python run_daily.py retry                what failed today, sent again (the task every 10 minutes until the deadline)

Exit status:
    0  the run completed and every message was delivered (or put in the outbox); data problems included
    1  a report, a workbook, the problem list, the mail or manifest.json failed, or the run failed (everything
       else is still written and sent; the manifest's failed says what)
    2  a configuration or command-line error (nothing written)
    3  every report was written but a message was not delivered to every recipient (failed, 部分送达, given
       up, or its send interrupted by a crash: 结果未知); one line per such message with the reason is printed
       and logged
    4  another run held the workspace (its run lock, runlock.py) through schedule.lock_wait_seconds: this
       run did nothing; the line printed names the holder (PID, host, start time)
Workspaces (README: 工作区规则): a --workspace that does not exist is an error (exit 2) naming it, except
for ``demo``; the demo goes only into a folder holding no real data.
Console output survives a GBK console, and a run without any console (pythonw.exe): then the log
(logs/neiqin_<YYYY-MM>.log) holds every line.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path

from .core.config import ConfigError, Settings, load_settings
from .core.failures import OUTPUT_FOLDER, REPORT
from .core.schema import REP
from .deliver.mail import UNDELIVERED
from .runlock import RunLocked, hold
from .trust import UntrustedDay
from .tools.demo import DemoRefused

PROJECT_DIR = Path(__file__).resolve().parent.parent
log = logging.getLogger("neiqin_xl")
EXIT_LOCKED = 4


STREAMS = ((0, "stdin"), (1, "stdout"), (2, "stderr"))


def make_console_safe() -> None:
    """Nothing printed may crash a Chinese Windows console, a log redirected in GBK, or a run without a console.

    pythonw.exe (the Task Scheduler) starts with ``sys.stdin/stdout/stderr`` set to None; a parent that closed
    our descriptors leaves stream objects on dead descriptors. A stream that is closed or whose descriptor is
    dead becomes None (every writer here checks), and a dead descriptor 0-2 gets the null device parked on it,
    so no file the run opens later (a workbook, the log) takes that number and receives console output.
    """
    for fd, name in STREAMS:
        try:
            os.fstat(fd)
        except OSError:
            stream = getattr(sys, name)
            if stream is not None and stream_fileno(stream) in (fd, None):
                setattr(sys, name, None)
            try:
                null = os.open(os.devnull, os.O_RDWR)
                if null != fd:
                    os.dup2(null, fd)
                    os.close(null)
            except OSError:
                pass
    for _, name in STREAMS:
        stream = getattr(sys, name)
        if stream is not None and getattr(stream, "closed", False):
            setattr(sys, name, None)
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            try:
                stream.reconfigure(errors="replace")
            except (ValueError, OSError):
                pass


def stream_fileno(stream) -> int | None:
    """The stream's descriptor; None when it has none (an in-memory stream) or it is closed."""
    try:
        return stream.fileno()
    except (OSError, ValueError, AttributeError):
        return None


def write_line(stream, text: str) -> bool:
    """Prints one line to ``stream`` if there is one that works; False when nobody can see it."""
    if stream is None:
        return False
    try:
        print(text, file=stream, flush=True)
        return True
    except (OSError, ValueError):  # closed or broken console
        return False


def is_terminal(stream) -> bool:
    try:
        return stream is not None and stream.isatty()
    except (OSError, ValueError):
        return False


def console(quiet: bool):
    """``say(text)``: a line for the clerk; it always goes to the log, and to the console unless --quiet."""
    def say(text: str) -> None:
        log.info("%s", text)
        if not quiet:
            write_line(sys.stdout, text)
    return say


def complain(text: str) -> None:
    """An error line: to the log, and to the console's error stream when there is one (also with --quiet)."""
    log.error("%s", text)
    write_line(sys.stderr, text)


EARLIEST, LATEST = date(2000, 1, 1), date(2099, 12, 31)  # --date's sane range (9999-12-31 crashed a report)


def parse_date(text: str) -> date:
    try:
        day = datetime.strptime(text, "%Y-%m-%d").date()
    except ValueError:
        raise argparse.ArgumentTypeError(f"日期格式应为 YYYY-MM-DD, 得到 {text!r}") from None
    if not EARLIEST <= day <= LATEST:
        raise argparse.ArgumentTypeError(f"日期 {text} 超出范围 ({EARLIEST} 至 {LATEST})")
    return day


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="run_daily.py", description="销售内勤日常: 汇总业务员台账, 生成报表并发送")
    parser.add_argument("command", nargs="?", default="run",
                        choices=["run", "remind", "status", "templates", "demo", "serve", "install-task", "replay",
                                 "close", "retry"],
                        help="默认 run: 运行当日任务; remind: 催报; status: 查看运行和邮件状态")
    parser.add_argument("--config", type=Path, help="config.yaml 路径 (默认: 程序旁边的 config.yaml)")
    parser.add_argument("--workspace", type=Path, help="工作区根目录 (覆盖 config.yaml 的 paths.workspace)")
    parser.add_argument("--date", type=parse_date, help="运行日期 YYYY-MM-DD (默认今天)")
    parser.add_argument("--no-email", action="store_true", help="不发邮件, 邮件写入 outbox")
    parser.add_argument("--send", action="store_true", help="预览 (截止时间前的运行) 也发送邮件, 标题带 预览")
    parser.add_argument("--preview", action="store_true", help="只生成预览 (写在 output/预览/ 下, 不算当天的正式运行)")
    parser.add_argument("--scheduled", action="store_true",
                        help="由计划任务启动: 非工作日什么都不做 (install-task 注册的命令带此项)")
    parser.add_argument("--only", nargs="+", metavar="REPORT", help="只生成这些报表")
    parser.add_argument("--quiet", action="store_true", help="只在出错时输出")
    parser.add_argument("--force", action="store_true", help="非工作日也生成销售日报和货物跟踪")
    parser.add_argument("--month", help="提成、费用审核、财务对账按此月份生成 YYYY-MM (默认: 运行日所在月; "
                                        "写错时这三份报表不生成, 问题清单中有一条错误)")
    parser.add_argument("--resend", action="store_true", help="已发送过的邮件再发一次")
    parser.add_argument("--for", dest="for_rep", metavar=REP, help="templates: 为某位业务员生成台账")
    parser.add_argument("--reset", action="store_true", help="demo: 重新生成演示数据")
    parser.add_argument("--reopen", action="store_true", help="close: 重新打开已结账的月份 (--month)")
    return parser


def load(args: argparse.Namespace) -> Settings:
    settings = load_settings(args.config or PROJECT_DIR / "config.yaml")
    return settings.with_workspace(args.workspace) if args.workspace else settings


class LogFile(logging.FileHandler):
    """The log file, created (with its folder) on the first line logged: a run that logs nothing writes nothing.

    A logs folder that cannot be written (read-only, a file in its place, a share gone) does not stop the
    run: the log goes to the user's temp folder (``%TEMP%\\neiqin_xl\\logs``), and the console says so once.
    """

    def __init__(self, path: Path):
        super().__init__(path, encoding="utf-8", delay=True)

    def _open(self):
        wanted = Path(self.baseFilename)
        try:
            wanted.parent.mkdir(parents=True, exist_ok=True)
            return super()._open()
        except OSError as exc:
            self.baseFilename = str(fallback_logs_dir() / wanted.name)
            note = f"日志文件夹 {wanted.parent} 无法写入 ({exc.strerror or exc}), 本次日志写到 {self.baseFilename}"
        try:
            Path(self.baseFilename).parent.mkdir(parents=True, exist_ok=True)
            stream = super()._open()
        except OSError as exc:
            note += f" — 也无法写入 ({exc.strerror or exc}), 本次没有日志文件"
            stream = open(os.devnull, "w", encoding="utf-8")
        write_line(sys.stderr, note)
        stream.write(f"{datetime.now():%Y-%m-%d %H:%M:%S} WARNING {note}\n")
        return stream


def fallback_logs_dir() -> Path:
    """Where the log goes when the logs folder cannot be written: the user's own temp folder."""
    return Path(tempfile.gettempdir()) / "neiqin_xl" / "logs"


def setup_logging(logs_dir: Path) -> LogFile:
    """Everything the run says goes to ``logs/neiqin_<YYYY-MM>.log`` (the only record when there is no console);
    returns the handler (its ``baseFilename`` is where the log really is: see ``LogFile``)."""
    handler = LogFile(logs_dir / f"neiqin_{date.today():%Y-%m}.log")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    root = logging.getLogger("neiqin_xl")
    for old in root.handlers:
        old.close()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)
    return handler


def run_lock(settings: Settings, command: str, say, wait: float | None = None):
    """The workspace's run lock (runlock.hold), saying on the console when it has to wait for another run."""
    wait = settings.schedule.lock_wait_seconds if wait is None else wait

    def waiting(holder) -> None:
        who = holder.describe() if holder else "另一次运行"
        say(f"工作区 {settings.workspace} 正在被另一次运行使用 ({who}); 等待它结束, 最多 {wait:g} 秒 ……")

    return hold(settings.workspace, wait, command, on_wait=waiting)


def ensure_workspace(settings: Settings, fresh: bool, run_date: date, say) -> bool:
    """Generates the demo into the default workspace when it did not exist before this run (``fresh``; a
    --workspace that does not exist never gets here: exit 2); True when the workspace holds demo data.
    A workspace that exists is never touched, whatever its reps folder holds."""
    from .tools.demo import generate_demo

    if fresh and not settings.is_demo:
        say(f"工作区 {settings.workspace} 还不存在, 正在生成演示数据 (demo data) ……")
        generate_demo(settings.workspace, run_date, settings=settings)
    return settings.is_demo


def command_run(settings: Settings, args: argparse.Namespace, say) -> int:
    from .pipeline import RunOptions, run_planned
    from .reports.registry import REPORT_NAMES
    from .books.workdays import is_workday
    from .core.files import check_database_path
    from .deliver.run_state import RunState, check_state_file
    from .runs import OFFICIAL, PREVIEW, dropped_days

    unknown = [name for name in args.only or [] if name not in REPORT_NAMES]
    if unknown:
        complain(f"--only: 没有报表 {', '.join(unknown)}; 可选: {', '.join(REPORT_NAMES)}")
        return 2
    fresh = not settings.workspace.exists()  # before the run lock creates the folder
    progress = None
    if not args.quiet and is_terminal(sys.stderr):  # pythonw.exe: no streams at all
        from tqdm import tqdm

        progress = lambda it: tqdm(list(it), desc="读取台账", unit="个", file=sys.stderr)  # noqa: E731
    today = date.today()
    if args.scheduled and not is_workday(args.date or today, settings):  # the task fires every day
        say(f"{args.date or today} 不是工作日, 计划任务不运行")
        return 0
    from .deliver.mail import email_configured

    mails = email_configured(settings) and not args.no_email
    if args.date and args.date > today and not args.preview and mails:  # with --no-email nothing can go out
        complain(f"--date {args.date} 在今天 ({today}) 之后: 不能正式运行将来的日期 (邮件会当作真实报表发出); "
                 f"要看预览请加 --preview")
        return 2
    if args.date and args.date > today and not args.preview:  # runs.ahead_of_time
        say(f"注意: {args.date} 在今天 ({today}) 之后: 只提前生成报表, 不写邮件, 不算这一天的正式运行; "
            f"到 {args.date} 时的正式运行照常生成并发送")
    check_database_path(RunState(settings.workspace).path)  # a path too long: said before anything is written
    with run_lock(settings, "run", say):
        damaged = check_state_file(RunState(settings.workspace).path)  # first: the run tells the clerk
        options = RunOptions(send=args.send, no_email=args.no_email, only=args.only, force=args.force,
                             month=args.month, resend=args.resend, progress=progress,
                             kind=PREVIEW if args.preview else OFFICIAL, notes=(damaged,) if damaged else ())
        now = datetime.now()
        dropped = [] if args.date or fresh else dropped_days(RunState(settings.workspace), now.date(), settings)
        if ensure_workspace(settings, fresh, args.date or now.date(), say):
            say("注意: 当前工作区是演示数据 (demo data), 不是真实业务数据: 报表和邮件都标有 演示数据, "
                "邮件只发给演示地址 (example.com)。")
        try:
            results = run_planned(settings, now, args.date, options)
        except UntrustedDay as stop:
            return untrusted_day(stop, say)
        except Exception as exc:  # status lists the crashed run with its error (the log has the traceback)
            crashed(settings, exc)
            raise
    for result in results:
        print_summary(result, is_workday(result.run_date, settings), say)
    if dropped:
        complain(f"注意: 以下工作日没有正式运行, 超过补做天数 schedule.catch_up_days ({settings.schedule.catch_up_days}) "
                 f"未补做: {', '.join(d.isoformat() for d in dropped)}; 需要时逐日运行 run_daily.py --date <日期>")
    say_notes(options.notes, results)
    return exit_status(results)


def say_notes(found_first: Sequence[str], results: Sequence) -> None:
    """What the runs have to tell the clerk (a damaged state file set aside, a year the calendar does not
    know), each once however many days were run."""
    for note in dict.fromkeys([*found_first, *(note for result in results for note in result.notes)]):
        complain(f"注意: {note}")


def crashed(settings: Settings, exc: BaseException) -> None:
    """The runs this start left ``running`` end as ``crashed`` with the error, for ``status``."""
    from .deliver.run_state import RunState

    try:
        RunState(settings.workspace).end_open_runs("crashed", f"{type(exc).__name__}: {exc}")
    except Exception:  # the state itself may be what failed
        log.exception("无法记录运行失败")


def untrusted_day(stop: UntrustedDay, say) -> int:
    """The day stopped before its books (trust.check): what is missing and what to do; exit 1."""
    complain(f"{stop.run_date}: 运行已停止, 没有生成报表, 没有给经理和业务员发送邮件:")
    for reason in stop.reasons:
        complain(f"  {reason}")
    print_mail(stop.mail, say)
    if not stop.mail:
        complain("  (config.yaml 中 email.admin 没有收件人: 没有发送运行异常通知)")
    return 1


def exit_status(results: list) -> int:
    """0 all done, 1 something failed (the rest written), 3 everything written but a message undelivered."""
    if not all(r.ok for r in results):
        return 1
    return 3 if any(r.undelivered for r in results) else 0


KIND_NOTES = {
    "official": "正式运行",
    "preview": "预览: 截止时间前的运行, 工作簿写在 output/预览/ 下, 不发邮件 (--send 才发, 标题带 预览)",
    "rerun": "重新运行: 今天已正式发送过, 不再重复发送 (--resend 重发; 数据有变化时标题带 更正)",
    "catch-up": "补发: 当天没有正式运行 (电脑未开), 按当天的数据补做, 邮件标题带 补发",
}


def print_summary(result, workday: bool, say) -> None:
    m = result.manifest
    note = KIND_NOTES[m["kind"]]
    if m["kind"] == "preview" and not workday:
        note = "预览: 非工作日只生成预览, 工作簿写在 output/预览/ 下, 不发邮件 (--send 才发, 标题带 预览)"
    say(f"运行日期 {m['run_date']}{'' if workday else ' (非工作日)'} — {note}")
    by_rep: dict[str, int] = {}
    for item in m["inputs"]:
        if item.get("kind") == "rep" or "/reps/" in str(item.get("path", "")).replace("\\", "/") or str(item.get("path", "")).startswith("reps"):
            if item.get("status") == "skipped":  # ~$ owner files, 说明.txt: no rep's
                continue
            rep = item.get("rep") or Path(item["path"]).stem  # 张伟_回款.xlsx and 张伟_合同.xlsx: 张伟's
            by_rep[rep] = by_rep.get(rep, 0) + sum(item.get("rows", {}).values())
    if by_rep:
        say("读取台账: " + "，".join(f"{rep} {n} 行" for rep, n in by_rep.items()))
    say(f"数据问题: 错误 {m['issues']['错误']} 条, 警告 {m['issues']['警告']} 条 (见 数据问题清单)")
    for r in m.get("reminders", []):
        say(f"催报: {r['rep']} — {r['reason']}")
    if m.get("output_fallback"):
        complain(f"注意: {m['output_fallback']}")
    say(f"已写出 {len(m['outputs'])} 个文件到 {result.output_dir}")
    for note in (o["note"] for o in m["outputs"] if o.get("note")):  # a workbook open in Excel: written beside it
        say(f"注意: {note}")
    for line in (c for o in m["outputs"] for c in o.get("continued", ())):  # past Excel's row limit
        say(f"注意: {line}")
    print_mail(result.mail, say)
    if m.get("late") and m["kind"] != "catch-up":
        complain(f"注意: 邮件 {m['mail_left'][11:16]} 才发出, 晚于截止时间 {m['deadline'][11:16]} "
                 f"(schedule.deadline; 正式运行从 schedule.cutoff 开始)")
    if result.failed_reports:
        complain("以下报表生成失败, 详见 logs/ 日志: " + ", ".join(result.failed_reports))
    for f in (f for f in result.failures if f.step not in (OUTPUT_FOLDER, REPORT)):  # both said above
        complain(f"失败: {f.step}{' ' + f.what if f.what else ''}: {f.error} (其余照常写出, 详见 logs/ 日志)")


def print_mail(messages: list[dict], say) -> None:
    """What left, in one line per kind; then one line per message that did not reach everyone, with the
    reason (these go to the error stream and the log, also with --quiet)."""
    for status, label in (("sent", "已发送"), ("outbox", "写入待发箱")):
        msgs = [x for x in messages if x.get("status") == status]
        if msgs:
            say(f"邮件{label} {len(msgs)} 封: " + "；".join(f"{x.get('subject', '')} → {', '.join(x.get('recipients', []))}"
                                                        for x in msgs))
    for x in messages:  # skipped for a reason worth reading; a demo's message held back from a real address
        reason = x.get("reason", "")
        if (x.get("status") == "skipped" and not reason.startswith(("已发送", "已放弃", "本次运行已尝试"))) or \
                (x.get("status") == "outbox" and reason.startswith("演示数据")):
            say(f"邮件未发送: {x.get('subject', '')}: {reason}")
    labels = {"partial": "邮件部分送达", "failed": "邮件发送失败 (留在待发箱, 下次运行重发)", "given_up": "邮件已放弃",
              "unknown": "邮件发送结果未知 (上次运行发送时中断, 服务器可能已收到; 未重发, 请向收件人确认)"}
    undelivered = [x for x in messages if x.get("status") in labels]
    for x in undelivered:
        complain(f"{labels[x['status']]}: {x.get('subject', '')} → {', '.join(x.get('recipients', []))}: {x.get('reason', '')}")
    if undelivered:
        complain(f"有 {len(undelivered)} 封邮件未能全部送达 (退出码 3)")


def command_templates(settings: Settings, args: argparse.Namespace, say) -> int:
    from .tools.templates import write_all_templates

    written = write_all_templates(PROJECT_DIR / "templates", settings.folder("master"), args.for_rep)
    for path in written or []:
        say(f"已写出模板 {path}")
    return 0


def command_demo(settings: Settings, args: argparse.Namespace, say) -> int:
    """``demo``: the demo workspace, only where no real data is (tools.demo refuses otherwise: exit 2);
    ``--reset`` first deletes the files the demo wrote (listed in DEMO.txt), keeping any changed since."""
    from .tools.demo import generate_demo, remove_demo

    ws = settings.workspace
    with run_lock(settings, "demo", say):
        if settings.is_demo and not args.reset:
            say(f"{ws} 已是演示工作区; 用 --reset 重新生成演示数据 (只删除演示程序写的文件)")
            return 0
        if settings.is_demo:
            deleted, kept = remove_demo(ws)
            say(f"已删除演示程序写的 {len(deleted)} 个文件")
            for path in kept:
                complain(f"注意: {path} 在生成后被修改过, 未删除")
        generate_demo(ws, args.date or date.today(), settings=settings)
    say(f"已在 {ws} 生成演示数据")
    return 0


def command_remind(settings: Settings, args: argparse.Namespace, say) -> int:
    """``run_daily.py remind`` (the task at schedule.reminder_time): the day's reminders, before the cut-off."""
    from .books.workdays import is_workday
    from .core.config import clock
    from .sending import remind

    now = datetime.now()
    run_date = args.date or now.date()
    if not is_workday(run_date, settings):
        say(f"{run_date} 不是工作日, 不催报")
        return 0
    if args.date is None and now.time() < clock(settings.schedule.reminder_time):
        say(f"还没到催报时间 {settings.schedule.reminder_time} (schedule.reminder_time), 不催报")
        return 0
    if args.date is None and now.time() >= clock(settings.schedule.cutoff):
        say(f"已过数据截止时间 {settings.schedule.cutoff}, 今天不再催报")
        return 0
    if not settings.workspace.exists():  # nobody to chase; the lock would create the folder (and no demo follow)
        say(f"工作区 {settings.workspace} 还不存在, 不催报")
        return 0
    with run_lock(settings, "remind", say):
        sent, chased = remind(settings, run_date, no_email=args.no_email)
    for rep, reason in chased:
        say(f"催报: {rep} — {reason}")
    if not chased:
        say("所有业务员的台账都已按时更新, 无需催报")
    print_mail(sent, say)
    return 3 if any(m.get("status") in UNDELIVERED for m in sent) else 0


def command_status(settings: Settings, args: argparse.Namespace, say) -> int:
    """``run_daily.py status``: the last runs, what was sent, what is pending or failed, whose workbook is behind."""
    from .status import status_lines

    if not settings.workspace.exists():  # reading the state would create the folder (and no demo would follow)
        say(f"工作区 {settings.workspace} 还不存在: 第一次运行 run_daily.py 时生成演示数据")
        return 0
    for line in status_lines(settings):
        write_line(sys.stdout, line)  # also with --quiet: the status is what was asked for
    return 0


def command_serve(settings: Settings, args: argparse.Namespace, say) -> int:
    from .pipeline import RunOptions, run_planned
    from .deliver.run_state import RunState, check_state_file
    from .sending import remind
    from .serve import serve

    fresh = not settings.workspace.exists()  # before serve reads the state (which creates the folder)

    def job(day: date) -> bool:
        with run_lock(settings, "serve", say):
            ensure_workspace(settings, fresh, day, say)
            damaged = check_state_file(RunState(settings.workspace).path)
            options = RunOptions(no_email=args.no_email, notes=(damaged,) if damaged else ())
            try:
                results = run_planned(settings, datetime.now(), None, options)
            except UntrustedDay as stop:
                untrusted_day(stop, say)
                return False
        for result in results:
            print_mail(result.undelivered, say)
        say_notes(options.notes, results)
        return exit_status(results) == 0

    def remind_job(day: date) -> None:
        with run_lock(settings, "serve remind", say):
            print_mail(remind(settings, day, no_email=args.no_email)[0], say)

    def retry_job(day: date) -> None:
        from .deliver.mail import retry_pending

        try:
            with run_lock(settings, "serve retry", say, wait=0):  # a run at work sends the pending mail itself
                sent = retry_pending(settings) if not args.no_email else []
        except RunLocked:
            return
        if sent:
            print_mail(sent, say)

    s = settings.schedule
    say(f"定时运行: 每个工作日 {s.reminder_time} 催报, {s.cutoff} 数据截止并正式运行, {s.deadline} 前邮件送达 (Ctrl+C 退出)")
    serve(job, settings, settings.workspace, remind_job=remind_job, retry_job=retry_job)
    return 0


def command_install_task(settings: Settings, args: argparse.Namespace, say) -> int:
    """Registers what the clerk ran: the --workspace and --config given (absolute) go into every task."""
    from .serve import install_task

    extra: list[str] = []
    if args.workspace:
        extra += ["--workspace", str(Path(args.workspace).absolute())]
    if args.config:
        extra += ["--config", str(Path(args.config).absolute())]
    return install_task(settings, PROJECT_DIR, say, extra=tuple(extra))


def command_retry(settings: Settings, args: argparse.Namespace, say) -> int:
    """``retry`` (the task install-task registers, every 10 minutes from the cut-off to the deadline): sends
    what failed today, so a short outage at 16:31 does not hold the day's reports until the next working day.
    Nothing on a non-working day, after the deadline, or while another run is at work (it sends them itself)."""
    from .books.workdays import is_workday
    from .core.config import clock
    from .deliver.mail import retry_pending

    now = datetime.now()
    if not is_workday(now.date(), settings) or now.time() > clock(settings.schedule.deadline):
        log.info("retry: 非工作日或已过截止时间 %s, 不重发", settings.schedule.deadline)
        return 0
    if not settings.workspace.exists():
        return 0
    try:
        with run_lock(settings, "retry", say, wait=0):
            sent = retry_pending(settings) if not args.no_email else []
    except RunLocked:
        return 0
    print_mail(sent, say)
    return 3 if any(m.get("status") in UNDELIVERED for m in sent) else 0


def command_replay(settings: Settings, args: argparse.Namespace, say) -> int:
    """``replay --date D``: day D again from the input history, into output/回放/D/ (no mail, nothing recorded)."""
    from .replay import ReplayError, replay_day

    if args.date is None:
        complain("replay 需要 --date YYYY-MM-DD")
        return 2
    try:
        result = replay_day(settings, args.date)
    except ReplayError as exc:
        complain(f"无法回放: {exc}")
        return 1
    say(f"已按 {args.date} 保存的输入重新生成 {len(result.manifest['outputs'])} 个文件到 {result.output_dir}")
    if result.failed_reports:
        complain("以下报表生成失败, 详见 logs/ 日志: " + ", ".join(result.failed_reports))
    return 0 if result.ok else 1


def command_close(settings: Settings, args: argparse.Namespace, say) -> int:
    """``close --month M`` records M's commission as paid; ``close --reopen --month M`` reopens it."""
    from .closing import CloseRefused, close_month, reopen_month

    try:
        with run_lock(settings, "close", say):
            if args.reopen:
                lines = reopen_month(settings, args.month)
            else:
                lines = close_month(settings, args.month, args.date or date.today())
    except CloseRefused as exc:
        complain(str(exc))
        return 2
    for line in lines:
        say(line)
    return 0


COMMANDS = {"run": command_run, "remind": command_remind, "status": command_status, "templates": command_templates,
            "demo": command_demo, "serve": command_serve, "install-task": command_install_task,
            "replay": command_replay, "close": command_close, "retry": command_retry}


def interactive() -> bool:
    """A person is at a console who can press Enter (never under pythonw.exe, a pipe or CI)."""
    return is_terminal(sys.stdin) and is_terminal(sys.stdout) and not os.environ.get("CI")


PLAIN_ENDINGS = {
    0: "完成: 报表已写出, 该发的邮件已发出 (或已写入待发箱)。",
    1: "有步骤失败 (见上面的说明, 详见 logs/ 日志): 其余报表照常写出; 请处理后重新运行 run_daily.py。",
    2: "没有运行: 命令或 config.yaml 有误 (见上面的说明), 什么都没有写出。",
    3: "报表已写出, 但有邮件没有送达 (见上面每封的原因): 截止时间前会自动重发; 结果未知的请先向收件人确认。",
    EXIT_LOCKED: "没有运行: 另一次运行正在使用工作区 (见上), 它结束后再试。",
}


def double_clicked(platform: str | None = None, environ=None) -> bool:
    """Started from Explorer (a double-click) in a console window of its own, which closes when we exit:
    Windows, a console a person can answer, and no PROMPT variable (cmd.exe sets it for what it starts).
    Never under pythonw.exe, the Task Scheduler, a pipe or CI (``interactive``)."""
    platform = platform or sys.platform
    environ = os.environ if environ is None else environ
    return platform.startswith("win") and "PROMPT" not in environ and interactive()


def main(argv: list[str] | None = None) -> int:
    code = run_main(argv)
    if double_clicked():
        write_line(sys.stdout, PLAIN_ENDINGS.get(code, f"结束 (退出码 {code}), 详见 logs/ 日志。"))
        try:
            input("按回车键关闭窗口 …")
        except (EOFError, OSError, RuntimeError):
            pass
    return code


def run_main(argv: list[str] | None = None) -> int:
    make_console_safe()
    parser = build_parser()
    args = parser.parse_args(argv)
    say = console(args.quiet)
    config_file = args.config or PROJECT_DIR / "config.yaml"
    # until config.yaml is read, the log is the default logs/ beside it (a config error is recorded there too)
    log_file = setup_logging(Path(config_file).parent / "logs")
    try:
        settings = load(args)
        log_file = setup_logging(settings.logs_dir)
        if args.workspace and args.command != "demo" and not settings.workspace.is_dir():
            complain(f"工作区 {settings.workspace} 不存在 (--workspace): 请检查路径。"
                     f"要在那里生成演示数据, 请运行 run_daily.py demo --workspace \"{args.workspace}\"")
            return 2
        return COMMANDS[args.command](settings, args, say)
    except KeyboardInterrupt:
        return 130
    except RunLocked as exc:
        complain(str(exc))
        return EXIT_LOCKED
    except DemoRefused as exc:
        complain(f"不生成演示数据: {exc}")
        return 2
    except ConfigError as exc:
        if not write_line(sys.stderr, f"配置错误: {exc}"):  # no console: the log beside config.yaml is the only record
            log.error("配置错误: %s", exc)
        return 2
    except Exception as exc:  # the double-click user sees a plain message, the log has the traceback
        log.exception("运行失败")
        write_line(sys.stderr, f"运行失败: {exc}\n详细信息见日志 {log_file.baseFilename}")
        return 1
