"""Who may use the bot and what they may see: invites, joining, roles and teams."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from assistant.db.database import Database
from assistant.db.models import AuditEntry, Invite, Officer, RefusedContact, Role
from assistant.errors import AccessDenied, InvalidInput, InviteInvalid
from assistant.i18n import Lang

# Unambiguous characters only (no 0/O, 1/I/L): codes get read aloud and retyped on phones.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 10
MAX_FAILED_CODES = 5
KNOWN_VIEWERS = 10_000
STAFF_NO = re.compile(r"^[A-Za-z0-9_-]{1,32}$")


def hash_code(code: str) -> str:
    return hashlib.sha256(code.strip().upper().encode()).hexdigest()


@dataclass(frozen=True)
class Viewer:
    """The registered person behind an update, with what they are allowed to see."""

    officer_id: int
    telegram_id: int
    name: str
    role: Role
    language: Lang | None
    staff_no: str | None

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN

    @property
    def is_supervisor(self) -> bool:
        return self.role is Role.SUPERVISOR


@dataclass(frozen=True)
class IssuedInvite:
    code: str
    role: Role
    staff_no: str | None
    supervisor_name: str | None
    expires_at: datetime


def viewer_of(officer: Officer) -> Viewer:
    """The officer as the services see whoever is asking."""
    return viewer_from(
        officer.id,
        officer.telegram_id,
        officer.name,
        officer.role,
        officer.language,
        officer.staff_no,
    )


def viewer_from(
    officer_id: int,
    telegram_id: int | None,
    name: str,
    role: Role,
    language: str | None,
    staff_no: str | None,
) -> Viewer:
    """The viewer an officer's columns make, however they were read."""
    lang = language if language in ("zh", "en") else None
    return Viewer(officer_id, telegram_id or 0, name, role, lang, staff_no)  # type: ignore[arg-type]


async def _audit(
    session: AsyncSession,
    actor_id: int | None,
    action: str,
    target: str | None = None,
    **detail: object,
) -> None:
    session.add(
        AuditEntry(actor_officer_id=actor_id, action=action, target=target, detail=dict(detail))
    )


async def record_read(
    database: Database, viewer: Viewer, action: str, target: str | None = None, **counts: int
) -> None:
    """An audit entry for a look at customer data: who, what kind, which record, how many —
    never names."""
    async with database.session() as session:
        await _audit(session, viewer.officer_id or None, action, target, **counts)


