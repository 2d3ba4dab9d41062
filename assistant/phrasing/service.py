"""Cover phrasing (话术): which opener fits this client today, and why.

Officers visiting small clients should never announce a post-loan check (domain facts §8; the
source article: "我路过您这里过来看看"). The service looks at what today offers (a festival, the
bank's anniversary, a loan nearing maturity, a campaign, a trip the visit is folded into), picks
the phrases from ``knowledge/phrasing/phrases.yaml`` that fit the client, and ranks them. Nothing it
returns, and no LLM rewording it passes on, breaks a rule of ``knowledge/phrasing/donts.yaml``.

Ranking, in order of weight: how strong the occasion is today (the officer's own choice first, then
a renewal window, a festival near at hand, a trip the visit is folded into, a campaign, passing by,
a general line); then how well the phrase fits the client (its stage, kind and the visit's focus);
then the phrase's own weight. The top suggestions are distinct phrases, one per occasion while
there are occasions left, so the officer sees different angles rather than three greetings.
"""

from __future__ import annotations

import calendar
import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

from assistant.data.vocabulary import KINDS
from assistant.llm import LlmComponent
from assistant.phrasing.catalog import FOCUS, STAGES, Phrase, load_campaigns, load_phrases
from assistant.phrasing.donts import LANGS, Dont, DontRules, load_donts
from assistant.phrasing.occasions import (
    DEFAULT_LOOKAHEAD_DAYS,
    DEFAULT_RENEWAL_WINDOW_DAYS,
    FESTIVAL_KEYS,
    OCCASION_KEYS,
    Campaign,
    Occasion,
    anniversary_near,
    campaign_occasions,
    festivals_near,
    nearest_anniversary,
    nearest_festival,
    parse_month_day,
    renewal_occasion,
)

log = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_PHRASES = REPO_ROOT / "knowledge" / "phrasing" / "phrases.yaml"
DEFAULT_DONTS = REPO_ROOT / "knowledge" / "phrasing" / "donts.yaml"
DEFAULT_CAMPAIGNS = REPO_ROOT / "knowledge" / "phrasing" / "campaigns.yaml"
PROMPT_NAME = "phrasing_variants.j2"

# How strong each occasion is today. The gaps are wider than any fit bonus below, except that a
# festival or renewal close at hand edges out one further away.
CHOSEN_BONUS = 6.0
RENEWAL_BASE = 5.0
DATED_BASE = 4.0
PASSING_FOLDED = 4.5
NEW_PRODUCT = 3.0
PASSING = 2.0
GENERAL = 1.0
# How well a phrase fits the client. A phrase written for this stage or kind beats a catch-all.
STAGE_SPECIFIC = 0.5
KIND_SPECIFIC = 0.3
FOCUS_MATCH = 1.0
FOCUS_NEUTRAL = 0.3
WEIGHT_FACTOR = 0.1

# A reworded opener may be somewhat longer than the original, never a speech.
MAX_VARIANTS = 3
VARIANT_GROWTH = 1.5
VARIANT_EXTRA_CHARS = 20

# 复姓 that a two-character surname rule must not split (欧阳明 is 欧阳老板, not 欧老板).
COMPOUND_SURNAMES = (
    "欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "令狐",
    "长孙", "宇文", "司徒", "夏侯", "轩辕", "端木", "独孤", "南宫", "西门", "申屠",
)  # fmt: skip
_HAN_NAME = re.compile(r"^[\u4e00-\u9fff]{2,4}$")
_LATIN_NAME = re.compile(r"^[A-Za-z][A-Za-z'-]*(?: [A-Za-z][A-Za-z'-]*){1,2}$")
# Characters that make a short name a shop's rather than a person's (王记五金店, 李家饭馆).
_BUSINESS_CHARS = re.compile(r"[店厂馆铺坊司超市场站部社行记]")
_BULLET = re.compile(r"^\s*(?:[-*•·]|\d+[.、)）]|[（(]\d+[)）])\s*")
_QUOTES = "\"'“”‘’「」『』"


