"""The storage model: officers and their teams, the loan portfolio, invites, audit and bot state."""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Date,
    DateTime,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.engine.interfaces import ExecutionContext
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from assistant.clock import Clock, SystemClock, as_utc

# The execution option under which :class:`~assistant.db.database.Database` hands its clock to
# the column defaults below.
CLOCK_OPTION = "lva_clock"
_SYSTEM_CLOCK = SystemClock()


def stamp(context: ExecutionContext) -> datetime:
    """The time a row is written, from the clock of the database writing it.

    A column default, so that ``created_at`` and ``updated_at`` follow the same injected clock
    as the services do; a test that moves its clock moves the stamps too.
    """
    clock: Clock = context.execution_options.get(CLOCK_OPTION, _SYSTEM_CLOCK)
    return clock.now()


class UtcDateTime(TypeDecorator[datetime]):
    """A moment stored in UTC and always read back timezone-aware.

    PostgreSQL's ``timestamptz`` does this itself; SQLite has no such type, keeps the wall
    time without its zone and hands back naive datetimes. Converting to UTC on the way in and
    marking UTC on the way out gives both the same behaviour, and a naive moment is refused
    before it is stored as a time of unknown zone.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else as_utc(value)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Role(enum.StrEnum):
    OFFICER = "officer"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"


class ClientKind(enum.StrEnum):
    CORPORATE = "corporate"  # 法人
    INDIVIDUAL = "individual"  # 自然人 / 个体工商户


class LoanProduct(enum.StrEnum):
    WORKING_CAPITAL = "working_capital"  # 流动资金贷款
    FIXED_ASSET = "fixed_asset"  # 固定资产/项目贷款
    PERSONAL_BUSINESS = "personal_business"  # 个人经营贷款
    PERSONAL_CONSUMPTION = "personal_consumption"  # 个人消费贷款


class PaymentMethod(enum.StrEnum):
    ENTRUSTED = "entrusted"  # 受托支付
    SELF = "self"  # 自主支付


class RiskClass(enum.StrEnum):
    """Five-tier classification (商业银行金融资产风险分类办法, 2023)."""

    NORMAL = "normal"  # 正常
    SPECIAL_MENTION = "special_mention"  # 关注
    SUBSTANDARD = "substandard"  # 次级
    DOUBTFUL = "doubtful"  # 可疑
    LOSS = "loss"  # 损失


def _enum(cls: type[enum.Enum], name: str) -> Enum:
    # Stored as plain strings (no native PG enum) so that adding a value needs no type migration.
    return Enum(cls, name=name, native_enum=False, length=32, values_callable=_values)


def _values(cls: type[enum.Enum]) -> list[str]:
    return [member.value for member in cls]


NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar = {datetime: UtcDateTime(), dict[str, Any]: JSON}


class Officer(Base):
    """A bank employee. ``telegram_id`` is empty until the person joins with an invite."""

    __tablename__ = "officers"

    id: Mapped[int] = mapped_column(primary_key=True)
    telegram_id: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    staff_no: Mapped[str | None] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    role: Mapped[Role] = mapped_column(_enum(Role, "role"), default=Role.OFFICER)
    supervisor_id: Mapped[int | None] = mapped_column(ForeignKey("officers.id"))
    language: Mapped[str | None] = mapped_column(String(8))
    active: Mapped[bool] = mapped_column(default=True)
    joined_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=stamp)

    supervisor: Mapped[Officer | None] = relationship(remote_side=[id], lazy="raise")


class Invite(Base):
    """A one-time code. Only its hash is stored, so a database leak reveals no usable code."""

    __tablename__ = "invites"

    id: Mapped[int] = mapped_column(primary_key=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[Role] = mapped_column(_enum(Role, "role"))
    staff_no: Mapped[str | None] = mapped_column(String(32))
    supervisor_id: Mapped[int | None] = mapped_column(ForeignKey("officers.id"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("officers.id"))
    created_at: Mapped[datetime] = mapped_column(default=stamp)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    used_by_officer_id: Mapped[int | None] = mapped_column(ForeignKey("officers.id"))


class Client(Base):
    __tablename__ = "clients"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[ClientKind] = mapped_column(_enum(ClientKind, "client_kind"))
    industry: Mapped[str | None] = mapped_column(String(100))
    registered_address: Mapped[str | None] = mapped_column(String(300))
    # 统一社会信用代码 and 法定代表人: a photographed business licence is checked against them.
    credit_code: Mapped[str | None] = mapped_column(String(18))
    legal_representative: Mapped[str | None] = mapped_column(String(100))
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    business_district: Mapped[str | None] = mapped_column(String(100))
    officer_id: Mapped[int] = mapped_column(ForeignKey("officers.id"), index=True)
    handed_over_on: Mapped[date | None] = mapped_column(Date)
    # The client said they would introduce someone (客户介绍客户): a reason to drop by.
    referral_promised: Mapped[bool] = mapped_column(default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(default=stamp)
    updated_at: Mapped[datetime] = mapped_column(default=stamp, onupdate=stamp)

    officer: Mapped[Officer] = relationship(lazy="raise")
    loans: Mapped[list[Loan]] = relationship(
        back_populates="client", lazy="raise", order_by="Loan.disbursed_on"
    )


class Loan(Base):
    __tablename__ = "loans"

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_no: Mapped[str] = mapped_column(String(64), unique=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id"), index=True)
    product: Mapped[LoanProduct] = mapped_column(_enum(LoanProduct, "loan_product"))
    amount: Mapped[Decimal] = mapped_column(Numeric(18, 2))
    agreed_purpose: Mapped[str] = mapped_column(String(300))
    disbursed_on: Mapped[date] = mapped_column(Date)
    matures_on: Mapped[date] = mapped_column(Date)
    payment_method: Mapped[PaymentMethod] = mapped_column(_enum(PaymentMethod, "payment_method"))
    risk_class: Mapped[RiskClass] = mapped_column(
        _enum(RiskClass, "risk_class"), default=RiskClass.NORMAL
    )
    days_overdue: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(default=stamp, onupdate=stamp)

    client: Mapped[Client] = relationship(back_populates="loans", lazy="raise")
    guarantors: Mapped[list[Guarantor]] = relationship(
        back_populates="loan", lazy="raise", order_by="Guarantor.name"
    )
    collateral: Mapped[list[Collateral]] = relationship(
        back_populates="loan", lazy="raise", order_by="Collateral.registration_no"
    )


class Guarantor(Base):
    __tablename__ = "guarantors"
    __table_args__ = (UniqueConstraint("loan_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    loan_id: Mapped[int] = mapped_column(ForeignKey("loans.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[ClientKind] = mapped_column(_enum(ClientKind, "client_kind"))
    relationship_to_borrower: Mapped[str | None] = mapped_column(String(100))
    guaranteed_amount: Mapped[Decimal | None] = mapped_column(Numeric(18, 2))

    loan: Mapped[Loan] = relationship(back_populates="guarantors", lazy="raise")


class Collateral(Base):
    __tablename__ = "collateral"
    __table_args__ = (UniqueConstraint("loan_id", "registration_no"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    loan_id: Mapped[int] = mapped_column(ForeignKey("loans.id"), index=True)
    type: Mapped[str] = mapped_column(String(100))
    location: Mapped[str | None] = mapped_column(String(300))
    area_sqm: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    appraised_value: Mapped[Decimal | None] = mapped_column(Numeric(18, 2))
    appraised_on: Mapped[date | None] = mapped_column(Date)
    registration_no: Mapped[str] = mapped_column(String(100))

    loan: Mapped[Loan] = relationship(back_populates="collateral", lazy="raise")


class AuditEntry(Base):
    """Who did what to which record. ``detail`` holds counts and codes, never personal data."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_at", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=stamp)
    actor_officer_id: Mapped[int | None] = mapped_column(ForeignKey("officers.id"))
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str | None] = mapped_column(String(200))
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)


