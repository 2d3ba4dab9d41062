"""Runs before every other handler: only registered officers get past it."""

from __future__ import annotations

import re

from telegram import Update
from telegram.ext import ApplicationHandlerStop

from handlers.callbacks import VisitAction
from handlers.common import say
from handlers.context import BotContext
from handlers.session import Activity

STEP_BUTTON = re.compile(VisitAction.STEP_PATTERN)


async def admit_registered(update: Update, context: BotContext) -> None:
    """Identify the sender; a stranger is refused once, politely, and then ignored.

    The one exception is ``/start CODE``, which is how a stranger becomes an officer.
    """
    user = update.effective_user
    if user is None or user.is_bot:
        raise ApplicationHandlerStop
    context.telegram_language = user.language_code
    access = context.services.access
    if _a_visit_step(update, context) and (known := access.known(user.id)) is not None:
        # The step reads the officer again in its own transaction (refused if no longer
        # active): a second read here would only repeat it.
        context.viewer = known
        return
    context.viewer = await access.viewer(user.id)
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


def _a_visit_step(update: Update, context: BotContext) -> bool:
    """An answer typed at the open visit, the check-in's location, a photo or document for it,
    or a tap on one of a visit step's buttons: the updates whose handling starts with a step of
    :class:`VisitService`, which reads the officer again, and nothing before it."""
    query = update.callback_query
    if query is not None:
        return bool(query.data and STEP_BUTTON.match(query.data))
    message = update.message
    if message is None or context.user_data.activity() is not Activity.VISIT:
        return False
    if message.location is not None or message.photo or message.document is not None:
        return True  # the check-in, or a file for the visit (read with the visit first)
    return bool(message.text and not message.text.startswith("/"))


def _is_start_with_code(text: str) -> bool:
    parts = text.split()
    return len(parts) == 2 and parts[0].split("@")[0] == "/start"
