"""Voice answers through a real OpenAI client against a local transcription endpoint: the text
comes back trimmed, and every way the endpoint can fail is one SpeechFailed."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator

import pytest

from assistant.services import build_transcriber
from assistant.speech import MAX_TRANSCRIPT, SpeechFailed, Transcriber
from tests.conftest import SpeechServer

AUDIO = b"OggS\x00\x02fake-opus-frames"


@pytest.fixture
async def transcriber(stt_server: SpeechServer) -> AsyncIterator[Transcriber]:
    transcriber = Transcriber(stt_server.base_url, model="whisper-large-v3", timeout=5)
    yield transcriber
    await transcriber.close()


async def test_the_spoken_text_comes_back_with_what_was_sent(transcriber, stt_server):
    stt_server.reply = "  去年大概\n五百万  "

    text = await transcriber.transcribe(AUDIO, file_name="answer.ogg")

    assert text == "去年大概 五百万"
    assert stt_server.received == [
        {
            "model": "whisper-large-v3",
            "language": "zh",
            "file_name": "answer.ogg",
            "size": len(AUDIO),
        }
    ]


async def test_without_a_language_none_is_sent(stt_server):
    transcriber = Transcriber(stt_server.base_url, language=None, timeout=5)
    try:
        assert await transcriber.transcribe(AUDIO) == "大概五百万"
    finally:
        await transcriber.close()
    assert stt_server.received[-1]["language"] == ""
    assert stt_server.received[-1]["file_name"] == "voice.ogg"


async def test_a_long_transcript_is_cut_short(transcriber, stt_server):
    stt_server.reply = "很" * (MAX_TRANSCRIPT + 100)
    assert len(await transcriber.transcribe(AUDIO)) == MAX_TRANSCRIPT


async def test_a_server_error_is_a_speech_failure(transcriber, stt_server):
    stt_server.fail = True

    with pytest.raises(SpeechFailed) as caught:
        await transcriber.transcribe(AUDIO)

    assert caught.value.key == "voice.failed"
    assert stt_server.received, "the request reached the endpoint"


@pytest.mark.parametrize("reply", ["", "   \n "])
async def test_an_empty_transcript_says_nothing_was_heard(transcriber, stt_server, reply):
    stt_server.reply = reply

    with pytest.raises(SpeechFailed) as caught:
        await transcriber.transcribe(AUDIO)

    assert caught.value.key == "voice.nothing_heard"


def closed_port() -> int:
    """A port nothing listens on: bound, then let go."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def test_an_endpoint_that_is_not_listening_is_a_speech_failure():
    transcriber = Transcriber(f"http://127.0.0.1:{closed_port()}/v1", timeout=2)
    try:
        with pytest.raises(SpeechFailed) as caught:
            await transcriber.transcribe(AUDIO)
    finally:
        await transcriber.close()
    assert caught.value.key == "voice.failed"


def test_without_an_endpoint_there_is_no_transcriber(settings):
    assert settings.stt_base_url is None
    assert build_transcriber(settings) is None


def test_the_configured_endpoint_model_language_and_key_are_used(settings):
    configured = settings.model_copy(
        update={
            "stt_base_url": "http://stt.bank.internal:9000/v1",
            "stt_model": "paraformer-zh",
            "stt_language": "yue",
            "stt_timeout": 12.0,
        }
    )

    transcriber = build_transcriber(configured)

    assert transcriber is not None
    assert transcriber.base_url == "http://stt.bank.internal:9000/v1"
    assert (transcriber.model, transcriber.language, transcriber.timeout) == (
        "paraformer-zh",
        "yue",
        12.0,
    )
    assert transcriber.api_key is None
