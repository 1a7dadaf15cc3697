"""周/月/年工作总结: each rep's week, month and year of work, side by side for the general manager, and each
rep's own page for that rep; with the development of new customers (新客户开发).

Its place in the process: the last report before the 数据问题清单 (a rep's page lists the data problems of the
run still open in their own workbook). It reads the 日报 through ``books.activities`` and the period rules of
``books.periods``; it computes nothing the other reports give.

When: 周工作总结_<周一>_<周日>.xlsx on the first working day after the week's Sunday (``periods.weeks_due``: a
day the job did not run is caught up by the next run); 月工作总结_<YYYY-MM>.xlsx with the 月报 and
年工作总结_<YYYY>.xlsx with the 年报 (``periods.due_periods``). Figures are cut at the period's last day.

The clerk's and manager's workbook (mailed to recipients ``summary``, else to those of ``period``): 对比 (one
row per rep: activities, customers, first contacts, contracts, shipments and collections against the target, new
customers signed, 超期未签约, open follow-ups, open data problems, 报价转化: quotations of the period and those
signed by its end, ``books.quotations.period_conversion``), then one sheet per rep (one printed page), then
新客户开发 (all reps). A rep's own workbook (工作总结/<prefix>工作总结_<rep>_<code>.xlsx) holds only that rep's
page and goes to that rep only.

A rep's page: 本期活动 (by type), 业绩 (合同/发货/回款; 发货 against 销售目标, 回款 against 回款目标, each month's
target pro-rated to the period by working days: ``periods.prorated_targets``), 按客户, 首次接触的客户 (the
customer's first 日报 activity in the books was the rep's, in the period; 老客户 when a contract came before),
签订的合同, 待跟进 (下一步 not yet followed by a later activity with that customer, as of the period's end),
新客户开发 (the rep's customers being developed), 未解决的数据问题 (this run's problems located in the rep's
own workbook, <rep>.xlsx).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..books import periods as P
from ..books.activities import (ACTIVITY_KINDS, DEVELOPMENT_COLS, activities, activity_counts, by_customer, development,
                                development_by_rep, development_sheet, first_contacts, open_follow_ups)
from ..books.context import RunContext
from ..books.quotations import period_conversion
from ..books.roster import rep_names, workbook_keepers, workbook_owners
from ..core.files import Name
from ..core.model import REP, Problem, fmt_yuan
from ..core.names import normalize_name
from ..core.output import Delivery, ReportOutput
from ..core.schema import (ACTIVITY_TYPE, COLLECTION_AMOUNT, COLLECTION_TARGET, CONTRACT_AMOUNT, CONTRACT_NO, CUSTOMER,
                           NEXT_STEP, PRODUCT, SALES_TARGET, SHIPMENT_AMOUNT, SIGNING_DATE)
from ..core.sheets import DATE, INT, MONEY, PCT, Col, Sheet, Table, WorkbookSpec

PREFIX = {P.WEEK: "周", P.MONTH: "月", P.YEAR: "年"}
FOLDER = "工作总结"
COMPARE_COLS = [Col(REP), *(Col(k, INT) for k in ACTIVITY_KINDS), Col("活动合计", INT), Col("客户数", INT),
                Col("首次接触", INT), Col("合同数", INT), Col(CONTRACT_AMOUNT, MONEY), Col(SALES_TARGET, MONEY),
                Col(P.SIGN_RATE, PCT), Col(SHIPMENT_AMOUNT, MONEY), Col(COLLECTION_AMOUNT, MONEY), Col(COLLECTION_TARGET, MONEY),
                Col(P.COLLECT_RATE, PCT), Col("新签约客户", INT), Col("超期未签约", INT), Col("待跟进", INT),
                Col("数据问题", INT), Col("报价单数", INT), Col("已转合同", INT), Col("报价转化率", PCT)]
PERFORMANCE_COLS = [Col("指标"), Col("本期", MONEY), Col("目标(按工作日折算)", MONEY, total=False), Col("完成率", PCT)]
BY_CUSTOMER_COLS = [Col(CUSTOMER), *(Col(k, INT) for k in ACTIVITY_KINDS), Col("合计", INT), Col("最近日期", DATE)]
FIRST_COLS = [Col(CUSTOMER), Col("日期", DATE), Col(ACTIVITY_TYPE), Col("内容"), Col("类型")]
CONTRACT_COLS = [Col(CONTRACT_NO), Col(SIGNING_DATE, DATE), Col(CUSTOMER), Col(PRODUCT), Col(CONTRACT_AMOUNT, MONEY)]
FOLLOW_UP_COLS = [Col("日期", DATE), Col(CUSTOMER), Col(NEXT_STEP), Col("已过天数", INT, total=False)]
PROBLEM_COLS = [Col("位置"), Col("严重程度"), Col("问题"), Col("建议")]


@dataclass(frozen=True)
class RepPage:
    """One rep's page of a summary (frames already cut to the rep)."""

    rep: str
    activity: pd.DataFrame  # one row: 拜访 电话 会议 其他 活动合计 客户数 首次接触 待跟进 数据问题
    performance: pd.DataFrame  # PERFORMANCE_COLS
    customers: pd.DataFrame
    first_contacts: pd.DataFrame
    contracts: pd.DataFrame
    follow_ups: pd.DataFrame
    development: pd.DataFrame
    problems: pd.DataFrame


