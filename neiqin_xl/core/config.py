"""Settings: one validated object, loaded once from config.yaml and passed as an argument.

An unknown key, a wrong type or a missing file raises ``ConfigError`` with one clear message naming the
key; the command line turns it into exit status 2 with nothing written. No password is ever read from
this file: the mail password comes from an environment variable or the system keyring.
"""

from __future__ import annotations

import re
from datetime import date
from datetime import time as dtime
from decimal import Decimal
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator


class ConfigError(Exception):
    """config.yaml cannot be used; the message names the key."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Company(_Section):
    name: str = "示例贸易有限公司"
    contact: str = "销售内勤"
    phone: str = ""
    address: str = ""


class Paths(_Section):
    """Folders, relative to the workspace root unless absolute."""

    workspace: Path = Path("workbooks")  # relative to config.yaml's folder
    reps: Path = Path("reps")
    master: Path = Path("master")
    attendance: Path = Path("attendance")
    finance: Path = Path("finance")
    output: Path = Path("output")
    outbox: Path = Path("outbox")
    logs: Path = Path("logs")  # relative to config.yaml's folder


class Intake(_Section):
    header_scan_rows: int = Field(15, ge=1, le=100)
    # extra header aliases: {sheet: {canonical column: [alias, ...]}}
    column_aliases: dict[str, dict[str, list[str]]] = {}
    # extra sheet-name aliases: {canonical sheet: [alias, ...]}
    sheet_aliases: dict[str, list[str]] = {}
    # reuse what was read from a workbook whose bytes have not changed since the last run (neiqin_xl/cache.py)
    cache: bool = True
    # the cache folder; None = per user (%LOCALAPPDATA%\\neiqin_xl\\cache, ~/.cache/neiqin_xl); never a shared folder
    cache_dir: Path | None = None
    # workbooks are read in this many worker processes (read/isolation.py); 0 = in the run's own process,
    # without the limits below (for debugging: one damaged file can then stop the run)
    workers: int = Field(2, ge=0, le=16)
    # per workbook: past either limit the workbook is one error in the 问题清单 and the others are read
    max_seconds: float = Field(60, gt=0)
    max_memory_mb: int = Field(1024, ge=16)  # on top of what the worker holds before it opens the file


class Receivables(_Section):
    basis: Literal["shipment", "invoice"] = "shipment"
    default_term_days: int = Field(30, ge=0)
    statement_period_start: Literal["year", "month", "quarter"] | None = None  # no longer read: statements.period
    aging_buckets: list[int] = [30, 60, 90, 180, 365]  # upper bounds; last bucket is "365天以上"
    shipping_grace_days: int = Field(30, ge=0)  # 发货审核: overdue beyond this holds a request
    # a collection leaving more than this many times the customer's largest contract as 预收款 is a warning
    max_prepayment_contracts: Decimal = Field(Decimal("1"), ge=0)
    # 回款计划: a 质保 node falls due this many days after the contract's 验收 (else 签收) date
    warranty_days: int = Field(365, ge=0)

    @field_validator("aging_buckets")
    @classmethod
    def _ascending(cls, v: list[int]) -> list[int]:
        if not v or sorted(v) != v or len(set(v)) != len(v) or v[0] < 0:
            raise ValueError("aging_buckets 必须是递增的正整数, 如 [30, 60, 90, 180, 365]")
        return v


class Tier(_Section):
    from_attainment: Decimal = Field(ge=0)  # lower bound, inclusive (0.8 = 80%)
    rate: Decimal = Field(ge=0, le=1)


class Commission(_Section):
    basis: Literal["collected", "invoiced", "shipped", "contracted"] = "collected"
    mode: Literal["whole", "marginal"] = "whole"
    tiers: list[Tier] = [Tier(from_attainment=Decimal("0"), rate=Decimal("0.01")),
                         Tier(from_attainment=Decimal("0.8"), rate=Decimal("0.02")),
                         Tier(from_attainment=Decimal("1.0"), rate=Decimal("0.03"))]
    category_rates: dict[str, Decimal] = {}  # 产品类别 -> rate replacing the tier rate
    slow_money_days: int = Field(90, ge=0)  # items older than this when collected ...
    slow_money_factor: Decimal = Field(Decimal("0.5"), ge=0, le=1)  # ... earn this share of the rate
    attainment_cap: Decimal = Field(Decimal("1.2"), ge=0)
    lateness_free: int = Field(3, ge=0)
    lateness_penalty: Decimal = Field(Decimal("50"), ge=0)
    daily_statement: bool = False  # True: reps also get a 暂估 提成确认单 every day, not only at month end
    # commission on a collection paid by 承兑汇票 (bank acceptance bill) is multiplied by this (discount cost)
    acceptance_bill_factor: Decimal = Field(Decimal("1.0"), ge=0, le=1)


class Expenses(_Section):
    tier1_cities: list[str] = ["北京", "上海", "广州", "深圳"]
    tier2_cities: list[str] = ["天津", "重庆", "石家庄", "太原", "呼和浩特", "沈阳", "长春", "哈尔滨", "南京", "杭州",
                               "合肥", "福州", "南昌", "济南", "郑州", "武汉", "长沙", "南宁", "海口", "成都", "贵阳",
                               "昆明", "拉萨", "西安", "兰州", "西宁", "银川", "乌鲁木齐"]
    lodging_caps: dict[str, Decimal] = {"tier1": Decimal("500"), "tier2": Decimal("400"), "other": Decimal("300")}
    meal_allowance_cap: Decimal = Field(Decimal("100"), ge=0)
    entertainment_approval_above: Decimal = Field(Decimal("2000"), ge=0)
    approval_marks: list[str] = ["经理批准", "已审批", "经理同意"]
    route_window_days: int = Field(1, ge=0)


class Reconciliation(_Section):
    date_window_days: int = Field(3, ge=0)
    fuzzy_threshold: int = Field(90, ge=0, le=100)
    max_combination: int = Field(6, ge=2, le=8)
    days_into_next_month: int = Field(10, ge=0, le=31)


class Reports(_Section):
    big_contract_amount: Decimal = Field(Decimal("500000"), ge=0)
    top_customers: int = Field(10, ge=1)


class Tax(_Section):
    """VAT on the sales journal (销售明细账): the rate of a line is its 产品类别's, else ``default_rate``."""

    default_rate: Decimal = Field(Decimal("0.13"), ge=0, lt=1)
    rates: dict[str, Decimal] = {}  # 产品类别 -> rate, e.g. {农产品: 0.09, 技术服务: 0.06}

    @field_validator("rates")
    @classmethod
    def _fractions(cls, v: dict[str, Decimal]) -> dict[str, Decimal]:
        bad = [k for k, rate in v.items() if not Decimal(0) <= rate < 1]
        if bad:
            raise ValueError(f"税率写成小数, 如 0.13 (13%); 不对的: {', '.join(bad)}")
        return v


