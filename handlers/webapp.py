"""The Mini App's HTTP side: the page itself and the JSON its scripts call.

Every API request carries Telegram's ``initData`` in ``X-Telegram-Init-Data``; it is checked
against the bot's own token and mapped to a registered officer before anything is read
(:meth:`~assistant.miniapp.pages.MiniAppService.visitor`). Writes are JSON bodies sent with that
header: a form on another site can neither set the header nor send JSON without a CORS
preflight, which is never granted, so no cookie or CSRF token is needed. What is not the
viewer's own, or their team's, is answered 404 as if it did not exist.

After a submission or a decision on the page, the chat receives exactly what the chat's own
buttons send (:func:`handlers.report.deliver_submission`, :func:`handlers.report.deliver_review`).
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import Application
from tornado.httpserver import HTTPServer
from tornado.netutil import bind_sockets
from tornado.web import Application as TornadoApplication
from tornado.web import Finish, RequestHandler, StaticFileHandler

from assistant.errors import AccessDenied, AssistantError, DatabaseUnavailable, NotFound
from assistant.miniapp.initdata import InitDataRejected
from assistant.miniapp.pages import MiniAppService, Visitor
from handlers.context import SERVICES_KEY, BotContext
from handlers.report import deliver_review, deliver_submission

log = logging.getLogger(__name__)

PAGES_DIR = Path(__file__).resolve().parent.parent / "prompts" / "webapp"
INIT_HEADER = "X-Telegram-Init-Data"
MAX_BODY = 64 * 1024
# Scripts, styles and the chart library come from this server only; photos are fetched with
# the launch data and shown from blob: URLs. Telegram's web client shows the page in a frame.
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob:; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'self' https://web.telegram.org"
)


def _secure(handler: RequestHandler) -> None:
    handler.set_header("Content-Security-Policy", CSP)
    handler.set_header("X-Content-Type-Options", "nosniff")
    handler.set_header("Referrer-Policy", "no-referrer")


class _Page(RequestHandler):
    """``GET /app/``: the page; which view it shows is in the query (``?report=12``)."""

    def set_default_headers(self) -> None:
        _secure(self)
        self.set_header("Cache-Control", "no-cache")

    def get(self) -> None:
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.finish((PAGES_DIR / "index.html").read_bytes())


class _Static(StaticFileHandler):
    def set_default_headers(self) -> None:
        _secure(self)


class _Api(RequestHandler):
    """Checks who asks before any handler method runs; turns the services' errors into
    statuses with a message in the visitor's language."""

    visitor: Visitor

    def initialize(self, bot_app: Application[Any, Any, Any, Any, Any, Any]) -> None:
        self.bot_app = bot_app
        self.services = bot_app.bot_data[SERVICES_KEY]
        self.miniapp: MiniAppService = self.services.miniapp

    def set_default_headers(self) -> None:
        _secure(self)
        self.set_header("Cache-Control", "no-store")

    async def prepare(self) -> None:
        if self.request.method == "POST":
            kind = self.request.headers.get("Content-Type", "").split(";")[0].strip()
            if kind != "application/json":
                self._fail(415, "webapp.bad_request")
        init_data = self.request.headers.get(INIT_HEADER, "")
        try:
            self.visitor = await self.miniapp.visitor(init_data, self.bot_app.bot.token)
        except InitDataRejected:
            self._fail(401, "webapp.unauthorised")
        except DatabaseUnavailable:
            self._fail(503, "webapp.database_down")

    def _fail(self, status: int, key: str, **params: Any) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "application/json; charset=utf-8")
        message = self._message(key, **params)
        self.finish(json.dumps({"error": key, "message": message}, ensure_ascii=False))
        raise Finish()

    async def call(self, work: Any) -> Any:
        try:
            return await work
        except (NotFound, AccessDenied):
            # Another team's report looks like no report at all.
            self._fail(404, "webapp.not_found")
        except DatabaseUnavailable:
            self._fail(503, "webapp.database_down")
        except AssistantError as exc:
            self._fail(409, exc.key, **exc.params)

    def _message(self, key: str, **params: Any) -> str:
        """In the visitor's language; before it is known who asks, in both."""
        visitor = getattr(self, "visitor", None)
        if visitor is not None:
            return self.services.texts.plain(visitor.lang, key, **params)
        return " / ".join(self.services.texts.plain(lang, key, **params) for lang in ("zh", "en"))

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        # A fault of ours: a message the page can show, never a traceback or the request.
        self.set_header("Content-Type", "application/json; charset=utf-8")
        message = self._message("error.generic")
        self.finish(json.dumps({"error": "error.generic", "message": message}, ensure_ascii=False))

    def body(self) -> dict[str, Any]:
        try:
            data = json.loads(self.request.body or b"{}")
        except ValueError:
            data = None
        if not isinstance(data, dict):
            self._fail(400, "webapp.bad_request")
        return data

    def reply(self, data: Any) -> None:
        self.set_header("Content-Type", "application/json; charset=utf-8")
        self.finish(json.dumps(data, ensure_ascii=False, default=str))

    async def tell(self, deliver: Any, outcome: Any) -> bool:
        """Send the chat what its own button would have sent after ``outcome``. The decision is
        stored already: a message Telegram refuses is logged, and the page still says done."""
        telegram_id = self.visitor.viewer.telegram_id
        context = BotContext(self.bot_app, chat_id=telegram_id, user_id=telegram_id)
        context.viewer = self.visitor.viewer
        try:
            await deliver(Update(update_id=0), context, outcome)
        except TelegramError as exc:
            log.warning("page action stored, chat not told: %s", type(exc).__name__)
            return False
        return True


