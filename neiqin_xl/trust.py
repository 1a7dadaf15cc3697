"""Inputs the day cannot trust stop the day's books, loudly.

Before anything is read for an official run (or a preview), ``check`` compares what the day found with what
it needs: a reps folder that is not there (the shared folder not mounted), one that holds no rep's workbook
(emptied by a sync tool), a workspace with no input at all. Any of these makes every figure zero: the run
then writes nothing and mails no manager and no rep (a wrong 提成确认单 mailed is worse than a late one);
the clerk (``email.admin``) gets one 运行异常 message saying what is missing and what to do, the console
says it, and the exit status is 1. Nothing is recorded as the day's run, so the next run after the fix is a
normal official run (not "already sent").
"""

from __future__ import annotations

import logging
import html
from dataclasses import dataclass, field
from datetime import date

import chinese_calendar

from .core.config import Settings
from . import input_history
from .books.roster import SHRUNK
from .core.model import ERROR, WARNING, Problem, Tables
from .core.output import Delivery
from .read import copies
from .read.folders import list_workbooks, unsupported_files

log = logging.getLogger("neiqin_xl")

INPUT_FOLDERS = ("reps", "master", "attendance", "finance")


@dataclass
class UntrustedDay(Exception):
    """The day's inputs cannot be trusted: nothing written, nothing mailed but the clerk's notice."""

    run_date: date
    reasons: list[str]
    mail: list[dict] = field(default_factory=list)

    def __str__(self) -> str:
        return "; ".join(self.reasons)


def check(settings: Settings) -> list[str]:
    """Why the day's inputs cannot be trusted, one sentence each naming the folder; [] when they can."""
    reps = settings.folder("reps")
    if not any(list_workbooks(settings.folder(f))[0] for f in INPUT_FOLDERS):
        return [f"工作区 {settings.workspace} 中没有任何输入工作簿 (reps、master、attendance、finance 都是空的或不存在): "
                f"请检查 --workspace / paths.workspace 是否指向真正的工作区, 共享文件夹是否已连接"]
    if not reps.is_dir():
        return [f"找不到业务员台账文件夹 {reps}: 共享文件夹可能没有连接 (网络驱动器未映射或未登录); "
                f"连接后重新运行 run_daily.py"]
    if not list_workbooks(reps)[0]:
        other = unsupported_files(reps)
        what = f" (只有无法读取的文件: {', '.join(p.name for p in other[:5])})" if other else ""
        return [f"业务员台账文件夹 {reps} 中没有任何台账{what}: 可能被同步工具清空或放错了文件夹; "
                f"放回台账后重新运行 run_daily.py"]
    return []


def notice(run_date: date, reasons: list[str]) -> Delivery:
    """The one message to the clerk: what is missing, that nothing was sent, what to do."""
    lines = [f"{run_date} 的正式运行已停止: 输入不可信, 本次没有生成报表, 也没有给经理和业务员发送任何邮件。",
             *reasons, "修复后重新运行 run_daily.py (或等待下一次定时运行): 那次运行将作为当天的正式运行照常发送。"]
    from .deliver.mail import content_identity

    return Delivery(report="admin", title="运行异常: 输入不可信, 当日报表未发送", key_figure=f"{len(reasons)} 项",
                    summary_text="\n".join(lines), identity=content_identity(reasons),
                    summary_html="".join(f"<p style=\"margin:0 0 8px 0;\">{html.escape(line)}</p>" for line in lines))


def stop_if_untrusted(settings: Settings, run_date: date, no_email: bool = False) -> None:
    """Raises ``UntrustedDay`` (after the clerk's notice is sent or put in the outbox) when ``check`` finds
    a reason; the caller holds the run lock."""
    reasons = check(settings)
    if not reasons:
        return
    from .deliver import mail

    for reason in reasons:
        log.error("输入不可信: %s", reason)
    sent = []
    if settings.email.admin:
        sent = mail.deliver(settings, run_date, [notice(run_date, reasons)], None, no_email=no_email)
    raise UntrustedDay(run_date, reasons, sent)


# ---------------------------------------------------------------------------- a workbook much smaller than before

SHRINK_BELOW = 0.5  # a kind of sheet with fewer than half its rows at the last official run …
SHRINK_MIN_ROWS = 10  # … and at least this many rows fewer (README: why these)


