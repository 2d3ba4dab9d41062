"""The async engine and session factory, for SQLite (embedded default) and PostgreSQL."""

from __future__ import annotations

import asyncio
import contextvars
import hashlib
import logging
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager, contextmanager
from contextvars import ContextVar
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, DisconnectionError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import Session

from assistant.clock import Clock, SystemClock
from assistant.db.migrate import upgrade_to_head
from assistant.db.models import CLOCK_OPTION
from assistant.errors import DatabaseUnavailable

log = logging.getLogger(__name__)

# Any fixed 64-bit number works; every replica must use the same one.
MIGRATION_LOCK_ID = 0x6C6F616E5F76_01
_IN_SQLITE_TRANSACTION: ContextVar[bool] = ContextVar("in_sqlite_transaction", default=False)
T = TypeVar("T")
W = TypeVar("W")


class Database:
    """Owns the engine. Creating it connects to nothing; :meth:`start` does.

    Args:
        clock: stamps the rows written (``created_at``, ``updated_at`` …) and is the clock the
            services read through :meth:`now`, so stored times and computed ones agree.
    """

    def __init__(self, url: str, *, echo: bool = False, clock: Clock | None = None) -> None:
        self.url = make_url(url)
        self.safe_url = self.url.render_as_string(hide_password=True)
        self.clock: Clock = clock or SystemClock()
        # hide_parameters: SQL errors end up in logs, and their parameters are customer data.
        kwargs: dict[str, Any] = {
            "echo": echo,
            "hide_parameters": True,
            "execution_options": {CLOCK_OPTION: self.clock},
        }
        if self.is_sqlite:
            if self.url.database and self.url.database != ":memory:":
                Path(self.url.database).parent.mkdir(parents=True, exist_ok=True)
            kwargs["connect_args"] = {"timeout": 30}
        else:
            # No pre-ping: it cost a round trip (BEGIN, ";", ROLLBACK) at every checkout, about
            # a third of a visit step's. A connection the server closed is known locally
            # instead (_closed_by_server), and one that dies mid-step fails that step, which the
            # officer is told to send again; the pool then drops every older connection.
            kwargs.update(pool_size=5, max_overflow=10)
        self.engine: AsyncEngine = create_async_engine(self.url, **kwargs)
        if self.is_sqlite:
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
        else:
            event.listen(self.engine.sync_engine, "checkout", _closed_by_server)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        # Units of work (run) on a SQLite file go to one thread of their own with a plain
        # sqlite3 connection: a step crosses threads once, not once per statement and fetch as
        # through aiosqlite, and a wait for another process's lock is that thread's, never the
        # event loop's.
        self._unit_engine: Engine | None = None
        self._unit_thread: ThreadPoolExecutor | None = None
        # Units that only read (read) go to a second thread and connection: WAL lets them read
        # beside the writer, so they neither take the turn nor wait for one.
        self._read_engine: Engine | None = None
        self._read_thread: ThreadPoolExecutor | None = None
        if self.is_sqlite and self.url.database and self.url.database != ":memory:":
            self._unit_engine = self._thread_engine(echo, _begin_immediate)
            self._read_engine = self._thread_engine(echo, _begin_deferred)
        self._started = False
        self._start_lock = asyncio.Lock()
        # SQLite has one writer at a time. Left to itself, a waiting writer sleeps and polls in
        # SQLite's busy handler (a dozen concurrent writers took minutes in a test); updates are
        # handled concurrently, so the process's transactions take turns here instead. A lock
        # of threads, not of the event loop: the database thread takes and hands back the turn
        # for a unit itself, so the turn is held for the unit's work, not until a busy loop
        # gets round to the unit's result (at the soak's busiest that made it the bottleneck).
        self._sqlite_turn = threading.Lock() if self.is_sqlite else None
        self._turn_waiters: ThreadPoolExecutor | None = None

    def _thread_engine(self, echo: bool, begin: Callable[[Connection], None]) -> Engine:
        """A plain sqlite3 engine for one thread of its own, beginning its transactions with
        ``begin``."""
        engine = create_engine(
            self.url.set(drivername="sqlite+pysqlite"),
            echo=echo,
            hide_parameters=True,
            execution_options={CLOCK_OPTION: self.clock},
            connect_args={"timeout": 30, "check_same_thread": False},
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "connect", _own_transactions)
        event.listen(engine, "begin", begin)
        return engine

    def now(self) -> datetime:
        """The current moment (UTC) by this database's clock."""
        return self.clock.now()

    @property
    def is_sqlite(self) -> bool:
        return self.url.get_backend_name() == "sqlite"

    async def start(self) -> None:
        """Check the connection and apply pending migrations (once, even if called again)."""
        async with self._start_lock:
            if self._started:
                return
            try:
                async with self.engine.connect() as conn:
                    await conn.execute(text("SELECT 1"))
                await self.migrate()
            except (OSError, OperationalError, DBAPIError) as exc:
                raise DatabaseUnavailable(self.safe_url, _short_reason(exc)) from exc
            self._started = True

    async def migrate(self) -> None:
        """Upgrade the schema to the newest Alembic revision."""
        async with self.engine.connect() as conn:
            if not self.is_sqlite:
                # Replicas starting together must not race through the same migration.
                await conn.execute(text("SELECT pg_advisory_lock(:id)"), {"id": MIGRATION_LOCK_ID})
            try:
                await conn.run_sync(upgrade_to_head)
                await conn.commit()
            finally:
                if not self.is_sqlite:
                    await conn.execute(
                        text("SELECT pg_advisory_unlock(:id)"), {"id": MIGRATION_LOCK_ID}
                    )
                    await conn.commit()

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A session in a transaction: committed on success, rolled back on any error.

        Raises:
            DatabaseUnavailable: the connection was lost or could not be made (a restart, a
                failover, killed connections); the transaction was rolled back.
        """
        with self._lost_as_unavailable():
            async with self._transaction() as session:
                yield session

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[AsyncSession]:
        """A session that only reads: nothing it changes is kept.

        On SQLite it does not take the turn (WAL lets it read beside the writer), so each of
        its statements sees the latest commit, a moment older than a write in flight. A read
        that a write depends on belongs in :meth:`session` or :meth:`run`.

        Raises:
            DatabaseUnavailable: as :meth:`session`.
        """
        with self._lost_as_unavailable():
            # Closed, not rolled back: the rows read stay loaded for the caller.
            async with self.sessions() as session:
                yield session

    @contextmanager
    def _lost_as_unavailable(self) -> Iterator[None]:
        """A connection lost or never made is DatabaseUnavailable; other errors go on as they
        are (a constraint violated is the caller's to handle)."""
        try:
            yield
        except (OperationalError, InterfaceError, ConnectionError) as exc:
            raise DatabaseUnavailable(self.safe_url, _short_reason(exc)) from exc
        except DBAPIError as exc:
            if not exc.connection_invalidated:
                raise
            raise DatabaseUnavailable(self.safe_url, _short_reason(exc)) from exc

    @asynccontextmanager
    async def _transaction(self) -> AsyncIterator[AsyncSession]:
        if self._sqlite_turn is None or _IN_SQLITE_TRANSACTION.get():
            async with self.sessions() as session, session.begin():
                yield session
            return
        await self._take_turn(self._sqlite_turn)
        token = _IN_SQLITE_TRANSACTION.set(True)
        try:
            async with self.sessions() as session, session.begin():
                yield session
        finally:
            _IN_SQLITE_TRANSACTION.reset(token)
            self._sqlite_turn.release()

    async def _take_turn(self, turn: threading.Lock) -> None:
        """Wait for the turn on a thread, never on the event loop."""
        if turn.acquire(blocking=False):
            return
        if self._turn_waiters is None:
            self._turn_waiters = ThreadPoolExecutor(16, thread_name_prefix="sqlite-turn")
        waiting = self._turn_waiters.submit(turn.acquire)
        try:
            await asyncio.wrap_future(waiting)
        except asyncio.CancelledError:
            # The wait goes on in its thread; a turn it gets after all is handed back at once.
            waiting.add_done_callback(
                lambda done: turn.release() if not done.cancelled() and done.result() else None
            )
            raise

    async def run(self, work: Callable[[Connection], T]) -> T:
        """One unit of work: ``work`` gets a connection in a transaction of its own, committed
        when it returns and rolled back when it raises (its exception goes on to the caller).

        ``work`` is plain synchronous code (Core statements, and whatever deciding it needs
        between them): on SQLite it runs on the database's own thread, holding the write lock
        from its first statement, so nothing can change what it read before it writes; on
        PostgreSQL through the async driver, where it locks what it reads ``FOR UPDATE``.

        Raises:
            DatabaseUnavailable: as :meth:`session`.
        """
        with self._lost_as_unavailable():
            if self._unit_engine is None or _IN_SQLITE_TRANSACTION.get():
                # Inside a session on SQLite this task holds the turn already: the unit gets a
                # connection of its own, as a session opened there does (fine for reading;
                # WAL lets it read beside the session's writes).
                async with self.engine.begin() as conn:
                    return await conn.run_sync(work)
            if self._unit_thread is None:
                self._unit_thread = ThreadPoolExecutor(1, thread_name_prefix="sqlite")
            return await _on_thread(self._unit_thread, self._run_here, work)

    async def run_orm(self, work: Callable[[Session], T]) -> T:
        """:meth:`run` with an ORM session over the unit's connection, for what is written
        as objects: what ``work`` adds or changes is flushed and committed with the unit.

        For the writes of reports, alerts and chat state, which in an async session held
        SQLite's turn across a thread hop per statement, each one waiting for a busy event
        loop: at the soak's busiest, those sessions held the turn almost all the time.
        """

        def unit(conn: Connection) -> T:
            with Session(bind=conn) as session:
                result = work(session)
                session.flush()
                return result

        return await self.run(unit)

    def _run_here(self, work: Callable[[Connection], T]) -> T:
        assert self._unit_engine is not None
        assert self._sqlite_turn is not None
        with self._sqlite_turn, self._unit_engine.begin() as conn:
            return work(conn)

    async def read(self, work: Callable[[Connection], T]) -> T:
        """A unit of work that only reads: ``work`` sees one snapshot of the database, and
        whatever it tries to change is rolled back.

        On SQLite it runs on a reading thread of its own, beside the writer, without waiting
        for the turn: what it reads may be a moment older than a write in flight, never half of
        one. Whatever must not change between a read and a write belongs in :meth:`run`.

        Raises:
            DatabaseUnavailable: as :meth:`session`.
        """
        with self._lost_as_unavailable():
            if self._read_engine is None:
                async with self.engine.connect() as conn:
                    try:
                        return await conn.run_sync(work)
                    finally:
                        await conn.rollback()
            if self._read_thread is None:
                self._read_thread = ThreadPoolExecutor(1, thread_name_prefix="sqlite-read")
            return await _on_thread(self._read_thread, self._read_here, work)

    def _read_here(self, work: Callable[[Connection], T]) -> T:
        assert self._read_engine is not None
        with self._read_engine.connect() as conn:
            conn.begin()
            try:
                return work(conn)
            finally:
                conn.rollback()

    @property
    def sync_engines(self) -> list[Engine]:
        """Every engine statements go through, for listeners (the benchmarks count them)."""
        threads = [e for e in (self._unit_engine, self._read_engine) if e is not None]
        return [self.engine.sync_engine, *threads]

    @property
    def dialect(self) -> str:
        return self.url.get_backend_name()

    async def ping(self) -> None:
        """One round trip; raises DatabaseUnavailable when the database does not answer."""
        try:
            async with self.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        except (OSError, OperationalError, DBAPIError) as exc:
            raise DatabaseUnavailable(self.safe_url, _short_reason(exc)) from exc

    @asynccontextmanager
    async def leader(self, name: str) -> AsyncIterator[bool]:
        """Whether this process may run the job ``name`` now: ``True`` for exactly one of the
        replicas that ask at the same time.

        On PostgreSQL it is a session advisory lock, held while the job runs and released
        after; a replica that does not get it skips this turn. SQLite serves one process, which
        always leads.
        """
        if self.is_sqlite:
            yield True
            return
        key = int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)
        async with self.engine.connect() as conn:
            got = bool(
                (await conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key})).scalar()
            )
            await conn.commit()
            try:
                yield got
            finally:
                if got:
                    await conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
                    await conn.commit()

    async def dispose(self) -> None:
        await self.engine.dispose()
        if self._turn_waiters is not None:
            self._turn_waiters.shutdown(wait=False)
            self._turn_waiters = None
        threads = ((self._unit_thread, self._unit_engine), (self._read_thread, self._read_engine))
        self._unit_thread = self._read_thread = None
        for thread, engine in threads:
            if thread is not None and engine is not None:
                # Each engine's connection is closed on the thread that made it.
                await asyncio.get_running_loop().run_in_executor(thread, engine.dispose)
                thread.shutdown(wait=False)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    # Safe with WAL: a crash loses nothing committed; only a power cut may lose the last commits.
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _own_transactions(dbapi_connection: Any, _record: Any) -> None:
    # sqlite3 would begin a deferred transaction at the first write; _begin_immediate begins it.
    dbapi_connection.isolation_level = None


