"""/visit CLIENT: the guided visit in the chat.

Every button carries the visit id and a token of the stop it was shown for
(:class:`~handlers.callbacks.VisitAction`), so a press on an old message, or a second press, is
recognised as stale instead of being recorded twice. The visit the officer is on is kept in their
session (persisted in the database), so after a restart a typed answer still goes to the right
question.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from telegram import Update

from assistant.data.checklist import AnswerType
from assistant.data.vocabulary import FULL, SHORT
from assistant.db.models import COMPLETING_LATER, VisitStatus
from assistant.errors import AssistantError, NotFound
from assistant.i18n import PHONE_SCREEN_LINES, phone_lines
from assistant.visits.answers import (
    named_evidence,
)
from assistant.visits.model import (
    CHECKIN,
    DOCUMENTS,
    FINISH,
    PHOTOS,
    Additions,
    Debrief,
    VisitView,
    stop_token,
)
from handlers.ask import ask_command, ask_free_text
from handlers.callbacks import (
    AlbumCategory,
    BadButton,
    FileCategory,
    OpenReport,
    ReopenVisit,
    ResumeVisit,
    StartPrechecks,
    VisitAction,
)
from handlers.common import keyboard, say, send_html
from handlers.context import BotContext
from handlers.reading import start_reading
from handlers.report import deliver_submission, notify_alerts
from handlers.session import Fixing

# Stops other than questions that ⏭ (or 继续) moves past.


def _data(view: VisitView, action: str, value: str = "") -> str:
    return VisitAction(view.visit_id, view.token, action, value).encode()


def _explained(view: VisitView) -> bool:
    """Whether the step has an explanation that may go behind ℹ 说明: a look-up's what to check
    and what to note, or a question's hint."""
    check, item = view.stop.precheck, view.stop.item
    if check is not None:
        return check.hint is not None or check.note is not None
    return item is not None and item.hint is not None


def _buttons(
    context: BotContext, view: VisitView, *, more: bool = False
) -> list[list[tuple[str, str]]]:
    """The step's answer buttons, then its navigation in one row (a phone shows it whole)."""
    lang = context.lang
    stop = view.stop
    rows: list[list[tuple[str, str]]] = []
    if stop.precheck is not None:
        if view.prechecks_left > 1:
            label = context.text("visit.button.all_clear", n=view.prechecks_left)
            rows.append([(label, _data(view, "a"))])
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
        if view.all_of is not None:
            label = context.text("visit.button.all_of", n=f"{view.all_of:g}")
            rows.append([(label, _data(view, "c", f"{view.all_of:g}"))])
        if view.usual:
            label = context.text("visit.button.usual", n=len(view.usual))
            rows.append([(label, _data(view, "u", str(len(view.usual))))])
    if stop.id in (DOCUMENTS, PHOTOS):
        rows.append([(context.text("visit.button.continue"), _data(view, "s"))])
    if stop.id == FINISH:
        rows.append([(context.text("visit.button.complete"), _data(view, "f"))])
        rows.append([(context.text("visit.button.later"), _data(view, "l"))])
    navigation = []
    if stop.item is not None or stop.id == CHECKIN:
        navigation.append((context.text("visit.button.skip"), _data(view, "s")))
    if stop.item is not None:
        navigation.append((context.text("visit.button.not_applicable"), _data(view, "n")))
    navigation += [
        (context.text("visit.button.back"), _data(view, "b")),
        (context.text("visit.button.sections"), _data(view, "j")),
        (context.text("visit.button.pause"), _data(view, "p")),
    ]
    if more:
        navigation.append((context.text("visit.button.more"), _data(view, "h")))
    rows.append(navigation)
    return rows


def _continue_row(context: BotContext, view: VisitView) -> list[list[tuple[str, str]]]:
    """继续 ▶ under a reply at the documents or photos step: after a few photos the step's own
    message is far up the chat, and the way on belongs on the newest message."""
    if view.stop.id not in (DOCUMENTS, PHOTOS):
        return []
    return [[(context.text("visit.button.continue"), _data(view, "s"))]]


