"""Reading typed fields from OCR lines: every layout a real page comes in, never an invention."""

from __future__ import annotations

import io
import math
import random
from datetime import date
from decimal import Decimal
from importlib.util import find_spec
from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from assistant.evidence.extract import (
    classify,
    extract,
    find_money,
    fix_credit_code,
    parse_capital_amount,
    parse_chinese_integer,
    parse_date,
    parse_money,
    parse_period,
)
from assistant.evidence.model import FIELDS, DocumentType, OcrLine, OcrResult

LICENCE = DocumentType.LICENCE
STATEMENT = DocumentType.STATEMENT
INVOICE = DocumentType.INVOICE
UTILITY = DocumentType.UTILITY_BILL
SIGNBOARD = DocumentType.SIGNBOARD

CODE = "91330106MA2B3C4D5D"  # a valid code: its check character is right
OTHER_CODE = "91440305MA5FQ2N8HH"


def text_width(text: str, size: float) -> float:
    return sum(size if ord(ch) > 0x2E80 else 0.55 * size for ch in text)


def line(
    text: str, x: float, y: float, *, size: float = 30, score: float = 0.96, width: float = 0
) -> OcrLine:
    """A line as the OCR gives it: text, its box (top-left, clockwise), its score."""
    right = x + (width or text_width(text, size))
    return OcrLine(text, ((x, y), (right, y), (right, y + size), (x, y + size)), score)


def page(*lines: OcrLine, width: int = 1600, height: int = 1200, **kwargs) -> OcrResult:
    ordered = sorted(lines, key=lambda item: (round(item.top / 20), item.left))
    return OcrResult(tuple(ordered), width, height, 0.5, **kwargs)


def values(extraction) -> dict:
    return {name: found.value for name, found in extraction.fields.items()}


def turned(lines: list[OcrLine], degrees: float) -> list[OcrLine]:
    """The same lines on a page photographed ``degrees`` off square."""
    angle = math.radians(degrees)
    cos, sin = math.cos(angle), math.sin(angle)
    return [
        OcrLine(
            item.text,
            tuple((x * cos - y * sin, x * sin + y * cos) for x, y in item.box),  # type: ignore[arg-type]
            item.score,
        )
        for item in lines
    ]


# --- Licences -------------------------------------------------------------------------------

# The two-column licence as RapidOCR reads it: spaces between label and value mostly gone,
# the label 名　　称 closed up, the right column's wrapped address on a line of its own.
TWO_COLUMN = [
    line("营业执照", 700, 60, size=80),
    line("统一社会信用代码", 100, 200),
    line(CODE, 100, 240, size=32),
    line("名称杭州鑫源五金制品有限公司", 100, 320),
    line("注册资本伍拾万元整", 900, 320),
    line("类型 有限责任公司（自然人投资或控股）", 100, 380),
    line("成立日期2015年03月12日", 900, 380),
    line("法定代表人 张建华", 100, 440),
    line("营业期限2015年03月12日至长期", 900, 440),
    line("经营范围五金产品、水暖器材的批发与零售", 100, 500),
    line("住所 浙江省杭州市西湖区文三路", 900, 500),
    line("建筑材料的批发与零售。", 260, 550),
    line("123号5幢501室", 985, 550),
    line("登记机关", 1200, 700),
]
TWO_COLUMN_TRUTH = {
    "credit_code": CODE,
    "name": "杭州鑫源五金制品有限公司",
    "legal_representative": "张建华",
    "address": "浙江省杭州市西湖区文三路123号5幢501室",
    "registered_capital": 500000.0,
    "established_on": "2015-03-12",
}


def test_a_two_column_licence_gives_every_field():
    found = extract(LICENCE, page(*TWO_COLUMN))
    assert values(found) == TWO_COLUMN_TRUTH
    assert list(found.fields) == list(TWO_COLUMN_TRUTH)  # in FIELDS order
    assert found.fields["credit_code"].confidence == pytest.approx(0.96)
    assert found.fields["name"].source == "名称杭州鑫源五金制品有限公司"
    assert "123号5幢501室" in found.fields["address"].source


def test_one_ocr_line_may_hold_two_label_value_pairs():
    lines = [
        line("统一社会信用代码 " + CODE, 100, 200),
        line("名称：杭州鑫源五金制品有限公司   注册资本：人民币50万元", 100, 260),
        line("法定代表人：张建华    成立日期：2015-03-12", 100, 320),
        line("住所：浙江省杭州市西湖区文三路123号", 100, 380),
    ]
    assert values(extract(LICENCE, page(*lines))) == {
        "credit_code": CODE,
        "name": "杭州鑫源五金制品有限公司",
        "legal_representative": "张建华",
        "address": "浙江省杭州市西湖区文三路123号",
        "registered_capital": 500000.0,
        "established_on": "2015-03-12",
    }


