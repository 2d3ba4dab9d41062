"""Webhook mode: the HTTP server Telegram (through the bank's reverse proxy) posts updates to.

PTB's own webhook server takes updates only. Behind a proxy with several replicas, each replica
also needs a health endpoint the proxy can poll and metrics Prometheus can scrape, and a stop
that finishes what is in flight, so this small tornado application serves:

- ``POST /<WEBHOOK_PATH>``: an update, accepted only with the secret token Telegram sends in
  ``X-Telegram-Bot-Api-Secret-Token`` (compared in constant time); it is queued and answered 200
  at once, as Telegram expects;
- ``GET /healthz``: 200 when the database answers, 503 otherwise, with the status of the
  database and the knowledge base as JSON (no customer data);
- ``GET /metrics``: the Prometheus exposition;
- ``/app/``: the Mini App's pages and their API (:mod:`handlers.webapp`).
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from typing import Any

from telegram import Update
from telegram.ext import Application
from tornado.httpserver import HTTPServer
from tornado.web import Application as TornadoApplication
from tornado.web import RequestHandler

from handlers.context import SERVICES_KEY
from handlers.webapp import page_routes

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_BODY = 1024 * 1024


class _UpdateHandler(RequestHandler):
    def initialize(self, bot_app: Application[Any, Any, Any, Any, Any, Any], secret: str):
        self.bot_app = bot_app
        self.secret = secret

    async def post(self) -> None:
        given = self.request.headers.get(SECRET_HEADER, "")
        if not self.secret or not hmac.compare_digest(given.encode(), self.secret.encode()):
            # Whoever guesses the path still cannot feed the bot updates.
            self.set_status(403)
            return
        try:
            data = json.loads(self.request.body)
            update = Update.de_json(data, self.bot_app.bot)
        except (ValueError, TypeError, KeyError):
            self.set_status(400)
            return
        await self.bot_app.update_queue.put(update)
        self.set_status(200)


class _HealthHandler(RequestHandler):
    def initialize(self, bot_app: Application[Any, Any, Any, Any, Any, Any]) -> None:
        self.bot_app = bot_app

    async def get(self) -> None:
        status = await self.bot_app.bot_data[SERVICES_KEY].health()
        self.set_status(200 if status["database"] == "ok" else 503)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(status))


class _MetricsHandler(RequestHandler):
    def initialize(self, bot_app: Application[Any, Any, Any, Any, Any, Any]) -> None:
        self.bot_app = bot_app

    def get(self) -> None:
        body, content_type = self.bot_app.bot_data[SERVICES_KEY].metrics.render()
        self.set_header("Content-Type", content_type)
        self.finish(body)


class WebhookServer:
    """Listens on ``listen:port``; :meth:`stop` stops accepting before the bot stops."""

    def __init__(
        self,
        application: Application[Any, Any, Any, Any, Any, Any],
        *,
        path: str,
        secret: str,
        listen: str,
        port: int,
    ) -> None:
        routes = [
            (f"/{path.strip('/')}", _UpdateHandler, {"bot_app": application, "secret": secret}),
            ("/healthz", _HealthHandler, {"bot_app": application}),
            ("/metrics", _MetricsHandler, {"bot_app": application}),
            *page_routes(application),
        ]
        self._server = HTTPServer(TornadoApplication(routes), max_body_size=MAX_BODY)
        self.listen, self.port = listen, port

    def start(self) -> None:
        self._server.listen(self.port, address=self.listen)
        log.info("webhook server listening on %s:%d", self.listen, self.port)

    async def stop(self) -> None:
        self._server.stop()
        await self._server.close_all_connections()


async def serve_webhook(
    application: Application[Any, Any, Any, Any, Any, Any],
    *,
    webhook_url: str,
    path: str,
    secret: str,
    listen: str,
    port: int,
    stop: asyncio.Event,
) -> None:
    """Run the bot in webhook mode until ``stop`` is set, then shut down gracefully.

    On stop the server first refuses new connections (the proxy sends them to the other
    replicas), then PTB finishes the updates already queued or in progress, and only then are
    the services closed.
    """
    await application.initialize()
    try:
        if application.post_init:
            await application.post_init(application)
        await application.bot.set_webhook(
            url=webhook_url, secret_token=secret, allowed_updates=Update.ALL_TYPES
        )
        await application.start()
        server = WebhookServer(application, path=path, secret=secret, listen=listen, port=port)
        server.start()
        await stop.wait()
        await server.stop()
        # Application.stop processes what is queued and waits for the tasks in flight.
        await application.stop()
        if application.post_stop:
            await application.post_stop(application)
    finally:
        await application.shutdown()
        if application.post_shutdown:
            await application.post_shutdown(application)
