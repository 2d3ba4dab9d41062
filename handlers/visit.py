"""/visit CLIENT: the guided visit in the chat.

Every button carries the visit id and a token of the stop it was shown for, so a press on an old
message, or a second press, is recognised as stale instead of being recorded twice. The visit the
officer is on is kept in ``user_data`` (persisted in the database), so after a restart a typed
answer still goes to the right question.
"""

from __future__ import annotations

from typing import Any

from telegram import Update

from assistant.errors import AssistantError
from assistant.visits.checklist import AnswerType
from assistant.visits.service import CHECKIN, DOCUMENTS, FINISH, PHOTOS, VisitView
from handlers.ask import ask_free_text
from handlers.common import keyboard, say
from handlers.context import BotContext

ACTIVE_VISIT = "active_visit"
QUESTION_ENDINGS = ("?", "？")


def _data(view: VisitView, action: str, value: str = "") -> str:
    return f"v:{view.visit_id}:{view.token}:{action}:{value}"


def _buttons(context: BotContext, view: VisitView) -> list[list[tuple[str, str]]]:
    lang = context.lang
    stop = view.stop
    rows: list[list[tuple[str, str]]] = []
    if stop.precheck is not None:
        rows += [[(r.label.get(lang), _data(view, "c", r.id))] for r in stop.precheck.results]
    elif stop.item is not None:
        item = stop.item
        if item.type is AnswerType.YES_NO:
            rows.append(
                [
                    (context.text("visit.button.yes"), _data(view, "c", "yes")),
                    (context.text("visit.button.no"), _data(view, "c", "no")),
                ]
            )
        elif item.type is AnswerType.CHOICE:
            rows += [[(o.label.get(lang), _data(view, "c", o.id))] for o in item.options]
        rows += [[(q.label.get(lang), _data(view, "c", f"{q.value:g}"))] for q in item.quick]
    if stop.id in (DOCUMENTS, PHOTOS):
        rows.append([(context.text("visit.button.continue"), _data(view, "s"))])
    if stop.id == FINISH:
        rows.append([(context.text("visit.button.complete"), _data(view, "f"))])
    navigation = [(context.text("visit.button.back"), _data(view, "b"))]
    if stop.item is not None or stop.id == CHECKIN:
        navigation.insert(0, (context.text("visit.button.skip"), _data(view, "s")))
    if stop.item is not None:
        navigation.insert(1, (context.text("visit.button.not_applicable"), _data(view, "n")))
    rows.append(navigation)
    rows.append(
        [
            (context.text("visit.button.sections"), _data(view, "j")),
            (context.text("visit.button.pause"), _data(view, "p")),
        ]
    )
    return rows


async def show_stop(update: Update, context: BotContext, view: VisitView, **extra: Any) -> None:
    context.user_data[ACTIVE_VISIT] = view.visit_id
    key = (
        f"visit.stop.{view.stop.kind}"
        if view.stop.kind in ("precheck", "item")
        else f"visit.stop.{view.stop.id}"
    )
    params = {"started": False, "returning": False, "summary": None, **extra}
    await say(update, context, key, markup=keyboard(_buttons(context, view)), view=view, **params)


async def start_visit(update: Update, context: BotContext) -> None:
    """``/visit CODE`` starts or resumes; ``/visit`` alone lists the open visits."""
    assert context.viewer is not None
    visits = context.services.visits
    if not context.args:
        open_visits = await visits.open_visits(context.viewer)
        rows = [
            [(f"{code} {name}"[:60], f"vr:{visit_id}")] for visit_id, code, name, _ in open_visits
        ]
        await say(
            update,
            context,
            "visit.usage",
            markup=keyboard(rows) if rows else None,
            open_visits=open_visits,
        )
        return
    try:
        view = await visits.start(context.viewer, context.args[0], today=context.services.today())
    except AssistantError as exc:
        await say(update, context, exc.key, **exc.params)
        return
    await show_stop(update, context, view, started=True)


async def resume_pressed(update: Update, context: BotContext) -> None:
    query = update.callback_query
    assert query is not None
    assert query.data is not None
    assert context.viewer is not None
    await query.answer()
    try:
        view = await context.services.visits.view(
            context.viewer, int(query.data.removeprefix("vr:")), today=context.services.today()
        )
        view = await context.services.visits.start(
            context.viewer, view.client.code, today=context.services.today()
        )
    except (AssistantError, ValueError) as exc:
        await say(update, context, getattr(exc, "key", "visit.stale"))
        return
    await show_stop(update, context, view, started=True)


