"""An in-process stand-in for the Telegram Bot API.

:class:`FakeBotApi` keeps the server side of a Bot API conversation: users, the updates waiting for
``getUpdates``, the messages the bot sent (and later edited), files in both directions and the
command menus. :class:`InProcessRequest` plugs it into PTB as a ``BaseRequest``, so the real
``Application`` runs unmodified, with no network; the HTTP front end in ``botapi.http`` serves the
same object over a socket for a bot running in another process.
"""

from __future__ import annotations

import asyncio
import html
import itertools
import json
import logging
import re
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import unquote

import httpx
from telegram.error import NetworkError, TelegramError, TimedOut
from telegram.request import BaseRequest, RequestData

from botapi.markdown import MarkdownV2Error, markdown_v2_to_html

log = logging.getLogger(__name__)

DEFAULT_TOKEN = "123456789:LOCAL-STAND-IN-TOKEN"
STANDIN_API_URL = "http://bot-api.invalid/bot"
STANDIN_FILE_URL = "http://bot-api.invalid/file/bot"

_TAG = re.compile(r"<[^>]+>")


def formatted_html(text: str, parse_mode: str | None) -> str:
    """The message as HTML, whichever parse mode it was sent in.

    Raises:
        BotApiError: MarkdownV2 that Telegram would refuse, with Telegram's own 400 answer.
    """
    if parse_mode is None:
        return html.escape(text, quote=False)
    if parse_mode.lower() == "markdownv2":
        try:
            return markdown_v2_to_html(text)
        except MarkdownV2Error as exc:
            raise BotApiError(400, f"Bad Request: {exc}") from None
    return text


def visible_text(text_html: str) -> str:
    """What a Telegram client shows for an HTML-formatted message."""
    return html.unescape(_TAG.sub("", text_html))


@dataclass
class FakeUser:
    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = "zh-hans"

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        for key in ("last_name", "username", "language_code"):
            if getattr(self, key):
                data[key] = getattr(self, key)
        return data


@dataclass
class StoredFile:
    file_id: str
    file_unique_id: str
    content: bytes
    file_name: str | None = None
    mime_type: str | None = None

    @property
    def path(self) -> str:
        return f"files/{self.file_id}"


@dataclass
class BotMessage:
    """A message the bot sent, as the user's client holds it (edits replace text and buttons)."""

    message_id: int
    chat_id: int
    text_html: str = ""
    buttons: list[list[dict[str, Any]]] = field(default_factory=list)
    document: StoredFile | None = None
    photo: StoredFile | None = None
    edits: int = 0
    raw: dict[str, Any] = field(default_factory=dict)

    @property
    def text(self) -> str:
        return visible_text(self.text_html)

    @property
    def button_labels(self) -> list[str]:
        return [b["text"] for row in self.buttons for b in row]


class BotApiError(Exception):
    def __init__(
        self, status: int, description: str, parameters: dict[str, Any] | None = None
    ) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        # Telegram's ResponseParameters, e.g. {"retry_after": 3} on a 429.
        self.parameters = parameters


