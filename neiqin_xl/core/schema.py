"""The input sheets, defined once: the reader, the validator, the template generator and the docs all use
these definitions.

A ``Field`` names a template column, its kind (how a cell is parsed), whether it is required, the
header aliases reps and finance systems use for it, and (for choices) the allowed values.
Aliases added in config.yaml (``intake.column_aliases`` / ``intake.sheet_aliases``) extend these.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

# Every consolidated row carries its source: the workbook's file name, the sheet's name in that file, the
# Excel row number (1-based), and the rep (the file stem unless the row has its own 业务员 column).
SRC_WORKBOOK = "来源工作簿"
SRC_SHEET = "来源工作表"
SRC_ROW = "来源行"
REP = "业务员"
SOURCE_COLUMNS = (SRC_WORKBOOK, SRC_SHEET, SRC_ROW)

# The fields (defined in the sheets below) that three or more modules name, besides 业务员 (REP): a module writes
# CUSTOMER, never "客户名称" (tests/test_structure.py checks). Two-character headers (日期, 金额, 状态, 说明, ...)
# stay words: each names a different column in different sheets and reports.
CUSTOMER = "客户名称"  # 合同, 回款, 日报, 反馈, 报价, 客户 and the finance exports
CUSTOMER_CODE = "客户编码"  # 客户
ACCOUNT_REP = "负责业务员"  # 客户, 投标: the rep who looks after the customer or the tender
CONTACT = "联系人"  # 日报, 客户
CREDIT_LIMIT = "信用额度"  # 客户
CREDIT_DAYS = "账期天数"  # 合同, 客户
CONTRACT_NO = "合同编号"  # 合同, 发货, 开票, 回款, 回款计划, 反馈, 投标
SIGNING_DATE = "签订日期"  # 合同
CONTRACT_AMOUNT = "合同金额"  # 合同
PAYMENT_TERM = "付款方式"  # 合同 (one of PAYMENT_TERMS), 报价
AGREED_DELIVERY_DATE = "约定交货日期"  # 合同
PRODUCT = "产品名称"  # 合同, 发货, 报价, 产品
PRODUCT_CATEGORY = "产品类别"  # 产品
MIN_PRICE = "最低价"  # 产品
SHIPMENT_NO = "发货单号"  # 发货
SHIPMENT_DATE = "发货日期"  # 发货
SHIPMENT_AMOUNT = "发货金额"  # 发货
TRACKING_NO = "物流单号"  # 发货
DELIVERED_DATE = "签收日期"  # 发货
EXPECTED_ARRIVAL_DATE = "预计到货日期"  # 发货
INVOICE_NO = "发票号码"  # 开票, 财务开票
INVOICE_DATE = "开票日期"  # 开票, 财务开票
INVOICE_AMOUNT = "开票金额"  # 开票
COLLECTION_DATE = "回款日期"  # 回款
COLLECTION_AMOUNT = "回款金额"  # 回款
COLLECTION_METHOD = "回款方式"  # 回款
BANK_REF = "银行流水号"  # 回款, 财务收款
BILL_NO = "票据号"  # 回款, 财务收款: an acceptance bill's number
BILL_DUE_DATE = "票据到期日"  # 回款
PLANNED_AMOUNT = "计划金额"  # 回款计划
ACTIVITY_TYPE = "活动类型"  # 日报 (one of ACTIVITY_TYPES)
NEXT_STEP = "下一步"  # 日报
HANDLER = "处理人"  # 反馈
SATISFACTION = "满意度"  # 反馈
QUOTE_NO = "报价单号"  # 报价, 合同
QUOTE_DATE = "报价日期"  # 报价
VALID_UNTIL = "有效期至"  # 报价
SALES_TARGET = "销售目标"  # 目标
COLLECTION_TARGET = "回款目标"  # 目标
CLOSING_BALANCE = "期末余额"  # 应收余额
TENDER_ISSUER = "招标单位"  # 投标
BID_DEADLINE = "投标截止日期"  # 投标
BID_OPENING_DATE = "开标日期"  # 投标
BID_BOND = "保证金"  # 投标
BOND_PAID_DATE = "保证金缴纳日期"  # 投标
BOND_RETURNED_DATE = "保证金退回日期"  # 投标
AWARD_AMOUNT = "中标金额"  # 投标
# The column names other modules take from here (tools and tests read this list).
NAMED_COLUMNS = (*SOURCE_COLUMNS, REP, CUSTOMER, CUSTOMER_CODE, ACCOUNT_REP, CONTACT, CREDIT_LIMIT, CREDIT_DAYS,
                 CONTRACT_NO, SIGNING_DATE, CONTRACT_AMOUNT, PAYMENT_TERM, AGREED_DELIVERY_DATE, PRODUCT,
                 PRODUCT_CATEGORY, MIN_PRICE, SHIPMENT_NO, SHIPMENT_DATE, SHIPMENT_AMOUNT, TRACKING_NO, DELIVERED_DATE,
                 EXPECTED_ARRIVAL_DATE, INVOICE_NO, INVOICE_DATE, INVOICE_AMOUNT, COLLECTION_DATE, COLLECTION_AMOUNT,
                 COLLECTION_METHOD, BANK_REF, BILL_NO, BILL_DUE_DATE, PLANNED_AMOUNT, ACTIVITY_TYPE, NEXT_STEP, HANDLER,
                 SATISFACTION, QUOTE_NO, QUOTE_DATE, VALID_UNTIL, SALES_TARGET, COLLECTION_TARGET, CLOSING_BALANCE,
                 TENDER_ISSUER, BID_DEADLINE, BID_OPENING_DATE, BID_BOND, BOND_PAID_DATE, BOND_RETURNED_DATE,
                 AWARD_AMOUNT)

# Field kinds: how a cell is parsed and which dtype the consolidated column has.
TEXT = "text"  # free text, trimmed                     -> str
ID = "id"  # document numbers, phones: never a number  -> str ("00123" stays "00123")
NAME = "name"  # customer / product / person names       -> str, normalised (全角/半角, （）)
DATE = "date"  # serials, datetimes, text dates           -> datetime64, NaT when empty
MONEY = "money"  # ¥1,234.50 / 1.2万 / 全角 digits          -> int64 fen
INT = "int"  # counts, days                              -> Int64 (nullable)
NUMBER = "number"  # quantities, prices                      -> float
CHOICE = "choice"  # one of ``choices``                        -> str
PERCENT = "percent"  # 30% / 0.3 / 30 (a number above 1 is per cent) -> float fraction (0.3)


@dataclass(frozen=True)
class Field:
    name: str
    kind: str = TEXT
    required: bool = False
    aliases: tuple[str, ...] = ()
    choices: tuple[str, ...] = ()
    note: str = ""  # the input message shown in the template
    between: tuple[int, int] | None = None  # an INT field's allowed range (满意度 1–5): template and validation


@dataclass(frozen=True)
class SheetDef:
    name: str  # canonical sheet name, also the key in Tables
    fields: tuple[Field, ...]
    aliases: tuple[str, ...] = ()  # other sheet names that mean this sheet
    key: str | None = None  # document number field, unique within the sheet
    description: str = ""

    @property
    def columns(self) -> list[str]:
        return [f.name for f in self.fields]

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)

    def empty_frame(self) -> pd.DataFrame:
        """An empty consolidated table with this sheet's columns and dtypes, plus the source columns."""
        data = {f.name: pd.Series(dtype=DTYPES[f.kind]) for f in self.fields}
        data.update({c: pd.Series(dtype=DTYPES[TEXT]) for c in SOURCE_COLUMNS})
        data[SRC_ROW] = pd.Series(dtype="int64")
        if REP not in data:
            data[REP] = pd.Series(dtype=DTYPES[TEXT])
        return pd.DataFrame(data)


