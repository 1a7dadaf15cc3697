"""货物跟踪: after a shipment left — who has not signed for it, which has no 物流单号, whom to call today.

Its place in the process: after the books (the validated 发货 table, whose rows carry the contract's 客户名称
and 业务员, the rep whose workbook holds the row in 填报人) and before the 日报, which ``USES`` its data for one
line of 今日要点. Made on working days (``--force`` or ``--only tracking`` on any day). As of the run date D,
counting only shipments dated up to D (a 待发货 request is not a shipment):

- signed = a 签收日期 on or before D, or 状态 已签收 (signed, date not typed);
- 未签收 (call the customer): an unsigned shipment ``tracking.unsigned_days`` (5) or more working days after
  its 发货日期 (``workdays``: working days in (发货日期, D]); one with a 预计到货日期 instead once D is past that
  day (the rep said when it would arrive);
- 缺物流单号: an unsigned shipment without 物流单号 one or more working days after its 发货日期: a 警告 at the
  物流单号 cell for the rep whose workbook holds it (so in their 问题清单 too);
- 今日发货 (the phone list for reps who call instead): the shipments dated D, with 联系人 and 电话 from 客户档案.

Workbook 货物跟踪_<D>.xlsx for the clerk (未签收, 缺物流单号, 今日发货电话清单); each rep (the contract's rep: the
customer is theirs) with any row gets 货物跟踪/货物跟踪_<rep>_<D>.xlsx with their rows only and one message.

With ``tracking.notify_customers: true``, each shipment still to arrive (unsigned, fewer than ``unsigned_days``
working days old) whose 物流单号 is entered and whose customer has a 邮箱 in 客户档案 gives one 发货通知 to that
address: contract, goods, quantity, carrier, tracking number, nothing else (no amount, no rep, no other
customer). ``deliver.mail`` sends a customer's notice once, ever, never again on a later run nor with --resend.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from ..books import workdays
from ..books.context import RunContext
from ..books.due import WORKING_DAYS
from ..books.customers import archive_lookup
from ..books.validate import FILLER, Columns, problem
from ..core.columns import column_texts, sources, stripped_texts
from ..core.files import Name
from ..core.model import REP, WARNING, Problem, text
from ..core.output import Delivery, ReportOutput
from ..core.results import TrackingData
from ..core.schema import (CONTACT, CONTRACT_NO, CUSTOMER, DELIVERED_DATE, EXPECTED_ARRIVAL_DATE, PRODUCT, SHIPMENTS,
                           SHIPMENT_AMOUNT, SHIPMENT_DATE, SHIPMENT_NO, SRC_ROW, SRC_WORKBOOK, TRACKING_NO)
from ..core.sheets import DATE, INT, MONEY, NUMBER, Col, Sheet, Table, WorkbookSpec

SIGNED = "已签收"
FOLDER = "货物跟踪"
UNSIGNED_COLUMNS = [SHIPMENT_NO, SHIPMENT_DATE, CONTRACT_NO, CUSTOMER, CONTACT, "电话", PRODUCT, "数量", SHIPMENT_AMOUNT, "物流公司",
                    TRACKING_NO, EXPECTED_ARRIVAL_DATE, "未签收工作日", "原因", REP, "来源"]
TODAY_COLUMNS = [CUSTOMER, CONTACT, "电话", "货物", "物流公司", TRACKING_NO, CONTRACT_NO, SHIPMENT_NO, REP]


def shipment_status(shipments: pd.DataFrame, day: date, calendar: workdays.Workdays) -> pd.DataFrame:
    """The shipments dated up to ``day`` with 已签收 (bool), 未签收工作日 (working days in (发货日期, day]),
    联系人/电话 left to the caller; in 发货日期 and source order."""
    cutoff = pd.Timestamp(day)
    real = shipments[shipments[SHIPMENT_DATE].notna() & (shipments[SHIPMENT_DATE] <= cutoff)]
    real = real.sort_values([SHIPMENT_DATE, SRC_WORKBOOK, SRC_ROW], kind="stable").reset_index(drop=True)
    signed_on = real[DELIVERED_DATE]
    signed = (signed_on.notna() & (signed_on <= cutoff)).to_numpy() | (stripped_texts(real, "状态") == SIGNED)
    elapsed = calendar.since_each([d.date() for d in real[SHIPMENT_DATE]], day)
    return real.assign(已签收=signed, 未签收工作日=np.array(elapsed, dtype="int64"))


def unsigned_reason(elapsed: int, expected: pd.Timestamp, day: date, unsigned_days: int) -> str:
    """Why an unsigned shipment is on the list, '' when it is not due yet.

    >>> unsigned_reason(5, pd.NaT, date(2026, 11, 30), 5), unsigned_reason(4, pd.NaT, date(2026, 11, 30), 5)
    ('发货后 5 个工作日未签收', '')
    >>> unsigned_reason(9, pd.Timestamp("2026-12-01"), date(2026, 11, 30), 5)
    ''
    >>> unsigned_reason(2, pd.Timestamp("2026-11-27"), date(2026, 11, 30), 5)
    '已过预计到货日期 2026-11-27, 未签收'
    """
    if pd.notna(expected):
        return f"已过预计到货日期 {expected:%Y-%m-%d}, 未签收" if expected < pd.Timestamp(day) else ""
    return f"发货后 {elapsed} 个工作日未签收" if elapsed >= unsigned_days else ""


def with_contacts(frame: pd.DataFrame, archive: dict[str, dict]) -> pd.DataFrame:
    """联系人 and 电话 of each row's customer from 客户档案 ("" when the archive has none)."""
    rows = [archive.get(c) or {} for c in column_texts(frame, CUSTOMER)]
    return frame.assign(联系人=[text(r.get(CONTACT)) for r in rows], 电话=[text(r.get("电话")) for r in rows])


