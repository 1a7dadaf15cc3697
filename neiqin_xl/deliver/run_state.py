"""The workspace's memory between runs: which message went out when, and a few dates (last run, last success).

One SQLite file, ``<workspace>/.neiqin_state.sqlite``, with two tables:

- ``messages``: one row per message, keyed by (run date, its deliveries, its audience). ``items`` is the
  sorted list of ``report|title`` of the deliveries it carries, so a rerun finds what was already mailed
  even when the grouping changed; ``audience`` is ``rep:张伟`` or ``to:a,b|cc:c``. Status goes
  ``outbox`` (written, e-mail off or a demo's message for a real address) or ``sending`` → ``sent`` /
  ``partial`` (部分送达: some recipients refused) / ``failed`` (tried again by the next run) / ``given_up``
  (refused by the server in ``email.max_attempts`` runs; ``runs`` counts them). The .eml is written and the
  row marked ``sending`` before a byte goes to the server, so a crash never loses a message. A run killed
  while sending leaves ``sending``: the server may or may not have accepted the message, and only one run
  at a time works on a workspace (runlock.py), so the next run finds it ``interrupted`` and marks it
  ``unknown`` (结果未知) — listed for the clerk, never sent again by itself (``--resend`` sends it): a
  message listed for a person to check is better than one sent twice. ``interrupted_at`` keeps when its
  send was cut off (the time it went ``sending``, or the timeout's), apart from ``updated``.
- ``runs``: one row per run of the day's job: its date, kind (official / preview / rerun / catch-up, see
  pipeline), when it started and finished, when its mail left and whether that was after the deadline,
  a digest of its inputs (a ``--resend`` after the data changed is a 更正), its folder, its ``outcome``
  and ``planned``: the messages its mail step was about to compose, so what a killed run never composed is
  known (``never_composed``). The first row is
  the workspace's first run: nothing before it is ever caught up.
- ``closed_months``: the months whose commission was paid (``run_daily.py close --month``), with the
  commission paid per rep in fen (JSON); ``close_log`` every close, settlement and reopening, with its time.
- ``kv``: small named values (``last_run_date`` for the pipeline, ``serve.last_success`` for the schedule).

Each call opens and closes its own connection: nothing is held between calls, runs from the Task
Scheduler and a double-click do not block each other for longer than a statement.
"""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from ..books.changes import ClosedMonth
from ..core.files import check_database_path

