"""The month's plan, survey trips, the team's progress, opening lines and the reminder job.

Buttons (:class:`~handlers.callbacks.PlanAction`): show the pre-visit brief, open the visit,
snooze the reminders for three days, or put the visit off a week.
The reminder job runs every ``REMINDER_CHECK_SECONDS`` and sends whatever the reminder service
says is due; the service records each sent notification, so a restart sends nothing twice.
"""

from __future__ import annotations

import asyncio
import logging
import re
from datetime import timedelta
from typing import Any

from telegram import InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError
from telegram.ext import ContextTypes

from assistant.charts import ChartWords, team_progress_chart
from assistant.errors import AssistantError
from assistant.i18n import Lang, language_from_code
from assistant.planning.model import MonthPlan, PlannedVisit
from assistant.visits.parsing import ParseError, parse_date
from handlers.callbacks import BadButton, PlanAction, ResumeVisit
from handlers.common import NO_PREVIEW, chat_id_of, keyboard, page_button, say
from handlers.context import SERVICES_KEY, BotContext
from handlers.visit import open_visit, show_brief

log = logging.getLogger(__name__)

MONTH = re.compile(r"^(\d{4})[-/.年](\d{1,2})月?$")
MAX_PLAN_BUTTONS = 15
# Overdue reminders come at most once a day, so a snooze shorter than a few days changes nothing.
SNOOZE_DAYS = 3


def _plan_buttons(context: BotContext, plan: MonthPlan, lang: Lang) -> Any:
    texts = context.services.texts
    rows = [
        [
            (
                texts.plain(lang, "plan.button.prep", code=v.client_code),
                PlanAction("p", v.client_code).encode(),
            ),
            (
                texts.plain(lang, "plan.button.visit", code=v.client_code),
                PlanAction("v", v.client_code).encode(),
            ),
        ]
        for v in plan.visits
        if not v.done
    ][:MAX_PLAN_BUTTONS]
    return keyboard(rows) if rows else None


def _reminder_buttons(context: BotContext, visit: PlannedVisit, lang: Lang) -> Any:
    texts, code = context.services.texts, visit.client_code
    return keyboard(
        [
            [(texts.plain(lang, "plan.button.start"), PlanAction("v", code).encode())],
            [
                (texts.plain(lang, "plan.button.snooze"), PlanAction("s", code).encode()),
                (texts.plain(lang, "plan.button.later"), PlanAction("l", code).encode()),
            ],
        ]
    )


async def plan_command(update: Update, context: BotContext) -> None:
    """``/plan`` this month; ``/plan 2026-12`` another month."""
    assert context.viewer is not None
    today = context.services.today()
    year, month = today.year, today.month
    if context.args:
        match = MONTH.match(context.args[0].strip())
        if match is None or not 1 <= int(match.group(2)) <= 12:
            await say(update, context, "plan.bad_month", value=context.args[0][:20])
            return
        year, month = int(match.group(1)), int(match.group(2))
    plan = await context.services.plans.month_plan(context.viewer, year, month, today=today)
    await say(
        update,
        context,
        "plan.body",
        markup=_plan_buttons(context, plan, context.lang),
        plan=plan,
    )


async def plan_button(update: Update, context: BotContext) -> None:
    """A button from a plan or a reminder."""
    query = update.callback_query
    assert query is not None
    assert query.data is not None
    assert context.viewer is not None
    await query.answer()
    try:
        button = PlanAction.parse(query.data)
    except BadButton:
        await say(update, context, "plan.stale")
        return
    code = button.client_code
    services, now = context.services, context.services.now()
    try:
        match button.verb:
            case "p":
                await show_brief(update, context, code)
            case "v":
                await open_visit(update, context, code)
            case "s":
                change = await services.plans.snooze(
                    context.viewer, code, now.date() + timedelta(days=SNOOZE_DAYS), now=now
                )
                await say(update, context, "plan.snoozed", change=change)
            case "l":
                change = await services.plans.reschedule(
                    context.viewer, code, now.date() + timedelta(days=7), now=now
                )
                await say(update, context, "plan.rescheduled", change=change)
    except AssistantError as exc:
        await say(update, context, exc.key, **exc.params)


async def trip_command(update: Update, context: BotContext) -> None:
    """``/trip DISTRICT DATE [note]``: a pre-loan survey trip, and the visits on the way."""
    assert context.viewer is not None
    if not context.args or len(context.args) < 2:
        await say(update, context, "trip.usage")
        return
    district, when, *note = context.args
    services = context.services
    now = services.now()
    try:
        on = parse_date(when, today=now.date())
    except ParseError:
        await say(update, context, "trip.bad_date", value=when[:20])
        return
    try:
        trip = await services.plans.add_trip(
            context.viewer, on, district, " ".join(note) or None, now=now
        )
        plan = await services.plans.month_plan(context.viewer, on.year, on.month, today=now.date())
    except AssistantError as exc:
        await say(update, context, exc.key, **exc.params)
        return
    visits = next((s.visits for s in plan.trip_suggestions if s.trip_id == trip.trip_id), ())
    await say(update, context, "trip.saved", trip=trip, visits=visits)


