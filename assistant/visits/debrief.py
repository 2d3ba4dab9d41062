"""Answers from a free-form paragraph: "员工30，在岗26，月薪4500左右，月租两万二，
去年做了三千二百万，工行还有500万贷款，没给别人担保" fills every question it speaks of.

The rules need no model. They read the checklist's own data: each question's ``cues`` (the words
that show the paragraph speaks of it), its options' labels and ``also`` words, its quick replies
and its unit; numbers go through the same parser as typed answers. A wrong value is worse than a
missing one, so the rules leave out what is not a current fact about this client: plans
("打算扩到50个人"), hearsay ("隔壁那家说…"), other periods ("上个月", "去年同期"), ranges
("二三十个") and bounds ("不到三成", "over 50"). A value that the paragraph does not hold is never
made up. A paragraph that turns to another subject (the collateral, the guarantor, a relative's
shop) fills only that subject's questions until it turns back to the business: the checklist
names each question's ``topic``.

With a chat model configured, :meth:`Debriefer.extract` then asks it, through structured output,
for what the rules left: each value it names is read by the same parsers and kept only when its
quote is in the paragraph and the question accepts it.
"""

from __future__ import annotations

import functools
import logging
import re
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from assistant.data.checklist import NUMERIC, AnswerType, Cues, Item
from assistant.llm import LlmComponent
from assistant.visits.parsing import (
    CN_DIGITS,
    EN_NUMBER_RUN,
    NOT_NUMERALS,
    NUMERAL_CHARS,
    UNIT_WORDS,
    ParseError,
    Quantity,
    parse_quantity,
    parse_yes_no,
    spoken_decimal,
    spoken_percent,
)

log = logging.getLogger(__name__)

