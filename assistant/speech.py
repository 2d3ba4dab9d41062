"""Voice answers: a speech-to-text endpoint that speaks OpenAI's transcription API.

Self-hosted Whisper and FunASR servers offer ``POST /v1/audio/transcriptions``; the official
``openai`` client talks to them with only a base URL, so there is no wire code of our own to get
wrong. Audio never leaves for a service the bank did not configure.
"""

from __future__ import annotations

import logging
from typing import Any

from assistant.errors import AssistantError

log = logging.getLogger(__name__)

MAX_TRANSCRIPT = 500


class SpeechFailed(AssistantError):
    key = "voice.failed"


class Transcriber:
    def __init__(
        self,
        base_url: str,
        *,
        model: str = "whisper-1",
        api_key: str | None = None,
        timeout: float = 30.0,
        language: str | None = "zh",
    ) -> None:
        self.base_url = base_url
        self.model = model
        self.api_key = api_key
        self.timeout = timeout
        self.language = language
        self._client: Any = None

    def _connect(self) -> Any:
        if self._client is None:
            from openai import AsyncOpenAI

            self._client = AsyncOpenAI(
                base_url=self.base_url,
                # Self-hosted servers usually ignore the key; the client insists on one.
                api_key=self.api_key or "not-needed",
                timeout=self.timeout,
                max_retries=1,
            )
        return self._client

    async def transcribe(self, audio: bytes, *, file_name: str = "voice.ogg") -> str:
        """The text spoken in ``audio``, trimmed.

        Raises:
            SpeechFailed: the endpoint failed, timed out or heard nothing.
        """
        import openai

        extra = {"language": self.language} if self.language else {}
        try:
            result = await self._connect().audio.transcriptions.create(
                model=self.model, file=(file_name, audio), **extra
            )
        except (openai.APIError, openai.APITimeoutError, openai.APIConnectionError) as exc:
            # The reason only: the audio and any text stay out of the log.
            log.warning("transcription failed: %s", type(exc).__name__)
            raise SpeechFailed() from exc
        text = " ".join(str(getattr(result, "text", "") or "").split())
        if not text:
            raise SpeechFailed("voice.nothing_heard")
        return text[:MAX_TRANSCRIPT]

    async def close(self) -> None:
        if self._client is not None:
            await self._client.close()
            self._client = None
