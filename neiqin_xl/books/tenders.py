"""The 投标台账's rules (master/投标台账.xlsx, sheet 投标): which bids are due, which bid bonds to chase, which won
tenders still lack a contract, and a month's figures.

Its place in the process: the books, after validation; the 投标台账 report (reports/tender_register.py), the 日报's
今日要点 and the 月报 all read these, so each rule has one home.

- **即将截止**: 状态 跟踪 (or blank) with a 投标截止日期 on or after the run date and at most
  ``tenders.remind_days`` working days after it (``Workdays.since``: working days in (D, 截止]).
- **保证金待退**: a 保证金 paid (缴纳日期 filled), not returned (退回日期 blank), 开标 more than
  ``tenders.bond_days`` working days before the run date — money the company is owed, to chase. Working days
  follow the Chinese calendar (a holiday week does not count, a 调休 Saturday does).
- **中标未签合同**: 状态 中标, no 合同编号, 开标日期 more than ``tenders.contract_days`` calendar days before D.
- **a month's figures**: bids = tenders whose 投标截止日期 falls in the month with 状态 已投标/中标/未中标; win
  rate = 中标 ÷ (中标 + 未中标) among them (None when none is decided); bonds outstanding = the 保证金 paid and
  not returned at the month's end (or the run date, when earlier).
"""

from __future__ import annotations

from datetime import date

import pandas as pd

from ..core.config import Settings
from ..core.model import text as _text
from ..core.schema import (AWARD_AMOUNT, BID_BOND, BID_DEADLINE, BID_OPENING_DATE, BOND_PAID_DATE, BOND_RETURNED_DATE,
                           CONTRACT_NO)
from .workdays import Workdays

FOLLOWING, BID, WON, LOST, DROPPED = "跟踪", "已投标", "中标", "未中标", "放弃"


def _state(frame: pd.DataFrame) -> pd.Series:
    return frame["状态"].map(lambda v: _text(v) or FOLLOWING) if len(frame) else pd.Series([], dtype="str")


def due_soon(tenders: pd.DataFrame, settings: Settings, day: date, calendar: Workdays | None = None
             ) -> pd.DataFrame:
    """The bids still to hand in whose 投标截止日期 is within ``remind_days`` working days (column 剩余工作日)."""
    if tenders.empty:
        return tenders.assign(剩余工作日=pd.Series([], dtype="int64"))
    calendar = calendar or Workdays.of(settings)
    open_ = tenders[(_state(tenders) == FOLLOWING) & tenders[BID_DEADLINE].notna()
                    & (tenders[BID_DEADLINE] >= pd.Timestamp(day))].copy()
    open_["剩余工作日"] = [calendar.since(day, d.date()) for d in open_[BID_DEADLINE]]
    return open_[open_["剩余工作日"] <= settings.tenders.remind_days].sort_values(BID_DEADLINE, kind="stable")


def bonds_to_chase(tenders: pd.DataFrame, settings: Settings, day: date, calendar: Workdays | None = None
                   ) -> pd.DataFrame:
    """Bid bonds paid and not back more than ``bond_days`` working days after 开标 (column 开标后工作日)."""
    if tenders.empty:
        return tenders.assign(开标后工作日=pd.Series([], dtype="int64"))
    calendar = calendar or Workdays.of(settings)
    held = tenders[(tenders[BID_BOND] > 0) & tenders[BOND_PAID_DATE].notna() & tenders[BOND_RETURNED_DATE].isna()
                   & tenders[BID_OPENING_DATE].notna() & (tenders[BID_OPENING_DATE] < pd.Timestamp(day))].copy()
    held["开标后工作日"] = calendar.since_each([d.date() for d in held[BID_OPENING_DATE]], day)
    return held[held["开标后工作日"] > settings.tenders.bond_days].sort_values(BID_OPENING_DATE, kind="stable")


def won_without_contract(tenders: pd.DataFrame, settings: Settings, day: date) -> pd.DataFrame:
    """中标 tenders with no 合同编号 more than ``contract_days`` days after 开标 (column 开标后天数)."""
    if tenders.empty:
        return tenders.assign(开标后天数=pd.Series([], dtype="int64"))
    won = tenders[(_state(tenders) == WON) & (tenders[CONTRACT_NO].map(_text) == "") & tenders[BID_OPENING_DATE].notna()].copy()
    won["开标后天数"] = (pd.Timestamp(day) - won[BID_OPENING_DATE]).dt.days
    return won[won["开标后天数"] > settings.tenders.contract_days].sort_values(BID_OPENING_DATE, kind="stable")


def month_figures(tenders: pd.DataFrame, start: date, end: date) -> dict:
    """投标数, 中标数, 未中标数, 中标率 (None when nothing decided), 中标金额 (fen), 保证金未退 (fen) at ``end``.

    >>> t = pd.DataFrame({"状态": ["中标", "未中标", "已投标", "跟踪"],
    ...     "投标截止日期": pd.to_datetime(["2026-11-03", "2026-11-10", "2026-11-20", "2026-11-25"]),
    ...     "中标金额": [500000, 0, 0, 0], "保证金": [10000, 20000, 0, 5000],
    ...     "保证金缴纳日期": pd.to_datetime(["2026-10-30", "2026-11-05", None, "2026-11-20"]),
    ...     "保证金退回日期": pd.to_datetime([None, "2026-11-25", None, None])})
    >>> month_figures(t, date(2026, 11, 1), date(2026, 11, 30))
    {'投标数': 3, '中标数': 1, '未中标数': 1, '中标率': 0.5, '中标金额': 500000, '保证金未退': 15000}
    """
    if tenders.empty:
        return {"投标数": 0, "中标数": 0, "未中标数": 0, "中标率": None, AWARD_AMOUNT: 0, "保证金未退": 0}
    state = _state(tenders)
    due = tenders[BID_DEADLINE]
    in_month = due.notna() & (due >= pd.Timestamp(start)) & (due <= pd.Timestamp(end))
    bids = in_month & state.isin((BID, WON, LOST))
    won, lost = int((bids & (state == WON)).sum()), int((bids & (state == LOST)).sum())
    cut = pd.Timestamp(end)
    paid = tenders[BOND_PAID_DATE].notna() & (tenders[BOND_PAID_DATE] <= cut)
    back = tenders[BOND_RETURNED_DATE].notna() & (tenders[BOND_RETURNED_DATE] <= cut)
    return {"投标数": int(bids.sum()), "中标数": won, "未中标数": lost,
            "中标率": won / (won + lost) if won + lost else None,
            AWARD_AMOUNT: int(tenders.loc[bids & (state == WON), AWARD_AMOUNT].sum()),
            "保证金未退": int(tenders.loc[paid & ~back, BID_BOND].sum())}
