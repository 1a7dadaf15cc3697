"""Matching finance's lines with the reps' (books/matching.py): one reference rule, three levels, finance rows
that are not lines; and the one rule for a total row's label (core/names.is_total_text).

Tables are typed as the clerk and finance would (yuan amounts, Chinese headers); every expected figure is
worked out by hand in the comment beside it.
"""


import pytest

from neiqin_xl.books import matching
from neiqin_xl.books.matching import INVOICE, normalize_reference
from neiqin_xl.core.names import is_total_text

from ..helpers import fen, table
from ..helpers_finance import (HENGYUAN, HUAQIANG, LIANHE, MINGDA, collections, fin_invoices, match, notes,
                              receipts)




# ---------------------------------------------------------------- the reference rule

@pytest.mark.parametrize(("finance_ref", "rep_ref"), [
    ("0012-345", "12345"),  # separators and the leading zeros Excel drops from a typed number
    ("0012 345", "0012345"),  # a space; zeros on one side only
    ("００１２３４５", "12345"),  # full-width digits from a Chinese input method
    ("hx-0001", "HX0001"),  # case and a hyphen
    ("HX/0001", "hx 0001"),
])
def test_the_same_reference(finance_ref, rep_ref):
    assert normalize_reference(finance_ref) == normalize_reference(rep_ref)


@pytest.mark.parametrize(("finance_ref", "rep_ref"), [
    ("HX-0012", "HX12"),  # letters: Excel keeps text as typed, so the zeros are part of the reference
    ("12345", "123450"),
    ("0012-345", "1234"),
])
def test_different_references(finance_ref, rep_ref):
    assert normalize_reference(finance_ref) != normalize_reference(rep_ref)


def test_bank_reference_0012_345_is_the_reps_12345():
    # the rep typed the 流水号 as a number (Excel dropped 00) and without the hyphen; finance's export keeps
    # 0012-345. Dated 6 days apart (outside the 3-day window) under the short name: the reference decides.
    sales = collections([{"回款日期": "2026-11-05", "客户名称": MINGDA, "回款金额": "8,800.00", "银行流水号": "12345"}])
    finance = receipts([{"日期": "2026-11-11", "客户名称": "明达", "金额": "8,800.00", "银行流水号": "0012-345"}])
    assert notes(match(sales, finance)) == [(1, "流水号一致")]


def test_invoice_number_in_full_width_with_a_space_is_the_same_invoice():
    # finance: ０３１２ ３４５６ (full width, a space); the rep: 3123456 (a number, the leading 0 lost)
    sales = table("开票", [{"发票号码": "3123456", "开票日期": "2026-11-10", "合同编号": "HT-01",
                           "开票金额": "11,300.00", "客户名称": MINGDA}])
    finance = fin_invoices([{"发票号码": "０３１２ ３４５６", "开票日期": "2026-11-20", "客户名称": MINGDA,
                             "金额": "11,300.00"}])
    assert notes(match(sales, finance, INVOICE)) == [(1, "发票号一致")]


def test_references_with_letters_keep_their_zeros():
    # HX-0012 and HX12 are two receipts; 1,000.00 and 2,000.00 on the same day do not pair at any level
    sales = collections([{"回款日期": "2026-11-05", "客户名称": MINGDA, "回款金额": "1,000.00", "银行流水号": "HX12"}])
    finance = receipts([{"日期": "2026-11-05", "客户名称": MINGDA, "金额": "2,000.00", "银行流水号": "HX-0012"}])
    result = match(sales, finance)
    assert result.matches == [] and result.mismatches == []


# ---------------------------------------------------------------- level 1: reference

def test_same_bank_reference_matches_whatever_the_dates():
    sales = collections([{"回款日期": "2026-11-05", "客户名称": MINGDA, "回款金额": "10,000.00", "银行流水号": "HX0001"}])
    # finance booked it 8 days later (outside the 3-day window) under the short name: the reference decides
    finance = receipts([{"日期": "2026-11-13", "客户名称": "明达", "金额": "10000", "银行流水号": " hx0001",
                         "凭证号": "收-0012"}])
    result = match(sales, finance)
    assert notes(result) == [(1, "流水号一致")]
    assert result.unmatched("sales").empty and result.unmatched("finance").empty


