"""Button data, built and read in one place.

Telegram gives a button at most 64 bytes of data and sends it back as typed. Every kind of button
is a small dataclass here: :meth:`encode` writes its data, ``parse`` reads it back or raises
:class:`BadButton` (an old message's button, or data a modified client made up), and ``PATTERN``
is what :func:`handlers.register_handlers` routes on. The formats are the bot's wire format:
buttons already sent keep working after an upgrade only while these strings stay the same.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Literal

from assistant.errors import NotFound

# Row ids are 64-bit integers.
MAX_ID = 2**63 - 1


class BadButton(ValueError):
    """Button data that no button of this bot has."""


class UnknownId(NotFound, BadButton):
    """A number in a button's data that no row can have (sent by a modified client). Both a
    :class:`BadButton`, like any unreadable button data, and a :class:`NotFound`."""


def parse_id(text: str) -> int:
    """The row id in a button's data, checked before it reaches the database (which refuses a
    number beyond 64 bits with an error of its own)."""
    try:
        value = int(text)
    except ValueError:
        raise BadButton(text[:20]) from None
    if not 0 <= value <= MAX_ID:
        raise UnknownId()
    return value


def _parts(data: str, prefix: str, count: int, *, optional: int = 0) -> list[str]:
    """The ``count`` fields after ``prefix:``, the last ``optional`` of them may be missing
    (then empty); the last field takes the rest of the data, colons and all."""
    head, _, rest = data.partition(":")
    if head != prefix or not rest:
        raise BadButton(prefix)
    fields = rest.split(":", count - 1)
    if len(fields) < count - optional:
        raise BadButton(prefix)
    return fields + [""] * (count - len(fields))


@dataclass(frozen=True)
class VisitAction:
    """``v:<visit>:<stop token>:<action>:<value>``: any button on a visit step. The token names
    the stop it was shown for, so a press on an old message is recognised as stale."""

    PATTERN: ClassVar[str] = r"^v:"
    # The buttons that take a step (VisitService._step, which reads the officer again): an
    # answer (c), the look-ups all clear (a), the usual answers (u), ⏭ (s) and 🚫 (n).
    STEP_PATTERN: ClassVar[str] = r"^v:\d+:[^:]*:[acusn]:"
    visit_id: int
    token: str
    action: str
    value: str = ""

    def encode(self) -> str:
        return f"v:{self.visit_id}:{self.token}:{self.action}:{self.value}"

    @classmethod
    def parse(cls, data: str) -> VisitAction:
        visit_id, token, action, value = _parts(data, "v", 4, optional=2)
        return cls(parse_id(visit_id), token, action, value)


@dataclass(frozen=True)
class ResumeVisit:
    """``vr:<visit>``: resume one of the officer's open visits."""

    PATTERN: ClassVar[str] = r"^vr:\d+$"
    visit_id: int

    def encode(self) -> str:
        return f"vr:{self.visit_id}"

    @classmethod
    def parse(cls, data: str) -> ResumeVisit:
        (visit_id,) = _parts(data, "vr", 1)
        return cls(parse_id(visit_id))


@dataclass(frozen=True)
class ReopenVisit:
    """``va:<visit>``: 「补充」 on a returned report: reopen its visit for additions."""

    PATTERN: ClassVar[str] = r"^va:\d+$"
    visit_id: int

    def encode(self) -> str:
        return f"va:{self.visit_id}"

    @classmethod
    def parse(cls, data: str) -> ReopenVisit:
        (visit_id,) = _parts(data, "va", 1)
        return cls(parse_id(visit_id))


@dataclass(frozen=True)
class FileCategory:
    """``ve:<file>:<category index>``: which document or photo category a file is."""

    PATTERN: ClassVar[str] = r"^ve:"
    evidence_id: int
    index: int

    def encode(self) -> str:
        return f"ve:{self.evidence_id}:{self.index}"

    @classmethod
    def parse(cls, data: str) -> FileCategory:
        evidence_id, index = _parts(data, "ve", 2)
        return cls(parse_id(evidence_id), parse_id(index))


