"""数据问题清单: a rep's own list holds what the rep can fix in their own workbook; what they cannot (a 目标
missing in 人员.xlsx, a 考勤 row) stays with the clerk, who gets it by mail at ``email.admin`` (issue 14)."""

from __future__ import annotations

from neiqin_xl.core.config import settings_from_dict
from neiqin_xl.core.model import ERROR, WARNING, Problem, Tables
from neiqin_xl.reports import problems

from ..helpers import context

ZHANG_CELL = Problem(ERROR, "不是有效金额", workbook="张伟.xlsx", sheet="回款", cell="D5", field="回款金额", rep="张伟", row=5)
ZHANG_TARGET = Problem(WARNING, "张伟 没有 2026-11 的回款目标", workbook="人员.xlsx", sheet="目标", field="回款目标", rep="张伟")
YANG_TARGET = Problem(WARNING, "杨帆 没有 2026-11 的回款目标", workbook="人员.xlsx", sheet="目标", field="回款目标", rep="杨帆")
YANG_ATTENDANCE = Problem(WARNING, "考勤表中没有 杨帆", workbook="考勤_2026-11.xlsx", sheet="考勤", field="姓名", rep="杨帆")


def build(admin: list[str]):
    tables = Tables(inputs=[{"path": "reps/张伟.xlsx"}, {"path": "reps/杨帆.xlsx"}, {"path": "master/人员.xlsx"}])
    ctx = context(tables, settings_from_dict({"email": {"admin": admin}}),
                  problems=[ZHANG_CELL, ZHANG_TARGET, YANG_TARGET, YANG_ATTENDANCE])
    return problems.build(ctx)


def rows(spec) -> list[tuple[str, str]]:
    frame = spec.sheets[0].tables[0].rows
    return list(zip(frame["工作簿"], frame["问题说明"]))


def test_a_rep_gets_only_what_they_can_fix_in_their_own_workbook():
    out = build(admin=[])
    clerk, *own = out.workbooks
    assert len(rows(clerk)) == 4  # the clerk's list keeps all four
    # 张伟: his 回款!D5 only; 杨帆: nothing in his workbook, so no list and no mail at all
    assert [spec.for_rep for spec in own] == ["张伟"]
    assert rows(own[0]) == [("张伟.xlsx", "不是有效金额")]
    assert [(d.rep, d.summary_text[:13]) for d in out.deliveries] == [("张伟", "您的台账有 1 个错误、0")]


def test_what_no_rep_can_fix_goes_to_the_clerk_at_email_admin():
    out = build(admin=["clerk@example.com"])
    admin = [d for d in out.deliveries if d.report == "admin"]
    # 张伟's missing target, 杨帆's missing target and 考勤 row: 3 for the clerk
    assert [(d.title, d.key_figure) for d in admin] == [("数据问题清单 (需内勤处理)", "3 条")]
    assert admin[0].attachments == [out.workbooks[0]]  # the clerk's workbook with every problem
    def said(deliveries):
        return [(d.report, d.rep, d.title, d.summary_text) for d in deliveries]

    assert said(build(admin=[]).deliveries) == said(d for d in out.deliveries if d.report != "admin")


def test_errors_come_before_warnings():
    from neiqin_xl.core.model import ERROR, WARNING, Problem
    from neiqin_xl.reports.problems import sort_problems

    found = [Problem(WARNING, "客户未建档", workbook="张伟.xlsx", sheet="合同", row=2, rep="张伟"),
             Problem(ERROR, "金额无效", workbook="张伟.xlsx", sheet="合同", row=9, rep="张伟"),
             Problem(WARNING, "日期在未来", workbook="李娜.xlsx", sheet="回款", row=3, rep="李娜"),
             Problem(ERROR, "日期无效", workbook="李娜.xlsx", sheet="回款", row=5, rep="李娜")]
    frame = sort_problems(found)
    # both errors first, then both warnings; within each, by rep (张 U+5F20 sorts before 李 U+674E)
    assert list(zip(frame["严重程度"], frame["问题说明"])) == [(ERROR, "金额无效"), (ERROR, "日期无效"),
                                                          (WARNING, "客户未建档"), (WARNING, "日期在未来")]
