"""Two replicas of the bot, as production runs them: webhook mode over HTTP, one PostgreSQL.

A visit started through one replica continues through the other; the monthly plan is due with
both running and each officer receives it once; a request without the secret is refused; the
health endpoint reports the database; and a stop finishes the update in flight.
"""

from __future__ import annotations

import asyncio
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from langchain_core.language_models.fake_chat_models import FakeListChatModel

from assistant.db.database import Database
from assistant.miniapp.initdata import sign
from assistant.services import build_services
from bot import build_application
from botapi.console import standin_builder
from botapi.standin import BotMessage, FakeBotApi, FakeUser
from handlers.webhook import SECRET_HEADER, serve_webhook
from tests.conftest import Team, record_finished_visit
from tests.test_bot import free_port

SECRET = "replica-Secret_1"
SHANGHAI = ZoneInfo("Asia/Shanghai")


class Replica:
    def __init__(self, application: Any, port: int, stop: asyncio.Event, task: asyncio.Task):
        self.application, self.port, self.stop, self.task = application, port, stop, task

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def services(self) -> Any:
        return self.application.bot_data["services"]


@asynccontextmanager
async def replica(api: FakeBotApi, settings, url: str, knowledge, clock, *, chat_model=None):
    services = build_services(
        settings, database=Database(url, clock=clock), knowledge=knowledge, chat_model=chat_model
    )
    application = build_application(settings, standin_builder(api), services=services)
    port, stop = free_port(), asyncio.Event()
    task = asyncio.create_task(
        serve_webhook(
            application,
            webhook_url="https://bot.example.bank/telegram",
            path="telegram",
            secret=SECRET,
            listen="127.0.0.1",
            port=port,
            stop=stop,
        )
    )
    async with httpx.AsyncClient() as client:
        for _ in range(600):
            try:
                if (await client.get(f"http://127.0.0.1:{port}/healthz")).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.05)
    try:
        yield Replica(application, port, stop, task)
    finally:
        stop.set()
        await asyncio.wait_for(task, 60)


class Officer:
    """An officer whose phone's requests the proxy sends to one replica or the other."""

    def __init__(self, api: FakeBotApi, user: FakeUser) -> None:
        self.api, self.user = api, api.add_user(user)
        self.client = httpx.AsyncClient()

    async def _deliver(self, via: Replica, body: dict[str, Any]) -> list[BotMessage]:
        mark = len(self.api.events)
        response = await self.client.post(
            f"{via.url}/telegram", json=self.api.numbered(body), headers={SECRET_HEADER: SECRET}
        )
        assert response.status_code == 200
        await via.application.update_queue.join()
        return self.api.events_since(mark, self.user.id)

    async def send(self, via: Replica, text: str) -> list[BotMessage]:
        return await self._deliver(via, self.api.text_update(self.user, text))

    async def press(self, via: Replica, label: str | int) -> list[BotMessage]:
        message = next(m for m in reversed(self.api.chat_messages(self.user.id)) if m.buttons)
        flat = [b for row in message.buttons for b in row]
        button = (
            flat[label - 1]
            if isinstance(label, int)
            else next(b for b in flat if label in b["text"])
        )
        return await self._deliver(
            via, self.api.callback_update(self.user, message, button["callback_data"])
        )

    @property
    def last_text(self) -> str:
        return self.api.chat_messages(self.user.id)[-1].text


@pytest.fixture
async def shared_db(pg_url, settings, knowledge) -> str:
    """One PostgreSQL database with the test bank in it, for every replica."""
    from tests.conftest import seed_team

    services = build_services(settings, database=Database(pg_url), knowledge=knowledge)
    await seed_team(services)
    await services.database.dispose()
    return pg_url


async def test_a_visit_moves_between_replicas(settings, knowledge, shared_db, clock):
    api = FakeBotApi()
    async with (
        replica(api, settings, shared_db, knowledge, clock) as a,
        replica(api, settings, shared_db, knowledge, clock) as b,
    ):
        officer = Officer(api, FakeUser(Team.officer, "张伟"))
        await officer.send(a, "/visit C001")
        assert "开始回访" in officer.last_text
        replicas = [a, b]
        for turn in range(80):
            if "回访小结" in officer.last_text:
                break
            via = replicas[turn % 2]
            labels = [b["text"] for row in api.chat_messages(Team.officer)[-1].buttons for b in row]
            move = next((x for x in ("⏭ 跳过", "继续 ▶") if x in labels), 1)
            await officer.press(via, move)
        assert "回访小结" in officer.last_text
        await officer.press(b, "✅ 确认提交")
        # Questions were skipped: the bot lists them and asks again.
        await officer.press(a, "✅ 仍然提交")
        assert "回访已完成" in officer.last_text
        await officer.client.aclose()


async def test_the_monthly_plan_reaches_each_officer_once_with_two_replicas(
    settings, knowledge, shared_db, clock
):
    api = FakeBotApi()
    fast = settings.model_copy(update={"reminder_check_seconds": 0.05})
    clock.travel_to(datetime(2026, 11, 2, 9, 30, tzinfo=SHANGHAI))  # a Monday
    for person in (Team.officer, Team.teammate, Team.supervisor):
        api.add_user(FakeUser(person, "x"))
    async with (
        replica(api, fast, shared_db, knowledge, clock),
        replica(api, fast, shared_db, knowledge, clock),
    ):
        await asyncio.sleep(2)
    for person in (Team.officer, Team.teammate):
        plans = [m for m in api.chat_messages(person) if "2026年11月回访计划" in m.text]
        assert len(plans) == 1, person


