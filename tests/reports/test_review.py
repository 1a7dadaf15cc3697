"""合同评审 (issue 33): price, credit and terms of the contracts new in a run; the verdict in the 合同履行一览表."""

from datetime import date

from neiqin_xl.core.config import settings_from_dict

from ..helpers import context, fen, reports, table, tables

S = settings_from_dict({})  # shipping_grace_days 30, review.max_term_days 60, min_lead_days 7, new_days 7
DAY = date(2026, 12, 7)


def contract(no, customer, amount, **row):
    return {"合同编号": no, "签订日期": "2026-12-04", "客户名称": customer, "合同金额": amount, "产品名称": "变频器",
            "数量": 10, "付款方式": "月结", "账期天数": 30, "约定交货日期": "2027-01-15", **row}


def archive(*rows):
    return table("客户", [{"信用额度": "1,000,000", "账期天数": 30, **r} for r in rows])


def review(t, day=DAY):
    out = reports(context(t, S, day), "review", "fulfilment")
    return out["review"], out["fulfilment"]


def test_over_the_limit_overdue_45_days_term_beyond_policy_and_a_clean_contract():
    # 超额: limit 100,000; shipped 80,000 on 11-27 (due 12-27, not overdue); new HT-A 30,000 → 80,000 + 30,000 =
    #       110,000 > 100,000 → 需审批 (超信用额度 ¥110,000.00).
    # 逾期: shipped 5,000 on 09-23, 账期 30 → due 10-23; D 12-07 − 10-23 = 45 days overdue > 30 → 需审批.
    # 账期: customer's 账期 30, company max 60; HT-C 账期 90 → both exceeded → 需审批 (two reasons).
    # 干净: unit 100,000 / 10 = 10,000.00 ≥ 最低价 9,000.00, within limit, nothing overdue, 账期 30, delivery 39 days
    #       after D → 通过.
    t = tables(
        合同=table("合同", [
            contract("HT-OLD1", "超额", "80,000", 签订日期="2026-11-20"),
            contract("HT-OLD2", "逾期", "5,000", 签订日期="2026-09-01"),
            contract("HT-A", "超额", "30,000"), contract("HT-B", "逾期", "10,000"),
            contract("HT-C", "账期", "10,000", 账期天数=90), contract("HT-D", "干净", "100,000")]),
        发货=table("发货", [{"发货日期": "2026-11-27", "合同编号": "HT-OLD1", "发货金额": "80,000", "客户名称": "超额"},
                          {"发货日期": "2026-09-23", "合同编号": "HT-OLD2", "发货金额": "5,000", "客户名称": "逾期"}]),
        客户=archive({"客户名称": "超额", "信用额度": "100,000"}, {"客户名称": "逾期"}, {"客户名称": "账期"},
                    {"客户名称": "干净"}),
        产品=table("产品", [{"产品名称": "变频器", "最低价": "9,000.00"}]))
    rev, ful = review(t)
    rows = rev.data.reviews.set_index("合同编号")
    assert sorted(rows.index) == ["HT-A", "HT-B", "HT-C", "HT-D"]  # HT-OLD1 (11-20), HT-OLD2 signed > 7 days ago
    a = rows.loc["HT-A"]
    assert (a["结论"], a["应收余额"], a["评审后应收"]) == ("需审批", fen(80000), fen(110000))
    assert "超信用额度" in a["原因"] and "¥110,000.00 > 信用额度 ¥100,000.00" in a["原因"]
    b = rows.loc["HT-B"]
    assert (b["结论"], b["最长逾期天数"], b["逾期金额"]) == ("需审批", 45, fen(5000))
    assert "最长逾期 45 天" in b["原因"]
    c = rows.loc["HT-C"]
    assert c["结论"] == "需审批" and "账期 90 天超过客户账期 30 天" in c["原因"] and "超过公司上限 60 天" in c["原因"]
    d = rows.loc["HT-D"]
    assert (d["结论"], d["原因"], d["合同单价"], d["最低价"]) == ("通过", "", fen(10000), fen(9000))
    # the verdict column of the 合同履行一览表: the reviewed contracts only
    main = ful.workbooks[0].sheets[0].tables[0]
    assert main.columns[-1].name == "评审结论"
    assert {r["合同编号"]: r["评审结论"] for r in main.records()} == {
        "HT-OLD1": "", "HT-OLD2": "", "HT-A": "需审批", "HT-B": "需审批", "HT-C": "需审批", "HT-D": "通过"}
    assert [d.report for d in rev.deliveries] == ["review"]
    assert rev.figures["review.需审批"] == 3


