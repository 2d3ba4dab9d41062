import asyncio
import contextvars

import pytest
from sqlalchemy import event, inspect, text

from assistant.db.database import Database


async def test_migrations_create_the_domain_tables(database: Database) -> None:
    async with database.engine.connect() as conn:
        tables = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
    assert {
        "officers",
        "clients",
        "loans",
        "guarantors",
        "collateral",
        "audit_log",
        "invites",
        "bot_state",
        "alembic_version",
    } <= tables


async def test_start_is_idempotent(database: Database) -> None:
    await database.start()
    await database.migrate()
    async with database.session() as session:
        version = (await session.execute(text("SELECT version_num FROM alembic_version"))).scalar()
    assert version == "0009"


async def test_concurrent_read_then_write_transactions_all_commit(database: Database) -> None:
    """Updates are handled concurrently; on SQLite two transactions that read and then write
    would otherwise fail at once with "database is locked"."""
    from sqlalchemy import func, select

    from assistant.db.models import StateEntry

    async def read_then_write(n: int) -> None:
        async with database.session() as session:
            await session.scalar(select(func.count()).select_from(StateEntry))
            await asyncio.sleep(0.01)
            session.add(StateEntry(namespace="t", key=str(n), value={"n": n}))

    await asyncio.gather(*(read_then_write(n) for n in range(12)))
    async with database.session() as session:
        assert await session.scalar(select(func.count()).select_from(StateEntry)) == 12


async def test_a_session_opened_inside_another_does_not_wait_for_itself(
    database: Database,
) -> None:
    from sqlalchemy import select

    from assistant.db.models import StateEntry

    async with database.session() as outer:
        outer.add(StateEntry(namespace="t", key="outer", value={}))
        async with asyncio.timeout(5), database.session() as inner:
            assert await inner.scalar(select(StateEntry.key).limit(1)) is None


async def test_a_pooled_connection_the_server_closed_is_replaced_without_a_failed_step(
    pg_url: str,
) -> None:
    """No pre-ping round trip at checkout, yet a connection PostgreSQL closed while it sat in
    the pool (a restart, an idle timeout) is not handed to the next step."""
    database = Database(pg_url)
    await database.start()
    try:
        async with database.session() as session:
            pid = await session.scalar(text("SELECT pg_backend_pid()"))
        killer = Database(pg_url)
        async with killer.session() as session:
            await session.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        await killer.dispose()
        await asyncio.sleep(0.2)  # the close reaches the pooled connection's socket

        statements: list[str] = []

        def count(conn, cursor, statement, *args) -> None:
            statements.append(statement)

        pings: list[object] = []
        dialect = database.engine.dialect
        ping = dialect.do_ping
        dialect.do_ping = lambda connection: pings.append(connection) or ping(connection)  # type: ignore[method-assign]
        event.listen(database.engine.sync_engine, "before_cursor_execute", count)
        async with database.session() as session:
            assert await session.scalar(text("SELECT pg_backend_pid()")) != pid
        assert statements == ["SELECT pg_backend_pid()"]
        assert pings == [], "no ping round trip before the step's own work"
    finally:
        await database.dispose()


async def test_reads_go_on_while_a_write_transaction_is_open(database: Database) -> None:
    """A unit that only reads, and a reading session, neither wait for another update's write
    in flight (on SQLite: for the process's turn) nor see it before it commits."""
    from sqlalchemy import select

    from assistant.db.models import StateEntry

    async with database.session() as session:
        session.add(StateEntry(namespace="t", key="before", value={}))
    written, done = asyncio.Event(), asyncio.Event()

    async def another_update() -> None:
        async with database.session() as writing:
            writing.add(StateEntry(namespace="t", key="in flight", value={}))
            await writing.flush()
            written.set()
            await done.wait()

    writer = asyncio.create_task(another_update())
    await written.wait()

    def keys(conn) -> list[str]:
        return list(conn.scalars(select(StateEntry.key).order_by(StateEntry.key)))

    try:
        async with asyncio.timeout(5):
            assert await database.read(keys) == ["before"]
            async with database.reading() as reading:
                assert list(await reading.scalars(select(StateEntry.key))) == ["before"]
    finally:
        done.set()
        await writer
    assert await database.read(keys) == ["before", "in flight"]


async def test_what_a_read_changes_is_not_kept(database: Database) -> None:
    from sqlalchemy import func, insert, select

    from assistant.db.models import StateEntry

    def sneaky(conn) -> None:
        conn.execute(insert(StateEntry).values(namespace="t", key="x", value={}))

    await database.read(sneaky)
    async with database.reading() as reading:
        reading.add(StateEntry(namespace="t", key="y", value={}))
    async with database.session() as session:
        assert await session.scalar(select(func.count()).select_from(StateEntry)) == 0


async def test_rows_a_reading_session_loaded_stay_readable_after_it(database: Database) -> None:
    from assistant.db.models import StateEntry

    async with database.session() as session:
        session.add(StateEntry(namespace="t", key="k", value={"n": 1}))
    async with database.reading() as reading:
        entry = await reading.get(StateEntry, ("t", "k"))
    assert entry is not None and entry.value == {"n": 1}


async def test_a_unit_s_objects_commit_together_or_not_at_all(database: Database) -> None:
    from sqlalchemy import func, select

    from assistant.db.models import StateEntry

    def both(session) -> str:
        session.add(StateEntry(namespace="t", key="a", value={}))
        session.add(StateEntry(namespace="t", key="b", value={}))
        return "done"

    def half_then_fail(session) -> None:
        session.add(StateEntry(namespace="t", key="c", value={}))
        session.flush()
        raise ValueError("refused")

    assert await database.run_orm(both) == "done"
    with pytest.raises(ValueError, match="refused"):
        await database.run_orm(half_then_fail)
    async with database.reading() as reading:
        keys = set(await reading.scalars(select(StateEntry.key)))
        assert keys == {"a", "b"}
        assert await reading.scalar(select(func.count()).select_from(StateEntry)) == 2


async def test_a_wait_for_the_turn_given_up_does_not_keep_it(sqlite_db: Database) -> None:
    """An update cancelled (a timeout) while it waited for SQLite's turn must not leave the
    turn taken when its waiting thread gets it after all."""
    from assistant.db.models import StateEntry

    holding, release = asyncio.Event(), asyncio.Event()

    async def hold() -> None:
        async with sqlite_db.session() as session:
            session.add(StateEntry(namespace="t", key="held", value={}))
            holding.set()
            await release.wait()

    async def wait_for_turn() -> None:
        async with sqlite_db.session() as session:
            session.add(StateEntry(namespace="t", key="never", value={}))

    holder = asyncio.create_task(hold(), context=contextvars.Context())
    await holding.wait()
    waiter = asyncio.create_task(wait_for_turn(), context=contextvars.Context())
    await asyncio.sleep(0.05)
    waiter.cancel()
    release.set()
    await holder
    async with asyncio.timeout(5):
        await sqlite_db.run_orm(lambda s: s.add(StateEntry(namespace="t", key="after", value={})))
        async with sqlite_db.session() as session:
            session.add(StateEntry(namespace="t", key="last", value={}))
    assert waiter.cancelled()
