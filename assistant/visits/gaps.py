"""What a visit completed away from the client still lacks, stop by stop.

A visit the officer finishes later (待补充), or one reopened after its report came back (补充),
is walked by its gaps: each move goes to the next stop that lacks something, so the officer is
not led through everything answered at the client's again. A gap is what the finish's
confirmation lists: a required question never answered or skipped, a required document or
photo category with no file.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from assistant.data.checklist import Checklist, RecordedAnswer
from assistant.db.models import AnswerStatus
from assistant.portfolio import ClientCard
from assistant.visits import path
from assistant.visits.model import DOCUMENTS, FINISH, PHOTOS, Stop


def lacks(
    checklist: Checklist,
    card: ClientCard,
    stop: Stop,
    answers: Mapping[str, RecordedAnswer],
    counts: Mapping[str | None, int],
) -> bool:
    """Whether ``stop`` still lacks something the visit requires (the finish always does: it
    is where the officer submits)."""
    if stop.item is not None:
        given = answers.get(stop.item.id)
        return stop.item.required and (given is None or given.status is AnswerStatus.SKIPPED)
    if stop.id in (DOCUMENTS, PHOTOS):
        return any(
            need.required and not counts.get(need.id)
            for need in path.evidence_needs(checklist, card, stop.id)
        )
    return stop.id == FINISH


def next_gap(
    checklist: Checklist,
    card: ClientCard,
    stops: Sequence[Stop],
    start: int,
    answers: Mapping[str, RecordedAnswer],
    counts: Mapping[str | None, int],
) -> str:
    """The first stop from ``start`` on that lacks something; the last stop (the finish) when
    nothing further does."""
    for stop in stops[start:]:
        if lacks(checklist, card, stop, answers, counts):
            return stop.id
    return stops[-1].id