def unsigned_shipments(status: pd.DataFrame, day: date, unsigned_days: int) -> pd.DataFrame:
    """UNSIGNED_COLUMNS: the unsigned shipments due a call (``unsigned_reason``)."""
    open_ = status[~status["已签收"]]
    reasons = [unsigned_reason(e, x, day, unsigned_days)
               for e, x in zip(open_["未签收工作日"].tolist(), open_[EXPECTED_ARRIVAL_DATE])]
    due = open_.assign(原因=reasons, 来源=sources(open_))[[bool(r) for r in reasons]]
    return due.reindex(columns=UNSIGNED_COLUMNS).reset_index(drop=True)


def missing_numbers(status: pd.DataFrame) -> pd.DataFrame:
    """The unsigned shipments without 物流单号 a working day or more after they left (source columns kept)."""
    return status[~status["已签收"] & (stripped_texts(status, TRACKING_NO) == "") & (status["未签收工作日"] >= 1)
                  ].assign(来源=lambda f: sources(f)).reset_index(drop=True)


def number_warnings(missing: pd.DataFrame, columns: Columns) -> list[Problem]:
    """A 警告 at each row's 物流单号 cell, for the rep whose workbook holds it (填报人)."""
    found = []
    for row in missing.to_dict("records"):
        filler = text(row.get(FILLER)) or text(row.get(REP))
        found.append(problem({**row, REP: filler}, columns, SHIPMENTS, WARNING,
                             f"发货 {row['发货日期']:%Y-%m-%d} 已过 {int(row['未签收工作日'])} 个工作日, 仍未填物流单号",
                             TRACKING_NO, "请补填物流单号 (和物流公司), 以便跟踪和通知客户"))
    return found


def phone_list(status: pd.DataFrame, day: date) -> pd.DataFrame:
    """TODAY_COLUMNS: the shipments dated ``day``; 货物 = 产品名称 × 数量."""
    today = status[status[SHIPMENT_DATE] == pd.Timestamp(day)]
    goods = [f"{p} × {q:g}" if p and pd.notna(q) else p for p, q in zip(column_texts(today, PRODUCT), today["数量"])]
    return today.assign(货物=goods).reindex(columns=TODAY_COLUMNS).reset_index(drop=True)


