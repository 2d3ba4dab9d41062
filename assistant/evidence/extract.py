"""Typed fields from the OCR lines of one photographed document.

:func:`classify` tells which kind of document a photo shows, and :func:`extract` reads the
fields that :data:`~assistant.evidence.model.FIELDS` names for it. Each field carries the OCR
score of the text it came from as its confidence, lowered when a check fails (a credit code's
check character, an amount in words that disagrees with the figures). A field that cannot be
read is left out rather than guessed: the officer fills a blank in, but may wave a wrong value
through.

Documents are read by their printed labels, not by fixed positions, because the same document
comes in many layouts: a licence prints its labels in two columns, so one OCR row holds two
label/value pairs; the OCR may cut a label from its value or run them together, drop the colon,
or read a label spaced out for justification ("名　　称") as it is. So a page is first cut into
rows (with its tilt taken out), each row is cut at every label of the document's lexicon, and a
label owns the text up to the next label; a label with nothing readable after it owns the text
just below it, as in a table header.
"""

from __future__ import annotations

import math
import re
import statistics
import unicodedata
from calendar import monthrange
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import cached_property
from itertools import accumulate, pairwise, product
from typing import Any

from assistant.evidence.creditcode import CREDIT_CODE_ALPHABET, is_valid_credit_code
from assistant.evidence.model import FIELDS, DocumentType, Extraction, Field, OcrLine, OcrResult


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

# --- Numbers, money and dates ------------------------------------------------------------

CN_DIGITS: dict[str, int] = {
    **dict.fromkeys("零〇○", 0),
    **dict.fromkeys("一壹", 1),
    **dict.fromkeys("二贰貳两", 2),
    **dict.fromkeys("三叁參", 3),
    **dict.fromkeys("四肆", 4),
    **dict.fromkeys("五伍", 5),
    **dict.fromkeys("六陆陸", 6),
    **dict.fromkeys("七柒", 7),
    **dict.fromkeys("八捌", 8),
    **dict.fromkeys("九玖", 9),
}
CN_UNITS = {**dict.fromkeys("十拾", 10), **dict.fromkeys("百佰", 100)} | dict.fromkeys("千仟", 1000)
CN_BIG_UNITS = {**dict.fromkeys("万萬", 10**4), **dict.fromkeys("亿億", 10**8)}
_NUMERALS = "".join([*CN_DIGITS, *CN_UNITS, *CN_BIG_UNITS])
_DIGIT_CLASS = "".join(CN_DIGITS)

_CAPITAL_AMOUNT = re.compile(
    rf"(?P<yuan>[{_NUMERALS}]+)?(?:[元圆]零?)?"
    rf"(?:(?P<jiao>[{_DIGIT_CLASS}])角)?(?:零?(?P<fen>[{_DIGIT_CLASS}])分)?"
)
_CAPITAL_RUN = re.compile(rf"[{_NUMERALS}元圆角分整正]+")
_ARABIC_AMOUNT = re.compile(r"(?P<sign>[-+−])?\s*[¥$]?\s*(?P<number>\d[\d,.]*)\s*(?P<scale>万|亿)?")
_FOREIGN_CURRENCY = re.compile(r"美元|港元|港币|欧元|日元|英镑|USD|HKD|EUR", re.IGNORECASE)
_WELL_FORMED = re.compile(r"\d+(?:\.\d+)?|\d{1,3}(?:[.,]\d{3})+(?:[.,]\d{1,2}|\.\d+)?")
_MONEY_WORD = re.compile(r"[元圆万亿¥$]|人民币|rmb|cny", re.IGNORECASE)
# A figure followed by one of these counts things, not money (收入笔数 12笔).
_COUNT_WORD = re.compile(r"\s*[笔个次条项户人件张]")
_DATE = re.compile(
    r"(?<!\d)((?:19|20)\d{2})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})(?!\d)\s*日?"
)
_COMPACT_DATE = re.compile(r"(?<!\d)((?:19|20)\d{2})(\d{2})(\d{2})(?!\d)")
_MONTH = re.compile(r"(?<!\d)((?:19|20)\d{2})\s*(?:[-/.年]\s*(\d{1,2})|(\d{2}))(?![\d.])\s*月?")
_RANGE_SEPARATOR = re.compile(r"\s*(?:至|到|~|-|—|–|\s)?\s*")
_MONTH_DAY = re.compile(r"(\d{1,2})\s*[-/.月]\s*(\d{1,2})(?![\d.])\s*日?")


def normalize(text: str) -> str:
    """Full-width digits, letters, colons, brackets and spaces as ASCII ones (NFKC)."""
    return unicodedata.normalize("NFKC", text)


def parse_chinese_integer(text: str) -> int | None:
    """An integer in Chinese numerals, formal (壹佰零伍万) or plain (一百零五万); else None."""
    if not text:
        return None
    total = 0  # whole 亿 read so far
    wan = 0  # whole 万 below the current 亿
    section = 0  # below 万
    digit: int | None = None
    for ch in text:
        if ch in CN_DIGITS:
            # Two digits in a row are positional (二〇二六), which no amount is written in;
            # only 零 may stand before another digit.
            if digit:
                return None
            digit = CN_DIGITS[ch]
        elif ch in CN_UNITS:
            # 拾万 is 十万: a unit with no digit before it counts one of itself.
            section += (1 if digit is None else digit) * CN_UNITS[ch]
            digit = None
        elif ch in CN_BIG_UNITS:
            section += digit or 0
            digit = None
            if CN_BIG_UNITS[ch] == 10**8:
                total += (wan + section) * 10**8
                wan = 0
            else:
                wan += section * 10**4
            section = 0
        else:
            return None
    return total + wan + section + (digit or 0)


def parse_capital_amount(text: str) -> Decimal | None:
    """An amount written in Chinese numerals: 伍拾万元整, 壹佰万元, 人民币伍万元,
    壹万贰仟叁佰元肆角伍分. None when ``text`` is not wholly such an amount."""
    text = re.sub(r"\s+", "", normalize(text))
    text = re.sub(r"^\(?人民币\)?|[整正]$", "", text)
    match = _CAPITAL_AMOUNT.fullmatch(text)
    if not match or not any(match[g] for g in ("yuan", "jiao", "fen")):
        return None
    yuan = parse_chinese_integer(match["yuan"]) if match["yuan"] else 0
    if yuan is None:
        return None
    jiao = CN_DIGITS[match["jiao"]] if match["jiao"] else 0
    fen = CN_DIGITS[match["fen"]] if match["fen"] else 0
    return Decimal(yuan) + Decimal(jiao) / 10 + Decimal(fen) / 100


