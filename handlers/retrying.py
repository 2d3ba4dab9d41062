"""Retrying Bot API requests: exponential backoff with full jitter, without duplicate messages.

:class:`RetryingRequest` wraps the ``BaseRequest`` PTB sends through (``HTTPXRequest`` against
Telegram, the stand-in in tests) and repeats a failed request only when repeating it cannot do a
thing twice. The policy:

- **The request never reached Telegram** — a connect error, a connect or pool timeout: retried,
  whatever the method.
- **Telegram answered 500, 502 or 503**: it says it failed and did nothing; retried, whatever the
  method.
- **The outcome is unknown** — a read or write timeout, a connection dropped mid-request, a 504
  from a gateway that stopped waiting: Telegram may have carried the call out. Retried only for
  methods that are safe to repeat (reading: ``getUpdates``, ``getMe``, ``getFile``, every
  ``get*``, file downloads; setting the same state again: ``setMyCommands``, ``setWebhook``, …).
  A ``sendMessage`` (or any send, edit, delete or callback answer) is **not** repeated: the
  error goes up, the update's error handler tells the user that the reply may not have arrived,
  and what the handler stored before the send stays stored. A lost reply is recoverable (the
  officer asks again, ``/visit`` shows the current step); a duplicated one is not (a reminder
  twice, or a typed answer read against the next question).
- **429 Too Many Requests** passes through untouched: PTB turns it into ``RetryAfter`` and the
  ``AIORateLimiter`` (``max_retries=3``) waits exactly ``retry_after`` before sending again —
  Telegram did not send the message, so that repeat is safe. Retrying here too would double the
  wait and the attempts.
- Any other answer (400, 401, 403, 404, 409) is final and passes through.

Attempts are bounded (``max_attempts``, 4 by default) and so is the time spent waiting between
them (``max_total`` seconds): after that the last error goes up. The delay before attempt *n+1*
is uniform in ``[0, min(max_delay, base_delay · 2ⁿ⁻¹)]`` ("full jitter"), so replicas that lost
Telegram together do not come back in step. The log names the method only: the URL holds the
bot token.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import httpx
from telegram.error import NetworkError, TelegramError
from telegram.request import BaseRequest, HTTPXRequest, RequestData

log = logging.getLogger(__name__)

# Telegram says it failed and did nothing.
RETRY_STATUSES = frozenset({500, 502, 503})
# A gateway stopped waiting: Telegram may have acted.
UNKNOWN_STATUSES = frozenset({504})
# Failures before the request was sent: nothing can have happened at Telegram.
NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, ConnectionRefusedError)
# Methods whose repetition changes nothing (beyond every ``get*``).
IDEMPOTENT = frozenset(
    {
        "setmycommands",
        "deletemycommands",
        "setwebhook",
        "deletewebhook",
        "setmydescription",
        "setmyshortdescription",
        "setmyname",
        "setchatmenubutton",
        "sendchataction",
    }
)
DOWNLOAD = "download"


def method_of(url: str) -> str:
    """The Bot API method a request URL calls (``download`` for a file URL), never the token."""
    path = httpx.URL(url).path
    if "/file/bot" in path:
        return DOWNLOAD
    return path.rstrip("/").rsplit("/", 1)[-1]


def safe_to_repeat(method: str) -> bool:
    """Whether doing ``method`` twice has the effect of doing it once."""
    name = method.lower()
    return name == DOWNLOAD or name.startswith("get") or name in IDEMPOTENT


def never_sent(error: BaseException) -> bool:
    """Whether ``error`` proves the request never reached Telegram."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        if isinstance(current, NOT_SENT):
            return True
        seen.add(id(current))
        current = current.__cause__
    return False


