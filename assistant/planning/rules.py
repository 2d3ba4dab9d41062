"""The monthly visit plan: what is due for each client, why, and which focus the visit has.

The article asks for a plan at the start of each month, visits folded into pre-loan survey
trips, and each client treated by their situation (four focus categories). The rules:

- **first purpose check** (首次检查): a loan with no finished visit since disbursement is due
  ``FIRST_CHECK_DAYS`` after disbursement, while the loan is new (``PLAN_NEW_LOAN_DAYS``);
- **periodic** (定期检查): the last finished visit (or the disbursement) plus the client's
  frequency: monthly for 关注 and worse, half-yearly for the best, monthly for short loans,
  quarterly otherwise (the shortest over the client's loans; see ``Settings``);
- **focused** (重点检查): overdue, classified worse than 正常, an adverse pre-visit result on the
  last visit, or an unacknowledged critical alert: due today. The portfolio records states, not
  when they began, so a visit within the watch interval counts as having looked at them: the
  next focused check is then due when that interval ends;
- **renewal intent** (续贷意向): a loan maturing within the renewal window, due
  ``PLAN_RENEWAL_LEAD_DAYS`` before maturity (never before the window opens).

A month's plan is computed from the visits finished before the month began, so that it stays
the same all month: a visit finished during the month marks the planned visit done instead of
removing it. Each client appears once, due at the earliest date any rule sets; the type of
check is the most demanding among the rules due by then (focused, purpose, renewal, periodic),
and the other reasons are listed with it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from typing import Any

from assistant.data.vocabulary import Bilingual
from assistant.db.models import LoanProduct, RiskClass
from assistant.planning.inputs import (
    ClientFacts,
    LoanFacts,
    Period,
    PlanRules,
    Snapshot,
    add_months,
)
from assistant.planning.model import (
    CheckType,
    DistrictGroup,
    DueReason,
    Focus,
    FocusCategory,
    MonthPlan,
    PlannedVisit,
    TripSuggestion,
)

_CLASS_ZH = {
    RiskClass.NORMAL: "正常",
    RiskClass.SPECIAL_MENTION: "关注",
    RiskClass.SUBSTANDARD: "次级",
    RiskClass.DOUBTFUL: "可疑",
    RiskClass.LOSS: "损失",
}
_CLASS_EN = {
    RiskClass.NORMAL: "normal",
    RiskClass.SPECIAL_MENTION: "special mention",
    RiskClass.SUBSTANDARD: "substandard",
    RiskClass.DOUBTFUL: "doubtful",
    RiskClass.LOSS: "loss",
}


class Planner:
    """The rules, applied to a :class:`Snapshot`: no I/O, no clock."""

    def __init__(self, rules: PlanRules) -> None:
        self.rules = rules

    def outstanding(self, loan: LoanFacts, period: Period) -> bool:
        """Still owed: overdue, or not yet past maturity (a loan past it has been repaid)."""
        return loan.days_overdue > 0 or loan.matures_on >= period.outstanding_from

    def plans(self, portfolio: Snapshot, period: Period) -> dict[int, MonthPlan]:
        """A plan for every officer with something due or a survey trip in the period."""
        due: dict[int, tuple[ClientFacts, list[DueReason]]] = {}
        for client in portfolio.clients:
            reasons = self._due_reasons(client, portfolio, period)
            if reasons:
                due[client.id] = (client, reasons)

        # 侧面了解 needs to know, per officer, district and industry, who is in trouble.
        troubled: dict[tuple[int, str, str], list[str]] = defaultdict(list)
        for client in portfolio.clients:
            key = _sector(client)
            if key is None:
                continue
            reasons = due.get(client.id, (client, []))[1]
            if portfolio.open_alerts.get(client.id) or any(
                r.check_type is CheckType.FOCUSED for r in reasons
            ):
                troubled[key].append(client.code)

        by_officer: dict[int, list[PlannedVisit]] = defaultdict(list)
        for client, reasons in due.values():
            visit = self._planned_visit(client, reasons, portfolio, period, troubled)
            if visit is not None:
                by_officer[client.officer_id].append(visit)

        trips_by_officer: dict[int, list[tuple[int, int, date, str, str | None]]] = defaultdict(
            list
        )
        for trip in portfolio.trips:
            trips_by_officer[trip[1]].append(trip)

        plans: dict[int, MonthPlan] = {}
        for officer_id in by_officer.keys() | trips_by_officer.keys():
            officer = portfolio.officers[officer_id]
            visits = sorted(by_officer.get(officer_id, []), key=_visit_order)
            plans[officer_id] = MonthPlan(
                officer.id,
                officer.name,
                period.year,
                period.month,
                period.today,
                tuple(visits),
                _groups(visits),
                _suggestions(trips_by_officer.get(officer_id, []), visits),
            )
        return plans

    def _due_reasons(
        self, client: ClientFacts, portfolio: Snapshot, period: Period
    ) -> list[DueReason]:
        loans = [
            loan
            for loan in portfolio.loans.get(client.id, ())
            if loan.disbursed_on <= period.end and self.outstanding(loan, period)
        ]
        if not loans:
            return []
        last = portfolio.last_visit.get(client.id)
        last_on = last[0] if last else None
        owing = self._owing_first_check(loans, last_on, period)
        checked = [loan for loan in loans if loan not in owing]
        focused = self._focused_triggers(client, loans, last, portfolio)
        reasons = [
            self._first_check(owing) if owing else None,
            self._periodic(checked, last_on) if checked else None,
            self._focused(focused, last_on, period) if focused else None,
            self._renewal(loans, last_on, period),
        ]
        return [r for r in reasons if r is not None and r.due_on <= period.end]

    def _owing_first_check(
        self, loans: Sequence[LoanFacts], last_on: date | None, period: Period
    ) -> list[LoanFacts]:
        """Loans with no finished visit since their disbursement, still within the new-loan
        window."""
        return [
            loan
            for loan in loans
            if (last_on is None or last_on < loan.disbursed_on)
            and (period.today - loan.disbursed_on).days <= self.rules.new_loan_days
        ]

    def _first_check(self, owing: Sequence[LoanFacts]) -> DueReason:
        loan = owing[0]  # disbursed first, so due first
        days = self.rules.first_check_days
        deadline = loan.disbursed_on + timedelta(days=days)
        return DueReason(
            CheckType.PURPOSE,
            deadline,
            Bilingual(
                f"首次用途检查：合同 {loan.contract_no} 于 {loan.disbursed_on} 放款，"
                f"应在 {days} 天内（{deadline} 前）检查资金用途",
                f"first purpose check: contract {loan.contract_no} was disbursed on "
                f"{loan.disbursed_on}; check the use of funds within {days} days (by {deadline})",
            ),
        )

    def _periodic(self, checked: Sequence[LoanFacts], last_on: date | None) -> DueReason:
        """Counted from the last visit, or from the disbursement of loans already past their
        first check."""
        days, why = self._frequency(checked)
        base = last_on or min(loan.disbursed_on for loan in checked)
        since = (
            Bilingual(f"上次回访 {last_on}", f"last visit {last_on}")
            if last_on
            else Bilingual(f"放款日 {base} 后未回访", f"not visited since disbursement {base}")
        )
        return DueReason(
            CheckType.PERIODIC,
            base + timedelta(days=days),
            Bilingual(
                f"定期检查：{since.zh}，{why.zh}每 {days} 天一次",
                f"periodic check: {since.en}; {why.en}, every {days} days",
            ),
        )

    def _focused(
        self, triggers: Sequence[Bilingual], last_on: date | None, period: Period
    ) -> DueReason:
        deadline = period.today_in_month
        if last_on is not None:
            deadline = max(deadline, last_on + timedelta(days=self.rules.periodic_days_watch))
        return DueReason(
            CheckType.FOCUSED,
            deadline,
            Bilingual(
                "重点检查：" + "；".join(t.zh for t in triggers),
                "focused check: " + "; ".join(t.en for t in triggers),
            ),
        )

    def _renewal(
        self, loans: Sequence[LoanFacts], last_on: date | None, period: Period
    ) -> DueReason | None:
        window = timedelta(days=self.rules.renewal_window_days)
        renewing = [
            loan
            for loan in loans
            if loan.matures_on >= max(period.outstanding_from, period.start)
            and loan.matures_on - window <= period.end
            and not (last_on is not None and last_on >= loan.matures_on - window)
        ]
        if not renewing:
            return None
        loan = min(renewing, key=lambda item: item.matures_on)
        opens = loan.matures_on - window
        deadline = max(opens, loan.matures_on - timedelta(days=self.rules.renewal_lead_days))
        return DueReason(
            CheckType.RENEWAL,
            deadline,
            Bilingual(
                f"续贷意向：合同 {loan.contract_no} 将于 {loan.matures_on} 到期，"
                "提前了解周转和续贷安排",
                f"renewal intent: contract {loan.contract_no} matures on "
                f"{loan.matures_on}; ask early about cash flow and renewal plans",
            ),
        )

    def next_check(
        self, loans: Sequence[LoanFacts], checked_on: date, *, closer: bool
    ) -> tuple[date, Bilingual] | None:
        """When a client checked on ``checked_on`` is next due a periodic check, and why.

        ``closer`` is the report's own call for closer monitoring (a warning or worse): the
        interval of a loan under watch then applies, as the measure "缩短检查间隔" asks.
        None when every loan is repaid by then.
        """
        owing = [loan for loan in loans if loan.days_overdue > 0 or loan.matures_on > checked_on]
        if not owing:
            return None
        days, why = self._frequency(owing)
        if closer and days > self.rules.periodic_days_watch:
            days = self.rules.periodic_days_watch
            why = Bilingual("本次检查发现风险信号，缩短间隔，", "risk signals found at this check")
        due = checked_on + timedelta(days=days)
        last_maturity = max(loan.matures_on for loan in owing)
        return min(due, last_maturity), Bilingual(
            f"{why.zh}每 {days} 天一次", f"{why.en}, every {days} days"
        )

    def _frequency(self, loans: Sequence[LoanFacts]) -> tuple[int, Bilingual]:
        """The shortest interval any of the client's loans asks for, and why."""
        rules = self.rules
        options: list[tuple[int, Bilingual]] = []
        for loan in loans:
            if loan.risk_class is not RiskClass.NORMAL:
                options.append(
                    (
                        rules.periodic_days_watch,
                        Bilingual(
                            f"五级分类为{_CLASS_ZH[loan.risk_class]}，",
                            f"classified {_CLASS_EN[loan.risk_class]}",
                        ),
                    )
                )
            elif loan.days_overdue == 0 and (
                loan.product is LoanProduct.PERSONAL_CONSUMPTION
                or loan.amount <= rules.best_max_amount
            ):
                options.append(
                    (
                        rules.periodic_days_best,
                        Bilingual("正常类小额或消费贷款，", "a normal small or consumer loan"),
                    )
                )
            elif loan.matures_on <= add_months(loan.disbursed_on, rules.short_loan_months):
                options.append(
                    (
                        rules.periodic_days_watch,
                        Bilingual(
                            f"期限不超过 {rules.short_loan_months} 个月的短期贷款，",
                            f"a loan of {rules.short_loan_months} months or less",
                        ),
                    )
                )
            else:
                options.append(
                    (rules.periodic_days_normal, Bilingual("正常类贷款，", "a normal loan"))
                )
        return min(options, key=lambda option: option[0])

    def _focused_triggers(
        self,
        client: ClientFacts,
        loans: Sequence[LoanFacts],
        last: tuple[date, dict[str, Any]] | None,
        portfolio: Snapshot,
    ) -> list[Bilingual]:
        triggers: list[Bilingual] = []
        overdue = [loan for loan in loans if loan.days_overdue >= self.rules.focused_overdue_days]
        if overdue:
            worst = max(overdue, key=lambda loan: loan.days_overdue)
            triggers.append(
                Bilingual(
                    f"合同 {worst.contract_no} 逾期 {worst.days_overdue} 天",
                    f"contract {worst.contract_no} is {worst.days_overdue} days overdue",
                )
            )
        worse = [loan for loan in loans if loan.risk_class is not RiskClass.NORMAL]
        if worse:
            classes = sorted({loan.risk_class for loan in worse}, key=list(RiskClass).index)
            triggers.append(
                Bilingual(
                    "五级分类为" + "、".join(_CLASS_ZH[c] for c in classes),
                    "classified " + ", ".join(_CLASS_EN[c] for c in classes),
                )
            )
        if last is not None:
            adverse = sorted(check for check, result in last[1].items() if result == "adverse")
            if adverse:
                triggers.append(
                    Bilingual(
                        f"上次回访的访前查询有不利结果（{'、'.join(adverse)}）",
                        f"adverse pre-visit results on the last visit ({', '.join(adverse)})",
                    )
                )
        critical = sum(1 for s in portfolio.open_alerts.get(client.id, ()) if s == "critical")
        if critical:
            triggers.append(
                Bilingual(
                    f"有 {critical} 条未处理的严重预警",
                    f"{critical} unacknowledged critical alert(s)",
                )
            )
        return triggers

    def _planned_visit(
        self,
        client: ClientFacts,
        reasons: list[DueReason],
        portfolio: Snapshot,
        period: Period,
        troubled: dict[tuple[int, str, str], list[str]],
    ) -> PlannedVisit | None:
        reasons = sorted(reasons, key=lambda r: (r.due_on, r.check_type.urgency))
        # The visit is due at the earliest date any rule sets. Its type is the most demanding
        # among the rules due by then (or by today, if that is later): an overdue periodic check
        # made while a focused trigger holds is a focused check, still overdue since its date.
        earliest = reasons[0].due_on
        line = max(earliest, period.today)
        winner = min(
            (r for r in reasons if r.due_on <= line), key=lambda r: (r.check_type.urgency, r.due_on)
        )
        reasons.remove(winner)
        reasons.insert(0, winner)
        due_on = earliest
        moved = portfolio.reschedules.get(client.id)
        if moved is not None and moved != due_on:
            due_on = moved
            if due_on > period.end:
                return None  # moved to a later month: that month's plan has it
        # Any visit finished this month does it; for a first purpose check, one made after the
        # disbursement.
        visits = sorted(portfolio.visits_in_month.get(client.id, ()))
        purpose = next((r for r in reasons if r.check_type is CheckType.PURPOSE), None)
        if purpose is not None:
            disbursed = purpose.due_on - timedelta(days=self.rules.first_check_days)
            visits = [d for d in visits if d >= disbursed]
        done_on = visits[0] if visits else None
        overdue = done_on is None and due_on < period.today
        foci = self._foci(client, reasons, portfolio, period, troubled)
        return PlannedVisit(
            client_id=client.id,
            client_code=client.code,
            client_name=client.name,
            client_kind=client.kind,
            district=_district(client),
            industry=client.industry,
            officer_id=client.officer_id,
            check_type=winner.check_type,
            due_on=due_on,
            overdue=overdue,
            days_overdue=(period.today - due_on).days if overdue else 0,
            reasons=tuple(reasons),
            focus=foci[0],
            other_focus=tuple(foci[1:]),
            rescheduled_from=earliest if due_on != earliest else None,
            snoozed_until=portfolio.snoozes.get(client.id),
            done_on=done_on,
            known_since=client.known_since,
        )

    def _foci(
        self,
        client: ClientFacts,
        reasons: Sequence[DueReason],
        portfolio: Snapshot,
        period: Period,
        troubled: dict[tuple[int, str, str], list[str]],
    ) -> list[Focus]:
        """Every focus category that fits, most important first (risk before relationship)."""
        found = [
            self._risk_focus(client, reasons, portfolio, period),
            self._handover_focus(client, period),
            _referral_focus(client),
            _side_insight_focus(client, troubled),
        ]
        return [f for f in found if f is not None] or [
            Focus(
                FocusCategory.FAMILIARITY,
                Bilingual(
                    "例行回访：保持联系，了解近况", "a routine visit: keep in touch and catch up"
                ),
            )
        ]

    def _risk_focus(
        self, client: ClientFacts, reasons: Sequence[DueReason], portfolio: Snapshot, period: Period
    ) -> Focus | None:
        """A focused check, a new loan or a high-risk industry, in one line."""
        risk: list[Bilingual] = []
        focused = next((r for r in reasons if r.check_type is CheckType.FOCUSED), None)
        if focused is not None:
            risk.append(focused.reason)
        new = [
            loan
            for loan in portfolio.loans.get(client.id, ())
            if 0 <= (period.today - loan.disbursed_on).days < self.rules.new_loan_days
        ]
        if new:
            risk.append(
                Bilingual(
                    f"新发放贷款（{new[-1].disbursed_on} 放款）",
                    f"a new loan (disbursed on {new[-1].disbursed_on})",
                )
            )
        industry = client.industry or ""
        risky = sorted(n for n in self.rules.high_risk_industries if n and n in industry)
        if risky:
            risk.append(
                Bilingual(
                    f"所属行业为高风险行业（{'、'.join(risky)}）",
                    f"a high-risk industry ({', '.join(risky)})",
                )
            )
        if not risk:
            return None
        return Focus(
            FocusCategory.RISK_CONTROL,
            Bilingual("；".join(r.zh for r in risk), "; ".join(r.en for r in risk)),
        )

    def _handover_focus(self, client: ClientFacts, period: Period) -> Focus | None:
        handed = client.handed_over_on
        if handed is None or not 0 <= (period.today - handed).days <= self.rules.handover_days:
            return None
        return Focus(
            FocusCategory.FAMILIARITY,
            Bilingual(
                f"{handed} 新交接的客户，需要增进了解",
                f"handed over on {handed}: get to know the client",
            ),
        )