def parse_number(digits: str) -> Decimal | None:
    """'1,234.56' as a Decimal, and also OCR's misreadings of it: '1.234.56', '1,234,56'.

    None for figures whose groups are not of three digits ('2,44446'): a separator was lost or
    added, and which digits belong where cannot be told.
    """
    digits = digits.strip(",.")
    if not _WELL_FORMED.fullmatch(digits):
        return None
    parts = re.split(r"[.,]", digits)
    if len(parts) > 1 and len(parts[-1]) <= 2 and all(len(p) == 3 for p in parts[1:-1]):
        # The last separator before one or two digits is the decimal point, whatever OCR made
        # of it; the others group thousands.
        number = "".join(parts[:-1]) + "." + parts[-1]
    elif "." in digits:
        head, _dot, tail = digits.rpartition(".")
        number = re.sub(r"[.,]", "", head) + "." + tail.replace(",", "")
    else:
        number = digits.replace(",", "")
    try:
        return Decimal(number)
    except InvalidOperation:
        return None


@dataclass(frozen=True)
class Money:
    value: Decimal  # yuan
    start: int  # where in the text it stands
    end: int
    has_unit: bool  # printed with 元, 万, ¥, 人民币, or in Chinese numerals


def find_money(text: str) -> list[Money]:
    """Every amount of money in ``text``, left to right.

    Reads "¥12,345.60", "-5,000.00", "50万元", "50.00万元", "人民币50万元", "伍拾万元整" and
    full-width digits. Chinese numerals count only as a run of two or more or before 元, so that
    the 一 of a name is not one yuan; a figure before 笔, 个… counts things and is skipped.
    """
    text = normalize(text)
    found: list[Money] = []
    for match in _ARABIC_AMOUNT.finditer(text):
        value = parse_number(match["number"])
        if value is None or (not match["scale"] and _COUNT_WORD.match(text, match.end())):
            continue
        if match["scale"]:
            value *= CN_BIG_UNITS[match["scale"]]
        if match["sign"] in ("-", "−"):
            value = -value
        around = text[max(match.start() - 4, 0) : match.end() + 2]
        found.append(Money(value, match.start(), match.end(), bool(_MONEY_WORD.search(around))))
    for match in _CAPITAL_RUN.finditer(text):
        run = match.group()
        if not any(ch in CN_DIGITS or ch in CN_UNITS for ch in run):
            continue
        if len(run.strip("元圆角分整正")) < 2 and not re.search("[元圆角分]", run):
            continue
        value = parse_capital_amount(run)
        if value is not None:
            found.append(Money(value, match.start(), match.end(), True))
    return sorted(found, key=lambda m: m.start)


def parse_money(text: str) -> Decimal | None:
    """The first amount of money in ``text`` (see :func:`find_money`), or None."""
    found = find_money(text)
    return found[0].value if found else None


def _date(year: str, month: str, day: str) -> date | None:
    try:
        return date(int(year), int(month), int(day))
    except ValueError:
        return None


def find_dates(text: str, *, compact: bool = True) -> list[tuple[date, int, int]]:
    """Every date in ``text`` and where it stands: 2026-08-01, 2026/8/1, 2026.08.01,
    2026年08月01日 and, with ``compact``, 20260801."""
    text = normalize(text)
    found = [
        (day, m.start(), m.end())
        for m in _DATE.finditer(text)
        if (day := _date(m[1], m[2], m[3])) is not None
    ]
    if compact:
        taken = [(s, e) for _d, s, e in found]
        found += [
            (day, m.start(), m.end())
            for m in _COMPACT_DATE.finditer(text)
            if (day := _date(m[1], m[2], m[3])) is not None
            and not any(s <= m.start() < e for s, e in taken)
        ]
    return sorted(found, key=lambda item: item[1])


def parse_date(text: str) -> date | None:
    found = find_dates(text)
    return found[0][0] if found else None


def parse_period(text: str) -> tuple[date, date] | None:
    """A period: two dates ("2026-08-01至2026-10-31", "2026年08月01日-2026年10月31日"), or one
    month ("2026年09月", "2026-09", "202609"), which means the whole month."""
    text = normalize(text)
    dates = find_dates(text)
    for (first, _s, end), (second, start, _e) in pairwise(dates):
        if _RANGE_SEPARATOR.fullmatch(text, end, start) and first <= second:
            return first, second
    for first, _s, end in dates:
        # The end given without its year: 2026年09月01日-09月30日.
        separator = _RANGE_SEPARATOR.match(text, end)
        marked = separator is not None and separator.group().strip()
        same_year = _MONTH_DAY.match(text, separator.end()) if marked else None
        second = same_year and _date(str(first.year), same_year[1], same_year[2])
        if second and first <= second:
            return first, second
    if dates:
        return None
    month = _MONTH.search(text)
    if month:
        year, number = int(month[1]), int(month[2] or month[3])
        if 1 <= number <= 12:
            return date(year, number, 1), date(year, number, monthrange(year, number)[1])
    return None


# --- Geometry ----------------------------------------------------------------------------


def _char_weight(ch: str) -> float:
    if ch.isspace():
        return 0.4
    return 1.0 if unicodedata.east_asian_width(ch) in ("W", "F") else 0.55


@dataclass(frozen=True, eq=False)
class _Piece:
    """One OCR line in the page's upright coordinates, with its text normalised."""

    text: str
    source: str
    score: float
    left: float
    right: float
    top: float
    bottom: float

    @property
    def height(self) -> float:
        return max(self.bottom - self.top, 1.0)

    @property
    def middle(self) -> float:
        return (self.top + self.bottom) / 2

    def x_at(self, index: float) -> float:
        """Where character ``index`` begins; a fraction goes that far into it.

        The OCR gives one box per line, so a position inside it is estimated from the widths of
        the characters before it: a CJK character is about twice as wide as a digit.
        """
        reach = self._reach
        whole = min(int(index), len(reach) - 1)
        done = reach[whole]
        if whole < len(reach) - 1:
            done += (index - whole) * (reach[whole + 1] - reach[whole])
        return self.left + (self.right - self.left) * done / (reach[-1] or 1.0)

    @cached_property
    def _reach(self) -> list[float]:
        """How far along the line each character begins, in widths of a CJK character."""
        return list(accumulate((_char_weight(ch) for ch in self.text), initial=0.0))


def _tilt(lines: list[OcrLine]) -> float:
    """The page's tilt: the angle that lines its text up into the fewest rows.

    The top edges of the OCR's boxes alone do not tell it: the engine gives some lines boxes
    square to the photo, whatever the slant of their text.
    """
    edges = [
        math.atan2(line.box[1][1] - line.box[0][1], line.box[1][0] - line.box[0][0])
        for line in lines
        if line.box[1][0] - line.box[0][0] > 3 * max(line.height, 1.0)
    ]
    edge = statistics.median(edges) if edges else 0.0
    if len(lines) < 3:
        return edge
    tolerance = 0.5 * statistics.median(min(line.height, 60.0) for line in lines)
    centres = [
        (sum(x for x, _y in line.box) / 4, sum(y for _x, y in line.box) / 4) for line in lines
    ]

    def rows(angle: float) -> int:
        cos, sin = math.cos(angle), math.sin(angle)
        middles = sorted(y * cos - x * sin for x, y in centres)
        count, anchor = 1, middles[0]
        for middle in middles[1:]:
            if middle - anchor > tolerance:
                count, anchor = count + 1, middle
        return count

    candidates = [edge + math.radians(step / 5) for step in range(-40, 41)]
    return min(candidates, key=lambda angle: (rows(angle), abs(angle - edge)))


