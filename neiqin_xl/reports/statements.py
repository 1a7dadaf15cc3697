"""往来款项对账确认函: one balance-confirmation letter per customer and period, on one A4 page, in the form a
customer's finance department signs, seals and returns; mailed to the customer when ``statements.send`` is on.

Runs after the receivables report (``NEEDS``) and reads its ledger (明细账); the open items and the unapplied
money at the period's end come from the allocation's as-of views (``books.allocation``), aged by the one rule
of ``books.balances``.

- **The period** (``statements.period``: month, quarter or year) is the latest one that ended before the run
  date D (``periods.closed_statement_periods``): on 2026-12-01 the letters confirm November. 期初余额 is the
  balance at the end of the previous period (debits − credits before the start, ``balances.period_balances``,
  the rule the 明细账 of the month shares), so one period's 期末 is the
  next one's 期初; the period's movements are the ledger's rows dated in it; 期末余额 = 期初 + 借方 − 贷方, in
  figures and in 大写 (``model.rmb_words``); it equals the open items at the end less the unapplied money.
- **Who gets one**: a customer with an open item, unapplied money (a prepayment) or a movement in the period;
  a customer whose open item and prepayment cancel out (net 0) still gets one. 经销商 (客户档案's 客户类型) get
  the same letter, marked as such.
- **对账编号** DZ-<period>-<客户编码> (``periods.statement_number``: DZ-202611-KH001); a customer without a
  客户编码 (or sharing one) gets a code made of its name's hash, so a number is never given twice; the same
  customer and period always give the same number, run after run.
- **发出日期** is the first working day after the period's end; the customer is asked to return the signed
  letter within ``statements.reply_days`` working days (回复期限) to ``statements.company.email`` (else
  ``email.sender``).
- **Sending** (``statements.send``, false by default): on the 发出日期 (a missed day: its catch-up run), each
  letter of the period whose
  customer has a 对账邮箱 in the 客户档案 is a ``Delivery`` to that address, the customer's rep copied
  (``copy_rep``), the workbook attached (and its PDF where LibreOffice is installed: ``pdf``); the mail rules
  (deliver/mail.py) make it once ever per 对账编号, keep it in the outbox when SMTP is off and hold a demo
  workspace's mail outside example.com. A customer without 对账邮箱 is in ``no_address`` (the 对账跟踪 lists it
  for the clerk to post).

Files: output/<D>/对账函/<客户名称>_对账函_<对账编号>.xlsx. ``data`` is a ``StatementsData``: every letter of
the last ``statements.track_periods`` periods (what the 对账跟踪 follows), the receivables total at each
period's end, the period written this run.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, timedelta

import pandas as pd

from ..books.balances import aged_due_parts, bucket_labels, in_period, period_balances, statement_lines
from ..books.allocation import credits_as_of, open_items_as_of
from ..books.context import RunContext
from ..books.customers import archive_lookup
from ..books.periods import Period, closed_statement_periods, statement_number
from ..books.collection_plans import is_warranty
from ..core.config import Settings
from ..core.files import Name
from ..core.model import REP, fmt_yuan, rmb_words, text
from ..core.output import Delivery, ReportOutput
from ..core.results import ReceivablesData
from ..core.schema import ACCOUNT_REP, CLOSING_BALANCE, CONTRACT_NO, CUSTOMER, CUSTOMER_CODE
from ..core.sheets import DATE, INT, MONEY, Col, Sheet, Table, WorkbookSpec

LETTER_COLUMNS = ["对账编号", CUSTOMER, CUSTOMER_CODE, "客户类型", REP, "对账邮箱", "期间", "期间起", "期间止", "发出日期",
                  "回复期限", "期初余额", "本期借方", "本期贷方", CLOSING_BALANCE]
SUBFOLDER = "对账函"
DISTRIBUTOR = "经销商"


@dataclass(frozen=True)
class StatementsData:
    """The report's ``data``, for the 对账跟踪."""

    letters: pd.DataFrame  # LETTER_COLUMNS: every letter of the tracked periods, latest period first
    receivables_total: dict[str, int]  # period code -> the receivables at its end (customers owing us), fen
    period: Period  # the latest closed period: its letters are this run's workbooks
    no_address: tuple[str, ...]  # customers of ``period``'s letters without 对账邮箱 (posted by the clerk)