# A sentence ends at these (not at the point of "Mr." or "No."), and at a space before Chinese
# words: notes and transcribed speech run on unpunctuated ("员工18 在岗15", "今年到现在六十来万
# 毛利三成左右"), though not between a cue and its figure ("月租 一万二"). A clause ends at a comma
# (not a thousands separator), an enumeration comma, a bracket or a dash. Plans and hearsay reach
# to the end of their sentence, a cue only within its clause.
_ABBREVIATION = "".join(
    rf"(?<!\b{a})" for a in ("Mr", "Mrs", "Ms", "Dr", "No", "no", "Co", "St", "Rd", "Ltd", "vs")
)
# Not "嗯一年下来", "嗯一共": 一 there starts a word, not a figure.
_FILLER_THEN_FIGURE = rf"[嗯呃]+\s*(?!一(?:年|个月|天|共|般|直|下|些|样|起|定))[\d{NUMERAL_CHARS}]"
SENTENCE_END = re.compile(
    rf"[。！？!?；;\n]+|(?<!\d){_ABBREVIATION}\.(?!\d)|{_ABBREVIATION}\.(?=\s+[A-Z])|"
    rf"(?<=[\w%㎡])\s+(?=[^\x00-\x7f\s])(?![{NUMERAL_CHARS}])(?!{_FILLER_THEN_FIGURE})|"
    # Dictation runs on without stops: its fillers and particles end the thought instead
    # ("…三十个左右然后在岗的二十六个", "…四千五左右吧然后…", "嗯月租两万二"), though not a
    # filler between a cue and its figure ("今年到现在 嗯 八十万左右").
    rf"(?=然后|[嗯呃]+)(?!{_FILLER_THEN_FIGURE})|(?<=[吧啊嘛呢])(?<!酒吧)(?<!网吧)(?=[\u4e00-\u9fff])|"
    r"\s+(?=\b(?:um+|uh+|erm|and then)\b)|"
    # English dictation without stops: a subject and its verb start a new thought ("…seven in
    # today she also mentioned her husband has a car loan…"), so that what is said of a
    # relative stays in its own sentence; not after a time ("last year they had 40 staff").
    r"(?<=[a-z0-9%])(?<!year)(?<!month)(?<!week)(?<!ago)(?<!since)\s+(?=(?:she|he|they|we|i)\s+(?:(?:also|herself|himself|themselves)\s+)?(?:has|have|had|is|was|are|were|"
    r"says|said|told|mentioned|met|opened|pays|paid|runs|ran|reckons|thinks|wants|owes|"
    r"hasn't|hasnt|doesn't|doesnt|didn't|didnt)\b)"
)
CLAUSE_END = re.compile(
    r"[，、（）()]|,(?!\d{3}(?!\d))|\s+-\s+|——|\bbut\b|但是?|不过|"
    # An estimate closes its figure, and dictation goes on to the next one without a comma
    # ("工资五千左右房租两万八"); a correction starts afresh ("四百万哦不对是四百五十万").
    r"(?<=[\d十百千万一二两三四五六七八九个人天平元块k](?:左右|上下))(?=[\u4e00-\u9fff])(?![的吧啊])|(?=[哦噢]\s*不(?:对|是))|"
    r"(?<=[\w\s])(?=\bno,? sorry\b)|(?<=[\w\s])(?<!\bno )(?<!\bno, )(?=\bsorry\b)|"
    r"(?<=[\w\s])(?=\b(?:no wait|i mean)\b)"
)
# What someone intends or has heard is not a fact about this client now; a clause that starts
# with "现在" or "now" speaks of the present again.
PLAN = re.compile(
    r"打算|准备|(?<!比)计划|想要|想|争取|目标|有望|希望|明年|下半年|将来|(?<![款那此])以后|能做到|能到|冲到|扩到|"
    r"预计|应该能|应该会|可能要|可能会|能过|"
    r"\b(?:plan|planning|plans|going to|intend|intends|hope|hopes|aim|aims|target|next year|"
    r"will|would like|wants? to|expects? to)\b"
)
WISH = re.compile(r"争取|希望|有望|想要|想|目标|hope|hopes|aim|aims|target|would like|wants? to")
HEARSAY = re.compile(
    r"听说|据说|听人说|隔壁|邻居|旁边那家|同行说|传言|别人说|好像|"
    r"\b(?:heard|rumou?r|neighbou?r|next door|supposedly|people say|they say)\b"
)
PRESENT = re.compile(
    r"^\s*(?:现在|目前|眼下|其实|他自己说|自己说|本人说|老板说|now\b|currently\b|at present\b|"
    r"right now\b|he says|she says|the owner says)"
)
# Figures of another period than the question's own.
OTHER_PERIOD = re.compile(
    r"上个月|上月|去年同期|同期|前年|上季度|上半年|同比|环比|上次|上回|"
    r"\b(?:last month|same period|the year before|previous year|last quarter|a year ago|"
    r"last time|last visit)\b"
)
# Last year is a period of its own questions ("去年营业额"), not of the others ("去年员工40个"),
# unless the clause names the present too ("…this year so far 41 million").
LAST_YEAR = re.compile(r"去年|\blast year\b")
PERIOD = re.compile(r"去年|今年|现在|目前|\b(?:last year|this year|now|currently)\b")
# Last year as the time something was so, not as what now is compared with ("比去年差").
LAST_YEAR_ALONE = re.compile(r"(?<![比跟和较同于])(?:去年|前年)(?!同期)|(?<!than )\blast year\b")
PRESENT_PERIOD = re.compile(r"今年|现在|目前|\b(?:this year|now|currently)\b")
# Figures that were so once or on paper ("员工原来四个", "档案登记3000平"), or that the officer
# found untrue ("他说的库存三十万对不上"), are not the client's figures now.
NOT_NOW = re.compile(
    r"原来|原先|以前|之前|过去|档案登记|档案上是|(?:对不上|不相符|不符)(?!的?金额)|"
    r"\b(?:originally|previously|used to|formerly|former|on file|on record|does not match|"
    r"doesn't match|did not match|didn't match)\b"
)
BESIDES = re.compile(
    r"除此之外|除此以外|此外|除了这笔|除了这个|\b(?:other than that|apart from that|besides that)\b"
)
OTHER = re.compile(r"别的|其他|其它|任何|\b(?:other|any other|anything else)\b")
QUESTION = re.compile(
    r"有没有|是否|有无|能不能|会不会|是不是|没准|说不准|不一定|\bwhether\b|\bnot sure\b"
)
# A clause about another business (a relative's shop, the company the client guaranteed) says
# nothing about this client's; it reaches to the end of its sentence.
ELSEWHERE = re.compile(
    r"(?:弟弟|哥哥|姐姐|妹妹|表哥|表弟|表姐|表妹|堂哥|堂弟|亲戚|朋友|儿子|女儿|老公|老婆|爱人|丈夫|"
    r"妻子|父母|连襟)(?:在\S{0,6}?)?(?:另外|自己)?开(?:了|的)|"
    r"(?:弟弟|哥哥|姐姐|妹妹|亲戚|朋友|儿子|女儿|老公|老婆|爱人|丈夫|公司|厂|店|企业)那边|"
    r"\b(?:his|her|their) (?:brother|sister|cousin|son|daughter|wife|husband|friend|relative)"
    r"(?:'s (?:shop|store|company|business|firm|factory)| (?:runs|owns|has) (?:a|an|the)\b)"
)
# After a cue, these make it the name of a party: "投资方", "投资者".
PARTY = {"方", "者"}
# Words no question has as a topic: the clause speaks of nothing that can be filled.
ELSEWHERE_TOPIC = Cues(zh=("\x00elsewhere",))
# "员工十个，哦不对，是十二个": the figure that follows replaces the one just given.
CORRECTION = re.compile(
    rf"^(?:[哦噢呃啊嗯]\s*)?(?:不对|不是|说错了|我说错了|更正一下|更正|纠正一下|纠正)(?=\s*(?:是|$|\d|[{NUMERAL_CHARS}]))|"
    r"^(?:no,? sorry|sorry|i mean|correction|no wait)\b"
)
# Words that narrow a denial to one kind of a thing: "他行无贷款" leaves room for a private loan.
PART = re.compile(
    r"他行|别的银行|其他银行|其它银行|银行|民间|私人|亲戚|朋友|网贷|小贷|信用卡|"
    r"\b(?:bank|banks|private|friends?|relatives?|family|online)\b"
)
JOINED = re.compile(r"\s*(?:及|和|与|以及|或|或者|、|跟|\band\b|\bor\b|\bnor\b|,)\s*")
# "不少", "不错": words with 不 in them that deny nothing.
NOT_DENIAL = re.compile(r"不少|不错|不小|不断|不低|不久")
# Words with a denial in them that say something is still open or owed: "未决诉讼",
# "车贷没还完".
UNRESOLVED = re.compile(r"未决|未了结|没了结|未结|没还完|没还清|未还清|未结清|没结清|还没还完")
NEGATION_ZH = re.compile(r"没有|没|无|未|从未|并未|不曾|不")
# A clause that opens with a denial denies what it goes on to name.
CLAUSE_NEGATED = re.compile(
    r"^\s*(?:目前|现在|暂时|其实|确实|基本上?)?(?:也|都|还|并|从来)?(?:没有|没|无|未曾|未|从没)(?!多久|几天|过多久)"
)
# "不需要续贷", "不能按期竣工": the negation sits before a verb of need or ability.
NEGATED_NEED = re.compile(r"不(?:需要?|用|会|想|打算|能|可能|必要?|准备)$")
# "no." before a figure numbers something ("warehouse no. 3").
NEGATION_EN = re.compile(r"\b(?:no(?!\.?\s*\d)|not|never|none|without|nor|nothing)\b|n't|\bunchang")
NEGATION_AFTER = re.compile(
    r"^\s*(?:的)?(?:也|都|倒|基本|暂时|目前|现在|还|就)?(?:没有|没|无)|^\W*(?:none|nil|no(?!\.?\s*\d))\b"
)
# Notes written as "他行贷款：无", "Guarantees: none": the value after the colon denies.
DENIED_VALUE = re.compile(r"^[^:]{0,8}:\s*(?:无|没有|没|否|none|nil|no|n/a)(?![a-z])")
# Bounds, vague counts, guesses and where a change began: "不到三成", "三十多", "十几个",
# "over 50", "maybe 20", "从五千涨到六千".
BOUND_BEFORE = re.compile(
    r"(?:不到|不足|不超过|少于|低于|超过|多于|高于|至少|最多|最少|起码|将近|接近|几|"
    r"(?<![最附])近|(?<![很])快|(?<![大小])小|"
    r"\bover|\bmore than|\bless than|\bfewer than|\bunder|\bat least|\bat most|\bup to|\babove|"
    r"\bbelow|\bnearly|\balmost|\bupwards of|\bjust under|\bjust over|\bbetween|\bmaybe|"
    r"\bperhaps|\bpossibly|也许|或许|从|\bfrom)\s*$"
)
BOUND_AFTER = re.compile(
    r"^\s*(?:以上|以下|以内|开外|出头|多(?!少)|\+|plus\b|or more\b|or less\b|and up\b)"
)
APPROXIMATE_BEFORE = re.compile(
    r"(?:约|大约|大概|差不多|估计|大致|≈|~|～|\babout|\baround|\broughly|\bapproximately|\bsome)\s*$"
)
# A count of something else than people, area, money, percent or time: "两家店", "3台机器"; and
# a half ("一半") is no count.
CLASSIFIERS = set(
    "家台辆套间次号岁倍楼层栋期笔条张户款种项批件口把只头箱吨斤瓶回遍圈趟轮处座幢所份"
)
# A number that names something rather than counts it: "身份证尾号0417", "电话138…", "第3".
NAME_BEFORE = re.compile(
    r"(?:尾号|编号|号码|电话|手机|身份证|卡号|账号|门牌|第|号[a-z]?-?|\bNo\.?|#|\bno\.)\s*$",
    re.IGNORECASE,
)
# A yearly figure is not the answer to a question about a month ("租金一年大概三十万").
YEARLY = re.compile(r"一年|每年|年租|一年下来|\b(?:a|per) year\b|\bannual(?:ly)?\b|\byearly\b")
PERSON_AFTER_GE = re.compile(
    r"^(?:人|员|工|伙计|师傅|店员|服务员|司机|厨师|护士|医生|老师|销售|业务员|保安|保洁|学徒|帮工|"
    # a trade: 美容师, 技术员, 搬运工
    r"[\u4e00-\u9fff]{1,3}(?:师|员|工)(?![\u4e00-\u9fff])|[\u4e00-\u9fff]{1,3}(?:师|员|工)(?=[今在都全，,\s])|"
    r"左右|上下|的样子|在|到岗|上班|干活|都在|全在|今天|现在|目前|平时|那个|然后|嗯)"
)
HAN = re.compile(r"[\u4e00-\u9fff]")
_UNITS = sorted({word for words in UNIT_WORDS.values() for word, _ in words}, key=len, reverse=True)
_GROUPED = r"\d{1,3}(?:,\d{3})+(?!\d)(?:\.\d+)?"  # 3,600,000
_NUMBER = rf"(?:{_GROUPED}|\d+(?:\.\d+)?|[{NUMERAL_CHARS}点])+|{EN_NUMBER_RUN.pattern}"
VALUE = re.compile(
    rf"(?P<pre>百分之)?(?P<num>(?:{_NUMBER})(?:\s*(?:到|至|-|~|～|\bto\b|\bor\b)\s*(?:{_NUMBER}))?)"
    r"(?P<suffix>左右|上下|来|多|余|出头|几)?"
    rf"(?P<unit>\s*(?:{'|'.join(re.escape(u) for u in _UNITS if u.isascii())})(?![a-z])|"
    rf"{'|'.join(re.escape(u) for u in _UNITS if not u.isascii())})?"
    r"(?P<after>左右|上下)?"
)
VAGUE_SUFFIX = {"多", "余", "出头", "几"}
# "20到30", "20-30", "20 or 30"; not the hyphen of "twenty-five".
RANGE = re.compile(
    rf"到|至|~|～|\bto\b|\bor\b|(?<=[\d{NUMERAL_CHARS}])\s*-\s*(?=[\d{NUMERAL_CHARS}])"
)
PERCENT = re.compile(r"%|成|个点|百分之|percent|per cent")
# A figure given as the sum of what came before.
TOTAL = re.compile(
    r"(?:合计|总计|共计|加起来|一共|总共|\bin total|\baltogether|\ball told)\W{0,3}\w{0,4}$"
)
# Two neighbouring digits say a range: "七八个", "一百二三十万", "一万二三".
NEIGHBOURS = re.compile(
    "|".join(f"{a}{b}" for a, b in zip("一二三四五六七八", "二三四五六七八九", strict=True))
    + "|两三|三五"
)
# Words between the parts of a "去年…营业额" cue, at most.
GAP_ZH, GAP_EN = 8, 40


@dataclass(frozen=True)
class Extracted:
    """One answer found in a paragraph.

    Attributes:
        item_id: the stored question id (``flow.interview.staff.headcount_total``).
        value: the stored form: bool for yes_no, the option id for a choice, a number in the
            question's unit, money in 元, percent 0–100; ``item.accepts(value)`` holds.
        approximate: said as an estimate ("左右", "来", "大概", "about").
        text: the clause of the paragraph it came from, as written.
    """

    item_id: str
    value: bool | str | float | int
    approximate: bool
    text: str


@dataclass
class _Cue:
    start: int
    end: int
    items: list[Item]
    contiguous: bool
    negated: bool = False  # "对不上" for the cue "对得上"
    used: bool = False


@dataclass
class _Value:
    start: int
    end: int
    text: str
    vague: bool  # a bound, a range or "三十多": not a value to record


