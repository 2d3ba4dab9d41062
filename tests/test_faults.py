"""When things break under the bot: Telegram answering 5xx or 429, timing out or dropping the
connection; the process killed mid-upload, mid-report and mid-reminder run; the disk full. Each
scenario (shared with ``python -m benchmarks.hardening.faults``) runs the real Application on
its own SQLite database against the Bot API stand-in, and the tests read what it observed: the
officer's answer recorded once, the bot's reply sent once (or the officer told it may be
missing, and the visit resumable), nothing half-written left behind."""

from __future__ import annotations

import asyncio
import errno
import random

import httpx
import pytest
from pydantic import SecretStr
from telegram import Bot
from telegram.error import NetworkError, RetryAfter, TimedOut
from telegram.request import HTTPXRequest

from benchmarks.hardening import faults
from botapi.standin import STANDIN_API_URL, FakeBotApi, FakeUser, InProcessRequest
from handlers.retrying import RetryingRequest, method_of, never_sent, safe_to_repeat

# --------------------------------------------------------------------------- the retry policy


def test_only_what_cannot_happen_twice_is_repeated_after_an_unknown_outcome():
    for method in ("getUpdates", "getMe", "getFile", "download", "setMyCommands", "setWebhook"):
        assert safe_to_repeat(method), method
    for method in ("sendMessage", "sendDocument", "editMessageText", "answerCallbackQuery"):
        assert not safe_to_repeat(method), method
    # The method is read from the URL; the token in it is never what comes back.
    assert method_of("https://api.telegram.org/bot123:SECRET/sendMessage") == "sendMessage"
    assert method_of("https://api.telegram.org/file/bot123:SECRET/photos/a.jpg") == "download"


def test_a_connect_error_proves_nothing_was_sent_and_a_read_timeout_does_not():
    refused = NetworkError("httpx.ConnectError: refused")
    refused.__cause__ = httpx.ConnectError("refused")
    timed_out = TimedOut()
    timed_out.__cause__ = httpx.ReadTimeout("timed out")
    dropped = NetworkError("httpx.RemoteProtocolError: gone")
    dropped.__cause__ = httpx.RemoteProtocolError("gone")
    assert never_sent(refused)
    assert not never_sent(timed_out)
    assert not never_sent(dropped)


class AlwaysFailing:
    """An inner request that answers 502 every time, counting the calls."""

    def __init__(self) -> None:
        self.calls = 0

    @property
    def read_timeout(self) -> float:
        return 5.0

    async def do_request(self, *args, **kwargs) -> tuple[int, bytes]:
        self.calls += 1
        return 502, b'{"ok": false, "error_code": 502, "description": "Bad Gateway"}'


async def test_backoff_is_exponential_jittered_and_bounded_in_attempts_and_time():
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    inner = AlwaysFailing()
    request = RetryingRequest(
        inner,  # type: ignore[arg-type]
        max_attempts=4,
        base_delay=0.5,
        max_delay=1.5,
        max_total=60,
        rng=random.Random(7),
        sleep=sleep,
    )
    code, _ = await request.do_request("http://x/bot1:T/sendMessage", "POST")
    assert code == 502, "after the last attempt the answer goes up as it came"
    assert inner.calls == 4
    ceilings = [0.5, 1.0, 1.5]  # 0.5 · 2ⁿ, capped at max_delay
    assert len(waits) == 3
    assert all(0 <= wait <= ceiling for wait, ceiling in zip(waits, ceilings, strict=True))
    assert len(set(waits)) == 3, "jittered, not a fixed schedule"
    assert request.retries("sendMessage") == 3

    # A tight time budget stops the retries before the attempts run out.
    inner = AlwaysFailing()
    request = RetryingRequest(
        inner,  # type: ignore[arg-type]
        base_delay=10,
        max_delay=10,
        max_total=0.001,
        rng=random.Random(1),
        sleep=sleep,
    )
    await request.do_request("http://x/bot1:T/getMe", "POST")
    assert inner.calls == 1


def test_production_requests_go_through_the_retry_policy(settings):
    from bot import build_application

    application = build_application(settings.model_copy(update={"bot_token": SecretStr("1:T")}))
    get_updates_request, request = application.bot._request
    assert request is not get_updates_request, "polling keeps its own connection"
    for each in (request, get_updates_request):
        assert isinstance(each, RetryingRequest)
        assert isinstance(each.inner, HTTPXRequest)


# --------------------------------------------------------------------------- the stand-in's faults


