"""报价单 and the 报价登记表: the quotations of the reps' 报价 sheets, printed and checked against the price policy.

Its place in the process: a report with no ``NEEDS``; the 合同评审 reads its ``data`` (``QuotesData``). The rules
(a line's amounts and price check, 状态, 报价转化) are ``books.quotations`` (the 月报 and 工作总结 read them too).

- **报价单** (``报价单/<报价单号>.xlsx``, portrait A4, one page for up to 15 lines): for each quotation new or
  changed since the last official run (``books.changes.new_documents`` with 新增/修改/删除; with no such run,
  those dated within ``review.new_days`` days). Company header, customer, the lines with 成交单价, 含税金额,
  税率, 不含税金额, 税额 (``books.pricing``), the total in figures and 大写, 有效期至, 付款方式, 交货期, the rep's
  name and phone (人员 电话), a seal block. The lines' 备注 are the company's (an approval mark, a reason for a
  special price): not printed. It goes to the rep who wrote it only (``Delivery.rep``), with a
  line in the message when one of its lines waits for approval.
- **Price policy** (``books.pricing``): a line whose 成交单价 is below the product's 最低价 is 已审批 with an
  approval mark in its 备注 (``expenses.approval_marks``), else 需审批.
- **报价登记表** (``报价登记_<D>.xlsx``): every quotation with its total, 状态 (已转合同: a contract names its
  报价单号; 已过期: 有效期至 before the run date and not converted; else 有效), its price check, the contract and
  the days to convert; a sheet of the lines 需审批; 报价转化 per rep and month. Mailed to
  ``email.recipients.review`` (default: the 销售经理) when a new or changed quotation has a line 需审批.

The lines of one quotation share one 报价单号; its header fields (报价日期, 客户名称, 有效期至, 付款方式, 交货期)
are taken from its first line.
"""

from __future__ import annotations

from dataclasses import dataclass
import pandas as pd

from ..books.changes import ADDED, DELETED, MODIFIED, new_documents
from ..books.context import RunContext
from ..books.pricing import NEEDS_APPROVAL
from ..books.quotations import CONVERTED, EXPIRED, REGISTER_COLUMNS, conversion, quote_lines, register
from ..core.config import Settings
from ..core.files import Name
from ..core.model import fmt_yuan, rmb_words, text as _text
from ..core.names import normalize_name
from ..core.output import Delivery, ReportOutput
from ..core.schema import (CONTRACT_AMOUNT, CONTRACT_NO, CUSTOMER, MIN_PRICE, PRODUCT, QUOTE_DATE, QUOTE_NO, REP,
                           VALID_UNTIL)
from ..core.sheets import DATE, INT, MONEY, NUMBER, PCT, Col, Highlight, Sheet, Table, WorkbookSpec

MAX_PRINTED_LINES = 15  # a 报价单 of up to this many lines fits one A4 page


@dataclass(frozen=True)
class QuotesData:
    """The report's ``data``: every quotation line and one row per quotation, and the ones new this run."""

    lines: pd.DataFrame  # LINE_COLUMNS
    register: pd.DataFrame  # REGISTER_COLUMNS
    new: frozenset[str]  # 报价单号 new or changed this run


def quote_filename(number: str) -> Name:
    return Name(number, after=".xlsx")


def rep_phone(staff: pd.DataFrame, rep: str) -> str:
    if staff.empty or "电话" not in staff:
        return ""
    for name, phone in zip(staff["姓名"].map(lambda n: normalize_name(_text(n))), staff["电话"]):
        if name == normalize_name(rep):
            return _text(phone)
    return ""


def layout_quote(part: pd.DataFrame, settings: Settings, phone: str) -> WorkbookSpec:
    """One 报价单: portrait A4, fitted to one page (up to ``MAX_PRINTED_LINES`` lines)."""
    head = part.iloc[0]
    c = settings.company
    gross, net, tax = int(part["含税金额"].sum()), int(part["不含税金额"].sum()), int(part["税额"].sum())
    company = "　".join(p for p in (f"地址: {c.address}" if c.address else "", f"电话: {c.phone}" if c.phone else "") if p)
    valid = head[VALID_UNTIL]
    subtitle = [c.name + (f"　{company}" if company else ""),
                f"报价单号: {head['报价单号']}　报价日期: {pd.Timestamp(head['报价日期']).date().isoformat()}",
                f"客户: {head['客户名称']}"]
    rows = part.reset_index(drop=True).assign(序号=lambda f: range(1, len(f) + 1))
    cols = [Col("序号", INT, total=False), Col(PRODUCT), Col("规格"), Col("数量", NUMBER, total=False),
            Col("成交单价", MONEY, total=False), Col("含税金额", MONEY), Col("税率", PCT, total=False),
            Col("不含税金额", MONEY), Col("税额", MONEY)]
    table = Table(cols, rows, heading="报价明细（单价、金额含增值税，单位：元）", totals=True,
                  autofilter=False)
    notes = [f"合计（大写）：{rmb_words(gross)}　¥{fmt_yuan(gross)}（不含税 ¥{fmt_yuan(net)}，税额 ¥{fmt_yuan(tax)}）",
             f"报价有效期至：{pd.Timestamp(valid).date().isoformat() if pd.notna(valid) else '（未注明）'}",
             f"付款方式：{head['付款方式'] or '（双方另行约定）'}",
             f"交货期：{head['交货期'] or '（双方另行约定）'}"]
    notes += [f"业务代表：{head['业务员']}" + (f"　电话：{phone}" if phone else ""),
              "",
              f"报价单位（盖章）：{c.name}　　　　　　　　日期：______________",
              "客户确认（签字盖章）：______________　　　日期：______________"]
    sheet = Sheet("报价单", [table], title="报 价 单", subtitle=subtitle, notes=notes, landscape=False,
                  fit_width=True, fit_one_page=len(part) <= MAX_PRINTED_LINES, freeze=False)
    return WorkbookSpec(quote_filename(head[QUOTE_NO]), [sheet], subfolder="报价单", for_rep=head[REP])