@dataclass
class _Clause:
    raw: str  # as written
    text: str  # normalised for reading
    before: str = ""  # the clauses just before it, normalised
    sentence: int = 0  # its sentence's place in the paragraph
    paused: bool = False  # only a pause (a space) parts it from the clause before
    found: list[Item] = field(default_factory=list)  # what it filled
    void_from: int | None = None  # plans and hearsay from here on
    hearsay: bool = False
    wish: bool = False  # the plan is a wish ("争取", "希望"), not what is expected
    other_period: bool = False  # another period's figures, or no longer or never true ones
    topic: Cues | None = None  # what the clause speaks of when not the client's own business
    cues: list[_Cue] = field(default_factory=list)


class _Found:
    """The answers so far: one value per question; two different values cancel each other."""

    def __init__(self, items: Sequence[Item] = (), answered: Mapping[str, Any] | None = None):
        self.items = {item.id: item for item in items}
        self.answered = answered or {}  # recorded before this paragraph
        self.answers: dict[str, Extracted] = {}
        self.conflicts: set[str] = set()
        self.partial: set[str] = set()  # answered "no" of one part only
        self.added: list[Item] = []  # in the order found

    def add(
        self,
        item: Item,
        value: bool | str | float | int,
        approximate: bool,
        text: str,
        part: bool = False,
    ):
        """Records ``value``; ``part`` marks a "no" that denies one part of what the question
        asks ("他行无贷款", "无民间借贷"): a "yes" said of another part stands over it."""
        if item.id in self.conflicts or not item.accepts(value):
            return
        earlier = self.answers.get(item.id)
        if earlier is not None and value is True and item.id in self.partial:
            del self.answers[item.id]
            self.partial.discard(item.id)
            earlier = None
        elif earlier is not None and part and earlier.value is True:
            return
        if part and value is False:
            self.partial.add(item.id)
        if earlier is not None:
            if earlier.value != value or type(earlier.value) is not type(value):
                del self.answers[item.id]
                self.conflicts.add(item.id)
            return
        self.answers[item.id] = Extracted(item.id, value, approximate, text)
        self.added.append(item)

    def overrule(self, item: Item, value: bool | float | int, approximate: bool, text: str) -> None:
        """``value`` stands over what was found for ``item`` before: a sum over the parts given
        before it ("其他负债合计250万"), an answer written after the question's words over what
        the words alone said ("对外担保 无")."""
        if item.accepts(value):
            self.conflicts.discard(item.id)
            self.answers.pop(item.id, None)
            self.add(item, value, approximate, text)

    def asks(self, item: Item) -> bool:
        """Whether ``item`` is a follow-up of a question answered so as to ask it."""
        parent = self.items.get(item.parent or "")
        if parent is None:
            return False
        value = self.value_of(parent)
        return value is not None and any(
            f.condition.matches(value) for f in parent.follow_ups if item in f.items
        )

    def value_of(self, item: Item) -> Any:
        """``item``'s answer from this paragraph or recorded before; through ``same_as``."""
        for item_id in (item.id, item.same_as):
            if item_id in self.answers:
                return self.answers[item_id].value
        for item_id in (item.id, item.same_as):
            if item_id in self.answered:
                return self.answered[item_id]
        return None

    def has(self, item: Item) -> bool:
        return item.id in self.answers or item.id in self.conflicts