async def test_the_stand_in_fails_each_way_it_is_told():
    api = FakeBotApi()
    api.add_user(FakeUser(1, "甲"))
    with pytest.raises(ValueError, match="acted"):
        api.faults.fail_next("sendMessage", "5xx", acted=True)
    async with Bot(api.token, base_url=STANDIN_API_URL, request=InProcessRequest(api)) as bot:
        api.faults.fail_next("sendMessage", "5xx")
        with pytest.raises(NetworkError, match="502"):
            await bot.send_message(1, "一")
        assert api.chat_messages(1) == [], "a 5xx does nothing"

        api.faults.fail_next("sendMessage", "429", retry_after=3)
        with pytest.raises(RetryAfter) as limited:
            await bot.send_message(1, "二")
        assert limited.value.retry_after == 3

        api.faults.fail_next("sendMessage", "timeout")
        with pytest.raises(TimedOut) as timed_out:
            await bot.send_message(1, "三")
        assert isinstance(timed_out.value.__cause__, httpx.ReadTimeout)
        assert [m.text for m in api.chat_messages(1)] == ["三"], "Telegram had sent it"

        api.faults.fail_next("sendMessage", "drop")
        with pytest.raises(NetworkError) as dropped:
            await bot.send_message(1, "四")
        assert isinstance(dropped.value.__cause__, httpx.ConnectError)
        await bot.send_message(1, "四")
    assert [m.text for m in api.chat_messages(1)] == ["三", "四"]
    assert [f.kind for f in api.faults.injected] == ["5xx", "429", "timeout", "drop"]
    assert api.faults.retried == 1, "the second 四 repeated a failed call"
    assert api.faults.armed == 0


# --------------------------------------------------------------------------- 1. Telegram fails


async def test_a_reply_answered_with_5xx_is_sent_again_and_arrives_once(tmp_path):
    row = await faults.send_5xx(tmp_path)
    assert row.facts["answers"] == (1, 1), "each answer recorded once"
    assert row.facts["values"] == (35.0, 20.0)
    assert row.facts["asked"] == 1, "the next question arrived exactly once"
    assert row.retried == 2
    assert row.recovered and row.duplicates == 0 and row.lost == 0 and row.crashes == 0


async def test_a_refused_connection_is_retried_because_nothing_reached_telegram(tmp_path):
    row = await faults.send_connect_refused(tmp_path)
    assert row.facts["asked"] == 1
    assert row.facts["answers"] == (1, 1)
    assert row.retried == 2
    assert row.recovered and row.duplicates == 0 and row.lost == 0


@pytest.mark.parametrize(
    "scenario", [faults.send_timeout_after_delivery, faults.send_dropped_after_delivery]
)
async def test_a_reply_telegram_sent_but_never_confirmed_is_not_sent_twice(tmp_path, scenario):
    row = await scenario(tmp_path)
    assert row.retried == 0, "a sendMessage with an unknown outcome is not repeated"
    assert row.facts["asked"] == 1, "the officer has the next question once"
    assert row.facts["told"], "and is told a reply may be missing"
    assert row.facts["answers"] == (1, 1), "the answer is recorded once, the next one too"
    assert row.recovered and row.duplicates == 0 and row.lost == 0 and row.crashes == 0


async def test_a_reply_lost_before_telegram_sent_it_is_not_repeated_blindly(tmp_path):
    row = await faults.send_timeout_before_delivery(tmp_path)
    assert row.facts["asked"] == 0, "the question was lost, and not sent again blindly"
    assert row.facts["told"], "the officer is told the reply may be missing"
    assert row.facts["resumed"], "/visit shows the question the visit is at"
    assert row.facts["answers"] == (1, 1), "the headcount typed once is recorded once"
    assert row.facts["values"] == (35.0, 20.0), "and the next answer is filed under its question"
    assert row.recovered and row.duplicates == 0 and row.crashes == 0
    assert row.lost == 1, "one reply did not arrive (the officer knows)"


async def test_polling_survives_get_updates_failing_every_way(tmp_path):
    row = await faults.polling_fails(tmp_path)
    assert row.injected == 5
    assert row.facts["asked"] == 1, "the update typed meanwhile is handled exactly once"
    assert row.facts["answers"] == (1, 1)
    assert row.recovered and row.duplicates == 0 and row.lost == 0 and row.crashes == 0


async def test_a_photo_download_that_fails_is_fetched_again_and_stored_once(tmp_path):
    row = await faults.download_fails(tmp_path)
    assert row.retried == 3
    assert row.facts["saved"] == 1 and len(row.facts["rows"]) == 1
    assert row.recovered and row.duplicates == 0 and row.lost == 0


# --------------------------------------------------------------------------- 2. 429


async def test_429_waits_retry_after_then_sends_once(tmp_path):
    row = await faults.rate_limited(tmp_path)
    assert row.facts["elapsed"] >= 1.0, "retry_after (1 s) was waited out"
    assert row.retried == 1
    assert row.facts["asked"] == 1
    assert row.facts["answers"] == (1, 1)
    assert row.recovered and row.duplicates == 0 and row.lost == 0


async def test_429_during_a_burst_loses_and_duplicates_no_message_in_any_chat(tmp_path):
    row = await faults.rate_limited_burst(tmp_path)
    expected = row.facts["expected"]
    assert row.facts["got"] == {
        faults.OFFICER: expected,
        faults.TEAMMATE: expected,
        faults.SUPERVISOR: expected,
    }
    assert row.retried == 2
    assert row.recovered and row.duplicates == 0 and row.lost == 0