DTYPES = {TEXT: "str", ID: "str", NAME: "str", CHOICE: "str", DATE: "datetime64[us]", MONEY: "int64",
          INT: "Int64", NUMBER: "float64", PERCENT: "float64"}

PAYMENT_TERMS = ("款到发货", "货到付款", "月结", "分期", "预付+尾款", "质保金")
# 回款计划 节点: the contract event a plan line falls due after (books/collection_plans.py says which date each one is)
PLAN_NODES = ("预付", "发货", "到货", "验收", "开票", "质保", "其他")
ACCEPTANCE_BILL = "承兑"  # a 回款方式 containing it (承兑汇票, 银行承兑, 商业承兑汇票) is a bill collection
ACTIVITY_TYPES = ("拜访", "电话", "会议", "其他")
EXPENSE_CATEGORIES = ("交通", "住宿", "餐补", "招待", "其他")
PENDING_SHIPMENT = "待发货"

_CUSTOMER_ALIASES = ("客户", "客户名称", "单位名称", "客户全称", "购货单位", "往来单位", "对方单位")
# 单位 alone is also an ERP export's unit of measure: the customer only when no other customer header is
# there and its values are not unit codes (``read.reader.locate_header``).
AMBIGUOUS_CUSTOMER = "单位"
_CONTRACT_NO_ALIASES = ("合同号", "合同编号", "合同号码", "合同No", "合同NO", "订单号", "订单编号", "销售订单号")
# Headers of the rep's own column (a sheet kept for several reps) besides 业务员 itself.
REP_HEADERS = (REP, "销售员", "经办人", "负责人", "销售代表")
_REMARK = ("备注", "说明")

