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
from ..core.sheets import DATE, INT, MONEY, NUMBER, Col, Highlight, Sheet, Table, WorkbookSpec

PASSED, APPROVAL, INCOMPLETE = "通过", "需审批", "资料不全"
CASH_FIRST = "款到发货"
NEEDS_PLAN = ("分期", "质保金")
COLUMNS = ["合同编号", "签订日期", "业务员", "客户名称", "产品名称", "数量", "合同金额", "合同单价", "最低价", "报价单号", "报价单价",
           "付款方式", "账期天数", "客户账期", "信用额度", "应收余额", "评审后应收", "逾期金额", "最长逾期天数", "约定交货日期", "结论",
           "原因", "来源"]


@dataclass(frozen=True)
class ReviewData:
    """The report's ``data``: one row per contract reviewed this run (``COLUMNS``)."""

    reviews: pd.DataFrame

    def verdicts(self) -> dict[str, str]:
        return dict(zip(self.reviews["合同编号"], self.reviews["结论"]))


def quoted_prices(quote_lines: pd.DataFrame | None) -> dict[tuple[str, str], int]:
    """(报价单号, 产品名称 normalised) → the lowest 成交单价 quoted for it."""
    found: dict[tuple[str, str], int] = {}
    if quote_lines is None or quote_lines.empty:
        return found
    for number, product, price in zip(quote_lines["报价单号"], quote_lines["产品名称"], quote_lines["成交单价"]):
        key = (_text(number), normalize_name(_text(product)))
        found[key] = min(int(price), found.get(key, int(price)))
    return found


def review_contract(rec: dict, position: dict, archive_row: dict | None, floor: int | None,
                    quoted: int | None, quote_known: bool, has_plan: bool, settings: Settings,
                    day: pd.Timestamp) -> dict:
    """One contract's figures, 结论 and 原因 (see the module for the rules)."""
    review = settings.review
    amount = int(rec["合同金额"])
    quantity = rec.get("数量")
    product, pay, remark = _text(rec.get("产品名称")), _text(rec.get("付款方式")), _text(rec.get("备注"))
    number = _text(rec.get("报价单号"))
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
    own_term = (archive_row or {}).get("账期天数")
    customer_term = int(own_term) if own_term is not None and not pd.isna(own_term) else None
    term = rec.get("账期天数")
    if term is not None and not pd.isna(term):
        if customer_term is not None and int(term) > customer_term:
            reasons.append(f"账期 {int(term)} 天超过客户账期 {customer_term} 天")
        if int(term) > review.max_term_days:
            reasons.append(f"账期 {int(term)} 天超过公司上限 {review.max_term_days} 天")
    if pay in NEEDS_PLAN and not has_plan:
        reasons.append(f"{pay}合同没有回款计划")
    agreed = rec.get("约定交货日期")
    if agreed is not None and pd.notna(agreed):
        lead = (pd.Timestamp(agreed) - day).days
        if lead < 0:
            reasons.append(f"约定交货日期 {pd.Timestamp(agreed).date()} 已过")
        elif lead < review.min_lead_days:
            reasons.append(f"约定交货日期 {pd.Timestamp(agreed).date()} 距今仅 {lead} 天 (少于 {review.min_lead_days} 天)")
    verdict = INCOMPLETE if missing else (APPROVAL if reasons else PASSED)
    return {"合同编号": _text(rec["合同编号"]), "签订日期": rec["签订日期"], "业务员": _text(rec.get(REP)),
            "客户名称": _text(rec["客户名称"]), "产品名称": product,
            "数量": None if quantity is None or pd.isna(quantity) else float(quantity), "合同金额": amount,
            "合同单价": unit, "最低价": floor, "报价单号": number, "报价单价": quoted, "付款方式": pay,
            "账期天数": None if term is None or pd.isna(term) else int(term), "客户账期": customer_term,
            "信用额度": limit, "应收余额": balance, "评审后应收": balance + amount, "逾期金额": overdue,
            "最长逾期天数": longest, "约定交货日期": agreed, "结论": verdict,
            "原因": "；".join([*missing, *reasons, *notes])}


