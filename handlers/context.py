"""The typed callback context every handler receives."""

from __future__ import annotations

from typing import Any

from telegram.ext import Application, CallbackContext, ExtBot

from assistant.access import Viewer
from assistant.i18n import Lang, language_from_code
from assistant.services import Services
from handlers.session import Session

SERVICES_KEY = "services"


class BotContext(CallbackContext[ExtBot[None], Session, dict[str, Any], dict[str, Any]]):
    """Adds the domain services and the registered person behind the update; ``user_data`` is
    the person's :class:`~handlers.session.Session`."""

    def __init__(
        self,
        application: Application[Any, Any, Any, Any, Any, Any],
        chat_id: int | None = None,
        user_id: int | None = None,
    ) -> None:
        super().__init__(application=application, chat_id=chat_id, user_id=user_id)
        self.viewer: Viewer | None = None
        self.telegram_language: str | None = None

    @property
    def user_id(self) -> int | None:
        """Whom the context was made for: the chat to answer when the update has none (a page
        of the Mini App acting for its user)."""
        return self._user_id

    @property
    def services(self) -> Services:
        return self.application.bot_data[SERVICES_KEY]

    @property
    def lang(self) -> Lang:
        if self.viewer is not None and self.viewer.language is not None:
            return self.viewer.language
        return language_from_code(self.telegram_language)

    def text(self, key: str, **params: Any) -> str:
        return self.services.texts.render(self.lang, key, **params)