def test_labels_and_values_in_separate_boxes_with_spaced_labels_and_no_colons():
    lines = [
        line("统一社会信用代码", 100, 200),
        line(CODE, 420, 200),
        line("名", 100, 260),
        line("称", 190, 260),
        line("杭州鑫源五金制品有限公司", 300, 260),
        line("注 册 资 本", 900, 260),
        line("壹佰万元整", 1100, 260),
        line("法定代表人", 100, 320),
        line("张建华", 300, 320),
        line("成 立 日 期", 900, 320),
        line("2015年3月2日", 1100, 320),
        line("住 所", 100, 380),
        line("浙江省杭州市西湖区文三路123号", 300, 380),
    ]
    assert values(extract(LICENCE, page(*lines))) == {
        "credit_code": CODE,
        "name": "杭州鑫源五金制品有限公司",
        "legal_representative": "张建华",
        "address": "浙江省杭州市西湖区文三路123号",
        "registered_capital": 1000000.0,
        "established_on": "2015-03-02",
    }


def test_an_individual_business_licence_has_its_own_labels_and_no_capital():
    lines = [
        line("营业执照", 700, 60, size=80),
        line("统一社会信用代码" + OTHER_CODE, 100, 200),
        line("名　　称 深圳市南山区老王五金建材店", 100, 320),
        line("组成形式 个人经营", 900, 320),
        line("类　　型 个体工商户", 100, 380),
        line("注册日期 2019年11月05日", 900, 380),
        line("经 营 者 王志强", 100, 440),
        line("经营场所 广东省深圳市南山区科技路8号", 900, 440),
    ]
    assert values(extract(LICENCE, page(*lines))) == {
        "credit_code": OTHER_CODE,
        "name": "深圳市南山区老王五金建材店",
        "legal_representative": "王志强",
        "address": "广东省深圳市南山区科技路8号",
        "established_on": "2019-11-05",
    }


def in_perspective(lines: list[OcrLine]) -> list[OcrLine]:
    """The same lines photographed from below the page: the higher a line, the more it slants."""
    return [
        OcrLine(
            item.text,
            tuple((x, y + (x - 800) * (0.06 - y / 12000)) for x, y in item.box),  # type: ignore[arg-type]
            item.score,
        )
        for item in lines
    ]


@pytest.mark.parametrize(
    "photographed",
    [lambda lines: turned(lines, 4), lambda lines: turned(lines, -6), in_perspective],
    ids=["turned 4°", "turned -6°", "in perspective"],
)
def test_a_page_photographed_askew_still_pairs_its_columns(photographed):
    found = extract(LICENCE, page(*photographed(TWO_COLUMN)))
    assert values(found) == TWO_COLUMN_TRUTH


def test_a_page_photographed_upside_down_reads_once_the_ocr_has_turned_it():
    from assistant.evidence.ocr import _rows, _turned

    width, height = 1600, 1200
    # The boxes as the engine finds them in the upside-down photo…
    seen = [
        OcrLine(
            item.text,
            tuple((width - x, height - y) for x, y in (item.box[2], item.box[3], *item.box[:2])),  # type: ignore[arg-type]
            item.score,
        )
        for item in TWO_COLUMN
    ]
    # …and as the OCR layer hands them on: turned the right way up, in reading order.
    upright = tuple(_rows(_turned(seen, width, height)))
    result = OcrResult(upright, width, height, 0.5, upside_down=True)
    assert values(extract(LICENCE, result)) == TWO_COLUMN_TRUTH
    shuffled = OcrResult(tuple(reversed(upright)), width, height, 0.5, upside_down=True)
    assert values(extract(LICENCE, shuffled)) == TWO_COLUMN_TRUTH


def test_a_misread_credit_code_is_put_right_only_when_its_check_says_so():
    # O for 0 in the region code, S for 5 and Z for 2: none of them can stand there.
    misread = "9144O3O5MASFQZN8HH"
    found = extract(LICENCE, page(line("统一社会信用代码:" + misread, 100, 200, score=0.9)))
    code = found.fields["credit_code"]
    assert code.value == OTHER_CODE
    assert 0.5 < code.confidence < 0.9
    assert code.source == "统一社会信用代码:" + misread
    assert fix_credit_code("9133O1O6MA2B3C4D5D") == CODE
    assert fix_credit_code(CODE) == CODE


