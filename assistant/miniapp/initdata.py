"""Telegram Mini App ``initData``: who opened the page, as Telegram vouches for it.

Telegram signs the launch parameters with a key derived from the bot token
(https://core.telegram.org/bots/webapps#validating-data-received-via-the-mini-app): the
``hash`` field is HMAC-SHA256 over the other fields, sorted and joined by newlines, keyed with
HMAC-SHA256("WebAppData", bot token). Whoever lacks the token cannot forge it; ``auth_date``
bounds how long a copied one can be replayed.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, urlencode

from assistant.errors import AssistantError

# Far larger than any real initData (a few hundred bytes): a bigger header is not read at all.
MAX_LENGTH = 4096


class InitDataRejected(AssistantError):
    """Missing, forged, expired or malformed launch data."""

    key = "webapp.unauthorised"


@dataclass(frozen=True)
class LaunchUser:
    telegram_id: int
    language_code: str | None
    auth_date: datetime


def _secret(bot_token: str) -> bytes:
    return hmac.new(b"WebAppData", bot_token.encode(), hashlib.sha256).digest()


def _check_string(fields: dict[str, str]) -> str:
    return "\n".join(f"{key}={fields[key]}" for key in sorted(fields) if key != "hash")


def verify(init_data: str, bot_token: str, *, now: datetime, max_age: timedelta) -> LaunchUser:
    """The Telegram user ``init_data`` was issued to.

    Raises:
        InitDataRejected: no data, a wrong or missing hash, no user, or older than ``max_age``
            (or dated in the future beyond a minute's clock skew).
    """
    if not init_data or len(init_data) > MAX_LENGTH or not bot_token:
        raise InitDataRejected()
    try:
        pairs = parse_qsl(init_data, keep_blank_values=True, strict_parsing=True)
    except ValueError as exc:
        raise InitDataRejected() from exc
    fields = dict(pairs)
    if len(fields) != len(pairs):
        # A repeated field could be read one way here and another way by Telegram's signer.
        raise InitDataRejected()
    given = fields.get("hash", "")
    expected = hmac.new(
        _secret(bot_token), _check_string(fields).encode(), hashlib.sha256
    ).hexdigest()
    if not hmac.compare_digest(given.encode(), expected.encode()):
        raise InitDataRejected()
    try:
        issued = datetime.fromtimestamp(int(fields["auth_date"]), UTC)
        user = json.loads(fields["user"])
        telegram_id = int(user["id"])
    except (KeyError, ValueError, TypeError, OverflowError, OSError) as exc:
        raise InitDataRejected() from exc
    if issued < now - max_age or issued > now + timedelta(minutes=1):
        raise InitDataRejected()
    language = user.get("language_code")
    return LaunchUser(telegram_id, language if isinstance(language, str) else None, issued)


def sign(telegram_id: int, bot_token: str, *, now: datetime, language_code: str = "zh") -> str:
    """``initData`` for ``telegram_id``, signed as Telegram signs it: for console mode's link,
    which opens the pages in a desktop browser, and for the tests."""
    fields = {
        "auth_date": str(int(now.timestamp())),
        "query_id": "console",
        "user": json.dumps(
            {"id": telegram_id, "first_name": "console", "language_code": language_code},
            separators=(",", ":"),
        ),
    }
    fields["hash"] = hmac.new(
        _secret(bot_token), _check_string(fields).encode(), hashlib.sha256
    ).hexdigest()
    return urlencode(fields)
