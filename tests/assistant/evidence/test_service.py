"""Reading a filed photo: OCR once, fields proposed for the officer, only what the officer
confirmed or typed reaching the checks, failures stored rather than raised, and nothing shown to
anyone but the officer whose visit it is. On SQLite and, with TEST_DATABASE_URL, PostgreSQL."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from PIL import Image
from sqlalchemy import select, update

from assistant.access import Viewer
from assistant.db.models import (
    Client,
    EvidenceFile,
    EvidenceReading,
    Visit,
    VisitStatus,
)
from assistant.errors import InvalidInput, NotFound
from assistant.evidence.model import OcrLine, OcrResult
from assistant.evidence.ocr import OcrFailed
from assistant.reading_fields import parse_field
from assistant.services import Services, build_services
from tests.conftest import Team, record_finished_visit, seed_team

LICENCE = "doc.business_licence"
CODE = "91330106MA2B3C4D5D"  # a valid code: its check character is right
OTHER_CODE = "91440305MA5FQ2N8HH"


def line(text: str, x: float, y: float, *, size: float = 30, score: float = 0.96) -> OcrLine:
    right = x + sum(size if ord(ch) > 0x2E80 else 0.55 * size for ch in text)
    return OcrLine(text, ((x, y), (right, y), (right, y + size), (x, y + size)), score)


# An individual business's licence, as the OCR reads it.
LICENCE_PAGE = OcrResult(
    (
        line("营业执照", 700, 60, size=80),
        line("统一社会信用代码 " + CODE, 100, 200),
        line("名称 张记五金店", 100, 260),
        line("经营者 张建华", 100, 320),
        line("经营场所 城东建材市场A12号", 100, 380),
        line("注册日期 2015年03月12日", 100, 440),
    ),
    1600,
    1200,
    0.4,
)
LICENCE_FIELDS = {
    "credit_code": CODE,
    "name": "张记五金店",
    "legal_representative": "张建华",
    "address": "城东建材市场A12号",
    "established_on": "2015-03-12",
}
INVOICE_PAGE = OcrResult(
    (
        line("电子发票（增值税专用发票）", 650, 80, size=60),
        line("开票日期：2026年09月15日", 1560, 110, size=28),
        line("购买方 名称：张记五金店", 145, 290),
        line("销售方 名称：宁波钢材贸易有限公司", 1135, 290),
        line("项目名称 *黑色金属*热轧钢材", 75, 600, size=26),
        line("价税合计（大写）", 100, 1000, size=28),
        line("⊗壹万贰仟柒佰陆拾玖圆整", 420, 1000),
        line("（小写）", 1480, 1000, size=28),
        line("¥12,769.00", 1600, 1000),
    ),
    2100,
    1400,
    0.5,
)
ELECTRICITY_PAGE = OcrResult(
    (line("电费通知单", 500, 200, size=52), line("户名 张记五金店", 100, 320)), 1600, 1200, 0.3
)


class FakeEngine:
    """Gives ``result`` for any photo, or raises ``error``; counts its calls."""

    name = "fake-ocr"

    def __init__(self, result: OcrResult = LICENCE_PAGE) -> None:
        self.result = result
        self.error: Exception | None = None
        self.calls = 0

    def read(self, content: bytes) -> OcrResult:
        self.calls += 1
        if self.error is not None:
            raise self.error
        return self.result


@pytest.fixture
def engine() -> FakeEngine:
    return FakeEngine()


@pytest.fixture
async def services(settings, database, knowledge, engine) -> AsyncIterator[Services]:
    services = build_services(settings, database=database, knowledge=knowledge, ocr_engine=engine)
    yield services
    assert services.readings.pool is not None
    services.readings.pool.close()


@dataclass
class OpenVisit:
    services: Services
    viewer: Viewer
    visit_id: int

    async def file(self, category: str | None = LICENCE) -> int:
        """A photo filed under ``category``; returns the file's id."""
        buffer = io.BytesIO()
        Image.new("RGB", (64, 48), (200, 200, 190)).save(buffer, "PNG")
        saved = await self.services.evidence.save(
            self.viewer, self.visit_id, buffer.getvalue(), kind="photo", category=category
        )
        return saved.id

    async def read(self, category: str = LICENCE) -> int:
        """A photo filed and read; returns the reading's id."""
        pending = await self.services.readings.begin(self.viewer, await self.file(category))
        assert pending is not None
        await self.services.readings.run(self.viewer, pending.id)
        return pending.id


