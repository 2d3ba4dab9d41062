"""A suggested five-tier class (五级分类) from days overdue and a visit's findings.

The overdue lines are those of 《商业银行金融资产风险分类办法》 (国家金融监督管理总局
2023年第1号令, effective 2023-07-01): any overdue → at least 关注; more than 90 days → at least
次级; more than 270 → at least 可疑; more than 360 → 损失. The 2007 lines (90/180 days) no longer
apply. Without overdue, a warning or critical finding is an adverse factor, which is what 关注
means.

The lines are law and stay here; the words (the tier labels, the rulebook's name and the sentences
of the reason) are data, in the ``classification`` block of ``knowledge/risk_rules.yaml``, read
into :class:`ClassificationTexts` by :func:`assistant.risk.rules.load_rules`.

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
    "adverse": frozenset({"findings", "tier"}),
    "also_found": frozenset({"findings"}),
    "worse_on_file": frozenset({"on_file", "tier"}),
}
# Joining finding titles in a sentence, and sentences into the reason.
_LIST_SEPARATOR = Bilingual("；", "; ")
_SENTENCE_SEPARATOR = Bilingual("", " ")


@dataclass(frozen=True)
class ClassificationTexts:
    """The words of a suggestion, from the rules file.

    ``labels`` has every tier of :data:`TIERS`; ``reasons`` has every sentence of :data:`REASONS`,
    a ``str.format`` template over the values that sentence allows.
    """

    labels: Mapping[str, Bilingual]
    rulebook: Bilingual
    reasons: Mapping[str, Bilingual]

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
        findings: what the rules found on this visit; warning and critical ones are adverse
            factors that suggest at least 关注.
        texts: the labels and the sentences of the reason, from the rules file.

    Returns:
        The suggestion, with its reason in both languages.
    """
    days = max((loan.days_overdue for loan in facts.loans), default=0)
    tier = tier_for_overdue(days)
    alerting = [f for f in findings if f.severity.alerts]
    if tier == "normal" and alerting:
        tier = "special_mention"
    if days > 0:
        parts = [_overdue_reason(days, tier, texts)]
    elif alerting:
        parts = [texts.say("adverse", findings=_titles(alerting), tier=texts.labels[tier])]
    else:
        parts = [texts.say("clean")]
    # Findings read only from the loan record (the overdue itself) are already the first part.
    visit_findings = [f for f in alerting if any(e.kind != "loan" for e in f.evidence)]
    if days > 0 and visit_findings:
        parts.append(texts.say("also_found", findings=_titles(visit_findings)))
    worse = _worse_on_file(facts, tier, texts)
    if worse:
        parts.append(worse)
    reason = Bilingual(
        _SENTENCE_SEPARATOR.zh.join(p.zh for p in parts),
        _SENTENCE_SEPARATOR.en.join(p.en for p in parts),
    )
    return ClassSuggestion(tier, texts.labels[tier], reason, days)


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
