"""Synthetic photos of the documents officers photograph, with the values printed on them.

Business licences (营业执照), bank statements (对账单 / 流水), VAT invoices (增值税发票),
utility and phone bills and shop signboards (门头招牌) are drawn with a CJK font, in two or
three layouts each, then made to look like a phone photo of a page on a desk: turned a little,
in perspective, soft, noisy, unevenly lit, JPEG-compressed and, now and then, upside down.
Every value the extractors should find is recorded in ``truth`` with the field names and
conventions of ``assistant.evidence.model.FIELDS``. All companies, people, numbers and
addresses are made up; the credit codes have correct check characters so that they pass the
same check a real one does.

The benchmark set is rebuilt from a seed, so nothing generated needs committing::

    .venv/bin/python samples/make_documents.py --out /tmp/documents --count 60 --seed 7

writes ``001_licence.jpg`` … and ``truth.jsonl`` (one ``{"name", "doc_type", "truth"}`` a line).
The font is NotoSansCJKsc from the ``mplfonts`` package, or the file named by ``CJK_FONT``.
"""

from __future__ import annotations

import argparse
import io
import json
import math
import os
import random
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw, ImageEnhance, ImageFilter, ImageFont

# Single transactions from this amount are a statement's large items (the extractor's default).
LARGE_ITEM_MIN = 50_000

# Mirrors assistant.evidence.model.FIELDS (the tests hold the two together); kept here so the
# generator runs with nothing but Pillow and numpy.
FIELD_NAMES: dict[str, tuple[str, ...]] = {
    "licence": (
        "credit_code",
        "name",
        "legal_representative",
        "address",
        "registered_capital",
        "established_on",
    ),
    "statement": (
        "account_name",
        "period_start",
        "period_end",
        "credits_total",
        "debits_total",
        "large_items",
    ),
    "invoice": ("seller_name", "buyer_name", "amount", "issued_on", "goods"),
    "utility_bill": (
        "utility",
        "account_name",
        "period_start",
        "period_end",
        "amount",
        "consumption",
        "consumption_unit",
    ),
    "signboard": ("name",),
}
DOC_TYPES = tuple(FIELD_NAMES)
UTILITIES = ("electricity", "water", "gas", "phone")

INK = (28, 28, 30)
GREY_INK = (90, 90, 95)
SEAL_RED = (214, 36, 36)

CREDIT_CODE_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


# --------------------------------------------------------------------------------------------
# Fonts


def font_path(bold: bool = False) -> Path:
    """The CJK font to draw with: ``CJK_FONT`` if set, else the one bundled with ``mplfonts``.

    Bold is SimHei (黑体), the face of signboards and titles; the regular face is Noto Sans CJK.
    """
    override = os.environ.get("CJK_FONT")
    if override:
        path = Path(override)
        if not path.is_file():
            raise FileNotFoundError(f"CJK_FONT={override} is not a font file")
        return path
    try:
        import mplfonts
    except ImportError:
        folder = None
    else:
        folder = Path(mplfonts.__file__).resolve().parent / "fonts"
    names = ("SimHei.ttf", "NotoSansCJKsc-Regular.otf") if bold else ("NotoSansCJKsc-Regular.otf",)
    for name in names:
        if folder is not None and (folder / name).is_file():
            return folder / name
    raise FileNotFoundError(
        "no CJK font: install the mplfonts package (pip install mplfonts), which bundles "
        "NotoSansCJKsc-Regular.otf, or set CJK_FONT to a .ttf/.otf file with Chinese glyphs"
    )


def _serif_path() -> Path:
    """Licences and invoices are printed in a Song face; Noto Serif CJK is the nearest to hand."""
    regular = font_path()
    if os.environ.get("CJK_FONT"):
        return regular
    serif = regular.with_name("NotoSerifCJKsc-Regular.otf")
    return serif if serif.is_file() else regular


@cache
def _font(size: int, face: str = "sans") -> ImageFont.FreeTypeFont:
    path = {"sans": font_path, "bold": lambda: font_path(bold=True), "serif": _serif_path}[face]()
    return ImageFont.truetype(str(path), size)


class Page:
    """A white (or tinted) sheet to draw text and rules on."""

    def __init__(self, width: int, height: int, paper: tuple[int, int, int] = (255, 255, 255)):
        self.image = Image.new("RGB", (width, height), paper)
        self.draw = ImageDraw.Draw(self.image)

    @property
    def width(self) -> int:
        return self.image.width

    @property
    def height(self) -> int:
        return self.image.height

    def text(
        self,
        xy: tuple[float, float],
        text: str,
        size: int,
        *,
        fill: tuple[int, ...] = INK,
        face: str = "sans",
        anchor: str = "la",
        spacing: float = 0.0,
        stroke: int = 0,
    ) -> float:
        """Draws ``text``; returns its width. ``spacing`` adds that many pixels between glyphs;
        ``stroke`` thickens the strokes, for bold figures (SimHei's digits are narrow and it
        has no ¥)."""
        font = _font(size, face)
        if not spacing:
            self.draw.text(
                xy, text, font=font, fill=fill, anchor=anchor, stroke_width=stroke, stroke_fill=fill
            )
            return font.getlength(text)
        total = sum(font.getlength(ch) for ch in text) + spacing * (len(text) - 1)
        x, y = xy
        if anchor[0] == "m":
            x -= total / 2
        elif anchor[0] == "r":
            x -= total
        for ch in text:
            self.draw.text((x, y), ch, font=font, fill=fill, anchor="l" + anchor[1])
            x += font.getlength(ch) + spacing
        return total

    def fit(self, text: str, size: int, width: float, face: str = "sans") -> int:
        """The largest size up to ``size`` at which ``text`` fits in ``width``."""
        while size > 12 and _font(size, face).getlength(text) > width:
            size -= 1
        return size

    def rect(self, box: Sequence[float], *, outline: Any = INK, width: int = 2, fill: Any = None):
        self.draw.rectangle(list(box), outline=outline, width=width, fill=fill)

    def line(self, points: Sequence[float], *, fill: Any = INK, width: int = 2) -> None:
        self.draw.line(list(points), fill=fill, width=width)


def _wrap(text: str, size: int, width: float, face: str = "sans") -> list[str]:
    """Character-wise wrapping, as Chinese is set: any character may start a line."""
    font = _font(size, face)
    lines, current = [], ""
    for ch in text:
        if current and font.getlength(current + ch) > width:
            lines.append(current)
            current = ch
        else:
            current += ch
    if current:
        lines.append(current)
    return lines


def _seal(page: Page, centre: tuple[float, float], radius: int, ring_text: str, middle: str = ""):
    """A red round seal, half transparent, with its text round the rim and a star inside."""
    size = radius * 2 + 8
    layer = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    c = size / 2
    colour = (*SEAL_RED, 170)
    draw.ellipse([c - radius, c - radius, c + radius, c + radius], outline=colour, width=6)
    star = [
        (
            c + (radius * 0.28 if k % 2 == 0 else radius * 0.11) * math.sin(k * math.pi / 5),
            c - (radius * 0.28 if k % 2 == 0 else radius * 0.11) * math.cos(k * math.pi / 5),
        )
        for k in range(10)
    ]
    draw.polygon(star, fill=colour)
    glyph = max(14, int(radius * 0.22))
    font = _font(glyph, "bold")
    sweep = min(250.0, 22.0 * len(ring_text))
    for k, ch in enumerate(ring_text):
        angle = -sweep / 2 + sweep * (k + 0.5) / len(ring_text)
        tile = Image.new("RGBA", (glyph + 8, glyph + 8), (0, 0, 0, 0))
        ImageDraw.Draw(tile).text((4, 4), ch, font=font, fill=colour)
        tile = tile.rotate(-angle, resample=Image.BICUBIC, expand=True)
        r = radius - glyph * 0.85
        x = c + r * math.sin(math.radians(angle)) - tile.width / 2
        y = c - r * math.cos(math.radians(angle)) - tile.height / 2
        layer.alpha_composite(tile, (int(x), int(y)))
    if middle:
        small = _font(max(12, int(radius * 0.16)), "bold")
        draw.text((c, c + radius * 0.5), middle, font=small, fill=colour, anchor="mm")
    base = page.image.convert("RGBA")
    base.alpha_composite(layer, (int(centre[0] - c), int(centre[1] - c)))
    page.image.paste(base.convert("RGB"))


# --------------------------------------------------------------------------------------------
# Made-up but plausible values

