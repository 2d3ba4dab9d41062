"""Hostile input at every entry point, floods, and prompt injection, through the real Application.

The fuzzing itself lives in ``benchmarks/hardening/fuzz.py`` (``python -m
benchmarks.hardening.fuzz`` runs it with many more examples and prints the table); here every
entry point gets the whole hostile corpus and a few generated inputs, and must show no crash
and no lost data.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from assistant.knowledge.base import KnowledgeBase
from benchmarks.hardening.fuzz import (
    ENTRY_POINTS,
    Bank,
    FuzzBot,
    Fuzzer,
    Inputs,
    Row,
    fuzz_bot,
    losses,
    render_table,
    run_flood,
    run_fuzz,
    snapshot,
)
from handlers.flood import FloodGuard, Verdict

# Generated inputs per entry point, on top of the fixed hostile corpus (~60 inputs each).
EXAMPLES = 4
FLOOD = 5_000  # the benchmark sends 10 000


@pytest.fixture
async def hostile_bot(tmp_path: Path, knowledge: KnowledgeBase) -> AsyncIterator[FuzzBot]:
    data = tmp_path / "data"
    data.mkdir()
    async with fuzz_bot(data, knowledge) as bot:
        yield bot


def _explain(row: Row) -> str:
    return f"{render_table([row])}\n" + "\n".join(row.failures)


@pytest.mark.parametrize("entry_point", ENTRY_POINTS)
async def test_hostile_input_crashes_nothing_and_loses_nothing(
    hostile_bot: FuzzBot, entry_point: str
):
    (row,) = await run_fuzz(hostile_bot, examples=EXAMPLES, seed=7, only=[entry_point])
    assert row.tried > 0, _explain(row)
    assert row.crashes == 0, _explain(row)
    assert row.data_lost == 0, _explain(row)


# ---------------------------------------------------------------------------- the harness
async def test_the_harness_sees_a_crash_and_lost_data(
    hostile_bot: FuzzBot, monkeypatch: pytest.MonkeyPatch
):
    """A handler that raises, a handler that says nothing, and an answer that disappears are
    each counted: a clean table means something."""
    fuzzer = Fuzzer(hostile_bot, Inputs(0, 0))
    row = fuzzer.row("self-test")
    chat = hostile_bot.chat(hostile_bot.bank.questions)

    async def broken(update, context):
        raise RuntimeError("boom")

    async def silent(update, context):
        return None

    (help_handler,) = [
        h for h in hostile_bot.application.handlers[0] if getattr(h, "commands", ()) == {"help"}
    ]
    monkeypatch.setattr(help_handler, "callback", broken)
    await fuzzer.attempt(row, "/help", lambda: chat.send("/help"))
    assert row.crashes == 1 and "RuntimeError" in row.failures[-1]
    assert "抱歉" in chat.last_text, "the officer was told"

    monkeypatch.setattr(help_handler, "callback", silent)
    await fuzzer.attempt(row, "/help", lambda: chat.send("/help"))
    assert row.crashes == 2 and "no reply" in row.failures[-1]

    visit_id = await hostile_bot.open_visit(hostile_bot.bank.questions)
    await hostile_bot.record_answers(visit_id, {"self.test": 1.0})
    before = await snapshot(hostile_bot.services)
    async with hostile_bot.services.database.session() as s:
        from sqlalchemy import delete

        from assistant.db.models import VisitAnswer

        await s.execute(delete(VisitAnswer).where(VisitAnswer.item_id == "self.test"))
    assert losses(before, await snapshot(hostile_bot.services)) == [
        f"answer {(visit_id, 'self.test')} is gone"
    ]


# ---------------------------------------------------------------------------- floods
@pytest.fixture
async def guarded_bot(tmp_path: Path, knowledge: KnowledgeBase) -> AsyncIterator[FuzzBot]:
    data = tmp_path / "data"
    data.mkdir()
    async with fuzz_bot(
        data, knowledge, flood_rate=5, flood_burst=20, telegram_overall_rate=30
    ) as bot:
        yield bot


async def test_a_flood_is_dropped_with_one_warning_and_other_officers_are_served(
    guarded_bot: FuzzBot,
):
    result = await run_flood(guarded_bot, FLOOD)
    print(result.describe())
    assert result.errors == []
    assert "使用说明" in result.bystander_reply
    # Judged by when the messages were sent: a burst, then FLOOD_RATE a second.
    assert 20 <= result.admitted <= 20 + 5 * (result.push_seconds + 1)
    assert result.dropped == FLOOD - result.admitted
    assert result.warnings == 1
    # Each question handled gets its answer and the visit step again; nothing else is sent.
    assert result.flooder_replies <= result.warnings + 2 * result.admitted
    assert result.intact, (result.lost, result.stop_before, result.stop_after)
    # Another officer waits for the flood's few handled questions and the drops queued ahead
    # of them, not for ten thousand answers.
    assert result.bystander_seconds < 30


async def test_a_strangers_flood_gets_the_one_refusal_and_an_admin_is_limited_too(
    guarded_bot: FuzzBot,
):
    api, bank = guarded_bot.api, guarded_bot.bank
    stranger, admin = guarded_bot.chat(bank.stranger), guarded_bot.chat(bank.admin)
    mark = len(api.events)
    last = 0
    for _ in range(60):
        await api.push_text(stranger.user, "/help")
        last = await api.push_text(admin.user, "/help")
    await api.wait_fetched(last)
    await guarded_bot.application.update_queue.join()
    to_stranger = api.events_since(mark, bank.stranger)
    assert len(to_stranger) == 1 and "仅供本行已登记的客户经理使用" in to_stranger[0].text
    to_admin = [m.text for m in api.events_since(mark, bank.admin)]
    warning = guarded_bot.services.texts.plain("zh", "flood.warning")
    assert to_admin.count(warning) == 1
    assert len(to_admin) <= 1 + 20 + 5 * 2, "a burst and the rate, however much more was sent"


async def test_walking_a_visit_with_buttons_is_never_a_flood(guarded_bot: FuzzBot):
    """Each press answers the message the bot just sent, so it cannot run ahead of the bot:
    forty taps in a few seconds all go through."""
    officer = guarded_bot.chat(guarded_bot.bank.visit)
    await officer.send(f"/visit {Bank.individual(guarded_bot.bank.visit)}")
    for _ in range(40):
        labels = officer.last.button_labels
        await officer.press(next((b for b in ("⏭ 跳过", "继续 ▶") if b in labels), 1))
        assert officer.replies, "a press was dropped"
    warning = guarded_bot.services.texts.plain("zh", "flood.warning")
    assert all(m.text != warning for m in guarded_bot.api.chat_messages(officer.user.id))


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def test_one_warning_per_flood_and_a_new_flood_after_a_quiet_spell():
    clock = Clock()
    guard = FloodGuard(5, 20, clock=clock)
    verdicts = [guard.admit(1) for _ in range(100)]
    assert verdicts[:20] == [Verdict.PASS] * 20
    assert verdicts[20] is Verdict.WARN
    assert set(verdicts[21:]) == {Verdict.DROP}
    # Half a second later: 2.5 tokens earned, two updates through, still the same flood.
    clock.now += 0.5
    assert [guard.admit(1) for _ in range(4)] == [Verdict.PASS] * 2 + [Verdict.DROP] * 2
    # Sustained at the rate, the flood never ends and is never warned about again.
    for _ in range(50):
        clock.now += 0.1
        assert guard.admit(1) in (Verdict.PASS, Verdict.DROP)
    assert guard.warnings == 1
    # Quiet until the bucket is full: the next flood gets its own warning.
    clock.now += 5
    verdicts = [guard.admit(1) for _ in range(25)]
    assert verdicts.count(Verdict.WARN) == 1 and verdicts.count(Verdict.PASS) == 20
    assert guard.warnings == 2


def test_a_backlog_is_judged_by_when_it_was_sent():
    """An hour of an officer's messages handled at once after a restart is not a flood; a
    flood handled slowly is still one."""
    clock = Clock()
    guard = FloodGuard(5, 20, clock=clock)
    sent = clock.now - 3600
    assert all(guard.admit(1, sent + 60 * i) is Verdict.PASS for i in range(60))
    flooded_at = clock.now
    flood = [guard.admit(2, flooded_at) for _ in range(100)]
    clock.now += 30  # the bot got to the rest half a minute later
    flood += [guard.admit(2, flooded_at) for _ in range(100)]
    assert flood.count(Verdict.PASS) == 20


def test_presses_on_newer_messages_are_free_and_repeated_presses_are_not():
    guard = FloodGuard(5, 2, clock=Clock())
    assert all(guard.admit(1, pressed=message) is Verdict.PASS for message in range(1, 100))
    repeated = [guard.admit(1, pressed=99) for _ in range(5)]
    assert repeated == [Verdict.PASS, Verdict.PASS, Verdict.WARN, Verdict.DROP, Verdict.DROP]


def test_memory_is_bounded_and_idle_users_are_forgotten():
    clock = Clock()
    guard = FloodGuard(5, 20, max_users=1000, clock=clock)
    for user in range(5000):
        guard.admit(user)
    assert len(guard) == 1000
    clock.now += guard.refill_seconds + FloodGuard.FORGET_MARGIN
    guard.admit(99_999)
    assert len(guard) == 1, "everyone idle long enough to be full again is forgotten"


def test_a_rate_of_zero_turns_the_guard_off():
    guard = FloodGuard(0, 20, clock=Clock())
    assert all(guard.admit(1) is Verdict.PASS for _ in range(10_000))
    assert len(guard) == 0
