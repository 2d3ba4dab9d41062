"""Replying: render a message template in the user's language and send it safely."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import urlencode

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    Message,
    Update,
    WebAppInfo,
)
from telegram.constants import MessageLimit, ParseMode

from handlers.context import BotContext

# Telegram counts the visible text; keep a margin for the HTML tags that do not show.
CHUNK = MessageLimit.MAX_TEXT_LENGTH - 200
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)


def split_message(text: str, limit: int = CHUNK) -> list[str]:
    """Split at line breaks so that no HTML tag is cut in half (templates close tags per line)."""
    if len(text) <= limit:
        return [text]
    chunks: list[str] = []
    current = ""
    for line in text.split("\n"):
        while len(line) > limit:
            # A single line longer than a message: cut it on a space if possible.
            cut = line.rfind(" ", 0, limit)
            cut = cut if cut > limit // 2 else limit
            if current:
                chunks.append(current)
                current = ""
            chunks.append(line[:cut])
            line = line[cut:].lstrip()
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit:
            chunks.append(current)
            current = line
        else:
            current = candidate
    if current:
        chunks.append(current)
    return chunks


def keyboard(rows: Sequence[Sequence[tuple[str, str]]]) -> InlineKeyboardMarkup:
    """Inline buttons from ``(label, callback_data)`` rows."""
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(label, callback_data=data) for label, data in row] for row in rows]
    )


def page_button(context: BotContext, label: str, **page: int) -> InlineKeyboardButton | None:
    """A button that opens the Mini App at ``page`` (``report=12``, ``team=1``), or ``None``
    where there is no Mini App (polling and console mode): the chat carries on alone."""
    base = context.services.webapp_url
    if base is None:
        return None
    return InlineKeyboardButton(label, web_app=WebAppInfo(f"{base}?{urlencode(page)}"))


def chat_id_of(update: Update, context: BotContext) -> int:
    """The chat to answer in: the update's own, or the user's private chat (a button pressed
    on a message the bot sent elsewhere has none of its own)."""
    chat_id = update.effective_chat.id if update.effective_chat else context.user_id
    assert chat_id is not None
    return chat_id


async def send_html(
    update: Update, context: BotContext, text: str, markup: InlineKeyboardMarkup | None = None
) -> Message:
    """Send already-rendered HTML; long texts go out in parts, buttons on the last part."""
    chat_id = chat_id_of(update, context)
    parts = split_message(text)
    message: Message | None = None
    for index, part in enumerate(parts):
        message = await context.bot.send_message(
            chat_id=chat_id,
            text=part,
            parse_mode=ParseMode.HTML,
            reply_markup=markup if index == len(parts) - 1 else None,
            link_preview_options=NO_PREVIEW,
        )
    assert message is not None
    return message


async def say(
    update: Update,
    context: BotContext,
    key: str,
    markup: InlineKeyboardMarkup | None = None,
    **params: Any,
) -> Message:
    """Render the message ``key`` in the user's language and send it."""
    return await send_html(update, context, context.text(key, **params), markup)


async def edit_or_say(
    update: Update,
    context: BotContext,
    message: Message | None,
    text: str,
    markup: InlineKeyboardMarkup | None = None,
) -> Message:
    """Replace a progress message with the result, or send the result if it is too long."""
    if message is not None and len(text) <= CHUNK:
        edited = await message.edit_text(
            text, parse_mode=ParseMode.HTML, reply_markup=markup, link_preview_options=NO_PREVIEW
        )
        return edited if isinstance(edited, Message) else message
    return await send_html(update, context, text, markup)


async def offer_choices(
    update: Update,
    context: BotContext,
    key: str,
    rows: Sequence[Sequence[tuple[str, str]]],
    **params: Any,
) -> Message:
    """Send a message with buttons and remember them, so that a typed reply gets them again."""
    remember_choices(context, rows)
    return await say(update, context, key, markup=keyboard(rows), **params)


def remember_choices(context: BotContext, rows: Sequence[Sequence[tuple[str, str]]]) -> None:
    context.user_data.buttons = [[(label, data) for label, data in row] for row in rows]


def stop_awaiting(context: BotContext) -> bool:
    """Forget the buttons offered; whether there were any."""
    had = bool(context.user_data.buttons)
    context.user_data.buttons = None
    return had


async def repeat_buttons(update: Update, context: BotContext) -> bool:
    """Typed text where a tap was expected: the same buttons again, nothing lost."""
    await say(
        update, context, "fallback.press_a_button", markup=keyboard(context.user_data.buttons or [])
    )
    return True
