"""The roster (books/roster.py): who counts as a rep, whose workbook is missing or stale; the commission and
the reminders both take their reps from it."""

import datetime as dt
import os

from neiqin_xl.books.roster import missing_or_stale, rep_names, workbook_owners
from neiqin_xl.core.config import settings_from_dict
from neiqin_xl.deliver.mail import rep_address
from neiqin_xl.read.folders import rep_workbooks
from neiqin_xl.reports.commission import list_reps
from neiqin_xl.sending import remind

from ..helpers import table, tables
from ..helpers_intake import workspace, write_book

RUN = dt.date(2026, 11, 26)  # a Thursday


def staff():
    return table("人员", [
        {"姓名": "张伟", "部门": "销售一部", "角色": "业务员"},
        {"姓名": "孙建国", "部门": "总经办", "角色": "总经理"},
        {"姓名": "李 娜", "部门": "销售二部", "角色": " 业务员 "},  # typed with stray spaces
        {"姓名": "王强", "部门": "销售二部", "角色": None},  # role left blank; keeps a workbook
        {"姓名": "吴海涛", "部门": "销售部", "角色": ""},  # role left blank; no workbook: not a rep
        {"姓名": "张伟", "部门": "销售一部", "角色": "业务员"},  # entered twice
        {"姓名": None, "部门": "销售一部", "角色": "业务员"},
    ])


def test_who_counts_as_a_rep():
    assert rep_names(staff(), {"王强", "张伟"}) == ["张伟", "李娜", "王强"]
    assert rep_names(staff(), set()) == ["张伟", "李娜"]
    assert rep_names(staff(), {"王 强"}) == ["张伟", "李娜", "王强"]  # names compared normalised
    assert rep_names(None, {"张伟"}) == [] and rep_names(staff().iloc[0:0], {"张伟"}) == []


def test_workbook_owners_are_the_reps_with_rows():
    t = tables(人员=staff(),
               合同=table("合同", [{"合同编号": "HT-1", "客户名称": "明达"}], rep="王强"),
               回款=table("回款", [{"回款日期": "2026-11-03", "客户名称": "明达", "回款金额": "100.00"}], rep="刘洋"))
    assert workbook_owners(t) == {"王强", "刘洋"}


def test_commission_lists_the_roster_then_others_with_lines():
    t = tables(人员=staff(), 合同=table("合同", [{"合同编号": "HT-1", "客户名称": "明达"}], rep="王强"))
    lines = table("回款", [{"回款日期": "2026-11-03", "客户名称": "明达", "回款金额": "100.00"}], rep="刘洋")
    # 王强 (blank role) counts: his workbook gave rows; 吴海涛 (blank role, nothing) does not; 刘洋 is not in
    # 人员 but has lines in the month, so he is listed after the roster
    assert list_reps(t, lines) == ["张伟", "李娜", "王强", "刘洋"]


def test_missing_or_stale_workbooks(tmp_path):
    folder = tmp_path / "reps"
    folder.mkdir()
    saved = {"张伟.xlsx": dt.datetime(2026, 11, 25, 18, 0), "李娜.xlsx": dt.datetime(2026, 11, 24, 9, 0),
             "王强.xlsx": dt.datetime(2026, 11, 20, 9, 0), "~$李娜.xlsx": dt.datetime(2026, 11, 26, 9, 0)}
    for name, when in saved.items():
        (folder / name).write_bytes(b"PK")
        os.utime(folder / name, (when.timestamp(), when.timestamp()))
    settings = settings_from_dict({"schedule": {"reminder_after_days": 2}})
    chased = missing_or_stale(settings, RUN, staff(), rep_workbooks(folder))
    # 张伟 saved Wed 11-25: one working day → not chased. 李娜 saved Tue 11-24: Wed and Thu, two → chased
    # (her Excel owner file ~$李娜.xlsx is no workbook). 王强 (blank role, has a workbook) saved Fri 11-20:
    # Mon 23 to Thu 26, four working days → chased. 吴海涛 is not a rep.
    assert [rep for rep, _ in chased] == ["李娜", "王强"]
    assert chased[0][1] == "您的台账 李娜.xlsx 已 2 个工作日没有更新 (最后修改 2026-11-24)"
    assert "已 4 个工作日" in chased[1][1]
    (folder / "李娜.xlsx").unlink()
    chased = missing_or_stale(settings, RUN, staff(), rep_workbooks(folder))
    assert chased[0] == ("李娜", "共享文件夹里没有找到您的台账")


def test_the_reminder_reaches_a_rep_whose_name_was_typed_with_spaces():
    people = table("人员", [{"姓名": "李 娜", "角色": "业务员", "邮箱": "lina@example.com"}])
    assert rep_names(people, set()) == ["李娜"]
    assert rep_address(people, "李娜") == "lina@example.com"


def test_a_rep_who_keeps_only_a_named_workbook_is_not_chased(tmp_path):
    """The reminder job finds each rep's workbook by the 人员 table's names: 张伟_回款.xlsx is 张伟's."""
    settings = workspace(tmp_path)
    write_book(settings.folder("master") / "人员.xlsx", {"人员": [
        ["姓名", "部门", "角色", "邮箱"],
        ["张伟", "销售一部", "业务员", "zhangwei@example.com"],
        ["李娜", "销售二部", "业务员", "lina@example.com"]]})
    book = write_book(settings.folder("reps") / "张伟_回款.xlsx", {"回款": [["回款日期", "客户名称", "回款金额"]]})
    saved = dt.datetime(2026, 11, 25, 18, 0).timestamp()  # Wed: one working day before Thu 11-26, not stale
    os.utime(book, (saved, saved))
    _, chased = remind(settings, RUN, no_email=True)
    # 张伟 keeps 张伟_回款.xlsx (fresh): not chased; 李娜 keeps nothing: chased as missing. By file names
    # alone the workbook would be "张伟_回款"'s and 张伟 reminded that his is missing.
    assert chased == [("李娜", "共享文件夹里没有找到您的台账")]
    assert "张伟" not in rep_workbooks(settings.folder("reps"))