def _referral_focus(client: ClientFacts) -> Focus | None:
    if not client.referral_promised:
        return None
    return Focus(
        FocusCategory.REFERRAL,
        Bilingual(
            "客户表示有新客户介绍但尚未成行，可顺势跟进",
            "the client offered to introduce someone who has not come yet",
        ),
    )


def _side_insight_focus(
    client: ClientFacts, troubled: dict[tuple[int, str, str], list[str]]
) -> Focus | None:
    """Peers in the same district and industry with trouble: a subject for small talk that
    reveals nothing about them."""
    key = _sector(client)
    others = [code for code in troubled.get(key, ()) if code != client.code] if key else []
    if not others:
        return None
    return Focus(
        FocusCategory.SIDE_INSIGHT,
        Bilingual(
            f"同商圈同行业的客户 {'、'.join(others[:3])} 有重点检查或未处理预警，"
            "可借此侧面了解行业和商圈动态（不透露其他客户信息）",
            f"clients in the same district and industry ({', '.join(others[:3])}) "
            "have a focused check or an open alert: learn how the sector is doing "
            "(without revealing anything about them)",
        ),
    )


def _district(client: ClientFacts) -> str | None:
    return " ".join(client.district.split()) if client.district else None


def _sector(client: ClientFacts) -> tuple[int, str, str] | None:
    district, industry = _district(client), (client.industry or "").strip()
    return (client.officer_id, district, industry) if district and industry else None


def _visit_order(visit: PlannedVisit) -> tuple[date, int, str]:
    return visit.due_on, visit.check_type.urgency, visit.client_code


def _groups(visits: Sequence[PlannedVisit]) -> tuple[DistrictGroup, ...]:
    by_district: dict[str | None, list[PlannedVisit]] = defaultdict(list)
    for visit in visits:  # already in due order, so each group is too
        by_district[visit.district].append(visit)
    groups = [DistrictGroup(district, tuple(items)) for district, items in by_district.items()]
    # Unassigned clients come after named districts that are due as early.
    groups.sort(key=lambda g: (g.earliest_due, g.district is None, g.district or ""))
    return tuple(groups)


def _suggestions(
    trips: Iterable[tuple[int, int, date, str, str | None]], visits: Sequence[PlannedVisit]
) -> tuple[TripSuggestion, ...]:
    suggestions = []
    for trip_id, _officer, on, district, note in trips:
        nearby = tuple(v for v in visits if v.district == district and not v.done)
        suggestions.append(TripSuggestion(trip_id, on, district, note, nearby))
    return tuple(suggestions)