async def show_stop(update: Update, context: BotContext, view: VisitView, **extra: Any) -> None:
    context.user_data.visit_id = view.visit_id
    if view.stop.id == FINISH and extra.get("summary") is None:
        # The summary step lists what is answered and missing, however it is reached (resumed,
        # or shown again under a mid-visit question).
        assert context.viewer is not None
        extra["summary"] = await context.services.visits.summary(
            context.viewer, view.visit_id, today=context.services.today()
        )
    key = (
        f"visit.stop.{view.stop.kind}"
        if view.stop.kind in ("precheck", "item")
        else f"visit.stop.{view.stop.id}"
    )
    params = {"started": False, "returning": False, "summary": None, **extra}
    text = context.text(key, view=view, brief=False, **params)
    more = _explained(view) and phone_lines(text) > PHONE_SCREEN_LINES
    if more:
        # Too long for a phone's screen: the explanation waits behind ℹ 说明.
        text = context.text(key, view=view, brief=True, **params)
    while phone_lines(text) > PHONE_SCREEN_LINES and view.usual:
        # Then the run of usual answers offered in one tap grows shorter (the button says how
        # many it records, and records just those the officer read).
        view = replace(view, usual=view.usual[:-1] if len(view.usual) > 2 else ())
        text = context.text(key, view=view, brief=more, **params)
    await send_html(update, context, text, keyboard(_buttons(context, view, more=more)))


async def start_visit(update: Update, context: BotContext) -> None:
    """``/visit CODE`` starts or resumes; ``/visit`` alone lists the open visits."""
    assert context.viewer is not None
    visits = context.services.visits
    if not context.args:
        open_visits = await visits.open_visits(context.viewer)
        rows = [
            [(f"{v.client_code} {v.client_name}"[:60], ResumeVisit(v.visit_id).encode())]
            for v in open_visits
        ]
        await say(
            update,
            context,
            "visit.usage",
            markup=keyboard(rows) if rows else None,
            open_visits=open_visits,
        )
        return
    # "/visit C1001 新" starts a new visit even while the last one's report is returned.
    fresh = len(context.args) > 1 and context.args[1].strip().lower() in NEW_VISIT_WORDS
    await open_visit(update, context, context.args[0], fresh=fresh)


NEW_VISIT_WORDS = ("新", "new")


async def open_visit(
    update: Update, context: BotContext, code: str, *, fresh: bool = False
) -> None:
    """Start or resume the visit to ``code`` and show where it stands; a visit completed later
    (待补充, or reopened after a return) first says what it lacks."""
    assert context.viewer is not None
    visits, today = context.services.visits, context.services.today()
    try:
        view = await visits.start(context.viewer, code, today=today, fresh=fresh)
        if view.status in COMPLETING_LATER:
            additions = await visits.additions(context.viewer, view.visit_id, today=today)
            await show_additions(update, context, additions)
            return
    except AssistantError as exc:
        await say(update, context, exc.key, **exc.params)
        return
    await show_stop(update, context, view, started=True)


async def show_additions(update: Update, context: BotContext, additions: Additions) -> None:
    """What a visit completed later lacks (and what the supervisor asked for), then its first
    gap."""
    await say(update, context, "visit.additions", additions=additions)
    await show_stop(update, context, additions.summary.view, summary=None)


async def reopen_pressed(update: Update, context: BotContext) -> None:
    """「补充」 under a returned report: the same visit, reopened for additions."""
    query = update.callback_query
    assert query is not None
    assert query.data is not None
    assert context.viewer is not None
    await query.answer()
    try:
        button = ReopenVisit.parse(query.data)
        additions = await context.services.visits.reopen(
            context.viewer, button.visit_id, today=context.services.today()
        )
    except BadButton:
        await say(update, context, "visit.stale")
        return
    except AssistantError as exc:
        await say(update, context, exc.key, **exc.params)
        return
    await show_additions(update, context, additions)


