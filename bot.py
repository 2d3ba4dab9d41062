"""贷后回访助手 · Loan Visit Assistant: the composition root and command line.

    python bot.py                 run the bot (long polling, or webhook when RUN_MODE=webhook);
                                  without BOT_TOKEN, console mode
    python bot.py console         chat in this terminal: no token, no network, demo data
    python bot.py migrate         apply database migrations
    python bot.py invite ROLE     issue a one-time invite code
    python bot.py import FILE     import the portfolio from .xlsx or .csv
    python bot.py ask "QUESTION"  ask the knowledge base (--client CODE, --json, --batch FILE)
    python bot.py debrief --client CODE [--lang zh|en] [--json] < paragraph.txt
                                  the answers a free-form paragraph about a visit fills, and the
                                  client's questions it leaves; stores nothing (--batch FILE)
    python bot.py reindex         rebuild the knowledge-base index

Settings come from the environment or ``.env`` (see README). Nothing here runs at import time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import signal
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import ValidationError

from assistant.access import AccessService
from assistant.config import Settings
from assistant.data.checklist import AnswerType, Item, walk
from assistant.db.models import Role
from assistant.demo import seed_demo
from assistant.errors import DatabaseUnavailable, InvalidInput, NotFound
from assistant.i18n import LANGUAGES, Lang
from assistant.importer import render_report
from assistant.knowledge.answering import Answer, render_answer
from assistant.knowledge.entries import KnowledgeError
from assistant.portfolio import ClientCard
from assistant.services import Services, build_knowledge, build_services
from assistant.visits.debrief import Extracted
from assistant.visits.focus import Check
from assistant.visits.path import applicable, loan_checks

# Telegram and the handlers are imported by the commands that serve Telegram (run, console),
# not here: `bot.py ask`, `import` or `backup` start without them, a quarter of a second sooner.
if TYPE_CHECKING:
    from telegram.ext import Application, ApplicationBuilder

log = logging.getLogger("bot")
T = TypeVar("T")

# Their INFO lines would bury ours; httpx would also log request URLs, and with them the token.
_CHATTY_LOGGERS = (
    "httpx",
    "httpcore",
    "telegram.request",
    "apscheduler",
    "alembic",
    "tornado.access",
)


# Third-party loggers whose DEBUG records carry payloads: whole updates and Bot API calls
# (python-telegram-bot), result rows (SQLAlchemy), statements with their parameters (aiosqlite).
_PAYLOAD_LOGGERS = ("telegram", "sqlalchemy.engine", "aiosqlite", "httpx", "httpcore")


class _NoPayloads(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= logging.INFO


def _keep_payloads_out_of_logs() -> None:
    """Drop those libraries' DEBUG records whatever LOG_LEVEL or a logging config says.

    A filter on a logger only sees records made on that very logger, so it goes on each of
    their loggers (all are created when the libraries are imported, before this runs).
    """
    names = [
        name
        for name in logging.root.manager.loggerDict
        if isinstance(name, str)
        and any(name == p or name.startswith(p + ".") for p in _PAYLOAD_LOGGERS)
    ]
    for name in {*names, *_PAYLOAD_LOGGERS}:
        logger = logging.getLogger(name)
        if not any(isinstance(f, _NoPayloads) for f in logger.filters):
            logger.addFilter(_NoPayloads())


def build_application(
    settings: Settings,
    builder: ApplicationBuilder | None = None,
    *,
    services: Services | None = None,
) -> Application[Any, Any, Any, Any, Any, Any]:
    """The PTB Application with every handler registered; services start in ``post_init``.

    Args:
        settings: the configuration.
        builder: a pre-configured builder (a test client passes one carrying its own request
            objects and token); without one, the bot talks to ``TELEGRAM_API_URL`` with
            ``BOT_TOKEN``.
        services: already-built services (the console passes its demo services).
    """
    from telegram.ext import AIORateLimiter, ApplicationBuilder, ContextTypes

    from handlers import register_handlers
    from handlers.context import SERVICES_KEY, BotContext
    from handlers.ordering import PerUserUpdateProcessor
    from handlers.persistence import DatabasePersistence
    from handlers.retrying import telegram_requests
    from handlers.session import Session

    _keep_payloads_out_of_logs()
    services = services or build_services(settings)
    if builder is None:
        if settings.bot_token is None:
            raise SystemExit(
                "BOT_TOKEN is not set. To try the bot without Telegram, run: python bot.py console"
            )
        # Failed requests are retried where repeating them cannot duplicate a message.
        request, get_updates_request = telegram_requests()
        builder = (
            ApplicationBuilder()
            .token(settings.bot_token.get_secret_value())
            .base_url(settings.telegram_api_url)
            .base_file_url(settings.telegram_file_url)
            .request(request)
            .get_updates_request(get_updates_request)
        )
    application = (
        builder.context_types(ContextTypes(context=BotContext, user_data=Session))
        .persistence(DatabasePersistence(services.state, services.start))
        .concurrent_updates(PerUserUpdateProcessor(settings.concurrent_updates, services.metrics))
        .rate_limiter(
            AIORateLimiter(
                overall_max_rate=settings.telegram_overall_rate,
                overall_time_period=1,
                max_retries=3,
            )
        )
        .post_init(_post_init)
        .post_shutdown(_post_shutdown)
        .build()
    )
    application.bot_data[SERVICES_KEY] = services
    register_handlers(application)
    return application


async def _post_init(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    from handlers.context import SERVICES_KEY
    from handlers.planning import send_reminders
    from handlers.reading import resume_readings

    services: Services = application.bot_data[SERVICES_KEY]
    await services.start()
    await publish_command_menus(application, services)
    assert application.job_queue is not None
    interval = services.settings.reminder_check_seconds
    application.job_queue.run_repeating(
        send_reminders, interval=interval, first=interval, name="reminders"
    )
    # Photos whose reading a stop cut short are read now, and the officer gets the result.
    application.job_queue.run_once(resume_readings, 0, name="resume-readings")


async def _post_shutdown(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    from handlers.context import SERVICES_KEY

    services: Services = application.bot_data[SERVICES_KEY]
    await services.close()


async def publish_command_menus(
    application: Application[Any, Any, Any, Any, Any, Any], services: Services
) -> None:
    """Telegram's command menu in both languages; administrators also see their own commands."""
    from telegram import BotCommand, BotCommandScopeChat
    from telegram.error import TelegramError

    from handlers import ADMIN_COMMANDS, OFFICER_COMMANDS

    def commands(names: Sequence[str], lang: Lang) -> list[BotCommand]:
        return [BotCommand(name, services.texts.plain(lang, f"menu.{name}")) for name in names]

    bot = application.bot
    await bot.set_my_commands(commands(OFFICER_COMMANDS, "zh"))
    for lang in LANGUAGES:
        await bot.set_my_commands(commands(OFFICER_COMMANDS, lang), language_code=lang)
    for admin_id in sorted(services.settings.admin_ids):
        try:
            await bot.set_my_commands(
                commands(ADMIN_COMMANDS, "zh"), scope=BotCommandScopeChat(admin_id)
            )
        except TelegramError:
            # An admin who never opened a chat with the bot has no chat to scope a menu to.
            log.info("admin menu not set for one admin: no chat with the bot yet")