async def open_visit(services: Services, team: Team) -> OpenVisit:
    viewer = await services.access.viewer(team.officer)
    assert viewer is not None
    view = await services.visits.start(viewer, "C001", today=services.today())
    return OpenVisit(services, viewer, view.visit_id)


@pytest.fixture
async def visit(services: Services, team: Team) -> OpenVisit:
    return await open_visit(services, team)


async def stored(services: Services, reading_id: int) -> EvidenceReading:
    async with services.database.session() as session:
        reading = await session.get(EvidenceReading, reading_id)
    assert reading is not None
    return reading


async def on_file(services: Services, **fields) -> None:
    async with services.database.session() as session:
        client = (await session.scalars(select(Client).where(Client.code == "C001"))).one()
        for name, value in fields.items():
            setattr(client, name, value)


# --- What is read ---------------------------------------------------------------------------


async def test_a_category_that_reads_nothing_opens_no_reading(services, visit, engine):
    for category in ("photo.office_staff", None):
        assert await services.readings.begin(visit.viewer, await visit.file(category)) is None
    assert engine.calls == 0


async def test_a_file_that_is_not_an_image_opens_no_reading(services, visit):
    saved = await services.evidence.save(
        visit.viewer,
        visit.visit_id,
        b"%PDF-1.4 a scanned licence",
        kind="document",
        category=LICENCE,
        file_name="licence.pdf",
        mime_type="application/pdf",
    )
    assert await services.readings.begin(visit.viewer, saved.id) is None


async def test_a_reading_stores_the_lines_the_proposed_fields_and_done(services, visit, engine):
    evidence_id = await visit.file()
    pending = await services.readings.begin(visit.viewer, evidence_id)
    assert pending is not None
    assert pending.title.zh == "营业执照"
    assert (await stored(services, pending.id)).status == "pending"

    view = await services.readings.run(visit.viewer, pending.id)

    assert (view.status, view.problem, view.evidence_id) == ("done", None, evidence_id)
    assert {f.name: f.value for f in view.fields} == LICENCE_FIELDS
    assert [f.name for f in view.fields] == list(LICENCE_FIELDS)  # in the licence's order
    assert view.unconfirmed == view.fields
    assert all(f.confidence == pytest.approx(0.96) for f in view.fields)
    reading = await stored(services, pending.id)
    assert [OcrLine.from_json(x) for x in reading.lines] == list(LICENCE_PAGE.lines)
    assert reading.fields["name"] == {
        "value": "张记五金店",
        "confidence": 0.96,
        "source": "名称 张记五金店",
    }
    assert reading.confirmed == {}
    assert (reading.engine, reading.elapsed_ms) == ("fake-ocr", 400)
    assert engine.calls == 1


async def test_the_view_shows_what_the_file_contradicts_before_anything_is_confirmed(
    services, team
):
    await on_file(services, legal_representative="王五", credit_code=CODE)
    visit = await open_visit(services, team)
    view = await services.readings.view(visit.viewer, await visit.read())

    (mismatch,) = view.checks
    assert mismatch.check == "licence.legal_representative"
    assert (mismatch.document.zh, mismatch.record.zh) == ("张建华", "王五")


# --- The officer's word ---------------------------------------------------------------------