async def later_command(update: Update, context: BotContext) -> None:
    """``/later``: leave the client; the visit on hand stays 待补充, to complete later."""
    visit_id = await active_visit(context)
    if visit_id is None or context.viewer is None:
        await say(update, context, "visit.later_none")
        return
    await _leave(update, context, visit_id)


async def _leave(update: Update, context: BotContext, visit_id: int) -> None:
    assert context.viewer is not None
    try:
        summary = await context.services.visits.finish_later(
            context.viewer, visit_id, today=context.services.today()
        )
    except AssistantError as exc:
        context.user_data.leave_visit()
        await say(update, context, exc.key, **exc.params)
        return
    context.user_data.leave_visit()
    await say(update, context, "visit.later_done", summary=summary)


async def resume_pressed(update: Update, context: BotContext) -> None:
    query = update.callback_query
    assert query is not None
    assert query.data is not None
    assert context.viewer is not None
    await query.answer()
    try:
        button = ResumeVisit.parse(query.data)
        view = await context.services.visits.view(
            context.viewer, button.visit_id, today=context.services.today()
        )
    except (AssistantError, BadButton):
        await say(update, context, "visit.stale")
        return
    await open_visit(update, context, view.client.code)


async def visit_button(update: Update, context: BotContext) -> None:
    """Any button on a visit step: ``v:<visit>:<stop token>:<action>:<value>``."""
    query = update.callback_query
    assert query is not None
    assert query.data is not None
    assert context.viewer is not None
    await query.answer()
    visits, today = context.services.visits, context.services.today()
    viewer = context.viewer
    try:
        button = VisitAction.parse(query.data)
        visit_id, token, value = button.visit_id, button.token, button.value
        match button.action:
            case "c":
                view = await visits.choose(viewer, visit_id, token, value, today=today)
            case "a":
                view = await visits.all_clear(viewer, visit_id, token, today=today)
            case "u":
                view = await visits.usual(viewer, visit_id, token, int(value), today=today)
            case "s":
                view = await visits.skip(viewer, visit_id, token, today=today)
            case "n":
                view = await visits.skip(viewer, visit_id, token, today=today, not_applicable=True)
            case "b":
                view = await visits.back(viewer, visit_id, token, today=today)
            case "p":
                view = await visits.pause(viewer, visit_id, today=today)
                context.user_data.leave_visit()
                await say(update, context, "visit.paused", view=view)
                return
            case "j":
                view = await visits.view(viewer, visit_id, today=today)
                rows = [
                    [(g.title.get(context.lang), _data(view, "g", str(i)))]
                    for i, g in enumerate(visits.sections(view))
                ]
                if view.can_switch:
                    other = FULL if view.depth == SHORT else SHORT
                    label = context.text(f"visit.button.to_{other}")
                    rows.append([(label, _data(view, "d", other))])
                await say(update, context, "visit.sections", markup=keyboard(rows), view=view)
                return
            case "d":
                view = await visits.switch_depth(viewer, visit_id, value, today=today)
                await say(update, context, "visit.depth_switched", view=view)
            case "g":
                view = await visits.view(viewer, visit_id, today=today)
                group = visits.sections(view)[int(value)]
                view = await visits.jump(viewer, visit_id, group.id, today=today)
            case "f":
                await _finish(update, context, visit_id, anyway=value == "anyway")
                return
            case "l":
                await _leave(update, context, visit_id)
                return
            case "x":
                view = await visits.discard(viewer, visit_id, today=today)
                context.user_data.leave_visit()
                await say(update, context, "visit.discard_done", view=view)
                return
            case "k":
                view = await visits.view(viewer, visit_id, today=today)
            case "e":
                view = await visits.correct(viewer, visit_id, value, today=today)
                context.user_data.fixing = Fixing(visit_id, token)
            case "h":
                # The explanation, with the step's buttons under it: the result is tapped there.
                view = await visits.view(viewer, visit_id, today=today)
                if view.token != token or not _explained(view):
                    await say(update, context, "visit.stale")
                    return
                markup = keyboard(_buttons(context, view, more=False))
                await say(update, context, "visit.more", markup=markup, view=view)
                return
            case _:
                raise BadButton(button.action)
    except AssistantError as exc:
        await say(update, context, exc.key, **exc.params)
        return
    except (ValueError, IndexError):
        await say(update, context, "visit.stale")
        return
    await after_answer(update, context, view)