def _upright(line: OcrLine, angle: float, text: str) -> _Piece:
    """``line`` in the coordinates of the page turned square."""
    (x0, y0), (x1, y1), _corner, (x3, y3) = line.box
    width, height = math.hypot(x1 - x0, y1 - y0), math.hypot(x3 - x0, y3 - y0)
    own = math.atan2(y1 - y0, x1 - x0)
    if abs(angle) > 0.01 and abs(own - angle) > abs(angle) / 2:
        # A box square to the photo round slanted text: the text's own size, from its box.
        sin, cos = abs(math.sin(angle)), math.cos(angle)
        scale = cos * cos - sin * sin
        width, height = (
            max((width * cos - height * sin) / scale, 0.5 * width),
            max((height * cos - width * sin) / scale, 0.3 * height),
        )
    cx, cy = sum(x for x, _y in line.box) / 4, sum(y for _x, y in line.box) / 4
    cos, sin = math.cos(angle), math.sin(angle)
    x, y = cx * cos + cy * sin, cy * cos - cx * sin
    return _Piece(
        text, line.text, line.score, x - width / 2, x + width / 2, y - height / 2, y + height / 2
    )


def _pieces(result: OcrResult, misreadings: Iterable[tuple[str, str]] = ()) -> list[_Piece]:
    # A page photographed a few degrees off would otherwise have the right-hand column of a
    # licence a whole row above or below its left-hand one.
    lines = [line for line in result.lines if normalize(line.text).strip()]
    angle = _tilt(lines)
    pieces = []
    for line in lines:
        text = normalize(line.text).strip()
        for wrong, right in misreadings:
            text = text.replace(wrong, right)
        pieces.append(_upright(line, angle, text))
    return pieces


def _group_rows(pieces: list[_Piece]) -> list[list[_Piece]]:
    """Rows of pieces, each read left to right and the rows top to bottom.

    A piece joins the row whose last piece, to its left, it overlaps most in height: chained
    piece to piece, a row follows a line that bends in a photo taken in perspective.
    """
    rows: list[list[_Piece]] = []
    for piece in sorted(pieces, key=lambda p: p.left):
        best, most = None, 0.0
        for row in rows:
            last = row[-1]
            shorter = min(last.height, piece.height)
            if last.right - 0.5 * shorter > piece.left:
                continue
            overlap = (min(last.bottom, piece.bottom) - max(last.top, piece.top)) / shorter
            if overlap >= 0.5 and overlap > most:
                best, most = row, overlap
        if best is None:
            rows.append([piece])
        else:
            best.append(piece)
    return sorted(rows, key=lambda row: statistics.median(p.middle for p in row))


# --- Labels and their values -------------------------------------------------------------

_SEPARATOR = "\t"  # between the pieces of a row's text; OCR text never holds one
_COLON = r"[ \t]*[:;,.'、]?"
_STRIP = " \t:;,.'、|_-—()[]<>《》「」【】·⊗⊙Ⓧ"


# Labels this long are still found with one character misread (支出总题 for 支出总额), when
# no other label is as near; shorter ones would be found inside ordinary words.
FUZZY_LABEL = 4


@dataclass(frozen=True)
class _Lexicon:
    pattern: re.Pattern[str]
    fuzzy: re.Pattern[str]
    keys: dict[str, str]  # printed label → key
    rank: dict[str, int]  # printed label → its place among its key's labels

    @classmethod
    def of(cls, labels: dict[str, tuple[str, ...]]) -> _Lexicon:
        keys = {label: key for key, words in labels.items() for label in words}
        rank = {label: place for words in labels.values() for place, label in enumerate(words)}
        # Spaced-out labels ("名　　称", "住 所") and a colon that OCR may drop or misread.
        spelled = [
            r"[ \t]*".join(re.escape(ch) for ch in label)
            for label in sorted(keys, key=len, reverse=True)
        ]
        near = [
            re.escape(label[:index]) + r"[^\s\t:]" + re.escape(label[index + 1 :])
            for label in sorted(keys, key=len, reverse=True)
            if len(label) >= FUZZY_LABEL
            for index in range(len(label))
        ]
        return cls(
            re.compile(f"(?:{'|'.join(spelled)}){_COLON}" if spelled else r"(?!)"),
            re.compile(f"(?:{'|'.join(near)}){_COLON}" if near else r"(?!)"),
            keys,
            rank,
        )

    def label(self, matched: str) -> str | None:
        """The label ``matched`` is, or is one misread character away from; None when that
        could be labels of different fields."""
        text = re.sub(r"[ \t]", "", matched).rstrip(":;,.'、")
        if text in self.keys:
            return text
        near = [
            label
            for label in self.keys
            if len(label) == len(text)
            and sum(a != b for a, b in zip(label, text, strict=True)) == 1
        ]
        return near[0] if len({self.keys[label] for label in near}) == 1 else None


_LEXICONS = {doc_type: _Lexicon.of(labels) for doc_type, labels in LABELS.items()}
_COLUMNS = _Lexicon.of(COLUMN_WORDS)


@dataclass(frozen=True)
class _Hit:
    key: str
    label: str
    row: int
    start: int  # in the row's text
    end: int  # past the label and its colon
    left: float
    right: float
    exact: bool = True  # not one character misread


@dataclass(frozen=True)
class _Value:
    text: str
    pieces: tuple[_Piece, ...]  # those it (and its label) was read from
    left: float  # where its text begins
    hit: _Hit | None = None

    @property
    def score(self) -> float:
        return min(p.score for p in self.pieces)

    @property
    def source(self) -> str:
        return " ".join(dict.fromkeys(p.source for p in self.pieces))

    @property
    def bottom(self) -> float:
        return max(p.bottom for p in self.pieces)


