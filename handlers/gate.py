"""Runs before every other handler: only registered officers get past it."""

from __future__ import annotations

from telegram import Update
from telegram.ext import ApplicationHandlerStop

from handlers.common import say
from handlers.context import BotContext


async def admit_registered(update: Update, context: BotContext) -> None:
    """Identify the sender; a stranger is refused once, politely, and then ignored.

    The one exception is ``/start CODE``, which is how a stranger becomes an officer.
    """
    user = update.effective_user
    if user is None or user.is_bot:
        raise ApplicationHandlerStop
    context.telegram_language = user.language_code
    context.viewer = await context.services.access.viewer(user.id)
    if context.viewer is not None:
        return
    message = update.message
    if message is not None and message.text and _is_start_with_code(message.text):
        return
    if update.callback_query is not None:
        await update.callback_query.answer(context.text("access.refused_short"), show_alert=True)
    elif message is not None and await context.services.access.first_refusal(user.id):
        await say(update, context, "access.refused")
    raise ApplicationHandlerStop


def _is_start_with_code(text: str) -> bool:
    parts = text.split()
    return len(parts) == 2 and parts[0].split("@")[0] == "/start"