def test_a_credit_code_that_fails_its_check_is_kept_with_low_confidence():
    bad = CODE[:-1] + "X"
    found = extract(LICENCE, page(line("统一社会信用代码 " + bad, 100, 200, score=0.98)))
    assert found.fields["credit_code"].value == bad
    assert found.fields["credit_code"].confidence <= 0.3
    # A guess that happens to pass is not taken for a reading: valid letters stay as read.
    assert fix_credit_code(bad) == bad


def test_a_capital_in_another_currency_is_not_taken_for_yuan():
    lines = [line("名称 杭州某某贸易有限公司", 100, 200), line("注册资本 100万美元", 900, 200)]
    assert "registered_capital" not in extract(LICENCE, page(*lines)).fields


def test_fields_that_cannot_be_read_are_left_out():
    lines = [
        line("营业执照", 700, 60, size=80),
        line("名称", 100, 320),
        line("类型 有限责任公司", 100, 380),
        line("注册资本", 900, 320),
        line("成立日期 长期", 900, 380),
    ]
    assert values(extract(LICENCE, page(*lines))) == {}


# --- Statements -----------------------------------------------------------------------------


def statement_lines(header: list[tuple[str, float]], rows: list[list[tuple[str, float]]]):
    top = 600
    lines = [line(text, x, top) for text, x in header]
    for number, row in enumerate(rows, start=1):
        y = top + 56 * number
        # Amounts are set flush right in their columns, as banks print them.
        lines += [line(text, x - text_width(text, 26), y, size=26) for text, x in row]
    return lines


HEADER = [
    ("交易日期", 100),
    ("摘要", 330),
    ("对方户名", 560),
    ("收入", 960),
    ("支出", 1170),
    ("余额", 1390),
]


RIGHT_EDGES = (280, 440, 940, 1130, 1340, 1540)


def cells(*texts: str) -> list[tuple[str, float]]:
    """A transaction row under HEADER: each cell flush right in its column, "" for none."""
    return [(text, edge) for text, edge in zip(texts, RIGHT_EDGES, strict=True) if text]


def test_a_statement_gives_its_particulars_totals_and_large_items():
    lines = [
        line("中国工商银行", 180, 90, size=48),
        line("账户交易明细", 650, 190, size=46),
        line("户名：杭州鑫源五金制品有限公司", 90, 290),
        line("账号：6222021234567890123", 860, 290),
        line("币种：人民币", 90, 342),
        line("起止日期：2026-08-01 至 2026-10-31", 860, 342),
        *statement_lines(
            HEADER,
            [
                cells("2026-08-03", "货款", "宁波恒达有限公司", "128,000.00", "", "428,000.00"),
                cells(
                    "2026-08-09", "进货款", "苏州瑞丰纺织有限公司", "", "60,000.00", "368,000.00"
                ),
                cells("2026-09-15", "电费", "", "", "2,345.60", "365,654.40"),
                cells("2026-10-20", "转账", "王伟", "49,999.99", "", "415,654.39"),
            ],
        ),
        line("本期收入合计：177,999.99", 90, 900),
        line("本期支出合计：62,345.60", 760, 900),
        line("期末余额：415,654.39", 90, 952),
    ]
    found = extract(STATEMENT, page(*lines, height=1400))
    assert values(found) == {
        "account_name": "杭州鑫源五金制品有限公司",
        "period_start": "2026-08-01",
        "period_end": "2026-10-31",
        "credits_total": 177999.99,
        "debits_total": 62345.6,
        "large_items": [
            {
                "date": "2026-08-03",
                "amount": 128000.0,
                "direction": "in",
                "text": "2026-08-03 货款 宁波恒达有限公司 128,000.00 428,000.00",
            },
            {
                "date": "2026-08-09",
                "amount": 60000.0,
                "direction": "out",
                "text": "2026-08-09 进货款 苏州瑞丰纺织有限公司 60,000.00 368,000.00",
            },
        ],
    }
    lower = extract(STATEMENT, page(*lines, height=1400), large_item_min=40000)
    assert [item["amount"] for item in lower.value("large_items")] == [128000.0, 60000.0, 49999.99]