class _StartupFailureFilter(logging.Filter):
    """Drops PTB's traceback for a failed start-up: :func:`run_bot` reports it in one line."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        return not (
            record.name.startswith("telegram.ext")
            and "Bootstrap" in message
            and "Aborting" in message
        )


def _configure_logging(level: str) -> None:
    logging.basicConfig(
        level=level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    for handler in logging.getLogger().handlers:
        handler.addFilter(_StartupFailureFilter())
    for name in _CHATTY_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)


def _load_settings(overrides: dict[str, Any] | None = None) -> Settings:
    try:
        return Settings(**(overrides or {}))
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']).upper() or 'settings'}: {err['msg']}"
            for err in exc.errors()
        )
        raise SystemExit(f"Configuration error: {problems}") from None


def run_bot(settings: Settings) -> None:
    """Serve Telegram until interrupted; start-up failures end in one clear line."""
    from telegram import Update
    from telegram.error import InvalidToken, NetworkError

    # Telegram is served from the first second; questions wait for the knowledge base alone.
    services = build_services(settings, knowledge_in_background=True)
    application = build_application(settings, services=services)
    try:
        if settings.run_mode == "webhook":
            asyncio.run(_run_webhook(application, settings))
        else:
            application.run_polling(allowed_updates=Update.ALL_TYPES)
    except InvalidToken:
        raise SystemExit("Telegram rejected BOT_TOKEN: check the token from @BotFather.") from None
    except DatabaseUnavailable as exc:
        raise SystemExit(f"Cannot start: {exc}") from None
    except NetworkError as exc:
        raise SystemExit(
            f"Cannot reach the Bot API at {settings.telegram_api_url}: {exc.message}"
        ) from None


async def _run_webhook(
    application: Application[Any, Any, Any, Any, Any, Any], settings: Settings
) -> None:
    """Serve the webhook until SIGINT or SIGTERM (what systemd and docker send), then stop
    gracefully: no new updates, the ones in flight finished."""
    from handlers.webhook import serve_webhook

    assert settings.webhook_url is not None
    assert settings.webhook_secret is not None
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    await serve_webhook(
        application,
        webhook_url=f"{settings.webhook_url.rstrip('/')}/{settings.webhook_path}",
        path=settings.webhook_path,
        secret=settings.webhook_secret.get_secret_value(),
        listen=settings.webhook_listen,
        port=settings.webhook_port,
        stop=stop,
    )


async def _with_services(settings: Settings, work: Any) -> Any:
    services = build_services(settings)
    try:
        await services.start()
        return await work(services)
    except DatabaseUnavailable as exc:
        raise SystemExit(f"Cannot start: {exc}") from None
    finally:
        await services.close()


def cmd_migrate(settings: Settings, _args: argparse.Namespace) -> int:
    async def work(services: Services) -> None:
        _emit(f"Database is up to date: {services.database.safe_url}")

    asyncio.run(_with_services(settings, work))
    return 0


def cmd_invite(settings: Settings, args: argparse.Namespace) -> int:
    async def work(services: Services) -> None:
        try:
            issued = await services.access.create_invite(
                AccessService.system_actor(), Role(args.role), args.staff_no, args.supervisor
            )
        except InvalidInput as exc:
            raise SystemExit(services.texts.plain(args.lang, exc.key, **exc.params)) from None
        _emit(
            services.texts.plain(
                args.lang,
                "invite.created",
                invite=issued,
                link=_deep_link(args.bot_username, issued.code),
                expires=issued.expires_at,
            )
        )

    asyncio.run(_with_services(settings, work))
    return 0


def _emit(text: str) -> None:
    """Command-line output (the log goes to stderr; results go to stdout)."""
    sys.stdout.write(text + "\n")


def _deep_link(bot_username: str | None, code: str) -> str:
    return f"https://t.me/{bot_username or '<bot_username>'}?start={code}"


def cmd_import(settings: Settings, args: argparse.Namespace) -> int:
    async def work(services: Services) -> bool:
        path = Path(args.file)
        if not path.is_file():
            raise SystemExit(f"No such file: {path}")
        if args.dry_run:
            report = await services.importer.preview(path)
        else:
            report = await services.importer.apply(path, actor_officer_id=None)
        _emit(render_report(report, services.texts, args.lang, html=False))
        return report.ok

    return 0 if asyncio.run(_with_services(settings, work)) else 1


def cmd_export(settings: Settings, args: argparse.Namespace) -> int:
    async def work(services: Services) -> None:
        try:
            archive = await services.reports.export_client(
                AccessService.system_actor(), args.client, args.lang, today=services.today()
            )
        except NotFound:
            raise SystemExit(f"No client {args.client!r} in the portfolio.") from None
        out = Path(args.out or f"{args.client}_history.zip")
        out.write_bytes(archive)
        _emit(f"Exported the history of client {args.client} to {out} ({len(archive):,} bytes).")

    asyncio.run(_with_services(settings, work))
    return 0


def cmd_reindex(settings: Settings, _args: argparse.Namespace) -> int:
    knowledge = build_knowledge(settings)
    try:
        report = asyncio.run(knowledge.load(force=True))
    except KnowledgeError as exc:
        raise SystemExit(
            f"Knowledge base not rebuilt (the previous index is kept): {exc}"
        ) from None
    _emit(
        f"Knowledge base rebuilt: {len(knowledge.entries)} entries, "
        f"{report.vectors_embedded} vectors."
    )
    return 0


def _backup_locations(settings: Settings) -> Any:
    from assistant.backup.archive import locations

    return locations(
        settings.data_dir,
        settings.database_dsn,
        chroma_path=settings.chroma_path,
        chroma_url=settings.chroma_url,
    )


def cmd_backup(settings: Settings, args: argparse.Namespace) -> int:
    from assistant.backup.archive import BackupError, Progress
    from assistant.backup.create import create_backup

    try:
        summary = create_backup(
            _backup_locations(settings),
            Path(args.out) if args.out else None,
            files_only=args.files_only,
            progress=Progress(sys.stderr),
        )
    except BackupError as exc:
        raise SystemExit(str(exc)) from None
    _emit(summary.line())
    return 0


def cmd_restore(settings: Settings, args: argparse.Namespace) -> int:
    from assistant.backup.archive import BackupError, Progress
    from assistant.backup.restore import restore_backup

    try:
        summary = restore_backup(
            _backup_locations(settings),
            Path(args.file),
            force=args.force,
            files_only=args.files_only,
            progress=Progress(sys.stderr),
        )
    except BackupError as exc:
        raise SystemExit(str(exc)) from None
    _emit(summary.line())
    return 0


async def _client_for_question(services: Services, code: str | None) -> ClientCard | None:
    """The client named on the command line: from the bank's portfolio, or on a fresh install
    (no portfolio imported yet) from the demo portfolio."""
    if code is None:
        return None
    actor = AccessService.system_actor()
    try:
        return await services.portfolio.client_card(actor, code, today=services.today())
    except NotFound:
        if await services.portfolio.count_clients() > 0:
            raise SystemExit(f"No client {code!r} in the portfolio.") from None
    demo = build_services(_demo_settings(services.settings), knowledge=services.knowledge)
    try:
        await demo.database.start()
        await seed_demo(demo)
        card = await demo.portfolio.client_card(actor, code, today=services.today())
    except NotFound:
        raise SystemExit(f"No client {code!r} in the portfolio or the demo portfolio.") from None
    finally:
        await demo.database.dispose()
    log.warning("no portfolio imported yet: client %s is taken from the demo portfolio", code)
    return card


def cmd_ask(settings: Settings, args: argparse.Namespace) -> int:
    if args.batch is None and not args.question:
        raise SystemExit("Give a question, or --batch FILE.jsonl")

    questions = (
        _read_batch(Path(args.batch)) if args.batch is not None else [(args.question, args.client)]
    )

    async def work(services: Services) -> None:
        try:
            await services.knowledge.load()
        except KnowledgeError as exc:
            raise SystemExit(f"The knowledge base cannot be loaded: {exc}") from None
        if any(code for _, code in questions):
            # Only questions about a client need the portfolio.
            await services.database.start()
        cards: dict[str | None, ClientCard | None] = {}
        for question, code in questions:
            if code not in cards:
                cards[code] = await _client_for_question(services, code)
            card = cards[code]

            async def client_checks(card: ClientCard | None = card) -> list[Check]:
                assert card is not None
                try:
                    return await services.visits.checks(
                        AccessService.system_actor(), card.code, today=services.today()
                    )
                except NotFound:
                    # A demo client (no portfolio imported): what its loan file says.
                    return services.visits.file_checks(card)

            answer = await services.answers.answer(
                question,
                lang=args.lang or "zh",
                client=card,
                follow_question_language=args.lang is None,
                client_checks=client_checks,
            )
            text = render_answer(answer, services.texts, html=False)
            if args.json:
                _emit(json.dumps(answer_json(answer, text), ensure_ascii=False))
            else:
                _emit(text)

    services = build_services(settings)
    try:
        asyncio.run(work(services))
    except DatabaseUnavailable as exc:
        raise SystemExit(f"Cannot start: {exc}") from None
    except KnowledgeError as exc:
        # The vector store went away in the middle of a batch: the answers so far are printed.
        raise SystemExit(f"The knowledge base became unavailable: {exc}") from None
    finally:
        asyncio.run(services.close())
    return 0


def _read_jsonl(path: Path, read: Callable[[Any], T], expected: str) -> list[T]:
    """Each non-blank line of ``path`` read by ``read``; a line it cannot read (ValueError,
    KeyError, TypeError) stops with its number and what was ``expected``."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise SystemExit(f"Cannot read {path}: {exc}") from None
    rows: list[T] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            rows.append(read(json.loads(line)))
        except (ValueError, KeyError, TypeError):
            raise SystemExit(f"{path}, line {number}: expected {expected}") from None
    return rows