@dataclass(frozen=True)
class Summary:
    period: P.Period
    compare: pd.DataFrame  # COMPARE_COLS
    pages: tuple[RepPage, ...]
    development: pd.DataFrame  # activities.DEVELOPMENT_COLUMNS, every rep
    development_by_rep: pd.DataFrame  # activities.DEVELOPMENT_REP_COLUMNS

    @property
    def name(self) -> str:
        """周工作总结 / 月工作总结 / 年工作总结."""
        return f"{PREFIX[self.period.kind]}工作总结"

    @property
    def filename(self) -> str:
        return f"{self.name}_{self.period.code}.xlsx"


@dataclass(frozen=True)
class SummaryData:
    """The report's ``data`` (no later report reads it): the summaries made this run."""

    summaries: tuple[Summary, ...]


# ---------------------------------------------------------------- computing

def due(ctx: RunContext) -> list[P.Period]:
    """The weeks due (``weeks_due``), then the months and years whose period reports are due."""
    last = ctx.options.last_run_date
    weeks = P.weeks_due(ctx.run_date, last, ctx.workdays)
    return [*weeks, *(p for p in P.due_periods(ctx.run_date, last, ctx.workdays) if p.kind in (P.MONTH, P.YEAR))]


def summary_reps(tables, acts: pd.DataFrame) -> list[str]:
    """The roster's reps (``books.roster``), then anyone else whose workbook gave rows, by name."""
    owners = workbook_owners(tables)
    listed = rep_names(tables["人员"], workbook_keepers(tables))
    return [*listed, *sorted((owners | {r for r in acts[REP] if r}) - set(listed))]


def own_problems(problems: list[Problem], rep: str) -> pd.DataFrame:
    """位置, 严重程度, 问题, 建议 of the run's problems located in the rep's own workbook (<rep>.xlsx)."""
    mine = [p for p in problems if p.workbook and normalize_name(Path(p.workbook).stem) == rep]
    return pd.DataFrame([{"位置": p.where(), "严重程度": p.severity, "问题": p.message, "建议": p.suggestion}
                         for p in mine], columns=[c.name for c in PROBLEM_COLS])