class _Home(_Api):
    async def get(self) -> None:
        self.reply(await self.call(self.miniapp.pending(self.visitor)))


class _Report(_Api):
    async def get(self, report_id: str) -> None:
        self.reply(await self.call(self.miniapp.report(self.visitor, int(report_id))))


class _Edit(_Api):
    async def post(self, report_id: str) -> None:
        data = self.body()
        field, text, section = data.get("field"), data.get("text"), data.get("section")
        if not isinstance(field, str) or not isinstance(text, str):
            self._fail(400, "webapp.bad_request")
        page = await self.call(
            self.miniapp.edit(
                self.visitor,
                int(report_id),
                field,
                text,
                section if isinstance(section, str) else None,
            )
        )
        self.reply(page)


class _Submit(_Api):
    async def post(self, report_id: str) -> None:
        submission = await self.call(self.miniapp.submit(self.visitor, int(report_id)))
        told = await self.tell(deliver_submission, submission)
        self.reply({"ok": True, "version": submission.view.data.version, "told": told})


class _Review(_Api):
    async def post(self, report_id: str) -> None:
        data = self.body()
        version, approve = data.get("version"), data.get("approve")
        comment, section = data.get("comment"), data.get("section")
        if type(version) is not int or not isinstance(approve, bool):
            self._fail(400, "webapp.bad_request")
        review = await self.call(
            self.miniapp.review(
                self.visitor,
                int(report_id),
                version,
                approve=approve,
                comment=comment if isinstance(comment, str) else None,
                section=section if isinstance(section, str) else None,
            )
        )
        told = await self.tell(deliver_review, review)
        self.reply({"ok": True, "approved": review.approved, "told": told})


class _Photo(_Api):
    async def get(self, report_id: str, evidence_id: str) -> None:
        full = self.get_query_argument("size", "thumb") == "full"
        picture = await self.call(
            self.miniapp.picture(self.visitor, int(report_id), int(evidence_id), full=full)
        )
        self.set_header("Content-Type", picture.mime_type)
        self.set_header("Cache-Control", "private, max-age=300")
        self.finish(picture.data)


class _Team(_Api):
    async def get(self) -> None:
        self.reply(await self.call(self.miniapp.team(self.visitor, self.services.today())))


class _Acknowledge(_Api):
    async def post(self, alert_id: str) -> None:
        await self.call(self.miniapp.acknowledge(self.visitor, int(alert_id)))
        self.reply({"ok": True})


def page_routes(application: Application[Any, Any, Any, Any, Any, Any]) -> list[tuple[Any, ...]]:
    """The Mini App's routes, for the webhook server or console mode's loopback server."""
    app = {"bot_app": application}
    return [
        (r"/app/?", _Page),
        (r"/app/static/(.*)", _Static, {"path": str(PAGES_DIR / "static")}),
        (r"/app/api/home", _Home, app),
        (r"/app/api/report/(\d{1,12})", _Report, app),
        (r"/app/api/report/(\d{1,12})/edit", _Edit, app),
        (r"/app/api/report/(\d{1,12})/submit", _Submit, app),
        (r"/app/api/report/(\d{1,12})/review", _Review, app),
        (r"/app/api/report/(\d{1,12})/photo/(\d{1,12})", _Photo, app),
        (r"/app/api/team", _Team, app),
        (r"/app/api/alert/(\d{1,12})/ack", _Acknowledge, app),
    ]


class PageServer:
    """The pages alone on ``listen:port``: console mode serves them on loopback."""

    def __init__(
        self, application: Application[Any, Any, Any, Any, Any, Any], *, listen: str, port: int
    ) -> None:
        self._server = HTTPServer(
            TornadoApplication(page_routes(application)), max_body_size=MAX_BODY
        )
        self.listen, self.port = listen, port

    def start(self) -> int:
        """Listen; returns the port (a free one when ``port`` is 0)."""
        bound = bind_sockets(self.port, address=self.listen)
        self._server.add_sockets(bound)
        self.port = bound[0].getsockname()[1]
        return self.port

    async def stop(self) -> None:
        self._server.stop()
        await self._server.close_all_connections()