class Debriefer:
    """Fills checklist questions from a free-form paragraph.

    Args:
        llm: the configured chat model, to add what the rules miss; ``None`` for rules only.
    """

    def __init__(self, llm: LlmComponent | None = None) -> None:
        self.llm = llm

    def extract_rules(
        self,
        text: str,
        items: Sequence[Item],
        *,
        lang: str,
        answered: Mapping[str, Any] | None = None,
        kind: str | None = None,
    ) -> list[Extracted]:
        """The answers the rules find in ``text``, in the order of ``items``.

        Args:
            text: the paragraph, typed or transcribed.
            items: the questions that may be filled. Text and date questions never are; a
                follow-up only when it is passed in, and a question that repeats another
                (``same_as``) only when that one is not.
            lang: the paragraph's language (``zh`` or ``en``); cues of both are read, since
                officers mix them ("月租 22k").
            answered: values recorded before, by question id: a follow-up the paragraph
                fills stands when its question was answered so as to ask it, here or before.
            kind: the borrower's kind (``individual`` or ``corporate``), when known: some
                words name a different option for each ("老板本人在").
        """
        items = [item.for_kind(kind) for item in items]
        fillable = _fillable(items)
        vocabulary = _Vocabulary(fillable)
        found = _Found(items, answered)
        topics = _topics(tuple(fillable))
        topic: Cues | None = None
        parts = list(_spoken_sentences(text))
        sentences = [_clauses(sentence, topics) for sentence, _ in parts]
        clauses = [clause for sentence in sentences for clause in sentence]
        index = 0
        said = ""  # the paragraph so far, normalised
        waiting: list[Item] = []
        for number, sentence in enumerate(sentences):
            topic = _carried_topic(topic, sentence, topics, vocabulary)
            # Dictation pauses where a writer puts a comma ("最大的客户是一家建筑公司 占了
            # 销售的四成"): a figure still awaited goes on to the next stretch; a stop ends it,
            # and so does a figure given vaguely ("一百多万 今年生意不太好 到现在四十万").
            last = sentences[number - 1][-1:] if number else []
            paused = parts[number][1] and not any(True for c in last for _ in _values(c.text))
            waiting = waiting if paused else []
            if sentence:
                sentence[0].paused = parts[number][1]
            # What the clauses before it said: this sentence's and the paragraph's last words.
            context = said[-80:]
            settled = False  # the clause naming the topic answered its question
            for clause in sentence:
                named = _named_topic(clause.text, topics)
                if named is None and settled and topic is not None:
                    # "保证人正常，员工20个": a topic answered in its clause ends where the
                    # business is answered again.
                    figures = any(not v.vague for v in _values(clause.text))
                    if _business_again(clause, topic, vocabulary, figures):
                        topic = None
                topic = named or topic
                if ELSEWHERE.search(clause.text):
                    topic = ELSEWHERE_TOPIC
                clause.topic, clause.before, clause.sentence = topic, context, number
                clause.cues = _cues(clause.text, vocabulary, topic, context)
                waiting = self._read(clauses, index, waiting, found)
                if index:
                    _unchanged(clauses[index - 1], clause, vocabulary.items, found)
                    _denied_after(clauses[index - 1], clause, found)
                _all_there(clause, vocabulary.items, found)
                if named is not None:
                    settled = any(_topic(i) == named for i in clause.found)
                context += clause.text
                index += 1
            said += "".join(c.text for c in sentence)
        _settle_follow_ups(found, fillable, items)
        return [found.answers[i.id] for i in fillable if i.id in found.answers]

    def _read(
        self, clauses: list[_Clause], index: int, waiting: list[Item], found: _Found
    ) -> list[Item]:
        """Fills what clause ``index`` states; returns the questions it leaves waiting for the
        next clause."""
        clause = clauses[index]
        start = len(found.added)
        _correct(clauses, index, found)
        self._numbers(clause, found)
        self._yes_no(clause, found)
        # The clauses just before, back past a pause but not a stop ("老板 林总 接待").
        earlier: list[_Clause] = []
        at = index
        while (
            at > 0
            and len(earlier) < 2
            and (clauses[at - 1].sentence == clauses[at].sentence or clauses[at].paused)
        ):
            at -= 1
            earlier.insert(0, clauses[at])
        self._choices(clause, found, earlier)
        self._quick(clause, found)
        waiting = self._carried_choices(clause, waiting, found)
        clause.found = found.added[start:]
        return waiting

    async def extract(
        self,
        text: str,
        items: Sequence[Item],
        *,
        lang: str,
        answered: Mapping[str, Any] | None = None,
        kind: str | None = None,
    ) -> list[Extracted]:
        """The rules' answers, then (only when a chat model is configured) what the model adds
        for the questions the rules left, each checked against the paragraph and the question.
        """
        answers = self.extract_rules(text, items, lang=lang, answered=answered, kind=kind)
        if self.llm is None:
            return answers
        items = [item.for_kind(kind) for item in items]
        filled = {a.item_id for a in answers}
        left = [i for i in _fillable(items) if i.id not in filled]
        if not left:
            return answers
        added = {a.item_id: a for a in await self._ask_model(text, left, lang)}
        return [
            next((a for a in answers if a.item_id == i.id), None) or added[i.id]
            for i in _fillable(items)
            if i.id in filled or i.id in added
        ]

    # ── numbers ──────────────────────────────────────────────────────────────────────────────

    def _numbers(self, clause: _Clause, found: _Found) -> None:
        """Each figure, in order, goes to its nearest cue (see :func:`_yields` for the cues
        after it); two questions with the same claim on it take it only when they are one
        fact asked twice."""
        if clause.other_period:
            return
        values = [v for v in _values(clause.text) if not v.vague]
        claims = {
            v.start: sorted(self._claims(clause, v, found), key=lambda c: c[0]) for v in values
        }
        yielded = _yields(list(claims.values()), clause.text)
        for value in values:
            best = [c for c in claims[value.start] if not c[2].used and id(c) not in yielded]
            if not best:
                continue
            top = _last_named([c for c in best if c[0] == best[0][0]], clause, value)
            top = _under_answer(top, found)
            if len({c[1].id for c in top}) > 1 and not _one_word(top):
                continue  # two questions with the same claim on this number: ask, do not guess
            for _, item, cue, quantity, _ in top:
                cue.used = True
                approximate = quantity.approximate or bool(
                    APPROXIMATE_BEFORE.search(clause.text[: value.start])
                )
                stored = _stored(quantity, item)
                if TOTAL.search(clause.text[: value.start]):
                    found.overrule(item, stored, approximate, clause.raw)
                else:
                    found.add(item, stored, approximate, clause.raw)

    def _claims(
        self, clause: _Clause, value: _Value, found: _Found
    ) -> Iterator[tuple[tuple[int, int, int], Item, _Cue, Quantity, _Value]]:
        """The questions that may take ``value``, ranked by their cue's distance from it."""
        for cue in clause.cues:
            if cue.used:
                continue
            if cue.end <= value.start:
                rank = (value.start - cue.end, 0)
            elif cue.start >= value.end or cue.start >= value.start:
                rank = (max(0, cue.start - value.end), 1)
            else:
                rank = (0, 0)
            for item in cue.items:
                # An item found already stays a candidate: a second, different figure for it
                # cancels both.
                if item.type not in NUMERIC:
                    continue
                if item.id in found.conflicts and not TOTAL.search(clause.text[: value.start]):
                    continue
                if _voided(clause, max(cue.start, value.start), item):
                    continue
                if _guaranteed(clause.text, cue, item) or _ours(clause.text, cue):
                    continue
                if _last_year(clause.text, value.start) and not any(
                    LAST_YEAR.search(c) for c in item.cues.all()
                ):
                    continue
                if _monthly(item) and YEARLY.search(clause.text):
                    continue
                quantity = _quantity(value.text, item) if _says_unit(value, item) else None
                if quantity is not None:
                    yield (*rank, -(cue.end - cue.start)), item, cue, quantity, value

    # ── yes / no ─────────────────────────────────────────────────────────────────────────────

    def _yes_no(self, clause: _Clause, found: _Found) -> None:
        if QUESTION.search(clause.text):
            return
        denied_to = -1  # where the last denied cue ends
        for cue in clause.cues:
            items = [i for i in cue.items if i.type is AnswerType.YES_NO]
            if not items:
                continue
            # "无其他银行贷款及民间借贷": a denial reaches over "及", "和", "or" to the next cue.
            joined = denied_to >= 0 and bool(JOINED.fullmatch(clause.text[denied_to : cue.start]))
            for item in items:
                if _voided(clause, cue.start, item) or _guaranteed(clause.text, cue, item):
                    continue
                if _ours(clause.text, cue):
                    continue
                negated = joined or _negated(clause.text, cue)
                if negated:
                    denied_to = cue.end
                if negated and _only_that(clause, cue, item, found):
                    continue  # "除此之外没有别的借款": nothing more than the one just named
                part = negated and bool(
                    PART.search(clause.text[max(0, cue.start - 8) : cue.end + 4])
                )
                found.add(item, not negated, False, clause.raw, part)

    # ── choices ──────────────────────────────────────────────────────────────────────────────

    def _choices(self, clause: _Clause, found: _Found, earlier: list[_Clause]) -> None:
        """A choice's option near its cue, or in the clauses just before that name nothing else
        ("the borrower, Ms. He, received me")."""
        if LAST_YEAR_ALONE.search(clause.text) and not PRESENT_PERIOD.search(clause.text):
            return  # "去年生意还行" says how things were, not how they are
        for cue in clause.cues:
            for item in (i for i in cue.items if i.type is AnswerType.CHOICE):
                if _voided(clause, cue.start, item):
                    continue
                choice = _option_near(clause, cue, item)
                for before in reversed(earlier):
                    if choice is not None or before.cues or before.void_from is not None:
                        break
                    if before.sentence != clause.sentence and (
                        NEGATION_ZH.search(before.text) or NEGATION_EN.search(before.text)
                    ):
                        break  # "没在别的地方借钱 还款就靠…": a denial names no option
                    choice = _option_in(before.text, item)
                if choice is not None:
                    found.add(item, choice, False, clause.raw)

    def _carried_choices(self, clause: _Clause, waiting: list[Item], found: _Found) -> list[Item]:
        """A choice named in one clause and answered in the next ("保证人是他弟弟，情况正常"):
        the option words of the next clause answer it, when they point to one option only.
        Returns the choices this clause names and leaves unanswered, for the next one."""
        numbers = [i for i in waiting if i.type in NUMERIC and not found.has(i)]
        if len(numbers) > 1:
            # Two questions wait for a figure: the next one answers the one its unit fits
            # ("店面是租的，八十平"), neither when both could take it.
            fitting = [i for i in numbers if _fits_one(clause, i)]
            waiting = [i for i in waiting if i not in numbers or fitting == [i]]
        for item in waiting:
            if found.has(item) or item.id in found.conflicts or _topic(item) != clause.topic:
                continue
            others = [i for cue in clause.cues for i in cue.items if i is not item]
            if others and (item.topic.all() == () or any(i.topic != item.topic for i in others)):
                continue  # the clause speaks of something else than the question or its topic
            if item.type is AnswerType.CHOICE:
                hits = [
                    h for h in _option_hits(clause.text, item) if not _voided(clause, h[0], item)
                ]
                if len({option for _, _, option in hits}) == 1:
                    found.add(item, hits[0][2], False, clause.raw)
            elif not clause.other_period:
                _carried_figure(clause, item, found)
        named = [
            item
            for cue in clause.cues
            if not _voided(clause, cue.start, None)
            # "没人接待": nobody to name
            and not (cue.items[0].type is AnswerType.CHOICE and _negated(clause.text, cue))
            for item in cue.items
            if (
                item.type is AnswerType.CHOICE or (item.type in NUMERIC and not clause.other_period)
            )
            and not found.has(item)
        ]
        # A cue with no value of its own in this clause waits for the next one; so does a choice
        # still unanswered from earlier in the sentence, and a figure past an aside that names
        # nothing ("Largest customer (a parts maker) is about 35%").
        aside = not clause.cues and not any(True for _ in _values(clause.text))
        still = [i for i in waiting if (i.type is AnswerType.CHOICE or aside) and not found.has(i)]
        return list(dict.fromkeys([*named, *still]))

    # ── quick replies ("自有场地，不交租" → rent 0) ──────────────────────────────────────────

    def _quick(self, clause: _Clause, found: _Found) -> None:
        for cue in clause.cues:
            for item in cue.items:
                if item.type not in NUMERIC or not item.quick or found.has(item):
                    continue
                if _voided(clause, cue.start, item):
                    continue
                for quick in item.quick:
                    # Short words ("没有", "自有") say too little on their own in a paragraph.
                    words = [
                        w for w in (quick.label.zh, quick.label.en, *quick.also) if len(w) >= 3
                    ]
                    if any(next(_find_word(clause.text, w), None) for w in words):
                        value = int(quick.value) if float(quick.value).is_integer() else quick.value
                        found.add(item, value, False, clause.raw)
                        break

    # ── the model ────────────────────────────────────────────────────────────────────────────

    async def _ask_model(self, text: str, items: list[Item], lang: str) -> list[Extracted]:
        from pydantic import BaseModel, Field

        class Fact(BaseModel):
            id: str = Field(description="the question id, exactly as listed")
            value: str = Field(description="the answer as the paragraph writes it")
            quote: str = Field(description="the words of the paragraph that state it, verbatim")

        class Facts(BaseModel):
            facts: list[Fact] = Field(default_factory=list)

        assert self.llm is not None
        llm = self.llm

        def prompt() -> tuple[str, str]:
            return (
                llm.macro("debrief.j2", "system", lang),
                llm.macro("debrief.j2", "user", lang, text, model_items(items, lang)),
            )

        reply = await llm.ask_structured("debrief", prompt, Facts)
        if reply is None:
            return []
        by_id = {item.id: item for item in items}
        kept: dict[str, Extracted] = {}
        for fact in reply.facts:
            item = by_id.get(fact.id)
            quote = fact.quote.strip()
            if item is None or item.id in kept or not quote or not _quoted(quote, text):
                continue
            if not _quoted(fact.value, quote) and not _quoted(fact.value, text):
                continue  # a value must be found in the text, not made up
            value = read_value(fact.value, item)
            if value is not None and item.accepts(value[0]):
                kept[item.id] = Extracted(item.id, value[0], value[1], quote)
        return [kept[i.id] for i in items if i.id in kept]


