"""Opening lines for one client of the portfolio: what the phrasing service needs, worked out
from the client's loans, the officer's plan (the visit's focus, a survey trip it is folded into)
and today."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from assistant.access import Viewer, record_read
from assistant.db.models import MADE_VISITS, AnswerStatus, Client, Visit, VisitAnswer
from assistant.phrasing.service import PhrasingContext, PhrasingService, Suggestion, stage_for
from assistant.planning.plan import PlanService
from assistant.portfolio import ClientCard, PortfolioService

RENEWAL_NEEDED = "flow.interview.repayment.renewal_needed"


class OpeningLines:
    def __init__(
        self, portfolio: PortfolioService, plans: PlanService, phrasing: PhrasingService
    ) -> None:
        self.portfolio = portfolio
        self.plans = plans
        self.phrasing = phrasing

    async def for_client(
        self, viewer: Viewer, client_code: str, *, today: date, lang: str, n: int = 3
    ) -> tuple[ClientCard, list[Suggestion]]:
        """The client and the ``n`` best opening lines for a visit today.

        Raises:
            NotFound: no such client, or not one this viewer may see.
        """
        card = await self.portfolio.client_card(viewer, client_code, today=today, audit=False)
        await record_read(self.portfolio.database, viewer, "phrase.view", card.code)
        return card, await self.for_card(viewer, card, today=today, lang=lang, n=n)

    async def for_card(
        self, viewer: Viewer, card: ClientCard, *, today: date, lang: str, n: int = 3
    ) -> list[Suggestion]:
        plan = await self.plans.month_plan(viewer.officer_id, today.year, today.month, today=today)
        planned = plan.visit_for(card.code)
        on_a_trip = any(
            trip.on == today and any(v.client_code == card.code for v in trip.visits)
            for trip in plan.trip_suggestions
        )
        maturities = [loan.days_to_maturity for loan in card.loans]
        context = PhrasingContext(
            client_name=card.name,
            client_kind=card.kind.value,
            stage=stage_for(
                card.handed_over_on,
                min((loan.disbursed_on for loan in card.loans), default=None),
                today,
            ),
            focus=planned.focus.category.value if planned is not None else None,
            days_to_maturity=min(maturities) if maturities else None,
            folded_into_trip=on_a_trip,
            owner_name=card.legal_representative,
            industry=card.industry,
            renewal_raised=await self._renewal_raised(card.code),
        )
        return self.phrasing.suggest(context, today=today, lang=lang, n=n)

    async def _renewal_raised(self, client_code: str) -> bool:
        """Whether the client said, at their latest visit that asked, that they want to renew."""
        async with self.portfolio.database.session() as session:
            value = await session.scalar(
                select(VisitAnswer.value)
                .join(Visit, Visit.id == VisitAnswer.visit_id)
                .join(Client, Client.id == Visit.client_id)
                .where(
                    Client.code == client_code,
                    Visit.status.in_(MADE_VISITS),
                    VisitAnswer.item_id == RENEWAL_NEEDED,
                    VisitAnswer.status == AnswerStatus.ANSWERED,
                )
                .order_by(Visit.finished_at.desc(), Visit.id.desc())
                .limit(1)
            )
        return isinstance(value, dict) and value.get("v") is True
