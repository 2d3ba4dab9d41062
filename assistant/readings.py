"""Reading a filed document: OCR, fields for the officer to confirm, and the checks they feed.

A file filed under a category that ``reads`` a document type (knowledge/checklist.yaml) gets a
reading: pending at once, then done or failed when the OCR pool has read it. The proposals are
kept apart from what the officer confirmed or typed, so an OCR result never overwrites the
officer's word, and only confirmed fields reach the risk rules.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, tzinfo
from pathlib import Path
from typing import Any, NamedTuple

from sqlalchemy import select

from assistant.access import Viewer
from assistant.alerts import AlertNotice, AlertService
from assistant.clock import local_date
from assistant.data.checklist import Evidence
from assistant.data.vocabulary import Bilingual
from assistant.db.database import Database
from assistant.db.models import CLOSED_VISITS, Client, EvidenceFile, EvidenceReading, Visit
from assistant.errors import InvalidInput, NotFound
from assistant.evidence.crosscheck import DocumentCheck, ReadDocument, cross_check
from assistant.evidence.extract import classify, extract
from assistant.evidence.model import FIELDS, DocumentType, Extraction, OcrLine, OcrResult
from assistant.evidence.ocr import OcrBusy, OcrFailed, OcrPool
from assistant.portfolio import ClientCard
from assistant.reading_fields import parse_field
from assistant.risk.facts import facts_for
from assistant.risk.model import RiskFacts
from assistant.visits.model import VisitSummary
from assistant.visits.service import VisitService

log = logging.getLogger(__name__)

# A classification this sure that the file is another document counts as "filed wrongly".
WRONG_CATEGORY_CONFIDENCE = 0.6


class UnfinishedReading(NamedTuple):
    """A reading a stop left unfinished, and the officer to send its result to."""

    reading_id: int
    telegram_id: int


@dataclass(frozen=True)
class FieldView:
    index: int
    name: str
    value: Any
    confidence: float
    confirmed: bool
    typed: bool  # the officer typed it rather than accepting the OCR value


@dataclass(frozen=True)
class PendingReading:
    id: int
    title: Bilingual  # the category the file was filed under


@dataclass(frozen=True)
class ReadingView:
    id: int
    evidence_id: int
    visit_id: int
    category: str
    category_title: Bilingual
    expected_type: str
    status: str  # pending | done | failed
    problem: str | None  # blank | blurred | timeout | failed | not_an_image | wrong_category
    detected_type: str | None
    elapsed_ms: int | None
    upside_down: bool
    fields: tuple[FieldView, ...]
    checks: tuple[DocumentCheck, ...]  # what the fields, confirmed or not, say against the file
    moves: tuple[Evidence, ...]  # categories a wrongly filed document could go to instead
    # Supervisor alerts raised by what was just confirmed.
    alerts: tuple[AlertNotice, ...] = ()

    @property
    def unconfirmed(self) -> tuple[FieldView, ...]:
        return tuple(f for f in self.fields if not f.confirmed)


class ReadingService:
    """Reads filed documents, keeps what the officer confirms, and checks it against the record.

    Args:
        visits: the visits the documents belong to (their checklist, answers and client).
        alerts: raises the alerts that a confirmed field calls for (a licence of another
            entity), through the same path as the visit's answers.
    """

    def __init__(
        self,
        database: Database,
        visits: VisitService,
        files_root: Path,
        pool: OcrPool | None,
        *,
        tz: tzinfo,
        alerts: AlertService | None = None,
        large_item_min: float = 50_000,
    ) -> None:
        self.database = database
        self.visits = visits
        self.tz = tz
        self.files_root = files_root
        self.pool = pool
        self.alerts = alerts
        self.large_item_min = large_item_min

    # ── what is read ────────────────────────────────────────────────────────────────────────

    def _categories(self) -> dict[str, Evidence]:
        checklist = self.visits.checklist
        return {e.id: e for e in (*checklist.documents, *checklist.photo_categories)}

    def reads(self, category: str | None) -> str | None:
        """The document type a category's files are read as, if any."""
        if category is None or self.pool is None:
            return None
        found = self._categories().get(category)
        return found.reads if found is not None else None

    async def begin(self, viewer: Viewer, evidence_id: int) -> PendingReading | None:
        """Open a pending reading for a file just filed under a category that reads it.

        A file moved to another reading category keeps its OCR lines and is extracted again as
        the new type without another OCR pass. ``None`` when there is nothing to read.
        """
        async with self.database.session() as session:
            record = await session.get(EvidenceFile, evidence_id)
            if record is None:
                raise NotFound("visit.not_found")
            visit = await _open_visit(session, viewer, record.visit_id)
            expected = self.reads(record.category)
            if expected is None or not _is_image(record):
                return None
            reading = (
                await session.scalars(
                    select(EvidenceReading).where(EvidenceReading.evidence_file_id == evidence_id)
                )
            ).one_or_none()
            if reading is None:
                reading = EvidenceReading(
                    evidence_file_id=evidence_id,
                    visit_id=visit.id,
                    category=record.category or "",
                    expected_type=expected,
                    status="pending",
                    lines=[],
                    fields={},
                    confirmed={},
                )
                session.add(reading)
            else:
                reading.category = record.category or ""
                reading.expected_type = expected
                reading.status = "pending"
                reading.problem = None
                reading.fields = {}
                # What the officer confirmed was about the document as it was filed before.
                reading.confirmed = {}
            await session.flush()
            category = self._categories()[reading.category]
            return PendingReading(reading.id, category.title)

    async def run(self, viewer: Viewer, reading_id: int) -> ReadingView:
        """Read the file (or re-use its lines), extract the fields and store the result.

        Failures are stored on the reading (``status`` failed, ``problem`` says why) rather than
        raised, so the officer hears about them and the visit goes on.
        """
        async with self.database.session() as session:
            reading, record, _visit = await self._owned(session, viewer, reading_id)
            lines, path = list(reading.lines), self._path(record.sha256)
            stored = OcrResult(
                tuple(OcrLine.from_json(line) for line in lines),
                reading.image_width or 0,
                reading.image_height or 0,
                0.0,
                reading.upside_down,
            )
        problem: str | None = None
        engine_name, elapsed_ms = None, None
        if not lines and self.pool is None:
            # OCR was switched off since the file was filed: say so rather than wait forever.
            problem = "failed"
        elif not lines:
            assert self.pool is not None
            try:
                content = await asyncio.to_thread(path.read_bytes)
                result = await self.pool.read(content)
            except OcrFailed as exc:
                problem = {"ocr.timeout": "timeout", "ocr.not_an_image": "not_an_image"}.get(
                    exc.key, "failed"
                )
                result = None
            except OcrBusy:
                # Refused rather than queued for minutes: the officer sends it again later.
                problem, result = "busy", None
            except OSError:
                problem, result = "failed", None
            if result is not None:
                stored = result
                engine_name = self.pool.engine.name
                elapsed_ms = round(result.elapsed_s * 1000)
                problem = result.quality
        return await self._store(
            viewer, reading_id, stored, problem, engine_name, elapsed_ms, fresh=bool(not lines)
        )

    async def _store(
        self,
        viewer: Viewer,
        reading_id: int,
        result: OcrResult,
        problem: str | None,
        engine_name: str | None,
        elapsed_ms: int | None,
        *,
        fresh: bool,
    ) -> ReadingView:
        detected: DocumentType | None = None
        extraction: Extraction | None = None
        async with self.database.session() as session:
            reading, _record, _visit = await self._owned(session, viewer, reading_id)
            if result.lines and problem not in ("blank",):
                try:
                    detected, extraction = self._extract(result, reading.expected_type)
                except Exception as exc:  # noqa: BLE001 - a reader bug must not lose the photo
                    # The type only: the message could quote what the document says.
                    log.error("extracting fields failed: %s", type(exc).__name__)
                    problem = "failed"
                    detected, extraction = None, None
                else:
                    if detected is not None:
                        problem = "wrong_category"
            if fresh:
                reading.lines = [line.to_json() for line in result.lines]
                reading.upside_down = result.upside_down
                reading.image_width = result.width or None
                reading.image_height = result.height or None
                reading.engine = engine_name
                reading.elapsed_ms = elapsed_ms
            reading.detected_type = detected.value if detected is not None else None
            reading.problem = problem
            usable = extraction is not None and problem in (None, "blurred")
            reading.status = "done" if usable else "failed"
            reading.fields = (
                {
                    name: {
                        "value": f.value,
                        "confidence": round(f.confidence, 3),
                        "source": f.source,
                    }
                    for name, f in extraction.fields.items()
                }
                if usable and extraction is not None
                else {}
            )
        return await self.view(viewer, reading_id)

    def _extract(
        self, result: OcrResult, expected_type: str
    ) -> tuple[DocumentType | None, Extraction]:
        """The fields, read as the category expects; or, when the document clearly is another
        one filed under the wrong category, read as that, and that type returned too."""
        detected, sureness = classify(result)
        expected = DocumentType(expected_type)
        if (
            detected is not None
            and detected is not expected
            and sureness >= WRONG_CATEGORY_CONFIDENCE
        ):
            return detected, extract(detected, result, large_item_min=self.large_item_min)
        return None, extract(expected, result, large_item_min=self.large_item_min)

    # ── the officer's word ──────────────────────────────────────────────────────────────────

    async def confirm(self, viewer: Viewer, reading_id: int, field: str | None) -> ReadingView:
        """Accept the OCR value of one field, or of every field not yet confirmed (``None``)."""
        async with self.database.session() as session:
            reading, _record, _visit = await self._owned(session, viewer, reading_id, lock=True)
            names = [field] if field is not None else list(reading.fields)
            confirmed = dict(reading.confirmed)
            for name in names:
                if name not in reading.fields:
                    raise NotFound("ocr.no_field")
                if name not in confirmed:
                    confirmed[name] = {"value": reading.fields[name]["value"], "by": "ocr"}
            reading.confirmed = confirmed
        return await self._watched(viewer, reading_id)

    async def correct(
        self, viewer: Viewer, reading_id: int, field: str, text: str, *, today: date
    ) -> ReadingView:
        """The officer's own value for a field; it replaces any earlier confirmation.

        Raises:
            InvalidInput: the text does not read as that field (the reading is unchanged).
        """
        value = parse_field(field, text, today=today)
        async with self.database.session() as session:
            reading, _record, _visit = await self._owned(session, viewer, reading_id, lock=True)
            allowed = FIELDS.get(DocumentType(reading.detected_type or reading.expected_type), ())
            if field not in allowed and field not in reading.fields:
                raise NotFound("ocr.no_field")
            reading.confirmed = {**reading.confirmed, field: {"value": value, "by": "officer"}}
        return await self._watched(viewer, reading_id)

    async def _watched(self, viewer: Viewer, reading_id: int) -> ReadingView:
        """The reading after a confirmed or corrected field, with the alerts it raised: a
        critical finding from the visit's documents (and answers) is alerted at once, as an
        answer's is."""
        view = await self.view(viewer, reading_id)
        if self.alerts is None:
            return view
        today = local_date(self.database.now(), self.tz)
        summary = await self.visits.summary(viewer, view.visit_id, today=today)
        facts = await self.facts(summary, today)
        if not facts.documents:
            return view
        return replace(view, alerts=await self.alerts.alert_critical(view.visit_id, facts))

    async def facts(
        self, summary: VisitSummary, day: date, *, missing_evidence: Sequence[str] = ()
    ) -> RiskFacts:
        """What the rules read of a visit: its answers and look-ups, and what its confirmed
        documents say against the record."""
        card = summary.view.client
        facts = facts_for(
            card,
            summary.view.check_type,
            {item.id: answer for item, answer in summary.answers},
            summary.findings,
            visit_date=day,
            missing_evidence=missing_evidence,
        )
        documents = await self.checks(summary.view.visit_id, card, facts.answers, visit_date=day)
        return replace(facts, documents=documents)

    # ── reading back ────────────────────────────────────────────────────────────────────────

    async def view(self, viewer: Viewer, reading_id: int) -> ReadingView:
        async with self.database.session() as session:
            reading, record, visit = await self._owned(session, viewer, reading_id, finished=True)
            client = await session.get(Client, visit.client_id)
        assert client is not None
        return self._view(reading, record, _card_of(client), local_date(visit.started_at, self.tz))

    def _view(
        self, reading: EvidenceReading, record: EvidenceFile, card: ClientCard, visit_date: date
    ) -> ReadingView:
        categories = self._categories()
        doc_type = reading.detected_type if reading.problem == "wrong_category" else None
        order = FIELDS.get(DocumentType(doc_type or reading.expected_type), ())
        names = [n for n in order if n in reading.fields or n in reading.confirmed]
        fields = []
        for index, name in enumerate(names):
            proposal = reading.fields.get(name, {})
            confirmed = reading.confirmed.get(name)
            fields.append(
                FieldView(
                    index,
                    name,
                    confirmed["value"] if confirmed else proposal.get("value"),
                    float(proposal.get("confidence", 1.0)) if not confirmed else 1.0,
                    confirmed is not None,
                    bool(confirmed and confirmed.get("by") == "officer"),
                )
            )
        category = categories.get(reading.category)
        title = (
            category.title
            if category is not None
            else Bilingual(reading.category, reading.category)
        )
        checks: tuple[DocumentCheck, ...] = ()
        if reading.status == "done" and reading.problem != "wrong_category":
            preview = ReadDocument(
                record.id,
                reading.expected_type,
                title,
                {f.name: f.value for f in fields},
            )
            checks = tuple(
                c
                for c in cross_check(card, {}, [preview], visit_date=visit_date).values()
                # Only what the file alone can contradict; the rest needs the answers.
                if c.status == "mismatch" and c.check.startswith(("licence.", "signboard."))
            )
        moves: tuple[Evidence, ...] = ()
        if reading.problem == "wrong_category" and reading.detected_type:
            moves = tuple(e for e in categories.values() if e.reads == reading.detected_type)
        return ReadingView(
            reading.id,
            record.id,
            reading.visit_id,
            reading.category,
            title,
            reading.expected_type,
            reading.status,
            reading.problem,
            reading.detected_type,
            reading.elapsed_ms,
            reading.upside_down,
            tuple(fields),
            checks,
            moves,
        )

    async def documents(self, visit_id: int) -> list[ReadDocument]:
        """The visit's read documents with what the officer confirmed (nothing unconfirmed)."""
        async with self.database.reading() as session:
            rows = (
                await session.scalars(
                    select(EvidenceReading)
                    .join(EvidenceFile, EvidenceFile.id == EvidenceReading.evidence_file_id)
                    .where(
                        EvidenceReading.visit_id == visit_id,
                        EvidenceReading.status == "done",
                        # A file since moved to a category that reads nothing says nothing.
                        EvidenceFile.category == EvidenceReading.category,
                    )
                    .order_by(EvidenceReading.id)
                )
            ).all()
        return self._read(rows, None)

    async def earlier_documents(self, visit_id: int) -> list[ReadDocument]:
        """Read and confirmed documents of the same client's earlier visits."""
        async with self.database.reading() as session:
            visit = await session.get(Visit, visit_id)
            if visit is None:
                return []
            rows = (
                await session.execute(
                    select(EvidenceReading, Visit.started_at)
                    .join(Visit, Visit.id == EvidenceReading.visit_id)
                    .join(EvidenceFile, EvidenceFile.id == EvidenceReading.evidence_file_id)
                    .where(
                        Visit.client_id == visit.client_id,
                        Visit.id < visit_id,
                        EvidenceReading.status == "done",
                        EvidenceFile.category == EvidenceReading.category,
                    )
                    .order_by(EvidenceReading.id)
                )
            ).all()
        return self._read([r for r, _ in rows], [local_date(s, self.tz) for _, s in rows])

    def _read(
        self, rows: Sequence[EvidenceReading], days: Sequence[date] | None
    ) -> list[ReadDocument]:
        categories = self._categories()
        found = []
        for i, row in enumerate(rows):
            if not row.confirmed or row.problem == "wrong_category":
                continue
            category = categories.get(row.category)
            title = category.title if category else Bilingual(row.category, row.category)
            found.append(
                ReadDocument(
                    row.evidence_file_id,
                    row.expected_type,
                    title,
                    {name: c["value"] for name, c in row.confirmed.items()},
                    days[i] if days is not None else None,
                )
            )
        return found

    async def checks(
        self,
        visit_id: int,
        card: ClientCard,
        answers: Mapping[str, Any],
        *,
        visit_date: date,
    ) -> dict[str, DocumentCheck]:
        """The cross-checks of the visit's confirmed documents, for the risk rules."""
        documents = await self.documents(visit_id)
        if not documents:
            return {}
        earlier = await self.earlier_documents(visit_id)
        return cross_check(card, answers, documents, visit_date=visit_date, earlier=earlier)

    async def pending(self) -> list[UnfinishedReading]:
        """Readings left pending by a stop mid-read, with whom to send each to."""
        if self.pool is None:
            return []
        from assistant.db.models import Officer

        async with self.database.session() as session:
            rows = await session.execute(
                select(EvidenceReading.id, Officer.telegram_id)
                .join(Visit, Visit.id == EvidenceReading.visit_id)
                .join(Officer, Officer.id == Visit.officer_id)
                .where(EvidenceReading.status == "pending", Visit.status.not_in(CLOSED_VISITS))
            )
            return [UnfinishedReading(reading_id, telegram_id) for reading_id, telegram_id in rows]

    # ── internals ───────────────────────────────────────────────────────────────────────────

    def _path(self, sha256: str) -> Path:
        return self.files_root / sha256[:2] / sha256

    async def _owned(
        self,
        session: Any,
        viewer: Viewer,
        reading_id: int,
        *,
        lock: bool = False,
        finished: bool = False,
    ) -> tuple[EvidenceReading, EvidenceFile, Visit]:
        """The reading, if it belongs to the viewer's own visit; anything else is "not found",
        so a forged button reveals nothing about other officers' files."""
        query = select(EvidenceReading).where(EvidenceReading.id == reading_id)
        if lock:
            query = query.with_for_update()
        reading = (await session.scalars(query)).one_or_none()
        if reading is None:
            raise NotFound("ocr.not_found")
        visit = await session.get(Visit, reading.visit_id)
        record = await session.get(EvidenceFile, reading.evidence_file_id)
        if visit is None or record is None or visit.officer_id != viewer.officer_id:
            raise NotFound("ocr.not_found")
        if visit.status in CLOSED_VISITS and not finished:
            raise InvalidInput("ocr.visit_finished")
        return reading, record, visit


async def _open_visit(session: Any, viewer: Viewer, visit_id: int) -> Visit:
    visit = await session.get(Visit, visit_id)
    if visit is None or visit.officer_id != viewer.officer_id:
        raise NotFound("visit.not_found")
    if visit.status in CLOSED_VISITS:
        raise InvalidInput("ocr.visit_finished")
    return visit


def _is_image(record: EvidenceFile) -> bool:
    return record.kind == "photo" or (record.mime_type or "").startswith("image/")


def _card_of(client: Client) -> ClientCard:
    """Just what the cross-checks read: the identity fields on file."""
    return ClientCard(
        code=client.code,
        name=client.name,
        kind=client.kind,
        industry=client.industry,
        address=client.registered_address,
        district=client.business_district,
        has_coordinates=client.latitude is not None,
        officer_name="",
        handed_over_on=client.handed_over_on,
        loans=[],
        credit_code=client.credit_code,
        legal_representative=client.legal_representative,
    )
