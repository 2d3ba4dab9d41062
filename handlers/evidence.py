"""Reading filed documents and voice answers during a visit.

A photo filed under a category that reads a document is acknowledged at once; the OCR runs in
the background and its fields follow in a second message, each with a ✓ (confirm) and a ✏️
(correct) button. A voice note is transcribed when a speech-to-text endpoint is configured and
offered as the answer to the current question, recorded only when the officer taps ✓.
"""

from __future__ import annotations

import asyncio
import logging

from telegram import Update

from assistant.errors import AssistantError
from assistant.evidence.service import ReadingView
from assistant.risk import display
from assistant.speech import SpeechFailed
from handlers.common import keyboard, parse_id, say
from handlers.context import BotContext
from handlers.report import notify_alerts

log = logging.getLogger(__name__)

BACKGROUND = "background_tasks"
CORRECTING = "ocr_correcting"
VOICE_ANSWER = "voice_answer"
# Problems after which no field is worth showing: the officer is told what to do instead.
UNREADABLE = ("blank", "timeout", "failed", "not_an_image", "busy")
BUTTONS_PER_ROW = 2


def _rows(context: BotContext, reading: ReadingView) -> list[list[tuple[str, str]]]:
    if reading.problem == "wrong_category":
        return [
            [
                (
                    context.text("ocr.button.move", title=move.title.get(context.lang)[:40]),
                    f"om:{reading.id}:{move.id}",
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
            row.append((context.text("ocr.button.confirm", n=n), f"oc:{reading.id}:{field.name}"))
            if field.name != "large_items":
                row.append((context.text("ocr.button.edit", n=n), f"oe:{reading.id}:{field.name}"))
        rows.append(row)
    if len(pending) > 1:
        rows.append([(context.text("ocr.button.confirm_all"), f"oa:{reading.id}")])
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
    """``oc:<reading>:<field>`` confirms one field, ``oa:<reading>`` all of them,
    ``oe:<reading>:<field>`` asks for the officer's own value, ``om:<reading>:<category>``
    moves a wrongly filed document and reads it again."""
    query = update.callback_query
    assert query is not None
    assert query.data is not None
    assert context.viewer is not None
    await query.answer()
    action, reading_id, *rest = query.data.split(":", 2)
    readings = context.services.readings
    try:
        number = parse_id(reading_id)
        if action == "oe":
            view = await readings.view(context.viewer, number)
            if not rest or rest[0] not in {f.name for f in view.fields}:
                raise ValueError("no such field")
            context.user_data[CORRECTING] = [number, rest[0]]
            await say(update, context, "ocr.correct_prompt", field=rest[0])
            return
        if action == "om":
            view = await readings.view(context.viewer, number)
            move = next(m for m in view.moves if rest and m.id == rest[0])
            await context.services.evidence.retag(context.viewer, view.evidence_id, move.id)
            await query.edit_message_reply_markup(None)
            await say(update, context, "ocr.moved", title=move.title.get(context.lang))
            await start_reading(update, context, view.evidence_id, quiet=True)
            return
        # "oc:<reading>" without a field (a modified client) names no field.
        field = (rest or [""])[0] if action == "oc" else None
        view = await readings.confirm(context.viewer, number, field)
    except (AssistantError, ValueError, StopIteration) as exc:
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
    """The value typed after ✏️; ``False`` when no correction is waiting."""
    waiting = context.user_data.get(CORRECTING)
    if waiting is None or update.message is None or context.viewer is None:
        return False
    reading_id, field = waiting
    services = context.services
    try:
        view = await services.readings.correct(
            context.viewer, reading_id, field, update.message.text or "", today=services.today()
        )
    except AssistantError as exc:
        # Asked again; the reading keeps what it had.
        await say(update, context, exc.key, **exc.params)
        if exc.key.startswith("ocr.correct."):
            return True
        context.user_data.pop(CORRECTING, None)
        return True
    context.user_data.pop(CORRECTING, None)
    chat = update.effective_chat
    assert chat is not None
    await send_reading(context, chat.id, view)
    await notify_alerts(context, view.alerts)
    return True


def cancel_correction(context: BotContext) -> bool:
    return context.user_data.pop(CORRECTING, None) is not None


async def voice_received(update: Update, context: BotContext) -> None:
    """A voice note: kept with the open visit; with speech-to-text, offered as the answer."""
    from handlers.visit import active_visit

    message = update.message
    assert message is not None
    assert context.viewer is not None
    visit_id = await active_visit(context)
    if visit_id is None:
        await say(update, context, "voice.outside_visit")
        return
    services = context.services
    audio = message.voice or message.audio
    assert audio is not None
    try:
        view = await services.visits.view(context.viewer, visit_id, today=services.today())
        content = bytes(await (await audio.get_file()).download_as_bytearray())
        await services.evidence.save(
            context.viewer,
            visit_id,
            content,
            kind="voice",
            category=view.stop.item.id if view.stop.item is not None else None,
            file_name=getattr(audio, "file_name", None) or "voice.ogg",
            mime_type=audio.mime_type or "audio/ogg",
            file_unique_id=audio.file_unique_id,
        )
    except AssistantError as exc:
        await say(update, context, exc.key, **exc.params)
        return
    item = view.stop.item
    if item is None:
        await say(update, context, "voice.kept_no_question")
        return
    if services.transcriber is None:
        await say(update, context, "voice.kept")
        return
    try:
        transcript = await services.transcriber.transcribe(content)
    except SpeechFailed as exc:
        await say(update, context, exc.key)
        return
    try:
        value, words = services.visits.parse_spoken(item, transcript, services.today())
    except AssistantError as exc:
        reason = context.text(exc.key, **{"answer": transcript, **exc.params})
        await say(update, context, "voice.unreadable", transcript=transcript, reason=reason)
        return
    context.user_data[VOICE_ANSWER] = {"visit": visit_id, "token": view.token, "text": words}
    shown = (display.answer(item, value) or display.text(transcript)).get(context.lang)
    await say(
        update,
        context,
        "voice.heard",
        markup=keyboard([[(context.text("voice.button_confirm"), f"vo:{visit_id}:{view.token}")]]),
        transcript=transcript,
        shown=shown,
        view=view,
    )


async def voice_confirmed(update: Update, context: BotContext) -> None:
    """``vo:<visit>:<stop token>``: record the transcript as the answer, if the question it was
    heard for is still the current one."""
    from handlers.visit import after_answer

    query = update.callback_query
    assert query is not None
    assert query.data is not None
    assert context.viewer is not None
    await query.answer()
    waiting = context.user_data.get(VOICE_ANSWER)
    _, visit_id, token = query.data.split(":", 2)
    services = context.services
    try:
        if waiting is None or str(waiting["visit"]) != visit_id or waiting["token"] != token:
            raise ValueError("another voice note")
        view = await services.visits.view(
            context.viewer, parse_id(visit_id), today=services.today()
        )
        if view.token != token:
            raise ValueError("moved on")
        view = await services.visits.answer(
            context.viewer,
            parse_id(visit_id),
            waiting["text"],
            today=services.today(),
            stop_id=view.stop.id,
        )
    except (AssistantError, ValueError):
        context.user_data.pop(VOICE_ANSWER, None)
        await say(update, context, "voice.expired")
        return
    context.user_data.pop(VOICE_ANSWER, None)
    await query.edit_message_reply_markup(None)
    await after_answer(update, context, view)


async def resume_readings(context: BotContext) -> None:
    """After a restart: finish the readings a stop left pending and send each officer theirs."""
    services = context.services
    for reading_id, telegram_id in await services.readings.pending():
        viewer = await services.access.viewer(telegram_id)
        if viewer is None:
            continue
        context.viewer = viewer
        await _read_in_background(context, reading_id, telegram_id)