STATE_FILE = ".neiqin_state.sqlite"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS messages (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    run_date TEXT NOT NULL,
    items TEXT NOT NULL,          -- JSON list of "report|title", sorted
    audience TEXT NOT NULL,       -- "rep:张伟" or "to:a@x,b@x|cc:c@x"
    reports TEXT NOT NULL,        -- "daily+period" (for people reading the table)
    subject TEXT NOT NULL,
    sender TEXT NOT NULL,
    recipients TEXT NOT NULL,     -- JSON list: envelope recipients (to + cc)
    attachments TEXT NOT NULL,    -- JSON list of file names
    file TEXT NOT NULL,           -- the .eml
    status TEXT NOT NULL,         -- outbox / sending / sent / partial / failed / given_up / unknown / lost
    reason TEXT NOT NULL DEFAULT '',
    attempts INTEGER NOT NULL DEFAULT 0,  -- SMTP tries, retries included
    runs INTEGER NOT NULL DEFAULT 0,      -- runs in which the server refused the message itself
    created TEXT NOT NULL,
    updated TEXT NOT NULL,
    sent_at TEXT,
    UNIQUE (run_date, items, audience)
);
CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    run_date TEXT NOT NULL,
    kind TEXT NOT NULL,           -- official / preview / rerun / catch-up
    started TEXT NOT NULL,
    finished TEXT NOT NULL,
    mail_left TEXT,               -- the last message of the run's date the server accepted
    deadline TEXT NOT NULL,
    late INTEGER NOT NULL,
    ok INTEGER NOT NULL,          -- every report written
    undelivered INTEGER NOT NULL, -- messages failed / partial / given up
    inputs TEXT NOT NULL,         -- sha256 over every input's sha256
    output_dir TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS closed_months (
    month TEXT PRIMARY KEY,       -- YYYY-MM
    closed_at TEXT NOT NULL,
    paid TEXT NOT NULL            -- JSON {rep: commission paid, fen}
);
CREATE TABLE IF NOT EXISTS close_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    month TEXT NOT NULL,
    action TEXT NOT NULL,         -- close / settle / reopen
    at TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT ''
);
"""
# Columns added after the first release, for state files written by an earlier version.
_ADDED_COLUMNS = {"messages": {"runs": "INTEGER NOT NULL DEFAULT 0",
                               "interrupted_at": "TEXT"},  # 结果未知: when its send was interrupted
                  # running (recorded at its start: a killed run leaves it so) / done / crashed / interrupted;
                  # planned: the messages the run's mail step was about to compose (JSON), for ``status``
                  "runs": {"outcome": "TEXT NOT NULL DEFAULT 'done'", "error": "TEXT NOT NULL DEFAULT ''",
                           "planned": "TEXT NOT NULL DEFAULT '[]'"}}


@dataclass(frozen=True)
class MessageRow:
    """One row of ``messages``, as the mail module reads it back."""

    id: int
    run_date: date
    items: tuple[str, ...]
    audience: str
    reports: str
    subject: str
    sender: str
    recipients: tuple[str, ...]
    attachments: tuple[str, ...]
    file: Path
    status: str
    reason: str
    attempts: int
    runs: int
    updated: datetime
    sent_at: datetime | None
    interrupted_at: datetime | None = None  # 结果未知: when the send was interrupted (not when that was found)


def now_text() -> str:
    return datetime.now().isoformat(timespec="seconds")


def _row_to_message(row: sqlite3.Row) -> MessageRow:
    return MessageRow(id=row["id"], run_date=date.fromisoformat(row["run_date"]), items=tuple(json.loads(row["items"])),
                      audience=row["audience"], reports=row["reports"], subject=row["subject"], sender=row["sender"],
                      recipients=tuple(json.loads(row["recipients"])), attachments=tuple(json.loads(row["attachments"])),
                      file=Path(row["file"]), status=row["status"], reason=row["reason"], attempts=row["attempts"],
                      runs=row["runs"], updated=datetime.fromisoformat(row["updated"]),
                      sent_at=datetime.fromisoformat(row["sent_at"]) if row["sent_at"] else None,
                      interrupted_at=datetime.fromisoformat(row["interrupted_at"]) if row["interrupted_at"] else None)


def check_state_file(path: Path) -> str:
    """A state file that is not a database (overwritten, truncated by a disk error or a sync tool) is moved
    aside, named with the date and time (``.neiqin_state.damaged-2026-11-26-163001.sqlite``), so a new one
    is started: a damaged memory never stops the day's books. Returns the line saying so ('' when sound): the
    run checks first thing (``cli``) and carries the line to the console and the 运行异常 notice
    (``RunOptions.notes``); every ``RunState`` checks again on its first connection (a damaged file is never
    opened), which then only logs."""
    if not path.is_file():
        return ""
    try:
        with closing(sqlite3.connect(path, timeout=30)) as con:
            result = con.execute("PRAGMA quick_check").fetchone()
            con.execute("SELECT count(*) FROM sqlite_master").fetchone()
        if result and result[0] == "ok":
            return ""
        why = str(result[0]) if result else "quick_check"
    except sqlite3.OperationalError as exc:
        if "locked" in str(exc):
            return ""
        why = str(exc)
    except sqlite3.DatabaseError as exc:
        why = str(exc)
    aside = path.with_name(f"{path.stem}.damaged-{datetime.now():%Y-%m-%d-%H%M%S}{path.suffix}")
    path.replace(aside)
    for extra in ("-wal", "-shm", "-journal"):
        companion = path.with_name(path.name + extra)
        if companion.exists():
            companion.replace(aside.with_name(aside.name + extra))
    note = (f"状态文件 {path} 已损坏 ({why}): 已移到 {aside.name}, 并新建了状态文件。本次照常生成当天报表; "
            f"因为不知道以前发过什么, 不会自动补发或重发以前日期的邮件 (需要时请用 --date 和 --resend)")
    import logging

    logging.getLogger("neiqin_xl").error("%s", note)
    return note


class RunState:
    """The state file of one workspace. Cheap to create; every method opens its own connection."""

    def __init__(self, workspace: Path):
        self.path = Path(workspace) / STATE_FILE
        self.checked = False  # ``check_state_file`` done by this instance

    def _connect(self) -> sqlite3.Connection:
        check_database_path(self.path)  # a path sqlite cannot open: PathTooLong naming it, not "unable to open"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if not self.checked:
            check_state_file(self.path)
            self.checked = True
        con = sqlite3.connect(self.path, timeout=30)
        con.row_factory = sqlite3.Row
        con.executescript(_SCHEMA)
        for table, columns in _ADDED_COLUMNS.items():
            have = {r["name"] for r in con.execute(f"PRAGMA table_info({table})")}
            for name, kind in columns.items():
                if name not in have:
                    con.execute(f"ALTER TABLE {table} ADD COLUMN {name} {kind}")
        return con

    # ------------------------------------------------------------ messages
    def record(self, *, run_date: date, items: list[str], audience: str, reports: str, subject: str, sender: str,
               recipients: list[str], attachments: list[str], file: Path, status: str, reason: str = "") -> int:
        """Inserts the message, or replaces the unsent row with the same key; returns its id."""
        stamp = now_text()
        values = dict(run_date=run_date.isoformat(), items=json.dumps(sorted(items), ensure_ascii=False),
                      audience=audience, reports=reports, subject=subject, sender=sender,
                      recipients=json.dumps(list(recipients), ensure_ascii=False),
                      attachments=json.dumps(list(attachments), ensure_ascii=False), file=str(file), status=status,
                      reason=reason, created=stamp, updated=stamp)
        with closing(self._connect()) as con, con:
            con.execute(
                """INSERT INTO messages (run_date, items, audience, reports, subject, sender, recipients, attachments,
                                         file, status, reason, created, updated)
                   VALUES (:run_date, :items, :audience, :reports, :subject, :sender, :recipients, :attachments,
                           :file, :status, :reason, :created, :updated)
                   ON CONFLICT (run_date, items, audience) DO UPDATE SET
                       reports = excluded.reports, subject = excluded.subject, sender = excluded.sender,
                       recipients = excluded.recipients, attachments = excluded.attachments, file = excluded.file,
                       status = excluded.status, reason = excluded.reason, sent_at = NULL,
                       updated = excluded.updated""", values)
            row = con.execute("SELECT id FROM messages WHERE run_date = ? AND items = ? AND audience = ?",
                              (values["run_date"], values["items"], audience)).fetchone()
        return int(row["id"])

    def mark(self, message_id: int, status: str, *, reason: str = "", file: Path | None = None,
             attempts: int | None = None, refused_run: bool = False, interrupted_at: datetime | None = None) -> None:
        """Moves a message to ``status`` (sending / sent / partial / failed / given_up / unknown), with the time and the
        reason; ``refused_run`` counts one more run in which the server refused the message; ``interrupted_at``
        (结果未知): when its send was interrupted, kept apart from ``updated`` (the next run finds it later)."""
        stamp = now_text()
        at = interrupted_at.isoformat(timespec="seconds") if interrupted_at else None
        with closing(self._connect()) as con, con:
            con.execute("""UPDATE messages SET status = ?, reason = ?, updated = ?,
                               sent_at = CASE WHEN ? IN ('sent', 'partial') THEN ? ELSE sent_at END,
                               file = COALESCE(?, file), attempts = attempts + COALESCE(?, 0),
                               runs = runs + ?, interrupted_at = COALESCE(?, interrupted_at)
                           WHERE id = ?""",
                        (status, reason, stamp, status, stamp, str(file) if file else None, attempts,
                         int(refused_run), at, message_id))

    def get(self, message_id: int) -> MessageRow | None:
        with closing(self._connect()) as con:
            row = con.execute("SELECT * FROM messages WHERE id = ?", (message_id,)).fetchone()
        return _row_to_message(row) if row else None

    def settled_for(self, run_date: date, audience: str, recipients: list[str] | tuple[str, ...]
                    ) -> dict[str, MessageRow]:
        """``report|title`` → a message of ``run_date`` that settled it (one that left: sent, partial; may have left: unknown; or
        was given up) for every one of
        ``recipients``, whatever audience it went to (a caught-up day is mailed one message per person, the
        killed run it finishes grouped by list), or for ``audience`` itself: what each of them has had is not
        sent to them again. A rep's own messages count only among a rep's, a list's only among a list's (a
        rep's copy of a report holds their data only)."""
        wanted = set(recipients)
        with closing(self._connect()) as con:
            rows = con.execute("""SELECT * FROM messages WHERE run_date = ? AND audience NOT LIKE 'customer:%'
                                  AND status IN ('sent', 'partial', 'unknown', 'given_up') ORDER BY id""",
                               (run_date.isoformat(),)).fetchall()
        had: dict[str, dict[str, MessageRow]] = {}
        for message in map(_row_to_message, rows):
            if message.audience.startswith("rep:") != audience.startswith("rep:"):
                continue
            for address in wanted if message.audience == audience else wanted & set(message.recipients):
                for item in message.items:
                    had.setdefault(item, {})[address] = message
        return {item: next(iter(by.values())) for item, by in had.items() if set(by) >= wanted}

    def items_ever(self, audience: str) -> dict[str, MessageRow]:
        """``report|title`` → the message an earlier run of any date made of it for ``audience``, whatever its
        status (in the outbox, failed and waiting for the next send, sent …) but ``lost`` (its file gone): what
        is said once ever (a customer's 发货通知) is not composed a second time."""
        with closing(self._connect()) as con:
            rows = con.execute("SELECT * FROM messages WHERE audience = ? AND status != 'lost' ORDER BY id",
                               (audience,)).fetchall()
        return {item: message for message in map(_row_to_message, rows) for item in message.items}

    def pending(self) -> list[MessageRow]:
        """Messages still to send, oldest first: the ``failed`` ones."""
        return self._with_status("failed")

    def interrupted(self) -> list[MessageRow]:
        """Messages a run left ``sending`` (it was killed mid-send), oldest first; only meaningful to the run
        holding the workspace's run lock (no other run is sending then)."""
        return self._with_status("sending")

    def _with_status(self, status: str) -> list[MessageRow]:
        with closing(self._connect()) as con:
            rows = con.execute("SELECT * FROM messages WHERE status = ? ORDER BY run_date, id", (status,)).fetchall()
        return [_row_to_message(r) for r in rows]

    def messages(self, run_date: date | None = None) -> list[MessageRow]:
        with closing(self._connect()) as con:
            if run_date is None:
                rows = con.execute("SELECT * FROM messages ORDER BY id").fetchall()
            else:
                rows = con.execute("SELECT * FROM messages WHERE run_date = ? ORDER BY id", (run_date.isoformat(),)).fetchall()
        return [_row_to_message(r) for r in rows]

    # ------------------------------------------------------------ runs
    def begin_run(self, run_date: str, kind: str, started: str, output_dir: str = "") -> None:
        """Records a run at its start (outcome ``running``, before it sends anything), so a run killed on the
        way is known: its day is not done (the next run finishes it) and ``status`` lists it. A run still
        ``running`` from before (the caller holds the run lock: nobody else runs) was killed: ``interrupted``."""
        with closing(self._connect()) as con, con:
            con.execute("UPDATE runs SET outcome = 'interrupted' WHERE outcome = 'running'")
            con.execute("""INSERT INTO runs (run_date, kind, started, finished, deadline, late, ok, undelivered, inputs,
                                             output_dir, outcome)
                           VALUES (?, ?, ?, '', '', 0, 0, 0, '', ?, 'running')""", (run_date, kind, started, output_dir))

    def record_run(self, **row) -> None:
        """The run done (the columns of ``runs``, dates and times as ISO text): the row ``begin_run`` made
        for it (same date, kind and start) completed, else a new row."""
        row = {**row, "outcome": "done"}
        with closing(self._connect()) as con, con:
            updated = con.execute(f"UPDATE runs SET {', '.join(f'{k} = :{k}' for k in row)} "
                                  "WHERE outcome = 'running' AND run_date = :run_date AND kind = :kind "
                                  "AND started = :started", row).rowcount
            if not updated:
                con.execute(f"INSERT INTO runs ({', '.join(row)}) VALUES ({', '.join(':' + k for k in row)})", row)

    def plan_mail(self, run_date: date, planned: list[dict]) -> None:
        """The messages the running run of ``run_date`` is about to compose (audience, items, recipients,
        titles), kept on its row before the first is composed: a run killed on the way leaves what it never
        got to, which ``status`` lists until a later run composes it."""
        with closing(self._connect()) as con, con:
            con.execute("UPDATE runs SET planned = ? WHERE outcome = 'running' AND run_date = ?",
                        (json.dumps(planned, ensure_ascii=False), run_date.isoformat()))

    def never_composed(self, run: dict) -> list[dict]:
        """Of the messages ``run`` planned (``plan_mail``), those no run has composed since: no message of its
        date and audience carries their items (whatever its status)."""
        planned = json.loads(run.get("planned") or "[]")
        if not planned:
            return []
        made: dict[str, set[str]] = {}
        for m in self.messages(date.fromisoformat(run["run_date"])):
            made.setdefault(m.audience, set()).update(m.items)
        return [p for p in planned if not set(p["items"]) <= made.get(p["audience"], set())]

    def end_open_runs(self, outcome: str, error: str = "") -> None:
        """The runs still ``running`` end with ``outcome`` (crashed: the exception's text in ``error``)."""
        with closing(self._connect()) as con, con:
            con.execute("UPDATE runs SET outcome = ?, error = ?, finished = ? WHERE outcome = 'running'",
                        (outcome, error, now_text()))

    def runs(self, run_date: date | None = None, limit: int | None = None) -> list[dict]:
        """Runs, newest first (of one date when given)."""
        where, args = ("WHERE run_date = ?", [run_date.isoformat()]) if run_date else ("", [])
        with closing(self._connect()) as con:
            rows = con.execute(f"SELECT * FROM runs {where} ORDER BY id DESC LIMIT ?", [*args, limit or -1]).fetchall()
        return [dict(r) for r in rows]

    def first_run_day(self) -> date | None:
        """The day the workspace's first run started (any kind); nothing before it is caught up."""
        with closing(self._connect()) as con:
            row = con.execute("SELECT started FROM runs ORDER BY id LIMIT 1").fetchone()
        return datetime.fromisoformat(row["started"]).date() if row else None

    # ------------------------------------------------------------ small values
    def get_value(self, key: str) -> str | None:
        with closing(self._connect()) as con:
            row = con.execute("SELECT value FROM kv WHERE key = ?", (key,)).fetchone()
        return row["value"] if row else None

    def set_value(self, key: str, value: str) -> None:
        with closing(self._connect()) as con, con:
            con.execute("INSERT INTO kv (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                        (key, value))

    def get_date(self, key: str) -> date | None:
        value = self.get_value(key)
        return date.fromisoformat(value) if value else None

    def set_date(self, key: str, day: date) -> None:
        self.set_value(key, day.isoformat())

    def last_run_date(self) -> date | None:
        """The last run date the pipeline completed (period reports catch up from it)."""
        return self.get_date("last_run_date")

    def set_last_run_date(self, day: date) -> None:
        """Records a completed run; never moves backwards (a rerun of an old date keeps the later one)."""
        current = self.last_run_date()
        if current is None or day > current:
            self.set_date("last_run_date", day)

    # ------------------------------------------------------------ closed months (run_daily.py close)
    def closed_months(self) -> tuple[ClosedMonth, ...]:
        """The closed months, oldest first."""
        with closing(self._connect()) as con:
            rows = con.execute("SELECT * FROM closed_months ORDER BY month").fetchall()
        return tuple(ClosedMonth(r["month"], r["closed_at"], {k: int(v) for k, v in json.loads(r["paid"]).items()})
                     for r in rows)

    def close_month(self, month: str, paid: dict[str, int], action: str = "close", detail: str = "") -> None:
        """Records ``month`` as closed with the commission ``paid`` per rep (``action`` settle: the paid figures
        of a month already closed, after its 补提/扣回 was paid with a later month), and logs it."""
        stamp = now_text()
        with closing(self._connect()) as con, con:
            con.execute("""INSERT INTO closed_months (month, closed_at, paid) VALUES (?, ?, ?)
                           ON CONFLICT (month) DO UPDATE SET paid = excluded.paid""",
                        (month, stamp, json.dumps(paid, ensure_ascii=False, sort_keys=True)))
            con.execute("INSERT INTO close_log (month, action, at, detail) VALUES (?, ?, ?, ?)",
                        (month, action, stamp, detail))

    def reopen_month(self, month: str, detail: str = "") -> bool:
        """Reopens a closed month (logged); False when it was not closed."""
        with closing(self._connect()) as con, con:
            gone = con.execute("DELETE FROM closed_months WHERE month = ?", (month,)).rowcount
            if gone:
                con.execute("INSERT INTO close_log (month, action, at, detail) VALUES (?, 'reopen', ?, ?)",
                            (month, now_text(), detail))
        return bool(gone)
