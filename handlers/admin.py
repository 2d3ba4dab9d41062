"""Admin work in the chat: invite codes and portfolio import."""

from __future__ import annotations

import uuid
from pathlib import Path

from telegram import Update
from telegram.constants import ChatAction

from assistant.db.models import Role
from assistant.errors import AccessDenied, InvalidInput
from assistant.importer import render_report
from handlers.callbacks import ImportDecision
from handlers.common import (
    edit_or_say,
    keyboard,
    remember_choices,
    say,
    stop_awaiting,
)
from handlers.context import BotContext
from handlers.reading import cancel_correction
from handlers.report import cancel_report_input
from handlers.session import PendingImport
from handlers.visit import ask_to_discard

IMPORT_SUFFIXES = (".csv", ".xlsx")
ROLE_WORDS = {
    "officer": Role.OFFICER,
    "客户经理": Role.OFFICER,
    "supervisor": Role.SUPERVISOR,
    "主管": Role.SUPERVISOR,
    "admin": Role.ADMIN,
    "管理员": Role.ADMIN,
}


async def invite(update: Update, context: BotContext) -> None:
    """``/invite ROLE [STAFF_NO] [SUPERVISOR_STAFF_NO]``."""
    assert context.viewer is not None
    if not context.viewer.is_admin:
        await say(update, context, "error.access_denied")
        return
    args = context.args or []
    role = ROLE_WORDS.get(args[0].lower()) if args else None
    if role is None:
        await say(update, context, "invite.usage")
        return
    try:
        issued = await context.services.access.create_invite(
            context.viewer,
            role,
            args[1] if len(args) > 1 else None,
            args[2] if len(args) > 2 else None,
        )
    except (InvalidInput, AccessDenied) as exc:
        await say(update, context, exc.key, **exc.params)
        return
    link = f"https://t.me/{context.bot.username}?start={issued.code}"
    await say(
        update,
        context,
        "invite.created",
        invite=issued,
        link=link,
        expires=issued.expires_at,
    )


def _import_buttons(context: BotContext) -> list[list[tuple[str, str]]]:
    return [
        [
            (context.text("importing.button_confirm"), ImportDecision(True).encode()),
            (context.text("importing.button_cancel"), ImportDecision(False).encode()),
        ]
    ]


async def receive_document(update: Update, context: BotContext) -> None:
    """An admin sends a CSV or XLSX file: check it and show what would change."""
    assert context.viewer is not None
    assert update.message is not None
    document = update.message.document
    assert document is not None
    if not context.viewer.is_admin:
        await say(update, context, "importing.admins_only")
        return
    filename = document.file_name or "upload"
    suffix = Path(filename).suffix.lower()
    if suffix not in IMPORT_SUFFIXES:
        await say(update, context, "importing.unsupported_file", filename=filename)
        return
    limit = context.services.settings.import_max_bytes
    if document.file_size and document.file_size > limit:
        await say(update, context, "importing.file_too_large", size=document.file_size, limit=limit)
        return
    progress = await say(update, context, "importing.checking", filename=filename)
    await context.bot.send_chat_action(update.effective_chat.id, ChatAction.TYPING)
    path = context.services.uploads_dir / f"import-{uuid.uuid4().hex}{suffix}"
    telegram_file = await document.get_file()
    await telegram_file.download_to_drive(path)
    report = await context.services.importer.preview(path, filename=filename)
    text = render_report(report, context.services.texts, context.lang, html=True)
    if not report.ok:
        path.unlink(missing_ok=True)
        await edit_or_say(update, context, progress, text)
        return
    _drop_pending(context)
    context.user_data.pending_import = PendingImport(str(path), filename)
    rows = _import_buttons(context)
    remember_choices(context, rows)
    await edit_or_say(update, context, progress, text, keyboard(rows))


async def import_decision(update: Update, context: BotContext) -> None:
    query = update.callback_query
    assert query is not None
    assert query.data is not None
    assert context.viewer is not None
    await query.answer()
    stop_awaiting(context)
    pending, context.user_data.pending_import = context.user_data.pending_import, None
    if query.message is not None:
        await query.edit_message_reply_markup(None)
    if not context.viewer.is_admin:
        await say(update, context, "importing.admins_only")
        return
    if pending is None:
        await say(update, context, "importing.nothing_pending")
        return
    path = Path(pending.path)
    if not ImportDecision.parse(query.data).confirm:
        path.unlink(missing_ok=True)
        await say(update, context, "importing.cancelled")
        return
    if not path.exists():
        await say(update, context, "importing.nothing_pending")
        return
    progress = await say(update, context, "importing.applying", filename=pending.filename)
    report = await context.services.importer.apply(
        path, actor_officer_id=context.viewer.officer_id, filename=pending.filename
    )
    path.unlink(missing_ok=True)
    await edit_or_say(
        update,
        context,
        progress,
        render_report(report, context.services.texts, context.lang, html=True),
    )


def _drop_pending(context: BotContext) -> bool:
    pending, context.user_data.pending_import = context.user_data.pending_import, None
    if pending is not None:
        Path(pending.path).unlink(missing_ok=True)
    return pending is not None


async def cancel(update: Update, context: BotContext) -> None:
    """/cancel: drop whatever is waiting for a decision (nothing already saved is touched); with
    nothing waiting, during a visit, offer to discard the visit (one started by mistake)."""
    dropped = [
        _drop_pending(context),
        stop_awaiting(context),
        cancel_report_input(context),
        cancel_correction(context),
    ]
    if any(dropped):
        await say(update, context, "cancel.done")
    elif not await ask_to_discard(update, context):
        await say(update, context, "cancel.nothing")
