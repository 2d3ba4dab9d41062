"""Replica benchmark: the bot as production runs it, over webhook HTTP on PostgreSQL.

    python benchmarks/replicas.py --postgres postgresql+asyncpg://postgres@127.0.0.1/test \
        [--officers 200] [--steps 15]

The Bot API stand-in serves over HTTP on loopback and the bot runs unmodified as separate
processes (`python bot.py`, RUN_MODE=webhook). A load generator plays the reverse proxy and the
officers: each of them opens a visit and taps through it, one update after the other, while
all of them do so at once; updates are spread over the replicas round-robin. It prints the
latency per update (from the POST to the bot's reply reaching the stand-in), the throughput,
and the scaling ratio from one replica to two.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import httpx

from assistant.config import Settings
from assistant.db.database import Database
from assistant.services import build_knowledge
from benchmarks.pg import create_pg, drop_pg
from benchmarks.visits import percentile, seed
from botapi.http import BotApiHttpServer
from botapi.standin import FakeBotApi, FakeUser

TOKEN = "777000:BENCHMARK-TOKEN"
SECRET = "bench-Secret_1"
FIRST_OFFICER = 5_000_000
INDEX = REPO / "data" / "benchmark" / "chroma"


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def start_replica(
    server: BotApiHttpServer, database_url: str, data_dir: Path, port: int
) -> asyncio.subprocess.Process:
    # Each replica gets its own copy of the prebuilt index: building it would dominate the
    # start-up, and two processes must not write one embedded Chroma store.
    data_dir.mkdir(parents=True, exist_ok=True)
    shutil.copytree(INDEX, data_dir / "chroma", dirs_exist_ok=True)
    env = {
        **os.environ,
        "BOT_TOKEN": TOKEN,
        "TELEGRAM_API_URL": server.api_url,
        "TELEGRAM_FILE_URL": server.file_url,
        "DATABASE_URL": database_url,
        "DATA_DIR": str(data_dir),
        "RUN_MODE": "webhook",
        "WEBHOOK_URL": "https://bot.example.bank",
        "WEBHOOK_LISTEN": "127.0.0.1",
        "WEBHOOK_PORT": str(port),
        "WEBHOOK_SECRET": SECRET,
        "TELEGRAM_OVERALL_RATE": "0",
        # Simulated officers tap without pausing to read; a person could not, so no flood guard.
        "FLOOD_RATE": "0",
        "LOG_LEVEL": "WARNING",
    }
    return await asyncio.create_subprocess_exec(
        sys.executable, str(REPO / "bot.py"), cwd=data_dir, env=env
    )


async def wait_healthy(client: httpx.AsyncClient, port: int, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if (await client.get(f"http://127.0.0.1:{port}/healthz")).status_code == 200:
                return
        except httpx.TransportError:
            pass
        await asyncio.sleep(0.2)
    raise SystemExit(f"replica on port {port} did not become healthy")


class Proxy:
    """Round-robin over the replicas' webhook endpoints, as the reverse proxy does."""

    def __init__(self, client: httpx.AsyncClient, ports: list[int]) -> None:
        self.client, self.ports, self.turn = client, ports, 0

    async def post(self, body: dict[str, Any]) -> None:
        port = self.ports[self.turn % len(self.ports)]
        self.turn += 1
        response = await self.client.post(
            f"http://127.0.0.1:{port}/telegram",
            json=body,
            headers={"X-Telegram-Bot-Api-Secret-Token": SECRET},
        )
        response.raise_for_status()


async def officer(
    api: FakeBotApi, proxy: Proxy, user: FakeUser, code: str, steps: int, latencies: list[float]
) -> int:
    async def round_trip(body: dict[str, Any]) -> None:
        mark = len(api.events)
        started = time.perf_counter()
        await proxy.post(api.numbered(body))
        await api.wait_for_messages(user.id, since=mark, timeout=120)
        latencies.append(time.perf_counter() - started)

    await round_trip(api.text_update(user, f"/visit {code}"))
    sent = 1
    for _ in range(steps):
        message = next(m for m in reversed(api.chat_messages(user.id)) if m.buttons)
        labels = [b for row in message.buttons for b in row]
        button = next((b for b in labels if b["text"] in ("⏭ 跳过", "继续 ▶")), labels[0])
        await round_trip(api.callback_update(user, message, button["callback_data"]))
        sent += 1
    return sent


async def run(
    admin_url: str, replicas: int, officers: int, steps: int
) -> tuple[float, list[float]]:
    database_url, name = await create_pg(admin_url)
    processes: list[asyncio.subprocess.Process] = []
    api = FakeBotApi(token=TOKEN)
    server = BotApiHttpServer(api)
    await server.start()
    try:
        database = Database(database_url)
        await database.start()
        await seed(database, officers)
        await database.dispose()
        users = [api.add_user(FakeUser(FIRST_OFFICER + n, f"官{n}")) for n in range(officers)]
        ports = [free_port() for _ in range(replicas)]
        with tempfile.TemporaryDirectory() as tmp:
            for n, port in enumerate(ports):
                data_dir = Path(tmp) / f"replica{n}"
                processes.append(await start_replica(server, database_url, data_dir, port))
            async with httpx.AsyncClient(timeout=60, limits=httpx.Limits(max_connections=400)) as c:
                for port in ports:
                    await wait_healthy(c, port)
                proxy = Proxy(c, ports)
                latencies: list[float] = []
                started = time.perf_counter()
                sent = await asyncio.gather(
                    *(
                        officer(api, proxy, user, f"B{n:04d}", steps, latencies)
                        for n, user in enumerate(users)
                    )
                )
                elapsed = time.perf_counter() - started
            for process in processes:
                process.send_signal(signal.SIGTERM)
            for process in processes:
                await asyncio.wait_for(process.wait(), 120)
        return sum(sent) / elapsed, latencies
    finally:
        for process in processes:
            if process.returncode is None:
                process.kill()
        await server.stop()
        await drop_pg(admin_url, name)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--postgres", required=True, help="admin URL of a PostgreSQL server")
    parser.add_argument("--officers", type=int, default=200)
    parser.add_argument("--steps", type=int, default=15)
    args = parser.parse_args()
    # Build (or check) the knowledge index once, where the visit benchmark keeps its own.
    knowledge = build_knowledge(Settings(_env_file=None, data_dir=INDEX.parent))
    await knowledge.load()
    rates = {}
    for replicas in (1, 2):
        rate, latencies = await run(args.postgres, replicas, args.officers, args.steps)
        rates[replicas] = rate
        ms = [v * 1000 for v in latencies]
        print(
            f"{replicas} replica(s), {args.officers} officers, {len(ms)} updates: "
            f"p50 {statistics.median(ms):.0f} ms  p95 {percentile(ms, 0.95):.0f} ms  "
            f"p99 {percentile(ms, 0.99):.0f} ms  throughput {rate:.0f} updates/s"
        )
    print(f"scaling from one replica to two: {rates[2] / rates[1]:.2f}x")


if __name__ == "__main__":
    asyncio.run(main())
