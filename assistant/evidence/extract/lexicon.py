"""What documents print: their labels per field, the words that tell a document's kind, and
the OCR confusions put right."""

from __future__ import annotations

import re

from assistant.evidence.model import DocumentType


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


# --- Lexicon ---------------------------------------------------------------------------------
# Labels per document type: field (or working) key → printed labels. The key "" marks labels
# read for no field: they are there so that the value before them stops where they start.
# Where one label contains another, the longer wins (so 对方户名 is not 户名); where a field has
# several labels, the earlier ones are preferred.

LICENCE_LABELS: dict[str, tuple[str, ...]] = {
    "credit_code": _words("统一社会信用代码 社会信用代码 信用代码"),
    "name": _words("名称 企业名称 字号名称 单位名称"),
    # 经营者 (individual business), 负责人 (branch), 投资人 (sole proprietorship), 执行事务合伙人.
    "legal_representative": _words("法定代表人 法人代表 经营者 负责人 投资人 执行事务合伙人"),
    "address": _words("住所 经营场所 营业场所 主要经营场所 经营地址"),
    "registered_capital": _words("注册资本 注册资金 出资额 出资总额 资金数额"),
    "established_on": _words("成立日期 注册日期 成立时间"),
    "": _words(
        "类型 主体类型 组成形式 营业期限 经营期限 合伙期限 经营范围 业务范围 登记机关 发照日期"
        " 核准日期 注册号 营业执照"
    ),
}

STATEMENT_LABELS: dict[str, tuple[str, ...]] = {
    "account_name": _words("户名 账户名称 账户名 账户户名 客户名称 客户姓名 单位名称 姓名"),
    "period": _words(
        "起止日期 起止时间 查询期间 查询时段 查询区间 交易期间 交易时段 对账期间 账单周期"
        " 账单期间 日期范围 查询日期 查询时间 期间"
    ),
    "period_start": _words("起始日期 开始日期"),
    "period_end": _words("截止日期 结束日期 终止日期"),
    "credits_total": _words(
        "本期收入合计 本期收入总额 收入金额合计 收入总金额 收入合计 收入总额 收入总计 收入金额"
        " 总收入 本期收入 贷方发生额合计 贷方发生总额 贷方金额合计 贷方合计 贷方总额 贷方发生额"
        " 本期贷方 存入合计 转入合计"
    ),
    "debits_total": _words(
        "本期支出合计 本期支出总额 支出金额合计 支出总金额 支出合计 支出总额 支出总计 支出金额"
        " 总支出 本期支出 借方发生额合计 借方发生总额 借方金额合计 借方合计 借方总额 借方发生额"
        " 本期借方 支取合计 转出合计"
    ),
    "opening_balance": _words("期初余额 上期余额 承前余额"),
    "closing_balance": _words("期末余额 本期余额"),
    "": _words(
        "对方户名 对方账户名称 对方账号 对方账户 账号 卡号 币种 开户行 开户网点 开户机构"
        " 收入笔数 支出笔数 贷方笔数 借方笔数 收入总笔数 支出总笔数 总笔数 笔数"
        " 打印日期 打印时间 打印机构"
    ),
}

INVOICE_LABELS: dict[str, tuple[str, ...]] = {
    "buyer_name": _words("购买方名称 购方名称 买方名称"),
    "seller_name": _words("销售方名称 销方名称 卖方名称"),
    "name": _words("名称"),
    "issued_on": _words("开票日期"),
    "amount_total": _words("价税合计"),
    "amount_words": _words("大写"),
    "amount_figures": _words("小写"),
    "": _words(
        "统一社会信用代码/纳税人识别号 纳税人识别号 统一社会信用代码 地址、电话 地址电话"
        " 开户行及账号 发票号码 发票代码 校验码 机器编号 密码区 备注 开票人 收款人 复核"
        " 项目名称 货物或应税劳务、服务名称 货物或应税劳务名称 商品名称 货物名称 服务名称 规格型号"
        # The block titles, where OCR reads them on the row of a name.
        " 购买方信息 销售方信息 购买方 销售方"
    ),
}

