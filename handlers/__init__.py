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
    evidence,
    files,
    flood,
    gate,
    general,
    planning,
    report,
    start,
    visit,
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
    commands, then button presses, then documents, and last the catch-alls for anything else.
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
    app.add_handler(CommandHandler("prep", visit.prep))
    app.add_handler(CommandHandler("plan", planning.plan_command))
    app.add_handler(CommandHandler("trip", planning.trip_command))
    app.add_handler(CommandHandler("team", planning.team_command))
    app.add_handler(CommandHandler("phrase", planning.phrase_command))
    app.add_handler(CommandHandler("report", report.report_command))
    app.add_handler(CommandHandler("alerts", report.alerts_command))
    app.add_handler(CommandHandler("history", report.history_command))

    app.add_handler(CallbackQueryHandler(general.language_chosen, pattern=r"^lang:(zh|en)$"))
    app.add_handler(CallbackQueryHandler(clients.clients_page, pattern=r"^cl:p:\d+$"))
    app.add_handler(CallbackQueryHandler(clients.client_pressed, pattern=r"^cl:[^:]+$"))
    app.add_handler(CallbackQueryHandler(admin.import_decision, pattern=r"^imp:(ok|no)$"))
    app.add_handler(CallbackQueryHandler(visit.visit_button, pattern=r"^v:"))
    app.add_handler(CallbackQueryHandler(visit.resume_pressed, pattern=r"^vr:\d+$"))
    app.add_handler(CallbackQueryHandler(visit.tag_pressed, pattern=r"^v[eg]:"))
    app.add_handler(CallbackQueryHandler(visit.prep_start_pressed, pattern=r"^vp:"))
    app.add_handler(CallbackQueryHandler(evidence.reading_pressed, pattern=r"^o[ceam]:\d+"))
    app.add_handler(CallbackQueryHandler(evidence.voice_confirmed, pattern=r"^vo:\d+:"))
    app.add_handler(CallbackQueryHandler(planning.plan_button, pattern=r"^pl:"))
    app.add_handler(CallbackQueryHandler(report.open_visit_report, pattern=r"^rp:\d+$"))
    app.add_handler(CallbackQueryHandler(report.report_button, pattern=r"^r:\d+:"))
    app.add_handler(CallbackQueryHandler(report.review_button, pattern=r"^rv:"))
    app.add_handler(CallbackQueryHandler(report.acknowledge_pressed, pattern=r"^al:\d+$"))
    app.add_handler(CallbackQueryHandler(stale_button))

    app.add_handler(MessageHandler(filters.Document.ALL | filters.PHOTO, files.file_received))
    app.add_handler(MessageHandler(filters.LOCATION, visit.visit_location))
    app.add_handler(MessageHandler(filters.VOICE | filters.AUDIO, evidence.voice_received))
    app.add_handler(MessageHandler(filters.COMMAND, general.unknown_command))
    app.add_handler(MessageHandler(filters.TEXT, general.text_outside_a_step))
    app.add_handler(MessageHandler(filters.ALL, general.unexpected_message))

    app.add_error_handler(on_error)


async def stale_button(update: Update, context: Any) -> None:
    """A button from an old message whose action no longer exists."""
    assert update.callback_query is not None
    await update.callback_query.answer(context.text("fallback.stale_button"), show_alert=True)