# ---------------------------------------------------------------- the rep workbook

CONTRACTS = SheetDef("合同", (
    Field("合同编号", ID, True, _CONTRACT_NO_ALIASES),
    Field("签订日期", DATE, True, ("签约日期", "签订时间", "合同日期", "合同签订日期", "签约时间", "订单日期", "下单日期")),
    Field("客户名称", NAME, True, _CUSTOMER_ALIASES + ("甲方", "需方", "买方", "采购方")),
    Field("产品名称", NAME, False, ("产品", "品名", "货物名称")),
    Field("数量", NUMBER, False, ("数量(台)", "订货数量")),
    Field("合同金额", MONEY, True, ("合同金额(元)", "合同金额（元）", "合同总额", "金额", "金额(元)", "金额（元）", "含税金额",
                                "合同额", "合同价款", "合同总价", "总金额", "价税合计", "含税总价", "订单金额")),
    Field("付款方式", CHOICE, False, ("结算方式", "付款条件"), PAYMENT_TERMS),
    Field("账期天数", INT, False, ("账期", "账期(天)", "账期（天）", "信用期")),
    Field("约定交货日期", DATE, False, ("交货日期", "交期", "合同交期", "交货期", "交货时间")),
    Field("备注", TEXT, False, _REMARK),
    Field("报价单号", ID, False, ("报价编号",), note="可不填; 合同由哪张报价单而来 (报价 表的报价单号): 合同评审比对报价, 报价转化按它统计"),
), aliases=("合同台账", "合同登记", "合同明细", "合同表", "订单", "销售订单", "订单台账", "销售合同", "合同管理", "合同清单",
            "合同汇总"), key="合同编号", description="每份签订的销售合同一行")