class _Page:
    """A page cut into rows, and each row cut at the labels of one lexicon."""

    # The widest gaps, in line heights, between a label and its value and within a value: a
    # wider one is the gutter between two columns.
    LABEL_GAP = 30.0
    VALUE_GAP = 2.5

    def __init__(
        self,
        result: OcrResult,
        lexicon: _Lexicon,
        misreadings: Iterable[tuple[str, str]] = (),
    ) -> None:
        self.rows = _group_rows(_pieces(result, misreadings))
        self.lexicon = lexicon
        self.texts: list[str] = []
        # Per character of a row's text: (piece, index in the piece's text).
        self.owners: list[list[tuple[int, int]]] = []
        for row in self.rows:
            self.texts.append(_SEPARATOR.join(p.text for p in row))
            owners: list[tuple[int, int]] = []
            for number, piece in enumerate(row):
                owners.extend((number, index) for index in range(len(piece.text)))
                owners.append((number, len(piece.text)))  # the separator after it
            self.owners.append(owners)
        self.hits = [list(self.find(lexicon, number)) for number in range(len(self.rows))]
        heights = [p.height for row in self.rows for p in row]
        self.line_height = statistics.median(heights) if heights else 1.0

    def find(self, lexicon: _Lexicon, row: int) -> Iterator[_Hit]:
        """The labels in ``row``: as printed, and then, in the text left over, misread ones."""
        text = self.texts[row]
        exact = list(lexicon.pattern.finditer(text))
        rest = list(text)
        for match in exact:
            rest[match.start() : match.end()] = _SEPARATOR * (match.end() - match.start())
        misread = [
            match
            for match in lexicon.fuzzy.finditer("".join(rest))
            if lexicon.label(match.group()) is not None
        ]
        for match in sorted(exact + misread, key=lambda m: m.start()):
            label = lexicon.label(match.group())
            assert label is not None
            yield _Hit(
                lexicon.keys[label],
                label,
                row,
                match.start(),
                match.end(),
                self.x(row, match.start()),
                self.x(row, match.end() - 1, 1.0),
                exact=match in exact,
            )

    def x(self, row: int, position: int, within: float = 0.0) -> float:
        piece, index = self.owners[row][position]
        return self.rows[row][piece].x_at(index + within)

    def piece_at(self, row: int, position: int) -> _Piece:
        return self.rows[row][self.owners[row][position][0]]

    @property
    def score(self) -> float:
        scores = [p.score for row in self.rows for p in row]
        return statistics.mean(scores) if scores else 0.0

    def chunks(self, row: int, start: int, end: int) -> Iterator[tuple[_Piece, str, float, float]]:
        """The text of ``row`` from ``start`` to ``end``, piece by piece, trimmed, with where
        each part begins and ends."""
        position = start
        while position < end:
            number, index = self.owners[row][position]
            piece = self.rows[row][number]
            stop = min(end, position + len(piece.text) - index)
            part = piece.text[index : index + stop - position]
            if part.strip(_STRIP):
                lead = len(part) - len(part.lstrip(_STRIP))
                trail = len(part.rstrip(_STRIP))
                yield (
                    piece,
                    part[lead:trail],
                    piece.x_at(index + lead),
                    piece.x_at(index + trail),
                )
            position = stop + 1  # past the separator

    def value_beside(self, hit: _Hit) -> _Value | None:
        """What follows ``hit`` in its row up to the next label, short of a column's gutter."""
        later = [h.start for h in self.hits[hit.row] if h.start >= hit.end]
        end = min(later, default=len(self.texts[hit.row]))
        parts: list[str] = []
        pieces = [self.piece_at(hit.row, hit.start)]
        left, reach = 0.0, hit.right
        for piece, text, begins, ends in self.chunks(hit.row, hit.end, end):
            if begins - reach > (self.VALUE_GAP if parts else self.LABEL_GAP) * piece.height:
                break
            if not parts:
                left = begins
            parts.append(text)
            if piece is not pieces[-1]:
                pieces.append(piece)
            reach = ends
        return _Value(_join(parts), tuple(pieces), left, hit) if parts else None

    def rows_below(self, row: int, bottom: float, reach: float) -> Iterator[int]:
        """The rows after ``row`` that begin within ``reach`` below ``bottom``."""
        for number in range(row + 1, len(self.rows)):
            top = min(p.top for p in self.rows[number])
            if top - bottom > reach:
                break
            yield number

    def value_below(self, hit: _Hit) -> _Value | None:
        """The text under ``hit`` in the nearest row below, as under a table header."""
        label = self.piece_at(hit.row, hit.start)
        # The column is bounded by the neighbouring labels (half way to each); without one, a
        # piece under the label is taken whole, however far it runs on.
        before = [h.right for h in self.hits[hit.row] if h.right <= hit.left]
        after = [h.left for h in self.hits[hit.row] if h.left >= hit.right]
        low = (max(before) + hit.left) / 2 if before else -math.inf
        high = (hit.right + min(after)) / 2 if after else math.inf
        margin = 2 * label.height
        near_low, near_high = max(low, hit.left - margin), min(high, hit.right + margin)
        for row in self.rows_below(hit.row, label.bottom, 1.5 * label.height):
            under = {
                number
                for number, piece in enumerate(self.rows[row])
                if near_low <= (piece.left + piece.right) / 2 <= near_high
                and piece.top - label.bottom <= 1.5 * label.height
            }
            inside = [
                position
                for position, ch in enumerate(self.texts[row])
                if ch != _SEPARATOR
                and self.owners[row][position][0] in under
                and low <= self.x(row, position, 0.5) <= high
            ]
            if not inside:
                continue
            start, end = inside[0], inside[-1] + 1
            if any(h.start < end and h.end > start for h in self.hits[row]):
                return None
            chunks = list(self.chunks(row, start, end))
            if not chunks:
                return None
            pieces = (label, *dict.fromkeys(c[0] for c in chunks))
            return _Value(_join(c[1] for c in chunks), pieces, chunks[0][2], hit)
        return None

    def continued(self, value: _Value, *, lines: int = 2) -> _Value:
        """``value`` with the lines that carry it on in its column below (a wrapped address).

        A line below that has anything in the label column beside it starts the next field,
        whether or not its label was read.
        """
        for _ in range(lines):
            last = value.pieces[-1]
            row = next((n for n, r in enumerate(self.rows) if any(p is last for p in r)), None)
            if row is None:
                break
            column = min(value.left, value.hit.left if value.hit else value.left)
            tolerance = 1.5 * last.height
            found = None
            for number in self.rows_below(row, value.bottom, 0.8 * last.height):
                pieces = self.rows[number]
                labelled = {self.owners[number][h.start][0] for h in self.hits[number]}
                follows = [
                    (index, piece)
                    for index, piece in enumerate(pieces)
                    if abs(piece.left - value.left) <= tolerance
                ]
                label_column = any(
                    piece.right > column - last.height and piece.left < value.left - tolerance
                    for piece in pieces
                )
                if follows and not label_column and follows[0][0] not in labelled:
                    found = follows[0][1]
                    break
            if found is None or not found.text.strip(_STRIP):
                break
            value = _Value(
                _join([value.text, found.text.strip(_STRIP)]),
                (*value.pieces, found),
                value.left,
                value.hit,
            )
        return value

    def hits_of(self, key: str, *, ranked: bool = False) -> list[_Hit]:
        """Where labels of ``key`` stand, in reading order or (``ranked``) by preference."""
        found = [hit for hits in self.hits for hit in hits if hit.key == key]
        if ranked:
            found.sort(key=lambda hit: self.lexicon.rank[hit.label])
        return found

    def first(
        self,
        key: str,
        parse: Callable[[str], Any],
        *,
        below: bool = True,
        ranked: bool = False,
        skip_rows: Iterable[int] = (),
    ) -> tuple[Any, _Value] | None:
        """The first value of a ``key`` label that ``parse`` makes sense of, and what it read:
        beside the label, or else below it."""
        skip = set(skip_rows)
        for hit in self.hits_of(key, ranked=ranked):
            if hit.row in skip:
                continue
            for value in (self.value_beside(hit), self.value_below(hit) if below else None):
                if value is not None:
                    parsed = parse(value.text)
                    if parsed is not None:
                        return parsed, value
        return None


