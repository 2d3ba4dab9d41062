"""Voice notes during a visit.

A voice note is kept with the visit. With a speech-to-text endpoint it is transcribed, read as the
answer to the current question and offered with a ✓ button
(:class:`~handlers.callbacks.VoiceConfirm`); it is recorded only when the officer taps it, and only
if the question it was heard for is still the current one.
"""

from __future__ import annotations

from telegram import Update

from assistant.errors import AssistantError
from assistant.risk import display
from assistant.speech import SpeechFailed
from assistant.visits.answers import parse_spoken
from handlers.callbacks import BadButton, VoiceConfirm
from handlers.common import keyboard, say
from handlers.context import BotContext
from handlers.session import VoiceAnswer
from handlers.visit import active_visit, after_answer


async def voice_received(update: Update, context: BotContext) -> None:
    """A voice note: kept with the open visit; with speech-to-text, offered as the answer."""
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
        value, words = parse_spoken(item, transcript, services.today())
    except AssistantError as exc:
        reason = context.text(exc.key, **{"answer": transcript, **exc.params})
        await say(update, context, "voice.unreadable", transcript=transcript, reason=reason)
        return
    context.user_data.voice_answer = VoiceAnswer(visit_id, view.token, words)
    shown = (display.answer(item, value) or display.text(transcript)).get(context.lang)
    await say(
        update,
        context,
        "voice.heard",
        markup=keyboard(
            [[(context.text("voice.button_confirm"), VoiceConfirm(visit_id, view.token).encode())]]
        ),
        transcript=transcript,
        shown=shown,
        view=view,
    )


async def voice_confirmed(update: Update, context: BotContext) -> None:
    """``vo:<visit>:<stop token>``: record the transcript as the answer, if the question it was
    heard for is still the current one."""
    query = update.callback_query
    assert query is not None
    assert query.data is not None
    assert context.viewer is not None
    await query.answer()
    waiting = context.user_data.voice_answer
    services = context.services
    try:
        button = VoiceConfirm.parse(query.data)
        if waiting is None or (waiting.visit_id, waiting.token) != (button.visit_id, button.token):
            raise BadButton("another voice note")
        view = await services.visits.view(context.viewer, button.visit_id, today=services.today())
        if view.token != button.token:
            raise BadButton("moved on")
        view = await services.visits.answer(
            context.viewer,
            button.visit_id,
            waiting.text,
            today=services.today(),
            stop_id=view.stop.id,
        )
    except (AssistantError, BadButton):
        context.user_data.voice_answer = None
        await say(update, context, "voice.expired")
        return
    context.user_data.voice_answer = None
    await query.edit_message_reply_markup(None)
    await after_answer(update, context, view)
