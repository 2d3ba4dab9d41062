"""The report after a visit: preview, edit, submit, review, alerts and the archive.

Buttons: ``rp:<visit>`` opens a visit's report; ``r:<report>:<action>[:<arg>]`` acts on one;
``rv:<report>:<version>:a|r`` is the supervisor's decision on one submitted version, so a
decision pressed twice, or on an older version, is refused; ``al:<alert>`` acknowledges an
alert. What the officer types next (a section's text, remarks, a return comment) is noted in
``user_data`` and goes to :func:`report_text` before anything else reads the text.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

from telegram import Message, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden

from assistant.alerts import AlertNotice, Recipient
from assistant.errors import AssistantError
from assistant.i18n import Lang, language_from_code
from assistant.reports.service import ReportView, Review, Submission
from handlers.common import NO_PREVIEW, keyboard, parse_id, say, send_html
from handlers.context import BotContext

REPORT_INPUT = "report_input"

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


def _actions(context: BotContext, view: ReportView, lang: Lang | None = None) -> Any:
    lang = lang or context.lang
    texts = context.services.texts

    def label(name: str) -> str:
        return texts.plain(lang, f"report.button.{name}")

    rid = view.report_id
    rows: list[list[tuple[str, str]]] = []
    if view.editable:
        rows.append([(label("edit"), f"r:{rid}:e"), (label("remarks"), f"r:{rid}:m")])
        rows.append([(label("regenerate"), f"r:{rid}:g"), (label("submit"), f"r:{rid}:s")])
    if view.reviewable:
        version = view.data.version
        decide = f"rv:{rid}:{version}"
        rows.append([(label("approve"), f"{decide}:a"), (label("return"), f"{decide}:r")])
    rows.append([(label("word"), f"r:{rid}:w"), (label("html"), f"r:{rid}:h")])
    return keyboard(rows)


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
    status = context.services.texts.render(lang, "report.status", view=view, note=note)
    return await context.bot.send_message(
        chat_id=chat_id,
        text=status,
        parse_mode=ParseMode.HTML,
        reply_markup=_actions(context, view, lang),
        link_preview_options=NO_PREVIEW,
    )


async def show(update: Update, context: BotContext, view: ReportView, note: str | None = None):
    chat_id = update.effective_chat.id if update.effective_chat else context.user_id
    assert chat_id is not None
    await _send_preview(context, chat_id, view, context.lang, note)


async def report_command(update: Update, context: BotContext) -> None:
    """``/report CLIENT``: the report of the client's last finished visit; alone: what waits."""
    assert context.viewer is not None
    reports = context.services.reports
    try:
        if not context.args:
            pending = await reports.pending(context.viewer)
            rows = [
                [(f"{code} {name} · {context.text('report.state.' + status)}"[:60], f"r:{rid}:o")]
                for rid, code, name, status, _ in pending
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
    progress = await say(update, context, "report.drafting")
    try:
        view = await context.services.reports.open_for_visit(
            context.viewer, parse_id(data.removeprefix("rp:")), context.lang
        )
    except AssistantError as exc:
        await progress.edit_text(context.text(exc.key, **exc.params), parse_mode=ParseMode.HTML)
        return
    await progress.delete()
    await show(update, context, view)


async def report_button(update: Update, context: BotContext) -> None:
    """``r:<report>:<action>[:<arg>]`` from the officer's (or reviewer's) preview."""
    data = await _pressed(update, context)
    _, report_text_id, action, arg = (data.split(":", 3) + [""] * 4)[:4]
    reports, viewer, lang = context.services.reports, context.viewer, context.lang
    try:
        report_id = parse_id(report_text_id)
        match action:
            case "o":
                await show(update, context, await reports.open(viewer, report_id, lang))
            case "e":
                view = await reports.open(viewer, report_id, lang)
                if not view.editable:
                    raise AssistantError("report.locked")
                rows = [
                    [(s.title.get(lang), f"r:{report_id}:es:{i}")]
                    for i, s in enumerate(view.data.sections)
                ]
                await say(update, context, "report.choose_section", markup=keyboard(rows))
            case "es":
                view = await reports.open(viewer, report_id, lang)
                if not view.editable:
                    raise AssistantError("report.locked")
                section = view.data.sections[int(arg)]
                context.user_data[REPORT_INPUT] = {
                    "report": report_id,
                    "what": "section",
                    "section": section.id,
                }
                await say(update, context, "report.send_section_text", section=section)
            case "m":
                view = await reports.open(viewer, report_id, lang)
                if not view.editable:
                    raise AssistantError("report.locked")
                context.user_data[REPORT_INPUT] = {"report": report_id, "what": "remarks"}
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
                raise ValueError(action)
    except AssistantError as exc:
        await say(update, context, exc.key, **exc.params)
    except (ValueError, IndexError):
        await say(update, context, "report.stale")


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
        chat_id=update.effective_chat.id if update.effective_chat else context.user_id,
        document=content,
        filename=file_name,
    )


