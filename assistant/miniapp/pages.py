"""What the Mini App's pages show and change: the report, its review and the team's month.

Every method takes the :class:`~assistant.access.Viewer` that the launch data was mapped to and
goes through the same services as the chat, so the pages obey the same rules: an officer sees
only their own clients, a supervisor their team, a submitted report is locked, a decision names
the version it was made on. The pages get plain JSON; every word on them is in
``prompts/messages/<lang>/webapp.toml`` or the report's own labels.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta, tzinfo
from typing import Any

from assistant.access import AccessService, Viewer
from assistant.alerts import AlertService
from assistant.clock import Clock, local_format
from assistant.db.models import Role
from assistant.errors import AccessDenied, InvalidInput, NotFound
from assistant.i18n import Lang, Texts, language_from_code
from assistant.miniapp.initdata import InitDataRejected, verify
from assistant.planning.plan import PlanService
from assistant.reports.compose import ASSESSMENT_KEY, REMARKS_KEY
from assistant.reports.images import downscale
from assistant.reports.render import report_view
from assistant.reports.service import (
    ReportService,
    ReportView,
    Review,
    Submission,
)

# How review() names the section a return comment is about: 「【贷款用途】请补充…」.
SECTION_COMMENT = re.compile(r"^【(.+?)】(.*)$", re.S)
THUMB_SIDE = 320
FULL_SIDE = 1600


@dataclass(frozen=True)
class Visitor:
    """Who opened the page, and in which language it talks to them."""

    viewer: Viewer
    lang: Lang


@dataclass(frozen=True)
class Picture:
    data: bytes
    mime_type: str


def _plain(value: Any) -> Any:
    """JSON-ready: read-only mappings become dicts, tuples lists."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