@dataclass(frozen=True)
class AlbumCategory:
    """``vg:<visit>:<album>:<category index>``: the category of every photo of an album."""

    PATTERN: ClassVar[str] = r"^vg:"
    visit_id: int
    album: str
    index: int

    def encode(self) -> str:
        return f"vg:{self.visit_id}:{self.album}:{self.index}"

    @classmethod
    def parse(cls, data: str) -> AlbumCategory:
        visit_id, rest = _parts(data, "vg", 2)
        album, _, index = rest.rpartition(":")
        if not album:
            raise BadButton("vg")
        return cls(parse_id(visit_id), album, parse_id(index))


@dataclass(frozen=True)
class StartPrechecks:
    """``vp:<client code>``: start the visit from the pre-visit brief."""

    PATTERN: ClassVar[str] = r"^vp:"
    client_code: str

    def encode(self) -> str:
        return f"vp:{self.client_code}"

    @classmethod
    def parse(cls, data: str) -> StartPrechecks:
        (code,) = _parts(data, "vp", 1)
        return cls(code)


@dataclass(frozen=True)
class MoreAnswer:
    """``km:<lang>:<token>.<token>…``: the whole entries behind a knowledge-base answer, each
    named by a short token of its id (three ids would not fit in 64 bytes)."""

    PATTERN: ClassVar[str] = r"^km:"
    lang: str
    tokens: tuple[str, ...]

    def encode(self) -> str:
        return f"km:{self.lang}:{'.'.join(self.tokens)}"[:64]

    @classmethod
    def parse(cls, data: str) -> MoreAnswer:
        lang, tokens = _parts(data, "km", 2)
        if lang not in ("zh", "en") or not tokens:
            raise BadButton("km")
        return cls(lang, tuple(tokens.split(".")))


ReadingVerb = Literal["oc", "oa", "oe", "om"]


@dataclass(frozen=True)
class ReadingAction:
    """A read document's buttons: ``oc:<reading>:<field>`` confirms one field, ``oa:<reading>``
    all of them, ``oe:<reading>:<field>`` asks for the officer's own value and
    ``om:<reading>:<category>`` moves a wrongly filed document."""

    PATTERN: ClassVar[str] = r"^o[ceam]:\d+"
    verb: ReadingVerb
    reading_id: int
    arg: str = ""

    def encode(self) -> str:
        return f"{self.verb}:{self.reading_id}" + (f":{self.arg}" if self.arg else "")

    @classmethod
    def parse(cls, data: str) -> ReadingAction:
        verb = data.partition(":")[0]
        if verb not in ("oc", "oa", "oe", "om"):
            raise BadButton("o")
        reading_id, arg = _parts(data, verb, 2, optional=1)
        return cls(verb, parse_id(reading_id), arg)  # type: ignore[arg-type]


@dataclass(frozen=True)
class VoiceConfirm:
    """``vo:<visit>:<stop token>``: record what a voice note said as the answer."""

    PATTERN: ClassVar[str] = r"^vo:\d+:"
    visit_id: int
    token: str

    def encode(self) -> str:
        return f"vo:{self.visit_id}:{self.token}"

    @classmethod
    def parse(cls, data: str) -> VoiceConfirm:
        visit_id, token = _parts(data, "vo", 2)
        return cls(parse_id(visit_id), token)


PlanVerb = Literal["p", "v", "s", "l"]


@dataclass(frozen=True)
class PlanAction:
    """``pl:<action>:<client code>`` from a plan or a reminder: ``p`` the brief, ``v`` the
    visit, ``s`` snooze the reminders, ``l`` put the visit off."""

    PATTERN: ClassVar[str] = r"^pl:"
    verb: PlanVerb
    client_code: str

    def encode(self) -> str:
        return f"pl:{self.verb}:{self.client_code}"

    @classmethod
    def parse(cls, data: str) -> PlanAction:
        verb, code = _parts(data, "pl", 2)
        if verb not in ("p", "v", "s", "l") or not code:
            raise BadButton("pl")
        return cls(verb, code)  # type: ignore[arg-type]


@dataclass(frozen=True)
class OpenReport:
    """``rp:<visit>``: draft or open the report of a finished visit."""

    PATTERN: ClassVar[str] = r"^rp:\d+$"
    visit_id: int

    def encode(self) -> str:
        return f"rp:{self.visit_id}"

    @classmethod
    def parse(cls, data: str) -> OpenReport:
        (visit_id,) = _parts(data, "rp", 1)
        return cls(parse_id(visit_id))


