"""Invites, joining and visibility rules, on SQLite and PostgreSQL."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from assistant.access import AccessService
from assistant.db.database import Database
from assistant.db.models import AuditEntry, Client, ClientKind, Invite, Officer, Role
from assistant.errors import AccessDenied, InvalidInput, InviteInvalid
from assistant.portfolio import PortfolioService


@pytest.fixture
def access(database: Database) -> AccessService:
    return AccessService(database, invite_ttl=timedelta(hours=1))


async def test_admin_ids_become_admins(access: AccessService):
    await access.ensure_admins(frozenset({11, 12}))
    await access.ensure_admins(frozenset({11}))
    admin = await access.viewer(11)
    assert admin is not None
    assert admin.is_admin
    assert await access.viewer(99) is None


async def test_only_the_hash_of_an_invite_code_is_stored(access: AccessService, database: Database):
    issued = await access.create_invite(AccessService.system_actor(), Role.OFFICER)
    async with database.session() as session:
        stored = await session.scalar(select(Invite))
    assert stored is not None
    assert issued.code not in stored.code_hash
    assert len(issued.code) == 10


async def test_a_code_is_single_use_and_expires(access: AccessService, database: Database):
    issued = await access.create_invite(AccessService.system_actor(), Role.OFFICER, "E5")
    joined = await access.join(101, issued.code.lower(), "新同事", "zh")
    assert joined.staff_no == "E5"
    assert joined.role is Role.OFFICER
    with pytest.raises(InviteInvalid) as used:
        await access.join(102, issued.code, "别人", "zh")
    assert used.value.params["reason"] == "used"

    late = await access.create_invite(AccessService.system_actor(), Role.OFFICER)
    async with database.session() as session:
        invite = (await session.scalars(select(Invite).where(Invite.used_at.is_(None)))).one()
        invite.expires_at = database.now() - timedelta(minutes=1)
    with pytest.raises(InviteInvalid) as expired:
        await access.join(103, late.code, "迟到", "en")
    assert expired.value.params["reason"] == "expired"


async def test_joining_binds_the_imported_roster_seat(access: AccessService, database: Database):
    async with database.session() as session:
        sup = Officer(staff_no="S1", name="主管", role=Role.SUPERVISOR)
        session.add(sup)
        await session.flush()
        session.add(
            Officer(staff_no="E7", name="名单上的名字", role=Role.OFFICER, supervisor_id=sup.id)
        )
    issued = await access.create_invite(AccessService.system_actor(), Role.OFFICER, "E7", "S1")
    viewer = await access.join(777, issued.code, "Telegram 昵称", "zh")
    assert viewer.name == "名单上的名字"
    async with database.session() as session:
        officers = (await session.scalars(select(Officer).where(Officer.staff_no == "E7"))).all()
        audit = (await session.scalars(select(AuditEntry.action))).all()
    assert len(officers) == 1
    assert officers[0].telegram_id == 777
    assert "officer.join" in audit
    assert "invite.create" in audit
    with pytest.raises(InvalidInput):
        await access.create_invite(AccessService.system_actor(), Role.OFFICER, "E7")


async def test_only_admins_create_invites(access: AccessService):
    await access.ensure_admins(frozenset({1}))
    issued = await access.create_invite(AccessService.system_actor(), Role.OFFICER)
    officer = await access.join(2, issued.code, "甲", "zh")
    with pytest.raises(AccessDenied):
        await access.create_invite(officer, Role.ADMIN)


async def test_a_stranger_is_refused_once(access: AccessService):
    assert await access.first_refusal(555) is True
    assert await access.first_refusal(555) is False


async def test_guessing_codes_locks_the_account(access: AccessService):
    for attempt in range(5):
        with pytest.raises(InviteInvalid):
            await access.join(66, f"GUESS{attempt}", "x", "zh")
    good = await access.create_invite(AccessService.system_actor(), Role.OFFICER)
    with pytest.raises(InviteInvalid) as locked:
        await access.join(66, good.code, "x", "zh")
    assert locked.value.key == "invite.locked"


async def test_visibility_follows_role_and_team(access: AccessService, database: Database):
    async with database.session() as session:
        sup = Officer(telegram_id=1, staff_no="S", name="主管", role=Role.SUPERVISOR)
        session.add(sup)
        await session.flush()
        mine = Officer(telegram_id=2, staff_no="A", name="甲", supervisor_id=sup.id)
        theirs = Officer(telegram_id=3, staff_no="B", name="乙")
        session.add_all([mine, theirs])
        await session.flush()
        session.add_all(
            [
                Client(code="X1", name="一", kind=ClientKind.INDIVIDUAL, officer_id=mine.id),
                Client(code="X2", name="二", kind=ClientKind.CORPORATE, officer_id=theirs.id),
            ]
        )
    await access.ensure_admins(frozenset({9}))
    portfolio = PortfolioService(database)

    async def codes(telegram_id: int) -> set[str]:
        viewer = await access.viewer(telegram_id)
        assert viewer is not None
        page = await portfolio.list_clients(viewer, page_size=50)
        return {row.code for row in page.rows}

    assert await codes(2) == {"X1"}
    assert await codes(3) == {"X2"}
    assert await codes(1) == {"X1"}
    assert await codes(9) == {"X1", "X2"}
