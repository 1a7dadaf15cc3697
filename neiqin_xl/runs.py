"""Which runs one start of the job makes, and what kind each is (README: preview, official, catch-up).

The first run of a working day at or after ``schedule.cutoff`` is the official one and sends; before the
cut-off on the same day, a preview (written apart, sends nothing unless asked); after the official run, a
rerun. Working days without an official run are caught up after the day's own run, oldest first
(``missed_days``), each catching up the period reports from the day before it (``catch_up_points``). The kinds
are read from the workspace's state (``deliver.run_state.RunState``, table ``runs``); ``pipeline.run_planned``
carries the plan out.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path

from .books.workdays import is_workday
from .core.config import Settings, clock
from .core.output import Delivery
from .deliver.run_state import RunState
from .memory import FROM_STATE

OFFICIAL, PREVIEW, RERUN, CATCH_UP = "official", "preview", "rerun", "catch-up"
AHEAD = "ahead"  # a date after today run without mail: the day's books made early, not its official run
KIND_NAMES = {OFFICIAL: "正式", PREVIEW: "预览", RERUN: "重新运行", CATCH_UP: "补发", AHEAD: "提前生成"}
DAY_DONE = (OFFICIAL, CATCH_UP)  # a day with one of these, finished, has had its official run


def ahead_of_time(run_date: date, today: date, kind: str, mails: bool) -> bool:
    """A run for a date after ``today`` that can mail nothing (--no-email, or e-mail off; one that would
    mail is refused by the command line): its books are written like the official ones (``output/<date>/``),
    but the state records it as ``AHEAD``: the day is not done, so the day's own official run, when it comes,
    still runs and sends; it composes no mail (no .eml waits in the outbox for a day that has not come) and
    does not move the period reports' catch-up point."""
    return kind in (OFFICIAL, RERUN) and run_date > today and not mails


def day_done(state: RunState, run_date: date) -> bool:
    """The day had its official run, and that run finished (a killed or crashed one did not: the next run
    does the day again and sends what it never sent; what it sent is settled in the mail state)."""
    return any(r["kind"] in DAY_DONE and r.get("outcome", "done") == "done" for r in state.runs(run_date))


def begin(state: RunState, run_date: date, kind: str, started: datetime, output_dir: Path | str = "") -> None:
    """The run recorded at its start (``RunState.begin_run``): before it sends anything."""
    state.begin_run(run_date.isoformat(), kind, started.isoformat(timespec="seconds"), str(output_dir))

def day_kind(state: RunState, run_date: date, now: datetime, settings: Settings, explicit: bool) -> str:
    """The kind of a run for ``run_date`` started at ``now``: a preview on a day that is not a working day
    (only working days are official: the clerk's manual run on a Saturday writes a preview, sent only with
    --send; a date after today that would mail is refused by the command line); a rerun once the day had its official run; else a preview when it is today
    before the cut-off (unless the date was given explicitly: a run for an explicit date is that day's run);
    else the official run."""
    if not is_workday(run_date, settings):
        return PREVIEW
    if day_done(state, run_date):
        return RERUN
    if run_date == now.date() and not explicit and now.time() < clock(settings.schedule.cutoff):
        return PREVIEW
    return OFFICIAL


def missed_days(state: RunState, today: date, settings: Settings) -> list[date]:
    """Working days before ``today`` without an official run, oldest first: at most ``schedule.catch_up_days``
    working days back, never before the workspace's first run (a first run ever catches nothing up)."""
    first = state.first_run_day()
    if first is None:
        return []
    days: list[date] = []
    day = today
    while len(days) < settings.schedule.catch_up_days:
        day -= timedelta(days=1)
        if day < first:
            break
        if is_workday(day, settings):
            days.append(day)
    return [d for d in reversed(days) if not day_done(state, d)]


