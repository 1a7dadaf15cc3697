"""合同评审: every contract first seen in this run, checked on price, credit and terms before (or right after)
signing.

Its place in the process: after the receivables (``NEEDS``: the customers' 应收余额 and 逾期 on the run date, its
账龄分析) and the 报价单 (``NEEDS quotes``: the quotation a contract came from); before the 合同履行一览表, which
shows the verdict (``USES``). Which contracts: ``books.changes.new_documents`` — the
合同编号 the comparison with the last official run found 新增; with no official run in the input history, every
contract signed within ``review.new_days`` days before the run date (the run date included).

Checks, each failing one a reason (原因 lists every one):
- **价格**: the contract's unit price (合同金额 ÷ 数量, half up to the fen) below the product's 最低价
  (``books.pricing``), unless its 备注 holds an approval mark (``expenses.approval_marks``); below the 成交单价
  of the same product on the quotation its 报价单号 names.
- **信用**: the customer's 应收余额 on the run date (the receivables' 账龄分析, made from the allocation's open
  items) + this 合同金额 above its 信用额度; anything of the customer overdue more
  than ``receivables.shipping_grace_days`` days. Either needs 款到发货: a 款到发货 contract passes both (said in
  原因 as a note, not a reason), any other needs approval.
- **条款**: 账期天数 beyond the customer's (客户档案) or beyond ``review.max_term_days``; a 分期 or 质保金 contract
  without a 回款计划; a 约定交货日期 before the run date, or fewer than ``review.min_lead_days`` days after it.
- **资料不全**: no 付款方式, no 产品名称 or 数量 (the price cannot be checked), a customer not in the 客户档案, or a
  报价单号 no quotation has.

结论: 资料不全 when anything is missing (the reasons for approval are listed too), else 需审批 when a check
failed, else 通过. The 合同评审 workbook is mailed to ``email.recipients.review`` (default: the 销售经理) on days
with new contracts.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import pandas as pd

from ..books.changes import new_documents
from ..books.context import RunContext
from ..books.customers import archive_lookup, credit_limit
from ..books.pricing import floor_prices
from ..core.columns import sources
from ..core.config import Settings
from ..core.model import REP, fmt_yuan, round_fen, text as _text
from ..core.names import normalize_name
from ..core.output import Delivery, ReportOutput
from ..core.results import ReceivablesData
from ..core.schema import (AGREED_DELIVERY_DATE, CONTRACT_AMOUNT, CONTRACT_NO, CREDIT_DAYS, CREDIT_LIMIT, CUSTOMER,
                           MIN_PRICE, PAYMENT_TERM, PRODUCT, QUOTE_NO, SIGNING_DATE)
from ..core.sheets import DATE, INT, MONEY, NUMBER, Col, Highlight, Sheet, Table, WorkbookSpec

PASSED, APPROVAL, INCOMPLETE = "通过", "需审批", "资料不全"
CASH_FIRST = "款到发货"
NEEDS_PLAN = ("分期", "质保金")
COLUMNS = [CONTRACT_NO, SIGNING_DATE, REP, CUSTOMER, PRODUCT, "数量", CONTRACT_AMOUNT, "合同单价", MIN_PRICE, QUOTE_NO, "报价单价",
           PAYMENT_TERM, CREDIT_DAYS, "客户账期", CREDIT_LIMIT, "应收余额", "评审后应收", "逾期金额", "最长逾期天数", AGREED_DELIVERY_DATE, "结论",
           "原因", "来源"]


@dataclass(frozen=True)
class ReviewData:
    """The report's ``data``: one row per contract reviewed this run (``COLUMNS``)."""

    reviews: pd.DataFrame

    def verdicts(self) -> dict[str, str]:
        return dict(zip(self.reviews[CONTRACT_NO], self.reviews["结论"]))


def quoted_prices(quote_lines: pd.DataFrame | None) -> dict[tuple[str, str], int]:
    """(报价单号, 产品名称 normalised) → the lowest 成交单价 quoted for it."""
    found: dict[tuple[str, str], int] = {}
    if quote_lines is None or quote_lines.empty:
        return found
    for number, product, price in zip(quote_lines[QUOTE_NO], quote_lines[PRODUCT], quote_lines["成交单价"]):
        key = (_text(number), normalize_name(_text(product)))
        found[key] = min(int(price), found.get(key, int(price)))
    return found