# ---------------------------------------------------------------------------- the figures

def customers_to_confirm(ledger: pd.DataFrame, open_items: pd.DataFrame, credits: pd.DataFrame, start: date,
                         end: date) -> list[str]:
    """Customers with an open item or unapplied money at ``end`` (``open_items`` / ``credits``: the as-of views
    of ``end``), or a movement from ``start`` to ``end``; in the ledger's order, a net-0 customer included."""
    moved = set(ledger.loc[in_period(ledger, start, end), CUSTOMER].unique())
    held = {*open_items.loc[open_items["未收"] != 0, CUSTOMER].unique(), *credits.loc[credits["金额"] != 0, CUSTOMER].unique()}
    wanted = moved | held
    return [name for name in ledger[CUSTOMER].unique() if name in wanted]


def customer_codes(names: list[str], archive: dict[str, dict]) -> dict[str, str]:
    """客户名称 -> the code in its 对账编号: the archive's 客户编码; for a customer without one, or the second to
    share one, 'C' and six hex digits of its name's hash (the same name, the same code, every run).

    >>> customer_codes(["甲", "乙", "丙"], {"甲": {"客户编码": "K1"}, "乙": {"客户编码": "K1"}})
    {'甲': 'K1', '乙': 'C345831', '丙': 'CC72E61'}
    """
    codes, taken = {}, set()
    for name in names:
        code = text((archive.get(name) or {}).get(CUSTOMER_CODE)).replace(" ", "")
        if not code or code in taken:
            code = "C" + hashlib.sha1(name.encode("utf-8")).hexdigest()[:6].upper()
        taken.add(code)
        codes[name] = code
    return codes


def rep_of(name: str, archive: dict[str, dict], ledger_reps: dict[str, str]) -> str:
    """The customer's rep: the archive's 负责业务员, else the rep of its latest ledger row."""
    return text((archive.get(name) or {}).get(ACCOUNT_REP)) or ledger_reps.get(name, "")


def letters_of_period(period: Period, ledger: pd.DataFrame, ctx: RunContext, archive: dict[str, dict],
                      ledger_reps: dict[str, str]) -> tuple[pd.DataFrame, int]:
    """The period's letters (LETTER_COLUMNS) and the receivables at its end (the positive balances' sum)."""
    alloc, settings = ctx.allocation, ctx.settings
    names = customers_to_confirm(ledger, open_items_as_of(alloc, period.end), credits_as_of(alloc, period.end),
                                 period.start, period.end)
    balances = period_balances(ledger, names, period.start, period.end)
    ended = ledger[ledger["日期"] <= pd.Timestamp(period.end)]
    owed = (ended["借方"] - ended["贷方"]).groupby(ended[CUSTOMER]).sum()
    sent = ctx.workdays.following(period.end)
    codes = customer_codes(names, archive)
    figures = balances.to_dict("index")
    rows = [{"对账编号": statement_number(period, codes[n]), CUSTOMER: n, CUSTOMER_CODE: codes[n],
             "客户类型": text((archive.get(n) or {}).get("客户类型")),
             REP: rep_of(n, archive, ledger_reps), "对账邮箱": text((archive.get(n) or {}).get("对账邮箱")),
             "期间": period.code, "期间起": period.start, "期间止": period.end, "发出日期": sent,
             "回复期限": ctx.workdays.following(sent, settings.statements.reply_days),
             **{c: int(figures[n][c]) for c in ("期初余额", "本期借方", "本期贷方", CLOSING_BALANCE)}} for n in names]
    return pd.DataFrame(rows, columns=LETTER_COLUMNS), int(owed[owed > 0].sum())


OPEN_COLUMNS = ["日期", "单据号", CONTRACT_NO, "未收", "到期日", "账龄天数"]  # 期末未结清单据, 未收 shown as 未收金额


@dataclass(frozen=True)
class Pieces:
    """What a letter shows of its customer's open parts at the period's end: the aging strip (the open amount
    per aging bucket, 0-30天 … 365天以上, and 合计), the open rows, and the 未到期质保金 (open 质保 parts of a
    回款计划 not yet overdue, fen)."""

    strip: pd.DataFrame
    open_rows: pd.DataFrame
    held: int