class FakeBotApi:
    """The Bot API's side of the conversation, shared by every transport that fronts it."""

    def __init__(
        self,
        *,
        token: str = DEFAULT_TOKEN,
        username: str = "loan_visit_assistant_bot",
        first_name: str = "贷后回访助手",
    ) -> None:
        self.token = token
        self.bot_id = int(token.split(":", 1)[0])
        self.bot_user = {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": first_name,
            "username": username,
            "can_join_groups": False,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }
        self.users: dict[int, FakeUser] = {}
        self.files: dict[str, StoredFile] = {}
        self.messages: dict[tuple[int, int], BotMessage] = {}
        self._by_chat: dict[int, dict[int, BotMessage]] = {}
        # Everything the bot did, in order: ("send" | "edit" | "markup" | "delete", BotMessage).
        self.events: list[tuple[str, BotMessage]] = []
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.callback_answers: dict[str, dict[str, Any]] = {}
        self.commands: dict[tuple[str, str], list[dict[str, str]]] = {}
        self.webhook: dict[str, Any] | None = None
        self._pending: list[dict[str, Any]] = []
        self._acked_offset = 0
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1)
        self._changed = asyncio.Condition()
        self._activity = asyncio.Event()
        # Failures armed by a test: ``api.faults.fail_next("sendMessage", "timeout")``.
        self.faults = Faults()

    # ------------------------------------------------------------------ the user's side
    def add_user(self, user: FakeUser) -> FakeUser:
        self.users[user.id] = user
        return user

    def store_file(
        self, content: bytes, *, file_name: str | None = None, mime_type: str | None = None
    ) -> StoredFile:
        unique = uuid.uuid4().hex[:16]
        stored = StoredFile(f"F{unique}", f"U{unique}", content, file_name, mime_type)
        self.files[stored.file_id] = stored
        return stored

    def _base_message(self, user: FakeUser) -> dict[str, Any]:
        return {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": {"id": user.id, "type": "private", "first_name": user.first_name},
            "from": user.as_dict(),
        }

    async def push(self, update_body: dict[str, Any]) -> int:
        """Queue an update for ``getUpdates``; returns its ``update_id``."""
        update_id = next(self._update_ids)
        async with self._changed:
            self._pending.append({"update_id": update_id, **update_body})
            self._changed.notify_all()
        return update_id

    def text_update(self, user: FakeUser, text: str) -> dict[str, Any]:
        """The update body of ``user`` typing ``text``, as Telegram would send it (without an
        ``update_id``): for :meth:`push`, or to post to a webhook."""
        message = self._base_message(user) | {"text": text}
        if text.startswith("/"):
            command = text.split()[0]
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        return {"message": message}

    def numbered(self, body: dict[str, Any]) -> dict[str, Any]:
        """``body`` with the next ``update_id``, for delivery outside ``getUpdates``."""
        return {"update_id": next(self._update_ids), **body}

    async def push_text(self, user: FakeUser, text: str) -> int:
        return await self.push(self.text_update(user, text))

    async def push_document(
        self,
        user: FakeUser,
        content: bytes,
        file_name: str,
        mime_type: str = "application/octet-stream",
        caption: str | None = None,
    ) -> int:
        stored = self.store_file(content, file_name=file_name, mime_type=mime_type)
        message = self._base_message(user) | {
            "document": {
                "file_id": stored.file_id,
                "file_unique_id": stored.file_unique_id,
                "file_name": file_name,
                "mime_type": mime_type,
                "file_size": len(content),
            }
        }
        if caption:
            message["caption"] = caption
        return await self.push({"message": message})

    async def push_photo(
        self,
        user: FakeUser,
        content: bytes,
        caption: str | None = None,
        media_group_id: str | None = None,
    ) -> int:
        stored = self.store_file(content, mime_type="image/jpeg")
        sizes = [
            {
                "file_id": stored.file_id,
                "file_unique_id": stored.file_unique_id,
                "width": 1280,
                "height": 960,
                "file_size": len(content),
            },
        ]
        message = self._base_message(user) | {"photo": sizes}
        if caption:
            message["caption"] = caption
        if media_group_id:
            message["media_group_id"] = media_group_id
        return await self.push({"message": message})

    async def push_voice(self, user: FakeUser, content: bytes, duration: int = 3) -> int:
        """A voice note, as Telegram sends one recorded in the app (OGG/Opus)."""
        stored = self.store_file(content, mime_type="audio/ogg")
        message = self._base_message(user) | {
            "voice": {
                "file_id": stored.file_id,
                "file_unique_id": stored.file_unique_id,
                "duration": duration,
                "mime_type": "audio/ogg",
                "file_size": len(content),
            }
        }
        return await self.push({"message": message})

    async def push_location(self, user: FakeUser, latitude: float, longitude: float) -> int:
        message = self._base_message(user) | {
            "location": {"latitude": latitude, "longitude": longitude}
        }
        return await self.push({"message": message})

    async def push_callback(
        self, user: FakeUser, message: BotMessage, data: str, query_id: str | None = None
    ) -> int:
        return await self.push(self.callback_update(user, message, data, query_id))

    def callback_update(
        self, user: FakeUser, message: BotMessage, data: str, query_id: str | None = None
    ) -> dict[str, Any]:
        """The update body of ``user`` pressing the button ``data`` on ``message``."""
        return {
            "callback_query": {
                "id": query_id or uuid.uuid4().hex,
                "from": user.as_dict(),
                "message": message.raw,
                "chat_instance": str(message.chat_id),
                "data": data,
            }
        }

    async def wait_fetched(self, update_id: int, timeout: float = 10.0) -> None:
        """Wait until the bot has fetched ``update_id`` and confirmed it with a later offset."""
        async with self._changed:
            await asyncio.wait_for(
                self._changed.wait_for(lambda: self._acked_offset > update_id), timeout
            )

    async def wait_for_messages(
        self, chat_id: int, since: int, timeout: float = 10.0
    ) -> list[BotMessage]:
        """Wait until the bot has sent something to ``chat_id`` after event ``since``."""
        async with asyncio.timeout(timeout):
            while not (found := self.events_since(since, chat_id)):
                self._activity.clear()
                await self._activity.wait()
        return found

    def chat_messages(self, chat_id: int) -> list[BotMessage]:
        """The bot's messages in one chat, oldest first (message ids only grow)."""
        return list(self._by_chat.get(chat_id, {}).values())

    def events_since(self, mark: int, chat_id: int | None = None) -> list[BotMessage]:
        """Messages sent or re-worded since ``mark``, once each, in the order last touched.

        A progress message edited into a result counts once; dropping buttons is not a reply.
        """
        touched: dict[int, BotMessage] = {}
        for kind, message in self.events[mark:]:
            if kind in ("send", "edit") and (chat_id is None or message.chat_id == chat_id):
                touched.pop(id(message), None)
                touched[id(message)] = message
        return list(touched.values())

    # ------------------------------------------------------------------ the bot's side
    async def handle(
        self,
        token: str,
        method: str,
        params: Mapping[str, Any],
        files: Mapping[str, tuple[str | None, bytes, str | None]],
    ) -> Any:
        """Execute one Bot API call; raises :class:`BotApiError` like the real server answers."""
        if token != self.token:
            raise BotApiError(401, "Unauthorized")
        name = method.lower()
        if name != "getupdates":
            self.calls.append((method, dict(params)))
        fault = await self.faults.strike(name, params)
        handler = getattr(self, f"_api_{name}", None)
        if handler is None:
            log.debug("stand-in: %s is not modelled; answering True", method)
            result: Any = True
        else:
            result = await handler(dict(params), files)
        if fault is not None:
            # The call was carried out, and then the answer never reached the bot.
            raise fault
        return result

    async def _api_getme(self, params: dict[str, Any], files: Any) -> Any:
        return self.bot_user

    async def _api_getupdates(self, params: dict[str, Any], files: Any) -> Any:
        offset = int(params.get("offset") or 0)
        timeout = float(params.get("timeout") or 0)
        async with self._changed:
            if offset > self._acked_offset:
                self._acked_offset = offset
                self._pending = [u for u in self._pending if u["update_id"] >= offset]
                self._changed.notify_all()
            if not self._pending and timeout > 0:
                try:
                    await asyncio.wait_for(
                        self._changed.wait_for(lambda: bool(self._pending)), timeout
                    )
                except TimeoutError:
                    return []
            limit = int(params.get("limit") or 100)
            return list(self._pending[:limit])

    async def _api_setwebhook(self, params: dict[str, Any], files: Any) -> Any:
        self.webhook = params
        return True

    async def _api_deletewebhook(self, params: dict[str, Any], files: Any) -> Any:
        self.webhook = None
        if params.get("drop_pending_updates"):
            self._pending.clear()
        return True

    async def _api_getwebhookinfo(self, params: dict[str, Any], files: Any) -> Any:
        return {
            "url": (self.webhook or {}).get("url", ""),
            "has_custom_certificate": False,
            "pending_update_count": len(self._pending),
        }

    async def _api_setmycommands(self, params: dict[str, Any], files: Any) -> Any:
        scope = json.dumps(params.get("scope") or {"type": "default"}, sort_keys=True)
        self.commands[(scope, params.get("language_code") or "")] = list(params["commands"])
        return True

    async def _api_getmycommands(self, params: dict[str, Any], files: Any) -> Any:
        scope = json.dumps(params.get("scope") or {"type": "default"}, sort_keys=True)
        return self.commands.get((scope, params.get("language_code") or ""), [])

    async def _api_deletemycommands(self, params: dict[str, Any], files: Any) -> Any:
        scope = json.dumps(params.get("scope") or {"type": "default"}, sort_keys=True)
        self.commands.pop((scope, params.get("language_code") or ""), None)
        return True

    async def _api_answercallbackquery(self, params: dict[str, Any], files: Any) -> Any:
        self.callback_answers[params["callback_query_id"]] = params
        return True

    def _new_message(self, params: dict[str, Any]) -> BotMessage:
        chat_id = int(params["chat_id"])
        message = BotMessage(message_id=next(self._message_ids), chat_id=chat_id)
        self.messages[(chat_id, message.message_id)] = message
        self._by_chat.setdefault(chat_id, {})[message.message_id] = message
        return message

    def _finish(self, kind: str, message: BotMessage, params: dict[str, Any]) -> dict[str, Any]:
        markup = params.get("reply_markup")
        if isinstance(markup, str):
            markup = json.loads(markup)
        # Telegram drops an inline keyboard that an edit does not repeat.
        message.buttons = markup.get("inline_keyboard", []) if markup else []
        raw: dict[str, Any] = {
            "message_id": message.message_id,
            "date": int(time.time()),
            "chat": {"id": message.chat_id, "type": "private"},
            "from": self.bot_user,
        }
        if message.text_html and message.document is None and message.photo is None:
            raw["text"] = message.text
        if message.document is not None:
            raw["document"] = {
                "file_id": message.document.file_id,
                "file_unique_id": message.document.file_unique_id,
                "file_name": message.document.file_name,
            }
            if message.text_html:
                raw["caption"] = message.text
        if message.photo is not None:
            raw["photo"] = [
                {
                    "file_id": message.photo.file_id,
                    "file_unique_id": message.photo.file_unique_id,
                    "width": 1,
                    "height": 1,
                }
            ]
        if message.buttons:
            raw["reply_markup"] = {"inline_keyboard": message.buttons}
        message.raw = raw
        self.events.append((kind, message))
        self._activity.set()
        return raw

    async def _api_sendmessage(self, params: dict[str, Any], files: Any) -> Any:
        if not str(params.get("text", "")).strip():
            raise BotApiError(400, "Bad Request: message text is empty")
        text_html = formatted_html(str(params["text"]), params.get("parse_mode"))
        if len(visible_text(text_html)) > 4096:
            raise BotApiError(400, "Bad Request: message is too long")
        if params.get("chat_id") is not None and int(params["chat_id"]) not in self.users:
            raise BotApiError(400, "Bad Request: chat not found")
        message = self._new_message(params)
        message.text_html = text_html
        return self._finish("send", message, params)

    async def _api_sendchataction(self, params: dict[str, Any], files: Any) -> Any:
        return True

    def _uploaded(
        self, params: dict[str, Any], files: Mapping[str, Any], field_name: str, default_mime: str
    ) -> StoredFile:
        value = params.get(field_name)
        if isinstance(value, str) and value.startswith("attach://"):
            file_name, content, mime = files[value.removeprefix("attach://")]
            return self.store_file(content, file_name=file_name, mime_type=mime or default_mime)
        if isinstance(value, str) and value in self.files:
            return self.files[value]
        if field_name in files:
            # A new file uploaded as the field itself (multipart), as PTB sends bytes.
            file_name, content, mime = files[field_name]
            return self.store_file(content, file_name=file_name, mime_type=mime or default_mime)
        raise BotApiError(400, f"Bad Request: no {field_name} to send")

    async def _api_senddocument(self, params: dict[str, Any], files: Any) -> Any:
        message = self._new_message(params)
        message.document = self._uploaded(params, files, "document", "application/octet-stream")
        message.text_html = str(params.get("caption") or "")
        return self._finish("send", message, params)

    async def _api_sendphoto(self, params: dict[str, Any], files: Any) -> Any:
        message = self._new_message(params)
        message.photo = self._uploaded(params, files, "photo", "image/jpeg")
        message.text_html = str(params.get("caption") or "")
        return self._finish("send", message, params)

    def _existing(self, params: dict[str, Any]) -> BotMessage:
        key = (int(params["chat_id"]), int(params["message_id"]))
        if key not in self.messages:
            raise BotApiError(400, "Bad Request: message to edit not found")
        return self.messages[key]

    async def _api_editmessagetext(self, params: dict[str, Any], files: Any) -> Any:
        message = self._existing(params)
        new_html = formatted_html(str(params["text"]), params.get("parse_mode"))
        if new_html == message.text_html and "reply_markup" not in params:
            raise BotApiError(400, "Bad Request: message is not modified")
        message.text_html = new_html
        message.edits += 1
        return self._finish("edit", message, params)

    async def _api_editmessagereplymarkup(self, params: dict[str, Any], files: Any) -> Any:
        message = self._existing(params)
        message.edits += 1
        params.setdefault("reply_markup", None)
        return self._finish("markup", message, params)

    async def _api_deletemessage(self, params: dict[str, Any], files: Any) -> Any:
        message = self.messages.pop((int(params["chat_id"]), int(params["message_id"])), None)
        if message is not None:
            self._by_chat[message.chat_id].pop(message.message_id, None)
            self.events.append(("delete", message))
        return True

    async def _api_getfile(self, params: dict[str, Any], files: Any) -> Any:
        stored = self.files.get(str(params["file_id"]))
        if stored is None:
            raise BotApiError(400, "Bad Request: invalid file_id")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.content),
            "file_path": stored.path,
        }

    async def download(self, token: str, path: str) -> bytes:
        """A file download, as ``file_content``, with injected faults (method ``"download"``)."""
        fault = await self.faults.strike("download", {"file_path": path})
        content = self.file_content(token, path)
        if fault is not None:
            raise fault
        return content

    def file_content(self, token: str, path: str) -> bytes:
        if token != self.token:
            raise BotApiError(401, "Unauthorized")
        file_id = path.rsplit("/", 1)[-1]
        stored = self.files.get(file_id)
        if stored is None:
            raise BotApiError(404, "Not Found")
        return stored.content


