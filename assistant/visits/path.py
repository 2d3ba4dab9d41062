"""Which stops a visit makes: the look-ups, check-in, documents, every question that applies to
this client, this check and what the file and the answers already show, photos and the finish.

Everything here is worked out afresh from the checklist, the client's card and the answers, so a
visit stores only where it is: going back, a bank editing the checklist or a restart change
nothing else.
"""

from __future__ import annotations

from dataclasses import replace

from assistant.data.checklist import (
    Checklist,
    Contradiction,
    Evidence,
    Group,
    Item,
    RecordedAnswer,
)
from assistant.data.vocabulary import FULL, SHORT, combine_checks
from assistant.db.models import AnswerStatus
from assistant.portfolio import ClientCard
from assistant.visits.model import CHECKIN, DOCUMENTS, FINISH, PHOTOS, EvidenceNeed, Stop

# The most questions one tap records at their usual answers: their list still fits the step's
# message on a phone's screen, and the officer can still read what they confirm.
USUAL_RUN = 7


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


def depth_for(card: ClientCard, check: str, depths: dict[str, str]) -> str:
    """The depth a visit starts at: the setting for the borrower's kind, full for a focused
    check (something is wrong: everything is looked at)."""
    if "focused" in check.split("+"):
        return FULL
    return SHORT if depths.get(card.kind.value) == SHORT else FULL


def applicable(
    checklist: Checklist,
    card: ClientCard,
    check: str,
    findings: dict[str, str],
    depth: str = FULL,
) -> list[Item]:
    """The questions of this visit (follow-ups aside), in order. A short visit keeps the
    checklist's short_visit list, and whatever an adverse look-up brought in."""
    kind, products = borrower_facts(card)
    items = checklist.items_for(kind, products, check, findings, on_file(card))
    if depth == SHORT and checklist.short_visit:
        items = [i for i in items if i.id in checklist.short_visit or i.when.findings]
    return _after_its_sources(items)


def _after_its_sources(items: list[Item]) -> list[Item]:
    """A share worked out from two answers comes after both, so that by the time it is
    reached it can be worked out instead of asked."""
    ordered = list(items)
    for item in items:
        if item.ratio_of is None:
            continue
        places = [i for i, other in enumerate(ordered) if other.id in item.ratio_of]
        if places and max(places) > ordered.index(item):
            ordered.remove(item)
            ordered.insert(max(places), item)
    return ordered


def sections(checklist: Checklist, card: ClientCard, check: str, depth: str) -> list[Group]:
    """The question groups this visit asks from, in order: the sections it can jump to."""
    groups = {item.group for item in applicable(checklist, card, check, {}, depth)}
    return [group for group in checklist.groups if group.id in groups]


def stops(
    checklist: Checklist,
    card: ClientCard,
    check: str,
    findings: dict[str, str],
    answers: dict[str, RecordedAnswer],
    depth: str = FULL,
) -> list[Stop]:
    """The whole path of the visit as the answers stand."""
    kind, products = borrower_facts(card)
    items = applicable(checklist, card, check, findings, depth)
    path: list[Stop] = []
    at_lookup: set[str] = set()
    for lookup in checklist.prechecks_for(kind, products):
        path.append(Stop(f"precheck:{lookup.id}", precheck=lookup))
        # An adverse result's details are asked while the record is on the officer's screen.
        details = [i for i in items if i.id in lookup.details]
        path += _with_follow_ups(checklist, details, answers)
        at_lookup.update(i.id for i in details)
    items = [i for i in items if i.id not in at_lookup]
    path += [Stop(CHECKIN), Stop(DOCUMENTS)]
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
    depth: str = FULL,
) -> list[Item]:
    """Every question of the visit as the answers stand, follow-ups included, and those answered
    by the question they repeat (not stops, but facts of the visit all the same). A short
    visit keeps what was answered before a switch from the full one: nothing recorded is lost."""
    every = [s.item for s in stops(checklist, card, check, findings, answers) if s.item]
    if depth == FULL:
        items = every
    else:
        short = stops(checklist, card, check, findings, answers, depth)
        kept = {s.item.id for s in short if s.item}
        items = [i for i in every if i.id in kept or i.id in answers]
    asked = {item.id for item in items}
    derived = applicable(checklist, card, check, findings)
    return items + [
        i
        for i in derived
        if (i.same_as or i.ratio_of or i.implied_by) and i.id not in asked and i.id in answers
    ]


