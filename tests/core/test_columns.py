"""columns: the whole-column helpers give, for every row, what the one-cell ``model.text`` gives."""

import numpy as np
import pandas as pd

from neiqin_xl.core.columns import column_texts, each_once, pick, position_of, sources, texts
from neiqin_xl.core.model import text


def test_texts_of_each_kind_of_column_read_blanks_as_empty():
    assert texts(pd.Series(["HT-1", None], dtype="str")) == ["HT-1", ""]
    assert texts(pd.Series([5, 12], dtype="int64")) == ["5", "12"]
    assert texts(pd.Series([1, None], dtype="Int64")) == ["1", ""]
    mixed = pd.Series(["a", 3.5, None, pd.NaT], dtype=object)
    assert texts(mixed) == [text(v) for v in mixed] == ["a", "3.5", "", ""]


def test_a_missing_column_reads_as_empty_text_on_every_row():
    assert column_texts(pd.DataFrame({"x": [1, 2]}), "客户名称") == ["", ""]


def test_sources_name_the_workbook_sheet_and_excel_row():
    frame = pd.DataFrame({"来源工作簿": ["张伟.xlsx", None], "来源工作表": ["发货", "发货"], "来源行": [5, 6]})
    assert sources(frame) == ["张伟.xlsx[发货]!5", ""]  # no workbook: no source


def test_each_once_calls_the_function_once_per_distinct_value():
    calls = []
    result = each_once(lambda v: calls.append(v) or f"<{v}>", pd.Series(["甲", "乙", "甲", "甲"]))
    assert list(result) == ["<甲>", "<乙>", "<甲>", "<甲>"] and sorted(calls) == ["乙", "甲"]


def test_position_of_finds_the_last_occurrence_and_pick_fills_the_missing():
    keys = np.array(["A", "B", "A"], dtype=object)
    at = position_of(keys, np.array(["A", "C", "B"], dtype=object))
    assert list(at) == [2, -1, 1]  # A last at 2 (as a dict built from keys), C absent
    assert list(pick(["a0", "b1", "a2"], at, "—")) == ["a2", "—", "b1"]
