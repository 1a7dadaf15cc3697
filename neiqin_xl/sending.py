"""Chasing the reps and sending the mail: the step the full day and the unchanged rerun share
(``chase_and_send``), and the reminder job on its own (``remind``, at ``schedule.reminder_time``).

Nothing here composes or sends a message itself: ``deliver.mail`` does (one transport per run, the outbox,
what was sent before). Each part stands in its own guard: a failure is recorded (``core.failures``) and the
run goes on.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from datetime import date
from typing import Any

from .core.config import Settings
from .core.failures import Failures
from .core.output import Delivery
from .deliver import mail
from .loader import read_staff, staff_workbooks


def chase_and_send(settings: Settings, run_date: date, staff: Any, failures: Failures,
                   step: Callable[[str], AbstractContextManager], *, send: bool, no_email: bool, resend: bool = False,
                   deliveries: Sequence[Delivery] = (), failed_reports: Sequence[str] = (),
                   notes: Sequence[str] = (), catch_up: bool = False) -> tuple[list[dict], list[tuple[str, str]]]:
    """Who is behind (rep, reason: for the console and the manifest; the reminders themselves are the
    reminder job's) and, when the run ``send``s, the mail: first what earlier runs left unsent, then the
    run's ``deliveries``, then the one notice to the clerk (``email.admin``) when a report failed, a
    message was refused or the run has ``notes`` for the clerk. A missed day caught up (``catch_up``) mails
    one message per person and no notice of its own: ``notify`` tells the clerk of all the caught-up days
    at once. Returns the mail results and who was chased."""
    chased: list[tuple[str, str]] = []
    with failures.guard("催报名单"):
        _, chased = mail.reminders(settings, run_date, staff, staff_workbooks(settings, staff))
    sent: list[dict] = []
    with step("发送邮件"), failures.guard("发送邮件"):
        if send:
            mail.plan(settings, run_date, list(deliveries), staff, catch_up)  # what a killed run never composed
            transport = mail.start_sending(settings, no_email)  # one login attempt for the whole run
            try:
                sent += mail.send_pending(settings, staff, transport=transport) if transport else []
                sent += mail.deliver(settings, run_date, list(deliveries), staff, no_email=no_email, resend=resend,
                                     transport=transport, per_recipient=catch_up)
                notice = None if catch_up else mail.admin_notice(run_date, list(failed_reports), sent, notes)
                if notice is not None and settings.email.admin:
                    sent += mail.deliver(settings, run_date, [notice], None, no_email=no_email, transport=transport)
            finally:  # logged out when the mail step ends, not whenever the object is collected
                if transport is not None:
                    transport.close()
    return sent, chased


def notify(settings: Settings, today: date, caught_up: Sequence[Any], no_email: bool = False) -> list[dict]:
    """The one notice to the clerk for the missed days caught up after the day's own run (their mail results,
    failed reports and notes, each ``pipeline.RunResult``), dated ``today``; [] when there is nothing to say."""
    failed = [f"{r.run_date} {name}" for r in caught_up for name in r.failures.reports]
    notes = list(dict.fromkeys(note for r in caught_up for note in r.notes))
    notice = mail.admin_notice(today, failed, [m for r in caught_up for m in r.mail], notes)
    if notice is None or not settings.email.admin:
        return []
    return mail.deliver(settings, today, [notice], None, no_email=no_email)


def remind(settings: Settings, run_date: date, no_email: bool = False) -> tuple[list[dict], list[tuple[str, str]]]:
    """The reminder job (``schedule.reminder_time``): reps whose workbook is missing or stale get a message
    saying by when (the cut-off), which file and which folder; once a day (the mail state), working days only.
    Returns the mail results and (rep, reason) for the console."""
    staff = read_staff(settings)
    deliveries, chased = mail.reminders(settings, run_date, staff, staff_workbooks(settings, staff))
    return mail.deliver(settings, run_date, deliveries, staff, no_email=no_email), chased
