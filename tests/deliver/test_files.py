"""Files on disk: the atomic write (core/files.py), the one locked-file policy (deliver/saving.py), the
safe file names (core/files.py) and the one temp-file rule for listing workbooks (read/folders.py).

Excel on Windows locks a workbook it has open: renaming onto it raises PermissionError. That lock cannot
happen on Linux (a read-only folder also refuses the temporary file, so it does not imitate it either), so
these tests make ``os.replace`` refuse the locked target exactly as Windows does and leave every other
rename real.
"""

import json
import os
from datetime import date
from pathlib import Path

import pytest

from neiqin_xl.cli import print_summary
from neiqin_xl.core import files as core_files
from neiqin_xl.core.files import FileLocked, write_atomic
from neiqin_xl.core.sheets import Col, Sheet, Table, WorkbookSpec
from neiqin_xl.read import folders
from neiqin_xl.deliver.saving import write_file
from neiqin_xl.deliver.writer import write_workbook
from neiqin_xl.pipeline import RunResult


@pytest.fixture
def no_waits(monkeypatch):
    monkeypatch.setattr(core_files, "LOCK_WAITS", (0, 0, 0))  # the retries are counted, not timed


def lock(monkeypatch, target: Path, times: int | None = None) -> list[Path]:
    """Makes renames onto ``target`` fail as on Windows (``times`` times, or always); returns the tries."""
    real_replace = os.replace
    tries: list[Path] = []

    def replace(src, dst):
        if Path(dst) == target:
            tries.append(Path(dst))
            if times is None or len(tries) <= times:
                raise PermissionError(13, "The process cannot access the file because it is being used by another process")
        return real_replace(src, dst)

    monkeypatch.setattr(os, "replace", replace)
    return tries


def spec(name="日报_2026-11-30.xlsx"):
    return WorkbookSpec(name, [Sheet("日报", [Table([Col("客户名称")], [{"客户名称": "上海明达贸易有限公司"}])])])


def test_write_atomic_replaces_the_target_whole(tmp_path):
    target = tmp_path / "sub" / "manifest.json"
    assert write_atomic(target, '{"a": 1}') == target
    write_atomic(target, b'{"b": 2}')
    assert json.loads(target.read_text("utf-8")) == {"b": 2}
    assert [p.name for p in target.parent.iterdir()] == ["manifest.json"]  # no temporary file left


def test_a_write_that_fails_midway_leaves_the_old_file_and_no_temporary(tmp_path):
    target = tmp_path / "日报.xlsx"
    target.write_bytes(b"old workbook")

    def half(tmp: Path) -> None:
        tmp.write_bytes(b"PK half a zip")
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError, match="No space"):
        write_atomic(target, half)
    assert target.read_bytes() == b"old workbook"
    assert [p.name for p in tmp_path.iterdir()] == ["日报.xlsx"]


def test_a_brief_lock_is_waited_out(tmp_path, monkeypatch, no_waits):
    # a virus scanner holds the file for two tries: the third rename goes through, no sibling
    target = tmp_path / "日报_2026-11-30.xlsx"
    target.write_bytes(b"old")
    tries = lock(monkeypatch, target, times=2)
    written = write_workbook(spec(), tmp_path)
    assert (written.path, written.note, len(tries)) == (target, "", 3)
    assert target.read_bytes()[:2] == b"PK"


def test_workbook_open_in_excel_gets_a_timestamped_sibling(tmp_path, monkeypatch, no_waits):
    target = tmp_path / "日报_2026-11-30.xlsx"
    target.write_bytes(b"old")
    tries = lock(monkeypatch, target)
    written = write_workbook(spec(), tmp_path)
    assert len(tries) == 1 + len(core_files.LOCK_WAITS)  # the first try and one after each wait
    assert written.fallback and written.wanted == target
    assert written.path.name.startswith("日报_2026-11-30_") and written.path.read_bytes()[:2] == b"PK"
    assert target.read_bytes() == b"old"  # the clerk's open copy is left alone
    assert written.note == f"日报_2026-11-30.xlsx 正在被其他程序打开, 已另存为 {written.path.name}"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([target.name, written.path.name])