def review_contract(rec: dict, position: dict, archive_row: dict | None, floor: int | None,
                    quoted: int | None, quote_known: bool, has_plan: bool, settings: Settings,
                    day: pd.Timestamp) -> dict:
    """One contract's figures, 结论 and 原因 (see the module for the rules)."""
    review = settings.review
    amount = int(rec[CONTRACT_AMOUNT])
    quantity = rec.get("数量")
    product, pay, remark = _text(rec.get(PRODUCT)), _text(rec.get(PAYMENT_TERM)), _text(rec.get("备注"))
    number = _text(rec.get(QUOTE_NO))
    missing, reasons, notes = [], [], []
    unit = None
    if not product or quantity is None or pd.isna(quantity) or float(quantity) <= 0:
        missing.append("产品名称或数量未填, 无法核价")
    else:
        unit = round_fen(Decimal(amount) / Decimal(repr(float(quantity))))
    if not pay:
        missing.append("付款方式未填")
    if archive_row is None:
        missing.append("客户不在客户档案中 (无信用额度、账期)")
    if number and not quote_known:
        missing.append(f"报价单号 {number} 在报价表中找不到")
    approved = any(mark in remark for mark in settings.expenses.approval_marks)
    if unit is not None and floor is not None and unit < floor:
        text = f"单价 ¥{fmt_yuan(unit)} 低于最低价 ¥{fmt_yuan(floor)}"
        (notes if approved else reasons).append(text + (" (备注已注明审批)" if approved else ""))
    if unit is not None and quoted is not None and unit < quoted:
        reasons.append(f"单价 ¥{fmt_yuan(unit)} 低于报价单 {number} 的 ¥{fmt_yuan(quoted)}")
    limit = credit_limit(archive_row)
    balance, overdue, longest = (int(position.get("应收余额", 0)), int(position.get("逾期金额", 0)),
                                 int(position.get("最长逾期天数", 0)))
    credit = []
    if limit is not None and balance + amount > limit:
        credit.append(f"超信用额度: 应收余额 ¥{fmt_yuan(balance)} + 本合同 ¥{fmt_yuan(amount)} = "
                      f"¥{fmt_yuan(balance + amount)} > 信用额度 ¥{fmt_yuan(limit)}")
    if longest > settings.receivables.shipping_grace_days:
        credit.append(f"客户有逾期超过 {settings.receivables.shipping_grace_days} 天的应收: 最长逾期 {longest} 天, "
                      f"逾期金额 ¥{fmt_yuan(overdue)}")
    if credit and pay == CASH_FIRST:
        notes.append("；".join(credit) + " (款到发货, 可签)")
    elif credit:
        reasons.append("；".join(credit) + " → 须改为款到发货或审批")
    own_term = (archive_row or {}).get(CREDIT_DAYS)
    customer_term = int(own_term) if own_term is not None and not pd.isna(own_term) else None
    term = rec.get(CREDIT_DAYS)
    if term is not None and not pd.isna(term):
        if customer_term is not None and int(term) > customer_term:
            reasons.append(f"账期 {int(term)} 天超过客户账期 {customer_term} 天")
        if int(term) > review.max_term_days:
            reasons.append(f"账期 {int(term)} 天超过公司上限 {review.max_term_days} 天")
    if pay in NEEDS_PLAN and not has_plan:
        reasons.append(f"{pay}合同没有回款计划")
    agreed = rec.get(AGREED_DELIVERY_DATE)
    if agreed is not None and pd.notna(agreed):
        lead = (pd.Timestamp(agreed) - day).days
        if lead < 0:
            reasons.append(f"约定交货日期 {pd.Timestamp(agreed).date()} 已过")
        elif lead < review.min_lead_days:
            reasons.append(f"约定交货日期 {pd.Timestamp(agreed).date()} 距今仅 {lead} 天 (少于 {review.min_lead_days} 天)")
    verdict = INCOMPLETE if missing else (APPROVAL if reasons else PASSED)
    return {CONTRACT_NO: _text(rec[CONTRACT_NO]), SIGNING_DATE: rec[SIGNING_DATE], REP: _text(rec.get(REP)),
            CUSTOMER: _text(rec[CUSTOMER]), PRODUCT: product,
            "数量": None if quantity is None or pd.isna(quantity) else float(quantity), CONTRACT_AMOUNT: amount,
            "合同单价": unit, MIN_PRICE: floor, QUOTE_NO: number, "报价单价": quoted, PAYMENT_TERM: pay,
            CREDIT_DAYS: None if term is None or pd.isna(term) else int(term), "客户账期": customer_term,
            CREDIT_LIMIT: limit, "应收余额": balance, "评审后应收": balance + amount, "逾期金额": overdue,
            "最长逾期天数": longest, AGREED_DELIVERY_DATE: agreed, "结论": verdict,
            "原因": "；".join([*missing, *reasons, *notes])}


def review_contracts(ctx: RunContext, numbers: set[str], quote_lines: pd.DataFrame | None,
                     aging: pd.DataFrame) -> pd.DataFrame:
    """The contracts ``numbers``, reviewed; ``aging``: the receivables' 账龄分析 per customer on the run date."""
    contracts = ctx.tables["合同"]
    new = contracts[contracts[CONTRACT_NO].astype(str).isin(numbers)].sort_values([SIGNING_DATE, CONTRACT_NO], kind="stable")
    if new.empty:
        return pd.DataFrame(columns=COLUMNS)
    positions = {r[CUSTOMER]: r for r in aging.to_dict("records")}
    archive = archive_lookup(ctx.tables["客户"])
    floors = floor_prices(ctx.tables["产品"])
    quoted = quoted_prices(quote_lines)
    quote_numbers = set(quoted_key[0] for quoted_key in quoted)
    plans = set(ctx.tables["回款计划"][CONTRACT_NO].dropna().astype(str))
    day = pd.Timestamp(ctx.run_date)
    rows = []
    for rec, where in zip(new.to_dict("records"), sources(new)):
        customer, product, number = _text(rec[CUSTOMER]), normalize_name(_text(rec.get(PRODUCT))), _text(rec.get(QUOTE_NO))
        row = review_contract(rec, positions.get(customer, {}), archive.get(customer), floors.get(product),
                              quoted.get((number, product)), number in quote_numbers, _text(rec[CONTRACT_NO]) in plans,
                              ctx.settings, day)
        rows.append({**row, "来源": where})
    frame = pd.DataFrame(rows, columns=COLUMNS)
    return frame.astype({c: "Int64" for c in ("合同单价", MIN_PRICE, "报价单价", CREDIT_DAYS, "客户账期", CREDIT_LIMIT)})


