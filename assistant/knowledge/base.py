"""The knowledge base as a service: load and validate the files, keep the index in sync, search.

Several replicas may share one index on a Chroma server (``CHROMA_URL``). Each keeps its own copy
of the entries in memory (titles, points, the BM25 index), read from its own ``KNOWLEDGE_DIR``;
only the vectors are shared. When one replica re-indexes, the others notice from the fingerprint
the index records and reload their files, which costs no embedding as long as their files are the
same ones (a shared or identically deployed ``KNOWLEDGE_DIR``).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from assistant.knowledge.concepts import Concept, Concepts
from assistant.knowledge.embeddings import Embedder
from assistant.knowledge.entries import KnowledgeEntry, KnowledgeError, load_entries
from assistant.knowledge.index import (
    DenseVectors,
    KnowledgeIndex,
    KnowledgeUnavailable,
    Snapshot,
    SyncReport,
)
from assistant.knowledge.lexical import Synonyms, entry_document
from assistant.knowledge.retrieval import Borrower, Calibration, GapVectors, Retrieval, Retriever
from assistant.knowledge.search_files import (
    Gap,
    SearchFileError,
    load_glossary,
    load_out_of_scope,
    load_synonyms,
)

log = logging.getLogger(__name__)

# How often a replica asks the shared index whether another replica has re-indexed: one small
# request at most this often, and only when a question comes in.
FOLLOW_INTERVAL = 10.0

T = TypeVar("T")

# Before the first batch is stored there is no measured rate: guess the model's pace on a busy
# 2-core machine, so that the first "about N s" errs long rather than short.
SECONDS_PER_TEXT = 0.05
# A load that embeds nothing (files read, vectors read, tokenizer built) takes about this long.
LOAD_SECONDS = 2


@dataclass
class Building:
    """How far a load that has to store vectors has got: read by questions from other tasks."""

    total: int
    done: int
    started: float
    # Of ``total``, the texts the model must embed; the rest are read from the shipped vectors.
    to_embed: int | None = None

    def seconds_left(self, now: float) -> int:
        if self.done:
            pace = (now - self.started) / self.done
            return max(1, round(pace * (self.total - self.done)) + LOAD_SECONDS)
        to_embed = self.total if self.to_embed is None else self.to_embed
        return max(1, round(SECONDS_PER_TEXT * to_embed) + LOAD_SECONDS)


@dataclass(frozen=True)
class _Files:
    """The knowledge files as read and validated, before anything touches the index."""

    entries: list[KnowledgeEntry]
    synonyms: Synonyms
    # The out-of-scope questions, then every uncovered topic's questions: one matrix of
    # vectors, split again when served.
    anchors: list[str]
    fingerprint: str
    gaps: list[Gap] = field(default_factory=list)
    concepts: list[Concept] = field(default_factory=list)

    @property
    def outside(self) -> int:
        """How many of :attr:`anchors` are out-of-scope questions (the rest ask about gaps)."""
        return len(self.anchors) - sum(len(gap.questions) for gap in self.gaps)


def _fingerprint(entries: list[KnowledgeEntry], anchors: list[str], synonyms: bytes) -> str:
    """Identifies the knowledge files: equal fingerprints, equal index and equal answers."""
    digest = hashlib.sha256()
    for entry in sorted(entries, key=lambda e: e.id):
        digest.update(f"{entry.id}\0{entry.content_hash}\0".encode())
    for anchor in anchors:
        digest.update(f"{anchor}\0".encode())
    digest.update(synonyms)
    return digest.hexdigest()[:32]


class KnowledgeBase:
    """Owns the entries, the vector index and the retriever built on them.

    A reload that finds a broken file raises :class:`KnowledgeError` and keeps serving the previous
    entries and index untouched.

    Loading reads every vector into memory, and questions are searched there (exactly, so the
    ranking is the same on every run; see :class:`~assistant.knowledge.index.DenseVectors`). So
    once loaded, a replica keeps answering while its Chroma server is down; only a (re)load needs
    the store. When it cannot be reached, loading raises :class:`KnowledgeUnavailable` (a
    :class:`KnowledgeError`): a bot started while its Chroma server was down answers nothing and
    loads on the first question after the server is back. There is no BM25-only answer meanwhile,
    on purpose: whether a question is about the knowledge base at all is decided by comparing its
    dense similarity to the entries with that to the out-of-scope anchors (see
    :mod:`assistant.knowledge.retrieval`), and without the entries' vectors an off-topic question
    that shares a few words with an entry would be answered.

    Args:
        follow_interval: at most this often (seconds), a question first checks whether another
            replica has re-indexed the shared index, and if so reloads this replica's files.
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
        follow_interval: float = FOLLOW_INTERVAL,
        snapshot: Snapshot | None = None,
        glossary_file: Path | None = None,
    ) -> None:
        self.directory = directory
        self.glossary_file = glossary_file
        self.synonyms_file = synonyms_file
        self.anchors_file = anchors_file
        self.index = index
        self.embedder = embedder
        self.calibration = calibration
        self.cache_dir = cache_dir
        self.follow_interval = follow_interval
        self.snapshot = snapshot
        self._retriever: Retriever | None = None
        self._lock = asyncio.Lock()
        self._store_down = False
        # What is in service here, and the last index fingerprint this replica's files did not
        # match (so that the mismatch is logged once).
        self._fingerprint: str | None = None
        self._foreign: str | None = None
        self._checked_at = 0.0
        self._loading_since: float | None = None
        self.building: Building | None = None

    @property
    def ready(self) -> bool:
        return self._retriever is not None

    @property
    def loading(self) -> bool:
        """A load is under way (at start, or a re-index)."""
        return self._loading_since is not None

    def seconds_left(self) -> int | None:
        """About how long until the load under way is done; None when none is."""
        if self._loading_since is None:
            return None
        if self.building is not None:
            return self.building.seconds_left(time.monotonic())
        return LOAD_SECONDS

    @property
    def store_down(self) -> bool:
        """The last call to the vector store failed; the next question tries it again."""
        return self._store_down

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
            KnowledgeUnavailable: the vector store cannot be reached; the previous state stays
                in service, and the next question tries again.
        """
        async with self._lock:
            self._loading_since = time.monotonic()
            try:
                return await self._guarded(self._load_sync, force)
            finally:
                self._loading_since = None
                self.building = None

    async def _guarded(self, work: Callable[..., T], *args: Any) -> T:
        """Run ``work`` in a thread, keeping :attr:`store_down` up to date."""
        try:
            result = await asyncio.to_thread(work, *args)
        except KnowledgeUnavailable as exc:
            # One line per outage. Before the first load the caller logs it (the start does).
            if not self._store_down and self._retriever is not None:
                log.warning(
                    "knowledge base: %s; questions are answered from the index loaded before, "
                    "and a re-index waits until the store is back",
                    exc,
                )
            self._store_down = True
            raise
        if self._store_down:
            log.info("knowledge base: the vector store is reachable again")
        self._store_down = False
        return result

    def _read_files(self) -> _Files:
        entries = load_entries(self.directory)
        try:
            synonyms = load_synonyms(self.synonyms_file)
            anchors, gaps = load_out_of_scope(self.anchors_file)
            synonyms_bytes = self.synonyms_file.read_bytes()
            concepts = (
                load_glossary(self.glossary_file)
                if self.glossary_file is not None and self.glossary_file.exists()
                else []
            )
        except OSError as exc:
            raise KnowledgeError(self.synonyms_file, f"cannot be read ({exc})") from exc
        except SearchFileError as exc:
            # Callers keep the previous index on a KnowledgeError, whichever file broke.
            where = f"{exc.where}: " if exc.where else ""
            raise KnowledgeError(exc.path, where + exc.problem) from exc
        anchors += [question for gap in gaps for question in gap.questions]
        # A topic's name is in its answer: renaming one is a new fingerprint too.
        named = anchors + [f"{gap.id}\0{gap.title.zh}\0{gap.title.en}" for gap in gaps]
        # So is the glossary: it decides which questions are told "not covered".
        named += ["\0".join((c.id, c.title.zh, c.title.en, *c.terms)) for c in concepts]
        return _Files(
            entries,
            synonyms,
            anchors,
            _fingerprint(entries, named, synonyms_bytes),
            gaps,
            concepts,
        )

    def _load_sync(self, force: bool) -> SyncReport:
        files = self._read_files()
        found = self.snapshot.read(files.fingerprint) if self.snapshot and not force else None
        if found is None:
            return self._install(files, force)
        self._serve(files, *found)
        log.info("knowledge base: %d entries, from the index's snapshot", len(files.entries))
        return SyncReport(0, 0, 0, len(files.entries), 0, rebuilt=False)

    def _follow_sync(self, fingerprint: str) -> bool:
        """Reload the files if they are what another replica just indexed; embeds nothing then."""
        files = self._read_files()
        if files.fingerprint != fingerprint:
            return False
        self._install(files, force=False)
        return True

    def _progress(self, done: int, total: int, to_embed: int) -> None:
        if self.building is None:
            self.building = Building(total, done, time.monotonic(), to_embed)
        self.building.done = done

    def _install(self, files: _Files, force: bool) -> SyncReport:
        report = self.index.sync(files.entries, force=force, progress=self._progress)
        vectors, anchors = self.index.vectors(), self.index.anchor_vectors(files.anchors)
        self.index.record_fingerprint(files.fingerprint)
        if self.snapshot is not None:
            self.snapshot.write(files.fingerprint, vectors, anchors)
        self._serve(files, vectors, anchors)
        log.info(
            "knowledge base: %d entries (%d added, %d updated, %d removed, %d vectors embedded)",
            len(files.entries),
            report.added,
            report.updated,
            report.removed,
            report.vectors_embedded,
        )
        return report

    def _serve(self, files: _Files, vectors: DenseVectors, anchors: np.ndarray) -> None:
        """Answer from ``files`` and these vectors from now on."""
        retriever = Retriever(
            files.entries,
            vectors,
            self.embedder,
            files.synonyms,
            anchors[: files.outside],
            self.calibration,
            self.cache_dir,
            gaps=GapVectors.of(files.gaps, anchors[files.outside :]),
            concepts=Concepts(files.concepts, map(entry_document, files.entries)),
        )
        # Warm the tokenizer and the model now, not on an officer's first question.
        retriever.search("贷后回访 post-loan visit")
        self._retriever = retriever
        self._fingerprint = files.fingerprint
        self._checked_at = time.monotonic()

    def search_sync(
        self, question: str, borrower: Borrower | None = None, limit: int = 5
    ) -> Retrieval:
        if self._retriever is None:
            raise KnowledgeError(self.directory, "the knowledge base has not been loaded")
        return self._retriever.search(question, borrower=borrower, limit=limit)

    async def search(
        self, question: str, borrower: Borrower | None = None, limit: int = 5
    ) -> Retrieval:
        """The best entries for ``question``, after catching up with the shared index.

        Raises:
            KnowledgeUnavailable: nothing is loaded yet and the vector store cannot be reached;
                ask again later.
            KnowledgeError: the knowledge base has not been loaded (a broken file at start).
        """
        await self._catch_up()
        # Embedding is CPU work: keep PTB's event loop free. The search itself needs no store.
        return await asyncio.to_thread(self.search_sync, question, borrower, limit)

    async def _catch_up(self) -> None:
        """Load now if the start could not reach the store; follow another replica's re-index."""
        if self._retriever is None:
            if self._store_down:
                async with self._lock:
                    if self._retriever is None:
                        await self._guarded(self._load_sync, False)
            return
        if time.monotonic() - self._checked_at < self.follow_interval:
            return
        self._checked_at = time.monotonic()
        try:
            stored = await self._guarded(self.index.stored_fingerprint)
        except KnowledgeUnavailable:
            # Every vector this replica needs is in memory: answer from them, look again later.
            return
        if stored is None or stored == self._fingerprint:
            return
        async with self._lock:
            if stored == self._fingerprint:
                return
            try:
                followed = await self._guarded(self._follow_sync, stored)
            except KnowledgeUnavailable:
                raise
            except KnowledgeError as exc:
                # The question is still answered, from what is in service.
                log.error("knowledge base not reloaded after a re-index elsewhere: %s", exc)
                followed = False
        if not followed and stored != self._foreign:
            # Different files here (a rolling update, files copied to one host first): keep
            # answering from them rather than re-embed and undo the other replica's index.
            # Reading the files again is cheap (milliseconds), so later checks retry silently.
            self._foreign = stored
            log.warning(
                "knowledge base: the shared index was re-indexed from other knowledge files than "
                "this replica's; this replica answers from its own until they match"
            )