async def _submit(update: Update, context: BotContext, report_id: int) -> None:
    assert context.viewer is not None
    progress = await say(update, context, "report.submitting")
    try:
        submission = await context.services.reports.submit(context.viewer, report_id, context.lang)
    finally:
        await progress.delete()
    await say(
        update,
        context,
        "report.submitted",
        view=submission.view,
        alerts=len(submission.alerts),
    )
    if submission.supervisor is not None:
        to = submission.supervisor
        lang = _lang(to)
        async with _to_someone_else():
            await _send_for_review(context, submission, to, lang)
    await notify_alerts(context, submission.alerts)


async def _send_for_review(
    context: BotContext, submission: Submission, to: Recipient, lang: Lang
) -> None:
    assert context.viewer is not None
    await context.bot.send_message(
        chat_id=to.telegram_id,
        text=context.services.texts.render(
            lang,
            "report.for_review",
            view=submission.supervisor_view,
            officer=context.viewer.name,
        ),
        parse_mode=ParseMode.HTML,
        link_preview_options=NO_PREVIEW,
    )
    await context.bot.send_document(
        chat_id=to.telegram_id, document=submission.document, filename=submission.file_name
    )
    await _send_preview(context, to.telegram_id, submission.supervisor_view, lang)


async def review_button(update: Update, context: BotContext) -> None:
    """``rv:<report>:<version>:a|r``: approve at once; return asks for the comment first."""
    data = await _pressed(update, context)
    try:
        _, report_id_text, version_text, decision = data.split(":")
        report_id, version = parse_id(report_id_text), parse_id(version_text)
    except ValueError:
        await say(update, context, "report.stale")
        return
    if decision == "r":
        view = None
        try:
            view = await context.services.reports.open(context.viewer, report_id, context.lang)
        except AssistantError as exc:
            await say(update, context, exc.key, **exc.params)
            return
        if not view.reviewable or view.data.version != version:
            await say(update, context, "report.already_reviewed")
            return
        context.user_data[REPORT_INPUT] = {
            "report": report_id,
            "what": "comment",
            "version": version,
        }
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
    await say(update, context, "report.reviewed", review=review)
    if review.officer is not None:
        async with _to_someone_else():
            await _send_decision(context, review, review.officer)


async def _send_decision(context: BotContext, review: Review, to: Recipient) -> None:
    assert context.viewer is not None
    lang = _lang(to)
    await context.bot.send_message(
        chat_id=to.telegram_id,
        text=context.services.texts.render(
            lang, "report.decision", review=review, reviewer=context.viewer.name
        ),
        parse_mode=ParseMode.HTML,
        link_preview_options=NO_PREVIEW,
    )
    if not review.approved:
        await _send_preview(context, to.telegram_id, review.officer_view, lang)


async def report_text(update: Update, context: BotContext) -> bool:
    """Text the officer was asked for (a section, remarks, a return comment); ``False`` if none
    is awaited. A rejected text is explained and still awaited: nothing is lost."""
    pending = context.user_data.get(REPORT_INPUT)
    if not pending or update.message is None or context.viewer is None:
        return False
    text = update.message.text or ""
    reports, viewer, lang = context.services.reports, context.viewer, context.lang
    try:
        match pending["what"]:
            case "section":
                view = await reports.edit_section(
                    viewer, pending["report"], pending["section"], text, lang
                )
            case "remarks":
                view = await reports.set_remarks(viewer, pending["report"], text, lang)
            case "comment":
                context.user_data.pop(REPORT_INPUT, None)
                await _review(
                    update,
                    context,
                    pending["report"],
                    pending["version"],
                    approve=False,
                    comment=text,
                )
                return True
            case _:
                context.user_data.pop(REPORT_INPUT, None)
                return False
    except AssistantError as exc:
        if exc.key in ("report.locked", "error.not_found"):
            context.user_data.pop(REPORT_INPUT, None)
        await say(update, context, exc.key, **exc.params)
        return True
    context.user_data.pop(REPORT_INPUT, None)
    await show(update, context, view, note=pending["what"])
    return True


def cancel_report_input(context: BotContext) -> bool:
    return context.user_data.pop(REPORT_INPUT, None) is not None


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
                                f"al:{notice.alert.alert_id}",
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
        [(context.text("alerts.button.ack_one", alert=a)[:60], f"al:{a.alert_id}")]
        for a in alerts
        if can_acknowledge
    ]
    await say(
        update, context, "alerts.list", markup=keyboard(rows) if rows else None, alerts=alerts
    )


async def acknowledge_pressed(update: Update, context: BotContext) -> None:
    data = await _pressed(update, context)
    try:
        alert = await context.services.alerts.acknowledge(
            context.viewer, parse_id(data.removeprefix("al:"))
        )
    except AssistantError as exc:
        await say(update, context, exc.key, **exc.params)
        return
    except ValueError:
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
        if entry.report_id is None:
            if entry.visit_status == "finished":
                rows.append(
                    [(context.text("history.button.draft", entry=entry), f"rp:{entry.visit_id}")]
                )
            continue
        label = context.text("history.button.entry", entry=entry)
        rows.append(
            [
                (f"📄 {label}"[:60], f"r:{entry.report_id}:w"),
                ("🌐 HTML", f"r:{entry.report_id}:h"),
                ("👁", f"r:{entry.report_id}:o"),
            ]
        )
    await send_html(
        update,
        context,
        context.text("history.list", history=history),
        keyboard(rows) if rows else None,
    )