def performance(figures: dict, targets: dict) -> pd.DataFrame:
    """合同金额 against 销售目标 (签约完成率), 发货金额 (no target of its own: no rate), 回款金额 against 回款目标
    (回款完成率): 本期, 目标, 完成率; a rep without a target reads 无目标."""
    rows = []
    for metric, target in ((CONTRACT_AMOUNT, SALES_TARGET), (SHIPMENT_AMOUNT, None), (COLLECTION_AMOUNT, COLLECTION_TARGET)):
        goal = targets.get(target) if target else None
        rate = (P.ratio(figures.get(metric, 0), goal) if goal is not None else P.NO_TARGET) if target else None
        rows.append({"指标": metric, "本期": figures.get(metric, 0), "目标(按工作日折算)": goal, "完成率": rate})
    return pd.DataFrame(rows).astype({"目标(按工作日折算)": "Int64"})


def rate(actual: int, goal: int | None) -> object:
    """A 完成率, or 无目标 for a rep without a target."""
    return P.NO_TARGET if goal is None else P.ratio(actual, goal)


def compute(ctx: RunContext, period: P.Period, acts: pd.DataFrame, firsts: pd.DataFrame) -> Summary:
    tables, start, end = ctx.tables, period.start, period.end
    stale = ctx.settings.development.stale_days
    in_period = acts[(acts["日期"] >= pd.Timestamp(start)) & (acts["日期"] <= pd.Timestamp(end))]
    counts = activity_counts(tables, start, end).set_index(REP)
    figures = P.window_figures_by_rep(tables, start, end).set_index(REP)
    targets = P.prorated_targets(tables, start, end, ctx.workdays).set_index(REP)
    customers = by_customer(acts, start, end)
    new = P.rows_between(firsts, "日期", start, end)
    contracts = P.rows_between(tables["合同"], SIGNING_DATE, start, end)
    follow = open_follow_ups(acts, end)
    dev = development(acts, tables, ctx.customers, start, end, stale)
    dev_rep = development_by_rep(acts, tables, ctx.customers, start, end, stale)
    quoted = period_conversion(tables["报价"], tables["合同"], start, end).set_index(REP)  # 报价转化 (issue 33)
    pages, rows = [], []
    for rep in summary_reps(tables, acts):
        kinds = {k: int(counts.at[rep, k]) if rep in counts.index else 0 for k in ACTIVITY_KINDS}
        money = {c: int(figures.at[rep, c]) if rep in figures.index else 0 for c in P.FIGURE_COLUMNS}
        goals = {c: int(targets.at[rep, c]) if rep in targets.index else None for c in (SALES_TARGET, COLLECTION_TARGET)}
        seen = in_period[(in_period[REP] == rep) & (in_period[CUSTOMER] != "")][CUSTOMER].nunique()
        problems = own_problems(ctx.problems, rep)
        page = RepPage(
            rep=rep,
            activity=pd.DataFrame([{**kinds, "活动合计": sum(kinds.values()), "客户数": int(seen),
                                    "首次接触": int((new[REP] == rep).sum()),
                                    "待跟进": int((follow[REP] == rep).sum()), "数据问题": len(problems)}]),
            performance=performance(money, goals),
            customers=customers[customers[REP] == rep], first_contacts=new[new[REP] == rep],
            contracts=contracts[contracts[REP].astype(str) == rep], follow_ups=follow[follow[REP] == rep],
            development=dev[dev[REP] == rep], problems=problems)
        pages.append(page)
        mine = dev_rep[dev_rep[REP] == rep]
        rows.append({REP: rep, **kinds, "活动合计": sum(kinds.values()), "客户数": int(seen),
                     "首次接触": page.activity.at[0, "首次接触"], "合同数": money["合同数"], CONTRACT_AMOUNT: money[CONTRACT_AMOUNT],
                     SALES_TARGET: goals[SALES_TARGET], P.SIGN_RATE: rate(money[CONTRACT_AMOUNT], goals[SALES_TARGET]),
                     SHIPMENT_AMOUNT: money[SHIPMENT_AMOUNT], COLLECTION_AMOUNT: money[COLLECTION_AMOUNT],
                     COLLECTION_TARGET: goals[COLLECTION_TARGET], P.COLLECT_RATE: rate(money[COLLECTION_AMOUNT], goals[COLLECTION_TARGET]),
                     "新签约客户": int(mine["新签约"].sum()), "超期未签约": int(mine["超期未签约"].sum()),
                     "待跟进": page.activity.at[0, "待跟进"], "数据问题": len(problems),
                     **({c: quoted.at[rep, c] for c in ("报价单数", "已转合同", "报价转化率")} if rep in quoted.index
                        else {"报价单数": 0, "已转合同": 0, "报价转化率": None})})
    compare = pd.DataFrame(rows, columns=[c.name for c in COMPARE_COLS]).astype({SALES_TARGET: "Int64", COLLECTION_TARGET: "Int64"})
    return Summary(period, compare, tuple(pages), dev, dev_rep)


