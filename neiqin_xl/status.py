"""``python run_daily.py status``: where the daily job stands, for the clerk, in plain Chinese (GBK-safe).

Read only: the workspace's state (deliver/run_state: the runs and the messages), its run lock (runlock), the
reps' folder and the 人员 table. It answers: is a run at work now; did the last runs happen, of which kind, and did their mail leave before the deadline;
what was sent to whom; what is still pending, failed or given up and why; which months are closed and what
commission was paid in them; whose workbook is missing or stale.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from .books.workdays import Workdays
from .closing import status_lines as closed_month_lines
from .core.config import Settings
from .deliver import mail
from .deliver.run_state import RunState
from .loader import read_staff, staff_workbooks
from .runs import KIND_NAMES
from .runlock import lock_holder
from .trust import calendar_gap

RECENT_RUNS = 10
SENT_DAYS = 7  # sent messages listed for the run dates of the last week

STATUS_NAMES = {"sent": "已发送", "partial": "部分送达", "failed": "发送失败", "sending": "发送中",
                "given_up": "已放弃", "outbox": "在待发箱", "unknown": "结果未知"}


def hhmm(text: str | None) -> str:
    return datetime.fromisoformat(text).strftime("%H:%M") if text else ""


OUTCOMES = {"running": "运行中断 (未正常结束: 断电、关机、被结束或任务时间限制); 下次运行会完成这一天, 只发没发过的邮件",
            "interrupted": "运行中断 (未正常结束: 断电、关机、被结束或任务时间限制); 之后的运行已接手",
            "crashed": "运行失败"}


def run_line(run: dict, at_work: bool = False) -> str:
    """One run: date, kind, started, its outcome when it did not finish, when the mail left against the deadline."""
    started = datetime.fromisoformat(run["started"])
    line = f"  {run['run_date']} {KIND_NAMES.get(run['kind'], run['kind'])}  开始 {started:%m-%d %H:%M}"
    outcome = run.get("outcome", "done")
    if outcome == "running" and at_work:
        return line + "  正在运行"
    if outcome in OUTCOMES:
        return line + f"  {OUTCOMES[outcome]}" + (f": {run['error']} (详见 logs/ 日志)" if run.get("error") else "")
    if run["mail_left"]:
        verdict = "晚于截止" if run["late"] else "按时"
        line += f"  邮件发出 {datetime.fromisoformat(run['mail_left']):%m-%d %H:%M} ({verdict}, 截止 {hhmm(run['deadline'])})"
    else:
        line += "  未发邮件"
    if not run["ok"]:
        line += "  有失败 (报表、工作簿、邮件或 manifest; 见日志和 manifest.json)"
    if run["undelivered"]:
        line += f"  {run['undelivered']} 封未送达"
    return line


def message_line(m) -> str:
    when = f"{m.sent_at:%m-%d %H:%M} " if m.sent_at else ""
    line = f"  {m.run_date} {when}{m.subject} → {', '.join(m.recipients)}"
    if m.status not in ("sent",):
        line += f": {STATUS_NAMES.get(m.status, m.status)}"
        if m.status == "unknown" and m.interrupted_at:  # when the send was cut off, not when a later run found it
            line += f"  中断于 {m.interrupted_at:%m-%d %H:%M}"
        if m.runs:
            line += f" (已在 {m.runs} 次运行中被拒绝)"
        if m.reason:
            line += f" — {m.reason}"
    return line


def gbk_safe(text: str) -> str:
    """The line as a Chinese Windows console (GBK) can show it: ¥ as ￥, anything else unknown as ?."""
    return text.replace("¥", "￥").encode("gbk", "replace").decode("gbk")


def status_lines(settings: Settings, now: datetime | None = None) -> list[str]:
    return [gbk_safe(line) for line in status_text(settings, now or datetime.now())]


def status_text(settings: Settings, now: datetime) -> list[str]:
    state = RunState(settings.workspace)
    s = settings.schedule
    lines = [f"neiqin_xl 状态: 工作区 {settings.workspace}, {now:%Y-%m-%d %H:%M}",
             f"每个工作日: {s.reminder_time} 催报, {s.cutoff} 数据截止并正式运行, {s.deadline} 前邮件送达"]
    gap = calendar_gap(settings, now.date())
    if gap:
        lines.append(f"注意: {gap}")
    holder = lock_holder(settings.workspace)
    if holder:
        lines.append(f"正在运行: {holder.describe()}")
    lines.append("")

    runs = state.runs(limit=RECENT_RUNS)
    lines.append("最近的运行:")
    lines += [run_line(r, at_work=bool(holder)) for r in runs] or ["  (还没有运行过)"]

    messages = state.messages()
    since = now.date() - timedelta(days=SENT_DAYS)
    sent = [m for m in messages if m.status in ("sent", "partial") and m.run_date >= since]
    lines += ["", f"已发送 (最近 {SENT_DAYS} 天):"]
    lines += [message_line(m) for m in sent] or ["  (无)"]

    pending = [m for m in messages if m.status == "failed"]
    lines += ["", "待发送 / 发送失败 (下次运行先发这些):"]
    lines += [message_line(m) for m in pending] or ["  (无)"]
    sending = [m for m in messages if m.status == "sending"]
    if sending:
        lines += ["", "发送中 (没有运行在进行时: 上次运行在发送时中断, 下次运行将其列为 结果未知, 不重发):"]
        lines += [message_line(m) for m in sending]
    outbox = [m for m in messages if m.status == "outbox" and m.run_date >= since]
    if outbox:
        lines += ["", f"在待发箱 (邮件未开启或 --no-email; .eml 可用 Outlook 打开后手动发送) {len(outbox)} 封, "
                      f"见 {settings.folder('outbox')}"]
    never = [(run, p) for run in runs if run.get("outcome") in ("running", "interrupted", "crashed")
             and not (holder and run.get("outcome") == "running") for p in state.never_composed(run)]
    if never:
        lines += ["", "未生成的邮件 (运行中断, 这些邮件还没写出也没发送; 下次运行会补发):"]
        lines += [f"  {run['run_date']} {' + '.join(p['titles'])} → {', '.join(p['recipients'])}" for run, p in never]
    unknown = [m for m in messages if m.status == "unknown"]
    if unknown:
        lines += ["", "发送结果未知 (运行在发送时中断, 服务器可能已收到; 未重发, 请向收件人确认):"]
        lines += [message_line(m) for m in unknown]
    given_up = [m for m in messages if m.status == "given_up"]
    if given_up:
        lines += ["", "已放弃 (服务器多次拒绝, 请检查收件人地址后用 --resend 重发):"]
        lines += [message_line(m) for m in given_up]

    lines += ["", "下一步: " + next_step(runs, messages, bool(holder))]
    lines += ["", *closed_month_lines(state)]
    lines += ["", "业务员台账:"]
    staff = read_staff(settings)
    files = staff_workbooks(settings, staff)
    as_of = Workdays.of(settings).on_or_before(now.date())  # reminders are for working days: on a weekend, Friday's
    _, chased = mail.reminders(settings, as_of, staff, files)
    lines += [f"  {rep}: {reason}" for rep, reason in chased]
    behind = {rep for rep, _ in chased}
    fresh = [rep for rep in files if rep not in behind]
    lines.append(f"  按时更新: {', '.join(fresh)}" if fresh else "  (没有按时更新的台账)")
    return lines


def next_step(runs: list[dict], messages: list, at_work: bool) -> str:
    """The one thing to do next, in words (the most urgent first)."""
    if runs and runs[0].get("outcome") in ("running", "crashed") and not at_work:
        what = "失败" if runs[0]["outcome"] == "crashed" else "中断"
        return (f"{runs[0]['run_date']} 的运行{what}了: 请查看日志后运行 run_daily.py (或等下次定时运行), "
                f"它会完成这一天, 已发出的邮件不会重发")
    unknown = [m for m in messages if m.status == "unknown"]
    if unknown:
        return (f"有 {len(unknown)} 封邮件发送结果未知: 请向收件人确认是否收到; 没收到的用 Outlook 打开其 .eml 发送, "
                f"或 run_daily.py --date <日期> --resend")
    if any(m.status == "failed" for m in messages):
        if any("登录被拒绝" in m.reason for m in messages if m.status == "failed"):
            return "邮件登录被拒绝: 请检查 email.user 和密码 (环境变量或钥匙串) 后运行 run_daily.py retry"
        return "有邮件发送失败: 截止时间前会自动重发 (run_daily.py retry), 之后由下次运行发送; 请检查网络和邮件服务器"
    if any(m.status == "given_up" for m in messages):
        return "有邮件已放弃 (服务器多次拒绝): 请检查收件人地址后用 --resend 重发"
    return "无需处理"
