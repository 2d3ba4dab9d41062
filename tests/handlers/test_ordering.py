"""Officers are served side by side; each officer's own messages strictly in the order sent."""

import asyncio
from typing import Any

import pytest
from langchain_core.language_models.fake_chat_models import FakeListChatModel
from telegram import CallbackQuery, Chat, ChatMemberUpdated, Message, MessageEntity, Update, User

from assistant.metrics import Metrics
from handlers.ordering import PerUserUpdateProcessor, update_kind
from tests.conftest import BotHarness, Team
from tests.handlers.test_visit import skip_until


def _update(update_id: int, user_id: int) -> Update:
    user = User(user_id, "x", is_bot=False)
    message = Message(update_id, None, Chat(user_id, "private"), from_user=user, text="t")  # type: ignore[arg-type]
    return Update(update_id, message=message)


async def test_one_users_updates_run_in_order_while_another_user_is_not_held_up():
    processor = PerUserUpdateProcessor(8)
    finished: list[str] = []

    async def handle(name: str, seconds: float) -> None:
        await asyncio.sleep(seconds)
        finished.append(name)

    # The officer's first update is the slow one: the second must still wait for it, while a
    # colleague's update, sent after both, is done first.
    await asyncio.gather(
        processor.process_update(_update(1, 10), handle("officer-1", 0.05)),
        processor.process_update(_update(2, 10), handle("officer-2", 0)),
        processor.process_update(_update(3, 20), handle("colleague", 0)),
    )
    assert finished == ["colleague", "officer-1", "officer-2"]
    assert not processor._queues, "a user's lock is dropped with its last update"


async def test_an_update_without_a_user_is_not_held_up():
    processor = PerUserUpdateProcessor(4)
    finished: list[str] = []

    async def handle(name: str, seconds: float) -> None:
        await asyncio.sleep(seconds)
        finished.append(name)

    await asyncio.gather(
        processor.process_update(_update(1, 10), handle("officer", 0.05)),
        processor.process_update(Update(2), handle("no user", 0)),
    )
    assert finished == ["no user", "officer"]


def _command(update_id: int, user_id: int, text: str = "/help") -> Update:
    user = User(user_id, "x", is_bot=False)
    entity = MessageEntity(MessageEntity.BOT_COMMAND, 0, len(text.split()[0]))
    message = Message(
        update_id,
        None,
        Chat(user_id, "private"),
        from_user=user,
        text=text,
        entities=[entity],  # type: ignore[arg-type]
    )
    return Update(update_id, message=message)


def _press(update_id: int, user_id: int) -> Update:
    user = User(user_id, "x", is_bot=False)
    return Update(update_id, callback_query=CallbackQuery(str(update_id), user, "chat", data="x"))


def test_updates_are_classified_as_commands_messages_presses_or_other():
    user = User(10, "x", is_bot=False)
    # A command mentioned inside a sentence is still a message, as CommandHandler reads it.
    mentioned = Message(
        5,
        None,
        Chat(10, "private"),
        from_user=user,
        text="try /help",  # type: ignore[arg-type]
        entities=[MessageEntity(MessageEntity.BOT_COMMAND, 4, 5)],
    )
    joined = ChatMemberUpdated(Chat(10, "private"), user, None, None, None)  # type: ignore[arg-type]

    assert update_kind(_command(1, 10)) == "command"
    assert update_kind(_update(2, 10)) == "message"
    assert update_kind(Update(3, edited_message=_update(3, 10).message)) == "message"
    assert update_kind(_press(4, 10)) == "callback"
    assert update_kind(Update(5, message=mentioned)) == "message"
    assert update_kind(Update(6, my_chat_member=joined)) == "other"
    assert update_kind("put on the queue by hand") == "other"


async def test_the_processor_counts_and_times_every_update_it_handles():
    metrics = Metrics()
    processor = PerUserUpdateProcessor(4, metrics)

    async def handle(seconds: float) -> None:
        await asyncio.sleep(seconds)

    await asyncio.gather(
        processor.process_update(_command(1, 10), handle(0.02)),
        processor.process_update(_update(2, 10), handle(0)),
        processor.process_update(_press(3, 20), handle(0)),
        processor.process_update(Update(4), handle(0)),
    )

    def value(name: str, **labels: str) -> float | None:
        return metrics.registry.get_sample_value(name, labels)

    assert value("loan_visit_updates_total", kind="command") == 1
    assert value("loan_visit_updates_total", kind="message") == 1
    assert value("loan_visit_updates_total", kind="callback") == 1
    assert value("loan_visit_updates_total", kind="other") == 1
    assert value("loan_visit_update_seconds_count") == 4
    # What is timed is the handler itself: the slow command's 20 ms are never under 10 ms.
    assert value("loan_visit_update_seconds_bucket", le="0.01") <= 3
    assert value("loan_visit_update_seconds_sum") >= 0.02
    assert not processor._queues, "counting changes nothing about the per-user locks"


async def test_two_answers_sent_at_once_are_recorded_in_order(bot: BotHarness, team: Team):
    officer = bot.chat(team.officer)
    await officer.send("/visit C001")
    await skip_until(officer, "现在一共有多少员工")

    # Both answers leave the phone before the bot has replied to the first, as on a bad line.
    await bot.api.push_text(officer.user, "三十五个人")
    last = await bot.api.push_text(officer.user, "二十个")
    await bot.api.wait_fetched(last)
    await bot.application.update_queue.join()

    visit_id = (await bot.services.visits.open_visits(await _viewer(bot, team.officer)))[0][0]
    answers = await _answers(bot, visit_id)
    assert answers["flow.interview.staff.headcount_total"] == 35
    assert answers["flow.interview.staff.headcount_present"] == 20


async def _viewer(bot: BotHarness, telegram_id: int):
    viewer = await bot.services.access.viewer(telegram_id)
    assert viewer is not None
    return viewer


async def _answers(bot: BotHarness, visit_id: int) -> dict[str, object]:
    from sqlalchemy import select

    from assistant.db.models import VisitAnswer

    async with bot.services.database.session() as session:
        rows = await session.scalars(select(VisitAnswer).where(VisitAnswer.visit_id == visit_id))
        return {row.item_id: row.value["v"] for row in rows}


class HeldModel(FakeListChatModel):
    """A chat model that answers only when the test lets it: an LLM endpoint having a slow day."""

    gate: Any = None

    async def ainvoke(self, *args: Any, **kwargs: Any) -> Any:
        await self.gate.wait()
        return await super().ainvoke(*args, **kwargs)


@pytest.fixture
def held_model() -> HeldModel:
    model = HeldModel(responses=["- 查年报 [flow.prepare]"])
    model.gate = asyncio.Event()
    return model


@pytest.fixture
async def services(settings, sqlite_db, knowledge, held_model):
    from assistant.services import build_services

    return build_services(settings, database=sqlite_db, knowledge=knowledge, chat_model=held_model)


async def test_a_slow_llm_answer_does_not_hold_up_another_officer(
    bot: BotHarness, team: Team, held_model: HeldModel
):
    officer, teammate = bot.chat(team.officer), bot.chat(team.teammate)
    mark = len(bot.api.events)
    await bot.api.push_text(officer.user, "出发前要在网上查客户什么？")
    await bot.api.push_text(teammate.user, "/help")

    replies = await bot.api.wait_for_messages(team.teammate, since=mark)
    assert "使用说明" in replies[-1].text
    assert not held_model.gate.is_set(), "the colleague was answered while the LLM still thinks"

    held_model.gate.set()
    await bot.application.update_queue.join()
    assert "年报" in bot.api.events_since(mark, team.officer)[-1].text
