"""报价单 and 报价登记表 (issue 33): amounts at each line's tax rate, the total in 大写, the price policy, 已过期 /
已转合同, the printed 报价单 written and read back, sent to its rep only."""

from datetime import date
from decimal import Decimal

import openpyxl

from neiqin_xl.core.config import settings_from_dict
from neiqin_xl.deliver.writer import write_workbook

from ..helpers import context, fen, report, table, tables

S = settings_from_dict({"tax": {"rates": {"农产品": 0.09}}})
DAY = date(2026, 12, 7)


def products(*extra):
    return table("产品", [{"产品名称": "变频器", "产品类别": "电气"}, {"产品名称": "大米", "产品类别": "农产品"},
                         {"产品名称": "服务包"}, *extra])


def quote(number="BJ001", **row):
    return {"报价单号": number, "报价日期": "2026-12-03", "客户名称": "明达", "有效期至": "2026-12-31",
            "付款方式": "月结30天", "交货期": "合同签订后15天", **row}


def three_lines():
    return table("报价", [quote(产品名称="变频器", 数量=10, 单价="1,130.00"),
                         quote(产品名称="大米", 数量=3, 单价="999.99", 折扣=0.95),
                         quote(产品名称="服务包", 数量=2, 单价="500.00", 税率=0.09)])


def test_three_line_quotation_net_tax_and_words_at_13_and_9_percent(tmp_path):
    # line 1 变频器 (电气 → default 13%): 10 × 1,130.00 = 11,300.00; 不含税 11,300 / 1.13 = 10,000.00; 税额 1,300.00
    # line 2 大米 (农产品 → 9%): 999.99 × 95% × 3 = 2,849.9715 → 2,849.97; 不含税 2,849.97 / 1.09 = 2,614.651… →
    #        2,614.65; 税额 235.32; 成交单价 999.99 × 0.95 = 949.9905 → 949.99
    # line 3 服务包 (no category, its own 税率 9%): 2 × 500.00 = 1,000.00; 不含税 1,000 / 1.09 = 917.431… → 917.43; 82.57
    # total 含税 11,300.00 + 2,849.97 + 1,000.00 = 15,149.97; 不含税 13,532.08; 税额 1,617.89
    out = report("quotes", context(tables(报价=three_lines(), 产品=products()), S, DAY))
    lines = out.data.lines
    assert lines["含税金额"].tolist() == [fen("11300"), fen("2849.97"), fen("1000")]
    assert lines["不含税金额"].tolist() == [fen("10000"), fen("2614.65"), fen("917.43")]
    assert lines["税额"].tolist() == [fen("1300"), fen("235.32"), fen("82.57")]
    assert lines["税率"].tolist() == [0.13, 0.09, 0.09]
    assert lines["成交单价"].tolist()[1] == fen("949.99")
    row = out.data.register.iloc[0]
    assert (row["含税合计"], row["不含税合计"], row["税额"], row["行数"]) == (fen("15149.97"), fen("13532.08"),
                                                                  fen("1617.89"), 3)
    printed = [spec for spec in out.workbooks if spec.subfolder == "报价单"]
    assert len(printed) == 1 and printed[0].for_rep == "张伟"
    written = write_workbook(printed[0], tmp_path)
    ws = openpyxl.load_workbook(written.path).active
    cells = [str(c) for row in ws.iter_rows(values_only=True) for c in row if c is not None]
    assert "合计（大写）：人民币壹万伍仟壹佰肆拾玖元玖角柒分　¥15,149.97（不含税 ¥13,532.08，税额 ¥1,617.89）" in cells
    assert "报价有效期至：2026-12-31" in cells and "付款方式：月结30天" in cells and "交货期：合同签订后15天" in cells
    assert any(c.startswith("报价单位（盖章）") for c in cells)
    # one A4 page: portrait, paper 9 (A4), fitToPage on, 1 wide and 1 high (xlsxwriter leaves out the default 1)
    assert ws.page_setup.orientation == "portrait" and ws.page_setup.paperSize == 9
    assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToHeight in (None, 1)


