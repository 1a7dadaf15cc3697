"""The intake cache (neiqin_xl/cache.py): real workbooks read twice; an unchanged workbook is not parsed
again, a changed file / config / program version is, and a cache folder others can write is never used.

Every test keeps its cache in tmp_path (intake.cache_dir), never in the user's real cache folder.
"""

from __future__ import annotations

import logging
import os
from datetime import date

import numpy as np
import pandas as pd
import pytest

from neiqin_xl.read import cache as cache_module
from neiqin_xl.read import intake
from neiqin_xl.read.cache import decode_frame, encode_frame, entry_bytes, read_entry
from neiqin_xl.read.intake import read_workspace
from neiqin_xl.core.model import ERROR

from ..helpers_intake import COLLECTION_HEADER, write_book
from ..helpers_intake import workspace as make_workspace

RUN = date(2026, 11, 30)
posix_only = pytest.mark.skipif(os.name == "nt", reason="POSIX owner and permission checks")


@pytest.fixture
def ws(tmp_path):
    """Two reps' workbooks; the cache in tmp_path/cache (0700)."""
    settings = make_workspace(tmp_path / "ws")
    reps = settings.folder("reps")
    write_book(reps / "张伟.xlsx", {"回款": [COLLECTION_HEADER,
                                           ["2026-11-02", "明达", "HT-1", "¥1,234.50", "B001"],
                                           ["2026-13-05", "明达", "HT-1", 100, "B002"]]})  # an error row
    write_book(reps / "李娜.xlsx", {"回款": [COLLECTION_HEADER, ["2026-11-03", "华东", "HT-2", "1.2万", "B003"]]})
    cache_dir = tmp_path / "cache"
    # workers 0: parsed in this process, where ``parses`` counts them (test_isolation reads cached workspaces
    # through the worker pool)
    intake_settings = settings.intake.model_copy(update={"cache_dir": cache_dir, "workers": 0})
    return settings.model_copy(update={"intake": intake_settings})


@pytest.fixture
def parses(monkeypatch):
    """Counts the workbooks really parsed (not taken from the cache), by file name."""
    seen: list[str] = []
    real = intake.parse_workbook

    def counting(path, *args, **kwargs):
        seen.append(path.name)
        return real(path, *args, **kwargs)

    monkeypatch.setattr(intake, "parse_workbook", counting)
    return seen


def read(settings):
    tables, problems = read_workspace(settings)
    return tables, problems


def test_unchanged_workbooks_come_from_the_cache_identical(ws, parses):
    cold_tables, cold_problems = read(ws)
    assert sorted(parses) == ["张伟.xlsx", "李娜.xlsx"]
    assert len(list((ws.intake.cache_dir).glob("*.entry"))) == 2  # one entry per workbook

    parses.clear()
    warm_tables, warm_problems = read(ws)
    assert parses == []  # nothing parsed again
    # ¥1,234.50 -> 123450 fen, 1.2万 -> 1200000 fen; the 2026-13-05 row stays out and listed
    assert warm_tables["回款"]["回款金额"].tolist() == [123450, 1200000]
    assert [(p.severity, p.where()) for p in warm_problems if p.rep] == [(ERROR, "张伟.xlsx[回款]!A3")]
    assert warm_problems == cold_problems
    assert warm_tables.inputs == cold_tables.inputs
    for name, frame in cold_tables.frames.items():
        pd.testing.assert_frame_equal(warm_tables.frames[name], frame, check_exact=True)


def test_a_changed_workbook_is_parsed_again_the_others_not(ws, parses):
    read(ws)
    parses.clear()
    write_book(ws.folder("reps") / "李娜.xlsx", {"回款": [COLLECTION_HEADER,
                                                        ["2026-11-03", "华东", "HT-2", "1.5万", "B003"]]})
    tables, _ = read(ws)
    assert parses == ["李娜.xlsx"]
    assert tables["回款"]["回款金额"].tolist() == [123450, 1500000]


