"""The knowledge base as a service: load and validate the files, keep the index in sync, search."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import yaml

from assistant.knowledge.embeddings import Embedder
from assistant.knowledge.entries import KnowledgeEntry, KnowledgeError, load_entries
from assistant.knowledge.index import KnowledgeIndex, SyncReport
from assistant.knowledge.lexical import Synonyms
from assistant.knowledge.retrieval import Borrower, Calibration, Retrieval, Retriever

log = logging.getLogger(__name__)


def _anchor_questions(path: Path) -> list[str]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise KnowledgeError(path, f"cannot be read ({exc})") from exc
    anchors = data.get("anchors") if isinstance(data, dict) else None
    if not isinstance(anchors, list) or not all(isinstance(a, str) and a.strip() for a in anchors):
        raise KnowledgeError(path, "'anchors' must be a list of questions")
    return [a.strip() for a in anchors]


class KnowledgeBase:
    """Owns the entries, the vector index and the retriever built on them.

    A reload that finds a broken file raises :class:`KnowledgeError` and keeps serving the previous
    entries and index untouched.
    """

    def __init__(
        self,
        directory: Path,
        synonyms_file: Path,
        anchors_file: Path,
        index: KnowledgeIndex,
        embedder: Embedder,
        calibration: Calibration | None = None,
        cache_dir: Path | None = None,
    ) -> None:
        self.directory = directory
        self.synonyms_file = synonyms_file
        self.anchors_file = anchors_file
        self.index = index
        self.embedder = embedder
        self.calibration = calibration
        self.cache_dir = cache_dir
        self._retriever: Retriever | None = None
        self._lock = asyncio.Lock()

    @property
    def ready(self) -> bool:
        return self._retriever is not None

    @property
    def entries(self) -> list[KnowledgeEntry]:
        return list(self._retriever.entries.values()) if self._retriever else []

    def entry(self, entry_id: str) -> KnowledgeEntry | None:
        return self._retriever.entries.get(entry_id) if self._retriever else None

    def topics(self, borrower: Borrower | None = None) -> list[KnowledgeEntry]:
        """A few entries that show what the knowledge base covers."""
        return self._retriever.topics(borrower) if self._retriever else []

    async def load(self, *, force: bool = False) -> SyncReport:
        """Validate every file, then sync the index (embedding only what changed).

        Raises:
            KnowledgeError: a broken file; the previous state stays in service.
        """
        async with self._lock:
            return await asyncio.to_thread(self._load_sync, force)

    def _load_sync(self, force: bool) -> SyncReport:
        entries = load_entries(self.directory)
        try:
            synonyms = Synonyms.load(self.synonyms_file)
        except (OSError, ValueError) as exc:
            raise KnowledgeError(self.synonyms_file, f"cannot be read ({exc})") from exc
        anchors = _anchor_questions(self.anchors_file)
        report = self.index.sync(entries, force=force)
        retriever = Retriever(
            entries,
            self.index,
            self.embedder,
            synonyms,
            self.index.anchor_vectors(anchors),
            self.calibration,
            self.cache_dir,
        )
        # Warm the tokenizer and the model now, not on an officer's first question.
        retriever.search("贷后回访 post-loan visit")
        self._retriever = retriever
        log.info(
            "knowledge base: %d entries (%d added, %d updated, %d removed, %d vectors embedded)",
            len(entries),
            report.added,
            report.updated,
            report.removed,
            report.vectors_embedded,
        )
        return report

    def search_sync(
        self, question: str, borrower: Borrower | None = None, limit: int = 5
    ) -> Retrieval:
        if self._retriever is None:
            raise KnowledgeError(self.directory, "the knowledge base has not been loaded")
        return self._retriever.search(question, borrower=borrower, limit=limit)

    async def search(
        self, question: str, borrower: Borrower | None = None, limit: int = 5
    ) -> Retrieval:
        # Embedding is CPU work: keep PTB's event loop free.
        return await asyncio.to_thread(self.search_sync, question, borrower, limit)
