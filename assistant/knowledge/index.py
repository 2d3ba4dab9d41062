"""The vector index of the knowledge base, in Chroma (embedded, or a Chroma server).

Each entry is stored as several vectors, because officers ask in two languages and in their own
words: its titles and keywords, each bullet point in zh and en, and each example question. Sync is
incremental: an entry whose content hash is unchanged is not embedded again.
"""

from __future__ import annotations

import hashlib
import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from chromadb.errors import NotFoundError

from assistant.knowledge.embeddings import Embedder, PassageEmbeddingFunction, register_with_chroma
from assistant.knowledge.entries import KnowledgeEntry

log = logging.getLogger(__name__)

COLLECTION = "knowledge-base"
ANCHORS = "out-of-scope-anchors"
BATCH = 64


@dataclass(frozen=True)
class SyncReport:
    added: int
    updated: int
    removed: int
    unchanged: int
    vectors_embedded: int
    rebuilt: bool

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed or self.rebuilt)


def entry_texts(entry: KnowledgeEntry) -> list[tuple[str, str, str]]:
    """``(vector id, kind, text)`` for every vector that stands for ``entry``."""
    texts = [
        (
            f"{entry.id}#title",
            "title",
            " / ".join([entry.title.zh, entry.title.en, *entry.keywords_zh, *entry.keywords_en]),
        )
    ]
    for lang in ("zh", "en"):
        title = entry.title.get(lang)
        texts += [
            (f"{entry.id}#p:{lang}:{i}", "point", f"{title}: {point}")
            for i, point in enumerate(entry.points(lang))
        ]
    questions = [*entry.questions_zh, *entry.questions_en]
    texts += [(f"{entry.id}#q:{i}", "question", q) for i, q in enumerate(questions)]
    return texts


class KnowledgeIndex:
    """Stores and searches entry vectors in one Chroma collection.

    Args:
        client_factory: makes the Chroma client (``PersistentClient`` or ``HttpClient``); called on
            first use so that constructing the index touches no disk and no network.
        embedder: the model for both sides of the search.
    """

    def __init__(self, client_factory: Callable[[], Any], embedder: Embedder) -> None:
        self._client_factory = client_factory
        self.embedder = embedder
        self._collection: Any = None

    def _open(self) -> Any:
        if self._collection is None:
            register_with_chroma()
            client = self._client_factory()
            self._collection = client.get_or_create_collection(
                COLLECTION,
                embedding_function=PassageEmbeddingFunction(self.embedder),
                metadata={"hnsw:space": "cosine", "embedder": self.embedder.name},
            )
            stored = (self._collection.metadata or {}).get("embedder")
            if stored != self.embedder.name:
                log.info("knowledge index was built with another embedder; rebuilding")
                client.delete_collection(COLLECTION)
                if ANCHORS in [c.name for c in client.list_collections()]:
                    client.delete_collection(ANCHORS)
                self._collection = client.create_collection(
                    COLLECTION,
                    embedding_function=PassageEmbeddingFunction(self.embedder),
                    metadata={"hnsw:space": "cosine", "embedder": self.embedder.name},
                )
        return self._collection

    def stored_hashes(self) -> dict[str, str]:
        collection = self._open()
        stored = collection.get(include=["metadatas"])
        return {meta["entry_id"]: meta["hash"] for meta in stored["metadatas"] or []}

    def sync(self, entries: list[KnowledgeEntry], *, force: bool = False) -> SyncReport:
        """Bring the collection in line with ``entries``; only changed entries are embedded."""
        collection = self._open()
        if force:
            client = self._client_factory()
            client.delete_collection(COLLECTION)
            self._collection = None
            collection = self._open()
        stored = self.stored_hashes()
        wanted = {entry.id: entry for entry in entries}
        stale = [eid for eid in stored if eid not in wanted]
        changed = [e for e in entries if stored.get(e.id) != e.content_hash]
        for entry_id in [*stale, *(e.id for e in changed if e.id in stored)]:
            collection.delete(where={"entry_id": entry_id})
        embedded = 0
        pending: list[tuple[str, str, str, KnowledgeEntry]] = [
            (vid, kind, text, entry) for entry in changed for vid, kind, text in entry_texts(entry)
        ]
        if pending:
            log.info(
                "knowledge index: embedding %d texts of %d changed entries (the first build "
                "takes about half a minute)",
                len(pending),
                len(changed),
            )
        for start in range(0, len(pending), BATCH):
            batch = pending[start : start + BATCH]
            texts = [text for _, _, text, _ in batch]
            vectors = self.embedder.embed_passages(texts)
            collection.add(
                ids=[vid for vid, _, _, _ in batch],
                embeddings=vectors,
                documents=texts,
                metadatas=[
                    {"entry_id": e.id, "hash": e.content_hash, "kind": kind}
                    for _, kind, _, e in batch
                ],
            )
            embedded += len(batch)
        added = sum(1 for e in changed if e.id not in stored)
        return SyncReport(
            added=added,
            updated=len(changed) - added,
            removed=len(stale),
            unchanged=len(entries) - len(changed),
            vectors_embedded=embedded,
            rebuilt=force,
        )

    def search(self, query_vector: np.ndarray, n_results: int = 60) -> dict[str, float]:
        """Best cosine similarity per entry among the ``n_results`` nearest vectors."""
        try:
            return self._nearest(query_vector, n_results)
        except NotFoundError:
            # Another process rebuilt the collection (`bot.py reindex`): reopen it and retry.
            self._collection = None
            return self._nearest(query_vector, n_results)

    def _nearest(self, query_vector: np.ndarray, n_results: int) -> dict[str, float]:
        collection = self._open()
        count = collection.count()
        if count == 0:
            return {}
        result = collection.query(
            query_embeddings=[query_vector],
            n_results=min(n_results, count),
            include=["metadatas", "distances"],
        )
        best: dict[str, float] = defaultdict(lambda: -1.0)
        for meta, distance in zip(result["metadatas"][0], result["distances"][0], strict=True):
            similarity = 1.0 - float(distance)
            entry_id = meta["entry_id"]
            best[entry_id] = max(best[entry_id], similarity)
        return dict(best)

    def anchor_vectors(self, anchors: list[str]) -> np.ndarray:
        """Query-side vectors of the out-of-scope anchor questions, embedding only new ones."""
        self._open()
        client = self._client_factory()
        collection = client.get_or_create_collection(
            ANCHORS,
            embedding_function=PassageEmbeddingFunction(self.embedder),
            metadata={"hnsw:space": "cosine", "embedder": self.embedder.name},
        )
        wanted = {hashlib.sha256(text.encode()).hexdigest()[:32]: text for text in anchors}
        stored = collection.get(include=[])["ids"]
        stale = [key for key in stored if key not in wanted]
        if stale:
            collection.delete(ids=stale)
        missing = [key for key in wanted if key not in set(stored)]
        for start in range(0, len(missing), BATCH):
            batch = missing[start : start + BATCH]
            collection.add(
                ids=batch,
                embeddings=self.embedder.embed_queries([wanted[key] for key in batch]),
                documents=[wanted[key] for key in batch],
            )
        if not wanted:
            return np.zeros((0, 0), dtype=np.float32)
        found = collection.get(ids=list(wanted), include=["embeddings"])
        return np.asarray(found["embeddings"], dtype=np.float32)