class RetryingRequest(BaseRequest):
    """A ``BaseRequest`` that retries what is safe to retry and passes everything else through.

    Args:
        inner: the request that talks to Telegram.
        max_attempts: attempts per request, the first included.
        base_delay: the backoff before the second attempt (at most; jitter picks below it).
        max_delay: no single wait is longer.
        max_total: no attempt starts more than this many seconds after the first one began.
        rng: the jitter's random source (a seeded one in tests).
        sleep: how to wait (``asyncio.sleep``).
    """

    def __init__(
        self,
        inner: BaseRequest,
        *,
        max_attempts: int = 4,
        base_delay: float = 0.5,
        max_delay: float = 4.0,
        max_total: float = 15.0,
        rng: random.Random | None = None,
        sleep: Callable[[float], Any] = asyncio.sleep,
    ) -> None:
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        self.inner = inner
        self.max_attempts = max_attempts
        self.base_delay = base_delay
        self.max_delay = max_delay
        self.max_total = max_total
        self._rng = rng or random.Random()
        self._sleep = sleep
        # "retried", "gave_up" and "not_repeated" (an unknown outcome of an unsafe method),
        # per method: what the fault benchmark and the operators' debugging read.
        self.stats: Counter[str] = Counter()

    @property
    def read_timeout(self) -> float | None:
        return self.inner.read_timeout

    async def initialize(self) -> None:
        await self.inner.initialize()

    async def shutdown(self) -> None:
        await self.inner.shutdown()

    def backoff(self, attempt: int) -> float:
        """The wait after failed attempt number ``attempt`` (1-based), jittered."""
        ceiling = min(self.max_delay, self.base_delay * 2 ** (attempt - 1))
        return self._rng.uniform(0, ceiling)

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        name = method_of(url)
        repeatable = safe_to_repeat(name)
        started = time.monotonic()
        attempt = 0
        while True:
            attempt += 1
            error: TelegramError | OSError | None = None
            code, payload = 0, b""
            try:
                code, payload = await self.inner.do_request(
                    url,
                    method,
                    request_data=request_data,
                    read_timeout=read_timeout,
                    write_timeout=write_timeout,
                    connect_timeout=connect_timeout,
                    pool_timeout=pool_timeout,
                )
            except (TelegramError, OSError) as exc:
                if isinstance(exc, TelegramError) and not isinstance(exc, NetworkError):
                    raise
                error = exc
                retry = never_sent(exc) or repeatable
                reason = type(exc.__cause__ or exc).__name__
            else:
                if code in RETRY_STATUSES:
                    retry, reason = True, f"HTTP {code}"
                elif code in UNKNOWN_STATUSES:
                    retry, reason = repeatable, f"HTTP {code}"
                else:
                    return code, payload
            if not retry:
                self.stats[f"not_repeated:{name}"] += 1
                log.warning(
                    "Bot API %s: %s, and Telegram may have acted; not sent again", name, reason
                )
                return self._fail(error, code, payload)
            delay = self.backoff(attempt)
            if attempt >= self.max_attempts or time.monotonic() - started + delay > self.max_total:
                self.stats[f"gave_up:{name}"] += 1
                log.warning("Bot API %s: %s after %d attempts; giving up", name, reason, attempt)
                return self._fail(error, code, payload)
            self.stats[f"retried:{name}"] += 1
            log.info("Bot API %s: %s; attempt %d in %.2f s", name, reason, attempt + 1, delay)
            await self._sleep(delay)

    @staticmethod
    def _fail(
        error: TelegramError | OSError | None, code: int, payload: bytes
    ) -> tuple[int, bytes]:
        if error is not None:
            raise error
        return code, payload

    def retries(self, method: str | None = None) -> int:
        """How many times a request was sent again (for ``method``, or in all)."""
        return sum(
            n
            for key, n in self.stats.items()
            if key.startswith("retried:")
            and (method is None or key.removeprefix("retried:").lower() == method.lower())
        )


def telegram_requests() -> tuple[RetryingRequest, RetryingRequest]:
    """The requests for talking to Telegram: PTB's defaults (a pool of 256 connections for the
    bot's calls, one for ``getUpdates``), each behind the retry policy above."""
    return (
        RetryingRequest(HTTPXRequest(connection_pool_size=256)),
        RetryingRequest(HTTPXRequest(connection_pool_size=1)),
    )