async def test_the_webhook_checks_the_secret_and_reports_health(
    settings, knowledge, shared_db, clock
):
    api = FakeBotApi()
    async with replica(api, settings, shared_db, knowledge, clock) as a:
        body = api.numbered(api.text_update(api.add_user(FakeUser(Team.officer, "张伟")), "/help"))
        async with httpx.AsyncClient() as client:
            for headers in ({}, {SECRET_HEADER: "guess"}):
                refused = await client.post(f"{a.url}/telegram", json=body, headers=headers)
                assert refused.status_code == 403
            garbage = await client.post(
                f"{a.url}/telegram", content=b"{not json", headers={SECRET_HEADER: SECRET}
            )
            assert garbage.status_code == 400
            health = await client.get(f"{a.url}/healthz")
        assert health.status_code == 200
        assert health.json() == {"database": "ok", "knowledge": "ok"}
        assert api.chat_messages(Team.officer) == []


async def test_the_pages_are_served_beside_the_webhook_on_every_replica(
    settings, knowledge, shared_db, clock
):
    """The Mini App behind the proxy: a draft saved through one replica is what the other shows,
    and the launch data signed for one bot token is good on both."""
    api = FakeBotApi()
    async with (
        replica(api, settings, shared_db, knowledge, clock) as a,
        replica(api, settings, shared_db, knowledge, clock) as b,
    ):
        visit = await record_finished_visit(a.services, "C001")
        officer = await a.services.access.viewer(Team.officer)
        report = (await a.services.reports.open_for_visit(officer, visit, "zh")).report_id
        launch = {
            "X-Telegram-Init-Data": sign(Team.officer, a.application.bot.token, now=clock.now())
        }
        async with httpx.AsyncClient() as client:
            page = await client.get(f"{a.url}/app/")
            assert page.status_code == 200 and "Content-Security-Policy" in page.headers
            saved = await client.post(
                f"{a.url}/app/api/report/{report}/edit",
                headers={**launch, "Content-Type": "application/json"},
                json={"field": "remarks", "text": "在一号副本上写的备注"},
            )
            assert saved.status_code == 200
            seen = await client.get(f"{b.url}/app/api/report/{report}", headers=launch)
        assert seen.status_code == 200
        assert seen.json()["report"]["remarks"] == "在一号副本上写的备注"


async def test_a_stop_finishes_the_update_in_flight(settings, knowledge, shared_db, clock):
    class Held(FakeListChatModel):
        gate: Any = None

        async def ainvoke(self, *args: Any, **kwargs: Any) -> Any:
            await self.gate.wait()
            return await super().ainvoke(*args, **kwargs)

    model = Held(responses=["- 查年报 [flow.prepare]"])
    model.gate = asyncio.Event()
    api = FakeBotApi()
    async with AsyncExitStack() as stack:
        a = await stack.enter_async_context(
            replica(api, settings, shared_db, knowledge, clock, chat_model=model)
        )
        user = api.add_user(FakeUser(Team.officer, "张伟"))
        body = api.numbered(api.text_update(user, "出发前要在网上查客户什么？"))
        async with httpx.AsyncClient() as client:
            posted = await client.post(
                f"{a.url}/telegram", json=body, headers={SECRET_HEADER: SECRET}
            )
        assert posted.status_code == 200
        await asyncio.sleep(0.5)  # the question is now waiting for the LLM
        a.stop.set()
        await asyncio.sleep(0.5)
        assert not a.task.done(), "the stop waits for the update in flight"
        model.gate.set()
        await asyncio.wait_for(a.task, 30)
    assert any("年报" in m.text for m in api.chat_messages(Team.officer))


async def test_the_same_tap_through_two_replicas_is_recorded_once(
    settings, knowledge, shared_db, clock
):
    from sqlalchemy import func, select

    from assistant.data.checklist import AnswerType
    from assistant.db.models import VisitAnswer
    from assistant.visits.model import StaleAction

    first, second = (
        build_services(settings, database=Database(shared_db), knowledge=knowledge)
        for _ in range(2)
    )
    viewer = await first.access.viewer(Team.officer)
    assert viewer is not None
    today = first.today()
    view = await first.visits.start(viewer, "C001", today=today)
    while view.stop.item is None or view.stop.item.type is not AnswerType.NUMBER:
        if view.stop.precheck is not None:
            result = view.stop.precheck.results[0].id
            view = await first.visits.choose(viewer, view.visit_id, view.token, result, today=today)
        else:
            view = await first.visits.skip(viewer, view.visit_id, view.token, today=today)
    item = view.stop.item
    outcomes = await asyncio.gather(
        first.visits.answer(viewer, view.visit_id, "35", today=today, stop_id=view.token),
        second.visits.answer(viewer, view.visit_id, "36", today=today, stop_id=view.token),
        return_exceptions=True,
    )
    assert sum(isinstance(o, StaleAction) for o in outcomes) == 1, outcomes
    async with first.database.session() as session:
        recorded = await session.scalar(
            select(func.count())
            .select_from(VisitAnswer)
            .where(VisitAnswer.visit_id == view.visit_id, VisitAnswer.item_id == item.id)
        )
    assert recorded == 1
    for services in (first, second):
        await services.database.dispose()
