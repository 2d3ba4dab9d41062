"""Reading filed documents during a visit.

A photo filed under a category that reads a document is acknowledged at once; the OCR runs in
the background and its fields follow in a second message, each with a ✓ (confirm) and a ✏️
(correct) button (:class:`~handlers.callbacks.ReadingAction`). The value typed after ✏️ reaches
:func:`correction_text` through the router.
"""

from __future__ import annotations

import asyncio
import logging

from telegram import Update

from assistant.errors import AssistantError
from assistant.readings import ReadingView
from handlers.callbacks import BadButton, ReadingAction
from handlers.common import keyboard, say
from handlers.context import BotContext
from handlers.report import notify_alerts
from handlers.session import Correction

log = logging.getLogger(__name__)

BACKGROUND = "background_tasks"
# Problems after which no field is worth showing: the officer is told what to do instead.
UNREADABLE = ("blank", "timeout", "failed", "not_an_image", "busy")
BUTTONS_PER_ROW = 2


def _rows(context: BotContext, reading: ReadingView) -> list[list[tuple[str, str]]]:
    if reading.problem == "wrong_category":
        return [
            [
                (
                    context.text("ocr.button.move", title=move.title.get(context.lang)[:40]),
                    ReadingAction("om", reading.id, move.id).encode(),
                )
            ]
            for move in reading.moves
        ]
    rows: list[list[tuple[str, str]]] = []
    pending = reading.unconfirmed
    for start in range(0, len(pending), BUTTONS_PER_ROW):
        row: list[tuple[str, str]] = []
        for field in pending[start : start + BUTTONS_PER_ROW]:
            n = field.index + 1
            confirm = ReadingAction("oc", reading.id, field.name).encode()
            row.append((context.text("ocr.button.confirm", n=n), confirm))
            if field.name != "large_items":
                edit = ReadingAction("oe", reading.id, field.name).encode()
                row.append((context.text("ocr.button.edit", n=n), edit))
        rows.append(row)
    if len(pending) > 1:
        confirm_all = ReadingAction("oa", reading.id).encode()
        rows.append([(context.text("ocr.button.confirm_all"), confirm_all)])
    return rows


def _text(context: BotContext, reading: ReadingView) -> str:
    title = reading.category_title.get(context.lang)
    if reading.problem in UNREADABLE:
        return context.text(f"ocr.problem.{reading.problem}", title=title, reading=reading)
    if reading.problem == "wrong_category":
        return context.text("ocr.problem.wrong_category", reading=reading)
    result = context.text("ocr.result", reading=reading)
    if reading.problem == "blurred":
        return f"{context.text('ocr.problem.blurred')}\n\n{result}"
    return result


async def send_reading(context: BotContext, chat_id: int, reading: ReadingView) -> None:
    rows = _rows(context, reading)
    await context.bot.send_message(
        chat_id,
        _text(context, reading),
        parse_mode="HTML",
        reply_markup=keyboard(rows) if rows else None,
    )


async def start_reading(
    update: Update, context: BotContext, evidence_id: int, *, quiet: bool = False
) -> bool:
    """Acknowledge and read a file just filed under a reading category; ``False`` when there
    is nothing to read. ``quiet`` leaves the acknowledgement out (an album sends one)."""
    assert context.viewer is not None
    readings = context.services.readings
    try:
        pending = await readings.begin(context.viewer, evidence_id)
    except AssistantError as exc:
        await say(update, context, exc.key, **exc.params)
        return False
    if pending is None:
        return False
    chat = update.effective_chat
    assert chat is not None
    if not quiet:
        await say(update, context, "ocr.reading", title=pending.title.get(context.lang))
    task = context.application.create_task(
        _read_in_background(context, pending.id, chat.id), update=update
    )
    # Kept where the console (and tests) can wait for results that follow the acknowledgement.
    running: set[asyncio.Task[None]] = context.bot_data.setdefault(BACKGROUND, set())
    running.add(task)
    task.add_done_callback(running.discard)
    return True


async def _read_in_background(context: BotContext, reading_id: int, chat_id: int) -> None:
    assert context.viewer is not None
    try:
        reading = await context.services.readings.run(context.viewer, reading_id)
    except AssistantError as exc:
        await context.bot.send_message(
            chat_id, context.text(exc.key, **exc.params), parse_mode="HTML"
        )
        return
    await send_reading(context, chat_id, reading)


async def reading_pressed(update: Update, context: BotContext) -> None:
    """Confirm one field or all, ask for the officer's own value, or move a wrongly filed
    document and read it again."""
    query = update.callback_query
    assert query is not None
    assert query.data is not None
    assert context.viewer is not None
    await query.answer()
    readings = context.services.readings
    try:
        button = ReadingAction.parse(query.data)
        if button.verb == "oe":
            view = await readings.view(context.viewer, button.reading_id)
            if button.arg not in {f.name for f in view.fields}:
                raise BadButton("no such field")
            context.user_data.correction = Correction(button.reading_id, button.arg)
            await say(update, context, "ocr.correct_prompt", field=button.arg)
            return
        if button.verb == "om":
            view = await readings.view(context.viewer, button.reading_id)
            move = next(m for m in view.moves if button.arg and m.id == button.arg)
            await context.services.evidence.retag(context.viewer, view.evidence_id, move.id)
            await query.edit_message_reply_markup(None)
            await say(update, context, "ocr.moved", title=move.title.get(context.lang))
            await start_reading(update, context, view.evidence_id, quiet=True)
            return
        # "oc:<reading>" without a field (a modified client) names no field.
        field = button.arg if button.verb == "oc" else None
        view = await readings.confirm(context.viewer, button.reading_id, field)
    except (AssistantError, BadButton, StopIteration) as exc:
        key = exc.key if isinstance(exc, AssistantError) else "ocr.not_found"
        await say(update, context, key, **getattr(exc, "params", {}))
        return
    await query.edit_message_text(
        _text(context, view),
        parse_mode="HTML",
        reply_markup=keyboard(_rows(context, view)) if view.unconfirmed else None,
    )
    await notify_alerts(context, view.alerts)


async def correction_text(update: Update, context: BotContext) -> bool:
    """The value typed after ✏️. A value that does not fit the field is explained and still
    awaited; the reading keeps what it had."""
    waiting = context.user_data.correction
    assert waiting is not None
    assert update.message is not None
    assert context.viewer is not None
    services = context.services
    try:
        view = await services.readings.correct(
            context.viewer,
            waiting.reading_id,
            waiting.field,
            update.message.text or "",
            today=services.today(),
        )
    except AssistantError as exc:
        await say(update, context, exc.key, **exc.params)
        if not exc.key.startswith("ocr.correct."):
            context.user_data.correction = None
        return True
    context.user_data.correction = None
    chat = update.effective_chat
    assert chat is not None
    await send_reading(context, chat.id, view)
    await notify_alerts(context, view.alerts)
    return True


def cancel_correction(context: BotContext) -> bool:
    had = context.user_data.correction is not None
    context.user_data.correction = None
    return had


async def resume_readings(context: BotContext) -> None:
    """After a restart: finish the readings a stop left pending and send each officer theirs."""
    services = context.services
    for unfinished in await services.readings.pending():
        viewer = await services.access.viewer(unfinished.telegram_id)
        if viewer is None:
            continue
        context.viewer = viewer
        await _read_in_background(context, unfinished.reading_id, unfinished.telegram_id)
