"""往来款项对账确认函: the period, the balances carried forward, who gets one, the number, the aging strip, the
printed letter; and for every customer of the demo: 期初 + movements = 期末 and 大写 = 小写."""

import re
from datetime import date

import openpyxl
import pytest

from neiqin_xl.books.periods import MONTH, period_containing, statement_number
from neiqin_xl.books.validate import validate
from neiqin_xl.core.config import settings_from_dict
from neiqin_xl.read.intake import read_workspace
from neiqin_xl.tools.demo import generate_demo
from neiqin_xl.core.files import Name
from neiqin_xl.deliver.writer import write_workbook
from neiqin_xl.reports import statements

from ..helpers import context, fen, report, table, tables

D = date(2026, 12, 1)  # the first working day after November: the letters confirm November


def run(t, day=D, settings=None):
    return report("statements", context(t, settings or settings_from_dict({}), day))


def month_case():
    # 明达: shipped 5,000 (10-10), paid 2,000 (10-20, no contract), shipped 1,000 (11-05), paid 3,000 (11-20, no contract).
    return tables(
        合同=table("合同", [{"合同编号": "HT1", "签订日期": "2026-10-01", "客户名称": "明达", "合同金额": "6,000"}]),
        发货=table("发货", [{"发货日期": "2026-10-10", "发货单号": "FH1", "合同编号": "HT1", "发货金额": "5,000", "客户名称": "明达"},
                          {"发货日期": "2026-11-05", "发货单号": "FH2", "合同编号": "HT1", "发货金额": "1,000", "客户名称": "明达"}]),
        回款=table("回款", [{"回款日期": "2026-10-20", "客户名称": "明达", "回款金额": "2,000"},
                          {"回款日期": "2026-11-20", "客户名称": "明达", "回款金额": "3,000"}]),
        客户=table("客户", [{"客户编码": "K001", "客户名称": "明达", "负责业务员": "张伟", "对账邮箱": "cw@example.com"}], rep=""))


def balances(letters, name, period):
    row = letters[(letters["客户名称"] == name) & (letters["期间"] == period)].iloc[0]
    return [int(row[c]) for c in ("期初余额", "本期借方", "本期贷方", "期末余额")]


def test_the_letter_confirms_the_month_just_ended_its_opening_carried_from_the_month_before():
    # October: opening 0, debit 5,000, credit 2,000 -> closing 3,000.
    # November: opening = October's closing 3,000; debit 1,000, credit 3,000 -> closing 3,000 + 1,000 − 3,000 = 1,000.
    out = run(month_case())
    letters = out.data.letters
    assert out.data.period.code == "2026-11"
    assert balances(letters, "明达", "2026-10") == [0, fen(5000), fen(2000), fen(3000)]
    assert balances(letters, "明达", "2026-11") == [fen(3000), fen(1000), fen(3000), fen(1000)]
    nov = letters[letters["期间"] == "2026-11"].iloc[0]
    # sent on 12-01 (a Tuesday, the first working day after 11-30); reply within 10 working days: 12-02,03,04,07,
    # 08,09,10,11,14,15 -> 12-15
    assert (nov["对账编号"], nov["发出日期"], nov["回复期限"], nov["业务员"]) == \
        ("DZ-202611-K001", date(2026, 12, 1), date(2026, 12, 15), "张伟")
    spec = out.workbooks[0]
    assert (spec.subfolder, spec.filename) == ("对账函", Name("明达", after="_对账函_DZ-202611-K001.xlsx"))
    sheet = spec.sheets[0]
    assert sheet.subtitle[0] == "对账编号：DZ-202611-K001　　对账期间：2026-11-01 至 2026-11-30"
    summary = sheet.tables[0].records()
    assert [(r["项目"], r["金额"]) for r in summary[:4]] == [
        ("期初余额（截至 2026-10-31）", fen(3000)), ("本期增加（发货/开票）", fen(1000)), ("本期减少（回款）", fen(3000)),
        ("期末余额（截至 2026-11-30）", fen(1000))]
    assert summary[4]["说明"] == "人民币壹仟元整（贵司尚欠我司）"
    moves = sheet.tables[1].records()
    assert [(m["摘要"], m["余额"]) for m in moves] == [("期初余额", fen(3000)), ("发货 HT1", fen(4000)),
                                                      ("回款 未指定合同", fen(1000)), ("期末余额", fen(1000))]
    assert out.deliveries == []  # statements.send is false by default
    assert out.figures["numbers"] == {"明达": "DZ-202611-K001"} and out.figures["no_address"] == []


