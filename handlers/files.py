"""Photos and documents: evidence during a visit; otherwise a portfolio import (admins)."""

from __future__ import annotations

from telegram import Update

from handlers import admin, general, visit
from handlers.context import BotContext


async def file_received(update: Update, context: BotContext) -> None:
    visit_id = await visit.active_visit(context)
    if visit_id is not None:
        await visit.visit_file(update, context, visit_id)
    elif update.message is not None and update.message.document is not None:
        await admin.receive_document(update, context)
    else:
        await general.unexpected_message(update, context)