async def test_proposals_reach_the_checks_only_once_confirmed(services, visit):
    reading_id = await visit.read()
    assert await services.readings.documents(visit.visit_id) == []

    one = await services.readings.confirm(visit.viewer, reading_id, "legal_representative")
    (document,) = await services.readings.documents(visit.visit_id)
    assert document.confirmed == {"legal_representative": "张建华"}
    assert [f.name for f in one.fields if f.confirmed] == ["legal_representative"]

    every = await services.readings.confirm(visit.viewer, reading_id, None)
    (document,) = await services.readings.documents(visit.visit_id)
    assert document.confirmed == LICENCE_FIELDS
    assert document.doc_type == "licence"
    assert every.unconfirmed == ()
    assert not any(f.typed for f in every.fields)
    reading = await stored(services, reading_id)
    assert {c["by"] for c in reading.confirmed.values()} == {"ocr"}


async def test_confirming_a_field_that_was_not_read_is_refused(services, visit):
    reading_id = await visit.read()
    with pytest.raises(NotFound):
        await services.readings.confirm(visit.viewer, reading_id, "registered_capital")
    assert (await stored(services, reading_id)).confirmed == {}


async def test_a_correction_is_the_officers_value_and_the_proposal_is_kept(services, visit):
    reading_id = await visit.read()

    view = await services.readings.correct(
        visit.viewer, reading_id, "legal_representative", "李四", today=date(2026, 10, 1)
    )

    (field,) = [f for f in view.fields if f.name == "legal_representative"]
    assert (field.value, field.confirmed, field.typed) == ("李四", True, True)
    reading = await stored(services, reading_id)
    assert reading.fields["legal_representative"]["value"] == "张建华"
    assert reading.confirmed == {"legal_representative": {"value": "李四", "by": "officer"}}
    # Accepting the rest afterwards does not overwrite what the officer typed.
    await services.readings.confirm(visit.viewer, reading_id, None)
    (document,) = await services.readings.documents(visit.visit_id)
    assert document.confirmed["legal_representative"] == "李四"
    assert document.confirmed["name"] == "张记五金店"


async def test_the_officer_may_type_a_field_the_ocr_did_not_read(services, visit):
    reading_id = await visit.read()
    view = await services.readings.correct(
        visit.viewer, reading_id, "registered_capital", "50万", today=date(2026, 10, 1)
    )
    assert {f.name: f.value for f in view.fields}["registered_capital"] == 500_000.0


@pytest.mark.parametrize(
    ("field", "text", "key"),
    [
        ("established_on", "很多年了", "ocr.correct.date"),
        ("registered_capital", "挺多的", "ocr.correct.money"),
        ("credit_code", CODE[:-1] + "E", "ocr.correct.credit_code"),
        ("legal_representative", "   ", "ocr.correct.empty"),
    ],
)
async def test_a_value_that_does_not_read_as_the_field_is_refused_and_changes_nothing(
    services, visit, field, text, key
):
    reading_id = await visit.read()
    await services.readings.confirm(visit.viewer, reading_id, "name")
    before = await stored(services, reading_id)

    with pytest.raises(InvalidInput) as caught:
        await services.readings.correct(
            visit.viewer, reading_id, field, text, today=date(2026, 10, 1)
        )

    assert caught.value.key == key
    after = await stored(services, reading_id)
    assert (after.fields, after.confirmed) == (before.fields, before.confirmed)


async def test_a_field_the_document_does_not_have_cannot_be_typed(services, visit):
    reading_id = await visit.read()
    with pytest.raises(NotFound):
        await services.readings.correct(
            visit.viewer, reading_id, "seller_name", "某公司", today=date(2026, 10, 1)
        )
    assert (await stored(services, reading_id)).confirmed == {}


async def test_confirming_a_licence_of_another_entity_alerts_the_supervisor_at_once(services, team):
    # On file before the visit opens: a visit reads the client's card once.
    await on_file(services, credit_code=OTHER_CODE)
    visit = await open_visit(services, team)
    reading_id = await visit.read()

    view = await services.readings.confirm(visit.viewer, reading_id, "credit_code")

    assert [n.alert.finding.rule_id for n in view.alerts] == ["document.credit_code_mismatch"]
    assert {n.to.telegram_id for n in view.alerts if n.to} == {team.supervisor}


