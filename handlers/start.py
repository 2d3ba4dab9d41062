"""/start: the welcome for officers, and joining with an invite code."""

from __future__ import annotations

from telegram import Update

from assistant.errors import InviteInvalid
from assistant.i18n import language_from_code
from handlers.common import say
from handlers.context import BotContext


async def start(update: Update, context: BotContext) -> None:
    user = update.effective_user
    assert user is not None
    code = context.args[0] if context.args else None
    if context.viewer is None and code:
        try:
            context.viewer = await context.services.access.join(
                user.id, code, user.full_name, language_from_code(user.language_code)
            )
        except InviteInvalid as exc:
            await say(update, context, exc.key, **exc.params)
            return
        await say(
            update,
            context,
            "start.joined",
            name=context.viewer.name,
            role=context.viewer.role.value,
        )
        return
    if context.viewer is None:
        return
    if code:
        await say(update, context, "invite.already_registered")
        return
    await say(
        update, context, "start.welcome", name=context.viewer.name, role=context.viewer.role.value
    )
