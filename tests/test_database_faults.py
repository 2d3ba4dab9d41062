"""PostgreSQL going away mid-visit: the officer is told to send the step again, nothing entered
before is lost, and the step sent again is recorded once. The database is reached through a
small TCP relay that the test cuts and restores, as a restart or a failover would."""

from __future__ import annotations

import asyncio
import contextlib

from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from assistant.db.database import Database
from assistant.db.models import VisitAnswer
from assistant.services import build_services
from bot import build_application
from botapi.chat import Chat, polling, settle_in_process
from botapi.console import standin_builder
from botapi.standin import FakeBotApi, FakeUser
from tests.conftest import Team, seed_team
from tests.handlers.test_visit import skip_until
from tests.test_bot import free_port


class Relay:
    """Forwards 127.0.0.1:<port> to the database; :meth:`cut` drops every connection and
    refuses new ones until :meth:`restore`."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port = free_port()
        self.server: asyncio.Server | None = None
        self.streams: set[asyncio.StreamWriter] = set()

    async def restore(self) -> None:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)

    async def cut(self) -> None:
        assert self.server is not None
        self.server.close()
        await self.server.wait_closed()
        for writer in list(self.streams):
            writer.close()
        self.streams.clear()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection(*self.target)
        self.streams |= {writer, up_writer}

        async def pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
            with contextlib.suppress(ConnectionError, OSError):
                while data := await source.read(65536):
                    sink.write(data)
                    await sink.drain()
            sink.close()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))


async def test_a_database_outage_mid_visit_loses_and_duplicates_nothing(
    settings, knowledge, pg_url
):
    url = make_url(pg_url)
    relay = Relay(url.host or "127.0.0.1", url.port or 5432)
    await relay.restore()
    relayed = url.set(host="127.0.0.1", port=relay.port).render_as_string(hide_password=False)
    services = build_services(settings, database=Database(relayed), knowledge=knowledge)
    await seed_team(services)
    api = FakeBotApi()
    application = build_application(settings, standin_builder(api), services=services)
    async with polling(application):
        officer = Chat(api, FakeUser(Team.officer, "张伟"), settle_in_process(api, application))
        await officer.send("/visit C001")
        await skip_until(officer, "现在一共有多少员工")
        await officer.send("三十五个人")
        assert "实际在岗" in officer.last_text

        await relay.cut()
        await officer.send("二十个")
        assert "数据库暂时连不上" in officer.text
        await relay.restore()

        await officer.send("二十个")
        assert "实际在岗" not in officer.last_text, "the step moved on"
    async with services.database.session() as session:
        rows = dict(
            (
                await session.execute(
                    select(VisitAnswer.item_id, func.count()).group_by(VisitAnswer.item_id)
                )
            ).all()
        )
        present = await session.scalar(
            select(VisitAnswer.value).where(
                VisitAnswer.item_id == "flow.interview.staff.headcount_present"
            )
        )
    assert rows["flow.interview.staff.headcount_total"] == 1
    assert rows["flow.interview.staff.headcount_present"] == 1
    assert present == {"v": 20.0}
    await relay.cut()
    await services.database.dispose()