SHIPMENTS = SheetDef("发货", (
    Field("发货单号", ID, False, ("发货单编号", "出库单号", "送货单号", "出货单号")),
    Field("发货日期", DATE, True, ("发货时间", "出库日期", "送货日期", "出货日期", "发运日期"),
          note="待发货的申请可不填发货日期，状态填 待发货"),
    Field("合同编号", ID, True, _CONTRACT_NO_ALIASES),
    Field("产品名称", NAME, False, ("产品", "品名", "货物名称")),
    Field("数量", NUMBER, False, ("发货数量", "出货数量", "出库数量")),
    Field("发货金额", MONEY, True, ("发货金额(元)", "发货金额（元）", "金额", "金额(元)", "金额（元）", "出货金额", "含税金额",
                                "出库金额", "送货金额")),
    Field("物流单号", ID, False, ("运单号", "快递单号")),
    Field("签收日期", DATE, False, ("签收时间", "到货日期")),
    Field("状态", TEXT, False, ("发货状态",)),
    Field("备注", TEXT, False, _REMARK),
    Field("物流公司", TEXT, False, ("承运商", "快递公司")),
    Field("预计到货日期", DATE, False, ("预计到货", "预计到达日期", "预到日期"),
          note="可不填；填了则过了这一天仍未签收即列入货物跟踪"),
    Field("验收日期", DATE, False, ("验收时间", "验收合格日期"), note="客户验收合格的日期; 回款计划的 验收、质保 节点从此日起算"),
    Field("要求发货日期", DATE, False, ("申请发货日期", "要货日期"),
          note="待发货的申请: 客户要货或业务员要求发货的日期, 可不填 (不填则发货审核列合同的约定交货日期)"),
), aliases=("发货台账", "发货记录", "发货明细", "出库", "出货", "出货明细", "出库明细", "送货单", "发货单", "销售出库"), key="发货单号", description="每次发货一行；待发货的申请不填发货日期")

INVOICES = SheetDef("开票", (
    Field("发票号码", ID, True, ("发票号", "发票编号", "票号")),
    Field("开票日期", DATE, True, ("开票时间", "发票日期")),
    Field("合同编号", ID, True, _CONTRACT_NO_ALIASES),
    Field("开票金额", MONEY, True, ("开票金额(元)", "开票金额（元）", "发票金额", "价税合计", "金额", "金额(元)", "金额（元）",
                                "含税金额")),
    Field("备注", TEXT, False, _REMARK),
), aliases=("开票台账", "开票记录", "发票", "发票台账", "开票明细", "发票明细"), key="发票号码", description="每张增值税发票一行")

COLLECTIONS = SheetDef("回款", (
    Field("回款日期", DATE, True, ("收款日期", "到账日期", "回款时间", "到款日期", "入账日期")),
    Field("客户名称", NAME, True, _CUSTOMER_ALIASES + ("付款单位", "汇款单位", "付款方", "对方户名")),
    Field("合同编号", ID, False, _CONTRACT_NO_ALIASES),
    Field("回款金额", MONEY, True, ("回款金额(元)", "回款金额（元）", "收款金额", "到账金额", "金额", "金额(元)", "金额（元）",
                                "到款金额", "实收金额", "本次回款", "回款额")),
    Field("回款方式", TEXT, False, ("收款方式", "付款方式", "结算方式")),
    Field("银行流水号", ID, False, ("流水号", "银行流水", "交易流水号", "回单号")),
    Field("备注", TEXT, False, _REMARK),
    Field("票据到期日", DATE, False, ("汇票到期日", "到期日期"), note="回款方式为承兑汇票时填写汇票到期日"),
    Field("票据号", ID, False, ("汇票号", "票据号码", "汇票号码"), note="承兑汇票的票据号码; 财务对账按它匹配"),
    Field("核销单号", ID, False, ("核销单据号", "核销单据", "冲销单号"),
          note="可不填; 这笔钱付哪一张发货单就填它的发货单号 (按开票口径记应收时填发票号码), 先核销这一张, 余款再按合同、按金额、先到先核"),
), aliases=("回款台账", "回款记录", "收款", "收款记录", "回款明细", "收款明细", "到账明细", "到款明细"), key="银行流水号", description="每笔到账一行；合同编号可空")

ACTIVITIES = SheetDef("日报", (
    Field("日期", DATE, True, ("拜访日期", "工作日期")),
    Field("客户名称", NAME, False, _CUSTOMER_ALIASES),
    Field("活动类型", CHOICE, False, ("类型", "工作类型"), ACTIVITY_TYPES),
    Field("联系人", TEXT, False, ("对接人",)),
    Field("城市", TEXT, False, ("地点", "所在城市")),
    Field("内容", TEXT, False, ("工作内容", "拜访内容")),
    Field("下一步", TEXT, False, ("下一步计划", "计划")),
), aliases=("工作日报", "日报表", "拜访记录"), description="每天的拜访、电话、会议")