def test_who_gets_a_letter_a_net_zero_customer_with_an_open_item_and_a_prepayment_included():
    # November's letters (run 12-01):
    # 甲 shipped 1,000 and paid it in September, nothing since                         -> no letter
    # 乙 shipped 2,000 in August, nothing since (open item, no movement)                -> letter, opening = closing 2,000
    # 丙 shipped 1,000 on H3 in September; paid 1,000 naming H4 (not shipped) in October: an open item of 1,000
    #    and a prepayment of 1,000, balance 0, nothing in November                        -> letter, closing 0
    # 丁 shipped and paid 500 in November (balance 0, moved)                            -> letter
    t = tables(
        合同=table("合同", [{"合同编号": c, "签订日期": "2026-08-01", "客户名称": n, "合同金额": "9,000"}
                          for c, n in (("H1", "甲"), ("H2", "乙"), ("H3", "丙"), ("H4", "丙"), ("H5", "丁"))]),
        发货=table("发货", [{"发货日期": "2026-09-01", "合同编号": "H1", "发货金额": "1,000", "客户名称": "甲"},
                          {"发货日期": "2026-08-10", "合同编号": "H2", "发货金额": "2,000", "客户名称": "乙"},
                          {"发货日期": "2026-09-05", "合同编号": "H3", "发货金额": "1,000", "客户名称": "丙"},
                          {"发货日期": "2026-11-02", "合同编号": "H5", "发货金额": "500", "客户名称": "丁"}]),
        回款=table("回款", [{"回款日期": "2026-09-10", "客户名称": "甲", "合同编号": "H1", "回款金额": "1,000"},
                          {"回款日期": "2026-10-10", "客户名称": "丙", "合同编号": "H4", "回款金额": "1,000"},
                          {"回款日期": "2026-11-20", "客户名称": "丁", "合同编号": "H5", "回款金额": "500"}]))
    out = run(t)
    nov = out.data.letters[out.data.letters["期间"] == "2026-11"]
    assert sorted(nov["客户名称"]) == ["丁", "丙", "乙"]
    assert balances(out.data.letters, "乙", "2026-11") == [fen(2000), 0, 0, fen(2000)]
    assert balances(out.data.letters, "丙", "2026-11") == [0, 0, 0, 0]
    assert balances(out.data.letters, "丁", "2026-11") == [0, fen(500), fen(500), 0]
    letter = next(s for s in out.workbooks if s.filename.text == "丙").sheets[0]
    # 丙's letter: the open item 1,000 and, on its own line, the prepayment 1,000: 1,000 − 1,000 = 0
    assert [(r["项目"], r["金额"]) for r in letter.tables[-1].records()] == [
        ("其中：未到期质保金", 0), ("减：已收款尚未核销（预收款）", fen(1000)), ("期末余额 = 未结清单据合计 − 预收款", 0)]
    # no 客户编码 in an archive: the code is the name's hash, the same every run
    november = period_containing(MONTH, date(2026, 11, 1))
    assert set(nov["对账编号"]) == {statement_number(november, c)
                                    for c in statements.customer_codes(["乙", "丙", "丁"], {}).values()}


def test_the_aging_strip_at_the_periods_end_and_a_distributor_gets_the_same_letter():
    # 乙 (经销商): shipped 2,000 on 07-01 (age at 11-30: 30 + 31 + 30 + 31 + 30 = 152 days -> 91-180天) and 500 on
    # 11-20 (age 10 -> 0-30天): strip 500 | 0 | 0 | 2,000 | 0 | 0, 合计 2,500 = the closing balance.
    t = tables(
        合同=table("合同", [{"合同编号": "H2", "签订日期": "2026-06-01", "客户名称": "乙", "合同金额": "9,000"}]),
        发货=table("发货", [{"发货日期": "2026-07-01", "发货单号": "F1", "合同编号": "H2", "发货金额": "2,000", "客户名称": "乙"},
                          {"发货日期": "2026-11-20", "发货单号": "F2", "合同编号": "H2", "发货金额": "500", "客户名称": "乙"}]),
        客户=table("客户", [{"客户编码": "K002", "客户名称": "乙", "客户类型": "经销商"}], rep=""))
    sheet = run(t).workbooks[0].sheets[0]
    assert sheet.subtitle[1] == "致：乙（经销商）（客户编码 K002）"
    strip = sheet.tables[2].records()[0]
    assert [strip[k] for k in ("0-30天", "31-60天", "61-90天", "91-180天", "181-365天", "365天以上", "合计")] == \
        [fen(500), 0, 0, fen(2000), 0, 0, fen(2500)]
    assert [(r["单据号"], r["未收金额"], r["账龄天数"]) for r in sheet.tables[3].records()] == \
        [("F1", fen(2000), 152), ("F2", fen(500), 10)]


