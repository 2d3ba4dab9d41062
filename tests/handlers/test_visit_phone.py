"""Phone-sized steps: every step of a whole visit to the demo clients fits a phone's screen (about
8 lines as a phone wraps them, at most 6 answer buttons, the navigation in one row), in Chinese and
in English; a long explanation waits behind ℹ 说明; after a photo the way on is on the newest
message."""

from __future__ import annotations

import io
import math
import re
import unicodedata
from collections.abc import AsyncIterator
from typing import Any

import pytest
from PIL import Image

from assistant.demo import DEMO_PEOPLE, seed_demo
from assistant.services import build_services
from bot import build_application
from botapi.chat import Chat, polling, settle_in_process
from botapi.console import standin_builder
from botapi.standin import BotMessage, FakeBotApi, FakeUser

OFFICER = next(p for p in DEMO_PEOPLE if p.alias == "officer")
# A phone in portrait shows about 20 Chinese characters on a line, or 36 Latin ones. Measured here
# on its own, not with the bot's own measure, so that the test does not agree with a wrong bot.
LINE_WIDTH = 20.0
NARROW = LINE_WIDTH / 36
MAX_LINES = 8
MAX_ANSWER_BUTTONS = 6
# What moves through the visit rather than answering (⏭ 跳过, 🚫 不适用, ⬅ 返回, 📑 跳转, ⏸ 暂停,
# ℹ 说明, in either language): these share one row. 继续 ▶ is the documents' and photos' answer.
NAVIGATION = ("⏭", "🚫", "⬅", "📑", "⏸", "ℹ")
STEP_HEADER = re.compile(r"· (?:第 \d+/\d+ 步|step \d+/\d+)$", re.MULTILINE)
FINISHED = ("回访已完成", "visit is complete")
# Typed answers for a question without buttons, tried in turn until one is taken: a figure, a
# date, a sentence long enough that saying it back must be cut to its line.
TYPED = ("30", "2027-06-30", "经营正常，与上次看到的一致，老板说下个月还要再进一批货，库存会多一些")


def phone_lines(text: str) -> int:
    """How many lines ``text`` takes on a phone: each line wraps at the screen's width, where a
    Chinese character (or an emoji) is about twice as wide as a Latin letter."""
    total = 0
    for line in text.split("\n"):
        width = sum(
            1.0 if unicodedata.east_asian_width(c) in "WF" or ord(c) > 0xFFFF else NARROW
            for c in line
        )
        total += max(1, math.ceil(width / LINE_WIDTH - 1e-9))
    return total


def test_phone_lines_wraps_like_a_phone():
    assert phone_lines("二" * 20) == 1
    assert phone_lines("二" * 21) == 2
    assert phone_lines("a" * 36) == 1
    assert phone_lines("a" * 37) == 2
    assert phone_lines("one\n\ntwo") == 3


def jpeg(shade: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (80, 60), (shade, 100, 200 - shade)).save(buffer, "JPEG")
    return buffer.getvalue()


@pytest.fixture
async def demo(settings, knowledge, tmp_path) -> AsyncIterator[tuple[FakeBotApi, Any]]:
    """The demo bank (C1001 a shop, C1002 a trading company with a new and an older loan)."""
    from assistant.db.database import Database

    # An officer answering as fast as a test can: the flood limit would drop answers.
    settings = settings.model_copy(update={"flood_rate": 0})
    url = f"sqlite+aiosqlite:///{tmp_path / 'demo.db'}"
    seeding = build_services(settings, database=Database(url), knowledge=knowledge)
    await seeding.start()
    await seed_demo(seeding)
    await seeding.database.dispose()
    services = build_services(settings, database=Database(url), knowledge=knowledge)
    api = FakeBotApi()
    application = build_application(settings, standin_builder(api), services=services)
    async with polling(application):
        yield api, application


def officer_chat(demo: tuple[FakeBotApi, Any], lang: str) -> Chat:
    api, application = demo
    user = FakeUser(OFFICER.telegram_id, OFFICER.first_name, language_code=lang)
    return Chat(api, user, settle_in_process(api, application))