# --- Nobody else's ---------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["teammate", "supervisor", "other_team_officer"])
async def test_nobody_but_the_officer_finds_the_reading(services, visit, team, who):
    evidence_id = await visit.file()
    pending = await services.readings.begin(visit.viewer, evidence_id)
    assert pending is not None
    other = await services.access.viewer(getattr(team, who))
    assert other is not None
    readings = services.readings

    attempts = [
        readings.run(other, pending.id),
        readings.view(other, pending.id),
        readings.confirm(other, pending.id, None),
        readings.correct(other, pending.id, "name", "别家", today=date(2026, 10, 1)),
    ]
    for attempt in attempts:
        with pytest.raises(NotFound) as caught:
            await attempt
        assert caught.value.key == "ocr.not_found"
    with pytest.raises(NotFound):
        await readings.begin(other, evidence_id)
    # A reading that does not exist looks the same.
    with pytest.raises(NotFound) as caught:
        await readings.view(visit.viewer, pending.id + 1000)
    assert caught.value.key == "ocr.not_found"
    assert (await stored(services, pending.id)).status == "pending"


# --- When reading fails ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("error", "problem"),
    [(OcrFailed(), "failed"), (OcrFailed("ocr.not_an_image"), "not_an_image")],
)
async def test_a_failing_engine_stores_a_failed_reading_and_keeps_the_photo(
    services, visit, engine, error, problem
):
    engine.error = error
    evidence_id = await visit.file()
    pending = await services.readings.begin(visit.viewer, evidence_id)
    assert pending is not None

    view = await services.readings.run(visit.viewer, pending.id)

    assert (view.status, view.problem, view.fields) == ("failed", problem, ())
    assert await services.evidence.counts(visit.visit_id) == {LICENCE: 1}
    async with services.database.session() as session:
        record = await session.get(EvidenceFile, evidence_id)
        kept = await session.get(Visit, visit.visit_id)
    assert record is not None and services.evidence.path_of(record.sha256).exists()
    assert kept is not None and kept.status is not VisitStatus.FINISHED
    assert await services.readings.documents(visit.visit_id) == []


async def test_a_timeout_is_stored_as_such(settings, database, knowledge):
    class Stalling(FakeEngine):
        def read(self, content: bytes) -> OcrResult:
            import time

            time.sleep(0.6)
            return super().read(content)

    services = build_services(
        settings.model_copy(update={"ocr_timeout": 0.1}),
        database=database,
        knowledge=knowledge,
        ocr_engine=Stalling(),
    )
    visit = await open_visit(services, await seed_team(services))
    try:
        reading_id = await visit.read()
    finally:
        assert services.readings.pool is not None
        services.readings.pool.close()
    reading = await stored(services, reading_id)
    assert (reading.status, reading.problem, reading.fields) == ("failed", "timeout", {})


async def test_a_blank_photo_is_a_failed_reading_with_nothing_proposed(services, visit, engine):
    engine.result = OcrResult((), 1600, 1200, 0.1, quality="blank")
    view = await services.readings.view(visit.viewer, await visit.read())
    assert (view.status, view.problem, view.fields) == ("failed", "blank", ())


# --- Filed under the wrong category ---------------------------------------------------------


async def test_a_document_filed_wrongly_says_where_it_belongs(services, visit, engine):
    engine.result = INVOICE_PAGE
    view = await services.readings.view(visit.viewer, await visit.read(LICENCE))

    assert (view.status, view.problem, view.detected_type) == (
        "failed",
        "wrong_category",
        "invoice",
    )
    assert [move.id for move in view.moves] == ["doc.invoices"]
    assert view.fields == ()
    assert await services.readings.documents(visit.visit_id) == []


