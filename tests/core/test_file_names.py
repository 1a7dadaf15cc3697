"""Issue 29 case 17: output names never become stubs; a path too long for Windows is an error naming it,
raised while the run's names are decided (``writer.assign_filenames``), before anything is written."""

from __future__ import annotations

from pathlib import Path

import pytest

from neiqin_xl.core.files import PATH_UNITS, Name, PathTooLong, file_names
from neiqin_xl.core.sheets import Sheet, WorkbookSpec
from neiqin_xl.deliver.writer import assign_filenames

FIVE_DAY = "五日报_2026-12-26_2026-12-31.xlsx"  # 3 + 1 + 10 + 1 + 10 + 5 = 30 UTF-16 units
STATEMENT = Name("苏州新科电子有限公司", after="_对账单_2026-12-31.xlsx")  # text 10 units, fixed 1+3+1+10+5 = 20


def folder_with_room(tmp_path: Path, room: int) -> Path:
    """A folder whose absolute path leaves ``room`` units for a file name: 259 - len(folder) - 1 (the separator)."""
    base = str(tmp_path.absolute())
    fill = (("长" * 60 + "/") * 5)[:PATH_UNITS - room - 1 - len(base) - 1]  # folders of 60 (Linux: 255 bytes each)
    return Path(base) / (fill[:-1] + "长" if fill.endswith("/") else fill)


def test_the_folder_helper_leaves_the_room_asked(tmp_path):
    folder = folder_with_room(tmp_path, 30)
    assert PATH_UNITS - len(str(folder)) - 1 == 30


def test_a_fixed_name_is_kept_whole_while_it_fits_and_never_cut_to_a_stub(tmp_path):
    assert file_names([FIVE_DAY], folder_with_room(tmp_path, 30)) == [FIVE_DAY]  # 30 units in a room of 30
    folder = folder_with_room(tmp_path, 20)  # was cut to the stub 五日报_2026-12-2.xlsx (20 units)
    with pytest.raises(PathTooLong) as error:
        file_names([FIVE_DAY], folder)
    whole = str(folder / FIVE_DAY)
    assert whole in str(error.value) and f"{len(whole)} 个字符" in str(error.value)  # 238 + 1 + 30 = 269 (the folder leaves 20: 259 - 20 - 1)


def test_a_customers_name_is_cut_to_fit_but_not_below_eight_characters(tmp_path):
    # room 30: 20 fixed + the 10 of the name, whole; room 28: 8 of the name left; room 27: 7 would be a stub
    assert file_names([STATEMENT], folder_with_room(tmp_path, 30)) == ["苏州新科电子有限公司_对账单_2026-12-31.xlsx"]
    assert file_names([STATEMENT], folder_with_room(tmp_path, 28)) == ["苏州新科电子有限_对账单_2026-12-31.xlsx"]
    with pytest.raises(PathTooLong, match="苏州新科电子有限公司_对账单_2026-12-31.xlsx"):
        file_names([STATEMENT], folder_with_room(tmp_path, 27))


def test_the_run_names_every_folder_before_writing_and_stops_on_a_path_too_long(tmp_path):
    out_dir = folder_with_room(tmp_path, 40)  # 40 units: 对账单/ (3 + 1) leaves 36 for the statement's 30, 五日报 30
    specs = [WorkbookSpec(FIVE_DAY, [Sheet("五日报", [])]), WorkbookSpec(STATEMENT, [Sheet("对账单", [])], subfolder="对账单")]
    assert [s.filename for s in assign_filenames(specs, out_dir)] == [FIVE_DAY, "苏州新科电子有限公司_对账单_2026-12-31.xlsx"]

    deeper = specs + [WorkbookSpec(FIVE_DAY, [Sheet("五日报", [])], subfolder="业务员提成确认单明细")]  # 10 + 1: 29 left for 30
    with pytest.raises(PathTooLong, match="业务员提成确认单明细"):
        assign_filenames(deeper, out_dir)
    assert not out_dir.exists()  # nothing written, not even the folder
