"""Whole columns at once: what the allocation and the reports use instead of looping over rows.

A loop over a DataFrame's rows (``to_dict("records")``, or iterating a python-backed "str" column, which
boxes every cell) costs seconds at a hundred reps; these read a column once into plain Python values or
an object array. Blanks (None, NaN, NaT, NA) read as "" — what ``model.text`` gives for one cell.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from .model import SRC_ROW, SRC_SHEET, SRC_WORKBOOK, text


def texts(values: pd.Series) -> list[str]:
    """``text`` of every cell of a column."""
    if isinstance(values.dtype, np.dtype) and values.dtype.kind in "iu":  # numpy integers (来源行) are never blank
        return [str(v) for v in values.tolist()]
    cells = values.to_numpy(dtype=object)
    if isinstance(values.dtype, pd.StringDtype):
        return [v if isinstance(v, str) else "" for v in cells]
    return [v if type(v) is str else text(v) for v in cells]  # a str is its own text: no call for it


def column_texts(frame: pd.DataFrame, column: str) -> list[str]:
    """``texts`` of a column, or "" for every row when the frame lacks it (``row.get(column)`` of a record)."""
    return texts(frame[column]) if column in frame else [""] * len(frame)


def text_values(frame: pd.DataFrame, column: str) -> np.ndarray:
    """``column_texts`` as an object array, for comparisons and ``+`` on whole columns."""
    values = np.empty(len(frame), dtype=object)
    values[:] = column_texts(frame, column)
    return values


def stripped_texts(frame: pd.DataFrame, column: str) -> np.ndarray:
    """``text_values`` with each cell's surrounding spaces removed ("" for a blank or a column not there)."""
    return np.array([v.strip() for v in column_texts(frame, column)], dtype=object)


def sources(frame: pd.DataFrame) -> list[str]:
    """Where each row was read: `张伟.xlsx[发货]!5`; "" when the workbook is not known."""
    return [f"{wb}[{sheet}]!{line}" if wb else "" for wb, sheet, line in
            zip(column_texts(frame, SRC_WORKBOOK), column_texts(frame, SRC_SHEET), column_texts(frame, SRC_ROW))]


def each_once(func: Callable[[object], object], values: pd.Series | np.ndarray) -> np.ndarray:
    """``func`` of every value, called once per distinct value (names and dates: the same few come back)."""
    codes, uniques = pd.factorize(values, use_na_sentinel=False)
    results = np.empty(len(uniques), dtype=object)
    results[:] = [func(u) for u in uniques]
    return results[codes]


def date_labels(days: pd.Series, pattern: str = "%Y-%m-%d") -> np.ndarray:
    """Every date as 2026-11-28 (``pattern``), each distinct date formatted once."""
    return each_once(lambda d: format(d, pattern), days)


def position_of(keys: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """For each of ``wanted``, the position of its last occurrence in ``keys``; -1 when it is not there
    (the row a dict built from ``keys`` would give).

    A contract number repeated in ``keys`` gives its last row; one that is absent gives -1:

    >>> contracts = np.array(["HT-1", "HT-2", "HT-1"], dtype=object)
    >>> position_of(contracts, np.array(["HT-1", "HT-9", "HT-2"], dtype=object)).tolist()
    [2, -1, 1]
    >>> position_of(contracts, np.array([], dtype=object)).tolist()
    []
    """
    last = pd.Series(np.arange(len(keys)), index=pd.Index(keys, dtype=object))
    last = last[~last.index.duplicated(keep="last")]
    return last.reindex(pd.Index(wanted, dtype=object), fill_value=-1).to_numpy()


def pick(values: np.ndarray | list, positions: np.ndarray, missing: object) -> np.ndarray:
    """``values`` at ``positions`` (from ``position_of``), ``missing`` where the position is -1.

    >>> customers = ["明达", "华东", "明达贸易"]
    >>> pick(customers, np.array([2, -1, 1]), "").tolist()
    ['明达贸易', '', '华东']
    >>> pick([], np.array([-1, -1]), "未知").tolist()  # nothing to pick from: every row missing
    ['未知', '未知']
    """
    padded = np.empty(len(values) + 1, dtype=object)
    padded[:-1] = values
    padded[-1] = missing
    return padded[positions]