def test_debit_and_credit_columns_are_told_by_the_header_not_by_their_order():
    header = [
        ("记账日期", 100),
        ("摘要", 330),
        ("借方发生额", 930),
        ("贷方发生额", 1150),
        ("余额", 1390),
    ]
    rows = [
        [("20260805", 240), ("货款", 400), ("80,000.00", 1110), ("20,000.00", 1540)],
        [("20260906", 240), ("销售回款", 440), ("150,000.00", 1330), ("170,000.00", 1540)],
    ]
    lines = [
        line("活期账户对账单", 650, 190, size=46),
        line("户名：王建国", 90, 290),
        line("查询期间：2026年08月01日—2026年09月30日", 860, 342),
        *statement_lines(header, rows),
        line("借方发生额合计：80,000.00", 90, 800),
        line("贷方发生额合计：150,000.00", 760, 800),
        line("借方笔数：1　贷方笔数：1", 90, 852),
    ]
    found = values(extract(STATEMENT, page(*lines)))
    assert found["account_name"] == "王建国"
    assert (found["period_start"], found["period_end"]) == ("2026-08-01", "2026-09-30")
    assert (found["credits_total"], found["debits_total"]) == (150000.0, 80000.0)
    assert [(i["date"], i["direction"]) for i in found["large_items"]] == [
        ("2026-08-05", "out"),
        ("2026-09-06", "in"),
    ]


def test_totals_beside_counts_and_a_signed_amount_column():
    header = [("交易日期", 100), ("交易摘要", 330), ("交易金额", 1000), ("账户余额", 1390)]
    rows = [
        [("2026/08/05", 260), ("货款", 400), ("+88,000.00", 1130), ("188,000.00", 1540)],
        [("2026/08/06", 260), ("房租", 400), ("-52,000.00", 1130), ("136,000.00", 1540)],
    ]
    lines = [
        line("个人账户交易流水", 650, 190, size=46),
        line("起止日期：2026/08/01 - 2026/08/31", 860, 342),
        line("收入笔数：1笔　收入总额：88,000.00　支出笔数：1笔　支出总额：52,000.00", 90, 470),
        *statement_lines(header, rows),
    ]
    found = values(extract(STATEMENT, page(*lines)))
    assert (found["credits_total"], found["debits_total"]) == (88000.0, 52000.0)
    assert (found["period_start"], found["period_end"]) == ("2026-08-01", "2026-08-31")
    assert [(i["amount"], i["direction"]) for i in found["large_items"]] == [
        (88000.0, "in"),
        (52000.0, "out"),
    ]


def test_totals_in_a_summary_table_are_read_from_under_their_headings():
    lines = [
        line("对账单", 650, 190, size=46),
        line("收入笔数", 100, 300),
        line("收入金额", 400, 300),
        line("支出笔数", 700, 300),
        line("支出金额", 1000, 300),
        line("12", 130, 350),
        line("345,678.00", 390, 350),
        line("8", 730, 350),
        line("123,456.78", 990, 350),
    ]
    found = values(extract(STATEMENT, page(*lines)))
    assert (found["credits_total"], found["debits_total"]) == (345678.0, 123456.78)


def test_a_statement_totals_check_against_its_balances():
    lines = [
        line("对账单", 650, 190, size=46),
        line("期初余额：1,000.00", 90, 300),
        line("本期收入合计：500.00", 90, 360),
        line("本期支出合计：200.00", 760, 360),
        line("期末余额：1,300.00", 90, 420),
    ]
    agreed = extract(STATEMENT, page(*lines))
    assert agreed.fields["credits_total"].confidence == pytest.approx(0.96)
    misread = [*lines[:-1], line("期末余额：1,800.00", 90, 420)]
    disagreed = extract(STATEMENT, page(*misread))
    assert disagreed.value("credits_total") == 500.0
    assert disagreed.fields["credits_total"].confidence < 0.6


# --- Invoices -------------------------------------------------------------------------------

ITEM_HEADER = [
    line("项目名称", 250, 530, size=26),
    line("规格型号", 570, 530, size=26),
    line("单位", 770, 530, size=26),
    line("数量", 900, 530, size=26),
    line("金额", 1350, 530, size=26),
    line("税率/征收率", 1540, 530, size=26),
    line("税额", 1800, 530, size=26),
]


