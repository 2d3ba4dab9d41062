"""A visit step's reads and writes, as explicit Core statements on one connection.

A step is one unit of work (:meth:`Database.run`): read the visit with its officer and client,
read its answers, decide, write the answers and the move. That is four statements in one
transaction, where the ORM took eight to eleven in three or four. The ORM stays with the rest
(starting a visit, reports, the importer, admin), which are not taken dozens of times a visit.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Executable, bindparam, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from assistant.data.checklist import RecordedAnswer
from assistant.db.models import (
    CLOSED_VISITS,
    AuditEntry,
    Client,
    Officer,
    Report,
    ReportStatus,
    Role,
    Visit,
    VisitAnswer,
    VisitStatus,
)
from assistant.errors import NotFound

VISITS = Visit.__table__
ANSWERS = VisitAnswer.__table__
OFFICERS = Officer.__table__
CLIENTS = Client.__table__
AUDIT = AuditEntry.__table__
_VISIT_COLUMNS = tuple(column.key for column in VISITS.columns)


@dataclass(frozen=True)
class Asker:
    """Who the officer is by the row read with the visit, as the gate's viewer is compared to."""

    telegram_id: int | None
    name: str
    role: Role
    language: str | None
    staff_no: str | None
    active: bool


@dataclass
class Loaded:
    visit: Visit
    code: str
    asker: Asker
    answers: dict[str, RecordedAnswer]


# Built once with bound parameters: SQLAlchemy then compiles each of them once, where a
# statement put together at every step is compiled (and cache-keyed) at every step.
_LOAD = (
    select(VISITS, CLIENTS.c.code, *(OFFICERS.c[f] for f in Asker.__dataclass_fields__))
    .join(CLIENTS, CLIENTS.c.id == VISITS.c.client_id)
    .join(OFFICERS, OFFICERS.c.id == VISITS.c.officer_id)
    .where(VISITS.c.id == bindparam("visit_id"))
)
_LOAD_LOCKED = _LOAD.with_for_update(of=VISITS)
_ANSWERS = select(
    ANSWERS.c.item_id,
    ANSWERS.c.status,
    ANSWERS.c.value,
    ANSWERS.c.raw_text,
    ANSWERS.c.approximate,
).where(ANSWERS.c.visit_id == bindparam("visit_id"))
_WRITTEN = ("status", "value", "raw_text", "approximate", "answered_at")


@functools.cache
def _upsert(dialect: str) -> Executable:
    """INSERT … ON CONFLICT (visit, question) DO UPDATE, in the dialect's own words."""
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    statement = insert(ANSWERS)
    return statement.on_conflict_do_update(
        index_elements=[ANSWERS.c.visit_id, ANSWERS.c.item_id],
        # ON CONFLICT's update leaves out the columns' Python onupdate: set explicitly.
        set_={key: statement.excluded[key] for key in _WRITTEN},
    )


def load(conn: Connection, visit_id: int, officer_id: int, *, lock: bool) -> Loaded:
    """The visit and its answers, when it is ``officer_id``'s.

    Args:
        lock: hold the visit row until the unit ends (PostgreSQL; SQLite's unit holds the
            database's write lock already), so a second replica handling the same tap waits
            and then sees the move this one made.

    Raises:
        NotFound: no such visit, or another officer's.
    """
    row = conn.execute(_LOAD_LOCKED if lock else _LOAD, {"visit_id": visit_id}).one_or_none()
    if row is None or row.officer_id != officer_id:
        raise NotFound("visit.not_found")
    mapping = row._mapping
    visit = Visit(**{key: mapping[VISITS.c[key]] for key in _VISIT_COLUMNS})
    asker = Asker(*(mapping[OFFICERS.c[f]] for f in Asker.__dataclass_fields__))
    answers = {
        r.item_id: RecordedAnswer(
            r.item_id, r.status, (r.value or {}).get("v"), r.raw_text, r.approximate
        )
        for r in conn.execute(_ANSWERS, {"visit_id": visit_id})
    }
    return Loaded(visit, mapping[CLIENTS.c.code], asker, answers)


REPORTS = Report.__table__


@dataclass(frozen=True)
class Resumable:
    """The officer's visit to a client that /visit takes up again rather than open a new one:
    one not closed, or (``returned``) a finished one whose report the supervisor returned."""

    id: int
    status: VisitStatus
    returned: bool


_NOT_CLOSED = (
    select(VISITS.c.id, VISITS.c.status)
    .join(CLIENTS, CLIENTS.c.id == VISITS.c.client_id)
    .where(
        CLIENTS.c.code == bindparam("code"),
        VISITS.c.officer_id == bindparam("officer_id"),
        VISITS.c.status.not_in(CLOSED_VISITS),
    )
    .order_by(VISITS.c.id.desc())
    .limit(1)
)
_RETURNED = (
    select(VISITS.c.id)
    .join(CLIENTS, CLIENTS.c.id == VISITS.c.client_id)
    .join(REPORTS, REPORTS.c.visit_id == VISITS.c.id)
    .where(
        CLIENTS.c.code == bindparam("code"),
        VISITS.c.officer_id == bindparam("officer_id"),
        VISITS.c.status == VisitStatus.FINISHED,
        REPORTS.c.status == ReportStatus.RETURNED,
    )
    .order_by(VISITS.c.id.desc())
    .limit(1)
)
_CLIENT_ID = select(CLIENTS.c.id).where(CLIENTS.c.code == bindparam("code"))