async def _finish(update: Update, context: BotContext, visit_id: int, *, anyway: bool) -> None:
    """Submit the visit; with required answers or documents missing, list them and ask first."""
    assert context.viewer is not None
    visits, today = context.services.visits, context.services.today()
    summary = await visits.summary(context.viewer, visit_id, today=today)
    if summary.contradictions:
        # Never submitted with both sides: the officer puts one of them right first.
        involved = list(
            dict.fromkeys(item for _, items in summary.contradictions for item in items)
        )
        rows = [
            [
                (
                    context.text("visit.button.fix", prompt=item.label.get(context.lang)),
                    _data(summary.view, "e", stop_token(f"item:{item.id}")),
                )
            ]
            for item in involved
        ]
        await say(update, context, "visit.contradictions", markup=keyboard(rows), summary=summary)
        return
    if not anyway and (summary.required_gaps or summary.missing_evidence):
        rows = [
            [(context.text("visit.button.submit_anyway"), _data(summary.view, "f", "anyway"))],
            [(context.text("visit.button.go_fill"), _data(summary.view, "j"))],
            [(context.text("visit.button.later"), _data(summary.view, "l"))],
        ]
        markup = keyboard(rows)
        await say(update, context, "visit.confirm_incomplete", markup=markup, summary=summary)
        return
    if summary.view.status is VisitStatus.REOPENED:
        # The additions are done: the same report goes back to the supervisor, a new version.
        progress = await say(update, context, "report.submitting")
        try:
            submission = await context.services.reports.resubmit_visit(
                context.viewer, visit_id, context.lang
            )
        finally:
            await progress.delete()
        context.user_data.leave_visit()
        await deliver_submission(update, context, submission)
        return
    summary = await visits.complete(context.viewer, visit_id, today=today)
    context.user_data.leave_visit()
    draft = OpenReport(summary.view.visit_id).encode()
    await say(
        update,
        context,
        "visit.completed",
        markup=keyboard([[(context.text("report.button.draft"), draft)]]),
        summary=summary,
    )


async def ask_to_discard(update: Update, context: BotContext) -> bool:
    """/cancel during a visit: offer to throw the visit away (a visit started by mistake). False
    when the officer is on no visit."""
    visit_id = await active_visit(context)
    if visit_id is None or context.viewer is None:
        return False
    try:
        view = await context.services.visits.view(
            context.viewer, visit_id, today=context.services.today()
        )
    except AssistantError:
        return False
    if view.status is VisitStatus.REOPENED:
        # Its report is on record; /cancel leaves the additions for now, /later says so.
        return False
    rows = [
        [(context.text("visit.button.discard"), _data(view, "x"))],
        [(context.text("visit.button.keep"), _data(view, "k"))],
    ]
    await say(update, context, "visit.discard_ask", markup=keyboard(rows), view=view)
    return True


async def after_answer(update: Update, context: BotContext, view: VisitView) -> None:
    fixing = context.user_data.fixing
    if fixing is not None and fixing.visit_id == view.visit_id and view.recorded is not None:
        # The corrected answer is in: back to where the officer was when the list came.
        context.user_data.fixing = None
        assert context.viewer is not None
        back = await context.services.visits.return_to(
            context.viewer, view.visit_id, fixing.back_to, today=context.services.today()
        )
        view = replace(back, recorded=view.recorded, alerts=view.alerts)
    if view.alerts:
        # A critical finding reaches the supervisor now, not when the report is submitted.
        await notify_alerts(context, view.alerts)
        await say(update, context, "alerts.raised", alerts=view.alerts)
    await show_stop(update, context, view)