class Development(_Section):
    """新客户开发: a customer first contacted more than ``stale_days`` ago with no contract yet is listed."""

    stale_days: int = Field(60, ge=1)


class Service(_Section):
    """客户服务跟踪 (reports/service.py)."""

    response_days: int = Field(3, ge=0)  # an open 咨询/投诉/建议 older than this many working days is overdue
    revisit_days: int = Field(90, ge=1)  # a customer with a contract in the last year and no contact this long is due a 回访


class Review(_Section):
    """合同评审 (reports/review.py) and the 报价单 (reports/quotes.py)."""

    max_term_days: int = Field(60, ge=0)  # a contract's 账期 beyond this (or beyond its customer's) needs approval
    min_lead_days: int = Field(7, ge=0)  # a 约定交货日期 past or within this many days of signing needs approval
    # with no earlier official run to compare with, a contract signed (a quotation dated) within this many
    # days of the run date counts as new: it is reviewed (its 报价单 printed)
    new_days: int = Field(7, ge=0, le=366)
    quotation_pdf: bool = True  # each 报价单 written also as PDF beside it (when LibreOffice is installed)


class Tenders(_Section):
    """投标台账 (master/投标台账.xlsx, reports/tender_register.py)."""

    remind_days: int = Field(3, ge=0, le=60)  # bids due within this many working days are listed
    bond_days: int = Field(5, ge=0, le=120)  # a 保证金 not back this many working days after 开标 is chased
    contract_days: int = Field(30, ge=0, le=366)  # a 中标 tender without a 合同编号 this many days after 开标


class CalendarSettings(_Section):
    """Overrides for years the chinese-calendar package does not know yet."""

    extra_workdays: list[date] = []  # 调休 working weekends
    extra_holidays: list[date] = []


ADDRESS = re.compile(r"^[^\s@,;<>\[\]]+@[^\s@,;<>\[\]]+\.[^\s@,;<>\[\]]+$")


