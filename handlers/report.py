"""The report after a visit: preview, edit, submit, review, alerts and the archive.

Buttons (:mod:`handlers.callbacks`): :class:`OpenReport` opens a visit's report,
:class:`ReportAction` acts on one, :class:`ReviewDecision` is the supervisor's decision on one
submitted version (so a decision pressed twice, or on an older version, is refused) and
:class:`Acknowledge` acknowledges an alert. What the officer types next (a section's text,
remarks, a return comment) is noted in their session, and the router sends it to
:func:`report_text` before anything else reads the text.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

from telegram import InlineKeyboardMarkup, Message, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden

from assistant.alerts import AlertNotice, Recipient
from assistant.errors import AssistantError
from assistant.i18n import Lang, language_from_code
from assistant.reports.service import AssessmentMissing, ReportView, Review, Submission
from handlers.callbacks import (
    Acknowledge,
    BadButton,
    OpenReport,
    ReopenVisit,
    ReportAction,
    ResumeVisit,
    ReviewDecision,
)
from handlers.common import NO_PREVIEW, chat_id_of, keyboard, page_button, say, send_html
from handlers.context import BotContext
from handlers.session import ReportInput

log = logging.getLogger(__name__)


async def _pressed(update: Update, context: BotContext) -> str:
    """Acknowledge the button press and return its data."""
    query = update.callback_query
    assert query is not None
    assert query.data is not None
    assert context.viewer is not None
    await query.answer()
    return query.data


@contextlib.asynccontextmanager
async def _to_someone_else() -> AsyncIterator[None]:
    """A message to another person (the supervisor, the officer). Someone who never opened the
    bot, or blocked it, cannot be reached: what was done stays done and on record (/alerts,
    /report), and the person acting is not shown an error for it."""
    try:
        yield
    except (BadRequest, Forbidden) as exc:
        log.warning("a notification could not be delivered: %s", type(exc).__name__)


def _lang(recipient: Recipient) -> Lang:
    return language_from_code(recipient.language)


def _actions(
    context: BotContext, view: ReportView, lang: Lang | None = None, *, files: bool = True
) -> Any:
    lang = lang or context.lang

    def label(name: str) -> str:
        return _button(context, name, lang)

    rid = view.report_id

    def act(action: str) -> str:
        return ReportAction(rid, action).encode()

    def decide(approve: bool) -> str:
        return ReviewDecision(rid, view.data.version, approve).encode()

    rows: list[list[tuple[str, str]]] = []
    if view.editable:
        rows.append([(label("edit"), act("e")), (label("remarks"), act("m"))])
        rows.append([(label("regenerate"), act("g")), (label("submit"), act("s"))])
    if view.reviewable:
        rows.append([(label("approve"), decide(True)), (label("return"), decide(False))])
    if files:
        rows.append([(label("word"), act("w")), (label("html"), act("h"))])
    markup = keyboard(rows)
    page = page_button(context, label("page"), report=rid)
    if page is None:
        return markup
    return InlineKeyboardMarkup([*markup.inline_keyboard, [page]])


async def _send_preview(
    context: BotContext,
    chat_id: int,
    view: ReportView,
    lang: Lang,
    note: str | None = None,
) -> Message:
    """The report as MarkdownV2 parts, then the status line with the buttons."""
    for chunk in view.chunks:
        await context.bot.send_message(
            chat_id=chat_id,
            text=chunk,
            parse_mode=ParseMode.MARKDOWN_V2,
            link_preview_options=NO_PREVIEW,
        )
    return await _send_status(context, chat_id, view, lang, note)


async def _send_status(
    context: BotContext, chat_id: int, view: ReportView, lang: Lang, note: str | None
) -> Message:
    """The status line with the report's buttons."""
    status = context.services.texts.render(lang, "report.status", view=view, note=note)
    return await context.bot.send_message(
        chat_id=chat_id,
        text=status,
        parse_mode=ParseMode.HTML,
        reply_markup=_actions(context, view, lang),
        link_preview_options=NO_PREVIEW,
    )


