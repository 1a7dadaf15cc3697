"""One way to open the books: ``open_books(settings, day) -> Books`` — the workspace read (read/), validated
and the collections allocated (books/), with every problem found on the way as values (in the spirit of
beancount's ``loader._load``: parse → book → validate, the errors collected beside the entries).

The day (``pipeline.run_day``), the month close (``closing``), the forecast backtest and the tests open the
books through here. The day reads first on its own (it keeps the inputs, stops early on an unchanged rerun
and compares the rows as read with the last official run's) and hands what it read in (``read=``).
``report_context`` puts the books in what the reports get (``RunContext``); ``books_of`` gives the books of
tables validated already (the tests'). ``read_staff`` reads the 人员 table alone, for the reminder job and
``status``; ``staff_workbooks`` each rep's workbook by that table's names.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from .books.allocation import Allocation, allocate
from .books.context import RunContext
from .books.prepayments import check_large_collections, check_write_offs
from .books.validate import validate
from .core.config import Settings
from .core.model import Problem, Tables
from .core.names import CustomerIndex, staff_names
from .core.schema import SHEETS
from .read.folders import list_workbooks, rep_workbooks
from .read.intake import find_by_stem, read_workbook, read_workspace


@dataclass(frozen=True)
class Books:
    """The day's books: the validated tables, the one allocation of collections, and the problems found
    reading (as read, in order), validating and checking the allocation, for the 数据问题清单."""

    tables: Tables
    allocation: Allocation
    problems: tuple[Problem, ...]


def open_books(settings: Settings, day: date, *, read: tuple[Tables, list[Problem]] | None = None,
               step: Callable[[str], AbstractContextManager] | None = None) -> Books:
    """The workspace's books as of ``day``: read (unless ``read`` gives the tables and problems already read),
    validated, the collections allocated, their 核销单号 and the large ones checked. ``step`` names and times each stage
    (the day's log and manifest)."""
    step = step or (lambda name: nullcontext())
    if read is None:
        with step("读取工作簿"):
            read = read_workspace(settings)
    tables, found = read
    with step("校验"):
        tables, checked = validate(tables, settings, day)
    with step("核销回款"):
        books = books_of(tables, settings, (*found, *checked))
        after = [*check_write_offs(tables, books.allocation, settings, day),
                 *check_large_collections(tables, books.allocation, settings, day)]
    return replace(books, problems=(*books.problems, *after))


def books_of(tables: Tables, settings: Settings, problems: Iterable[Problem] = ()) -> Books:
    """The books of tables validated already (the tests build theirs as the validator gives them): the one
    allocation of collections."""
    return Books(tables, allocate(tables, settings), tuple(problems))


def report_context(books: Books, settings: Settings, day: date, *, customers: CustomerIndex | None = None,
                   **fields: Any) -> RunContext:
    """What the reports get (``RunContext``) over the books: the customer index of the 客户 table (unless
    ``customers`` is given), the books' problems so far (the runner adds each report's); ``fields`` are the
    other ``RunContext`` fields (options, output_dir, changes, closed)."""
    return RunContext(settings=settings, run_date=day, tables=books.tables,
                      customers=customers if customers is not None else CustomerIndex.from_archive(books.tables["客户"]),
                      allocation=books.allocation, problems=list(books.problems), **fields)


def read_staff(settings: Settings) -> Any:
    """The 人员 table alone (master/人员.xlsx), for the reminder job; None when it cannot be read."""
    files, _ = list_workbooks(settings.folder("master"))
    path = find_by_stem(files, "人员")
    frames = read_workbook(path, (SHEETS["人员"],), settings)[0] if path else {}
    return frames.get("人员")


def staff_workbooks(settings: Settings, staff: Any) -> dict[str, Any]:
    """Each rep's workbook in the reps folder, named as the 人员 table (``staff``, from ``read_staff``) names
    its people, so 张伟_回款.xlsx is 张伟's (``folders.rep_workbooks``); by the file names alone without it."""
    return rep_workbooks(settings.folder("reps"), staff_names(staff) or None)