# (province, city, district, division code); the code is the credit code's 3rd–8th characters.
PLACES: tuple[tuple[str, str, str, str], ...] = (
    ("浙江省", "杭州市", "西湖区", "330106"),
    ("浙江省", "杭州市", "拱墅区", "330105"),
    ("浙江省", "杭州市", "余杭区", "330110"),
    ("浙江省", "宁波市", "鄞州区", "330212"),
    ("浙江省", "温州市", "鹿城区", "330302"),
    ("江苏省", "苏州市", "姑苏区", "320508"),
    ("江苏省", "苏州市", "吴中区", "320506"),
    ("江苏省", "南京市", "鼓楼区", "320106"),
    ("广东省", "深圳市", "南山区", "440305"),
    ("广东省", "深圳市", "宝安区", "440306"),
    ("广东省", "佛山市", "顺德区", "440606"),
    ("四川省", "成都市", "武侯区", "510107"),
    ("四川省", "成都市", "成华区", "510108"),
    ("湖北省", "武汉市", "江汉区", "420103"),
    ("湖北省", "武汉市", "洪山区", "420111"),
    ("山东省", "济南市", "历下区", "370102"),
    ("福建省", "厦门市", "思明区", "350203"),
    ("湖南省", "长沙市", "岳麓区", "430104"),
    ("河南省", "郑州市", "金水区", "410105"),
    ("", "上海市", "闵行区", "310112"),
    ("", "重庆市", "渝北区", "500112"),
)
STREETS = (
    "文三路", "天目山路", "莫干山路", "古墩路", "人民路", "解放路", "中山路", "建设路", "学院路",
    "工业园路", "兴业大道", "环城北路", "滨江路", "新华路", "光明路", "金桥路", "长江路", "科技路",
    "商贸街", "振兴路", "东湖路", "青年路", "和平路", "幸福路", "创业大道", "民主路",
)  # fmt: skip
TOWNS = ("城南街道", "城东街道", "新塘街道", "石桥街道", "北干街道", "高新街道", "龙泉镇", "新市镇")
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁蔡蒋余于杜叶程"
)
GIVEN = (
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "涛", "明", "超",
    "秀英", "建华", "志强", "建国", "海燕", "晓东", "春梅", "国平", "立新", "红霞", "文斌", "玉兰",
    "德明", "永强", "雪梅", "宏伟", "佳怡", "子涵", "俊杰", "振华", "美玲", "金凤", "长春", "家豪",
)  # fmt: skip
TRADE_NAMES = (
    "鑫源", "恒达", "华盛", "瑞丰", "众诚", "永泰", "宏远", "金桥", "博远", "锦程", "德润", "佳禾",
    "盛和", "兴隆", "汇通", "天成", "安泰", "嘉信", "聚丰", "祥和", "新越", "明辉", "广融", "润泽",
    "铭扬", "东方红", "万家福", "日升", "百川", "裕隆", "正茂", "乐邦", "同创", "禾丰", "开元",
)  # fmt: skip
# (name part, business scope, shop word for individual businesses and signboards)
INDUSTRIES: tuple[tuple[str, str, str], ...] = (
    ("五金制品", "五金产品、水暖器材、建筑材料的批发与零售；金属制品加工。", "五金建材"),
    ("服装", "服装、鞋帽、针纺织品、服饰配件的批发与零售。", "服装店"),
    ("食品", "预包装食品、散装食品的批发与零售；农副产品销售。", "副食批发"),
    ("机械设备", "机械设备及配件的研发、生产与销售；机械设备维修；货物进出口。", "机械"),
    ("餐饮管理", "餐饮服务；餐饮管理；食品销售；外卖递送服务。", "家常菜馆"),
    ("建材", "建筑材料、装饰材料、卫生洁具、陶瓷制品的销售；室内装饰装修。", "建材商行"),
    ("电子科技", "电子产品、计算机软硬件的技术开发、技术服务；电子元器件销售。", "电子商行"),
    ("物流", "道路普通货物运输；仓储服务（不含危险化学品）；国内货运代理。", "物流"),
    ("包装材料", "包装材料、塑料制品的生产与销售；纸制品销售。", "包装"),
    ("汽车服务", "机动车维修；汽车零配件销售；洗车服务；汽车装饰用品销售。", "汽修"),
    ("纺织", "纺织品、面料、辅料的生产加工与销售；服装制造。", "布行"),
    ("农业科技", "蔬菜、水果种植与销售；农业技术咨询、技术推广服务。", "生鲜超市"),
    ("家具", "家具制造；家具销售；木制品加工；室内装饰材料销售。", "家具城"),
    ("印刷", "包装装潢印刷品、其他印刷品印刷；广告设计、制作。", "图文快印"),
)
COMPANY_TYPES = (
    "有限责任公司（自然人投资或控股）",
    "有限责任公司（自然人独资）",
    "其他有限责任公司",
    "股份有限公司（非上市、自然人投资或控股）",
)
BANKS = (
    ("中国工商银行", "ICBC"),
    ("中国农业银行", "ABC"),
    ("中国建设银行", "CCB"),
    ("中国银行", "BOC"),
    ("交通银行", "BOCOM"),
    ("招商银行", "CMB"),
    ("浙江农商银行", "ZJRCU"),
    ("杭州银行", "HZB"),
    ("江苏银行", "JSB"),
)
# (category, item, unit, specification, tax rate)
GOODS: tuple[tuple[str, str, str, str, float], ...] = (
    ("五金制品", "水暖配件", "套", "DN20", 0.13),
    ("金属制品", "不锈钢管", "吨", "304/Φ32", 0.13),
    ("纺织产品", "棉布", "米", "150cm", 0.13),
    ("塑料制品", "包装袋", "个", "60×80", 0.13),
    ("谷物", "大米", "千克", "25kg/袋", 0.09),
    ("电子元件", "电容器", "个", "CBB22", 0.13),
    ("家具", "办公桌", "张", "1.6m", 0.13),
    ("日用杂品", "清洁用品", "箱", "", 0.13),
    ("机械设备", "数控车床", "台", "CK6150", 0.13),
    ("纸制品", "瓦楞纸箱", "个", "五层", 0.13),
    ("建筑服务", "工程服务", "项", "", 0.09),
    ("运输服务", "货物运输服务", "次", "", 0.09),
    ("餐饮服务", "餐饮服务", "次", "", 0.06),
    ("信息技术服务", "软件维护服务", "年", "", 0.06),
    ("陶瓷制品", "瓷砖", "平方米", "800×800", 0.13),
)
PHONE_CARRIERS = ("中国移动", "中国电信", "中国联通")
LICENCE_SCOPES_SUFFIX = "（依法须经批准的项目，经相关部门批准后方可开展经营活动）"


def credit_check_character(first17: str) -> str:
    """GB 32100-2015: weights 3^i mod 31 over the alphabet's positions."""
    total = sum(CREDIT_CODE_ALPHABET.index(ch) * pow(3, i, 31) for i, ch in enumerate(first17))
    return CREDIT_CODE_ALPHABET[(31 - total % 31) % 31]


def credit_code(rng: random.Random, division: str, individual: bool = False) -> str:
    """Registered by market regulation (9), an enterprise (1) or individual business (2); the
    organisation part starts "MA" like every code issued since 2015."""
    body = "9" + ("2" if individual else "1") + division + "MA"
    body += "".join(rng.choice(CREDIT_CODE_ALPHABET) for _ in range(17 - len(body)))
    return body + credit_check_character(body)


def person(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN)


def address(rng: random.Random, place: tuple[str, str, str, str]) -> str:
    province, city, district, _code = place
    street, number = rng.choice(STREETS), rng.randint(1, 1999)
    match rng.randrange(4):
        case 0:
            room = f"{rng.randint(1, 25)}0{rng.randint(1, 9)}"
            tail = f"{street}{number}号{rng.randint(1, 12)}幢{room}室"
        case 1:
            tail = f"{rng.choice(TOWNS)}{street}{number}号"
        case 2:
            tail = f"{street}{number}号{rng.randint(1, 5)}楼"
        case _:
            tail = f"{street}{number}号{rng.choice('ABCD')}区{rng.randint(1, 30)}号商铺"
    return f"{province}{city}{district}{tail}" if rng.random() < 0.7 else f"{city}{district}{tail}"


def company(rng: random.Random, place: tuple[str, str, str, str]) -> tuple[str, int]:
    """A company name and the index of its industry."""
    industry = rng.randrange(len(INDUSTRIES))
    city = place[1].removesuffix("市")
    trade = rng.choice(TRADE_NAMES)
    prefix = rng.choice((city, city, place[1] + place[2].removesuffix("区"), place[1]))
    kind = "有限公司" if rng.random() < 0.85 else "股份有限公司"
    return f"{prefix}{trade}{INDUSTRIES[industry][0]}{kind}", industry


def shop(rng: random.Random, industry: int | None = None) -> str:
    """A shop's everyday name, as on its signboard: 鑫源五金建材, 老王家常菜馆."""
    word = INDUSTRIES[rng.randrange(len(INDUSTRIES)) if industry is None else industry][2]
    match rng.randrange(3):
        case 0:
            return rng.choice(TRADE_NAMES) + word
        case 1:
            return "老" + rng.choice(SURNAMES) + word
        case _:
            return rng.choice(SURNAMES) + "记" + word


def yuan(value: float) -> str:
    """12,345.00 — amounts as banks and invoices print them."""
    return f"{value:,.2f}"


