"""The cover phrases and the bank's campaigns, as data the bank edits.

``knowledge/phrasing/phrases.yaml`` holds the openers; ``knowledge/phrasing/campaigns.yaml`` the
products or policies being promoted; their shapes are published in ``knowledge/schemas``. Both are
checked in full when read: an unknown occasion, a placeholder the phrase cannot fill, or a phrase
that says something forbidden by the don'ts (passed as validation context) stops the load with the
file and the phrase named.
"""

from __future__ import annotations

import functools
import re
import string
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    AfterValidator,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from assistant.data.schema import PROBLEM, DataModel, Loc, Text, problem, validate
from assistant.data.vocabulary import KINDS, Bilingual
from assistant.phrasing.donts import LANGS, DontRules, PhrasingDataError
from assistant.phrasing.occasions import DATED_KEYS, OCCASION_KEYS, Campaign

STAGES = ("new", "handed_over", "long_standing")
FOCUS = ("risk_control", "familiarity", "referral", "side_insight")
TIMINGS = ("before", "on", "after")
# {name}: how to address the client (王老板); {festival}: the festival or 行庆; {product}: the
# campaign. Kept few on purpose: each one is a way for an odd value to spoil a sentence.
PLACEHOLDERS = ("name", "festival", "product")
PHRASE_ID = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$")
CAMPAIGN_ID = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
MAX_WEIGHT = 5.0
# A neutral value for each placeholder while checking a phrase as written.
CHECK_VALUES = {p: "\u3007" for p in PLACEHOLDERS}


@dataclass(frozen=True)
class Phrase:
    """One opener: its words, why it works, and when it applies.

    Empty ``focus`` means the phrase suits any focus; ``stages``, ``kinds`` and ``timing`` always
    hold the allowed values (all of them when the file leaves the key out).
    """

    id: str
    text: Bilingual
    reason: Bilingual
    occasions: tuple[str, ...]
    stages: tuple[str, ...] = STAGES
    kinds: tuple[str, ...] = KINDS
    focus: tuple[str, ...] = ()
    timing: tuple[str, ...] = TIMINGS
    weight: float = 1.0
    placeholders: frozenset[str] = frozenset()
    # Words of the client's industry the phrase needs ("制造": it speaks of a plant); empty: any.
    industries: tuple[str, ...] = ()

    def render(self, lang: str, values: dict[str, str]) -> str:
        """The text in ``lang`` with its placeholders filled from ``values``."""
        return self.text.get(lang).format_map({p: values[p] for p in self.placeholders})


def placeholders_of(text: str) -> set[str]:
    """The placeholder names in ``text`` (``{name}`` …).

    Raises:
        ValueError: a malformed brace, a positional ``{}``, or a format spec or conversion.
    """
    found: set[str] = set()
    for _literal, field, spec, conversion in string.Formatter().parse(text):
        if field is None:
            continue
        if not field or spec or conversion:
            raise ValueError(f"write placeholders as {{name}}, got {{{field}{spec or ''}}}")
        found.add(field)
    return found


def load_phrases(path: Path | str, donts: DontRules) -> tuple[Phrase, ...]:
    """Read ``phrases.yaml`` and check every phrase, in both languages, against ``donts``.

    Raises:
        PhrasingDataError: naming the file, the phrase and the problem.
    """
    path = Path(path)
    spec = validate(
        PhrasesFile,
        path,
        PhrasingDataError,
        _place,
        wording=functools.partial(_wording, "phrases"),
        context={"donts": donts},
    )
    return tuple(entry.phrase() for entry in spec.phrases)


def load_campaigns(path: Path | str, donts: DontRules) -> tuple[Campaign, ...]:
    """Read ``campaigns.yaml``. A campaign's name is said to clients, so it is checked too.

    Raises:
        PhrasingDataError: naming the file, the campaign and the problem.
    """
    path = Path(path)
    spec = validate(
        CampaignsFile,
        path,
        PhrasingDataError,
        _place,
        wording=functools.partial(_wording, "campaigns"),
        context={"donts": donts},
    )
    return tuple(entry.campaign() for entry in spec.campaigns or ())


# ── the files (knowledge/schemas/phrases.schema.json, campaigns.schema.json) ───────────────────


def _distinct(values: list[str] | None, info: ValidationInfo) -> list[str] | None:
    if values is not None and len(set(values)) != len(values):
        raise problem(f"'{info.field_name}' names a value twice")
    return values


