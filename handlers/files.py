"""Photos and documents: evidence during a visit; otherwise a portfolio import (admins)."""

from __future__ import annotations

from telegram import Update

from handlers.admin import receive_document
from handlers.context import BotContext
from handlers.general import unexpected_message
from handlers.visit import active_visit, visit_file


async def file_received(update: Update, context: BotContext) -> None:
    visit_id = await active_visit(context)
    if visit_id is not None:
        await visit_file(update, context, visit_id)
    elif update.message is not None and update.message.document is not None:
        await receive_document(update, context)
    else:
        await unexpected_message(update, context)
