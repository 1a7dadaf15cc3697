"""对账跟踪: every 对账函 sent, whether it came back 相符 or 不符, and who has to chase the ones that did not.

Runs after the 对账函 (``NEEDS``: their ``StatementsData`` letters of the last ``statements.track_periods``
periods, and the receivables ledger for the disputed customers' items). A letter counts as sent from its
发出日期 (the first working day after its period's end: mailed then when ``statements.send`` is on, posted by the
clerk otherwise). The replies are the clerk's master/对账回执.xlsx (sheet 回执: 对账编号, 回执日期, 结果, 客户确认余额,
不符金额, 说明, 附件), read like the other master files; each row is checked, a problem naming its cell:

- an 对账编号 that no letter has (错误; the row is left out);
- a 结果 other than 相符 / 不符 (错误; left out);
- a 不符 whose 不符金额 is not our 期末余额 − 客户确认余额 (警告; the difference shown is ours: 期末 − 确认), or that
  gives neither figure (警告);
- a 相符 whose 客户确认余额 is not our 期末余额 (警告).
An 对账编号 entered twice: the row with the latest 回执日期 counts.

Each letter is then 已确认 (相符), 不符 (the difference, the customer's explanation, and our period's items beside
it so the rep can find the cause) or 未回执 (working days since sent; 需催办 once more than
``statements.reply_days`` working days have passed, i.e. after its 回复期限). Per period: letters sent, confirmed,
disputed, outstanding, the amount confirmed (相符 letters' positive 期末余额) and its share of the receivables at the
period's end (the auditor's figure).

Workbook 对账跟踪_<D>.xlsx (汇总, 未回执, 不符, 已确认, 无对账邮箱). When ``statements.send`` is on (the run mails
the letters), each rep with a letter to chase or a difference gets 对账催办/对账催办_<rep>_<D>.xlsx with their own
customers only, mailed to them on working days; with sending off the clerk posts the letters and chases them. ``data`` is a
``TrackingSummary``: the 日报 adds one 今日要点 line (``line``) when something is due.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pandas as pd

from ..books.context import RunContext
from ..books.validate import Columns, problem
from ..core.files import Name
from ..core.model import ERROR, REP, WARNING, Problem, fmt_yuan, text
from ..core.output import Delivery, ReportOutput
from ..core.results import ReceivablesData
from ..core.schema import CLOSING_BALANCE, CONFIRMED, CONTRACT_NO, CUSTOMER, DISPUTED, RECEIPTS
from ..core.sheets import DATE, INT, MONEY, PCT, Col, Sheet, Table, WorkbookSpec

CONFIRMED_STATE, DISPUTED_STATE, WAITING, CHASE = "已确认", "不符", "等待回复", "需催办"
SUMMARY_COLUMNS = ["期间", "发出", "已确认", "不符", "未回执", "其中需催办", "已确认金额", "期末应收总额", "确认比例"]


@dataclass(frozen=True)
class TrackingSummary:
    """What the 日报 reads: how many letters are past their 回复期限 and how many are disputed."""

    chase: int
    disputed: int
    filename: str

    @property
    def line(self) -> str:
        return f"对账函逾期未回 {self.chase} 份, 核对不符 {self.disputed} 份; 明细见 {self.filename}"


# ---------------------------------------------------------------------------- the replies

def given(amount: object) -> int | None:
    """A money cell of the 回执 as typed, None when left blank: the intake reads a blank amount as 0, so a 0 counts
    as blank (a customer confirming 0 against our 0 agrees either way).

    >>> given(0), given(None), given(123450)
    (None, None, 123450)
    """
    return None if amount is None or pd.isna(amount) or int(amount) == 0 else int(amount)


def read_replies(receipts: pd.DataFrame, letters: pd.DataFrame, columns: Columns) -> tuple[pd.DataFrame, list[Problem]]:
    """The 回执 rows that count (one per 对账编号, the latest 回执日期) with 差异 (期末 − 客户确认余额 or 不符金额),
    and the problems found in them."""
    closing = dict(zip(letters["对账编号"], letters[CLOSING_BALANCE]))
    found: list[Problem] = []
    kept = []
    for row in receipts.to_dict("records") if len(receipts) else []:
        number, result = text(row.get("对账编号")), text(row.get("结果"))
        if number not in closing:
            found.append(problem(row, columns, RECEIPTS, ERROR, "不是已发出的对账函的编号, 本行未计入对账跟踪", "对账编号",
                                 "请按对账函右上角的对账编号填写 (如 DZ-202611-KH001)"))
            continue
        if result not in (CONFIRMED, DISPUTED):
            found.append(problem(row, columns, RECEIPTS, ERROR, "结果应为 相符 或 不符, 本行未计入对账跟踪", "结果",
                                 "相符 / 不符"))
            continue
        ours = int(closing[number])
        confirmed, stated = given(row.get("客户确认余额")), given(row.get("不符金额"))
        difference = 0
        if result == DISPUTED:
            if confirmed is not None:
                difference = ours - confirmed
                if stated is not None and stated != difference:
                    found.append(problem(row, columns, RECEIPTS, WARNING,
                                         f"不符金额 {fmt_yuan(stated)} 不等于 我司期末余额 {fmt_yuan(ours)} − 客户确认余额 "
                                         f"{fmt_yuan(confirmed)} = {fmt_yuan(difference)}; 对账跟踪按 {fmt_yuan(difference)} 列示",
                                         "不符金额", "请核对回执上的金额", value=fmt_yuan(stated)))
            elif stated is not None:
                difference = stated
            else:
                found.append(problem(row, columns, RECEIPTS, WARNING, "核对不符但没有填写客户确认余额或不符金额", "客户确认余额",
                                     "请按回执填写客户确认余额"))
        elif confirmed is not None and confirmed != ours:
            found.append(problem(row, columns, RECEIPTS, WARNING,
                                 f"结果为相符, 但客户确认余额不等于我司期末余额 {fmt_yuan(ours)}", "客户确认余额",
                                 "请核对回执: 是否应为 不符", value=fmt_yuan(confirmed)))
        kept.append({"对账编号": number, "回执日期": row.get("回执日期"), "结果": result, "客户确认余额": confirmed,
                     "差异": difference, "说明": text(row.get("说明")), "附件": text(row.get("附件"))})
    replies = pd.DataFrame(kept, columns=["对账编号", "回执日期", "结果", "客户确认余额", "差异", "说明", "附件"])
    replies = replies.sort_values("回执日期", kind="stable", na_position="first").drop_duplicates("对账编号", keep="last")
    return replies, found


def letter_states(letters: pd.DataFrame, replies: pd.DataFrame, ctx: RunContext) -> pd.DataFrame:
    """The letters sent by the run date, each with its reply and 状态 (已确认 / 不符 / 等待回复 / 需催办) and 已过工作日."""
    day = ctx.run_date
    sent = letters[letters["发出日期"] <= day].merge(replies, on="对账编号", how="left")
    sent["已过工作日"] = ctx.workdays.since_each(list(sent["发出日期"]), day)
    late = [d > due for d, due in zip([day] * len(sent), sent["回复期限"])]
    sent["状态"] = [CONFIRMED_STATE if r == CONFIRMED else DISPUTED_STATE if r == DISPUTED else CHASE if x else WAITING
                  for r, x in zip(sent["结果"], late)]
    return sent.reset_index(drop=True)


def period_summary(states: pd.DataFrame, totals: dict[str, int]) -> pd.DataFrame:
    """Per period (latest first): letters sent, confirmed, disputed, outstanding and to chase; the amount confirmed
    (相符 letters' positive 期末余额) and its share of the receivables at the period's end."""
    rows = []
    for period, group in states.groupby("期间", sort=False):
        ok = group[group["状态"] == CONFIRMED_STATE]
        amount = int(ok[CLOSING_BALANCE].clip(lower=0).sum())
        total = totals.get(period, 0)
        rows.append({"期间": period, "发出": len(group), "已确认": len(ok),
                     "不符": int((group["状态"] == DISPUTED_STATE).sum()),
                     "未回执": int(group["状态"].isin((WAITING, CHASE)).sum()),
                     "其中需催办": int((group["状态"] == CHASE).sum()), "已确认金额": amount, "期末应收总额": total,
                     "确认比例": (Decimal(amount) / Decimal(total)).quantize(Decimal("0.0001")) if total else None})
    return pd.DataFrame(rows, columns=SUMMARY_COLUMNS)


def period_items(states: pd.DataFrame, ledger: pd.DataFrame) -> pd.DataFrame:
    """Our ledger rows in each disputed letter's period, beside its 对账编号: where the rep looks for the cause."""
    disputed = states[states["状态"] == DISPUTED_STATE]
    parts = []
    for letter in disputed.to_dict("records"):
        rows = ledger[(ledger[CUSTOMER] == letter[CUSTOMER]) & (ledger["日期"] >= pd.Timestamp(letter["期间起"]))
                      & (ledger["日期"] <= pd.Timestamp(letter["期间止"]))]
        parts.append(rows.assign(对账编号=letter["对账编号"])[["对账编号", CUSTOMER, "日期", "单据类型", "单据号", CONTRACT_NO,
                                                           "摘要", "借方", "贷方"]])
    columns = ["对账编号", CUSTOMER, "日期", "单据类型", "单据号", CONTRACT_NO, "摘要", "借方", "贷方"]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=columns)