def _some_of(allowed: tuple[str, ...]) -> Any:
    """A non-empty list of some of ``allowed``, each at most once."""
    return Annotated[
        list[Literal[allowed]],
        Field(min_length=1, json_schema_extra={"uniqueItems": True}),
        AfterValidator(_distinct),
    ]


Occasions = _some_of(OCCASION_KEYS)
# Left out (or null): the phrase or campaign is not limited by them; see Phrase.
Stages = _some_of(STAGES) | None
Kinds = _some_of(KINDS) | None
Focuses = _some_of(FOCUS) | None
Timings = _some_of(TIMINGS) | None
# Each field's allowed values, for the wording of an unknown one.
CHOICES = {
    "occasions": OCCASION_KEYS,
    "stages": STAGES,
    "kinds": KINDS,
    "focus": FOCUS,
    "when": TIMINGS,
}
# Text as the client hears it: on one line, however the YAML wrapped it.
Line = Annotated[Text, AfterValidator(lambda text: " ".join(text.split()))]


class Said(DataModel):
    """A text in both languages."""

    zh: Line
    en: Line

    def bilingual(self) -> Bilingual:
        return Bilingual(self.zh, self.en)


def _say_nothing_forbidden(said: Bilingual, info: ValidationInfo, at: str) -> None:
    donts: DontRules = (info.context or {})["donts"]
    for lang in LANGS:
        broken = donts.violations(said.get(lang), lang)
        if broken:
            ids = ", ".join(d.id for d in broken)
            raise problem(f"says something forbidden ({ids}): {said.get(lang)!r}", f"{at}/{lang}")


class PhraseEntry(DataModel):
    """One opener the officer may use, and when it applies."""

    # How an error names the entry, and words a wrong id.
    noun: ClassVar[str] = "phrase"
    id_rule: ClassVar[str] = "lower case words joined by . or _"
    id_pattern: ClassVar[re.Pattern[str]] = PHRASE_ID

    id: Annotated[
        str,
        Field(
            pattern=PHRASE_ID.pattern,
            description="unique, lower case words joined by . or _ (occasion.topic)",
        ),
    ]
    occasions: Annotated[
        Occasions,
        Field(
            description="when it can be said: a festival (spring_festival 春节, lantern 元宵, "
            "dragon_boat 端午, mid_autumn 中秋, national_day 国庆, new_year 元旦), "
            "bank_anniversary (行庆, on BANK_ANNIVERSARY), renewal_window (a loan maturing "
            "within PHRASING_RENEWAL_WINDOW_DAYS), passing_by (always; ranked high when the visit "
            "is folded into a trip), new_product (a campaign of campaigns.yaml is running) or "
            "general (always)"
        ),
    ]
    stages: Annotated[
        Stages,
        Field(
            description="new (first loan under 6 months), handed_over (came to this officer "
            "within 6 months), long_standing; left out: every stage"
        ),
    ] = None
    kinds: Annotated[Kinds, Field(description="borrower kinds; left out: both")] = None
    industries: Annotated[
        list[Annotated[str, Field(min_length=1, max_length=20)]] | None,
        Field(
            description="words of the client's industry as on file that the phrase needs "
            "(制造, 加工: it speaks of a plant, so a trader is not told 经过您厂里); left out: any"
        ),
    ] = None
    focus: Annotated[
        Focuses,
        Field(
            description="the visit focuses it serves (风险控制 增强熟悉度 客户介绍客户 "
            "侧面了解): a phrase matching the visit's focus ranks higher; left out, it is neutral"
        ),
    ] = None
    when: Annotated[
        Timings,
        Field(
            description="festivals and bank_anniversary only: before, on or after the day (after: "
            "春节 stays an occasion for the two weeks of 拜年); left out: any time"
        ),
    ] = None
    weight: Annotated[
        float,
        Field(gt=0, le=MAX_WEIGHT, description="a tie-breaker among similar phrases"),
    ] = 1.0
    text: Annotated[
        Said,
        Field(
            description="what the officer says. Placeholders: {name} (王老板 / Boss Wang, or a "
            "greeting when the name gives none; only at the very start), {festival} (only when "
            "every occasion is a festival or bank_anniversary), {product} (the campaign; only "
            "with new_product as the sole occasion); zh and en use the same ones; a literal "
            "brace is written {{ or }}"
        ),
    ]
    reason: Annotated[
        Said,
        Field(
            description="why it works, shown to the officer only (no placeholders); the service "
            "puts today's occasion in front of it"
        ),
    ]

    @model_validator(mode="after")
    def _fits_its_occasions(self, info: ValidationInfo) -> PhraseEntry:
        if "when" in self.model_fields_set and not set(self.occasions) <= set(DATED_KEYS):
            raise problem("'when' applies only to festivals and bank_anniversary")
        self.placeholders()
        text = self.text.bilingual()
        checked = Bilingual(text.zh.format_map(CHECK_VALUES), text.en.format_map(CHECK_VALUES))
        _say_nothing_forbidden(checked, info, "text")
        return self

    def placeholders(self) -> set[str]:
        """The placeholders of the text; :func:`problem` for one it cannot fill."""
        found: dict[str, set[str]] = {}
        for lang in LANGS:
            try:
                found[lang] = placeholders_of(getattr(self.text, lang))
                in_reason = placeholders_of(getattr(self.reason, lang))
            except ValueError as exc:
                raise problem(str(exc), lang) from None
            if in_reason:
                raise problem("the reason takes no placeholders", f"reason/{lang}")
            if unknown := sorted(found[lang] - set(PLACEHOLDERS)):
                allowed = ", ".join(f"{{{p}}}" for p in PLACEHOLDERS)
                raise problem(
                    f"unknown placeholder {{{unknown[0]}}} (allowed: {allowed})", f"text/{lang}"
                )
        if found["zh"] != found["en"]:
            raise problem("zh and en must use the same placeholders", "text")
        fields = found["zh"]
        if "festival" in fields and not set(self.occasions) <= set(DATED_KEYS):
            raise problem("{festival} needs every occasion to be a festival or bank_anniversary")
        if "product" in fields and set(self.occasions) != {"new_product"}:
            raise problem("{product} needs new_product to be the only occasion")
        if "name" in fields:
            # {name} can be a greeting ("您好") when the client's name gives no form of address,
            # so it must open the sentence, where a greeting reads naturally.
            for lang in LANGS:
                if not getattr(self.text, lang).startswith("{name}"):
                    raise problem("{name} may only open the sentence", f"text/{lang}")
        return fields

    def phrase(self) -> Phrase:
        return Phrase(
            id=self.id,
            text=self.text.bilingual(),
            reason=self.reason.bilingual(),
            occasions=tuple(self.occasions),
            stages=tuple(self.stages or STAGES),
            kinds=tuple(self.kinds or KINDS),
            focus=tuple(self.focus or ()),
            timing=tuple(self.when or TIMINGS),
            weight=self.weight,
            placeholders=frozenset(self.placeholders()),
            industries=tuple(self.industries or ()),
        )


