"""Per-user flood protection: a token bucket per Telegram user, checked before everything else.

A phone stuck in a resend loop, a script, or someone holding a key down can send thousands of
updates a minute. Each would otherwise reach the gate (a database look-up) and then a handler
(a knowledge-base search, a database write), and the officers next to them would wait. Here every
user has a bucket of ``FLOOD_BURST`` tokens that refills at ``FLOOD_RATE`` tokens a second; an
update takes one, and an update that finds the bucket empty is dropped before the gate. The first
dropped update of a flood gets one polite warning; the rest of that flood gets nothing at all, so
the bot never answers a flood with a flood. Nothing is written for a dropped update: what the
officer already entered stays as it was. Administrators are limited like everyone else.

Time is the time the user sent the message (Telegram's ``date``), not the time the bot gets to
it: a backlog handled late (after a restart, or behind a slow answer) is judged by how fast it
was sent, so an officer's ten messages of the last hour are not taken for a flood, and a flood
stays a flood however slowly the bot works through it. A button press carries no time of its
own and is timed on arrival. A press on a newer message than the user last pressed costs no
token: it answers what the bot just said, so it cannot run ahead of the bot (walking a visit
with Skip, or a scripted console demo, is never a flood), while a second press on the same
message, a press on an older one and every typed message do cost one.

Memory stays bounded: a user whose bucket has refilled is indistinguishable from one never seen,
so idle users are forgotten as the guard goes, and at most ``max_users`` are tracked at once.
"""

from __future__ import annotations

import enum
import logging
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from telegram import Update
from telegram.ext import ApplicationHandlerStop

from handlers.common import say
from handlers.context import BotContext

log = logging.getLogger(__name__)

# Before the access gate (group -1): a flood never reaches the database.
FLOOD_GROUP = -2
GUARD_KEY = "flood_guard"
MAX_USERS = 100_000


class Verdict(enum.Enum):
    PASS = "pass"
    # The first update dropped in this flood: warn once, then drop.
    WARN = "warn"
    DROP = "drop"


@dataclass
class _Bucket:
    tokens: float
    # The user's time of the last update counted (Telegram's clock for messages).
    stamp: float
    # This host's clock when the user was last seen, for forgetting idle users.
    seen: float
    warned: bool = False
    # The newest bot message the user pressed a button on.
    pressed: int = 0


class FloodGuard:
    """Token buckets per user id.

    Args:
        rate: tokens (updates) a second each user earns back; ``0`` admits everything.
        burst: the bucket's size: how many updates a user may send at once (an album, a few
            quick taps) before the rate applies.
        max_users: the most users tracked at once; beyond it the longest-idle one is forgotten.
        clock: seconds since the epoch, like Telegram's message dates (tests pass their own).
    """

    # Forget a user only this long after their bucket would be full again: the times compared
    # come from two clocks (Telegram's and this host's).
    FORGET_MARGIN = 60.0

    def __init__(
        self,
        rate: float,
        burst: int,
        *,
        max_users: int = MAX_USERS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.rate = rate
        self.burst = max(1, burst)
        self.max_users = max(1, max_users)
        self.clock = clock
        # Least recently seen first, so idle users are found at the front.
        self._buckets: OrderedDict[int, _Bucket] = OrderedDict()
        self.admitted = 0
        self.dropped = 0
        self.warnings = 0

    @property
    def enabled(self) -> bool:
        return self.rate > 0

    @property
    def refill_seconds(self) -> float:
        """After this long without an update, any bucket is full again."""
        return self.burst / self.rate if self.rate > 0 else 0.0

    def __len__(self) -> int:
        return len(self._buckets)

    def forget(self, user_id: int) -> None:
        """Start ``user_id`` afresh, with a full bucket."""
        self._buckets.pop(user_id, None)

    def admit(
        self, user_id: int, sent_at: float | None = None, *, pressed: int | None = None
    ) -> Verdict:
        """Take a token for ``user_id``'s update, or say how to drop it.

        Args:
            user_id: who sent the update.
            sent_at: when they sent it (seconds since the epoch); ``None``: now.
            pressed: for a button press, the id of the message the button is on.
        """
        if not self.enabled:
            self.admitted += 1
            return Verdict.PASS
        now = self.clock()
        at = now if sent_at is None else sent_at
        self._forget_idle(now)
        bucket = self._buckets.get(user_id)
        if bucket is None:
            bucket = self._buckets[user_id] = _Bucket(float(self.burst), at, now)
            if len(self._buckets) > self.max_users:
                self._buckets.popitem(last=False)
        else:
            self._buckets.move_to_end(user_id)
            # Updates are handled in the order sent, but a press (timed here) may come between
            # messages (timed by Telegram): time never runs backwards for a bucket.
            elapsed = max(0.0, at - bucket.stamp)
            bucket.tokens = min(float(self.burst), bucket.tokens + elapsed * self.rate)
            bucket.stamp = max(bucket.stamp, at)
            bucket.seen = now
            # Quiet long enough for the bucket to fill up again: the flood is over, and the next
            # one gets its own warning.
            if bucket.warned and bucket.tokens >= self.burst:
                bucket.warned = False
        if pressed is not None and pressed > bucket.pressed:
            bucket.pressed = pressed
            self.admitted += 1
            return Verdict.PASS
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            self.admitted += 1
            return Verdict.PASS
        self.dropped += 1
        if bucket.warned:
            return Verdict.DROP
        bucket.warned = True
        self.warnings += 1
        return Verdict.WARN

    def _forget_idle(self, now: float) -> None:
        idle = self.refill_seconds + self.FORGET_MARGIN
        while self._buckets:
            user_id, oldest = next(iter(self._buckets.items()))
            if now - oldest.seen < idle:
                return
            del self._buckets[user_id]


def sent_at(update: Update) -> float | None:
    """When the user sent the update, by Telegram's clock; ``None`` for a button press."""
    message = update.message or update.edited_message
    if message is None:
        return None
    when = message.edit_date if update.edited_message is not None else None
    return (when or message.date).timestamp()


def guard_of(context: BotContext) -> FloodGuard:
    """The application's guard, made from the settings on first use."""
    guard = context.bot_data.get(GUARD_KEY)
    if guard is None:
        settings = context.services.settings
        guard = context.bot_data[GUARD_KEY] = FloodGuard(settings.flood_rate, settings.flood_burst)
    return guard


async def limit_flood(update: Update, context: BotContext) -> None:
    """Let the update through, or drop it (warning once per flood)."""
    user = update.effective_user
    if user is None:
        # Not a person's update (a channel post, a poll result): nothing to limit.
        return
    query = update.callback_query
    pressed = query.message.message_id if query is not None and query.message else None
    verdict = guard_of(context).admit(user.id, sent_at(update), pressed=pressed)
    if verdict is Verdict.PASS:
        return
    if verdict is Verdict.WARN:
        log.info("flood: updates from user %s are being dropped", user.id)
        try:
            await _warn(update, context)
        except Exception:  # a failed warning must not let the flood through
            log.warning("flood: the warning to user %s failed", user.id, exc_info=True)
    raise ApplicationHandlerStop


async def _warn(update: Update, context: BotContext) -> None:
    """One polite message, in the officer's language; a stranger gets nothing beyond the gate's
    one refusal."""
    user = update.effective_user
    assert user is not None
    if update.effective_chat is None or user.is_bot:
        return
    context.telegram_language = user.language_code
    context.viewer = await context.services.access.viewer(user.id)
    if context.viewer is None:
        return
    await say(update, context, "flood.warning")