def _read_batch(path: Path) -> list[tuple[str, str | None]]:
    return _read_jsonl(
        path, lambda row: (str(row["q"]), row.get("client")), '{"q": ..., "client": ...}'
    )


def answer_json(answer: Answer, text: str) -> dict[str, Any]:
    """The ``ask --json`` contract: answer text, whether it is grounded, and sources best first."""
    return {
        "answer": text,
        "grounded": answer.grounded,
        "sources": [{"id": s.id, "title": s.title, "score": s.score} for s in answer.sources]
        if answer.grounded
        else [],
    }


def cmd_debrief(settings: Settings, args: argparse.Namespace) -> int:
    if args.batch is None and not args.client:
        raise SystemExit(
            "Give --client CODE (the paragraph on standard input), or --batch FILE.jsonl"
        )
    rows = (
        _read_debrief_batch(Path(args.batch))
        if args.batch is not None
        else [(args.client, sys.stdin.read())]
    )

    async def work(services: Services) -> None:
        await services.database.start()
        checklist = services.visits.checklist
        cards: dict[str, ClientCard] = {}
        for code, text in rows:
            if code not in cards:
                card = await _client_for_question(services, code)
                assert card is not None
                cards[code] = card
            card = cards[code]
            check = loan_checks(card, settings.first_check_days)
            asked = applicable(checklist, card, check, {})
            answers = await services.debrief.extract(
                text, list(walk(asked)), lang=args.lang, kind=card.kind.value
            )
            filled = {a.item_id for a in answers}
            asked_ids = {item.id for item in asked}
            left = [
                item.id
                for item in asked
                if item.type is not AnswerType.TEXT
                and item.id not in filled
                # A question that repeats another is answered with it.
                and not (item.same_as and item.same_as in asked_ids)
            ]
            if args.json:
                payload = {
                    "answers": [debrief_json(checklist.item(a.item_id), a) for a in answers],
                    "questions_left": left,
                }
                _emit(json.dumps(payload, ensure_ascii=False))
            else:
                shown = [_debrief_shown(checklist.item(a.item_id), a, args.lang) for a in answers]
                _emit(
                    services.texts.plain(
                        args.lang, "debrief.recorded", answers=shown, left=len(left)
                    )
                )

    services = build_services(settings)
    try:
        asyncio.run(work(services))
    except DatabaseUnavailable as exc:
        raise SystemExit(f"Cannot start: {exc}") from None
    finally:
        asyncio.run(services.close())
    return 0


