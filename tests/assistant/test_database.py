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
    assert version == "0003"