EXPENSES = SheetDef("费用", (
    Field("日期", DATE, True, ("费用日期", "发生日期", "报销日期")),
    Field("费用类别", CHOICE, True, ("类别", "费用类型", "报销类别"), EXPENSE_CATEGORIES),
    Field("城市", TEXT, False, ("地点", "出差地点")),
    Field("金额", MONEY, True, ("报销金额", "金额(元)", "金额（元）", "费用金额")),
    Field("票据张数", INT, False, ("张数", "票据数")),
    Field("事由", TEXT, False, ("说明", "备注")),
), aliases=("费用报销", "报销", "差旅费", "费用明细"), description="差旅与费用报销，每笔一行")

PLANS = SheetDef("回款计划", (
    Field("合同编号", ID, True, _CONTRACT_NO_ALIASES),
    Field("期次", INT, False, ("期数", "第几期"), note="1, 2, 3 …; 回款按期次顺序冲抵"),
    Field("节点", CHOICE, False, ("回款节点", "付款节点", "收款条件"), PLAN_NODES,
          note="该期在哪个合同事件之后到期; 其他 须填计划日期"),
    Field("比例", PERCENT, False, ("回款比例", "付款比例", "百分比"), note="如 30%; 与计划金额二选一"),
    Field("计划金额", MONEY, False, ("计划回款金额", "应收金额", "本期金额"), note="与比例二选一; 各期合计须等于合同金额"),
    Field("计划日期", DATE, False, ("计划回款日期", "约定回款日期"), note="填了就按此日期到期, 不看节点"),
    Field("节点后天数", INT, False, ("天数", "账期天数", "节点后(天)"), note="节点事件后多少天内付款, 空为 0"),
    Field("备注", TEXT, False, _REMARK),
), aliases=("收款计划", "付款计划", "回款节点"), description="分期合同的回款计划, 每期一行")

FEEDBACK_TYPES = ("咨询", "投诉", "建议", "回访", "满意度调查")
FEEDBACK_STATES = ("待处理", "处理中", "已解决", "已回复客户")

FEEDBACK = SheetDef("反馈", (
    Field("日期", DATE, True, ("反馈日期", "登记日期", "受理日期")),
    Field("客户名称", NAME, True, _CUSTOMER_ALIASES),
    Field("类型", CHOICE, True, ("反馈类型", "类别"), FEEDBACK_TYPES),
    Field("合同编号", ID, False, _CONTRACT_NO_ALIASES),
    Field("产品", NAME, False, ("产品名称", "品名")),
    Field("内容", TEXT, False, ("反馈内容", "问题描述", "意见")),
    Field("处理人", TEXT, False, ("责任人", "跟进人")),  # not 经办人: a rep column header (REP_HEADERS)
    Field("状态", CHOICE, False, ("处理状态", "进度"), FEEDBACK_STATES, note="空白按 待处理"),
    Field("完成日期", DATE, False, ("解决日期", "回复日期", "关闭日期")),
    Field("满意度", INT, False, ("满意度评分", "评分"), note="1 (很不满意) 到 5 (很满意)", between=(1, 5)),
    Field("备注", TEXT, False, _REMARK),
), aliases=("客户反馈", "客户服务", "投诉", "投诉记录", "回访记录", "反馈记录"),
    description="客户的咨询、投诉、建议, 回访和满意度调查, 每件一行")