def bad_addresses(addresses: list[str]) -> list[str]:
    """The entries of a recipient list that are not one e-mail address each (``"a@x b@y"``: a missing comma).

    >>> bad_addresses(["gm@example.com", "gm@example.com finance@example.com", "财务"])
    ['gm@example.com finance@example.com', '财务']
    """
    return [a for a in addresses if not ADDRESS.match(str(a).strip())]


def _addresses(v: list[str]) -> list[str]:
    bad = bad_addresses(v)
    if bad:
        raise ValueError(f"不是一个邮件地址: {', '.join(repr(a) for a in bad)} (多个地址请用逗号分开: [a@x.com, b@x.com])")
    return v


class Recipients(_Section):
    to: list[str] = []
    cc: list[str] = []

    @field_validator("to", "cc")
    @classmethod
    def _each_an_address(cls, v: list[str]) -> list[str]:
        return _addresses(v)


# The keys of email.recipients: the reports mailed to configured people (the reps' own mail goes to the
# address in 人员.xlsx). A key no report uses is a typo or a promise nobody keeps: the config check rejects it.
RECIPIENT_KEYS = ("daily", "period", "shipping", "reconciliation", "expenses", "plan",
                  "audit",  # 变更记录: when unset, the 人员 rows whose 角色 is 销售经理
                  "summary",  # the reps' 周/月/年工作总结 compared (the general manager)
                  "service",  # 客户服务跟踪
                  "review",  # 合同评审 and the 报价 needing approval: when unset, the 人员 rows whose 角色 is 销售经理
                  "tenders")  # 投标台账 (bids due, bonds to chase): when unset, the 销售经理 too


class Email(_Section):
    enabled: bool = False  # False: every message is written to the outbox as .eml
    host: str = ""
    port: int = Field(465, ge=1, le=65535)
    security: Literal["ssl", "starttls", "plain"] = "ssl"
    user: str = ""
    sender: str = ""
    password_env: str = "NEIQIN_SMTP_PASSWORD"  # the password is read from this variable, else keyring
    timeout_seconds: float = Field(30, gt=0)
    retries: int = Field(3, ge=0, le=10)  # tries within one run, for a temporary failure
    backoff_seconds: float = Field(2, ge=0)
    max_attempts: int = Field(5, ge=1, le=100)  # runs a message the server refuses is tried in, then given up
    recipients: dict[str, Recipients] = {}  # report key (RECIPIENT_KEYS) -> to/cc
    admin: list[str] = []  # the clerk: told once when a report failed or a message was refused or given up

    @field_validator("admin")
    @classmethod
    def _admin_addresses(cls, v: list[str]) -> list[str]:
        return _addresses(v)

    @field_validator("recipients")
    @classmethod
    def _used_keys(cls, v: dict[str, Recipients]) -> dict[str, Recipients]:
        unused = [key for key in v if key not in RECIPIENT_KEYS]
        if unused:
            raise ValueError(f"没有报表发给 {', '.join(unused)}; 可用的收件人组: {', '.join(RECIPIENT_KEYS)}")
        return v


def clock(text: str) -> dtime:
    """``"16:30"`` → ``time(16, 30)`` (the HH:MM of the schedule settings, already validated)."""
    hh, _, mm = text.partition(":")
    return dtime(int(hh), int(mm))


class Schedule(_Section):
    """The working day (README: the daily timeline): reminders, the cut-off and the official run, the deadline."""

    reminder_time: str = "15:30"  # reps whose workbook is missing or stale are reminded (before the cut-off)
    cutoff: str = "16:30"  # data entered after it counts tomorrow; the official run starts then
    deadline: str = "17:00"  # the day's mail must be in the managers' inbox by then
    reminder_after_days: int = Field(2, ge=0)
    catch_up_days: int = Field(5, ge=0, le=60)  # working days without an official run produced by the next run
    lock_wait_seconds: float = Field(600, ge=0)  # a run finding another one at work waits this long, then exits 4

    @model_validator(mode="before")
    @classmethod
    def _renamed(cls, data):
        if isinstance(data, dict) and "time" in data:
            raise ValueError("schedule.time 已拆分为 schedule.cutoff (数据截止, 正式运行开始, 默认 16:30) 和 "
                             "schedule.deadline (邮件须送达的时间, 默认 17:00); 请改用这两项")
        return data

    @field_validator("reminder_time", "cutoff", "deadline")
    @classmethod
    def _hhmm(cls, v: str) -> str:
        hh, _, mm = v.partition(":")
        if not (hh.isdigit() and mm.isdigit() and 0 <= int(hh) < 24 and 0 <= int(mm) < 60 and len(mm) == 2):
            raise ValueError("时间必须是 HH:MM, 如 16:30")
        return v

    @model_validator(mode="after")
    def _in_order(self) -> "Schedule":
        if not clock(self.reminder_time) < clock(self.cutoff) <= clock(self.deadline):
            raise ValueError(f"须 reminder_time ({self.reminder_time}) < cutoff ({self.cutoff}) "
                             f"<= deadline ({self.deadline})")
        return self


