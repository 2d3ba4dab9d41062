"""Which stops a visit makes: the look-ups, check-in, documents, every question that applies to
this client, this check and what the file and the answers already show, photos and the finish.

Everything here is worked out afresh from the checklist, the client's card and the answers, so a
visit stores only where it is: going back, a bank editing the checklist or a restart change
nothing else.
"""

from __future__ import annotations

from dataclasses import replace

from assistant.data.checklist import Checklist, Evidence, Item, RecordedAnswer
from assistant.data.vocabulary import combine_checks
from assistant.db.models import AnswerStatus
from assistant.portfolio import ClientCard
from assistant.visits.model import CHECKIN, DOCUMENTS, FINISH, PHOTOS, EvidenceNeed, Stop


def borrower_facts(card: ClientCard) -> tuple[str, set[str]]:
    """The borrower kind and the products of its loans, as the checklist's ``when`` reads them."""
    return card.kind.value, {loan.product for loan in card.loans} or {"personal_business"}


def on_file(card: ClientCard) -> set[str]:
    """What the loan file already shows, so that the checklist's ``when: {file: ...}`` leaves
    out what it makes moot (no collateral, no 自主支付 loan)."""
    shown = {f"{loan.payment_method}_payment" for loan in card.loans}
    if any(loan.collateral for loan in card.loans):
        shown.add("collateral")
    if any(loan.guarantors for loan in card.loans):
        shown.add("guarantor")
    return shown


def loan_checks(card: ClientCard, first_check_days: int) -> str:
    """The checks the loans ask for, each loan on its own: a first purpose check for a loan still
    young, a periodic one for the others, both at once when the client has both."""
    young = [0 <= loan.days_since_disbursement <= first_check_days for loan in card.loans]
    return combine_checks(
        {"purpose" if is_young else "periodic" for is_young in young} or {"periodic"}
    )


def applicable(
    checklist: Checklist, card: ClientCard, check: str, findings: dict[str, str]
) -> list[Item]:
    """The questions of this visit (follow-ups aside), in order."""
    kind, products = borrower_facts(card)
    return checklist.items_for(kind, products, check, findings, on_file(card))


def stops(
    checklist: Checklist,
    card: ClientCard,
    check: str,
    findings: dict[str, str],
    answers: dict[str, RecordedAnswer],
) -> list[Stop]:
    """The whole path of the visit as the answers stand."""
    kind, products = borrower_facts(card)
    path = [Stop(f"precheck:{c.id}", precheck=c) for c in checklist.prechecks_for(kind, products)]
    path += [Stop(CHECKIN), Stop(DOCUMENTS)]
    items = applicable(checklist, card, check, findings)
    path += _with_follow_ups(checklist, [i for i in items if i.step != "checkpoints"], answers)
    path.append(Stop(PHOTOS))
    path += _with_follow_ups(checklist, [i for i in items if i.step == "checkpoints"], answers)
    path.append(Stop(FINISH))
    return path


def questions(
    checklist: Checklist,
    card: ClientCard,
    check: str,
    findings: dict[str, str],
    answers: dict[str, RecordedAnswer],
) -> list[Item]:
    """Every question of the visit as the answers stand, follow-ups included, and those answered
    by the question they repeat (not stops, but facts of the visit all the same)."""
    items = [s.item for s in stops(checklist, card, check, findings, answers) if s.item]
    asked = {item.id for item in items}
    repeated = applicable(checklist, card, check, findings)
    return items + [i for i in repeated if i.same_as and i.id not in asked]


def evidence_needs(checklist: Checklist, card: ClientCard, stop_id: str) -> list[EvidenceNeed]:
    """The documents (at ``documents``) or photos (at ``photos``) to collect, each marked
    required or not for this client."""
    kind, products = borrower_facts(card)
    needs: list[Evidence] = []
    if stop_id == DOCUMENTS:
        needs = list(checklist.documents_for(kind, products))
    elif stop_id == PHOTOS:
        needs = list(checklist.photo_categories_for(kind, products))
    return [EvidenceNeed(n.id, n.title, n.is_required(kind, products), n.also) for n in needs]


def reused(
    checklist: Checklist,
    card: ClientCard,
    check: str,
    findings: dict[str, str],
    answers: dict[str, RecordedAnswer],
) -> dict[str, RecordedAnswer]:
    """The answers with each of this visit's ``same_as`` questions answered by the question it
    repeats: the checkpoint "贷款是否按约定用途使用" takes what the interview recorded, and the
    report and the risk rules read it there too."""
    with_reused = dict(answers)
    for item in applicable(checklist, card, check, findings):
        source = answers.get(item.same_as) if item.same_as else None
        if source is not None and source.status is AnswerStatus.ANSWERED:
            with_reused.setdefault(item.id, replace(source, item_id=item.id))
    return with_reused


def _with_follow_ups(
    checklist: Checklist, items: list[Item], answers: dict[str, RecordedAnswer]
) -> list[Stop]:
    path: list[Stop] = []
    for item in items:
        source = answers.get(item.same_as) if item.same_as else None
        if source is not None and source.status is AnswerStatus.ANSWERED:
            continue  # asked already, in other words: the answer is reused
        path.append(Stop(f"item:{item.id}", item=item))
        answer = answers.get(item.id)
        if answer is not None and answer.status is AnswerStatus.ANSWERED:
            children = checklist.follow_ups(item.id, answer.value)
            path += _with_follow_ups(checklist, children, answers)
    return path
