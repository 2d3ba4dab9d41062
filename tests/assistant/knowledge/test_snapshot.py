"""A later start with the same knowledge files reads the index's snapshot, not Chroma."""

from pathlib import Path

import numpy as np

from assistant.config import Settings
from assistant.knowledge.index import DenseVectors, Snapshot
from assistant.services import build_knowledge


async def test_a_later_start_answers_the_same_without_opening_chroma(
    knowledge, chroma_path: Path, monkeypatch
):
    later = build_knowledge(Settings(_env_file=None, chroma_path=chroma_path))

    def no_chroma():
        raise AssertionError("the snapshot should have been enough")

    monkeypatch.setattr(later.index, "_client_factory", no_chroma)
    report = await later.load()

    assert (
        later.ready and report.vectors_embedded == 0 and report.unchanged == len(knowledge.entries)
    )
    for question in ("回访要拍哪些照片", "what if the guarantor is sued", "帮我订机票"):
        ours, theirs = later.search_sync(question), knowledge.search_sync(question)
        assert [h.entry.id for h in ours.hits] == [h.entry.id for h in theirs.hits]
        assert ours.decision == theirs.decision


def test_a_snapshot_reads_back_what_was_written_and_only_for_its_files(tmp_path):
    vectors = DenseVectors(
        ("a", "a", "b"),
        np.array([[1.0, 0.0], [0.6, 0.8], [0.0, 1.0]], dtype=np.float32).astype(np.float64),
        ("a#title", "a#p:zh:0", "b#title"),
    )
    anchors = np.array([[0.0, 1.0]], dtype=np.float32)
    snapshot = Snapshot(tmp_path)
    snapshot.write("one", vectors, anchors)

    read = snapshot.read("one")
    assert read is not None
    assert read[0].entry_ids == vectors.entry_ids and read[0].vector_ids == vectors.vector_ids
    assert (read[0].matrix == vectors.matrix).all() and (read[1] == anchors).all()
    assert snapshot.read("other files") is None

    snapshot.write("two", vectors, anchors)
    assert snapshot.read("one") is None, "an older snapshot is removed"


def test_a_broken_snapshot_sends_the_load_to_chroma(tmp_path):
    (tmp_path / "snapshot-x.npz").write_bytes(b"half a file")
    assert Snapshot(tmp_path).read("x") is None
