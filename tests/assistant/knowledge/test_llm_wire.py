"""An OpenAI-compatible endpoint, configured by settings, on the wire: a local HTTP stub stands in
for the model server. The answer is used when it cites the passages; a failing server falls back."""

import json
import socket

import pytest
from tornado.httpserver import HTTPServer
from tornado.web import Application, RequestHandler

from assistant.config import Settings
from assistant.knowledge.answering import AnswerService, LlmComposer
from assistant.llm import LlmComponent
from assistant.services import PROMPTS_DIR, build_chat_model


class Completions(RequestHandler):
    def initialize(self, state: dict) -> None:
        self.state = state

    def post(self) -> None:
        request = json.loads(self.request.body)
        self.state["requests"].append(request)
        if self.state["fail"]:
            self.set_status(500)
            self.finish({"error": {"message": "model overloaded"}})
            return
        self.finish(
            {
                "id": "chatcmpl-1",
                "object": "chat.completion",
                "created": 0,
                "model": "stub",
                "choices": [
                    {
                        "index": 0,
                        "finish_reason": "stop",
                        "message": {"role": "assistant", "content": self.state["reply"]},
                    }
                ],
                "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
            }
        )


def serve(path: str, handler: type[RequestHandler], state: dict) -> tuple[HTTPServer, str]:
    """A stub endpoint on a free loopback port; returns the server and its /v1 base URL."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    sock.setblocking(False)
    server = HTTPServer(Application([(path, handler, {"state": state})]))
    server.add_sockets([sock])
    return server, f"http://127.0.0.1:{sock.getsockname()[1]}/v1"


@pytest.fixture
async def model_server():
    state = {"requests": [], "fail": False, "reply": "- 拍门头和门牌号 [flow.photos]"}
    server, base_url = serve(r"/v1/chat/completions", Completions, state)
    yield state, base_url
    server.stop()


def llm_settings(base_url: str) -> Settings:
    return Settings(
        _env_file=None,
        llm_provider="openai",
        llm_model="stub-model",
        llm_base_url=base_url,
        llm_api_key="not-a-real-key",
        llm_timeout=5,
    )


async def test_an_openai_compatible_endpoint_writes_the_answer(knowledge, model_server):
    state, base_url = model_server
    model = build_chat_model(llm_settings(base_url))
    service = AnswerService(
        knowledge, LlmComposer(LlmComponent(model, PROMPTS_DIR / "llm", timeout=5))
    )
    answer = await service.answer("回访要拍哪些照片？", lang="zh")
    assert answer.generated == "- 拍门头和门牌号 [flow.photos]"
    sent = state["requests"][0]
    assert sent["model"] == "stub-model" and sent["temperature"] == 0
    assert "[flow.photos]" in sent["messages"][0]["content"]


async def test_a_failing_endpoint_falls_back_to_the_extractive_answer(knowledge, model_server):
    state, base_url = model_server
    state["fail"] = True
    model = build_chat_model(llm_settings(base_url))
    service = AnswerService(
        knowledge, LlmComposer(LlmComponent(model, PROMPTS_DIR / "llm", timeout=5))
    )
    answer = await service.answer("回访要拍哪些照片？", lang="zh")
    assert answer.grounded and answer.generated is None and answer.sections
    assert state["requests"], "the endpoint was really called"


class Embeddings(RequestHandler):
    """Deterministic 16-d vectors from character codes: enough to see texts go over the wire."""

    def initialize(self, state: dict) -> None:
        self.state = state

    def post(self) -> None:
        request = json.loads(self.request.body)
        texts = request["input"]
        self.state["embedded"] += len(texts)

        def vector(text: str) -> list[float]:
            values = [0.0] * 16
            for index, char in enumerate(text):
                values[(ord(char) + index) % 16] += 1.0
            return values

        self.finish(
            {
                "object": "list",
                "model": request["model"],
                "data": [
                    {"object": "embedding", "index": i, "embedding": vector(t)}
                    for i, t in enumerate(texts)
                ],
                "usage": {"prompt_tokens": 1, "total_tokens": 1},
            }
        )


async def test_embeddings_can_come_from_an_openai_compatible_endpoint(tmp_path):
    import shutil
    from pathlib import Path

    from assistant.services import build_knowledge

    state = {"embedded": 0}
    server, base_url = serve(r"/v1/embeddings", Embeddings, state)
    repo_knowledge = Path(__file__).resolve().parents[3] / "knowledge"
    knowledge_dir = tmp_path / "knowledge"
    (knowledge_dir / "kb").mkdir(parents=True)
    for name in ("flow.photos.md", "flow.documents.md"):
        shutil.copy(repo_knowledge / "kb" / name, knowledge_dir / "kb" / name)
    for name in ("synonyms.yaml", "out_of_scope.yaml"):
        shutil.copy(repo_knowledge / name, knowledge_dir / name)
    settings = Settings(
        _env_file=None,
        data_dir=tmp_path,
        chroma_path=tmp_path / "chroma",
        knowledge_dir=knowledge_dir,
        embeddings_provider="openai",
        embeddings_model="stub-embedder",
        embeddings_base_url=base_url,
        embeddings_api_key="not-a-real-key",
    )
    try:
        base = build_knowledge(settings)
        report = await base.load()
        retrieval = await base.search("回访要拍哪些照片？")
    finally:
        server.stop()
    assert report.vectors_embedded > 0
    assert state["embedded"] >= report.vectors_embedded
    assert base.index.embedder.name == "langchain/stub-embedder"
    assert {hit.entry.id for hit in retrieval.hits} <= {"flow.photos", "flow.documents"}
