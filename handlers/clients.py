"""/clients and /client CODE: the portfolio as the viewer is allowed to see it."""

from __future__ import annotations

from telegram import Update

from assistant.errors import NotFound
from handlers.callbacks import BadButton, ClientsPage, OpenClient
from handlers.common import keyboard, say
from handlers.context import BotContext

PAGE_SIZE = 8


async def list_clients(update: Update, context: BotContext, page: int = 1) -> None:
    assert context.viewer is not None
    if context.args and context.args[0].isdigit():
        page = int(context.args[0])
    result = await context.services.portfolio.list_clients(
        context.viewer, page=page, page_size=PAGE_SIZE
    )
    if result.total == 0:
        await say(update, context, "clients.empty", role=context.viewer.role.value)
        return
    rows = [[(f"{row.code} {row.name}"[:60], OpenClient(row.code).encode())] for row in result.rows]
    nav = []
    if result.page > 1:
        nav.append((context.text("clients.prev"), ClientsPage(result.page - 1).encode()))
    if result.page < result.pages:
        nav.append((context.text("clients.next"), ClientsPage(result.page + 1).encode()))
    if nav:
        rows.append(nav)
    await say(
        update,
        context,
        "clients.list",
        markup=keyboard(rows),
        page=result,
        show_officer=context.viewer.role.value != "officer",
    )


async def clients_page(update: Update, context: BotContext) -> None:
    query = update.callback_query
    assert query is not None
    assert query.data is not None
    await query.answer()
    try:
        page = ClientsPage.parse(query.data).page
    except BadButton:
        page = 1
    await list_clients(update, context, page=page)


async def show_client(update: Update, context: BotContext) -> None:
    if not context.args:
        await say(update, context, "client.usage")
        return
    await _client_card(update, context, context.args[0])


async def client_pressed(update: Update, context: BotContext) -> None:
    query = update.callback_query
    assert query is not None
    assert query.data is not None
    await query.answer()
    try:
        code = OpenClient.parse(query.data).client_code
    except BadButton:
        await say(update, context, "error.not_found")
        return
    await _client_card(update, context, code)


async def _client_card(update: Update, context: BotContext, code: str) -> None:
    assert context.viewer is not None
    try:
        card = await context.services.portfolio.client_card(
            context.viewer, code, today=context.services.today()
        )
    except NotFound as exc:
        await say(update, context, exc.key, **exc.params)
        return
    # Questions asked from now on are about this client ("what should I check for him?").
    context.user_data.client_code = card.code
    await say(update, context, "client.card", card=card)