async def visit_button(update: Update, context: BotContext) -> None:
    """Any button on a visit step: ``v:<visit>:<stop token>:<action>:<value>``."""
    query = update.callback_query
    assert query is not None
    assert query.data is not None
    assert context.viewer is not None
    await query.answer()
    _, visit_id_text, token, action, value = (query.data.split(":", 4) + [""] * 5)[:5]
    visits, today = context.services.visits, context.services.today()
    viewer = context.viewer
    try:
        visit_id = int(visit_id_text)
        match action:
            case "c":
                view = await visits.choose(viewer, visit_id, token, value, today=today)
            case "s":
                view = await visits.skip(viewer, visit_id, token, today=today)
            case "n":
                view = await visits.skip(viewer, visit_id, token, today=today, not_applicable=True)
            case "b":
                view = await visits.back(viewer, visit_id, token, today=today)
            case "p":
                view = await visits.pause(viewer, visit_id, today=today)
                context.user_data.pop(ACTIVE_VISIT, None)
                await say(update, context, "visit.paused", view=view)
                return
            case "j":
                view = await visits.view(viewer, visit_id, today=today)
                rows = [
                    [(g.title.get(context.lang), _data(view, "g", str(i)))]
                    for i, g in enumerate(visits.sections(view))
                ]
                await say(update, context, "visit.sections", markup=keyboard(rows))
                return
            case "g":
                view = await visits.view(viewer, visit_id, today=today)
                group = visits.sections(view)[int(value)]
                view = await visits.jump(viewer, visit_id, group.id, today=today)
            case "f":
                summary = await visits.complete(viewer, visit_id, today=today)
                context.user_data.pop(ACTIVE_VISIT, None)
                await say(update, context, "visit.completed", summary=summary)
                return
            case _:
                raise ValueError(action)
    except AssistantError as exc:
        await say(update, context, exc.key, **exc.params)
        return
    except (ValueError, IndexError):
        await say(update, context, "visit.stale")
        return
    await _after_move(update, context, view)


async def _after_move(update: Update, context: BotContext, view: VisitView) -> None:
    if view.stop.id == FINISH:
        summary = await context.services.visits.summary(
            context.viewer, view.visit_id, today=context.services.today()
        )  # type: ignore[arg-type]
        await show_stop(update, context, view, summary=summary)
        return
    await show_stop(update, context, view)


async def visit_text(update: Update, context: BotContext) -> bool:
    """A typed message while a visit is open: the answer to the current question, or a
    question for the knowledge base (then the same step is shown again). ``False`` when no
    visit is active, so the caller treats the text as usual."""
    visit_id = context.user_data.get(ACTIVE_VISIT)
    if visit_id is None or context.viewer is None or update.message is None:
        return False
    text = update.message.text or ""
    visits, today = context.services.visits, context.services.today()
    try:
        view = await visits.view(context.viewer, visit_id, today=today)
    except AssistantError:
        context.user_data.pop(ACTIVE_VISIT, None)
        return False
    if view.stop.item is None or text.strip().endswith(QUESTION_ENDINGS):
        await ask_free_text(update, context)
        await show_stop(update, context, view, returning=True)
        return True
    try:
        view = await visits.answer(context.viewer, visit_id, text, today=today)
    except AssistantError as exc:
        # The question is asked again right under the reason; nothing was recorded.
        await say(update, context, exc.key, **exc.params)
        await show_stop(update, context, view)
        return True
    await _after_move(update, context, view)
    return True


async def visit_location(update: Update, context: BotContext) -> None:
    """A shared location: the check-in when the visit is at that step."""
    assert update.message is not None
    assert update.message.location is not None
    visit_id = context.user_data.get(ACTIVE_VISIT)
    if visit_id is None or context.viewer is None:
        await say(update, context, "visit.location_outside")
        return
    visits, today = context.services.visits, context.services.today()
    try:
        view = await visits.view(context.viewer, visit_id, today=today)
        position = await context.services.portfolio.coordinates(context.viewer, view.client.code)
        location = update.message.location
        view = await visits.check_in(
            context.viewer,
            visit_id,
            location.latitude,
            location.longitude,
            today=today,
            client_position=position,
        )
    except AssistantError as exc:
        await say(
            update,
            context,
            "visit.location_outside" if exc.key == "visit.stale" else exc.key,
            **exc.params,
        )
        return
    await say(update, context, "visit.checked_in", view=view)
    await _after_move(update, context, view)