# 报价: one row per quotation line; the lines of one quotation share its 报价单号 (so no sheet key: a number
# repeats). Distinctive headers (报价单号, 有效期至) so the sheet is found by them.
QUOTES = SheetDef("报价", (
    Field("报价单号", ID, True, ("报价编号", "报价单编号"), note="同一张报价单的各行填同一个报价单号, 如 BJ2026-001"),
    Field("报价日期", DATE, True, ("报价时间",)),
    Field("客户名称", NAME, True, _CUSTOMER_ALIASES + ("询价单位",)),
    Field("产品名称", NAME, True, ("产品", "品名", "货物名称")),
    Field("规格", TEXT, False, ("规格型号", "型号")),
    Field("数量", NUMBER, True, ("报价数量",)),
    Field("单价", MONEY, True, ("含税单价", "报价单价"), note="含税单价(元), 折扣前"),
    Field("折扣", PERCENT, False, ("折扣率",), note="成交价占单价的比例, 如 95% 即九五折; 空为不打折"),
    Field("税率", PERCENT, False, ("增值税率",), note="空则按产品类别的税率 (config.yaml tax); 如 13%"),
    Field("有效期至", DATE, False, ("报价有效期", "有效期"), note="过了这一天仍未签合同, 报价登记表标 已过期"),
    Field("付款方式", TEXT, False, ("付款条件", "结算方式"), note="如 款到发货 / 月结30天 / 30%预付+70%验收后"),
    Field("交货期", TEXT, False, ("交货周期", "交期"), note="如 合同签订后15个工作日"),
    Field("备注", TEXT, False, _REMARK,
          note="低于产品目录最低价的行须经理批准: 在备注写 经理批准 / 已审批 / 经理同意 (expenses.approval_marks)"),
), aliases=("报价单", "报价记录", "报价台账", "报价明细"), description="报价单, 每个产品一行; 同一报价单的各行报价单号相同")

REP_SHEETS = (CONTRACTS, SHIPMENTS, INVOICES, COLLECTIONS, ACTIVITIES, EXPENSES, PLANS, FEEDBACK, QUOTES)

# ---------------------------------------------------------------- master data

CUSTOMER_TYPES = ("直销客户", "经销商")
CONFIRMED, DISPUTED = "相符", "不符"  # 对账回执's 结果

CUSTOMERS = SheetDef("客户", (
    Field("客户编码", ID, False, ("编码", "客户代码")),
    Field("客户名称", NAME, True, _CUSTOMER_ALIASES),
    Field("别名", TEXT, False, ("简称", "曾用名"), note="多个别名用 ； 或 ; 或 、 分隔"),
    Field("信用额度", MONEY, False, ("授信额度", "信用额度(元)")),
    Field("账期天数", INT, False, ("账期", "信用期")),
    Field("负责业务员", NAME, False, ("业务员", "负责人")),
    Field("联系人", TEXT, False, ()),
    Field("电话", ID, False, ("联系电话", "手机")),
    Field("地址", TEXT, False, ()),
    Field("邮箱", TEXT, False, ("电子邮箱", "email", "Email"), note="可不填；发货通知 (tracking.notify_customers) 发到这里"),
    Field("对账邮箱", TEXT, False, ("财务邮箱", "对账联系邮箱"),
          note="可不填；对账函 (statements.send) 发到这里, 一般是客户财务部的邮箱; 不填则由内勤手工寄送"),
    Field("客户类型", CHOICE, False, ("客户类别",), choices=CUSTOMER_TYPES, note="可不填；经销商与直销客户收到同样的对账函"),
), aliases=("客户档案", "客户信息"), key="客户名称", description="客户档案")

PRODUCTS = SheetDef("产品", (
    Field("产品名称", NAME, True, ("产品", "品名")),
    Field("产品类别", TEXT, False, ("类别", "分类")),
    Field("单价", NUMBER, False, ("价格",)),
    Field("规格", TEXT, False, ("规格型号", "型号")),
    Field("指导价", MONEY, False, ("建议售价", "指导售价"), note="可不填; 含税指导价(元), 与 最低折扣 一起定最低价"),
    Field("最低价", MONEY, False, ("最低售价", "底价"), note="可不填; 含税(元); 报价或合同低于它须经理批准"),
    Field("最低折扣", PERCENT, False, ("折扣下限",), note="可不填; 如 85%: 最低价 = 指导价 × 85% (填了最低价则以最低价为准)"),
), aliases=("产品目录",), key="产品名称", description="产品目录")

