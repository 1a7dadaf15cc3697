"""Issue 28: a required ID or name column whose header is unknown, found by what its cells hold — 合同编号 by the
contract numbers of the 合同 sheets read, 客户名称 by the customer archive (names and 别名), 产品名称 by the product
catalogue (``reader.Known``, built by the intake from a first reading and handed to the few workbooks that
need it). The same policy as for dates and amounts: one column that fits is read with a warning naming it and the
config line; several are an error listing them; nothing to go by, nothing guessed. Real workbooks, written and
read back through the loader."""

from __future__ import annotations

from datetime import date

from neiqin_xl.core.model import ERROR, WARNING
from neiqin_xl.loader import open_books

from ..helpers_intake import CONTRACT_HEADER, workspace, write_archive, write_book

DAY = date(2026, 11, 30)
CONTRACTS = [CONTRACT_HEADER, ["HT-1", date(2026, 11, 2), "上海明达机械有限公司", "阀门", 50000, "月结"],
             ["HT-2", date(2026, 11, 3), "杭州远景科技有限公司", "水泵", 20000, "月结"]]


def books(tmp_path, sheets: dict, archive: bool = True):
    settings = workspace(tmp_path)
    write_book(settings.folder("master") / "人员.xlsx", {"人员": [["姓名", "部门"], ["张伟", "销售一部"]]})
    if archive:
        write_archive(settings, [("上海明达机械有限公司", "明达"), ("杭州远景科技有限公司", "远景")])
        write_book(settings.folder("master") / "产品目录.xlsx", {"产品": [["产品名称", "单价"], ["阀门", 500], ["水泵", 800]]})
    write_book(settings.folder("reps") / "张伟.xlsx", sheets)
    return open_books(settings, DAY)


def mine(loaded, severity):
    return [p for p in loaded.problems if p.workbook == "张伟.xlsx" and p.severity == severity]


def test_a_customer_a_contract_and_a_product_column_are_found_by_the_books_values(tmp_path):
    loaded = books(tmp_path, {
        "合同": CONTRACTS,
        # 付款人: one customer by its 别名 (明达), one by its full name
        "回款": [["回款日期", "付款人", "经办", "回款金额"],
               [date(2026, 11, 5), "明达", "小王", 1200], [date(2026, 11, 9), "杭州远景科技有限公司", "小李", 800.5]],
        # 依据: the contract each shipment is made against
        "发货": [["发货日期", "依据", "发货金额", "摘要"],
               [date(2026, 11, 6), "HT-1", 30000, "第一批"], [date(2026, 11, 7), "HT-2", 20000, "全部"]],
        # 品项: products of the catalogue
        "报价": [["报价单号", "报价日期", "客户名称", "品项", "数量", "单价"],
               ["BJ-1", date(2026, 11, 1), "上海明达机械有限公司", "阀门", 10, 500]],
    })
    assert mine(loaded, ERROR) == []
    warned = {p.sheet: p for p in mine(loaded, WARNING)}
    assert warned["回款"].message == '没有 客户名称 列; 按内容读取了 B 列 "付款人" (前 2 个有值的单元格中 2 个是客户档案中的客户)'
    assert warned["发货"].message == '没有 合同编号 列; 按内容读取了 B 列 "依据" (前 2 个有值的单元格中 2 个是已有合同的合同编号)'
    assert warned["报价"].message == '没有 产品名称 列; 按内容读取了 D 列 "品项" (前 1 个有值的单元格中 1 个是产品目录中的产品)'
    # the three lines that confirm them, in the run's one block
    (block,) = [p for p in loaded.problems if p.workbook == "config.yaml"]
    assert block.suggestion.endswith("intake:\n  column_aliases:\n    回款:\n      客户名称: [付款人]\n    发货:\n"
                                     "      合同编号: [依据]\n    报价:\n      产品名称: [品项]")
    t = loaded.tables
    # 回款 1,200.00 + 800.50 = 2,000.50 yuan; the 别名 明达 read as the archive's name
    assert int(t["回款"]["回款金额"].sum()) == 200_050
    assert list(t["回款"]["客户名称"]) == ["上海明达机械有限公司", "杭州远景科技有限公司"]
    # 发货 30,000 + 20,000 = 50,000.00 yuan, each against its contract
    assert list(t["发货"]["合同编号"]) == ["HT-1", "HT-2"] and int(t["发货"]["发货金额"].sum()) == 5_000_000
    assert list(t["报价"]["产品名称"]) == ["阀门"]
    columns = next(i["columns"] for i in t.inputs if i.get("rep") == "张伟")
    assert columns["回款"]["客户名称"] == "B" and columns["发货"]["合同编号"] == "B" and columns["报价"]["产品名称"] == "D"
    assert not any("wants_known" in i for i in t.inputs)  # the intake's own note, not the manifest's