def _strip(amounts: dict[str, int]) -> pd.DataFrame:
    return pd.DataFrame([{**amounts, "合计": sum(amounts.values())}])


def _open_rows(parts: pd.DataFrame) -> pd.DataFrame:
    return parts.loc[parts["未收"] != 0, OPEN_COLUMNS].rename(columns={"未收": "未收金额"})


def no_pieces(parts: pd.DataFrame, bounds: list[int]) -> Pieces:
    """The ``Pieces`` of a customer without open parts: a strip of zeros, no open row, nothing held."""
    return Pieces(_strip(dict.fromkeys(bucket_labels(bounds), 0)), _open_rows(parts.iloc[:0]).reset_index(drop=True), 0)


def all_pieces(parts: pd.DataFrame, bounds: list[int]) -> dict[str, Pieces]:
    """Every customer's ``Pieces`` (客户名称 -> them), made in one pass over all customers' parts (a pandas call
    per customer is most of the letters' cost on a big company); a customer without parts is not in it
    (``no_pieces``)."""
    labels, names = bucket_labels(bounds), parts[CUSTOMER]
    sums = parts.groupby([names, parts["账龄区间"]], sort=False, observed=True)["未收"].sum()
    strips: dict[str, dict[str, int]] = {name: dict.fromkeys(labels, 0) for name in names.dropna().unique()}
    for (name, label), amount in sums.items():
        if label in strips[name]:
            strips[name][label] = int(amount)
    kept = parts["未收"] != 0
    opened = dict(iter(_open_rows(parts).groupby(names[kept], sort=False)))
    warranty = is_warranty(parts) & (parts["逾期天数"] == 0)
    held = {k: int(v) for k, v in parts.loc[warranty, "未收"].groupby(names[warranty], sort=False).sum().items()}
    empty = no_pieces(parts, bounds).open_rows
    every_strip = pd.DataFrame([{**amounts, "合计": sum(amounts.values())} for amounts in strips.values()])  # as _strip's
    return {name: Pieces(every_strip.iloc[i:i + 1].reset_index(drop=True),
                         opened[name].reset_index(drop=True) if name in opened else empty, held.get(name, 0))
            for i, name in enumerate(strips)}


# ---------------------------------------------------------------------------- the letter

def closing_in_words(closing: int) -> str:
    """The closing balance in 人民币大写, as the customer signs against it; a negative balance is money the
    customer paid in advance.

    >>> closing_in_words(1000500)
    '人民币壹万零伍元整（贵司尚欠我司）'
    >>> closing_in_words(-10000050)
    '人民币壹拾万元伍角整（贵司预付我司）'
    """
    if closing < 0:
        return f"{rmb_words(-closing)}（贵司预付我司）"
    return rmb_words(closing) + ("（贵司尚欠我司）" if closing else "（双方无欠款）")


def our_block(settings: Settings) -> dict[str, str]:
    """Our company as the letter prints it: ``statements.company``, blanks from ``company`` (and the reply
    address from ``email.sender``)."""
    own, base = settings.statements.company, settings.company
    return {"name": own.name or base.name, "address": own.address or base.address,
            "contact": own.contact or base.contact, "phone": own.phone or base.phone,
            "email": own.email or settings.email.sender or settings.email.user or ""}


def letter_filename(name: str, number: str) -> Name:
    """<客户名称>_对账函_<对账编号>.xlsx, the customer's name as written (the writer makes it safe and unique)."""
    return Name(name, after=f"_对账函_{number}.xlsx")


