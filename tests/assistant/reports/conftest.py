"""Shared fixtures: the real checklist and templates, visits of a shop and a factory, photos made
with Pillow, and a factory of complete ReportData objects."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from docx import Document
from PIL import Image

from assistant.data.checklist import AnswerType, Checklist, Item, RecordedAnswer, load_checklist
from assistant.data.vocabulary import Bilingual
from assistant.db.models import AnswerStatus, ClientKind, VisitStatus
from assistant.portfolio import ClientCard, CollateralView, GuarantorView, LoanView
from assistant.reports.compose import ReportComposer
from assistant.reports.labels import DEFAULT_TEMPLATES
from assistant.reports.model import ReportData, ReportFile, ReportHeader
from assistant.reports.sections import DEFAULT_PATH as SECTIONS_PATH
from assistant.risk.model import ClassSuggestion, EvidenceRef, Finding, Severity
from assistant.visits.model import EvidenceNeed, Stop, VisitSummary, VisitView

NOW = datetime(2026, 3, 2, 6, 30, tzinfo=UTC)
HOSTILE_NAME = "<b>张&李</b>_*[x]"

SHOP_ANSWERS: dict[str, Any] = {
    "flow.interview.business.interviewee": "borrower",
    "flow.interview.business.site_matches_record": True,
    "flow.interview.business.main_business_changed": False,
    "flow.interview.staff.headcount_total": 35.0,
    "flow.interview.staff.headcount_present": 30.0,
    "flow.interview.staff.avg_monthly_wage": 4500.0,
    "flow.interview.staff.monthly_rent": 12000.0,
    "flow.interview.liquidity.receivables": 250000.0,
    "flow.interview.liquidity.receivables_share": 15.0,
    "flow.interview.revenue.last_year": 3_000_000.0,
    "flow.interview.revenue.gross_margin": 18.5,
    "flow.interview.loan_use.actual_use": "进货：五金配件和工具。",
    "flow.interview.loan_use.used_as_agreed": "partly",
    "flow.interview.loan_use.diverted_to": "装修自住房",
    "flow.interview.loan_use.diverted_amount": 50000.0,
    "flow.interview.debt.other_debts": True,
    "flow.interview.debt.other_debts_amount": 200000.0,
    "flow.interview.debt.guarantees": False,
    "flow.interview.collateral.market_value": 800000.0,
    "flow.interview.collateral.problem": False,
    "flow.interview.repayment.repayment_source": "operating_income",
    "flow.interview.repayment.pressure": "moderate",
    "check.individual.periodic.family_changes": False,
    "check.individual.periodic.guarantor": "normal",
    "check.individual.periodic.business": "declining",
    "check.individual.periodic.business_details": "附近新开了两家同类店",
    "check.individual.periodic.working_capital.daily_operations": "partly",
    "check.individual.periodic.working_capital.other_use": "装修",
}
SHOP_APPROXIMATE = {"flow.interview.staff.headcount_total", "flow.interview.liquidity.receivables"}
SHOP_PRECHECKS = {
    "records.enterprise_credit": "clear",
    "records.enforcement": "adverse",
    "records.judgments": "none_found",
    "records.movable_collateral": "not_checked",
}

FACTORY_ANSWERS: dict[str, Any] = {
    "flow.interview.business.interviewee": "finance_head",
    "flow.interview.business.interviewee_details": "王芳，财务经理",
    "flow.interview.business.main_business_changed": True,
    "flow.interview.business.main_business_details": "新增了冷链物流业务",
    "flow.interview.business.registry_reason": "no_annual_report",
    "flow.interview.business.registry_resolved": True,
    "flow.interview.business.registry_impact": "no_effect",
    "flow.interview.staff.headcount_total": 120.0,
    "flow.interview.liquidity.emergency_funds": 1_500_000.0,
    "flow.interview.liquidity.inventory": 2_300_000.0,
    "flow.interview.liquidity.inventory_turnover": 45.0,
    "flow.interview.revenue.last_year": 52_000_000.0,
    "flow.interview.revenue.year_to_date": 8_800_000.0,
    "flow.interview.supply_chain.main_customers": "本地三家连锁超市",
    "flow.interview.supply_chain.top_customer_share": 40.0,
    "flow.interview.loan_use.used_as_agreed": "as_agreed",
    "flow.interview.debt.debt_ratio": 62.0,
    "flow.interview.debt.open_disputes": False,
    "flow.interview.repayment.due_soon": 3_000_000.0,
    "check.corporate.periodic.operations": "normal",
    "check.corporate.periodic.market": "stable",
    "check.corporate.periodic.guarantor": "weakened",
    "check.corporate.periodic.guarantor_details": "保证人公司被列为被执行人",
    "check.corporate.periodic.major_changes": False,
    "check.corporate.periodic.collateral_intact": "intact",
    "check.corporate.periodic.misappropriation": False,
    "check.corporate.periodic.working_capital.raw_materials": "all",
    "check.corporate.periodic.working_capital.materials_in_stock": True,
}
FACTORY_PRECHECKS = {
    "records.enterprise_credit": "adverse",
    "records.enforcement": "clear",
    "records.judgments": "adverse",
    "records.movable_collateral": "clear",
}


def _loan(product: str, amount: int, overdue: int = 0) -> LoanView:
    return LoanView(
        contract_no="HT-2025-001",
        product=product,
        amount=Decimal(amount),
        agreed_purpose="进货周转。",
        disbursed_on=date(2025, 9, 1),
        matures_on=date(2026, 9, 1),
        days_since_disbursement=182,
        days_to_maturity=183,
        payment_method="self",
        risk_class="normal",
        days_overdue=overdue,
        guarantors=[GuarantorView("张父", ClientKind.INDIVIDUAL, "父子", None)],
        collateral=[
            CollateralView("商铺", "城东 A12", Decimal(45), Decimal(800000), None, "演示第1号")
        ],
    )


def _card(kind: ClientKind, name: str) -> ClientCard:
    product = "personal_business" if kind is ClientKind.INDIVIDUAL else "working_capital"
    return ClientCard(
        code="C001",
        name=name,
        kind=kind,
        industry="五金零售" if kind is ClientKind.INDIVIDUAL else "食品加工",
        address="上海市浦东新区张江路 1 号",
        district="浦东",
        has_coordinates=True,
        officer_name="张伟",
        handed_over_on=None,
        loans=[_loan(product, 300000 if kind is ClientKind.INDIVIDUAL else 5_000_000)],
    )


def _summary(
    checklist: Checklist,
    card: ClientCard,
    answers: Mapping[str, Any],
    prechecks: Mapping[str, str],
    *,
    approximate: set[str] = frozenset(),  # type: ignore[assignment]
    skipped: tuple[str, ...] = (),
    unanswered: tuple[str, ...] = (),
    missing: tuple[str, ...] = (),
) -> VisitSummary:
    view = VisitView(
        visit_id=7,
        client=card,
        check_type="periodic",
        status=VisitStatus.FINISHED,
        stop=Stop("finish"),
        position=40,
        total=40,
        answered=len(answers),
        step_title=Bilingual("完成", "Finish"),
        token="t",
    )
    recorded = [
        (
            checklist.item(item_id),
            RecordedAnswer(
                item_id,
                AnswerStatus.ANSWERED,
                value,
                str(value) if not isinstance(value, str) else value,
                item_id in approximate,
            ),
        )
        for item_id, value in answers.items()
    ]
    needs = {e.id: e for e in (*checklist.documents, *checklist.photo_categories)}
    return VisitSummary(
        view=view,
        answers=recorded,
        skipped=[checklist.item(i) for i in skipped],
        unanswered_required=[checklist.item(i) for i in unanswered],
        findings=dict(prechecks),
        missing_evidence=[EvidenceNeed(i, needs[i].title, True) for i in missing],
        files=3,
        untagged_files=0,
    )


def _findings(name: str = "") -> list[Finding]:
    return [
        Finding(
            rule_id="use.diverted",
            severity=Severity.CRITICAL,
            title=Bilingual("贷款部分挪作他用", "Part of the loan was diverted"),
            detail=Bilingual(
                f"约5万元用于装修自住房{name}。", f"About CNY 50,000 went to home repairs{name}."
            ),
            evidence=(
                EvidenceRef(
                    "answer",
                    "flow.interview.loan_use.diverted_amount",
                    Bilingual("挪用金额", "Amount diverted"),
                    Bilingual("5万元", "CNY 50,000"),
                ),
            ),
            measures=(
                Bilingual("要求限期归还挪用资金。", "Ask for the money back by a deadline."),
            ),
        ),
        Finding(
            rule_id="records.enforcement",
            severity=Severity.WARNING,
            title=Bilingual("借款人被列为被执行人", "The borrower is a judgment debtor"),
            detail=Bilingual("执行信息公开网有记录。", "The enforcement website has a record."),
            evidence=(
                EvidenceRef(
                    "precheck",
                    "records.enforcement",
                    Bilingual("被执行人查询", "Enforcement records"),
                    Bilingual("发现问题", "Adverse finding"),
                ),
            ),
            measures=(
                Bilingual("核实案件履行情况。", "Check how far the case has been paid."),
                Bilingual("提高检查频率。", "Check more often."),
            ),
        ),
        Finding(
            rule_id="revenue.decline",
            severity=Severity.ATTENTION,
            title=Bilingual("经营下滑", "Business declining"),
            detail=Bilingual("附近新开同类店。", "Competitors opened nearby."),
            evidence=(),
            measures=(),
        ),
        Finding(
            rule_id="info.note",
            severity=Severity.INFO,
            title=Bilingual("首次检查", "First check"),
            detail=Bilingual("无历史记录可比。", "No earlier record to compare with."),
            evidence=(),
            measures=(),
        ),
    ]


SUGGESTION = ClassSuggestion(
    tier="special_mention",
    label=Bilingual("关注", "Special mention"),
    reason=Bilingual("贷款部分挪用且借款人被列为被执行人。", "Part of the loan was diverted."),
    max_days_overdue=0,
)


def docx_text(content: bytes) -> tuple[str, int]:
    document = Document(io.BytesIO(content))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.extend(cell.text for cell in row.cells)
    parts.extend(p.text for p in document.sections[0].footer.paragraphs)
    return "\n".join(parts), len(document.inline_shapes)


def write_photo(path: Path, size: tuple[int, int] = (400, 300)) -> Path:
    """A real JPEG: a smooth gradient (noise would make the files unrealistically large)."""
    gradient = Image.linear_gradient("L").resize(size)
    Image.merge(
        "RGB", (gradient, gradient.transpose(Image.Transpose.FLIP_LEFT_RIGHT), gradient)
    ).save(path, "JPEG", quality=85)
    return path


@pytest.fixture(scope="session")
def checklist() -> Checklist:
    return load_checklist()


@pytest.fixture(scope="session")
def composer(checklist: Checklist) -> ReportComposer:
    return ReportComposer(checklist, SECTIONS_PATH, DEFAULT_TEMPLATES)


@pytest.fixture
def shop_summary(checklist: Checklist) -> Callable[..., VisitSummary]:
    """The visit of an individual borrower's hardware shop (``name`` overrides the client)."""

    def make(name: str = "张记五金店", **extra: Any) -> VisitSummary:
        card = _card(ClientKind.INDIVIDUAL, name)
        return _summary(
            checklist,
            card,
            SHOP_ANSWERS,
            SHOP_PRECHECKS,
            approximate=SHOP_APPROXIMATE,
            skipped=("flow.interview.revenue.seasons",),
            unanswered=("flow.interview.repayment.due_soon",),
            missing=("doc.personal_statements", "photo.inventory"),
            **extra,
        )

    return make