def layout_register(lines: pd.DataFrame, rows: pd.DataFrame, converted: pd.DataFrame, ctx: RunContext
                    ) -> WorkbookSpec:
    day = ctx.run_date.isoformat()
    money = [Col("含税合计", MONEY), Col("不含税合计", MONEY), Col("税额", MONEY)]
    reg_cols = [Col(QUOTE_NO), Col(QUOTE_DATE, DATE), Col(REP), Col(CUSTOMER), Col("行数", INT), *money,
                Col(VALID_UNTIL, DATE), Col("状态"), Col("价格审批"),
                Col("待审批行数", INT), Col(CONTRACT_NO), Col(CONTRACT_AMOUNT, MONEY),
                Col("转化天数", INT, total=False)]
    waiting = lines[lines["价格审批"] == NEEDS_APPROVAL]
    line_cols = [Col(QUOTE_NO), Col(QUOTE_DATE, DATE), Col(REP), Col(CUSTOMER), Col(PRODUCT), Col("数量", NUMBER),
                 Col("单价", MONEY, total=False), Col("折扣", PCT, total=False), Col("成交单价", MONEY, total=False),
                 Col(MIN_PRICE, MONEY, total=False), Col("含税金额", MONEY), Col("备注"), Col("来源")]
    conv_cols = [Col("月份"), Col(REP), Col("报价单数", INT), Col("报价金额", MONEY), Col("已转合同", INT),
                 Col("转化率", PCT), Col(CONTRACT_AMOUNT, MONEY), Col("平均转化天数", NUMBER, total=False)]
    marks = "/".join(ctx.settings.expenses.approval_marks)
    sheets = [Sheet("报价登记", [Table(reg_cols, rows, totals=True, highlights=[
                        Highlight("状态", "text", EXPIRED, color="#D9D9D9", whole_row=True),
                        Highlight("价格审批", "text", NEEDS_APPROVAL)])],
                    title="报价登记表", subtitle=[ctx.settings.company.name, f"截至 {day}",
                                               "状态: 已转合同 (有合同填了该报价单号) / 已过期 (过了有效期仍未签合同) / 有效"]),
              Sheet("需审批", [Table(line_cols, waiting, totals=False)], title="低于最低价待审批的报价行",
                    subtitle=[f"成交单价低于产品目录最低价, 备注中没有审批标记 ({marks})"]),
              Sheet("报价转化", [Table(conv_cols, converted, totals=False)], title="报价转化 (按报价月份、业务员)")]
    return WorkbookSpec(f"报价登记_{day}.xlsx", sheets)


NEEDS: tuple[str, ...] = ()


def build(ctx: RunContext) -> ReportOutput:
    quotes = ctx.tables["报价"]
    if quotes.empty:
        return ReportOutput(data=QuotesData(quote_lines(quotes, ctx.tables["产品"], ctx.settings),
                                            pd.DataFrame(columns=REGISTER_COLUMNS), frozenset()))
    lines = quote_lines(quotes, ctx.tables["产品"], ctx.settings)
    rows = register(lines, ctx.tables["合同"], ctx.run_date)
    converted = conversion(rows)
    new = new_documents(ctx.changes, quotes, "报价", QUOTE_DATE, ctx.run_date, ctx.settings.review.new_days,
                        (ADDED, MODIFIED, DELETED))
    workbooks, deliveries = [], []
    staff = ctx.tables["人员"]
    for number, part in lines[lines[QUOTE_NO].isin(new)].groupby(QUOTE_NO, sort=True):
        rep = part.iloc[0][REP]
        spec = layout_quote(part, ctx.settings, rep_phone(staff, rep))
        workbooks.append(spec)
        waiting = int((part["价格审批"] == NEEDS_APPROVAL).sum())
        note = (f"其中 {waiting} 行低于最低价, 经理批准前请勿发给客户 (批准后在备注注明 "
                f"{'/'.join(ctx.settings.expenses.approval_marks)})" if waiting else "")
        total = int(part["含税金额"].sum())
        deliveries.append(Delivery(report="quotes", title=f"报价单 {number}", attachments=[spec], rep=rep,
                                   pdf=ctx.settings.review.quotation_pdf, key_figure=f"含税合计 ¥{fmt_yuan(total)}",
                                   summary_text=f"报价单 {number}　客户 {part.iloc[0]['客户名称']}　含税合计 ¥{fmt_yuan(total)}"
                                                + (f"\n{note}" if note else "")))
    reg = layout_register(lines, rows, converted, ctx)
    workbooks.append(reg)
    new_waiting = rows[rows[QUOTE_NO].isin(new) & (rows["价格审批"] == NEEDS_APPROVAL)]
    if len(new_waiting):
        deliveries.append(Delivery(report="review", title=f"报价待审批 {ctx.run_date}", attachments=[reg],
                                   key_figure=f"{len(new_waiting)} 张报价单有低于最低价的行",
                                   summary_text="待审批: " + "、".join(new_waiting[QUOTE_NO])))
    figures = {"quotations": int(len(rows)), "printed": len(workbooks) - 1,
               "needs_approval": int((lines["价格审批"] == NEEDS_APPROVAL).sum()),
               "expired": int((rows["状态"] == EXPIRED).sum()), "converted": int((rows["状态"] == CONVERTED).sum())}
    return ReportOutput(workbooks=workbooks, figures=figures, deliveries=deliveries,
                        data=QuotesData(lines, rows, frozenset(new)))