def test_an_e_invoice_sets_buyer_and_seller_side_by_side():
    lines = [
        line("电子发票（增值税专用发票）", 650, 80, size=60),
        line("发票号码：26332000000123456789", 1560, 60, size=28),
        line("开票日期：2026年09月15日", 1560, 110, size=28),
        # The block titles stand one character a line down the blocks' left edges.
        *[line(ch, 80, 280 + 45 * k, size=26) for k, ch in enumerate("购买方信息")],
        *[line(ch, 1070, 280 + 45 * k, size=26) for k, ch in enumerate("销售方信息")],
        line("名称：苏州瑞丰纺织有限公司", 145, 290),
        line("名称：杭州鑫源五金制品有限公司", 1135, 290),
        line("统一社会信用代码/纳税人识别号：" + OTHER_CODE, 145, 360, size=26),
        line("统一社会信用代码/纳税人识别号：" + CODE, 1135, 360, size=26),
        *ITEM_HEADER,
        line("*五金制品*水暖配件", 75, 600, size=26),
        line("DN20", 640, 600, size=26),
        line("套", 790, 600, size=26),
        line("100", 930, 600, size=26),
        line("11,300.00", 1300, 600, size=26),
        line("13%", 1600, 600, size=26),
        line("1,469.00", 1800, 600, size=26),
        line("价税合计（大写）", 100, 1000, size=28),
        line("⊗壹万贰仟柒佰陆拾玖圆整", 420, 1000),
        line("（小写）", 1480, 1000, size=28),
        line("¥12,769.00", 1600, 1000),
    ]
    assert values(extract(INVOICE, page(*lines, width=2100, height=1400))) == {
        "seller_name": "杭州鑫源五金制品有限公司",
        "buyer_name": "苏州瑞丰纺织有限公司",
        "amount": 12769.0,
        "issued_on": "2026-09-15",
        "goods": "*五金制品*水暖配件",
    }


def test_an_older_invoice_stacks_the_buyer_above_the_seller():
    lines = [
        line("浙江增值税普通发票", 650, 80, size=60),
        line("开票日期：2026年01月08日", 1500, 130, size=28),
        line("购", 80, 260),
        line("名　　称：宁波恒达机械设备有限公司", 150, 260),
        line("买", 80, 300),
        line("纳税人识别号：" + OTHER_CODE, 150, 300),
        line("方", 80, 340),
        line("货物或应税劳务、服务名称 规格型号 单位 数量 单价 金额 税率 税额", 100, 430),
        line("*机械设备*数控车床 CK6150 台 1 80000.00 80000.00 13% 10400.00", 100, 480),
        line("*金属制品*不锈钢管", 100, 520),
        line("价税合计（大写） 玖万零肆佰圆整 （小写）¥90,400.00", 100, 700),
        line("销", 80, 800),
        line("名　　称：温州安泰金属制品有限公司", 150, 800),
        line("售", 80, 840),
        line("纳税人识别号：" + CODE, 150, 840),
        line("方", 80, 880),
    ]
    assert values(extract(INVOICE, page(*lines, width=2100, height=1400))) == {
        "seller_name": "温州安泰金属制品有限公司",
        "buyer_name": "宁波恒达机械设备有限公司",
        "amount": 90400.0,
        "issued_on": "2026-01-08",
        "goods": "*机械设备*数控车床；*金属制品*不锈钢管",
    }


def test_invoice_names_need_no_block_titles_and_words_check_the_figures():
    lines = [
        line("电子发票（普通发票）", 650, 80, size=60),
        line("名称：苏州瑞丰纺织有限公司", 145, 290),
        line("名称：杭州鑫源五金制品有限公司", 1135, 290),
        line("价税合计（大写）⊗壹万圆整 （小写）¥12,769.00", 100, 1000),
    ]
    found = extract(INVOICE, page(*lines, width=2100))
    assert found.value("buyer_name") == "苏州瑞丰纺织有限公司"
    assert found.value("seller_name") == "杭州鑫源五金制品有限公司"
    assert found.value("amount") == 12769.0
    assert found.fields["amount"].confidence < 0.6


def test_explicit_buyer_and_seller_labels_win():
    lines = [
        line("发票", 650, 80, size=60),
        line("销售方名称：杭州鑫源五金制品有限公司", 100, 200),
        line("购买方名称：苏州瑞丰纺织有限公司", 100, 260),
    ]
    found = values(extract(INVOICE, page(*lines)))
    assert found == {
        "seller_name": "杭州鑫源五金制品有限公司",
        "buyer_name": "苏州瑞丰纺织有限公司",
    }


# --- Utility bills --------------------------------------------------------------------------