def layout(frame: pd.DataFrame, ctx: RunContext) -> WorkbookSpec:
    """合同评审 (the verdicts and their reasons: one readable landscape page to sign) and 评审数据 (every figure
    each check used)."""
    s, day = ctx.settings, ctx.run_date.isoformat()
    rules = ["价格: 单价 (合同金额 ÷ 数量) 不低于产品目录最低价, 也不低于所依报价单的成交单价",
             f"信用: 应收余额 + 本合同 ≤ 信用额度, 且无逾期超过 {s.receivables.shipping_grace_days} 天的应收; 否则须款到发货或审批",
             f"条款: 账期不超过客户账期和 {s.review.max_term_days} 天; 分期、质保金合同须有回款计划; "
             f"约定交货日期距今不少于 {s.review.min_lead_days} 天"]
    highlights = [Highlight("结论", "text", APPROVAL, whole_row=True),
                  Highlight("结论", "text", INCOMPLETE, color="#FFEB9C", whole_row=True)]
    main_cols = [Col(CONTRACT_NO), Col(SIGNING_DATE, DATE), Col(REP), Col(CUSTOMER), Col(CONTRACT_AMOUNT, MONEY),
                 Col(PAYMENT_TERM), Col("结论"), Col("原因", width=80)]
    counts = "，".join(f"{v} {int((frame['结论'] == v).sum())} 份" for v in (PASSED, APPROVAL, INCOMPLETE))
    main = Sheet("合同评审", [Table(main_cols, frame, totals=True, highlights=highlights, autofilter=False)],
                 title="合同评审", subtitle=[s.company.name, f"{day} 新登记的合同: {counts}", *rules],
                 notes=["", "评审意见: ______________________________    销售经理: ______________    日期: ______________"],
                 fit_one_page=len(frame) <= 20)
    cols = [Col(CONTRACT_NO), Col(CUSTOMER), Col(PRODUCT), Col("数量", NUMBER, total=False), Col(CONTRACT_AMOUNT, MONEY),
            Col("合同单价", MONEY, total=False), Col(MIN_PRICE, MONEY, total=False), Col(QUOTE_NO),
            Col("报价单价", MONEY, total=False), Col(CREDIT_DAYS, INT, total=False), Col("客户账期", INT, total=False),
            Col(CREDIT_LIMIT, MONEY, total=False), Col("应收余额", MONEY, total=False), Col("评审后应收", MONEY, total=False),
            Col("逾期金额", MONEY, total=False), Col("最长逾期天数", INT, total=False), Col(AGREED_DELIVERY_DATE, DATE), Col("结论"),
            Col("来源")]
    data = Sheet("评审数据", [Table(cols, frame, totals=False, highlights=highlights)], title="合同评审 各项数据",
                 subtitle=[f"截至 {day}; 应收余额、逾期取自应收账款明细账的账龄分析"])
    return WorkbookSpec(f"合同评审_{day}.xlsx", [main, data])


NEEDS = ("quotes", "receivables")  # the quotation lines; the customers' 应收余额 and 逾期 on the run date


def build(ctx: RunContext, quotes, receivables: ReceivablesData) -> ReportOutput:
    contracts = ctx.tables["合同"]
    numbers = new_documents(ctx.changes, contracts, "合同", SIGNING_DATE, ctx.run_date, ctx.settings.review.new_days)
    frame = review_contracts(ctx, numbers, quotes.lines, receivables.aging)
    data = ReviewData(frame)
    if frame.empty:
        return ReportOutput(data=data, figures={"reviewed": 0})
    spec = layout(frame, ctx)
    counts = {v: int((frame["结论"] == v).sum()) for v in (PASSED, APPROVAL, INCOMPLETE)}
    delivery = Delivery(report="review", title=f"合同评审 {ctx.run_date}", attachments=[spec],
                        key_figure=f"新合同 {len(frame)} 份, 需审批 {counts[APPROVAL]}, 资料不全 {counts[INCOMPLETE]}",
                        summary_text="\n".join(f"{r['合同编号']} {r['客户名称']}: {r['结论']}" for r in frame.to_dict("records")))
    return ReportOutput(workbooks=[spec], deliveries=[delivery], data=data,
                        figures={"reviewed": len(frame), **{f"review.{k}": v for k, v in counts.items()}})