def test_same_reference_different_amount_uses_both_lines_up_as_a_mismatch():
    # 5,000.00 against 5,500.00 under HX0009: 金额不符, neither line one-sided
    sales = collections([{"回款日期": "2026-11-09", "客户名称": MINGDA, "回款金额": "5,000.00", "银行流水号": "HX0009"}])
    finance = receipts([{"日期": "2026-11-09", "客户名称": MINGDA, "金额": "5,500.00", "银行流水号": "HX-0009"}])
    result = match(sales, finance)
    assert result.matches == [] and result.mismatches == [(0, 0)]
    assert result.used("sales") == {0} and result.used("finance") == {0}


def test_one_receipt_booked_in_two_parts_with_the_same_reference():
    sales = collections([{"回款日期": "2026-11-09", "客户名称": MINGDA, "回款金额": "8,000.00", "银行流水号": "HX0030"}])
    # 3,000.00 + 5,000.00 = 8,000.00 under the same reference: one level-1 group, not a mismatch
    finance = receipts([{"日期": "2026-11-09", "客户名称": MINGDA, "金额": "3,000.00", "银行流水号": "HX0030"},
                        {"日期": "2026-11-09", "客户名称": MINGDA, "金额": "5,000.00", "银行流水号": "HX0030"}])
    result = match(sales, finance)
    assert notes(result) == [(1, "流水号一致，合并 2 笔")] and result.mismatches == []


def test_invoices_match_by_invoice_number_leading_zeros_lost_in_excel():
    sales = table("开票", [{"发票号码": "123456", "开票日期": "2026-11-10", "合同编号": "HT-01", "开票金额": "22,600.00",
                           "客户名称": MINGDA}])
    finance = fin_invoices([{"发票号码": "00123456", "开票日期": "2026-11-10", "客户名称": MINGDA, "金额": "22,600.00"}])
    result = match(sales, finance, INVOICE)
    assert notes(result) == [(1, "发票号一致")]


# ---------------------------------------------------------------- level 2: customer, amount, date

def test_closest_date_first():
    sales = collections([{"回款日期": "2026-11-10", "客户名称": MINGDA, "回款金额": "2,000.00"},
                         {"回款日期": "2026-11-12", "客户名称": MINGDA, "回款金额": "2,000.00"}])
    # finance has one 2,000.00 on 11-13: 11-12 is 1 day away, 11-10 is 3 days away -> takes the 11-12 line
    finance = receipts([{"日期": "2026-11-13", "客户名称": MINGDA, "金额": "2000.00"}])
    result = match(sales, finance)
    assert notes(result) == [(2, "金额日期一致")] and result.matches[0].sales == (1,)
    assert result.unmatched("sales")["金额"].tolist() == [fen("2,000.00")]


def test_dates_four_days_apart_do_not_match():
    sales = collections([{"回款日期": "2026-11-10", "客户名称": MINGDA, "回款金额": "2,000.00"}])
    finance = receipts([{"日期": "2026-11-14", "客户名称": MINGDA, "金额": "2000.00"}])  # 4 > 3 days
    result = match(sales, finance)
    assert result.matches == [] and len(result.unmatched("sales")) == 1 and len(result.unmatched("finance")) == 1


@pytest.mark.parametrize("finance_name", ["杭州恒远（集团）有限公司", "杭州恒远(集团)", "杭州恒远集团有限公司"])
def test_names_differing_only_by_brackets_or_company_form_are_the_same_customer(finance_name):
    sales = collections([{"回款日期": "2026-11-16", "客户名称": HENGYUAN, "回款金额": "7,800.50"}])
    finance = receipts([{"日期": "2026-11-17", "客户名称": finance_name, "金额": "7,800.50"}])
    result = match(sales, finance)
    # an exact match after normalising: no 名称近似 score
    assert notes(result) == [(2, "金额日期一致")]