def review_contracts(ctx: RunContext, numbers: set[str], quote_lines: pd.DataFrame | None,
                     aging: pd.DataFrame) -> pd.DataFrame:
    """The contracts ``numbers``, reviewed; ``aging``: the receivables' 账龄分析 per customer on the run date."""
    contracts = ctx.tables["合同"]
    new = contracts[contracts["合同编号"].astype(str).isin(numbers)].sort_values(["签订日期", "合同编号"], kind="stable")
    if new.empty:
        return pd.DataFrame(columns=COLUMNS)
    positions = {r["客户名称"]: r for r in aging.to_dict("records")}
    archive = archive_lookup(ctx.tables["客户"])
    floors = floor_prices(ctx.tables["产品"])
    quoted = quoted_prices(quote_lines)
    quote_numbers = set(quoted_key[0] for quoted_key in quoted)
    plans = set(ctx.tables["回款计划"]["合同编号"].dropna().astype(str))
    day = pd.Timestamp(ctx.run_date)
    rows = []
    for rec, where in zip(new.to_dict("records"), sources(new)):
        customer, product, number = _text(rec["客户名称"]), normalize_name(_text(rec.get("产品名称"))), _text(rec.get("报价单号"))
        row = review_contract(rec, positions.get(customer, {}), archive.get(customer), floors.get(product),
                              quoted.get((number, product)), number in quote_numbers, _text(rec["合同编号"]) in plans,
                              ctx.settings, day)
        rows.append({**row, "来源": where})
    frame = pd.DataFrame(rows, columns=COLUMNS)
    return frame.astype({c: "Int64" for c in ("合同单价", "最低价", "报价单价", "账期天数", "客户账期", "信用额度")})


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
    main_cols = [Col("合同编号"), Col("签订日期", DATE), Col("业务员"), Col("客户名称"), Col("合同金额", MONEY),
                 Col("付款方式"), Col("结论"), Col("原因", width=80)]
    counts = "，".join(f"{v} {int((frame['结论'] == v).sum())} 份" for v in (PASSED, APPROVAL, INCOMPLETE))
    main = Sheet("合同评审", [Table(main_cols, frame, totals=True, highlights=highlights, autofilter=False)],
                 title="合同评审", subtitle=[s.company.name, f"{day} 新登记的合同: {counts}", *rules],
                 notes=["", "评审意见: ______________________________    销售经理: ______________    日期: ______________"],
                 fit_one_page=len(frame) <= 20)
    cols = [Col("合同编号"), Col("客户名称"), Col("产品名称"), Col("数量", NUMBER, total=False), Col("合同金额", MONEY),
            Col("合同单价", MONEY, total=False), Col("最低价", MONEY, total=False), Col("报价单号"),
            Col("报价单价", MONEY, total=False), Col("账期天数", INT, total=False), Col("客户账期", INT, total=False),
            Col("信用额度", MONEY, total=False), Col("应收余额", MONEY, total=False), Col("评审后应收", MONEY, total=False),
            Col("逾期金额", MONEY, total=False), Col("最长逾期天数", INT, total=False), Col("约定交货日期", DATE), Col("结论"),
            Col("来源")]
    data = Sheet("评审数据", [Table(cols, frame, totals=False, highlights=highlights)], title="合同评审 各项数据",
                 subtitle=[f"截至 {day}; 应收余额、逾期取自应收账款明细账的账龄分析"])
    return WorkbookSpec(f"合同评审_{day}.xlsx", [main, data])


NEEDS = ("quotes", "receivables")  # the quotation lines; the customers' 应收余额 and 逾期 on the run date


def build(ctx: RunContext, quotes, receivables: ReceivablesData) -> ReportOutput:
    contracts = ctx.tables["合同"]
    numbers = new_documents(ctx.changes, contracts, "合同", "签订日期", ctx.run_date, ctx.settings.review.new_days)
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