def reply_lines(letter: dict, us: dict[str, str]) -> list[str]:
    """The reply block, both seal blocks and where and by when to return the letter."""
    closing, end = letter[CLOSING_BALANCE], letter["期间止"]
    back = f"电子邮箱 {us['email']}" if us["email"] else ""
    post = f"邮寄至 {us['address']}" if us["address"] else ""
    where = "，或".join(p for p in (back, post) if p) or "我司联系人"
    return [
        f"请于 {letter['回复期限']:%Y年%m月%d日} 前核对、签字盖章后将本函寄回：{where}"
        f"（联系人 {us['contact']}{'，电话 ' + us['phone'] if us['phone'] else ''}）。",
        "本函仅为核对往来账项，并非催款结算。如款项在上述日期后已付清，仍请及时核对回函。",
        "",
        "回执（请在相应的 □ 内打 ✓）",
        f"□ 核对相符：截至 {end:%Y年%m月%d日}，贵我双方往来余额 ¥{fmt_yuan(closing)} 核对相符。",
        "□ 核对不符：贵司记录余额 ¥______________，不符金额 ¥______________",
        "      不符说明（可另附明细）：________________________________________________",
        "",
        f"我司（盖章）：{us['name']}",
        "",
        "",
        "经办人：______________　　日期：______年____月____日",
        "",
        f"贵司（盖章）：{letter['客户名称']}",
        "",
        "",
        "经办人：______________　　日期：______年____月____日",
    ]  # two empty lines under each 盖章 line: room for the seal


def layout_letter(letter: dict, lines: pd.DataFrame, pieces: Pieces, credits: pd.DataFrame,
                  settings: Settings) -> WorkbookSpec:
    """One customer's 对账函 on one A4 portrait page: the heading lines, 余额汇总, 本期往来明细, 期末未结清单据
    with its aging strip (``pieces``: what it shows of the customer's open parts), 预收款, then the reply and
    seal blocks."""
    us = our_block(settings)
    closing = letter[CLOSING_BALANCE]
    kind = "（经销商）" if letter["客户类型"] == DISTRIBUTOR else ""
    subtitle = [f"对账编号：{letter['对账编号']}　　对账期间：{letter['期间起']:%Y-%m-%d} 至 {letter['期间止']:%Y-%m-%d}",
                f"致：{letter['客户名称']}{kind}（客户编码 {letter['客户编码']}）",
                f"发函单位：{us['name']}" + (f"　地址：{us['address']}" if us["address"] else ""),
                "　".join(p for p in (f"联系人：{us['contact']}" if us["contact"] else "",
                                     f"电话：{us['phone']}" if us["phone"] else "",
                                     f"邮箱：{us['email']}" if us["email"] else "") if p),
                "贵司与我司的往来款项，按我司账簿记录如下（正数为贵司尚欠我司，负数为贵司预付我司），请核对后回函。"]
    summary = pd.DataFrame({  # by column: a frame of records costs twice as much, ~2,000 letters on a big company
        "项目": [f"期初余额（截至 {letter['期间起'] - timedelta(days=1):%Y-%m-%d}）", "本期增加（发货/开票）", "本期减少（回款）",
               f"期末余额（截至 {letter['期间止']:%Y-%m-%d}）", "期末余额（大写）"],
        "金额": [letter["期初余额"], letter["本期借方"], letter["本期贷方"], closing, None],
        "说明": [None, None, None, None, closing_in_words(closing)]})
    tables = [Table([Col("项目"), Col("金额", MONEY), Col("说明")], summary, heading="一、余额汇总", autofilter=False)]
    move_cols = [Col("日期", DATE), Col("单据类型"), Col("单据号"), Col(CONTRACT_NO), Col("摘要"), Col("借方", MONEY),
                 Col("贷方", MONEY), Col("余额", MONEY, total=False)]
    tables.append(Table(move_cols, lines, heading="二、本期往来明细（借方 = 发货/开票，贷方 = 回款）", totals=True,
                        totals_label="本期合计", autofilter=False))
    strip = pieces.strip
    tables.append(Table([Col(c, MONEY) for c in strip.columns], strip,
                        heading=f"三、截至 {letter['期间止']:%Y-%m-%d} 未结清单据账龄", autofilter=False))
    if len(pieces.open_rows):
        tables.append(Table([Col("日期", DATE), Col("单据号"), Col(CONTRACT_NO), Col("未收金额", MONEY), Col("到期日", DATE),
                             Col("账龄天数", INT, total=False)], pieces.open_rows, totals=True, autofilter=False))
    extra = [("其中：未到期质保金", pieces.held)]
    if len(credits):
        extra.append(("减：已收款尚未核销（预收款）", int(credits["金额"].sum())))
    extra.append(("期末余额 = 未结清单据合计 − 预收款", closing))
    tables.append(Table([Col("项目"), Col("金额", MONEY)], pd.DataFrame({"项目": [item for item, _ in extra],
                                                                      "金额": [amount for _, amount in extra]}),
                        autofilter=False))
    sheet = Sheet("对账函", tables, title="往来款项对账确认函", subtitle=subtitle, notes=reply_lines(letter, us),
                  landscape=False, fit_width=True, fit_one_page=True, freeze=False)
    return WorkbookSpec(letter_filename(letter[CUSTOMER], letter["对账编号"]), [sheet], subfolder=SUBFOLDER)