def read_value(written: str, item: Item) -> tuple[bool | str | float | int, bool] | None:
    """``written`` read as a typed answer to ``item`` (value, approximate), the way the visit
    reads what the officer types; ``None`` when it is not one, a range or a bound."""
    match item.type:
        case AnswerType.YES_NO:
            try:
                return parse_yes_no(written), False
            except ParseError:
                return None
        case AnswerType.CHOICE:
            option = _option_in(unicodedata.normalize("NFKC", written).lower(), item)
            return (option, False) if option is not None else None
        case AnswerType.NUMBER | AnswerType.MONEY:
            text = _normalise(written)
            if BOUND_BEFORE.search(text) or re.match(
                r"^\s*(?:不到|不足|超过|少于|至少|最多|over|more than|less than|under|at least)",
                text,
            ):
                return None
            values = list(_values(text))
            if len(values) != 1 or values[0].vague:
                return None
            quantity = _quantity(text, item)
            if quantity is None:
                return None
            return _stored(quantity, item), quantity.approximate
        case _:
            return None


# ── reading the paragraph ────────────────────────────────────────────────────────────────────


def _fillable(items: Sequence[Item]) -> list[Item]:
    ids = {item.id for item in items}
    return [
        item
        for item in items
        if item.type not in (AnswerType.TEXT, AnswerType.DATE)
        and not (item.same_as and item.same_as in ids)
    ]


def _normalise(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).lower().replace("％", "%")
    text = spoken_percent(spoken_decimal(text))
    text = re.sub(r"(?<=[一两二三四五六七八九十])个(?=[亿万])", "", text)  # "一个亿" is 一亿
    return re.sub(r"(?<=\d),(?=\d{3}(?!\d))", "", text)


def _only_that(clause: _Clause, cue: _Cue, item: Item, found: _Found) -> bool:
    """Whether a denial says only that there is nothing more: "除此之外没有", or "没有别的" once
    the question was answered yes ("还在信用社贷了三十万，没有别的借款")."""
    if BESIDES.search(clause.text[: cue.start]):
        return True
    earlier = found.answers.get(item.id)
    return bool(earlier and earlier.value is True and OTHER.search(clause.text))


def _correct(clauses: list[_Clause], index: int, found: _Found) -> None:
    """ "员工十个，哦不对，是十二个": the first figure of the correction or the clause after it
    replaces the one the clause before gave."""
    before = clauses[index - 1].found if index else []
    figures = [i for i in before if i.type in NUMERIC and i.id in found.answers]
    if not figures or not CORRECTION.search(clauses[index].text):
        return
    item = figures[-1]
    del found.answers[item.id]
    for clause in clauses[index : index + 2]:
        values = list(_values(clause.text))
        if values:
            quantity = None if values[0].vague else _quantity(values[0].text, item)
            if quantity is not None:
                found.add(item, _stored(quantity, item), quantity.approximate, clause.raw)
            return


def several_clauses(text: str) -> bool:
    """Whether ``text`` is a paragraph rather than a one-word answer: two clauses or more, by
    punctuation, spaces, or the fillers of dictation ("老板本人在然后员工八个")."""
    parts = [
        clause
        for sentence in _sentences(text.strip())
        for piece in re.split(r"\s+", sentence)
        for clause in CLAUSE_END.split(piece)
        if clause.strip(" 嗯呃啊吧嘛呢")
    ]
    return len(parts) >= 2


def _sentences(text: str) -> Iterator[str]:
    for sentence, _ in _spoken_sentences(text):
        yield sentence


def _spoken_sentences(text: str) -> Iterator[tuple[str, bool]]:
    """Each sentence, and whether only a pause (a space) parts it from the one before."""
    start, paused = 0, False
    for end in SENTENCE_END.finditer(text):
        if text[start : end.start()].strip():
            yield text[start : end.start()], paused
            paused = not end.group().strip()
        start = end.end()
    if text[start:].strip():
        yield text[start:], paused


def _clauses(sentence: str, topics: list[tuple[re.Pattern[str], Cues]]) -> list[_Clause]:
    clauses: list[_Clause] = []
    void: str | None = None  # "plan", "wish" or "hearsay", from an earlier clause of the sentence
    pieces = [p for raw in CLAUSE_END.split(sentence) for p in _by_topic(raw, topics)]
    for raw in pieces:
        if not raw.strip():
            continue
        clause = _Clause(raw=raw.strip(), text=_normalise(raw.strip()))
        if void is not None and PRESENT.search(clause.text):
            void = None
        if void is not None:
            clause.void_from, clause.hearsay, clause.wish = 0, void == "hearsay", void == "wish"
        hearsay, plan = HEARSAY.search(clause.text), PLAN.search(clause.text)
        for marker, kind in ((hearsay, "hearsay"), (plan, "plan")):
            if marker is not None and (
                clause.void_from is None or marker.start() < clause.void_from
            ):
                kind = "wish" if WISH.fullmatch(marker.group()) else kind
                clause.void_from, clause.hearsay = marker.start(), kind == "hearsay"
                clause.wish = kind == "wish"
                void = kind
            elif marker is not None and kind == "hearsay":
                clause.hearsay = True
                void = "hearsay"
        clause.other_period = bool(OTHER_PERIOD.search(clause.text) or NOT_NOW.search(clause.text))
        clauses.append(clause)
    return clauses


# A denial before a topic's name goes with it: "no collateral and | no guarantor".
TOPIC_LEAD = re.compile(r"(?:没有|没|无|\bno\s+|\bwithout\s+)$")


def _by_topic(raw: str, topics: list[tuple[re.Pattern[str], Cues]]) -> list[str]:
    """``raw`` cut where it turns to another topic: "no collateral and no guarantor" is two
    clauses, one about each."""
    text = _normalise(raw)
    if len(text) != len(raw):
        return [raw]  # the positions would not match
    named = sorted(
        ((m.start(), m.end(), topic) for pattern, topic in topics for m in pattern.finditer(text)),
        key=lambda n: (n[0], n[0] - n[1]),
    )
    cuts, end, current = [0], -1, None
    for start, stop, topic in named:
        if start < end:
            continue  # inside a longer name: "押给" in "抵押给我行"
        if current is not None and topic != current and start > 0:
            lead = TOPIC_LEAD.search(text[:start])
            cuts.append(lead.start() if lead else start)
        end, current = stop, topic
    return [raw[a:b] for a, b in zip(cuts, [*cuts[1:], len(raw)], strict=True)]


def _voided(clause: _Clause, position: int, item: Item | None) -> bool:
    """Whether what stands at ``position`` is a plan or hearsay. A question that asks about an
    intention ("到期后有没有续贷的打算？") takes the officer's word on plans; one that asks what
    is expected ("预计能收回几成？", "项目能否按期竣工？") on what is expected, not on a wish
    ("争取按期竣工")."""
    if clause.void_from is None or position < clause.void_from:
        return False
    if clause.hearsay or item is None:
        return True
    if _asks_intention(item):
        return False
    return clause.wish or not _asks_expectation(item)


# "给他表弟担保了一笔三十万的车贷": the loan after a guarantee is the one guaranteed, someone
# else's debt, not the client's own.
# "She borrowed 100,000 from us": the loan this visit is about, not another debt.
OURS = re.compile(r"^[^,，。;；]{0,16}?\b(?:from us|with us|from our bank|from this bank)\b")


def _ours(text: str, cue: _Cue) -> bool:
    return bool(OURS.match(text[cue.end :]))


GUARANTEED = re.compile(r"(?:担保|\bguarantee[ds]?\b)[^，,。；;]{0,12}$")


def _guaranteed(text: str, cue: _Cue, item: Item) -> bool:
    """Whether ``cue`` names the loan that a guarantee just named is for, and ``item`` is not
    itself about guarantees."""
    if not GUARANTEED.search(text[: cue.start]):
        return False
    return not any("担保" in c or "guarant" in c for c in (*item.cues.all(), *item.topic.all()))


def _asks_intention(item: Item) -> bool:
    return any(w in item.prompt.zh for w in ("打算", "计划")) or "plan" in item.prompt.en.lower()


def _asks_expectation(item: Item) -> bool:
    return any(w in item.prompt.zh for w in ("预计", "能否")) or bool(
        re.search(r"\b(?:expect|will)\b", item.prompt.en.lower())
    )


