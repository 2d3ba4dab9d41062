"""/help, /lang, and the replies to commands and texts the bot does not know."""

from __future__ import annotations

from telegram import Update

from handlers.ask import ask_free_text
from handlers.common import awaited_buttons, keyboard, offer_choices, say, stop_awaiting
from handlers.context import BotContext
from handlers.report import report_text
from handlers.visit import visit_text

LANG_CHOICES = (("中文", "lang:zh"), ("English", "lang:en"))


async def show_help(update: Update, context: BotContext) -> None:
    assert context.viewer is not None
    await say(update, context, "help.text", role=context.viewer.role.value)


async def choose_language(update: Update, context: BotContext) -> None:
    if context.args and context.args[0].lower() in ("zh", "en"):
        await _set_language(update, context, context.args[0].lower())
        return
    await offer_choices(update, context, "lang.choose", [LANG_CHOICES])


async def language_chosen(update: Update, context: BotContext) -> None:
    query = update.callback_query
    assert query is not None
    assert query.data is not None
    await query.answer()
    stop_awaiting(context)
    await _set_language(update, context, query.data.removeprefix("lang:"))


async def _set_language(update: Update, context: BotContext, lang: str) -> None:
    assert context.viewer is not None
    context.viewer = await context.services.access.set_language(
        context.viewer, "en" if lang == "en" else "zh"
    )
    await say(update, context, "lang.set")


async def unknown_command(update: Update, context: BotContext) -> None:
    await say(update, context, "fallback.unknown_command")


async def text_outside_a_step(update: Update, context: BotContext) -> None:
    """Text the report asked for goes there; text when a button was expected gets the same
    buttons again; a visit's answer goes to the visit; any other text is a question for the
    knowledge base."""
    if await report_text(update, context):
        return
    rows = awaited_buttons(context)
    if rows:
        await say(update, context, "fallback.press_a_button", markup=keyboard(rows))
        return
    if await visit_text(update, context):
        return
    await ask_free_text(update, context)


async def unexpected_message(update: Update, context: BotContext) -> None:
    await say(update, context, "fallback.unsupported")