def test_an_electricity_bill_in_a_boxed_form():
    lines = [
        line("国网浙江省电力有限公司杭州供电公司", 80, 60, size=40),
        line("电费通知单", 500, 200, size=52),
        *[
            item
            for k, (label, value) in enumerate(
                [
                    ("户名", "杭州鑫源五金制品有限公司"),
                    ("户号", "3301234567"),
                    ("用电地址", "杭州市西湖区文三路123号"),
                    ("计费周期", "2026-09-01至2026-09-30"),
                    ("上期示数", "12345"),
                    ("本期示数", "13579"),
                    ("本期用电量", "1,234 千瓦时"),
                    ("电价", "0.5380 元/千瓦时"),
                ]
            )
            for item in (line(label, 150, 320 + 72 * k), line(value, 365, 320 + 72 * k))
        ],
        line("本期电费：", 120, 1000, size=40),
        line("¥663.89", 1000, 1000, size=48),
        line("缴费截止日期：2026年10月20日", 100, 1150),
    ]
    assert values(extract(UTILITY, page(*lines, width=1240, height=1754))) == {
        "utility": "electricity",
        "account_name": "杭州鑫源五金制品有限公司",
        "period_start": "2026-09-01",
        "period_end": "2026-09-30",
        "amount": 663.89,
        "consumption": 1234.0,
        "consumption_unit": "kWh",
    }


def test_a_water_bill_for_one_month_with_a_table_of_readings():
    lines = [
        line("杭州市水务集团有限公司", 80, 60, size=40),
        line("水费缴费通知单", 500, 200, size=52),
        line("户名：老王家常菜馆", 100, 320),
        line("账期：2026年09月", 100, 396),
        line("上次读数", 100, 500),
        line("本次读数", 400, 500),
        line("用水量(吨)", 700, 500),
        line("金额(元)", 1000, 500),
        line("1200", 120, 560),
        line("1236", 420, 560),
        line("36", 740, 560),
        line("122.40", 1010, 560),
        line("应缴金额：¥122.40", 100, 700, size=46),
    ]
    assert values(extract(UTILITY, page(*lines, width=1240, height=1754))) == {
        "utility": "water",
        "account_name": "老王家常菜馆",
        "period_start": "2026-09-01",
        "period_end": "2026-09-30",
        "amount": 122.4,
        "consumption": 36.0,
        "consumption_unit": "t",
    }


def test_a_phone_bill():
    lines = [
        line("中国移动浙江有限公司", 80, 60, size=40),
        line("话费账单", 500, 200, size=52),
        line("客户名称：张建华", 100, 320),
        line("手机号码：138****1234", 100, 396),
        line("计费周期：2026年08月01日至2026年08月31日", 100, 472),
        line("套餐：128元畅享套餐", 100, 548),
        line("通话时长：356 分钟", 100, 624),
        line("本期话费：¥163.60", 100, 780, size=46),
    ]
    assert values(extract(UTILITY, page(*lines, width=1240, height=1754))) == {
        "utility": "phone",
        "account_name": "张建华",
        "period_start": "2026-08-01",
        "period_end": "2026-08-31",
        "amount": 163.6,
        "consumption": 356.0,
        "consumption_unit": "min",
    }


# --- Signboards -----------------------------------------------------------------------------


def test_a_signboard_name_is_its_largest_text_not_its_phone_or_slogan():
    lines = [
        line("鑫源五金建材", 400, 200, size=260),
        line("电话：138 1234 5678", 1500, 560, size=54),
        line("诚信经营 品质保证", 900, 620, size=58),
    ]
    result = page(*lines, width=2600, height=1500)
    assert classify(result)[0] is SIGNBOARD
    found = extract(SIGNBOARD, result)
    assert values(found) == {"name": "鑫源五金建材"}
    assert found.fields["name"].source == "鑫源五金建材"


def test_a_signboard_name_set_in_two_lines_is_joined():
    lines = [
        line("老王家", 700, 150, size=220),
        line("五金店", 700, 400, size=220),
        line("www.laowang.com", 700, 700, size=50),
    ]
    assert values(extract(SIGNBOARD, page(*lines, width=2000, height=1500))) == {
        "name": "老王家五金店"
    }


# --- Classifying ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        (TWO_COLUMN, LICENCE),
        ([line("对公账户对账单", 600, 200, size=46), *statement_lines(HEADER, [])], STATEMENT),
        ([line("电子发票（普通发票）", 600, 80, size=60), line("价税合计", 100, 900)], INVOICE),
        ([line("电费通知单", 500, 200, size=52), line("本期用电量 120 千瓦时", 100, 400)], UTILITY),
        ([line("老王五金店", 300, 200, size=240)], SIGNBOARD),
    ],
)
def test_each_kind_of_document_is_recognised(lines, expected):
    kind, confidence = classify(page(*lines, width=1600, height=1200))
    assert kind is expected
    assert 0.5 <= confidence <= 1


