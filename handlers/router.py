"""Where a typed message goes: one table, read from the user's session.

A typed message can be many things: the text a report asked for, a reply where a tap was
expected, the officer's own value for a read field, the answer to the visit's current question,
or a question for the knowledge base. The session says which (:meth:`Session.activity`); this
module is the only place that decides, and :data:`ROUTES` is the whole decision.

A handler returns ``False`` when it finds its part of the session stale (a visit finished
elsewhere) and has cleared it; the text then goes where the session now says. A database that
cannot be reached is not "stale": it is raised to the error handler, the session is left as it
was, and the officer sends the same text again.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from types import MappingProxyType

from telegram import Update

from handlers.ask import ask_free_text
from handlers.common import repeat_buttons
from handlers.context import BotContext
from handlers.reading import correction_text
from handlers.report import report_text
from handlers.session import Activity
from handlers.visit import recover_visit, visit_text

TextHandler = Callable[[Update, BotContext], Awaitable[bool]]

ROUTES: Mapping[Activity, TextHandler] = MappingProxyType(
    {
        Activity.REPORT_INPUT: report_text,
        Activity.CHOOSING: repeat_buttons,
        Activity.CORRECTION: correction_text,
        Activity.VISIT: visit_text,
        Activity.NOTHING: ask_free_text,
    }
)


async def route_text(update: Update, context: BotContext) -> None:
    """Send a typed message where the session says it belongs."""
    session = context.user_data
    if session.activity() is Activity.NOTHING:
        # A visit whose note in the session was lost with a crash still gets its answers.
        await recover_visit(context)
    for _ in Activity:
        if await ROUTES[session.activity()](update, context):
            return