async def test_moving_the_file_reads_it_again_without_another_ocr_pass(services, visit, engine):
    engine.result = INVOICE_PAGE
    evidence_id = await visit.file()
    first = await services.readings.begin(visit.viewer, evidence_id)
    assert first is not None
    await services.readings.run(visit.viewer, first.id)

    await services.evidence.retag(visit.viewer, evidence_id, "doc.invoices")
    again = await services.readings.begin(visit.viewer, evidence_id)
    assert again is not None
    view = await services.readings.run(visit.viewer, again.id)

    assert again.id == first.id
    assert again.title.zh == "进项、销项发票"
    assert engine.calls == 1
    assert (view.status, view.problem, view.expected_type) == ("done", None, "invoice")
    assert {f.name: f.value for f in view.fields} == {
        "seller_name": "宁波钢材贸易有限公司",
        "buyer_name": "张记五金店",
        "amount": 12769.0,
        "issued_on": "2026-09-15",
        "goods": "*黑色金属*热轧钢材",
    }
    assert view.moves == ()


async def test_moving_a_confirmed_file_drops_what_was_confirmed_about_it(services, visit):
    evidence_id = await visit.file()
    pending = await services.readings.begin(visit.viewer, evidence_id)
    assert pending is not None
    await services.readings.run(visit.viewer, pending.id)
    await services.readings.confirm(visit.viewer, pending.id, None)

    await services.evidence.retag(visit.viewer, evidence_id, "doc.invoices")
    await services.readings.begin(visit.viewer, evidence_id)

    reading = await stored(services, pending.id)
    assert (reading.status, reading.confirmed, reading.expected_type) == ("pending", {}, "invoice")
    assert await services.readings.documents(visit.visit_id) == []


# --- A restart mid-read ---------------------------------------------------------------------


async def test_readings_left_pending_are_listed_for_a_restart(services, visit, team):
    pending = await services.readings.begin(visit.viewer, await visit.file())
    assert pending is not None
    assert await services.readings.pending() == [(pending.id, team.officer)]

    await services.readings.run(visit.viewer, pending.id)

    assert await services.readings.pending() == []


async def test_a_pending_reading_of_a_finished_visit_is_not_resumed(services, visit):
    pending = await services.readings.begin(visit.viewer, await visit.file())
    assert pending is not None
    async with services.database.session() as session:
        await session.execute(
            update(Visit).where(Visit.id == visit.visit_id).values(status=VisitStatus.FINISHED)
        )
    assert await services.readings.pending() == []


# --- The checks of a visit ------------------------------------------------------------------


async def test_a_bill_is_checked_against_the_bill_of_the_clients_previous_visit(
    services, team, engine
):
    earlier_visit = await record_finished_visit(services, answers={}, days_ago=200)
    async with services.database.session() as session:
        old = EvidenceFile(
            visit_id=earlier_visit,
            kind="photo",
            category="doc.utility_bills",
            sha256="0" * 64,
            size=1,
        )
        session.add(old)
        await session.flush()
        session.add(
            EvidenceReading(
                evidence_file_id=old.id,
                visit_id=earlier_visit,
                category="doc.utility_bills",
                expected_type="utility_bill",
                status="done",
                lines=[],
                fields={},
                confirmed={
                    "utility": {"value": "electricity", "by": "ocr"},
                    "period_start": {"value": "2026-01-01", "by": "ocr"},
                    "period_end": {"value": "2026-01-31", "by": "ocr"},
                    "consumption": {"value": 3100.0, "by": "ocr"},
                },
            )
        )
    visit = await open_visit(services, team)
    engine.result = ELECTRICITY_PAGE
    reading_id = await visit.read("doc.utility_bills")
    today = date(2026, 10, 1)
    for field, text in [
        ("utility", "电费"),
        ("period_start", "2026-09-01"),
        ("period_end", "2026-09-30"),
        ("consumption", "1500千瓦时"),
        ("consumption_unit", "度"),
    ]:
        await services.readings.correct(visit.viewer, reading_id, field, text, today=today)

    (earlier,) = await services.readings.earlier_documents(visit.visit_id)
    assert earlier.visit_date is not None
    assert earlier.visit_date <= services.today() - timedelta(days=199)
    card = await services.portfolio.client_card(visit.viewer, "C001", today=today)
    checks = await services.readings.checks(visit.visit_id, card, {}, visit_date=today)

    consumption = checks["utility.consumption"]
    assert consumption.ratio == pytest.approx(0.5)  # 50 kWh a day against 100
    assert consumption.document.zh == "日均 50.0 kWh"