def _named_before(items: Sequence[Item], topic: Cues | None, before: str) -> dict[str, list[Item]]:
    """A choice whose "A…B" cue began just before ("经营异常名录里…，说对经营没有影响"): B alone
    is its cue. Of choices that share B, the one whose A came last."""
    latest: dict[str, tuple[int, list[Item]]] = {}
    for item in items:
        if item.type is not AnswerType.CHOICE or _topic(item) != topic or not before:
            continue
        for cue in item.cues.all():
            *lead, last = cue.split("…")
            found = (
                [m.start() for m in _cue_pattern("…".join(lead))[0].finditer(before)]
                if lead
                else []
            )
            if not found:
                continue
            at, owners = latest.get(last, (-1, []))
            if max(found) > at:
                latest[last] = (max(found), [item])
            elif max(found) == at and item not in owners:
                owners.append(item)
    return {word: owners for word, (_, owners) in latest.items()}


@functools.cache
def _cue_pattern(cue: str) -> tuple[re.Pattern[str], bool]:
    """The pattern of one cue word, and whether it is one run of text (not "A…B"). Kept once
    made: the checklist has more cues than the re module caches, and a paragraph is read
    while the officer waits."""
    # Split before normalising: NFKC turns "…" into "...".
    parts = [unicodedata.normalize("NFKC", p).strip().lower() for p in cue.split("…")]
    ascii_cue = all(p.isascii() for p in parts)
    gap = GAP_EN if ascii_cue else GAP_ZH
    body = f".{{0,{gap}}}?".join(re.escape(p) for p in parts if p)
    # An English cue starts a word, and may end inside one: "guarantee" finds "guaranteed".
    return re.compile(rf"(?<![a-z]){body}" if ascii_cue else body), len(parts) == 1


def _topic(item: Item) -> Cues | None:
    return item.topic if item.topic.all() else None


def _topics(items: tuple[Item, ...]) -> list[tuple[re.Pattern[str], Cues]]:
    """The pattern of each word that names a topic of ``items``, with that topic."""
    topics = dict.fromkeys(t for t in map(_topic, items) if t is not None)
    return [(_cue_pattern(word)[0], topic) for topic in topics for word in topic.all()]


def _named_topic(text: str, topics: list[tuple[re.Pattern[str], Cues]]) -> Cues | None:
    """The topic ``text`` names first: the subject of a clause comes before what it says."""
    named = [
        (m.start(), -len(m.group()), topic)
        for pattern, topic in topics
        if (m := pattern.search(text))
    ]
    return min(named, key=lambda n: n[:2])[2] if named else None


def _carried_topic(
    topic: Cues | None,
    clauses: list[_Clause],
    topics: list[tuple[re.Pattern[str], Cues]],
    vocabulary: _Vocabulary,
) -> Cues | None:
    """The topic a new sentence starts with. The last one goes on ("抵押物是仓库。现在市值…")
    until the sentence speaks of the business again: of a question that no question of the
    topic could stand for ("场里请了5个工人")."""
    if topic is None or topic == ELSEWHERE_TOPIC:
        return None
    figures = any(not v.vague for c in clauses for v in _values(c.text))
    for clause in clauses:
        if _named_topic(clause.text, topics) is not None:
            break
        if _business_again(clause, topic, vocabulary, figures):
            return None
    return topic


def _business_again(clause: _Clause, topic: Cues, vocabulary: _Vocabulary, figures: bool) -> bool:
    """Whether ``clause`` answers a question of the business that no question of ``topic``
    could stand for."""
    held = [i for cue in _cues(clause.text, vocabulary, topic) for i in cue.items]
    return any(
        not _stands_for(held, item) and _answered_in(clause, cue, item, figures)
        for cue in _cues(clause.text, vocabulary, None)
        for item in cue.items
    )


def _answered_in(clause: _Clause, cue: _Cue, item: Item, figures: bool) -> bool:
    """Whether ``clause`` could answer ``item`` from ``cue``: a choice needs an option there, a
    number a figure in the sentence ("按现在行情估值两千万" speaks of a value, not of the
    market)."""
    if item.type is AnswerType.CHOICE:
        return _option_near(clause, cue, item) is not None
    return figures or item.type not in NUMERIC


def _stands_for(held: list[Item], item: Item) -> bool:
    return any(h.type is item.type and h.unit == item.unit for h in held)


@functools.cache
def _within_topic(cues: Cues, topic: Cues) -> tuple[str, ...]:
    """The cues of a question of ``topic`` once a paragraph speaks of it: "抵押…面积" is then
    "面积", since the subject was named before."""
    names = [unicodedata.normalize("NFKC", w).lower() for w in topic.all()]
    shorter = []
    for cue in cues.all():
        parts = cue.split("…")
        rest = [
            p
            for p in parts
            if not any(
                n in unicodedata.normalize("NFKC", p).lower()
                or unicodedata.normalize("NFKC", p).lower() in n
                for n in names
            )
        ]
        if rest and len(rest) < len(parts):
            shorter.append("…".join(rest))
    return tuple(shorter)


class _Vocabulary:
    """The cue words of the questions a paragraph may fill, by topic, gathered once a paragraph
    rather than once a clause."""

    def __init__(self, items: Sequence[Item]) -> None:
        self.items = items
        self._words: dict[Cues | None, dict[str, list[Item]]] = {}

    def words(self, topic: Cues | None) -> dict[str, list[Item]]:
        if topic not in self._words:
            by_word: dict[str, list[Item]] = {}
            for item in self.items:
                if _topic(item) != topic:
                    continue
                words = item.cues.all() + (_within_topic(item.cues, topic) if topic else ())
                for word in words:
                    by_word.setdefault(word, []).append(item)
            self._words[topic] = by_word
        return self._words[topic]


def _cues(text: str, vocabulary: _Vocabulary, topic: Cues | None, before: str = "") -> list[_Cue]:
    """The cues in ``text`` of the questions of ``topic`` (``None``: the client's business);
    ``before``: what the paragraph said just before, for a clause that names nothing itself
    ("…经营异常名录…，说对经营没有影响")."""
    own = _matched(text, vocabulary.words(topic))
    if own or not before:
        return own
    return _matched(text, _named_before(vocabulary.items, topic, before))


@functools.cache
def _lead(word: str) -> str:
    """The first words of a cue, as a paragraph is normalised: no match without them."""
    return unicodedata.normalize("NFKC", word.split("…")[0]).strip().lower()


def _matched(text: str, by_word: dict[str, list[Item]]) -> list[_Cue]:
    matches: list[_Cue] = []
    for word, owners in by_word.items():
        negative = "得" in word and _lead(word.replace("得", "不")) in text
        if _lead(word) not in text and not negative:
            continue
        pattern, contiguous = _cue_pattern(word)
        for match in pattern.finditer(text):
            if text[match.end() : match.end() + 1] in PARTY:
                continue  # "投资方": the party that invests, not an investment

            matches.append(_Cue(match.start(), match.end(), owners, contiguous))
        if negative:
            # 对得上 / 对不上, 收得回 / 收不回: the negative form of the same words.
            negative, _ = _cue_pattern(word.replace("得", "不"))
            for match in negative.finditer(text):
                matches.append(_Cue(match.start(), match.end(), owners, contiguous, negated=True))
    # A cue inside a longer one is that longer one's word: 员工 in 在岗员工.
    kept = [
        m
        for m in matches
        if not any(
            o is not m
            and o.contiguous
            and o.start <= m.start
            and m.end <= o.end
            and (o.end - o.start) > (m.end - m.start)
            for o in matches
        )
    ]
    # Merge the same span found by several cue words into one cue with all their questions.
    merged: dict[tuple[int, int, bool], _Cue] = {}
    for cue in kept:
        key = (cue.start, cue.end, cue.negated)
        if key in merged:
            merged[key].items += [i for i in cue.items if i not in merged[key].items]
        else:
            merged[key] = _Cue(cue.start, cue.end, list(cue.items), cue.contiguous, cue.negated)
    return sorted(merged.values(), key=lambda c: (c.start, c.end))


def _values(text: str) -> Iterator[_Value]:
    """The numbers in ``text`` with their units, each marked vague when it is a bound, a range
    or "三十多"; everyday words written in numerals ("一般", "万一") are not numbers."""
    words = [m.span() for m in NOT_NUMERALS.finditer(text)]
    for match in VALUE.finditer(text):
        number = match.group("num")
        if not any(c.isdigit() or c in CN_DIGITS or c == "十" for c in number) and not (
            EN_NUMBER_RUN.fullmatch(number.strip())
        ):
            continue
        start, end = match.span()
        if any(s < end and start < e for s, e in words) or NAME_BEFORE.search(text[:start]):
            continue
        unit = (match.group("unit") or "").strip()
        rest = text[end:]
        if not unit and (rest[:1] in CLASSIFIERS or rest[:1] == "半"):
            continue
        if not unit and re.match(r"(?:st|nd|rd|th)\b", rest):
            continue  # "until the 10th": a day of the month, not a count
        if not unit and number.strip() == "one" and re.match(r" [a-z]", rest):
            continue  # "one lawsuit": an article, not a count
        word_after = bool(HAN.match(rest))
        if unit == "个" and word_after and not PERSON_AFTER_GE.match(rest):
            continue
        if unit == "块" and word_after and rest[:1] not in "钱左上多":
            continue  # "一块土地": a piece of land, not one yuan
        vague = (
            match.group("suffix") in VAGUE_SUFFIX
            or BOUND_BEFORE.search(text[:start]) is not None
            or BOUND_AFTER.match(rest) is not None
            or RANGE.search(number) is not None
            or NEIGHBOURS.search(number) is not None
            or (not unit and rest[:1] in CN_DIGITS)
        )
        yield _Value(start, end, match.group(0), vague)