def dropped_days(state: RunState, today: date, settings: Settings, look_back: int = 60) -> list[date]:
    """Working days without an official run further back than ``schedule.catch_up_days`` (and after the
    workspace's first run, at most ``look_back`` calendar days): not produced by the catch-up, to be said."""
    first = state.first_run_day()
    if first is None:
        return []
    days, day, counted = [], today, 0
    while (today - day).days < look_back:
        day -= timedelta(days=1)
        if day < first:
            break
        if is_workday(day, settings):
            counted += 1
            if counted > settings.schedule.catch_up_days and not day_done(state, day):
                days.append(day)
    return sorted(days)


def plan_runs(settings: Settings, now: datetime, run_date: date | None = None,
              preview: bool = False) -> list[tuple[date, str]]:
    """The runs one start of the job makes, in order: the day's run with its kind first (its mail must not
    wait for a week of catch-up: the deadline is the day's), then the missed working days (catch-up, oldest
    first; only when no date was given); with ``preview`` (--preview), the day's preview alone."""
    state = RunState(settings.workspace)
    if preview:
        return [(run_date or now.date(), PREVIEW)]
    if run_date is not None and run_date != now.date():
        return [(run_date, day_kind(state, run_date, now, settings, explicit=True))]
    today = now.date()
    return [(today, day_kind(state, today, now, settings, explicit=False)),
            *((d, CATCH_UP) for d in missed_days(state, today, settings))]


def catch_up_points(state: RunState, plan: list[tuple[date, str]]) -> list[date | None | str]:
    """For each run of ``plan``, the period reports' catch-up point (``memory.recall``'s ``since``): the day's
    own run goes first, so it catches up from the last missed day (the missed days' own runs make theirs),
    and each missed day from the one before it, the first from the state's last run date: each day produces
    the periods it produced when the days ran oldest first. Without missed days, the state's.

    >>> from datetime import date
    >>> class State:
    ...     def last_run_date(self): return date(2026, 11, 24)
    >>> catch_up_points(State(), [(date(2026, 11, 30), OFFICIAL), (date(2026, 11, 26), CATCH_UP),
    ...                           (date(2026, 11, 27), CATCH_UP)])
    [datetime.date(2026, 11, 27), datetime.date(2026, 11, 24), datetime.date(2026, 11, 26)]
    """
    missed = [day for day, kind in plan if kind == CATCH_UP]
    if not missed:
        return [FROM_STATE] * len(plan)
    last = state.last_run_date()  # it never moves backwards: a day done later than a missed one counts

    def later(day: date) -> date:
        return max(day, last) if last else day

    before = dict(zip(missed, [last, *map(later, missed[:-1])]))
    return [before[day] if kind == CATCH_UP else later(missed[-1]) for day, kind in plan]


def output_folder(settings: Settings, run_date: date, kind: str) -> Path:
    """``output/<date>/``; a preview's in ``output/预览/<date>/``, apart from the official books."""
    if kind == PREVIEW:
        return settings.folder("output") / KIND_NAMES[PREVIEW] / run_date.isoformat()
    return settings.folder("output") / run_date.isoformat()


def digest_inputs(inputs: list[dict]) -> str:
    """One sha256 over the inputs' paths and sha256s: equal when no input changed."""
    text = "\n".join(sorted(f"{i.get('path')}={i.get('sha256', '')}" for i in inputs))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def delivery_label(state: RunState, run_date: date, kind: str, resend: bool, inputs_digest: str) -> str:
    """预览 / 补发 for those runs; 更正 for a ``--resend`` whose data changed since the day's last send."""
    if kind in (PREVIEW, CATCH_UP):
        return KIND_NAMES[kind]
    if kind == RERUN and resend:
        sends = [r for r in state.runs(run_date) if r["kind"] != PREVIEW and r["mail_left"]]
        if sends and sends[0]["inputs"] != inputs_digest:
            return "更正"
    return ""


def label_deliveries(deliveries: list[Delivery], label: str) -> list[Delivery]:
    """The deliveries with ``label`` before their title (the subject shows 【补发 销售日报】 …); the label
    also makes them other items for the once-per-day rule, so a preview never uses up the day's send. A
    customer's notice keeps its title: it is said once ever, whichever run says it (``deliver.mail``)."""
    return [d if d.customer else replace(d, title=f"{label} {d.title}") for d in deliveries] if label else deliveries