def test_price_cash_first_plan_delivery_and_missing_data():
    # HT-P: 9,000 / 10 = 900.00 < 最低价 1,000.00 → 需审批; HT-Q the same with 经理同意 in 备注 → 通过 (noted).
    # HT-R: 报价单 BJ1 quoted 1,200.00 per unit, contract 11,000 / 10 = 1,100.00 → 低于报价单 → 需审批.
    # HT-S: over the limit but 款到发货 → 通过, noted. HT-T: 分期 without 回款计划, delivery 12-10 (3 days < 7) → 需审批.
    # HT-U: no 付款方式 → 资料不全. HT-V: customer not in the archive → 资料不全.
    t = tables(
        合同=table("合同", [contract("HT-P", "甲", "9,000"), contract("HT-Q", "甲", "9,000", 备注="经理同意"),
                           contract("HT-R", "甲", "11,000", 报价单号="BJ1"),
                           contract("HT-S", "乙", "50,000", 付款方式="款到发货"),
                           contract("HT-T", "甲", "20,000", 付款方式="分期", 约定交货日期="2026-12-10"),
                           contract("HT-U", "甲", "20,000", 付款方式=None), contract("HT-V", "无档案", "20,000")]),
        报价=table("报价", [{"报价单号": "BJ1", "报价日期": "2026-12-01", "客户名称": "甲", "产品名称": "变频器", "数量": 10,
                           "单价": "1,200.00"}]),
        客户=archive({"客户名称": "甲"}, {"客户名称": "乙", "信用额度": "10,000"}),
        产品=table("产品", [{"产品名称": "变频器", "最低价": "1,000.00"}]))
    rev, _ = review(t)
    rows = rev.data.reviews.set_index("合同编号")
    assert rows["结论"].to_dict() == {"HT-P": "需审批", "HT-Q": "通过", "HT-R": "需审批", "HT-S": "通过", "HT-T": "需审批",
                                     "HT-U": "资料不全", "HT-V": "资料不全"}
    assert "单价 ¥900.00 低于最低价 ¥1,000.00" in rows.loc["HT-P", "原因"]
    assert "备注已注明审批" in rows.loc["HT-Q", "原因"]
    assert "低于报价单 BJ1 的 ¥1,200.00" in rows.loc["HT-R", "原因"] and rows.loc["HT-R", "报价单价"] == fen(1200)
    assert "款到发货, 可签" in rows.loc["HT-S", "原因"]
    assert "分期合同没有回款计划" in rows.loc["HT-T", "原因"] and "距今仅 3 天" in rows.loc["HT-T", "原因"]
    assert rows.loc["HT-U", "原因"].startswith("付款方式未填")
    assert "客户不在客户档案中" in rows.loc["HT-V", "原因"]


def test_no_new_contract_no_review_workbook_and_no_mail():
    t = tables(合同=table("合同", [contract("HT-1", "甲", "1,000", 签订日期="2026-11-01")]), 客户=archive({"客户名称": "甲"}))
    rev, ful = review(t)
    assert rev.workbooks == [] and rev.deliveries == [] and rev.figures == {"reviewed": 0}
    assert "评审结论" not in [c.name for c in ful.workbooks[0].sheets[0].tables[0].columns]


def test_with_an_earlier_official_run_only_the_contracts_it_did_not_have_are_reviewed():
    # The input history's comparison (books.changes) found HT-NEW 新增 and HT-OLD 修改 (its 备注): only HT-NEW is
    # first seen; HT-OLD, signed yesterday too, was reviewed by the run that first saw it.
    import pandas as pd

    from neiqin_xl.books.changes import COLUMNS, Changes

    frame = pd.DataFrame([{"类型": "新增", "单据": "合同编号 HT-NEW"}, {"类型": "修改", "单据": "合同编号 HT-OLD"},
                          {"类型": "新增", "单据": "发货单号 FH1"}], columns=list(COLUMNS), dtype=object).fillna("")
    t = tables(合同=table("合同", [contract("HT-NEW", "甲", "1,000"), contract("HT-OLD", "甲", "1,000")]),
               客户=archive({"客户名称": "甲"}))
    ctx = context(t, S, DAY)
    ctx.changes = Changes(date(2026, 12, 4), frame)
    assert reports(ctx, "review")["review"].data.reviews["合同编号"].tolist() == ["HT-NEW"]