# What starts a cue's own figure: "… last year was around 11 million", "this year so far
# about 150k", "今年到现在大概一百万".
COPULA = re.compile(
    r"\s*(?:(?:was|were|is|are|came to|reached|stood at|about|around|roughly|approximately"
    r"|approx|nearly|almost)\b|大概|大约|差不多|约)"
)
NEXT_PHRASE = re.compile(r"\s*(?:yuan|rmb|元)?\s*(?:and|but|while|whereas|然后|而|但)(?![a-z])")


def _yields(
    by_value: list[list[tuple[tuple[int, int, int], Item, _Cue, Quantity, _Value]]],
    text: str,
) -> set[int]:
    """The claims (by ``id``) of figures on a cue after them that is not theirs: one that a
    figure right after it is as near to ("贷款30万已经用了25万": "用了" is the 25万's), one with
    another figure between ("40 trucks, staff total 95 on site"), and one after several figures
    it is the nearest cue of, and before none ("300万…200万…100万…理财": no one's)."""
    claims = [c for each in by_value for c in each]
    followed: dict[int, int] = {}  # a cue → the distance to the nearest figure after it
    preceded: dict[int, set[int]] = {}  # a cue → the figures before it whose nearest it is
    for (distance, after, _), _, cue, _, _ in claims:
        if not after:
            followed[id(cue)] = min(distance, followed.get(id(cue), distance))
    for (_, after, _), _, cue, _, value in (each[0] for each in by_value if each):
        if after:
            preceded.setdefault(id(cue), set()).add(value.start)
    starts = {c[4].start for c in claims}
    # Figures a cue before them speaks for ("last year … 380000 this year … 150k").
    claimed_before = {c[4].start for c in claims if not c[0][1]}
    yielded = set()
    for claim in claims:
        (distance, after, _), _, cue, _, value = claim
        if id(cue) in followed:
            # "…700k and so far this year about 330k": a cue that opens the next phrase and
            # has a figure of its own is that figure's, and leaves one a cue before claims.
            gives_way = (
                followed[id(cue)] <= distance
                or value.start in claimed_before
                or bool(NEXT_PHRASE.match(text[value.end : cue.start]))
                # "…about 3 million last year was around 11 million": the cue is the subject
                # of the figure after it
                or bool(COPULA.match(text[cue.end :]))
            )
        else:
            gives_way = len(preceded.get(id(cue), ())) > 1 or any(
                value.end <= start < cue.start for start in starts
            )
        if after and gives_way:
            yielded.add(id(claim))
    return yielded


def _one_word(claims: list[tuple[tuple[int, int, int], Item, _Cue, Quantity, _Value]]) -> bool:
    """Whether the questions are one fact asked twice, the checklist giving them the same
    words and unit: "不符的金额8万" is the amount diverted, at the interview and the check."""
    return len({(c[1].cues, c[1].unit) for c in claims}) == 1


def _under_answer(
    claims: list[tuple[tuple[int, int, int], Item, _Cue, Quantity, _Value]], found: _Found
) -> list[tuple[tuple[int, int, int], Item, _Cue, Quantity, _Value]]:
    """Of follow-ups with the same claim, those whose question was answered so as to ask them:
    after "属于挤占挪用", "挪用金额100万" is the misappropriated amount."""
    asked = [c for c in claims if found.asks(c[1])]
    return asked or claims


def _last_named(
    claims: list[tuple[tuple[int, int, int], Item, _Cue, Quantity, _Value]],
    clause: _Clause,
    value: _Value,
) -> list[tuple[tuple[int, int, int], Item, _Cue, Quantity, _Value]]:
    """Of questions with the same claim on a figure ("账期30天": the customers' or the
    suppliers'?), the one whose other words ("应收", "应付") were named last before it, in its
    clause or the two before; all of them when none was."""
    if len({c[1].id for c in claims}) < 2:
        return claims
    text = clause.before + clause.text[: value.start]
    # Words of two or more characters (four in English): "天", "day" name nothing.
    words = {
        c[1].id: {
            p for w in c[1].cues.all() for p in w.split("…") if len(p) >= (4 if p.isascii() else 2)
        }
        for c in claims
    }
    shared = set.intersection(*words.values())
    last = {
        item_id: max((text.rfind(w.lower()) for w in own - shared), default=-1)
        for item_id, own in words.items()
    }
    latest = max(last.values())
    if latest < 0 or list(last.values()).count(latest) > 1:
        return claims
    return [c for c in claims if last[c[1].id] == latest]


# "没变", "未发生变化", "unchanged": a clause that only denies a change.
UNCHANGED = re.compile(
    r"^(?:也|都|均|一直|基本)*(?:没有?|未|并未|无|不)(?:发生|有|什么|任何|啥)*"
    r"(?:变化|变动|改变|变|改)(?:过|了|化)*$|^(?:unchanged|no change|not changed)$"
)


def _unchanged(before: _Clause, clause: _Clause, items: Sequence[Item], found: _Found) -> None:
    """ "主营还是做建材贸易，没变": a bare denial of change answers "has X changed" for the
    X the clause before named, by the first words of a "X…变" cue."""
    if not UNCHANGED.match(clause.text.strip()) or before.topic != clause.topic:
        return
    for item in items:
        if item.type is not AnswerType.YES_NO or found.has(item) or _topic(item) != clause.topic:
            continue
        for cue in item.cues.all():
            lead, _, tail = cue.partition("…")
            if tail in ("变", "chang") and _lead(lead) in before.text:
                found.add(item, False, False, clause.raw)
                break


BARE_DENIAL = re.compile(r"^(?:无|没有|没|否|none|no|nil|n/a)$")


def _denied_after(before: _Clause, clause: _Clause, found: _Found) -> None:
    """Notes that put the answer after a space ("对外担保 无"): a bare denial right after a
    clause that ends on a yes/no question's words answers it "no"."""
    if not BARE_DENIAL.match(clause.text.strip()):
        return
    end = len(before.text.rstrip(" :："))
    for cue in before.cues:
        if cue.end != end:
            continue
        for item in cue.items:
            answer = found.answers.get(item.id)
            if (
                item.type is AnswerType.YES_NO
                and item in before.found
                and answer is not None
                and answer.value is True
            ):
                found.overrule(item, False, False, clause.raw)


ALL_HERE = re.compile(
    r"[岗班]?(?:了|的|呢|啊|吧|哈)?(?:$|\s|[，,。；;])|(?:在)?(?:店里|厂里|车间|现场|这边)"
)


def _all_there(clause: _Clause, items: Sequence[Item], found: _Found) -> None:
    """ "共8人，今天都在岗", "3 staff, all present": a part of a count that is all of it takes
    the count this paragraph gave."""
    if clause.void_from is not None or clause.other_period or QUESTION.search(clause.text):
        return
    for item in items:
        if item.all_of is None or found.has(item) or _topic(item) != clause.topic:
            continue
        whole = found.answers.get(item.all_of.source)
        if whole is None:
            continue
        for word in item.all_of.cues.all():
            pattern, _ = _cue_pattern(word)
            match = pattern.search(clause.text)
            if match is None:
                continue
            before = clause.text[max(0, match.start() - 3) : match.start()]
            # "都在岗", "今天都在": here; not "都在别的工地上干活".
            here = word.isascii() or ALL_HERE.match(clause.text[match.end() :])
            if here and not re.search(r"不|没|未|not\s*$|n't\s*$", before):
                found.add(item, whole.value, whole.approximate, clause.raw)
            break


def _carried_figure(clause: _Clause, item: Item, found: _Found) -> None:
    """ "最大的客户是一家电商仓，大约占销售额四成": the figure follows in the next clause, alone."""
    values = [v for v in _values(clause.text) if not _voided(clause, v.start, None)]
    if len(values) != 1 or values[0].vague or not _says_unit(values[0], item):
        return
    if _monthly(item) and YEARLY.search(clause.text):
        return  # "租的村集体土地，年租金6万元": a year's rent is no month's
    quantity = _quantity(values[0].text, item)
    if quantity is not None:
        approximate = quantity.approximate or bool(
            APPROXIMATE_BEFORE.search(clause.text[: values[0].start])
        )
        found.add(item, _stored(quantity, item), approximate, clause.raw)