def _read_debrief_batch(path: Path) -> list[tuple[str, str]]:
    def read(row: Any) -> tuple[str, str]:
        code, text = row["client"], row["text"]
        if not isinstance(code, str) or not isinstance(text, str) or not code:
            raise TypeError("client and text must be text")
        return code, text

    return _read_jsonl(path, read, '{"client": CODE, "text": ...}')


def debrief_json(item: Item, answer: Extracted) -> dict[str, Any]:
    """One answer of the ``debrief --json`` contract: money in 元, percentages 0–100, yes/no as
    true/false, a choice as its option id."""
    unit = "元" if item.type is AnswerType.MONEY else item.unit
    return {"id": answer.item_id, "value": answer.value, "unit": unit, "text": answer.text}


def _debrief_shown(item: Item, answer: Extracted, lang: Lang) -> dict[str, Any]:
    if item.type is AnswerType.CHOICE:
        shown = item.option(str(answer.value)).label.get(lang)
    elif item.type is AnswerType.MONEY:
        shown = f"{answer.value:,} {'yuan' if lang == 'en' else '元'}"
    elif item.unit:
        shown = f"{answer.value:g}{' ' if lang == 'en' else ''}{item.unit}"
    else:
        shown = str(answer.value)
    return {
        "label": item.label.get(lang),
        "value": answer.value,
        "approximate": answer.approximate,
        "shown": shown,
    }


