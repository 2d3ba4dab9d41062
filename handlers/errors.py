"""The one error handler: log for the operators, apologise to the user, keep their progress."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import TelegramError

from assistant.errors import DatabaseUnavailable
from handlers.common import say
from handlers.context import BotContext

log = logging.getLogger(__name__)


def _message_for(error: BaseException | None) -> str:
    """A database that went away mid-update (a restart, a failover, connections killed) gets
    its own message: nothing half-done was kept, so sending the same thing again is safe."""
    if isinstance(error, DatabaseUnavailable):
        return "error.database_busy"
    return "error.unexpected"


async def on_error(update: object, context: BotContext) -> None:
    # Only ids go to the log: update text can hold customer names, amounts and addresses.
    update_id = update.update_id if isinstance(update, Update) else None
    log.error("update %s failed", update_id, exc_info=context.error)
    # PTB sends a failed job here too, with the job in the context and no update.
    context.services.metrics.error("job" if context.job is not None else "handler")
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    if context.viewer is None and update.effective_user is not None:
        context.telegram_language = update.effective_user.language_code
    try:
        await say(update, context, _message_for(context.error))
    except TelegramError:
        log.warning("could not tell the user about the failure of update %s", update_id)