def compute(status: pd.DataFrame, day: date, unsigned_days: int) -> TrackingData:
    """The three lists of ``status`` (``shipment_status`` with the contacts)."""
    return TrackingData(unsigned=unsigned_shipments(status, day, unsigned_days),
                        no_tracking_number=missing_numbers(status), today=phone_list(status, day))


# ---------------------------------------------------------------- customer notices

def notices(status: pd.DataFrame, archive: dict[str, dict], unsigned_days: int) -> list[Delivery]:
    """One 发货通知 per shipment still on its way (unsigned, younger than ``unsigned_days`` working days) with a
    物流单号, to its customer's 邮箱 in 客户档案; the text names that shipment only."""
    out = []
    on_way = status[~status["已签收"] & (status["未签收工作日"] < unsigned_days) & (stripped_texts(status, TRACKING_NO) != "")]
    for row in on_way.to_dict("records"):
        customer = text(row[CUSTOMER])
        address = text((archive.get(customer) or {}).get("邮箱")).strip()
        if "@" not in address:
            continue
        goods = text(row.get(PRODUCT)) + (f" {row['数量']:g}" if pd.notna(row.get("数量")) else "")
        lines = [f"贵司合同 {text(row['合同编号'])} 的货物已于 {row['发货日期']:%Y-%m-%d} 发出。",
                 f"货物: {goods.strip() or '见合同'}",
                 f"物流: {text(row.get('物流公司')) or '(未填物流公司)'}, 单号 {text(row['物流单号'])}"]
        if pd.notna(row.get(EXPECTED_ARRIVAL_DATE)):
            lines.append(f"预计到货: {row['预计到货日期']:%Y-%m-%d}")
        lines.append("收到货物后请签收; 如有疑问请与我们联系。")
        key = text(row.get(SHIPMENT_NO)) or f"{text(row['合同编号'])} {row['发货日期']:%Y-%m-%d} {text(row['物流单号'])}"
        out.append(Delivery(report="notice", title=f"发货通知 {key}", customer=customer, to=(address,),
                            key_figure=f"合同 {text(row['合同编号'])}", summary_text="\n".join(lines)))
    return out


# ---------------------------------------------------------------- the workbooks

UNSIGNED_COLS = [Col(SHIPMENT_NO), Col(SHIPMENT_DATE, DATE), Col(CONTRACT_NO), Col(CUSTOMER), Col(CONTACT), Col("电话"),
                 Col(PRODUCT), Col("数量", NUMBER, total=False), Col(SHIPMENT_AMOUNT, MONEY), Col("物流公司"), Col(TRACKING_NO),
                 Col(EXPECTED_ARRIVAL_DATE, DATE), Col("未签收工作日", INT, total=False), Col("原因"), Col(REP), Col("来源")]
MISSING_COLS = [Col(SHIPMENT_NO), Col(SHIPMENT_DATE, DATE), Col(CONTRACT_NO), Col(CUSTOMER), Col(PRODUCT),
                Col("数量", NUMBER, total=False), Col(SHIPMENT_AMOUNT, MONEY), Col("未签收工作日", INT, total=False), Col(REP),
                Col(FILLER), Col("来源")]
TODAY_COLS = [Col(c) for c in TODAY_COLUMNS]


