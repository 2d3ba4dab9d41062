"""Questions to the knowledge base: /ask, and any free text outside a guided step."""

from __future__ import annotations

from telegram import Update
from telegram.constants import ChatAction

from assistant.errors import NotFound
from assistant.i18n import Lang
from assistant.knowledge.answering import entry_token, render_answer
from assistant.knowledge.entries import KnowledgeError
from assistant.knowledge.index import KnowledgeUnavailable
from assistant.portfolio import ClientCard
from assistant.visits.focus import Check
from handlers.callbacks import BadButton, MoreAnswer
from handlers.common import edit_or_say, keyboard, say, send_html
from handlers.context import BotContext


async def ask_command(update: Update, context: BotContext) -> None:
    await _answer(update, context, " ".join(context.args or []))


async def ask_free_text(update: Update, context: BotContext) -> bool:
    """Typed text that is nothing else: a question for the knowledge base."""
    assert update.message is not None
    await _answer(update, context, update.message.text or "")
    return True


async def _current_client(context: BotContext) -> ClientCard | None:
    """The client the officer last opened, if they may still see it."""
    code = context.user_data.client_code
    if not code or context.viewer is None:
        return None
    try:
        return await context.services.portfolio.client_card(
            context.viewer, code, today=context.services.today(), audit=False
        )
    except NotFound:
        context.user_data.client_code = None
        return None


async def _answer(update: Update, context: BotContext, question: str) -> None:
    services = context.services
    # A knowledge base whose start could not reach the vector store tries again on this question.
    if not (services.knowledge.ready or services.knowledge.store_down):
        services.metrics.answer_unavailable()
        await say(update, context, "knowledge.not_ready", seconds=services.knowledge.seconds_left())
        return
    assert update.effective_chat is not None
    await context.bot.send_chat_action(update.effective_chat.id, ChatAction.TYPING)
    client = await _current_client(context)
    viewer = context.viewer

    async def client_checks() -> list[Check]:
        # The same list as /prep's brief; the card above was already access-checked.
        assert client is not None
        assert viewer is not None
        return await services.visits.checks(viewer, client.code, today=services.today())

    try:
        # Only the answer service is timed: the typing action and the reply are Telegram's time.
        with services.metrics.time_answer() as timing:
            answer = await services.answers.answer(
                question, lang=context.lang, client=client, client_checks=client_checks
            )
            timing.outcome = "answered" if answer.grounded else "refused"
    except KnowledgeUnavailable as exc:
        # The Chroma server is down: say so plainly; visits and everything else carry on.
        await say(update, context, exc.key)
        return
    markup = None
    if answer.more:
        tokens = tuple(entry_token(section.id) for section in answer.sections)
        label = services.texts.plain(answer.lang, "knowledge.more_button")
        markup = keyboard([[(label, MoreAnswer(answer.lang, tokens).encode())]])
    await send_html(update, context, render_answer(answer, services.texts, html=True), markup)


async def more_pressed(update: Update, context: BotContext) -> None:
    """展开 / More under an answer: the whole entries it was drawn from."""
    query = update.callback_query
    assert query is not None
    assert query.data is not None
    await query.answer()
    try:
        button = MoreAnswer.parse(query.data)
    except BadButton:
        await say(update, context, "visit.stale")
        return
    lang: Lang = "en" if button.lang == "en" else "zh"
    sections = context.services.answers.full(button.tokens, lang)
    if not sections:
        await say(update, context, "knowledge.more_gone")
        return
    await send_html(
        update, context, context.services.texts.render(lang, "knowledge.full", sections=sections)
    )


async def reindex(update: Update, context: BotContext) -> None:
    """/reindex (admins): reload the knowledge files without a restart."""
    assert context.viewer is not None
    if not context.viewer.is_admin:
        await say(update, context, "knowledge.admins_only")
        return
    progress = await say(update, context, "knowledge.reloading")
    try:
        report = await context.services.knowledge.load()
    except KnowledgeError as exc:
        await edit_or_say(update, context, progress, context.text(exc.key, **exc.params))
        return
    await edit_or_say(
        update,
        context,
        progress,
        context.text(
            "knowledge.reloaded", report=report, total=len(context.services.knowledge.entries)
        ),
    )