async def team_command(update: Update, context: BotContext) -> None:
    """``/team``: the supervisor's month at a glance, with the chart."""
    assert context.viewer is not None
    services = context.services
    today = services.today()
    try:
        progress = await services.plans.team_progress(
            context.viewer, today.year, today.month, today=today
        )
    except AssistantError:
        await say(update, context, "team.only_supervisors")
        return
    page = page_button(
        context, context.services.texts.plain(context.lang, "report.button.page"), team=1
    )
    markup = InlineKeyboardMarkup([[page]]) if page is not None else None
    await say(update, context, "team.summary", markup, progress=progress)
    team = context.text("team.chart.team")
    if context.viewer.staff_no:
        team = f"{team} {context.viewer.staff_no}"
    words = ChartWords(
        title=context.text("team.chart.title", team=team, progress=progress),
        plan=context.text("team.chart.plan"),
        done=context.text("team.chart.done"),
        overdue=context.text("team.chart.overdue"),
        risk=context.text("team.chart.risk"),
        empty=context.text("team.chart.empty"),
        more=context.text("team.chart.more"),
        tiers={
            tier.value: context.text(f"risk.{tier.value}") for tier in progress.risk_distribution
        },
    )
    chart = await asyncio.to_thread(team_progress_chart, progress, words)
    await context.bot.send_photo(
        chat_id=chat_id_of(update, context),
        photo=chart,
        caption=context.text("team.caption"),
    )


async def phrase_command(update: Update, context: BotContext) -> None:
    """``/phrase CLIENT``: three opening lines that fit this client and today."""
    assert context.viewer is not None
    if not context.args:
        await say(update, context, "phrase.usage")
        return
    try:
        client, suggestions = await context.services.opening_lines.for_client(
            context.viewer, context.args[0], today=context.services.today(), lang=context.lang
        )
    except AssistantError as exc:
        await say(update, context, exc.key, **exc.params)
        return
    if not suggestions:
        await say(update, context, "phrase.none")
        return
    await say(update, context, "phrase.list", client=client, suggestions=suggestions)


# ----------------------------------------------------------------------------- the reminder job
async def send_reminders(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Send what is due now, each to its reader in their language.

    A notification is recorded as sent right after it goes out: a crash in between may repeat
    that one message, but a restart never repeats the rest.
    """
    services = context.application.bot_data[SERVICES_KEY]
    # With several replicas, one runs the reminders at a time; the others skip this turn.
    async with services.database.leader("reminders") as leading:
        if leading:
            await _send_due(context, services)
            await _send_additions(context, services)


async def _send_due(context: ContextTypes.DEFAULT_TYPE, services: Any) -> None:
    for notification in await services.reminders.due_notifications(services.now()):
        lang = language_from_code(notification.language)
        texts = services.texts
        markup = None
        match notification.kind:
            case "monthly_plan":
                text = texts.render(lang, "plan.monthly", plan=notification.plan)
                markup = _plan_buttons(context, notification.plan, lang)  # type: ignore[arg-type]
            case "escalation":
                text = texts.render(lang, "plan.escalation", note=notification)
            case "unattended":
                text = texts.render(lang, "plan.unattended", clients=notification.unattended)
            case kind:
                text = texts.render(lang, f"plan.{kind}", visit=notification.visit)
                markup = _reminder_buttons(context, notification.visit, lang)  # type: ignore[arg-type]
        try:
            await context.bot.send_message(
                chat_id=notification.recipient_telegram_id,
                text=text,
                parse_mode=ParseMode.HTML,
                reply_markup=markup,
                link_preview_options=NO_PREVIEW,
            )
            services.metrics.reminder_sent(notification.kind)
        except (BadRequest, Forbidden) as exc:
            # Blocked, or never opened the bot: counted as handled rather than retried every
            # minute; /plan still shows everything.
            log.warning("reminder %s not delivered: %s", notification.kind, type(exc).__name__)
        except NetworkError as exc:
            # Telegram unreachable for this one: left unlogged, so the next run tries it again,
            # and the rest of this run's reminders still go out.
            log.warning("reminder %s not sent yet: %s", notification.kind, type(exc).__name__)
            continue
        await services.reminders.mark_sent(notification)


async def _send_additions(context: ContextTypes.DEFAULT_TYPE, services: Any) -> None:
    """The end-of-day reminder of visits left 待补充, with a button to continue each."""
    for notice in await services.additions_reminder.due(services.now()):
        lang = language_from_code(notice.language)
        texts = services.texts
        rows = [
            [
                (
                    texts.plain(lang, "visit.button.continue_one", view=a.summary.view)[:60],
                    ResumeVisit(a.summary.view.visit_id).encode(),
                )
            ]
            for a in notice.visits[:MAX_PLAN_BUTTONS]
        ]
        try:
            await context.bot.send_message(
                chat_id=notice.telegram_id,
                text=texts.render(lang, "visit.reminder", visits=notice.visits),
                parse_mode=ParseMode.HTML,
                reply_markup=keyboard(rows),
                link_preview_options=NO_PREVIEW,
            )
            services.metrics.reminder_sent("additions")
        except (BadRequest, Forbidden) as exc:
            log.warning("additions reminder not delivered: %s", type(exc).__name__)
        except NetworkError as exc:
            log.warning("additions reminder not sent yet: %s", type(exc).__name__)
            continue
        await services.additions_reminder.mark_sent(notice)
