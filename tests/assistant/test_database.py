import asyncio

from sqlalchemy import inspect, text

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
    assert version == "0008"


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
