"""What a report gives back (``ReportOutput``): the workbooks to write, the figures for manifest.json, the
data problems it found, its typed ``data`` for later reports (``core.results``) and the ``Delivery``s to mail.
What a report gets is ``books.context.RunContext``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .model import Problem
from .sheets import WorkbookSpec


@dataclass(frozen=True)
class Delivery:
    """Something to mail. Deliveries with the same report recipients on one day go in one message.

    ``report`` is the key of ``email.recipients`` in config.yaml (daily, period, shipping, reconciliation,
    commission, problems, reminder, tracking, notice, plan). With ``rep`` set the message goes to that rep only (address from
    master/人员.xlsx) and must hold that rep's data only. With ``customer`` set it goes to that customer's
    address (``to``) only. A report names its ``attachments``: a workbook of its
    own (the ``WorkbookSpec``, whatever file name the writer gives it), or a path relative to the output
    folder (or none: all of its top-level files); the pipeline makes a new Delivery with the files written
    (``deliver.publish.attach_files``).
    """

    report: str
    title: str  # 销售日报 / 五日报 2026-11-21~2026-11-25 / 提成确认单 …
    attachments: list[Path | str | WorkbookSpec] = field(default_factory=list)
    rep: str | None = None
    key_figure: str = ""  # for the subject: "回款 ¥123,456.00"
    summary_html: str = ""  # an HTML fragment (inline styles) for the body
    summary_text: str = ""
    # a message to a customer (the 发货通知, the 对账函): their name and their address from 客户档案. It goes to
    # ``to`` (and ``copy_rep``) only, carries only the attachments it names, and is sent once ever (``deliver.mail``), never again on a later run
    customer: str = ""
    to: tuple[str, ...] = ()
    copy_rep: str = ""  # a customer's message with this rep copied (cc, address from 人员): the 对账函
    pdf: bool = False  # attach each workbook's PDF beside it when LibreOffice is installed (deliver.office)
    # what makes the message itself for the once-per-day rule when its title does not (the clerk's 运行异常 notice:
    # its content, so a new problem the same day is a new notice and the same one is not said again); "" = its title
    identity: str = ""


@dataclass
class ReportOutput:
    workbooks: list[WorkbookSpec] = field(default_factory=list)
    figures: dict[str, Any] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    data: Any = None  # the report's typed, frozen result (core.results for those later reports read)
    deliveries: list[Delivery] = field(default_factory=list)