def test_two_columns_of_customers_are_an_error_listing_both_and_nothing_is_guessed(tmp_path):
    loaded = books(tmp_path, {"合同": CONTRACTS, "回款": [
        ["回款日期", "付款人", "开票单位", "回款金额"],
        [date(2026, 11, 5), "明达", "上海明达机械有限公司", 1200], [date(2026, 11, 9), "远景", "杭州远景科技有限公司", 800]]})
    errors = mine(loaded, ERROR)
    assert [(p.sheet, p.field) for p in errors] == [("回款", "客户名称"), ("回款", "")]
    assert 'B 列 "付款人" (2/2)、C 列 "开票单位" (2/2)' in errors[0].message
    assert all("intake:\n" not in p.suggestion for p in loaded.problems)  # no block picks one of them
    assert len(loaded.tables["回款"]) == 0


def test_without_the_values_or_with_cells_that_do_not_fit_no_column_is_read(tmp_path):
    sheets = {"合同": CONTRACTS, "回款": [["回款日期", "付款人", "回款金额"],
                                        [date(2026, 11, 5), "明达", 1200], [date(2026, 11, 9), "某某贸易", 800]]}
    # no archive: nothing to go by; the sheet is one error, as before
    (error,) = mine(books(tmp_path / "a", sheets, archive=False), ERROR)
    assert "缺少必填列: 客户名称" in error.message
    # an archive, but only 1 of the 2 payers is in it (50 %, below 80 %): not read, and no column is offered
    (error,) = mine(books(tmp_path / "b", sheets), ERROR)
    assert "缺少必填列: 客户名称" in error.message
    assert "客户名称: 没有一列的内容像客户档案中的客户" in error.suggestion and "intake:\n" not in error.suggestion


def test_a_contract_sheet_is_never_given_known_contract_numbers_for_its_own(tmp_path):
    # 李娜's 合同 sheet lacks a 合同编号 header; its 单据 column repeats 张伟's numbers (a copy of his contracts):
    # a 合同 sheet defines contract numbers, so it is not read from them, and no column is offered for them
    settings = workspace(tmp_path)
    write_book(settings.folder("master") / "人员.xlsx", {"人员": [["姓名", "部门"], ["张伟", "一部"], ["李娜", "二部"]]})
    write_archive(settings, [("上海明达机械有限公司", "明达")])
    write_book(settings.folder("reps") / "张伟.xlsx", {"合同": CONTRACTS})
    write_book(settings.folder("reps") / "李娜.xlsx", {"合同": [
        ["单据", "签订日期", "客户名称", "合同金额"], ["HT-1", date(2026, 11, 2), "上海明达机械有限公司", 50000]]})
    loaded = open_books(settings, DAY)
    (error,) = [p for p in loaded.problems if p.workbook == "李娜.xlsx" and p.severity == ERROR]
    assert "缺少必填列: 合同编号" in error.message and "已有合同" not in error.suggestion
    assert list(loaded.tables["合同"]["来源工作簿"]) == ["张伟.xlsx", "张伟.xlsx"]