def _join(parts: Iterable[str]) -> str:
    """Text parts as one value: one space between two Latin words, none anywhere else (OCR
    puts spaces between characters that the page sets apart, as in "2 104室")."""
    text = " ".join(part.strip() for part in parts)
    return re.sub(r"(?<![A-Za-z])\s+|\s+(?![A-Za-z])", "", text).strip()


def _text_value(text: str) -> str | None:
    """A name or an address as printed; None for a placeholder ("/", "***", "无")."""
    text = _join(text.split()).strip(_STRIP + "*")
    if len(text) < 2 or not re.search(r"[^\W\d_]", text) or text in ("暂无", "不详"):
        return None
    return text


def _field(name: str, value: Any, read: _Value, factor: float = 1.0) -> Field:
    if read.hit is not None and not read.hit.exact:
        factor *= MISREAD_LABEL
    return Field(name, value, round(read.score * factor, 4), read.source)


def _float(value: Decimal) -> float:
    return float(round(value, 2))


# --- Classifying -------------------------------------------------------------------------


def classify(result: OcrResult) -> tuple[DocumentType | None, float]:
    """Which document ``result`` reads, and how sure that is (0–1); None when nothing fits.

    A document is told by its printed words; a signboard has few words but a line of large
    text; a photo of a room with a calendar or a carton in it is neither.
    """
    text = re.sub(r"\s+", "", normalize(result.text)).lower()
    scores = {
        doc_type: sum(weight for word, weight in words.items() if word in text)
        for doc_type, words in CLASS_KEYWORDS.items()
    }
    ranked = sorted(scores.items(), key=lambda item: item[1], reverse=True)
    (best, top), (_second, runner_up) = ranked[0], ranked[1]
    if top >= CLASS_THRESHOLD:
        strength = 1 - math.exp(-top / 4)
        margin = (top - runner_up) / top
        return best, round(strength * (0.5 + 0.5 * margin), 3)
    sign = _signboard_confidence(result)
    if sign > 0:
        return DocumentType.SIGNBOARD, sign
    return None, 0.0


def _signboard_confidence(result: OcrResult) -> float:
    pieces = _pieces(result)
    names = _name_candidates(pieces)
    if not names or len(pieces) > 15 or not result.height:
        return 0.0
    median = statistics.median(p.height for p in pieces)
    biggest = max(names, key=lambda p: p.height)
    share = biggest.height / result.height
    if share < 0.05 or (len(pieces) > 2 and biggest.height < 1.3 * median):
        return 0.0
    confidence = 0.5 + (0.2 if share >= 0.1 else 0.0)
    if re.sub(r"\s", "", biggest.text).endswith(NAME_ENDINGS):
        confidence += 0.2
    return confidence


# --- Extracting --------------------------------------------------------------------------


def extract(
    doc_type: DocumentType, result: OcrResult, *, large_item_min: float = 50000
) -> Extraction:
    """The fields of a ``doc_type`` document that can be read from ``result``, in FIELDS order.

    ``large_item_min`` is the amount from which a statement's transaction is listed.
    """
    page = _Page(result, _LEXICONS[doc_type], OCR_MISREADINGS.get(doc_type, ()))
    if doc_type is DocumentType.LICENCE:
        found = _licence(page)
    elif doc_type is DocumentType.STATEMENT:
        found = _statement(page, Decimal(str(large_item_min)))
    elif doc_type is DocumentType.INVOICE:
        found = _invoice(page)
    elif doc_type is DocumentType.UTILITY_BILL:
        found = _utility_bill(page)
    else:
        found = _signboard(page)
    return Extraction(doc_type, {name: found[name] for name in FIELDS[doc_type] if name in found})


# Licence


def _licence(page: _Page) -> dict[str, Field]:
    fields: dict[str, Field] = {}
    code = _credit_code(page)
    if code is not None:
        fields["credit_code"] = code
    for name in ("name", "address"):
        found = page.first(name, _text_value)
        if found is not None:
            read = page.continued(found[1])
            fields[name] = _field(name, _text_value(read.text) or found[0], read)
    found = page.first("legal_representative", _text_value, ranked=True)
    if found is not None:
        fields["legal_representative"] = _field("legal_representative", *found)
    capital = page.first("registered_capital", _capital)
    if capital is not None:
        money, read = capital
        factor = 1.0 if money.has_unit else UNITLESS
        fields["registered_capital"] = _field(
            "registered_capital", _float(money.value), read, factor
        )
    day = page.first("established_on", parse_date)
    if day is not None:
        fields["established_on"] = _field("established_on", day[0].isoformat(), day[1])
    return fields


def _capital(text: str) -> Money | None:
    """A registered capital in yuan; None for one in another currency, which has no value in
    yuan without a rate."""
    if _FOREIGN_CURRENCY.search(text):
        return None
    found = [money for money in find_money(text) if money.value > 0]
    return found[0] if found else None


_CODE_RUN = re.compile(r"[0-9A-Za-z]{15,20}")


def _code_in(text: str) -> str | None:
    runs = _CODE_RUN.findall(re.sub(r"\s", "", text))
    return min(runs, key=lambda run: abs(len(run) - 18)).upper() if runs else None


def _credit_code(page: _Page) -> Field | None:
    """The code after its label, or else the likeliest 18-character run on the page."""
    found = page.first("credit_code", _code_in)
    if found is None:
        runs = [
            (code, _Value(piece.text, (piece,), piece.left))
            for row in page.rows
            for piece in row
            if (code := _code_in(piece.text)) is not None
            and len(code) == 18
            and sum(ch.isdigit() for ch in code) >= 8
        ]
        if not runs:
            return None
        found = max(runs, key=lambda run: is_valid_credit_code(fix_credit_code(run[0])))
    code, read = found
    fixed = fix_credit_code(code)
    if not is_valid_credit_code(fixed):
        return _field("credit_code", code, read, BAD_CHECK)
    return _field("credit_code", fixed, read, 1.0 if fixed == code else FIXED_CHECK)


def fix_credit_code(code: str) -> str:
    """``code`` with OCR confusions (O→0, I→1, Z→2, S→5…) undone where that makes its check
    character right; else ``code`` as it was read.

    Only characters that cannot stand where they are change, and only when exactly one way of
    changing them passes the check, so that a guess is never passed off as a reading.
    """
    code = code.upper()
    if len(code) != 18 or is_valid_credit_code(code):
        return code
    choices: dict[int, str] = {}
    for position, ch in enumerate(code):
        if 2 <= position <= 7 and not ch.isdigit():
            choices[position] = CODE_AS_DIGIT.get(ch, "")
        elif ch not in CREDIT_CODE_ALPHABET:
            choices[position] = CODE_FORCED.get(ch, "")
    if not choices or not all(choices.values()):
        return code
    valid = set()
    for letters in product(*choices.values()):
        candidate = list(code)
        for position, letter in zip(choices, letters, strict=True):
            candidate[position] = letter
        if is_valid_credit_code(joined := "".join(candidate)):
            valid.add(joined)
    return valid.pop() if len(valid) == 1 else code