def sheets(data: TrackingData, day: date, unsigned_days: int, subtitle: list[str]) -> list[Sheet]:
    rule = (f"未签收: 发货后满 {unsigned_days} 个工作日仍无签收日期 (填了预计到货日期的, 过了该日期仍未签收); "
            "请打电话确认到货")
    return [Sheet("未签收", [Table(UNSIGNED_COLS, data.unsigned, totals=True)], title="货物跟踪 — 未签收",
                  subtitle=[*subtitle, rule]),
            Sheet("缺物流单号", [Table(MISSING_COLS, data.no_tracking_number, totals=True)], title="货物跟踪 — 缺物流单号",
                  subtitle=[*subtitle, "发货满 1 个工作日仍未填物流单号 (已列入问题清单, 警告)"]),
            Sheet("今日发货电话清单", [Table(TODAY_COLS, data.today)], title=f"今日发货 {day.isoformat()} — 电话通知客户",
                  subtitle=[*subtitle, "不发邮件通知的客户, 请按此清单电话告知发货和物流单号"])]


def of_rep(data: TrackingData, rep: str) -> TrackingData:
    return TrackingData(**{f: getattr(data, f)[getattr(data, f)[REP] == rep].reset_index(drop=True)
                           for f in ("unsigned", "no_tracking_number", "today")})


def counts(data: TrackingData) -> str:
    return (f"超期未签收 {len(data.unsigned)} 笔, 缺物流单号 {len(data.no_tracking_number)} 笔, "
            f"今日发货 {len(data.today)} 笔")


def build_rep(data: TrackingData, day: date, unsigned_days: int) -> tuple[list[WorkbookSpec], list[Delivery]]:
    """Each rep with a row: their own workbook and message (only their customers' shipments)."""
    specs, deliveries = [], []
    reps = sorted({r for f in (data.unsigned, data.no_tracking_number, data.today) for r in column_texts(f, REP) if r})
    for rep in reps:
        own = of_rep(data, rep)
        spec = WorkbookSpec(Name(rep, before="货物跟踪_", after=f"_{day.isoformat()}.xlsx"),
                            sheets(own, day, unsigned_days, [f"截至 {day.isoformat()}", f"业务员 {rep}"]),
                            subfolder=FOLDER, for_rep=rep)
        specs.append(spec)
        deliveries.append(Delivery(report="tracking", rep=rep, title="货物跟踪", attachments=[spec],
                                   key_figure=", ".join(f"{label} {n} 笔" for label, n in (
                                       ("未签收", len(own.unsigned)), ("缺物流单号", len(own.no_tracking_number)),
                                       ("今日发货", len(own.today))) if n),
                                   summary_text=f"{counts(own)}。请给未签收的客户打电话确认到货并补填签收日期, "
                                                "补填缺少的物流单号, 并电话通知今日发货的客户; 明细见附件。"))
    return specs, deliveries


def figures(data: TrackingData, notices_made: int) -> dict:
    return {"produced": True, "unsigned": len(data.unsigned), "unsigned_fen": int(data.unsigned[SHIPMENT_AMOUNT].sum()),
            "no_tracking_number": len(data.no_tracking_number), "shipped_today": len(data.today),
            "customer_notices": notices_made}


NEEDS: tuple[str, ...] = ()  # earlier reports whose data ``build`` takes
DUE = WORKING_DAYS  # the days it is made (books.due, applied by the runner)


def build(ctx: RunContext) -> ReportOutput:
    day, settings = ctx.run_date, ctx.settings
    unsigned_days = settings.tracking.unsigned_days
    archive = archive_lookup(ctx.tables["客户"])
    status = with_contacts(shipment_status(ctx.tables["发货"], day, ctx.workdays), archive)
    data = compute(status, day, unsigned_days)
    warnings = number_warnings(data.no_tracking_number, Columns(ctx.tables))
    clerk = WorkbookSpec(f"货物跟踪_{day.isoformat()}.xlsx",
                         sheets(data, day, unsigned_days, [settings.company.name, f"截至 {day.isoformat()}"]))
    rep_specs, deliveries = build_rep(data, day, unsigned_days)
    sent = notices(status, archive, unsigned_days) if settings.tracking.notify_customers else []
    return ReportOutput(workbooks=[clerk, *rep_specs], figures=figures(data, len(sent)), problems=warnings,
                        data=data, deliveries=[*deliveries, *sent])