# ---------------------------------------------------------------------------- the workbooks

OUT_COLS = [Col("对账编号"), Col(CUSTOMER), Col(REP), Col("期间"), Col("发出日期", DATE), Col("回复期限", DATE),
            Col("已过工作日", INT, total=False), Col(CLOSING_BALANCE, MONEY), Col("对账邮箱"), Col("状态")]
DISPUTE_COLS = [Col("对账编号"), Col(CUSTOMER), Col(REP), Col("期间"), Col(CLOSING_BALANCE, MONEY), Col("客户确认余额", MONEY),
                Col("差异", MONEY), Col("说明"), Col("回执日期", DATE)]
ITEM_COLS = [Col("对账编号"), Col(CUSTOMER), Col("日期", DATE), Col("单据类型"), Col("单据号"), Col(CONTRACT_NO), Col("摘要"),
             Col("借方", MONEY), Col("贷方", MONEY)]


def disputed_tables(disputed: pd.DataFrame, items: pd.DataFrame) -> list[Table]:
    return [Table(DISPUTE_COLS, disputed, heading="核对不符 (差异 = 我司期末余额 − 客户确认余额)", totals=True),
            Table(ITEM_COLS, items, heading="不符客户本期我司单据 (据此查找差异原因)", autofilter=False)]