# Statement


@dataclass(frozen=True)
class _Column:
    kind: str
    left: float
    right: float

    @property
    def centre(self) -> float:
        return (self.left + self.right) / 2


@dataclass(frozen=True)
class _Amount:
    value: Decimal
    left: float
    right: float


def _row_amounts(page: _Page, row: int) -> list[_Amount]:
    """Figures with two decimals or thousands groups, not dates, and where they stand."""
    text = page.texts[row]
    for _day, start, end in find_dates(text):
        text = text[:start] + " " * (end - start) + text[end:]
    amounts = []
    for match in re.finditer(r"[-+−]?¥?\d[\d,.]*\d", text):
        digits = match.group().lstrip("-+−¥")
        value = parse_number(digits)
        if value is None or not re.search(r"[.,]\d{2}$|,\d{3}", digits):
            continue
        if match.group()[0] in "-−":
            value = -value
        left, right = page.x(row, match.start()), page.x(row, match.end() - 1, 1.0)
        amounts.append(_Amount(value, left, right))
    return amounts


def _table_header(page: _Page) -> tuple[int, list[_Column]] | None:
    """The row of the transaction table's column titles, and its columns.

    A title the OCR misread stands in the list as an "unknown" column, so that the figures
    under it are not taken for those of its neighbour.
    """
    for number, text in enumerate(page.texts):
        hits = list(page.find(_COLUMNS, number))
        kinds = {hit.key for hit in hits}
        if (
            "date" not in kinds
            or not kinds & {"in", "out", "amount"}
            or len(hits) < 3
            or find_dates(text)
            or _row_amounts(page, number)
        ):
            continue
        columns = [_Column(hit.key, hit.left, hit.right) for hit in hits]
        taken = [(hit.start, hit.end) for hit in hits]
        for match in re.finditer(r"[^\s\t]+", text):
            if not any(start < match.end() and match.start() < end for start, end in taken):
                left, right = page.x(number, match.start()), page.x(number, match.end() - 1, 1.0)
                columns.append(_Column("unknown", left, right))
        return number, sorted(columns, key=lambda column: column.left)
    return None


def _column_of(amount: _Amount, columns: list[_Column]) -> _Column:
    """The column a figure stands in, whether the table sets it left, centred or right."""

    def distance(column: _Column) -> float:
        return min(
            abs(amount.left - column.left),
            abs(amount.right - column.right),
            abs((amount.left + amount.right) / 2 - column.centre),
        )

    return min(columns, key=distance)


def _direction(text: str, kind: str, value: Decimal, signed: bool) -> str | None:
    """Money in or out: by its column, or in a one-amount table by a 借/贷 mark or its sign."""
    if kind in ("in", "out"):
        return kind
    if kind != "amount":
        return None
    mark = re.search(r"(?<![\u4e00-\u9fff])([借贷收支])(?![\u4e00-\u9fff])", text)
    if mark:
        return "in" if mark[1] in "贷收" else "out"
    if value < 0:
        return "out"
    return "in" if signed else None


# Labels whose rows are a statement's own particulars, never a transaction.
_PARTICULARS = frozenset(key for key in STATEMENT_LABELS if key)


@dataclass
class _Table:
    rows: set[int]  # the header's and the transactions' (and a totals row's)
    items: list[dict[str, Any]]
    pieces: list[_Piece]  # the large items were read from
    totals: dict[str, tuple[Decimal, _Value]]  # from a 合计 row, by field


def _transactions(page: _Page, large_item_min: Decimal) -> _Table | None:
    """The transaction table: its large items, each in or out by the column it stands in."""
    header = _table_header(page)
    if header is None:
        return None
    header_row, columns = header
    table = _Table({header_row}, [], [], {})
    money_columns = [c for c in columns if c.kind in ("in", "out", "amount", "balance", "unknown")]
    rows = []
    for row in range(header_row + 1, len(page.rows)):
        text = page.texts[row]
        dates = find_dates(text)
        totals_row = bool(TOTAL_ROW.match(text))
        amounts = _row_amounts(page, row)
        if (
            amounts
            and (dates or totals_row)
            and not any(hit.key in _PARTICULARS for hit in page.hits[row])
        ):
            placed = [(amount, _column_of(amount, money_columns)) for amount in amounts]
            rows.append((row, text, dates, totals_row, placed))
    # One money column whose title was misread, beside a known 收入 or 支出 one, is the other.
    kinds = {c.kind for c in columns}
    filled = {id(column) for *_rest, placed in rows for _a, column in placed}
    unknown = [c for c in columns if c.kind == "unknown" and id(c) in filled]
    known = kinds & {"in", "out", "amount"}
    resolved = {}
    if len(unknown) == 1 and known in ({"in"}, {"out"}):
        resolved[id(unknown[0])] = "out" if known == {"in"} else "in"
    signed = any(a.value < 0 for *_rest, placed in rows for a, _c in placed)
    for row, text, dates, totals_row, placed in rows:
        table.rows.add(row)
        read = _Value(text, tuple(page.rows[row]), page.rows[row][0].left)
        for amount, column in placed:
            kind = resolved.get(id(column), column.kind)
            direction = _direction(text, kind, amount.value, signed)
            if direction is None:
                continue
            if totals_row:
                key = "credits_total" if direction == "in" else "debits_total"
                table.totals.setdefault(key, (abs(amount.value), read))
            elif abs(amount.value) >= large_item_min:
                table.items.append(
                    {
                        "date": dates[0][0].isoformat(),
                        "amount": _float(abs(amount.value)),
                        "direction": direction,
                        "text": read.source,
                    }
                )
                table.pieces.extend(page.rows[row])
    return table


def _statement(page: _Page, large_item_min: Decimal) -> dict[str, Field]:
    fields: dict[str, Field] = {}
    table = _transactions(page, large_item_min)
    table_rows = table.rows if table else set()

    name = page.first("account_name", _text_value, skip_rows=table_rows)
    if name is not None:
        fields["account_name"] = _field("account_name", *name)
    period = page.first("period", parse_period, skip_rows=table_rows)
    if period is None:
        period = _lone_period(page, table_rows)
    if period is not None:
        (start, end), read = period
        fields["period_start"] = _field("period_start", start.isoformat(), read)
        fields["period_end"] = _field("period_end", end.isoformat(), read)
    for key in ("period_start", "period_end"):
        day = None if key in fields else page.first(key, parse_date, skip_rows=table_rows)
        if day is not None:
            fields[key] = _field(key, day[0].isoformat(), day[1])

    totals = {
        key: found
        for key in ("credits_total", "debits_total", "opening_balance", "closing_balance")
        if (
            found := page.first(key, parse_money, skip_rows=table_rows)
            or (table.totals.get(key) if table else None)
        )
    }
    factor = 1.0
    if len(totals) == 4:
        # Opening + in − out = closing: when all four are printed, a miss means a misread.
        opening, credits, debits, closing = (
            totals[key][0]
            for key in ("opening_balance", "credits_total", "debits_total", "closing_balance")
        )
        if abs(opening + abs(credits) - abs(debits) - closing) > Decimal("0.01"):
            factor = DISAGREEING
    for key in ("credits_total", "debits_total"):
        if key in totals:
            fields[key] = _field(key, _float(abs(totals[key][0])), totals[key][1], factor)

    if table is not None:
        score = min((p.score for p in table.pieces), default=page.score)
        source = "\n".join(item["text"] for item in table.items)
        fields["large_items"] = Field("large_items", table.items, round(score, 4), source)
    return fields


