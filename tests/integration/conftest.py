"""Real servers on loopback for the deployment tests: a Chroma server (``chroma run``).

The server is the one that ships with the chromadb package, started as a subprocess on a free
port, so these tests exercise the same HTTP client and server as a deployment with ``CHROMA_URL``.
"""

from __future__ import annotations

import asyncio
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from assistant.config import Settings
from assistant.services import build_knowledge

REPO_KNOWLEDGE = Path(__file__).resolve().parents[2] / "knowledge"
# A few real entries: enough for grounded answers and refusals, and indexed in seconds where the
# whole knowledge base takes about a minute.
SMALL_KB = ("flow.prepare.md", "flow.photos.md", "flow.documents.md", "practice.phrasing.md")


def chroma_cli() -> Path:
    """The ``chroma`` command of the chromadb package installed next to this interpreter."""
    return Path(sys.executable).parent / "chroma"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ChromaServer:
    """One ``chroma run`` on loopback that a test can stop and start again on the same path/port.

    Args:
        path: where the server keeps its data; it survives a restart.
        port: the loopback port it listens on.
        log_file: the server's output, shown when it fails to start.
    """

    def __init__(self, path: Path, port: int, log_file: Path) -> None:
        self.path = path
        self.port = port
        self.log_file = log_file
        self.process: subprocess.Popen[bytes] | None = None
        self.started_in: float | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def log(self) -> str:
        return self.log_file.read_text(encoding="utf-8", errors="replace")[-4000:]

    def start(self, timeout: float = 60.0) -> None:
        """Start the server and wait until its heartbeat answers.

        Fails the test, with the server's log, when it exits or stays silent for ``timeout``.
        """
        assert not self.running, "already running"
        began = time.monotonic()
        with self.log_file.open("ab") as out:
            self.process = subprocess.Popen(
                [
                    str(chroma_cli()),
                    "run",
                    "--path",
                    str(self.path),
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(self.port),
                ],
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        while time.monotonic() - began < timeout:
            if self.process.poll() is not None:
                pytest.fail(f"chroma run exited with {self.process.returncode}:\n{self.log()}")
            try:
                httpx.get(f"{self.url}/api/v2/heartbeat", timeout=1.0).raise_for_status()
            except httpx.HTTPError:
                time.sleep(0.1)
                continue
            self.started_in = time.monotonic() - began
            return
        self.stop()
        pytest.fail(f"chroma run did not answer within {timeout:.0f}s:\n{self.log()}")

    def stop(self, timeout: float = 10.0) -> None:
        """Terminate the server; kill it if it does not exit within ``timeout``."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout)
        self.process = None


def copy_small_knowledge(root: Path) -> Path:
    """A copy of the knowledge directory at ``root`` with only :data:`SMALL_KB` entries.

    Everything else (checklist, risk rules, report sections, phrasing, synonyms, anchors) is the
    real one, so the whole bot runs on it.
    """
    shutil.copytree(REPO_KNOWLEDGE, root, ignore=shutil.ignore_patterns("kb", "eval"))
    (root / "kb").mkdir()
    for name in SMALL_KB:
        shutil.copy(REPO_KNOWLEDGE / "kb" / name, root / "kb" / name)
    return root


def replica_settings(server: ChromaServer, knowledge_dir: Path, workdir: Path) -> Settings:
    """What one bot replica is configured with: its own ``DATA_DIR``, the shared server."""
    return Settings(
        _env_file=None,
        data_dir=workdir,
        knowledge_dir=knowledge_dir,
        chroma_url=server.url,
        # With CHROMA_URL this only holds the replica's tokenizer cache.
        chroma_path=workdir / "cache",
    )


def _serve(path: Path, workdir: Path) -> ChromaServer:
    if not chroma_cli().exists():
        pytest.skip(f"no chroma CLI at {chroma_cli()} (it ships with the chromadb package)")
    server = ChromaServer(path, free_port(), workdir / "chroma-server.log")
    server.start()
    return server


@pytest.fixture
def small_knowledge(tmp_path: Path) -> Path:
    """This test's own copy of the small knowledge directory, free to edit."""
    return copy_small_knowledge(tmp_path / "knowledge")


@pytest.fixture
def chroma_server(tmp_path: Path) -> Iterator[ChromaServer]:
    """A fresh, empty Chroma server for one test (about a second to start)."""
    server = _serve(tmp_path / "chroma-server", tmp_path)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def indexed_chroma_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The data of a stopped Chroma server on which the small knowledge base is indexed.

    Embedding is what costs time (seconds per entry on two CPUs), so it is done once; each test
    then serves a copy of this directory.
    """
    root = tmp_path_factory.mktemp("indexed-chroma")
    server = _serve(root / "data", root)
    try:
        knowledge = copy_small_knowledge(root / "knowledge")
        asyncio.run(build_knowledge(replica_settings(server, knowledge, root)).load())
    finally:
        server.stop()
    return root / "data"


@pytest.fixture
def indexed_chroma_server(indexed_chroma_data: Path, tmp_path: Path) -> Iterator[ChromaServer]:
    """A Chroma server of its own for one test, with the small knowledge base already indexed."""
    path = tmp_path / "chroma-server"
    shutil.copytree(indexed_chroma_data, path)
    server = _serve(path, tmp_path)
    try:
        yield server
    finally:
        server.stop()