STAFF = SheetDef("人员", (
    Field("姓名", NAME, True, ("业务员", "员工姓名")),
    Field("部门", TEXT, False, ()),
    Field("角色", TEXT, False, ("岗位", "职务")),
    Field("邮箱", TEXT, False, ("email", "Email", "电子邮箱")),
    Field("底薪", MONEY, False, ("基本工资",)),
    Field("绩效基数", MONEY, False, ("绩效工资基数",)),
    Field("电话", ID, False, ("手机", "联系电话"), note="可不填; 印在业务员的报价单上"),
), aliases=("员工", "人员名单"), key="姓名", description="人员")

TARGETS = SheetDef("目标", (
    Field("月份", TEXT, True, ("年月",), note="YYYY-MM"),
    Field("姓名", NAME, True, ("业务员",)),
    Field("销售目标", MONEY, False, ("合同目标", "销售任务")),
    Field("回款目标", MONEY, False, ("回款任务",)),
), aliases=("月度目标", "任务"), description="每人每月的销售与回款目标")

ATTENDANCE = SheetDef("考勤", (
    Field("姓名", NAME, True, ("员工姓名", "业务员")),
    Field("月份", TEXT, False, ("年月",), note="YYYY-MM；空时取文件名中的月份"),
    Field("应出勤天数", NUMBER, True, ("应出勤", "应到天数")),
    Field("实际出勤天数", NUMBER, True, ("实际出勤", "实到天数", "出勤天数")),
    Field("迟到次数", INT, False, ("迟到",)),
    Field("事假天数", NUMBER, False, ("事假",)),
    Field("病假天数", NUMBER, False, ("病假",)),
    Field("旷工天数", NUMBER, False, ("旷工",)),
), aliases=("考勤汇总", "月度考勤", "Sheet1"), description="考勤系统导出的月度汇总")

# ---------------------------------------------------------------- finance exports (Kingdee / Yonyou style)

FIN_COLLECTIONS = SheetDef("财务收款", (
    Field("日期", DATE, True, ("收款日期", "凭证日期", "业务日期", "到账日期")),
    Field("客户名称", NAME, True, _CUSTOMER_ALIASES),
    Field("金额", MONEY, True, ("贷方金额", "收款金额", "贷方", "本币金额", "金额(元)", "金额（元）")),
    Field("凭证号", ID, False, ("凭证字号", "凭证编号")),
    Field("银行流水号", ID, False, ("流水号", "交易流水号", "回单号")),
    Field("摘要", TEXT, False, ("说明", "备注")),
    Field("票据号", ID, False, ("票据号码", "汇票号", "汇票号码")),
), aliases=("收款", "收款明细", "Sheet1"), description="财务收款导出")

FIN_INVOICES = SheetDef("财务开票", (
    Field("发票号码", ID, True, ("发票号", "发票编号", "票号")),
    Field("开票日期", DATE, True, ("日期", "发票日期")),
    Field("客户名称", NAME, True, _CUSTOMER_ALIASES + ("购方名称", "购买方名称")),
    Field("金额", MONEY, True, ("价税合计", "开票金额", "含税金额", "金额(元)", "金额（元）")),
), aliases=("开票", "发票", "开票明细", "Sheet1"), description="财务开票导出")

FIN_BALANCES = SheetDef("应收余额", (
    Field("客户名称", NAME, True, _CUSTOMER_ALIASES),
    Field("期末余额", MONEY, True, ("余额", "期末余额(元)", "应收余额", "期末借方")),
), aliases=("余额表", "应收账款余额", "Sheet1"), description="财务应收余额导出")

TENDER_STATES = ("跟踪", "已投标", "中标", "未中标", "放弃")