def test_a_file_read_back_by_name_fails_loudly_when_locked(tmp_path, monkeypatch, no_waits):
    target = tmp_path / "manifest.json"
    target.write_bytes(b"old")
    lock(monkeypatch, target)
    with pytest.raises(FileLocked) as raised:
        write_file(target, b"new")
    assert isinstance(raised.value, PermissionError)  # whoever caught PermissionError still does
    assert str(target) in str(raised.value) and "请关闭后重试" in str(raised.value)
    assert [p.name for p in tmp_path.iterdir()] == ["manifest.json"] and target.read_bytes() == b"old"


def test_an_eml_open_in_outlook_gets_a_sibling(tmp_path, monkeypatch, no_waits):
    # the mail state records where the message really is, so the sibling is the one sent (tests/test_faults.py)
    target = tmp_path / "日报+月报_a1b2c3d4.eml"
    target.write_bytes(b"old message")
    lock(monkeypatch, target)
    written = write_file(target, b"new message")
    assert written.fallback and written.path.name.startswith("日报+月报_a1b2c3d4_") and written.path.suffix == ".eml"
    assert written.path.read_bytes() == b"new message" and target.read_bytes() == b"old message"
    assert written.note == f"{target.name} 正在被其他程序打开, 已另存为 {written.path.name}"


# ---------------------------------------------------------------- the one temp-file rule

def test_rep_workbooks_in_a_shared_folder(tmp_path):
    # what a shared reps folder holds on a busy afternoon: 张伟 has his workbook open in Excel, 李娜 in WPS,
    # 王强 in LibreOffice, a run is writing a file, a Mac left its ._ file, and 陈静 named hers ~陈静
    names = ["张伟.xlsx", "~$张伟.xlsx", "李娜.xlsm", ".~李娜.xlsm", "王 强.xls", ".~lock.王 强.xls#", ".~tmp-k2j4.xlsx",
             "._刘洋.xlsx", "刘洋.xlsx", "~陈静.xlsx", "说明.docx", "周报.csv"]
    for name in names:
        (tmp_path / name).write_bytes(b"x")
    (tmp_path / "旧台账.xlsx").mkdir()  # a folder named like a workbook is not one
    found, skipped = folders.list_workbooks(tmp_path)
    assert [p.name for p in found] == sorted(["张伟.xlsx", "李娜.xlsm", "王 强.xls", "刘洋.xlsx", "~陈静.xlsx", "周报.csv"])
    assert [p.name for p in skipped] == sorted(["~$张伟.xlsx", ".~李娜.xlsm", ".~tmp-k2j4.xlsx", "._刘洋.xlsx"])
    assert folders.unsupported_files(tmp_path) == [] and [p.name for p in folders.other_files(tmp_path)] == ["说明.docx"]
    assert folders.rep_workbooks(tmp_path) == {"张伟": tmp_path / "张伟.xlsx", "李娜": tmp_path / "李娜.xlsm",
                                               "王强": tmp_path / "王 强.xls", "刘洋": tmp_path / "刘洋.xlsx",
                                               "~陈静": tmp_path / "~陈静.xlsx", "周报": tmp_path / "周报.csv"}  # 说明.docx is no rep's
    assert folders.rep_workbooks(tmp_path / "没有这个文件夹") == {}


def test_the_console_names_a_workbook_written_beside_a_locked_one(tmp_path):
    note = "销售日报_2026-11-30.xlsx 正在被其他程序打开, 已另存为 销售日报_2026-11-30_153012.xlsx"
    manifest = {"run_date": "2026-11-30", "kind": "official", "inputs": [], "issues": {"错误": 0, "警告": 0}, "reminders": [],
                "outputs": [{"report": "daily", "file": "销售日报_2026-11-30_153012.xlsx", "sha256": "", "note": note},
                            {"report": "fulfilment", "file": "合同履行一览表_2026-11-30.xlsx", "sha256": ""}]}
    said: list[str] = []
    print_summary(RunResult(date(2026, 11, 30), tmp_path, manifest), True, said.append)
    assert [line for line in said if line.startswith("注意")] == [f"注意: {note}"]