UTILITY_LABELS: dict[str, tuple[str, ...]] = {
    "account_name": _words(
        "户名 用户名称 用户名 用户姓名 客户名称 客户姓名 机主姓名 机主 户主 单位名称"
    ),
    "period": _words(
        "计费周期 计费期间 计费月份 计费日期 抄表期间 抄表周期 账期 账单周期 账单期间"
        " 账单月份 费用月份 结算周期 费用所属期 所属期 使用期间"
    ),
    # What is due now comes before any breakdown of it.
    "amount": _words(
        "应缴金额 本期应缴金额 本期应缴 本月应缴 合计应缴 应交金额 应缴费用 应付金额 本期应付"
        " 应交电费 应缴电费 应交水费 应缴水费 应交燃气费 应缴燃气费 合计金额 费用合计 费用总计"
        " 本期电费 本期水费 本期燃气费 本期气费 本月话费 本期话费 本期费用 本期消费合计"
        " 本期消费 消费合计 应收金额 总金额"
    ),
    "consumption": _words(
        "本期用电量 用电量 计费电量 抄见电量 本期电量 电量 本期用水量 实用水量 用水量 水量"
        " 本期用气量 用气量 气量 通话时长 本月通话 国内通话 本期用量 使用量 用量"
    ),
    "": _words(
        "户号 用户编号 用户号 客户编号 账号 用电地址 用水地址 用气地址 地址 上期示数 本期示数"
        " 上期读数 本期读数 起码 止码 单价 电价 水价 气价 倍率 上期余额 上期结余 本期余额"
        " 账户余额 预存金额 预存 滞纳金 违约金 缴费截止日期 缴费期限 抄表日期 打印日期"
        " 手机号码 号码 套餐"
    ),
}

# Common tax categories (商品和服务税收分类简称) that e-invoices print between asterisks before
# an item's name: an item read without its asterisks is split at one of these.
GOODS_CATEGORIES = _words(
    "金属制品 五金制品 五金产品 塑料制品 橡胶制品 玻璃制品 陶瓷制品 纸制品 纸浆 印刷品 木制品"
    " 家具 机械设备 通用设备 专用设备 电子元件 电子元器件 电子产品 计算机 计算机配套产品"
    " 通信设备 电线电缆 照明装置 电气机械及器材 仪器仪表 日用杂品 日用化学产品 化学原料"
    " 化学制品 涂料 纺织产品 纺织品 服装 鞋帽 皮革制品 谷物 蔬菜 水果 肉类 水产品 乳制品"
    " 酒 饮料 茶叶 调味品 焙烤食品 方便食品 食用植物油 建筑材料 水泥 石材 钢材"
    " 黑色金属冶炼压延品 有色金属冶炼压延品 非金属矿物制品 汽车零部件 机动车 成品油 燃料油"
    " 医疗器械 药品 中药饮片 办公用品 文具 体育用品 玩具 工艺品 图书 软件 电力 水冰雪"
    " 天然气 劳保用品 种子 肥料 农药 饲料 建筑服务 运输服务 物流辅助服务 邮政服务 电信服务"
    " 餐饮服务 住宿服务 信息技术服务 研发和技术服务 现代服务 生活服务 经纪代理服务"
    " 租赁服务 不动产租赁服务 经营租赁 商务辅助服务 鉴证咨询服务 文化创意服务 广告服务"
    " 居民日常服务 金融服务 保险服务 劳务"
)

# Characters the OCR takes for others of nearly the same shape, put right where the corrected
# word is the only one a document of the type prints (no statement says 货方).
OCR_MISREADINGS: dict[DocumentType, tuple[tuple[str, str], ...]] = {
    DocumentType.STATEMENT: (("货方", "贷方"), ("文易", "交易"), ("俈方", "借方")),
}

LABELS: dict[DocumentType, dict[str, tuple[str, ...]]] = {
    DocumentType.LICENCE: LICENCE_LABELS,
    DocumentType.STATEMENT: STATEMENT_LABELS,
    DocumentType.INVOICE: INVOICE_LABELS,
    DocumentType.UTILITY_BILL: UTILITY_LABELS,
    DocumentType.SIGNBOARD: {},
}

# Statement table headers: column kind → header words.
COLUMN_WORDS: dict[str, tuple[str, ...]] = {
    "date": _words("交易日期 记账日期 入账日期 交易时间 日期 时间"),
    "in": _words("收入金额 收入 贷方金额 贷方发生额 贷方 存入金额 存入 转入金额 转入"),
    "out": _words("支出金额 支出 借方金额 借方发生额 借方 支取金额 支取 转出金额 转出"),
    "amount": _words("交易金额 发生额 金额"),
    "balance": _words("账户余额 余额"),
    "flag": _words("借贷标志 借贷方向 借贷 收支"),
    "other": _words(
        "摘要 交易摘要 用途 附言 对方户名 对方账号 对方账户 交易对方 渠道 交易渠道 备注 序号 凭证号"
    ),
}
# A table row that starts with one of these holds the column totals.
TOTAL_ROW = re.compile(r"[\s\t]*(?:本期合计|本页合计|合计|总计)")