class CampaignEntry(DataModel):
    """A product or policy being promoted, and the days it runs."""

    # How an error names the entry, and words a wrong id.
    noun: ClassVar[str] = "campaign"
    id_rule: ClassVar[str] = "lower case letters, digits, - or _"
    id_pattern: ClassVar[re.Pattern[str]] = CAMPAIGN_ID

    id: Annotated[
        str,
        Field(
            pattern=CAMPAIGN_ID.pattern, description="unique, lower case letters, digits, - or _"
        ),
    ]
    name: Annotated[
        Said,
        Field(
            description="as said to the client, after 行里最近推出了: a noun phrase "
            "(小微企业春季经营周转贷 / the spring working-capital loan for small businesses), "
            "with no braces, and nothing donts.yaml forbids (no rates, no promises)"
        ),
    ]
    starts: Annotated[date, Field(description="the first day, YYYY-MM-DD")]
    ends: Annotated[date, Field(description="the last day (inclusive), YYYY-MM-DD")]
    kinds: Annotated[Kinds, Field(description="borrower kinds; left out: both")] = None

    @field_validator("starts", "ends", mode="before")
    @classmethod
    def _day(cls, value: Any) -> Any:
        # YAML reads an unquoted 2026-03-01 as a date already; a quoted one arrives as text.
        if isinstance(value, datetime):
            return value.date()
        if isinstance(value, str):
            try:
                return date.fromisoformat(value.strip())
            except ValueError:
                pass
        return value

    @model_validator(mode="after")
    def _sayable_and_in_order(self, info: ValidationInfo) -> CampaignEntry:
        name = self.name.bilingual()
        for lang in LANGS:
            if "{" in name.get(lang) or "}" in name.get(lang):
                raise problem("a campaign name cannot hold braces", f"name/{lang}")
        _say_nothing_forbidden(name, info, "name")
        if self.ends < self.starts:
            raise problem(f"'ends' ({self.ends}) is before 'starts' ({self.starts})")
        return self

    def campaign(self) -> Campaign:
        return Campaign(
            self.id, self.name.bilingual(), self.starts, self.ends, tuple(self.kinds or KINDS)
        )