def outstanding(states: pd.DataFrame) -> pd.DataFrame:
    rows = states[states["状态"].isin((WAITING, CHASE))].sort_values(["已过工作日"], ascending=False, kind="stable")
    return rows.assign(对账邮箱=rows["对账邮箱"].where(rows["对账邮箱"] != "", "无 (需手工寄送)")).reset_index(drop=True)


def layout(states: pd.DataFrame, summary: pd.DataFrame, items: pd.DataFrame, no_address: pd.DataFrame,
           day: date, reply_days: int) -> WorkbookSpec:
    subtitle = [f"截至 {day.isoformat()}; 发出后 {reply_days} 个工作日未回执的列为需催办"]
    summary_cols = [Col("期间"), *(Col(c, INT) for c in SUMMARY_COLUMNS[1:6]), Col("已确认金额", MONEY),
                    Col("期末应收总额", MONEY), Col("确认比例", PCT, total=False)]
    confirmed = states[states["状态"] == CONFIRMED_STATE].reset_index(drop=True)
    disputed = states[states["状态"] == DISPUTED_STATE].reset_index(drop=True)
    sheets = [Sheet("汇总", [Table(summary_cols, summary, autofilter=False)], title="对账跟踪 按期间汇总", subtitle=subtitle),
              Sheet("未回执", [Table(OUT_COLS, outstanding(states), totals=True)], title="未回执的对账函", subtitle=subtitle),
              Sheet("不符", disputed_tables(disputed, items), title="核对不符的对账函", subtitle=subtitle),
              Sheet("已确认", [Table([Col("对账编号"), Col(CUSTOMER), Col(REP), Col("期间"), Col(CLOSING_BALANCE, MONEY),
                                     Col("回执日期", DATE), Col("附件")], confirmed, totals=True)],
                    title="已确认相符的对账函", subtitle=subtitle),
              Sheet("无对账邮箱", [Table([Col("对账编号"), Col(CUSTOMER), Col(REP), Col(CLOSING_BALANCE, MONEY)], no_address)],
                    title="客户档案中没有对账邮箱的客户 (请手工寄送对账函, 或在客户档案补填对账邮箱)", subtitle=subtitle)]
    return WorkbookSpec(f"对账跟踪_{day.isoformat()}.xlsx", sheets)