def shrunk(settings: Settings, inputs: list[dict], baseline: dict | None) -> list[Problem]:
    """One error per rep workbook and kind of sheet whose data rows fell below ``SHRINK_BELOW`` of what the
    last official run read (``baseline``'s input-history entries keep the rows per kind) and by at least
    ``SHRINK_MIN_ROWS``: an old version saved over it, a filtered sheet saved, a sync tool's conflict. The
    rows read are kept (nothing is guessed back), but the rep's figures are 数据不全 (``books.roster``: no
    final 提成确认单) and the clerk is told, naming the workbook and both counts; the rest of the day goes on.

    >>> from neiqin_xl.core.config import Settings
    >>> before = {"run_date": "2026-11-27", "inputs": [{"folder": "reps", "name": "张伟.xlsx", "rows": {"合同": 20, "回款": 4}}]}
    >>> [p.message.split(",")[0] for p in shrunk(Settings(), [{"path": "reps/张伟.xlsx", "status": "ok", "rep": "张伟",
    ...                                                        "rows": {"合同": 3, "回款": 1}}], before)]
    ['行数骤减: 从 20 行减到 3 行 (上次正式运行 2026-11-27)']
    """
    if not baseline:
        return []
    then = {e["name"]: e.get("rows") or {} for e in baseline.get("inputs", []) if e.get("folder") == "reps"}
    found = []
    for item in inputs:
        path = settings.workspace / str(item.get("path", ""))
        if item.get("status") != "ok" or path.name not in then or input_history.folder_of(path, settings) != "reps":
            continue
        for kind, before in then[path.name].items():
            now = int((item.get("rows") or {}).get(kind, 0))
            if now < before * SHRINK_BELOW and before - now >= SHRINK_MIN_ROWS:
                found.append(Problem(
                    ERROR, f"{SHRUNK}: 从 {before} 行减到 {now} 行 (上次正式运行 {baseline['run_date']}), 不足一半: "
                           f"可能存成了旧版本、筛选后另存或被同步工具覆盖; 本次按读到的行计算, "
                           f"该业务员的数字标为数据不全, 提成确认单不作正式数",
                    workbook=path.name, sheet=kind, rep=str(item.get("rep") or ""),
                    suggestion=f"请核对 {path.name} 的 {kind} 表: 找回缺少的行后重新运行; 确实删除了这些行时, 下次正式运行起不再提示"))
    for p in found:
        log.error("%s[%s]: %s", p.workbook, p.sheet, p.message)
    return found


def day_notes(settings: Settings, run_date: date, problems: list[Problem]) -> list[str]:
    """What the clerk is told besides the 问题清单 (console, the 运行异常 notice): a year the calendar does not
    know, and each rep workbook much smaller than at the last official run (``shrunk``)."""
    shrinks = [f"{p.workbook}[{p.sheet}] {p.message.split(', ')[0]}: {p.rep or p.workbook} 的数字标为数据不全"
               for p in problems if p.message.startswith(SHRUNK)]
    return [*filter(None, [calendar_gap(settings, run_date)]), *shrinks]


# ---------------------------------------------------------------------------- a year the calendar does not know

def calendar_knows(year: int) -> bool:
    """The chinese-calendar package has the State Council's holidays of ``year`` (1.11.0: up to 2026)."""
    try:
        chinese_calendar.is_workday(date(year, 6, 1))
        return True
    except NotImplementedError:
        return False


def calendar_gap(settings: Settings, day: date) -> str:
    """From December of the year before, a line naming a year the calendar does not know and what to do;
    '' when it knows it or config.yaml lists that year's holidays (``calendar.extra_holidays``)."""
    year = day.year + 1 if day.month == 12 and calendar_knows(day.year) else day.year
    if calendar_knows(year) or any(d.year == year for d in settings.calendar.extra_holidays):
        return ""
    return (f"节假日日历不包含 {year} 年 (chinese-calendar {getattr(chinese_calendar, '__version__', '')}): "
            f"{year} 年目前按周一至周五上班计算, 春节、国庆等假期和调休上班日都不知道。请按国务院办公厅的放假通知在 "
            f"config.yaml 的 calendar.extra_holidays (放假日) 和 calendar.extra_workdays (调休上班日) 中填写 {year} 年的日期, "
            f"或升级日历: pip install -U chinesecalendar")


def checked_inputs(settings: Settings, run_date: date, tables: Tables, problems: list[Problem],
                   baseline: dict | None = None) -> tuple[Tables, list[Problem]]:
    """What was read, with the copies of a rep's workbook set aside (``read.copies``), a rep's workbook much
    smaller than at the last official run (``baseline``, its input-history index) said (``shrunk``) and a year
    the calendar does not know said in the 问题清单 (the run also tells the clerk: ``RunResult.notes``)."""
    tables, problems = copies.set_aside(tables, problems)
    problems = [*shrunk(settings, tables.inputs, baseline), *problems]
    gap = calendar_gap(settings, run_date)
    if gap:
        log.warning("%s", gap)
        problems = [Problem(WARNING, gap, workbook="config.yaml", field="calendar.extra_holidays",
                            suggestion="填写 calendar.extra_holidays 和 calendar.extra_workdays, 或 pip install -U chinesecalendar"),
                    *problems]
    return tables, problems