@dataclass(frozen=True)
class PhrasingContext:
    """What the service needs to know about the client and the visit.

    Attributes:
        client_name: the client's name as on file (a person or a company).
        client_kind: ``corporate`` or ``individual``.
        stage: ``new``, ``handed_over`` or ``long_standing`` (see :func:`stage_for`).
        focus: the visit's focus from the source article: ``risk_control``, ``familiarity``,
            ``referral`` or ``side_insight``; ``None`` when the officer has none.
        days_to_maturity: days until the nearest loan matures (negative: overdue).
        folded_into_trip: the visit is made on the way to other business.
        occasion: an occasion the officer picked (one of the occasion keys), ranked first.
        address_as: how the officer addresses the client (李总, 王姐); by default it is derived
            from the name (王建国 → 王老板), or a plain greeting when it cannot be.
        owner_name: the person the loan file names for an individual's business (张国富 for
            张记五金店): addressed as 张老板 when the client's own name is a shop's.
        industry: the client's industry as on file (五金零售, 建材批发, 电子制造); a phrase
            limited to some industries (a plant's) is used only for them.
        renewal_raised: the client has said they want to renew (at an earlier visit). A
            renewal opener is used only then, or when the officer picks it: raising renewal
            unasked reads as an offer.
    """

    client_name: str
    client_kind: str
    stage: str
    focus: str | None = None
    days_to_maturity: int | None = None
    folded_into_trip: bool = False
    occasion: str | None = None
    address_as: str | None = None
    owner_name: str | None = None
    industry: str | None = None
    renewal_raised: bool = False

    def __post_init__(self) -> None:
        # These come from code (the client record, a button), not from the bank's files.
        if self.client_kind not in KINDS:
            raise ValueError(f"unknown client kind {self.client_kind!r}; expected one of {KINDS}")
        if self.stage not in STAGES:
            raise ValueError(f"unknown stage {self.stage!r}; expected one of {STAGES}")
        if self.focus is not None and self.focus not in FOCUS:
            raise ValueError(f"unknown focus {self.focus!r}; expected one of {FOCUS}")
        if self.occasion is not None and self.occasion not in OCCASION_KEYS:
            raise ValueError(f"unknown occasion {self.occasion!r}; expected one of {OCCASION_KEYS}")


@dataclass(frozen=True)
class Suggestion:
    """One opener for the officer.

    Attributes:
        text: what to say, in ``lang``, with the client's form of address filled in.
        reason: why it fits today, for the officer only (never said to the client).
        occasion: the occasion key (``mid_autumn``, ``renewal_window``, ``passing_by`` ...).
        phrase_id: the phrase's id in ``phrases.yaml``.
        score: the ranking score; higher is better, comparable only within one call.
        lang: ``zh`` or ``en``.
        occasion_date: the festival day, maturity date or campaign end, if any.
    """

    text: str
    reason: str
    occasion: str
    phrase_id: str
    score: float
    lang: str
    occasion_date: date | None = None


def stage_for(handed_over_on: date | None, first_disbursed_on: date | None, today: date) -> str:
    """The relationship stage: ``new`` when the first loan is under six months old,
    ``handed_over`` when the client came to this officer within six months, else
    ``long_standing``. A new client is ``new`` even if it was also handed over since.
    """
    six_months_ago = _months_before(today, 6)
    if first_disbursed_on is not None and first_disbursed_on > six_months_ago:
        return "new"
    if handed_over_on is not None and handed_over_on > six_months_ago:
        return "handed_over"
    return "long_standing"


def _months_before(day: date, months: int) -> date:
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    month += 1
    # 08-31 minus six months is the last day of February, not an error.
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def address(context: PhrasingContext, lang: str) -> str:
    """How to address the client at the start of an opener.

    The officer's own form (``address_as``) wins. An individual with a personal name becomes
    surname + 老板 ("Boss Wang" in English); a shop name gives plain 老板; a company gives a
    greeting, because who receives the officer there is not known.
    """
    zh = lang != "en"
    if context.address_as and context.address_as.strip():
        return context.address_as.strip()
    if context.client_kind == "individual":
        surname = _surname(context.client_name) or _surname(context.owner_name or "")
        if surname:
            return f"{surname}老板" if zh else f"Boss {surname}"
        return "老板" if zh else "Hello"
    return "您好" if zh else "Hello"


def _surname(name: str) -> str | None:
    name = " ".join(name.split())
    if _HAN_NAME.match(name) and not _BUSINESS_CHARS.search(name):
        compound = next((s for s in COMPOUND_SURNAMES if name.startswith(s)), None)
        if compound and len(name) > len(compound):
            return compound
        if len(name) <= 3:
            return name[0]
        return None
    if _LATIN_NAME.match(name):
        return name.split()[0].capitalize()
    return None