def test_the_closing_balance_in_words():
    # the cases an accountant checks: 零 inside, 角 with 整, only 分, money paid in advance, nothing owed
    assert statements.closing_in_words(fen("10,005.00")) == "人民币壹万零伍元整（贵司尚欠我司）"
    assert statements.closing_in_words(fen("100,000.50")) == "人民币壹拾万元伍角整（贵司尚欠我司）"
    assert statements.closing_in_words(fen("0.07")) == "人民币柒分（贵司尚欠我司）"
    assert statements.closing_in_words(fen("-2,300.00")) == "人民币贰仟叁佰元整（贵司预付我司）"
    assert statements.closing_in_words(0) == "人民币零元整（双方无欠款）"


def test_the_printed_letter_reads_back_with_the_reply_and_seal_blocks(tmp_path):
    s = settings_from_dict({"company": {"name": "华东贸易有限公司", "contact": "王敏", "phone": "021-5555",
                                        "address": "上海市示例路 1 号"},
                            "statements": {"company": {"email": "duizhang@example.com"}}})
    t = month_case()
    for name in ("合同", "发货", "回款", "客户"):
        t[name]["客户名称"] = "明达/上海"
    spec = run(t, settings=s).workbooks[0]
    written = write_workbook(spec, tmp_path)
    assert written.path == tmp_path / "对账函" / "明达_上海_对账函_DZ-202611-K001.xlsx"
    ws = openpyxl.load_workbook(written.path, data_only=True)["对账函"]
    assert ws.page_setup.orientation == "portrait" and ws.page_setup.paperSize == 9
    # one A4 page: fitToPage on, 1 wide and 1 high (xlsxwriter leaves out the OOXML default 1; a width-only fit
    # would write fitToHeight="0")
    assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToHeight in (None, 1)
    lines = [c.value for c in ws["A"] if isinstance(c.value, str)]
    assert "往来款项对账确认函" in lines and "致：明达/上海（客户编码 K001）" in lines
    assert "发函单位：华东贸易有限公司　地址：上海市示例路 1 号" in lines
    assert "联系人：王敏　电话：021-5555　邮箱：duizhang@example.com" in lines
    assert any(line.startswith("请于 2026年12月15日 前") and "duizhang@example.com" in line for line in lines)
    assert "□ 核对相符：截至 2026年11月30日，贵我双方往来余额 ¥1,000.00 核对相符。" in lines
    assert "□ 核对不符：贵司记录余额 ¥______________，不符金额 ¥______________" in lines
    assert any(line.strip().startswith("不符说明") for line in lines)
    assert "我司（盖章）：华东贸易有限公司" in lines and "贵司（盖章）：明达/上海" in lines
    assert sum(line.startswith("经办人：") and "日期：" in line for line in lines) == 2


# ---------------------------------------------------------------------------- every customer of the demo

DIGITS = dict(zip("零壹贰叁肆伍陆柒捌玖", range(10)))
UNITS = {"拾": 10, "佰": 100, "仟": 1000}


def words_to_fen(words: str) -> int:
    """人民币大写 read back by hand (not by the code under test): '人民币壹拾万零贰佰元伍角整' -> 10020050."""
    words = words.removeprefix("人民币")
    yuan_part, _, rest = words.partition("元")
    total, section, digit = 0, 0, 0
    for ch in yuan_part:
        if ch in DIGITS:
            digit = DIGITS[ch]
        elif ch in UNITS:
            section += digit * UNITS[ch]
            digit = 0
        elif ch == "万":
            total, section, digit = total + (section + digit) * 10000, 0, 0
        elif ch == "亿":
            total, section, digit = (total + section + digit) * 10 ** 8, 0, 0
    fen_total = (total + section + digit) * 100
    for value, unit in re.findall(r"([零壹贰叁肆伍陆柒捌玖])([角分])", rest):
        fen_total += DIGITS[value] * (10 if unit == "角" else 1)
    return fen_total


def test_words_to_fen_reads_by_hand():
    assert words_to_fen("人民币壹拾万零贰佰元伍角整") == 10020050
    assert words_to_fen("人民币贰亿零叁万元零柒分") == 20003000007
    assert words_to_fen("人民币零元整") == 0


@pytest.fixture(scope="module")
def demo_letters(tmp_path_factory):
    """The demo of 2026-12-01 read and validated as a run does, its 对账函 built and written."""
    root = tmp_path_factory.mktemp("demo")
    settings = settings_from_dict({"paths": {"workspace": str(root / "ws")}}, base_dir=root)
    generate_demo(settings.workspace, D, settings=settings)
    read, _ = read_workspace(settings)
    checked, _ = validate(read, settings, D)
    out = run(checked, settings=settings)
    return out, [write_workbook(spec, root / "out").path for spec in out.workbooks]


