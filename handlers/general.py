"""/help, /lang, and the replies to commands and texts the bot does not know."""

from __future__ import annotations

from telegram import Update

from handlers.callbacks import BadButton, ChooseLanguage
from handlers.common import offer_choices, say, stop_awaiting
from handlers.context import BotContext

LANG_CHOICES = (
    ("中文", ChooseLanguage("zh").encode()),
    ("English", ChooseLanguage("en").encode()),
)


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
    try:
        lang = ChooseLanguage.parse(query.data).lang
    except BadButton:
        return
    await _set_language(update, context, lang)


async def _set_language(update: Update, context: BotContext, lang: str) -> None:
    assert context.viewer is not None
    context.viewer = await context.services.access.set_language(
        context.viewer, "en" if lang == "en" else "zh"
    )
    await say(update, context, "lang.set")


async def unknown_command(update: Update, context: BotContext) -> None:
    await say(update, context, "fallback.unknown_command")


async def unexpected_message(update: Update, context: BotContext) -> None:
    await say(update, context, "fallback.unsupported")