def client_values(context: PhrasingContext) -> list[str]:
    """Every value taken from the client record that may appear in a line: these are masked when
    checking the don'ts, so that a name like 检查站饭店 cannot fail an innocent opener."""
    return [
        context.client_name,
        context.address_as or "",
        address(context, "zh"),
        address(context, "en"),
        _surname(context.client_name) or "",
        context.owner_name or "",
        _surname(context.owner_name or "") or "",
    ]


class PhrasingService:
    """Suggests cover phrasing for a visit.

    Args:
        phrases_path: ``knowledge/phrasing/phrases.yaml``.
        donts_path: ``knowledge/phrasing/donts.yaml``.
        campaigns_path: ``knowledge/phrasing/campaigns.yaml``.
        bank_anniversary: the bank's anniversary as MM-DD, or ``None``.
        festival_lookahead_days: how many days ahead a festival is an occasion.
        renewal_window_days: a loan maturing within this many days opens renewal talk.
        llm: the chat model for :meth:`variants` (its prompt is ``phrasing_variants.j2``), or
            ``None``: no variants.

    Raises:
        ValueError: a malformed ``bank_anniversary`` or a negative window. No file is read
            here: :meth:`load` reads them, on first use.
    """

    def __init__(
        self,
        phrases_path: Path | str = DEFAULT_PHRASES,
        donts_path: Path | str = DEFAULT_DONTS,
        campaigns_path: Path | str = DEFAULT_CAMPAIGNS,
        *,
        bank_anniversary: str | None,
        festival_lookahead_days: int = DEFAULT_LOOKAHEAD_DAYS,
        renewal_window_days: int = DEFAULT_RENEWAL_WINDOW_DAYS,
        llm: LlmComponent | None = None,
    ) -> None:
        if bank_anniversary:
            parse_month_day(bank_anniversary)
        if festival_lookahead_days < 0 or renewal_window_days < 0:
            raise ValueError("the festival look-ahead and the renewal window cannot be negative")
        self.phrases_path = Path(phrases_path)
        self.donts_path = Path(donts_path)
        self.campaigns_path = Path(campaigns_path)
        self.bank_anniversary = bank_anniversary or None
        self.festival_lookahead_days = festival_lookahead_days
        self.renewal_window_days = renewal_window_days
        self.llm = llm
        self._donts: DontRules | None = None
        self._phrases: tuple[Phrase, ...] = ()
        self._campaigns: tuple[Campaign, ...] = ()

    def load(self) -> None:
        """Read and check the three files (again, when called again).

        Raises:
            PhrasingDataError: a file is broken; the message names the file, entry and problem.
        """
        donts = load_donts(self.donts_path)
        phrases = load_phrases(self.phrases_path, donts)
        campaigns = load_campaigns(self.campaigns_path, donts)
        # Assigned together, so a failed reload keeps the previous, good set.
        self._donts, self._phrases, self._campaigns = donts, phrases, campaigns

    @property
    def donts(self) -> DontRules:
        """The don'ts, read on first use."""
        return self._loaded()[0]

    @property
    def phrases(self) -> tuple[Phrase, ...]:
        """The phrases, read on first use."""
        return self._loaded()[1]

    @property
    def campaigns(self) -> tuple[Campaign, ...]:
        """The campaigns, read on first use."""
        return self._loaded()[2]

    def _loaded(self) -> tuple[DontRules, tuple[Phrase, ...], tuple[Campaign, ...]]:
        if self._donts is None:
            self.load()
        assert self._donts is not None  # load() sets it or raises
        return self._donts, self._phrases, self._campaigns

    def violations(self, text: str, lang: str, masked: Sequence[str] = ()) -> list[Dont]:
        """The don'ts that ``text`` breaks (``masked`` values are ignored), in file order."""
        return self.donts.violations(text, lang, masked=masked)

    def occasions(self, context: PhrasingContext, today: date) -> list[Occasion]:
        """Every occasion available for this client today, the officer's choice marked."""
        found = festivals_near(today, self.festival_lookahead_days)
        anniversary = anniversary_near(today, self.bank_anniversary, self.festival_lookahead_days)
        renewal = None
        if context.renewal_raised:
            renewal = renewal_occasion(today, context.days_to_maturity, self.renewal_window_days)
        found += [o for o in (anniversary, renewal) if o is not None]
        found += campaign_occasions(self.campaigns, today, context.client_kind)
        found += [Occasion("passing_by", folded=context.folded_into_trip), Occasion("general")]
        chosen = context.occasion
        if chosen is not None and not any(o.key == chosen for o in found):
            extra = self._chosen_outside_window(context, chosen, today)
            if extra is None:
                log.info("occasion %r chosen but not available on %s", chosen, today)
            else:
                found.append(extra)
        return [replace(o, chosen=True) if o.key == chosen else o for o in found]

    def _chosen_outside_window(
        self, context: PhrasingContext, chosen: str, today: date
    ) -> Occasion | None:
        # The officer knows the client: a festival or maturity further off still counts when
        # they pick it. A campaign that is not running, or an anniversary the bank never set,
        # cannot be made up.
        if chosen in FESTIVAL_KEYS:
            return nearest_festival(chosen, today)
        if chosen == "bank_anniversary" and self.bank_anniversary:
            return nearest_anniversary(today, self.bank_anniversary)
        days = context.days_to_maturity
        if chosen == "renewal_window" and days is not None and days >= 0:
            return renewal_occasion(today, days, window_days=days)
        return None

    def suggest(
        self, context: PhrasingContext, *, today: date, lang: str, n: int = 3
    ) -> list[Suggestion]:
        """The ``n`` best openers for ``context`` on ``today``, best first.

        Raises:
            ValueError: an unknown ``lang``.
            PhrasingDataError: a data file is broken.
        """
        if lang not in LANGS:
            raise ValueError(f"unknown language {lang!r}; expected one of {LANGS}")
        candidates: list[_Candidate] = []
        for occasion in self.occasions(context, today):
            strength = self._strength(occasion)
            for phrase in self.phrases:
                if _applies(phrase, context, occasion):
                    score = strength + _fit(phrase, context) + WEIGHT_FACTOR * phrase.weight
                    candidates.append(_Candidate(round(score, 3), phrase, occasion))
        candidates.sort(key=lambda c: (-c.score, c.phrase.id, c.occasion.key))
        masked = client_values(context)
        rendered: dict[int, Suggestion | None] = {}

        def render(index: int) -> Suggestion | None:
            # Only the candidates the pick looks at are rendered and checked.
            if index not in rendered:
                c = candidates[index]
                rendered[index] = self._render(c.phrase, c.occasion, context, lang, c.score, masked)
            return rendered[index]

        return _pick(candidates, render, n)

    def _strength(self, occasion: Occasion) -> float:
        bonus = CHOSEN_BONUS if occasion.chosen else 0.0
        days = occasion.days or 0
        match occasion.key:
            case "renewal_window":
                window = max(self.renewal_window_days, 1)
                return bonus + RENEWAL_BASE + max(0.0, 1 - days / window)
            case key if key in FESTIVAL_KEYS or key == "bank_anniversary":
                if days >= 0:
                    closeness = 1 - days / (self.festival_lookahead_days + 1)
                    return bonus + DATED_BASE + max(0.0, closeness)
                # After the day (拜年 after 春节): still good, fading as the days pass.
                return bonus + DATED_BASE + max(0.0, 0.5 + days / 30)
            case "passing_by":
                return bonus + (PASSING_FOLDED if occasion.folded else PASSING)
            case "new_product":
                return bonus + NEW_PRODUCT
            case _:
                return bonus + GENERAL

    def _render(
        self,
        phrase: Phrase,
        occasion: Occasion,
        context: PhrasingContext,
        lang: str,
        score: float,
        masked: Sequence[str],
    ) -> Suggestion | None:
        values = {
            "name": address(context, lang),
            "festival": occasion.name.get(lang) if occasion.name and occasion.dated else "",
            "product": occasion.name.get(lang) if occasion.name else "",
        }
        text = phrase.render(lang, values)
        # The phrase passed as written when loaded; this catches what the filled-in festival or
        # campaign names bring, while the client's own name is masked (see donts.py).
        broken = self.violations(text, lang, masked)
        if broken:
            log.warning(
                "phrase %r dropped: once filled in it breaks %s",
                phrase.id,
                ", ".join(d.id for d in broken),
            )
            return None
        joiner = "，" if lang == "zh" else ". "
        reason = f"{occasion.why(lang)}{joiner}{phrase.reason.get(lang)}"
        return Suggestion(text, reason, occasion.key, phrase.id, score, lang, occasion.on)

    async def variants(
        self, suggestion: Suggestion, context: PhrasingContext, lang: str
    ) -> list[str]:
        """Up to three rewordings of ``suggestion`` by the chat model, each checked against every
        don't and for length; ``[]`` without a model, or on any failure or timeout."""
        if self.llm is None:
            return []
        limit = VARIANT_GROWTH * len(suggestion.text) + VARIANT_EXTRA_CHARS
        masked = client_values(context)
        # The opener's form of address must survive: it also screens out a chatty preamble
        # ("以下是三种说法：").
        greeting = address(context, lang)
        must_open = greeting if suggestion.text.startswith(greeting) else ""

        def read(text: str) -> list[str]:
            kept: list[str] = []
            for line in _reply_lines(text):
                if line == suggestion.text or line in kept or line.endswith((":", "：")):
                    continue
                # Why a line is dropped is logged, never the line: it names the client.
                if not line.startswith(must_open):
                    log.info("phrasing variant dropped: the form of address is gone")
                    continue
                if len(line) > limit:
                    log.info("phrasing variant dropped: %d characters", len(line))
                    continue
                broken = self.violations(line, lang, masked)
                if broken:
                    log.info("phrasing variant dropped: breaks %s", ", ".join(d.id for d in broken))
                    continue
                kept.append(line)
                if len(kept) == MAX_VARIANTS:
                    break
            return kept

        variants = await self.llm.ask(
            "phrasing variants", lambda: self._variant_prompt(suggestion, lang), read
        )
        return variants or []

    def _variant_prompt(self, suggestion: Suggestion, lang: str) -> tuple[str, str]:
        """The system and the user part of the prompt that asks for rewordings."""
        assert self.llm is not None
        donts = [d.description.get(lang) for d in self.donts.donts]
        return (
            self.llm.macro(PROMPT_NAME, "system", lang, donts, MAX_VARIANTS),
            self.llm.macro(PROMPT_NAME, "user", lang, suggestion.text, suggestion.reason),
        )