# ---------------------------------------------------------------- layout

def _subtitle(summary: Summary, company: str) -> list[str]:
    p = summary.period
    return [f"期间 {p.start.isoformat()} ~ {p.end.isoformat()}", company]


def rep_sheet(summary: Summary, page: RepPage, company: str, name: str) -> Sheet:
    """A rep's page: every table on one printed page (portrait, fitted)."""
    activity_cols = [*(Col(k, INT) for k in ACTIVITY_KINDS), Col("活动合计", INT), Col("客户数", INT),
                     Col("首次接触", INT), Col("待跟进", INT), Col("数据问题", INT)]
    return Sheet(name, [
        Table(activity_cols, page.activity, heading="本期活动 (日报)", autofilter=False),
        Table(PERFORMANCE_COLS, page.performance, heading="业绩 (签约完成率 = 合同金额 ÷ 销售目标, 回款完成率 = 回款金额 ÷ "
                                                           "回款目标; 月目标按工作日折算到本期)",
              autofilter=False),
        Table(BY_CUSTOMER_COLS, page.customers, heading="按客户", autofilter=False),
        Table(FIRST_COLS, page.first_contacts, heading="首次接触的客户", autofilter=False),
        Table(CONTRACT_COLS, page.contracts, heading="签订的合同", totals=True, autofilter=False),
        Table(FOLLOW_UP_COLS, page.follow_ups, heading="待跟进 (下一步之后尚无与该客户的活动)", autofilter=False),
        Table(DEVELOPMENT_COLS, page.development, heading="新客户开发", autofilter=False),
        Table(PROBLEM_COLS, page.problems, heading="未解决的数据问题 (您的台账)", autofilter=False),
    ], title=f"{summary.name} {summary.period.label} — {page.rep}", subtitle=_subtitle(summary, company),
        landscape=False, fit_one_page=True, freeze=False)


def layout(summary: Summary, company: str, stale_days: int) -> tuple[WorkbookSpec, dict[str, WorkbookSpec]]:
    """The manager's workbook (对比, a page per rep, 新客户开发) and each rep's own."""
    title = f"{summary.name} {summary.period.label}"
    subtitle = _subtitle(summary, company)
    frame = summary.compare
    basis = P.rate_basis(frame, pd.Series(["" if pd.notna(t) else P.NO_TARGET for t in frame[COLLECTION_TARGET]], dtype=object))
    rates = {rate: basis[rate]["rate"] for rate, _, _ in P.RATES if basis[rate]["rate"] is not None}
    notes = ["目标: 各月目标按本期所含工作日折算; 签约完成率 = 合同金额 ÷ 销售目标, 回款完成率 = 回款金额 ÷ 回款目标 "
             "(与日报、月报同一口径); 发货没有目标, 不计完成率。",
             "待跟进: 日报写了下一步, 之后尚无与该客户的活动。数据问题: 本次运行中该业务员台账里的问题。"]
    if basis["excluded"]:
        notes.insert(1, f"合计完成率只计有目标的业务员 ({basis['reps']} 人): " + "; ".join(
            f"{rate} = ¥{fmt_yuan(basis[rate]['actual'])} ÷ ¥{fmt_yuan(basis[rate]['target'])}" for rate, _, _ in P.RATES)
            + f"。未计入: {'、'.join(basis['excluded'])}。")
        rates = {k: "见下注" for k in rates}
    compare = Sheet("对比", [Table(COMPARE_COLS, frame, totals=True, totals_values=rates)],
                    title=f"{title} 业务员对比", subtitle=subtitle, notes=notes)
    pages = [rep_sheet(summary, page, company, page.rep) for page in summary.pages]
    manager = WorkbookSpec(summary.filename, [compare, *pages, development_sheet(
        f"{title} 新客户开发", subtitle, summary.development_by_rep, summary.development, stale_days)])
    own = {page.rep: WorkbookSpec(Name(page.rep, before=f"{summary.name}_", after=f"_{summary.period.code}.xlsx"),
                                  [rep_sheet(summary, page, company, summary.name)], subfolder=FOLDER, for_rep=page.rep)
           for page in summary.pages}
    return manager, own