class MiniAppService:
    def __init__(
        self,
        access: AccessService,
        reports: ReportService,
        plans: PlanService,
        alerts: AlertService,
        texts: Texts,
        clock: Clock,
        *,
        max_age: timedelta,
        tz: tzinfo,
    ) -> None:
        self.access = access
        self.reports = reports
        self.plans = plans
        self.alerts = alerts
        self.texts = texts
        self.clock = clock
        self.max_age = max_age
        self.tz = tz

    async def visitor(self, init_data: str, bot_token: str) -> Visitor:
        """The registered person ``init_data`` was signed for, with ``bot_token`` (the token
        of the bot that opened the page).

        Raises:
            InitDataRejected: forged, expired or malformed, or nobody registered (or active)
                under that Telegram account: the page is told 401 in every case alike.
        """
        launch = verify(init_data, bot_token, now=self.clock.now(), max_age=self.max_age)
        viewer = await self.access.viewer(launch.telegram_id)
        if viewer is None:
            raise InitDataRejected()
        return Visitor(viewer, viewer.language or language_from_code(launch.language_code))

    def labels(self, lang: Lang) -> dict[str, str]:
        prefix = "webapp."
        # Figures are filled in by the page: "{n}" stays in the text for it.
        slots = {"n": "{n}", "count": "{count}"}
        return {
            key[len(prefix) :]: self.texts.plain(lang, key, **slots)
            for key in sorted(self.texts.keys(lang))
            if key.startswith(prefix)
        }

    # ------------------------------------------------------------------ reports
    async def pending(self, visitor: Visitor) -> dict[str, Any]:
        """The reports waiting for this person: drafts to send, or reports to review."""
        waiting = await self.reports.pending(visitor.viewer)
        return {
            "lang": visitor.lang,
            "name": visitor.viewer.name,
            "supervisor": visitor.viewer.role is not Role.OFFICER,
            "labels": self.labels(visitor.lang),
            "reports": [
                {
                    "id": p.report_id,
                    "client": f"{p.client_name}（{p.client_code}）",
                    "status": self.texts.plain(visitor.lang, f"report.state.{p.status}"),
                    "version": p.version,
                }
                for p in waiting
            ],
        }

    async def report(self, visitor: Visitor, report_id: int) -> dict[str, Any]:
        """The whole report as the Word file has it, what may be done with it, and, for a
        reviewer, which of the officer's texts changed since the previous version."""
        view = await self.reports.open(visitor.viewer, report_id, visitor.lang)
        return self._report_page(visitor, view)

    def _report_page(self, visitor: Visitor, view: ReportView) -> dict[str, Any]:
        shown = report_view(view.data, tz=self.tz)
        for photo in shown["photos"]:
            photo["id"] = photo.pop("file").evidence_id
        for document in shown["documents"]:
            document["id"] = document.pop("file").evidence_id
        changed = view.changed
        about = SECTION_COMMENT.match(view.data.review_comment or "")
        for data, section in zip(view.data.sections, shown["sections"], strict=True):
            section["changed"] = section["id"] in (changed or ())
            # A comment the supervisor made on this section is shown beside it too.
            on_it = about is not None and about[1] in (data.title.zh, data.title.en)
            section["comment"] = about[2].strip() if about is not None and on_it else None
        return {
            "lang": visitor.lang,
            "labels": self.labels(visitor.lang),
            "report": {
                **_plain(shown),
                "id": view.report_id,
                "version": view.data.version,
                "status": view.status.value,
                "editable": view.editable,
                "reviewable": view.reviewable,
                "copy_warning": view.copy_warning,
                "similarity": None if view.similarity is None else round(view.similarity * 100),
                "changes": {
                    "since": view.data.version - 1 if changed is not None else None,
                    "remarks": REMARKS_KEY in (changed or ()),
                    "assessment": ASSESSMENT_KEY in (changed or ()),
                    "count": len(changed or ()),
                },
            },
        }

    async def edit(
        self, visitor: Visitor, report_id: int, field: str, text: str, section: str | None
    ) -> dict[str, Any]:
        """Save what the officer typed: a section's paragraph, the remarks or the assessment.

        Raises:
            InvalidInput: an unknown field or section, an empty or overlong text.
            ReportLocked: submitted or approved, or not the author.
        """
        viewer, lang = visitor.viewer, visitor.lang
        match field:
            case "section" if section:
                view = await self.reports.edit_section(viewer, report_id, section, text, lang)
            case "remarks":
                view = await self.reports.set_remarks(viewer, report_id, text, lang)
            case "assessment":
                view = await self.reports.set_assessment(viewer, report_id, text, lang)
            case _:
                raise InvalidInput("webapp.bad_request")
        return self._report_page(visitor, view)

    async def submit(self, visitor: Visitor, report_id: int) -> Submission:
        """Send the report for review, as the chat's 「提交审批」 does.

        Raises:
            AssessmentMissing: the 综合评价 is not written yet (the page asks for it).
            ReportLocked, NoSupervisor, ReportBuildFailed: as in the chat.
        """
        return await self.reports.submit(visitor.viewer, report_id, visitor.lang)

    async def review(
        self,
        visitor: Visitor,
        report_id: int,
        version: int,
        *,
        approve: bool,
        comment: str | None,
        section: str | None,
    ) -> Review:
        """Approve, or return with a comment on one section (or on the whole report).

        Raises:
            AlreadyReviewed, AccessDenied, InvalidInput: as in the chat.
        """
        if not approve and section and (comment or "").strip():
            view = await self.reports.open(visitor.viewer, report_id, visitor.lang)
            titles = {s.id: s.title.get(visitor.lang) for s in view.data.sections}
            if section not in titles:
                raise InvalidInput("report.unknown_section")
            comment = f"【{titles[section]}】{comment.strip()}" if comment else comment
        return await self.reports.review(
            visitor.viewer, report_id, version, approve=approve, comment=comment, lang=visitor.lang
        )

    async def picture(
        self, visitor: Visitor, report_id: int, evidence_id: int, *, full: bool
    ) -> Picture:
        """A photo of the report, small for the list or large on tap.

        Raises:
            NotFound: not a photo of a report the viewer may see, or unreadable.
        """
        found = await self.reports.photo(visitor.viewer, report_id, evidence_id)
        image = await asyncio.to_thread(downscale, found.path, FULL_SIDE if full else THUMB_SIDE)
        if image is None:
            raise NotFound()
        return Picture(image.data, image.mime_type)

    # ------------------------------------------------------------------ the team
    async def team(self, visitor: Visitor, today: date) -> dict[str, Any]:
        """This month per officer (done, due, overdue with reasons), open alerts and the risk
        classes of the team's loans.

        Raises:
            AccessDenied: a plain officer.
        """
        viewer, lang = visitor.viewer, visitor.lang
        progress = await self.plans.team_progress(viewer, today.year, today.month, today=today)
        overdue = []
        for officer in progress.officers:
            if not officer.overdue:
                continue
            plan = await self.plans.month_plan(
                viewer, today.year, today.month, today=today, of=officer.officer_id
            )
            overdue += [
                {
                    "officer": officer.name,
                    "client": f"{v.client_name}（{v.client_code}）",
                    "due": v.due_on.isoformat(),
                    "days": v.days_overdue,
                    "reasons": [r.reason.get(lang) for r in v.reasons],
                }
                for v in plan.visits
                if v.overdue and not v.done
            ]
        alerts = await self.alerts.open_alerts(viewer)
        return {
            "lang": lang,
            "labels": self.labels(lang),
            "month": f"{today.year}-{today.month:02d}",
            "officers": [
                {
                    "name": o.name,
                    "staff_no": o.staff_no,
                    "planned": o.planned,
                    "done": o.done,
                    "due": max(o.planned - o.done - o.overdue, 0),
                    "overdue": o.overdue,
                    "alerts": o.open_alerts,
                }
                for o in progress.officers
            ],
            "overdue": overdue,
            "alerts": [
                {
                    "id": a.alert_id,
                    "client": f"{a.client_name}（{a.client_code}）",
                    "officer": a.officer_name,
                    "severity": a.finding.severity.value,
                    "title": a.finding.title.get(lang),
                    "at": local_format(a.created_at, "%Y-%m-%d %H:%M", self.tz),
                }
                for a in alerts
            ],
            "risk": [
                {"tier": tier.value, "label": self.texts.plain(lang, f"risk.{tier.value}"), "n": n}
                for tier, n in progress.risk_distribution.items()
            ],
        }

    async def acknowledge(self, visitor: Visitor, alert_id: int) -> None:
        """Raises: NotFound, AccessDenied, AlreadyAcknowledged, as in the chat."""
        if visitor.viewer.role is Role.OFFICER:
            raise AccessDenied()
        await self.alerts.acknowledge(visitor.viewer, alert_id)