def _applies(phrase: Phrase, context: PhrasingContext, occasion: Occasion) -> bool:
    if occasion.key not in phrase.occasions:
        return False
    if context.stage not in phrase.stages or context.client_kind not in phrase.kinds:
        return False
    if phrase.industries and not any(w in (context.industry or "") for w in phrase.industries):
        return False
    timing = occasion.timing
    return timing is None or timing in phrase.timing


def _fit(phrase: Phrase, context: PhrasingContext) -> float:
    fit = 0.0
    if len(phrase.stages) < len(STAGES):
        fit += STAGE_SPECIFIC
    if len(phrase.kinds) < len(KINDS):
        fit += KIND_SPECIFIC
    if context.focus is not None:
        if context.focus in phrase.focus:
            fit += FOCUS_MATCH
        elif not phrase.focus:
            fit += FOCUS_NEUTRAL
    return fit


@dataclass(frozen=True)
class _Candidate:
    score: float
    phrase: Phrase
    occasion: Occasion


def _pick(
    ranked: list[_Candidate], render: Callable[[int], Suggestion | None], n: int
) -> list[Suggestion]:
    """The best ``n`` distinct phrases, one per occasion first, then the best of the rest.

    A candidate that cannot be rendered cleanly (``render`` gives ``None``) is passed over.
    """
    picked: list[Suggestion] = []
    phrases: set[str] = set()
    occasions: set[str] = set()
    for one_per_occasion in (True, False):
        for index, candidate in enumerate(ranked):
            if len(picked) == n:
                break
            if candidate.phrase.id in phrases:
                continue
            if one_per_occasion and candidate.occasion.key in occasions:
                continue
            suggestion = render(index)
            if suggestion is not None:
                picked.append(suggestion)
                phrases.add(suggestion.phrase_id)
                occasions.add(suggestion.occasion)
    return sorted(picked, key=lambda s: (-s.score, s.phrase_id))


def _reply_lines(text: str) -> list[str]:
    """The reply's candidate lines, without list bullets, numbering or surrounding quotes."""
    lines: list[str] = []
    for raw in text.splitlines():
        line = _BULLET.sub("", raw).strip().strip(_QUOTES).strip()
        if line:
            lines.append(line)
    return lines