def test_a_line_below_the_lowest_price_needs_approval_unless_marked():
    # 变频器 最低价 1,000.00; 1,100.00 × 90% = 990.00 < 1,000.00 → 需审批; the same line with 经理批准 in 备注 → 已审批.
    # 大米 指导价 200.00 × 最低折扣 85% = 170.00 floor; 169.99 < 170.00 → 需审批; 170.00 is not below → "".
    prods = table("产品", [{"产品名称": "变频器", "最低价": "1,000.00"},
                          {"产品名称": "大米", "指导价": "200.00", "最低折扣": 0.85}])
    rows = table("报价", [quote("BJ1", 产品名称="变频器", 数量=1, 单价="1,100.00", 折扣=0.9),
                         quote("BJ2", 产品名称="变频器", 数量=1, 单价="1,100.00", 折扣=0.9, 备注="经理批准 12/3"),
                         quote("BJ3", 产品名称="大米", 数量=1, 单价="169.99"),
                         quote("BJ4", 产品名称="大米", 数量=1, 单价="170.00")])
    out = report("quotes", context(tables(报价=rows, 产品=prods), S, DAY))
    assert out.data.lines["价格审批"].tolist() == ["需审批", "已审批", "需审批", ""]
    assert out.data.lines["最低价"].tolist() == [fen(1000), fen(1000), fen(170), fen(170)]
    assert out.data.register["价格审批"].tolist() == ["需审批", "已审批", "需审批", ""]
    to_manager = [d for d in out.deliveries if d.report == "review"]
    assert len(to_manager) == 1 and to_manager[0].summary_text == "待审批: BJ1、BJ3"
    bj1 = next(d for d in out.deliveries if d.title == "报价单 BJ1")
    assert bj1.rep == "张伟" and "1 行低于最低价" in bj1.summary_text
    # 备注 (the approval mark) is the company's: not printed on the customer's 报价单
    bj2 = next(s for s in out.workbooks if s.filename.text == "BJ2")
    assert not any("经理批准" in n for n in bj2.sheets[0].notes)
    assert out.figures["needs_approval"] == 2


def test_expired_and_converted_quotations_and_the_conversion_per_rep():
    # BJ1 valid to 12-01 < D 12-07, no contract → 已过期; BJ2 quoted 12-03, named by HT9 signed 12-05 → 已转合同 in
    # 2 days; BJ3 valid to 12-31 → 有效. 张伟's December: 3 quotations, 1 converted → 1/3, contract 50,000.00.
    rows = table("报价", [quote("BJ1", 产品名称="变频器", 数量=1, 单价="100", 有效期至="2026-12-01"),
                         quote("BJ2", 产品名称="变频器", 数量=1, 单价="100"),
                         quote("BJ3", 产品名称="变频器", 数量=1, 单价="100")])
    contracts = table("合同", [{"合同编号": "HT9", "签订日期": "2026-12-05", "客户名称": "明达", "合同金额": "50,000",
                               "报价单号": "BJ2"}])
    out = report("quotes", context(tables(报价=rows, 合同=contracts, 产品=products()), S, DAY))
    reg = out.data.register
    assert reg["状态"].tolist() == ["已过期", "已转合同", "有效"]
    assert reg["转化天数"].tolist()[1] == 2 and reg["合同编号"].tolist() == ["", "HT9", ""]
    conv = out.workbooks[-1].sheets[2].tables[0].records()
    assert [(r["月份"], r["业务员"], r["报价单数"], r["已转合同"], r["合同金额"]) for r in conv] == \
        [("2026-12", "张伟", 3, 1, fen(50000))]
    assert conv[0]["转化率"] == Decimal("0.3333")  # 1 of 3, half up to 0.01% (core.model.fraction)