class StateEntry(Base):
    """Bot conversation state (PTB persistence), in the database so that restarts lose nothing."""

    __tablename__ = "bot_state"

    namespace: Mapped[str] = mapped_column(String(32), primary_key=True)
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    value: Mapped[dict[str, Any]] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(default=stamp, onupdate=stamp)


class RefusedContact(Base):
    """Strangers already told that the bot is invite-only, so they are not answered again."""

    __tablename__ = "refused_contacts"

    telegram_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    refused_at: Mapped[datetime] = mapped_column(default=stamp)
    failed_codes: Mapped[int] = mapped_column(Integer, default=0)


class VisitStatus(enum.StrEnum):
    OPEN = "open"
    PAUSED = "paused"
    FINISHED = "finished"
    # Started by mistake and thrown away by the officer: kept for the audit trail, shown nowhere.
    DISCARDED = "discarded"
    # 待补充: the officer left the client with the visit not submitted, to complete it later;
    # it takes answers and files as an open one does, and the end-of-day reminder lists it.
    TO_COMPLETE = "to_complete"
    # 补充: a finished visit whose report the supervisor returned, opened again for additions;
    # finishing it again resubmits the same report. The visit happened: it counts as made.
    REOPENED = "reopened"


# A visit in one of these takes no more answers, files or readings.
CLOSED_VISITS = (VisitStatus.FINISHED, VisitStatus.DISCARDED)
# Visits completed away from the client: they resume at what is missing.
COMPLETING_LATER = (VisitStatus.TO_COMPLETE, VisitStatus.REOPENED)
# Visits that were made: a plan counts them done, and they have (or may have) a report.
MADE_VISITS = (VisitStatus.FINISHED, VisitStatus.REOPENED)