def rep_chase(rep: str, states: pd.DataFrame, items: pd.DataFrame, day: date) -> WorkbookSpec:
    """The rep's own customers' letters to chase and differences to explain."""
    own = states[states[REP] == rep]
    chase = own[own["状态"] == CHASE].sort_values("已过工作日", ascending=False, kind="stable").reset_index(drop=True)
    disputed = own[own["状态"] == DISPUTED_STATE].reset_index(drop=True)
    own_items = items[items["对账编号"].isin(disputed["对账编号"])].reset_index(drop=True)
    sheets = [Sheet("需催办", [Table(OUT_COLS, outstanding(chase), totals=True)], title=f"对账函催办 {rep}",
                    subtitle=[f"截至 {day.isoformat()}: 以下客户超过回复期限尚未寄回对账函, 请联系客户财务尽快签章寄回"]),
              Sheet("不符", disputed_tables(disputed, own_items), title=f"核对不符 {rep}",
                    subtitle=["请与客户核对差异原因, 结果告知内勤"])]
    return WorkbookSpec(Name(rep, before="对账催办_", after=f"_{day.isoformat()}.xlsx"), sheets, subfolder="对账催办",
                        for_rep=rep)


NEEDS = ("receivables", "statements")  # earlier reports whose data ``build`` takes


def build(ctx: RunContext, receivables: ReceivablesData, statements) -> ReportOutput:
    day, settings = ctx.run_date, ctx.settings
    letters = statements.letters
    replies, found = read_replies(ctx.tables[RECEIPTS.name], letters, Columns(ctx.tables))
    states = letter_states(letters, replies, ctx)
    summary = period_summary(states, statements.receivables_total)
    items = period_items(states, receivables.ledger)
    current = letters[letters["期间"] == statements.period.code]
    no_address = current.loc[current["对账邮箱"] == "", ["对账编号", CUSTOMER, REP, CLOSING_BALANCE]].reset_index(drop=True)
    spec = layout(states, summary, items, no_address, day, settings.statements.reply_days)
    chase, disputed = int((states["状态"] == CHASE).sum()), int((states["状态"] == DISPUTED_STATE).sum())
    workbooks, deliveries = [spec], []
    owing = states[states["状态"].isin((CHASE, DISPUTED_STATE)) & (states[REP] != "")]
    # the reps are chased only for letters the run mailed (statements.send): with sending off the clerk posts
    # them, and a rep must not be told of letters nobody may have sent
    for rep in sorted(set(owing[REP])) if settings.statements.send else []:
        chase_book = rep_chase(rep, states, items, day)
        workbooks.append(chase_book)
        if ctx.workdays.is_workday(day):
            n = int(((owing[REP] == rep) & (owing["状态"] == CHASE)).sum())
            deliveries.append(Delivery(report="statements", title="对账函催办", rep=rep, attachments=[chase_book],
                                       key_figure=f"需催办 {n} 份",
                                       summary_text=f"您负责的客户中有 {n} 份对账函超过回复期限未寄回, "
                                                    f"{int(((owing[REP] == rep) & (owing['状态'] == DISPUTED_STATE)).sum())} "
                                                    "份核对不符, 明细见附件。"))
    figures = {"sent": len(states), "confirmed": int((states["状态"] == CONFIRMED_STATE).sum()), "disputed": disputed,
               "outstanding": int(states["状态"].isin((WAITING, CHASE)).sum()), "chase": chase,
               "no_address": len(no_address)}
    return ReportOutput(workbooks=workbooks, figures=figures, problems=found, deliveries=deliveries,
                        data=TrackingSummary(chase, disputed, str(spec.filename)))