def evidence_needs(checklist: Checklist, card: ClientCard, stop_id: str) -> list[EvidenceNeed]:
    """The documents (at ``documents``) or photos (at ``photos``) to collect, each marked
    required or not for this client."""
    if stop_id not in (DOCUMENTS, PHOTOS):
        return []
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
    """The answers with each of this visit's ``same_as`` and ``implied_by`` questions answered
    by the question they draw on: the checkpoint "贷款是否按约定用途使用" takes what the
    interview recorded, and the report and the risk rules read it there too."""
    with_reused = dict(answers)
    for item in applicable(checklist, card, check, findings):
        carried_over = carried(item, answers)
        if carried_over is not None:
            with_reused.setdefault(item.id, carried_over)
        worked_out = ratio(item, answers)
        if worked_out is not None:
            with_reused.setdefault(item.id, worked_out)
    return with_reused


def carried(item: Item, answers: dict[str, RecordedAnswer]) -> RecordedAnswer | None:
    """This question's answer as another question gave it: the same fact (``same_as``), or
    one its table of answers reads (``implied_by``: "抵押物有损毁？否" → 完好); ``None`` when
    that one is not answered, or not with an answer in the table."""
    source_id = item.same_as or (item.implied_by.source if item.implied_by else None)
    source = answers.get(source_id) if source_id else None
    if source is None or source.status is not AnswerStatus.ANSWERED:
        return None
    if item.implied_by is None:
        return replace(source, item_id=item.id)
    value = item.implied_by.answer_for(source.value)
    if value is None:
        return None
    return RecordedAnswer(item.id, AnswerStatus.ANSWERED, value, None, source.approximate)


def usual_run(stops: list[Stop], answers: dict[str, RecordedAnswer]) -> tuple[Item, ...]:
    """The questions that one tap records at their usual answer, from the first of ``stops``:
    those in a row within one step that have a usual answer and none yet (answered ones are
    passed over), at most :data:`USUAL_RUN`; empty unless there are two, since one is
    just the question's own button."""
    first = stops[0].item if stops else None
    if first is None or first.usual is None or _answered(first, answers):
        return ()
    run: list[Item] = []
    for stop in stops:
        item = stop.item
        if item is None:
            break
        if _answered(item, answers):
            continue
        if item.usual is None or item.step != first.step:
            break
        run.append(item)
        if len(run) == USUAL_RUN:
            break
    return tuple(run) if len(run) > 1 else ()


def _answered(item: Item, answers: dict[str, RecordedAnswer]) -> bool:
    given = answers.get(item.id)
    return given is not None and given.status is AnswerStatus.ANSWERED


def contradictions(
    checklist: Checklist, answers: dict[str, RecordedAnswer]
) -> list[tuple[Contradiction, list[Item]]]:
    """The answers given that cannot all be true, each with the questions involved."""
    given = {
        item_id: answer.value
        for item_id, answer in answers.items()
        if answer.status is AnswerStatus.ANSWERED
    }
    return [
        (c, [checklist.item(item_id) for item_id, _ in c.answers])
        for c in checklist.contradictions
        if c.holds(given)
    ]


def ratio(item: Item, answers: dict[str, RecordedAnswer]) -> RecordedAnswer | None:
    """A share worked out from the two answers it is the ratio of ("应收款占营业额几成" from
    the receivables and last year's turnover); ``None`` while either is missing, or when the
    result is not an answer the question takes."""
    if item.ratio_of is None:
        return None
    parts = [answers.get(source) for source in item.ratio_of]
    if any(p is None or p.status is not AnswerStatus.ANSWERED for p in parts):
        return None
    top, bottom = (float(p.value) for p in parts)  # type: ignore[union-attr]
    if bottom <= 0:
        return None
    share = round(100 * top / bottom, 1)
    if not item.accepts(share):
        return None
    approximate = any(p.approximate for p in parts)  # type: ignore[union-attr]
    return RecordedAnswer(item.id, AnswerStatus.ANSWERED, share, None, approximate)


def _with_follow_ups(
    checklist: Checklist, items: list[Item], answers: dict[str, RecordedAnswer]
) -> list[Stop]:
    path: list[Stop] = []
    for item in items:
        carried_over, own = carried(item, answers), answers.get(item.id)
        if carried_over is not None and (own is None or own.value == carried_over.value):
            # Asked already, in other words: the answer is reused. One given here before its
            # source was asked, and at odds with it, stays a step: it is put right there.
            continue
        worked_out = ratio(item, answers)
        if worked_out is not None:
            # Not asked, but what its value asks next still is (large receivables).
            children = checklist.follow_ups(item.id, worked_out.value)
            path += _with_follow_ups(checklist, children, answers)
            continue
        path.append(Stop(f"item:{item.id}", item=item))
        answer = answers.get(item.id)
        if answer is not None and answer.status is AnswerStatus.ANSWERED:
            children = checklist.follow_ups(item.id, answer.value)
            path += _with_follow_ups(checklist, children, answers)
    return path