class Visit(Base):
    """One post-loan visit. ``current`` names the stop the officer is on; the rest of the plan
    is derived from the checklist, the pre-visit findings and the answers, so it is not stored."""

    __tablename__ = "visits"
    __table_args__ = (Index("ix_visits_officer_status", "officer_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id"), index=True)
    officer_id: Mapped[int] = mapped_column(ForeignKey("officers.id"))
    check_type: Mapped[str] = mapped_column(String(16))
    # "short" or "full" (assistant.data.vocabulary.DEPTHS); switching keeps every answer.
    depth: Mapped[str] = mapped_column(String(8), default="full", server_default="full")
    status: Mapped[VisitStatus] = mapped_column(
        _enum(VisitStatus, "visit_status"), default=VisitStatus.OPEN
    )
    current: Mapped[str] = mapped_column(String(200))
    findings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    started_at: Mapped[datetime] = mapped_column(default=stamp)
    updated_at: Mapped[datetime] = mapped_column(default=stamp, onupdate=stamp)
    finished_at: Mapped[datetime | None]
    checkin_at: Mapped[datetime | None]
    checkin_latitude: Mapped[float | None] = mapped_column(Float)
    checkin_longitude: Mapped[float | None] = mapped_column(Float)
    checkin_distance_m: Mapped[float | None] = mapped_column(Float)


class AnswerStatus(enum.StrEnum):
    ANSWERED = "answered"
    SKIPPED = "skipped"
    NOT_APPLICABLE = "not_applicable"


class VisitAnswer(Base):
    """A typed answer with what was typed, so the report can show both."""

    __tablename__ = "visit_answers"
    __table_args__ = (UniqueConstraint("visit_id", "item_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("visits.id"), index=True)
    item_id: Mapped[str] = mapped_column(String(200))
    status: Mapped[AnswerStatus] = mapped_column(_enum(AnswerStatus, "answer_status"))
    value: Mapped[dict[str, Any]] = mapped_column(default=dict)
    raw_text: Mapped[str | None] = mapped_column(Text)
    approximate: Mapped[bool] = mapped_column(default=False)
    answered_at: Mapped[datetime] = mapped_column(default=stamp, onupdate=stamp)


class EvidenceFile(Base):
    """A photo or document collected on a visit; the bytes live content-addressed on disk."""

    __tablename__ = "evidence_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("visits.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    category: Mapped[str | None] = mapped_column(String(200))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int] = mapped_column(Integer)
    mime_type: Mapped[str | None] = mapped_column(String(100))
    file_name: Mapped[str | None] = mapped_column(String(255))
    telegram_file_unique_id: Mapped[str | None] = mapped_column(String(100))
    media_group_id: Mapped[str | None] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(default=stamp)
    exif_taken_at: Mapped[str | None] = mapped_column(String(32))
    exif_latitude: Mapped[float | None] = mapped_column(Float)
    exif_longitude: Mapped[float | None] = mapped_column(Float)
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("evidence_files.id"))


class EvidenceReading(Base):
    """What OCR read on one file, the fields extracted from it, and what the officer confirmed.

    ``fields`` holds the extractor's proposals ({name: {value, confidence, source}}); ``confirmed``
    only what the officer accepted or typed ({name: {value, by: "ocr" | "officer"}}). Cross-checks
    read ``confirmed`` alone, so an OCR guess never stands in for the officer's word.
    """

    __tablename__ = "evidence_readings"

    id: Mapped[int] = mapped_column(primary_key=True)
    evidence_file_id: Mapped[int] = mapped_column(ForeignKey("evidence_files.id"), unique=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("visits.id"), index=True)
    category: Mapped[str] = mapped_column(String(200))
    expected_type: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16))  # pending | done | failed
    problem: Mapped[str | None] = mapped_column(String(32))
    detected_type: Mapped[str | None] = mapped_column(String(32))
    engine: Mapped[str | None] = mapped_column(String(64))
    elapsed_ms: Mapped[int | None] = mapped_column(Integer)
    upside_down: Mapped[bool] = mapped_column(default=False, server_default=false())
    # The size the lines' boxes refer to: a file moved to another category is read again from
    # its lines, and the signboard reader compares text heights with the photo's.
    image_width: Mapped[int | None] = mapped_column(Integer)
    image_height: Mapped[int | None] = mapped_column(Integer)
    lines: Mapped[list[Any]] = mapped_column(JSON, default=list)
    fields: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    confirmed: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=stamp)
    updated_at: Mapped[datetime] = mapped_column(default=stamp, onupdate=stamp)


