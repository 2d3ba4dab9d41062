"""The Chroma server stops: a replica that has loaded the index keeps answering from the vectors
it holds, one that starts meanwhile says the knowledge base is temporarily unavailable until the
server is back, and visits carry on throughout. End to end, through the real Application."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from sqlalchemy import select

from assistant.config import Settings
from assistant.db.database import Database
from assistant.db.models import Visit, VisitAnswer
from assistant.services import Services, build_knowledge, build_services
from tests.conftest import ADMIN_ID, BotHarness, Team
from tests.handlers.test_visit import skip_until
from tests.integration.conftest import ChromaServer

QUESTION = "回访时要拍哪些照片？"
UNAVAILABLE_ZH = "知识库暂时不可用，请稍后再问；回访可以照常进行。"
UNAVAILABLE_EN = (
    "The knowledge base is temporarily unavailable; try again shortly. Visits work as usual."
)


# The root `bot` and `team` fixtures, on services whose knowledge base lives on a Chroma server.
@pytest.fixture
def settings(
    data_dir: Path, indexed_chroma_server: ChromaServer, small_knowledge: Path
) -> Settings:
    return Settings(
        _env_file=None,
        data_dir=data_dir,
        admin_ids=frozenset({ADMIN_ID}),
        bot_token=None,
        database_url=None,
        timezone="Asia/Shanghai",
        knowledge_dir=small_knowledge,
        chroma_url=indexed_chroma_server.url,
        chroma_path=data_dir / "cache",
    )


@pytest.fixture
async def services(settings: Settings, sqlite_db: Database) -> Services:
    return build_services(settings, database=sqlite_db, knowledge=build_knowledge(settings))


@pytest.fixture
def chroma_down_at_start(indexed_chroma_server: ChromaServer) -> ChromaServer:
    """Listed before ``bot``: the server is stopped before the bot starts."""
    indexed_chroma_server.stop()
    return indexed_chroma_server


async def recorded_answer(services: Services, item_id: str) -> VisitAnswer | None:
    async with services.database.session() as session:
        visit = await session.scalar(select(Visit).order_by(Visit.id.desc()))
        assert visit is not None
        return await session.scalar(
            select(VisitAnswer).where(
                VisitAnswer.visit_id == visit.id, VisitAnswer.item_id == item_id
            )
        )


async def test_a_stopped_chroma_server_stops_neither_answers_nor_visits(
    bot: BotHarness,
    team: Team,
    indexed_chroma_server: ChromaServer,
    caplog: pytest.LogCaptureFixture,
):
    server = indexed_chroma_server
    knowledge = bot.services.knowledge
    # Look for another replica's re-index on every question, so that each one meets the outage.
    knowledge.follow_interval = 0
    officer = bot.chat(team.officer)
    await officer.send(QUESTION)
    before = officer.last_text
    assert "依据：" in before

    server.stop()
    await officer.send(QUESTION)
    assert officer.last_text == before, "answered from the vectors loaded before, word for word"
    assert knowledge.store_down
    colleague = bot.chat(team.teammate, language_code="en")
    await colleague.send("/ask Which photos should I take on a visit?")
    assert "Based on:" in colleague.last_text

    await officer.send("/visit C001")
    assert "开始回访" in officer.last_text
    await skip_until(officer, "单位：人")
    await officer.send("6")
    recorded = await recorded_answer(bot.services, "flow.interview.staff.headcount_total")
    assert recorded is not None and recorded.value == {"v": 6.0}

    step = officer.last_text
    replies = await officer.send(QUESTION)
    assert "依据：" in replies[0].text
    assert "回到当前问题" in officer.last_text, "the question mid-visit returns to the step"
    assert step.split("\n")[-1] in officer.last_text
    outage = [r for r in caplog.records if "from the index loaded before" in r.getMessage()]
    assert len(outage) == 1, "one line per outage, not one per question"

    server.start()  # the same path and port: what a restarted container does
    print(f"\nchroma run restarted in {server.started_in:.2f}s")
    replies = await officer.send(QUESTION)
    assert "依据：¹拍照记录" in replies[0].text
    assert not knowledge.store_down


async def test_the_bot_starts_without_chroma_and_answers_once_it_is_back(
    chroma_down_at_start: ChromaServer,
    bot: BotHarness,
    team: Team,
    caplog: pytest.LogCaptureFixture,
):
    assert not bot.services.knowledge.ready
    at_start = caplog.get_records("setup")  # the bot started in the `bot` fixture
    started = [r for r in at_start if "knowledge base not loaded" in r.getMessage()]
    assert len(started) == 1, "one line at start-up, however often start() runs"
    assert started[0].getMessage() == (
        "knowledge base not loaded: vector store: unreachable (ConnectError)"
    )
    assert started[0].exc_info is None

    officer = bot.chat(team.officer)
    await officer.send(QUESTION)
    assert officer.last_text == UNAVAILABLE_ZH
    await officer.send("/visit C001")
    assert "开始回访" in officer.last_text
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]

    chroma_down_at_start.start()
    await officer.send(f"/ask {QUESTION}")
    assert "依据：" in officer.text
    assert bot.services.knowledge.ready and not bot.services.knowledge.store_down


async def test_reindex_while_chroma_is_down_keeps_the_knowledge_base(
    bot: BotHarness, team: Team, indexed_chroma_server: ChromaServer
):
    admin = bot.chat(ADMIN_ID)
    indexed_chroma_server.stop()
    await admin.send("/reindex")
    assert UNAVAILABLE_ZH in admin.last_text
    indexed_chroma_server.start()
    await admin.send(QUESTION)
    assert "依据：" in admin.last_text