def resumable(conn: Connection, code: str, officer_id: int, *, fresh: bool) -> Resumable | None:
    """The visit /visit ``code`` takes up again; a returned report's visit only unless a fresh
    visit is asked for."""
    params = {"code": code, "officer_id": officer_id}
    row = conn.execute(_NOT_CLOSED, params).first()
    if row is not None:
        return Resumable(row.id, row.status, returned=False)
    if fresh:
        return None
    returned = conn.execute(_RETURNED, params).scalar()
    return Resumable(returned, VisitStatus.FINISHED, returned=True) if returned else None


_REPORTED = (
    select(VISITS.c.officer_id, VISITS.c.status, REPORTS.c.status.label("report"))
    .outerjoin(REPORTS, REPORTS.c.visit_id == VISITS.c.id)
    .where(VISITS.c.id == bindparam("visit_id"))
    .with_for_update(of=VISITS)
)


def reported(
    conn: Connection, visit_id: int, officer_id: int
) -> tuple[Resumable, ReportStatus | None]:
    """The officer's visit (its row locked on PostgreSQL) with its report's status: returned
    when it is finished and the supervisor returned the report.

    Raises:
        NotFound: no such visit, or another officer's.
    """
    row = conn.execute(_REPORTED, {"visit_id": visit_id}).first()
    if row is None or row.officer_id != officer_id:
        raise NotFound("visit.not_found")
    returned = row.status is VisitStatus.FINISHED and row.report is ReportStatus.RETURNED
    return Resumable(visit_id, row.status, returned=returned), row.report


def take_up(conn: Connection, found: Resumable, officer_id: int) -> None:
    """A paused visit goes on; a returned report's visit is reopened for additions."""
    if found.returned:
        conn.execute(
            update(VISITS).where(VISITS.c.id == found.id).values(status=VisitStatus.REOPENED)
        )
        audit(conn, officer_id, "visit.reopen", str(found.id))
    elif found.status is VisitStatus.PAUSED:
        conn.execute(update(VISITS).where(VISITS.c.id == found.id).values(status=VisitStatus.OPEN))


def open_new(
    conn: Connection, code: str, officer_id: int, *, check: str, depth: str, current: str
) -> int:
    """A new visit to the client, on its first stop, and its entry in the audit trail."""
    client_id = conn.execute(_CLIENT_ID, {"code": code}).scalar_one()
    visit_id = conn.execute(
        VISITS.insert()
        .values(
            client_id=client_id,
            officer_id=officer_id,
            check_type=check,
            depth=depth,
            current=current,
            findings={},
        )
        .returning(VISITS.c.id)
    ).scalar_one()
    audit(
        conn,
        officer_id,
        "visit.start",
        code,
        detail={"visit": visit_id, "check": check, "depth": depth},
    )
    return int(visit_id)


def client_code(conn: Connection, visit_id: int, officer_id: int) -> str:
    """The code of the client ``officer_id``'s visit is to.

    Raises:
        NotFound: no such visit, or another officer's.
    """
    row = conn.execute(
        select(CLIENTS.c.code, VISITS.c.officer_id)
        .join(CLIENTS, CLIENTS.c.id == VISITS.c.client_id)
        .where(VISITS.c.id == visit_id)
    ).one_or_none()
    if row is None or row.officer_id != officer_id:
        raise NotFound("visit.not_found")
    return str(row.code)


def save(
    conn: Connection,
    visit_id: int,
    recorded: Iterable[RecordedAnswer],
    now: datetime,
    **visit_changes: Any,
) -> None:
    """Write answers (each replacing that question's earlier one) and the visit's changes (its
    stop, findings …): one statement for the answers, one for the visit."""
    rows = [
        {
            "visit_id": visit_id,
            "item_id": answer.item_id,
            "status": answer.status,
            "value": {"v": answer.value},
            "raw_text": answer.raw_text,
            "approximate": answer.approximate,
            "answered_at": now,
        }
        for answer in recorded
    ]
    if rows:
        conn.execute(_upsert(conn.dialect.name), rows)
    if visit_changes:
        conn.execute(update(VISITS).where(VISITS.c.id == visit_id).values(**visit_changes))


def audit(
    conn: Connection,
    actor_officer_id: int,
    action: str,
    target: str,
    *,
    detail: dict[str, Any] | None = None,
) -> None:
    """An entry in the audit trail, in the step's transaction: it is there exactly when the
    step is."""
    conn.execute(
        AUDIT.insert().values(
            actor_officer_id=actor_officer_id or None,
            action=action,
            target=target,
            detail=detail or {},
        )
    )
