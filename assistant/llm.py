"""The chat model, asked one way: render the prompt, call the model under a deadline, read the
reply, and fall back when any of it fails.

The answer, the report's polish and the phrasing variants all go through :meth:`LlmComponent.ask`.
Whatever goes wrong (the prompt does not render, the endpoint is down or slow, the reply is empty
or its reader rejects it), the caller gets ``None`` and keeps what it would have said without a
model. The log says which, as a :class:`Fallback` and the name of an error type or a
:class:`Rejected` kind: never the reply or the prompt, which hold customer data.
"""

from __future__ import annotations

import asyncio
import enum
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from jinja2 import TemplateError
from pydantic import BaseModel

from assistant.templates import environment

log = logging.getLogger(__name__)

T = TypeVar("T")
S = TypeVar("S", bound=BaseModel)


class Fallback(enum.StrEnum):
    """Why a call to the model gave nothing the caller can use."""

    PROMPT = "prompt"  # the prompt template could not be rendered
    TIMEOUT = "timeout"
    PROVIDER = "provider"  # the endpoint failed: down, refused, an error reply
    EMPTY = "empty"
    REJECTED = "rejected"  # the caller's reader refused the reply


class Rejected(Exception):
    """Raised by a reply's reader: the reply cannot be used.

    Args:
        kind: why, in a word (``"new_figure"``, ``"bad_citation"``); it is logged as it is, so
            it must not quote the reply.
    """

    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind


class LlmComponent:
    """The configured chat model and the prompt templates under ``prompts_dir`` (``prompts/llm``).

    Args:
        chat_model: a LangChain chat model (anything with ``async ainvoke(messages)``).
        timeout: seconds to wait for one reply.
    """

    def __init__(self, chat_model: Any, prompts_dir: Path, *, timeout: float = 20.0) -> None:
        self.model = chat_model
        self.timeout = timeout
        self._env = environment(prompts_dir, tidy=True, keep_trailing_newline=True)

    def render(self, name: str, **params: Any) -> str:
        """A whole prompt template, rendered."""
        return self._env.get_template(name).render(**params).strip()

    def macro(self, name: str, macro: str, *args: Any) -> str:
        """One macro of a prompt template (a template that holds the system and the user part
        of one prompt as two macros), called."""
        module = self._env.get_template(name).module
        return str(getattr(module, macro)(*args)).strip()

    @staticmethod
    def messages(system: str, user: str) -> list[Any]:
        """The chat messages of a prompt."""
        from langchain_core.messages import HumanMessage, SystemMessage

        return [SystemMessage(system), HumanMessage(user)]

    async def ask(
        self,
        purpose: str,
        prompt: Callable[[], tuple[str, str]],
        read: Callable[[str], T],
    ) -> T | None:
        """The model's reply to ``prompt()`` (a system and a user text) as ``read`` makes of
        it; ``None`` when anything fails, which is logged with ``purpose``.

        Args:
            purpose: what the call is for, in the log (``"answer"``, ``"polish"``).
            prompt: builds the prompt; a template error is a fallback, not a crash.
            read: turns the reply's text into the result, or raises :class:`Rejected`.
        """
        try:
            system, user = prompt()
        except (TemplateError, OSError) as exc:
            return self._fell_back(purpose, Fallback.PROMPT, type(exc).__name__)
        try:
            reply = await asyncio.wait_for(
                self.model.ainvoke(self.messages(system, user)), self.timeout
            )
        except TimeoutError:
            return self._fell_back(purpose, Fallback.TIMEOUT, f"{self.timeout:.0f}s")
        except Exception as exc:  # noqa: BLE001 - any provider failure must fall back, not crash
            return self._fell_back(purpose, Fallback.PROVIDER, type(exc).__name__)
        text = reply_text(reply)
        if not text:
            return self._fell_back(purpose, Fallback.EMPTY, "")
        try:
            return read(text)
        except Rejected as rejected:
            return self._fell_back(purpose, Fallback.REJECTED, rejected.kind)

    async def ask_structured(
        self, purpose: str, prompt: Callable[[], tuple[str, str]], schema: type[S]
    ) -> S | None:
        """The model's reply to ``prompt()`` as an instance of the pydantic model ``schema``,
        through LangChain's structured output; ``None`` when anything fails, as :meth:`ask`."""
        try:
            system, user = prompt()
        except (TemplateError, OSError) as exc:
            return self._fell_back(purpose, Fallback.PROMPT, type(exc).__name__)
        try:
            model = self.model.with_structured_output(schema)
            reply = await asyncio.wait_for(model.ainvoke(self.messages(system, user)), self.timeout)
        except TimeoutError:
            return self._fell_back(purpose, Fallback.TIMEOUT, f"{self.timeout:.0f}s")
        except Exception as exc:  # noqa: BLE001 - any provider failure must fall back, not crash
            return self._fell_back(purpose, Fallback.PROVIDER, type(exc).__name__)
        if isinstance(reply, dict):
            try:
                reply = schema.model_validate(reply)
            except ValueError:
                return self._fell_back(purpose, Fallback.REJECTED, "schema")
        if not isinstance(reply, schema):
            return self._fell_back(purpose, Fallback.EMPTY, "")
        return reply

    @staticmethod
    def _fell_back(purpose: str, reason: Fallback, detail: str) -> None:
        suffix = f" ({detail})" if detail else ""
        log.warning("LLM %s fell back: %s%s", purpose, reason.value, suffix)


def reply_text(reply: Any) -> str:
    """The text of a chat model's reply (content blocks: their text parts), stripped."""
    content = getattr(reply, "content", reply)
    if isinstance(content, list):
        content = "".join(
            part if isinstance(part, str) else str(part.get("text", ""))
            for part in content
            if isinstance(part, str | dict)
        )
    return str(content or "").strip()