async def recover_visit(context: BotContext) -> None:
    """Put the officer's visit back in the session if that note was lost with a crash before it
    was saved: their only visit still open (not paused) in the database."""
    session = context.user_data
    if session.visit_id is not None or context.viewer is None:
        return
    still_open = [
        v for v in await context.services.visits.open_visits(context.viewer) if not v.paused
    ]
    if len(still_open) == 1:
        session.visit_id = still_open[0].visit_id


async def active_visit(context: BotContext) -> int | None:
    """The visit the officer is on (see :func:`recover_visit`)."""
    await recover_visit(context)
    return context.user_data.visit_id


async def visit_text(update: Update, context: BotContext) -> bool:
    """A typed message while a visit is open: the answer to the current question, or a
    question for the knowledge base (then the same step is shown again).

    ``False`` when the visit is gone (finished elsewhere, or no longer the officer's): the
    session leaves it, and the router sends the text where the session now says. A database
    that cannot be reached is not that: it goes to the error handler, and the visit stays.
    """
    visit_id = context.user_data.visit_id
    assert visit_id is not None
    assert update.message is not None
    assert context.viewer is not None
    text = update.message.text or ""
    visits, today = context.services.visits, context.services.today()
    try:
        typed = await visits.typed(context.viewer, visit_id, text, today=today)
        if typed.kind == "paragraph":
            try:
                debrief = await visits.debrief(
                    context.viewer,
                    visit_id,
                    text,
                    today=today,
                    lang=context.lang,
                    stop_id=typed.view.token,
                )
            except AssistantError:
                debrief = None  # taken as one answer below, which meets the same trouble
            if debrief is not None:
                await show_debrief(update, context, debrief)
                return True
            typed = await visits.typed(
                context.viewer, visit_id, text, today=today, paragraphs=False
            )
    except NotFound:
        context.user_data.leave_visit()
        # The step never got to read the officer again (the gate may have let a known viewer
        # through for it): whatever takes the text instead reads them first.
        assert update.effective_user is not None
        context.viewer = await context.services.access.viewer(update.effective_user.id)
        if context.viewer is None:
            await say(update, context, "error.access_denied")
            return True
        return False
    view = typed.view
    if typed.kind == "recorded":
        await after_answer(update, context, view)
    elif typed.kind == "question":
        return await _ask_and_return(update, context, view)
    elif typed.kind == "refused":
        assert typed.error is not None
        await say(update, context, typed.error.key, **typed.error.params)
    else:
        # The reason right above the question asked again; nothing was recorded.
        if typed.error is not None:
            await say(update, context, typed.error.key, **typed.error.params)
        else:
            # Check-in wants a location, documents and photos want files, the rest a tap.
            kind = view.stop.kind
            expects = kind in ("checkin", "documents", "photos")
            await say(
                update, context, f"visit.expects.{kind}" if expects else "visit.not_a_question"
            )
        await show_stop(update, context, view)
    return True


async def show_debrief(update: Update, context: BotContext, debrief: Debrief) -> None:
    """What a paragraph filled, numbered, with ✓ to go on and a ✎ per question to put right."""
    view = debrief.view
    context.user_data.visit_id = view.visit_id
    filled = [item for item, _ in debrief.recorded] + [item for item, _, _ in debrief.kept]
    fixes = [
        (f"✎ {n}", _data(view, "e", stop_token(f"item:{item.id}")))
        for n, item in enumerate(filled, start=1)
    ]
    rows = [[(context.text("visit.button.debrief_ok"), _data(view, "k"))]]
    rows += [fixes[i : i + 4] for i in range(0, len(fixes), 4)]
    await say(update, context, "visit.debrief", markup=keyboard(rows), debrief=debrief)


async def _ask_and_return(update: Update, context: BotContext, view: VisitView) -> bool:
    await ask_free_text(update, context)
    await show_stop(update, context, view, returning=True)
    return True


