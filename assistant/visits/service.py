"""The guided visit as a state machine over the checklist.

A visit is a path through *stops*: the pre-visit checks, check-in, documents, every applicable
question (with the follow-ups its answers trigger, right after it), photos and the finish. The
path is derived afresh from the checklist, the findings and the answers, so only the current stop
is stored: going back, skipping, pausing for days or restarting the bot changes nothing else.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, tzinfo
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, func, or_, select

from assistant.access import Viewer, viewer_from
from assistant.alerts import AlertService
from assistant.clock import local_date
from assistant.data.checklist import (
    AnswerType,
    Checklist,
    Group,
    Item,
    RecordedAnswer,
    load_checklist,
    walk,
)
from assistant.data.vocabulary import DEPTHS, FULL, Bilingual, checks_of, combine_checks
from assistant.db.database import Database
from assistant.db.models import (
    CLOSED_VISITS,
    COMPLETING_LATER,
    Alert,
    AnswerStatus,
    AuditEntry,
    Client,
    Report,
    Visit,
    VisitAnswer,
    VisitStatus,
)
from assistant.errors import AccessDenied, AssistantError
from assistant.planning.plan import PlanService
from assistant.portfolio import ClientCard, PortfolioService
from assistant.risk.facts import facts_for, finding_from_json
from assistant.risk.thresholds import RiskThresholds, quote_settings
from assistant.visits import gaps, path, store
from assistant.visits.answers import (
    QUESTION_ENDINGS,
    parse_answer,
    precheck_result,
    says_all,
    shown_answer,
    sounds_like_a_question,
    typed_move,
    unit_label,
)
from assistant.visits.debrief import Debriefer, several_clauses
from assistant.visits.evidence import EvidenceService
from assistant.visits.focus import Check, FocusFacts, visit_checks
from assistant.visits.model import (
    CHECKIN,
    DOCUMENTS,
    FINISH,
    PHOTOS,
    Additions,
    Brief,
    Debrief,
    LastVisit,
    OpenVisit,
    StaleAction,
    Stop,
    Typed,
    VisitSummary,
    VisitView,
    haversine_m,
    stop_token,
)

# The stops where a typed "跳过" is the ⏭ button though they ask no question.
SKIPPABLE = (CHECKIN, DOCUMENTS, PHOTOS)
CARD_TTL_SECONDS = 30.0
CARD_CACHE_SIZE = 2000
# Plans of the steps in flight: a few per update, and updates in flight are few.
PLAN_CACHE_SIZE = 64


@dataclass
class _Change:
    """What a step decided: the answers after it, the visit's columns to change (its stop …)
    and the answers to write; what to echo (the answered item, or a look-up's result)."""

    answers: dict[str, RecordedAnswer]
    visit: dict[str, Any] = field(default_factory=dict)
    recorded: list[RecordedAnswer] = field(default_factory=list)
    item: Item | None = None
    status: AnswerStatus | None = None
    label: Bilingual | None = None
    # For a typed message: what it was taken as (Typed.kind), when not as a recorded step.
    outcome: str = "recorded"
    error: AssistantError | None = None
    # An entry for the audit trail written with the step: (action, target).
    audit: tuple[str, str] | None = None


class VisitService:
    """Start, walk, pause, resume and finish visits; every method checks who is asking."""

    def __init__(
        self,
        database: Database,
        checklist_path: Path,
        portfolio: PortfolioService,
        *,
        first_check_days: int,
        tz: tzinfo,
        depths: dict[str, str] | None = None,
        evidence: EvidenceService | None = None,
        alerts: AlertService | None = None,
        plans: PlanService | None = None,
        debriefer: Debriefer | None = None,
        thresholds: RiskThresholds | None = None,
        renewal_window_days: int = 90,
        changed_viewer: Callable[[int], None] | None = None,
    ) -> None:
        self.database = database
        # Told the Telegram id of an officer whose row no longer matches the viewer a step was
        # asked with (the access service then reads them afresh).
        self.changed_viewer = changed_viewer
        self.renewal_window_days = renewal_window_days
        # The bank's settings that hints quote ("超过{debt_ratio_max_pct}列为风险点").
        self.thresholds = thresholds or RiskThresholds()
        self.plans = plans
        self.debriefer = debriefer
        self.tz = tz
        self.alerts = alerts
        self.checklist_path = checklist_path
        self.portfolio = portfolio
        self.first_check_days = first_check_days
        # The depth a visit starts at, by borrower kind; unset kinds get the full visit.
        self.depths = depths or {}
        self.evidence = evidence
        self._checklist: Checklist | None = None
        self._cards: dict[tuple[int, str, date], tuple[float, ClientCard]] = {}
        self._codes: dict[tuple[int, int], str] = {}
        self._plans: dict[tuple[object, ...], tuple[object, object, list[Stop]]] = {}

    @property
    def checklist(self) -> Checklist:
        """The checklist, read on first use (a broken file raises ChecklistError then)."""
        if self._checklist is None:
            self._checklist = load_checklist(self.checklist_path)
        return self._checklist

    # ----------------------------------------------------------------- the path through a visit
    def plan(
        self,
        card: ClientCard,
        check: str,
        findings: dict[str, str],
        answers: dict[str, RecordedAnswer],
        depth: str = FULL,
    ) -> list[Stop]:
        return path.stops(self.checklist, card, check, findings, answers, depth)

    def _plan(
        self, visit: Visit, card: ClientCard, answers: dict[str, RecordedAnswer]
    ) -> list[Stop]:
        """The visit's path as these answers leave it, worked out once per set of answers: a
        step asks for it three times (where it is, where it goes next, the view after)."""
        findings = tuple(sorted(visit.findings.items()))
        key = (id(answers), id(card), visit.id, visit.check_type, visit.depth, findings)
        known = self._plans.get(key)
        # The key holds ids: the answers and card kept with the plan make sure they are the same
        # objects, not new ones that took a freed id.
        if known is not None and known[0] is answers and known[1] is card:
            return known[2]
        stops = self.plan(card, visit.check_type, dict(visit.findings), answers, visit.depth)
        if len(self._plans) > PLAN_CACHE_SIZE:
            self._plans.clear()
        self._plans[key] = (answers, card, stops)
        return stops

    def default_check(self, card: ClientCard) -> str:
        return path.loan_checks(card, self.first_check_days)

    async def due_check(self, viewer: Viewer, card: ClientCard, today: date) -> str:
        """What a visit opened today makes: what this month's plan has due for the client (a
        focused check included), with what the loans ask for themselves."""
        checks = set(checks_of(self.default_check(card)))
        if self.plans is not None and viewer.officer_id is not None:
            checks |= await self.plans.due_checks(viewer.officer_id, card.code, today=today)
        return combine_checks(checks)

    # ----------------------------------------------------------------- loading with access checks
    async def _load(
        self, viewer: Viewer, visit_id: int, today: date
    ) -> tuple[Visit, ClientCard, dict[str, RecordedAnswer]]:
        """The visit, its client's card and its answers, read in one unit of work (for what
        is not a step: a step reads, decides and writes in one, see :meth:`_step`).

        Raises:
            NotFound: no such visit, or another officer's.
        """
        loaded = await self.database.read(
            lambda conn: store.load(conn, visit_id, viewer.officer_id, lock=False)
        )
        # Not _check_asker: a report on a visit by an officer who has left is still read (its
        # author stands in as the viewer); the officer acting is checked by _step.
        self._keep_code(viewer, visit_id, loaded.code)
        card = await self._card(viewer, loaded.code, today)
        return loaded.visit, card, self._with_reused(loaded.visit, card, loaded.answers)

    def _with_reused(
        self, visit: Visit, card: ClientCard, answers: dict[str, RecordedAnswer]
    ) -> dict[str, RecordedAnswer]:
        findings = dict(visit.findings)
        return path.reused(self.checklist, card, visit.check_type, findings, answers)

    async def _card(self, viewer: Viewer, code: str, today: date) -> ClientCard:
        """The client's card, reused for a short while: every step of a visit needs it, and
        loans, guarantors and collateral do not change between two taps."""
        key = (viewer.officer_id, code, today)
        cached = self._cards.get(key)
        if cached is not None and time.monotonic() - cached[0] < CARD_TTL_SECONDS:
            return cached[1]
        card = await self.portfolio.client_card(viewer, code, today=today, audit=False)
        self._keep_card(viewer, card, today)
        return card

    def _keep_card(self, viewer: Viewer, card: ClientCard, today: date) -> None:
        if len(self._cards) > CARD_CACHE_SIZE:
            self._cards.clear()
        self._cards[(viewer.officer_id, card.code, today)] = (time.monotonic(), card)

    def _stop(self, visit: Visit, card: ClientCard, answers: dict[str, RecordedAnswer]) -> Stop:
        """The stop the visit is at (the first, if its stop is no longer on the path)."""
        stops = self._plan(visit, card, answers)
        return next((s for s in stops if s.id == visit.current), stops[0])

    def _view(
        self,
        visit: Visit,
        card: ClientCard,
        answers: dict[str, RecordedAnswer],
        *,
        resumed: bool = False,
    ) -> VisitView:
        stops = self._plan(visit, card, answers)
        position = next((i for i, s in enumerate(stops) if s.id == visit.current), 0)
        stop = stops[position]
        checked_in = any(s.id == CHECKIN for s in stops[: position + 1])
        if stop.item is not None:
            # A look-up's details are asked with the look-ups, before the check-in.
            step_id = stop.item.step if checked_in else "prepare"
        else:
            step_id = "prepare" if stop.precheck is not None else stop.id
        stored = answers.get(stop.item.id) if stop.item is not None else None
        return VisitView(
            visit.id,
            card,
            visit.check_type,
            visit.status,
            stop,
            position + 1,
            len(stops),
            sum(1 for a in answers.values() if a.status is AnswerStatus.ANSWERED),
            self.checklist.step(step_id).title,
            stop_token(stop.id),
            tuple(path.evidence_needs(self.checklist, card, stop.id)),
            resumed,
            visit.checkin_distance_m,
            stored=shown_answer(stop.item, stored) if stop.item and stored else None,
            unit=unit_label(stop.item) if stop.item else None,
            depth=visit.depth,
            can_switch=bool(self.checklist.short_visit),
            prechecks_left=sum(
                1 for s in stops if s.precheck and s.precheck.id not in visit.findings
            ),
            usual=path.usual_run(stops[position:], answers),
            hint=quote_settings(stop.item.hint, self.thresholds)
            if stop.item is not None and stop.item.hint is not None
            else None,
            all_of=_whole(stop.item, answers) if stop.item is not None else None,
        )

    async def _audit(
        self, viewer: Viewer, action: str, target: str, detail: dict[str, Any]
    ) -> None:
        """Record in the audit trail that ``viewer`` did ``action`` to ``target``."""
        async with self.database.session() as session:
            session.add(
                AuditEntry(
                    actor_officer_id=viewer.officer_id,
                    action=action,
                    target=target,
                    detail=detail,
                )
            )

    async def _move(self, visit: Visit, stop_id: str, **changes: Any) -> None:
        async with self.database.session() as session:
            stored = await session.get(Visit, visit.id)
            assert stored is not None
            stored.current = stop_id
            for key, value in changes.items():
                setattr(stored, key, value)
        visit.current = stop_id
        for key, value in changes.items():
            setattr(visit, key, value)

    def _guard(self, visit: Visit, stop_id: str | None) -> None:
        if visit.status is VisitStatus.FINISHED:
            raise StaleAction("visit.already_finished")
        if visit.status is VisitStatus.DISCARDED:
            raise StaleAction("visit.discarded")
        if stop_id is not None and stop_id not in (visit.current, stop_token(visit.current)):
            raise StaleAction("visit.stale")

    def _next_stop(self, visit: Visit, card: ClientCard, answers: dict[str, RecordedAnswer]) -> str:
        """The stop after the current one that still needs the officer: a question already
        answered (by a paragraph, or before going back) is not asked again."""
        stops = self._plan(visit, card, answers)
        ids = [s.id for s in stops]
        index = ids.index(visit.current) if visit.current in ids else -1
        for stop in stops[index + 1 :]:
            given = answers.get(stop.item.id) if stop.item is not None else None
            if given is None or given.status is not AnswerStatus.ANSWERED:
                return stop.id
        return ids[-1]

    # ----------------------------------------------------------------- starting and resuming
    async def start(
        self,
        viewer: Viewer,
        client_code: str,
        *,
        today: date,
        check: str | None = None,
        fresh: bool = False,
    ) -> VisitView:
        """Open a visit to the client, or resume the one already open for it, or (unless
        ``fresh``) reopen for additions the visit whose report the supervisor returned.

        Raises:
            NotFound: no such client among those the viewer may see.
        """
        card = await self.portfolio.client_card(viewer, client_code, today=today)
        officer_id = viewer.officer_id
        found = await self.database.read(
            lambda conn: store.resumable(conn, card.code, officer_id, fresh=fresh)
        )
        # A new visit's check comes from the month plan, read in a unit of work of its own
        # before the visit's (a visit taken up again needs none).
        opening: tuple[str, str, str] | None = None
        if found is None:
            check = check or await self.due_check(viewer, card, today)
            depth = path.depth_for(card, check, self.depths)
            opening = (check, depth, self.plan(card, check, {}, {}, depth)[0].id)

        def open_or_take_up(conn: Connection) -> tuple[int, bool]:
            # Looked for again in the writing transaction: another replica may have opened a
            # visit meanwhile, and then that one is taken up.
            again = found or store.resumable(conn, card.code, officer_id, fresh=fresh)
            if again is not None:
                store.take_up(conn, again, officer_id)
                return again.id, True
            assert opening is not None  # worked out above whenever nothing was found
            check, depth, first = opening
            visit_id = store.open_new(
                conn, card.code, officer_id, check=check, depth=depth, current=first
            )
            return visit_id, False

        visit_id, resumed = await self.database.run(open_or_take_up)
        # The card just read (and audited) serves the visit's steps too.
        self._keep_card(viewer, card, today)
        visit, card, answers = await self._load(viewer, visit_id, today)
        await self._to_gap(visit, card, answers, from_start=True)
        return self._view(visit, card, answers, resumed=resumed)

    async def view(self, viewer: Viewer, visit_id: int, *, today: date) -> VisitView:
        visit, card, change = await self._step(
            viewer, visit_id, today, lambda _visit, _card, answers: _Change(answers), writes=False
        )
        return self._view(visit, card, change.answers)

    async def open_visits(self, viewer: Viewer) -> list[OpenVisit]:
        """The viewer's unfinished visits, the latest first."""
        async with self.database.reading() as session:
            rows = await session.execute(
                select(Visit.id, Client.code, Client.name, Visit.status)
                .join(Client, Client.id == Visit.client_id)
                .where(Visit.officer_id == viewer.officer_id, Visit.status.not_in(CLOSED_VISITS))
                .order_by(Visit.updated_at.desc())
            )
            return [
                OpenVisit(vid, code, name, status.value) for vid, code, name, status in rows.all()
            ]

    async def brief(
        self, viewer: Viewer, client_code: str, *, today: date, action: str = "brief.view"
    ) -> Brief:
        """What to know before going: the client, the check that is due, the last visit, what
        to look at (:func:`~assistant.visits.focus.visit_checks`) and the look-ups to make.

        ``action`` names the read in the audit log: the brief, or the answer to "what should I
        check for this client" (``focus.view``), which is the same list.

        Raises:
            NotFound: no such client among those the viewer may see.
        """
        # The brief is one read in the audit log, not a card view plus a brief.
        card = await self.portfolio.client_card(viewer, client_code, today=today, audit=False)
        async with self.database.session() as session:
            session.add(
                AuditEntry(
                    actor_officer_id=viewer.officer_id or None,
                    action=action,
                    target=card.code,
                    detail={},
                )
            )
            client_id = await session.scalar(select(Client.id).where(Client.code == card.code))
            last = await session.scalar(
                select(Visit)
                .where(Visit.client_id == client_id, Visit.status == VisitStatus.FINISHED)
                .order_by(Visit.finished_at.desc())
            )
            answered = await session.scalar(
                select(func.count()).where(
                    VisitAnswer.visit_id == (last.id if last else None),
                    VisitAnswer.status == AnswerStatus.ANSWERED,
                )
            )
            # Alerts still open, and the last visit's even if acknowledged: was it put right?
            alerts = (
                await session.scalars(
                    select(Alert)
                    .where(
                        Alert.client_id == client_id,
                        or_(
                            Alert.acknowledged_at.is_(None),
                            Alert.visit_id == (last.id if last else None),
                        ),
                    )
                    .order_by(Alert.created_at.desc(), Alert.id.desc())
                    .limit(20)
                )
            ).all()
        kind, products = path.borrower_facts(card)
        last_visit = None
        if last is not None and last.finished_at is not None:
            last_visit = LastVisit(
                local_date(last.finished_at, self.tz),
                last.check_type,
                answered or 0,
                dict(last.findings),
            )
        due = await self.due_check(viewer, card, today)
        prechecks = self.checklist.prechecks_for(kind, products)
        facts = FocusFacts(
            due=checks_of(due),
            first_check_days=self.first_check_days,
            renewal_window_days=self.renewal_window_days,
            last_visit_on=last_visit.finished_on.isoformat() if last_visit else None,
            last_adverse=self._adverse_lookups(last_visit),
            last_alerts=[
                finding_from_json(a.finding)
                for a in alerts
                if last is not None and a.visit_id == last.id and a.acknowledged_at is not None
            ],
            open_alerts=[finding_from_json(a.finding) for a in alerts if a.acknowledged_at is None],
            prechecks=prechecks,
        )
        return Brief(card, due, last_visit, prechecks, visit_checks(card, facts))

    async def checks(self, viewer: Viewer, client_code: str, *, today: date) -> list[Check]:
        """What to look at on a visit to the client today: the brief's list, read in the audit
        log as the answer to "该查什么" (``focus.view``).

        Raises:
            NotFound: no such client among those the viewer may see.
        """
        brief = await self.brief(viewer, client_code, today=today, action="focus.view")
        return brief.checks

    def file_checks(self, card: ClientCard) -> list[Check]:
        """The checks that the loan file alone gives, with no visit or alert on record (a demo
        client asked about from the command line before any portfolio is imported)."""
        kind, products = path.borrower_facts(card)
        facts = FocusFacts(
            due=checks_of(self.default_check(card)),
            first_check_days=self.first_check_days,
            renewal_window_days=self.renewal_window_days,
            prechecks=self.checklist.prechecks_for(kind, products),
        )
        return visit_checks(card, facts)

    def _adverse_lookups(self, last: LastVisit | None) -> list[Bilingual]:
        if last is None:
            return []
        titles = {check.id: check.title for check in self.checklist.prechecks}
        return [
            titles[check]
            for check, result in last.findings.items()
            if result == "adverse" and check in titles
        ]

    async def answer(
        self, viewer: Viewer, visit_id: int, text: str, *, today: date, stop_id: str | None = None
    ) -> VisitView:
        """Record a typed answer for the current question and move on.

        Raises:
            ParseError: the answer cannot be read; nothing is recorded, the question stays.
            StaleAction: the visit is finished, or the answer is for another stop.
        """

        def decide(visit: Visit, card: ClientCard, answers: dict[str, RecordedAnswer]) -> _Change:
            self._guard(visit, stop_id)
            return self._typed_answer(visit, card, answers, text, today)

        visit, card, change = await self._step(viewer, visit_id, today, decide)
        return await self._recorded_view(visit, card, change)

    async def typed(
        self, viewer: Viewer, visit_id: int, text: str, *, today: date, paragraphs: bool = True
    ) -> Typed:
        """A message typed at the visit's current stop, taken for what it is, in one step: the
        answer to the question, a look-up's result ("没问题"), "跳过"/"不适用", or a question for
        the knowledge base (then nothing changes).

        Args:
            paragraphs: offer a text that may speak of several questions to :meth:`debrief`
                first (``kind`` "paragraph", nothing recorded); ``False`` once it has declined.

        Raises:
            NotFound: no such visit, or another officer's.
        """
        asks = text.strip().endswith(QUESTION_ENDINGS)
        move = typed_move(text)

        def decide(visit: Visit, card: ClientCard, answers: dict[str, RecordedAnswer]) -> _Change:
            stop = self._stop(visit, card, answers)
            if asks:
                return _Change(answers, outcome="question")
            try:
                if move is not None and (stop.item is not None or stop.id in SKIPPABLE):
                    self._guard(visit, None)
                    return self._skipped(
                        visit, card, answers, move == "not_applicable" and stop.item is not None
                    )
                result = precheck_result(stop.precheck, text) if stop.precheck else None
                if result is not None:
                    self._guard(visit, None)
                    return self._chosen(visit, card, answers, result)
            except AssistantError as exc:
                return _Change(answers, outcome="refused", error=exc)
            question = sounds_like_a_question(text)
            if paragraphs and not question and self.debriefer and several_clauses(text):
                return _Change(answers, outcome="paragraph")
            if stop.item is None:
                return _Change(answers, outcome="question" if question else "expects")
            try:
                self._guard(visit, None)
                return self._typed_answer(visit, card, answers, text, today)
            except AssistantError as exc:
                # Not an answer but a question without its question mark: answer that instead.
                return _Change(answers, outcome="question" if question else "unreadable", error=exc)

        visit, card, change = await self._step(viewer, visit_id, today, decide)
        if change.outcome != "recorded":
            return Typed(change.outcome, self._view(visit, card, change.answers), change.error)
        if change.label is not None:
            view = await self._watched(visit, card, change.answers)
            return Typed("recorded", replace(view, recorded=change.label))
        if change.item is None:
            await self._to_gap(visit, card, change.answers)
            return Typed("recorded", self._view(visit, card, change.answers))
        return Typed("recorded", await self._recorded_view(visit, card, change))

    def _typed_answer(
        self,
        visit: Visit,
        card: ClientCard,
        answers: dict[str, RecordedAnswer],
        text: str,
        today: date,
    ) -> _Change:
        stop = self._stop(visit, card, answers)
        if stop.item is None:
            raise StaleAction("visit.not_a_question")
        whole = _whole(stop.item, answers)
        if whole is not None and says_all(stop.item, text):
            # "都在" at 在岗人数, once 员工 is known: all of them.
            value, approximate = whole, answers[stop.item.all_of.source].approximate
        else:
            value, approximate = parse_answer(stop.item, text, today)
        return self._recording(
            visit, card, answers, stop.item, AnswerStatus.ANSWERED, value, text, approximate
        )

    async def choose(
        self, viewer: Viewer, visit_id: int, stop_id: str, value: str, *, today: date
    ) -> VisitView:
        """A button press: an option id, ``yes``/``no``, or a quick-reply value.

        Raises:
            StaleAction: the button belongs to another stop (an old message, a double press).
        """

        def decide(visit: Visit, card: ClientCard, answers: dict[str, RecordedAnswer]) -> _Change:
            self._guard(visit, stop_id)
            return self._chosen(visit, card, answers, value)

        visit, card, change = await self._step(viewer, visit_id, today, decide)
        if change.label is not None:
            view = await self._watched(visit, card, change.answers)
            return replace(view, recorded=change.label)
        return await self._recorded_view(visit, card, change)

    def _chosen(
        self, visit: Visit, card: ClientCard, answers: dict[str, RecordedAnswer], value: str
    ) -> _Change:
        stop = self._stop(visit, card, answers)
        if stop.precheck is not None:
            try:
                result = stop.precheck.result(value)
            except KeyError:
                raise StaleAction("visit.stale") from None
            visit.findings = {**visit.findings, stop.precheck.id: value}
            visit.current = stop.id
            after = self._next_stop(visit, card, answers)
            return _Change(
                answers, {"findings": visit.findings, "current": after}, label=result.label
            )
        if stop.item is None:
            raise StaleAction("visit.not_a_question")
        typed: Any = value
        if stop.item.type is AnswerType.YES_NO:
            typed = value == "yes"
        elif stop.item.type in (AnswerType.NUMBER, AnswerType.MONEY):
            typed = float(value)
        return self._recording(
            visit, card, answers, stop.item, AnswerStatus.ANSWERED, typed, None, False
        )

    async def all_clear(
        self, viewer: Viewer, visit_id: int, stop_id: str, *, today: date
    ) -> VisitView:
        """Record "nothing found" (each look-up's first result) for every look-up not recorded
        yet, in one tap, and move on to the check-in: most look-ups of most clients find
        nothing, and four taps for that is three too many.

        Raises:
            StaleAction: the button belongs to another stop.
        """

        def decide(visit: Visit, card: ClientCard, answers: dict[str, RecordedAnswer]) -> _Change:
            self._guard(visit, stop_id)
            stops = self._plan(visit, card, answers)
            pending = [
                s.precheck for s in stops if s.precheck and s.precheck.id not in visit.findings
            ]
            if not pending:
                raise StaleAction("visit.stale")
            findings = {**visit.findings, **{c.id: c.results[0].id for c in pending}}
            after = next(s.id for s in stops if s.precheck is None)
            labels = list(dict.fromkeys(c.results[0].label for c in pending))
            title = self.checklist.step("prepare").title
            said = Bilingual(
                f"{title.zh}（{len(pending)}）：" + "、".join(label.zh for label in labels),
                f"{title.en} ({len(pending)}): " + "; ".join(label.en for label in labels),
            )
            return _Change(answers, {"findings": findings, "current": after}, label=said)

        visit, card, change = await self._step(viewer, visit_id, today, decide)
        view = await self._watched(visit, card, change.answers)
        return replace(view, recorded=change.label)

    async def usual(
        self, viewer: Viewer, visit_id: int, stop_id: str, count: int, *, today: date
    ) -> VisitView:
        """Record the usual answer of the first ``count`` questions of the run offered at this
        step (主营未变、地址未变、没有别的经营地点…; as many as the officer was shown) in one tap
        and one transaction, and go on after them: a visit where all is in order should not
        take one tap per thing that is in order.

        Raises:
            StaleAction: the button belongs to another stop, or no such run is offered here.
        """

        def decide(visit: Visit, card: ClientCard, answers: dict[str, RecordedAnswer]) -> _Change:
            self._guard(visit, stop_id)
            run = self._view(visit, card, answers).usual[:count]
            if len(run) < 2 or len(run) != count:
                raise StaleAction("visit.stale")
            recorded = [
                RecordedAnswer(i.id, AnswerStatus.ANSWERED, i.usual.answer, None, False)  # type: ignore[union-attr]
                for i in run
            ]
            answers = self._with_reused(
                visit, card, {**answers, **{r.item_id: r for r in recorded}}
            )
            said = [i.usual.says for i in run]  # type: ignore[union-attr]
            return _Change(
                answers,
                {"current": self._next_stop(visit, card, answers)},
                recorded,
                label=Bilingual("、".join(s.zh for s in said), ", ".join(s.en for s in said)),
            )

        visit, card, change = await self._step(viewer, visit_id, today, decide)
        view = await self._watched(visit, card, change.answers)
        return replace(view, recorded=change.label)

    def _recording(
        self,
        visit: Visit,
        card: ClientCard,
        answers: dict[str, RecordedAnswer],
        item: Item,
        status: AnswerStatus,
        value: Any,
        raw: str | None,
        approximate: bool,
    ) -> _Change:
        """The answer to ``item`` recorded, and the visit moved to the next stop it leaves."""
        recorded = RecordedAnswer(item.id, status, value, raw, approximate)
        answers = self._with_reused(visit, card, {**answers, item.id: recorded})
        return _Change(
            answers, {"current": self._next_stop(visit, card, answers)}, [recorded], item, status
        )

    async def _recorded_view(self, visit: Visit, card: ClientCard, change: _Change) -> VisitView:
        """The view after a step that recorded an answer, echoing what was recorded."""
        view = await self._watched(visit, card, change.answers)
        item = change.item
        if item is None or change.status is not AnswerStatus.ANSWERED:
            return view
        return replace(view, recorded=shown_answer(item, change.answers[item.id]))

    async def _step(
        self,
        viewer: Viewer,
        visit_id: int,
        today: date,
        decide: Callable[[Visit, ClientCard, dict[str, RecordedAnswer]], _Change],
        *,
        writes: bool = True,
    ) -> tuple[Visit, ClientCard, _Change]:
        """One step as one unit of work: read the visit (locked) and its answers, ``decide``,
        write what it decided, commit; the caller replies after. ``decide`` runs inside the
        transaction, so what it read cannot change before its answer and move are written
        (two replicas handling one double tap record it once). Its exceptions roll back.

        Args:
            writes: ``False`` for a look that changes nothing (the row is not locked).

        Raises:
            NotFound: no such visit, or another officer's.
            AccessDenied: the officer is no longer active (on whichever replica that changed).
        """
        card = await self._visit_card(viewer, visit_id, today)
        # A step that only looks need not hold the row against another replica's step.
        lock = writes and self.database.dialect == "postgresql"
        now = self.database.now()

        def work(conn: Connection) -> tuple[Visit, _Change]:
            loaded = store.load(conn, visit_id, viewer.officer_id, lock=lock)
            self._check_asker(viewer, loaded.asker)
            visit = loaded.visit
            change = decide(visit, card, self._with_reused(visit, card, loaded.answers))
            if change.recorded or change.visit:
                store.save(conn, visit_id, change.recorded, now, **change.visit)
            if change.audit is not None:
                store.audit(conn, viewer.officer_id, *change.audit)
            return visit, change

        visit, change = await self.database.run(work)
        for key, value in change.visit.items():
            setattr(visit, key, value)
        return visit, card, change

    def _check_asker(self, viewer: Viewer, asker: store.Asker) -> None:
        """The officer as the step's own transaction reads them: a step taken by an officer
        deactivated a moment ago (on any replica) is refused, whatever viewer it came with."""
        current = viewer_from(
            viewer.officer_id,
            asker.telegram_id,
            asker.name,
            asker.role,
            asker.language,
            asker.staff_no,
        )
        if current == viewer and asker.active:
            return
        if self.changed_viewer is not None:
            self.changed_viewer(viewer.telegram_id)
        if not asker.active or current.telegram_id != viewer.telegram_id:
            raise AccessDenied()

    async def _visit_card(self, viewer: Viewer, visit_id: int, today: date) -> ClientCard:
        """The card of the client the visit is to: which client a visit is to never changes, so
        it is looked up once per visit, and the card itself comes from the card cache."""
        code = self._codes.get((viewer.officer_id, visit_id))
        if code is None:
            code = await self.database.read(
                lambda conn: store.client_code(conn, visit_id, viewer.officer_id)
            )
            self._keep_code(viewer, visit_id, code)
        return await self._card(viewer, code, today)

    def _keep_code(self, viewer: Viewer, visit_id: int, code: str) -> None:
        if len(self._codes) > CARD_CACHE_SIZE:
            self._codes.clear()
        self._codes[(viewer.officer_id, visit_id)] = code

    async def _store(self, visit: Visit, recorded: list[RecordedAnswer], next_stop: str) -> None:
        """Write answers and the move to ``next_stop`` in one transaction: a crash between them
        can neither lose an answer nor skip a question. The visit row is locked and its stop
        checked again inside the transaction: two replicas handling the same tap (a double
        press the proxy spread over both) cannot both record it."""
        lock = self.database.dialect == "postgresql"
        now = self.database.now()

        def work(conn: Connection) -> None:
            locked = store.load(conn, visit.id, visit.officer_id, lock=lock)
            if locked.visit.current != visit.current:
                raise StaleAction("visit.stale")
            store.save(conn, visit.id, recorded, now, current=next_stop)

        await self.database.run(work)
        visit.current = next_stop

    async def debrief(
        self,
        viewer: Viewer,
        visit_id: int,
        text: str,
        *,
        today: date,
        lang: str,
        stop_id: str | None = None,
    ) -> Debrief | None:
        """Fill every question a free-form paragraph speaks of ("员工30，在岗26，月租两万二…").

        ``None`` when the text is an answer to the current question alone (or to nothing):
        the usual path takes it. Otherwise every value found is recorded at once, except where
        the officer answered differently before: that answer stays, and both are shown, since
        nothing said in passing overwrites what was answered on purpose.

        Raises:
            StaleAction: the visit is closed, or the text was for another stop.
        """
        if self.debriefer is None or not several_clauses(text):
            return None
        visit, card, answers = await self._load(viewer, visit_id, today)
        self._guard(visit, stop_id)
        current = self._view(visit, card, answers).stop.item
        if current is not None and any(current.id in c.details for c in self.checklist.prechecks):
            # A look-up's record ("执1234号，欠货款8万元") speaks of the case, not the business.
            return None
        # Follow-ups too, whatever the answer: "工行还有500万贷款" is the other debts and
        # their amount.
        items = list(
            walk(path.applicable(self.checklist, card, visit.check_type, dict(visit.findings)))
        )
        answered = {
            item_id: answer.value
            for item_id, answer in answers.items()
            if answer.status is AnswerStatus.ANSWERED
        }
        found = await self.debriefer.extract(
            text, items, lang=lang, answered=answered, kind=card.kind.value
        )
        if not [f for f in found if current is None or f.item_id != current.id]:
            return None
        heard = {f.item_id: f for f in found}
        recorded: list[RecordedAnswer] = []
        kept: list[tuple[Item, Bilingual, Bilingual]] = []
        if current is not None and current.type is AnswerType.TEXT:
            # Typed at a free-text question, the paragraph is its answer first of all.
            recorded.append(
                RecordedAnswer(current.id, AnswerStatus.ANSWERED, text.strip(), text, False)
            )
        for extracted in found:
            item = self.checklist.item(extracted.item_id)
            if item.parent is not None and not self._triggered(item, answers, heard):
                continue  # a follow-up stands only with the parent's answer that asks it
            answer = RecordedAnswer(
                item.id,
                AnswerStatus.ANSWERED,
                extracted.value,
                extracted.text,
                extracted.approximate,
            )
            earlier = answers.get(item.id)
            if earlier is not None and earlier.status is AnswerStatus.ANSWERED:
                if earlier.value != extracted.value:
                    kept.append((item, shown_answer(item, earlier), shown_answer(item, answer)))
                continue
            recorded.append(answer)
        if not kept and all(current is not None and r.item_id == current.id for r in recorded):
            return None  # nothing new beyond the current question: the usual answer
        answers = path.reused(
            self.checklist,
            card,
            visit.check_type,
            dict(visit.findings),
            {**answers, **{r.item_id: r for r in recorded}},
        )
        answered_here = current is not None and any(r.item_id == current.id for r in recorded)
        next_stop = self._next_stop(visit, card, answers) if answered_here else visit.current
        if recorded:
            await self._store(visit, recorded, next_stop)
        view = await self._watched(visit, card, answers)
        return Debrief(
            view,
            [
                (self.checklist.item(r.item_id), shown_answer(self.checklist.item(r.item_id), r))
                for r in recorded
            ],
            kept,
        )

    def _triggered(
        self, item: Item, answers: dict[str, RecordedAnswer], heard: dict[str, Any]
    ) -> bool:
        parent = item.parent or ""
        given = heard.get(parent)
        value = given.value if given is not None else None
        if value is None and parent in answers and answers[parent].status is AnswerStatus.ANSWERED:
            value = answers[parent].value
        return item in self.checklist.follow_ups(parent, value)

    async def correct(
        self, viewer: Viewer, visit_id: int, item_token: str, *, today: date
    ) -> VisitView:
        """Go to a question the paragraph filled, to put its answer right (the stored value is
        shown with it, and the next answer goes on to the next question not answered yet).

        Raises:
            StaleAction: no such question in this visit any more.
        """
        visit, card, answers = await self._load(viewer, visit_id, today)
        self._guard(visit, None)
        stops = self.plan(card, visit.check_type, dict(visit.findings), answers)
        target = next((s.id for s in stops if stop_token(s.id) == item_token), None)
        if target is None:
            raise StaleAction("visit.stale")
        if target not in {s.id for s in self._plan(visit, card, answers)}:
            # Recorded all the same, but the short visit has no step to show it at.
            raise StaleAction("visit.not_in_short")
        await self._move(visit, target)
        return self._view(visit, card, answers)

    async def return_to(
        self, viewer: Viewer, visit_id: int, stop_token_: str, *, today: date
    ) -> VisitView:
        """Back to the stop the officer was at before putting a question right (or, if that
        one is answered now, the next that is not).

        Raises:
            StaleAction: the visit is closed.
        """
        visit, card, answers = await self._load(viewer, visit_id, today)
        self._guard(visit, None)
        stops = self._plan(visit, card, answers)
        here = next((i for i, s in enumerate(stops) if stop_token(s.id) == stop_token_), None)
        if here is None:
            return self._view(visit, card, answers)
        target = next(
            (
                s.id
                for s in stops[here:]
                if s.item is None
                or answers.get(s.item.id) is None
                or answers[s.item.id].status is not AnswerStatus.ANSWERED
            ),
            stops[-1].id,
        )
        if target != visit.current:
            await self._move(visit, target)
        return self._view(visit, card, answers)

    async def _watched(
        self, visit: Visit, card: ClientCard, answers: dict[str, RecordedAnswer]
    ) -> VisitView:
        """The view after a recorded answer or look-up, with any alert it raised."""
        await self._to_gap(visit, card, answers)
        view = self._view(visit, card, answers)
        if self.alerts is None:
            return view
        facts = facts_for(
            card,
            visit.check_type,
            answers,
            dict(visit.findings),
            visit_date=local_date(visit.started_at, self.tz),
        )
        alerts = await self.alerts.alert_critical(visit.id, facts)
        return replace(view, alerts=alerts) if alerts else view

    # ----------------------------------------------------------------- navigation
    async def skip(
        self,
        viewer: Viewer,
        visit_id: int,
        stop_id: str,
        *,
        today: date,
        not_applicable: bool = False,
    ) -> VisitView:
        def decide(visit: Visit, card: ClientCard, answers: dict[str, RecordedAnswer]) -> _Change:
            self._guard(visit, stop_id)
            return self._skipped(visit, card, answers, not_applicable)

        visit, card, change = await self._step(viewer, visit_id, today, decide)
        if change.item is None:
            await self._to_gap(visit, card, change.answers)
            return self._view(visit, card, change.answers)
        return await self._recorded_view(visit, card, change)

    def _skipped(
        self,
        visit: Visit,
        card: ClientCard,
        answers: dict[str, RecordedAnswer],
        not_applicable: bool,
    ) -> _Change:
        stop = self._stop(visit, card, answers)
        given = answers.get(stop.item.id) if stop.item is not None else None
        kept = given is not None and given.status is AnswerStatus.ANSWERED and not not_applicable
        if stop.item is None or kept:
            # Going back to look and then on again keeps the answer given: ⏭ is not "erase".
            return _Change(answers, {"current": self._next_stop(visit, card, answers)})
        status = AnswerStatus.NOT_APPLICABLE if not_applicable else AnswerStatus.SKIPPED
        return self._recording(visit, card, answers, stop.item, status, None, None, False)

    async def back(self, viewer: Viewer, visit_id: int, stop_id: str, *, today: date) -> VisitView:
        visit, card, answers = await self._load(viewer, visit_id, today)
        self._guard(visit, stop_id)
        ids = [s.id for s in self._plan(visit, card, answers)]
        index = ids.index(visit.current) if visit.current in ids else 0
        await self._move(visit, ids[max(index - 1, 0)])
        return self._view(visit, card, answers)

    async def jump(self, viewer: Viewer, visit_id: int, group_id: str, *, today: date) -> VisitView:
        visit, card, answers = await self._load(viewer, visit_id, today)
        self._guard(visit, None)
        stops = self._plan(visit, card, answers)
        target = next(
            (
                s.id
                for s in stops
                if (s.item is not None and s.item.group == group_id) or s.id == group_id
            ),
            None,
        )
        if target is None:
            raise StaleAction("visit.no_such_section")
        await self._move(visit, target)
        return self._view(visit, card, answers)

    def sections(self, view: VisitView) -> list[Group]:
        return path.sections(self.checklist, view.client, view.check_type, view.depth)

    async def switch_depth(
        self, viewer: Viewer, visit_id: int, depth: str, *, today: date
    ) -> VisitView:
        """Make the visit short or full from here on. Every answer stays recorded: a question
        the short visit leaves out keeps its answer, and the full one asks only what is left.
        The officer stays where they are, or moves to the next stop the new depth has.

        Raises:
            StaleAction: the visit is closed.
            ValueError: not a depth.
        """
        if depth not in DEPTHS:
            raise ValueError(f"no depth {depth!r}")
        visit, card, answers = await self._load(viewer, visit_id, today)
        self._guard(visit, None)
        if visit.depth == depth:
            return self._view(visit, card, answers)
        full = [s.id for s in self.plan(card, visit.check_type, dict(visit.findings), answers)]
        kept = {
            s.id for s in self.plan(card, visit.check_type, dict(visit.findings), answers, depth)
        }
        here = full.index(visit.current) if visit.current in full else 0
        current = next((i for i in full[here:] if i in kept), FINISH)
        if depth == FULL:
            # What the full visit adds lies mostly before the current question: go back to the
            # first one not answered yet, once the look-ups and check-in are behind.
            gaps = [
                i
                for i in full[:here]
                if i.startswith("item:") and i.removeprefix("item:") not in answers
            ]
            current = gaps[0] if gaps else current
        await self._move(visit, current, depth=depth)
        await self._audit(viewer, "visit.depth", str(visit_id), {"depth": depth})
        return self._view(visit, card, answers)

    async def pause(self, viewer: Viewer, visit_id: int, *, today: date) -> VisitView:
        visit, card, answers = await self._load(viewer, visit_id, today)
        self._guard(visit, None)
        # A visit completed later stays 待补充 (or 补充) through a pause: it is still one to finish.
        paused = visit.status if visit.status in COMPLETING_LATER else VisitStatus.PAUSED
        await self._move(visit, visit.current, status=paused)
        return self._view(visit, card, answers)

    async def check_in(
        self,
        viewer: Viewer,
        visit_id: int,
        latitude: float,
        longitude: float,
        *,
        today: date,
    ) -> VisitView:
        """Record where and when the officer arrived, and how far that is from the client
        (from the position the client has on file, read with the visit; none without one)."""
        now = self.database.now()

        def decide(visit: Visit, card: ClientCard, answers: dict[str, RecordedAnswer]) -> _Change:
            self._guard(visit, CHECKIN)
            position = card.position
            distance = haversine_m(latitude, longitude, *position) if position else None
            arrived = {
                "checkin_at": now,
                "checkin_latitude": latitude,
                "checkin_longitude": longitude,
                "checkin_distance_m": distance,
            }
            for key, value in arrived.items():
                setattr(visit, key, value)
            return _Change(answers, {**arrived, "current": self._next_stop(visit, card, answers)})

        visit, card, change = await self._step(viewer, visit_id, today, decide)
        await self._to_gap(visit, card, change.answers)
        return self._view(visit, card, change.answers)

    # ----------------------------------------------------------------- finishing
    async def summary(self, viewer: Viewer, visit_id: int, *, today: date) -> VisitSummary:
        visit, card, answers = await self._load(viewer, visit_id, today)
        return await self._summary(visit, card, answers)

    async def _summary(
        self, visit: Visit, card: ClientCard, answers: dict[str, RecordedAnswer]
    ) -> VisitSummary:
        visit_id = visit.id
        findings = dict(visit.findings)
        items = path.questions(
            self.checklist, card, visit.check_type, findings, answers, visit.depth
        )
        answered = [
            (i, answers[i.id])
            for i in items
            if i.id in answers and answers[i.id].status is AnswerStatus.ANSWERED
        ]
        skipped = [
            i for i in items if i.id in answers and answers[i.id].status is AnswerStatus.SKIPPED
        ]
        missing = [i for i in items if i.required and i.id not in answers]
        counts = await self.evidence.counts(visit_id) if self.evidence else {}
        missing_evidence = [
            replace(need, required=True)
            for stop_id in (DOCUMENTS, PHOTOS)
            for need in path.evidence_needs(self.checklist, card, stop_id)
            if need.required and not counts.get(need.id)
        ]
        return VisitSummary(
            self._view(visit, card, answers),
            answered,
            skipped,
            missing,
            dict(visit.findings),
            missing_evidence,
            sum(counts.values()),
            counts.get(None, 0),
            path.contradictions(self.checklist, answers),
        )

    async def discard(self, viewer: Viewer, visit_id: int, *, today: date) -> VisitView:
        """Throw away a visit started by mistake: it leaves the officer's open visits and will
        never have a report; its row, answers and files stay, for the audit trail.

        Raises:
            StaleAction: the visit is finished (a finished visit is part of the record) or
                already discarded.
        """
        visit, card, answers = await self._load(viewer, visit_id, today)
        self._guard(visit, None)
        if visit.status is VisitStatus.REOPENED:
            # Its report was sent and is on record: only the additions can be left undone.
            raise StaleAction("visit.reopened_not_discarded")
        await self._move(visit, visit.current, status=VisitStatus.DISCARDED)
        await self._audit(viewer, "visit.discard", str(visit_id), {"answers": len(answers)})
        return self._view(visit, card, answers)

    async def complete(self, viewer: Viewer, visit_id: int, *, today: date) -> VisitSummary:
        """Store the visit as finished (its answers stay exactly as recorded), with its audit
        entry in the same transaction."""
        now = self.database.now()

        def decide(visit: Visit, card: ClientCard, answers: dict[str, RecordedAnswer]) -> _Change:
            self._guard(visit, None)
            # A reopened visit keeps the day it was made: the report shows the client as then.
            finished = {
                "current": FINISH,
                "status": VisitStatus.FINISHED,
                "finished_at": visit.finished_at or now,
            }
            return _Change(answers, finished, audit=("visit.finish", str(visit_id)))

        visit, card, change = await self._step(viewer, visit_id, today, decide)
        return await self._summary(visit, card, change.answers)

    # ----------------------------------------------------------------- finishing later, additions
    async def finish_later(self, viewer: Viewer, visit_id: int, *, today: date) -> VisitSummary:
        """End the on-site part: the visit stays open as 待补充 (a reopened one stays reopened),
        to be completed from ``/visit`` or the reminder; returns what it still lacks.

        Raises:
            StaleAction: the visit is finished or discarded.
            NotFound: not the viewer's visit.
        """
        visit, _, answers = await self._load(viewer, visit_id, today)
        self._guard(visit, None)
        if visit.status is not VisitStatus.REOPENED:
            await self._move(visit, visit.current, status=VisitStatus.TO_COMPLETE)
            await self._audit(viewer, "visit.later", str(visit_id), {"answers": len(answers)})
        return await self.summary(viewer, visit_id, today=today)

    async def reopen(self, viewer: Viewer, visit_id: int, *, today: date) -> Additions:
        """The 「补充」 button of a returned report: its finished visit opens again for additions
        at its first gap, with the answers and files already given kept.

        Raises:
            NotFound: not the viewer's visit.
            StaleAction: the report is no longer returned (resubmitted or approved since), or the
                visit was never reported on.
        """
        officer_id = viewer.officer_id

        def work(conn: Connection) -> None:
            found, status = store.reported(conn, visit_id, officer_id)
            if found.returned:
                store.take_up(conn, found, officer_id)
            elif found.status is not VisitStatus.REOPENED:
                raise StaleAction(
                    "visit.not_reopened", report=status.value if status is not None else None
                )

        await self.database.run(work)
        loaded, card, answers = await self._load(viewer, visit_id, today)
        await self._to_gap(loaded, card, answers, from_start=True)
        return await self.additions(viewer, visit_id, today=today)

    async def additions(self, viewer: Viewer, visit_id: int, *, today: date) -> Additions:
        """What a visit completed later lacks, with the supervisor's comment if it was reopened
        after a return.

        Raises:
            NotFound: not the viewer's visit.
        """
        summary = await self.summary(viewer, visit_id, today=today)
        comment = version = None
        if summary.view.status is VisitStatus.REOPENED:
            async with self.database.session() as session:
                row = (
                    await session.execute(
                        select(Report.review_comment, Report.version).where(
                            Report.visit_id == visit_id
                        )
                    )
                ).first()
            if row is not None:
                comment, version = row
        return Additions(summary, comment, version)

    async def waiting_additions(self, viewer: Viewer, *, today: date) -> list[Additions]:
        """The viewer's visits completed later (待补充 and reopened), the oldest first."""
        async with self.database.session() as session:
            ids = list(
                await session.scalars(
                    select(Visit.id)
                    .where(
                        Visit.officer_id == viewer.officer_id,
                        Visit.status.in_(COMPLETING_LATER),
                    )
                    .order_by(Visit.started_at, Visit.id)
                )
            )
        return [await self.additions(viewer, visit_id, today=today) for visit_id in ids]

    async def _to_gap(
        self,
        visit: Visit,
        card: ClientCard,
        answers: dict[str, RecordedAnswer],
        *,
        from_start: bool = False,
    ) -> None:
        """In a visit completed later, move on to the next stop that lacks something (from the
        first stop when resuming): what was answered at the client's is not walked again."""
        if visit.status not in COMPLETING_LATER:
            return
        stops = self._plan(visit, card, answers)
        ids = [s.id for s in stops]
        start = 0 if from_start or visit.current not in ids else ids.index(visit.current)
        counts = await self.evidence.counts(visit.id) if self.evidence else {}
        target = gaps.next_gap(self.checklist, card, stops, start, answers, counts)
        if target != visit.current:
            await self._move(visit, target)


def _whole(item: Item, answers: dict[str, RecordedAnswer]) -> float | None:
    """The answered count ``item`` is a part of, when it has one (在岗 of 员工)."""
    if item.all_of is None:
        return None
    whole = answers.get(item.all_of.source)
    if whole is None or whole.status is not AnswerStatus.ANSWERED:
        return None
    return float(whole.value)