class Plan(_Section):
    """发货计划 (reports/shipment_plan.py), made on the first working day of each week for 生产部 and 计划供应部."""

    horizon_days: int = Field(21, ge=0, le=366)  # contracts due within this many days (and every late one)


class Tracking(_Section):
    """货物跟踪 (reports/tracking.py): shipments after they left."""

    unsigned_days: int = Field(5, ge=1, le=60)  # working days after 发货日期 without 签收日期: call the customer
    notify_customers: bool = False  # true: the customer's 邮箱 (客户档案) gets one 发货通知 per shipment


class History(_Section):
    """The input history (input_history.py): every file a run read, kept under <workspace>/history/."""

    keep_days: int | None = Field(None, ge=1)  # None = keep everything; else runs older than this many days go


class Reminders(_Section):
    collection_days_before: int = Field(7, ge=0, le=90)  # 回款提醒: plan lines falling due within N days (and late ones)


class StatementCompany(_Section):
    """Our company as the 对账函 prints it; a blank field takes ``company``'s (name, contact, phone, address)."""

    name: str = ""
    address: str = ""
    contact: str = ""
    phone: str = ""
    email: str = ""  # where the customer returns the signed letter; blank = email.sender


class Statements(_Section):
    """往来款项对账确认函 (reports/statements.py) and 对账跟踪 (reports/statement_tracking.py)."""

    period: Literal["month", "quarter", "year"] = "month"  # the period one letter confirms
    # true: on the first run on or after the first working day after a period ends, each letter is mailed to
    # the 客户档案's 对账邮箱 (the rep copied), once ever; false: the clerk sends them by hand
    send: bool = False
    reply_days: int = Field(10, ge=1, le=90)  # working days the customer has to return it; chased after
    track_periods: int = Field(3, ge=1, le=60)  # how many past periods' letters the 对账跟踪 follows
    company: StatementCompany = StatementCompany()
    # no longer read (the 对账单 of the year to date became the 对账函 of the last closed period): accepted so
    # that a config.yaml written before keeps loading
    include: Literal["active", "all"] | None = None


class Writing(_Section):
    """How the run's workbooks reach the disk (deliver/pool.py, deliver/incremental.py)."""

    workers: int | None = Field(None, ge=0, le=64)  # writing processes, the run's own counted; None = one per core, 0 or 1 = the run's own alone
    skip_unchanged: bool = True  # a workbook whose content and file on disk are as last written is not written again


DEMO_MARKER = "DEMO.txt"  # tools/demo.py writes it (with the list of the files it wrote) into a demo workspace


class Settings(_Section):
    company: Company = Company()
    paths: Paths = Paths()
    intake: Intake = Intake()
    receivables: Receivables = Receivables()
    commission: Commission = Commission()
    expenses: Expenses = Expenses()
    reconciliation: Reconciliation = Reconciliation()
    reports: Reports = Reports()
    calendar: CalendarSettings = CalendarSettings()
    email: Email = Email()
    schedule: Schedule = Schedule()
    plan: Plan = Plan()
    tracking: Tracking = Tracking()
    history: History = History()
    tax: Tax = Tax()
    development: Development = Development()
    reminders: Reminders = Reminders()
    statements: Statements = Statements()
    writing: Writing = Writing()
    service: Service = Service()
    review: Review = Review()
    tenders: Tenders = Tenders()
    base_dir: Path = Path(".")  # the folder of config.yaml; set by load_settings

    # resolved folders -------------------------------------------------------
    @property
    def workspace(self) -> Path:
        ws = self.paths.workspace
        return ws if ws.is_absolute() else self.base_dir / ws

    def folder(self, name: str) -> Path:
        """A workspace folder by its key in ``paths`` (reps, master, attendance, finance, output, outbox)."""
        p = getattr(self.paths, name)
        return p if p.is_absolute() else self.workspace / p

    @property
    def is_demo(self) -> bool:
        """The workspace holds the demo's invented data (its ``DEMO.txt``): every run of it is a demo run,
        marked 演示数据 in every workbook title and message, and mailed only to the demo's own addresses."""
        return (self.workspace / DEMO_MARKER).is_file()

    @property
    def logs_dir(self) -> Path:
        p = self.paths.logs
        return p if p.is_absolute() else self.base_dir / p

    def with_workspace(self, workspace: Path) -> "Settings":
        return self.model_copy(update={"paths": self.paths.model_copy(update={"workspace": Path(workspace).resolve()})})


