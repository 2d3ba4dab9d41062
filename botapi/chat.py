"""A user's side of a private chat with the bot, for tests and the console.

``await chat.send("/clients")`` queues an update on the stand-in, waits until the running
Application has fetched and fully processed it, and returns what the bot sent back.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from telegram.ext import Application

from botapi.standin import BotMessage, FakeBotApi, FakeUser

Settle = Callable[[int], Awaitable[None]]
# Where the bot keeps work that answers after the update is handled (reading a photographed
# document); the handlers name the same bot_data key.
BACKGROUND_TASKS = "background_tasks"


def settle_in_process(
    api: FakeBotApi, application: Application[Any, Any, Any, Any, Any, Any], timeout: float = 30.0
) -> Settle:
    """Wait for an update to be fetched by polling and then processed by every handler."""

    async def settle(update_id: int) -> None:
        await api.wait_fetched(update_id, timeout)
        await application.update_queue.join()

    return settle


class NoSuchButton(LookupError):
    pass


class Chat:
    """One Telegram user talking to the bot."""

    def __init__(self, api: FakeBotApi, user: FakeUser, settle: Settle) -> None:
        self.api = api
        self.user = api.add_user(user)
        self._settle = settle
        self.replies: list[BotMessage] = []
        self._last_query_id: str | None = None

    async def _round_trip(self, update_id_coro: Awaitable[int]) -> list[BotMessage]:
        mark = len(self.api.events)
        update_id = await update_id_coro
        await self._settle(update_id)
        self.replies = self.api.events_since(mark, self.user.id)
        return self.replies

    async def send(self, text: str) -> list[BotMessage]:
        return await self._round_trip(self.api.push_text(self.user, text))

    async def send_document(
        self,
        content: bytes | Path,
        file_name: str | None = None,
        mime_type: str = "application/octet-stream",
        caption: str | None = None,
    ) -> list[BotMessage]:
        if isinstance(content, Path):
            file_name = file_name or content.name
            content = content.read_bytes()
        return await self._round_trip(
            self.api.push_document(self.user, content, file_name or "file", mime_type, caption)
        )

    async def send_photo(
        self, content: bytes, caption: str | None = None, media_group_id: str | None = None
    ) -> list[BotMessage]:
        return await self._round_trip(
            self.api.push_photo(self.user, content, caption, media_group_id)
        )

    async def follow_ups(
        self, application: Application[Any, Any, Any, Any, Any, Any], timeout: float = 60.0
    ) -> list[BotMessage]:
        """Wait for the bot's background work (a document being read) and return what it sent
        this user meanwhile."""
        mark = len(self.api.events)
        running = list(application.bot_data.get(BACKGROUND_TASKS, ()))
        if running:
            async with asyncio.timeout(timeout):
                await asyncio.gather(*running, return_exceptions=True)
        self.replies = self.api.events_since(mark, self.user.id)
        return self.replies

    async def send_voice(self, content: bytes, duration: int = 3) -> list[BotMessage]:
        return await self._round_trip(self.api.push_voice(self.user, content, duration))

    async def send_location(self, latitude: float, longitude: float) -> list[BotMessage]:
        return await self._round_trip(self.api.push_location(self.user, latitude, longitude))

    async def press(self, button: str | int) -> list[BotMessage]:
        """Tap a button on the newest message that has buttons: by 1-based number or label.

        A label matches exactly first, then as a substring.
        """
        message = self.message_with_buttons()
        flat = [b for row in message.buttons for b in row]
        chosen: dict[str, Any] | None = None
        if isinstance(button, int) or str(button).isdigit():
            index = int(button) - 1
            chosen = flat[index] if 0 <= index < len(flat) else None
        else:
            exact = [b for b in flat if b["text"] == button]
            partial = [b for b in flat if str(button) in b["text"]]
            chosen = (exact or partial or [None])[0]
        if chosen is None:
            raise NoSuchButton(f"no button {button!r}; buttons are {message.button_labels}")
        return await self._press(message, chosen["callback_data"])

    async def _press(self, message: BotMessage, data: str) -> list[BotMessage]:
        self._last_query_id = uuid.uuid4().hex
        return await self._round_trip(
            self.api.push_callback(self.user, message, data, self._last_query_id)
        )

    async def press_data(
        self, callback_data: str, message: BotMessage | None = None
    ) -> list[BotMessage]:
        """Send a button press with arbitrary data, as a modified client could, or a press on an
        older ``message`` (which a real client still shows, buttons and all)."""
        return await self._press(message or self.message_with_buttons(), callback_data)

    def message_with_buttons(self) -> BotMessage:
        for message in reversed(self.api.chat_messages(self.user.id)):
            if message.buttons:
                return message
        raise NoSuchButton("no message with buttons in this chat")

    @property
    def last(self) -> BotMessage:
        if not self.replies:
            raise AssertionError("the bot sent nothing in reply")
        return self.replies[-1]

    @property
    def last_text(self) -> str:
        return self.last.text

    @property
    def text(self) -> str:
        """Everything the bot sent in reply to the last action, joined."""
        return "\n".join(m.text for m in self.replies)

    def callback_answer(self) -> dict[str, Any] | None:
        """What the bot answered to this user's newest button press (a toast or an alert)."""
        if self._last_query_id is None:
            return None
        return self.api.callback_answers.get(self._last_query_id)


@asynccontextmanager
async def polling(application: Application[Any, Any, Any, Any, Any, Any]) -> AsyncIterator[None]:
    """Run the Application the way ``run_polling`` does, but inside an existing event loop.

    ``async with application`` alone skips ``post_init`` and ``post_shutdown``, where the bot
    starts and closes its services; this calls them in the same order as PTB's runner.
    """
    await application.initialize()
    try:
        if application.post_init:
            await application.post_init(application)
        assert application.updater is not None
        await application.updater.start_polling(poll_interval=0, timeout=1)
        await application.start()
        try:
            yield
        finally:
            await application.updater.stop()
            await application.stop()
            if application.post_stop:
                await application.post_stop(application)
    finally:
        await application.shutdown()
        if application.post_shutdown:
            await application.post_shutdown(application)