def _last_year(text: str, position: int) -> bool:
    """Whether the figure at ``position`` is of last year: the clause names it before the
    figure and no other period anywhere after ("last year 1.2m and 300k so far this year")."""
    periods = list(PERIOD.finditer(text))
    return (
        bool(periods)
        and periods[-1].start() < position
        and bool(LAST_YEAR.fullmatch(periods[-1].group()))
    )


def _fits_one(clause: _Clause, item: Item) -> bool:
    """Whether ``clause`` holds one figure and ``item`` takes it."""
    values = list(_values(clause.text))
    return (
        len(values) == 1
        and _says_unit(values[0], item)
        and _quantity(values[0].text, item) is not None
    )


def _says_unit(value: _Value, item: Item) -> bool:
    """A share is said as one ("四成", "35%"): a bare "two" in a paragraph is no percentage,
    and "百分之十五" no sum of money or head count."""
    return (item.unit == "%") == (PERCENT.search(value.text) is not None)


BARE_YUAN = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d{5,}(?:\.\d+)?")


def _quantity(text: str, item: Item) -> Quantity | None:
    assert item.unit is not None
    if "亩" in text and not any("亩" in c for c in item.cues.all()):
        return None  # farmland in 亩 is not the premises, unless the question says so
    if item.type is AnswerType.NUMBER and re.search(
        r"[万萬亿億]|\d\s*(?:k|w|m|mn|mln|million)\b", text
    ):
        return None  # "3万" is money, not 30,000 people or days
    low, high = item.typed_range()
    if item.unit == "万元" and BARE_YUAN.fullmatch(text.strip()):
        # A paragraph writes "80,000" or "380000" in 元; only a short bare figure ("贷款 200")
        # is in the question's 万元.
        text = f"{text.strip()}元"
    try:
        quantity = parse_quantity(text, item.unit, minimum=low, maximum=high)
    except (ParseError, ValueError, ArithmeticError):
        return None
    if quantity.low is not None or (item.integer and quantity.value != int(quantity.value)):
        return None
    return quantity


def _stored(quantity: Quantity, item: Item) -> float | int:
    value = quantity.value * Decimal(item.scale)
    return int(value) if value == value.to_integral_value() else float(value)


def _monthly(item: Item) -> bool:
    return "每月" in item.prompt.zh or "month" in item.prompt.en.lower()


def _negated(text: str, cue: _Cue) -> bool:
    if cue.negated:
        return True
    ascii_cue = text[cue.start : cue.end].isascii()
    # "未决", "没了结" say a case is open: they deny nothing.
    head = UNRESOLVED.sub("", text[: cue.start])
    before = head[-(24 if ascii_cue else 5) :]
    if not ascii_cue and NEGATED_NEED.search(head[-6:]):
        return True
    if not ascii_cue and CLAUSE_NEGATED.match(head):
        return True  # "没有拿钱做别的投资": the clause is denied from its first word
    inside = NOT_DENIAL.sub("··", text[cue.start : cue.end])
    if UNRESOLVED.match(inside):
        inside = ""  # "未决诉讼", "没了结": a case still open, not a case denied
    if DENIED_VALUE.match(text[cue.end :]):
        return True
    if ascii_cue:
        return bool(NEGATION_EN.search(before) or NEGATION_EN.search(inside)) or bool(
            NEGATION_AFTER.match(UNRESOLVED.sub("", text[cue.end :]))
        )
    # 不 counts only right before the cue or inside it ("不一致"); "不多" says there is some.
    zh_before = re.search(r"(?:没有|没|无|未|从未|并未|不曾)", before) or before.endswith("不")
    zh_inside = re.search(r"没有|没|无|未|不", inside) and not cue.contiguous
    return bool(
        zh_before
        or zh_inside
        or NEGATION_ZH.match(inside)
        or NEGATION_AFTER.match(UNRESOLVED.sub("", text[cue.end :]))
        or NEGATION_EN.search(before)
    )


def _option_words(item: Item) -> list[tuple[str, str]]:
    words = [
        (word, option.id)
        for option in item.options
        for word in (option.label.zh, option.label.en, *option.also)
    ]
    return sorted(
        ((unicodedata.normalize("NFKC", w).lower(), o) for w, o in words),
        key=lambda pair: len(pair[0]),
        reverse=True,
    )


def _find_word(text: str, word: str) -> Iterator[re.Match[str]]:
    word = unicodedata.normalize("NFKC", word).lower()
    pattern = rf"(?<![a-z]){re.escape(word)}(?![a-z])" if word.isascii() else re.escape(word)
    return re.finditer(pattern, text)


# A word that says "in person" names an option alone, and stresses one named just before.
SELF = re.compile(r"本人|亲自|himself|herself|in person")


def _option_hits(text: str, item: Item) -> list[tuple[int, int, str]]:
    """Where option words stand in ``text``, longest first and not overlapping, without those
    negated ("没那么大")."""
    taken: list[tuple[int, int, str]] = []
    for word, option in _option_words(item):
        for match in _find_word(text, word):
            start, end = match.span()
            if any(s < end and start < e for s, e, _ in taken):
                continue
            before = text[max(0, start - 4) : start]
            starts_negative = bool(re.match(r"没|不|无|no\b|not\b", word))
            if not starts_negative and (
                re.search(r"(?:不|没|没有|没那么|并不|没被|未被|未|无)\s*$", before)
                or re.search(r"\b(?:not|no)\s+$", before)
            ):
                continue
            if re.match(
                r"的(?![钱款])[^\x00-\x7f]|'s\b", text[end : end + 3]
            ) and not word.endswith("的"):
                continue  # "借款人的爱人", "the borrower's wife": not the borrower
            if SELF.fullmatch(word) and any(
                o != option and 0 <= start - e <= 8 for _, e, o in taken
            ):
                continue  # "实控人陈总本人": the controller himself
            taken.append((start, end, option))
    return taken


def _option_near(clause: _Clause, cue: _Cue, item: Item) -> str | None:
    hits = [h for h in _option_hits(clause.text, item) if not _voided(clause, h[0], item)]
    if not hits:
        return None

    def distance(hit: tuple[int, int, str]) -> int:
        start, end, _ = hit
        if end <= cue.start:
            return cue.start - end
        return max(0, start - cue.end)

    hits.sort(key=distance)
    nearest = [h for h in hits if distance(h) == distance(hits[0])]
    options = {h[2] for h in nearest}
    return options.pop() if len(options) == 1 else None


def _option_in(text: str, item: Item) -> str | None:
    options = {option for _, _, option in _option_hits(text, item)}
    return options.pop() if len(options) == 1 else None


def _settle_follow_ups(found: _Found, items: Sequence[Item], offered: Sequence[Item]) -> None:
    """A follow-up stands with its parent: "工行还有500万贷款" says there are other debts, and an
    amount under a parent answered otherwise is dropped; so is one under a choice left open,
    which the paragraph did not say it asks ("这部分金额" of what part?). A parent that repeats
    another question (``same_as``) has that one's answer."""
    by_id = {item.id: item for item in offered}
    for item in items:
        answer = found.answers.get(item.id)
        parent = by_id.get(item.parent or "")
        if answer is None or parent is None:
            continue
        if any(
            copy.same_as == item.id and found.asks(copy) for copy in offered if copy is not item
        ):
            continue  # "属于挤占挪用，挪用金额80万": a question asking the same fact asks it
        conditions = [f.condition for f in parent.follow_ups if item in f.items]
        parent_id = parent.same_as if parent.same_as in by_id else parent.id
        parent_value = found.value_of(parent)
        if parent_value is not None:
            if not any(c.matches(parent_value) for c in conditions):
                del found.answers[item.id]
            continue
        if parent_id in found.conflicts or parent.type is AnswerType.CHOICE:
            del found.answers[item.id]
        elif parent.type is AnswerType.YES_NO and any(
            c.answers == frozenset({True}) for c in conditions
        ):
            found.add(parent, True, False, answer.text)


def _quoted(part: str, whole: str) -> bool:
    squeeze = lambda s: re.sub(r"\s+", "", _normalise(s))  # noqa: E731
    return bool(squeeze(part)) and squeeze(part) in squeeze(whole)


def model_items(items: Sequence[Item], lang: str) -> list[dict[str, Any]]:
    """The questions as the model's prompt lists them."""
    return [
        {
            "id": item.id,
            "prompt": item.prompt.get(lang),
            "type": item.type.value,
            "unit": item.unit,
            "options": [o.label.get(lang) for o in item.options],
        }
        for item in items
    ]