@pytest.fixture
def factory_summary(checklist: Checklist) -> VisitSummary:
    """The visit of a corporate borrower, a food factory with a working-capital loan."""
    return _summary(
        checklist,
        _card(ClientKind.CORPORATE, "宏达食品有限公司"),
        FACTORY_ANSWERS,
        FACTORY_PRECHECKS,
    )


def _value_for(item: Item, flavour: int) -> Any:
    match item.type:
        case AnswerType.YES_NO:
            return flavour % 2 == 0
        case AnswerType.CHOICE:
            return item.options[min(flavour, len(item.options) - 1)].id
        case AnswerType.MONEY:
            return 120_000.0 + flavour
        case AnswerType.NUMBER:
            return float(min(item.maximum or 100.0, 30 + flavour))
        case AnswerType.DATE:
            return "2026-09-30"
        case _:
            return f"说明{flavour}。"


@pytest.fixture
def full_summary(checklist: Checklist) -> Callable[[ClientKind, str, int], VisitSummary]:
    """A visit with every applicable question answered, as the visit would ask them: the
    questions of the check and of the look-up results, and follow-ups where the parent's answer
    asks them. ``flavour`` picks yes or no and the n-th option (and look-up result), so that all
    flavours together reach every branch of the narrative templates."""

    def make(kind: ClientKind, check: str, flavour: int) -> VisitSummary:
        card = _card(kind, "全量客户")
        if kind is ClientKind.CORPORATE:  # both corporate products, to reach the project too
            card = replace(card, loans=[*card.loans, replace(card.loans[0], product="fixed_asset")])
        products = {loan.product for loan in card.loans}
        prechecks = {
            c.id: c.results[min(flavour, len(c.results) - 1)].id
            for c in checklist.prechecks_for(kind.value, products)
        }
        answers: dict[str, Any] = {}

        def answer(items: Iterable[Item]) -> None:
            for item in items:
                answers[item.id] = _value_for(item, flavour)
                answer(checklist.follow_ups(item.id, answers[item.id]))

        answer(checklist.items_for(kind.value, products, check, prechecks))
        summary = _summary(checklist, card, answers, prechecks)
        return replace(summary, view=replace(summary.view, check_type=check))

    return make