def test_stray_text_in_a_photo_of_a_room_is_no_document():
    lines = [
        line("2026年10月", 900, 120, size=22),
        line("SAMSUNG", 300, 700, size=18),
        line("小心地滑", 1200, 900, size=20),
        line("50", 100, 400, size=16),
    ]
    assert classify(page(*lines, width=1600, height=1200)) == (None, 0.0)
    assert classify(page(width=1600, height=1200, quality="blank")) == (None, 0.0)


def test_a_document_with_mixed_words_is_less_certain():
    clear = classify(page(*TWO_COLUMN))
    mixed = classify(page(*TWO_COLUMN, line("发票 价税合计", 100, 900)))
    assert clear[0] is mixed[0] is LICENCE
    assert mixed[1] < clear[1]


# --- Anything at all ---------------------------------------------------------------------------

WORDS = [
    "名称",
    "住 所",
    "注册资本",
    "统一社会信用代码",
    "户名:",
    "交易日期",
    "收入",
    "支出",
    "余额",
    "本期收入合计",
    "价税合计",
    "（小写）",
    "购买方",
    "*五金制品*",
    "计费周期",
    "用电量",
    "2026-08-01",
    "至",
    "12,345.67",
    "¥",
    "伍拾万元整",
    "万",
    "杭州",
    "O",
    "9",
    " ",
    "：",
]
ocr_lines = st.builds(
    lambda words, x, y, size, score: line("".join(words), x, y, size=size, score=score),
    st.lists(st.sampled_from(WORDS), min_size=1, max_size=6),
    st.floats(0, 1500),
    st.floats(0, 1100),
    st.floats(8, 200),
    st.floats(0, 1),
)


@given(st.lists(ocr_lines, max_size=25), st.sampled_from(list(DocumentType)))
def test_any_page_gives_well_formed_fields_or_none(lines, doc_type):
    result = page(*lines)
    kind, confidence = classify(result)
    assert kind is None or isinstance(kind, DocumentType)
    assert 0 <= confidence <= 1
    found = extract(doc_type, result)
    assert set(found.fields) <= set(FIELDS[doc_type])
    for name, read in found.fields.items():
        assert read.name == name
        assert 0 <= read.confidence <= 1
        assert read.value not in (None, "")


def test_an_empty_page_has_no_fields():
    empty = OcrResult((), 1600, 1200, 0.1, quality="blank")
    for doc_type in DocumentType:
        assert extract(doc_type, empty).fields == {}


# --- Numbers, money and dates ---------------------------------------------------------------

CAPITAL_DIGITS = "零壹贰叁肆伍陆柒捌玖"


def capital(n: int) -> str:
    """A reference spelling of ``n`` (< 10**12) in capital numerals, as a cheque writer would."""
    if n == 0:
        return "零"

    def section(x: int) -> str:
        out, zero = "", False
        for value, unit in ((1000, "仟"), (100, "佰"), (10, "拾"), (1, "")):
            digit = x // value % 10
            if digit == 0:
                zero = bool(out)
                continue
            if zero:
                out, zero = out + "零", False
            out += CAPITAL_DIGITS[digit] + unit
        return out

    out, groups = "", [n // 10**8, n // 10**4 % 10**4, n % 10**4]
    for index, (group, unit) in enumerate(zip(groups, ("亿", "万", ""), strict=True)):
        if group == 0:
            continue
        if out and (group < 1000 or groups[index - 1] == 0):
            out += "零"
        out += section(group) + unit
    return out


def amount_in_words(cents: int) -> str:
    whole, jiao, fen = cents // 100, cents // 10 % 10, cents % 10
    out = capital(whole) + "元" if whole else ""
    if not jiao and not fen:
        return out + "整"
    if jiao:
        out += CAPITAL_DIGITS[jiao] + "角"
    elif whole:
        out += "零"
    if fen:
        out += CAPITAL_DIGITS[fen] + "分"
    return out


@given(st.integers(min_value=0, max_value=10**12 - 1))
@example(10_050)
@example(100_000_000)
@example(1_000_010)
def test_every_capital_numeral_reads_back(n):
    assert parse_chinese_integer(capital(n)) == n


@given(st.integers(min_value=1, max_value=10**13 - 1))
@example(50_000_000)  # 伍拾万元整
@example(5)  # 伍分
def test_every_amount_in_words_reads_back(cents):
    words = amount_in_words(cents)
    assert parse_capital_amount(words) == Decimal(cents) / 100
    assert parse_money(f"价税合计（大写）⊗{words}") == Decimal(cents) / 100


@given(st.integers(min_value=0, max_value=10**11), st.sampled_from(["¥", "", "人民币"]))
def test_figures_read_back_with_separators_and_full_width_digits(cents, prefix):
    value = Decimal(cents) / 100
    printed = f"{prefix}{value:,.2f}元"
    assert parse_money(printed) == value
    wide = printed.translate({ord(ch): ord(ch) + 0xFEE0 for ch in "0123456789"})
    assert parse_money(wide) == value


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("伍拾万元整", 500000),
        ("壹佰万元", 1000000),
        ("人民币50万元", 500000),
        ("50.00万元", 500000),
        ("500万元人民币", 5000000),
        ("人民币壹仟万元整", 10000000),
        ("¥-1,234.50", -1234.5),
        ("1.234.56", 1234.56),  # OCR's dot for the thousands comma
        ("收入 12笔 合计 3,000.00", 3000),
        ("统一社会信用代码", None),
        ("万元", None),
    ],
)
def test_money(text, expected):
    assert parse_money(text) == (None if expected is None else Decimal(str(expected)))


