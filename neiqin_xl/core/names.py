"""Names as reps type them, resolved to one customer.

``normalize_name`` unifies full-width/half-width characters (NFKC: （）→(), ＡＢＣ→ABC, full-width digits),
trims and collapses spaces. ``CustomerIndex`` resolves a typed name to the archive's canonical name,
through the archive's aliases and, for matching only, a key without the company-form suffix
(有限公司 …), so 上海明达贸易有限公司, "上海明达贸易有限公司 " and an alias all resolve to one customer.
``is_total_text`` tells a total row's label (合计, 本月合计, 上海明达 小计) from a name: the one rule the
intake (finance exports' 合计 rows) and the finance matching (``books/matching.py``) both apply.

Every report calls these on every row, and the same few thousand names come back again and again: the
text work is cached by the string (``functools.lru_cache``), so a name is normalised once per run.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

import pandas as pd

from .schema import CUSTOMER

_SPACES = re.compile(r"\s+")
_ALIAS_SPLIT = re.compile(r"[；;、,，/\n]+")
_CJK_SPACE = re.compile(r"(?<=[\u4e00-\u9fff()]) (?=[\u4e00-\u9fff()])")
_COMPANY_FORMS = ("股份有限公司", "有限责任公司", "有限公司", "集团公司", "公司")
_TOTAL_WORDS = "合计|小计|总计|累计"
_TOTAL_START = re.compile(rf"^[\W_]*(本月|本年|本期|本季|全年)?({_TOTAL_WORDS})")
_TOTAL_END = re.compile(rf"({_TOTAL_WORDS})[\W_]*$")
_TOTAL_ANYWHERE = re.compile(r"(本月|本年|本期|本季)(合计|累计|小计)")
_CACHED = 1 << 16  # distinct strings kept per function: far more than a workspace's names


def normalize_name(value: object) -> str:
    """'  上海明达（集团）有限公司 ' -> '上海明达(集团)有限公司'; blanks -> ''."""
    if isinstance(value, str):
        return _normalize_text(value)
    if value is None or pd.isna(value):
        return ""
    return _normalize_text(str(value))


def staff_names(staff: object) -> list[str]:
    """The 人员 table's 姓名, normalised, blanks left out, in the table's order; [] without the table or the
    column. The one reading of "who the people are" that the intake (whose workbook is whose), the copies'
    check and the reminders share.

    >>> staff_names(pd.DataFrame({"姓名": [" 张伟 ", None, "李娜"]})), staff_names(None)
    (['张伟', '李娜'], [])
    """
    if staff is None or "姓名" not in getattr(staff, "columns", ()):
        return []
    return [n for n in staff["姓名"].map(normalize_name) if n]


@lru_cache(maxsize=_CACHED)
def _normalize_text(text: str) -> str:
    text = unicodedata.normalize("NFKC", text)
    text = _SPACES.sub(" ", text).strip()
    # a space between two CJK characters is a typing slip
    return _CJK_SPACE.sub("", text)


def match_key(value: object) -> str:
    """A looser key for matching: normalised, without spaces, brackets' content kept, company form dropped."""
    return _key_of_normalized(normalize_name(value))


@lru_cache(maxsize=_CACHED)
def _key_of_normalized(name: str) -> str:
    text = name.replace(" ", "").upper()
    for form in _COMPANY_FORMS:
        if text.endswith(form) and len(text) > len(form) + 1:
            text = text[: -len(form)]
            break
    return text.replace("(", "").replace(")", "")


def is_total_text(value: object) -> bool:
    """Does a cell read as the label of a total row (合计, 小计, 总计, 累计), not as a name or a memo?

    A total word at the start (after 本月/本年/本期/本季/全年), at the end, or 本月合计-like anywhere; spaces,
    full-width forms and punctuation around it do not matter. A name that merely holds the characters does
    not read as a total.

    >>> [is_total_text(t) for t in ("合计", "本月合计", " 总　计 ", "**小计", "小计：上海明达", "上海明达 小计", "本年累计")]
    [True, True, True, True, True, True, True]
    >>> is_total_text("上海明达（集团） 小计:")  # the label after a customer's name
    True
    >>> [is_total_text(t) for t in ("联合计算机有限公司", "收联合计算机货款", "收-0012", "", None)]
    [False, False, False, False, False]
    """
    label = normalize_name(value).replace(" ", "")
    if not label:
        return False
    return bool(_TOTAL_START.search(label) or _TOTAL_END.search(label) or _TOTAL_ANYWHERE.search(label))


def split_aliases(value: object) -> list[str]:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return []
    return [normalize_name(a) for a in _ALIAS_SPLIT.split(str(value)) if normalize_name(a)]


class CustomerIndex:
    """The archive's customers, looked up by name, alias or match key."""

    def __init__(self, canonical_names: Iterable[str], aliases: dict[str, Iterable[str]] | None = None):
        self.names: list[str] = []
        self._by_key: dict[str, str] = {}
        seen: set[str] = set()
        for name in canonical_names:
            name = normalize_name(name)
            if not name or name in seen:
                continue
            seen.add(name)
            self.names.append(name)
            self._by_key.setdefault(match_key(name), name)
        for name, alias_list in (aliases or {}).items():
            name = normalize_name(name)
            for alias in alias_list:
                self._by_key.setdefault(match_key(alias), name)

    @classmethod
    def from_archive(cls, customers: pd.DataFrame) -> "CustomerIndex":
        if customers is None or customers.empty:
            return cls([])
        names = [normalize_name(n) for n in customers[CUSTOMER]]
        aliases = {n: split_aliases(a) for n, a in zip(names, customers.get("别名", pd.Series([None] * len(names))))}
        return cls(names, aliases)

    def resolve(self, name: object) -> str | None:
        """The canonical archive name, or None when the name is found nowhere."""
        return self._by_key.get(match_key(name))

    def canonical(self, name: object) -> str:
        """The archive name when known, else the normalised name as typed."""
        return self.resolve(name) or normalize_name(name)

    def __contains__(self, name: object) -> bool:
        return self.resolve(name) is not None