def test_fuzzy_name_match_shows_its_score():
    sales = collections([{"回款日期": "2026-11-18", "客户名称": HUAQIANG, "回款金额": "12,345.67"}])
    # finance dropped 市. Match keys 深圳市华强北电子科技发展 (12 chars) and 深圳华强北电子科技发展 (11): one deletion,
    # ratio = 1 − 1/(12 + 11) = 22/23 = 0.9565 ≥ 0.90 -> shown 0.96
    finance = receipts([{"日期": "2026-11-18", "客户名称": "深圳华强北电子科技发展有限公司", "金额": "12,345.67"}])
    result = match(sales, finance)
    assert notes(result) == [(2, "名称近似 0.96")]


def test_a_fuzzy_score_on_one_line_leaves_the_exact_matches_without_a_score():
    sales = collections([{"回款日期": "2026-11-18", "客户名称": HUAQIANG, "回款金额": "12,345.67"},
                         {"回款日期": "2026-11-05", "客户名称": MINGDA, "回款金额": "1,000.00"}])
    # the first pair matches by a fuzzy name (0.96, as above); the second by its exact name: no score to show
    finance = receipts([{"日期": "2026-11-18", "客户名称": "深圳华强北电子科技发展有限公司", "金额": "12,345.67"},
                        {"日期": "2026-11-05", "客户名称": MINGDA, "金额": "1,000.00"}])
    result = match(sales, finance)
    assert sorted(notes(result)) == [(2, "名称近似 0.96"), (2, "金额日期一致")]


# ---------------------------------------------------------------- level 3: combinations

def test_one_rep_line_equal_to_three_finance_lines():
    sales = collections([{"回款日期": "2026-11-25", "客户名称": LIANHE, "回款金额": "6,000.00"}])
    # 1,000.00 + 2,000.00 + 3,000.00 = 6,000.00, dates 11-24..11-26 all within 3 days of 11-25
    finance = receipts([{"日期": "2026-11-24", "客户名称": LIANHE, "金额": "1,000.00"},
                        {"日期": "2026-11-25", "客户名称": LIANHE, "金额": "2,000.00"},
                        {"日期": "2026-11-26", "客户名称": LIANHE, "金额": "3,000.00"}])
    result = match(sales, finance)
    assert notes(result) == [(3, "合并 3 笔")] and result.matches[0].finance == (0, 1, 2)


def test_find_combination_prefers_fewest_lines():
    # 10 = 4 + 6 (two lines) before 10 = 1 + 3 + 6 (three)
    assert sorted([1, 3, 4, 6][k] for k in matching.find_combination([1, 3, 4, 6], 10, 6)) == [4, 6]
    assert matching.find_combination([1, 2], 10, 6) is None


# ---------------------------------------------------------------- finance rows that are not lines

def test_finance_lines_leave_out_totals_rows_without_customer_and_zero_lines():
    finance = receipts([
        {"日期": "2026-11-03", "客户名称": LIANHE, "金额": "500.00", "摘要": "收联合计算机货款"},  # a line
        {"日期": "2026-11-03", "客户名称": "上海明达 小计", "金额": "500.00"},  # total: 客户名称 ends in 小计
        {"日期": "2026-11-30", "客户名称": MINGDA, "金额": "700.00", "摘要": "本月合计"},  # total: 摘要
        {"日期": "2026-11-30", "客户名称": MINGDA, "金额": "700.00", "凭证号": "合计"},  # total: 凭证号
        {"日期": "2026-11-30", "客户名称": " ", "金额": "8,800.00"},  # no customer, an amount: a total
        {"日期": "2026-11-30", "客户名称": MINGDA, "金额": "0", "摘要": "销售发货"},  # a debit row: 贷方 empty
    ])
    lines, totals, zeros = matching.finance_lines(finance)
    # rows 2-5 are totals (4), row 6 is a zero line (1); row 1 is the only line
    assert (totals, zeros) == (4, 1) and lines["客户名称"].tolist() == [LIANHE]


def test_total_text_is_recognised_but_a_company_holding_合计_is_not():
    for label in ("合计", "本月合计", "本期合计", "本年累计", "全年总计", "小计：上海明达", "上海明达 小计", " 总计 ",
                  "合　计", "**合计**", "（本月合计）"):
        assert is_total_text(label), label
    for label in (LIANHE, "收联合计算机货款", "收-0012", "", None, "合同款", "小米科技有限公司"):
        assert not is_total_text(label), label