# ------------------------------------------------------------------ fault injection
FaultKind = Literal["5xx", "timeout", "drop", "429"]
FAULT_KINDS: tuple[str, ...] = ("5xx", "timeout", "drop", "429")


class TransportFault(Exception):
    """An injected failure on the wire rather than in an answer.

    The transport turns it into what an HTTP client sees: ``"timeout"`` is a read timeout (the
    bot cannot tell whether Telegram carried the call out), ``"drop"`` a connection that failed
    before the request got through (a connect error) or, once Telegram acted, a connection
    closed without an answer.
    """

    def __init__(self, kind: str, method: str, acted: bool) -> None:
        super().__init__(f"injected {kind} on {method} ({'after' if acted else 'before'} acting)")
        self.kind = kind
        self.method = method
        self.acted = acted

    @property
    def cause(self) -> httpx.HTTPError:
        if self.kind == "timeout":
            return httpx.ReadTimeout("timed out")
        if self.acted:
            return httpx.RemoteProtocolError("Server disconnected without sending a response.")
        return httpx.ConnectError("[Errno 111] Connection refused")

    def client_error(self) -> TelegramError:
        """The exception PTB's ``HTTPXRequest`` raises for :attr:`cause`."""
        cause = self.cause
        if isinstance(cause, httpx.TimeoutException):
            return TimedOut()
        return NetworkError(f"httpx.{type(cause).__name__}: {cause}")