@pytest.fixture
def summary_of(checklist: Checklist) -> Callable[..., VisitSummary]:
    """A visit with just these answers and look-up results."""

    def make(
        kind: ClientKind,
        answers: Mapping[str, Any] | None = None,
        prechecks: Mapping[str, str] | None = None,
    ) -> VisitSummary:
        return _summary(checklist, _card(kind, "某客户"), answers or {}, prechecks or {})

    return make


@pytest.fixture
def header_for() -> Callable[[VisitSummary], ReportHeader]:
    def make(summary: VisitSummary) -> ReportHeader:
        return ReportHeader(
            visit_id=summary.view.visit_id,
            client=summary.view.client,
            officer_name="张伟",
            check_type=summary.view.check_type,
            started_at=datetime(2026, 3, 2, 1, 5, tzinfo=UTC),
            finished_at=datetime(2026, 3, 2, 2, 40, tzinfo=UTC),
            checkin_at=datetime(2026, 3, 2, 1, 7, tzinfo=UTC),
            checkin_distance_m=38.4,
            branch="浦东支行",
        )

    return make


@pytest.fixture
def findings() -> list[Finding]:
    return _findings()


@pytest.fixture
def suggestion() -> ClassSuggestion:
    return SUGGESTION


@pytest.fixture
def photo_files(tmp_path: Path) -> Callable[..., list[ReportFile]]:
    """``n`` photos (JPEGs of ``size``), plus ``corrupt`` files that only pretend to be photos."""

    def make(n: int, *, size: tuple[int, int] = (400, 300), corrupt: int = 0) -> list[ReportFile]:
        files = []
        for index in range(1, n + corrupt + 1):
            path = tmp_path / f"photo{index}.jpg"
            if index <= n:
                write_photo(path, size)
            else:
                path.write_bytes(b"\xff\xd8 this is not a JPEG")
            files.append(
                ReportFile(
                    evidence_id=index,
                    kind="photo",
                    category="photo.signboard" if index % 2 else "photo.inventory",
                    category_title=Bilingual("门头、招牌和门牌号", "Signboard")
                    if index % 2
                    else None,
                    path=path,
                    mime_type="image/jpeg",
                    file_name=f"IMG_{index:04d}.jpg",
                    received_at=NOW,
                    exif_taken_at="2026:03:02 09:10:00" if index == 1 else None,
                    duplicate_of_id=1 if index == 2 else None,
                )
            )
        return files

    return make