def test_only_amounts_with_a_unit_say_so():
    assert [m.has_unit for m in find_money("注册资本 500 或 500万元")] == [False, True]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-08-01", date(2026, 8, 1)),
        ("2026/8/1", date(2026, 8, 1)),
        ("２０２６年０８月０１日", date(2026, 8, 1)),
        ("20260801", date(2026, 8, 1)),
        ("2026-02-30", None),
        ("长期", None),
    ],
)
def test_dates(text, expected):
    assert parse_date(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-08-01至2026-10-31", ("2026-08-01", "2026-10-31")),
        ("2026年08月01日-2026年10月31日", ("2026-08-01", "2026-10-31")),
        ("2026/08/01 ~ 2026/10/31", ("2026-08-01", "2026-10-31")),
        ("2026年09月", ("2026-09-01", "2026-09-30")),
        ("2024-02", ("2024-02-01", "2024-02-29")),
        ("2026-10-31至2026-08-01", None),
        ("2026年13月", None),
    ],
)
def test_periods(text, expected):
    found = parse_period(text)
    assert (found and tuple(day.isoformat() for day in found)) == expected


# --- A real photo through the real OCR --------------------------------------------------------


def test_a_rendered_licence_reads_through_the_ocr():
    pytest.importorskip("rapidocr_onnxruntime")
    spec = find_spec("mplfonts")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("mplfonts is not installed")
    font_file = Path(spec.submodule_search_locations[0]) / "fonts" / "NotoSansCJKsc-Regular.otf"
    from PIL import Image, ImageDraw, ImageFont

    from assistant.evidence.ocr import RapidOcrEngine

    image = Image.new("RGB", (1400, 760), "white")
    draw = ImageDraw.Draw(image)
    title, body = ImageFont.truetype(str(font_file), 64), ImageFont.truetype(str(font_file), 30)
    draw.text((560, 30), "营业执照", fill="black", font=title)
    draw.text((80, 170), "统一社会信用代码", fill="black", font=body)
    draw.text((80, 212), CODE, fill="black", font=body)
    # Labels in a column of their own, values after them; the address wraps in its column.
    for x, y, label, value in [
        (80, 300, "名　　称", "杭州鑫源五金制品有限公司"),
        (760, 300, "注册资本", "伍拾万元整"),
        (80, 360, "类　　型", "有限责任公司"),
        (760, 360, "成立日期", "2015年03月12日"),
        (80, 420, "法定代表人", "张建华"),
        (760, 420, "营业期限", "长期"),
        (80, 480, "经营范围", "五金销售"),
        (760, 480, "住　　所", "浙江省杭州市西湖区"),
        (760, 530, "", "文三路123号5楼"),
    ]:
        draw.text((x, y), label, fill="black", font=body)
        draw.text((x + 180, y), value, fill="black", font=body)
    photo = io.BytesIO()
    image.rotate(random.Random(1).uniform(-2, 2), fillcolor="white").save(photo, "PNG")

    result = RapidOcrEngine(threads=1).read(photo.getvalue())
    assert classify(result)[0] is LICENCE
    assert values(extract(LICENCE, result)) == {
        "credit_code": CODE,
        "name": "杭州鑫源五金制品有限公司",
        "legal_representative": "张建华",
        "address": "浙江省杭州市西湖区文三路123号5楼",
        "registered_capital": 500000.0,
        "established_on": "2015-03-12",
    }