@dataclass
class ArmedFault:
    method: str
    kind: str
    remaining: int
    acted: bool
    status: int
    retry_after: int
    chat_id: int | None
    delay: float


@dataclass(frozen=True)
class InjectedFault:
    """One failure the stand-in produced: which call, which kind, and whether it had acted."""

    method: str
    kind: str
    acted: bool
    chat_id: int | None


class Faults:
    """Failures armed on a :class:`FakeBotApi`, consumed by the calls they match.

    ``fail_next(method, kind, count)`` makes the next ``count`` calls of ``method`` (a Bot API
    method name in any case, or ``"download"`` for a file download) fail:

    - ``"5xx"``: Telegram answers ``status`` (502 unless given) and does nothing;
    - ``"429"``: Telegram answers Too Many Requests with ``retry_after`` and does nothing;
    - ``"timeout"``: the answer never comes (a read timeout); by default Telegram *did* carry the
      call out (``acted=True``: the message is in the chat), ``acted=False`` it did not;
    - ``"drop"``: the connection breaks; by default before the request got through
      (``acted=False``, a connect error), with ``acted=True`` after Telegram acted.

    ``chat_id`` limits a fault to calls for that chat; ``delay`` holds the failing call that many
    seconds first. :attr:`injected` lists what was produced, and :attr:`retried` counts calls
    that repeated, parameter for parameter, a call that had failed: the retries Telegram saw.
    """

    def __init__(self) -> None:
        self._armed: list[ArmedFault] = []
        self._failed: set[str] = set()
        self.injected: list[InjectedFault] = []
        self.retried = 0

    def fail_next(
        self,
        method: str,
        kind: FaultKind,
        count: int = 1,
        *,
        acted: bool | None = None,
        status: int = 502,
        retry_after: int = 1,
        chat_id: int | None = None,
        delay: float = 0.0,
    ) -> None:
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; one of {FAULT_KINDS}")
        if kind in ("5xx", "429") and acted:
            raise ValueError(f"a {kind} answer means Telegram did nothing; acted must be False")
        if kind == "5xx" and not 500 <= status <= 599:
            raise ValueError(f"a 5xx fault needs a 5xx status, not {status}")
        self._armed.append(
            ArmedFault(
                method=method.lower(),
                kind=kind,
                remaining=count,
                acted=(kind == "timeout") if acted is None else acted,
                status=status,
                retry_after=retry_after,
                chat_id=chat_id,
                delay=delay,
            )
        )

    def clear(self) -> None:
        """Disarm every fault not yet used (what was injected stays on record)."""
        self._armed.clear()

    @property
    def armed(self) -> int:
        """How many failures are still to come."""
        return sum(f.remaining for f in self._armed)

    async def strike(self, method: str, params: Mapping[str, Any]) -> TransportFault | None:
        """Apply the first armed fault matching this call.

        Raises:
            BotApiError: an error answer (5xx, 429): Telegram did nothing.
            TransportFault: a failure before Telegram acted.

        Returns:
            A :class:`TransportFault` to raise once the call has been carried out, or ``None``.
        """
        signature = method + json.dumps(dict(params), sort_keys=True, default=str)
        if signature in self._failed:
            self.retried += 1
        chat_id = _chat_of(params)
        fault = next(
            (
                f
                for f in self._armed
                if f.method == method and (f.chat_id is None or f.chat_id == chat_id)
            ),
            None,
        )
        if fault is None:
            return None
        fault.remaining -= 1
        if fault.remaining <= 0:
            self._armed.remove(fault)
        self._failed.add(signature)
        self.injected.append(InjectedFault(method, fault.kind, fault.acted, chat_id))
        log.info("stand-in: injecting %s on %s", fault.kind, method)
        if fault.delay:
            await asyncio.sleep(fault.delay)
        if fault.kind == "5xx":
            raise BotApiError(fault.status, f"Internal Server Error (injected {fault.status})")
        if fault.kind == "429":
            raise BotApiError(
                429,
                f"Too Many Requests: retry after {fault.retry_after}",
                {"retry_after": fault.retry_after},
            )
        transport = TransportFault(fault.kind, method, fault.acted)
        if not fault.acted:
            raise transport
        return transport


