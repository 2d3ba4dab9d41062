"""Prometheus metrics: each service set counts on its own, and the bot counts what it does."""

import asyncio

import pytest
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from assistant.metrics import Metrics
from tests.conftest import BotHarness, Team

METRIC_NAMES = {
    "loan_visit_updates",
    "loan_visit_update_seconds",
    "loan_visit_retrieval_seconds",
    "loan_visit_reminders_sent",
    "loan_visit_ocr_seconds",
    "loan_visit_errors",
}


def sample(metrics: Metrics, name: str, **labels: str) -> float:
    value = metrics.registry.get_sample_value(name, labels)
    assert value is not None, f"{name}{labels} is not exported"
    return value


def test_each_instance_counts_in_its_own_registry():
    first, second = Metrics(), Metrics()
    first.error("handler")
    first.reminder_sent("overdue")

    assert sample(first, "loan_visit_errors_total", where="handler") == 1
    assert sample(second, "loan_visit_errors_total", where="handler") == 0
    assert sample(first, "loan_visit_reminders_sent_total", kind="overdue") == 1
    assert sample(second, "loan_visit_reminders_sent_total", kind="overdue") == 0
    assert REGISTRY.get_sample_value("loan_visit_errors_total", {"where": "handler"}) is None, (
        "nothing is registered in the process-wide default registry"
    )


def test_the_exposition_parses_and_names_every_metric_with_its_known_labels_at_zero():
    metrics = Metrics()
    with metrics.time_update("command"):
        pass

    body, content_type = metrics.render()

    assert content_type.startswith("text/plain; version=")
    families = {f.name: f for f in text_string_to_metric_families(body.decode())}
    # The text parser reads each metric's "_created" timestamp as a gauge of its own.
    assert {name for name in families if not name.endswith("_created")} == METRIC_NAMES
    assert families["loan_visit_update_seconds"].type == "histogram"
    assert families["loan_visit_retrieval_seconds"].type == "histogram"
    assert families["loan_visit_ocr_seconds"].type == "histogram"
    errors = {s.labels["where"]: s.value for s in families["loan_visit_errors"].samples}
    assert errors == {"handler": 0, "job": 0, "startup": 0}, "no errors reads as 0, not absent"
    kinds = {
        s.labels["kind"]
        for s in families["loan_visit_reminders_sent"].samples
        if s.name.endswith("_total")
    }
    assert kinds == {
        "monthly_plan",
        "due_soon",
        "overdue",
        "escalation",
        "unattended",
        "additions",
    }


def test_an_update_is_counted_and_timed_even_when_its_handler_raises():
    metrics = Metrics()
    with pytest.raises(RuntimeError), metrics.time_update("callback"):
        raise RuntimeError("handler failed")

    assert sample(metrics, "loan_visit_updates_total", kind="callback") == 1
    assert sample(metrics, "loan_visit_update_seconds_count") == 1


def test_an_answer_that_fails_is_recorded_as_unavailable():
    metrics = Metrics()
    with pytest.raises(ConnectionError), metrics.time_answer():
        raise ConnectionError("the Chroma server is down")
    with metrics.time_answer() as timing:
        timing.outcome = "refused"

    assert sample(metrics, "loan_visit_retrieval_seconds_count", outcome="unavailable") == 1
    assert sample(metrics, "loan_visit_retrieval_seconds_count", outcome="refused") == 1
    assert sample(metrics, "loan_visit_retrieval_seconds_count", outcome="answered") == 0


async def test_answered_and_refused_questions_are_timed_by_outcome(bot: BotHarness, team: Team):
    metrics = bot.services.metrics
    officer = bot.chat(team.officer)
    await officer.send("回访时要拍哪些照片？")
    await officer.send("/ask what's the best pizza in Shenzhen?")

    assert sample(metrics, "loan_visit_retrieval_seconds_count", outcome="answered") == 1
    assert sample(metrics, "loan_visit_retrieval_seconds_count", outcome="refused") == 1
    assert sample(metrics, "loan_visit_retrieval_seconds_sum", outcome="answered") > 0


async def test_a_question_while_the_knowledge_base_is_not_loaded_counts_as_unavailable(
    bot: BotHarness, team: Team, monkeypatch
):
    monkeypatch.setattr(type(bot.services.knowledge), "ready", property(lambda self: False))
    officer = bot.chat(team.officer)
    await officer.send("/ask 回访时要拍哪些照片？")

    assert (
        sample(bot.services.metrics, "loan_visit_retrieval_seconds_count", outcome="unavailable")
        == 1
    )


async def test_a_failing_handler_and_a_failing_job_are_counted_apart(
    bot: BotHarness, team: Team, monkeypatch
):
    metrics = bot.services.metrics

    async def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(bot.services.portfolio, "client_card", broken)
    await bot.chat(team.officer).send("/client C001")
    assert sample(metrics, "loan_visit_errors_total", where="handler") == 1

    async def failing_job(context) -> None:
        raise RuntimeError("job failed")

    # Error handlers run in the order they were added: when this one runs, the bot's has run.
    handled = asyncio.Event()

    async def after_the_bots_handler(update: object, context: object) -> None:
        handled.set()

    bot.application.add_error_handler(after_the_bots_handler)
    assert bot.application.job_queue is not None
    bot.application.job_queue.run_once(failing_job, when=0)
    async with asyncio.timeout(10):
        await handled.wait()
    assert sample(metrics, "loan_visit_errors_total", where="job") == 1
    assert sample(metrics, "loan_visit_errors_total", where="handler") == 1


async def test_updates_through_the_real_application_are_counted_and_timed(
    bot: BotHarness, team: Team
):
    metrics = bot.services.metrics
    officer = bot.chat(team.officer)
    await officer.send("/help")
    await officer.send("回访时要拍哪些照片？")

    assert sample(metrics, "loan_visit_updates_total", kind="command") == 1
    assert sample(metrics, "loan_visit_updates_total", kind="message") == 1
    assert sample(metrics, "loan_visit_update_seconds_count") == 2


def test_document_readings_are_timed_by_outcome():
    metrics = Metrics()
    metrics.ocr_done(1.2, "read")
    metrics.ocr_done(30.0, "timeout")
    metrics.ocr_done(0.1, "something new")

    assert sample(metrics, "loan_visit_ocr_seconds_count", outcome="read") == 1
    assert sample(metrics, "loan_visit_ocr_seconds_count", outcome="timeout") == 1
    assert sample(metrics, "loan_visit_ocr_seconds_count", outcome="failed") == 1
    assert sample(metrics, "loan_visit_ocr_seconds_count", outcome="blank") == 0