class AccessService:
    """Invite-only access. Admins come from ``ADMIN_IDS``; everyone else joins with a code."""

    def __init__(self, database: Database, *, invite_ttl: timedelta) -> None:
        self.database = database
        self.invite_ttl = invite_ttl
        # The viewers this process read last, by Telegram id: a visit step may start from one,
        # because the step reads the officer again in its own transaction and is refused if
        # they are no longer active (whichever replica changed that). See known().
        self._known: dict[int, Viewer] = {}

    @staticmethod
    def system_actor() -> Viewer:
        """The command line acting with admin rights (it runs on the server itself)."""
        return Viewer(
            officer_id=0, telegram_id=0, name="cli", role=Role.ADMIN, language=None, staff_no=None
        )

    async def ensure_admins(self, telegram_ids: frozenset[int]) -> None:
        """Give every id in ``ADMIN_IDS`` an admin record, so that the first admin can invite."""
        async with self.database.session() as session:
            for telegram_id in sorted(telegram_ids):
                officer = await session.scalar(
                    select(Officer).where(Officer.telegram_id == telegram_id)
                )
                if officer is None:
                    session.add(
                        Officer(
                            telegram_id=telegram_id,
                            name=f"Admin {telegram_id}",
                            role=Role.ADMIN,
                            joined_at=self.database.now(),
                        )
                    )
                elif officer.role is not Role.ADMIN or not officer.active:
                    officer.role = Role.ADMIN
                    officer.active = True

    async def viewer(self, telegram_id: int) -> Viewer | None:
        """The active officer with this Telegram id, or ``None`` for a stranger."""
        async with self.database.reading() as session:
            officer = await session.scalar(
                select(Officer).where(Officer.telegram_id == telegram_id, Officer.active)
            )
            viewer = viewer_of(officer) if officer else None
        if viewer is None:
            self._known.pop(telegram_id, None)
        else:
            if len(self._known) > KNOWN_VIEWERS:
                self._known.clear()
            self._known[telegram_id] = viewer
        return viewer

    def known(self, telegram_id: int) -> Viewer | None:
        """The viewer last read for this Telegram id, without reading it again. Only for what
        checks the officer again in its own transaction (a visit step, which is refused for an
        officer no longer active): everything else reads :meth:`viewer`."""
        return self._known.get(telegram_id)

    def forget(self, telegram_id: int) -> None:
        """The officer changed (deactivated, another role or language): read them afresh."""
        self._known.pop(telegram_id, None)

    async def first_refusal(self, telegram_id: int) -> bool:
        """Record a stranger's contact; ``True`` only the first time (they are told once)."""
        async with self.database.session() as session:
            seen = await session.get(RefusedContact, telegram_id)
            if seen is not None:
                return False
            session.add(RefusedContact(telegram_id=telegram_id))
            return True

    async def create_invite(
        self,
        actor: Viewer,
        role: Role,
        staff_no: str | None = None,
        supervisor_staff_no: str | None = None,
    ) -> IssuedInvite:
        """Issue a one-time code. Only admins may; the code itself is never stored."""
        if not actor.is_admin:
            raise AccessDenied()
        if staff_no is not None and not STAFF_NO.match(staff_no):
            raise InvalidInput("invite.bad_staff_no", value=staff_no[:40])
        async with self.database.session() as session:
            supervisor = None
            if supervisor_staff_no:
                supervisor = await session.scalar(
                    select(Officer).where(Officer.staff_no == supervisor_staff_no)
                )
                if supervisor is None or supervisor.role is not Role.SUPERVISOR:
                    raise InvalidInput("invite.bad_supervisor", value=supervisor_staff_no[:40])
            if staff_no:
                existing = await session.scalar(select(Officer).where(Officer.staff_no == staff_no))
                if existing is not None and existing.telegram_id is not None:
                    raise InvalidInput("invite.already_joined", value=staff_no)
            code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
            expires_at = self.database.now() + self.invite_ttl
            session.add(
                Invite(
                    code_hash=hash_code(code),
                    role=role,
                    staff_no=staff_no,
                    supervisor_id=supervisor.id if supervisor else None,
                    created_by_id=actor.officer_id or None,
                    expires_at=expires_at,
                )
            )
            await _audit(
                session, actor.officer_id or None, "invite.create", staff_no, role=role.value
            )
        return IssuedInvite(
            code, role, staff_no, supervisor.name if supervisor else None, expires_at
        )

    async def join(
        self, telegram_id: int, code: str, display_name: str, language: Lang | None
    ) -> Viewer:
        """Redeem an invite code and register this Telegram account.

        Raises:
            InviteInvalid: unknown, used or expired code, or too many wrong guesses.
        """
        try:
            async with self.database.session() as session:
                return await self._redeem(session, telegram_id, code, display_name, language)
        except InviteInvalid as exc:
            if "reason" in exc.params:
                await self._count_failure(telegram_id)
            raise

    async def _redeem(
        self,
        session: AsyncSession,
        telegram_id: int,
        code: str,
        display_name: str,
        language: Lang | None,
    ) -> Viewer:
        contact = await session.get(RefusedContact, telegram_id)
        if contact is not None and contact.failed_codes >= MAX_FAILED_CODES:
            raise InviteInvalid("invite.locked")
        already = await session.scalar(select(Officer).where(Officer.telegram_id == telegram_id))
        if already is not None:
            raise InviteInvalid("invite.already_registered")
        invite = await session.scalar(select(Invite).where(Invite.code_hash == hash_code(code)))
        now = self.database.now()
        if invite is None or invite.used_at is not None or invite.expires_at < now:
            reason = "unknown" if invite is None else "used" if invite.used_at else "expired"
            raise InviteInvalid("invite.invalid", reason=reason)
        officer = None
        if invite.staff_no:
            officer = await session.scalar(
                select(Officer).where(Officer.staff_no == invite.staff_no)
            )
            if officer is not None and officer.telegram_id is not None:
                raise InviteInvalid("invite.invalid", reason="used")
        if officer is None:
            officer = Officer(staff_no=invite.staff_no, name=display_name[:100] or "-")
            session.add(officer)
        officer.telegram_id = telegram_id
        officer.role = invite.role
        officer.active = True
        officer.joined_at = now
        officer.language = language
        if invite.supervisor_id is not None:
            officer.supervisor_id = invite.supervisor_id
        await session.flush()
        invite.used_at = now
        invite.used_by_officer_id = officer.id
        await _audit(session, officer.id, "officer.join", invite.staff_no, role=invite.role.value)
        return viewer_of(officer)

    async def _count_failure(self, telegram_id: int) -> None:
        # Its own transaction: the failed join rolls back, the count of guesses must not.
        async with self.database.session() as session:
            contact = await session.get(RefusedContact, telegram_id)
            if contact is None:
                session.add(RefusedContact(telegram_id=telegram_id, failed_codes=1))
            else:
                contact.failed_codes += 1

    async def set_language(self, viewer: Viewer, language: Lang) -> Viewer:
        self.forget(viewer.telegram_id)
        async with self.database.session() as session:
            officer = await session.get_one(Officer, viewer.officer_id)
            officer.language = language
            return viewer_of(officer)