def test_a_changed_intake_config_parses_everything_again(ws, parses):
    read(ws)
    parses.clear()
    aliases = {"回款": {"回款金额": ["实收金额"]}}
    changed = ws.model_copy(update={"intake": ws.intake.model_copy(update={"column_aliases": aliases})})
    read(changed)
    assert sorted(parses) == ["张伟.xlsx", "李娜.xlsx"]
    parses.clear()
    read(changed)  # and the new entries serve the next run
    assert parses == []


@pytest.mark.parametrize("attribute, value", [("__version__", "99.0.0"), ("CACHE_FORMAT", 999)])
def test_a_new_program_version_parses_everything_again(ws, parses, monkeypatch, attribute, value):
    read(ws)
    parses.clear()
    monkeypatch.setattr(cache_module, attribute, value)
    read(ws)
    assert sorted(parses) == ["张伟.xlsx", "李娜.xlsx"]


def test_cache_off_parses_every_time_and_writes_nothing(ws, parses):
    off = ws.model_copy(update={"intake": ws.intake.model_copy(update={"cache": False})})
    read(off)
    read(off)
    assert sorted(parses) == ["张伟.xlsx", "张伟.xlsx", "李娜.xlsx", "李娜.xlsx"]
    assert not ws.intake.cache_dir.exists()


@posix_only
def test_a_folder_others_can_write_is_refused_with_a_warning(ws, parses, caplog):
    read(ws)  # a genuine entry for each workbook
    entry = next(p for p in ws.intake.cache_dir.glob("*.entry") if "张伟" in read_entry(p.read_bytes())[0]["file"])
    header, blob = read_entry(entry.read_bytes())
    money = next(c for c in header["frames"]["回款"]["columns"] if c[0] == "回款金额")[2]["array"]
    forged = bytearray(blob)  # someone "fixes" the figures in the cache: 0.01 instead of 1,234.50
    forged[money["offset"]:money["offset"] + 8] = np.array([1], dtype="<i8").tobytes()
    entry.write_bytes(entry_bytes(header, forged))
    os.chmod(ws.intake.cache_dir, 0o777)  # group- and world-writable
    parses.clear()
    with caplog.at_level(logging.WARNING, logger="neiqin_xl"):
        tables, _ = read(ws)
    assert sorted(parses) == ["张伟.xlsx", "李娜.xlsx"]  # parsed, the cache was not used
    assert tables["回款"]["回款金额"].tolist() == [123450, 1200000]
    assert any("不使用缓存文件夹" in r.getMessage() and "可写" in r.getMessage() for r in caplog.records)


@posix_only
def test_a_group_writable_entry_is_not_loaded(ws, parses):
    read(ws)
    for entry in ws.intake.cache_dir.glob("*.entry"):
        os.chmod(entry, 0o666)
    parses.clear()
    read(ws)
    assert sorted(parses) == ["张伟.xlsx", "李娜.xlsx"]


@posix_only
def test_entries_are_private(ws):
    read(ws)
    assert ws.intake.cache_dir.stat().st_mode & 0o077 == 0
    assert all(p.stat().st_mode & 0o077 == 0 for p in ws.intake.cache_dir.glob("*.entry"))


def test_frames_round_trip_exactly_through_an_entry():
    frame = pd.DataFrame({
        "合同编号": pd.Series(["00123", None, "HT-1"], dtype="str"),
        "回款金额": pd.Series([123450, 0, -5], dtype="int64"),
        "回款日期": pd.Series([pd.Timestamp("2026-11-02"), pd.NaT, pd.Timestamp("2024-02-29")],
                          dtype="datetime64[us]"),
        "数量": pd.Series([3, None, 7], dtype="Int64"),
        "单价": pd.Series([0.1 + 0.2, np.nan, 1e-7], dtype="float64"),
    })
    blob = bytearray()
    header = encode_frame(frame, blob)
    again, stored = read_entry(entry_bytes({"frames": {"回款": header}}, blob))
    back = decode_frame(again["frames"]["回款"], stored)
    pd.testing.assert_frame_equal(back, frame, check_exact=True)
    assert back["合同编号"][0] == "00123"  # ID text stays text