@pytest.fixture
def make_report(
    composer: ReportComposer,
    shop_summary: Callable[..., VisitSummary],
    header_for: Callable[[VisitSummary], ReportHeader],
    photo_files: Callable[..., list[ReportFile]],
    tmp_path: Path,
) -> Callable[..., ReportData]:
    """A complete report on the shop, with every part present unless told otherwise."""

    def make(
        lang: str = "zh",
        *,
        name: str = "张记五金店",
        photos: int = 2,
        corrupt: int = 0,
        photo_size: tuple[int, int] = (400, 300),
        overrides: Mapping[str, str] | None = None,
        remarks: str | None = "客户配合良好。",
        review_comment: str | None = None,
        findings: list[Finding] | None = None,
    ) -> ReportData:
        summary = shop_summary(name)
        files = photo_files(photos, size=photo_size, corrupt=corrupt)
        statement = tmp_path / "statement.pdf"
        statement.write_bytes(b"%PDF-1.4 demo")
        files.append(
            ReportFile(
                evidence_id=900,
                kind="document",
                category="doc.personal_statements",
                category_title=Bilingual("个人银行流水", "Personal bank statements"),
                path=statement,
                mime_type="application/pdf",
                file_name="流水.pdf",
                received_at=NOW,
            )
        )
        return composer.compose(
            header_for(summary),
            summary,
            findings=_findings(name) if findings is None else findings,
            suggestion=SUGGESTION,
            files=files,
            overrides=overrides or {},
            remarks=remarks,
            lang=lang,
            status="draft",
            version=2,
            now=NOW,
            review_comment=review_comment,
        )

    return make