def action(button: dict[str, Any]) -> str:
    """The visit action of a step's button (``v:<visit>:<token>:<action>:<value>``)."""
    data = button["callback_data"]
    return data.split(":")[3] if data.startswith("v:") else ""


def problems(message: BotMessage) -> list[str]:
    """What keeps a step's message from fitting a phone's screen."""
    found = []
    lines = phone_lines(message.text)
    if lines > MAX_LINES:
        found.append(f"{lines} lines")
    answers = [b for row in message.buttons for b in row if not b["text"].startswith(NAVIGATION)]
    if len(answers) > MAX_ANSWER_BUTTONS:
        found.append(f"{len(answers)} answer buttons")
    rows = [row for row in message.buttons if any(b["text"].startswith(NAVIGATION) for b in row)]
    if len(rows) > 1:
        found.append(f"navigation in {len(rows)} rows")
    return found


async def answer_step(chat: Chat) -> None:
    """Answer the current step in either language: a result or a choice tapped, the location
    shared, a photo filed, documents continued past, a typed answer, the submit."""
    step = chat.message_with_buttons()
    data = {action(b): b["callback_data"] for row in step.buttons for b in row}
    if "f" in data:
        await chat.press_data(data["f"], step)
        if not any(word in chat.last_text for word in FINISHED):
            await chat.press(1)  # submit anyway, past what is missing
        return
    if "c" in data:
        await chat.press_data(data["c"], step)
        return
    if "n" not in data and "📎" in step.text:
        await chat.send_location(31.2304, 121.4737)
        return
    if "n" not in data:
        if "拍照" in step.text or "photos" in step.text:
            await chat.send_photo(jpeg(len(chat.api.events) % 200))
            await chat.press(1)  # its category
        await chat.press_data(data["s"], step)
        return
    for text in TYPED:
        await chat.send(text)
        if chat.message_with_buttons().text.split("\n")[-1] != step.text.split("\n")[-1]:
            return  # taken: the next question is asked
    await chat.press_data(data["s"], step)


@pytest.mark.parametrize("lang", ["zh-hans", "en"])
@pytest.mark.parametrize("client", ["C1001", "C1002"])
async def test_every_step_of_a_whole_visit_fits_a_phone_screen(demo, client: str, lang: str):
    chat = officer_chat(demo, lang)
    await chat.send(f"/visit {client}")
    for _ in range(250):
        if any(word in chat.last_text for word in FINISHED):
            break
        await answer_step(chat)
    else:
        pytest.fail(f"the visit did not finish; last: {chat.last_text}")
    steps = [m for m in demo[0].chat_messages(chat.user.id) if STEP_HEADER.search(m.text)]
    assert len(steps) > 50, "the whole visit was walked"
    assert any("✓" in m.text for m in steps), "answers said back, and counted as lines"
    too_big = {m.text: problems(m) for m in steps if problems(m)}
    assert not too_big, too_big


async def test_a_long_explanation_waits_behind_a_button(demo):
    chat = officer_chat(demo, "zh-hans")
    await chat.send("/visit C1001")
    assert "查询渠道" in chat.last_text and "请记录查询结果" in chat.last_text
    assert "ℹ 说明" in chat.last.button_labels
    step = chat.last.text
    await chat.press("ℹ 说明")
    assert "年报" in chat.last_text and "注意：" in chat.last_text, "what to check and to note"
    assert "ℹ 说明" not in chat.last.button_labels
    assert "⬅ 返回" in chat.last.button_labels
    await chat.press(1)  # the result, tapped under the explanation
    assert chat.last_text.startswith("✓ 已记录：") and chat.last_text != step

    while "📎" not in chat.last_text:  # on to the check-in, which has nothing to explain
        await chat.press(1)
    back = next(b for b in chat.last.buttons[-1] if action(b) == "b")["callback_data"]
    await chat.press_data(back.replace(":b:", ":h:"))
    assert "已过期" in chat.last_text, "a forged ℹ 说明 where there is nothing to explain"