async def visit_location(update: Update, context: BotContext) -> None:
    """A shared location: the check-in when the visit is at that step."""
    assert update.message is not None
    assert update.message.location is not None
    visit_id = await active_visit(context)
    if visit_id is None or context.viewer is None:
        await say(update, context, "visit.location_outside")
        return
    visits, today = context.services.visits, context.services.today()
    location = update.message.location
    try:
        view = await visits.check_in(
            context.viewer, visit_id, location.latitude, location.longitude, today=today
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
    await after_answer(update, context, view)


def _file_category_rows(
    context: BotContext, view: VisitView, evidence_id: int
) -> list[list[tuple[str, str]]]:
    return [
        [(need.title.get(context.lang)[:40], FileCategory(evidence_id, i).encode())]
        for i, need in enumerate(view.evidence)
    ]


async def visit_file(update: Update, context: BotContext, visit_id: int) -> None:
    """A photo or document during a visit: stored against the current step, with buttons to
    say which document or photo category it is when that step collects several."""
    message = update.message
    assert message is not None
    assert context.viewer is not None
    services = context.services
    source = message.document or (message.photo[-1] if message.photo else None)
    assert source is not None
    kind = "document" if message.document else "photo"
    size = getattr(source, "file_size", None) or 0
    if size > services.evidence.max_bytes:
        await say(
            update,
            context,
            "visit.evidence.too_large",
            limit_mb=services.evidence.max_bytes // 2**20,
        )
        return
    try:
        view = await services.visits.view(context.viewer, visit_id, today=services.today())
        # "营业执照" or "门头" as the caption says which one it is: filed without asking.
        named = named_evidence(message.caption, view.evidence)
        if named is not None:
            category: str | None = named.id
        else:
            category = view.stop.item.id if view.stop.item is not None else None
        telegram_file = await source.get_file()
        content = bytes(await telegram_file.download_as_bytearray())
        saved = await services.evidence.save(
            context.viewer,
            visit_id,
            content,
            kind=kind,
            category=category,
            file_name=message.document.file_name if message.document else None,
            mime_type=message.document.mime_type if message.document else "image/jpeg",
            file_unique_id=source.file_unique_id,
            media_group_id=message.media_group_id,
        )
    except AssistantError as exc:
        await say(update, context, exc.key, **exc.params)
        return
    if message.media_group_id:
        _collect_album(
            context,
            view,
            message.media_group_id,
            saved.duplicate is not None,
            message.chat_id,
            context.viewer.telegram_id,
        )
        return
    reads = services.readings.reads(saved.category)
    ask = bool(view.evidence) and named is None and not reads
    rows = _file_category_rows(context, view, saved.id) if ask else []
    rows += _continue_row(context, view)
    await say(
        update,
        context,
        "visit.evidence.saved",
        markup=keyboard(rows) if rows else None,
        saved=saved,
        view=view,
        ask=ask,
        filed=named.title.get(context.lang) if named is not None else None,
    )
    if reads:
        await start_reading(update, context, saved.id)


def _collect_album(
    context: BotContext, view: VisitView, group_id: str, duplicate: bool, chat_id: int, user_id: int
) -> None:
    """An album arrives as one update per photo with no end marker: answer once, shortly after
    the last photo."""
    assert context.job_queue is not None
    albums = context.chat_data.setdefault("albums", {})
    album = albums.setdefault(group_id, {"count": 0, "duplicates": 0, "visit": view.visit_id})
    album["count"] += 1
    album["duplicates"] += int(duplicate)
    for job in context.job_queue.get_jobs_by_name(f"album:{group_id}"):
        job.schedule_removal()
    context.job_queue.run_once(
        _album_done,
        ALBUM_QUIET_SECONDS,
        name=f"album:{group_id}",
        chat_id=chat_id,
        user_id=user_id,
        data={"group": group_id},
    )


ALBUM_QUIET_SECONDS = 1.5


async def _album_done(context: BotContext) -> None:
    job = context.job
    assert job is not None
    assert job.chat_id is not None
    assert isinstance(job.data, dict)
    group_id = job.data["group"]
    album = context.chat_data.get("albums", {}).pop(group_id, None)
    if album is None:
        return
    viewer = await context.services.access.viewer(job.user_id or 0)
    if viewer is None:
        return
    context.viewer = viewer
    view = await context.services.visits.view(
        viewer, album["visit"], today=context.services.today()
    )
    rows = [
        [(need.title.get(context.lang)[:40], AlbumCategory(view.visit_id, group_id, i).encode())]
        for i, need in enumerate(view.evidence)
    ]
    rows += _continue_row(context, view)
    await context.bot.send_message(
        job.chat_id,
        context.text(
            "visit.evidence.album", count=album["count"], duplicates=album["duplicates"], view=view
        ),
        parse_mode="HTML",
        reply_markup=keyboard(rows) if rows else None,
    )


async def tag_pressed(update: Update, context: BotContext) -> None:
    """``ve:<file>:<category index>`` or ``vg:<visit>:<album>:<category index>``."""
    query = update.callback_query
    assert query is not None
    assert query.data is not None
    assert context.viewer is not None
    await query.answer()
    services = context.services
    visit_id = context.user_data.visit_id
    try:
        if visit_id is None:
            raise BadButton("no active visit")
        view = await services.visits.view(context.viewer, visit_id, today=services.today())
        if query.data.startswith("ve:"):
            file_button = FileCategory.parse(query.data)
            need = view.evidence[file_button.index]
            await services.evidence.retag(context.viewer, file_button.evidence_id, need.id)
            filed = [file_button.evidence_id]
        else:
            album_button = AlbumCategory.parse(query.data)
            need = view.evidence[album_button.index]
            filed = await services.evidence.retag_group(
                context.viewer, album_button.visit_id, album_button.album, need.id
            )
    except (AssistantError, BadButton, IndexError):
        await say(update, context, "visit.stale")
        return
    # Filed: the category buttons go, and the way on is under the newest message.
    await query.edit_message_reply_markup(None)
    rows = _continue_row(context, view)
    await say(
        update,
        context,
        "visit.evidence.tagged",
        markup=keyboard(rows) if rows else None,
        title=need.title.get(context.lang),
    )
    for index, evidence_id in enumerate(filed):
        await start_reading(update, context, evidence_id, quiet=index > 0)


async def prep(update: Update, context: BotContext) -> None:
    """``/prep CODE``: the pre-visit brief, with a button that starts the look-ups."""
    if not context.args:
        await say(update, context, "visit.prep_usage")
        return
    await show_brief(update, context, context.args[0])


async def show_brief(update: Update, context: BotContext, code: str) -> None:
    """The pre-visit brief of ``code``, from /prep or a plan's button."""
    assert context.viewer is not None
    try:
        brief = await context.services.visits.brief(
            context.viewer, code, today=context.services.today()
        )
    except AssistantError as exc:
        await say(update, context, exc.key, **exc.params)
        return
    openers = await context.services.opening_lines.for_card(
        context.viewer, brief.client, today=context.services.today(), lang=context.lang
    )
    rows = [
        [(context.text("visit.button.start_prechecks"), StartPrechecks(brief.client.code).encode())]
    ]
    await say(
        update,
        context,
        "visit.brief",
        markup=keyboard(rows),
        brief=brief,
        openers=openers,
        first_check_days=context.services.settings.first_check_days,
    )


async def prep_start_pressed(update: Update, context: BotContext) -> None:
    query = update.callback_query
    assert query is not None
    assert query.data is not None
    await query.answer()
    try:
        button = StartPrechecks.parse(query.data)
    except BadButton:
        await say(update, context, "visit.stale")
        return
    await open_visit(update, context, button.client_code)


async def ask_during_visit(update: Update, context: BotContext) -> None:
    """``/ask``: answered from the knowledge base; during a visit the step is shown again."""
    await ask_command(update, context)
    visit_id = await active_visit(context)
    if visit_id is None or context.viewer is None or not context.args:
        return
    try:
        view = await context.services.visits.view(
            context.viewer, visit_id, today=context.services.today()
        )
    except AssistantError:
        return
    await show_stop(update, context, view, returning=True)
