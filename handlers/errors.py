"""The one error handler: log for the operators, apologise to the user, keep their progress."""

from __future__ import annotations

import logging
import traceback

from telegram import Update
from telegram.error import NetworkError, RetryAfter, TelegramError

from assistant.errors import AccessDenied, DatabaseUnavailable
from handlers.common import say
from handlers.context import BotContext

log = logging.getLogger(__name__)


def _message_for(error: BaseException | None) -> str:
    """A database that went away mid-update (a restart, a failover, connections killed) gets
    its own message: nothing half-done was kept, so sending the same thing again is safe."""
    if isinstance(error, DatabaseUnavailable):
        return "error.database_busy"
    if isinstance(error, AccessDenied):
        # An officer deactivated while a visit was open (the step reads them again).
        return error.key
    if isinstance(error, NetworkError | RetryAfter):
        # A reply that may or may not have reached the user (handlers/retrying.py does not send
        # it twice): repeating the last message could answer the next question with it.
        return "error.network"
    return "error.unexpected"


def _kinds(error: BaseException | None) -> str:
    """The exception and its causes by type only: messages quote input (Python's own do:
    "invalid literal for int() with base 10: '张三…'"), and input is customer data."""
    kinds = []
    while error is not None and len(kinds) < 5:
        kinds.append(type(error).__name__)
        error = error.__cause__ or error.__context__
    return " ← ".join(kinds) or "unknown"


def _where(error: BaseException | None) -> str:
    """Where it happened: file, line and function of each frame, without the source lines
    (a line can hold a literal) or the message."""
    if error is None:
        return ""
    return "\n".join(
        f'  File "{frame.filename}", line {frame.lineno}, in {frame.name}'
        for frame in traceback.extract_tb(error.__traceback__)
    )


async def on_error(update: object, context: BotContext) -> None:
    # Only ids go to the log: update text can hold customer names, amounts and addresses.
    update_id = update.update_id if isinstance(update, Update) else None
    log.error("update %s failed (%s)\n%s", update_id, _kinds(context.error), _where(context.error))
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