_FORBIDDEN_KEYS = ("password", "passwd", "pwd", "密码")


def _reject_passwords(data: object, path: str = "") -> None:
    if isinstance(data, dict):
        for k, v in data.items():
            key = f"{path}.{k}" if path else str(k)
            if any(word in str(k).lower() for word in _FORBIDDEN_KEYS) and not str(k).endswith("_env"):
                raise ConfigError(f"config.yaml: {key}: 密码不能写在配置文件里, 请用环境变量 (email.password_env) 或系统钥匙串")
            _reject_passwords(v, key)


def settings_from_dict(data: dict | None, base_dir: Path = Path("."), source: str = "config.yaml") -> Settings:
    data = dict(data or {})
    _reject_passwords(data)
    try:
        settings = Settings(**data)
    except ValidationError as exc:
        first = exc.errors()[0]
        key = ".".join(str(p) for p in first["loc"])
        msg = {"extra_forbidden": "未知的配置项 (unknown key)"}.get(first["type"], first["msg"])
        more = f" (另有 {len(exc.errors()) - 1} 处)" if len(exc.errors()) > 1 else ""
        raise ConfigError(f"{source}: {key}: {msg}{more}") from None
    return settings.model_copy(update={"base_dir": Path(base_dir).resolve()})


def read_config_text(path: Path) -> str:
    """config.yaml's text, as Notepad may have saved it: UTF-8 (with or without a BOM), else GBK/GB18030."""
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError:
        raise ConfigError(f"{path.name}: 文件编码无法识别, 请用记事本另存为 UTF-8") from None


class _UniqueKeyLoader(yaml.SafeLoader):
    """A SafeLoader that refuses a key written twice in one mapping (yaml takes the last one silently: a
    second ``daily:`` dropped the general manager from the 销售日报)."""

    def construct_mapping(self, node, deep=False):
        seen: dict = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise ConfigError(f"第 {key_node.start_mark.line + 1} 行: 配置项 {key} 重复 "
                                  f"(第 {seen[key]} 行已有; 重复时只有最后一个有效, 请合并成一个)")
            seen[key] = key_node.start_mark.line + 1
        return super().construct_mapping(node, deep=deep)


def check_addresses(text: str, source: str) -> None:
    """Every recipient (email.admin, email.recipients.*.to/cc) is one address; else a ConfigError naming the
    line: ``[gm@x finance@x]`` (a missing comma) is one string YAML accepts, and nobody would get the mail."""
    root = yaml.compose(text, Loader=yaml.SafeLoader)

    def child(node, key):
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                if k.value == key:
                    return v
        return None

    email = child(root, "email")
    lists = [("email.admin", child(email, "admin"))]
    recipients = child(email, "recipients")
    if isinstance(recipients, yaml.MappingNode):
        lists += [(f"email.recipients.{k.value}.{part}", child(v, part)) for k, v in recipients.value
                  for part in ("to", "cc")]
    for key, node in lists:
        items = node.value if isinstance(node, yaml.SequenceNode) else [node] if isinstance(node, yaml.ScalarNode) else []
        for item in items:
            if isinstance(item, yaml.ScalarNode) and item.value and bad_addresses([item.value]):
                raise ConfigError(f"{source}: 第 {item.start_mark.line + 1} 行: {key}: {item.value!r} 不是一个邮件地址 "
                                  f"(多个地址请用逗号分开: [a@x.com, b@x.com])")


def load_settings(path: Path) -> Settings:
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"找不到配置文件 {path}")
    try:
        text = read_config_text(path)
        try:
            data = yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 (a SafeLoader)
        except ConfigError as exc:
            raise ConfigError(f"{path.name}: {exc}") from None
        check_addresses(text, path.name)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path.name}: 不是有效的 YAML: {exc}") from None
    if data is not None and not isinstance(data, dict):
        raise ConfigError(f"{path.name}: 顶层必须是键值对")
    return settings_from_dict(data, base_dir=path.parent, source=path.name)