# 投标台账 (master/投标台账.xlsx, kept by the clerk): one row per tender the company follows or bids for.
TENDERS = SheetDef("投标", (
    Field("项目名称", TEXT, True, ("招标项目", "项目"), note="招标公告上的项目名称"),
    Field("招标单位", NAME, False, ("招标人", "采购人", "业主")),
    Field("获取标书日期", DATE, False, ("购买标书日期", "领取标书日期")),
    Field("投标截止日期", DATE, False, ("截标日期", "递交截止日期"), note="截止前 tenders.remind_days 个工作日起列入日报今日要点"),
    Field("开标日期", DATE, False, ("开标时间",)),
    Field("保证金", MONEY, False, ("投标保证金", "保证金金额"), note="金额(元); 空为无需保证金"),
    Field("保证金缴纳日期", DATE, False, ("保证金缴纳时间", "保证金支付日期")),
    Field("保证金退回日期", DATE, False, ("保证金退还日期", "保证金收回日期"),
          note="退回到账后填写; 开标后 tenders.bond_days 个工作日仍未退回即列入催收"),
    Field("负责业务员", NAME, False, ("业务员", "负责人")),
    Field("状态", CHOICE, False, ("投标状态", "进度"), TENDER_STATES, note="空白按 跟踪"),
    Field("中标金额", MONEY, False, ("中标价", "成交金额")),
    Field("合同编号", ID, False, _CONTRACT_NO_ALIASES, note="中标后签订的合同编号; 中标后 tenders.contract_days 天仍空即列出"),
    Field("备注", TEXT, False, _REMARK),
), aliases=("投标台账", "投标记录", "招投标"), description="投标台账: 每个跟踪或投标的项目一行")

# The clerk's record of the signed 对账函 that came back (master/对账回执.xlsx); reports/statement_tracking.py
RECEIPTS = SheetDef("回执", (
    Field("对账编号", ID, True, ("编号", "对账函编号"), note="对账函右上角的编号, 如 DZ-202611-KH001"),
    Field("回执日期", DATE, False, ("收到日期", "回函日期")),
    Field("结果", CHOICE, True, ("核对结果", "回函结果"), choices=(CONFIRMED, DISPUTED), note="相符 或 不符"),
    Field("客户确认余额", MONEY, False, ("确认余额", "客户余额"), note="客户在回执上写的余额(元); 相符时可不填"),
    Field("不符金额", MONEY, False, ("差异金额", "差额"), note="我司期末余额 − 客户确认余额; 不填则按这两个数算"),
    Field("说明", TEXT, False, ("不符原因", "备注")),
    Field("附件", TEXT, False, ("扫描件", "回执文件"), note="回执扫描件的文件名或位置"),
), aliases=("对账回执", "回函"), key="对账编号", description="对账回执")

MASTER_SHEETS = (CUSTOMERS, PRODUCTS, STAFF, TARGETS)
FINANCE_SHEETS = (FIN_COLLECTIONS, FIN_INVOICES, FIN_BALANCES)

SHEETS: dict[str, SheetDef] = {s.name: s for s in REP_SHEETS + MASTER_SHEETS + (ATTENDANCE, TENDERS, RECEIPTS)
                               + FINANCE_SHEETS}

# Which workbook holds which sheets (file names relative to the workspace folders).
MASTER_WORKBOOKS = {"客户档案.xlsx": ("客户",), "产品目录.xlsx": ("产品",), "人员.xlsx": ("人员", "目标")}
# Read when present, no warning when not: the clerk's own 反馈 entries (客户服务跟踪), the 对账回执 (对账跟踪), the
# 投标台账.
OPTIONAL_MASTER_WORKBOOKS = {"客户服务.xlsx": ("反馈",), "对账回执.xlsx": ("回执",), "投标台账.xlsx": ("投标",)}
FINANCE_PREFIXES = {"财务收款": "财务收款", "财务开票": "财务开票", "应收余额": "应收余额"}  # 财务收款_2026-11.xlsx
ATTENDANCE_PREFIX = "考勤"  # 考勤_2026-11.xlsx
