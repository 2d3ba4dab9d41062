"""Prometheus metrics: updates, handler latency, answer latency, reminders sent and errors.

Every :class:`Metrics` owns its own :class:`~prometheus_client.CollectorRegistry`. The global
default registry would be filled at import time and refuses a second metric of the same name,
while the tests build many services in one process and each must count from zero.

Label values come from small fixed sets: each distinct value is a time series of its own, so
nothing user-typed or per-officer may ever become a label.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Final, Literal, get_args

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)

from assistant.planning.reminders import NotificationKind

NAMESPACE: Final = "loan_visit"

UpdateKind = Literal["message", "command", "callback", "other"]
AnswerOutcome = Literal["answered", "refused", "unavailable"]
ErrorPlace = Literal["handler", "job", "startup"]

# A button press or a typed answer takes milliseconds; a Word report with photos or an LLM
# answer takes seconds. Buckets from 5 ms to 10 s cover both ends with room to see a tail.
UPDATE_BUCKETS: Final = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
# An extractive answer takes tens of milliseconds, an LLM-written one up to LLM_TIMEOUT (20 s).
ANSWER_BUCKETS: Final = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0)
OCR_BUCKETS: Final = (0.25, 0.5, 1.0, 1.5, 2.0, 2.5, 5.0, 10.0, 30.0)
# read, or what went wrong (assistant.evidence.ocr): a blank or blurred photo is read, not failed.
OCR_OUTCOMES: Final = ("read", "blank", "blurred", "timeout", "failed")


@dataclass
class AnswerTiming:
    """What :meth:`Metrics.time_answer` records when its block ends.

    The outcome starts as ``unavailable``: a block that ends in an exception (the Chroma
    server down, a timeout) did not give the officer an answer.
    """

    outcome: AnswerOutcome = "unavailable"


class Metrics:
    """The bot's Prometheus metrics, in a registry of their own.

    Attributes:
        registry: The registry every metric here is registered in; ``/metrics`` renders it.
        updates: Updates received, by kind (``message``, ``command``, ``callback``, ``other``).
        update_seconds: Time spent handling one update, from its handlers' start to their end.
        retrieval_seconds: Time to answer a knowledge-base question, by outcome
            (``answered``, ``refused``, ``unavailable``).
        reminders_sent: Reminders sent by the reminder job, by notification kind.
        ocr_seconds: Time to read one photographed document, by outcome (``read``, ``blank``,
            ``blurred``, ``timeout``, ``failed``).
        errors: Unexpected errors, by where they happened (``handler``, ``job``, ``startup``).
    """

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.updates = Counter(
            "updates",
            "Telegram updates received, by kind.",
            ["kind"],
            namespace=NAMESPACE,
            registry=self.registry,
        )
        self.update_seconds = Histogram(
            "update_seconds",
            "Time spent handling one update (waiting behind the same officer's earlier "
            "updates not included).",
            namespace=NAMESPACE,
            buckets=UPDATE_BUCKETS,
            registry=self.registry,
        )
        self.retrieval_seconds = Histogram(
            "retrieval_seconds",
            "Time to answer a knowledge-base question, by outcome.",
            ["outcome"],
            namespace=NAMESPACE,
            buckets=ANSWER_BUCKETS,
            registry=self.registry,
        )
        self.reminders_sent = Counter(
            "reminders_sent",
            "Reminders and plans sent by the reminder job, by kind.",
            ["kind"],
            namespace=NAMESPACE,
            registry=self.registry,
        )
        self.ocr_seconds = Histogram(
            "ocr_seconds",
            "Time to read one photographed document, by outcome.",
            ["outcome"],
            namespace=NAMESPACE,
            buckets=OCR_BUCKETS,
            registry=self.registry,
        )
        self.errors = Counter(
            "errors",
            "Unexpected errors, by where they happened.",
            ["where"],
            namespace=NAMESPACE,
            registry=self.registry,
        )
        # Every known label value is exported from the start, at zero: a rate() over a series
        # that appears only with its first event misses that event, and "no errors" should
        # read as 0 rather than as no data.
        for kind in get_args(UpdateKind):
            self.updates.labels(kind)
        for outcome in get_args(AnswerOutcome):
            self.retrieval_seconds.labels(outcome)
        for notification in get_args(NotificationKind):
            self.reminders_sent.labels(notification)
        for where in get_args(ErrorPlace):
            self.errors.labels(where)
        for outcome in OCR_OUTCOMES:
            self.ocr_seconds.labels(outcome)

    def ocr_done(self, seconds: float, outcome: str) -> None:
        self.ocr_seconds.labels(outcome if outcome in OCR_OUTCOMES else "failed").observe(seconds)

    @contextmanager
    def time_update(self, kind: UpdateKind) -> Iterator[None]:
        """Count an update of ``kind`` and time the block that handles it.

        Args:
            kind: What the update is; see :data:`UpdateKind`.

        Yields:
            Nothing; the time is recorded when the block ends, also when it raises.
        """
        self.updates.labels(kind).inc()
        started = time.perf_counter()
        try:
            yield
        finally:
            self.update_seconds.observe(time.perf_counter() - started)

    @contextmanager
    def time_answer(self) -> Iterator[AnswerTiming]:
        """Time a knowledge-base answer; the block sets the outcome on what it receives.

        Yields:
            The timing whose ``outcome`` the block sets to ``answered`` or ``refused``; left
            alone (an exception, say) it is recorded as ``unavailable``.
        """
        timing = AnswerTiming()
        started = time.perf_counter()
        try:
            yield timing
        finally:
            self.retrieval_seconds.labels(timing.outcome).observe(time.perf_counter() - started)

    def answer_unavailable(self) -> None:
        """Record a question that could not even be asked: the knowledge base is not loaded."""
        self.retrieval_seconds.labels("unavailable").observe(0.0)

    def reminder_sent(self, kind: NotificationKind) -> None:
        """Count one reminder delivered by the reminder job.

        Args:
            kind: The notification's kind (``monthly_plan``, ``due_soon``, ``overdue``,
                ``escalation``, ``unattended``).
        """
        self.reminders_sent.labels(kind).inc()

    def error(self, where: ErrorPlace) -> None:
        """Count one unexpected error.

        Args:
            where: ``handler`` (an update's handler failed), ``job`` (a scheduled job failed)
                or ``startup`` (a part of the bot could not start, e.g. the knowledge base).
        """
        self.errors.labels(where).inc()

    def render(self) -> tuple[bytes, str]:
        """The Prometheus text exposition of every metric here.

        Returns:
            The body for ``GET /metrics`` and the ``Content-Type`` to send it with.
        """
        return generate_latest(self.registry), CONTENT_TYPE_LATEST