def _lone_period(page: _Page, skip: Iterable[int]) -> tuple[tuple[date, date], _Value] | None:
    """A line that holds just a period ("2026-08-01 至 2026-10-31"), when no label names it."""
    skipped = set(skip)
    for number, row in enumerate(page.rows):
        for piece in row if number not in skipped else ():
            period = parse_period(piece.text)
            if period is not None and len(find_dates(piece.text)) == 2:
                return period, _Value(piece.text, (piece,), piece.left)
    return None


# Invoice

_BLOCK_MARKERS = {
    "buyer_name": re.compile(r"购买方|购方|买方|^购买?$"),
    "seller_name": re.compile(r"销售方|销方|卖方|^销售?$"),
}


@dataclass(frozen=True)
class _Marker:
    side: str
    left: float
    middle: float


def _invoice(page: _Page) -> dict[str, Field]:
    fields: dict[str, Field] = {}
    for side in ("buyer_name", "seller_name"):
        found = page.first(side, _text_value, below=False)
        if found is not None:
            fields[side] = _field(side, *found)
    names = [
        (hit, value, text)
        for hit in page.hits_of("name")
        if (value := page.value_beside(hit)) and (text := _text_value(value.text))
    ]
    for side, (_hit, value, text) in _name_sides(page, names).items():
        fields.setdefault(side, _field(side, text, value))
    day = page.first("issued_on", parse_date)
    if day is not None:
        fields["issued_on"] = _field("issued_on", day[0].isoformat(), day[1])
    amount = _invoice_amount(page)
    if amount is not None:
        fields["amount"] = amount
    goods = _goods(page)
    if goods is not None:
        fields["goods"] = goods
    return fields


def _markers(page: _Page) -> list[_Marker]:
    """The 购买方 / 销售方 titles of the two blocks, wherever they stand."""
    markers = []
    for number, row in enumerate(page.rows):
        named = {
            page.owners[number][hit.start][0]
            for hit in page.hits[number]
            if hit.key in _BLOCK_MARKERS
        }
        for index, piece in enumerate(row):
            if index in named:
                continue
            text = re.sub(r"\s", "", piece.text)
            for side, pattern in _BLOCK_MARKERS.items():
                if match := pattern.search(text):
                    markers.append(_Marker(side, piece.x_at(match.start()), piece.middle))
    return markers


def _name_sides(
    page: _Page, names: list[tuple[_Hit, _Value, str]]
) -> dict[str, tuple[_Hit, _Value, str]]:
    """Which 名称 is the buyer's and which the seller's.

    Each block is titled 购买方 or 销售方 at its left (the e-invoice sets the blocks side by
    side, the older form one above the other): a name belongs to the nearest title to its left,
    and of titles in one column, to the nearest one above or beside it. When the titles were not
    read, or contradict each other, the buyer's block comes first, as on both forms.
    """
    markers = _markers(page)
    slack = 2 * page.line_height
    guesses: list[str | None] = []
    for hit, value, _text in names:
        same_piece = page.texts[hit.row][: hit.start].split(_SEPARATOR)[-1]
        beside = [s for s, pattern in _BLOCK_MARKERS.items() if pattern.search(same_piece)]
        left_of = [m for m in markers if m.left <= hit.left + slack]
        if beside:
            guesses.append(beside[-1])
        elif left_of:
            column = max(m.left for m in left_of)
            near = [m for m in left_of if column - m.left <= slack]
            middle = value.pieces[0].middle
            guesses.append(min(near, key=lambda m: abs(m.middle - middle)).side)
        else:
            guesses.append(None)
    known = [guess for guess in guesses if guess]
    if len(names) >= 2 and (len(known) < 2 or len(set(known)) < len(known)):
        return {"buyer_name": names[0], "seller_name": names[-1]}
    return {guess: name for guess, name in zip(guesses, names, strict=True) if guess}


def _invoice_amount(page: _Page) -> Field | None:
    """价税合计 in figures (小写), checked against the amount in words (大写)."""
    figures = page.first("amount_figures", parse_money, below=False) or page.first(
        "amount_total", _figures, below=False
    )
    words = page.first("amount_words", _amount_in_words, below=False) or page.first(
        "amount_total", _amount_in_words, below=False
    )
    if figures is None:
        return None if words is None else _field("amount", _float(words[0]), words[1])
    factor = 1.0
    if words is not None and abs(words[0] - abs(figures[0])) > Decimal("0.005"):
        factor = DISAGREEING
    return _field("amount", _float(abs(figures[0])), figures[1], factor)


def _figures(text: str) -> Decimal | None:
    """An amount in figures, not in words."""
    found = [m for m in find_money(text) if re.search(r"\d", text[m.start : m.end])]
    return found[0].value if found else None


def _amount_in_words(text: str) -> Decimal | None:
    run = _CAPITAL_RUN.search(normalize(text))
    return parse_capital_amount(run.group()) if run else None


_GOODS = re.compile(r"\*?[^*\s\t]{1,20}\*[^\s\t*]+")
# What OCR makes of the asterisks round an item's tax category.
_ASTERISK = re.compile(r"(?<=[\u4e00-\u9fff])[·•∙※×xX+](?=[\u4e00-\u9fff])")


