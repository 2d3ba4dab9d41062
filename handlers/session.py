"""What one person is in the middle of, kept between updates and across restarts.

PTB hands every handler this object as ``context.user_data`` (``ContextTypes(user_data=Session)``),
and the persistence stores it as JSON (:meth:`Session.to_json`, :meth:`Session.from_json`). It is
the only place that knows what a user is doing; :mod:`handlers.router` sends typed text where
:meth:`Session.activity` says.
"""

from __future__ import annotations

import enum
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Buttons = list[list[tuple[str, str]]]


class Activity(enum.StrEnum):
    """What typed text means now, from the most to the least specific."""

    REPORT_INPUT = "report_input"  # a report section, remarks or a return comment was asked for
    CHOOSING = "choosing"  # buttons were offered (an import to confirm, a language): tap one
    CORRECTION = "correction"  # a field of a read document is being corrected
    VISIT = "visit"  # the answer to the visit's current question
    NOTHING = "nothing"  # a question for the knowledge base


@dataclass
class ReportInput:
    """The text a report asked for: a section's narrative, the remarks, or (from a supervisor)
    the comment that returns a version."""

    report_id: int
    what: Literal["section", "remarks", "comment", "assessment"]
    section: str | None = None
    version: int | None = None
    # Asked for at submission: once written, the report is submitted without another tap.
    then_submit: bool = False


@dataclass
class Correction:
    """The officer's own value for one field of a read document."""

    reading_id: int
    field: str


@dataclass
class VoiceAnswer:
    """A transcribed voice note offered as the answer to the question it was heard for."""

    visit_id: int
    token: str
    text: str


@dataclass
class Fixing:
    """A question a paragraph filled, being put right: once answered, the visit goes back to
    ``back_to`` (the stop token where the officer was), not on from the corrected question."""

    visit_id: int
    back_to: str


@dataclass
class PendingImport:
    """A portfolio file received and previewed, waiting for the admin's decision."""

    path: str
    filename: str


@dataclass
class Session:
    """One user's state. Every field is optional: a new user has none of it."""

    visit_id: int | None = None
    client_code: str | None = None
    report_input: ReportInput | None = None
    correction: Correction | None = None
    voice_answer: VoiceAnswer | None = None
    fixing: Fixing | None = None
    pending_import: PendingImport | None = None
    # Buttons last offered with a question; typed text gets them again instead of being lost.
    buttons: Buttons | None = field(default=None)

    def activity(self) -> Activity:
        """Where typed text goes now."""
        if self.report_input is not None:
            return Activity.REPORT_INPUT
        if self.buttons:
            return Activity.CHOOSING
        if self.correction is not None:
            return Activity.CORRECTION
        if self.visit_id is not None:
            return Activity.VISIT
        return Activity.NOTHING

    def leave_visit(self) -> None:
        """The visit is paused, finished or gone: text is no longer its answer."""
        self.visit_id = None
        self.voice_answer = None
        self.fixing = None

    def to_json(self) -> dict[str, Any]:
        """A JSON document of the fields that are set."""
        return {key: value for key, value in asdict(self).items() if value is not None}

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> Session:
        """The session stored by :meth:`to_json`; unknown or malformed parts are dropped (a
        session written by an older version must not stop a user from using the bot)."""
        session = cls()
        if not isinstance(data, dict):
            return session
        for key, kind in _PARTS.items():
            value = data.get(key)
            if isinstance(value, dict):
                try:
                    setattr(session, key, kind(**value))
                except TypeError:
                    continue
        if isinstance(data.get("visit_id"), int):
            session.visit_id = data["visit_id"]
        if isinstance(data.get("client_code"), str):
            session.client_code = data["client_code"]
        buttons = data.get("buttons")
        if isinstance(buttons, list) and all(isinstance(row, list) for row in buttons):
            session.buttons = [
                [(str(b[0]), str(b[1])) for b in row if isinstance(b, list | tuple) and len(b) == 2]
                for row in buttons
            ]
        return session


_PARTS: dict[str, type[Any]] = {
    "report_input": ReportInput,
    "correction": Correction,
    "voice_answer": VoiceAnswer,
    "fixing": Fixing,
    "pending_import": PendingImport,
}