async def _on_thread(thread: ThreadPoolExecutor, run: Callable[[W], T], work: W) -> T:
    # The caller's context goes along (as asyncio.to_thread does): what it set for logging or
    # measuring holds for the unit's statements too.
    here = contextvars.copy_context()
    return await asyncio.get_running_loop().run_in_executor(thread, here.run, run, work)


def _begin_immediate(conn: Connection) -> None:
    """Take SQLite's write lock when the unit begins, not at its first write: a unit that read
    and then found another process writing could only fail. Sent on the driver's connection,
    since it is the transaction's start, not one of the unit's statements."""
    conn.connection.dbapi_connection.execute("BEGIN IMMEDIATE")  # type: ignore[union-attr]


def _begin_deferred(conn: Connection) -> None:
    """A reading unit's transaction: its snapshot is taken at its first read, and it never
    takes the write lock."""
    conn.connection.dbapi_connection.execute("BEGIN")  # type: ignore[union-attr]


def _closed_by_server(dbapi_connection: Any, record: Any, proxy: Any) -> None:
    """A pooled connection whose socket the server closed (a restart, a failover, an idle
    timeout) is replaced before use, without a round trip: asyncpg learns of the close as it
    happens. SQLAlchemy takes the raise as "try another connection"."""
    driver = getattr(dbapi_connection, "driver_connection", None)
    is_closed = getattr(driver, "is_closed", None)
    if is_closed is not None and is_closed():
        raise DisconnectionError("the server closed this connection")


def _short_reason(exc: BaseException) -> str:
    root: BaseException = exc
    while getattr(root, "orig", None) is not None:
        root = root.orig  # type: ignore[assignment]
    while root.__cause__ is not None:
        root = root.__cause__
    return (str(root).strip().splitlines() or [type(root).__name__])[0][:200]