def letter_delivery(letter: dict, spec: WorkbookSpec, settings: Settings) -> Delivery:
    """The letter to the customer's 对账邮箱, the rep copied, the workbook (and its PDF) attached."""
    us = our_block(settings)
    text_lines = [f"随函附上贵司与{us['name']}截至 {letter['期间止']:%Y-%m-%d} 的往来款项对账确认函（对账编号 {letter['对账编号']}），"
                  f"期末余额 ¥{fmt_yuan(letter['期末余额'])}。",
                  f"请核对后在回执处勾选「核对相符」或「核对不符」，签字盖章，于 {letter['回复期限']:%Y-%m-%d} 前"
                  f"将扫描件回复至 {us['email'] or '本邮箱'}。谢谢！"]
    return Delivery(report="statements", title=f"往来款项对账确认函 {letter['对账编号']}", attachments=[spec],
                    key_figure=f"期末余额 ¥{fmt_yuan(letter['期末余额'])}", summary_text="\n".join(text_lines),
                    summary_html="<br>".join(text_lines), customer=letter[CUSTOMER], to=(letter["对账邮箱"],),
                    copy_rep=letter[REP], pdf=True)


NEEDS = ("receivables",)  # earlier reports whose data ``build`` takes


def build(ctx: RunContext, receivables: ReceivablesData) -> ReportOutput:
    settings, day, ledger = ctx.settings, ctx.run_date, receivables.ledger
    archive = archive_lookup(ctx.tables["客户"])
    latest = ledger.sort_values("日期", kind="stable").drop_duplicates(CUSTOMER, keep="last")
    ledger_reps = dict(zip(latest[CUSTOMER], latest[REP].map(text)))
    periods = closed_statement_periods(day, settings.statements.period, settings.statements.track_periods)
    made = [letters_of_period(p, ledger, ctx, archive, ledger_reps) for p in periods]
    letters = pd.concat([m[0] for m in made], ignore_index=True)
    totals = {p.code: total for p, (_, total) in zip(periods, made)}
    period, current = periods[0], made[0][0]
    balances = current.set_index(CUSTOMER)[["期初余额", "本期借方", "本期贷方", CLOSING_BALANCE]]
    lines = statement_lines(ledger, balances, period.start, period.end)
    parts = aged_due_parts(ctx.allocation, period.end, settings.receivables.aging_buckets)
    pieces = all_pieces(parts, settings.receivables.aging_buckets)
    no_parts = no_pieces(parts, settings.receivables.aging_buckets)
    credits = credits_as_of(ctx.allocation, period.end)
    credits_of, no_credits = dict(iter(credits.groupby(CUSTOMER, sort=False))), credits.iloc[:0]
    specs, deliveries = [], []
    sending = settings.statements.send
    for letter in current.to_dict("records"):
        name = letter[CUSTOMER]
        spec = layout_letter(letter, lines[name], pieces.get(name) or no_parts, credits_of.get(name, no_credits),
                             settings)
        specs.append(spec)
        if sending and letter["对账邮箱"] and letter["发出日期"] == day:  # a day missed: its catch-up run sends
            deliveries.append(letter_delivery(letter, spec, settings))
    no_address = tuple(current.loc[current["对账邮箱"] == "", CUSTOMER])
    figures = {"statements": len(specs), "period": period.code, "closing_balance_fen": int(current[CLOSING_BALANCE].sum()),
               "numbers": dict(zip(current[CUSTOMER], current["对账编号"])), "to_send": len(deliveries),
               "no_address": list(no_address)}
    return ReportOutput(workbooks=specs, figures=figures, deliveries=deliveries,
                        data=StatementsData(letters, totals, period, no_address))
