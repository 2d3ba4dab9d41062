"""The stand-in served over HTTP on loopback, for a bot running in another process.

Point the bot at it with ``TELEGRAM_API_URL=http://127.0.0.1:PORT/bot`` and
``TELEGRAM_FILE_URL=http://127.0.0.1:PORT/file/bot``: that is exactly how a self-hosted Bot API
server is configured, so it proves the bot runs unmodified against one.
"""

from __future__ import annotations

import json
import logging
import socket
from typing import Any

from tornado.httpserver import HTTPServer
from tornado.web import Application, RequestHandler

from botapi.standin import BotApiError, FakeBotApi

log = logging.getLogger(__name__)


def _decode(value: str) -> Any:
    # PTB sends every non-string parameter JSON-encoded inside the form.
    try:
        return json.loads(value)
    except ValueError:
        return value


class _MethodHandler(RequestHandler):
    def initialize(self, api: FakeBotApi) -> None:
        self.api = api

    async def _call(self, token: str, method: str) -> None:
        params: dict[str, Any] = {}
        content_type = self.request.headers.get("Content-Type", "")
        if content_type.startswith("application/json") and self.request.body:
            params = json.loads(self.request.body)
        else:
            for name, values in self.request.arguments.items():
                params[name] = _decode(values[-1].decode())
        files = {
            name: (parts[0].filename, parts[0].body, parts[0].content_type)
            for name, parts in self.request.files.items()
        }
        try:
            result = await self.api.handle(token, method, params, files)
            body: dict[str, Any] = {"ok": True, "result": result}
            status = 200
        except BotApiError as exc:
            status = exc.status
            body = {"ok": False, "error_code": exc.status, "description": exc.description}
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(body, ensure_ascii=False))

    async def post(self, token: str, method: str) -> None:
        await self._call(token, method)

    async def get(self, token: str, method: str) -> None:
        await self._call(token, method)


class _FileHandler(RequestHandler):
    def initialize(self, api: FakeBotApi) -> None:
        self.api = api

    def get(self, token: str, path: str) -> None:
        try:
            content = self.api.file_content(token, path)
        except BotApiError as exc:
            self.set_status(exc.status)
            self.finish(exc.description)
            return
        self.finish(content)


class BotApiHttpServer:
    """Serves a :class:`FakeBotApi` on ``127.0.0.1`` at a free port."""

    def __init__(self, api: FakeBotApi, host: str = "127.0.0.1") -> None:
        self.api = api
        self.host = host
        self.port = 0
        self._server: HTTPServer | None = None

    @property
    def api_url(self) -> str:
        return f"http://{self.host}:{self.port}/bot"

    @property
    def file_url(self) -> str:
        return f"http://{self.host}:{self.port}/file/bot"

    async def start(self) -> None:
        app = Application(
            [
                (r"/file/bot([^/]+)/(.+)", _FileHandler, {"api": self.api}),
                (r"/bot([^/]+)/(\w+)", _MethodHandler, {"api": self.api}),
            ]
        )
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, 0))
        sock.listen(128)
        sock.setblocking(False)
        self.port = sock.getsockname()[1]
        self._server = HTTPServer(app, max_body_size=60 * 1024 * 1024)
        self._server.add_sockets([sock])

    async def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            await self._server.close_all_connections()