# Words that tell the kind of a document, with how strongly. Each counts once per page.
CLASS_KEYWORDS: dict[DocumentType, dict[str, float]] = {
    DocumentType.LICENCE: {
        "营业执照": 4,
        "法定代表人": 2,
        "注册资本": 2,
        "经营范围": 2,
        "营业期限": 1.5,
        "登记机关": 1.5,
        "组成形式": 1.5,
        "统一社会信用代码": 1,
        "成立日期": 1,
        "经营者": 1,
        "住所": 1,
        "经营场所": 1,
    },
    DocumentType.STATEMENT: {
        "对账单": 4,
        "流水": 3,
        "交易明细": 3,
        "发生额": 1.5,
        "交易日期": 1.5,
        "记账日期": 1.5,
        "对方户名": 1.5,
        "对方账号": 1.5,
        "余额": 1,
        "借方": 1,
        "贷方": 1,
        "摘要": 1,
        "收入合计": 1,
        "支出合计": 1,
        "账号": 0.5,
        "户名": 0.5,
        "币种": 0.5,
    },
    DocumentType.INVOICE: {
        "发票": 3,
        "价税合计": 3,
        "购买方": 2,
        "销售方": 2,
        "开票日期": 2,
        "纳税人识别号": 1,
        "开票人": 1,
        "税率": 1,
        "税额": 1,
        "规格型号": 1,
    },
    DocumentType.UTILITY_BILL: {
        "电费": 2,
        "水费": 2,
        "燃气": 2,
        "话费": 2,
        "用电量": 2,
        "用水量": 2,
        "用气量": 2,
        "千瓦时": 2,
        "kwh": 2,
        "计费周期": 2,
        "抄表": 2,
        "自来水": 2,
        "户号": 1.5,
        "示数": 1.5,
        "应缴": 1.5,
        "供电": 1.5,
        "天然气": 1.5,
        "缴费": 1,
        "通话": 1,
        "账期": 1,
        "移动": 0.5,
        "联通": 0.5,
        "电信": 0.5,
    },
}
# A page needs this much keyword weight to be called a document.
CLASS_THRESHOLD = 3.0

UTILITY_KEYWORDS: dict[str, tuple[str, ...]] = {
    "electricity": _words("电费 用电 电量 千瓦时 kwh 供电 电力 电能 电网"),
    "water": _words("水费 用水 水量 自来水 供水 污水 水务"),
    "gas": _words("燃气 用气 气量 天然气 煤气 气费"),
    "phone": _words("话费 通信 通话 移动 联通 电信 流量 短信 套餐 手机"),
}
# Unit words as printed → the unit FIELDS names; longest first, so that 分钟 is not 分.
UNIT_WORDS: tuple[tuple[str, str], ...] = (
    ("千瓦时", "kWh"),
    ("kwh", "kWh"),
    ("度", "kWh"),
    ("立方米", "m3"),
    ("m3", "m3"),
    ("方", "m3"),
    ("吨", "t"),
    ("分钟", "min"),
    ("min", "min"),
    ("分", "min"),
)
# The unit a quantity has when the bill does not print one: for these it never varies.
DEFAULT_UNITS = {"electricity": "kWh", "gas": "m3", "phone": "min"}

# Lines on a signboard that are not its name.
SLOGAN_WORDS = _words(
    "欢迎光临 欢迎惠顾 诚信经营 品质保证 质量保证 热线 电话 手机 微信 地址 营业时间 优惠 实惠"
    " 特价 促销 打折 免费 送货上门 上门服务 安全出口 禁止 请勿 厂家直销 一站式 量大从优 承接"
    " 开业 批发零售"
)
# Endings of a business's name: a line with one is a whole name.
NAME_ENDINGS = _words(
    "店 行 部 厂 馆 坊 铺 社 所 院 城 场 站 庄 中心 公司 超市 门市 商店 市场 餐厅 酒楼 饭店"
    " 药房 诊所 工作室"
)

# OCR confusions in a credit code: a character that cannot stand where it is (I, O, S, V, Z
# are not in the alphabet; the region code, characters 3–8, is all digits) is read as one of
# these. Valid characters are never swapped on a guess: one swap in ten positions would make
# a wrong code pass its check one time in three.
CODE_FORCED = {"O": "0D", "Q": "0", "I": "1L", "Z": "2", "S": "5", "V": "UY"}
CODE_AS_DIGIT = {"O": "0", "D": "0", "Q": "0", "U": "0", "I": "1", "L": "1", "Z": "2", "S": "5"}
CODE_AS_DIGIT |= {"B": "8", "G": "6", "T": "7", "A": "4"}

# Confidence factors for failed checks.
BAD_CHECK = 0.3  # a credit code whose check character is wrong
FIXED_CHECK = 0.9  # a credit code made valid by undoing an OCR confusion
DISAGREEING = 0.5  # two printed forms of one figure that differ
UNITLESS = 0.6  # a capital printed without 元 or 万元
MISREAD_LABEL = 0.9  # a value found by a label read with one character wrong
