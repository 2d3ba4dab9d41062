"""Checking the typed rows against the database and planning the writes, then writing them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from assistant.db.models import (
    Base,
    Client,
    Collateral,
    Guarantor,
    Loan,
    Officer,
    Role,
)

# --------------------------------------------------------------------------------------------
# Checking against the database and planning the writes
from assistant.importer.model import FLUSH_BATCH, QUERY_CHUNK, TABLES, TableCounts
from assistant.importer.rows import _Parsed, _Row, _Sheet
from assistant.importer.template import _MODELS


@dataclass(frozen=True)
class _Ref:
    """A foreign key given by business key, resolved to an id only when writing."""

    table: str
    key: str


@dataclass
class _Plan:
    row: _Row
    status: str  # "created" | "updated" | "unchanged"
    obj: Base | None  # the existing record, None when it is to be created
    changes: dict[str, Any]  # attribute -> value or _Ref


async def _fetch_in(
    session: AsyncSession, model: type[Base], column: Any, values: Iterable[Any]
) -> list[Any]:
    wanted = sorted(set(values))
    found: list[Any] = []
    for start in range(0, len(wanted), QUERY_CHUNK):
        chunk = wanted[start : start + QUERY_CHUNK]
        found.extend((await session.scalars(select(model).where(column.in_(chunk)))).all())
    return found


def _same(old: Any, new: Any) -> bool:
    if old is None or new is None:
        return old is None and new is None
    if isinstance(old, Decimal) or isinstance(new, Decimal):
        return Decimal(str(old)) == Decimal(str(new))
    if isinstance(old, float) or isinstance(new, float):
        return float(old) == float(new)
    return bool(old == new)


def _valid(row: _Row) -> bool:
    return not row.bad


class _Reconciler:
    """Checks references against file + database, and plans the upserts table by table."""

    def __init__(self, session: AsyncSession, parsed: _Parsed) -> None:
        self.session = session
        self.sheets = parsed.sheets
        self.issues = parsed.issues
        self.plans: dict[str, list[_Plan]] = {}
        self.officers: dict[str, Officer] = {}
        self.officers_by_id: dict[int, Officer] = {}
        self.clients: dict[str, Client] = {}
        self.client_codes: dict[int, str] = {}
        self.loans: dict[str, Loan] = {}
        self.guarantors: dict[tuple[int, str], Guarantor] = {}
        self.collateral: dict[tuple[int, str], Collateral] = {}

    def _rows(self, table: str) -> list[_Row]:
        sheet = self.sheets.get(table)
        return sheet.rows if sheet else []

    def _keys(self, table: str, column: str) -> set[str]:
        """The values of a key column in the file, from rows where that cell itself is usable."""
        return {
            r.values[column]
            for r in self._rows(table)
            if column not in r.bad and r.values.get(column) is not None
        }

    def _flag(self, table: str, row: _Row, column: str, code: str, **params: Any) -> None:
        self.issues.add(table, row.number, self.sheets[table].header(column), code, **params)
        row.bad.add(column)

    async def load(self) -> None:
        session = self.session
        for officer in (await session.scalars(select(Officer))).all():
            self.officers_by_id[officer.id] = officer
            if officer.staff_no:
                self.officers[officer.staff_no] = officer
        contracts = (
            self._keys("loans", "contract_no")
            | self._keys("guarantors", "contract_no")
            | self._keys("collateral", "contract_no")
        )
        for loan in await _fetch_in(session, Loan, Loan.contract_no, contracts):
            self.loans[loan.contract_no] = loan
        codes = self._keys("clients", "client_code") | self._keys("loans", "client_code")
        for client in await _fetch_in(session, Client, Client.code, codes):
            self.clients[client.code] = client
        # To tell whether an existing loan moves to another client, its current client's code.
        loan_client_ids = {loan.client_id for loan in self.loans.values()}
        known_ids = {c.id for c in self.clients.values()}
        for client in await _fetch_in(session, Client, Client.id, loan_client_ids - known_ids):
            self.clients[client.code] = client
        self.client_codes = {c.id: c.code for c in self.clients.values()}
        guarantor_loans = {
            self.loans[c].id for c in self._keys("guarantors", "contract_no") if c in self.loans
        }
        for guarantor in await _fetch_in(session, Guarantor, Guarantor.loan_id, guarantor_loans):
            self.guarantors[(guarantor.loan_id, guarantor.name)] = guarantor
        collateral_loans = {
            self.loans[c].id for c in self._keys("collateral", "contract_no") if c in self.loans
        }
        for item in await _fetch_in(session, Collateral, Collateral.loan_id, collateral_loans):
            self.collateral[(item.loan_id, item.registration_no)] = item

    # ---- reference checks

    def check(self) -> None:
        self._check_officers()
        self._check_clients()
        self._check_parent("loans", "client_code", set(self.clients), "unknown_client")
        contracts = set(self.loans) | self._keys("loans", "contract_no")
        self._check_parent("guarantors", "contract_no", contracts, "unknown_contract")
        self._check_parent("collateral", "contract_no", contracts, "unknown_contract")

    def _node(self, officer: Officer) -> str:
        # Officers without a staff number get a name no cell can hold (cells have no controls).
        return officer.staff_no or f"\x00{officer.id}"

    def _final_officers(self) -> tuple[dict[str, Role | None], dict[str, str | None]]:
        """Every officer's role and supervisor as they will be after the import.

        Officers are identified by staff number, or by id for those that have none.
        """
        roles: dict[str, Role | None] = {}
        supervisors: dict[str, str | None] = {}
        for officer in self.officers_by_id.values():
            node = self._node(officer)
            roles[node] = officer.role
            boss = self.officers_by_id.get(officer.supervisor_id or 0)
            supervisors[node] = self._node(boss) if boss else None
        for row in self._rows("officers"):
            staff_no = row.values.get("staff_no")
            if staff_no is None or "staff_no" in row.bad:
                continue
            # A role that could not be read is unknown: checks depending on it are skipped.
            roles[staff_no] = None if "role" in row.bad else row.values.get("role")
            if "supervisor_staff_no" in row.values and "supervisor_staff_no" not in row.bad:
                supervisors[staff_no] = row.values["supervisor_staff_no"]
            elif staff_no not in self.officers:
                supervisors[staff_no] = None
        return roles, supervisors

    def _check_officers(self) -> None:
        roles, supervisors = self._final_officers()
        in_file: dict[str, _Row] = {}
        for row in self._rows("officers"):
            staff_no = row.values.get("staff_no")
            if staff_no is None or "staff_no" in row.bad:
                continue
            in_file[staff_no] = row
            existing = self.officers.get(staff_no)
            if existing is not None and existing.role == Role.ADMIN:
                self._flag("officers", row, "staff_no", "is_admin", staff_no=staff_no)
                continue
            boss = row.values.get("supervisor_staff_no")
            if boss is None or "supervisor_staff_no" in row.bad:
                continue
            if boss == staff_no:
                self._flag("officers", row, "supervisor_staff_no", "self_supervisor", staff_no=boss)
            elif boss not in roles:
                self._flag("officers", row, "supervisor_staff_no", "unknown_officer", staff_no=boss)
            elif roles[boss] is not None and roles[boss] != Role.SUPERVISOR:
                self._flag(
                    "officers",
                    row,
                    "supervisor_staff_no",
                    "not_a_supervisor",
                    staff_no=boss,
                    role=str(roles[boss]),
                )
            elif _in_cycle(staff_no, supervisors):
                self._flag(
                    "officers", row, "supervisor_staff_no", "supervisor_cycle", staff_no=boss
                )
        # Demoting a supervisor in the file must not leave officers kept in the database
        # reporting to someone who is no longer a supervisor.
        orphans: dict[str, int] = {}
        for node, boss in supervisors.items():
            if node in in_file or boss is None or boss not in in_file:
                continue
            if roles.get(boss) not in (None, Role.SUPERVISOR):
                orphans[boss] = orphans.get(boss, 0) + 1
        for boss, count in orphans.items():
            row = in_file[boss]
            if "role" not in row.bad:
                self._flag("officers", row, "role", "still_supervises", staff_no=boss, count=count)

    def _check_clients(self) -> None:
        roles, _ = self._final_officers()
        for row in self._rows("clients"):
            staff_no = row.values.get("officer_staff_no")
            if staff_no is None or "officer_staff_no" in row.bad:
                continue
            if staff_no not in roles:
                self._flag("clients", row, "officer_staff_no", "unknown_officer", staff_no=staff_no)
            elif roles[staff_no] == Role.ADMIN:
                self._flag(
                    "clients", row, "officer_staff_no", "bad_officer_role", staff_no=staff_no
                )

    def _check_parent(self, table: str, column: str, known_db: set[str], code: str) -> None:
        parent_table = "clients" if column == "client_code" else "loans"
        known = known_db | self._keys(parent_table, column)
        for row in self._rows(table):
            value = row.values.get(column)
            if value is None or column in row.bad:
                continue
            if value not in known:
                self._flag(table, row, column, code, **{column: value})

    # ---- planning

    def plan(self) -> dict[str, TableCounts]:
        counts: dict[str, TableCounts] = {}
        for table in TABLES:
            sheet = self.sheets.get(table)
            if sheet is None:
                continue
            planner = getattr(self, f"_plan_{table}")
            plans = [planner(sheet, row) for row in sheet.rows if _valid(row)]
            self.plans[table] = plans
            tally = TableCounts()
            for plan in plans:
                setattr(tally, plan.status, getattr(tally, plan.status) + 1)
            counts[table] = tally
        return counts

    def _diff(
        self,
        sheet: _Sheet,
        row: _Row,
        obj: Base | None,
        refs: Mapping[str, tuple[Any, _Ref | None]],
    ) -> _Plan:
        """Compare a file row with its record. ``refs``: attribute -> (current key, new ref)."""
        changes: dict[str, Any] = {}
        for column in sheet.table.columns:
            if column.attr is None:
                continue
            if column.name in row.values:
                value = row.values[column.name]
            elif obj is None and column.default is not None:
                value = column.default
            else:
                # A column left out of the file leaves the stored value alone.
                continue
            if obj is None or not _same(getattr(obj, column.attr), value):
                changes[column.attr] = value
        for attr, (current, ref) in refs.items():
            new_key = ref.key if ref is not None else None
            if obj is None or current != new_key:
                changes[attr] = ref
        if obj is None:
            return _Plan(row, "created", None, changes)
        return _Plan(row, "updated" if changes else "unchanged", obj, changes)

    def _officer_key(self, officer_id: int | None) -> str | None:
        officer = self.officers_by_id.get(officer_id or 0)
        return self._node(officer) if officer else None

    def _plan_officers(self, sheet: _Sheet, row: _Row) -> _Plan:
        existing = self.officers.get(row.values["staff_no"])
        refs: dict[str, tuple[Any, _Ref | None]] = {}
        if "supervisor_staff_no" in row.values:
            boss = row.values["supervisor_staff_no"]
            current = self._officer_key(existing.supervisor_id) if existing else None
            refs["supervisor_id"] = (current, _Ref("officers", boss) if boss else None)
        return self._diff(sheet, row, existing, refs)

    def _plan_clients(self, sheet: _Sheet, row: _Row) -> _Plan:
        existing = self.clients.get(row.values["client_code"])
        current = self._officer_key(existing.officer_id) if existing else None
        ref = _Ref("officers", row.values["officer_staff_no"])
        return self._diff(sheet, row, existing, {"officer_id": (current, ref)})

    def _plan_loans(self, sheet: _Sheet, row: _Row) -> _Plan:
        existing = self.loans.get(row.values["contract_no"])
        current = self.client_codes.get(existing.client_id) if existing else None
        ref = _Ref("clients", row.values["client_code"])
        return self._diff(sheet, row, existing, {"client_id": (current, ref)})

    def _plan_guarantors(self, sheet: _Sheet, row: _Row) -> _Plan:
        contract = row.values["contract_no"]
        loan = self.loans.get(contract)
        existing = self.guarantors.get((loan.id, row.values["guarantor_name"])) if loan else None
        refs = {} if existing else {"loan_id": (None, _Ref("loans", contract))}
        return self._diff(sheet, row, existing, refs)

    def _plan_collateral(self, sheet: _Sheet, row: _Row) -> _Plan:
        contract = row.values["contract_no"]
        loan = self.loans.get(contract)
        key = (loan.id, row.values["registration_no"]) if loan else None
        existing = self.collateral.get(key) if key else None
        refs = {} if existing else {"loan_id": (None, _Ref("loans", contract))}
        return self._diff(sheet, row, existing, refs)

    # ---- writing

    async def write(self) -> None:
        registry: dict[str, dict[str, Any]] = {
            "officers": self.officers,
            "clients": self.clients,
            "loans": self.loans,
        }
        keys = {"officers": "staff_no", "clients": "code", "loans": "contract_no"}
        for table in TABLES:
            plans = [p for p in self.plans.get(table, []) if p.status != "unchanged"]
            # Officers may report to officers created in this same import: their ids exist only
            # after the first flush, so supervisor links are set in a second pass.
            deferred = {"supervisor_id"} if table == "officers" else set()
            touched: list[tuple[Base, _Plan]] = []
            for count, plan in enumerate(plans, start=1):
                obj = plan.obj if plan.obj is not None else _MODELS[table]()
                for attr, value in plan.changes.items():
                    if attr not in deferred:
                        setattr(obj, attr, self._resolve(value, registry))
                if plan.obj is None:
                    self.session.add(obj)
                    if table in keys:
                        registry[table][getattr(obj, keys[table])] = obj
                touched.append((obj, plan))
                if count % FLUSH_BATCH == 0:
                    # Flushing in batches hands the event loop back between chunks of ORM work.
                    await self.session.flush()
            await self.session.flush()
            if deferred:
                for obj, plan in touched:
                    for attr in deferred & plan.changes.keys():
                        setattr(obj, attr, self._resolve(plan.changes[attr], registry))
                await self.session.flush()

    @staticmethod
    def _resolve(value: Any, registry: Mapping[str, Mapping[str, Any]]) -> Any:
        if isinstance(value, _Ref):
            return registry[value.table][value.key].id
        return value


def _in_cycle(start: str, supervisors: Mapping[str, str | None]) -> bool:
    seen = {start}
    node = supervisors.get(start)
    while node is not None:
        if node in seen:
            return node == start
        seen.add(node)
        node = supervisors.get(node)
    return False