def test_each_rep_gets_only_their_own_quotations_and_old_ones_are_not_reprinted():
    # no earlier official run: quotations dated within review.new_days (7) of D 12-07 are new → 12-01 is, 11-29 is not.
    rows = [*table("报价", [quote("BJ-Z", 产品名称="变频器", 数量=1, 单价="100")], rep="张伟").to_dict("records"),
            *table("报价", [quote("BJ-L", 产品名称="变频器", 数量=1, 单价="100", 报价日期="2026-12-01")],
                   rep="李娜").to_dict("records"),
            *table("报价", [quote("BJ-OLD", 产品名称="变频器", 数量=1, 单价="100", 报价日期="2026-11-29")],
                   rep="李娜").to_dict("records")]
    import pandas as pd
    frame = pd.DataFrame(rows).astype(table("报价", []).dtypes.to_dict())
    out = report("quotes", context(tables(报价=frame, 产品=products()), S, DAY))
    sent = {(d.title, d.rep) for d in out.deliveries}
    assert sent == {("报价单 BJ-Z", "张伟"), ("报价单 BJ-L", "李娜")}
    printed = {s.filename.text: s.for_rep for s in out.workbooks if s.subfolder == "报价单"}
    assert printed == {"BJ-Z": "张伟", "BJ-L": "李娜"}


def test_with_an_earlier_official_run_new_and_changed_quotations_are_printed():
    # the comparison found BJ-A 修改 (a line's 单价) and BJ-B 新增; BJ-C, dated today too, is unchanged: not reprinted
    import pandas as pd

    from neiqin_xl.books.changes import COLUMNS, Changes

    frame = pd.DataFrame([{"类型": "修改", "单据": "报价单号 BJ-A"}, {"类型": "新增", "单据": "报价单号 BJ-B"}],
                         columns=list(COLUMNS), dtype=object).fillna("")
    rows = table("报价", [quote(n, 产品名称="变频器", 数量=1, 单价="100", 报价日期="2026-12-07") for n in ("BJ-A", "BJ-B", "BJ-C")])
    ctx = context(tables(报价=rows, 产品=products()), S, DAY)
    ctx.changes = Changes(date(2026, 12, 4), frame)
    out = report("quotes", ctx)
    assert sorted(s.filename.text for s in out.workbooks if s.subfolder == "报价单") == ["BJ-A", "BJ-B"]
    assert out.data.new == frozenset({"BJ-A", "BJ-B"})


def test_the_quotation_sheet_is_read_and_checked_cell_by_cell(tmp_path):
    # a real rep workbook: row 3 has 单价 "abc" (not a number), row 4 折扣 "150%" (above 100%), row 5 a second
    # customer under BJ1 (warning), row 6 税率 1.5 read as 1.5% (a number above 1 is per cent) — fine.
    import xlsxwriter

    from neiqin_xl.books.validate import validate
    from neiqin_xl.core.model import ERROR, WARNING, Tables
    from neiqin_xl.core.schema import SHEETS
    from neiqin_xl.read.intake import read_workbook

    path = tmp_path / "张伟.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("报价")
    rows = [["报价单号", "报价日期", "客户名称", "产品名称", "数量", "单价", "折扣", "税率", "有效期至"],
            ["BJ1", "2026-12-01", "明达", "变频器", 2, 100, None, None, "2027-01-31"],
            ["BJ1", "2026-12-01", "明达", "变频器", 2, "abc", None, None, None],
            ["BJ1", "2026-12-01", "明达", "变频器", 2, 100, "150%", None, None],
            ["BJ1", "2026-12-01", "恒远", "变频器", 2, 100, None, None, None],
            ["BJ2", "2026-12-01", "明达", "变频器", 2, 100, None, 1.5, None]]
    for r, values in enumerate(rows):
        for c, v in enumerate(values):
            if v is not None:
                ws.write(r, c, v)
    wb.close()
    frames, problems, info = read_workbook(path, (SHEETS["报价"],), S, rep="张伟")
    _, checked = validate(Tables(frames=frames, inputs=[info]), S, DAY)
    found = {(p.severity, p.cell, p.field) for p in [*problems, *checked] if p.sheet == "报价"}
    assert found == {(ERROR, "F3", "单价"), (ERROR, "G4", "折扣"), (WARNING, "C5", "客户名称")}
    # 有效期至 in 2027 is not "a date after the run date" (it is the future by nature)
