"""The seeded demo workspace: realistic input workbooks for trying the whole process end to end.

``generate_demo`` writes, under one workspace folder, what the clerk would find on a real day:
- ``reps/<业务员>.xlsx`` — one workbook per rep (合同/发货/开票/回款/日报/费用/反馈, the template's headers),
  a year of history up to the run date, with the usual irregular typing and a handful of real mistakes;
- ``master/客户档案.xlsx``, ``产品目录.xlsx``, ``人员.xlsx`` (人员 + 目标);
- ``attendance/考勤_YYYY-MM.xlsx`` for the run month and the month before;
- ``finance/财务收款_…``, ``财务开票_…``, ``应收余额_…`` for the same two months, Kingdee-style (title row,
  合计 row), mostly matching the reps' books with a few differences for the reconciliation to explain;
- ``DEMO.txt`` saying plainly that this is demo data, with the list of the files the demo wrote (and their
  sha256): ``remove_demo`` (``demo --reset``) deletes those and nothing else.

Where a demo may go (README: 工作区规则): only into a folder that holds no file of a real workspace —
nothing at all in reps/, master/, attendance/ or finance/ and no DEMO.txt; ``generate_demo`` checks this
before writing anything and raises ``DemoRefused`` naming what it found, so it never writes over a file.
Everything is drawn from ``random.Random(seed)`` and dated relative to the run date, so every report has
content whatever day it is, and the same seed and date give byte-identical files (fixed creation date;
xlsxwriter stores fixed zip timestamps). Money is kept in integer fen here and written as yuan.
"""

from __future__ import annotations

import math
import random
import re
from dataclasses import dataclass, field
from functools import cached_property
from datetime import date, datetime, time, timedelta
from pathlib import Path

import xlsxwriter

from ..core.config import DEMO_MARKER, Settings
from ..core.files import file_sha256
from ..core.months import Month
from ..core.schema import (ACCOUNT_REP, ACTIVITY_TYPE, AGREED_DELIVERY_DATE, ATTENDANCE, AWARD_AMOUNT, BANK_REF,
                           BID_BOND, BID_DEADLINE, BID_OPENING_DATE, BILL_DUE_DATE, BILL_NO, BOND_PAID_DATE,
                           BOND_RETURNED_DATE, CLOSING_BALANCE, COLLECTION_AMOUNT, COLLECTION_DATE, COLLECTION_METHOD,
                           CONTACT, CONTRACT_AMOUNT, CONTRACT_NO, CREDIT_DAYS, CUSTOMER, CUSTOMERS, CUSTOMER_CODE,
                           CUSTOMER_TYPES, DELIVERED_DATE, EXPECTED_ARRIVAL_DATE, HANDLER, INVOICE_AMOUNT, INVOICE_DATE,
                           INVOICE_NO, NEXT_STEP, PAYMENT_TERM, PRODUCT, PRODUCTS, QUOTE_DATE, QUOTE_NO, RECEIPTS,
                           REP_SHEETS, SATISFACTION, SHIPMENT_AMOUNT, SHIPMENT_DATE, SHIPMENT_NO, SIGNING_DATE, STAFF,
                           TARGETS, TENDERS, TENDER_ISSUER, TRACKING_NO, VALID_UNTIL)
from ..books.periods import closed_statement_periods, statement_number
from ..books.roster import REP_ROLE
from ..books.workdays import Workdays, monday_of

WORKSPACE_FOLDERS = ("reps", "master", "attendance", "finance")  # any file in one: a workspace in use
_LISTED = re.compile(r"^([0-9a-f]{64})  (.+)$")  # a file the demo wrote, in DEMO.txt: "<sha256>  <path>"


class DemoRefused(Exception):
    """The demo would go where real data may be (or over a file it did not write): nothing was written."""

_REP_NAMES = ("张伟", "王强", "李娜", "刘洋", "陈静", "杨帆", "赵磊", "周敏")
_REP_PINYIN = ("zhangwei", "wangqiang", "lina", "liuyang", "chenjing", "yangfan", "zhaolei", "zhoumin")
_SURNAMES = "张王李刘陈杨赵周吴徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦方白邹孟熊秦邱江尹薛段雷侯龙史陶黎贺顾毛郝龚邵万钱严武戴莫孔向汤"
_GIVEN = ("伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "霞",
          "平", "刚", "鹏", "辉", "建华", "玉兰", "海燕", "志强", "晓东", "文博", "思远", "子涵")
_OTHER_STAFF = (("孙建国", "总经办", "总经理", "sunjianguo"), ("吴海涛", "销售部", "销售经理", "wuhaitao"),
                ("郑丽", "财务审计部", "财务", "zhengli"))

_CITIES = ("上海", "杭州", "南京", "苏州", "宁波", "无锡", "合肥", "北京", "广州", "深圳", "武汉", "成都", "常州", "绍兴",
           "嘉兴", "温州")
_BRANDS = ("明达", "恒远", "华信", "瑞丰", "天成", "宏图", "嘉禾", "鼎盛", "金桥", "永泰", "博雅", "中联", "新锐", "同创",
           "润泽", "远航", "汇通", "正泰", "盛世", "东方", "德胜", "海纳", "万象", "启明", "融创", "亿丰")
_TRADES = ("贸易", "科技", "机电", "实业", "电子", "建材", "自动化", "物资", "设备", "工贸")
_STREETS = ("中山路", "人民路", "解放路", "建设路", "科技园路", "长江路", "延安路", "和平路", "工业大道", "滨江大道")
_CONTACTS = ("王经理", "李工", "陈总", "赵主任", "刘经理", "孙工", "周总", "吴经理", "郑主任", "黄经理", "林工", "何总")
_AREA_CODES = {"上海": "021", "北京": "010", "广州": "020", "深圳": "0755", "杭州": "0571", "南京": "025",
               "苏州": "0512", "宁波": "0574", "无锡": "0510", "合肥": "0551", "武汉": "027", "成都": "028"}
_HOME_CITY = "上海"
_NO_ACTIVITY_CITY = "西安"  # an expense claimed where the rep recorded no activity

# 产品名称, 产品类别, 单价 (yuan)
_PRODUCTS = (("工业控制器 IC-200", "控制设备", 12800), ("工业控制器 IC-500", "控制设备", 26500),
             ("变频器 VF-7.5", "控制设备", 4650), ("伺服电机 SM-1K", "驱动设备", 3980),
             ("伺服驱动器 SD-1K", "驱动设备", 5200), ("减速机 RG-60", "驱动设备", 2350),
             ("温度传感器 TS-10", "传感器", 680), ("压力传感器 PS-20", "传感器", 1250),
             ("流量计 FM-50", "传感器", 8900), ("安装调试服务", "服务", 15000),
             ("年度维保服务", "服务", 36000), ("备品备件包", "服务", 4800))

_PAYMENT_WEIGHTS = (("款到发货", 2), ("货到付款", 2), ("月结", 4), ("分期", 2))


# ---------------------------------------------------------------- the generated world (local to one call)

@dataclass
class _Rep:
    index: int
    name: str
    email: str
    dept: str
    base_pay: int
    perf_base: int


@dataclass
class _Customer:
    code: str
    name: str  # as in the archive (may contain （）)
    aliases: list[str]
    city: str
    credit_limit: int  # yuan
    term: int
    rep: str
    contact: str
    phone: str
    address: str


@dataclass
class _World:
    rng: random.Random
    run_date: date
    rows_scale: float
    reps: list[_Rep]
    customers: list[_Customer]
    settings: Settings
    contracts: dict[str, list[dict]] = field(default_factory=dict)  # rep -> rows
    shipments: dict[str, list[dict]] = field(default_factory=dict)
    invoices: dict[str, list[dict]] = field(default_factory=dict)
    collections: dict[str, list[dict]] = field(default_factory=dict)
    activities: dict[str, list[dict]] = field(default_factory=dict)
    expenses: dict[str, list[dict]] = field(default_factory=dict)
    feedback: dict[str, list[dict]] = field(default_factory=dict)  # rep -> 反馈 rows (``_add_customer_service``)
    quotes: dict[str, list[dict]] = field(default_factory=dict)  # rep -> 报价 rows (``_add_quotations``)
    open_items: list[dict] = field(default_factory=list)  # shipments nobody has paid yet
    layouts: dict[str, dict] = field(default_factory=dict)  # rep -> {"title": bool, "rename": {sheet: {old: new}}}
    planted: list[str] = field(default_factory=list)  # the deliberate problems, described
    new_customer: str = ""
    years: float = 1.0  # years of history before the run date
    plans: dict[str, list[dict]] = field(default_factory=dict)  # rep -> 回款计划 rows (``_add_payment_plans``)

    @property
    def start(self) -> date:
        return self.run_date - timedelta(days=self.history_days)

    @cached_property
    def workdays(self) -> Workdays:
        return Workdays.of(self.settings)

    @property
    def history_days(self) -> int:
        return round(365 * self.years)

    def customers_of(self, rep: _Rep) -> list[_Customer]:
        own = [c for c in self.customers if c.rep == rep.name]
        return own or [self.customers[rep.index % len(self.customers)]]


# ---------------------------------------------------------------- small helpers

def _fen(yuan: int | float) -> int:
    return int(round(yuan * 100))


def _clamp(day: date, low: date, high: date) -> date:
    return max(low, min(day, high))


def _rand_day(rng: random.Random, low: date, high: date) -> date:
    if high <= low:
        return low
    return low + timedelta(days=rng.randint(0, (high - low).days))


def _weighted(rng: random.Random, pairs: tuple[tuple[str, int], ...]) -> str:
    return rng.choices([p for p, _ in pairs], weights=[w for _, w in pairs])[0]


# ---------------------------------------------------------------- master data