async def show(update: Update, context: BotContext, view: ReportView, note: str | None = None):
    await _send_preview(context, chat_id_of(update, context), view, context.lang, note)


async def report_command(update: Update, context: BotContext) -> None:
    """``/report CLIENT``: the report of the client's last finished visit; alone: what waits."""
    assert context.viewer is not None
    reports = context.services.reports
    try:
        if not context.args:
            pending = await reports.pending(context.viewer)
            rows = [
                [
                    (
                        f"{p.client_code} {p.client_name} · "
                        f"{context.text('report.state.' + p.status)}"[:60],
                        ReportAction(p.report_id, "o").encode(),
                    )
                ]
                for p in pending
            ]
            await say(
                update,
                context,
                "report.usage",
                markup=keyboard(rows) if rows else None,
                pending=pending,
            )
            return
        view = await reports.latest_for_client(context.viewer, context.args[0], context.lang)
    except AssistantError as exc:
        await say(update, context, exc.key, **exc.params)
        return
    await show(update, context, view)


async def open_visit_report(update: Update, context: BotContext) -> None:
    """The button under a completed visit: draft (or open) its report."""
    data = await _pressed(update, context)
    try:
        button = OpenReport.parse(data)
    except BadButton:
        await say(update, context, "report.stale")
        return
    progress = await say(update, context, "report.drafting")
    try:
        view = await context.services.reports.open_for_visit(
            context.viewer, button.visit_id, context.lang
        )
    except AssistantError as exc:
        await progress.edit_text(context.text(exc.key, **exc.params), parse_mode=ParseMode.HTML)
        return
    await progress.delete()
    await show(update, context, view)


async def report_button(update: Update, context: BotContext) -> None:
    """``r:<report>:<action>[:<arg>]`` from the officer's (or reviewer's) preview."""
    data = await _pressed(update, context)
    reports, viewer, lang = context.services.reports, context.viewer, context.lang
    try:
        button = ReportAction.parse(data)
        report_id, action, arg = button.report_id, button.action, button.arg
        match action:
            case "o":
                await show(update, context, await reports.open(viewer, report_id, lang))
            case "e":
                view = await _editable(context, report_id)
                rows = [
                    [(s.title.get(lang), ReportAction(report_id, "es", str(i)).encode())]
                    for i, s in enumerate(view.data.sections)
                ]
                rows.append([(_button(context, "assess"), ReportAction(report_id, "a").encode())])
                rows.append(
                    [(_button(context, "companion"), ReportAction(report_id, "c").encode())]
                )
                await say(update, context, "report.choose_section", markup=keyboard(rows))
            case "es":
                view = await _editable(context, report_id)
                section = view.data.sections[int(arg)]
                context.user_data.report_input = ReportInput(
                    report_id, "section", section=section.id
                )
                await say(update, context, "report.send_section_text", section=section)
            case "a":
                view = await _editable(context, report_id)
                context.user_data.report_input = ReportInput(report_id, "assessment")
                await say(update, context, "report.send_assessment", current=view.data.assessment)
            case "c":
                await _editable(context, report_id)
                mates = await reports.teammates(viewer)
                rows = [
                    [(name, ReportAction(report_id, "cs", str(mate_id)).encode())]
                    for mate_id, name in mates
                ]
                rows.append(
                    [(_button(context, "alone"), ReportAction(report_id, "cs", "0").encode())]
                )
                await say(update, context, "report.choose_companion", markup=keyboard(rows))
            case "cs":
                chosen = int(arg)
                view = await reports.set_companion(viewer, report_id, chosen or None, lang)
                await _send_status(context, chat_id_of(update, context), view, lang, "companion")
            case "m":
                view = await _editable(context, report_id)
                context.user_data.report_input = ReportInput(report_id, "remarks")
                await say(update, context, "report.send_remarks", current=view.data.remarks)
            case "g":
                progress = await say(update, context, "report.regenerating")
                view = await reports.regenerate(viewer, report_id, lang)
                await progress.delete()
                await show(update, context, view, note="regenerated")
            case "w" | "h":
                fmt = "docx" if action == "w" else "html"
                await _send_document(update, context, report_id, fmt)
            case "s":
                await _submit(update, context, report_id)
            case _:
                raise BadButton(action)
    except AssistantError as exc:
        await say(update, context, exc.key, **exc.params)
    except (ValueError, IndexError):
        await say(update, context, "report.stale")


