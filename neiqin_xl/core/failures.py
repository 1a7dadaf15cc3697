"""What went wrong in a run, as values: ``Failure`` (one step that failed, with its source) and ``Failures``
(the run's one list of them, which manifest.json carries as ``failed``).

A data problem in a workbook is a ``model.Problem`` (the 问题清单); a ``Failure`` is the run's own: a report
that raised or was skipped (its need failed), a workbook that could not be written, the mail, manifest.json,
the output folder that took no file. Modelled on beancount's ``LoadError``/``ValidationError``: a plain
value naming where it came from, collected, never thrown past the step. Any failure makes the exit status 1;
everything else is still written and sent.

    >>> failures = Failures()
    >>> with failures.guard("写出工作簿", "合同履行一览表.xlsx"):
    ...     raise OSError("磁盘已满")
    >>> failures.add(REPORT, "每日简报", "跳过: 它需要的 应收 没有结果")
    >>> [f.as_dict() for f in failures]  # doctest: +NORMALIZE_WHITESPACE
    [{'step': '写出工作簿', 'what': '合同履行一览表.xlsx', 'error': 'OSError: 磁盘已满'},
     {'step': '报表', 'what': '每日简报', 'error': '跳过: 它需要的 应收 没有结果'}]
    >>> failures.reports
    ['每日简报']
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

log = logging.getLogger("neiqin_xl")

REPORT = "报表"  # the step of a report's failure; ``what`` is the report's name
OUTPUT_FOLDER = "输出文件夹"  # the output folder took no file: the run went to the fallback folder


@dataclass(frozen=True)
class Failure:
    """One failed step of a run: the step (its source: 报表, 写出工作簿, 发送邮件, manifest.json …), what it
    was doing (a report's name, a file; may be empty) and the error as one line."""

    step: str
    what: str
    error: str

    def as_dict(self) -> dict[str, str]:
        """The manifest's form: ``{"step", "what" (when there is one), "error"}``."""
        return {"step": self.step, **({"what": self.what} if self.what else {}), "error": self.error}


class Failures(list):
    """The run's failures, in the order the day met them."""

    def add(self, step: str, what: str, error: str) -> None:
        self.append(Failure(step, what, error))

    @contextmanager
    def guard(self, step: str, what: str = "") -> Iterator[None]:
        """Runs the block; an exception in it is logged with its traceback and recorded, and the run goes on."""
        try:
            yield
        except Exception as exc:  # one step's failure must not lose the others' output
            log.error("%s 失败%s:\n%s", step, f" ({what})" if what else "", traceback.format_exc())
            self.append(Failure(step, what, f"{type(exc).__name__}: {exc}"))

    @property
    def reports(self) -> list[str]:
        """The reports that failed or were skipped, by name."""
        return [f.what for f in self if f.step == REPORT]

    def as_dicts(self) -> list[dict[str, str]]:
        return [f.as_dict() for f in self]