class ReportStatus(enum.StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    RETURNED = "returned"
    APPROVED = "approved"


class Report(Base):
    """The risk report of one finished visit, through review to approval.

    Figures are never stored here: the report is composed from the visit's answers each time, so
    an edit to a narrative cannot change a number. What is kept is what the officer wrote (section
    texts, remarks) and what the supervisor decided.
    """

    __tablename__ = "reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("visits.id"), unique=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id"), index=True)
    officer_id: Mapped[int] = mapped_column(ForeignKey("officers.id"), index=True)
    status: Mapped[ReportStatus] = mapped_column(
        _enum(ReportStatus, "report_status"), default=ReportStatus.DRAFT
    )
    # Incremented at every submission, so a supervisor's decision names the version it was on.
    version: Mapped[int] = mapped_column(Integer, default=0)
    overrides: Mapped[dict[str, Any]] = mapped_column(default=dict)
    polished: Mapped[dict[str, Any]] = mapped_column(default=dict)
    remarks: Mapped[str | None] = mapped_column(Text)
    # The officer's own overall judgement (综合评价): written by them, never composed.
    assessment: Mapped[str | None] = mapped_column(Text)
    # The teammate who made the visit with the author (双人检查): named in the report and signing.
    companion_id: Mapped[int | None] = mapped_column(ForeignKey("officers.id"))
    narrative: Mapped[str | None] = mapped_column(Text)
    # What each submitted version said, by version: {"2": {section id: narrative, ...}}, so the
    # reviewer sees what changed since the version they returned.
    submitted_texts: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=dict)
    similarity_to_previous: Mapped[float | None] = mapped_column(Float)
    findings: Mapped[list[Any]] = mapped_column(JSON, default=list)
    suggested_class: Mapped[str | None] = mapped_column(String(32))
    submitted_at: Mapped[datetime | None]
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("officers.id"))
    reviewed_at: Mapped[datetime | None]
    review_comment: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=stamp)
    updated_at: Mapped[datetime] = mapped_column(default=stamp, onupdate=stamp)


class Alert(Base):
    """A warning or critical finding sent to the supervisor: one per visit and rule, ever."""

    __tablename__ = "alerts"
    __table_args__ = (UniqueConstraint("visit_id", "rule_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("visits.id"), index=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id"), index=True)
    officer_id: Mapped[int] = mapped_column(ForeignKey("officers.id"))
    supervisor_id: Mapped[int | None] = mapped_column(ForeignKey("officers.id"), index=True)
    rule_id: Mapped[str] = mapped_column(String(100))
    severity: Mapped[str] = mapped_column(String(16))
    finding: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=stamp)
    acknowledged_at: Mapped[datetime | None]
    acknowledged_by_id: Mapped[int | None] = mapped_column(ForeignKey("officers.id"))


class ScheduleChange(Base):
    """An officer moved (``due_on``) or snoozed (``snoozed_until``) a client's planned visit.

    It holds until the next visit to the client is finished; the newest change wins.
    """

    __tablename__ = "schedule_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id"), index=True)
    officer_id: Mapped[int] = mapped_column(ForeignKey("officers.id"))
    due_on: Mapped[date | None] = mapped_column(Date)
    snoozed_until: Mapped[date | None] = mapped_column(Date)
    reason: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=stamp)


class SurveyTrip(Base):
    """A pre-loan survey trip (贷前调查) an officer has planned, so that post-loan visits in the
    same district can be made on the way."""

    __tablename__ = "survey_trips"
    __table_args__ = (Index("ix_survey_trips_officer_on", "officer_id", "on_date"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    officer_id: Mapped[int] = mapped_column(ForeignKey("officers.id"))
    # "on" is an SQL keyword; the column gets a plain name.
    on: Mapped[date] = mapped_column("on_date", Date)
    district: Mapped[str] = mapped_column(String(100))
    note: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(default=stamp)


class NotificationLog(Base):
    """Every reminder sent, by a key that names what it is about (``plan:<officer>:<yyyy-mm>``
    ...). The key is unique, so a notification goes out once even across restarts."""

    __tablename__ = "notification_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(32))
    recipient_officer_id: Mapped[int | None] = mapped_column(ForeignKey("officers.id"))
    sent_at: Mapped[datetime] = mapped_column(default=stamp)
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