async def _editable(context: BotContext, report_id: int) -> ReportView:
    """The report, if the viewer may still change it.

    Raises:
        AssistantError: ``report.locked`` once submitted or approved.
    """
    assert context.viewer is not None
    view = await context.services.reports.open(context.viewer, report_id, context.lang)
    if not view.editable:
        raise AssistantError("report.locked")
    return view


async def _send_document(update: Update, context: BotContext, report_id: int, fmt: str) -> None:
    assert context.viewer is not None
    progress = await say(update, context, "report.building", fmt=fmt)
    try:
        content, file_name = await context.services.reports.document(
            context.viewer,
            report_id,
            fmt,
            context.lang,  # type: ignore[arg-type]
        )
    finally:
        await progress.delete()
    await context.bot.send_document(
        chat_id=chat_id_of(update, context),
        document=content,
        filename=file_name,
    )


async def _submit(update: Update, context: BotContext, report_id: int) -> None:
    assert context.viewer is not None
    progress = await say(update, context, "report.submitting")
    try:
        submission = await context.services.reports.submit(context.viewer, report_id, context.lang)
    except AssessmentMissing:
        # Asked for here rather than refused: the officer writes it and the report goes.
        context.user_data.report_input = ReportInput(report_id, "assessment", then_submit=True)
        await say(update, context, "report.assessment_needed")
        return
    finally:
        await progress.delete()
    await deliver_submission(update, context, submission)


def _button(context: BotContext, name: str, lang: Lang | None = None) -> str:
    """A report button's label, in ``lang`` (the user's own by default)."""
    return context.services.texts.plain(lang or context.lang, f"report.button.{name}")


async def deliver_submission(update: Update, context: BotContext, submission: Submission) -> None:
    """Tell the officer a report was submitted, and send it to the supervisor for review."""
    await say(
        update,
        context,
        "report.submitted",
        view=submission.view,
        alerts=len(submission.alerts),
    )
    to = submission.supervisor
    folded: list[AlertNotice] = []
    if to is not None:
        # The reviewer reads the alerts in the review message, not as messages of their own.
        folded = [n for n in submission.alerts if n.to and n.to.telegram_id == to.telegram_id]
        async with _to_someone_else():
            await _send_for_review(context, submission, to, _lang(to))
    await notify_alerts(context, [n for n in submission.alerts if n not in folded])


# Telegram's limit on a document's caption.
CAPTION_LIMIT = 1024


async def _send_for_review(
    context: BotContext, submission: Submission, to: Recipient, lang: Lang
) -> None:
    """One review message: the report as HTML (read on the phone) and Word (kept), then the
    summary with the findings, the alerts folded in, and the decision buttons, on the last."""
    assert context.viewer is not None
    view = submission.supervisor_view
    card = context.services.texts.render(
        lang,
        "report.for_review",
        view=view,
        officer=context.viewer.name,
        # Every warning and critical finding has alerted the supervisor by now: mid-visit, or
        # with this submission (those are folded in here instead of sent on their own).
        alerted={f.rule_id for f in view.data.findings if f.severity.alerts},
    )
    if submission.html:
        await context.bot.send_document(
            chat_id=to.telegram_id, document=submission.html, filename=submission.html_name
        )
    markup = _actions(context, view, lang, files=False)
    if len(card) <= CAPTION_LIMIT:
        await context.bot.send_document(
            chat_id=to.telegram_id,
            document=submission.document,
            filename=submission.file_name,
            caption=card,
            parse_mode=ParseMode.HTML,
            reply_markup=markup,
        )
        return
    await context.bot.send_document(
        chat_id=to.telegram_id, document=submission.document, filename=submission.file_name
    )
    await context.bot.send_message(
        chat_id=to.telegram_id,
        text=card,
        parse_mode=ParseMode.HTML,
        reply_markup=markup,
        link_preview_options=NO_PREVIEW,
    )