def _demo_settings(settings: Settings) -> Settings:
    from botapi.console import demo_settings

    return demo_settings(settings)


def cmd_console(settings: Settings, args: argparse.Namespace) -> int:
    from botapi.console import run_console

    return asyncio.run(
        run_console(
            settings,
            fresh=args.fresh,
            start_as=args.user,
            build_application=build_application,
            serve_pages=_loopback_pages(args.pages) if args.pages is not None else None,
        )
    )


def _loopback_pages(port: int) -> Callable[[Application[Any, Any, Any, Any, Any, Any]], Any]:
    """Console mode's Mini App: the pages on 127.0.0.1 only, for a desktop browser."""
    from handlers.webapp import PageServer

    def serve(application: Application[Any, Any, Any, Any, Any, Any]) -> Any:
        server = PageServer(application, listen="127.0.0.1", port=port)
        bound = server.start()
        return f"http://127.0.0.1:{bound}/app/", server.stop

    return serve


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="bot.py", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("run", help="run the bot against Telegram (the default)")
    console = sub.add_parser("console", help="chat in this terminal on demo data, no token")
    console.add_argument("--fresh", action="store_true", help="start from a new demo database")
    console.add_argument(
        "--pages",
        type=int,
        nargs="?",
        const=8765,
        metavar="PORT",
        help="also serve the Mini App's pages on 127.0.0.1 (default port 8765); :page links them",
    )
    console.add_argument(
        "--user",
        default="officer",
        help="who you are at first: admin, supervisor, officer, newcomer, ...",
    )
    sub.add_parser("migrate", help="apply database migrations")
    invite = sub.add_parser("invite", help="issue a one-time invite code")
    invite.add_argument("role", choices=[r.value for r in Role])
    invite.add_argument("--staff-no")
    invite.add_argument("--supervisor", help="the supervisor's staff number")
    invite.add_argument("--bot-username", help="to print the t.me deep link")
    invite.add_argument("--lang", choices=LANGUAGES, default="zh")
    imp = sub.add_parser("import", help="import the portfolio from .xlsx or .csv")
    imp.add_argument("file")
    imp.add_argument("--dry-run", action="store_true", help="check and show changes only")
    imp.add_argument("--lang", choices=LANGUAGES, default="zh")
    ask = sub.add_parser("ask", help="ask the knowledge base a question")
    ask.add_argument("question", nargs="?")
    ask.add_argument("--client", help="the client code the question is about")
    ask.add_argument("--lang", choices=LANGUAGES, help="answer language (default: the question's)")
    ask.add_argument("--json", action="store_true", help="one JSON object per answer")
    ask.add_argument("--batch", help='a JSONL file of {"q": ..., "client": ...} lines')
    debrief = sub.add_parser(
        "debrief",
        help="the answers a free-form paragraph (on standard input) fills; stores nothing",
    )
    debrief.add_argument("--client", help="the client code the paragraph is about")
    debrief.add_argument("--lang", choices=LANGUAGES, default="zh", help="the paragraph's language")
    debrief.add_argument("--json", action="store_true", help="one JSON object per paragraph")
    debrief.add_argument("--batch", help='a JSONL file of {"client": ..., "text": ...} lines')
    sub.add_parser("reindex", help="rebuild the knowledge-base index from knowledge/")
    export = sub.add_parser(
        "export", help="a client's whole history as a ZIP: reports, photos, answers (JSON, CSV)"
    )
    export.add_argument("client", help="the client code")
    export.add_argument("--out", help="the ZIP file to write (default: CLIENT_history.zip)")
    export.add_argument("--lang", choices=LANGUAGES, default="zh")
    backup = sub.add_parser(
        "backup",
        help="back up the database, evidence files and index into one .tar.gz (bot may run)",
    )
    backup.add_argument(
        "--out", help="the archive to write (default: DATA_DIR/backups/backup-<UTC time>.tar.gz)"
    )
    backup.add_argument(
        "--files-only",
        action="store_true",
        help="leave the database out (implied for PostgreSQL: use pg_dump)",
    )
    restore = sub.add_parser(
        "restore", help="restore a backup archive (stop the bot first); checks it before anything"
    )
    restore.add_argument("file", help="the backup archive (.tar.gz)")
    restore.add_argument(
        "--force",
        action="store_true",
        help="replace existing data (it is moved to DATA_DIR/before-restore-<time>/ first)",
    )
    restore.add_argument(
        "--files-only", action="store_true", help="restore the files and index, not the database"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    settings = _load_settings()
    _configure_logging(settings.log_level)
    command = args.command or "run"
    if command == "run" and settings.bot_token is None:
        # A newcomer's first `python bot.py` should show the bot, not an error.
        log.warning(
            "BOT_TOKEN is not set: starting console mode on demo data. "
            "Set BOT_TOKEN to run on Telegram."
        )
        args = _parser().parse_args(["console"])
        command = "console"
    if command == "run":
        run_bot(settings)
        return 0
    handlers = {
        "migrate": cmd_migrate,
        "invite": cmd_invite,
        "import": cmd_import,
        "console": cmd_console,
        "ask": cmd_ask,
        "debrief": cmd_debrief,
        "reindex": cmd_reindex,
        "export": cmd_export,
        "backup": cmd_backup,
        "restore": cmd_restore,
    }
    return handlers[command](settings, args)


if __name__ == "__main__":
    sys.exit(main())