def cn_date(day: date) -> str:
    return f"{day.year}年{day.month:02d}月{day.day:02d}日"


def random_day(rng: random.Random, start: date, end: date) -> date:
    return start + timedelta(days=rng.randint(0, (end - start).days))


def month_end(day: date) -> date:
    following = date(day.year + day.month // 12, day.month % 12 + 1, 1)
    return following - timedelta(days=1)


DIGITS_CN = "零壹贰叁肆伍陆柒捌玖"


def _capital_section(n: int) -> str:
    """0 < n < 10000 in capitals, with the zeros a cheque writer puts in: 1005 → 壹仟零伍."""
    out, zero = "", False
    for unit_index, unit in ((3, "仟"), (2, "佰"), (1, "拾"), (0, "")):
        digit = n // 10**unit_index % 10
        if digit == 0:
            zero = bool(out)
            continue
        if zero:
            out += "零"
            zero = False
        out += DIGITS_CN[digit] + unit
    return out


def capital_number(n: int) -> str:
    """A whole number in Chinese capital numerals: 113000 → 壹拾壹万叁仟."""
    if n == 0:
        return "零"
    sections = []
    while n:
        sections.append(n % 10000)
        n //= 10000
    out = ""
    for index in range(len(sections) - 1, -1, -1):
        section = sections[index]
        if section == 0:
            continue
        if out and (section < 1000 or sections[index + 1] == 0):
            out += "零"
        out += _capital_section(section) + ("", "万", "亿", "万亿")[index]
    return out


def capital_amount(value: float, unit: str = "圆") -> str:
    """An amount as written on an invoice or cheque: 113000.5 → 壹拾壹万叁仟圆伍角."""
    cents = round(value * 100)
    whole, jiao, fen = cents // 100, cents // 10 % 10, cents % 10
    out = capital_number(whole) + unit if whole else ""
    if not jiao and not fen:
        return out + "整"
    if jiao:
        out += DIGITS_CN[jiao] + "角"
    elif whole:
        out += "零"
    if fen:
        out += DIGITS_CN[fen] + "分"
    return out


def _split_cents(rng: random.Random, total: int, parts: int) -> list[int]:
    """``total`` cents in ``parts`` uneven positive pieces that add up to it exactly."""
    parts = max(1, min(parts, total))
    weights = [rng.lognormvariate(0, 0.9) for _ in range(parts)]
    scale = sum(weights)
    pieces = [max(1, int(total * w / scale)) for w in weights]
    pieces[-1] += total - sum(pieces)
    while pieces[-1] < 1:  # the floor of 1 cent overshot: take the excess from the largest
        biggest = max(range(parts - 1), key=pieces.__getitem__)
        moved = min(pieces[biggest] - 1, 1 - pieces[-1])
        pieces[biggest] -= moved
        pieces[-1] += moved
    rng.shuffle(pieces)
    return pieces


def _check_overrides(doc_type: str, overrides: dict[str, Any]) -> None:
    unknown = set(overrides) - set(FIELD_NAMES[doc_type])
    if unknown:
        raise TypeError(f"{doc_type} has no field {', '.join(sorted(unknown))}")


@dataclass
class DocumentSample:
    name: str
    doc_type: str  # a DocumentType value
    truth: dict[str, Any]
    image: bytes  # JPEG
    upside_down: bool = False
    # Other things printed that are no field but help to check one (a statement's transactions).
    printed: dict[str, Any] = field(default_factory=dict)


# --------------------------------------------------------------------------------------------
# The phone photo


def _perspective_coefficients(
    source: Sequence[tuple[float, float]], target: Sequence[tuple[float, float]]
) -> list[float]:
    """Pillow's PERSPECTIVE data: for each output pixel, where to sample the input."""
    import numpy as np

    rows, rhs = [], []
    for (x, y), (u, v) in zip(target, source, strict=True):
        rows.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        rows.append([0, 0, 0, x, y, 1, -v * x, -v * y])
        rhs.extend((u, v))
    return [float(c) for c in np.linalg.solve(np.array(rows), np.array(rhs))]


def _backdrop(rng: random.Random, size: tuple[int, int], kind: str) -> Image.Image:
    """A desk (wood, laminate, a counter) or a shop-front wall, with some texture."""
    import numpy as np

    width, height = size
    desks = {
        "desk": ((150, 108, 70), (96, 64, 40), (188, 150, 110), (120, 122, 128), (214, 212, 204),
                 (62, 92, 72)),
        "wall": ((196, 190, 178), (150, 146, 140), (222, 214, 196), (118, 112, 108)),
    }  # fmt: skip
    base = np.array(rng.choice(desks[kind]), dtype=np.float32)
    noise = np.random.default_rng(rng.getrandbits(64))
    # Wood grain runs along the desk: coarse in one direction, fine in the other.
    grain = noise.normal(0, 1, (6, 48) if kind == "desk" else (8, 8)).astype(np.float32)
    grain_img = Image.fromarray(
        ((grain - grain.min()) / (np.ptp(grain) + 1e-6) * 255).astype("uint8")
    )
    texture = np.asarray(grain_img.resize((width, height), Image.BICUBIC), dtype=np.float32)
    texture = (texture / 255 - 0.5) * rng.uniform(18, 40)
    pixels = base[None, None, :] + texture[:, :, None]
    return Image.fromarray(np.clip(pixels, 0, 255).astype("uint8"))


def degrade(
    image: Image.Image,
    rng: random.Random,
    *,
    upside_down: bool | None = None,
    backdrop: str = "desk",
) -> tuple[bytes, bool]:
    """The page as a phone photo of it: on a desk, turned up to ±6°, in slight perspective,
    unevenly lit, soft (Gaussian blur up to 1.2 px), noisy, 1200–2400 px on its long side, as a
    JPEG of quality 45–85. About one in twelve is upside down unless ``upside_down`` says.
    ``backdrop="scene"`` is for a picture that is already a scene (a shop front): it fills the
    frame, cropped at the edges, instead of lying on a desk.

    Returns the JPEG and whether it was turned upside down.
    """
    import numpy as np

    page = image.convert("RGB")
    width, height = page.size
    scene = backdrop == "scene"
    margin = 0.0 if scene else rng.uniform(0.05, 0.16)
    canvas = (int(width * (1 + 2 * margin)), int(height * (1 + 2 * margin)))
    photo = _backdrop(rng, canvas, "wall" if scene else backdrop)

    angle = math.radians(rng.uniform(-6, 6))
    # A scene is enlarged just enough that its turned corners leave no gap at the frame's edge.
    sine, cosine = abs(math.sin(angle)), math.cos(angle)
    zoom = cosine + max(width / height, height / width) * sine + 0.07 if scene else 1.0
    centre = (
        canvas[0] / 2 + rng.uniform(-0.4, 0.4) * margin * width,
        canvas[1] / 2 + rng.uniform(-0.4, 0.4) * margin * height,
    )
    # The camera is rarely square on: one edge of the sheet comes out a little shorter.
    keystone = rng.uniform(-0.035, 0.035)
    sideways = rng.uniform(-0.025, 0.025)
    corners = [(0, 0), (width, 0), (width, height), (0, height)]
    placed = []
    for x, y in corners:
        dx, dy = (x - width / 2) * zoom, (y - height / 2) * zoom
        dx *= 1 + keystone * (1 if dy < 0 else -1)
        dy *= 1 + sideways * (1 if dx < 0 else -1)
        dx += rng.uniform(-0.008, 0.008) * width
        dy += rng.uniform(-0.008, 0.008) * height
        placed.append(
            (
                centre[0] + dx * math.cos(angle) - dy * math.sin(angle),
                centre[1] + dx * math.sin(angle) + dy * math.cos(angle),
            )
        )
    coefficients = _perspective_coefficients(corners, placed)
    warped = page.transform(canvas, Image.PERSPECTIVE, coefficients, Image.BICUBIC)
    mask = Image.new("L", page.size, 255).transform(
        canvas, Image.PERSPECTIVE, coefficients, Image.BILINEAR
    )
    if not scene:
        # A faint shadow along the sheet's edge, where it lifts off the desk.
        shadow = mask.filter(ImageFilter.GaussianBlur(12)).point(lambda v: int(v * 0.35))
        photo = Image.composite(Image.new("RGB", canvas, (30, 25, 20)), photo, shadow)
    photo.paste(warped, (0, 0), mask)

    long_side = rng.randint(1200, 2400)
    scale = long_side / max(canvas)
    photo = photo.resize(
        (max(1, round(canvas[0] * scale)), max(1, round(canvas[1] * scale))), Image.LANCZOS
    )

    pixels = np.asarray(photo, dtype=np.float32)
    h, w = pixels.shape[:2]
    # Light from one side: a ramp across the picture in a random direction.
    direction = rng.uniform(0, 2 * math.pi)
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    ramp = (xs / w - 0.5) * math.cos(direction) + (ys / h - 0.5) * math.sin(direction)
    pixels *= (1 - rng.uniform(0.05, 0.28) * (ramp + 0.5))[:, :, None]
    pixels *= np.array([rng.uniform(0.94, 1.05) for _ in range(3)], dtype=np.float32)
    photo = Image.fromarray(np.clip(pixels, 0, 255).astype("uint8"))
    photo = ImageEnhance.Brightness(photo).enhance(rng.uniform(0.85, 1.12))
    photo = ImageEnhance.Contrast(photo).enhance(rng.uniform(0.75, 1.15))
    photo = photo.filter(ImageFilter.GaussianBlur(rng.uniform(0.0, 1.2)))

    noise = np.random.default_rng(rng.getrandbits(64))
    pixels = np.asarray(photo, dtype=np.float32)
    pixels += noise.normal(0, rng.uniform(1.5, 6.0), pixels.shape).astype(np.float32)
    photo = Image.fromarray(np.clip(pixels, 0, 255).astype("uint8"))

    turned = rng.random() < 1 / 12 if upside_down is None else upside_down
    if turned:
        photo = photo.rotate(180)
    out = io.BytesIO()
    photo.save(out, "JPEG", quality=rng.randint(45, 85))
    return out.getvalue(), turned


def _finish(
    page: Page, rng: random.Random, photo: bool, backdrop: str = "desk"
) -> tuple[bytes, bool]:
    if photo:
        return degrade(page.image, rng, backdrop=backdrop)
    out = io.BytesIO()
    page.image.save(out, "JPEG", quality=92)
    return out.getvalue(), False


# --------------------------------------------------------------------------------------------
# 营业执照


def _qr(page: Page, rng: random.Random, box: tuple[int, int], size: int) -> None:
    """Something with the look of a QR code; nobody scans it."""
    cells = 25
    cell = size / cells
    x0, y0 = box
    for row in range(cells):
        for col in range(cells):
            finder = any(
                r0 <= row < r0 + 7 and c0 <= col < c0 + 7 for r0, c0 in ((0, 0), (0, 18), (18, 0))
            )
            if finder:
                ring = max(
                    abs(row % 18 - 3) if row >= 18 else abs(row - 3),
                    abs(col % 18 - 3) if col >= 18 else abs(col - 3),
                )
                dark = ring in (0, 1, 3)
            else:
                dark = rng.random() < 0.5
            if dark:
                page.draw.rectangle(
                    [
                        x0 + col * cell,
                        y0 + row * cell,
                        x0 + (col + 1) * cell,
                        y0 + (row + 1) * cell,
                    ],
                    fill=INK,
                )


def _spaced_label(label: str, chars: int = 4) -> str:
    """Labels set to the width of the longest: 名称 → 名　　称 (ideographic spaces)."""
    if len(label) >= chars:
        return label
    if len(label) == 2:
        return label[0] + "　" * (chars - 2) + label[1]
    return "　".join(label) if chars == 5 else label


def make_licence(
    rng: random.Random, *, degrade: bool = True, variant: int | None = None, **overrides: Any
) -> DocumentSample:
    """A business licence (营业执照): the original (正本), the copy (副本), or an individual
    business's (个体工商户, with 经营者, 经营场所, 注册日期 and no registered capital)."""
    _check_overrides("licence", overrides)
    variant = rng.randrange(3) if variant is None else variant % 3
    individual = variant == 2
    place = rng.choice(PLACES)
    if individual:
        industry = rng.randrange(len(INDUSTRIES))
        name = f"{place[1]}{place[2]}{shop(rng, industry)}"
        if not name.endswith(("店", "馆", "行", "城", "市")):
            name += rng.choice(("店", "经营部", "商行"))
    else:
        name, industry = company(rng, place)
    established = random_day(rng, date(2008, 1, 1), date(2024, 12, 31))
    truth: dict[str, Any] = {
        "credit_code": credit_code(rng, place[3], individual),
        "name": name,
        "legal_representative": person(rng),
        "address": address(rng, place),
        "established_on": established.isoformat(),
    }
    if not individual:
        truth["registered_capital"] = float(
            rng.choice((10, 30, 50, 100, 200, 300, 500, 800, 1000, 2000, 5000)) * 10_000
        )
    truth.update(overrides)
    if truth.get("registered_capital") is None:
        truth.pop("registered_capital", None)
    established = date.fromisoformat(truth["established_on"])

    capital_text = ""
    if "registered_capital" in truth:
        capital = truth["registered_capital"]
        wan = capital / 10_000
        forms = [f"{capital_amount(capital, '元')}", f"人民币{capital_amount(capital, '元')}"]
        if wan == int(wan):
            forms += [f"人民币{int(wan)}万元", f"{int(wan)}万元人民币"]
        capital_text = rng.choice(forms)
    if rng.random() < 0.6:
        term = f"{cn_date(established)}至长期"
    else:
        years = rng.choice((10, 20, 30))
        last = date(established.year + years, established.month, 1) - timedelta(days=1)
        term = f"{cn_date(established)}至{cn_date(last)}"
    scope = INDUSTRIES[industry][1] + (LICENCE_SCOPES_SUFFIX if rng.random() < 0.6 else "")

    width, height = 2000, 1414
    page = Page(width, height, (252, 249, 242))
    # The guilloché background printed on the licence paper.
    for k in range(0, height, 9):
        page.draw.arc([-300, k - 900, width + 300, k + 300], 200, 340, fill=(240, 232, 222))
    frame = (170, 104, 56)
    page.rect([28, 28, width - 28, height - 28], outline=frame, width=10)
    page.rect([52, 52, width - 52, height - 52], outline=frame, width=2)
    page.draw.ellipse([width / 2 - 56, 70, width / 2 + 56, 182], fill=(198, 40, 36))
    page.draw.ellipse([width / 2 - 40, 86, width / 2 + 40, 166], outline=(236, 190, 60), width=5)
    page.text((width / 2, 126), "★", 40, fill=(236, 190, 60), anchor="mm", face="bold")
    page.text((width / 2, 262), "营业执照", 112, face="bold", anchor="mm", spacing=70)
    if variant == 1:
        page.text((width / 2, 350), "（副　本）", 38, anchor="mm", face="serif")
        page.text((width - 110, 110), f"副本编号：{rng.randint(1, 3)}-1", 24, anchor="ra")
    if variant == 0:
        serial = f"{place[3]}{rng.randint(10**13, 10**14 - 1)}"
        page.text((width - 110, 110), f"证照编号：{serial}", 24, anchor="ra", face="serif")

    code_y = 370
    if variant == 1:
        page.text((120, code_y), "统一社会信用代码", 32, face="bold")
        page.text((120, code_y + 48), truth["credit_code"], 40, face="serif")
    else:
        label_width = page.text((120, code_y + 40), "统一社会信用代码", 32, face="bold")
        page.text((120 + label_width + 24, code_y + 36), truth["credit_code"], 38, face="serif")
    _qr(page, rng, (width - 310, 190), 180)
    page.text((width - 220, 382), "扫描二维码登录“国家企业信用", 16, anchor="ma", fill=GREY_INK)
    page.text((width - 220, 404), "信息公示系统”了解更多登记、", 16, anchor="ma", fill=GREY_INK)
    page.text((width - 220, 426), "备案、许可、监管信息。", 16, anchor="ma", fill=GREY_INK)

    size = 34
    line_height = 50
    spaced = variant != 1
    label_face = "bold"

    def column(x: int, value_x: int, right: int, pairs: list[tuple[str, str]]) -> None:
        y = 520
        for label, value in pairs:
            page.text((x, y), _spaced_label(label) if spaced else label, size, face=label_face)
            for line in _wrap(value, size, right - value_x, "serif"):
                page.text((value_x, y), line, size, face="serif")
                y += line_height
            y += 22

    representative = ("经 营 者" if spaced else "经营者") if individual else "法定代表人"
    left = [
        ("名称", truth["name"]),
        ("类型", "个体工商户" if individual else rng.choice(COMPANY_TYPES)),
        (representative, truth["legal_representative"]),
        ("经营范围", scope),
    ]
    if individual:
        right = [
            ("组成形式", "个人经营"),
            ("注册日期", cn_date(established)),
            ("经营场所", truth["address"]),
        ]
    else:
        right = [
            ("注册资本", capital_text),
            ("成立日期", cn_date(established)),
            ("营业期限", term),
            ("住所", truth["address"]),
        ]
    label_width = int(_font(size, label_face).getlength("法定代表人")) + 34
    column(120, 120 + label_width, 960, left)
    column(1040, 1040 + label_width, width - 110, [p for p in right if p[1]])

    issued = random_day(rng, max(established, date(2016, 1, 1)), date(2026, 6, 30))
    page.text((1330, 1150), "登记机关", 34, face="bold")
    page.text((1330, 1240), cn_date(issued), 32, face="serif")
    _seal(page, (1560, 1175), 105, f"{place[1]}{place[2]}市场监督管理局")
    page.text(
        (120, 1290), "国家企业信用信息公示系统网址：http://www.gsxt.gov.cn", 20, fill=GREY_INK
    )
    page.text(
        (120, 1322),
        "市场主体应当于每年1月1日至6月30日通过国家企业信用信息公示系统报送公示年度报告。",
        20,
        fill=GREY_INK,
    )
    page.text((width - 110, 1322), "国家市场监督管理总局监制", 18, anchor="ra", fill=GREY_INK)

    image, turned = _finish(page, rng, degrade)
    return DocumentSample("licence", "licence", truth, image, turned)


# --------------------------------------------------------------------------------------------
# 银行对账单 / 流水

# What a transaction of a given size is usually for: (from yuan, words), the largest first.
CREDIT_WORDS = (
    (5_000, ("货款", "转账", "网银转入", "销售回款", "汇入", "工程款")),
    (500, ("货款", "转账", "微信提现", "支付宝提现", "网银转入")),
    (0, ("利息", "转账", "微信提现")),
)
DEBIT_WORDS = (
    (20_000, ("进货款", "货款", "转账", "代发工资", "房租")),
    (300, ("电费", "运费", "社保", "税费", "房租", "工资", "转账", "货款", "水费")),
    (0, ("手续费", "短信服务费", "转账")),
)
# Summaries with the bank or the tax office, not a customer, on the other side.
NO_COUNTERPARTY = ("手续费", "短信服务费", "利息", "社保", "代发工资")


def _account_number(rng: random.Random) -> str:
    digits = "".join(str(rng.randrange(10)) for _ in range(19))
    return " ".join(digits[k : k + 4] for k in range(0, 19, 4)) if rng.random() < 0.5 else digits


def make_statement(
    rng: random.Random, *, degrade: bool = True, variant: int | None = None, **overrides: Any
) -> DocumentSample:
    """A bank statement of 10–20 transactions. ``credits_total`` / ``debits_total`` overrides
    are split into transactions that add up to them to the cent; a ``large_items`` override
    puts exactly those transactions in and keeps every other one under the large-item floor."""
    _check_overrides("statement", overrides)
    variant = rng.randrange(3) if variant is None else variant % 3
    place = rng.choice(PLACES)
    account_name = company(rng, place)[0] if rng.random() < 0.7 else person(rng)
    first_month = date(2026, rng.randint(1, 8), 1)
    start = first_month if rng.random() < 0.7 else first_month + timedelta(days=rng.randint(1, 20))
    months = rng.choice((1, 1, 2, 3))
    end = month_end(date(first_month.year, min(12, first_month.month + months - 1), 1))
    start = date.fromisoformat(overrides.get("period_start", start.isoformat()))
    end = date.fromisoformat(overrides.get("period_end", end.isoformat()))
    if end < start:
        end = month_end(start)
    account_name = overrides.get("account_name", account_name)

    fixed: list[tuple[str, int, str]] = []  # (direction, cents, date) the caller asked for
    for item in overrides.get("large_items") or []:
        fixed.append((item["direction"], round(item["amount"] * 100), item.get("date", "")))
    rows = rng.randint(10, 20)
    n_credits = max(1, round(rows * rng.uniform(0.3, 0.5)))
    n_debits = max(1, rows - n_credits)
    cap = LARGE_ITEM_MIN * 100 - 1 if "large_items" in overrides else None

    def amounts(direction: str, count: int, total: float | None) -> list[int]:
        pinned = [c for d, c, _ in fixed if d == direction]
        free = max(0, count - len(pinned))
        if total is None:
            if direction == "in":
                draws = [rng.lognormvariate(math.log(22_000), 1.0) for _ in range(free)]
            else:
                draws = [rng.lognormvariate(math.log(6_000), 1.2) for _ in range(free)]
            cents = [
                max(100, round(v) * 100 if rng.random() < 0.7 else round(v * 100)) for v in draws
            ]
            if cap is not None:
                cents = [min(c, cap) for c in cents]
            return pinned + cents
        remaining = round(total * 100) - sum(pinned)
        if remaining < 0:
            raise ValueError(f"large items exceed the {direction} total")
        if remaining == 0:
            return pinned
        if cap is not None:
            free = max(free, -(-remaining // cap) + 1)
        pieces = _split_cents(rng, remaining, max(free, 1))
        while cap is not None and max(pieces) > cap:
            pieces = _split_cents(rng, remaining, len(pieces) + 1)
        return pinned + pieces

    credits = amounts("in", n_credits, overrides.get("credits_total"))
    debits = amounts("out", n_debits, overrides.get("debits_total"))
    counterparties = [company(rng, rng.choice(PLACES))[0] for _ in range(6)] + [
        person(rng) for _ in range(3)
    ]
    span = (end - start).days
    pinned_dates = {c: d for _dir, c, d in fixed if d}
    transactions = []  # (date, direction, cents, summary, counterparty)
    for direction, values in (("in", credits), ("out", debits)):
        for cents in values:
            when = pinned_dates.pop(cents, None)
            day = date.fromisoformat(when) if when else start + timedelta(rng.randint(0, span))
            by_size = CREDIT_WORDS if direction == "in" else DEBIT_WORDS
            summary = rng.choice(next(w for floor, w in by_size if cents >= floor * 100))
            other = "" if summary in NO_COUNTERPARTY else rng.choice(counterparties)
            if summary == "税费":
                other = f"国家税务总局{place[1]}{place[2]}税务局"
            elif summary == "电费":
                other = f"国网{place[0] or place[1]}电力有限公司"
            elif summary == "水费":
                other = f"{place[1]}水务集团有限公司"
            elif summary in ("工资", "代发工资"):
                other = person(rng) if summary == "工资" else ""
            transactions.append((day, direction, cents, summary, other))
    transactions.sort(key=lambda t: t[0])
    lowest, running = 0, 0
    for _day, direction, cents, _s, _o in transactions:
        running += cents if direction == "in" else -cents
        lowest = min(lowest, running)
    opening = -lowest + rng.randint(5_000, 300_000) * 100

    credits_total = sum(credits) / 100
    debits_total = sum(debits) / 100
    large_items = [
        {
            "date": day.isoformat(),
            "amount": cents / 100,
            "direction": direction,
            "text": f"{summary} {other}".strip(),
        }
        for day, direction, cents, summary, other in transactions
        if cents >= LARGE_ITEM_MIN * 100
    ]
    truth = {
        "account_name": account_name,
        "period_start": start.isoformat(),
        "period_end": end.isoformat(),
        "credits_total": credits_total,
        "debits_total": debits_total,
        "large_items": large_items,
    }

    bank, abbreviation = rng.choice(BANKS)
    width = 1654
    row_height = 56
    table_top = 520 if variant != 2 else 600
    height = max(2339, table_top + row_height * (len(transactions) + 2) + 520)
    page = Page(width, height)
    page.draw.ellipse([90, 80, 160, 150], fill=(196, 30, 40))
    page.text(
        (125, 115),
        abbreviation,
        22 if len(abbreviation) < 5 else 17,
        fill="white",
        anchor="mm",
        face="bold",
    )
    page.text((180, 90), bank, 48, face="bold")
    personal = len(account_name) <= 4
    if personal:
        title = ("账户交易明细", "活期账户对账单", "个人账户交易流水")[variant]
    else:
        title = ("账户交易明细", "对公账户对账单", "单位账户交易流水")[variant]
    page.text((width / 2, 210), title, 46, face="bold", anchor="mm", spacing=6)

    size = 28
    match variant:
        case 0:
            period = f"起止日期：{start.isoformat()} 至 {end.isoformat()}"
        case 1:
            period = f"查询期间：{cn_date(start)}—{cn_date(end)}"
        case _:
            period = f"起止日期：{start:%Y/%m/%d} - {end:%Y/%m/%d}"
    printed = end + timedelta(days=rng.randint(1, 20))
    info = [
        (f"户名：{account_name}", f"账号：{_account_number(rng)}"),
        ("币种：人民币", period),
        (f"开户行：{bank}{place[1]}{place[2]}支行", f"打印日期：{printed.isoformat()}"),
    ]
    y = 290
    for left, right in info:
        page.text((90, y), left, size)
        page.text((860, y), right, size)
        y += 52

    if variant == 2:
        summary_line = (
            f"收入笔数：{len(credits)}笔　收入总额：{yuan(credits_total)}　"
            f"支出笔数：{len(debits)}笔　支出总额：{yuan(debits_total)}"
        )
        page.text((90, 470), summary_line, size - 2)
        page.text((90, 520), f"期初余额：{yuan(opening / 100)}", size - 2)

    if variant == 1:
        headers = ("记账日期", "摘要", "对方户名", "借方发生额", "贷方发生额", "余额")
        money_columns = ("out", "in")
    elif variant == 2:
        headers = ("交易日期", "交易摘要", "对方户名", "贷方", "借方", "余额")
        money_columns = ("in", "out")
    else:
        headers = ("交易日期", "摘要", "对方户名", "收入", "支出", "余额")
        money_columns = ("in", "out")
    widths = (190, 170, 440, 210, 210, 244)
    xs = [90]
    for w in widths:
        xs.append(xs[-1] + w)
    cell = 26
    top = table_top
    page.rect(
        [xs[0], top, xs[-1], top + row_height], outline=GREY_INK, width=2, fill=(226, 232, 240)
    )
    for k, header in enumerate(headers):
        page.text(
            ((xs[k] + xs[k + 1]) / 2, top + row_height / 2), header, cell, face="bold", anchor="mm"
        )
    balance = opening
    y = top + row_height
    for day, direction, cents, summary, other in transactions:
        balance += cents if direction == "in" else -cents
        page.line([xs[0], y + row_height, xs[-1], y + row_height], fill=(200, 200, 205), width=1)
        shown = (day.isoformat(), f"{day:%Y%m%d}", f"{day:%Y/%m/%d}")[variant]
        middle = y + row_height / 2
        page.text((xs[0] + 10, middle), shown, cell, anchor="lm")
        page.text((xs[1] + 10, middle), summary, cell, anchor="lm")
        other_size = page.fit(other, cell, widths[2] - 16)
        page.text((xs[2] + 8, middle), other, other_size, anchor="lm")
        column = 3 if direction == money_columns[0] else 4
        page.text((xs[column + 1] - 12, middle), yuan(cents / 100), cell, anchor="rm")
        page.text((xs[6] - 12, middle), yuan(balance / 100), cell, anchor="rm")
        y += row_height
    page.rect([xs[0], top, xs[-1], y], outline=GREY_INK, width=2)
    for x in xs[1:-1]:
        page.line([x, top, x, y], fill=(170, 170, 176), width=1)

    y += 40
    match variant:
        case 0:
            page.text((90, y), f"本期收入合计：{yuan(credits_total)}", size)
            page.text((760, y), f"本期支出合计：{yuan(debits_total)}", size)
            page.text((90, y + 52), f"期末余额：{yuan(balance / 100)}", size)
        case 1:
            page.text((90, y), f"借方发生额合计：{yuan(debits_total)}", size)
            page.text((760, y), f"贷方发生额合计：{yuan(credits_total)}", size)
            page.text((90, y + 52), f"借方笔数：{len(debits)}　贷方笔数：{len(credits)}", size)
            page.text((760, y + 52), f"期末余额：{yuan(balance / 100)}", size)
        case _:
            page.text((90, y), f"期末余额：{yuan(balance / 100)}", size)
    _seal(page, (width - 300, y + 200), 120, f"{bank}{place[1]}{place[2]}支行", "业务专用章")
    page.text((width / 2, height - 90), "第 1 页 / 共 1 页", 22, anchor="mm", fill=GREY_INK)

    image, turned = _finish(page, rng, degrade)
    printed = {
        "transactions": [
            {
                "date": day.isoformat(),
                "direction": direction,
                "amount": cents / 100,
                "summary": summary,
                "counterparty": other,
            }
            for day, direction, cents, summary, other in transactions
        ],
        "opening_balance": opening / 100,
        "closing_balance": balance / 100,
    }
    return DocumentSample("statement", "statement", truth, image, turned, printed)


# --------------------------------------------------------------------------------------------
# 增值税发票


def make_invoice(
    rng: random.Random, *, degrade: bool = True, variant: int | None = None, **overrides: Any
) -> DocumentSample:
    """A VAT invoice in the e-invoice layout: buyer left, seller right, one item line, and the
    total with tax (``amount``) in words and figures. ``goods`` is the item name as printed,
    with its category between asterisks (*五金制品*水暖配件)."""
    _check_overrides("invoice", overrides)
    variant = rng.randrange(3) if variant is None else variant % 3
    seller_place, buyer_place = rng.choice(PLACES), rng.choice(PLACES)
    category, item, unit, spec, rate = rng.choice(GOODS)
    if variant == 1 and rng.random() < 0.5:
        rate = rng.choice((0.03, 0.01))  # small-scale taxpayers' ordinary invoices
    quantity = rng.choice((1, 2, 5, 10, 20, 50, 100, 120, 200, 300, 500, 1000))
    if unit in ("项", "次", "年", "台"):
        quantity = rng.choice((1, 1, 2, 3))
    issued = random_day(rng, date(2025, 6, 1), date(2026, 10, 31))
    net_cents = round(rng.lognormvariate(math.log(30_000), 1.1) * 100)
    truth: dict[str, Any] = {
        "seller_name": company(rng, seller_place)[0],
        "buyer_name": company(rng, buyer_place)[0],
        "amount": 0.0,
        "issued_on": issued.isoformat(),
        "goods": f"*{category}*{item}",
    }
    truth.update(overrides)
    if "amount" in overrides:
        total_cents = round(overrides["amount"] * 100)
        net_cents = round(total_cents / (1 + rate))
    else:
        total_cents = net_cents + round(net_cents * rate)
    tax_cents = total_cents - net_cents
    truth["amount"] = total_cents / 100
    issued = date.fromisoformat(truth["issued_on"])
    seller_code = credit_code(rng, seller_place[3])
    buyer_code = credit_code(rng, buyer_place[3])

    width, height = 2100, 1400
    page = Page(width, height)
    ink = (150, 70, 36)
    match variant:
        case 0:
            title = "电子发票（增值税专用发票）"
        case 1:
            title = "电子发票（普通发票）"
        case _:
            region = seller_place[0].removesuffix("省") or seller_place[1].removesuffix("市")
            title = f"{region}增值税普通发票"
    page.text((width / 2, 110), title, 60, fill=ink, face="bold", anchor="mm", spacing=4)
    page.line([width / 2 - 420, 158, width / 2 + 420, 158], fill=ink, width=3)
    page.line([width / 2 - 420, 166, width / 2 + 420, 166], fill=ink, width=3)
    number = f"{issued:%y}{seller_place[3][:2]}{rng.randint(10**15, 10**16 - 1)}"
    if variant == 2:
        page.text((80, 70), f"发票代码：0{seller_place[3][:4]}{rng.randint(1000000, 9999999)}", 26)
        number = f"{rng.randint(10**7, 10**8 - 1)}"
        page.text((1560, 220), f"校验码：{rng.randint(10**9, 10**10 - 1)}", 24, fill=ink)
    page.text((1560, 70), f"发票号码：{number}", 28, fill=ink)
    page.text((1560, 120), f"开票日期：{cn_date(issued)}", 28, fill=ink)
    _qr(page, rng, (80, 40) if variant != 2 else (80, 110), 130 if variant != 2 else 100)

    left, right, top = 60, width - 60, 260
    mid = width // 2
    block = 230
    page.rect([left, top, right, top + block], outline=ink, width=3)
    page.line([mid, top, mid, top + block], fill=ink, width=3)
    size = 28
    code_label = "统一社会信用代码/纳税人识别号：" if variant != 2 else "纳税人识别号："
    name_label = "名称：" if variant != 2 else "名　　称："
    for x0, side, name, code in (
        (left, "购买方信息" if variant != 2 else "购买方", truth["buyer_name"], buyer_code),
        (mid, "销售方信息" if variant != 2 else "销售方", truth["seller_name"], seller_code),
    ):
        page.line([x0 + 62, top, x0 + 62, top + block], fill=ink, width=2)
        step = block / (len(side) + 1)
        for k, ch in enumerate(side):
            page.text((x0 + 31, top + step * (k + 1)), ch, 26, fill=ink, anchor="mm", face="bold")
        available = mid - left - 100
        label_w = page.text((x0 + 84, top + 40), name_label, size, fill=ink)
        name_size = page.fit(name, size, available - label_w)
        page.text((x0 + 84 + label_w, top + 40), name, name_size, face="serif")
        label_w = page.text((x0 + 84, top + 110), code_label, size - 2, fill=ink)
        page.text((x0 + 84 + label_w, top + 110), code, size, face="serif")
        if variant == 2:
            phone = f"0{rng.randint(10, 999)}-{rng.randint(10**7, 10**8 - 1)}"
            page.text((x0 + 84, top + 170), f"地址、电话：{place_short(rng)} {phone}", 22, fill=ink)

    top += block
    headers = ("项目名称", "规格型号", "单位", "数量", "单价", "金额", "税率/征收率", "税额")
    widths = (470, 220, 130, 160, 270, 270, 200, 260)
    xs = [left]
    for w in widths:
        xs.append(xs[-1] + w)
    xs[-1] = right
    items_bottom = top + 470
    page.rect([left, top, right, items_bottom], outline=ink, width=3)
    for k, header in enumerate(headers):
        page.text(((xs[k] + xs[k + 1]) / 2, top + 36), header, 26, fill=ink, anchor="mm")
    net, tax = net_cents / 100, tax_cents / 100
    price = net / quantity
    price_text = (
        f"{price:.2f}"
        if abs(price * 100 - round(price * 100)) < 1e-6
        else (f"{price:.8f}".rstrip("0"))
    )
    row_y = top + 100
    cells = (
        truth["goods"],
        spec,
        unit,
        str(quantity),
        price_text,
        yuan(net),
        f"{round(rate * 100)}%",
        yuan(tax),
    )
    for k, value in enumerate(cells):
        if k == 0:
            page.text((xs[0] + 14, row_y), value, page.fit(value, 26, widths[0] - 20), anchor="lm")
        elif value:
            page.text((xs[k + 1] - 14, row_y), value, 26, anchor="rm")
    total_y = items_bottom - 45
    page.text((xs[0] + 40, total_y), "合　　计", 28, fill=ink, anchor="lm")
    page.text((xs[6] - 14, total_y), f"¥{yuan(net)}", 28, anchor="rm")
    page.text((xs[8] - 14, total_y), f"¥{yuan(tax)}", 28, anchor="rm")

    top = items_bottom
    page.rect([left, top, right, top + 80], outline=ink, width=3)
    page.line([left + 330, top, left + 330, top + 80], fill=ink, width=2)
    page.text((left + 165, top + 40), "价税合计（大写）", 28, fill=ink, anchor="mm")
    page.text(
        (left + 360, top + 40),
        f"⊗{capital_amount(total_cents / 100)}",
        30,
        anchor="lm",
        face="serif",
    )
    page.text((1480, top + 40), "（小写）", 28, fill=ink, anchor="lm")
    page.text((1600, top + 40), f"¥{yuan(total_cents / 100)}", 30, anchor="lm")
    top += 80
    page.rect([left, top, right, top + 200], outline=ink, width=3)
    page.line([left + 62, top, left + 62, top + 200], fill=ink, width=2)
    for k, ch in enumerate("备注"):
        page.text((left + 31, top + 70 + 60 * k), ch, 26, fill=ink, anchor="mm", face="bold")
    if rng.random() < 0.5:
        page.text((left + 90, top + 40), f"合同编号：HT{issued:%Y}{rng.randint(100, 999)}", 24)
    page.text((120, top + 260), f"开票人：{person(rng)}", 28, fill=ink)
    if variant == 2:
        _seal(page, (1700, top + 150), 95, truth["seller_name"], "发票专用章")

    image, turned = _finish(page, rng, degrade)
    return DocumentSample("invoice", "invoice", truth, image, turned)


def place_short(rng: random.Random) -> str:
    place = rng.choice(PLACES)
    return f"{place[1]}{place[2]}{rng.choice(STREETS)}{rng.randint(1, 999)}号"


# --------------------------------------------------------------------------------------------
# 水电燃气费、话费

UNIT_WORDS = {"kWh": "千瓦时", "m3": "立方米", "t": "吨", "min": "分钟"}


def make_utility_bill(
    rng: random.Random, *, degrade: bool = True, variant: int | None = None, **overrides: Any
) -> DocumentSample:
    """An electricity, water, gas or phone bill. A phone bill shows its call minutes only
    sometimes; ``consumption=None`` leaves the consumption off any bill."""
    _check_overrides("utility_bill", overrides)
    variant = rng.randrange(2) if variant is None else variant % 2
    utility = overrides.get("utility") or rng.choice(UTILITIES)
    place = rng.choice(PLACES)
    month = date(2026, rng.randint(1, 10), 1)
    start, end = month, month_end(month)
    if utility == "water" and rng.random() < 0.4:  # billed every two months in many cities
        end = month_end(date(2026, month.month + 1, 1))
    if rng.random() < 0.6:
        account_name = company(rng, place)[0]
    else:
        account_name = person(rng) if utility == "phone" else shop(rng)
    match utility:
        case "electricity":
            unit, consumption = "kWh", float(rng.randint(80, 12_000))
            price = rng.choice((0.5380, 0.5880, 0.6170, 0.6950, 0.7810, 0.8230))
            amount = round(consumption * price, 2)
        case "water":
            unit, consumption = rng.choice(("t", "t", "m3")), float(rng.randint(6, 900))
            price = rng.choice((2.9, 3.4, 3.95, 4.6, 5.2))
            amount = round(consumption * price, 2)
        case "gas":
            unit, consumption = "m3", float(rng.randint(10, 3_000))
            price = rng.choice((2.53, 2.98, 3.2, 3.45, 3.9))
            amount = round(consumption * price, 2)
        case _:
            unit, consumption = "min", float(rng.randint(30, 2_400))
            price = 0.0
            amount = round(rng.choice((58, 88, 128, 158, 199, 288)) + consumption * 0.1, 2)
    truth: dict[str, Any] = {
        "utility": utility,
        "account_name": account_name,
        "period_start": start.isoformat(),
        "period_end": end.isoformat(),
        "amount": amount,
        "consumption": consumption,
        "consumption_unit": unit,
    }
    if utility == "phone" and rng.random() < 0.5:
        del truth["consumption"], truth["consumption_unit"]
    truth.update(overrides)
    if truth.get("consumption") is None:
        truth.pop("consumption", None)
        truth.pop("consumption_unit", None)
    elif "consumption_unit" not in truth:
        truth["consumption_unit"] = unit
    utility = truth["utility"]
    start = date.fromisoformat(truth["period_start"])
    end = date.fromisoformat(truth["period_end"])
    amount = truth["amount"]

    city = place[1]
    region = place[0] or city
    issuer, title, account_label, address_label, period_label = {
        "electricity": (
            f"国网{region}电力有限公司{city.removesuffix('市')}供电公司",
            rng.choice(("电费通知单", "电费缴费凭证", "电费账单")),
            "户号",
            "用电地址",
            "计费周期",
        ),
        "water": (
            f"{city}{rng.choice(('水务集团有限公司', '自来水有限公司', '供排水有限公司'))}",
            rng.choice(("水费缴费通知单", "水费账单")),
            "用户编号",
            "用水地址",
            "抄表期间",
        ),
        "gas": (
            f"{city}{rng.choice(('燃气集团有限公司', '港华燃气有限公司', '天然气有限公司'))}",
            rng.choice(("燃气费账单", "燃气费缴费通知单")),
            "用户号",
            "用气地址",
            "抄表期间",
        ),
        "phone": (
            f"{rng.choice(PHONE_CARRIERS)}{region.removesuffix('省').removesuffix('市')}有限公司",
            rng.choice(("话费账单", "月度账单", "通信费账单")),
            "手机号码",
            "账单地址",
            "计费周期",
        ),
    }[utility]
    if utility == "phone":
        number = f"1{rng.choice('3578')}{rng.randint(0, 9)}{rng.randint(10**7, 10**8 - 1)}"
        account = number if rng.random() < 0.5 else f"{number[:3]}****{number[-4:]}"
    else:
        account = str(rng.randint(10**9, 10**10 - 1))
    period = (
        f"{start.isoformat()}至{end.isoformat()}"
        if rng.random() < 0.7
        else f"{cn_date(start)}至{cn_date(end)}"
    )
    rows: list[tuple[str, str]] = [
        ("户名" if utility != "phone" or rng.random() < 0.5 else "客户名称", truth["account_name"]),
        (account_label, account),
        (address_label, address(rng, place)),
        (period_label, period),
    ]
    shown_consumption = truth.get("consumption")
    unit_word = UNIT_WORDS.get(truth.get("consumption_unit", ""), "")
    if shown_consumption is not None:
        quantity = (
            f"{shown_consumption:,.0f}"
            if shown_consumption == int(shown_consumption)
            else (f"{shown_consumption:,.2f}")
        )
    if utility == "electricity":
        previous = rng.randint(1000, 90_000)
        rows += [("上期示数", str(previous))]
        if shown_consumption is not None:
            rows += [
                ("本期示数", str(previous + int(shown_consumption))),
                ("本期用电量", f"{quantity} {unit_word}"),
            ]
        rows += [("电价", f"{price:.4f} 元/千瓦时")]
        amount_label = rng.choice(("本期电费", "应缴金额", "应交电费"))
    elif utility in ("water", "gas"):
        word = "用水量" if utility == "water" else "用气量"
        previous = rng.randint(100, 9000)
        rows += [("上次读数", str(previous))]
        if shown_consumption is not None:
            rows += [
                ("本次读数", str(previous + int(shown_consumption))),
                (word, f"{quantity} {unit_word}"),
            ]
        rows += [("单价", f"{price:.2f} 元/{unit_word or '吨'}")]
        amount_label = rng.choice(("应缴金额", "本期水费" if utility == "water" else "本期燃气费"))
    else:
        plan = rng.choice((58, 88, 128, 158, 199))
        rows += [("套餐", f"{plan}元畅享套餐")]
        if shown_consumption is not None:
            rows += [("通话时长", f"{quantity} {unit_word}")]
        rows += [("上网流量", f"{rng.randint(2, 80)}.{rng.randint(10, 99)} GB")]
        amount_label = rng.choice(("本期消费合计", "应缴金额", "本期话费"))
    due = end + timedelta(days=rng.randint(10, 25))

    width, height = 1240, 1754
    page = Page(width, height, (255, 255, 253))
    accent = {
        "electricity": (0, 112, 96),
        "water": (20, 96, 178),
        "gas": (220, 110, 20),
        "phone": (0, 98, 180),
    }[utility]
    page.rect([0, 0, width, 150], outline=accent, width=1, fill=accent)
    page.text(
        (80, 75),
        issuer,
        page.fit(issuer, 40, width - 160, "bold"),
        fill="white",
        face="bold",
        anchor="lm",
    )
    page.text((width / 2, 230), title, 52, face="bold", anchor="mm", spacing=8)
    size = 30
    y = 320
    if variant == 0:
        # Boxed form: a label column and a value column.
        for label, value in rows:
            page.rect([80, y, width - 80, y + 72], outline=(150, 150, 150), width=2)
            page.rect([80, y, 340, y + 72], outline=(150, 150, 150), width=2, fill=(238, 242, 246))
            page.text((210, y + 36), label, size, anchor="mm")
            value_size = page.fit(value, size, width - 80 - 370)
            page.text((365, y + 36), value, value_size, anchor="lm")
            y += 72
        y += 60
        page.rect([80, y, width - 80, y + 110], outline=accent, width=3)
        page.text((120, y + 55), f"{amount_label}：", 40, face="bold", anchor="lm")
        page.text(
            (width - 120, y + 55), f"¥{yuan(amount)}", 48, anchor="rm", stroke=1, fill=(190, 30, 30)
        )
        y += 170
    else:
        # Receipt-like: label：value lines with dotted rules between them.
        for label, value in rows:
            line = f"{label}：{value}"
            page.text((100, y), line, page.fit(line, size, width - 200))
            for x in range(100, width - 100, 14):
                page.draw.point((x, y + 56), fill=(170, 170, 170))
            y += 76
        y += 40
        page.text((100, y), f"{amount_label}：¥{yuan(amount)}", 46, stroke=1)
        page.text((100, y + 80), f"（{capital_amount(amount, '元')}）", 28, fill=GREY_INK)
        y += 190
    page.text((100, y), f"缴费截止日期：{cn_date(due)}", 28)
    page.text((100, y + 60), "请及时缴费，逾期将按规定收取违约金。", 26, fill=GREY_INK)
    hotline = {"electricity": "95598", "water": "96390", "gas": "96777", "phone": "10086"}[utility]
    page.text((100, y + 110), f"服务热线：{hotline}", 26, fill=GREY_INK)
    if utility != "phone" and rng.random() < 0.5:
        _seal(page, (width - 260, y + 60), 100, issuer, "收费专用章")

    image, turned = _finish(page, rng, degrade)
    return DocumentSample("utility_bill", "utility_bill", truth, image, turned)


# --------------------------------------------------------------------------------------------
# 门头招牌

BOARD_COLOURS = (
    ((196, 28, 34), (255, 236, 120)),
    ((196, 28, 34), (255, 255, 255)),
    ((18, 70, 150), (255, 255, 255)),
    ((20, 110, 60), (255, 255, 255)),
    ((30, 30, 32), (236, 196, 90)),
    ((236, 120, 20), (255, 255, 255)),
    ((245, 245, 240), (180, 20, 30)),
)
SLOGANS = (
    "诚信经营 品质保证",
    "批发 零售",
    "欢迎光临",
    "专业 · 诚信 · 服务",
    "量大从优",
    "本店承接各类订单",
    "新店开业 优惠多多",
)


def make_signboard(
    rng: random.Random, *, degrade: bool = True, variant: int | None = None, **overrides: Any
) -> DocumentSample:
    """A shop front: the name large on a coloured board, sometimes with a phone number or a
    slogan in small type, above the shop's door."""
    _check_overrides("signboard", overrides)
    variant = rng.randrange(3) if variant is None else variant % 3
    truth = {"name": overrides.get("name") or shop(rng)}
    name = truth["name"]
    board, letters = rng.choice(BOARD_COLOURS)
    width, height = 2600, 1500
    wall = rng.choice(((206, 200, 188), (170, 166, 160), (226, 218, 200), (188, 160, 140)))
    page = Page(width, height, wall)
    # Tiled facade: faint joints every few hundred pixels.
    joint = tuple(max(0, c - 18) for c in wall)
    for y in range(0, height, 150):
        page.line([0, y, width, y], fill=joint, width=3)
    left, right = 240, width - 240
    board_top = rng.randint(180, 260)
    board_bottom = board_top + rng.randint(440, 520)
    page.rect(
        [left - 14, board_top - 14, right + 14, board_bottom + 14],
        outline=(80, 80, 84),
        width=4,
        fill=(120, 120, 126),
    )
    page.rect([left, board_top, right, board_bottom], outline=board, width=1, fill=board)
    # The shop below the board: a dark doorway between glass panes.
    page.rect(
        [left, board_bottom + 14, right, height], outline=(60, 60, 60), width=4, fill=(70, 76, 84)
    )
    for x in range(left, right - 200, 350):
        page.rect(
            [x + 20, board_bottom + 60, min(x + 330, right - 20), height],
            width=6,
            outline=(40, 40, 40),
            fill=(110, 124, 138),
        )
    text_area = right - left - 200
    band = (board_bottom - board_top) * (0.62 if variant else 0.72)
    spacing = min(60.0, text_area / max(len(name), 1) * 0.15)
    size = int(band)
    while size > 40 and (
        sum(_font(size, "bold").getlength(ch) for ch in name) + spacing * (len(name) - 1)
        > text_area
    ):
        size -= 4
    centre_y = board_top + (board_bottom - board_top) * (0.42 if variant else 0.5)
    page.text(
        (width / 2, centre_y), name, size, fill=letters, face="bold", anchor="mm", spacing=spacing
    )
    small_y = board_bottom - (board_bottom - board_top) * 0.12
    if variant == 1:
        digits = f"1{rng.choice('3578')}{rng.randint(10**8, 10**9 - 1)}"
        phone = f"{digits[:3]} {digits[3:7]} {digits[7:]}"
        page.text((right - 80, small_y), f"电话：{phone}", 54, fill=letters, anchor="rm")
    elif variant == 2:
        page.text(
            (width / 2, small_y), rng.choice(SLOGANS), 58, fill=letters, anchor="mm", spacing=16
        )
    image, turned = _finish(page, rng, degrade, backdrop="scene")
    return DocumentSample("signboard", "signboard", truth, image, turned)


# --------------------------------------------------------------------------------------------
# The set

MAKERS: dict[str, Callable[..., DocumentSample]] = {
    "licence": make_licence,
    "statement": make_statement,
    "invoice": make_invoice,
    "utility_bill": make_utility_bill,
    "signboard": make_signboard,
}


def generate_sample(index: int, seed: int = 7) -> DocumentSample:
    """The ``index``-th photo of the set for ``seed``: the five types in turn, and within a
    type each layout (and each utility) in turn. Each photo draws from its own generator, so it
    does not depend on the others and sets can be built in parallel or in part."""
    doc_type = DOC_TYPES[index % len(DOC_TYPES)]
    turn = index // len(DOC_TYPES)
    rng = random.Random(f"documents:{seed}:{index}")
    extra: dict[str, Any] = {"variant": turn}
    if doc_type == "utility_bill":
        # Each utility in turn, and the layouts shifted every round so each utility gets both.
        extra["utility"] = UTILITIES[turn % len(UTILITIES)]
        extra["variant"] = turn + turn // len(UTILITIES)
    sample = MAKERS[doc_type](rng, **extra)
    sample.name = f"{index + 1:03d}_{doc_type}"
    return sample


def generate_set(count: int = 60, seed: int = 7) -> list[DocumentSample]:
    """``count`` photos, the types in round-robin; the first n of a bigger set are a set of n."""
    return [generate_sample(index, seed) for index in range(count)]


def write_set(samples: Sequence[DocumentSample], out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with (out / "truth.jsonl").open("w", encoding="utf-8") as fh:
        for sample in samples:
            (out / f"{sample.name}.jpg").write_bytes(sample.image)
            record = {"name": sample.name, "doc_type": sample.doc_type, "truth": sample.truth}
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, required=True, help="directory for the JPEGs")
    parser.add_argument("--count", type=int, default=60)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    samples = generate_set(args.count, args.seed)
    write_set(samples, args.out)
    per_type = {t: sum(s.doc_type == t for s in samples) for t in DOC_TYPES}
    megabytes = sum(len(s.image) for s in samples) / 1e6
    sys.stdout.write(
        f"wrote {len(samples)} photos ({', '.join(f'{n} {t}' for t, n in per_type.items())}; "
        f"{sum(s.upside_down for s in samples)} upside down; {megabytes:.1f} MB) "
        f"and truth.jsonl to {args.out}\n"
    )


if __name__ == "__main__":
    main()