async def review_button(update: Update, context: BotContext) -> None:
    """``rv:<report>:<version>:a|r``: approve at once; return asks for the comment first."""
    data = await _pressed(update, context)
    try:
        button = ReviewDecision.parse(data)
    except BadButton:
        await say(update, context, "report.stale")
        return
    report_id, version = button.report_id, button.version
    if not button.approve:
        view = None
        try:
            view = await context.services.reports.open(context.viewer, report_id, context.lang)
        except AssistantError as exc:
            await say(update, context, exc.key, **exc.params)
            return
        if not view.reviewable or view.data.version != version:
            await say(update, context, "report.already_reviewed")
            return
        context.user_data.report_input = ReportInput(report_id, "comment", version=version)
        await say(update, context, "report.send_comment", view=view)
        return
    await _review(update, context, report_id, version, approve=True, comment=None)


async def _review(
    update: Update,
    context: BotContext,
    report_id: int,
    version: int,
    *,
    approve: bool,
    comment: str | None,
) -> None:
    assert context.viewer is not None
    try:
        review = await context.services.reports.review(
            context.viewer,
            report_id,
            version,
            approve=approve,
            comment=comment,
            lang=context.lang,
        )
    except AssistantError as exc:
        await say(update, context, exc.key, **exc.params)
        return
    await deliver_review(update, context, review)


async def deliver_review(update: Update, context: BotContext, review: Review) -> None:
    """Tell the supervisor the decision was recorded, and the officer what it was."""
    await say(update, context, "report.reviewed", review=review)
    if review.officer is not None:
        async with _to_someone_else():
            await _send_decision(context, review, review.officer)


async def _send_decision(context: BotContext, review: Review, to: Recipient) -> None:
    assert context.viewer is not None
    lang = _lang(to)
    markup = None
    if not review.approved:
        # 「补充」 reopens the same visit for what the supervisor asked, not a new one.
        label = context.services.texts.plain(lang, "report.button.add_more")
        markup = keyboard(
            [[(label, ReopenVisit(review.officer_view.data.header.visit_id).encode())]]
        )
    await context.bot.send_message(
        chat_id=to.telegram_id,
        text=context.services.texts.render(
            lang, "report.decision", review=review, reviewer=context.viewer.name
        ),
        parse_mode=ParseMode.HTML,
        reply_markup=markup,
        link_preview_options=NO_PREVIEW,
    )
    if not review.approved:
        await _send_preview(context, to.telegram_id, review.officer_view, lang)


async def report_text(update: Update, context: BotContext) -> bool:
    """Text the officer (or the supervisor) was asked for: a section, remarks, a return comment.
    A rejected text is explained and still awaited: nothing is lost."""
    pending = context.user_data.report_input
    assert pending is not None
    assert update.message is not None
    assert context.viewer is not None
    text = update.message.text or ""
    reports, viewer, lang = context.services.reports, context.viewer, context.lang
    try:
        match pending.what:
            case "section":
                assert pending.section is not None
                view = await reports.edit_section(
                    viewer, pending.report_id, pending.section, text, lang
                )
            case "remarks":
                view = await reports.set_remarks(viewer, pending.report_id, text, lang)
            case "assessment" if pending.then_submit:
                await reports.save_assessment(viewer, pending.report_id, text)
                context.user_data.report_input = None
                await say(update, context, "report.assessment_saved")
                await _submit(update, context, pending.report_id)
                return True
            case "assessment":
                view = await reports.set_assessment(viewer, pending.report_id, text, lang)
            case "comment":
                assert pending.version is not None
                context.user_data.report_input = None
                await _review(
                    update, context, pending.report_id, pending.version, approve=False, comment=text
                )
                return True
    except AssistantError as exc:
        if exc.key in ("report.locked", "error.not_found"):
            context.user_data.report_input = None
        await say(update, context, exc.key, **exc.params)
        return True
    context.user_data.report_input = None
    if pending.what == "section":
        # The officer sees what they changed, not the whole preview again.
        section = next(x for x in view.data.sections if x.id == pending.section)
        await say(update, context, "report.section_shown", section=section)
    await _send_status(context, chat_id_of(update, context), view, context.lang, pending.what)
    return True