async def test_429_beyond_the_rate_limiters_retries_gives_up_and_tells_the_officer(tmp_path):
    row = await faults.rate_limited_beyond_retries(tmp_path)
    assert row.retried == 3, "AIORateLimiter's max_retries=3"
    assert row.facts["told"] and row.facts["resumed"]
    assert row.facts["answers"] == (1, 1)
    assert row.recovered and row.duplicates == 0 and row.crashes == 0


# --------------------------------------------------------------------------- 3. killed


@pytest.mark.parametrize(
    ("scenario", "file_left_under_its_name"),
    [
        (faults.killed_before_photo_write, False),
        (faults.killed_mid_photo_write, False),
        (faults.killed_after_photo_write, True),
    ],
)
async def test_killed_while_storing_a_photo(tmp_path, scenario, file_left_under_its_name):
    row = await scenario(tmp_path)
    facts = row.facts
    assert facts["rows_after_kill"] == [], "nothing committed for the photo the kill cut short"
    assert bool(facts["named_after_kill"]) == file_left_under_its_name
    assert facts["corrupt"] == [], "no half-written file under a real name"
    assert facts["orphans"] == [], "no row points at a missing file"
    assert facts["resumed"], "the visit resumes at the photo step"
    assert facts["headcount"] == 35.0, "the answers given before are kept"
    assert row.recovered and row.duplicates == 0 and row.lost == 0 and row.crashes == 0


async def test_killed_while_drafting_the_report(tmp_path):
    row = await faults.killed_drafting_report(tmp_path)
    assert row.facts["reports_after_kill"] == 0, "the draft's transaction was rolled back"
    assert row.facts["reports"] == 1 and row.facts["valid"]
    assert row.recovered and row.duplicates == 0


async def test_killed_while_building_the_word_file(tmp_path):
    row = await faults.killed_building_report(tmp_path)
    assert row.facts["reports_after_kill"] == 1
    assert row.facts["reports"] == 1 and row.facts["valid"], "the Word file builds after all"
    assert row.recovered and row.duplicates == 0


async def test_killed_between_sending_a_reminder_and_logging_it(tmp_path):
    """The one window where a reminder can repeat: sent, then killed before it was logged. The
    system errs towards at-least-once — the reminder in flight goes out again after the
    restart — because an overdue check or an escalation that never arrives costs more than a
    second copy. Everything else goes out once."""
    row = await faults.killed_between_send_and_log(tmp_path)
    assert row.facts["logged_before_restart"] == 0
    assert row.facts["delivered_before_restart"] >= 1
    assert row.duplicates == 1, "only the reminder in flight is repeated"
    assert row.lost == 0
    assert row.recovered and row.crashes == 0


async def test_killed_after_logging_a_reminder_before_sending_the_next(tmp_path):
    """Logging follows sending, so a reminder is never logged without having gone out: a kill
    after a log loses nothing, and the restart sends the rest once each."""
    row = await faults.killed_between_log_and_next_send(tmp_path)
    assert row.facts["logged_before_restart"] == 1
    assert row.facts["logged"] >= 3, "the plan, the overdue check and the escalation"
    assert row.duplicates == 0 and row.lost == 0
    assert row.recovered and row.crashes == 0


# --------------------------------------------------------------------------- 4. the disk


@pytest.mark.parametrize(
    ("language_code", "message"),
    [
        ("zh-hans", "存储空间不足，照片未保存"),
        ("en", "storage is full, so the photo was not saved"),
    ],
)
async def test_a_full_disk_keeps_the_answers_and_leaves_no_partial_file(
    tmp_path, language_code, message
):
    row = await faults.disk_full(tmp_path, language_code)
    assert message in row.facts["told"]
    assert row.facts["disk_while_full"].named == set()
    assert row.facts["disk_while_full"].temporary == [], "the partial write was removed"
    assert row.facts["rows_while_full"] == []
    assert row.facts["headcount"] == 35.0, "the answers given are kept"
    assert row.facts["went_on"], "the visit goes on"
    assert row.recovered and row.duplicates == 0 and row.lost == 0 and row.crashes == 0


async def test_a_full_disk_is_reported_as_such_by_the_evidence_store(tmp_path, monkeypatch):
    from assistant.visits.evidence import EvidenceService, StorageFull

    store = EvidenceService(None, tmp_path)  # type: ignore[arg-type]

    def no_space(self, data):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(type(tmp_path), "write_bytes", no_space)
    with pytest.raises(StorageFull) as full:
        await asyncio.to_thread(store._store, "ab" * 32, b"photo")
    assert full.value.key == "visit.evidence.disk_full"
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []


# --------------------------------------------------------------------------- the table


def test_the_table_has_one_line_per_scenario():
    rows = [
        faults.Row("a | b", injected=2, retried=1, recovered=True, note="ok"),
        faults.Row("c", injected=1, recovered=False, crashes=1),
    ]
    table = faults.render_table(rows).splitlines()
    assert table[0] == (
        "| fault | injected | retried | recovered | duplicates | lost | crashes | note |"
    )
    assert table[2] == "| a \\| b | 2 | 1 | yes | 0 | 0 | 0 | ok |"
    assert table[3].startswith("| c | 1 | 0 | **no** |")