def _make_reps(count: int) -> list[_Rep]:
    names: list[str] = []
    emails: list[str] = []
    for i in range(count):
        if i < len(_REP_NAMES):
            names.append(_REP_NAMES[i])
            emails.append(f"{_REP_PINYIN[i]}@example.com")
            continue
        k = i - len(_REP_NAMES)
        name = _SURNAMES[k % len(_SURNAMES)] + _GIVEN[(k // len(_SURNAMES) + k) % len(_GIVEN)]
        suffix = 2
        while name in names:  # a second 张伟 gets a distinguishing suffix, as HR systems do
            name = f"{name[:3]}{suffix}"
            suffix += 1
        names.append(name)
        emails.append(f"rep{i + 1:03d}@example.com")
    half = (count + 1) // 2
    return [_Rep(i, n, e, "销售一部" if i < half else "销售二部", 4000 + 500 * (i % 4), 2000 + 500 * (i % 3))
            for i, (n, e) in enumerate(zip(names, emails))]


def _make_customers(rng: random.Random, count: int, reps: list[_Rep]) -> list[_Customer]:
    fixed = [("上海", "明达", "贸易"), ("杭州", "恒远", "科技"), ("南京", "华信", "（集团）")]
    combos = [(c, b, t) for c in _CITIES for b in _BRANDS for t in _TRADES]
    rng.shuffle(combos)
    chosen: list[tuple[str, str, str]] = []
    used_brands: set[tuple[str, str]] = set()
    for combo in fixed + combos:
        if len(chosen) >= count:
            break
        if (combo[0], combo[1]) in used_brands:
            continue
        used_brands.add((combo[0], combo[1]))
        chosen.append(combo)
    if len(chosen) < count:
        chosen += _more_name_combos(rng, count - len(chosen))
    customers = []
    for i, (city, brand, trade) in enumerate(chosen):
        name = f"{city}{brand}{trade}有限公司"
        aliases = [f"{brand}{trade}" if trade != "（集团）" else f"{brand}集团", f"{city}{brand}"]
        term = rng.choice((30, 30, 60, 60, 90))
        limit = rng.choice((300_000, 500_000, 800_000, 1_000_000, 1_500_000, 2_000_000))
        phone = (f"1{rng.choice('35789')}{rng.randint(100000000, 999999999)}" if i % 3
                 else f"{_AREA_CODES.get(city, '0512')}-{rng.randint(52000000, 68999999)}")
        address = f"{city}市{rng.choice(_STREETS)}{rng.randint(1, 999)}号"
        customers.append(_Customer(f"KH{i + 1:03d}", name, aliases, city, limit, term, reps[i % len(reps)].name,
                                   rng.choice(_CONTACTS), phone, address))
    return customers


def _more_name_combos(rng: random.Random, count: int) -> list[tuple[str, str, str]]:
    """Names beyond one per (city, brand): two-brand names (明达恒远), for a group with thousands of customers."""
    brands = [a + b for a in _BRANDS for b in _BRANDS if a != b]
    combos = [(c, b, rng.choice(_TRADES)) for c in _CITIES for b in brands]
    if count > len(combos):
        raise ValueError(f"customers 最多 {len(combos)} 个以外的组合, 得到 {count}")
    rng.shuffle(combos)
    return combos[:count]


# ---------------------------------------------------------------- contracts and their flows

def _new_contract(w: _World, rep: _Rep, customer: _Customer, signed: date, *, payment: str | None = None,
                  amount_yuan: int | None = None, term: int | None | str = "auto", product: tuple | None = None) -> dict:
    rng = w.rng
    prod = product or rng.choice(_PRODUCTS)
    price = prod[2]
    if amount_yuan is None:
        target = rng.randint(500_000, 800_000) if rng.random() < 0.12 else rng.randint(20_000, 450_000)
    else:
        target = amount_yuan
    qty = max(1, round(target / price))
    qty = max(qty, -(-20_000 // price))
    qty = min(qty, 800_000 // price)
    payment = payment or _weighted(rng, _PAYMENT_WEIGHTS)
    if term == "auto":
        term = None if payment == "款到发货" or rng.random() < 0.12 else rng.choice((customer.term, 30, 60, 90))
    return {SIGNING_DATE: signed, CUSTOMER: customer.name, PRODUCT: prod[0], "数量": qty,
            CONTRACT_AMOUNT: qty * price, PAYMENT_TERM: payment, CREDIT_DAYS: term,
            AGREED_DELIVERY_DATE: signed + timedelta(days=rng.randint(10, 45)), "备注": None,
            "_rep": rep, "_customer": customer, "_price": price, "_qty": qty, "_fen": _fen(qty * price)}


def _add_shipment(w: _World, contract: dict, shipped: date | None, qty: int, note: str | None = None) -> dict:
    amount = qty * contract["_price"]
    signed = shipped + timedelta(days=w.rng.randint(2, 4)) if shipped else None
    if signed and signed > w.run_date:
        signed = None
    status = "待发货" if shipped is None else ("已签收" if signed else "已发货")
    row = {SHIPMENT_NO: None, SHIPMENT_DATE: shipped, CONTRACT_NO: None, PRODUCT: contract[PRODUCT], "数量": qty,
           SHIPMENT_AMOUNT: amount, TRACKING_NO: f"SF{w.rng.randint(10**11, 10**12 - 1)}" if shipped else None,
           DELIVERED_DATE: signed, "状态": status, "备注": note,
           "_contract": contract, "_date": shipped, "_fen": _fen(amount)}
    w.shipments[contract["_rep"].name].append(row)
    return row


def _add_invoice(w: _World, contract: dict, day: date, fen: int) -> dict:
    row = {INVOICE_NO: None, INVOICE_DATE: day, CONTRACT_NO: None, INVOICE_AMOUNT: fen / 100, "备注": None,
           "_contract": contract, "_date": day, "_fen": fen}
    w.invoices[contract["_rep"].name].append(row)
    return row


def _add_collection(w: _World, rep: _Rep, customer: _Customer, day: date, fen: int, contract: dict | None,
                    note: str | None = None, with_contract: bool = True) -> dict:
    method = "承兑汇票" if w.rng.random() < 0.15 else "银行转账"
    row = {COLLECTION_DATE: day, CUSTOMER: customer.name, CONTRACT_NO: None, COLLECTION_AMOUNT: fen / 100, COLLECTION_METHOD: method,
           BANK_REF: None, "备注": note,
           "_contract": contract if with_contract else None, "_customer": customer, "_date": day, "_fen": fen,
           "_special": False}
    w.collections[rep.name].append(row)
    return row


def _due_date(contract: dict, shipped: date) -> date:
    if contract[PAYMENT_TERM] == "货到付款":
        return shipped + timedelta(days=5)
    return shipped + timedelta(days=contract[CREDIT_DAYS] or 30)


def _collect_shipment(w: _World, shipment: dict) -> None:
    """Money for one shipment: on time, late, partly, or not yet (an open item)."""
    rng = w.rng
    contract = shipment["_contract"]
    rep, customer = contract["_rep"], contract["_customer"]
    due = _due_date(contract, shipment["_date"])
    parts = [(due + timedelta(days=rng.randint(-12, 25)), shipment["_fen"])]
    if contract[PAYMENT_TERM] == "分期" and shipment["_fen"] >= 2_000_000:
        half = shipment["_fen"] // 2
        parts = [(due + timedelta(days=rng.randint(-5, 10)), half),
                 (due + timedelta(days=30 + rng.randint(-5, 15)), shipment["_fen"] - half)]
    elif rng.random() < 0.1:
        part = shipment["_fen"] * 7 // 10 // 100 * 100
        parts = [(parts[0][0], part)]  # the rest stays open
    month_start = Month.of(w.run_date).first
    for day, fen in parts:
        day = max(day, shipment["_date"] + timedelta(days=1))
        if day > w.run_date and rng.random() < 0.3 and shipment["_date"] < w.run_date:
            day = _rand_day(rng, max(month_start, shipment["_date"] + timedelta(days=1)), w.run_date)
        if day > w.run_date:
            w.open_items.append({"shipment": shipment, "fen": fen})
            continue
        _add_collection(w, rep, customer, day, fen, contract, with_contract=rng.random() < 0.85)


def _ship_contract(w: _World, contract: dict) -> None:
    """Shipments (full, partial, late or not yet), their invoices and their money."""
    rng, run = w.rng, w.run_date
    signed, agreed, qty = contract[SIGNING_DATE], contract[AGREED_DELIVERY_DATE], contract["_qty"]
    if agreed <= run - timedelta(days=10):
        delay = rng.randint(6, 25) if rng.random() < 0.15 else rng.randint(-8, 3)
        first = _clamp(agreed + timedelta(days=delay), signed + timedelta(days=1), run)
        share = 1.0
        if rng.random() < 0.1:
            share = 0.6  # the rest is late: still to ship
        lots = [(first, max(1, int(qty * share)))]
        if qty >= 2 and share == 1.0 and rng.random() < 0.3:
            q1 = max(1, qty // 2)
            second = _clamp(first + timedelta(days=rng.randint(7, 25)), first, run)
            lots = [(first, q1), (second, qty - q1)]
    elif signed + timedelta(days=3) <= run and rng.random() < 0.5:
        lots = [(_rand_day(rng, signed + timedelta(days=3), run), max(1, qty // 2))]
    else:
        lots = []
    if contract[PAYMENT_TERM] == "款到发货" and lots:
        prepaid = _clamp(lots[0][0] - timedelta(days=rng.randint(1, 5)), signed, run)
        _add_collection(w, contract["_rep"], contract["_customer"], prepaid, contract["_fen"], contract, note="预付款")
    for day, q in lots:
        shipment = _add_shipment(w, contract, day, q)
        invoiced = day + timedelta(days=rng.randint(0, 10))
        if invoiced <= run and rng.random() < 0.88:
            _add_invoice(w, contract, invoiced, shipment["_fen"])
        if contract[PAYMENT_TERM] != "款到发货":
            _collect_shipment(w, shipment)


def _make_business(w: _World) -> None:
    rng, run = w.rng, w.run_date
    per_rep = max(1, round(14 * w.rows_scale * w.years))
    for rep in w.reps:
        for book in (w.contracts, w.shipments, w.invoices, w.collections, w.activities, w.expenses):
            book[rep.name] = []
        pool = w.customers_of(rep)
        for _ in range(per_rep):
            signed = _rand_day(rng, w.start, run - timedelta(days=3))
            w.contracts[rep.name].append(_new_contract(w, rep, rng.choice(pool), signed))
    for rep in w.reps:
        for contract in w.contracts[rep.name]:
            _ship_contract(w, contract)


def _add_shipping_requests(w: _World) -> None:
    """Requests to ship (待发货) dated near the run date: one 款到发货 short of money (with a 要求发货日期), one
    fully prepaid, one for a customer already over its credit limit (those two without one)."""
    run = w.run_date
    reps = w.reps
    product = _PRODUCTS[1]
    # 1) 款到发货, only part of the money in
    rep = reps[0]
    cust = w.customers_of(rep)[0]
    c = _new_contract(w, rep, cust, run - timedelta(days=10), payment="款到发货", amount_yuan=185_000, product=product)
    w.contracts[rep.name].append(c)
    _add_collection(w, rep, cust, run - timedelta(days=3), 5_000_000, c, note="预付款")
    _add_shipment(w, c, None, c["_qty"], note=f"申请发货 {run - timedelta(days=1):%Y-%m-%d}")["要求发货日期"] = \
        run + timedelta(days=3)  # the date the customer wants it (the 发货审核 shows it; the others fall back)
    w.planted.append(f"{rep.name}: 款到发货合同待发货, 预付款不足 (收 50,000.00, 合同 {c['合同金额']:,.2f})")
    # 2) 款到发货, fully prepaid
    rep = reps[1 % len(reps)]
    cust = w.customers_of(rep)[0]
    c = _new_contract(w, rep, cust, run - timedelta(days=8), payment="款到发货", amount_yuan=90_000,
                      product=_PRODUCTS[7])
    w.contracts[rep.name].append(c)
    _add_collection(w, rep, cust, run - timedelta(days=2), c["_fen"], c, note="预付款")
    _add_shipment(w, c, None, c["_qty"], note=f"申请发货 {run:%Y-%m-%d}")
    # 3) a credit customer over its limit
    rep = reps[3 % len(reps)]
    cust = w.customers_of(rep)[-1]
    cust.credit_limit = 100_000
    old = _new_contract(w, rep, cust, run - timedelta(days=80), payment="月结", amount_yuan=260_000, term=30,
                        product=_PRODUCTS[0])
    w.contracts[rep.name].append(old)
    _add_shipment(w, old, run - timedelta(days=62), old["_qty"])
    _add_invoice(w, old, run - timedelta(days=60), old["_fen"])
    new = _new_contract(w, rep, cust, run - timedelta(days=6), payment="月结", amount_yuan=80_000, term=30,
                        product=_PRODUCTS[2])
    w.contracts[rep.name].append(new)
    _add_shipment(w, new, None, new["_qty"], note=f"申请发货 {run:%Y-%m-%d}")
    w.planted.append(f"{rep.name}: {cust.name} 超信用额度 (额度 100,000.00) 仍申请发货")


def _ensure_collections_today(w: _World) -> None:
    """A few collections on the run date itself, so the daily report has figures."""
    run = w.run_date
    for rep in w.reps[:3]:
        candidates = [o for o in w.open_items
                      if o["shipment"]["_contract"]["_rep"] is rep and o["shipment"]["_date"] < run]
        if candidates:
            item = candidates[0]
            w.open_items.remove(item)
            contract = item["shipment"]["_contract"]
            _add_collection(w, rep, contract["_customer"], run, item["fen"], contract)
        else:
            _add_collection(w, rep, w.customers_of(rep)[0], run, _fen(w.rng.randint(5, 30) * 1000), None)


def _add_new_customer_deal(w: _World) -> None:
    """A customer the archive does not know yet (a typical gap in the master data)."""
    rep = w.reps[3 % len(w.reps)]
    name = "苏州新科电子有限公司"
    if any(c.name == name for c in w.customers):
        name = "无锡新科精密电子有限公司"
    ghost = _Customer("", name, [], "苏州", 0, 30, rep.name, "钱经理", "", "")
    c = _new_contract(w, rep, ghost, w.run_date - timedelta(days=40), payment="月结", amount_yuan=66_000, term=30,
                      product=_PRODUCTS[4])
    w.contracts[rep.name].append(c)
    _add_shipment(w, c, w.run_date - timedelta(days=25), c["_qty"])
    w.new_customer = name
    w.planted.append(f"{rep.name}: 新客户 {name} 不在客户档案中")


# ---------------------------------------------------------------- customer service (反馈)

def _add_customer_service(w: _World) -> None:
    """The 反馈 sheet: an open complaint past its time (6 working days, ``service.response_days`` is 3), a fresh
    enquiry, an answered complaint and two surveys with their 满意度. No random draw, so the rest of the demo
    is as it was. The customer due a 回访 is the new customer of ``_add_new_customer_deal``: a contract 40 days
    ago and no contact in any 日报."""
    for rep in w.reps:
        w.feedback[rep.name] = []
    first, second = w.reps[0], w.reps[1 % len(w.reps)]
    own = [c for c in w.contracts[first.name] if c[SIGNING_DATE] <= w.run_date - timedelta(days=20)]
    contract = own[-1] if own else None
    customer = contract[CUSTOMER] if contract else w.customers_of(first)[0].name
    w.feedback[first.name] += [
        {"日期": w.workdays.previous(w.run_date, 6), CUSTOMER: customer, "类型": "投诉",
         CONTRACT_NO: contract[CONTRACT_NO] if contract else None, "产品": contract[PRODUCT] if contract else None,
         "内容": "设备到货后运行报警, 要求派技术人员上门", HANDLER: first.name, "状态": "处理中"},
        {"日期": w.workdays.previous(w.run_date, 1), CUSTOMER: customer, "类型": "咨询", "内容": "询问备件价格和交期",
         HANDLER: first.name, "状态": "待处理"}]
    other = w.customers_of(second)[0].name
    w.feedback[second.name] += [
        {"日期": w.run_date - timedelta(days=24), CUSTOMER: other, "类型": "投诉", "内容": "包装破损, 要求补发配件",
         HANDLER: second.name, "状态": "已回复客户", "完成日期": w.run_date - timedelta(days=20), SATISFACTION: 4},
        {"日期": w.run_date - timedelta(days=10), CUSTOMER: other, "类型": "满意度调查", "内容": "季度满意度电话调查",
         HANDLER: second.name, "状态": "已回复客户", "完成日期": w.run_date - timedelta(days=10), SATISFACTION: 5}]
    third = w.reps[2 % len(w.reps)]
    w.feedback[third.name].append(
        {"日期": w.run_date - timedelta(days=45), CUSTOMER: w.customers_of(third)[0].name, "类型": "回访",
         "内容": "上门回访, 了解设备使用情况", HANDLER: third.name, "状态": "已回复客户",
         "完成日期": w.run_date - timedelta(days=45), SATISFACTION: 3})
    w.planted.append(f"{first.name}: 投诉 {customer} 已 6 个工作日未处理完 (超时)")


# ---------------------------------------------------------------- activities and expenses

def _activity_text(rng: random.Random, kind: str, cust: _Customer) -> tuple[str, str]:
    if kind == "拜访":
        content = rng.choice((f"拜访{cust.contact}, 沟通新项目采购需求", f"上门催收货款, 与{cust.contact}核对账目",
                              "现场了解设备使用情况", "送样并演示产品"))
    elif kind == "电话":
        content = rng.choice(("电话跟进回款进度", "电话确认交货时间", "电话沟通报价", "电话回访售后问题"))
    else:
        content = rng.choice(("参加客户年度供应商会议", "技术交流会", "项目启动会"))
    nxt = rng.choice(("下周提交报价单", "跟进合同签订", "月底前催收尾款", "安排技术人员上门", "等待客户反馈"))
    return content, nxt


def _make_activities_and_expenses(w: _World) -> None:
    rng, run = w.rng, w.run_date
    days = max(10, min(w.history_days, int(75 * w.rows_scale)))
    tier1 = set(w.settings.expenses.tier1_cities)
    tier2 = set(w.settings.expenses.tier2_cities)
    for rep in w.reps:
        pool = w.customers_of(rep)
        acts, exps = w.activities[rep.name], w.expenses[rep.name]
        for n in range(days, -1, -1):
            day = run - timedelta(days=n)
            if not w.workdays.is_workday(day):
                continue
            count = 1 if day == run else (0 if rng.random() < 0.3 else 1 + (rng.random() < 0.3))
            for _ in range(count):
                cust = rng.choice(pool)
                kind = _weighted(rng, (("拜访", 5), ("电话", 4), ("会议", 1)))
                city = _HOME_CITY if kind == "电话" else cust.city
                content, nxt = _activity_text(rng, kind, cust)
                acts.append({"日期": day, CUSTOMER: cust.name, ACTIVITY_TYPE: kind, CONTACT: cust.contact,
                             "城市": city, "内容": content, NEXT_STEP: nxt})
                if kind == "电话" or day == run or rng.random() < 0.35:
                    continue
                exps.append({"日期": day, "费用类别": "交通", "城市": city, "金额": float(rng.randint(40, 900)),
                             "票据张数": rng.randint(1, 3), "事由": f"拜访{cust.name}"})
                if city != _HOME_CITY and rng.random() < 0.6:
                    cap = 500 if city in tier1 else 400 if city in tier2 else 300
                    lodging = cap - rng.randint(20, 150) if rng.random() > 0.06 else cap + rng.randint(50, 180)
                    exps.append({"日期": day, "费用类别": "住宿", "城市": city, "金额": float(lodging), "票据张数": 1,
                                 "事由": f"出差{city}拜访客户"})
                    meal = rng.choice((60, 80, 100)) if rng.random() > 0.05 else 120
                    exps.append({"日期": day, "费用类别": "餐补", "城市": city, "金额": float(meal), "票据张数": 0,
                                 "事由": "出差餐补"})
                if rng.random() < 0.08:
                    exps.append({"日期": day, "费用类别": "招待", "城市": city,
                                 "金额": float(rng.randint(3, 15) * 100), "票据张数": 1,
                                 "事由": f"招待{cust.name}{cust.contact}"})
        _add_expense_findings(w, rep, exps)


def _add_expense_findings(w: _World, rep: _Rep, exps: list[dict]) -> None:
    """The audit findings every demo should show: an over-cap hotel, an 招待 without a customer and one
    above the approval line, a claim in a city with no activity."""
    run = w.run_date
    day = run - timedelta(days=4)
    if rep.index == 0:
        exps.append({"日期": day, "费用类别": "住宿", "城市": "北京", "金额": 680.0, "票据张数": 1,
                     "事由": "出差北京参加展会"})
        exps.append({"日期": day, "费用类别": "招待", "城市": _HOME_CITY, "金额": 860.0, "票据张数": 1,
                     "事由": "业务招待"})
    if rep.index == 1 % len(w.reps):
        exps.append({"日期": run - timedelta(days=9), "费用类别": "招待", "城市": _HOME_CITY, "金额": 2680.0,
                     "票据张数": 2, "事由": f"招待{w.customers_of(rep)[0].name}采购部"})
    if rep.index == 4 % len(w.reps):
        exps.append({"日期": run - timedelta(days=6), "费用类别": "住宿", "城市": _NO_ACTIVITY_CITY, "金额": 350.0,
                     "票据张数": 1, "事由": "出差"})
        exps.append({"日期": run - timedelta(days=6), "费用类别": "交通", "城市": _NO_ACTIVITY_CITY, "金额": 553.0,
                     "票据张数": 1, "事由": "高铁票"})
    exps.sort(key=lambda r: r["日期"])


# ---------------------------------------------------------------- numbering and typing

def _number_documents(w: _World) -> None:
    """Company-wide numbers in date order: 合同编号 HT2026-0001, 发货单号, 发票号码, 银行流水号."""
    rep_order = {r.name: r.index for r in w.reps}
    contracts = sorted((c for rows in w.contracts.values() for c in rows),
                       key=lambda c: (c[SIGNING_DATE], rep_order[c["_rep"].name]))
    seq: dict[int, int] = {}
    for c in contracts:
        year = c[SIGNING_DATE].year
        seq[year] = seq.get(year, 0) + 1
        c[CONTRACT_NO] = f"HT{year}-{seq[year]:04d}"
    for rep in w.reps:
        w.contracts[rep.name].sort(key=lambda c: c[SIGNING_DATE])
    far = date.max
    ships = sorted((s for rows in w.shipments.values() for s in rows),
                   key=lambda s: (s["_date"] or far, s["_contract"][CONTRACT_NO]))
    for n, s in enumerate(ships, 1):
        s[SHIPMENT_NO] = f"FH{(s['_date'] or w.run_date):%Y%m}{n:05d}"
        s[CONTRACT_NO] = s["_contract"][CONTRACT_NO]
    invoices = sorted((i for rows in w.invoices.values() for i in rows),
                      key=lambda i: (i["_date"], i["_contract"][CONTRACT_NO]))
    first = w.rng.randint(3_100_000, 4_900_000)
    for n, inv in enumerate(invoices):
        inv[INVOICE_NO] = f"{first + n * 3 + w.rng.randint(0, 2):08d}"
        inv[CONTRACT_NO] = inv["_contract"][CONTRACT_NO]
    cols = sorted((c for rows in w.collections.values() for c in rows), key=lambda c: (c["_date"], c["_fen"]))
    for n, col in enumerate(cols, 1):
        col[BANK_REF] = f"{col['_date']:%Y%m%d}{w.rng.randint(1000, 9999)}{n:06d}"
        if col["_contract"] is not None:
            col[CONTRACT_NO] = col["_contract"][CONTRACT_NO]
    for book in (w.shipments, w.invoices, w.collections):
        for rows in book.values():
            rows.sort(key=lambda r: (r["_date"] is None, r["_date"] or far))


# ---------------------------------------------------------------- 回款计划 and 承兑汇票 (issue 19)

def _add_payment_plans(w: _World) -> None:
    """Every 分期 contract gets a 回款计划 as its money comes in (``_collect_shipment``: half at the due date, the
    rest a month later): 50% 到货 + 账期, 40% 到货 + 账期 + 30 天, 10% 质保金 (验收 + warranty). Its shipments
    signed for get a 验收日期 five days later (when not after the run date). A 承兑汇票 collection gets its
    票据号 and a 票据到期日 six months on. No random draws: the rest of the demo stays as it was."""
    for rep in w.reps:
        w.plans[rep.name] = []
        for c in w.contracts[rep.name]:
            if c[PAYMENT_TERM] != "分期":
                continue
            term = c[CREDIT_DAYS] or 30
            for n, (node, share, days) in enumerate((("到货", 0.5, term), ("到货", 0.4, term + 30), ("质保", 0.1, 0)), 1):
                w.plans[rep.name].append({CONTRACT_NO: c[CONTRACT_NO], "期次": n, "节点": node, "比例": share,
                                          "节点后天数": days or None, "备注": "质保金" if node == "质保" else None})
        for s in w.shipments[rep.name]:
            if s["_contract"][PAYMENT_TERM] == "分期" and s[DELIVERED_DATE]:
                accepted = s[DELIVERED_DATE] + timedelta(days=5)
                s["验收日期"] = accepted if accepted <= w.run_date else None
        for col in w.collections[rep.name]:
            if col[COLLECTION_METHOD] == "承兑汇票":
                col[BILL_NO] = f"1{col['银行流水号'][-11:]}"
                col[BILL_DUE_DATE] = col["_date"] + timedelta(days=182)


def _vary_customer_names(w: _World) -> None:
    """The same customer typed differently: a trailing space, （）as (), an alias from the archive."""
    rep = w.reps[0]
    if w.collections[rep.name]:
        w.collections[rep.name][0][CUSTOMER] = w.collections[rep.name][0][CUSTOMER] + " "
    if w.contracts[rep.name]:
        first = w.contracts[rep.name][0]
        if first["_customer"].aliases:
            first[CUSTOMER] = first["_customer"].aliases[0]
    for rows in list(w.contracts.values()) + list(w.collections.values()):
        for r in rows[1::2]:
            if "（" in r[CUSTOMER]:
                r[CUSTOMER] = r[CUSTOMER].replace("（", "(").replace("）", ")")


def _pick(rows: list[dict], rng: random.Random, test) -> dict | None:
    fits = [r for r in rows if test(r)]
    return rng.choice(fits) if fits else None


def _plant_problems(w: _World) -> None:
    """The typical mistakes, in three reps' workbooks (王强, 李娜, 刘洋 in the default demo)."""
    rng, run = w.rng, w.run_date
    n = len(w.reps)
    if n < 4:
        return
    plain = lambda r: not r.get("_special")  # noqa: E731
    wang, li, liu = w.reps[1].name, w.reps[2].name, w.reps[3].name
    # 王强: a title row above every header, dates typed as text, an amount typed with ¥
    w.layouts[wang] = {"title": True}
    w.planted.append(f"{wang}.xlsx: 每个工作表表头上方有合并的标题行 (表头在第 3 行)")
    row = _pick(w.collections[wang], rng, lambda r: plain(r) and r["_date"] < run - timedelta(days=20))
    if row:
        d = row["_date"]
        row[COLLECTION_DATE], row["_special"] = f"{d.year}.{d.month}.{d.day}", True
        w.planted.append(f"{wang}.xlsx[回款]: 回款日期写成文本 \"{row['回款日期']}\" (可识别)")
    row = _pick(w.collections[wang], rng, plain)
    if row:
        row[COLLECTION_AMOUNT], row["_special"] = f"¥{row['_fen'] / 100:,.2f}", True
        w.planted.append(f"{wang}.xlsx[回款]: 回款金额写成文本 \"{row['回款金额']}\" (可识别)")
    row = _pick(w.activities[wang], rng, lambda r: r["日期"] < run)
    if row:
        row["日期"] = f"{run.year}-13-05"
        w.planted.append(f"{wang}.xlsx[日报]: 日期 \"{row['日期']}\" 不是有效日期")
    # 李娜: a renamed column, 1.2万, abc, a duplicate invoice number
    w.layouts[li] = {"rename": {"合同": {CONTRACT_NO: "合同号"}}}
    w.planted.append(f"{li}.xlsx[合同]: 列名 合同号 (模板为 合同编号)")
    row = _pick(w.collections[li], rng, lambda r: plain(r) and r["_fen"] > 1_200_000 and r["_date"] < run)
    if row:
        row[COLLECTION_AMOUNT], row["_fen"], row["_special"] = "1.2万", 1_200_000, True
        w.planted.append(f"{li}.xlsx[回款]: 回款金额 \"1.2万\" (可识别, 12,000.00)")
    if w.expenses[li]:
        w.expenses[li][len(w.expenses[li]) // 2]["金额"] = "abc"
        w.planted.append(f"{li}.xlsx[费用]: 金额 \"abc\" 不是金额")
    if len(w.invoices[li]) >= 2:
        dup = w.invoices[li][-1]
        dup[INVOICE_NO], dup["_special"] = w.invoices[li][-2][INVOICE_NO], True
        w.planted.append(f"{li}.xlsx[开票]: 发票号码 {dup['发票号码']} 重复")
    # 刘洋: a collection naming a contract that exists nowhere, a negative amount (+ the new customer)
    row = _pick(w.collections[liu], rng, lambda r: plain(r) and r[CONTRACT_NO] and r["_date"] < run)
    if row:
        row[CONTRACT_NO], row["_special"] = f"HT{run.year}-9{rng.randint(100, 999)}", True
        w.planted.append(f"{liu}.xlsx[回款]: 合同编号 {row['合同编号']} 不存在")
    if w.expenses[liu]:
        target = w.expenses[liu][len(w.expenses[liu]) // 3]
        target["金额"] = -abs(float(target["金额"]))
        w.planted.append(f"{liu}.xlsx[费用]: 金额为负数 {target['金额']:.2f}")


def _plant_problems_everywhere(w: _World) -> None:
    """At scale: a few mistakes in every other rep's workbook too — a date typed as text (recognised), an
    impossible date in 日报 and an amount \"abc\" in 费用 (errors)."""
    rng, run = w.rng, w.run_date
    planted = {r.name for r in w.reps[1:4]} if len(w.reps) >= 4 else set()
    for rep in w.reps:
        if rep.name in planted:
            continue
        row = _pick(w.collections[rep.name], rng, lambda r: not r.get("_special") and r["_date"] < run)
        if row:
            d = row["_date"]
            row[COLLECTION_DATE], row["_special"] = f"{d.year}.{d.month}.{d.day}", True
        if w.activities[rep.name]:
            w.activities[rep.name][rng.randrange(len(w.activities[rep.name]))]["日期"] = f"{run.year}-02-30"
        if w.expenses[rep.name]:
            w.expenses[rep.name][rng.randrange(len(w.expenses[rep.name]))]["金额"] = "abc"
    w.planted.append(f"其余 {len(w.reps) - len(planted)} 个业务员: 回款日期写成文本, 日报日期 {run.year}-02-30, 费用金额 abc")


# ---------------------------------------------------------------- finance exports

def _finance_month(w: _World, first: date, ref: dict) -> dict:
    """Finance's view of one month (to the run date): receipts, invoices, balances, with differences."""
    rng = w.rng
    last = min(Month.of(first).last, w.run_date)
    in_month = lambda d: d is not None and first <= d <= last  # noqa: E731
    rep_rows = [(rep, r) for rep in w.reps for r in w.collections[rep.name] if in_month(r["_date"])]
    receipts = [{"date": r["_date"], "name": r["_customer"].name, "fen": r["_fen"], "ref": r[BANK_REF],
                 "memo": "收到货款" if not r["备注"] else f"收到{r['备注']}", "row": r} for _, r in rep_rows]
    usable = [x for x in receipts if not x["row"].get("_special") and x["name"] != w.new_customer]
    rng.shuffle(usable)
    diffs: list[str] = []
    if len(usable) >= 4:
        lacking, split, mismatch, renamed = usable[:4]
        receipts.remove(lacking)
        diffs.append(f"财务缺少业务员登记的回款 {lacking['ref']}")
        rep = next(rep for rep, r in rep_rows if r is split["row"])
        _split_rep_collection(w, rep, split["row"])
        diffs.append(f"财务一笔 {split['ref']} 对应业务员两行")
        mismatch["fen"] -= 5000
        mismatch["memo"] = "收到货款(扣手续费)"
        diffs.append(f"流水号 {mismatch['ref']} 金额相差 50.00")
        renamed["name"] = renamed["name"].replace("有限公司", "")
        diffs.append(f"往来单位写作 {renamed['name']}")
    if receipts:
        cust = w.customers[rng.randrange(len(w.customers))]
        day = _rand_day(rng, first, last)
        receipts.append({"date": day, "name": cust.name, "fen": _fen(rng.randint(8, 60) * 1000 + 600),
                         "ref": f"{day:%Y%m%d}{rng.randint(1000, 9999)}9{rng.randint(10000, 99999)}",
                         "memo": "收到货款", "row": None})
        diffs.append(f"财务有业务员未登记的收款 ({cust.name})")
    receipts.sort(key=lambda x: (x["date"], x["ref"]))
    invoices = [{"no": i[INVOICE_NO], "date": i["_date"], "name": i["_contract"]["_customer"].name, "fen": i["_fen"]}
                for rep in w.reps for i in w.invoices[rep.name] if in_month(i["_date"]) and not i.get("_special")]
    invoices.sort(key=lambda x: (x["date"], x["no"]))
    if len(invoices) >= 3:
        invoices.pop(len(invoices) // 2)
        diffs.append("财务缺少一张业务员登记的发票")
    balances = _finance_balances(w, first, last, receipts, ref)
    return {"first": first, "last": last, "receipts": receipts, "invoices": invoices, "balances": balances,
            "differences": diffs}


def _split_rep_collection(w: _World, rep: _Rep, row: dict) -> None:
    """One bank receipt that the rep recorded as two lines (no 流水号 on either)."""
    rows = w.collections[rep.name]
    at = next(i for i, r in enumerate(rows) if r is row)
    part = row["_fen"] * 6 // 10 // 100 * 100
    first_line = dict(row, 回款金额=part / 100, 银行流水号=None, 备注="分两笔登记", _fen=part, _special=True)
    second = dict(row, 回款金额=(row["_fen"] - part) / 100, 银行流水号=None, 备注="分两笔登记",
                  _fen=row["_fen"] - part, _special=True)
    rows[at:at + 1] = [first_line, second]


def _finance_balances(w: _World, first: date, last: date, receipts: list[dict], ref: dict) -> list[dict]:
    """Per customer: opening, debits (shipments), credits (finance receipts), closing."""
    codes = {c.name: c.code for c in w.customers}
    opening: dict[str, int] = dict(ref.get("closing", {}))
    known = "closing" in ref
    debit: dict[str, int] = {}
    credit: dict[str, int] = {}
    for rep in w.reps:
        for s in w.shipments[rep.name]:
            name = s["_contract"]["_customer"].name
            if s["_date"] and s["_date"] < first and not known:
                opening[name] = opening.get(name, 0) + s["_fen"]
            elif s["_date"] and first <= s["_date"] <= last:
                debit[name] = debit.get(name, 0) + s["_fen"]
        if not known:
            for c in w.collections[rep.name]:
                if c["_date"] < first:
                    name = c["_customer"].name
                    opening[name] = opening.get(name, 0) - c["_fen"]
    for x in receipts:
        name = x["name"] if x["name"] in codes or x["name"] == w.new_customer else x["name"] + "有限公司"
        credit[name] = credit.get(name, 0) + x["fen"]
    names = [c.name for c in w.customers] + ([w.new_customer] if w.new_customer else [])
    rows, closing = [], {}
    for name in names:
        o, d, c = opening.get(name, 0), debit.get(name, 0), credit.get(name, 0)
        closing[name] = o + d - c
        if o or d or c:
            rows.append({"code": codes.get(name, ""), "name": name, "open": o, "debit": d, "credit": c,
                         "close": o + d - c})
    ref["closing"] = closing
    return rows


# ---------------------------------------------------------------- issue 18: the 发货计划 and the 货物跟踪

def _add_delivery_followups(w: _World) -> None:
    """A late contract whose shipments a new user sees followed up on the first run: 20 pieces agreed a week
    before the run date; 8 shipped 8 working days before it and not signed for (货物跟踪 未签收), 5 on the previous
    working day without 物流单号 (缺物流单号, a warning to the rep), 4 on the run date (the phone list), 3 still to
    ship (发货计划 已逾期). Added after the numbering, with numbers of their own and no random draw, so every
    other row of the demo stays as it was."""
    run = w.run_date
    rep = w.reps[4 % len(w.reps)]
    customer = w.customers_of(rep)[0]
    name, _, price = _PRODUCTS[3]
    days = [run]
    for _ in range(8):
        days.append(w.workdays.previous(days[-1]))
    signed = run - timedelta(days=40)
    same_year = [c for rows in w.contracts.values() for c in rows if c[SIGNING_DATE].year == signed.year]
    number = f"HT{signed.year}-{len(same_year) + 1:04d}"
    contract = {SIGNING_DATE: signed, CUSTOMER: customer.name, PRODUCT: name, "数量": 20,
                CONTRACT_AMOUNT: 20 * price, PAYMENT_TERM: "月结", CREDIT_DAYS: 30, AGREED_DELIVERY_DATE: run - timedelta(days=7),
                "备注": None, CONTRACT_NO: number, "_rep": rep, "_customer": customer, "_price": price, "_qty": 20,
                "_fen": _fen(20 * price)}
    w.contracts[rep.name].append(contract)
    shipped = sum(len(rows) for rows in w.shipments.values())
    for n, (day, qty, tracking, expected) in enumerate(((days[8], 8, "SF900018000001", None), (days[1], 5, None, None),
                                                        (run, 4, "SF900018000002", run + timedelta(days=3))), 1):
        w.shipments[rep.name].append({
            SHIPMENT_NO: f"FH{day:%Y%m}{shipped + n:05d}", SHIPMENT_DATE: day, CONTRACT_NO: number, PRODUCT: name, "数量": qty,
            SHIPMENT_AMOUNT: qty * price, TRACKING_NO: tracking, DELIVERED_DATE: None, "状态": "已发货", "备注": None,
            "物流公司": "顺丰速运" if tracking else None, EXPECTED_ARRIVAL_DATE: expected,
            "_contract": contract, "_date": day, "_fen": _fen(qty * price)})
    w.planted.append(f"{rep.name}: 合同 {number} 交货逾期; 发货 {days[8]} 未签收, {days[1]} 缺物流单号")


# ---------------------------------------------------------------- writing

class _Book:
    """A thin xlsxwriter wrapper: the formats the demo workbooks use, a fixed creation date.

    Not the report writer (deliver/writer.py), on purpose: these are the demo's INPUTS, the reps' and finance's
    own hand-kept books with what a clerk meets in them (a title typed above the header, finance's merged
    title and 合计 row, 宋体, text-formatted cells), and the intake's cell addresses in the golden outputs
    (问题清单 …) follow that layout; the writer lays out reports (its own title block, styles, widths and
    totals row), so writing the inputs with it would change them and the golden digests."""

    def __init__(self, path: Path, created: datetime):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.wb = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False, "strings_to_formulas": False,
                                                  "strings_to_urls": False})
        self.wb.set_properties({"created": created, "author": "neiqin_xl demo", "comments": "演示数据 demo data"})
        base = {"font_name": "宋体", "font_size": 11}
        self.header = self.wb.add_format({**base, "bold": True, "bg_color": "#DDEBF7", "border": 1})
        self.title = self.wb.add_format({**base, "bold": True, "font_size": 14, "align": "center"})
        self.date = self.wb.add_format({**base, "num_format": "yyyy-mm-dd"})
        self.money = self.wb.add_format({**base, "num_format": "#,##0.00"})
        self.text = self.wb.add_format({**base, "num_format": "@"})
        self.plain = self.wb.add_format(base)
        self.total = self.wb.add_format({**base, "bold": True, "num_format": "#,##0.00"})

    def write_cell(self, ws, r: int, c: int, value: object, money: bool = False) -> None:
        if value is None or value == "":
            return
        if isinstance(value, date):
            ws.write_datetime(r, c, datetime.combine(value, time()), self.date)
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            ws.write_number(r, c, value, self.money if money else self.plain)
        else:
            ws.write_string(r, c, str(value), self.text)

    def write_table(self, name: str, headers: list[str], rows: list[list], *, money_cols: set[int] = frozenset(),
                    title: list[str] | None = None, total: tuple[int, str, list[int]] | None = None):
        """Header (after optional title lines), rows, an optional total row: (label column, label, sum columns)."""
        ws = self.wb.add_worksheet(name)
        top = 0
        for i, line in enumerate(title or []):
            if i == 0 and len(headers) > 1:
                ws.merge_range(0, 0, 0, len(headers) - 1, line, self.title)
            else:
                ws.write_string(i, 0, line, self.plain)
            top = i + 1
        for c, h in enumerate(headers):
            ws.write_string(top, c, h, self.header)
            ws.set_column(c, c, max(10, 2 * len(h) + 4))
        for r, values in enumerate(rows, start=top + 1):
            for c, v in enumerate(values):
                self.write_cell(ws, r, c, v, c in money_cols)
        if total:
            label_col, label, sum_cols = total
            r = top + 1 + len(rows)
            ws.write_string(r, label_col, label, self.total)
            for c in sum_cols:
                value = round(sum(v[c] for v in rows if isinstance(v[c], (int, float))), 2)
                ws.write_number(r, c, value, self.total)
        ws.freeze_panes(top + 1, 0)
        return ws

    def close(self) -> None:
        self.wb.close()


def _write_rep_workbook(w: _World, rep: _Rep, path: Path, created: datetime) -> dict[str, int]:
    layout = w.layouts.get(rep.name, {})
    book = _Book(path, created)
    counts = {}
    books = {"合同": w.contracts, "发货": w.shipments, "开票": w.invoices, "回款": w.collections,
             "日报": w.activities, "费用": w.expenses, "回款计划": w.plans,
             "反馈": w.feedback, "报价": w.quotes}
    for sheet in REP_SHEETS:
        rename = layout.get("rename", {}).get(sheet.name, {})
        headers = [rename.get(f.name, f.name) for f in sheet.fields]
        money = {i for i, f in enumerate(sheet.fields) if f.kind == "money"}
        rows = [[r.get(f.name) for f in sheet.fields] for r in books[sheet.name].get(rep.name, [])]
        title = None
        if layout.get("title"):
            title = [f"{rep.name} {sheet.name}台账 {w.run_date.year}年", f"业务员：{rep.name}    单位：元"]
        book.write_table(sheet.name, headers, rows, money_cols=money, title=title)
        counts[sheet.name] = len(rows)
    book.close()
    return counts


def _write_master(w: _World, folder: Path, created: datetime) -> list[Path]:
    paths = [folder / "客户档案.xlsx", folder / "产品目录.xlsx", folder / "人员.xlsx", folder / "投标台账.xlsx"]
    book = _Book(paths[0], created)
    rows = [[c.code, c.name, "；".join(c.aliases), c.credit_limit, c.term, c.rep, c.contact, c.phone, c.address,
             f"{c.code.lower()}@example.com", _statement_address(i, c), DISTRIBUTOR if i % 4 == 3 else "直销客户"]
            for i, c in enumerate(w.customers)]
    book.write_table(CUSTOMERS.name, CUSTOMERS.columns, rows, money_cols={3})
    book.close()
    replies = _statement_replies(w)
    if replies:
        paths.append(folder / "对账回执.xlsx")
        book = _Book(paths[-1], created)
        book.write_table(RECEIPTS.name, RECEIPTS.columns, replies, money_cols={3, 4})
        book.close()
    book = _Book(paths[1], created)
    book.write_table(PRODUCTS.name, PRODUCTS.columns, [_product_row(p) for p in _PRODUCTS], money_cols={2, 4, 5})
    book.close()
    book = _Book(paths[2], created)
    staff = [[r.name, r.dept, REP_ROLE, r.email, r.base_pay, r.perf_base, f"1380000{r.index + 1:04d}"] for r in w.reps]
    staff += [[n, d, role, f"{py}@example.com", 8000, 3000, None] for n, d, role, py in _OTHER_STAFF]
    book.write_table(STAFF.name, STAFF.columns, staff, money_cols={4, 5})
    book.write_table(TARGETS.name, TARGETS.columns, _targets(w), money_cols={2, 3})
    book.close()
    book = _Book(paths[3], created)
    money = {i for i, f in enumerate(TENDERS.fields) if f.kind == "money"}
    book.write_table(TENDERS.name, TENDERS.columns, [[t.get(f.name) for f in TENDERS.fields] for t in _tenders(w)],
                     money_cols=money)
    book.close()
    return paths


def _product_row(product: tuple) -> list:
    """产品目录 row: 产品名称, 产品类别, 单价, 规格, 指导价 (= 单价), 最低价, 最低折扣. The services have a 最低价
    (90% of the list price), the goods a 最低折扣 of 85% (the floor 指导价 × 85%)."""
    name, kind, price = product
    spec = name.split(" ")[-1] if " " in name else None
    if kind == "服务":
        return [name, kind, price, spec, price, round(price * 0.9), None]
    return [name, kind, price, spec, price, None, 0.85]


def _add_quotations(w: _World, seed: int) -> None:
    """报价 (issue 33), from a random stream of their own (the rest of the demo stays as it was): every contract
    signed in the last 45 days came from a quotation a few days before it (its 报价单号 in the contract), each
    rep also has open quotations, one expired, and one whose line is below the 最低价 (需审批; another with the
    approval mark). Of the contracts signed in the last week, one is below its quotation's price (needs
    approval in the 合同评审) and one names a 报价单号 no quotation has (资料不全)."""
    rng = random.Random(seed * 1000 + 33)
    seq = 0

    def number(day: date) -> str:
        nonlocal seq
        seq += 1
        return f"BJ{day:%Y%m}-{seq:03d}"

    def line(no: str, day: date, customer: str, product: tuple, qty: int, price_yuan: float, valid: date,
             discount: float | None = None, note: str | None = None) -> dict:
        return {QUOTE_NO: no, QUOTE_DATE: day, CUSTOMER: customer, PRODUCT: product[0],
                "规格": product[0].split(" ")[-1] if " " in product[0] else None, "数量": qty, "单价": price_yuan,
                "折扣": discount, "税率": None, VALID_UNTIL: valid,
                PAYMENT_TERM: rng.choice(("款到发货", "月结30天", "30%预付, 70%到货后30天")),
                "交货期": f"合同签订后{rng.choice((7, 15, 20, 30))}天", "备注": note}

    products = {p[0]: p for p in _PRODUCTS}
    recent = [c for rows in w.contracts.values() for c in rows
              if w.run_date - timedelta(days=45) <= c[SIGNING_DATE] <= w.run_date]
    recent.sort(key=lambda c: (c[SIGNING_DATE], c[CONTRACT_NO]))
    week = [c for c in recent if c[SIGNING_DATE] >= w.run_date - timedelta(days=w.settings.review.new_days)]
    below = week[0][CONTRACT_NO] if week else ""
    unknown = week[-1][CONTRACT_NO] if len(week) > 1 else ""
    for c in recent:
        rep = c["_rep"].name
        if c[CONTRACT_NO] == unknown:
            c[QUOTE_NO] = f"BJ{c['签订日期']:%Y%m}-999"  # typed wrong: no such quotation
            continue
        day = c[SIGNING_DATE] - timedelta(days=rng.randint(2, 12))
        no = number(day)
        price = round(c["_price"] * (1.05 if c[CONTRACT_NO] == below else 1), 2)  # came in under its quotation
        product = products.get(c[PRODUCT], (c[PRODUCT], "", c["_price"]))
        w.quotes.setdefault(rep, []).append(line(no, day, c[CUSTOMER], product, c["_qty"], price,
                                                 day + timedelta(days=30)))
        c[QUOTE_NO] = no
    _add_clean_contract(w, rng, number, line)
    for rep in w.reps:
        customers = w.customers_of(rep) or w.customers
        for k in range(3):
            day = w.run_date - timedelta(days=rng.choice((1, 2, 3, 5, 9, 20)) if k else 50)
            no = number(day)
            customer = rng.choice(customers).name
            valid = day + timedelta(days=30)  # the first (50 days ago) has expired
            picked = rng.sample(_PRODUCTS, rng.randint(1, 3))
            for prod in picked:
                w.quotes.setdefault(rep.name, []).append(
                    line(no, day, customer, prod, rng.randint(2, 20), prod[2], valid, discount=rng.choice((None, 0.95))))
        if rep.index in (0, 1):  # below the floor (指导价 × 85%): one waiting, one approved
            day = w.run_date - timedelta(days=2)
            prod = _PRODUCTS[2]
            note = "经理批准 (项目价)" if rep.index == 1 else "客户压价, 申请特价"
            w.quotes.setdefault(rep.name, []).append(line(number(day), day, customers[0].name, prod, 10, prod[2],
                                                          day + timedelta(days=15), discount=0.8, note=note))
    for rows in w.quotes.values():
        rows.sort(key=lambda r: (r[QUOTE_DATE], r[QUOTE_NO]))


def _add_clean_contract(w: _World, rng: random.Random, number, line) -> None:
    """A contract signed the day before the run date from a quotation, that passes the 合同评审: 款到发货 (so the
    customer's credit does not hold it), at the list price, delivery in 20 days, to an archive customer."""
    rep = w.reps[0]
    customer = w.customers_of(rep)[0]
    signed = w.run_date - timedelta(days=1)
    name, _, price = _PRODUCTS[6]
    qty = 60_000 // price
    contract = {SIGNING_DATE: signed, CUSTOMER: customer.name, PRODUCT: name, "数量": qty, CONTRACT_AMOUNT: qty * price,
                PAYMENT_TERM: "款到发货", CREDIT_DAYS: None, AGREED_DELIVERY_DATE: w.run_date + timedelta(days=20), "备注": None,
                "_rep": rep, "_customer": customer, "_price": price, "_qty": qty, "_fen": _fen(qty * price)}
    year_numbers = [c[CONTRACT_NO] for rows in w.contracts.values() for c in rows
                    if str(c.get(CONTRACT_NO, "")).startswith(f"HT{signed.year}-")]
    contract[CONTRACT_NO] = f"HT{signed.year}-{len(year_numbers) + 1:04d}"
    day = signed - timedelta(days=3)
    no = number(day)
    w.quotes.setdefault(rep.name, []).append(line(no, day, customer.name, _PRODUCTS[6], contract["_qty"], _PRODUCTS[6][2],
                                                  day + timedelta(days=30)))
    contract[QUOTE_NO] = no
    w.contracts[rep.name].append(contract)


def _tenders(w: _World) -> list[dict]:
    """投标台账 (issue 33), dated from the run date with no random draw: a bid due in two working days and one due
    later, two bids decided this month (one won, with its contract; one lost, its bond back), a bond not back
    weeks after 开标 (to chase), a win without a contract for 40 days, one given up."""
    d = w.run_date
    reps = [r.name for r in w.reps]
    rep = lambda i: reps[i % len(reps)]  # noqa: E731
    ahead = w.workdays.following(d, 2)  # two working days ahead
    won = next((c for c in w.contracts[rep(1)] if c[SIGNING_DATE] <= d), None)
    rows = [
        {"项目名称": "市轨道交通控制系统改造", TENDER_ISSUER: "市轨道交通集团", "获取标书日期": d - timedelta(days=12),
         BID_DEADLINE: ahead, BID_OPENING_DATE: ahead, BID_BOND: 20000, BOND_PAID_DATE: d - timedelta(days=3),
         ACCOUNT_REP: rep(0), "状态": "跟踪"},
        {"项目名称": "开发区污水厂自控设备采购", TENDER_ISSUER: "开发区建设局", "获取标书日期": d - timedelta(days=5),
         BID_DEADLINE: d + timedelta(days=25), BID_OPENING_DATE: d + timedelta(days=25), ACCOUNT_REP: rep(2), "状态": "跟踪"},
        {"项目名称": "第一人民医院楼宇传感器", TENDER_ISSUER: "第一人民医院", "获取标书日期": d - timedelta(days=40),
         BID_DEADLINE: d - timedelta(days=20), BID_OPENING_DATE: d - timedelta(days=20), BID_BOND: 50000,
         BOND_PAID_DATE: d - timedelta(days=25), ACCOUNT_REP: rep(1), "状态": "中标",
         AWARD_AMOUNT: won[CONTRACT_AMOUNT] if won else 300000, CONTRACT_NO: won[CONTRACT_NO] if won else None},
        {"项目名称": "港区冷链仓储变频改造", TENDER_ISSUER: "港务集团", "获取标书日期": d - timedelta(days=30),
         BID_DEADLINE: d - timedelta(days=15), BID_OPENING_DATE: d - timedelta(days=15), BID_BOND: 30000,
         BOND_PAID_DATE: d - timedelta(days=18), BOND_RETURNED_DATE: d - timedelta(days=6), ACCOUNT_REP: rep(3),
         "状态": "未中标"},
        {"项目名称": "高新区数据中心动环监控", TENDER_ISSUER: "高新区管委会", "获取标书日期": d - timedelta(days=70),
         BID_DEADLINE: d - timedelta(days=45), BID_OPENING_DATE: d - timedelta(days=44), BID_BOND: 80000,
         BOND_PAID_DATE: d - timedelta(days=50), ACCOUNT_REP: rep(0), "状态": "未中标", "备注": "财务称尚未收到退款"},
        {"项目名称": "纺织集团空压站节能", TENDER_ISSUER: "纺织集团", "获取标书日期": d - timedelta(days=75),
         BID_DEADLINE: d - timedelta(days=52), BID_OPENING_DATE: d - timedelta(days=50), ACCOUNT_REP: rep(4),
         "状态": "中标", AWARD_AMOUNT: 420000},
        {"项目名称": "县医院净化工程配套", TENDER_ISSUER: "县人民医院", "获取标书日期": d - timedelta(days=20),
         BID_DEADLINE: d - timedelta(days=8), ACCOUNT_REP: rep(5), "状态": "放弃", "备注": "资质不符"},
    ]
    return rows


DISTRIBUTOR = CUSTOMER_TYPES[1]  # 经销商


def _statement_address(i: int, customer: _Customer) -> str:
    """The customer's 对账邮箱 (its finance department, at example.com); every seventh has none (posted by hand)."""
    return "" if i % 7 == 6 else f"caiwu.{customer.code.lower()}@example.com"


def _statement_replies(w: _World) -> list[list]:
    """master/对账回执.xlsx: replies to the 对账函 of the two periods before the last closed one, from the customers
    shipped to in them (a letter's customers include them): most confirm (相符); of the earlier period, the second
    disputes one shipment (不符, 不符金额 = that shipment: not yet received) and the third's 结果 is typed 已核对 (a
    planted problem); every fifth customer has not replied (chased in the 对账跟踪)."""
    rows: list[list] = []
    for back, period in enumerate(closed_statement_periods(w.run_date, w.settings.statements.period, 3)[1:]):
        sent = w.workdays.following(period.end)
        shipped: dict[str, dict] = {}
        for rep_rows in w.shipments.values():
            for row in rep_rows:
                if row["_date"] and period.start <= row["_date"] <= period.end and row[SHIPMENT_NO]:
                    shipped.setdefault(row["_contract"]["_customer"].code, row)
        for i, code in enumerate(sorted(shipped)):
            number, day = statement_number(period, code), w.workdays.following(sent, 3 + i % 6)
            if i % 5 == 4 or day > w.run_date:
                continue
            if back == 1 and i == 1:
                disputed = shipped[code]
                rows.append([number, day, "不符", None, disputed["_fen"] / 100,
                             f"发货单 {disputed['发货单号']} 我司尚未收到货物", f"回执/{number}.pdf"])
            elif back == 1 and i == 2:
                w.planted.append(f"对账回执.xlsx: {number} 的结果写成 已核对")
                rows.append([number, day, "已核对", None, None, None, None])
            else:
                rows.append([number, day, "相符", None, None, None, f"回执/{number}.pdf"])
    return rows


def _targets(w: _World) -> list[list]:
    """销售目标 / 回款目标 per rep per month of last year and this year; one rep lacks this month's."""
    rows = []
    this_month = f"{w.run_date:%Y-%m}"
    missing = w.reps[5 % len(w.reps)].name if len(w.reps) > 1 else None
    for year in range(w.run_date.year - max(1, math.ceil(w.years)), w.run_date.year + 1):
        for month in range(1, 13):
            label = f"{year}-{month:02d}"
            for rep in w.reps:
                if label == this_month and rep.name == missing:
                    continue
                sales = 200_000 + 10_000 * ((rep.index * 7 + month * 3) % 21)
                rows.append([label, rep.name, sales, sales * 9 // 10 // 10_000 * 10_000])
    if missing:
        w.planted.append(f"人员.xlsx[目标]: {missing} 缺少 {this_month} 的目标")
    return rows


def _write_attendance(w: _World, first: date, path: Path, created: datetime) -> None:
    rng = w.rng
    last = min(Month.of(first).last, w.run_date)
    due = w.workdays.in_range(first, last)
    rows = []
    for rep in w.reps:
        late = 5 if rep.index == 4 % len(w.reps) and first == Month.of(w.run_date).first else rng.choice((0, 0, 1, 2))
        personal = 1 if rng.random() < 0.15 and due > 3 else 0
        sick = 1 if rng.random() < 0.1 and due > 3 else 0
        absent = 1 if rep.index == 6 % len(w.reps) and first != Month.of(w.run_date).first and due > 3 else 0
        rows.append([rep.name, due, due - personal - sick - absent, late, personal, sick, absent])
    book = _Book(path, created)
    headers = [f.name for f in ATTENDANCE.fields if f.name != "月份"]
    book.write_table(ATTENDANCE.name, headers, rows)
    book.close()


def _write_finance(w: _World, month: dict, folder: Path, company: str, created: datetime) -> list[Path]:
    label = f"{month['first']:%Y-%m}"
    period = f"会计期间：{month['first'].year}年第{month['first'].month}期    币别：人民币    单位：元"
    paths = [folder / f"财务收款_{label}.xlsx", folder / f"财务开票_{label}.xlsx", folder / f"应收余额_{label}.xlsx"]
    book = _Book(paths[0], created)
    rows = [[x["date"], f"收-{n:04d}", x["name"], x["memo"], x["fen"] / 100, x["ref"]]
            for n, x in enumerate(month["receipts"], 1)]
    book.write_table("收款明细", ["日期", "凭证字号", "往来单位", "摘要", "贷方金额", BANK_REF], rows, money_cols={4},
                     title=[f"{company} 收款明细表", period], total=(0, "本月合计", [4]))
    book.close()
    book = _Book(paths[1], created)
    rows = []
    for x in month["invoices"]:
        net = round(x["fen"] / 1.13)
        rows.append([x["date"], x["no"], x["name"], net / 100, (x["fen"] - net) / 100, x["fen"] / 100])
    book.write_table("开票明细", [INVOICE_DATE, INVOICE_NO, "购方名称", "不含税金额", "税额", "价税合计"], rows,
                     money_cols={3, 4, 5}, title=[f"{company} 销售发票明细表", period], total=(0, "合计", [3, 4, 5]))
    book.close()
    book = _Book(paths[2], created)
    rows = [[b["code"], b["name"], b["open"] / 100, b["debit"] / 100, b["credit"] / 100, b["close"] / 100]
            for b in month["balances"]]
    book.write_table("余额表", [CUSTOMER_CODE, "往来单位", "期初余额", "本期借方", "本期贷方", CLOSING_BALANCE], rows,
                     money_cols={2, 3, 4, 5}, title=[f"{company} 应收账款余额表", period],
                     total=(1, "合计", [2, 3, 4, 5]))
    book.close()
    return paths


def _folder(workspace: Path, sub: Path) -> Path:
    return sub if sub.is_absolute() else workspace / sub


def _listed_name(workspace: Path, path: Path) -> str:
    """How DEMO.txt names a file: relative to the workspace (``/`` separated), absolute when outside it."""
    try:
        return path.relative_to(workspace).as_posix()
    except ValueError:
        return str(path)


def _write_marker(workspace: Path, seed: int, run_date: date, files: list[Path]) -> Path:
    path = workspace / DEMO_MARKER
    listed = "".join(f"{file_sha256(f)}  {_listed_name(workspace, f)}\n" for f in files)
    path.write_text(
        "这是演示数据 (demo data): 由 neiqin_xl 生成的示例工作簿, 不是真实业务数据。\n"
        f"种子 seed: {seed}\n"
        f"日期 run date: {run_date:%Y-%m-%d}\n"
        "这个工作区的每次运行都是演示运行: 报表标题和邮件都标有 演示数据, 邮件只发给演示地址 (example.com)。\n"
        "正式使用时请另建一个工作区, 把业务员的工作簿放进它的 reps 文件夹。\n"
        "\n"
        "演示程序写的文件 (run_daily.py demo --reset 只删除这些, 且只删除内容未改动的) / files the demo wrote:\n"
        + listed,
        encoding="utf-8")
    return path


def workspace_files(workspace: Path, settings: Settings | None = None) -> list[Path]:
    """The files that make ``workspace`` a workspace in use: anything in its reps/, master/, attendance/ or
    finance/ folder (any file: an .ods, a note, a hidden file), and its DEMO.txt."""
    settings = settings or Settings()
    workspace = Path(workspace)
    found = [workspace / DEMO_MARKER] if (workspace / DEMO_MARKER).exists() else []
    for name in WORKSPACE_FOLDERS:
        folder = _folder(workspace, getattr(settings.paths, name))
        if folder.is_dir():
            found += sorted(p for p in folder.rglob("*") if not p.is_dir())
        elif folder.exists():
            found.append(folder)
    return found


def demo_files(workspace: Path) -> list[tuple[Path, str]]:
    """The files DEMO.txt says the demo wrote, with the sha256 they had; [] when there is no list."""
    marker = Path(workspace) / DEMO_MARKER
    listed = []
    for line in marker.read_text(encoding="utf-8").splitlines() if marker.is_file() else []:
        m = _LISTED.match(line)
        if m:
            listed.append((_folder(Path(workspace), Path(m.group(2))), m.group(1)))
    return listed


def remove_demo(workspace: Path) -> tuple[list[Path], list[Path]]:
    """Deletes what the demo wrote (``demo --reset``): each file listed in DEMO.txt whose bytes are still the
    ones written, then DEMO.txt; a listed file changed since is kept. Nothing else is touched (the runs'
    output/, outbox/ and state stay). Returns (deleted, kept). Raises ``DemoRefused`` when DEMO.txt has no
    list (written by an older version): then nobody can say which files are the demo's."""
    workspace = Path(workspace)
    listed = demo_files(workspace)
    if not listed:
        raise DemoRefused(f"{workspace / DEMO_MARKER} 没有演示文件清单 (旧版本生成): 无法确定哪些文件是演示程序写的, "
                          "未删除任何文件; 请手动清空该工作区, 或用 --workspace 指定一个新文件夹")
    deleted, kept = [], []
    for path, digest in listed:
        if not path.is_file():
            continue
        if file_sha256(path) == digest:
            path.unlink()
            deleted.append(path)
        else:
            kept.append(path)
    (workspace / DEMO_MARKER).unlink()
    deleted.append(workspace / DEMO_MARKER)
    return deleted, kept


def _refuse_if_in_use(workspace: Path, settings: Settings) -> None:
    found = workspace_files(workspace, settings)
    if found:
        shown = ", ".join(_listed_name(workspace, p) for p in found[:5]) + (f" 等 {len(found)} 个" if len(found) > 5 else "")
        raise DemoRefused(f"工作区 {workspace} 里已有文件 ({shown}): 演示数据只生成在没有业务数据的文件夹里, "
                          "不会覆盖任何文件; 请用 --workspace 指定一个新文件夹")


# ---------------------------------------------------------------- 新客户开发: prospects (issue 20)

def _add_development_prospects(w: _World) -> None:
    """Three customers being developed, added last with their own numbers and their own random numbers (the
    rest of the demo is as it was): an archive customer without a contract, called on 45 days before the run
    date and signed 21 days before (shipped, then paid); a prospect first visited in the week before the run
    date's week (an open follow-up); one first contacted 80 days before with no contract (超期未签约). The two
    prospects are not in the archive yet (their 日报 rows are no 未知客户 warning)."""
    saved, w.rng = w.rng, random.Random(w.run_date.toordinal())
    try:
        run = w.run_date
        n = len(w.reps)

        def visit(rep: _Rep, cust: _Customer, days_before: int, kind: str, content: str, nxt: str | None) -> None:
            day = w.workdays.on_or_before(run - timedelta(days=days_before))
            w.activities[rep.name].append({"日期": day, CUSTOMER: cust.name, ACTIVITY_TYPE: kind, CONTACT: cust.contact,
                                           "城市": _HOME_CITY if kind == "电话" else cust.city, "内容": content,
                                           NEXT_STEP: nxt})

        signed_names = {c[CUSTOMER] for rows in w.contracts.values() for c in rows}
        unsigned = [c for c in w.customers if c.name not in signed_names]
        if unsigned:
            cust = unsigned[0]
            rep = next((r for r in w.reps if r.name == cust.rep), w.reps[1 % n])
            visit(rep, cust, 45, "拜访", "首次拜访, 介绍公司产品", "下周提交报价单")
            visit(rep, cust, 32, "电话", "电话沟通报价", "跟进合同签订")
            signed = w.workdays.on_or_before(run - timedelta(days=21))
            visit(rep, cust, 21, "拜访", "签订合同", None)
            contract = _new_contract(w, rep, cust, signed, payment="月结", amount_yuan=48_000, term=30,
                                     product=_PRODUCTS[3])
            contract[CONTRACT_NO] = f"HT{signed.year}-9001"
            w.contracts[rep.name].append(contract)
            shipped = w.workdays.on_or_before(run - timedelta(days=12))
            shipment = _add_shipment(w, contract, shipped, contract["_qty"])
            shipment.update({SHIPMENT_NO: f"FH{shipped:%Y%m}90001", CONTRACT_NO: contract[CONTRACT_NO]})
            paid = w.workdays.on_or_before(run - timedelta(days=4))
            collection = _add_collection(w, rep, cust, paid, contract["_fen"], contract)
            collection.update({CONTRACT_NO: contract[CONTRACT_NO], BANK_REF: f"{paid:%Y%m%d}9001000001"})

        rep = w.reps[2 % n]
        cust = _Customer("", "宁波海天智能装备有限公司", [], "宁波", 0, 30, rep.name, "孙经理", "", "")
        week_before = monday_of(run) - timedelta(days=5)  # the Wednesday of the week before the run date's
        visit(rep, cust, (run - week_before).days, "拜访", "首次拜访, 了解设备需求", "下周提交报价单")

        rep = w.reps[4 % n]
        cust = _Customer("", "郑州宏达重工有限公司", [], "郑州", 0, 30, rep.name, "周经理", "", "")
        visit(rep, cust, 80, "拜访", "展会结识, 首次拜访", "等待客户反馈")
        visit(rep, cust, 50, "电话", "电话跟进采购计划", "等待客户反馈")
    finally:
        w.rng = saved


# ---------------------------------------------------------------- public

def generate_demo(workspace: Path, run_date: date, seed: int = 7, reps: int = 8, customers: int = 40,
                  rows_scale: float = 1.0, settings: Settings | None = None, *, years: float = 1.0,
                  finance_months: int = 2, problems_everywhere: bool = False) -> dict:
    """Writes the demo workspace under ``workspace`` and returns a summary (files, counts, planted problems).

    ``rows_scale`` multiplies the rows per rep (contracts, days of activities); ``settings`` supplies the
    folder names, the company name and the calendar (defaults when None). A workspace already holding a
    file in reps/, master/, attendance/ or finance/, or a DEMO.txt, is refused (``DemoRefused``) before
    anything is written: the demo never writes over a file.

    For the benchmark's larger workspaces (benchmarks/make_workspace.py): ``years`` of history before the
    run date (contracts per rep grow with it; activities cover up to that many years); ``finance_months``
    months of finance and attendance exports, ending with the run month; ``problems_everywhere`` plants a
    few mistakes in every rep's workbook, not only in three. The defaults give the demo as it always was.
    """
    if reps < 1 or customers < 1:
        raise ValueError(f"reps ({reps}) 和 customers ({customers}) 至少为 1")
    if rows_scale <= 0 or years <= 0 or finance_months < 1:
        raise ValueError(f"rows_scale ({rows_scale}) 和 years ({years}) 必须大于 0, finance_months ({finance_months}) 至少为 1")
    settings = settings or Settings()
    workspace = Path(workspace)
    _refuse_if_in_use(workspace, settings)
    rng = random.Random(seed)
    rep_list = _make_reps(reps)
    world = _World(rng=rng, run_date=run_date, rows_scale=rows_scale, reps=rep_list,
                   customers=_make_customers(rng, customers, rep_list), settings=settings, years=years)
    _make_business(world)
    _add_shipping_requests(world)
    _add_new_customer_deal(world)
    _ensure_collections_today(world)
    _make_activities_and_expenses(world)
    _number_documents(world)
    _add_payment_plans(world)
    _vary_customer_names(world)
    _plant_problems(world)
    if problems_everywhere:
        _plant_problems_everywhere(world)
    _add_delivery_followups(world)
    _add_development_prospects(world)
    _add_customer_service(world)
    _add_quotations(world, seed)
    firsts = [Month.of(run_date).shift(-n).first for n in reversed(range(finance_months))]
    balance_ref: dict = {}
    months = [_finance_month(world, first, balance_ref) for first in firsts]

    created = datetime.combine(run_date, time(8, 0))
    folder = {name: _folder(workspace, getattr(settings.paths, name)) for name in ("reps", "master", "attendance",
                                                                                  "finance")}
    files: list[Path] = []
    rows: dict[str, int] = {}
    for rep in rep_list:
        path = folder["reps"] / f"{rep.name}.xlsx"
        for sheet, n in _write_rep_workbook(world, rep, path, created).items():
            rows[sheet] = rows.get(sheet, 0) + n
        files.append(path)
    files += _write_master(world, folder["master"], created)
    for first in firsts:
        path = folder["attendance"] / f"考勤_{first:%Y-%m}.xlsx"
        _write_attendance(world, first, path, created)
        files.append(path)
    for month in months:
        files += _write_finance(world, month, folder["finance"], settings.company.name, created)
    files.append(_write_marker(workspace, seed, run_date, files))
    return {"workspace": str(workspace), "seed": seed, "run_date": run_date.isoformat(), "reps": len(rep_list),
            "customers": len(world.customers), "files": [_listed_name(workspace, p) for p in files],
            "rows": rows, "problems": list(world.planted),
            "finance_differences": {f"{m['first']:%Y-%m}": m["differences"] for m in months},
            "new_customer": world.new_customer}