async def test_a_visit_without_confirmed_documents_has_no_checks(services, visit):
    await visit.read()
    card = await services.portfolio.client_card(visit.viewer, "C001", today=date(2026, 10, 1))
    checks = await services.readings.checks(visit.visit_id, card, {}, visit_date=services.today())
    assert checks == {}


# --- What the officer types -----------------------------------------------------------------

TODAY = date(2026, 10, 1)


@pytest.mark.parametrize(
    ("field", "text", "value"),
    [
        ("amount", "12.5万", 125_000.0),
        ("amount", "12,769.00", 12_769.0),
        ("registered_capital", "伍拾万元", 500_000.0),
        ("credits_total", "３０万元", 300_000.0),
        ("issued_on", "2026年9月15日", "2026-09-15"),
        ("period_end", "9月30日", "2026-09-30"),
        ("period_start", "2026/09/01", "2026-09-01"),
        ("established_on", "昨天", "2026-09-30"),
        ("consumption", "1200千瓦时", 1200.0),
        ("consumption", "1,200 度", 1200.0),
        ("consumption", "1200kWh", 1200.0),
        ("consumption", "35 立方米", 35.0),
        ("consumption", "1.2万千瓦时", 12_000.0),
        ("credit_code", "9133 0106 ma2b 3c4d 5d", CODE),
        ("utility", "电费", "electricity"),
        ("utility", "水", "water"),
        ("utility", "燃气", "gas"),
        ("utility", "话费", "phone"),
        ("utility", "Water", "water"),
        ("utility", "Electricity", "electricity"),
        ("consumption_unit", "M3", "m3"),
        ("consumption_unit", "千瓦时", "kWh"),
        ("consumption_unit", "度", "kWh"),
        ("consumption_unit", "吨", "t"),
        ("consumption_unit", "方", "m3"),
        ("name", "  张记五金店 ", "张记五金店"),
        ("legal_representative", "ＪＯＨＮ", "JOHN"),
    ],
)
def test_what_the_officer_types_is_read_as_the_fields_type(field, text, value):
    assert parse_field(field, text, today=TODAY) == value


def test_a_consumption_in_kilowatt_hours_is_not_read_as_thousands():
    assert parse_field("consumption", "800千瓦时", today=TODAY) == 800.0
    # 千 on its own is a thousand.
    assert parse_field("consumption", "3千", today=TODAY) == 3000.0


@pytest.mark.parametrize(
    ("field", "text", "key"),
    [
        ("amount", "挺多的", "ocr.correct.money"),
        ("amount", "5 平方米", "ocr.correct.money"),
        ("consumption", "很多", "ocr.correct.number"),
        ("issued_on", "2026-02-30", "ocr.correct.date"),
        ("credit_code", CODE[:-1] + "E", "ocr.correct.credit_code"),
        ("credit_code", CODE[:-1], "ocr.correct.credit_code"),
        ("utility", "暖气", "ocr.correct.choice"),
        ("consumption_unit", "千克", "ocr.correct.choice"),
        ("large_items", "一笔 10 万", "ocr.correct.not_editable"),
        ("name", "", "ocr.correct.empty"),
    ],
)
def test_what_does_not_read_as_the_field_is_refused_with_what_was_expected(field, text, key):
    with pytest.raises(InvalidInput) as caught:
        parse_field(field, text, today=TODAY)
    assert caught.value.key == key


def test_a_refused_choice_lists_the_choices():
    with pytest.raises(InvalidInput) as caught:
        parse_field("utility", "暖气", today=TODAY)
    assert caught.value.params == {"choices": "electricity / water / gas / phone"}


def test_typed_text_is_cut_to_a_sensible_length():
    assert len(parse_field("address", "文三路" * 200, today=TODAY)) == 200