@dataclass(frozen=True)
class ReportAction:
    """``r:<report>:<action>[:<arg>]``: edit (``e``, ``es`` with a section index), the overall
    assessment (``a``), the second inspector (``c``, ``cs`` with a teammate's id or 0), remarks
    (``m``), regenerate (``g``), submit (``s``), Word (``w``), HTML (``h``), open (``o``)."""

    PATTERN: ClassVar[str] = r"^r:\d+:"
    report_id: int
    action: str
    arg: str = ""

    def encode(self) -> str:
        return f"r:{self.report_id}:{self.action}" + (f":{self.arg}" if self.arg else "")

    @classmethod
    def parse(cls, data: str) -> ReportAction:
        report_id, action, arg = _parts(data, "r", 3, optional=1)
        return cls(parse_id(report_id), action, arg)


@dataclass(frozen=True)
class ReviewDecision:
    """``rv:<report>:<version>:a|r``: the supervisor's decision on one submitted version, so a
    second press, or a press on an older version, is refused."""

    PATTERN: ClassVar[str] = r"^rv:"
    report_id: int
    version: int
    approve: bool

    def encode(self) -> str:
        return f"rv:{self.report_id}:{self.version}:{'a' if self.approve else 'r'}"

    @classmethod
    def parse(cls, data: str) -> ReviewDecision:
        report_id, version, decision = _parts(data, "rv", 3)
        if decision not in ("a", "r"):
            raise BadButton("rv")
        return cls(parse_id(report_id), parse_id(version), decision == "a")


@dataclass(frozen=True)
class Acknowledge:
    """``al:<alert>``: a supervisor acknowledges an alert."""

    PATTERN: ClassVar[str] = r"^al:\d+$"
    alert_id: int

    def encode(self) -> str:
        return f"al:{self.alert_id}"

    @classmethod
    def parse(cls, data: str) -> Acknowledge:
        (alert_id,) = _parts(data, "al", 1)
        return cls(parse_id(alert_id))


@dataclass(frozen=True)
class ClientsPage:
    """``cl:p:<page>``: another page of /clients."""

    PATTERN: ClassVar[str] = r"^cl:p:\d+$"
    page: int

    def encode(self) -> str:
        return f"cl:p:{self.page}"

    @classmethod
    def parse(cls, data: str) -> ClientsPage:
        marker, page = _parts(data, "cl", 2)
        if marker != "p":
            raise BadButton("cl")
        return cls(parse_id(page))


@dataclass(frozen=True)
class OpenClient:
    """``cl:<client code>``: a client's card."""

    PATTERN: ClassVar[str] = r"^cl:[^:]+$"
    client_code: str

    def encode(self) -> str:
        return f"cl:{self.client_code}"

    @classmethod
    def parse(cls, data: str) -> OpenClient:
        (code,) = _parts(data, "cl", 1)
        return cls(code)


@dataclass(frozen=True)
class ImportDecision:
    """``imp:ok`` or ``imp:no``: the admin's decision on a previewed import."""

    PATTERN: ClassVar[str] = r"^imp:(ok|no)$"
    confirm: bool

    def encode(self) -> str:
        return "imp:ok" if self.confirm else "imp:no"

    @classmethod
    def parse(cls, data: str) -> ImportDecision:
        (answer,) = _parts(data, "imp", 1)
        if answer not in ("ok", "no"):
            raise BadButton("imp")
        return cls(answer == "ok")


@dataclass(frozen=True)
class ChooseLanguage:
    """``lang:zh`` or ``lang:en``."""

    PATTERN: ClassVar[str] = r"^lang:(zh|en)$"
    lang: Literal["zh", "en"]

    def encode(self) -> str:
        return f"lang:{self.lang}"

    @classmethod
    def parse(cls, data: str) -> ChooseLanguage:
        (lang,) = _parts(data, "lang", 1)
        if lang not in ("zh", "en"):
            raise BadButton("lang")
        return cls(lang)  # type: ignore[arg-type]
