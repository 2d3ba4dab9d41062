"""A throwaway PostgreSQL database per benchmark run, created and dropped on the admin URL."""

from __future__ import annotations

import uuid

import asyncpg
from sqlalchemy.engine import URL, make_url


async def _admin(url: URL) -> asyncpg.Connection:
    return await asyncpg.connect(
        host=url.host,
        port=url.port or 5432,
        user=url.username,
        password=url.password,
        database=url.database,
    )


async def create_pg(admin_url: str) -> tuple[str, str]:
    """A new empty database on the server of ``admin_url``: its URL and its name."""
    url = make_url(admin_url)
    name = f"lva_bench_{uuid.uuid4().hex[:8]}"
    conn = await _admin(url)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return url.set(database=name).render_as_string(hide_password=False), name


async def drop_pg(admin_url: str, name: str) -> None:
    conn = await _admin(make_url(admin_url))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()