def _unique(entries: list[PhraseEntry] | list[CampaignEntry]) -> None:
    # Raised from the file, not the list, so that the place is the entry's: "phrase x".
    seen: set[str] = set()
    for entry in entries:
        if entry.id in seen:
            raise problem("the id is used twice", f"{entry.noun} {entry.id}")
        seen.add(entry.id)


class PhrasesFile(DataModel):
    """``knowledge/phrasing/phrases.yaml``: the openers, at least one."""

    version: Literal[1]
    phrases: Annotated[list[PhraseEntry], Field(min_length=1)]

    @model_validator(mode="after")
    def _ids_unique(self) -> PhrasesFile:
        _unique(self.phrases)
        return self


class CampaignsFile(DataModel):
    """``knowledge/phrasing/campaigns.yaml``: the campaigns; none (or null) while none runs."""

    version: Literal[1]
    campaigns: list[CampaignEntry] | None

    @model_validator(mode="after")
    def _ids_unique(self) -> CampaignsFile:
        _unique(self.campaigns or [])
        return self


ENTRIES: Mapping[str, type[PhraseEntry] | type[CampaignEntry]] = {
    "phrases": PhraseEntry,
    "campaigns": CampaignEntry,
}


def _place(loc: Loc, raw: Any) -> str:
    """``phrase <id>`` (``phrase #n`` while the id itself is wrong), ``phrases`` for the list as
    a whole, nothing for the file's top level."""
    if not loc or loc[0] not in ENTRIES or not isinstance(raw, dict) or loc[0] not in raw:
        return ""
    if len(loc) < 2 or not isinstance(loc[1], int):
        return str(loc[0])
    model = ENTRIES[str(loc[0])]
    entries = raw[loc[0]]
    entry = entries[loc[1]] if isinstance(entries, list) and loc[1] < len(entries) else None
    ident = entry.get("id") if isinstance(entry, dict) else None
    if (len(loc) > 2 and loc[2] == "id") or not (
        isinstance(ident, str) and model.id_pattern.match(ident)
    ):
        return f"{model.noun} #{loc[1] + 1}"
    return f"{model.noun} {ident}"


def _wording(key: str, detail: Mapping[str, Any]) -> str | None:
    """Pydantic's errors in the words this file's editors (and its tests) know from before."""
    loc, error = detail["loc"], detail["type"]
    given = None if error == "missing" else detail["input"]
    if error == PROBLEM:
        return None
    if loc == ("version",) and error != "missing":
        return f"'version' must be 1, got {given!r}"
    if (len(loc) < 2 and loc != (key,)) or (loc == (key,) and error == "missing"):
        return f"the file must be a mapping with exactly 'version' and '{key}'"
    if loc == (key,):
        if key == "phrases" and given in (None, []):
            return "the file holds no phrase"
        return "must be a list"
    if len(loc) == 2:
        return "must be a mapping"
    model, field = ENTRIES[key], str(loc[2])
    if error == "extra_forbidden" and len(loc) == 3:
        return f"unknown key {field!r} (allowed: {', '.join(model.model_fields)})"
    if field == "id":
        return f"'id' must be {model.id_rule}, got {given!r}"
    if field in ("text", "reason", "name"):
        if len(loc) == 3 or error in ("missing", "extra_forbidden"):
            return f"'{field}' must have exactly 'zh' and 'en'"
        return f"'{field}/{loc[3]}' must be non-empty text"
    if field in CHOICES:
        return _choice_wording(field, loc, given)
    if field == "weight":
        if error in ("greater_than", "less_than_equal"):
            return f"'weight' must be above 0 and at most {MAX_WEIGHT:g}, got {given}"
        return f"'weight' must be a number, got {given!r}"
    if field in ("starts", "ends"):
        return f"'{field}' must be a date written YYYY-MM-DD, got {given!r}"
    return None


def _choice_wording(field: str, loc: Loc, given: Any) -> str:
    if len(loc) == 3:
        if field == "occasions" and given is None:
            return "'occasions' is required"
        return f"'{field}' must be a non-empty list (or left out)"
    if given is True or given is False:
        # YAML reads a bare on/off/yes/no as true/false.
        return f"'{field}' holds {given!r}: put words like \"on\" in quotes"
    return f"unknown {field} {given!r} (allowed: {', '.join(CHOICES[field])})"
