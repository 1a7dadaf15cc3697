"""The reports, in the order the clerk's day makes them (``REPORTS``), and the runner that makes them
(``run_reports``): the one module of reports/ that names the others (no report imports another).

Each report module declares ``NEEDS`` (earlier reports whose ``data`` its ``build`` takes), may declare
``USES`` (taken when they produced data, else None) and ``DUE`` (the days it is made, ``books.due``; none:
every run). The runner hands each report what it declares, applies its ``DUE``, records a report that
raised or whose need failed as a ``Failure`` (step 报表) and goes on with the others. The 数据问题清单
(``problems``) is made after the reports have added their problems, by the day itself.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from types import ModuleType

from ..books.context import RunContext
from ..core.failures import REPORT, Failures
from ..core.output import ReportOutput
from . import (archive, audit, collection_reminders, commission, daily, expenses, fulfilment, journal,
              period_report, quotes, receivables, reconciliation, review, service, shipment_plan, shipping,
              statement_tracking, statements, summary, tender_register, tracking)

log = logging.getLogger("neiqin_xl")

# The reports, in the order the clerk's day produces them; a report's NEEDS and USES name earlier ones.
REPORTS: list[tuple[str, ModuleType]] = [
    ("receivables", receivables),  # 应收账款明细账 + 账龄
    ("statements", statements),  # 往来款项对账确认函
    ("statement_tracking", statement_tracking),  # 对账跟踪 (the replies in master/对账回执.xlsx; the reps' 对账函催办)
    ("quotes", quotes),  # 报价单 + 报价登记表
    ("review", review),  # 合同评审 of the contracts new this run (needs the receivables' aging)
    ("fulfilment", fulfilment),  # 合同履行一览表 (after the review: it shows its verdicts, 评审结论)
    ("shipping", shipping),  # 发货审核
    ("commission", commission),  # 提成计算表 + 提成确认单
    ("expenses", expenses),  # 费用审核
    ("reconciliation", reconciliation),  # 财务对账
    ("plan", shipment_plan),  # 发货计划 (weekly)
    ("tenders", tender_register),  # 投标台账
    ("tracking", tracking),  # 货物跟踪
    ("audit", audit),  # 变更记录 (the changes since the last official run; the closed months' differences)
    ("journal", journal),  # 销售明细账 (uses the reconciliation's months: mailed with them)
    ("daily", daily),  # 销售日报
    ("period", period_report),  # 五日报 / 月报 / 季报 / 年报
    ("service", service),  # 客户服务跟踪
    ("archive", archive),  # 客户档案汇总
    ("summary", summary),  # 周/月/年工作总结 + 新客户开发 (the reps' open problems: after the other reports)
    ("collection_reminders", collection_reminders),  # 回款提醒 (回款计划 lines late or due soon)
]
REPORT_NAMES = [name for name, _ in REPORTS] + ["problems"]

Step = Callable[[str], AbstractContextManager]  # names and times a step (the day's ``Steps``)


def run_reports(ctx: RunContext, step: Step | None = None, only: list[str] | None = None,
                made: Callable[[str, ReportOutput], None] | None = None) -> tuple[dict[str, ReportOutput], Failures]:
    """Builds each report in order, handing it the ``data`` of the earlier reports it needs; returns the
    outputs of the reports wanted and the reports that failed. ``made`` is given each wanted report's
    output as soon as it is built (the day hands its workbooks to the writers while the next is computed).

    One report's failure is recorded and the others go on; a report whose need failed is skipped (logged,
    recorded as failed). With ``only``, the reports named run and, before them, what they need (transitively):
    the needed ones are built for their data only (no workbook, no mail, no figures; their problems count).
    """
    step = step or (lambda name: nullcontext())
    wanted = set(only) if only else {name for name, _ in REPORTS}
    to_run = with_needs(wanted)
    outputs: dict[str, ReportOutput] = {}
    failed = Failures()
    results: dict[str, object] = {}  # each report's data, for the later ones
    for name, module in REPORTS:
        if name not in to_run:
            continue
        missing = [need for need in module.NEEDS if need not in results]
        if missing:
            log.error("报表 %s 跳过: 它需要的 %s 没有结果", name, "、".join(missing))
            failed.add(REPORT, name, f"跳过: 它需要的 {'、'.join(missing)} 没有结果")
            continue
        inputs = {need: results[need] for need in module.NEEDS}
        inputs.update({used: results.get(used) for used in getattr(module, "USES", ())})
        with step(name), failed.guard(REPORT, name):  # a bug in one report must not lose the others
            out = build_report(name, ctx, **inputs)
            results[name] = out.data
            ctx.problems.extend(out.problems)
            if name in wanted:
                outputs[name] = out
            else:
                log.info("报表 %s 只为后面的报表计算, 不写出", name)
        if made is not None and name in outputs:
            made(name, outputs[name])
    return outputs, failed


def build_report(name: str, ctx: RunContext, **inputs) -> ReportOutput:
    """Report ``name`` built from ``inputs`` when it is due on this run (its ``DUE``); else its figures say
    why not and it gives nothing else."""
    module = dict(REPORTS)[name]
    due = getattr(module, "DUE", None)
    why = due.missed(name, ctx) if due else ""
    if why:
        log.info("报表 %s 本次不生成: %s", name, why)
        return ReportOutput(figures={"produced": False, "date": ctx.run_date.isoformat(), "reason": why})
    return module.build(ctx, **inputs)


def with_needs(names: set[str]) -> set[str]:
    """``names`` and, transitively, the reports they need (``NEEDS``; not ``USES``)."""
    modules = dict(REPORTS)
    pending, found = list(names), set()
    while pending:
        name = pending.pop()
        if name in modules and name not in found:
            found.add(name)
            pending.extend(modules[name].NEEDS)
    return found