def test_every_demo_letter_adds_up_and_says_its_closing_balance_in_words(demo_letters):
    out, files = demo_letters
    assert len(files) == out.figures["statements"] > 20
    for path in files:
        ws = openpyxl.load_workbook(path, data_only=True)["对账函"]
        rows = [[c.value for c in row] for row in ws.iter_rows()]
        def amount(label: str) -> int:  # the 余额汇总 row whose 项目 starts with ``label``, in fen
            return round(next(r[1] for r in rows if isinstance(r[0], str) and r[0].startswith(label)) * 100)

        opening, debit, credit = amount("期初余额（截至"), amount("本期增加"), amount("本期减少")
        closing = amount("期末余额（截至")
        assert opening + debit - credit == closing, path.name
        words = next(r[2] for r in rows if r[0] == "期末余额（大写）")
        sign = -1 if "预付" in words else 1
        assert sign * words_to_fen(words.split("（")[0]) == closing, (path.name, words)
        # the movements' 本期合计 are the summary's 本期增加 / 本期减少
        total = next(r for r in rows if r[0] == "本期合计")
        assert (round((total[5] or 0) * 100), round((total[6] or 0) * 100)) == (debit, credit), path.name


def test_every_demo_letter_opens_where_the_customers_previous_letter_closed(demo_letters):
    # a customer without a letter for October had no open item, no prepayment and no movement: it closed at 0
    letters = demo_letters[0].data.letters
    october = letters[letters["期间"] == "2026-10"].set_index("客户名称")["期末余额"]
    november = letters[letters["期间"] == "2026-11"]
    assert len(november) == len(demo_letters[1])
    for name, opening in zip(november["客户名称"], november["期初余额"]):
        assert opening == october.get(name, 0), name
    # unique; the archive's 客户编码 (KH…), the demo's new customer not yet in the archive its name's hash (C…)
    assert november["对账编号"].is_unique
    assert all(n.startswith(("DZ-202611-KH", "DZ-202611-C")) for n in november["对账编号"])
    assert sum(n.startswith("DZ-202611-C") for n in november["对账编号"]) <= 1


def test_every_customers_pieces_made_in_one_pass_are_its_own():
    # all_pieces (one pass over every customer's open parts) against each customer's own parts alone.
    # 甲: 300 aged 10 days (0-30天), a 质保 part of 200 not yet due, 0 left of a paid part; 乙: 1,000 aged 100 days
    # (91-180天), overdue 质保 of 50 (not 未到期质保金); 丙: only a part with a bucket the strip does not show.
    import pandas as pd

    parts = pd.DataFrame({
        "客户名称": ["甲", "乙", "甲", "甲", "乙", "丙"],
        "日期": pd.to_datetime(["2026-11-20", "2026-08-22", "2026-11-01", "2026-10-01", "2026-08-22", "2026-11-01"]),
        "单据号": ["F1", "F2", "F3", "F4", "F5", "F6"], "合同编号": ["H1", "H2", "H1", "H1", "H2", "H3"],
        "未收": [fen(300), fen(1000), fen(200), 0, fen(50), fen(7)],
        "到期日": pd.to_datetime(["2026-12-20", "2026-09-22", "2027-11-01", "2026-10-31", "2026-09-22", None]),
        "账龄天数": [10, 100, 29, 60, 100, 29], "账龄区间": ["0-30天", "91-180天", "0-30天", "31-60天", "91-180天", "其他"],
        "逾期天数": [0, 69, 0, 30, 69, 0], "回款节点": ["", "", "质保", "", "质保", ""]})
    bounds = [30, 60, 90, 180, 365]
    made = statements.all_pieces(parts, bounds)
    assert list(made) == ["甲", "乙", "丙"]
    assert made["甲"].strip.iloc[0].tolist() == [fen(500), 0, 0, 0, 0, 0, fen(500)] and made["甲"].held == fen(200)
    assert made["乙"].strip.iloc[0].tolist() == [0, 0, 0, fen(1050), 0, 0, fen(1050)] and made["乙"].held == 0
    assert made["丙"].strip.iloc[0].tolist() == [0] * 7 and made["丙"].open_rows["单据号"].tolist() == ["F6"]
    assert made["甲"].open_rows["单据号"].tolist() == ["F1", "F3"]  # F4 is paid
    for name, own in parts.groupby("客户名称", sort=False):
        one = statements.all_pieces(own, bounds)[name]
        pd.testing.assert_frame_equal(made[name].strip, one.strip)
        pd.testing.assert_frame_equal(made[name].open_rows, one.open_rows)
        assert made[name].held == one.held