def _chat_of(params: Mapping[str, Any]) -> int | None:
    try:
        return int(params["chat_id"])
    except (KeyError, TypeError, ValueError):
        return None


def _response(
    ok: bool,
    result: Any = None,
    status: int = 200,
    description: str = "",
    parameters: dict[str, Any] | None = None,
) -> tuple[int, bytes]:
    body: dict[str, Any] = {"ok": ok}
    if ok:
        body["result"] = result
    else:
        body.update(error_code=status, description=description)
        if parameters:
            body["parameters"] = parameters
    return status, json.dumps(body, ensure_ascii=False).encode()


class InProcessRequest(BaseRequest):
    """A PTB ``BaseRequest`` that talks to a :class:`FakeBotApi` in the same process."""

    def __init__(
        self, api: FakeBotApi, *, api_url: str = STANDIN_API_URL, file_url: str = STANDIN_FILE_URL
    ) -> None:
        self.api = api
        self.api_url = api_url
        self.file_url = file_url

    @property
    def read_timeout(self) -> float | None:
        return 10.0

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = None,
        write_timeout: Any = None,
        connect_timeout: Any = None,
        pool_timeout: Any = None,
    ) -> tuple[int, bytes]:
        try:
            if url.startswith(self.file_url):
                # PTB percent-encodes file URLs, and with them the ':' inside the token.
                token, _, path = unquote(url.removeprefix(self.file_url)).partition("/")
                return 200, await self.api.download(token, path)
            token, _, endpoint = url.removeprefix(self.api_url).partition("/")
            params: dict[str, Any] = dict(request_data.parameters) if request_data else {}
            files: dict[str, tuple[str | None, bytes, str | None]] = {}
            if request_data is not None and request_data.contains_files:
                for part, value in request_data.multipart_data.items():
                    file_name, content, mime = value  # type: ignore[misc]
                    data = content if isinstance(content, bytes) else content.read()
                    files[part] = (file_name, data, mime)
            result = await self.api.handle(token, endpoint, params, files)
        except BotApiError as exc:
            return _response(
                False, status=exc.status, description=exc.description, parameters=exc.parameters
            )
        except TransportFault as fault:
            # What an HTTP client sees when the wire fails: PTB's HTTPXRequest raises exactly
            # these, with the httpx error as the cause.
            raise fault.client_error() from fault.cause
        return _response(True, result)