def cancel_report_input(context: BotContext) -> bool:
    had = context.user_data.report_input is not None
    context.user_data.report_input = None
    return had


# ----------------------------------------------------------------------------- alerts
async def notify_alerts(context: BotContext, notices: list[AlertNotice] | tuple[AlertNotice, ...]):
    """Send each new alert to the supervisor, with a button to acknowledge it."""
    for notice in notices:
        if notice.to is None:
            continue
        lang = _lang(notice.to)
        async with _to_someone_else():
            await context.bot.send_message(
                chat_id=notice.to.telegram_id,
                text=context.services.texts.render(lang, "alerts.notice", alert=notice.alert),
                parse_mode=ParseMode.HTML,
                reply_markup=keyboard(
                    [
                        [
                            (
                                context.services.texts.plain(lang, "alerts.button.ack"),
                                Acknowledge(notice.alert.alert_id).encode(),
                            )
                        ]
                    ]
                ),
                link_preview_options=NO_PREVIEW,
            )


async def alerts_command(update: Update, context: BotContext) -> None:
    assert context.viewer is not None
    alerts = await context.services.alerts.open_alerts(context.viewer)
    # Officers see their own clients' alerts; acknowledging is for the supervisor.
    can_acknowledge = context.viewer.role.value != "officer"
    rows = [
        [(context.text("alerts.button.ack_one", alert=a)[:60], Acknowledge(a.alert_id).encode())]
        for a in alerts
        if can_acknowledge
    ]
    await say(
        update, context, "alerts.list", markup=keyboard(rows) if rows else None, alerts=alerts
    )


async def acknowledge_pressed(update: Update, context: BotContext) -> None:
    data = await _pressed(update, context)
    try:
        button = Acknowledge.parse(data)
        alert = await context.services.alerts.acknowledge(context.viewer, button.alert_id)
    except AssistantError as exc:
        await say(update, context, exc.key, **exc.params)
        return
    except BadButton:
        await say(update, context, "report.stale")
        return
    await say(update, context, "alerts.acknowledged", alert=alert)


# ----------------------------------------------------------------------------- the archive
async def history_command(update: Update, context: BotContext) -> None:
    """``/history CLIENT``: past visits, their findings and reports, each downloadable."""
    assert context.viewer is not None
    if not context.args:
        await say(update, context, "history.usage")
        return
    try:
        history = await context.services.reports.history(
            context.viewer, context.args[0], today=context.services.today()
        )
    except AssistantError as exc:
        await say(update, context, exc.key, **exc.params)
        return
    rows = []
    for entry in history.entries:
        if entry.visit_status in ("to_complete", "reopened"):
            resume = ResumeVisit(entry.visit_id).encode()
            rows.append([(context.text("history.button.continue", entry=entry), resume)])
        if entry.report_id is None:
            if entry.visit_status == "finished":
                draft = OpenReport(entry.visit_id).encode()
                rows.append([(context.text("history.button.draft", entry=entry), draft)])
            continue
        label = context.text("history.button.entry", entry=entry)
        rows.append(
            [
                (f"📄 {label}"[:60], ReportAction(entry.report_id, "w").encode()),
                ("🌐 HTML", ReportAction(entry.report_id, "h").encode()),
                ("👁", ReportAction(entry.report_id, "o").encode()),
            ]
        )
    await send_html(
        update,
        context,
        context.text("history.list", history=history),
        keyboard(rows) if rows else None,
    )
