"""What the visit service hands out: where the officer is in a visit (a stop), the view of it, the
brief before it and the summary after it, and the error for a button from an earlier step."""

from __future__ import annotations

import functools
import hashlib
import math
from dataclasses import dataclass, field
from datetime import date
from typing import NamedTuple

from assistant.alerts import AlertNotice
from assistant.data.checklist import Contradiction, Item, PreCheck, RecordedAnswer
from assistant.data.vocabulary import Bilingual
from assistant.db.models import VisitStatus
from assistant.errors import AssistantError
from assistant.portfolio import ClientCard
from assistant.visits.focus import Check

CHECKIN = "checkin"
DOCUMENTS = "documents"
PHOTOS = "photos"
FINISH = "finish"
FAR_FROM_CLIENT_M = 500.0


class StaleAction(AssistantError):
    """A button from an earlier step, or a visit that is no longer open."""

    key = "visit.stale"


@dataclass(frozen=True)
class Typed:
    """What a message typed at a visit's stop did, and the view after it.

    ``kind``:
        ``recorded``: an answer, a look-up's result or a typed "跳过" was taken;
        ``question``: it asks something (the knowledge base answers; the stop stays);
        ``paragraph``: it may fill several questions at once (:meth:`VisitService.debrief`);
        ``expects``: this stop wants a location, a file or a tap, not text;
        ``unreadable``: not an answer to this question (``error`` says why); nothing recorded;
        ``refused``: the visit takes nothing more (``error`` says why).
    """

    kind: str
    view: VisitView
    error: AssistantError | None = None


@dataclass(frozen=True)
class Stop:
    """Where the officer is. ``id`` is ``precheck:<id>``, ``item:<id>`` or a step name."""

    id: str
    item: Item | None = None
    precheck: PreCheck | None = None

    @property
    def kind(self) -> str:
        return self.id.split(":", 1)[0]


@dataclass(frozen=True)
class EvidenceNeed:
    id: str
    title: Bilingual
    required: bool
    # Other words for it, from the checklist's ``also:`` (a photo's caption is matched on them).
    also: tuple[str, ...] = ()


@dataclass(frozen=True)
class VisitView:
    visit_id: int
    client: ClientCard
    check_type: str
    status: VisitStatus
    stop: Stop
    position: int
    total: int
    answered: int
    step_title: Bilingual
    token: str
    evidence: tuple[EvidenceNeed, ...] = ()
    resumed: bool = False
    distance_m: float | None = None
    # Alerts raised by the answer just recorded (a critical finding goes out at once).
    alerts: tuple[AlertNotice, ...] = ()
    # The answer just recorded, shown back ("约 30 人"), and the stop's own stored answer, shown
    # when the officer comes back to it.
    recorded: Bilingual | None = None
    stored: Bilingual | None = None
    # The unit of the stop's question in both languages ("人" / "people").
    unit: Bilingual | None = None
    # "short" or "full"; whether the checklist offers a short visit to switch to at all.
    depth: str = "full"
    can_switch: bool = False
    # Look-ups with no result yet, this one included (one tap records them all as clear).
    prechecks_left: int = 0
    # The questions from this one on that one tap records at their usual answer (主营未变、
    # 地址未变、与档案一致…); empty when fewer than two are in a row.
    usual: tuple[Item, ...] = ()
    # The question's hint, with the bank's settings it quotes filled in.
    hint: Bilingual | None = None
    # A part of a count already answered (在岗 of 员工 8): "all of them" answers it in one tap.
    all_of: float | None = None

    @property
    def far_from_client(self) -> bool:
        return self.distance_m is not None and self.distance_m > FAR_FROM_CLIENT_M


class OpenVisit(NamedTuple):
    """A visit not finished yet: open, or paused by the officer."""

    visit_id: int
    client_code: str
    client_name: str
    status: str

    @property
    def paused(self) -> bool:
        return self.status != VisitStatus.OPEN.value


@dataclass(frozen=True)
class LastVisit:
    finished_on: date
    check_type: str
    answered: int
    findings: dict[str, str]


@dataclass(frozen=True)
class Brief:
    client: ClientCard
    check_due: str
    last_visit: LastVisit | None
    prechecks: list[PreCheck]
    # What to look at, most urgent first: shared with the answer to "该查什么" (visits.focus).
    checks: list[Check] = field(default_factory=list)


@dataclass(frozen=True)
class VisitSummary:
    view: VisitView
    answers: list[tuple[Item, RecordedAnswer]]
    skipped: list[Item]
    unanswered_required: list[Item]
    findings: dict[str, str]
    missing_evidence: list[EvidenceNeed]
    files: int
    untagged_files: int
    # Answers that cannot all be true, each with its questions: resolved before submitting.
    contradictions: list[tuple[Contradiction, list[Item]]] = field(default_factory=list)

    @property
    def required_gaps(self) -> list[Item]:
        """Required questions without an answer: never answered, then skipped."""
        return [*self.unanswered_required, *(i for i in self.skipped if i.required)]


@dataclass(frozen=True)
class Additions:
    """A visit completed away from the client (待补充, or reopened after a return): what it
    lacks, and for a reopened one what the supervisor asked for when returning its report."""

    summary: VisitSummary
    comment: str | None = None
    report_version: int | None = None

    @property
    def reopened(self) -> bool:
        return self.summary.view.status is VisitStatus.REOPENED


@functools.lru_cache(maxsize=4096)
def stop_token(stop_id: str) -> str:
    """A short, stable name for a stop, small enough for Telegram's 64-byte button data (every
    button of every step names its stop: worked out once per stop)."""
    return hashlib.sha256(stop_id.encode()).hexdigest()[:8]


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres."""
    radius = 6_371_000.0
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi, dlambda = math.radians(lat2 - lat1), math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    return 2 * radius * math.asin(math.sqrt(a))


@dataclass(frozen=True)
class Debrief:
    """What a free-form paragraph filled: each question with the value recorded, and where
    the officer had answered otherwise before, the question with both (the earlier answer
    stays), then the view of where the visit now stands."""

    view: VisitView
    recorded: list[tuple[Item, Bilingual]]
    kept: list[tuple[Item, Bilingual, Bilingual]]
