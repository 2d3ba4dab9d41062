"""The cover phrases and the bank's campaigns, as data the bank edits.

``knowledge/phrasing/phrases.yaml`` holds the openers (see its header for the schema);
``knowledge/phrasing/campaigns.yaml`` the products or policies being promoted. Both are checked
in full when read: an unknown occasion, a placeholder the phrase cannot fill, or a phrase that
says something forbidden stops the load with the file and the phrase named.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, NoReturn

from assistant.data.files import read_data_file
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
PHRASE_KEYS = ("id", "occasions", "stages", "kinds", "focus", "when", "weight", "text", "reason")


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
    return _PhraseReader(path, donts).read(read_data_file(path, PhrasingDataError))


def load_campaigns(path: Path | str, donts: DontRules) -> tuple[Campaign, ...]:
    """Read ``campaigns.yaml``. A campaign's name is said to clients, so it is checked too.

    Raises:
        PhrasingDataError: naming the file, the campaign and the problem.
    """
    path = Path(path)
    return _CampaignReader(path, donts).read(read_data_file(path, PhrasingDataError))


class _Reader:
    list_key = ""

    def __init__(self, path: Path, donts: DontRules) -> None:
        self.path = path
        self.donts = donts

    def fail(self, where: str, problem: str) -> NoReturn:
        raise PhrasingDataError(self.path, where, problem)

    def entries(self, raw: Any) -> list[Any]:
        if not isinstance(raw, dict) or set(raw) != {"version", self.list_key}:
            self.fail(
                "", f"the file must be a mapping with exactly 'version' and '{self.list_key}'"
            )
        if raw["version"] != 1:
            self.fail("", f"'version' must be 1, got {raw['version']!r}")
        items = raw[self.list_key]
        if items is None:
            return []
        if not isinstance(items, list):
            self.fail(self.list_key, "must be a list")
        return items

    def bilingual(self, where: str, key: str, value: Any) -> Bilingual:
        if not isinstance(value, dict) or set(value) != set(LANGS):
            self.fail(where, f"'{key}' must have exactly 'zh' and 'en'")
        for lang in LANGS:
            if not isinstance(value[lang], str) or not value[lang].strip():
                self.fail(where, f"'{key}/{lang}' must be non-empty text")
        return Bilingual(" ".join(value["zh"].split()), " ".join(value["en"].split()))

    def choices(
        self, where: str, key: str, value: Any, allowed: tuple[str, ...], default: tuple[str, ...]
    ) -> tuple[str, ...]:
        if value is None:
            return default
        if not isinstance(value, list) or not value:
            self.fail(where, f"'{key}' must be a non-empty list (or left out)")
        for item in value:
            if item is True or item is False:
                # YAML reads a bare on/off/yes/no as true/false.
                self.fail(where, f"'{key}' holds {item!r}: put words like \"on\" in quotes")
            if item not in allowed:
                self.fail(where, f"unknown {key} {item!r} (allowed: {', '.join(allowed)})")
        if len(set(value)) != len(value):
            self.fail(where, f"'{key}' names a value twice")
        return tuple(value)

    def check_donts(self, where: str, texts: Bilingual) -> None:
        for lang in LANGS:
            broken = self.donts.violations(texts.get(lang), lang)
            if broken:
                ids = ", ".join(d.id for d in broken)
                self.fail(
                    f"{where}/{lang}", f"says something forbidden ({ids}): {texts.get(lang)!r}"
                )


class _PhraseReader(_Reader):
    list_key = "phrases"

    def read(self, raw: Any) -> tuple[Phrase, ...]:
        phrases: list[Phrase] = []
        seen: set[str] = set()
        for index, entry in enumerate(self.entries(raw), start=1):
            phrase = self.phrase(index, entry)
            if phrase.id in seen:
                self.fail(f"phrase {phrase.id}", "the id is used twice")
            seen.add(phrase.id)
            phrases.append(phrase)
        if not phrases:
            self.fail("phrases", "the file holds no phrase")
        return tuple(phrases)

    def phrase(self, index: int, entry: Any) -> Phrase:
        where = f"phrase #{index}"
        if not isinstance(entry, dict):
            self.fail(where, "must be a mapping")
        phrase_id = entry.get("id")
        if not isinstance(phrase_id, str) or not PHRASE_ID.match(phrase_id):
            self.fail(where, f"'id' must be lower case words joined by . or _, got {phrase_id!r}")
        where = f"phrase {phrase_id}"
        if unknown := sorted(set(entry) - set(PHRASE_KEYS)):
            self.fail(where, f"unknown key {unknown[0]!r} (allowed: {', '.join(PHRASE_KEYS)})")
        occasions = self.choices(where, "occasions", entry.get("occasions"), OCCASION_KEYS, ())
        if not occasions:
            self.fail(where, "'occasions' is required")
        timing = self.choices(where, "when", entry.get("when"), TIMINGS, TIMINGS)
        if "when" in entry and not set(occasions) <= set(DATED_KEYS):
            self.fail(where, "'when' applies only to festivals and bank_anniversary")
        text = self.bilingual(where, "text", entry.get("text"))
        reason = self.bilingual(where, "reason", entry.get("reason"))
        fields = self.placeholders(where, text, reason, occasions)
        self.check_donts(f"{where}/text", self.with_check_values(text))
        return Phrase(
            id=phrase_id,
            text=text,
            reason=reason,
            occasions=occasions,
            stages=self.choices(where, "stages", entry.get("stages"), STAGES, STAGES),
            kinds=self.choices(where, "kinds", entry.get("kinds"), KINDS, KINDS),
            focus=self.choices(where, "focus", entry.get("focus"), FOCUS, ()),
            timing=timing,
            weight=self.weight(where, entry.get("weight", 1.0)),
            placeholders=frozenset(fields),
        )

    def placeholders(
        self, where: str, text: Bilingual, reason: Bilingual, occasions: tuple[str, ...]
    ) -> set[str]:
        found: dict[str, set[str]] = {}
        for lang in LANGS:
            try:
                found[lang] = placeholders_of(text.get(lang))
                in_reason = placeholders_of(reason.get(lang))
            except ValueError as exc:
                self.fail(f"{where}/{lang}", str(exc))
            if in_reason:
                self.fail(f"{where}/reason/{lang}", "the reason takes no placeholders")
            if unknown := sorted(found[lang] - set(PLACEHOLDERS)):
                self.fail(
                    f"{where}/text/{lang}",
                    f"unknown placeholder {{{unknown[0]}}} (allowed: "
                    + ", ".join(f"{{{p}}}" for p in PLACEHOLDERS)
                    + ")",
                )
        if found["zh"] != found["en"]:
            self.fail(f"{where}/text", "zh and en must use the same placeholders")
        fields = found["zh"]
        if "festival" in fields and not set(occasions) <= set(DATED_KEYS):
            self.fail(where, "{festival} needs every occasion to be a festival or bank_anniversary")
        if "product" in fields and set(occasions) != {"new_product"}:
            self.fail(where, "{product} needs new_product to be the only occasion")
        if "name" in fields:
            # {name} can be a greeting ("您好") when the client's name gives no form of address,
            # so it must open the sentence, where a greeting reads naturally.
            for lang in LANGS:
                if not text.get(lang).startswith("{name}"):
                    self.fail(f"{where}/text/{lang}", "{name} may only open the sentence")
        return fields

    @staticmethod
    def with_check_values(text: Bilingual) -> Bilingual:
        return Bilingual(text.zh.format_map(CHECK_VALUES), text.en.format_map(CHECK_VALUES))

    def weight(self, where: str, value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.fail(where, f"'weight' must be a number, got {value!r}")
        if not 0 < value <= MAX_WEIGHT:
            self.fail(where, f"'weight' must be above 0 and at most {MAX_WEIGHT:g}, got {value}")
        return float(value)


class _CampaignReader(_Reader):
    list_key = "campaigns"

    def read(self, raw: Any) -> tuple[Campaign, ...]:
        campaigns: list[Campaign] = []
        seen: set[str] = set()
        for index, entry in enumerate(self.entries(raw), start=1):
            campaign = self.campaign(index, entry)
            if campaign.id in seen:
                self.fail(f"campaign {campaign.id}", "the id is used twice")
            seen.add(campaign.id)
            campaigns.append(campaign)
        return tuple(campaigns)

    def campaign(self, index: int, entry: Any) -> Campaign:
        where = f"campaign #{index}"
        if not isinstance(entry, dict):
            self.fail(where, "must be a mapping")
        campaign_id = entry.get("id")
        if not isinstance(campaign_id, str) or not CAMPAIGN_ID.match(campaign_id):
            self.fail(
                where, f"'id' must be lower case letters, digits, - or _, got {campaign_id!r}"
            )
        where = f"campaign {campaign_id}"
        allowed = ("id", "name", "starts", "ends", "kinds")
        if unknown := sorted(set(entry) - set(allowed)):
            self.fail(where, f"unknown key {unknown[0]!r} (allowed: {', '.join(allowed)})")
        name = self.bilingual(where, "name", entry.get("name"))
        for lang in LANGS:
            if "{" in name.get(lang) or "}" in name.get(lang):
                self.fail(f"{where}/name/{lang}", "a campaign name cannot hold braces")
        self.check_donts(f"{where}/name", name)
        starts = self.day(where, "starts", entry.get("starts"))
        ends = self.day(where, "ends", entry.get("ends"))
        if ends < starts:
            self.fail(where, f"'ends' ({ends}) is before 'starts' ({starts})")
        kinds = self.choices(where, "kinds", entry.get("kinds"), KINDS, KINDS)
        return Campaign(campaign_id, name, starts, ends, kinds)

    def day(self, where: str, key: str, value: Any) -> date:
        # YAML reads an unquoted 2026-03-01 as a date already; a quoted one arrives as text.
        if isinstance(value, datetime):
            return value.date()
        if isinstance(value, date):
            return value
        if isinstance(value, str):
            try:
                return date.fromisoformat(value.strip())
            except ValueError:
                pass
        self.fail(where, f"'{key}' must be a date written YYYY-MM-DD, got {value!r}")
