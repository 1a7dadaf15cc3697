"""Finance's exports and the reps' lines in the business's notation, for the matching and reconciliation tests."""

import pandas as pd

from neiqin_xl.books import matching
from neiqin_xl.core.config import Settings
from neiqin_xl.core.months import Month
from neiqin_xl.core.names import CustomerIndex

from .helpers import table

MINGDA = "上海明达贸易有限公司"
HENGYUAN = "杭州恒远(集团)有限公司"  # the archive's name, （） normalised to ()
HUAQIANG = "深圳市华强北电子科技发展有限公司"
LIANHE = "联合计算机有限公司"  # "联合计算机" holds the characters 合计: not a total row
MONTH = Month("2026-11")


def archive() -> CustomerIndex:
    return CustomerIndex([MINGDA, HENGYUAN, HUAQIANG, LIANHE], {MINGDA: ["明达"]})


def collections(rows: list[dict], rep: str = "张伟") -> pd.DataFrame:
    """The reps' 回款 from rows typed in yuan: {"回款日期": "2026-11-05", "客户名称": …, "回款金额": "10,000.00"}."""
    return table("回款", rows, rep=rep)


def finance(sheet: str, rows: list[dict], month: str = MONTH) -> pd.DataFrame:
    """finance's rows of ``sheet`` (财务收款, 财务开票, 应收余额) in yuan, from <sheet>_<month>.xlsx, 月份 from the
    file name."""
    return table(sheet, [{"月份": month, "业务员": "", "来源工作簿": f"{sheet}_{month}.xlsx", **r} for r in rows])


def receipts(rows: list[dict], month: str = MONTH) -> pd.DataFrame:
    return finance("财务收款", rows, month)


def fin_invoices(rows: list[dict], month: str = MONTH) -> pd.DataFrame:
    return finance("财务开票", rows, month)


def fin_balances(rows: list[dict], month: str = MONTH) -> pd.DataFrame:
    return finance("应收余额", rows, month)


def match(sales: pd.DataFrame, finance_lines: pd.DataFrame, kind: str = matching.COLLECTION) -> matching.MatchResult:
    return matching.match_lines(sales, finance_lines, kind, Settings(), archive())


def notes(result: matching.MatchResult) -> list[tuple[int, str]]:
    return [(m.level, m.note) for m in result.matches]
