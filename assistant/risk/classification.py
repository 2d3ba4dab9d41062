"""A suggested five-tier class (五级分类) from days overdue and a visit's findings.

The overdue lines are those of 《商业银行金融资产风险分类办法》 (国家金融监督管理总局
2023年第1号令, effective 2023-07-01): any overdue → at least 关注; more than 90 days → at least
次级; more than 270 → at least 可疑; more than 360 → 损失. The 2007 lines (90/180 days) no longer
apply. Without overdue, a warning or critical finding is an adverse factor, which is what 关注
means.

The result is advice for the officer, never a classification: the class is decided through the
bank's own procedure, on everything the officer knows.
"""

from __future__ import annotations

from collections.abc import Sequence

from assistant.knowledge.entries import Bilingual
from assistant.risk.model import ClassSuggestion, Finding, RiskFacts

TIERS = ("normal", "special_mention", "substandard", "doubtful", "loss")
LABELS = {
    "normal": Bilingual("正常", "normal"),
    "special_mention": Bilingual("关注", "special mention"),
    "substandard": Bilingual("次级", "substandard"),
    "doubtful": Bilingual("可疑", "doubtful"),
    "loss": Bilingual("损失", "loss"),
}
# (more than this many days overdue, at least this tier), worst first.
OVERDUE_LINES = ((360, "loss"), (270, "doubtful"), (90, "substandard"), (0, "special_mention"))
RULEBOOK = Bilingual(
    "《商业银行金融资产风险分类办法》（2023年7月1日起施行）",
    "the Measures for the Risk Classification of Financial Assets of Commercial Banks "
    "(in force since 1 July 2023)",
)
ADVICE = Bilingual(
    "以上是根据逾期天数和本次回访发现给出的分类建议，供客户经理参考，不是分类结论；"
    "请结合借款人的全部情况，按行内流程认定。",
    "This is a suggestion from the days overdue and this visit's findings, for the officer to "
    "weigh; it is not a classification decision, which is made through the bank's own procedure "
    "on everything known about the borrower.",
)


def tier_for_overdue(days_overdue: int) -> str:
    """The least tier the 2023 rules allow for a loan this many days overdue."""
    for line, tier in OVERDUE_LINES:
        if days_overdue > line:
            return tier
    return "normal"


def suggest_class(facts: RiskFacts, findings: Sequence[Finding]) -> ClassSuggestion:
    """Suggest a five-tier class for the client's loans.

    Args:
        facts: the visit; its loans give the days overdue (the longest overdue loan counts).
        findings: what the rules found on this visit; warning and critical ones are adverse
            factors that suggest at least 关注.

    Returns:
        The suggestion, with a reason in both languages that says it is advice, not a decision.
    """
    days = max((loan.days_overdue for loan in facts.loans), default=0)
    tier = tier_for_overdue(days)
    alerting = [f for f in findings if f.severity.alerts]
    if tier == "normal" and alerting:
        tier = "special_mention"
    parts = [_overdue_reason(days, tier) if days > 0 else _no_overdue_reason(alerting)]
    # Findings read only from the loan record (the overdue itself) are already the first part.
    visit_findings = [f for f in alerting if any(e.kind != "loan" for e in f.evidence)]
    if days > 0 and visit_findings:
        parts.append(_findings_note(visit_findings))
    worse = _worse_on_file(facts, tier)
    if worse:
        parts.append(worse)
    parts.append(ADVICE)
    reason = Bilingual("".join(p.zh for p in parts), " ".join(p.en for p in parts))
    return ClassSuggestion(tier, LABELS[tier], reason, days)


def _overdue_reason(days: int, tier: str) -> Bilingual:
    line = next(line for line, t in OVERDUE_LINES if t == tier)
    label = LABELS[tier]
    if tier == "special_mention":
        return Bilingual(
            f"逾期 {days} 天：按{RULEBOOK.zh}，逾期即至少归为{label.zh}。",
            f"{days} days overdue: under {RULEBOOK.en}, any overdue loan is at least {label.en}.",
        )
    qualifier = "" if tier == "loss" else "至少"
    qualifier_en = "" if tier == "loss" else "at least "
    return Bilingual(
        f"逾期 {days} 天：按{RULEBOOK.zh}，逾期超过 {line} 天的{qualifier}归为{label.zh}。",
        f"{days} days overdue: under {RULEBOOK.en}, a loan more than {line} days overdue is "
        f"{qualifier_en}{label.en}.",
    )


def _no_overdue_reason(alerting: Sequence[Finding]) -> Bilingual:
    if not alerting:
        return Bilingual(
            "没有逾期，本次回访也未发现预警信号。",
            "Nothing is overdue and this visit found no warning.",
        )
    zh = "；".join(f.title.zh for f in alerting)
    en = "; ".join(f.title.en for f in alerting)
    return Bilingual(
        f"没有逾期，但本次回访发现不利因素：{zh}。有不利因素的，建议至少归为关注。",
        f"Nothing is overdue, but this visit found adverse factors: {en}. "
        "Adverse factors suggest at least special mention.",
    )


def _findings_note(alerting: Sequence[Finding]) -> Bilingual:
    zh = "；".join(f.title.zh for f in alerting)
    en = "; ".join(f.title.en for f in alerting)
    return Bilingual(
        f"本次回访另发现：{zh}，请一并考虑是否应归入更低的类别。",
        f"This visit also found: {en}; consider whether a lower class is warranted.",
    )


def _worse_on_file(facts: RiskFacts, tier: str) -> Bilingual | None:
    classes = [loan.risk_class for loan in facts.loans if loan.risk_class in TIERS]
    worst = max(classes, key=TIERS.index, default=None)
    if worst is None or TIERS.index(worst) <= TIERS.index(tier):
        return None
    label = LABELS[worst]
    # Moving a loan up a tier has conditions of its own (e.g. after restructuring); the
    # suggestion must not read as permission to do so.
    return Bilingual(
        f"档案中现有分类为{label.zh}，比本建议更差；上调分类须符合办法规定的条件，不能仅凭本建议。",
        f"The class on file is {label.en}, worse than this suggestion; moving a loan up has "
        "conditions of its own and cannot rest on this suggestion alone.",
    )