# ---------------------------------------------------------------- entry point

NEEDS: tuple[str, ...] = ()


def recipients_key(ctx: RunContext) -> str:
    """``summary`` when config.yaml names its recipients, else ``period``: the general manager, who gets the
    period reports, gets the reps compared with them."""
    return "summary" if "summary" in ctx.settings.email.recipients else "period"


def build(ctx: RunContext) -> ReportOutput:
    periods = due(ctx)
    output = ReportOutput(figures={"produced": []}, data=SummaryData(()))
    if not periods:
        return output
    last = max(p.end for p in periods)
    acts = activities(ctx.tables, ctx.customers, last)
    summaries = []
    for period in periods:
        cut = acts[acts["日期"] <= pd.Timestamp(period.end)]
        summary = compute(ctx, period, cut, first_contacts(cut, ctx.tables, ctx.customers))
        summaries.append(summary)
        manager, own = layout(summary, ctx.settings.company.name, ctx.settings.development.stale_days)
        output.workbooks += [manager, *own.values()]
        title = f"{summary.name} {summary.period.label}"
        c = summary.compare
        output.deliveries.append(Delivery(
            report=recipients_key(ctx), title=title, attachments=[manager],
            key_figure=f"活动 {int(c['活动合计'].sum())} 次",
            summary_text=f"{title}: {len(c)} 位业务员, 活动 {int(c['活动合计'].sum())} 次, 首次接触客户 "
                         f"{int(c['首次接触'].sum())} 个, 新签约客户 {int(c['新签约客户'].sum())} 个, 超期未签约 "
                         f"{int(c['超期未签约'].sum())} 个, 待跟进 {int(c['待跟进'].sum())} 项。"))
        for page in summary.pages:
            row = page.activity.iloc[0]
            output.deliveries.append(Delivery(
                report="summary", rep=page.rep, title=title, attachments=[own[page.rep]],
                summary_text=f"{page.rep}: {title}, 活动 {int(row['活动合计'])} 次, 待跟进 {int(row['待跟进'])} 项, "
                             f"台账中未解决的数据问题 {int(row['数据问题'])} 条。请查看附件。"))
        output.figures["produced"].append({
            "kind": summary.name, "start": period.start.isoformat(), "end": period.end.isoformat(),
            "file": summary.filename, "reps": int(len(c)), "activities": int(c["活动合计"].sum()),
            "first_contacts": int(c["首次接触"].sum()), "new_customers_signed": int(c["新签约客户"].sum()),
            "stale": int(c["超期未签约"].sum()), "open_follow_ups": int(c["待跟进"].sum())})
    return ReportOutput(workbooks=output.workbooks, figures=output.figures, data=SummaryData(tuple(summaries)),
                        deliveries=output.deliveries)