def _goods(page: _Page) -> Field | None:
    """The item lines ("*五金制品*水暖配件"): the first column of the item table, or else any
    text in the item form."""
    header = _goods_header(page)
    items: list[tuple[str, list[_Piece]]] = []
    if header is not None:
        row, column_end = header
        for number in range(row + 1, min(row + 9, len(page.rows))):
            text = page.texts[number]
            if re.match(r"[\s\t]*(?:合\s*计|价税合计)", text):
                break
            inside = [
                p
                for p, ch in enumerate(text)
                if ch != _SEPARATOR and page.x(number, p, 0.5) < column_end
            ]
            if not inside or not re.search(r"[\u4e00-\u9fff]", text[inside[0] : inside[-1] + 1]):
                continue
            name = "".join(c[1] for c in page.chunks(number, inside[0], inside[-1] + 1))
            # A cell read together with the next ones: the name is its first word.
            head = name.split()[0]
            if head != name and _GOODS.fullmatch(_ASTERISK.sub("*", head)):
                name = head
            piece = page.piece_at(number, inside[0])
            # A cell alone on its row carries on the item name above it.
            alone = all(page.x(number, p, 0.5) < column_end for p in range(len(text)))
            if items and alone and "*" not in name:
                items[-1] = (items[-1][0] + name, [*items[-1][1], piece])
            else:
                items.append((name, [piece]))
    if not items:
        for number, text in enumerate(page.texts):
            for match in _GOODS.finditer(_ASTERISK.sub("*", text)):
                items.append((match.group(), [page.piece_at(number, match.start())]))
    if not items:
        return None
    names, factor = [], 1.0
    for name, _pieces in items:
        repaired = _item_name(name)
        factor = min(factor, 1.0 if repaired else DISAGREEING)
        names.append(repaired or name)
    pieces = tuple(dict.fromkeys(p for _name, found in items for p in found))
    read = _Value("；".join(names), pieces, pieces[0].left)
    return _field("goods", read.text, read, factor)


def _item_name(text: str) -> str | None:
    """An item name in its printed form, *category*name, with the asterisks that OCR dropped
    or misread put back; None when its category cannot be told."""
    text = _ASTERISK.sub("*", re.sub(r"\s+", "", text)).strip(" :;,.")
    match = re.fullmatch(r"\*?([^*]+)\*([^*]+)", text)
    if match:
        return f"*{match[1]}*{match[2]}"
    bare = text.lstrip("*")
    category = max(
        (c for c in GOODS_CATEGORIES if bare.startswith(c) and len(bare) > len(c)),
        key=len,
        default=None,
    )
    return f"*{category}*{bare[len(category) :]}" if category else None


def _goods_header(page: _Page) -> tuple[int, float] | None:
    """The item table's header row, and where its name column ends."""
    for number, text in enumerate(page.texts):
        if re.search(r"项目名称|货物或应税劳务|服务名称", text):
            follow = re.search(r"规格型号|型号|单位|数量", text)
            if follow:
                return number, page.x(number, follow.start()) - 0.5 * page.line_height
    return None


# Utility bill


def _utility_kind(page: _Page) -> tuple[str, float] | None:
    """Electricity, water, gas or phone, by which words the bill uses most; and how clearly."""
    text = re.sub(r"\s", "", "".join(page.texts)).lower()
    counts = {
        kind: sum(text.count(word) for word in words) for kind, words in UTILITY_KEYWORDS.items()
    }
    ranked = sorted(counts.items(), key=lambda item: item[1], reverse=True)
    (kind, best), (_other, second) = ranked[0], ranked[1]
    return (kind, best / (best + second)) if best else None


def _quantity(text: str) -> tuple[float, str | None] | None:
    match = re.search(r"(\d[\d,]*(?:\.\d+)?)\s*([a-zA-Z\u4e00-\u9fff³]*)", text)
    value = parse_number(match[1]) if match else None
    if match is None or value is None:
        return None
    return float(value), _unit_in(match[2], start=True)


def _unit_in(text: str, *, start: bool = False) -> str | None:
    text = normalize(text).lower().replace("³", "3")
    for word, unit in UNIT_WORDS:
        if text.startswith(word) if start else word in text:
            return unit
    return None


def _utility_bill(page: _Page) -> dict[str, Field]:
    fields: dict[str, Field] = {}
    kind = _utility_kind(page)
    if kind is not None:
        fields["utility"] = Field("utility", kind[0], round(page.score * kind[1], 4), kind[0])
    name = page.first("account_name", _text_value)
    if name is not None:
        fields["account_name"] = _field("account_name", *name)
    period = page.first("period", parse_period)
    if period is not None:
        (start, end), read = period
        fields["period_start"] = _field("period_start", start.isoformat(), read)
        fields["period_end"] = _field("period_end", end.isoformat(), read)
    amount = page.first("amount", parse_money, ranked=True)
    if amount is not None and amount[0] >= 0:
        fields["amount"] = _field("amount", _float(amount[0]), amount[1])
    quantity = page.first("consumption", _quantity, ranked=True)
    if quantity is not None:
        (value, unit), read = quantity
        fields["consumption"] = _field("consumption", value, read)
        # Else the unit printed by the label ("用电量(千瓦时)"), else the only one for the kind.
        if unit is None and read.hit is not None:
            hit = read.hit
            later = [h.start for h in page.hits[hit.row] if h.start >= hit.end]
            unit = _unit_in(page.texts[hit.row][hit.end : min(later, default=None)])
        if unit is None and kind is not None:
            unit = DEFAULT_UNITS.get(kind[0])
        if unit is not None:
            fields["consumption_unit"] = _field("consumption_unit", unit, read)
    return fields


# Signboard

_PHONE = re.compile(r"\d[\d\s-]{6,}\d")
_URL = re.compile(r"www\.|https?:|\.com|\.cn|\.net", re.IGNORECASE)


def _name_candidates(pieces: list[_Piece]) -> list[_Piece]:
    """Lines that could be a business's name: Chinese, not a number, a web address or a slogan."""
    return [
        piece
        for piece in pieces
        if len(re.findall(r"[\u4e00-\u9fff]", piece.text)) >= 2
        and not _PHONE.search(piece.text)
        and not _URL.search(piece.text)
        and not any(word in re.sub(r"\s", "", piece.text) for word in SLOGAN_WORDS)
    ]


def _signboard(page: _Page) -> dict[str, Field]:
    """The name in the largest letters; with the line under it when it was set in two."""
    candidates = _name_candidates([p for row in page.rows for p in row])
    if not candidates:
        return {}
    biggest = max(candidates, key=lambda p: p.height)
    peers = [p for p in candidates if p.height >= 0.8 * biggest.height]
    # A name spaced wide across the board may come as several boxes in one row.
    line = sorted(
        (p for p in peers if abs(p.middle - biggest.middle) <= 0.5 * biggest.height),
        key=lambda p: p.left,
    )
    chosen = [line[0]]
    for piece in line[1:]:
        if piece.left - chosen[-1].right > 1.5 * biggest.height:
            break
        chosen.append(piece)
    if biggest not in chosen:
        chosen = [biggest]
    text = "".join(re.sub(r"\s+", "", p.text) for p in chosen)
    for other in peers:
        if other in chosen:
            continue
        above, below = sorted((chosen, [other]), key=lambda group: group[0].top)
        top_text = "".join(p.text for p in above)
        overlap = min(above[-1].right, below[-1].right) - max(above[0].left, below[0].left)
        if (
            0 <= below[0].top - above[0].bottom <= 0.8 * biggest.height
            and overlap > 0
            and not top_text.endswith(NAME_ENDINGS)
        ):
            chosen = [*above, *below]
            text = "".join(re.sub(r"\s+", "", p.text) for p in chosen)
            break
    read = _Value(text, tuple(chosen), chosen[0].left)
    return {"name": _field("name", text, read)}
