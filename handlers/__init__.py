"""Telegram transport: parse an update, call one service, render a template, reply.

:func:`register_handlers` is the only place that wires handlers into the Application.
"""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from handlers import (
    admin,
    ask,
    clients,
    files,
    flood,
    gate,
    general,
    planning,
    reading,
    report,
    router,
    start,
    visit,
    voice,
)
from handlers.callbacks import (
    Acknowledge,
    AlbumCategory,
    ChooseLanguage,
    ClientsPage,
    FileCategory,
    ImportDecision,
    MoreAnswer,
    OpenClient,
    OpenReport,
    PlanAction,
    ReadingAction,
    ReopenVisit,
    ReportAction,
    ResumeVisit,
    ReviewDecision,
    StartPrechecks,
    VisitAction,
    VoiceConfirm,
)
from handlers.errors import on_error

# Commands shown in Telegram's menu, per role; the descriptions are message keys.
OFFICER_COMMANDS = (
    "start",
    "help",
    "plan",
    "prep",
    "phrase",
    "visit",
    "later",
    "report",
    "alerts",
    "history",
    "trip",
    "team",
    "ask",
    "clients",
    "client",
    "lang",
    "cancel",
)
ADMIN_COMMANDS = (*OFFICER_COMMANDS, "invite", "reindex")

GATE_GROUP = -1


def register_handlers(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Add every handler, in order.

    Group -1 holds the access gate: it runs first for every update and stops strangers there, so
    no later handler can forget the check. Group 0 is matched top to bottom, first match wins:
    commands, then button presses (their data is read by :mod:`handlers.callbacks`), then
    documents, and last typed text, which :mod:`handlers.router` sends where the user's session
    says it belongs.
    """
    app.add_handler(TypeHandler(Update, flood.limit_flood), group=flood.FLOOD_GROUP)
    app.add_handler(TypeHandler(Update, gate.admit_registered), group=GATE_GROUP)

    app.add_handler(CommandHandler("start", start.start))
    app.add_handler(CommandHandler("help", general.show_help))
    app.add_handler(CommandHandler("lang", general.choose_language))
    app.add_handler(CommandHandler("clients", clients.list_clients))
    app.add_handler(CommandHandler("client", clients.show_client))
    app.add_handler(CommandHandler("invite", admin.invite))
    app.add_handler(CommandHandler("cancel", admin.cancel))
    app.add_handler(CommandHandler("ask", visit.ask_during_visit))
    app.add_handler(CommandHandler("reindex", ask.reindex))
    app.add_handler(CommandHandler("visit", visit.start_visit))
    app.add_handler(CommandHandler("later", visit.later_command))
    app.add_handler(CommandHandler("prep", visit.prep))
    app.add_handler(CommandHandler("plan", planning.plan_command))
    app.add_handler(CommandHandler("trip", planning.trip_command))
    app.add_handler(CommandHandler("team", planning.team_command))
    app.add_handler(CommandHandler("phrase", planning.phrase_command))
    app.add_handler(CommandHandler("report", report.report_command))
    app.add_handler(CommandHandler("alerts", report.alerts_command))
    app.add_handler(CommandHandler("history", report.history_command))

    buttons = (
        (ChooseLanguage, general.language_chosen),
        (ClientsPage, clients.clients_page),
        (OpenClient, clients.client_pressed),
        (ImportDecision, admin.import_decision),
        (VisitAction, visit.visit_button),
        (ResumeVisit, visit.resume_pressed),
        (ReopenVisit, visit.reopen_pressed),
        (FileCategory, visit.tag_pressed),
        (AlbumCategory, visit.tag_pressed),
        (StartPrechecks, visit.prep_start_pressed),
        (MoreAnswer, ask.more_pressed),
        (ReadingAction, reading.reading_pressed),
        (VoiceConfirm, voice.voice_confirmed),
        (PlanAction, planning.plan_button),
        (OpenReport, report.open_visit_report),
        (ReportAction, report.report_button),
        (ReviewDecision, report.review_button),
        (Acknowledge, report.acknowledge_pressed),
    )
    for button, callback in buttons:
        app.add_handler(CallbackQueryHandler(callback, pattern=button.PATTERN))
    app.add_handler(CallbackQueryHandler(stale_button))

    app.add_handler(MessageHandler(filters.Document.ALL | filters.PHOTO, files.file_received))
    app.add_handler(MessageHandler(filters.LOCATION, visit.visit_location))
    app.add_handler(MessageHandler(filters.VOICE | filters.AUDIO, voice.voice_received))
    app.add_handler(MessageHandler(filters.COMMAND, general.unknown_command))
    app.add_handler(MessageHandler(filters.TEXT, router.route_text))
    app.add_handler(MessageHandler(filters.ALL, general.unexpected_message))

    app.add_error_handler(on_error)


async def stale_button(update: Update, context: Any) -> None:
    """A button from an old message whose action no longer exists."""
    assert update.callback_query is not None
    await update.callback_query.answer(context.text("fallback.stale_button"), show_alert=True)
