"""A suggested five-tier class (五级分类) from days overdue and a visit's findings.

The overdue lines are those of 《商业银行金融资产风险分类办法》 (国家金融监督管理总局
2023年第1号令, effective 2023-07-01): any overdue → at least 关注; more than 90 days → at least
次级; more than 270 → at least 可疑; more than 360 → 损失. The 2007 lines (90/180 days) no longer
apply.

Two kinds of finding are kept apart. A *floor* is a situation the rules themselves put at least
at a tier (擅自改变资金用途 → 关注, for a company's loan): only floors and the overdue lines raise
the suggestion. Everything else the rules found is the bank's own early-warning *signal* (staff
present, revenue falling, debts larger than our loan): it is listed for the officer to judge and
raises nothing by itself. A finding that means the borrower may not pay in full (停产, 终本) asks
the officer to *consider* a worse tier, without deciding it.

The overdue lines are law and stay here. The floors, what to consider, and the words (the tier
labels, the rulebook's name and the sentences of the reason) are data, in the ``classification``
block of ``knowledge/risk_rules.yaml``, read into :class:`ClassificationTexts` by
:func:`assistant.risk.rules.load_rules`, so that a bank corrects a row rather than the code.

The result is advice for the officer, never a classification: the class is decided through the
bank's own procedure, on everything the officer knows. The reason does not say so itself; every
renderer prints that note right under it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from assistant.data.vocabulary import Bilingual
from assistant.risk.model import ClassSuggestion, Finding, RiskFacts

TIERS = ("normal", "special_mention", "substandard", "doubtful", "loss")
# (more than this many days overdue, at least this tier), worst first.
OVERDUE_LINES = ((360, "loss"), (270, "doubtful"), (90, "substandard"), (0, "special_mention"))
# The sentences a reason is made of, and the values each may quote. The loader refuses any other
# placeholder, so a typo fails at start-up rather than in a report.
REASONS: Mapping[str, frozenset[str]] = {
    "overdue_any": frozenset({"days", "rulebook", "tier"}),
    "overdue_beyond": frozenset({"days", "line", "rulebook", "tier"}),
    "overdue_loss": frozenset({"days", "line", "rulebook", "tier"}),
    "clean": frozenset(),
    "floor": frozenset({"findings", "rule", "rulebook", "tier"}),
    "signals": frozenset({"findings", "tier"}),
    "also_found": frozenset({"findings"}),
    "consider": frozenset({"findings", "rule", "tier"}),
    "worse_on_file": frozenset({"on_file", "tier"}),
}
# Joining finding titles in a sentence, and sentences into the reason.
_LIST_SEPARATOR = Bilingual("；", "; ")
_SENTENCE_SEPARATOR = Bilingual("", " ")


@dataclass(frozen=True)
class Floor:
    """A situation that puts a loan at least at ``tier`` (a floor), or that asks the officer to
    consider ``tier``: the findings that show it, by rule id and, where it matters, severity
    (``None``: any), the borrower kinds it applies to (empty: all), and ``rule``, the words that
    name it."""

    id: str
    tier: str
    findings: tuple[tuple[str, str | None], ...]
    rule: Bilingual
    kinds: frozenset[str] = frozenset()

    def shown_by(self, facts: RiskFacts, findings: Sequence[Finding]) -> list[Finding]:
        """The findings of this visit that show it; none when it does not apply to the borrower."""
        if self.kinds and facts.kind not in self.kinds:
            return []
        return [
            f
            for f in findings
            if any(
                f.rule_id == rule and (severity is None or f.severity.value == severity)
                for rule, severity in self.findings
            )
        ]


@dataclass(frozen=True)
class ClassificationTexts:
    """The words of a suggestion, and its floors, from the rules file.

    ``labels`` has every tier of :data:`TIERS`; ``reasons`` has every sentence of :data:`REASONS`,
    a ``str.format`` template over the values that sentence allows. ``floors`` raise the
    suggestion; ``consider`` only asks the officer to weigh a worse tier.
    """

    labels: Mapping[str, Bilingual]
    rulebook: Bilingual
    reasons: Mapping[str, Bilingual]
    floors: tuple[Floor, ...] = ()
    consider: tuple[Floor, ...] = ()

    def say(self, reason: str, **values: Bilingual | int) -> Bilingual:
        """The sentence ``reason`` in both languages, with ``values`` filled in."""
        text = self.reasons[reason]
        return Bilingual(
            text.zh.format(**{k: _in(v, "zh") for k, v in values.items()}),
            text.en.format(**{k: _in(v, "en") for k, v in values.items()}),
        )


def _in(value: Bilingual | int, lang: str) -> str:
    return getattr(value, lang) if isinstance(value, Bilingual) else str(value)


def tier_for_overdue(days_overdue: int) -> str:
    """The least tier the 2023 rules allow for a loan this many days overdue."""
    for line, tier in OVERDUE_LINES:
        if days_overdue > line:
            return tier
    return "normal"


def suggest_class(
    facts: RiskFacts, findings: Sequence[Finding], texts: ClassificationTexts
) -> ClassSuggestion:
    """Suggest a five-tier class for the client's loans.

    Args:
        facts: the visit; its loans give the days overdue (the longest overdue loan counts).
        findings: what the rules found on this visit. Those that show one of ``texts.floors``
            raise the suggestion to its tier; the other warning and critical ones are signals,
            listed for the officer to judge; those that show one of ``texts.consider`` ask the
            officer to weigh a worse tier.
        texts: the floors, the labels and the sentences of the reason, from the rules file.

    Returns:
        The suggestion, with its reason in both languages.
    """
    days = max((loan.days_overdue for loan in facts.loans), default=0)
    tier = tier_for_overdue(days)
    floors = [(floor, floor.shown_by(facts, findings)) for floor in texts.floors]
    floors = [(floor, shown) for floor, shown in floors if shown]
    for floor, _ in floors:
        tier = max(tier, floor.tier, key=TIERS.index)
    parts = [_overdue_reason(days, tier, texts)] if days > 0 else []
    parts += [
        texts.say(
            "floor",
            findings=_titles(shown),
            rule=floor.rule,
            rulebook=texts.rulebook,
            tier=texts.labels[floor.tier],
        )
        for floor, shown in floors
    ]
    explained = {id(f) for _, shown in floors for f in shown}
    # Findings read only from the loan record (the overdue itself) are already the first part.
    signals = [
        f
        for f in findings
        if f.severity.alerts
        and id(f) not in explained
        and not (f.evidence and all(e.kind == "loan" for e in f.evidence))
    ]
    if not parts:
        key = "signals" if signals else "clean"
        parts.append(texts.say(key, findings=_titles(signals), tier=texts.labels[tier]))
    elif signals:
        parts.append(texts.say("also_found", findings=_titles(signals)))
    for weigh in texts.consider:
        shown = weigh.shown_by(facts, findings)
        if shown and TIERS.index(weigh.tier) > TIERS.index(tier):
            parts.append(
                texts.say(
                    "consider",
                    findings=_titles(shown),
                    rule=weigh.rule,
                    tier=texts.labels[weigh.tier],
                )
            )
    worse = _worse_on_file(facts, tier, texts)
    if worse:
        parts.append(worse)
    reason = Bilingual(
        _SENTENCE_SEPARATOR.zh.join(p.zh for p in parts),
        _SENTENCE_SEPARATOR.en.join(p.en for p in parts),
    )
    return ClassSuggestion(
        tier,
        texts.labels[tier],
        reason,
        days,
        floors=tuple(floor.id for floor, _ in floors),
        signals=tuple(f.rule_id for f in signals),
    )


def _overdue_reason(days: int, tier: str, texts: ClassificationTexts) -> Bilingual:
    line = next(line for line, t in OVERDUE_LINES if t == tier)
    # More than 360 days is 损失 outright; the other lines are floors ("at least").
    reason = {"special_mention": "overdue_any", "loss": "overdue_loss"}.get(tier, "overdue_beyond")
    # Formatting ignores values a sentence does not quote (overdue_any has no line: it is 0).
    return texts.say(reason, days=days, line=line, rulebook=texts.rulebook, tier=texts.labels[tier])


def _titles(findings: Sequence[Finding]) -> Bilingual:
    return Bilingual(
        _LIST_SEPARATOR.zh.join(f.title.zh for f in findings),
        _LIST_SEPARATOR.en.join(f.title.en for f in findings),
    )


def _worse_on_file(facts: RiskFacts, tier: str, texts: ClassificationTexts) -> Bilingual | None:
    classes = [loan.risk_class for loan in facts.loans if loan.risk_class in TIERS]
    worst = max(classes, key=TIERS.index, default=None)
    if worst is None or TIERS.index(worst) <= TIERS.index(tier):
        return None
    # Moving a loan up a tier has conditions of its own (e.g. after restructuring); the
    # suggestion must not read as permission to do so.
    return texts.say("worse_on_file", on_file=texts.labels[worst], tier=texts.labels[tier])
